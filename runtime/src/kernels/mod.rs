//! The kernels behind DaphneIR ops, grouped by family. Each takes run-time values (and the result
//! value type that type inference decided) and returns new values or an error message; the op
//! dispatch adds the DaphneDSL location. Beside each family's kernels, its op adapters (`run_*`)
//! read an op's operands ([`args::OpArgs`]) and call the kernels: the op dispatch
//! (`dispatch.rs`) has one arm per op kind that calls one adapter.

pub mod agg;
pub mod args;
pub mod cast;
pub mod combine;
pub mod datagen;
pub mod dbin;
pub mod ewise;
pub mod frame;
pub mod index;
pub mod io;
pub mod linalg;
pub mod list;
pub mod meta;
pub mod par;
pub mod parquet;
pub mod preprocess;
pub mod reorg;
pub mod row_reads;
pub mod structure;
