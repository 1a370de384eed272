//! Frames: named columns of possibly different value types, each column an n x 1 dense matrix.

use crate::elem::Scalar;
use crate::matrix::Dense;
use daphne_ir::ValueType;

#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    labels: Vec<String>,
    columns: Vec<Dense>,
    /// Kept separately so that a frame without columns still has rows.
    rows: usize,
}

impl Frame {
    /// A frame from columns (each n x 1, all with the same number of rows) and their labels.
    pub fn new(columns: Vec<Dense>, labels: Vec<String>) -> Result<Frame, String> {
        if columns.len() != labels.len() {
            return Err(format!(
                "a frame needs one label per column ({} columns, {} labels)",
                columns.len(),
                labels.len()
            ));
        }
        if let Some(first) = columns.first() {
            let n = first.rows();
            if let Some(bad) = columns.iter().find(|c| c.rows() != n) {
                return Err(format!(
                    "all columns of a frame must have the same number of rows ({n} and {})",
                    bad.rows()
                ));
            }
        }
        if let Some(bad) = columns.iter().find(|c| c.cols() != 1) {
            return Err(format!("frame columns must have exactly one column, but one has {}", bad.cols()));
        }
        for (i, l) in labels.iter().enumerate() {
            if labels[..i].contains(l) {
                return Err(format!("the column label `{l}` is used more than once"));
            }
        }
        let rows = columns.first().map_or(0, Dense::rows);
        Ok(Frame { labels, columns, rows })
    }

    /// A frame with `rows` rows and no columns.
    pub fn empty(rows: usize) -> Frame {
        Frame { labels: Vec::new(), columns: Vec::new(), rows }
    }

    /// The default label of column `i` (`col_0`, `col_1`, ...), as DAPHNE names them.
    pub fn default_label(i: usize) -> String {
        format!("col_{i}")
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.columns.len()
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn columns(&self) -> &[Dense] {
        &self.columns
    }

    pub fn column(&self, i: usize) -> &Dense {
        &self.columns[i]
    }

    pub fn schema(&self) -> Vec<ValueType> {
        self.columns.iter().map(Dense::vt).collect()
    }

    /// The index of the column with this label.
    pub fn column_index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    pub fn get(&self, r: usize, c: usize) -> Scalar {
        self.columns[c].get(r, 0)
    }

    /// Rows `r0..r1` (views of every column).
    pub fn slice_rows(&self, r0: usize, r1: usize) -> Frame {
        Frame {
            labels: self.labels.clone(),
            columns: self.columns.iter().map(|c| c.slice_rows(r0, r1)).collect(),
            rows: r1 - r0,
        }
    }

    /// The columns at the given positions, in that order.
    pub fn select_columns(&self, idx: &[usize]) -> Result<Frame, String> {
        let mut labels = Vec::with_capacity(idx.len());
        let mut columns = Vec::with_capacity(idx.len());
        for &i in idx {
            let (Some(l), Some(c)) = (self.labels.get(i), self.columns.get(i)) else {
                return Err(format!("column index {i} out of bounds for a frame with {} columns", self.cols()));
            };
            labels.push(l.clone());
            columns.push(c.clone());
        }
        if columns.is_empty() {
            return Ok(Frame::empty(self.rows));
        }
        Frame::new(columns, labels)
    }

    /// Appends DAPHNE's print format: `Frame(3x2, [a:int64_t, b:double])`, then the rows.
    pub fn print_to(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, "Frame({}x{}, [", self.rows(), self.cols());
        for (i, (l, c)) in self.labels.iter().zip(&self.columns).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{l}:{}", crate::elem::cpp_name(c.vt()));
        }
        out.push_str("])\n");
        for r in 0..self.rows() {
            for c in 0..self.cols() {
                if c > 0 {
                    out.push(' ');
                }
                out.push_str(&crate::elem::scalar_to_cpp(&self.columns[c].get(r, 0)));
            }
            out.push('\n');
        }
    }
}
