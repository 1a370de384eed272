"""DaphneLib, DAPHNE's Python API, over the Rust DaphneDSL compiler and runtime.

Build a lazy computation from a :class:`DaphneContext` and ``compute()`` it::

    from daphne.context.daphne_context import DaphneContext
    dc = DaphneContext()
    X = dc.from_numpy(np.arange(6.0).reshape(2, 3))
    print((X @ X.t()).sum().compute())
"""

from daphne.context.daphne_context import DaphneContext, Frame, Matrix, Scalar
from daphne.errors import DaphneError
from daphne.operator.operation_node import OperationNode

__all__ = ["DaphneContext", "Matrix", "Frame", "Scalar", "OperationNode", "DaphneError"]
