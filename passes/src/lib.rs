//! Compiler passes over DaphneIR and the pipeline of stages they form.
//!
//! A [`Pass`] rewrites a module; the [`pipeline`] lists, per stage (named after DAPHNE's
//! `--explain` keys, see [`stages`]), which passes run and why; the [`manager`] runs them in order,
//! verifies the module after every pass in tests and debug builds, and lets an observer print the
//! IR after the stages `--explain` asks for.

pub mod canonicalize;
pub mod cse;
pub mod dce;
pub mod horizontal_fusion;
pub mod inference;
pub mod manager;
pub mod pipeline;
pub mod pipeline_cleanup;
pub mod select_repr;
pub mod stages;
pub mod transpose_into_matmul;
pub mod vectorize;

use daphne_ir::fold::ConstantFolder;
use daphne_ir::{Loc, Module};
use std::fmt;

/// Settings that decide which passes run and how.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// `--select-matrix-repr`: choose sparse (CSR) representations where the inferred sparsity is
    /// below `sparsity_threshold`.
    pub select_matrix_repr: bool,
    /// DAPHNE's `sparsity_threshold` (0.25 by default).
    pub sparsity_threshold: f64,
    /// `--vec`: fuse operations into vectorized pipelines.
    pub vectorize: bool,
    /// Run the verifier after every pass (on in tests and debug builds).
    pub verify_each_pass: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            select_matrix_repr: false,
            sparsity_threshold: 0.25,
            vectorize: false,
            verify_each_pass: cfg!(debug_assertions),
        }
    }
}

/// Whether a pass changed the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Changed {
    Yes,
    No,
}

/// A failure in a pass: a user error (a compile-time type or shape error in the script) or an
/// internal invariant violation, naming the pass either way.
#[derive(Clone, Debug, PartialEq)]
pub struct PassError {
    pub pass: &'static str,
    pub loc: Loc,
    pub message: String,
    /// `false` for internal errors (a bug in the compiler, not in the script).
    pub user_error: bool,
}

impl fmt::Display for PassError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.user_error {
            write!(f, "{}", self.message)
        } else {
            write!(f, "internal error in pass `{}`: {}", self.pass, self.message)
        }
    }
}

impl std::error::Error for PassError {}

/// What passes can read besides the module.
pub struct PassCx<'a> {
    pub options: &'a CompileOptions,
    /// Evaluates ops over constants for constant folding (the runtime's kernels, set by the
    /// driver); without one, canonicalization folds nothing.
    pub folder: Option<&'a dyn ConstantFolder>,
}

impl<'a> PassCx<'a> {
    /// A context without a constant folder.
    pub fn new(options: &'a CompileOptions) -> PassCx<'a> {
        PassCx { options, folder: None }
    }
}

/// A module-to-module rewrite.
pub trait Pass {
    /// A stable snake_case name (used in messages and `--explain`).
    fn name(&self) -> &'static str;
    fn run(&self, m: &mut Module, cx: &mut PassCx<'_>) -> Result<Changed, PassError>;
}
