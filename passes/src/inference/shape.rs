//! Shape inference: the number of rows and columns of matrix and frame results, from operand
//! shapes and compile-time constant operands (DAPHNE's shape traits). Bounds that are known to be
//! invalid at compile time (a slice outside a known shape, binding matrices of known different
//! heights) are reported here, as DAPHNE's compiler does.

use daphne_ir::ops::{Axis, Family};
use daphne_ir::{Const, OpKind, Type};

/// Rows and columns; `None` is unknown.
pub type Shape = (Option<u64>, Option<u64>);

pub const UNKNOWN: Shape = (None, None);

/// The shape of a matrix or frame type (a scalar counts as 1 x 1).
pub fn shape_of(t: &Type) -> Shape {
    match t {
        Type::Matrix(m) => (m.rows, m.cols),
        Type::Frame(f) => {
            (f.rows, f.cols.or(if f.column_types.contains(&None) { None } else { Some(f.column_types.len() as u64) }))
        }
        Type::Scalar(_) => (Some(1), Some(1)),
        _ => UNKNOWN,
    }
}

fn both<T>(a: Option<T>, b: Option<T>, f: impl Fn(T, T) -> T) -> Option<T> {
    Some(f(a?, b?))
}

/// What shape inference may look at.
pub struct ShapeInput<'a> {
    pub operands: &'a [Type],
    pub constant: &'a dyn Fn(usize) -> Option<Const>,
    /// The result types type inference just produced (matrix constants carry their shape there).
    pub results: &'a [Type],
}

impl ShapeInput<'_> {
    fn shape(&self, i: usize) -> Shape {
        self.operands.get(i).map_or(UNKNOWN, shape_of)
    }

    /// A non-negative integer constant operand (a size).
    fn size(&self, i: usize) -> Option<u64> {
        let c = (self.constant)(i)?;
        let v = match c {
            Const::F64(v) => v as i128,
            Const::F32(v) => v as i128,
            other => other.as_i128()?,
        };
        u64::try_from(v).ok()
    }

    fn int(&self, i: usize) -> Option<i64> {
        (self.constant)(i).and_then(|c| match c {
            Const::F64(v) => Some(v as i64),
            Const::F32(v) => Some(v as i64),
            other => other.as_i128().map(|v| v as i64),
        })
    }

    fn flag(&self, i: usize) -> Option<bool> {
        (self.constant)(i).and_then(|c| c.as_f64()).map(|v| v != 0.0)
    }

    fn is_matrix(&self, i: usize) -> bool {
        self.operands.get(i).is_some_and(|t| t.is_matrix() || t.is_frame())
    }
}

/// Resolves the bounds of a row or column slice with DAPHNE's negative-index rules and checks them
/// against a known extent.
fn slice_extent(lo: i64, hi: i64, n: u64, what: &str) -> Result<u64, String> {
    let ni = n as i64;
    let (mut l, mut h) = (lo, hi);
    if l < 0 {
        l += ni;
        if h <= 0 {
            h += ni;
        }
    } else if h < 0 {
        h += ni;
    }
    if l < 0 || l >= ni || h < l || h > ni {
        return Err(format!(
            "invalid bounds [{lo}, {hi}) for {what}: they must satisfy 0 <= lower < {n} and lower <= upper <= {n}"
        ));
    }
    Ok((h - l) as u64)
}

/// The shape of every result of an op (`UNKNOWN` for non-matrix results).
pub fn infer_shapes(kind: OpKind, input: &ShapeInput<'_>, results: usize) -> Result<Vec<Shape>, String> {
    use OpKind::*;
    let s0 = input.shape(0);
    let single = |s: Shape| Ok(vec![s]);
    // The families, by the op table.
    match kind.family() {
        Family::Unary(_) | Family::Cumulative(_) => return single(s0),
        Family::Binary(_) => {
            return if input.is_matrix(0) {
                single(s0)
            } else if input.is_matrix(1) {
                single(input.shape(1))
            } else {
                single(UNKNOWN)
            };
        }
        Family::Outer(_) => return single((s0.0, input.shape(1).1)),
        Family::Agg(_, Axis::Row) => return single((s0.0, Some(1))),
        Family::Agg(_, Axis::Col) => return single((Some(1), s0.1)),
        Family::Grouped(_) => return single((input.size(2), s0.1)),
        Family::Agg(_, Axis::All) | Family::Other => {}
    }
    match kind {
        MatrixConstant => single(input.results.first().map_or(UNKNOWN, shape_of)),
        Fill | RandMatrix => {
            let (r, c) = if kind == Fill { (1, 2) } else { (0, 1) };
            single((input.size(r), input.size(c)))
        }
        Seq => {
            let rows = match ((input.constant)(0), (input.constant)(1), (input.constant)(2)) {
                (Some(a), Some(b), Some(c)) => seq_rows(a.as_f64(), b.as_f64(), c.as_f64()),
                _ => None,
            };
            single((rows, Some(1)))
        }
        RandRows => single((input.size(7), input.size(1))),
        SeqRows => single((input.size(4), Some(1))),
        ReadRows => single((input.size(5), input.size(2))),
        Sample => single((input.size(1), Some(1))),
        DiagMatrix => single((s0.0, s0.0)),
        CreateFrame => {
            let half = input.operands.len() / 2;
            single((s0.0, Some(half as u64)))
        }
        Replace | Bin | Quantize | Map | InsertRow | InsertCol | Tri | Reverse | Cast => single(s0),
        Cond => {
            if input.is_matrix(0) {
                single(s0)
            } else {
                let (a, b) = (input.shape(1), input.shape(2));
                single((if a.0 == b.0 { a.0 } else { None }, if a.1 == b.1 { a.1 } else { None }))
            }
        }
        Reshape => single((input.size(1), input.size(2))),
        Transpose => single((s0.1, s0.0)),
        ColBind | RowBind => {
            let s1 = input.shape(1);
            let (same, sum) = if kind == ColBind { ((s0.0, s1.0), (s0.1, s1.1)) } else { ((s0.1, s1.1), (s0.0, s1.0)) };
            if let (Some(a), Some(b)) = same
                && a != b
            {
                let (name, dim) = if kind == ColBind { ("cbind", "rows") } else { ("rbind", "columns") };
                return Err(format!(
                    "{name}: the two operands must have the same number of {dim}, but have {a} and {b}"
                ));
            }
            let keep = same.0.or(same.1);
            let total = both(sum.0, sum.1, |a, b| a + b);
            single(if kind == ColBind { (keep, total) } else { (total, keep) })
        }
        Order => {
            let last = input.operands.len().saturating_sub(1);
            single(if input.flag(last) == Some(true) { (s0.0, Some(1)) } else { s0 })
        }
        MatMul => {
            let ta = input.flag(2).unwrap_or(false);
            let tb = input.flag(3).unwrap_or(false);
            let a = if ta { (s0.1, s0.0) } else { s0 };
            let s1 = input.shape(1);
            let b = if tb { (s1.1, s1.0) } else { s1 };
            single((a.0, b.1))
        }
        Solve => single((s0.0, input.shape(1).1)),
        Syrk => single((s0.1, s0.1)),
        Gemv => single((s0.1, Some(1))),
        EigenCal => Ok(vec![(s0.0, Some(1)), (s0.0, s0.0)]),
        DiagVector => single((s0.0, Some(1))),
        CTable => {
            let dim = |i: usize| input.int(i).filter(|v| *v >= 0).map(|v| v as u64);
            single((dim(3), dim(4)))
        }
        SliceRow | SliceCol => {
            let (extent, other) = if kind == SliceRow { (s0.0, s0.1) } else { (s0.1, s0.0) };
            let len = match (input.int(1), input.int(2)) {
                (Some(lo), Some(hi)) => match extent {
                    Some(n) => {
                        Some(slice_extent(lo, hi, n, if kind == SliceRow { "the rows" } else { "the columns" })?)
                    }
                    None if lo >= 0 && hi >= lo => Some((hi - lo) as u64),
                    None => None,
                },
                _ => None,
            };
            single(if kind == SliceRow { (len, other) } else { (other, len) })
        }
        ExtractRow => {
            let sel = input.shape(1);
            single((both(sel.0, sel.1, |a, b| a * b), s0.1))
        }
        ExtractCol => {
            let sel = input.shape(1);
            let n = if input.is_matrix(1) { both(sel.0, sel.1, |a, b| a * b) } else { Some(1) };
            single((s0.0, n))
        }
        FilterRow => single((None, s0.1)),
        FilterCol => single((s0.0, None)),
        OneHot => single((s0.0, None)),
        Recode => Ok(vec![(s0.0, Some(1)), (None, Some(1))]),
        _ => Ok(vec![UNKNOWN; results]),
    }
}

/// The number of cells `seq(from, to, inc)` produces, as DAPHNE's kernel computes it.
fn seq_rows(from: Option<f64>, to: Option<f64>, inc: Option<f64>) -> Option<u64> {
    let (a, b, c) = (from?, to?, inc?);
    if c == 0.0 || a.is_nan() || b.is_nan() || c.is_nan() {
        return None;
    }
    if (a < b && c < 0.0) || (a > b && c > 0.0) {
        return Some(0);
    }
    let expected = ((b - a).abs() / c.abs()).ceil() as u64 + 1;
    let last = a + (expected - 1) as f64 * c;
    let eps = 1.0e-13;
    if (b < a && b - last > eps) || (b > a && last - b > eps) { Some(expected - 1) } else { Some(expected) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daphne_ir::ValueType;

    fn m(r: u64, c: u64) -> Type {
        Type::Matrix(daphne_ir::MatrixType {
            rows: Some(r),
            cols: Some(c),
            vt: Some(ValueType::F64),
            ..Default::default()
        })
    }

    #[test]
    fn binds_and_slices() {
        let none = |_: usize| None;
        let ops = [m(2, 3), m(2, 4)];
        let s =
            infer_shapes(OpKind::ColBind, &ShapeInput { operands: &ops, constant: &none, results: &[] }, 1).unwrap();
        assert_eq!(s, vec![(Some(2), Some(7))]);
        let ops = [m(2, 3), m(3, 3)];
        assert!(
            infer_shapes(OpKind::ColBind, &ShapeInput { operands: &ops, constant: &none, results: &[] }, 1).is_err()
        );
        let consts = |i: usize| match i {
            1 => Some(Const::SI64(-2)),
            2 => Some(Const::SI64(0)),
            _ => None,
        };
        let ops = [m(5, 3), Type::SI64, Type::SI64];
        let s =
            infer_shapes(OpKind::SliceRow, &ShapeInput { operands: &ops, constant: &consts, results: &[] }, 1).unwrap();
        assert_eq!(s, vec![(Some(2), Some(3))]);
    }

    #[test]
    fn seq_rows_match_the_kernel() {
        assert_eq!(seq_rows(Some(0.0), Some(1.0), Some(0.1)), Some(11));
        assert_eq!(seq_rows(Some(1.0), Some(10.0), Some(1.0)), Some(10));
        assert_eq!(seq_rows(Some(5.0), Some(1.0), Some(1.0)), Some(0));
    }
}
