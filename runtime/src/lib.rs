//! The DAPHNE runtime: data objects (dense and CSR matrices, frames, scalars, lists), the kernels
//! behind DaphneIR ops, the executor that runs a module, and the constant folder that lets compiler
//! passes evaluate scalar expressions with the same kernels.
//!
//! The vectorized engine ([`engine`]) runs fused pipelines on many threads; the coordinator side of
//! distributed execution comes with a later issue (see the README's status table).

pub mod csr;
pub mod data;
pub mod dense;
pub mod dist;
mod dispatch;
pub mod elem;
mod error;
pub mod vectorized;
pub mod exec;
pub mod fold;
pub mod format;
pub mod frame;
pub mod kernels;
pub mod matrix;
pub mod rng;

pub use data::Data;
pub use elem::Scalar;
pub use frame::Frame;
pub use matrix::{Csr, Dense, Matrix};
