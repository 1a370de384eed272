//! Batches of a pipeline run by its JIT-compiled function (`daphne-codegen`) instead of the
//! kernels: the inputs' kinds (scalar, row or column vector, matrix) are read off the data, the
//! compiled function is fetched from the process-wide cache (compiled on first use), and each
//! batch is one call with pointers into the inputs and straight into the outputs. The first
//! batch always runs on the kernels: its results give the outputs' shapes and value types, and
//! the generated code is used only when it produces exactly those.

use super::Plan;
use super::sink::BlockSink;
use crate::data::Data;
use crate::elem::Scalar;
use crate::matrix::{Dense, DenseElem, Matrix};
use crate::{with_num_dense, with_num_vt};
use daphne_codegen::{ArgKind, Compiled, OutputKind};
use daphne_ir::vector::Combine;
use daphne_ir::{Module, Op, ValueType};
use std::sync::Arc;

/// One input as the generated function receives it.
#[derive(Clone, Copy)]
enum Input {
    /// Scalar bits, the same for every batch.
    Bits(u64),
    /// The address of cell (0, 0), bytes per row: advanced to the batch's first row.
    Sliced { addr: usize, row_bytes: usize, stride: usize },
    /// The address of cell (0, 0) of a matrix passed whole.
    Whole { addr: usize },
}

/// A pipeline run ready to call its compiled function batch by batch.
pub(crate) struct NativeRun {
    compiled: Arc<Compiled>,
    inputs: Vec<Input>,
    cols: usize,
    /// Call with each batch as one row of `rows * cols` cells.
    flat: bool,
}

/// What a batch produced for one output that is not written in place.
pub(crate) enum BatchOutput {
    InPlace,
    Value(Data),
}

fn dense_of(d: &Data) -> Option<&Dense> {
    match d {
        Data::Matrix(Matrix::Dense(m)) => Some(m),
        _ => None,
    }
}

/// (address of cell (0, 0), row stride in cells, value type) of a numeric dense matrix.
fn parts(d: &Dense) -> Option<(usize, usize, ValueType)> {
    with_num_dense!(d, m => {
        let (ptr, stride) = m.raw_parts();
        Some((ptr as usize, stride, d.vt()))
    }, _s => None)
}

fn elem_bytes(vt: ValueType) -> usize {
    match vt {
        ValueType::F64 | ValueType::SI64 | ValueType::UI64 | ValueType::Index => 8,
        ValueType::F32 | ValueType::SI32 | ValueType::UI32 => 4,
        _ => 1,
    }
}

fn scalar_bits(s: &Scalar) -> Option<(u64, ValueType)> {
    Some(match s {
        Scalar::F64(v) => (v.to_bits(), ValueType::F64),
        Scalar::F32(v) => (u64::from(v.to_bits()), ValueType::F32),
        Scalar::SI64(v) => (*v as u64, ValueType::SI64),
        Scalar::SI32(v) => (*v as u32 as u64, ValueType::SI32),
        Scalar::SI8(v) => (*v as u8 as u64, ValueType::SI8),
        Scalar::UI64(v) => (*v, ValueType::UI64),
        Scalar::UI32(v) => (u64::from(*v), ValueType::UI32),
        Scalar::UI8(v) => (u64::from(*v), ValueType::UI8),
        _ => return None,
    })
}

fn scalar_from_bits(bits: u64, vt: ValueType) -> Option<Scalar> {
    Some(match vt {
        ValueType::F64 => Scalar::F64(f64::from_bits(bits)),
        ValueType::F32 => Scalar::F32(f32::from_bits(bits as u32)),
        ValueType::SI64 => Scalar::SI64(bits as i64),
        ValueType::SI32 => Scalar::SI32(bits as u32 as i32),
        ValueType::SI8 => Scalar::SI8(bits as u8 as i8),
        ValueType::UI64 => Scalar::UI64(bits),
        ValueType::UI32 => Scalar::UI32(bits as u32),
        ValueType::UI8 => Scalar::UI8(bits as u8),
        _ => return None,
    })
}

/// What `--explain mlir,llvm` does with a function compiled just now (or why there is none).
pub(crate) type ExplainCompiled<'a> = dyn Fn(&Result<Arc<Compiled>, String>) + 'a;

/// The compiled form of pipeline `op` for these inputs, when the code generator handles it and
/// it produces exactly what the kernels produced for the first batch (`first`); `None` runs the
/// kernels (also while the pipeline has processed fewer than `threshold` bytes over all its runs:
/// compiling is not worth it yet). `explain` receives the compiled function (or why there is none) when the lookup
/// compiled it just now.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prepare(
    m: &Module,
    op: Op,
    combines: &[Combine],
    inputs: &[Data],
    plan: &Plan,
    first: &[Data],
    threshold: u64,
    explain: &ExplainCompiled<'_>,
) -> Option<NativeRun> {
    // The width of the rows: the widest sliced input or row vector.
    let mut cols = 0;
    for (d, sliced) in inputs.iter().zip(&plan.sliced) {
        if let Some(dm) = dense_of(d)
            && (*sliced || dm.rows() == 1)
        {
            cols = cols.max(dm.cols());
        }
    }
    if cols == 0 {
        return None;
    }
    let mut kinds = Vec::with_capacity(inputs.len());
    let mut args = Vec::with_capacity(inputs.len());
    for (d, sliced) in inputs.iter().zip(&plan.sliced) {
        let (kind, input) = match d {
            Data::Scalar(s) => {
                let (bits, vt) = scalar_bits(s)?;
                (ArgKind::Scalar(vt), Input::Bits(bits))
            }
            Data::Matrix(Matrix::Dense(dm)) => {
                let (addr, stride, vt) = parts(dm)?;
                let row_bytes = stride * elem_bytes(vt);
                match (*sliced, dm.rows(), dm.cols()) {
                    (true, _, c) if c == cols => (ArgKind::Full(vt), Input::Sliced { addr, row_bytes, stride }),
                    (true, _, 1) => (ArgKind::Col(vt), Input::Sliced { addr, row_bytes, stride }),
                    (false, 1, 1) => (ArgKind::One(vt), Input::Whole { addr }),
                    (false, 1, c) if c == cols => (ArgKind::Row(vt), Input::Whole { addr }),
                    _ => return None,
                }
            }
            _ => return None,
        };
        kinds.push(kind);
        args.push(input);
    }
    let bytes: u64 = inputs
        .iter()
        .zip(&plan.sliced)
        .filter(|(_, sliced)| **sliced)
        .filter_map(|(d, _)| dense_of(d).map(|dm| (dm.rows() * dm.cols() * elem_bytes(dm.vt())) as u64))
        .sum();
    let lookup = daphne_codegen::compile_when_hot(m, op, &kinds, combines, bytes, threshold)?;
    if lookup.fresh {
        explain(&lookup.result);
    }
    let compiled = lookup.result.ok()?;
    // The generated outputs must be what the kernels gave for the first batch.
    let b = plan.batch;
    for ((kind, d), c) in compiled.lowered.outputs.iter().zip(first).zip(combines) {
        let ok = match (kind, d) {
            (OutputKind::Cells(vt), Data::Matrix(Matrix::Dense(dm))) => {
                *c == Combine::Rows && dm.vt() == *vt && dm.rows() == b && dm.cols() == cols
            }
            (OutputKind::Column(vt), Data::Matrix(Matrix::Dense(dm))) => {
                *c == Combine::Rows && dm.vt() == *vt && dm.rows() == b && dm.cols() == 1
            }
            (OutputKind::Scalar(vt), Data::Scalar(s)) => scalar_bits(s).is_some_and(|(_, svt)| svt == *vt),
            (OutputKind::RowVector(vt), Data::Matrix(Matrix::Dense(dm))) => {
                dm.vt() == *vt && dm.rows() == 1 && dm.cols() == cols
            }
            _ => false,
        };
        if !ok {
            return None;
        }
    }
    let contiguous = args.iter().zip(&kinds).all(|(a, k)| match (a, k) {
        (Input::Sliced { stride, .. }, ArgKind::Full(_)) => *stride == cols,
        _ => true,
    });
    let lowered = &compiled.lowered;
    let flat = lowered.flattenable && contiguous && (!lowered.lane_sums || cols % daphne_codegen::LANES == 0);
    Some(NativeRun { compiled, inputs: args, cols, flat })
}

impl NativeRun {
    /// Runs rows `r0..r1`: outputs combined by rows go straight into their sinks, the others are
    /// returned. `None` when a cell lay outside a function's domain (the caller reruns the batch
    /// with the kernels, which report the error).
    ///
    /// # Safety
    /// Concurrent calls must pass disjoint row ranges, and `sinks` must be the sinks of the
    /// outputs combined by rows (with the shapes checked by `prepare`).
    pub(crate) unsafe fn run(
        &self,
        r0: usize,
        r1: usize,
        sinks: &[Option<Box<dyn BlockSink>>],
    ) -> Option<Vec<BatchOutput>> {
        let rows = r1 - r0;
        let outputs = &self.compiled.lowered.outputs;
        let mut slots: Vec<u64> = Vec::with_capacity(2 + 2 * (self.inputs.len() + outputs.len()));
        if self.flat {
            slots.extend([1, (rows * self.cols) as u64]);
        } else {
            slots.extend([rows as u64, self.cols as u64]);
        }
        for input in &self.inputs {
            match *input {
                Input::Bits(bits) => slots.extend([bits, 0]),
                Input::Sliced { addr, row_bytes, stride } => {
                    slots.extend([(addr + r0 * row_bytes) as u64, stride as u64])
                }
                Input::Whole { addr } => slots.extend([addr as u64, 0]),
            }
        }
        // Buffers of the outputs that are not written in place, one u64 per scalar.
        let mut scalars = vec![0u64; outputs.len()];
        // Row vectors in 8-byte cells (enough size and alignment for every value type), zeroed.
        let mut vectors: Vec<Vec<u64>> = Vec::with_capacity(outputs.len());
        for (j, kind) in outputs.iter().enumerate() {
            match kind {
                OutputKind::Cells(vt) | OutputKind::Column(vt) => {
                    let sink = sinks.get(j)?.as_ref()?;
                    let (base, sink_cols) = sink.raw();
                    let row_bytes = sink_cols * elem_bytes(*vt);
                    slots.extend([(base as usize + r0 * row_bytes) as u64, sink_cols as u64]);
                    vectors.push(Vec::new());
                }
                OutputKind::Scalar(_) => {
                    slots.extend([&mut scalars[j] as *mut u64 as u64, 0]);
                    vectors.push(Vec::new());
                }
                OutputKind::RowVector(_) => {
                    let mut zeros = vec![0u64; self.cols];
                    slots.extend([zeros.as_mut_ptr() as u64, 0]);
                    vectors.push(zeros);
                }
            }
        }
        // SAFETY: the slots follow the function's ABI: every pointer addresses the cells the
        // function reads or writes for these rows (inputs kept alive by the caller; sinks sized
        // by `prepare`'s checks, rows disjoint between concurrent calls; `scalars` and `vectors`
        // are this call's own and live until after it).
        let status = unsafe { (self.compiled.native.function)(slots.as_ptr()) };
        if status != 0 {
            return None;
        }
        let mut out = Vec::with_capacity(outputs.len());
        for (j, kind) in outputs.iter().enumerate() {
            out.push(match kind {
                OutputKind::Cells(_) | OutputKind::Column(_) => BatchOutput::InPlace,
                OutputKind::Scalar(vt) => BatchOutput::Value(Data::Scalar(scalar_from_bits(scalars[j], *vt)?)),
                OutputKind::RowVector(vt) => {
                    BatchOutput::Value(Data::Matrix(Matrix::Dense(row_vector(&vectors[j], self.cols, *vt)?)))
                }
            });
        }
        Some(out)
    }
}

/// The first `cols` cells of type `vt` that the function wrote into `buf`.
fn row_vector(buf: &[u64], cols: usize, vt: ValueType) -> Option<Dense> {
    with_num_vt!(vt, T => {
        if std::mem::size_of::<T>() * cols > std::mem::size_of_val(buf) {
            return None;
        }
        // SAFETY: `buf` holds at least `cols` cells of `T` (checked above), is aligned for any
        // value type (8 bytes), and every bit pattern the function wrote is a valid `T`.
        let cells = unsafe { std::slice::from_raw_parts(buf.as_ptr() as *const T, cols) };
        Some(<T as DenseElem>::wrap(crate::dense::DenseMatrix::from_vec(1, cols, cells.to_vec())))
    }, str => None)
}

/// Inputs of at least this many bytes make a pipeline worth compiling ahead, in the background,
/// while the script runs up to it (tiny scripts compile nothing they may not run).
const PRECOMPILE_BYTES: u64 = 16 << 20;

/// The kinds the inputs of pipeline `op` will have by their static types (known shapes and value
/// types, dense), and whether its rows are large enough to compile it ahead.
fn predicted_kinds(m: &Module, op: Op) -> Option<(Vec<ArgKind>, Vec<Combine>)> {
    use daphne_ir::vector::{self, Split};
    use daphne_ir::{Repr, Type};
    let splits = vector::splits(m, op).ok()?;
    let combines = vector::combines(m, op).ok()?;
    let operands = m.operands(op);
    let shape = |t: &daphne_ir::MatrixType| Some((t.rows?, t.cols?, t.vt?.storage_vt()));
    let (mut rows, mut cols, mut bytes) = (0, 0, 0u64);
    for (v, split) in operands.iter().zip(&splits) {
        if let (Type::Matrix(t), Split::Rows) = (m.value_type(*v), split) {
            let (r, c, vt) = shape(t)?;
            rows = rows.max(r);
            cols = cols.max(c);
            bytes += r * c * elem_bytes(vt) as u64;
        }
    }
    if bytes < PRECOMPILE_BYTES {
        return None;
    }
    let mut kinds = Vec::with_capacity(operands.len());
    for (v, split) in operands.iter().zip(&splits) {
        kinds.push(match (m.value_type(*v), split) {
            (Type::Matrix(t), _) if t.repr == Repr::Sparse => return None,
            // A one-row input of a pipeline with more rows is broadcast, not sliced.
            (Type::Matrix(t), Split::Rows) => match shape(t)? {
                (1, 1, vt) if rows > 1 => ArgKind::One(vt),
                (1, c, vt) if rows > 1 && c == cols => ArgKind::Row(vt),
                (_, c, vt) if c == cols => ArgKind::Full(vt),
                (_, 1, vt) => ArgKind::Col(vt),
                _ => return None,
            },
            (Type::Matrix(t), Split::None) => match shape(t)? {
                (1, 1, vt) => ArgKind::One(vt),
                (1, c, vt) if c == cols => ArgKind::Row(vt),
                _ => return None,
            },
            (t, _) if t.is_scalar() => ArgKind::Scalar(t.value_type()?.storage_vt()),
            _ => return None,
        });
    }
    Some((kinds, combines))
}

/// Compiles, on a background thread, the large pipelines of `m` whose input kinds are known
/// statically, so that they are in the cache when they run (`None`: nothing to compile).
pub(crate) fn precompile(
    m: &Module,
    explain: impl Fn(&Result<Arc<Compiled>, String>) + Send + 'static,
) -> Option<std::thread::JoinHandle<()>> {
    let mut work = Vec::new();
    m.walk(&mut |op| {
        if m.kind(op) == daphne_ir::OpKind::VectorizedPipeline
            && let Some(k) = predicted_kinds(m, op)
        {
            work.push((op, k));
        }
    });
    if work.is_empty() {
        return None;
    }
    let m = m.clone();
    std::thread::Builder::new()
        .name("daphne-codegen".into())
        .spawn(move || {
            for (op, (kinds, combines)) in work {
                let lookup = daphne_codegen::compile_pipeline(&m, op, &kinds, &combines);
                if lookup.fresh {
                    explain(&lookup.result);
                }
            }
        })
        .ok()
}
