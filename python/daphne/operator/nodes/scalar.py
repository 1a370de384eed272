"""``Scalar``: a lazily evaluated DAPHNE scalar with DaphneLib's operators and methods."""

from daphne.operator.operation_node import _HANDLES, OperationNode

__all__ = ["Scalar"]


class Scalar(OperationNode):
    """A DAPHNE scalar (computed lazily). ``float(s)`` and ``int(s)`` compute it."""

    _kind = "scalar"
    __hash__ = OperationNode.__hash__

    def _bin(self, op, other, reflected=False):
        from daphne.operator.nodes.matrix import Matrix

        a, b = (other, self) if reflected else (self, other)
        # A scalar combined with a matrix is a matrix.
        kind = "matrix" if isinstance(other, Matrix) else "scalar"
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
    def __neg__(self): return self._new("scalar", None, self, style="neg")
    def __pos__(self): return self
    def __abs__(self): return self.abs()
    def __floordiv__(self, o): return (self / o).floor()
    def __rfloordiv__(self, o): return self._bin("/", o, True).floor()

    def __float__(self): return float(self.compute())
    def __int__(self): return int(self.compute())

    def abs(self): return self._new("scalar", "abs", self)
    def sign(self): return self._new("scalar", "sign", self)
    def exp(self): return self._new("scalar", "exp", self)
    def ln(self): return self._new("scalar", "ln", self)
    def sqrt(self): return self._new("scalar", "sqrt", self)
    def round(self): return self._new("scalar", "round", self)
    def floor(self): return self._new("scalar", "floor", self)
    def ceil(self): return self._new("scalar", "ceil", self)
    def sin(self): return self._new("scalar", "sin", self)
    def cos(self): return self._new("scalar", "cos", self)
    def tan(self): return self._new("scalar", "tan", self)
    def asin(self): return self._new("scalar", "asin", self)
    def acos(self): return self._new("scalar", "acos", self)
    def atan(self): return self._new("scalar", "atan", self)
    def sinh(self): return self._new("scalar", "sinh", self)
    def cosh(self): return self._new("scalar", "cosh", self)
    def tanh(self): return self._new("scalar", "tanh", self)
    def isNan(self): return self._new("scalar", "isNan", self)

    def pow(self, other): return self._new("scalar", "pow", self, other)
    def log(self, other): return self._new("scalar", "log", self, other)
    def mod(self, other): return self._new("scalar", "mod", self, other)
    def min(self, other): return self._new("scalar", "min", self, other)
    def max(self, other): return self._new("scalar", "max", self, other)

    def print(self): return self._new("none", "print", self)

    def asType(self, vtype):
        """The scalar converted to value type ``vtype`` (``"f64"``, ``"si64"``, ...)."""
        return self._new("scalar", f"as.{vtype}", self)


_HANDLES["scalar"] = Scalar
