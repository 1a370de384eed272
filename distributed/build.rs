//! Generates the gRPC code of the coordinator-worker protocol from `proto/` with protox (pure
//! Rust, so no `protoc` needs installing).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/daphne/v1/worker.proto";
    println!("cargo:rerun-if-changed={proto}");
    let fds = protox::compile([proto], ["proto"])?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
