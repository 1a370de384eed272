//! Compiling and running one generated DaphneDSL script in-process, as `daphne script.daph`
//! does: the frontend, the compile pipeline (with `--explain` output), the vectorized engine and
//! the distributed coordinator when asked for, and the executor with the host's data bound.

use daphne_distributed::coordinator::{Coordinator, CoordinatorOptions, parse_worker_list};
use daphne_frontend::LowerOptions;
use daphne_ir::diag::{Diagnostic, Severity, SourceMap};
use daphne_ir::{Loc, PrintOptions, print_module};
use daphne_passes::CompileOptions;
use daphne_passes::manager::{Event, run_compile_pipeline};
use daphne_passes::stages::{self, Stage};
use daphne_runtime::Data;
use daphne_runtime::exec::{ExecError, ExecOptions, Executor, Output};
use daphne_runtime::fold::RuntimeFolder;
use daphne_runtime::host::HostExchange;
use daphne_runtime::vectorized::{DEFAULT_BATCH_BYTES, DEFAULT_CODEGEN_THRESHOLD, Engine, EngineOptions};
use std::io::Write;
use std::sync::Arc;

/// How to compile and run a script: the `daphne` flags the Python API offers.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `--vec`: vectorized pipelines on all cores.
    pub vec: bool,
    /// `--distributed`: the pipelines run on the workers of `DISTRIBUTED_WORKERS`.
    pub distributed: bool,
    /// `--num-threads` (0: one per core).
    pub num_threads: usize,
    /// `--select-matrix-repr`.
    pub select_matrix_repr: bool,
    /// `--no-codegen`.
    pub no_codegen: bool,
    /// `--explain` stage keys; the IR goes to the error stream.
    pub explain: Vec<String>,
    /// `--dist-min-bytes` (None: the default, or `DAPHNE_DIST_MIN_BYTES`).
    pub dist_min_bytes: Option<u64>,
    /// `--dist-stats`: what the coordinator did, printed to the error stream after the run.
    pub dist_stats: bool,
}

/// Why a run failed, with the script location where there is one.
#[derive(Debug)]
pub struct RunError {
    /// `parse`, `compile`, `execution` or `options` (DAPHNE's exit codes 1, 2, 3 and bad options).
    pub phase: &'static str,
    /// The diagnostic code (`E0201`, `E0301`, ...), empty for option errors.
    pub code: String,
    pub message: String,
    /// The diagnostics as the `daphne` command prints them (code frames included).
    pub rendered: String,
    /// 1-based line and column in the generated script, where known.
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl RunError {
    fn options(message: String) -> RunError {
        RunError { phase: "options", code: String::new(), rendered: message.clone(), message, line: None, column: None }
    }

    fn from_diag(phase: &'static str, d: &Diagnostic, sources: &SourceMap, rendered: String) -> RunError {
        let (line, column) = match d.span {
            Some(s) => {
                let (l, c) = sources.line_col(s.file, s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        RunError { phase, code: d.code.to_string(), message: d.message.clone(), rendered, line, column }
    }
}

/// Compiles `text` (named `name` in diagnostics) and runs it with `host`'s data bound; returns
/// what the script saved with `saveDaphneLibResult`, in order. `print` writes to `out`,
/// diagnostics, warnings and `--explain` output go to `err`.
pub fn run(
    name: &str,
    text: &str,
    host: HostExchange,
    opts: &RunOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Vec<Data>, RunError> {
    let mut explain: Vec<&'static Stage> = Vec::new();
    for key in &opts.explain {
        for s in stages::parse_explain(key).map_err(RunError::options)? {
            if !explain.iter().any(|e| e.key == s.key) {
                explain.push(s);
            }
        }
    }
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let lower = LowerOptions::default();
    let fe = daphne_frontend::compile(&mut sources, file, &lower);
    let mut first_error = None;
    let mut rendered = String::new();
    for d in &fe.diagnostics {
        let r = sources.render(d);
        if d.severity == Severity::Error {
            rendered.push_str(&r);
            rendered.push('\n');
            first_error.get_or_insert(d);
        } else {
            let _ = writeln!(err, "{r}");
        }
    }
    let Some(mut module) = fe.module else {
        let d = first_error.cloned().unwrap_or_else(|| Diagnostic::error("E0000", "the script did not parse"));
        return Err(RunError::from_diag("parse", &d, &sources, rendered));
    };

    let compile_opts = CompileOptions {
        select_matrix_repr: opts.select_matrix_repr,
        vectorize: opts.vec || opts.distributed,
        distributed: opts.distributed,
        dist_min_bytes: match opts.dist_min_bytes {
            Some(n) => n,
            None => dist_min_bytes_from_env().map_err(RunError::options)?,
        },
        ..CompileOptions::default()
    };
    let mut observer = |event: Event<'_>, m: &daphne_ir::Module| {
        let Event::AfterStage(stage) = event else { return };
        if explain.iter().any(|s| s.key == stage.key) {
            let _ = write!(err, "{}\n{}", stage.header, print_module(m, PrintOptions::default()));
        }
    };
    if let Err(e) = run_compile_pipeline(&mut module, &compile_opts, Some(&RuntimeFolder), &mut observer) {
        let code = if e.user_error { "E0401" } else { "E0400" };
        let d = with_loc(Diagnostic::error(code, e.to_string()), &e.loc, &sources, &module.files);
        let r = sources.render(&d);
        return Err(RunError::from_diag("compile", &d, &sources, r));
    }

    let engine = if compile_opts.vectorize {
        let eo = EngineOptions {
            threads: opts.num_threads,
            batch_bytes: DEFAULT_BATCH_BYTES,
            grain_size: 1,
            codegen: !opts.no_codegen,
            codegen_threshold: DEFAULT_CODEGEN_THRESHOLD,
            explain_mlir: explain.iter().any(|s| s.key == "mlir"),
            explain_llvm: explain.iter().any(|s| s.key == "llvm"),
        };
        let e = Engine::new(&eo).map_err(RunError::options)?;
        e.precompile(&module);
        Some(Arc::new(e))
    } else {
        None
    };
    let mut coordinator = None;
    let distributor = if opts.distributed && has_distributed_pipelines(&module) {
        let c = connect_workers().map_err(|m| RunError {
            phase: "execution",
            code: "E0301".into(),
            rendered: format!("daphne: {m}"),
            message: m,
            line: None,
            column: None,
        })?;
        let c = Arc::new(c);
        coordinator = Some(Arc::clone(&c));
        Some(c as Arc<dyn daphne_runtime::distributor::Distributor>)
    } else {
        None
    };

    let host = Arc::new(host);
    let result = {
        let io = Output { out, err };
        let eo = ExecOptions { engine, distributor, host: Some(Arc::clone(&host)), ..ExecOptions::default() };
        let mut exec = Executor::new(&module, io, &eo);
        let r = exec.run_main();
        exec.flush();
        r
    };
    if let Some(c) = coordinator.filter(|_| opts.dist_stats) {
        let _ = writeln!(err, "daphne: distributed on {} workers: {}", c.worker_count(), c.stats());
    }
    match result {
        Ok(()) => Ok(host.take_results()),
        Err(e) => {
            let (code, what) = match &e {
                ExecError::Runtime { .. } => ("E0301", "execution error"),
                ExecError::Stop { .. } => ("E0302", "the script called stop"),
                ExecError::TimedOut { .. } => ("E0303", "time limit exceeded"),
            };
            let d =
                with_loc(Diagnostic::error(code, format!("{what}: {}", e.message())), e.loc(), &sources, &module.files);
            let r = sources.render(&d);
            let mut e2 = RunError::from_diag("execution", &d, &sources, r);
            if what != "execution error" {
                e2.message = format!("{what}: {}", e.message());
            } else {
                e2.message = e.message().to_string();
            }
            Err(e2)
        }
    }
}

fn with_loc(d: Diagnostic, loc: &Loc, sources: &SourceMap, files: &[String]) -> Diagnostic {
    match sources.span_of_loc(loc, files) {
        Some(span) => d.with_span(span),
        None => d,
    }
}

/// Pipelines with fewer input bytes than this run locally (the `daphne` command's default).
const DEFAULT_DIST_MIN_BYTES: u64 = 1 << 20;

fn dist_min_bytes_from_env() -> Result<u64, String> {
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

/// The coordinator over the workers of `DISTRIBUTED_WORKERS` (with the token and CA of the
/// environment, as the `daphne` command reads them).
fn connect_workers() -> Result<Coordinator, String> {
    let list = std::env::var("DISTRIBUTED_WORKERS").map_err(|_| {
        "distributed execution needs workers: set DISTRIBUTED_WORKERS=host:port,... (start them with `DistributedWorker 127.0.0.1:5000`)".to_string()
    })?;
    let workers = parse_worker_list(&list)?;
    let tls_ca = match std::env::var(daphne_distributed::tls::TLS_CA_ENV) {
        Ok(p) if !p.is_empty() => Some(daphne_distributed::tls::read_ca(&p)?),
        _ => None,
    };
    let opts = CoordinatorOptions {
        workers,
        chunk_bytes: daphne_distributed::coordinator::DEFAULT_CHUNK_BYTES,
        token: daphne_distributed::auth::token_from_env(),
        tls_ca,
    };
    Coordinator::connect(&opts)
}
