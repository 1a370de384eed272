//! Recursive-descent parser for DaphneDSL with DAPHNE's operator precedence (highest first:
//! indexing, unary `+`/`-`, `@`, `^`, `%`, `* /`, `+ -`, comparisons, `&&`, `||`, `?:`, all binary
//! operators left-associative). On a syntax error it reports a diagnostic, skips to the end of the
//! statement and goes on, so one run reports several errors.

use crate::ast::*;
use crate::lexer::{Tok, Token};
use daphne_ir::ValueType;
use daphne_ir::diag::{Diagnostic, Span};

/// Nesting deeper than this is reported instead of exhausting the stack.
const MAX_DEPTH: usize = 200;
/// After this many errors the parser stops reporting.
const MAX_ERRORS: usize = 20;

/// Parses a token stream (ending with `Eof`) into a script.
pub fn parse(tokens: Vec<Token>) -> (Script, Vec<Diagnostic>) {
    let mut p = Parser { tokens, pos: 0, diags: Vec::new(), depth: 0 };
    let mut stmts = Vec::new();
    while !p.at_eof() {
        if p.diags.len() >= MAX_ERRORS {
            break;
        }
        match p.statement() {
            Ok(s) => stmts.push(s),
            Err(Fail) => p.synchronize(),
        }
        if p.at_punct("}") {
            let span = p.span();
            p.error(span, "unexpected `}` without a matching `{`");
            p.bump();
        }
    }
    (Script { stmts }, p.diags)
}

/// Parses a single literal (used for the values of script arguments, which DAPHNE re-lexes as
/// DaphneDSL literals). Returns `None` unless the tokens are exactly one literal.
pub fn parse_literal(tokens: Vec<Token>) -> Option<Expr> {
    let mut p = Parser { tokens, pos: 0, diags: Vec::new(), depth: 0 };
    let tok = p.bump();
    let kind = match tok.tok {
        Tok::Int { digits, suffix } => ExprKind::Int { digits, suffix },
        Tok::Float { text, single } => ExprKind::Float { text, single },
        Tok::Str(s) => ExprKind::Str(s),
        Tok::Keyword("true") => ExprKind::Bool(true),
        Tok::Keyword("false") => ExprKind::Bool(false),
        _ => return None,
    };
    if !p.at_eof() {
        return None;
    }
    Some(Expr { kind, span: tok.span })
}

/// Marks a failed parse; the diagnostic has already been recorded.
#[derive(Debug)]
struct Fail;

type PResult<T> = Result<T, Fail>;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    depth: usize,
}

fn binary_op(tok: &Tok) -> Option<(BinOp, u8)> {
    let Tok::Punct(p) = tok else { return None };
    Some(match *p {
        "||" => (BinOp::Or, 1),
        "&&" => (BinOp::And, 2),
        "==" => (BinOp::Eq, 3),
        "!=" => (BinOp::Neq, 3),
        "<" => (BinOp::Lt, 3),
        "<=" => (BinOp::Le, 3),
        ">" => (BinOp::Gt, 3),
        ">=" => (BinOp::Ge, 3),
        "+" => (BinOp::Add, 4),
        "-" => (BinOp::Sub, 4),
        "*" => (BinOp::Mul, 5),
        "/" => (BinOp::Div, 5),
        "%" => (BinOp::Mod, 6),
        "^" => (BinOp::Pow, 7),
        "@" => (BinOp::MatMul, 8),
        _ => return None,
    })
}

/// Runs a recursive step on a bigger stack when the current one runs low, so that the nesting
/// limit, not the thread's stack size, bounds how deep a script may nest.
pub(crate) fn grow_stack<T>(f: impl FnOnce() -> T) -> T {
    stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, f)
}

/// The precedence of `?:` (lowest).
const COND_PREC: u8 = 0;

impl Parser {
    // -------------------------------------------------------------------------------------
    // Token access
    // -------------------------------------------------------------------------------------

    fn peek(&self) -> &Tok {
        &self.tokens[self.pos.min(self.tokens.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.tokens[self.pos.min(self.tokens.len() - 1)].span
    }

    fn span_at(&self, n: usize) -> Span {
        self.tokens[(self.pos + n).min(self.tokens.len() - 1)].span
    }

    fn prev_span(&self) -> Span {
        if self.pos == 0 { self.span() } else { self.tokens[(self.pos - 1).min(self.tokens.len() - 1)].span }
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek(), Tok::Eof)
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos.min(self.tokens.len() - 1)].clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn at_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn at_keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Tok::Keyword(q) if *q == k)
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        if self.at_punct(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Two `[` (or `]`) tokens written without space between them.
    fn at_double(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
            && matches!(self.peek_at(1), Tok::Punct(q) if *q == p)
            && self.span().end == self.span_at(1).start
    }

    fn error(&mut self, span: Span, msg: impl Into<String>) {
        if self.diags.len() < MAX_ERRORS {
            self.diags.push(Diagnostic::error("E0101", msg).with_span(span));
        }
    }

    fn expected(&mut self, what: &str) -> Fail {
        let span = self.span();
        let found = self.peek().describe();
        if self.diags.len() < MAX_ERRORS {
            self.diags.push(
                Diagnostic::error("E0101", format!("expected {what}, found {found}"))
                    .with_span(span)
                    .with_label(format!("expected {what}")),
            );
        }
        Fail
    }

    fn expect_punct(&mut self, p: &str) -> PResult<Span> {
        if self.at_punct(p) { Ok(self.bump().span) } else { Err(self.expected(&format!("`{p}`"))) }
    }

    fn expect_ident(&mut self, what: &str) -> PResult<Name> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let span = self.bump().span;
                Ok(Name { name, span })
            }
            _ => Err(self.expected(what)),
        }
    }

    /// Skips to the end of the current statement: past the next `;` or to the next `}` at the
    /// current nesting level.
    fn synchronize(&mut self) {
        let mut depth: i32 = 0;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Punct("(" | "[" | "{") => depth += 1,
                Tok::Punct(")" | "]") => depth -= 1,
                Tok::Punct("}") => {
                    if depth <= 0 {
                        return;
                    }
                    depth -= 1;
                }
                Tok::Punct(";") if depth <= 0 => {
                    self.bump();
                    return;
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.span();
            if self.diags.len() < MAX_ERRORS {
                self.diags.push(Diagnostic::error("E0103", "the script is nested too deeply").with_span(span));
            }
            return Err(Fail);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // -------------------------------------------------------------------------------------
    // Statements
    // -------------------------------------------------------------------------------------

    fn statement(&mut self) -> PResult<Stmt> {
        self.enter()?;
        let r = grow_stack(|| self.statement_inner());
        self.leave();
        r
    }

    fn statement_inner(&mut self) -> PResult<Stmt> {
        let start = self.span();
        match self.peek().clone() {
            Tok::Punct("{") => {
                let stmts = self.block()?;
                self.eat_punct(";");
                Ok(Stmt { kind: StmtKind::Block(stmts), span: start.to(self.prev_span()) })
            }
            Tok::Keyword("if") => {
                self.bump();
                self.expect_punct("(")?;
                let cond = self.expr(COND_PREC)?;
                self.expect_punct(")")?;
                let then_branch = Box::new(self.statement()?);
                let else_branch = if self.at_keyword("else") {
                    self.bump();
                    Some(Box::new(self.statement()?))
                } else {
                    None
                };
                Ok(Stmt { kind: StmtKind::If { cond, then_branch, else_branch }, span: start.to(self.prev_span()) })
            }
            Tok::Keyword("while") => {
                self.bump();
                self.expect_punct("(")?;
                let cond = self.expr(COND_PREC)?;
                self.expect_punct(")")?;
                let body = Box::new(self.statement()?);
                Ok(Stmt { kind: StmtKind::While { cond, body, do_while: false }, span: start.to(self.prev_span()) })
            }
            Tok::Keyword("do") => {
                self.bump();
                let body = Box::new(self.statement()?);
                if !self.at_keyword("while") {
                    return Err(self.expected("`while` after the body of a do-while loop"));
                }
                self.bump();
                self.expect_punct("(")?;
                let cond = self.expr(COND_PREC)?;
                self.expect_punct(")")?;
                self.eat_punct(";");
                Ok(Stmt { kind: StmtKind::While { cond, body, do_while: true }, span: start.to(self.prev_span()) })
            }
            Tok::Keyword("for") => {
                self.bump();
                self.expect_punct("(")?;
                let var = self.expect_ident("the loop variable")?;
                if !self.at_keyword("in") {
                    return Err(self.expected("`in`"));
                }
                self.bump();
                let from = self.expr(COND_PREC)?;
                self.expect_punct(":")?;
                let to = self.expr(COND_PREC)?;
                let step = if self.eat_punct(":") { Some(self.expr(COND_PREC)?) } else { None };
                self.expect_punct(")")?;
                let body = Box::new(self.statement()?);
                Ok(Stmt { kind: StmtKind::For { var, from, to, step, body }, span: start.to(self.prev_span()) })
            }
            Tok::Keyword("def") => self.func_def(),
            Tok::Keyword("return") => {
                self.bump();
                let mut values = Vec::new();
                if !self.at_punct(";") {
                    values.push(self.expr(COND_PREC)?);
                    while self.eat_punct(",") {
                        values.push(self.expr(COND_PREC)?);
                    }
                }
                self.expect_punct(";")?;
                Ok(Stmt { kind: StmtKind::Return(values), span: start.to(self.prev_span()) })
            }
            Tok::Keyword("import") => {
                self.bump();
                let Tok::Str(path) = self.peek().clone() else {
                    return Err(self.expected("the imported file as a string literal"));
                };
                self.bump();
                let alias = if self.at_keyword("as") {
                    self.bump();
                    let Tok::Str(alias) = self.peek().clone() else {
                        return Err(self.expected("the alias as a string literal"));
                    };
                    self.bump();
                    Some(alias)
                } else {
                    None
                };
                self.expect_punct(";")?;
                Ok(Stmt { kind: StmtKind::Import { path, alias }, span: start.to(self.prev_span()) })
            }
            Tok::Keyword("else") => {
                let span = self.span();
                self.error(span, "`else` without a matching `if`");
                Err(Fail)
            }
            _ => self.expr_or_assign(),
        }
    }

    /// `{ statement* }` with recovery inside.
    fn block(&mut self) -> PResult<Vec<Stmt>> {
        let open = self.expect_punct("{")?;
        let mut stmts = Vec::new();
        loop {
            if self.at_punct("}") {
                self.bump();
                return Ok(stmts);
            }
            if self.at_eof() {
                if self.diags.len() < MAX_ERRORS {
                    let span = self.span();
                    self.diags.push(
                        Diagnostic::error("E0101", "expected `}`, found end of file")
                            .with_span(span)
                            .with_note(format!("the block opened at byte {} is not closed", open.start)),
                    );
                }
                return Err(Fail);
            }
            if self.diags.len() >= MAX_ERRORS {
                return Err(Fail);
            }
            match self.statement() {
                Ok(s) => stmts.push(s),
                Err(Fail) => self.synchronize(),
            }
        }
    }

    fn expr_or_assign(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let first = self.expr(COND_PREC)?;
        if self.at_punct("=") || self.at_punct(",") {
            let mut targets = vec![self.assign_target(first)?];
            while self.eat_punct(",") {
                let e = self.expr(COND_PREC)?;
                targets.push(self.assign_target(e)?);
            }
            self.expect_punct("=")?;
            let value = self.expr(COND_PREC)?;
            self.expect_punct(";")?;
            return Ok(Stmt { kind: StmtKind::Assign { targets, value }, span: start.to(self.prev_span()) });
        }
        if !self.at_punct(";") {
            return Err(self.expected("`;` at the end of the statement"));
        }
        self.bump();
        Ok(Stmt { kind: StmtKind::Expr(first), span: start.to(self.prev_span()) })
    }

    fn assign_target(&mut self, e: Expr) -> PResult<AssignTarget> {
        match e.kind {
            ExprKind::Ident(name) => Ok(AssignTarget { name: Name { name, span: e.span }, indexing: None }),
            ExprKind::Index { obj, idx } => match obj.kind {
                ExprKind::Ident(name) => Ok(AssignTarget { name: Name { name, span: obj.span }, indexing: Some(idx) }),
                _ => self.bad_target(e.span),
            },
            _ => self.bad_target(e.span),
        }
    }

    fn bad_target(&mut self, span: Span) -> PResult<AssignTarget> {
        if self.diags.len() < MAX_ERRORS {
            self.diags.push(
                Diagnostic::error("E0102", "invalid left-hand side of an assignment")
                    .with_span(span)
                    .with_label("expected a variable, optionally with `[rows, cols]` indexing"),
            );
        }
        Err(Fail)
    }

    fn func_def(&mut self) -> PResult<Stmt> {
        let start = self.bump().span; // `def`
        let name = self.expect_ident("the function name")?;
        self.expect_punct("(")?;
        let mut params = Vec::new();
        while !self.at_punct(")") {
            let pname = self.expect_ident("a parameter name")?;
            let ty = if self.eat_punct(":") { Some(self.type_ann()?) } else { None };
            params.push(Param { name: pname, ty });
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")")?;
        let results = if self.eat_punct("->") {
            let mut tys = vec![self.type_ann()?];
            while self.eat_punct(",") {
                tys.push(self.type_ann()?);
            }
            Some(tys)
        } else {
            None
        };
        if !self.at_punct("{") {
            return Err(self.expected("`{` starting the function body"));
        }
        let body = self.block()?;
        let end = self.prev_span();
        self.eat_punct(";");
        Ok(Stmt { kind: StmtKind::Func(FuncDef { name, params, results, body, end }), span: start.to(end) })
    }

    /// `matrix`, `matrix<f64>`, `frame`, `scalar`, or a value type.
    fn type_ann(&mut self) -> PResult<TypeAnn> {
        let span = self.span();
        match self.peek().clone() {
            Tok::DataType(dt) => {
                self.bump();
                let value_type = if self.eat_punct("<") {
                    let vt = self.value_type()?;
                    self.expect_punct(">")?;
                    Some(vt)
                } else {
                    None
                };
                Ok(TypeAnn::Data { data_type: dt, value_type, span: span.to(self.prev_span()) })
            }
            Tok::ValueType(_) => {
                let value_type = self.value_type()?;
                Ok(TypeAnn::Value { value_type, span })
            }
            _ => Err(self.expected("a type (`matrix`, `matrix<f64>`, `si64`, ...)")),
        }
    }

    fn value_type(&mut self) -> PResult<ValueType> {
        match self.peek().clone() {
            Tok::ValueType(v) => {
                self.bump();
                ValueType::from_dsl_name(v).ok_or(Fail)
            }
            _ => Err(self.expected("a value type (`f64`, `si64`, `str`, ...)")),
        }
    }

    // -------------------------------------------------------------------------------------
    // Expressions
    // -------------------------------------------------------------------------------------

    fn expr(&mut self, min_prec: u8) -> PResult<Expr> {
        self.enter()?;
        let r = grow_stack(|| self.expr_inner(min_prec));
        self.leave();
        r
    }

    fn expr_inner(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.unary()?;
        loop {
            if self.at_punct("?") {
                if COND_PREC < min_prec {
                    break;
                }
                self.bump();
                let then_val = self.expr(COND_PREC)?;
                self.expect_punct(":")?;
                let else_val = self.expr(COND_PREC + 1)?;
                let span = lhs.span.to(else_val.span);
                lhs = Expr {
                    kind: ExprKind::Cond {
                        cond: Box::new(lhs),
                        then_val: Box::new(then_val),
                        else_val: Box::new(else_val),
                    },
                    span,
                };
                continue;
            }
            let Some((op, prec)) = binary_op(self.peek()) else {
                break;
            };
            if prec < min_prec {
                break;
            }
            let op_span = self.bump().span;
            let kernel = if matches!(op, BinOp::Mul | BinOp::Div | BinOp::Add | BinOp::Sub) && self.eat_punct("::") {
                Some(self.expect_ident("a kernel name after `::`")?.name)
            } else {
                None
            };
            let rhs = self.expr(prec + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr { kind: ExprKind::Binary { op, kernel, lhs: Box::new(lhs), rhs: Box::new(rhs), op_span }, span };
        }
        Ok(lhs)
    }

    /// Prefix `+`/`-`, then a primary with its postfix indexing.
    fn unary(&mut self) -> PResult<Expr> {
        let op = match self.peek() {
            Tok::Punct("-") => Some(UnaryOp::Minus),
            Tok::Punct("+") => Some(UnaryOp::Plus),
            _ => None,
        };
        if let Some(op) = op {
            self.enter()?;
            let start = self.bump().span;
            let arg = grow_stack(|| self.unary());
            self.leave();
            let arg = arg?;
            let span = start.to(arg.span);
            return Ok(Expr { kind: ExprKind::Unary { op, arg: Box::new(arg) }, span });
        }
        let mut e = self.primary()?;
        loop {
            if self.at_double("[") {
                self.bump();
                self.bump();
                let rows = if self.at_punct(",") { None } else { Some(Box::new(self.expr(COND_PREC)?)) };
                self.expect_punct(",")?;
                let cols = if self.at_punct("]") { None } else { Some(Box::new(self.expr(COND_PREC)?)) };
                self.expect_punct("]")?;
                self.expect_punct("]")?;
                let span = e.span.to(self.prev_span());
                e = Expr { kind: ExprKind::Filter { obj: Box::new(e), rows, cols }, span };
            } else if self.at_punct("[") {
                let idx = self.indexing()?;
                let span = e.span.to(idx.span);
                e = Expr { kind: ExprKind::Index { obj: Box::new(e), idx }, span };
            } else {
                break;
            }
        }
        Ok(e)
    }

    /// `[rows?, cols?]` (the comma is mandatory, as in DAPHNE).
    fn indexing(&mut self) -> PResult<Indexing> {
        let start = self.expect_punct("[")?;
        let rows = if self.at_punct(",") { None } else { Some(self.index_range()?) };
        if !self.at_punct(",") {
            return Err(self.expected("`,` in the indexing (write `X[i, ]` for rows, `X[, j]` for columns)"));
        }
        self.bump();
        let cols = if self.at_punct("]") { None } else { Some(self.index_range()?) };
        let end = self.expect_punct("]")?;
        Ok(Indexing { rows, cols, span: start.to(end) })
    }

    fn index_range(&mut self) -> PResult<IndexRange> {
        let lo = if self.at_punct(":") { None } else { Some(Box::new(self.expr(COND_PREC)?)) };
        if !self.eat_punct(":") {
            return match lo {
                Some(e) => Ok(IndexRange::Single(e)),
                None => Err(self.expected("an index")),
            };
        }
        let hi = if self.at_punct(",") || self.at_punct("]") { None } else { Some(Box::new(self.expr(COND_PREC)?)) };
        Ok(IndexRange::Slice { lo, hi })
    }

    fn primary(&mut self) -> PResult<Expr> {
        let start = self.span();
        let tok = self.peek().clone();
        let kind = match tok {
            Tok::Int { digits, suffix } => {
                self.bump();
                ExprKind::Int { digits, suffix }
            }
            Tok::Float { text, single } => {
                self.bump();
                ExprKind::Float { text, single }
            }
            Tok::Str(s) => {
                self.bump();
                ExprKind::Str(s)
            }
            Tok::Keyword("true") => {
                self.bump();
                ExprKind::Bool(true)
            }
            Tok::Keyword("false") => {
                self.bump();
                ExprKind::Bool(false)
            }
            Tok::Punct("$") => {
                self.bump();
                let name = self.expect_ident("the name of a script argument after `$`")?;
                return Ok(Expr { kind: ExprKind::Arg(name.name), span: start.to(name.span) });
            }
            Tok::Ident(_) => return self.name_or_call(),
            Tok::Punct("(") => {
                self.bump();
                let inner = self.expr(COND_PREC)?;
                let end = self.expect_punct(")")?;
                return Ok(Expr { kind: inner.kind, span: start.to(end) });
            }
            Tok::Keyword("as") => return self.cast(),
            Tok::Punct("[") => return self.matrix_literal(),
            Tok::Punct("{") => return self.frame_literal(),
            _ => return Err(self.expected("an expression")),
        };
        Ok(Expr { kind, span: start })
    }

    fn name_or_call(&mut self) -> PResult<Expr> {
        let first = self.expect_ident("a name")?;
        let mut name = first.name;
        let mut span = first.span;
        while self.at_punct(".") && matches!(self.peek_at(1), Tok::Ident(_)) {
            self.bump();
            let part = self.expect_ident("a name after `.`")?;
            name.push('.');
            name.push_str(&part.name);
            span = span.to(part.span);
        }
        let kernel = if self.at_punct("::") {
            self.bump();
            Some(self.expect_ident("a kernel name after `::`")?.name)
        } else {
            None
        };
        if !self.at_punct("(") {
            if kernel.is_some() {
                return Err(self.expected("`(` after the kernel hint"));
            }
            return Ok(Expr { kind: ExprKind::Ident(name), span });
        }
        self.bump();
        let mut args = Vec::new();
        while !self.at_punct(")") {
            let arg_name = if matches!(self.peek(), Tok::Ident(_)) && matches!(self.peek_at(1), Tok::Punct("=")) {
                let n = self.expect_ident("an argument name")?;
                self.bump(); // `=`
                Some(n)
            } else {
                None
            };
            let value = self.expr(COND_PREC)?;
            args.push(CallArg { name: arg_name, value });
            if !self.eat_punct(",") {
                break;
            }
        }
        let end = self.expect_punct(")")?;
        Ok(Expr { kind: ExprKind::Call { name: Name { name, span }, kernel, args }, span: span.to(end) })
    }

    /// `as.matrix<vt>(e)`, `as.matrix(e)`, `as.vt(e)`, `as.frame(e)`, `as.scalar(e)`.
    fn cast(&mut self) -> PResult<Expr> {
        let start = self.bump().span; // `as`
        self.expect_punct(".")?;
        let (data_type, value_type) = match self.peek().clone() {
            Tok::DataType(dt) => {
                self.bump();
                let vt = if self.eat_punct("<") {
                    let vt = self.value_type()?;
                    self.expect_punct(">")?;
                    Some(vt)
                } else {
                    None
                };
                (Some(dt), vt)
            }
            Tok::ValueType(_) => (None, Some(self.value_type()?)),
            _ => return Err(self.expected("a data type or value type after `as.`")),
        };
        self.expect_punct("(")?;
        let arg = self.expr(COND_PREC)?;
        let end = self.expect_punct(")")?;
        Ok(Expr { kind: ExprKind::Cast { data_type, value_type, arg: Box::new(arg) }, span: start.to(end) })
    }

    fn matrix_literal(&mut self) -> PResult<Expr> {
        let start = self.expect_punct("[")?;
        let mut elems = Vec::new();
        if !self.at_punct("]") {
            elems.push(self.expr(COND_PREC)?);
            while self.eat_punct(",") {
                elems.push(self.expr(COND_PREC)?);
            }
        }
        let mut end = self.expect_punct("]")?;
        let shape = if self.at_punct("(") {
            self.bump();
            let rows = if self.at_punct(",") { None } else { Some(Box::new(self.expr(COND_PREC)?)) };
            self.expect_punct(",")?;
            let cols = if self.at_punct(")") { None } else { Some(Box::new(self.expr(COND_PREC)?)) };
            end = self.expect_punct(")")?;
            Some((rows, cols))
        } else {
            None
        };
        Ok(Expr { kind: ExprKind::Matrix { elems, shape }, span: start.to(end) })
    }

    fn frame_literal(&mut self) -> PResult<Expr> {
        let start = self.expect_punct("{")?;
        if self.at_punct("[") {
            let labels = self.frame_row()?;
            let mut rows = Vec::new();
            while self.eat_punct(",") {
                rows.push(self.frame_row()?);
            }
            let end = self.expect_punct("}")?;
            return Ok(Expr { kind: ExprKind::FrameRows { labels, rows }, span: start.to(end) });
        }
        let mut cols = Vec::new();
        if !self.at_punct("}") {
            loop {
                let label = self.expr(COND_PREC)?;
                self.expect_punct(":")?;
                let col = self.expr(COND_PREC)?;
                cols.push((label, col));
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        let end = self.expect_punct("}")?;
        Ok(Expr { kind: ExprKind::FrameCols(cols), span: start.to(end) })
    }

    fn frame_row(&mut self) -> PResult<Vec<Expr>> {
        self.expect_punct("[")?;
        let mut items = Vec::new();
        if !self.at_punct("]") {
            items.push(self.expr(COND_PREC)?);
            while self.eat_punct(",") {
                items.push(self.expr(COND_PREC)?);
            }
        }
        self.expect_punct("]")?;
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    fn parse_ok(src: &str) -> Script {
        let (tokens, ld) = lex(0, src);
        assert!(ld.is_empty(), "{ld:?}");
        let (s, d) = parse(tokens);
        assert!(d.is_empty(), "{d:?}");
        s
    }

    fn expr_of(src: &str) -> Expr {
        match parse_ok(src).stmts.remove(0).kind {
            StmtKind::Expr(e) => e,
            other => panic!("not an expression statement: {other:?}"),
        }
    }

    /// Renders an expression fully parenthesized, to check precedence.
    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Int { digits, .. } => digits.clone(),
            ExprKind::Ident(n) => n.clone(),
            ExprKind::Unary { op, arg } => format!("({}{})", if *op == UnaryOp::Minus { "-" } else { "+" }, show(arg)),
            ExprKind::Binary { op, lhs, rhs, .. } => {
                format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
            }
            ExprKind::Cond { cond, then_val, else_val } => {
                format!("({} ? {} : {})", show(cond), show(then_val), show(else_val))
            }
            ExprKind::Index { obj, .. } => format!("{}[..]", show(obj)),
            ExprKind::Filter { obj, .. } => format!("{}[[..]]", show(obj)),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn precedence_matches_daphne() {
        assert_eq!(show(&expr_of("-2^2;")), "((-2) ^ 2)");
        assert_eq!(show(&expr_of("a^b^c;")), "((a ^ b) ^ c)");
        assert_eq!(show(&expr_of("a + b * c % d;")), "(a + (b * (c % d)))");
        assert_eq!(show(&expr_of("-a @ b ^ c;")), "(((-a) @ b) ^ c)");
        assert_eq!(show(&expr_of("a < b && c || d;")), "(((a < b) && c) || d)");
        assert_eq!(show(&expr_of("a ? b : c ? d : e;")), "((a ? b : c) ? d : e)");
        assert_eq!(show(&expr_of("-X[1, 2];")), "(-X[..])");
        assert_eq!(show(&expr_of("X[[a, ]][1, ];")), "X[[..]][..]");
    }

    #[test]
    fn statements_parse() {
        let s = parse_ok(
            "a, b = f(x, n=2); X[1:3, 2] = Y; for (i in 1:10:2) { s = s + i; } do { i = i - 1; } while (i > 0);\n\
             def g(a: matrix<f64>, b) -> matrix<f64>, si64 { return a, b; } import \"lib.daph\" as \"l\";",
        );
        assert_eq!(s.stmts.len(), 6);
        assert!(matches!(&s.stmts[0].kind, StmtKind::Assign { targets, .. } if targets.len() == 2));
        assert!(matches!(&s.stmts[1].kind, StmtKind::Assign { targets, .. } if targets[0].indexing.is_some()));
    }

    #[test]
    fn recovery_reports_several_errors() {
        let (tokens, _) = lex(0, "x = 1 +; y = ); z = 3;");
        let (s, d) = parse(tokens);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(s.stmts.len(), 1);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("x = {}1{};", "(".repeat(10_000), ")".repeat(10_000));
        let (tokens, _) = lex(0, &src);
        let (_, d) = parse(tokens);
        assert!(d.iter().any(|d| d.code == "E0103"));
    }
}
