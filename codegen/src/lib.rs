//! Native code generation for DAPHNE pipelines.
//!
//! This is the only crate of the workspace that links LLVM and MLIR. Both bindings, melior
//! (MLIR 19) and inkwell (LLVM 19), link the same static LLVM archives, so there is exactly one
//! LLVM in the process; no inkwell `*-dynamic` feature may ever be enabled here.
//!
//! A vectorized pipeline's body is lowered to MLIR ([`lower`]), lowered to the LLVM dialect,
//! translated to LLVM IR, optimized at O3 for the host CPU and JIT-compiled ([`native`]); the
//! result is cached process-wide ([`cache`]) by the pipeline's IR text and its inputs' kinds.

pub mod cache;
pub mod lower;
pub mod native;
mod toolchain;

pub use cache::{CacheStats, Compiled, Lookup, compile_pipeline, compile_when_hot, stats};
pub use lower::{ArgKind, LANES, Lowered, OutputKind};
pub use native::PipelineFn;
pub use toolchain::{jit_add_i64_with_melior, jit_mul_f64_with_inkwell};
