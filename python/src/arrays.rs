//! NumPy arrays in and out of the runtime without copies: an input array's memory becomes a
//! foreign-storage matrix (read in place, kept alive by a reference to the array), and a result
//! matrix becomes a [`Cells`] object whose `__array_interface__` lets NumPy view the runtime's
//! buffer directly. Strings (and layouts a runtime matrix cannot view) are copied.

use daphne_runtime::dense::DenseMatrix;
use daphne_runtime::elem::Scalar;
use daphne_runtime::{Csr, Data, Dense, Frame, Matrix};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::sync::Arc;

/// Keeps a NumPy array alive while runtime matrices view its memory.
struct ArrayOwner(#[allow(dead_code)] Py<PyAny>);

/// The element type of a NumPy `typestr` (`<f8`, `|u1`, ...) on this (little-endian) machine.
fn elem_of_typestr(t: &str) -> Option<&'static str> {
    Some(match t {
        "<f8" => "f64",
        "<f4" => "f32",
        "<i8" => "si64",
        "<i4" => "si32",
        "|i1" => "si8",
        "<u8" => "ui64",
        "<u4" => "ui32",
        "|u1" => "ui8",
        "|b1" => "bool",
        _ => return None,
    })
}

/// A 2-d NumPy array (C order, or rows with a stride and adjacent cells) as a matrix over its
/// own memory. Other layouts are refused here: the Python side copies them first.
pub fn matrix_from_array(arr: &Bound<'_, PyAny>) -> PyResult<Dense> {
    let ai = arr.getattr("__array_interface__")?;
    let ai = ai.cast::<PyDict>().map_err(|_| PyTypeError::new_err("__array_interface__ is not a dict"))?;
    let get = |k: &str| -> PyResult<Bound<'_, PyAny>> {
        ai.get_item(k)?.ok_or_else(|| PyValueError::new_err(format!("__array_interface__ has no `{k}`")))
    };
    let typestr: String = get("typestr")?.extract()?;
    let shape: Vec<usize> = get("shape")?.extract()?;
    let (ptr, _readonly): (usize, bool) = get("data")?.extract()?;
    let strides: Option<Vec<isize>> = get("strides")?.extract()?;
    if shape.len() != 2 {
        return Err(PyValueError::new_err(format!("expected a 2-d array, got {} dimensions", shape.len())));
    }
    let (rows, cols) = (shape[0], shape[1]);
    let elem = elem_of_typestr(&typestr)
        .ok_or_else(|| PyTypeError::new_err(format!("unsupported NumPy dtype `{typestr}` for a DAPHNE matrix")))?;
    let owner: Arc<dyn std::any::Any + Send + Sync> = Arc::new(ArrayOwner(arr.clone().unbind()));
    macro_rules! view {
        ($t:ty, $variant:ident) => {{
            let size = std::mem::size_of::<$t>();
            let stride = match &strides {
                None => cols,
                Some(s) if s.len() == 2 => {
                    let (rs, cs) = (s[0], s[1]);
                    let cells_ok = cols <= 1 || cs == size as isize;
                    if !cells_ok || rs < 0 || rs as usize % size != 0 || (rows > 1 && (rs as usize / size) < cols) {
                        return Err(PyValueError::new_err("the array's layout cannot be viewed in place"));
                    }
                    if rows <= 1 { cols } else { rs as usize / size }
                }
                Some(_) => return Err(PyValueError::new_err("strides do not match the shape")),
            };
            if rows > 0 && cols > 0 && (ptr == 0 || ptr % std::mem::align_of::<$t>() != 0) {
                return Err(PyValueError::new_err("the array's memory is not aligned for its dtype"));
            }
            // SAFETY: NumPy's array interface says `ptr` holds a `rows` x `cols` array of `$t`
            // (the dtype checked above) whose row `r` starts `r * stride` cells after `ptr`, and
            // whose cells in a row are adjacent (checked above), aligned (checked above). The
            // array stays alive as long as `owner`, which holds a reference to it. The Python
            // API documents that an array handed to DAPHNE must not be modified while a
            // computation that reads it runs (NumPy's own contract for shared views).
            Dense::$variant(unsafe { DenseMatrix::from_foreign(ptr as *const $t, rows, cols, stride, owner) })
        }};
    }
    Ok(match elem {
        "f64" => view!(f64, F64),
        "f32" => view!(f32, F32),
        "si64" => view!(i64, SI64),
        "si32" => view!(i32, SI32),
        "si8" => view!(i8, SI8),
        "ui64" => view!(u64, UI64),
        "ui32" => view!(u32, UI32),
        "ui8" => view!(u8, UI8),
        _ => view!(bool, Bool),
    })
}

/// A matrix of strings from `rows * cols` Python strings (row-major), copied.
pub fn str_matrix(rows: usize, cols: usize, cells: Vec<String>) -> PyResult<Dense> {
    if cells.len() != rows * cols {
        return Err(PyValueError::new_err(format!("{} strings for a {rows}x{cols} matrix", cells.len())));
    }
    Ok(Dense::Str(DenseMatrix::from_vec(rows, cols, cells)))
}

/// The cells of a result matrix, which NumPy views in place through `__array_interface__`.
/// NumPy may write to them only when this object holds the buffer's only reference
/// (`writable`): after the run nothing else reads it, and this object never reads the cells.
#[pyclass(module = "daphne._native", frozen)]
pub struct Cells {
    m: Dense,
    writable: bool,
}

#[pymethods]
impl Cells {
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let (rows, cols) = (self.m.rows(), self.m.cols());
        match &self.m {
            Dense::F64(m) => iface_of(&d, m, "<f8", self.writable)?,
            Dense::F32(m) => iface_of(&d, m, "<f4", self.writable)?,
            Dense::SI64(m) => iface_of(&d, m, "<i8", self.writable)?,
            Dense::SI32(m) => iface_of(&d, m, "<i4", self.writable)?,
            Dense::SI8(m) => iface_of(&d, m, "|i1", self.writable)?,
            Dense::UI64(m) => iface_of(&d, m, "<u8", self.writable)?,
            Dense::UI32(m) => iface_of(&d, m, "<u4", self.writable)?,
            Dense::UI8(m) => iface_of(&d, m, "|u1", self.writable)?,
            Dense::Bool(m) => iface_of(&d, m, "|b1", self.writable)?,
            Dense::Str(_) => return Err(PyTypeError::new_err("a string matrix has no array interface")),
        }
        d.set_item("shape", (rows, cols))?;
        d.set_item("version", 3)?;
        Ok(d)
    }

    /// The number of rows and columns.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.m.rows(), self.m.cols())
    }

    /// Whether the cells are memory a NumPy array lent to the computation (an input returned
    /// unchanged) rather than memory the runtime allocated.
    #[getter]
    fn foreign(&self) -> bool {
        daphne_runtime::with_dense!(&self.m, m => m.is_foreign())
    }
}

fn iface_of<T>(d: &Bound<'_, PyDict>, m: &DenseMatrix<T>, typestr: &str, writable: bool) -> PyResult<()>
where
    T: daphne_runtime::elem::Elem,
{
    let (ptr, stride) = m.raw_parts();
    let size = std::mem::size_of::<T>();
    d.set_item("typestr", typestr)?;
    d.set_item("data", (ptr as usize, !writable))?;
    d.set_item("strides", (stride * size, size))?;
    Ok(())
}

/// A result value as Python data: a matrix as `("matrix", Cells)` or, for strings,
/// `("strings", rows, cols, [str])`; a frame as `("frame", [label], [column])` with each column
/// in the matrix form; a scalar as `("scalar", value, value type)`; a list as `("list", [matrix])`.
pub fn data_to_py<'py>(py: Python<'py>, d: Data) -> PyResult<Bound<'py, PyAny>> {
    Ok(match d {
        Data::Scalar(s) => scalar_to_py(py, &s)?,
        Data::Matrix(m) => matrix_to_py(py, m)?,
        Data::Frame(f) => frame_to_py(py, f)?,
        Data::List(items) => {
            let out = PyList::empty(py);
            for m in items {
                out.append(matrix_to_py(py, m)?)?;
            }
            PyTuple::new(py, [pyo3::types::PyString::new(py, "list").into_any(), out.into_any()])?.into_any()
        }
    })
}

fn scalar_to_py<'py>(py: Python<'py>, s: &Scalar) -> PyResult<Bound<'py, PyAny>> {
    let vt = s.value_type().dsl_name().to_string();
    let v: Bound<'py, PyAny> = match s {
        Scalar::F64(x) => x.into_pyobject(py)?.into_any(),
        Scalar::F32(x) => x.into_pyobject(py)?.into_any(),
        Scalar::SI64(x) => x.into_pyobject(py)?.into_any(),
        Scalar::SI32(x) => x.into_pyobject(py)?.into_any(),
        Scalar::SI8(x) => x.into_pyobject(py)?.into_any(),
        Scalar::UI64(x) => x.into_pyobject(py)?.into_any(),
        Scalar::UI32(x) => x.into_pyobject(py)?.into_any(),
        Scalar::UI8(x) => x.into_pyobject(py)?.into_any(),
        Scalar::Bool(x) => pyo3::types::PyBool::new(py, *x).to_owned().into_any(),
        Scalar::Str(x) => x.into_pyobject(py)?.into_any(),
        Scalar::Index(x) => x.into_pyobject(py)?.into_any(),
    };
    Ok(PyTuple::new(py, ["scalar".into_pyobject(py)?.into_any(), v, vt.into_pyobject(py)?.into_any()])?.into_any())
}

fn dense_to_py<'py>(py: Python<'py>, d: Dense) -> PyResult<Bound<'py, PyAny>> {
    if let Dense::Str(m) = d {
        let (rows, cols) = (m.rows(), m.cols());
        let cells = PyList::new(py, m.iter().collect::<Vec<_>>())?;
        return Ok(PyTuple::new(
            py,
            [
                "strings".into_pyobject(py)?.into_any(),
                rows.into_pyobject(py)?.into_any(),
                cols.into_pyobject(py)?.into_any(),
                cells.into_any(),
            ],
        )?
        .into_any());
    }
    let writable = daphne_runtime::with_dense!(&d, m => m.is_unique() && !m.is_foreign());
    let cells = Bound::new(py, Cells { m: d, writable })?;
    Ok(PyTuple::new(py, ["matrix".into_pyobject(py)?.into_any(), cells.into_any()])?.into_any())
}

fn matrix_to_py<'py>(py: Python<'py>, m: Matrix) -> PyResult<Bound<'py, PyAny>> {
    match m {
        Matrix::Dense(d) => dense_to_py(py, d),
        Matrix::Csr(c) => dense_to_py(py, csr_to_dense(&c)),
    }
}

/// A sparse result as the dense matrix NumPy receives (DaphneLib returns dense arrays).
fn csr_to_dense(c: &Csr) -> Dense {
    c.to_dense()
}

fn frame_to_py<'py>(py: Python<'py>, f: Frame) -> PyResult<Bound<'py, PyAny>> {
    let labels = PyList::new(py, f.labels())?;
    let cols = PyList::empty(py);
    for c in f.columns() {
        cols.append(dense_to_py(py, c.clone())?)?;
    }
    Ok(PyTuple::new(py, ["frame".into_pyobject(py)?.into_any(), labels.into_any(), cols.into_any()])?.into_any())
}
