//! The coordinator side of distribution (`daphne --distributed`): connects to `DistributedWorker`s,
//! sends the row blocks of a distributed pipeline's inputs (remembering what each worker already
//! holds, so nothing is sent twice), runs the pipeline on all workers at once and combines their
//! partial results (`Rows`/`Cols` stacked in worker order, `Add`/`Min`/`Max` reduced in worker
//! order). A row-combined result that only later pipelines read stays on the workers as a
//! [`Partitioned`] object instead of coming back. Every object a worker holds for this coordinator
//! is freed as soon as nothing references it any more, and all of them when the coordinator ends.

use super::proto::worker_client::WorkerClient;
use super::proto::{
    self, Computed, FreeRequest, PROTOCOL_VERSION, StoreChunk, Task, TaskInput, TransferRequest, task_input,
};
use super::wire;
use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::kernels::ewise::{self, BinOp};
use crate::matrix::{Dense, DenseElem, Matrix};
use crate::with_dense;
use daphne_ir::vector::{self, Combine, Split};
use daphne_ir::{Module, Op, OpKind};
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

/// Bytes per message of `Store` and `Transfer` unless `--max-distr-chunk-size` says otherwise.
pub const DEFAULT_CHUNK_BYTES: usize = 4 << 20;
/// Largest chunk a coordinator sends (the workers accept messages up to 1 GiB).
const MAX_CHUNK_BYTES: usize = 256 << 20;
/// Largest gRPC message the coordinator accepts.
const MAX_MESSAGE_BYTES: usize = 1 << 30;
/// How long connecting to a worker may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of a coordinator.
#[derive(Clone, Debug)]
pub struct CoordinatorOptions {
    /// The workers' `host:port` addresses.
    pub workers: Vec<String>,
    /// Largest message of `Store`/`Transfer` in bytes (`--max-distr-chunk-size`).
    pub chunk_bytes: usize,
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

/// One connected worker.
struct Remote {
    addr: String,
    client: WorkerClient<Channel>,
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

/// A matrix whose row blocks live on the workers (the result of a row-combined output that only
/// pipelines read). Dropping it frees the blocks.
pub struct Partitioned {
    rows: usize,
    parts: Vec<Part>,
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
}

impl Drop for Partitioned {
    fn drop(&mut self) {
        if let Ok(mut g) = self.garbage.lock() {
            g.extend(self.parts.iter().map(|p| (p.worker, p.id)));
        }
    }
}

/// An input of a distributed pipeline.
pub enum Input {
    Local(Data),
    Remote(Arc<Partitioned>),
}

/// An output of a distributed pipeline.
pub enum Outcome {
    Local(Data),
    Remote(Arc<Partitioned>),
}

/// How one input reaches the workers.
#[derive(Clone, Copy, PartialEq)]
enum Delivery {
    Inline,
    Split,
    Broadcast,
}

/// How a pipeline is cut over the workers.
struct Plan {
    /// Per used worker, its row range.
    ranges: Vec<(usize, usize)>,
    sends: Vec<Delivery>,
}

/// What a worker's task needs: per input either an id it already holds or data to store first.
enum Arg {
    Held(u64),
    Store { data: Data, remember: bool },
    Scalar(proto::Scalar),
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
}

impl std::fmt::Display for DistStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pipelines on workers, {} on the coordinator; sent {} objects ({} bytes), reused {}; fetched {} objects ({} bytes); kept {} results on the workers",
            self.pipelines,
            self.local,
            self.stored,
            self.stored_bytes,
            self.reused,
            self.fetched,
            self.fetched_bytes,
            self.kept
        )
    }
}

/// Why a distributed pipeline did not produce results.
#[derive(Debug)]
pub enum DistError {
    /// The pipeline failed on a worker the way it fails locally (an execution error in a kernel):
    /// running it locally reproduces the exact error.
    Execution,
    /// A worker could not be reached or broke the protocol.
    Worker(String),
}

fn worker_error(addr: &str, s: &Status) -> DistError {
    DistError::Worker(format!("worker `{addr}` failed: {}", describe_status(s)))
}

fn describe_status(s: &Status) -> String {
    match s.code() {
        Code::Unavailable => format!("it is unreachable ({})", s.message()),
        Code::DeadlineExceeded => "it did not answer in time".into(),
        _ => format!("{:?}: {}", s.code(), s.message()),
    }
}

impl Coordinator {
    /// Connects to every worker; an unreachable worker is an error naming it.
    pub fn connect(opts: &CoordinatorOptions) -> Result<Coordinator, String> {
        if opts.workers.is_empty() {
            return Err("no distributed workers are given".into());
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(opts.workers.len().clamp(2, 8))
            .thread_name("daphne-coordinator")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the coordinator's network threads: {e}"))?;
        let workers = rt.block_on(async {
            let mut handles = Vec::new();
            for addr in &opts.workers {
                let addr = addr.clone();
                handles.push(tokio::spawn(async move {
                    let endpoint = Endpoint::from_shared(format!("http://{addr}"))
                        .map_err(|e| format!("the worker address `{addr}` is invalid: {e}"))?
                        .connect_timeout(CONNECT_TIMEOUT)
                        .tcp_nodelay(true);
                    let channel = endpoint
                        .connect()
                        .await
                        .map_err(|e| format!("cannot connect to worker `{addr}`: {}", source_chain(&e)))?;
                    let client = WorkerClient::new(channel)
                        .max_decoding_message_size(MAX_MESSAGE_BYTES)
                        .max_encoding_message_size(MAX_MESSAGE_BYTES);
                    Ok::<Remote, String>(Remote { addr, client })
                }));
            }
            let mut workers = Vec::new();
            for h in handles {
                workers.push(h.await.map_err(|e| format!("connecting failed: {e}"))??);
            }
            Ok::<Vec<Remote>, String>(workers)
        })?;
        Ok(Coordinator {
            rt,
            workers,
            session: new_session_id(),
            chunk_bytes: opts.chunk_bytes.clamp(1, MAX_CHUNK_BYTES),
            placements: Mutex::new(Vec::new()),
            garbage: Arc::new(Mutex::new(Vec::new())),
            stats: Counters::default(),
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
        let Some(plan) = self.plan(dist, body, &splits, &inputs) else {
            return Err(DistError::Execution);
        };
        // Remote inputs not cut the way this pipeline needs come back first.
        let mut inputs = inputs;
        for (j, input) in inputs.iter_mut().enumerate() {
            if let Input::Remote(p) = input {
                let matches = plan.sends[j] == Delivery::Split
                    && p.parts.len() == plan.ranges.len()
                    && p.parts
                        .iter()
                        .zip(&plan.ranges)
                        .enumerate()
                        .all(|(w, (part, r))| part.worker == w && (part.r0, part.r1) == *r);
                if !matches {
                    *input = Input::Local(self.fetch(p)?);
                }
            }
        }
        let mut tasks: Vec<Vec<Arg>> = Vec::with_capacity(plan.ranges.len());
        {
            let placements = self.placements.lock().map_err(|_| internal("the placement table is unusable"))?;
            for (w, &(r0, r1)) in plan.ranges.iter().enumerate() {
                let args = inputs
                    .iter()
                    .zip(&plan.sends)
                    .map(|(input, send)| arg_for(&placements, w, input, *send, r0, r1))
                    .collect::<Result<Vec<Arg>, DistError>>()?;
                let held = args.iter().filter(|a| matches!(a, Arg::Held(_))).count();
                self.stats.reused.fetch_add(held as u64, Ordering::Relaxed);
                tasks.push(args);
            }
        }
        let computed = self.rt.block_on(self.compute_all(ir, tasks))?;
        // Remember what the workers now hold; free what was sent for this task only.
        let mut temporary = Vec::new();
        let mut outputs_per_worker = Vec::with_capacity(computed.len());
        {
            let mut placements = self.placements.lock().map_err(|_| internal("the placement table is unusable"))?;
            for (w, (stored, outs)) in computed.into_iter().enumerate() {
                for (data, id, remember) in stored {
                    match identity(&data) {
                        Some((buffer, view)) if remember => placements.push(Placement { buffer, view, worker: w, id }),
                        _ => temporary.push((w, id)),
                    }
                }
                outputs_per_worker.push(outs);
            }
        }
        self.free(temporary);
        let outcomes = self.combine(&plan, &combines, outputs_per_worker, keep_remote)?;
        self.stats.pipelines.fetch_add(1, Ordering::Relaxed);
        Ok(outcomes)
    }

    /// The rows of a matrix held by the workers, stacked.
    pub fn fetch(&self, p: &Partitioned) -> Result<Data, DistError> {
        let ids: Vec<(usize, u64)> = p.parts.iter().map(|part| (part.worker, part.id)).collect();
        let blocks = self.rt.block_on(self.transfer_all(&ids))?;
        Ok(Data::Matrix(Matrix::Dense(stack(&blocks, false).map_err(internal)?)))
    }

    fn plan(&self, m: &Module, body: daphne_ir::Block, splits: &[Split], inputs: &[Input]) -> Option<Plan> {
        let args = m.block_args(body);
        if splits.len() != inputs.len() || args.len() != inputs.len() {
            return None;
        }
        let rows_of = |input: &Input| match input {
            Input::Local(Data::Matrix(mat)) => Some(mat.rows()),
            Input::Remote(p) => Some(p.rows),
            _ => None,
        };
        let mut main_rows: Option<usize> = None;
        let mut max_rows = 0;
        for (j, split) in splits.iter().enumerate() {
            if *split != Split::Rows {
                continue;
            }
            let rows = rows_of(&inputs[j])?;
            max_rows = max_rows.max(rows);
            if !vector::broadcastable(m, body, args[j]) {
                match main_rows {
                    Some(r) if r != rows => return None,
                    _ => main_rows = Some(rows),
                }
            }
        }
        let len = main_rows.unwrap_or(max_rows);
        if len == 0 {
            return None;
        }
        let mut sends = Vec::with_capacity(inputs.len());
        for (j, split) in splits.iter().enumerate() {
            let send = match (split, &inputs[j]) {
                (_, Input::Local(Data::Scalar(_))) => Delivery::Inline,
                (Split::Rows, input) if rows_of(input) == Some(len) => Delivery::Split,
                (Split::Rows, input) if rows_of(input) == Some(1) => Delivery::Broadcast,
                (Split::Rows, _) => return None,
                (Split::None, Input::Local(Data::Matrix(_) | Data::Frame(_)) | Input::Remote(_)) => Delivery::Broadcast,
                (Split::None, _) => return None,
            };
            sends.push(send);
        }
        let used = self.workers.len().min(len);
        let (base, extra) = (len / used, len % used);
        let mut ranges = Vec::with_capacity(used);
        let mut r0 = 0;
        for w in 0..used {
            let r1 = r0 + base + usize::from(w < extra);
            ranges.push((r0, r1));
            r0 = r1;
        }
        Some(Plan { ranges, sends })
    }

    /// Stores what each worker lacks and runs the task on all of them at once. Returns per worker
    /// the objects stored (with whether to remember them) and the task's outputs.
    async fn compute_all(
        &self,
        ir: &str,
        tasks: Vec<Vec<Arg>>,
    ) -> Result<Vec<(Vec<(Data, u64, bool)>, Computed)>, DistError> {
        let mut handles = Vec::with_capacity(tasks.len());
        for (w, args) in tasks.into_iter().enumerate() {
            let client = self.workers[w].client.clone();
            let addr = self.workers[w].addr.clone();
            let (session, chunk, ir) = (self.session, self.chunk_bytes, ir.to_string());
            handles.push(tokio::spawn(async move {
                let mut stores = Vec::new();
                for (j, a) in args.iter().enumerate() {
                    if let Arg::Store { data, .. } = a {
                        let (client, data) = (client.clone(), data.clone());
                        stores.push((j, tokio::spawn(async move { store(client, session, data, chunk).await })));
                    }
                }
                let mut inputs: Vec<Option<TaskInput>> = args
                    .iter()
                    .map(|a| match a {
                        Arg::Held(id) => Some(TaskInput { value: Some(task_input::Value::Object(*id)) }),
                        Arg::Scalar(s) => Some(TaskInput { value: Some(task_input::Value::Scalar(s.clone())) }),
                        Arg::Store { .. } => None,
                    })
                    .collect();
                let mut stored = Vec::new();
                let mut stats = (0u64, 0u64);
                let mut failure = None;
                for (j, h) in stores {
                    match h.await {
                        Ok(Ok((id, bytes))) => {
                            stats.0 += 1;
                            stats.1 += bytes;
                            inputs[j] = Some(TaskInput { value: Some(task_input::Value::Object(id)) });
                            if let Arg::Store { data, remember } = &args[j] {
                                stored.push((data.clone(), id, *remember));
                            }
                        }
                        Ok(Err(s)) => failure = Some(worker_error(&addr, &s)),
                        Err(e) => failure = Some(DistError::Worker(format!("storing on worker `{addr}` failed: {e}"))),
                    }
                }
                if let Some(f) = failure {
                    return (stored, stats, Err(f));
                }
                let task =
                    Task { version: PROTOCOL_VERSION, session, ir, inputs: inputs.into_iter().flatten().collect() };
                let mut client = client;
                let result = match client.compute(task).await {
                    Ok(r) => Ok(r.into_inner()),
                    Err(s) if s.code() == Code::Aborted => Err(DistError::Execution),
                    Err(s) => Err(worker_error(&addr, &s)),
                };
                (stored, stats, result)
            }));
        }
        let mut results = Vec::with_capacity(handles.len());
        let mut failure = None;
        let mut cleanup = Vec::new();
        for (w, h) in handles.into_iter().enumerate() {
            let outcome = h.await.map(|(stored, (n, bytes), result)| {
                self.stats.stored.fetch_add(n, Ordering::Relaxed);
                self.stats.stored_bytes.fetch_add(bytes, Ordering::Relaxed);
                (stored, result)
            });
            match outcome {
                Ok((stored, Ok(computed))) => results.push((stored, computed)),
                Ok((stored, Err(e))) => {
                    cleanup.extend(stored.iter().map(|(_, id, _)| (w, *id)));
                    failure.get_or_insert(e);
                }
                Err(e) => {
                    failure.get_or_insert(DistError::Worker(format!(
                        "a task on worker `{}` failed: {e}",
                        self.workers[w].addr
                    )));
                }
            }
        }
        if let Some(f) = failure {
            for (w, (stored, computed)) in results.into_iter().enumerate() {
                cleanup.extend(stored.iter().map(|(_, id, _)| (w, *id)));
                cleanup.extend(computed.outputs.iter().filter(|o| o.id != 0).map(|o| (w, o.id)));
            }
            // Only objects of this task: the workers' other objects stay valid.
            self.free_async(cleanup).await;
            return Err(f);
        }
        Ok(results)
    }

    /// Combines the workers' outputs.
    fn combine(
        &self,
        plan: &Plan,
        combines: &[Combine],
        per_worker: Vec<Computed>,
        keep_remote: &[bool],
    ) -> Result<Vec<Outcome>, DistError> {
        let n_out = combines.len();
        let fits = per_worker.iter().zip(&plan.ranges).all(|(c, &(r0, r1))| {
            c.outputs.len() == n_out
                && c.outputs.iter().zip(combines).all(|(o, comb)| match (comb, &o.meta) {
                    (Combine::Rows, Some(meta)) => o.scalar.is_none() && meta.rows == (r1 - r0) as u64,
                    (Combine::Cols, Some(meta)) => o.scalar.is_none() && meta.cols == (r1 - r0) as u64,
                    (Combine::Add | Combine::Min | Combine::Max, _) => true,
                    _ => false,
                })
        });
        let all_ids: Vec<(usize, u64)> = per_worker
            .iter()
            .enumerate()
            .flat_map(|(w, c)| c.outputs.iter().filter(|o| o.id != 0).map(move |o| (w, o.id)))
            .collect();
        if !fits {
            self.free(all_ids);
            return Err(DistError::Execution);
        }
        let mut outcomes = Vec::with_capacity(n_out);
        let mut to_free = Vec::new();
        let mut keep = Vec::new();
        for (j, &c) in combines.iter().enumerate() {
            let parts: Vec<Part> = per_worker
                .iter()
                .zip(&plan.ranges)
                .enumerate()
                .map(|(w, (comp, &(r0, r1)))| Part { worker: w, id: comp.outputs[j].id, r0, r1 })
                .collect();
            if c == Combine::Rows && keep_remote.get(j).copied().unwrap_or(false) {
                let rows = plan.ranges.last().map_or(0, |r| r.1);
                self.stats.kept.fetch_add(1, Ordering::Relaxed);
                outcomes.push(Outcome::Remote(Arc::new(Partitioned {
                    rows,
                    parts,
                    garbage: Arc::clone(&self.garbage),
                })));
                continue;
            }
            // Scalars came inline; everything else comes back.
            let mut values: Vec<Option<Data>> = per_worker
                .iter()
                .map(|comp| {
                    comp.outputs[j]
                        .scalar
                        .as_ref()
                        .map(|s| crate::elem::Scalar::try_from(s).map(Data::Scalar))
                        .transpose()
                })
                .collect::<Result<_, String>>()
                .map_err(|e| DistError::Worker(format!("a worker sent a malformed scalar: {e}")))?;
            let wanted: Vec<(usize, u64)> =
                parts.iter().filter(|p| values[p.worker].is_none()).map(|p| (p.worker, p.id)).collect();
            let fetched = self.rt.block_on(self.transfer_all(&wanted))?;
            for ((w, _), d) in wanted.iter().zip(fetched) {
                values[*w] = Some(Data::Matrix(Matrix::Dense(d)));
            }
            let values: Vec<Data> = values.into_iter().flatten().collect();
            let result = match c {
                Combine::Rows | Combine::Cols => {
                    let blocks: Vec<Dense> = values
                        .into_iter()
                        .map(|d| match d {
                            Data::Matrix(m) => Ok(m.into_dense()),
                            other => Err(internal(format!("a row block is a {}", other.kind()))),
                        })
                        .collect::<Result<_, _>>()?;
                    let stacked = Data::Matrix(Matrix::Dense(stack(&blocks, c == Combine::Cols).map_err(internal)?));
                    if c == Combine::Rows {
                        // The workers keep their blocks: the next pipeline reading them sends nothing.
                        keep.push((stacked.clone(), parts.clone()));
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

    async fn transfer_all(&self, ids: &[(usize, u64)]) -> Result<Vec<Dense>, DistError> {
        let mut handles = Vec::with_capacity(ids.len());
        for &(w, id) in ids {
            let client = self.workers[w].client.clone();
            let (session, chunk) = (self.session, self.chunk_bytes);
            handles.push(tokio::spawn(async move { transfer(client, session, id, chunk).await }));
            self.stats.fetched.fetch_add(1, Ordering::Relaxed);
        }
        let mut out = Vec::with_capacity(ids.len());
        for (h, &(w, _)) in handles.into_iter().zip(ids) {
            let addr = &self.workers[w].addr;
            let (d, bytes) = h
                .await
                .map_err(|e| DistError::Worker(format!("fetching from worker `{addr}` failed: {e}")))?
                .map_err(|s| worker_error(addr, &s))?;
            self.stats.fetched_bytes.fetch_add(bytes, Ordering::Relaxed);
            match d {
                Data::Matrix(m) => out.push(m.into_dense()),
                other => {
                    return Err(DistError::Worker(format!("worker `{addr}` sent a {} for a matrix", other.kind())));
                }
            }
        }
        Ok(out)
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

    /// Frees objects on their workers. A worker that cannot be told loses nothing but memory,
    /// and ends the session's objects when the coordinator ends; so failures are not errors.
    async fn free_async(&self, ids: Vec<(usize, u64)>) {
        let mut handles = Vec::new();
        for (w, remote) in self.workers.iter().enumerate() {
            let mine: Vec<u64> = ids.iter().filter(|(x, _)| *x == w).map(|(_, id)| *id).collect();
            if mine.is_empty() {
                continue;
            }
            let mut client = remote.client.clone();
            let req = FreeRequest { version: PROTOCOL_VERSION, session: self.session, ids: mine, all: false };
            handles.push(tokio::spawn(async move { client.free_mem(req).await }));
        }
        for h in handles {
            let _ = h.await;
        }
    }

    /// Objects the workers hold for this coordinator (for tests and `--explain`-like reports).
    pub fn held_objects(&self) -> usize {
        self.placements.lock().map_or(0, |p| p.len())
    }
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        let session = self.session;
        let clients: Vec<WorkerClient<Channel>> = self.workers.iter().map(|r| r.client.clone()).collect();
        self.rt.block_on(async move {
            let mut handles = Vec::new();
            for mut client in clients {
                let req = FreeRequest { version: PROTOCOL_VERSION, session, ids: vec![], all: true };
                handles.push(tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(5), client.free_mem(req)).await;
                }));
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

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

fn new_session_id() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut x = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9E37_79B9_7F4A_7C15;
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

fn arg_for(
    placements: &[Placement],
    w: usize,
    input: &Input,
    send: Delivery,
    r0: usize,
    r1: usize,
) -> Result<Arg, DistError> {
    let data = match input {
        Input::Remote(p) => return Ok(Arg::Held(p.parts[w].id)),
        Input::Local(d) => d,
    };
    if send == Delivery::Inline {
        return match data {
            Data::Scalar(s) => Ok(Arg::Scalar(proto::Scalar::from(s))),
            other => Err(internal(format!("a {} cannot be sent inline", other.kind()))),
        };
    }
    let part = match (send, data) {
        (Delivery::Split, Data::Matrix(m)) => Data::Matrix(m.slice_rows(r0, r1)),
        (Delivery::Split, other) => return Err(internal(format!("a {} cannot be split by rows", other.kind()))),
        _ => data.clone(),
    };
    if let Some((buffer, view)) = identity(&part) {
        let held = placements
            .iter()
            .find(|p| p.worker == w && p.view == view && p.is_alive() && Weak::ptr_eq(&p.buffer, &buffer));
        if let Some(p) = held {
            return Ok(Arg::Held(p.id));
        }
        return Ok(Arg::Store { data: part, remember: true });
    }
    Ok(Arg::Store { data: part, remember: false })
}

async fn store(
    mut client: WorkerClient<Channel>,
    session: u64,
    data: Data,
    chunk: usize,
) -> Result<(u64, u64), Status> {
    let (meta, payload) = tokio::task::spawn_blocking(move || wire::encode(&data))
        .await
        .map_err(|e| Status::internal(format!("encoding failed: {e}")))?
        .map_err(Status::invalid_argument)?;
    let payload = Arc::new(payload);
    let bytes = payload.len() as u64;
    let n = payload.len().div_ceil(chunk).max(1);
    let messages = (0..n).map(move |i| {
        let (a, b) = ((i * chunk).min(payload.len()), ((i + 1) * chunk).min(payload.len()));
        StoreChunk {
            version: PROTOCOL_VERSION,
            session,
            meta: if i == 0 { Some(meta.clone()) } else { None },
            data: payload[a..b].to_vec(),
        }
    });
    Ok((client.store(tokio_stream::iter(messages)).await?.into_inner().id, bytes))
}

async fn transfer(
    mut client: WorkerClient<Channel>,
    session: u64,
    id: u64,
    chunk: usize,
) -> Result<(Data, u64), Status> {
    let req = TransferRequest { version: PROTOCOL_VERSION, session, id, chunk_bytes: chunk as u64 };
    let mut stream = client.transfer(req).await?.into_inner();
    let first = stream.message().await?.ok_or_else(|| Status::data_loss("the worker sent no data"))?;
    let meta = first.meta.ok_or_else(|| Status::data_loss("the worker's first chunk has no header"))?;
    let expected =
        usize::try_from(meta.payload_bytes).map_err(|_| Status::data_loss("the object does not fit this machine"))?;
    let mut payload = Vec::with_capacity(expected.min(MAX_MESSAGE_BYTES));
    payload.extend_from_slice(&first.data);
    while let Some(c) = stream.message().await? {
        if payload.len() + c.data.len() > expected {
            return Err(Status::data_loss("the worker sent more bytes than announced"));
        }
        payload.extend_from_slice(&c.data);
    }
    let bytes = payload.len() as u64;
    let d = tokio::task::spawn_blocking(move || wire::decode(&meta, &payload))
        .await
        .map_err(|e| Status::internal(format!("decoding failed: {e}")))?
        .map_err(Status::data_loss)?;
    Ok((d, bytes))
}

/// Stacks blocks vertically (`cols` false) or side by side, in order, in the first block's type.
fn stack(blocks: &[Dense], cols: bool) -> Result<Dense, String> {
    let first = blocks.first().ok_or("nothing to stack")?;
    let vt = first.vt();
    let cast: Vec<std::borrow::Cow<'_, Dense>> = blocks
        .iter()
        .map(|b| if b.vt() == vt { Ok(std::borrow::Cow::Borrowed(b)) } else { b.cast(vt).map(std::borrow::Cow::Owned) })
        .collect::<Result<_, String>>()?;
    with_dense!(first, f => stack_typed(f, &cast, cols))
}

fn stack_typed<T: DenseElem>(
    first: &DenseMatrix<T>,
    blocks: &[std::borrow::Cow<'_, Dense>],
    cols: bool,
) -> Result<Dense, String> {
    let _ = first;
    let typed: Vec<&DenseMatrix<T>> =
        blocks.iter().map(|b| T::unwrap(b).ok_or("blocks of different types")).collect::<Result<_, _>>()?;
    if cols {
        let rows = typed[0].rows();
        if typed.iter().any(|t| t.rows() != rows) {
            return Err("column blocks with different row counts".into());
        }
        let total: usize = typed.iter().map(|t| t.cols()).sum();
        let mut v = Vec::with_capacity(rows * total);
        for r in 0..rows {
            for t in &typed {
                v.extend_from_slice(t.row(r));
            }
        }
        Ok(T::wrap(DenseMatrix::from_vec(rows, total, v)))
    } else {
        let ncols = typed[0].cols();
        if typed.iter().any(|t| t.cols() != ncols) {
            return Err("row blocks with different column counts".into());
        }
        let total: usize = typed.iter().map(|t| t.rows()).sum();
        let mut v = Vec::with_capacity(total * ncols);
        for t in &typed {
            match t.as_slice() {
                Some(s) => v.extend_from_slice(s),
                None => v.extend(t.iter().cloned()),
            }
        }
        Ok(T::wrap(DenseMatrix::from_vec(total, ncols, v)))
    }
}

/// Reduces two partial results of a reduction output, as the local engine does.
fn reduce(a: Data, b: &Data, c: Combine) -> Result<Data, String> {
    let op = match c {
        Combine::Add => BinOp::Add,
        Combine::Min => BinOp::Min,
        Combine::Max => BinOp::Max,
        Combine::Rows | Combine::Cols => return Err("rows and columns are placed, not reduced".into()),
    };
    let vt = a.value_type().ok_or_else(|| format!("cannot reduce a {}", a.kind()))?;
    ewise::binary(op, &a, b, vt)
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

    #[test]
    fn blocks_stack_in_order() {
        let a = Dense::F64(DenseMatrix::from_vec(1, 2, vec![1.0, 2.0]));
        let b = Dense::F64(DenseMatrix::from_vec(2, 2, vec![3.0, 4.0, 5.0, 6.0]));
        let rows = stack(&[a.clone(), b], false).unwrap();
        assert_eq!(rows, Dense::F64(DenseMatrix::from_vec(3, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])));
        let c = Dense::SI64(DenseMatrix::from_vec(1, 1, vec![7]));
        let cols = stack(&[a, c], true).unwrap();
        assert_eq!(cols, Dense::F64(DenseMatrix::from_vec(1, 3, vec![1.0, 2.0, 7.0])));
    }
}
