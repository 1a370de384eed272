//! The runtime's answer to constant folding ([`daphne_ir::fold::ConstantFolder`]): elementwise
//! ops, casts and `?:` over scalar constants are evaluated by the very kernels the executor calls
//! for them (`ewise_kernel`, `cast_kernel`, `ewise::cond`), so a folded constant is bit for bit
//! what the script would have computed. A kernel that fails (integer division by zero, `sqrt(-1)`,
//! a string that is not a number) folds to nothing, so the error stays at run time with its
//! location.

use crate::data::Data;
use crate::kernels::cast::cast_kernel;
use crate::kernels::ewise::{self, ewise_kernel};
use daphne_ir::fold::ConstantFolder;
use daphne_ir::ops::traits::ELEMENTWISE;
use daphne_ir::{Const, OpKind, Type};

/// Folds with the runtime's kernels.
#[derive(Clone, Copy, Debug, Default)]
pub struct RuntimeFolder;

impl ConstantFolder for RuntimeFolder {
    fn fold(&self, kind: OpKind, operands: &[Const], result_type: &Type) -> Option<Const> {
        let Type::Scalar(vt) = result_type else { return None };
        let args: Vec<Data> = operands.iter().cloned().map(Data::Scalar).collect();
        let out = match (kind, args.as_slice()) {
            (OpKind::Cast, [arg]) => cast_kernel(result_type, arg),
            (OpKind::Cond, [c, a, b]) => ewise::cond(c, a, b, Some(*vt)),
            (k, _) if k.has_trait(ELEMENTWISE) => ewise_kernel(k, &args, *vt)?,
            _ => return None,
        };
        match out {
            Ok(Data::Scalar(c)) if c.value_type() == *vt => Some(c),
            _ => None,
        }
    }

    fn matrix_file_type(&self, path: &str) -> Option<Type> {
        let (rows, cols, vt) = crate::kernels::row_reads::matrix_file_meta(path)?;
        Some(Type::Matrix(daphne_ir::MatrixType {
            rows: Some(rows as u64),
            cols: Some(cols as u64),
            ..daphne_ir::MatrixType::of(Some(vt))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daphne_ir::ValueType;

    fn fold(kind: OpKind, operands: &[Const], vt: ValueType) -> Option<Const> {
        RuntimeFolder.fold(kind, operands, &Type::Scalar(vt))
    }

    #[test]
    fn folds_with_cpp_semantics() {
        assert_eq!(fold(OpKind::EwDiv, &[Const::SI64(7), Const::SI64(-2)], ValueType::SI64), Some(Const::SI64(-3)));
        assert_eq!(
            fold(OpKind::EwAdd, &[Const::SI64(i64::MAX), Const::SI64(1)], ValueType::SI64),
            Some(Const::SI64(i64::MIN))
        );
        assert_eq!(fold(OpKind::EwSub, &[Const::UI8(1), Const::UI8(2)], ValueType::UI8), Some(Const::UI8(255)));
        assert_eq!(
            fold(OpKind::EwAdd, &[Const::Str("x".into()), Const::F64(1.5)], ValueType::Str),
            Some(Const::Str("x1.500000".into()))
        );
        assert_eq!(fold(OpKind::EwLt, &[Const::F64(1.5), Const::SI64(2)], ValueType::F64), Some(Const::F64(1.0)));
        assert_eq!(fold(OpKind::EwMinus, &[Const::SI64(2)], ValueType::SI64), Some(Const::SI64(-2)));
        assert_eq!(fold(OpKind::Cast, &[Const::F64(-2.7)], ValueType::SI64), Some(Const::SI64(-2)));
        assert_eq!(fold(OpKind::Cast, &[Const::SI64(300)], ValueType::UI8), Some(Const::UI8(44)));
        assert_eq!(fold(OpKind::Cast, &[Const::SI64(5)], ValueType::Index), Some(Const::Index(5)));
        assert_eq!(fold(OpKind::Cast, &[Const::F64(1.5)], ValueType::Str), Some(Const::Str("1.500000".into())));
        assert_eq!(
            fold(OpKind::Cond, &[Const::Bool(false), Const::SI64(1), Const::SI64(2)], ValueType::SI64),
            Some(Const::SI64(2))
        );
    }

    #[test]
    fn failing_kernels_do_not_fold() {
        assert_eq!(fold(OpKind::EwDiv, &[Const::SI64(1), Const::SI64(0)], ValueType::SI64), None);
        assert_eq!(fold(OpKind::EwSqrt, &[Const::F64(-1.0)], ValueType::F64), None);
        assert_eq!(fold(OpKind::Cast, &[Const::Str("abc".into())], ValueType::F64), None);
        assert_eq!(fold(OpKind::EwMinus, &[Const::Str("a".into())], ValueType::Str), None);
    }

    #[test]
    fn only_scalar_results_of_the_given_type() {
        // `?:` with a scalar condition returns the chosen branch as it is: here an si64 where the
        // op says f64, so folding would change the value's type.
        assert_eq!(fold(OpKind::Cond, &[Const::Bool(true), Const::SI64(1), Const::F64(2.0)], ValueType::F64), None);
        assert_eq!(RuntimeFolder.fold(OpKind::EwAdd, &[Const::SI64(1), Const::SI64(1)], &Type::Unknown), None);
        assert_eq!(fold(OpKind::OuterAdd, &[Const::SI64(1), Const::SI64(1)], ValueType::SI64), None);
        assert_eq!(fold(OpKind::Now, &[], ValueType::SI64), None);
        assert_eq!(fold(OpKind::EwAdd, &[Const::SI64(1)], ValueType::SI64), None);
    }
}
