//! The `daphne` command-line tool: reads a DaphneDSL script, compiles it through the stages of the
//! pipeline (printing the IR after the stages named by `--explain`) and runs it.
//!
//! Exit codes follow DAPHNE: 0 success, 1 parse error (including bad command lines and
//! configuration files), 2 compiler error, 3 execution error.

mod cli;
mod config;
mod local_workers;
mod mpi_backend;

use clap::Parser;
use cli::Cli;
use daphne_distributed::coordinator::{Coordinator, CoordinatorOptions, parse_worker_list};
use daphne_frontend::LowerOptions;
use daphne_ir::diag::{Diagnostic, Severity, SourceMap};
use daphne_ir::{PrintOptions, print_module};
use daphne_passes::CompileOptions;
use daphne_passes::manager::{Event, run_compile_pipeline};
use daphne_passes::stages::{self, Stage};
use daphne_runtime::exec::{ExecError, ExecOptions, Executor, Output};
use daphne_runtime::fold::RuntimeFolder;
use daphne_runtime::vectorized::{DEFAULT_BATCH_BYTES, Engine, EngineOptions};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

/// Matrix-sized buffers are recycled instead of faulted in afresh for every result (design.md, section 6).
#[global_allocator]
static ALLOCATOR: daphne_runtime::memory::RecyclingAllocator = daphne_runtime::memory::RecyclingAllocator;

const PARSER_ERROR: u8 = 1;
const COMPILER_ERROR: u8 = 2;
const EXECUTION_ERROR: u8 = 3;

/// The exit code for an internal failure in the phase that is running (a panic is a bug; it
/// must still end like DAPHNE's errors do, not with Rust's exit code 101).
static PHASE_EXIT_CODE: AtomicU8 = AtomicU8::new(PARSER_ERROR);

fn main() -> ExitCode {
    // Before any other thread: freed buffers (of transfers, of results) are reused, not faulted in
    // afresh.
    daphne_distributed::buffers::keep_freed_memory();
    std::panic::set_hook(Box::new(|info| {
        eprintln!("daphne: internal error (this is a bug, please report it): {info}");
    }));
    match std::panic::catch_unwind(real_main) {
        Ok(code) => code,
        Err(_) => ExitCode::from(PHASE_EXIT_CODE.load(Ordering::SeqCst)),
    }
}

fn real_main() -> ExitCode {
    let start = Instant::now();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { PARSER_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli, start) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => ExitCode::from(code),
    }
}

/// Collects `name=value` pairs from `--args` and the trailing arguments.
fn script_args(cli: &Cli) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let from_flag = cli.args.iter().flat_map(|a| a.split(','));
    for pair in from_flag.chain(cli.script_args.iter().map(String::as_str)) {
        let Some((name, value)) = pair.split_once('=').filter(|(n, _)| !n.is_empty()) else {
            return Err(format!("script arguments must be specified as name=value, but found '{pair}'"));
        };
        if out.insert(name.to_string(), value.to_string()).is_some() {
            return Err(format!("script argument '{name}' was provided more than once"));
        }
    }
    Ok(out)
}

/// When each high-level step started, for `--timing`.
struct Timings {
    start: Instant,
    parsing: Instant,
    compilation: Instant,
    execution: Instant,
}

impl Timings {
    /// DAPHNE's timing line (durations in seconds, printed as C++ streams print doubles).
    fn report(&self) -> String {
        let s = |a: Instant, b: Instant| daphne_runtime::format::fmt_g(b.duration_since(a).as_secs_f64());
        let end = Instant::now();
        format!(
            "{{\"startup_seconds\": {}, \"parsing_seconds\": {}, \"compilation_seconds\": {}, \"execution_seconds\": {}, \"codegen_seconds\": {}, \"total_seconds\": {}}}",
            s(self.start, self.parsing),
            s(self.parsing, self.compilation),
            s(self.compilation, self.execution),
            s(self.execution, end),
            daphne_runtime::format::fmt_g(daphne_codegen::stats().compile_time.as_secs_f64()),
            s(self.start, end)
        )
    }
}

fn run(cli: Cli, start: Instant) -> Result<(), u8> {
    let fail = |msg: String| {
        eprintln!("daphne: {msg}");
        PARSER_ERROR
    };
    let user_config = match &cli.config {
        Some(path) => config::read(path).map_err(fail)?,
        None => config::UserConfig::default(),
    };
    // As in DAPHNE, MPI starts before anything else: the worker ranks serve rank 0 and are done,
    // rank 0 keeps its end of the job (dropping it, however the run ends, stops the workers).
    let mut mpi = None;
    if cli.distributed && cli.dist_backend.as_deref() == Some("MPI") {
        match mpi_backend::start(&cli, &user_config) {
            Ok(mpi_backend::Role::WorkerDone(result)) => return result,
            Ok(mpi_backend::Role::Coordinator(c)) => mpi = Some(c),
            Err(e) => {
                eprintln!("daphne: {e}");
                return Err(if cfg!(feature = "mpi") { EXECUTION_ERROR } else { PARSER_ERROR });
            }
        }
    }
    let mut explain: Vec<&'static Stage> = Vec::new();
    for value in cli.explain.iter().chain(&user_config.explain) {
        for s in stages::parse_explain(value).map_err(fail)? {
            if !explain.iter().any(|e| e.key == s.key) {
                explain.push(s);
            }
        }
    }
    let args = script_args(&cli).map_err(fail)?;
    let name = cli.script.display().to_string();
    let text = std::fs::read_to_string(&cli.script).map_err(|e| fail(format!("cannot read script `{name}`: {e}")))?;

    let parsing = Instant::now();
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let opts = LowerOptions {
        args,
        import_default_dirs: user_config.import_default_dirs.clone(),
        import_libraries: user_config.import_libraries.clone(),
    };
    let out = daphne_frontend::compile(&mut sources, file, &opts);
    for d in &out.diagnostics {
        eprintln!("{}", sources.render(d));
    }
    let Some(mut module) = out.module else {
        let n = out.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        eprintln!("daphne: {n} error{} while parsing", if n == 1 { "" } else { "s" });
        return Err(PARSER_ERROR);
    };

    let compilation = Instant::now();
    PHASE_EXIT_CODE.store(COMPILER_ERROR, Ordering::SeqCst);
    let compile_opts = CompileOptions {
        select_matrix_repr: cli.select_matrix_repr.or(user_config.select_matrix_repr).unwrap_or(false),
        sparsity_threshold: user_config.sparsity_threshold.unwrap_or(0.25),
        vectorize: cli.vec || cli.distributed || user_config.use_vectorized_exec.unwrap_or(false),
        distributed: cli.distributed,
        dist_min_bytes: match dist_min_bytes(&cli) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("daphne: {e}");
                return Err(PARSER_ERROR);
            }
        },
        phy_op_selection: !cli.no_phy_op_selection && user_config.use_phy_op_selection.unwrap_or(true),
        ..CompileOptions::default()
    };
    let mut observer = |event: Event<'_>, m: &daphne_ir::Module| {
        let Event::AfterStage(stage) = event else { return };
        if explain.iter().any(|s| s.key == stage.key) {
            eprint!("{}\n{}", stage.header, print_module(m, PrintOptions::default()));
        }
    };
    if let Err(e) = run_compile_pipeline(&mut module, &compile_opts, Some(&RuntimeFolder), &mut observer) {
        let code = if e.user_error { "E0401" } else { "E0400" };
        let mut d = Diagnostic::error(code, e.to_string());
        if let Some(span) = sources.span_of_loc(&e.loc, &module.files) {
            d = d.with_span(span);
        }
        eprintln!("{}", sources.render(&d));
        return Err(COMPILER_ERROR);
    }

    let execution = Instant::now();
    PHASE_EXIT_CODE.store(EXECUTION_ERROR, Ordering::SeqCst);
    if !cli.compile_only {
        let threads = cli.num_threads.or(user_config.number_of_threads.map(|n| n.max(0) as usize)).unwrap_or(0);
        let engine = if compile_opts.vectorize {
            let opts = EngineOptions {
                threads,
                batch_bytes: cli.phy_batch_size.unwrap_or(DEFAULT_BATCH_BYTES),
                grain_size: cli.grain_size.or(user_config.minimum_task_size).unwrap_or(1),
                codegen: !cli.no_codegen,
                codegen_threshold: cli
                    .codegen_threshold
                    .unwrap_or(daphne_runtime::vectorized::DEFAULT_CODEGEN_THRESHOLD),
                explain_mlir: explain.iter().any(|s| s.key == "mlir"),
                explain_llvm: explain.iter().any(|s| s.key == "llvm"),
            };
            let e = Engine::new(&opts).map_err(|m| {
                eprintln!("daphne: {m}");
                EXECUTION_ERROR
            })?;
            e.precompile(&module);
            Some(Arc::new(e))
        } else {
            None
        };
        // Kept until the end of the run: dropping it stops the local workers.
        let mut local_workers = None;
        let coordinator = if cli.distributed && has_distributed_pipelines(&module) {
            Some(Arc::new(match mpi.take() {
                Some(m) => m.connect().map_err(|e| {
                    eprintln!("daphne: {e}");
                    EXECUTION_ERROR
                })?,
                None => connect_workers(&cli, &mut local_workers, threads, &user_config)?,
            }))
        } else {
            None
        };
        let stats = coordinator.clone().filter(|_| cli.dist_stats);
        let result = execute(&module, &sources, engine, coordinator);
        if let Some(c) = stats {
            eprintln!("daphne: distributed on {} workers: {}", c.worker_count(), c.stats());
        }
        if cli.codegen_stats {
            let s = daphne_codegen::stats();
            let ms = |d: Option<std::time::Duration>| {
                d.map_or("-".to_string(), |d| daphne_runtime::format::fmt_g(d.as_secs_f64() * 1e3))
            };
            eprintln!(
                "daphne: codegen: {} pipelines compiled in {} s (median {} ms), {} refused (run on the kernels), {} cache hits (median {} ms)",
                s.compiled,
                daphne_runtime::format::fmt_g(s.compile_time.as_secs_f64()),
                ms(s.median_compile),
                s.refused,
                s.hits,
                ms(s.median_hit)
            );
        }
        result?;
    }
    if cli.timing {
        eprintln!("{}", Timings { start, parsing, compilation, execution }.report());
    }
    Ok(())
}

/// Pipelines with fewer input bytes than this run locally unless `--dist-min-bytes` or
/// `DAPHNE_DIST_MIN_BYTES` says otherwise.
const DEFAULT_DIST_MIN_BYTES: u64 = 1 << 20;

/// The cost model's threshold: the flag, else the environment, else the default.
fn dist_min_bytes(cli: &Cli) -> Result<u64, String> {
    if let Some(n) = cli.dist_min_bytes {
        return Ok(n);
    }
    match std::env::var("DAPHNE_DIST_MIN_BYTES") {
        Ok(v) if !v.trim().is_empty() => {
            v.trim().parse::<u64>().map_err(|_| format!("DAPHNE_DIST_MIN_BYTES `{v}` is not a byte count"))
        }
        _ => Ok(DEFAULT_DIST_MIN_BYTES),
    }
}

fn has_distributed_pipelines(m: &daphne_ir::Module) -> bool {
    let mut found = false;
    m.walk(&mut |op| found |= m.kind(op) == daphne_ir::OpKind::DistributedPipeline);
    found
}

/// Connects to the workers of `DISTRIBUTED_WORKERS`, or starts local ones when it is unset.
fn connect_workers(
    cli: &Cli,
    local: &mut Option<local_workers::LocalWorkers>,
    threads: usize,
    config: &config::UserConfig,
) -> Result<Coordinator, u8> {
    let fail = |msg: String| {
        eprintln!("daphne: {msg}");
        EXECUTION_ERROR
    };
    // Embedded workers are plaintext on loopback: the CA is only read for DISTRIBUTED_WORKERS.
    let (workers, tls_ca, local_token) = match std::env::var("DISTRIBUTED_WORKERS") {
        Ok(list) => (parse_worker_list(&list).map_err(fail)?, worker_tls_ca(config).map_err(fail)?, None),
        Err(_) => {
            let n = cli.workers.unwrap_or(local_workers::DEFAULT_WORKERS);
            let started = local_workers::LocalWorkers::start(n, threads).map_err(fail)?;
            eprintln!(
                "daphne: DISTRIBUTED_WORKERS is unset: started {n} local DistributedWorker{} on {} (stopped at exit)",
                if n == 1 { "" } else { "s" },
                started.addrs.join(", ")
            );
            let (addrs, token) = (started.addrs.clone(), started.token.clone());
            *local = Some(started);
            (addrs, None, Some(token))
        }
    };
    let opts = CoordinatorOptions {
        workers,
        chunk_bytes: cli.max_distr_chunk_size.unwrap_or(daphne_distributed::coordinator::DEFAULT_CHUNK_BYTES),
        token: local_token.or_else(daphne_distributed::auth::token_from_env).or_else(|| config.worker_token.clone()),
        tls_ca,
    };
    Coordinator::connect(&opts).map_err(fail)
}

/// The workers' CA certificate (PEM), read once: `DAPHNE_WORKER_TLS_CA` (when set and not empty)
/// wins over the configuration's `worker_tls_ca`; neither means plaintext.
fn worker_tls_ca(config: &config::UserConfig) -> Result<Option<Vec<u8>>, String> {
    use daphne_distributed::tls::{TLS_CA_ENV, read_ca};
    let path = std::env::var(TLS_CA_ENV).ok().filter(|p| !p.is_empty()).or_else(|| config.worker_tls_ca.clone());
    path.map(|p| read_ca(&p)).transpose()
}

/// Runs the compiled module; an execution error is reported with its DaphneDSL location.
fn execute(
    module: &daphne_ir::Module,
    sources: &SourceMap,
    engine: Option<Arc<Engine>>,
    coordinator: Option<Arc<Coordinator>>,
) -> Result<(), u8> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err_stream = std::io::stderr();
    let result = {
        let io = Output { out: &mut out, err: &mut err_stream };
        let distributor = coordinator.map(|c| c as Arc<dyn daphne_runtime::distributor::Distributor>);
        let mut exec = Executor::new(module, io, &ExecOptions { engine, distributor, ..ExecOptions::default() });
        let r = exec.run_main();
        exec.flush();
        r
    };
    let _ = out.flush();
    drop(out);
    match result {
        Ok(()) => Ok(()),
        Err(e) => {
            let (code, what) = match &e {
                ExecError::Runtime { .. } => ("E0301", "execution error"),
                ExecError::Stop { .. } => ("E0302", "the script called stop"),
                ExecError::TimedOut { .. } => ("E0303", "time limit exceeded"),
            };
            let mut d = Diagnostic::error(code, format!("{what}: {}", e.message()));
            if let Some(span) = sources.span_of_loc(e.loc(), &module.files) {
                d = d.with_span(span);
            }
            eprintln!("{}", sources.render(&d));
            Err(EXECUTION_ERROR)
        }
    }
}
