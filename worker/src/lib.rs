//! The `DistributedWorker`: a thin gRPC server over the runtime (and, later, codegen) that stores
//! partitions of data objects, runs the DaphneIR pipelines a coordinator sends it and hands back the
//! results.
//!
//! Nothing is implemented here yet: the worker arrives with the "distributed runtime" issue (see the
//! README's status table).
