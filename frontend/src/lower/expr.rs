//! Lowering of expressions: literals, script arguments, variables, operators, casts, indexing,
//! bit-vector filters, matrix literals and frame literals.

use super::{Fail, LResult, Lowerer, Produced};
use crate::ast::*;
use crate::builtins::suggest;
use daphne_ir::diag::{Diagnostic, Span};
use daphne_ir::{Attr, Attrs, Const, DenseAttr, FrameType, OpKind, Type, Value, ValueType};

impl Lowerer<'_> {
    /// Lowers an expression that must produce exactly one value.
    pub fn expr(&mut self, e: &Expr) -> LResult<Value> {
        match self.expr_any(e)? {
            Produced::One(v) => Ok(v),
            Produced::None => Err(self.error("E0212", e.span, "this expression produces no value")),
            Produced::Many(vs) => Err(self.error(
                "E0212",
                e.span,
                format!("this expression produces {} values where one is expected", vs.len()),
            )),
        }
    }

    /// Lowers an expression; calls may produce zero or several values.
    pub fn expr_any(&mut self, e: &Expr) -> LResult<Produced> {
        crate::parser::grow_stack(|| self.expr_any_inner(e))
    }

    fn expr_any_inner(&mut self, e: &Expr) -> LResult<Produced> {
        let span = e.span;
        let one = |v: Value| Ok(Produced::One(v));
        match &e.kind {
            ExprKind::Int { digits, suffix } => one(self.int_literal(digits, suffix, span)?),
            ExprKind::Float { text, single } => one(self.float_literal(text, *single, span)?),
            ExprKind::Bool(b) => one(self.constant(Const::Bool(*b), span)),
            ExprKind::Str(s) => one(self.constant(Const::Str(s.clone()), span)),
            ExprKind::Arg(name) => one(self.script_arg(name, span)?),
            ExprKind::Ident(name) => one(self.variable(name, span)?),
            ExprKind::Call { name, kernel, args } => self.call(name, kernel.as_deref(), args, span),
            ExprKind::Cast { data_type, value_type, arg } => one(self.cast_expr(*data_type, *value_type, arg, span)?),
            ExprKind::Index { obj, idx } => {
                let o = self.expr(obj)?;
                one(self.right_indexing(o, idx)?)
            }
            ExprKind::Filter { obj, rows, cols } => {
                let mut o = self.expr(obj)?;
                if let Some(r) = rows {
                    let rv = self.expr(r)?;
                    let t = self.ty(o).clone();
                    o = self.emit_typed(OpKind::FilterRow, vec![o, rv], vec![same_vt(&t)], Attrs::new(), r.span)[0];
                }
                if let Some(c) = cols {
                    let cv = self.expr(c)?;
                    o = self.emit(OpKind::FilterCol, vec![o, cv], Attrs::new(), c.span)?[0];
                }
                one(o)
            }
            ExprKind::Unary { op, arg } => {
                let a = self.expr(arg)?;
                match op {
                    UnaryOp::Plus => one(a),
                    UnaryOp::Minus => one(self.emit1(OpKind::EwMinus, vec![a], span)?),
                }
            }
            ExprKind::Binary { op, kernel, lhs, rhs, op_span } => {
                let l = self.expr(lhs)?;
                let r = self.expr(rhs)?;
                let v = self.binary(*op, l, r, *op_span)?;
                if let Some(k) = kernel {
                    self.set_kernel_hint(v, k);
                }
                one(v)
            }
            ExprKind::Cond { cond, then_val, else_val } => {
                let c = self.expr(cond)?;
                let t = self.expr(then_val)?;
                let f = self.expr(else_val)?;
                // Like DAPHNE's parser, do not reject mismatching branches here: inference decides.
                let ty = self.infer(OpKind::Cond, &[c, t, f], &Attrs::new(), &[]).ok().and_then(|mut t| t.pop());
                one(self.emit_typed(OpKind::Cond, vec![c, t, f], vec![ty.unwrap_or(Type::Unknown)], Attrs::new(), span)
                    [0])
            }
            ExprKind::Matrix { elems, shape } => one(self.matrix_literal(elems, shape.as_ref(), span)?),
            ExprKind::FrameCols(cols) => one(self.frame_cols_literal(cols, span)?),
            ExprKind::FrameRows { labels, rows } => one(self.frame_rows_literal(labels, rows, span)?),
            ExprKind::Error => Err(Fail),
        }
    }

    pub fn set_kernel_hint(&mut self, v: Value, kernel: &str) {
        if let Some(op) = self.m.defining_op(v) {
            self.m.op_mut(op).attrs.insert("kernel_hint".into(), Attr::Const(Const::Str(kernel.to_string())));
        }
    }

    fn binary(&mut self, op: BinOp, l: Value, r: Value, span: Span) -> LResult<Value> {
        let kind = match op {
            BinOp::MatMul => {
                let f = self.constant(Const::Bool(false), span);
                return Ok(self.emit(OpKind::MatMul, vec![l, r, f, f], Attrs::new(), span)?[0]);
            }
            BinOp::Pow => OpKind::EwPow,
            BinOp::Mod => OpKind::EwMod,
            BinOp::Mul => OpKind::EwMul,
            BinOp::Div => OpKind::EwDiv,
            // `+` on strings is concatenation; like DAPHNE, it stays `ewAdd` until canonicalization.
            BinOp::Add => OpKind::EwAdd,
            BinOp::Sub => OpKind::EwSub,
            BinOp::Eq => OpKind::EwEq,
            BinOp::Neq => OpKind::EwNeq,
            BinOp::Lt => OpKind::EwLt,
            BinOp::Le => OpKind::EwLe,
            BinOp::Gt => OpKind::EwGt,
            BinOp::Ge => OpKind::EwGe,
            BinOp::And => OpKind::EwAnd,
            BinOp::Or => OpKind::EwOr,
        };
        self.emit1(kind, vec![l, r], span)
    }

    // -------------------------------------------------------------------------------------
    // Literals, arguments, variables
    // -------------------------------------------------------------------------------------

    fn int_literal(&mut self, digits: &str, suffix: &str, span: Span) -> LResult<Value> {
        let out_of_range = |this: &mut Self, ty: &str| {
            this.error("E0206", span, format!("integer literal `{digits}{suffix}` is out of range for {ty}"))
        };
        let c = match suffix {
            "u" | "ull" => match digits.parse::<u64>() {
                Ok(v) => Const::UI64(v),
                Err(_) => return Err(out_of_range(self, "ui64")),
            },
            "z" => match digits.parse::<i64>() {
                Ok(v) => Const::Index(v),
                Err(_) => return Err(out_of_range(self, "index")),
            },
            _ => match digits.parse::<i64>() {
                Ok(v) => Const::SI64(v),
                // 2^63 stands for the smallest si64 when negated, as in DAPHNE.
                Err(_) if digits == "9223372036854775808" && suffix.is_empty() => Const::SI64(i64::MIN),
                Err(_) => return Err(out_of_range(self, "si64")),
            },
        };
        Ok(self.constant(c, span))
    }

    fn float_literal(&mut self, text: &str, single: bool, span: Span) -> LResult<Value> {
        // `nanf`/`inff` are double-precision in DAPHNE, like `nan`/`inf`.
        let special = text == "nan" || text == "inf";
        let c = if single && !special {
            match text.parse::<f32>() {
                Ok(v) if v.is_finite() => Const::F32(v),
                _ => {
                    return Err(self.error("E0206", span, format!("float literal `{text}f` is out of range for f32")));
                }
            }
        } else {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() || special => Const::F64(v),
                _ => {
                    return Err(self.error("E0206", span, format!("float literal `{text}` is out of range for f64")));
                }
            }
        };
        Ok(self.constant(c, span))
    }

    /// `$name`: the command-line value is read as a DaphneDSL literal (a leading `-` becomes a
    /// unary minus), as DAPHNE does.
    fn script_arg(&mut self, name: &str, span: Span) -> LResult<Value> {
        let Some(raw) = self.opts.args.get(name).cloned() else {
            let d = Diagnostic::error(
                "E0205",
                format!("argument `{name}` referenced, but not provided as a command line argument"),
            )
            .with_span(span)
            .with_note(format!("pass it as `{name}=<value>` after the script, or with `--args {name}=<value>`"));
            return Err(self.error_with(d));
        };
        let (negate, text) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, raw.clone()),
        };
        let (tokens, lex_errors) = crate::lexer::lex(span.file, &text);
        let lit = if lex_errors.is_empty() { crate::parser::parse_literal(tokens) } else { None };
        let Some(lit) = lit else {
            let d = Diagnostic::error("E0210", format!("invalid literal value for argument `{name}`: {raw}"))
                .with_span(span)
                .with_note("strings must be quoted, e.g. name=\\\"text\\\" in the shell");
            return Err(self.error_with(d));
        };
        let lit = Expr { kind: lit.kind, span };
        let v = self.expr(&lit)?;
        if negate { self.emit1(OpKind::EwMinus, vec![v], span) } else { Ok(v) }
    }

    fn variable(&mut self, name: &str, span: Span) -> LResult<Value> {
        if let Some(b) = self.lookup(name) {
            return Ok(b.value);
        }
        if self.is_poisoned(name) {
            return Err(Fail);
        }
        let mut d =
            Diagnostic::error("E0204", format!("variable `{name}` referenced before assignment")).with_span(span);
        if self.funcs.iter().any(|f| f.name == name) || crate::builtins::is_builtin(name) {
            d = d.with_note(format!("`{name}` is a function; call it as `{name}(...)`"));
        } else if let Some(s) = suggest(name, self.visible_names().iter().map(String::as_str)) {
            d = d.with_note(format!("a variable with a similar name exists: `{s}`"));
        }
        Err(self.error_with(d))
    }

    // -------------------------------------------------------------------------------------
    // Casts
    // -------------------------------------------------------------------------------------

    fn cast_expr(
        &mut self,
        data_type: Option<&str>,
        value_type: Option<ValueType>,
        arg: &Expr,
        span: Span,
    ) -> LResult<Value> {
        let a = self.expr(arg)?;
        let arg_ty = self.ty(a).clone();
        let first_vt = |t: &Type| match t {
            Type::Frame(f) => f.column_types.first().copied().flatten(),
            other => other.value_type(),
        };
        let target = match (data_type, value_type) {
            (Some("matrix"), vt) => Type::matrix_of(vt.or_else(|| first_vt(&arg_ty))),
            (Some("frame"), Some(_)) => {
                return Err(self.error(
                    "E0207",
                    span,
                    "casting to a frame with particular column types is not supported yet",
                ));
            }
            (Some("frame"), None) => Type::Frame(FrameType::with_columns(vec![first_vt(&arg_ty)])),
            (Some(_scalar), Some(vt)) => Type::Scalar(vt),
            (Some(_scalar), None) => first_vt(&arg_ty).map_or(Type::Unknown, Type::Scalar),
            (None, Some(vt)) => match arg_ty {
                Type::Matrix(_) => Type::matrix_of(Some(vt)),
                Type::Frame(_) => {
                    return Err(self.error(
                        "E0207",
                        span,
                        "casting to a frame with particular column types is not supported yet",
                    ));
                }
                Type::Unknown => Type::Unknown,
                _ => Type::Scalar(vt),
            },
            (None, None) => {
                return Err(self.error("E0207", span, "a cast needs a data type or a value type"));
            }
        };
        Ok(self.emit_typed(OpKind::Cast, vec![a], vec![target], Attrs::new(), span)[0])
    }

    // -------------------------------------------------------------------------------------
    // Indexing
    // -------------------------------------------------------------------------------------

    /// `obj[rows, cols]`: rows first, then columns.
    pub fn right_indexing(&mut self, obj: Value, idx: &Indexing) -> LResult<Value> {
        self.check_indexable(obj, idx.span)?;
        let mut o = obj;
        if let Some(r) = &idx.rows {
            o = self.index_axis(o, r, true, idx.span)?;
        }
        if let Some(c) = &idx.cols {
            o = self.index_axis(o, c, false, idx.span)?;
        }
        Ok(o)
    }

    fn check_indexable(&mut self, obj: Value, span: Span) -> LResult<()> {
        match self.ty(obj) {
            Type::Matrix(_) | Type::Frame(_) | Type::Unknown => Ok(()),
            other => {
                let what = other.data_type_name();
                Err(self.error(
                    "E0207",
                    span,
                    format!("indexing is only allowed on matrices and frames, not on a {what}"),
                ))
            }
        }
    }

    /// A range with both bounds absent (`X[:, ]`) selects everything, like no range at all.
    fn range_given(r: &IndexRange) -> bool {
        !matches!(r, IndexRange::Slice { lo: None, hi: None })
    }

    fn index_axis(&mut self, obj: Value, r: &IndexRange, rows: bool, span: Span) -> LResult<Value> {
        if !Self::range_given(r) {
            return Ok(obj);
        }
        let (extract, slice, num) = if rows {
            (OpKind::ExtractRow, OpKind::SliceRow, OpKind::NumRows)
        } else {
            (OpKind::ExtractCol, OpKind::SliceCol, OpKind::NumCols)
        };
        match r {
            IndexRange::Single(e) => {
                let pos = self.expr(e)?;
                let pt = self.ty(pos).clone();
                if pt.is_object() {
                    return Ok(self.emit(extract, vec![obj, pos], Attrs::new(), e.span)?[0]);
                }
                if pt.is_str() {
                    if rows || !self.ty(obj).is_frame() {
                        return Err(self.error("E0207", e.span, "cannot use right indexing with a label in this case"));
                    }
                    return Ok(self.emit(extract, vec![obj, pos], Attrs::new(), e.span)?[0]);
                }
                let lo = self.cast_si64(pos, e.span);
                let one = self.constant(Const::SI64(1), e.span);
                let hi = self.emit1(OpKind::EwAdd, vec![lo, one], e.span)?;
                let hi = self.cast_si64(hi, e.span);
                Ok(self.emit(slice, vec![obj, lo, hi], Attrs::new(), span)?[0])
            }
            IndexRange::Slice { lo, hi } => {
                let lo_v = match lo {
                    Some(e) => {
                        let v = self.expr(e)?;
                        self.cast_si64(v, e.span)
                    }
                    None => self.constant(Const::SI64(0), span),
                };
                let hi_v = match hi {
                    Some(e) => {
                        let v = self.expr(e)?;
                        self.cast_si64(v, e.span)
                    }
                    None => {
                        let n = self.emit1(num, vec![obj], span)?;
                        self.cast_si64(n, span)
                    }
                };
                Ok(self.emit(slice, vec![obj, lo_v, hi_v], Attrs::new(), span)?[0])
            }
        }
    }

    /// `obj[rows, cols] = ins`: returns the updated object (copy-on-write semantics).
    pub fn left_indexing(&mut self, obj: Value, ins: Value, idx: &Indexing) -> LResult<Value> {
        self.check_indexable(obj, idx.span)?;
        let rows = idx.rows.as_ref().filter(|r| Self::range_given(r));
        let cols = idx.cols.as_ref().filter(|r| Self::range_given(r));
        match (rows, cols) {
            (Some(r), Some(c)) => {
                let row_seg = self.index_axis(obj, r, true, idx.span)?;
                let row_seg = self.insert_axis(row_seg, ins, c, false, idx.span)?;
                self.insert_axis(obj, row_seg, r, true, idx.span)
            }
            (Some(r), None) => self.insert_axis(obj, ins, r, true, idx.span),
            (None, Some(c)) => self.insert_axis(obj, ins, c, false, idx.span),
            (None, None) => Ok(ins),
        }
    }

    fn insert_axis(&mut self, obj: Value, ins: Value, r: &IndexRange, rows: bool, span: Span) -> LResult<Value> {
        let (insert, num) =
            if rows { (OpKind::InsertRow, OpKind::NumRows) } else { (OpKind::InsertCol, OpKind::NumCols) };
        let (lo, hi) = match r {
            IndexRange::Single(e) => {
                let pos = self.expr(e)?;
                let pt = self.ty(pos).clone();
                if pt.is_object() {
                    return Err(self.error(
                        "E0207",
                        e.span,
                        "left indexing with positions as a data object is not supported (yet)",
                    ));
                }
                if pt.is_str() {
                    return Err(self.error("E0207", e.span, "left indexing by label is not supported yet"));
                }
                let lo = self.cast_si64(pos, e.span);
                let one = self.constant(Const::SI64(1), e.span);
                let hi = self.emit1(OpKind::EwAdd, vec![lo, one], e.span)?;
                let hi = self.cast_si64(hi, e.span);
                (lo, hi)
            }
            IndexRange::Slice { lo, hi } => {
                let lo_v = match lo {
                    Some(e) => {
                        let v = self.expr(e)?;
                        self.cast_si64(v, e.span)
                    }
                    None => self.constant(Const::SI64(0), span),
                };
                let hi_v = match hi {
                    Some(e) => {
                        let v = self.expr(e)?;
                        self.cast_si64(v, e.span)
                    }
                    None => {
                        let n = self.emit1(num, vec![obj], span)?;
                        self.cast_si64(n, span)
                    }
                };
                (lo_v, hi_v)
            }
        };
        let ty = self.ty(obj).clone();
        Ok(self.emit_typed(insert, vec![obj, ins, lo, hi], vec![ty], Attrs::new(), span)[0])
    }

    // -------------------------------------------------------------------------------------
    // Matrix and frame literals
    // -------------------------------------------------------------------------------------

    fn matrix_literal(
        &mut self,
        elems: &[Expr],
        shape: Option<&crate::ast::LiteralShape>,
        span: Span,
    ) -> LResult<Value> {
        if elems.is_empty() {
            return Err(self.error("E0213", span, "empty matrix literals are not supported"));
        }
        let n = elems.len();
        let (rows, cols) = match shape {
            None | Some((None, None)) => {
                let r = self.constant(Const::Index(n as i64), span);
                let c = self.constant(Const::Index(1), span);
                (r, c)
            }
            Some((Some(r), Some(c))) => {
                let cv = self.expr(c)?;
                let rv = self.expr(r)?;
                (self.cast_size(rv, r.span), self.cast_size(cv, c.span))
            }
            Some((None, Some(c))) => {
                let cv = self.expr(c)?;
                let cv = self.cast_size(cv, c.span);
                let total = self.constant(Const::Index(n as i64), span);
                let rv = self.emit1(OpKind::EwDiv, vec![total, cv], span)?;
                (self.cast_size(rv, span), cv)
            }
            Some((Some(r), None)) => {
                let rv = self.expr(r)?;
                let rv = self.cast_size(rv, r.span);
                let total = self.constant(Const::Index(n as i64), span);
                let cv = self.emit1(OpKind::EwDiv, vec![total, rv], span)?;
                (rv, self.cast_size(cv, span))
            }
        };
        let mut values = Vec::with_capacity(n);
        for e in elems {
            values.push((self.expr(e)?, e.span));
        }
        let col = self.column_from_values(&values, span)?;
        let ty = Type::matrix_of(self.ty(col).value_type());
        Ok(self.emit_typed(OpKind::Reshape, vec![col, rows, cols], vec![ty], Attrs::new(), span)[0])
    }

    /// Builds an n x 1 matrix from scalar values: a `daphne.matrixConstant` holding the values
    /// known at compile time, then one `insertRow` per value that is not.
    fn column_from_values(&mut self, values: &[(Value, Span)], span: Span) -> LResult<Value> {
        let mut vt: Option<ValueType> = None;
        for (v, s) in values {
            let t = self.ty(*v).clone();
            let Type::Scalar(evt) = t else {
                return Err(self.error(
                    "E0213",
                    *s,
                    format!("matrix literal elements must be scalars, but this is a {}", t.data_type_name()),
                ));
            };
            vt = Some(vt.map_or(evt, |x| x.most_general(evt)));
        }
        let Some(vt) = vt else {
            return Err(self.error("E0213", span, "empty matrix literals are not supported"));
        };
        if vt == ValueType::Str && values.iter().any(|(v, _)| !self.ty(*v).is_str()) {
            return Err(self.error("E0213", span, "a matrix literal cannot mix strings and numbers"));
        }
        let mut cells = Vec::with_capacity(values.len());
        let mut dynamic = Vec::new();
        for (i, (v, _)) in values.iter().enumerate() {
            match self.const_of(*v).and_then(|c| convert_const(&c, vt)) {
                Some(c) => cells.push(c),
                None => {
                    cells.push(default_const(vt));
                    dynamic.push(i);
                }
            }
        }
        let dense = DenseAttr { vt, rows: values.len() as u64, cols: 1, values: cells };
        let mut attrs = Attrs::new();
        attrs.insert("value".into(), Attr::Dense(dense));
        let mut col = self.emit(OpKind::MatrixConstant, vec![], attrs, span)?[0];
        let mat_ty = Type::matrix_of(Some(vt));
        for i in dynamic {
            let (v, s) = values[i];
            let v = self.cast_if(Type::Scalar(vt), v, s);
            let cell = self.emit_typed(OpKind::Cast, vec![v], vec![mat_ty.clone()], Attrs::new(), s)[0];
            let lo = self.constant(Const::SI64(i as i64), s);
            let hi = self.constant(Const::SI64(i as i64 + 1), s);
            col = self.emit_typed(OpKind::InsertRow, vec![col, cell, lo, hi], vec![mat_ty.clone()], Attrs::new(), s)[0];
        }
        Ok(col)
    }

    fn frame_cols_literal(&mut self, cols: &[(Expr, Expr)], span: Span) -> LResult<Value> {
        let mut labels = Vec::new();
        let mut columns = Vec::new();
        for (l, c) in cols {
            let lv = self.expr(l)?;
            let cv = self.expr(c)?;
            if !self.ty(lv).is_str() {
                return Err(self.error("E0213", l.span, "labels for frame literals must be strings"));
            }
            if !self.ty(cv).is_matrix() {
                return Err(self.error("E0213", c.span, "columns for frame literals must be matrices"));
            }
            labels.push(lv);
            columns.push(cv);
        }
        if columns.is_empty() {
            return Err(self.error("E0213", span, "empty frame literals are not supported"));
        }
        let mut operands = columns;
        operands.extend(labels);
        Ok(self.emit(OpKind::CreateFrame, operands, Attrs::new(), span)?[0])
    }

    fn frame_rows_literal(&mut self, labels: &[Expr], rows: &[Vec<Expr>], span: Span) -> LResult<Value> {
        if labels.is_empty() || rows.is_empty() {
            return Err(self.error("E0213", span, "empty frame literals are not supported"));
        }
        let mut label_values = Vec::new();
        for l in labels {
            let lv = self.expr(l)?;
            if !self.ty(lv).is_str() {
                return Err(self.error("E0213", l.span, "labels for frame literals must be strings"));
            }
            label_values.push(lv);
        }
        let mut columns: Vec<Vec<(Value, Span)>> = vec![Vec::new(); labels.len()];
        for row in rows {
            if row.len() != labels.len() {
                let row_span = row.first().map_or(span, |f| f.span.to(row.last().map_or(f.span, |l| l.span)));
                return Err(self.error("E0213", row_span, "size of row does not match the number of labels"));
            }
            for (j, e) in row.iter().enumerate() {
                let v = self.expr(e)?;
                columns[j].push((v, e.span));
            }
        }
        let mut operands = Vec::new();
        for col in &columns {
            operands.push(self.column_from_values(col, span)?);
        }
        operands.extend(label_values);
        Ok(self.emit(OpKind::CreateFrame, operands, Attrs::new(), span)?[0])
    }
}

/// Same data type and value type, shape unknown (`TypeFromFirstArg` for a result).
pub(crate) fn same_vt(t: &Type) -> Type {
    match t {
        Type::Matrix(m) => Type::matrix_of(m.vt),
        Type::Frame(f) => Type::Frame(f.with_same_column_types()),
        other => other.clone(),
    }
}

/// The zero of a value type (placeholder for cells filled at run time).
fn default_const(vt: ValueType) -> Const {
    match vt {
        ValueType::F64 => Const::F64(0.0),
        ValueType::F32 => Const::F32(0.0),
        ValueType::Str => Const::Str(String::new()),
        other => Const::int_of(other, 0).unwrap_or(Const::SI64(0)),
    }
}

/// Converts a constant to another value type as a C++ static cast would.
fn convert_const(c: &Const, vt: ValueType) -> Option<Const> {
    if c.value_type() == vt {
        return Some(c.clone());
    }
    match vt {
        ValueType::Str => None,
        ValueType::F64 => c.as_f64().map(Const::F64),
        ValueType::F32 => c.as_f64().map(|v| Const::F32(v as f32)),
        ValueType::Bool => c.as_f64().map(|v| Const::Bool(v != 0.0)),
        int => match c {
            Const::F64(v) => Const::int_of(int, *v as i128),
            Const::F32(v) => Const::int_of(int, *v as i128),
            other => other.as_i128().and_then(|v| Const::int_of(int, v)),
        },
    }
}
