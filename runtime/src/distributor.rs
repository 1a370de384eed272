//! The seam between the executor and a distributed runtime: the executor runs a
//! `daphne.distributedPipeline` op through a [`Distributor`], which this crate only defines. The
//! `daphne-distributed` crate implements it (its coordinator), and the `daphne` CLI hands one to the
//! executor ([`crate::exec::ExecOptions::distributor`]), so the runtime never depends on the network
//! stack (design.md, section 10.1: the lower layer owns the seam).

use crate::data::Data;
use crate::elem::Scalar;
use crate::kernels::row_reads::FileShape;
use daphne_ir::{Module, ValueType};
use std::any::Any;
use std::sync::Arc;

/// A matrix whose row blocks live on the workers. Only the distributor that made it knows what it
/// holds; the executor keeps it as an opaque handle, passes it to later distributed pipelines and
/// asks for its rows ([`Distributor::fetch`]) when any other op reads it. Dropping the last handle
/// lets the distributor free the blocks.
pub trait RemoteMatrix: Send + Sync {
    /// Rows of the whole matrix.
    fn rows(&self) -> usize;
    /// The handle as `Any`, so its distributor can recover its own type.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// An input of a distributed pipeline.
#[derive(Clone)]
pub enum DistInput {
    Local(Data),
    Remote(Arc<dyn RemoteMatrix>),
}

/// An output of a distributed pipeline.
pub enum DistOutcome {
    Local(Data),
    Remote(Arc<dyn RemoteMatrix>),
}

/// A matrix the workers can make themselves, each its own row block, with the cells of a local
/// run: data born where it is used, instead of on the coordinator and shipped.
#[derive(Clone, Debug, PartialEq)]
pub enum RowSource {
    /// `rand(rows, cols, min, max, 1.0, seed)` of a float value type, with a fixed seed: each
    /// block comes from the generator jumped ahead to its first cell.
    Rand { rows: usize, cols: usize, min: Scalar, max: Scalar, seed: i64, vt: ValueType },
    /// `fill(value, rows, cols)`.
    Fill { value: Scalar, rows: usize, cols: usize, vt: ValueType },
    /// `seq(from, to, inc)`, a column of `rows` cells: each block adds up the steps before it as
    /// the whole column does.
    Seq { from: Scalar, to: Scalar, inc: Scalar, rows: usize, vt: ValueType },
    /// `readMatrix(path)` of a file with row blocks (numeric CSV with `.meta`, `.dbin`,
    /// `.parquet`): each worker reads its rows from the same path (shared storage). `path` is
    /// absolute; the rest is what the coordinator saw of the file, which every worker checks.
    Read { path: String, shape: FileShape },
}

impl RowSource {
    pub fn rows(&self) -> usize {
        match self {
            RowSource::Rand { rows, .. } | RowSource::Fill { rows, .. } | RowSource::Seq { rows, .. } => *rows,
            RowSource::Read { shape, .. } => shape.rows,
        }
    }
}

/// Why a distributed pipeline did not produce results.
#[derive(Debug)]
pub enum DistError {
    /// The pipeline failed on a worker the way it fails locally (an execution error in a kernel),
    /// or its inputs do not fit its row structure: running it locally gives the exact result or
    /// error of a local run.
    Execution,
    /// The workers cannot run it (all lost, a refused token, a protocol error, out of memory).
    Worker(String),
    /// The workers refuse it by their own rules (a file outside their `--data-dir`, or no
    /// `--data-dir` at all): the executor does it on the coordinator instead. The message says
    /// which worker refused and why.
    Refused(String),
}

/// What the executor asks of a distributed runtime.
pub trait Distributor: Send + Sync {
    /// Runs a distributed pipeline: `task` is the parsed module of its `ir` text (a `@dist`
    /// function around one vectorized pipeline). Outputs whose `keep_remote` entry is set may stay
    /// on the workers ([`DistOutcome::Remote`]).
    fn run(
        &self,
        task: &Module,
        ir: &str,
        inputs: Vec<DistInput>,
        keep_remote: &[bool],
    ) -> Result<Vec<DistOutcome>, DistError>;

    /// Makes a matrix on the workers, each its row block, cut as the distributed pipelines cut
    /// their inputs. `Err(DistError::Execution)` or `Err(DistError::Refused(_))`: they cannot
    /// make it exactly, or may not (the executor then makes it locally).
    fn generate(&self, source: &RowSource) -> Result<Arc<dyn RemoteMatrix>, DistError>;

    /// The rows of a matrix held by the workers, stacked in order.
    fn fetch(&self, remote: &Arc<dyn RemoteMatrix>) -> Result<Data, DistError>;

    /// Rows `r0 .. r1` of a matrix held by the workers (only the blocks that hold them are
    /// read; a block cut by the range is cut on its worker).
    fn fetch_rows(&self, remote: &Arc<dyn RemoteMatrix>, r0: usize, r1: usize) -> Result<Data, DistError>;

    /// Counts a distributed pipeline that ran on the coordinator instead (for statistics).
    fn note_local_run(&self);
}
