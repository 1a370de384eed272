//! The local vectorized engine: runs a `daphne.vectorizedPipeline` over its rows on a persistent
//! rayon pool. The row range is cut into tasks and every task into cache-sized micro-batches;
//! the pipeline body runs on each batch (row views of the split inputs, the whole of the others)
//! and the batch results are combined: `Rows`/`Cols` outputs are written in place into one
//! preallocated result, `Add`/`Min`/`Max` outputs are reduced per task and merged in task order.
//!
//! The task partition depends only on the data size, never on the number of threads, so results
//! are bit-identical for any `--num-threads`. When the inputs do not fit the pipeline's row
//! structure (mismatched row counts, sparse inputs, a single batch), the body runs once on the
//! whole inputs, which is exactly what plain execution computes (including its errors).

mod native;
mod sink;

use crate::data::Data;
use crate::dispatch::OpDispatch;
use crate::error::ExecError;
use crate::kernels::combine::reduce;
use crate::matrix::{Dense, Matrix};
use daphne_ir::vector::{self, Combine, Split};
use daphne_ir::{Block, Module, Op, OpKind, Value};
use rayon::prelude::*;
use sink::{BlockSink, sink_like};
use std::collections::HashMap;

/// Bytes of split input per micro-batch by default: small enough that a batch and the
/// temporaries of the body stay in the core's L2 cache.
pub const DEFAULT_BATCH_BYTES: usize = 128 * 1024;
/// Bytes of input a pipeline processes (over all its runs) before it is JIT-compiled.
pub const DEFAULT_CODEGEN_THRESHOLD: u64 = 32 << 20;
/// Rows per batch at least, for bodies with a matrix product (BLAS-like kernels need some rows
/// to be efficient).
const MATMUL_BATCH_ROWS: usize = 256;
/// At most this many tasks per pipeline (enough to balance the load of many threads).
const MAX_TASKS: usize = 64;

/// Settings of the engine (DAPHNE's `--num-threads`, `--phy-batch-size`, `--grain-size`).
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Worker threads; 0 for one per available core.
    pub threads: usize,
    /// Bytes of split input per micro-batch.
    pub batch_bytes: usize,
    /// Rows per task at least.
    pub grain_size: usize,
    /// Run pipelines as JIT-compiled code where the code generator handles them.
    pub codegen: bool,
    /// Compile a pipeline once it has processed this many bytes of input over all its runs
    /// (compiling costs about as much as the kernels take for tens of megabytes).
    pub codegen_threshold: u64,
    /// Print the MLIR / LLVM IR of each pipeline when it is compiled (`--explain mlir,llvm`).
    pub explain_mlir: bool,
    pub explain_llvm: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            threads: 0,
            batch_bytes: DEFAULT_BATCH_BYTES,
            grain_size: 1,
            codegen: true,
            codegen_threshold: DEFAULT_CODEGEN_THRESHOLD,
            explain_mlir: false,
            explain_llvm: false,
        }
    }
}

/// The engine: a persistent pool of worker threads.
pub struct Engine {
    pool: rayon::ThreadPool,
    batch_bytes: usize,
    grain_size: usize,
    codegen: bool,
    codegen_threshold: u64,
    explain_mlir: bool,
    explain_llvm: bool,
    /// The background compilation of `precompile`, joined when the engine is dropped.
    precompiling: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for Engine {
    fn drop(&mut self) {
        let handle = self.precompiling.get_mut().map(Option::take).unwrap_or_else(|e| e.into_inner().take());
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

impl Engine {
    pub fn new(opts: &EngineOptions) -> Result<Engine, String> {
        let threads = match opts.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("daphne-vec-{i}"))
            .build()
            .map_err(|e| format!("cannot start the vectorized engine's threads: {e}"))?;
        Ok(Engine {
            pool,
            batch_bytes: opts.batch_bytes.max(1),
            grain_size: opts.grain_size.max(1),
            codegen: opts.codegen,
            codegen_threshold: opts.codegen_threshold,
            explain_mlir: opts.explain_mlir,
            explain_llvm: opts.explain_llvm,
            precompiling: std::sync::Mutex::new(None),
        })
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Starts compiling, in the background, the large pipelines of `m` whose input kinds are
    /// known from their static types, so that compiling them overlaps the script's work before
    /// them (generating or reading their inputs) instead of delaying them.
    pub fn precompile(&self, m: &Module) {
        if !self.codegen {
            return;
        }
        let (mlir, llvm) = (self.explain_mlir, self.explain_llvm);
        let handle = native::precompile(m, move |c| explain(mlir, llvm, c));
        if let Ok(mut slot) = self.precompiling.lock() {
            *slot = handle;
        }
    }

    /// Prints what `--explain mlir,llvm` asks for about a pipeline compiled just now (or why it
    /// runs on the kernels).
    fn explain(&self, c: &Result<std::sync::Arc<daphne_codegen::Compiled>, String>) {
        explain(self.explain_mlir, self.explain_llvm, c)
    }
}

fn explain(explain_mlir: bool, explain_llvm: bool, c: &Result<std::sync::Arc<daphne_codegen::Compiled>, String>) {
    {
        if explain_mlir {
            match c {
                Ok(c) => eprint!("IR after MLIR code generation:\n{}", c.lowered.mlir),
                Err(why) => eprintln!("IR after MLIR code generation:\n// not generated: {why}"),
            }
        }
        if explain_llvm {
            match c {
                Ok(c) => eprint!("IR after llvm lowering:\n{}", c.native.llvm_ir),
                Err(why) => eprintln!("IR after llvm lowering:\n; not generated: {why}"),
            }
        }
    }
}

/// How the rows of a pipeline are processed.
pub(crate) struct Plan {
    /// The number of rows every split input has.
    len: usize,
    /// Per input: cut into row ranges (`true`) or passed whole to every batch.
    sliced: Vec<bool>,
    /// Rows per micro-batch.
    batch: usize,
}

/// Runs a pipeline op on its inputs, vectorized when an engine is given.
pub(crate) fn run_vectorized_pipeline(
    k: OpDispatch<'_>,
    op: Op,
    inputs: Vec<Data>,
    engine: Option<&Engine>,
) -> Result<Vec<Data>, ExecError> {
    let m = k.m;
    let body = m.op_block(op, 0).ok_or_else(|| k.err(op, "internal error: pipeline without a body"))?;
    let splits = vector::splits(m, op).map_err(|e| k.err(op, format!("internal error: {e}")))?;
    let combines = vector::combines(m, op).map_err(|e| k.err(op, format!("internal error: {e}")))?;
    let Some(engine) = engine else {
        return run_body(k, body, inputs);
    };
    let Some(plan) = plan(m, body, &splits, &inputs, engine.batch_bytes) else {
        return run_body(k, body, inputs);
    };
    if plan.batch >= plan.len {
        return run_body(k, body, inputs);
    }
    run_vectorized(k, op, body, &combines, &inputs, &plan, engine)
}

/// Runs the body once, on whole inputs: plain execution of the fused ops.
fn run_body(k: OpDispatch<'_>, body: Block, args: Vec<Data>) -> Result<Vec<Data>, ExecError> {
    let m = k.m;
    let mut env: HashMap<Value, Data> = HashMap::with_capacity(m.block_ops(body).len() + args.len());
    for (a, d) in m.block_args(body).iter().zip(args) {
        env.insert(*a, d);
    }
    for &op in m.block_ops(body) {
        let operands = m
            .operands(op)
            .iter()
            .map(|v| env.get(v).cloned().ok_or_else(|| k.err(op, "internal error: pipeline value used before defined")))
            .collect::<Result<Vec<Data>, ExecError>>()?;
        if m.kind(op).is_terminator() {
            return Ok(operands);
        }
        let results = k.run(op, &operands)?;
        for (i, (v, d)) in m.results(op).iter().zip(results).enumerate() {
            env.insert(*v, k.represent(op, i, d));
        }
    }
    Err(ExecError::Runtime { message: "internal error: pipeline body without return".into(), loc: Default::default() })
}

fn plan(m: &Module, body: Block, splits: &[Split], inputs: &[Data], batch_bytes: usize) -> Option<Plan> {
    let args = m.block_args(body);
    if splits.len() != inputs.len() || args.len() != inputs.len() {
        return None;
    }
    let mut main_rows: Option<usize> = None;
    let mut max_rows = 0;
    let mut bytes_per_row = 0;
    for (j, split) in splits.iter().enumerate() {
        if *split != Split::Rows {
            continue;
        }
        let Data::Matrix(Matrix::Dense(d)) = &inputs[j] else { return None };
        max_rows = max_rows.max(d.rows());
        bytes_per_row += d.cols() * elem_bytes(d);
        if !vector::broadcastable(m, body, args[j]) {
            match main_rows {
                Some(r) if r != d.rows() => return None,
                _ => main_rows = Some(d.rows()),
            }
        }
    }
    let len = main_rows.unwrap_or(max_rows);
    if len == 0 {
        return None;
    }
    let mut sliced = Vec::with_capacity(inputs.len());
    for (j, split) in splits.iter().enumerate() {
        let s = match (split, &inputs[j]) {
            (Split::Rows, Data::Matrix(mat)) if mat.rows() == len => true,
            (Split::Rows, Data::Matrix(mat)) if mat.rows() == 1 => false,
            (Split::Rows, _) => return None,
            (Split::None, _) => false,
        };
        sliced.push(s);
    }
    let mut batch = (batch_bytes / bytes_per_row.max(1)).clamp(1, len);
    let has_matmul =
        m.block_ops(body).iter().any(|op| matches!(m.kind(*op), OpKind::MatMul | OpKind::Syrk | OpKind::Gemv));
    if has_matmul {
        batch = batch.max(MATMUL_BATCH_ROWS).min(len);
    }
    Some(Plan { len, sliced, batch })
}

fn elem_bytes(d: &Dense) -> usize {
    match d {
        Dense::F64(_) | Dense::SI64(_) | Dense::UI64(_) => 8,
        Dense::F32(_) | Dense::SI32(_) | Dense::UI32(_) => 4,
        Dense::SI8(_) | Dense::UI8(_) | Dense::Bool(_) => 1,
        Dense::Str(_) => 32,
    }
}

fn batch_inputs(inputs: &[Data], plan: &Plan, r0: usize, r1: usize) -> Vec<Data> {
    inputs
        .iter()
        .zip(&plan.sliced)
        .map(|(d, sliced)| match (d, sliced) {
            (Data::Matrix(Matrix::Dense(m)), true) => Data::Matrix(Matrix::Dense(m.slice_rows(r0, r1))),
            (other, _) => other.clone(),
        })
        .collect()
}

/// Whether the first batch's results have the shapes their combines need.
fn fits(results: &[Data], combines: &[Combine], batch_rows: usize) -> bool {
    results.len() == combines.len()
        && results.iter().zip(combines).all(|(d, c)| match (c, d) {
            (Combine::Rows, Data::Matrix(Matrix::Dense(m))) => m.rows() == batch_rows,
            (Combine::Cols, Data::Matrix(Matrix::Dense(m))) => m.cols() == batch_rows,
            (Combine::Add | Combine::Min | Combine::Max, Data::Scalar(_) | Data::Matrix(Matrix::Dense(_))) => true,
            _ => false,
        })
}

/// Places a batch result into its output.
///
/// # Safety
/// Concurrent calls must pass disjoint row ranges `r0..r1`.
unsafe fn place(sink: &dyn BlockSink, c: Combine, r0: usize, r1: usize, d: &Data) -> Result<(), String> {
    let Data::Matrix(Matrix::Dense(block)) = d else {
        return Err(format!("a batch result is a {}, not a dense matrix", d.kind()));
    };
    let (at_row, at_col, expect) = match c {
        Combine::Rows => (r0, 0, block.rows()),
        _ => (0, r0, block.cols()),
    };
    if expect != r1 - r0 {
        return Err(format!("a batch of {} rows produced {expect} rows or columns", r1 - r0));
    }
    // SAFETY: the caller guarantees the row range is this task's own.
    unsafe { sink.put(at_row, at_col, block) }
}

fn run_vectorized(
    k: OpDispatch<'_>,
    op: Op,
    body: Block,
    combines: &[Combine],
    inputs: &[Data],
    plan: &Plan,
    engine: &Engine,
) -> Result<Vec<Data>, ExecError> {
    let (len, b) = (plan.len, plan.batch);
    // The first batch runs here: its results reveal the shapes and value types of the outputs.
    let first = run_body(k, body, batch_inputs(inputs, plan, 0, b))?;
    if !fits(&first, combines, b) {
        return run_body(k, body, inputs.to_vec());
    }
    let internal = |e: String| k.err(op, format!("internal error in the vectorized engine: {e}"));
    let native = if engine.codegen {
        native::prepare(k.m, op, combines, inputs, plan, &first, engine.codegen_threshold, &|c| engine.explain(c))
    } else {
        None
    };
    let mut sinks: Vec<Option<Box<dyn BlockSink>>> = Vec::with_capacity(combines.len());
    let mut accs: Vec<Option<Data>> = Vec::with_capacity(combines.len());
    for (d, c) in first.into_iter().zip(combines) {
        match (c, &d) {
            (Combine::Rows | Combine::Cols, Data::Matrix(Matrix::Dense(block))) => {
                let (rows, cols) = if *c == Combine::Rows { (len, block.cols()) } else { (block.rows(), len) };
                let sink = sink_like(block, rows, cols);
                // SAFETY: no other writer runs yet.
                unsafe { place(sink.as_ref(), *c, 0, b, &d) }.map_err(internal)?;
                sinks.push(Some(sink));
                accs.push(None);
            }
            _ => {
                sinks.push(None);
                accs.push(Some(d));
            }
        }
    }

    let rest = len - b;
    let per_task = rest.div_ceil(MAX_TASKS).max(engine.grain_size).div_ceil(b).max(1) * b;
    let ranges: Vec<(usize, usize)> = (b..len).step_by(per_task).map(|s| (s, (s + per_task).min(len))).collect();
    let run_task = |&(start, end): &(usize, usize)| -> Result<Vec<Option<Data>>, ExecError> {
        let mut local: Vec<Option<Data>> = vec![None; combines.len()];
        let mut r0 = start;
        while r0 < end {
            k.check_deadline(op)?;
            let r1 = (r0 + b).min(end);
            // SAFETY: tasks own disjoint row ranges, and batches within a task too; `sinks` are
            // the outputs' sinks, which `prepare` checked against the first batch.
            let generated = native.as_ref().and_then(|n| unsafe { n.run(r0, r1, &sinks) });
            let outs = match generated {
                Some(outs) => outs,
                None => run_body(k, body, batch_inputs(inputs, plan, r0, r1))?
                    .into_iter()
                    .map(native::BatchOutput::Value)
                    .collect(),
            };
            for (j, d) in outs.into_iter().enumerate() {
                let native::BatchOutput::Value(d) = d else { continue };
                let c = combines[j];
                match &sinks[j] {
                    // SAFETY: tasks own disjoint row ranges, and batches within a task too.
                    Some(sink) => unsafe { place(sink.as_ref(), c, r0, r1, &d) }.map_err(internal)?,
                    None => {
                        local[j] = Some(match local[j].take() {
                            None => d,
                            Some(acc) => reduce(acc, &d, c).map_err(internal)?,
                        })
                    }
                }
            }
            r0 = r1;
        }
        Ok(local)
    };
    let results: Vec<Result<Vec<Option<Data>>, ExecError>> =
        engine.pool.install(|| ranges.par_iter().map(run_task).collect());
    for part in results {
        for (j, d) in part?.into_iter().enumerate() {
            if let Some(d) = d {
                let acc = accs[j].take().ok_or_else(|| internal("a reduction without a first value".into()))?;
                accs[j] = Some(reduce(acc, &d, combines[j]).map_err(internal)?);
            }
        }
    }
    sinks
        .into_iter()
        .zip(accs)
        .map(|(s, a)| match (s, a) {
            (Some(sink), _) => Ok(Data::Matrix(Matrix::Dense(sink.finish()))),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(internal("an output without a value".into())),
        })
        .collect()
}
