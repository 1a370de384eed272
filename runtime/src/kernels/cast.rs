//! Casts: `daphne.cast` of scalars, matrices and frames into each other with C++ `static_cast`
//! semantics per element (`as.si64(x)`, `as.matrix(f)`, ...); also what constant folding evaluates
//! casts with, so a folded cast is bit for bit what the script computes.

use crate::data::Data;
use crate::elem::{Elem, Scalar};
use crate::frame::Frame;
use crate::kernels::args::{OpArgs, Out, one};
use crate::kernels::{index, reorg};
use crate::matrix::{Dense, Matrix};
use crate::with_vt;
use daphne_ir::{Type, ValueType};

/// Converts a scalar to another value type (C++ `static_cast`; sizes stay `index`).
pub fn convert_scalar(s: &Scalar, vt: ValueType) -> Result<Scalar, String> {
    if s.value_type() == vt {
        return Ok(s.clone());
    }
    if vt == ValueType::Index {
        return Ok(Scalar::Index(match s {
            Scalar::F64(v) => *v as i64,
            Scalar::F32(v) => *v as i64,
            Scalar::Str(t) => u64::from_scalar(&Scalar::Str(t.clone()))? as i64,
            other => other.as_i128().unwrap_or(0) as i64,
        }));
    }
    with_vt!(vt, T => Ok(T::from_scalar(s)?.to_scalar()))
}

/// `daphne.cast` of a value to the op's result type (`static_cast` per element, frames and
/// matrices converted into each other); also what constant folding evaluates casts with.
pub fn cast_kernel(target: &Type, arg: &Data) -> Result<Data, String> {
    Ok(match (target, arg) {
        (Type::Scalar(vt), Data::Scalar(s)) => Data::Scalar(convert_scalar(s, *vt)?),
        (Type::Scalar(vt), other) => {
            let s = index::to_scalar(other)?;
            Data::Scalar(convert_scalar(&s, *vt)?)
        }
        (Type::Matrix(mt), Data::Scalar(s)) => {
            let vt = mt.vt.unwrap_or(s.value_type());
            Data::Matrix(Matrix::Dense(Dense::filled(vt, 1, 1, s)?))
        }
        (Type::Matrix(mt), Data::Matrix(m)) => match mt.vt {
            Some(vt) if vt.storage_vt() != m.vt() => Data::Matrix(Matrix::Dense(m.dense().cast(vt)?)),
            _ => Data::Matrix(m.clone()),
        },
        (Type::Matrix(mt), Data::Frame(f)) => {
            let vt =
                mt.vt.or_else(|| f.schema().into_iter().reduce(|a, b| a.most_general(b))).unwrap_or(ValueType::F64);
            let cols = f.columns().iter().map(|c| c.cast(vt)).collect::<Result<Vec<_>, String>>()?;
            let mut d = Dense::filled(vt, f.rows(), 0, &Scalar::F64(0.0))?;
            for c in cols {
                let Data::Matrix(m) =
                    reorg::bind(&Data::Matrix(Matrix::Dense(d)), &Data::Matrix(Matrix::Dense(c)), true, Some(vt))?
                else {
                    return Err("internal error: frame to matrix".to_string());
                };
                d = m.into_dense();
            }
            Data::Matrix(Matrix::Dense(d))
        }
        (Type::Frame(_), Data::Matrix(m)) => {
            let d = m.dense();
            let columns: Vec<Dense> = (0..m.cols()).map(|c| d.slice_cols(c, c + 1)).collect();
            let labels = (0..m.cols()).map(Frame::default_label).collect();
            Data::Frame(Frame::new(columns, labels)?)
        }
        (Type::Frame(_), Data::Scalar(s)) => {
            let col = Dense::filled(s.value_type(), 1, 1, s)?;
            Data::Frame(Frame::new(vec![col], vec![Frame::default_label(0)])?)
        }
        _ => arg.clone(),
    })
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.cast` to the op's result type.
pub fn run_cast(a: &OpArgs<'_>) -> Out {
    one(cast_kernel(a.static_type(0), a.get(0))?)
}
