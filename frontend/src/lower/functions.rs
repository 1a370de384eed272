//! User-defined functions: `def` becomes a `func.func` (typed parameters keep their types, untyped
//! ones are unknown until specialization), calls resolve user functions first and built-ins second
//! (keyword arguments are reordered to parameter order), and early returns inside `if` are turned
//! into an `scf.if` that yields the returned values, as DAPHNE does.

use super::{LResult, Lowerer, Produced};
use crate::ast::*;
use crate::builtins::{self, suggest};
use daphne_ir::diag::{Diagnostic, Severity, Span};
use daphne_ir::{Attr, Attrs, OpKind, Type, Value};
use std::collections::HashMap;

/// A user function visible to calls.
#[derive(Clone, Debug)]
pub struct UserFunc {
    /// The name calls use (prefixed with the import alias for imported functions).
    pub name: String,
    /// The `func.func` symbol.
    pub symbol: String,
    pub params: Vec<String>,
    pub param_types: Vec<Type>,
    pub result_types: Vec<Type>,
}

impl Lowerer<'_> {
    pub(super) fn func_def(&mut self, f: &FuncDef, span: Span) -> LResult<()> {
        if self.in_function || self.scope_depth() > 1 {
            return Err(self.error("E0208", f.name.span, "functions can only be defined at top level"));
        }
        let mut param_types = Vec::new();
        let mut params: Vec<String> = Vec::new();
        for p in &f.params {
            if params.contains(&p.name.name) {
                return Err(self.error("E0208", p.name.span, format!("parameter `{}` is used twice", p.name.name)));
            }
            params.push(p.name.name.clone());
            param_types.push(match &p.ty {
                Some(t) => self.type_ann(t)?,
                None => Type::Unknown,
            });
        }
        let declared = match &f.results {
            Some(tys) => Some(tys.iter().map(|t| self.type_ann(t)).collect::<LResult<Vec<_>>>()?),
            None => None,
        };
        self.func_counter += 1;
        let symbol = format!("{}-{}", f.name.name, self.func_counter);
        let mut info = UserFunc {
            name: f.name.name.clone(),
            symbol: symbol.clone(),
            params: params.clone(),
            param_types: param_types.clone(),
            result_types: declared.clone().unwrap_or_default(),
        };
        // With declared result types the function is callable from its own body (recursion).
        if declared.is_some() {
            self.funcs.push(info.clone());
        }

        let entry = self.m.create_block(&param_types);
        let args = self.m.block_args(entry).to_vec();
        let saved_scopes = self.swap_scopes(vec![HashMap::new()]);
        let saved_block = std::mem::replace(&mut self.block, entry);
        let saved_in_function = std::mem::replace(&mut self.in_function, true);
        for (name, v) in params.iter().zip(args) {
            self.bind_new(name, v);
        }
        self.push_scope();
        let returned = self.stmts_returning(&f.body);
        self.pop_scope();
        let body_block = self.block;
        self.block = saved_block;
        self.in_function = saved_in_function;
        self.swap_scopes(saved_scopes);
        let (values, ret_span) = returned?.unwrap_or((Vec::new(), f.end));
        let actual: Vec<Type> = values.iter().map(|v| self.ty(*v).clone()).collect();
        let result_types = match &declared {
            Some(d) => {
                if d.len() != actual.len() {
                    return Err(self.error(
                        "E0208",
                        ret_span,
                        format!(
                            "function `{}` returns {} values, but its definition declares {}",
                            f.name.name,
                            actual.len(),
                            d.len()
                        ),
                    ));
                }
                for (i, (d_t, a_t)) in d.iter().zip(&actual).enumerate() {
                    if !d_t.compatible(a_t) {
                        return Err(self.error(
                            "E0208",
                            ret_span,
                            format!(
                                "function `{}` returns a different type for return value #{i} than specified in the definition ({} vs. {})",
                                f.name.name,
                                a_t.dsl_name(),
                                d_t.dsl_name()
                            ),
                        ));
                    }
                }
                d.clone()
            }
            None => actual,
        };
        let saved_block = std::mem::replace(&mut self.block, body_block);
        self.terminate(body_block, OpKind::Return, values, &result_types, ret_span);
        self.block = saved_block;
        let loc = self.loc(span);
        self.m.create_func(&symbol, entry, result_types.clone(), loc);
        if declared.is_none() {
            info.result_types = result_types;
            self.funcs.push(info);
        }
        Ok(())
    }

    fn type_ann(&mut self, t: &TypeAnn) -> LResult<Type> {
        match t {
            TypeAnn::Value { value_type, .. } => Ok(Type::Scalar(*value_type)),
            TypeAnn::Data { data_type: "matrix", value_type, .. } => Ok(Type::matrix_of(*value_type)),
            TypeAnn::Data { data_type, span, .. } => Err(self.error(
                "E0208",
                *span,
                format!("unsupported data type for function arguments and results: {data_type}"),
            )),
        }
    }

    /// Lowers the statements of a function body; returns the returned values if the statements
    /// end in a `return` (possibly inside `if`/`else`).
    fn stmts_returning(&mut self, stmts: &[Stmt]) -> LResult<Option<(Vec<Value>, Span)>> {
        for (i, s) in stmts.iter().enumerate() {
            match &s.kind {
                StmtKind::Return(exprs) => {
                    if let Some(next) = stmts.get(i + 1) {
                        self.diags.push(Diagnostic {
                            severity: Severity::Warning,
                            ..Diagnostic::error("W0001", "statements after `return` are never executed and are ignored")
                                .with_span(next.span)
                        });
                    }
                    let mut values = Vec::new();
                    for e in exprs {
                        values.push(self.expr(e)?);
                    }
                    return Ok(Some((values, s.span)));
                }
                StmtKind::If { cond, then_branch, else_branch } if contains_return(s) => {
                    return self.returning_if(cond, then_branch, else_branch.as_deref(), &stmts[i + 1..], s.span);
                }
                StmtKind::Block(inner) if contains_return(s) => {
                    let mut all: Vec<Stmt> = inner.clone();
                    all.extend_from_slice(&stmts[i + 1..]);
                    self.push_scope();
                    let r = self.stmts_returning(&all);
                    self.pop_scope();
                    return r;
                }
                StmtKind::While { .. } | StmtKind::For { .. } if contains_return(s) => {
                    return Err(self.error(
                        "E0214",
                        s.span,
                        "`return` inside a loop is not supported; return after the loop instead",
                    ));
                }
                _ => {
                    // Keep going after an error to report more, but remember the failure.
                    let _ = self.stmt(s);
                }
            }
        }
        Ok(None)
    }

    /// An `if` with a `return` in a branch: the statements after it are moved into the branch
    /// that does not return, and the `scf.if` yields what each branch returns.
    fn returning_if(
        &mut self,
        cond: &Expr,
        then_branch: &Stmt,
        else_branch: Option<&Stmt>,
        rest: &[Stmt],
        span: Span,
    ) -> LResult<Option<(Vec<Value>, Span)>> {
        let c = self.expr(cond)?;
        let c = self.cast_bool(c, cond.span);
        let branch = |b: Option<&Stmt>| -> Vec<Stmt> {
            let mut stmts: Vec<Stmt> = match b {
                Some(Stmt { kind: StmtKind::Block(inner), .. }) => inner.clone(),
                Some(other) => vec![other.clone()],
                None => Vec::new(),
            };
            if !b.is_some_and(ends_with_return) {
                stmts.extend_from_slice(rest);
            }
            stmts
        };
        let then_stmts = branch(Some(then_branch));
        let else_stmts = branch(else_branch);
        let outer = self.block;
        let mut results = Vec::new();
        let mut blocks = Vec::new();
        for stmts in [&then_stmts, &else_stmts] {
            let block = self.m.create_block(&[]);
            self.block = block;
            self.push_scope();
            let r = self.stmts_returning(stmts);
            self.pop_scope();
            let end_block = self.block;
            self.block = outer;
            let (vals, s) = r?.unwrap_or((Vec::new(), span));
            results.push((vals, s));
            blocks.push((block, end_block));
        }
        let (then_vals, _) = &results[0];
        let (else_vals, else_span) = &results[1];
        if then_vals.len() != else_vals.len() {
            return Err(self.error(
                "E0214",
                *else_span,
                format!(
                    "the branches of this `if` return different numbers of values ({} and {})",
                    then_vals.len(),
                    else_vals.len()
                ),
            ));
        }
        let mut types = Vec::new();
        for (tv, ev) in then_vals.iter().zip(else_vals) {
            let (tt, et) = (self.ty(*tv).clone(), self.ty(*ev).clone());
            if !tt.compatible(&et) {
                return Err(self.error(
                    "E0214",
                    span,
                    format!(
                        "the branches of this `if` return values of different types ({} and {})",
                        tt.dsl_name(),
                        et.dsl_name()
                    ),
                ));
            }
            types.push(if tt == et { tt } else { tt.common_info(&et).unwrap_or(Type::Unknown) });
        }
        let (then_vals, else_vals) = (then_vals.clone(), else_vals.clone());
        self.terminate(blocks[0].1, OpKind::Yield, then_vals, &types, span);
        self.terminate(blocks[1].1, OpKind::Yield, else_vals, &types, span);
        let values = self.structured_op(OpKind::If, vec![c], types, vec![blocks[0].0, blocks[1].0], span);
        Ok(Some((values, span)))
    }

    // -------------------------------------------------------------------------------------
    // Calls
    // -------------------------------------------------------------------------------------

    pub(super) fn call(
        &mut self,
        name: &Name,
        kernel: Option<&str>,
        args: &[CallArg],
        span: Span,
    ) -> LResult<Produced> {
        let fname = name.name.as_str();
        if fname == "map" && !self.funcs.iter().any(|f| f.name == "map") {
            return self.map_call(args, span);
        }
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.expr(&a.value)?);
        }
        let overloads: Vec<UserFunc> = self.funcs.iter().filter(|f| f.name == fname).cloned().collect();
        if !overloads.is_empty() {
            return self.call_user(fname, &overloads, args, values, kernel, name.span, span);
        }
        if !builtins::is_builtin(fname) {
            if self.failed_funcs.contains(fname) {
                return Err(super::Fail);
            }
            let mut d = Diagnostic::error("E0201", format!("unknown function `{fname}`"))
                .with_span(name.span)
                .with_label("not a built-in function and not defined before this call");
            let user_names: Vec<String> = self.funcs.iter().map(|f| f.name.clone()).collect();
            let mut candidates: Vec<&str> = builtins::all_names().collect();
            candidates.extend(user_names.iter().map(String::as_str));
            if let Some(s) = suggest(fname, candidates.into_iter()) {
                d = d.with_note(format!("did you mean `{s}`?"));
            }
            return Err(self.error_with(d));
        }
        let info = builtins::param_info(fname);
        let ordered = match info {
            Some(info) => self.order_args(fname, info.names, info.required, args, values, span)?,
            None => {
                if let Some(a) = args.iter().find(|a| a.name.is_some()) {
                    let s = a.name.as_ref().map_or(span, |n| n.span);
                    return Err(self.error(
                        "E0203",
                        s,
                        format!("built-in function `{fname}` does not support named arguments"),
                    ));
                }
                values.into_iter().zip(args.iter().map(|a| a.value.span)).collect()
            }
        };
        let produced = self.builtin(fname, &ordered, name.span, span)?;
        if let Some(k) = kernel {
            match &produced {
                Produced::One(v) => self.set_kernel_hint(*v, k),
                Produced::Many(vs) => {
                    if let Some(v) = vs.first() {
                        self.set_kernel_hint(*v, k);
                    }
                }
                Produced::None => {
                    if let Some(&op) = self.m.block_ops(self.block).last() {
                        self.m
                            .op_mut(op)
                            .attrs
                            .insert("kernel_hint".into(), Attr::Const(daphne_ir::Const::Str(k.to_string())));
                    }
                }
            }
        }
        Ok(produced)
    }

    #[allow(clippy::too_many_arguments)]
    fn call_user(
        &mut self,
        fname: &str,
        overloads: &[UserFunc],
        args: &[CallArg],
        values: Vec<Value>,
        kernel: Option<&str>,
        name_span: Span,
        span: Span,
    ) -> LResult<Produced> {
        let has_named = args.iter().any(|a| a.name.is_some());
        let arity_match: Vec<&UserFunc> = overloads.iter().filter(|f| f.params.len() == args.len()).collect();
        let ordered: Vec<(Value, Span)> = if has_named {
            let Some(first) = arity_match.first() else {
                return Err(self.error(
                    "E0202",
                    span,
                    format!("no definition of function `{fname}` takes {} arguments", args.len()),
                ));
            };
            let params = first.params.clone();
            let param_refs: Vec<&str> = params.iter().map(String::as_str).collect();
            self.order_args_dyn(fname, &param_refs, param_refs.len(), args, values, span)?
        } else {
            values.into_iter().zip(args.iter().map(|a| a.value.span)).collect()
        };
        let arg_types: Vec<Type> = ordered.iter().map(|(v, _)| self.ty(*v).clone()).collect();
        let found = overloads.iter().find(|f| {
            f.param_types.len() == arg_types.len()
                && f.param_types.iter().zip(&arg_types).all(|(p, a)| param_compatible(p, a))
        });
        let Some(func) = found.cloned() else {
            let options: Vec<String> = overloads
                .iter()
                .map(|f| {
                    format!("{}({})", f.name, f.param_types.iter().map(Type::dsl_name).collect::<Vec<_>>().join(", "))
                })
                .collect();
            let given = arg_types.iter().map(Type::dsl_name).collect::<Vec<_>>().join(", ");
            return Err(self.error(
                "E0202",
                name_span,
                format!(
                    "no definition of function `{fname}` for argument types ({given}), available options: {}",
                    options.join(", ")
                ),
            ));
        };
        if kernel.is_some() {
            return Err(self.error(
                "E0203",
                name_span,
                "kernel hints are not supported for calls to user-defined functions",
            ));
        }
        let operands: Vec<Value> = ordered.into_iter().map(|(v, _)| v).collect();
        let mut attrs = Attrs::new();
        attrs.insert("callee".into(), Attr::Symbol(func.symbol.clone()));
        let results = self.emit_typed(OpKind::GenericCall, operands, func.result_types.clone(), attrs, span);
        Ok(match results.len() {
            0 => Produced::None,
            1 => Produced::One(results[0]),
            _ => Produced::Many(results),
        })
    }

    /// `map(X, udf)`: the second argument names a user function taking one scalar.
    fn map_call(&mut self, args: &[CallArg], span: Span) -> LResult<Produced> {
        if args.len() != 2 {
            return Err(self.error(
                "E0202",
                span,
                format!("built-in function `map` expects exactly 2 argument(s), but got {}", args.len()),
            ));
        }
        let (data_arg, udf_arg) = match (&args[0].name, &args[1].name) {
            (Some(n), _) if n.name == "udf" => (&args[1], &args[0]),
            _ => (&args[0], &args[1]),
        };
        let x = self.expr(&data_arg.value)?;
        let Type::Matrix(mt) = self.ty(x).clone() else {
            return Err(self.error(
                "E0207",
                data_arg.value.span,
                "built-in function `map` expects a matrix as its first argument",
            ));
        };
        let ExprKind::Ident(udf) = &udf_arg.value.kind else {
            return Err(self.error(
                "E0207",
                udf_arg.value.span,
                "the second argument of `map` must name a user-defined function",
            ));
        };
        let elem = mt.vt.map_or(Type::Unknown, Type::Scalar);
        let func = self
            .funcs
            .iter()
            .find(|f| f.name == *udf && f.params.len() == 1 && param_compatible(&f.param_types[0], &elem))
            .cloned();
        let Some(func) = func else {
            return Err(self.error(
                "E0201",
                udf_arg.value.span,
                format!("no definition of function `{udf}` with one parameter of type {} found", elem.dsl_name()),
            ));
        };
        let mut attrs = Attrs::new();
        attrs.insert("func".into(), Attr::Symbol(func.symbol));
        let ty = self.ty(x).clone();
        Ok(Produced::One(self.emit_typed(OpKind::Map, vec![x], vec![ty], attrs, span)[0]))
    }

    fn order_args(
        &mut self,
        fname: &str,
        params: &[&'static str],
        required: usize,
        args: &[CallArg],
        values: Vec<Value>,
        span: Span,
    ) -> LResult<Vec<(Value, Span)>> {
        let refs: Vec<&str> = params.to_vec();
        self.order_args_dyn(fname, &refs, required, args, values, span)
    }

    /// Maps positional and keyword arguments to parameter order (DAPHNE's rules: no positional
    /// argument after a keyword one, known names only, no duplicates, no gaps before a given one,
    /// required ones present).
    fn order_args_dyn(
        &mut self,
        fname: &str,
        params: &[&str],
        required: usize,
        args: &[CallArg],
        values: Vec<Value>,
        span: Span,
    ) -> LResult<Vec<(Value, Span)>> {
        if args.len() > params.len() {
            return Err(self.error(
                "E0202",
                span,
                format!("function `{fname}` expects at most {} arguments, but got {}", params.len(), args.len()),
            ));
        }
        let mut slots: Vec<Option<(Value, Span)>> = vec![None; params.len()];
        let mut positional = 0;
        let mut seen_named = false;
        for (a, v) in args.iter().zip(values) {
            match &a.name {
                None => {
                    if seen_named {
                        return Err(self.error(
                            "E0203",
                            a.value.span,
                            format!("positional argument follows keyword argument in call to `{fname}`"),
                        ));
                    }
                    slots[positional] = Some((v, a.value.span));
                    positional += 1;
                }
                Some(n) => {
                    seen_named = true;
                    let Some(idx) = params.iter().position(|p| *p == n.name) else {
                        let mut d = Diagnostic::error(
                            "E0203",
                            format!("unknown keyword argument `{}` for function `{fname}`", n.name),
                        )
                        .with_span(n.span);
                        d = d.with_note(format!("the parameters are: {}", params.join(", ")));
                        return Err(self.error_with(d));
                    };
                    if slots[idx].is_some() {
                        return Err(self.error(
                            "E0203",
                            n.span,
                            format!("multiple values for argument `{}` in call to `{fname}`", n.name),
                        ));
                    }
                    slots[idx] = Some((v, a.value.span));
                }
            }
        }
        let Some(last) = slots.iter().rposition(Option::is_some) else {
            if required > 0 {
                return Err(self.error(
                    "E0202",
                    span,
                    format!("missing value for argument `{}` in call to `{fname}`", params[0]),
                ));
            }
            return Ok(Vec::new());
        };
        let mut ordered = Vec::with_capacity(last + 1);
        for (i, slot) in slots.into_iter().take(last + 1).enumerate() {
            match slot {
                Some(s) => ordered.push(s),
                None if i < required => {
                    return Err(self.error(
                        "E0202",
                        span,
                        format!("missing value for argument `{}` in call to `{fname}`", params[i]),
                    ));
                }
                None => {
                    return Err(self.error(
                        "E0203",
                        span,
                        format!(
                            "cannot skip optional argument `{}` before providing later arguments in call to `{fname}`",
                            params[i]
                        ),
                    ));
                }
            }
        }
        Ok(ordered)
    }
}

/// Whether an argument of type `arg` may be passed for a parameter of type `param` (DAPHNE's
/// `argAndUDFParamCompatible`).
fn param_compatible(param: &Type, arg: &Type) -> bool {
    if param == arg || param.is_unknown() || arg.is_unknown() {
        return true;
    }
    match (param, arg) {
        (Type::Matrix(p), Type::Matrix(a)) => p.vt.is_none() || a.vt.is_none() || p.vt == a.vt,
        _ => false,
    }
}

/// Whether a statement contains a `return` anywhere.
fn contains_return(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Return(_) => true,
        StmtKind::Block(stmts) => stmts.iter().any(contains_return),
        StmtKind::If { then_branch, else_branch, .. } => {
            contains_return(then_branch) || else_branch.as_deref().is_some_and(contains_return)
        }
        StmtKind::While { body, .. } | StmtKind::For { body, .. } => contains_return(body),
        _ => false,
    }
}

/// Whether every path through a statement ends with a `return`.
fn ends_with_return(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Return(_) => true,
        StmtKind::Block(stmts) => stmts.last().is_some_and(ends_with_return),
        StmtKind::If { then_branch, else_branch, .. } => {
            ends_with_return(then_branch) && else_branch.as_deref().is_some_and(ends_with_return)
        }
        _ => false,
    }
}
