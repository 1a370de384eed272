//! When the values of a block die, so the executor drops each one right after the op that reads it
//! last: a matrix's buffer is then freed (and recycled, see `memory`) while the script runs instead
//! of when its function returns. `sum((X * 2 + 1) ^ 2 / (X + 3))` keeps two temporaries alive at
//! a time instead of five.

use daphne_ir::{Block, Module, Op, Value};
use std::collections::{HashMap, HashSet};

/// For each op of a block (by position), the values to drop once it has run: values of the block
/// (its arguments and the results of its ops) whose last use is that op, results nobody uses, and
/// the values defined inside the op's own regions (nothing outside them can refer to those); all
/// but those known to be scalars. The terminator's entry is always empty: the block's caller
/// reads its operands.
pub(crate) fn deaths(m: &Module, b: Block) -> Vec<Vec<Value>> {
    let ops = m.block_ops(b);
    let mut defined: HashSet<Value> = m.block_args(b).iter().copied().collect();
    for &op in ops {
        defined.extend(m.results(op).iter().copied());
    }
    let mut last: HashMap<Value, usize> = HashMap::new();
    let mut nested_defs: Vec<Vec<Value>> = vec![Vec::new(); ops.len()];
    for (i, &op) in ops.iter().enumerate() {
        for &r in m.results(op) {
            last.entry(r).or_insert(i);
        }
        let mut note_use = |v: &Value| {
            if defined.contains(v) {
                last.insert(*v, i);
            }
        };
        m.operands(op).iter().for_each(&mut note_use);
        for_each_nested(m, op, &mut |inner| {
            m.operands(inner).iter().for_each(&mut note_use);
        });
        let mut inner_defs = Vec::new();
        for_each_nested_block(m, op, &mut |nb| inner_defs.extend(m.block_args(nb).iter().copied()));
        for_each_nested(m, op, &mut |inner| inner_defs.extend(m.results(inner).iter().copied()));
        nested_defs[i] = inner_defs;
    }
    let mut after: Vec<Vec<Value>> = nested_defs;
    for (v, i) in last {
        after[i].push(v);
    }
    // Scalars cost nothing to keep; dropping them would only slow down scalar loops.
    for entry in &mut after {
        entry.retain(|v| !m.value_type(*v).is_scalar());
    }
    if let Some((&t, entry)) = ops.last().zip(after.last_mut())
        && m.kind(t).is_terminator()
    {
        entry.clear();
    }
    // A stable order keeps runs reproducible (drops may free remote objects on workers).
    for entry in &mut after {
        entry.sort();
    }
    after
}

/// Every op nested in `op`'s regions (pre-order).
fn for_each_nested(m: &Module, op: Op, f: &mut impl FnMut(Op)) {
    for_each_nested_block(m, op, &mut |nb| {
        for &inner in m.block_ops(nb) {
            f(inner);
        }
    });
}

/// Every block nested in `op`'s regions, at any depth.
fn for_each_nested_block(m: &Module, op: Op, f: &mut impl FnMut(Block)) {
    let mut stack: Vec<Op> = vec![op];
    while let Some(o) = stack.pop() {
        for &r in &m.op(o).regions {
            for &nb in &m.region(r).blocks {
                f(nb);
                stack.extend(m.block_ops(nb).iter().copied());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daphne_ir::parse_module;

    #[test]
    fn values_die_after_their_last_use_and_loop_bodies_after_the_loop() {
        // %2 is read by %3 and by the loop body: it lives until the loop has run. %3 is read
        // only by %4. The loop body's values die with the loop; the returned %6 never dies here.
        let text = r#"module {
  func.func @main() -> f64 {
    %0 = "daphne.constant"() {value = 1 : index} : () -> index
    %1 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
    %2 = "daphne.fill"(%1, %0, %0) : (f64, index, index) -> !daphne.Matrix<1x1xf64>
    %3 = "daphne.ewAdd"(%2, %1) : (!daphne.Matrix<1x1xf64>, f64) -> !daphne.Matrix<1x1xf64>
    %4 = "daphne.ewMul"(%3, %1) : (!daphne.Matrix<1x1xf64>, f64) -> !daphne.Matrix<1x1xf64>
    %5 = "scf.for"(%0, %0, %0, %4) ({
    ^bb0(%arg0: index, %arg1: !daphne.Matrix<1x1xf64>):
      %7 = "daphne.ewAdd"(%arg1, %2) : (!daphne.Matrix<1x1xf64>, !daphne.Matrix<1x1xf64>) -> !daphne.Matrix<1x1xf64>
      "scf.yield"(%7) : (!daphne.Matrix<1x1xf64>) -> ()
    }) : (index, index, index, !daphne.Matrix<1x1xf64>) -> !daphne.Matrix<1x1xf64>
    %6 = "daphne.sumAll"(%5) : (!daphne.Matrix<1x1xf64>) -> f64
    "daphne.return"(%6) : (f64) -> ()
  }
}
"#;
        let m = parse_module(text).unwrap_or_else(|e| panic!("{e}"));
        let func = m.find_func("main").expect("main");
        let entry = m.op_block(func, 0).expect("entry block");
        let ops = m.block_ops(entry).to_vec();
        let d = deaths(&m, entry);
        let res = |k: usize| m.results(ops[k])[0];
        let body = m.op_block(ops[5], 0).expect("loop body");
        let (arg0, arg1) = (m.block_args(body)[0], m.block_args(body)[1]);
        let in_body = m.results(m.block_ops(body)[0])[0];
        let sorted = |mut v: Vec<Value>| {
            v.sort();
            v
        };
        assert!(d[..4].iter().all(Vec::is_empty), "nothing dies before the multiplication: {d:?}");
        assert_eq!(d[4], vec![res(3)], "%3 dies after its only reader (scalars are kept)");
        assert_eq!(
            d[5],
            sorted(vec![res(2), res(4), arg1, in_body]),
            "the loop's operands (%2 is read in its body) and its body's values die with the loop"
        );
        assert!(!d.iter().flatten().any(|v| [res(0), res(1), arg0].contains(v)), "scalars are never dropped");
        assert_eq!(d[6], vec![res(5)], "the loop result dies after the sum");
        assert!(d[7].is_empty(), "the terminator's operands belong to the caller");
    }
}
