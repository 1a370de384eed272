//! The `DistributedWorker IP:PORT [config.json]` program (its binary is `src/bin/DistributedWorker.rs`
//! of the `daphne` package, so that it is built and tested beside `daphne`): a thin gRPC server over
//! the runtime that stores partitions of data objects, runs the DaphneIR pipelines coordinators send
//! it and hands back the results (the service is `daphne_runtime::dist::worker`). It prints
//! ``Started Distributed Worker on `IP:PORT` `` once it listens (port 0 asks for a free port; the
//! line shows the one it got), serves until SIGINT or SIGTERM, and exits non-zero with a message
//! when the address is bad or taken.
//!
//! Options beyond DAPHNE's (each also a key of the configuration file): `--num-threads N`
//! (`numberOfThreads`), `--memory-limit BYTES` (`memoryLimit`; suffixes K, M, G), `--session-timeout
//! SECONDS` (`sessionTimeoutSeconds`), the shared token from `DAPHNE_WORKER_TOKEN` (`token`),
//! `--tls-cert PATH --tls-key PATH` (`tlsCert`, `tlsKey`: PEM certificate and key; with them the
//! worker serves only TLS), `--no-codegen` (run pipelines on the kernels instead of JIT-compiled
//! code, to compare both), `--codegen-threshold BYTES` (as `daphne --codegen-threshold`), and `--exit-with-stdin` (stop when standard input closes: `daphne`
//! starts its embedded workers so, and they end with it even if it is killed).

use daphne_runtime::dist::auth::{CheckToken, TOKEN_ENV, token_from_env, validate_token};
use daphne_runtime::dist::proto::worker_server::WorkerServer;
use daphne_runtime::dist::tls::{HANDSHAKE_TIMEOUT, read_pem};
use daphne_runtime::dist::worker::{DEFAULT_SESSION_TIMEOUT, WorkerLimits, WorkerService};
use daphne_runtime::vectorized::{Engine, EngineOptions};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::{Identity, ServerTlsConfig};

const USAGE: &str = "usage: DistributedWorker [--num-threads N] [--memory-limit BYTES] [--session-timeout SECONDS] [--tls-cert PATH --tls-key PATH] [--no-codegen] [--codegen-threshold BYTES] [--exit-with-stdin] IP:PORT [config.json]\n\
                     The shared token comes from DAPHNE_WORKER_TOKEN or the configuration's `token`;\n\
                     --tls-cert/--tls-key (or `tlsCert`/`tlsKey`) are PEM files: with them the worker serves only TLS.";

/// HTTP/2 flow-control window per stream (the default 64 KiB throttles large objects).
const WINDOW_BYTES: u32 = 16 << 20;

/// Largest gRPC message accepted (chunks are far smaller; this only bounds a single message).
const MAX_MESSAGE_BYTES: usize = 1 << 30;

/// What the command line and the configuration file set.
#[derive(Default)]
struct Settings {
    threads: Option<usize>,
    memory_limit: Option<u64>,
    session_timeout: Option<Duration>,
    token: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
}

/// Parses a byte count with an optional K, M or G suffix (powers of 1024).
fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// Reads the optional worker configuration: DAPHNE's `UserConfig` keys are accepted (only
/// `numberOfThreads` has an effect), plus ours: `memoryLimit`, `sessionTimeoutSeconds`, `token`,
/// `tlsCert`, `tlsKey`.
fn read_config(path: &str) -> Result<Settings, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the configuration `{path}`: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("the configuration `{path}` is not valid JSON: {e}"))?;
    let obj = json.as_object().ok_or_else(|| format!("the configuration `{path}` must be a JSON object"))?;
    let bad = |key: &str| format!("the configuration `{path}`: `{key}` has an invalid value");
    let mut s = Settings::default();
    if let Some(v) = obj.get("numberOfThreads") {
        s.threads = Some(v.as_i64().ok_or_else(|| bad("numberOfThreads"))?.max(0) as usize);
    }
    if let Some(v) = obj.get("memoryLimit") {
        let n = v.as_u64().or_else(|| v.as_str().and_then(parse_bytes)).ok_or_else(|| bad("memoryLimit"))?;
        s.memory_limit = Some(n);
    }
    if let Some(v) = obj.get("sessionTimeoutSeconds") {
        s.session_timeout = Some(Duration::from_secs(v.as_u64().ok_or_else(|| bad("sessionTimeoutSeconds"))?));
    }
    if let Some(v) = obj.get("token") {
        let t = v.as_str().ok_or_else(|| bad("token"))?;
        validate_token(t).map_err(|e| format!("the configuration `{path}`: {e}"))?;
        s.token = Some(t.to_string());
    }
    if let Some(v) = obj.get("tlsCert") {
        s.tls_cert = Some(v.as_str().ok_or_else(|| bad("tlsCert"))?.to_string());
    }
    if let Some(v) = obj.get("tlsKey") {
        s.tls_key = Some(v.as_str().ok_or_else(|| bad("tlsKey"))?.to_string());
    }
    Ok(s)
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("DistributedWorker: {message}\n{USAGE}");
    ExitCode::from(1)
}

/// Runs the worker with the program's arguments (without the program name).
pub fn main(args: Vec<String>) -> ExitCode {
    limit_allocator_arenas();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let mut flags = Settings::default();
    let mut exit_with_stdin = false;
    let mut codegen = true;
    let mut codegen_threshold = daphne_runtime::vectorized::DEFAULT_CODEGEN_THRESHOLD;
    let mut positional = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--exit-with-stdin" => exit_with_stdin = true,
            "--no-codegen" => codegen = false,
            "--codegen-threshold" => match it.next().and_then(|n| n.parse::<u64>().ok()) {
                Some(n) => codegen_threshold = n,
                None => return usage_error("--codegen-threshold needs a byte count"),
            },
            "--num-threads" => match it.next().and_then(|n| n.parse::<usize>().ok()) {
                Some(n) => flags.threads = Some(n),
                None => return usage_error("--num-threads needs a number"),
            },
            "--memory-limit" => match it.next().as_deref().and_then(parse_bytes) {
                Some(n) => flags.memory_limit = Some(n),
                None => return usage_error("--memory-limit needs a byte count (e.g. 512M)"),
            },
            "--session-timeout" => match it.next().and_then(|n| n.parse::<u64>().ok()) {
                Some(n) => flags.session_timeout = Some(Duration::from_secs(n)),
                None => return usage_error("--session-timeout needs a number of seconds"),
            },
            "--tls-cert" => match it.next() {
                Some(p) => flags.tls_cert = Some(p),
                None => return usage_error("--tls-cert needs the path of a PEM certificate"),
            },
            "--tls-key" => match it.next() {
                Some(p) => flags.tls_key = Some(p),
                None => return usage_error("--tls-key needs the path of a PEM private key"),
            },
            _ => positional.push(a),
        }
    }
    let (addr_text, config) = match positional.as_slice() {
        [a] => (a.clone(), None),
        [a, c] => (a.clone(), Some(c.clone())),
        _ => return usage_error("expected an address and at most a configuration file"),
    };
    let addr: SocketAddr = match addr_text.parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!("DistributedWorker: `{addr_text}` is not an IP:PORT address");
            return ExitCode::from(1);
        }
    };
    let file = match config.as_deref().map(read_config).transpose() {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            eprintln!("DistributedWorker: {e}");
            return ExitCode::from(1);
        }
    };
    let env_token = token_from_env();
    if let Some(t) = &env_token
        && let Err(e) = validate_token(t)
    {
        eprintln!("DistributedWorker: {TOKEN_ENV}: {e}");
        return ExitCode::from(1);
    }
    let token = env_token.or(file.token);
    let tls = match (flags.tls_cert.or(file.tls_cert), flags.tls_key.or(file.tls_key)) {
        (None, None) => None,
        (Some(cert), Some(key)) => match read_identity(&cert, &key) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("DistributedWorker: {e}");
                return ExitCode::from(1);
            }
        },
        (Some(_), None) => return usage_error("--tls-cert (tlsCert) needs --tls-key (tlsKey) as well"),
        (None, Some(_)) => return usage_error("--tls-key (tlsKey) needs --tls-cert (tlsCert) as well"),
    };
    if token.is_none() && !addr.ip().is_loopback() {
        eprintln!(
            "DistributedWorker: warning: listening on {addr} without a token: anyone who can reach this address can run code here. Set {TOKEN_ENV} (and the same on the coordinator)."
        );
    }
    let limits = WorkerLimits {
        memory_bytes: flags.memory_limit.or(file.memory_limit),
        session_timeout: flags.session_timeout.or(file.session_timeout).unwrap_or(DEFAULT_SESSION_TIMEOUT),
    };
    let threads = flags.threads.or(file.threads).unwrap_or(0);
    let engine = match Engine::new(&EngineOptions { threads, codegen, codegen_threshold, ..EngineOptions::default() }) {
        Ok(e) => Arc::new(e),
        Err(e) => {
            eprintln!("DistributedWorker: {e}");
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .max_blocking_threads(8)
        .thread_keep_alive(Duration::from_secs(1))
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("DistributedWorker: cannot start the network threads: {e}");
            return ExitCode::from(1);
        }
    };
    let service = Arc::new(WorkerService::new(engine, limits));
    match runtime.block_on(serve(addr, &addr_text, service, CheckToken::new(token), tls, exit_with_stdin)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("DistributedWorker: {e}");
            ExitCode::from(1)
        }
    }
}

async fn serve(
    addr: SocketAddr,
    shown: &str,
    service: Arc<WorkerService>,
    check: CheckToken,
    tls: Option<ServerTlsConfig>,
    exit_with_stdin: bool,
) -> Result<(), String> {
    let mut builder = tonic::transport::Server::builder();
    if let Some(config) = tls {
        builder = builder
            .tls_config(config)
            .map_err(|e| format!("the TLS certificate or key is invalid: {}", source_chain(&e)))?;
    }
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on `{shown}`: {e}"))?;
    let bound = listener.local_addr().map_err(|e| format!("cannot listen on `{shown}`: {e}"))?;
    let shown = if addr.port() == 0 { bound.to_string() } else { shown.to_string() };
    // Sessions whose coordinator went away are freed in the background, and freed memory goes
    // back to the system (so a worker's footprint returns to its idle level between scripts).
    let expiring = Arc::clone(&service);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            expiring.expire_sessions();
            release_free_memory();
        }
    });
    let server = WorkerServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let server = tonic::service::interceptor::InterceptedService::new(server, check);
    println!("Started Distributed Worker on `{shown}`");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let incoming = tokio_stream_from(listener);
    builder
        .initial_stream_window_size(Some(WINDOW_BYTES))
        .initial_connection_window_size(Some(2 * WINDOW_BYTES))
        .add_service(server)
        .serve_with_incoming_shutdown(incoming, shutdown_signal(exit_with_stdin))
        .await
        .map_err(|e| format!("the server failed: {e}"))
}

/// Reads the worker's TLS certificate (chain) and private key (PEM files).
fn read_identity(cert: &str, key: &str) -> Result<ServerTlsConfig, String> {
    let cert = read_pem(cert, "TLS certificate (--tls-cert)", "CERTIFICATE")?;
    let key = read_pem(key, "TLS key (--tls-key)", "PRIVATE KEY")?;
    Ok(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)).timeout(HANDSHAKE_TIMEOUT))
}

/// An error and its sources, each once (wrappers often repeat their source's text).
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut last = s.clone();
    let mut cur = e.source();
    while let Some(inner) = cur {
        let text = inner.to_string();
        if !last.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        last = text;
        cur = inner.source();
    }
    s
}

fn tokio_stream_from(listener: tokio::net::TcpListener) -> tonic::transport::server::TcpIncoming {
    tonic::transport::server::TcpIncoming::from(listener)
}

/// Few allocator arenas: memory freed by one thread is reused by the others instead of staying
/// in per-thread arenas, so the worker's footprint does not drift with the threads that ran.
fn limit_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_ARENA_MAX: i32 = -8;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: called before any other thread exists; mallopt only changes a tuning value.
        unsafe {
            mallopt(M_ARENA_MAX, 2);
        }
    }
}

/// Returns the allocator's free memory to the system (glibc keeps it otherwise).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only releases unused memory of the allocator's arenas.
        unsafe {
            malloc_trim(0);
        }
    }
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
