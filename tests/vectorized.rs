//! Vectorization over the fixtures in `tests/fixtures/vectorized`:
//! - `daphne --vec --explain <every implemented stage>` is snapshotted, and the IR printed after
//!   each stage parses back, verifies and prints identically (the pipeline IR is what workers
//!   receive, so it must round-trip);
//! - the effect of each vectorization pass is snapshotted as a unified diff of the IR before and
//!   after it, and a fixture's `// pipelines: N` header fixes how many pipelines remain;
//! - every fixture prints the same with and without `--vec` (with tiny batches on two threads);
//! - with `--distributed`, the `distributed` stage is snapshotted, the IR every distributed
//!   pipeline carries parses, verifies and round-trips on its own and holds only ops that may run
//!   on a worker (the op table's `worker` column), and every fixture prints the same distributed
//!   on two real workers.

use crate::common::workers::Workers;
use crate::common::{compile_fixture, fixture_args, header, rel, run_daphne, run_daphne_env};
use daphne_ir::{Attr, Module, OpKind, PrintOptions, parse_module, print_module, verify};
use daphne_passes::CompileOptions;
use daphne_passes::manager::{Event, run_compile_pipeline};
use daphne_passes::stages::STAGES;
use daphne_runtime::fold::RuntimeFolder;
use std::path::Path;
use std::time::Duration;

/// The passes whose effect is snapshotted as a diff.
const DIFFED_PASSES: &[&str] = &["vectorize", "horizontal_fusion", "pipeline_cleanup"];

fn implemented_stage_keys() -> String {
    STAGES
        .iter()
        .filter(|s| s.implemented && s.key != "select_matrix_repr")
        .map(|s| s.key)
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn explain_every_stage_with_vec() {
    let keys = implemented_stage_keys();
    insta::glob!("fixtures/vectorized/*.daph", |path| {
        let source = std::fs::read_to_string(path).expect("fixture is readable");
        let mut args: Vec<String> =
            ["--vec", "--compile-only", "--explain", &keys].iter().map(|s| s.to_string()).collect();
        args.push(rel(path));
        args.extend(fixture_args(&source));
        let out = run_daphne(&args, Duration::from_secs(30));
        let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert_eq!(out.status.code(), Some(0), "{}:\n{stderr}", path.display());
        insta::assert_snapshot!(stderr);
        for (i, part) in stderr.split("IR after ").enumerate().skip(1) {
            let ir = part.split_once(":\n").map(|(_, ir)| ir).unwrap_or_else(|| panic!("stage {i} has a header"));
            let m = parse_module(ir).unwrap_or_else(|e| panic!("{}: stage {i} does not parse: {e}", path.display()));
            verify(&m).unwrap_or_else(|e| panic!("{}: stage {i} does not verify: {e}", path.display()));
            assert_eq!(print_module(&m, PrintOptions::default()), ir, "{}: stage {i} round trip", path.display());
        }
    });
}

/// Lowers a fixture and runs the pipeline with `--vec`, recording the IR after every pass.
fn ir_after_each_pass(path: &Path) -> Vec<(String, String)> {
    let mut module = compile_fixture(path, rel(path));
    let compile = CompileOptions { vectorize: true, verify_each_pass: true, ..CompileOptions::default() };
    let mut trace = vec![("start".to_string(), print_module(&module, PrintOptions::default()))];
    let mut observer = |e: Event<'_>, m: &Module| {
        if let Event::AfterPass { pass, .. } = e {
            trace.push((pass.to_string(), print_module(m, PrintOptions::default())));
        }
    };
    run_compile_pipeline(&mut module, &compile, Some(&RuntimeFolder), &mut observer)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    trace
}

#[test]
fn vectorization_pass_diffs() {
    insta::glob!("fixtures/vectorized/*.daph", |path| {
        let trace = ir_after_each_pass(path);
        let mut report = String::new();
        for w in trace.windows(2) {
            let ((_, before), (pass, after)) = (&w[0], &w[1]);
            if !DIFFED_PASSES.contains(&pass.as_str()) {
                continue;
            }
            report.push_str(&format!("=== {pass}\n"));
            if before == after {
                report.push_str("(no change)\n");
            } else {
                let diff = similar::TextDiff::from_lines(before, after);
                report.push_str(&diff.unified_diff().context_radius(2).to_string());
            }
        }
        insta::assert_snapshot!(report);
        let source = std::fs::read_to_string(path).expect("fixture is readable");
        if let Some(n) = header(&source, "pipelines") {
            let last = &trace.last().expect("a trace").1;
            let count = last.matches("\"daphne.vectorizedPipeline\"").count().to_string();
            assert_eq!(count, n, "{}: pipelines after vectorization:\n{last}", path.display());
        }
    });
}

#[test]
fn fixtures_print_the_same_vectorized() {
    insta::glob!("fixtures/vectorized/*.daph", |path| {
        let source = std::fs::read_to_string(path).expect("fixture is readable");
        let run = |flags: &[&str]| {
            let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
            args.push(rel(path));
            args.extend(fixture_args(&source));
            let out = run_daphne(&args, Duration::from_secs(60));
            assert_eq!(out.status.code(), Some(0), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
            out.stdout
        };
        let plain = run(&[]);
        let vec = run(&["--vec", "--num-threads", "2", "--phy-batch-size=64"]);
        assert_eq!(String::from_utf8_lossy(&plain), String::from_utf8_lossy(&vec), "{}", path.display());
    });
}

#[test]
fn explain_distributed_stage() {
    insta::glob!("fixtures/vectorized/*.daph", |path| {
        let source = std::fs::read_to_string(path).expect("fixture is readable");
        let mut args: Vec<String> =
            ["--distributed", "--compile-only", "--explain", "distributed"].iter().map(|s| s.to_string()).collect();
        args.push(rel(path));
        args.extend(fixture_args(&source));
        let out = run_daphne(&args, Duration::from_secs(30));
        let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert_eq!(out.status.code(), Some(0), "{}:\n{stderr}", path.display());
        insta::assert_snapshot!(stderr);
        let ir = stderr.split_once(":\n").map(|(_, ir)| ir).expect("a stage header");
        let m = parse_module(ir).unwrap_or_else(|e| panic!("{}: does not parse: {e}", path.display()));
        verify(&m).unwrap_or_else(|e| panic!("{}: does not verify: {e}", path.display()));
        let mut vectorized = 0;
        m.walk(&mut |op| vectorized += usize::from(m.kind(op) == OpKind::VectorizedPipeline));
        assert_eq!(vectorized, 0, "{}: a pipeline was not distributed", path.display());
        m.walk(&mut |op| {
            if m.kind(op) != OpKind::DistributedPipeline {
                return;
            }
            let task = m.attr(op, "ir").and_then(Attr::as_str).expect("the pipeline carries its IR");
            let t = parse_module(task).unwrap_or_else(|e| panic!("{}: task IR does not parse: {e}", path.display()));
            verify(&t).unwrap_or_else(|e| panic!("{}: task IR does not verify: {e}", path.display()));
            assert!(t.find_func("dist").is_some(), "{}: no @dist", path.display());
            assert_eq!(print_module(&t, PrintOptions::default()), task, "{}: task IR round trip", path.display());
        });
    });
}

/// Every op of every task module (`@dist` and the pipeline body inside it) that the `distributed`
/// stage emits for the fixtures is one the op table allows on workers.
#[test]
fn distributed_tasks_hold_only_worker_ops() {
    let mut tasks = 0;
    insta::glob!("fixtures/vectorized/*.daph", |path| {
        let mut module = compile_fixture(path, rel(path));
        let compile = CompileOptions { distributed: true, verify_each_pass: true, ..CompileOptions::default() };
        run_compile_pipeline(&mut module, &compile, Some(&RuntimeFolder), &mut |_, _| {})
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        module.walk(&mut |op| {
            if module.kind(op) != OpKind::DistributedPipeline {
                return;
            }
            tasks += 1;
            let text = module.attr(op, "ir").and_then(Attr::as_str).expect("the pipeline carries its IR");
            let task = parse_module(text).unwrap_or_else(|e| panic!("{}: task IR does not parse: {e}", path.display()));
            task.walk(&mut |t| {
                let kind = task.kind(t);
                assert!(kind.runs_on_worker(), "{}: `{kind}` in a task module may not run on a worker", path.display());
            });
        });
    });
    assert!(tasks > 0, "no fixture has a distributed pipeline");
}

#[test]
fn fixtures_print_the_same_distributed() {
    let workers = Workers::start(2);
    let list = workers.list();
    insta::glob!("fixtures/vectorized/*.daph", |path| {
        let source = std::fs::read_to_string(path).expect("fixture is readable");
        let run = |flags: &[&str], env: &[(&str, &str)]| {
            let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
            args.push(rel(path));
            args.extend(fixture_args(&source));
            let out = run_daphne_env(&args, env, Duration::from_secs(60));
            assert_eq!(out.status.code(), Some(0), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
            out.stdout
        };
        let plain = run(&[], &[]);
        let dist = run(&["--distributed"], &[("DISTRIBUTED_WORKERS", &list)]);
        assert_eq!(String::from_utf8_lossy(&plain), String::from_utf8_lossy(&dist), "{}", path.display());
    });
    assert_eq!(workers.object_count(0) + workers.object_count(1), 0);
}
