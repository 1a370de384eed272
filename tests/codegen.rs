//! JIT-compiled pipelines against the kernels, end to end (with `--codegen-threshold 0`, so that
//! every pipeline of more than one batch is compiled, however small):
//! - the scripts in `tests/codegen` (large enough for many batches, printing sums scaled so that
//!   every significant digit shows) print their expected output with generated code, and exactly
//!   the same on the kernels (`--no-codegen`), with default and with small batches;
//! - the same distributed on two workers that JIT-compile against two that do not;
//! - every script of the corpus and every pipeline fixture prints the same with and without
//!   code generation (tiny batches, two threads), and the corpus does compile pipelines.

use crate::common::workers::Workers;
use crate::common::{fixture_args, header, rel, root, run_daphne_env};
use std::path::PathBuf;
use std::time::Duration;

fn daph_files(dir: &str, recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join(dir)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("directory exists") {
            let p = e.expect("directory entry").path();
            if p.is_dir() && recursive {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "daph") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs a script with `flags`; returns (exit code, stdout, stderr).
fn run(path: &PathBuf, flags: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let source = std::fs::read_to_string(path).expect("script is readable");
    let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
    args.extend(header(&source, "flags").iter().flat_map(|f| f.split_whitespace().map(str::to_string)));
    args.push(rel(path));
    args.extend(fixture_args(&source));
    let out = run_daphne_env(&args, env, Duration::from_secs(120));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The number of pipelines compiled, from `--codegen-stats`.
fn compiled(stderr: &str) -> usize {
    // The line may follow a script's own output to stderr that does not end with a newline.
    stderr
        .rsplit_once("daphne: codegen: ")
        .and_then(|(_, l)| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no codegen statistics in:\n{stderr}"))
}

/// Error messages without the statistics line.
fn errors(stderr: &str) -> String {
    stderr.rsplit_once("daphne: codegen: ").map_or(stderr, |(before, _)| before).to_string()
}

#[test]
fn codegen_scripts_match_expected_output_and_kernels() {
    let scripts = daph_files("tests/codegen", false);
    assert!(scripts.len() >= 5, "codegen scripts are missing");
    for path in &scripts {
        let shown = rel(path);
        let source = std::fs::read_to_string(path).expect("readable");
        let expected_code: i32 = header(&source, "exit").and_then(|c| c.parse().ok()).unwrap_or(0);
        let expected = std::fs::read_to_string(path.with_extension("txt")).expect("expected output exists");
        let jit = run(path, &["--vec", "--codegen-threshold", "0", "--codegen-stats"], &[]);
        assert_eq!((jit.0, &jit.1), (expected_code, &expected), "{shown} with generated code:\n{}", jit.2);
        assert!(compiled(&jit.2) >= 1, "{shown}: no pipeline was compiled");
        let kernels = run(path, &["--vec", "--no-codegen"], &[]);
        assert_eq!((kernels.0, &kernels.1, errors(&kernels.2)), (jit.0, &jit.1, errors(&jit.2)), "{shown}: kernels");
        // Small batches on two threads: many calls per pipeline, results merged across tasks.
        let small = ["--vec", "--codegen-threshold", "0", "--num-threads", "2", "--phy-batch-size=4096"];
        let a = run(path, &small, &[]);
        let b = run(path, &[&small[..], &["--no-codegen"]].concat(), &[]);
        assert_eq!((a.0, &a.1, errors(&a.2)), (b.0, &b.1, errors(&b.2)), "{shown}: small batches");
    }
}

#[test]
fn codegen_scripts_match_kernels_distributed() {
    let jit_workers = Workers::start_with(2, &["--codegen-threshold", "0"], &[]);
    let kernel_workers = Workers::start_with(2, &["--no-codegen"], &[]);
    for path in &daph_files("tests/codegen", false) {
        let a = run(path, &["--distributed"], &[("DISTRIBUTED_WORKERS", &jit_workers.list())]);
        let b = run(path, &["--distributed"], &[("DISTRIBUTED_WORKERS", &kernel_workers.list())]);
        assert_eq!(
            (a.0, &a.1),
            (b.0, &b.1),
            "{}: distributed with and without code generation\n{}\n{}",
            rel(path),
            a.2,
            b.2
        );
        let expected_code: i32 =
            header(&std::fs::read_to_string(path).expect("readable"), "exit").and_then(|c| c.parse().ok()).unwrap_or(0);
        assert_eq!(a.0, expected_code, "{}: {}", rel(path), a.2);
    }
}

/// Every script under `dir` prints the same with and without code generation; returns the
/// number of pipelines compiled.
fn same_without_codegen(dir: &str) -> usize {
    let flags = ["--vec", "--codegen-threshold", "0", "--num-threads", "2", "--phy-batch-size=64", "--codegen-stats"];
    let mut failures = Vec::new();
    let mut total = 0;
    for path in daph_files(dir, true) {
        let a = run(&path, &flags, &[]);
        let b = run(&path, &[&flags[..], &["--no-codegen"]].concat(), &[]);
        if a.0 == 0 {
            total += compiled(&a.2);
        }
        if (a.0, &a.1, errors(&a.2)) != (b.0, &b.1, errors(&b.2)) {
            failures.push(format!(
                "{}:\n--- generated code ({})\n{}{}\n--- kernels ({})\n{}{}",
                rel(&path),
                a.0,
                a.1,
                a.2,
                b.0,
                b.1,
                b.2
            ));
        }
    }
    assert!(failures.is_empty(), "{} scripts differ:\n{}", failures.len(), failures.join("\n"));
    total
}

#[test]
fn corpus_is_the_same_without_codegen() {
    let total = same_without_codegen("tests/scripts");
    assert!(total >= 60, "only {total} pipelines of the corpus were compiled");
}

#[test]
fn pipeline_fixtures_are_the_same_without_codegen() {
    let total = same_without_codegen("tests/fixtures/vectorized");
    assert!(total >= 10, "only {total} pipelines of the fixtures were compiled");
}

#[test]
fn only_pipelines_worth_it_are_compiled() {
    // Each pipeline of aggregations.daph runs once over about 1 MB: not worth compiling by default.
    let small = root().join("tests/codegen/aggregations.daph");
    let (code, _, stderr) = run(&small, &["--vec", "--codegen-stats"], &[]);
    assert_eq!((code, compiled(&stderr)), (0, 0), "{stderr}");
    // The loop runs one pipeline over 4 MB 20 times: it is compiled once it has seen 32 MiB.
    let hot = root().join("tests/codegen/hot_loop.daph");
    let (code, stdout, stderr) = run(&hot, &["--vec", "--codegen-stats"], &[]);
    assert_eq!((code, compiled(&stderr)), (0, 1), "{stderr}");
    let hits: usize = stderr
        .rsplit_once("refused (run on the kernels), ")
        .and_then(|(_, l)| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(hits >= 5, "the compiled pipeline is reused in later iterations: {stderr}");
    let expected = std::fs::read_to_string(hot.with_extension("txt")).expect("expected output");
    assert_eq!(stdout, expected);
}
