//! Lists of matrices: `createList`, `length`, `append` and `remove` (which returns the shorter list
//! and the removed element). Lists are values: every op returns a new list.

use crate::data::Data;
use crate::elem::Scalar;
use crate::kernels::args::{OpArgs, Out, one};

/// `daphne.createList`.
pub fn run_create_list(a: &OpArgs<'_>) -> Out {
    let mut items = Vec::with_capacity(a.all().len());
    for i in 0..a.all().len() {
        items.push(a.matrix(i, "a list element")?.clone());
    }
    one(Data::List(items))
}

/// `daphne.length`.
pub fn run_length(a: &OpArgs<'_>) -> Out {
    match a.get(0) {
        Data::List(l) => one(Data::Scalar(Scalar::Index(l.len() as i64))),
        other => Err(format!("length expects a list, not a {}", other.kind())),
    }
}

/// `daphne.append`.
pub fn run_append(a: &OpArgs<'_>) -> Out {
    match a.get(0) {
        Data::List(l) => {
            let mut l = l.clone();
            l.push(a.matrix(1, "the appended element")?.clone());
            one(Data::List(l))
        }
        other => Err(format!("append expects a list, not a {}", other.kind())),
    }
}

/// `daphne.remove`.
pub fn run_remove(a: &OpArgs<'_>) -> Out {
    match a.get(0) {
        Data::List(l) => {
            let i = a.size(1, "the position")?;
            if i >= l.len() {
                return Err(format!("remove: position {i} is out of bounds for a list of {} elements", l.len()));
            }
            let mut l = l.clone();
            let m = l.remove(i);
            Ok(vec![Data::List(l), Data::Matrix(m)])
        }
        other => Err(format!("remove expects a list, not a {}", other.kind())),
    }
}
