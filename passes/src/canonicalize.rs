//! Canonicalization (`parsing_simplified`, and again after property inference): constant folding
//! and a few algebraic identities on scalars.
//!
//! * Folding: a pure op without regions whose operands are all `daphne.constant` and whose result
//!   is a scalar of known type is replaced by a `daphne.constant` of that type and the op's
//!   location. The value comes from the [`ConstantFolder`] in the pass context (the runtime's own
//!   kernels), never from arithmetic here, so it is exactly what execution would compute; what the
//!   folder declines (a kernel that would fail, such as integer division by zero, or an op kind it
//!   does not evaluate) stays as it is, and the run-time error keeps its location. Ops with side
//!   effects (`now`, `rand`, `print`, `read`, calls, ...) are never folded.
//! * Identities, on scalars of one known type only: `-(-x)` is `x` (numeric types), and a cast to
//!   the type the value already has is the value.
//!
//! After this pass, no foldable op has only constant operands, and uses of replaced results refer
//! to the constant or the forwarded value. The operands a rewrite leaves unused stay (dead-code
//! elimination removes them).

use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::fold::ConstantFolder;
use daphne_ir::{Attr, Attrs, Block, Const, Module, Op, OpKind, Type, Value};
use std::collections::HashMap;

pub struct CanonicalizePass;

const NAME: &str = "canonicalize";

impl Pass for CanonicalizePass {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, m: &mut Module, cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let mut changed = false;
        for func in m.funcs() {
            let Some(entry) = m.op_block(func, 0) else {
                return Err(PassError {
                    pass: NAME,
                    loc: m.op(func).loc.clone(),
                    message: "function without a body".into(),
                    user_error: false,
                });
            };
            // Rewritten results, substituted into the operands of later ops (every use of a value
            // comes after its definition in this walk, so one walk reaches every use).
            let mut subst = HashMap::new();
            changed |= canonicalize_block(m, entry, cx.folder, &mut subst);
        }
        Ok(if changed { Changed::Yes } else { Changed::No })
    }
}

/// The constant a value holds, if it is defined by `daphne.constant`.
pub(crate) fn constant_of(m: &Module, v: Value) -> Option<&Const> {
    let op = m.defining_op(v).filter(|op| m.kind(*op) == OpKind::Constant)?;
    m.attr(op, "value").and_then(Attr::as_const)
}

/// Replaces operands of `op` that were rewritten earlier.
pub(crate) fn substitute(m: &mut Module, op: Op, subst: &HashMap<Value, Value>) {
    if subst.is_empty() {
        return;
    }
    for operand in &mut m.op_mut(op).operands {
        if let Some(to) = subst.get(operand) {
            *operand = *to;
        }
    }
}

fn canonicalize_block(
    m: &mut Module,
    b: Block,
    folder: Option<&dyn ConstantFolder>,
    subst: &mut HashMap<Value, Value>,
) -> bool {
    let mut changed = false;
    for op in m.block_ops(b).to_vec() {
        substitute(m, op, subst);
        for r in m.op(op).regions.clone() {
            for nb in m.region(r).blocks.clone() {
                changed |= canonicalize_block(m, nb, folder, subst);
            }
        }
        let Some(rewrite) = simplify(m, op, folder) else { continue };
        let result = m.result(op, 0);
        let to = match rewrite {
            Rewrite::Constant(c) => {
                let ty = m.value_type(result).clone();
                let mut attrs = Attrs::new();
                attrs.insert("value".into(), Attr::Const(c));
                let loc = m.op(op).loc.clone();
                let new = m.create_op(OpKind::Constant, vec![], vec![ty], attrs, vec![], loc);
                m.insert_before(op, new);
                m.result(new, 0)
            }
            Rewrite::Forward(v) => v,
        };
        subst.insert(result, to);
        m.erase_op(op);
        changed = true;
    }
    changed
}

enum Rewrite {
    /// The op's result is this constant.
    Constant(Const),
    /// The op's result is this (already existing) value.
    Forward(Value),
}

/// Whether the op's single result can be replaced, and by what.
fn simplify(m: &Module, op: Op, folder: Option<&dyn ConstantFolder>) -> Option<Rewrite> {
    let kind = m.kind(op);
    let data = m.op(op);
    if !kind.is_pure() || kind.is_terminator() || kind == OpKind::Constant || !data.regions.is_empty() {
        return None;
    }
    let [result] = data.results[..] else { return None };
    let ty = m.value_type(result);
    let Type::Scalar(vt) = ty else { return None };
    if let Some(folder) = folder {
        let consts: Option<Vec<Const>> = data.operands.iter().map(|v| constant_of(m, *v).cloned()).collect();
        if let Some(c) = consts.and_then(|cs| folder.fold(kind, &cs, ty)) {
            // The folder promises the result type; a constant of another type would not verify.
            return (c.ty() == *ty).then_some(Rewrite::Constant(c));
        }
    }
    let [x] = data.operands[..] else { return None };
    match kind {
        // A cast to the type the value already has changes nothing (`convert_scalar` is the
        // identity then).
        OpKind::Cast if m.value_type(x) == ty => Some(Rewrite::Forward(x)),
        // `-(-y)`: negation is its own inverse on every numeric type (wrapping for integers,
        // exact for floats, the identity for bool).
        OpKind::EwMinus if vt.is_numeric() => {
            let inner = m.defining_op(x).filter(|d| m.kind(*d) == OpKind::EwMinus)?;
            let [y] = m.operands(inner)[..] else { return None };
            (m.value_type(y) == ty && m.value_type(x) == ty).then_some(Rewrite::Forward(y))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompileOptions;
    use daphne_ir::{PrintOptions, parse_module, print_module, verify};

    /// A folder for tests that adds and divides si64 constants (declining division by zero) and
    /// casts si64 to index: enough to see what the pass does with the folder's answers.
    struct TestFolder;

    impl ConstantFolder for TestFolder {
        fn fold(&self, kind: OpKind, operands: &[Const], result_type: &Type) -> Option<Const> {
            let si64 = *result_type == Type::SI64;
            match (kind, operands) {
                (OpKind::EwAdd, [Const::SI64(a), Const::SI64(b)]) if si64 => Some(Const::SI64(a.wrapping_add(*b))),
                (OpKind::EwDiv, [Const::SI64(_), Const::SI64(0)]) => None,
                (OpKind::EwDiv, [Const::SI64(a), Const::SI64(b)]) if si64 => Some(Const::SI64(a / b)),
                (OpKind::Cast, [Const::SI64(a)]) if *result_type == Type::INDEX => Some(Const::Index(*a)),
                _ => None,
            }
        }
    }

    fn run(text: &str, folder: Option<&dyn ConstantFolder>) -> (String, Changed) {
        let mut m = parse_module(text).expect("test IR parses");
        let opts = CompileOptions::default();
        let mut cx = PassCx { options: &opts, folder };
        let changed = CanonicalizePass.run(&mut m, &mut cx).expect("pass runs");
        verify(&m).expect("verifies after the pass");
        (print_module(&m, PrintOptions { locations: true }), changed)
    }

    const CHAIN: &str = r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 2 : si64} : () -> si64 loc("a.daph":1:1)
    %1 = "daphne.constant"() {value = 3 : si64} : () -> si64 loc("a.daph":1:5)
    %2 = "daphne.ewAdd"(%0, %1) : (si64, si64) -> si64 loc("a.daph":2:3)
    %3 = "daphne.ewDiv"(%2, %1) : (si64, si64) -> si64 loc("a.daph":3:7)
    %4 = "daphne.cast"(%3) : (si64) -> index loc("a.daph":4:1)
    %5 = "daphne.constant"() {value = true} : () -> i1 loc("a.daph":5:1)
    %6 = "daphne.constant"() {value = false} : () -> i1 loc("a.daph":5:1)
    "daphne.print"(%4, %5, %6) : (index, i1, i1) -> () loc("a.daph":5:1)
    "daphne.return"() : () -> () loc("a.daph":6:1)
  }
}"#;

    #[test]
    fn folds_chains_keeping_locations() {
        let (out, changed) = run(CHAIN, Some(&TestFolder));
        assert_eq!(changed, Changed::Yes);
        // (2 + 3) / 3 = 1, cast to index; each constant has the location of the op it replaces.
        assert!(out.contains(r#"%2 = "daphne.constant"() {value = 5 : si64} : () -> si64 loc("a.daph":2:3)"#), "{out}");
        assert!(out.contains(r#"%3 = "daphne.constant"() {value = 1 : si64} : () -> si64 loc("a.daph":3:7)"#), "{out}");
        assert!(
            out.contains(r#"%4 = "daphne.constant"() {value = 1 : index} : () -> index loc("a.daph":4:1)"#),
            "{out}"
        );
        assert!(out.contains(r#""daphne.print"(%4, %5, %6)"#), "{out}");
        assert!(!out.contains("ewAdd") && !out.contains("ewDiv") && !out.contains("cast"), "{out}");
    }

    #[test]
    fn nothing_folds_without_a_folder() {
        let (out, changed) = run(CHAIN, None);
        assert_eq!(changed, Changed::No);
        assert!(out.contains("daphne.ewAdd") && out.contains("daphne.cast"), "{out}");
    }

    #[test]
    fn declined_folds_stay() {
        let (out, _) = run(
            r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1 : si64} : () -> si64
    %1 = "daphne.constant"() {value = 0 : si64} : () -> si64
    %2 = "daphne.ewDiv"(%0, %1) : (si64, si64) -> si64 loc("a.daph":3:9)
    %3 = "daphne.now"() : () -> si64
    %4 = "daphne.ewAdd"(%3, %0) : (si64, si64) -> si64
    %5 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%2, %5, %5) : (si64, i1, i1) -> ()
    "daphne.print"(%4, %5, %5) : (si64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#,
            Some(&TestFolder),
        );
        assert!(out.contains(r#""daphne.ewDiv"(%0, %1) : (si64, si64) -> si64 loc("a.daph":3:9)"#), "{out}");
        assert!(out.contains(r#""daphne.ewAdd"(%3, %0)"#), "{out}");
        assert!(out.contains(r#""daphne.now"()"#), "{out}");
    }

    #[test]
    fn folds_inside_loop_bodies_only_with_constant_operands() {
        let (out, _) = run(
            r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 0 : index} : () -> index
    %1 = "daphne.constant"() {value = 3 : index} : () -> index
    %2 = "daphne.constant"() {value = 1 : index} : () -> index
    %3 = "daphne.constant"() {value = 4 : si64} : () -> si64
    %4 = "scf.for"(%0, %1, %2, %3) ({
    ^bb0(%arg0: index, %arg1: si64):
      %5 = "daphne.ewAdd"(%3, %3) : (si64, si64) -> si64
      %6 = "daphne.ewAdd"(%arg1, %5) : (si64, si64) -> si64
      "scf.yield"(%6) : (si64) -> ()
    }) : (index, index, index, si64) -> si64
    %7 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%4, %7, %7) : (si64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#,
            Some(&TestFolder),
        );
        // 4 + 4 folds inside the body; the loop-carried sum does not.
        assert!(out.contains(r#"%5 = "daphne.constant"() {value = 8 : si64}"#), "{out}");
        assert!(out.contains(r#"%6 = "daphne.ewAdd"(%arg1, %5)"#), "{out}");
    }

    #[test]
    fn identities_on_scalars() {
        let (out, _) = run(
            r#"module {
  func.func @main(%arg0: si64, %arg1: f64, %arg2: !daphne.Matrix<2x2xf64>, %arg3: !daphne.String) -> (si64, f64, si64, !daphne.Matrix<2x2xf64>, !daphne.String) {
    %0 = "daphne.ewMinus"(%arg0) : (si64) -> si64
    %1 = "daphne.ewMinus"(%0) : (si64) -> si64
    %2 = "daphne.cast"(%arg1) : (f64) -> f64
    %3 = "daphne.cast"(%arg1) : (f64) -> si64
    %4 = "daphne.ewMinus"(%arg2) : (!daphne.Matrix<2x2xf64>) -> !daphne.Matrix<2x2xf64>
    %5 = "daphne.ewMinus"(%4) : (!daphne.Matrix<2x2xf64>) -> !daphne.Matrix<2x2xf64>
    %6 = "daphne.ewMinus"(%arg3) : (!daphne.String) -> !daphne.String
    %7 = "daphne.ewMinus"(%6) : (!daphne.String) -> !daphne.String
    "daphne.return"(%1, %2, %3, %5, %7) : (si64, f64, si64, !daphne.Matrix<2x2xf64>, !daphne.String) -> ()
  }
}"#,
            None,
        );
        // -(-x) and the identity cast forward their operand; the real cast, the matrix negation
        // and the (failing at run time) string negation stay.
        assert!(out.contains(r#""daphne.return"(%arg0, %arg1, %1, %3, %5)"#), "{out}");
        assert!(out.contains(r#"%1 = "daphne.cast"(%arg1) : (f64) -> si64"#), "{out}");
        assert!(out.contains(r#"%3 = "daphne.ewMinus"(%2)"#), "{out}");
        assert!(out.contains(r#"%5 = "daphne.ewMinus"(%4) : (!daphne.String)"#), "{out}");
    }
}
