"""Control flow and user functions of the lazy graph: ``cond``, ``for_loop``, ``while_loop``,
``do_while_loop`` and ``function``.

Each callback runs once, right away, on placeholder objects standing for its parameters; the
expressions it creates belong to the statement's body (a :class:`daphne._expr.Scope`), and
``daphne._script`` writes them inside the generated ``if``/``for``/``while``/``def``. The
statement's results are new objects, one per carried value.
"""

import inspect
import re
import typing

from daphne._expr import Expr, Scope, call_site, scoped
from daphne.operator.operation_node import OperationNode, operand, wrap

_KINDS = ("matrix", "frame", "scalar")


def _kind_of(x):
    if isinstance(x, OperationNode):
        if x._expr.kind not in _KINDS:
            raise ValueError(f"a {x._expr.kind} (a statement) cannot be carried by a control-flow statement")
        return x._expr.kind
    if isinstance(x, (int, float, bool)):
        return "scalar"
    raise ValueError(f"unsupported input node type {type(x).__name__}")


def _nargs(fn):
    return len(inspect.signature(fn).parameters)


def _as_tuple(r):
    return r if isinstance(r, tuple) else (r,)


def _body(ctx, kind, fn, param_kinds):
    """Runs ``fn`` on placeholders of ``param_kinds``; returns ``(scope, outputs)``."""
    scope = Scope(kind)
    with scoped(scope):
        params = []
        for k in param_kinds:
            p = Expr(k, "placeholder")
            scope.placeholders.append(p)
            params.append(wrap(ctx, p))
        outs = _as_tuple(fn(*params))
    return scope, [operand(o) for o in outs]


def _check_outs(what, outs, n):
    if len(outs) != n:
        raise ValueError(f"{what} returns {len(outs)} values, but {n} are carried")


def _outputs(ctx, stmt, kinds):
    outs = [Expr(k, "output", None, [stmt]) for k in kinds]
    stmt.data["outputs"] = outs
    return tuple(wrap(ctx, o) for o in outs)


def cond(ctx, input_nodes, pred, then_fn, else_fn=None):
    inputs = list(input_nodes)
    kinds = [_kind_of(x) for x in inputs]
    if _nargs(pred) != 0:
        raise ValueError(f"{pred} has more then 0 arguments")
    for f in (then_fn, else_fn):
        if f is not None and _nargs(f) != len(inputs):
            raise ValueError(f"{f} does not have the same number of arguments as input nodes")
    p = pred()
    if isinstance(p, tuple):
        raise ValueError(f"{pred} has more then 1 return values")
    then_scope, then_outs = _body(ctx, "then", then_fn, kinds)
    _check_outs("then_fn", then_outs, len(inputs))
    data = {"inputs": [operand(x) for x in inputs], "pred": operand(p), "then_scope": then_scope,
            "then_outs": then_outs, "else_scope": None}
    if else_fn is not None:
        data["else_scope"], data["else_outs"] = _body(ctx, "else", else_fn, kinds)
        _check_outs("else_fn", data["else_outs"], len(inputs))
    return _outputs(ctx, Expr("multi", "cond", "if", data=data), kinds)


def for_loop(ctx, input_nodes, callback, start, end, step=None):
    inputs = list(input_nodes)
    kinds = [_kind_of(x) for x in inputs]
    if _nargs(callback) != len(inputs) + 1:
        raise ValueError(f"{callback} does not have the same number of arguments as input nodes + 1")
    scope, outs = _body(ctx, "for", callback, kinds + ["scalar"])
    _check_outs("the loop body", outs, len(inputs))
    data = {"inputs": [operand(x) for x in inputs], "scope": scope, "outs": outs, "start": operand(start),
            "end": operand(end), "step": operand(step)}
    return _outputs(ctx, Expr("multi", "for", "for", data=data), kinds)


def while_loop(ctx, input_nodes, cond_fn, callback, do_while=False):
    inputs = list(input_nodes)
    kinds = [_kind_of(x) for x in inputs]
    if _nargs(cond_fn) != _nargs(callback):
        raise ValueError(f"{cond_fn} and {callback} do not have the same number of arguments")
    if _nargs(callback) != len(inputs):
        raise ValueError(f"{callback} does not have the same number of arguments as input nodes")
    cond_scope, cond_outs = _body(ctx, "condition", cond_fn, kinds)
    if len(cond_outs) != 1:
        raise ValueError(f"{cond_fn} must return one value")
    scope, outs = _body(ctx, "while", callback, kinds)
    _check_outs("the loop body", outs, len(inputs))
    data = {"inputs": [operand(x) for x in inputs], "scope": scope, "outs": outs, "cond_scope": cond_scope,
            "cond_out": cond_outs[0]}
    style = "dowhile" if do_while else "while"
    return _outputs(ctx, Expr("multi", style, style, data=data), kinds)


class UserFunction:
    """A DaphneDSL function made from a Python callback (``@dctx.function``)."""

    def __init__(self, ctx, callback):
        self.ctx = ctx
        base = re.sub(r"[^A-Za-z0-9_]", "_", getattr(callback, "__name__", "function"))
        if not base or base[0].isdigit() or base == "_lambda_":
            base = "function"
        self.index = len(ctx._functions)
        self.dsl_name = f"{base}_{self.index}"
        try:
            hints = typing.get_type_hints(callback)
        except Exception:
            hints = {}
        from daphne.operator.nodes.frame import Frame
        from daphne.operator.nodes.matrix import Matrix
        from daphne.operator.nodes.scalar import Scalar

        kinds, params = [], []
        for i, name in enumerate(inspect.signature(callback).parameters):
            h = hints.get(name)
            if h is None or h is Matrix:
                kinds.append("matrix")
            elif h is Frame:
                kinds.append("frame")
            elif h is Scalar:
                kinds.append("scalar")
            else:
                raise ValueError(f"Not allowed type hint {h} for the 'dctx.function' signature")
            params.append(f"ARG_{i}")
        self.params = params
        self.site = call_site()
        self.scope, self.outs = _body(ctx, "function", callback, kinds)
        for o in self.outs:
            if not isinstance(o, Expr) or o.kind not in _KINDS:
                raise ValueError(f"Not valid output node type {type(o)}")
        self.out_kinds = [o.kind for o in self.outs]

    def __call__(self, *args):
        if len(args) != len(self.params):
            raise TypeError(f"{self.dsl_name} takes {len(self.params)} arguments, {len(args)} given")
        stmt = Expr("multi", "callfn", self.dsl_name, [operand(a) for a in args], data={"function": self})
        return _outputs(self.ctx, stmt, self.out_kinds)
