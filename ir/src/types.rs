//! The DaphneIR type system: value types (the element types of scalars and matrices), data types
//! (scalar, matrix, frame, list) with optional properties, and their MLIR-like text form.

use std::fmt;

/// The value types of DaphneDSL (plus `index`, the type of sizes and positions).
///
/// The order of the variants is DAPHNE's generality order (least general first), used to find the
/// result value type of an operation over mixed value types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    Bool,
    SI8,
    UI8,
    SI32,
    UI32,
    Index,
    SI64,
    UI64,
    F32,
    F64,
    Str,
}

impl ValueType {
    pub const ALL: [ValueType; 11] = [
        ValueType::Bool,
        ValueType::SI8,
        ValueType::UI8,
        ValueType::SI32,
        ValueType::UI32,
        ValueType::Index,
        ValueType::SI64,
        ValueType::UI64,
        ValueType::F32,
        ValueType::F64,
        ValueType::Str,
    ];

    /// The name in IR text (`i1` for bool and `!daphne.String` for strings, as in DAPHNE).
    pub fn ir_name(self) -> &'static str {
        match self {
            ValueType::F64 => "f64",
            ValueType::F32 => "f32",
            ValueType::SI64 => "si64",
            ValueType::SI32 => "si32",
            ValueType::SI8 => "si8",
            ValueType::UI64 => "ui64",
            ValueType::UI32 => "ui32",
            ValueType::UI8 => "ui8",
            ValueType::Bool => "i1",
            ValueType::Index => "index",
            ValueType::Str => "!daphne.String",
        }
    }

    /// The name in DaphneDSL source (`as.si64(x)`, `matrix<f64>`).
    pub fn dsl_name(self) -> &'static str {
        match self {
            ValueType::Bool => "bool",
            ValueType::Str => "str",
            ValueType::Index => "index",
            other => other.ir_name(),
        }
    }

    /// Parses a DaphneDSL value-type keyword (`f64`, `si8`, `str`, `bool`, ...).
    pub fn from_dsl_name(name: &str) -> Option<ValueType> {
        Some(match name {
            "f64" => ValueType::F64,
            "f32" => ValueType::F32,
            "si64" => ValueType::SI64,
            "si32" => ValueType::SI32,
            "si8" => ValueType::SI8,
            "ui64" => ValueType::UI64,
            "ui32" => ValueType::UI32,
            "ui8" => ValueType::UI8,
            "bool" => ValueType::Bool,
            "str" => ValueType::Str,
            _ => return None,
        })
    }

    /// Parses a value-type name of IR text.
    pub fn from_ir_name(name: &str) -> Option<ValueType> {
        Some(match name {
            "i1" => ValueType::Bool,
            "index" => ValueType::Index,
            "!daphne.String" => ValueType::Str,
            "bool" | "str" => return None,
            other => return ValueType::from_dsl_name(other),
        })
    }

    pub fn is_float(self) -> bool {
        matches!(self, ValueType::F64 | ValueType::F32)
    }

    pub fn is_int(self) -> bool {
        matches!(
            self,
            ValueType::SI64
                | ValueType::SI32
                | ValueType::SI8
                | ValueType::UI64
                | ValueType::UI32
                | ValueType::UI8
                | ValueType::Index
        )
    }

    pub fn is_numeric(self) -> bool {
        self.is_float() || self.is_int() || self == ValueType::Bool
    }

    /// The more general of two value types (DAPHNE's `mostGeneralVt`).
    pub fn most_general(self, other: ValueType) -> ValueType {
        self.max(other)
    }

    /// The value type cells are stored in: `index` is stored as `ui64` (matrices of positions
    /// are `uint64_t` matrices in the kernels and in generated code), every other type as itself.
    pub fn storage_vt(self) -> ValueType {
        if self == ValueType::Index { ValueType::UI64 } else { self }
    }

    /// Bytes of one matrix cell of this type; `None` for strings (their size varies).
    pub fn cell_bytes(self) -> Option<u64> {
        Some(match self {
            ValueType::F64 | ValueType::SI64 | ValueType::UI64 | ValueType::Index => 8,
            ValueType::F32 | ValueType::SI32 | ValueType::UI32 => 4,
            ValueType::SI8 | ValueType::UI8 | ValueType::Bool => 1,
            ValueType::Str => return None,
        })
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ir_name())
    }
}

/// The physical representation a matrix is known to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Repr {
    #[default]
    Default,
    Dense,
    Sparse,
}

/// A matrix type: dimensions (`None` = unknown), value type (`None` = unknown) and properties.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MatrixType {
    pub rows: Option<u64>,
    pub cols: Option<u64>,
    pub vt: Option<ValueType>,
    /// Fraction of non-zero cells, if known.
    pub sparsity: Option<f64>,
    pub repr: Repr,
    pub symmetric: Option<bool>,
}

impl MatrixType {
    /// A matrix of unknown shape and properties with the given value type.
    pub fn of(vt: Option<ValueType>) -> MatrixType {
        MatrixType { vt, ..MatrixType::default() }
    }

    /// The same value type, everything else unknown (DAPHNE's `withSameElementType`).
    pub fn with_same_vt(&self) -> MatrixType {
        MatrixType::of(self.vt)
    }
}

/// A frame type: shape, per-column value types and optional labels.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FrameType {
    pub rows: Option<u64>,
    pub cols: Option<u64>,
    /// Value type per column; `None` entries are unknown. A single `None` means "unknown columns".
    pub column_types: Vec<Option<ValueType>>,
    pub labels: Option<Vec<String>>,
}

impl FrameType {
    pub fn with_columns(column_types: Vec<Option<ValueType>>) -> FrameType {
        FrameType { column_types, ..FrameType::default() }
    }

    /// The same column types, shape and labels unknown.
    pub fn with_same_column_types(&self) -> FrameType {
        FrameType::with_columns(self.column_types.clone())
    }

    /// The most general column value type, if all are known.
    pub fn most_general_vt(&self) -> Option<ValueType> {
        let mut res: Option<ValueType> = None;
        for ct in &self.column_types {
            let ct = (*ct)?;
            res = Some(res.map_or(ct, |r| r.most_general(ct)));
        }
        res
    }
}

/// A DaphneIR type.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Type {
    /// Not known yet (inferred later).
    #[default]
    Unknown,
    Scalar(ValueType),
    Matrix(MatrixType),
    Frame(FrameType),
    /// A list of data objects (DaphneDSL lists hold matrices).
    List(Box<Type>),
    /// A handle of the low-level I/O builtins (`openFile`, `openDevice`, `openFileOnTarget`).
    Opaque(Opaque),
}

/// The handle types of the low-level I/O builtins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opaque {
    File,
    Target,
    Descriptor,
}

impl Opaque {
    pub fn ir_name(self) -> &'static str {
        match self {
            Opaque::File => "!daphne.File",
            Opaque::Target => "!daphne.Target",
            Opaque::Descriptor => "!daphne.Descriptor",
        }
    }
}

impl Type {
    pub const F64: Type = Type::Scalar(ValueType::F64);
    pub const SI64: Type = Type::Scalar(ValueType::SI64);
    pub const BOOL: Type = Type::Scalar(ValueType::Bool);
    pub const INDEX: Type = Type::Scalar(ValueType::Index);
    pub const STR: Type = Type::Scalar(ValueType::Str);

    pub fn matrix_of(vt: Option<ValueType>) -> Type {
        Type::Matrix(MatrixType::of(vt))
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Type::Unknown)
    }

    pub fn is_scalar(&self) -> bool {
        matches!(self, Type::Scalar(_))
    }

    pub fn is_matrix(&self) -> bool {
        matches!(self, Type::Matrix(_))
    }

    pub fn is_frame(&self) -> bool {
        matches!(self, Type::Frame(_))
    }

    pub fn is_str(&self) -> bool {
        matches!(self, Type::Scalar(ValueType::Str))
    }

    /// Matrix, frame or list: the "data objects" of DaphneDSL.
    pub fn is_object(&self) -> bool {
        matches!(self, Type::Matrix(_) | Type::Frame(_) | Type::List(_))
    }

    /// The value type of a scalar, the element type of a matrix, the most general column type of a
    /// frame; `None` if unknown.
    pub fn value_type(&self) -> Option<ValueType> {
        match self {
            Type::Scalar(vt) => Some(*vt),
            Type::Matrix(m) => m.vt,
            Type::Frame(f) => f.most_general_vt(),
            Type::List(elem) => elem.value_type(),
            Type::Unknown | Type::Opaque(_) => None,
        }
    }

    /// How the type is written in DaphneDSL (`si64`, `str`, `matrix<f64>`, `frame`), for messages.
    pub fn dsl_name(&self) -> String {
        match self {
            Type::Unknown => "unknown".to_string(),
            Type::Scalar(vt) => vt.dsl_name().to_string(),
            Type::Matrix(m) => match m.vt {
                Some(vt) => format!("matrix<{}>", vt.dsl_name()),
                None => "matrix".to_string(),
            },
            Type::Frame(_) => "frame".to_string(),
            Type::List(elem) => format!("list<{}>", elem.dsl_name()),
            Type::Opaque(_) => "handle".to_string(),
        }
    }

    /// The DaphneDSL name of the data type, for messages.
    pub fn data_type_name(&self) -> &'static str {
        match self {
            Type::Unknown => "unknown",
            Type::Scalar(_) => "scalar",
            Type::Matrix(_) => "matrix",
            Type::Frame(_) => "frame",
            Type::List(_) => "list",
            Type::Opaque(_) => "handle",
        }
    }

    /// Equality where unknown value types and unknown properties match anything (DAPHNE's
    /// `equalUnknownAware`, extended to shapes and properties).
    pub fn compatible(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Unknown, _) | (_, Type::Unknown) => true,
            (Type::Scalar(a), Type::Scalar(b)) => a == b,
            (Type::Matrix(a), Type::Matrix(b)) => {
                opt_compatible(&a.vt, &b.vt) && opt_compatible(&a.rows, &b.rows) && opt_compatible(&a.cols, &b.cols)
            }
            (Type::Frame(_), Type::Frame(_)) => true,
            (Type::List(a), Type::List(b)) => a.compatible(b),
            (Type::Opaque(a), Type::Opaque(b)) => a == b,
            _ => false,
        }
    }

    /// The type that keeps what two types have in common and makes the rest unknown (DAPHNE's
    /// `getTypeWithCommonInfo`). `None` if the data types differ (matrix vs. scalar, ...).
    pub fn common_info(&self, other: &Type) -> Option<Type> {
        fn same<T: PartialEq + Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
            if a == b { a.clone() } else { None }
        }
        match (self, other) {
            (Type::Unknown, _) | (_, Type::Unknown) => Some(Type::Unknown),
            (Type::Matrix(a), Type::Matrix(b)) => Some(Type::Matrix(MatrixType {
                rows: same(&a.rows, &b.rows),
                cols: same(&a.cols, &b.cols),
                vt: same(&a.vt, &b.vt),
                sparsity: same(&a.sparsity, &b.sparsity),
                repr: if a.repr == b.repr { a.repr } else { Repr::Default },
                symmetric: same(&a.symmetric, &b.symmetric),
            })),
            (Type::Frame(a), Type::Frame(b)) => {
                let column_types = if a.column_types.len() == b.column_types.len() {
                    a.column_types.iter().zip(&b.column_types).map(|(x, y)| same(x, y)).collect()
                } else {
                    vec![None]
                };
                Some(Type::Frame(FrameType {
                    rows: same(&a.rows, &b.rows),
                    cols: same(&a.cols, &b.cols),
                    column_types,
                    labels: same(&a.labels, &b.labels),
                }))
            }
            (Type::List(a), Type::List(b)) => a.common_info(b).map(|t| Type::List(Box::new(t))),
            (Type::Matrix(_) | Type::Frame(_) | Type::List(_), _)
            | (_, Type::Matrix(_) | Type::Frame(_) | Type::List(_)) => None,
            _ => Some(if self == other { self.clone() } else { Type::Unknown }),
        }
    }
}

fn opt_compatible<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

fn write_dim(f: &mut fmt::Formatter<'_>, d: Option<u64>) -> fmt::Result {
    match d {
        Some(n) => write!(f, "{n}"),
        None => f.write_str("?"),
    }
}

fn write_vt(f: &mut fmt::Formatter<'_>, vt: Option<ValueType>) -> fmt::Result {
    match vt {
        Some(vt) => f.write_str(vt.ir_name()),
        None => f.write_str("!daphne.Unknown"),
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Unknown => f.write_str("!daphne.Unknown"),
            Type::Scalar(vt) => f.write_str(vt.ir_name()),
            Type::Matrix(m) => {
                f.write_str("!daphne.Matrix<")?;
                write_dim(f, m.rows)?;
                f.write_str("x")?;
                write_dim(f, m.cols)?;
                f.write_str("x")?;
                write_vt(f, m.vt)?;
                if let Some(sp) = m.sparsity {
                    write!(f, ":sp[{sp:?}]")?;
                }
                match m.repr {
                    Repr::Default => {}
                    Repr::Dense => f.write_str(":rep[dense]")?,
                    Repr::Sparse => f.write_str(":rep[sparse]")?,
                }
                if let Some(sym) = m.symmetric {
                    write!(f, ":symmetric[{sym}]")?;
                }
                f.write_str(">")
            }
            Type::Frame(fr) => {
                f.write_str("!daphne.Frame<")?;
                write_dim(f, fr.rows)?;
                f.write_str("x[")?;
                write_dim(f, fr.cols)?;
                f.write_str(": ")?;
                for (i, ct) in fr.column_types.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_vt(f, *ct)?;
                }
                f.write_str("], ")?;
                match &fr.labels {
                    Some(labels) => {
                        f.write_str("[")?;
                        for (i, l) in labels.iter().enumerate() {
                            if i > 0 {
                                f.write_str(", ")?;
                            }
                            crate::escape::write_escaped_str(f, l)?;
                        }
                        f.write_str("]")?;
                    }
                    None => f.write_str("?")?,
                }
                f.write_str(">")
            }
            Type::List(elem) => write!(f, "!daphne.List<{elem}>"),
            Type::Opaque(o) => f.write_str(o.ir_name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generality_follows_daphne() {
        assert_eq!(ValueType::SI64.most_general(ValueType::F64), ValueType::F64);
        assert_eq!(ValueType::SI8.most_general(ValueType::UI8), ValueType::UI8);
        assert_eq!(ValueType::UI64.most_general(ValueType::SI64), ValueType::UI64);
        assert_eq!(ValueType::Bool.most_general(ValueType::SI8), ValueType::SI8);
        assert_eq!(ValueType::Str.most_general(ValueType::F64), ValueType::Str);
    }

    #[test]
    fn matrix_type_text() {
        let t = Type::Matrix(MatrixType {
            rows: Some(3),
            cols: None,
            vt: Some(ValueType::F64),
            symmetric: Some(true),
            ..MatrixType::default()
        });
        assert_eq!(t.to_string(), "!daphne.Matrix<3x?xf64:symmetric[true]>");
        assert_eq!(Type::matrix_of(None).to_string(), "!daphne.Matrix<?x?x!daphne.Unknown>");
    }

    #[test]
    fn common_info_drops_differences() {
        let a = Type::Matrix(MatrixType { rows: Some(2), vt: Some(ValueType::F64), ..Default::default() });
        let b = Type::Matrix(MatrixType { rows: Some(3), vt: Some(ValueType::F64), ..Default::default() });
        assert_eq!(a.common_info(&b), Some(Type::matrix_of(Some(ValueType::F64))));
        assert_eq!(Type::SI64.common_info(&Type::F64), Some(Type::Unknown));
        assert_eq!(Type::SI64.common_info(&a), None);
    }
}
