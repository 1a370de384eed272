//! The `DistributedWorker IP:PORT [config.json]` program (its binary is `src/bin/DistributedWorker.rs`
//! of the `daphne` package, so that it is built and tested beside `daphne`): a thin gRPC server over
//! the runtime that stores partitions of data objects, runs the DaphneIR pipelines coordinators send
//! it and hands back the results (the service is `daphne_runtime::dist::worker`). It prints
//! ``Started Distributed Worker on `IP:PORT` `` once it listens, serves until SIGINT or SIGTERM,
//! and exits non-zero with a message when the address is bad or taken.

use daphne_runtime::dist::proto::worker_server::WorkerServer;
use daphne_runtime::dist::worker::WorkerService;
use daphne_runtime::engine::{Engine, EngineOptions};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage: DistributedWorker IP:PORT [config.json]";

/// Largest gRPC message accepted (chunks are far smaller; this only bounds a single message).
const MAX_MESSAGE_BYTES: usize = 1 << 30;

/// Reads the optional worker configuration: DAPHNE's `UserConfig` keys; `numberOfThreads` has an
/// effect here, the others are accepted and ignored.
fn threads_from_config(path: &str) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the configuration `{path}`: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("the configuration `{path}` is not valid JSON: {e}"))?;
    let obj = json.as_object().ok_or_else(|| format!("the configuration `{path}` must be a JSON object"))?;
    Ok(obj.get("numberOfThreads").and_then(serde_json::Value::as_i64).map_or(0, |n| n.max(0) as usize))
}

/// Runs the worker with the program's arguments (without the program name).
pub fn main(args: Vec<String>) -> ExitCode {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let (addr_text, config) = match args.as_slice() {
        [a] => (a.clone(), None),
        [a, c] => (a.clone(), Some(c.clone())),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(1);
        }
    };
    let addr: SocketAddr = match addr_text.parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!("DistributedWorker: `{addr_text}` is not an IP:PORT address");
            return ExitCode::from(1);
        }
    };
    let threads = match config.as_deref().map(threads_from_config).transpose() {
        Ok(t) => t.unwrap_or(0),
        Err(e) => {
            eprintln!("DistributedWorker: {e}");
            return ExitCode::from(1);
        }
    };
    let engine = match Engine::new(&EngineOptions { threads, ..EngineOptions::default() }) {
        Ok(e) => Arc::new(e),
        Err(e) => {
            eprintln!("DistributedWorker: {e}");
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().worker_threads(2).build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("DistributedWorker: cannot start the network threads: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(addr, &addr_text, engine)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("DistributedWorker: {e}");
            ExitCode::from(1)
        }
    }
}

async fn serve(addr: SocketAddr, shown: &str, engine: Arc<Engine>) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on `{shown}`: {e}"))?;
    let service = Arc::new(WorkerService::new(engine));
    let server = WorkerServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    println!("Started Distributed Worker on `{shown}`");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let incoming = tokio_stream_from(listener);
    tonic::transport::Server::builder()
        .add_service(server)
        .serve_with_incoming_shutdown(incoming, shutdown_signal())
        .await
        .map_err(|e| format!("the server failed: {e}"))
}

fn tokio_stream_from(listener: tokio::net::TcpListener) -> tonic::transport::server::TcpIncoming {
    tonic::transport::server::TcpIncoming::from(listener)
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("DistributedWorker: cannot handle SIGTERM ({e}); stop it with SIGINT");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
