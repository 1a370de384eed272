"""``Matrix``: a lazily evaluated DAPHNE matrix with DaphneLib's operators and methods."""

from daphne._expr import Expr, Raw, Slice, quote
from daphne.operator.operation_node import _HANDLES, OperationNode, operand

__all__ = ["Matrix"]


def _index_spec(k):
    """A DaphneDSL row or column index from a Python key: an int, a slice (no step), a Scalar
    or a Matrix of positions."""
    if isinstance(k, slice):
        if k.step is not None:
            raise TypeError("DAPHNE slices have no step")
        return Slice(operand(k.start), operand(k.stop))
    if isinstance(k, (int, OperationNode)) and not isinstance(k, bool):
        return operand(k)
    raise TypeError("matrix indices must be integers, slices, Scalars or Matrices of positions")


def _keys(key):
    if not isinstance(key, tuple) or len(key) != 2:
        raise TypeError("you must specify exactly two dimensions")
    return _index_spec(key[0]), _index_spec(key[1])


class Matrix(OperationNode):
    """A DAPHNE matrix (computed lazily)."""

    _kind = "matrix"
    __hash__ = OperationNode.__hash__

    def compute(self, type="shared memory", verbose=False, asTensorFlow=False, asPyTorch=False, shape=None, **options):
        """Runs the computation; returns a 2-d NumPy array that views DAPHNE's result in place."""
        return super().compute(type=type, verbose=verbose, asTensorFlow=asTensorFlow, asPyTorch=asPyTorch,
                               shape=shape, **options)

    # -- operators ------------------------------------------------------------------------
    def _bin(self, op, other, reflected=False):
        a, b = (other, self) if reflected else (self, other)
        kind = "matrix"
        return self._new(kind, op, a, b, style="binop")

    def __add__(self, o): return self._bin("+", o)
    def __radd__(self, o): return self._bin("+", o, True)
    def __sub__(self, o): return self._bin("-", o)
    def __rsub__(self, o): return self._bin("-", o, True)
    def __mul__(self, o): return self._bin("*", o)
    def __rmul__(self, o): return self._bin("*", o, True)
    def __truediv__(self, o): return self._bin("/", o)
    def __rtruediv__(self, o): return self._bin("/", o, True)
    def __pow__(self, o): return self._bin("^", o)
    def __rpow__(self, o): return self._bin("^", o, True)
    def __mod__(self, o): return self._bin("%", o)
    def __rmod__(self, o): return self._bin("%", o, True)
    def __matmul__(self, o): return self._bin("@", o)
    def __rmatmul__(self, o): return self._bin("@", o, True)
    def __lt__(self, o): return self._bin("<", o)
    def __le__(self, o): return self._bin("<=", o)
    def __gt__(self, o): return self._bin(">", o)
    def __ge__(self, o): return self._bin(">=", o)
    def __eq__(self, o): return self._bin("==", o)
    def __ne__(self, o): return self._bin("!=", o)
    def __and__(self, o): return self._bin("&&", o)
    def __rand__(self, o): return self._bin("&&", o, True)
    def __or__(self, o): return self._bin("||", o)
    def __ror__(self, o): return self._bin("||", o, True)
    def __neg__(self): return self._new("matrix", None, self, style="neg")
    def __pos__(self): return self
    def __abs__(self): return self.abs()

    def __floordiv__(self, o): return (self / o).floor()
    def __rfloordiv__(self, o): return self._bin("/", o, True).floor()

    def __getitem__(self, key):
        r, c = _keys(key)
        return self._new("matrix", None, self, r, c, style="index")

    def __setitem__(self, key, value):
        r, c = _keys(key)
        # The handle now stands for the updated matrix; expressions built from the old one keep
        # reading the old value.
        self._expr = Expr("matrix", "insert", None, [self._expr, operand(value), r, c])

    # -- meta data ------------------------------------------------------------------------
    def ncol(self): return self._new("scalar", "ncol", self)
    def nrow(self): return self._new("scalar", "nrow", self)
    def ncell(self): return self._new("scalar", "ncell", self)

    # -- elementwise unary ----------------------------------------------------------------
    def abs(self): return self._new("matrix", "abs", self)
    def sign(self): return self._new("matrix", "sign", self)
    def exp(self): return self._new("matrix", "exp", self)
    def ln(self): return self._new("matrix", "ln", self)
    def sqrt(self): return self._new("matrix", "sqrt", self)
    def round(self): return self._new("matrix", "round", self)
    def floor(self): return self._new("matrix", "floor", self)
    def ceil(self): return self._new("matrix", "ceil", self)
    def sin(self): return self._new("matrix", "sin", self)
    def cos(self): return self._new("matrix", "cos", self)
    def tan(self): return self._new("matrix", "tan", self)
    def asin(self): return self._new("matrix", "asin", self)
    def acos(self): return self._new("matrix", "acos", self)
    def atan(self): return self._new("matrix", "atan", self)
    def sinh(self): return self._new("matrix", "sinh", self)
    def cosh(self): return self._new("matrix", "cosh", self)
    def tanh(self): return self._new("matrix", "tanh", self)
    def isNan(self): return self._new("matrix", "isNan", self)

    # -- elementwise binary ---------------------------------------------------------------
    def pow(self, other): return self._new("matrix", "pow", self, other)
    def log(self, other): return self._new("matrix", "log", self, other)
    def mod(self, other): return self._new("matrix", "mod", self, other)
    def max(self, other): return self._new("matrix", "max", self, other)
    def min(self, other): return self._new("matrix", "min", self, other)

    # -- outer binary ---------------------------------------------------------------------
    def outerAdd(self, other): return self._new("matrix", "outerAdd", self, other)
    def outerSub(self, other): return self._new("matrix", "outerSub", self, other)
    def outerMul(self, other): return self._new("matrix", "outerMul", self, other)
    def outerDiv(self, other): return self._new("matrix", "outerDiv", self, other)
    def outerPow(self, other): return self._new("matrix", "outerPow", self, other)
    def outerLog(self, other): return self._new("matrix", "outerLog", self, other)
    def outerMod(self, other): return self._new("matrix", "outerMod", self, other)
    def outerMin(self, other): return self._new("matrix", "outerMin", self, other)
    def outerMax(self, other): return self._new("matrix", "outerMax", self, other)
    def outerAnd(self, other): return self._new("matrix", "outerAnd", self, other)
    def outerOr(self, other): return self._new("matrix", "outerOr", self, other)
    def outerXor(self, other): return self._new("matrix", "outerXor", self, other)
    def outerConcat(self, other): return self._new("matrix", "outerConcat", self, other)
    def outerEq(self, other): return self._new("matrix", "outerEq", self, other)
    def outerNeq(self, other): return self._new("matrix", "outerNeq", self, other)
    def outerLt(self, other): return self._new("matrix", "outerLt", self, other)
    def outerLe(self, other): return self._new("matrix", "outerLe", self, other)
    def outerGt(self, other): return self._new("matrix", "outerGt", self, other)
    def outerGe(self, other): return self._new("matrix", "outerGe", self, other)

    # -- aggregation ----------------------------------------------------------------------
    def _agg(self, name, axis):
        if axis is None:
            return self._new("scalar", name, self)
        return self._new("matrix", name, self, axis)

    def sum(self, axis=None): return self._agg("sum", axis)
    def aggMin(self, axis=None): return self._agg("aggMin", axis)
    def aggMax(self, axis=None): return self._agg("aggMax", axis)
    def mean(self, axis=None): return self._agg("mean", axis)
    def var(self, axis=None): return self._agg("var", axis)
    def stddev(self, axis=None): return self._agg("stddev", axis)

    def idxMin(self, axis):
        if axis is None:
            raise RuntimeError("parameter axis must be provided for idxMin")
        return self._new("matrix", "idxMin", self, axis)

    def idxMax(self, axis):
        if axis is None:
            raise RuntimeError("parameter axis must be provided for idxMax")
        return self._new("matrix", "idxMax", self, axis)

    def cumSum(self): return self._new("matrix", "cumSum", self)
    def cumProd(self): return self._new("matrix", "cumProd", self)
    def cumMin(self): return self._new("matrix", "cumMin", self)
    def cumMax(self): return self._new("matrix", "cumMax", self)

    # -- reorganization -------------------------------------------------------------------
    def t(self): return self._new("matrix", "t", self)
    def reshape(self, numRows, numCols): return self._new("matrix", "reshape", self, numRows, numCols)
    def cbind(self, other): return self._new("matrix", "cbind", self, other)
    def rbind(self, other): return self._new("matrix", "rbind", self, other)
    def reverse(self): return self._new("matrix", "reverse", self)
    def lowerTri(self, diag, values): return self._new("matrix", "lowerTri", self, diag, values)
    def upperTri(self, diag, values): return self._new("matrix", "upperTri", self, diag, values)
    def replace(self, pattern, replacement): return self._new("matrix", "replace", self, pattern, replacement)

    def order(self, colIdxs, ascs, returnIndexes):
        if len(colIdxs) != len(ascs):
            raise RuntimeError("order: the lists given for parameters colIdxs and ascs must have the same length")
        return self._new("matrix", "order", self, *colIdxs, *ascs, returnIndexes)

    # -- preprocessing and other ----------------------------------------------------------
    def oneHot(self, info): return self._new("matrix", "oneHot", self, info)

    def bin(self, numBins, Min=None, Max=None):
        if (Min is None) != (Max is None):
            raise RuntimeError("bin: both min and max should be set, or both should be None")
        if Min is None:
            return self._new("matrix", "bin", self, numBins)
        return self._new("matrix", "bin", self, numBins, Min, Max)

    def diagVector(self): return self._new("matrix", "diagVector", self)
    def solve(self, other): return self._new("matrix", "solve", self, other)

    # -- input/output ---------------------------------------------------------------------
    def print(self): return self._new("none", "print", self)
    def write(self, file): return self._new("none", "writeMatrix", self, Raw(quote(file)))

    # -- conversions and conditionals -----------------------------------------------------
    def asType(self, dtype=None, vtype=None):
        if dtype is None and vtype is None:
            raise RuntimeError("you must specify the target data type and/or value type")
        if dtype is not None and dtype not in ("matrix", "frame", "scalar"):
            raise RuntimeError(f"invalid data type: '{dtype}', use 'matrix', 'frame', or 'scalar'")
        if dtype is None:
            return self._new("matrix", f"as.{vtype}", self)
        op = f"as.{dtype}" if vtype is None else f"as.{dtype}<{vtype}>"
        return self._new(dtype, op, self)

    def ifElse(self, thenVal, elseVal):
        return self._new("matrix", None, self, thenVal, elseVal, style="ifelse")


_HANDLES["matrix"] = Matrix
