//! Constant folding as a service: passes ask a [`ConstantFolder`] for the value of an op whose
//! operands are all constants, and the runtime answers with its own kernels. The arithmetic lives
//! in one place (the runtime), so a folded constant is exactly what execution would compute: C++
//! integer division and wrapping, `static_cast` conversions, `std::to_string` in concatenation.
//!
//! The dependency direction stays `passes -> ir <- runtime`: this trait is the meeting point, and
//! the driver hands the runtime's implementation to the passes. The same service reads the meta
//! data of a file named by a constant, for the type of `readMatrix` (the runtime knows the
//! formats).

use crate::attr::Const;
use crate::ops::OpKind;
use crate::types::Type;

/// Evaluates ops over constant operands at compile time.
pub trait ConstantFolder {
    /// The value of `kind` applied to `operands`, with the op's (known) result type.
    ///
    /// `None` means "do not fold": the kind is not one the folder evaluates, the kernel would fail
    /// at run time (the error and its location must then stay), or its value would not have
    /// exactly `result_type`. A returned constant always has `result_type`.
    fn fold(&self, kind: OpKind, operands: &[Const], result_type: &Type) -> Option<Const>;

    /// What `readMatrix` of the constant file name `path` returns, from the file's meta data (its
    /// `.meta`, header or footer), as DAPHNE's compiler reads it: a dense matrix type with rows,
    /// columns and value type. `None` when it is not known at compile time (no such file, no meta
    /// data, a format without it): the type then stays unknown until the file is read.
    fn matrix_file_type(&self, _path: &str) -> Option<Type> {
        None
    }
}
