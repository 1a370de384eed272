//! The `daphne` command-line tool: reads a DaphneDSL script, compiles it through the stages of the
//! pipeline (printing the IR after the stages named by `--explain`) and runs it.
//!
//! Exit codes follow DAPHNE: 0 success, 1 parse error (including bad command lines), 2 compiler
//! error, 3 execution error.

use clap::Parser;
use daphne_frontend::LowerOptions;
use daphne_ir::diag::{Severity, SourceMap};
use daphne_ir::{PrintOptions, print_module};
use daphne_passes::stages::{self, STAGES};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const PARSER_ERROR: u8 = 1;
const COMPILER_ERROR: u8 = 2;
const EXECUTION_ERROR: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "daphne",
    version,
    about = "Compiles and runs a DaphneDSL script (a Rust implementation of DAPHNE).",
    after_help = "Script arguments are given as name=value after the script, or with --args.\n\
                  Examples:\n  daphne --explain parsing script.daph x=1 y=2.2 z=\\\"foo\\\"\n  \
                  daphne --args x=1,y=2.2 script.daph z=\\\"foo\\\""
)]
struct Cli {
    /// Print the IR after the given compiler stages to stderr (comma-separated, order irrelevant).
    /// Keys: parsing, parsing_simplified, sql, property_inference, columnar, select_matrix_repr,
    /// transfer_data_props, phy_op_selection, type_adaptation, vectorized, distributed,
    /// obj_ref_mgnt, kernels, codegen, mlir_codegen_*, llvm. Only `parsing` exists yet; the
    /// others are accepted and print nothing until their stage exists.
    #[arg(long, value_name = "STAGES")]
    explain: Vec<String>,

    /// Script arguments as a comma-separated list of name=value pairs (e.g. `--args x=1,y=2.2`).
    #[arg(long, value_name = "NAME=VALUE,...")]
    args: Vec<String>,

    /// The DaphneDSL script to run.
    script: PathBuf,

    /// Script arguments as name=value pairs, referenced in the script as `$name`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "NAME=VALUE")]
    script_args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { PARSER_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
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

fn run(cli: Cli) -> Result<(), u8> {
    let fail = |msg: String| {
        eprintln!("daphne: {msg}");
        PARSER_ERROR
    };
    let mut explain = Vec::new();
    for value in &cli.explain {
        explain.extend(stages::parse_explain(value).map_err(fail)?);
    }
    let args = script_args(&cli).map_err(fail)?;
    let name = cli.script.display().to_string();
    let text = std::fs::read_to_string(&cli.script).map_err(|e| fail(format!("cannot read script `{name}`: {e}")))?;

    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let opts = LowerOptions { args, ..LowerOptions::default() };
    let out = daphne_frontend::compile(&mut sources, file, &opts);
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for d in &out.diagnostics {
        let _ = writeln!(err, "{}", sources.render(d));
    }
    let Some(module) = out.module else {
        let n = out.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        let _ = writeln!(err, "daphne: {n} error{} while parsing", if n == 1 { "" } else { "s" });
        return Err(PARSER_ERROR);
    };
    // The verifier runs after every stage in debug builds and tests (design.md, section 4).
    if cfg!(debug_assertions) {
        if let Err(e) = daphne_ir::verify(&module) {
            let _ = writeln!(err, "daphne: internal error: the frontend produced invalid IR: {e}");
            return Err(COMPILER_ERROR);
        }
    }
    for stage in STAGES {
        if stage.implemented && explain.iter().any(|s| s.key == stage.key) {
            let _ = write!(err, "{}\n{}", stage.header, print_module(&module, PrintOptions::default()));
        }
    }
    if explain.is_empty() {
        let _ = writeln!(
            err,
            "daphne: the script compiled, but executing scripts is not implemented yet in this version \
             (see the README's status table); use --explain parsing to see its IR"
        );
        return Err(EXECUTION_ERROR);
    }
    Ok(())
}
