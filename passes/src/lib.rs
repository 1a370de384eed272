//! Compiler passes over DaphneIR and the pipeline of stages they form.
//!
//! A [`Pass`] rewrites a module; the [`pipeline`] lists, per stage (named after DAPHNE's
//! `--explain` keys, see [`stages`]), which passes run and why; the [`manager`] runs them in order,
//! verifies the module after every pass in tests and debug builds, and lets an observer print the
//! IR after the stages `--explain` asks for.

pub mod canonicalize;
pub mod cse;
pub mod dce;
pub mod distribute;
pub mod horizontal_fusion;
pub mod inference;
pub mod manager;
pub mod phy_op_selection;
pub mod pipeline;
pub mod pipeline_cleanup;
pub mod select_repr;
pub mod specialize;
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
    /// `--distributed`: turn the pipelines into distributed pipelines (implies vectorization).
    pub distributed: bool,
    /// `--dist-min-bytes`: a pipeline whose inputs are known to hold fewer bytes stays local
    /// (the round trip to the workers would cost more than the work); 0 distributes every one.
    pub dist_min_bytes: u64,
    /// Physical operator selection (on unless `--no-phy-op-selection`).
    pub phy_op_selection: bool,
    /// Run the verifier after every pass (on in tests and debug builds).
    pub verify_each_pass: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            select_matrix_repr: false,
            sparsity_threshold: 0.25,
            vectorize: false,
            distributed: false,
            dist_min_bytes: 0,
            phy_op_selection: true,
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

/// Rewrites every block of straight-line code: each function body and, before the block that holds
/// them, the blocks of its `scf.if`/`scf.for`/`scf.while` ops (pipeline bodies are not visited).
/// `rewrite` returns whether it changed its block.
pub(crate) fn rewrite_blocks(
    m: &mut Module,
    rewrite: &mut dyn FnMut(&mut Module, daphne_ir::Block) -> Result<bool, PassError>,
) -> Result<Changed, PassError> {
    fn visit(
        m: &mut Module,
        b: daphne_ir::Block,
        rewrite: &mut dyn FnMut(&mut Module, daphne_ir::Block) -> Result<bool, PassError>,
    ) -> Result<bool, PassError> {
        let mut changed = false;
        for op in m.block_ops(b).to_vec() {
            if matches!(m.kind(op), daphne_ir::OpKind::If | daphne_ir::OpKind::For | daphne_ir::OpKind::While) {
                for i in 0..m.op(op).regions.len() {
                    if let Some(inner) = m.op_block(op, i) {
                        changed |= visit(m, inner, rewrite)?;
                    }
                }
            }
        }
        Ok(rewrite(m, b)? | changed)
    }
    let mut changed = false;
    for func in m.funcs() {
        if let Some(entry) = m.op_block(func, 0) {
            changed |= visit(m, entry, rewrite)?;
        }
    }
    Ok(if changed { Changed::Yes } else { Changed::No })
}

/// A module-to-module rewrite.
pub trait Pass {
    /// A stable snake_case name (used in messages and `--explain`).
    fn name(&self) -> &'static str;
    fn run(&self, m: &mut Module, cx: &mut PassCx<'_>) -> Result<Changed, PassError>;
}

/// Test helpers: run one pass over IR text.
#[cfg(test)]
pub(crate) mod testing {
    use super::{CompileOptions, Pass, PassCx};
    use daphne_ir::{PrintOptions, parse_module, print_module, verify};

    /// Parses `src`, runs `pass`, verifies, and prints the result.
    pub fn run_pass(pass: &dyn Pass, src: &str) -> String {
        let mut m = parse_module(src).expect("test IR parses");
        let opts = CompileOptions::default();
        pass.run(&mut m, &mut PassCx::new(&opts)).expect("pass runs");
        verify(&m).expect("verifies after the pass");
        print_module(&m, PrintOptions::default())
    }
}
