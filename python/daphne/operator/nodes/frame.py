"""``Frame``: a lazily evaluated DAPHNE frame with DaphneLib's methods."""

from daphne._expr import Raw, quote
from daphne.operator.operation_node import _HANDLES, OperationNode

__all__ = ["Frame"]


class Frame(OperationNode):
    """A DAPHNE frame (computed lazily); ``compute()`` returns a pandas DataFrame."""

    _kind = "frame"
    __hash__ = OperationNode.__hash__

    def compute(self, type="shared memory", verbose=False, useIndexColumn=False, **options):
        return super().compute(type=type, verbose=verbose, useIndexColumn=useIndexColumn, **options)

    def nrow(self): return self._new("scalar", "nrow", self)
    def ncol(self): return self._new("scalar", "ncol", self)
    def ncell(self): return self._new("scalar", "ncell", self)

    def setColLabels(self, labels):
        return self._new("frame", "setColLabels", self, *[Raw(quote(l)) for l in labels])

    def setColLabelsPrefix(self, prefix):
        return self._new("frame", "setColLabelsPrefix", self, Raw(quote(prefix)))

    def cbind(self, other): return self._new("frame", "cbind", self, other)
    def rbind(self, other): return self._new("frame", "rbind", self, other)
    def cartesian(self, other): return self._new("frame", "cartesian", self, other)

    def innerJoin(self, right_frame, left_on, right_on):
        return self._new("frame", "innerJoin", self, right_frame, Raw(quote(left_on)), Raw(quote(right_on)))

    def order(self, colIdxs, ascs, returnIndexes):
        if len(colIdxs) != len(ascs):
            raise RuntimeError("order: the lists given for parameters colIdxs and ascs must have the same length")
        return self._new("frame", "order", self, *colIdxs, *ascs, returnIndexes)

    def registerView(self, table_name):
        return self._new("none", "registerView", Raw(quote(table_name)), self)

    def toMatrix(self, value_type="f64"):
        return self._new("matrix", f"as.matrix<{value_type}>", self)

    def print(self): return self._new("none", "print", self)
    def write(self, file): return self._new("none", "writeFrame", self, Raw(quote(file)))


_HANDLES["frame"] = Frame
