//! Arbitrary bytes (must be UTF-8) parsed as DaphneIR text.
//!
//! Checks: `daphne_ir::parse_module` never panics; when a parsed module also verifies, printing
//! it with the default options and parsing the printout succeeds, and the reparsed module
//! verifies and prints identically (print/parse round trip).
#![no_main]

use daphne_ir::{PrintOptions, parse_module, print_module, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(module) = parse_module(text) else { return };
    if verify(&module).is_err() {
        return;
    }
    let printed = print_module(&module, PrintOptions::default());
    let reparsed = match parse_module(&printed) {
        Ok(m) => m,
        Err(e) => panic!("a verified module's printout does not parse again: {e:?}\n--- printed:\n{printed}"),
    };
    if let Err(e) = verify(&reparsed) {
        panic!("a verified module's printout reparses to a module that does not verify: {e:?}\n--- printed:\n{printed}");
    }
    let reprinted = print_module(&reparsed, PrintOptions::default());
    assert_eq!(printed, reprinted, "printing is not stable across a print/parse round trip");
});
