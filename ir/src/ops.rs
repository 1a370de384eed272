//! The closed set of DaphneIR operations, generated from one table: each row gives the op's text
//! name (DAPHNE's), its operand and result counts, its regions, how its result types are inferred
//! and its traits. Everything else (verifier, printer, parser, inference, passes) reads this table.

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
}

macro_rules! op_table {
    ($( $variant:ident = $name:literal, $operands:expr, $results:expr, $regions:literal, $rule:expr, $traits:expr; )*) => {
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
                    }),*
                }
            }
        }
    };
}

use Arity::{AtLeast, Exact};
use TypeRule::*;
use traits::{ELEMENTWISE as EW, PURE, TERMINATOR};

const NONE: u32 = 0;

op_table! {
    // --- structure and control flow -------------------------------------------------------------
    Func            = "func.func",               Exact(0), Exact(0), 1, Keep, NONE;
    Return          = "daphne.return",           AtLeast(0), Exact(0), 0, Keep, PURE | TERMINATOR;
    GenericCall     = "daphne.generic_call",     AtLeast(0), AtLeast(0), 0, Keep, NONE;
    If              = "scf.if",                  Exact(1), AtLeast(0), 2, Keep, NONE;
    For             = "scf.for",                 AtLeast(3), AtLeast(0), 1, Keep, NONE;
    While           = "scf.while",               AtLeast(0), AtLeast(0), 2, Keep, NONE;
    Yield           = "scf.yield",               AtLeast(0), Exact(0), 0, Keep, PURE | TERMINATOR;
    Condition       = "scf.condition",           AtLeast(1), Exact(0), 0, Keep, PURE | TERMINATOR;
    Constant        = "daphne.constant",         Exact(0), Exact(1), 0, Custom, PURE;
    MatrixConstant  = "daphne.matrixConstant",   Exact(0), Exact(1), 0, Custom, PURE;
    Cast            = "daphne.cast",             Exact(1), Exact(1), 0, Custom, PURE;
    // --- data generation --------------------------------------------------------------------
    Fill            = "daphne.fill",             Exact(3), Exact(1), 0, MatFirstVt, PURE;
    RandMatrix      = "daphne.randMatrix",       Exact(6), Exact(1), 0, Custom, NONE;
    Sample          = "daphne.sample",           Exact(4), Exact(1), 0, MatFirstVt, NONE;
    Seq             = "daphne.seq",              Exact(3), Exact(1), 0, MatArgsVt, PURE;
    DiagMatrix      = "daphne.diagMatrix",       Exact(1), Exact(1), 0, TypeFromFirst, PURE;
    CreateFrame     = "daphne.createFrame",      AtLeast(0), Exact(1), 0, Custom, PURE;
    // --- meta data ----------------------------------------------------------------------------
    TypeOf          = "daphne.typeOf",           Exact(1), Exact(1), 0, Sca(ValueType::Str), PURE;
    NumRows         = "daphne.numRows",          Exact(1), Exact(1), 0, Sca(ValueType::Index), PURE;
    NumCols         = "daphne.numCols",          Exact(1), Exact(1), 0, Sca(ValueType::Index), PURE;
    NumCells        = "daphne.numCells",         Exact(1), Exact(1), 0, Sca(ValueType::Index), PURE;
    Sparsity        = "daphne.sparsity",         Exact(1), Exact(1), 0, Sca(ValueType::F64), PURE;
    IsSymmetric     = "daphne.isSymmetric",      Exact(1), Exact(1), 0, Sca(ValueType::Bool), PURE;
    // --- elementwise unary --------------------------------------------------------------------
    EwMinus         = "daphne.ewMinus",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW;
    EwAbs           = "daphne.ewAbs",            Exact(1), Exact(1), 0, UnaryFirst, PURE | EW;
    EwSign          = "daphne.ewSign",           Exact(1), Exact(1), 0, UnaryFirst, PURE | EW;
    EwExp           = "daphne.ewExp",            Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwLn            = "daphne.ewLn",             Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwSqrt          = "daphne.ewSqrt",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwRound         = "daphne.ewRound",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW;
    EwFloor         = "daphne.ewFloor",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW;
    EwCeil          = "daphne.ewCeil",           Exact(1), Exact(1), 0, UnaryFirst, PURE | EW;
    EwSin           = "daphne.ewSin",            Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwCos           = "daphne.ewCos",            Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwTan           = "daphne.ewTan",            Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwSinh          = "daphne.ewSinh",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwCosh          = "daphne.ewCosh",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwTanh          = "daphne.ewTanh",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwAsin          = "daphne.ewAsin",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwAcos          = "daphne.ewAcos",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwAtan          = "daphne.ewAtan",           Exact(1), Exact(1), 0, UnaryFp, PURE | EW;
    EwIsNan         = "daphne.ewIsnan",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW;
    EwLower         = "daphne.ewLower",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW;
    EwUpper         = "daphne.ewUpper",          Exact(1), Exact(1), 0, UnaryFirst, PURE | EW;
    // --- elementwise binary -------------------------------------------------------------------
    EwAdd           = "daphne.ewAdd",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW;
    EwSub           = "daphne.ewSub",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW;
    EwMul           = "daphne.ewMul",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW;
    EwDiv           = "daphne.ewDiv",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW;
    EwPow           = "daphne.ewPow",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW;
    EwMod           = "daphne.ewMod",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW;
    EwLog           = "daphne.ewLog",            Exact(2), Exact(1), 0, EwFromArgsFp, PURE | EW;
    EwMin           = "daphne.ewMin",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW;
    EwMax           = "daphne.ewMax",            Exact(2), Exact(1), 0, EwFromArgs, PURE | EW;
    EwAnd           = "daphne.ewAnd",            Exact(2), Exact(1), 0, EwFromArgsInt, PURE | EW;
    EwOr            = "daphne.ewOr",             Exact(2), Exact(1), 0, EwFromArgsInt, PURE | EW;
    EwXor           = "daphne.ewXor",            Exact(2), Exact(1), 0, EwFromArgsInt, PURE | EW;
    EwConcat        = "daphne.ewConcat",         Exact(2), Exact(1), 0, EwStr, PURE | EW;
    EwEq            = "daphne.ewEq",             Exact(2), Exact(1), 0, EwCmp, PURE | EW;
    EwNeq           = "daphne.ewNeq",            Exact(2), Exact(1), 0, EwCmp, PURE | EW;
    EwLt            = "daphne.ewLt",             Exact(2), Exact(1), 0, EwCmp, PURE | EW;
    EwLe            = "daphne.ewLe",             Exact(2), Exact(1), 0, EwCmp, PURE | EW;
    EwGt            = "daphne.ewGt",             Exact(2), Exact(1), 0, EwCmp, PURE | EW;
    EwGe            = "daphne.ewGe",             Exact(2), Exact(1), 0, EwCmp, PURE | EW;
    // --- outer binary (column vector x row vector) --------------------------------------------
    OuterAdd        = "daphne.outerAdd",         Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterSub        = "daphne.outerSub",         Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterMul        = "daphne.outerMul",         Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterDiv        = "daphne.outerDiv",         Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterPow        = "daphne.outerPow",         Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterMod        = "daphne.outerMod",         Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterLog        = "daphne.outerLog",         Exact(2), Exact(1), 0, MatFp, PURE;
    OuterMin        = "daphne.outerMin",         Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterMax        = "daphne.outerMax",         Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterAnd        = "daphne.outerAnd",         Exact(2), Exact(1), 0, MatArgsInt, PURE;
    OuterOr         = "daphne.outerOr",          Exact(2), Exact(1), 0, MatArgsInt, PURE;
    OuterXor        = "daphne.outerXor",         Exact(2), Exact(1), 0, MatArgsInt, PURE;
    OuterConcat     = "daphne.outerConcat",      Exact(2), Exact(1), 0, Mat(ValueType::Str), PURE;
    OuterEq         = "daphne.outerEq",          Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterNeq        = "daphne.outerNeq",         Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterLt         = "daphne.outerLt",          Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterLe         = "daphne.outerLe",          Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterGt         = "daphne.outerGt",          Exact(2), Exact(1), 0, MatArgsVt, PURE;
    OuterGe         = "daphne.outerGe",          Exact(2), Exact(1), 0, MatArgsVt, PURE;
    // --- conditional --------------------------------------------------------------------------
    Cond            = "daphne.cond",             Exact(3), Exact(1), 0, Custom, PURE;
    // --- full aggregation ---------------------------------------------------------------------
    SumAll          = "daphne.sumAll",           Exact(1), Exact(1), 0, ScaFirstVt, PURE;
    MinAll          = "daphne.minAll",           Exact(1), Exact(1), 0, ScaFirstVt, PURE;
    MaxAll          = "daphne.maxAll",           Exact(1), Exact(1), 0, ScaFirstVt, PURE;
    MeanAll         = "daphne.meanAll",          Exact(1), Exact(1), 0, ScaFp, PURE;
    VarAll          = "daphne.varAll",           Exact(1), Exact(1), 0, ScaFp, PURE;
    StddevAll       = "daphne.stddevAll",        Exact(1), Exact(1), 0, ScaFp, PURE;
    // --- row-wise aggregation (one value per row) ---------------------------------------------
    SumRow          = "daphne.sumRow",           Exact(1), Exact(1), 0, MatFirstVt, PURE;
    MinRow          = "daphne.minRow",           Exact(1), Exact(1), 0, MatFirstVt, PURE;
    MaxRow          = "daphne.maxRow",           Exact(1), Exact(1), 0, MatFirstVt, PURE;
    IdxMinRow       = "daphne.idxminRow",        Exact(1), Exact(1), 0, MatIndex, PURE;
    IdxMaxRow       = "daphne.idxmaxRow",        Exact(1), Exact(1), 0, MatIndex, PURE;
    MeanRow         = "daphne.meanRow",          Exact(1), Exact(1), 0, MatFp, PURE;
    VarRow          = "daphne.varRow",           Exact(1), Exact(1), 0, MatFp, PURE;
    StddevRow       = "daphne.stddevRow",        Exact(1), Exact(1), 0, MatFp, PURE;
    // --- column-wise aggregation (one value per column) ---------------------------------------
    SumCol          = "daphne.sumCol",           Exact(1), Exact(1), 0, MatFirstVt, PURE;
    MinCol          = "daphne.minCol",           Exact(1), Exact(1), 0, MatFirstVt, PURE;
    MaxCol          = "daphne.maxCol",           Exact(1), Exact(1), 0, MatFirstVt, PURE;
    IdxMinCol       = "daphne.idxminCol",        Exact(1), Exact(1), 0, MatIndex, PURE;
    IdxMaxCol       = "daphne.idxmaxCol",        Exact(1), Exact(1), 0, MatIndex, PURE;
    MeanCol         = "daphne.meanCol",          Exact(1), Exact(1), 0, MatFp, PURE;
    VarCol          = "daphne.varCol",           Exact(1), Exact(1), 0, MatFp, PURE;
    StddevCol       = "daphne.stddevCol",        Exact(1), Exact(1), 0, MatFp, PURE;
    // --- grouped aggregation (arg, groupIds, numGroups) ---------------------------------------
    CountGrp        = "daphne.countGrp",         Exact(3), Exact(1), 0, MatIndex, PURE;
    SumGrp          = "daphne.sumGrp",           Exact(3), Exact(1), 0, MatFirstVt, PURE;
    MinGrp          = "daphne.minGrp",           Exact(3), Exact(1), 0, MatFirstVt, PURE;
    MaxGrp          = "daphne.maxGrp",           Exact(3), Exact(1), 0, MatFirstVt, PURE;
    MeanGrp         = "daphne.meanGrp",          Exact(3), Exact(1), 0, MatFp, PURE;
    VarGrp          = "daphne.varGrp",           Exact(3), Exact(1), 0, MatFp, PURE;
    StddevGrp       = "daphne.stddevGrp",        Exact(3), Exact(1), 0, MatFp, PURE;
    // --- cumulative aggregation (column-wise) -------------------------------------------------
    SumCum          = "daphne.sumCum",           Exact(1), Exact(1), 0, MatFirstVt, PURE;
    ProdCum         = "daphne.prodCum",          Exact(1), Exact(1), 0, MatFirstVt, PURE;
    MinCum          = "daphne.minCum",           Exact(1), Exact(1), 0, MatFirstVt, PURE;
    MaxCum          = "daphne.maxCum",           Exact(1), Exact(1), 0, MatFirstVt, PURE;
    // --- reorganization -----------------------------------------------------------------------
    Reshape         = "daphne.reshape",          Exact(3), Exact(1), 0, TypeFromFirst, PURE;
    Transpose       = "daphne.transpose",        Exact(1), Exact(1), 0, TypeFromFirst, PURE;
    ColBind         = "daphne.colBind",          Exact(2), Exact(1), 0, Custom, PURE;
    RowBind         = "daphne.rowBind",          Exact(2), Exact(1), 0, EwFromArgs, PURE;
    Reverse         = "daphne.reverse",          Exact(1), Exact(1), 0, TypeFromFirst, PURE;
    Order           = "daphne.order",            AtLeast(2), Exact(1), 0, Custom, PURE;
    // --- linear algebra -----------------------------------------------------------------------
    MatMul          = "daphne.matMul",           Exact(4), Exact(1), 0, MatArgsVt, PURE;
    EigenCal        = "daphne.eigenCal",         Exact(1), Exact(2), 0, Custom, PURE;
    Solve           = "daphne.solve",            Exact(2), Exact(1), 0, MatArgsVt, PURE;
    Syrk            = "daphne.syrk",             Exact(2), Exact(1), 0, MatFirstVt, PURE;
    Gemv            = "daphne.gemv",             Exact(2), Exact(1), 0, MatArgsVt, PURE;
    DiagVector      = "daphne.diagVector",       Exact(1), Exact(1), 0, TypeFromFirst, PURE;
    Tri             = "daphne.tri",              Exact(4), Exact(1), 0, TypeFromFirst, PURE;
    Replace         = "daphne.replace",          Exact(3), Exact(1), 0, MatArgsVt, PURE;
    CTable          = "daphne.ctable",           Exact(5), Exact(1), 0, Custom, PURE;
    // --- indexing -----------------------------------------------------------------------------
    ExtractRow      = "daphne.extractRow",       Exact(2), Exact(1), 0, TypeFromFirst, PURE;
    ExtractCol      = "daphne.extractCol",       Exact(2), Exact(1), 0, Custom, PURE;
    SliceRow        = "daphne.sliceRow",         Exact(3), Exact(1), 0, TypeFromFirst, PURE;
    SliceCol        = "daphne.sliceCol",         Exact(3), Exact(1), 0, Custom, PURE;
    InsertRow       = "daphne.insertRow",        Exact(4), Exact(1), 0, TypeFromFirst, PURE;
    InsertCol       = "daphne.insertCol",        Exact(4), Exact(1), 0, TypeFromFirst, PURE;
    FilterRow       = "daphne.filterRow",        Exact(2), Exact(1), 0, TypeFromFirst, PURE;
    FilterCol       = "daphne.filterCol",        Exact(2), Exact(1), 0, Custom, PURE;
    // --- deep neural networks -----------------------------------------------------------------
    AffineForward   = "daphne.NN_Affine_Forward", Exact(3), Exact(1), 0, Keep, PURE;
    AvgPoolForward  = "daphne.NN_Avg_Forward",   Exact(11), Exact(3), 0, Keep, PURE;
    MaxPoolForward  = "daphne.NN_Max_Forward",   Exact(11), Exact(3), 0, Keep, PURE;
    BatchNorm2DInferenceForward = "daphne.BatchNormInferenceForward", Exact(6), Exact(1), 0, Keep, PURE;
    BiasAdd         = "daphne.BiasAdd",          Exact(2), Exact(1), 0, Keep, PURE;
    Conv2DForward   = "daphne.Convolution_Forward", Exact(13), Exact(3), 0, Keep, PURE;
    ReluForward     = "daphne.NN_Relu_Forward",  Exact(1), Exact(1), 0, Keep, PURE;
    Softmax         = "daphne.Softmax",          Exact(1), Exact(1), 0, Keep, PURE;
    BatchNorm2DBackward = "daphne.BatchNorm_Backward", Exact(6), Exact(3), 0, Keep, PURE;
    Conv2DBackwardFilter = "daphne.conv2DBackwardFilter", Exact(14), Exact(1), 0, Keep, PURE;
    Conv2DBackwardData = "daphne.conv2DBackwardData", Exact(14), Exact(1), 0, Keep, PURE;
    AvgPoolBackward = "daphne.avgPoolBackward",  Exact(12), Exact(1), 0, Keep, PURE;
    MaxPoolBackward = "daphne.maxPoolBackward",  Exact(12), Exact(1), 0, Keep, PURE;
    // --- relational (frames) ------------------------------------------------------------------
    Sql             = "daphne.sql",              Exact(0), Exact(1), 0, Keep, NONE;
    RegisterView    = "daphne.registerView",     Exact(1), Exact(0), 0, Keep, NONE;
    Intersect       = "daphne.intersect",        Exact(2), Exact(1), 0, TypeFromFirst, PURE;
    Merge           = "daphne.merge",            Exact(2), Exact(1), 0, TypeFromFirst, PURE;
    Except          = "daphne.except",           Exact(2), Exact(1), 0, TypeFromFirst, PURE;
    Cartesian       = "daphne.cartesian",        Exact(2), Exact(1), 0, Keep, PURE;
    InnerJoin       = "daphne.innerJoin",        Exact(5), Exact(1), 0, Keep, PURE;
    FullOuterJoin   = "daphne.fullOuterJoin",    AtLeast(2), Exact(1), 0, Keep, PURE;
    LeftOuterJoin   = "daphne.leftOuterJoin",    AtLeast(2), Exact(1), 0, Keep, PURE;
    AntiJoin        = "daphne.antiJoin",         AtLeast(2), Exact(1), 0, Keep, PURE;
    SemiJoin        = "daphne.semiJoin",         Exact(5), Exact(2), 0, Keep, PURE;
    GroupJoin       = "daphne.groupJoin",        Exact(5), Exact(2), 0, Keep, PURE;
    Group           = "daphne.group",            AtLeast(1), Exact(1), 0, Keep, PURE;
    SetColLabels    = "daphne.setColLabels",     AtLeast(1), Exact(1), 0, TypeFromFirst, PURE;
    SetColLabelsPrefix = "daphne.setColLabelsPrefix", Exact(2), Exact(1), 0, TypeFromFirst, PURE;
    // --- conversion ---------------------------------------------------------------------------
    Quantize        = "daphne.quantize",         Exact(3), Exact(1), 0, Mat(ValueType::UI8), PURE;
    // --- input/output -------------------------------------------------------------------------
    Print           = "daphne.print",            Exact(3), Exact(0), 0, Keep, NONE;
    Read            = "daphne.read",             Exact(1), Exact(1), 0, Keep, NONE;
    Write           = "daphne.write",            Exact(2), Exact(0), 0, Keep, NONE;
    ReceiveFromNumpy = "daphne.receiveFromNumpy", Exact(3), Exact(1), 0, Keep, NONE;
    SaveDaphneLibResult = "daphne.saveDaphneLibResult", Exact(1), Exact(0), 0, Keep, NONE;
    Stop            = "daphne.stop",             Exact(1), Exact(0), 0, Keep, NONE;
    OpenFile        = "daphne.openFile",         Exact(1), Exact(1), 0, Keep, NONE;
    OpenDevice      = "daphne.openDevice",       Exact(1), Exact(1), 0, Keep, NONE;
    OpenFileOnTarget = "daphne.openFileOnTarget", Exact(2), Exact(1), 0, Keep, NONE;
    Close           = "daphne.close",            Exact(1), Exact(0), 0, Keep, NONE;
    ReadCsv         = "daphne.readCsv",          Exact(4), Exact(1), 0, Mat(ValueType::F64), NONE;
    // --- preprocessing ------------------------------------------------------------------------
    OneHot          = "daphne.oneHot",           Exact(2), Exact(1), 0, TypeFromFirst, PURE;
    Recode          = "daphne.recode",           Exact(2), Exact(2), 0, Custom, PURE;
    Bin             = "daphne.bin",              Exact(4), Exact(1), 0, TypeFromFirst, PURE;
    // --- miscellaneous ------------------------------------------------------------------------
    Now             = "daphne.now",              Exact(0), Exact(1), 0, Sca(ValueType::SI64), NONE;
    StartProfiling  = "daphne.startProfiling",   Exact(1), Exact(0), 0, Keep, NONE;
    StopProfiling   = "daphne.stopProfiling",    Exact(1), Exact(0), 0, Keep, NONE;
    Map             = "daphne.map",              Exact(1), Exact(1), 0, Keep, NONE;
    // --- fused pipelines ----------------------------------------------------------------------
    // Operands are the pipeline's inputs; the body block takes one argument per input and ends
    // with `daphne.return` of the outputs; attributes `splits` (one per input) and `combines` (one
    // per output) say how the engine partitions and reassembles them (see `vector.rs`).
    VectorizedPipeline = "daphne.vectorizedPipeline", AtLeast(1), AtLeast(1), 1, Keep, PURE;
    // A pipeline that runs on the distributed workers: attribute `ir` holds a module whose
    // `func.func @dist` runs the pipeline on a partition (see passes/src/distribute.rs).
    DistributedPipeline = "daphne.distributedPipeline", AtLeast(1), AtLeast(1), 0, Keep, PURE;
    // --- lists --------------------------------------------------------------------------------
    CreateList      = "daphne.createList",       AtLeast(1), Exact(1), 0, Custom, PURE;
    Length          = "daphne.length",           Exact(1), Exact(1), 0, Sca(ValueType::Index), PURE;
    Append          = "daphne.append",           Exact(2), Exact(1), 0, TypeFromFirst, PURE;
    Remove          = "daphne.remove",           Exact(2), Exact(2), 0, Custom, PURE;
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
    fn arity_checks() {
        assert!(Arity::Between(1, 3).accepts(2));
        assert!(!Arity::Exact(2).accepts(3));
        assert!(Arity::AtLeast(1).accepts(7));
    }
}
