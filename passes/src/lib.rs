//! Compiler passes over DaphneIR and the pipeline of stages they form.
//!
//! The stages are named after DAPHNE's `--explain` keys. Only `parsing` (the IR as the frontend
//! produced it) exists so far; `stages` lists every key the CLI accepts and which of them have an
//! implementation.

pub mod stages;
