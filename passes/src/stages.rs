//! The stages of the compilation pipeline, named after DAPHNE's `--explain` keys, in pipeline
//! order. Each stage says whether this implementation has it yet; `--explain` accepts every key
//! (as DAPHNE does) and prints the IR only after stages that exist and run.

/// One stage of the pipeline.
#[derive(Debug)]
pub struct Stage {
    /// The `--explain` key.
    pub key: &'static str,
    /// The header DAPHNE prints before the IR (`IR after parsing:`).
    pub header: &'static str,
    /// What the stage does (shown in `--help` and the README).
    pub description: &'static str,
    /// Whether the stage exists in this implementation.
    pub implemented: bool,
}

/// Every stage, in pipeline order.
pub const STAGES: &[Stage] = &[
    Stage {
        key: "parsing",
        header: "IR after parsing:",
        description: "the IR exactly as the frontend lowered the script",
        implemented: true,
    },
    Stage {
        key: "parsing_simplified",
        header: "IR after parsing and some simplifications:",
        description: "after canonicalization and common-subexpression elimination",
        implemented: true,
    },
    Stage {
        key: "sql",
        header: "IR after SQL parsing:",
        description: "after rewriting `sql()` queries",
        implemented: false,
    },
    Stage {
        key: "property_inference",
        header: "IR after inference:",
        description: "after function specialization and type/shape/property inference",
        implemented: true,
    },
    Stage {
        key: "columnar",
        header: "IR after lowering to columnar ops:",
        description: "after lowering to columnar operations (`--columnar`)",
        implemented: false,
    },
    Stage {
        key: "select_matrix_repr",
        header: "IR after selecting matrix representations:",
        description: "after choosing dense or sparse representations",
        implemented: true,
    },
    Stage {
        key: "transfer_data_props",
        header: "IR after transferring data properties:",
        description: "after inserting ops that pass compile-time data properties to the runtime",
        implemented: false,
    },
    Stage {
        key: "phy_op_selection",
        header: "IR after selecting physical operators:",
        description: "after physical operator selection (`t(X) @ X` to `syrk`, ...)",
        implemented: true,
    },
    Stage {
        key: "type_adaptation",
        header: "IR after type adaptation:",
        description: "after adapting value types to the available kernels",
        implemented: false,
    },
    Stage {
        key: "vectorized",
        header: "IR after vectorization:",
        description: "after fusing operations into vectorized pipelines (`--vec`)",
        implemented: true,
    },
    Stage {
        key: "distributed",
        header: "IR after distribution:",
        description: "after turning pipelines into distributed pipelines (`--distributed`; not a DAPHNE key)",
        implemented: true,
    },
    Stage {
        key: "obj_ref_mgnt",
        header: "IR after managing object references:",
        description: "after inserting reference counting of data objects",
        implemented: false,
    },
    Stage {
        key: "kernels",
        header: "IR after kernel lowering:",
        description: "after lowering ops to kernel calls",
        implemented: false,
    },
    Stage {
        key: "codegen",
        header: "IR after codegen pipeline",
        description: "after MLIR code generation",
        implemented: false,
    },
    Stage {
        key: "mlir_codegen_sparsity_exploiting_op_fusion",
        header: "IR after sparsity-exploiting operator fusion:",
        description: "after MLIR codegen (sparsity-exploiting operator fusion)",
        implemented: false,
    },
    Stage {
        key: "mlir_codegen_daphneir_to_mlir",
        header: "IR after createConvertDaphneToLinalgPass",
        description: "after MLIR codegen (DaphneIR to MLIR)",
        implemented: false,
    },
    Stage {
        key: "mlir_codegen_mlir_specific",
        header: "IR after LinalgPasses",
        description: "after MLIR codegen (MLIR-specific)",
        implemented: false,
    },
    Stage {
        key: "mlir",
        header: "IR after MLIR code generation:",
        description: "the MLIR generated for each pipeline, printed when it is JIT-compiled at run time (not a DAPHNE key)",
        implemented: true,
    },
    Stage {
        key: "llvm",
        header: "IR after llvm lowering:",
        description: "the optimized LLVM IR of each pipeline, printed when it is JIT-compiled at run time",
        implemented: true,
    },
];

/// Looks a stage up by its `--explain` key.
pub fn stage(key: &str) -> Option<&'static Stage> {
    STAGES.iter().find(|s| s.key == key)
}

/// Parses a comma-separated `--explain` value (the order is irrelevant, as in DAPHNE). Unknown
/// keys are an error that lists the valid ones.
pub fn parse_explain(value: &str) -> Result<Vec<&'static Stage>, String> {
    let mut out: Vec<&'static Stage> = Vec::new();
    for key in value.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        match stage(key) {
            Some(s) => {
                if !out.iter().any(|o| o.key == s.key) {
                    out.push(s);
                }
            }
            None => {
                let valid: Vec<&str> = STAGES.iter().map(|s| s.key).collect();
                return Err(format!("unknown --explain key `{key}`; valid keys: {}", valid.join(", ")));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_keys() {
        let s = parse_explain("parsing, vectorized,parsing").unwrap();
        assert_eq!(s.iter().map(|s| s.key).collect::<Vec<_>>(), vec!["parsing", "vectorized"]);
        let err = parse_explain("parse").unwrap_err();
        assert!(err.contains("`parse`") && err.contains("parsing_simplified"), "{err}");
    }
}
