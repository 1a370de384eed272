//! Distributed execution: the wire protocol (`proto`), how runtime data becomes bytes and back
//! (`wire`), the shared token (`auth`) and optional TLS (`tls`), and the coordinator that runs
//! distributed pipelines on `DistributedWorker`s.

pub mod auth;
pub mod coordinator;
pub mod proto;
pub mod tls;
pub mod wire;
pub mod worker;
