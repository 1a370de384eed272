//! Arbitrary bytes (lossily read as UTF-8) compiled as a DaphneDSL script by the frontend.
//!
//! Checks: lexing, parsing and lowering never panic; whenever the frontend returns a module,
//! `daphne_ir::verify` accepts it (the frontend must only produce well-formed IR).
#![no_main]

use daphne_frontend::LowerOptions;
use daphne_ir::diag::SourceMap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data).into_owned();
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.daph", source);
    let opts = LowerOptions::default();
    let out = daphne_frontend::compile(&mut sources, file, &opts);
    if let Some(module) = out.module {
        if let Err(e) = daphne_ir::verify(&module) {
            panic!(
                "the frontend produced a module that does not verify: {e:?}\n{}",
                daphne_ir::print_module(&module, daphne_ir::PrintOptions::default())
            );
        }
    }
});
