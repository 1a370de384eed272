//! Aggregations: over all cells (a scalar), per row (`axis 0`, an n x 1 matrix), per column
//! (`axis 1`, a 1 x m matrix), per group of rows, and cumulative per column; with DAPHNE's
//! semantics (population variance, first index of the extreme value, C++ `std::min`/`max`).

use crate::dense::DenseMatrix;
use crate::elem::{Num, Scalar};
use crate::kernels::args::{OpArgs, Out, mat, one, wrong_family};
use crate::matrix::{Dense, DenseElem, Matrix, convert_num};
use crate::{with_num_dense, with_num_vt};
use daphne_ir::ValueType;
use daphne_ir::ops::{AggFn, Axis, Family};

/// Aggregates a sequence of values of the result type `R` (read twice for variances, never
/// copied).
fn reduce<R: Num>(op: AggFn, values: impl Iterator<Item = R> + Clone) -> R {
    match op {
        AggFn::Sum => values.fold(R::zero(), |a, x| a.add(x)),
        AggFn::Prod => values.fold(R::one(), |a, x| a.mul(x)),
        AggFn::Min => {
            let mut it = values;
            let first = it.next().unwrap_or(R::zero());
            it.fold(first, |a, x| if x < a { x } else { a })
        }
        AggFn::Max => {
            let mut it = values;
            let first = it.next().unwrap_or(R::zero());
            it.fold(first, |a, x| if a < x { x } else { a })
        }
        AggFn::Count => R::from_i128(values.count() as i128),
        AggFn::Mean | AggFn::Var | AggFn::Stddev => {
            let n = values.clone().count();
            let mean = values.clone().fold(R::zero(), |a, x| a.add(x)).div(R::from_i128(n as i128));
            if op == AggFn::Mean {
                return mean;
            }
            let var = values.fold(R::zero(), |a, x| {
                let d = x.sub(mean);
                a.add(d.mul(d))
            });
            let var = var.div(R::from_i128(n as i128));
            if op == AggFn::Var { var } else { R::from_f64(var.to_f64().sqrt()) }
        }
        AggFn::IdxMin | AggFn::IdxMax => R::zero(),
    }
}

/// Column-wise aggregation in one row-major pass per step (each column sees its values in row
/// order, exactly as a column-by-column loop would, but memory is read sequentially).
fn aggregate_cols<T: Num, R: Num>(op: AggFn, m: &DenseMatrix<T>) -> Vec<R> {
    let (rows, cols) = (m.rows(), m.cols());
    let conv = |x: &T| convert_num::<T, R>(*x);
    let fold = |init: Vec<R>, skip: usize, f: &dyn Fn(R, R) -> R| -> Vec<R> {
        let mut acc = init;
        for r in skip..rows {
            for (a, x) in acc.iter_mut().zip(m.row(r)) {
                *a = f(*a, conv(x));
            }
        }
        acc
    };
    let first = || if rows == 0 { vec![R::zero(); cols] } else { m.row(0).iter().map(conv).collect() };
    match op {
        AggFn::Sum => fold(vec![R::zero(); cols], 0, &|a, x| a.add(x)),
        AggFn::Prod => fold(vec![R::one(); cols], 0, &|a, x| a.mul(x)),
        AggFn::Min => fold(first(), 1, &|a, x| if x < a { x } else { a }),
        AggFn::Max => fold(first(), 1, &|a, x| if a < x { x } else { a }),
        AggFn::Count => vec![R::from_i128(rows as i128); cols],
        AggFn::Mean | AggFn::Var | AggFn::Stddev => {
            let n = R::from_i128(rows as i128);
            let mean: Vec<R> = fold(vec![R::zero(); cols], 0, &|a, x| a.add(x)).into_iter().map(|s| s.div(n)).collect();
            if op == AggFn::Mean {
                return mean;
            }
            let mut var = vec![R::zero(); cols];
            for r in 0..rows {
                for ((v, x), mu) in var.iter_mut().zip(m.row(r)).zip(&mean) {
                    let d = conv(x).sub(*mu);
                    *v = v.add(d.mul(d));
                }
            }
            var.into_iter()
                .map(|v| {
                    let v = v.div(n);
                    if op == AggFn::Var { v } else { R::from_f64(v.to_f64().sqrt()) }
                })
                .collect()
        }
        AggFn::IdxMin | AggFn::IdxMax => {
            let max = op == AggFn::IdxMax;
            let mut best: Vec<usize> = vec![0; cols];
            for r in 1..rows {
                for (c, v) in m.row(r).iter().enumerate() {
                    let b = m.get(best[c], c);
                    if if max { *v > *b } else { *v < *b } {
                        best[c] = r;
                    }
                }
            }
            best.into_iter().map(|i| R::from_i128(i as i128)).collect()
        }
    }
}

/// Lanes of a full sum: cell `c` of every row is added to lane `c % SUM_LANES`, and the lanes
/// are added in a fixed tree at the end. The order is part of the result (floating-point addition
/// is not associative), and it is the order the generated code uses (`daphne-codegen`'s `LANES`),
/// so both give the same bits; independent lanes also let the additions run in parallel.
pub const SUM_LANES: usize = 8;

fn lane_sum<T: Num, R: Num>(m: &DenseMatrix<T>) -> R {
    let mut acc = [R::zero(); SUM_LANES];
    for r in 0..m.rows() {
        let row = m.row(r);
        let mut chunks = row.chunks_exact(SUM_LANES);
        for chunk in &mut chunks {
            for (a, x) in acc.iter_mut().zip(chunk) {
                *a = a.add(convert_num::<T, R>(*x));
            }
        }
        for (a, x) in acc.iter_mut().zip(chunks.remainder()) {
            *a = a.add(convert_num::<T, R>(*x));
        }
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7)))
}

/// The index of the first minimum (or maximum) in a sequence.
fn arg_extreme<T: Num>(values: &[T], max: bool) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate().skip(1) {
        let better = if max { *v > values[best] } else { *v < values[best] };
        if better {
            best = i;
        }
    }
    best
}

fn agg_typed<T: Num, R: Num + DenseElem>(op: AggFn, axis: Axis, m: &DenseMatrix<T>) -> Result<Dense, String> {
    let (rows, cols) = (m.rows(), m.cols());
    if rows * cols == 0 && !matches!(op, AggFn::Sum | AggFn::Count) {
        return Err("cannot aggregate an empty matrix".into());
    }
    let conv = |x: &T| convert_num::<T, R>(*x);
    Ok(match axis {
        Axis::All => {
            // Full min/max start from the neutral element and use C++'s `std::min`/`std::max`,
            // so NaN cells never win (DAPHNE's `aggAll`); row- and column-wise ones start from
            // the first cell.
            let v = match op {
                AggFn::Sum => lane_sum::<T, R>(m),
                AggFn::Min => m.iter().map(conv).fold(R::max_value(), |a, x| if x < a { x } else { a }),
                AggFn::Max => m.iter().map(conv).fold(R::min_value(), |a, x| if a < x { x } else { a }),
                _ => reduce::<R>(op, m.iter().map(conv)),
            };
            R::wrap(DenseMatrix::from_vec(1, 1, vec![v]))
        }
        Axis::Row => {
            let row = |r: usize| match op {
                AggFn::IdxMin | AggFn::IdxMax => R::from_i128(arg_extreme(m.row(r), op == AggFn::IdxMax) as i128),
                _ => reduce::<R>(op, m.row(r).iter().map(conv)),
            };
            // Rows are independent: large matrices aggregate their row blocks on all cores.
            let v = crate::kernels::par::build_by_cells(rows, cols, |r0, out: &mut [std::mem::MaybeUninit<R>]| {
                for (i, o) in out.iter_mut().enumerate() {
                    o.write(row(r0 + i));
                }
                out.len()
            });
            R::wrap(DenseMatrix::from_vec(rows, 1, v))
        }
        Axis::Col => R::wrap(DenseMatrix::from_vec(1, cols, aggregate_cols::<T, R>(op, m))),
    })
}

/// Aggregates a matrix; `res_vt` is the result value type from type inference. Full
/// aggregations return a scalar.
pub fn aggregate(op: AggFn, axis: Axis, m: &Matrix, res_vt: ValueType) -> Result<crate::Data, String> {
    let d = m.dense();
    let out = with_num_dense!(&*d, t => {
        with_num_vt!(res_vt.storage_vt(), R => agg_typed::<_, R>(op, axis, t)?,
                     str => return Err("aggregations are not supported on strings".into()))
    }, _s => return Err("aggregations are not supported on strings".into()));
    if axis == Axis::All {
        let mut s = out.get(0, 0);
        if res_vt == ValueType::Index {
            s = Scalar::Index(s.as_i128().unwrap_or(0) as i64);
        }
        return Ok(crate::Data::Scalar(s));
    }
    Ok(crate::Data::Matrix(Matrix::Dense(out)))
}

fn grouped_typed<T: Num, R: Num + DenseElem>(
    op: AggFn,
    m: &DenseMatrix<T>,
    groups: &[u64],
    num_groups: usize,
) -> Result<Dense, String> {
    let cols = m.cols();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); num_groups];
    for (r, g) in groups.iter().enumerate() {
        let g = *g as usize;
        if g >= num_groups {
            return Err(format!("group id {g} of row {r} is out of range for {num_groups} groups"));
        }
        members[g].push(r);
    }
    let mut out = Vec::with_capacity(num_groups * cols);
    for rows in &members {
        for c in 0..cols {
            if rows.is_empty() {
                out.push(R::zero());
            } else {
                out.push(reduce::<R>(op, rows.iter().map(|r| convert_num::<T, R>(*m.get(*r, c)))));
            }
        }
    }
    Ok(R::wrap(DenseMatrix::from_vec(num_groups, cols, out)))
}

/// Aggregates the rows of `m` by group: row `r` belongs to group `groups[r]`; the result has one
/// row per group.
pub fn grouped(op: AggFn, m: &Matrix, groups: &Matrix, num_groups: usize, res_vt: ValueType) -> Result<Dense, String> {
    if groups.cols() != 1 || groups.rows() != m.rows() {
        return Err(format!(
            "grouped aggregation expects one group id per row: a {}x1 column, but got {}x{}",
            m.rows(),
            groups.rows(),
            groups.cols()
        ));
    }
    let g = groups.dense().cast(ValueType::UI64)?;
    let Dense::UI64(g) = g else { return Err("internal error: group ids".into()) };
    let ids = g.to_vec();
    let d = m.dense();
    with_num_dense!(&*d, t => {
        with_num_vt!(res_vt.storage_vt(), R => grouped_typed::<_, R>(op, t, &ids, num_groups),
                     str => Err("grouped aggregations are not supported on strings".into()))
    }, _s => Err("grouped aggregations are not supported on strings".into()))
}

fn cumulative_typed<T: Num + DenseElem>(op: AggFn, m: &DenseMatrix<T>) -> Dense {
    let (rows, cols) = (m.rows(), m.cols());
    let mut out: Vec<T> = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            let x = *m.get(r, c);
            let v = if r == 0 {
                x
            } else {
                let prev = out[(r - 1) * cols + c];
                match op {
                    AggFn::Sum => prev.add(x),
                    AggFn::Prod => prev.mul(x),
                    AggFn::Min => {
                        if x < prev {
                            x
                        } else {
                            prev
                        }
                    }
                    _ => {
                        if prev < x {
                            x
                        } else {
                            prev
                        }
                    }
                }
            };
            out.push(v);
        }
    }
    T::wrap(DenseMatrix::from_vec(rows, cols, out))
}

/// Cumulative aggregation down each column.
pub fn cumulative(op: AggFn, m: &Matrix) -> Result<Dense, String> {
    let d = m.dense();
    Ok(with_num_dense!(&*d, t => cumulative_typed(op, t),
                       _s => return Err("cumulative aggregations are not supported on strings".into())))
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.{sum,min,max,mean,var,stddev,idxmin,idxmax}{All,Row,Col}`: the function and the axis
/// come from the op table.
pub fn run_agg(a: &OpArgs<'_>) -> Out {
    let Family::Agg(f, axis) = a.kind().family() else { return Err(wrong_family(a.kind(), "aggregation")) };
    let vt = a.result_vt(0)?;
    let m = a.matrix(0, "the argument of an aggregation")?;
    one(aggregate(f, axis, m, vt)?)
}

/// `daphne.{count,sum,...}Grp`.
pub fn run_grouped(a: &OpArgs<'_>) -> Out {
    let Family::Grouped(f) = a.kind().family() else { return Err(wrong_family(a.kind(), "grouped aggregation")) };
    let vt = a.result_vt(0)?;
    let m = a.matrix(0, "the argument of a grouped aggregation")?;
    let g = a.matrix(1, "the group ids")?;
    let n = a.size(2, "the number of groups")?;
    mat(grouped(f, m, g, n, vt)?)
}

/// `daphne.{sum,prod,min,max}Cum`.
pub fn run_cumulative(a: &OpArgs<'_>) -> Out {
    let Family::Cumulative(f) = a.kind().family() else {
        return Err(wrong_family(a.kind(), "cumulative aggregation"));
    };
    let m = a.matrix(0, "the argument of a cumulative aggregation")?;
    mat(cumulative(f, m)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rows: usize, cols: usize, v: Vec<f64>) -> Matrix {
        Matrix::Dense(Dense::F64(DenseMatrix::from_vec(rows, cols, v)))
    }

    #[test]
    fn axes_and_functions() {
        let x = m(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let sum = aggregate(AggFn::Sum, Axis::All, &x, ValueType::F64).unwrap();
        assert!(matches!(sum, crate::Data::Scalar(Scalar::F64(v)) if v == 21.0));
        let rows = aggregate(AggFn::Sum, Axis::Row, &x, ValueType::F64).unwrap();
        let crate::Data::Matrix(rows) = rows else { panic!() };
        assert_eq!((rows.rows(), rows.cols()), (2, 1));
        assert_eq!(rows.get(1, 0), Scalar::F64(15.0));
        let var = aggregate(AggFn::Var, Axis::Col, &x, ValueType::F64).unwrap();
        let crate::Data::Matrix(var) = var else { panic!() };
        assert_eq!(var.get(0, 0), Scalar::F64(2.25));
        let idx = aggregate(AggFn::IdxMax, Axis::Row, &x, ValueType::Index).unwrap();
        let crate::Data::Matrix(idx) = idx else { panic!() };
        assert_eq!(idx.get(0, 0), Scalar::UI64(2));
    }

    #[test]
    fn grouped_and_cumulative() {
        let x = m(3, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let g = Matrix::Dense(Dense::UI64(DenseMatrix::from_vec(3, 1, vec![0, 1, 0])));
        let s = grouped(AggFn::Sum, &x, &g, 2, ValueType::F64).unwrap();
        assert_eq!(s, Dense::F64(DenseMatrix::from_vec(2, 2, vec![6.0, 8.0, 3.0, 4.0])));
        let c = cumulative(AggFn::Sum, &x).unwrap();
        assert_eq!(c, Dense::F64(DenseMatrix::from_vec(3, 2, vec![1.0, 2.0, 4.0, 6.0, 9.0, 12.0])));
    }
}
