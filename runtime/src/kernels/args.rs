//! What a kernel adapter reads about the op it runs ([`OpArgs`]): its operands by role (a scalar,
//! a size, a flag, a string, a matrix), the static types and value types of its results, its
//! attributes. The adapters (`run_*` beside each family's kernels) turn these into kernel
//! arguments; the op dispatch (`dispatch.rs`) calls them. Errors are messages: the dispatcher
//! adds the op's location.

use crate::data::Data;
use crate::elem::{Scalar, scalar_to_cpp};
use crate::matrix::{Dense, Matrix};
use daphne_ir::infer::{InferInput, infer_result_types};
use daphne_ir::{Attr, Module, Op, OpKind, Type, ValueType};

/// The results of an adapter.
pub type Out = Result<Vec<Data>, String>;

/// One result.
pub fn one(d: Data) -> Out {
    Ok(vec![d])
}

/// One dense matrix result.
pub fn mat(d: Dense) -> Out {
    one(Data::Matrix(Matrix::Dense(d)))
}

/// The error of a family's adapter called for an op of another family (a dispatch bug).
pub fn wrong_family(kind: OpKind, family: &str) -> String {
    format!("internal error: `{}` is not of the {family} family", kind.name())
}

/// An operand that must be a scalar.
pub fn scalar<'d>(d: &'d Data, what: &str) -> Result<&'d Scalar, String> {
    match d {
        Data::Scalar(s) => Ok(s),
        other => Err(format!("{what} must be a scalar, not a {}", other.kind())),
    }
}

/// An operand that must be a matrix.
pub fn matrix<'d>(d: &'d Data, what: &str) -> Result<&'d Matrix, String> {
    match d {
        Data::Matrix(m) => Ok(m),
        other => Err(format!("{what} must be a matrix, not a {}", other.kind())),
    }
}

/// A numeric scalar as an integer (floating-point numbers are truncated).
pub fn int(d: &Data, what: &str) -> Result<i64, String> {
    match scalar(d, what)? {
        Scalar::F64(v) => Ok(*v as i64),
        Scalar::F32(v) => Ok(*v as i64),
        Scalar::Str(_) => Err(format!("{what} must be a number")),
        other => Ok(other.as_i128().unwrap_or(0) as i64),
    }
}

/// A numeric scalar that must not be negative, as a size or position.
pub fn size(d: &Data, what: &str) -> Result<usize, String> {
    let s = scalar(d, what)?;
    let v = s.as_f64().ok_or_else(|| format!("{what} must be a number"))?;
    if v < 0.0 {
        let shown = match s {
            Scalar::Index(i) => i.to_string(),
            other => scalar_to_cpp(other),
        };
        return Err(format!("{what} must not be negative, but is {shown}"));
    }
    Ok(v as usize)
}

/// A scalar as a truth value (non-zero numbers are true).
pub fn flag(d: &Data, what: &str) -> Result<bool, String> {
    Ok(scalar(d, what)?.as_f64().is_some_and(|v| v != 0.0))
}

/// A numeric scalar as an `f64`.
pub fn f64_of(d: &Data, what: &str) -> Result<f64, String> {
    scalar(d, what)?.as_f64().ok_or_else(|| format!("{what} must be a number"))
}

/// A string scalar.
pub fn string(d: &Data, what: &str) -> Result<String, String> {
    match scalar(d, what)? {
        Scalar::Str(s) => Ok(s.clone()),
        _ => Err(format!("{what} must be a string")),
    }
}

/// One op of a module with its run-time operands. Operand positions follow the op table's
/// arities, which the verifier checked.
#[derive(Clone, Copy)]
pub struct OpArgs<'a> {
    m: &'a Module,
    op: Op,
    args: &'a [Data],
}

impl<'a> OpArgs<'a> {
    pub fn new(m: &'a Module, op: Op, args: &'a [Data]) -> OpArgs<'a> {
        OpArgs { m, op, args }
    }

    pub fn kind(&self) -> OpKind {
        self.m.kind(self.op)
    }

    /// All operands.
    pub fn all(&self) -> &'a [Data] {
        self.args
    }

    /// Operand `i`.
    pub fn get(&self, i: usize) -> &'a Data {
        &self.args[i]
    }

    pub fn scalar(&self, i: usize, what: &str) -> Result<&'a Scalar, String> {
        scalar(self.get(i), what)
    }

    pub fn matrix(&self, i: usize, what: &str) -> Result<&'a Matrix, String> {
        matrix(self.get(i), what)
    }

    pub fn int(&self, i: usize, what: &str) -> Result<i64, String> {
        int(self.get(i), what)
    }

    pub fn size(&self, i: usize, what: &str) -> Result<usize, String> {
        size(self.get(i), what)
    }

    pub fn flag(&self, i: usize, what: &str) -> Result<bool, String> {
        flag(self.get(i), what)
    }

    pub fn f64_of(&self, i: usize, what: &str) -> Result<f64, String> {
        f64_of(self.get(i), what)
    }

    pub fn string(&self, i: usize, what: &str) -> Result<String, String> {
        string(self.get(i), what)
    }

    /// An attribute of the op.
    pub fn attr(&self, name: &str) -> Option<&'a Attr> {
        self.m.attr(self.op, name)
    }

    /// The static type of result `i`.
    pub fn static_type(&self, i: usize) -> &'a Type {
        self.m.value_type(self.m.result(self.op, i))
    }

    /// The result types by the type rules applied to the run-time operands (scalar operands act
    /// as constants).
    fn dynamic_types(&self) -> Result<Vec<Type>, String> {
        let types: Vec<Type> = self.args.iter().map(Data::ir_type).collect();
        let current: Vec<Type> = self.m.results(self.op).iter().map(|r| self.m.value_type(*r).clone()).collect();
        let constant = |i: usize| match self.args.get(i) {
            Some(Data::Scalar(s)) => Some(s.clone()),
            _ => None,
        };
        let attrs = &self.m.op(self.op).attrs;
        infer_result_types(self.kind(), &InferInput { operands: &types, attrs, current: &current, constant: &constant })
    }

    /// The value type of result `i`: from the IR when known, else from the run-time operands.
    pub fn result_vt(&self, i: usize) -> Result<ValueType, String> {
        if let Some(vt) = self.static_type(i).value_type() {
            return Ok(vt);
        }
        let t = self.dynamic_types()?;
        t.get(i)
            .and_then(Type::value_type)
            .ok_or_else(|| format!("cannot determine the value type of the result of `{}`", self.kind().name()))
    }
}
