//! `daphne --explain parsing` over every fixture in `tests/fixtures/parsing`: the printed IR is
//! snapshotted, and the harness checks that it parses back, verifies, and prints identically.
//! The same round trip is checked with locations, on the module the frontend returns.

use crate::common::{compile_fixture, fixture_args, rel, run_daphne};
use daphne_ir::{PrintOptions, parse_module, print_module, verify};
use std::time::Duration;

const HEADER: &str = "IR after parsing:\n";

#[test]
fn explain_parsing_prints_round_tripping_ir() {
    insta::glob!("fixtures/parsing/*.daph", |path| {
        let source = std::fs::read_to_string(path).expect("fixture is readable");
        let mut args = vec!["--compile-only".to_string(), "--explain".to_string(), "parsing".to_string(), rel(path)];
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

#[test]
fn ir_with_locations_round_trips() {
    insta::glob!("fixtures/parsing/*.daph", |path| {
        // Imports resolve relative to the script, so give the frontend the real path.
        let module = compile_fixture(path, path.display().to_string());
        verify(&module).unwrap_or_else(|e| panic!("{}: lowered IR does not verify: {e}", path.display()));
        let with_locs = PrintOptions { locations: true };
        let text = print_module(&module, with_locs);
        assert!(text.contains("loc(\""), "{}: locations are printed", path.display());
        let reparsed = parse_module(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        verify(&reparsed).unwrap_or_else(|e| panic!("{}: reparsed IR does not verify: {e}", path.display()));
        assert_eq!(print_module(&reparsed, with_locs), text, "{}: round trip with locations", path.display());
        assert_eq!(
            print_module(&reparsed, PrintOptions::default()),
            print_module(&module, PrintOptions::default()),
            "{}: round trip without locations",
            path.display()
        );
    });
}
