//! Attributes of DaphneIR ops: typed constants, strings, symbols, arrays and dense matrix payloads,
//! with their MLIR-like text form (floats print in MLIR's style and always round-trip).

use crate::escape::write_escaped_str;
use crate::types::{Type, ValueType};
use std::fmt;

/// A typed scalar constant: the payload of `daphne.constant` and of matrix literals.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    F64(f64),
    F32(f32),
    SI64(i64),
    SI32(i32),
    SI8(i8),
    UI64(u64),
    UI32(u32),
    UI8(u8),
    Bool(bool),
    Index(i64),
    Str(String),
}

impl Const {
    pub fn value_type(&self) -> ValueType {
        match self {
            Const::F64(_) => ValueType::F64,
            Const::F32(_) => ValueType::F32,
            Const::SI64(_) => ValueType::SI64,
            Const::SI32(_) => ValueType::SI32,
            Const::SI8(_) => ValueType::SI8,
            Const::UI64(_) => ValueType::UI64,
            Const::UI32(_) => ValueType::UI32,
            Const::UI8(_) => ValueType::UI8,
            Const::Bool(_) => ValueType::Bool,
            Const::Index(_) => ValueType::Index,
            Const::Str(_) => ValueType::Str,
        }
    }

    pub fn ty(&self) -> Type {
        Type::Scalar(self.value_type())
    }

    /// The value as an exact integer, for integer and bool constants.
    pub fn as_i128(&self) -> Option<i128> {
        Some(match self {
            Const::SI64(v) | Const::Index(v) => *v as i128,
            Const::SI32(v) => *v as i128,
            Const::SI8(v) => *v as i128,
            Const::UI64(v) => *v as i128,
            Const::UI32(v) => *v as i128,
            Const::UI8(v) => *v as i128,
            Const::Bool(v) => *v as i128,
            _ => return None,
        })
    }

    /// The value as f64, for numeric constants.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Const::F64(v) => Some(*v),
            Const::F32(v) => Some(*v as f64),
            Const::Str(_) => None,
            other => other.as_i128().map(|v| v as f64),
        }
    }

    /// An integer constant of the given integer value type, wrapping like a C++ cast.
    pub fn int_of(vt: ValueType, v: i128) -> Option<Const> {
        Some(match vt {
            ValueType::SI64 => Const::SI64(v as i64),
            ValueType::SI32 => Const::SI32(v as i32),
            ValueType::SI8 => Const::SI8(v as i8),
            ValueType::UI64 => Const::UI64(v as u64),
            ValueType::UI32 => Const::UI32(v as u32),
            ValueType::UI8 => Const::UI8(v as u8),
            ValueType::Index => Const::Index(v as i64),
            ValueType::Bool => Const::Bool(v != 0),
            _ => return None,
        })
    }

    /// Writes the value without its type suffix (as inside `dense<[...]>`).
    fn write_bare(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Const::F64(v) => write_f64(f, *v),
            Const::F32(v) => write_f32(f, *v),
            Const::Bool(v) => write!(f, "{v}"),
            Const::Str(s) => write_escaped_str(f, s),
            other => match other.as_i128() {
                Some(v) => write!(f, "{v}"),
                None => unreachable!("every non-float, non-string constant is an integer"),
            },
        }
    }
}

impl fmt::Display for Const {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_bare(f)?;
        match self {
            Const::Bool(_) | Const::Str(_) => Ok(()),
            other => write!(f, " : {}", other.value_type().ir_name()),
        }
    }
}

/// The cells of a matrix constant, row-major, all of one value type.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseAttr {
    pub vt: ValueType,
    pub rows: u64,
    pub cols: u64,
    pub values: Vec<Const>,
}

/// An attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    /// A typed constant: `3 : si64`, `1.500000e+00 : f64`, `true`, `"text"`.
    Const(Const),
    /// A plain integer, printed bare (used for enum-like attributes such as `splits = [1]`).
    Int(i64),
    /// A symbol reference: `@name`.
    Symbol(String),
    /// A type: `(si64, f64)` lists in function signatures are arrays of types.
    Type(Type),
    Array(Vec<Attr>),
    Dense(DenseAttr),
}

impl Attr {
    pub fn as_const(&self) -> Option<&Const> {
        match self {
            Attr::Const(c) => Some(c),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Attr::Const(Const::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn as_symbol(&self) -> Option<&str> {
        match self {
            Attr::Symbol(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Attr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attr::Const(c) => write!(f, "{c}"),
            Attr::Int(i) => write!(f, "{i}"),
            Attr::Symbol(s) => write_symbol(f, s),
            Attr::Type(t) => write!(f, "{t}"),
            Attr::Array(items) => {
                f.write_str("[")?;
                for (i, a) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str("]")
            }
            Attr::Dense(d) => {
                f.write_str("dense<[")?;
                for (i, c) in d.values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    c.write_bare(f)?;
                }
                write!(f, "]> : tensor<{}x{}x{}>", d.rows, d.cols, d.vt.ir_name())
            }
        }
    }
}

/// Writes `@name`, quoting the name when it is not a plain identifier.
pub fn write_symbol(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    let plain = !name.is_empty()
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$');
    if plain {
        write!(f, "@{name}")
    } else {
        f.write_str("@")?;
        write_escaped_str(f, name)
    }
}

/// MLIR's float style: `1.230000e+00` when six digits represent the value exactly, the shortest
/// exact decimal otherwise, and the bit pattern in hex for infinities and NaN.
pub fn format_f64(v: f64) -> String {
    if !v.is_finite() {
        return format!("0x{:016X}", v.to_bits());
    }
    let short = mlir_exp_format(v);
    if short.parse::<f64>().is_ok_and(|p| p.to_bits() == v.to_bits()) {
        return short;
    }
    exact_decimal(format!("{v:?}"))
}

/// Like [`format_f64`] for single precision.
pub fn format_f32(v: f32) -> String {
    if !v.is_finite() {
        return format!("0x{:08X}", v.to_bits());
    }
    let short = mlir_exp_format(v as f64);
    if short.parse::<f32>().is_ok_and(|p| p.to_bits() == v.to_bits()) {
        return short;
    }
    exact_decimal(format!("{v:?}"))
}

/// Makes sure a shortest-representation float has a `.` so the IR lexer reads it as a float.
fn exact_decimal(s: String) -> String {
    if s.contains('.') {
        return s;
    }
    match s.find('e') {
        Some(pos) => format!("{}.0{}", &s[..pos], &s[pos..]),
        None => format!("{s}.0"),
    }
}

fn mlir_exp_format(v: f64) -> String {
    // Rust prints `1.230000e0`; MLIR prints `1.230000e+00`.
    let s = format!("{v:.6e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn write_f64(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    f.write_str(&format_f64(v))
}

fn write_f32(f: &mut fmt::Formatter<'_>, v: f32) -> fmt::Result {
    f.write_str(&format_f32(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_mlir() {
        assert_eq!(format_f64(1.23), "1.230000e+00");
        assert_eq!(format_f64(14.0), "1.400000e+01");
        assert_eq!(format_f64(1e-7), "1.000000e-07");
        assert_eq!(format_f64(0.123456789), "0.123456789");
        assert_eq!(format_f64(f64::INFINITY), "0x7FF0000000000000");
        assert_eq!(format_f64(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_f64(1.0000000000000002e300), "1.0000000000000002e300");
        assert_eq!(format_f32(0.1), "1.000000e-01");
    }

    #[test]
    fn constants_print_with_types() {
        assert_eq!(Const::SI64(3).to_string(), "3 : si64");
        assert_eq!(Const::Bool(true).to_string(), "true");
        assert_eq!(Const::Str("a\"b\n".into()).to_string(), "\"a\\\"b\\0A\"");
        assert_eq!(Const::UI8(200).to_string(), "200 : ui8");
    }
}
