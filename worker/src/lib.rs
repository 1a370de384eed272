//! The `DistributedWorker IP:PORT [config.json]` program (its binary is `src/bin/DistributedWorker.rs`
//! of the `daphne` package, so that it is built and tested beside `daphne`): a thin gRPC server over
//! the runtime that stores partitions of data objects, runs the DaphneIR pipelines coordinators send
//! it and hands back the results (the service is `daphne_runtime::dist::worker`). It prints
//! ``Started Distributed Worker on `IP:PORT` `` once it listens (port 0 asks for a free port; the
//! line shows the one it got), serves until SIGINT or SIGTERM, and exits non-zero with a message
//! when the address is bad or taken. Two options beyond DAPHNE's: `--num-threads N` (threads of
//! its vectorized engine) and `--exit-with-stdin` (stop when standard input closes: `daphne`
//! starts its embedded workers so, and they end with it even if it is killed).

use daphne_runtime::dist::proto::worker_server::WorkerServer;
use daphne_runtime::dist::worker::WorkerService;
use daphne_runtime::engine::{Engine, EngineOptions};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage: DistributedWorker [--num-threads N] [--exit-with-stdin] IP:PORT [config.json]";

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
    let mut threads_flag = None;
    let mut exit_with_stdin = false;
    let mut positional = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--exit-with-stdin" => exit_with_stdin = true,
            "--num-threads" => match it.next().and_then(|n| n.parse::<usize>().ok()) {
                Some(n) => threads_flag = Some(n),
                None => {
                    eprintln!("DistributedWorker: --num-threads needs a number\n{USAGE}");
                    return ExitCode::from(1);
                }
            },
            _ => positional.push(a),
        }
    }
    let (addr_text, config) = match positional.as_slice() {
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
        Ok(t) => threads_flag.or(t).unwrap_or(0),
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
    match runtime.block_on(serve(addr, &addr_text, engine, exit_with_stdin)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("DistributedWorker: {e}");
            ExitCode::from(1)
        }
    }
}

async fn serve(addr: SocketAddr, shown: &str, engine: Arc<Engine>, exit_with_stdin: bool) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on `{shown}`: {e}"))?;
    let bound = listener.local_addr().map_err(|e| format!("cannot listen on `{shown}`: {e}"))?;
    let shown = if addr.port() == 0 { bound.to_string() } else { shown.to_string() };
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
        .serve_with_incoming_shutdown(incoming, shutdown_signal(exit_with_stdin))
        .await
        .map_err(|e| format!("the server failed: {e}"))
}

fn tokio_stream_from(listener: tokio::net::TcpListener) -> tonic::transport::server::TcpIncoming {
    tonic::transport::server::TcpIncoming::from(listener)
}

/// Completes when standard input reaches its end (or fails).
async fn stdin_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Completes on SIGINT or SIGTERM (or when standard input closes, with `--exit-with-stdin`).
async fn shutdown_signal(exit_with_stdin: bool) {
    let stdin = async { if exit_with_stdin { stdin_closed().await } else { std::future::pending::<()>().await } };
    tokio::select! {
        _ = stdin => {}
        _ = signals() => {}
    }
}

async fn signals() {
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
