//! The command line of `daphne`, with DAPHNE's flag names.

use clap::Parser;
use std::path::PathBuf;

/// Parses DAPHNE-style booleans: `--flag`, `--flag=1`, `--flag=true`, `--flag=0`, `--flag=false`.
fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "false" | "FALSE" | "False" => Ok(false),
        other => Err(format!("expected true/false or 1/0, found `{other}`")),
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "daphne",
    version,
    about = "Compiles and runs a DaphneDSL script (a Rust implementation of DAPHNE).",
    after_help = "Script arguments are given as name=value after the script, or with --args.\n\
                  Examples:\n  daphne script.daph x=1 y=2.2 z=\\\"foo\\\"\n  \
                  daphne --explain parsing,property_inference --args x=1,y=2.2 script.daph"
)]
pub struct Cli {
    /// Print the IR after the given compiler stages to stderr (comma-separated, order irrelevant).
    /// Keys: parsing, parsing_simplified, sql, property_inference, columnar, select_matrix_repr,
    /// transfer_data_props, phy_op_selection, type_adaptation, vectorized, distributed,
    /// obj_ref_mgnt, kernels, codegen, mlir_codegen_*, mlir, llvm. `mlir` and `llvm` print the
    /// generated code of each pipeline when it is JIT-compiled at run time. Keys of stages that
    /// do not exist yet are accepted and print nothing (see the README).
    #[arg(long, value_name = "STAGES")]
    pub explain: Vec<String>,

    /// Script arguments as a comma-separated list of name=value pairs (e.g. `--args x=1,y=2.2`).
    #[arg(long, value_name = "NAME=VALUE,...")]
    pub args: Vec<String>,

    /// A JSON configuration file with DAPHNE's keys (see UserConfig.json in DAPHNE).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,

    /// Choose sparse (CSR) or dense representations from the inferred sparsity (threshold 0.25).
    #[arg(long, alias = "select-matrix-representations", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub select_matrix_repr: Option<bool>,

    /// Fuse operations into vectorized pipelines and run them on all cores (row-partitioned).
    #[arg(long)]
    pub vec: bool,

    /// Threads of the vectorized engine (default: one per core).
    #[arg(long, value_name = "N", require_equals = false)]
    pub num_threads: Option<usize>,

    /// Bytes of input per micro-batch of the vectorized engine (default 131072).
    #[arg(long, value_name = "BYTES")]
    pub phy_batch_size: Option<usize>,

    /// Rows per task of the vectorized engine at least (default 1).
    #[arg(long, value_name = "ROWS")]
    pub grain_size: Option<usize>,

    /// Run the vectorized pipelines on distributed workers: those of `DISTRIBUTED_WORKERS`
    /// (host:port,...) or, when it is unset, `--workers` local workers started for the run.
    /// `DAPHNE_WORKER_TOKEN` is the workers' token; `DAPHNE_WORKER_TLS_CA` the PEM CA certificate
    /// of TLS workers (plaintext without it; the local workers are always plaintext).
    #[arg(long)]
    pub distributed: bool,

    /// The distribution backend: `sync-gRPC` or `async-gRPC` (both our gRPC coordinator, the
    /// default) or `MPI` (under `mpirun -np N`/`srun`: rank 0 runs the script, ranks 1..N are
    /// its workers; DISTRIBUTED_WORKERS is not read).
    #[arg(long = "dist_backend", value_name = "BACKEND", value_parser = ["sync-gRPC", "async-gRPC", "MPI"])]
    pub dist_backend: Option<String>,

    /// Largest message of a data transfer to or from a worker, in bytes (default 262144);
    /// larger objects travel in several messages.
    #[arg(long, value_name = "BYTES")]
    pub max_distr_chunk_size: Option<usize>,

    /// With `--distributed`: a pipeline whose inputs are known at compile time to hold fewer bytes
    /// runs locally instead of paying a round trip to the workers (default 1048576, or
    /// `DAPHNE_DIST_MIN_BYTES`; 0 distributes every pipeline). Not a DAPHNE flag.
    #[arg(long, value_name = "BYTES")]
    pub dist_min_bytes: Option<u64>,

    /// With `--distributed` and `DISTRIBUTED_WORKERS` unset: how many local workers to start
    /// (default 2). Not a DAPHNE flag.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,

    /// With `--distributed`: print what the coordinator did (pipelines run on workers or locally,
    /// objects and bytes sent, reused and fetched) to stderr at the end. Not a DAPHNE flag.
    #[arg(long)]
    pub dist_stats: bool,

    /// Print what the JIT did to stderr at the end: pipelines compiled, refused (run on the
    /// kernels), cache hits and compile time. Not a DAPHNE flag.
    #[arg(long)]
    pub codegen_stats: bool,

    /// Skip physical operator selection (`t(X) @ X` to `syrk`, `t(A) @ x` to `gemv`, ...).
    #[arg(long)]
    pub no_phy_op_selection: bool,

    /// Compile the script (printing `--explain` output) without running it. Not a DAPHNE flag.
    #[arg(long)]
    pub compile_only: bool,

    /// Print the time of start-up, parsing, compilation and execution to stderr as JSON
    /// (`codegen_seconds`: time spent JIT-compiling pipelines, part of the execution).
    #[arg(long)]
    pub timing: bool,

    /// Run vectorized pipelines on the kernels instead of JIT-compiled code (to compare both).
    /// Not a DAPHNE flag.
    #[arg(long)]
    pub no_codegen: bool,

    /// JIT-compile a pipeline once it has processed this many bytes of input over all its runs
    /// (default 33554432; 0 compiles every pipeline of more than one batch). Not a DAPHNE flag.
    #[arg(long, value_name = "BYTES")]
    pub codegen_threshold: Option<u64>,

    /// The DaphneDSL script to run.
    pub script: PathBuf,

    /// Script arguments as name=value pairs, referenced in the script as `$name`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "NAME=VALUE")]
    pub script_args: Vec<String>,
}
