//! Value transformations used in data preparation: `replace`, `ctable` (contingency tables),
//! `oneHot`, `recode`, `bin` and `quantize`, with DAPHNE's semantics and error messages.

use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::elem::{Elem, Num, Scalar};
use crate::kernels::args::{OpArgs, Out, mat};
use crate::matrix::{Dense, DenseElem, Matrix};
use crate::{with_num_dense, with_num_vt};
use daphne_ir::ValueType;

/// `replace(X, pattern, replacement)`: cells equal to `pattern` (or NaN cells for a NaN pattern)
/// become `replacement`.
pub fn replace(m: &Dense, pattern: &Scalar, replacement: &Scalar) -> Result<Dense, String> {
    with_num_dense!(m, t => {
        let p = Elem::from_scalar(pattern)?;
        let r = Elem::from_scalar(replacement)?;
        Ok(DenseElem::wrap(replace_typed(t, p, r)))
    }, s => {
        let (p, r) = (String::from_scalar(pattern)?, String::from_scalar(replacement)?);
        Ok(Dense::Str(s.map(|x| if *x == p { r.clone() } else { x.clone() })))
    })
}

fn replace_typed<T: Num>(m: &DenseMatrix<T>, p: T, r: T) -> DenseMatrix<T> {
    let nan = p.is_nan();
    m.map(|x| if *x == p || (nan && x.is_nan()) { r } else { *x })
}

/// `ctable(ys, xs, weight, rows, cols)`: a matrix with `weight` added at `(ys[i], xs[i])`; the
/// shape is one more than the largest coordinates unless given (negative = derive it).
pub fn ctable(lhs: &Dense, rhs: &Dense, weight: &Scalar, rows: i64, cols: i64, vt: ValueType) -> Result<Dense, String> {
    if lhs.cols() != 1 || rhs.cols() != 1 {
        return Err("ctable: lhs and rhs must have only one column".into());
    }
    if lhs.rows() != rhs.rows() {
        return Err("ctable: lhs and rhs must have the same number of rows".into());
    }
    let coords = |d: &Dense| -> Result<Vec<i64>, String> {
        let c = d.cast(ValueType::SI64)?;
        match c {
            Dense::SI64(m) => Ok(m.to_vec()),
            _ => Err("internal error: ctable coordinates".into()),
        }
    };
    let (ys, xs) = (coords(lhs)?, coords(rhs)?);
    if ys.iter().chain(&xs).any(|v| *v < 0) {
        return Err("ctable: coordinates must not be negative".into());
    }
    let derive_rows = rows < 0;
    let derive_cols = cols < 0;
    let nr = if derive_rows { ys.iter().max().map_or(0, |m| m + 1) } else { rows } as usize;
    let nc = if derive_cols { xs.iter().max().map_or(0, |m| m + 1) } else { cols } as usize;
    with_num_vt!(vt.storage_vt(), T => {
        let w = T::from_scalar(weight)?;
        let mut v = vec![T::zero(); nr * nc];
        for (y, x) in ys.iter().zip(&xs) {
            let (y, x) = (*y as usize, *x as usize);
            if y < nr && x < nc {
                v[y * nc + x] = v[y * nc + x].add(w);
            }
        }
        Ok(T::wrap(DenseMatrix::from_vec(nr, nc, v)))
    }, str => Err("ctable: the weight must be numeric".into()))
}

/// `oneHot(X, info)`: per column `c`, `info[c] = -1` keeps it, `0` drops it, `k > 0` replaces it
/// by `k` indicator columns.
pub fn one_hot(m: &Dense, info: &Dense) -> Result<Dense, String> {
    if info.rows() != 1 {
        return Err("oneHot: parameter 'info' must be a row matrix".into());
    }
    if info.cols() != m.cols() {
        return Err("oneHot: parameter 'info' must provide information for each column of parameter arg".into());
    }
    let Dense::SI64(info) = info.cast(ValueType::SI64)? else { return Err("internal error: oneHot info".into()) };
    let info = info.to_vec();
    let mut out_cols = 0usize;
    for k in &info {
        match *k {
            -1 => out_cols += 1,
            0 => {}
            k if k > 0 => out_cols += k as usize,
            _ => return Err("oneHot: parameter 'info' must be an integer greater or equal than -1".into()),
        }
    }
    if out_cols == 0 {
        return Err("oneHot: parameter 'info' must contain at least one non-zero entry".into());
    }
    with_num_dense!(m, t => {
        let mut v = Vec::with_capacity(t.rows() * out_cols);
        for r in 0..t.rows() {
            for (c, k) in info.iter().enumerate() {
                let x = *t.get(r, c);
                match *k {
                    -1 => v.push(x),
                    0 => {}
                    k => {
                        let pos = x.to_f64();
                        if pos < 0.0 || pos >= k as f64 {
                            return Err("oneHot: arg values that are encoded (info value != -1) must be positive and smaller than the corresponding info value".to_string());
                        }
                        for i in 0..k as usize {
                            v.push(if i == pos as usize { Num::one() } else { Num::zero() });
                        }
                    }
                }
            }
        }
        Ok(DenseElem::wrap(DenseMatrix::from_vec(t.rows(), out_cols, v)))
    }, s => {
        // Strings are encoded by order of first appearance in their column.
        let mut codes = vec![0i64; s.rows() * s.cols()];
        for c in 0..s.cols() {
            let mut seen: Vec<&String> = Vec::new();
            for r in 0..s.rows() {
                let v = s.get(r, c);
                let code = match seen.iter().position(|x| *x == v) {
                    Some(p) => p,
                    None => {
                        seen.push(v);
                        seen.len() - 1
                    }
                };
                codes[r * s.cols() + c] = code as i64;
            }
        }
        one_hot(&Dense::SI64(DenseMatrix::from_vec(s.rows(), s.cols(), codes)), &Dense::SI64(DenseMatrix::from_vec(1, info.len(), info.clone())))
    })
}

/// `recode(X, orderPreserving)`: codes `0..k` for the distinct values of a column (in sorted
/// order, or in order of appearance), and the dictionary of those values.
pub fn recode(m: &Dense, order_preserving: bool) -> Result<(Dense, Dense), String> {
    if m.cols() != 1 {
        return Err("recode: the argument must have exactly one column".into());
    }
    let n = m.rows();
    let values: Vec<Scalar> = (0..n).map(|r| m.get(r, 0)).collect();
    let key = |s: &Scalar| -> String {
        match s {
            Scalar::Str(x) => x.clone(),
            other => format!("{:?}", other.as_f64().map(f64::to_bits)),
        }
    };
    let mut distinct: Vec<Scalar> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for v in &values {
        let k = key(v);
        if let std::collections::hash_map::Entry::Vacant(e) = seen.entry(k) {
            e.insert(distinct.len());
            distinct.push(v.clone());
        }
    }
    if order_preserving {
        distinct.sort_by(|a, b| match (a, b) {
            (Scalar::Str(x), Scalar::Str(y)) => x.cmp(y),
            _ => a.as_f64().partial_cmp(&b.as_f64()).unwrap_or(std::cmp::Ordering::Equal),
        });
        seen = distinct.iter().enumerate().map(|(i, v)| (key(v), i)).collect();
    }
    let codes: Vec<i64> = values.iter().map(|v| seen.get(&key(v)).copied().unwrap_or(0) as i64).collect();
    let dict = Dense::from_scalars(m.vt(), distinct.len(), 1, &distinct)?;
    Ok((Dense::SI64(DenseMatrix::from_vec(n, 1, codes)), dict))
}

/// `bin(X, numBins, min, max)`: the equi-width bin (0-based) of every cell; values at or below
/// `min` go to bin 0, values above `max` to the last bin.
pub fn bin(m: &Dense, num_bins: i64, min: &Scalar, max: &Scalar) -> Result<Dense, String> {
    if num_bins <= 0 {
        return Err("bin: numBins must be greater than zero".into());
    }
    with_num_dense!(m, t => {
        let lo: f64 = min.as_f64().ok_or("bin: min must be a number")?;
        let hi: f64 = max.as_f64().ok_or("bin: max must be a number")?;
        if lo.is_nan() || hi.is_nan() {
            return Err("bin: min and max must not be NaN".to_string());
        }
        if lo > hi {
            return Err("bin: min must not be greater than max".to_string());
        }
        if lo == hi && num_bins > 1 {
            return Err("bin: min equals max, so numBins must not be greater than 1".to_string());
        }
        let size = (hi - lo) / num_bins as f64;
        Ok(DenseElem::wrap(bin_typed(t, lo, hi, size, num_bins)))
    }, _s => Err("bin is not supported on strings".into()))
}

fn bin_typed<T: Num>(t: &DenseMatrix<T>, lo: f64, hi: f64, size: f64, num_bins: i64) -> DenseMatrix<T> {
    t.map(|x| {
        let v = x.to_f64();
        let b = if lo == hi || v <= lo { 0.0 } else { ((v - lo) / size).ceil() - 1.0 };
        T::from_f64(b.clamp(0.0, (num_bins - 1) as f64))
    })
}

/// `quantize(X, min, max)`: maps `[min, max]` linearly onto `0..=255` (ui8).
pub fn quantize(m: &Dense, min: f64, max: f64) -> Result<Dense, String> {
    // Also refuses NaN bounds.
    if max.partial_cmp(&min) != Some(std::cmp::Ordering::Greater) {
        return Err("quantize: max must be greater than min".into());
    }
    let f = m.cast(ValueType::F64)?;
    let Dense::F64(f) = f else { return Err("internal error: quantize".into()) };
    let scale = 255.0 / (max - min);
    Ok(Dense::UI8(f.map(|x| ((x.clamp(min, max) - min) * scale).round() as u8)))
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.replace`, in the result's value type.
pub fn run_replace(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    let m = a.matrix(0, "the argument of replace")?;
    let p = a.scalar(1, "the pattern")?;
    let r = a.scalar(2, "the replacement")?;
    let m = m.dense().cast(vt)?;
    mat(replace(&m, p, r)?)
}

/// `daphne.ctable`.
pub fn run_ctable(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    let y = a.matrix(0, "the first argument of ctable")?;
    let x = a.matrix(1, "the second argument of ctable")?;
    let w = a.scalar(2, "the weight")?;
    let rows = a.int(3, "the number of rows")?;
    let cols = a.int(4, "the number of columns")?;
    mat(ctable(&y.dense(), &x.dense(), w, rows, cols, vt)?)
}

/// `daphne.oneHot`.
pub fn run_one_hot(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of oneHot")?;
    let info = a.matrix(1, "the info of oneHot")?;
    mat(one_hot(&m.dense(), &info.dense())?)
}

/// `daphne.recode`: the codes and the dictionary.
pub fn run_recode(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of recode")?;
    let ordered = a.flag(1, "orderPreserving")?;
    let (codes, dict) = recode(&m.dense(), ordered)?;
    Ok(vec![Data::Matrix(Matrix::Dense(codes)), Data::Matrix(Matrix::Dense(dict))])
}

/// `daphne.bin`.
pub fn run_bin(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of bin")?;
    let n = a.int(1, "the number of bins")?;
    let lo = a.scalar(2, "min")?;
    let hi = a.scalar(3, "max")?;
    mat(bin(&m.dense(), n, lo, hi)?)
}

/// `daphne.quantize`.
pub fn run_quantize(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of quantize")?;
    let lo = a.f64_of(1, "min")?;
    let hi = a.f64_of(2, "max")?;
    mat(quantize(&m.dense(), lo, hi)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_matches_daphne_example() {
        // bin(t([10,20,30,40,50,60,70]), 3) -> 0 0 0 1 1 2 2
        let m = Dense::SI64(DenseMatrix::from_vec(1, 7, vec![10, 20, 30, 40, 50, 60, 70]));
        let b = bin(&m, 3, &Scalar::SI64(10), &Scalar::SI64(70)).unwrap();
        assert_eq!(b, Dense::SI64(DenseMatrix::from_vec(1, 7, vec![0, 0, 0, 1, 1, 2, 2])));
    }

    #[test]
    fn recode_orders() {
        let m = Dense::F64(DenseMatrix::from_vec(3, 1, vec![3.5, 1.5, 3.5]));
        let (codes, dict) = recode(&m, true).unwrap();
        assert_eq!(codes, Dense::SI64(DenseMatrix::from_vec(3, 1, vec![1, 0, 1])));
        assert_eq!(dict, Dense::F64(DenseMatrix::from_vec(2, 1, vec![1.5, 3.5])));
        let (codes, _) = recode(&m, false).unwrap();
        assert_eq!(codes, Dense::SI64(DenseMatrix::from_vec(3, 1, vec![0, 1, 0])));
    }

    #[test]
    fn ctable_counts() {
        let y = Dense::SI64(DenseMatrix::from_vec(3, 1, vec![0, 1, 1]));
        let x = Dense::SI64(DenseMatrix::from_vec(3, 1, vec![1, 0, 0]));
        let t = ctable(&y, &x, &Scalar::F64(1.0), -1, -1, ValueType::F64).unwrap();
        assert_eq!(t, Dense::F64(DenseMatrix::from_vec(2, 2, vec![0.0, 1.0, 2.0, 0.0])));
    }
}
