//! The `DistributedWorker IP:PORT [config.json]` program (its binary is
//! `src/bin/DistributedWorker.rs` of the `daphne` package, so that it is built and tested beside
//! `daphne`): a transport-free [`core::WorkerCore`] (objects, sessions, limits, module cache, task
//! execution) behind thin [`grpc`] handlers (and, with the `mpi` feature, the MPI handler `mpi`
//! of the worker ranks of `daphne --dist_backend=MPI`). It prints ``Started Distributed Worker on `IP:PORT` ``
//! once it listens (port 0 asks for a free port; the line shows the one it got), serves until
//! SIGINT or SIGTERM, and exits 1 with a message when the command line, the configuration or the
//! address is bad or the address is taken. Its flags are in [`cli`].

pub mod allowlist;
pub mod cli;
pub mod core;
pub mod data_dir;
pub mod grpc;
mod memory;
#[cfg(feature = "mpi")]
pub mod mpi;
mod shutdown;

use clap::Parser;
use cli::{Cli, read_config};
use core::{DEFAULT_SESSION_TIMEOUT, WorkerCore, WorkerLimits};
use daphne_distributed::auth::{CheckToken, TOKEN_ENV, token_from_env, validate_token};
use daphne_distributed::tls::{HANDSHAKE_TIMEOUT, read_pem};
use daphne_runtime::vectorized::{DEFAULT_CODEGEN_THRESHOLD, Engine, EngineOptions};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::{Identity, ServerTlsConfig};

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("DistributedWorker: {message}");
    ExitCode::from(1)
}

/// A command-line error: what is wrong, then the usage line.
fn usage_error(message: &str) -> ExitCode {
    let usage = <Cli as clap::CommandFactory>::command().render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage).to_string();
    fail(format!("{message}\nusage: {usage}\nSee `DistributedWorker --help` for every option."))
}

/// Runs the worker with the program's arguments (without the program name).
pub fn main(args: Vec<String>) -> ExitCode {
    daphne_distributed::buffers::keep_freed_memory();
    let cli = match Cli::try_parse_from(std::iter::once("DistributedWorker".to_string()).chain(args)) {
        Ok(c) => c,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            return usage_error(first.strip_prefix("error: ").unwrap_or(first));
        }
    };
    let addr: SocketAddr = match cli.addr.parse() {
        Ok(a) => a,
        Err(_) => return fail(format!("`{}` is not an IP:PORT address", cli.addr)),
    };
    let file = match cli.config.as_deref().map(read_config).transpose() {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    let env_token = token_from_env();
    if let Some(t) = &env_token
        && let Err(e) = validate_token(t)
    {
        return fail(format!("{TOKEN_ENV}: {e}"));
    }
    let token = env_token.or(file.token);
    let tls = match (cli.tls_cert.or(file.tls_cert), cli.tls_key.or(file.tls_key)) {
        (None, None) => None,
        (Some(cert), Some(key)) => match read_identity(&cert, &key) {
            Ok(t) => Some(t),
            Err(e) => return fail(e),
        },
        (Some(_), None) => return usage_error("--tls-cert (tlsCert) needs --tls-key (tlsKey) as well"),
        (None, Some(_)) => return usage_error("--tls-key (tlsKey) needs --tls-cert (tlsCert) as well"),
    };
    if token.is_none() && !addr.ip().is_loopback() {
        if !cli.insecure {
            return fail(format!(
                "refusing to listen on {addr} without a token: anyone who can reach this address could store data and run tasks here. Set {TOKEN_ENV} (and the same for daphne), listen on 127.0.0.1, or pass --insecure on a network you trust."
            ));
        }
        eprintln!(
            "DistributedWorker: warning: listening on {addr} without a token (--insecure): anyone who can reach this address can store data and run tasks here."
        );
    }
    let limits = WorkerLimits {
        memory_bytes: cli.memory_limit.or(file.memory_limit),
        session_timeout: cli.session_timeout.or(file.session_timeout).unwrap_or(DEFAULT_SESSION_TIMEOUT),
        task_timeout: cli.task_timeout.or(file.task_timeout),
        data_dir: match cli.data_dir.or(file.data_dir).as_deref().map(data_dir::DataDir::new).transpose() {
            Ok(d) => d,
            Err(e) => return fail(e),
        },
    };
    let engine = match Engine::new(&EngineOptions {
        threads: cli.num_threads.or(file.threads).unwrap_or(0),
        codegen: !cli.no_codegen,
        codegen_threshold: cli.codegen_threshold.unwrap_or(DEFAULT_CODEGEN_THRESHOLD),
        ..EngineOptions::default()
    }) {
        Ok(e) => Arc::new(e),
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .max_blocking_threads(8)
        .thread_keep_alive(Duration::from_secs(1))
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the network threads: {e}")),
    };
    let core = Arc::new(WorkerCore::new(engine, limits));
    let opts = grpc::ServeOptions {
        addr,
        shown: cli.addr,
        check: CheckToken::new(token),
        tls,
        shutdown: Box::pin(shutdown::shutdown_signal(cli.exit_with_stdin)),
    };
    match runtime.block_on(grpc::serve(core, opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// Reads the worker's TLS certificate (chain) and private key (PEM files).
fn read_identity(cert: &str, key: &str) -> Result<ServerTlsConfig, String> {
    let cert = read_pem(cert, "TLS certificate (--tls-cert)", "CERTIFICATE")?;
    let key = read_pem(key, "TLS key (--tls-key)", "PRIVATE KEY")?;
    Ok(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)).timeout(HANDSHAKE_TIMEOUT))
}
