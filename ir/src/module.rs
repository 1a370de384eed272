//! The module: arenas of ops, values, blocks and regions addressed by typed `u32` handles (as in
//! Cranelift's `entities.rs`), plus the functions that build and rewrite them. Analyses take
//! `&Module`, transforms `&mut Module`; there is no shared ownership inside the IR.

use crate::attr::Attr;
use crate::loc::Loc;
use crate::ops::OpKind;
use crate::types::Type;
use std::collections::{BTreeMap, HashMap};

macro_rules! entity {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

entity!(
    /// An operation.
    Op
);
entity!(
    /// An SSA value: an op result or a block argument.
    Value
);
entity!(
    /// A block: arguments and a list of ops.
    Block
);
entity!(
    /// A region: the list of blocks an op such as `scf.for` or `func.func` owns.
    Region
);

/// Where a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueDef {
    Result(Op, u32),
    BlockArg(Block, u32),
}

#[derive(Clone, Debug)]
pub struct ValueData {
    pub ty: Type,
    pub def: ValueDef,
}

/// Attributes, kept sorted by name so that printing is deterministic (as MLIR's dictionaries).
pub type Attrs = BTreeMap<String, Attr>;

#[derive(Clone, Debug)]
pub struct OpData {
    pub kind: OpKind,
    pub operands: Vec<Value>,
    pub results: Vec<Value>,
    pub attrs: Attrs,
    pub regions: Vec<Region>,
    pub loc: Loc,
    pub parent: Option<Block>,
    erased: bool,
}

#[derive(Clone, Debug, Default)]
pub struct BlockData {
    pub args: Vec<Value>,
    pub ops: Vec<Op>,
    pub parent: Option<Region>,
}

#[derive(Clone, Debug, Default)]
pub struct RegionData {
    pub blocks: Vec<Block>,
    pub parent: Option<Op>,
}

/// A DaphneIR module: a list of `func.func` ops (the script's `main` and the user functions).
#[derive(Clone, Debug)]
pub struct Module {
    ops: Vec<OpData>,
    values: Vec<ValueData>,
    blocks: Vec<BlockData>,
    regions: Vec<RegionData>,
    body: Block,
    /// File names that locations refer to by index.
    pub files: Vec<String>,
}

impl Default for Module {
    fn default() -> Self {
        Module::new()
    }
}

impl Module {
    pub fn new() -> Module {
        let mut m = Module {
            ops: Vec::new(),
            values: Vec::new(),
            blocks: Vec::new(),
            regions: Vec::new(),
            body: Block(0),
            files: Vec::new(),
        };
        m.body = m.create_block(&[]);
        m
    }

    // ---------------------------------------------------------------------------------------
    // Files
    // ---------------------------------------------------------------------------------------

    /// The index of a file name in the location table, adding it if new.
    pub fn intern_file(&mut self, name: &str) -> u32 {
        if let Some(i) = self.files.iter().position(|f| f == name) {
            return i as u32;
        }
        self.files.push(name.to_string());
        (self.files.len() - 1) as u32
    }

    // ---------------------------------------------------------------------------------------
    // Access
    // ---------------------------------------------------------------------------------------

    /// The top-level block holding the module's functions.
    pub fn body(&self) -> Block {
        self.body
    }

    pub fn op(&self, op: Op) -> &OpData {
        &self.ops[op.index()]
    }

    pub fn op_mut(&mut self, op: Op) -> &mut OpData {
        &mut self.ops[op.index()]
    }

    pub fn kind(&self, op: Op) -> OpKind {
        self.ops[op.index()].kind
    }

    pub fn value(&self, v: Value) -> &ValueData {
        &self.values[v.index()]
    }

    pub fn value_type(&self, v: Value) -> &Type {
        &self.values[v.index()].ty
    }

    pub fn set_value_type(&mut self, v: Value, ty: Type) {
        self.values[v.index()].ty = ty;
    }

    pub fn block(&self, b: Block) -> &BlockData {
        &self.blocks[b.index()]
    }

    pub fn region(&self, r: Region) -> &RegionData {
        &self.regions[r.index()]
    }

    pub fn operands(&self, op: Op) -> &[Value] {
        &self.ops[op.index()].operands
    }

    pub fn results(&self, op: Op) -> &[Value] {
        &self.ops[op.index()].results
    }

    pub fn result(&self, op: Op, i: usize) -> Value {
        self.ops[op.index()].results[i]
    }

    pub fn attr(&self, op: Op, name: &str) -> Option<&Attr> {
        self.ops[op.index()].attrs.get(name)
    }

    pub fn block_ops(&self, b: Block) -> &[Op] {
        &self.blocks[b.index()].ops
    }

    pub fn block_args(&self, b: Block) -> &[Value] {
        &self.blocks[b.index()].args
    }

    /// The single block of a single-block region.
    pub fn region_block(&self, r: Region) -> Option<Block> {
        self.regions[r.index()].blocks.first().copied()
    }

    /// The entry block of the `i`-th region of an op.
    pub fn op_block(&self, op: Op, i: usize) -> Option<Block> {
        self.ops[op.index()].regions.get(i).and_then(|r| self.region_block(*r))
    }

    /// The op defining a value, if it is an op result.
    pub fn defining_op(&self, v: Value) -> Option<Op> {
        match self.values[v.index()].def {
            ValueDef::Result(op, _) => Some(op),
            ValueDef::BlockArg(..) => None,
        }
    }

    /// The op that owns the region containing this block, if any.
    pub fn block_parent_op(&self, b: Block) -> Option<Op> {
        self.blocks[b.index()].parent.and_then(|r| self.regions[r.index()].parent)
    }

    /// The op whose region (transitively) contains `op`.
    pub fn parent_op(&self, op: Op) -> Option<Op> {
        self.ops[op.index()].parent.and_then(|b| self.block_parent_op(b))
    }

    pub fn is_erased(&self, op: Op) -> bool {
        self.ops[op.index()].erased
    }

    /// The functions of the module, in order.
    pub fn funcs(&self) -> Vec<Op> {
        self.block_ops(self.body).iter().copied().filter(|o| self.kind(*o) == OpKind::Func).collect()
    }

    /// The name of a `func.func`.
    pub fn func_name(&self, func: Op) -> Option<&str> {
        self.attr(func, "sym_name").and_then(Attr::as_str)
    }

    /// Finds a function by name.
    pub fn find_func(&self, name: &str) -> Option<Op> {
        self.funcs().into_iter().find(|f| self.func_name(*f) == Some(name))
    }

    /// The declared result types of a `func.func`.
    pub fn func_result_types(&self, func: Op) -> Vec<Type> {
        match self.attr(func, "result_types") {
            Some(Attr::Array(items)) => items
                .iter()
                .map(|a| match a {
                    Attr::Type(t) => t.clone(),
                    _ => Type::Unknown,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Every op nested in a block (pre-order, including ops in nested regions).
    pub fn walk_block(&self, b: Block, f: &mut impl FnMut(Op)) {
        for &op in self.block_ops(b) {
            f(op);
            for &r in &self.op(op).regions {
                for &nb in &self.region(r).blocks {
                    self.walk_block(nb, f);
                }
            }
        }
    }

    /// Every op of the module (pre-order).
    pub fn walk(&self, f: &mut impl FnMut(Op)) {
        self.walk_block(self.body, f);
    }

    // ---------------------------------------------------------------------------------------
    // Construction
    // ---------------------------------------------------------------------------------------

    /// Creates a detached block with arguments of the given types.
    pub fn create_block(&mut self, arg_types: &[Type]) -> Block {
        let b = Block(self.blocks.len() as u32);
        self.blocks.push(BlockData::default());
        for (i, ty) in arg_types.iter().enumerate() {
            let v = self.new_value(ty.clone(), ValueDef::BlockArg(b, i as u32));
            self.blocks[b.index()].args.push(v);
        }
        b
    }

    /// Adds an argument to a block.
    pub fn add_block_arg(&mut self, b: Block, ty: Type) -> Value {
        let i = self.blocks[b.index()].args.len() as u32;
        let v = self.new_value(ty, ValueDef::BlockArg(b, i));
        self.blocks[b.index()].args.push(v);
        v
    }

    /// Creates a region holding the given blocks.
    pub fn create_region(&mut self, blocks: &[Block]) -> Region {
        let r = Region(self.regions.len() as u32);
        self.regions.push(RegionData { blocks: blocks.to_vec(), parent: None });
        for &b in blocks {
            self.blocks[b.index()].parent = Some(r);
        }
        r
    }

    /// Creates a detached op. Results get the given types.
    pub fn create_op(
        &mut self,
        kind: OpKind,
        operands: Vec<Value>,
        result_types: Vec<Type>,
        attrs: Attrs,
        regions: Vec<Region>,
        loc: Loc,
    ) -> Op {
        let op = Op(self.ops.len() as u32);
        let results = result_types
            .into_iter()
            .enumerate()
            .map(|(i, ty)| self.new_value(ty, ValueDef::Result(op, i as u32)))
            .collect();
        for &r in &regions {
            self.regions[r.index()].parent = Some(op);
        }
        self.ops.push(OpData { kind, operands, results, attrs, regions, loc, parent: None, erased: false });
        op
    }

    /// Appends a detached op to the end of a block.
    pub fn append_op(&mut self, b: Block, op: Op) {
        self.detach(op);
        self.ops[op.index()].parent = Some(b);
        self.blocks[b.index()].ops.push(op);
    }

    /// Inserts an op right before another one (in the other's block).
    pub fn insert_before(&mut self, anchor: Op, op: Op) {
        self.detach(op);
        let Some(b) = self.ops[anchor.index()].parent else {
            return;
        };
        let pos = self.position_in_block(b, anchor);
        self.ops[op.index()].parent = Some(b);
        self.blocks[b.index()].ops.insert(pos, op);
    }

    /// Inserts an op at the start of a block.
    pub fn prepend_op(&mut self, b: Block, op: Op) {
        self.detach(op);
        self.ops[op.index()].parent = Some(b);
        self.blocks[b.index()].ops.insert(0, op);
    }

    /// Removes an op from its block without erasing it.
    pub fn detach(&mut self, op: Op) {
        if let Some(b) = self.ops[op.index()].parent.take() {
            self.blocks[b.index()].ops.retain(|o| *o != op);
        }
    }

    /// Removes an op (and everything nested in it) from the module.
    pub fn erase_op(&mut self, op: Op) {
        self.detach(op);
        let regions = self.ops[op.index()].regions.clone();
        for r in regions {
            for b in self.regions[r.index()].blocks.clone() {
                for inner in self.blocks[b.index()].ops.clone() {
                    self.erase_op(inner);
                }
            }
        }
        self.ops[op.index()].erased = true;
    }

    /// Removes every op of a block (the block itself stays, with its arguments).
    pub fn clear_block(&mut self, b: Block) {
        for op in self.blocks[b.index()].ops.clone() {
            self.erase_op(op);
        }
    }

    /// Appends a `func.func` with the given name, argument types (entry block) and result types.
    pub fn create_func(&mut self, name: &str, entry: Block, result_types: Vec<Type>, loc: Loc) -> Op {
        let region = self.create_region(&[entry]);
        let mut attrs = Attrs::new();
        attrs.insert("sym_name".into(), Attr::Const(crate::attr::Const::Str(name.to_string())));
        attrs.insert("result_types".into(), Attr::Array(result_types.into_iter().map(Attr::Type).collect()));
        let func = self.create_op(OpKind::Func, vec![], vec![], attrs, vec![region], loc);
        let body = self.body;
        self.append_op(body, func);
        func
    }

    /// Sets the declared result types of a `func.func`.
    pub fn set_func_result_types(&mut self, func: Op, types: Vec<Type>) {
        self.op_mut(func).attrs.insert("result_types".into(), Attr::Array(types.into_iter().map(Attr::Type).collect()));
    }

    /// Deep-copies an op and everything nested in its regions as a new detached op. Operands found
    /// in `map` are replaced by their copies (others are kept, so values defined outside stay
    /// shared); the results and block arguments of the copy are added to `map`.
    pub fn clone_op(&mut self, op: Op, map: &mut HashMap<Value, Value>) -> Op {
        let data = self.ops[op.index()].clone();
        let mut regions = Vec::with_capacity(data.regions.len());
        for r in &data.regions {
            let mut blocks = Vec::new();
            for b in self.regions[r.index()].blocks.clone() {
                let args = self.blocks[b.index()].args.clone();
                let types: Vec<Type> = args.iter().map(|a| self.value_type(*a).clone()).collect();
                let nb = self.create_block(&types);
                for (old, new) in args.iter().zip(self.blocks[nb.index()].args.clone()) {
                    map.insert(*old, new);
                }
                for inner in self.blocks[b.index()].ops.clone() {
                    let copy = self.clone_op(inner, map);
                    self.append_op(nb, copy);
                }
                blocks.push(nb);
            }
            regions.push(self.create_region(&blocks));
        }
        let operands = data.operands.iter().map(|v| *map.get(v).unwrap_or(v)).collect();
        let types = data.results.iter().map(|v| self.value_type(*v).clone()).collect();
        let copy = self.create_op(data.kind, operands, types, data.attrs, regions, data.loc);
        for (old, new) in data.results.iter().zip(self.ops[copy.index()].results.clone()) {
            map.insert(*old, new);
        }
        copy
    }

    /// Replaces every use of `from` by `to` in the whole module.
    pub fn replace_all_uses(&mut self, from: Value, to: Value) {
        for data in &mut self.ops {
            if data.erased {
                continue;
            }
            for operand in &mut data.operands {
                if *operand == from {
                    *operand = to;
                }
            }
        }
    }

    /// The number of live uses of a value.
    pub fn use_count(&self, v: Value) -> usize {
        self.ops
            .iter()
            .filter(|d| !d.erased && d.parent.is_some())
            .map(|d| d.operands.iter().filter(|o| **o == v).count())
            .sum()
    }

    fn new_value(&mut self, ty: Type, def: ValueDef) -> Value {
        let v = Value(self.values.len() as u32);
        self.values.push(ValueData { ty, def });
        v
    }

    fn position_in_block(&self, b: Block, op: Op) -> usize {
        self.blocks[b.index()].ops.iter().position(|o| *o == op).unwrap_or(self.blocks[b.index()].ops.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::Const;

    #[test]
    fn build_and_erase() {
        let mut m = Module::new();
        let entry = m.create_block(&[]);
        let func = m.create_func("main", entry, vec![], Loc::Unknown);
        let mut attrs = Attrs::new();
        attrs.insert("value".into(), Attr::Const(Const::SI64(1)));
        let c = m.create_op(OpKind::Constant, vec![], vec![Type::SI64], attrs, vec![], Loc::Unknown);
        m.append_op(entry, c);
        let v = m.result(c, 0);
        let add = m.create_op(OpKind::EwAdd, vec![v, v], vec![Type::SI64], Attrs::new(), vec![], Loc::Unknown);
        m.append_op(entry, add);
        assert_eq!(m.use_count(v), 2);
        assert_eq!(m.funcs(), vec![func]);
        assert_eq!(m.parent_op(add), Some(func));
        m.erase_op(add);
        assert_eq!(m.use_count(v), 0);
        assert_eq!(m.block_ops(entry), &[c]);
    }

    #[test]
    fn clone_func_copies_nested_regions() {
        let src = r#"module {
  func.func @f(%arg0: si64) -> si64 {
    %0 = "daphne.constant"() {value = true} : () -> i1
    %1 = "scf.if"(%0) ({
      %2 = "daphne.ewAdd"(%arg0, %arg0) : (si64, si64) -> si64
      "scf.yield"(%2) : (si64) -> ()
    }, {
      "scf.yield"(%arg0) : (si64) -> ()
    }) : (i1) -> si64
    "daphne.return"(%1) : (si64) -> ()
  }
}"#;
        let mut m = crate::parse_module(src).unwrap();
        let f = m.find_func("f").unwrap();
        let copy = m.clone_op(f, &mut HashMap::new());
        m.op_mut(copy).attrs.insert("sym_name".into(), Attr::Const(Const::Str("g".into())));
        m.insert_before(f, copy);
        let printed = crate::print_module(&m, crate::PrintOptions::default());
        assert_eq!(printed.matches("daphne.ewAdd").count(), 2, "{printed}");
        assert!(printed.contains("func.func @g(%arg0: si64) -> si64"), "{printed}");
        crate::verify(&m).unwrap();
        // The copy is independent: changing its argument type leaves the original alone.
        let arg = m.block_args(m.op_block(copy, 0).unwrap())[0];
        m.set_value_type(arg, Type::F64);
        let orig_arg = m.block_args(m.op_block(f, 0).unwrap())[0];
        assert_eq!(m.value_type(orig_arg), &Type::SI64);
    }
}
