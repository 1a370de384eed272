//! Indexing: row and column ranges (views, no copy), position lists, bit-vector filters and the
//! copy-on-write insertion behind left indexing; on matrices and frames. Negative positions count
//! from the end, as in DAPHNE.

use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::elem::{Elem, Scalar};
use crate::frame::Frame;
use crate::kernels::args::{OpArgs, Out, one};
use crate::matrix::{Dense, DenseElem, Matrix};
use crate::with_dense;
use daphne_ir::ValueType;

/// Resolves negative bounds like DAPHNE's `SliceRow`/`SliceCol` and checks them.
pub fn resolve_range(lo: i64, hi: i64, n: usize, what: &str) -> Result<(usize, usize), String> {
    let (mut l, mut h) = (lo, hi);
    let ni = n as i64;
    if l < 0 {
        l += ni;
        if h <= 0 {
            h += ni;
        }
    } else if h < 0 {
        h += ni;
    }
    if l < 0 || l >= ni || h < l || h > ni {
        let axis = if what == "SliceRow" { "rows" } else { "cols" };
        return Err(format!(
            "invalid arguments '{lo}, {hi}' passed to {what}: it must hold 0 <= lowerIncl < #{axis} and lowerIncl <= upperExcl <= #{axis} where #{axis} of arg is '{n}'"
        ));
    }
    Ok((l as usize, h as usize))
}

/// `X[lo:hi, ]`
pub fn slice_rows(obj: &Data, lo: i64, hi: i64) -> Result<Data, String> {
    match obj {
        Data::Matrix(m) => {
            let (l, h) = resolve_range(lo, hi, m.rows(), "SliceRow")?;
            Ok(Data::Matrix(match m {
                Matrix::Dense(d) => Matrix::Dense(d.slice_rows(l, h)),
                Matrix::Csr(c) => {
                    Matrix::Csr(crate::with_csr!(c, s => crate::matrix::CsrElem::wrap_csr(s.slice_rows(l, h))))
                }
            }))
        }
        Data::Frame(f) => {
            let (l, h) = resolve_range(lo, hi, f.rows(), "SliceRow")?;
            Ok(Data::Frame(f.slice_rows(l, h)))
        }
        other => Err(format!("cannot slice the rows of a {}", other.kind())),
    }
}

/// `X[, lo:hi]`
pub fn slice_cols(obj: &Data, lo: i64, hi: i64) -> Result<Data, String> {
    match obj {
        Data::Matrix(m) => {
            let (l, h) = resolve_range(lo, hi, m.cols(), "SliceCol")?;
            Ok(Data::Matrix(Matrix::Dense(m.dense().slice_cols(l, h))))
        }
        Data::Frame(f) => {
            let (l, h) = resolve_range(lo, hi, f.cols(), "SliceCol")?;
            let idx: Vec<usize> = (l..h).collect();
            Ok(Data::Frame(f.select_columns(&idx)?))
        }
        other => Err(format!("cannot slice the columns of a {}", other.kind())),
    }
}

/// The rows at the given positions (a copy).
pub fn gather_rows(m: &Dense, idx: &[usize]) -> Dense {
    with_dense!(m, t => {
        let mut v = Vec::with_capacity(idx.len() * t.cols());
        for &r in idx {
            v.extend_from_slice(t.row(r));
        }
        DenseElem::wrap(DenseMatrix::from_vec(idx.len(), t.cols(), v))
    })
}

/// The columns at the given positions (a copy).
pub fn gather_cols(m: &Dense, idx: &[usize]) -> Dense {
    with_dense!(m, t => DenseElem::wrap(DenseMatrix::from_fn(t.rows(), idx.len(), |r, c| t.get(r, idx[c]).clone())))
}

/// The positions held by a position-list matrix (a column or row vector), resolved against `n`.
fn positions(sel: &Matrix, n: usize, what: &str) -> Result<Vec<usize>, String> {
    let d = sel.dense().cast(ValueType::F64)?;
    let Dense::F64(p) = d else { return Err("internal error: positions".into()) };
    if p.rows() != 1 && p.cols() != 1 {
        return Err(format!("{what}: the positions must be a row or column vector, but are {}x{}", p.rows(), p.cols()));
    }
    p.iter()
        .map(|x| {
            let mut i = x.trunc() as i64;
            if i < 0 {
                i += n as i64;
            }
            if i < 0 || i as usize >= n {
                Err(format!("invalid argument '{}' passed to {what}: out of bounds for boundaries '[0, {n})'", x))
            } else {
                Ok(i as usize)
            }
        })
        .collect()
}

/// `X[positions, ]`
pub fn extract_rows(obj: &Data, sel: &Matrix) -> Result<Data, String> {
    match obj {
        Data::Matrix(m) => {
            let idx = positions(sel, m.rows(), "ExtractRow")?;
            Ok(Data::Matrix(Matrix::Dense(gather_rows(&m.dense(), &idx))))
        }
        Data::Frame(f) => {
            let idx = positions(sel, f.rows(), "ExtractRow")?;
            let cols = f.columns().iter().map(|c| gather_rows(c, &idx)).collect();
            Ok(Data::Frame(Frame::new(cols, f.labels().to_vec())?))
        }
        other => Err(format!("cannot index the rows of a {}", other.kind())),
    }
}

/// `X[, positions]` or, for frames, `F[, "label"]`.
pub fn extract_cols(obj: &Data, sel: &Data) -> Result<Data, String> {
    match (obj, sel) {
        (Data::Matrix(m), Data::Matrix(s)) => {
            let idx = positions(s, m.cols(), "ExtractCol")?;
            Ok(Data::Matrix(Matrix::Dense(gather_cols(&m.dense(), &idx))))
        }
        (Data::Frame(f), Data::Matrix(s)) => {
            let idx = positions(s, f.cols(), "ExtractCol")?;
            Ok(Data::Frame(f.select_columns(&idx)?))
        }
        (Data::Frame(f), Data::Scalar(Scalar::Str(label))) => match f.column_index(label) {
            Some(i) => Ok(Data::Frame(f.select_columns(&[i])?)),
            None => Err(format!("column label not found: '{label}'")),
        },
        (o, s) => Err(format!("cannot index the columns of a {} with a {}", o.kind(), s.kind())),
    }
}

/// The rows (or columns) whose bit in `sel` is non-zero.
fn selected(sel: &Matrix, n: usize, what: &str) -> Result<Vec<usize>, String> {
    if sel.cols() != 1 {
        return Err(format!("{what}: the bit vector must be a single-column matrix"));
    }
    if sel.rows() != n {
        return Err(format!("{what}: the bit vector must have exactly one entry for each of the {n} positions"));
    }
    let d = sel.dense().cast(ValueType::F64)?;
    let Dense::F64(b) = d else { return Err("internal error: filter".into()) };
    Ok(b.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(i, _)| i).collect())
}

/// `X[[bits, ]]`
pub fn filter_rows(obj: &Data, sel: &Matrix) -> Result<Data, String> {
    match obj {
        Data::Matrix(m) => {
            let idx = selected(sel, m.rows(), "FilterRow")?;
            Ok(Data::Matrix(Matrix::Dense(gather_rows(&m.dense(), &idx))))
        }
        Data::Frame(f) => {
            let idx = selected(sel, f.rows(), "FilterRow")?;
            let cols = f.columns().iter().map(|c| gather_rows(c, &idx)).collect();
            Ok(Data::Frame(Frame::new(cols, f.labels().to_vec())?))
        }
        other => Err(format!("cannot filter the rows of a {}", other.kind())),
    }
}

/// `X[[, bits]]`
pub fn filter_cols(obj: &Data, sel: &Matrix) -> Result<Data, String> {
    let sel = if sel.cols() != 1 && sel.rows() == 1 { Matrix::Dense(sel.dense().transpose()) } else { sel.clone() };
    match obj {
        Data::Matrix(m) => {
            let idx = selected(&sel, m.cols(), "FilterCol")?;
            Ok(Data::Matrix(Matrix::Dense(gather_cols(&m.dense(), &idx))))
        }
        Data::Frame(f) => {
            let idx = selected(&sel, f.cols(), "FilterCol")?;
            Ok(Data::Frame(f.select_columns(&idx)?))
        }
        other => Err(format!("cannot filter the columns of a {}", other.kind())),
    }
}

/// `X[lo:hi, ] = ins` (`rows = true`) or `X[, lo:hi] = ins`: a copy of `X` with the addressed
/// rows or columns replaced. `ins` may be a matrix of the addressed shape or a scalar.
pub fn insert(obj: &Data, ins: &Data, lo: i64, hi: i64, rows: bool) -> Result<Data, String> {
    let what = if rows { "InsertRow" } else { "InsertCol" };
    let Data::Matrix(m) = obj else {
        return Err(format!("left indexing is only supported on matrices, not on a {}", obj.kind()));
    };
    let n = if rows { m.rows() } else { m.cols() };
    let (mut l, mut h) = (lo, hi);
    if l < 0 {
        l += n as i64;
    }
    if h < 0 || (h == 0 && lo < 0) {
        h += n as i64;
    }
    if l < 0 || h < l || h as usize > n || (l as usize == n && l != 0) {
        let axis = if rows { "rows" } else { "cols" };
        return Err(format!(
            "invalid arguments '{lo}, {hi}' passed to {what}: it must hold 0 <= lowerIncl <= upperExcl <= #{axis} and lowerIncl < #{axis} (unless both are zero) where #{axis} of arg is '{n}'"
        ));
    }
    let (l, h) = (l as usize, h as usize);
    let vt = m.vt();
    let (want_rows, want_cols) = if rows { (h - l, m.cols()) } else { (m.rows(), h - l) };
    let block = match ins {
        Data::Scalar(s) => Dense::filled(vt, want_rows, want_cols, s)?,
        Data::Matrix(i) => i.dense().cast(vt)?,
        other => return Err(format!("cannot insert a {} into a matrix", other.kind())),
    };
    if block.rows() != want_rows || block.cols() != want_cols {
        return Err(format!(
            "invalid arguments passed to {what}: the addressed part of arg is {want_rows}x{want_cols}, but ins is {}x{}",
            block.rows(),
            block.cols()
        ));
    }
    let base = m.dense();
    let (r0, c0) = if rows { (l, 0) } else { (0, l) };
    let out = with_dense!(&*base, t => {
        let b = DenseElem::unwrap(&block).ok_or("internal error: insert types")?;
        DenseElem::wrap(t.with_block(r0, c0, b))
    });
    Ok(Data::Matrix(Matrix::Dense(out)))
}

/// The single cell of a 1 x 1 matrix (or a scalar as is), for `as.scalar`.
pub fn to_scalar(d: &Data) -> Result<Scalar, String> {
    match d {
        Data::Scalar(s) => Ok(s.clone()),
        Data::Matrix(m) if m.rows() == 1 && m.cols() == 1 => Ok(m.get(0, 0)),
        Data::Matrix(m) => Err(format!(
            "cannot cast a {}x{} matrix to a scalar (only a 1x1 matrix can be cast to a scalar)",
            m.rows(),
            m.cols()
        )),
        Data::Frame(f) if f.rows() == 1 && f.cols() == 1 => Ok(f.get(0, 0)),
        other => Err(format!("cannot cast a {} to a scalar", other.kind())),
    }
}

/// Whether a value's type name matches `T` (helper for generic code).
pub fn is<T: Elem>(m: &Dense) -> bool {
    m.vt() == T::VT
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.sliceRow` (`rows`) and `daphne.sliceCol`.
pub fn run_slice(a: &OpArgs<'_>, rows: bool) -> Out {
    let lo = a.int(1, "the lower bound")?;
    let hi = a.int(2, "the upper bound")?;
    one(if rows { slice_rows(a.get(0), lo, hi)? } else { slice_cols(a.get(0), lo, hi)? })
}

/// `daphne.extractRow`.
pub fn run_extract_row(a: &OpArgs<'_>) -> Out {
    let sel = a.matrix(1, "the row positions")?;
    one(extract_rows(a.get(0), sel)?)
}

/// `daphne.extractCol`.
pub fn run_extract_col(a: &OpArgs<'_>) -> Out {
    one(extract_cols(a.get(0), a.get(1))?)
}

/// `daphne.filterRow`.
pub fn run_filter_row(a: &OpArgs<'_>) -> Out {
    let sel = a.matrix(1, "the row filter")?;
    one(filter_rows(a.get(0), sel)?)
}

/// `daphne.filterCol`.
pub fn run_filter_col(a: &OpArgs<'_>) -> Out {
    let sel = a.matrix(1, "the column filter")?;
    one(filter_cols(a.get(0), sel)?)
}

/// `daphne.insertRow` (`rows`) and `daphne.insertCol`.
pub fn run_insert(a: &OpArgs<'_>, rows: bool) -> Out {
    let lo = a.int(2, "the lower bound")?;
    let hi = a.int(3, "the upper bound")?;
    one(insert(a.get(0), a.get(1), lo, hi, rows)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mat() -> Data {
        Data::Matrix(Matrix::Dense(Dense::SI64(DenseMatrix::from_fn(4, 3, |r, c| (r * 3 + c) as i64))))
    }

    #[test]
    fn slices_and_negative_positions() {
        let Data::Matrix(s) = slice_rows(&mat(), -2, 0).unwrap() else { panic!() };
        assert_eq!((s.rows(), s.get(0, 0)), (2, Scalar::SI64(6)));
        assert!(slice_rows(&mat(), 3, 5).is_err());
        let Data::Matrix(c) = slice_cols(&mat(), 1, 2).unwrap() else { panic!() };
        assert_eq!(c.get(3, 0), Scalar::SI64(10));
    }

    #[test]
    fn insertion_copies() {
        let ins = Data::Scalar(Scalar::SI64(-1));
        let Data::Matrix(m) = insert(&mat(), &ins, 1, 3, true).unwrap() else { panic!() };
        assert_eq!(m.get(2, 2), Scalar::SI64(-1));
        assert_eq!(m.get(3, 0), Scalar::SI64(9));
        let Data::Matrix(orig) = mat() else { panic!() };
        assert_eq!(orig.get(2, 2), Scalar::SI64(8));
    }
}
