//! Parser for the text form produced by `print.rs`. The text of a pipeline is what a worker
//! receives, so this parser takes untrusted input: it reports errors with line and column and
//! never panics, whatever the bytes.

use crate::attr::{Attr, Const, DenseAttr};
use crate::loc::Loc;
use crate::module::{Attrs, Block, Module, Op, Value};
use crate::ops::OpKind;
use crate::types::{FrameType, MatrixType, Opaque, Repr, Type, ValueType};
use std::collections::HashMap;
use std::fmt;

/// A syntax error in IR text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IR text {}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for ParseError {}

type PResult<T> = Result<T, ParseError>;

/// Nesting deeper than this (regions, arrays, types) is rejected instead of exhausting the stack.
const MAX_DEPTH: usize = 128;

/// Parses a whole module (`module { func.func ... }`).
pub fn parse_module(text: &str) -> PResult<Module> {
    let mut p = Parser::new(text);
    p.skip_ws();
    p.expect_word("module")?;
    p.expect("{")?;
    loop {
        p.skip_ws();
        if p.eat("}") {
            break;
        }
        if p.at_end() {
            return Err(p.error("unexpected end of input, expected `}` closing the module"));
        }
        p.parse_func()?;
    }
    p.skip_ws();
    if !p.at_end() {
        return Err(p.error("unexpected text after the module"));
    }
    Ok(p.module)
}

/// Parses one or more functions without the surrounding `module { }`.
pub fn parse_funcs(text: &str) -> PResult<Module> {
    let mut p = Parser::new(text);
    loop {
        p.skip_ws();
        if p.at_end() {
            break;
        }
        p.parse_func()?;
    }
    Ok(p.module)
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    module: Module,
    values: HashMap<String, Value>,
    depth: usize,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$' || b == b'-'
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser { src: text.as_bytes(), pos: 0, module: Module::new(), values: HashMap::new(), depth: 0 }
    }

    // -------------------------------------------------------------------------------------
    // Low-level scanning
    // -------------------------------------------------------------------------------------

    fn error(&self, message: impl Into<String>) -> ParseError {
        let upto = &self.src[..self.pos.min(self.src.len())];
        let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
        let col = upto.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        ParseError { line, col, message: message.into() }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else if b == b'/' && self.src.get(self.pos + 1) == Some(&b'/') {
                while let Some(b) = self.peek() {
                    if b == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn looking_at(&mut self, s: &str) -> bool {
        self.skip_ws();
        self.src[self.pos..].starts_with(s.as_bytes())
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.looking_at(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str) -> PResult<()> {
        if self.eat(s) { Ok(()) } else { Err(self.error(format!("expected `{s}`"))) }
    }

    fn word(&mut self) -> &'a str {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(is_ident_byte) {
            self.pos += 1;
        }
        // Identifier bytes are ASCII, so this slice is valid UTF-8.
        std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("")
    }

    fn expect_word(&mut self, w: &str) -> PResult<()> {
        let save = self.pos;
        let got = self.word();
        if got == w {
            Ok(())
        } else {
            self.pos = save;
            Err(self.error(format!("expected `{w}`")))
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if stacker::remaining_stack().is_some_and(|r| r < 32 * 1024) {
            return Err(self.error("nesting too deep for the available stack"));
        }
        if self.depth > MAX_DEPTH { Err(self.error("nesting too deep")) } else { Ok(()) }
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn parse_string(&mut self) -> PResult<String> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string literal"));
        }
        self.pos += 1;
        let mut bytes = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error("unterminated string literal"));
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated string literal"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => bytes.push(b'"'),
                        b'\\' => bytes.push(b'\\'),
                        b'n' => bytes.push(b'\n'),
                        b't' => bytes.push(b'\t'),
                        _ => {
                            let hi = (e as char).to_digit(16);
                            let lo = self.peek().and_then(|c| (c as char).to_digit(16));
                            match (hi, lo) {
                                (Some(h), Some(l)) => {
                                    self.pos += 1;
                                    bytes.push((h * 16 + l) as u8);
                                }
                                _ => {
                                    return Err(self.error("invalid escape sequence in string literal"));
                                }
                            }
                        }
                    }
                }
                _ => bytes.push(b),
            }
        }
        String::from_utf8(bytes).map_err(|_| self.error("string literal is not valid UTF-8"))
    }

    /// A number token: sign, digits, `.`, exponent, or a hex literal.
    fn number_text(&mut self) -> &'a str {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some(b'-') || self.peek() == Some(b'+') {
            self.pos += 1;
        }
        if self.src[self.pos..].starts_with(b"0x") {
            self.pos += 2;
            while self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
                self.pos += 1;
            }
        } else {
            while let Some(b) = self.peek() {
                let exp_sign =
                    (b == b'-' || b == b'+') && self.pos > start && matches!(self.src[self.pos - 1], b'e' | b'E');
                if b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || exp_sign {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("")
    }

    fn parse_u64(&mut self) -> PResult<u64> {
        let t = self.number_text();
        t.parse::<u64>().map_err(|_| self.error(format!("expected an unsigned integer, found `{t}`")))
    }

    // -------------------------------------------------------------------------------------
    // Types
    // -------------------------------------------------------------------------------------

    fn parse_type(&mut self) -> PResult<Type> {
        self.enter()?;
        let t = self.parse_type_inner();
        self.leave();
        t
    }

    fn parse_type_inner(&mut self) -> PResult<Type> {
        self.skip_ws();
        if self.eat("!daphne.") {
            let name = self.word();
            return match name {
                "Unknown" => Ok(Type::Unknown),
                "String" => Ok(Type::STR),
                "File" => Ok(Type::Opaque(Opaque::File)),
                "Target" => Ok(Type::Opaque(Opaque::Target)),
                "Descriptor" => Ok(Type::Opaque(Opaque::Descriptor)),
                "Matrix" => self.parse_matrix_body(),
                "Frame" => self.parse_frame_body(),
                "List" => {
                    self.expect("<")?;
                    let elem = self.parse_type()?;
                    self.expect(">")?;
                    Ok(Type::List(Box::new(elem)))
                }
                other => Err(self.error(format!("unknown type `!daphne.{other}`"))),
            };
        }
        let save = self.pos;
        let name = self.word();
        match ValueType::from_ir_name(name) {
            Some(vt) => Ok(Type::Scalar(vt)),
            None => {
                self.pos = save;
                Err(self.error(format!("expected a type, found `{name}`")))
            }
        }
    }

    fn parse_dim(&mut self) -> PResult<Option<u64>> {
        self.skip_ws();
        if self.peek() == Some(b'?') {
            self.pos += 1;
            return Ok(None);
        }
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let t = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
        t.parse::<u64>().map(Some).map_err(|_| self.error("expected a dimension (a number or `?`)"))
    }

    fn parse_elem_vt(&mut self) -> PResult<Option<ValueType>> {
        match self.parse_type()? {
            Type::Scalar(vt) => Ok(Some(vt)),
            Type::Unknown => Ok(None),
            other => Err(self.error(format!("`{other}` cannot be an element type"))),
        }
    }

    fn parse_matrix_body(&mut self) -> PResult<Type> {
        self.expect("<")?;
        let rows = self.parse_dim()?;
        if self.peek() != Some(b'x') {
            return Err(self.error("expected `x` after the number of rows"));
        }
        self.pos += 1;
        let cols = self.parse_dim()?;
        if self.peek() != Some(b'x') {
            return Err(self.error("expected `x` after the number of columns"));
        }
        self.pos += 1;
        let vt = self.parse_elem_vt()?;
        let mut m = MatrixType { rows, cols, vt, ..MatrixType::default() };
        while self.eat(":") {
            let prop = self.word();
            self.expect("[")?;
            match prop {
                "sp" => {
                    let t = self.number_text();
                    m.sparsity = Some(t.parse::<f64>().map_err(|_| self.error("invalid sparsity"))?);
                }
                "rep" => {
                    m.repr = match self.word() {
                        "dense" => Repr::Dense,
                        "sparse" => Repr::Sparse,
                        _ => return Err(self.error("expected `dense` or `sparse`")),
                    }
                }
                "symmetric" => {
                    m.symmetric = match self.word() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => return Err(self.error("expected `true` or `false`")),
                    }
                }
                other => return Err(self.error(format!("unknown matrix property `{other}`"))),
            }
            self.expect("]")?;
        }
        self.expect(">")?;
        Ok(Type::Matrix(m))
    }

    fn parse_frame_body(&mut self) -> PResult<Type> {
        self.expect("<")?;
        let rows = self.parse_dim()?;
        if self.peek() != Some(b'x') {
            return Err(self.error("expected `x` after the number of rows"));
        }
        self.pos += 1;
        self.expect("[")?;
        let cols = self.parse_dim()?;
        self.expect(":")?;
        let mut column_types = Vec::new();
        if !self.looking_at("]") {
            loop {
                column_types.push(self.parse_elem_vt()?);
                if !self.eat(",") {
                    break;
                }
            }
        }
        self.expect("]")?;
        self.expect(",")?;
        let labels = if self.eat("?") {
            None
        } else {
            self.expect("[")?;
            let mut labels = Vec::new();
            if !self.looking_at("]") {
                loop {
                    labels.push(self.parse_string()?);
                    if !self.eat(",") {
                        break;
                    }
                }
            }
            self.expect("]")?;
            Some(labels)
        };
        self.expect(">")?;
        Ok(Type::Frame(FrameType { rows, cols, column_types, labels }))
    }

    fn parse_type_list(&mut self) -> PResult<Vec<Type>> {
        self.expect("(")?;
        let mut types = Vec::new();
        if !self.eat(")") {
            loop {
                types.push(self.parse_type()?);
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        Ok(types)
    }

    /// `T` or `(T, ...)` after `->`.
    fn parse_result_types(&mut self) -> PResult<Vec<Type>> {
        if self.looking_at("(") { self.parse_type_list() } else { Ok(vec![self.parse_type()?]) }
    }

    // -------------------------------------------------------------------------------------
    // Attributes
    // -------------------------------------------------------------------------------------

    fn parse_attr(&mut self) -> PResult<Attr> {
        self.enter()?;
        let a = self.parse_attr_inner();
        self.leave();
        a
    }

    fn parse_attr_inner(&mut self) -> PResult<Attr> {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => Ok(Attr::Const(Const::Str(self.parse_string()?))),
            Some(b'@') => {
                self.pos += 1;
                if self.peek() == Some(b'"') {
                    Ok(Attr::Symbol(self.parse_string()?))
                } else {
                    let w = self.word();
                    if w.is_empty() {
                        return Err(self.error("expected a symbol name after `@`"));
                    }
                    Ok(Attr::Symbol(w.to_string()))
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.parse_attr()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Attr::Array(items))
            }
            Some(b) if b.is_ascii_digit() || b == b'-' || b == b'+' => self.parse_number_attr(),
            Some(b'!') => Ok(Attr::Type(self.parse_type()?)),
            _ => {
                let save = self.pos;
                match self.word() {
                    "true" => Ok(Attr::Const(Const::Bool(true))),
                    "false" => Ok(Attr::Const(Const::Bool(false))),
                    "dense" => self.parse_dense(),
                    _ => {
                        self.pos = save;
                        Ok(Attr::Type(self.parse_type()?))
                    }
                }
            }
        }
    }

    /// `5` (plain) or `5 : si64` / `1.5e+00 : f64` / `0x7FF0000000000000 : f64` (typed).
    fn parse_number_attr(&mut self) -> PResult<Attr> {
        let text = self.number_text();
        if !self.eat(":") {
            return text
                .parse::<i64>()
                .map(Attr::Int)
                .map_err(|_| self.error(format!("expected an integer, found `{text}`")));
        }
        let save = self.pos;
        let vt = match self.parse_type()? {
            Type::Scalar(vt) => vt,
            _ => {
                self.pos = save;
                return Err(self.error("expected a scalar type after `:`"));
            }
        };
        Ok(Attr::Const(self.const_of(text, vt)?))
    }

    fn const_of(&self, text: &str, vt: ValueType) -> PResult<Const> {
        let bad = || self.error(format!("`{text}` is not a valid {} value", vt.ir_name()));
        if vt.is_float() {
            let hex = text.strip_prefix("0x");
            return Ok(match vt {
                ValueType::F32 => Const::F32(match hex {
                    Some(h) => f32::from_bits(u32::from_str_radix(h, 16).map_err(|_| bad())?),
                    None => text.parse::<f32>().map_err(|_| bad())?,
                }),
                _ => Const::F64(match hex {
                    Some(h) => f64::from_bits(u64::from_str_radix(h, 16).map_err(|_| bad())?),
                    None => text.parse::<f64>().map_err(|_| bad())?,
                }),
            });
        }
        if vt == ValueType::Str {
            return Err(bad());
        }
        let v: i128 = text.parse().map_err(|_| bad())?;
        let in_range = match vt {
            ValueType::SI64 | ValueType::Index => i64::try_from(v).is_ok(),
            ValueType::SI32 => i32::try_from(v).is_ok(),
            ValueType::SI8 => i8::try_from(v).is_ok(),
            ValueType::UI64 => u64::try_from(v).is_ok(),
            ValueType::UI32 => u32::try_from(v).is_ok(),
            ValueType::UI8 => u8::try_from(v).is_ok(),
            ValueType::Bool => v == 0 || v == 1,
            _ => false,
        };
        if !in_range {
            return Err(bad());
        }
        Const::int_of(vt, v).ok_or_else(bad)
    }

    /// `dense<[v, ...]> : tensor<RxCxVT>`.
    fn parse_dense(&mut self) -> PResult<Attr> {
        self.expect("<")?;
        self.expect("[")?;
        let mut texts: Vec<DenseItem> = Vec::new();
        if !self.eat("]") {
            loop {
                self.skip_ws();
                let item = match self.peek() {
                    Some(b'"') => DenseItem::Str(self.parse_string()?),
                    _ => {
                        let save = self.pos;
                        match self.word() {
                            "true" => DenseItem::Bool(true),
                            "false" => DenseItem::Bool(false),
                            _ => {
                                self.pos = save;
                                let t = self.number_text();
                                if t.is_empty() {
                                    return Err(self.error("expected a matrix cell value"));
                                }
                                DenseItem::Num(t.to_string())
                            }
                        }
                    }
                };
                texts.push(item);
                if self.eat("]") {
                    break;
                }
                self.expect(",")?;
            }
        }
        self.expect(">")?;
        self.expect(":")?;
        self.expect_word("tensor")?;
        self.expect("<")?;
        let rows = self.parse_u64_dim()?;
        let cols = self.parse_u64_dim()?;
        let vt = match self.parse_elem_vt()? {
            Some(vt) => vt,
            None => return Err(self.error("a matrix constant needs a known value type")),
        };
        self.expect(">")?;
        if rows.checked_mul(cols) != Some(texts.len() as u64) {
            return Err(self.error(format!("{} values given for a {rows}x{cols} matrix constant", texts.len())));
        }
        let mut values = Vec::with_capacity(texts.len());
        for item in texts {
            values.push(match (item, vt) {
                (DenseItem::Str(s), ValueType::Str) => Const::Str(s),
                (DenseItem::Bool(b), ValueType::Bool) => Const::Bool(b),
                (DenseItem::Num(t), vt) if vt != ValueType::Str && vt != ValueType::Bool => self.const_of(&t, vt)?,
                (DenseItem::Num(t), ValueType::Bool) => self.const_of(&t, vt)?,
                _ => {
                    return Err(self.error(format!("matrix cell does not match value type {}", vt.ir_name())));
                }
            });
        }
        Ok(Attr::Dense(DenseAttr { vt, rows, cols, values }))
    }

    /// A dimension followed by `x`, as in `tensor<3x1xf64>`.
    fn parse_u64_dim(&mut self) -> PResult<u64> {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let t = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
        let n = t.parse::<u64>().map_err(|_| self.error("expected a dimension"))?;
        if self.peek() != Some(b'x') {
            return Err(self.error("expected `x` after a dimension"));
        }
        self.pos += 1;
        Ok(n)
    }

    fn parse_attr_dict(&mut self) -> PResult<Attrs> {
        self.expect("{")?;
        let mut attrs = Attrs::new();
        if self.eat("}") {
            return Ok(attrs);
        }
        loop {
            let name = self.word();
            if name.is_empty() {
                return Err(self.error("expected an attribute name"));
            }
            let name = name.to_string();
            self.expect("=")?;
            let value = self.parse_attr()?;
            if attrs.insert(name.clone(), value).is_some() {
                return Err(self.error(format!("attribute `{name}` given twice")));
            }
            if self.eat("}") {
                break;
            }
            self.expect(",")?;
        }
        Ok(attrs)
    }

    // -------------------------------------------------------------------------------------
    // Locations
    // -------------------------------------------------------------------------------------

    fn parse_opt_loc(&mut self) -> PResult<Loc> {
        if !self.looking_at("loc(") {
            return Ok(Loc::Unknown);
        }
        self.pos += 4;
        let loc = self.parse_loc_inner()?;
        self.expect(")")?;
        Ok(loc)
    }

    fn parse_loc_inner(&mut self) -> PResult<Loc> {
        self.enter()?;
        let r = self.parse_loc_inner2();
        self.leave();
        r
    }

    fn parse_loc_inner2(&mut self) -> PResult<Loc> {
        self.skip_ws();
        if self.peek() == Some(b'"') {
            let file = self.parse_string()?;
            self.expect(":")?;
            let line = self.parse_u64()?;
            self.expect(":")?;
            let col = self.parse_u64()?;
            let file = self.module.intern_file(&file);
            let (Ok(line), Ok(col)) = (u32::try_from(line), u32::try_from(col)) else {
                return Err(self.error("location out of range"));
            };
            return Ok(Loc::new(file, line, col));
        }
        match self.word() {
            "unknown" => Ok(Loc::Unknown),
            "fused" => {
                self.expect("[")?;
                let mut parts = Vec::new();
                if !self.eat("]") {
                    loop {
                        parts.push(self.parse_loc_inner()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Loc::Fused(parts))
            }
            _ => Err(self.error("expected a location")),
        }
    }

    // -------------------------------------------------------------------------------------
    // Values
    // -------------------------------------------------------------------------------------

    /// `%name`, `%3`, `%3#1`, `%arg0`.
    fn value_name(&mut self) -> PResult<String> {
        self.skip_ws();
        if self.peek() != Some(b'%') {
            return Err(self.error("expected a value (`%name`)"));
        }
        let start = self.pos;
        self.pos += 1;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'#') {
            self.pos += 1;
        }
        if self.pos == start + 1 {
            return Err(self.error("expected a value name after `%`"));
        }
        Ok(std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("").to_string())
    }

    fn value_use(&mut self) -> PResult<Value> {
        let name = self.value_name()?;
        self.values.get(&name).copied().ok_or_else(|| self.error(format!("use of undefined value `{name}`")))
    }

    fn define(&mut self, name: String, v: Value) -> PResult<()> {
        if self.values.insert(name.clone(), v).is_some() {
            return Err(self.error(format!("value `{name}` defined twice")));
        }
        Ok(())
    }

    // -------------------------------------------------------------------------------------
    // Functions, ops, regions
    // -------------------------------------------------------------------------------------

    fn parse_func(&mut self) -> PResult<Op> {
        self.expect_word("func.func")?;
        self.values.clear();
        self.skip_ws();
        if self.peek() != Some(b'@') {
            return Err(self.error("expected the function name (`@name`)"));
        }
        let name = match self.parse_attr()? {
            Attr::Symbol(s) => s,
            _ => return Err(self.error("expected the function name (`@name`)")),
        };
        self.expect("(")?;
        let mut args = Vec::new();
        if !self.eat(")") {
            loop {
                let n = self.value_name()?;
                self.expect(":")?;
                let t = self.parse_type()?;
                args.push((n, t));
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        let results = if self.eat("->") { self.parse_result_types()? } else { Vec::new() };
        let extra = if self.looking_at("attributes") {
            self.word();
            self.parse_attr_dict()?
        } else {
            Attrs::new()
        };
        let types: Vec<Type> = args.iter().map(|(_, t)| t.clone()).collect();
        let entry = self.module.create_block(&types);
        for (i, (n, _)) in args.into_iter().enumerate() {
            let v = self.module.block_args(entry)[i];
            self.define(n, v)?;
        }
        self.expect("{")?;
        self.parse_ops_until_brace(entry)?;
        let loc = self.parse_opt_loc()?;
        if self.module.find_func(&name).is_some() {
            return Err(self.error(format!("function `{name}` defined twice")));
        }
        let func = self.module.create_func(&name, entry, results, loc);
        for (k, v) in extra {
            self.module.op_mut(func).attrs.insert(k, v);
        }
        Ok(func)
    }

    /// Ops of a block up to (and including) the closing `}`.
    fn parse_ops_until_brace(&mut self, block: Block) -> PResult<()> {
        loop {
            if self.eat("}") {
                return Ok(());
            }
            if self.at_end() {
                return Err(self.error("unexpected end of input, expected `}`"));
            }
            let op = self.parse_op()?;
            self.module.append_op(block, op);
        }
    }

    fn parse_op(&mut self) -> PResult<Op> {
        self.skip_ws();
        // Results: `%3 = ` or `%3:2 = `.
        let mut result_base: Option<(String, usize)> = None;
        if self.peek() == Some(b'%') {
            let name = self.value_name()?;
            let count = if self.eat(":") {
                let n = self.parse_u64()?;
                usize::try_from(n)
                    .ok()
                    .filter(|n| *n >= 1 && *n <= 1024)
                    .ok_or_else(|| self.error("bad result count"))?
            } else {
                1
            };
            self.expect("=")?;
            result_base = Some((name, count));
        }
        let name_pos = self.pos;
        let op_name = self.parse_string()?;
        let Some(kind) = OpKind::from_name(&op_name) else {
            self.pos = name_pos;
            return Err(self.error(format!("unknown op `{op_name}`")));
        };
        if kind == OpKind::Func {
            return Err(self.error("`func.func` may only appear at the top level"));
        }
        self.expect("(")?;
        let mut operands = Vec::new();
        if !self.eat(")") {
            loop {
                operands.push(self.value_use()?);
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        let mut regions = Vec::new();
        if self.looking_at("(") {
            self.pos += 1;
            loop {
                self.expect("{")?;
                regions.push(self.parse_region_body()?);
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        let attrs = if self.looking_at("{") { self.parse_attr_dict()? } else { Attrs::new() };
        self.expect(":")?;
        let operand_types = self.parse_type_list()?;
        self.expect("->")?;
        let result_types = self.parse_result_types()?;
        let loc = self.parse_opt_loc()?;
        if operand_types.len() != operands.len() {
            return Err(self.error(format!(
                "`{op_name}` has {} operands but {} operand types",
                operands.len(),
                operand_types.len()
            )));
        }
        for (i, (v, t)) in operands.iter().zip(&operand_types).enumerate() {
            if self.module.value_type(*v) != t {
                return Err(self.error(format!(
                    "operand {i} of `{op_name}` has type {} but is declared as {t}",
                    self.module.value_type(*v)
                )));
            }
        }
        let expected_results = result_base.as_ref().map_or(0, |(_, n)| *n);
        if result_types.len() != expected_results {
            return Err(self.error(format!(
                "`{op_name}` defines {expected_results} results but has {} result types",
                result_types.len()
            )));
        }
        let op = self.module.create_op(kind, operands, result_types, attrs, regions, loc);
        if let Some((base, count)) = result_base {
            if count == 1 {
                let v = self.module.result(op, 0);
                self.define(base, v)?;
            } else {
                for i in 0..count {
                    let v = self.module.result(op, i);
                    self.define(format!("{base}#{i}"), v)?;
                }
            }
        }
        Ok(op)
    }

    /// The inside of `{ ... }` of an op's region (the `{` already consumed).
    fn parse_region_body(&mut self) -> PResult<crate::module::Region> {
        self.enter()?;
        let r = self.parse_region_body_inner();
        self.leave();
        r
    }

    fn parse_region_body_inner(&mut self) -> PResult<crate::module::Region> {
        let block = self.module.create_block(&[]);
        if self.looking_at("^") {
            self.pos += 1;
            let label = self.word();
            if label != "bb0" {
                return Err(self.error("only single-block regions (`^bb0`) are supported"));
            }
            if self.eat("(") && !self.eat(")") {
                loop {
                    let n = self.value_name()?;
                    self.expect(":")?;
                    let t = self.parse_type()?;
                    let v = self.module.add_block_arg(block, t);
                    self.define(n, v)?;
                    if self.eat(")") {
                        break;
                    }
                    self.expect(",")?;
                }
            }
            self.expect(":")?;
        }
        self.parse_ops_until_brace(block)?;
        Ok(self.module.create_region(&[block]))
    }
}

enum DenseItem {
    Str(String),
    Bool(bool),
    Num(String),
}
