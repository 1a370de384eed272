//! The body of a vectorized pipeline as MLIR: one function that runs the fused ops over a batch
//! of rows, cell by cell, without materializing any intermediate.
//!
//! Every value of the body gets a shape class from the inputs' kinds and DAPHNE's broadcasting
//! rules (the right operand may be a row vector, a column vector or a single value): `One`
//! values are computed once, `Col` values once per row, `Row` and `Full` values per cell. The
//! cell loop runs 8 cells at a time as `vector<8xT>` and the rest of a row one by one.
//! Aggregations accumulate in loop-carried values: full sums in 8 lanes (cell `c` of a row goes
//! to lane `c % 8`, the order the sum kernel uses), min/max and row aggregations strictly in cell
//! order, column aggregations in the output row. The semantics follow the kernels exactly (the
//! operands are converted to the computation type first, C++'s `std::min`/`max`, `x ^ 2` as a
//! product), so both give bit-identical results; what this module cannot reproduce exactly it
//! refuses, and the kernels run instead.
//!
//! The function's ABI: `i64 pipeline(u64* slots)` with `slots = [rows, cols, per input
//! (pointer or scalar bits, row stride), per output (pointer, row stride)]`. It returns 1 when a
//! cell lay outside a function's domain (`sqrt` of a negative number, ...): the caller then runs
//! the batch with the kernels, which report the error.

use daphne_ir::ops::{AggFn, Axis, Family};
use daphne_ir::vector::Combine;
use daphne_ir::{Block, Const, Module, OpKind, Type, Value, ValueType};
use std::collections::HashMap;

/// Cells per vector step, and the number of lanes of a full sum.
pub const LANES: usize = 8;

/// What the caller passes for one input of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// A scalar, passed by value (its bits in the slot).
    Scalar(ValueType),
    /// A 1 x 1 matrix.
    One(ValueType),
    /// A matrix with the batch's rows and all columns.
    Full(ValueType),
    /// A column vector with the batch's rows.
    Col(ValueType),
    /// A row vector (1 x cols), the same for every row.
    Row(ValueType),
}

/// What the function writes for one output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputKind {
    /// rows x cols cells at (pointer, row stride).
    Cells(ValueType),
    /// rows x 1 cells at (pointer, row stride).
    Column(ValueType),
    /// One value at the pointer (a full aggregation of the batch).
    Scalar(ValueType),
    /// 1 x cols values at the pointer (a column aggregation of the batch); the caller zeroes them.
    RowVector(ValueType),
}

/// The generated MLIR and what the caller needs to call it.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub mlir: String,
    pub outputs: Vec<OutputKind>,
    /// The function may be called with a contiguous batch as one row of `rows * cols` cells
    /// (no row or column vectors, no row or column aggregations), which vectorizes short rows;
    /// when `lane_sums` is set, only if `cols` is a multiple of `LANES`.
    pub flattenable: bool,
    pub lane_sums: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    One,
    Col,
    Row,
    Full,
}

/// Broadcasting of a binary elementwise op (the kernels' rule).
fn join(l: Class, r: Class) -> Option<Class> {
    use Class::*;
    match (l, r) {
        _ if l == r || r == One => Some(l),
        (One, _) => Some(r),
        (Full, Row | Col) => Some(Full),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Agg {
    SumAll,
    MinAll,
    MaxAll,
    SumRow,
    MinRow,
    MaxRow,
    SumCol,
    MinCol,
    MaxCol,
}

impl Agg {
    /// The aggregation an op computes, if the code generator compiles it (the op table's `jit`
    /// column).
    fn of(kind: OpKind) -> Option<Agg> {
        let Family::Agg(f, axis) = kind.family() else { return None };
        if !kind.jit() {
            return None;
        }
        Some(match (f, axis) {
            (AggFn::Sum, Axis::All) => Agg::SumAll,
            (AggFn::Min, Axis::All) => Agg::MinAll,
            (AggFn::Max, Axis::All) => Agg::MaxAll,
            (AggFn::Sum, Axis::Row) => Agg::SumRow,
            (AggFn::Min, Axis::Row) => Agg::MinRow,
            (AggFn::Max, Axis::Row) => Agg::MaxRow,
            (AggFn::Sum, Axis::Col) => Agg::SumCol,
            (AggFn::Min, Axis::Col) => Agg::MinCol,
            (AggFn::Max, Axis::Col) => Agg::MaxCol,
            _ => return None,
        })
    }
    fn is_row(self) -> bool {
        matches!(self, Agg::SumRow | Agg::MinRow | Agg::MaxRow)
    }
    fn is_col(self) -> bool {
        matches!(self, Agg::SumCol | Agg::MinCol | Agg::MaxCol)
    }
}

#[derive(Clone, Debug)]
enum Def {
    Arg(usize),
    Const(Const),
    Unary(OpKind, Value),
    Binary(OpKind, Value, Value),
    Cast(Value),
    Cond(Value, Value, Value),
    Agg(Agg, Value),
}

#[derive(Clone, Debug)]
struct Info {
    class: Class,
    vt: ValueType,
    /// A scalar at run time (not a 1 x 1 matrix): `x ^ s` squares when `s` is 2 only then.
    scalar: bool,
    def: Def,
}

fn supported_vt(vt: ValueType) -> bool {
    use ValueType::*;
    matches!(vt, F64 | F32 | SI64 | SI32 | SI8 | UI64 | UI32 | UI8)
}

fn static_vt(m: &Module, v: Value) -> Result<ValueType, String> {
    let vt = match m.value_type(v) {
        Type::Matrix(t) => t.vt,
        t if t.is_scalar() => t.value_type(),
        t => return Err(format!("a value of type {} is not a number or a matrix", t.dsl_name())),
    };
    let vt = vt.ok_or("a value type is unknown at compile time")?;
    if supported_vt(vt) { Ok(vt) } else { Err(format!("value type {} is not generated", vt.ir_name())) }
}

fn bits(vt: ValueType) -> u32 {
    use ValueType::*;
    match vt {
        F64 | SI64 | UI64 => 64,
        F32 | SI32 | UI32 => 32,
        _ => 8,
    }
}

fn signed(vt: ValueType) -> bool {
    matches!(vt, ValueType::SI64 | ValueType::SI32 | ValueType::SI8)
}

fn scalar_ty(vt: ValueType) -> String {
    match vt {
        ValueType::F64 => "f64".into(),
        ValueType::F32 => "f32".into(),
        _ => format!("i{}", bits(vt)),
    }
}

fn ty(vt: ValueType, w: usize) -> String {
    if w == 1 { scalar_ty(vt) } else { format!("vector<{w}x{}>", scalar_ty(vt)) }
}

fn bool_ty(w: usize) -> String {
    if w == 1 { "i1".into() } else { format!("vector<{w}xi1>") }
}

/// Analyses the body: every value's class, value type and definition.
fn analyse(m: &Module, body: Block, args: &[ArgKind]) -> Result<(HashMap<Value, Info>, Vec<Value>), String> {
    let params = m.block_args(body);
    if params.len() != args.len() {
        return Err("the inputs do not match the pipeline's arguments".into());
    }
    let mut info: HashMap<Value, Info> = HashMap::new();
    for (i, (&p, kind)) in params.iter().zip(args).enumerate() {
        let (class, vt, scalar) = match *kind {
            ArgKind::Scalar(vt) => (Class::One, vt, true),
            ArgKind::One(vt) => (Class::One, vt, false),
            ArgKind::Full(vt) => (Class::Full, vt, false),
            ArgKind::Col(vt) => (Class::Col, vt, false),
            ArgKind::Row(vt) => (Class::Row, vt, false),
        };
        if !supported_vt(vt) {
            return Err(format!("inputs of value type {} are not generated", vt.ir_name()));
        }
        info.insert(p, Info { class, vt, scalar, def: Def::Arg(i) });
    }
    let get = |info: &HashMap<Value, Info>, v: Value| -> Result<Info, String> {
        info.get(&v).cloned().ok_or_else(|| "an operand is defined outside the pipeline".to_string())
    };
    for &op in m.block_ops(body) {
        let kind = m.kind(op);
        let operands = m.operands(op);
        if kind == OpKind::Return {
            return Ok((info, operands.to_vec()));
        }
        let results = m.results(op);
        if results.len() != 1 {
            return Err(format!("`{}` is not generated", kind.name()));
        }
        let res = results[0];
        let o = |i: usize| -> Result<Info, String> { get(&info, operands[i]) };
        let new = match kind {
            OpKind::Constant => {
                let Some(daphne_ir::Attr::Const(c)) = m.attr(op, "value") else {
                    return Err("a constant without value".into());
                };
                let vt = c.value_type().storage_vt();
                if !supported_vt(vt) {
                    return Err(format!("constants of value type {} are not generated", c.value_type().ir_name()));
                }
                Info { class: Class::One, vt, scalar: true, def: Def::Const(c.clone()) }
            }
            OpKind::Cast => {
                let a = o(0)?;
                let vt = static_vt(m, res)?;
                if !a.vt.is_float() || vt.is_float() {
                    Info { class: a.class, vt, scalar: a.scalar, def: Def::Cast(operands[0]) }
                } else {
                    return Err("casts from floating-point numbers to integers are not generated".into());
                }
            }
            OpKind::Cond => {
                let (c, a, b) = (o(0)?, o(1)?, o(2)?);
                if c.scalar || c.class == Class::One {
                    return Err("`?:` with a scalar condition is not generated".into());
                }
                let fits = |x: &Info| x.scalar || x.class == c.class;
                if !fits(&a) || !fits(&b) {
                    return Err("`?:` whose branches have other shapes than the condition is not generated".into());
                }
                Info {
                    class: c.class,
                    vt: static_vt(m, res)?,
                    scalar: false,
                    def: Def::Cond(operands[0], operands[1], operands[2]),
                }
            }
            _ => {
                if let Some(agg) = Agg::of(kind) {
                    let a = o(0)?;
                    if a.class != Class::Full || a.scalar {
                        return Err("aggregations of vectors are not generated".into());
                    }
                    let class = if agg.is_row() { Class::Col } else { Class::One };
                    Info { class, vt: static_vt(m, res)?, scalar: false, def: Def::Agg(agg, operands[0]) }
                } else if is_unary(kind) {
                    let a = o(0)?;
                    let vt = static_vt(m, res)?;
                    unary_supported(kind, vt)?;
                    Info { class: a.class, vt, scalar: a.scalar, def: Def::Unary(kind, operands[0]) }
                } else if is_binary(kind) {
                    let (a, b) = (o(0)?, o(1)?);
                    let class = join(a.class, b.class)
                        .ok_or_else(|| format!("`{}` with these operand shapes is not generated", kind.name()))?;
                    let vt = static_vt(m, res)?;
                    binary_supported(kind, compute_vt(kind, a.vt, b.vt, vt))?;
                    Info { class, vt, scalar: a.scalar && b.scalar, def: Def::Binary(kind, operands[0], operands[1]) }
                } else {
                    return Err(format!("`{}` is not generated", kind.name()));
                }
            }
        };
        if !matches!(new.def, Def::Agg(..)) {
            for &v in operands {
                if matches!(info.get(&v).map(|i| &i.def), Some(Def::Agg(..))) {
                    return Err("aggregation results that feed other ops are not generated".into());
                }
            }
        }
        info.insert(res, new);
    }
    Err("the pipeline body has no return".into())
}

/// Elementwise unary ops the code generator compiles (the op table's `family` and `jit`).
fn is_unary(kind: OpKind) -> bool {
    matches!(kind.family(), Family::Unary(_)) && kind.jit()
}

fn unary_supported(kind: OpKind, vt: ValueType) -> Result<(), String> {
    use OpKind::*;
    let float_only = matches!(
        kind,
        EwExp | EwLn | EwSqrt | EwSin | EwCos | EwTan | EwSinh | EwCosh | EwTanh | EwAsin | EwAcos | EwAtan
    );
    if float_only && !vt.is_float() {
        return Err(format!("`{}` on integers is not generated", kind.name()));
    }
    Ok(())
}

/// Elementwise binary ops the code generator compiles (the op table's `family` and `jit`).
fn is_binary(kind: OpKind) -> bool {
    matches!(kind.family(), Family::Binary(_)) && kind.jit()
}

fn is_comparison(kind: OpKind) -> bool {
    matches!(kind.family(), Family::Binary(f) if f.is_comparison())
}

/// The type a binary op computes in (the kernels' rule): the result type, except comparisons,
/// which compare in the most general operand type.
fn compute_vt(kind: OpKind, a: ValueType, b: ValueType, res: ValueType) -> ValueType {
    if is_comparison(kind) { a.most_general(b).storage_vt() } else { res }
}

fn binary_supported(kind: OpKind, cvt: ValueType) -> Result<(), String> {
    use OpKind::*;
    if !supported_vt(cvt) {
        return Err(format!("`{}` in {} is not generated", kind.name(), cvt.ir_name()));
    }
    if matches!(kind, EwDiv | EwPow | EwMod | EwLog) && !cvt.is_float() {
        return Err(format!("`{}` on integers is not generated", kind.name()));
    }
    Ok(())
}

/// One aggregation's loop-carried state.
struct Acc {
    value: Value,
    agg: Agg,
    vt: ValueType,
    /// The output slot it is written to.
    output: usize,
}

/// Emits MLIR text with fresh SSA names.
struct Emitter {
    out: String,
    next: usize,
    indent: usize,
}

impl Emitter {
    fn fresh(&mut self) -> String {
        self.next += 1;
        format!("%t{}", self.next)
    }
    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }
    /// Emits `%new = <rhs>` and returns `%new`.
    fn let_(&mut self, rhs: &str) -> String {
        let n = self.fresh();
        self.line(&format!("{n} = {rhs}"));
        n
    }
}

/// The SSA names of values at one width (1 or `LANES`).
type Names = HashMap<Value, String>;

struct Gen<'a> {
    info: &'a HashMap<Value, Info>,
    /// Set when the emitted code would differ from the kernels: the body is refused.
    refused: Option<String>,
    e: Emitter,
    /// Names of `One` values (entry block) and `Col` values (current row), scalars.
    scalars: Names,
    /// Slot loads of the arguments: (pointer or bits, stride).
    arg_slots: Vec<(String, String)>,
    out_slots: Vec<(String, String)>,
    /// `%r * stride` of each argument / output in the current row.
    arg_row_off: Vec<String>,
    out_row_off: Vec<String>,
}

fn float_bits_literal(c: &Const) -> Option<(ValueType, String)> {
    Some(match c {
        Const::F64(v) => (ValueType::F64, format!("0x{:016X}", v.to_bits())),
        Const::F32(v) => (ValueType::F32, format!("0x{:08X}", v.to_bits())),
        Const::SI64(v) => (ValueType::SI64, v.to_string()),
        Const::SI32(v) => (ValueType::SI32, v.to_string()),
        Const::SI8(v) => (ValueType::SI8, v.to_string()),
        Const::UI64(v) => (ValueType::UI64, (*v as i64).to_string()),
        Const::Index(v) => (ValueType::UI64, v.to_string()),
        Const::UI32(v) => (ValueType::UI32, (*v as i32).to_string()),
        Const::UI8(v) => (ValueType::UI8, (*v as i8).to_string()),
        Const::Bool(_) | Const::Str(_) => return None,
    })
}

impl Gen<'_> {
    /// `x` (of `from`, width `w`) converted to `to` the way the kernels convert.
    fn convert(&mut self, x: &str, from: ValueType, to: ValueType, w: usize) -> String {
        let (from, to) = (from.storage_vt(), to.storage_vt());
        if from == to {
            return x.to_string();
        }
        let (tf, tt) = (ty(from, w), ty(to, w));
        match (from.is_float(), to.is_float()) {
            (true, true) => {
                let op = if bits(from) < bits(to) { "arith.extf" } else { "arith.truncf" };
                self.e.let_(&format!("{op} {x} : {tf} to {tt}"))
            }
            (false, true) => {
                // Integers become f64 first, then the target type (the kernels' route).
                let op = if signed(from) { "arith.sitofp" } else { "arith.uitofp" };
                let f = self.e.let_(&format!("{op} {x} : {tf} to {}", ty(ValueType::F64, w)));
                self.convert(&f, ValueType::F64, to, w)
            }
            (false, false) => {
                let op = match bits(from).cmp(&bits(to)) {
                    std::cmp::Ordering::Greater => "arith.trunci",
                    _ if signed(from) => "arith.extsi",
                    _ => "arith.extui",
                };
                if bits(from) == bits(to) {
                    return x.to_string();
                }
                self.e.let_(&format!("{op} {x} : {tf} to {tt}"))
            }
            (true, false) => {
                // The kernels saturate (Rust's `as`); `arith.fptosi` does not: refuse.
                self.refused = Some("conversions from floating-point numbers to integers are not generated".into());
                x.to_string()
            }
        }
    }

    /// A boolean (`i1`) as 1 or 0 of `vt`.
    fn widen_bool(&mut self, b: &str, vt: ValueType, w: usize) -> String {
        let op = if vt.is_float() { "arith.uitofp" } else { "arith.extui" };
        self.e.let_(&format!("{op} {b} : {} to {}", bool_ty(w), ty(vt, w)))
    }

    fn splat(&mut self, scalar: &str, vt: ValueType, w: usize) -> String {
        if w == 1 {
            scalar.to_string()
        } else {
            self.e.let_(&format!("vector.broadcast {scalar} : {} to {}", scalar_ty(vt), ty(vt, w)))
        }
    }

    fn constant(&mut self, vt: ValueType, literal: &str, w: usize) -> String {
        let s = self.e.let_(&format!("arith.constant {literal} : {}", scalar_ty(vt)));
        self.splat(&s, vt, w)
    }

    fn zero(&mut self, vt: ValueType, w: usize) -> String {
        let lit = if vt.is_float() { "0.0" } else { "0" };
        self.constant(vt, lit, w)
    }

    /// `x != 0` (NaN counts as true, as in the kernels).
    fn truthy(&mut self, x: &str, vt: ValueType, w: usize) -> String {
        let z = self.zero(vt, w);
        let t = ty(vt, w);
        if vt.is_float() {
            self.e.let_(&format!("arith.cmpf une, {x}, {z} : {t}"))
        } else {
            self.e.let_(&format!("arith.cmpi ne, {x}, {z} : {t}"))
        }
    }

    /// `a < b` in `vt`.
    fn less(&mut self, a: &str, b: &str, vt: ValueType, w: usize) -> String {
        let t = ty(vt, w);
        if vt.is_float() {
            self.e.let_(&format!("arith.cmpf olt, {a}, {b} : {t}"))
        } else if signed(vt) {
            self.e.let_(&format!("arith.cmpi slt, {a}, {b} : {t}"))
        } else {
            self.e.let_(&format!("arith.cmpi ult, {a}, {b} : {t}"))
        }
    }

    fn select(&mut self, c: &str, a: &str, b: &str, vt: ValueType, w: usize, cond_w: usize) -> String {
        if cond_w == w || w == 1 {
            if w == 1 {
                self.e.let_(&format!("arith.select {c}, {a}, {b} : {}", ty(vt, w)))
            } else {
                self.e.let_(&format!("arith.select {c}, {a}, {b} : {}, {}", bool_ty(w), ty(vt, w)))
            }
        } else {
            self.e.let_(&format!("arith.select {c}, {a}, {b} : {}", ty(vt, w)))
        }
    }

    fn load(&mut self, ptr: &str, idx: &str, vt: ValueType, w: usize) -> String {
        let p =
            self.e.let_(&format!("llvm.getelementptr {ptr}[{idx}] : (!llvm.ptr, i64) -> !llvm.ptr, {}", scalar_ty(vt)));
        self.e.let_(&format!("llvm.load {p} {{alignment = {} : i64}} : !llvm.ptr -> {}", bits(vt) / 8, ty(vt, w)))
    }

    fn store(&mut self, x: &str, ptr: &str, idx: &str, vt: ValueType, w: usize) {
        let p =
            self.e.let_(&format!("llvm.getelementptr {ptr}[{idx}] : (!llvm.ptr, i64) -> !llvm.ptr, {}", scalar_ty(vt)));
        self.e.line(&format!("llvm.store {x}, {p} {{alignment = {} : i64}} : {}, !llvm.ptr", bits(vt) / 8, ty(vt, w)));
    }

    /// The value `v` at width `w` inside the cell loop (`c` is the column), or in the entry
    /// block / row prelude for `One` / `Col` values.
    fn value(&mut self, v: Value, w: usize, cell: &mut Names, c: &str, err: &mut Vec<String>) -> String {
        let i = self.info[&v].clone();
        if matches!(i.class, Class::One | Class::Col) {
            let s = self.scalars[&v].clone();
            if w == 1 {
                return s;
            }
            if let Some(n) = cell.get(&v) {
                return n.clone();
            }
            let n = self.splat(&s, i.vt, w);
            cell.insert(v, n.clone());
            return n;
        }
        if let Some(n) = cell.get(&v) {
            return n.clone();
        }
        let n = self.compute(v, &i, w, cell, c, err);
        cell.insert(v, n.clone());
        n
    }

    /// Emits the computation of `v` (of info `i`) at width `w`.
    fn compute(&mut self, v: Value, i: &Info, w: usize, cell: &mut Names, c: &str, err: &mut Vec<String>) -> String {
        let _ = v;
        match &i.def {
            Def::Arg(k) => {
                let (ptr, _) = self.arg_slots[*k].clone();
                match i.class {
                    Class::Full => {
                        let idx = self.e.let_(&format!("arith.addi {}, {c} : i64", self.arg_row_off[*k]));
                        self.load(&ptr, &idx, i.vt, w)
                    }
                    Class::Row => self.load(&ptr, c, i.vt, w),
                    Class::One | Class::Col => unreachable!("scalars are computed outside the cell loop"),
                }
            }
            Def::Const(_) => unreachable!("constants are `One` values"),
            Def::Agg(..) => unreachable!("aggregations are outputs"),
            Def::Cast(a) => {
                let from = self.info[a].vt;
                let x = self.value(*a, w, cell, c, err);
                self.convert(&x, from, i.vt, w)
            }
            Def::Unary(kind, a) => {
                let from = self.info[a].vt;
                let x0 = self.value(*a, w, cell, c, err);
                let x = self.convert(&x0, from, i.vt, w);
                self.unary(*kind, &x, i.vt, w, err)
            }
            Def::Binary(kind, a, b) => {
                let (ia, ib) = (self.info[a].clone(), self.info[b].clone());
                let cvt = compute_vt(*kind, ia.vt, ib.vt, i.vt);
                let xa0 = self.value(*a, w, cell, c, err);
                let xb0 = self.value(*b, w, cell, c, err);
                let xa = self.convert(&xa0, ia.vt, cvt, w);
                let xb = self.convert(&xb0, ib.vt, cvt, w);
                // The kernels square when the exponent is a scalar equal to 2.
                let two = if *kind == OpKind::EwPow && ib.scalar && ib.class == Class::One {
                    let s = self.scalars[b].clone();
                    let sc = self.convert(&s, ib.vt, cvt, 1);
                    let two = self.constant(cvt, "2.0", 1);
                    Some(self.e.let_(&format!("arith.cmpf oeq, {sc}, {two} : {}", scalar_ty(cvt))))
                } else {
                    None
                };
                let r = self.binary(*kind, &xa, &xb, cvt, w, two.as_deref());
                if is_comparison(*kind) { self.widen_bool(&r, i.vt, w) } else { self.convert(&r, cvt, i.vt, w) }
            }
            Def::Cond(cv, a, b) => {
                let cvt = self.info[cv].vt;
                let xc = self.value(*cv, w, cell, c, err);
                let t = self.truthy(&xc, cvt, w);
                let (va, vb) = (self.info[a].vt, self.info[b].vt);
                let xa0 = self.value(*a, w, cell, c, err);
                let xa = self.convert(&xa0, va, i.vt, w);
                let xb0 = self.value(*b, w, cell, c, err);
                let xb = self.convert(&xb0, vb, i.vt, w);
                self.select(&t, &xa, &xb, i.vt, w, w)
            }
        }
    }

    fn unary(&mut self, kind: OpKind, x: &str, vt: ValueType, w: usize, err: &mut Vec<String>) -> String {
        use OpKind::*;
        let t = ty(vt, w);
        let f = vt.is_float();
        let mut domain = |g: &mut Self, lo: Option<&str>, hi: Option<&str>| {
            if let Some(lo) = lo {
                let l = g.constant(vt, lo, w);
                err.push(g.e.let_(&format!("arith.cmpf olt, {x}, {l} : {t}")));
            }
            if let Some(hi) = hi {
                let h = g.constant(vt, hi, w);
                err.push(g.e.let_(&format!("arith.cmpf ogt, {x}, {h} : {t}")));
            }
        };
        match kind {
            EwMinus if f => self.e.let_(&format!("arith.negf {x} : {t}")),
            EwMinus => {
                let z = self.zero(vt, w);
                self.e.let_(&format!("arith.subi {z}, {x} : {t}"))
            }
            EwAbs if f => self.e.let_(&format!("math.absf {x} : {t}")),
            EwAbs if signed(vt) => {
                let z = self.zero(vt, w);
                let neg = self.less(x, &z, vt, w);
                let m = self.e.let_(&format!("arith.subi {z}, {x} : {t}"));
                self.select(&neg, &m, x, vt, w, w)
            }
            EwAbs => x.to_string(),
            EwRound | EwFloor | EwCeil if !f => x.to_string(),
            EwSign => {
                let z = self.zero(vt, w);
                let one = self.constant(vt, if f { "1.0" } else { "1" }, w);
                let is_zero = if f {
                    self.e.let_(&format!("arith.cmpf oeq, {x}, {z} : {t}"))
                } else {
                    self.e.let_(&format!("arith.cmpi eq, {x}, {z} : {t}"))
                };
                let neg = self.less(x, &z, vt, w);
                let pos = self.less(&z, x, vt, w);
                let minus_one =
                    if f || signed(vt) { self.constant(vt, if f { "-1.0" } else { "-1" }, w) } else { z.clone() };
                let other = match vt {
                    ValueType::F64 => self.constant(vt, "0x7FF8000000000000", w),
                    ValueType::F32 => self.constant(vt, "0x7FC00000", w),
                    _ => z.clone(),
                };
                let a = self.select(&pos, &one, &other, vt, w, w);
                let b = self.select(&neg, &minus_one, &a, vt, w, w);
                self.select(&is_zero, &z, &b, vt, w, w)
            }
            EwExp => self.e.let_(&format!("math.exp {x} : {t}")),
            EwLn => {
                domain(self, Some("-0.0"), None);
                self.e.let_(&format!("math.log {x} : {t}"))
            }
            EwSqrt => {
                domain(self, Some("-0.0"), None);
                self.e.let_(&format!("math.sqrt {x} : {t}"))
            }
            EwAsin => {
                domain(self, Some("-1.0"), Some("1.0"));
                self.e.let_(&format!("math.asin {x} : {t}"))
            }
            EwAcos => {
                domain(self, Some("-1.0"), Some("1.0"));
                self.e.let_(&format!("math.acos {x} : {t}"))
            }
            EwRound => self.e.let_(&format!("math.round {x} : {t}")),
            EwFloor => self.e.let_(&format!("math.floor {x} : {t}")),
            EwCeil => self.e.let_(&format!("math.ceil {x} : {t}")),
            EwSin => self.e.let_(&format!("math.sin {x} : {t}")),
            EwCos => self.e.let_(&format!("math.cos {x} : {t}")),
            EwTan => self.e.let_(&format!("math.tan {x} : {t}")),
            EwSinh => self.e.let_(&format!("math.sinh {x} : {t}")),
            EwCosh => self.e.let_(&format!("math.cosh {x} : {t}")),
            EwTanh => self.e.let_(&format!("math.tanh {x} : {t}")),
            EwAtan => self.e.let_(&format!("math.atan {x} : {t}")),
            EwIsNan if f => {
                let b = self.e.let_(&format!("arith.cmpf uno, {x}, {x} : {t}"));
                self.widen_bool(&b, vt, w)
            }
            EwIsNan => self.zero(vt, w),
            _ => unreachable!("unary op refused by the analysis"),
        }
    }

    fn binary(&mut self, kind: OpKind, a: &str, b: &str, vt: ValueType, w: usize, two: Option<&str>) -> String {
        use OpKind::*;
        let t = ty(vt, w);
        let f = vt.is_float();
        let (fop, iop) = match kind {
            EwAdd => ("arith.addf", "arith.addi"),
            EwSub => ("arith.subf", "arith.subi"),
            EwMul => ("arith.mulf", "arith.muli"),
            EwDiv => ("arith.divf", ""),
            EwMod => ("arith.remf", ""),
            _ => ("", ""),
        };
        if !fop.is_empty() {
            return self.e.let_(&format!("{} {a}, {b} : {t}", if f { fop } else { iop }));
        }
        let pred = |fp: &'static str, sp: &'static str, up: &'static str| {
            if f {
                fp
            } else if signed(vt) {
                sp
            } else {
                up
            }
        };
        match kind {
            EwPow => {
                let p = self.e.let_(&format!("math.powf {a}, {b} : {t}"));
                match two {
                    Some(is2) => {
                        let sq = self.e.let_(&format!("arith.mulf {a}, {a} : {t}"));
                        self.select(is2, &sq, &p, vt, w, 1)
                    }
                    None => p,
                }
            }
            EwLog => {
                let la = self.e.let_(&format!("math.log {a} : {t}"));
                let lb = self.e.let_(&format!("math.log {b} : {t}"));
                self.e.let_(&format!("arith.divf {la}, {lb} : {t}"))
            }
            EwMin => {
                let lt = self.less(b, a, vt, w);
                self.select(&lt, b, a, vt, w, w)
            }
            EwMax => {
                let lt = self.less(a, b, vt, w);
                self.select(&lt, b, a, vt, w, w)
            }
            EwAnd | EwOr | EwXor => {
                let (ta, tb) = (self.truthy(a, vt, w), self.truthy(b, vt, w));
                let op = match kind {
                    EwAnd => "arith.andi",
                    EwOr => "arith.ori",
                    _ => "arith.xori",
                };
                let r = self.e.let_(&format!("{op} {ta}, {tb} : {}", bool_ty(w)));
                self.widen_bool(&r, vt, w)
            }
            EwEq | EwNeq | EwLt | EwLe | EwGt | EwGe => {
                let p = match kind {
                    EwEq => pred("oeq", "eq", "eq"),
                    EwNeq => pred("une", "ne", "ne"),
                    EwLt => pred("olt", "slt", "ult"),
                    EwLe => pred("ole", "sle", "ule"),
                    EwGt => pred("ogt", "sgt", "ugt"),
                    _ => pred("oge", "sge", "uge"),
                };
                let cmp = if f { "arith.cmpf" } else { "arith.cmpi" };
                self.e.let_(&format!("{cmp} {p}, {a}, {b} : {t}"))
            }
            _ => unreachable!("binary op refused by the analysis"),
        }
    }
}

/// Lowers the body of a pipeline to MLIR for inputs of the given kinds and outputs combined
/// as given. Errors say why the body is not generated (the kernels then run it).
pub fn lower(m: &Module, body: Block, args: &[ArgKind], combines: &[Combine]) -> Result<Lowered, String> {
    let (info, returned) = analyse(m, body, args)?;
    if returned.len() != combines.len() {
        return Err("the outputs do not match the pipeline's combines".into());
    }
    // Outputs and the aggregations behind them.
    let mut outputs = Vec::with_capacity(returned.len());
    let mut accs: Vec<Acc> = Vec::new();
    for (j, (&v, &comb)) in returned.iter().zip(combines).enumerate() {
        let i = &info[&v];
        let kind = match (&i.def, comb) {
            (Def::Agg(agg, _), Combine::Add | Combine::Min | Combine::Max) if !agg.is_row() => {
                let expected = match agg {
                    Agg::SumAll | Agg::SumCol => Combine::Add,
                    Agg::MinAll | Agg::MinCol => Combine::Min,
                    _ => Combine::Max,
                };
                if comb != expected {
                    return Err("an aggregation combined by another function is not generated".into());
                }
                accs.push(Acc { value: v, agg: *agg, vt: i.vt, output: j });
                if agg.is_col() { OutputKind::RowVector(i.vt) } else { OutputKind::Scalar(i.vt) }
            }
            (Def::Agg(agg, _), Combine::Rows) if agg.is_row() => {
                accs.push(Acc { value: v, agg: *agg, vt: i.vt, output: j });
                OutputKind::Column(i.vt)
            }
            (Def::Agg(..), _) => return Err("an aggregation with this combine is not generated".into()),
            (_, Combine::Rows) if i.class == Class::Full && !i.scalar => OutputKind::Cells(i.vt),
            (_, Combine::Rows) if i.class == Class::Col && !i.scalar => OutputKind::Column(i.vt),
            _ => return Err("an output of this shape or combine is not generated".into()),
        };
        outputs.push(kind);
    }
    let lane_sums = accs.iter().any(|a| a.agg == Agg::SumAll);
    let flattenable = info.values().all(|i| matches!(i.class, Class::One | Class::Full))
        && accs.iter().all(|a| !a.agg.is_row() && !a.agg.is_col());

    let mut g = Gen {
        info: &info,
        refused: None,
        e: Emitter { out: String::new(), next: 0, indent: 0 },
        scalars: HashMap::new(),
        arg_slots: Vec::new(),
        out_slots: Vec::new(),
        arg_row_off: Vec::new(),
        out_row_off: Vec::new(),
    };
    g.e.line("module {");
    g.e.line(&format!("func.func @{}(%slots: !llvm.ptr) -> i64 {{", crate::native::ENTRY));
    g.e.indent = 1;
    let slot = |g: &mut Gen, k: usize, as_ptr: bool| -> String {
        let p = g.e.let_(&format!("llvm.getelementptr %slots[{k}] : (!llvm.ptr) -> !llvm.ptr, i64"));
        let t = if as_ptr { "!llvm.ptr" } else { "i64" };
        g.e.let_(&format!("llvm.load {p} {{alignment = 8 : i64}} : !llvm.ptr -> {t}"))
    };
    let rows = slot(&mut g, 0, false);
    let cols = slot(&mut g, 1, false);
    for (k, kind) in args.iter().enumerate() {
        let is_ptr = !matches!(kind, ArgKind::Scalar(_));
        let a = slot(&mut g, 2 + 2 * k, is_ptr);
        let s = slot(&mut g, 3 + 2 * k, false);
        g.arg_slots.push((a, s));
    }
    let out_base = 2 + 2 * args.len();
    for j in 0..outputs.len() {
        let p = slot(&mut g, out_base + 2 * j, true);
        let s = slot(&mut g, out_base + 2 * j + 1, false);
        g.out_slots.push((p, s));
    }
    let c0 = g.e.let_("arith.constant 0 : i64");
    let c1 = g.e.let_("arith.constant 1 : i64");
    let cl = g.e.let_(&format!("arith.constant {LANES} : i64"));
    let rem = g.e.let_(&format!("arith.remui {cols}, {cl} : i64"));
    let cols_vec = g.e.let_(&format!("arith.subi {cols}, {rem} : i64"));
    let false_ = g.e.let_("arith.constant false");
    let true_ = g.e.let_("arith.constant true");

    // `One` values, in op order (block arguments first).
    let order: Vec<Value> = m
        .block_args(body)
        .iter()
        .copied()
        .chain(m.block_ops(body).iter().flat_map(|&op| m.results(op).iter().copied()))
        .filter(|v| info.contains_key(v))
        .collect();
    let mut dummy_err = Vec::new();
    for &v in &order {
        let i = info[&v].clone();
        if i.class != Class::One || matches!(i.def, Def::Agg(..)) {
            continue;
        }
        let n = match &i.def {
            Def::Arg(k) => {
                let (a, _) = g.arg_slots[*k].clone();
                match args[*k] {
                    ArgKind::Scalar(vt) => {
                        let narrow = if bits(vt) < 64 {
                            g.e.let_(&format!("arith.trunci {a} : i64 to i{}", bits(vt)))
                        } else {
                            a.clone()
                        };
                        if vt.is_float() {
                            g.e.let_(&format!("arith.bitcast {narrow} : i{} to {}", bits(vt), scalar_ty(vt)))
                        } else {
                            narrow
                        }
                    }
                    _ => {
                        let z = c0.clone();
                        g.load(&a, &z, i.vt, 1)
                    }
                }
            }
            Def::Const(c) => {
                let Some((vt, lit)) = float_bits_literal(c) else {
                    return Err("this constant is not generated".into());
                };
                g.constant(vt, &lit, 1)
            }
            _ => {
                let mut none = Names::new();
                g.compute(v, &i, 1, &mut none, &c0, &mut dummy_err)
            }
        };
        g.scalars.insert(v, n);
    }
    // Domain errors of single values start the error flag.
    let mut err_init = false_.clone();
    for e in dummy_err.drain(..) {
        err_init = g.e.let_(&format!("arith.ori {err_init}, {e} : i1"));
    }

    // Column aggregations: the caller zeroes the output; min/max take row 0 as it is.
    // Global accumulators: full sums (8 lanes), full min/max, the domain-error flag.
    let mut global: Vec<(String, String, String)> = Vec::new(); // (name in loop, type, init)
    let mut global_index: HashMap<Value, usize> = HashMap::new();
    for a in &accs {
        let (t, init) = match a.agg {
            Agg::SumAll => (ty(a.vt, LANES), g.zero(a.vt, LANES)),
            Agg::MinAll | Agg::MaxAll => {
                let lit = extreme_literal(a.vt, a.agg == Agg::MinAll);
                (scalar_ty(a.vt), g.constant(a.vt, &lit, 1))
            }
            _ => continue,
        };
        global_index.insert(a.value, global.len());
        global.push((g.e.fresh(), t, init));
    }
    let err_name = g.e.fresh();
    global.push((err_name, "i1".into(), err_init));

    // The row loop.
    let r = g.e.fresh();
    let row_results = g.e.fresh();
    let iter = |xs: &[(String, String, String)]| -> String {
        xs.iter().map(|(n, _, i)| format!("{n} = {i}")).collect::<Vec<_>>().join(", ")
    };
    let types = |xs: &[(String, String, String)]| -> String {
        xs.iter().map(|(_, t, _)| t.clone()).collect::<Vec<_>>().join(", ")
    };
    g.e.line(&format!(
        "{row_results}:{} = scf.for {r} = {c0} to {rows} step {c1} iter_args({}) -> ({}) : i64 {{",
        global.len(),
        iter(&global),
        types(&global)
    ));
    g.e.indent = 2;
    for k in 0..args.len() {
        let off = g.e.let_(&format!("arith.muli {r}, {} : i64", g.arg_slots[k].1));
        g.arg_row_off.push(off);
    }
    for j in 0..outputs.len() {
        let off = g.e.let_(&format!("arith.muli {r}, {} : i64", g.out_slots[j].1));
        g.out_row_off.push(off);
    }
    let first_row = g.e.let_(&format!("arith.cmpi eq, {r}, {c0} : i64"));
    // `Col` values of this row.
    let mut row_err = Vec::new();
    for &v in &order {
        let i = info[&v].clone();
        if i.class != Class::Col || matches!(i.def, Def::Agg(..)) {
            continue;
        }
        let n = match &i.def {
            Def::Arg(k) => {
                let (a, _) = g.arg_slots[*k].clone();
                let off = g.arg_row_off[*k].clone();
                g.load(&a, &off, i.vt, 1)
            }
            _ => {
                let mut none = Names::new();
                g.compute(v, &i, 1, &mut none, &c0, &mut row_err)
            }
        };
        g.scalars.insert(v, n);
    }
    // Column outputs of `Col` values.
    for (j, (&v, kind)) in returned.iter().zip(&outputs).enumerate() {
        if let (OutputKind::Column(vt), Some(_)) = (kind, g.scalars.get(&v)) {
            if matches!(info[&v].def, Def::Agg(..)) {
                continue;
            }
            let x = g.scalars[&v].clone();
            let (p, _) = g.out_slots[j].clone();
            let off = g.out_row_off[j].clone();
            g.store(&x, &p, &off, *vt, 1);
        }
    }
    // Per-row accumulators (row aggregations), carried through both cell loops.
    let mut cell_state: Vec<(String, String, String)> = global.clone();
    let mut row_index: HashMap<Value, (usize, Option<usize>)> = HashMap::new();
    for a in &accs {
        if !a.agg.is_row() {
            continue;
        }
        let init =
            if a.agg == Agg::SumRow { g.zero(a.vt, 1) } else { g.constant(a.vt, &extreme_literal(a.vt, true), 1) };
        let idx = cell_state.len();
        cell_state.push((g.e.fresh(), scalar_ty(a.vt), init));
        let first = if a.agg == Agg::SumRow {
            None
        } else {
            cell_state.push((g.e.fresh(), "i1".into(), true_.clone()));
            Some(idx + 1)
        };
        row_index.insert(a.value, (idx, first));
    }
    // The loop-carried names inside the row loop are the row loop's iter_args for the globals.
    for (k, (n, _, _)) in global.iter().enumerate() {
        cell_state[k].2 = n.clone();
    }
    let mut current: Vec<String> = cell_state.iter().map(|(_, _, i)| i.clone()).collect();
    for (w, lb, ub, step) in
        [(LANES, c0.clone(), cols_vec.clone(), cl.clone()), (1, cols_vec.clone(), cols.clone(), c1.clone())]
    {
        let c = g.e.fresh();
        let res = g.e.fresh();
        let names: Vec<String> = cell_state.iter().map(|_| g.e.fresh()).collect();
        let inits: Vec<(String, String, String)> = names
            .iter()
            .zip(&cell_state)
            .zip(&current)
            .map(|((n, (_, t, _)), i)| (n.clone(), t.clone(), i.clone()))
            .collect();
        g.e.line(&format!(
            "{res}:{} = scf.for {c} = {lb} to {ub} step {step} iter_args({}) -> ({}) : i64 {{",
            inits.len(),
            iter(&inits),
            types(&inits)
        ));
        g.e.indent = 3;
        let mut cell = Names::new();
        let mut err = Vec::new();
        let mut state: Vec<String> = names.clone();
        // Outputs of cells.
        for (j, (&v, kind)) in returned.iter().zip(&outputs).enumerate() {
            if let OutputKind::Cells(vt) = kind {
                let x = g.value(v, w, &mut cell, &c, &mut err);
                let (p, _) = g.out_slots[j].clone();
                let idx = g.e.let_(&format!("arith.addi {}, {c} : i64", g.out_row_off[j]));
                g.store(&x, &p, &idx, *vt, w);
            }
        }
        for a in &accs {
            let Def::Agg(_, input) = info[&a.value].def else { continue };
            let from = info[&input].vt;
            let x0 = g.value(input, w, &mut cell, &c, &mut err);
            let x = g.convert(&x0, from, a.vt, w);
            let t1 = scalar_ty(a.vt);
            match a.agg {
                Agg::SumAll => {
                    let k = global_index[&a.value];
                    let acc = state[k].clone();
                    state[k] = if w == LANES {
                        let op = if a.vt.is_float() { "arith.addf" } else { "arith.addi" };
                        g.e.let_(&format!("{op} {acc}, {x} : {}", ty(a.vt, w)))
                    } else {
                        let lane = g.e.let_(&format!("arith.subi {c}, {cols_vec} : i64"));
                        let old = g.e.let_(&format!("vector.extractelement {acc}[{lane} : i64] : {}", ty(a.vt, LANES)));
                        let op = if a.vt.is_float() { "arith.addf" } else { "arith.addi" };
                        let new = g.e.let_(&format!("{op} {old}, {x} : {t1}"));
                        g.e.let_(&format!("vector.insertelement {new}, {acc}[{lane} : i64] : {}", ty(a.vt, LANES)))
                    };
                }
                Agg::MinAll | Agg::MaxAll | Agg::SumRow | Agg::MinRow | Agg::MaxRow => {
                    let (k, first) = if a.agg.is_row() { row_index[&a.value] } else { (global_index[&a.value], None) };
                    for l in 0..w {
                        let xl = if w == 1 {
                            x.clone()
                        } else {
                            g.e.let_(&format!("vector.extract {x}[{l}] : {t1} from {}", ty(a.vt, w)))
                        };
                        let acc = state[k].clone();
                        let next = match a.agg {
                            Agg::SumRow => {
                                let op = if a.vt.is_float() { "arith.addf" } else { "arith.addi" };
                                g.e.let_(&format!("{op} {acc}, {xl} : {t1}"))
                            }
                            Agg::MinAll | Agg::MinRow => {
                                let lt = g.less(&xl, &acc, a.vt, 1);
                                g.select(&lt, &xl, &acc, a.vt, 1, 1)
                            }
                            _ => {
                                let lt = g.less(&acc, &xl, a.vt, 1);
                                g.select(&lt, &xl, &acc, a.vt, 1, 1)
                            }
                        };
                        state[k] = match first {
                            Some(fi) => {
                                let f = state[fi].clone();
                                let v = g.select(&f, &xl, &next, a.vt, 1, 1);
                                state[fi] = false_.clone();
                                v
                            }
                            None => next,
                        };
                    }
                }
                Agg::SumCol | Agg::MinCol | Agg::MaxCol => {
                    let (p, _) = g.out_slots[a.output].clone();
                    let prev = g.load(&p, &c, a.vt, w);
                    let new = match a.agg {
                        Agg::SumCol => {
                            let op = if a.vt.is_float() { "arith.addf" } else { "arith.addi" };
                            g.e.let_(&format!("{op} {prev}, {x} : {}", ty(a.vt, w)))
                        }
                        Agg::MinCol => {
                            let lt = g.less(&x, &prev, a.vt, w);
                            let m = g.select(&lt, &x, &prev, a.vt, w, w);
                            g.select(&first_row, &x, &m, a.vt, w, 1)
                        }
                        _ => {
                            let lt = g.less(&prev, &x, a.vt, w);
                            let m = g.select(&lt, &x, &prev, a.vt, w, w);
                            g.select(&first_row, &x, &m, a.vt, w, 1)
                        }
                    };
                    g.store(&new, &p, &c, a.vt, w);
                }
            }
        }
        // Domain errors of this cell step.
        let ek = global.len() - 1;
        for e in err {
            let e1 = if w == 1 { e } else { g.e.let_(&format!("vector.reduction <or>, {e} : {} into i1", bool_ty(w))) };
            state[ek] = g.e.let_(&format!("arith.ori {}, {e1} : i1", state[ek]));
        }
        g.e.line(&format!("scf.yield {} : {}", state.join(", "), types(&cell_state)));
        g.e.indent = 2;
        g.e.line("}");
        current = (0..cell_state.len()).map(|k| format!("{res}#{k}")).collect();
    }
    // Row aggregations are stored at the end of their row.
    for a in &accs {
        if let Some((k, _)) = row_index.get(&a.value) {
            let (p, _) = g.out_slots[a.output].clone();
            let off = g.out_row_off[a.output].clone();
            let x = current[*k].clone();
            g.store(&x, &p, &off, a.vt, 1);
        }
    }
    let mut yielded: Vec<String> = current[..global.len()].to_vec();
    let ek = global.len() - 1;
    for e in row_err {
        yielded[ek] = g.e.let_(&format!("arith.ori {}, {e} : i1", yielded[ek]));
    }
    g.e.line(&format!("scf.yield {} : {}", yielded.join(", "), types(&global)));
    g.e.indent = 1;
    g.e.line("}");

    // Full aggregations of the batch.
    for a in &accs {
        let Some(&k) = global_index.get(&a.value) else { continue };
        let acc = format!("{row_results}#{k}");
        let t1 = scalar_ty(a.vt);
        let x = if a.agg == Agg::SumAll {
            let lanes: Vec<String> = (0..LANES)
                .map(|l| g.e.let_(&format!("vector.extract {acc}[{l}] : {t1} from {}", ty(a.vt, LANES))))
                .collect();
            let op = if a.vt.is_float() { "arith.addf" } else { "arith.addi" };
            let mut add = |x: &str, y: &str| g.e.let_(&format!("{op} {x}, {y} : {t1}"));
            let s01 = add(&lanes[0], &lanes[1]);
            let s23 = add(&lanes[2], &lanes[3]);
            let s45 = add(&lanes[4], &lanes[5]);
            let s67 = add(&lanes[6], &lanes[7]);
            let s03 = add(&s01, &s23);
            let s47 = add(&s45, &s67);
            add(&s03, &s47)
        } else {
            acc
        };
        let (p, _) = g.out_slots[a.output].clone();
        g.store(&x, &p, &c0, a.vt, 1);
    }
    let err = format!("{row_results}#{}", global.len() - 1);
    let code = g.e.let_(&format!("arith.extui {err} : i1 to i64"));
    g.e.line(&format!("return {code} : i64"));
    g.e.indent = 0;
    g.e.line("}");
    g.e.line("}");
    if let Some(why) = g.refused {
        return Err(why);
    }
    Ok(Lowered { mlir: g.e.out, outputs, flattenable, lane_sums })
}

/// The neutral start of a full min (the largest value) or max (the smallest).
fn extreme_literal(vt: ValueType, largest: bool) -> String {
    use ValueType::*;
    match (vt, largest) {
        (F64, true) => "0x7FF0000000000000".into(),
        (F64, false) => "0xFFF0000000000000".into(),
        (F32, true) => "0x7F800000".into(),
        (F32, false) => "0xFF800000".into(),
        (SI64, true) => i64::MAX.to_string(),
        (SI64, false) => i64::MIN.to_string(),
        (SI32, true) => i32::MAX.to_string(),
        (SI32, false) => i32::MIN.to_string(),
        (SI8, true) => i8::MAX.to_string(),
        (SI8, false) => i8::MIN.to_string(),
        // Unsigned maxima are all ones: -1 in the signless literal.
        (_, true) => "-1".into(),
        (_, false) => "0".into(),
    }
}
