//! Dense row-major matrices over a shared buffer: a matrix is a window (offset, rows, columns,
//! row stride) into an `Arc<Vec<T>>`, so row and column slices are views that copy nothing, and
//! a matrix is shared between variables until someone builds a new one.

use crate::elem::Elem;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct DenseMatrix<T> {
    buf: Arc<Vec<T>>,
    offset: usize,
    rows: usize,
    cols: usize,
    stride: usize,
}

impl<T: Elem> DenseMatrix<T> {
    /// A matrix owning `values` (row-major, `rows * cols` of them).
    pub fn from_vec(rows: usize, cols: usize, values: Vec<T>) -> DenseMatrix<T> {
        debug_assert_eq!(values.len(), rows * cols, "dense matrix buffer size");
        DenseMatrix { buf: Arc::new(values), offset: 0, rows, cols, stride: cols }
    }

    pub fn filled(rows: usize, cols: usize, v: T) -> DenseMatrix<T> {
        DenseMatrix::from_vec(rows, cols, vec![v; rows * cols])
    }

    /// Builds a matrix cell by cell.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> T) -> DenseMatrix<T> {
        let mut v = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                v.push(f(r, c));
            }
        }
        DenseMatrix::from_vec(rows, cols, v)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn get(&self, r: usize, c: usize) -> &T {
        &self.buf[self.offset + r * self.stride + c]
    }

    /// The cells of row `r`.
    pub fn row(&self, r: usize) -> &[T] {
        let start = self.offset + r * self.stride;
        &self.buf[start..start + self.cols]
    }

    /// Rows `r0..r1` as a view (no copy).
    pub fn slice_rows(&self, r0: usize, r1: usize) -> DenseMatrix<T> {
        DenseMatrix {
            buf: Arc::clone(&self.buf),
            offset: if r1 > r0 { self.offset + r0 * self.stride } else { self.offset },
            rows: r1 - r0,
            cols: self.cols,
            stride: self.stride,
        }
    }

    /// Columns `c0..c1` as a view (no copy).
    pub fn slice_cols(&self, c0: usize, c1: usize) -> DenseMatrix<T> {
        DenseMatrix {
            buf: Arc::clone(&self.buf),
            offset: self.offset + c0.min(self.stride),
            rows: self.rows,
            cols: c1 - c0,
            stride: self.stride,
        }
    }

    /// What this matrix views, for caches that must not outlive the data: a weak handle of the
    /// buffer (which keeps its address from being reused while the cache holds it) and the window
    /// `[buffer address, offset, rows, cols, stride]`.
    pub fn view_identity(&self) -> (std::sync::Weak<dyn std::any::Any + Send + Sync>, [usize; 5]) {
        let weak: std::sync::Weak<Vec<T>> = Arc::downgrade(&self.buf);
        let addr = Arc::as_ptr(&self.buf) as usize;
        (weak, [addr, self.offset, self.rows, self.cols, self.stride])
    }

    /// The address of cell (0, 0) and the row stride in cells, for generated code that reads
    /// the cells in place (it must only read them, and only while `self` is alive).
    pub fn raw_parts(&self) -> (*const T, usize) {
        (self.buf.as_ptr().wrapping_add(self.offset), self.stride)
    }

    /// Whether the cells are one contiguous run of the buffer.
    pub fn is_contiguous(&self) -> bool {
        self.stride == self.cols || self.rows <= 1
    }

    /// The cells, row-major, as one slice when contiguous. A matrix without cells is the empty
    /// slice whatever its window (a column slice of a 0-row matrix starts past its empty buffer).
    pub fn as_slice(&self) -> Option<&[T]> {
        self.cell_range().map(|r| &self.buf[r])
    }

    /// The buffer that holds the cells and the range of them in it, when the cells are one
    /// contiguous run: for consumers that keep the cells alive without copying them (the wire
    /// encoder sends them as they are).
    pub fn shared_cells(&self) -> Option<(Arc<Vec<T>>, std::ops::Range<usize>)> {
        self.cell_range().map(|r| (Arc::clone(&self.buf), r))
    }

    /// Where the cells lie in the buffer, when they are one contiguous run.
    fn cell_range(&self) -> Option<std::ops::Range<usize>> {
        let n = self.rows * self.cols;
        if n == 0 {
            Some(0..0)
        } else if self.is_contiguous() {
            Some(self.offset..self.offset + n)
        } else {
            None
        }
    }

    /// Iterates the cells row by row.
    pub fn iter(&self) -> impl Iterator<Item = &T> + Clone + '_ {
        (0..self.rows).flat_map(move |r| self.row(r).iter())
    }

    /// The cells row-major in a new vector.
    pub fn to_vec(&self) -> Vec<T> {
        match self.as_slice() {
            Some(s) => s.to_vec(),
            None => self.iter().cloned().collect(),
        }
    }

    /// A contiguous, uniquely owned copy (or this matrix if it already is one).
    pub fn into_vec(self) -> Vec<T> {
        if self.offset == 0 && self.stride == self.cols && self.buf.len() == self.rows * self.cols {
            match Arc::try_unwrap(self.buf) {
                Ok(v) => return v,
                Err(shared) => return shared.to_vec(),
            }
        }
        self.to_vec()
    }

    /// Applies `f` to every cell.
    pub fn map<U: Elem>(&self, mut f: impl FnMut(&T) -> U) -> DenseMatrix<U> {
        let mut v = Vec::with_capacity(self.rows * self.cols);
        for r in 0..self.rows {
            v.extend(self.row(r).iter().map(&mut f));
        }
        DenseMatrix::from_vec(self.rows, self.cols, v)
    }

    /// The matrix with the same shape and new cells.
    pub fn with_values<U: Elem>(&self, values: Vec<U>) -> DenseMatrix<U> {
        DenseMatrix::from_vec(self.rows, self.cols, values)
    }

    /// A copy in which rows `r0..` and columns `c0..` take the cells of `ins`.
    pub fn with_block(&self, r0: usize, c0: usize, ins: &DenseMatrix<T>) -> DenseMatrix<T> {
        let mut v = self.to_vec();
        for r in 0..ins.rows {
            let dst = (r0 + r) * self.cols + c0;
            v[dst..dst + ins.cols].clone_from_slice(ins.row(r));
        }
        DenseMatrix::from_vec(self.rows, self.cols, v)
    }

    pub fn transpose(&self) -> DenseMatrix<T> {
        DenseMatrix::from_fn(self.cols, self.rows, |r, c| self.get(c, r).clone())
    }
}

impl<T: Elem> PartialEq for DenseMatrix<T> {
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows && self.cols == other.cols && self.iter().eq(other.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_share_the_buffer() {
        let m = DenseMatrix::from_fn(3, 4, |r, c| (r * 10 + c) as i64);
        let v = m.slice_rows(1, 3).slice_cols(1, 3);
        assert_eq!(v.rows(), 2);
        assert_eq!(v.to_vec(), vec![11, 12, 21, 22]);
        assert!(!v.is_contiguous());
        assert_eq!(m.slice_rows(1, 2).as_slice(), Some(&[10, 11, 12, 13][..]));
        let t = v.transpose();
        assert_eq!(t.to_vec(), vec![11, 21, 12, 22]);
        let w = m.with_block(0, 2, &DenseMatrix::filled(1, 2, 9));
        assert_eq!(w.row(0), &[0, 1, 9, 9]);
    }

    #[test]
    fn slices_without_cells_are_empty() {
        // A column slice of a 0-row matrix starts past the end of its (empty) buffer.
        let empty = DenseMatrix::<f64>::from_vec(0, 5, vec![]);
        let cols = empty.slice_cols(2, 4);
        assert_eq!((cols.rows(), cols.cols()), (0, 2));
        assert_eq!(cols.as_slice(), Some(&[][..]));
        assert!(cols.to_vec().is_empty());
        assert_eq!(cols.shared_cells().map(|(_, r)| r), Some(0..0));
        // Rows of a matrix without columns, and an empty row range past the first row.
        let no_cols = DenseMatrix::<i64>::from_vec(3, 0, vec![]).slice_rows(1, 3);
        assert_eq!(no_cols.as_slice(), Some(&[][..]));
        let m = DenseMatrix::from_fn(2, 3, |r, c| (r * 3 + c) as i64);
        assert_eq!(m.slice_rows(2, 2).as_slice(), Some(&[][..]));
        assert_eq!(m.slice_cols(3, 3).slice_rows(1, 2).as_slice(), Some(&[][..]));
        let (buf, range) = m.slice_rows(1, 2).shared_cells().expect("contiguous");
        assert_eq!(&buf[range], &[3, 4, 5]);
        assert!(m.slice_cols(1, 2).shared_cells().is_none());
    }
}
