//! What a coordinator did, counted as it happens and summed up for `--dist-stats`: objects and
//! bytes moved, and the time of each phase (plan, store, compute, transfer, combine).

use super::Coordinator;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The running counts.
#[derive(Default)]
pub(super) struct Counters {
    pub pipelines: AtomicU64,
    pub local: AtomicU64,
    pub stored: AtomicU64,
    pub stored_bytes: AtomicU64,
    pub reused: AtomicU64,
    pub fetched: AtomicU64,
    pub fetched_bytes: AtomicU64,
    pub kept: AtomicU64,
    pub lost: AtomicU64,
    pub recomputed: AtomicU64,
    pub generated: AtomicU64,
    pub read: AtomicU64,
    pub read_here: AtomicU64,
    /// Nanoseconds per phase, as the coordinator waited for them (concurrent calls count once).
    pub plan_ns: AtomicU64,
    pub store_ns: AtomicU64,
    pub compute_ns: AtomicU64,
    pub transfer_ns: AtomicU64,
    pub combine_ns: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_time(counter: &AtomicU64, d: Duration) {
        Counters::add(counter, u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }
}

/// Where a coordinator's time went, phase by phase.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhaseTimes {
    /// Cutting pipelines over the workers.
    pub plan: Duration,
    /// Sending inputs (the longest worker of each pipeline).
    pub store: Duration,
    /// Running tasks, round trip included (the longest worker of each pipeline).
    pub compute: Duration,
    /// Fetching results back.
    pub transfer: Duration,
    /// Stacking and reducing partial results.
    pub combine: Duration,
}

/// A summary of what a coordinator did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DistStats {
    /// Pipelines that ran on the workers.
    pub pipelines: u64,
    /// Pipelines that ran on the coordinator instead (inputs that cannot be cut by rows, or to
    /// reproduce a worker's execution error exactly).
    pub local: u64,
    /// Objects sent to workers, and their payload bytes.
    pub stored: u64,
    pub stored_bytes: u64,
    /// Inputs a worker already held and that were not sent again.
    pub reused: u64,
    /// Objects fetched from workers, and their payload bytes.
    pub fetched: u64,
    pub fetched_bytes: u64,
    /// Row-combined results left on the workers for the next pipeline.
    pub kept: u64,
    /// Workers lost during the run, and partitions computed again because of them.
    pub lost: u64,
    pub recomputed: u64,
    /// Matrices the workers generated themselves (`rand`, `fill`, `seq`), row block by row block.
    pub generated: u64,
    /// Matrix files the workers read, row block by row block (`readMatrix` whose result only
    /// distributed pipelines read).
    pub read: u64,
    /// Such files the coordinator read instead, because the workers refused (no `--data-dir`,
    /// or the file outside it) or failed; their rows were sent to the workers.
    pub read_here: u64,
    pub phases: PhaseTimes,
}

impl std::fmt::Display for DistStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pipelines on workers, {} on the coordinator; sent {} objects ({} bytes), reused {}; fetched {} objects ({} bytes); kept {} results on the workers; {} workers lost, {} partitions recomputed; generated {} matrices on the workers; read {} files on the workers, {} on the coordinator instead",
            self.pipelines,
            self.local,
            self.stored,
            self.stored_bytes,
            self.reused,
            self.fetched,
            self.fetched_bytes,
            self.kept,
            self.lost,
            self.recomputed,
            self.generated,
            self.read,
            self.read_here
        )?;
        let s = |d: Duration| d.as_secs_f64();
        let p = &self.phases;
        write!(
            f,
            "; phases: plan {:.3} s, store {:.3} s, compute {:.3} s, transfer {:.3} s, combine {:.3} s",
            s(p.plan),
            s(p.store),
            s(p.compute),
            s(p.transfer),
            s(p.combine)
        )
    }
}

impl Coordinator {
    /// What this coordinator did so far.
    pub fn stats(&self) -> DistStats {
        let c = &self.stats;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let t = |a: &AtomicU64| Duration::from_nanos(g(a));
        DistStats {
            pipelines: g(&c.pipelines),
            local: g(&c.local),
            stored: g(&c.stored),
            stored_bytes: g(&c.stored_bytes),
            reused: g(&c.reused),
            fetched: g(&c.fetched),
            fetched_bytes: g(&c.fetched_bytes),
            kept: g(&c.kept),
            lost: g(&c.lost),
            recomputed: g(&c.recomputed),
            generated: g(&c.generated),
            read: g(&c.read),
            read_here: g(&c.read_here),
            phases: PhaseTimes {
                plan: t(&c.plan_ns),
                store: t(&c.store_ns),
                compute: t(&c.compute_ns),
                transfer: t(&c.transfer_ns),
                combine: t(&c.combine_ns),
            },
        }
    }
}
