//! Which values may stay on the workers: those whose every use reads them where they are. A
//! distributed pipeline reads its inputs there, a row slice fetches only its rows, and a
//! `scf.for` carries a value from one iteration to the next without reading it (its initial
//! operand, the body's argument, the `scf.yield` operand and the loop's result are one value
//! across iterations: each may stay remote if all of them may). Any other use (a kernel, a
//! `print`, a function's return) needs the value on the coordinator.
//!
//! The answer is the largest set closed under that rule (a greatest fixpoint: start from every
//! value, drop those with a use that needs them here, repeat), so loop-carried state whose uses
//! are all distributed stays on the workers across iterations.

use daphne_ir::{Module, Op, OpKind, Value};
use std::collections::{HashMap, HashSet};

/// The values of `m` that may stay on the workers.
pub(crate) fn may_stay_remote(m: &Module) -> HashSet<Value> {
    let mut uses: HashMap<Value, Vec<(Op, usize)>> = HashMap::new();
    m.walk(&mut |op| {
        for (i, v) in m.operands(op).iter().enumerate() {
            uses.entry(*v).or_default().push((op, i));
        }
    });
    let mut ok: HashSet<Value> = uses.keys().copied().collect();
    loop {
        let dropped: Vec<Value> = ok
            .iter()
            .copied()
            .filter(|v| uses.get(v).is_some_and(|us| us.iter().any(|&(op, i)| !reads_remotely(m, op, i, &ok))))
            .collect();
        if dropped.is_empty() {
            return ok;
        }
        for v in dropped {
            ok.remove(&v);
        }
    }
}

/// Whether operand `i` of `op` can be a value held by the workers.
fn reads_remotely(m: &Module, op: Op, i: usize, ok: &HashSet<Value>) -> bool {
    // The loop result and body argument that carry position `k` of a `scf.for`.
    let carried = |for_op: Op, k: usize| {
        let result = m.results(for_op).get(k).copied();
        let arg = m.op_block(for_op, 0).and_then(|b| m.block_args(b).get(k + 1).copied());
        match (result, arg) {
            (Some(r), Some(a)) => (ok.contains(&r) || m.use_count(r) == 0) && (ok.contains(&a) || m.use_count(a) == 0),
            _ => false,
        }
    };
    match m.kind(op) {
        OpKind::DistributedPipeline => true,
        OpKind::SliceRow => i == 0,
        OpKind::For => i >= 3 && carried(op, i - 3),
        OpKind::Yield => m.parent_op(op).is_some_and(|p| m.kind(p) == OpKind::For && carried(p, i)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daphne_ir::parse_module;

    #[test]
    fn loop_carried_values_read_only_by_pipelines_stay() {
        // %1 is carried through the loop and read only by a distributed pipeline after it; %2 is
        // carried too but printed in the body.
        let text = r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1 : index} : () -> index
    %1 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
    %2 = "daphne.fill"(%1, %0, %0) : (f64, index, index) -> !daphne.Matrix<1x1xf64>
    %3 = "daphne.fill"(%1, %0, %0) : (f64, index, index) -> !daphne.Matrix<1x1xf64>
    %4:2 = "scf.for"(%0, %0, %0, %2, %3) ({
    ^bb0(%arg0: index, %arg1: !daphne.Matrix<1x1xf64>, %arg2: !daphne.Matrix<1x1xf64>):
      %5 = "daphne.constant"() {value = true} : () -> i1
      "daphne.print"(%arg2, %5, %5) : (!daphne.Matrix<1x1xf64>, i1, i1) -> ()
      "scf.yield"(%arg1, %arg2) : (!daphne.Matrix<1x1xf64>, !daphne.Matrix<1x1xf64>) -> ()
    }) : (index, index, index, !daphne.Matrix<1x1xf64>, !daphne.Matrix<1x1xf64>) -> (!daphne.Matrix<1x1xf64>, !daphne.Matrix<1x1xf64>)
    %6 = "daphne.distributedPipeline"(%4#0) {combines = [3], ir = "", splits = [1]} : (!daphne.Matrix<1x1xf64>) -> f64
    "daphne.return"() : () -> ()
  }
}
"#;
        let m = parse_module(text).unwrap_or_else(|e| panic!("{e}"));
        let ok = may_stay_remote(&m);
        let func = m.find_func("main").unwrap();
        let entry = m.op_block(func, 0).unwrap();
        let ops = m.block_ops(entry);
        let fill = |k: usize| m.results(ops[k])[0];
        assert!(ok.contains(&fill(2)), "the value carried to the pipeline stays");
        assert!(!ok.contains(&fill(3)), "the printed value comes back");
        let for_op = ops[4];
        assert!(ok.contains(&m.results(for_op)[0]));
        assert!(!ok.contains(&m.results(for_op)[1]));
    }
}
