//! The op dispatch: runs one DaphneIR op on its run-time operands by calling the adapter of its
//! kernel (`kernels::*::run_*`), and turns kernel errors into errors at the op's DaphneDSL
//! location. `OpDispatch::run` matches every `OpKind` without a catch-all, so a new op kind does
//! not compile until it is given an adapter (or explicitly refused). Nothing here touches the
//! executor's state (output streams, call stack), so the vectorized engine runs pipeline bodies
//! with it on many threads; the ops that need that state (control flow, calls, `print`, `map`,
//! pipelines, terminators) are the executor's (`exec`), and reaching them here is an internal
//! error.

use crate::data::Data;
use crate::error::ExecError;
use crate::kernels::args::OpArgs;
use crate::kernels::{
    agg, cast, datagen, ewise, frame, index, io, linalg, list, meta, preprocess, reorg, row_reads, structure,
};
use crate::matrix::{Csr, Matrix};
use daphne_ir::{Module, Op, OpKind, Repr, Type};

/// Runs ops of one module.
#[derive(Clone, Copy)]
pub(crate) struct OpDispatch<'m> {
    pub(crate) m: &'m Module,
    /// When the run must stop ([`crate::exec::ExecOptions::deadline`]): checked before every op
    /// and every batch, so a long pipeline is cancelled between batches.
    pub(crate) deadline: Option<std::time::Instant>,
}

impl OpDispatch<'_> {
    /// Fails once the run's deadline has passed.
    pub(crate) fn check_deadline(&self, op: Op) -> Result<(), ExecError> {
        match self.deadline {
            Some(d) if std::time::Instant::now() >= d => Err(ExecError::TimedOut {
                message: "the run passed its deadline".into(),
                loc: self.m.op(op).loc.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// An error at the op's location.
    pub(crate) fn err(&self, op: Op, message: impl Into<String>) -> ExecError {
        ExecError::Runtime { message: message.into(), loc: self.m.op(op).loc.clone() }
    }

    /// What `stop(message)` ends the run with (not a failure of a kernel).
    fn stop(&self, op: Op, message: String) -> ExecError {
        ExecError::Stop { message, loc: self.m.op(op).loc.clone() }
    }

    /// Converts result `i` to the representation its static type asks for (sparse or dense).
    pub(crate) fn represent(&self, op: Op, i: usize, d: Data) -> Data {
        let Type::Matrix(t) = self.m.value_type(self.m.result(op, i)) else { return d };
        match (d, t.repr) {
            (Data::Matrix(Matrix::Dense(dense)), Repr::Sparse) => match Csr::from_dense(&dense) {
                Some(c) => Data::Matrix(Matrix::Csr(c)),
                None => Data::Matrix(Matrix::Dense(dense)),
            },
            (Data::Matrix(Matrix::Csr(c)), Repr::Dense) => Data::Matrix(Matrix::Dense(c.to_dense())),
            (other, _) => other,
        }
    }

    /// Runs one op that is neither control flow nor a call nor output; callable from any thread.
    pub(crate) fn run(&self, op: Op, args: &[Data]) -> Result<Vec<Data>, ExecError> {
        self.check_deadline(op)?;
        let a = OpArgs::new(self.m, op, args);
        let kind = self.m.kind(op);
        let out = match kind {
            // The elementwise families: the function comes from the op table.
            OpKind::EwMinus
            | OpKind::EwAbs
            | OpKind::EwSign
            | OpKind::EwExp
            | OpKind::EwLn
            | OpKind::EwSqrt
            | OpKind::EwRound
            | OpKind::EwFloor
            | OpKind::EwCeil
            | OpKind::EwSin
            | OpKind::EwCos
            | OpKind::EwTan
            | OpKind::EwSinh
            | OpKind::EwCosh
            | OpKind::EwTanh
            | OpKind::EwAsin
            | OpKind::EwAcos
            | OpKind::EwAtan
            | OpKind::EwIsNan
            | OpKind::EwLower
            | OpKind::EwUpper
            | OpKind::EwAdd
            | OpKind::EwSub
            | OpKind::EwMul
            | OpKind::EwDiv
            | OpKind::EwPow
            | OpKind::EwMod
            | OpKind::EwLog
            | OpKind::EwMin
            | OpKind::EwMax
            | OpKind::EwAnd
            | OpKind::EwOr
            | OpKind::EwXor
            | OpKind::EwConcat
            | OpKind::EwEq
            | OpKind::EwNeq
            | OpKind::EwLt
            | OpKind::EwLe
            | OpKind::EwGt
            | OpKind::EwGe
            | OpKind::OuterAdd
            | OpKind::OuterSub
            | OpKind::OuterMul
            | OpKind::OuterDiv
            | OpKind::OuterPow
            | OpKind::OuterMod
            | OpKind::OuterLog
            | OpKind::OuterMin
            | OpKind::OuterMax
            | OpKind::OuterAnd
            | OpKind::OuterOr
            | OpKind::OuterXor
            | OpKind::OuterConcat
            | OpKind::OuterEq
            | OpKind::OuterNeq
            | OpKind::OuterLt
            | OpKind::OuterLe
            | OpKind::OuterGt
            | OpKind::OuterGe => ewise::run_ewise(&a),
            OpKind::SumAll
            | OpKind::MinAll
            | OpKind::MaxAll
            | OpKind::MeanAll
            | OpKind::VarAll
            | OpKind::StddevAll
            | OpKind::SumRow
            | OpKind::MinRow
            | OpKind::MaxRow
            | OpKind::IdxMinRow
            | OpKind::IdxMaxRow
            | OpKind::MeanRow
            | OpKind::VarRow
            | OpKind::StddevRow
            | OpKind::SumCol
            | OpKind::MinCol
            | OpKind::MaxCol
            | OpKind::IdxMinCol
            | OpKind::IdxMaxCol
            | OpKind::MeanCol
            | OpKind::VarCol
            | OpKind::StddevCol => agg::run_agg(&a),
            OpKind::CountGrp
            | OpKind::SumGrp
            | OpKind::MinGrp
            | OpKind::MaxGrp
            | OpKind::MeanGrp
            | OpKind::VarGrp
            | OpKind::StddevGrp => agg::run_grouped(&a),
            OpKind::SumCum | OpKind::ProdCum | OpKind::MinCum | OpKind::MaxCum => agg::run_cumulative(&a),
            OpKind::Cond => ewise::run_cond(&a),
            OpKind::Cast => cast::run_cast(&a),
            OpKind::Constant => datagen::run_constant(&a),
            OpKind::MatrixConstant => datagen::run_matrix_constant(&a),
            OpKind::Fill => datagen::run_fill(&a),
            OpKind::RandMatrix => datagen::run_rand(&a),
            OpKind::RandRows => datagen::run_rand_rows(&a),
            OpKind::Seq => datagen::run_seq(&a),
            OpKind::SeqRows => datagen::run_seq_rows(&a),
            OpKind::Sample => datagen::run_sample(&a),
            OpKind::DiagMatrix => datagen::run_diag_matrix(&a),
            OpKind::CreateFrame => frame::run_create_frame(&a),
            OpKind::SetColLabels => frame::run_set_col_labels(&a),
            OpKind::SetColLabelsPrefix => frame::run_set_col_labels_prefix(&a),
            OpKind::TypeOf => meta::run_type_of(&a),
            OpKind::NumRows => meta::run_num_rows(&a),
            OpKind::NumCols => meta::run_num_cols(&a),
            OpKind::NumCells => meta::run_num_cells(&a),
            OpKind::Sparsity => meta::run_sparsity(&a),
            OpKind::Now => meta::run_now(&a),
            OpKind::StartProfiling | OpKind::StopProfiling => meta::run_profiling(&a),
            OpKind::Stop => return Err(self.stop(op, meta::stop_message(&a))),
            OpKind::IsSymmetric => structure::run_is_symmetric(&a),
            OpKind::DiagVector => structure::run_diag_vector(&a),
            OpKind::Tri => structure::run_tri(&a),
            OpKind::Reshape => reorg::run_reshape(&a),
            OpKind::Transpose => reorg::run_transpose(&a),
            OpKind::ColBind => reorg::run_bind(&a, true),
            OpKind::RowBind => reorg::run_bind(&a, false),
            OpKind::Reverse => reorg::run_reverse(&a),
            OpKind::Order => reorg::run_order(&a),
            OpKind::MatMul => linalg::run_matmul(&a),
            OpKind::Solve => linalg::run_solve(&a),
            OpKind::EigenCal => linalg::run_eigen(&a),
            OpKind::Syrk => linalg::run_syrk(&a),
            OpKind::Gemv => linalg::run_gemv(&a),
            OpKind::Replace => preprocess::run_replace(&a),
            OpKind::CTable => preprocess::run_ctable(&a),
            OpKind::OneHot => preprocess::run_one_hot(&a),
            OpKind::Recode => preprocess::run_recode(&a),
            OpKind::Bin => preprocess::run_bin(&a),
            OpKind::Quantize => preprocess::run_quantize(&a),
            OpKind::SliceRow => index::run_slice(&a, true),
            OpKind::SliceCol => index::run_slice(&a, false),
            OpKind::ExtractRow => index::run_extract_row(&a),
            OpKind::ExtractCol => index::run_extract_col(&a),
            OpKind::FilterRow => index::run_filter_row(&a),
            OpKind::FilterCol => index::run_filter_col(&a),
            OpKind::InsertRow => index::run_insert(&a, true),
            OpKind::InsertCol => index::run_insert(&a, false),
            OpKind::Read => io::run_read(&a),
            OpKind::ReadRows => row_reads::run_read_rows(&a),
            OpKind::Write => io::run_write(&a),
            OpKind::CreateList => list::run_create_list(&a),
            OpKind::Length => list::run_length(&a),
            OpKind::Append => list::run_append(&a),
            OpKind::Remove => list::run_remove(&a),
            // The executor runs these itself: they need its state or run regions.
            OpKind::Func
            | OpKind::Return
            | OpKind::GenericCall
            | OpKind::If
            | OpKind::For
            | OpKind::While
            | OpKind::Yield
            | OpKind::Condition
            | OpKind::Print
            | OpKind::Map
            | OpKind::ReceiveFromNumpy
            | OpKind::SaveDaphneLibResult
            | OpKind::VectorizedPipeline
            | OpKind::DistributedPipeline => {
                Err(format!("internal error: `{}` is run by the executor, not by the op dispatch", kind.name()))
            }
            // Ops this runtime has no kernels for.
            OpKind::AffineForward
            | OpKind::AvgPoolForward
            | OpKind::MaxPoolForward
            | OpKind::BatchNorm2DInferenceForward
            | OpKind::BiasAdd
            | OpKind::Conv2DForward
            | OpKind::ReluForward
            | OpKind::Softmax
            | OpKind::BatchNorm2DBackward
            | OpKind::Conv2DBackwardFilter
            | OpKind::Conv2DBackwardData
            | OpKind::AvgPoolBackward
            | OpKind::MaxPoolBackward
            | OpKind::Sql
            | OpKind::RegisterView
            | OpKind::Intersect
            | OpKind::Merge
            | OpKind::Except
            | OpKind::Cartesian
            | OpKind::InnerJoin
            | OpKind::FullOuterJoin
            | OpKind::LeftOuterJoin
            | OpKind::AntiJoin
            | OpKind::SemiJoin
            | OpKind::GroupJoin
            | OpKind::Group
            | OpKind::OpenFile
            | OpKind::OpenDevice
            | OpKind::OpenFileOnTarget
            | OpKind::Close
            | OpKind::ReadCsv => Err(format!("`{}` is not supported by this runtime (yet)", kind.name())),
        };
        out.map_err(|m| self.err(op, m))
    }
}
