//! Data born on the workers: a matrix that only distributed pipelines read and that the workers
//! can make themselves ([`RowSource`]: `rand`, `fill`, `seq`, and `readMatrix` of a file with row
//! blocks) is generated (or read) there, each worker its row block of the cut the pipelines use,
//! so no matrix bytes leave the coordinator. The generation is a job like a pipeline's: a `@dist`
//! task (`daphne.randRows`, `daphne.fill`, `daphne.seqRows` or `daphne.readRows` over the
//! partition's first row and row count, which the coordinator fills in per partition) whose
//! row-combined result stays on the workers as a [`Partitioned`] matrix. Its lineage is that job,
//! so a block lost with its worker is generated (or read) again on another.
//!
//! A read the workers refuse (a worker without `--data-dir`, or the file outside it) or fail
//! (they see another file, or a broken one) is done by the coordinator instead: the executor
//! reads the file itself, which also reproduces a broken file's exact error. stderr says why,
//! once per reason, and `--dist-stats` counts such reads.

use super::lineage::{Failure, Job, Partitioned};
use super::plan::{Delivery, row_ranges};
use super::stats::Counters;
use super::{Coordinator, Input, internal};
use daphne_ir::vector::Combine;
use daphne_ir::{Attrs, Loc, MatrixType, Module, OpKind, PrintOptions, Type, print_module};
use daphne_runtime::data::Data;
use daphne_runtime::distributor::{DistError, DistOutcome, RowSource};
use daphne_runtime::elem::Scalar;
use std::sync::Arc;

/// An argument of a generation task: a scalar of the source, or one the coordinator sets per
/// partition.
enum GenArg {
    Given(Scalar),
    FirstRow,
    RowCount,
}

/// The op, arguments and result type of the task that makes a source's row blocks.
fn task_of(source: &RowSource) -> (OpKind, Vec<GenArg>, Type) {
    let index = |n: usize| GenArg::Given(Scalar::Index(n as i64));
    let block_type = |cols: usize, vt| Type::Matrix(MatrixType { cols: Some(cols as u64), ..MatrixType::of(Some(vt)) });
    match source {
        RowSource::Rand { rows, cols, min, max, seed, vt } => (
            OpKind::RandRows,
            vec![
                index(*rows),
                index(*cols),
                GenArg::Given(min.clone()),
                GenArg::Given(max.clone()),
                GenArg::Given(Scalar::F64(1.0)),
                GenArg::Given(Scalar::SI64(*seed)),
                GenArg::FirstRow,
                GenArg::RowCount,
            ],
            block_type(*cols, *vt),
        ),
        RowSource::Fill { value, cols, vt, .. } => {
            (OpKind::Fill, vec![GenArg::Given(value.clone()), GenArg::RowCount, index(*cols)], block_type(*cols, *vt))
        }
        RowSource::Seq { from, to, inc, vt, .. } => (
            OpKind::SeqRows,
            vec![
                GenArg::Given(from.clone()),
                GenArg::Given(to.clone()),
                GenArg::Given(inc.clone()),
                GenArg::FirstRow,
                GenArg::RowCount,
            ],
            block_type(1, *vt),
        ),
        RowSource::Read { path, shape } => (
            OpKind::ReadRows,
            vec![
                GenArg::Given(Scalar::Str(path.clone())),
                index(shape.rows),
                index(shape.cols),
                GenArg::Given(Scalar::Index(i64::try_from(shape.bytes).unwrap_or(i64::MAX))),
                GenArg::FirstRow,
                GenArg::RowCount,
            ],
            block_type(shape.cols, shape.vt),
        ),
    }
}

/// The task module's text: one op over the function's arguments. Every value travels as an
/// argument, so one text serves every seed and size of a kind (workers cache parsed modules).
fn task_ir(kind: OpKind, args: &[GenArg], result: &Type) -> String {
    let arg_types: Vec<Type> = args
        .iter()
        .map(|a| match a {
            GenArg::Given(s) => Type::Scalar(s.value_type()),
            GenArg::FirstRow | GenArg::RowCount => Type::INDEX,
        })
        .collect();
    let mut w = Module::new();
    let entry = w.create_block(&arg_types);
    let operands = w.block_args(entry).to_vec();
    let op = w.create_op(kind, operands, vec![result.clone()], Attrs::new(), vec![], Loc::Unknown);
    w.append_op(entry, op);
    let ret = w.create_op(OpKind::Return, w.results(op).to_vec(), vec![], Attrs::new(), vec![], Loc::Unknown);
    w.append_op(entry, ret);
    w.create_func("dist", entry, vec![result.clone()], Loc::Unknown);
    print_module(&w, PrintOptions::default())
}

impl Coordinator {
    /// Generates `source` on the workers, cut as a pipeline over its rows would cut it.
    pub(super) fn generate_rows(&self, source: &RowSource) -> Result<Arc<Partitioned>, DistError> {
        self.sweep();
        let rows = source.rows();
        if rows == 0 {
            return Err(DistError::Execution);
        }
        let (kind, args, result) = task_of(source);
        let ir = task_ir(kind, &args, &result);
        let (inputs, sends) = args
            .into_iter()
            .map(|a| match a {
                GenArg::Given(s) => (Input::Local(Data::Scalar(s)), Delivery::Inline),
                GenArg::FirstRow => (Input::Local(Data::Scalar(Scalar::Index(0))), Delivery::FirstRow),
                GenArg::RowCount => (Input::Local(Data::Scalar(Scalar::Index(0))), Delivery::RowCount),
            })
            .unzip();
        let job = Arc::new(Job {
            ir,
            inputs,
            sends,
            ranges: row_ranges(rows, self.worker_count()),
            combines: vec![Combine::Rows],
        });
        let all: Vec<usize> = (0..job.ranges.len()).collect();
        let attempt = self.attempts(|| {
            let done = self.execute(&job, &all)?;
            self.combine(&job, done, &[true])
        });
        let mut outcomes = match (attempt, source) {
            (Ok(outcomes), _) => outcomes,
            (Err(Failure::Execution(why) | Failure::Error(DistError::Refused(why))), RowSource::Read { path, .. }) => {
                Counters::add(&self.stats.read_here, 1);
                self.note_once(format!(
                    "daphne: the workers do not read {path} ({why}); the coordinator reads it and sends its rows"
                ));
                return Err(DistError::Refused(why));
            }
            (Err(f), _) => return Err(f.into_error()),
        };
        match outcomes.pop() {
            Some(DistOutcome::Remote(r)) => {
                let counter =
                    if matches!(source, RowSource::Read { .. }) { &self.stats.read } else { &self.stats.generated };
                Counters::add(counter, 1);
                r.into_any().downcast::<Partitioned>().map_err(|_| internal("a generated matrix of another kind"))
            }
            _ => Err(internal("a generation without its matrix")),
        }
    }

    /// Prints a note on stderr unless this run printed it before.
    fn note_once(&self, note: String) {
        let first = self.notes.lock().map(|mut seen| seen.insert(note.clone())).unwrap_or(true);
        if first {
            eprintln!("{note}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daphne_ir::ValueType;
    use daphne_ir::{parse_module, verify};
    use daphne_runtime::kernels::row_reads::{FileShape, RowFormat};

    #[test]
    fn generation_tasks_are_valid_worker_modules() {
        let sources = [
            RowSource::Rand {
                rows: 10,
                cols: 3,
                min: Scalar::F64(0.0),
                max: Scalar::F64(1.0),
                seed: 42,
                vt: ValueType::F64,
            },
            RowSource::Fill { value: Scalar::SI64(7), rows: 10, cols: 3, vt: ValueType::SI64 },
            RowSource::Seq {
                from: Scalar::F64(1.0),
                to: Scalar::F64(3.5),
                inc: Scalar::SI8(1),
                rows: 3,
                vt: ValueType::F64,
            },
            RowSource::Read {
                path: "/data/x.csv".into(),
                shape: FileShape { format: RowFormat::Csv, rows: 10, cols: 3, vt: ValueType::F32, bytes: 123 },
            },
        ];
        for source in sources {
            let (kind, args, result) = task_of(&source);
            let text = task_ir(kind, &args, &result);
            let m = parse_module(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            verify(&m).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert!(text.contains(kind.name()), "{text}");
            assert!(text.contains("@dist"), "{text}");
        }
    }
}
