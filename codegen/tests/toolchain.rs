//! Both LLVM bindings in one test binary: melior's MLIR execution engine and inkwell's MCJIT
//! must link the same static LLVM and both work in one process.

use daphne_codegen::{jit_add_i64_with_melior, jit_mul_f64_with_inkwell};

#[test]
fn melior_jit_adds_i64() {
    assert_eq!(jit_add_i64_with_melior(40, 2), Ok(42));
    assert_eq!(jit_add_i64_with_melior(-7, 3), Ok(-4));
    // `arith.addi` wraps on overflow.
    assert_eq!(jit_add_i64_with_melior(i64::MAX, 1), Ok(i64::MIN));
}

#[test]
fn inkwell_jit_multiplies_f64() {
    assert_eq!(jit_mul_f64_with_inkwell(1.5, 4.0), Ok(6.0));
    assert_eq!(jit_mul_f64_with_inkwell(-0.5, 3.0), Ok(-1.5));
}
