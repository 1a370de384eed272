//! Constant folding as a service: passes ask a [`ConstantFolder`] for the value of an op whose
//! operands are all constants, and the runtime answers with its own kernels. The arithmetic lives
//! in one place (the runtime), so a folded constant is exactly what execution would compute: C++
//! integer division and wrapping, `static_cast` conversions, `std::to_string` in concatenation.
//!
//! The dependency direction stays `passes -> ir <- runtime`: this trait is the meeting point, and
//! the driver hands the runtime's implementation to the passes.

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
}
