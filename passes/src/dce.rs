//! Dead-code elimination (`parsing_simplified`, and after canonicalization in
//! `property_inference`): removes pure ops none of whose results is used, to a fixpoint (removing
//! an op can make the ops computing its operands dead), in every block including nested regions.
//!
//! Never removed: ops with side effects (`print`, `write`, `now`, `rand`, calls, ...),
//! terminators, control-flow ops (`scf.if/for/while` are not pure: a loop may not end) and ops
//! whose regions hold an op that is not pure. Loop-carried values are left alone.
//!
//! This also drops an unused computation that would have failed at run time (an unused `sqrt(-1)`
//! no longer stops the script). DAPHNE's canonicalizer does the same for the ops it declares free
//! of effects (the elementwise ops, `numRows`, ...); here it applies to every op the op table
//! marks pure (also `matMul`, `fill`, indexing).
//!
//! After this pass, every result of a pure op is used.

use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::{Module, Op, Value};
use std::collections::HashMap;

pub struct DcePass;

impl Pass for DcePass {
    fn name(&self) -> &'static str {
        "dce"
    }

    fn run(&self, m: &mut Module, _cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let mut changed = false;
        loop {
            let mut ops = Vec::new();
            let mut uses: HashMap<Value, usize> = HashMap::new();
            m.walk(&mut |op| {
                ops.push(op);
                for v in m.operands(op) {
                    *uses.entry(*v).or_default() += 1;
                }
            });
            // Users come after the ops they use in this walk, so going backwards removes a whole
            // dead chain in one sweep; the loop only confirms the fixpoint.
            let mut removed = false;
            for op in ops.into_iter().rev() {
                if m.is_erased(op) || !removable(m, op) {
                    continue;
                }
                if m.results(op).iter().any(|r| uses.get(r).copied().unwrap_or(0) > 0) {
                    continue;
                }
                let mut inside = vec![op];
                for r in &m.op(op).regions {
                    for b in &m.region(*r).blocks {
                        m.walk_block(*b, &mut |o| inside.push(o));
                    }
                }
                for o in inside {
                    for v in m.operands(o) {
                        if let Some(n) = uses.get_mut(v) {
                            *n = n.saturating_sub(1);
                        }
                    }
                }
                m.erase_op(op);
                removed = true;
            }
            if !removed {
                break;
            }
            changed = true;
        }
        Ok(if changed { Changed::Yes } else { Changed::No })
    }
}

/// Pure, not a terminator, and everything in its regions pure.
fn removable(m: &Module, op: Op) -> bool {
    let kind = m.kind(op);
    if !kind.is_pure() || kind.is_terminator() {
        return false;
    }
    let mut all_pure = true;
    for r in &m.op(op).regions {
        for b in &m.region(*r).blocks {
            m.walk_block(*b, &mut |o| all_pure &= m.kind(o).is_pure());
        }
    }
    all_pure
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompileOptions;
    use daphne_ir::{PrintOptions, parse_module, print_module, verify};

    fn run(text: &str) -> (String, Changed) {
        let mut m = parse_module(text).expect("test IR parses");
        let opts = CompileOptions::default();
        let changed = DcePass.run(&mut m, &mut PassCx::new(&opts)).expect("pass runs");
        verify(&m).expect("verifies after the pass");
        (print_module(&m, PrintOptions::default()), changed)
    }

    #[test]
    fn removes_dead_chains_and_keeps_effects() {
        let (out, changed) = run(r#"module {
  func.func @main(%arg0: f64) {
    %0 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
    %1 = "daphne.ewMul"(%arg0, %0) : (f64, f64) -> f64
    %2 = "daphne.ewSqrt"(%1) : (f64) -> f64
    %3 = "daphne.now"() : () -> si64
    %4 = "daphne.constant"() {value = 3 : index} : () -> index
    %5 = "daphne.constant"() {value = 1 : si64} : () -> si64
    %6 = "daphne.randMatrix"(%4, %4, %arg0, %arg0, %arg0, %5) : (index, index, f64, f64, f64, si64) -> !daphne.Matrix<3x3xf64>
    %7 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%arg0, %7, %7) : (f64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#);
        assert_eq!(changed, Changed::Yes);
        assert!(!out.contains("ewSqrt") && !out.contains("ewMul") && !out.contains("2.000000e+00"), "{out}");
        // `now` and `rand` have effects (the clock, the random stream) and stay with their inputs.
        assert!(out.contains("daphne.now") && out.contains("daphne.randMatrix"), "{out}");
        assert!(out.contains("value = 3 : index") && out.contains("value = 1 : si64"), "{out}");
        assert!(out.contains("daphne.print"), "{out}");
    }

    #[test]
    fn cleans_loop_bodies_but_keeps_loops() {
        let (out, _) = run(r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 0 : index} : () -> index
    %1 = "daphne.constant"() {value = 3 : index} : () -> index
    %2 = "daphne.constant"() {value = 1 : index} : () -> index
    %3 = "daphne.constant"() {value = 0 : si64} : () -> si64
    %4 = "scf.for"(%0, %1, %2, %3) ({
    ^bb0(%arg0: index, %arg1: si64):
      %5 = "daphne.cast"(%arg0) : (index) -> si64
      %6 = "daphne.ewAdd"(%arg1, %5) : (si64, si64) -> si64
      %7 = "daphne.ewMul"(%6, %6) : (si64, si64) -> si64
      "scf.yield"(%6) : (si64) -> ()
    }) : (index, index, index, si64) -> si64
    "daphne.return"() : () -> ()
  }
}"#);
        // The unused product goes; the loop, its carried value and what it yields stay.
        assert!(!out.contains("ewMul"), "{out}");
        assert!(out.contains("scf.for") && out.contains("daphne.ewAdd") && out.contains("daphne.cast"), "{out}");
    }

    #[test]
    fn removes_unused_pipelines_with_pure_bodies() {
        let (out, _) = run(r#"module {
  func.func @main(%arg0: !daphne.Matrix<4x4xf64>) {
    %0 = "daphne.vectorizedPipeline"(%arg0) ({
    ^bb0(%arg1: !daphne.Matrix<?x4xf64>):
      %1 = "daphne.sumAll"(%arg1) : (!daphne.Matrix<?x4xf64>) -> f64
      "daphne.return"(%1) : (f64) -> ()
    }) {combines = [3], splits = [1]} : (!daphne.Matrix<4x4xf64>) -> f64
    %2 = "daphne.vectorizedPipeline"(%arg0) ({
    ^bb0(%arg2: !daphne.Matrix<?x4xf64>):
      %3 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
      %4 = "daphne.ewAdd"(%arg2, %3) : (!daphne.Matrix<?x4xf64>, f64) -> !daphne.Matrix<?x4xf64>
      %5 = "daphne.sumAll"(%arg2) : (!daphne.Matrix<?x4xf64>) -> f64
      "daphne.return"(%5) : (f64) -> ()
    }) {combines = [3], splits = [1]} : (!daphne.Matrix<4x4xf64>) -> f64
    %6 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%2, %6, %6) : (f64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#);
        // The unused pipeline goes as a whole; the used one loses its dead addition (and the
        // constant only it read) but keeps its terminator.
        assert_eq!(out.matches("daphne.vectorizedPipeline").count(), 1, "{out}");
        assert!(!out.contains("daphne.ewAdd") && !out.contains("1.000000e+00"), "{out}");
        assert!(out.contains(r#""daphne.return"(%1) : (f64) -> ()"#), "{out}");
    }

    #[test]
    fn nothing_to_do_is_no_change() {
        let (_, changed) = run(r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%0, %0, %0) : (i1, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#);
        assert_eq!(changed, Changed::No);
    }
}
