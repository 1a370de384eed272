//! Vectorization vocabulary shared by the compiler and the engines: how a pipeline input is split
//! (`Split`), how partial outputs are reassembled (`Combine`), the attributes of
//! `daphne.vectorizedPipeline` that carry them, which ops may run on a batch of rows and how
//! (`vec_rule`, the `vec` column of the op table: DAPHNE's `VectorizableOpInterface`, extended
//! with row-local ops it lacks), and which inputs may be broadcast rows.

pub use crate::columns::{Combine, Split, SplitRule, VecRule};

use crate::attr::Attr;
use crate::module::{Module, Op};
use crate::ops::OpKind;
use crate::ops::traits::ELEMENTWISE;

fn int_array(m: &Module, op: Op, name: &str) -> Result<Vec<i64>, String> {
    match m.attr(op, name) {
        Some(Attr::Array(items)) => items
            .iter()
            .map(|a| match a {
                Attr::Int(i) => Ok(*i),
                other => Err(format!("`{name}` must hold integers, found {other:?}")),
            })
            .collect(),
        _ => Err(format!("missing the `{name}` attribute")),
    }
}

/// The `splits` attribute of a pipeline op.
pub fn splits(m: &Module, op: Op) -> Result<Vec<Split>, String> {
    int_array(m, op, "splits")?
        .into_iter()
        .map(|c| Split::from_code(c).ok_or_else(|| format!("unknown split code {c}")))
        .collect()
}

/// The `combines` attribute of a pipeline op.
pub fn combines(m: &Module, op: Op) -> Result<Vec<Combine>, String> {
    int_array(m, op, "combines")?
        .into_iter()
        .map(|c| Combine::from_code(c).ok_or_else(|| format!("unknown combine code {c}")))
        .collect()
}

/// The attribute values for a pipeline op.
pub fn split_attr(splits: &[Split]) -> Attr {
    Attr::Array(splits.iter().map(|s| Attr::Int(*s as i64)).collect())
}

pub fn combine_attr(combines: &[Combine]) -> Attr {
    Attr::Array(combines.iter().map(|c| Attr::Int(*c as i64)).collect())
}

/// Whether a matrix operand at this position may be a row vector broadcast over the rows of
/// the other operand (the right-hand side of an elementwise binary op).
pub fn broadcasts(kind: OpKind, operand: usize) -> bool {
    kind.has_trait(ELEMENTWISE) && kind.info().operands == crate::ops::Arity::Exact(2) && operand == 1
}

/// Whether a pipeline input (block argument `arg` of the body) may be a single row broadcast
/// over the rows of the others: every use is the right-hand side of an elementwise binary op
/// whose left-hand side is a matrix (so the result has the rows of the left-hand side, as in
/// plain execution). Inputs that are not broadcastable fix the pipeline's row count.
pub fn broadcastable(m: &Module, body: crate::module::Block, arg: crate::module::Value) -> bool {
    m.block_ops(body).iter().all(|&op| {
        m.operands(op).iter().enumerate().filter(|(_, v)| **v == arg).all(|(i, _)| {
            broadcasts(m.kind(op), i) && m.operands(op).first().is_some_and(|l| m.value_type(*l).is_matrix())
        })
    })
}

/// The vectorization rule of an op kind (the table's `vec` column), or `None` when the op cannot
/// run on batches of rows (it needs all rows at once, has side effects, or is not worth it).
/// Callers still check operand and result types (matrices, dense) and op-specific conditions
/// (`matMul` without transposed left operand, casts between matrices).
pub fn vec_rule(kind: OpKind) -> Option<VecRule> {
    kind.info().vec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in [Split::None, Split::Rows] {
            assert_eq!(Split::from_code(s as i64), Some(s));
        }
        for c in [Combine::Rows, Combine::Cols, Combine::Add, Combine::Min, Combine::Max] {
            assert_eq!(Combine::from_code(c as i64), Some(c));
        }
        assert_eq!(Split::from_code(2), None);
        assert_eq!(Combine::from_code(0), None);
    }

    #[test]
    fn rules_follow_daphne() {
        let r = vec_rule(OpKind::EwAdd).unwrap();
        assert_eq!((r.split(0), r.split(1), r.combine), (Split::Rows, Split::Rows, Combine::Rows));
        let r = vec_rule(OpKind::MatMul).unwrap();
        assert_eq!((r.split(0), r.split(1), r.combine), (Split::Rows, Split::None, Combine::Rows));
        assert_eq!(vec_rule(OpKind::Transpose).unwrap().combine, Combine::Cols);
        assert_eq!(vec_rule(OpKind::MaxAll).unwrap().combine, Combine::Max);
        assert_eq!(vec_rule(OpKind::MeanAll), None);
        assert_eq!(vec_rule(OpKind::Print), None);
        assert!(broadcasts(OpKind::EwMul, 1));
        assert!(!broadcasts(OpKind::EwMul, 0));
        assert!(!broadcasts(OpKind::EwSqrt, 0));
    }
}
