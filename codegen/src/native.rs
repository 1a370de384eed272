//! From MLIR text to a native function: parse with melior, lower to the LLVM dialect with MLIR's
//! conversion passes, translate to LLVM IR inside an inkwell context, optimize at O3 for the host
//! CPU (its name and features, so the vector units are used) and JIT-compile with MCJIT.
//!
//! Every compilation gets its own MLIR and LLVM contexts, so compilations on different threads
//! never share state. The LLVM context and the execution engine of a compiled function live as
//! long as the process (the function is cached process-wide and may be called at any time).

use inkwell::OptimizationLevel;
use inkwell::execution_engine::ExecutionEngine;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{CodeModel, InitializationConfig, RelocMode, Target, TargetMachine};
use melior::{
    Context,
    dialect::DialectRegistry,
    ir::Module,
    pass::PassManager,
    utility::{parse_pass_pipeline, register_all_llvm_translations, register_all_passes},
};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

/// The signature of every generated pipeline function: one pointer to its argument slots,
/// returning 0 on success and 1 when a value lay outside a function's domain (the caller then
/// runs the kernels, which report the error exactly).
pub type PipelineFn = unsafe extern "C" fn(*const u64) -> i64;

/// The conversion of our MLIR (func, arith, math, scf, vector, llvm) to the LLVM dialect. Math
/// functions with an LLVM intrinsic (exp, log, sqrt, sin, cos, pow, floor, ...) become intrinsics;
/// the others (tan, asin, sinh, ...) calls of the C math library, the same functions the kernels
/// call.
const LOWERING: &str = "builtin.module(convert-scf-to-cf,convert-math-to-llvm,convert-math-to-libm,\
convert-vector-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,\
reconcile-unrealized-casts)";

/// The name of the generated function.
pub const ENTRY: &str = "pipeline";

/// A JIT-compiled function with the LLVM IR it was compiled from (after optimization).
pub struct Native {
    pub function: PipelineFn,
    pub llvm_ir: String,
    /// Keeps the machine code alive; never used after compilation.
    _engine: ExecutionEngine<'static>,
}

// SAFETY: the engine is only kept to own the machine code; it is never used after `compile`
// returns, and the function pointer is plain code that any thread may call.
unsafe impl Send for Native {}
// SAFETY: as above: no shared mutable state is reachable through `Native`.
unsafe impl Sync for Native {}

/// The host CPU, for the target machine and the function attributes.
struct Host {
    triple: inkwell::targets::TargetTriple,
    cpu: String,
    features: String,
}

fn host() -> Result<&'static Host, String> {
    static HOST: OnceLock<Result<Host, String>> = OnceLock::new();
    HOST.get_or_init(|| {
        Target::initialize_native(&InitializationConfig::default())?;
        register_all_passes();
        // Lets the JIT resolve the C math library's functions from this process.
        inkwell::support::load_visible_symbols();
        Ok(Host {
            triple: TargetMachine::get_default_triple(),
            cpu: TargetMachine::get_host_cpu_name().to_string(),
            features: TargetMachine::get_host_cpu_features().to_string(),
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Compiles MLIR text that defines `func.func @pipeline(!llvm.ptr) -> i64`.
pub fn compile(mlir: &str) -> Result<Native, String> {
    let host = host()?;
    let llvm_context: &'static inkwell::context::Context = Box::leak(Box::new(inkwell::context::Context::create()));
    let raw_module = lower_to_llvm(mlir, llvm_context)?;
    // SAFETY: `raw_module` was just created by MLIR's translation inside `llvm_context`, is
    // non-null (checked by `lower_to_llvm`) and owned by nobody else.
    let module = unsafe { inkwell::module::Module::new(raw_module as _) };

    let target = Target::from_triple(&host.triple).map_err(|e| e.to_string())?;
    let machine = target
        .create_target_machine(
            &host.triple,
            &host.cpu,
            &host.features,
            OptimizationLevel::Aggressive,
            RelocMode::Default,
            CodeModel::JITDefault,
        )
        .ok_or("LLVM cannot create a target machine for this CPU")?;
    module.set_triple(&host.triple);
    module.set_data_layout(&machine.get_target_data().get_data_layout());
    // The translated module carries no CPU: without these the JIT would compile for generic x86-64.
    let cpu = llvm_context.create_string_attribute("target-cpu", &host.cpu);
    let features = llvm_context.create_string_attribute("target-features", &host.features);
    for f in module.get_functions() {
        if f.count_basic_blocks() > 0 {
            f.add_attribute(inkwell::attributes::AttributeLoc::Function, cpu);
            f.add_attribute(inkwell::attributes::AttributeLoc::Function, features);
        }
    }
    module.verify().map_err(|e| format!("the translated LLVM IR does not verify: {e}"))?;
    module
        .run_passes("default<O2>", &machine, pass_options())
        .map_err(|e| format!("LLVM's O3 pipeline failed: {e}"))?;
    let llvm_ir = module.print_to_string().to_string();
    let engine = module
        .create_jit_execution_engine(OptimizationLevel::Aggressive)
        .map_err(|e| format!("cannot create the JIT: {e}"))?;
    let address = engine.get_function_address(ENTRY).map_err(|e| format!("the JIT has no function `{ENTRY}`: {e}"))?;
    if address == 0 {
        return Err(format!("the JIT returned a null address for `{ENTRY}`"));
    }
    // SAFETY: `pipeline` is generated with exactly this signature (one pointer, an i64 result)
    // and the C calling convention (func-to-llvm's default); the address is non-null.
    let function = unsafe { std::mem::transmute::<usize, PipelineFn>(address) };
    Ok(Native { function, llvm_ir, _engine: engine })
}

/// O3 without LLVM's loop vectorizers and unrolling: the generated loops are vectorized already
/// (8 cells per step), and unrolling them only multiplies the machine code to compile.
fn pass_options() -> PassBuilderOptions {
    let options = PassBuilderOptions::create();
    options.set_loop_vectorization(false);
    options.set_loop_slp_vectorization(false);
    options.set_loop_interleaving(false);
    options.set_loop_unrolling(false);
    options
}

/// Parses, verifies and lowers the MLIR, then translates it into `llvm_context`.
fn lower_to_llvm(mlir: &str, llvm_context: &inkwell::context::Context) -> Result<mlir_sys::LLVMModuleRef, String> {
    MLIR_CONTEXT.with(|context| lower_in(context, mlir, llvm_context))
}

thread_local! {
    /// One MLIR context per compiling thread, with only the dialects the generated code uses
    /// (creating a context with every dialect costs milliseconds per pipeline).
    static MLIR_CONTEXT: Context = {
        let registry = DialectRegistry::new();
        // SAFETY: the handles are MLIR's static dialect descriptions; inserting them into a live
        // registry only records them.
        unsafe {
            for handle in [
                mlir_sys::mlirGetDialectHandle__func__(),
                mlir_sys::mlirGetDialectHandle__arith__(),
                mlir_sys::mlirGetDialectHandle__math__(),
                mlir_sys::mlirGetDialectHandle__scf__(),
                mlir_sys::mlirGetDialectHandle__cf__(),
                mlir_sys::mlirGetDialectHandle__vector__(),
                mlir_sys::mlirGetDialectHandle__llvm__(),
            ] {
                mlir_sys::mlirDialectHandleInsertDialect(handle, registry.to_raw());
            }
        }
        let context = Context::new();
        context.append_dialect_registry(&registry);
        context.load_all_available_dialects();
        register_all_llvm_translations(&context);
        context
    };
}

fn lower_in(
    context: &Context,
    mlir: &str,
    llvm_context: &inkwell::context::Context,
) -> Result<mlir_sys::LLVMModuleRef, String> {
    let diagnostics = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = Rc::clone(&diagnostics);
    let handler = context.attach_diagnostic_handler(move |d| {
        sink.borrow_mut().push(d.to_string());
        true
    });
    let describe = |what: &str| {
        let notes = diagnostics.borrow();
        if notes.is_empty() { what.to_string() } else { format!("{what}: {}", notes.join("; ")) }
    };
    let result = (|| {
        let mut module = Module::parse(context, mlir).ok_or_else(|| describe("the generated MLIR does not parse"))?;
        if !module.as_operation().verify() {
            return Err(describe("the generated MLIR does not verify"));
        }
        let passes = PassManager::new(context);
        parse_pass_pipeline(passes.as_operation_pass_manager(), LOWERING)
            .map_err(|e| format!("the lowering pipeline does not parse: {e}"))?;
        passes.run(&mut module).map_err(|e| describe(&format!("lowering to the LLVM dialect failed: {e}")))?;
        // SAFETY: the module is a verified, fully lowered MLIR module and the LLVM context is
        // alive; the translation creates a new LLVM module owned by the caller.
        let raw =
            unsafe { mlir_sys::mlirTranslateModuleToLLVMIR(module.as_operation().to_raw(), llvm_context.raw() as _) };
        if raw.is_null() {
            return Err(describe("the translation to LLVM IR failed"));
        }
        Ok(raw as mlir_sys::LLVMModuleRef)
    })();
    context.detach_diagnostic_handler(handler);
    result
}
