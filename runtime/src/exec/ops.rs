//! How the executor runs the ops that need its state: structured control flow (`scf.if`, `scf.for`,
//! `scf.while` run their regions), calls (`generic_call`, `map`), `print` (the output streams) and
//! vectorized pipelines (the engine); every other op goes to the op dispatch.

use super::{Env, ExecError, Executor};
use crate::data::Data;
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
                return run_vectorized_pipeline(self.dispatch(), op, args, self.engine.as_deref());
            }
            _ => {}
        }
        let args = self.operands(op, env)?;
        self.dispatch().run(op, &args)
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

    fn exec_for(&mut self, op: Op, env: &mut Env) -> Result<Vec<Data>, ExecError> {
        let args = self.operands(op, env)?;
        let lb = int(&args[0], "the lower bound of the loop").map_err(|m| self.err(op, m))?;
        let ub = int(&args[1], "the upper bound of the loop").map_err(|m| self.err(op, m))?;
        let step = int(&args[2], "the step of the loop").map_err(|m| self.err(op, m))?;
        let body = self.m.op_block(op, 0).ok_or_else(|| self.err(op, "missing loop body"))?;
        let mut carried: Vec<Data> = args[3..].to_vec();
        if step <= 0 && lb < ub {
            return Err(self.err(op, "the step of a for-loop must not be zero"));
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
