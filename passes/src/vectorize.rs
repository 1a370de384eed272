//! Vectorization (`vectorized` stage): fuses ops that can run on batches of rows into
//! `daphne.vectorizedPipeline` ops, following DAPHNE's rules (`ir::vector::vec_rule`): a
//! producer fuses into a consumer when the producer's result is combined by rows and the consumer
//! reads that operand by rows. Every vectorizable op ends up in a pipeline, singletons included,
//! so the engine runs it on all cores.
//!
//! Beyond DAPHNE: pipelines may have several outputs of different types (scalars too: full
//! aggregations are reduced as scalars), the same input may appear with different splits, and
//! constants are copied into the body instead of becoming inputs, so a body depends on nothing
//! but its inputs. A merge is legal only if it keeps the program's meaning: no op with side
//! effects (`print`, `now()`, control flow, calls, ...) lies between the fused ops (so no work moves
//! across a `now()`, and errors and output keep their order), and no op between them uses a fused
//! result (the pipeline sits where its last op was). A row-vector operand that might be broadcast
//! only fuses with its producer when the row counts are known to be equal.
//!
//! After this pass every pipeline's body verifies on its own (isolated from above), the block
//! arguments of row-split inputs have unknown row counts, and each output is used outside.

use crate::{Changed, Pass, PassCx, PassError};
use daphne_ir::vector::{self, Combine, Split, combine_attr, split_attr, vec_rule};
use daphne_ir::{Attrs, Block, Loc, Module, Op, OpKind, Repr, Type, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

pub struct VectorizePass;

const NAME: &str = "vectorize";

impl Pass for VectorizePass {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, m: &mut Module, _cx: &mut PassCx<'_>) -> Result<Changed, PassError> {
        let mut changed = false;
        for func in m.funcs() {
            if let Some(entry) = m.op_block(func, 0) {
                changed |= vectorize_block(m, entry)?;
            }
        }
        Ok(if changed { Changed::Yes } else { Changed::No })
    }
}

/// How one op runs inside a pipeline.
#[derive(Clone, Debug)]
struct Candidate {
    /// Per operand: split by rows or passed whole.
    splits: Vec<Split>,
    combine: Combine,
}

fn is_dense_matrix(t: &Type) -> bool {
    matches!(t, Type::Matrix(mt) if mt.repr != Repr::Sparse)
}

/// The value of a bool constant.
fn constant_bool(m: &Module, v: Value) -> Option<bool> {
    let d = m.defining_op(v).filter(|d| m.kind(*d) == OpKind::Constant)?;
    match m.attr(d, "value").and_then(|a| a.as_const()) {
        Some(daphne_ir::Const::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// The op's vectorization, if it can run on batches of rows here.
fn candidate(m: &Module, op: Op) -> Option<Candidate> {
    let kind = m.kind(op);
    let rule = vec_rule(kind)?;
    if m.results(op).len() != 1 || !m.op(op).regions.is_empty() {
        return None;
    }
    let result = m.value_type(m.result(op, 0));
    let result_ok = match rule.combine {
        Combine::Rows | Combine::Cols => is_dense_matrix(result),
        _ => is_dense_matrix(result) || matches!(result, Type::Scalar(vt) if vt.is_numeric()),
    };
    if !result_ok {
        return None;
    }
    let mut combine = rule.combine;
    let mut both_rows = false;
    if kind == OpKind::MatMul {
        // `A @ B` reads A by rows. Beyond DAPHNE: `t(A) @ B` (transa, B not transposed) is the
        // sum over row batches of `t(A_b) @ B_b`, so both are read by rows and added up.
        let flag = |i: usize| m.operands(op).get(i).map(|v| constant_bool(m, *v));
        match (flag(2), flag(3)) {
            (Some(Some(false)), Some(Some(_))) => {}
            (Some(Some(true)), Some(Some(false))) => {
                combine = Combine::Add;
                both_rows = true;
            }
            _ => return None,
        }
        if combine == Combine::Add && !is_dense_matrix(result) {
            return None;
        }
    }
    let mut splits = Vec::with_capacity(m.operands(op).len());
    for (i, &v) in m.operands(op).iter().enumerate() {
        let split = match m.value_type(v) {
            t if is_dense_matrix(t) && both_rows => {
                if i < 2 {
                    Split::Rows
                } else {
                    Split::None
                }
            }
            t if is_dense_matrix(t) => rule.split(i),
            Type::Scalar(_) => Split::None,
            _ => return None,
        };
        splits.push(split);
    }
    if !splits.contains(&Split::Rows) {
        return None;
    }
    Some(Candidate { splits, combine })
}

fn known_rows(m: &Module, v: Value) -> Option<u64> {
    match m.value_type(v) {
        Type::Matrix(mt) => mt.rows,
        _ => None,
    }
}

/// Values known to have the same number of rows share a row source: the result of a row-wise
/// op has the rows of the operand that fixes its row count.
#[derive(Default)]
struct RowSources(HashMap<Value, Value>);

impl RowSources {
    fn of(&self, v: Value) -> Value {
        let mut v = v;
        while let Some(&s) = self.0.get(&v) {
            v = s;
        }
        v
    }

    fn record(&mut self, m: &Module, op: Op, c: &Candidate) {
        if c.combine != Combine::Rows {
            return;
        }
        let kind = m.kind(op);
        let fixing = (0..c.splits.len())
            .find(|i| c.splits[*i] == Split::Rows && !vector::broadcasts(kind, *i))
            .or_else(|| c.splits.iter().position(|s| *s == Split::Rows));
        if let Some(i) = fixing {
            let src = self.of(m.operands(op)[i]);
            self.0.insert(m.result(op, 0), src);
        }
    }
}

/// Whether operand `i` of `consumer` may be computed per batch: always, unless it sits where a
/// row vector would be broadcast and its row count is not known to equal the left operand's.
fn rows_compatible(m: &Module, rows: &RowSources, consumer: Op, i: usize) -> bool {
    let ops = m.operands(consumer);
    if !vector::broadcasts(m.kind(consumer), i) || !m.value_type(ops[0]).is_matrix() {
        return true;
    }
    let known_equal = matches!((known_rows(m, ops[i]), known_rows(m, ops[0])), (Some(a), Some(b)) if a == b);
    known_equal || rows.of(ops[i]) == rows.of(ops[0])
}

/// The ops of one block and the groups (future pipelines) they are assigned to.
struct Fusion<'a> {
    ops: &'a [Op],
    pos: HashMap<Op, usize>,
    cands: HashMap<Op, Candidate>,
    group_of: HashMap<Op, usize>,
    groups: Vec<BTreeSet<usize>>,
    rows: RowSources,
}

impl Fusion<'_> {
    fn members(&self, g: usize) -> impl Iterator<Item = Op> + '_ {
        self.groups[g].iter().map(|p| self.ops[*p])
    }

    /// Whether the union of two groups may become one pipeline (see the module doc).
    fn can_merge(&self, m: &Module, a: usize, b: usize) -> bool {
        let union: BTreeSet<usize> = self.groups[a].union(&self.groups[b]).copied().collect();
        let members: HashSet<Op> = union.iter().map(|p| self.ops[*p]).collect();
        // Edges inside the union must be row-wise on both ends.
        for &x in &members {
            for (i, &v) in m.operands(x).iter().enumerate() {
                let Some(p) = m.defining_op(v).filter(|p| members.contains(p)) else { continue };
                let row_wise = self.cands[&p].combine == Combine::Rows && self.cands[&x].splits[i] == Split::Rows;
                if !row_wise || !rows_compatible(m, &self.rows, x, i) {
                    return false;
                }
            }
        }
        let (Some(&first), Some(&last)) = (union.first(), union.last()) else { return false };
        let results: HashSet<Value> = members.iter().flat_map(|x| m.results(*x).iter().copied()).collect();
        for &o in &self.ops[first..=last] {
            if members.contains(&o) {
                continue;
            }
            let pure = m.kind(o).is_pure() && m.op(o).regions.is_empty();
            if !pure || m.operands(o).iter().any(|v| results.contains(v)) {
                return false;
            }
        }
        true
    }

    fn merge(&mut self, a: usize, b: usize) {
        let moved: Vec<usize> = std::mem::take(&mut self.groups[b]).into_iter().collect();
        for p in moved {
            self.group_of.insert(self.ops[p], a);
            self.groups[a].insert(p);
        }
    }

    fn try_merge(&mut self, m: &Module, a: usize, b: usize) -> bool {
        if a == b || !self.can_merge(m, a, b) {
            return false;
        }
        self.merge(a, b);
        true
    }
}

fn vectorize_block(m: &mut Module, b: Block) -> Result<bool, PassError> {
    let mut changed = false;
    for op in m.block_ops(b).to_vec() {
        if matches!(m.kind(op), OpKind::If | OpKind::For | OpKind::While) {
            for i in 0..m.op(op).regions.len() {
                if let Some(inner) = m.op_block(op, i) {
                    changed |= vectorize_block(m, inner)?;
                }
            }
        }
    }
    let ops = m.block_ops(b).to_vec();
    let mut f = Fusion {
        ops: &ops,
        pos: ops.iter().enumerate().map(|(i, o)| (*o, i)).collect(),
        cands: HashMap::new(),
        group_of: HashMap::new(),
        groups: Vec::new(),
        rows: RowSources::default(),
    };
    for (i, &op) in ops.iter().enumerate() {
        if let Some(c) = candidate(m, op) {
            f.rows.record(m, op, &c);
            f.cands.insert(op, c);
            f.group_of.insert(op, f.groups.len());
            f.groups.push(BTreeSet::from([i]));
        }
    }
    // Vertical fusion: producers into their row-wise consumers, in program order.
    for &c in &ops {
        let Some(cand) = f.cands.get(&c).cloned() else { continue };
        for (i, &v) in m.operands(c).iter().enumerate() {
            let Some(p) = m.defining_op(v) else { continue };
            let (Some(&gp), Some(pc)) = (f.group_of.get(&p), f.cands.get(&p)) else { continue };
            if cand.splits[i] == Split::Rows && pc.combine == Combine::Rows && f.pos.contains_key(&p) {
                let gc = f.group_of[&c];
                f.try_merge(m, gc, gp);
            }
        }
    }
    let mut groups: Vec<Vec<Op>> =
        f.groups.iter().enumerate().filter(|(_, g)| !g.is_empty()).map(|(i, _)| f.members(i).collect()).collect();
    groups.sort_by_key(|g| g.first().map(|o| f.pos[o]));
    for members in groups {
        changed |= materialize(m, &members, &f.cands)?;
    }
    Ok(changed)
}

fn internal(m: &Module, op: Op, message: &str) -> PassError {
    PassError { pass: NAME, loc: m.op(op).loc.clone(), message: message.to_string(), user_error: false }
}

/// The type of a value inside a batch: the rows (or, for `Cols`, the columns) become unknown.
fn batch_type(t: &Type, combine: Option<Combine>) -> Type {
    match (t, combine) {
        (Type::Matrix(mt), Some(Combine::Rows) | None) => {
            let mut mt = mt.clone();
            mt.rows = None;
            mt.symmetric = None;
            mt.sparsity = None;
            Type::Matrix(mt)
        }
        (Type::Matrix(mt), Some(Combine::Cols)) => {
            let mut mt = mt.clone();
            mt.cols = None;
            mt.symmetric = None;
            mt.sparsity = None;
            Type::Matrix(mt)
        }
        (other, _) => other.clone(),
    }
}

/// Replaces the ops of one group (in program order) by a pipeline op placed where the last of
/// them was. Returns false (and changes nothing) when none of their results is used outside.
fn materialize(m: &mut Module, members: &[Op], cands: &HashMap<Op, Candidate>) -> Result<bool, PassError> {
    let Some(&last) = members.last() else { return Ok(false) };
    let set: HashSet<Op> = members.iter().copied().collect();
    let mut used_outside: HashSet<Value> = HashSet::new();
    m.walk(&mut |o| {
        if !set.contains(&o) {
            used_outside.extend(m.operands(o).iter().copied());
        }
    });
    let outputs: Vec<(Value, Combine)> = members
        .iter()
        .flat_map(|x| m.results(*x).iter().map(move |r| (*r, cands[x].combine)))
        .filter(|(r, _)| used_outside.contains(r))
        .collect();
    if outputs.is_empty() {
        return Ok(false);
    }

    // Inputs (value and split, each once) and constants to copy into the body.
    let mut inputs: Vec<(Value, Split)> = Vec::new();
    let mut constants: Vec<Value> = Vec::new();
    for x in members {
        for (i, &v) in m.operands(*x).iter().enumerate() {
            if m.defining_op(v).is_some_and(|p| set.contains(&p)) {
                continue;
            }
            if m.defining_op(v).is_some_and(|p| m.kind(p) == OpKind::Constant) {
                if !constants.contains(&v) {
                    constants.push(v);
                }
                continue;
            }
            let key = (v, cands[x].splits[i]);
            if !inputs.contains(&key) {
                inputs.push(key);
            }
        }
    }
    let arg_types: Vec<Type> = inputs
        .iter()
        .map(|(v, s)| match s {
            Split::Rows => batch_type(m.value_type(*v), Some(Combine::Rows)),
            Split::None => m.value_type(*v).clone(),
        })
        .collect();
    let body = m.create_block(&arg_types);
    let region = m.create_region(&[body]);
    let mut attrs = Attrs::new();
    attrs.insert("splits".into(), split_attr(&inputs.iter().map(|(_, s)| *s).collect::<Vec<_>>()));
    attrs.insert("combines".into(), combine_attr(&outputs.iter().map(|(_, c)| *c).collect::<Vec<_>>()));
    let result_types: Vec<Type> = outputs.iter().map(|(v, _)| m.value_type(*v).clone()).collect();
    let loc = Loc::fuse(members.iter().map(|x| m.op(*x).loc.clone()));
    let pipe = m.create_op(
        OpKind::VectorizedPipeline,
        inputs.iter().map(|(v, _)| *v).collect(),
        result_types,
        attrs,
        vec![region],
        loc,
    );
    m.insert_before(last, pipe);

    // Uses outside now read the pipeline's results; inside, the members' own values.
    let mut back: HashMap<Value, Value> = HashMap::new();
    for (j, (r, _)) in outputs.iter().enumerate() {
        let pr = m.result(pipe, j);
        m.replace_all_uses(*r, pr);
        back.insert(pr, *r);
    }
    let mut inside: HashMap<Value, Value> = HashMap::new();
    for c in &constants {
        let Some(def) = m.defining_op(*c) else { return Err(internal(m, pipe, "constant without its op")) };
        let data = m.op(def).clone();
        let copy = m.create_op(OpKind::Constant, vec![], vec![m.value_type(*c).clone()], data.attrs, vec![], data.loc);
        m.append_op(body, copy);
        inside.insert(*c, m.result(copy, 0));
    }
    let args = m.block_args(body).to_vec();
    for x in members {
        m.append_op(body, *x);
        let operands = m.operands(*x).to_vec();
        let mut new_operands = Vec::with_capacity(operands.len());
        for (i, v) in operands.into_iter().enumerate() {
            let v = back.get(&v).copied().unwrap_or(v);
            let nv = if let Some(c) = inside.get(&v) {
                *c
            } else if let Some(k) = inputs.iter().position(|key| *key == (v, cands[x].splits[i])) {
                args[k]
            } else {
                v
            };
            new_operands.push(nv);
        }
        m.op_mut(*x).operands = new_operands;
        let combine = cands[x].combine;
        for r in m.results(*x).to_vec() {
            let t = batch_type(m.value_type(r), Some(combine));
            m.set_value_type(r, t);
        }
    }
    let ret_loc = m.op(last).loc.clone();
    let ret =
        m.create_op(OpKind::Return, outputs.iter().map(|(v, _)| *v).collect(), vec![], Attrs::new(), vec![], ret_loc);
    m.append_op(body, ret);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompileOptions;
    use daphne_ir::{PrintOptions, parse_module, print_module, verify};

    fn run(src: &str) -> String {
        let mut m = parse_module(src).expect("test IR parses");
        let opts = CompileOptions::default();
        VectorizePass.run(&mut m, &mut PassCx::new(&opts)).expect("pass runs");
        verify(&m).expect("verifies");
        print_module(&m, PrintOptions::default())
    }

    #[test]
    fn fuses_a_chain_with_a_full_aggregation() {
        let out = run(r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 2.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %2 = "daphne.constant"() {value = 10 : index} : () -> index
    %3 = "daphne.fill"(%1, %2, %2) : (f64, index, index) -> !daphne.Matrix<10x10xf64>
    %4 = "daphne.ewMul"(%3, %0) : (!daphne.Matrix<10x10xf64>, f64) -> !daphne.Matrix<10x10xf64>
    %5 = "daphne.ewAdd"(%4, %1) : (!daphne.Matrix<10x10xf64>, f64) -> !daphne.Matrix<10x10xf64>
    %6 = "daphne.sumAll"(%5) : (!daphne.Matrix<10x10xf64>) -> f64
    %7 = "daphne.constant"() {value = true} : () -> i1
    %8 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%6, %7, %8) : (f64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#);
        assert_eq!(out.matches("daphne.vectorizedPipeline").count(), 1, "{out}");
        assert!(out.contains("combines = [3], splits = [1]"), "{out}");
        assert!(out.contains("^bb0(%arg0: !daphne.Matrix<?x10xf64>)"), "{out}");
    }

    #[test]
    fn a_print_between_keeps_ops_apart() {
        let out = run(r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 10 : index} : () -> index
    %2 = "daphne.fill"(%0, %1, %1) : (f64, index, index) -> !daphne.Matrix<10x10xf64>
    %3 = "daphne.ewExp"(%2) : (!daphne.Matrix<10x10xf64>) -> !daphne.Matrix<10x10xf64>
    %4 = "daphne.constant"() {value = true} : () -> i1
    %5 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%0, %4, %5) : (f64, i1, i1) -> ()
    %6 = "daphne.sumAll"(%3) : (!daphne.Matrix<10x10xf64>) -> f64
    "daphne.print"(%6, %4, %5) : (f64, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#);
        assert_eq!(out.matches("daphne.vectorizedPipeline").count(), 2, "{out}");
    }

    #[test]
    fn an_aggregated_column_ends_a_pipeline() {
        // X - colSums(X): the column sums are combined by ADD, so they cannot feed the same pipeline.
        let out = run(r#"module {
  func.func @main() {
    %0 = "daphne.constant"() {value = 1.000000e+00 : f64} : () -> f64
    %1 = "daphne.constant"() {value = 10 : index} : () -> index
    %2 = "daphne.fill"(%0, %1, %1) : (f64, index, index) -> !daphne.Matrix<10x10xf64>
    %3 = "daphne.sumCol"(%2) : (!daphne.Matrix<10x10xf64>) -> !daphne.Matrix<1x10xf64>
    %4 = "daphne.ewSub"(%2, %3) : (!daphne.Matrix<10x10xf64>, !daphne.Matrix<1x10xf64>) -> !daphne.Matrix<10x10xf64>
    %5 = "daphne.constant"() {value = true} : () -> i1
    %6 = "daphne.constant"() {value = false} : () -> i1
    "daphne.print"(%4, %5, %6) : (!daphne.Matrix<10x10xf64>, i1, i1) -> ()
    "daphne.return"() : () -> ()
  }
}"#);
        assert_eq!(out.matches("daphne.vectorizedPipeline").count(), 2, "{out}");
    }
}
