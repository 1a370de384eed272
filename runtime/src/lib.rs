//! The DAPHNE runtime: data objects (dense and CSR matrices, frames, scalars, lists), the kernels
//! behind every DaphneIR op, the executor that runs a module, the multi-threaded vectorized engine,
//! and the coordinator side of distributed execution.
//!
//! Nothing is implemented here yet: local execution arrives with the "local execution" issue, the
//! vectorized engine and the coordinator with the issues after it (see the README's status table).
