//! The value types of `op_table!`'s columns (see `ops.rs`): what an op computes (its [`Family`]
//! and function: [`UnaryFn`], [`BinaryFn`], [`AggFn`] over an [`Axis`]) and how it runs on a batch
//! of rows ([`VecRule`]: a [`SplitRule`] and a [`Combine`], with the [`Split`] of each input).
//! A leaf module so that the table (`ops`) can name them and `vector` can read the table without
//! the two importing each other; `ops` re-exports the family types, `vector` the vectorization
//! types.

/// Unary elementwise functions (`daphne.ewMinus`, `daphne.ewSqrt`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryFn {
    Minus,
    Abs,
    Sign,
    Exp,
    Ln,
    Sqrt,
    Round,
    Floor,
    Ceil,
    Sin,
    Cos,
    Tan,
    Sinh,
    Cosh,
    Tanh,
    Asin,
    Acos,
    Atan,
    IsNan,
    Lower,
    Upper,
}

/// Binary functions, applied elementwise (`daphne.ewAdd`) or to every pair of a column and a
/// row vector (`daphne.outerAdd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryFn {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Mod,
    Log,
    Min,
    Max,
    And,
    Or,
    Xor,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
}

impl BinaryFn {
    /// Whether the function compares its operands (the result is 1 or 0).
    pub fn is_comparison(self) -> bool {
        matches!(self, BinaryFn::Eq | BinaryFn::Neq | BinaryFn::Lt | BinaryFn::Le | BinaryFn::Gt | BinaryFn::Ge)
    }

    /// How error messages name the function (DaphneDSL's operator where there is one).
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryFn::Add => "+",
            BinaryFn::Sub => "-",
            BinaryFn::Mul => "*",
            BinaryFn::Div => "/",
            BinaryFn::Pow => "^",
            BinaryFn::Mod => "%",
            BinaryFn::Log => "log",
            BinaryFn::Min => "min",
            BinaryFn::Max => "max",
            BinaryFn::And => "&&",
            BinaryFn::Or => "||",
            BinaryFn::Xor => "xor",
            BinaryFn::Eq => "==",
            BinaryFn::Neq => "!=",
            BinaryFn::Lt => "<",
            BinaryFn::Le => "<=",
            BinaryFn::Gt => ">",
            BinaryFn::Ge => ">=",
            BinaryFn::Concat => "concat",
        }
    }
}

/// Aggregation functions (full, row-wise, column-wise, grouped, cumulative).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggFn {
    Sum,
    Min,
    Max,
    Mean,
    Var,
    Stddev,
    IdxMin,
    IdxMax,
    Count,
    Prod,
}

/// Where an aggregation reduces: over all cells (a scalar), per row (an n x 1 matrix) or per
/// column (a 1 x m matrix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Axis {
    All,
    Row,
    Col,
}

/// What an op computes, for the ops that come in families of one kernel with a function
/// argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// An elementwise unary op (`daphne.ewSqrt`).
    Unary(UnaryFn),
    /// An elementwise binary op with broadcasting (`daphne.ewAdd`).
    Binary(BinaryFn),
    /// A binary function of a column vector and a row vector (`daphne.outerAdd`).
    Outer(BinaryFn),
    /// An aggregation over all cells, rows or columns (`daphne.sumRow`).
    Agg(AggFn, Axis),
    /// An aggregation per group of rows (`daphne.sumGrp`).
    Grouped(AggFn),
    /// A cumulative aggregation down the columns (`daphne.sumCum`).
    Cumulative(AggFn),
    /// Any other op.
    Other,
}

/// How a pipeline input reaches a batch. The numbers are DAPHNE's `VectorSplit` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// Every batch sees the whole input (a scalar, a broadcast matrix).
    None = 0,
    /// Every batch sees its row range of the input.
    Rows = 1,
}

/// How the per-batch values of an output become the result. The numbers are DAPHNE's
/// `VectorCombine` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Combine {
    /// Batch results are stacked vertically (row range of the batch).
    Rows = 1,
    /// Batch results are placed side by side (column range = the batch's row range).
    Cols = 2,
    /// Batch results are added up.
    Add = 3,
    /// The elementwise minimum of the batch results.
    Min = 4,
    /// The elementwise maximum of the batch results.
    Max = 5,
}

impl Split {
    pub fn from_code(c: i64) -> Option<Split> {
        match c {
            0 => Some(Split::None),
            1 => Some(Split::Rows),
            _ => None,
        }
    }
}

impl Combine {
    pub fn from_code(c: i64) -> Option<Combine> {
        match c {
            1 => Some(Combine::Rows),
            2 => Some(Combine::Cols),
            3 => Some(Combine::Add),
            4 => Some(Combine::Min),
            5 => Some(Combine::Max),
            _ => None,
        }
    }

    /// Whether batch results are reduced into one value (rather than placed side by side).
    pub fn is_reduction(self) -> bool {
        matches!(self, Combine::Add | Combine::Min | Combine::Max)
    }
}

/// Which matrix operands of an op are read row by row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitRule {
    /// Every matrix operand.
    All,
    /// Only the first operand; the others are needed whole.
    First,
}

/// How an op runs on a batch of rows: the split of each operand (for operands that are
/// matrices; scalar operands are never split) and the combine of its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VecRule {
    pub splits: SplitRule,
    pub combine: Combine,
}

impl VecRule {
    /// The split of operand `i` when it is a matrix.
    pub fn split(&self, i: usize) -> Split {
        match self.splits {
            SplitRule::All => Split::Rows,
            SplitRule::First if i == 0 => Split::Rows,
            SplitRule::First => Split::None,
        }
    }
}
