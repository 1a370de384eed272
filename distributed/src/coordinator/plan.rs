//! How a distributed pipeline is cut over the workers: which inputs are split by rows, broadcast
//! or sent inline, and the row range of each partition (DAPHNE's scheme: n/W rows each, one more
//! for the first n%W; never more partitions than rows).

use super::Input;
use daphne_ir::vector::{self, Split};
use daphne_ir::{Block, Module};
use daphne_runtime::data::Data;

/// How one input reaches the workers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Delivery {
    /// A scalar, inside the task.
    Inline,
    /// Each partition gets its rows.
    Split,
    /// Each worker gets the whole input.
    Broadcast,
    /// The partition's first row, as an index scalar (a generation task's argument).
    FirstRow,
    /// The partition's number of rows, as an index scalar.
    RowCount,
}

/// The cut of one pipeline.
pub(super) struct Plan {
    /// Per partition, its row range.
    pub ranges: Vec<(usize, usize)>,
    pub sends: Vec<Delivery>,
}

fn rows_of(input: &Input) -> Option<usize> {
    match input {
        Input::Local(Data::Matrix(mat)) => Some(mat.rows()),
        Input::Remote(p) => Some(p.rows()),
        _ => None,
    }
}

/// The plan of a pipeline over `workers` partitions at most, or `None` when its inputs do not fit
/// its row structure (the pipeline then runs on the coordinator, exactly as plain execution).
pub(super) fn plan(m: &Module, body: Block, splits: &[Split], inputs: &[Input], workers: usize) -> Option<Plan> {
    let args = m.block_args(body);
    if splits.len() != inputs.len() || args.len() != inputs.len() || workers == 0 {
        return None;
    }
    let mut main_rows: Option<usize> = None;
    let mut max_rows = 0;
    for (j, split) in splits.iter().enumerate() {
        if *split != Split::Rows {
            continue;
        }
        let rows = rows_of(&inputs[j])?;
        max_rows = max_rows.max(rows);
        if !vector::broadcastable(m, body, args[j]) {
            match main_rows {
                Some(r) if r != rows => return None,
                _ => main_rows = Some(rows),
            }
        }
    }
    let len = main_rows.unwrap_or(max_rows);
    if len == 0 {
        return None;
    }
    let mut sends = Vec::with_capacity(inputs.len());
    for (j, split) in splits.iter().enumerate() {
        let send = match (split, &inputs[j]) {
            (_, Input::Local(Data::Scalar(_))) => Delivery::Inline,
            (Split::Rows, input) if rows_of(input) == Some(len) => Delivery::Split,
            (Split::Rows, input) if rows_of(input) == Some(1) => Delivery::Broadcast,
            (Split::Rows, _) => return None,
            (Split::None, Input::Local(Data::Matrix(_) | Data::Frame(_)) | Input::Remote(_)) => Delivery::Broadcast,
            (Split::None, _) => return None,
        };
        sends.push(send);
    }
    Some(Plan { ranges: row_ranges(len, workers), sends })
}

/// Contiguous row ranges: `len / n` rows each, one more for the first `len % n`.
pub(super) fn row_ranges(len: usize, workers: usize) -> Vec<(usize, usize)> {
    let used = workers.min(len).max(1);
    let (base, extra) = (len / used, len % used);
    let mut ranges = Vec::with_capacity(used);
    let mut r0 = 0;
    for w in 0..used {
        let r1 = r0 + base + usize::from(w < extra);
        ranges.push((r0, r1));
        r0 = r1;
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_daphne() {
        assert_eq!(row_ranges(10, 3), vec![(0, 4), (4, 7), (7, 10)]);
        assert_eq!(row_ranges(2, 3), vec![(0, 1), (1, 2)]);
        assert_eq!(row_ranges(1, 1), vec![(0, 1)]);
        assert_eq!(row_ranges(9, 3), vec![(0, 3), (3, 6), (6, 9)]);
    }
}
