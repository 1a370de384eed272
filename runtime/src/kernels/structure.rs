//! Structural matrix operations: the diagonal as a vector, lower/upper triangles and the symmetry
//! test.

use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::elem::{Num, Scalar};
use crate::kernels::args::{OpArgs, Out, mat, one};
use crate::matrix::{Dense, DenseElem};
use crate::{with_dense, with_num_dense};

/// `diagVector(X)`: the diagonal of a square matrix as an n x 1 column.
pub fn diag_vector(m: &Dense) -> Result<Dense, String> {
    if m.rows() != m.cols() {
        return Err(format!("diagVector expects a square matrix, but got {}x{}", m.rows(), m.cols()));
    }
    Ok(with_dense!(m, t => DenseElem::wrap(DenseMatrix::from_fn(t.rows(), 1, |r, _| t.get(r, r).clone()))))
}

/// `lowerTri(X, diag, values)` / `upperTri(...)`: keeps the lower (upper) triangle, with or
/// without the diagonal; `values = false` puts ones in place of the kept cells.
pub fn tri(m: &Dense, upper: bool, diag: bool, values: bool) -> Result<Dense, String> {
    if m.rows() != m.cols() {
        return Err(format!(
            "{} expects a square matrix, but got {}x{}",
            if upper { "upperTri" } else { "lowerTri" },
            m.rows(),
            m.cols()
        ));
    }
    let keep = |r: usize, c: usize| if upper { c > r || (diag && c == r) } else { c < r || (diag && c == r) };
    // Kept non-zero cells stay (or become 1 without `values`); everything else is zero.
    Ok(with_num_dense!(m, t => DenseElem::wrap(DenseMatrix::from_fn(t.rows(), t.cols(), |r, c| {
        let v = *t.get(r, c);
        if !keep(r, c) || v.is_zero() { Num::zero() } else if values { v } else { Num::one() }
    })), _s => return Err("lowerTri/upperTri are not supported on strings".into())))
}

/// `isSymmetric(X)`: whether a square matrix equals its transpose.
pub fn is_symmetric(m: &Dense) -> Result<bool, String> {
    if m.rows() != m.cols() {
        return Err(format!("isSymmetric expects a square matrix, but got {}x{}", m.rows(), m.cols()));
    }
    Ok(with_dense!(m, t => {
        let n = t.rows();
        (0..n).all(|r| (r + 1..n).all(|c| t.get(r, c) == t.get(c, r)))
    }))
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.diagVector`.
pub fn run_diag_vector(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of diagVector")?;
    mat(diag_vector(&m.dense())?)
}

/// `daphne.tri` (`lowerTri`, `upperTri`).
pub fn run_tri(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of lowerTri/upperTri")?;
    let upper = a.flag(1, "upper")?;
    let diag = a.flag(2, "diag")?;
    let values = a.flag(3, "values")?;
    mat(tri(&m.dense(), upper, diag, values)?)
}

/// `daphne.isSymmetric`.
pub fn run_is_symmetric(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of isSymmetric")?;
    one(Data::Scalar(Scalar::Bool(is_symmetric(&m.dense())?)))
}
