//! Specialization of functions per call-site types (`property_inference` stage, before
//! inference), as DAPHNE's `SpecializeGenericFunctionsPass`.
//!
//! A function is a template when a parameter is untyped (`def f(x)`), a matrix of unknown value
//! type, or a matrix without known shape and sparsity (`X: matrix<f64>`). Starting at `@main`,
//! every function is inferred up to its calls; a `generic_call` whose arguments are more specific
//! than the callee's parameters gets a clone of the template with the argument types as parameter
//! types (reused for later calls with the same types), named `<template>-<k>` with `k` counting
//! the clones of the whole module in order of creation, as DAPHNE names them. The clone is
//! specialized and inferred before its caller goes on, so the call's results take the types the
//! clone returns. `map` specializes its function for the matrix's value type the same way.
//! A template gets at most [`MAX_SPECIALIZATIONS`] clones (recursion that changes its argument
//! types, such as a shrinking matrix, would otherwise never end); further calls use the template.
//! Functions `@main` no longer reaches (templates whose calls were all rewritten, functions never
//! called) are removed, as DAPHNE does. Typed scalar functions are left alone.
//!
//! An argument whose type conflicts with a typed parameter (found only now, when the caller got
//! specialized) is a user error at the call. Constants are not propagated into functions.
//!
//! After this pass, every call in a function reachable from `@main` calls a function whose
//! parameter types match its arguments as far as they are known, and every such function has
//! been inferred once; `InferencePass` then refines the types interprocedurally to a fix-point.

use crate::inference::{callee_of, infer_function};
use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::{Attr, Const, MatrixType, Module, Op, OpKind, Type};
use std::collections::{HashMap, HashSet};

pub struct SpecializeFunctionsPass;

const NAME: &str = "specialize_functions";

/// The most clones one template gets; later calls with yet other types call the template.
pub const MAX_SPECIALIZATIONS: usize = 8;

/// How often the calls of one function are revisited at most (a call inside a loop can get more
/// specific arguments once a later call is specialized).
const MAX_ROUNDS: usize = 8;

impl Pass for SpecializeFunctionsPass {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, m: &mut Module, _cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let Some(main) = m.find_func("main") else { return Ok(Changed::No) };
        let mut state = State::default();
        state.process(m, main)?;
        let reachable = reachable_from(m, main);
        for func in m.funcs() {
            if !reachable.contains(&func) {
                m.erase_op(func);
            }
        }
        Ok(Changed::Yes)
    }
}

#[derive(Default)]
struct State {
    /// The template each clone was made from.
    template_of: HashMap<Op, Op>,
    /// The clones of each template, in order of creation.
    clones: HashMap<Op, Vec<Op>>,
    /// Clones made so far (the suffix of the next clone's name).
    made: usize,
    /// Functions whose calls have been specialized (or are being specialized, up the stack).
    visited: HashSet<Op>,
}

impl State {
    /// Infers a function and specializes its calls, once; returns whether it ran.
    fn process(&mut self, m: &mut Module, func: Op) -> Result<bool, PassError> {
        if !self.visited.insert(func) {
            return Ok(false);
        }
        infer_function(m, func)?;
        for _ in 0..MAX_ROUNDS {
            let mut changed = false;
            for call in calls_in(m, func) {
                if self.specialize_call(m, call)? {
                    // The call's results (and what depends on them) take the callee's types.
                    infer_function(m, func)?;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Ok(true)
    }

    /// Points a call at the right specialization of its callee's template; returns whether the
    /// caller must be inferred again.
    fn specialize_call(&mut self, m: &mut Module, call: Op) -> Result<bool, PassError> {
        let Some(current) = callee_of(m, call) else {
            return Err(internal(m, call, "calls a function that does not exist"));
        };
        let template = self.template_of.get(&current).copied().unwrap_or(current);
        let params = param_types(m, template);
        let args = arg_types(m, call);
        if params.len() != args.len() {
            return Err(internal(m, call, "the number of arguments does not match the callee's parameters"));
        }
        for (i, (p, a)) in params.iter().zip(&args).enumerate() {
            if !p.compatible(a) {
                let name = m.func_name(template).unwrap_or_default();
                let message = format!(
                    "call to function `{}` with an invalid type for argument {i}: expected {}, got {}",
                    user_name(name),
                    p.dsl_name(),
                    a.dsl_name()
                );
                return Err(PassError { pass: NAME, loc: m.op(call).loc.clone(), message, user_error: true });
            }
        }
        let wanted: Vec<Type> = params.iter().zip(&args).map(|(p, a)| specialized(p, a)).collect();
        let target = if wanted == params { template } else { self.clone_for(m, template, wanted) };
        let rewritten = target != current;
        if rewritten {
            let name = m.func_name(target).unwrap_or_default().to_string();
            let attr = if m.kind(call) == OpKind::Map { "func" } else { "callee" };
            m.op_mut(call).attrs.insert(attr.into(), Attr::Symbol(name));
        }
        // A callee inferred just now has new result types for the call.
        let inferred = self.process(m, target)?;
        Ok(rewritten || inferred)
    }

    /// The clone of `template` with these parameter types: an existing one, a new one, or the
    /// template itself once it has [`MAX_SPECIALIZATIONS`] clones.
    fn clone_for(&mut self, m: &mut Module, template: Op, params: Vec<Type>) -> Op {
        let clones = self.clones.entry(template).or_default();
        if let Some(&existing) = clones.iter().find(|c| param_types(m, **c) == params) {
            return existing;
        }
        if clones.len() >= MAX_SPECIALIZATIONS {
            return template;
        }
        let base = m.func_name(template).unwrap_or_default().to_string();
        let name = loop {
            self.made += 1;
            let name = format!("{base}-{}", self.made);
            if m.find_func(&name).is_none() {
                break name;
            }
        };
        let clone = m.clone_op(template, &mut HashMap::new());
        m.op_mut(clone).attrs.insert("sym_name".into(), Attr::Const(Const::Str(name)));
        m.insert_before(template, clone);
        if let Some(entry) = m.op_block(clone, 0) {
            for (arg, ty) in m.block_args(entry).to_vec().into_iter().zip(params) {
                m.set_value_type(arg, ty);
            }
        }
        clones.push(clone);
        self.template_of.insert(clone, template);
        clone
    }
}

fn internal(m: &Module, op: Op, message: &str) -> PassError {
    PassError { pass: NAME, loc: m.op(op).loc.clone(), message: message.to_string(), user_error: false }
}

/// The DaphneDSL name of a function symbol `name-N` (or of a clone `name-N-k`).
fn user_name(symbol: &str) -> &str {
    symbol.split('-').next().unwrap_or(symbol)
}

/// The `generic_call` and `map` ops of a function, in program order (nested regions included).
fn calls_in(m: &Module, func: Op) -> Vec<Op> {
    let mut calls = Vec::new();
    if let Some(entry) = m.op_block(func, 0) {
        m.walk_block(entry, &mut |op| {
            if matches!(m.kind(op), OpKind::GenericCall | OpKind::Map) {
                calls.push(op);
            }
        });
    }
    calls
}

fn param_types(m: &Module, func: Op) -> Vec<Type> {
    match m.op_block(func, 0) {
        Some(entry) => m.block_args(entry).iter().map(|a| m.value_type(*a).clone()).collect(),
        None => Vec::new(),
    }
}

/// What a call passes: a `generic_call` its operands, a `map` one cell of its matrix.
fn arg_types(m: &Module, call: Op) -> Vec<Type> {
    let operands = m.operands(call);
    if m.kind(call) != OpKind::Map {
        return operands.iter().map(|v| m.value_type(*v).clone()).collect();
    }
    let cell = match operands.first().map(|v| m.value_type(*v)) {
        Some(Type::Matrix(mt)) => mt.vt.map_or(Type::Unknown, Type::Scalar),
        _ => Type::Unknown,
    };
    vec![cell]
}

/// The parameter type a clone gets for an argument: the argument's type where the parameter is
/// untyped, a matrix of unknown value type, or a matrix without known shape and sparsity
/// (DAPHNE's templates); the parameter's own type otherwise.
fn specialized(param: &Type, arg: &Type) -> Type {
    match (param, arg) {
        (Type::Unknown, a) => a.clone(),
        (Type::Matrix(p), Type::Matrix(a))
            if p.vt.is_none() || (p.rows.is_none() && p.cols.is_none() && p.sparsity.is_none()) =>
        {
            Type::Matrix(MatrixType { vt: a.vt.or(p.vt), ..a.clone() })
        }
        _ => param.clone(),
    }
}

/// The functions `main` calls, directly or not (itself included).
fn reachable_from(m: &Module, main: Op) -> HashSet<Op> {
    let mut seen = HashSet::from([main]);
    let mut todo = vec![main];
    while let Some(func) = todo.pop() {
        for call in calls_in(m, func) {
            if let Some(callee) = callee_of(m, call)
                && seen.insert(callee)
            {
                todo.push(callee);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompileOptions;
    use crate::inference::InferencePass;
    use daphne_ir::diag::SourceMap;
    use daphne_ir::{Loc, PrintOptions, parse_module, print_module, verify};

    fn lower(src: &str) -> Module {
        let mut sources = SourceMap::new();
        let file = sources.add("test.daph", src);
        let out = daphne_frontend::compile(&mut sources, file, &daphne_frontend::LowerOptions::default());
        out.module.unwrap_or_else(|| panic!("does not compile: {:?}", out.diagnostics))
    }

    fn run(m: &mut Module) -> Result<String, PassError> {
        let opts = CompileOptions::default();
        SpecializeFunctionsPass.run(m, &mut PassCx::new(&opts))?;
        verify(m).expect("verifies after specialization");
        Ok(print_module(m, PrintOptions::default()))
    }

    /// Specializes a DaphneDSL script's module and prints it.
    fn specialize(src: &str) -> String {
        run(&mut lower(src)).expect("specialization succeeds")
    }

    fn func_names(ir: &str) -> Vec<&str> {
        ir.lines().filter_map(|l| l.trim().strip_prefix("func.func @")).map(|l| l.split('(').next().unwrap()).collect()
    }

    #[test]
    fn untyped_function_gets_one_clone_per_argument_type() {
        let out = specialize(
            "def twice(x) { return x + x; }\nprint(twice(4));\nprint(twice(1.5));\nprint(twice(\"ab\"));\nprint(twice(2));",
        );
        assert_eq!(func_names(&out), vec![r#""twice-1-1""#, r#""twice-1-2""#, r#""twice-1-3""#, "main"], "{out}");
        assert!(out.contains(r#"func.func @"twice-1-1"(%arg0: si64) -> si64 {"#), "{out}");
        assert!(out.contains(r#"func.func @"twice-1-2"(%arg0: f64) -> f64 {"#), "{out}");
        assert!(out.contains(r#"func.func @"twice-1-3"(%arg0: !daphne.String) -> !daphne.String {"#), "{out}");
        // The second si64 call reuses the first clone; every call result is typed.
        assert_eq!(out.matches(r#"{callee = @"twice-1-1"} : (si64) -> si64"#).count(), 2, "{out}");
        assert!(!out.contains("!daphne.Unknown"), "{out}");
    }

    #[test]
    fn typed_scalar_functions_are_left_alone_and_unused_ones_removed() {
        let out = specialize("def inc(n: si64) -> si64 { return n + 1; }\ndef unused(x) { return x; }\nprint(inc(1));");
        assert_eq!(func_names(&out), vec![r#""inc-1""#, "main"], "{out}");
        assert!(out.contains(r#"{callee = @"inc-1"} : (si64) -> si64"#), "{out}");
    }

    #[test]
    fn matrix_parameters_without_shape_are_specialized_for_the_shape() {
        let out = specialize("def f(X: matrix<f64>) -> matrix<f64> { return X * 2; }\nprint(f(fill(1.0, 2z, 3z)));");
        assert_eq!(func_names(&out), vec![r#""f-1-1""#, "main"], "{out}");
        assert!(out.contains(r#"func.func @"f-1-1"(%arg0: !daphne.Matrix<2x3xf64"#), "{out}");
        assert!(out.contains(r#"{callee = @"f-1-1"} : (!daphne.Matrix<2x3xf64"#), "{out}");
        assert!(out.contains(") -> !daphne.Matrix<2x3xf64>\n"), "the call's result has the shape: {out}");
    }

    #[test]
    fn callees_of_callees_are_specialized_first() {
        let out = specialize(
            "def inc(x) { return x + 1; }\ndef g(a, b) { return inc(a) * b; }\nprint(g(2, 3));\nprint(g(1.5, 2.0));",
        );
        // Clones are numbered in order of creation: g for si64, then inc inside it, then g for f64, ...
        assert_eq!(func_names(&out), vec![r#""inc-1-2""#, r#""inc-1-4""#, r#""g-2-1""#, r#""g-2-3""#, "main"], "{out}");
        assert!(out.contains(r#"{callee = @"inc-1-2"} : (si64) -> si64"#), "{out}");
        assert!(out.contains(r#"{callee = @"inc-1-4"} : (f64) -> f64"#), "{out}");
        assert!(out.contains(r#"{callee = @"g-2-1"} : (si64, si64) -> si64"#), "{out}");
        assert!(out.contains(r#"{callee = @"g-2-3"} : (f64, f64) -> f64"#), "{out}");
    }

    #[test]
    fn recursion_reuses_its_own_clone() {
        let out = specialize(
            "def fact(n) -> si64 { if (n <= 1) return 1; return n * fact(n - 1); }\nprint(fact(5));\nprint(fact(5.5));",
        );
        assert_eq!(func_names(&out), vec![r#""fact-1-1""#, r#""fact-1-2""#, "main"], "{out}");
        assert_eq!(out.matches(r#"{callee = @"fact-1-1"} : (si64) -> si64"#).count(), 2, "{out}");
        assert_eq!(out.matches(r#"{callee = @"fact-1-2"} : (f64) -> si64"#).count(), 2, "{out}");
    }

    #[test]
    fn recursion_with_ever_new_types_stops_at_the_cap() {
        // Every level doubles the columns, so every level has a new type.
        let out = specialize(
            "def grow(X) -> matrix<f64> { if (ncol(X) >= 1000) return X; return grow(cbind(X, X)); }\n\
             print(grow(fill(1.0, 1z, 1z)));",
        );
        let names = func_names(&out);
        assert_eq!(names.len(), MAX_SPECIALIZATIONS + 2, "{out}");
        assert_eq!(names[MAX_SPECIALIZATIONS - 1], r#""grow-1-8""#, "{out}");
        assert_eq!(names[MAX_SPECIALIZATIONS], r#""grow-1""#, "the template stays for the last call: {out}");
        assert!(out.contains(r#"{callee = @"grow-1"} : (!daphne.Matrix<1x256xf64>)"#), "{out}");
    }

    #[test]
    fn map_specializes_for_the_value_type() {
        let out = specialize(
            "def half(x) { return x / 2; }\nX = [1, 2, 3, 4](2z, 2z);\nprint(map(X, half));\nprint(map(as.matrix<f64>(X), half));",
        );
        assert_eq!(func_names(&out), vec![r#""half-1-1""#, r#""half-1-2""#, "main"], "{out}");
        assert!(out.contains(r#"func.func @"half-1-1"(%arg0: si64) -> si64"#), "{out}");
        assert!(out.contains(r#"func.func @"half-1-2"(%arg0: f64) -> f64"#), "{out}");
        assert!(out.contains(r#""daphne.map"(%"#) && out.contains(r#"{func = @"half-1-2"}"#), "{out}");
        assert!(out.contains("-> !daphne.Matrix<2x2xf64>"), "map's result has the function's value type: {out}");
    }

    #[test]
    fn a_conflicting_argument_type_is_a_user_error_at_the_call() {
        let mut m = lower("def f(n: si64) { return n + 1; }\ndef g(x) {\n  return f(x);\n}\nprint(g(2.5));");
        let err = run(&mut m).expect_err("f64 passed for si64");
        assert!(err.user_error, "{err:?}");
        assert!(err.message.contains("function `f`") && err.message.contains("expected si64, got f64"), "{err:?}");
        assert!(matches!(err.loc, Loc::File { line: 3, .. }), "{:?}", err.loc);
    }

    #[test]
    fn calls_with_unknown_arguments_keep_the_template() {
        // Inside the generic version (called with an unknown argument) nothing is known.
        let src = r#"module {
  func.func @"id-1"(%arg0: !daphne.Unknown) -> !daphne.Unknown {
    "daphne.return"(%arg0) : (!daphne.Unknown) -> ()
  }
  func.func @main() {
    %0 = "daphne.constant"() {value = 7 : ui8} : () -> ui8
    %1 = "daphne.cast"(%0) : (ui8) -> !daphne.Unknown
    %2 = "daphne.generic_call"(%1) {callee = @"id-1"} : (!daphne.Unknown) -> !daphne.Unknown
    %3 = "daphne.generic_call"(%0) {callee = @"id-1"} : (ui8) -> !daphne.Unknown
    "daphne.return"() : () -> ()
  }
}"#;
        let out = run(&mut parse_module(src).unwrap()).unwrap();
        assert_eq!(func_names(&out), vec![r#""id-1-1""#, r#""id-1""#, "main"], "{out}");
        assert!(out.contains(r#"{callee = @"id-1"} : (!daphne.Unknown) -> !daphne.Unknown"#), "{out}");
        assert!(out.contains(r#"{callee = @"id-1-1"} : (ui8) -> ui8"#), "{out}");
    }

    #[test]
    fn inference_afterwards_keeps_the_types() {
        let mut m = lower("def twice(x) { return x + x; }\ny = twice(4);\nprint(y + 1);");
        let opts = CompileOptions::default();
        SpecializeFunctionsPass.run(&mut m, &mut PassCx::new(&opts)).unwrap();
        let once = print_module(&m, PrintOptions::default());
        InferencePass.run(&mut m, &mut PassCx::new(&opts)).unwrap();
        assert_eq!(print_module(&m, PrintOptions::default()), once);
        assert!(once.contains(r#""daphne.ewAdd"(%1, %2) : (si64, si64) -> si64"#), "{once}");
    }
}
