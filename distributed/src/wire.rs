//! Runtime data on the wire: the one place where matrices, frames and scalars become protocol
//! messages and bytes, and back. A stored object is an `ObjectMeta` header and a payload:
//! little-endian cells row by row (strings as a `u64` length and UTF-8 bytes, bools as one byte),
//! for CSR the row offsets and column indices (`u64`) and then the values, for frames each column
//! in turn. Decoding checks every size against the header, since bytes come from the network.

use crate::proto::{self, ObjectMeta, object_meta::Kind};
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

/// Cuts a payload into chunks of at most `chunk` bytes (at least one chunk, possibly empty).
pub fn chunks(payload: &[u8], chunk: usize) -> impl Iterator<Item = &[u8]> {
    let chunk = chunk.max(1);
    let n = payload.len().div_ceil(chunk).max(1);
    (0..n).map(move |i| &payload[(i * chunk).min(payload.len())..((i + 1) * chunk).min(payload.len())])
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
        let p: Vec<u8> = (0..10).collect();
        let parts: Vec<&[u8]> = chunks(&p, 3).collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts.concat(), p);
        assert_eq!(chunks(&[], 3).count(), 1);
    }
}
