//! `DistributedWorker IP:PORT [config.json]`: see the `daphne-worker` crate.

/// Matrix-sized buffers are recycled instead of faulted in afresh for every task's result.
#[global_allocator]
static ALLOCATOR: daphne_runtime::memory::RecyclingAllocator = daphne_runtime::memory::RecyclingAllocator;

fn main() -> std::process::ExitCode {
    daphne_worker::main(std::env::args().skip(1).collect())
}
