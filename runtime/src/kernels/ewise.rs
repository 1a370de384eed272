//! Elementwise kernels: unary and binary operations on scalars and matrices with DAPHNE's
//! broadcasting (matrix-scalar, scalar-matrix, matrix-matrix, matrix-row vector, matrix-column
//! vector), comparisons, the conditional `?:`, and string concatenation. Operands are cast to the
//! computation type first (C++ semantics per element type: wrapping integers, IEEE floats).
//! [`ewise_kernel`] runs any op of the elementwise families (unary, binary, outer) by the function
//! the op table gives it.

use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::elem::{Num, Scalar};
use crate::kernels::args::{OpArgs, Out, one, wrong_family};
use crate::kernels::par;
use crate::matrix::{Dense, DenseElem, Matrix};
use crate::{with_num_dense, with_num_vt};
use daphne_ir::ops::{BinaryFn, Family, UnaryFn};
use daphne_ir::{OpKind, ValueType};
use std::mem::MaybeUninit;

// ------------------------------------------------------------------------------------------
// Scalar semantics
// ------------------------------------------------------------------------------------------

/// C++ `std::min`: `(b < a) ? b : a`.
fn cpp_min<T: Num>(a: T, b: T) -> T {
    if b < a { b } else { a }
}

/// C++ `std::max`: `(a < b) ? b : a`.
fn cpp_max<T: Num>(a: T, b: T) -> T {
    if a < b { b } else { a }
}

fn pow<T: Num>(a: T, b: T) -> T {
    if T::VT == ValueType::F32 {
        T::from_f64((a.to_f64() as f32).powf(b.to_f64() as f32) as f64)
    } else {
        T::from_f64(a.to_f64().powf(b.to_f64()))
    }
}

fn fmod<T: Num>(a: T, b: T) -> T {
    if T::VT == ValueType::F32 {
        T::from_f64(((a.to_f64() as f32) % (b.to_f64() as f32)) as f64)
    } else {
        T::from_f64(a.to_f64() % b.to_f64())
    }
}

fn log_base<T: Num>(a: T, b: T) -> T {
    if T::VT == ValueType::F32 {
        T::from_f64(((a.to_f64() as f32).ln() / (b.to_f64() as f32).ln()) as f64)
    } else {
        T::from_f64(a.to_f64().ln() / b.to_f64().ln())
    }
}

/// One side of a binary operation: a matrix or a single value.
enum Side<'a, T> {
    Mat(&'a DenseMatrix<T>),
    Sca(T),
}

impl<T: Num> Side<'_, T> {
    fn shape(&self) -> (usize, usize) {
        match self {
            Side::Mat(m) => (m.rows(), m.cols()),
            Side::Sca(_) => (1, 1),
        }
    }
}

/// How the right side is broadcast over the left.
fn broadcast_shape(l: (usize, usize), r: (usize, usize), op: &str) -> Result<(usize, usize), String> {
    if l == r || r == (1, 1) || (r.0 == 1 && r.1 == l.1) || (r.1 == 1 && r.0 == l.0) {
        return Ok(l);
    }
    if l == (1, 1) {
        return Ok(r);
    }
    Err(format!(
        "the shapes of the operands of `{op}` do not match: {}x{} and {}x{} (the right operand may be a matrix of the same shape, a row vector, a column vector or a scalar)",
        l.0, l.1, r.0, r.1
    ))
}

fn value_at<T: Num>(s: &Side<'_, T>, r: usize, c: usize) -> T {
    match s {
        Side::Sca(v) => *v,
        Side::Mat(m) => {
            let rr = if m.rows() == 1 { 0 } else { r };
            let cc = if m.cols() == 1 { 0 } else { c };
            *m.get(rr, cc)
        }
    }
}

/// Applies `f` cell by cell with broadcasting; the common cases run as tight loops, large
/// results on all cores (`par`).
fn zip<T: Num, U: Num>(
    lhs: Side<'_, T>,
    rhs: Side<'_, T>,
    op: &str,
    f: impl Fn(T, T) -> U + Sync,
) -> Result<DenseMatrix<U>, String> {
    let (rows, cols) = broadcast_shape(lhs.shape(), rhs.shape(), op)?;
    let row_of = |r: usize, out: &mut [MaybeUninit<U>]| -> usize {
        match (&lhs, &rhs) {
            (Side::Mat(a), Side::Mat(b)) if a.rows() == b.rows() && a.cols() == b.cols() => {
                par::write_zip(out, a.row(r), b.row(r), &f)
            }
            (Side::Mat(a), Side::Mat(b)) if b.rows() == 1 && a.rows() == rows && a.cols() == cols => {
                let br = b.row(0);
                if br.len() == cols {
                    par::write_zip(out, a.row(r), br, &f)
                } else {
                    let y = br[0];
                    par::write_map(out, a.row(r), |x| f(x, y))
                }
            }
            (Side::Mat(a), Side::Mat(b)) if b.cols() == 1 && a.rows() == rows && a.cols() == cols => {
                let y = *b.get(r, 0);
                par::write_map(out, a.row(r), |x| f(x, y))
            }
            (Side::Mat(a), Side::Sca(y)) => par::write_map(out, a.row(r), |x| f(x, *y)),
            (Side::Sca(x), Side::Mat(b)) => par::write_map(out, b.row(r), |y| f(*x, y)),
            _ => {
                for (c, o) in out.iter_mut().enumerate() {
                    o.write(f(value_at(&lhs, r, c), value_at(&rhs, r, c)));
                }
                out.len()
            }
        }
    };
    let out = par::build(rows, cols, |r0, block: &mut [MaybeUninit<U>]| {
        block.chunks_mut(cols).enumerate().map(|(i, out)| row_of(r0 + i, out)).sum()
    });
    Ok(DenseMatrix::from_vec(rows, cols, out))
}

/// Runs a numeric binary op over typed sides, producing cells of type `T`.
fn num_binary<T: Num + DenseElem>(op: BinaryFn, lhs: Side<'_, T>, rhs: Side<'_, T>) -> Result<DenseMatrix<T>, String> {
    let name = op.symbol();
    if !T::IS_FLOAT && matches!(op, BinaryFn::Div) {
        let zero_divisor = match &rhs {
            Side::Sca(y) => y.is_zero(),
            Side::Mat(m) => m.iter().any(|y| y.is_zero()),
        };
        if zero_divisor && T::VT != ValueType::Bool {
            return Err(format!("integer division by zero ({})", T::CPP_NAME));
        }
    }
    match op {
        BinaryFn::Add => zip(lhs, rhs, name, |a: T, b| a.add(b)),
        BinaryFn::Sub => zip(lhs, rhs, name, |a: T, b| a.sub(b)),
        BinaryFn::Mul => zip(lhs, rhs, name, |a: T, b| a.mul(b)),
        BinaryFn::Div => zip(lhs, rhs, name, |a: T, b| a.div(b)),
        // Squaring is the common case (`X ^ 2`): a multiplication instead of a call of `pow`.
        BinaryFn::Pow if T::IS_FLOAT && matches!(&rhs, Side::Sca(y) if y.to_f64() == 2.0) => {
            zip(lhs, rhs, name, |a: T, _| a.mul(a))
        }
        BinaryFn::Pow => zip(lhs, rhs, name, pow::<T>),
        BinaryFn::Mod => zip(lhs, rhs, name, fmod::<T>),
        BinaryFn::Log => zip(lhs, rhs, name, log_base::<T>),
        BinaryFn::Min => zip(lhs, rhs, name, cpp_min::<T>),
        BinaryFn::Max => zip(lhs, rhs, name, cpp_max::<T>),
        BinaryFn::And => zip(lhs, rhs, name, |a: T, b: T| T::from_bool(a.to_bool() && b.to_bool())),
        BinaryFn::Or => zip(lhs, rhs, name, |a: T, b: T| T::from_bool(a.to_bool() || b.to_bool())),
        BinaryFn::Xor => zip(lhs, rhs, name, |a: T, b: T| T::from_bool(a.to_bool() != b.to_bool())),
        BinaryFn::Eq => zip(lhs, rhs, name, |a: T, b| T::from_bool(a == b)),
        BinaryFn::Neq => zip(lhs, rhs, name, |a: T, b| T::from_bool(a != b)),
        BinaryFn::Lt => zip(lhs, rhs, name, |a: T, b| T::from_bool(a < b)),
        BinaryFn::Le => zip(lhs, rhs, name, |a: T, b| T::from_bool(a <= b)),
        BinaryFn::Gt => zip(lhs, rhs, name, |a: T, b| T::from_bool(a > b)),
        BinaryFn::Ge => zip(lhs, rhs, name, |a: T, b| T::from_bool(a >= b)),
        BinaryFn::Concat => Err("`concat` needs strings".into()),
    }
}

/// String operands: concatenation and comparisons (lexicographic, byte-wise as in C++).
fn str_binary(op: BinaryFn, lhs: &StrSide<'_>, rhs: &StrSide<'_>) -> Result<Dense, String> {
    let (rows, cols) = broadcast_shape(lhs.shape(), rhs.shape(), op.symbol())?;
    let at = |s: &StrSide<'_>, r: usize, c: usize| -> String {
        match s {
            StrSide::Sca(v) => v.clone(),
            StrSide::Mat(m) => {
                let rr = if m.rows() == 1 { 0 } else { r };
                let cc = if m.cols() == 1 { 0 } else { c };
                m.get(rr, cc).clone()
            }
        }
    };
    match op {
        BinaryFn::Add | BinaryFn::Concat => {
            Ok(Dense::Str(DenseMatrix::from_fn(rows, cols, |r, c| at(lhs, r, c) + &at(rhs, r, c))))
        }
        _ if op.is_comparison() => Ok(Dense::SI64(DenseMatrix::from_fn(rows, cols, |r, c| {
            let (a, b) = (at(lhs, r, c), at(rhs, r, c));
            i64::from(match op {
                BinaryFn::Eq => a == b,
                BinaryFn::Neq => a != b,
                BinaryFn::Lt => a < b,
                BinaryFn::Le => a <= b,
                BinaryFn::Gt => a > b,
                _ => a >= b,
            })
        }))),
        _ => Err(format!("the operation `{}` is not supported on strings", op.symbol())),
    }
}

enum StrSide<'a> {
    Mat(&'a DenseMatrix<String>),
    Sca(String),
}

impl StrSide<'_> {
    fn shape(&self) -> (usize, usize) {
        match self {
            StrSide::Mat(m) => (m.rows(), m.cols()),
            StrSide::Sca(_) => (1, 1),
        }
    }
}

/// The value type binary `op` computes in: the result type, except that comparisons compute in
/// the most general operand type (their result may be a different type, e.g. si64 for strings).
fn compute_vt(op: BinaryFn, lhs: ValueType, rhs: ValueType, res_vt: ValueType) -> ValueType {
    if op.is_comparison() { lhs.most_general(rhs) } else { res_vt }
}

enum Operand {
    Sca(Scalar),
    Mat(Dense),
}

fn operand(d: &Data, vt: ValueType) -> Result<Operand, String> {
    match d {
        Data::Scalar(s) => {
            let v = crate::matrix::Dense::filled(vt, 1, 1, s)?;
            Ok(Operand::Sca(v.get(0, 0)))
        }
        Data::Matrix(m) => Ok(Operand::Mat(m.dense().cast(vt)?)),
        other => Err(format!("elementwise operations are not supported on a {}", other.kind())),
    }
}

fn str_side(o: &Operand) -> Result<StrSide<'_>, String> {
    Ok(match o {
        Operand::Sca(s) => StrSide::Sca(crate::elem::scalar_to_string(s)),
        Operand::Mat(Dense::Str(m)) => StrSide::Mat(m),
        Operand::Mat(_) => return Err("internal error: string operand was not cast to strings".into()),
    })
}

fn num_side<T: Num + DenseElem>(o: &Operand) -> Result<Side<'_, T>, String> {
    Ok(match o {
        Operand::Sca(s) => Side::Sca(T::from_scalar(s)?),
        Operand::Mat(m) => Side::Mat(T::unwrap(m).ok_or("internal error: operand was not cast")?),
    })
}

/// `lhs op rhs` on scalars and matrices; `res_vt` is the result value type from type inference.
pub fn binary(op: BinaryFn, lhs: &Data, rhs: &Data, res_vt: ValueType) -> Result<Data, String> {
    let (Some(lvt), Some(rvt)) = (lhs.value_type(), rhs.value_type()) else {
        return Err(format!("elementwise `{}` is not supported on a {} and a {}", op.symbol(), lhs.kind(), rhs.kind()));
    };
    let cvt = compute_vt(op, lvt, rvt, res_vt).storage_vt();
    let (l, r) = (operand(lhs, cvt)?, operand(rhs, cvt)?);
    let both_scalar = matches!((&l, &r), (Operand::Sca(_), Operand::Sca(_)));
    let dense = if cvt == ValueType::Str {
        str_binary(op, &str_side(&l)?, &str_side(&r)?)?
    } else {
        with_num_vt!(cvt, T => {
            T::wrap(num_binary::<T>(op, num_side::<T>(&l)?, num_side::<T>(&r)?)?)
        }, str => unreachable!("strings are handled above"))
    };
    let dense = if dense.vt() == res_vt.storage_vt() { dense } else { dense.cast(res_vt)? };
    if both_scalar {
        let mut s = dense.get(0, 0);
        if res_vt == ValueType::Index {
            s = Scalar::Index(s.as_i128().unwrap_or(0) as i64);
        }
        Ok(Data::Scalar(s))
    } else {
        Ok(Data::Matrix(Matrix::Dense(dense)))
    }
}

/// The generalized outer product: column vector `lhs` (m x 1) against row vector `rhs` (1 x n).
pub fn outer(op: BinaryFn, lhs: &Data, rhs: &Data, res_vt: ValueType) -> Result<Data, String> {
    let (Data::Matrix(a), Data::Matrix(b)) = (lhs, rhs) else {
        return Err("outer operations need two matrices".into());
    };
    if a.cols() != 1 || b.rows() != 1 {
        return Err(format!(
            "outer operations need a column vector (m x 1) and a row vector (1 x n), but got {}x{} and {}x{}",
            a.rows(),
            a.cols(),
            b.rows(),
            b.cols()
        ));
    }
    let (m, n) = (a.rows(), b.cols());
    let a_wide = crate::kernels::reorg::repeat_cols(&a.dense(), n)?;
    let b_tall = crate::kernels::reorg::repeat_rows(&b.dense(), m)?;
    binary(op, &Data::Matrix(a_wide.into()), &Data::Matrix(b_tall.into()), res_vt)
}

// ------------------------------------------------------------------------------------------
// Unary
// ------------------------------------------------------------------------------------------

fn domain_error(x: f64, what: &str) -> String {
    format!("invalid argument '{}' passed to unary func {what}", crate::format::fmt_g(x))
}

fn num_unary<T: Num>(op: UnaryFn, m: &DenseMatrix<T>) -> Result<DenseMatrix<T>, String> {
    let f64_map = |f: fn(f64) -> f64| -> DenseMatrix<T> { par::map(m, |x| T::from_f64(f(x.to_f64()))) };
    let f32_or_f64 = |f: fn(f64) -> f64, g: fn(f32) -> f32| -> DenseMatrix<T> {
        if T::VT == ValueType::F32 { par::map(m, |x| T::from_f64(g(x.to_f64() as f32) as f64)) } else { f64_map(f) }
    };
    let check = |lo: f64, hi: f64, what: &str| -> Result<(), String> {
        match m.iter().map(|x| x.to_f64()).find(|v| *v < lo || *v > hi) {
            Some(v) => Err(domain_error(v, what)),
            None => Ok(()),
        }
    };
    Ok(match op {
        UnaryFn::Minus => par::map(m, |x| x.neg()),
        UnaryFn::Abs => {
            if T::IS_FLOAT {
                f32_or_f64(f64::abs, f32::abs)
            } else if T::IS_SIGNED {
                par::map(m, |x| if *x < T::zero() { x.neg() } else { *x })
            } else {
                m.clone()
            }
        }
        UnaryFn::Sign => par::map(m, |x| {
            if x.is_zero() {
                T::zero()
            } else if *x < T::zero() {
                T::from_f64(-1.0)
            } else if *x > T::zero() {
                T::one()
            } else {
                T::from_f64(f64::NAN)
            }
        }),
        UnaryFn::Exp => f32_or_f64(f64::exp, f32::exp),
        UnaryFn::Ln => {
            check(-0.0, f64::INFINITY, "LN with domain [-0, inf]")?;
            f32_or_f64(f64::ln, f32::ln)
        }
        UnaryFn::Sqrt => {
            check(-0.0, f64::INFINITY, "SQRT with domain [-0, inf]")?;
            f32_or_f64(f64::sqrt, f32::sqrt)
        }
        UnaryFn::Round => {
            if T::IS_FLOAT {
                f32_or_f64(f64::round, f32::round)
            } else {
                m.clone()
            }
        }
        UnaryFn::Floor => {
            if T::IS_FLOAT {
                f32_or_f64(f64::floor, f32::floor)
            } else {
                m.clone()
            }
        }
        UnaryFn::Ceil => {
            if T::IS_FLOAT {
                f32_or_f64(f64::ceil, f32::ceil)
            } else {
                m.clone()
            }
        }
        UnaryFn::Sin => f32_or_f64(f64::sin, f32::sin),
        UnaryFn::Cos => f32_or_f64(f64::cos, f32::cos),
        UnaryFn::Tan => f32_or_f64(f64::tan, f32::tan),
        UnaryFn::Sinh => f32_or_f64(f64::sinh, f32::sinh),
        UnaryFn::Cosh => f32_or_f64(f64::cosh, f32::cosh),
        UnaryFn::Tanh => f32_or_f64(f64::tanh, f32::tanh),
        UnaryFn::Asin => {
            check(-1.0, 1.0, "ASIN with domain [-1, 1]")?;
            f32_or_f64(f64::asin, f32::asin)
        }
        UnaryFn::Acos => {
            check(-1.0, 1.0, "ACOS with domain [-1, 1]")?;
            f32_or_f64(f64::acos, f32::acos)
        }
        UnaryFn::Atan => f32_or_f64(f64::atan, f32::atan),
        UnaryFn::IsNan => par::map(m, |x| T::from_bool(x.is_nan())),
        UnaryFn::Lower | UnaryFn::Upper => return Err("`lower`/`upper` need strings".into()),
    })
}

/// `op(arg)` on a scalar or matrix; `res_vt` is the result value type from type inference.
pub fn unary(op: UnaryFn, arg: &Data, res_vt: ValueType) -> Result<Data, String> {
    let (m, scalar) = match arg {
        Data::Scalar(s) => (Dense::filled(res_vt, 1, 1, s)?, true),
        Data::Matrix(m) => (m.dense().cast(res_vt)?, false),
        other => return Err(format!("elementwise operations are not supported on a {}", other.kind())),
    };
    let out = with_num_dense!(&m, t => DenseElem::wrap(num_unary(op, t)?), s => {
        match op {
            UnaryFn::Lower => Dense::Str(s.map(|x| x.to_ascii_lowercase())),
            UnaryFn::Upper => Dense::Str(s.map(|x| x.to_ascii_uppercase())),
            _ => return Err("this operation is not supported on strings".to_string()),
        }
    });
    if scalar {
        let mut s = out.get(0, 0);
        if res_vt == ValueType::Index {
            s = Scalar::Index(s.as_i128().unwrap_or(0) as i64);
        }
        Ok(Data::Scalar(s))
    } else {
        Ok(Data::Matrix(Matrix::Dense(out)))
    }
}

// ------------------------------------------------------------------------------------------
// Conditional
// ------------------------------------------------------------------------------------------

/// `cond ? a : b`: a scalar condition picks a whole value; a matrix condition picks cell by cell
/// (the branches may be matrices of the same shape or scalars).
pub fn cond(c: &Data, a: &Data, b: &Data, res_vt: Option<ValueType>) -> Result<Data, String> {
    match c {
        Data::Scalar(s) => {
            let take = s.as_f64().is_some_and(|v| v != 0.0) || matches!(s, Scalar::Str(x) if !x.is_empty());
            Ok(if take { a.clone() } else { b.clone() })
        }
        Data::Matrix(cm) => {
            let vt = res_vt.or(a.value_type()).ok_or("the branches of `?:` must be scalars or matrices")?;
            let pick = |d: &Data| -> Result<Dense, String> {
                match d {
                    Data::Scalar(s) => Dense::filled(vt, cm.rows(), cm.cols(), s),
                    Data::Matrix(m) if m.rows() == cm.rows() && m.cols() == cm.cols() => m.dense().cast(vt),
                    Data::Matrix(m) => Err(format!(
                        "the branches of `?:` must have the shape of the condition ({}x{}), but one is {}x{}",
                        cm.rows(),
                        cm.cols(),
                        m.rows(),
                        m.cols()
                    )),
                    other => Err(format!("the branches of `?:` cannot be a {}", other.kind())),
                }
            };
            let (ta, tb) = (pick(a)?, pick(b)?);
            let cd = cm.dense().cast(ValueType::F64)?;
            let Dense::F64(cf) = &cd else { return Err("internal error: condition cast".into()) };
            let values: Vec<Scalar> = (0..cm.rows())
                .flat_map(|r| (0..cm.cols()).map(move |c| (r, c)))
                .map(|(r, c)| if *cf.get(r, c) != 0.0 { ta.get(r, c) } else { tb.get(r, c) })
                .collect();
            Ok(Data::Matrix(Matrix::Dense(Dense::from_scalars(vt, cm.rows(), cm.cols(), &values)?)))
        }
        other => Err(format!("the condition of `?:` cannot be a {}", other.kind())),
    }
}

/// The elementwise ops (binary, outer, unary) with result value type `vt`; `None` if `kind` is
/// not one of them. Also what constant folding evaluates them with.
pub fn ewise_kernel(kind: OpKind, args: &[Data], vt: ValueType) -> Option<Result<Data, String>> {
    let (f, is_outer) = match kind.family() {
        Family::Binary(f) => (f, false),
        Family::Outer(f) => (f, true),
        Family::Unary(f) => {
            let [arg] = args else {
                return Some(Err(format!("`{}` needs one operand", kind.name())));
            };
            return Some(unary(f, arg, vt));
        }
        _ => return None,
    };
    let [lhs, rhs] = args else {
        return Some(Err(format!("`{}` needs two operands", kind.name())));
    };
    // `+` on strings is concatenation (DAPHNE canonicalizes ewAdd to ewConcat).
    let f = if f == BinaryFn::Add && vt == ValueType::Str { BinaryFn::Concat } else { f };
    Some(if is_outer { outer(f, lhs, rhs, vt) } else { binary(f, lhs, rhs, vt) })
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// The elementwise unary, binary and outer ops: the function comes from the op table.
pub fn run_ewise(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    match ewise_kernel(a.kind(), a.all(), vt) {
        Some(r) => one(r?),
        None => Err(wrong_family(a.kind(), "elementwise")),
    }
}

/// `daphne.cond` (`?:`).
pub fn run_cond(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0).ok();
    one(cond(a.get(0), a.get(1), a.get(2), vt)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mat(rows: usize, cols: usize, v: Vec<f64>) -> Data {
        Data::Matrix(Matrix::Dense(Dense::F64(DenseMatrix::from_vec(rows, cols, v))))
    }

    fn cells(d: &Data) -> Vec<Scalar> {
        match d {
            Data::Matrix(m) => {
                let dd = m.dense();
                (0..m.rows()).flat_map(|r| (0..m.cols()).map(move |c| (r, c))).map(|(r, c)| dd.get(r, c)).collect()
            }
            Data::Scalar(s) => vec![s.clone()],
            _ => vec![],
        }
    }

    #[test]
    fn broadcasting() {
        let x = mat(2, 2, vec![1.0, 2.0, 3.0, 4.0]);
        let row = mat(1, 2, vec![10.0, 20.0]);
        let col = mat(2, 1, vec![100.0, 200.0]);
        let f = |v: Vec<f64>| v.into_iter().map(Scalar::F64).collect::<Vec<_>>();
        assert_eq!(cells(&binary(BinaryFn::Add, &x, &row, ValueType::F64).unwrap()), f(vec![11.0, 22.0, 13.0, 24.0]));
        assert_eq!(
            cells(&binary(BinaryFn::Add, &x, &col, ValueType::F64).unwrap()),
            f(vec![101.0, 102.0, 203.0, 204.0])
        );
        let two = Data::Scalar(Scalar::SI64(2));
        assert_eq!(cells(&binary(BinaryFn::Sub, &two, &x, ValueType::F64).unwrap()), f(vec![1.0, 0.0, -1.0, -2.0]));
        assert!(binary(BinaryFn::Add, &x, &mat(3, 1, vec![1.0, 2.0, 3.0]), ValueType::F64).is_err());
    }

    #[test]
    fn scalar_semantics() {
        let s = |v: i64| Data::Scalar(Scalar::SI64(v));
        let r = binary(BinaryFn::Div, &s(7), &s(2), ValueType::SI64).unwrap();
        assert!(matches!(r, Data::Scalar(Scalar::SI64(3))));
        assert!(binary(BinaryFn::Div, &s(7), &s(0), ValueType::SI64).is_err());
        let r = binary(BinaryFn::Pow, &s(2), &s(10), ValueType::SI64).unwrap();
        assert!(matches!(r, Data::Scalar(Scalar::SI64(1024))));
        let r = binary(BinaryFn::Lt, &Data::Scalar(Scalar::F64(1.5)), &s(2), ValueType::F64).unwrap();
        assert!(matches!(r, Data::Scalar(Scalar::F64(v)) if v == 1.0));
        let cat = binary(
            BinaryFn::Add,
            &Data::Scalar(Scalar::Str("x".into())),
            &Data::Scalar(Scalar::F64(1.5)),
            ValueType::Str,
        )
        .unwrap();
        assert!(matches!(cat, Data::Scalar(Scalar::Str(ref v)) if v == "x1.500000"));
    }

    #[test]
    fn unary_domains() {
        assert!(unary(UnaryFn::Sqrt, &Data::Scalar(Scalar::F64(-1.0)), ValueType::F64).is_err());
        let r = unary(UnaryFn::Sign, &Data::Scalar(Scalar::SI64(-5)), ValueType::SI64).unwrap();
        assert!(matches!(r, Data::Scalar(Scalar::SI64(-1))));
    }
}
