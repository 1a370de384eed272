//! Property test: constant folding computes exactly what execution computes. Random scalar
//! expressions over literals of every value type (wrapping integers, `-0.0`, `nan`, strings that
//! are and are not numbers, casts, `?:`) are compiled twice, with the runtime's constant folder and
//! without any, and run; the outputs must be byte-identical and a failure must be the same error at
//! the same location (a fold that would fail is left to run time).

use daphne_frontend::LowerOptions;
use daphne_ir::diag::SourceMap;
use daphne_ir::fold::ConstantFolder;
use daphne_ir::{Module, OpKind};
use daphne_passes::CompileOptions;
use daphne_passes::manager::run_compile_pipeline;
use daphne_runtime::exec::{ExecOptions, Executor, Output};
use daphne_runtime::fold::RuntimeFolder;
use proptest::prelude::*;

fn number() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "3",
        "-7",
        "0",
        "9223372036854775807",
        "2.5",
        "-0.0",
        "0.1",
        "1e300",
        "nan",
        "inf",
        "as.f32(1.5)",
        "as.ui8(200)",
        "as.ui8(3)",
        "as.si8(-100)",
        "as.si32(7)",
        "as.ui32(5)",
        "as.ui64(9)",
        "true",
        "false",
        // Strings made numbers (or failing to be).
        "as.si64(\"7\")",
        "as.f64(\"2.5x\")",
        "as.f64(\"ab\")",
    ])
    .prop_map(str::to_string)
}

/// Numeric expressions.
fn num() -> impl Strategy<Value = String> {
    number().prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%", "^", "==", "!=", "<", ">=", "&&", "||"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (prop::sample::select(vec!["min", "max", "log"]), inner.clone(), inner.clone())
                .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
            (
                prop::sample::select(vec![
                    "-", "abs", "sign", "sqrt", "exp", "ln", "round", "floor", "ceil", "sin", "isNan", "as.si64",
                    "as.f64", "as.f32", "as.ui8", "as.si8", "as.ui32", "as.bool",
                ]),
                inner.clone()
            )
                .prop_map(|(f, a)| if f == "-" { format!("-({a})") } else { format!("{f}({a})") }),
            // The branches of `?:` must have one type.
            (inner.clone(), prop::sample::select(vec!["as.si64", "as.f64", "as.ui8", "as.f32"]), inner.clone(), inner)
                .prop_map(|(c, t, a, b)| format!("({c} ? {t}({a}) : {t}({b}))")),
        ]
    })
}

/// String expressions: concatenation with numbers (`std::to_string`), casts, comparisons.
fn text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(vec!["\"ab\"", "\"7\"", "\"\"", "\"Mixed\""]).prop_map(str::to_string),
        num().prop_map(|n| format!("as.str({n})")),
    ];
    leaf.prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), num()).prop_map(|(s, n)| format!("({s} + {n})")),
            (num(), inner.clone()).prop_map(|(n, s)| format!("({n} + {s})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (prop::sample::select(vec!["lower", "upper"]), inner).prop_map(|(f, s)| format!("{f}({s})")),
        ]
    })
}

fn statement() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => num().prop_map(|e| format!("print({e});")),
        1 => text().prop_map(|e| format!("print({e});")),
        1 => (text(), prop::sample::select(vec!["==", "<", "!="]), text()).prop_map(|(a, op, b)| format!("print({a} {op} {b});")),
    ]
}

/// What a compiled and executed script did: stdout, then the error with its location, if any.
#[derive(Debug, PartialEq)]
enum Outcome {
    NotCompiled,
    Ran { out: String, error: Option<String> },
}

fn ops_in(m: &Module) -> usize {
    let mut n = 0;
    m.walk(&mut |op| n += usize::from(m.kind(op) != OpKind::Constant));
    n
}

fn run(src: &str, folder: Option<&dyn ConstantFolder>) -> (Outcome, usize) {
    let mut sources = SourceMap::new();
    let file = sources.add("fold.daph", src);
    let out = daphne_frontend::compile(&mut sources, file, &LowerOptions::default());
    let Some(mut module) = out.module else { return (Outcome::NotCompiled, 0) };
    let opts = CompileOptions { verify_each_pass: true, ..CompileOptions::default() };
    if let Err(e) = run_compile_pipeline(&mut module, &opts, folder, &mut |_, _| {}) {
        assert!(e.user_error, "internal compiler error on\n{src}\n{e}");
        return (Outcome::NotCompiled, 0);
    }
    let mut stdout: Vec<u8> = Vec::new();
    let mut stderr: Vec<u8> = Vec::new();
    let result = {
        let mut exec = Executor::new(&module, Output { out: &mut stdout, err: &mut stderr }, &ExecOptions::default());
        exec.run_main()
    };
    let error = result.err().map(|e| format!("{} at {:?}", e.message(), e.loc()));
    (Outcome::Ran { out: String::from_utf8_lossy(&stdout).into_owned(), error }, ops_in(&module))
}

#[test]
fn folded_scripts_print_what_unfolded_scripts_print() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 300, ..ProptestConfig::default() });
    let ran = std::cell::Cell::new(0usize);
    let folded = std::cell::Cell::new(0usize);
    let failed = std::cell::Cell::new(0usize);
    let strategy = prop::collection::vec(statement(), 1..5);
    runner
        .run(&strategy, |stmts| {
            let src: String = stmts.iter().map(|s| format!("{s}\n")).collect();
            let (plain, plain_ops) = run(&src, None);
            let (with_folding, folded_ops) = run(&src, Some(&RuntimeFolder));
            prop_assert_eq!(&plain, &with_folding, "script:\n{}", src);
            if let Outcome::Ran { error, .. } = &plain {
                ran.set(ran.get() + 1);
                failed.set(failed.get() + usize::from(error.is_some()));
                if folded_ops < plain_ops {
                    folded.set(folded.get() + 1);
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    // The comparison must be about scripts that run, where folding did something, and that end
    // both ways: normally and with a run-time error (about 45% fail, e.g. `as.f64("ab")`).
    let (ran, folded, failed) = (ran.get(), folded.get(), failed.get());
    assert!(ran >= 250, "only {ran} of 300 scripts compiled");
    assert!(folded >= 200, "folding changed only {folded} of {ran} scripts");
    assert!(failed >= 20 && ran - failed >= 100, "{failed} of {ran} scripts failed at run time");
}
