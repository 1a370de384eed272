//! The seam between the coordinator and the network: a [`Transport`] is everything the
//! coordinator asks of its workers (store an object, run a task, transfer an object back, free
//! objects, check that a worker lives), addressed by worker index. The coordinator knows this
//! trait, never tonic; [`grpc`] implements it over the gRPC protocol of `proto/`, and `mpi` (with
//! the `mpi` feature) over MPI point-to-point messages carrying the same messages. Calls block
//! the calling thread: the coordinator makes concurrent calls from several threads, and each
//! transport is free to drive them as it likes.

pub mod grpc;
#[cfg(feature = "mpi")]
pub mod mpi;

use crate::proto::{Computed, TaskInput};
use daphne_runtime::data::Data;

/// What a failed call means. The names follow the gRPC status codes the protocol uses; other
/// transports map their failures onto them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// The worker refused a malformed request.
    InvalidArgument,
    /// The worker does not hold the object (or session) named.
    NotFound,
    /// The worker speaks another protocol version.
    FailedPrecondition,
    /// The task failed on the worker with an execution error (a kernel's error).
    Aborted,
    /// The worker is out of memory (its memory limit).
    ResourceExhausted,
    /// The worker refused the coordinator's token.
    Unauthenticated,
    /// The worker refused the request's content.
    PermissionDenied,
    AlreadyExists,
    OutOfRange,
    Unimplemented,
    /// The worker cannot be reached.
    Unavailable,
    /// The worker did not answer in time.
    DeadlineExceeded,
    /// The call was cancelled (a connection closed under it).
    Cancelled,
    /// Bytes got lost or garbled on the way.
    DataLoss,
    /// Something failed inside one of the ends.
    Internal,
    /// A failure the transport cannot classify.
    Unknown,
}

/// A failed call: its [`Code`] and what the transport or the worker said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    pub code: Code,
    pub message: String,
}

impl CallError {
    pub fn new(code: Code, message: impl Into<String>) -> CallError {
        CallError { code, message: message.into() }
    }

    /// Whether this is the worker's answer about the request (it is alive and said no), as
    /// opposed to a failure of the connection or the process.
    pub fn is_answer(&self) -> bool {
        matches!(
            self.code,
            Code::InvalidArgument
                | Code::NotFound
                | Code::FailedPrecondition
                | Code::Aborted
                | Code::ResourceExhausted
                | Code::Unauthenticated
                | Code::PermissionDenied
                | Code::OutOfRange
                | Code::Unimplemented
        )
    }

    /// What the failure means, in words.
    pub fn describe(&self) -> String {
        let m = &self.message;
        match self.code {
            Code::Unavailable => format!("it is unreachable ({m})"),
            Code::DeadlineExceeded if m.is_empty() => "it did not answer in time".into(),
            Code::DeadlineExceeded => format!("it did not answer in time ({m})"),
            Code::Unauthenticated => {
                format!("it refused this coordinator ({m}); give the workers' token in DAPHNE_WORKER_TOKEN")
            }
            Code::FailedPrecondition => format!("it speaks another protocol ({m})"),
            Code::ResourceExhausted => format!("it is out of memory ({m})"),
            code => format!("{code:?}: {m}"),
        }
    }
}

/// Everything the coordinator asks of its workers. Worker `w` is the `w`-th of the list the
/// transport was made with; every call belongs to the coordinator's session.
pub trait Transport: Send + Sync {
    /// How many workers there are.
    fn worker_count(&self) -> usize;

    /// The address of worker `w`, for messages.
    fn address(&self, w: usize) -> &str;

    /// The health check, which also tells the worker that the session is alive.
    fn ping(&self, w: usize) -> Result<(), CallError>;

    /// Stores one object on worker `w`; its id there and the payload bytes sent.
    fn store(&self, w: usize, data: &Data) -> Result<(u64, u64), CallError>;

    /// Runs a task (a module whose `@dist` function takes `inputs`) on worker `w`; its outputs
    /// stay on the worker under fresh ids, scalars come back inline.
    fn compute(&self, w: usize, ir: &str, inputs: Vec<TaskInput>) -> Result<Computed, CallError>;

    /// Fetches one object from worker `w`; the object and the payload bytes received.
    fn transfer(&self, w: usize, id: u64) -> Result<(Data, u64), CallError>;

    /// Frees objects on worker `w`, or (with `all`) every object of the session.
    fn free(&self, w: usize, ids: &[u64], all: bool) -> Result<(), CallError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_told_from_lost_connections() {
        assert!(CallError::new(Code::Aborted, "x").is_answer());
        assert!(CallError::new(Code::PermissionDenied, "x").is_answer());
        assert!(!CallError::new(Code::Unavailable, "x").is_answer());
        assert!(!CallError::new(Code::Cancelled, "x").is_answer());
        assert_eq!(CallError::new(Code::DeadlineExceeded, "").describe(), "it did not answer in time");
        assert_eq!(CallError::new(Code::DeadlineExceeded, "x").describe(), "it did not answer in time (x)");
        assert_eq!(CallError::new(Code::Internal, "boom").describe(), "Internal: boom");
    }
}
