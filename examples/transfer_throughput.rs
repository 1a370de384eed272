//! Store and Transfer throughput of the worker protocol, measured against a real
//! `DistributedWorker` on 127.0.0.1.
//!
//! ```text
//! cargo run --release --example transfer_throughput -- [--mib N] [--chunk-bytes B] [--reps R] [--cols C]
//! ```
//!
//! Starts `DistributedWorker --num-threads 1 --exit-with-stdin 127.0.0.1:0` (the binary next to
//! this example's directory, `target/release/DistributedWorker`, or `$DAPHNE_WORKER_BIN`), reads
//! its banner for the port and then, `--reps` times, does what the coordinator does for one input
//! (distributed/src/transport/grpc.rs) with a dense f64 matrix of `--mib` MiB (default 256):
//!
//! * **Store**: `wire::encode_shared` the matrix (its own memory, no copy), stream it as
//!   `StoreChunk`s of `--chunk-bytes` (default the coordinator's, `DEFAULT_CHUNK_BYTES`, 256 KiB;
//!   the first chunk carries the header; `transport::grpc::store_chunks`, as the coordinator) and
//!   wait for `Stored`. The worker decodes each chunk into the object's final buffer as it arrives
//!   (`wire::Decoder`) and keeps the object before it answers, so this is the full cost of
//!   sending one object.
//! * **Transfer**: ask for the object back (`TransferRequest` with the same chunk size), receive the
//!   `DataChunk`s (the worker encodes before it sends the first one) into a `wire::Decoder` here,
//!   as the coordinator does, and finish it.
//! * The round trip is checked (bit-for-bit equal to the original) and the object freed
//!   (`FreeMem`, which must leave the worker holding nothing).
//!
//! GB/s are payload bytes (8 per cell) / seconds, GB = 1e9 bytes. Per repetition and as medians:
//! `store` (encode + RPC), `transfer` (request to decoded object), and the parts: `encode`/`decode`
//! (the wire format alone, on this side; `decode` is `Decoder::finish` after the last chunk, the
//! cells having been copied in place as they arrived), `upload` (from the start of the Store RPC until the
//! request stream has handed its last chunk to the client, i.e. the bytes are in flight; the
//! worker's decode after that is not in it; for objects of many MiB: a small one fits in gRPC's
//! send buffers at once) and `download` (from the first to the last chunk of
//! Transfer, the payload after the first chunk over that time: the worker's encode, which happens
//! before the first chunk, is not in it; `wait` is the time to that first chunk). The last line,
//! `RESULT key=value ...`, carries the medians for scripts (bench/dist.py reads it).
//!
//! The client's HTTP/2 settings are the coordinator's (`transport::grpc::tune`: windows, frame
//! size, no Nagle). `--window BYTES` overrides its receive windows (stream and connection); they bound
//! Transfer only (the worker's windows bound Store); 0 keeps tonic's defaults (64 KiB), for
//! comparison. Like `daphne`, the example keeps freed memory for reuse
//! (`buffers::keep_freed_memory`).
//!
//! The worker is killed when the example ends, also on a panic or an error (a guard); with
//! `--exit-with-stdin` it also stops if this process is killed outright.

use daphne_distributed::proto::worker_client::WorkerClient;
use daphne_distributed::proto::{FreeRequest, PROTOCOL_VERSION, StoreChunk, TransferRequest};
use daphne_distributed::protocol::{CONNECTION_WINDOW_BYTES, DEFAULT_CHUNK_BYTES, WINDOW_BYTES};
use daphne_distributed::transport::grpc::{store_chunks, tune};
use daphne_distributed::{buffers, wire};
use daphne_runtime::data::Data;
use daphne_runtime::dense::DenseMatrix;
use daphne_runtime::matrix::{Dense, Matrix};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};

const BANNER: &str = "Started Distributed Worker on `";
/// The session id of this benchmark (any value; the worker keeps objects per session).
const SESSION: u64 = 0x7468_726f_7567_6870;
const USAGE: &str = "usage: transfer_throughput [--mib N (256)] [--chunk-bytes B (the coordinator's default)] [--reps R (5)] [--cols C (1024)] [--window BYTES (the coordinator's)]\n\
                     --window: this client's HTTP/2 stream receive window (the coordinator's by default; 0: tonic's 64 KiB); it bounds Transfer only.\n\
                     The worker binary: $DAPHNE_WORKER_BIN, else DistributedWorker in target/release/ next to this example.";

struct Options {
    mib: usize,
    chunk_bytes: usize,
    reps: usize,
    cols: usize,
    window: usize,
}

fn parse_args() -> Result<Options, String> {
    let mut o =
        Options { mib: 256, chunk_bytes: DEFAULT_CHUNK_BYTES, reps: 5, cols: 1024, window: WINDOW_BYTES as usize };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        if key == "--help" || key == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let slot = match key.as_str() {
            "--mib" => &mut o.mib,
            "--chunk-bytes" => &mut o.chunk_bytes,
            "--reps" => &mut o.reps,
            "--cols" => &mut o.cols,
            "--window" => &mut o.window,
            _ => return Err(format!("unknown argument `{a}`")),
        };
        let v = inline.or_else(|| it.next()).ok_or_else(|| format!("{key} needs a number"))?;
        *slot = v.parse().map_err(|_| format!("{key}: `{v}` is not a number"))?;
    }
    if o.mib == 0 || o.chunk_bytes == 0 || o.reps == 0 || o.cols == 0 {
        return Err("--mib, --chunk-bytes, --reps and --cols must be positive".into());
    }
    Ok(o)
}

/// The worker process; killed (and reaped) when dropped, whatever the way out.
struct Worker {
    child: Child,
    _stdin: Option<ChildStdin>,
    addr: String,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn worker_bin() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("DAPHNE_WORKER_BIN") {
        return Ok(PathBuf::from(p));
    }
    // target/release/examples/transfer_throughput -> target/release/DistributedWorker
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let dir = exe.parent().and_then(|p| p.parent()).ok_or("cannot find target/release/")?;
    let bin = dir.join(format!("DistributedWorker{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        return Err(format!(
            "no worker at {} (build it with `cargo build --release`, or set DAPHNE_WORKER_BIN)",
            bin.display()
        ));
    }
    Ok(bin)
}

fn start_worker(bin: &PathBuf) -> Result<Worker, String> {
    let mut child = Command::new(bin)
        .args(["--num-threads", "1", "--exit-with-stdin", "127.0.0.1:0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("piped stdout");
    // The guard exists from here on: an early return kills the process.
    let mut worker = Worker { child, _stdin: stdin, addr: String::new() };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        for _ in lines {} // keep draining, so the worker never blocks on a full pipe
    });
    let line = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Some(Ok(line))) => line,
        other => return Err(format!("the worker did not start ({other:?})")),
    };
    worker.addr = line
        .trim()
        .strip_prefix(BANNER)
        .and_then(|r| r.strip_suffix('`'))
        .ok_or_else(|| format!("unexpected worker banner `{line}`"))?
        .to_string();
    Ok(worker)
}

async fn connect(addr: &str, window: usize) -> Result<WorkerClient<Channel>, String> {
    let mut endpoint = tune(
        Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| e.to_string())?
            .connect_timeout(Duration::from_secs(5)),
    );
    if window == 0 {
        endpoint = endpoint.initial_stream_window_size(None).initial_connection_window_size(None);
    } else if window != WINDOW_BYTES as usize {
        // Our receive windows: they only bound Transfer (the worker's windows bound Store).
        let w = u32::try_from(window).map_err(|_| "--window is too large")?;
        let ratio = CONNECTION_WINDOW_BYTES / WINDOW_BYTES;
        endpoint = endpoint.initial_stream_window_size(w).initial_connection_window_size(w.saturating_mul(ratio));
    }
    let channel = endpoint.connect().await.map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    Ok(WorkerClient::new(channel).max_decoding_message_size(1 << 30).max_encoding_message_size(1 << 30))
}

/// The store stream's chunks (the coordinator's, `store_chunks`), noting when the client has
/// taken the last one.
struct Chunks<I> {
    chunks: I,
    done: Arc<Mutex<Option<Instant>>>,
}

impl<I: Iterator<Item = StoreChunk>> Iterator for Chunks<I> {
    type Item = StoreChunk;
    fn next(&mut self) -> Option<StoreChunk> {
        let next = self.chunks.next();
        if next.is_none() {
            self.done.lock().unwrap().get_or_insert_with(Instant::now);
        }
        next
    }
}

/// Seconds of one repetition.
#[derive(Clone, Copy, Default)]
struct Rep {
    encode: f64,
    upload: f64,
    store_rpc: f64,
    wait: f64,
    download: f64,
    download_bytes: u64,
    decode: f64,
    transfer: f64,
}

fn secs(a: Instant, b: Instant) -> f64 {
    b.duration_since(a).as_secs_f64()
}

fn gbps(bytes: u64, s: f64) -> f64 {
    if s > 0.0 { bytes as f64 / s / 1e9 } else { f64::INFINITY }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn f64_cells(d: &Data) -> Option<&DenseMatrix<f64>> {
    match d {
        Data::Matrix(Matrix::Dense(Dense::F64(m))) => Some(m),
        _ => None,
    }
}

fn same_bits(a: &DenseMatrix<f64>, b: &DenseMatrix<f64>) -> bool {
    a.rows() == b.rows() && a.cols() == b.cols() && a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn one_rep(
    rt: &tokio::runtime::Runtime,
    client: &mut WorkerClient<Channel>,
    data: &Data,
    chunk: usize,
) -> Result<(Rep, u64), String> {
    let mut r = Rep::default();
    // ---- Store: encode, then stream the chunks ----
    let t0 = Instant::now();
    let (meta, payload) = wire::encode_shared(data)?;
    let t1 = Instant::now();
    r.encode = secs(t0, t1);
    let bytes = payload.len() as u64;
    let done = Arc::new(Mutex::new(None));
    let chunks = Chunks { chunks: store_chunks(SESSION, meta, &payload, chunk), done: Arc::clone(&done) };
    drop(payload);
    let t2 = Instant::now();
    let id = rt
        .block_on(client.store(tokio_stream::iter(chunks)))
        .map_err(|s| format!("Store failed: {:?}: {}", s.code(), s.message()))?
        .into_inner()
        .id;
    let t3 = Instant::now();
    r.store_rpc = secs(t2, t3);
    r.upload = secs(t2, done.lock().unwrap().unwrap_or(t3));

    // ---- Transfer: receive the chunks, then decode ----
    let t4 = Instant::now();
    // As the coordinator's `transport::grpc::receive_object`, with the time of the first and
    // the last chunk noted.
    let (decoder, t_first, t_last, first_len) = rt.block_on(async {
        let req = TransferRequest { version: PROTOCOL_VERSION, session: SESSION, id, chunk_bytes: chunk as u64 };
        let mut stream = client.transfer(req).await.map_err(|s| format!("Transfer failed: {s}"))?.into_inner();
        let first =
            stream.message().await.map_err(|s| format!("Transfer failed: {s}"))?.ok_or("the worker sent no data")?;
        let t_first = Instant::now();
        let meta = first.meta.ok_or("the first chunk has no header")?;
        let mut decoder = wire::Decoder::new(meta).map_err(|e| e.message)?;
        decoder.push(&first.data)?;
        let first_len = first.data.len() as u64;
        while let Some(c) = stream.message().await.map_err(|s| format!("Transfer failed: {s}"))? {
            decoder.push(&c.data)?;
        }
        Ok::<_, String>((decoder, t_first, Instant::now(), first_len))
    })?;
    let back = decoder.finish()?;
    let t5 = Instant::now();
    r.wait = secs(t4, t_first);
    r.download = secs(t_first, t_last);
    r.download_bytes = bytes - first_len;
    r.decode = secs(t_last, t5);
    r.transfer = secs(t4, t5);

    // ---- Check and free ----
    let (a, b) = (f64_cells(data).expect("f64 input"), f64_cells(&back).ok_or("the object came back as another type")?);
    if !same_bits(a, b) {
        return Err("the object that came back differs from the one stored".into());
    }
    let freed = rt
        .block_on(client.free_mem(FreeRequest {
            version: PROTOCOL_VERSION,
            session: SESSION,
            ids: vec![id],
            all: false,
        }))
        .map_err(|s| format!("FreeMem failed: {s}"))?
        .into_inner();
    if freed.remaining != 0 {
        return Err(format!("the worker still holds {} objects after FreeMem", freed.remaining));
    }
    Ok((r, bytes))
}

fn run(o: &Options) -> Result<(), String> {
    let bin = worker_bin()?;
    let cells = (o.mib << 20) / 8;
    let cols = o.cols.min(cells.max(1));
    let rows = (cells / cols).max(1);
    // Deterministic, non-trivial values (no zero pages, every byte varies).
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let values: Vec<f64> = (0..rows * cols)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    let data = Data::Matrix(Matrix::Dense(Dense::F64(DenseMatrix::from_vec(rows, cols, values))));

    let worker = start_worker(&bin)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start tokio: {e}"))?;
    let mut client = rt.block_on(connect(&worker.addr, o.window))?;
    let bytes = (rows * cols * 8) as u64;
    println!(
        "transfer_throughput: dense f64 {rows}x{cols} ({:.1} MiB payload), chunks of {} bytes, {} reps, worker {} ({}, --num-threads 1)",
        bytes as f64 / (1u64 << 20) as f64,
        o.chunk_bytes,
        o.reps,
        worker.addr,
        bin.display()
    );
    println!("GB/s = payload bytes / s, GB = 1e9 bytes");
    println!(
        "{:>4} | {:>10} {:>10} {:>10} | {:>10} {:>10} {:>10} {:>8}",
        "rep", "store", "encode", "upload", "transfer", "download", "decode", "wait s"
    );
    let mut reps = Vec::with_capacity(o.reps);
    for i in 0..o.reps {
        let (r, b) = one_rep(&rt, &mut client, &data, o.chunk_bytes)?;
        debug_assert_eq!(b, bytes);
        println!(
            "{:>4} | {:>10.3} {:>10.3} {:>10.3} | {:>10.3} {:>10.3} {:>10.3} {:>8.3}",
            i + 1,
            gbps(bytes, r.encode + r.store_rpc),
            gbps(bytes, r.encode),
            gbps(bytes, r.upload),
            gbps(bytes, r.transfer),
            gbps(r.download_bytes, r.download),
            gbps(bytes, r.decode),
            r.wait
        );
        reps.push(r);
    }
    let med = |f: &dyn Fn(&Rep) -> f64| median(reps.iter().map(f).collect());
    let store = med(&|r| gbps(bytes, r.encode + r.store_rpc));
    let encode = med(&|r| gbps(bytes, r.encode));
    let upload = med(&|r| gbps(bytes, r.upload));
    let store_rpc = med(&|r| gbps(bytes, r.store_rpc));
    let transfer = med(&|r| gbps(bytes, r.transfer));
    let download = med(&|r| gbps(r.download_bytes, r.download));
    let decode = med(&|r| gbps(bytes, r.decode));
    let wait = med(&|r| r.wait);
    println!(
        "{:>4} | {:>10.3} {:>10.3} {:>10.3} | {:>10.3} {:>10.3} {:>10.3} {:>8.3}",
        "med", store, encode, upload, transfer, download, decode, wait
    );
    println!(
        "store = encode + Store RPC (upload, then the worker decodes and keeps the object: RPC alone {store_rpc:.3} GB/s)"
    );
    println!("transfer = Transfer RPC (worker encodes: `wait` to the first chunk; download) + decode here");
    println!(
        "RESULT bytes={bytes} reps={} chunk_bytes={} store_gbps={store:.4} transfer_gbps={transfer:.4} encode_gbps={encode:.4} \
         upload_gbps={upload:.4} store_rpc_gbps={store_rpc:.4} download_gbps={download:.4} decode_gbps={decode:.4} wait_s={wait:.4}",
        o.reps, o.chunk_bytes
    );
    drop(client);
    drop(rt);
    drop(worker);
    Ok(())
}

fn main() -> ExitCode {
    buffers::keep_freed_memory();
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("transfer_throughput: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("transfer_throughput: {e}");
            ExitCode::FAILURE
        }
    }
}
