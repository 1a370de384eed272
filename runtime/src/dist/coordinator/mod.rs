//! The coordinator side of distribution (`daphne --distributed`): connects to `DistributedWorker`s,
//! sends the row blocks of a distributed pipeline's inputs (remembering what each worker already
//! holds, so nothing is sent twice), runs the pipeline on all workers at once and combines their
//! partial results in partition order. A row-combined result that only later pipelines read stays
//! on the workers as a [`Partitioned`] object instead of coming back. Every object a worker holds
//! for this coordinator is freed as soon as nothing references it, and all of them at the end.
//!
//! Worker loss: a call that fails without an answer from the worker is followed by a health check;
//! a worker that fails it is dropped for the rest of the run, and its partitions are computed again
//! on the next live worker in the list: from the coordinator's data, or, for a result that lived on
//! the lost worker, by running the pipeline that made it (its lineage: the pipeline and its inputs,
//! kept by the [`Partitioned`] object) for that partition only. The partition ranges never change,
//! so the results are the same bits as without the failure. Without any live worker the run ends
//! with an error naming the lost workers.

mod combine;
mod plan;
mod transport;

use crate::data::Data;
use crate::dist::auth::AttachToken;
use crate::dist::proto::{self, Computed, PROTOCOL_VERSION, Task, TaskInput, task_input};
use crate::kernels::combine::reduce;
use crate::matrix::{Dense, Matrix};
use combine::stack;
use daphne_ir::vector::{self, Combine};
use daphne_ir::{Module, Op, OpKind};
use plan::{Delivery, plan};
use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tonic::{Code, Status};
use transport::Client;

/// Bytes per message of `Store` and `Transfer` unless `--max-distr-chunk-size` says otherwise.
pub const DEFAULT_CHUNK_BYTES: usize = 4 << 20;
/// Largest chunk a coordinator sends (the workers accept messages up to 1 GiB).
const MAX_CHUNK_BYTES: usize = 256 << 20;
/// How often the coordinator tells its workers that its session is alive.
const HEARTBEAT: Duration = Duration::from_secs(2);

/// Settings of a coordinator.
#[derive(Clone, Debug)]
pub struct CoordinatorOptions {
    /// The workers' `host:port` addresses.
    pub workers: Vec<String>,
    /// Largest message of `Store`/`Transfer` in bytes (`--max-distr-chunk-size`).
    pub chunk_bytes: usize,
    /// The shared token the workers expect, if any.
    pub token: Option<String>,
    /// The CA certificate (PEM) that signed the workers' certificates: with it the coordinator
    /// speaks TLS to every worker (`DAPHNE_WORKER_TLS_CA`), without it plaintext.
    pub tls_ca: Option<Vec<u8>>,
}

/// A hint about TLS when the first call to a worker failed below gRPC (a protocol error, a
/// connection closed at once): what a plaintext coordinator sees from a TLS worker.
fn first_call_hint(s: &Status) -> String {
    match s.code() {
        Code::Internal | Code::Unknown | Code::Unavailable | Code::Cancelled => transport::tls_hint(s.message()),
        _ => String::new(),
    }
}

/// Parses `DISTRIBUTED_WORKERS`: comma-separated `host:port` entries, spaces around them ignored.
pub fn parse_worker_list(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for entry in text.split(',').map(str::trim) {
        if entry.is_empty() {
            if text.trim().is_empty() {
                return Err("DISTRIBUTED_WORKERS is empty: give the workers as host:port,host:port,...".into());
            }
            return Err(format!("DISTRIBUTED_WORKERS `{text}` has an empty entry"));
        }
        let valid = entry.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && !host.contains(char::is_whitespace) && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !valid {
            return Err(format!("the worker address `{entry}` in DISTRIBUTED_WORKERS is not host:port"));
        }
        out.push(entry.to_string());
    }
    Ok(out)
}

/// One worker.
struct Remote {
    addr: String,
    client: Client,
    alive: AtomicBool,
}

/// A cell range a worker holds: the identity of the coordinator-side view it was sent from.
struct Placement {
    buffer: Weak<dyn Any + Send + Sync>,
    view: [usize; 5],
    worker: usize,
    id: u64,
}

impl Placement {
    fn is_alive(&self) -> bool {
        self.buffer.strong_count() > 0
    }
}

/// Objects on workers that nothing references any more, freed at the next opportunity.
type Garbage = Arc<Mutex<Vec<(usize, u64)>>>;

/// The work of one distributed pipeline: its IR, inputs and cut. It is also the lineage of the
/// results it leaves on the workers.
struct Job {
    ir: String,
    inputs: Vec<Input>,
    sends: Vec<Delivery>,
    ranges: Vec<(usize, usize)>,
    combines: Vec<Combine>,
}

/// A matrix whose row blocks live on the workers (a row-combined output that only pipelines
/// read). Dropping it frees the blocks.
pub struct Partitioned {
    rows: usize,
    parts: Mutex<Vec<Part>>,
    lineage: Arc<Job>,
    output: usize,
    garbage: Garbage,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Part {
    worker: usize,
    id: u64,
    r0: usize,
    r1: usize,
}

impl Partitioned {
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn parts(&self) -> Vec<Part> {
        self.parts.lock().map(|p| p.clone()).unwrap_or_default()
    }

    fn cut_like(&self, ranges: &[(usize, usize)]) -> bool {
        let parts = self.parts();
        parts.len() == ranges.len() && parts.iter().zip(ranges).all(|(p, r)| (p.r0, p.r1) == *r)
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

/// An input of a distributed pipeline.
#[derive(Clone)]
pub enum Input {
    Local(Data),
    Remote(Arc<Partitioned>),
}

/// An output of a distributed pipeline.
pub enum Outcome {
    Local(Data),
    Remote(Arc<Partitioned>),
}

/// What a partition's task needs per input: an id its worker holds, data to store, or a scalar.
enum Arg {
    Held(u64),
    Store { data: Data, remember: bool },
    Scalar(proto::Scalar),
}

/// Why a distributed pipeline did not produce results.
#[derive(Debug)]
pub enum DistError {
    /// The pipeline failed on a worker the way it fails locally (an execution error in a kernel),
    /// or its inputs do not fit its row structure: running it locally gives the exact result or
    /// error of a local run.
    Execution,
    /// The workers cannot run it (all lost, a refused token, a protocol error, out of memory).
    Worker(String),
}

/// An attempt's failure: workers lost (the attempt is repeated without them) or a final error.
enum Failure {
    Lost(Vec<(usize, String)>),
    Error(DistError),
}

impl From<DistError> for Failure {
    fn from(e: DistError) -> Failure {
        Failure::Error(e)
    }
}

/// What a coordinator did, for `--dist-stats`.
#[derive(Default)]
struct Counters {
    pipelines: AtomicU64,
    local: AtomicU64,
    stored: AtomicU64,
    stored_bytes: AtomicU64,
    reused: AtomicU64,
    fetched: AtomicU64,
    fetched_bytes: AtomicU64,
    kept: AtomicU64,
    lost: AtomicU64,
    recomputed: AtomicU64,
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
}

impl std::fmt::Display for DistStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pipelines on workers, {} on the coordinator; sent {} objects ({} bytes), reused {}; fetched {} objects ({} bytes); kept {} results on the workers; {} workers lost, {} partitions recomputed",
            self.pipelines,
            self.local,
            self.stored,
            self.stored_bytes,
            self.reused,
            self.fetched,
            self.fetched_bytes,
            self.kept,
            self.lost,
            self.recomputed
        )
    }
}

/// The coordinator: connections, a session id and what each worker holds.
pub struct Coordinator {
    rt: tokio::runtime::Runtime,
    workers: Vec<Remote>,
    session: u64,
    chunk_bytes: usize,
    placements: Mutex<Vec<Placement>>,
    garbage: Garbage,
    stats: Counters,
    heartbeat: tokio::task::JoinHandle<()>,
}

/// The result of one partition's task.
struct Done {
    range: usize,
    worker: usize,
    computed: Computed,
}

impl Coordinator {
    /// Connects to every worker and checks that it accepts this coordinator (token, protocol
    /// version); an unreachable or refusing worker is an error naming it.
    pub fn connect(opts: &CoordinatorOptions) -> Result<Coordinator, String> {
        if opts.workers.is_empty() {
            return Err("no distributed workers are given".into());
        }
        let token = AttachToken::new(opts.token.as_deref())?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(opts.workers.len().clamp(2, 8))
            .thread_name("daphne-coordinator")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the coordinator's network threads: {e}"))?;
        let session = new_session_id();
        let workers = rt.block_on(async {
            let mut handles = Vec::new();
            for addr in &opts.workers {
                let (addr, token, tls_ca) = (addr.clone(), token.clone(), opts.tls_ca.clone());
                handles.push(tokio::spawn(async move {
                    let client = transport::connect(&addr, &token, tls_ca.as_deref()).await?;
                    transport::ping(client.clone(), session)
                        .await
                        .map_err(|s| format!("worker `{addr}`: {}{}", transport::describe(&s), first_call_hint(&s)))?;
                    Ok::<Remote, String>(Remote { addr, client, alive: AtomicBool::new(true) })
                }));
            }
            let mut workers = Vec::new();
            for h in handles {
                workers.push(h.await.map_err(|e| format!("connecting failed: {e}"))??);
            }
            Ok::<Vec<Remote>, String>(workers)
        })?;
        let clients: Vec<Client> = workers.iter().map(|w| w.client.clone()).collect();
        let heartbeat = rt.spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tick.tick().await;
                for c in &clients {
                    let _ = transport::ping(c.clone(), session).await;
                }
            }
        });
        Ok(Coordinator {
            rt,
            workers,
            session,
            chunk_bytes: opts.chunk_bytes.clamp(1, MAX_CHUNK_BYTES),
            placements: Mutex::new(Vec::new()),
            garbage: Arc::new(Mutex::new(Vec::new())),
            stats: Counters::default(),
            heartbeat,
        })
    }

    pub fn worker_count(&self) -> usize {
        self.workers.len()
    }

    /// Counts a distributed pipeline that ran on the coordinator.
    pub fn note_local_run(&self) {
        self.stats.local.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stats(&self) -> DistStats {
        let c = &self.stats;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
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
        }
    }

    /// Runs a distributed pipeline: `dist` is the parsed module of its `ir` text. Outputs whose
    /// `keep_remote` entry is set and that are combined by rows stay on the workers.
    pub fn run(
        &self,
        dist: &Module,
        ir: &str,
        inputs: Vec<Input>,
        keep_remote: &[bool],
    ) -> Result<Vec<Outcome>, DistError> {
        self.sweep();
        let (pipe, body) = pipeline_of(dist).ok_or_else(|| internal("the task module has no pipeline"))?;
        let splits = vector::splits(dist, pipe).map_err(internal)?;
        let combines = vector::combines(dist, pipe).map_err(internal)?;
        let Some(plan) = plan(dist, body, &splits, &inputs, self.workers.len()) else {
            return Err(DistError::Execution);
        };
        // Remote inputs not cut the way this pipeline needs come back first.
        let mut local_inputs = Vec::with_capacity(inputs.len());
        for (j, input) in inputs.into_iter().enumerate() {
            local_inputs.push(match input {
                Input::Remote(p) if plan.sends[j] != Delivery::Split || !p.cut_like(&plan.ranges) => {
                    Input::Local(self.fetch(&p)?)
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
        .inspect(|_| {
            self.stats.pipelines.fetch_add(1, Ordering::Relaxed);
        })
    }

    /// The rows of a matrix held by the workers, stacked.
    pub fn fetch(&self, p: &Partitioned) -> Result<Data, DistError> {
        self.retrying(|| {
            let n = p.parts().len();
            let mut ids = Vec::with_capacity(n);
            for i in 0..n {
                let id = self.part_on_live_worker(p, i)?;
                let w = p.parts()[i].worker;
                ids.push((w, id));
            }
            let blocks = self.rt.block_on(self.transfer_all(&ids))?;
            Ok(Data::Matrix(Matrix::Dense(stack(&blocks, false).map_err(internal)?)))
        })
    }

    /// Runs `attempt` until it succeeds, fails for good, or no worker is left. Each repetition
    /// follows the loss of at least one worker, so it ends.
    fn retrying<T>(&self, mut attempt: impl FnMut() -> Result<T, Failure>) -> Result<T, DistError> {
        loop {
            match attempt() {
                Ok(v) => return Ok(v),
                Err(Failure::Error(e)) => return Err(e),
                Err(Failure::Lost(lost)) => self.lose(lost)?,
            }
        }
    }

    /// Drops lost workers; an error when none is left.
    fn lose(&self, lost: Vec<(usize, String)>) -> Result<(), DistError> {
        for (w, why) in &lost {
            if self.workers[*w].alive.swap(false, Ordering::SeqCst) {
                self.stats.lost.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "daphne: worker `{}` was lost ({why}); its partitions run on the other workers",
                    self.workers[*w].addr
                );
            }
        }
        if let Ok(mut placements) = self.placements.lock() {
            placements.retain(|p| self.is_live(p.worker));
        }
        if self.workers.iter().any(|w| w.alive.load(Ordering::SeqCst)) {
            return Ok(());
        }
        let names: Vec<String> = self.workers.iter().map(|w| format!("`{}`", w.addr)).collect();
        let why = lost.last().map_or_else(String::new, |(_, w)| format!(" (last: {w})"));
        Err(DistError::Worker(format!("all distributed workers were lost: {}{why}", names.join(", "))))
    }

    fn is_live(&self, w: usize) -> bool {
        self.workers.get(w).is_some_and(|r| r.alive.load(Ordering::SeqCst))
    }

    /// The worker of partition `i`: worker `i` while it lives, else the next live one.
    fn owner(&self, i: usize) -> Result<usize, Failure> {
        let n = self.workers.len();
        (0..n)
            .map(|k| (i + k) % n)
            .find(|w| self.is_live(*w))
            .ok_or_else(|| Failure::Error(DistError::Worker("no distributed worker is left".into())))
    }

    /// The id of partition `i` of `p` on a live worker, computing it again from its lineage if
    /// its worker was lost.
    fn part_on_live_worker(&self, p: &Partitioned, i: usize) -> Result<u64, Failure> {
        let part = p.parts().get(i).copied().ok_or_else(|| internal("a partition out of range"))?;
        if self.is_live(part.worker) {
            return Ok(part.id);
        }
        let mut done = self.execute(&p.lineage, &[i])?;
        let d = done.pop().ok_or_else(|| internal("a recomputation without a result"))?;
        let out = d.computed.outputs.get(p.output).ok_or_else(|| internal("a recomputation without the output"))?;
        if out.meta.as_ref().map(|m| m.rows) != Some((part.r1 - part.r0) as u64) {
            self.free(d.computed.outputs.iter().filter(|o| o.id != 0).map(|o| (d.worker, o.id)).collect());
            return Err(internal("a recomputed partition has another shape").into());
        }
        let id = out.id;
        let others: Vec<(usize, u64)> =
            d.computed.outputs.iter().filter(|o| o.id != 0 && o.id != id).map(|o| (d.worker, o.id)).collect();
        self.free(others);
        if let Ok(mut parts) = p.parts.lock() {
            parts[i] = Part { worker: d.worker, id, ..part };
        }
        self.stats.recomputed.fetch_add(1, Ordering::Relaxed);
        Ok(id)
    }

    /// Runs the partitions `which` of a job, each on its owner, all at once.
    fn execute(&self, job: &Job, which: &[usize]) -> Result<Vec<Done>, Failure> {
        let mut tasks = Vec::with_capacity(which.len());
        for &i in which {
            let w = self.owner(i)?;
            let (r0, r1) = job.ranges[i];
            let mut args = Vec::with_capacity(job.inputs.len());
            for (j, input) in job.inputs.iter().enumerate() {
                args.push(match input {
                    Input::Remote(p) => Arg::Held(self.part_on_live_worker(p, i)?),
                    Input::Local(d) => self.arg_for(d, job.sends[j], w, r0, r1)?,
                });
            }
            let held = args.iter().filter(|a| matches!(a, Arg::Held(_))).count();
            self.stats.reused.fetch_add(held as u64, Ordering::Relaxed);
            tasks.push((i, w, args));
        }
        self.rt.block_on(self.run_tasks(&job.ir, tasks))
    }

    /// Stores what each task's worker lacks and runs the tasks concurrently.
    async fn run_tasks(&self, ir: &str, tasks: Vec<(usize, usize, Vec<Arg>)>) -> Result<Vec<Done>, Failure> {
        let mut handles = Vec::with_capacity(tasks.len());
        for (i, w, args) in tasks {
            let client = self.workers[w].client.clone();
            let (session, chunk, ir) = (self.session, self.chunk_bytes, ir.to_string());
            handles.push((
                i,
                w,
                tokio::spawn(async move {
                    let mut stored = Vec::new();
                    let mut inputs = Vec::with_capacity(args.len());
                    let mut pending = Vec::new();
                    for (j, a) in args.iter().enumerate() {
                        if let Arg::Store { data, .. } = a {
                            let (client, data) = (client.clone(), data.clone());
                            pending.push((j, tokio::spawn(transport::store(client, session, data, chunk))));
                        }
                        inputs.push(match a {
                            Arg::Held(id) => Some(TaskInput { value: Some(task_input::Value::Object(*id)) }),
                            Arg::Scalar(s) => Some(TaskInput { value: Some(task_input::Value::Scalar(s.clone())) }),
                            Arg::Store { .. } => None,
                        });
                    }
                    let mut failure = None;
                    for (j, h) in pending {
                        match h.await {
                            Ok(Ok((id, bytes))) => {
                                inputs[j] = Some(TaskInput { value: Some(task_input::Value::Object(id)) });
                                if let Arg::Store { data, remember } = &args[j] {
                                    stored.push((data.clone(), id, *remember, bytes));
                                }
                            }
                            Ok(Err(s)) => failure = Some(s),
                            Err(e) => failure = Some(Status::internal(format!("a store task failed: {e}"))),
                        }
                    }
                    if let Some(s) = failure {
                        return (stored, Err(s));
                    }
                    let task =
                        Task { version: PROTOCOL_VERSION, session, ir, inputs: inputs.into_iter().flatten().collect() };
                    (stored, transport::compute(client, task).await)
                }),
            ));
        }
        let mut done = Vec::with_capacity(handles.len());
        let mut statuses = Vec::new();
        for (i, w, h) in handles {
            let (stored, result) = match h.await {
                Ok(r) => r,
                Err(e) => (Vec::new(), Err(Status::internal(format!("a task failed: {e}")))),
            };
            self.remember(w, stored);
            match result {
                Ok(computed) => done.push(Done { range: i, worker: w, computed }),
                Err(s) => statuses.push((w, s)),
            }
        }
        if statuses.is_empty() {
            return Ok(done);
        }
        // Something failed: free this attempt's results, then say why.
        let results: Vec<(usize, u64)> = done
            .iter()
            .flat_map(|d| d.computed.outputs.iter().filter(|o| o.id != 0).map(move |o| (d.worker, o.id)))
            .collect();
        self.free_async(results).await;
        Err(self.classify(statuses).await)
    }

    /// Records what the workers now hold; what was sent for one task only is freed.
    fn remember(&self, w: usize, stored: Vec<(Data, u64, bool, u64)>) {
        let mut temporary = Vec::new();
        if let Ok(mut placements) = self.placements.lock() {
            for (data, id, remember, bytes) in stored {
                self.stats.stored.fetch_add(1, Ordering::Relaxed);
                self.stats.stored_bytes.fetch_add(bytes, Ordering::Relaxed);
                match identity(&data) {
                    Some((buffer, view)) if remember => placements.push(Placement { buffer, view, worker: w, id }),
                    _ => temporary.push((w, id)),
                }
            }
        }
        if !temporary.is_empty() {
            let clients: Vec<_> = temporary.iter().map(|(w, id)| (self.workers[*w].client.clone(), *id)).collect();
            let session = self.session;
            self.rt.spawn(async move {
                for (c, id) in clients {
                    let _ = transport::free(c, session, vec![id], false).await;
                }
            });
        }
    }

    /// What failed calls mean: an error the worker answered with, or lost workers (those that do
    /// not pass a health check).
    async fn classify(&self, statuses: Vec<(usize, Status)>) -> Failure {
        let mut lost = Vec::new();
        let mut execution = false;
        for (w, s) in statuses {
            if s.code() == Code::Aborted {
                execution = true;
            } else if transport::is_answer(&s) {
                return Failure::Error(DistError::Worker(format!(
                    "worker `{}` failed: {}",
                    self.workers[w].addr,
                    transport::describe(&s)
                )));
            } else if transport::ping(self.workers[w].client.clone(), self.session).await.is_err() {
                lost.push((w, transport::describe(&s)));
            } else {
                return Failure::Error(DistError::Worker(format!(
                    "worker `{}` failed: {}",
                    self.workers[w].addr,
                    transport::describe(&s)
                )));
            }
        }
        if execution { Failure::Error(DistError::Execution) } else { Failure::Lost(lost) }
    }

    fn arg_for(&self, data: &Data, send: Delivery, w: usize, r0: usize, r1: usize) -> Result<Arg, Failure> {
        if send == Delivery::Inline {
            return match data {
                Data::Scalar(s) => Ok(Arg::Scalar(proto::Scalar::from(s))),
                other => Err(internal(format!("a {} cannot be sent inline", other.kind())).into()),
            };
        }
        let part = match (send, data) {
            (Delivery::Split, Data::Matrix(m)) => Data::Matrix(m.slice_rows(r0, r1)),
            (Delivery::Split, other) => {
                return Err(internal(format!("a {} cannot be split by rows", other.kind())).into());
            }
            _ => data.clone(),
        };
        let Some((buffer, view)) = identity(&part) else {
            return Ok(Arg::Store { data: part, remember: false });
        };
        let placements = self.placements.lock().map_err(|_| internal("the placement table is unusable"))?;
        let held = placements
            .iter()
            .find(|p| p.worker == w && p.view == view && p.is_alive() && Weak::ptr_eq(&p.buffer, &buffer));
        Ok(match held {
            Some(p) => Arg::Held(p.id),
            None => Arg::Store { data: part, remember: true },
        })
    }

    /// Combines the partitions' outputs.
    fn combine(&self, job: &Arc<Job>, mut done: Vec<Done>, keep_remote: &[bool]) -> Result<Vec<Outcome>, Failure> {
        done.sort_by_key(|d| d.range);
        let combines = &job.combines;
        let all_ids: Vec<(usize, u64)> = done
            .iter()
            .flat_map(|d| d.computed.outputs.iter().filter(|o| o.id != 0).map(move |o| (d.worker, o.id)))
            .collect();
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
        match self.combine_outputs(job, &done, keep_remote) {
            Ok(outcomes) => Ok(outcomes),
            Err(f) => {
                self.free(all_ids);
                Err(f)
            }
        }
    }

    fn combine_outputs(&self, job: &Arc<Job>, done: &[Done], keep_remote: &[bool]) -> Result<Vec<Outcome>, Failure> {
        let mut outcomes = Vec::with_capacity(job.combines.len());
        let mut to_free = Vec::new();
        let mut keep = Vec::new();
        // Everything not kept on the workers comes back at once.
        let mut wanted = Vec::new();
        for (j, &c) in job.combines.iter().enumerate() {
            if c == Combine::Rows && keep_remote.get(j).copied().unwrap_or(false) {
                continue;
            }
            for d in done {
                let o = &d.computed.outputs[j];
                if o.scalar.is_none() {
                    wanted.push((d.worker, o.id));
                }
            }
        }
        let mut fetched = self.rt.block_on(self.transfer_all(&wanted))?.into_iter();
        for (j, &c) in job.combines.iter().enumerate() {
            let parts: Vec<Part> = done
                .iter()
                .map(|d| {
                    let (r0, r1) = job.ranges[d.range];
                    Part { worker: d.worker, id: d.computed.outputs[j].id, r0, r1 }
                })
                .collect();
            if c == Combine::Rows && keep_remote.get(j).copied().unwrap_or(false) {
                self.stats.kept.fetch_add(1, Ordering::Relaxed);
                outcomes.push(Outcome::Remote(Arc::new(Partitioned {
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
                        crate::elem::Scalar::try_from(s)
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
                        keep.push((stacked.clone(), parts));
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
            outcomes.push(Outcome::Local(result));
        }
        if let Ok(mut placements) = self.placements.lock() {
            for (d, parts) in keep {
                if let Data::Matrix(m) = &d {
                    for p in parts {
                        let (buffer, view) = m.slice_rows(p.r0, p.r1).view_identity();
                        placements.push(Placement { buffer, view, worker: p.worker, id: p.id });
                    }
                }
            }
        }
        self.free(to_free);
        Ok(outcomes)
    }

    /// Fetches objects from their workers, all at once.
    async fn transfer_all(&self, ids: &[(usize, u64)]) -> Result<Vec<Dense>, Failure> {
        let mut handles = Vec::with_capacity(ids.len());
        for &(w, id) in ids {
            let client = self.workers[w].client.clone();
            let (session, chunk) = (self.session, self.chunk_bytes);
            handles.push((w, tokio::spawn(transport::transfer(client, session, id, chunk))));
        }
        let mut out = Vec::with_capacity(ids.len());
        let mut statuses = Vec::new();
        for (w, h) in handles {
            match h.await {
                Ok(Ok((Data::Matrix(m), bytes))) => {
                    self.stats.fetched.fetch_add(1, Ordering::Relaxed);
                    self.stats.fetched_bytes.fetch_add(bytes, Ordering::Relaxed);
                    out.push(m.into_dense());
                }
                Ok(Ok((other, _))) => {
                    let addr = &self.workers[w].addr;
                    return Err(
                        DistError::Worker(format!("worker `{addr}` sent a {} for a matrix", other.kind())).into()
                    );
                }
                Ok(Err(s)) => statuses.push((w, s)),
                Err(e) => statuses.push((w, Status::internal(format!("a transfer failed: {e}")))),
            }
        }
        if statuses.is_empty() { Ok(out) } else { Err(self.classify(statuses).await) }
    }

    /// Frees objects that nothing references any more: dropped partitioned results and
    /// placements whose coordinator-side data is gone.
    fn sweep(&self) {
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

    fn free(&self, ids: Vec<(usize, u64)>) {
        if !ids.is_empty() {
            self.rt.block_on(self.free_async(ids));
        }
    }

    /// Frees objects on their (live) workers. A worker that cannot be told loses nothing but
    /// memory, and frees the session when the coordinator ends or goes silent; so failures are
    /// not errors.
    async fn free_async(&self, ids: Vec<(usize, u64)>) {
        let mut handles = Vec::new();
        for (w, remote) in self.workers.iter().enumerate() {
            let mine: Vec<u64> = ids.iter().filter(|(x, _)| *x == w).map(|(_, id)| *id).collect();
            if mine.is_empty() || !self.is_live(w) {
                continue;
            }
            handles.push(tokio::spawn(transport::free(remote.client.clone(), self.session, mine, false)));
        }
        for h in handles {
            let _ = h.await;
        }
    }
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        self.heartbeat.abort();
        let session = self.session;
        let clients: Vec<Client> =
            self.workers.iter().filter(|r| r.alive.load(Ordering::SeqCst)).map(|r| r.client.clone()).collect();
        self.rt.block_on(async move {
            let mut handles = Vec::new();
            for client in clients {
                handles.push(tokio::spawn(transport::free(client, session, vec![], true)));
            }
            for h in handles {
                let _ = h.await;
            }
        });
    }
}

fn internal(message: impl Into<String>) -> DistError {
    DistError::Worker(format!("internal error in the coordinator: {}", message.into()))
}

fn new_session_id() -> u64 {
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

/// The identity of data sent to a worker (frames have none: they are sent every time).
fn identity(d: &Data) -> Option<(Weak<dyn Any + Send + Sync>, [usize; 5])> {
    match d {
        Data::Matrix(m) => Some(m.view_identity()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_lists_are_trimmed_and_validated() {
        assert_eq!(
            parse_worker_list(" 127.0.0.1:5000 , localhost:5001").unwrap(),
            vec!["127.0.0.1:5000".to_string(), "localhost:5001".to_string()]
        );
        assert!(parse_worker_list("").unwrap_err().contains("empty"));
        assert!(parse_worker_list("a:1,,b:2").unwrap_err().contains("empty entry"));
        assert!(parse_worker_list("127.0.0.1").unwrap_err().contains("host:port"));
        assert!(parse_worker_list("h:99999").unwrap_err().contains("host:port"));
        assert!(parse_worker_list("h:0").unwrap_err().contains("host:port"));
    }
}
