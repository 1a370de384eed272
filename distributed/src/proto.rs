//! The generated code of `proto/daphne/v1/worker.proto` (messages, client and server).

#![allow(clippy::all, missing_docs)]

tonic::include_proto!("daphne.v1");

pub use crate::protocol::PROTOCOL_VERSION;
