//! The inference pass (`property_inference` stage): refines the result types of every op from its
//! operand types, and adds shapes, sparsity and symmetry to matrix types. Loops are inferred to a
//! fix-point: a property that changes inside a loop body becomes unknown for the loop's variable
//! (DAPHNE's rule), so the result describes every iteration.
//!
//! Inference is interprocedural: callees are inferred before their callers, a function's result
//! types become the types it returns, and a `generic_call` (or `map`) takes its result types from
//! its callee. Recursion is inferred to a fix-point as well (at most [`MAX_ROUNDS`] rounds).
//!
//! After this pass, a matrix type with known dimensions is exact: run-time values have them.

pub mod properties;
pub mod shape;

use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::infer::{InferInput, infer_result_types};
use daphne_ir::ops::TypeRule;
use daphne_ir::{Attr, Block, Const, MatrixType, Module, Op, OpKind, Type};

pub struct InferencePass;

const NAME: &str = "inference";

impl Pass for InferencePass {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, m: &mut Module, cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        if let Some(folder) = cx.folder {
            type_reads(m, folder);
        }
        let order = callees_first(m);
        for _ in 0..MAX_ROUNDS {
            let before: Vec<Vec<Type>> = order.iter().map(|f| m.func_result_types(*f)).collect();
            for &func in &order {
                infer_function(m, func)?;
            }
            if order.iter().map(|f| m.func_result_types(*f)).eq(before) {
                break;
            }
        }
        Ok(Changed::Yes)
    }
}

/// Types each `readMatrix` of a constant file name from the file's meta data, as DAPHNE's compiler
/// does (its rows, columns and value type), unless the script may write that file first: a
/// `write` to the same constant name or to a name computed at run time. A file without meta data
/// at compile time keeps the unknown type; one that changes before it is read is an error at run
/// time (the read checks the type it was compiled with).
fn type_reads(m: &mut Module, folder: &dyn daphne_ir::fold::ConstantFolder) {
    let constant_path = |m: &Module, op: Op, i: usize| match m.operands(op).get(i).and_then(|v| constant_of(m, *v)) {
        Some(Const::Str(p)) => Some(p),
        _ => None,
    };
    let (mut reads, mut written, mut writes_anywhere) = (Vec::new(), Vec::new(), false);
    m.walk(&mut |op| match m.kind(op) {
        OpKind::Read => reads.push(op),
        OpKind::Write => match constant_path(m, op, 1) {
            Some(p) => written.push(p),
            None => writes_anywhere = true,
        },
        _ => {}
    });
    if writes_anywhere {
        return;
    }
    for op in reads {
        let Some(&result) = m.results(op).first() else { continue };
        let untyped = matches!(m.value_type(result), Type::Matrix(t) if t.vt.is_none() && t.rows.is_none());
        let Some(path) = constant_path(m, op, 0).filter(|p| untyped && !written.contains(p)) else { continue };
        if let Some(t) = folder.matrix_file_type(&path) {
            m.set_value_type(result, t);
        }
    }
}

/// How often the functions of a module are inferred at most until their result types stop
/// changing (recursion needs a second round; every round gives sound types, so stopping early is
/// safe).
pub const MAX_ROUNDS: usize = 8;

/// The functions in an order that infers callees before their callers (a post-order of the call
/// graph, `map` counting as a call; within a cycle the order is the module's).
fn callees_first(m: &Module) -> Vec<Op> {
    fn visit(m: &Module, func: Op, seen: &mut Vec<Op>, out: &mut Vec<Op>) {
        if seen.contains(&func) {
            return;
        }
        seen.push(func);
        let Some(entry) = m.op_block(func, 0) else { return };
        let mut callees = Vec::new();
        m.walk_block(entry, &mut |op| {
            if let Some(callee) = callee_of(m, op) {
                callees.push(callee);
            }
        });
        for callee in callees {
            visit(m, callee, seen, out);
        }
        out.push(func);
    }
    let (mut seen, mut out) = (Vec::new(), Vec::new());
    for func in m.funcs() {
        visit(m, func, &mut seen, &mut out);
    }
    out
}

/// The function a `generic_call` or `map` calls, if it exists.
pub(crate) fn callee_of(m: &Module, op: Op) -> Option<Op> {
    let attr = match m.kind(op) {
        OpKind::GenericCall => "callee",
        OpKind::Map => "func",
        _ => return None,
    };
    m.attr(op, attr).and_then(Attr::as_symbol).and_then(|name| m.find_func(name))
}

/// Infers one function's body, then sets its result types to the types it returns (as DAPHNE's
/// inference does): declared result types are enforced by casts, so what the function returns is
/// at least as specific as what it declares.
pub(crate) fn infer_function(m: &mut Module, func: Op) -> Result<(), PassError> {
    let Some(entry) = m.op_block(func, 0) else { return Ok(()) };
    infer_block(m, entry)?;
    let Some(&ret) = m.block_ops(entry).last().filter(|op| m.kind(**op) == OpKind::Return) else {
        return Err(internal(m, func, "a function body must end with `daphne.return`"));
    };
    let returned = operand_types(m, ret);
    if returned.len() != m.func_result_types(func).len() {
        return Err(internal(m, ret, "a function returns a different number of values than it declares"));
    }
    m.set_func_result_types(func, returned);
    Ok(())
}

/// The result types a call gets from its callee: a `generic_call` the callee's result types, a
/// `map` a matrix of the callee's result value type (unknown while the callee's is). `None` when
/// the callee is missing or does not fit the call (the call keeps its types).
fn types_from_callee(m: &Module, op: Op) -> Option<Vec<Type>> {
    let callee = callee_of(m, op)?;
    let results = m.func_result_types(callee);
    match m.kind(op) {
        OpKind::GenericCall if results.len() == m.results(op).len() => Some(results),
        OpKind::Map if results.len() == 1 => Some(vec![Type::matrix_of(results[0].value_type())]),
        _ => None,
    }
}

fn user_error(m: &Module, op: Op, message: String) -> PassError {
    PassError { pass: NAME, loc: m.op(op).loc.clone(), message, user_error: true }
}

fn internal(m: &Module, op: Op, message: &str) -> PassError {
    PassError { pass: NAME, loc: m.op(op).loc.clone(), message: message.to_string(), user_error: false }
}

/// The constant a value holds, if it is defined by `daphne.constant`.
fn constant_of(m: &Module, v: daphne_ir::Value) -> Option<Const> {
    let op = m.defining_op(v)?;
    if m.kind(op) != OpKind::Constant {
        return None;
    }
    m.attr(op, "value").and_then(Attr::as_const).cloned()
}

fn infer_block(m: &mut Module, b: Block) -> Result<(), PassError> {
    for op in m.block_ops(b).to_vec() {
        match m.kind(op) {
            OpKind::If => infer_if(m, op)?,
            OpKind::For => infer_for(m, op)?,
            OpKind::While => infer_while(m, op)?,
            OpKind::Func | OpKind::Return | OpKind::Yield | OpKind::Condition => {}
            _ => infer_op(m, op)?,
        }
    }
    Ok(())
}

/// Types, then shapes and properties, of one op's results.
fn infer_op(m: &mut Module, op: Op) -> Result<(), PassError> {
    let kind = m.kind(op);
    let operands = m.operands(op).to_vec();
    let types: Vec<Type> = operands.iter().map(|v| m.value_type(*v).clone()).collect();
    let consts: Vec<Option<Const>> = operands.iter().map(|v| constant_of(m, *v)).collect();
    let constant = |i: usize| consts.get(i).cloned().flatten();
    let results = m.results(op).to_vec();
    let current: Vec<Type> = match types_from_callee(m, op) {
        Some(types) => types,
        None => results.iter().map(|v| m.value_type(*v).clone()).collect(),
    };
    let attrs = m.op(op).attrs.clone();
    let mut new_types = infer_result_types(
        kind,
        &InferInput { operands: &types, attrs: &attrs, current: &current, constant: &constant },
    )
    .map_err(|e| user_error(m, op, e))?;
    if new_types.len() != results.len() {
        return Err(internal(m, op, "type inference returned the wrong number of types"));
    }
    let shapes = shape::infer_shapes(
        kind,
        &shape::ShapeInput { operands: &types, constant: &constant, results: &new_types },
        results.len(),
    )
    .map_err(|e| user_error(m, op, e))?;
    let sparsity = properties::infer_sparsity(kind, &types, &constant, &attrs);
    let symmetric = properties::infer_symmetric(kind, &types, &constant);
    // Ops whose result types are given by their builder (calls, reads) keep what they have; for all
    // others the inferred properties replace stale ones.
    let keep = kind.info().rule == TypeRule::Keep;
    for (i, t) in new_types.iter_mut().enumerate() {
        let (rows, cols) = shapes.get(i).copied().unwrap_or(shape::UNKNOWN);
        let pick = |old: Option<u64>, new: Option<u64>| if keep { old.or(new) } else { new };
        match t {
            Type::Matrix(mt) => {
                *mt = MatrixType {
                    rows: pick(mt.rows, rows),
                    cols: pick(mt.cols, cols),
                    vt: mt.vt,
                    sparsity: if keep {
                        mt.sparsity
                    } else if i == 0 {
                        sparsity
                    } else {
                        None
                    },
                    repr: match &current[i] {
                        Type::Matrix(c) => c.repr,
                        _ => mt.repr,
                    },
                    symmetric: if keep {
                        mt.symmetric
                    } else if i == 0 {
                        symmetric
                    } else {
                        None
                    },
                };
            }
            Type::Frame(ft) => {
                ft.rows = pick(ft.rows, rows);
                ft.cols = pick(ft.cols, cols);
            }
            _ => {}
        }
    }
    for (v, t) in results.iter().zip(new_types) {
        m.set_value_type(*v, t);
    }
    Ok(())
}

fn operand_types(m: &Module, op: Op) -> Vec<Type> {
    m.operands(op).iter().map(|v| m.value_type(*v).clone()).collect()
}

/// The common part of two lists of types; a data-type change is an error.
fn merge(m: &Module, op: Op, a: &[Type], b: &[Type], what: &str) -> Result<Vec<Type>, PassError> {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            x.common_info(y).ok_or_else(|| {
                user_error(
                    m,
                    op,
                    format!(
                        "the data type (matrix, frame, scalar) of a variable must not change {what} (from {} to {})",
                        x.dsl_name(),
                        y.dsl_name()
                    ),
                )
            })
        })
        .collect()
}

fn terminator_types(m: &Module, b: Block) -> Vec<Type> {
    match m.block_ops(b).last() {
        Some(t) => operand_types(m, *t),
        None => Vec::new(),
    }
}

fn infer_if(m: &mut Module, op: Op) -> Result<(), PassError> {
    let (Some(then_b), Some(else_b)) = (m.op_block(op, 0), m.op_block(op, 1)) else {
        return Err(internal(m, op, "scf.if without two regions"));
    };
    infer_block(m, then_b)?;
    infer_block(m, else_b)?;
    let merged =
        merge(m, op, &terminator_types(m, then_b), &terminator_types(m, else_b), "between the branches of an if")?;
    for (v, t) in m.results(op).to_vec().into_iter().zip(merged) {
        m.set_value_type(v, t);
    }
    Ok(())
}

fn set_args(m: &mut Module, b: Block, skip: usize, types: &[Type]) {
    for (a, t) in m.block_args(b).to_vec().into_iter().skip(skip).zip(types) {
        m.set_value_type(a, t.clone());
    }
}

fn infer_for(m: &mut Module, op: Op) -> Result<(), PassError> {
    let Some(body) = m.op_block(op, 0) else { return Err(internal(m, op, "scf.for without a body")) };
    let mut types: Vec<Type> = operand_types(m, op).into_iter().skip(3).collect();
    loop {
        set_args(m, body, 1, &types);
        infer_block(m, body)?;
        let merged = merge(m, op, &types, &terminator_types(m, body), "inside a for-loop")?;
        if merged == types {
            break;
        }
        types = merged;
    }
    for (v, t) in m.results(op).to_vec().into_iter().zip(types) {
        m.set_value_type(v, t);
    }
    Ok(())
}

fn infer_while(m: &mut Module, op: Op) -> Result<(), PassError> {
    let (Some(before), Some(after)) = (m.op_block(op, 0), m.op_block(op, 1)) else {
        return Err(internal(m, op, "scf.while without two regions"));
    };
    let mut types = operand_types(m, op);
    let passed = loop {
        set_args(m, before, 0, &types);
        infer_block(m, before)?;
        let passed: Vec<Type> = terminator_types(m, before).into_iter().skip(1).collect();
        set_args(m, after, 0, &passed);
        infer_block(m, after)?;
        let merged = merge(m, op, &types, &terminator_types(m, after), "inside a while-loop")?;
        let merged = merge(m, op, &merged, &passed, "inside a while-loop")?;
        if merged == types {
            break passed;
        }
        types = merged;
    };
    for (v, t) in m.results(op).to_vec().into_iter().zip(passed) {
        m.set_value_type(v, t);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_take_the_result_types_their_callee_returns() {
        // `main` comes first, so the callee must be inferred before it (callees first).
        let src = r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 2 : si64} : () -> si64
    %1 = "daphne.generic_call"(%0) {callee = @"g-1"} : (si64) -> !daphne.Unknown
    %2 = "daphne.ewAdd"(%1, %0) : (!daphne.Unknown, si64) -> !daphne.Unknown
    %3 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %4 = "daphne.constant"() {value = 3 : index} : () -> index
    %5 = "daphne.fill"(%3, %4, %4) : (f64, index, index) -> !daphne.Matrix<?x?xf64>
    %6 = "daphne.map"(%5) {func = @"h-2"} : (!daphne.Matrix<?x?xf64>) -> !daphne.Matrix<?x?xf64>
    "daphne.return"() : () -> ()
  }
  func.func @"g-1"(%arg0: si64) -> !daphne.Unknown {
    %0 = "daphne.ewMul"(%arg0, %arg0) : (si64, si64) -> !daphne.Unknown
    "daphne.return"(%0) : (!daphne.Unknown) -> ()
  }
  func.func @"h-2"(%arg0: f64) -> !daphne.Unknown {
    %0 = "daphne.constant"() {value = 0.000000e+00 : f64} : () -> f64
    %1 = "daphne.ewGt"(%arg0, %0) : (f64, f64) -> !daphne.Unknown
    %2 = "daphne.cast"(%1) : (!daphne.Unknown) -> si64
    "daphne.return"(%2) : (si64) -> ()
  }
}"#;
        let out = crate::testing::run_pass(&InferencePass, src);
        assert!(out.contains(r#"func.func @"g-1"(%arg0: si64) -> si64"#), "{out}");
        assert!(out.contains(r#"{callee = @"g-1"} : (si64) -> si64"#), "{out}");
        assert!(out.contains(r#""daphne.ewAdd"(%1, %0) : (si64, si64) -> si64"#), "{out}");
        // `map` makes a matrix of the function's result value type, shaped like its argument.
        assert!(
            out.contains(r#"{func = @"h-2"} : (!daphne.Matrix<3x3xf64:symmetric[true]>) -> !daphne.Matrix<3x3xsi64>"#),
            "{out}"
        );
    }

    #[test]
    fn functions_are_inferred_callees_first() {
        let src = r#"module {
  func.func @main() {
    "daphne.return"() : () -> ()
  }
  func.func @"a-1"() {
    "daphne.generic_call"() {callee = @"b-2"} : () -> ()
    "daphne.generic_call"() {callee = @"c-3"} : () -> ()
    "daphne.return"() : () -> ()
  }
  func.func @"b-2"() {
    "daphne.generic_call"() {callee = @"c-3"} : () -> ()
    "daphne.return"() : () -> ()
  }
  func.func @"c-3"() {
    "daphne.generic_call"() {callee = @"c-3"} : () -> ()
    "daphne.return"() : () -> ()
  }
}"#;
        let m = daphne_ir::parse_module(src).unwrap();
        let names: Vec<&str> = callees_first(&m).into_iter().filter_map(|f| m.func_name(f)).collect();
        assert_eq!(names, vec!["main", "c-3", "b-2", "a-1"]);
    }
}
