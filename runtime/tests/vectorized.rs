//! The vectorized engine against plain execution: hand-written pipelines (every combine, several
//! outputs, the same input with two splits, row-vector broadcast, mismatched rows) run with tiny
//! batches on several threads and must print exactly what the body run once on whole inputs
//! prints.

use daphne_ir::parse_module;
use daphne_runtime::exec::{ExecOptions, Executor, Output};
use daphne_runtime::vectorized::{Engine, EngineOptions};
use std::sync::Arc;

/// Runs `@main` and returns (stdout, error message).
fn run(src: &str, engine: Option<Arc<Engine>>) -> (String, Option<String>) {
    let m = parse_module(src).expect("test IR parses");
    daphne_ir::verify(&m).expect("test IR verifies");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let r = {
        let mut exec =
            Executor::new(&m, Output { out: &mut out, err: &mut err }, &ExecOptions { engine, ..Default::default() });
        exec.run_main()
    };
    (String::from_utf8(out).expect("utf-8"), r.err().map(|e| e.message().to_string()))
}

fn engines() -> Vec<Arc<Engine>> {
    [(1, 8), (2, 8), (2, 200), (3, 1 << 20)]
        .iter()
        .map(|&(threads, batch_bytes)| {
            Arc::new(
                Engine::new(&EngineOptions { threads, batch_bytes, grain_size: 1, ..EngineOptions::default() })
                    .expect("engine starts"),
            )
        })
        .collect()
}

/// The program: `X` is a 97x3 seq-based matrix, `v` a 1x3 row vector, then `body` (which prints).
fn program(body: &str) -> String {
    format!(
        r#"module {{
  func.func @main() {{
    %c1 = "daphne.constant"() {{value = 1.000000e+00 : f64}} : () -> f64
    %c291 = "daphne.constant"() {{value = 2.910000e+02 : f64}} : () -> f64
    %s = "daphne.seq"(%c1, %c291, %c1) : (f64, f64, f64) -> !daphne.Matrix<?x1xf64>
    %r = "daphne.constant"() {{value = 97 : index}} : () -> index
    %k = "daphne.constant"() {{value = 3 : index}} : () -> index
    %X = "daphne.reshape"(%s, %r, %k) : (!daphne.Matrix<?x1xf64>, index, index) -> !daphne.Matrix<97x3xf64>
    %zero = "daphne.constant"() {{value = 0 : index}} : () -> index
    %one = "daphne.constant"() {{value = 1 : index}} : () -> index
    %v0 = "daphne.sliceRow"(%X, %zero, %one) : (!daphne.Matrix<97x3xf64>, index, index) -> !daphne.Matrix<?x3xf64>
    %t = "daphne.constant"() {{value = true}} : () -> i1
    %f = "daphne.constant"() {{value = false}} : () -> i1
{body}
    "daphne.return"() : () -> ()
  }}
}}"#
    )
}

fn same_everywhere(body: &str) {
    let src = program(body);
    let plain = run(&src, None);
    assert!(plain.1.is_none(), "plain run fails: {:?}", plain.1);
    for e in engines() {
        assert_eq!(run(&src, Some(e)), plain, "{body}");
    }
}

#[test]
fn rows_and_add_combines_with_several_outputs() {
    same_everywhere(
        r#"    %p:3 = "daphne.vectorizedPipeline"(%X) ({
    ^bb0(%a: !daphne.Matrix<?x3xf64>):
      %two = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
      %m = "daphne.ewMul"(%a, %two) : (!daphne.Matrix<?x3xf64>, f64) -> !daphne.Matrix<?x3xf64>
      %s1 = "daphne.sumAll"(%m) : (!daphne.Matrix<?x3xf64>) -> f64
      %cs = "daphne.sumCol"(%m) : (!daphne.Matrix<?x3xf64>) -> !daphne.Matrix<1x3xf64>
      "daphne.return"(%m, %s1, %cs) : (!daphne.Matrix<?x3xf64>, f64, !daphne.Matrix<1x3xf64>) -> ()
    }) {combines = [1, 3, 3], splits = [1]} : (!daphne.Matrix<97x3xf64>) -> (!daphne.Matrix<97x3xf64>, f64, !daphne.Matrix<1x3xf64>)
    "daphne.print"(%p#0, %t, %f) : (!daphne.Matrix<97x3xf64>, i1, i1) -> ()
    "daphne.print"(%p#1, %t, %f) : (f64, i1, i1) -> ()
    "daphne.print"(%p#2, %t, %f) : (!daphne.Matrix<1x3xf64>, i1, i1) -> ()"#,
    );
}

#[test]
fn min_max_and_cols_combines() {
    same_everywhere(
        r#"    %p:4 = "daphne.vectorizedPipeline"(%X) ({
    ^bb0(%a: !daphne.Matrix<?x3xf64>):
      %lo = "daphne.minAll"(%a) : (!daphne.Matrix<?x3xf64>) -> f64
      %hi = "daphne.maxCol"(%a) : (!daphne.Matrix<?x3xf64>) -> !daphne.Matrix<1x3xf64>
      %lc = "daphne.minCol"(%a) : (!daphne.Matrix<?x3xf64>) -> !daphne.Matrix<1x3xf64>
      %tr = "daphne.transpose"(%a) : (!daphne.Matrix<?x3xf64>) -> !daphne.Matrix<3x?xf64>
      "daphne.return"(%lo, %hi, %lc, %tr) : (f64, !daphne.Matrix<1x3xf64>, !daphne.Matrix<1x3xf64>, !daphne.Matrix<3x?xf64>) -> ()
    }) {combines = [4, 5, 4, 2], splits = [1]} : (!daphne.Matrix<97x3xf64>) -> (f64, !daphne.Matrix<1x3xf64>, !daphne.Matrix<1x3xf64>, !daphne.Matrix<3x97xf64>)
    "daphne.print"(%p#0, %t, %f) : (f64, i1, i1) -> ()
    "daphne.print"(%p#1, %t, %f) : (!daphne.Matrix<1x3xf64>, i1, i1) -> ()
    "daphne.print"(%p#2, %t, %f) : (!daphne.Matrix<1x3xf64>, i1, i1) -> ()
    "daphne.print"(%p#3, %t, %f) : (!daphne.Matrix<3x97xf64>, i1, i1) -> ()"#,
    );
}

#[test]
fn same_input_two_splits_and_transposed_product() {
    // X read by rows and whole in one body: t(X) @ X summed over batches, X @ t(X)[ , 0:3].
    same_everywhere(
        r#"    %p:2 = "daphne.vectorizedPipeline"(%X, %X) ({
    ^bb0(%a: !daphne.Matrix<?x3xf64>, %w: !daphne.Matrix<97x3xf64>):
      %ft = "daphne.constant"() {value = true} : () -> i1
      %ff = "daphne.constant"() {value = false} : () -> i1
      %g = "daphne.matMul"(%a, %a, %ft, %ff) : (!daphne.Matrix<?x3xf64>, !daphne.Matrix<?x3xf64>, i1, i1) -> !daphne.Matrix<3x3xf64>
      %h = "daphne.matMul"(%a, %w, %ff, %ft) : (!daphne.Matrix<?x3xf64>, !daphne.Matrix<97x3xf64>, i1, i1) -> !daphne.Matrix<?x97xf64>
      "daphne.return"(%g, %h) : (!daphne.Matrix<3x3xf64>, !daphne.Matrix<?x97xf64>) -> ()
    }) {combines = [3, 1], splits = [1, 0]} : (!daphne.Matrix<97x3xf64>, !daphne.Matrix<97x3xf64>) -> (!daphne.Matrix<3x3xf64>, !daphne.Matrix<97x97xf64>)
    "daphne.print"(%p#0, %t, %f) : (!daphne.Matrix<3x3xf64>, i1, i1) -> ()
    %tot = "daphne.sumAll"(%p#1) : (!daphne.Matrix<97x97xf64>) -> f64
    "daphne.print"(%tot, %t, %f) : (f64, i1, i1) -> ()"#,
    );
}

#[test]
fn row_vector_broadcast() {
    same_everywhere(
        r#"    %p = "daphne.vectorizedPipeline"(%X, %v0) ({
    ^bb0(%a: !daphne.Matrix<?x3xf64>, %b: !daphne.Matrix<?x3xf64>):
      %d = "daphne.ewSub"(%a, %b) : (!daphne.Matrix<?x3xf64>, !daphne.Matrix<?x3xf64>) -> !daphne.Matrix<?x3xf64>
      "daphne.return"(%d) : (!daphne.Matrix<?x3xf64>) -> ()
    }) {combines = [1], splits = [1, 1]} : (!daphne.Matrix<97x3xf64>, !daphne.Matrix<?x3xf64>) -> !daphne.Matrix<97x3xf64>
    "daphne.print"(%p, %t, %f) : (!daphne.Matrix<97x3xf64>, i1, i1) -> ()"#,
    );
}

#[test]
fn mismatched_rows_fail_like_plain_execution() {
    // The left operand has one row and the right one 97: plain execution rejects the shapes; the
    // engine must not broadcast the left operand, so it fails the same way.
    let src = program(
        r#"    %p = "daphne.vectorizedPipeline"(%v0, %X) ({
    ^bb0(%a: !daphne.Matrix<?x3xf64>, %b: !daphne.Matrix<?x3xf64>):
      %d = "daphne.ewSub"(%a, %b) : (!daphne.Matrix<?x3xf64>, !daphne.Matrix<?x3xf64>) -> !daphne.Matrix<?x3xf64>
      "daphne.return"(%d) : (!daphne.Matrix<?x3xf64>) -> ()
    }) {combines = [1], splits = [1, 1]} : (!daphne.Matrix<?x3xf64>, !daphne.Matrix<97x3xf64>) -> !daphne.Matrix<?x3xf64>
    "daphne.print"(%p, %t, %f) : (!daphne.Matrix<?x3xf64>, i1, i1) -> ()"#,
    );
    let plain = run(&src, None);
    assert!(plain.1.is_some(), "plain execution rejects the shapes");
    for e in engines() {
        assert_eq!(run(&src, Some(e)), plain);
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // A float sum over many batches: the task partition depends on the data only.
    let body = r#"    %p = "daphne.vectorizedPipeline"(%X) ({
    ^bb0(%a: !daphne.Matrix<?x3xf64>):
      %e = "daphne.ewSqrt"(%a) : (!daphne.Matrix<?x3xf64>) -> !daphne.Matrix<?x3xf64>
      %sum = "daphne.sumAll"(%e) : (!daphne.Matrix<?x3xf64>) -> f64
      "daphne.return"(%sum) : (f64) -> ()
    }) {combines = [3], splits = [1]} : (!daphne.Matrix<97x3xf64>) -> f64
    %big = "daphne.constant"() {value = 1.000000e+15 : f64} : () -> f64
    %scaled = "daphne.ewMul"(%p, %big) : (f64, f64) -> f64
    "daphne.print"(%scaled, %t, %f) : (f64, i1, i1) -> ()"#;
    let src = program(body);
    let runs: Vec<_> = [1, 2, 3, 4]
        .iter()
        .map(|&threads| {
            let e = Engine::new(&EngineOptions { threads, batch_bytes: 8, grain_size: 1, ..EngineOptions::default() })
                .expect("engine starts");
            run(&src, Some(Arc::new(e)))
        })
        .collect();
    assert!(runs.windows(2).all(|w| w[0] == w[1]), "{runs:?}");
}
