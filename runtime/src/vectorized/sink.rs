//! Output matrices that the tasks of a pipeline fill in place: each task writes the blocks of its
//! own row range straight into the one preallocated result, so no per-task copies are made and
//! the result is touched once.

use crate::dense::DenseMatrix;
use crate::matrix::{Dense, DenseElem};
use crate::with_dense;

/// A dense matrix under construction whose disjoint blocks are written by several threads.
pub(crate) trait BlockSink: Send + Sync {
    /// Copies `block` into the result at row `r0`, column `c0`.
    ///
    /// # Safety
    /// Blocks written concurrently (from different threads) must not overlap.
    unsafe fn put(&self, r0: usize, c0: usize, block: &Dense) -> Result<(), String>;

    /// The address of cell (0, 0) and the number of columns (cells per row), for generated
    /// code that writes blocks itself (under the same contract as `put`).
    fn raw(&self) -> (*mut u8, usize);

    /// The finished matrix (after every writer is done).
    fn finish(self: Box<Self>) -> Dense;
}

struct TypedSink<T> {
    /// Owns the cells; only written through `ptr` until `finish`.
    buf: Vec<T>,
    ptr: *mut T,
    rows: usize,
    cols: usize,
}

// SAFETY: the raw pointer refers into `buf`, which the sink owns; writers through `put` touch
// disjoint cells (the contract of `put`), and `T` itself is `Send + Sync` (`Elem`).
unsafe impl<T: DenseElem> Send for TypedSink<T> {}
// SAFETY: as above; shared access only ever writes disjoint blocks.
unsafe impl<T: DenseElem> Sync for TypedSink<T> {}

impl<T: DenseElem> TypedSink<T> {
    fn new(rows: usize, cols: usize) -> TypedSink<T> {
        // `vec![default; n]` of numbers comes from zeroed pages: the first touch happens in the
        // task that writes the block, in parallel.
        let mut buf = vec![T::default(); rows * cols];
        let ptr = buf.as_mut_ptr();
        TypedSink { buf, ptr, rows, cols }
    }
}

impl<T: DenseElem> BlockSink for TypedSink<T> {
    unsafe fn put(&self, r0: usize, c0: usize, block: &Dense) -> Result<(), String> {
        let Some(m) = T::unwrap(block) else {
            return Err(format!(
                "a batch result has value type {} instead of {}",
                block.vt().ir_name(),
                T::VT.ir_name()
            ));
        };
        if r0 + m.rows() > self.rows || c0 + m.cols() > self.cols {
            return Err(format!(
                "a {}x{} batch result does not fit at ({r0}, {c0}) into the {}x{} output",
                m.rows(),
                m.cols(),
                self.rows,
                self.cols
            ));
        }
        for r in 0..m.rows() {
            let src = m.row(r);
            // SAFETY: the range lies inside `buf` (checked above) and no other thread writes it
            // (the contract of `put`); nobody reads `buf` before `finish`.
            let dst = unsafe { std::slice::from_raw_parts_mut(self.ptr.add((r0 + r) * self.cols + c0), src.len()) };
            dst.clone_from_slice(src);
        }
        Ok(())
    }

    fn raw(&self) -> (*mut u8, usize) {
        (self.ptr as *mut u8, self.cols)
    }

    fn finish(self: Box<Self>) -> Dense {
        T::wrap(DenseMatrix::from_vec(self.rows, self.cols, self.buf))
    }
}

fn typed_sink<T: DenseElem>(_like: &DenseMatrix<T>, rows: usize, cols: usize) -> Box<dyn BlockSink> {
    Box::new(TypedSink::<T>::new(rows, cols))
}

/// A sink of `rows x cols` with the value type of `like`.
pub(crate) fn sink_like(like: &Dense, rows: usize, cols: usize) -> Box<dyn BlockSink> {
    with_dense!(like, m => typed_sink(m, rows, cols))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_land_in_place() {
        let like = Dense::F64(DenseMatrix::filled(1, 1, 0.0));
        let sink = sink_like(&like, 3, 4);
        let block = Dense::F64(DenseMatrix::from_vec(2, 2, vec![1.0, 2.0, 3.0, 4.0]));
        // SAFETY: single-threaded test.
        unsafe {
            sink.put(1, 2, &block).unwrap();
            assert!(sink.put(2, 3, &block).is_err());
            assert!(sink.put(0, 0, &Dense::SI64(DenseMatrix::filled(1, 1, 1))).is_err());
        }
        let Dense::F64(out) = sink.finish() else { panic!("value type") };
        assert_eq!(out.to_vec(), vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 3.0, 4.0]);
    }
}
