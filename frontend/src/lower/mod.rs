//! Lowering of the AST to DaphneIR in SSA form, as DAPHNE's parser does it: variables become SSA
//! values through a scoped symbol table; `if`, `while`, `do-while` and `for` become `scf.if`,
//! `scf.while` and `scf.for` whose results are the variables the body overwrites; user functions
//! become `func.func`; every op gets its result types inferred on creation and a location.
//!
//! This module holds the lowering context, statements and control flow; `expr.rs` lowers
//! expressions, `builtins.rs` the built-in functions, `functions.rs` user functions and calls,
//! `imports.rs` the `import` statement.

mod builtins;
mod expr;
mod functions;
mod imports;

use crate::ast::*;
use daphne_ir::diag::{Diagnostic, SourceMap, Span};
use daphne_ir::infer::{InferInput, infer_result_types};
use daphne_ir::{Attr, Attrs, Block, Const, Loc, Module, OpKind, Type, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

pub use functions::UserFunc;

/// Settings of the lowering that come from the command line and the configuration.
#[derive(Clone, Debug, Default)]
pub struct LowerOptions {
    /// Script arguments (`name=value` on the command line), substituted for `$name`.
    pub args: BTreeMap<String, String>,
    /// Directories searched for imported files (`daphnedsl_import_paths.default_dirs`).
    pub import_default_dirs: Vec<PathBuf>,
    /// Libraries: `import "name";` imports every file of the directory (`daphnedsl_import_paths`).
    pub import_libraries: BTreeMap<String, PathBuf>,
}

/// The result of lowering: the module (absent if there were errors) and all diagnostics.
pub struct Lowered {
    pub module: Option<Module>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lowers a parsed script (file `file` of the source map) into a module with `@main`.
pub fn lower_script(sources: &mut SourceMap, file: u32, script: &Script, opts: &LowerOptions) -> Lowered {
    let mut m = Module::new();
    let entry = m.create_block(&[]);
    let script_path = sources.file(file).map(|f| PathBuf::from(&f.name)).unwrap_or_default();
    let mut lw = Lowerer {
        m,
        sources,
        opts,
        diags: Vec::new(),
        file_ids: HashMap::new(),
        scopes: vec![HashMap::new()],
        poisoned: HashSet::new(),
        failed_funcs: HashSet::new(),
        block: entry,
        funcs: Vec::new(),
        func_counter: 0,
        in_function: false,
        imported: Vec::new(),
        script_paths: vec![script_path],
    };
    for stmt in &script.stmts {
        // Errors are recorded as diagnostics; go on with the next statement.
        let _ = lw.stmt(stmt);
    }
    let end = script.stmts.last().map_or(Span::new(file, 0, 0), |s| Span::new(file, s.span.end, s.span.end));
    lw.emit_typed(OpKind::Return, vec![], vec![], Attrs::new(), end);
    let loc = lw.loc(Span::new(file, 0, 0));
    lw.m.create_func("main", entry, vec![], loc);
    let has_errors = lw.diags.iter().any(|d| d.severity == daphne_ir::diag::Severity::Error);
    Lowered { module: if has_errors { None } else { Some(lw.m) }, diagnostics: lw.diags }
}

/// A failed lowering step; its diagnostic has been recorded.
#[derive(Debug)]
pub(crate) struct Fail;

pub(crate) type LResult<T> = Result<T, Fail>;

/// A variable binding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Binding {
    pub value: Value,
    pub read_only: bool,
}

/// What an expression produced: calls may produce no value or several.
pub(crate) enum Produced {
    None,
    One(Value),
    Many(Vec<Value>),
}

pub(crate) struct Lowerer<'a> {
    pub m: Module,
    pub sources: &'a mut SourceMap,
    pub opts: &'a LowerOptions,
    pub diags: Vec<Diagnostic>,
    /// Source-map file id → index in the module's file table.
    file_ids: HashMap<u32, u32>,
    scopes: Vec<HashMap<String, Binding>>,
    /// Variables whose assignment failed: using them reports nothing more.
    poisoned: HashSet<String>,
    /// Functions whose definition failed: calling them reports nothing more.
    pub failed_funcs: HashSet<String>,
    /// Where new ops go.
    pub block: Block,
    pub funcs: Vec<UserFunc>,
    pub func_counter: usize,
    pub in_function: bool,
    pub imported: Vec<PathBuf>,
    pub script_paths: Vec<PathBuf>,
}

impl Lowerer<'_> {
    // -------------------------------------------------------------------------------------
    // Diagnostics and locations
    // -------------------------------------------------------------------------------------

    pub fn error(&mut self, code: &'static str, span: Span, msg: impl Into<String>) -> Fail {
        self.diags.push(Diagnostic::error(code, msg).with_span(span));
        Fail
    }

    pub fn error_with(&mut self, d: Diagnostic) -> Fail {
        self.diags.push(d);
        Fail
    }

    pub fn loc(&mut self, span: Span) -> Loc {
        let idx = match self.file_ids.get(&span.file) {
            Some(i) => *i,
            None => {
                let name = self.sources.file(span.file).map_or("<unknown>".to_string(), |f| f.name.clone());
                let i = self.m.intern_file(&name);
                self.file_ids.insert(span.file, i);
                i
            }
        };
        let (line, col) = self.sources.line_col(span.file, span.start);
        Loc::new(idx, line, col)
    }

    // -------------------------------------------------------------------------------------
    // Building ops
    // -------------------------------------------------------------------------------------

    /// Appends an op whose result types are given.
    pub fn emit_typed(
        &mut self,
        kind: OpKind,
        operands: Vec<Value>,
        result_types: Vec<Type>,
        attrs: Attrs,
        span: Span,
    ) -> Vec<Value> {
        let loc = self.loc(span);
        let op = self.m.create_op(kind, operands, result_types, attrs, vec![], loc);
        self.m.append_op(self.block, op);
        self.m.results(op).to_vec()
    }

    /// Appends an op with inferred result types; a type error becomes a diagnostic at `span`.
    pub fn emit(&mut self, kind: OpKind, operands: Vec<Value>, attrs: Attrs, span: Span) -> LResult<Vec<Value>> {
        let types = self.infer(kind, &operands, &attrs, &[]).map_err(|msg| {
            let what = kind.name().trim_start_matches("daphne.");
            self.error("E0207", span, format!("invalid operand types for `{what}`: {msg}"))
        })?;
        Ok(self.emit_typed(kind, operands, types, attrs, span))
    }

    /// Appends a single-result op with inferred type.
    pub fn emit1(&mut self, kind: OpKind, operands: Vec<Value>, span: Span) -> LResult<Value> {
        let r = self.emit(kind, operands, Attrs::new(), span)?;
        r.first().copied().ok_or_else(|| self.error("E0207", span, format!("`{}` produced no value", kind.name())))
    }

    /// Infers result types, with `current` as the types for ops that keep theirs.
    pub fn infer(
        &self,
        kind: OpKind,
        operands: &[Value],
        attrs: &Attrs,
        current: &[Type],
    ) -> Result<Vec<Type>, String> {
        let types: Vec<Type> = operands.iter().map(|v| self.m.value_type(*v).clone()).collect();
        let constant = |i: usize| operands.get(i).and_then(|v| self.const_of(*v));
        infer_result_types(kind, &InferInput { operands: &types, attrs, current, constant: &constant })
    }

    pub fn constant(&mut self, c: Const, span: Span) -> Value {
        let ty = c.ty();
        let mut attrs = Attrs::new();
        attrs.insert("value".into(), Attr::Const(c));
        self.emit_typed(OpKind::Constant, vec![], vec![ty], attrs, span)[0]
    }

    /// The compile-time constant a value holds: a `daphne.constant`, or the negation of one.
    pub fn const_of(&self, v: Value) -> Option<Const> {
        let op = self.m.defining_op(v)?;
        match self.m.kind(op) {
            OpKind::Constant => self.m.attr(op, "value").and_then(Attr::as_const).cloned(),
            OpKind::EwMinus => {
                let inner = self.const_of(self.m.operands(op)[0])?;
                Some(match inner {
                    Const::F64(x) => Const::F64(-x),
                    Const::F32(x) => Const::F32(-x),
                    Const::SI64(x) => Const::SI64(x.wrapping_neg()),
                    Const::SI32(x) => Const::SI32(x.wrapping_neg()),
                    Const::SI8(x) => Const::SI8(x.wrapping_neg()),
                    _ => return None,
                })
            }
            _ => None,
        }
    }

    /// Casts `v` to `ty` unless it already has that type (DAPHNE's `castIf`).
    pub fn cast_if(&mut self, ty: Type, v: Value, span: Span) -> Value {
        if *self.m.value_type(v) == ty {
            return v;
        }
        self.emit_typed(OpKind::Cast, vec![v], vec![ty], Attrs::new(), span)[0]
    }

    pub fn cast_size(&mut self, v: Value, span: Span) -> Value {
        self.cast_if(Type::INDEX, v, span)
    }

    pub fn cast_bool(&mut self, v: Value, span: Span) -> Value {
        self.cast_if(Type::BOOL, v, span)
    }

    pub fn cast_si64(&mut self, v: Value, span: Span) -> Value {
        self.cast_if(Type::SI64, v, span)
    }

    pub fn ty(&self, v: Value) -> &Type {
        self.m.value_type(v)
    }

    // -------------------------------------------------------------------------------------
    // Scopes
    // -------------------------------------------------------------------------------------

    pub fn lookup(&self, name: &str) -> Option<Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    fn put(&mut self, name: &str, b: Binding) {
        self.poisoned.remove(name);
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), b);
        }
    }

    pub fn push_scope(&mut self) {
        self.scopes.push(HashMap::new());
    }

    /// Pops the innermost scope and returns the variables it overwrote (those that exist in an
    /// outer scope), sorted by name.
    pub fn pop_scope(&mut self) -> BTreeMap<String, Binding> {
        let inner = self.scopes.pop().unwrap_or_default();
        inner.into_iter().filter(|(name, _)| self.lookup(name).is_some()).collect()
    }

    fn put_all(&mut self, bindings: BTreeMap<String, Binding>) {
        for (name, b) in bindings {
            self.put(&name, b);
        }
    }

    pub fn is_poisoned(&self, name: &str) -> bool {
        self.poisoned.contains(name)
    }

    /// Replaces the symbol table (entering or leaving a function or an imported file).
    pub fn swap_scopes(&mut self, scopes: Vec<HashMap<String, Binding>>) -> Vec<HashMap<String, Binding>> {
        std::mem::replace(&mut self.scopes, scopes)
    }

    pub fn bind_new(&mut self, name: &str, value: Value) {
        self.put(name, Binding { value, read_only: false });
    }

    /// Every variable name visible here (for suggestions).
    pub fn visible_names(&self) -> Vec<String> {
        self.scopes.iter().flat_map(|s| s.keys().cloned()).collect()
    }

    pub fn scope_depth(&self) -> usize {
        self.scopes.len()
    }

    // -------------------------------------------------------------------------------------
    // Statements
    // -------------------------------------------------------------------------------------

    pub fn stmt(&mut self, s: &Stmt) -> LResult<()> {
        crate::parser::grow_stack(|| self.stmt_inner(s))
    }

    fn stmt_inner(&mut self, s: &Stmt) -> LResult<()> {
        match &s.kind {
            StmtKind::Block(stmts) => {
                self.push_scope();
                for st in stmts {
                    let _ = self.stmt(st);
                }
                let ow = self.pop_scope();
                self.put_all(ow);
                Ok(())
            }
            StmtKind::Expr(e) => self.expr_any(e).map(|_| ()),
            StmtKind::Assign { targets, value } => self.assign(targets, value, s.span),
            StmtKind::If { cond, then_branch, else_branch } => self.if_stmt(cond, then_branch, else_branch.as_deref()),
            StmtKind::While { cond, body, do_while } => self.while_stmt(cond, body, *do_while, s.span),
            StmtKind::For { var, from, to, step, body } => self.for_stmt(var, from, to, step.as_ref(), body, s.span),
            StmtKind::Func(f) => self.func_def(f, s.span).inspect_err(|_| {
                self.failed_funcs.insert(f.name.name.clone());
            }),
            StmtKind::Return(_) => Err(self.error(
                "E0214",
                s.span,
                if self.in_function {
                    "`return` inside a loop is not supported; return after the loop instead"
                } else {
                    "`return` is only allowed inside a function"
                },
            )),
            StmtKind::Import { path, alias } => self.import(path, alias.as_deref(), s.span),
        }
    }

    fn assign(&mut self, targets: &[AssignTarget], value: &Expr, span: Span) -> LResult<()> {
        let produced = match self.expr_any(value) {
            Ok(p) => p,
            Err(f) => {
                for t in targets {
                    self.poisoned.insert(t.name.name.clone());
                }
                return Err(f);
            }
        };
        let values = match (targets.len(), produced) {
            (1, Produced::One(v)) => vec![v],
            (1, Produced::Many(_)) => {
                return Err(self.error("E0212", value.span, "trying to assign multiple results to a single variable"));
            }
            (_, Produced::None) => {
                return Err(self.error("E0212", value.span, "the right-hand side of the assignment produces no value"));
            }
            (n, Produced::Many(vs)) if vs.len() == n => vs,
            (n, _) => {
                return Err(self.error(
                    "E0212",
                    span,
                    format!(
                        "the right-hand side of an assignment to {n} variables must return {n} values, one for each variable on the left-hand side"
                    ),
                ));
            }
        };
        for (t, v) in targets.iter().zip(values) {
            if let Err(f) = self.assign_part(t, v) {
                self.poisoned.insert(t.name.name.clone());
                return Err(f);
            }
        }
        Ok(())
    }

    fn assign_part(&mut self, target: &AssignTarget, value: Value) -> LResult<()> {
        let name = &target.name.name;
        let existing = self.lookup(name);
        if existing.is_some_and(|b| b.read_only) {
            return Err(self.error("E0212", target.name.span, format!("trying to assign read-only variable `{name}`")));
        }
        let new_value = match &target.indexing {
            None => value,
            Some(idx) => {
                let Some(b) = existing else {
                    return Err(self.error(
                        "E0212",
                        target.name.span,
                        format!("cannot use left indexing on variable `{name}` before a value has been assigned to it"),
                    ));
                };
                self.left_indexing(b.value, value, idx)?
            }
        };
        self.put(name, Binding { value: new_value, read_only: false });
        Ok(())
    }

    fn if_stmt(&mut self, cond: &Expr, then_branch: &Stmt, else_branch: Option<&Stmt>) -> LResult<()> {
        let c = self.expr(cond)?;
        let c = self.cast_bool(c, cond.span);
        let outer = self.block;
        let then_block = self.m.create_block(&[]);
        self.block = then_block;
        self.push_scope();
        let r1 = self.stmt(then_branch);
        let ow_then = self.pop_scope();
        let else_block = self.m.create_block(&[]);
        self.block = else_block;
        self.push_scope();
        let r2 = else_branch.map_or(Ok(()), |e| self.stmt(e));
        let ow_else = self.pop_scope();
        self.block = outer;
        r1?;
        r2?;
        let names: BTreeSet<String> = ow_then.keys().chain(ow_else.keys()).cloned().collect();
        let mut then_vals = Vec::new();
        let mut else_vals = Vec::new();
        let mut types = Vec::new();
        for name in &names {
            let outer_b = self.lookup(name);
            let Some(tv) = ow_then.get(name).copied().or(outer_b) else {
                continue;
            };
            let Some(ev) = ow_else.get(name).copied().or(outer_b) else {
                continue;
            };
            let (tt, et) = (self.ty(tv.value).clone(), self.ty(ev.value).clone());
            if !tt.compatible(&et) {
                return Err(self.error(
                    "E0214",
                    then_branch.span.to(else_branch.map_or(then_branch.span, |e| e.span)),
                    format!(
                        "type of variable `{name}` after if-statement is ambiguous, could be either {} (then-branch) or {} (else-branch)",
                        tt.dsl_name(),
                        et.dsl_name()
                    ),
                ));
            }
            let ty = if tt == et { tt } else { tt.common_info(&et).unwrap_or(Type::Unknown) };
            then_vals.push(tv.value);
            else_vals.push(ev.value);
            types.push(ty);
        }
        let span = cond.span;
        self.terminate(then_block, OpKind::Yield, then_vals, &types, span);
        self.terminate(else_block, OpKind::Yield, else_vals, &types, span);
        let results = self.structured_op(OpKind::If, vec![c], types, vec![then_block, else_block], span);
        for (name, v) in names.iter().zip(results) {
            self.put(name, Binding { value: v, read_only: false });
        }
        Ok(())
    }

    /// Appends a terminator to `block`, casting the values to the expected types where needed.
    fn terminate(&mut self, block: Block, kind: OpKind, values: Vec<Value>, types: &[Type], span: Span) {
        let outer = self.block;
        self.block = block;
        let mut casted = Vec::with_capacity(values.len());
        for (i, v) in values.into_iter().enumerate() {
            casted.push(match types.get(i) {
                Some(t) => self.cast_if(t.clone(), v, span),
                None => v,
            });
        }
        self.emit_typed(kind, casted, vec![], Attrs::new(), span);
        self.block = outer;
    }

    /// Appends an op with regions made of the given blocks and returns its results.
    fn structured_op(
        &mut self,
        kind: OpKind,
        operands: Vec<Value>,
        types: Vec<Type>,
        blocks: Vec<Block>,
        span: Span,
    ) -> Vec<Value> {
        let regions = blocks.into_iter().map(|b| self.m.create_region(&[b])).collect();
        let loc = self.loc(span);
        let op = self.m.create_op(kind, operands, types, Attrs::new(), regions, loc);
        self.m.append_op(self.block, op);
        self.m.results(op).to_vec()
    }

    /// Variables visible here that the loop body assigns: they are carried through the loop.
    fn carried_vars(&self, body: &Stmt, loop_var: Option<&str>) -> Vec<String> {
        let mut assigned = BTreeSet::new();
        collect_assigned(body, &mut assigned);
        if let Some(v) = loop_var {
            assigned.insert(v.to_string());
        }
        assigned.into_iter().filter(|n| self.lookup(n).is_some()).collect()
    }

    /// Generalizes loop-carried types until the body's results match its arguments (DAPHNE's
    /// inference does the same fix-point): returns the new types, or `None` when they are stable.
    fn generalize(
        &mut self,
        names: &[String],
        types: &[Type],
        produced: &[Value],
        span: Span,
    ) -> LResult<Option<Vec<Type>>> {
        let mut new_types = Vec::with_capacity(types.len());
        for (i, t) in types.iter().enumerate() {
            let p = self.ty(produced[i]).clone();
            let Some(merged) = t.common_info(&p) else {
                return Err(self.error(
                    "E0214",
                    span,
                    format!(
                        "the data type (matrix, frame, scalar) of variable `{}` must not change inside a loop (from {} to {})",
                        names[i],
                        t.dsl_name(),
                        p.dsl_name()
                    ),
                ));
            };
            new_types.push(merged);
        }
        Ok(if new_types.as_slice() == types { None } else { Some(new_types) })
    }

    fn while_stmt(&mut self, cond: &Expr, body: &Stmt, do_while: bool, span: Span) -> LResult<()> {
        let names = self.carried_vars(body, None);
        let inits: Vec<Value> = names.iter().filter_map(|n| self.lookup(n).map(|b| b.value)).collect();
        let mut types: Vec<Type> = inits.iter().map(|v| self.ty(*v).clone()).collect();
        let outer = self.block;
        let errors_before = self.diags.len();
        for _attempt in 0..=4 * names.len() + 1 {
            let before = self.m.create_block(&types);
            let after = self.m.create_block(&types);
            let (cond_v, passed) = if !do_while {
                self.block = before;
                self.push_scope();
                self.bind_all(&names, self.m.block_args(before).to_vec());
                let c = self.expr(cond).map(|c| self.cast_bool(c, cond.span));
                self.pop_scope();
                let passed = self.m.block_args(before).to_vec();
                (c, passed)
            } else {
                self.block = before;
                self.push_scope();
                self.bind_all(&names, self.m.block_args(before).to_vec());
                self.push_scope();
                let _ = self.stmt(body);
                let ow = self.pop_scope();
                self.put_all(ow);
                let c = self.expr(cond).map(|c| self.cast_bool(c, cond.span));
                let passed = self.current_values(&names);
                self.pop_scope();
                (c, passed)
            };
            let yielded = if !do_while {
                self.block = after;
                self.push_scope();
                self.bind_all(&names, self.m.block_args(after).to_vec());
                let _ = self.stmt(body);
                let vals = self.current_values(&names);
                self.pop_scope();
                vals
            } else {
                self.m.block_args(after).to_vec()
            };
            self.block = outer;
            if self.diags.len() > errors_before {
                return Err(Fail);
            }
            let cond_v = cond_v?;
            let changed = if do_while { &passed } else { &yielded };
            match self.generalize(&names, &types, changed, span)? {
                Some(new_types) => {
                    self.m.clear_block(before);
                    self.m.clear_block(after);
                    types = new_types;
                }
                None => {
                    let mut cond_operands = vec![cond_v];
                    cond_operands.extend(passed);
                    let mut cond_types = vec![Type::BOOL];
                    cond_types.extend(types.iter().cloned());
                    self.terminate(before, OpKind::Condition, cond_operands, &cond_types, span);
                    self.terminate(after, OpKind::Yield, yielded, &types, span);
                    let inits = self.cast_all(&inits, &types, span);
                    let results = self.structured_op(OpKind::While, inits, types, vec![before, after], span);
                    self.bind_all(&names, results);
                    return Ok(());
                }
            }
        }
        Err(self.error("E0214", span, "the types of the loop's variables do not settle (internal limit reached)"))
    }

    fn for_stmt(
        &mut self,
        var: &Name,
        from: &Expr,
        to: &Expr,
        step: Option<&Expr>,
        body: &Stmt,
        span: Span,
    ) -> LResult<()> {
        // Bounds as si64; DAPHNE's compensation for scf.for's exclusive upper bound and upward
        // counting: from' = from*d, to' = (to+d)*d, step' = step*d with d the direction.
        let from_v = self.expr(from)?;
        let from_v = self.cast_si64(from_v, from.span);
        let to_v = self.expr(to)?;
        let to_v = self.cast_si64(to_v, to.span);
        let (step_v, direction) = match step {
            Some(s) => {
                let sv = self.expr(s)?;
                let sv = self.cast_si64(sv, s.span);
                let d = self.emit1(OpKind::EwSign, vec![sv], s.span)?;
                (sv, d)
            }
            None => {
                let ge = self.emit1(OpKind::EwGe, vec![to_v, from_v], span)?;
                let ge = self.cast_si64(ge, span);
                let two = self.constant(Const::SI64(2), span);
                let twice = self.emit1(OpKind::EwMul, vec![two, ge], span)?;
                let minus_one = self.constant(Const::SI64(-1), span);
                let s = self.emit1(OpKind::EwAdd, vec![minus_one, twice], span)?;
                (s, s)
            }
        };
        let to_incl = self.emit1(OpKind::EwAdd, vec![to_v, direction], span)?;
        let lb = self.emit1(OpKind::EwMul, vec![from_v, direction], span)?;
        let ub = self.emit1(OpKind::EwMul, vec![to_incl, direction], span)?;
        let st = self.emit1(OpKind::EwMul, vec![step_v, direction], span)?;
        let lb = self.cast_size(lb, span);
        let ub = self.cast_size(ub, span);
        let st = self.cast_size(st, span);

        let names = self.carried_vars(body, Some(&var.name));
        let inits: Vec<Value> = names.iter().filter_map(|n| self.lookup(n).map(|b| b.value)).collect();
        let mut types: Vec<Type> = inits.iter().map(|v| self.ty(*v).clone()).collect();
        let outer = self.block;
        let errors_before = self.diags.len();
        for _attempt in 0..=4 * names.len() + 1 {
            let mut arg_types = vec![Type::INDEX];
            arg_types.extend(types.iter().cloned());
            let body_block = self.m.create_block(&arg_types);
            let args = self.m.block_args(body_block).to_vec();
            self.block = body_block;
            self.push_scope();
            self.bind_all(&names, args[1..].to_vec());
            // The loop variable: the induction variable with the direction undone (read-only).
            let iv = self.cast_si64(args[0], var.span);
            let loop_var = self.emit1(OpKind::EwMul, vec![iv, direction], var.span);
            if let Ok(lv) = loop_var {
                self.put(&var.name, Binding { value: lv, read_only: true });
            }
            let _ = self.stmt(body);
            let yielded = self.current_values(&names);
            self.pop_scope();
            self.block = outer;
            if self.diags.len() > errors_before {
                return Err(Fail);
            }
            match self.generalize(&names, &types, &yielded, span)? {
                Some(new_types) => {
                    self.m.clear_block(body_block);
                    types = new_types;
                }
                None => {
                    self.terminate(body_block, OpKind::Yield, yielded, &types, span);
                    let mut operands = vec![lb, ub, st];
                    operands.extend(self.cast_all(&inits, &types, span));
                    let results = self.structured_op(OpKind::For, operands, types, vec![body_block], span);
                    self.bind_all(&names, results);
                    return Ok(());
                }
            }
        }
        Err(self.error("E0214", span, "the types of the loop's variables do not settle (internal limit reached)"))
    }

    fn bind_all(&mut self, names: &[String], values: Vec<Value>) {
        for (n, v) in names.iter().zip(values) {
            self.put(n, Binding { value: v, read_only: false });
        }
    }

    fn current_values(&self, names: &[String]) -> Vec<Value> {
        names.iter().filter_map(|n| self.lookup(n).map(|b| b.value)).collect()
    }

    fn cast_all(&mut self, values: &[Value], types: &[Type], span: Span) -> Vec<Value> {
        values.iter().zip(types).map(|(v, t)| self.cast_if(t.clone(), *v, span)).collect()
    }
}

/// Names assigned anywhere in a statement (including loop variables of nested loops).
fn collect_assigned(s: &Stmt, out: &mut BTreeSet<String>) {
    match &s.kind {
        StmtKind::Block(stmts) => stmts.iter().for_each(|st| collect_assigned(st, out)),
        StmtKind::Assign { targets, .. } => {
            for t in targets {
                out.insert(t.name.name.clone());
            }
        }
        StmtKind::If { then_branch, else_branch, .. } => {
            collect_assigned(then_branch, out);
            if let Some(e) = else_branch {
                collect_assigned(e, out);
            }
        }
        StmtKind::While { body, .. } => collect_assigned(body, out),
        StmtKind::For { var, body, .. } => {
            out.insert(var.name.clone());
            collect_assigned(body, out);
        }
        StmtKind::Expr(_) | StmtKind::Func(_) | StmtKind::Return(_) | StmtKind::Import { .. } => {}
    }
}
