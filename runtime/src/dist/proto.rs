//! The generated code of `proto/daphne/v1/worker.proto` (messages, client and server).

#![allow(clippy::all, missing_docs)]

tonic::include_proto!("daphne.v1");

/// The protocol version this build speaks; every request carries it.
pub const PROTOCOL_VERSION: u32 = 1;
