//! Compressed sparse row (CSR) matrices: row offsets, column indexes and values, shared between
//! copies, with cheap row-range views.

use crate::dense::DenseMatrix;
use crate::elem::Num;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct CsrMatrix<T> {
    rows: usize,
    cols: usize,
    /// `row_ptr[r]..row_ptr[r + 1]` indexes the non-zeros of row `r - first_row`... of the
    /// underlying matrix; a view starts at `first_row`.
    row_ptr: Arc<Vec<usize>>,
    col_idx: Arc<Vec<usize>>,
    values: Arc<Vec<T>>,
    first_row: usize,
}

impl<T: Num> CsrMatrix<T> {
    /// Builds a CSR matrix from its arrays; `row_ptr` has `rows + 1` entries.
    pub fn new(rows: usize, cols: usize, row_ptr: Vec<usize>, col_idx: Vec<usize>, values: Vec<T>) -> CsrMatrix<T> {
        debug_assert_eq!(row_ptr.len(), rows + 1);
        debug_assert_eq!(col_idx.len(), values.len());
        CsrMatrix {
            rows,
            cols,
            row_ptr: Arc::new(row_ptr),
            col_idx: Arc::new(col_idx),
            values: Arc::new(values),
            first_row: 0,
        }
    }

    /// The non-zero cells of a dense matrix.
    pub fn from_dense(d: &DenseMatrix<T>) -> CsrMatrix<T> {
        let mut row_ptr = Vec::with_capacity(d.rows() + 1);
        let mut col_idx = Vec::new();
        let mut values = Vec::new();
        row_ptr.push(0);
        for r in 0..d.rows() {
            for (c, v) in d.row(r).iter().enumerate() {
                if !v.is_zero() {
                    col_idx.push(c);
                    values.push(*v);
                }
            }
            row_ptr.push(values.len());
        }
        CsrMatrix::new(d.rows(), d.cols(), row_ptr, col_idx, values)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The number of stored (non-zero) cells.
    pub fn nnz(&self) -> usize {
        self.row_ptr[self.first_row + self.rows] - self.row_ptr[self.first_row]
    }

    /// Column indexes and values of row `r`.
    pub fn row(&self, r: usize) -> (&[usize], &[T]) {
        let (a, b) = (self.row_ptr[self.first_row + r], self.row_ptr[self.first_row + r + 1]);
        (&self.col_idx[a..b], &self.values[a..b])
    }

    /// Like `DenseMatrix::view_identity`: the values buffer and `[address, first row, rows, cols, 0]`.
    pub fn view_identity(&self) -> (std::sync::Weak<dyn std::any::Any + Send + Sync>, [usize; 5]) {
        let weak: std::sync::Weak<Vec<T>> = Arc::downgrade(&self.values);
        (weak, [Arc::as_ptr(&self.values) as usize, self.first_row, self.rows, self.cols, 0])
    }

    /// Rows `r0..r1` as a view.
    pub fn slice_rows(&self, r0: usize, r1: usize) -> CsrMatrix<T> {
        CsrMatrix { rows: r1 - r0, first_row: self.first_row + r0, ..self.clone() }
    }

    pub fn get(&self, r: usize, c: usize) -> T {
        let (idx, vals) = self.row(r);
        idx.iter().position(|i| *i == c).map_or(T::zero(), |p| vals[p])
    }

    pub fn to_dense(&self) -> DenseMatrix<T> {
        let mut v = vec![T::zero(); self.rows * self.cols];
        for r in 0..self.rows {
            let (idx, vals) = self.row(r);
            for (c, x) in idx.iter().zip(vals) {
                v[r * self.cols + c] = *x;
            }
        }
        DenseMatrix::from_vec(self.rows, self.cols, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_round_trip_and_views() {
        let d = DenseMatrix::from_vec(3, 3, vec![0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 0.0, 0.0]);
        let s = CsrMatrix::from_dense(&d);
        assert_eq!(s.nnz(), 3);
        assert_eq!(s.to_dense(), d);
        let v = s.slice_rows(1, 3);
        assert_eq!(v.nnz(), 2);
        assert_eq!(v.get(0, 2), 3.0);
        assert_eq!(v.to_dense().to_vec(), vec![2.0, 0.0, 3.0, 0.0, 0.0, 0.0]);
    }
}
