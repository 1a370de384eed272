//! Meta data of values and of the run: `typeOf` (DAPHNE's C++ type names), `numRows`, `numCols`,
//! `numCells`, `sparsity`, the clock (`now`), the profiling markers (no-ops here) and the message
//! `stop` ends a script with.

use crate::data::Data;
use crate::elem::{Scalar, cpp_name, scalar_to_cpp};
use crate::kernels::args::{OpArgs, Out, one};

/// The C++ type DAPHNE would name for a value (`DenseMatrix(2x3, double)`, `const char*`, ...).
pub fn type_of(d: &Data) -> String {
    match d {
        Data::Scalar(Scalar::Str(_)) => "const char*".into(),
        Data::Scalar(s) => cpp_name(s.value_type()).into(),
        Data::Matrix(m) => {
            let kind = if m.is_sparse() { "CSRMatrix" } else { "DenseMatrix" };
            format!("{kind}({}x{}, {})", m.rows(), m.cols(), cpp_name(m.vt()))
        }
        Data::Frame(f) => {
            let cols: Vec<String> =
                f.labels().iter().zip(f.schema()).map(|(l, t)| format!("{l}:{}", cpp_name(t))).collect();
            format!("Frame({}x{}, [{}])", f.rows(), f.cols(), cols.join(", "))
        }
        Data::List(items) => format!("List({})", items.len()),
    }
}

/// Rows and columns of any value (a scalar is 1 x 1, a list a column of its elements).
fn dims(d: &Data) -> (usize, usize) {
    match d {
        Data::Matrix(m) => (m.rows(), m.cols()),
        Data::Frame(f) => (f.rows(), f.cols()),
        Data::Scalar(_) => (1, 1),
        Data::List(l) => (l.len(), 1),
    }
}

fn index(v: usize) -> Out {
    one(Data::Scalar(Scalar::Index(v as i64)))
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.typeOf`.
pub fn run_type_of(a: &OpArgs<'_>) -> Out {
    one(Data::Scalar(Scalar::Str(type_of(a.get(0)))))
}

/// `daphne.numRows`.
pub fn run_num_rows(a: &OpArgs<'_>) -> Out {
    index(dims(a.get(0)).0)
}

/// `daphne.numCols`.
pub fn run_num_cols(a: &OpArgs<'_>) -> Out {
    index(dims(a.get(0)).1)
}

/// `daphne.numCells`.
pub fn run_num_cells(a: &OpArgs<'_>) -> Out {
    let (r, c) = dims(a.get(0));
    index(r * c)
}

/// `daphne.sparsity`.
pub fn run_sparsity(a: &OpArgs<'_>) -> Out {
    let m = a.matrix(0, "the argument of sparsity")?;
    one(Data::Scalar(Scalar::F64(m.sparsity())))
}

/// `daphne.now`: nanoseconds since the Unix epoch.
pub fn run_now(_: &OpArgs<'_>) -> Out {
    let ns = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64);
    one(Data::Scalar(Scalar::SI64(ns)))
}

/// `daphne.startProfiling` and `daphne.stopProfiling`: accepted, and nothing is profiled.
pub fn run_profiling(_: &OpArgs<'_>) -> Out {
    Ok(vec![])
}

/// The message of `daphne.stop`: its argument as `print` shows a scalar, or the type of anything
/// else.
pub fn stop_message(a: &OpArgs<'_>) -> String {
    match a.get(0) {
        Data::Scalar(s) => scalar_to_cpp(s),
        other => type_of(other),
    }
}
