//! `print` output of a script run from Python goes to Python's `sys.stdout` (and diagnostics
//! and `--explain` output to `sys.stderr`), so it interleaves correctly with the program's own
//! `print` calls and is captured wherever Python's streams are (pytest, notebooks).

use pyo3::prelude::*;

/// A byte stream that forwards each write to `sys.<name>` (taking the interpreter lock for it:
/// the script itself runs without holding it).
pub struct PyStream {
    name: &'static str,
}

impl PyStream {
    pub fn stdout() -> PyStream {
        PyStream { name: "stdout" }
    }

    pub fn stderr() -> PyStream {
        PyStream { name: "stderr" }
    }
}

impl std::io::Write for PyStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let text = String::from_utf8_lossy(buf);
        Python::attach(|py| -> PyResult<()> {
            let stream = py.import("sys")?.getattr(self.name)?;
            stream.call_method1("write", (text.as_ref(),))?;
            Ok(())
        })
        .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Python::attach(|py| -> PyResult<()> {
            let stream = py.import("sys")?.getattr(self.name)?;
            stream.call_method0("flush")?;
            Ok(())
        })
        .map_err(|e| std::io::Error::other(e.to_string()))
    }
}
