//! The executor: runs a module by walking its IR, function by function, keeping the value of every
//! SSA value of the running call. Structured control flow (`scf.if/for/while`) runs its regions,
//! calls and `print` run here (`ops`), vectorized pipelines go to the vectorized engine,
//! distributed ones to the coordinator (`distributed`), and every other op to the op dispatch,
//! which calls its kernel. Result value types come from the IR where known and from the same type
//! rules applied to run-time types where not, so untyped code runs too. A failing kernel becomes
//! an error that carries the op's DaphneDSL location.

mod distributed;
mod liveness;
mod ops;
mod remote_uses;

pub use crate::error::ExecError;

use crate::data::Data;
use crate::dispatch::OpDispatch;
use crate::distributor::DistInput;
use daphne_ir::{Attr, Block, Loc, Module, Op, OpKind, Value};
use std::collections::HashMap;
use std::io::Write;

/// Settings of a run.
#[derive(Clone, Default)]
pub struct ExecOptions {
    /// Deepest allowed nesting of user-function calls (guards against runaway recursion).
    pub max_call_depth: usize,
    /// The vectorized engine that runs `daphne.vectorizedPipeline` ops on many threads; without
    /// one, a pipeline's body runs once over its whole inputs.
    pub engine: Option<std::sync::Arc<crate::vectorized::Engine>>,
    /// What runs `daphne.distributedPipeline` ops on workers (the distributed runtime's
    /// coordinator); without one, they run locally on the engine.
    pub distributor: Option<std::sync::Arc<dyn crate::distributor::Distributor>>,
    /// When the run must stop: past it, the next op or batch fails with
    /// [`ExecError::TimedOut`] (a worker's `--task-timeout`); `None`: no limit.
    pub deadline: Option<std::time::Instant>,
    /// The host program's data for `receiveFromNumpy` and its sink for `saveDaphneLibResult`
    /// (the Python API); without one, both ops fail.
    pub host: Option<std::sync::Arc<crate::host::HostExchange>>,
}

/// Where `print` writes.
pub struct Output<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

/// Runs modules.
pub struct Executor<'a, 'o> {
    m: &'a Module,
    io: Output<'o>,
    funcs: HashMap<String, Op>,
    depth: usize,
    max_depth: usize,
    deadline: Option<std::time::Instant>,
    pub(crate) engine: Option<std::sync::Arc<crate::vectorized::Engine>>,
    pub(crate) dist: distributed::DistState,
    pub(crate) host: Option<std::sync::Arc<crate::host::HostExchange>>,
    /// Per block, the values to drop after each of its ops (`liveness`).
    deaths: Vec<Option<std::rc::Rc<Vec<Vec<Value>>>>>,
}

/// The values of one call: local data, and matrices whose rows stay on distributed workers.
#[derive(Default)]
pub(crate) struct Env {
    values: HashMap<Value, Data>,
    remote: HashMap<Value, std::sync::Arc<dyn crate::distributor::RemoteMatrix>>,
}

impl Env {
    pub(crate) fn new() -> Env {
        Env::default()
    }

    pub(crate) fn get(&self, v: &Value) -> Option<&Data> {
        self.values.get(v)
    }

    /// Binds a value (dropping a remote binding of an earlier loop iteration).
    pub(crate) fn insert(&mut self, v: Value, d: Data) {
        self.remote.remove(&v);
        self.values.insert(v, d);
    }

    /// Binds a value to a matrix the workers hold (dropping a local binding of an earlier
    /// iteration).
    pub(crate) fn bind_remote(&mut self, v: Value, p: std::sync::Arc<dyn crate::distributor::RemoteMatrix>) {
        self.values.remove(&v);
        self.remote.insert(v, p);
    }

    /// Forgets a value (after its last use): its data is freed unless something else holds it.
    fn drop_value(&mut self, v: &Value) {
        self.values.remove(v);
        self.remote.remove(v);
    }

    /// A value as it is bound: its local data if there is any, else its remote handle.
    pub(crate) fn carried(&self, v: &Value) -> Option<DistInput> {
        match self.values.get(v) {
            Some(d) => Some(DistInput::Local(d.clone())),
            None => self.remote.get(v).map(|p| DistInput::Remote(std::sync::Arc::clone(p))),
        }
    }
}

impl<'a, 'o> Executor<'a, 'o> {
    pub fn new(m: &'a Module, io: Output<'o>, opts: &ExecOptions) -> Executor<'a, 'o> {
        let funcs = m.funcs().into_iter().filter_map(|f| m.func_name(f).map(|n| (n.to_string(), f))).collect();
        let max_depth = if opts.max_call_depth == 0 { 2000 } else { opts.max_call_depth };
        let dist = distributed::DistState::new(m, opts.distributor.clone());
        Executor {
            m,
            io,
            funcs,
            depth: 0,
            max_depth,
            engine: opts.engine.clone(),
            dist,
            deadline: opts.deadline,
            host: opts.host.clone(),
            deaths: Vec::new(),
        }
    }

    /// Runs `@main`.
    pub fn run_main(&mut self) -> Result<(), ExecError> {
        let main = self.funcs.get("main").copied().ok_or_else(|| ExecError::Runtime {
            message: "the module has no `main` function".into(),
            loc: Loc::Unknown,
        })?;
        self.call(main, Vec::new(), &Loc::Unknown)?;
        self.flush();
        Ok(())
    }

    /// Calls the function `name` with arguments and returns its results (how a worker runs the
    /// function a coordinator sends).
    pub fn run_function(&mut self, name: &str, args: Vec<Data>) -> Result<Vec<Data>, ExecError> {
        let func = self.funcs.get(name).copied().ok_or_else(|| ExecError::Runtime {
            message: format!("the module has no `{name}` function"),
            loc: Loc::Unknown,
        })?;
        self.call(func, args, &Loc::Unknown)
    }

    pub fn flush(&mut self) {
        let _ = self.io.out.flush();
        let _ = self.io.err.flush();
    }

    /// Calls a function with arguments; returns its results.
    pub(crate) fn call(&mut self, func: Op, args: Vec<Data>, loc: &Loc) -> Result<Vec<Data>, ExecError> {
        if self.depth >= self.max_depth {
            return Err(ExecError::Runtime {
                message: format!("function calls nested deeper than {} (runaway recursion?)", self.max_depth),
                loc: loc.clone(),
            });
        }
        let entry = self.m.op_block(func, 0).ok_or_else(|| ExecError::Runtime {
            message: "internal error: function without a body".into(),
            loc: loc.clone(),
        })?;
        let mut env = Env::new();
        for (a, v) in self.m.block_args(entry).iter().zip(args) {
            env.insert(*a, v);
        }
        self.depth += 1;
        let r = self.run_block(entry, &mut env);
        self.depth -= 1;
        r
    }

    /// Runs a block's ops; returns the operands of its terminator.
    pub(crate) fn run_block(&mut self, b: Block, env: &mut Env) -> Result<Vec<Data>, ExecError> {
        match self.run_ops(b, env)? {
            Some(terminator) => {
                self.materialize_remote(terminator, env)?;
                self.operands(terminator, env)
            }
            None => Ok(Vec::new()),
        }
    }

    /// Runs a block's ops up to its terminator, which it returns (unrun).
    pub(crate) fn run_ops(&mut self, b: Block, env: &mut Env) -> Result<Option<Op>, ExecError> {
        let deaths = self.deaths_of(b);
        for (i, &op) in self.m.block_ops(b).iter().enumerate() {
            let kind = self.m.kind(op);
            if kind.is_terminator() {
                return Ok(Some(op));
            }
            self.run_op(op, kind, env)?;
            for v in deaths.get(i).into_iter().flatten() {
                env.drop_value(v);
            }
        }
        Ok(None)
    }

    /// The values to drop after each op of `b`, computed once per block.
    fn deaths_of(&mut self, b: Block) -> std::rc::Rc<Vec<Vec<Value>>> {
        let i = b.index();
        if self.deaths.len() <= i {
            self.deaths.resize(i + 1, None);
        }
        let m = self.m;
        std::rc::Rc::clone(self.deaths[i].get_or_insert_with(|| std::rc::Rc::new(liveness::deaths(m, b))))
    }

    /// Runs one op (not a terminator) and binds its results.
    fn run_op(&mut self, op: Op, kind: OpKind, env: &mut Env) -> Result<(), ExecError> {
        {
            match kind {
                OpKind::DistributedPipeline => {
                    self.exec_distributed(op, env)?;
                    return Ok(());
                }
                OpKind::For => {
                    let carried = self.exec_for(op, env)?;
                    for (i, (v, c)) in self.m.results(op).iter().zip(carried).enumerate() {
                        match c {
                            DistInput::Local(d) => env.insert(*v, self.dispatch().represent(op, i, d)),
                            DistInput::Remote(p) => env.bind_remote(*v, p),
                        }
                    }
                    return Ok(());
                }
                OpKind::RandMatrix | OpKind::Fill | OpKind::Seq | OpKind::Read if self.exec_generate(op, env)? => {
                    return Ok(());
                }
                OpKind::SliceRow if self.exec_remote_slice(op, env)? => return Ok(()),
                _ => {}
            }
            self.materialize_remote(op, env)?;
            let results = self.exec_op(op, env)?;
            for (i, (v, d)) in self.m.results(op).iter().zip(results).enumerate() {
                let d = self.dispatch().represent(op, i, d);
                env.insert(*v, d);
            }
        }
        Ok(())
    }

    /// Runs a block with its arguments bound to `args`.
    pub(crate) fn run_block_with(&mut self, b: Block, args: Vec<Data>, env: &mut Env) -> Result<Vec<Data>, ExecError> {
        for (a, v) in self.m.block_args(b).iter().zip(args) {
            env.insert(*a, v);
        }
        self.run_block(b, env)
    }

    pub(crate) fn operands(&self, op: Op, env: &Env) -> Result<Vec<Data>, ExecError> {
        self.m
            .operands(op)
            .iter()
            .map(|v| {
                env.get(v).cloned().ok_or_else(|| ExecError::Runtime {
                    message: format!("internal error: `{}` uses a value that was not computed", self.m.kind(op)),
                    loc: self.m.op(op).loc.clone(),
                })
            })
            .collect()
    }

    /// The op dispatch, reading this executor's module.
    pub(crate) fn dispatch(&self) -> OpDispatch<'a> {
        OpDispatch { m: self.m, deadline: self.deadline }
    }

    pub(crate) fn err(&self, op: Op, message: impl Into<String>) -> ExecError {
        self.dispatch().err(op, message)
    }

    pub(crate) fn func_by_symbol(&self, op: Op) -> Result<Op, ExecError> {
        let name = self
            .m
            .attr(
                op,
                match self.m.kind(op) {
                    OpKind::Map => "func",
                    _ => "callee",
                },
            )
            .and_then(Attr::as_symbol)
            .ok_or_else(|| self.err(op, "internal error: call without a callee"))?;
        self.funcs.get(name).copied().ok_or_else(|| self.err(op, format!("unknown function `{name}`")))
    }
}
