"""The lazy expression graph behind ``Matrix``, ``Frame`` and ``Scalar``.

Every operation creates an immutable :class:`Expr`: what it computes (a DaphneDSL built-in, an
operator, an input bound from NumPy, a control-flow statement, ...), its operands (other
expressions or Python constants) and the Python call site that created it. The user-facing
objects are handles on an expression; ``X[0, :] = Y`` points the handle ``X`` at a new
expression instead of changing the old one, so everything computed from the old ``X`` keeps
its meaning. ``daphne._script`` turns a graph into DaphneDSL text.
"""

import itertools
import math
import os
import sys

__all__ = ["Expr", "Raw", "Slice", "Scope", "literal", "current_scope"]

_ids = itertools.count()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class Raw:
    """DaphneDSL text used verbatim as an operand (a quoted string, a slice range, ...)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return f"Raw({self.text!r})"


class Slice:
    """A row or column range ``start:stop`` of an index (either end may be missing)."""

    __slots__ = ("start", "stop")

    def __init__(self, start, stop):
        self.start = start
        self.stop = stop


def quote(s):
    """A Python string as a DaphneDSL string literal."""
    out = ['"']
    for ch in str(s):
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def literal(value):
    """A Python constant (number, bool, string, NumPy scalar) as DaphneDSL text."""
    if isinstance(value, Raw):
        return value.text
    # NumPy scalars (np.float64, np.int32, np.bool_, ...) behave as the Python values they hold.
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value >= 0 else f"({value})"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "(-inf)"
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            # DaphneDSL needs a decimal point in a float literal with an exponent.
            mant, exp = text.split("e")
            text = f"{mant}.0e{exp}"
        return f"({text})" if text.startswith("-") else text
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot use a {type(value).__name__} ({value!r}) in a DAPHNE computation")


def call_site():
    """``(filename, line, function)`` of the innermost frame outside this package."""
    f = sys._getframe(1)
    while f is not None:
        filename = f.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            return (filename, f.f_lineno, f.f_code.co_name)
        f = f.f_back
    return None


class Scope:
    """The body of a control-flow statement or user function while its Python callback runs:
    expressions created then belong to it and are generated inside the body."""

    __slots__ = ("kind", "placeholders")

    def __init__(self, kind):
        self.kind = kind
        self.placeholders = []


_scope_stack = []


def current_scope():
    return _scope_stack[-1] if _scope_stack else None


class scoped:
    """``with scoped(scope):`` makes ``scope`` own the expressions created inside."""

    def __init__(self, scope):
        self.scope = scope

    def __enter__(self):
        _scope_stack.append(self.scope)
        return self.scope

    def __exit__(self, *exc):
        _scope_stack.pop()
        return False


class Expr:
    """One node of the graph.

    kind:  the data type of its value: ``matrix``, ``frame``, ``scalar``, ``none`` (statements
           such as ``print``) or ``multi`` (a statement with several outputs).
    style: how it is written: ``call`` (``op(args)``), ``binop`` (``a op b``), ``neg``,
           ``index`` (``a[r, c]``), ``insert`` (``a[r, c] = v``), ``ifelse`` (``c ? a : b``),
           ``input`` (an array bound from Python), ``placeholder`` (a parameter of a body),
           ``output`` (output ``i`` of a ``multi`` expression), ``cond``/``for``/``while``/
           ``dowhile`` (control flow) and ``callfn`` (a user function call).
    """

    __slots__ = ("id", "kind", "style", "op", "args", "data", "site", "scope")

    def __init__(self, kind, style, op=None, args=(), data=None, site=None):
        self.id = next(_ids)
        self.kind = kind
        self.style = style
        self.op = op
        self.args = list(args)
        self.data = data
        self.site = site if site is not None else call_site()
        self.scope = current_scope()

    def __repr__(self):
        return f"Expr#{self.id}({self.kind}, {self.style}, {self.op!r})"
