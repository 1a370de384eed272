//! The closed set of DaphneIR operations, generated from one table: each row gives the op's text
//! name (DAPHNE's), its operand and result counts, its regions, how its result types are inferred,
//! its traits, its family (which function of which kernel family it computes), its vectorization
//! rule, whether the code generator compiles it and whether it may run in a task on a distributed
//! worker. Everything else (verifier, printer, parser, inference, passes, kernels, code generator)
//! reads this table instead of listing op kinds by hand.

pub use crate::columns::{AggFn, Axis, BinaryFn, Family, UnaryFn};
use crate::columns::{Combine, SplitRule, VecRule};
use crate::types::ValueType;
use std::collections::HashMap;
use std::sync::OnceLock;

/// How many operands or results an op takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    Exact(usize),
    AtLeast(usize),
    Between(usize, usize),
}

impl Arity {
    pub fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Exact(k) => n == k,
            Arity::AtLeast(k) => n >= k,
            Arity::Between(lo, hi) => (lo..=hi).contains(&n),
        }
    }
}

impl std::fmt::Display for Arity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arity::Exact(k) => write!(f, "{k}"),
            Arity::AtLeast(k) => write!(f, "at least {k}"),
            Arity::Between(lo, hi) => write!(f, "{lo} to {hi}"),
        }
    }
}

/// How the result types of an op follow from its operand types (DAPHNE's type-inference traits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeRule {
    /// Result types are set by whoever builds the op (calls, casts, control flow, reads, ...).
    Keep,
    /// Inferred by a dedicated rule in `infer.rs`.
    Custom,
    /// Data type from the arguments (frame > matrix > scalar), most general value type.
    EwFromArgs,
    /// Like `EwFromArgs`, but integer value types become `f64`.
    EwFromArgsFp,
    /// Like `EwFromArgs`, but strings compare to `si64` (DAPHNE's `ValueTypeCmp`).
    EwCmp,
    /// Like `EwFromArgs`, with a string value type.
    EwStr,
    /// Like `EwFromArgs`, but non-integer value types become `ui64` (logical operations).
    EwFromArgsInt,
    /// A matrix with the most general value type of the arguments, made an integer (`ui64`).
    MatArgsInt,
    /// Data type and value type of the first argument (ew unary ops).
    UnaryFirst,
    /// Data type of the first argument, floating-point value type.
    UnaryFp,
    /// The type of the first argument with shape and properties unknown.
    TypeFromFirst,
    /// A matrix with the value type of the first argument.
    MatFirstVt,
    /// A matrix with the most general value type of the arguments.
    MatArgsVt,
    /// A matrix with the floating-point value type of the first argument.
    MatFp,
    /// A matrix of positions (`index`).
    MatIndex,
    /// A matrix of a fixed value type.
    Mat(ValueType),
    /// A scalar of the first argument's value type.
    ScaFirstVt,
    /// A floating-point scalar (mean, variance, ...).
    ScaFp,
    /// A scalar of a fixed value type.
    Sca(ValueType),
}

/// Traits of an op, as bit flags.
pub mod traits {
    /// No side effects: may be removed when unused, merged with an identical op, or reordered.
    pub const PURE: u32 = 1 << 0;
    /// Ends a block.
    pub const TERMINATOR: u32 = 1 << 1;
    /// An elementwise op on (broadcast) operands.
    pub const ELEMENTWISE: u32 = 1 << 2;
}

/// The static description of one op kind.
#[derive(Debug)]
pub struct OpInfo {
    pub name: &'static str,
    pub operands: Arity,
    pub results: Arity,
    pub regions: usize,
    pub rule: TypeRule,
    pub traits: u32,
    /// What the op computes, for ops of a kernel family.
    pub family: Family,
    /// How the op runs on a batch of rows, or `None` when it cannot (it needs all rows at once,
    /// has side effects, or is not worth it); read through `vector::vec_rule`.
    pub vec: Option<VecRule>,
    /// Whether the code generator compiles the op inside a pipeline body (for some operand
    /// types; it still refuses others).
    pub jit: bool,
    /// Whether the op may run inside a task on a distributed worker: the pure ops the
    /// `distributed` stage can put into a task's `@dist` function, the data generators, and the
    /// row-block read of a file ([`OnWorker::ReadsFiles`], only under the worker's data
    /// directory). Never ops with other I/O, calls, control flow, `now` or `stop`.
    pub worker: OnWorker,
}

/// Where an op may run (the `worker` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnWorker {
    /// Only where the script runs.
    No,
    /// In a task on a distributed worker.
    Yes,
    /// In a task on a worker, reading the file its first operand names: the worker admits it
    /// only for a path inside its data directory (`DistributedWorker --data-dir`).
    ReadsFiles,
}

macro_rules! op_table {
    ($( $variant:ident = $name:literal, $operands:expr, $results:expr, $regions:literal, $rule:expr, $traits:expr,
        $family:expr, $vec:expr, $jit:expr, $worker:expr; )*) => {
        /// Every DaphneIR op kind.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum OpKind { $($variant),* }

        impl OpKind {
            /// All op kinds, in table order.
            pub const ALL: &'static [OpKind] = &[$(OpKind::$variant),*];

            /// The static description of this kind.
            pub fn info(self) -> &'static OpInfo {
                match self {
                    $(OpKind::$variant => &OpInfo {
                        name: $name,
                        operands: $operands,
                        results: $results,
                        regions: $regions,
                        rule: $rule,
                        traits: $traits,
                        family: $family,
                        vec: $vec,
                        jit: $jit,
                        worker: $worker,
                    }),*
                }
            }
        }
    };
}

use AggFn as A;
use Arity::{AtLeast, Exact};
use Axis::{All, Col, Row};
use BinaryFn as B;
use Family::{Agg, Binary, Cumulative, Grouped, Other, Outer, Unary};
use TypeRule::*;
use UnaryFn as U;
use traits::{ELEMENTWISE as EW, PURE, TERMINATOR};

const NONE: u32 = 0;

// The vectorization rules of the table: which matrix operands are read by rows, and how the
// batch results are combined (DAPHNE's `VectorizableOpInterface`, plus row-local ops it lacks).
/// Every matrix operand by rows, results stacked (elementwise and row-wise ops).
const ROWS: Option<VecRule> = Some(VecRule { splits: SplitRule::All, combine: Combine::Rows });
/// The first operand by rows, the others whole; results stacked (`outer*`, `matMul`).
const FIRST_ROWS: Option<VecRule> = Some(VecRule { splits: SplitRule::First, combine: Combine::Rows });
/// Every matrix operand by rows, results placed side by side (`transpose`).
const COLS: Option<VecRule> = Some(VecRule { splits: SplitRule::All, combine: Combine::Cols });
/// Every matrix operand by rows, results added up (`sumCol`, `sumAll`, `gemv`).
const ADD: Option<VecRule> = Some(VecRule { splits: SplitRule::All, combine: Combine::Add });
/// The first operand by rows, results added up (`syrk`).
const FIRST_ADD: Option<VecRule> = Some(VecRule { splits: SplitRule::First, combine: Combine::Add });
/// Every matrix operand by rows, the minimum of the results (`minCol`, `minAll`).
const MIN: Option<VecRule> = Some(VecRule { splits: SplitRule::All, combine: Combine::Min });
/// Every matrix operand by rows, the maximum of the results (`maxCol`, `maxAll`).
const MAX: Option<VecRule> = Some(VecRule { splits: SplitRule::All, combine: Combine::Max });
/// Not vectorized.
const NOVEC: Option<VecRule> = None;

/// The code generator compiles the op (`jit` column).
const JIT: bool = true;
const NO_JIT: bool = false;
/// The op may run in a task on a distributed worker (`worker` column); `LOCAL` ops run only where
/// the script runs; `WORKER_READS` ops read a file on the worker (inside its data directory).
const WORKER: OnWorker = OnWorker::Yes;
const LOCAL: OnWorker = OnWorker::No;
const WORKER_READS: OnWorker = OnWorker::ReadsFiles;

op_table! {
    // Columns: variant = name, operands, results, regions, type rule, traits, family,
    // vectorization, jit, worker.
    // --- structure and control flow -------------------------------------------------------------
    Func            = "func.func",               Exact(0), Exact(0), 1, Keep, NONE,                  Other,               NOVEC,      NO_JIT, WORKER;
    Return          = "daphne.return",           AtLeast(0), Exact(0), 0, Keep, PURE | TERMINATOR,   Other,               NOVEC,      JIT,    WORKER;
    GenericCall     = "daphne.generic_call",     AtLeast(0), AtLeast(0), 0, Keep, NONE,              Other,               NOVEC,      NO_JIT, LOCAL;
    If              = "scf.if",                  Exact(1), AtLeast(0), 2, Keep, NONE,                Other,               NOVEC,      NO_JIT, LOCAL;
    For             = "scf.for",                 AtLeast(3), AtLeast(0), 1, Keep, NONE,              Other,               NOVEC,      NO_JIT, LOCAL;
    While           = "scf.while",               AtLeast(0), AtLeast(0), 2, Keep, NONE,              Other,               NOVEC,      NO_JIT, LOCAL;
    Yield           = "scf.yield",               AtLeast(0), Exact(0), 0, Keep, PURE | TERMINATOR,   Other,               NOVEC,      NO_JIT, LOCAL;
    Condition       = "scf.condition",           AtLeast(1), Exact(0), 0, Keep, PURE | TERMINATOR,   Other,               NOVEC,      NO_JIT, LOCAL;
    Constant        = "daphne.constant",         Exact(0), Exact(1), 0, Custom, PURE,                Other,               NOVEC,      JIT,    WORKER;
    MatrixConstant  = "daphne.matrixConstant",   Exact(0), Exact(1), 0, Custom, PURE,                Other,               NOVEC,      NO_JIT, WORKER;
    Cast            = "daphne.cast",             Exact(1), Exact(1), 0, Custom, PURE,                Other,               ROWS,       JIT,    WORKER;
    // --- data generation --------------------------------------------------------------------
    Fill            = "daphne.fill",             Exact(3), Exact(1), 0, MatFirstVt, PURE,            Other,               NOVEC,      NO_JIT, WORKER;
    RandMatrix      = "daphne.randMatrix",       Exact(6), Exact(1), 0, Custom, NONE,                Other,               NOVEC,      NO_JIT, WORKER;
    RandRows        = "daphne.randRows",         Exact(8), Exact(1), 0, Custom, PURE,                Other,               NOVEC,      NO_JIT, WORKER;
    Sample          = "daphne.sample",           Exact(4), Exact(1), 0, MatFirstVt, NONE,            Other,               NOVEC,      NO_JIT, WORKER;
    Seq             = "daphne.seq",              Exact(3), Exact(1), 0, MatArgsVt, PURE,             Other,               NOVEC,      NO_JIT, WORKER;
    // Rows `first .. first + count` of `seq(from, to, inc)` (operands: from, to, inc, first,
    // count): how a worker makes its row block of a `seq` (the cells of the whole column).
    SeqRows         = "daphne.seqRows",          Exact(5), Exact(1), 0, Custom, PURE,                Other,               NOVEC,      NO_JIT, WORKER;
    DiagMatrix      = "daphne.diagMatrix",       Exact(1), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    CreateFrame     = "daphne.createFrame",      AtLeast(0), Exact(1), 0, Custom, PURE,              Other,               NOVEC,      NO_JIT, LOCAL;
    // --- meta data ----------------------------------------------------------------------------
    TypeOf          = "daphne.typeOf",           Exact(1), Exact(1), 0, Sca(ValueType::Str), PURE,   Other,               NOVEC,      NO_JIT, LOCAL;
    NumRows         = "daphne.numRows",          Exact(1), Exact(1), 0, Sca(ValueType::Index), PURE, Other,               NOVEC,      NO_JIT, LOCAL;
    NumCols         = "daphne.numCols",          Exact(1), Exact(1), 0, Sca(ValueType::Index), PURE, Other,               NOVEC,      NO_JIT, LOCAL;
    NumCells        = "daphne.numCells",         Exact(1), Exact(1), 0, Sca(ValueType::Index), PURE, Other,               NOVEC,      NO_JIT, LOCAL;
    Sparsity        = "daphne.sparsity",         Exact(1), Exact(1), 0, Sca(ValueType::F64), PURE,   Other,               NOVEC,      NO_JIT, LOCAL;
    IsSymmetric     = "daphne.isSymmetric",      Exact(1), Exact(1), 0, Sca(ValueType::Bool), PURE,  Other,               NOVEC,      NO_JIT, LOCAL;
    // --- elementwise unary --------------------------------------------------------------------
    EwMinus         = "daphne.ewMinus",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW,       Unary(U::Minus),     ROWS,       JIT,    WORKER;
    EwAbs           = "daphne.ewAbs",            Exact(1), Exact(1), 0, UnaryFirst, PURE | EW,       Unary(U::Abs),       ROWS,       JIT,    WORKER;
    EwSign          = "daphne.ewSign",           Exact(1), Exact(1), 0, UnaryFirst, PURE | EW,       Unary(U::Sign),      ROWS,       JIT,    WORKER;
    EwExp           = "daphne.ewExp",            Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Exp),       ROWS,       JIT,    WORKER;
    EwLn            = "daphne.ewLn",             Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Ln),        ROWS,       JIT,    WORKER;
    EwSqrt          = "daphne.ewSqrt",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Sqrt),      ROWS,       JIT,    WORKER;
    EwRound         = "daphne.ewRound",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW,       Unary(U::Round),     ROWS,       JIT,    WORKER;
    EwFloor         = "daphne.ewFloor",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW,       Unary(U::Floor),     ROWS,       JIT,    WORKER;
    EwCeil          = "daphne.ewCeil",           Exact(1), Exact(1), 0, UnaryFirst, PURE | EW,       Unary(U::Ceil),      ROWS,       JIT,    WORKER;
    EwSin           = "daphne.ewSin",            Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Sin),       ROWS,       JIT,    WORKER;
    EwCos           = "daphne.ewCos",            Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Cos),       ROWS,       JIT,    WORKER;
    EwTan           = "daphne.ewTan",            Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Tan),       ROWS,       JIT,    WORKER;
    EwSinh          = "daphne.ewSinh",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Sinh),      ROWS,       JIT,    WORKER;
    EwCosh          = "daphne.ewCosh",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Cosh),      ROWS,       JIT,    WORKER;
    EwTanh          = "daphne.ewTanh",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Tanh),      ROWS,       JIT,    WORKER;
    EwAsin          = "daphne.ewAsin",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Asin),      ROWS,       JIT,    WORKER;
    EwAcos          = "daphne.ewAcos",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Acos),      ROWS,       JIT,    WORKER;
    EwAtan          = "daphne.ewAtan",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW,          Unary(U::Atan),      ROWS,       JIT,    WORKER;
    EwIsNan         = "daphne.ewIsnan",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW,       Unary(U::IsNan),     ROWS,       JIT,    WORKER;
    EwLower         = "daphne.ewLower",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW,       Unary(U::Lower),     ROWS,       NO_JIT, WORKER;
    EwUpper         = "daphne.ewUpper",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW,       Unary(U::Upper),     ROWS,       NO_JIT, WORKER;
    // --- elementwise binary -------------------------------------------------------------------
    EwAdd           = "daphne.ewAdd",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW,       Binary(B::Add),      ROWS,       JIT,    WORKER;
    EwSub           = "daphne.ewSub",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW,       Binary(B::Sub),      ROWS,       JIT,    WORKER;
    EwMul           = "daphne.ewMul",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW,       Binary(B::Mul),      ROWS,       JIT,    WORKER;
    EwDiv           = "daphne.ewDiv",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW,       Binary(B::Div),      ROWS,       JIT,    WORKER;
    EwPow           = "daphne.ewPow",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW,       Binary(B::Pow),      ROWS,       JIT,    WORKER;
    EwMod           = "daphne.ewMod",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW,       Binary(B::Mod),      ROWS,       JIT,    WORKER;
    EwLog           = "daphne.ewLog",            Exact(2), Exact(1), 0, EwFromArgsFp, PURE | EW,     Binary(B::Log),      ROWS,       JIT,    WORKER;
    EwMin           = "daphne.ewMin",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW,       Binary(B::Min),      ROWS,       JIT,    WORKER;
    EwMax           = "daphne.ewMax",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW,       Binary(B::Max),      ROWS,       JIT,    WORKER;
    EwAnd           = "daphne.ewAnd",            Exact(2), Exact(1), 0, EwFromArgsInt, PURE | EW,    Binary(B::And),      ROWS,       JIT,    WORKER;
    EwOr            = "daphne.ewOr",             Exact(2), Exact(1), 0, EwFromArgsInt, PURE | EW,    Binary(B::Or),       ROWS,       JIT,    WORKER;
    EwXor           = "daphne.ewXor",            Exact(2), Exact(1), 0, EwFromArgsInt, PURE | EW,    Binary(B::Xor),      ROWS,       JIT,    WORKER;
    EwConcat        = "daphne.ewConcat",         Exact(2), Exact(1), 0, EwStr, PURE | EW,            Binary(B::Concat),   ROWS,       NO_JIT, WORKER;
    EwEq            = "daphne.ewEq",             Exact(2), Exact(1), 0, EwCmp, PURE | EW,            Binary(B::Eq),       ROWS,       JIT,    WORKER;
    EwNeq           = "daphne.ewNeq",            Exact(2), Exact(1), 0, EwCmp, PURE | EW,            Binary(B::Neq),      ROWS,       JIT,    WORKER;
    EwLt            = "daphne.ewLt",             Exact(2), Exact(1), 0, EwCmp, PURE | EW,            Binary(B::Lt),       ROWS,       JIT,    WORKER;
    EwLe            = "daphne.ewLe",             Exact(2), Exact(1), 0, EwCmp, PURE | EW,            Binary(B::Le),       ROWS,       JIT,    WORKER;
    EwGt            = "daphne.ewGt",             Exact(2), Exact(1), 0, EwCmp, PURE | EW,            Binary(B::Gt),       ROWS,       JIT,    WORKER;
    EwGe            = "daphne.ewGe",             Exact(2), Exact(1), 0, EwCmp, PURE | EW,            Binary(B::Ge),       ROWS,       JIT,    WORKER;
    // --- outer binary (column vector x row vector) --------------------------------------------
    OuterAdd        = "daphne.outerAdd",         Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Add),       FIRST_ROWS, NO_JIT, WORKER;
    OuterSub        = "daphne.outerSub",         Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Sub),       FIRST_ROWS, NO_JIT, WORKER;
    OuterMul        = "daphne.outerMul",         Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Mul),       FIRST_ROWS, NO_JIT, WORKER;
    OuterDiv        = "daphne.outerDiv",         Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Div),       FIRST_ROWS, NO_JIT, WORKER;
    OuterPow        = "daphne.outerPow",         Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Pow),       FIRST_ROWS, NO_JIT, WORKER;
    OuterMod        = "daphne.outerMod",         Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Mod),       FIRST_ROWS, NO_JIT, WORKER;
    OuterLog        = "daphne.outerLog",         Exact(2), Exact(1), 0, MatFp, PURE,                 Outer(B::Log),       FIRST_ROWS, NO_JIT, WORKER;
    OuterMin        = "daphne.outerMin",         Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Min),       FIRST_ROWS, NO_JIT, WORKER;
    OuterMax        = "daphne.outerMax",         Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Max),       FIRST_ROWS, NO_JIT, WORKER;
    OuterAnd        = "daphne.outerAnd",         Exact(2), Exact(1), 0, MatArgsInt, PURE,            Outer(B::And),       FIRST_ROWS, NO_JIT, WORKER;
    OuterOr         = "daphne.outerOr",          Exact(2), Exact(1), 0, MatArgsInt, PURE,            Outer(B::Or),        FIRST_ROWS, NO_JIT, WORKER;
    OuterXor        = "daphne.outerXor",         Exact(2), Exact(1), 0, MatArgsInt, PURE,            Outer(B::Xor),       FIRST_ROWS, NO_JIT, WORKER;
    OuterConcat     = "daphne.outerConcat",      Exact(2), Exact(1), 0, Mat(ValueType::Str), PURE,   Outer(B::Concat),    FIRST_ROWS, NO_JIT, WORKER;
    OuterEq         = "daphne.outerEq",          Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Eq),        FIRST_ROWS, NO_JIT, WORKER;
    OuterNeq        = "daphne.outerNeq",         Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Neq),       FIRST_ROWS, NO_JIT, WORKER;
    OuterLt         = "daphne.outerLt",          Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Lt),        FIRST_ROWS, NO_JIT, WORKER;
    OuterLe         = "daphne.outerLe",          Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Le),        FIRST_ROWS, NO_JIT, WORKER;
    OuterGt         = "daphne.outerGt",          Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Gt),        FIRST_ROWS, NO_JIT, WORKER;
    OuterGe         = "daphne.outerGe",          Exact(2), Exact(1), 0, MatArgsVt, PURE,             Outer(B::Ge),        FIRST_ROWS, NO_JIT, WORKER;
    // --- conditional --------------------------------------------------------------------------
    Cond            = "daphne.cond",             Exact(3), Exact(1), 0, Custom, PURE,                Other,               NOVEC,      JIT,    LOCAL;
    // --- full aggregation ---------------------------------------------------------------------
    SumAll          = "daphne.sumAll",           Exact(1), Exact(1), 0, ScaFirstVt, PURE,            Agg(A::Sum, All),    ADD,        JIT,    WORKER;
    MinAll          = "daphne.minAll",           Exact(1), Exact(1), 0, ScaFirstVt, PURE,            Agg(A::Min, All),    MIN,        JIT,    WORKER;
    MaxAll          = "daphne.maxAll",           Exact(1), Exact(1), 0, ScaFirstVt, PURE,            Agg(A::Max, All),    MAX,        JIT,    WORKER;
    MeanAll         = "daphne.meanAll",          Exact(1), Exact(1), 0, ScaFp, PURE,                 Agg(A::Mean, All),   NOVEC,      NO_JIT, LOCAL;
    VarAll          = "daphne.varAll",           Exact(1), Exact(1), 0, ScaFp, PURE,                 Agg(A::Var, All),    NOVEC,      NO_JIT, LOCAL;
    StddevAll       = "daphne.stddevAll",        Exact(1), Exact(1), 0, ScaFp, PURE,                 Agg(A::Stddev, All), NOVEC,      NO_JIT, LOCAL;
    // --- row-wise aggregation (one value per row) ---------------------------------------------
    SumRow          = "daphne.sumRow",           Exact(1), Exact(1), 0, MatFirstVt, PURE,            Agg(A::Sum, Row),    ROWS,       JIT,    WORKER;
    MinRow          = "daphne.minRow",           Exact(1), Exact(1), 0, MatFirstVt, PURE,            Agg(A::Min, Row),    ROWS,       JIT,    WORKER;
    MaxRow          = "daphne.maxRow",           Exact(1), Exact(1), 0, MatFirstVt, PURE,            Agg(A::Max, Row),    ROWS,       JIT,    WORKER;
    IdxMinRow       = "daphne.idxminRow",        Exact(1), Exact(1), 0, MatIndex, PURE,              Agg(A::IdxMin, Row), ROWS,       NO_JIT, WORKER;
    IdxMaxRow       = "daphne.idxmaxRow",        Exact(1), Exact(1), 0, MatIndex, PURE,              Agg(A::IdxMax, Row), ROWS,       NO_JIT, WORKER;
    MeanRow         = "daphne.meanRow",          Exact(1), Exact(1), 0, MatFp, PURE,                 Agg(A::Mean, Row),   ROWS,       NO_JIT, WORKER;
    VarRow          = "daphne.varRow",           Exact(1), Exact(1), 0, MatFp, PURE,                 Agg(A::Var, Row),    ROWS,       NO_JIT, WORKER;
    StddevRow       = "daphne.stddevRow",        Exact(1), Exact(1), 0, MatFp, PURE,                 Agg(A::Stddev, Row), ROWS,       NO_JIT, WORKER;
    // --- column-wise aggregation (one value per column) ---------------------------------------
    SumCol          = "daphne.sumCol",           Exact(1), Exact(1), 0, MatFirstVt, PURE,            Agg(A::Sum, Col),    ADD,        JIT,    WORKER;
    MinCol          = "daphne.minCol",           Exact(1), Exact(1), 0, MatFirstVt, PURE,            Agg(A::Min, Col),    MIN,        JIT,    WORKER;
    MaxCol          = "daphne.maxCol",           Exact(1), Exact(1), 0, MatFirstVt, PURE,            Agg(A::Max, Col),    MAX,        JIT,    WORKER;
    IdxMinCol       = "daphne.idxminCol",        Exact(1), Exact(1), 0, MatIndex, PURE,              Agg(A::IdxMin, Col), NOVEC,      NO_JIT, LOCAL;
    IdxMaxCol       = "daphne.idxmaxCol",        Exact(1), Exact(1), 0, MatIndex, PURE,              Agg(A::IdxMax, Col), NOVEC,      NO_JIT, LOCAL;
    MeanCol         = "daphne.meanCol",          Exact(1), Exact(1), 0, MatFp, PURE,                 Agg(A::Mean, Col),   NOVEC,      NO_JIT, LOCAL;
    VarCol          = "daphne.varCol",           Exact(1), Exact(1), 0, MatFp, PURE,                 Agg(A::Var, Col),    NOVEC,      NO_JIT, LOCAL;
    StddevCol       = "daphne.stddevCol",        Exact(1), Exact(1), 0, MatFp, PURE,                 Agg(A::Stddev, Col), NOVEC,      NO_JIT, LOCAL;
    // --- grouped aggregation (arg, groupIds, numGroups) ---------------------------------------
    CountGrp        = "daphne.countGrp",         Exact(3), Exact(1), 0, MatIndex, PURE,              Grouped(A::Count),   NOVEC,      NO_JIT, LOCAL;
    SumGrp          = "daphne.sumGrp",           Exact(3), Exact(1), 0, MatFirstVt, PURE,            Grouped(A::Sum),     NOVEC,      NO_JIT, LOCAL;
    MinGrp          = "daphne.minGrp",           Exact(3), Exact(1), 0, MatFirstVt, PURE,            Grouped(A::Min),     NOVEC,      NO_JIT, LOCAL;
    MaxGrp          = "daphne.maxGrp",           Exact(3), Exact(1), 0, MatFirstVt, PURE,            Grouped(A::Max),     NOVEC,      NO_JIT, LOCAL;
    MeanGrp         = "daphne.meanGrp",          Exact(3), Exact(1), 0, MatFp, PURE,                 Grouped(A::Mean),    NOVEC,      NO_JIT, LOCAL;
    VarGrp          = "daphne.varGrp",           Exact(3), Exact(1), 0, MatFp, PURE,                 Grouped(A::Var),     NOVEC,      NO_JIT, LOCAL;
    StddevGrp       = "daphne.stddevGrp",        Exact(3), Exact(1), 0, MatFp, PURE,                 Grouped(A::Stddev),  NOVEC,      NO_JIT, LOCAL;
    // --- cumulative aggregation (column-wise) -------------------------------------------------
    SumCum          = "daphne.sumCum",           Exact(1), Exact(1), 0, MatFirstVt, PURE,            Cumulative(A::Sum),  NOVEC,      NO_JIT, LOCAL;
    ProdCum         = "daphne.prodCum",          Exact(1), Exact(1), 0, MatFirstVt, PURE,            Cumulative(A::Prod), NOVEC,      NO_JIT, LOCAL;
    MinCum          = "daphne.minCum",           Exact(1), Exact(1), 0, MatFirstVt, PURE,            Cumulative(A::Min),  NOVEC,      NO_JIT, LOCAL;
    MaxCum          = "daphne.maxCum",           Exact(1), Exact(1), 0, MatFirstVt, PURE,            Cumulative(A::Max),  NOVEC,      NO_JIT, LOCAL;
    // --- reorganization -----------------------------------------------------------------------
    Reshape         = "daphne.reshape",          Exact(3), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    Transpose       = "daphne.transpose",        Exact(1), Exact(1), 0, TypeFromFirst, PURE,         Other,               COLS,       NO_JIT, WORKER;
    ColBind         = "daphne.colBind",          Exact(2), Exact(1), 0, Custom, PURE,                Other,               ROWS,       NO_JIT, WORKER;
    RowBind         = "daphne.rowBind",          Exact(2), Exact(1), 0, EwFromArgs, PURE,            Other,               NOVEC,      NO_JIT, LOCAL;
    Reverse         = "daphne.reverse",          Exact(1), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    Order           = "daphne.order",            AtLeast(2), Exact(1), 0, Custom, PURE,              Other,               NOVEC,      NO_JIT, LOCAL;
    // --- linear algebra -----------------------------------------------------------------------
    MatMul          = "daphne.matMul",           Exact(4), Exact(1), 0, MatArgsVt, PURE,             Other,               FIRST_ROWS, NO_JIT, WORKER;
    EigenCal        = "daphne.eigenCal",         Exact(1), Exact(2), 0, Custom, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    Solve           = "daphne.solve",            Exact(2), Exact(1), 0, MatArgsVt, PURE,             Other,               NOVEC,      NO_JIT, LOCAL;
    Syrk            = "daphne.syrk",             Exact(2), Exact(1), 0, MatFirstVt, PURE,            Other,               FIRST_ADD,  NO_JIT, WORKER;
    Gemv            = "daphne.gemv",             Exact(2), Exact(1), 0, MatArgsVt, PURE,             Other,               ADD,        NO_JIT, WORKER;
    DiagVector      = "daphne.diagVector",       Exact(1), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    Tri             = "daphne.tri",              Exact(4), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    Replace         = "daphne.replace",          Exact(3), Exact(1), 0, MatArgsVt, PURE,             Other,               NOVEC,      NO_JIT, LOCAL;
    CTable          = "daphne.ctable",           Exact(5), Exact(1), 0, Custom, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    // --- indexing -----------------------------------------------------------------------------
    ExtractRow      = "daphne.extractRow",       Exact(2), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    ExtractCol      = "daphne.extractCol",       Exact(2), Exact(1), 0, Custom, PURE,                Other,               FIRST_ROWS, NO_JIT, WORKER;
    SliceRow        = "daphne.sliceRow",         Exact(3), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, WORKER;
    SliceCol        = "daphne.sliceCol",         Exact(3), Exact(1), 0, Custom, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    InsertRow       = "daphne.insertRow",        Exact(4), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    InsertCol       = "daphne.insertCol",        Exact(4), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    FilterRow       = "daphne.filterRow",        Exact(2), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    FilterCol       = "daphne.filterCol",        Exact(2), Exact(1), 0, Custom, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    // --- deep neural networks -----------------------------------------------------------------
    AffineForward   = "daphne.NN_Affine_Forward", Exact(3), Exact(1), 0, Keep, PURE,                 Other,               NOVEC,      NO_JIT, LOCAL;
    AvgPoolForward  = "daphne.NN_Avg_Forward",   Exact(11), Exact(3), 0, Keep, PURE,                 Other,               NOVEC,      NO_JIT, LOCAL;
    MaxPoolForward  = "daphne.NN_Max_Forward",   Exact(11), Exact(3), 0, Keep, PURE,                 Other,               NOVEC,      NO_JIT, LOCAL;
    BatchNorm2DInferenceForward = "daphne.BatchNormInferenceForward", Exact(6), Exact(1), 0, Keep, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    BiasAdd         = "daphne.BiasAdd",          Exact(2), Exact(1), 0, Keep, PURE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    Conv2DForward   = "daphne.Convolution_Forward", Exact(13), Exact(3), 0, Keep, PURE,              Other,               NOVEC,      NO_JIT, LOCAL;
    ReluForward     = "daphne.NN_Relu_Forward",  Exact(1), Exact(1), 0, Keep, PURE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    Softmax         = "daphne.Softmax",          Exact(1), Exact(1), 0, Keep, PURE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    BatchNorm2DBackward = "daphne.BatchNorm_Backward", Exact(6), Exact(3), 0, Keep, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    Conv2DBackwardFilter = "daphne.conv2DBackwardFilter", Exact(14), Exact(1), 0, Keep, PURE,             Other,               NOVEC,      NO_JIT, LOCAL;
    Conv2DBackwardData = "daphne.conv2DBackwardData", Exact(14), Exact(1), 0, Keep, PURE,               Other,               NOVEC,      NO_JIT, LOCAL;
    AvgPoolBackward = "daphne.avgPoolBackward",  Exact(12), Exact(1), 0, Keep, PURE,                 Other,               NOVEC,      NO_JIT, LOCAL;
    MaxPoolBackward = "daphne.maxPoolBackward",  Exact(12), Exact(1), 0, Keep, PURE,                 Other,               NOVEC,      NO_JIT, LOCAL;
    // --- relational (frames) ------------------------------------------------------------------
    Sql             = "daphne.sql",              Exact(0), Exact(1), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    RegisterView    = "daphne.registerView",     Exact(1), Exact(0), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    Intersect       = "daphne.intersect",        Exact(2), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    Merge           = "daphne.merge",            Exact(2), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    Except          = "daphne.except",           Exact(2), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    Cartesian       = "daphne.cartesian",        Exact(2), Exact(1), 0, Keep, PURE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    InnerJoin       = "daphne.innerJoin",        Exact(5), Exact(1), 0, Keep, PURE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    FullOuterJoin   = "daphne.fullOuterJoin",    AtLeast(2), Exact(1), 0, Keep, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    LeftOuterJoin   = "daphne.leftOuterJoin",    AtLeast(2), Exact(1), 0, Keep, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    AntiJoin        = "daphne.antiJoin",         AtLeast(2), Exact(1), 0, Keep, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    SemiJoin        = "daphne.semiJoin",         Exact(5), Exact(2), 0, Keep, PURE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    GroupJoin       = "daphne.groupJoin",        Exact(5), Exact(2), 0, Keep, PURE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    Group           = "daphne.group",            AtLeast(1), Exact(1), 0, Keep, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    SetColLabels    = "daphne.setColLabels",     AtLeast(1), Exact(1), 0, TypeFromFirst, PURE,       Other,               NOVEC,      NO_JIT, LOCAL;
    SetColLabelsPrefix = "daphne.setColLabelsPrefix", Exact(2), Exact(1), 0, TypeFromFirst, PURE,       Other,               NOVEC,      NO_JIT, LOCAL;
    // --- conversion ---------------------------------------------------------------------------
    Quantize        = "daphne.quantize",         Exact(3), Exact(1), 0, Mat(ValueType::UI8), PURE,   Other,               NOVEC,      NO_JIT, LOCAL;
    // --- input/output -------------------------------------------------------------------------
    Print           = "daphne.print",            Exact(3), Exact(0), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    Read            = "daphne.read",             Exact(1), Exact(1), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    // Rows `first .. first + count` of the matrix file `path` (operands: path, rows, cols, bytes,
    // first, count; rows, cols and the file's size in bytes as the coordinator saw them, checked
    // by the reader): a worker's row block of a `readMatrix`. Value type: the result's.
    ReadRows        = "daphne.readRows",         Exact(6), Exact(1), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, WORKER_READS;
    Write           = "daphne.write",            Exact(2), Exact(0), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    ReceiveFromNumpy = "daphne.receiveFromNumpy", Exact(3), Exact(1), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    SaveDaphneLibResult = "daphne.saveDaphneLibResult", Exact(1), Exact(0), 0, Keep, NONE,               Other,               NOVEC,      NO_JIT, LOCAL;
    Stop            = "daphne.stop",             Exact(1), Exact(0), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    OpenFile        = "daphne.openFile",         Exact(1), Exact(1), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    OpenDevice      = "daphne.openDevice",       Exact(1), Exact(1), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    OpenFileOnTarget = "daphne.openFileOnTarget", Exact(2), Exact(1), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    Close           = "daphne.close",            Exact(1), Exact(0), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    ReadCsv         = "daphne.readCsv",          Exact(4), Exact(1), 0, Mat(ValueType::F64), NONE,   Other,               NOVEC,      NO_JIT, LOCAL;
    // --- preprocessing ------------------------------------------------------------------------
    OneHot          = "daphne.oneHot",           Exact(2), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    Recode          = "daphne.recode",           Exact(2), Exact(2), 0, Custom, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
    Bin             = "daphne.bin",              Exact(4), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    // --- miscellaneous ------------------------------------------------------------------------
    Now             = "daphne.now",              Exact(0), Exact(1), 0, Sca(ValueType::SI64), NONE,  Other,               NOVEC,      NO_JIT, LOCAL;
    StartProfiling  = "daphne.startProfiling",   Exact(1), Exact(0), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    StopProfiling   = "daphne.stopProfiling",    Exact(1), Exact(0), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    Map             = "daphne.map",              Exact(1), Exact(1), 0, Keep, NONE,                  Other,               NOVEC,      NO_JIT, LOCAL;
    // --- fused pipelines ----------------------------------------------------------------------
    // Operands are the pipeline's inputs; the body block takes one argument per input and ends
    // with `daphne.return` of the outputs; attributes `splits` (one per input) and `combines` (one
    // per output) say how the engine partitions and reassembles them (see `vector.rs`).
    VectorizedPipeline = "daphne.vectorizedPipeline", AtLeast(1), AtLeast(1), 1, Keep, PURE,            Other,               NOVEC,      NO_JIT, WORKER;
    // A pipeline that runs on the distributed workers: attribute `ir` holds a module whose
    // `func.func @dist` runs the pipeline on a partition (see passes/src/distribute.rs).
    DistributedPipeline = "daphne.distributedPipeline", AtLeast(1), AtLeast(1), 0, Keep, PURE,           Other,               NOVEC,      NO_JIT, LOCAL;
    // --- lists --------------------------------------------------------------------------------
    CreateList      = "daphne.createList",       AtLeast(1), Exact(1), 0, Custom, PURE,              Other,               NOVEC,      NO_JIT, LOCAL;
    Length          = "daphne.length",           Exact(1), Exact(1), 0, Sca(ValueType::Index), PURE, Other,               NOVEC,      NO_JIT, LOCAL;
    Append          = "daphne.append",           Exact(2), Exact(1), 0, TypeFromFirst, PURE,         Other,               NOVEC,      NO_JIT, LOCAL;
    Remove          = "daphne.remove",           Exact(2), Exact(2), 0, Custom, PURE,                Other,               NOVEC,      NO_JIT, LOCAL;
}

impl OpKind {
    /// The op's text name, e.g. `daphne.ewAdd`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Looks an op kind up by its text name.
    pub fn from_name(name: &str) -> Option<OpKind> {
        static BY_NAME: OnceLock<HashMap<&'static str, OpKind>> = OnceLock::new();
        BY_NAME.get_or_init(|| OpKind::ALL.iter().map(|k| (k.name(), *k)).collect()).get(name).copied()
    }

    pub fn has_trait(self, t: u32) -> bool {
        self.info().traits & t != 0
    }

    pub fn is_pure(self) -> bool {
        self.has_trait(traits::PURE)
    }

    pub fn is_terminator(self) -> bool {
        self.has_trait(traits::TERMINATOR)
    }

    /// What the op computes, for ops of a kernel family (elementwise, outer, aggregations).
    pub fn family(self) -> Family {
        self.info().family
    }

    /// Whether the code generator compiles the op inside a pipeline body.
    pub fn jit(self) -> bool {
        self.info().jit
    }

    /// Whether the op may run inside a task on a distributed worker.
    pub fn runs_on_worker(self) -> bool {
        self.info().worker != OnWorker::No
    }

    /// Whether the op reads a file when it runs on a worker (its first operand is the path).
    pub fn reads_files_on_worker(self) -> bool {
        self.info().worker == OnWorker::ReadsFiles
    }
}

impl std::fmt::Display for OpKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_found() {
        let mut seen = HashSet::new();
        for k in OpKind::ALL {
            assert!(seen.insert(k.name()), "duplicate op name {}", k.name());
            assert_eq!(OpKind::from_name(k.name()), Some(*k));
        }
        assert_eq!(OpKind::from_name("daphne.nope"), None);
    }

    #[test]
    fn families_agree_with_traits() {
        for k in OpKind::ALL {
            let ew = matches!(k.family(), Family::Unary(_) | Family::Binary(_));
            assert_eq!(k.has_trait(traits::ELEMENTWISE), ew, "{k}: elementwise trait and family disagree");
            let arity = match k.family() {
                Family::Unary(_) | Family::Agg(..) | Family::Cumulative(_) => Some(Arity::Exact(1)),
                Family::Binary(_) | Family::Outer(_) => Some(Arity::Exact(2)),
                Family::Grouped(_) => Some(Arity::Exact(3)),
                Family::Other => None,
            };
            if let Some(a) = arity {
                assert_eq!(k.info().operands, a, "{k}: operands of its family");
            }
        }
        assert_eq!(OpKind::OuterLt.family(), Family::Outer(BinaryFn::Lt));
        assert_eq!(OpKind::IdxMaxCol.family(), Family::Agg(AggFn::IdxMax, Axis::Col));
        assert_eq!(OpKind::MatMul.family(), Family::Other);
    }

    #[test]
    fn worker_ops() {
        let allowed = [
            OpKind::Func,
            OpKind::Return,
            OpKind::Constant,
            OpKind::MatrixConstant,
            OpKind::Cast,
            OpKind::VectorizedPipeline,
            OpKind::EwAdd,
            OpKind::OuterMul,
            OpKind::SumRow,
            OpKind::MatMul,
            OpKind::Fill,
            OpKind::Seq,
            OpKind::RandMatrix,
            OpKind::RandRows,
            OpKind::Sample,
            OpKind::SeqRows,
            OpKind::ReadRows,
        ];
        for k in allowed {
            assert!(k.runs_on_worker(), "{k} should run on workers");
        }
        let denied = [
            OpKind::Print,
            OpKind::Write,
            OpKind::Read,
            OpKind::ReadCsv,
            OpKind::Stop,
            OpKind::GenericCall,
            OpKind::Map,
            OpKind::If,
            OpKind::For,
            OpKind::While,
            OpKind::Yield,
            OpKind::Now,
            OpKind::DistributedPipeline,
        ];
        for k in denied {
            assert!(!k.runs_on_worker(), "{k} must not run on workers");
        }
        // Every op a pipeline body may hold runs on workers; nothing with effects does.
        for k in OpKind::ALL {
            if k.info().vec.is_some() {
                assert!(k.runs_on_worker(), "{k} is vectorized but not allowed on workers");
            }
            if k.runs_on_worker() && !k.is_pure() {
                assert!(
                    matches!(k, OpKind::Func | OpKind::RandMatrix | OpKind::Sample | OpKind::ReadRows),
                    "{k} is impure"
                );
            }
            // Only the row-block read reads files on a worker.
            if k.reads_files_on_worker() {
                assert_eq!(*k, OpKind::ReadRows);
            }
        }
    }

    #[test]
    fn arity_checks() {
        assert!(Arity::Between(1, 3).accepts(2));
        assert!(!Arity::Exact(2).accepts(3));
        assert!(Arity::AtLeast(1).accepts(7));
    }
}
