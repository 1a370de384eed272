//! The compilation pipeline as data: stages in order, each with the passes it runs and why they
//! sit there (as rustc's MIR pass list and DataFusion's optimizer rules are written down).

use crate::canonicalize::CanonicalizePass;
use crate::cse::CsePass;
use crate::dce::DcePass;
use crate::distribute::DistributePass;
use crate::horizontal_fusion::HorizontalFusionPass;
use crate::inference::InferencePass;
use crate::phy_op_selection::PhyOpSelectionPass;
use crate::pipeline_cleanup::PipelineCleanupPass;
use crate::select_repr::SelectMatrixReprPass;
use crate::specialize::SpecializeFunctionsPass;
use crate::stages::{Stage, stage};
use crate::transpose_into_matmul::TransposeIntoMatMulPass;
use crate::vectorize::VectorizePass;
use crate::{CompileOptions, Pass};

/// One stage: its `--explain` entry and its passes with the reason for each.
pub struct StagePlan {
    pub stage: &'static Stage,
    pub passes: Vec<(Box<dyn Pass>, &'static str)>,
}

fn plan(key: &str, passes: Vec<(Box<dyn Pass>, &'static str)>) -> Option<StagePlan> {
    // Every key used here is in `stages::STAGES`; a missing one is a bug caught by the tests.
    stage(key).map(|stage| StagePlan { stage, passes })
}

/// The stages that run for these options, in order.
pub fn pipeline(opts: &CompileOptions) -> Vec<StagePlan> {
    let mut stages = Vec::new();
    // The IR exactly as the frontend lowered the script.
    stages.extend(plan("parsing", vec![]));
    // DAPHNE's "Canonicalizer + CSE" right after parsing.
    stages.extend(plan(
        "parsing_simplified",
        vec![
            (
                Box::new(CanonicalizePass),
                "folds constant expressions (loop bounds, literals like `-1`) so inference sees constants",
            ),
            (Box::new(CsePass), "folding leaves equal constants; the frontend repeats equal expressions"),
            (Box::new(DcePass), "folding and merging leave the old operands unused"),
        ],
    ));
    stages.extend(plan(
        "property_inference",
        vec![
            (
                Box::new(SpecializeFunctionsPass),
                "untyped functions get the types of their call sites; it infers each function up to its calls itself",
            ),
            (
                Box::new(InferencePass),
                "types, shapes, sparsity and symmetry of every value; the later stages and the runtime rely on them",
            ),
            (Box::new(CanonicalizePass), "inferred types can make more ops foldable (DAPHNE folds here too)"),
            (Box::new(CsePass), "merges the constants the second folding made"),
            (Box::new(DcePass), "removes what folding left unused"),
        ],
    ));
    if opts.select_matrix_repr {
        stages.extend(plan(
            "select_matrix_repr",
            vec![(Box::new(SelectMatrixReprPass), "needs the sparsity estimates of property inference")],
        ));
    }
    if opts.phy_op_selection {
        stages.extend(plan(
            "phy_op_selection",
            vec![
                (
                    Box::new(PhyOpSelectionPass),
                    "needs inferred shapes (a column vector makes gemv); before vectorization, which fuses syrk and gemv",
                ),
                (
                    Box::new(TransposeIntoMatMulPass),
                    "after syrk/gemv selection, which match the explicit transposes it would remove",
                ),
                (Box::new(CsePass), "selection adds constants and row counts that may repeat"),
                (Box::new(DcePass), "removes the transposes nothing reads any more"),
            ],
        ));
    }
    if opts.vectorize || opts.distributed {
        stages.extend(plan(
            "vectorized",
            vec![
                (
                    Box::new(VectorizePass),
                    "needs exact types and shapes and the physical operators; fuses row-wise ops into pipelines",
                ),
                (Box::new(HorizontalFusionPass), "merges the pipelines vectorization made that scan the same input"),
                (Box::new(PipelineCleanupPass), "fusion can leave unused outputs and duplicate inputs"),
                (Box::new(DcePass), "constants copied into pipeline bodies may be unused outside"),
            ],
        ));
    }
    if opts.distributed {
        stages.extend(plan(
            "distributed",
            vec![(Box::new(DistributePass), "every pipeline runs on the workers; needs the final pipelines")],
        ));
    }
    stages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_planned_stage_exists_and_is_implemented() {
        let opts = CompileOptions { select_matrix_repr: true, distributed: true, ..CompileOptions::default() };
        let keys: Vec<&str> = pipeline(&opts).iter().map(|p| p.stage.key).collect();
        assert_eq!(
            keys,
            vec![
                "parsing",
                "parsing_simplified",
                "property_inference",
                "select_matrix_repr",
                "phy_op_selection",
                "vectorized",
                "distributed"
            ]
        );
        assert!(pipeline(&opts).iter().all(|p| p.stage.implemented));
    }
}
