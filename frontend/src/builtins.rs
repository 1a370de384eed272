//! The table of DaphneDSL built-in functions: their parameter names (for keyword arguments) and how
//! many of them are required, as DAPHNE defines them. The lowering of each built-in to its op lives
//! in `lower/builtins.rs`; this table only drives argument ordering and the list of known names.

/// Parameter names of a built-in, and how many leading ones are required.
pub struct ParamInfo {
    pub names: &'static [&'static str],
    pub required: usize,
}

const UNARY: ParamInfo = ParamInfo { names: &["arg"], required: 1 };
const BINARY: ParamInfo = ParamInfo { names: &["lhs", "rhs"], required: 2 };

/// Built-ins with explicit parameter names.
const PARAMS: &[(&str, ParamInfo)] = &[
    ("fill", ParamInfo { names: &["value", "numRows", "numCols"], required: 3 }),
    ("rand", ParamInfo { names: &["numRows", "numCols", "min", "max", "sparsity", "seed"], required: 6 }),
    ("sample", ParamInfo { names: &["range", "size", "withReplacement", "seed"], required: 4 }),
    ("seq", ParamInfo { names: &["from", "to", "inc"], required: 2 }),
    ("reshape", ParamInfo { names: &["arg", "numRows", "numCols"], required: 3 }),
    ("affine", ParamInfo { names: &["input", "weights", "bias"], required: 3 }),
    (
        "avg_pool2d",
        ParamInfo {
            names: &[
                "input",
                "numImages",
                "numChannels",
                "imgHeight",
                "imgWidth",
                "poolH",
                "poolW",
                "strideH",
                "strideW",
                "paddingH",
                "paddingW",
            ],
            required: 11,
        },
    ),
    (
        "max_pool2d",
        ParamInfo {
            names: &[
                "input",
                "numImages",
                "numChannels",
                "imgHeight",
                "imgWidth",
                "poolH",
                "poolW",
                "strideH",
                "strideW",
                "paddingH",
                "paddingW",
            ],
            required: 11,
        },
    ),
    ("batch_norm2d", ParamInfo { names: &["input", "gamma", "beta", "emaMean", "emaVar", "eps"], required: 6 }),
    (
        "conv2d",
        ParamInfo {
            names: &[
                "input",
                "filter",
                "numImages",
                "numChannels",
                "imgHeight",
                "imgWidth",
                "filterH",
                "filterW",
                "strideH",
                "strideW",
                "paddingH",
                "paddingW",
                "bias",
            ],
            required: 12,
        },
    ),
    ("batch_norm2d_backward", ParamInfo { names: &["mean", "invVar", "input", "dout", "gamma", "eps"], required: 6 }),
    (
        "conv2d_backward_filter",
        ParamInfo {
            names: &[
                "input",
                "output",
                "strideH",
                "strideW",
                "padH",
                "padW",
                "inputBatchSize",
                "inputNumChannels",
                "inputH",
                "inputW",
                "filterNumFilters",
                "filterNumChannels",
                "filterH",
                "filterW",
            ],
            required: 14,
        },
    ),
    (
        "conv2d_backward_data",
        ParamInfo {
            names: &[
                "filter",
                "output",
                "strideH",
                "strideW",
                "padH",
                "padW",
                "inputBatchSize",
                "inputNumChannels",
                "inputH",
                "inputW",
                "filterNumFilters",
                "filterNumChannels",
                "filterH",
                "filterW",
            ],
            required: 14,
        },
    ),
    (
        "avg_pool2d_backward",
        ParamInfo {
            names: &[
                "input",
                "dOut",
                "batchSize",
                "numChannels",
                "imgH",
                "imgW",
                "poolH",
                "poolW",
                "strideH",
                "strideW",
                "padH",
                "padW",
            ],
            required: 12,
        },
    ),
    (
        "max_pool2d_backward",
        ParamInfo {
            names: &[
                "input",
                "dOut",
                "batchSize",
                "numChannels",
                "imgH",
                "imgW",
                "poolH",
                "poolW",
                "strideH",
                "strideW",
                "padH",
                "padW",
            ],
            required: 12,
        },
    ),
    ("lowerTri", ParamInfo { names: &["arg", "diag", "values"], required: 3 }),
    ("upperTri", ParamInfo { names: &["arg", "diag", "values"], required: 3 }),
    ("replace", ParamInfo { names: &["arg", "pattern", "replacement"], required: 3 }),
    ("ctable", ParamInfo { names: &["lhs", "rhs", "weight", "resNumRows", "resNumCols"], required: 2 }),
    ("innerJoin", ParamInfo { names: &["lhs", "rhs", "lhsOn", "rhsOn", "numRowRes"], required: 4 }),
    ("semiJoin", ParamInfo { names: &["lhs", "rhs", "lhsOn", "rhsOn", "numRowRes"], required: 4 }),
    ("groupJoin", ParamInfo { names: &["lhs", "rhs", "lhsOn", "rhsOn", "rhsAgg"], required: 5 }),
    ("setColLabelsPrefix", ParamInfo { names: &["frame", "prefix"], required: 2 }),
    ("quantize", ParamInfo { names: &["arg", "min", "max"], required: 3 }),
    ("print", ParamInfo { names: &["arg", "newline", "err"], required: 1 }),
    ("writeFrame", ParamInfo { names: &["arg", "filename"], required: 2 }),
    ("writeMatrix", ParamInfo { names: &["arg", "filename"], required: 2 }),
    ("write", ParamInfo { names: &["arg", "filename"], required: 2 }),
    ("readMatrix", ParamInfo { names: &["filename"], required: 1 }),
    ("readFrame", ParamInfo { names: &["filename"], required: 1 }),
    ("receiveFromNumpy", ParamInfo { names: &["address", "rows", "cols", "valueType"], required: 4 }),
    ("stop", ParamInfo { names: &["message"], required: 0 }),
    ("startProfiling", ParamInfo { names: &["region"], required: 1 }),
    ("stopProfiling", ParamInfo { names: &["region"], required: 1 }),
    ("openFile", ParamInfo { names: &["filename"], required: 1 }),
    ("openDevice", ParamInfo { names: &["device"], required: 1 }),
    ("openFileOnTarget", ParamInfo { names: &["target", "filename"], required: 2 }),
    ("close", ParamInfo { names: &["handle"], required: 1 }),
    ("readCsv", ParamInfo { names: &["fileOrDescriptor", "numRows", "numCols", "delimiter"], required: 4 }),
    ("oneHot", ParamInfo { names: &["arg", "info"], required: 2 }),
    ("recode", ParamInfo { names: &["arg", "orderPreserving"], required: 2 }),
    ("bin", ParamInfo { names: &["arg", "numBins", "min", "max"], required: 2 }),
    ("append", ParamInfo { names: &["list", "elem"], required: 2 }),
    ("remove", ParamInfo { names: &["list", "idx"], required: 2 }),
    ("biasAdd", ParamInfo { names: &["input", "bias"], required: 2 }),
    ("registerView", ParamInfo { names: &["viewName", "view"], required: 2 }),
    ("typeOf", ParamInfo { names: &["arg"], required: 1 }),
    ("syrk", ParamInfo { names: &["arg"], required: 1 }),
    ("sql", ParamInfo { names: &["query"], required: 1 }),
    ("count", ParamInfo { names: &["arg", "groupIds", "numGroups"], required: 3 }),
    ("idxMin", ParamInfo { names: &["arg", "axis"], required: 2 }),
    ("idxMax", ParamInfo { names: &["arg", "axis"], required: 2 }),
    ("sum", ParamInfo { names: &["arg", "axisOrGroups", "numGroups"], required: 1 }),
    ("aggMin", ParamInfo { names: &["arg", "axisOrGroups", "numGroups"], required: 1 }),
    ("aggMax", ParamInfo { names: &["arg", "axisOrGroups", "numGroups"], required: 1 }),
    ("mean", ParamInfo { names: &["arg", "axisOrGroups", "numGroups"], required: 1 }),
    ("var", ParamInfo { names: &["arg", "axisOrGroups", "numGroups"], required: 1 }),
    ("stddev", ParamInfo { names: &["arg", "axisOrGroups", "numGroups"], required: 1 }),
    ("transpose", ParamInfo { names: &["arg"], required: 1 }),
    ("t", ParamInfo { names: &["arg"], required: 1 }),
    ("sparsity", ParamInfo { names: &["arg"], required: 1 }),
    ("nrow", ParamInfo { names: &["arg"], required: 1 }),
    ("ncol", ParamInfo { names: &["arg"], required: 1 }),
    ("ncell", ParamInfo { names: &["arg"], required: 1 }),
    ("saveDaphneLibResult", ParamInfo { names: &["arg"], required: 1 }),
    ("length", ParamInfo { names: &["list"], required: 1 }),
    ("map", ParamInfo { names: &["arg", "udf"], required: 2 }),
];

/// Elementwise-unary-like built-ins (single parameter `arg`).
const UNARY_FUNCS: &[&str] = &[
    "minus",
    "abs",
    "sign",
    "exp",
    "ln",
    "sqrt",
    "round",
    "floor",
    "ceil",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "asin",
    "acos",
    "atan",
    "isNan",
    "lower",
    "upper",
    "diagMatrix",
    "diagVector",
    "reverse",
    "eigen",
    "relu",
    "softmax",
    "isSymmetric",
    "cumSum",
    "cumProd",
    "cumMin",
    "cumMax",
];

/// Binary built-ins (parameters `lhs`, `rhs`).
const BINARY_FUNCS: &[&str] = &[
    "mod",
    "pow",
    "log",
    "min",
    "max",
    "concat",
    "outerAdd",
    "outerSub",
    "outerMul",
    "outerDiv",
    "outerPow",
    "outerMod",
    "outerLog",
    "outerMin",
    "outerMax",
    "outerAnd",
    "outerOr",
    "outerXor",
    "outerConcat",
    "outerEq",
    "outerNeq",
    "outerLt",
    "outerLe",
    "outerGt",
    "outerGe",
    "cbind",
    "rbind",
    "solve",
    "gemv",
    "intersect",
    "merge",
    "except",
    "cartesian",
];

/// Built-ins whose parameters have no names (variadic ones); keyword arguments are rejected.
const UNNAMED_FUNCS: &[&str] = &[
    "createFrame",
    "order",
    "fullOuterJoin",
    "leftOuterJoin",
    "antiJoin",
    "groupSum",
    "setColLabels",
    "now",
    "createList",
];

/// The parameter names of a built-in, or `None` if it takes only positional arguments.
pub fn param_info(name: &str) -> Option<&'static ParamInfo> {
    if let Some((_, info)) = PARAMS.iter().find(|(n, _)| *n == name) {
        return Some(info);
    }
    if UNARY_FUNCS.contains(&name) {
        return Some(&UNARY);
    }
    if BINARY_FUNCS.contains(&name) {
        return Some(&BINARY);
    }
    None
}

/// Whether `name` is a built-in function.
pub fn is_builtin(name: &str) -> bool {
    param_info(name).is_some() || UNNAMED_FUNCS.contains(&name)
}

/// Every built-in name, for suggestions.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    PARAMS
        .iter()
        .map(|(n, _)| *n)
        .chain(UNARY_FUNCS.iter().copied())
        .chain(BINARY_FUNCS.iter().copied())
        .chain(UNNAMED_FUNCS.iter().copied())
}

/// The known name closest to `name` (by edit distance), if it is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&name.to_lowercase(), &c.to_lowercase());
        if d <= (name.len().max(3) / 3).max(1) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lookups() {
        assert_eq!(param_info("rand").map(|p| p.names.len()), Some(6));
        assert_eq!(param_info("sqrt").map(|p| p.names), Some(&["arg"][..]));
        assert!(is_builtin("createFrame"));
        assert!(!is_builtin("colSums"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("sqrtt", all_names()), Some("sqrt"));
        assert_eq!(suggest("prnt", all_names()), Some("print"));
        assert_eq!(suggest("zzzzzzzz", all_names()), None);
    }
}
