//! The worker's MPI handler: a worker rank of `mpirun -np N daphne --distributed
//! --dist_backend=MPI` (every rank but 0) serves rank 0's calls with the same transport-free
//! [`WorkerCore`] as the gRPC handlers, until rank 0 says stop. Requests arrive as the messages
//! of `daphne_distributed::transport::mpi::frame` through the process's MPI thread; this
//! dispatcher assembles stored objects from their chunks, answers frees and health checks at
//! once (so a long task does not silence the rank), runs stores, tasks and transfers on threads
//! of their own (several calls may be in flight) and sends each answer under its call's tag.
//! Every malformed request gets an error answer; the rank keeps serving.

use crate::core::{WorkerCore, check_version};
use bytes::Bytes;
use daphne_distributed::proto::{DataChunk, Freed, Stored};
use daphne_distributed::protocol::DEFAULT_CHUNK_BYTES;
use daphne_distributed::transport::mpi::frame::{COORDINATOR_RANK, Request, encode_err, encode_ok};
use daphne_distributed::transport::mpi::link::{Incoming, Link, Part};
use daphne_distributed::transport::{CallError, Code};
use daphne_distributed::wire;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// An object whose chunks are still arriving.
struct Assembly {
    session: u64,
    /// Where the chunks go (for a dense matrix, straight into its final buffer); `None` when the
    /// store was refused or a chunk was bad: the remaining chunks are only counted.
    decoder: Option<wire::Decoder>,
    /// Why a chunk was refused (answered once all chunks have arrived).
    failed: Option<CallError>,
    expected: usize,
    received: usize,
}

impl Assembly {
    /// Takes one chunk: into the decoder, or counted only.
    fn take(&mut self, chunk: &[u8]) {
        self.received = self.received.saturating_add(chunk.len());
        if let Some(d) = self.decoder.as_mut()
            && let Err(e) = d.push(chunk)
        {
            self.decoder = None;
            self.failed = Some(CallError::new(Code::InvalidArgument, e));
        }
    }
}

/// Serves rank 0 until it says stop (or the MPI thread ends); then finalizes MPI.
pub fn serve(link: Link, incoming: Receiver<Incoming>, core: Arc<WorkerCore>) {
    let link = Arc::new(link);
    let mut stores: HashMap<i32, Assembly> = HashMap::new();
    let mut handlers: Vec<JoinHandle<()>> = Vec::new();
    let mut tick = Instant::now();
    loop {
        match incoming.recv_timeout(Duration::from_secs(1)) {
            Ok(m) if m.source != COORDINATOR_RANK => {}
            Ok(m) => {
                if let Some(a) = stores.get_mut(&m.tag) {
                    a.take(&m.data);
                    if a.received >= a.expected
                        && let Some(a) = stores.remove(&m.tag)
                    {
                        finish_store(&link, &core, m.tag, a, &mut handlers);
                    }
                    continue;
                }
                match Request::decode(&m.data) {
                    Err(e) => reply(&link, m.tag, Err(e)),
                    Ok(Request::Stop) => break,
                    Ok(Request::Free(req)) => {
                        let answer = check_version(req.version)
                            .and_then(|()| core.free(req.session, &req.ids, req.all))
                            .map(|remaining| encode_ok(&Freed { remaining }));
                        reply(&link, m.tag, answer);
                    }
                    Ok(Request::Store(first)) => {
                        // The chunks on their way are counted by the header's size either way.
                        let expected =
                            first.meta.as_ref().and_then(|meta| usize::try_from(meta.payload_bytes).ok()).unwrap_or(0);
                        let admitted = check_version(first.version).and_then(|()| {
                            let meta = first.meta.clone().ok_or_else(|| {
                                CallError::new(Code::InvalidArgument, "the store request carries no header")
                            })?;
                            core.admit_store(first.session, meta)
                        });
                        let mut a =
                            Assembly { session: first.session, decoder: None, failed: None, expected, received: 0 };
                        match admitted {
                            Ok(decoder) => a.decoder = Some(decoder),
                            // Refused at once; the chunks already on their way are received and
                            // dropped.
                            Err(e) => reply(&link, m.tag, Err(e)),
                        }
                        a.take(&first.data);
                        if a.received >= a.expected {
                            finish_store(&link, &core, m.tag, a, &mut handlers);
                        } else {
                            stores.insert(m.tag, a);
                        }
                    }
                    Ok(Request::Compute(task)) => {
                        let core = Arc::clone(&core);
                        spawn(&link, m.tag, &mut handlers, move || {
                            core.compute(&task).map(|c| vec![Part::owned(encode_ok(&c))])
                        });
                    }
                    Ok(Request::Transfer(req)) => {
                        let core = Arc::clone(&core);
                        spawn(&link, m.tag, &mut handlers, move || {
                            check_version(req.version)?;
                            let chunk = match usize::try_from(req.chunk_bytes) {
                                Ok(0) | Err(_) => DEFAULT_CHUNK_BYTES,
                                Ok(n) => n,
                            };
                            let (meta, payload) = core.transfer(req.session, req.id)?;
                            let head = encode_ok(&DataChunk { meta: Some(meta), data: Bytes::new() });
                            let mut parts = vec![Part::owned(head)];
                            parts.extend(Part::chunks(&payload, chunk));
                            Ok(parts)
                        });
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if tick.elapsed() >= Duration::from_secs(1) {
            core.expire_sessions();
            crate::memory::release_free_memory_when_idle(core.idle_for());
            handlers.retain(|h| !h.is_finished());
            tick = Instant::now();
        }
    }
    for h in handlers {
        let _ = h.join();
    }
    // Rank 0 frees its session before it says stop: what is left is a leak, and said so.
    let left = core.object_count();
    if left > 0 {
        eprintln!("daphne: MPI rank {}: {left} objects were still held when rank 0 said stop", link.rank());
    }
    link.finish();
}

/// Sends a one-message answer (or refusal) under `tag`.
fn reply(link: &Link, tag: i32, answer: Result<Vec<u8>, CallError>) {
    let bytes = answer.unwrap_or_else(|e| encode_err(&e));
    link.send(COORDINATOR_RANK, tag, vec![Part::owned(bytes)]);
}

/// Runs `f` on a thread of its own and sends its answer (or refusal) under `tag`; a panic in `f`
/// is an internal error, not a crashed rank.
fn spawn(
    link: &Arc<Link>,
    tag: i32,
    handlers: &mut Vec<JoinHandle<()>>,
    f: impl FnOnce() -> Result<Vec<Part>, CallError> + Send + 'static,
) {
    let worker_link = Arc::clone(link);
    let started = std::thread::Builder::new().name("daphne-mpi-call".into()).spawn(move || {
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .unwrap_or_else(|_| Err(CallError::new(Code::Internal, "the worker failed while serving the call")));
        let parts = answer.unwrap_or_else(|e| vec![Part::owned(encode_err(&e))]);
        worker_link.send(COORDINATOR_RANK, tag, parts);
    });
    match started {
        Ok(h) => handlers.push(h),
        Err(e) => reply(link, tag, Err(CallError::new(Code::Internal, format!("cannot start a thread: {e}")))),
    }
}

/// Stores an object whose payload has arrived (finishing it off the dispatcher), or answers the
/// refusal of one whose chunks were bad (a store refused at admission was answered then).
fn finish_store(link: &Arc<Link>, core: &Arc<WorkerCore>, tag: i32, a: Assembly, handlers: &mut Vec<JoinHandle<()>>) {
    let Some(decoder) = a.decoder else {
        if let Some(e) = a.failed {
            reply(link, tag, Err(e));
        }
        return;
    };
    if a.received != a.expected {
        let e = format!("more than the announced {} payload bytes", a.expected);
        reply(link, tag, Err(CallError::new(Code::InvalidArgument, e)));
        return;
    }
    let core = Arc::clone(core);
    spawn(link, tag, handlers, move || {
        let id = core.store(a.session, decoder)?;
        Ok(vec![Part::owned(encode_ok(&Stored { id }))])
    });
}
