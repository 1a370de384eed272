//! Runtime data on the wire: the one place where matrices, frames and scalars become protocol
//! messages and bytes, and back. A stored object is an `ObjectMeta` header and a payload:
//! little-endian cells row by row (strings as a `u64` length and UTF-8 bytes, bools as one byte),
//! for CSR the row offsets and column indices (`u64`) and then the values, for frames each column
//! in turn. Decoding checks every size against the header, since bytes come from the network.
//!
//! Large objects move at memory speed: [`encode_shared`] hands out the payload as a
//! [`Bytes`] whose chunks are slices of one buffer, and for a contiguous dense matrix of numbers
//! that buffer is the matrix's own memory (its cells already are their little-endian encoding),
//! so sending copies nothing; a [`Decoder`] takes the chunks as they arrive and copies the cells
//! of such a matrix straight into its final buffer, allocated once with its final size (and
//! advised for huge pages, see [`crate::buffers`]), wherever the chunk boundaries fall.

use crate::proto::{self, ObjectMeta, object_meta::Kind};
use crate::transport::{CallError, Code};
use bytes::Bytes;
use daphne_ir::ValueType;
use daphne_runtime::csr::CsrMatrix;
use daphne_runtime::data::Data;
use daphne_runtime::dense::DenseMatrix;
use daphne_runtime::elem::Scalar;
use daphne_runtime::frame::Frame;
use daphne_runtime::matrix::{Csr, CsrElem, Dense, DenseElem, Matrix};
use daphne_runtime::{with_csr, with_dense};

/// Cell encoding of one element type.
pub trait WireElem: Sized {
    fn put(&self, out: &mut Vec<u8>);
    /// Reads one value at the front of `bytes`, advancing it.
    fn take(bytes: &mut &[u8]) -> Result<Self, String>;
    /// Appends many cells (fixed-size types do it in one pass).
    fn put_all(cells: &[Self], out: &mut Vec<u8>) {
        for c in cells {
            c.put(out);
        }
    }
    /// Reads `n` cells at the front of `bytes`, advancing it.
    fn take_all(n: usize, bytes: &mut &[u8]) -> Result<Vec<Self>, String> {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(Self::take(bytes)?);
        }
        Ok(v)
    }
}

fn take_n<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if bytes.len() < n {
        return Err("the payload ends too early".into());
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

macro_rules! wire_num {
    ($($t:ty),*) => {$(
        impl WireElem for $t {
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn take(bytes: &mut &[u8]) -> Result<Self, String> {
                let head = take_n(bytes, std::mem::size_of::<$t>())?;
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(head);
                Ok(<$t>::from_le_bytes(a))
            }
            fn put_all(cells: &[Self], out: &mut Vec<u8>) {
                const SZ: usize = std::mem::size_of::<$t>();
                let start = out.len();
                out.resize(start + cells.len() * SZ, 0);
                for (dst, x) in out[start..].chunks_exact_mut(SZ).zip(cells) {
                    dst.copy_from_slice(&x.to_le_bytes());
                }
            }
            fn take_all(n: usize, bytes: &mut &[u8]) -> Result<Vec<Self>, String> {
                const SZ: usize = std::mem::size_of::<$t>();
                let len = n.checked_mul(SZ).ok_or("the matrix size overflows")?;
                let head = take_n(bytes, len)?;
                Ok(head
                    .chunks_exact(SZ)
                    .map(|c| {
                        let mut a = [0u8; SZ];
                        a.copy_from_slice(c);
                        <$t>::from_le_bytes(a)
                    })
                    .collect())
            }
        }
    )*};
}

wire_num!(f64, f32, i64, i32, i8, u64, u32, u8);

/// Cell types that are plain numbers, so that on a little-endian target (where their memory is
/// their wire encoding, `to_le_bytes`) cells travel without being encoded or decoded one by one.
///
/// # Safety
///
/// Implementors have no padding and every bit pattern of their size is a valid value.
pub unsafe trait RawCells: WireElem + DenseElem + Copy + Send + Sync + 'static {}

/// Whether memory holds numbers in their wire encoding (little-endian).
const NATIVE_IS_WIRE: bool = cfg!(target_endian = "little");

macro_rules! raw_cells {
    ($($t:ty),*) => {$(
        // SAFETY: a primitive integer or float: no padding, and any bits are a value.
        unsafe impl RawCells for $t {}
    )*};
}

raw_cells!(f64, f32, i64, i32, i8, u64, u32, u8);

/// The cells `range` of a matrix's buffer, seen as bytes: what a zero-copy payload owns (the
/// buffer stays alive as long as any chunk of the payload does).
struct CellBytes<T> {
    buf: std::sync::Arc<daphne_runtime::dense::Storage<T>>,
    range: std::ops::Range<usize>,
}

impl<T: RawCells> AsRef<[u8]> for CellBytes<T> {
    fn as_ref(&self) -> &[u8] {
        let cells = &self.buf[self.range.clone()];
        // SAFETY: `cells` is an initialized slice of `T`, which has no padding (`RawCells`), so
        // its `size_of_val` bytes are initialized `u8`s; the borrow of `self` keeps them alive
        // and unchanged (the buffer is shared, never written through the `Arc`).
        unsafe { std::slice::from_raw_parts(cells.as_ptr().cast::<u8>(), std::mem::size_of_val(cells)) }
    }
}

/// The payload of a dense matrix of numbers as its own memory, if its cells are contiguous.
fn raw_payload<T: RawCells + daphne_runtime::elem::Elem>(m: &DenseMatrix<T>) -> Option<Bytes> {
    let (buf, range) = m.shared_cells()?;
    Some(Bytes::from_owner(CellBytes { buf, range }))
}

fn raw_dense_payload(d: &Dense) -> Option<Bytes> {
    match d {
        Dense::F64(m) => raw_payload(m),
        Dense::F32(m) => raw_payload(m),
        Dense::SI64(m) => raw_payload(m),
        Dense::SI32(m) => raw_payload(m),
        Dense::SI8(m) => raw_payload(m),
        Dense::UI64(m) => raw_payload(m),
        Dense::UI32(m) => raw_payload(m),
        Dense::UI8(m) => raw_payload(m),
        Dense::Bool(_) | Dense::Str(_) => None,
    }
}

impl WireElem for bool {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn take(bytes: &mut &[u8]) -> Result<Self, String> {
        Ok(take_n(bytes, 1)?[0] != 0)
    }
}

impl WireElem for String {
    fn put(&self, out: &mut Vec<u8>) {
        (self.len() as u64).put(out);
        out.extend_from_slice(self.as_bytes());
    }
    fn take(bytes: &mut &[u8]) -> Result<Self, String> {
        let n = usize::try_from(u64::take(bytes)?).map_err(|_| "a string length does not fit".to_string())?;
        let raw = take_n(bytes, n)?;
        String::from_utf8(raw.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
    }
}

fn put_dense<T: WireElem + daphne_runtime::elem::Elem>(m: &DenseMatrix<T>, out: &mut Vec<u8>) {
    match m.as_slice() {
        Some(cells) => T::put_all(cells, out),
        None => {
            for r in 0..m.rows() {
                T::put_all(m.row(r), out);
            }
        }
    }
}

fn take_dense<T: WireElem + DenseElem>(rows: usize, cols: usize, bytes: &mut &[u8]) -> Result<Dense, String> {
    let n = rows.checked_mul(cols).ok_or("the matrix size overflows")?;
    // Every cell takes at least one byte: a header promising more cells than bytes is a lie
    // (and must not make us allocate for it).
    if n > bytes.len() {
        return Err(format!("{n} cells announced but only {} bytes sent", bytes.len()));
    }
    let v = T::take_all(n, bytes)?;
    Ok(T::wrap(DenseMatrix::from_vec(rows, cols, v)))
}

fn dense_meta(d: &Dense) -> ObjectMeta {
    ObjectMeta {
        kind: Kind::Dense as i32,
        value_types: vec![d.vt().ir_name().to_string()],
        rows: d.rows() as u64,
        cols: d.cols() as u64,
        ..ObjectMeta::default()
    }
}

fn put_csr<T: WireElem + CsrElem>(m: &CsrMatrix<T>, out: &mut Vec<u8>) {
    let mut offset = 0u64;
    offset.put(out);
    for r in 0..m.rows() {
        offset += m.row(r).0.len() as u64;
        offset.put(out);
    }
    for r in 0..m.rows() {
        for c in m.row(r).0 {
            (*c as u64).put(out);
        }
    }
    for r in 0..m.rows() {
        for v in m.row(r).1 {
            v.put(out);
        }
    }
}

fn take_csr<T: WireElem + CsrElem>(rows: usize, cols: usize, nnz: usize, bytes: &mut &[u8]) -> Result<Csr, String> {
    let words = rows.checked_add(1).and_then(|r| r.checked_add(nnz)).ok_or("the CSR size overflows")?;
    if words.checked_mul(8).is_none_or(|b| b > bytes.len()) {
        return Err("the CSR payload is shorter than its header says".into());
    }
    let mut row_ptr = Vec::with_capacity(rows + 1);
    for _ in 0..=rows {
        row_ptr.push(usize::try_from(u64::take(bytes)?).map_err(|_| "a row offset does not fit")?);
    }
    if row_ptr.first() != Some(&0) || row_ptr.last() != Some(&nnz) || row_ptr.windows(2).any(|w| w[0] > w[1]) {
        return Err("the CSR row offsets are not increasing from 0 to the number of non-zeros".into());
    }
    let mut col_idx = Vec::with_capacity(nnz);
    for _ in 0..nnz {
        let c = usize::try_from(u64::take(bytes)?).map_err(|_| "a column index does not fit")?;
        if c >= cols {
            return Err(format!("column index {c} is out of range for {cols} columns"));
        }
        col_idx.push(c);
    }
    let mut values = Vec::with_capacity(nnz);
    for _ in 0..nnz {
        values.push(T::take(bytes)?);
    }
    Ok(T::wrap_csr(CsrMatrix::new(rows, cols, row_ptr, col_idx, values)))
}

fn vt_of(name: &str) -> Result<ValueType, String> {
    ValueType::from_ir_name(name).ok_or_else(|| format!("unknown value type `{name}`"))
}

/// Encodes a matrix or frame as a header and a payload.
pub fn encode(d: &Data) -> Result<(ObjectMeta, Vec<u8>), String> {
    let mut out = Vec::new();
    let mut meta = match d {
        Data::Matrix(Matrix::Dense(m)) => {
            with_dense!(m, t => put_dense(t, &mut out));
            dense_meta(m)
        }
        Data::Matrix(Matrix::Csr(c)) => {
            with_csr!(c, t => put_csr(t, &mut out));
            ObjectMeta {
                kind: Kind::Csr as i32,
                value_types: vec![c.vt().ir_name().to_string()],
                rows: c.rows() as u64,
                cols: c.cols() as u64,
                nnz: c.nnz() as u64,
                ..ObjectMeta::default()
            }
        }
        Data::Frame(f) => {
            for col in f.columns() {
                with_dense!(col, t => put_dense(t, &mut out));
            }
            ObjectMeta {
                kind: Kind::Frame as i32,
                value_types: f.schema().iter().map(|vt| vt.ir_name().to_string()).collect(),
                rows: f.rows() as u64,
                cols: f.cols() as u64,
                labels: f.labels().to_vec(),
                ..ObjectMeta::default()
            }
        }
        other => return Err(format!("a {} cannot be stored on a worker", other.kind())),
    };
    meta.payload_bytes = out.len() as u64;
    Ok((meta, out))
}

fn size(v: u64, what: &str) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| format!("the {what} do not fit this machine"))
}

/// Decodes a header and its payload (untrusted: every size is checked).
pub fn decode(meta: &ObjectMeta, payload: &[u8]) -> Result<Data, String> {
    if meta.payload_bytes != payload.len() as u64 {
        return Err(format!("the header announces {} payload bytes, {} arrived", meta.payload_bytes, payload.len()));
    }
    let (rows, cols) = (size(meta.rows, "rows")?, size(meta.cols, "columns")?);
    let mut bytes = payload;
    let d = match Kind::try_from(meta.kind).unwrap_or(Kind::Unspecified) {
        Kind::Dense => {
            let [vt] = meta.value_types.as_slice() else { return Err("a matrix has one value type".into()) };
            let d = daphne_runtime::with_vt!(vt_of(vt)?, T => take_dense::<T>(rows, cols, &mut bytes)?);
            Data::Matrix(Matrix::Dense(d))
        }
        Kind::Csr => {
            let [vt] = meta.value_types.as_slice() else { return Err("a matrix has one value type".into()) };
            let nnz = size(meta.nnz, "non-zeros")?;
            let b = &mut bytes;
            let c = match vt_of(vt)? {
                ValueType::F64 => take_csr::<f64>(rows, cols, nnz, b)?,
                ValueType::F32 => take_csr::<f32>(rows, cols, nnz, b)?,
                ValueType::SI64 => take_csr::<i64>(rows, cols, nnz, b)?,
                ValueType::SI32 => take_csr::<i32>(rows, cols, nnz, b)?,
                ValueType::SI8 => take_csr::<i8>(rows, cols, nnz, b)?,
                ValueType::UI64 => take_csr::<u64>(rows, cols, nnz, b)?,
                ValueType::UI32 => take_csr::<u32>(rows, cols, nnz, b)?,
                ValueType::UI8 => take_csr::<u8>(rows, cols, nnz, b)?,
                other => return Err(format!("CSR matrices of {} do not exist", other.ir_name())),
            };
            Data::Matrix(Matrix::Csr(c))
        }
        Kind::Frame => {
            if meta.value_types.len() != cols || meta.labels.len() != cols {
                return Err("a frame needs one value type and one label per column".into());
            }
            let mut columns = Vec::with_capacity(cols);
            for vt in &meta.value_types {
                columns.push(daphne_runtime::with_vt!(vt_of(vt)?, T => take_dense::<T>(rows, 1, &mut bytes)?));
            }
            let f = if cols == 0 { Frame::empty(rows) } else { Frame::new(columns, meta.labels.clone())? };
            Data::Frame(f)
        }
        Kind::Unspecified => return Err("an object without a kind".into()),
    };
    if !bytes.is_empty() {
        return Err(format!("{} bytes left over after the object", bytes.len()));
    }
    Ok(d)
}

/// Encodes a matrix or frame as a header and a shared payload, for sending in chunks (slices of
/// the payload, see [`chunks`]): a contiguous dense matrix of numbers is sent from its own
/// memory without a copy (the payload keeps it alive); anything else is encoded as by [`encode`].
pub fn encode_shared(d: &Data) -> Result<(ObjectMeta, Bytes), String> {
    if NATIVE_IS_WIRE
        && let Data::Matrix(Matrix::Dense(m)) = d
        && let Some(payload) = raw_dense_payload(m)
    {
        let meta = ObjectMeta { payload_bytes: payload.len() as u64, ..dense_meta(m) };
        return Ok((meta, payload));
    }
    let (meta, payload) = encode(d)?;
    Ok((meta, Bytes::from(payload)))
}

/// Writes the cells of one dense matrix of numbers in place, byte by byte as they arrive.
trait CellSink: Send {
    /// Copies `bytes` to byte `at` of the cells; the caller keeps `at + bytes.len()` within the
    /// matrix's bytes.
    fn write(&mut self, at: usize, bytes: &[u8]);
    /// The matrix, once every byte of it has been written.
    fn finish(self: Box<Self>, rows: usize, cols: usize) -> Dense;
}

/// The final buffer of a matrix of `T`: allocated with its full size, filled from the front.
struct Cells<T> {
    cells: Vec<T>,
    /// How many of its bytes have been written (always a prefix: chunks arrive in order).
    written: usize,
}

impl<T: RawCells> Cells<T> {
    fn new(n: usize) -> Result<Cells<T>, CallError> {
        let mut cells: Vec<T> = Vec::new();
        cells.try_reserve_exact(n).map_err(|_| {
            let bytes = n.saturating_mul(std::mem::size_of::<T>());
            CallError::new(Code::ResourceExhausted, format!("cannot allocate {bytes} bytes for the object"))
        })?;
        crate::buffers::advise_huge_pages(cells.as_mut_ptr().cast::<u8>(), n * std::mem::size_of::<T>());
        Ok(Cells { cells, written: 0 })
    }
}

impl<T: RawCells> CellSink for Cells<T> {
    fn write(&mut self, at: usize, bytes: &[u8]) {
        let capacity = self.cells.capacity() * std::mem::size_of::<T>();
        assert!(at == self.written && at + bytes.len() <= capacity, "wire::Decoder writes past its cells");
        // SAFETY: the destination `at..at + bytes.len()` lies within the vector's allocation (the
        // assertion above; `capacity` is in bytes), which `bytes`, a borrowed slice, cannot
        // overlap; writing bytes into spare capacity is allowed, and the length is only set in
        // `finish`, once every byte has been written.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.cells.as_mut_ptr().cast::<u8>().add(at), bytes.len());
        }
        self.written = at + bytes.len();
    }

    fn finish(mut self: Box<Self>, rows: usize, cols: usize) -> Dense {
        let n = rows * cols;
        assert!(
            self.written == n * std::mem::size_of::<T>() && n <= self.cells.capacity(),
            "wire::Decoder finishes a matrix before all its bytes arrived"
        );
        // SAFETY: the allocation holds `n` cells (the assertion), all `n * size_of::<T>()` bytes
        // of them were written in order by `write`, and any bit pattern is a `T` (`RawCells`).
        unsafe { self.cells.set_len(n) };
        T::wrap(DenseMatrix::from_vec(rows, cols, std::mem::take(&mut self.cells)))
    }
}

/// Where a [`Decoder`] puts the payload.
enum Sink {
    /// Cells of a dense matrix of numbers, written into its final buffer.
    Cells(Box<dyn CellSink>),
    /// Any other object: the payload is collected and decoded at the end ([`decode`]).
    Bytes(Vec<u8>),
}

/// Most bytes a [`Decoder`] reserves before they arrive for an object it collects (a header may
/// lie; the buffer grows as the bytes come).
const COLLECT_RESERVE: usize = 64 << 20;

/// Decodes an object from its chunks as they arrive (the bytes are untrusted: every size is
/// checked): [`Decoder::new`] with the header of the first chunk, [`Decoder::push`] for each
/// chunk in order, [`Decoder::finish`] for the object. A dense matrix of numbers is written
/// straight into its final buffer (chunk boundaries may fall anywhere, mid-cell too), so no
/// payload-sized buffer is collected or copied; other objects are collected and decoded at the
/// end.
pub struct Decoder {
    meta: ObjectMeta,
    expected: usize,
    received: usize,
    sink: Sink,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder").field("meta", &self.meta).field("received", &self.received).finish()
    }
}

impl Decoder {
    /// A decoder for the object `meta` announces: `InvalidArgument` for a header that cannot be
    /// right (an unknown kind or value type, a payload size that does not match a dense matrix's
    /// shape), `ResourceExhausted` when the matrix's buffer cannot be allocated.
    pub fn new(meta: ObjectMeta) -> Result<Decoder, CallError> {
        let invalid = |m: String| CallError::new(Code::InvalidArgument, m);
        let expected = size(meta.payload_bytes, "announced payload bytes").map_err(invalid)?;
        let kind = Kind::try_from(meta.kind).unwrap_or(Kind::Unspecified);
        if kind == Kind::Unspecified {
            return Err(invalid("an object without a kind".into()));
        }
        for vt in &meta.value_types {
            vt_of(vt).map_err(invalid)?;
        }
        let sink = match (kind, meta.value_types.as_slice()) {
            (Kind::Dense, [vt]) => match raw_sink(&meta, vt_of(vt).map_err(invalid)?, expected)? {
                Some(cells) => Sink::Cells(cells),
                None => Sink::Bytes(Vec::with_capacity(expected.min(COLLECT_RESERVE))),
            },
            _ => Sink::Bytes(Vec::with_capacity(expected.min(COLLECT_RESERVE))),
        };
        Ok(Decoder { meta, expected, received: 0, sink })
    }

    /// The payload bytes the header announces.
    pub fn expected(&self) -> usize {
        self.expected
    }

    /// The payload bytes received so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Takes the next chunk; more bytes than the header announces are an error.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), String> {
        if chunk.len() > self.expected - self.received {
            return Err(format!("more than the announced {} payload bytes", self.expected));
        }
        match &mut self.sink {
            Sink::Cells(cells) => cells.write(self.received, chunk),
            Sink::Bytes(bytes) => bytes.extend_from_slice(chunk),
        }
        self.received += chunk.len();
        Ok(())
    }

    /// The object, once all of its payload has arrived; a payload that ends early or does not
    /// decode is an error.
    pub fn finish(self) -> Result<Data, String> {
        if self.received != self.expected {
            return Err(format!("the header announces {} payload bytes, {} arrived", self.expected, self.received));
        }
        match self.sink {
            Sink::Cells(cells) => {
                // `raw_sink` checked that these fit and match the payload.
                let (rows, cols) = (self.meta.rows as usize, self.meta.cols as usize);
                Ok(Data::Matrix(Matrix::Dense(cells.finish(rows, cols))))
            }
            Sink::Bytes(bytes) => decode(&self.meta, &bytes),
        }
    }
}

/// The in-place sink of a dense matrix of `vt` announced by `meta`, or `None` for a value type
/// whose cells must be decoded one by one; a payload size other than the shape's is refused.
fn raw_sink(meta: &ObjectMeta, vt: ValueType, expected: usize) -> Result<Option<Box<dyn CellSink>>, CallError> {
    fn sink<T: RawCells>(meta: &ObjectMeta, expected: usize) -> Result<Option<Box<dyn CellSink>>, CallError> {
        let invalid = |m: String| CallError::new(Code::InvalidArgument, m);
        let (rows, cols) = (size(meta.rows, "rows").map_err(invalid)?, size(meta.cols, "columns").map_err(invalid)?);
        let n = rows.checked_mul(cols).ok_or_else(|| invalid("the matrix size overflows".into()))?;
        if n.checked_mul(std::mem::size_of::<T>()) != Some(expected) {
            return Err(invalid(format!(
                "a {rows}x{cols} matrix is {} payload bytes, the header announces {expected}",
                n.saturating_mul(std::mem::size_of::<T>())
            )));
        }
        Ok(Some(Box::new(Cells::<T>::new(n)?)))
    }
    if !NATIVE_IS_WIRE {
        return Ok(None);
    }
    match vt {
        ValueType::F64 => sink::<f64>(meta, expected),
        ValueType::F32 => sink::<f32>(meta, expected),
        ValueType::SI64 => sink::<i64>(meta, expected),
        ValueType::SI32 => sink::<i32>(meta, expected),
        ValueType::SI8 => sink::<i8>(meta, expected),
        ValueType::UI64 => sink::<u64>(meta, expected),
        ValueType::UI32 => sink::<u32>(meta, expected),
        ValueType::UI8 => sink::<u8>(meta, expected),
        ValueType::Bool | ValueType::Str | ValueType::Index => Ok(None),
    }
}

impl From<&Scalar> for proto::Scalar {
    fn from(s: &Scalar) -> Self {
        use proto::scalar::Value as V;
        let value = match s {
            Scalar::F64(v) => V::F64(*v),
            Scalar::F32(v) => V::F32(*v),
            Scalar::SI64(v) => V::Si64(*v),
            Scalar::SI32(v) => V::Si32(*v),
            Scalar::SI8(v) => V::Si8(i32::from(*v)),
            Scalar::UI64(v) => V::Ui64(*v),
            Scalar::UI32(v) => V::Ui32(*v),
            Scalar::UI8(v) => V::Ui8(u32::from(*v)),
            Scalar::Bool(v) => V::Bool(*v),
            Scalar::Index(v) => V::Index(*v as u64),
            Scalar::Str(v) => V::Str(v.clone()),
        };
        proto::Scalar { value: Some(value) }
    }
}

impl TryFrom<&proto::Scalar> for Scalar {
    type Error = String;

    fn try_from(s: &proto::Scalar) -> Result<Self, String> {
        use proto::scalar::Value as V;
        let narrow = |what: &str| format!("a {what} scalar is out of range");
        Ok(match s.value.as_ref().ok_or("a scalar without a value")? {
            V::F64(v) => Scalar::F64(*v),
            V::F32(v) => Scalar::F32(*v),
            V::Si64(v) => Scalar::SI64(*v),
            V::Si32(v) => Scalar::SI32(*v),
            V::Si8(v) => Scalar::SI8(i8::try_from(*v).map_err(|_| narrow("si8"))?),
            V::Ui64(v) => Scalar::UI64(*v),
            V::Ui32(v) => Scalar::UI32(*v),
            V::Ui8(v) => Scalar::UI8(u8::try_from(*v).map_err(|_| narrow("ui8"))?),
            V::Bool(v) => Scalar::Bool(*v),
            V::Index(v) => Scalar::Index(*v as i64),
            V::Str(v) => Scalar::Str(v.clone()),
        })
    }
}

/// Cuts a payload into chunks of at most `chunk` bytes (at least one chunk, possibly empty):
/// slices of the payload, no copies.
pub fn chunks(payload: &Bytes, chunk: usize) -> impl Iterator<Item = Bytes> + Send + 'static {
    let payload = payload.clone();
    let chunk = chunk.max(1);
    let n = payload.len().div_ceil(chunk).max(1);
    (0..n).map(move |i| payload.slice((i * chunk).min(payload.len())..((i + 1) * chunk).min(payload.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(d: &Data) -> Data {
        let (meta, bytes) = encode(d).expect("encodes");
        decode(&meta, &bytes).expect("decodes")
    }

    fn print(d: &Data) -> String {
        let mut s = String::new();
        match d {
            Data::Matrix(m) => m.print_to(&mut s),
            Data::Frame(f) => f.print_to(&mut s),
            _ => {}
        }
        s
    }

    #[test]
    fn every_value_type_and_representation_round_trips() {
        for vt in ValueType::ALL {
            if vt == ValueType::Index {
                continue;
            }
            let cells: Vec<Scalar> = (0..6).map(|i| Scalar::SI64(i % 3)).collect();
            let d = Dense::from_scalars(vt, 2, 3, &cells).expect("builds");
            let data = Data::Matrix(Matrix::Dense(d.clone()));
            assert_eq!(print(&round_trip(&data)), print(&data), "{vt:?}");
            if vt.is_numeric()
                && vt != ValueType::Bool
                && let Some(c) = Csr::from_dense(&d)
            {
                let data = Data::Matrix(Matrix::Csr(c));
                let back = round_trip(&data);
                assert!(matches!(&back, Data::Matrix(Matrix::Csr(_))), "{vt:?}");
                assert_eq!(print(&back), print(&data), "{vt:?}");
            }
        }
        let f = Frame::new(
            vec![
                Dense::F64(DenseMatrix::from_vec(2, 1, vec![1.5, 2.5])),
                Dense::Str(DenseMatrix::from_vec(2, 1, vec!["a".into(), "bc".into()])),
            ],
            vec!["x".into(), "y".into()],
        )
        .expect("frame");
        let data = Data::Frame(f);
        assert_eq!(print(&round_trip(&data)), print(&data));
    }

    #[test]
    fn lying_headers_are_rejected() {
        let d = Data::Matrix(Matrix::Dense(Dense::F64(DenseMatrix::from_vec(2, 2, vec![1.0, 2.0, 3.0, 4.0]))));
        let (meta, bytes) = encode(&d).expect("encodes");
        assert!(decode(&meta, &bytes[..bytes.len() - 1]).is_err());
        let huge = ObjectMeta { rows: u64::MAX, cols: u64::MAX, ..meta.clone() };
        assert!(decode(&huge, &bytes).is_err());
        let wrong_vt = ObjectMeta { value_types: vec!["nope".into()], ..meta.clone() };
        assert!(decode(&wrong_vt, &bytes).is_err());
        let no_kind = ObjectMeta { kind: 0, ..meta };
        assert!(decode(&no_kind, &bytes).is_err());
    }

    #[test]
    fn scalars_round_trip() {
        for s in [Scalar::F64(-0.5), Scalar::SI8(-3), Scalar::UI8(200), Scalar::Index(7), Scalar::Str("x".into())] {
            let p = proto::Scalar::from(&s);
            assert_eq!(Scalar::try_from(&p).expect("decodes"), s);
        }
        assert!(Scalar::try_from(&proto::Scalar { value: Some(proto::scalar::Value::Si8(1000)) }).is_err());
    }

    #[test]
    fn chunking_covers_the_payload() {
        let p = Bytes::from((0..10).collect::<Vec<u8>>());
        let parts: Vec<Bytes> = chunks(&p, 3).collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts.concat(), p);
        // Slices of the payload, not copies.
        assert_eq!(parts[1].as_ptr(), p[3..].as_ptr());
        assert_eq!(chunks(&Bytes::new(), 3).count(), 1);
    }

    /// Decodes `payload` with a [`Decoder`], `chunk` bytes at a time.
    fn stream(meta: &ObjectMeta, payload: &[u8], chunk: usize) -> Result<Data, String> {
        let mut d = Decoder::new(meta.clone()).map_err(|e| e.message)?;
        for part in payload.chunks(chunk) {
            d.push(part)?;
        }
        d.finish()
    }

    fn f64_matrix(rows: usize, cols: usize) -> DenseMatrix<f64> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        DenseMatrix::from_fn(rows, cols, |_, _| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            f64::from_bits(state)
        })
    }

    fn same_bits(a: &Data, b: &DenseMatrix<f64>) -> bool {
        match a {
            Data::Matrix(Matrix::Dense(Dense::F64(m))) => {
                m.rows() == b.rows()
                    && m.cols() == b.cols()
                    && m.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
            }
            _ => false,
        }
    }

    #[test]
    fn large_and_odd_matrices_stream_through_the_decoder_wherever_chunks_end() {
        // 8 MB of f64 in chunks of an odd size (boundaries mid-cell), and odd shapes in chunks of
        // 1, 3, 7 and 8 bytes; NaN payloads and signed zeros survive bit for bit.
        for (rows, cols, chunk) in
            [(1000, 1001, 65_537), (1, 1, 3), (3, 5, 7), (7, 3, 1), (17, 1, 8), (0, 4, 3), (4, 0, 5)]
        {
            let m = f64_matrix(rows, cols);
            let data = Data::Matrix(Matrix::Dense(Dense::F64(m.clone())));
            let (meta, payload) = encode_shared(&data).expect("encodes");
            assert_eq!(payload.len(), rows * cols * 8);
            let back = stream(&meta, &payload, chunk).expect("decodes");
            assert!(same_bits(&back, &m), "{rows}x{cols} in chunks of {chunk}");
        }
    }

    #[test]
    fn every_value_type_and_representation_streams_through_the_decoder() {
        let mut objects = Vec::new();
        for vt in ValueType::ALL {
            if vt == ValueType::Index {
                continue;
            }
            let cells: Vec<Scalar> = (0..12).map(|i| Scalar::SI64(i % 5 - 1)).collect();
            let d = Dense::from_scalars(vt, 3, 4, &cells).expect("builds");
            if vt.is_numeric()
                && vt != ValueType::Bool
                && let Some(c) = Csr::from_dense(&d)
            {
                objects.push(Data::Matrix(Matrix::Csr(c)));
            }
            // A view that is not contiguous (its payload is encoded, not shared).
            objects.push(Data::Matrix(Matrix::Dense(with_dense!(&d, t => <_ as DenseElem>::wrap(t.slice_cols(1, 3))))));
            objects.push(Data::Matrix(Matrix::Dense(d)));
        }
        objects.push(Data::Frame(
            Frame::new(
                vec![
                    Dense::SI64(DenseMatrix::from_vec(2, 1, vec![-1, 7])),
                    Dense::Str(DenseMatrix::from_vec(2, 1, vec!["a".into(), "bcd".into()])),
                ],
                vec!["x".into(), "y".into()],
            )
            .expect("frame"),
        ));
        for data in &objects {
            let (meta, payload) = encode_shared(data).expect("encodes");
            // The shared encoding is the wire format, byte for byte.
            let (meta2, bytes) = encode(data).expect("encodes");
            assert_eq!((&meta, &payload[..]), (&meta2, &bytes[..]));
            for chunk in [1, 2, 3, 5, 8, 1 << 20] {
                let back = stream(&meta, &payload, chunk).expect("decodes");
                assert_eq!(print(&back), print(data), "{meta:?} in chunks of {chunk}");
                assert_eq!(encode(&back).expect("encodes").1, bytes, "{meta:?} in chunks of {chunk}");
            }
        }
    }

    #[test]
    fn contiguous_matrices_are_sent_from_their_own_memory() {
        let m = f64_matrix(6, 4);
        let rows = m.slice_rows(2, 5);
        for (view, first) in [(&m, 0usize), (&rows, 8)] {
            let (meta, payload) =
                encode_shared(&Data::Matrix(Matrix::Dense(Dense::F64(view.clone())))).expect("encodes");
            assert_eq!(payload.as_ptr(), m.as_slice().expect("contiguous")[first..].as_ptr().cast::<u8>());
            assert_eq!(meta.payload_bytes, (view.rows() * view.cols() * 8) as u64);
        }
        // The payload keeps the cells alive after the matrix is gone.
        let (meta, payload) = {
            let m = f64_matrix(3, 3);
            encode_shared(&Data::Matrix(Matrix::Dense(Dense::F64(m)))).expect("encodes")
        };
        assert!(same_bits(&stream(&meta, &payload, 4).expect("decodes"), &f64_matrix(3, 3)));
        // A column slice of a matrix without rows (its window starts past its empty buffer).
        let empty = DenseMatrix::<f64>::from_vec(0, 5, vec![]).slice_cols(2, 4);
        let (meta, payload) = encode_shared(&Data::Matrix(Matrix::Dense(Dense::F64(empty)))).expect("encodes");
        assert!(payload.is_empty());
        assert!(
            matches!(stream(&meta, &payload, 1), Ok(Data::Matrix(Matrix::Dense(Dense::F64(m)))) if m.rows() == 0 && m.cols() == 2)
        );
    }

    #[test]
    fn malformed_chunk_sequences_are_errors_not_panics() {
        let m = f64_matrix(2, 3);
        let (meta, payload) = encode_shared(&Data::Matrix(Matrix::Dense(Dense::F64(m)))).expect("encodes");
        // More bytes than announced, in one chunk or across chunks.
        let mut d = Decoder::new(meta.clone()).expect("a valid header");
        assert!(d.push(&[0; 49]).is_err());
        let mut d = Decoder::new(meta.clone()).expect("a valid header");
        d.push(&payload[..40]).expect("within the payload");
        assert!(d.push(&payload[..9]).unwrap_err().contains("more than the announced 48 payload bytes"));
        // Fewer bytes than announced, mid-cell or none at all.
        assert!(stream(&meta, &payload[..45], 4).unwrap_err().contains("48 payload bytes, 45 arrived"));
        assert!(Decoder::new(meta.clone()).expect("a valid header").finish().is_err());
        // Headers that cannot be right are refused before any payload.
        let refused = |meta: ObjectMeta| Decoder::new(meta).map(|_| ()).unwrap_err();
        let e = refused(ObjectMeta { payload_bytes: 47, ..meta.clone() });
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.contains("a 2x3 matrix is 48 payload bytes, the header announces 47"), "{e:?}");
        assert_eq!(refused(ObjectMeta { rows: u64::MAX, cols: 3, ..meta.clone() }).code, Code::InvalidArgument);
        assert_eq!(refused(ObjectMeta { value_types: vec!["f65".into()], ..meta.clone() }).code, Code::InvalidArgument);
        assert_eq!(refused(ObjectMeta { kind: 0, ..meta.clone() }).code, Code::InvalidArgument);
        assert_eq!(refused(ObjectMeta { kind: 99, ..meta.clone() }).code, Code::InvalidArgument);
        // A consistent header for more memory than any machine has: refused, not an abort.
        let vast = ObjectMeta { rows: 1 << 27, cols: 1 << 27, payload_bytes: 1 << 57, ..meta.clone() };
        assert_eq!(refused(vast).code, Code::ResourceExhausted);
        // Objects decoded at the end: a lying CSR or frame fails in `finish`, also mid-value.
        let c = Csr::from_dense(&Dense::F64(DenseMatrix::from_vec(2, 2, vec![0.0, 1.0, 2.0, 0.0]))).expect("csr");
        let (meta, payload) = encode(&Data::Matrix(Matrix::Csr(c))).expect("encodes");
        let mut bad = payload.clone();
        bad[8] = 9; // a row offset past the non-zeros
        assert!(stream(&meta, &bad, 3).is_err());
        assert!(stream(&meta, &payload[..payload.len() - 1], 3).is_err());
        assert!(
            stream(
                &ObjectMeta { payload_bytes: meta.payload_bytes - 1, ..meta.clone() },
                &payload[..payload.len() - 1],
                3
            )
            .is_err()
        );
    }

    proptest::proptest! {
        /// Any dense matrix of any value type, cut into chunks anywhere, decodes to what
        /// `decode` makes of the whole payload.
        #[test]
        fn the_decoder_agrees_with_decode(
            vt_index in 0usize..ValueType::ALL.len(),
            rows in 0usize..9,
            cols in 0usize..9,
            seed in proptest::prelude::any::<u64>(),
            chunk in 1usize..40,
        ) {
            let vt = ValueType::ALL[vt_index];
            proptest::prop_assume!(vt != ValueType::Index);
            let mut state = seed | 1;
            let cells: Vec<Scalar> = (0..rows * cols)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    Scalar::SI64((state % 2001) as i64 - 1000)
                })
                .collect();
            let d = Dense::from_scalars(vt, rows, cols, &cells).expect("builds");
            let data = Data::Matrix(Matrix::Dense(d));
            let (meta, payload) = encode_shared(&data).expect("encodes");
            let whole = decode(&meta, &payload).expect("decodes");
            let streamed = stream(&meta, &payload, chunk).expect("streams");
            proptest::prop_assert_eq!(encode(&streamed).expect("encodes"), encode(&whole).expect("encodes"));
        }
    }
}
