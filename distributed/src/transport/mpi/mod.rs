//! The MPI transport (`mpirun -np N daphne --distributed --dist_backend=MPI`, DAPHNE's default
//! backend): rank 0 is the coordinator and ranks `1..N` are its workers (worker `w` is rank
//! `w + 1`), as in DAPHNE. Calls are point-to-point messages ([`frame`]) driven by the process's
//! MPI thread ([`link`]); objects travel in the encoding of `wire.rs` in chunks of
//! `--max-distr-chunk-size`, as over gRPC, so the coordinator above cannot tell the two apart.
//!
//! Every wait is bounded. Each worker rank is sent a heartbeat every second, and a call waiting
//! for a rank that has sent nothing at all for [`LIVENESS`] (a rank that died, hangs or was
//! stopped) ends the whole MPI job: a message naming the rank and `MPI_Abort` with exit code 3,
//! since an MPI job cannot go on without one of its processes (and its `MPI_Finalize` would wait
//! for it forever). Dropping the transport tells every worker rank to stop.

pub mod frame;
pub mod link;

use super::{CallError, Code, Transport};
use crate::proto::{Computed, DataChunk, FreeRequest, Freed, StoreChunk, Stored, Task, TaskInput, TransferRequest};
use crate::protocol::PROTOCOL_VERSION;
use crate::wire;
use bytes::Bytes;
use daphne_runtime::data::Data;
use frame::{COORDINATOR_RANK, MAX_TAG, Request, decode_reply};
use link::{Incoming, Link, Part};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A worker rank that sends nothing (not even its heartbeat answer) for this long while a call
/// waits for it has failed.
pub const LIVENESS: Duration = Duration::from_secs(10);
/// How long a worker rank may take to answer for the first time (MPI start-up of a large job).
const FIRST_ANSWER: Duration = Duration::from_secs(60);
/// Deadline of a data call: a backstop only, since [`LIVENESS`] notices a failed rank.
const DATA_CALL_TIMEOUT: Duration = Duration::from_secs(3600);
/// Deadline of `FreeMem` and of the health check.
const SMALL_CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a waiting call looks at its worker's liveness.
const POLL: Duration = Duration::from_millis(200);
/// The tag of heartbeats, their answers and the stop message (calls use `1..=MAX_TAG`).
const HEARTBEAT_TAG: i32 = 0;

/// The calls waiting for messages, by (rank, tag).
type Waiting = HashMap<(i32, i32), Sender<Vec<u8>>>;

/// Where the answers of each call go, and when each rank was last heard of.
struct Routes {
    pending: Mutex<Waiting>,
    /// Per worker: nanoseconds after `start` of its last message, 0 while never heard of.
    heard: Vec<AtomicU64>,
    start: Instant,
}

impl Routes {
    fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

struct Inner {
    link: Link,
    addresses: Vec<String>,
    session: u64,
    chunk_bytes: usize,
    routes: Arc<Routes>,
    next_tag: AtomicI32,
    aborting: AtomicBool,
}

/// The coordinator's end of the MPI backend.
pub struct MpiTransport {
    inner: Arc<Inner>,
    stop: Arc<AtomicBool>,
    heartbeat: Option<JoinHandle<()>>,
}

impl MpiTransport {
    /// The transport of rank 0 over an MPI world started with [`Link::start`]; `chunk_bytes`
    /// bounds every message of an object. It starts the heartbeat at once; a world without
    /// worker ranks is refused by [`MpiTransport::check_workers`], not here, so that a script
    /// without distributed pipelines runs on one rank.
    pub fn new(link: Link, incoming: Receiver<Incoming>, chunk_bytes: usize) -> Result<MpiTransport, String> {
        if link.rank() != COORDINATOR_RANK {
            return Err(format!("MPI rank {} is a worker, not the coordinator", link.rank()));
        }
        let workers = usize::try_from(link.size() - 1).unwrap_or(0);
        let routes = Arc::new(Routes {
            pending: Mutex::new(HashMap::new()),
            heard: (0..workers).map(|_| AtomicU64::new(0)).collect(),
            start: Instant::now(),
        });
        let router_routes = Arc::clone(&routes);
        std::thread::Builder::new()
            .name("daphne-mpi-router".into())
            .spawn(move || route(&router_routes, &incoming))
            .map_err(|e| format!("cannot start the MPI router thread: {e}"))?;
        let inner = Arc::new(Inner {
            link,
            addresses: (1..=workers).map(|r| format!("MPI rank {r}")).collect(),
            session: 1,
            chunk_bytes: chunk_bytes.max(1),
            routes,
            next_tag: AtomicI32::new(1),
            aborting: AtomicBool::new(false),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (beat_inner, beat_stop) = (Arc::clone(&inner), Arc::clone(&stop));
        let heartbeat = std::thread::Builder::new()
            .name("daphne-mpi-heartbeat".into())
            .spawn(move || beat(&beat_inner, &beat_stop))
            .map_err(|e| format!("cannot start the MPI heartbeat thread: {e}"))?;
        Ok(MpiTransport { inner, stop, heartbeat: Some(heartbeat) })
    }

    /// Checks that there are worker ranks and that each answers; a rank that does not answer
    /// in time ends the job (see the module's doc).
    pub fn check_workers(&self) -> Result<(), String> {
        if self.inner.addresses.is_empty() {
            return Err("--dist_backend=MPI: the MPI world has no worker ranks; start daphne with `mpirun -np N` \
                 (N >= 2: rank 0 coordinates, the others are its workers)"
                .into());
        }
        for w in 0..self.inner.addresses.len() {
            self.ping(w).map_err(|e| format!("{}: {}", self.inner.addresses[w], e.describe()))?;
        }
        Ok(())
    }
}

impl Drop for MpiTransport {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        for w in 0..self.inner.addresses.len() {
            self.inner.link.send(rank_of(w), HEARTBEAT_TAG, vec![Part::owned(Request::Stop.encode())]);
        }
        self.inner.link.finish();
    }
}

/// The rank of worker `w`.
fn rank_of(w: usize) -> i32 {
    i32::try_from(w + 1).unwrap_or(i32::MAX)
}

/// The router thread: notes who spoke and hands each message to the call waiting for it.
fn route(routes: &Routes, incoming: &Receiver<Incoming>) {
    for m in incoming {
        let Some(heard) = usize::try_from(m.source - 1).ok().and_then(|w| routes.heard.get(w)) else { continue };
        heard.store(routes.now().max(1), Ordering::Relaxed);
        if m.tag == HEARTBEAT_TAG {
            continue;
        }
        if let Ok(pending) = routes.pending.lock()
            && let Some(tx) = pending.get(&(m.source, m.tag))
        {
            let _ = tx.send(m.data);
        }
    }
}

/// How often each worker rank gets a heartbeat.
const BEAT: Duration = Duration::from_secs(1);

/// The heartbeat thread: a health check to every worker rank each [`BEAT`] (its answer is only
/// noted by the router), which also keeps the session alive.
fn beat(inner: &Inner, stop: &AtomicBool) {
    let ping =
        Request::Free(FreeRequest { version: PROTOCOL_VERSION, session: inner.session, ids: vec![], all: false });
    let ping = ping.encode();
    let step = Duration::from_millis(100);
    let mut last: Option<Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        if last.is_none_or(|t| t.elapsed() >= BEAT) {
            for w in 0..inner.addresses.len() {
                inner.link.send(rank_of(w), HEARTBEAT_TAG, vec![Part::owned(ping.clone())]);
            }
            last = Some(Instant::now());
        }
        std::thread::sleep(step);
    }
}

/// One call in flight: its messages arrive on `rx`.
struct Call<'a> {
    inner: &'a Inner,
    w: usize,
    key: (i32, i32),
    rx: Receiver<Vec<u8>>,
    started: Instant,
    limit: Duration,
}

impl Inner {
    /// Sends a request (its envelope, then the chunks of `payload`) to worker `w`.
    fn begin(
        &self,
        w: usize,
        request: &Request,
        payload: Option<&Bytes>,
        limit: Duration,
    ) -> Result<Call<'_>, CallError> {
        if w >= self.addresses.len() {
            return Err(CallError::new(Code::Internal, format!("there is no worker {w}")));
        }
        let rank = rank_of(w);
        let (tx, rx) = mpsc::channel();
        let key = {
            let mut pending = self
                .routes
                .pending
                .lock()
                .map_err(|_| CallError::new(Code::Internal, "the MPI call table is unusable"))?;
            let mut tag;
            loop {
                tag = self.next_tag.fetch_add(1, Ordering::Relaxed).rem_euclid(MAX_TAG) + 1;
                if !pending.contains_key(&(rank, tag)) {
                    break;
                }
            }
            pending.insert((rank, tag), tx);
            (rank, tag)
        };
        let call = Call { inner: self, w, key, rx, started: Instant::now(), limit };
        let mut parts = vec![Part::owned(request.encode())];
        if let Some(p) = payload {
            parts.extend(Part::chunks(p, self.chunk_bytes));
        }
        if !self.link.send(rank, key.1, parts) {
            return Err(CallError::new(Code::Cancelled, "the MPI link is closed"));
        }
        Ok(call)
    }

    /// Ends the job because worker `w` failed.
    fn lost(&self, w: usize, why: &str) -> ! {
        if !self.aborting.swap(true, Ordering::SeqCst) {
            eprintln!(
                "daphne: {} failed: {why}; the MPI job cannot go on without it, so all its ranks stop (exit code 3)",
                self.addresses[w]
            );
        }
        self.link.abort(3)
    }
}

impl Call<'_> {
    /// The next message of the call, waiting at most until its deadline and no longer than the
    /// worker stays silent.
    fn next(&self) -> Result<Vec<u8>, CallError> {
        loop {
            match self.rx.recv_timeout(POLL) {
                Ok(m) => return Ok(m),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(CallError::new(Code::Cancelled, "the MPI link closed during the call"));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            let waited = self.started.elapsed();
            if waited > self.limit {
                return Err(CallError::new(
                    Code::DeadlineExceeded,
                    format!("no answer within {} s", self.limit.as_secs()),
                ));
            }
            let routes = &self.inner.routes;
            let heard = routes.heard[self.w].load(Ordering::Relaxed);
            if heard == 0 {
                if routes.start.elapsed() > FIRST_ANSWER && waited > LIVENESS {
                    self.inner.lost(self.w, &format!("it never answered within {} s", FIRST_ANSWER.as_secs()));
                }
            } else {
                let quiet = Duration::from_nanos(routes.now().saturating_sub(heard));
                if quiet > LIVENESS && waited > LIVENESS {
                    self.inner.lost(self.w, &format!("it stopped answering for {} s", quiet.as_secs()));
                }
            }
        }
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if let Ok(mut pending) = self.inner.routes.pending.lock() {
            pending.remove(&self.key);
        }
    }
}

impl Transport for MpiTransport {
    fn worker_count(&self) -> usize {
        self.inner.addresses.len()
    }

    fn address(&self, w: usize) -> &str {
        self.inner.addresses.get(w).map_or("?", String::as_str)
    }

    fn ping(&self, w: usize) -> Result<(), CallError> {
        self.free(w, &[], false)
    }

    fn store(&self, w: usize, data: &Data) -> Result<(u64, u64), CallError> {
        let (meta, payload) = wire::encode_shared(data).map_err(|e| CallError::new(Code::InvalidArgument, e))?;
        let bytes = payload.len() as u64;
        let request = Request::Store(StoreChunk {
            version: PROTOCOL_VERSION,
            session: self.inner.session,
            meta: Some(meta),
            data: Bytes::new(),
        });
        let call = self.inner.begin(w, &request, Some(&payload), DATA_CALL_TIMEOUT)?;
        let stored: Stored = decode_reply(&call.next()?)?;
        Ok((stored.id, bytes))
    }

    fn compute(&self, w: usize, ir: &str, inputs: Vec<TaskInput>) -> Result<Computed, CallError> {
        let task = Task { version: PROTOCOL_VERSION, session: self.inner.session, ir: ir.to_string(), inputs };
        let call = self.inner.begin(w, &Request::Compute(task), None, DATA_CALL_TIMEOUT)?;
        decode_reply(&call.next()?)
    }

    fn transfer(&self, w: usize, id: u64) -> Result<(Data, u64), CallError> {
        let req = TransferRequest {
            version: PROTOCOL_VERSION,
            session: self.inner.session,
            id,
            chunk_bytes: self.inner.chunk_bytes as u64,
        };
        let call = self.inner.begin(w, &Request::Transfer(req), None, DATA_CALL_TIMEOUT)?;
        let head: DataChunk = decode_reply(&call.next()?)?;
        let lost = |m: &str| CallError::new(Code::DataLoss, m.to_string());
        let meta = head.meta.ok_or_else(|| lost("the worker's answer has no header"))?;
        let mut decoder = wire::Decoder::new(meta).map_err(|e| match e.code {
            Code::ResourceExhausted => e,
            _ => lost(&format!("the worker's object: {}", e.message)),
        })?;
        decoder.push(&head.data).map_err(|_| lost("the worker sent more bytes than announced"))?;
        while decoder.received() < decoder.expected() {
            let chunk = call.next()?;
            if chunk.is_empty() {
                return Err(lost("the worker sent other bytes than announced"));
            }
            decoder.push(&chunk).map_err(|_| lost("the worker sent other bytes than announced"))?;
        }
        let bytes = decoder.expected() as u64;
        let d = decoder.finish().map_err(|e| CallError::new(Code::DataLoss, e))?;
        Ok((d, bytes))
    }

    fn free(&self, w: usize, ids: &[u64], all: bool) -> Result<(), CallError> {
        let req = FreeRequest { version: PROTOCOL_VERSION, session: self.inner.session, ids: ids.to_vec(), all };
        let call = self.inner.begin(w, &Request::Free(req), None, SMALL_CALL_TIMEOUT)?;
        decode_reply::<Freed>(&call.next()?).map(|_| ())
    }
}
