//! The script corpus: every `tests/scripts/<category>/<name>.daph` runs through `daphne` and its
//! stdout must equal `<name>.txt` byte for byte. Header comments set what a script needs:
//! `// args: n=3 s="x"` (script arguments), `// flags: --select-matrix-repr` (command-line flags),
//! `// exit: 3` (the expected exit code, 0 by default; a failing script must also print an error
//! that names its location on stderr).
//!
//! Every script runs four ways with the same expected output: plain, vectorized (`--vec`), and
//! vectorized with one and with two threads and tiny micro-batches (`--phy-batch-size=64`), so
//! that even small matrices are cut into many batches and tasks. And distributed on one, two and
//! three real `DistributedWorker` processes (started once per mode and reused for every script,
//! with the repository as their `--data-dir`, so that reads happen on them too): afterwards the
//! workers must hold no object of any of those runs.

use crate::common::workers::Workers;
use crate::common::{fixture_args, header, rel, root, run_daphne_env};
use std::path::PathBuf;
use std::time::Duration;

fn scripts() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let base = root().join("tests/scripts");
    for cat in std::fs::read_dir(&base).expect("tests/scripts exists") {
        let cat = cat.expect("directory entry").path();
        if !cat.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&cat).expect("category directory") {
            let f = f.expect("directory entry").path();
            if f.extension().is_some_and(|e| e == "daph") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn corpus_output_matches() {
    check_corpus(&[]);
}

#[test]
fn corpus_output_matches_vectorized() {
    check_corpus(&["--vec"]);
}

#[test]
fn corpus_output_matches_vectorized_one_thread_small_batches() {
    check_corpus(&["--vec", "--num-threads", "1", "--phy-batch-size=64"]);
}

#[test]
fn corpus_output_matches_vectorized_two_threads_small_batches() {
    check_corpus(&["--vec", "--num-threads", "2", "--phy-batch-size=64"]);
}

#[test]
fn corpus_output_matches_distributed_one_worker() {
    check_corpus_distributed(1);
}

#[test]
fn corpus_output_matches_distributed_two_workers() {
    check_corpus_distributed(2);
}

#[test]
fn corpus_output_matches_distributed_three_workers() {
    check_corpus_distributed(3);
}

fn check_corpus_distributed(n: usize) {
    // The workers read the corpus' files (a `readMatrix` that only pipelines use) from the tree.
    let data = root().to_string_lossy().to_string();
    let workers = Workers::start_with(n, &["--data-dir", &data], &[]);
    let list = workers.list();
    check_corpus_env(&["--distributed"], &[("DISTRIBUTED_WORKERS", &list)]);
    for i in 0..n {
        assert_eq!(workers.object_count(i), 0, "worker {} still holds objects after the corpus", workers.addrs[i]);
    }
}

fn check_corpus(mode: &[&str]) {
    check_corpus_env(mode, &[]);
}

fn check_corpus_env(mode: &[&str], env: &[(&str, &str)]) {
    let mut failures = Vec::new();
    let all = scripts();
    assert!(!all.is_empty(), "no scripts found");
    for path in &all {
        let source = std::fs::read_to_string(path).expect("script is readable");
        let shown = rel(path);
        let mut args: Vec<String> = mode.iter().map(|s| s.to_string()).collect();
        args.extend(header(&source, "flags").iter().flat_map(|f| f.split_whitespace().map(str::to_string)));
        args.push(shown.clone());
        args.extend(fixture_args(&source));
        let expected_code: i32 = header(&source, "exit").and_then(|c| c.parse().ok()).unwrap_or(0);
        let expected_out = std::fs::read_to_string(path.with_extension("txt")).unwrap_or_default();
        let out = run_daphne_env(&args, env, Duration::from_secs(60));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code().unwrap_or(-1);
        if code != expected_code {
            failures.push(format!("{shown}: exit code {code}, expected {expected_code}\n{stderr}"));
        } else if stdout != expected_out {
            failures.push(format!("{shown}: stdout differs\n--- expected\n{expected_out}--- got\n{stdout}"));
        } else if expected_code != 0 && !stderr.contains(&format!("--> {shown}:")) {
            failures.push(format!("{shown}: the error does not name the script's location:\n{stderr}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scripts failed with flags {mode:?}:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}
