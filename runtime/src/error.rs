//! Why a run stopped early: the error every layer of the runtime above the kernels returns (op
//! dispatch, vectorized engine, executor). A module of its own, below them all, so that none of
//! them imports another for it; `exec` re-exports it as `exec::ExecError`.

use daphne_ir::Loc;

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecError {
    /// A kernel or the executor failed (exit code 3 in DAPHNE).
    Runtime { message: String, loc: Loc },
    /// The script called `stop(message)` (exit code 3 as well).
    Stop { message: String, loc: Loc },
    /// The run passed its deadline ([`crate::exec::ExecOptions::deadline`]; how a worker cancels
    /// a task that runs longer than its `--task-timeout`).
    TimedOut { message: String, loc: Loc },
}

impl ExecError {
    pub fn message(&self) -> &str {
        match self {
            ExecError::Runtime { message, .. }
            | ExecError::Stop { message, .. }
            | ExecError::TimedOut { message, .. } => message,
        }
    }

    pub fn loc(&self) -> &Loc {
        match self {
            ExecError::Runtime { loc, .. } | ExecError::Stop { loc, .. } | ExecError::TimedOut { loc, .. } => loc,
        }
    }
}
