//! Moving objects back and garbage collection: fetching objects from their workers (all at once),
//! and freeing what nothing references any more (dropped partitioned results, placements whose
//! coordinator-side data is gone), so that a long run does not fill its workers.

use super::lineage::Failure;
use super::stats::Counters;
use super::{Coordinator, in_parallel};
use daphne_runtime::data::Data;
use daphne_runtime::distributor::DistError;
use daphne_runtime::matrix::Dense;
use std::sync::{Arc, Mutex};

/// Objects on workers that nothing references any more, freed at the next opportunity.
pub(super) type Garbage = Arc<Mutex<Vec<(usize, u64)>>>;

impl Coordinator {
    /// Fetches objects (all matrices) from their workers, all at once.
    pub(super) fn transfer_all(&self, ids: &[(usize, u64)]) -> Result<Vec<Dense>, Failure> {
        let started = std::time::Instant::now();
        let fetched = in_parallel(ids.to_vec(), |(w, id)| (w, self.transport.transfer(w, id)));
        Counters::add_time(&self.stats.transfer_ns, started.elapsed());
        let mut out = Vec::with_capacity(ids.len());
        let mut failed = Vec::new();
        for (r, &(w, _)) in fetched.into_iter().zip(ids) {
            match r.and_then(|(_, t)| t) {
                Ok((Data::Matrix(m), bytes)) => {
                    Counters::add(&self.stats.fetched, 1);
                    Counters::add(&self.stats.fetched_bytes, bytes);
                    out.push(m.into_dense());
                }
                Ok((other, _)) => {
                    let addr = self.transport.address(w);
                    return Err(
                        DistError::Worker(format!("worker `{addr}` sent a {} for a matrix", other.kind())).into()
                    );
                }
                Err(e) => failed.push((w, e)),
            }
        }
        if failed.is_empty() { Ok(out) } else { Err(self.classify(failed)) }
    }

    /// Frees objects that nothing references any more: dropped partitioned results and
    /// placements whose coordinator-side data is gone.
    pub(super) fn sweep(&self) {
        let mut ids = self.garbage.lock().map(|mut g| std::mem::take(&mut *g)).unwrap_or_default();
        if let Ok(mut placements) = self.placements.lock() {
            placements.retain(|p| {
                let alive = p.is_alive();
                if !alive {
                    ids.push((p.worker, p.id));
                }
                alive
            });
        }
        self.free(ids);
    }

    /// Frees objects on their (live) workers, one call per worker, all at once. A worker that
    /// cannot be told loses nothing but memory, and frees the session when the coordinator ends or
    /// goes silent; so failures are not errors.
    pub(super) fn free(&self, ids: Vec<(usize, u64)>) {
        if ids.is_empty() {
            return;
        }
        let per_worker: Vec<(usize, Vec<u64>)> = (0..self.worker_count())
            .filter(|w| self.is_live(*w))
            .map(|w| (w, ids.iter().filter(|(x, _)| *x == w).map(|(_, id)| *id).collect::<Vec<u64>>()))
            .filter(|(_, mine)| !mine.is_empty())
            .collect();
        in_parallel(per_worker, |(w, mine)| {
            let _ = self.transport.free(w, &mine, false);
        });
    }
}
