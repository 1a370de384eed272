//! Horizontal fusion (`vectorized` stage, after vectorization): merges independent pipelines of
//! one block that read the same input by rows (scan sharing, e.g. `aggMin(X)` and `aggMax(X)`),
//! so the input is streamed through the cache once. A merge happens only when nothing between the
//! two has side effects and the later one does not use the earlier one's results. The merged
//! pipeline sits where the later one was when nothing between uses the earlier one's results, or
//! else where the earlier one was when the later one reads nothing computed between them. The shared input must fix the row
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
        crate::rewrite_blocks(m, &mut fuse_block)
    }
}

fn fuse_block(m: &mut Module, b: Block) -> Result<bool, PassError> {
    let mut changed = false;
    while let Some((a, z, anchor)) = find_pair(m, b) {
        let all = |p: Op| (p, (0..m.results(p).len()).collect::<Vec<_>>());
        let parts = [all(a), all(z)];
        assemble(m, anchor, &parts)?;
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

/// The first pair of pipelines (earlier, later) of the block that may be merged, and where the
/// merged pipeline goes: where the later one was, or, when ops between use the earlier one's
/// results, where the earlier one was (if everything the later one reads exists by then).
fn find_pair(m: &Module, b: Block) -> Option<(Op, Op, Op)> {
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
            let between = &ops[i + 1..j];
            let pure = between.iter().all(|&o| {
                m.kind(o).is_pure() && (m.op(o).regions.is_empty() || m.kind(o) == OpKind::VectorizedPipeline)
            });
            let independent = !m.operands(ops[j]).iter().any(|v| results.contains(v));
            if !pure || !independent {
                continue;
            }
            if !between.iter().any(|&o| m.operands(o).iter().any(|v| results.contains(v))) {
                return Some((ops[i], ops[j], ops[j]));
            }
            let defined_between: HashSet<Value> = between.iter().flat_map(|o| m.results(*o).iter().copied()).collect();
            if !m.operands(ops[j]).iter().any(|v| defined_between.contains(v)) {
                return Some((ops[i], ops[j], ops[i]));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
        crate::testing::run_pass(&HorizontalFusionPass, src)
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

    #[test]
    fn merges_at_the_earlier_place_when_ops_between_use_it() {
        // `%9` (between the scans) reads the first scan's result: the merged pipeline must come
        // before it, which works because the second scan reads only X.
        let src = TWO_SCANS.replace(
            "    %5 = \"daphne.constant\"() {value = true} : () -> i1\n",
            "    %5 = \"daphne.constant\"() {value = true} : () -> i1\n    %9 = \"daphne.ewAdd\"(%3, %0) : (f64, f64) -> f64\n",
        );
        let out = run(&src);
        assert_eq!(out.matches("daphne.vectorizedPipeline").count(), 1, "{out}");
        let pipe = out.find("daphne.vectorizedPipeline").unwrap_or(0);
        let add = out.find("daphne.ewAdd").unwrap_or(0);
        assert!(pipe < add, "{out}");
    }
}
