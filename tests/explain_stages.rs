//! `daphne --compile-only --explain property_inference,phy_op_selection` over every fixture in
//! `tests/fixtures/stages`: function specialization (untyped functions, nested calls, recursion,
//! `map`) and physical operator selection (`syrk`, `gemv`, products that stay). The output is
//! snapshotted, each stage's IR must parse back, verify and print identically, and every fixture
//! must also run. (A separate test binary: insta's glob failure counters are process-wide.)

use crate::common::{fixture_args, rel, run_daphne};
use daphne_ir::{PrintOptions, parse_module, print_module, verify};
use std::time::Duration;

const INFERENCE: &str = "IR after inference:\n";
const SELECTION: &str = "IR after selecting physical operators:\n";

#[test]
fn explain_inference_and_operator_selection() {
    insta::glob!("fixtures/stages/*.daph", |path| {
        let source = std::fs::read_to_string(path).expect("fixture is readable");
        let mut args: Vec<String> = ["--compile-only", "--explain", "property_inference,phy_op_selection"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.push(rel(path));
        args.extend(fixture_args(&source));
        let out = run_daphne(&args, Duration::from_secs(30));
        let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert_eq!(out.status.code(), Some(0), "{}:\n{stderr}", path.display());
        insta::assert_snapshot!(stderr);

        let rest = stderr.strip_prefix(INFERENCE).expect("inference is printed first");
        let (inferred, selected) = rest.split_once(SELECTION).expect("operator selection is printed second");
        for (stage, ir) in [("property_inference", inferred), ("phy_op_selection", selected)] {
            let m = parse_module(ir).unwrap_or_else(|e| panic!("{}: {stage} does not parse: {e}", path.display()));
            verify(&m).unwrap_or_else(|e| panic!("{}: {stage} does not verify: {e}", path.display()));
            assert_eq!(print_module(&m, PrintOptions::default()), ir, "{}: {stage} round trip", path.display());
        }
        // After specialization every function reachable from main is typed at its parameters,
        // except the generic version a capped recursion falls back to.
        if !path.ends_with("recursion_cap.daph") {
            assert!(!inferred.contains("(%arg0: !daphne.Unknown"), "{}: untyped function left", path.display());
        }

        let mut run = vec![rel(path)];
        run.extend(fixture_args(&source));
        let out = run_daphne(&run, Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(0), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    });
}

/// `--no-phy-op-selection` (DAPHNE's flag) skips the stage: nothing is printed for it, and the
/// products stay products at run time, with the same output.
#[test]
fn no_phy_op_selection_skips_the_stage() {
    let fixture = "tests/fixtures/stages/syrk.daph".to_string();
    let explain = |extra: &[&str]| {
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend(["--compile-only", "--explain", "phy_op_selection"].map(String::from));
        args.push(fixture.clone());
        let out = run_daphne(&args, Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stderr).expect("stderr is UTF-8")
    };
    assert!(explain(&[]).contains("daphne.syrk"));
    assert_eq!(explain(&["--no-phy-op-selection"]), "");
    let run = |extra: &[&str]| {
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.push(fixture.clone());
        run_daphne(&args, Duration::from_secs(30)).stdout
    };
    assert_eq!(run(&["--no-phy-op-selection"]), run(&[]));
}
