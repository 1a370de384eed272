//! The DAPHNE runtime: runs DaphneIR modules. Its modules form layers; each imports only the
//! layers below it, so no two modules import each other:
//!
//! 1. data: scalars ([`elem`]), dense and CSR matrices ([`dense`], [`csr`], [`matrix`]), frames
//!    ([`frame`]), lists, all behind [`data::Data`]; number formatting ([`format`](mod@format))
//!    and DAPHNE's random streams ([`rng`]).
//! 2. [`kernels`]: the kernels behind the ops, grouped by family, each family with its op
//!    adapters (`run_*`), plus the kernels that combine partial results
//!    ([`kernels::combine`]). The constant folder ([`fold`]) evaluates scalar expressions for
//!    the compiler with the same kernels.
//! 3. op dispatch (`dispatch`): one exhaustive match over `OpKind` that calls an op's adapter
//!    and places kernel errors at the op's DaphneDSL location (`error`, re-exported as
//!    [`exec::ExecError`]).
//! 4. [`vectorized`]: the engine that runs fused pipelines on many threads (JIT-compiled where
//!    the code generator handles them), running ops through the dispatch.
//! 5. [`exec`]: the executor, which walks a module's functions, runs control flow, calls and
//!    `print` itself, hands pipelines to the engine and distributed pipelines to the
//!    [`distributor::Distributor`].
//!
//! A host program running scripts in-process (the Python API) binds its data and collects results
//! through [`host::HostExchange`] (`receiveFromNumpy`, `saveDaphneLibResult`).
//!
//! The distributed runtime (the `daphne-distributed` crate, above this one) implements
//! [`distributor::Distributor`]; this crate defines the trait and never names that crate, so it
//! builds without the network stack.

pub mod csr;
pub mod data;
pub mod dense;
mod dispatch;
pub mod distributor;
pub mod elem;
mod error;
pub mod exec;
pub mod fold;
pub mod format;
pub mod frame;
pub mod host;
pub mod kernels;
pub mod matrix;
pub mod memory;
pub mod rng;
pub mod vectorized;

pub use data::Data;
pub use elem::Scalar;
pub use frame::Frame;
pub use matrix::{Csr, Dense, Matrix};
