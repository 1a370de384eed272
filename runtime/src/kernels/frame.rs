//! Frame construction and column labels: `createFrame` (columns, then labels),
//! `setColLabels` and `setColLabelsPrefix` (DAPHNE's rule: a label's prefix up to its first `.`
//! is replaced).

use crate::data::Data;
use crate::frame::Frame;
use crate::kernels::args::{OpArgs, Out, one};

/// `daphne.createFrame`: the first half of the operands are the columns, the second half their
/// labels.
pub fn run_create_frame(a: &OpArgs<'_>) -> Out {
    let args = a.all();
    let half = args.len() / 2;
    let mut columns = Vec::with_capacity(half);
    for i in 0..half {
        columns.push(a.matrix(i, "a frame column")?.dense().into_owned());
    }
    let mut labels = Vec::with_capacity(half);
    for i in half..args.len() {
        labels.push(a.string(i, "a frame label")?);
    }
    one(Data::Frame(Frame::new(columns, labels)?))
}

/// `daphne.setColLabels`: one label per column.
pub fn run_set_col_labels(a: &OpArgs<'_>) -> Out {
    match a.get(0) {
        Data::Frame(f) => {
            let args = a.all();
            let mut labels = Vec::with_capacity(args.len() - 1);
            for i in 1..args.len() {
                labels.push(a.string(i, "a label")?);
            }
            if labels.len() != f.cols() {
                return Err(format!("setColLabels: {} labels for {} columns", labels.len(), f.cols()));
            }
            one(Data::Frame(Frame::new(f.columns().to_vec(), labels)?))
        }
        other => Err(format!("setColLabels expects a frame, not a {}", other.kind())),
    }
}

/// `daphne.setColLabelsPrefix`.
pub fn run_set_col_labels_prefix(a: &OpArgs<'_>) -> Out {
    match a.get(0) {
        Data::Frame(f) => {
            let p = a.string(1, "the prefix")?;
            // A label's existing prefix (up to its first `.`) is replaced, as in DAPHNE.
            let labels = f
                .labels()
                .iter()
                .map(|l| match l.find('.') {
                    Some(pos) => format!("{p}{}", &l[pos..]),
                    None => format!("{p}.{l}"),
                })
                .collect();
            one(Data::Frame(Frame::new(f.columns().to_vec(), labels)?))
        }
        other => Err(format!("setColLabelsPrefix expects a frame, not a {}", other.kind())),
    }
}
