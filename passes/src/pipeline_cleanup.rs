//! Pipeline clean-up (`vectorized` stage, after fusion): every `daphne.vectorizedPipeline` keeps
//! only outputs that are used, takes each (input, split) pair once and drops inputs its body does
//! not read; a pipeline none of whose outputs is used is removed (it has no side effects), where
//! DAPHNE crashes (its issue #874). Also home of `assemble`, which builds one pipeline from the
//! bodies of others (used here and by horizontal fusion).

use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::vector::{self, Split, combine_attr, split_attr};
use daphne_ir::{Attrs, Block, Loc, Module, Op, OpKind, Type, Value};
use std::collections::HashMap;

pub struct PipelineCleanupPass;

const NAME: &str = "pipeline_cleanup";

impl Pass for PipelineCleanupPass {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, m: &mut Module, _cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let mut pipes = Vec::new();
        m.walk(&mut |op| {
            if m.kind(op) == OpKind::VectorizedPipeline {
                pipes.push(op);
            }
        });
        let mut changed = false;
        for p in pipes {
            let used: Vec<usize> = (0..m.results(p).len()).filter(|j| m.use_count(m.result(p, *j)) > 0).collect();
            if used.is_empty() {
                m.erase_op(p);
                changed = true;
                continue;
            }
            let body = m.op_block(p, 0).ok_or_else(|| internal(m, p, "pipeline without a body"))?;
            let splits = vector::splits(m, p).map_err(|e| internal(m, p, &e))?;
            let inputs: Vec<(Value, Split)> = m.operands(p).iter().copied().zip(splits).collect();
            let args = m.block_args(body);
            let mut seen: Vec<(Value, Split)> = Vec::new();
            let clean = inputs.iter().zip(args).all(|(key, arg)| {
                let fresh = !seen.contains(key);
                seen.push(*key);
                fresh && body_uses(m, body, *arg)
            });
            if used.len() == m.results(p).len() && clean {
                continue;
            }
            assemble(m, p, &[(p, used)])?;
            changed = true;
        }
        Ok(if changed { Changed::Yes } else { Changed::No })
    }
}

fn internal(m: &Module, op: Op, message: &str) -> PassError {
    PassError { pass: NAME, loc: m.op(op).loc.clone(), message: message.to_string(), user_error: false }
}

fn body_uses(m: &Module, body: Block, v: Value) -> bool {
    m.block_ops(body).iter().any(|op| m.operands(*op).contains(&v))
}

/// Builds one pipeline op, placed before `anchor`, from the bodies of `parts` (pipeline ops of
/// the same block, each with the indices of the outputs to keep, in order). Inputs are taken
/// once per (value, split) and only if read; uses of the kept outputs move to the new op; the
/// old pipelines are erased. Returns the new op.
pub(crate) fn assemble(m: &mut Module, anchor: Op, parts: &[(Op, Vec<usize>)]) -> Result<Op, PassError> {
    let mut inputs: Vec<(Value, Split, Type)> = Vec::new();
    let mut arg_index: HashMap<Value, usize> = HashMap::new();
    let mut bodies = Vec::with_capacity(parts.len());
    for (p, _) in parts {
        let body = m.op_block(*p, 0).ok_or_else(|| internal(m, *p, "pipeline without a body"))?;
        let splits = vector::splits(m, *p).map_err(|e| internal(m, *p, &e))?;
        for ((&v, split), &arg) in m.operands(*p).iter().zip(splits).zip(m.block_args(body)) {
            if !body_uses(m, body, arg) {
                continue;
            }
            let k = match inputs.iter().position(|(iv, is, _)| *iv == v && *is == split) {
                Some(k) => k,
                None => {
                    inputs.push((v, split, m.value_type(arg).clone()));
                    inputs.len() - 1
                }
            };
            arg_index.insert(arg, k);
        }
        bodies.push(body);
    }
    let arg_types: Vec<Type> = inputs.iter().map(|(_, _, t)| t.clone()).collect();
    let new_body = m.create_block(&arg_types);
    let new_args = m.block_args(new_body).to_vec();
    let mut outputs: Vec<(Value, Value, vector::Combine)> = Vec::new(); // (old result, body value, combine)
    let mut ret_loc = Loc::Unknown;
    for ((p, keep), body) in parts.iter().zip(&bodies) {
        let combines = vector::combines(m, *p).map_err(|e| internal(m, *p, &e))?;
        let ops = m.block_ops(*body).to_vec();
        let Some((&ret, inner)) = ops.split_last() else { return Err(internal(m, *p, "empty pipeline body")) };
        for &op in inner {
            m.append_op(new_body, op);
            let remapped: Vec<Value> =
                m.operands(op).iter().map(|v| arg_index.get(v).map_or(*v, |k| new_args[*k])).collect();
            m.op_mut(op).operands = remapped;
        }
        let returned = m.operands(ret).to_vec();
        for &j in keep {
            let (Some(&v), Some(&c)) = (returned.get(j), combines.get(j)) else {
                return Err(internal(m, *p, "output index out of range"));
            };
            outputs.push((m.result(*p, j), arg_index.get(&v).map_or(v, |k| new_args[*k]), c));
        }
        ret_loc = m.op(ret).loc.clone();
    }
    let ret = m.create_op(OpKind::Return, outputs.iter().map(|o| o.1).collect(), vec![], Attrs::new(), vec![], ret_loc);
    m.append_op(new_body, ret);
    let region = m.create_region(&[new_body]);
    let mut attrs = Attrs::new();
    attrs.insert("splits".into(), split_attr(&inputs.iter().map(|i| i.1).collect::<Vec<_>>()));
    attrs.insert("combines".into(), combine_attr(&outputs.iter().map(|o| o.2).collect::<Vec<_>>()));
    let loc = Loc::fuse(parts.iter().map(|(p, _)| m.op(*p).loc.clone()));
    let types = outputs.iter().map(|o| m.value_type(o.0).clone()).collect();
    let pipe =
        m.create_op(OpKind::VectorizedPipeline, inputs.iter().map(|i| i.0).collect(), types, attrs, vec![region], loc);
    m.insert_before(anchor, pipe);
    for (j, (old, _, _)) in outputs.iter().enumerate() {
        let new = m.result(pipe, j);
        m.replace_all_uses(*old, new);
    }
    for (p, _) in parts {
        m.erase_op(*p);
    }
    Ok(pipe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompileOptions;
    use daphne_ir::{PrintOptions, parse_module, print_module, verify};

    #[test]
    fn drops_unused_outputs_duplicate_inputs_and_dead_pipelines() {
        let mut m = parse_module(
            r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 4 : index} : () -> index
    %2 = "daphne.fill"(%0, %1, %1) : (f64, index, index) -> !daphne.Matrix<4x4xf64>
    %3:2 = "daphne.vectorizedPipeline"(%2, %2, %0) ({
    ^bb0(%arg0: !daphne.Matrix<?x4xf64>, %arg1: !daphne.Matrix<?x4xf64>, %arg2: f64):
      %4 = "daphne.ewAdd"(%arg0, %arg1) : (!daphne.Matrix<?x4xf64>, !daphne.Matrix<?x4xf64>) -> !daphne.Matrix<?x4xf64>
      %5 = "daphne.sumAll"(%4) : (!daphne.Matrix<?x4xf64>) -> f64
      "daphne.return"(%4, %5) : (!daphne.Matrix<?x4xf64>, f64) -> ()
    }) {combines = [1, 3], splits = [1, 1, 0]} : (!daphne.Matrix<4x4xf64>, !daphne.Matrix<4x4xf64>, f64) -> (!daphne.Matrix<4x4xf64>, f64)
    %6 = "daphne.vectorizedPipeline"(%2) ({
    ^bb0(%arg3: !daphne.Matrix<?x4xf64>):
      %7 = "daphne.ewExp"(%arg3) : (!daphne.Matrix<?x4xf64>) -> !daphne.Matrix<?x4xf64>
      "daphne.return"(%7) : (!daphne.Matrix<?x4xf64>) -> ()
    }) {combines = [1], splits = [1]} : (!daphne.Matrix<4x4xf64>) -> !daphne.Matrix<4x4xf64>
    %8 = "daphne.constant"() {value = true} : () -> i1
    %9 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%3#1, %8, %9) : (f64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#,
        )
        .expect("test IR parses");
        let opts = CompileOptions::default();
        PipelineCleanupPass.run(&mut m, &mut PassCx::new(&opts)).expect("pass runs");
        verify(&m).expect("verifies");
        let out = print_module(&m, PrintOptions::default());
        assert_eq!(out.matches("daphne.vectorizedPipeline").count(), 1, "{out}");
        assert!(out.contains("{combines = [3], splits = [1]} : (!daphne.Matrix<4x4xf64>) -> f64"), "{out}");
        assert!(!out.contains("ewExp"), "{out}");
    }
}
