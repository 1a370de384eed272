//! `daphne --explain parsing_simplified` over every fixture in `tests/fixtures/parsing`: the IR
//! after constant folding, common-subexpression elimination and dead-code elimination is
//! snapshotted, and it must parse back, verify and print identically. (A separate test binary
//! from `explain_parsing`: insta's glob failure counters are process-wide.)

use crate::common::{fixture_args, rel, run_daphne};
use daphne_ir::{PrintOptions, parse_module, print_module, verify};
use std::time::Duration;

const HEADER: &str = "IR after parsing and some simplifications:\n";

#[test]
fn explain_parsing_simplified_prints_round_tripping_ir() {
    insta::glob!("fixtures/parsing/*.daph", |path| {
        let source = std::fs::read_to_string(path).expect("fixture is readable");
        let mut args =
            vec!["--compile-only".to_string(), "--explain".to_string(), "parsing_simplified".to_string(), rel(path)];
        args.extend(fixture_args(&source));
        let out = run_daphne(&args, Duration::from_secs(30));
        let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert_eq!(out.status.code(), Some(0), "{}:\n{stderr}", path.display());
        insta::assert_snapshot!(stderr);

        let ir = stderr.strip_prefix(HEADER).expect("output starts with the DAPHNE header");
        let module = parse_module(ir).unwrap_or_else(|e| panic!("{}: printed IR does not parse: {e}", path.display()));
        verify(&module).unwrap_or_else(|e| panic!("{}: parsed IR does not verify: {e}", path.display()));
        assert_eq!(print_module(&module, PrintOptions::default()), ir, "{}: round trip", path.display());
    });
}

/// Both stages asked for at once print both, in pipeline order, and `parsing` is still the raw
/// lowering (folding happens only after it).
#[test]
fn parsing_is_printed_before_simplification() {
    let args: Vec<String> =
        ["--compile-only", "--explain", "parsing_simplified,parsing", "tests/fixtures/parsing/for_loop.daph"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let out = run_daphne(&args, Duration::from_secs(30));
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let (parsing, simplified) = stderr.split_once(HEADER).expect("both stages are printed");
    assert!(parsing.starts_with("IR after parsing:\n"), "{stderr}");
    assert!(parsing.contains("daphne.ewGe") && !simplified.contains("daphne.ewGe"), "{stderr}");
}
