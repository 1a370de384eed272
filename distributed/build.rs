//! Generates the gRPC code of the coordinator-worker protocol from `proto/` with protox (pure
//! Rust, so no `protoc` needs installing).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/daphne/v1/worker.proto";
    println!("cargo:rerun-if-changed={proto}");
    let fds = protox::compile([proto], ["proto"])?;
    // The payload fields are `bytes::Bytes`, not `Vec<u8>`: a chunk to send is a slice of the
    // object's memory (no copy), and a received chunk is a slice of the buffer gRPC read it into.
    tonic_prost_build::configure()
        .bytes(".daphne.v1.StoreChunk.data")
        .bytes(".daphne.v1.DataChunk.data")
        .compile_fds(fds)?;
    Ok(())
}
