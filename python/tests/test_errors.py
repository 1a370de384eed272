"""Failures are Python exceptions carrying the diagnostic, the position in the generated script
and the Python call site; the interpreter keeps working after them."""

import sys

import numpy as np
import pytest

from daphne import DaphneError


def lineno():
    return sys._getframe(1).f_lineno


def test_execution_error_names_script_line_and_python_site(dc):
    a = dc.from_numpy(np.ones((2, 3)))
    b = dc.from_numpy(np.ones((2, 3)))
    bad = a @ b; here = lineno()  # noqa: E702
    with pytest.raises(DaphneError) as info:
        bad.compute()
    e = info.value
    assert isinstance(e, RuntimeError)
    assert e.phase == "execution" and e.code == "E0301"
    assert e.line is not None and e.column is not None
    assert "@" in e.script.splitlines()[e.line - 1]
    assert e.python_site[0] == __file__ and e.python_site[1] == here
    assert f"{__file__}:{here}" in str(e)
    assert "<daphnelib script>:" in e.diagnostic and "-->" in e.diagnostic
    # the interpreter and the runtime carry on
    assert dc.fill(2.0, 1, 1).sum().compute() == 2.0


def test_compile_error(dc):
    x = dc.fill(1.0, 2, 2)
    bad = x.cbind(dc.fill(1.0, 3, 3)); here = lineno()  # noqa: E702
    with pytest.raises(DaphneError) as info:
        bad.print().compute()
    assert info.value.phase in ("compile", "execution")
    assert info.value.python_site[1] == here


def test_error_in_a_function_points_into_its_body(dc):
    @dc.function
    def f(x):
        return x / 0

    with pytest.raises(DaphneError) as info:
        f(dc.fill(1, 2, 2))[0].compute()
    e = info.value
    assert e.phase == "execution"
    assert e.python_site[2] == "f"  # the Python function whose body divided
    assert e.script.splitlines()[e.line - 1].strip().startswith("V")  # a line of the def


def test_unsupported_builtin(dc):
    with pytest.raises(DaphneError, match="not supported"):
        dc.sql("SELECT a FROM t").compute()


def test_stop_like_failures_do_not_kill_the_interpreter(dc):
    for _ in range(3):
        with pytest.raises(DaphneError):
            dc.readMatrix("/nonexistent/file.csv").compute()
    assert dc.seq(1, 3).sum().compute() == 6


def test_statement_used_as_a_value(dc):
    p = dc.fill(1.0, 1, 1).print()
    with pytest.raises(TypeError):
        (dc.fill(1.0, 1, 1) + p).compute()


def test_lazy_values_have_no_truth_value(dc):
    with pytest.raises(TypeError, match="compute"):
        if dc.fill(1.0, 1, 1).sum() > 0:
            pass


def test_body_parameters_do_not_leak(dc):
    leaked = []

    def body(x, i):
        leaked.append(x)
        return x + 1

    dc.for_loop([dc.fill(1.0, 1, 1)], body, 1, 2)
    with pytest.raises(DaphneError, match="outside"):
        leaked[0].compute()


def test_wrong_callbacks(dc):
    x = dc.fill(1.0, 1, 1)
    with pytest.raises(ValueError):
        dc.cond([x], lambda y: y, lambda y: y)
    with pytest.raises(ValueError):
        dc.for_loop([x], lambda y: y, 1, 2)
    with pytest.raises(ValueError):
        dc.while_loop([x], lambda y: y.sum() > 0, lambda y, z: y)


def test_unknown_options(dc):
    from daphne.context.daphne_context import DaphneContext

    with pytest.raises(TypeError, match="unknown DAPHNE option"):
        DaphneContext(vectorized=True)
    with pytest.raises(DaphneError, match="explain"):
        dc.fill(1.0, 1, 1).compute(explain=["no_such_stage"])


def test_a_long_chain_built_in_a_loop(dc):
    limit = sys.getrecursionlimit()
    x = dc.fill(1.0, 2, 2)
    for _ in range(3000):  # deeper than Python's default recursion limit
        x = x + 1
    assert x.sum().compute() == 4 * 3001.0
    assert sys.getrecursionlimit() == limit  # restored
