//! Generated pipeline functions called directly through their slot ABI, checked against values
//! computed here in Rust with the kernels' semantics (operation order included).

use daphne_codegen::{ArgKind, OutputKind, compile_pipeline};
use daphne_ir::vector;
use daphne_ir::{Module, OpKind, ValueType, parse_module};

/// The first vectorized pipeline of `text`: its module, op and IR text.
fn pipeline(text: &str) -> (Module, daphne_ir::Op) {
    let m = parse_module(text).expect("test IR parses");
    let mut found = None;
    m.walk(&mut |op| {
        if found.is_none() && m.kind(op) == OpKind::VectorizedPipeline {
            found = Some(op);
        }
    });
    let op = found.expect("a pipeline");
    (m, op)
}

fn compile(text: &str, args: &[ArgKind]) -> std::sync::Arc<daphne_codegen::Compiled> {
    let (m, op) = pipeline(text);
    let combines = vector::combines(&m, op).expect("combines");
    compile_pipeline(&m, op, args, &combines).result.unwrap_or_else(|e| panic!("not compiled: {e}"))
}

const W1: &str = r#"module {
  func.func @main() {
    %0 = "daphne.fill"() : () -> !daphne.Matrix<?x?xf64>
    %1 = "daphne.vectorizedPipeline"(%0) ({
    ^bb0(%arg0: !daphne.Matrix<?x?xf64>):
      %2 = "daphne.constant"() {value = 2 : si64} : () -> si64
      %3 = "daphne.constant"() {value = 1 : si64} : () -> si64
      %4 = "daphne.constant"() {value = 3 : si64} : () -> si64
      %5 = "daphne.ewMul"(%arg0, %2) : (!daphne.Matrix<?x?xf64>, si64) -> !daphne.Matrix<?x?xf64>
      %6 = "daphne.ewAdd"(%5, %3) : (!daphne.Matrix<?x?xf64>, si64) -> !daphne.Matrix<?x?xf64>
      %7 = "daphne.ewPow"(%6, %2) : (!daphne.Matrix<?x?xf64>, si64) -> !daphne.Matrix<?x?xf64>
      %8 = "daphne.ewAdd"(%arg0, %4) : (!daphne.Matrix<?x?xf64>, si64) -> !daphne.Matrix<?x?xf64>
      %9 = "daphne.ewDiv"(%7, %8) : (!daphne.Matrix<?x?xf64>, !daphne.Matrix<?x?xf64>) -> !daphne.Matrix<?x?xf64>
      %10 = "daphne.sumAll"(%9) : (!daphne.Matrix<?x?xf64>) -> f64
      "daphne.return"(%10) : (f64) -> ()
    }) {combines = [3], splits = [1]} : (!daphne.Matrix<?x?xf64>) -> f64
    "daphne.return"() : () -> ()
  }
}"#;

/// The kernels' full sum: cell `c` of each row into lane `c % 8`, then a fixed tree.
fn lane_sum(rows: usize, cols: usize, f: impl Fn(usize, usize) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    for r in 0..rows {
        for c in 0..cols {
            acc[c % 8] += f(r, c);
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

#[test]
fn fused_chain_with_full_sum() {
    let compiled = compile(W1, &[ArgKind::Full(ValueType::F64)]);
    assert_eq!(compiled.lowered.outputs, vec![OutputKind::Scalar(ValueType::F64)]);
    assert!(compiled.native.llvm_ir.contains("define"), "LLVM IR is kept for --explain");
    for (rows, cols, stride) in [(3usize, 21usize, 21usize), (5, 8, 11), (1, 3, 3), (4, 40, 40)] {
        let x: Vec<f64> = (0..rows * stride).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut out = 0.0f64;
        let slots: Vec<u64> =
            vec![rows as u64, cols as u64, x.as_ptr() as u64, stride as u64, &mut out as *mut f64 as u64, 0];
        // SAFETY: the slots follow the ABI: `x` holds rows x stride cells, `out` one f64.
        let status = unsafe { (compiled.native.function)(slots.as_ptr()) };
        assert_eq!(status, 0);
        let expected = lane_sum(rows, cols, |r, c| {
            let v = x[r * stride + c];
            let a = v * 2.0 + 1.0;
            (a * a) / (v + 3.0)
        });
        assert_eq!(out.to_bits(), expected.to_bits(), "{rows}x{cols}");
    }
}
