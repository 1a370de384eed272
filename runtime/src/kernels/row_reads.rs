//! Row blocks of matrix files, for reads on the distributed workers: what the coordinator learns
//! of a file without reading a cell ([`matrix_shape`]: rows, columns, value type and size, from
//! the `.meta` of a CSV file, the header of a `.dbin` file or the footer of a Parquet file), and
//! the block of rows one worker reads of it ([`read_matrix_rows`], the `daphne.readRows` op).
//!
//! A worker checks that the file it sees is the one the coordinator described (same size, same
//! shape and value type), so a path that names different files on different machines fails
//! instead of mixing rows of two files. Matrix Market files, CSV matrices of strings (whose
//! quoted fields may span lines) and frames have no row blocks: they are read where the script
//! runs.

use crate::data::Data;
use crate::kernels::args::{OpArgs, Out, one};
use crate::kernels::{dbin, io, parquet};
use crate::matrix::Matrix;
use daphne_ir::ValueType;
use std::path::Path;

/// A file format with row blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowFormat {
    Csv,
    Dbin,
    Parquet,
}

/// What a matrix file holds, as far as its row blocks need.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FileShape {
    pub format: RowFormat,
    pub rows: usize,
    pub cols: usize,
    pub vt: ValueType,
    /// The file's size in bytes.
    pub bytes: u64,
}

fn format_of(path: &str) -> Option<RowFormat> {
    match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("csv") => Some(RowFormat::Csv),
        Some("dbin") => Some(RowFormat::Dbin),
        Some("parquet") => Some(RowFormat::Parquet),
        _ => None,
    }
}

/// The shape of the matrix file `path` if it can be read by row blocks (`None` for formats or
/// value types that cannot); reads only its meta data, header or footer.
pub fn matrix_shape(path: &str) -> Result<Option<FileShape>, String> {
    let Some(format) = format_of(path) else { return Ok(None) };
    let bytes = std::fs::metadata(path).map_err(|e| format!("cannot read {path}: {e}"))?.len();
    let (rows, cols, vt) = match format {
        RowFormat::Csv => {
            let meta = io::read_meta(path)?;
            let vt = meta.matrix_value_type();
            if !io::csv_rows_readable(vt) {
                return Ok(None);
            }
            (meta.num_rows, meta.num_cols, vt.storage_vt())
        }
        RowFormat::Dbin => {
            let h = dbin::read_header(path)?;
            (h.rows, h.cols, h.vt)
        }
        RowFormat::Parquet => {
            let shape = parquet::read_shape(path)?;
            (shape.rows, shape.columns.len(), shape.matrix_vt(path)?)
        }
    };
    Ok(Some(FileShape { format, rows, cols, vt, bytes }))
}

/// Rows, columns and value type of the matrix file `path` from its meta data alone (a `.meta`
/// beside a CSV file, the header of a `.dbin` file, the footer of a Parquet file): what the
/// compiler types `readMatrix` of a constant file name with. `None` when that does not say it.
pub fn matrix_file_meta(path: &str) -> Option<(usize, usize, ValueType)> {
    match format_of(path)? {
        RowFormat::Csv => {
            let meta = io::read_meta(path).ok()?;
            let vt = meta.matrix_value_type();
            (vt != ValueType::Bool).then_some((meta.num_rows, meta.num_cols, vt.storage_vt()))
        }
        RowFormat::Dbin => dbin::read_header(path).ok().map(|h| (h.rows, h.cols, h.vt)),
        RowFormat::Parquet => {
            let shape = parquet::read_shape(path).ok()?;
            Some((shape.rows, shape.columns.len(), shape.matrix_vt(path).ok()?))
        }
    }
}

/// Checks a matrix read from `path` against the type the compiler gave it from the file's meta
/// data: a file that changed between compilation and execution is an error, not a matrix of
/// another shape than the compiled script assumes.
pub fn check_compiled_type(path: &str, m: &Matrix, t: &daphne_ir::Type) -> Result<(), String> {
    let daphne_ir::Type::Matrix(mt) = t else { return Ok(()) };
    let differs = mt.rows.is_some_and(|r| r != m.rows() as u64)
        || mt.cols.is_some_and(|c| c != m.cols() as u64)
        || mt.vt.is_some_and(|vt| vt.storage_vt() != m.vt().storage_vt());
    if differs {
        let show = |r: Option<u64>, c: Option<u64>, vt: Option<ValueType>| {
            let d = |x: Option<u64>| x.map_or("?".to_string(), |v| v.to_string());
            format!("{}x{} {}", d(r), d(c), vt.map_or("?", |v| v.dsl_name()))
        };
        return Err(format!(
            "cannot read {path}: it holds {}, but its meta data said {} when the script was compiled (the file changed in between)",
            show(Some(m.rows() as u64), Some(m.cols() as u64), Some(m.vt())),
            show(mt.rows, mt.cols, mt.vt)
        ));
    }
    Ok(())
}

/// Rows `first .. first + count` of the matrix file `path`, which must still hold what
/// `expected` says (the coordinator's view of it).
pub fn read_matrix_rows(path: &str, expected: &FileShape, first: usize, count: usize) -> Result<Matrix, String> {
    let seen = matrix_shape(path)?;
    if seen.as_ref() != Some(expected) {
        let describe = |s: &FileShape| format!("{}x{} {} in {} bytes", s.rows, s.cols, s.vt.dsl_name(), s.bytes);
        return Err(format!(
            "cannot read {path} here: the coordinator saw {}, this machine sees {}; every worker must see the same file at the same path (shared storage), unchanged during the run",
            describe(expected),
            seen.as_ref().map_or_else(|| "a file without row blocks".to_string(), describe)
        ));
    }
    match expected.format {
        RowFormat::Csv => io::read_csv_rows(path, (expected.rows, expected.cols, expected.vt), first, count),
        RowFormat::Dbin => dbin::read_rows(path, first, count),
        RowFormat::Parquet => parquet::read_matrix_rows(path, first, count),
    }
}

/// `daphne.readRows(path, rows, cols, bytes, first, count)`: a worker's row block of a matrix
/// file, of the result's value type.
pub fn run_read_rows(a: &OpArgs<'_>) -> Out {
    let path = a.string(0, "the file name")?;
    let format = format_of(&path).ok_or_else(|| format!("cannot read {path} by row blocks: unsupported extension"))?;
    let expected = FileShape {
        format,
        rows: a.size(1, "the rows of the file")?,
        cols: a.size(2, "the columns of the file")?,
        vt: a.result_vt(0)?.storage_vt(),
        bytes: a.size(3, "the size of the file")? as u64,
    };
    let first = a.size(4, "the first row")?;
    let count = a.size(5, "the number of rows of the block")?;
    one(Data::Matrix(read_matrix_rows(&path, &expected, first, count)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::DenseMatrix;
    use crate::matrix::Dense;

    fn temp(name: &str) -> String {
        let dir = std::env::temp_dir().join(format!("daphne-row-reads-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name).to_str().unwrap().to_string()
    }

    /// Every split of every format into blocks gives the rows of the whole file.
    #[test]
    fn blocks_of_every_format_stack_to_the_whole_file() {
        let rows = 7;
        let m = Matrix::Dense(Dense::SI64(DenseMatrix::from_vec(rows, 3, (0..21).map(|v| v * 13 - 40).collect())));
        for ext in ["csv", "dbin", "parquet"] {
            let p = temp(&format!("m.{ext}"));
            match ext {
                "csv" => io::write_matrix(&m, &p).unwrap(),
                "dbin" => dbin::write_matrix(&m, &p).unwrap(),
                _ => parquet::write_matrix(&m, &p).unwrap(),
            }
            let shape = matrix_shape(&p).unwrap().expect("row blocks");
            assert_eq!((shape.rows, shape.cols, shape.vt), (rows, 3, ValueType::SI64), "{ext}");
            let whole = match io::read_matrix(&p).unwrap() {
                Matrix::Dense(Dense::SI64(x)) => x.to_vec(),
                _ => panic!("si64"),
            };
            for first in 0..=rows {
                for count in 0..=rows - first {
                    let Matrix::Dense(Dense::SI64(b)) = read_matrix_rows(&p, &shape, first, count).unwrap() else {
                        panic!("si64")
                    };
                    assert_eq!(b.to_vec(), whole[first * 3..(first + count) * 3].to_vec(), "{ext} {first}+{count}");
                }
            }
            let other = FileShape { bytes: shape.bytes + 1, ..shape };
            let e = read_matrix_rows(&p, &other, 0, 1).unwrap_err();
            assert!(e.contains("every worker must see the same file"), "{e}");
        }
    }

    #[test]
    fn csv_blocks_report_the_file_line() {
        let p = temp("bad.csv");
        std::fs::write(&p, "1,2\n3,4\n5,x\n7,8\n").unwrap();
        std::fs::write(io::meta_path(&p), r#"{"numRows":4,"numCols":2,"valueType":"f64"}"#).unwrap();
        let shape = matrix_shape(&p).unwrap().unwrap();
        assert!(read_matrix_rows(&p, &shape, 0, 2).is_ok());
        let e = read_matrix_rows(&p, &shape, 2, 2).unwrap_err();
        assert!(e.contains("line 3, column 2"), "{e}");
        assert_eq!(e, io::read_matrix(&p).unwrap_err());
        // Fewer rows than the meta data says: the last block finds out.
        std::fs::write(&p, "1,2\n3,4\n").unwrap();
        std::fs::write(io::meta_path(&p), r#"{"numRows":3,"numCols":2,"valueType":"f64"}"#).unwrap();
        let shape = matrix_shape(&p).unwrap().unwrap();
        let e = read_matrix_rows(&p, &shape, 2, 1).unwrap_err();
        assert!(e.contains("the file has 2 rows, but its meta data says 3"), "{e}");
        std::fs::write(
            &p, "1,2
",
        )
        .unwrap();
        let shape = matrix_shape(&p).unwrap().unwrap();
        assert!(read_matrix_rows(&p, &shape, 2, 1).unwrap_err().contains("ends before row 3"));
        // Strings may be quoted across lines: no row blocks.
        std::fs::write(io::meta_path(&p), r#"{"numRows":2,"numCols":2,"valueType":"str"}"#).unwrap();
        assert_eq!(matrix_shape(&p).unwrap(), None);
        assert_eq!(matrix_shape(&temp("x.mtx")).unwrap(), None);
    }
}
