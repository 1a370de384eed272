//! Data-property inference: the sparsity (fraction of non-zeros) and symmetry of matrix results,
//! following DAPHNE's estimates, so that `--select-matrix-repr` can choose sparse representations
//! at compile time.

use daphne_ir::{Attr, Const, OpKind, Type};

fn sparsity_of(t: &Type) -> Option<f64> {
    match t {
        Type::Matrix(m) => m.sparsity,
        _ => None,
    }
}

/// The estimated sparsity of an op's (first) matrix result.
pub fn infer_sparsity(
    kind: OpKind,
    operands: &[Type],
    constant: &dyn Fn(usize) -> Option<Const>,
    attrs: &daphne_ir::Attrs,
) -> Option<f64> {
    let sp = |i: usize| operands.get(i).and_then(sparsity_of);
    match kind {
        OpKind::Seq => Some(1.0),
        OpKind::RandMatrix => constant(4).and_then(|c| c.as_f64()),
        OpKind::Reshape | OpKind::Transpose => sp(0),
        OpKind::EwAdd | OpKind::EwSub => Some(sp(0)? + sp(1)? - sp(0)? * sp(1)?),
        OpKind::EwMul => match (sp(0), sp(1)) {
            (Some(a), Some(b)) => Some(a * b),
            (Some(a), None) | (None, Some(a)) => Some(a),
            (None, None) => None,
        },
        OpKind::MatMul => {
            let (a, b) = (sp(0)?, sp(1)?);
            let k = match (operands.first(), operands.get(1)) {
                (Some(Type::Matrix(l)), Some(Type::Matrix(r))) => l.cols.or(r.rows)?,
                _ => return None,
            };
            Some(1.0 - (1.0 - a * b).powi(k as i32))
        }
        OpKind::Tri => Some(sp(0)? / 2.0),
        OpKind::DiagMatrix => {
            let n = match operands.first() {
                Some(Type::Matrix(m)) => m.rows?,
                _ => return None,
            };
            Some(sp(0).unwrap_or(1.0) / n as f64)
        }
        OpKind::MatrixConstant => match attrs.get("value") {
            Some(Attr::Dense(d)) if !d.values.is_empty() => {
                let nnz = d
                    .values
                    .iter()
                    .filter(|c| match c {
                        Const::Str(s) => !s.is_empty(),
                        other => other.as_f64().is_some_and(|v| v != 0.0),
                    })
                    .count();
                Some(nnz as f64 / d.values.len() as f64)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether an op's matrix result is known to be symmetric.
pub fn infer_symmetric(kind: OpKind, operands: &[Type], constant: &dyn Fn(usize) -> Option<Const>) -> Option<bool> {
    match kind {
        OpKind::Fill => {
            let (r, c) = (constant(1)?.as_i128()?, constant(2)?.as_i128()?);
            Some(r == c)
        }
        OpKind::Transpose => match operands.first() {
            Some(Type::Matrix(m)) => m.symmetric,
            _ => None,
        },
        _ => None,
    }
}
