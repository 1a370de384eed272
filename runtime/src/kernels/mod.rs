//! The kernels behind DaphneIR ops, grouped by family. Each takes run-time values (and the result
//! value type that type inference decided) and returns new values or an error message; the
//! executor adds the DaphneDSL location.

pub mod agg;
pub mod cast;
pub mod combine;
pub mod datagen;
pub mod ewise;
pub mod index;
pub mod io;
pub mod linalg;
pub mod preprocess;
pub mod reorg;
pub mod structure;
