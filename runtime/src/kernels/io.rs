//! File I/O in DAPHNE's formats, so that `readMatrix`, `readFrame` and `write` exchange files with
//! DAPHNE itself: CSV data with a `<file>.meta` JSON sidecar (matrices and frames) and Matrix Market
//! (`.mtx`, reading only, as in DAPHNE). Files named `.dbin` (our binary format, [`super::dbin`])
//! and `.parquet` ([`super::parquet`]) go to their own modules; a block of rows of a numeric CSV
//! matrix ([`read_csv_rows`]) is what a distributed worker reads of it.
//!
//! The formats follow DAPHNE's readers and writers (`ReadCsvFile.h`, `WriteCsv.h`, `ReadMM.h`,
//! `MetaDataParser.cpp`):
//!
//! * The meta data is written as compact JSON with the keys in alphabetical order (what
//!   nlohmann's `dump()` produces), e.g. `{"numCols":2,"numRows":3,"valueType":"f64"}` for a matrix
//!   and `{"numCols":2,"numRows":3,"schema":[{"label":"a","valueType":"si64"},...]}` for a frame.
//! * CSV cells are separated by `,`, rows end with `\n`, there is no header line. Numbers are
//!   written like C's `printf`: floating-point values with `%f` (six decimals, `nan`, `-inf`),
//!   integers in decimal. Strings are quoted only if they contain `,`, `"`, `\n` or `\r`; inside
//!   quotes a `"` is doubled.
//! * When reading, a string field that starts with `"` is quoted: it may span lines (line breaks
//!   become `\n`), `""` stands for `"`, and `\"` is kept as the two characters `\"` without ending
//!   the field. Numeric fields are never quoted; surrounding blanks are ignored and an empty
//!   floating-point field is NaN. (As in DAPHNE, a string that needs quotes and contains `\"` or
//!   ends with `\` does therefore not read back as written.)
//!
//! Where DAPHNE silently reads garbage (malformed numbers, rows with too few or too many fields, a
//! file with more or fewer rows than the meta data says), these functions report an error naming
//! the file and line instead.

use crate::csr::CsrMatrix;
use crate::data::Data;
use crate::dense::DenseMatrix;
use crate::elem::Elem;
use crate::frame::Frame;
use crate::kernels::args::{OpArgs, Out, one};
use crate::matrix::{CsrElem, Dense, Matrix, convert_num};
use crate::with_dense;
use daphne_ir::{Type, ValueType};
use serde_json::Value;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;

// ------------------------------------------------------------------------------------------------
// Meta data (`<file>.meta`)
// ------------------------------------------------------------------------------------------------

/// The contents of a `<file>.meta` sidecar (DAPHNE's `FileMetaData`).
#[derive(Clone, Debug, PartialEq)]
pub struct FileMeta {
    /// `numRows`.
    pub num_rows: usize,
    /// `numCols`.
    pub num_cols: usize,
    /// `valueType` (one value type for all cells) or `schema` (one entry per column).
    pub schema: MetaSchema,
    /// `numNonZeros`, if given (DAPHNE's `-1`, meaning unknown, reads as `None`).
    pub num_non_zeros: Option<u64>,
    /// `hdfs.HDFSFilename` when `hdfs.isHDFS` is true.
    pub hdfs_filename: Option<String>,
}

/// How the value types of a file are described.
#[derive(Clone, Debug, PartialEq)]
pub enum MetaSchema {
    /// `"valueType"` without a schema: every cell has this type (matrices; also readable as a frame
    /// with default labels).
    Single(ValueType),
    /// `"schema"`: a label and a value type per column (frames). Columns whose value type is empty
    /// in the file get the top-level `"valueType"` when reading.
    Columns(Vec<ColumnMeta>),
}

/// One entry of a frame schema.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnMeta {
    /// The column label; empty if the file gives none.
    pub label: String,
    pub value_type: ValueType,
}

impl FileMeta {
    /// The meta data of a matrix.
    pub fn matrix(num_rows: usize, num_cols: usize, vt: ValueType) -> FileMeta {
        FileMeta { num_rows, num_cols, schema: MetaSchema::Single(vt), num_non_zeros: None, hdfs_filename: None }
    }

    /// The meta data of a frame with these columns.
    pub fn frame(num_rows: usize, columns: Vec<ColumnMeta>) -> FileMeta {
        FileMeta {
            num_rows,
            num_cols: columns.len(),
            schema: MetaSchema::Columns(columns),
            num_non_zeros: None,
            hdfs_filename: None,
        }
    }

    /// The value type of every column.
    pub fn column_types(&self) -> Vec<ValueType> {
        match &self.schema {
            MetaSchema::Single(vt) => vec![*vt; self.num_cols],
            MetaSchema::Columns(cols) => cols.iter().map(|c| c.value_type).collect(),
        }
    }

    /// The value type a matrix read from the file gets: the single value type, or (like DAPHNE)
    /// the type of the first column of a schema.
    pub fn matrix_value_type(&self) -> ValueType {
        match &self.schema {
            MetaSchema::Single(vt) => *vt,
            MetaSchema::Columns(cols) => cols.first().map_or(ValueType::F64, |c| c.value_type),
        }
    }

    /// The frame column labels: the schema's, with `col_<i>` for columns without one.
    pub fn labels(&self) -> Vec<String> {
        match &self.schema {
            MetaSchema::Single(_) => (0..self.num_cols).map(Frame::default_label).collect(),
            MetaSchema::Columns(cols) => cols
                .iter()
                .enumerate()
                .map(|(i, c)| if c.label.is_empty() { Frame::default_label(i) } else { c.label.clone() })
                .collect(),
        }
    }
}

/// The path of the meta data file of the data file `path`.
pub fn meta_path(path: &str) -> String {
    format!("{path}.meta")
}

/// Reads the meta data of the data file `path` (from `path` + `.meta`, as DAPHNE does).
pub fn read_meta(path: &str) -> Result<FileMeta, String> {
    let mp = meta_path(path);
    let text = fs::read_to_string(&mp).map_err(|e| format!("cannot read {mp}: {e}"))?;
    parse_meta(&text).map_err(|e| format!("invalid meta data in {mp}: {e}"))
}

/// Writes the meta data of the data file `path` to `path` + `.meta`, byte-identical to DAPHNE.
pub fn write_meta(path: &str, meta: &FileMeta) -> Result<(), String> {
    let mp = meta_path(path);
    let json = meta_to_json(meta).map_err(|e| format!("cannot write {mp}: {e}"))?;
    fs::write(&mp, json).map_err(|e| format!("cannot write {mp}: {e}"))
}

/// The value-type names of the meta data format.
const VT_NAMES: &str = "si8, si32, si64, ui8, ui32, ui64, f32, f64, str";

fn vt_from_name(name: &str) -> Option<ValueType> {
    Some(match name {
        "si8" => ValueType::SI8,
        "si32" => ValueType::SI32,
        "si64" => ValueType::SI64,
        "ui8" => ValueType::UI8,
        "ui32" => ValueType::UI32,
        "ui64" => ValueType::UI64,
        "f32" => ValueType::F32,
        "f64" => ValueType::F64,
        "str" => ValueType::Str,
        _ => return None,
    })
}

/// The meta data name of a value type (`index` is stored as `ui64`; there is no `bool`).
fn vt_name(vt: ValueType) -> Result<&'static str, String> {
    Ok(match vt {
        ValueType::SI8 => "si8",
        ValueType::SI32 => "si32",
        ValueType::SI64 => "si64",
        ValueType::UI8 => "ui8",
        ValueType::UI32 => "ui32",
        ValueType::UI64 | ValueType::Index => "ui64",
        ValueType::F32 => "f32",
        ValueType::F64 => "f64",
        ValueType::Str => "str",
        ValueType::Bool => {
            return Err("DAPHNE's file formats have no bool value type (cast to another value type first)".into());
        }
    })
}

/// A `valueType` entry: a name, or empty/null for "not given".
fn vt_from_json(v: &Value, what: &str) -> Result<Option<ValueType>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => vt_from_name(s)
            .map(Some)
            .ok_or_else(|| format!("unknown value type \"{s}\" in {what} (expected one of {VT_NAMES})")),
        other => Err(format!("{what} must be a string, not {other}")),
    }
}

fn json_size(v: &Value, key: &str) -> Result<usize, String> {
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("\"{key}\" must be a non-negative integer, not {v}"))
}

/// Parses meta data JSON (DAPHNE's `readMetaDataFromString`).
pub fn parse_meta(text: &str) -> Result<FileMeta, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| format!("malformed JSON: {e}"))?;
    let obj = json.as_object().ok_or("the meta data must be a JSON object")?;
    let (Some(rows), Some(cols)) = (obj.get("numRows"), obj.get("numCols")) else {
        return Err("the meta data must contain the keys \"numRows\" and \"numCols\"".into());
    };
    let num_rows = json_size(rows, "numRows")?;
    let num_cols = json_size(cols, "numCols")?;
    let default_vt = match obj.get("valueType") {
        Some(v) => vt_from_json(v, "\"valueType\"")?,
        None => None,
    };
    let schema = match obj.get("schema") {
        Some(s) => {
            let entries = s.as_array().ok_or("\"schema\" must be an array")?;
            let mut columns = Vec::with_capacity(entries.len());
            for (i, entry) in entries.iter().enumerate() {
                let e = entry.as_object().ok_or_else(|| format!("schema entry {i} must be an object"))?;
                let label = match e.get("label") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(l)) => l.clone(),
                    Some(other) => return Err(format!("the label of schema entry {i} must be a string, not {other}")),
                };
                let own = match e.get("valueType") {
                    Some(v) => vt_from_json(v, &format!("the value type of schema entry {i}"))?,
                    None => None,
                };
                let value_type = own.or(default_vt).ok_or_else(|| {
                    format!("schema entry {i} has no value type and the meta data gives no default \"valueType\"")
                })?;
                columns.push(ColumnMeta { label, value_type });
            }
            if columns.len() != num_cols {
                return Err(format!("the schema describes {} columns, but \"numCols\" is {num_cols}", columns.len()));
            }
            MetaSchema::Columns(columns)
        }
        None => match default_vt {
            Some(vt) => MetaSchema::Single(vt),
            None if obj.contains_key("valueType") => return Err("\"valueType\" must not be empty".into()),
            None => {
                return Err(
                    "the meta data must contain \"valueType\" (for a matrix) or \"schema\" (for a frame)".into()
                );
            }
        },
    };
    let num_non_zeros = match obj.get("numNonZeros") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(-1) => None,
            Some(n) if n >= 0 => Some(n as u64),
            _ => match v.as_u64() {
                Some(n) => Some(n),
                None => return Err(format!("\"numNonZeros\" must be a non-negative integer, not {v}")),
            },
        },
    };
    let hdfs_filename = match obj.get("hdfs") {
        None | Some(Value::Null) => None,
        Some(h) => {
            let is_hdfs =
                h.get("isHDFS").and_then(Value::as_bool).ok_or("\"hdfs\" must contain the boolean \"isHDFS\"")?;
            let name = h
                .get("HDFSFilename")
                .and_then(Value::as_str)
                .ok_or("\"hdfs\" must contain the string \"HDFSFilename\"")?;
            is_hdfs.then(|| name.to_string())
        }
    };
    Ok(FileMeta { num_rows, num_cols, schema, num_non_zeros, hdfs_filename })
}

/// A JSON string literal, escaped like nlohmann's `dump()` (UTF-8 kept, control characters as
/// `\b \f \n \r \t` or `\u00xx`).
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The meta data as DAPHNE writes it: compact JSON, keys in alphabetical order, `valueType` for
/// a single value type, `schema` otherwise, `numNonZeros` and `hdfs` only when known.
pub fn meta_to_json(meta: &FileMeta) -> Result<String, String> {
    let mut out = String::from("{");
    if let Some(name) = &meta.hdfs_filename {
        out.push_str("\"hdfs\":{\"HDFSFilename\":");
        json_string(name, &mut out);
        out.push_str(",\"isHDFS\":true},");
    }
    let _ = write!(out, "\"numCols\":{},", meta.num_cols);
    if let Some(nnz) = meta.num_non_zeros {
        let _ = write!(out, "\"numNonZeros\":{nnz},");
    }
    let _ = write!(out, "\"numRows\":{}", meta.num_rows);
    match &meta.schema {
        MetaSchema::Single(vt) => {
            let _ = write!(out, ",\"valueType\":\"{}\"", vt_name(*vt)?);
        }
        MetaSchema::Columns(cols) => {
            out.push_str(",\"schema\":[");
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"label\":");
                json_string(&c.label, &mut out);
                let _ = write!(out, ",\"valueType\":\"{}\"}}", vt_name(c.value_type)?);
            }
            out.push(']');
        }
    }
    out.push('}');
    Ok(out)
}

// ------------------------------------------------------------------------------------------------
// Reading
// ------------------------------------------------------------------------------------------------

/// The extension of the file name (without the dot; empty if none).
fn extension(path: &str) -> &str {
    Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or("")
}

fn unsupported_extension(action: &str, path: &str, supported: &str) -> String {
    match extension(path) {
        "" => format!("cannot {action} {path}: the file name has no extension (supported: {supported})"),
        ext => format!("cannot {action} {path}: unsupported file extension '.{ext}' (supported: {supported})"),
    }
}

fn read_text(path: &str) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    String::from_utf8(bytes)
        .map_err(|e| format!("cannot read {path}: the file is not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}

/// Reads a matrix: `.csv` (value type and shape from `<file>.meta`) or `.mtx` (Matrix Market; see
/// [`read_mtx`]). Like DAPHNE's `readMatrix`, the result is a dense matrix.
pub fn read_matrix(path: &str) -> Result<Matrix, String> {
    match extension(path) {
        "csv" => {
            let text = read_text(path)?;
            let meta = read_meta(path)?;
            let vt = meta.matrix_value_type();
            let cap = meta.num_rows.saturating_mul(meta.num_cols).min(text.len() + 1);
            let mut cells = [Cells::new(vt, cap).map_err(|e| format!("cannot read {path}: {e}"))?];
            let rows = CsvRows { first: 0, count: meta.num_rows, total: meta.num_rows, to_end: true };
            parse_csv(path, &text, rows, meta.num_cols, &mut cells)?;
            let [cells] = cells;
            Ok(Matrix::Dense(cells.into_dense(meta.num_rows, meta.num_cols)))
        }
        "mtx" => read_mtx(path, false),
        "dbin" => crate::kernels::dbin::read_matrix(path),
        "parquet" => crate::kernels::parquet::read_matrix(path),
        _ => Err(unsupported_extension("read a matrix from", path, ".csv, .mtx, .dbin, .parquet")),
    }
}

/// Reads a frame from a `.csv` file with `<file>.meta` (a schema with labels and value types, or one
/// value type for all columns; columns without a label are called `col_<i>`).
pub fn read_frame(path: &str) -> Result<Frame, String> {
    match extension(path) {
        "csv" => {}
        "parquet" => return crate::kernels::parquet::read_frame(path),
        _ => return Err(unsupported_extension("read a frame from", path, ".csv, .parquet")),
    }
    let text = read_text(path)?;
    let meta = read_meta(path)?;
    let cap = meta.num_rows.min(text.len() + 1);
    let mut cells = meta
        .column_types()
        .into_iter()
        .map(|vt| Cells::new(vt, cap))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    let rows = CsvRows { first: 0, count: meta.num_rows, total: meta.num_rows, to_end: true };
    parse_csv(path, &text, rows, meta.num_cols, &mut cells)?;
    let columns = cells.into_iter().map(|c| c.into_dense(meta.num_rows, 1)).collect();
    Frame::new(columns, meta.labels()).map_err(|e| format!("cannot read {path}: {e}"))
}

/// The cells read from a CSV file (or one column of it), in the storage type of a value type.
enum Cells {
    F64(Vec<f64>),
    F32(Vec<f32>),
    SI64(Vec<i64>),
    SI32(Vec<i32>),
    SI8(Vec<i8>),
    UI64(Vec<u64>),
    UI32(Vec<u32>),
    UI8(Vec<u8>),
    Str(Vec<String>),
}

impl Cells {
    fn new(vt: ValueType, cap: usize) -> Result<Cells, String> {
        Ok(match vt.storage_vt() {
            ValueType::F64 => Cells::F64(Vec::with_capacity(cap)),
            ValueType::F32 => Cells::F32(Vec::with_capacity(cap)),
            ValueType::SI64 => Cells::SI64(Vec::with_capacity(cap)),
            ValueType::SI32 => Cells::SI32(Vec::with_capacity(cap)),
            ValueType::SI8 => Cells::SI8(Vec::with_capacity(cap)),
            ValueType::UI64 | ValueType::Index => Cells::UI64(Vec::with_capacity(cap)),
            ValueType::UI32 => Cells::UI32(Vec::with_capacity(cap)),
            ValueType::UI8 => Cells::UI8(Vec::with_capacity(cap)),
            ValueType::Str => Cells::Str(Vec::with_capacity(cap)),
            ValueType::Bool => return Err("DAPHNE's file formats have no bool value type".into()),
        })
    }

    fn is_str(&self) -> bool {
        matches!(self, Cells::Str(_))
    }

    /// Adds an unquoted field.
    fn push_raw(&mut self, raw: &str) -> Result<(), String> {
        let t = raw.trim_matches([' ', '\t']);
        match self {
            Cells::F64(v) => v.push(parse_float(t, "f64")?),
            Cells::F32(v) => v.push(parse_float(t, "f32")?),
            Cells::SI64(v) => v.push(parse_int(t, "si64")?),
            Cells::SI32(v) => v.push(parse_int(t, "si32")?),
            Cells::SI8(v) => v.push(parse_int(t, "si8")?),
            Cells::UI64(v) => v.push(parse_int(t, "ui64")?),
            Cells::UI32(v) => v.push(parse_int(t, "ui32")?),
            Cells::UI8(v) => v.push(parse_int(t, "ui8")?),
            Cells::Str(v) => v.push(raw.to_string()),
        }
        Ok(())
    }

    fn into_dense(self, rows: usize, cols: usize) -> Dense {
        match self {
            Cells::F64(v) => Dense::F64(DenseMatrix::from_vec(rows, cols, v)),
            Cells::F32(v) => Dense::F32(DenseMatrix::from_vec(rows, cols, v)),
            Cells::SI64(v) => Dense::SI64(DenseMatrix::from_vec(rows, cols, v)),
            Cells::SI32(v) => Dense::SI32(DenseMatrix::from_vec(rows, cols, v)),
            Cells::SI8(v) => Dense::SI8(DenseMatrix::from_vec(rows, cols, v)),
            Cells::UI64(v) => Dense::UI64(DenseMatrix::from_vec(rows, cols, v)),
            Cells::UI32(v) => Dense::UI32(DenseMatrix::from_vec(rows, cols, v)),
            Cells::UI8(v) => Dense::UI8(DenseMatrix::from_vec(rows, cols, v)),
            Cells::Str(v) => Dense::Str(DenseMatrix::from_vec(rows, cols, v)),
        }
    }
}

/// A floating-point field (`strtod` syntax without hex floats; `nan`, `inf`, `-inf` included); an
/// empty field is NaN, as in DAPHNE.
fn parse_float<T: std::str::FromStr + From<f32>>(t: &str, name: &str) -> Result<T, String> {
    if t.is_empty() {
        return Ok(T::from(f32::NAN));
    }
    t.parse().map_err(|_| format!("\"{t}\" is not a valid {name} value"))
}

/// An integer field: optional sign and decimal digits, in the range of the type.
fn parse_int<T: TryFrom<i128>>(t: &str, name: &str) -> Result<T, String> {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("\"{t}\" is not a valid {name} value"));
    }
    t.parse::<i128>().ok().and_then(|v| T::try_from(v).ok()).ok_or_else(|| format!("{t} is out of the range of {name}"))
}

/// What follows a field.
#[derive(PartialEq)]
enum Sep {
    Comma,
    EndOfLine,
}

/// A cursor over the text of a CSV file.
struct CsvCursor<'a> {
    path: &'a str,
    text: &'a str,
    pos: usize,
    /// The 1-based line of `pos`.
    line: usize,
}

impl<'a> CsvCursor<'a> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// An unquoted field: up to the next `,` or line end (a `\r` before `\n` is not part of it).
    fn raw_field(&mut self) -> &'a str {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        while self.pos < bytes.len() && bytes[self.pos] != b',' && bytes[self.pos] != b'\n' {
            self.pos += 1;
        }
        let mut end = self.pos;
        if end > start && bytes[end - 1] == b'\r' && self.byte(self.pos) != Some(b',') {
            end -= 1;
        }
        &self.text[start..end]
    }

    /// A quoted string field starting at the opening quote (DAPHNE's rules: `""` is `"`, `\"` stays
    /// `\"`, line breaks inside become `\n`).
    fn quoted_field(&mut self) -> Result<String, String> {
        let bytes = self.text.as_bytes();
        let first_line = self.line;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while self.pos < bytes.len() && !matches!(bytes[self.pos], b'"' | b'\\' | b'\r' | b'\n') {
                self.pos += 1;
            }
            out.push_str(&self.text[start..self.pos]);
            match self.byte(self.pos) {
                None => {
                    return Err(format!(
                        "cannot read {}: line {first_line}: a quoted field is not closed before the end of the file",
                        self.path
                    ));
                }
                Some(b'"') if self.byte(self.pos + 1) == Some(b'"') => {
                    out.push('"');
                    self.pos += 2;
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') if self.byte(self.pos + 1) == Some(b'"') => {
                    out.push_str("\\\"");
                    self.pos += 2;
                }
                Some(b'\\') => {
                    out.push('\\');
                    self.pos += 1;
                }
                Some(b'\r') => {
                    out.push('\n');
                    self.pos += 1;
                    if self.byte(self.pos) == Some(b'\n') {
                        self.pos += 1;
                        self.line += 1;
                    }
                }
                Some(_) => {
                    out.push('\n');
                    self.pos += 1;
                    self.line += 1;
                }
            }
        }
    }

    /// Consumes what follows a field: a comma or the end of the line (or file).
    fn separator(&mut self) -> Result<Sep, String> {
        match self.byte(self.pos) {
            Some(b',') => {
                self.pos += 1;
                Ok(Sep::Comma)
            }
            Some(b'\n') => {
                self.pos += 1;
                self.line += 1;
                Ok(Sep::EndOfLine)
            }
            Some(b'\r') if self.byte(self.pos + 1) == Some(b'\n') => {
                self.pos += 2;
                self.line += 1;
                Ok(Sep::EndOfLine)
            }
            None => Ok(Sep::EndOfLine),
            Some(_) => Err(format!(
                "cannot read {}: line {}: unexpected text after the closing quote of a field",
                self.path, self.line
            )),
        }
    }
}

/// Which rows of a CSV file a text holds: rows `first .. first + count` of a file of `total` rows;
/// `to_end`: the text runs to the end of the file (so nothing but blanks may follow the rows).
#[derive(Clone, Copy)]
struct CsvRows {
    first: usize,
    count: usize,
    total: usize,
    to_end: bool,
}

/// Parses the lines of `rows` (each `cols` fields) from `text` into `cells`: one `Cells` for all
/// fields (a matrix) or one per column (a frame). Errors name the file and its line.
fn parse_csv(path: &str, text: &str, rows: CsvRows, cols: usize, cells: &mut [Cells]) -> Result<(), String> {
    let mut cur = CsvCursor { path, text, pos: 0, line: rows.first + 1 };
    if cols > 0 {
        for r in 0..rows.count {
            if cur.pos >= text.len() {
                return Err(format!(
                    "cannot read {path}: the file has {} rows, but its meta data says {}",
                    rows.first + r,
                    rows.total
                ));
            }
            let line = cur.line;
            for c in 0..cols {
                let sink = if cells.len() == 1 { &mut cells[0] } else { &mut cells[c] };
                let field_line = cur.line;
                if sink.is_str() && cur.byte(cur.pos) == Some(b'"') {
                    let s = cur.quoted_field()?;
                    if let Cells::Str(v) = sink {
                        v.push(s);
                    }
                } else {
                    let raw = cur.raw_field();
                    sink.push_raw(raw)
                        .map_err(|e| format!("cannot read {path}: line {field_line}, column {}: {e}", c + 1))?;
                }
                match (cur.separator()?, c + 1 < cols) {
                    (Sep::Comma, true) | (Sep::EndOfLine, false) => {}
                    (Sep::EndOfLine, true) => {
                        return Err(format!(
                            "cannot read {path}: line {line}: expected {cols} columns, but the row has {}",
                            c + 1
                        ));
                    }
                    (Sep::Comma, false) => {
                        return Err(format!(
                            "cannot read {path}: line {line}: expected {cols} columns, but the row has more"
                        ));
                    }
                }
            }
        }
    }
    if rows.to_end && !text[cur.pos..].trim().is_empty() {
        return Err(format!(
            "cannot read {path}: line {}: the file has more than the {} rows its meta data says",
            cur.line, rows.total
        ));
    }
    Ok(())
}

/// Whether a matrix of this value type can be read by row blocks from CSV: numeric cells, which
/// are never quoted, so every line break ends a row.
pub fn csv_rows_readable(vt: ValueType) -> bool {
    vt.storage_vt() != ValueType::Str && vt != ValueType::Bool
}

/// Rows `first .. first + count` of the numeric CSV matrix `path` of `rows` x `cols` cells of
/// `vt` (its meta data): how a worker reads its row block. It reads the file up to the end of
/// its rows (to the end of the file for the last block), counting line breaks up to its first
/// row; the cells and the errors (file, line, column) are those of reading the whole file.
pub fn read_csv_rows(
    path: &str,
    (rows, cols, vt): (usize, usize, ValueType),
    first: usize,
    count: usize,
) -> Result<Matrix, String> {
    use std::io::Read as _;
    if !csv_rows_readable(vt) {
        return Err(format!("cannot read {path}: a {} matrix is not read by row blocks", vt.dsl_name()));
    }
    if first.checked_add(count).is_none_or(|end| end > rows) {
        return Err(format!("cannot read {path}: rows {first}..{} are not rows of its {rows} rows", first + count));
    }
    if count == 0 {
        return Ok(Matrix::Dense(
            Cells::new(vt, 0).map_err(|e| format!("cannot read {path}: {e}"))?.into_dense(0, cols),
        ));
    }
    let io_err = |e: std::io::Error| format!("cannot read {path}: {e}");
    let mut file = fs::File::open(path).map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    let to_end = first + count == rows;
    // Read the file block by block: skip `first` line breaks, then keep the bytes up to `count`
    // more (or all that follows, for the last block).
    let mut buf = vec![0u8; 1 << 20];
    let mut kept: Vec<u8> = Vec::new();
    if rows > 0 {
        kept.reserve(usize::try_from(size / rows as u64).unwrap_or(0).saturating_mul(count).saturating_add(64));
    }
    let (mut skipped, mut taken, mut offset, mut block_start) = (0usize, 0usize, 0u64, 0u64);
    'read: loop {
        let n = file.read(&mut buf).map_err(io_err)?;
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        while skipped < first {
            let Some(i) = memchr::memchr(b'\n', chunk) else {
                offset += n as u64;
                continue 'read;
            };
            skipped += 1;
            chunk = &chunk[i + 1..];
            block_start = offset + (n - chunk.len()) as u64;
        }
        offset += n as u64;
        if to_end {
            kept.extend_from_slice(chunk);
            continue;
        }
        for i in memchr::memchr_iter(b'\n', chunk) {
            taken += 1;
            if taken == count {
                kept.extend_from_slice(&chunk[..=i]);
                break 'read;
            }
        }
        kept.extend_from_slice(chunk);
    }
    if skipped < first {
        return Err(format!(
            "cannot read {path}: the file ends before row {} (its meta data says {rows} rows)",
            first + 1
        ));
    }
    let text = String::from_utf8(kept).map_err(|e| {
        format!(
            "cannot read {path}: the file is not valid UTF-8 (byte {})",
            block_start + e.utf8_error().valid_up_to() as u64
        )
    })?;
    let mut cells = [Cells::new(vt, count.saturating_mul(cols).min(text.len() + 1))
        .map_err(|e| format!("cannot read {path}: {e}"))?];
    parse_csv(path, &text, CsvRows { first, count, total: rows, to_end }, cols, &mut cells)?;
    let [cells] = cells;
    Ok(Matrix::Dense(cells.into_dense(count, cols)))
}

// ------------------------------------------------------------------------------------------------
// Matrix Market
// ------------------------------------------------------------------------------------------------

/// The values of a Matrix Market file, in file order.
enum MmValues {
    Real(Vec<f64>),
    Integer(Vec<i64>),
    Pattern,
}

/// The entries of a Matrix Market file (symmetric counterparts included), in file order.
struct MmData {
    rows: usize,
    cols: usize,
    positions: Vec<(usize, usize)>,
    values: MmValues,
}

#[derive(Clone, Copy, PartialEq)]
enum MmSymmetry {
    General,
    Symmetric,
    Skew,
}

/// Data lines of a Matrix Market file: neither comments (`%`) nor blank, with 1-based numbers.
fn mm_data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .skip(1)
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('%'))
}

fn mm_size(tok: &str, line: usize) -> Result<usize, String> {
    tok.parse().map_err(|_| format!("line {line}: \"{tok}\" is not a valid size"))
}

/// Parses a Matrix Market file (`matrix`, `coordinate` or `array`, `real`, `integer` or `pattern`,
/// `general`, `symmetric` or `skew-symmetric`).
fn parse_mtx(text: &str) -> Result<MmData, String> {
    let banner = text.lines().next().unwrap_or("");
    let toks: Vec<String> = banner.split_whitespace().map(str::to_lowercase).collect();
    if toks.len() != 5 || !banner.starts_with("%%MatrixMarket") {
        return Err("line 1: expected a header like `%%MatrixMarket matrix coordinate real general`".into());
    }
    if toks[1] != "matrix" {
        return Err(format!("line 1: unsupported Matrix Market object `{}` (only `matrix`)", toks[1]));
    }
    let coordinate = match toks[2].as_str() {
        "coordinate" => true,
        "array" => false,
        other => return Err(format!("line 1: unknown Matrix Market format `{other}` (expected coordinate or array)")),
    };
    let field = toks[3].as_str();
    match field {
        "real" | "integer" | "pattern" => {}
        "complex" => return Err("line 1: complex Matrix Market files are not supported".into()),
        other => return Err(format!("line 1: unknown Matrix Market field `{other}`")),
    }
    let symmetry = match toks[4].as_str() {
        "general" => MmSymmetry::General,
        "symmetric" => MmSymmetry::Symmetric,
        "skew-symmetric" => MmSymmetry::Skew,
        "hermitian" => return Err("line 1: hermitian Matrix Market files are not supported".into()),
        other => return Err(format!("line 1: unknown Matrix Market symmetry `{other}`")),
    };
    if field == "pattern" && (!coordinate || symmetry == MmSymmetry::Skew) {
        return Err(format!("line 1: `pattern` cannot be combined with `{}` and `{}`", toks[2], toks[4]));
    }

    let mut lines = mm_data_lines(text);
    let (size_line, size) = lines.next().ok_or("the size line is missing")?;
    let size: Vec<&str> = size.split_whitespace().collect();
    if size.len() != if coordinate { 3 } else { 2 } {
        let want = if coordinate { "rows, columns and entries" } else { "rows and columns" };
        return Err(format!("line {size_line}: expected the numbers of {want}"));
    }
    let rows = mm_size(size[0], size_line)?;
    let cols = mm_size(size[1], size_line)?;
    if symmetry != MmSymmetry::General && rows != cols {
        return Err(format!("line {size_line}: a {} matrix must be square, not {rows}x{cols}", toks[4]));
    }

    let mut positions = Vec::new();
    let mut reals = Vec::new();
    let mut ints = Vec::new();
    let mut push = |r: usize, c: usize, tok: Option<&str>, line: usize| -> Result<(), String> {
        let mirror = r != c && symmetry != MmSymmetry::General;
        positions.push((r, c));
        if mirror {
            positions.push((c, r));
        }
        let Some(tok) = tok else { return Ok(()) };
        let neg = symmetry == MmSymmetry::Skew;
        if field == "integer" {
            let v: i64 = tok.parse().map_err(|_| format!("line {line}: \"{tok}\" is not a valid integer"))?;
            ints.push(v);
            if mirror {
                ints.push(if neg { v.wrapping_neg() } else { v });
            }
        } else {
            let v: f64 = tok.parse().map_err(|_| format!("line {line}: \"{tok}\" is not a valid real number"))?;
            reals.push(v);
            if mirror {
                reals.push(if neg { -v } else { v });
            }
        }
        Ok(())
    };

    if coordinate {
        let entries = mm_size(size[2], size_line)?;
        let want = if field == "pattern" { 2 } else { 3 };
        let mut count = 0;
        for (line, l) in lines.by_ref() {
            if count == entries {
                return Err(format!("line {line}: more entries than the {entries} the size line announces"));
            }
            let toks: Vec<&str> = l.split_whitespace().collect();
            if toks.len() != want {
                let what = if want == 2 { "`row column`" } else { "`row column value`" };
                return Err(format!("line {line}: expected {what}"));
            }
            let r = mm_size(toks[0], line)?;
            let c = mm_size(toks[1], line)?;
            if r == 0 || c == 0 || r > rows || c > cols {
                return Err(format!("line {line}: position ({r}, {c}) is outside the {rows}x{cols} matrix"));
            }
            push(r - 1, c - 1, toks.get(2).copied(), line)?;
            count += 1;
        }
        if count < entries {
            return Err(format!("the size line announces {entries} entries, but the file has {count}"));
        }
    } else {
        // Column-major; symmetric matrices store the lower triangle, skew-symmetric ones the part
        // below the diagonal.
        let first_row = |c: usize| match symmetry {
            MmSymmetry::General => 0,
            MmSymmetry::Symmetric => c,
            MmSymmetry::Skew => c + 1,
        };
        let mut cells = (0..cols).flat_map(|c| (first_row(c)..rows).map(move |r| (r, c)));
        let expected = cells.clone().count();
        for (line, l) in lines {
            for tok in l.split_whitespace() {
                let Some((r, c)) = cells.next() else {
                    return Err(format!("line {line}: more values than the {expected} the matrix has"));
                };
                push(r, c, Some(tok), line)?;
            }
        }
        let missing = cells.count();
        if missing > 0 {
            return Err(format!("the matrix has {expected} values, but the file only {}", expected - missing));
        }
    }
    let values = match field {
        "pattern" => MmValues::Pattern,
        "integer" => MmValues::Integer(ints),
        _ => MmValues::Real(reals),
    };
    Ok(MmData { rows, cols, positions, values })
}

fn mm_value<T: CsrElem>(values: &MmValues, i: usize) -> T {
    match values {
        MmValues::Real(v) => convert_num::<f64, T>(v[i]),
        MmValues::Integer(v) => convert_num::<i64, T>(v[i]),
        MmValues::Pattern => T::one(),
    }
}

fn mm_build<T: CsrElem>(mm: &MmData, sparse: bool) -> Result<Matrix, String> {
    if !sparse {
        let n = mm.rows.checked_mul(mm.cols).ok_or("the matrix is too large")?;
        let mut cells = vec![T::zero(); n];
        for (i, &(r, c)) in mm.positions.iter().enumerate() {
            cells[r * mm.cols + c] = mm_value(&mm.values, i);
        }
        return Ok(Matrix::Dense(T::wrap(DenseMatrix::from_vec(mm.rows, mm.cols, cells))));
    }
    // Row-major order; of repeated positions the last one counts (as in the dense case).
    let mut order: Vec<usize> = (0..mm.positions.len()).collect();
    order.sort_by_key(|&i| mm.positions[i]);
    let mut row_ptr = vec![0; mm.rows + 1];
    let mut col_idx = Vec::with_capacity(order.len());
    let mut values: Vec<T> = Vec::with_capacity(order.len());
    let mut rows_of = Vec::with_capacity(order.len());
    for (k, &i) in order.iter().enumerate() {
        let (r, c) = mm.positions[i];
        if order.get(k + 1).is_some_and(|&j| mm.positions[j] == (r, c)) {
            continue;
        }
        let v = mm_value::<T>(&mm.values, i);
        if v.is_zero() {
            continue;
        }
        rows_of.push(r);
        col_idx.push(c);
        values.push(v);
    }
    for r in rows_of {
        row_ptr[r + 1] += 1;
    }
    for r in 0..mm.rows {
        row_ptr[r + 1] += row_ptr[r];
    }
    Ok(Matrix::Csr(T::wrap_csr(CsrMatrix::new(mm.rows, mm.cols, row_ptr, col_idx, values))))
}

/// Reads a Matrix Market file, as a dense matrix (what DAPHNE's `readMatrix` yields) or, with
/// `sparse`, as a CSR matrix (DAPHNE's `ReadMM<CSRMatrix>`). The value type comes from
/// `<file>.meta` if there is one (DAPHNE requires it); otherwise `integer` files give `si64`
/// matrices and `real` and `pattern` files `f64` matrices.
pub fn read_mtx(path: &str, sparse: bool) -> Result<Matrix, String> {
    let text = read_text(path)?;
    let meta = if Path::new(&meta_path(path)).exists() { Some(read_meta(path)?) } else { None };
    let mm = parse_mtx(&text).map_err(|e| format!("cannot read {path}: {e}"))?;
    let vt = match &meta {
        Some(m) => {
            if (m.num_rows, m.num_cols) != (mm.rows, mm.cols) {
                return Err(format!(
                    "cannot read {path}: the file holds a {}x{} matrix, but its meta data says {}x{}",
                    mm.rows, mm.cols, m.num_rows, m.num_cols
                ));
            }
            m.matrix_value_type()
        }
        None if matches!(mm.values, MmValues::Integer(_)) => ValueType::SI64,
        None => ValueType::F64,
    };
    match vt.storage_vt() {
        ValueType::F64 => mm_build::<f64>(&mm, sparse),
        ValueType::F32 => mm_build::<f32>(&mm, sparse),
        ValueType::SI64 => mm_build::<i64>(&mm, sparse),
        ValueType::SI32 => mm_build::<i32>(&mm, sparse),
        ValueType::SI8 => mm_build::<i8>(&mm, sparse),
        ValueType::UI64 => mm_build::<u64>(&mm, sparse),
        ValueType::UI32 => mm_build::<u32>(&mm, sparse),
        ValueType::UI8 => mm_build::<u8>(&mm, sparse),
        other => Err(format!("reading {}-valued Matrix Market files is not supported", other.dsl_name())),
    }
    .map_err(|e| format!("cannot read {path}: {e}"))
}

// ------------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------------

/// Appends a cell as DAPHNE's `WriteCsv` prints it: `%f` for floating-point values, decimal
/// integers, strings quoted if needed.
fn push_cell<T: Elem>(v: &T, out: &mut String) {
    let s = v.to_cpp_string();
    if T::VT == ValueType::Str && s.contains([',', '\n', '\r', '"']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&s);
    }
}

/// Writes CSV text row by row, `row(r, line)` appending row `r` (without the line break).
fn write_csv_rows(path: &str, rows: usize, cols: usize, mut row: impl FnMut(usize, &mut String)) -> Result<(), String> {
    let err = |e: std::io::Error| format!("cannot write {path}: {e}");
    let file = fs::File::create(path).map_err(err)?;
    let mut w = std::io::BufWriter::new(file);
    let mut line = String::new();
    if cols > 0 {
        for r in 0..rows {
            line.clear();
            row(r, &mut line);
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(err)?;
        }
    }
    w.flush().map_err(err)
}

/// Writes a matrix as `.csv` plus `<file>.meta` (CSR matrices are written densely, as DAPHNE does).
pub fn write_matrix(m: &Matrix, path: &str) -> Result<(), String> {
    match extension(path) {
        "csv" => {}
        "dbin" => return crate::kernels::dbin::write_matrix(m, path),
        "parquet" => return crate::kernels::parquet::write_matrix(m, path),
        _ => return Err(unsupported_extension("write a matrix to", path, ".csv, .dbin, .parquet")),
    }
    let d = m.dense();
    let meta = FileMeta::matrix(d.rows(), d.cols(), d.vt());
    let json = meta_to_json(&meta).map_err(|e| format!("cannot write {path}: {e}"))?;
    with_dense!(&*d, x => write_csv_rows(path, x.rows(), x.cols(), |r, line| {
        for (c, v) in x.row(r).iter().enumerate() {
            if c > 0 {
                line.push(',');
            }
            push_cell(v, line);
        }
    }))?;
    let mp = meta_path(path);
    fs::write(&mp, json).map_err(|e| format!("cannot write {mp}: {e}"))
}

/// Writes a frame as `.csv` plus `<file>.meta` with its schema and labels.
pub fn write_frame(f: &Frame, path: &str) -> Result<(), String> {
    match extension(path) {
        "csv" => {}
        "parquet" => return crate::kernels::parquet::write_frame(f, path),
        _ => return Err(unsupported_extension("write a frame to", path, ".csv, .parquet")),
    }
    let columns =
        f.labels().iter().zip(f.columns()).map(|(l, c)| ColumnMeta { label: l.clone(), value_type: c.vt() }).collect();
    let meta = FileMeta::frame(f.rows(), columns);
    let json = meta_to_json(&meta).map_err(|e| format!("cannot write {path}: {e}"))?;
    write_csv_rows(path, f.rows(), f.cols(), |r, line| {
        for (c, col) in f.columns().iter().enumerate() {
            if c > 0 {
                line.push(',');
            }
            with_dense!(col, x => push_cell(x.get(r, 0), line));
        }
    })?;
    let mp = meta_path(path);
    fs::write(&mp, json).map_err(|e| format!("cannot write {mp}: {e}"))
}

// ------------------------------------------------------------------------------------------
// Op adapters: operands to kernel arguments, kernel results to values (called by the op dispatch)
// ------------------------------------------------------------------------------------------

/// `daphne.read`: a frame or a matrix, as the result type says.
pub fn run_read(a: &OpArgs<'_>) -> Out {
    let path = a.string(0, "the file name")?;
    one(match a.static_type(0) {
        Type::Frame(_) => Data::Frame(read_frame(&path)?),
        t => {
            let m = read_matrix(&path)?;
            crate::kernels::row_reads::check_compiled_type(&path, &m, t)?;
            Data::Matrix(m)
        }
    })
}

/// `daphne.write`.
pub fn run_write(a: &OpArgs<'_>) -> Out {
    let path = a.string(1, "the file name")?;
    match a.get(0) {
        Data::Matrix(m) => write_matrix(m, &path)?,
        Data::Frame(f) => write_frame(f, &path)?,
        other => return Err(format!("cannot write a {} to a file", other.kind())),
    }
    Ok(vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scalar;
    use std::path::PathBuf;

    /// A fresh directory under the system temp directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("daphne-io-test-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn path(&self, file: &str) -> String {
            self.0.join(file).to_str().unwrap().to_string()
        }

        /// Writes `file` (and `file.meta` if `meta` is given), returning the path of `file`.
        fn file(&self, file: &str, content: &str, meta: Option<&str>) -> String {
            let p = self.path(file);
            fs::write(&p, content).unwrap();
            if let Some(m) = meta {
                fs::write(meta_path(&p), m).unwrap();
            }
            p
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn dense(m: Matrix) -> Dense {
        match m {
            Matrix::Dense(d) => d,
            Matrix::Csr(_) => panic!("expected a dense matrix"),
        }
    }

    fn f64s(m: &Dense) -> Vec<f64> {
        match m {
            Dense::F64(x) => x.to_vec(),
            other => panic!("expected f64, got {:?}", other.vt()),
        }
    }

    #[test]
    fn meta_json_is_written_like_daphne() {
        let m = FileMeta::matrix(2, 4, ValueType::F64);
        assert_eq!(meta_to_json(&m).unwrap(), r#"{"numCols":4,"numRows":2,"valueType":"f64"}"#);
        let idx = FileMeta { num_non_zeros: Some(3), ..FileMeta::matrix(1, 1, ValueType::Index) };
        assert_eq!(meta_to_json(&idx).unwrap(), r#"{"numCols":1,"numNonZeros":3,"numRows":1,"valueType":"ui64"}"#);
        let f = FileMeta::frame(
            3,
            vec![
                ColumnMeta { label: "a".into(), value_type: ValueType::SI64 },
                ColumnMeta { label: "q\"\\\n\u{1}é".into(), value_type: ValueType::Str },
            ],
        );
        assert_eq!(
            meta_to_json(&f).unwrap(),
            r#"{"numCols":2,"numRows":3,"schema":[{"label":"a","valueType":"si64"},{"label":"q\"\\\n\u0001é","valueType":"str"}]}"#
        );
        assert_eq!(parse_meta(&meta_to_json(&f).unwrap()).unwrap(), f);
        let h = FileMeta { hdfs_filename: Some("/x.csv".into()), ..FileMeta::matrix(1, 2, ValueType::SI8) };
        let json = meta_to_json(&h).unwrap();
        assert_eq!(
            json,
            r#"{"hdfs":{"HDFSFilename":"/x.csv","isHDFS":true},"numCols":2,"numRows":1,"valueType":"si8"}"#
        );
        assert_eq!(parse_meta(&json).unwrap(), h);
        assert!(meta_to_json(&FileMeta::matrix(1, 1, ValueType::Bool)).unwrap_err().contains("bool"));
    }

    #[test]
    fn meta_variants_from_daphne_docs() {
        let m = parse_meta(r#"{ "numRows": 2, "numCols": 4, "valueType": "f64", "numNonZeros": 0 }"#).unwrap();
        assert_eq!(m, FileMeta { num_non_zeros: Some(0), ..FileMeta::matrix(2, 4, ValueType::F64) });
        assert_eq!(m.labels(), vec!["col_0", "col_1", "col_2", "col_3"]);
        let m = parse_meta(r#"{"numRows": 1, "numCols": 1, "valueType": "si64", "numNonZeros": -1}"#).unwrap();
        assert_eq!(m.num_non_zeros, None);
        // Default value type for columns with an empty one.
        let m = parse_meta(
            r#"{"numRows": 5, "numCols": 3, "valueType": "f32",
                "schema": [{"label": "a", "valueType": ""}, {"label": "bc", "valueType": "si8"}, {"label": "def"}]}"#,
        )
        .unwrap();
        assert_eq!(m.column_types(), vec![ValueType::F32, ValueType::SI8, ValueType::F32]);
        assert_eq!(m.labels(), vec!["a", "bc", "def"]);
        assert_eq!(m.matrix_value_type(), ValueType::F32);
        // Empty labels get default ones.
        let m = parse_meta(
            r#"{"numRows": 5, "numCols": 2, "schema": [{"label": "", "valueType": "si64"}, {"label": "", "valueType": "ui32"}]}"#,
        )
        .unwrap();
        assert_eq!(m.labels(), vec!["col_0", "col_1"]);
    }

    #[test]
    fn meta_errors() {
        let cases = [
            (r#"{"numCols": 1, "valueType": "f64"}"#, "\"numRows\" and \"numCols\""),
            (r#"{"numRows": -1, "numCols": 1, "valueType": "f64"}"#, "non-negative"),
            (r#"{"numRows": 1, "numCols": 1}"#, "\"valueType\" (for a matrix) or \"schema\""),
            (r#"{"numRows": 1, "numCols": 1, "valueType": "bool"}"#, "unknown value type \"bool\""),
            (r#"{"numRows": 1, "numCols": 1, "valueType": ""}"#, "must not be empty"),
            (r#"{"numRows": 1, "numCols": 1, "schema": [{"label": "a"}]}"#, "no value type"),
            (r#"{"numRows": 1, "numCols": 2, "schema": [{"label": "a", "valueType": "f64"}]}"#, "describes 1 columns"),
            (r#"{"numRows": 1, "numCols": 1, "valueType": "f64", "numNonZeros": "x"}"#, "numNonZeros"),
            ("{\"numRows\": 1,", "malformed JSON"),
            ("[1]", "JSON object"),
        ];
        for (json, want) in cases {
            let e = parse_meta(json).unwrap_err();
            assert!(e.contains(want), "{json}: {e}");
        }
    }

    #[test]
    fn f64_matrix_round_trip_and_format() {
        let t = TempDir::new("f64");
        let p = t.path("m.csv");
        let vals =
            vec![1.1, -22.2, 3.3, -44.4, 1e-7, -66.6, 0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e20];
        let m = Matrix::Dense(Dense::F64(DenseMatrix::from_vec(2, 6, vals.clone())));
        write_matrix(&m, &p).unwrap();
        // DAPHNE's WriteCsv uses printf's %f: six decimals (unlike print's six significant digits).
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            "1.100000,-22.200000,3.300000,-44.400000,0.000000,-66.600000\n\
             0.000000,nan,inf,-inf,-0.000000,100000000000000000000.000000\n"
        );
        assert_eq!(fs::read_to_string(meta_path(&p)).unwrap(), r#"{"numCols":6,"numRows":2,"valueType":"f64"}"#);
        let back = f64s(&dense(read_matrix(&p).unwrap()));
        let mut want = vals;
        want[4] = 0.0; // %f keeps six decimals only
        assert_eq!(back.len(), want.len());
        for (b, w) in back.iter().zip(&want) {
            assert!(b == w || (b.is_nan() && w.is_nan()), "{b} vs {w}");
        }
        assert!(back[10].is_sign_negative());
    }

    #[test]
    fn reads_daphne_style_f64_csv() {
        let t = TempDir::new("f64-read");
        let meta = r#"{"numRows": 3, "numCols": 5, "valueType": "f64"}"#;
        let p = t.file("m.csv", "1.1,-22.2,3.3,-44.4,5.5\n-66.6,0.0,nan,inf,-inf\n 1e3 ,,+2,.5,-NaN", Some(meta));
        let v = f64s(&dense(read_matrix(&p).unwrap()));
        assert_eq!(v[..7], [1.1, -22.2, 3.3, -44.4, 5.5, -66.6, 0.0]);
        assert!(v[7].is_nan());
        assert_eq!(v[8..10], [f64::INFINITY, f64::NEG_INFINITY]);
        assert_eq!(v[10], 1000.0);
        assert!(v[11].is_nan(), "an empty field is NaN");
        assert_eq!(v[12..14], [2.0, 0.5]);
        assert!(v[14].is_nan());
    }

    #[test]
    fn f32_and_crlf() {
        let t = TempDir::new("f32");
        let meta = r#"{"numRows": 2, "numCols": 2, "valueType": "f32"}"#;
        let p = t.file("m.csv", "0.5,1.25\r\n-3,1e2\r\n", Some(meta));
        assert_eq!(
            dense(read_matrix(&p).unwrap()),
            Dense::F32(DenseMatrix::from_vec(2, 2, vec![0.5, 1.25, -3.0, 100.0]))
        );
        let out = t.path("o.csv");
        write_matrix(&read_matrix(&p).unwrap(), &out).unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), "0.500000,1.250000\n-3.000000,100.000000\n");
        assert_eq!(fs::read_to_string(meta_path(&out)).unwrap(), r#"{"numCols":2,"numRows":2,"valueType":"f32"}"#);
    }

    #[test]
    fn si64_matrix_round_trip() {
        let t = TempDir::new("si64");
        let p = t.path("m.csv");
        let m = Dense::SI64(DenseMatrix::from_vec(2, 4, vec![1, -22, 3, i64::MIN, 5, -66, 0, i64::MAX]));
        write_matrix(&Matrix::Dense(m.clone()), &p).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "1,-22,3,-9223372036854775808\n5,-66,0,9223372036854775807\n");
        assert_eq!(fs::read_to_string(meta_path(&p)).unwrap(), r#"{"numCols":4,"numRows":2,"valueType":"si64"}"#);
        assert_eq!(dense(read_matrix(&p).unwrap()), m);
        // A view is written with its own cells only.
        let view = m.slice_cols(1, 3);
        write_matrix(&Matrix::Dense(view.clone()), &p).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "-22,3\n-66,0\n");
        assert_eq!(dense(read_matrix(&p).unwrap()), view);
    }

    #[test]
    fn ui8_matrix_round_trip_and_range() {
        let t = TempDir::new("ui8");
        let p = t.path("m.csv");
        let m = Dense::UI8(DenseMatrix::from_vec(1, 3, vec![0, 7, 255]));
        write_matrix(&Matrix::Dense(m.clone()), &p).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "0,7,255\n");
        assert_eq!(fs::read_to_string(meta_path(&p)).unwrap(), r#"{"numCols":3,"numRows":1,"valueType":"ui8"}"#);
        assert_eq!(dense(read_matrix(&p).unwrap()), m);
        let meta = r#"{"numRows": 1, "numCols": 2, "valueType": "ui8"}"#;
        let bad = t.file("b.csv", "1,256\n", Some(meta));
        let e = read_matrix(&bad).unwrap_err();
        assert!(e.contains("b.csv: line 1, column 2: 256 is out of the range of ui8"), "{e}");
        let neg = t.file("n.csv", "-1,+2\n", Some(meta));
        assert!(read_matrix(&neg).unwrap_err().contains("-1 is out of the range of ui8"));
    }

    #[test]
    fn other_integer_types() {
        let t = TempDir::new("ints");
        for (vt, m) in [
            ("si8", Dense::SI8(DenseMatrix::from_vec(1, 2, vec![-128, 127]))),
            ("si32", Dense::SI32(DenseMatrix::from_vec(1, 2, vec![i32::MIN, 5]))),
            ("ui32", Dense::UI32(DenseMatrix::from_vec(1, 2, vec![u32::MAX, 0]))),
            ("ui64", Dense::UI64(DenseMatrix::from_vec(1, 2, vec![u64::MAX, 1]))),
        ] {
            let p = t.path(&format!("{vt}.csv"));
            write_matrix(&Matrix::Dense(m.clone()), &p).unwrap();
            assert!(fs::read_to_string(meta_path(&p)).unwrap().contains(&format!("\"valueType\":\"{vt}\"")));
            assert_eq!(dense(read_matrix(&p).unwrap()), m, "{vt}");
        }
        assert_eq!(fs::read_to_string(t.path("ui64.csv")).unwrap(), "18446744073709551615,1\n");
    }

    #[test]
    fn str_matrix_quoting() {
        let t = TempDir::new("str");
        let p = t.path("m.csv");
        let cells: Vec<String> = ["abc", "", "d\"e", "fg\nhi", "jkl", "mn,op", " sp ", "\"q\"", "x\\y"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = Dense::Str(DenseMatrix::from_vec(3, 3, cells));
        write_matrix(&Matrix::Dense(m.clone()), &p).unwrap();
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            "abc,,\"d\"\"e\"\n\"fg\nhi\",jkl,\"mn,op\"\n sp ,\"\"\"q\"\"\",x\\y\n"
        );
        assert_eq!(fs::read_to_string(meta_path(&p)).unwrap(), r#"{"numCols":3,"numRows":3,"valueType":"str"}"#);
        assert_eq!(dense(read_matrix(&p).unwrap()), m);
    }

    #[test]
    fn str_reading_rules() {
        let t = TempDir::new("str-read");
        let meta = r#"{"numRows": 2, "numCols": 3, "valueType": "str"}"#;
        // DAPHNE's reference file for string matrices, plus CRLF inside quotes and `\"`.
        let p = t.file("m.csv", "abc,,\"d\"\"e\"\n\"fg\r\nhi\",\"a\\\"b\",mn\"op\r\n", Some(meta));
        let want: Vec<String> =
            ["abc", "", "d\"e", "fg\nhi", "a\\\"b", "mn\"op"].iter().map(|s| s.to_string()).collect();
        assert_eq!(dense(read_matrix(&p).unwrap()), Dense::Str(DenseMatrix::from_vec(2, 3, want)));
        let bad = t.file("q.csv", "a,\"b\"x,c\nd,e,f\n", Some(meta));
        assert!(read_matrix(&bad).unwrap_err().contains("q.csv: line 1: unexpected text after the closing quote"));
        let open = t.file("o.csv", "a,b,c\nd,\"e,f\n", Some(meta));
        assert!(read_matrix(&open).unwrap_err().contains("o.csv: line 2: a quoted field is not closed"));
    }

    #[test]
    fn frame_with_mixed_columns_round_trip() {
        let t = TempDir::new("frame");
        let p = t.path("f.csv");
        let f = Frame::new(
            vec![
                Dense::SI64(DenseMatrix::from_vec(3, 1, vec![0, -22, 3])),
                Dense::F64(DenseMatrix::from_vec(3, 1, vec![0.0, 1.1, f64::NEG_INFINITY])),
                Dense::Str(DenseMatrix::from_vec(3, 1, vec!["abc".into(), "".into(), "fg\nh,i".into()])),
                Dense::UI8(DenseMatrix::from_vec(3, 1, vec![1, 2, 255])),
                Dense::F32(DenseMatrix::from_vec(3, 1, vec![0.5, -1.5, 2.0])),
                Dense::SI32(DenseMatrix::from_vec(3, 1, vec![-7, 8, 9])),
            ],
            ["c_si64", "c_f64", "c_str", "c_ui8", "c_f32", "c_si32"].iter().map(|s| s.to_string()).collect(),
        )
        .unwrap();
        write_frame(&f, &p).unwrap();
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            "0,0.000000,abc,1,0.500000,-7\n-22,1.100000,,2,-1.500000,8\n3,-inf,\"fg\nh,i\",255,2.000000,9\n"
        );
        assert_eq!(
            fs::read_to_string(meta_path(&p)).unwrap(),
            r#"{"numCols":6,"numRows":3,"schema":[{"label":"c_si64","valueType":"si64"},{"label":"c_f64","valueType":"f64"},{"label":"c_str","valueType":"str"},{"label":"c_ui8","valueType":"ui8"},{"label":"c_f32","valueType":"f32"},{"label":"c_si32","valueType":"si32"}]}"#
        );
        assert_eq!(read_frame(&p).unwrap(), f);
    }

    #[test]
    fn frame_reading_variants() {
        let t = TempDir::new("frame-read");
        // DAPHNE's reference frame with a multi-line string.
        let meta = r#"{"numRows": 5, "numCols": 3, "schema": [{"label": "c_si64", "valueType": "si64"},
            {"label": "c_f64", "valueType": "f64"}, {"label": "c_str", "valueType": "str"}]}"#;
        let p = t.file(
            "f.csv",
            "0,0.0,abc\n1,1.1,\n-22,-22.2,\"d\"\"e\"\n3,inf,\"fg\nhi\"\n-44,-inf,\"mn,op\"\n",
            Some(meta),
        );
        let f = read_frame(&p).unwrap();
        assert_eq!(f.labels(), ["c_si64", "c_f64", "c_str"]);
        assert_eq!(f.column(0), &Dense::SI64(DenseMatrix::from_vec(5, 1, vec![0, 1, -22, 3, -44])));
        assert_eq!(f.get(4, 1), Scalar::F64(f64::NEG_INFINITY));
        let strs: Vec<String> = ["abc", "", "d\"e", "fg\nhi", "mn,op"].iter().map(|s| s.to_string()).collect();
        assert_eq!(f.column(2), &Dense::Str(DenseMatrix::from_vec(5, 1, strs)));
        // One value type for all columns: default labels.
        let p = t.file("g.csv", "1,2\n3,4\n", Some(r#"{"numRows": 2, "numCols": 2, "valueType": "ui32"}"#));
        let g = read_frame(&p).unwrap();
        assert_eq!(g.labels(), ["col_0", "col_1"]);
        assert_eq!(g.column(1), &Dense::UI32(DenseMatrix::from_vec(2, 1, vec![2, 4])));
        // Reading a frame file as a matrix uses the first column's value type.
        let m = dense(read_matrix(&p).unwrap());
        assert_eq!(m, Dense::UI32(DenseMatrix::from_vec(2, 2, vec![1, 2, 3, 4])));
        let dup = t.file(
            "d.csv",
            "1,2\n",
            Some(r#"{"numRows": 1, "numCols": 2, "schema": [{"label": "a", "valueType": "si64"}, {"label": "a", "valueType": "si64"}]}"#),
        );
        assert!(read_frame(&dup).unwrap_err().contains("used more than once"));
    }

    #[test]
    fn mtx_coordinate() {
        let t = TempDir::new("mtx");
        let text =
            "%%MatrixMarket matrix coordinate real general\n% a comment\n\n3 4 4\n1 1 1.5\n2 3 -2e1\n3 4 7\n2 3 5\n";
        let p = t.file("m.mtx", text, None);
        let want = vec![1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 7.0];
        assert_eq!(f64s(&dense(read_matrix(&p).unwrap())), want, "the last of repeated entries counts");
        let Matrix::Csr(crate::Csr::F64(s)) = read_mtx(&p, true).unwrap() else { panic!("expected an f64 CSR matrix") };
        assert_eq!(s.nnz(), 3);
        assert_eq!(s.to_dense().to_vec(), want);
        assert_eq!(s.row(1), (&[2usize][..], &[5.0][..]));
        // With a .meta file, its value type counts.
        let p = t.file("i.mtx", text, Some(r#"{"numRows": 3, "numCols": 4, "valueType": "si64"}"#));
        assert_eq!(
            dense(read_matrix(&p).unwrap()),
            Dense::SI64(DenseMatrix::from_vec(3, 4, want.iter().map(|v| *v as i64).collect()))
        );
        let p = t.file("w.mtx", text, Some(r#"{"numRows": 4, "numCols": 4, "valueType": "f64"}"#));
        assert!(read_matrix(&p).unwrap_err().contains("meta data says 4x4"));
    }

    #[test]
    fn mtx_symmetry_fields_and_array() {
        let t = TempDir::new("mtx-sym");
        let p =
            t.file("s.mtx", "%%MatrixMarket matrix coordinate integer symmetric\n3 3 3\n1 1 4\n3 1 -2\n2 2 1\n", None);
        assert_eq!(
            dense(read_matrix(&p).unwrap()),
            Dense::SI64(DenseMatrix::from_vec(3, 3, vec![4, 0, -2, 0, 1, 0, -2, 0, 0]))
        );
        let p = t.file("k.mtx", "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 3.5\n", None);
        assert_eq!(f64s(&dense(read_matrix(&p).unwrap())), vec![0.0, -3.5, 3.5, 0.0]);
        let p = t.file("p.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 3 2\n1 3\n2 1\n", None);
        assert_eq!(f64s(&dense(read_matrix(&p).unwrap())), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        // Arrays are column-major; symmetric ones hold the lower triangle.
        let p = t.file("a.mtx", "%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n", None);
        assert_eq!(f64s(&dense(read_matrix(&p).unwrap())), vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0]);
        let p = t.file("b.mtx", "%%MATRIXMARKET Matrix Array Real Symmetric\n2 2\n1\n2\n3\n", None);
        assert!(read_matrix(&p).is_err(), "the banner word itself is case-sensitive");
        let p = t.file("b.mtx", "%%MatrixMarket Matrix Array Real Symmetric\r\n2 2\r\n1\r\n2\r\n3\r\n", None);
        assert_eq!(f64s(&dense(read_matrix(&p).unwrap())), vec![1.0, 2.0, 2.0, 3.0]);
        let p = t.file("c.mtx", "%%MatrixMarket matrix array integer skew-symmetric\n3 3\n1\n2\n3\n", None);
        assert_eq!(
            dense(read_matrix(&p).unwrap()),
            Dense::SI64(DenseMatrix::from_vec(3, 3, vec![0, -1, -2, 1, 0, -3, 2, 3, 0]))
        );
    }

    #[test]
    fn mtx_errors() {
        let t = TempDir::new("mtx-err");
        let cases = [
            ("matrix coordinate real general\n1 1 1\n1 1 1\n", "line 1: expected a header"),
            ("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", "complex"),
            ("%%MatrixMarket matrix array pattern general\n1 1\n", "`pattern` cannot"),
            ("%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n", "must be square"),
            ("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1.0\n", "line 3: position (3, 1) is outside"),
            (
                "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1.0\n",
                "announces 2 entries, but the file has 1",
            ),
            ("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1.0\n2 2 1\n", "line 4: more entries"),
            ("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 x\n", "line 3: \"x\" is not a valid real"),
            ("%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n", "not a valid integer"),
            ("%%MatrixMarket matrix array real general\n2 1\n1\n", "has 2 values, but the file only 1"),
            ("%%MatrixMarket matrix array real general\n1 1\n1\n2\n", "line 4: more values"),
            ("%%MatrixMarket matrix coordinate real general\n", "size line is missing"),
        ];
        for (i, (text, want)) in cases.iter().enumerate() {
            let p = t.file(&format!("e{i}.mtx"), text, None);
            let e = read_matrix(&p).unwrap_err();
            assert!(e.starts_with(&format!("cannot read {p}: ")) && e.contains(want), "{text:?}: {e}");
        }
        let p = t.file(
            "s.mtx",
            "%%MatrixMarket matrix coordinate real general\n1 1 0\n",
            Some(r#"{"numRows": 1, "numCols": 1, "valueType": "str"}"#),
        );
        assert!(read_matrix(&p).unwrap_err().contains("reading str-valued Matrix Market files is not supported"));
    }

    #[test]
    fn csv_errors() {
        let t = TempDir::new("errors");
        let meta = r#"{"numRows": 2, "numCols": 3, "valueType": "si64"}"#;
        let missing = t.path("missing.csv");
        let e = read_matrix(&missing).unwrap_err();
        assert!(e.starts_with(&format!("cannot read {missing}: ")), "{e}");
        let no_meta = t.file("nometa.csv", "1,2,3\n4,5,6\n", None);
        let e = read_matrix(&no_meta).unwrap_err();
        assert!(e.starts_with(&format!("cannot read {no_meta}.meta: ")), "{e}");
        assert!(read_frame(&no_meta).unwrap_err().starts_with(&format!("cannot read {no_meta}.meta: ")));
        let bad_meta = t.file("badmeta.csv", "1\n", Some("{\"numRows\": 1}"));
        assert!(read_matrix(&bad_meta).unwrap_err().starts_with(&format!("invalid meta data in {bad_meta}.meta: ")));

        let p = t.file("malformed.csv", "1,2,3\n4,x5,6\n", Some(meta));
        let e = read_matrix(&p).unwrap_err();
        assert_eq!(e, format!("cannot read {p}: line 2, column 2: \"x5\" is not a valid si64 value"));
        let p = t.file("float.csv", "1,2.5,3\n4,5,6\n", Some(meta));
        assert!(read_matrix(&p).unwrap_err().contains("\"2.5\" is not a valid si64 value"));
        let fmeta = r#"{"numRows": 1, "numCols": 2, "valueType": "f64"}"#;
        let p = t.file("badf.csv", "1.5,1.5abc\n", Some(fmeta));
        assert!(read_matrix(&p).unwrap_err().contains("line 1, column 2: \"1.5abc\" is not a valid f64 value"));

        let p = t.file("few.csv", "1,2,3\n4,5\n", Some(meta));
        assert_eq!(
            read_matrix(&p).unwrap_err(),
            format!("cannot read {p}: line 2: expected 3 columns, but the row has 2")
        );
        let p = t.file("many.csv", "1,2,3,4\n4,5,6\n", Some(meta));
        assert_eq!(
            read_matrix(&p).unwrap_err(),
            format!("cannot read {p}: line 1: expected 3 columns, but the row has more")
        );
        let p = t.file("rows.csv", "1,2,3\n", Some(meta));
        assert_eq!(
            read_matrix(&p).unwrap_err(),
            format!("cannot read {p}: the file has 1 rows, but its meta data says 2")
        );
        let p = t.file("extra.csv", "1,2,3\n4,5,6\n7,8,9\n", Some(meta));
        assert!(read_matrix(&p).unwrap_err().contains("line 3: the file has more than the 2 rows"));
        let p = t.file("trailing.csv", "1,2,3\n4,5,6\n\n  \n", Some(meta));
        assert!(read_matrix(&p).is_ok(), "blank lines at the end are fine");
        let fm = r#"{"numRows": 1, "numCols": 2, "schema": [{"label": "a", "valueType": "si8"}, {"label": "b", "valueType": "str"}]}"#;
        let p = t.file("frame.csv", "1\n", Some(fm));
        assert!(read_frame(&p).unwrap_err().contains("expected 2 columns, but the row has 1"));
        let p = t.file("frame2.csv", "300,x\n", Some(fm));
        assert!(read_frame(&p).unwrap_err().contains("column 1: 300 is out of the range of si8"));
    }

    #[test]
    fn extensions_and_write_errors() {
        let t = TempDir::new("ext");
        let m = Matrix::Dense(Dense::SI64(DenseMatrix::from_vec(1, 1, vec![1])));
        let foo = t.file("in.foo", "1\n", Some(r#"{"numRows": 1, "numCols": 1, "valueType": "si64"}"#));
        assert_eq!(
            read_matrix(&foo).unwrap_err(),
            format!(
                "cannot read a matrix from {foo}: unsupported file extension '.foo' (supported: .csv, .mtx, .dbin, .parquet)"
            )
        );
        assert!(read_frame(&foo).unwrap_err().contains("unsupported file extension '.foo'"));
        let none = t.file("in", "1\n", None);
        assert!(read_matrix(&none).unwrap_err().contains("the file name has no extension"));
        let out = t.path("out.foo");
        assert!(
            write_matrix(&m, &out)
                .unwrap_err()
                .contains("unsupported file extension '.foo' (supported: .csv, .dbin, .parquet)")
        );
        assert!(write_matrix(&m, &t.path("out.mtx")).is_err(), "DAPHNE cannot write Matrix Market files");
        let f = Frame::new(vec![Dense::SI64(DenseMatrix::from_vec(1, 1, vec![1]))], vec!["a".into()]).unwrap();
        assert!(write_frame(&f, &t.path("out")).unwrap_err().contains("no extension"));
        assert!(!Path::new(&out).exists());
        let b = Matrix::Dense(Dense::Bool(DenseMatrix::from_vec(1, 1, vec![true])));
        assert!(write_matrix(&b, &t.path("b.csv")).unwrap_err().contains("no bool value type"));
        let e = write_matrix(&m, &t.path("nodir/x.csv")).unwrap_err();
        assert!(e.starts_with(&format!("cannot write {}: ", t.path("nodir/x.csv"))), "{e}");
    }

    #[test]
    fn csr_and_empty_matrices_are_written_densely() {
        let t = TempDir::new("csr");
        let d = DenseMatrix::from_vec(2, 2, vec![0.0, 2.0, 0.0, 0.0]);
        let m = Matrix::Csr(crate::Csr::F64(CsrMatrix::from_dense(&d)));
        let p = t.path("c.csv");
        write_matrix(&m, &p).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "0.000000,2.000000\n0.000000,0.000000\n");
        assert_eq!(fs::read_to_string(meta_path(&p)).unwrap(), r#"{"numCols":2,"numRows":2,"valueType":"f64"}"#);
        let e = Matrix::Dense(Dense::F64(DenseMatrix::from_vec(3, 0, vec![])));
        write_matrix(&e, &p).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "");
        assert_eq!(read_matrix(&p).unwrap().rows(), 3);
    }

    #[test]
    fn write_meta_and_read_meta() {
        let t = TempDir::new("meta");
        let p = t.path("x.csv");
        let m = FileMeta { num_non_zeros: Some(5), ..FileMeta::matrix(10, 3, ValueType::UI32) };
        write_meta(&p, &m).unwrap();
        assert_eq!(
            fs::read_to_string(format!("{p}.meta")).unwrap(),
            r#"{"numCols":3,"numNonZeros":5,"numRows":10,"valueType":"ui32"}"#
        );
        assert_eq!(read_meta(&p).unwrap(), m);
        assert!(
            read_meta(&t.path("y.csv")).unwrap_err().starts_with(&format!("cannot read {}.meta: ", t.path("y.csv")))
        );
    }
}
