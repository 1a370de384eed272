//! How the executor runs `daphne.distributedPipeline` ops: through the [`Distributor`] (the
//! distributed runtime) when there is one, else (and when a worker reports an execution error, to
//! reproduce it exactly) locally on the vectorized engine. Results that only other distributed pipelines read may stay
//! on the workers; any other op that reads one fetches it first.

use super::{Env, ExecError, ExecOptions, Executor, Output};
use crate::data::Data;
use crate::distributor::{DistError, DistInput, DistOutcome, Distributor, RowSource};
use crate::elem::Scalar;
use crate::kernels::args;
use crate::kernels::datagen::fresh_seed;
use daphne_ir::{Attr, Loc, Module, Op, OpKind, Repr, Type, Value, parse_module, verify};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The executor's distribution state.
pub(crate) struct DistState {
    distributor: Option<Arc<dyn Distributor>>,
    /// Parsed task modules by their text.
    modules: HashMap<String, Arc<Module>>,
    /// Results of distributed pipelines that only distributed pipelines read.
    keep_remote: HashSet<Value>,
    /// Results of data generators (`rand`, `fill`, `seq`) and matrix reads that only distributed
    /// pipelines read: the workers make (or read) them.
    born_remote: HashSet<Value>,
}

impl DistState {
    pub(crate) fn new(m: &Module, distributor: Option<Arc<dyn Distributor>>) -> DistState {
        let mut keep_remote = HashSet::new();
        let mut born_remote = HashSet::new();
        if distributor.is_some() {
            let ok = super::remote_uses::may_stay_remote(m);
            m.walk(&mut |op| match m.kind(op) {
                OpKind::DistributedPipeline => keep_remote.extend(m.results(op).iter().filter(|r| ok.contains(r))),
                OpKind::RandMatrix | OpKind::Fill | OpKind::Seq | OpKind::Read => {
                    born_remote.extend(m.results(op).iter().filter(|r| ok.contains(r)))
                }
                _ => {}
            });
        }
        DistState { distributor, modules: HashMap::new(), keep_remote, born_remote }
    }

    fn module(&mut self, ir: &str) -> Result<Arc<Module>, String> {
        if let Some(m) = self.modules.get(ir) {
            return Ok(Arc::clone(m));
        }
        let m = parse_module(ir).map_err(|e| e.to_string())?;
        verify(&m).map_err(|e| e.to_string())?;
        let m = Arc::new(m);
        self.modules.insert(ir.to_string(), Arc::clone(&m));
        Ok(m)
    }
}

impl Executor<'_, '_> {
    /// Runs a distributed pipeline and binds its results.
    pub(crate) fn exec_distributed(&mut self, op: Op, env: &mut Env) -> Result<(), ExecError> {
        let m = self.m;
        let ir = m
            .attr(op, "ir")
            .and_then(Attr::as_str)
            .ok_or_else(|| self.err(op, "internal error: a distributed pipeline without IR"))?
            .to_string();
        let module = self
            .dist
            .module(&ir)
            .map_err(|e| self.err(op, format!("internal error: the IR of a distributed pipeline is invalid: {e}")))?;
        let results = m.results(op).to_vec();
        if let Some(distributor) = self.dist.distributor.clone() {
            let mut inputs = Vec::with_capacity(m.operands(op).len());
            for v in m.operands(op) {
                inputs.push(match env.remote.get(v) {
                    Some(p) => DistInput::Remote(Arc::clone(p)),
                    None => DistInput::Local(self.value(op, *v, env)?),
                });
            }
            let keep: Vec<bool> = results.iter().map(|r| self.dist.keep_remote.contains(r)).collect();
            match distributor.run(&module, &ir, inputs, &keep) {
                Ok(outcomes) => {
                    for (i, (v, o)) in results.iter().zip(outcomes).enumerate() {
                        match o {
                            DistOutcome::Local(d) => env.insert(*v, self.dispatch().represent(op, i, d)),
                            DistOutcome::Remote(p) => {
                                env.values.remove(v);
                                env.remote.insert(*v, p);
                            }
                        }
                    }
                    return Ok(());
                }
                Err(DistError::Execution) => {}
                Err(DistError::Worker(message) | DistError::Refused(message)) => return Err(self.err(op, message)),
            }
        }
        if let Some(c) = &self.dist.distributor {
            c.note_local_run();
        }
        self.materialize_remote(op, env)?;
        let args = self.operands(op, env)?;
        let mut out = std::io::sink();
        let mut err = std::io::sink();
        let opts = ExecOptions { engine: self.engine.clone(), ..ExecOptions::default() };
        let outs = Executor::new(&module, Output { out: &mut out, err: &mut err }, &opts)
            .run_function("dist", args)
            .map_err(|e| self.at_op(op, e))?;
        for (i, (v, d)) in results.iter().zip(outs).enumerate() {
            env.insert(*v, self.dispatch().represent(op, i, d));
        }
        Ok(())
    }

    /// Runs a row slice of a matrix held by the workers by fetching only its rows; `false` when
    /// it is not one (or its bounds are out of range: the kernel then reports them).
    pub(crate) fn exec_remote_slice(&mut self, op: Op, env: &mut Env) -> Result<bool, ExecError> {
        let m = self.m;
        let (Some(&x), Some(&result)) = (m.operands(op).first(), m.results(op).first()) else { return Ok(false) };
        let (Some(remote), Some(distributor)) = (env.remote.get(&x).cloned(), self.dist.distributor.clone()) else {
            return Ok(false);
        };
        let bound =
            |i: usize| m.operands(op).get(i).and_then(|v| env.get(v)).and_then(|d| args::int(d, "a bound").ok());
        let (Some(lo), Some(hi)) = (bound(1), bound(2)) else { return Ok(false) };
        let Ok((r0, r1)) = crate::kernels::index::resolve_range(lo, hi, remote.rows(), "SliceRow") else {
            return Ok(false);
        };
        if r0 == r1 {
            return Ok(false);
        }
        let d = distributor.fetch_rows(&remote, r0, r1).map_err(|e| match e {
            DistError::Worker(message) | DistError::Refused(message) => self.err(op, message),
            DistError::Execution => self.err(op, "internal error: fetching rows of remote data failed"),
        })?;
        env.insert(result, self.dispatch().represent(op, 0, d));
        Ok(true)
    }

    /// Has the workers make the result of a data generator (or read the matrix file) whose result
    /// only distributed pipelines read; `false` when it is not such an op or they cannot make it
    /// (it then runs here as usual, and a later pipeline sends its rows).
    pub(crate) fn exec_generate(&mut self, op: Op, env: &mut Env) -> Result<bool, ExecError> {
        let m = self.m;
        let (Some(&result), Some(distributor)) = (m.results(op).first(), self.dist.distributor.clone()) else {
            return Ok(false);
        };
        if !self.dist.born_remote.contains(&result) {
            return Ok(false);
        }
        let Some(source) = self.row_source(op, result, env) else { return Ok(false) };
        match distributor.generate(&source) {
            Ok(remote) => {
                env.values.remove(&result);
                env.remote.insert(result, remote);
                Ok(true)
            }
            Err(DistError::Execution | DistError::Refused(_)) => Ok(false),
            Err(DistError::Worker(message)) => Err(self.err(op, message)),
        }
    }

    /// What the workers are to make for a generator op, if they can make it exactly: a dense
    /// numeric result; for `rand`, a float one with sparsity 1 (a seed of -1 is drawn here, once
    /// for all blocks); for `readMatrix`, a file with row blocks (only its meta data, header or
    /// footer is read here).
    fn row_source(&self, op: Op, result: Value, env: &Env) -> Option<RowSource> {
        if self.m.kind(op) == OpKind::Read {
            return self.read_source(op, result, env);
        }
        let vt = match self.m.value_type(result) {
            Type::Matrix(t) if t.repr != Repr::Sparse => t.vt?.storage_vt(),
            _ => return None,
        };
        vt.cell_bytes()?;
        let operands = self.operands(op, env).ok()?;
        let scalar = |i: usize| match operands.get(i) {
            Some(Data::Scalar(s)) => Some(s.clone()),
            _ => None,
        };
        let size = |i: usize| args::size(operands.get(i)?, "a size").ok();
        match self.m.kind(op) {
            OpKind::RandMatrix => {
                let sparsity = args::f64_of(operands.get(4)?, "the sparsity").ok()?;
                let seed = args::int(operands.get(5)?, "the seed").ok()?;
                if !vt.is_float() || sparsity != 1.0 || !matches!(scalar(2)?, Scalar::F64(_) | Scalar::F32(_)) {
                    return None;
                }
                let seed = if seed == -1 { fresh_seed() } else { seed };
                Some(RowSource::Rand { rows: size(0)?, cols: size(1)?, min: scalar(2)?, max: scalar(3)?, seed, vt })
            }
            OpKind::Fill => Some(RowSource::Fill { value: scalar(0)?, rows: size(1)?, cols: size(2)?, vt }),
            OpKind::Seq => {
                let (from, to, inc) = (scalar(0)?, scalar(1)?, scalar(2)?);
                let rows = crate::kernels::datagen::seq_len(&from, &to, &inc, vt).ok()?;
                Some(RowSource::Seq { from, to, inc, rows, vt })
            }
            _ => None,
        }
    }

    /// The read of a matrix file by row blocks: its absolute path and what its meta data says.
    fn read_source(&self, op: Op, result: Value, env: &Env) -> Option<RowSource> {
        if !matches!(self.m.value_type(result), Type::Matrix(t) if t.repr != Repr::Sparse) {
            return None;
        }
        let path = match env.get(self.m.operands(op).first()?)? {
            Data::Scalar(Scalar::Str(p)) => p.clone(),
            _ => return None,
        };
        let path = std::path::absolute(&path).ok()?.to_str()?.to_string();
        let shape = crate::kernels::row_reads::matrix_shape(&path).ok()??;
        // A file that changed since compilation is read here, where the read reports it.
        let compiled = match self.m.value_type(result) {
            Type::Matrix(t) => {
                t.rows.is_none_or(|r| r == shape.rows as u64)
                    && t.cols.is_none_or(|c| c == shape.cols as u64)
                    && t.vt.is_none_or(|vt| vt.storage_vt() == shape.vt)
            }
            _ => false,
        };
        (compiled && shape.rows > 0 && shape.cols > 0).then_some(RowSource::Read { path, shape })
    }

    /// Fetches the operands of `op` that are held by workers.
    pub(crate) fn materialize_remote(&mut self, op: Op, env: &mut Env) -> Result<(), ExecError> {
        if env.remote.is_empty() {
            return Ok(());
        }
        for v in self.m.operands(op) {
            if env.values.contains_key(v) {
                continue;
            }
            let Some(p) = env.remote.get(v).cloned() else { continue };
            let distributor = self
                .dist
                .distributor
                .clone()
                .ok_or_else(|| self.err(op, "internal error: remote data without a distributor"))?;
            let d = distributor.fetch(&p).map_err(|e| match e {
                DistError::Worker(message) | DistError::Refused(message) => self.err(op, message),
                DistError::Execution => self.err(op, "internal error: fetching remote data failed"),
            })?;
            let d = match self.m.defining_op(*v) {
                Some(def) => {
                    let i = self.m.results(def).iter().position(|r| r == v).unwrap_or(0);
                    self.dispatch().represent(def, i, d)
                }
                None => d,
            };
            env.values.insert(*v, d);
        }
        Ok(())
    }

    fn value(&self, op: Op, v: Value, env: &Env) -> Result<Data, ExecError> {
        env.get(&v)
            .cloned()
            .ok_or_else(|| self.err(op, "internal error: a distributed pipeline reads a value that was not computed"))
    }

    /// An error of the task module, placed at the pipeline op when it has no location of its own.
    fn at_op(&self, op: Op, e: ExecError) -> ExecError {
        let loc = if matches!(e.loc(), Loc::Unknown) { self.m.op(op).loc.clone() } else { e.loc().clone() };
        match e {
            ExecError::Runtime { message, .. } => ExecError::Runtime { message, loc },
            ExecError::Stop { message, .. } => ExecError::Stop { message, loc },
            ExecError::TimedOut { message, .. } => ExecError::TimedOut { message, loc },
        }
    }
}
