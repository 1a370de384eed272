//! Combining the partitions' outputs in partition order: row and column blocks stacked,
//! `Add`/`Min`/`Max` partials reduced with the same kernels as the local engine, and
//! row-combined outputs that only pipelines read left on the workers as [`Partitioned`] objects.
//! Outputs that do not fit the pipeline's row structure make the pipeline run locally instead.

use super::lineage::{Failure, Job, Part, Partitioned};
use super::stats::Counters;
use super::tasks::Done;
use super::{Coordinator, internal};
use daphne_ir::vector::Combine;
use daphne_runtime::data::Data;
use daphne_runtime::distributor::{DistError, DistOutcome};
use daphne_runtime::elem::Scalar;
use daphne_runtime::kernels::combine::{reduce, stack};
use daphne_runtime::matrix::{Dense, Matrix};
use std::sync::{Arc, Mutex};

impl Coordinator {
    /// Combines the partitions' outputs, or frees them all when they do not fit.
    pub(super) fn combine(
        &self,
        job: &Arc<Job>,
        mut done: Vec<Done>,
        keep_remote: &[bool],
    ) -> Result<Vec<DistOutcome>, Failure> {
        done.sort_by_key(|d| d.range);
        let combines = &job.combines;
        let all_ids: Vec<(usize, u64)> = done.iter().flat_map(Done::stored_outputs).collect();
        let fits = done.len() == job.ranges.len()
            && done.iter().all(|d| {
                let (r0, r1) = job.ranges[d.range];
                d.computed.outputs.len() == combines.len()
                    && d.computed.outputs.iter().zip(combines).all(|(o, c)| match (c, &o.meta) {
                        (Combine::Rows, Some(meta)) => o.scalar.is_none() && meta.rows == (r1 - r0) as u64,
                        (Combine::Cols, Some(meta)) => o.scalar.is_none() && meta.cols == (r1 - r0) as u64,
                        (Combine::Add | Combine::Min | Combine::Max, _) => true,
                        _ => false,
                    })
            });
        if !fits {
            self.free(all_ids);
            return Err(DistError::Execution.into());
        }
        self.combine_outputs(job, &done, keep_remote).inspect_err(|_| self.free(all_ids))
    }

    fn combine_outputs(
        &self,
        job: &Arc<Job>,
        done: &[Done],
        keep_remote: &[bool],
    ) -> Result<Vec<DistOutcome>, Failure> {
        let kept_remote = |j: usize, c: Combine| c == Combine::Rows && keep_remote.get(j).copied().unwrap_or(false);
        let mut outcomes = Vec::with_capacity(job.combines.len());
        let mut to_free = Vec::new();
        let mut placed = Vec::new();
        // Everything not kept on the workers comes back at once.
        let mut wanted = Vec::new();
        for (j, &c) in job.combines.iter().enumerate() {
            if kept_remote(j, c) {
                continue;
            }
            for d in done {
                let o = &d.computed.outputs[j];
                if o.scalar.is_none() {
                    wanted.push((d.worker, o.id));
                }
            }
        }
        let mut fetched = self.transfer_all(&wanted)?.into_iter();
        let combining = std::time::Instant::now();
        for (j, &c) in job.combines.iter().enumerate() {
            let parts: Vec<Part> = done
                .iter()
                .map(|d| {
                    let (r0, r1) = job.ranges[d.range];
                    Part { worker: d.worker, id: d.computed.outputs[j].id, r0, r1 }
                })
                .collect();
            if kept_remote(j, c) {
                Counters::add(&self.stats.kept, 1);
                outcomes.push(DistOutcome::Remote(Arc::new(Partitioned {
                    rows: job.ranges.last().map_or(0, |r| r.1),
                    parts: Mutex::new(parts),
                    lineage: Arc::clone(job),
                    output: j,
                    garbage: Arc::clone(&self.garbage),
                })));
                continue;
            }
            let mut values = Vec::with_capacity(done.len());
            for d in done {
                let o = &d.computed.outputs[j];
                values.push(match &o.scalar {
                    Some(s) => Data::Scalar(
                        Scalar::try_from(s)
                            .map_err(|e| DistError::Worker(format!("a worker sent a malformed scalar: {e}")))?,
                    ),
                    None => Data::Matrix(Matrix::Dense(fetched.next().ok_or_else(|| internal("a missing block"))?)),
                });
            }
            let result = match c {
                Combine::Rows | Combine::Cols => {
                    let blocks: Vec<Dense> = values
                        .into_iter()
                        .map(|d| match d {
                            Data::Matrix(m) => Ok(m.into_dense()),
                            other => Err(internal(format!("a block is a {}", other.kind()))),
                        })
                        .collect::<Result<_, _>>()?;
                    let stacked = Data::Matrix(Matrix::Dense(stack(&blocks, c == Combine::Cols).map_err(internal)?));
                    if c == Combine::Rows {
                        // The workers keep their blocks: the next pipeline reading them sends nothing.
                        placed.push((stacked.clone(), parts));
                    } else {
                        to_free.extend(parts.iter().map(|p| (p.worker, p.id)));
                    }
                    stacked
                }
                Combine::Add | Combine::Min | Combine::Max => {
                    to_free.extend(parts.iter().filter(|p| p.id != 0).map(|p| (p.worker, p.id)));
                    let mut it = values.into_iter();
                    let first = it.next().ok_or_else(|| internal("an output without values"))?;
                    it.try_fold(first, |acc, d| reduce(acc, &d, c)).map_err(internal)?
                }
            };
            outcomes.push(DistOutcome::Local(result));
        }
        for (stacked, parts) in &placed {
            self.place_rows(stacked, parts);
        }
        Counters::add_time(&self.stats.combine_ns, combining.elapsed());
        self.free(to_free);
        Ok(outcomes)
    }
}
