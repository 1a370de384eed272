//! The op dispatch of the executor: one arm per DaphneIR op kind, turning operands into kernel
//! arguments and kernel results into values.

use super::{Env, ExecError, Executor};
use crate::data::Data;
use crate::elem::{Scalar, cpp_name, scalar_to_cpp};
use crate::frame::Frame;
use crate::kernels::agg;
use crate::kernels::cast::cast_kernel;
use crate::kernels::ewise::{self, ewise_kernel};
use crate::kernels::{datagen, index, io, linalg, preprocess, reorg, structure};
use crate::matrix::{Csr, Dense, Matrix};
use daphne_ir::Module;
use daphne_ir::ops::Family;
use daphne_ir::{Attr, Op, OpKind, Repr, Type};

type R = Result<Vec<Data>, ExecError>;

fn one(d: Data) -> R {
    Ok(vec![d])
}

fn mat(d: Dense) -> R {
    one(Data::Matrix(Matrix::Dense(d)))
}

/// The kernels of ops, with what they need to read from the module: everything that runs an op
/// without touching the executor's state (output streams, call stack), so that the vectorized
/// engine can run pipeline bodies on many threads.
#[derive(Clone, Copy)]
pub(crate) struct OpDispatch<'m> {
    pub(crate) m: &'m Module,
}

impl OpDispatch<'_> {
    fn scalar<'d>(&self, op: Op, d: &'d Data, what: &str) -> Result<&'d Scalar, ExecError> {
        match d {
            Data::Scalar(s) => Ok(s),
            other => Err(self.err(op, format!("{what} must be a scalar, not a {}", other.kind()))),
        }
    }

    fn matrix<'d>(&self, op: Op, d: &'d Data, what: &str) -> Result<&'d Matrix, ExecError> {
        match d {
            Data::Matrix(m) => Ok(m),
            other => Err(self.err(op, format!("{what} must be a matrix, not a {}", other.kind()))),
        }
    }

    fn int(&self, op: Op, d: &Data, what: &str) -> Result<i64, ExecError> {
        let s = self.scalar(op, d, what)?;
        match s {
            Scalar::F64(v) => Ok(*v as i64),
            Scalar::F32(v) => Ok(*v as i64),
            Scalar::Str(_) => Err(self.err(op, format!("{what} must be a number"))),
            other => Ok(other.as_i128().unwrap_or(0) as i64),
        }
    }

    fn size(&self, op: Op, d: &Data, what: &str) -> Result<usize, ExecError> {
        let s = self.scalar(op, d, what)?;
        let v = s.as_f64().ok_or_else(|| self.err(op, format!("{what} must be a number")))?;
        if v < 0.0 {
            let shown = match s {
                Scalar::Index(i) => i.to_string(),
                other => scalar_to_cpp(other),
            };
            return Err(self.err(op, format!("{what} must not be negative, but is {shown}")));
        }
        Ok(v as usize)
    }

    fn flag(&self, op: Op, d: &Data, what: &str) -> Result<bool, ExecError> {
        let s = self.scalar(op, d, what)?;
        Ok(s.as_f64().is_some_and(|v| v != 0.0))
    }

    fn f64_of(&self, op: Op, d: &Data, what: &str) -> Result<f64, ExecError> {
        self.scalar(op, d, what)?.as_f64().ok_or_else(|| self.err(op, format!("{what} must be a number")))
    }

    fn string(&self, op: Op, d: &Data, what: &str) -> Result<String, ExecError> {
        match self.scalar(op, d, what)? {
            Scalar::Str(s) => Ok(s.clone()),
            _ => Err(self.err(op, format!("{what} must be a string"))),
        }
    }

    /// Converts the result to the representation its static type asks for (sparse or dense).
    pub(crate) fn represent(&self, op: Op, i: usize, d: Data) -> Data {
        let Type::Matrix(t) = self.static_type(op, i) else { return d };
        match (d, t.repr) {
            (Data::Matrix(Matrix::Dense(dense)), Repr::Sparse) => match Csr::from_dense(&dense) {
                Some(c) => Data::Matrix(Matrix::Csr(c)),
                None => Data::Matrix(Matrix::Dense(dense)),
            },
            (Data::Matrix(Matrix::Csr(c)), Repr::Dense) => Data::Matrix(Matrix::Dense(c.to_dense())),
            (other, _) => other,
        }
    }

    fn type_of(d: &Data) -> String {
        match d {
            Data::Scalar(Scalar::Str(_)) => "const char*".into(),
            Data::Scalar(s) => cpp_name(s.value_type()).into(),
            Data::Matrix(m) => {
                let kind = if m.is_sparse() { "CSRMatrix" } else { "DenseMatrix" };
                format!("{kind}({}x{}, {})", m.rows(), m.cols(), cpp_name(m.vt()))
            }
            Data::Frame(f) => {
                let cols: Vec<String> =
                    f.labels().iter().zip(f.schema()).map(|(l, t)| format!("{l}:{}", cpp_name(t))).collect();
                format!("Frame({}x{}, [{}])", f.rows(), f.cols(), cols.join(", "))
            }
            Data::List(items) => format!("List({})", items.len()),
        }
    }

    fn cast(&self, op: Op, arg: &Data) -> Result<Data, ExecError> {
        cast_kernel(self.static_type(op, 0), arg).map_err(|m| self.err(op, m))
    }

    /// Runs the kernel of one op that is neither control flow nor a call nor output (those need
    /// the executor's state); callable from any thread.
    pub(crate) fn run(&self, op: Op, args: &[Data]) -> R {
        let kind = self.m.kind(op);
        let e = |this: &Self, m: String| this.err(op, m);
        match kind.family() {
            Family::Unary(_) | Family::Binary(_) | Family::Outer(_) => {
                let vt = self.result_vt(op, 0, args)?;
                if let Some(r) = ewise_kernel(kind, args, vt) {
                    return one(r.map_err(|m| e(self, m))?);
                }
            }
            Family::Agg(f, axis) => {
                let vt = self.result_vt(op, 0, args)?;
                let m = self.matrix(op, &args[0], "the argument of an aggregation")?;
                return one(agg::aggregate(f, axis, m, vt).map_err(|m| e(self, m))?);
            }
            Family::Grouped(f) => {
                let vt = self.result_vt(op, 0, args)?;
                let m = self.matrix(op, &args[0], "the argument of a grouped aggregation")?;
                let g = self.matrix(op, &args[1], "the group ids")?;
                let n = self.size(op, &args[2], "the number of groups")?;
                return mat(agg::grouped(f, m, g, n, vt).map_err(|m| e(self, m))?);
            }
            Family::Cumulative(f) => {
                let m = self.matrix(op, &args[0], "the argument of a cumulative aggregation")?;
                return mat(agg::cumulative(f, m).map_err(|m| e(self, m))?);
            }
            Family::Other => {}
        }
        match kind {
            OpKind::Constant => match self.m.attr(op, "value") {
                Some(Attr::Const(c)) => one(Data::Scalar(c.clone())),
                _ => Err(self.err(op, "internal error: constant without value")),
            },
            OpKind::MatrixConstant => {
                match self.m.attr(op, "value") {
                    Some(Attr::Dense(d)) => mat(Dense::from_scalars(d.vt, d.rows as usize, d.cols as usize, &d.values)
                        .map_err(|m| e(self, m))?),
                    _ => Err(self.err(op, "internal error: matrix constant without value")),
                }
            }
            OpKind::Cast => one(self.cast(op, &args[0])?),
            OpKind::Fill => {
                let v = self.scalar(op, &args[0], "the value of fill")?.clone();
                let rows = self.size(op, &args[1], "the number of rows")?;
                let cols = self.size(op, &args[2], "the number of columns")?;
                let vt = self.result_vt(op, 0, args)?;
                let d = Data::Matrix(Matrix::Dense(datagen::fill(&v, rows, cols, vt).map_err(|m| e(self, m))?));
                one(d)
            }
            OpKind::RandMatrix => {
                let rows = self.size(op, &args[0], "the number of rows")?;
                let cols = self.size(op, &args[1], "the number of columns")?;
                let min = self.scalar(op, &args[2], "min")?.clone();
                let max = self.scalar(op, &args[3], "max")?.clone();
                let sparsity = self.f64_of(op, &args[4], "the sparsity")?;
                let seed = self.int(op, &args[5], "the seed")?;
                let vt = self.result_vt(op, 0, args)?;
                if min.value_type() != max.value_type() && min.value_type().is_float() != max.value_type().is_float() {
                    return Err(self.err(op, "rand: min and max need to have the same type"));
                }
                if matches!(self.static_type(op, 0), Type::Matrix(t) if t.repr == Repr::Sparse) {
                    let c = datagen::rand_csr(rows, cols, &min, &max, sparsity, seed, vt).map_err(|m| e(self, m))?;
                    return one(Data::Matrix(Matrix::Csr(c)));
                }
                let d = datagen::rand(rows, cols, &min, &max, sparsity, seed, vt).map_err(|m| e(self, m))?;
                one(Data::Matrix(Matrix::Dense(d)))
            }
            OpKind::Seq => {
                let vt = self.result_vt(op, 0, args)?;
                let (a, b, c) = (
                    self.scalar(op, &args[0], "from")?,
                    self.scalar(op, &args[1], "to")?,
                    self.scalar(op, &args[2], "inc")?,
                );
                mat(datagen::seq(a, b, c, vt).map_err(|m| e(self, m))?)
            }
            OpKind::Sample => {
                let vt = self.result_vt(op, 0, args)?;
                let range = self.scalar(op, &args[0], "the range")?.clone();
                let size = self.int(op, &args[1], "the size")?;
                let repl = self.flag(op, &args[2], "withReplacement")?;
                let seed = self.int(op, &args[3], "the seed")?;
                mat(datagen::sample(&range, size, repl, seed, vt).map_err(|m| e(self, m))?)
            }
            OpKind::DiagMatrix => {
                let m = self.matrix(op, &args[0], "the argument of diagMatrix")?;
                mat(datagen::diag_matrix(&m.dense()).map_err(|m| e(self, m))?)
            }
            OpKind::CreateFrame => {
                let half = args.len() / 2;
                let mut columns = Vec::with_capacity(half);
                for a in &args[..half] {
                    columns.push(self.matrix(op, a, "a frame column")?.dense().into_owned());
                }
                let mut labels = Vec::with_capacity(half);
                for a in &args[half..] {
                    labels.push(self.string(op, a, "a frame label")?);
                }
                one(Data::Frame(Frame::new(columns, labels).map_err(|m| e(self, m))?))
            }
            OpKind::TypeOf => one(Data::Scalar(Scalar::Str(Self::type_of(&args[0])))),
            OpKind::NumRows | OpKind::NumCols | OpKind::NumCells => {
                let (r, c) = match &args[0] {
                    Data::Matrix(m) => (m.rows(), m.cols()),
                    Data::Frame(f) => (f.rows(), f.cols()),
                    Data::Scalar(_) => (1, 1),
                    Data::List(l) => (l.len(), 1),
                };
                let v = match kind {
                    OpKind::NumRows => r,
                    OpKind::NumCols => c,
                    _ => r * c,
                };
                one(Data::Scalar(Scalar::Index(v as i64)))
            }
            OpKind::Sparsity => {
                let m = self.matrix(op, &args[0], "the argument of sparsity")?;
                one(Data::Scalar(Scalar::F64(m.sparsity())))
            }
            OpKind::IsSymmetric => {
                let m = self.matrix(op, &args[0], "the argument of isSymmetric")?;
                one(Data::Scalar(Scalar::Bool(structure::is_symmetric(&m.dense()).map_err(|m| e(self, m))?)))
            }
            OpKind::Cond => {
                let vt = self.result_vt(op, 0, args).ok();
                one(ewise::cond(&args[0], &args[1], &args[2], vt).map_err(|m| e(self, m))?)
            }
            OpKind::Reshape => {
                let m = self.matrix(op, &args[0], "the argument of reshape")?;
                let rows = self.size(op, &args[1], "the number of rows")?;
                let cols = self.size(op, &args[2], "the number of columns")?;
                mat(reorg::reshape(&m.dense(), rows, cols).map_err(|m| e(self, m))?)
            }
            OpKind::Transpose => {
                let m = self.matrix(op, &args[0], "the argument of t")?;
                let d = Data::Matrix(Matrix::Dense(m.dense().transpose()));
                one(d)
            }
            OpKind::ColBind | OpKind::RowBind => {
                let vt = self.result_vt(op, 0, args).ok();
                one(reorg::bind(&args[0], &args[1], kind == OpKind::ColBind, vt).map_err(|m| e(self, m))?)
            }
            OpKind::Reverse => {
                let m = self.matrix(op, &args[0], "the argument of reverse")?;
                mat(reorg::reverse(&m.dense()))
            }
            OpKind::Order => {
                let n = (args.len() - 2) / 2;
                let mut keys = Vec::with_capacity(n);
                for i in 0..n {
                    keys.push((
                        self.size(op, &args[1 + i], "a column index")?,
                        self.flag(op, &args[1 + n + i], "a sort direction")?,
                    ));
                }
                let ret = self.flag(op, &args[args.len() - 1], "returnIndexes")?;
                one(reorg::order(&args[0], &keys, ret).map_err(|m| e(self, m))?)
            }
            OpKind::MatMul => {
                let vt = self.result_vt(op, 0, args)?;
                let a = self.matrix(op, &args[0], "the left operand of @")?;
                let b = self.matrix(op, &args[1], "the right operand of @")?;
                let ta = self.flag(op, &args[2], "transa")?;
                let tb = self.flag(op, &args[3], "transb")?;
                let d = linalg::matmul(&a.dense(), &b.dense(), ta, tb, vt).map_err(|m| e(self, m))?;
                mat(d)
            }
            OpKind::Solve => {
                let vt = self.result_vt(op, 0, args)?;
                let a = self.matrix(op, &args[0], "the matrix of solve")?;
                let b = self.matrix(op, &args[1], "the right-hand side of solve")?;
                mat(linalg::solve(&a.dense(), &b.dense(), vt).map_err(|m| e(self, m))?)
            }
            OpKind::EigenCal => {
                let a = self.matrix(op, &args[0], "the argument of eigen")?;
                let (vals, vecs) = linalg::eigen(&a.dense()).map_err(|m| e(self, m))?;
                Ok(vec![Data::Matrix(Matrix::Dense(vals)), Data::Matrix(Matrix::Dense(vecs))])
            }
            OpKind::Syrk => {
                let vt = self.result_vt(op, 0, args)?;
                let a = self.matrix(op, &args[0], "the argument of syrk")?;
                mat(linalg::syrk(&a.dense(), vt).map_err(|m| e(self, m))?)
            }
            OpKind::Gemv => {
                let vt = self.result_vt(op, 0, args)?;
                let a = self.matrix(op, &args[0], "the matrix of gemv")?;
                let x = self.matrix(op, &args[1], "the vector of gemv")?;
                mat(linalg::gemv(&a.dense(), &x.dense(), vt).map_err(|m| e(self, m))?)
            }
            OpKind::DiagVector => {
                let m = self.matrix(op, &args[0], "the argument of diagVector")?;
                mat(structure::diag_vector(&m.dense()).map_err(|m| e(self, m))?)
            }
            OpKind::Tri => {
                let m = self.matrix(op, &args[0], "the argument of lowerTri/upperTri")?;
                let upper = self.flag(op, &args[1], "upper")?;
                let diag = self.flag(op, &args[2], "diag")?;
                let values = self.flag(op, &args[3], "values")?;
                mat(structure::tri(&m.dense(), upper, diag, values).map_err(|m| e(self, m))?)
            }
            OpKind::Replace => {
                let vt = self.result_vt(op, 0, args)?;
                let m = self.matrix(op, &args[0], "the argument of replace")?;
                let p = self.scalar(op, &args[1], "the pattern")?;
                let r = self.scalar(op, &args[2], "the replacement")?;
                let m = m.dense().cast(vt).map_err(|m| e(self, m))?;
                mat(preprocess::replace(&m, p, r).map_err(|m| e(self, m))?)
            }
            OpKind::CTable => {
                let vt = self.result_vt(op, 0, args)?;
                let y = self.matrix(op, &args[0], "the first argument of ctable")?;
                let x = self.matrix(op, &args[1], "the second argument of ctable")?;
                let w = self.scalar(op, &args[2], "the weight")?;
                let rows = self.int(op, &args[3], "the number of rows")?;
                let cols = self.int(op, &args[4], "the number of columns")?;
                mat(preprocess::ctable(&y.dense(), &x.dense(), w, rows, cols, vt).map_err(|m| e(self, m))?)
            }
            OpKind::SliceRow | OpKind::SliceCol => {
                let lo = self.int(op, &args[1], "the lower bound")?;
                let hi = self.int(op, &args[2], "the upper bound")?;
                let r = if kind == OpKind::SliceRow {
                    index::slice_rows(&args[0], lo, hi)
                } else {
                    index::slice_cols(&args[0], lo, hi)
                };
                one(r.map_err(|m| e(self, m))?)
            }
            OpKind::ExtractRow => {
                let sel = self.matrix(op, &args[1], "the row positions")?;
                one(index::extract_rows(&args[0], sel).map_err(|m| e(self, m))?)
            }
            OpKind::ExtractCol => one(index::extract_cols(&args[0], &args[1]).map_err(|m| e(self, m))?),
            OpKind::FilterRow => {
                let sel = self.matrix(op, &args[1], "the row filter")?;
                one(index::filter_rows(&args[0], sel).map_err(|m| e(self, m))?)
            }
            OpKind::FilterCol => {
                let sel = self.matrix(op, &args[1], "the column filter")?;
                one(index::filter_cols(&args[0], sel).map_err(|m| e(self, m))?)
            }
            OpKind::InsertRow | OpKind::InsertCol => {
                let lo = self.int(op, &args[2], "the lower bound")?;
                let hi = self.int(op, &args[3], "the upper bound")?;
                one(index::insert(&args[0], &args[1], lo, hi, kind == OpKind::InsertRow).map_err(|m| e(self, m))?)
            }
            OpKind::Read => {
                let path = self.string(op, &args[0], "the file name")?;
                let d = match self.static_type(op, 0) {
                    Type::Frame(_) => Data::Frame(io::read_frame(&path).map_err(|m| e(self, m))?),
                    _ => Data::Matrix(io::read_matrix(&path).map_err(|m| e(self, m))?),
                };
                one(d)
            }
            OpKind::Write => {
                let path = self.string(op, &args[1], "the file name")?;
                match &args[0] {
                    Data::Matrix(m) => io::write_matrix(m, &path).map_err(|m| e(self, m))?,
                    Data::Frame(f) => io::write_frame(f, &path).map_err(|m| e(self, m))?,
                    other => return Err(self.err(op, format!("cannot write a {} to a file", other.kind()))),
                }
                Ok(vec![])
            }
            OpKind::Stop => {
                let msg = match &args[0] {
                    Data::Scalar(s) => scalar_to_cpp(s),
                    other => Self::type_of(other),
                };
                Err(super::ExecError::Stop { message: msg, loc: self.m.op(op).loc.clone() })
            }
            OpKind::Now => {
                let ns = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as i64);
                one(Data::Scalar(Scalar::SI64(ns)))
            }
            OpKind::StartProfiling | OpKind::StopProfiling => Ok(vec![]),
            OpKind::OneHot => {
                let m = self.matrix(op, &args[0], "the argument of oneHot")?;
                let info = self.matrix(op, &args[1], "the info of oneHot")?;
                mat(preprocess::one_hot(&m.dense(), &info.dense()).map_err(|m| e(self, m))?)
            }
            OpKind::Recode => {
                let m = self.matrix(op, &args[0], "the argument of recode")?;
                let ordered = self.flag(op, &args[1], "orderPreserving")?;
                let (codes, dict) = preprocess::recode(&m.dense(), ordered).map_err(|m| e(self, m))?;
                Ok(vec![Data::Matrix(Matrix::Dense(codes)), Data::Matrix(Matrix::Dense(dict))])
            }
            OpKind::Bin => {
                let m = self.matrix(op, &args[0], "the argument of bin")?;
                let n = self.int(op, &args[1], "the number of bins")?;
                let lo = self.scalar(op, &args[2], "min")?;
                let hi = self.scalar(op, &args[3], "max")?;
                mat(preprocess::bin(&m.dense(), n, lo, hi).map_err(|m| e(self, m))?)
            }
            OpKind::Quantize => {
                let m = self.matrix(op, &args[0], "the argument of quantize")?;
                let lo = self.f64_of(op, &args[1], "min")?;
                let hi = self.f64_of(op, &args[2], "max")?;
                mat(preprocess::quantize(&m.dense(), lo, hi).map_err(|m| e(self, m))?)
            }
            OpKind::CreateList => {
                let mut items = Vec::with_capacity(args.len());
                for a in args {
                    items.push(self.matrix(op, a, "a list element")?.clone());
                }
                one(Data::List(items))
            }
            OpKind::Length => match &args[0] {
                Data::List(l) => one(Data::Scalar(Scalar::Index(l.len() as i64))),
                other => Err(self.err(op, format!("length expects a list, not a {}", other.kind()))),
            },
            OpKind::Append => match &args[0] {
                Data::List(l) => {
                    let mut l = l.clone();
                    l.push(self.matrix(op, &args[1], "the appended element")?.clone());
                    one(Data::List(l))
                }
                other => Err(self.err(op, format!("append expects a list, not a {}", other.kind()))),
            },
            OpKind::Remove => match &args[0] {
                Data::List(l) => {
                    let i = self.size(op, &args[1], "the position")?;
                    if i >= l.len() {
                        return Err(self.err(
                            op,
                            format!("remove: position {i} is out of bounds for a list of {} elements", l.len()),
                        ));
                    }
                    let mut l = l.clone();
                    let m = l.remove(i);
                    Ok(vec![Data::List(l), Data::Matrix(m)])
                }
                other => Err(self.err(op, format!("remove expects a list, not a {}", other.kind()))),
            },
            OpKind::SetColLabels => match &args[0] {
                Data::Frame(f) => {
                    let mut labels = Vec::with_capacity(args.len() - 1);
                    for a in &args[1..] {
                        labels.push(self.string(op, a, "a label")?);
                    }
                    if labels.len() != f.cols() {
                        return Err(
                            self.err(op, format!("setColLabels: {} labels for {} columns", labels.len(), f.cols()))
                        );
                    }
                    one(Data::Frame(Frame::new(f.columns().to_vec(), labels).map_err(|m| e(self, m))?))
                }
                other => Err(self.err(op, format!("setColLabels expects a frame, not a {}", other.kind()))),
            },
            OpKind::SetColLabelsPrefix => match &args[0] {
                Data::Frame(f) => {
                    let p = self.string(op, &args[1], "the prefix")?;
                    // A label's existing prefix (up to its first `.`) is replaced, as in DAPHNE.
                    let labels = f
                        .labels()
                        .iter()
                        .map(|l| match l.find('.') {
                            Some(pos) => format!("{p}{}", &l[pos..]),
                            None => format!("{p}.{l}"),
                        })
                        .collect();
                    one(Data::Frame(Frame::new(f.columns().to_vec(), labels).map_err(|m| e(self, m))?))
                }
                other => Err(self.err(op, format!("setColLabelsPrefix expects a frame, not a {}", other.kind()))),
            },
            other => Err(self.err(op, format!("`{}` is not supported by this runtime (yet)", other.name()))),
        }
    }
}

impl Executor<'_, '_> {
    /// Executes one (non-terminator) op and returns its results.
    pub(crate) fn exec_op(&mut self, op: Op, env: &mut Env) -> R {
        let kind = self.m.kind(op);
        let k = self.dispatch();
        // Control flow first: it runs regions and must not evaluate anything eagerly.
        match kind {
            OpKind::If => {
                let args = self.operands(op, env)?;
                let c = k.flag(op, &args[0], "the condition of `if`")?;
                let block = self.m.op_block(op, if c { 0 } else { 1 }).ok_or_else(|| k.err(op, "missing region"))?;
                return self.run_block(block, env);
            }
            OpKind::For => return self.exec_for(op, env),
            OpKind::While => return self.exec_while(op, env),
            OpKind::GenericCall => {
                let args = self.operands(op, env)?;
                let func = self.func_by_symbol(op)?;
                let loc = self.m.op(op).loc.clone();
                return self.call(func, args, &loc);
            }
            OpKind::Print => {
                let args = self.operands(op, env)?;
                self.print(op, &args)?;
                return Ok(vec![]);
            }
            OpKind::Map => {
                let args = self.operands(op, env)?;
                return self.exec_map(op, &args);
            }
            OpKind::VectorizedPipeline => {
                let args = self.operands(op, env)?;
                return crate::vectorized::run_vectorized_pipeline(k, op, args, self.engine.as_deref());
            }
            _ => {}
        }
        let args = self.operands(op, env)?;
        k.run(op, &args)
    }

    fn print(&mut self, op: Op, args: &[Data]) -> Result<(), ExecError> {
        let newline = self.dispatch().flag(op, &args[1], "the newline flag of print")?;
        let to_err = self.dispatch().flag(op, &args[2], "the error flag of print")?;
        let mut s = String::new();
        match &args[0] {
            Data::Scalar(v) => {
                s.push_str(&scalar_to_cpp(v));
                if newline {
                    s.push('\n');
                }
            }
            Data::Matrix(m) => m.print_to(&mut s),
            Data::Frame(f) => f.print_to(&mut s),
            Data::List(items) => {
                use std::fmt::Write as _;
                let kind = match items.first() {
                    Some(m) if m.is_sparse() => "CSRMatrix",
                    _ => "DenseMatrix",
                };
                let vt = items.first().map_or("double", |m| cpp_name(m.vt()));
                let _ = writeln!(s, "List({}, {kind}, {vt})", items.len());
                for m in items {
                    m.print_to(&mut s);
                }
            }
        }
        let r = if to_err {
            let _ = self.io.out.flush();
            self.io.err.write_all(s.as_bytes())
        } else {
            self.io.out.write_all(s.as_bytes())
        };
        r.map_err(|e| self.dispatch().err(op, format!("cannot write the output: {e}")))
    }

    fn exec_for(&mut self, op: Op, env: &mut Env) -> R {
        let args = self.operands(op, env)?;
        let lb = self.dispatch().int(op, &args[0], "the lower bound of the loop")?;
        let ub = self.dispatch().int(op, &args[1], "the upper bound of the loop")?;
        let step = self.dispatch().int(op, &args[2], "the step of the loop")?;
        let body = self.m.op_block(op, 0).ok_or_else(|| self.dispatch().err(op, "missing loop body"))?;
        let mut carried: Vec<Data> = args[3..].to_vec();
        if step <= 0 && lb < ub {
            return Err(self.dispatch().err(op, "the step of a for-loop must not be zero"));
        }
        let mut iv = lb;
        while iv < ub {
            let mut block_args = Vec::with_capacity(carried.len() + 1);
            block_args.push(Data::Scalar(Scalar::Index(iv)));
            block_args.extend(carried);
            carried = self.run_block_with(body, block_args, env)?;
            iv = match iv.checked_add(step) {
                Some(v) => v,
                None => break,
            };
        }
        Ok(carried)
    }

    fn exec_while(&mut self, op: Op, env: &mut Env) -> R {
        let before = self.m.op_block(op, 0).ok_or_else(|| self.dispatch().err(op, "missing loop condition"))?;
        let after = self.m.op_block(op, 1).ok_or_else(|| self.dispatch().err(op, "missing loop body"))?;
        let mut args = self.operands(op, env)?;
        loop {
            let mut r = self.run_block_with(before, args, env)?;
            if r.is_empty() {
                return Err(self.dispatch().err(op, "internal error: loop condition without value"));
            }
            let cond = r.remove(0);
            if !self.dispatch().flag(op, &cond, "the loop condition")? {
                return Ok(r);
            }
            args = self.run_block_with(after, r, env)?;
        }
    }

    fn exec_map(&mut self, op: Op, args: &[Data]) -> R {
        let m = self.dispatch().matrix(op, &args[0], "the argument of map")?.clone();
        let func = self.func_by_symbol(op)?;
        let loc = self.m.op(op).loc.clone();
        let d = m.dense();
        let mut cells = Vec::with_capacity(m.rows() * m.cols());
        for r in 0..m.rows() {
            for c in 0..m.cols() {
                let out = self.call(func, vec![Data::Scalar(d.get(r, c))], &loc)?;
                match out.into_iter().next() {
                    Some(Data::Scalar(s)) => cells.push(s),
                    _ => return Err(self.dispatch().err(op, "the function given to map must return one scalar")),
                }
            }
        }
        let vt = self
            .m
            .func_result_types(func)
            .first()
            .and_then(Type::value_type)
            .or_else(|| cells.first().map(Scalar::value_type))
            .unwrap_or(m.vt());
        let out = Dense::from_scalars(vt, m.rows(), m.cols(), &cells).map_err(|msg| self.dispatch().err(op, msg))?;
        mat(out)
    }
}
