//! Common-subexpression elimination (`parsing_simplified`, and after canonicalization in
//! `property_inference`): a pure op without regions that repeats an earlier one (same kind,
//! operands, attributes and result types) is removed and its results replaced by the earlier op's.
//! "Earlier" means dominating in structured control flow: before it in the same block, or before
//! the op holding its region in an enclosing block. Function bodies and pipeline bodies are
//! isolated (nothing from outside is reused in them).
//!
//! Ops with side effects (`now`, `rand`, `read`, `print`, calls, ...) are never merged. No work
//! moves across a `now()` (scripts time themselves with it): an op after a `now()`, a call or an
//! op whose regions hold one of those reuses only constants from before it, and inside a region
//! that holds one, only constants from outside are reused.
//!
//! After this pass, no two such ops compute the same value where one dominates the other.

use crate::canonicalize::substitute;
use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::{Block, Module, Op, OpKind, Value};
use std::collections::HashMap;
use std::fmt::Write;

pub struct CsePass;

impl Pass for CsePass {
    fn name(&self) -> &'static str {
        "cse"
    }

    fn run(&self, m: &mut Module, _cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let mut changed = false;
        for func in m.funcs() {
            for b in region_blocks(m, func) {
                changed |= cse_block(m, b, &mut Scope::default(), &mut HashMap::new());
            }
        }
        Ok(if changed { Changed::Yes } else { Changed::No })
    }
}

/// An op available for reuse.
struct Entry {
    results: Vec<Value>,
    /// The `now()` epoch it was computed in.
    epoch: u64,
    constant: bool,
}

/// The ops available at a point: one frame per enclosing block, innermost last.
#[derive(Default)]
struct Scope {
    frames: Vec<HashMap<String, Entry>>,
    /// Bumped at every barrier (`now()`, calls): only constants are reused across it.
    epoch: u64,
}

impl Scope {
    /// The results of an equal op computed before, if they may be reused here. The innermost
    /// entry is the latest; if it is stale, older ones are too.
    fn lookup(&self, key: &str) -> Option<&[Value]> {
        let e = self.frames.iter().rev().find_map(|f| f.get(key))?;
        (e.constant || e.epoch == self.epoch).then_some(&e.results[..])
    }

    fn insert(&mut self, key: String, results: Vec<Value>, constant: bool) {
        let epoch = self.epoch;
        if let Some(frame) = self.frames.last_mut() {
            frame.insert(key, Entry { results, epoch, constant });
        }
    }
}

fn region_blocks(m: &Module, op: Op) -> Vec<Block> {
    m.op(op).regions.iter().flat_map(|r| m.region(*r).blocks.clone()).collect()
}

/// Ops whose bodies see nothing from outside.
fn isolated(kind: OpKind) -> bool {
    matches!(kind, OpKind::Func | OpKind::VectorizedPipeline)
}

/// Whether no computation may move across this op: `now()`, calls (the callee may read the
/// clock), and ops whose regions hold such an op.
fn is_barrier(m: &Module, op: Op) -> bool {
    let direct = |o: Op| matches!(m.kind(o), OpKind::Now | OpKind::GenericCall | OpKind::Map);
    if direct(op) {
        return true;
    }
    let mut found = false;
    for b in region_blocks(m, op) {
        m.walk_block(b, &mut |o| found |= direct(o));
    }
    found
}

/// What makes two ops equal: kind, operands, attributes and result types.
fn key(m: &Module, op: Op) -> String {
    let data = m.op(op);
    let mut k = String::from(data.kind.name());
    for v in &data.operands {
        let _ = write!(k, " %{}", v.index());
    }
    for (name, attr) in &data.attrs {
        let _ = write!(k, " {name}={attr}");
    }
    for r in &data.results {
        let _ = write!(k, " : {}", m.value_type(*r));
    }
    k
}

fn cse_block(m: &mut Module, b: Block, scope: &mut Scope, subst: &mut HashMap<Value, Value>) -> bool {
    let mut changed = false;
    scope.frames.push(HashMap::new());
    for op in m.block_ops(b).to_vec() {
        substitute(m, op, subst);
        let kind = m.kind(op);
        let barrier = is_barrier(m, op);
        if !m.op(op).regions.is_empty() {
            if barrier {
                scope.epoch += 1;
            }
            for nb in region_blocks(m, op) {
                if isolated(kind) {
                    changed |= cse_block(m, nb, &mut Scope::default(), subst);
                } else {
                    changed |= cse_block(m, nb, scope, subst);
                }
            }
            if barrier {
                scope.epoch += 1;
            }
            continue;
        }
        if barrier {
            scope.epoch += 1;
            continue;
        }
        if !kind.is_pure() || kind.is_terminator() || m.results(op).is_empty() {
            continue;
        }
        let k = key(m, op);
        match scope.lookup(&k) {
            Some(earlier) => {
                for (r, e) in m.results(op).iter().zip(earlier) {
                    subst.insert(*r, *e);
                }
                m.erase_op(op);
                changed = true;
            }
            None => {
                let results = m.results(op).to_vec();
                scope.insert(k, results, kind == OpKind::Constant);
            }
        }
    }
    scope.frames.pop();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompileOptions;
    use daphne_ir::{PrintOptions, parse_module, print_module, verify};

    fn run(text: &str) -> String {
        let mut m = parse_module(text).expect("test IR parses");
        let opts = CompileOptions::default();
        CsePass.run(&mut m, &mut PassCx::new(&opts)).expect("pass runs");
        verify(&m).expect("verifies after the pass");
        print_module(&m, PrintOptions::default())
    }

    fn count(out: &str, needle: &str) -> usize {
        out.matches(needle).count()
    }

    #[test]
    fn merges_equal_pure_ops_and_constants() {
        let out = run(r#"module {
  func.func @main(%arg0: !daphne.Matrix<2x2xf64>) {
    %0 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
    %2 = "daphne.constant"() {value = 2 : si64} : () -> si64
    %3 = "daphne.ewMul"(%arg0, %0) : (!daphne.Matrix<2x2xf64>, f64) -> !daphne.Matrix<2x2xf64>
    %4 = "daphne.ewMul"(%arg0, %1) : (!daphne.Matrix<2x2xf64>, f64) -> !daphne.Matrix<2x2xf64>
    %5 = "daphne.ewMul"(%4, %2) : (!daphne.Matrix<2x2xf64>, si64) -> !daphne.Matrix<2x2xf64>
    %6 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%3, %6, %6) : (!daphne.Matrix<2x2xf64>, i1, i1) -> ()
    "daphne.print"(%5, %6, %6) : (!daphne.Matrix<2x2xf64>, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#);
        // The two f64 constants merge (the si64 one with the same number does not), so do the
        // two products; the print of the second product reads the first.
        assert_eq!(count(&out, "2.000000e+00 : f64"), 1, "{out}");
        assert_eq!(count(&out, "value = 2 : si64"), 1, "{out}");
        assert_eq!(count(&out, "daphne.ewMul"), 2, "{out}");
        assert!(out.contains(r#"%3 = "daphne.ewMul"(%2, %1)"#), "{out}");
    }

    #[test]
    fn impure_ops_and_different_attributes_or_types_stay() {
        let out = run(r#"module {
  func.func @main() {
    %0 = "daphne.now"() : () -> si64
    %1 = "daphne.now"() : () -> si64
    %2 = "daphne.constant"() {value = 2 : index} : () -> index
    %3 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %4 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %5 = "daphne.constant"() {value = 1 : si64} : () -> si64
    %6 = "daphne.randMatrix"(%2, %2, %3, %4, %4, %5) : (index, index, f64, f64, f64, si64) -> !daphne.Matrix<2x2xf64>
    %7 = "daphne.randMatrix"(%2, %2, %3, %4, %4, %5) : (index, index, f64, f64, f64, si64) -> !daphne.Matrix<2x2xf64>
    %8 = "daphne.cast"(%0) : (si64) -> f64
    %9 = "daphne.cast"(%0) : (si64) -> f32
    "daphne.return"() : () -> ()
  }
}"#);
        assert_eq!(count(&out, "daphne.now"), 2, "{out}");
        assert_eq!(count(&out, "daphne.randMatrix"), 2, "{out}");
        assert_eq!(count(&out, "daphne.cast"), 2, "{out}");
        assert_eq!(count(&out, "1.000000e+00 : f64"), 1, "{out}");
    }

    #[test]
    fn reuses_values_from_enclosing_blocks_but_not_from_sibling_regions() {
        let out = run(r#"module {
  func.func @main(%arg0: f64, %arg1: i1) {
    %0 = "daphne.ewSqrt"(%arg0) : (f64) -> f64
    %1 = "scf.if"(%arg1) ({
      %2 = "daphne.ewSqrt"(%arg0) : (f64) -> f64
      %3 = "daphne.ewExp"(%arg0) : (f64) -> f64
      %4 = "daphne.ewAdd"(%2, %3) : (f64, f64) -> f64
      "scf.yield"(%4) : (f64) -> ()
    }, {
      %5 = "daphne.ewExp"(%arg0) : (f64) -> f64
      "scf.yield"(%5) : (f64) -> ()
    }) : (i1) -> f64
    %6 = "daphne.ewExp"(%arg0) : (f64) -> f64
    %7 = "daphne.ewAdd"(%1, %6) : (f64, f64) -> f64
    "daphne.return"() : () -> ()
  }
}"#);
        // The sqrt in the then-branch reuses the one before the `if`; the exps of the branches
        // and the one after the `if` are all kept (none dominates another).
        assert_eq!(count(&out, "daphne.ewSqrt"), 1, "{out}");
        assert_eq!(count(&out, "daphne.ewExp"), 3, "{out}");
        assert!(out.contains(r#""daphne.ewAdd"(%0, %2)"#), "{out}");
    }

    #[test]
    fn pipeline_and_function_bodies_are_isolated() {
        let out = run(r#"module {
  func.func @main(%arg0: !daphne.Matrix<4x4xf64>) {
    %0 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
    %1 = "daphne.ewMul"(%arg0, %0) : (!daphne.Matrix<4x4xf64>, f64) -> !daphne.Matrix<4x4xf64>
    %2 = "daphne.vectorizedPipeline"(%arg0) ({
    ^bb0(%arg1: !daphne.Matrix<?x4xf64>):
      %3 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
      %4 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
      %5 = "daphne.ewMul"(%arg1, %3) : (!daphne.Matrix<?x4xf64>, f64) -> !daphne.Matrix<?x4xf64>
      %6 = "daphne.ewMul"(%arg1, %4) : (!daphne.Matrix<?x4xf64>, f64) -> !daphne.Matrix<?x4xf64>
      %7 = "daphne.ewAdd"(%5, %6) : (!daphne.Matrix<?x4xf64>, !daphne.Matrix<?x4xf64>) -> !daphne.Matrix<?x4xf64>
      %8 = "daphne.sumAll"(%7) : (!daphne.Matrix<?x4xf64>) -> f64
      "daphne.return"(%8) : (f64) -> ()
    }) {combines = [3], splits = [1]} : (!daphne.Matrix<4x4xf64>) -> f64
    %9 = "daphne.vectorizedPipeline"(%arg0) ({
    ^bb0(%arg2: !daphne.Matrix<?x4xf64>):
      %10 = "daphne.sumAll"(%arg2) : (!daphne.Matrix<?x4xf64>) -> f64
      "daphne.return"(%10) : (f64) -> ()
    }) {combines = [3], splits = [1]} : (!daphne.Matrix<4x4xf64>) -> f64
    %11 = "daphne.vectorizedPipeline"(%arg0) ({
    ^bb0(%arg3: !daphne.Matrix<?x4xf64>):
      %12 = "daphne.sumAll"(%arg3) : (!daphne.Matrix<?x4xf64>) -> f64
      "daphne.return"(%12) : (f64) -> ()
    }) {combines = [3], splits = [1]} : (!daphne.Matrix<4x4xf64>) -> f64
    %13 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%1, %13, %13) : (!daphne.Matrix<4x4xf64>, i1, i1) -> ()
    "daphne.print"(%2, %13, %13) : (f64, i1, i1) -> ()
    "daphne.print"(%9, %13, %13) : (f64, i1, i1) -> ()
    "daphne.print"(%11, %13, %13) : (f64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
  func.func @f() -> f64 {
    %14 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
    "daphne.return"(%14) : (f64) -> ()
  }
}"#);
        // Inside the first body, the equal constants and products merge among themselves, but
        // the body keeps its own constant (the verifier rejects values from outside a pipeline)
        // and so does the other function. Ops with regions are never merged: both scans stay.
        assert_eq!(count(&out, "2.000000e+00 : f64"), 3, "{out}");
        assert_eq!(count(&out, "daphne.ewMul"), 2, "{out}");
        assert!(out.contains(r#""daphne.ewAdd"(%4, %4)"#), "{out}");
        assert_eq!(count(&out, "daphne.vectorizedPipeline"), 3, "{out}");
    }

    #[test]
    fn nothing_but_constants_is_reused_across_now() {
        let out = run(r#"module {
  func.func @main(%arg0: !daphne.Matrix<2x2xf64>) {
    %0 = "daphne.constant"() {value = false} : () -> i1
    %1 = "daphne.transpose"(%arg0) : (!daphne.Matrix<2x2xf64>) -> !daphne.Matrix<2x2xf64>
    %2 = "daphne.now"() : () -> si64
    %3 = "daphne.constant"() {value = false} : () -> i1
    %4 = "daphne.transpose"(%arg0) : (!daphne.Matrix<2x2xf64>) -> !daphne.Matrix<2x2xf64>
    %5 = "daphne.transpose"(%arg0) : (!daphne.Matrix<2x2xf64>) -> !daphne.Matrix<2x2xf64>
    "daphne.print"(%1, %0, %3) : (!daphne.Matrix<2x2xf64>, i1, i1) -> ()
    "daphne.print"(%4, %0, %3) : (!daphne.Matrix<2x2xf64>, i1, i1) -> ()
    "daphne.print"(%5, %0, %3) : (!daphne.Matrix<2x2xf64>, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#);
        // One transpose before and one after the clock read; the constant after it merges.
        assert_eq!(count(&out, "daphne.transpose"), 2, "{out}");
        assert_eq!(count(&out, "value = false"), 1, "{out}");
        assert!(out.contains(r#""daphne.print"(%3, %0, %0)"#), "{out}");
    }

    #[test]
    fn a_loop_that_reads_the_clock_reuses_only_constants() {
        let out = run(r#"module {
  func.func @main(%arg0: !daphne.Matrix<2x2xf64>) {
    %0 = "daphne.constant"() {value = 0 : index} : () -> index
    %1 = "daphne.constant"() {value = 2 : index} : () -> index
    %2 = "daphne.constant"() {value = 1 : index} : () -> index
    %3 = "daphne.transpose"(%arg0) : (!daphne.Matrix<2x2xf64>) -> !daphne.Matrix<2x2xf64>
    "scf.for"(%0, %1, %2) ({
    ^bb0(%arg1: index):
      %4 = "daphne.constant"() {value = 2 : index} : () -> index
      %5 = "daphne.transpose"(%arg0) : (!daphne.Matrix<2x2xf64>) -> !daphne.Matrix<2x2xf64>
      %6 = "daphne.now"() : () -> si64
      %7 = "daphne.numRows"(%5) : (!daphne.Matrix<2x2xf64>) -> index
      "scf.yield"() : () -> ()
    }) : (index, index, index) -> ()
    "daphne.return"() : () -> ()
  }
}"#);
        assert_eq!(count(&out, "daphne.transpose"), 2, "{out}");
        assert_eq!(count(&out, "value = 2 : index"), 1, "{out}");
    }
}
