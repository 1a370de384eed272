"""The base of every lazily evaluated DAPHNE object (``Matrix``, ``Frame``, ``Scalar`` and the
statements ``print``/``write`` return): a handle on an expression with ``compute()``."""

from daphne import _convert, _script
from daphne._expr import Expr

__all__ = ["OperationNode"]

# Handle classes by kind, filled in by the modules defining them (they import each other's
# results, so they meet here instead of importing each other).
_HANDLES = {}


def wrap(ctx, expr):
    """The handle of ``expr``'s kind."""
    return _HANDLES.get(expr.kind, OperationNode)(ctx, expr)


def operand(x):
    """The expression behind a handle, or the Python constant itself."""
    if isinstance(x, OperationNode):
        return x._expr
    if isinstance(x, (list, tuple)) and not isinstance(x, str):
        raise TypeError("a list cannot be an operand of a DAPHNE operation; use DaphneContext.from_numpy or from_python")
    return x


class OperationNode:
    """A lazily evaluated DAPHNE value or statement."""

    __hash__ = object.__hash__

    def __init__(self, daphne_context, expr, unnamed_input_nodes=None, named_input_nodes=None, kind=None):
        self.daphne_context = daphne_context
        if isinstance(expr, Expr):
            self._expr = expr
        else:
            # DaphneLib's form: OperationNode(ctx, "builtin", [args], {name: arg}).
            args = [operand(a) for a in (unnamed_input_nodes or [])]
            args += [operand(a) for a in (named_input_nodes or {}).values()]
            self._expr = Expr(kind or self._kind, "call", str(expr), args)

    _kind = "none"

    def _new(self, kind, op, *args, style="call"):
        return wrap(self.daphne_context, Expr(kind, style, op, [operand(a) for a in args]))

    def compute(self, type="shared memory", verbose=False, asTensorFlow=False, asPyTorch=False, shape=None,
                useIndexColumn=False, **options):
        """Generates the DaphneDSL script of this value, runs it and returns the result: a NumPy
        array for a matrix, a pandas DataFrame for a frame, a NumPy scalar for a scalar, None for
        a statement. ``type``, ``verbose`` are accepted for DaphneLib compatibility (data always
        moves through memory); the keyword options (``vec``, ``distributed``, ``num_threads``,
        ``select_matrix_repr``, ``no_codegen``, ``explain``, ``dist_min_bytes``, ``dist_stats``)
        override the context's."""
        if type not in ("shared memory", "files"):
            raise ValueError(f"unknown way to transfer the data: '{type}'")
        opts = self.daphne_context._options(options)
        raw = _script.run(self._expr, opts)
        if raw is None:
            return None
        result = _convert.from_native(raw)
        if self._expr.kind == "frame" and useIndexColumn and "index" in result.columns:
            result = result.set_index("index", drop=True)
        if asTensorFlow and self._expr.kind == "matrix":
            import tensorflow as tf

            result = tf.convert_to_tensor(result)
            if shape is not None:
                result = tf.reshape(result, shape)
        elif asPyTorch and self._expr.kind == "matrix":
            import torch

            result = torch.from_numpy(result)
            if shape is not None:
                result = torch.reshape(result, shape)
        return result

    def script(self):
        """The DaphneDSL script ``compute()`` would run (for inspection)."""
        return _script.generate(self._expr)[0]

    def __bool__(self):
        raise TypeError(
            f"a lazy DAPHNE {self._expr.kind} has no truth value before it is computed: call compute(), "
            "or use DaphneContext.cond for a condition inside the computation"
        )


_HANDLES["none"] = OperationNode
