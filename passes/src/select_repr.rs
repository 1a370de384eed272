//! `select_matrix_repr` (with `--select-matrix-repr`): marks matrix results whose inferred sparsity
//! is below the threshold (DAPHNE's 0.25) as sparse, so they are computed and stored as CSR. Loop
//! variables keep the representation of their initial value, as in DAPHNE.

use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::{Block, Module, OpKind, Repr, Type};

pub struct SelectMatrixReprPass;

impl Pass for SelectMatrixReprPass {
    fn name(&self) -> &'static str {
        "select_matrix_repr"
    }

    fn run(&self, m: &mut Module, cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let threshold = cx.options.sparsity_threshold;
        for func in m.funcs() {
            if let Some(entry) = m.op_block(func, 0) {
                select_block(m, entry, threshold);
            }
        }
        Ok(Changed::Yes)
    }
}

fn select_block(m: &mut Module, b: Block, threshold: f64) {
    for op in m.block_ops(b).to_vec() {
        for i in 0..m.op(op).regions.len() {
            if let Some(inner) = m.op_block(op, i) {
                select_block(m, inner, threshold);
            }
        }
        if matches!(m.kind(op), OpKind::If | OpKind::For | OpKind::While) {
            continue;
        }
        for v in m.results(op).to_vec() {
            if let Type::Matrix(mt) = m.value_type(v)
                && mt.sparsity.is_some_and(|s| s < threshold)
            {
                let mut t = mt.clone();
                t.repr = Repr::Sparse;
                m.set_value_type(v, Type::Matrix(t));
            }
        }
    }
}
