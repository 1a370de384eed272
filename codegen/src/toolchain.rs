//! Two small end-to-end paths that prove the toolchain works in one process: MLIR through
//! melior's execution engine, and LLVM IR built with inkwell through MCJIT.

use inkwell::OptimizationLevel;
use inkwell::targets::{InitializationConfig, Target};
use melior::{
    Context, ExecutionEngine,
    dialect::{DialectRegistry, arith, func},
    ir::{
        Attribute, Block, BlockLike, Identifier, Location, Module, Region, RegionLike,
        attribute::{StringAttribute, TypeAttribute},
        r#type::{FunctionType, IntegerType},
    },
    pass::{self, PassManager},
    utility::{register_all_dialects, register_all_llvm_translations},
};
use std::cell::RefCell;
use std::rc::Rc;

/// Compiles `func.func @add(%a: i64, %b: i64) -> i64 { arith.addi }` with MLIR, lowers it to
/// the LLVM dialect, JIT-compiles it with MLIR's execution engine and returns `add(a, b)`
/// (wrapping on overflow, like `arith.addi`).
///
/// Errors carry MLIR's diagnostics when building, lowering or invoking fails.
pub fn jit_add_i64_with_melior(a: i64, b: i64) -> Result<i64, String> {
    // MLIR's execution engine initializes the native target itself, but without the lock that
    // inkwell takes; registering it here first (under inkwell's lock) keeps a concurrent
    // inkwell JIT in another thread from racing with that registration.
    Target::initialize_native(&InitializationConfig::default())?;

    let registry = DialectRegistry::new();
    register_all_dialects(&registry);
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    // The execution engine translates the LLVM dialect to LLVM IR; that needs the translations.
    register_all_llvm_translations(&context);

    // Collect MLIR's diagnostics so a failure reports what went wrong instead of printing it.
    let diagnostics = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = Rc::clone(&diagnostics);
    let handler = context.attach_diagnostic_handler(move |diagnostic| {
        sink.borrow_mut().push(diagnostic.to_string());
        true
    });
    let describe = |what: String| {
        let notes = diagnostics.borrow();
        if notes.is_empty() { what } else { format!("{what}: {}", notes.join("; ")) }
    };

    let result = (|| {
        let location = Location::unknown(&context);
        let mut module = Module::new(location);
        let i64_type = IntegerType::new(&context, 64).into();

        let body = Block::new(&[(i64_type, location), (i64_type, location)]);
        let lhs = body.argument(0).map_err(|e| describe(format!("argument 0: {e}")))?;
        let rhs = body.argument(1).map_err(|e| describe(format!("argument 1: {e}")))?;
        let sum = body.append_operation(arith::addi(lhs.into(), rhs.into(), location));
        let sum = sum.result(0).map_err(|e| describe(format!("addi result: {e}")))?;
        body.append_operation(func::r#return(&[sum.into()], location));
        let region = Region::new();
        region.append_block(body);

        module.body().append_operation(func::func(
            &context,
            StringAttribute::new(&context, "add"),
            TypeAttribute::new(FunctionType::new(&context, &[i64_type, i64_type], &[i64_type]).into()),
            region,
            // Generates `_mlir_ciface_add`, the C-compatible wrapper the engine can call.
            &[(Identifier::new(&context, "llvm.emit_c_interface"), Attribute::unit(&context))],
            location,
        ));
        if !module.as_operation().verify() {
            return Err(describe("the built module does not verify".into()));
        }

        // Lower everything to the LLVM dialect. Both conversions are full conversions, so a
        // successful run leaves only `llvm.*` ops and nothing for the engine to choke on.
        let passes = PassManager::new(&context);
        passes.add_pass(pass::conversion::create_arith_to_llvm());
        passes.add_pass(pass::conversion::create_func_to_llvm());
        passes.add_pass(pass::conversion::create_reconcile_unrealized_casts());
        passes.run(&mut module).map_err(|e| describe(format!("lowering to the LLVM dialect failed: {e}")))?;

        let engine = ExecutionEngine::new(&module, 2, &[], false);
        let (mut a, mut b, mut out) = (a, b, 0i64);
        let mut packed =
            [&mut a as *mut i64 as *mut (), &mut b as *mut i64 as *mut (), &mut out as *mut i64 as *mut ()];
        // SAFETY: `add` takes two i64 and returns one i64; the packed calling convention wants
        // one pointer per argument followed by one pointer per result, and all three point to
        // live, aligned i64 locals that outlive the call.
        unsafe { engine.invoke_packed("add", &mut packed) }
            .map_err(|e| describe(format!("invoking the JIT-compiled `add` failed: {e}")))?;
        Ok(out)
    })();

    context.detach_diagnostic_handler(handler);
    result
}

/// Builds `double mul(double, double)` as LLVM IR with inkwell, JIT-compiles it with LLVM's
/// MCJIT for the host and returns `mul(a, b)`.
pub fn jit_mul_f64_with_inkwell(a: f64, b: f64) -> Result<f64, String> {
    Target::initialize_native(&InitializationConfig::default())?;

    let context = inkwell::context::Context::create();
    let module = context.create_module("mul");
    let builder = context.create_builder();
    let f64_type = context.f64_type();
    let signature = f64_type.fn_type(&[f64_type.into(), f64_type.into()], false);
    let function = module.add_function("mul", signature, None);
    builder.position_at_end(context.append_basic_block(function, "entry"));
    let lhs = function.get_nth_param(0).ok_or("mul has no parameter 0")?.into_float_value();
    let rhs = function.get_nth_param(1).ok_or("mul has no parameter 1")?.into_float_value();
    let product = builder.build_float_mul(lhs, rhs, "product").map_err(|e| e.to_string())?;
    builder.build_return(Some(&product)).map_err(|e| e.to_string())?;
    module.verify().map_err(|e| e.to_string())?;

    let engine = module.create_jit_execution_engine(OptimizationLevel::Default).map_err(|e| e.to_string())?;
    // SAFETY: `mul` was defined above with exactly the signature `double (double, double)`
    // and the C calling convention, which is what this function pointer type declares.
    let mul =
        unsafe { engine.get_function::<unsafe extern "C" fn(f64, f64) -> f64>("mul") }.map_err(|e| e.to_string())?;
    // SAFETY: the compiled code only multiplies its two arguments; it touches no memory, and
    // the engine (which owns the code) is alive for the duration of the call.
    Ok(unsafe { mul.call(a, b) })
}
