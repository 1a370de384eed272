//! Every broken script in `tests/fixtures/errors` makes `daphne` exit with code 1 (DAPHNE's
//! parser error) and print diagnostics with file:line:col and a code frame; the rendered
//! diagnostics are snapshotted.

use crate::common::{fixture_args, rel, run_daphne};
use std::time::Duration;

#[test]
fn broken_scripts_exit_1_with_diagnostics() {
    insta::glob!("fixtures/errors/*.daph", |path| {
        let source = std::fs::read_to_string(path).expect("fixture is readable");
        let shown = rel(path);
        let mut args =
            vec!["--compile-only".to_string(), "--explain".to_string(), "parsing".to_string(), shown.clone()];
        args.extend(fixture_args(&source));
        let out = run_daphne(&args, Duration::from_secs(30));
        let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert_eq!(out.status.code(), Some(1), "{shown}:\n{stderr}");
        assert!(out.stdout.is_empty(), "{shown}: nothing on stdout");
        assert!(stderr.contains(&format!("--> {shown}:")), "{shown}: names file:line:col:\n{stderr}");
        assert!(stderr.contains(" | "), "{shown}: shows a code frame:\n{stderr}");
        insta::assert_snapshot!(stderr);
    });
}

#[test]
fn command_line_errors_exit_1() {
    let cases: &[(&[&str], &str)] = &[
        (&["--explain", "parse", "tests/fixtures/parsing/comments.daph"], "unknown --explain key `parse`"),
        (&["tests/fixtures/parsing/comments.daph", "x"], "must be specified as name=value"),
        (&["--args", "a=1,a=2", "tests/fixtures/parsing/comments.daph"], "provided more than once"),
        (&["tests/fixtures/does_not_exist.daph"], "cannot read script"),
        (&["--no-such-flag", "tests/fixtures/parsing/comments.daph"], "--no-such-flag"),
    ];
    for (args, expected) in cases {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = run_daphne(&args, Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: expected `{expected}` in:\n{stderr}");
    }
}

#[test]
fn help_and_version_exit_0() {
    for flag in ["--help", "--version"] {
        let out = run_daphne(&[flag.to_string()], Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert!(!out.stdout.is_empty(), "{flag} prints to stdout");
    }
}
