//! The end-to-end tests of the `daphne` and `DistributedWorker` binaries, in one test binary:
//! every test binary links the whole compiler with static LLVM (about 200 MB), so one binary
//! instead of thirteen saves CI a dozen such links. Each module is one concern (see the README's
//! Tests section); `common` has what they share (running the binaries, starting workers).

mod common;

mod codegen;
mod deploy;
mod diagnostics;
mod distributed;
mod execution_never_panics;
mod explain_parsing;
mod explain_simplified;
mod explain_stages;
mod folding_matches_execution;
#[cfg(feature = "mpi")]
mod mpi;
mod reads;
mod reliability;
mod scripts;
mod tls;
mod vectorized;
