//! The MLIR-like text form of a module: `func.func` in MLIR's pretty syntax, every other op in
//! MLIR's generic syntax (`%2 = "daphne.ewAdd"(%0, %1) : (si64, si64) -> si64`), values renumbered
//! densely per function, attributes sorted. With locations on, every op carries `loc(...)`, which
//! is what travels to workers; without, the output reads like DAPHNE's `--explain`.

use crate::attr::{Attr, write_symbol};
use crate::escape::write_escaped_str;
use crate::loc::Loc;
use crate::module::{Block, Module, Op, Region, Value, ValueDef};
use crate::ops::OpKind;
use std::collections::HashMap;
use std::fmt::{self, Write};

/// What to include in the text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// Print `loc(...)` after every op.
    pub locations: bool,
}

/// Prints the whole module.
pub fn print_module(m: &Module, opts: PrintOptions) -> String {
    let mut p = Printer { m, opts, out: String::new(), names: HashMap::new(), next_result: 0, next_arg: 0 };
    p.out.push_str("module {\n");
    for func in m.funcs() {
        p.print_func(func);
    }
    p.out.push_str("}\n");
    p.out
}

/// Prints one function on its own (as it appears inside a module).
pub fn print_func(m: &Module, func: Op, opts: PrintOptions) -> String {
    let mut p = Printer { m, opts, out: String::new(), names: HashMap::new(), next_result: 0, next_arg: 0 };
    p.print_func(func);
    p.out
}

/// Prints one op (with its regions) on its own; values defined outside it print as
/// `%<undefined:N>`. Used as the identity of a pipeline, e.g. for caches of compiled code.
pub fn print_op(m: &Module, op: Op, opts: PrintOptions) -> String {
    let mut p = Printer { m, opts, out: String::new(), names: HashMap::new(), next_result: 0, next_arg: 0 };
    p.print_op(op, 0);
    p.out
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print_module(self, PrintOptions::default()))
    }
}

struct Printer<'a> {
    m: &'a Module,
    opts: PrintOptions,
    out: String,
    names: HashMap<Value, String>,
    next_result: usize,
    next_arg: usize,
}

struct Loc2<'a>(&'a Module, &'a Loc);

impl fmt::Display for Loc2<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn inner(m: &Module, loc: &Loc, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match loc {
                Loc::Unknown => f.write_str("unknown"),
                Loc::File { file, line, col } => {
                    let name = m.files.get(*file as usize).map(String::as_str).unwrap_or("?");
                    write_escaped_str(f, name)?;
                    write!(f, ":{line}:{col}")
                }
                Loc::Fused(parts) => {
                    f.write_str("fused[")?;
                    for (i, p) in parts.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        inner(m, p, f)?;
                    }
                    f.write_str("]")
                }
            }
        }
        f.write_str("loc(")?;
        inner(self.0, self.1, f)?;
        f.write_str(")")
    }
}

impl Printer<'_> {
    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn name_arg(&mut self, v: Value) -> String {
        let name = format!("%arg{}", self.next_arg);
        self.next_arg += 1;
        self.names.insert(v, name.clone());
        name
    }

    fn value_ref(&self, v: Value) -> String {
        match self.names.get(&v) {
            Some(n) => n.clone(),
            // A value that is not in scope (an invalid module): print something recognizable
            // rather than failing, so that verifier errors can show the IR.
            None => format!("%<undefined:{}>", v.index()),
        }
    }

    fn print_func(&mut self, func: Op) {
        let m = self.m;
        self.names.clear();
        self.next_result = 0;
        self.next_arg = 0;
        let name = m.func_name(func).unwrap_or("").to_string();
        self.out.push_str("  func.func ");
        let mut sym = String::new();
        let _ = write!(sym, "{}", SymbolDisplay(&name));
        self.out.push_str(&sym);
        self.out.push('(');
        let entry = m.op_block(func, 0);
        if let Some(entry) = entry {
            for (i, &arg) in m.block_args(entry).iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                let n = self.name_arg(arg);
                let _ = write!(self.out, "{n}: {}", m.value_type(arg));
            }
        }
        self.out.push(')');
        let results = m.func_result_types(func);
        match results.len() {
            0 => {}
            1 => {
                let _ = write!(self.out, " -> {}", results[0]);
            }
            _ => {
                self.out.push_str(" -> (");
                for (i, t) in results.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    let _ = write!(self.out, "{t}");
                }
                self.out.push(')');
            }
        }
        let extra: Vec<_> =
            m.op(func).attrs.iter().filter(|(k, _)| k.as_str() != "sym_name" && k.as_str() != "result_types").collect();
        if !extra.is_empty() {
            self.out.push_str(" attributes ");
            self.print_attr_dict(extra.into_iter());
        }
        self.out.push_str(" {\n");
        if let Some(entry) = entry {
            for &op in m.block_ops(entry) {
                self.print_op(op, 2);
            }
        }
        self.out.push_str("  }");
        if self.opts.locations {
            let _ = write!(self.out, " {}", Loc2(m, &m.op(func).loc));
        }
        self.out.push('\n');
    }

    fn print_attr_dict<'b>(&mut self, attrs: impl Iterator<Item = (&'b String, &'b Attr)>) {
        self.out.push('{');
        for (i, (k, v)) in attrs.enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            let _ = write!(self.out, "{k} = {v}");
        }
        self.out.push('}');
    }

    fn print_op(&mut self, op: Op, depth: usize) {
        let m = self.m;
        let data = m.op(op);
        self.indent(depth);
        // Results.
        let n = data.results.len();
        if n > 0 {
            let base = format!("%{}", self.next_result);
            self.next_result += 1;
            if n == 1 {
                self.names.insert(data.results[0], base.clone());
                let _ = write!(self.out, "{base} = ");
            } else {
                for (i, &r) in data.results.iter().enumerate() {
                    self.names.insert(r, format!("{base}#{i}"));
                }
                let _ = write!(self.out, "{base}:{n} = ");
            }
        }
        let _ = write!(self.out, "\"{}\"(", data.kind.name());
        for (i, &v) in data.operands.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            let r = self.value_ref(v);
            self.out.push_str(&r);
        }
        self.out.push(')');
        if !data.regions.is_empty() {
            self.out.push_str(" (");
            for (i, &r) in data.regions.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.print_region(r, depth);
            }
            self.out.push(')');
        }
        if !data.attrs.is_empty() {
            self.out.push(' ');
            self.print_attr_dict(data.attrs.iter());
        }
        self.out.push_str(" : (");
        for (i, &v) in data.operands.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            let _ = write!(self.out, "{}", m.value_type(v));
        }
        self.out.push_str(") -> ");
        if n == 1 {
            let _ = write!(self.out, "{}", m.value_type(data.results[0]));
        } else {
            self.out.push('(');
            for (i, &r) in data.results.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                let _ = write!(self.out, "{}", m.value_type(r));
            }
            self.out.push(')');
        }
        if self.opts.locations {
            let _ = write!(self.out, " {}", Loc2(m, &data.loc));
        }
        self.out.push('\n');
    }

    fn print_region(&mut self, r: Region, depth: usize) {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.print_region_inner(r, depth))
    }

    fn print_region_inner(&mut self, r: Region, depth: usize) {
        let m = self.m;
        self.out.push_str("{\n");
        for (bi, &b) in m.region(r).blocks.iter().enumerate() {
            self.print_block_header(b, bi, depth);
            for &op in m.block_ops(b) {
                self.print_op(op, depth + 1);
            }
        }
        self.indent(depth);
        self.out.push('}');
    }

    fn print_block_header(&mut self, b: Block, index: usize, depth: usize) {
        let m = self.m;
        let args = m.block_args(b);
        if args.is_empty() && index == 0 {
            return;
        }
        self.indent(depth);
        let _ = write!(self.out, "^bb{index}");
        if !args.is_empty() {
            self.out.push('(');
            for (i, &a) in args.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                let n = self.name_arg(a);
                let _ = write!(self.out, "{n}: {}", m.value_type(a));
            }
            self.out.push(')');
        }
        self.out.push_str(":\n");
    }
}

struct SymbolDisplay<'a>(&'a str);

impl fmt::Display for SymbolDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_symbol(f, self.0)
    }
}

/// A short description of a value for messages: `%3 (result 0 of daphne.ewAdd)`.
pub fn describe_value(m: &Module, v: Value) -> String {
    match m.value(v).def {
        ValueDef::Result(op, i) => format!("result {i} of {}", m.kind(op).name()),
        ValueDef::BlockArg(b, i) => match m.block_parent_op(b) {
            Some(op) if m.kind(op) == OpKind::Func => {
                format!("argument {i} of function {}", m.func_name(op).unwrap_or("?"))
            }
            Some(op) => format!("block argument {i} of {}", m.kind(op).name()),
            None => format!("block argument {i}"),
        },
    }
}
