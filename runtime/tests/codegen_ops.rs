//! Generated code per op family and value type: each op runs in a vectorized pipeline over a
//! 97x3 matrix (and a row vector, a column vector or a scalar as its second operand) with tiny
//! batches, once as JIT-compiled code and once on the kernels, and both must print the same; the
//! code generator must accept every pipeline of the table (so the comparison is not vacuous).

use daphne_codegen::{ArgKind, compile_pipeline};
use daphne_ir::{OpKind, ValueType, parse_module, vector};
use daphne_runtime::exec::{ExecOptions, Executor, Output};
use daphne_runtime::vectorized::{Engine, EngineOptions};
use std::sync::Arc;

fn run(src: &str, codegen: bool) -> (String, Option<String>) {
    let m = parse_module(src).expect("test IR parses");
    let engine = Arc::new(
        Engine::new(&EngineOptions {
            threads: 2,
            batch_bytes: 64,
            codegen,
            codegen_threshold: 0,
            ..Default::default()
        })
        .expect("engine"),
    );
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let r = {
        let mut exec = Executor::new(
            &m,
            Output { out: &mut out, err: &mut err },
            &ExecOptions { engine: Some(engine), ..Default::default() },
        );
        exec.run_main()
    };
    (String::from_utf8(out).expect("utf-8"), r.err().map(|e| e.message().to_string()))
}

/// The second operand of a binary op.
#[derive(Clone, Copy)]
enum Rhs {
    Matrix,
    RowVector,
    ColVector,
    Scalar,
}

/// `X` (97x3, values (k - 150) / 7 for k = 1..291, or k / 300 for `small`, or k for
/// `positive`), cast to `vt`; `Y` the same shifted; then `pipeline`, whose result is printed.
fn program(vt: ValueType, values: &str, rhs_decl: &str, pipeline: &str, res_ty: &str) -> String {
    let t = vt.ir_name();
    let (a, b) = match values {
        "small" => ("0.0", "3.000000e+02"),
        "positive" => ("0.0", "1.000000e+00"),
        _ => ("1.500000e+02", "7.000000e+00"),
    };
    format!(
        r#"module {{
  func.func @main() {{
    %c1 = "daphne.constant"() {{value = 1.000000e+00 : f64}} : () -> f64
    %c291 = "daphne.constant"() {{value = 2.910000e+02 : f64}} : () -> f64
    %s = "daphne.seq"(%c1, %c291, %c1) : (f64, f64, f64) -> !daphne.Matrix<?x1xf64>
    %r = "daphne.constant"() {{value = 97 : index}} : () -> index
    %k = "daphne.constant"() {{value = 3 : index}} : () -> index
    %R = "daphne.reshape"(%s, %r, %k) : (!daphne.Matrix<?x1xf64>, index, index) -> !daphne.Matrix<97x3xf64>
    %sa = "daphne.constant"() {{value = {a} : f64}} : () -> f64
    %sb = "daphne.constant"() {{value = {b} : f64}} : () -> f64
    %R1 = "daphne.ewSub"(%R, %sa) : (!daphne.Matrix<97x3xf64>, f64) -> !daphne.Matrix<97x3xf64>
    %R2 = "daphne.ewDiv"(%R1, %sb) : (!daphne.Matrix<97x3xf64>, f64) -> !daphne.Matrix<97x3xf64>
    %X = "daphne.cast"(%R2) : (!daphne.Matrix<97x3xf64>) -> !daphne.Matrix<97x3x{t}>
    %sh = "daphne.constant"() {{value = 5.000000e-01 : f64}} : () -> f64
    %R3 = "daphne.ewAdd"(%R2, %sh) : (!daphne.Matrix<97x3xf64>, f64) -> !daphne.Matrix<97x3xf64>
    %Y = "daphne.cast"(%R3) : (!daphne.Matrix<97x3xf64>) -> !daphne.Matrix<97x3x{t}>
    %zero = "daphne.constant"() {{value = 0 : index}} : () -> index
    %one = "daphne.constant"() {{value = 1 : index}} : () -> index
    %two = "daphne.constant"() {{value = 2 : index}} : () -> index
    %V = "daphne.sliceRow"(%Y, %two, %k) : (!daphne.Matrix<97x3x{t}>, index, index) -> !daphne.Matrix<1x3x{t}>
    %C = "daphne.sliceCol"(%Y, %one, %two) : (!daphne.Matrix<97x3x{t}>, index, index) -> !daphne.Matrix<97x1x{t}>
    %t = "daphne.constant"() {{value = true}} : () -> i1
    %f = "daphne.constant"() {{value = false}} : () -> i1
{rhs_decl}
{pipeline}
    "daphne.print"(%P, %t, %f) : ({res_ty}, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }}
}}"#
    )
}

fn check(src: &str, kinds: &[ArgKind], what: &str) {
    let jit = run(src, true);
    let kernels = run(src, false);
    assert_eq!(jit, kernels, "{what}: JIT and kernels differ");
    // The generator must handle the pipeline, or the comparison above proves nothing.
    let m = parse_module(src).expect("parses");
    let mut pipeline = None;
    m.walk(&mut |op| {
        if m.kind(op) == OpKind::VectorizedPipeline {
            pipeline = Some(op);
        }
    });
    let op = pipeline.expect("a pipeline");
    let combines = vector::combines(&m, op).expect("combines");
    if let Err(e) = compile_pipeline(&m, op, kinds, &combines).result {
        panic!("{what}: not generated: {e}");
    }
}

const INT_TYPES: [ValueType; 6] =
    [ValueType::SI64, ValueType::SI32, ValueType::SI8, ValueType::UI64, ValueType::UI32, ValueType::UI8];
const FLOAT_TYPES: [ValueType; 2] = [ValueType::F64, ValueType::F32];

#[test]
fn unary_ops_on_every_value_type() {
    let float_only = [
        ("ewExp", ""),
        ("ewLn", "positive"),
        ("ewSqrt", "positive"),
        ("ewSin", ""),
        ("ewCos", ""),
        ("ewTan", ""),
        ("ewSinh", ""),
        ("ewCosh", ""),
        ("ewTanh", ""),
        ("ewAsin", "small"),
        ("ewAcos", "small"),
        ("ewAtan", ""),
    ];
    let any = ["ewMinus", "ewAbs", "ewSign", "ewRound", "ewFloor", "ewCeil", "ewIsnan"];
    let mut cases: Vec<(&str, &str, ValueType)> = Vec::new();
    for vt in FLOAT_TYPES {
        cases.extend(float_only.iter().map(|(op, v)| (*op, *v, vt)));
    }
    for vt in FLOAT_TYPES.iter().chain(&INT_TYPES) {
        cases.extend(any.iter().map(|op| (*op, "", *vt)));
    }
    for (op, values, vt) in cases {
        let t = format!("!daphne.Matrix<?x3x{}>", vt.ir_name());
        let pipeline = format!(
            r#"    %P = "daphne.vectorizedPipeline"(%X) ({{
    ^bb0(%a: {t}):
      %x = "daphne.{op}"(%a) : ({t}) -> {t}
      "daphne.return"(%x) : ({t}) -> ()
    }}) {{combines = [1], splits = [1]}} : (!daphne.Matrix<97x3x{v}>) -> !daphne.Matrix<97x3x{v}>"#,
            v = vt.ir_name()
        );
        let src = program(vt, values, "", &pipeline, &format!("!daphne.Matrix<97x3x{}>", vt.ir_name()));
        check(&src, &[ArgKind::Full(vt)], &format!("{op} on {}", vt.ir_name()));
    }
}

#[test]
fn binary_ops_with_every_broadcast() {
    let float_only = ["ewDiv", "ewPow", "ewMod", "ewLog"];
    let any =
        ["ewAdd", "ewSub", "ewMul", "ewMin", "ewMax", "ewAnd", "ewOr", "ewEq", "ewNeq", "ewLt", "ewLe", "ewGt", "ewGe"];
    let mut cases: Vec<(&str, ValueType)> = Vec::new();
    for vt in FLOAT_TYPES {
        cases.extend(float_only.iter().chain(&any).map(|op| (*op, vt)));
    }
    for vt in INT_TYPES {
        cases.extend(any.iter().map(|op| (*op, vt)));
    }
    for (op, vt) in cases {
        for rhs in [Rhs::Matrix, Rhs::RowVector, Rhs::ColVector, Rhs::Scalar] {
            let v = vt.ir_name();
            let t = format!("!daphne.Matrix<?x3x{v}>");
            // `log` needs positive operands: both sides are made positive by `abs` + 1.
            let values = if op == "ewLog" || op == "ewPow" { "positive" } else { "" };
            let (decl, arg, arg_ty, outer_ty, split, kind) = match rhs {
                Rhs::Matrix => {
                    (String::new(), "%Y", t.clone(), format!("!daphne.Matrix<97x3x{v}>"), 1, ArgKind::Full(vt))
                }
                Rhs::RowVector => (
                    String::new(),
                    "%V",
                    format!("!daphne.Matrix<1x3x{v}>"),
                    format!("!daphne.Matrix<1x3x{v}>"),
                    0,
                    ArgKind::Row(vt),
                ),
                Rhs::ColVector => (
                    String::new(),
                    "%C",
                    format!("!daphne.Matrix<?x1x{v}>"),
                    format!("!daphne.Matrix<97x1x{v}>"),
                    1,
                    ArgKind::Col(vt),
                ),
                Rhs::Scalar => (
                    r#"    %S = "daphne.constant"() {value = 2.500000e+00 : f64} : () -> f64"#.to_string(),
                    "%S",
                    "f64".to_string(),
                    "f64".to_string(),
                    0,
                    ArgKind::Scalar(ValueType::F64),
                ),
            };
            // With a scalar f64 operand the result is f64 (the most general type).
            let res = if matches!(rhs, Rhs::Scalar) && !vt.is_float() { ValueType::F64 } else { vt };
            let rt = format!("!daphne.Matrix<?x3x{}>", res.ir_name());
            let pipeline = format!(
                r#"    %P = "daphne.vectorizedPipeline"(%X, {arg}) ({{
    ^bb0(%a: {t}, %b: {arg_ty}):
      %x = "daphne.{op}"(%a, %b) : ({t}, {arg_ty}) -> {rt}
      "daphne.return"(%x) : ({rt}) -> ()
    }}) {{combines = [1], splits = [1, {split}]}} : (!daphne.Matrix<97x3x{v}>, {outer_ty}) -> !daphne.Matrix<97x3x{r}>"#,
                r = res.ir_name()
            );
            let src = program(vt, values, &decl, &pipeline, &format!("!daphne.Matrix<97x3x{}>", res.ir_name()));
            check(&src, &[ArgKind::Full(vt), kind], &format!("{op} on {v} with {:?}", arg));
        }
    }
}

#[test]
fn aggregations_on_every_value_type() {
    let aggs = [
        ("sumAll", 3, "S"),
        ("minAll", 4, "S"),
        ("maxAll", 5, "S"),
        ("sumRow", 1, "R"),
        ("minRow", 1, "R"),
        ("maxRow", 1, "R"),
        ("sumCol", 3, "C"),
        ("minCol", 4, "C"),
        ("maxCol", 5, "C"),
    ];
    for vt in FLOAT_TYPES.iter().chain(&INT_TYPES) {
        for (op, combine, shape) in aggs {
            let v = vt.ir_name();
            let t = format!("!daphne.Matrix<?x3x{v}>");
            let (inner, outer) = match shape {
                "S" => (v.to_string(), v.to_string()),
                "R" => (format!("!daphne.Matrix<?x1x{v}>"), format!("!daphne.Matrix<97x1x{v}>")),
                _ => (format!("!daphne.Matrix<1x3x{v}>"), format!("!daphne.Matrix<1x3x{v}>")),
            };
            let pipeline = format!(
                r#"    %P = "daphne.vectorizedPipeline"(%X, %Y) ({{
    ^bb0(%a: {t}, %b: {t}):
      %m = "daphne.ewMul"(%a, %b) : ({t}, {t}) -> {t}
      %x = "daphne.{op}"(%m) : ({t}) -> {inner}
      "daphne.return"(%x) : ({inner}) -> ()
    }}) {{combines = [{combine}], splits = [1, 1]}} : (!daphne.Matrix<97x3x{v}>, !daphne.Matrix<97x3x{v}>) -> {outer}"#
            );
            let src = program(*vt, "", "", &pipeline, &outer);
            check(&src, &[ArgKind::Full(*vt), ArgKind::Full(*vt)], &format!("{op} on {v}"));
        }
    }
}
