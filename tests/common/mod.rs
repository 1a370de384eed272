//! Helpers shared by the end-to-end tests: running the `daphne` binary on a fixture from the
//! repository root (so paths in its output are stable) with a bounded wait.

#![allow(dead_code)]

pub mod workers;

use daphne_frontend::LowerOptions;
use daphne_ir::Module;
use daphne_ir::diag::SourceMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The repository root (where the fixtures' relative paths start).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture's path relative to the repository root, with `/` separators.
pub fn rel(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// The value of a header line `// <key>: <value>` among a script's leading comment lines.
pub fn header(source: &str, key: &str) -> Option<String> {
    let prefix = format!("// {key}:");
    source
        .lines()
        .take_while(|l| l.starts_with("//") || l.starts_with('#'))
        .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string()))
}

/// Script arguments from a fixture's header, written as `// args: a=1 b="x"`.
pub fn fixture_args(source: &str) -> Vec<String> {
    header(source, "args").map(|v| v.split_whitespace().map(str::to_string).collect()).unwrap_or_default()
}

/// Runs `daphne` with the given arguments from the repository root; fails the test if it does
/// not finish within `timeout`.
pub fn run_daphne(args: &[String], timeout: Duration) -> Output {
    run_daphne_env(args, &[], timeout)
}

/// The `--dist-min-bytes` of the tests, unless one says otherwise: 0, so that the small matrices
/// of the test scripts still go to the workers (the default keeps them local).
pub const TEST_DIST_MIN_BYTES: (&str, &str) = ("DAPHNE_DIST_MIN_BYTES", "0");

/// Like `run_daphne`, with environment variables (`DISTRIBUTED_WORKERS`, `DAPHNE_WORKER_TOKEN` and
/// `DAPHNE_WORKER_TLS_CA` are removed unless given; `DAPHNE_DIST_MIN_BYTES` is 0 unless given).
pub fn run_daphne_env(args: &[String], env: &[(&str, &str)], timeout: Duration) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_daphne"));
    cmd.env_remove("DISTRIBUTED_WORKERS");
    cmd.env_remove("DAPHNE_WORKER_TOKEN");
    cmd.env_remove("DAPHNE_WORKER_TLS_CA");
    cmd.env(TEST_DIST_MIN_BYTES.0, TEST_DIST_MIN_BYTES.1);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .current_dir(root())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the daphne binary starts");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("waiting for daphne").is_some() {
            return child.wait_with_output().expect("collecting daphne's output");
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("daphne {args:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Lowers a fixture with the frontend (script arguments from its header); the file is registered
/// under `name`. Panics if it does not compile.
pub fn compile_fixture(path: &Path, name: String) -> Module {
    let source = std::fs::read_to_string(path).expect("fixture is readable");
    let mut opts = LowerOptions::default();
    for a in fixture_args(&source) {
        if let Some((k, v)) = a.split_once('=') {
            opts.args.insert(k.to_string(), v.to_string());
        }
    }
    let mut sources = SourceMap::new();
    let file = sources.add(name, source);
    let out = daphne_frontend::compile(&mut sources, file, &opts);
    out.module.unwrap_or_else(|| panic!("{} does not compile: {:?}", path.display(), out.diagnostics))
}

/// Waits (bounded) for a child process to end and returns its exit code; kills it and fails the
/// test if it runs longer than `limit`.
pub fn wait_bounded(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child process") {
            return status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the process did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The number just before `what` in the `--dist-stats` line of a run's stderr.
pub fn dist_stat(stderr: &str, what: &str) -> u64 {
    let line = stderr.lines().find(|l| l.contains("daphne: distributed on")).expect("a --dist-stats line");
    let at = line.find(what).unwrap_or_else(|| panic!("`{what}` in {line}"));
    let before = line[..at].trim_end().trim_end_matches('(');
    before
        .rsplit([' ', '('])
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number before `{what}` in {line}"))
}
