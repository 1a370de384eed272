//! Property tests of the IR text parser, which reads what workers receive over the network: no
//! input makes it panic, and whatever it accepts and verifies prints stably.

use daphne_ir::{PrintOptions, parse_module, print_module, verify};
use proptest::prelude::*;

/// A module using every feature of the text form.
const SAMPLE: &str = r#"module {
  func.func @"f-1"(%arg0: !daphne.Matrix<?x3xf64:sp[0.5]:rep[dense]:symmetric[true]>, %arg1: si64) -> (!daphne.Matrix<?x?xf64>, si64) {
    %0 = "daphne.constant"() {value = 2.500000e+00 : f64} : () -> f64 loc("a.daph":1:2)
    %1 = "daphne.ewMul"(%arg0, %0) {kernel_hint = "k"} : (!daphne.Matrix<?x3xf64:sp[0.5]:rep[dense]:symmetric[true]>, f64) -> !daphne.Matrix<?x?xf64> loc(fused["a.daph":1:2, "b.daph":3:4])
    "daphne.return"(%1, %arg1) : (!daphne.Matrix<?x?xf64>, si64) -> ()
  } loc(unknown)
  func.func @main() {
    %0 = "daphne.matrixConstant"() {value = dense<[1, -2, 3, 4]> : tensor<2x2xsi64>} : () -> !daphne.Matrix<2x2xsi64>
    %1 = "daphne.constant"() {value = 0x7FF8000000000000 : f64} : () -> f64
    %2 = "daphne.constant"() {value = "t\"x\0A"} : () -> !daphne.String
    %3 = "daphne.constant"() {value = true} : () -> i1
    %4:2 = "daphne.eigenCal"(%0) : (!daphne.Matrix<2x2xsi64>) -> (!daphne.Matrix<?x?xsi64>, !daphne.Matrix<?x?xsi64>)
    %5 = "daphne.constant"() {value = 0 : index} : () -> index
    %6 = "scf.for"(%5, %5, %5, %1) ({
    ^bb0(%arg0: index, %arg1: f64):
      %7 = "scf.if"(%3) ({
        "scf.yield"(%arg1) : (f64) -> ()
      }, {
        "scf.yield"(%1) : (f64) -> ()
      }) : (i1) -> f64
      "scf.yield"(%7) : (f64) -> ()
    }) : (index, index, index, f64) -> f64
    %8 = "daphne.createFrame"(%0, %2) : (!daphne.Matrix<2x2xsi64>, !daphne.String) -> !daphne.Frame<?x[?: si64], ["a"]>
    %9 = "daphne.createList"(%4#0) : (!daphne.Matrix<?x?xsi64>) -> !daphne.List<!daphne.Matrix<?x?xsi64>>
    "daphne.print"(%6, %3, %3) : (f64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}
"#;

#[test]
fn sample_round_trips_and_verifies() {
    let m = parse_module(SAMPLE).expect("sample parses");
    verify(&m).expect("sample verifies");
    let text = print_module(&m, PrintOptions { locations: true });
    let again = print_module(&parse_module(&text).expect("reparses"), PrintOptions { locations: true });
    assert_eq!(text, again);
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Duplicate(usize, usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s: Vec<char> = text.chars().collect();
    for e in edits {
        let n = s.len().max(1);
        match e {
            Edit::Delete(at, len) => {
                let at = at % n;
                let end = (at + len % 20).min(s.len());
                if at < end {
                    s.drain(at..end);
                }
            }
            Edit::Insert(at, what) => {
                let at = (at % n).min(s.len());
                for (i, c) in what.chars().enumerate() {
                    s.insert(at + i, c);
                }
            }
            Edit::Duplicate(at, len) => {
                let at = at % n;
                let end = (at + len % 40).min(s.len());
                let piece: Vec<char> = s[at..end].to_vec();
                for (i, c) in piece.into_iter().enumerate() {
                    s.insert(end + i, c);
                }
            }
        }
    }
    s.into_iter().collect()
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Edit::Delete(a, l)),
        (any::<usize>(), "[%#:\"(){}<>\\[\\],=x?0-9a-z!@^.\\\\ -]{1,6}").prop_map(|(a, t)| Edit::Insert(a, t)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Edit::Duplicate(a, l)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_ir_never_panics(edits in prop::collection::vec(edit(), 1..6)) {
        let text = apply(SAMPLE, &edits);
        if let Ok(m) = parse_module(&text) {
            let printed = print_module(&m, PrintOptions { locations: true });
            if verify(&m).is_ok() {
                let back = parse_module(&printed).expect("printed IR of a verified module parses");
                prop_assert_eq!(print_module(&back, PrintOptions { locations: true }), printed);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,300}") {
        let _ = parse_module(&src);
    }
}

#[test]
fn deep_nesting_is_rejected() {
    let deep_type = format!("{}si64{}", "!daphne.List<".repeat(10_000), ">".repeat(10_000));
    let src = format!("module {{ func.func @f(%arg0: {deep_type}) {{ \"daphne.return\"() : () -> () }} }}");
    assert!(parse_module(&src).is_err());
    let deep_attr =
        format!("module {{ func.func @f() attributes {{a = {}1{}}} {{ }} }}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse_module(&deep_attr).is_err());
}
