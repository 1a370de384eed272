//! Dense linear algebra kernels (matrix multiplication, `solve`, symmetric eigendecomposition,
//! `t(A) @ A`, `t(A) @ x`): they exist so that floating-point work goes through faer's tuned,
//! cache-blocked routines instead of naive loops, while integer and boolean matrices keep C++'s
//! wrapping arithmetic in simple loops, all behind one value-type dispatch over `Dense`.
//!
//! Products run faer on rayon's pool when the executor itself runs them on large operands (plain
//! execution); on the vectorized engine's threads they run with `Par::Seq`, since the engine
//! parallelizes across its tasks itself (`kernels::par::parallel` tells the two apart).

use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::elem::Num;
use crate::kernels::args::{OpArgs, Out, mat};
use crate::matrix::{Dense, DenseElem, Matrix};
use daphne_ir::ValueType;
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::{factor as lu_factor, solve as lu_solve};
use faer::linalg::matmul::triangular::BlockStructure;
use faer::traits::RealField;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use std::borrow::Cow;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Rejects string operands and string result types.
fn reject_strings(op: &str, operands: &[&Dense], res_vt: ValueType) -> Result<(), String> {
    if res_vt == ValueType::Str || operands.iter().any(|d| d.vt() == ValueType::Str) {
        return Err(format!("{op}: string matrices are not supported"));
    }
    Ok(())
}

/// The operand as a typed matrix of element type `T` (cast like C++'s `static_cast` when its value
/// type differs; no copy when it already has that type).
fn typed<T: DenseElem>(d: &Dense) -> Result<DenseMatrix<T>, String> {
    let c = d.cast(T::VT)?;
    T::unwrap(&c).cloned().ok_or_else(|| format!("internal error: casting to {} produced {}", T::VT, c.vt()))
}

/// The cells row-major as one slice: borrowed when the matrix is contiguous, else a copy (a view
/// from `slice_cols` has gaps between its rows that a safe faer view cannot skip over).
fn row_major<T: Num>(m: &DenseMatrix<T>) -> Cow<'_, [T]> {
    match m.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(m.to_vec()),
    }
}

/// A faer view of row-major cells (row stride `cols`, column stride 1): no copy.
fn view<T>(cells: &[T], rows: usize, cols: usize) -> MatRef<'_, T> {
    MatRef::from_row_major_slice(cells, rows, cols)
}

fn all_finite<T: Num>(cells: impl IntoIterator<Item = T>) -> bool {
    cells.into_iter().all(|x| x.to_f64().is_finite())
}

/// `" transposed"` when `t`, for error messages.
fn tr(t: bool) -> &'static str {
    if t { " transposed" } else { "" }
}

// ---------------------------------------------------------------------------------------------
// Matrix multiplication
// ---------------------------------------------------------------------------------------------

/// `op(a) @ op(b)` where `op` transposes when the flag is set; the result has value type `res_vt`
/// (the operands are cast to it first, C++ `static_cast` semantics).
///
/// `f64` and `f32` go through faer's matrix multiplication (sequential); integer types use an
/// i-k-j loop with the type's wrapping arithmetic, and `bool` is the boolean semiring (or, and).
pub fn matmul(a: &Dense, b: &Dense, transa: bool, transb: bool, res_vt: ValueType) -> Result<Dense, String> {
    let (m, ka) = if transa { (a.cols(), a.rows()) } else { (a.rows(), a.cols()) };
    let (kb, n) = if transb { (b.cols(), b.rows()) } else { (b.rows(), b.cols()) };
    if ka != kb {
        return Err(format!(
            "matrix multiplication: the number of columns of the{} left operand ({ka}) does not match \
             the number of rows of the{} right operand ({kb})",
            tr(transa),
            tr(transb)
        ));
    }
    reject_strings("matrix multiplication", &[a, b], res_vt)?;
    matmul_checked(a, b, transa, transb, res_vt.storage_vt(), m, n)
}

/// `matmul` after the shape and type checks; `vt` is a storage value type.
fn matmul_checked(
    a: &Dense,
    b: &Dense,
    transa: bool,
    transb: bool,
    vt: ValueType,
    m: usize,
    n: usize,
) -> Result<Dense, String> {
    match vt {
        ValueType::F64 => Ok(Dense::F64(faer_matmul(&typed(a)?, &typed(b)?, transa, transb, m, n))),
        ValueType::F32 => Ok(Dense::F32(faer_matmul(&typed(a)?, &typed(b)?, transa, transb, m, n))),
        _ => crate::with_num_vt!(vt, T => {
            Ok(T::wrap(loop_matmul::<T>(&typed(a)?, &typed(b)?, transa, transb, m, n)))
        }, str => Err("matrix multiplication: string matrices are not supported".to_string())),
    }
}

/// The parallelism of a product of `work` multiply-adds.
fn par_for(work: usize) -> Par {
    if crate::kernels::par::parallel(work / 64) { Par::rayon(0) } else { Par::Seq }
}

/// `op(a) @ op(b)` (`m x n`) with faer: the operands are viewed in place (row-major views,
/// transposition swaps the strides) and faer writes straight into the row-major result buffer.
fn faer_matmul<T: Num + RealField>(
    a: &DenseMatrix<T>,
    b: &DenseMatrix<T>,
    transa: bool,
    transb: bool,
    m: usize,
    n: usize,
) -> DenseMatrix<T> {
    let (ac, bc) = (row_major(a), row_major(b));
    let mut av = view(&ac, a.rows(), a.cols());
    if transa {
        av = av.transpose();
    }
    let mut bv = view(&bc, b.rows(), b.cols());
    if transb {
        bv = bv.transpose();
    }
    let mut out = vec![<T as Num>::zero(); m * n];
    faer::linalg::matmul::matmul(
        MatMut::from_row_major_slice_mut(&mut out, m, n),
        Accum::Replace,
        av,
        bv,
        <T as Num>::one(),
        par_for(m * n * if transa { a.rows() } else { a.cols() }),
    );
    DenseMatrix::from_vec(m, n, out)
}

/// `op(a) @ op(b)` (`m x n`) with loops and `Num` arithmetic (wrapping for integers).
fn loop_matmul<T: Num>(
    a: &DenseMatrix<T>,
    b: &DenseMatrix<T>,
    transa: bool,
    transb: bool,
    m: usize,
    n: usize,
) -> DenseMatrix<T> {
    // The loops read `b` by rows; a transposed `b` is materialized once.
    let bt;
    let b = if transb {
        bt = b.transpose();
        &bt
    } else {
        b
    };
    let mut out = vec![T::zero(); m * n];
    if transa {
        // `a` is k x m: C += a[r, :]^T * b[r, :] for every r, reading both by rows.
        for r in 0..a.rows() {
            let brow = b.row(r);
            for (i, &ari) in a.row(r).iter().enumerate() {
                if ari.is_zero() {
                    continue;
                }
                for (c, &bv) in out[i * n..(i + 1) * n].iter_mut().zip(brow) {
                    *c = c.add(ari.mul(bv));
                }
            }
        }
    } else if n == 1 {
        // Matrix-vector: one dot product per row.
        let x = b.to_vec();
        for (i, c) in out.iter_mut().enumerate() {
            *c = a.row(i).iter().zip(&x).fold(T::zero(), |s, (&aik, &xk)| s.add(aik.mul(xk)));
        }
    } else {
        // i-k-j: C[i, :] += a[i, k] * b[k, :].
        for i in 0..m {
            let crow = &mut out[i * n..(i + 1) * n];
            for (k, &aik) in a.row(i).iter().enumerate() {
                if aik.is_zero() {
                    continue;
                }
                for (c, &bv) in crow.iter_mut().zip(b.row(k)) {
                    *c = c.add(aik.mul(bv));
                }
            }
        }
    }
    DenseMatrix::from_vec(m, n, out)
}

// ---------------------------------------------------------------------------------------------
// t(A) @ A and t(A) @ x
// ---------------------------------------------------------------------------------------------

/// `t(a) @ a` (`k x k` for an `m x k` matrix), exactly symmetric: one triangle is computed and
/// mirrored onto the other.
pub fn syrk(a: &Dense, res_vt: ValueType) -> Result<Dense, String> {
    reject_strings("syrk", &[a], res_vt)?;
    let vt = res_vt.storage_vt();
    match vt {
        ValueType::F64 => Ok(Dense::F64(faer_syrk(&typed(a)?))),
        ValueType::F32 => Ok(Dense::F32(faer_syrk(&typed(a)?))),
        _ => crate::with_num_vt!(vt, T => Ok(T::wrap(loop_syrk::<T>(&typed(a)?))),
            str => Err("syrk: string matrices are not supported".to_string())),
    }
}

/// Copies the lower triangle of the row-major `k x k` buffer onto the upper one.
fn mirror_lower<T: Copy>(out: &mut [T], k: usize) {
    for i in 0..k {
        for j in 0..i {
            out[j * k + i] = out[i * k + j];
        }
    }
}

fn faer_syrk<T: Num + RealField>(a: &DenseMatrix<T>) -> DenseMatrix<T> {
    let k = a.cols();
    let ac = row_major(a);
    let av = view(&ac, a.rows(), k);
    let mut out = vec![<T as Num>::zero(); k * k];
    faer::linalg::matmul::triangular::matmul(
        MatMut::from_row_major_slice_mut(&mut out, k, k),
        BlockStructure::TriangularLower,
        Accum::Replace,
        av.transpose(),
        BlockStructure::Rectangular,
        av,
        BlockStructure::Rectangular,
        <T as Num>::one(),
        par_for(k * k * a.rows() / 2),
    );
    mirror_lower(&mut out, k);
    DenseMatrix::from_vec(k, k, out)
}

fn loop_syrk<T: Num>(a: &DenseMatrix<T>) -> DenseMatrix<T> {
    let k = a.cols();
    let mut out = vec![T::zero(); k * k];
    // Row by row of `a`: C[i, 0..=i] += a[r, i] * a[r, 0..=i] (the lower triangle).
    for r in 0..a.rows() {
        let row = a.row(r);
        for (i, &ai) in row.iter().enumerate() {
            if ai.is_zero() {
                continue;
            }
            for (c, &aj) in out[i * k..i * k + i + 1].iter_mut().zip(row) {
                *c = c.add(ai.mul(aj));
            }
        }
    }
    mirror_lower(&mut out, k);
    DenseMatrix::from_vec(k, k, out)
}

/// `t(a) @ x` for an `n x m` matrix `a` and an `n x 1` column `x`: an `m x 1` column.
pub fn gemv(a: &Dense, x: &Dense, res_vt: ValueType) -> Result<Dense, String> {
    if x.cols() != 1 {
        return Err(format!("gemv: the vector must be a single column, but it is a {}x{} matrix", x.rows(), x.cols()));
    }
    if a.rows() != x.rows() {
        return Err(format!(
            "gemv: the number of rows of the matrix ({}) does not match the number of rows of the vector ({})",
            a.rows(),
            x.rows()
        ));
    }
    reject_strings("gemv", &[a, x], res_vt)?;
    matmul_checked(a, x, true, false, res_vt.storage_vt(), a.cols(), 1)
}

// ---------------------------------------------------------------------------------------------
// solve
// ---------------------------------------------------------------------------------------------

/// Solves `a @ x = b` for `x` (`a` square `n x n`, `b` `n x k`) with an LU decomposition with
/// partial pivoting (LAPACK's `dgesv`). Only `f64` and `f32` results.
///
/// Like `dgesv`, the matrix counts as singular when a pivot is exactly zero; a nearly singular
/// matrix whose solution overflows to infinity or NaN (with finite inputs) is reported as
/// singular as well. Non-finite values in `b` propagate into the result.
pub fn solve(a: &Dense, b: &Dense, res_vt: ValueType) -> Result<Dense, String> {
    reject_strings("solve", &[a, b], res_vt)?;
    match res_vt.storage_vt() {
        ValueType::F64 => Ok(Dense::F64(solve_typed(&typed(a)?, &typed(b)?)?)),
        ValueType::F32 => Ok(Dense::F32(solve_typed(&typed(a)?, &typed(b)?)?)),
        other => Err(format!("solve supports only f32 and f64 (the result value type is {other})")),
    }
}

fn solve_typed<T: Num + RealField>(a: &DenseMatrix<T>, b: &DenseMatrix<T>) -> Result<DenseMatrix<T>, String> {
    let n = a.rows();
    if a.cols() != n {
        return Err(format!("solve: the matrix must be square, but it is {}x{}", a.rows(), a.cols()));
    }
    if b.rows() != n {
        return Err(format!(
            "solve: the number of rows of the right-hand side ({}) does not match the size of the matrix ({n})",
            b.rows()
        ));
    }
    if !all_finite(a.iter().copied()) {
        return Err("solve: the matrix contains NaN or infinite values".to_string());
    }
    let k = b.cols();
    if n == 0 || k == 0 {
        return Ok(DenseMatrix::from_vec(n, k, Vec::new()));
    }
    let ac = row_major(a);
    // faer factors in place: copy into a column-major matrix (the layout its LU prefers).
    let mut lu: Mat<T> = view(&ac, n, n).to_owned();
    let mut perm_fwd = vec![0usize; n];
    let mut perm_bwd = vec![0usize; n];
    let mut mem = MemBuffer::new(
        lu_factor::lu_in_place_scratch::<usize, T>(n, n, Par::Seq, Default::default())
            .or(lu_solve::solve_in_place_scratch::<usize, T>(n, k, Par::Seq)),
    );
    let stack = MemStack::new(&mut mem);
    let (_, perm) =
        lu_factor::lu_in_place(lu.as_mut(), &mut perm_fwd, &mut perm_bwd, Par::Seq, stack, Default::default());
    if (0..n).any(|i| {
        let p = lu[(i, i)];
        p.is_zero() || !p.to_f64().is_finite()
    }) {
        return Err("solve: the matrix is singular".to_string());
    }
    let bc = row_major(b);
    let mut x: Mat<T> = view(&bc, n, k).to_owned();
    lu_solve::solve_in_place(lu.as_ref(), lu.as_ref(), perm, x.as_mut(), Par::Seq, stack);
    let out = DenseMatrix::from_fn(n, k, |r, c| x[(r, c)]);
    if !all_finite(out.iter().copied()) && all_finite(bc.iter().copied()) {
        return Err("solve: the matrix is singular".to_string());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// eigen
// ---------------------------------------------------------------------------------------------

/// The eigendecomposition of a symmetric real matrix (`f64` or `f32`), like LAPACK's `dsyev`:
/// the eigenvalues in ascending order as an `n x 1` column, and the eigenvectors (unit length) as
/// the columns of an `n x n` matrix, column `j` belonging to eigenvalue `j`.
///
/// Eigenvectors are unique only up to sign; to make results reproducible across libraries and
/// machines, each one is flipped so that its component of largest magnitude is positive (the
/// first such component when several tie).
///
/// The matrix must be symmetric: `|a[i,j] - a[j,i]| <= tol * max|a|` with `tol = 1e-12` for
/// `f64` and `16 * f32::EPSILON` (about 2e-6) for `f32`, whose precision cannot resolve 1e-12.
pub fn eigen(a: &Dense) -> Result<(Dense, Dense), String> {
    match a {
        Dense::F64(m) => {
            let (vals, vecs) = eigen_typed(m, 1e-12)?;
            Ok((Dense::F64(vals), Dense::F64(vecs)))
        }
        Dense::F32(m) => {
            let (vals, vecs) = eigen_typed(m, 16.0 * f64::from(f32::EPSILON))?;
            Ok((Dense::F32(vals), Dense::F32(vecs)))
        }
        other => Err(format!("eigen supports only f32 and f64 matrices (got {})", other.vt())),
    }
}

fn eigen_typed<T: Num + RealField>(a: &DenseMatrix<T>, tol: f64) -> Result<(DenseMatrix<T>, DenseMatrix<T>), String> {
    let n = a.rows();
    if a.cols() != n {
        return Err(format!("eigen: the matrix must be square, but it is {}x{}", a.rows(), a.cols()));
    }
    if !all_finite(a.iter().copied()) {
        return Err("eigen: the matrix contains NaN or infinite values".to_string());
    }
    let scale = a.iter().fold(0.0f64, |s, x| s.max(x.to_f64().abs()));
    for i in 0..n {
        for j in 0..i {
            let (x, y) = (a.get(i, j).to_f64(), a.get(j, i).to_f64());
            if (x - y).abs() > tol * scale {
                return Err(format!(
                    "eigen: the matrix is not symmetric (cell ({i}, {j}) is {x} but cell ({j}, {i}) is {y})"
                ));
            }
        }
    }
    if n == 0 {
        // faer's workspace computation does not handle the empty matrix.
        return Ok((DenseMatrix::from_vec(0, 1, Vec::new()), DenseMatrix::from_vec(0, 0, Vec::new())));
    }
    let ac = row_major(a);
    let mut s = Diag::<T>::zeros(n);
    let mut u = Mat::<T>::zeros(n, n);
    let params = Default::default();
    let mut mem = MemBuffer::new(faer::linalg::evd::self_adjoint_evd_scratch::<T>(
        n,
        faer::linalg::evd::ComputeEigenvectors::Yes,
        Par::Seq,
        params,
    ));
    // faer reads the lower triangle.
    faer::linalg::evd::self_adjoint_evd(
        view(&ac, n, n),
        s.as_mut(),
        Some(u.as_mut()),
        Par::Seq,
        MemStack::new(&mut mem),
        params,
    )
    .map_err(|e| format!("eigen: the eigenvalue iteration did not converge ({e:?})"))?;
    let values: Vec<T> = (0..n).map(|i| s.column_vector()[i]).collect();
    // faer returns them ascending already; sorting keeps the contract independent of that.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| values[i].to_f64().total_cmp(&values[j].to_f64()));
    let sorted_values = DenseMatrix::from_vec(n, 1, order.iter().map(|&i| values[i]).collect());
    // Sign of each eigenvector: +1 when its largest-magnitude (first on ties) component is positive.
    let signs: Vec<bool> = order
        .iter()
        .map(|&j| {
            let mut best = 0;
            for r in 1..n {
                if u[(r, j)].to_f64().abs() > u[(best, j)].to_f64().abs() {
                    best = r;
                }
            }
            u[(best, j)].to_f64() < 0.0
        })
        .collect();
    let vectors = DenseMatrix::from_fn(n, n, |r, c| {
        let v = u[(r, order[c])];
        if signs[c] { Num::neg(v) } else { v }
    });
    Ok((sorted_values, vectors))
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.matMul` (`A @ B` with transposition flags).
pub fn run_matmul(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    let x = a.matrix(0, "the left operand of @")?;
    let y = a.matrix(1, "the right operand of @")?;
    let ta = a.flag(2, "transa")?;
    let tb = a.flag(3, "transb")?;
    mat(matmul(&x.dense(), &y.dense(), ta, tb, vt)?)
}

/// `daphne.solve`.
pub fn run_solve(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    let x = a.matrix(0, "the matrix of solve")?;
    let y = a.matrix(1, "the right-hand side of solve")?;
    mat(solve(&x.dense(), &y.dense(), vt)?)
}

/// `daphne.eigenCal`: eigenvalues and eigenvectors.
pub fn run_eigen(a: &OpArgs<'_>) -> Out {
    let x = a.matrix(0, "the argument of eigen")?;
    let (vals, vecs) = eigen(&x.dense())?;
    Ok(vec![Data::Matrix(Matrix::Dense(vals)), Data::Matrix(Matrix::Dense(vecs))])
}

/// `daphne.syrk` (`t(A) @ A`).
pub fn run_syrk(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    let x = a.matrix(0, "the argument of syrk")?;
    mat(syrk(&x.dense(), vt)?)
}

/// `daphne.gemv` (`t(A) @ x`).
pub fn run_gemv(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    let x = a.matrix(0, "the matrix of gemv")?;
    let v = a.matrix(1, "the vector of gemv")?;
    mat(gemv(&x.dense(), &v.dense(), vt)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64m(rows: usize, cols: usize, v: &[f64]) -> Dense {
        Dense::F64(DenseMatrix::from_vec(rows, cols, v.to_vec()))
    }

    fn cells(d: &Dense) -> Vec<f64> {
        crate::with_num_dense!(d, m => m.iter().map(|x| x.to_f64()).collect(), _s => panic!("string matrix"))
    }

    fn close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= tol, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn matmul_2x2_and_3x3() {
        let a = f64m(2, 2, &[1.0, 2.0, 3.0, 4.0]);
        let b = f64m(2, 2, &[5.0, 6.0, 7.0, 8.0]);
        let c = matmul(&a, &b, false, false, ValueType::F64).unwrap();
        assert_eq!(c, f64m(2, 2, &[19.0, 22.0, 43.0, 50.0]));
        let a3 = f64m(3, 3, &[1.0, 0.0, 2.0, -1.0, 3.0, 1.0, 0.0, 1.0, 1.0]);
        let i3 = f64m(3, 3, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(matmul(&a3, &i3, false, false, ValueType::F64).unwrap(), a3);
        let sq = matmul(&a3, &a3, false, false, ValueType::F64).unwrap();
        assert_eq!(cells(&sq), vec![1.0, 2.0, 4.0, -4.0, 10.0, 2.0, -1.0, 4.0, 2.0]);
    }

    #[test]
    fn matmul_non_square_and_vectors() {
        // (2x3) @ (3x2)
        let a = f64m(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let b = f64m(3, 2, &[7.0, 8.0, 9.0, 10.0, 11.0, 12.0]);
        assert_eq!(cells(&matmul(&a, &b, false, false, ValueType::F64).unwrap()), vec![58.0, 64.0, 139.0, 154.0]);
        // matrix @ column vector
        let x = f64m(3, 1, &[1.0, 0.0, -1.0]);
        let y = matmul(&a, &x, false, false, ValueType::F64).unwrap();
        assert_eq!((y.rows(), y.cols()), (2, 1));
        assert_eq!(cells(&y), vec![-2.0, -2.0]);
        // row @ column = 1x1, column @ row = outer product
        let r = f64m(1, 3, &[1.0, 2.0, 3.0]);
        let c = f64m(3, 1, &[4.0, 5.0, 6.0]);
        assert_eq!(cells(&matmul(&r, &c, false, false, ValueType::F64).unwrap()), vec![32.0]);
        let o = matmul(&c, &r, false, false, ValueType::F64).unwrap();
        assert_eq!((o.rows(), o.cols()), (3, 3));
        assert_eq!(cells(&o), vec![4.0, 8.0, 12.0, 5.0, 10.0, 15.0, 6.0, 12.0, 18.0]);
        // empty inner dimension: zeros
        let e = matmul(&f64m(2, 0, &[]), &f64m(0, 3, &[]), false, false, ValueType::F64).unwrap();
        assert_eq!(cells(&e), vec![0.0; 6]);
    }

    #[test]
    fn matmul_transposed_flags() {
        let a = f64m(3, 2, &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]); // t(a) = [[1,2,3],[4,5,6]]
        let b = f64m(2, 3, &[7.0, 9.0, 11.0, 8.0, 10.0, 12.0]); // t(b) = [[7,8],[9,10],[11,12]]
        let want = vec![58.0, 64.0, 139.0, 154.0];
        assert_eq!(cells(&matmul(&a, &b, true, true, ValueType::F64).unwrap()), want);
        let at = a.transpose();
        assert_eq!(cells(&matmul(&at, &b, false, true, ValueType::F64).unwrap()), want);
        let bt = b.transpose();
        assert_eq!(cells(&matmul(&a, &bt, true, false, ValueType::F64).unwrap()), want);
        // integers take the same flags
        let ai = a.cast(ValueType::SI64).unwrap();
        let bi = b.cast(ValueType::SI64).unwrap();
        let ci = matmul(&ai, &bi, true, true, ValueType::SI64).unwrap();
        assert_eq!(ci, Dense::SI64(DenseMatrix::from_vec(2, 2, vec![58, 64, 139, 154])));
        let ci = matmul(&ai, &bt.cast(ValueType::SI32).unwrap(), true, false, ValueType::SI32).unwrap();
        assert_eq!(ci, Dense::SI32(DenseMatrix::from_vec(2, 2, vec![58, 64, 139, 154])));
    }

    #[test]
    fn matmul_integers_bool_and_casts() {
        let a = Dense::SI64(DenseMatrix::from_vec(2, 3, vec![1, -2, 3, 0, 5, -6]));
        let b = Dense::SI64(DenseMatrix::from_vec(3, 2, vec![1, 2, 3, 4, 5, 6]));
        let c = matmul(&a, &b, false, false, ValueType::SI64).unwrap();
        assert_eq!(c, Dense::SI64(DenseMatrix::from_vec(2, 2, vec![10, 12, -15, -16])));
        // matrix-vector (the dot-product path)
        let x = Dense::SI64(DenseMatrix::from_vec(3, 1, vec![1, 1, 1]));
        assert_eq!(
            matmul(&a, &x, false, false, ValueType::SI64).unwrap(),
            Dense::SI64(DenseMatrix::from_vec(2, 1, vec![2, -1]))
        );
        // wrapping arithmetic like C++ on uint8_t: 16 * 16 + 16 * 16 = 512 = 0 (mod 256)
        let u = Dense::UI8(DenseMatrix::from_vec(1, 2, vec![16, 16]));
        let v = Dense::UI8(DenseMatrix::from_vec(2, 1, vec![16, 16]));
        assert_eq!(
            matmul(&u, &v, false, false, ValueType::UI8).unwrap(),
            Dense::UI8(DenseMatrix::from_vec(1, 1, vec![0]))
        );
        // bool: or of ands
        let p = Dense::Bool(DenseMatrix::from_vec(2, 2, vec![true, false, false, false]));
        let q = Dense::Bool(DenseMatrix::from_vec(2, 2, vec![false, true, true, true]));
        assert_eq!(
            matmul(&p, &q, false, false, ValueType::Bool).unwrap(),
            Dense::Bool(DenseMatrix::from_vec(2, 2, vec![false, true, false, false]))
        );
        // mixed operands are cast to the result type first (2.7 -> 2 for si64)
        let f = f64m(1, 2, &[2.7, 1.0]);
        assert_eq!(
            matmul(&f, &v, false, false, ValueType::SI64).unwrap(),
            Dense::SI64(DenseMatrix::from_vec(1, 1, vec![48]))
        );
        let g = matmul(&a, &f64m(3, 1, &[0.5, 0.5, 0.5]), false, false, ValueType::F32).unwrap();
        assert_eq!(g, Dense::F32(DenseMatrix::from_vec(2, 1, vec![1.0, -0.5])));
    }

    #[test]
    fn matmul_on_views() {
        // A column slice is a strided view: it must be copied, not misread.
        let big = f64m(2, 4, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        let v = big.slice_cols(1, 3); // [[2,3],[6,7]]
        let c = matmul(&v, &f64m(2, 1, &[1.0, 1.0]), false, false, ValueType::F64).unwrap();
        assert_eq!(cells(&c), vec![5.0, 13.0]);
        let c = matmul(&v, &v, true, false, ValueType::F64).unwrap();
        assert_eq!(cells(&c), vec![40.0, 48.0, 48.0, 58.0]);
    }

    #[test]
    fn matmul_errors() {
        let a = f64m(2, 3, &[0.0; 6]);
        let b = f64m(2, 2, &[0.0; 4]);
        let e = matmul(&a, &b, false, false, ValueType::F64).unwrap_err();
        assert_eq!(
            e,
            "matrix multiplication: the number of columns of the left operand (3) does not match the number \
             of rows of the right operand (2)"
        );
        assert!(matmul(&a, &b, false, true, ValueType::F64).unwrap_err().contains("transposed right operand (2)"));
        let s = Dense::Str(DenseMatrix::from_vec(1, 1, vec!["1".to_string()]));
        assert!(matmul(&s, &s, false, false, ValueType::F64).unwrap_err().contains("string"));
        assert!(matmul(&b, &b, false, false, ValueType::Str).unwrap_err().contains("string"));
    }

    #[test]
    fn syrk_and_gemv() {
        let a = f64m(3, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let s = syrk(&a, ValueType::F64).unwrap();
        assert_eq!(s, f64m(2, 2, &[35.0, 44.0, 44.0, 56.0]));
        let si = syrk(&a, ValueType::SI32).unwrap();
        assert_eq!(si, Dense::SI32(DenseMatrix::from_vec(2, 2, vec![35, 44, 44, 56])));
        // exactly symmetric on a random-ish float matrix
        let r = f64m(4, 3, &[0.1, 0.7, -1.3, 2.2, 0.3, 0.9, -0.4, 1.1, 0.6, 0.8, -0.2, 0.5]);
        let rs = syrk(&r, ValueType::F64).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(rs.get(i, j), rs.get(j, i));
            }
        }
        close(&cells(&rs), &cells(&matmul(&r, &r, true, false, ValueType::F64).unwrap()), 1e-12);

        let x = f64m(3, 1, &[1.0, 0.0, -1.0]);
        let y = gemv(&a, &x, ValueType::F64).unwrap();
        assert_eq!(y, f64m(2, 1, &[-4.0, -4.0]));
        let yi = gemv(&a.cast(ValueType::SI64).unwrap(), &x, ValueType::SI64).unwrap();
        assert_eq!(yi, Dense::SI64(DenseMatrix::from_vec(2, 1, vec![-4, -4])));
        assert!(gemv(&a, &f64m(2, 1, &[1.0, 1.0]), ValueType::F64).unwrap_err().contains("(3)"));
        assert!(gemv(&a, &f64m(3, 2, &[0.0; 6]), ValueType::F64).unwrap_err().contains("single column"));
    }

    #[test]
    fn solve_small_systems() {
        // 2x2 that needs pivoting (a[0][0] = 0)
        let a = f64m(2, 2, &[0.0, 1.0, 2.0, 3.0]);
        let b = f64m(2, 1, &[4.0, 11.0]);
        close(&cells(&solve(&a, &b, ValueType::F64).unwrap()), &[-0.5, 4.0], 1e-12);
        // 3x3 with two right-hand sides
        let a3 = f64m(3, 3, &[2.0, 1.0, -1.0, -3.0, -1.0, 2.0, -2.0, 1.0, 2.0]);
        let b3 = f64m(3, 2, &[8.0, 1.0, -11.0, 0.0, -3.0, 0.0]);
        let x3 = solve(&a3, &b3, ValueType::F64).unwrap();
        assert_eq!((x3.rows(), x3.cols()), (3, 2));
        let x0: Vec<f64> = (0..3).map(|r| cells(&x3)[r * 2]).collect();
        close(&x0, &[2.0, 3.0, -1.0], 1e-12);
        close(&cells(&matmul(&a3, &x3, false, false, ValueType::F64).unwrap()), &cells(&b3), 1e-12);
        // f32 and integer operands
        let ai = Dense::SI64(DenseMatrix::from_vec(2, 2, vec![2, 0, 0, 4]));
        let bi = Dense::SI64(DenseMatrix::from_vec(2, 1, vec![1, 1]));
        assert_eq!(solve(&ai, &bi, ValueType::F32).unwrap(), Dense::F32(DenseMatrix::from_vec(2, 1, vec![0.5, 0.25])));
    }

    #[test]
    fn solve_errors() {
        let sing = f64m(2, 2, &[1.0, 2.0, 2.0, 4.0]);
        let b = f64m(2, 1, &[1.0, 1.0]);
        assert_eq!(solve(&sing, &b, ValueType::F64).unwrap_err(), "solve: the matrix is singular");
        let zero = f64m(3, 3, &[0.0; 9]);
        assert_eq!(solve(&zero, &f64m(3, 1, &[0.0; 3]), ValueType::F64).unwrap_err(), "solve: the matrix is singular");
        assert!(solve(&sing, &b, ValueType::SI64).unwrap_err().starts_with("solve supports only f32 and f64"));
        assert!(solve(&f64m(2, 3, &[1.0; 6]), &b, ValueType::F64).unwrap_err().contains("square"));
        assert!(solve(&sing, &f64m(3, 1, &[1.0; 3]), ValueType::F64).unwrap_err().contains("(3)"));
    }

    #[test]
    fn eigen_diagonal_and_2x2() {
        let d = f64m(3, 3, &[3.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 2.0]);
        let (vals, vecs) = eigen(&d).unwrap();
        assert_eq!((vals.rows(), vals.cols()), (3, 1));
        close(&cells(&vals), &[-1.0, 2.0, 3.0], 1e-12);
        // columns are unit vectors e1, e2, e0 with positive signs
        close(&cells(&vecs), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 1e-12);

        let a = f64m(2, 2, &[2.0, 1.0, 1.0, 2.0]);
        let (vals, vecs) = eigen(&a).unwrap();
        close(&cells(&vals), &[1.0, 3.0], 1e-12);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        // eigenvalue 1: (1, -1)/sqrt2 or its negation; the first component wins the tie -> +.
        // eigenvalue 3: (1, 1)/sqrt2.
        close(&cells(&vecs), &[h, h, -h, h], 1e-12);
        // A v = lambda v
        let av = matmul(&a, &vecs, false, false, ValueType::F64).unwrap();
        close(&cells(&av), &[h, 3.0 * h, -h, 3.0 * h], 1e-12);

        let (v32, _) = eigen(&a.cast(ValueType::F32).unwrap()).unwrap();
        assert_eq!(v32.vt(), ValueType::F32);
        close(&cells(&v32), &[1.0, 3.0], 1e-5);
    }

    #[test]
    fn eigen_sign_and_errors() {
        // Largest-magnitude component of every eigenvector is positive.
        let a = f64m(3, 3, &[4.0, 1.0, -2.0, 1.0, 2.0, 0.0, -2.0, 0.0, 3.0]);
        let (vals, vecs) = eigen(&a).unwrap();
        let v = cells(&vecs);
        let l = cells(&vals);
        assert!(l.windows(2).all(|w| w[0] <= w[1]));
        for j in 0..3 {
            let col: Vec<f64> = (0..3).map(|r| v[r * 3 + j]).collect();
            let big = col.iter().copied().fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
            assert!(big > 0.0);
            let av = cells(&matmul(&a, &f64m(3, 1, &col), false, false, ValueType::F64).unwrap());
            close(&av, &col.iter().map(|x| x * l[j]).collect::<Vec<_>>(), 1e-12);
        }
        assert!(eigen(&f64m(2, 2, &[1.0, 2.0, 3.0, 4.0])).unwrap_err().contains("not symmetric"));
        assert!(eigen(&f64m(2, 3, &[0.0; 6])).unwrap_err().contains("square"));
        let i = Dense::SI64(DenseMatrix::from_vec(1, 1, vec![1]));
        assert!(eigen(&i).unwrap_err().contains("only f32 and f64"));
        let (e0, v0) = eigen(&f64m(0, 0, &[])).unwrap();
        assert_eq!((e0.rows(), e0.cols(), v0.rows(), v0.cols()), (0, 1, 0, 0));
        let x0 = solve(&f64m(0, 0, &[]), &f64m(0, 2, &[]), ValueType::F64).unwrap();
        assert_eq!((x0.rows(), x0.cols()), (0, 2));
        let s0 = syrk(&f64m(0, 2, &[]), ValueType::F64).unwrap();
        assert_eq!(cells(&s0), vec![0.0; 4]);
    }
}
