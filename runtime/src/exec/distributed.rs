//! How the executor runs `daphne.distributedPipeline` ops: through the [`Distributor`] (the
//! distributed runtime) when there is one, else (and when a worker reports an execution error, to
//! reproduce it exactly) locally on the vectorized engine. Results that only other distributed pipelines read may stay
//! on the workers; any other op that reads one fetches it first.

use super::{Env, ExecError, ExecOptions, Executor, Output};
use crate::data::Data;
use crate::distributor::{DistError, DistInput, DistOutcome, Distributor};
use daphne_ir::{Attr, Loc, Module, Op, OpKind, Value, parse_module, verify};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The executor's distribution state.
pub(crate) struct DistState {
    distributor: Option<Arc<dyn Distributor>>,
    /// Parsed task modules by their text.
    modules: HashMap<String, Arc<Module>>,
    /// Results of distributed pipelines that only distributed pipelines read.
    keep_remote: HashSet<Value>,
}

impl DistState {
    pub(crate) fn new(m: &Module, distributor: Option<Arc<dyn Distributor>>) -> DistState {
        let mut keep_remote = HashSet::new();
        if distributor.is_some() {
            let mut uses: HashMap<Value, (usize, usize)> = HashMap::new();
            m.walk(&mut |op| {
                let by_pipeline = m.kind(op) == OpKind::DistributedPipeline;
                for v in m.operands(op) {
                    let e = uses.entry(*v).or_default();
                    e.0 += 1;
                    e.1 += usize::from(by_pipeline);
                }
            });
            m.walk(&mut |op| {
                if m.kind(op) == OpKind::DistributedPipeline {
                    for r in m.results(op) {
                        if uses.get(r).is_some_and(|&(all, pipes)| all > 0 && all == pipes) {
                            keep_remote.insert(*r);
                        }
                    }
                }
            });
        }
        DistState { distributor, modules: HashMap::new(), keep_remote }
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
                Err(DistError::Worker(message)) => return Err(self.err(op, message)),
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
                DistError::Worker(message) => self.err(op, message),
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
