//! The element types a matrix can hold and their C++ semantics: conversions behave like
//! `static_cast` (and `std::stod`/`std::to_string` for strings), arithmetic like C++ on the type
//! (wrapping integers, IEEE floats), printing like `std::ostream <<`.

use crate::format::{fmt_g, to_string_f};
use daphne_ir::{Const, ValueType};
use std::fmt::Debug;

/// A scalar value at run time (the same representation as IR constants).
pub type Scalar = Const;

/// An element type of matrices.
pub trait Elem: Clone + Default + PartialEq + Debug + Send + Sync + 'static {
    /// The value type, as DaphneIR names it.
    const VT: ValueType;
    /// The C++ type name DAPHNE prints in `DenseMatrix(2x2, double)`.
    const CPP_NAME: &'static str;
    /// Converts a scalar like C++'s `static_cast` (strings are parsed like `std::stod`).
    fn from_scalar(s: &Scalar) -> Result<Self, String>;
    fn to_scalar(&self) -> Scalar;
    /// Appends the value as `std::cout << v` prints it.
    fn write_cpp(&self, out: &mut String);
    /// The value as `std::to_string` makes it.
    fn to_cpp_string(&self) -> String;
}

/// A numeric element type.
pub trait Num: Elem + Copy + PartialOrd {
    const IS_FLOAT: bool;
    const IS_SIGNED: bool;
    fn to_f64(self) -> f64;
    /// `static_cast<T>(double)`: truncation toward zero for integers (saturating where C++ is
    /// undefined).
    fn from_f64(v: f64) -> Self;
    /// The value as an integer (truncated for floats).
    fn to_i128(self) -> i128;
    /// `static_cast<T>` of an integer: wraps to the type's width.
    fn from_i128(v: i128) -> Self;
    fn zero() -> Self;
    fn one() -> Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// `a / b`; integer division by zero is reported by the caller beforehand.
    fn div(self, o: Self) -> Self;
    fn neg(self) -> Self;
    fn is_zero(self) -> bool {
        self == Self::zero()
    }
    fn from_bool(b: bool) -> Self {
        if b { Self::one() } else { Self::zero() }
    }
    fn to_bool(self) -> bool {
        !self.is_zero()
    }
    fn is_nan(self) -> bool {
        false
    }
    /// The largest value (`+inf` for floats): the neutral element of `min`.
    fn max_value() -> Self;
    /// The smallest value (`-inf` for floats): the neutral element of `max`.
    fn min_value() -> Self;
}

fn parse_err(s: &str, what: &str) -> String {
    format!("cannot convert the string \"{s}\" to {what}")
}

/// `std::stoll`/`std::stoull`: leading whitespace, optional sign, digits; the rest is ignored.
fn parse_int_prefix(s: &str) -> Option<i128> {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 {
        return None;
    }
    let v: i128 = digits[..end].parse().ok()?;
    Some(if neg { -v } else { v })
}

/// `std::stod`: leading whitespace, the longest prefix that is a number (also `inf`, `nan`).
fn parse_float_prefix(s: &str) -> Option<f64> {
    let t = s.trim_start();
    let mut best = None;
    for end in (1..=t.len()).rev() {
        if !t.is_char_boundary(end) {
            continue;
        }
        let cand = &t[..end];
        if cand.ends_with(['e', 'E', '+', '-']) {
            continue;
        }
        if let Ok(v) = cand.parse::<f64>() {
            best = Some(v);
            break;
        }
    }
    best
}

macro_rules! int_elem {
    ($t:ty, $vt:expr, $cpp:expr, $variant:ident, $signed:expr) => {
        impl Elem for $t {
            const VT: ValueType = $vt;
            const CPP_NAME: &'static str = $cpp;
            fn from_scalar(s: &Scalar) -> Result<Self, String> {
                Ok(match s {
                    Const::F64(v) => <$t as Num>::from_f64(*v),
                    Const::F32(v) => <$t as Num>::from_f64(*v as f64),
                    Const::Str(st) => <$t as Num>::from_i128(parse_int_prefix(st).ok_or_else(|| parse_err(st, $cpp))?),
                    other => <$t as Num>::from_i128(other.as_i128().unwrap_or(0)),
                })
            }
            fn to_scalar(&self) -> Scalar {
                Const::$variant(*self)
            }
            fn write_cpp(&self, out: &mut String) {
                use std::fmt::Write;
                let _ = write!(out, "{}", self);
            }
            fn to_cpp_string(&self) -> String {
                self.to_string()
            }
        }

        impl Num for $t {
            const IS_FLOAT: bool = false;
            const IS_SIGNED: bool = $signed;
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn to_i128(self) -> i128 {
                self as i128
            }
            fn from_i128(v: i128) -> Self {
                v as $t
            }
            fn zero() -> Self {
                0
            }
            fn one() -> Self {
                1
            }
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            fn div(self, o: Self) -> Self {
                if o == 0 { 0 } else { self.wrapping_div(o) }
            }
            fn neg(self) -> Self {
                self.wrapping_neg()
            }
            fn max_value() -> Self {
                <$t>::MAX
            }
            fn min_value() -> Self {
                <$t>::MIN
            }
        }
    };
}

int_elem!(i64, ValueType::SI64, "int64_t", SI64, true);
int_elem!(i32, ValueType::SI32, "int32_t", SI32, true);
int_elem!(i8, ValueType::SI8, "int8_t", SI8, true);
int_elem!(u64, ValueType::UI64, "uint64_t", UI64, false);
int_elem!(u32, ValueType::UI32, "uint32_t", UI32, false);
int_elem!(u8, ValueType::UI8, "uint8_t", UI8, false);

macro_rules! float_elem {
    ($t:ty, $vt:expr, $cpp:expr, $variant:ident) => {
        impl Elem for $t {
            const VT: ValueType = $vt;
            const CPP_NAME: &'static str = $cpp;
            fn from_scalar(s: &Scalar) -> Result<Self, String> {
                Ok(match s {
                    Const::F64(v) => *v as $t,
                    Const::F32(v) => *v as $t,
                    Const::UI64(v) => *v as $t,
                    Const::Str(st) => parse_float_prefix(st).ok_or_else(|| parse_err(st, $cpp))? as $t,
                    other => other.as_i128().unwrap_or(0) as $t,
                })
            }
            fn to_scalar(&self) -> Scalar {
                Const::$variant(*self)
            }
            fn write_cpp(&self, out: &mut String) {
                out.push_str(&fmt_g(*self as f64));
            }
            fn to_cpp_string(&self) -> String {
                to_string_f(*self as f64)
            }
        }

        impl Num for $t {
            const IS_FLOAT: bool = true;
            const IS_SIGNED: bool = true;
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn to_i128(self) -> i128 {
                self as i128
            }
            fn from_i128(v: i128) -> Self {
                v as $t
            }
            fn zero() -> Self {
                0.0
            }
            fn one() -> Self {
                1.0
            }
            fn add(self, o: Self) -> Self {
                self + o
            }
            fn sub(self, o: Self) -> Self {
                self - o
            }
            fn mul(self, o: Self) -> Self {
                self * o
            }
            fn div(self, o: Self) -> Self {
                self / o
            }
            fn neg(self) -> Self {
                -self
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn max_value() -> Self {
                <$t>::INFINITY
            }
            fn min_value() -> Self {
                <$t>::NEG_INFINITY
            }
        }
    };
}

float_elem!(f64, ValueType::F64, "double", F64);
float_elem!(f32, ValueType::F32, "float", F32);

impl Elem for bool {
    const VT: ValueType = ValueType::Bool;
    const CPP_NAME: &'static str = "bool";
    fn from_scalar(s: &Scalar) -> Result<Self, String> {
        Ok(match s {
            Const::Str(st) => parse_int_prefix(st).ok_or_else(|| parse_err(st, "bool"))? != 0,
            other => other.as_f64().is_some_and(|v| v != 0.0),
        })
    }
    fn to_scalar(&self) -> Scalar {
        Const::Bool(*self)
    }
    fn write_cpp(&self, out: &mut String) {
        out.push(if *self { '1' } else { '0' });
    }
    fn to_cpp_string(&self) -> String {
        (if *self { "1" } else { "0" }).to_string()
    }
}

impl Num for bool {
    const IS_FLOAT: bool = false;
    const IS_SIGNED: bool = false;
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn to_i128(self) -> i128 {
        self as i128
    }
    fn from_i128(v: i128) -> Self {
        v != 0
    }
    fn zero() -> Self {
        false
    }
    fn one() -> Self {
        true
    }
    fn add(self, o: Self) -> Self {
        self || o
    }
    fn sub(self, o: Self) -> Self {
        self != o
    }
    fn mul(self, o: Self) -> Self {
        self && o
    }
    fn div(self, o: Self) -> Self {
        o && self
    }
    fn neg(self) -> Self {
        self
    }
    fn max_value() -> Self {
        true
    }
    fn min_value() -> Self {
        false
    }
}

impl Elem for String {
    const VT: ValueType = ValueType::Str;
    const CPP_NAME: &'static str = "std::string";
    fn from_scalar(s: &Scalar) -> Result<Self, String> {
        Ok(scalar_to_string(s))
    }
    fn to_scalar(&self) -> Scalar {
        Const::Str(self.clone())
    }
    fn write_cpp(&self, out: &mut String) {
        out.push_str(self);
    }
    fn to_cpp_string(&self) -> String {
        self.clone()
    }
}

/// `std::to_string` of a scalar (strings stay as they are), as DAPHNE's casts to `str` do.
pub fn scalar_to_string(s: &Scalar) -> String {
    match s {
        Const::F64(v) => to_string_f(*v),
        Const::F32(v) => to_string_f(*v as f64),
        Const::Str(st) => st.clone(),
        Const::Bool(b) => (if *b { "1" } else { "0" }).to_string(),
        Const::UI64(v) => v.to_string(),
        Const::Index(v) => (*v as u64).to_string(),
        other => other.as_i128().unwrap_or(0).to_string(),
    }
}

/// `std::cout << v` of a scalar (`int8_t` and `uint8_t` as numbers, bools as 0/1, sizes unsigned).
pub fn scalar_to_cpp(s: &Scalar) -> String {
    match s {
        Const::F64(v) => fmt_g(*v),
        Const::F32(v) => fmt_g(*v as f64),
        Const::Str(st) => st.clone(),
        Const::Bool(b) => (if *b { "1" } else { "0" }).to_string(),
        Const::UI64(v) => v.to_string(),
        Const::Index(v) => (*v as u64).to_string(),
        other => other.as_i128().unwrap_or(0).to_string(),
    }
}

/// The C++ type name of a value type (as in `typeOf` and matrix headers; `index` is `size_t`,
/// which is `uint64_t` on the platforms DAPHNE runs on).
pub fn cpp_name(vt: ValueType) -> &'static str {
    match vt {
        ValueType::F64 => "double",
        ValueType::F32 => "float",
        ValueType::SI64 => "int64_t",
        ValueType::SI32 => "int32_t",
        ValueType::SI8 => "int8_t",
        ValueType::UI64 | ValueType::Index => "uint64_t",
        ValueType::UI32 => "uint32_t",
        ValueType::UI8 => "uint8_t",
        ValueType::Bool => "bool",
        ValueType::Str => "std::string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_cpp() {
        assert_eq!(i64::from_scalar(&Const::F64(-2.7)).unwrap(), -2);
        assert_eq!(u8::from_scalar(&Const::SI64(300)).unwrap(), 44);
        assert_eq!(i64::from_scalar(&Const::Str(" 42abc".into())).unwrap(), 42);
        assert_eq!(f64::from_scalar(&Const::Str("1.5e2x".into())).unwrap(), 150.0);
        assert!(f64::from_scalar(&Const::Str("abc".into())).is_err());
        assert!(bool::from_scalar(&Const::F64(0.5)).unwrap());
        assert_eq!(String::from_scalar(&Const::F64(1.5)).unwrap(), "1.500000");
        assert_eq!(scalar_to_cpp(&Const::SI8(-5)), "-5");
        assert_eq!(scalar_to_cpp(&Const::Index(-1)), "18446744073709551615");
    }
}
