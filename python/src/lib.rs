//! `daphne._native`: the Rust half of the Python API (DaphneLib). The Python package builds a
//! DaphneDSL script from a lazy expression graph and calls [`run`] here, which compiles and
//! executes it in this process through the workspace's compiler and runtime, with NumPy arrays
//! bound to the script's `receiveFromNumpy` handles without copying, and returns the values the
//! script saved with `saveDaphneLibResult` as objects NumPy views in place.
//!
//! Errors never unwind into the interpreter: diagnostics become `ScriptError` exceptions
//! (phase, code, message, rendered diagnostic, line and column in the generated script), and a
//! panic inside the compiler or runtime becomes one too (phase `internal`).

mod arrays;
mod output;
mod script;

use daphne_runtime::Data;
use daphne_runtime::host::HostExchange;
use daphne_runtime::matrix::Matrix;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

pyo3::create_exception!(
    _native,
    ScriptError,
    PyRuntimeError,
    "A generated DaphneDSL script failed: args are (phase, code, message, rendered, line, column)."
);

/// Binds each `(handle, value)` of `inputs`: a value is a 2-d NumPy array (viewed in place) or
/// `("strings", rows, cols, [str])` (copied).
fn bind_inputs(host: &mut HostExchange, inputs: &Bound<'_, PyList>) -> PyResult<()> {
    for item in inputs.iter() {
        let (handle, value): (u64, Bound<'_, PyAny>) = item.extract()?;
        let dense = if let Ok(t) = value.cast::<PyTuple>() {
            let (tag, rows, cols, cells): (String, usize, usize, Vec<String>) = t.extract()?;
            if tag != "strings" {
                return Err(PyTypeError::new_err(format!("unknown input kind `{tag}`")));
            }
            arrays::str_matrix(rows, cols, cells)?
        } else {
            arrays::matrix_from_array(&value)?
        };
        host.bind(handle, Data::Matrix(Matrix::Dense(dense)));
    }
    Ok(())
}

fn options(opts: &Bound<'_, PyDict>) -> PyResult<script::RunOptions> {
    let mut o = script::RunOptions::default();
    for (k, v) in opts.iter() {
        let key: String = k.extract()?;
        match key.as_str() {
            "vec" => o.vec = v.extract()?,
            "distributed" => o.distributed = v.extract()?,
            "num_threads" => o.num_threads = v.extract()?,
            "select_matrix_repr" => o.select_matrix_repr = v.extract()?,
            "no_codegen" => o.no_codegen = v.extract()?,
            "explain" => o.explain = v.extract()?,
            "dist_min_bytes" => o.dist_min_bytes = v.extract()?,
            "dist_stats" => o.dist_stats = v.extract()?,
            other => return Err(PyTypeError::new_err(format!("unknown option `{other}`"))),
        }
    }
    Ok(o)
}

/// Compiles and runs `script` (named `name` in diagnostics) with `inputs` bound; returns the
/// values of its `saveDaphneLibResult` calls in order (see `arrays::data_to_py` for their form).
#[pyfunction]
fn run<'py>(
    py: Python<'py>,
    name: &str,
    script: &str,
    inputs: &Bound<'py, PyList>,
    options: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyList>> {
    let opts = self::options(options)?;
    let mut host = HostExchange::new();
    bind_inputs(&mut host, inputs)?;
    let (name, script) = (name.to_string(), script.to_string());
    let outcome = py.detach(move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut out = output::PyStream::stdout();
            let mut err = output::PyStream::stderr();
            script::run(&name, &script, host, &opts, &mut out, &mut err)
        }))
    });
    let results = match outcome {
        Ok(Ok(results)) => results,
        Ok(Err(e)) => {
            return Err(ScriptError::new_err((e.phase, e.code, e.message, e.rendered, e.line, e.column)));
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            let msg = format!("internal error (this is a bug, please report it): {what}");
            return Err(ScriptError::new_err(("internal", "E0500", msg.clone(), msg, None::<u32>, None::<u32>)));
        }
    };
    let out = PyList::empty(py);
    for d in results {
        out.append(arrays::data_to_py(py, d)?)?;
    }
    Ok(out)
}

/// `"release"` or `"debug"`: how this extension was compiled (benchmarks refuse debug builds).
#[pyfunction]
fn build_profile() -> &'static str {
    if cfg!(debug_assertions) { "debug" } else { "release" }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(build_profile, m)?)?;
    m.add_class::<arrays::Cells>()?;
    m.add("ScriptError", m.py().get_type::<ScriptError>())?;
    Ok(())
}
