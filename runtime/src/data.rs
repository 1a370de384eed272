//! The values a DaphneDSL program computes with: scalars, matrices, frames and lists of matrices.

use crate::elem::Scalar;
use crate::frame::Frame;
use crate::matrix::Matrix;
use daphne_ir::{FrameType, MatrixType, Repr, Type, ValueType};

#[derive(Clone, Debug)]
pub enum Data {
    Scalar(Scalar),
    Matrix(Matrix),
    Frame(Frame),
    List(Vec<Matrix>),
}

impl Data {
    /// The data type name for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Data::Scalar(_) => "scalar",
            Data::Matrix(_) => "matrix",
            Data::Frame(_) => "frame",
            Data::List(_) => "list",
        }
    }

    /// The IR type describing this value (shapes known), for run-time type rules.
    pub fn ir_type(&self) -> Type {
        match self {
            Data::Scalar(s) => Type::Scalar(s.value_type()),
            Data::Matrix(m) => Type::Matrix(MatrixType {
                rows: Some(m.rows() as u64),
                cols: Some(m.cols() as u64),
                vt: Some(m.vt()),
                repr: if m.is_sparse() { Repr::Sparse } else { Repr::Dense },
                ..MatrixType::default()
            }),
            Data::Frame(f) => Type::Frame(FrameType {
                rows: Some(f.rows() as u64),
                cols: Some(f.cols() as u64),
                column_types: f.schema().into_iter().map(Some).collect(),
                labels: Some(f.labels().to_vec()),
            }),
            Data::List(items) => {
                let elem = items.first().map_or(Type::matrix_of(None), |m| Type::matrix_of(Some(m.vt())));
                Type::List(Box::new(elem))
            }
        }
    }

    /// The value type of a scalar or matrix.
    pub fn value_type(&self) -> Option<ValueType> {
        match self {
            Data::Scalar(s) => Some(s.value_type()),
            Data::Matrix(m) => Some(m.vt()),
            Data::Frame(_) | Data::List(_) => None,
        }
    }
}
