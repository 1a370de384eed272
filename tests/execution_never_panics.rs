//! Property test: random scripts built from the built-ins, over small matrices and scalars of
//! several value types, never make the compiler or the executor panic. Every run ends in output or
//! in a diagnosed error.

use daphne_frontend::LowerOptions;
use daphne_ir::diag::SourceMap;
use daphne_passes::CompileOptions;
use daphne_passes::manager::run_compile_pipeline;
use daphne_runtime::exec::{ExecOptions, Executor, Output};
use daphne_runtime::fold::RuntimeFolder;
use proptest::prelude::*;

/// Expressions that produce a value (some of them fail at run time, on purpose).
fn leaf() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "A",
        "B",
        "v",
        "w",
        "s",
        "k",
        "u",
        "1",
        "0",
        "-2",
        "2.5",
        "0.0",
        "true",
        "\"x\"",
        "nan",
        "as.ui8(3)",
        "as.si32(-7)",
        "as.f32(1.5)",
        "[1, 2, 3]",
        "[1.5, -2.0](1, 2)",
        "fill(1, 2, 2)",
        "seq(1, 4)",
        "rand(2, 3, 0.0, 1.0, 1, 7)",
        "rand(3, 2, 1, 9, 0.5, 3)",
        "t(A)",
        "A[0, ]",
        "A[, 1]",
        "A[1:, :1]",
        "nrow(A)",
        "ncol(B)",
    ])
    .prop_map(str::to_string)
}

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 24, 3, |inner| {
        let unary = prop::sample::select(vec![
            "abs",
            "sqrt",
            "exp",
            "ln",
            "round",
            "floor",
            "sign",
            "sum",
            "mean",
            "aggMin",
            "aggMax",
            "var",
            "t",
            "reverse",
            "cumSum",
            "isNan",
            "as.scalar",
            "as.si64",
            "as.f64",
            "as.matrix",
            "lower",
            "diagMatrix",
            "diagVector",
            "typeOf",
        ]);
        let binary = prop::sample::select(vec![
            "+", "-", "*", "/", "^", "%", "@", "==", "<", ">=", "&&", "||", "min", "max", "pow", "log", "cbind",
            "rbind", "solve", "outerAdd", "sum_axis", "mod",
        ]);
        prop_oneof![
            (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            (binary, inner.clone(), inner.clone()).prop_map(|(op, a, b)| match op {
                "min" | "max" | "pow" | "log" | "cbind" | "rbind" | "solve" | "outerAdd" | "mod" =>
                    format!("{op}({a}, {b})"),
                "sum_axis" => format!("sum({a}, {})", if b.len() % 2 == 0 { 0 } else { 1 }),
                _ => format!("({a} {op} {b})"),
            }),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("(as.scalar(sum({c})) ? as.matrix<f64>({a}) : as.matrix<f64>({b}))")),
            (inner.clone(), 0i64..4, -1i64..3).prop_map(|(a, i, j)| format!("{a}[{i}:{j}, ]")),
            (inner.clone(), 1usize..4, 1usize..4).prop_map(|(a, r, c)| format!("reshape({a}, {r}, {c})")),
            inner.prop_map(|a| format!("order({a}, 0, true, false)")),
        ]
    })
}

fn statement() -> impl Strategy<Value = String> {
    prop_oneof![
        expr().prop_map(|e| format!("print({e});")),
        (prop::sample::select(vec!["A", "B"]), expr()).prop_map(|(x, e)| format!("{x} = as.matrix<f64>({e});")),
        (prop::sample::select(vec!["v", "s"]), expr()).prop_map(|(x, e)| format!("{x} = as.f64(as.scalar(sum({e})));")),
        (expr(), expr())
            .prop_map(|(c, e)| format!("if (as.scalar(sum({c})) > 0) {{ print({e}); }} else {{ s = s + 1; }}")),
        expr().prop_map(|e| format!("for (i in 1:2) {{ v = v + 1; print({e}); }}")),
        expr().prop_map(|e| format!("A[0, 0] = {e};")),
    ]
}

const PRELUDE: &str = "A = [1.0, 2.0, 3.0, 4.0](2, 2);\nB = [1, 0, 2, 5, 3, 1](2, 3);\nv = 3;\nw = [2.0, 1.0];\ns = 0.5;\nk = \"txt\";\nu = as.ui8(200);\n";

/// How far a script got.
#[derive(Debug, PartialEq, Eq)]
enum Reached {
    Frontend,
    Compiler,
    Executed,
}

fn run_script(src: &str) -> Reached {
    let mut sources = SourceMap::new();
    let file = sources.add("prop.daph", src);
    let out = daphne_frontend::compile(&mut sources, file, &LowerOptions::default());
    let Some(mut module) = out.module else { return Reached::Frontend };
    let opts = CompileOptions { verify_each_pass: true, ..CompileOptions::default() };
    if let Err(e) = run_compile_pipeline(&mut module, &opts, Some(&RuntimeFolder), &mut |_, _| {}) {
        // A diagnosed error in the script is fine; a broken invariant in a pass is a bug.
        assert!(e.user_error, "internal compiler error on\n{src}\n{e}");
        return Reached::Compiler;
    }
    let mut stdout: Vec<u8> = Vec::new();
    let mut stderr: Vec<u8> = Vec::new();
    let mut exec = Executor::new(&module, Output { out: &mut stdout, err: &mut stderr }, &ExecOptions::default());
    let _ = exec.run_main();
    Reached::Executed
}

#[test]
fn random_scripts_never_panic() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 400, ..ProptestConfig::default() });
    let executed = std::cell::Cell::new(0usize);
    let strategy = prop::collection::vec(statement(), 1..6);
    runner
        .run(&strategy, |stmts| {
            let src = format!("{PRELUDE}{}", stmts.join("\n"));
            if run_script(&src) == Reached::Executed {
                executed.set(executed.get() + 1);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    // The generator must produce many scripts that reach the executor, or this test checks little.
    // (About 45% do: the frontend rejects many for their types, and since constant folding makes
    // index bounds and shapes known, the compiler rejects a few percent more, as DAPHNE does.)
    assert!(executed.get() >= 150, "only {} of 400 scripts reached execution", executed.get());
}
