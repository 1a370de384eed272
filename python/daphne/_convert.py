"""NumPy and pandas data in and out of DAPHNE.

In: an array becomes an ``input`` expression whose payload is the array itself; the runtime views
its memory in place when the layout allows (C order, or rows at a stride with adjacent cells, as
slices of C-order arrays are) and the dtype is one of DAPHNE's value types. Fortran-order and
other strided arrays, ``int16``/``uint16``/``float16`` (widened) and strings are copied once.

Out: a result matrix arrives as ``daphne._native.Cells``, whose ``__array_interface__`` lets
NumPy view the runtime's buffer (the array keeps it alive); strings arrive as Python lists.
"""

import numpy as np

from daphne._expr import Expr

# DAPHNE's value type codes (its C++ ValueTypeCode), as receiveFromNumpy reads them.
SI8, SI32, SI64, UI8, UI32, UI64, F32, F64, STR = range(9)

_VTC = {
    np.dtype(np.int8): SI8,
    np.dtype(np.int32): SI32,
    np.dtype(np.int64): SI64,
    np.dtype(np.uint8): UI8,
    np.dtype(np.uint32): UI32,
    np.dtype(np.uint64): UI64,
    np.dtype(np.float32): F32,
    np.dtype(np.float64): F64,
}
_WIDEN = {np.dtype(np.int16): np.int32, np.dtype(np.uint16): np.uint32, np.dtype(np.float16): np.float32}

_SCALAR_TYPES = {
    "f64": np.float64,
    "f32": np.float32,
    "si64": np.int64,
    "si32": np.int32,
    "si8": np.int8,
    "ui64": np.uint64,
    "ui32": np.uint32,
    "ui8": np.uint8,
    "bool": np.bool_,
    "index": np.int64,
}


def _viewable(a):
    """Whether the runtime can read the 2-d array ``a`` in place."""
    if a.dtype.byteorder == ">" or not a.flags.aligned:
        return False
    rows, cols = a.shape
    rs, cs = a.strides
    size = a.itemsize
    if cols > 1 and cs != size:
        return False
    if rows > 1 and (rs < 0 or rs % size != 0 or rs // size < cols):
        return False
    return True


def to_2d(mat):
    """``mat`` as a 2-d array: 1-d arrays become one column, higher dimensions are flattened
    behind the first (as DaphneLib does)."""
    mat = np.asarray(mat)
    if mat.ndim == 0:
        raise ValueError("a DAPHNE matrix needs at least one dimension, got a 0-d array")
    if mat.ndim == 1:
        return mat.reshape(-1, 1)
    if mat.ndim > 2:
        return mat.reshape(mat.shape[0], -1)
    return mat


def input_expr(mat):
    """An ``input`` expression binding the 2-d array ``mat``."""
    rows, cols = mat.shape
    if mat.dtype.kind in "USO" or str(mat.dtype) in ("str", "string"):
        cells = ["" if v is None else str(v) for v in np.asarray(mat, dtype=object).reshape(-1)]
        payload = ("strings", rows, cols, cells)
        vtc = STR
    else:
        if mat.dtype in _WIDEN:
            mat = mat.astype(_WIDEN[mat.dtype])
        if mat.dtype == np.bool_:
            raise TypeError("DAPHNE's value types have no bool matrices to receive: convert the array with .astype(np.uint8)")
        if mat.dtype not in _VTC:
            raise TypeError(f"unsupported NumPy dtype `{mat.dtype}` for a DAPHNE matrix")
        if not _viewable(mat):
            mat = np.ascontiguousarray(mat)
        payload = mat
        vtc = _VTC[mat.dtype]
    return Expr("matrix", "input", data={"payload": payload, "rows": rows, "cols": cols, "vtc": vtc})


def matrix_from_native(v):
    kind = v[0]
    if kind == "matrix":
        return np.asarray(v[1])
    if kind == "strings":
        _, rows, cols, cells = v
        return np.array(cells, dtype=str).reshape(rows, cols)
    raise TypeError(f"expected a matrix result, got `{kind}`")


def from_native(v):
    """A result of ``daphne._native.run`` as NumPy/pandas data."""
    kind = v[0]
    if kind in ("matrix", "strings"):
        return matrix_from_native(v)
    if kind == "scalar":
        _, value, vt = v
        t = _SCALAR_TYPES.get(vt)
        return t(value) if t is not None else value
    if kind == "frame":
        import pandas as pd

        _, labels, cols = v
        data = {}
        for label, c in zip(labels, cols):
            arr = matrix_from_native(c)
            data[label] = arr[:, 0] if arr.ndim == 2 else arr
        if not labels:
            return pd.DataFrame()
        return pd.DataFrame(data, copy=False)
    if kind == "list":
        return [matrix_from_native(m) for m in v[1]]
    raise TypeError(f"unknown result kind `{kind}`")
