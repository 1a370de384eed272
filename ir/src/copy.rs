//! Copying IR between modules: the ops of a block (with their nested regions) are rebuilt in
//! another module, operands renamed through a value map. The distribution pass uses it to cut a
//! pipeline out into a module of its own that travels to workers.

use crate::module::{Block, Module, Value};
use std::collections::HashMap;

/// Appends copies of the ops of `src_block` (of `src`) to `dst_block` (of `dst`). `map` must hold
/// the copies of the values the ops use from outside the block (its arguments, for instance);
/// it receives the copies of every value defined inside. A value missing from `map` is an error.
pub fn copy_block_into(
    src: &Module,
    src_block: Block,
    dst: &mut Module,
    dst_block: Block,
    map: &mut HashMap<Value, Value>,
) -> Result<(), String> {
    for &op in src.block_ops(src_block) {
        let data = src.op(op);
        let operands = data
            .operands
            .iter()
            .map(|v| map.get(v).copied().ok_or_else(|| format!("`{}` uses a value defined outside", data.kind)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut regions = Vec::with_capacity(data.regions.len());
        for &r in &data.regions {
            let mut blocks = Vec::new();
            for &b in &src.region(r).blocks {
                let types: Vec<_> = src.block_args(b).iter().map(|a| src.value_type(*a).clone()).collect();
                let nb = dst.create_block(&types);
                for (a, na) in src.block_args(b).iter().zip(dst.block_args(nb).to_vec()) {
                    map.insert(*a, na);
                }
                copy_block_into(src, b, dst, nb, map)?;
                blocks.push(nb);
            }
            regions.push(dst.create_region(&blocks));
        }
        let types = data.results.iter().map(|r| src.value_type(*r).clone()).collect();
        let copy = dst.create_op(data.kind, operands, types, data.attrs.clone(), regions, data.loc.clone());
        dst.append_op(dst_block, copy);
        for (r, nr) in data.results.iter().zip(dst.results(copy).to_vec()) {
            map.insert(*r, nr);
        }
    }
    Ok(())
}
