//! The verifier: structural invariants every module must satisfy between passes (operand and result
//! counts from the op table, values defined before use, terminators, control-flow and call
//! signatures). The pass manager runs it after every pass in tests and debug builds.

use crate::attr::Attr;
use crate::loc::Loc;
use crate::module::{Block, Module, Op, Value};
use crate::ops::OpKind;
use crate::types::{Type, ValueType};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A broken invariant, with the op and location where it was found.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyError {
    pub op: Option<OpKind>,
    pub loc: Loc,
    pub message: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Some(k) => write!(f, "`{}`: {}", k.name(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Checks the whole module.
pub fn verify(m: &Module) -> Result<(), VerifyError> {
    let mut v = Verifier { m, funcs: HashMap::new() };
    for &op in m.block_ops(m.body()) {
        if m.kind(op) != OpKind::Func {
            return Err(v.err(op, "only `func.func` ops may appear at the top level of a module"));
        }
        let name = m.func_name(op).ok_or_else(|| v.err(op, "function without a `sym_name`"))?;
        if v.funcs.insert(name.to_string(), op).is_some() {
            return Err(v.err(op, format!("function `{name}` defined twice")));
        }
    }
    for &func in m.block_ops(m.body()) {
        v.verify_func(func)?;
    }
    Ok(())
}

struct Verifier<'a> {
    m: &'a Module,
    funcs: HashMap<String, Op>,
}

impl Verifier<'_> {
    fn err(&self, op: Op, msg: impl Into<String>) -> VerifyError {
        VerifyError { op: Some(self.m.kind(op)), loc: self.m.op(op).loc.clone(), message: msg.into() }
    }

    fn verify_func(&self, func: Op) -> Result<(), VerifyError> {
        let m = self.m;
        let data = m.op(func);
        if data.regions.len() != 1 || m.region(data.regions[0]).blocks.len() != 1 {
            return Err(self.err(func, "a function must have exactly one region with one block"));
        }
        let entry = m.region(data.regions[0]).blocks[0];
        let mut scope: HashSet<Value> = HashSet::new();
        self.verify_block(entry, &mut scope)?;
        let Some(&last) = m.block_ops(entry).last() else {
            return Err(self.err(func, "a function body must end with `daphne.return`"));
        };
        if m.kind(last) != OpKind::Return {
            return Err(self.err(last, "a function body must end with `daphne.return`"));
        }
        let declared = m.func_result_types(func);
        let returned = m.operands(last);
        if declared.len() != returned.len() {
            return Err(self
                .err(last, format!("returns {} values but the function declares {}", returned.len(), declared.len())));
        }
        for (i, (d, r)) in declared.iter().zip(returned).enumerate() {
            if !d.compatible(m.value_type(*r)) {
                return Err(self.err(
                    last,
                    format!("return value {i} has type {} but the function declares {d}", m.value_type(*r)),
                ));
            }
        }
        Ok(())
    }

    /// Checks a block; `scope` holds the values visible from enclosing blocks.
    fn verify_block(&self, b: Block, scope: &mut HashSet<Value>) -> Result<(), VerifyError> {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.verify_block_inner(b, scope))
    }

    fn verify_block_inner(&self, b: Block, scope: &mut HashSet<Value>) -> Result<(), VerifyError> {
        let m = self.m;
        let mut added: Vec<Value> = Vec::new();
        for &a in m.block_args(b) {
            scope.insert(a);
            added.push(a);
        }
        let ops = m.block_ops(b);
        let mut result = Ok(());
        for (i, &op) in ops.iter().enumerate() {
            if m.is_erased(op) {
                result = Err(self.err(op, "an erased op is still in a block"));
                break;
            }
            if m.op(op).parent != Some(b) {
                result = Err(self.err(op, "op's parent link does not match the block holding it"));
                break;
            }
            if m.kind(op).is_terminator() && i + 1 != ops.len() {
                result = Err(self.err(op, "a terminator must be the last op of its block"));
                break;
            }
            if let Err(e) = self.verify_op(op, scope) {
                result = Err(e);
                break;
            }
            for &r in m.results(op) {
                scope.insert(r);
                added.push(r);
            }
        }
        for v in added {
            scope.remove(&v);
        }
        result
    }

    fn verify_op(&self, op: Op, scope: &mut HashSet<Value>) -> Result<(), VerifyError> {
        let m = self.m;
        let kind = m.kind(op);
        let info = kind.info();
        let data = m.op(op);
        if kind == OpKind::Func {
            return Err(self.err(op, "functions may only appear at the top level"));
        }
        if !info.operands.accepts(data.operands.len()) {
            return Err(self.err(op, format!("expects {} operands, has {}", info.operands, data.operands.len())));
        }
        if !info.results.accepts(data.results.len()) {
            return Err(self.err(op, format!("expects {} results, has {}", info.results, data.results.len())));
        }
        if data.regions.len() != info.regions {
            return Err(self.err(op, format!("expects {} regions, has {}", info.regions, data.regions.len())));
        }
        for (i, v) in data.operands.iter().enumerate() {
            if !scope.contains(v) {
                return Err(self.err(op, format!("operand {i} is not defined before its use")));
            }
        }
        for &r in &data.regions {
            let blocks = &m.region(r).blocks;
            if blocks.len() != 1 {
                return Err(self.err(op, "regions must have exactly one block"));
            }
            if m.region(r).parent != Some(op) {
                return Err(self.err(op, "region's parent link does not match its op"));
            }
            if kind == OpKind::VectorizedPipeline {
                // A pipeline body is isolated from above: it sees only its block arguments, so it
                // can be compiled and shipped on its own.
                self.verify_block(blocks[0], &mut HashSet::new())?;
            } else {
                self.verify_block(blocks[0], scope)?;
            }
        }
        match kind {
            OpKind::Constant => self.verify_constant(op),
            OpKind::If => self.verify_if(op),
            OpKind::For => self.verify_for(op),
            OpKind::While => self.verify_while(op),
            OpKind::GenericCall => self.verify_call(op),
            OpKind::Return => match m.parent_op(op).map(|p| m.kind(p)) {
                Some(OpKind::Func | OpKind::VectorizedPipeline) => Ok(()),
                _ => Err(self.err(op, "`daphne.return` must end a function or pipeline body")),
            },
            OpKind::VectorizedPipeline => self.verify_pipeline(op),
            OpKind::DistributedPipeline => self.verify_distributed(op),
            OpKind::Yield => match m.parent_op(op).map(|p| m.kind(p)) {
                Some(OpKind::If | OpKind::For | OpKind::While) => Ok(()),
                _ => Err(self.err(op, "`scf.yield` must end the region of an `scf` op")),
            },
            OpKind::Condition => match m.parent_op(op).map(|p| m.kind(p)) {
                Some(OpKind::While) => Ok(()),
                _ => Err(self.err(op, "`scf.condition` must end the `before` region of `scf.while`")),
            },
            _ => Ok(()),
        }
    }

    fn terminator(&self, op: Op, region: usize, expected: OpKind) -> Result<Op, VerifyError> {
        let m = self.m;
        let block = m.op_block(op, region).ok_or_else(|| self.err(op, "missing region"))?;
        match m.block_ops(block).last() {
            Some(&t) if m.kind(t) == expected => Ok(t),
            _ => Err(self.err(op, format!("region {region} must end with `{}`", expected.name()))),
        }
    }

    fn check_types(&self, op: Op, what: &str, got: &[Value], want: &[Type]) -> Result<(), VerifyError> {
        let m = self.m;
        if got.len() != want.len() {
            return Err(self.err(op, format!("{what}: {} values where {} are expected", got.len(), want.len())));
        }
        for (i, (v, t)) in got.iter().zip(want).enumerate() {
            if !m.value_type(*v).compatible(t) {
                return Err(
                    self.err(op, format!("{what}: value {i} has type {} but {t} is expected", m.value_type(*v)))
                );
            }
        }
        Ok(())
    }

    fn result_types(&self, op: Op) -> Vec<Type> {
        self.m.results(op).iter().map(|r| self.m.value_type(*r).clone()).collect()
    }

    fn verify_constant(&self, op: Op) -> Result<(), VerifyError> {
        let m = self.m;
        let Some(Attr::Const(c)) = m.attr(op, "value") else {
            return Err(self.err(op, "needs a typed `value` attribute"));
        };
        if *m.value_type(m.result(op, 0)) != c.ty() {
            return Err(self.err(op, "result type does not match the value's type"));
        }
        Ok(())
    }

    fn verify_if(&self, op: Op) -> Result<(), VerifyError> {
        let m = self.m;
        let cond = m.operands(op)[0];
        if !matches!(m.value_type(cond), Type::Scalar(ValueType::Bool) | Type::Unknown) {
            return Err(self.err(op, "the condition must be a bool scalar"));
        }
        let results = self.result_types(op);
        for region in 0..2 {
            let y = self.terminator(op, region, OpKind::Yield)?;
            self.check_types(op, "yielded values", m.operands(y), &results)?;
        }
        Ok(())
    }

    fn verify_for(&self, op: Op) -> Result<(), VerifyError> {
        let m = self.m;
        let operands = m.operands(op);
        for (i, name) in ["lower bound", "upper bound", "step"].iter().enumerate() {
            if !matches!(m.value_type(operands[i]), Type::Scalar(ValueType::Index)) {
                return Err(self.err(op, format!("the {name} must be an index")));
            }
        }
        let inits = &operands[3..];
        let results = self.result_types(op);
        let block = m.op_block(op, 0).ok_or_else(|| self.err(op, "missing body"))?;
        let args = m.block_args(block);
        if args.len() != inits.len() + 1 || !matches!(m.value_type(args[0]), Type::Scalar(ValueType::Index)) {
            return Err(
                self.err(op, "the body takes the induction variable (index) and one argument per loop-carried value")
            );
        }
        self.check_types(op, "initial values", inits, &results)?;
        let arg_types: Vec<Type> = args[1..].iter().map(|a| m.value_type(*a).clone()).collect();
        self.check_types(op, "body arguments", &args[1..], &results)?;
        let y = self.terminator(op, 0, OpKind::Yield)?;
        self.check_types(op, "yielded values", m.operands(y), &arg_types)
    }

    fn verify_while(&self, op: Op) -> Result<(), VerifyError> {
        let m = self.m;
        let inits = m.operands(op);
        let results = self.result_types(op);
        let before = m.op_block(op, 0).ok_or_else(|| self.err(op, "missing `before` region"))?;
        let after = m.op_block(op, 1).ok_or_else(|| self.err(op, "missing `after` region"))?;
        let init_types: Vec<Type> = inits.iter().map(|v| m.value_type(*v).clone()).collect();
        self.check_types(op, "`before` arguments", m.block_args(before), &init_types)?;
        let c = self.terminator(op, 0, OpKind::Condition)?;
        let cond_operands = m.operands(c);
        if !matches!(m.value_type(cond_operands[0]), Type::Scalar(ValueType::Bool) | Type::Unknown) {
            return Err(self.err(op, "the loop condition must be a bool scalar"));
        }
        self.check_types(op, "values passed by `scf.condition`", &cond_operands[1..], &results)?;
        self.check_types(op, "`after` arguments", m.block_args(after), &results)?;
        let y = self.terminator(op, 1, OpKind::Yield)?;
        self.check_types(op, "yielded values", m.operands(y), &init_types)
    }

    fn verify_pipeline(&self, op: Op) -> Result<(), VerifyError> {
        let m = self.m;
        let block = m.op_block(op, 0).ok_or_else(|| self.err(op, "missing body"))?;
        let inputs = m.operands(op);
        if m.block_args(block).len() != inputs.len() {
            return Err(self.err(op, "the body takes one argument per input"));
        }
        let splits = crate::vector::splits(m, op).map_err(|e| self.err(op, e))?;
        let combines = crate::vector::combines(m, op).map_err(|e| self.err(op, e))?;
        if splits.len() != inputs.len() {
            return Err(self.err(op, format!("{} splits for {} inputs", splits.len(), inputs.len())));
        }
        if combines.len() != m.results(op).len() {
            return Err(self.err(op, format!("{} combines for {} outputs", combines.len(), m.results(op).len())));
        }
        for (i, (&v, split)) in inputs.iter().zip(&splits).enumerate() {
            if *split == crate::vector::Split::Rows && !m.value_type(v).is_matrix() {
                return Err(self.err(op, format!("input {i} is split by rows but is not a matrix")));
            }
        }
        let ret = self.terminator(op, 0, OpKind::Return)?;
        if m.operands(ret).len() != m.results(op).len() {
            return Err(self.err(op, "the body must return one value per output"));
        }
        Ok(())
    }

    fn verify_distributed(&self, op: Op) -> Result<(), VerifyError> {
        let m = self.m;
        if m.attr(op, "ir").and_then(Attr::as_str).is_none() {
            return Err(self.err(op, "needs the `ir` text of its function"));
        }
        let splits = crate::vector::splits(m, op).map_err(|e| self.err(op, e))?;
        let combines = crate::vector::combines(m, op).map_err(|e| self.err(op, e))?;
        if splits.len() != m.operands(op).len() || combines.len() != m.results(op).len() {
            return Err(self.err(op, "needs one split per input and one combine per output"));
        }
        Ok(())
    }

    fn verify_call(&self, op: Op) -> Result<(), VerifyError> {
        let m = self.m;
        let Some(callee) = m.attr(op, "callee").and_then(Attr::as_symbol) else {
            return Err(self.err(op, "needs a `callee` symbol"));
        };
        let Some(&func) = self.funcs.get(callee) else {
            return Err(self.err(op, format!("calls the unknown function `{callee}`")));
        };
        let entry = m.op_block(func, 0).ok_or_else(|| self.err(op, "callee has no body"))?;
        let params: Vec<Type> = m.block_args(entry).iter().map(|a| m.value_type(*a).clone()).collect();
        self.check_types(op, "call arguments", m.operands(op), &params)?;
        let declared = m.func_result_types(func);
        self.check_types(op, "call results", m.results(op), &declared)
    }
}
