//! Store and Transfer throughput of the MPI backend: a ping-pong of one dense f64 matrix between
//! rank 0 (the coordinator's `MpiTransport`) and rank 1 (a worker rank serving a `WorkerCore`
//! through `daphne_worker::mpi`), the counterpart of `transfer_throughput.rs` for gRPC.
//!
//! ```text
//! cargo build --release --example mpi_ping_pong
//! mpirun --allow-run-as-root -np 2 --bind-to none --mca btl self,vader \
//!     target/release/examples/mpi_ping_pong [--mib N] [--chunk-bytes B] [--reps R]
//! ```
//!
//! Per repetition, rank 0 stores the matrix of `--mib` MiB (default 256; encode, chunks of
//! `--chunk-bytes`, default `daphne`'s `DEFAULT_CHUNK_BYTES`, 256 KiB, the worker's decode and
//! its answer), transfers it back
//! (request to decoded object), checks it bit for bit and frees it. GB/s are payload bytes / s,
//! GB = 1e9 bytes; the last line `RESULT store_gbps=... transfer_gbps=...` has the medians.

use daphne_distributed::transport::Transport;
use daphne_distributed::transport::mpi::MpiTransport;
use daphne_distributed::transport::mpi::link::Link;
use daphne_runtime::data::Data;
use daphne_runtime::dense::DenseMatrix;
use daphne_runtime::matrix::{Dense, Matrix};
use daphne_runtime::vectorized::{Engine, EngineOptions};
use daphne_worker::core::{WorkerCore, WorkerLimits};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

fn flag(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).ok_or_else(|| format!("{name} needs a number")),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn run() -> Result<(), String> {
    // As `daphne` does on every rank: freed buffers are reused, not faulted in afresh.
    daphne_distributed::buffers::keep_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mib = flag(&args, "--mib", 256)?;
    let chunk = flag(&args, "--chunk-bytes", daphne_distributed::protocol::DEFAULT_CHUNK_BYTES)?;
    let reps = flag(&args, "--reps", 3)?.max(1);
    let (link, incoming) = Link::start()?;
    if link.rank() != 0 {
        let engine = Arc::new(Engine::new(&EngineOptions { threads: 1, ..EngineOptions::default() })?);
        daphne_worker::mpi::serve(link, incoming, Arc::new(WorkerCore::new(engine, WorkerLimits::default())));
        return Ok(());
    }
    let t = MpiTransport::new(link, incoming, chunk)?;
    t.check_workers()?;
    let cols = 1024;
    let rows = (mib << 20) / 8 / cols;
    let values: Vec<f64> = (0..rows * cols).map(|i| (i as f64).sqrt()).collect();
    let data = Data::Matrix(Matrix::Dense(Dense::F64(DenseMatrix::from_vec(rows, cols, values))));
    let (mut store, mut transfer) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        let t0 = Instant::now();
        let (id, bytes) = t.store(0, &data).map_err(|e| e.describe())?;
        let s = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let (back, _) = t.transfer(0, id).map_err(|e| e.describe())?;
        let x = t1.elapsed().as_secs_f64();
        let same = match (&back, &data) {
            (Data::Matrix(Matrix::Dense(Dense::F64(a))), Data::Matrix(Matrix::Dense(Dense::F64(b)))) => {
                a.rows() == b.rows() && a.iter().zip(b.iter()).all(|(p, q)| p.to_bits() == q.to_bits())
            }
            _ => false,
        };
        if !same {
            return Err("the object came back different".into());
        }
        t.free(0, &[id], false).map_err(|e| e.describe())?;
        let gb = bytes as f64 / 1e9;
        println!("rep {rep}: store {s:.3} s ({:.2} GB/s), transfer {x:.3} s ({:.2} GB/s)", gb / s, gb / x);
        store.push(gb / s);
        transfer.push(gb / x);
    }
    println!(
        "RESULT mib={mib} chunk_bytes={chunk} store_gbps={:.3} transfer_gbps={:.3}",
        median(store),
        median(transfer)
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mpi_ping_pong: {e}");
            ExitCode::from(1)
        }
    }
}
