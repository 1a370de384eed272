//! `--distributed --dist_backend=MPI`: under `mpirun -np N` (or `srun`), every rank runs
//! `daphne` with the same command line; this module starts MPI first, as DAPHNE does, and splits
//! the ranks: rank 0 goes on to compile and run the script as the coordinator (its workers are
//! ranks `1..N`, not `DISTRIBUTED_WORKERS`), every other rank serves it as a worker until rank 0
//! tells it to stop. Without the `mpi` cargo feature the backend is answered with an error.

use crate::cli::Cli;
use crate::config::UserConfig;
#[cfg(feature = "mpi")]
use daphne_distributed::transport::mpi::{MpiTransport, link::Link};

/// What this process is in the MPI job.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub enum Role {
    /// Rank 0: it runs the script; dropping this tells the workers to stop.
    Coordinator(MpiCoordinator),
    /// Any other rank: it served as a worker and is done (with its exit code).
    WorkerDone(Result<(), u8>),
}

/// Rank 0's end of the MPI job.
#[cfg(feature = "mpi")]
pub struct MpiCoordinator(MpiTransport);

/// Without the `mpi` feature there is no MPI job.
#[cfg(not(feature = "mpi"))]
pub enum MpiCoordinator {}

#[cfg(feature = "mpi")]
impl MpiCoordinator {
    /// The coordinator over the worker ranks, once each has answered.
    pub fn connect(self) -> Result<daphne_distributed::coordinator::Coordinator, String> {
        self.0.check_workers()?;
        Ok(daphne_distributed::coordinator::Coordinator::over(Box::new(self.0)))
    }
}

#[cfg(not(feature = "mpi"))]
impl MpiCoordinator {
    pub fn connect(self) -> Result<daphne_distributed::coordinator::Coordinator, String> {
        match self {}
    }
}

/// Starts MPI and runs the worker ranks; rank 0 gets its coordinator's end back.
#[cfg(feature = "mpi")]
pub fn start(cli: &Cli, config: &UserConfig) -> Result<Role, String> {
    use daphne_distributed::protocol::MAX_CHUNK_BYTES;
    let (link, incoming) = Link::start().map_err(|e| format!("--dist_backend=MPI: {e}"))?;
    if link.rank() == 0 {
        let chunk = cli.max_distr_chunk_size.unwrap_or(daphne_distributed::coordinator::DEFAULT_CHUNK_BYTES);
        let t = MpiTransport::new(link, incoming, chunk.clamp(1, MAX_CHUNK_BYTES))?;
        return Ok(Role::Coordinator(MpiCoordinator(t)));
    }
    let opts = daphne_runtime::vectorized::EngineOptions {
        threads: cli
            .num_threads
            .or(config.number_of_threads.map(|n| n.max(0) as usize))
            .unwrap_or_else(threads_per_rank),
        batch_bytes: cli.phy_batch_size.unwrap_or(daphne_runtime::vectorized::DEFAULT_BATCH_BYTES),
        grain_size: cli.grain_size.or(config.minimum_task_size).unwrap_or(1),
        codegen: !cli.no_codegen,
        codegen_threshold: cli.codegen_threshold.unwrap_or(daphne_runtime::vectorized::DEFAULT_CODEGEN_THRESHOLD),
        ..daphne_runtime::vectorized::EngineOptions::default()
    };
    let engine = match daphne_runtime::vectorized::Engine::new(&opts) {
        Ok(e) => std::sync::Arc::new(e),
        Err(e) => {
            eprintln!("daphne: MPI rank {}: {e}; ending the MPI job", link.rank());
            link.abort(3)
        }
    };
    // The ranks of one MPI job are one user's processes that trust each other (README): a worker
    // rank reads the files rank 0 asks for, as rank 0 itself could.
    let limits = daphne_worker::core::WorkerLimits {
        data_dir: daphne_worker::data_dir::DataDir::new("/").ok(),
        ..daphne_worker::core::WorkerLimits::default()
    };
    let core = daphne_worker::core::WorkerCore::new(engine, limits);
    daphne_worker::mpi::serve(link, incoming, std::sync::Arc::new(core));
    Ok(Role::WorkerDone(Ok(())))
}

#[cfg(not(feature = "mpi"))]
pub fn start(_cli: &Cli, _config: &UserConfig) -> Result<Role, String> {
    Err("--dist_backend=MPI: this daphne is not built with MPI support (the `mpi` cargo feature); use sync-gRPC or async-gRPC".into())
}

/// The engine threads of a worker rank: the cores shared by the ranks Open MPI placed on this
/// node (all cores when it does not say, as for one rank per node under Slurm).
#[cfg(feature = "mpi")]
fn threads_per_rank() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let local = ["OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    (cores / local).max(1)
}
