//! Our binary matrix format, `.dbin`: a fixed header and the cells, so that a block of rows is
//! one seek and one read (how a worker reads its row block of a `readMatrix`), and nothing needs
//! parsing. It needs no `.meta` sidecar: the header says what the file holds.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 0..4 | the magic `DBIN` |
//! | 4 | format version, 1 |
//! | 5 | value type: 1 `f64`, 2 `f32`, 3 `si64`, 4 `si32`, 5 `si8`, 6 `ui64`, 7 `ui32`, 8 `ui8` |
//! | 6..8 | zero |
//! | 8..16 | rows (u64) |
//! | 16..24 | columns (u64) |
//! | 24.. | the cells, row by row, each little-endian in its type's width |
//!
//! The file is exactly `24 + rows * cols * width` bytes long; a reader checks that before it
//! reads a cell. Sparse matrices are written densely; strings and bools have no code.

use crate::dense::DenseMatrix;
use crate::matrix::{Dense, Matrix};
use daphne_ir::ValueType;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};

const MAGIC: &[u8; 4] = b"DBIN";
const VERSION: u8 = 1;
/// Bytes before the first cell.
pub const HEADER_BYTES: u64 = 24;

/// What the header of a `.dbin` file says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DbinHeader {
    pub rows: usize,
    pub cols: usize,
    pub vt: ValueType,
}

fn vt_code(vt: ValueType) -> Option<u8> {
    Some(match vt.storage_vt() {
        ValueType::F64 => 1,
        ValueType::F32 => 2,
        ValueType::SI64 => 3,
        ValueType::SI32 => 4,
        ValueType::SI8 => 5,
        ValueType::UI64 => 6,
        ValueType::UI32 => 7,
        ValueType::UI8 => 8,
        _ => return None,
    })
}

fn vt_of_code(code: u8) -> Option<ValueType> {
    Some(match code {
        1 => ValueType::F64,
        2 => ValueType::F32,
        3 => ValueType::SI64,
        4 => ValueType::SI32,
        5 => ValueType::SI8,
        6 => ValueType::UI64,
        7 => ValueType::UI32,
        8 => ValueType::UI8,
        _ => return None,
    })
}

impl DbinHeader {
    /// Bytes of one cell.
    fn width(&self) -> u64 {
        self.vt.cell_bytes().unwrap_or(8)
    }

    /// The size of the whole file, if it fits in a u64.
    fn file_bytes(&self) -> Option<u64> {
        (self.rows as u64).checked_mul(self.cols as u64)?.checked_mul(self.width())?.checked_add(HEADER_BYTES)
    }

    fn encode(&self) -> Result<[u8; HEADER_BYTES as usize], String> {
        let code = vt_code(self.vt)
            .ok_or_else(|| format!("a {} matrix has no .dbin value type (numeric only)", self.vt.dsl_name()))?;
        let mut h = [0u8; HEADER_BYTES as usize];
        h[..4].copy_from_slice(MAGIC);
        h[4] = VERSION;
        h[5] = code;
        h[8..16].copy_from_slice(&(self.rows as u64).to_le_bytes());
        h[16..24].copy_from_slice(&(self.cols as u64).to_le_bytes());
        Ok(h)
    }

    fn decode(h: &[u8; HEADER_BYTES as usize]) -> Result<DbinHeader, String> {
        if &h[..4] != MAGIC {
            return Err("not a .dbin file (it does not start with DBIN)".into());
        }
        if h[4] != VERSION {
            return Err(format!("format version {} is not supported (only {VERSION})", h[4]));
        }
        let vt = vt_of_code(h[5]).ok_or_else(|| format!("unknown value type code {}", h[5]))?;
        let size = |b: &[u8]| {
            let v = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
            usize::try_from(v).map_err(|_| format!("a size of {v} does not fit this machine"))
        };
        Ok(DbinHeader { rows: size(&h[8..16])?, cols: size(&h[16..24])?, vt })
    }
}

/// Reads the header of `path` and checks the file's length against it.
fn open(path: &str) -> Result<(fs::File, DbinHeader), String> {
    let err = |e: String| format!("cannot read {path}: {e}");
    let mut file = fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let len = file.metadata().map_err(|e| err(e.to_string()))?.len();
    let mut h = [0u8; HEADER_BYTES as usize];
    file.read_exact(&mut h).map_err(|_| err(format!("the file has {len} bytes, fewer than a .dbin header")))?;
    let header = DbinHeader::decode(&h).map_err(err)?;
    match header.file_bytes() {
        Some(n) if n == len => Ok((file, header)),
        _ => Err(err(format!(
            "the header says {}x{} cells of {}, but the file has {len} bytes",
            header.rows,
            header.cols,
            header.vt.dsl_name()
        ))),
    }
}

/// The header of a `.dbin` file (what the coordinator reads of it).
pub fn read_header(path: &str) -> Result<DbinHeader, String> {
    open(path).map(|(_, h)| h)
}

/// A cell type of the format: its little-endian bytes.
trait LeCell: Sized + Copy {
    const WIDTH: usize;
    fn from_le(b: &[u8]) -> Self;
    fn put_le(self, out: &mut Vec<u8>);
}

macro_rules! le_cell {
    ($($t:ty),*) => {$(
        impl LeCell for $t {
            const WIDTH: usize = std::mem::size_of::<$t>();
            fn from_le(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                <$t>::from_le_bytes(a)
            }
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
le_cell!(f64, f32, i64, i32, i8, u64, u32, u8);

fn cells<T: LeCell>(bytes: &[u8]) -> Vec<T> {
    bytes.chunks_exact(T::WIDTH).map(T::from_le).collect()
}

fn dense_of(vt: ValueType, rows: usize, cols: usize, bytes: &[u8]) -> Result<Dense, String> {
    Ok(match vt {
        ValueType::F64 => Dense::F64(DenseMatrix::from_vec(rows, cols, cells(bytes))),
        ValueType::F32 => Dense::F32(DenseMatrix::from_vec(rows, cols, cells(bytes))),
        ValueType::SI64 => Dense::SI64(DenseMatrix::from_vec(rows, cols, cells(bytes))),
        ValueType::SI32 => Dense::SI32(DenseMatrix::from_vec(rows, cols, cells(bytes))),
        ValueType::SI8 => Dense::SI8(DenseMatrix::from_vec(rows, cols, cells(bytes))),
        ValueType::UI64 => Dense::UI64(DenseMatrix::from_vec(rows, cols, cells(bytes))),
        ValueType::UI32 => Dense::UI32(DenseMatrix::from_vec(rows, cols, cells(bytes))),
        ValueType::UI8 => Dense::UI8(DenseMatrix::from_vec(rows, cols, cells(bytes))),
        other => return Err(format!("a .dbin file cannot hold {}", other.dsl_name())),
    })
}

/// Rows `first .. first + count` of a `.dbin` file: one seek, one read.
pub fn read_rows(path: &str, first: usize, count: usize) -> Result<Matrix, String> {
    let (mut file, h) = open(path)?;
    if first.checked_add(count).is_none_or(|end| end > h.rows) {
        return Err(format!("cannot read {path}: rows {first}..{} are not rows of its {} rows", first + count, h.rows));
    }
    let row_bytes = h.cols as u64 * h.width();
    let n =
        usize::try_from(count as u64 * row_bytes).map_err(|_| format!("cannot read {path}: the block is too large"))?;
    let mut bytes = vec![0u8; n];
    file.seek(SeekFrom::Start(HEADER_BYTES + first as u64 * row_bytes))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(Matrix::Dense(dense_of(h.vt, count, h.cols, &bytes).map_err(|e| format!("cannot read {path}: {e}"))?))
}

/// Reads a whole `.dbin` file.
pub fn read_matrix(path: &str) -> Result<Matrix, String> {
    let h = read_header(path)?;
    read_rows(path, 0, h.rows)
}

/// Writes a matrix as `.dbin` (CSR matrices densely).
pub fn write_matrix(m: &Matrix, path: &str) -> Result<(), String> {
    let d = m.dense();
    let header = DbinHeader { rows: d.rows(), cols: d.cols(), vt: d.vt() };
    let h = header.encode().map_err(|e| format!("cannot write {path}: {e}"))?;
    let err = |e: std::io::Error| format!("cannot write {path}: {e}");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, fs::File::create(path).map_err(err)?);
    w.write_all(&h).map_err(err)?;
    match &*d {
        Dense::F64(x) => write_cells(&mut w, x),
        Dense::F32(x) => write_cells(&mut w, x),
        Dense::SI64(x) => write_cells(&mut w, x),
        Dense::SI32(x) => write_cells(&mut w, x),
        Dense::SI8(x) => write_cells(&mut w, x),
        Dense::UI64(x) => write_cells(&mut w, x),
        Dense::UI32(x) => write_cells(&mut w, x),
        Dense::UI8(x) => write_cells(&mut w, x),
        Dense::Bool(_) | Dense::Str(_) => unreachable_vt(),
    }
    .map_err(err)?;
    w.flush().map_err(err)
}

/// `encode` refused the value type before any cell is written.
fn unreachable_vt() -> std::io::Result<()> {
    Err(std::io::Error::other("internal error in the .dbin writer: a value type without a code"))
}

fn write_cells<T: LeCell + crate::elem::Elem>(w: &mut impl Write, x: &DenseMatrix<T>) -> std::io::Result<()> {
    let mut row = Vec::with_capacity(x.cols() * T::WIDTH);
    for r in 0..x.rows() {
        row.clear();
        for v in x.row(r) {
            v.put_le(&mut row);
        }
        w.write_all(&row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> String {
        let dir = std::env::temp_dir().join(format!("daphne-dbin-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir.join(name).to_str().unwrap().to_string()
    }

    #[test]
    fn round_trip_and_row_blocks() {
        let p = temp("a.dbin");
        let m = Matrix::Dense(Dense::SI32(DenseMatrix::from_vec(5, 3, (0..15).map(|v| v * 7 - 20).collect())));
        write_matrix(&m, &p).unwrap();
        assert_eq!(fs::metadata(&p).unwrap().len(), HEADER_BYTES + 15 * 4);
        assert_eq!(read_header(&p).unwrap(), DbinHeader { rows: 5, cols: 3, vt: ValueType::SI32 });
        let Matrix::Dense(Dense::SI32(back)) = read_matrix(&p).unwrap() else { panic!("an si32 matrix") };
        assert_eq!(back.to_vec(), (0..15).map(|v| v * 7 - 20).collect::<Vec<i32>>());
        let Matrix::Dense(Dense::SI32(block)) = read_rows(&p, 2, 2).unwrap() else { panic!("an si32 matrix") };
        assert_eq!((block.rows(), block.cols()), (2, 3));
        assert_eq!(block.to_vec(), (6..12).map(|v| v * 7 - 20).collect::<Vec<i32>>());
        assert!(read_rows(&p, 4, 2).unwrap_err().contains("not rows of its 5 rows"));
    }

    #[test]
    fn truncated_and_foreign_files_are_refused() {
        let p = temp("b.dbin");
        let m = Matrix::Dense(Dense::F64(DenseMatrix::from_vec(2, 2, vec![1.0, 2.0, 3.0, 4.0])));
        write_matrix(&m, &p).unwrap();
        let bytes = fs::read(&p).unwrap();
        fs::write(&p, &bytes[..bytes.len() - 1]).unwrap();
        let e = read_matrix(&p).unwrap_err();
        assert!(e.contains("the header says 2x2 cells of f64, but the file has 55 bytes"), "{e}");
        fs::write(&p, b"a,b\n1,2\n").unwrap();
        assert!(read_matrix(&p).unwrap_err().contains("fewer than a .dbin header"));
        fs::write(&p, [b'X'; 40]).unwrap();
        assert!(read_matrix(&p).unwrap_err().contains("does not start with DBIN"));
        let s = Matrix::Dense(Dense::Str(DenseMatrix::from_vec(1, 1, vec!["x".to_string()])));
        assert!(write_matrix(&s, &p).unwrap_err().contains("a str matrix has no .dbin value type"));
    }
}
