//! Matrices of any value type: `Dense` (one variant per element type) and `Csr` (numeric types),
//! with the dispatch macros kernels use to run generic code on the concrete type, conversions
//! between value types (C++ `static_cast` semantics) and DAPHNE's print format.

use crate::csr::CsrMatrix;
use crate::dense::DenseMatrix;
use crate::elem::{Elem, Num, Scalar};
use daphne_ir::ValueType;

/// A dense matrix of some value type.
#[derive(Clone, Debug, PartialEq)]
pub enum Dense {
    F64(DenseMatrix<f64>),
    F32(DenseMatrix<f32>),
    SI64(DenseMatrix<i64>),
    SI32(DenseMatrix<i32>),
    SI8(DenseMatrix<i8>),
    UI64(DenseMatrix<u64>),
    UI32(DenseMatrix<u32>),
    UI8(DenseMatrix<u8>),
    Bool(DenseMatrix<bool>),
    Str(DenseMatrix<String>),
}

/// A CSR matrix of some numeric value type.
#[derive(Clone, Debug)]
pub enum Csr {
    F64(CsrMatrix<f64>),
    F32(CsrMatrix<f32>),
    SI64(CsrMatrix<i64>),
    SI32(CsrMatrix<i32>),
    SI8(CsrMatrix<i8>),
    UI64(CsrMatrix<u64>),
    UI32(CsrMatrix<u32>),
    UI8(CsrMatrix<u8>),
}

/// A matrix in either representation.
#[derive(Clone, Debug)]
pub enum Matrix {
    Dense(Dense),
    Csr(Csr),
}

/// Runs `$body` with `$m` bound to the typed `DenseMatrix<T>` of every variant.
#[macro_export]
macro_rules! with_dense {
    ($d:expr, $m:ident => $body:expr) => {
        match $d {
            $crate::matrix::Dense::F64($m) => $body,
            $crate::matrix::Dense::F32($m) => $body,
            $crate::matrix::Dense::SI64($m) => $body,
            $crate::matrix::Dense::SI32($m) => $body,
            $crate::matrix::Dense::SI8($m) => $body,
            $crate::matrix::Dense::UI64($m) => $body,
            $crate::matrix::Dense::UI32($m) => $body,
            $crate::matrix::Dense::UI8($m) => $body,
            $crate::matrix::Dense::Bool($m) => $body,
            $crate::matrix::Dense::Str($m) => $body,
        }
    };
}

/// Like `with_dense!` for numeric variants; strings evaluate `$str`.
#[macro_export]
macro_rules! with_num_dense {
    ($d:expr, $m:ident => $body:expr, $s:ident => $str:expr) => {
        match $d {
            $crate::matrix::Dense::F64($m) => $body,
            $crate::matrix::Dense::F32($m) => $body,
            $crate::matrix::Dense::SI64($m) => $body,
            $crate::matrix::Dense::SI32($m) => $body,
            $crate::matrix::Dense::SI8($m) => $body,
            $crate::matrix::Dense::UI64($m) => $body,
            $crate::matrix::Dense::UI32($m) => $body,
            $crate::matrix::Dense::UI8($m) => $body,
            $crate::matrix::Dense::Bool($m) => $body,
            $crate::matrix::Dense::Str($s) => $str,
        }
    };
}

/// Runs `$body` with `$m` bound to the typed `CsrMatrix<T>`.
#[macro_export]
macro_rules! with_csr {
    ($d:expr, $m:ident => $body:expr) => {
        match $d {
            $crate::matrix::Csr::F64($m) => $body,
            $crate::matrix::Csr::F32($m) => $body,
            $crate::matrix::Csr::SI64($m) => $body,
            $crate::matrix::Csr::SI32($m) => $body,
            $crate::matrix::Csr::SI8($m) => $body,
            $crate::matrix::Csr::UI64($m) => $body,
            $crate::matrix::Csr::UI32($m) => $body,
            $crate::matrix::Csr::UI8($m) => $body,
        }
    };
}

/// Element types that have a `Dense` variant.
pub trait DenseElem: Elem {
    fn wrap(m: DenseMatrix<Self>) -> Dense;
    fn unwrap(d: &Dense) -> Option<&DenseMatrix<Self>>;
}

macro_rules! dense_elem {
    ($t:ty, $variant:ident) => {
        impl DenseElem for $t {
            fn wrap(m: DenseMatrix<Self>) -> Dense {
                Dense::$variant(m)
            }
            fn unwrap(d: &Dense) -> Option<&DenseMatrix<Self>> {
                match d {
                    Dense::$variant(m) => Some(m),
                    _ => None,
                }
            }
        }
    };
}

dense_elem!(f64, F64);
dense_elem!(f32, F32);
dense_elem!(i64, SI64);
dense_elem!(i32, SI32);
dense_elem!(i8, SI8);
dense_elem!(u64, UI64);
dense_elem!(u32, UI32);
dense_elem!(u8, UI8);
dense_elem!(bool, Bool);
dense_elem!(String, Str);

/// Numeric element types that have a `Csr` variant.
pub trait CsrElem: Num + DenseElem {
    fn wrap_csr(m: CsrMatrix<Self>) -> Csr;
}

macro_rules! csr_elem {
    ($t:ty, $variant:ident) => {
        impl CsrElem for $t {
            fn wrap_csr(m: CsrMatrix<Self>) -> Csr {
                Csr::$variant(m)
            }
        }
    };
}

csr_elem!(f64, F64);
csr_elem!(f32, F32);
csr_elem!(i64, SI64);
csr_elem!(i32, SI32);
csr_elem!(i8, SI8);
csr_elem!(u64, UI64);
csr_elem!(u32, UI32);
csr_elem!(u8, UI8);

/// Converts one number to another type like C++'s `static_cast`.
pub fn convert_num<S: Num, T: Num>(x: S) -> T {
    if T::IS_FLOAT || S::IS_FLOAT { T::from_f64(x.to_f64()) } else { T::from_i128(x.to_i128()) }
}

/// Runs `$body` with `$t` as the Rust element type of value type `$vt` (index is `u64`).
#[macro_export]
macro_rules! with_vt {
    ($vt:expr, $t:ident => $body:expr) => {
        match $vt {
            daphne_ir::ValueType::F64 => {
                type $t = f64;
                $body
            }
            daphne_ir::ValueType::F32 => {
                type $t = f32;
                $body
            }
            daphne_ir::ValueType::SI64 => {
                type $t = i64;
                $body
            }
            daphne_ir::ValueType::SI32 => {
                type $t = i32;
                $body
            }
            daphne_ir::ValueType::SI8 => {
                type $t = i8;
                $body
            }
            daphne_ir::ValueType::UI64 | daphne_ir::ValueType::Index => {
                type $t = u64;
                $body
            }
            daphne_ir::ValueType::UI32 => {
                type $t = u32;
                $body
            }
            daphne_ir::ValueType::UI8 => {
                type $t = u8;
                $body
            }
            daphne_ir::ValueType::Bool => {
                type $t = bool;
                $body
            }
            daphne_ir::ValueType::Str => {
                type $t = String;
                $body
            }
        }
    };
}

/// Like `with_vt!` for numeric value types; strings evaluate `$str`.
#[macro_export]
macro_rules! with_num_vt {
    ($vt:expr, $t:ident => $body:expr, str => $str:expr) => {
        match $vt {
            daphne_ir::ValueType::F64 => {
                type $t = f64;
                $body
            }
            daphne_ir::ValueType::F32 => {
                type $t = f32;
                $body
            }
            daphne_ir::ValueType::SI64 => {
                type $t = i64;
                $body
            }
            daphne_ir::ValueType::SI32 => {
                type $t = i32;
                $body
            }
            daphne_ir::ValueType::SI8 => {
                type $t = i8;
                $body
            }
            daphne_ir::ValueType::UI64 | daphne_ir::ValueType::Index => {
                type $t = u64;
                $body
            }
            daphne_ir::ValueType::UI32 => {
                type $t = u32;
                $body
            }
            daphne_ir::ValueType::UI8 => {
                type $t = u8;
                $body
            }
            daphne_ir::ValueType::Bool => {
                type $t = bool;
                $body
            }
            daphne_ir::ValueType::Str => $str,
        }
    };
}

fn cast_typed<S: Elem, T: DenseElem>(m: &DenseMatrix<S>) -> Result<Dense, String> {
    // Numeric-to-numeric goes through the number; anything involving strings through a scalar.
    let mut values = Vec::with_capacity(m.rows() * m.cols());
    for x in m.iter() {
        values.push(T::from_scalar(&x.to_scalar())?);
    }
    Ok(T::wrap(DenseMatrix::from_vec(m.rows(), m.cols(), values)))
}

fn cast_num<S: Num, T: Num + DenseElem>(m: &DenseMatrix<S>) -> Dense {
    T::wrap(crate::kernels::par::map(m, |x| convert_num::<S, T>(*x)))
}

impl Dense {
    pub fn vt(&self) -> ValueType {
        match self {
            Dense::F64(_) => ValueType::F64,
            Dense::F32(_) => ValueType::F32,
            Dense::SI64(_) => ValueType::SI64,
            Dense::SI32(_) => ValueType::SI32,
            Dense::SI8(_) => ValueType::SI8,
            Dense::UI64(_) => ValueType::UI64,
            Dense::UI32(_) => ValueType::UI32,
            Dense::UI8(_) => ValueType::UI8,
            Dense::Bool(_) => ValueType::Bool,
            Dense::Str(_) => ValueType::Str,
        }
    }

    pub fn rows(&self) -> usize {
        with_dense!(self, m => m.rows())
    }

    pub fn cols(&self) -> usize {
        with_dense!(self, m => m.cols())
    }

    /// The cell at `(r, c)` as a scalar.
    pub fn get(&self, r: usize, c: usize) -> Scalar {
        with_dense!(self, m => m.get(r, c).to_scalar())
    }

    /// A matrix of `rows x cols` cells, all `v` converted to `vt`.
    pub fn filled(vt: ValueType, rows: usize, cols: usize, v: &Scalar) -> Result<Dense, String> {
        with_vt!(vt.storage_vt(), T => Ok(T::wrap(DenseMatrix::filled(rows, cols, T::from_scalar(v)?))))
    }

    /// A matrix from scalars (row-major), converted to `vt`.
    pub fn from_scalars(vt: ValueType, rows: usize, cols: usize, values: &[Scalar]) -> Result<Dense, String> {
        with_vt!(vt.storage_vt(), T => {
            let v = values.iter().map(T::from_scalar).collect::<Result<Vec<T>, String>>()?;
            Ok(T::wrap(DenseMatrix::from_vec(rows, cols, v)))
        })
    }

    /// Converts every cell to value type `vt` (C++ `static_cast`; strings parse like `std::stod`).
    pub fn cast(&self, vt: ValueType) -> Result<Dense, String> {
        let vt = vt.storage_vt();
        if vt == self.vt() {
            return Ok(self.clone());
        }
        with_num_dense!(self, m => {
            with_num_vt!(vt, T => Ok(cast_num::<_, T>(m)), str => cast_typed::<_, String>(m))
        }, s => with_vt!(vt, T => cast_typed::<String, T>(s)))
    }

    pub fn slice_rows(&self, r0: usize, r1: usize) -> Dense {
        with_dense!(self, m => DenseElem::wrap(m.slice_rows(r0, r1)))
    }

    pub fn slice_cols(&self, c0: usize, c1: usize) -> Dense {
        with_dense!(self, m => DenseElem::wrap(m.slice_cols(c0, c1)))
    }

    pub fn transpose(&self) -> Dense {
        with_dense!(self, m => DenseElem::wrap(m.transpose()))
    }

    /// Appends DAPHNE's print format: the header line, then one line per row.
    pub fn print_to(&self, out: &mut String, header: &str) {
        with_dense!(self, m => print_typed(out, header, m))
    }
}

fn print_typed<T: Elem>(out: &mut String, header: &str, m: &DenseMatrix<T>) {
    use std::fmt::Write;
    let _ = writeln!(out, "{header}({}x{}, {})", m.rows(), m.cols(), T::CPP_NAME);
    for r in 0..m.rows() {
        for (c, v) in m.row(r).iter().enumerate() {
            if c > 0 {
                out.push(' ');
            }
            v.write_cpp(out);
        }
        out.push('\n');
    }
}

impl Csr {
    pub fn vt(&self) -> ValueType {
        match self {
            Csr::F64(_) => ValueType::F64,
            Csr::F32(_) => ValueType::F32,
            Csr::SI64(_) => ValueType::SI64,
            Csr::SI32(_) => ValueType::SI32,
            Csr::SI8(_) => ValueType::SI8,
            Csr::UI64(_) => ValueType::UI64,
            Csr::UI32(_) => ValueType::UI32,
            Csr::UI8(_) => ValueType::UI8,
        }
    }

    pub fn to_dense(&self) -> Dense {
        with_csr!(self, m => DenseElem::wrap(m.to_dense()))
    }

    pub fn rows(&self) -> usize {
        with_csr!(self, m => m.rows())
    }

    pub fn cols(&self) -> usize {
        with_csr!(self, m => m.cols())
    }

    pub fn nnz(&self) -> usize {
        with_csr!(self, m => m.nnz())
    }

    /// The CSR form of a dense matrix (`None` for strings and bools, which have no CSR form).
    pub fn from_dense(d: &Dense) -> Option<Csr> {
        Some(match d {
            Dense::F64(m) => Csr::F64(CsrMatrix::from_dense(m)),
            Dense::F32(m) => Csr::F32(CsrMatrix::from_dense(m)),
            Dense::SI64(m) => Csr::SI64(CsrMatrix::from_dense(m)),
            Dense::SI32(m) => Csr::SI32(CsrMatrix::from_dense(m)),
            Dense::SI8(m) => Csr::SI8(CsrMatrix::from_dense(m)),
            Dense::UI64(m) => Csr::UI64(CsrMatrix::from_dense(m)),
            Dense::UI32(m) => Csr::UI32(CsrMatrix::from_dense(m)),
            Dense::UI8(m) => Csr::UI8(CsrMatrix::from_dense(m)),
            Dense::Bool(_) | Dense::Str(_) => return None,
        })
    }
}

impl Matrix {
    pub fn vt(&self) -> ValueType {
        match self {
            Matrix::Dense(d) => d.vt(),
            Matrix::Csr(c) => c.vt(),
        }
    }

    pub fn rows(&self) -> usize {
        match self {
            Matrix::Dense(d) => d.rows(),
            Matrix::Csr(c) => c.rows(),
        }
    }

    pub fn cols(&self) -> usize {
        match self {
            Matrix::Dense(d) => d.cols(),
            Matrix::Csr(c) => c.cols(),
        }
    }

    pub fn is_sparse(&self) -> bool {
        matches!(self, Matrix::Csr(_))
    }

    /// Rows `r0..r1` as a view (no copy).
    pub fn slice_rows(&self, r0: usize, r1: usize) -> Matrix {
        match self {
            Matrix::Dense(d) => Matrix::Dense(d.slice_rows(r0, r1)),
            Matrix::Csr(c) => Matrix::Csr(with_csr!(c, m => CsrElem::wrap_csr(m.slice_rows(r0, r1)))),
        }
    }

    /// What makes two views the same cells: the buffer (weakly held, so a dead buffer is seen as
    /// dead and its address never confused with a new one) and the view's position in it.
    pub fn view_identity(&self) -> (std::sync::Weak<dyn std::any::Any + Send + Sync>, [usize; 5]) {
        match self {
            Matrix::Dense(d) => with_dense!(d, m => m.view_identity()),
            Matrix::Csr(c) => with_csr!(c, m => m.view_identity()),
        }
    }

    /// The dense form (a copy for CSR matrices).
    pub fn dense(&self) -> std::borrow::Cow<'_, Dense> {
        match self {
            Matrix::Dense(d) => std::borrow::Cow::Borrowed(d),
            Matrix::Csr(c) => std::borrow::Cow::Owned(c.to_dense()),
        }
    }

    pub fn into_dense(self) -> Dense {
        match self {
            Matrix::Dense(d) => d,
            Matrix::Csr(c) => c.to_dense(),
        }
    }

    pub fn get(&self, r: usize, c: usize) -> Scalar {
        match self {
            Matrix::Dense(d) => d.get(r, c),
            Matrix::Csr(s) => with_csr!(s, m => m.get(r, c).to_scalar()),
        }
    }

    /// Appends DAPHNE's print format (`DenseMatrix(2x3, double)` or `CSRMatrix(...)`, then rows).
    pub fn print_to(&self, out: &mut String) {
        match self {
            Matrix::Dense(d) => d.print_to(out, "DenseMatrix"),
            Matrix::Csr(c) => c.to_dense().print_to(out, "CSRMatrix"),
        }
    }

    /// The fraction of non-zero cells.
    pub fn sparsity(&self) -> f64 {
        let cells = (self.rows() * self.cols()) as f64;
        if cells == 0.0 {
            return 0.0;
        }
        let nnz = match self {
            Matrix::Csr(c) => c.nnz(),
            Matrix::Dense(d) => with_num_dense!(d, m => m.iter().filter(|x| !x.is_zero()).count(),
                                                s => s.iter().filter(|x| !x.is_empty()).count()),
        };
        nnz as f64 / cells
    }
}

impl From<Dense> for Matrix {
    fn from(d: Dense) -> Matrix {
        Matrix::Dense(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_format() {
        let m = Dense::F64(DenseMatrix::from_vec(2, 2, vec![1.0, 2.5, -0.0, 1e6]));
        let mut s = String::new();
        Matrix::Dense(m).print_to(&mut s);
        assert_eq!(s, "DenseMatrix(2x2, double)\n1 2.5\n-0 1e+06\n");
        let b = Dense::SI8(DenseMatrix::from_vec(1, 2, vec![-1, 7]));
        let mut s = String::new();
        b.print_to(&mut s, "DenseMatrix");
        assert_eq!(s, "DenseMatrix(1x2, int8_t)\n-1 7\n");
    }

    #[test]
    fn casts() {
        let m = Dense::F64(DenseMatrix::from_vec(1, 3, vec![1.7, -2.5, 300.0]));
        assert_eq!(m.cast(ValueType::SI64).unwrap(), Dense::SI64(DenseMatrix::from_vec(1, 3, vec![1, -2, 300])));
        assert_eq!(m.cast(ValueType::UI8).unwrap(), Dense::UI8(DenseMatrix::from_vec(1, 3, vec![1, 0, 255])));
        let s = m.cast(ValueType::Str).unwrap();
        assert_eq!(s.get(0, 0), Scalar::Str("1.700000".into()));
        assert_eq!(s.cast(ValueType::F64).unwrap(), Dense::F64(DenseMatrix::from_vec(1, 3, vec![1.7, -2.5, 300.0])));
    }
}
