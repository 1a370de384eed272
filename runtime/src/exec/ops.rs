//! How the executor runs the ops that need its state: structured control flow (`scf.if`, `scf.for`,
//! `scf.while` run their regions), calls (`generic_call`, `map`), `print` (the output streams) and
//! vectorized pipelines (the engine); every other op goes to the op dispatch.

use super::{Env, ExecError, Executor};
use crate::data::Data;
use crate::distributor::DistInput;
use crate::elem::{Scalar, cpp_name, scalar_to_cpp};
use crate::kernels::args::{flag, int, matrix};
use crate::matrix::{Dense, Matrix};
use crate::vectorized::run_vectorized_pipeline;
use daphne_ir::{Op, OpKind, Type};

impl Executor<'_, '_> {
    /// Executes one (non-terminator) op and returns its results.
    pub(crate) fn exec_op(&mut self, op: Op, env: &mut Env) -> Result<Vec<Data>, ExecError> {
        let kind = self.m.kind(op);
        // Control flow first: it runs regions and must not evaluate anything eagerly.
        match kind {
            OpKind::If => {
                let args = self.operands(op, env)?;
                let c = flag(&args[0], "the condition of `if`").map_err(|m| self.err(op, m))?;
                let block = self.m.op_block(op, if c { 0 } else { 1 }).ok_or_else(|| self.err(op, "missing region"))?;
                return self.run_block(block, env);
            }
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
            OpKind::ReceiveFromNumpy => {
                let args = self.operands(op, env)?;
                return self.receive_from_host(op, &args).map(|d| vec![d]);
            }
            OpKind::SaveDaphneLibResult => {
                let args = self.operands(op, env)?;
                let host = self.host.as_ref().ok_or_else(|| {
                    self.err(
                        op,
                        "`saveDaphneLibResult` hands a value to a host program (DaphneLib), but this run has none",
                    )
                })?;
                host.save(args[0].clone());
                return Ok(vec![]);
            }
            OpKind::VectorizedPipeline => {
                let args = self.operands(op, env)?;
                return run_vectorized_pipeline(self.dispatch(), op, args, self.engine.as_deref());
            }
            _ => {}
        }
        let args = self.operands(op, env)?;
        self.dispatch().run(op, &args)
    }

    /// `receiveFromNumpy(handle, rows, cols, vt)`: the matrix the host bound to `handle`, which
    /// must have the shape and value type the script states.
    fn receive_from_host(&self, op: Op, args: &[Data]) -> Result<Data, ExecError> {
        let host = self.host.as_ref().ok_or_else(|| {
            self.err(op, "`receiveFromNumpy` reads data of a host program (DaphneLib), but this run has none")
        })?;
        let e = |m: String| self.err(op, m);
        let handle = int(&args[0], "the handle of `receiveFromNumpy`").map_err(e)?;
        let rows = int(&args[1], "the number of rows of `receiveFromNumpy`").map_err(e)?;
        let cols = int(&args[2], "the number of columns of `receiveFromNumpy`").map_err(e)?;
        let d = host
            .input(handle as u64)
            .ok_or_else(|| self.err(op, format!("`receiveFromNumpy`: the host bound no data to handle {handle}")))?;
        let Data::Matrix(m) = d else {
            return Err(self.err(op, format!("`receiveFromNumpy`: handle {handle} holds a {}, not a matrix", d.kind())));
        };
        if m.rows() as i64 != rows || m.cols() as i64 != cols {
            return Err(self.err(
                op,
                format!(
                    "`receiveFromNumpy`: handle {handle} holds a {}x{} matrix, but the script reads {rows}x{cols}",
                    m.rows(),
                    m.cols()
                ),
            ));
        }
        let want = match self.m.value_type(self.m.results(op)[0]) {
            Type::Matrix(t) => t.vt,
            _ => None,
        };
        if let Some(vt) = want.filter(|vt| *vt != m.vt()) {
            return Err(self.err(
                op,
                format!("`receiveFromNumpy`: handle {handle} holds {} cells, but the script reads {vt}", m.vt()),
            ));
        }
        Ok(d.clone())
    }

    fn print(&mut self, op: Op, args: &[Data]) -> Result<(), ExecError> {
        let newline = flag(&args[1], "the newline flag of print").map_err(|m| self.err(op, m))?;
        let to_err = flag(&args[2], "the error flag of print").map_err(|m| self.err(op, m))?;
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
        r.map_err(|e| self.err(op, format!("cannot write the output: {e}")))
    }

    /// Runs a `scf.for` and returns its results. Carried values stay where they are: a matrix
    /// the workers hold goes from one iteration to the next as its handle, so loop state that only
    /// distributed pipelines read never comes back to the coordinator.
    pub(crate) fn exec_for(&mut self, op: Op, env: &mut Env) -> Result<Vec<DistInput>, ExecError> {
        let operands = self.m.operands(op).to_vec();
        let bound = |i: usize, what: &str| -> Result<i64, ExecError> {
            let d =
                operands.get(i).and_then(|v| env.get(v)).ok_or_else(|| self.err(op, format!("{what} is missing")))?;
            int(d, what).map_err(|m| self.err(op, m))
        };
        let lb = bound(0, "the lower bound of the loop")?;
        let ub = bound(1, "the upper bound of the loop")?;
        let step = bound(2, "the step of the loop")?;
        let body = self.m.op_block(op, 0).ok_or_else(|| self.err(op, "missing loop body"))?;
        let mut carried = Vec::with_capacity(operands.len().saturating_sub(3));
        for v in operands.iter().skip(3) {
            carried.push(
                env.carried(v).ok_or_else(|| self.err(op, "internal error: a loop value that was not computed"))?,
            );
        }
        if step <= 0 && lb < ub {
            return Err(self.err(op, "the step of a for-loop must not be zero"));
        }
        let args = self.m.block_args(body).to_vec();
        let mut iv = lb;
        while iv < ub {
            if let Some(a) = args.first() {
                env.insert(*a, Data::Scalar(Scalar::Index(iv)));
            }
            for (a, c) in args.iter().skip(1).zip(carried) {
                match c {
                    DistInput::Local(d) => env.insert(*a, d),
                    DistInput::Remote(p) => env.bind_remote(*a, p),
                }
            }
            let terminator = self.run_ops(body, env)?.ok_or_else(|| self.err(op, "a loop body without `scf.yield`"))?;
            carried = Vec::with_capacity(args.len().saturating_sub(1));
            for v in self.m.operands(terminator) {
                carried.push(env.carried(v).ok_or_else(|| {
                    self.err(terminator, "internal error: `scf.yield` uses a value that was not computed")
                })?);
            }
            iv = match iv.checked_add(step) {
                Some(v) => v,
                None => break,
            };
        }
        Ok(carried)
    }

    fn exec_while(&mut self, op: Op, env: &mut Env) -> Result<Vec<Data>, ExecError> {
        let before = self.m.op_block(op, 0).ok_or_else(|| self.err(op, "missing loop condition"))?;
        let after = self.m.op_block(op, 1).ok_or_else(|| self.err(op, "missing loop body"))?;
        let mut args = self.operands(op, env)?;
        loop {
            let mut r = self.run_block_with(before, args, env)?;
            if r.is_empty() {
                return Err(self.err(op, "internal error: loop condition without value"));
            }
            let cond = r.remove(0);
            if !flag(&cond, "the loop condition").map_err(|m| self.err(op, m))? {
                return Ok(r);
            }
            args = self.run_block_with(after, r, env)?;
        }
    }

    fn exec_map(&mut self, op: Op, args: &[Data]) -> Result<Vec<Data>, ExecError> {
        let m = matrix(&args[0], "the argument of map").map_err(|m| self.err(op, m))?.clone();
        let func = self.func_by_symbol(op)?;
        let loc = self.m.op(op).loc.clone();
        let d = m.dense();
        let mut cells = Vec::with_capacity(m.rows() * m.cols());
        for r in 0..m.rows() {
            for c in 0..m.cols() {
                let out = self.call(func, vec![Data::Scalar(d.get(r, c))], &loc)?;
                match out.into_iter().next() {
                    Some(Data::Scalar(s)) => cells.push(s),
                    _ => return Err(self.err(op, "the function given to map must return one scalar")),
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
        let out = Dense::from_scalars(vt, m.rows(), m.cols(), &cells).map_err(|msg| self.err(op, msg))?;
        Ok(vec![Data::Matrix(Matrix::Dense(out))])
    }
}
