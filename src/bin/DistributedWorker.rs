//! `DistributedWorker IP:PORT [config.json]`: see the `daphne-worker` crate.

fn main() -> std::process::ExitCode {
    daphne_worker::main(std::env::args().skip(1).collect())
}
