//! Distribution (`distributed` stage, with `--distributed`): every `daphne.vectorizedPipeline`
//! becomes a `daphne.distributedPipeline` whose `ir` attribute is a module of its own,
//! `func.func @dist(inputs) -> outputs` running the same pipeline (splits and combines unchanged)
//! on whatever partition a worker holds. The body is already self-contained (vectorization copies
//! constants in), so the text is all a worker needs; it parses and verifies it before running it.
//! Inputs split by rows have an unknown row count in `@dist`, as do outputs combined by rows.
//!
//! Cost model: a pipeline whose inputs are known (from their static types) to hold fewer than
//! `--dist-min-bytes` bytes stays a local `daphne.vectorizedPipeline`, marked with a `local`
//! attribute that says why, since a round trip to the workers costs more than such work.
//! Pipelines with an input of unknown size are distributed.

use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::copy::copy_block_into;
use daphne_ir::vector::{self, Combine, Split};
use daphne_ir::{Attr, Attrs, Const, Loc, Module, Op, OpKind, PrintOptions, Type, Value, print_module};
use std::collections::HashMap;

pub struct DistributePass;

const NAME: &str = "distribute";

impl Pass for DistributePass {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, m: &mut Module, cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let mut pipes = Vec::new();
        m.walk(&mut |op| {
            if m.kind(op) == OpKind::VectorizedPipeline {
                pipes.push(op);
            }
        });
        let min = cx.options.dist_min_bytes;
        for &p in &pipes {
            match static_input_bytes(m, p) {
                Some(bytes) if bytes < min => {
                    let why = format!("inputs of {bytes} bytes, under --dist-min-bytes {min}");
                    m.op_mut(p).attrs.insert("local".into(), Attr::Const(Const::Str(why)));
                }
                _ => distribute(m, p)?,
            }
        }
        Ok(if pipes.is_empty() { Changed::No } else { Changed::Yes })
    }
}

/// The bytes of a pipeline's matrix inputs when their static types tell (scalars travel inline
/// and count nothing); `None` when any input's size is unknown.
fn static_input_bytes(m: &Module, p: Op) -> Option<u64> {
    let mut total = 0u64;
    for v in m.operands(p) {
        match m.value_type(*v) {
            Type::Matrix(mt) => {
                let cell = mt.vt?.cell_bytes()?;
                total = total.saturating_add(mt.rows?.saturating_mul(mt.cols?).saturating_mul(cell));
            }
            Type::Scalar(_) => {}
            _ => return None,
        }
    }
    Some(total)
}

fn internal(m: &Module, op: Op, message: String) -> PassError {
    PassError { pass: NAME, loc: m.op(op).loc.clone(), message, user_error: false }
}

/// The type of a value on a worker: rows (or columns, for `Cols`) depend on the partition.
fn partition_type(t: &Type, rows_unknown: bool, cols_unknown: bool) -> Type {
    match t {
        Type::Matrix(mt) => {
            let mut mt = mt.clone();
            if rows_unknown {
                mt.rows = None;
            }
            if cols_unknown {
                mt.cols = None;
            }
            if rows_unknown || cols_unknown {
                mt.symmetric = None;
                mt.sparsity = None;
            }
            Type::Matrix(mt)
        }
        other => other.clone(),
    }
}

/// The module a worker runs for pipeline `p`, as text.
pub fn worker_module(m: &Module, p: Op) -> Result<String, PassError> {
    let body = m.op_block(p, 0).ok_or_else(|| internal(m, p, "pipeline without a body".into()))?;
    let splits = vector::splits(m, p).map_err(|e| internal(m, p, e))?;
    let combines = vector::combines(m, p).map_err(|e| internal(m, p, e))?;
    let arg_types: Vec<Type> = m
        .operands(p)
        .iter()
        .zip(&splits)
        .map(|(v, s)| partition_type(m.value_type(*v), *s == Split::Rows, false))
        .collect();
    let result_types: Vec<Type> = m
        .results(p)
        .iter()
        .zip(&combines)
        .map(|(r, c)| partition_type(m.value_type(*r), *c == Combine::Rows, *c == Combine::Cols))
        .collect();
    let mut w = Module::new();
    w.files = m.files.clone();
    let entry = w.create_block(&arg_types);
    let args = w.block_args(entry).to_vec();
    let body_copy = w.create_block(&m.block_args(body).iter().map(|a| m.value_type(*a).clone()).collect::<Vec<_>>());
    let mut map: HashMap<Value, Value> =
        m.block_args(body).iter().copied().zip(w.block_args(body_copy).to_vec()).collect();
    copy_block_into(m, body, &mut w, body_copy, &mut map).map_err(|e| internal(m, p, e))?;
    let region = w.create_region(&[body_copy]);
    let pipe = w.create_op(
        OpKind::VectorizedPipeline,
        args,
        result_types.clone(),
        m.op(p).attrs.clone(),
        vec![region],
        Loc::Unknown,
    );
    w.append_op(entry, pipe);
    let ret = w.create_op(OpKind::Return, w.results(pipe).to_vec(), vec![], Attrs::new(), vec![], Loc::Unknown);
    w.append_op(entry, ret);
    w.create_func("dist", entry, result_types, Loc::Unknown);
    Ok(print_module(&w, PrintOptions::default()))
}

fn distribute(m: &mut Module, p: Op) -> Result<(), PassError> {
    let text = worker_module(m, p)?;
    let mut attrs = m.op(p).attrs.clone();
    attrs.insert("ir".into(), Attr::Const(Const::Str(text)));
    let types: Vec<Type> = m.results(p).iter().map(|r| m.value_type(*r).clone()).collect();
    let loc = m.op(p).loc.clone();
    let d = m.create_op(OpKind::DistributedPipeline, m.operands(p).to_vec(), types, attrs, vec![], loc);
    m.insert_before(p, d);
    for (r, nr) in m.results(p).to_vec().into_iter().zip(m.results(d).to_vec()) {
        m.replace_all_uses(r, nr);
    }
    m.erase_op(p);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use daphne_ir::{parse_module, verify};

    #[test]
    fn pipelines_become_self_contained_worker_functions() {
        let out = crate::testing::run_pass(
            &DistributePass,
            r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 4 : index} : () -> index
    %2 = "daphne.fill"(%0, %1, %1) : (f64, index, index) -> !daphne.Matrix<4x4xf64>
    %3:2 = "daphne.vectorizedPipeline"(%2, %0) ({
    ^bb0(%arg0: !daphne.Matrix<?x4xf64>, %arg1: f64):
      %4 = "daphne.ewMul"(%arg0, %arg1) : (!daphne.Matrix<?x4xf64>, f64) -> !daphne.Matrix<?x4xf64>
      %5 = "daphne.sumAll"(%4) : (!daphne.Matrix<?x4xf64>) -> f64
      "daphne.return"(%4, %5) : (!daphne.Matrix<?x4xf64>, f64) -> ()
    }) {combines = [1, 3], splits = [1, 0]} : (!daphne.Matrix<4x4xf64>, f64) -> (!daphne.Matrix<4x4xf64>, f64)
    %6 = "daphne.constant"() {value = true} : () -> i1
    "daphne.print"(%3#0, %6, %6) : (!daphne.Matrix<4x4xf64>, i1, i1) -> ()
    "daphne.print"(%3#1, %6, %6) : (f64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#,
        );
        assert!(out.contains("daphne.distributedPipeline"), "{out}");
        assert!(!out.contains("daphne.vectorizedPipeline\"(%2"), "{out}");
        // The embedded module parses, verifies and has @dist with partition types.
        let m = parse_module(&out).expect("parses");
        let mut text = None;
        m.walk(&mut |op| {
            if m.kind(op) == OpKind::DistributedPipeline {
                text = m.attr(op, "ir").and_then(Attr::as_str).map(str::to_string);
            }
        });
        let text = text.expect("the op carries its IR");
        let w = parse_module(&text).expect("the worker module parses");
        verify(&w).expect("the worker module verifies");
        assert!(
            text.contains(
                "func.func @dist(%arg0: !daphne.Matrix<?x4xf64>, %arg1: f64) -> (!daphne.Matrix<?x4xf64>, f64)"
            ),
            "{text}"
        );
    }
}
