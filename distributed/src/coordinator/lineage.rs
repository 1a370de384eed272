//! Lineage and recovery: every result left on the workers remembers the job that made it, so a
//! partition that lived on a lost worker is computed again on the next live one, for that
//! partition only and over the same row range (the same bits). Attempts that lose workers are
//! repeated without them until they succeed or no worker is left.

use super::gc::Garbage;
use super::plan::Delivery;
use super::stats::Counters;
use super::{Coordinator, Input, internal};
use daphne_ir::vector::Combine;
use daphne_runtime::distributor::{DistError, RemoteMatrix};
use std::any::Any;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// The work of one distributed pipeline: its IR, inputs and cut. It is also the lineage of the
/// results it leaves on the workers.
pub(super) struct Job {
    pub ir: String,
    pub inputs: Vec<Input>,
    pub sends: Vec<Delivery>,
    pub ranges: Vec<(usize, usize)>,
    pub combines: Vec<Combine>,
}

/// A matrix whose row blocks live on the workers (a row-combined output that only pipelines
/// read). Dropping it frees the blocks.
pub struct Partitioned {
    pub(super) rows: usize,
    pub(super) parts: Mutex<Vec<Part>>,
    pub(super) lineage: Arc<Job>,
    pub(super) output: usize,
    pub(super) garbage: Garbage,
}

/// One row block of a [`Partitioned`] matrix: where it is and which rows it holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Part {
    pub worker: usize,
    pub id: u64,
    pub r0: usize,
    pub r1: usize,
}

impl Partitioned {
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub(super) fn parts(&self) -> Vec<Part> {
        self.parts.lock().map(|p| p.clone()).unwrap_or_default()
    }

    pub(super) fn cut_like(&self, ranges: &[(usize, usize)]) -> bool {
        let parts = self.parts();
        parts.len() == ranges.len() && parts.iter().zip(ranges).all(|(p, r)| (p.r0, p.r1) == *r)
    }
}

impl RemoteMatrix for Partitioned {
    fn rows(&self) -> usize {
        self.rows
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

impl Drop for Partitioned {
    fn drop(&mut self) {
        let parts = self.parts();
        if let Ok(mut g) = self.garbage.lock() {
            g.extend(parts.iter().map(|p| (p.worker, p.id)));
        }
    }
}

/// An attempt's failure: workers lost (the attempt is repeated without them), an execution error
/// a worker answered with (what it said), or a final error.
pub(super) enum Failure {
    Lost(Vec<(usize, String)>),
    Execution(String),
    Error(DistError),
}

impl Failure {
    /// The error the executor sees.
    pub(super) fn into_error(self) -> DistError {
        match self {
            Failure::Execution(_) => DistError::Execution,
            Failure::Error(e) => e,
            Failure::Lost(lost) => internal(format!("workers lost without recovery: {}", lost.len())),
        }
    }
}

impl From<DistError> for Failure {
    fn from(e: DistError) -> Failure {
        Failure::Error(e)
    }
}

impl Coordinator {
    /// Runs `attempt` until it succeeds, fails for good, or no worker is left. Each repetition
    /// follows the loss of at least one worker, so it ends.
    pub(super) fn retrying<T>(&self, attempt: impl FnMut() -> Result<T, Failure>) -> Result<T, DistError> {
        self.attempts(attempt).map_err(Failure::into_error)
    }

    /// Like [`Coordinator::retrying`], but a final failure comes back as it is (with a worker's
    /// message about an execution error).
    pub(super) fn attempts<T>(&self, mut attempt: impl FnMut() -> Result<T, Failure>) -> Result<T, Failure> {
        loop {
            match attempt() {
                Ok(v) => return Ok(v),
                Err(Failure::Lost(lost)) => self.lose(lost).map_err(Failure::Error)?,
                Err(other) => return Err(other),
            }
        }
    }

    /// Drops lost workers; an error when none is left.
    fn lose(&self, lost: Vec<(usize, String)>) -> Result<(), DistError> {
        for (w, why) in &lost {
            if self.alive.get(*w).is_some_and(|a| a.swap(false, Ordering::SeqCst)) {
                Counters::add(&self.stats.lost, 1);
                eprintln!(
                    "daphne: worker `{}` was lost ({why}); its partitions run on the other workers",
                    self.transport.address(*w)
                );
            }
        }
        if let Ok(mut placements) = self.placements.lock() {
            placements.retain(|p| self.is_live(p.worker));
        }
        if self.alive.iter().any(|a| a.load(Ordering::SeqCst)) {
            return Ok(());
        }
        let names: Vec<String> = (0..self.worker_count()).map(|w| format!("`{}`", self.transport.address(w))).collect();
        let why = lost.last().map_or_else(String::new, |(_, w)| format!(" (last: {w})"));
        Err(DistError::Worker(format!("all distributed workers were lost: {}{why}", names.join(", "))))
    }

    pub(super) fn is_live(&self, w: usize) -> bool {
        self.alive.get(w).is_some_and(|a| a.load(Ordering::SeqCst))
    }

    /// The worker of partition `i`: worker `i` while it lives, else the next live one.
    pub(super) fn owner(&self, i: usize) -> Result<usize, Failure> {
        let n = self.worker_count();
        (0..n)
            .map(|k| (i + k) % n)
            .find(|w| self.is_live(*w))
            .ok_or_else(|| Failure::Error(DistError::Worker("no distributed worker is left".into())))
    }

    /// The id of partition `i` of `p` on a live worker, computing it again from its lineage if
    /// its worker was lost.
    pub(super) fn part_on_live_worker(&self, p: &Partitioned, i: usize) -> Result<u64, Failure> {
        let part = p.parts().get(i).copied().ok_or_else(|| internal("a partition out of range"))?;
        if self.is_live(part.worker) {
            return Ok(part.id);
        }
        let mut done = self.execute(&p.lineage, &[i])?;
        let d = done.pop().ok_or_else(|| internal("a recomputation without a result"))?;
        let out = d.computed.outputs.get(p.output).ok_or_else(|| internal("a recomputation without the output"))?;
        if out.meta.as_ref().map(|m| m.rows) != Some((part.r1 - part.r0) as u64) {
            self.free(d.stored_outputs());
            return Err(internal("a recomputed partition has another shape").into());
        }
        let id = out.id;
        let others: Vec<(usize, u64)> = d.stored_outputs().into_iter().filter(|(_, o)| *o != id).collect();
        self.free(others);
        if let Ok(mut parts) = p.parts.lock() {
            parts[i] = Part { worker: d.worker, id, ..part };
        }
        Counters::add(&self.stats.recomputed, 1);
        Ok(id)
    }
}
