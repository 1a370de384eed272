//! The worker side of the protocol: a tonic service that stores objects per coordinator session,
//! runs the IR functions coordinators send over them (parsed and verified first: the text comes
//! from the network) on the local vectorized engine, and streams objects back. Compute never runs
//! on the async runtime's threads: decoding, execution and encoding go to blocking threads.
//! Every malformed request gets an error status; the worker keeps serving.
//!
//! Limits: objects are accounted by their approximate size in memory; a `Store` or `Compute`
//! whose objects would exceed the worker's memory limit fails with `RESOURCE_EXHAUSTED` and keeps
//! nothing. A session that makes no call for the session timeout (its coordinator is gone: a live
//! coordinator touches its sessions every few seconds) is freed.

use super::proto::worker_server::Worker;
use super::proto::{
    self, Computed, DataChunk, FreeRequest, Freed, ObjectMeta, Output, PROTOCOL_VERSION, StoreChunk, Stored, Task,
    TransferRequest, task_input,
};
use super::wire;
use crate::data::Data;
use crate::vectorized::Engine;
use crate::exec::{ExecOptions, Executor, Output as ExecOutput};
use daphne_ir::{Module, parse_module, verify};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

/// Chunk size of `Transfer` when the request names none.
pub const DEFAULT_CHUNK_BYTES: usize = 1 << 20;
/// How many parsed task modules a worker keeps (the same pipeline runs again in loops).
const MODULE_CACHE: usize = 64;

/// A worker's limits.
#[derive(Clone, Debug)]
pub struct WorkerLimits {
    /// Bytes of objects the worker may hold at once (over all sessions); `None`: no limit.
    pub memory_bytes: Option<u64>,
    /// How long a session may stay without calls before its objects are freed.
    pub session_timeout: Duration,
}

/// Sessions are freed after this long without a call unless configured otherwise.
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(600);

impl Default for WorkerLimits {
    fn default() -> Self {
        WorkerLimits { memory_bytes: None, session_timeout: DEFAULT_SESSION_TIMEOUT }
    }
}

/// A stored object and its accounted size.
struct Held {
    data: Arc<Data>,
    bytes: u64,
}

/// The objects of all sessions, their total size and when each session was last seen.
#[derive(Default)]
struct Objects {
    map: HashMap<(u64, u64), Held>,
    bytes: u64,
    last_seen: HashMap<u64, Instant>,
}

impl Objects {
    fn remove(&mut self, key: &(u64, u64)) {
        if let Some(o) = self.map.remove(key) {
            self.bytes -= o.bytes;
        }
    }

    fn remove_session(&mut self, session: u64) {
        let keys: Vec<(u64, u64)> = self.map.keys().filter(|(s, _)| *s == session).copied().collect();
        for k in keys {
            self.remove(&k);
        }
        self.last_seen.remove(&session);
    }
}

/// The objects and compiled tasks of one worker.
pub struct WorkerService {
    objects: Mutex<Objects>,
    modules: Mutex<HashMap<String, Arc<Module>>>,
    next_id: AtomicU64,
    engine: Arc<Engine>,
    limits: WorkerLimits,
}

impl WorkerService {
    pub fn new(engine: Arc<Engine>, limits: WorkerLimits) -> WorkerService {
        WorkerService {
            objects: Mutex::new(Objects::default()),
            modules: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            engine,
            limits,
        }
    }

    /// How many objects the worker holds (over all sessions).
    pub fn object_count(&self) -> usize {
        self.objects.lock().map_or(0, |o| o.map.len())
    }

    /// Frees the sessions without a call for the session timeout; how many objects went.
    pub fn expire_sessions(&self) -> usize {
        let Ok(mut objects) = self.objects.lock() else { return 0 };
        let now = Instant::now();
        let stale: Vec<u64> = objects
            .last_seen
            .iter()
            .filter(|(_, t)| now.duration_since(**t) > self.limits.session_timeout)
            .map(|(s, _)| *s)
            .collect();
        let before = objects.map.len();
        for s in stale {
            objects.remove_session(s);
        }
        before - objects.map.len()
    }

    /// Notes a call of a session.
    fn touch(&self, session: u64) -> Result<(), Status> {
        self.objects.lock().map_err(|_| poisoned())?.last_seen.insert(session, Instant::now());
        Ok(())
    }

    /// Fails if `extra` more bytes would exceed the memory limit.
    fn check_room(&self, objects: &Objects, extra: u64, what: &str) -> Result<(), Status> {
        match self.limits.memory_bytes {
            Some(limit) if objects.bytes.saturating_add(extra) > limit => Err(Status::resource_exhausted(format!(
                "{what} of {extra} bytes would exceed the worker's memory limit of {limit} bytes ({} in use)",
                objects.bytes
            ))),
            _ => Ok(()),
        }
    }

    /// Stores results of one request: all of them, or none if they do not fit.
    fn put_all(&self, session: u64, items: Vec<Data>, what: &str) -> Result<Vec<u64>, Status> {
        let sizes: Vec<u64> = items.iter().map(approx_bytes).collect();
        let total = sizes.iter().fold(0u64, |a, b| a.saturating_add(*b));
        let mut objects = self.objects.lock().map_err(|_| poisoned())?;
        self.check_room(&objects, total, what)?;
        let mut ids = Vec::with_capacity(items.len());
        for (d, bytes) in items.into_iter().zip(sizes) {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            objects.map.insert((session, id), Held { data: Arc::new(d), bytes });
            objects.bytes += bytes;
            ids.push(id);
        }
        objects.last_seen.insert(session, Instant::now());
        Ok(ids)
    }

    fn put(&self, session: u64, d: Data) -> Result<u64, Status> {
        Ok(self.put_all(session, vec![d], "an object")?[0])
    }

    fn get(&self, session: u64, id: u64) -> Result<Arc<Data>, Status> {
        self.objects
            .lock()
            .map_err(|_| poisoned())?
            .map
            .get(&(session, id))
            .map(|o| Arc::clone(&o.data))
            .ok_or_else(|| Status::not_found(format!("no object {id} in session {session}")))
    }

    fn module(&self, ir: &str) -> Result<Arc<Module>, Status> {
        if let Some(m) = self.modules.lock().map_err(|_| poisoned())?.get(ir) {
            return Ok(Arc::clone(m));
        }
        let m = parse_module(ir).map_err(|e| Status::invalid_argument(format!("the task's IR does not parse: {e}")))?;
        verify(&m).map_err(|e| Status::invalid_argument(format!("the task's IR does not verify: {e}")))?;
        let m = Arc::new(m);
        let mut cache = self.modules.lock().map_err(|_| poisoned())?;
        if cache.len() >= MODULE_CACHE {
            cache.clear();
        }
        cache.insert(ir.to_string(), Arc::clone(&m));
        Ok(m)
    }
}

fn poisoned() -> Status {
    Status::internal("the worker's object table is unusable after a crash in another request")
}

fn check_version(v: u32) -> Result<(), Status> {
    if v == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(Status::failed_precondition(format!(
            "protocol version {v} is not supported (this worker speaks version {PROTOCOL_VERSION})"
        )))
    }
}

/// Runs blocking work off the async threads; a panic becomes an internal error status.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, Status> + Send + 'static) -> Result<T, Status> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Status::internal(format!("the worker failed: {e}")))?
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<DataChunk, Status>> + Send>>;

#[tonic::async_trait]
impl Worker for Arc<WorkerService> {
    async fn store(&self, request: Request<Streaming<StoreChunk>>) -> Result<Response<Stored>, Status> {
        let mut stream = request.into_inner();
        let first = stream.message().await?.ok_or_else(|| Status::invalid_argument("an empty store stream"))?;
        check_version(first.version)?;
        let meta = first.meta.ok_or_else(|| Status::invalid_argument("the first chunk carries no header"))?;
        let expected = usize::try_from(meta.payload_bytes)
            .map_err(|_| Status::invalid_argument("the announced payload does not fit this machine"))?;
        self.touch(first.session)?;
        {
            let objects = self.objects.lock().map_err(|_| poisoned())?;
            self.check_room(&objects, meta.payload_bytes, "an object")?;
        }
        let mut payload = Vec::with_capacity(expected.min(first.data.len().max(1) << 10));
        payload.extend_from_slice(&first.data);
        while let Some(chunk) = stream.message().await? {
            if chunk.version != first.version || chunk.session != first.session {
                return Err(Status::invalid_argument("chunks of one object must share version and session"));
            }
            if payload.len() + chunk.data.len() > expected {
                return Err(Status::invalid_argument(format!("more than the announced {expected} payload bytes")));
            }
            payload.extend_from_slice(&chunk.data);
        }
        let session = first.session;
        let data = blocking(move || wire::decode(&meta, &payload).map_err(Status::invalid_argument)).await?;
        Ok(Response::new(Stored { id: self.put(session, data)? }))
    }

    async fn compute(&self, request: Request<Task>) -> Result<Response<Computed>, Status> {
        let task = request.into_inner();
        check_version(task.version)?;
        self.touch(task.session)?;
        let module = self.module(&task.ir)?;
        let mut args = Vec::with_capacity(task.inputs.len());
        for input in &task.inputs {
            match &input.value {
                Some(task_input::Value::Object(id)) => args.push((*self.get(task.session, *id)?).clone()),
                Some(task_input::Value::Scalar(s)) => {
                    args.push(Data::Scalar(crate::elem::Scalar::try_from(s).map_err(Status::invalid_argument)?))
                }
                None => return Err(Status::invalid_argument("a task input without a value")),
            }
        }
        let engine = Arc::clone(&self.engine);
        let results = blocking(move || {
            let mut sink = std::io::sink();
            let mut sink2 = std::io::sink();
            let opts = ExecOptions { engine: Some(engine), ..ExecOptions::default() };
            let mut exec = Executor::new(&module, ExecOutput { out: &mut sink, err: &mut sink2 }, &opts);
            exec.run_function("dist", args).map_err(|e| Status::aborted(e.message().to_string()))
        })
        .await?;
        let mut outputs = Vec::with_capacity(results.len());
        let mut objects = Vec::new();
        for d in results {
            outputs.push(match d {
                Data::Scalar(s) => Output { id: 0, meta: None, scalar: Some(proto::Scalar::from(&s)) },
                other => {
                    let meta = describe(&other);
                    objects.push(other);
                    Output { id: 0, meta: Some(meta), scalar: None }
                }
            });
        }
        let mut ids = self.put_all(task.session, objects, "the task's results")?.into_iter();
        for o in outputs.iter_mut().filter(|o| o.meta.is_some()) {
            o.id = ids.next().ok_or_else(|| Status::internal("a result without an id"))?;
        }
        Ok(Response::new(Computed { outputs }))
    }

    type TransferStream = ChunkStream;

    async fn transfer(&self, request: Request<TransferRequest>) -> Result<Response<ChunkStream>, Status> {
        let req = request.into_inner();
        check_version(req.version)?;
        self.touch(req.session)?;
        let data = self.get(req.session, req.id)?;
        let chunk = match usize::try_from(req.chunk_bytes) {
            Ok(0) | Err(_) => DEFAULT_CHUNK_BYTES,
            Ok(n) => n,
        };
        let (meta, payload) = blocking(move || wire::encode(&data).map_err(Status::invalid_argument)).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let mut meta = Some(meta);
            for part in wire::chunks(&payload, chunk) {
                let msg = DataChunk { meta: meta.take(), data: part.to_vec() };
                if tx.send(Ok(msg)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
    }

    async fn free_mem(&self, request: Request<FreeRequest>) -> Result<Response<Freed>, Status> {
        let req = request.into_inner();
        check_version(req.version)?;
        let mut objects = self.objects.lock().map_err(|_| poisoned())?;
        if req.all {
            objects.remove_session(req.session);
        } else {
            for id in &req.ids {
                objects.remove(&(req.session, *id));
            }
            // A free of nothing is how a live coordinator says it is still there.
            if objects.last_seen.contains_key(&req.session) || objects.map.keys().any(|(s, _)| *s == req.session) {
                objects.last_seen.insert(req.session, Instant::now());
            }
        }
        Ok(Response::new(Freed { remaining: objects.map.len() as u64 }))
    }
}

/// The approximate bytes an object occupies in memory.
pub fn approx_bytes(d: &Data) -> u64 {
    use crate::matrix::{Dense, Matrix};
    fn dense(m: &Dense) -> u64 {
        let cells = (m.rows() as u64).saturating_mul(m.cols() as u64);
        match m {
            Dense::Str(s) => s.iter().map(|x| 24 + x.len() as u64).sum(),
            Dense::F64(_) | Dense::SI64(_) | Dense::UI64(_) => cells * 8,
            Dense::F32(_) | Dense::SI32(_) | Dense::UI32(_) => cells * 4,
            Dense::SI8(_) | Dense::UI8(_) | Dense::Bool(_) => cells,
        }
    }
    match d {
        Data::Scalar(_) => 16,
        Data::Matrix(Matrix::Dense(m)) => dense(m),
        Data::Matrix(Matrix::Csr(c)) => (c.nnz() as u64) * 16 + (c.rows() as u64 + 1) * 8,
        Data::Frame(f) => f.columns().iter().map(dense).sum(),
        Data::List(items) => items.iter().map(|m| approx_bytes(&Data::Matrix(m.clone()))).sum(),
    }
}

/// The header of an object without encoding its payload.
fn describe(d: &Data) -> ObjectMeta {
    use proto::object_meta::Kind;
    let (kind, vts, rows, cols) = match d {
        Data::Matrix(crate::matrix::Matrix::Dense(m)) => (Kind::Dense, vec![m.vt()], m.rows(), m.cols()),
        Data::Matrix(crate::matrix::Matrix::Csr(c)) => (Kind::Csr, vec![c.vt()], c.rows(), c.cols()),
        Data::Frame(f) => (Kind::Frame, f.schema(), f.rows(), f.cols()),
        _ => (Kind::Unspecified, vec![], 0, 0),
    };
    ObjectMeta {
        kind: kind as i32,
        value_types: vts.iter().map(|vt| vt.ir_name().to_string()).collect(),
        rows: rows as u64,
        cols: cols as u64,
        ..ObjectMeta::default()
    }
}
