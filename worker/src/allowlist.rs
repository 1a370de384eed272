//! What a worker agrees to run: only what the `distributed` stage emits. A task's module must be
//! one `@dist` function whose every op may run on a worker (the `worker` column of the op table:
//! the pure ops of vectorized pipelines, constants, casts, the pipeline op itself and the data
//! generators), so no I/O, no `print`, no `stop`, no calls, no loops, no `now`. The check runs on
//! the parsed module before any input is looked up or any memory is set aside; a refusal is
//! `PermissionDenied` naming the op. A second check bounds a task's work up front: outputs whose
//! size follows from their static types and the inputs' rows must fit the memory limit.

use daphne_distributed::transport::{CallError, Code};
use daphne_ir::{Module, OpKind, Type, ValueType};
use daphne_runtime::data::Data;

/// The name of a task's function.
pub const TASK_FUNCTION: &str = "dist";

/// Refuses a module that is not a task of the `distributed` stage.
pub fn check_task(m: &Module) -> Result<(), CallError> {
    let denied = |message: String| Err(CallError::new(Code::PermissionDenied, message));
    let mut refused: Option<OpKind> = None;
    m.walk(&mut |op| {
        let kind = m.kind(op);
        if refused.is_none() && !kind.runs_on_worker() {
            refused = Some(kind);
        }
    });
    if let Some(kind) = refused {
        return denied(format!(
            "`{}` may not run on a worker: a task holds only the pure ops of distributed pipelines",
            kind.name()
        ));
    }
    let funcs = m.funcs();
    let names: Vec<&str> = funcs.iter().map(|f| m.func_name(*f).unwrap_or("?")).collect();
    if names != [TASK_FUNCTION] {
        let shown: Vec<String> = names.iter().map(|n| format!("@{n}")).collect();
        return denied(format!(
            "a task must be exactly one `@{TASK_FUNCTION}` function, this one has {}",
            if shown.is_empty() { "none".to_string() } else { shown.join(", ") }
        ));
    }
    Ok(())
}

/// A lower bound of the bytes a task's outputs will occupy: every matrix result whose columns and
/// value type are known, with its rows known or (for row-combined results) the most rows of any
/// matrix input. Results of unknown size count nothing, so the bound never refuses a task that
/// fits; the limit is checked again on the real results.
pub fn output_bytes_at_least(m: &Module, args: &[Data]) -> u64 {
    let Some(func) = m.find_func(TASK_FUNCTION) else { return 0 };
    let input_rows = args
        .iter()
        .filter_map(|a| match a {
            Data::Matrix(x) => Some(x.rows() as u64),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    m.func_result_types(func)
        .iter()
        .map(|t| match t {
            Type::Matrix(mt) => match (mt.cols, mt.vt.and_then(ValueType::cell_bytes)) {
                (Some(cols), Some(size)) => mt.rows.unwrap_or(input_rows).saturating_mul(cols).saturating_mul(size),
                _ => 0,
            },
            _ => 0,
        })
        .fold(0u64, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use daphne_ir::parse_module;

    fn module(body: &str, results: &str) -> Module {
        let text = format!("module {{\n  func.func @dist(%arg0: f64) -> {results} {{\n{body}\n  }}\n}}\n");
        parse_module(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn denied_ops_are_named() {
        let m = module("    \"daphne.return\"(%arg0) : (f64) -> ()", "f64");
        assert!(check_task(&m).is_ok());
        let now = module("    %0 = \"daphne.now\"() : () -> si64\n    \"daphne.return\"(%0) : (si64) -> ()", "si64");
        let e = check_task(&now).unwrap_err();
        assert_eq!(e.code, Code::PermissionDenied);
        assert!(e.message.contains("`daphne.now`"), "{}", e.message);
    }
}
