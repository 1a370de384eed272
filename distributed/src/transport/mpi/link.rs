//! The one thread of a process that talks MPI (both ends of the MPI backend use it): it
//! initializes MPI, posts every send as a non-blocking send, receives every message that arrives
//! (a non-blocking matched probe, so it never waits on one peer), hands received messages to the
//! process through a channel, and finalizes MPI at the end. No call of this process ever blocks
//! on a peer inside MPI: a peer that stops receiving leaves a send pending, which the callers
//! notice by their own deadlines, and two ranks sending to each other at once cannot deadlock,
//! since both keep receiving. All MPI calls happen on this thread (`MPI_THREAD_FUNNELED`).

use bytes::Bytes;
use mpi::Threading;
use mpi::point_to_point::{Destination, MatchedReceiveVec, Source};
use mpi::request::{Request, StaticScope};
use mpi::topology::Communicator;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A message that arrived: its source rank, its tag and its bytes.
pub struct Incoming {
    pub source: i32,
    pub tag: i32,
    pub data: Vec<u8>,
}

/// Bytes to send: a slice of a shared payload (`wire::encode_shared`: for a dense matrix the
/// matrix's own memory), so that the chunks of a large object are sent without copies.
pub struct Part {
    bytes: Bytes,
}

impl Part {
    /// A whole message of its own.
    pub fn owned(bytes: Vec<u8>) -> Part {
        Part { bytes: Bytes::from(bytes) }
    }

    /// The chunks of at most `chunk` bytes of `payload` (none for an empty payload).
    pub fn chunks(payload: &Bytes, chunk: usize) -> Vec<Part> {
        let chunk = chunk.max(1);
        (0..payload.len().div_ceil(chunk))
            .map(|i| Part { bytes: payload.slice(i * chunk..((i + 1) * chunk).min(payload.len())) })
            .collect()
    }
}

enum Command {
    /// Messages to one rank under one tag, sent in this order.
    Send { dest: i32, tag: i32, parts: Vec<Part> },
    /// Ends every process of the job (`MPI_Abort`) with this exit code.
    Abort(i32),
}

/// How long the end of the run waits for sends still pending before it gives up on them.
const FINISH_TIMEOUT: Duration = Duration::from_secs(10);

/// The process's MPI thread.
pub struct Link {
    rank: i32,
    size: i32,
    commands: Mutex<Option<Sender<Command>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Link {
    /// Initializes MPI on a thread of its own; the link and the messages that will arrive.
    pub fn start() -> Result<(Link, Receiver<Incoming>), String> {
        let (commands, command_rx) = mpsc::channel::<Command>();
        let (incoming_tx, incoming) = mpsc::channel::<Incoming>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(i32, i32), String>>();
        let thread = std::thread::Builder::new()
            .name("daphne-mpi".into())
            .spawn(move || {
                let Some((universe, _)) = mpi::initialize_with_threading(Threading::Funneled) else {
                    let _ = ready_tx.send(Err("MPI is already initialized in this process".into()));
                    return;
                };
                let world = universe.world();
                let _ = ready_tx.send(Ok((world.rank(), world.size())));
                progress(&world, &command_rx, &incoming_tx);
                // Dropping the universe finalizes MPI.
                drop(universe);
            })
            .map_err(|e| format!("cannot start the MPI thread: {e}"))?;
        let (rank, size) = match ready_rx.recv() {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err("MPI failed to initialize".into()),
        };
        let link = Link { rank, size, commands: Mutex::new(Some(commands)), thread: Mutex::new(Some(thread)) };
        Ok((link, incoming))
    }

    /// This process's rank in the world.
    pub fn rank(&self) -> i32 {
        self.rank
    }

    /// How many processes the world has.
    pub fn size(&self) -> i32 {
        self.size
    }

    /// Sends `parts` to `dest` under `tag`, in order, without waiting for them to arrive; false
    /// when the link is finished.
    pub fn send(&self, dest: i32, tag: i32, parts: Vec<Part>) -> bool {
        let Ok(commands) = self.commands.lock() else { return false };
        commands.as_ref().is_some_and(|c| c.send(Command::Send { dest, tag, parts }).is_ok())
    }

    /// Ends every process of the job with `code` (`MPI_Abort`); this process does not return.
    pub fn abort(&self, code: i32) -> ! {
        if let Ok(commands) = self.commands.lock()
            && let Some(c) = commands.as_ref()
        {
            let _ = c.send(Command::Abort(code));
        }
        // MPI_Abort ends this process from the MPI thread; should it not, end it here.
        std::thread::sleep(Duration::from_secs(10));
        std::process::exit(code)
    }

    /// Sends what is pending (bounded in time) and finalizes MPI. Called once at the end.
    pub fn finish(&self) {
        if let Ok(mut c) = self.commands.lock() {
            c.take();
        }
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A send MPI has not finished, and the bytes it reads.
struct Pending {
    request: Request<'static, [u8], StaticScope>,
    _keep: Bytes,
}

/// The MPI thread's loop: post sends, receive what arrived, complete sends; after the last
/// command, finish the pending sends (bounded) and return.
fn progress(world: &mpi::topology::SimpleCommunicator, commands: &Receiver<Command>, incoming: &Sender<Incoming>) {
    let mut pending: Vec<Pending> = Vec::new();
    let mut finishing: Option<Instant> = None;
    let mut idle_rounds = 0u32;
    loop {
        let mut busy = false;
        while finishing.is_none() {
            match commands.try_recv() {
                Ok(Command::Send { dest, tag, parts }) => {
                    busy = true;
                    if dest < 0 || dest >= world.size() {
                        continue;
                    }
                    let target = world.process_at_rank(dest);
                    for p in parts {
                        // SAFETY: `p.bytes` is a slice of memory that lives as long as a handle
                        // of it does and never moves or changes (`Bytes`), and that handle is
                        // kept in `pending` with the request until MPI reports the send complete;
                        // if it never completes, both are leaked at the end instead of freed.
                        let bytes: &'static [u8] =
                            unsafe { std::slice::from_raw_parts(p.bytes.as_ptr(), p.bytes.len()) };
                        let request = target.immediate_send_with_tag(StaticScope, bytes, tag);
                        pending.push(Pending { request, _keep: p.bytes });
                    }
                }
                Ok(Command::Abort(code)) => world.abort(code),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => finishing = Some(Instant::now()),
            }
        }
        while let Some(probed) = world.any_process().immediate_matched_probe() {
            busy = true;
            let (data, status) = probed.matched_receive_vec::<u8>();
            let _ = incoming.send(Incoming { source: status.source_rank(), tag: status.tag(), data });
        }
        if !pending.is_empty() {
            let before = pending.len();
            pending = pending
                .into_iter()
                .filter_map(|p| match p.request.test() {
                    Ok(_) => None,
                    Err(request) => Some(Pending { request, _keep: p._keep }),
                })
                .collect();
            busy |= pending.len() != before;
        }
        if let Some(since) = finishing {
            if pending.is_empty() {
                return;
            }
            if since.elapsed() > FINISH_TIMEOUT {
                eprintln!(
                    "daphne: MPI rank {}: {} messages were not received within {} s at the end of the run",
                    world.rank(),
                    pending.len(),
                    FINISH_TIMEOUT.as_secs()
                );
                // A request may not be dropped before it completes: leak them with their buffers.
                std::mem::forget(pending);
                world.abort(3);
            }
        }
        if busy {
            idle_rounds = 0;
        } else {
            // Idle: back off from spinning to 1 ms naps, so that an idle rank costs no core but a
            // message in a busy exchange is picked up at once.
            idle_rounds = idle_rounds.saturating_add(1);
            match idle_rounds {
                0..=64 => std::hint::spin_loop(),
                65..=256 => std::thread::yield_now(),
                257..=1024 => std::thread::sleep(Duration::from_micros(50)),
                _ => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }
}
