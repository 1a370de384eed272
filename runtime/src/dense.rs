//! Dense row-major matrices over a shared buffer: a matrix is a window (offset, rows, columns,
//! row stride) into an `Arc<Storage<T>>`, so row and column slices are views that copy nothing, and
//! a matrix is shared between variables until someone builds a new one. The storage is a vector
//! the runtime allocated, or memory a host program lends (a NumPy array handed to the Python API),
//! which the matrix only reads and keeps alive through the host's owner object.

use crate::elem::Elem;
use std::sync::Arc;

/// The cells a matrix views: owned by the runtime, or lent by a host program.
pub enum Storage<T> {
    Owned(Vec<T>),
    /// `len` cells at `ptr`, valid and unchanged for as long as `owner` lives.
    Foreign {
        ptr: *const T,
        len: usize,
        owner: Arc<dyn std::any::Any + Send + Sync>,
    },
}

// SAFETY: a `Foreign` storage is only ever read (no method hands out mutable access to it), and
// the contract of `DenseMatrix::from_foreign` makes its memory valid for reads from any thread
// while `owner` lives; `Owned` is a `Vec<T>`, which is `Send`/`Sync` when `T` is.
unsafe impl<T: Send + Sync> Send for Storage<T> {}
// SAFETY: see `Send` above: shared references only read the cells.
unsafe impl<T: Send + Sync> Sync for Storage<T> {}

impl<T> std::ops::Deref for Storage<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Storage::Owned(v) => v,
            // SAFETY: `from_foreign`'s contract: `ptr` points to `len` initialized, aligned cells
            // that stay valid and unmodified while `owner` (held by `self`) lives.
            Storage::Foreign { ptr, len, .. } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Storage<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Owned(v) => v.fmt(f),
            Storage::Foreign { len, .. } => write!(f, "Foreign({len} cells)"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct DenseMatrix<T> {
    buf: Arc<Storage<T>>,
    offset: usize,
    rows: usize,
    cols: usize,
    stride: usize,
}

impl<T: Elem> DenseMatrix<T> {
    /// A matrix owning `values` (row-major, `rows * cols` of them).
    pub fn from_vec(rows: usize, cols: usize, values: Vec<T>) -> DenseMatrix<T> {
        debug_assert_eq!(values.len(), rows * cols, "dense matrix buffer size");
        DenseMatrix { buf: Arc::new(Storage::Owned(values)), offset: 0, rows, cols, stride: cols }
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

    /// A matrix over memory a host program lends (no copy): `rows` rows of `cols` cells, row `r`
    /// starting `r * stride` cells after `ptr`. `owner` keeps the memory alive; it is dropped when
    /// the last view of the matrix is.
    ///
    /// # Safety
    /// `ptr` must be aligned for `T` and point to `(rows - 1) * stride + cols` initialized cells
    /// (none if `rows` or `cols` is 0) that stay valid, and are not written by anyone, for as
    /// long as `owner` lives; `stride >= cols`.
    pub unsafe fn from_foreign(
        ptr: *const T,
        rows: usize,
        cols: usize,
        stride: usize,
        owner: Arc<dyn std::any::Any + Send + Sync>,
    ) -> DenseMatrix<T> {
        let len = if rows == 0 || cols == 0 { 0 } else { (rows - 1) * stride + cols };
        let ptr = if len == 0 { std::ptr::NonNull::dangling().as_ptr() } else { ptr };
        DenseMatrix { buf: Arc::new(Storage::Foreign { ptr, len, owner }), offset: 0, rows, cols, stride }
    }

    /// Whether this matrix views memory a host program lent (see [`DenseMatrix::from_foreign`]).
    pub fn is_foreign(&self) -> bool {
        matches!(*self.buf, Storage::Foreign { .. })
    }

    /// Whether no other matrix (view) shares this one's buffer, so that a host may be handed
    /// write access to it.
    pub fn is_unique(&self) -> bool {
        Arc::strong_count(&self.buf) == 1 && Arc::weak_count(&self.buf) == 0
    }

    /// The row stride in cells (the distance from one row's first cell to the next one's).
    pub fn stride(&self) -> usize {
        self.stride
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
        let weak: std::sync::Weak<Storage<T>> = Arc::downgrade(&self.buf);
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
    pub fn shared_cells(&self) -> Option<(Arc<Storage<T>>, std::ops::Range<usize>)> {
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
                Ok(Storage::Owned(v)) => return v,
                Ok(foreign) => return foreign.to_vec(),
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
    fn foreign_storage_is_viewed_and_released_with_the_last_view() {
        use std::sync::atomic::{AtomicBool, Ordering};
        struct Owner(Vec<i32>, Arc<AtomicBool>);
        impl Drop for Owner {
            fn drop(&mut self) {
                self.1.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        // A 3 x 2 window with row stride 4 over 12 cells.
        let owner = Arc::new(Owner((0..12).collect(), Arc::clone(&dropped)));
        let ptr = owner.0.as_ptr();
        // SAFETY: `ptr` points to 12 initialized `i32`s owned by `owner`, which the matrix keeps
        // alive and nobody writes; (3 - 1) * 4 + 2 = 10 cells are read.
        let m = unsafe { DenseMatrix::from_foreign(ptr, 3, 2, 4, owner) };
        assert!(m.is_foreign() && m.stride() == 4 && !m.is_contiguous());
        assert_eq!(m.to_vec(), vec![0, 1, 4, 5, 8, 9]);
        let v = m.slice_rows(1, 3);
        assert_eq!(v.row(1), &[8, 9]);
        drop(m);
        assert!(!dropped.load(Ordering::SeqCst), "a view still reads the memory");
        assert_eq!(v.clone().into_vec(), vec![4, 5, 8, 9]);
        drop(v);
        assert!(dropped.load(Ordering::SeqCst));
        // Empty foreign matrices read nothing.
        let flag = Arc::new(AtomicBool::new(false));
        // SAFETY: no cell is read for a 0 x 5 matrix.
        let e = unsafe { DenseMatrix::<f64>::from_foreign(std::ptr::null(), 0, 5, 5, Arc::new(Owner(vec![], flag))) };
        assert_eq!(e.to_vec(), Vec::<f64>::new());
        assert!(DenseMatrix::from_vec(1, 1, vec![1.0]).is_unique());
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
