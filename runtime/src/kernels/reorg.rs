//! Reorganization: `reshape`, `t`/`transpose`, `cbind`, `rbind`, `reverse` and `order` on
//! matrices (and frames where DAPHNE allows them), plus row/column repetition for outer ops.

use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::elem::{Elem, Scalar};
use crate::frame::Frame;
use crate::kernels::args::{OpArgs, Out, mat, one};
use crate::matrix::{Dense, DenseElem, Matrix};
use crate::with_dense;
use daphne_ir::ValueType;
use std::cmp::Ordering;

/// `reshape(X, rows, cols)`: the same cells, row-major, in a new shape.
pub fn reshape(m: &Dense, rows: usize, cols: usize) -> Result<Dense, String> {
    if rows * cols != m.rows() * m.cols() {
        return Err(format!(
            "reshape must retain the number of cells: {}x{} has {} cells, {rows}x{cols} has {}",
            m.rows(),
            m.cols(),
            m.rows() * m.cols(),
            rows * cols
        ));
    }
    Ok(with_dense!(m, t => DenseElem::wrap(DenseMatrix::from_vec(rows, cols, t.to_vec()))))
}

fn bind_dense(a: &Dense, b: &Dense, cols: bool, vt: ValueType) -> Result<Dense, String> {
    let (a, b) = (a.cast(vt)?, b.cast(vt)?);
    if cols && a.rows() != b.rows() {
        return Err(format!(
            "cbind: the two operands must have the same number of rows, but have {} and {}",
            a.rows(),
            b.rows()
        ));
    }
    if !cols && a.cols() != b.cols() {
        return Err(format!(
            "rbind: the two operands must have the same number of columns, but have {} and {}",
            a.cols(),
            b.cols()
        ));
    }
    with_dense!(&a, x => {
        let y = DenseElem::unwrap(&b).ok_or("internal error: bind operands differ in type")?;
        Ok(DenseElem::wrap(bind_typed(x, y, cols)))
    })
}

fn bind_typed<T: Elem>(a: &DenseMatrix<T>, b: &DenseMatrix<T>, cols: bool) -> DenseMatrix<T> {
    if cols {
        let mut v = Vec::with_capacity(a.rows() * (a.cols() + b.cols()));
        for r in 0..a.rows() {
            v.extend_from_slice(a.row(r));
            v.extend_from_slice(b.row(r));
        }
        DenseMatrix::from_vec(a.rows(), a.cols() + b.cols(), v)
    } else {
        let mut v = a.to_vec();
        v.extend(b.iter().cloned());
        DenseMatrix::from_vec(a.rows() + b.rows(), a.cols(), v)
    }
}

/// `cbind(a, b)` (`cols = true`) or `rbind(a, b)`: matrices side by side or stacked; frames
/// likewise (cbind needs unique labels, rbind the same schema and labels).
pub fn bind(a: &Data, b: &Data, cols: bool, vt: Option<ValueType>) -> Result<Data, String> {
    let name = if cols { "cbind" } else { "rbind" };
    match (a, b) {
        (Data::Matrix(x), Data::Matrix(y)) => {
            let vt = vt.unwrap_or_else(|| x.vt().most_general(y.vt()));
            Ok(Data::Matrix(Matrix::Dense(bind_dense(&x.dense(), &y.dense(), cols, vt)?)))
        }
        (Data::Frame(x), Data::Frame(y)) if cols => {
            if x.rows() != y.rows() {
                return Err(format!(
                    "cbind: the two operands must have the same number of rows, but have {} and {}",
                    x.rows(),
                    y.rows()
                ));
            }
            let mut columns = x.columns().to_vec();
            columns.extend(y.columns().iter().cloned());
            let mut labels = x.labels().to_vec();
            labels.extend(y.labels().iter().cloned());
            Ok(Data::Frame(Frame::new(columns, labels)?))
        }
        (Data::Frame(x), Data::Frame(y)) => {
            if x.cols() != y.cols() {
                return Err(format!(
                    "rbind: the two operands must have the same number of columns, but have {} and {}",
                    x.cols(),
                    y.cols()
                ));
            }
            if x.schema() != y.schema() {
                return Err("rbind: the two frames must have the same schema".into());
            }
            if x.labels() != y.labels() {
                return Err("rbind: the two frames must have the same column labels".into());
            }
            let columns = x
                .columns()
                .iter()
                .zip(y.columns())
                .map(|(p, q)| bind_dense(p, q, false, p.vt()))
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Data::Frame(Frame::new(columns, x.labels().to_vec())?))
        }
        (x, y) => Err(format!("{name} expects two matrices or two frames, not a {} and a {}", x.kind(), y.kind())),
    }
}

/// `reverse(X)`: the rows in reverse order.
pub fn reverse(m: &Dense) -> Dense {
    with_dense!(m, t => {
        let rows = t.rows();
        DenseElem::wrap(DenseMatrix::from_fn(rows, t.cols(), |r, c| t.get(rows - 1 - r, c).clone()))
    })
}

/// Repeats a matrix's single column `n` times (m x 1 -> m x n).
pub fn repeat_cols(m: &Dense, n: usize) -> Result<Dense, String> {
    with_dense!(m, t => Ok(DenseElem::wrap(DenseMatrix::from_fn(t.rows(), n, |r, _| t.get(r, 0).clone()))))
}

/// Repeats a matrix's single row `n` times (1 x m -> n x m).
pub fn repeat_rows(m: &Dense, n: usize) -> Result<Dense, String> {
    with_dense!(m, t => Ok(DenseElem::wrap(DenseMatrix::from_fn(n, t.cols(), |_, c| t.get(0, c).clone()))))
}

fn compare_scalars(a: &Scalar, b: &Scalar) -> Ordering {
    match (a, b) {
        (Scalar::Str(x), Scalar::Str(y)) => x.cmp(y),
        _ => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
    }
}

/// The row order of a stable multi-key sort: by `keys[0]`, then `keys[1]`, ...; each key is a
/// column index and whether it sorts ascending.
fn sorted_rows(rows: usize, cell: impl Fn(usize, usize) -> Scalar, keys: &[(usize, bool)]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows).collect();
    idx.sort_by(|&a, &b| {
        for &(c, asc) in keys {
            let o = compare_scalars(&cell(a, c), &cell(b, c));
            let o = if asc { o } else { o.reverse() };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    idx
}

/// `order(X, colIdxs..., ascs..., returnIdxs)`: the rows sorted (stably) by the given columns, or
/// the sorted positions as an n x 1 matrix of `index`.
pub fn order(arg: &Data, keys: &[(usize, bool)], return_indexes: bool) -> Result<Data, String> {
    let (rows, cols) = match arg {
        Data::Matrix(m) => (m.rows(), m.cols()),
        Data::Frame(f) => (f.rows(), f.cols()),
        other => return Err(format!("order expects a matrix or a frame, not a {}", other.kind())),
    };
    if let Some((c, _)) = keys.iter().find(|(c, _)| *c >= cols) {
        return Err(format!("order: column index {c} is out of bounds for {cols} columns"));
    }
    let idx = match arg {
        Data::Matrix(m) => {
            let d = m.dense();
            sorted_rows(rows, |r, c| d.get(r, c), keys)
        }
        Data::Frame(f) => sorted_rows(rows, |r, c| f.get(r, c), keys),
        _ => unreachable!("checked above"),
    };
    if return_indexes {
        let v: Vec<u64> = idx.iter().map(|i| *i as u64).collect();
        return Ok(Data::Matrix(Matrix::Dense(Dense::UI64(DenseMatrix::from_vec(rows, 1, v)))));
    }
    Ok(match arg {
        Data::Matrix(m) => Data::Matrix(Matrix::Dense(crate::kernels::index::gather_rows(&m.dense(), &idx))),
        Data::Frame(f) => {
            let columns = f.columns().iter().map(|c| crate::kernels::index::gather_rows(c, &idx)).collect();
            Data::Frame(Frame::new(columns, f.labels().to_vec())?)
        }
        _ => unreachable!("checked above"),
    })
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.reshape`.
pub fn run_reshape(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of reshape")?;
    let rows = a.size(1, "the number of rows")?;
    let cols = a.size(2, "the number of columns")?;
    mat(reshape(&m.dense(), rows, cols)?)
}

/// `daphne.transpose`.
pub fn run_transpose(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of t")?;
    mat(m.dense().transpose())
}

/// `daphne.colBind` (`cols`) and `daphne.rowBind`.
pub fn run_bind(a: &OpArgs<'_>, cols: bool) -> Out {
    let vt = a.result_vt(0).ok();
    one(bind(a.get(0), a.get(1), cols, vt)?)
}

/// `daphne.reverse`.
pub fn run_reverse(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of reverse")?;
    mat(reverse(&m.dense()))
}

/// `daphne.order`: the argument, then the key columns, their directions and `returnIndexes`.
pub fn run_order(a: &OpArgs<'_>) -> Out {
    let args = a.all();
    let n = (args.len() - 2) / 2;
    let mut keys = Vec::with_capacity(n);
    for i in 0..n {
        keys.push((a.size(1 + i, "a column index")?, a.flag(1 + n + i, "a sort direction")?));
    }
    let ret = a.flag(args.len() - 1, "returnIndexes")?;
    one(order(a.get(0), &keys, ret)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_stable_and_multi_key() {
        let m = Dense::SI64(DenseMatrix::from_vec(4, 2, vec![2, 1, 1, 9, 2, 0, 1, 3]));
        let d = Data::Matrix(Matrix::Dense(m));
        let Data::Matrix(idx) = order(&d, &[(0, true), (1, false)], true).unwrap() else { panic!() };
        let cells: Vec<Scalar> = (0..4).map(|r| idx.get(r, 0)).collect();
        assert_eq!(cells, vec![Scalar::UI64(1), Scalar::UI64(3), Scalar::UI64(0), Scalar::UI64(2)]);
    }

    #[test]
    fn reshape_and_bind() {
        let m = Dense::F64(DenseMatrix::from_vec(2, 2, vec![1.0, 2.0, 3.0, 4.0]));
        assert!(reshape(&m, 3, 1).is_err());
        let r = reshape(&m, 1, 4).unwrap();
        assert_eq!(r.get(0, 3), Scalar::F64(4.0));
        let d = Data::Matrix(Matrix::Dense(m));
        let Data::Matrix(c) = bind(&d, &d, true, None).unwrap() else { panic!() };
        assert_eq!((c.rows(), c.cols()), (2, 4));
        assert_eq!(c.get(1, 2), Scalar::F64(3.0));
    }
}
