//! Parquet files (`.parquet`) for `readMatrix`, `readFrame` and `write`, through the `parquet`
//! crate's own column readers and writers (no Arrow, Snappy as the only codec: what pandas,
//! pyarrow, Spark and DuckDB write by default; files with other codecs are refused by name).
//!
//! A Parquet file describes itself: its footer holds the number of rows, the columns' names and
//! types and where each row group starts, so no `.meta` is needed (one beside the file, as
//! DAPHNE writes, must agree with it). The footer is all the coordinator reads of a file whose
//! rows the workers read: a worker reads the row groups that hold its rows, skipping the rows
//! before its first one in the first of them ([`read_matrix_rows`]).
//!
//! Columns map to value types by their physical and logical types: `DOUBLE` f64, `FLOAT` f32,
//! `INT64` si64 (ui64 when unsigned), `INT32` si32 (8-bit logical integers si8/ui8, unsigned
//! 32-bit ui32, 16-bit ones widened to si32/ui32), `BOOLEAN` bool, `BYTE_ARRAY` str (UTF-8). Only
//! flat schemas (no nested or repeated columns) are read. A null cell is NaN in a floating-point
//! column (as an empty CSV field is) and an error naming the column and row otherwise. A matrix
//! needs all its columns of one value type. Writing uses the same mapping, Snappy, and row groups
//! of at most 1 Mi rows or about 64 MiB.

use crate::dense::DenseMatrix;
use crate::frame::Frame;
use crate::kernels::io::read_meta;
use crate::matrix::{Dense, Matrix};
use daphne_ir::ValueType;
use parquet::basic::{Compression, ConvertedType, LogicalType, Repetition, Type as Physical};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DataType, DoubleType, FloatType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnDescriptor, Type as SchemaType};
use std::fs::File;
use std::sync::Arc;

/// What the footer of a Parquet file says: its rows and, per column, its name and value type.
#[derive(Clone, Debug, PartialEq)]
pub struct ParquetShape {
    pub rows: usize,
    pub columns: Vec<(String, ValueType)>,
}

impl ParquetShape {
    /// The value type of a matrix of these columns: the one they share.
    pub fn matrix_vt(&self, path: &str) -> Result<ValueType, String> {
        let Some((_, first)) = self.columns.first() else {
            return Err(format!("cannot read {path}: the file has no columns"));
        };
        if let Some((name, vt)) = self.columns.iter().find(|(_, vt)| vt != first) {
            return Err(format!(
                "cannot read {path} as a matrix: its columns have different value types (`{}` is {}, `{name}` is {}); read it with readFrame",
                self.columns[0].0,
                first.dsl_name(),
                vt.dsl_name()
            ));
        }
        Ok(*first)
    }
}

/// A reader's error, with a codec this build lacks said in words.
fn read_error(path: &str, e: parquet::errors::ParquetError) -> String {
    let text = e.to_string();
    match text.split_once("Disabled feature at compile time: ") {
        Some((_, codec)) => format!(
            "cannot read {path}: it is compressed with {codec}, which this build does not read (Snappy and uncompressed files only)"
        ),
        None => format!("cannot read {path}: {text}"),
    }
}

fn open(path: &str) -> Result<SerializedFileReader<File>, String> {
    let file = File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    SerializedFileReader::new(file).map_err(|e| format!("cannot read {path}: not a readable Parquet file: {e}"))
}

/// The value type a column is read as.
fn column_vt(path: &str, c: &ColumnDescriptor) -> Result<ValueType, String> {
    let unsupported = |what: String| {
        Err(format!(
            "cannot read {path}: column `{}` has the Parquet type {what}, which has no value type here",
            c.name()
        ))
    };
    let int = match c.logical_type_ref() {
        Some(LogicalType::Integer(t)) => Some((t.bit_width, t.is_signed)),
        _ => match c.converted_type() {
            ConvertedType::INT_8 => Some((8, true)),
            ConvertedType::INT_16 => Some((16, true)),
            ConvertedType::INT_32 => Some((32, true)),
            ConvertedType::INT_64 => Some((64, true)),
            ConvertedType::UINT_8 => Some((8, false)),
            ConvertedType::UINT_16 => Some((16, false)),
            ConvertedType::UINT_32 => Some((32, false)),
            ConvertedType::UINT_64 => Some((64, false)),
            _ => None,
        },
    };
    Ok(match c.physical_type() {
        Physical::DOUBLE => ValueType::F64,
        Physical::FLOAT => ValueType::F32,
        Physical::BOOLEAN => ValueType::Bool,
        Physical::BYTE_ARRAY => ValueType::Str,
        Physical::INT64 => match int {
            Some((_, false)) => ValueType::UI64,
            _ => ValueType::SI64,
        },
        Physical::INT32 => match int {
            Some((8, true)) => ValueType::SI8,
            Some((8, false)) => ValueType::UI8,
            Some((_, false)) => ValueType::UI32,
            _ => ValueType::SI32,
        },
        other => return unsupported(format!("{other}")),
    })
}

fn shape_of(path: &str, reader: &SerializedFileReader<File>) -> Result<ParquetShape, String> {
    let meta = reader.metadata().file_metadata();
    let schema = meta.schema_descr();
    if schema.root_schema().get_fields().iter().any(|f| !f.is_primitive()) || schema.num_columns() == 0 {
        return Err(format!("cannot read {path}: only flat Parquet schemas (one primitive column per field) are read"));
    }
    let mut columns = Vec::with_capacity(schema.num_columns());
    for i in 0..schema.num_columns() {
        let c = schema.column(i);
        if c.max_rep_level() > 0 {
            return Err(format!("cannot read {path}: column `{}` is repeated", c.name()));
        }
        columns.push((c.name().to_string(), column_vt(path, &c)?));
    }
    let rows = usize::try_from(meta.num_rows()).map_err(|_| format!("cannot read {path}: a negative row count"))?;
    Ok(ParquetShape { rows, columns })
}

/// What a `.meta` beside the file says must agree with the file.
fn check_meta(path: &str, shape: &ParquetShape) -> Result<(), String> {
    if !std::path::Path::new(&crate::kernels::io::meta_path(path)).exists() {
        return Ok(());
    }
    let meta = read_meta(path)?;
    let vts: Vec<ValueType> = shape.columns.iter().map(|(_, vt)| *vt).collect();
    let meta_vts = meta.column_types();
    if (meta.num_rows, meta.num_cols) != (shape.rows, shape.columns.len())
        || meta_vts.iter().zip(&vts).any(|(m, f)| m.storage_vt() != f.storage_vt())
    {
        return Err(format!(
            "cannot read {path}: its meta data says {}x{} of {}, but the file holds {}x{} of {}",
            meta.num_rows,
            meta.num_cols,
            names(&meta_vts),
            shape.rows,
            shape.columns.len(),
            names(&vts)
        ));
    }
    Ok(())
}

fn names(vts: &[ValueType]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for vt in vts {
        if !seen.contains(&vt.dsl_name()) {
            seen.push(vt.dsl_name());
        }
    }
    seen.join("/")
}

/// The footer of a Parquet file: rows, column names and value types (what the coordinator
/// reads of a file whose rows the workers read).
pub fn read_shape(path: &str) -> Result<ParquetShape, String> {
    let shape = shape_of(path, &open(path)?)?;
    check_meta(path, &shape)?;
    Ok(shape)
}

/// The cells of one column over a row range.
enum Col {
    F64(Vec<f64>),
    F32(Vec<f32>),
    SI64(Vec<i64>),
    SI32(Vec<i32>),
    SI8(Vec<i8>),
    UI64(Vec<u64>),
    UI32(Vec<u32>),
    UI8(Vec<u8>),
    Bool(Vec<bool>),
    Str(Vec<String>),
}

/// Which rows of which row groups hold rows `first .. first + count`: (group, skip, take).
fn row_group_parts(reader: &SerializedFileReader<File>, first: usize, count: usize) -> Vec<(usize, usize, usize)> {
    let mut parts = Vec::new();
    let mut start = 0usize;
    let end = first + count;
    for (g, rg) in reader.metadata().row_groups().iter().enumerate() {
        let n = usize::try_from(rg.num_rows()).unwrap_or(0);
        let (lo, hi) = (start.max(first), (start + n).min(end));
        if lo < hi {
            parts.push((g, lo - start, hi - lo));
        }
        start += n;
        if start >= end {
            break;
        }
    }
    parts
}

/// The values of column `col` in `parts`, with the positions of null cells.
fn read_values<T: DataType>(
    path: &str,
    reader: &SerializedFileReader<File>,
    col: usize,
    parts: &[(usize, usize, usize)],
) -> Result<(Vec<T::T>, Vec<usize>), String> {
    let err = |e: parquet::errors::ParquetError| read_error(path, e);
    let desc = reader.metadata().file_metadata().schema_descr().column(col);
    let max_def = desc.max_def_level();
    let total: usize = parts.iter().map(|p| p.2).sum();
    let mut out: Vec<T::T> = Vec::with_capacity(total);
    let mut nulls = Vec::new();
    let mut values: Vec<T::T> = Vec::new();
    let mut defs: Vec<i16> = Vec::new();
    for &(g, skip, take) in parts {
        let group = reader.get_row_group(g).map_err(err)?;
        let Some(mut r) = T::get_column_reader(group.get_column_reader(col).map_err(err)?) else {
            return Err(format!("cannot read {path}: column `{}` is not of its declared type", desc.name()));
        };
        if r.skip_records(skip).map_err(err)? != skip {
            return Err(format!("cannot read {path}: row group {g} has fewer rows than its footer says"));
        }
        let mut left = take;
        while left > 0 {
            values.clear();
            defs.clear();
            let levels = if max_def > 0 { Some(&mut defs) } else { None };
            let (records, _, _) = r.read_records(left, levels, None, &mut values).map_err(err)?;
            if records == 0 {
                return Err(format!("cannot read {path}: row group {g} has fewer rows than its footer says"));
            }
            if max_def > 0 {
                let mut it = values.drain(..);
                for d in &defs[..records] {
                    if *d == max_def {
                        out.push(
                            it.next()
                                .ok_or_else(|| format!("cannot read {path}: a column with fewer values than levels"))?,
                        );
                    } else {
                        nulls.push(out.len());
                        out.push(T::T::default());
                    }
                }
            } else {
                out.extend(values.drain(..records.min(values.len())));
            }
            left = left.saturating_sub(records);
        }
    }
    if out.len() != total {
        return Err(format!("cannot read {path}: column `{}` has {} of {total} rows", desc.name(), out.len()));
    }
    Ok((out, nulls))
}

/// Column `col` over `parts`, as value type `vt` (its [`column_vt`]).
fn read_column(
    path: &str,
    reader: &SerializedFileReader<File>,
    col: usize,
    vt: ValueType,
    parts: &[(usize, usize, usize)],
    first: usize,
) -> Result<Col, String> {
    let name = reader.metadata().file_metadata().schema_descr().column(col).name().to_string();
    let no_nulls = |nulls: &[usize]| match nulls.first() {
        Some(i) => Err(format!(
            "cannot read {path}: column `{name}` is null in row {}, and a {} cell cannot be null",
            first + i + 1,
            vt.dsl_name()
        )),
        None => Ok(()),
    };
    Ok(match vt {
        ValueType::F64 => {
            let (mut v, nulls) = read_values::<DoubleType>(path, reader, col, parts)?;
            nulls.iter().for_each(|i| v[*i] = f64::NAN);
            Col::F64(v)
        }
        ValueType::F32 => {
            let (mut v, nulls) = read_values::<FloatType>(path, reader, col, parts)?;
            nulls.iter().for_each(|i| v[*i] = f32::NAN);
            Col::F32(v)
        }
        ValueType::SI64 | ValueType::UI64 => {
            let (v, nulls) = read_values::<Int64Type>(path, reader, col, parts)?;
            no_nulls(&nulls)?;
            if vt == ValueType::SI64 { Col::SI64(v) } else { Col::UI64(v.into_iter().map(|x| x as u64).collect()) }
        }
        ValueType::SI32 | ValueType::SI8 | ValueType::UI32 | ValueType::UI8 => {
            let (v, nulls) = read_values::<Int32Type>(path, reader, col, parts)?;
            no_nulls(&nulls)?;
            match vt {
                ValueType::SI32 => Col::SI32(v),
                ValueType::SI8 => Col::SI8(v.into_iter().map(|x| x as i8).collect()),
                ValueType::UI8 => Col::UI8(v.into_iter().map(|x| x as u8).collect()),
                _ => Col::UI32(v.into_iter().map(|x| x as u32).collect()),
            }
        }
        ValueType::Bool => {
            let (v, nulls) = read_values::<BoolType>(path, reader, col, parts)?;
            no_nulls(&nulls)?;
            Col::Bool(v)
        }
        _ => {
            let (v, nulls) = read_values::<ByteArrayType>(path, reader, col, parts)?;
            no_nulls(&nulls)?;
            let mut s = Vec::with_capacity(v.len());
            for (i, b) in v.iter().enumerate() {
                s.push(
                    b.as_utf8()
                        .map_err(|_| format!("cannot read {path}: column `{name}`, row {}: not UTF-8", first + i + 1))?
                        .to_string(),
                );
            }
            Col::Str(s)
        }
    })
}

/// Row-major cells from columns of one type.
fn interleave<T: Clone>(cols: Vec<Vec<T>>, rows: usize) -> Vec<T> {
    let n = cols.len();
    if n == 1 {
        return cols.into_iter().next().unwrap_or_default();
    }
    let mut out = Vec::with_capacity(rows * n);
    for r in 0..rows {
        for c in &cols {
            out.push(c[r].clone());
        }
    }
    out
}

fn matrix_of(cols: Vec<Col>, rows: usize) -> Result<Dense, String> {
    macro_rules! gather {
        ($variant:ident) => {{
            let mut vs = Vec::with_capacity(cols.len());
            let n = cols.len();
            for c in cols {
                match c {
                    Col::$variant(v) => vs.push(v),
                    _ => return Err("internal error in the Parquet reader: columns of different types".into()),
                }
            }
            Dense::$variant(DenseMatrix::from_vec(rows, n, interleave(vs, rows)))
        }};
    }
    Ok(match cols.first() {
        Some(Col::F64(_)) => gather!(F64),
        Some(Col::F32(_)) => gather!(F32),
        Some(Col::SI64(_)) => gather!(SI64),
        Some(Col::SI32(_)) => gather!(SI32),
        Some(Col::SI8(_)) => gather!(SI8),
        Some(Col::UI64(_)) => gather!(UI64),
        Some(Col::UI32(_)) => gather!(UI32),
        Some(Col::UI8(_)) => gather!(UI8),
        Some(Col::Bool(_)) => gather!(Bool),
        Some(Col::Str(_)) => gather!(Str),
        None => return Err("internal error in the Parquet reader: a matrix without columns".into()),
    })
}

fn column_dense(c: Col) -> Dense {
    fn col<T: crate::elem::Elem>(v: Vec<T>) -> DenseMatrix<T> {
        let n = v.len();
        DenseMatrix::from_vec(n, 1, v)
    }
    match c {
        Col::F64(v) => Dense::F64(col(v)),
        Col::F32(v) => Dense::F32(col(v)),
        Col::SI64(v) => Dense::SI64(col(v)),
        Col::SI32(v) => Dense::SI32(col(v)),
        Col::SI8(v) => Dense::SI8(col(v)),
        Col::UI64(v) => Dense::UI64(col(v)),
        Col::UI32(v) => Dense::UI32(col(v)),
        Col::UI8(v) => Dense::UI8(col(v)),
        Col::Bool(v) => Dense::Bool(col(v)),
        Col::Str(v) => Dense::Str(col(v)),
    }
}

/// Rows `first .. first + count` of a Parquet file as a matrix (how a worker reads its row
/// block): only the row groups that hold them are read.
pub fn read_matrix_rows(path: &str, first: usize, count: usize) -> Result<Matrix, String> {
    let reader = open(path)?;
    let shape = shape_of(path, &reader)?;
    let vt = shape.matrix_vt(path)?;
    if first.checked_add(count).is_none_or(|end| end > shape.rows) {
        return Err(format!(
            "cannot read {path}: rows {first}..{} are not rows of its {} rows",
            first + count,
            shape.rows
        ));
    }
    let parts = row_group_parts(&reader, first, count);
    let cols = (0..shape.columns.len())
        .map(|c| read_column(path, &reader, c, vt, &parts, first))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Matrix::Dense(matrix_of(cols, count)?))
}

/// Reads a whole Parquet file as a matrix.
pub fn read_matrix(path: &str) -> Result<Matrix, String> {
    let shape = read_shape(path)?;
    shape.matrix_vt(path)?;
    read_matrix_rows(path, 0, shape.rows)
}

/// Reads a Parquet file as a frame: one column per Parquet column, labelled with its name.
pub fn read_frame(path: &str) -> Result<Frame, String> {
    let shape = read_shape(path)?;
    let reader = open(path)?;
    let parts = row_group_parts(&reader, 0, shape.rows);
    let mut columns = Vec::with_capacity(shape.columns.len());
    for (c, (_, vt)) in shape.columns.iter().enumerate() {
        columns.push(column_dense(read_column(path, &reader, c, *vt, &parts, 0)?));
    }
    let labels = shape.columns.into_iter().map(|(n, _)| n).collect();
    Frame::new(columns, labels).map_err(|e| format!("cannot read {path}: {e}"))
}

// ------------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------------

/// Rows per row group at most.
const MAX_GROUP_ROWS: usize = 1 << 20;
/// Bytes of cells per row group, about.
const GROUP_BYTES: usize = 64 << 20;

/// The Parquet column of a value type.
fn schema_column(name: &str, vt: ValueType) -> Result<Arc<SchemaType>, String> {
    let (physical, logical) = match vt.storage_vt() {
        ValueType::F64 => (Physical::DOUBLE, None),
        ValueType::F32 => (Physical::FLOAT, None),
        ValueType::SI64 => (Physical::INT64, None),
        ValueType::UI64 | ValueType::Index => (Physical::INT64, Some(LogicalType::integer(64, false))),
        ValueType::SI32 => (Physical::INT32, None),
        ValueType::UI32 => (Physical::INT32, Some(LogicalType::integer(32, false))),
        ValueType::SI8 => (Physical::INT32, Some(LogicalType::integer(8, true))),
        ValueType::UI8 => (Physical::INT32, Some(LogicalType::integer(8, false))),
        ValueType::Bool => (Physical::BOOLEAN, None),
        ValueType::Str => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
    };
    SchemaType::primitive_type_builder(name, physical)
        .with_repetition(Repetition::REQUIRED)
        .with_logical_type(logical)
        .build()
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// Writes the rows of columns `(name, value type)`; `cell(c, r0, r1, writer)` writes rows
/// `r0 .. r1` of column `c`.
fn write_columns(
    path: &str,
    rows: usize,
    columns: &[(String, ValueType)],
    mut cells: impl FnMut(usize, usize, usize, &mut ColumnWriter<'_>) -> Result<(), String>,
) -> Result<(), String> {
    let err = |e: String| format!("cannot write {path}: {e}");
    let fields = columns.iter().map(|(n, vt)| schema_column(n, *vt)).collect::<Result<Vec<_>, _>>().map_err(err)?;
    let schema =
        SchemaType::group_type_builder("schema").with_fields(fields).build().map_err(|e| err(e.to_string()))?;
    let row_bytes: usize = columns.iter().map(|(_, vt)| vt.cell_bytes().unwrap_or(16) as usize).sum();
    let group_rows = (GROUP_BYTES / row_bytes.max(1)).clamp(1, MAX_GROUP_ROWS);
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let file = File::create(path).map_err(|e| err(e.to_string()))?;
    let mut writer =
        SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props)).map_err(|e| err(e.to_string()))?;
    let mut r0 = 0;
    while r0 < rows {
        let r1 = (r0 + group_rows).min(rows);
        let mut group = writer.next_row_group().map_err(|e| err(e.to_string()))?;
        let mut c = 0;
        while let Some(mut col) = group.next_column().map_err(|e| err(e.to_string()))? {
            cells(c, r0, r1, col.untyped()).map_err(err)?;
            col.close().map_err(|e| err(e.to_string()))?;
            c += 1;
        }
        group.close().map_err(|e| err(e.to_string()))?;
        r0 = r1;
    }
    writer.close().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// Writes column `c` of rows `r0 .. r1` of a dense matrix (or frame column, `c` = 0).
fn write_cells(d: &Dense, c: usize, (r0, r1): (usize, usize), w: &mut ColumnWriter<'_>) -> Result<(), String> {
    fn pick<T: crate::elem::Elem, U>(
        m: &DenseMatrix<T>,
        c: usize,
        (r0, r1): (usize, usize),
        f: impl Fn(T) -> U,
    ) -> Vec<U> {
        (r0..r1).map(|r| f(m.row(r)[c].clone())).collect()
    }
    let wrong = || Err("internal error in the Parquet writer: a column of another type".to_string());
    let done = |r: parquet::errors::Result<usize>| r.map(|_| ()).map_err(|e| e.to_string());
    let rows = (r0, r1);
    match (d, w) {
        (Dense::F64(m), ColumnWriter::DoubleColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, |x| x), None, None))
        }
        (Dense::F32(m), ColumnWriter::FloatColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, |x| x), None, None))
        }
        (Dense::SI64(m), ColumnWriter::Int64ColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, |x| x), None, None))
        }
        (Dense::UI64(m), ColumnWriter::Int64ColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, |x| x as i64), None, None))
        }
        (Dense::SI32(m), ColumnWriter::Int32ColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, |x| x), None, None))
        }
        (Dense::UI32(m), ColumnWriter::Int32ColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, |x| x as i32), None, None))
        }
        (Dense::SI8(m), ColumnWriter::Int32ColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, i32::from), None, None))
        }
        (Dense::UI8(m), ColumnWriter::Int32ColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, i32::from), None, None))
        }
        (Dense::Bool(m), ColumnWriter::BoolColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, |x| x), None, None))
        }
        (Dense::Str(m), ColumnWriter::ByteArrayColumnWriter(w)) => {
            done(w.write_batch(&pick(m, c, rows, |x| ByteArray::from(x.into_bytes())), None, None))
        }
        _ => wrong(),
    }
}

/// Writes a matrix as Parquet, one column per matrix column (`col_0`, `col_1`, ...; CSR
/// matrices densely).
pub fn write_matrix(m: &Matrix, path: &str) -> Result<(), String> {
    let d = m.dense();
    if d.cols() == 0 {
        return Err(format!("cannot write {path}: a Parquet file needs at least one column"));
    }
    let columns: Vec<(String, ValueType)> = (0..d.cols()).map(|c| (Frame::default_label(c), d.vt())).collect();
    write_columns(path, d.rows(), &columns, |c, r0, r1, w| write_cells(&d, c, (r0, r1), w))
}

/// Writes a frame as Parquet, its labels as the column names.
pub fn write_frame(f: &Frame, path: &str) -> Result<(), String> {
    if f.cols() == 0 {
        return Err(format!("cannot write {path}: a Parquet file needs at least one column"));
    }
    let columns: Vec<(String, ValueType)> = f.labels().iter().cloned().zip(f.schema()).collect();
    write_columns(path, f.rows(), &columns, |c, r0, r1, w| write_cells(&f.columns()[c], 0, (r0, r1), w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> String {
        let dir = std::env::temp_dir().join(format!("daphne-parquet-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name).to_str().unwrap().to_string()
    }

    #[test]
    fn matrices_round_trip_and_row_blocks_cross_row_groups() {
        let p = temp("m.parquet");
        let rows = 10;
        let values: Vec<f64> = (0..rows * 3).map(|v| v as f64 * 0.5 - 3.0).collect();
        let m = Matrix::Dense(Dense::F64(DenseMatrix::from_vec(rows, 3, values.clone())));
        write_matrix(&m, &p).unwrap();
        let shape = read_shape(&p).unwrap();
        assert_eq!(shape.rows, rows);
        assert_eq!(shape.columns, (0..3).map(|c| (format!("col_{c}"), ValueType::F64)).collect::<Vec<_>>());
        let Matrix::Dense(Dense::F64(back)) = read_matrix(&p).unwrap() else { panic!("an f64 matrix") };
        assert_eq!(back.to_vec(), values);
        let Matrix::Dense(Dense::F64(block)) = read_matrix_rows(&p, 3, 4).unwrap() else { panic!("f64") };
        assert_eq!(block.to_vec(), values[9..21].to_vec());
        assert!(read_matrix_rows(&p, 8, 3).unwrap_err().contains("not rows of its 10 rows"));
    }

    #[test]
    fn frames_keep_labels_and_types() {
        let p = temp("f.parquet");
        let f = Frame::new(
            vec![
                Dense::SI64(DenseMatrix::from_vec(2, 1, vec![1, -2])),
                Dense::Str(DenseMatrix::from_vec(2, 1, vec!["a,b".to_string(), "ü".to_string()])),
                Dense::UI8(DenseMatrix::from_vec(2, 1, vec![0, 255])),
                Dense::Bool(DenseMatrix::from_vec(2, 1, vec![true, false])),
            ],
            vec!["k".into(), "s".into(), "b".into(), "t".into()],
        )
        .unwrap();
        write_frame(&f, &p).unwrap();
        let g = read_frame(&p).unwrap();
        assert_eq!(g.labels(), f.labels());
        assert_eq!(g.schema(), f.schema());
        let mut a = String::new();
        let mut b = String::new();
        f.print_to(&mut a);
        g.print_to(&mut b);
        assert_eq!(a, b);
        let e = read_matrix(&p).unwrap_err();
        assert!(e.contains("different value types (`k` is si64, `s` is str)"), "{e}");
    }

    /// Writes `columns` (name, physical type, repetition, logical type) in row groups: per group,
    /// per column, its values and (for optional columns) definition levels.
    #[allow(clippy::type_complexity)]
    fn write_with_crate(
        path: &str,
        columns: &[(&str, Physical, Repetition, Option<LogicalType>)],
        groups: &[Vec<(Vec<f64>, Option<Vec<i16>>)>],
    ) {
        let fields = columns
            .iter()
            .map(|(n, t, r, l)| {
                Arc::new(
                    SchemaType::primitive_type_builder(n, *t)
                        .with_repetition(*r)
                        .with_logical_type(l.clone())
                        .build()
                        .unwrap(),
                )
            })
            .collect();
        let schema = Arc::new(SchemaType::group_type_builder("schema").with_fields(fields).build().unwrap());
        let props = Arc::new(WriterProperties::builder().build());
        let mut w = SerializedFileWriter::new(File::create(path).unwrap(), schema, props).unwrap();
        for group in groups {
            let mut g = w.next_row_group().unwrap();
            let mut c = 0;
            while let Some(mut col) = g.next_column().unwrap() {
                let (values, defs) = &group[c];
                match col.untyped() {
                    ColumnWriter::DoubleColumnWriter(x) => {
                        x.write_batch(values, defs.as_deref(), None).unwrap();
                    }
                    ColumnWriter::Int32ColumnWriter(x) => {
                        let v: Vec<i32> = values.iter().map(|v| *v as i32).collect();
                        x.write_batch(&v, defs.as_deref(), None).unwrap();
                    }
                    _ => panic!("a column type this test does not write"),
                }
                col.close().unwrap();
                c += 1;
            }
            g.close().unwrap();
        }
        w.close().unwrap();
    }

    #[test]
    fn nulls_row_groups_and_logical_integers_of_other_writers() {
        let p = temp("other.parquet");
        let columns = [
            ("x", Physical::DOUBLE, Repetition::OPTIONAL, None),
            ("b", Physical::INT32, Repetition::REQUIRED, Some(LogicalType::integer(8, false))),
        ];
        // Two row groups (3 and 2 rows); x is null in row 2.
        let groups = vec![
            vec![(vec![1.0, 3.0], Some(vec![1, 0, 1])), (vec![200.0, 7.0, 255.0], None)],
            vec![(vec![4.0, 5.0], Some(vec![1, 1])), (vec![0.0, 1.0], None)],
        ];
        write_with_crate(&p, &columns, &groups);
        let f = read_frame(&p).unwrap();
        assert_eq!(f.schema(), vec![ValueType::F64, ValueType::UI8]);
        let mut text = String::new();
        f.print_to(&mut text);
        assert_eq!(text, "Frame(5x2, [x:double, b:uint8_t])\n1 200\nnan 7\n3 255\n4 0\n5 1\n");
        // A block across the row groups, skipping the first row of the first.
        let q = temp("doubles.parquet");
        write_with_crate(
            &q,
            &columns[..1],
            &[vec![(vec![1.0, 3.0], Some(vec![1, 0, 1]))], vec![(vec![4.0, 5.0], Some(vec![1, 1]))]],
        );
        let Matrix::Dense(Dense::F64(m)) = read_matrix_rows(&q, 1, 3).unwrap() else { panic!("f64") };
        let v = m.to_vec();
        assert!(v[0].is_nan() && v[1..] == [3.0, 4.0], "{v:?}");
        // A null where a cell cannot be one.
        let r = temp("null_int.parquet");
        write_with_crate(
            &r,
            &[("n", Physical::INT32, Repetition::OPTIONAL, Some(LogicalType::integer(32, false)))],
            &[vec![(vec![1.0, 2.0], Some(vec![1, 1]))], vec![(vec![4.0], Some(vec![1, 0]))]],
        );
        let e = read_matrix(&r).unwrap_err();
        assert!(e.contains("column `n` is null in row 4, and a ui32 cell cannot be null"), "{e}");
        // Not Parquet at all.
        std::fs::write(&r, b"a,b\n1,2\n").unwrap();
        assert!(read_shape(&r).unwrap_err().contains("not a readable Parquet file"));
    }
}
