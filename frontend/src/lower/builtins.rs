//! Lowering of built-in function calls to DaphneIR ops, with DAPHNE's argument-count checks, the
//! casts DAPHNE inserts (sizes to `index`, flags to `bool`, seeds to `si64`) and its defaults
//! (`seq` step 1, `print` newline, `ctable` weight 1, `stop` message, ...).

use super::{LResult, Lowerer, Produced};
use daphne_ir::diag::Span;
use daphne_ir::types::Opaque;
use daphne_ir::{Attr, Attrs, Const, FrameType, OpKind, Type, Value, ValueType};

type Args<'a> = &'a [(Value, Span)];

impl Lowerer<'_> {
    fn arity_error(&mut self, name: &str, expected: String, got: usize, span: Span) -> super::Fail {
        self.error("E0202", span, format!("built-in function `{name}` expects {expected} argument(s), but got {got}"))
    }

    fn exact(&mut self, name: &str, args: Args, n: usize, span: Span) -> LResult<()> {
        if args.len() == n { Ok(()) } else { Err(self.arity_error(name, format!("exactly {n}"), args.len(), span)) }
    }

    fn between(&mut self, name: &str, args: Args, lo: usize, hi: usize, span: Span) -> LResult<()> {
        if (lo..=hi).contains(&args.len()) {
            Ok(())
        } else {
            Err(self.arity_error(name, format!("between {lo} and {hi}"), args.len(), span))
        }
    }

    fn at_least(&mut self, name: &str, args: Args, n: usize, span: Span) -> LResult<()> {
        if args.len() >= n { Ok(()) } else { Err(self.arity_error(name, format!("at least {n}"), args.len(), span)) }
    }

    fn even(&mut self, name: &str, args: Args, span: Span) -> LResult<()> {
        if args.len().is_multiple_of(2) {
            Ok(())
        } else {
            Err(self.error(
                "E0202",
                span,
                format!("built-in function `{name}` expects an even number of arguments, but got {}", args.len()),
            ))
        }
    }

    fn one(&mut self, kind: OpKind, operands: Vec<Value>, span: Span) -> LResult<Produced> {
        Ok(Produced::One(self.emit(kind, operands, Attrs::new(), span)?[0]))
    }

    fn typed(&mut self, kind: OpKind, operands: Vec<Value>, types: Vec<Type>, span: Span) -> Produced {
        let r = self.emit_typed(kind, operands, types, Attrs::new(), span);
        match r.len() {
            0 => Produced::None,
            1 => Produced::One(r[0]),
            _ => Produced::Many(r),
        }
    }

    fn none(&mut self, kind: OpKind, operands: Vec<Value>, attrs: Attrs, span: Span) -> Produced {
        self.emit_typed(kind, operands, vec![], attrs, span);
        Produced::None
    }

    /// An integer constant argument (aggregation axes, value-type codes).
    fn const_int(&mut self, arg: (Value, Span), what: &str) -> LResult<i128> {
        match self.const_of(arg.0).and_then(|c| c.as_i128()) {
            Some(v) => Ok(v),
            None => Err(self.error("E0211", arg.1, format!("{what} must be a constant"))),
        }
    }

    fn const_str(&mut self, arg: (Value, Span), what: &str) -> LResult<String> {
        match self.const_of(arg.0) {
            Some(Const::Str(s)) => Ok(s),
            _ => Err(self.error("E0211", arg.1, format!("{what} must be a constant string"))),
        }
    }

    fn sizes(&mut self, args: Args) -> Vec<Value> {
        args.iter().map(|(v, s)| self.cast_size(*v, *s)).collect()
    }

    /// Lowers a call to a built-in; `args` are in parameter order.
    pub(super) fn builtin(&mut self, name: &str, args: Args, _name_span: Span, span: Span) -> LResult<Produced> {
        let v = |i: usize| args[i].0;
        let s = |i: usize| args[i].1;
        match name {
            // ------------------------------------------------------------------ data generation
            "fill" => {
                self.exact(name, args, 3, span)?;
                let sz = self.sizes(&args[1..]);
                let ty = Type::matrix_of(self.ty(v(0)).value_type());
                Ok(self.typed(OpKind::Fill, vec![v(0), sz[0], sz[1]], vec![ty], span))
            }
            "createFrame" => {
                self.at_least(name, args, 1, span)?;
                let mut cols = Vec::new();
                let mut labels = Vec::new();
                for &(a, sp) in args {
                    match self.ty(a) {
                        Type::Matrix(_) if labels.is_empty() => cols.push(a),
                        Type::Scalar(ValueType::Str) => labels.push(a),
                        _ => {
                            return Err(self.error(
                                "E0207",
                                sp,
                                "arguments to createFrame() must be one or more matrices optionally followed by equally many strings",
                            ));
                        }
                    }
                }
                if labels.is_empty() {
                    for i in 0..cols.len() {
                        labels.push(self.constant(Const::Str(format!("col_{i}")), span));
                    }
                } else if labels.len() != cols.len() {
                    return Err(self.error(
                        "E0207",
                        span,
                        "createFrame() expects either no column labels or as many labels as columns",
                    ));
                }
                cols.extend(labels);
                self.one(OpKind::CreateFrame, cols, span)
            }
            "diagMatrix" => {
                self.exact(name, args, 1, span)?;
                self.one(OpKind::DiagMatrix, vec![v(0)], span)
            }
            "rand" => {
                self.exact(name, args, 6, span)?;
                let sz = self.sizes(&args[..2]);
                let sparsity = self.cast_if(Type::F64, v(4), s(4));
                let seed = self.cast_si64(v(5), s(5));
                let ty = Type::matrix_of(self.ty(v(2)).value_type());
                Ok(self.typed(OpKind::RandMatrix, vec![sz[0], sz[1], v(2), v(3), sparsity, seed], vec![ty], span))
            }
            "sample" => {
                self.exact(name, args, 4, span)?;
                let size = self.cast_size(v(1), s(1));
                let repl = self.cast_bool(v(2), s(2));
                let seed = self.cast_si64(v(3), s(3));
                let ty = Type::matrix_of(self.ty(v(0)).value_type());
                Ok(self.typed(OpKind::Sample, vec![v(0), size, repl, seed], vec![ty], span))
            }
            "seq" => {
                self.between(name, args, 2, 3, span)?;
                // The default step is si8 so that it never dominates from/to in type promotion.
                let inc = if args.len() == 3 { v(2) } else { self.constant(Const::SI8(1), span) };
                self.one(OpKind::Seq, vec![v(0), v(1), inc], span)
            }
            // ------------------------------------------------------------------ meta data
            "typeOf" => self.unary(name, OpKind::TypeOf, args, span),
            "nrow" => self.unary(name, OpKind::NumRows, args, span),
            "ncol" => self.unary(name, OpKind::NumCols, args, span),
            "ncell" => self.unary(name, OpKind::NumCells, args, span),
            "sparsity" => self.unary(name, OpKind::Sparsity, args, span),
            "isSymmetric" => self.unary(name, OpKind::IsSymmetric, args, span),
            // ------------------------------------------------------------------ elementwise unary
            "minus" => self.unary(name, OpKind::EwMinus, args, span),
            "abs" => self.unary(name, OpKind::EwAbs, args, span),
            "sign" => self.unary(name, OpKind::EwSign, args, span),
            "exp" => self.unary(name, OpKind::EwExp, args, span),
            "ln" => self.unary(name, OpKind::EwLn, args, span),
            "sqrt" => self.unary(name, OpKind::EwSqrt, args, span),
            "round" => self.unary(name, OpKind::EwRound, args, span),
            "floor" => self.unary(name, OpKind::EwFloor, args, span),
            "ceil" => self.unary(name, OpKind::EwCeil, args, span),
            "sin" => self.unary(name, OpKind::EwSin, args, span),
            "cos" => self.unary(name, OpKind::EwCos, args, span),
            "tan" => self.unary(name, OpKind::EwTan, args, span),
            "sinh" => self.unary(name, OpKind::EwSinh, args, span),
            "cosh" => self.unary(name, OpKind::EwCosh, args, span),
            "tanh" => self.unary(name, OpKind::EwTanh, args, span),
            "asin" => self.unary(name, OpKind::EwAsin, args, span),
            "acos" => self.unary(name, OpKind::EwAcos, args, span),
            "atan" => self.unary(name, OpKind::EwAtan, args, span),
            "isNan" => self.unary(name, OpKind::EwIsNan, args, span),
            "lower" => self.unary(name, OpKind::EwLower, args, span),
            "upper" => self.unary(name, OpKind::EwUpper, args, span),
            // ------------------------------------------------------------------ elementwise binary
            "pow" => self.binary_fn(name, OpKind::EwPow, args, span),
            "log" => self.binary_fn(name, OpKind::EwLog, args, span),
            "mod" => self.binary_fn(name, OpKind::EwMod, args, span),
            "min" => self.binary_fn(name, OpKind::EwMin, args, span),
            "max" => self.binary_fn(name, OpKind::EwMax, args, span),
            "concat" => self.binary_fn(name, OpKind::EwConcat, args, span),
            // ------------------------------------------------------------------ outer binary
            "outerAdd" => self.binary_fn(name, OpKind::OuterAdd, args, span),
            "outerSub" => self.binary_fn(name, OpKind::OuterSub, args, span),
            "outerMul" => self.binary_fn(name, OpKind::OuterMul, args, span),
            "outerDiv" => self.binary_fn(name, OpKind::OuterDiv, args, span),
            "outerPow" => self.binary_fn(name, OpKind::OuterPow, args, span),
            "outerMod" => self.binary_fn(name, OpKind::OuterMod, args, span),
            "outerLog" => self.binary_fn(name, OpKind::OuterLog, args, span),
            "outerMin" => self.binary_fn(name, OpKind::OuterMin, args, span),
            "outerMax" => self.binary_fn(name, OpKind::OuterMax, args, span),
            "outerAnd" => self.binary_fn(name, OpKind::OuterAnd, args, span),
            "outerOr" => self.binary_fn(name, OpKind::OuterOr, args, span),
            "outerXor" => self.binary_fn(name, OpKind::OuterXor, args, span),
            "outerConcat" => self.binary_fn(name, OpKind::OuterConcat, args, span),
            "outerEq" => self.binary_fn(name, OpKind::OuterEq, args, span),
            "outerNeq" => self.binary_fn(name, OpKind::OuterNeq, args, span),
            "outerLt" => self.binary_fn(name, OpKind::OuterLt, args, span),
            "outerLe" => self.binary_fn(name, OpKind::OuterLe, args, span),
            "outerGt" => self.binary_fn(name, OpKind::OuterGt, args, span),
            "outerGe" => self.binary_fn(name, OpKind::OuterGe, args, span),
            // ------------------------------------------------------------------ aggregation
            "sum" => self.any_agg(name, [OpKind::SumAll, OpKind::SumRow, OpKind::SumCol, OpKind::SumGrp], args, span),
            "aggMin" => {
                self.any_agg(name, [OpKind::MinAll, OpKind::MinRow, OpKind::MinCol, OpKind::MinGrp], args, span)
            }
            "aggMax" => {
                self.any_agg(name, [OpKind::MaxAll, OpKind::MaxRow, OpKind::MaxCol, OpKind::MaxGrp], args, span)
            }
            "mean" => {
                self.any_agg(name, [OpKind::MeanAll, OpKind::MeanRow, OpKind::MeanCol, OpKind::MeanGrp], args, span)
            }
            "var" => self.any_agg(name, [OpKind::VarAll, OpKind::VarRow, OpKind::VarCol, OpKind::VarGrp], args, span),
            "stddev" => self.any_agg(
                name,
                [OpKind::StddevAll, OpKind::StddevRow, OpKind::StddevCol, OpKind::StddevGrp],
                args,
                span,
            ),
            "idxMin" => {
                self.exact(name, args, 2, span)?;
                self.row_or_col_agg(OpKind::IdxMinRow, OpKind::IdxMinCol, args, span)
            }
            "idxMax" => {
                self.exact(name, args, 2, span)?;
                self.row_or_col_agg(OpKind::IdxMaxRow, OpKind::IdxMaxCol, args, span)
            }
            "count" => {
                self.exact(name, args, 3, span)?;
                self.grp_agg(OpKind::CountGrp, args, span)
            }
            "cumSum" => self.unary(name, OpKind::SumCum, args, span),
            "cumProd" => self.unary(name, OpKind::ProdCum, args, span),
            "cumMin" => self.unary(name, OpKind::MinCum, args, span),
            "cumMax" => self.unary(name, OpKind::MaxCum, args, span),
            // ------------------------------------------------------------------ reorganization
            "reshape" => {
                self.exact(name, args, 3, span)?;
                let sz = self.sizes(&args[1..]);
                self.one(OpKind::Reshape, vec![v(0), sz[0], sz[1]], span)
            }
            "t" | "transpose" => self.unary(name, OpKind::Transpose, args, span),
            "cbind" => self.binary_fn(name, OpKind::ColBind, args, span),
            "rbind" => self.binary_fn(name, OpKind::RowBind, args, span),
            "reverse" => self.unary(name, OpKind::Reverse, args, span),
            "order" => {
                self.at_least(name, args, 4, span)?;
                self.even(name, args, span)?;
                let n = (args.len() - 2) / 2;
                let mut operands = vec![v(0)];
                for i in 0..n {
                    operands.push(self.cast_size(v(1 + i), s(1 + i)));
                }
                for i in 0..n {
                    operands.push(self.cast_bool(v(1 + n + i), s(1 + n + i)));
                }
                let last = args.len() - 1;
                operands.push(self.cast_bool(v(last), s(last)));
                self.one(OpKind::Order, operands, span)
            }
            // ------------------------------------------------------------------ linear algebra
            "eigen" => {
                self.exact(name, args, 1, span)?;
                let r = self.emit(OpKind::EigenCal, vec![v(0)], Attrs::new(), span)?;
                Ok(Produced::Many(r))
            }
            "solve" => self.binary_fn(name, OpKind::Solve, args, span),
            "syrk" => {
                self.exact(name, args, 1, span)?;
                let t = self.constant(Const::Bool(true), span);
                self.one(OpKind::Syrk, vec![v(0), t], span)
            }
            "gemv" => self.binary_fn(name, OpKind::Gemv, args, span),
            "diagVector" => self.unary(name, OpKind::DiagVector, args, span),
            "lowerTri" | "upperTri" => {
                self.exact(name, args, 3, span)?;
                let upper = self.constant(Const::Bool(name == "upperTri"), span);
                let diag = self.cast_bool(v(1), s(1));
                let values = self.cast_bool(v(2), s(2));
                self.one(OpKind::Tri, vec![v(0), upper, diag, values], span)
            }
            "replace" => {
                self.exact(name, args, 3, span)?;
                self.one(OpKind::Replace, vec![v(0), v(1), v(2)], span)
            }
            "ctable" => {
                self.between(name, args, 2, 5, span)?;
                let (weight, rows, cols) = match args.len() {
                    2 => (None, None, None),
                    3 => (Some(v(2)), None, None),
                    4 => (None, Some(args[2]), Some(args[3])),
                    _ => (Some(v(2)), Some(args[3]), Some(args[4])),
                };
                let weight = match weight {
                    Some(w) => w,
                    None => self.constant(Const::F64(1.0), span),
                };
                let dim = |this: &mut Self, d: Option<(Value, Span)>| match d {
                    Some((dv, ds)) => this.cast_si64(dv, ds),
                    None => this.constant(Const::SI64(-1), span),
                };
                let rows = dim(self, rows);
                let cols = dim(self, cols);
                self.one(OpKind::CTable, vec![v(0), v(1), weight, rows, cols], span)
            }
            // ------------------------------------------------------------------ deep neural networks
            "affine" => {
                self.exact(name, args, 3, span)?;
                let ty = self.ty(v(0)).clone();
                Ok(self.typed(OpKind::AffineForward, vec![v(0), v(1), v(2)], vec![ty], span))
            }
            "avg_pool2d" | "max_pool2d" => {
                self.exact(name, args, 11, span)?;
                let mut ops = vec![v(0)];
                ops.extend(self.sizes(&args[1..]));
                let kind = if name == "avg_pool2d" { OpKind::AvgPoolForward } else { OpKind::MaxPoolForward };
                let ty = self.ty(v(0)).clone();
                Ok(self.typed(kind, ops, vec![ty, Type::INDEX, Type::INDEX], span))
            }
            "batch_norm2d" => {
                self.exact(name, args, 6, span)?;
                let ty = self.ty(v(0)).clone();
                let ops = args.iter().map(|a| a.0).collect();
                Ok(self.typed(OpKind::BatchNorm2DInferenceForward, ops, vec![ty], span))
            }
            "biasAdd" => {
                self.exact(name, args, 2, span)?;
                let ty = self.ty(v(0)).clone();
                Ok(self.typed(OpKind::BiasAdd, vec![v(0), v(1)], vec![ty], span))
            }
            "conv2d" => {
                self.between(name, args, 12, 13, span)?;
                let bias = if args.len() == 13 { v(12) } else { v(1) };
                let mut ops = vec![v(0), v(1), bias];
                ops.extend(self.sizes(&args[2..12]));
                let ty = self.ty(v(0)).clone();
                Ok(self.typed(OpKind::Conv2DForward, ops, vec![ty, Type::INDEX, Type::INDEX], span))
            }
            "relu" | "softmax" => {
                self.exact(name, args, 1, span)?;
                let kind = if name == "relu" { OpKind::ReluForward } else { OpKind::Softmax };
                let ty = self.ty(v(0)).clone();
                Ok(self.typed(kind, vec![v(0)], vec![ty], span))
            }
            "batch_norm2d_backward" => {
                self.exact(name, args, 6, span)?;
                let ty = self.ty(v(3)).clone();
                let ops = args.iter().map(|a| a.0).collect();
                Ok(self.typed(OpKind::BatchNorm2DBackward, ops, vec![ty.clone(), ty.clone(), ty], span))
            }
            "conv2d_backward_filter" | "conv2d_backward_data" => {
                self.exact(name, args, 14, span)?;
                let mut ops = vec![v(0), v(1)];
                ops.extend(self.sizes(&args[2..]));
                let kind = if name == "conv2d_backward_filter" {
                    OpKind::Conv2DBackwardFilter
                } else {
                    OpKind::Conv2DBackwardData
                };
                let ty = self.ty(v(1)).clone();
                Ok(self.typed(kind, ops, vec![ty], span))
            }
            "avg_pool2d_backward" | "max_pool2d_backward" => {
                self.exact(name, args, 12, span)?;
                let mut ops = vec![v(0), v(1)];
                ops.extend(self.sizes(&args[2..]));
                let kind =
                    if name == "avg_pool2d_backward" { OpKind::AvgPoolBackward } else { OpKind::MaxPoolBackward };
                let ty = self.ty(v(1)).clone();
                Ok(self.typed(kind, ops, vec![ty], span))
            }
            // ------------------------------------------------------------------ frames and SQL
            "sql" => {
                self.exact(name, args, 1, span)?;
                let q = self.const_str(args[0], "the query of `sql`")?;
                let mut attrs = Attrs::new();
                attrs.insert("sql".into(), Attr::Const(Const::Str(q)));
                let ty = Type::Frame(FrameType::with_columns(vec![Some(ValueType::F64)]));
                Ok(Produced::One(self.emit_typed(OpKind::Sql, vec![], vec![ty], attrs, span)[0]))
            }
            "registerView" => {
                self.exact(name, args, 2, span)?;
                let view = self.const_str(args[0], "the view name of `registerView`")?;
                let mut attrs = Attrs::new();
                attrs.insert("view".into(), Attr::Const(Const::Str(view)));
                Ok(self.none(OpKind::RegisterView, vec![v(1)], attrs, span))
            }
            "intersect" => self.binary_fn(name, OpKind::Intersect, args, span),
            "merge" => self.binary_fn(name, OpKind::Merge, args, span),
            "except" => self.binary_fn(name, OpKind::Except, args, span),
            "cartesian" => {
                self.exact(name, args, 2, span)?;
                let ty = self.concat_frames(v(0), v(1));
                Ok(self.typed(OpKind::Cartesian, vec![v(0), v(1)], vec![ty], span))
            }
            "innerJoin" | "semiJoin" => {
                self.between(name, args, 4, 5, span)?;
                let n = if args.len() == 5 { self.cast_si64(v(4), s(4)) } else { self.constant(Const::SI64(-1), span) };
                let ops = vec![v(0), v(1), v(2), v(3), n];
                if name == "innerJoin" {
                    let ty = self.concat_frames(v(0), v(1));
                    Ok(self.typed(OpKind::InnerJoin, ops, vec![ty], span))
                } else {
                    let frame = Type::Frame(FrameType::with_columns(vec![None]));
                    Ok(self.typed(OpKind::SemiJoin, ops, vec![frame, Type::matrix_of(Some(ValueType::Index))], span))
                }
            }
            "fullOuterJoin" | "leftOuterJoin" | "antiJoin" => {
                self.at_least(name, args, 4, span)?;
                self.even(name, args, span)?;
                let kind = match name {
                    "fullOuterJoin" => OpKind::FullOuterJoin,
                    "leftOuterJoin" => OpKind::LeftOuterJoin,
                    _ => OpKind::AntiJoin,
                };
                let mut ops = vec![v(0), v(1)];
                ops.extend(self.sizes(&args[2..]));
                let ty = self.concat_frames(v(0), v(1));
                Ok(self.typed(kind, ops, vec![ty], span))
            }
            "groupJoin" => {
                self.exact(name, args, 5, span)?;
                let frame = Type::Frame(FrameType::with_columns(vec![None, None]));
                let ops = args.iter().map(|a| a.0).collect();
                Ok(self.typed(OpKind::GroupJoin, ops, vec![frame, Type::matrix_of(Some(ValueType::Index))], span))
            }
            "groupSum" => {
                self.at_least(name, args, 3, span)?;
                let ops: Vec<Value> = args.iter().map(|a| a.0).collect();
                let mut attrs = Attrs::new();
                let groups = (args.len() - 2) as i64;
                attrs.insert(
                    "operand_segment_sizes".into(),
                    Attr::Array(vec![Attr::Int(1), Attr::Int(groups), Attr::Int(1)]),
                );
                attrs.insert("agg_funcs".into(), Attr::Array(vec![Attr::Const(Const::Str("SUM".into()))]));
                let ty = Type::Frame(FrameType::with_columns(vec![None; args.len() - 1]));
                Ok(Produced::One(self.emit_typed(OpKind::Group, ops, vec![ty], attrs, span)[0]))
            }
            "setColLabels" => {
                self.at_least(name, args, 2, span)?;
                let ops = args.iter().map(|a| a.0).collect();
                self.one(OpKind::SetColLabels, ops, span)
            }
            "setColLabelsPrefix" => {
                self.exact(name, args, 2, span)?;
                self.one(OpKind::SetColLabelsPrefix, vec![v(0), v(1)], span)
            }
            // ------------------------------------------------------------------ conversion
            "quantize" => {
                self.exact(name, args, 3, span)?;
                self.one(OpKind::Quantize, vec![v(0), v(1), v(2)], span)
            }
            // ------------------------------------------------------------------ input/output
            "print" => {
                self.between(name, args, 1, 3, span)?;
                let newline =
                    if args.len() >= 2 { self.cast_bool(v(1), s(1)) } else { self.constant(Const::Bool(true), span) };
                let err =
                    if args.len() == 3 { self.cast_bool(v(2), s(2)) } else { self.constant(Const::Bool(false), span) };
                Ok(self.none(OpKind::Print, vec![v(0), newline, err], Attrs::new(), span))
            }
            "readMatrix" | "readFrame" => {
                self.exact(name, args, 1, span)?;
                let ty = if name == "readMatrix" {
                    Type::matrix_of(None)
                } else {
                    Type::Frame(FrameType::with_columns(vec![None]))
                };
                Ok(self.typed(OpKind::Read, vec![v(0)], vec![ty], span))
            }
            "write" | "writeMatrix" | "writeFrame" => {
                self.exact(name, args, 2, span)?;
                Ok(self.none(OpKind::Write, vec![v(0), v(1)], Attrs::new(), span))
            }
            "receiveFromNumpy" => {
                self.exact(name, args, 4, span)?;
                let code = self.const_int(args[3], "the value type code of `receiveFromNumpy`")?;
                // DAPHNE's `ValueTypeCode` (what DaphneLib passes): SI8 = 0 up to F64 = 7, STR = 8.
                let vt = match code {
                    0 => ValueType::SI8,
                    1 => ValueType::SI32,
                    2 => ValueType::SI64,
                    3 => ValueType::UI8,
                    4 => ValueType::UI32,
                    5 => ValueType::UI64,
                    6 => ValueType::F32,
                    7 => ValueType::F64,
                    8 => ValueType::Str,
                    _ => return Err(self.error("E0211", s(3), "invalid value type code")),
                };
                let addr = self.cast_if(Type::Scalar(ValueType::UI64), v(0), s(0));
                // Constant sizes (what DaphneLib writes) make the shape known at compile time.
                let size = |this: &Self, i: usize| {
                    this.const_of(args[i].0).and_then(|c| c.as_i128()).and_then(|n| u64::try_from(n).ok())
                };
                let mut t = daphne_ir::MatrixType::of(Some(vt));
                t.rows = size(self, 1);
                t.cols = size(self, 2);
                Ok(self.typed(OpKind::ReceiveFromNumpy, vec![addr, v(1), v(2)], vec![Type::Matrix(t)], span))
            }
            "saveDaphneLibResult" => {
                self.exact(name, args, 1, span)?;
                Ok(self.none(OpKind::SaveDaphneLibResult, vec![v(0)], Attrs::new(), span))
            }
            "stop" => {
                self.between(name, args, 0, 1, span)?;
                let msg =
                    if args.is_empty() { self.constant(Const::Str("unspecified reason".into()), span) } else { v(0) };
                Ok(self.none(OpKind::Stop, vec![msg], Attrs::new(), span))
            }
            "startProfiling" | "stopProfiling" => {
                self.exact(name, args, 1, span)?;
                let kind = if name == "startProfiling" { OpKind::StartProfiling } else { OpKind::StopProfiling };
                Ok(self.none(kind, vec![v(0)], Attrs::new(), span))
            }
            "openFile" => {
                self.exact(name, args, 1, span)?;
                Ok(self.typed(OpKind::OpenFile, vec![v(0)], vec![Type::Opaque(Opaque::File)], span))
            }
            "openDevice" => {
                self.exact(name, args, 1, span)?;
                Ok(self.typed(OpKind::OpenDevice, vec![v(0)], vec![Type::Opaque(Opaque::Target)], span))
            }
            "openFileOnTarget" => {
                self.exact(name, args, 2, span)?;
                Ok(self.typed(OpKind::OpenFileOnTarget, vec![v(0), v(1)], vec![Type::Opaque(Opaque::Descriptor)], span))
            }
            "close" => {
                self.exact(name, args, 1, span)?;
                Ok(self.none(OpKind::Close, vec![v(0)], Attrs::new(), span))
            }
            "readCsv" => {
                self.exact(name, args, 4, span)?;
                let sz = self.sizes(&args[1..3]);
                self.one(OpKind::ReadCsv, vec![v(0), sz[0], sz[1], v(3)], span)
            }
            // ------------------------------------------------------------------ preprocessing
            "oneHot" => {
                self.exact(name, args, 2, span)?;
                self.one(OpKind::OneHot, vec![v(0), v(1)], span)
            }
            "recode" => {
                self.exact(name, args, 2, span)?;
                let op = self.cast_bool(v(1), s(1));
                Ok(Produced::Many(self.emit(OpKind::Recode, vec![v(0), op], Attrs::new(), span)?))
            }
            "bin" => {
                if args.len() != 2 && args.len() != 4 {
                    return Err(self.arity_error(name, "exactly 2 or 4".into(), args.len(), span));
                }
                let (min, max) = if args.len() == 2 {
                    let lo = self.emit1(OpKind::MinAll, vec![v(0)], span)?;
                    let hi = self.emit1(OpKind::MaxAll, vec![v(0)], span)?;
                    (lo, hi)
                } else {
                    (v(2), v(3))
                };
                let bins = self.cast_si64(v(1), s(1));
                self.one(OpKind::Bin, vec![v(0), bins, min, max], span)
            }
            // ------------------------------------------------------------------ miscellaneous
            "now" => {
                self.exact(name, args, 0, span)?;
                self.one(OpKind::Now, vec![], span)
            }
            // ------------------------------------------------------------------ lists
            "createList" => {
                self.at_least(name, args, 1, span)?;
                let ops = args.iter().map(|a| a.0).collect();
                self.one(OpKind::CreateList, ops, span)
            }
            "length" => self.unary(name, OpKind::Length, args, span),
            "append" => {
                self.exact(name, args, 2, span)?;
                self.one(OpKind::Append, vec![v(0), v(1)], span)
            }
            "remove" => {
                self.exact(name, args, 2, span)?;
                let idx = self.cast_size(v(1), s(1));
                Ok(Produced::Many(self.emit(OpKind::Remove, vec![v(0), idx], Attrs::new(), span)?))
            }
            other => Err(self.error("E0201", span, format!("unknown built-in function `{other}`"))),
        }
    }

    fn unary(&mut self, name: &str, kind: OpKind, args: Args, span: Span) -> LResult<Produced> {
        self.exact(name, args, 1, span)?;
        self.one(kind, vec![args[0].0], span)
    }

    fn binary_fn(&mut self, name: &str, kind: OpKind, args: Args, span: Span) -> LResult<Produced> {
        self.exact(name, args, 2, span)?;
        self.one(kind, vec![args[0].0, args[1].0], span)
    }

    /// `sum(X)`, `sum(X, axis)`, `sum(X, groupIds, numGroups)`.
    fn any_agg(&mut self, name: &str, kinds: [OpKind; 4], args: Args, span: Span) -> LResult<Produced> {
        self.between(name, args, 1, 3, span)?;
        match args.len() {
            1 => self.one(kinds[0], vec![args[0].0], span),
            2 => self.row_or_col_agg(kinds[1], kinds[2], args, span),
            _ => self.grp_agg(kinds[3], args, span),
        }
    }

    /// Axis 0 aggregates each row (one value per row), axis 1 each column, as in DAPHNE.
    fn row_or_col_agg(&mut self, row: OpKind, col: OpKind, args: Args, span: Span) -> LResult<Produced> {
        let axis = match self.const_of(args[1].0).and_then(|c| c.as_i128()) {
            Some(a) => a,
            None => {
                return Err(self.error("E0211", args[1].1, "the axis of an aggregation must be a constant (0 or 1)"));
            }
        };
        match axis {
            0 => self.one(row, vec![args[0].0], span),
            1 => self.one(col, vec![args[0].0], span),
            _ => Err(self.error(
                "E0211",
                args[1].1,
                format!("invalid axis {axis} for aggregation: use 0 (one value per row) or 1 (one value per column)"),
            )),
        }
    }

    fn grp_agg(&mut self, kind: OpKind, args: Args, span: Span) -> LResult<Produced> {
        let n = self.cast_size(args[2].0, args[2].1);
        self.one(kind, vec![args[0].0, args[1].0, n], span)
    }

    /// The frame type of joining two frames (their columns side by side).
    fn concat_frames(&self, a: Value, b: Value) -> Type {
        let cols = |t: &Type| match t {
            Type::Frame(f) => f.column_types.clone(),
            _ => vec![None],
        };
        let mut c = cols(self.ty(a));
        c.extend(cols(self.ty(b)));
        Type::Frame(FrameType::with_columns(c))
    }
}
