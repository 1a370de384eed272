//! The coordinator side of distribution (`daphne --distributed`): it implements the runtime's
//! [`Distributor`] over a [`Transport`]. It sends the row blocks of a distributed pipeline's inputs
//! (remembering what each worker already holds, so nothing is sent twice: [`placement`]), runs
//! the pipeline on all workers at once ([`tasks`]) and combines their partial results in
//! partition order ([`combine`]). A row-combined result that only later pipelines read stays on
//! the workers as a [`Partitioned`] object instead of coming back. Every object a worker holds
//! for this coordinator is freed as soon as nothing references it, and all of them at the end
//! ([`gc`]). Matrices that only pipelines read and that the workers can make themselves are
//! generated there, and matrix files with row blocks read there ([`generate`]).
//!
//! Worker loss ([`lineage`]): a call that fails without an answer from the worker is followed by
//! a health check; a worker that fails it is dropped for the rest of the run, and its partitions
//! are computed again on the next live worker in the list: from the coordinator's data, or, for a
//! result that lived on the lost worker, by running the pipeline that made it (its lineage: the
//! pipeline and its inputs, kept by the [`Partitioned`] object) for that partition only. The
//! partition ranges never change, so the results are the same bits as without the failure.
//! Without any live worker the run ends with an error naming the lost workers.

mod combine;
mod fetch;
mod gc;
mod generate;
mod lineage;
mod options;
mod placement;
mod plan;
mod stats;
mod tasks;

pub use crate::protocol::DEFAULT_CHUNK_BYTES;
pub use lineage::Partitioned;
pub use options::{CoordinatorOptions, parse_worker_list};
pub use stats::{DistStats, PhaseTimes};

use crate::protocol::MAX_CHUNK_BYTES;
use crate::transport::grpc::{GrpcOptions, GrpcTransport};
use crate::transport::{CallError, Code, Transport};
use daphne_ir::vector;
use daphne_ir::{Module, Op, OpKind};
use daphne_runtime::data::Data;
use daphne_runtime::distributor::{DistError, DistInput, DistOutcome, Distributor, RemoteMatrix, RowSource};
use gc::Garbage;
use lineage::Job;
use placement::Placement;
use plan::{Delivery, plan};
use stats::Counters;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// An input of a distributed pipeline, as the coordinator sees it.
#[derive(Clone)]
enum Input {
    Local(Data),
    Remote(Arc<Partitioned>),
}

/// The coordinator: a transport to the workers, which of them live, and what each holds.
pub struct Coordinator {
    transport: Box<dyn Transport>,
    alive: Vec<AtomicBool>,
    placements: Mutex<Vec<Placement>>,
    garbage: Garbage,
    stats: Counters,
    /// Notes already printed on stderr (each once per run).
    notes: Mutex<std::collections::HashSet<String>>,
}

impl Coordinator {
    /// Connects to every worker over gRPC and checks that it accepts this coordinator (token,
    /// protocol version); an unreachable or refusing worker is an error naming it.
    pub fn connect(opts: &CoordinatorOptions) -> Result<Coordinator, String> {
        if opts.workers.is_empty() {
            return Err("no distributed workers are given".into());
        }
        let transport = GrpcTransport::connect(&GrpcOptions {
            workers: &opts.workers,
            session: new_session_id(),
            chunk_bytes: opts.chunk_bytes.clamp(1, MAX_CHUNK_BYTES),
            token: opts.token.as_deref(),
            tls_ca: opts.tls_ca.as_deref(),
        })?;
        Ok(Coordinator::over(Box::new(transport)))
    }

    /// A coordinator over connected workers.
    pub fn over(transport: Box<dyn Transport>) -> Coordinator {
        let alive = (0..transport.worker_count()).map(|_| AtomicBool::new(true)).collect();
        Coordinator {
            transport,
            alive,
            placements: Mutex::new(Vec::new()),
            garbage: Arc::new(Mutex::new(Vec::new())),
            stats: Counters::default(),
            notes: Mutex::new(std::collections::HashSet::new()),
        }
    }

    pub fn worker_count(&self) -> usize {
        self.transport.worker_count()
    }

    /// Runs a distributed pipeline: `dist` is the parsed module of its `ir` text. Outputs whose
    /// `keep_remote` entry is set and that are combined by rows stay on the workers.
    fn run_job(
        &self,
        dist: &Module,
        ir: &str,
        inputs: Vec<Input>,
        keep_remote: &[bool],
    ) -> Result<Vec<DistOutcome>, DistError> {
        self.sweep();
        let planning = std::time::Instant::now();
        let (pipe, body) = pipeline_of(dist).ok_or_else(|| internal("the task module has no pipeline"))?;
        let splits = vector::splits(dist, pipe).map_err(internal)?;
        let combines = vector::combines(dist, pipe).map_err(internal)?;
        let Some(plan) = plan(dist, body, &splits, &inputs, self.worker_count()) else {
            return Err(DistError::Execution);
        };
        Counters::add_time(&self.stats.plan_ns, planning.elapsed());
        // Remote inputs not cut the way this pipeline needs come back first.
        let mut local_inputs = Vec::with_capacity(inputs.len());
        for (j, input) in inputs.into_iter().enumerate() {
            local_inputs.push(match input {
                Input::Remote(p) if plan.sends[j] != Delivery::Split || !p.cut_like(&plan.ranges) => {
                    Input::Local(self.fetch_rows(&p)?)
                }
                other => other,
            });
        }
        let job = Arc::new(Job {
            ir: ir.to_string(),
            inputs: local_inputs,
            sends: plan.sends,
            ranges: plan.ranges,
            combines,
        });
        let all: Vec<usize> = (0..job.ranges.len()).collect();
        self.retrying(|| {
            let done = self.execute(&job, &all)?;
            self.combine(&job, done, keep_remote)
        })
        .inspect(|_| Counters::add(&self.stats.pipelines, 1))
    }
}

impl Distributor for Coordinator {
    fn run(
        &self,
        task: &Module,
        ir: &str,
        inputs: Vec<DistInput>,
        keep_remote: &[bool],
    ) -> Result<Vec<DistOutcome>, DistError> {
        let inputs = inputs
            .into_iter()
            .map(|i| match i {
                DistInput::Local(d) => Ok(Input::Local(d)),
                DistInput::Remote(r) => own_remote(r).map(Input::Remote),
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.run_job(task, ir, inputs, keep_remote)
    }

    fn generate(&self, source: &RowSource) -> Result<Arc<dyn RemoteMatrix>, DistError> {
        self.generate_rows(source).map(|p| p as Arc<dyn RemoteMatrix>)
    }

    fn fetch(&self, remote: &Arc<dyn RemoteMatrix>) -> Result<Data, DistError> {
        self.fetch_rows(&*own_remote(Arc::clone(remote))?)
    }

    fn fetch_rows(&self, remote: &Arc<dyn RemoteMatrix>, r0: usize, r1: usize) -> Result<Data, DistError> {
        self.fetch_row_range(&*own_remote(Arc::clone(remote))?, r0, r1)
    }

    fn note_local_run(&self) {
        Counters::add(&self.stats.local, 1);
    }
}

/// A remote matrix this coordinator made.
fn own_remote(r: Arc<dyn RemoteMatrix>) -> Result<Arc<Partitioned>, DistError> {
    r.into_any().downcast::<Partitioned>().map_err(|_| internal("remote data of another distributed runtime"))
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        let live: Vec<usize> = (0..self.worker_count()).filter(|w| self.is_live(*w)).collect();
        in_parallel(live, |w| {
            let _ = self.transport.free(w, &[], true);
        });
    }
}

/// Runs `f` on every item at once, one thread each (the last on the calling thread), and returns
/// the results in order. A panic in `f` is a failed call, not a crashed coordinator.
fn in_parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<Result<R, CallError>> {
    let panicked = || CallError::new(Code::Internal, "a coordinator thread failed");
    let mut items = items;
    let Some(last) = items.pop() else { return Vec::new() };
    std::thread::scope(|s| {
        let handles: Vec<_> = items.into_iter().map(|item| s.spawn(|| f(item))).collect();
        let last = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(last))).map_err(|_| panicked());
        let mut out: Vec<Result<R, CallError>> =
            handles.into_iter().map(|h| h.join().map_err(|_| panicked())).collect();
        out.push(last);
        out
    })
}

fn internal(message: impl Into<String>) -> DistError {
    DistError::Worker(format!("internal error in the coordinator: {}", message.into()))
}

/// A fresh session id: 64 bits from the operating system's random source, so that another
/// coordinator (even one holding the shared token) cannot guess it and read this session's
/// objects. Without that source (never on Linux), a mix of time, process and a counter.
fn new_session_id() -> u64 {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).is_ok() {
        return u64::from_le_bytes(bytes).max(1);
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut x =
        nanos ^ (u64::from(std::process::id()) << 32) ^ COUNTER.fetch_add(1, Ordering::Relaxed) ^ 0x9E37_79B9_7F4A_7C15;
    // splitmix64 finalizer: sessions of coordinators started at the same time still differ.
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)).max(1)
}

/// The pipeline op of a task module and its body.
fn pipeline_of(m: &Module) -> Option<(Op, daphne_ir::Block)> {
    let func = m.find_func("dist")?;
    let entry = m.op_block(func, 0)?;
    let pipe = m.block_ops(entry).iter().copied().find(|op| m.kind(*op) == OpKind::VectorizedPipeline)?;
    Some((pipe, m.op_block(pipe, 0)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_differ() {
        let ids: std::collections::HashSet<u64> = (0..64).map(|_| new_session_id()).collect();
        assert_eq!(ids.len(), 64);
        assert!(!ids.contains(&0));
    }

    #[test]
    fn parallel_results_keep_their_order() {
        let out: Vec<usize> = in_parallel((0..5).collect(), |i| i * 10).into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(out, vec![0, 10, 20, 30, 40]);
        assert!(in_parallel(Vec::<usize>::new(), |i| i).is_empty());
    }
}
