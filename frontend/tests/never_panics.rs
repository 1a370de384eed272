//! Property tests: no input makes the lexer, parser or lowering panic, and whatever the frontend
//! accepts is IR that verifies and round-trips through its text form.

use daphne_frontend::LowerOptions;
use daphne_ir::diag::SourceMap;
use daphne_ir::{PrintOptions, parse_module, print_module, verify};
use proptest::prelude::*;

/// Tokens and fragments of DaphneDSL, so that random sequences reach deep into the parser.
const VOCAB: &[&str] = &[
    "x",
    "y",
    "X",
    "f",
    "g",
    "i",
    "=",
    ";",
    ",",
    "(",
    ")",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ":",
    "::",
    ".",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "@",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "?",
    "$n",
    "$s",
    "1",
    "0",
    "2.5",
    "1e3",
    "7u",
    "3z",
    "1_000",
    "nan",
    "inf",
    "true",
    "false",
    "\"s\"",
    "if",
    "else",
    "while",
    "do",
    "for",
    "in",
    "def",
    "return",
    "import",
    "as",
    "matrix",
    "f64",
    "si64",
    "str",
    "frame",
    "->",
    "print",
    "sum",
    "fill",
    "rand",
    "seq",
    "t",
    "reshape",
    "eigen",
    "recode",
    "remove",
    "createList",
    "map",
    "cbind",
    "aggMin",
    "mean",
    "as.f64",
    "as.matrix",
    "\n",
    "# c\n",
    "// c\n",
    "/* c */",
];

fn options() -> LowerOptions {
    let mut o = LowerOptions::default();
    o.args.insert("n".into(), "3".into());
    o.args.insert("s".into(), "\"text\"".into());
    o
}

fn check(src: &str) {
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.daph", src);
    let out = daphne_frontend::compile(&mut sources, file, &options());
    for d in &out.diagnostics {
        // Rendering must not panic either.
        let _ = sources.render(d);
    }
    if let Some(m) = out.module {
        verify(&m).unwrap_or_else(|e| panic!("accepted script produced invalid IR ({e}):\n{src}"));
        for opts in [PrintOptions::default(), PrintOptions { locations: true }] {
            let text = print_module(&m, opts);
            let back = parse_module(&text).unwrap_or_else(|e| panic!("IR does not parse back ({e}):\n{text}"));
            assert_eq!(print_module(&back, opts), text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(VOCAB), 0..60),
                               glue in prop::sample::select(&[" ", "", "\n"][..])) {
        check(&tokens.join(glue));
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        check(&src);
    }

    #[test]
    fn statement_shaped_input_never_panics(
        stmts in prop::collection::vec(
            (prop::sample::select(&["x", "y", "X"][..]),
             prop::collection::vec(prop::sample::select(VOCAB), 1..12)), 1..8)
    ) {
        let src: String = stmts.iter().map(|(lhs, rhs)| format!("{lhs} = {};\n", rhs.join(" "))).collect();
        check(&src);
    }
}

#[test]
fn deeply_nested_input_is_an_error_not_a_crash() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}"), ("-", ""), ("if (1) ", ""), ("f(", ")")] {
        let src = format!("x = {}1{};", open.repeat(5000), close.repeat(5000));
        check(&src);
    }
}
