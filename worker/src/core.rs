//! The worker's transport-free core (DAPHNE's `WorkerImpl`): the objects it stores per
//! coordinator session, its limits, the cache of parsed task modules, and task execution on the
//! local vectorized engine. The gRPC handlers (and any other transport's) decode a request,
//! validate it and call this core; it knows neither tonic nor the network. Its methods block
//! (decoding, execution, encoding): transports call them off their async threads. Every refusal
//! is a [`CallError`] whose code the transport passes on.
//!
//! Tasks: a task's module runs only if it is what the `distributed` stage emits (see
//! [`crate::allowlist`]), checked before its inputs are looked up; the files it reads must lie in
//! the worker's data directory ([`crate::data_dir`]), checked before it runs.
//!
//! Limits: objects are accounted by their approximate size in memory; a store or a task whose
//! objects would exceed the worker's memory limit fails with `ResourceExhausted` and keeps
//! nothing. A session that makes no call for the session timeout (its coordinator is gone: a live
//! coordinator touches its sessions every few seconds) is freed.

use crate::allowlist::{TASK_FUNCTION, check_task, output_bytes_at_least};
use crate::data_dir::{DataDir, confine_reads};
use bytes::Bytes;
use daphne_distributed::proto::{self, Computed, ObjectMeta, Output, Task, task_input};
use daphne_distributed::protocol::PROTOCOL_VERSION;
use daphne_distributed::transport::{CallError, Code};
use daphne_distributed::wire;
use daphne_ir::{Module, parse_module, verify};
use daphne_runtime::data::Data;
use daphne_runtime::elem::Scalar;
use daphne_runtime::exec::{ExecError, ExecOptions, Executor, Output as ExecOutput};
use daphne_runtime::matrix::{Dense, Matrix};
use daphne_runtime::vectorized::Engine;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many parsed task modules a worker keeps (the same pipeline runs again in loops).
const MODULE_CACHE: usize = 64;

/// Sessions are freed after this long without a call unless configured otherwise.
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(600);

/// A worker's limits.
#[derive(Clone, Debug)]
pub struct WorkerLimits {
    /// Bytes of objects the worker may hold at once (over all sessions); `None`: no limit.
    pub memory_bytes: Option<u64>,
    /// How long a session may stay without calls before its objects are freed.
    pub session_timeout: Duration,
    /// Wall-clock limit of one task; `None`: no limit.
    pub task_timeout: Option<Duration>,
    /// The directory tasks may read files from; `None`: they read no files.
    pub data_dir: Option<DataDir>,
}

impl Default for WorkerLimits {
    fn default() -> Self {
        WorkerLimits {
            memory_bytes: None,
            session_timeout: DEFAULT_SESSION_TIMEOUT,
            task_timeout: None,
            data_dir: None,
        }
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
pub struct WorkerCore {
    objects: Mutex<Objects>,
    modules: Mutex<HashMap<String, Arc<Module>>>,
    next_id: AtomicU64,
    engine: Arc<Engine>,
    limits: WorkerLimits,
    /// When the core was made; [`WorkerCore::last_data_call`] counts from here.
    started: Instant,
    /// Nanoseconds after `started` of the last start or end of a data call (store, task,
    /// transfer): frees and health checks do not count.
    last_data_call: AtomicU64,
}

fn poisoned() -> CallError {
    CallError::new(Code::Internal, "the worker's object table is unusable after a crash in another request")
}

/// Refuses a request of another protocol version.
pub fn check_version(v: u32) -> Result<(), CallError> {
    if v == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(CallError::new(
            Code::FailedPrecondition,
            format!("protocol version {v} is not supported (this worker speaks version {PROTOCOL_VERSION})"),
        ))
    }
}

impl WorkerCore {
    pub fn new(engine: Arc<Engine>, limits: WorkerLimits) -> WorkerCore {
        WorkerCore {
            objects: Mutex::new(Objects::default()),
            modules: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            engine,
            limits,
            started: Instant::now(),
            last_data_call: AtomicU64::new(0),
        }
    }

    /// Notes that a data call starts or ends now.
    fn note_data_call(&self) {
        let now = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_data_call.fetch_max(now, Ordering::Relaxed);
    }

    /// How long ago a data call (store, task, transfer) last started or ended: a worker idle
    /// for a while can give freed memory back to the system without slowing the next transfer.
    pub fn idle_for(&self) -> Duration {
        let last = Duration::from_nanos(self.last_data_call.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
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
    pub fn touch(&self, session: u64) -> Result<(), CallError> {
        self.objects.lock().map_err(|_| poisoned())?.last_seen.insert(session, Instant::now());
        Ok(())
    }

    /// Checks, before any payload arrives, that an object announced by its header may be stored
    /// (within the memory limit, and a header that can be right); the decoder its chunks go to
    /// as they arrive (for a dense matrix, straight into its final buffer).
    pub fn admit_store(&self, session: u64, meta: ObjectMeta) -> Result<wire::Decoder, CallError> {
        if usize::try_from(meta.payload_bytes).is_err() {
            return Err(CallError::new(Code::InvalidArgument, "the announced payload does not fit this machine"));
        }
        self.note_data_call();
        self.touch(session)?;
        {
            let objects = self.objects.lock().map_err(|_| poisoned())?;
            self.check_room(&objects, meta.payload_bytes, "an object")?;
        }
        wire::Decoder::new(meta)
    }

    /// Stores the object a decoder received (all its chunks); its id. A payload that ends early
    /// or does not decode is `InvalidArgument`.
    pub fn store(&self, session: u64, decoder: wire::Decoder) -> Result<u64, CallError> {
        self.note_data_call();
        let data = decoder.finish().map_err(|e| CallError::new(Code::InvalidArgument, e))?;
        Ok(self.put_all(session, vec![data], "an object")?[0])
    }

    /// Runs a task over stored objects and inline scalars; its results stay here under fresh ids
    /// (scalars come back inline). An execution error is `Aborted`, so that the coordinator runs
    /// the pipeline locally and reports DAPHNE's exact error.
    pub fn compute(&self, task: &Task) -> Result<Computed, CallError> {
        self.note_data_call();
        let computed = self.run_task(task);
        self.note_data_call();
        computed
    }

    fn run_task(&self, task: &Task) -> Result<Computed, CallError> {
        check_version(task.version)?;
        self.touch(task.session)?;
        let module = self.module(&task.ir)?;
        let mut args = Vec::with_capacity(task.inputs.len());
        for input in &task.inputs {
            match &input.value {
                Some(task_input::Value::Object(id)) => args.push((*self.get(task.session, *id)?).clone()),
                Some(task_input::Value::Scalar(s)) => {
                    args.push(Data::Scalar(Scalar::try_from(s).map_err(|e| CallError::new(Code::InvalidArgument, e))?))
                }
                None => return Err(CallError::new(Code::InvalidArgument, "a task input without a value")),
            }
        }
        confine_reads(&module, &mut args, self.limits.data_dir.as_ref())?;
        {
            let objects = self.objects.lock().map_err(|_| poisoned())?;
            self.check_room(&objects, output_bytes_at_least(&module, &args), "the task's results (at least)")?;
        }
        let results = {
            let mut sink = std::io::sink();
            let mut sink2 = std::io::sink();
            let deadline = self.limits.task_timeout.map(|t| Instant::now() + t);
            let opts = ExecOptions { engine: Some(Arc::clone(&self.engine)), deadline, ..ExecOptions::default() };
            let mut exec = Executor::new(&module, ExecOutput { out: &mut sink, err: &mut sink2 }, &opts);
            exec.run_function(TASK_FUNCTION, args).map_err(|e| self.task_failed(&e))?
        };
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
            o.id = ids.next().ok_or_else(|| CallError::new(Code::Internal, "a result without an id"))?;
        }
        Ok(Computed { outputs })
    }

    /// How a failed task is answered: past the time limit `DeadlineExceeded`, else `Aborted`.
    fn task_failed(&self, e: &ExecError) -> CallError {
        match (e, self.limits.task_timeout) {
            (ExecError::TimedOut { .. }, Some(t)) => CallError::new(
                Code::DeadlineExceeded,
                format!("the task ran longer than the worker's --task-timeout of {} s", t.as_secs_f64()),
            ),
            _ => CallError::new(Code::Aborted, e.message()),
        }
    }

    /// One stored object, encoded: its header and payload (for a dense matrix of numbers the
    /// object's own memory, not a copy: the payload keeps it alive while it is sent, also if the
    /// object is freed meanwhile).
    pub fn transfer(&self, session: u64, id: u64) -> Result<(ObjectMeta, Bytes), CallError> {
        self.note_data_call();
        self.touch(session)?;
        let data = self.get(session, id)?;
        wire::encode_shared(&data).map_err(|e| CallError::new(Code::InvalidArgument, e))
    }

    /// Forgets objects (or, with `all`, every object of the session); how many objects the worker
    /// still holds over all sessions. A free of nothing is how a live coordinator says it is
    /// still there.
    pub fn free(&self, session: u64, ids: &[u64], all: bool) -> Result<u64, CallError> {
        let mut objects = self.objects.lock().map_err(|_| poisoned())?;
        if all {
            objects.remove_session(session);
        } else {
            for id in ids {
                objects.remove(&(session, *id));
            }
            if objects.last_seen.contains_key(&session) || objects.map.keys().any(|(s, _)| *s == session) {
                objects.last_seen.insert(session, Instant::now());
            }
        }
        Ok(objects.map.len() as u64)
    }

    /// Fails if `extra` more bytes would exceed the memory limit.
    fn check_room(&self, objects: &Objects, extra: u64, what: &str) -> Result<(), CallError> {
        match self.limits.memory_bytes {
            Some(limit) if objects.bytes.saturating_add(extra) > limit => Err(CallError::new(
                Code::ResourceExhausted,
                format!(
                    "{what} of {extra} bytes would exceed the worker's memory limit of {limit} bytes ({} in use)",
                    objects.bytes
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Stores results of one request: all of them, or none if they do not fit.
    fn put_all(&self, session: u64, items: Vec<Data>, what: &str) -> Result<Vec<u64>, CallError> {
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

    fn get(&self, session: u64, id: u64) -> Result<Arc<Data>, CallError> {
        self.objects
            .lock()
            .map_err(|_| poisoned())?
            .map
            .get(&(session, id))
            .map(|o| Arc::clone(&o.data))
            .ok_or_else(|| CallError::new(Code::NotFound, format!("no object {id} in session {session}")))
    }

    /// The parsed and verified module of a task's IR text (the text comes from the network).
    fn module(&self, ir: &str) -> Result<Arc<Module>, CallError> {
        if let Some(m) = self.modules.lock().map_err(|_| poisoned())?.get(ir) {
            return Ok(Arc::clone(m));
        }
        let invalid =
            |what: &str, e: String| CallError::new(Code::InvalidArgument, format!("the task's IR {what}: {e}"));
        let m = parse_module(ir).map_err(|e| invalid("does not parse", e.to_string()))?;
        verify(&m).map_err(|e| invalid("does not verify", e.to_string()))?;
        check_task(&m)?;
        let m = Arc::new(m);
        let mut cache = self.modules.lock().map_err(|_| poisoned())?;
        if cache.len() >= MODULE_CACHE {
            cache.clear();
        }
        cache.insert(ir.to_string(), Arc::clone(&m));
        Ok(m)
    }
}

/// The approximate bytes an object occupies in memory.
pub fn approx_bytes(d: &Data) -> u64 {
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
        Data::Matrix(Matrix::Dense(m)) => (Kind::Dense, vec![m.vt()], m.rows(), m.cols()),
        Data::Matrix(Matrix::Csr(c)) => (Kind::Csr, vec![c.vt()], c.rows(), c.cols()),
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
