//! Data generation: constants (`constant`, `matrixConstant`), `fill`, `rand` (DAPHNE's algorithm
//! and random streams, so a seed gives the same matrix as DAPHNE), `seq`, `sample` and
//! `diagMatrix`.

use crate::csr::CsrMatrix;
use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::elem::{Elem, Num, Scalar};
use crate::kernels::args::{OpArgs, Out, mat, one};
use crate::matrix::{Csr, CsrElem, Dense, DenseElem, Matrix};
use crate::rng::{MinStdRand0, Mt19937};
use crate::{with_num_dense, with_num_vt, with_vt};
use daphne_ir::{Attr, Repr, Type, ValueType};

/// A random seed for `seed = -1`, from the OS's hashing entropy and the clock.
pub fn fresh_seed() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    (h.finish() >> 1) as i64
}

pub fn fill(value: &Scalar, rows: usize, cols: usize, vt: ValueType) -> Result<Dense, String> {
    cells(rows, cols)?;
    crate::with_num_vt!(vt.storage_vt(), T => {
        let v = T::from_scalar(value)?;
        if v.is_zero() {
            // Zeros come from fresh memory (or a recycled block cleared by the allocator).
            Dense::filled(vt, rows, cols, value)
        } else {
            let cells = crate::kernels::par::build(rows, cols, |_, block: &mut [std::mem::MaybeUninit<T>]| {
                block.iter_mut().for_each(|c| {
                    c.write(v);
                });
                block.len()
            });
            Ok(T::wrap(DenseMatrix::from_vec(rows, cols, cells)))
        }
    }, str => Dense::filled(vt, rows, cols, value))
}

/// The number of cells of a `rows x cols` matrix, or an error when it cannot exist.
pub fn cells(rows: usize, cols: usize) -> Result<usize, String> {
    rows.checked_mul(cols)
        .filter(|n| n.checked_mul(8).is_some_and(|b| b <= isize::MAX as usize))
        .ok_or_else(|| format!("a {rows}x{cols} matrix is too large"))
}

/// Draws a value of type `T` uniformly from `[min, max]` (`[min, max)` for floats), as the C++
/// distributions do.
fn draw<T: Num>(g: &mut Mt19937, min: T, max: T) -> T {
    match T::VT {
        ValueType::F64 => T::from_f64(g.uniform_f64(min.to_f64(), max.to_f64())),
        ValueType::F32 => T::from_f64(g.uniform_f32(min.to_f64() as f32, max.to_f64() as f32) as f64),
        _ => {
            let urange = (max.to_i128() - min.to_i128()) as u64;
            T::from_i128(min.to_i128() + g.uniform_offset(urange) as i128)
        }
    }
}

/// The argument checks of `rand`, DAPHNE's messages.
fn check_rand<T: Num>(rows: usize, cols: usize, min: T, max: T, sparsity: f64) -> Result<(), String> {
    if rows == 0 {
        return Err("rand: the number of rows must be > 0".into());
    }
    if cols == 0 {
        return Err("rand: the number of columns must be > 0".into());
    }
    if min > max {
        return Err("rand: min must be <= max".into());
    }
    if min.is_zero() && max.is_zero() {
        return Err("rand: min and max must not both be zero, consider setting sparsity to zero instead".into());
    }
    if !(0.0..=1.0).contains(&sparsity) {
        return Err("rand: sparsity has to be in the interval [0.0, 1.0]".into());
    }
    Ok(())
}

/// Generator words per float cell of `rand` (`generate_canonical` takes two for `f64`, one for
/// `f32`), or `None` for integers, whose draws take a varying number of words.
fn words_per_cell<T: Num>() -> Option<u64> {
    match T::VT {
        ValueType::F64 => Some(2),
        ValueType::F32 => Some(1),
        _ => None,
    }
}

/// Fills `out` with `rand`'s non-zero float draws from `g` (`T` is `f64` or `f32`); returns how
/// many draws were zero and drawn again.
fn fill_float_cells<T: Num>(g: &mut Mt19937, out: &mut [T], min: T, max: T) -> u64 {
    const CHUNK: usize = 2048;
    let mut redrawn = 0;
    for dst in out.chunks_mut(CHUNK) {
        if T::VT == ValueType::F32 {
            let mut buf = [0.0f32; CHUNK];
            redrawn += g.fill_nonzero_f32(&mut buf[..dst.len()], min.to_f64() as f32, max.to_f64() as f32);
            for (d, v) in dst.iter_mut().zip(buf) {
                *d = T::from_f64(v as f64);
            }
        } else {
            let mut buf = [0.0f64; CHUNK];
            redrawn += g.fill_nonzero_f64(&mut buf[..dst.len()], min.to_f64(), max.to_f64());
            for (d, v) in dst.iter_mut().zip(buf) {
                *d = T::from_f64(v);
            }
        }
    }
    redrawn
}

/// Cells below this many are generated on one thread (a jump ahead costs about 10 ms).
const PARALLEL_CELLS: usize = 1 << 21;

/// Fills `out` with cells `first ..` of `rand`'s float value stream for `seed`, in parallel row
/// blocks, each from the generator jumped ahead to its first cell. A zero draw shifts the stream
/// of every later block, so the blocks after the first one that redrew are generated again, in
/// order, from where it ended: the cells are always those of one sequential pass. Returns the
/// number of redraws.
fn float_cells_parallel<T: Num>(seed: u64, first: u64, out: &mut [T], min: T, max: T, words: u64) -> u64 {
    let blocks = rayon::current_num_threads().min(out.len() / PARALLEL_CELLS).max(1);
    float_cells_in_blocks(seed, first, out, (min, max), words, blocks)
}

fn float_cells_in_blocks<T: Num>(
    seed: u64,
    first: u64,
    out: &mut [T],
    (min, max): (T, T),
    words: u64,
    blocks: usize,
) -> u64 {
    use rayon::prelude::*;
    let n = out.len();
    let len = n.div_ceil(blocks);
    let ran: Vec<(Mt19937, u64)> = out
        .par_chunks_mut(len)
        .enumerate()
        .map(|(b, dst)| {
            let mut g = Mt19937::new_at(seed, words * (first + (b * len) as u64));
            let redrawn = fill_float_cells(&mut g, dst, min, max);
            (g, redrawn)
        })
        .collect();
    let total: u64 = ran.iter().map(|r| r.1).sum();
    let Some(k) = ran.iter().position(|r| r.1 > 0).filter(|k| k + 1 < ran.len()) else { return total };
    let mut g = ran[k].0.clone();
    let mut redrawn: u64 = ran[..=k].iter().map(|r| r.1).sum();
    redrawn += fill_float_cells(&mut g, &mut out[(k + 1) * len..], min, max);
    redrawn
}

fn rand_typed<T: Num + DenseElem>(
    rows: usize,
    cols: usize,
    min: T,
    max: T,
    sparsity: f64,
    seed: i64,
) -> Result<Dense, String> {
    check_rand(rows, cols, min, max, sparsity)?;
    let seed = if seed == -1 { fresh_seed() } else { seed };
    let n = cells(rows, cols)?;
    let dense_fill = sparsity >= 0.5;
    let limit = if dense_fill { ((1.0 - sparsity) * n as f64).round() } else { (sparsity * n as f64).round() } as usize;
    let mut gen_val = Mt19937::new(seed as u64);
    let mut gen_index = Mt19937::new(seed.wrapping_mul(3) as u64);
    let nonzero = |g: &mut Mt19937| loop {
        let v = draw(g, min, max);
        if !v.is_zero() {
            break v;
        }
    };
    let mut values: Vec<T> = vec![T::zero(); n];
    match words_per_cell::<T>() {
        Some(words) if dense_fill => {
            float_cells_parallel(seed as u64, 0, &mut values, min, max, words);
        }
        _ if dense_fill => values.iter_mut().for_each(|v| *v = nonzero(&mut gen_val)),
        _ => {}
    }
    // Knuth's selection of `limit` distinct cells, which become zero (dense fill) or random.
    let mut inserted = 0usize;
    let max_index = i32::try_from(n.saturating_sub(1)).unwrap_or(i32::MAX) as i64;
    let mut i = 0usize;
    while i < n && inserted < limit {
        let r_range = (n - i) as f64;
        let r_size = (limit - inserted) as f64;
        let idx = gen_index.uniform_i64(0, max_index) as f64;
        if idx % r_range < r_size {
            values[i] = if dense_fill { T::zero() } else { nonzero(&mut gen_val) };
            inserted += 1;
        }
        i += 1;
    }
    Ok(T::wrap(DenseMatrix::from_vec(rows, cols, values)))
}

/// Rows `first .. first + count` of `rand(rows, cols, min, max, 1.0, seed)`, generated without
/// the rows before them (how a worker makes its row block). Only float matrices with sparsity 1
/// have such blocks, and only with a fixed seed. A block after which the stream is shifted by a
/// zero draw cannot be known to be exact, so it is an error (the caller then generates the whole
/// matrix instead); the last block may redraw.
fn rand_rows_typed<T: Num + DenseElem>(
    shape: (usize, usize),
    min: T,
    max: T,
    sparsity: f64,
    seed: i64,
    (first, count): (usize, usize),
) -> Result<Dense, String> {
    let (rows, cols) = shape;
    check_rand(rows, cols, min, max, sparsity)?;
    let Some(words) = words_per_cell::<T>() else {
        return Err(format!("rand: a block of rows of a {} matrix cannot be generated alone", T::VT.dsl_name()));
    };
    if sparsity != 1.0 || seed == -1 {
        return Err("rand: only a dense matrix with a fixed seed has row blocks of its own".into());
    }
    if first.checked_add(count).is_none_or(|end| end > rows) || count == 0 {
        return Err(format!("rand: rows {first}..{} are not rows of a {rows}x{cols} matrix", first + count));
    }
    let n = cells(count, cols)?;
    let mut values: Vec<T> = vec![T::zero(); n];
    let redrawn = float_cells_parallel(seed as u64, (first * cols) as u64, &mut values, min, max, words);
    if redrawn > 0 && first + count < rows {
        return Err("rand: a zero draw shifts the random stream of the later row blocks".into());
    }
    Ok(T::wrap(DenseMatrix::from_vec(count, cols, values)))
}

/// `daphne.randRows`: rows `first .. first + count` of a dense `rand` (see `rand_rows_typed`).
#[allow(clippy::too_many_arguments)]
pub fn rand_rows(
    rows: usize,
    cols: usize,
    min: &Scalar,
    max: &Scalar,
    sparsity: f64,
    seed: i64,
    (first, count): (usize, usize),
    vt: ValueType,
) -> Result<Dense, String> {
    with_num_vt!(vt.storage_vt(), T => {
        let (a, b) = (T::from_scalar(min)?, T::from_scalar(max)?);
        rand_rows_typed::<T>((rows, cols), a, b, sparsity, seed, (first, count))
    }, str => Err("rand: the value type must be numeric".to_string()))
}

/// `rand(rows, cols, min, max, sparsity, seed)`: cells uniformly in `[min, max]`, a fraction
/// `sparsity` of them non-zero; seed `-1` draws a fresh seed.
pub fn rand(
    rows: usize,
    cols: usize,
    min: &Scalar,
    max: &Scalar,
    sparsity: f64,
    seed: i64,
    vt: ValueType,
) -> Result<Dense, String> {
    with_num_vt!(vt.storage_vt(), T => {
        let (a, b) = (T::from_scalar(min)?, T::from_scalar(max)?);
        rand_typed::<T>(rows, cols, a, b, sparsity, seed)
    }, str => Err("rand: the value type must be numeric".to_string()))
}

fn draw_minstd<T: Num>(g: &mut MinStdRand0, min: T, max: T) -> T {
    match T::VT {
        ValueType::F64 => T::from_f64(g.canonical_f64() * (max.to_f64() - min.to_f64()) + min.to_f64()),
        ValueType::F32 => {
            let (a, b) = (min.to_f64() as f32, max.to_f64() as f32);
            T::from_f64((g.canonical_f32() * (b - a) + a) as f64)
        }
        _ => {
            let urange = (max.to_i128() - min.to_i128()) as u64;
            T::from_i128(min.to_i128() + g.uniform_offset(urange) as i128)
        }
    }
}

fn rand_csr_typed<T: CsrElem>(
    rows: usize,
    cols: usize,
    min: T,
    max: T,
    sparsity: f64,
    seed: i64,
) -> Result<Csr, String> {
    // The dense variant's checks of min and max.
    check_rand(1, 1, min, max, 1.0)?;
    if rows == 0 || cols == 0 || !(0.0..=1.0).contains(&sparsity) {
        return Err("rand: invalid shape or sparsity".into());
    }
    let nnz = (cells(rows, cols)? as f64 * sparsity).round() as usize;
    let seed = if seed == -1 { fresh_seed() } else { seed };
    let mut g = MinStdRand0::new(seed as u64);
    let values: Vec<T> = (0..nnz).map(|_| draw_minstd(&mut g, min, max)).collect();
    let mut per_row: Vec<usize> = if sparsity <= 0.5 { vec![0; rows] } else { vec![cols; rows] };
    if sparsity <= 0.5 {
        let mut assigned = 0;
        while assigned < nnz {
            let r = g.uniform_offset((rows - 1) as u64) as usize;
            if per_row[r] < cols {
                per_row[r] += 1;
                assigned += 1;
            }
        }
    } else {
        let mut assigned = cells(rows, cols)?;
        while assigned > nnz {
            let r = g.uniform_offset((rows - 1) as u64) as usize;
            if per_row[r] > 0 {
                per_row[r] -= 1;
                assigned -= 1;
            }
        }
    }
    let mut col_idx = Vec::with_capacity(nnz);
    for &k in &per_row {
        let mut chosen = std::collections::BTreeSet::new();
        if sparsity <= 0.5 {
            while chosen.len() < k {
                chosen.insert(g.uniform_offset((cols - 1) as u64) as usize);
            }
            col_idx.extend(chosen);
        } else {
            while chosen.len() < cols - k {
                chosen.insert(g.uniform_offset((cols - 1) as u64) as usize);
            }
            col_idx.extend((0..cols).filter(|c| !chosen.contains(c)));
        }
    }
    let mut row_ptr = Vec::with_capacity(rows + 1);
    row_ptr.push(0);
    for k in &per_row {
        row_ptr.push(row_ptr[row_ptr.len() - 1] + k);
    }
    Ok(T::wrap_csr(CsrMatrix::new(rows, cols, row_ptr, col_idx, values)))
}

/// `rand` producing a CSR matrix, with DAPHNE's sparse algorithm and random stream (used when the
/// compiler chose a sparse representation for the result).
pub fn rand_csr(
    rows: usize,
    cols: usize,
    min: &Scalar,
    max: &Scalar,
    sparsity: f64,
    seed: i64,
    vt: ValueType,
) -> Result<Csr, String> {
    match vt.storage_vt() {
        ValueType::F64 => {
            rand_csr_typed::<f64>(rows, cols, f64::from_scalar(min)?, f64::from_scalar(max)?, sparsity, seed)
        }
        ValueType::F32 => {
            rand_csr_typed::<f32>(rows, cols, f32::from_scalar(min)?, f32::from_scalar(max)?, sparsity, seed)
        }
        ValueType::SI64 => {
            rand_csr_typed::<i64>(rows, cols, i64::from_scalar(min)?, i64::from_scalar(max)?, sparsity, seed)
        }
        ValueType::SI32 => {
            rand_csr_typed::<i32>(rows, cols, i32::from_scalar(min)?, i32::from_scalar(max)?, sparsity, seed)
        }
        ValueType::SI8 => {
            rand_csr_typed::<i8>(rows, cols, i8::from_scalar(min)?, i8::from_scalar(max)?, sparsity, seed)
        }
        ValueType::UI64 => {
            rand_csr_typed::<u64>(rows, cols, u64::from_scalar(min)?, u64::from_scalar(max)?, sparsity, seed)
        }
        ValueType::UI32 => {
            rand_csr_typed::<u32>(rows, cols, u32::from_scalar(min)?, u32::from_scalar(max)?, sparsity, seed)
        }
        ValueType::UI8 => {
            rand_csr_typed::<u8>(rows, cols, u8::from_scalar(min)?, u8::from_scalar(max)?, sparsity, seed)
        }
        other => Err(format!("rand: a sparse matrix cannot hold {}", other.dsl_name())),
    }
}

/// The number of cells of `seq(start, end, inc)`: the steps from `start` to `end`, plus one,
/// less the last if adding up the steps overshoots `end` (by more than rounding).
fn seq_len_typed<T: Num>(start: T, end: T, inc: T) -> Result<usize, String> {
    if inc.is_nan() || start.is_nan() || end.is_nan() {
        return Err("seq: from, to and inc must not be NaN".into());
    }
    if inc.is_zero() {
        return Err("seq: inc should not be zero".into());
    }
    if (start < end && inc < T::zero()) || (start > end && inc > T::zero()) {
        return Ok(0);
    }
    let abs = |x: T| if x < T::zero() { x.neg() } else { x };
    let dist = abs(end.sub(start));
    let steps = if T::IS_FLOAT {
        (dist.to_f64() / abs(inc).to_f64()).ceil()
    } else {
        // Integer division first, as in C++ on integers.
        (dist.to_i128() / abs(inc).to_i128()) as f64
    };
    let expected = steps as usize + 1;
    let last = seq_cell(start, inc, expected - 1).to_f64();
    let eps = 1.0e-13;
    let (s, e) = (start.to_f64(), end.to_f64());
    if (e < s && e - last > eps) || (e > s && last - e > eps) { Ok(expected - 1) } else { Ok(expected) }
}

/// Cell `i` of a `seq` from `start` in steps of `inc`: the steps added one by one, as the whole
/// column adds them (for floats the rounding of every addition counts; integers wrap, so a
/// product gives the same cell).
fn seq_cell<T: Num>(start: T, inc: T, i: usize) -> T {
    if T::IS_FLOAT {
        let mut acc = start;
        for _ in 0..i {
            acc = acc.add(inc);
        }
        acc
    } else {
        start.add(T::from_i128(i as i128).mul(inc))
    }
}

/// Cells `first .. first + count` of a `seq` from `start` in steps of `inc`.
fn seq_cells<T: Num>(start: T, inc: T, first: usize, count: usize) -> Vec<T> {
    let mut values = Vec::with_capacity(count);
    let mut acc = seq_cell(start, inc, first);
    for _ in 0..count {
        values.push(acc);
        acc = acc.add(inc);
    }
    values
}

fn seq_typed<T: Num + DenseElem>(start: T, end: T, inc: T) -> Result<Dense, String> {
    let n = seq_len_typed(start, end, inc)?;
    Ok(T::wrap(DenseMatrix::from_vec(n, 1, seq_cells(start, inc, 0, n))))
}

/// The number of rows of `seq(from, to, inc)` of value type `vt`.
pub fn seq_len(from: &Scalar, to: &Scalar, inc: &Scalar, vt: ValueType) -> Result<usize, String> {
    with_num_vt!(vt.storage_vt(), T => {
        seq_len_typed::<T>(T::from_scalar(from)?, T::from_scalar(to)?, T::from_scalar(inc)?)
    }, str => Err("seq: the value type must be numeric".to_string()))
}

/// `daphne.seqRows`: rows `first .. first + count` of `seq(from, to, inc)`, the same cells as the
/// whole column has there (how a worker makes its row block).
pub fn seq_rows(
    (from, to, inc): (&Scalar, &Scalar, &Scalar),
    (first, count): (usize, usize),
    vt: ValueType,
) -> Result<Dense, String> {
    with_num_vt!(vt.storage_vt(), T => {
        let (start, end, step) = (T::from_scalar(from)?, T::from_scalar(to)?, T::from_scalar(inc)?);
        let n = seq_len_typed(start, end, step)?;
        if first.checked_add(count).is_none_or(|last| last > n) {
            return Err(format!("seq: rows {first}..{} are not rows of a column of {n}", first.saturating_add(count)));
        }
        Ok(T::wrap(DenseMatrix::from_vec(count, 1, seq_cells(start, step, first, count))))
    }, str => Err("seq: the value type must be numeric".to_string()))
}

/// `seq(from, to, inc)`: a column from `from` towards `to` (inclusive) in steps of `inc`.
pub fn seq(from: &Scalar, to: &Scalar, inc: &Scalar, vt: ValueType) -> Result<Dense, String> {
    with_num_vt!(vt.storage_vt(), T => {
        seq_typed::<T>(T::from_scalar(from)?, T::from_scalar(to)?, T::from_scalar(inc)?)
    }, str => Err("seq: the value type must be numeric".to_string()))
}

fn sample_typed<T: Num + DenseElem>(range: T, size: i64, with_replacement: bool, seed: i64) -> Result<Dense, String> {
    if size <= 0 {
        return Err("sample: size must be > 0".into());
    }
    if range <= T::zero() {
        return Err("sample: range must be > 0".into());
    }
    if !with_replacement && !T::IS_FLOAT && range.to_i128() < size as i128 {
        return Err("sample: if no duplicates are allowed, then must be range >= size".into());
    }
    let seed = if seed == -1 { fresh_seed() } else { seed };
    let mut g = Mt19937::new(seed as u64);
    // The upper bound is `nextafter(range, 0)`, truncated for integers.
    let hi = T::from_f64(range.to_f64().next_down());
    let size = size as usize;
    let mut values: Vec<T> = Vec::with_capacity(size);
    if with_replacement {
        for _ in 0..size {
            values.push(draw(&mut g, T::zero(), hi));
        }
    } else if T::IS_FLOAT {
        let mut seen: Vec<T> = Vec::with_capacity(size);
        for _ in 0..size {
            let mut v = draw(&mut g, T::zero(), hi);
            while seen.contains(&v) {
                v = draw(&mut g, T::zero(), hi);
            }
            seen.push(v);
            values.push(v);
        }
    } else {
        let range_i = range.to_i128();
        let mut i: i128 = 0;
        while i < range_i && values.len() < size {
            let r_range = (range_i - i) as f64;
            let r_size = (size - values.len()) as f64;
            if draw(&mut g, T::zero(), hi).to_f64() % r_range < r_size {
                values.push(T::from_i128(i));
            }
            i += 1;
        }
        g.shuffle(&mut values);
    }
    Ok(T::wrap(DenseMatrix::from_vec(size, 1, values)))
}

/// `sample(range, size, withReplacement, seed)`: `size` values from `[0, range)`.
pub fn sample(range: &Scalar, size: i64, with_replacement: bool, seed: i64, vt: ValueType) -> Result<Dense, String> {
    with_num_vt!(vt.storage_vt(), T => {
        sample_typed::<T>(T::from_scalar(range)?, size, with_replacement, seed)
    }, str => Err("sample: the value type must be numeric".to_string()))
}

/// `diagMatrix(v)`: the n x n matrix with the column vector `v` on its diagonal.
pub fn diag_matrix(v: &Dense) -> Result<Dense, String> {
    if v.cols() != 1 {
        return Err(format!("diagMatrix expects a column vector (n x 1), but got {}x{}", v.rows(), v.cols()));
    }
    let n = v.rows();
    Ok(with_num_dense!(v, m => DenseElem::wrap(DenseMatrix::from_fn(n, n, |r, c| {
        if r == c { *m.get(r, 0) } else { Num::zero() }
    })), s => Dense::Str(DenseMatrix::from_fn(n, n, |r, c| if r == c { s.get(r, 0).clone() } else { String::new() }))))
}

/// An identity-like helper used by tests and other kernels: a matrix from scalars of one type.
pub fn from_scalars(vt: ValueType, rows: usize, cols: usize, cells: &[Scalar]) -> Result<Dense, String> {
    with_vt!(vt.storage_vt(), T => {
        let v = cells.iter().map(T::from_scalar).collect::<Result<Vec<T>, String>>()?;
        Ok(T::wrap(DenseMatrix::from_vec(rows, cols, v)))
    })
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.constant`.
pub fn run_constant(a: &OpArgs<'_>) -> Out {
    match a.attr("value") {
        Some(Attr::Const(c)) => one(Data::Scalar(c.clone())),
        _ => Err("internal error: constant without value".into()),
    }
}

/// `daphne.matrixConstant`.
pub fn run_matrix_constant(a: &OpArgs<'_>) -> Out {
    match a.attr("value") {
        Some(Attr::Dense(d)) => mat(Dense::from_scalars(d.vt, d.rows as usize, d.cols as usize, &d.values)?),
        _ => Err("internal error: matrix constant without value".into()),
    }
}

/// `daphne.fill`.
pub fn run_fill(a: &OpArgs<'_>) -> Out {
    let v = a.scalar(0, "the value of fill")?.clone();
    let rows = a.size(1, "the number of rows")?;
    let cols = a.size(2, "the number of columns")?;
    let vt = a.result_vt(0)?;
    mat(fill(&v, rows, cols, vt)?)
}

/// The first six operands of `randMatrix` and `randRows`: rows, columns, min, max, sparsity,
/// seed.
type RandArgs = (usize, usize, Scalar, Scalar, f64, i64);

fn rand_args(a: &OpArgs<'_>) -> Result<RandArgs, String> {
    Ok((
        a.size(0, "the number of rows")?,
        a.size(1, "the number of columns")?,
        a.scalar(2, "min")?.clone(),
        a.scalar(3, "max")?.clone(),
        a.f64_of(4, "the sparsity")?,
        a.int(5, "the seed")?,
    ))
}

/// `daphne.randMatrix`, sparse when the result type says so.
pub fn run_rand(a: &OpArgs<'_>) -> Out {
    let (rows, cols, min, max, sparsity, seed) = rand_args(a)?;
    let vt = a.result_vt(0)?;
    if min.value_type() != max.value_type() && min.value_type().is_float() != max.value_type().is_float() {
        return Err("rand: min and max need to have the same type".into());
    }
    if matches!(a.static_type(0), Type::Matrix(t) if t.repr == Repr::Sparse) {
        let c = rand_csr(rows, cols, &min, &max, sparsity, seed, vt)?;
        return one(Data::Matrix(Matrix::Csr(c)));
    }
    mat(rand(rows, cols, &min, &max, sparsity, seed, vt)?)
}

/// `daphne.randRows`.
pub fn run_rand_rows(a: &OpArgs<'_>) -> Out {
    let (rows, cols, min, max, sparsity, seed) = rand_args(a)?;
    let first = a.size(6, "the first row")?;
    let count = a.size(7, "the number of rows of the block")?;
    let vt = a.result_vt(0)?;
    mat(rand_rows(rows, cols, &min, &max, sparsity, seed, (first, count), vt)?)
}

/// `daphne.seq`.
pub fn run_seq(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    let (from, to, inc) = (a.scalar(0, "from")?, a.scalar(1, "to")?, a.scalar(2, "inc")?);
    mat(seq(from, to, inc, vt)?)
}

/// `daphne.seqRows`.
pub fn run_seq_rows(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    let (from, to, inc) = (a.scalar(0, "from")?, a.scalar(1, "to")?, a.scalar(2, "inc")?);
    let first = a.size(3, "the first row")?;
    let count = a.size(4, "the number of rows of the block")?;
    mat(seq_rows((from, to, inc), (first, count), vt)?)
}

/// `daphne.sample`.
pub fn run_sample(a: &OpArgs<'_>) -> Out {
    let vt = a.result_vt(0)?;
    let range = a.scalar(0, "the range")?.clone();
    let size = a.int(1, "the size")?;
    let repl = a.flag(2, "withReplacement")?;
    let seed = a.int(3, "the seed")?;
    mat(sample(&range, size, repl, seed, vt)?)
}

/// `daphne.diagMatrix`.
pub fn run_diag_matrix(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of diagMatrix")?;
    mat(diag_matrix(&m.dense())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_lengths() {
        let s = seq(&Scalar::F64(0.0), &Scalar::F64(1.0), &Scalar::F64(0.1), ValueType::F64).unwrap();
        assert_eq!(s.rows(), 11);
        let s = seq(&Scalar::SI64(5), &Scalar::SI64(1), &Scalar::SI64(-2), ValueType::SI64).unwrap();
        assert_eq!(s.rows(), 3);
        let s = seq(&Scalar::SI64(1), &Scalar::SI64(5), &Scalar::SI64(-1), ValueType::SI64).unwrap();
        assert_eq!(s.rows(), 0);
    }

    #[test]
    fn seq_row_blocks_are_the_cells_of_the_whole_column() {
        // 0.1 is not exact in binary: adding it up drifts from i * 0.1, and a block must drift
        // exactly as the whole column does.
        let cases = [
            (Scalar::F64(0.0), Scalar::F64(100.0), Scalar::F64(0.1), ValueType::F64),
            (Scalar::F64(3.0), Scalar::F64(-7.5), Scalar::F64(-0.3), ValueType::F64),
            (Scalar::F32(1.0), Scalar::F32(50.0), Scalar::F32(0.7), ValueType::F32),
            (Scalar::SI64(-5), Scalar::SI64(1000), Scalar::SI8(7), ValueType::SI64),
            (Scalar::UI8(3), Scalar::UI8(250), Scalar::SI64(4), ValueType::UI8),
        ];
        for (from, to, inc, vt) in cases {
            let whole = seq(&from, &to, &inc, vt).unwrap();
            let n = seq_len(&from, &to, &inc, vt).unwrap();
            assert_eq!(n, whole.rows());
            for (first, count) in [(0, n), (0, 1), (n / 3, n / 3), (n - 1, 1), (n / 2, n - n / 2), (n, 0)] {
                let block = seq_rows((&from, &to, &inc), (first, count), vt).unwrap();
                assert_eq!(block.rows(), count);
                for r in 0..count {
                    assert_eq!(block.get(r, 0), whole.get(first + r, 0), "{vt:?} row {}", first + r);
                }
            }
            assert!(seq_rows((&from, &to, &inc), (n, 1), vt).unwrap_err().contains("are not rows"));
        }
    }

    #[test]
    fn rand_is_reproducible_and_sparse() {
        let a = rand(20, 10, &Scalar::F64(0.0), &Scalar::F64(1.0), 0.3, 42, ValueType::F64).unwrap();
        let b = rand(20, 10, &Scalar::F64(0.0), &Scalar::F64(1.0), 0.3, 42, ValueType::F64).unwrap();
        assert_eq!(a, b);
        let Dense::F64(m) = a else { panic!("f64 matrix") };
        assert_eq!(m.iter().filter(|v| **v != 0.0).count(), 60);
        assert!(m.iter().all(|v| (0.0..1.0).contains(v)));
    }

    /// `rand`'s float cells drawn one by one, as DAPHNE does.
    fn sequential<T: Num>(seed: u64, n: usize, min: T, max: T) -> Vec<T> {
        let mut g = Mt19937::new(seed);
        (0..n)
            .map(|_| {
                loop {
                    let v = draw(&mut g, min, max);
                    if !v.is_zero() {
                        break v;
                    }
                }
            })
            .collect()
    }

    #[test]
    fn parallel_rand_is_the_sequential_stream() {
        let n = 2 * PARALLEL_CELLS + 3;
        let Dense::F64(m) = rand(n, 1, &Scalar::F64(-1.0), &Scalar::F64(2.0), 1.0, 7, ValueType::F64).unwrap() else {
            panic!("f64 matrix")
        };
        assert_eq!(m.to_vec(), sequential(7, n, -1.0f64, 2.0));
        let Dense::F32(m) = rand(3, n / 3, &Scalar::F32(0.0), &Scalar::F32(1.0), 1.0, 8, ValueType::F32).unwrap()
        else {
            panic!("f32 matrix")
        };
        assert_eq!(m.to_vec(), sequential(8, 3 * (n / 3), 0.0f32, 1.0));
    }

    #[test]
    fn blocks_after_a_zero_draw_are_generated_again() {
        // A range in which the 5th draw of seed 11 is exactly zero (see rng's tests): block 0
        // redraws, so blocks 1 and 2 must follow the shifted stream.
        let mut g = Mt19937::new(11);
        let canon: Vec<f32> = (0..40).map(|_| g.canonical_f32()).collect();
        let k = canon.iter().position(|c| (0.5..0.99).contains(c)).expect("a draw in [0.5, 1)");
        let (a, b) = (-canon[k], 1.0 - canon[k]);
        let mut out = vec![0.0f32; 3000];
        let redrawn = float_cells_in_blocks(11, 0, &mut out, (a, b), 1, 3);
        assert!(redrawn >= 1);
        assert_eq!(out, sequential(11, 3000, a, b));
    }

    #[test]
    fn row_blocks_stack_to_the_whole_matrix() {
        let (min, max) = (Scalar::F64(0.0), Scalar::F64(1.0));
        let whole = rand(10, 7, &min, &max, 1.0, 42, ValueType::F64).unwrap();
        let mut cells = Vec::new();
        for (first, count) in [(0, 4), (4, 3), (7, 3)] {
            let Dense::F64(m) = rand_rows(10, 7, &min, &max, 1.0, 42, (first, count), ValueType::F64).unwrap() else {
                panic!("f64 block")
            };
            assert_eq!(m.rows(), count);
            cells.extend(m.to_vec());
        }
        assert_eq!(Dense::F64(DenseMatrix::from_vec(10, 7, cells)), whole);
        for bad in [(8, 3), (0, 0)] {
            assert!(rand_rows(10, 7, &min, &max, 1.0, 42, bad, ValueType::F64).is_err());
        }
        assert!(rand_rows(10, 7, &min, &max, 0.5, 42, (0, 4), ValueType::F64).is_err());
        assert!(rand_rows(10, 7, &min, &max, 1.0, -1, (0, 4), ValueType::F64).is_err());
        assert!(rand_rows(10, 7, &Scalar::SI64(1), &Scalar::SI64(5), 1.0, 1, (0, 4), ValueType::SI64).is_err());
    }

    #[test]
    fn sample_without_replacement_is_a_permutation() {
        let s = sample(&Scalar::SI64(10), 10, false, 3, ValueType::SI64).unwrap();
        let Dense::SI64(m) = s else { panic!("si64") };
        let mut v = m.to_vec();
        v.sort();
        assert_eq!(v, (0..10).collect::<Vec<i64>>());
    }
}
