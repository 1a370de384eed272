//! Horizontal fusion (`vectorized` stage, after vectorization): merges independent pipelines of
//! one block that read the same input by rows (scan sharing, e.g. `aggMin(X)` and `aggMax(X)`),
//! so the input is streamed through the cache once. The merged pipeline sits where the later one
//! was; a merge happens only when nothing between the two has side effects or uses the earlier
//! one's results, and the later one does not use them either. The shared input must fix the row
//! count in both (not be a broadcast row vector), so both pipelines cover the same rows.

use crate::pipeline_cleanup::assemble;
use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::vector::{self, Split};
use daphne_ir::{Block, Module, Op, OpKind, Value};
use std::collections::HashSet;

pub struct HorizontalFusionPass;

const NAME: &str = "horizontal_fusion";

impl Pass for HorizontalFusionPass {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, m: &mut Module, _cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let mut changed = false;
        for func in m.funcs() {
            if let Some(entry) = m.op_block(func, 0) {
                changed |= fuse_block(m, entry)?;
            }
        }
        Ok(if changed { Changed::Yes } else { Changed::No })
    }
}

fn fuse_block(m: &mut Module, b: Block) -> Result<bool, PassError> {
    let mut changed = false;
    for op in m.block_ops(b).to_vec() {
        if matches!(m.kind(op), OpKind::If | OpKind::For | OpKind::While) {
            for i in 0..m.op(op).regions.len() {
                if let Some(inner) = m.op_block(op, i) {
                    changed |= fuse_block(m, inner)?;
                }
            }
        }
    }
    while let Some((a, z)) = find_pair(m, b) {
        let all = |p: Op| (p, (0..m.results(p).len()).collect::<Vec<_>>());
        let parts = [all(a), all(z)];
        assemble(m, z, &parts)?;
        changed = true;
    }
    Ok(changed)
}

/// The inputs a pipeline reads by rows that fix its row count.
fn row_inputs(m: &Module, p: Op) -> HashSet<Value> {
    let (Ok(splits), Some(body)) = (vector::splits(m, p), m.op_block(p, 0)) else { return HashSet::new() };
    m.operands(p)
        .iter()
        .zip(splits)
        .zip(m.block_args(body))
        .filter(|((_, s), arg)| *s == Split::Rows && !vector::broadcastable(m, body, **arg))
        .map(|((v, _), _)| *v)
        .collect()
}

/// The first pair of pipelines (earlier, later) of the block that may be merged.
fn find_pair(m: &Module, b: Block) -> Option<(Op, Op)> {
    let ops = m.block_ops(b);
    let pipes: Vec<usize> = (0..ops.len()).filter(|i| m.kind(ops[*i]) == OpKind::VectorizedPipeline).collect();
    for (x, &i) in pipes.iter().enumerate() {
        let shared = row_inputs(m, ops[i]);
        if shared.is_empty() {
            continue;
        }
        let results: HashSet<Value> = m.results(ops[i]).iter().copied().collect();
        for &j in &pipes[x + 1..] {
            if !row_inputs(m, ops[j]).iter().any(|v| shared.contains(v)) {
                continue;
            }
            let between_ok = ops[i + 1..j].iter().all(|&o| {
                m.kind(o).is_pure() && m.op(o).regions.is_empty() && !m.operands(o).iter().any(|v| results.contains(v))
            });
            let independent = !m.operands(ops[j]).iter().any(|v| results.contains(v));
            if between_ok && independent {
                return Some((ops[i], ops[j]));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompileOptions;
    use daphne_ir::{PrintOptions, parse_module, print_module, verify};

    const TWO_SCANS: &str = r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 4 : index} : () -> index
    %2 = "daphne.fill"(%0, %1, %1) : (f64, index, index) -> !daphne.Matrix<4x4xf64>
    %3 = "daphne.vectorizedPipeline"(%2) ({
    ^bb0(%arg0: !daphne.Matrix<?x4xf64>):
      %4 = "daphne.minAll"(%arg0) : (!daphne.Matrix<?x4xf64>) -> f64
      "daphne.return"(%4) : (f64) -> ()
    }) {combines = [4], splits = [1]} : (!daphne.Matrix<4x4xf64>) -> f64
    %5 = "daphne.constant"() {value = true} : () -> i1
    %6 = "daphne.vectorizedPipeline"(%2) ({
    ^bb0(%arg1: !daphne.Matrix<?x4xf64>):
      %7 = "daphne.maxAll"(%arg1) : (!daphne.Matrix<?x4xf64>) -> f64
      "daphne.return"(%7) : (f64) -> ()
    }) {combines = [5], splits = [1]} : (!daphne.Matrix<4x4xf64>) -> f64
    %8 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%3, %5, %8) : (f64, i1, i1) -> ()
    "daphne.print"(%6, %5, %8) : (f64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#;

    fn run(src: &str) -> String {
        let mut m = parse_module(src).expect("test IR parses");
        let opts = CompileOptions::default();
        HorizontalFusionPass.run(&mut m, &mut PassCx::new(&opts)).expect("pass runs");
        verify(&m).expect("verifies");
        print_module(&m, PrintOptions::default())
    }

    #[test]
    fn merges_two_scans_of_one_input() {
        let out = run(TWO_SCANS);
        assert_eq!(out.matches("daphne.vectorizedPipeline").count(), 1, "{out}");
        assert!(out.contains("{combines = [4, 5], splits = [1]}"), "{out}");
    }

    #[test]
    fn a_print_between_blocks_the_merge() {
        let src = TWO_SCANS.replace(
            "    %5 = \"daphne.constant\"() {value = true} : () -> i1\n",
            "    %5 = \"daphne.constant\"() {value = true} : () -> i1\n    \"daphne.print\"(%0, %5, %5) : (f64, i1, i1) -> ()\n",
        );
        let out = run(&src);
        assert_eq!(out.matches("daphne.vectorizedPipeline").count(), 2, "{out}");
    }
}
