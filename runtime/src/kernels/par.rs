//! Whole-matrix kernels on all cores. When the executor itself runs a kernel over a large matrix
//! (plain execution, not a task of the vectorized engine, which parallelizes across its tasks
//! already), the result's rows are split into blocks that rayon's pool fills in parallel. Each
//! cell is computed exactly as the sequential loop computes it, so results do not change.

use crate::dense::DenseMatrix;
use crate::elem::Elem;
use std::mem::MaybeUninit;

/// Results of at least this many cells are built in parallel (when [`parallel`] allows it).
pub const PARALLEL_CELLS: usize = 1 << 17;

/// About how many cells one block of rows has.
const BLOCK_CELLS: usize = 1 << 15;

/// Whether a kernel producing `cells` cells runs in parallel here: large enough, more than one
/// thread, and not already on a pool thread (a vectorized task, or a block of an outer kernel).
pub fn parallel(cells: usize) -> bool {
    cells >= PARALLEL_CELLS && rayon::current_thread_index().is_none() && rayon::current_num_threads() > 1
}

/// A `rows x cols` row-major buffer; `fill(r0, block)` writes every cell of the block of whole
/// rows that starts at row `r0` and returns how many it wrote. Blocks run in parallel when
/// [`parallel`] says so.
///
/// # Panics
/// If a block reports fewer cells written than it has (a bug of the calling kernel).
pub fn build<U, F>(rows: usize, cols: usize, fill: F) -> Vec<U>
where
    U: Copy + Send + Sync,
    F: Fn(usize, &mut [MaybeUninit<U>]) -> usize + Sync,
{
    let cells = rows * cols;
    let mut out: Vec<U> = Vec::with_capacity(cells);
    let spare = &mut out.spare_capacity_mut()[..cells];
    let written = if cols == 0 || rows == 0 {
        0
    } else if parallel(cells) {
        use rayon::prelude::*;
        let block_rows = (BLOCK_CELLS / cols).max(1);
        spare.par_chunks_mut(block_rows * cols).enumerate().map(|(b, block)| fill(b * block_rows, block)).sum()
    } else {
        fill(0, spare)
    };
    assert_eq!(written, cells, "internal error in kernels::par: a kernel left cells of its result unwritten");
    // SAFETY: all `cells` cells of the spare capacity were written (checked just above).
    unsafe { out.set_len(cells) };
    out
}

/// A column of `rows` cells, each computed from a row of `cols` input cells: like [`build`], but
/// the decision to go parallel and the block size follow the input's size (`rows * cols`).
pub fn build_by_cells<U, F>(rows: usize, cols: usize, fill: F) -> Vec<U>
where
    U: Copy + Send + Sync,
    F: Fn(usize, &mut [MaybeUninit<U>]) -> usize + Sync,
{
    let mut out: Vec<U> = Vec::with_capacity(rows);
    let spare = &mut out.spare_capacity_mut()[..rows];
    let written = if rows == 0 {
        0
    } else if parallel(rows.saturating_mul(cols)) {
        use rayon::prelude::*;
        let block_rows = (BLOCK_CELLS / cols.max(1)).max(1);
        spare.par_chunks_mut(block_rows).enumerate().map(|(b, block)| fill(b * block_rows, block)).sum()
    } else {
        fill(0, spare)
    };
    assert_eq!(written, rows, "internal error in kernels::par: a kernel left cells of its result unwritten");
    // SAFETY: all `rows` cells of the spare capacity were written (checked just above).
    unsafe { out.set_len(rows) };
    out
}

/// Writes `f(x)` for every `x` of `src` into `out` (of the same length); returns the cells written.
pub fn write_map<T: Copy, U>(out: &mut [MaybeUninit<U>], src: &[T], f: impl Fn(T) -> U) -> usize {
    let n = out.len().min(src.len());
    for (o, x) in out[..n].iter_mut().zip(&src[..n]) {
        o.write(f(*x));
    }
    n
}

/// Writes `f(a[i], b[i])` into `out[i]`; returns the cells written.
pub fn write_zip<T: Copy, U>(out: &mut [MaybeUninit<U>], a: &[T], b: &[T], f: impl Fn(T, T) -> U) -> usize {
    let n = out.len().min(a.len()).min(b.len());
    for ((o, x), y) in out[..n].iter_mut().zip(&a[..n]).zip(&b[..n]) {
        o.write(f(*x, *y));
    }
    n
}

/// `m` with `f` applied to every cell (in parallel when large).
pub fn map<T, U>(m: &DenseMatrix<T>, f: impl Fn(&T) -> U + Sync) -> DenseMatrix<U>
where
    T: Elem + Copy + Sync + Send,
    U: Elem + Copy + Send + Sync,
{
    let (rows, cols) = (m.rows(), m.cols());
    let cells = build(rows, cols, |r0, block: &mut [MaybeUninit<U>]| {
        block.chunks_mut(cols).enumerate().map(|(i, out)| write_map(out, m.row(r0 + i), |x| f(&x))).sum()
    });
    DenseMatrix::from_vec(rows, cols, cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parallel_build_writes_every_row_in_place() {
        let (rows, cols) = (1000, 300);
        let out = build(rows, cols, |r0, block: &mut [MaybeUninit<u64>]| {
            let mut n = 0;
            for (i, row) in block.chunks_mut(cols).enumerate() {
                let r = (r0 + i) as u64;
                n += write_map(row, &vec![0u64; cols], |_| r);
            }
            n
        });
        assert_eq!(out.len(), rows * cols);
        assert!(out.chunks(cols).enumerate().all(|(r, row)| row.iter().all(|&v| v == r as u64)));
    }

    #[test]
    #[should_panic(expected = "unwritten")]
    fn a_block_that_leaves_cells_unwritten_is_caught() {
        let _ = build(4, 4, |_, block: &mut [MaybeUninit<f64>]| write_map(&mut block[..3], &[1.0; 3], |x| x));
    }
}
