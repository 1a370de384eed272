//! Transposes folded into matrix products (`phy_op_selection` stage, after `syrk`/`gemv`
//! selection): `matMul(t(A), B, false, tb)` becomes `matMul(A, B, true, tb)` and
//! `matMul(A, t(B), ta, false)` becomes `matMul(A, B, ta, true)`, as DAPHNE's `MatMulOp`
//! canonicalization does. The product kernel reads the operand transposed, so the transposed
//! copy is never built, and `t(P) @ X` becomes a pipeline that reads both by rows and adds up.
//! The `transpose` stays if something else uses it (dead-code elimination removes it otherwise).

use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::{Attr, Attrs, Const, Module, Op, OpKind, Type, Value};

pub struct TransposeIntoMatMulPass;

impl Pass for TransposeIntoMatMulPass {
    fn name(&self) -> &'static str {
        "transpose_into_matmul"
    }

    fn run(&self, m: &mut Module, _cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let mut products = Vec::new();
        m.walk(&mut |op| {
            if m.kind(op) == OpKind::MatMul {
                products.push(op);
            }
        });
        let mut changed = false;
        for op in products {
            for (operand, flag) in [(0, 2), (1, 3)] {
                changed |= fold(m, op, operand, flag);
            }
        }
        Ok(if changed { Changed::Yes } else { Changed::No })
    }
}

fn const_bool(m: &Module, v: Value) -> Option<bool> {
    let d = m.defining_op(v).filter(|d| m.kind(*d) == OpKind::Constant)?;
    match m.attr(d, "value").and_then(Attr::as_const) {
        Some(Const::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// Folds a transpose feeding `operand` of the product into its `flag` operand.
fn fold(m: &mut Module, op: Op, operand: usize, flag: usize) -> bool {
    let operands = m.operands(op).to_vec();
    let (Some(&x), Some(&f)) = (operands.get(operand), operands.get(flag)) else { return false };
    let Some(t) = m.defining_op(x).filter(|t| m.kind(*t) == OpKind::Transpose) else { return false };
    if const_bool(m, f) != Some(false) {
        return false;
    }
    let Some(&inner) = m.operands(t).first() else { return false };
    if !m.value_type(inner).is_matrix() {
        return false;
    }
    let mut attrs = Attrs::new();
    attrs.insert("value".into(), Attr::Const(Const::Bool(true)));
    let loc = m.op(op).loc.clone();
    let c = m.create_op(OpKind::Constant, vec![], vec![Type::BOOL], attrs, vec![], loc);
    m.insert_before(op, c);
    let cv = m.result(c, 0);
    let data = m.op_mut(op);
    data.operands[operand] = inner;
    data.operands[flag] = cv;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompileOptions;
    use daphne_ir::{PrintOptions, parse_module, print_module, verify};

    #[test]
    fn folds_both_sides_once() {
        let mut m = parse_module(
            r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 4 : index} : () -> index
    %2 = "daphne.fill"(%0, %1, %1) : (f64, index, index) -> !daphne.Matrix<4x4xf64>
    %3 = "daphne.transpose"(%2) : (!daphne.Matrix<4x4xf64>) -> !daphne.Matrix<4x4xf64>
    %4 = "daphne.constant"() {value = false} : () -> i1
    %5 = "daphne.matMul"(%3, %3, %4, %4) : (!daphne.Matrix<4x4xf64>, !daphne.Matrix<4x4xf64>, i1, i1) -> !daphne.Matrix<4x4xf64>
    %6 = "daphne.constant"() {value = true} : () -> i1
    %7 = "daphne.matMul"(%3, %2, %6, %4) : (!daphne.Matrix<4x4xf64>, !daphne.Matrix<4x4xf64>, i1, i1) -> !daphne.Matrix<4x4xf64>
    "daphne.print"(%5, %6, %4) : (!daphne.Matrix<4x4xf64>, i1, i1) -> ()
    "daphne.print"(%7, %6, %4) : (!daphne.Matrix<4x4xf64>, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#,
        )
        .expect("test IR parses");
        let opts = CompileOptions::default();
        TransposeIntoMatMulPass.run(&mut m, &mut PassCx::new(&opts)).expect("pass runs");
        verify(&m).expect("verifies");
        let out = print_module(&m, PrintOptions::default());
        // The first product reads %2 transposed on both sides; the second keeps its transposed
        // left operand (its flag is already set) and folds nothing else.
        assert!(out.contains(r#""daphne.matMul"(%2, %2, %5, %6)"#), "{out}");
        assert!(out.contains(r#""daphne.matMul"(%3, %2, %8, %4)"#), "{out}");
    }
}
