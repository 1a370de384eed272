//! Kernels that combine the partial results of a pipeline's batches, tasks or partitions into one
//! result: `reduce` merges two partial results of an `Add`/`Min`/`Max` output, `stack` puts row or
//! column blocks together in order (`Rows`/`Cols` outputs). The vectorized engine reduces with them
//! and the distributed coordinator reduces and stacks with them.

use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::kernels::ewise;
use crate::matrix::{Dense, DenseElem};
use crate::with_dense;
use daphne_ir::ops::BinaryFn;
use daphne_ir::vector::Combine;
use std::borrow::Cow;

/// Reduces two partial results of a reduction output.
pub fn reduce(a: Data, b: &Data, c: Combine) -> Result<Data, String> {
    let op = match c {
        Combine::Add => BinaryFn::Add,
        Combine::Min => BinaryFn::Min,
        Combine::Max => BinaryFn::Max,
        Combine::Rows | Combine::Cols => return Err("rows and columns are placed, not reduced".into()),
    };
    let vt = match &a {
        Data::Scalar(s) => s.value_type(),
        Data::Matrix(m) => m.vt(),
        other => return Err(format!("cannot reduce a {}", other.kind())),
    };
    ewise::binary(op, &a, b, vt)
}

/// Stacks blocks vertically (`cols` false) or side by side, in order, in the first block's type.
pub fn stack(blocks: &[Dense], cols: bool) -> Result<Dense, String> {
    let first = blocks.first().ok_or("nothing to stack")?;
    let vt = first.vt();
    let cast: Vec<Cow<'_, Dense>> = blocks
        .iter()
        .map(|b| if b.vt() == vt { Ok(Cow::Borrowed(b)) } else { b.cast(vt).map(Cow::Owned) })
        .collect::<Result<_, String>>()?;
    with_dense!(first, f => stack_typed(f, &cast, cols))
}

fn stack_typed<T: DenseElem>(_first: &DenseMatrix<T>, blocks: &[Cow<'_, Dense>], cols: bool) -> Result<Dense, String> {
    let typed: Vec<&DenseMatrix<T>> =
        blocks.iter().map(|b| T::unwrap(b).ok_or("blocks of different types")).collect::<Result<_, _>>()?;
    if cols {
        let rows = typed[0].rows();
        if typed.iter().any(|t| t.rows() != rows) {
            return Err("column blocks with different row counts".into());
        }
        let total: usize = typed.iter().map(|t| t.cols()).sum();
        let mut v = Vec::with_capacity(rows * total);
        for r in 0..rows {
            for t in &typed {
                v.extend_from_slice(t.row(r));
            }
        }
        Ok(T::wrap(DenseMatrix::from_vec(rows, total, v)))
    } else {
        let ncols = typed[0].cols();
        if typed.iter().any(|t| t.cols() != ncols) {
            return Err("row blocks with different column counts".into());
        }
        let total: usize = typed.iter().map(|t| t.rows()).sum();
        let mut v = Vec::with_capacity(total * ncols);
        for t in &typed {
            match t.as_slice() {
                Some(s) => v.extend_from_slice(s),
                None => v.extend(t.iter().cloned()),
            }
        }
        Ok(T::wrap(DenseMatrix::from_vec(total, ncols, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_stack_in_order() {
        let a = Dense::F64(DenseMatrix::from_vec(1, 2, vec![1.0, 2.0]));
        let b = Dense::F64(DenseMatrix::from_vec(2, 2, vec![3.0, 4.0, 5.0, 6.0]));
        let rows = stack(&[a.clone(), b], false).unwrap();
        assert_eq!(rows, Dense::F64(DenseMatrix::from_vec(3, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])));
        let c = Dense::SI64(DenseMatrix::from_vec(1, 1, vec![7]));
        let cols = stack(&[a, c], true).unwrap();
        assert_eq!(cols, Dense::F64(DenseMatrix::from_vec(1, 3, vec![1.0, 2.0, 7.0])));
    }
}
