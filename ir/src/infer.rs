//! Result-type inference: the data type (scalar, matrix, frame, list) and value type of an op's
//! results from its operand types, following DAPHNE's type-inference traits. The frontend calls it
//! while lowering (as DAPHNE's parser does), later passes to refine types.

use crate::attr::{Attr, Const};
use crate::module::Attrs;
use crate::ops::{OpKind, TypeRule};
use crate::types::{FrameType, MatrixType, Type, ValueType};

/// What inference may look at besides operand types.
pub struct InferInput<'a> {
    pub operands: &'a [Type],
    pub attrs: &'a Attrs,
    /// The result types the op currently has (for ops that keep or refine them).
    pub current: &'a [Type],
    /// The constant value of an operand, if it is defined by a `daphne.constant`.
    pub constant: &'a dyn Fn(usize) -> Option<Const>,
}

/// The inferred result types, or a message saying why the operand types are invalid.
pub fn infer_result_types(kind: OpKind, input: &InferInput<'_>) -> Result<Vec<Type>, String> {
    let ops = input.operands;
    let first = || ops.first().cloned().unwrap_or(Type::Unknown);
    let one = |t: Type| Ok(vec![t]);
    match kind.info().rule {
        TypeRule::Keep => Ok(input.current.to_vec()),
        TypeRule::Custom => infer_custom(kind, input),
        TypeRule::EwFromArgs => one(from_args(ops, |vt| vt)?),
        TypeRule::EwFromArgsFp => one(from_args(ops, to_fp)?),
        TypeRule::EwCmp => one(from_args(ops, |vt| if vt == ValueType::Str { ValueType::SI64 } else { vt })?),
        TypeRule::EwStr => one(from_args(ops, |_| ValueType::Str)?),
        TypeRule::EwFromArgsInt => one(from_args(ops, to_int)?),
        TypeRule::MatArgsInt => one(Type::matrix_of(most_general(ops).map(to_int))),
        TypeRule::UnaryFirst => one(map_vt(&first(), |vt| vt)),
        TypeRule::UnaryFp => one(map_vt(&first(), to_fp)),
        TypeRule::TypeFromFirst => one(same_vt(&first())),
        TypeRule::MatFirstVt => one(Type::matrix_of(first().value_type())),
        TypeRule::MatArgsVt => one(Type::matrix_of(most_general(ops))),
        TypeRule::MatFp => one(Type::matrix_of(most_general(ops).map(to_fp))),
        TypeRule::MatIndex => one(Type::matrix_of(Some(ValueType::Index))),
        TypeRule::Mat(vt) => one(Type::matrix_of(Some(vt))),
        TypeRule::ScaFirstVt => one(scalar(first().value_type())),
        TypeRule::ScaFp => one(scalar(first().value_type().map(to_fp))),
        TypeRule::Sca(vt) => one(Type::Scalar(vt)),
    }
}

fn to_fp(vt: ValueType) -> ValueType {
    if vt.is_float() { vt } else { ValueType::F64 }
}

/// DAPHNE's `ValueTypeFromArgsInt`: integer types (and bool) stay, others become `ui64`.
fn to_int(vt: ValueType) -> ValueType {
    if vt.is_int() && vt != ValueType::Index || vt == ValueType::Bool { vt } else { ValueType::UI64 }
}

fn scalar(vt: Option<ValueType>) -> Type {
    vt.map_or(Type::Unknown, Type::Scalar)
}

/// The most general value type of all operands (`None` if any is unknown).
fn most_general(ops: &[Type]) -> Option<ValueType> {
    let mut res: Option<ValueType> = None;
    for t in ops {
        let vt = t.value_type()?;
        res = Some(res.map_or(vt, |r| r.most_general(vt)));
    }
    res
}

/// The type of the first argument with its value type mapped and everything else unknown.
fn map_vt(t: &Type, f: impl Fn(ValueType) -> ValueType) -> Type {
    match t {
        Type::Scalar(vt) => Type::Scalar(f(*vt)),
        Type::Matrix(m) => Type::matrix_of(m.vt.map(f)),
        Type::Frame(fr) => Type::Frame(FrameType::with_columns(fr.column_types.iter().map(|c| c.map(&f)).collect())),
        other => other.clone(),
    }
}

/// The same data type and value type, shape and properties unknown.
fn same_vt(t: &Type) -> Type {
    map_vt(t, |vt| vt)
}

/// DAPHNE's `DataTypeFromArgs` + value-type rule: frame if any operand is a frame, else matrix if
/// any is a matrix, else scalar; unknown if any operand is unknown.
fn from_args(ops: &[Type], f: impl Fn(ValueType) -> ValueType) -> Result<Type, String> {
    if ops.iter().any(Type::is_unknown) {
        return Ok(Type::Unknown);
    }
    let frames: Vec<&FrameType> = ops
        .iter()
        .filter_map(|t| match t {
            Type::Frame(fr) => Some(fr),
            _ => None,
        })
        .collect();
    if let Some(first_frame) = frames.first() {
        let n = first_frame.column_types.len();
        if frames.iter().any(|fr| fr.column_types.len() != n) {
            return Err("all frame operands must have the same number of columns".into());
        }
        let mut cols = first_frame.column_types.clone();
        for t in ops {
            for (i, col) in cols.iter_mut().enumerate() {
                let other = match t {
                    Type::Frame(fr) => fr.column_types[i],
                    other => other.value_type(),
                };
                *col = match (*col, other) {
                    (Some(a), Some(b)) => Some(a.most_general(b)),
                    _ => None,
                };
            }
        }
        return Ok(Type::Frame(FrameType::with_columns(cols.into_iter().map(|c| c.map(&f)).collect())));
    }
    let vt = most_general(ops).map(&f);
    if ops.iter().any(Type::is_matrix) { Ok(Type::matrix_of(vt)) } else { Ok(scalar(vt)) }
}

fn const_bool(input: &InferInput<'_>, i: usize) -> Option<bool> {
    match (input.constant)(i)? {
        Const::Str(_) => None,
        c => c.as_f64().map(|v| v != 0.0),
    }
}

fn infer_custom(kind: OpKind, input: &InferInput<'_>) -> Result<Vec<Type>, String> {
    let ops = input.operands;
    let op_ty = |i: usize| ops.get(i).cloned().unwrap_or(Type::Unknown);
    match kind {
        OpKind::Constant => match input.attrs.get("value") {
            Some(Attr::Const(c)) => Ok(vec![c.ty()]),
            _ => Err("a constant needs a typed `value` attribute".into()),
        },
        OpKind::MatrixConstant => match input.attrs.get("value") {
            Some(Attr::Dense(d)) => Ok(vec![Type::Matrix(MatrixType {
                rows: Some(d.rows),
                cols: Some(d.cols),
                vt: Some(d.vt),
                ..MatrixType::default()
            })]),
            _ => Err("a matrix constant needs a dense `value` attribute".into()),
        },
        OpKind::Cast => {
            let target = input.current.first().cloned().unwrap_or(Type::Unknown);
            let arg = op_ty(0);
            Ok(vec![match target {
                Type::Matrix(m) if m.vt.is_none() => Type::Matrix(MatrixType { vt: arg.value_type(), ..m }),
                other => other,
            }])
        }
        // from, to and inc decide the value type (as for `seq`), not the block's first row and count.
        OpKind::SeqRows => Ok(vec![Type::matrix_of(most_general(&ops[..ops.len().min(3)]))]),
        OpKind::RandMatrix | OpKind::RandRows => {
            let (min, max) = (op_ty(2), op_ty(3));
            let vt = match (min.value_type(), max.value_type()) {
                (Some(a), Some(b)) if a != b => {
                    return Err(format!(
                        "min and max need to have the same type, but are {} and {}",
                        a.dsl_name(),
                        b.dsl_name()
                    ));
                }
                (Some(a), _) => Some(a),
                (None, b) => b,
            };
            Ok(vec![Type::matrix_of(vt)])
        }
        OpKind::CreateFrame => {
            let half = ops.len() / 2;
            let column_types = ops[..half].iter().map(Type::value_type).collect();
            let labels: Option<Vec<String>> = (half..ops.len())
                .map(|i| match (input.constant)(i) {
                    Some(Const::Str(s)) => Some(s),
                    _ => None,
                })
                .collect();
            Ok(vec![Type::Frame(FrameType { labels, ..FrameType::with_columns(column_types) })])
        }
        OpKind::Cond => {
            let cond = op_ty(0);
            let (then_t, else_t) = (op_ty(1), op_ty(2));
            match cond {
                Type::Unknown => Ok(vec![Type::Unknown]),
                Type::Matrix(m) => {
                    if then_t.is_frame() || else_t.is_frame() {
                        return Err(
                            "the then/else-values of `?:` cannot be frames when the condition is a matrix".into()
                        );
                    }
                    let (a, b) = (then_t.value_type(), else_t.value_type());
                    if a.is_some() && b.is_some() && a != b {
                        return Err("the then/else-values of `?:` must have the same value type".into());
                    }
                    Ok(vec![Type::Matrix(MatrixType { vt: a.or(b), ..m.with_same_vt() })])
                }
                Type::Frame(_) => Err("the condition of `?:` cannot be a frame".into()),
                _ => {
                    let (a, b) = (same_vt(&then_t), same_vt(&else_t));
                    if a.is_unknown() || b.is_unknown() {
                        return Ok(vec![Type::Unknown]);
                    }
                    if a != b {
                        return Err(format!(
                            "the then/else-values of `?:` must have the same type if the condition is a scalar, but are {} and {}",
                            a.dsl_name(),
                            b.dsl_name()
                        ));
                    }
                    Ok(vec![a])
                }
            }
        }
        OpKind::ColBind => {
            let (a, b) = (op_ty(0), op_ty(1));
            if a.is_unknown() || b.is_unknown() {
                return Ok(vec![Type::Unknown]);
            }
            if a.is_frame() || b.is_frame() {
                let cols_of = |t: &Type| -> Option<Vec<Option<ValueType>>> {
                    match t {
                        Type::Frame(fr) => Some(fr.column_types.clone()),
                        Type::Matrix(m) => m.cols.map(|c| vec![m.vt; c as usize]),
                        other => Some(vec![other.value_type()]),
                    }
                };
                let cols = match (cols_of(&a), cols_of(&b)) {
                    (Some(mut x), Some(y)) => {
                        x.extend(y);
                        x
                    }
                    _ => vec![None],
                };
                return Ok(vec![Type::Frame(FrameType::with_columns(cols))]);
            }
            Ok(vec![Type::matrix_of(most_general(&[a, b]))])
        }
        OpKind::Order => {
            let arg = op_ty(0);
            let last = ops.len().saturating_sub(1);
            Ok(vec![match const_bool(input, last) {
                Some(true) => Type::matrix_of(Some(ValueType::Index)),
                Some(false) => same_vt(&arg),
                None => Type::Unknown,
            }])
        }
        OpKind::EigenCal => {
            let t = same_vt(&op_ty(0));
            Ok(vec![t.clone(), t])
        }
        OpKind::CTable => Ok(vec![Type::matrix_of(op_ty(2).value_type())]),
        OpKind::ExtractCol | OpKind::FilterCol | OpKind::SliceCol => Ok(vec![match op_ty(0) {
            Type::Matrix(m) => Type::matrix_of(m.vt),
            Type::Frame(fr) => frame_columns(kind, &fr, input),
            other => other,
        }]),
        OpKind::Recode => match op_ty(0) {
            Type::Matrix(m) => Ok(vec![Type::matrix_of(Some(ValueType::SI64)), Type::matrix_of(m.vt)]),
            Type::Frame(fr) => {
                let codes = Type::Frame(FrameType::with_columns(vec![Some(ValueType::SI64); fr.column_types.len()]));
                Ok(vec![codes, Type::matrix_of(fr.most_general_vt())])
            }
            Type::Unknown => Ok(vec![Type::Unknown, Type::matrix_of(None)]),
            other => Err(format!("the argument to recode must be a matrix or frame, not a {}", other.data_type_name())),
        },
        OpKind::CreateList => {
            let mut elem: Option<Type> = None;
            for t in ops {
                match t {
                    Type::Unknown => {}
                    Type::Matrix(m) => {
                        let e = Type::matrix_of(m.vt);
                        match &elem {
                            Some(prev) if m.vt.is_some() && prev.value_type().is_some() && *prev != e => {
                                return Err("all elements of a list must be matrices of the same value type".into());
                            }
                            Some(prev) if prev.value_type().is_some() => {}
                            _ => elem = Some(e),
                        }
                    }
                    other => {
                        return Err(format!("list elements must be matrices, not a {}", other.data_type_name()));
                    }
                }
            }
            Ok(vec![Type::List(Box::new(elem.unwrap_or_else(|| Type::matrix_of(None))))])
        }
        OpKind::Remove => match op_ty(0) {
            Type::List(elem) => Ok(vec![Type::List(elem.clone()), *elem]),
            Type::Unknown => Ok(vec![Type::Unknown, Type::Unknown]),
            other => Err(format!("remove expects a list as its first argument, not a {}", other.data_type_name())),
        },
        other => Err(format!("internal error: `{}` has no custom type rule", other.name())),
    }
}

/// Column types of a frame after `extractCol` / `sliceCol` / `filterCol`.
fn frame_columns(kind: OpKind, fr: &FrameType, input: &InferInput<'_>) -> Type {
    let unknown = Type::Frame(FrameType::with_columns(vec![None]));
    match kind {
        OpKind::ExtractCol => match ((input.constant)(1), &fr.labels) {
            (Some(Const::Str(label)), Some(labels)) => match labels.iter().position(|l| *l == label) {
                Some(i) => Type::Frame(FrameType {
                    labels: Some(vec![label]),
                    ..FrameType::with_columns(vec![fr.column_types.get(i).copied().flatten()])
                }),
                None => unknown,
            },
            _ => unknown,
        },
        OpKind::SliceCol => {
            let bound = |i: usize| (input.constant)(i).and_then(|c| c.as_i128());
            let n = fr.column_types.len() as i128;
            match (bound(1), bound(2)) {
                (Some(lo), Some(hi)) if 0 <= lo && lo <= hi && hi <= n => {
                    Type::Frame(FrameType::with_columns(fr.column_types[lo as usize..hi as usize].to_vec()))
                }
                _ => unknown,
            }
        }
        _ => unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(kind: OpKind, ops: &[Type]) -> Result<Vec<Type>, String> {
        let attrs = Attrs::new();
        let none = |_: usize| None;
        infer_result_types(kind, &InferInput { operands: ops, attrs: &attrs, current: &[], constant: &none })
    }

    #[test]
    fn ew_binary_promotes() {
        let m_si64 = Type::matrix_of(Some(ValueType::SI64));
        assert_eq!(
            infer(OpKind::EwAdd, &[m_si64.clone(), Type::F64]).unwrap(),
            vec![Type::matrix_of(Some(ValueType::F64))]
        );
        assert_eq!(infer(OpKind::EwAdd, &[Type::SI64, Type::Scalar(ValueType::SI8)]).unwrap(), vec![Type::SI64]);
        assert_eq!(infer(OpKind::EwLog, &[Type::SI64, Type::SI64]).unwrap(), vec![Type::F64]);
        assert_eq!(infer(OpKind::EwLt, &[Type::STR, Type::STR]).unwrap(), vec![Type::SI64]);
        assert_eq!(infer(OpKind::EwAdd, &[Type::Unknown, Type::SI64]).unwrap(), vec![Type::Unknown]);
    }

    #[test]
    fn aggregations() {
        let m = Type::matrix_of(Some(ValueType::SI64));
        assert_eq!(infer(OpKind::SumAll, std::slice::from_ref(&m)).unwrap(), vec![Type::SI64]);
        assert_eq!(infer(OpKind::MeanAll, std::slice::from_ref(&m)).unwrap(), vec![Type::F64]);
        assert_eq!(
            infer(OpKind::IdxMaxRow, std::slice::from_ref(&m)).unwrap(),
            vec![Type::matrix_of(Some(ValueType::Index))]
        );
        assert_eq!(infer(OpKind::SumCol, std::slice::from_ref(&m)).unwrap(), vec![m]);
    }

    #[test]
    fn cond_with_scalar_condition_needs_equal_types() {
        assert!(infer(OpKind::Cond, &[Type::BOOL, Type::SI64, Type::F64]).is_err());
        assert_eq!(infer(OpKind::Cond, &[Type::BOOL, Type::F64, Type::F64]).unwrap(), vec![Type::F64]);
    }
}
