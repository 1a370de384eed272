//! What comes back of a matrix held by the workers: all its rows, stacked in partition order, or
//! a row range (`X[a:b, ]`), for which only the blocks holding those rows are read and a block the
//! range cuts is cut on its worker first, so that taking a few rows of a large matrix moves only
//! those rows.

use super::lineage::{Failure, Partitioned};
use super::{Coordinator, internal};
use crate::proto::{self, TaskInput, task_input};
use daphne_ir::{Attrs, Loc, Module, OpKind, PrintOptions, Type, print_module};
use daphne_runtime::data::Data;
use daphne_runtime::distributor::DistError;
use daphne_runtime::elem::Scalar;
use daphne_runtime::kernels::combine::stack;
use daphne_runtime::matrix::Matrix;
use std::sync::OnceLock;

/// The task that cuts rows `a .. b` out of a block a worker holds.
fn slice_task() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let matrix = Type::matrix_of(None);
        let mut w = Module::new();
        let entry = w.create_block(&[matrix.clone(), Type::INDEX, Type::INDEX]);
        let args = w.block_args(entry).to_vec();
        let op = w.create_op(OpKind::SliceRow, args, vec![matrix.clone()], Attrs::new(), vec![], Loc::Unknown);
        w.append_op(entry, op);
        let ret = w.create_op(OpKind::Return, w.results(op).to_vec(), vec![], Attrs::new(), vec![], Loc::Unknown);
        w.append_op(entry, ret);
        w.create_func("dist", entry, vec![matrix], Loc::Unknown);
        print_module(&w, PrintOptions::default())
    })
}

fn index(n: usize) -> TaskInput {
    TaskInput { value: Some(task_input::Value::Scalar(proto::Scalar::from(&Scalar::Index(n as i64)))) }
}

impl Coordinator {
    /// The rows of a matrix held by the workers, stacked.
    pub fn fetch_rows(&self, p: &Partitioned) -> Result<Data, DistError> {
        self.fetch_row_range(p, 0, p.rows())
    }

    /// Rows `r0 .. r1` of a matrix held by the workers.
    pub fn fetch_row_range(&self, p: &Partitioned, r0: usize, r1: usize) -> Result<Data, DistError> {
        self.retrying(|| {
            // Per block the range touches: where its rows are, and whether that object is a cut
            // made for this fetch (freed afterwards).
            let mut pieces: Vec<(usize, u64, bool)> = Vec::new();
            let result = self.gather(p, r0, r1, &mut pieces);
            self.free(pieces.iter().filter(|(_, _, cut)| *cut).map(|(w, id, _)| (*w, *id)).collect());
            result
        })
    }

    fn gather(
        &self,
        p: &Partitioned,
        r0: usize,
        r1: usize,
        pieces: &mut Vec<(usize, u64, bool)>,
    ) -> Result<Data, Failure> {
        for i in 0..p.parts().len() {
            let part = p.parts()[i];
            let (a, b) = (r0.max(part.r0), r1.min(part.r1));
            if a >= b {
                continue;
            }
            let id = self.part_on_live_worker(p, i)?;
            let w = p.parts()[i].worker;
            if (a, b) == (part.r0, part.r1) {
                pieces.push((w, id, false));
                continue;
            }
            let inputs =
                vec![TaskInput { value: Some(task_input::Value::Object(id)) }, index(a - part.r0), index(b - part.r0)];
            let computed = self.transport.compute(w, slice_task(), inputs).map_err(|e| self.classify(vec![(w, e)]))?;
            let cut = computed.outputs.first().map(|o| o.id).filter(|id| *id != 0);
            pieces.push((w, cut.ok_or_else(|| internal("a row cut without its block"))?, true));
        }
        let ids: Vec<(usize, u64)> = pieces.iter().map(|(w, id, _)| (*w, *id)).collect();
        let blocks = self.transfer_all(&ids)?;
        Ok(Data::Matrix(Matrix::Dense(stack(&blocks, false).map_err(internal)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daphne_ir::{parse_module, verify};

    #[test]
    fn the_slice_task_is_a_valid_worker_module() {
        let m = parse_module(slice_task()).unwrap_or_else(|e| panic!("{e}\n{}", slice_task()));
        verify(&m).unwrap_or_else(|e| panic!("{e}\n{}", slice_task()));
        assert!(slice_task().contains("daphne.sliceRow"));
    }
}
