//! The abstract syntax tree of a DaphneDSL script, as the parser produces it. Every node keeps the
//! span of the source it came from, for diagnostics and IR locations.

use daphne_ir::ValueType;
use daphne_ir::diag::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub stmts: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

/// The `(rows, cols)` of a matrix literal, each optional.
pub type LiteralShape = (Option<Box<Expr>>, Option<Box<Expr>>);

// Statements are built once per script and matched everywhere: boxing the large variants would
// cost every match a deref and save little memory.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `{ ... }`: a scope.
    Block(Vec<Stmt>),
    /// `expr;`
    Expr(Expr),
    /// `a = e;`, `a, b = f(x);`, `X[1:3, 2] = Y;`
    Assign {
        targets: Vec<AssignTarget>,
        value: Expr,
    },
    If {
        cond: Expr,
        then_branch: Box<Stmt>,
        else_branch: Option<Box<Stmt>>,
    },
    /// `while (c) s` or, with `do_while`, `do s while (c);`
    While {
        cond: Expr,
        body: Box<Stmt>,
        do_while: bool,
    },
    /// `for (var in from:to[:step]) s` (upper bound inclusive).
    For {
        var: Name,
        from: Expr,
        to: Expr,
        step: Option<Expr>,
        body: Box<Stmt>,
    },
    Func(FuncDef),
    Return(Vec<Expr>),
    /// `import "path" [as "alias"];`
    Import {
        path: String,
        alias: Option<String>,
    },
}

/// A (possibly dotted) name and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssignTarget {
    pub name: Name,
    pub indexing: Option<Indexing>,
}

/// `[rows, cols]`; either part may be absent.
#[derive(Clone, Debug, PartialEq)]
pub struct Indexing {
    pub rows: Option<IndexRange>,
    pub cols: Option<IndexRange>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum IndexRange {
    /// `i` (a position, a position list or a label).
    Single(Box<Expr>),
    /// `lo:hi`, each bound optional (lower inclusive, upper exclusive).
    Slice { lo: Option<Box<Expr>>, hi: Option<Box<Expr>> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct FuncDef {
    pub name: Name,
    pub params: Vec<Param>,
    /// `-> t1, t2`; `None` if not given.
    pub results: Option<Vec<TypeAnn>>,
    pub body: Vec<Stmt>,
    /// Where the body's closing brace is (for the implicit return).
    pub end: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Name,
    pub ty: Option<TypeAnn>,
}

/// A type annotation: `matrix`, `matrix<f64>`, `scalar`, `frame`, or a value type such as `si64`.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeAnn {
    Data { data_type: &'static str, value_type: Option<ValueType>, span: Span },
    Value { value_type: ValueType, span: Span },
}

impl TypeAnn {
    pub fn span(&self) -> Span {
        match self {
            TypeAnn::Data { span, .. } | TypeAnn::Value { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Plus,
    Minus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    MatMul,
    Pow,
    Mod,
    Mul,
    Div,
    Add,
    Sub,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::MatMul => "@",
            BinOp::Pow => "^",
            BinOp::Mod => "%",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Eq => "==",
            BinOp::Neq => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }
}

/// A call argument, optionally named (`rand(numRows=3, ...)`).
#[derive(Clone, Debug, PartialEq)]
pub struct CallArg {
    pub name: Option<Name>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// Digits (separators removed) and suffix (`""`, `l`, `u`, `ull`, `z`).
    Int {
        digits: String,
        suffix: &'static str,
    },
    /// Text (separators removed) and whether it is single precision.
    Float {
        text: String,
        single: bool,
    },
    Bool(bool),
    Str(String),
    /// `$name`
    Arg(String),
    /// A variable, possibly dotted (`alias.x`).
    Ident(String),
    /// `f(args)`, `ns.f(args)`, `f::kernel(args)`.
    Call {
        name: Name,
        kernel: Option<String>,
        args: Vec<CallArg>,
    },
    /// `as.matrix<f64>(x)`, `as.si64(x)`, `as.frame(x)`, `as.scalar(x)`.
    Cast {
        data_type: Option<&'static str>,
        value_type: Option<ValueType>,
        arg: Box<Expr>,
    },
    /// `obj[rows, cols]`
    Index {
        obj: Box<Expr>,
        idx: Indexing,
    },
    /// `obj[[rows, cols]]` (bit-vector filter)
    Filter {
        obj: Box<Expr>,
        rows: Option<Box<Expr>>,
        cols: Option<Box<Expr>>,
    },
    Unary {
        op: UnaryOp,
        arg: Box<Expr>,
    },
    Binary {
        op: BinOp,
        kernel: Option<String>,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        op_span: Span,
    },
    /// `c ? a : b`
    Cond {
        cond: Box<Expr>,
        then_val: Box<Expr>,
        else_val: Box<Expr>,
    },
    /// `[e, ...]` with optional `(rows, cols)`; `shape` is `None` without parentheses.
    Matrix {
        elems: Vec<Expr>,
        shape: Option<LiteralShape>,
    },
    /// `{"a": col, "b": col}`
    FrameCols(Vec<(Expr, Expr)>),
    /// `{["a", "b"], [1, 2.0], ...}`
    FrameRows {
        labels: Vec<Expr>,
        rows: Vec<Vec<Expr>>,
    },
    /// Stands in for an expression that failed to parse.
    Error,
}
