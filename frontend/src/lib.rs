//! The DaphneDSL frontend: lexer, recursive-descent parser with error recovery, AST, and the
//! lowering of the AST to DaphneIR (`func.func @main` plus one function per `def`).
//!
//! [`compile`] runs the whole frontend over one file of a source map and returns the module or
//! the diagnostics (lexical, syntax and semantic errors all name a span).

pub mod ast;
pub mod builtins;
pub mod lexer;
pub mod lower;
pub mod parser;

pub use lower::LowerOptions;

use daphne_ir::Module;
use daphne_ir::diag::{Diagnostic, Severity, SourceMap};

/// What the frontend produced: a module if there were no errors, and every diagnostic (warnings
/// included) in source order of discovery.
pub struct FrontendOutput {
    pub module: Option<Module>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lexes, parses and lowers file `file` of the source map.
pub fn compile(sources: &mut SourceMap, file: u32, opts: &LowerOptions) -> FrontendOutput {
    let text = sources.file(file).map(|f| f.text.clone()).unwrap_or_default();
    let (tokens, mut diagnostics) = lexer::lex(file, &text);
    let (script, parse_diags) = parser::parse(tokens);
    diagnostics.extend(parse_diags);
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return FrontendOutput { module: None, diagnostics };
    }
    let lowered = lower::lower_script(sources, file, &script, opts);
    diagnostics.extend(lowered.diagnostics);
    FrontendOutput { module: lowered.module, diagnostics }
}
