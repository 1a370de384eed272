"""``DaphneContext``: where DaphneLib programs obtain DAPHNE data (from NumPy, pandas, files and
DAPHNE's generators) and build control flow and user functions; it also holds the options the
computations run with (``vec``, ``distributed``, ...)."""

import os

import numpy as np

from daphne import _control, _convert
from daphne._expr import Expr, Raw, quote
from daphne.operator.nodes.frame import Frame
from daphne.operator.nodes.matrix import Matrix
from daphne.operator.nodes.scalar import Scalar
from daphne.operator.operation_node import OperationNode, operand, wrap

__all__ = ["DaphneContext", "Matrix", "Frame", "Scalar"]

_OPTION_NAMES = ("vec", "distributed", "num_threads", "select_matrix_repr", "no_codegen", "explain",
                 "dist_min_bytes", "dist_stats")


class DaphneContext:
    """The entry point of DaphneLib.

    Keyword options set how every ``compute()`` of this context runs (each ``compute()`` can
    override them): ``vec`` (vectorized pipelines on all cores, ``daphne --vec``),
    ``distributed`` (pipelines on the workers of ``DISTRIBUTED_WORKERS``, ``--distributed``),
    ``num_threads``, ``select_matrix_repr``, ``no_codegen``, ``explain`` (a list of stage keys;
    the IR goes to stderr), ``dist_min_bytes`` and ``dist_stats`` (what the coordinator did, on
    stderr). ``DAPHNELIB_VEC=1`` and ``DAPHNELIB_DISTRIBUTED=1`` in the environment
    turn on ``vec`` and ``distributed`` for contexts that do not say.
    """

    def __init__(self, **options):
        self._functions = {}
        env = {}
        if os.environ.get("DAPHNELIB_VEC") == "1":
            env["vec"] = True
        if os.environ.get("DAPHNELIB_DISTRIBUTED") == "1":
            env["distributed"] = True
        env.update(options)
        self._defaults = self._check(env)

    @staticmethod
    def _check(options):
        for k in options:
            if k not in _OPTION_NAMES:
                raise TypeError(f"unknown DAPHNE option `{k}` (valid: {', '.join(_OPTION_NAMES)})")
        out = {k: v for k, v in options.items() if v is not None}
        if "explain" in out and isinstance(out["explain"], str):
            out["explain"] = [out["explain"]]
        return out

    def _options(self, overrides):
        opts = dict(self._defaults)
        opts.update(self._check(overrides))
        return opts

    def _new(self, kind, op, *args):
        return wrap(self, Expr(kind, "call", op, [operand(a) for a in args]))

    # -- files ----------------------------------------------------------------------------
    def readMatrix(self, file):
        return self._new("matrix", "readMatrix", Raw(quote(file)))

    def readFrame(self, file):
        return self._new("frame", "readFrame", Raw(quote(file)))

    # -- Python data ----------------------------------------------------------------------
    def from_numpy(self, mat, shared_memory=True, verbose=False, return_shape=False):
        """A matrix over a NumPy array: 1-d arrays become one column, higher dimensions are
        flattened behind the first. The array's memory is read in place (not copied) when it is
        C-ordered or row-strided with one of DAPHNE's value types; do not modify it while a
        computation reading it runs."""
        original_shape = np.shape(mat)
        res = wrap(self, _convert.input_expr(_convert.to_2d(mat)))
        return (res, original_shape) if return_shape else res

    def from_python(self, mat, shared_memory=True, verbose=False, return_shape=False):
        arr = np.array(mat)
        res = self.from_numpy(arr, shared_memory, verbose)
        return (res, arr.shape) if return_shape else res

    def from_pandas(self, df, shared_memory=True, verbose=False, keepIndex=False):
        """A frame over a pandas DataFrame (or Series): numeric columns are read in place,
        strings copied; categorical columns become their codes, sparse ones dense."""
        import pandas as pd

        if isinstance(df, pd.Series):
            df = df.to_frame()
        if isinstance(df.index, pd.MultiIndex) and keepIndex:
            raise TypeError("handling of pandas MultiIndex DataFrame is not implemented yet")
        if keepIndex:
            df = df.reset_index(drop=False)
        columns, labels = [], []
        for label in df.columns:
            col = df[label]
            if isinstance(col.dtype, pd.SparseDtype):
                col = col.sparse.to_dense()
            if isinstance(col.dtype, pd.CategoricalDtype):
                col = col.cat.codes
            if col.dtype.kind in "biuf":
                values = col.to_numpy(copy=False)
            elif col.dtype.kind in "OUS" or isinstance(col.dtype, pd.StringDtype):
                values = col.to_numpy(dtype=object)
            else:
                raise TypeError(f'Unsupported dtype `{col.dtype}` in column "{label}"')
            if values.dtype == np.bool_:
                values = values.astype(np.uint8)
            columns.append(wrap(self, _convert.input_expr(values.reshape(-1, 1))))
            labels.append(str(label))
        return self.createFrame(columns, labels)

    def from_tensorflow(self, tensor, shared_memory=True, verbose=False, return_shape=False):
        return self.from_numpy(tensor.numpy(), shared_memory, verbose, return_shape)

    def from_pytorch(self, tensor, shared_memory=True, verbose=False, return_shape=False):
        return self.from_numpy(tensor.numpy(force=True), shared_memory, verbose, return_shape)

    # -- generators -----------------------------------------------------------------------
    def fill(self, arg, rows, cols):
        return self._new("matrix", "fill", arg, rows, cols)

    def createFrame(self, columns, labels=None):
        labels = [] if labels is None else list(labels)
        if labels and len(columns) != len(labels):
            raise RuntimeError(
                "createFrame: specifying labels is optional, but if labels are given, "
                "then their number must match that of the given columns")
        return self._new("frame", "createFrame", *columns, *[Raw(quote(l)) if isinstance(l, str) else l for l in labels])

    def seq(self, start, end, inc=1):
        return self._new("matrix", "seq", start, end, inc)

    def rand(self, rows, cols, min=None, max=None, sparsity=0, seed=0):
        """A random matrix; DaphneLib's defaults (``sparsity=0``, ``seed=0``) are kept, and a
        missing ``min``/``max`` is 0.0/1.0."""
        if isinstance(rows, int) and rows < 0:
            raise ValueError(f"In rand statement, can only assign rows a long (integer) value >= 0 -- attempted to assign value: {rows}")
        if isinstance(cols, int) and cols < 0:
            raise ValueError(f"In rand statement, can only assign cols a long (integer) value >= 0 -- attempted to assign value: {cols}")
        return self._new("matrix", "rand", rows, cols, 0.0 if min is None else min, 1.0 if max is None else max,
                         sparsity, seed)

    def sample(self, range, size, withReplacement, seed=-1):
        return self._new("matrix", "sample", range, size, withReplacement, seed)

    def diagMatrix(self, arg):
        return self._new("matrix", "diagMatrix", arg)

    def sql(self, query):
        return self._new("frame", "sql", Raw(quote(query)))

    # -- control flow and functions -------------------------------------------------------
    def cond(self, input_nodes, pred, then_fn, else_fn=None):
        return _control.cond(self, input_nodes, pred, then_fn, else_fn)

    def for_loop(self, input_nodes, callback, start, end, step=None):
        return _control.for_loop(self, input_nodes, callback, start, end, step)

    def while_loop(self, input_nodes, cond, callback):
        return _control.while_loop(self, input_nodes, cond, callback)

    def do_while_loop(self, input_nodes, cond, callback):
        return _control.while_loop(self, input_nodes, cond, callback, do_while=True)

    def logical_and(self, left_operand, right_operand):
        return wrap(self, Expr("scalar", "binop", "&&", [operand(left_operand), operand(right_operand)]))

    def logical_or(self, left_operand, right_operand):
        return wrap(self, Expr("scalar", "binop", "||", [operand(left_operand), operand(right_operand)]))

    def function(self, callback):
        """A user-defined function (usable as ``@dctx.function``): calling it returns a tuple
        of its results. Parameters are matrices unless annotated ``Scalar`` or ``Frame``."""
        fn = _control.UserFunction(self, callback)
        self._functions[fn.dsl_name] = fn
        return fn
