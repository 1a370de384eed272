//! Physical operator selection (`phy_op_selection` stage), as DAPHNE's
//! `PhyOperatorSelectionPass`: `t(X) @ X` becomes `syrk(X)` (half the multiplications, and one
//! pass over X; the result is typed symmetric), `t(A) @ x` with a column vector x (known to have
//! one column) becomes `gemv(A, x)` (no transposed copy of A). Both also match a product whose
//! constant `transa` flag is set (`matMul(X, X, true, false)`), and both keep the product's
//! location and result type. Only dense operands are rewritten, and not when the row counts are
//! known to differ (the product then fails at run time with its own message). DAPHNE's
//! `X @ t(X)` to `syrk(X, false)` is not done: our `syrk` kernel computes `t(X) @ X` only.
//! Beyond DAPHNE: `mean(X, 1)` of an `f64` matrix known not to be empty becomes
//! `sum(X, 1) / nrow(X)`, which the kernel computes exactly that way anyway, so column means can
//! join vectorized pipelines (column sums can, column means cannot). The replaced transposes are
//! left for dead-code elimination (the stage runs it), so a transpose that something else reads
//! stays.

use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::{Attr, Attrs, Const, MatrixType, Module, Op, OpKind, Repr, Type, Value, ValueType};

pub struct PhyOpSelectionPass;

impl Pass for PhyOpSelectionPass {
    fn name(&self) -> &'static str {
        "phy_op_selection"
    }

    fn run(&self, m: &mut Module, _cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let mut candidates = Vec::new();
        m.walk(&mut |op| {
            if matches!(m.kind(op), OpKind::MatMul | OpKind::MeanCol) {
                candidates.push(op);
            }
        });
        let mut changed = false;
        for op in candidates {
            changed |= match m.kind(op) {
                OpKind::MatMul => select_product(m, op),
                _ => split_column_mean(m, op),
            };
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

/// A new op before `anchor`, with its location.
fn op_before(m: &mut Module, anchor: Op, kind: OpKind, operands: Vec<Value>, ty: Type, attrs: Attrs) -> Value {
    let loc = m.op(anchor).loc.clone();
    let op = m.create_op(kind, operands, vec![ty], attrs, vec![], loc);
    m.insert_before(anchor, op);
    m.result(op, 0)
}

fn constant_before(m: &mut Module, anchor: Op, c: Const) -> Value {
    let ty = c.ty();
    let mut attrs = Attrs::new();
    attrs.insert("value".into(), Attr::Const(c));
    op_before(m, anchor, OpKind::Constant, vec![], ty, attrs)
}

/// Replaces the single result of `old` by `new` and removes `old`.
fn replace(m: &mut Module, old: Op, new: Value) {
    let r = m.result(old, 0);
    m.replace_all_uses(r, new);
    m.erase_op(old);
}

/// `matMul(transpose(X), X)` to `syrk`, `matMul(transpose(A), x)` to `gemv`; also the same
/// products written with a constant `transa = true` flag (`matMul(X, X, true, false)`).
fn select_product(m: &mut Module, op: Op) -> bool {
    let operands = m.operands(op).to_vec();
    let [a, b, ta, tb] = operands[..] else { return false };
    if const_bool(m, tb) != Some(false) {
        return false;
    }
    let x = match const_bool(m, ta) {
        Some(true) => a,
        Some(false) => match m.defining_op(a).filter(|t| m.kind(*t) == OpKind::Transpose) {
            Some(t) => m.operands(t)[0],
            None => return false,
        },
        None => return false,
    };
    let result_type = m.value_type(m.result(op, 0)).clone();
    let dense = |v: Value| matches!(m.value_type(v), Type::Matrix(mt) if mt.repr != Repr::Sparse);
    if !dense(x) || !dense(b) {
        return false;
    }
    // Row counts known to differ fail at run time: keep the product and its error message.
    let rows = |v: Value| match m.value_type(v) {
        Type::Matrix(mt) => mt.rows,
        _ => None,
    };
    if let (Some(r1), Some(r2)) = (rows(x), rows(b))
        && r1 != r2
    {
        return false;
    }
    let new = if x == b {
        let flag = constant_before(m, op, Const::Bool(true));
        let ty = match result_type {
            Type::Matrix(mt) => Type::Matrix(MatrixType { symmetric: Some(true), ..mt }),
            other => other,
        };
        op_before(m, op, OpKind::Syrk, vec![x, flag], ty, Attrs::new())
    } else if matches!(m.value_type(b), Type::Matrix(mt) if mt.cols == Some(1)) {
        op_before(m, op, OpKind::Gemv, vec![x, b], result_type, Attrs::new())
    } else {
        return false;
    };
    replace(m, op, new);
    true
}

/// `meanCol(X)` of an `f64` matrix to `sumCol(X) / n` with the row count `n` as an `f64`
/// constant. Only when X is known not to be empty (so its height is known): the mean kernel
/// rejects an empty matrix, while the sum of no rows divided by zero rows would print `nan`.
fn split_column_mean(m: &mut Module, op: Op) -> bool {
    let x = m.operands(op)[0];
    let result_type = m.value_type(m.result(op, 0)).clone();
    let f64_matrix =
        |t: &Type| matches!(t, Type::Matrix(mt) if mt.vt == Some(ValueType::F64) && mt.repr != Repr::Sparse);
    if !f64_matrix(m.value_type(x)) || !f64_matrix(&result_type) {
        return false;
    }
    let rows = match m.value_type(x) {
        Type::Matrix(mt) if mt.cols.is_some_and(|c| c > 0) => mt.rows.filter(|r| *r > 0),
        _ => None,
    };
    let Some(rows) = rows else { return false };
    let sum = op_before(m, op, OpKind::SumCol, vec![x], result_type.clone(), Attrs::new());
    // The kernel divides by the row count converted to f64, exactly this constant.
    let n = constant_before(m, op, Const::F64(rows as f64));
    let mean = op_before(m, op, OpKind::EwDiv, vec![sum, n], result_type, Attrs::new());
    replace(m, op, mean);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCTS: &str = r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 4 : index} : () -> index
    %2 = "daphne.constant"() {value = 1 : index} : () -> index
    %3 = "daphne.fill"(%0, %1, %1) : (f64, index, index) -> !daphne.Matrix<4x4xf64>
    %4 = "daphne.fill"(%0, %1, %2) : (f64, index, index) -> !daphne.Matrix<4x1xf64>
    %5 = "daphne.transpose"(%3) : (!daphne.Matrix<4x4xf64>) -> !daphne.Matrix<4x4xf64>
    %6 = "daphne.constant"() {value = false} : () -> i1
    %7 = "daphne.matMul"(%5, %3, %6, %6) : (!daphne.Matrix<4x4xf64>, !daphne.Matrix<4x4xf64>, i1, i1) -> !daphne.Matrix<4x4xf64>
    %8 = "daphne.matMul"(%5, %4, %6, %6) : (!daphne.Matrix<4x4xf64>, !daphne.Matrix<4x1xf64>, i1, i1) -> !daphne.Matrix<4x1xf64>
    %9 = "daphne.matMul"(%3, %4, %6, %6) : (!daphne.Matrix<4x4xf64>, !daphne.Matrix<4x1xf64>, i1, i1) -> !daphne.Matrix<4x1xf64>
    %10 = "daphne.meanCol"(%3) : (!daphne.Matrix<4x4xf64>) -> !daphne.Matrix<1x4xf64>
    %11 = "daphne.constant"() {value = true} : () -> i1
    "daphne.print"(%7, %11, %6) : (!daphne.Matrix<4x4xf64>, i1, i1) -> ()
    "daphne.print"(%8, %11, %6) : (!daphne.Matrix<4x1xf64>, i1, i1) -> ()
    "daphne.print"(%9, %11, %6) : (!daphne.Matrix<4x1xf64>, i1, i1) -> ()
    "daphne.print"(%10, %11, %6) : (!daphne.Matrix<1x4xf64>, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#;

    #[test]
    fn selects_syrk_gemv_and_splits_column_means() {
        let out = crate::testing::run_pass(&PhyOpSelectionPass, PRODUCTS);
        assert!(out.contains(r#""daphne.syrk"(%3, %"#), "{out}");
        assert!(out.contains("-> !daphne.Matrix<4x4xf64:symmetric[true]>"), "{out}");
        assert!(out.contains(r#""daphne.gemv"(%3, %4)"#), "{out}");
        assert_eq!(out.matches("daphne.matMul").count(), 1, "the plain product stays: {out}");
        assert!(out.contains(r#""daphne.sumCol"(%3)"#) && !out.contains("meanCol"), "{out}");
        // Divided by the row count (4) as an f64 constant.
        assert!(out.contains("{value = 4.000000e+00 : f64} : () -> f64"), "{out}");
        assert!(
            out.contains(r#""daphne.ewDiv"(%"#)
                && out.contains("(!daphne.Matrix<1x4xf64>, f64) -> !daphne.Matrix<1x4xf64>"),
            "{out}"
        );
    }

    /// Runs the pass and dead-code elimination (as the stage does) and prints with locations.
    fn select(src: &str) -> String {
        let mut m = daphne_ir::parse_module(src).expect("test IR parses");
        let opts = crate::CompileOptions::default();
        PhyOpSelectionPass.run(&mut m, &mut PassCx::new(&opts)).expect("pass runs");
        crate::dce::DcePass.run(&mut m, &mut PassCx::new(&opts)).expect("dce runs");
        daphne_ir::verify(&m).expect("verifies after the pass");
        daphne_ir::print_module(&m, daphne_ir::PrintOptions { locations: true })
    }

    const FORMS: &str = r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 4 : index} : () -> index
    %2 = "daphne.constant"() {value = 1 : index} : () -> index
    %3 = "daphne.constant"() {value = 3 : index} : () -> index
    %4 = "daphne.fill"(%0, %1, %3) : (f64, index, index) -> !daphne.Matrix<4x3xf64>
    %5 = "daphne.fill"(%0, %1, %2) : (f64, index, index) -> !daphne.Matrix<4x1xf64>
    %6 = "daphne.fill"(%0, %3, %2) : (f64, index, index) -> !daphne.Matrix<3x1xf64>
    %7 = "daphne.constant"() {value = false} : () -> i1
    %8 = "daphne.constant"() {value = true} : () -> i1
    %9 = "daphne.matMul"(%4, %4, %8, %7) : (!daphne.Matrix<4x3xf64>, !daphne.Matrix<4x3xf64>, i1, i1) -> !daphne.Matrix<3x3xf64> loc("x.daph":7:9)
    %10 = "daphne.matMul"(%4, %5, %8, %7) : (!daphne.Matrix<4x3xf64>, !daphne.Matrix<4x1xf64>, i1, i1) -> !daphne.Matrix<3x1xf64> loc("x.daph":8:9)
    %11 = "daphne.transpose"(%4) : (!daphne.Matrix<4x3xf64>) -> !daphne.Matrix<3x4xf64>
    %12 = "daphne.matMul"(%11, %4, %7, %7) : (!daphne.Matrix<3x4xf64>, !daphne.Matrix<4x3xf64>, i1, i1) -> !daphne.Matrix<3x3xf64> loc("x.daph":10:11)
    %13 = "daphne.matMul"(%11, %6, %7, %7) : (!daphne.Matrix<3x4xf64>, !daphne.Matrix<3x1xf64>, i1, i1) -> !daphne.Matrix<3x1xf64>
    "daphne.print"(%9, %8, %7) : (!daphne.Matrix<3x3xf64>, i1, i1) -> ()
    "daphne.print"(%10, %8, %7) : (!daphne.Matrix<3x1xf64>, i1, i1) -> ()
    "daphne.print"(%12, %8, %7) : (!daphne.Matrix<3x3xf64>, i1, i1) -> ()
    "daphne.print"(%13, %8, %7) : (!daphne.Matrix<3x1xf64>, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#;

    #[test]
    fn transa_flags_select_too_and_locations_survive() {
        let out = select(FORMS);
        assert!(
            out.contains(r#""daphne.syrk"(%4, %9) : (!daphne.Matrix<4x3xf64>, i1) -> !daphne.Matrix<3x3xf64:symmetric[true]> loc("x.daph":7:9)"#),
            "{out}"
        );
        assert!(
            out.contains(r#""daphne.gemv"(%4, %5) : (!daphne.Matrix<4x3xf64>, !daphne.Matrix<4x1xf64>) -> !daphne.Matrix<3x1xf64> loc("x.daph":8:9)"#),
            "{out}"
        );
        // The explicit transpose feeds a second syrk and a product with a vector of 3 rows (X has
        // 4): the latter stays a product, so the transpose stays for it.
        assert!(out.contains(r#"loc("x.daph":10:11)"#) && out.matches("daphne.syrk").count() == 2, "{out}");
        assert_eq!(out.matches("daphne.matMul").count(), 1, "{out}");
        assert_eq!(out.matches("daphne.transpose").count(), 1, "{out}");
    }

    #[test]
    fn other_products_stay_and_unused_transposes_go() {
        let src = r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 4 : index} : () -> index
    %2 = "daphne.constant"() {value = 2 : index} : () -> index
    %3 = "daphne.fill"(%0, %1, %1) : (f64, index, index) -> !daphne.Matrix<4x4xf64>
    %4 = "daphne.fill"(%0, %1, %2) : (f64, index, index) -> !daphne.Matrix<4x2xf64>
    %5 = "daphne.fill"(%0, %1, %1) : (f64, index, index) -> !daphne.Matrix<4x4xf64:rep[sparse]>
    %6 = "daphne.constant"() {value = false} : () -> i1
    %7 = "daphne.transpose"(%3) : (!daphne.Matrix<4x4xf64>) -> !daphne.Matrix<4x4xf64>
    %8 = "daphne.matMul"(%7, %4, %6, %6) : (!daphne.Matrix<4x4xf64>, !daphne.Matrix<4x2xf64>, i1, i1) -> !daphne.Matrix<4x2xf64>
    %9 = "daphne.transpose"(%5) : (!daphne.Matrix<4x4xf64:rep[sparse]>) -> !daphne.Matrix<4x4xf64:rep[sparse]>
    %10 = "daphne.matMul"(%9, %5, %6, %6) : (!daphne.Matrix<4x4xf64:rep[sparse]>, !daphne.Matrix<4x4xf64:rep[sparse]>, i1, i1) -> !daphne.Matrix<4x4xf64>
    %11 = "daphne.matMul"(%3, %3, %6, %6) : (!daphne.Matrix<4x4xf64>, !daphne.Matrix<4x4xf64>, i1, i1) -> !daphne.Matrix<4x4xf64>
    %12 = "daphne.transpose"(%4) : (!daphne.Matrix<4x2xf64>) -> !daphne.Matrix<2x4xf64>
    %13 = "daphne.matMul"(%12, %4, %6, %6) : (!daphne.Matrix<2x4xf64>, !daphne.Matrix<4x2xf64>, i1, i1) -> !daphne.Matrix<2x2xf64>
    %14 = "daphne.constant"() {value = true} : () -> i1
    "daphne.print"(%8, %14, %6) : (!daphne.Matrix<4x2xf64>, i1, i1) -> ()
    "daphne.print"(%10, %14, %6) : (!daphne.Matrix<4x4xf64>, i1, i1) -> ()
    "daphne.print"(%11, %14, %6) : (!daphne.Matrix<4x4xf64>, i1, i1) -> ()
    "daphne.print"(%13, %14, %6) : (!daphne.Matrix<2x2xf64>, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#;
        let out = select(src);
        // `t(X) @ Y` (Y not a column vector), sparse operands and `X @ X` stay products.
        assert_eq!(out.matches("daphne.matMul").count(), 3, "{out}");
        assert_eq!(out.matches("daphne.transpose").count(), 2, "{out}");
        // `t(A) @ A` became syrk, and its transpose, read by nothing else, is gone.
        assert!(out.contains(r#""daphne.syrk"(%4, %"#), "{out}");
        assert!(!out.contains(r#""daphne.transpose"(%4)"#), "{out}");
    }

    #[test]
    fn column_means_of_possibly_empty_matrices_stay() {
        let src = r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 0 : index} : () -> index
    %2 = "daphne.constant"() {value = 3 : index} : () -> index
    %3 = "daphne.fill"(%0, %1, %2) : (f64, index, index) -> !daphne.Matrix<0x3xf64>
    %4 = "daphne.fill"(%0, %2, %1) : (f64, index, index) -> !daphne.Matrix<3x0xf64>
    %5 = "daphne.now"() : () -> si64
    %6 = "daphne.cast"(%5) : (si64) -> index
    %7 = "daphne.fill"(%0, %6, %2) : (f64, index, index) -> !daphne.Matrix<?x3xf64>
    %8 = "daphne.fill"(%0, %2, %2) : (f64, index, index) -> !daphne.Matrix<3x3xsi64>
    %9 = "daphne.meanCol"(%3) : (!daphne.Matrix<0x3xf64>) -> !daphne.Matrix<1x3xf64>
    %10 = "daphne.meanCol"(%4) : (!daphne.Matrix<3x0xf64>) -> !daphne.Matrix<1x0xf64>
    %11 = "daphne.meanCol"(%7) : (!daphne.Matrix<?x3xf64>) -> !daphne.Matrix<1x3xf64>
    %12 = "daphne.meanCol"(%8) : (!daphne.Matrix<3x3xsi64>) -> !daphne.Matrix<1x3xf64>
    %13 = "daphne.constant"() {value = true} : () -> i1
    %14 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%9, %13, %14) : (!daphne.Matrix<1x3xf64>, i1, i1) -> ()
    "daphne.print"(%10, %13, %14) : (!daphne.Matrix<1x0xf64>, i1, i1) -> ()
    "daphne.print"(%11, %13, %14) : (!daphne.Matrix<1x3xf64>, i1, i1) -> ()
    "daphne.print"(%12, %13, %14) : (!daphne.Matrix<1x3xf64>, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#;
        let out = select(src);
        // The mean kernel rejects empty matrices (a sum divided by zero rows would print nan),
        // so only means of matrices known to be non-empty are split; an si64 matrix stays too.
        assert_eq!(out.matches("daphne.meanCol").count(), 4, "{out}");
        assert!(!out.contains("daphne.sumCol"), "{out}");
    }
}
