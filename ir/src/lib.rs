//! DaphneIR: the intermediate representation every stage of the compiler works on.
//!
//! A [`Module`] owns arenas of ops, values, blocks and regions, addressed by typed handles. The op
//! set is closed and generated from one table ([`ops`]) whose columns hold every fact about an op
//! (families, vectorization, code generation, distribution); types follow DAPHNE's ([`types`]); every
//! op carries a source location ([`loc`]). The text form ([`print`], [`parse`]) is MLIR-like,
//! deterministic and round-trips; it is also what travels to distributed workers. [`verify`]
//! checks structural invariants, [`infer`] derives result types, [`fold`] is how passes ask the
//! runtime to evaluate constant expressions, and [`diag`] renders user-facing diagnostics with code
//! frames.

pub mod attr;
mod columns;
pub mod copy;
pub mod diag;
pub mod escape;
pub mod fold;
pub mod infer;
pub mod loc;
pub mod module;
pub mod ops;
pub mod parse;
pub mod print;
pub mod types;
pub mod vector;
pub mod verify;

pub use attr::{Attr, Const, DenseAttr};
pub use loc::Loc;
pub use module::{Attrs, Block, Module, Op, Region, Value, ValueDef};
pub use ops::OpKind;
pub use parse::{ParseError, parse_module};
pub use print::{PrintOptions, print_module};
pub use types::{FrameType, MatrixType, Repr, Type, ValueType};
pub use verify::{VerifyError, verify};
