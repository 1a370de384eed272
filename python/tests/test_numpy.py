"""NumPy round trips of every value type and shape: 1-d, 2-d, empty, non-contiguous, Fortran
order. A directly computed input comes back as a view of the same memory where the layout
allows (nothing is copied either way); a computed result views the runtime's buffer."""

import numpy as np
import pytest

DTYPES = [np.float64, np.float32, np.int64, np.int32, np.int8, np.uint64, np.uint32, np.uint8]


def sample(dtype, shape):
    n = int(np.prod(shape))
    a = (np.arange(n) % 100 + 1).astype(dtype)
    if np.issubdtype(dtype, np.floating):
        a = a / 4
    return a.reshape(shape)


@pytest.mark.parametrize("dtype", DTYPES)
def test_2d_round_trip_is_zero_copy(dc, dtype):
    a = sample(dtype, (4, 3))
    out = dc.from_numpy(a).compute()
    assert out.dtype == a.dtype and out.shape == (4, 3)
    np.testing.assert_array_equal(out, a)
    assert np.shares_memory(out, a)
    assert not out.flags.writeable  # a view of the input handed back, read-only


@pytest.mark.parametrize("dtype", DTYPES)
def test_computed_result_views_the_runtime_buffer(dc, dtype):
    a = sample(dtype, (3, 5))
    out = dc.from_numpy(a).t().t().compute()
    assert out.dtype == a.dtype
    np.testing.assert_array_equal(out, a)
    assert not np.shares_memory(out, a)
    assert type(out.base).__name__ == "Cells"  # NumPy views DAPHNE's buffer, no copy
    assert out.flags.writeable
    out[0, 0] = 0  # the result is the caller's


@pytest.mark.parametrize("dtype", DTYPES)
def test_1d_becomes_a_column(dc, dtype):
    a = sample(dtype, (6,))
    m, shape = dc.from_numpy(a, return_shape=True)
    out = m.compute()
    assert out.shape == (6, 1) and shape == (6,)
    np.testing.assert_array_equal(out.reshape(shape), a)
    assert np.shares_memory(out, a)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0), (0,)])
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint8])
def test_empty(dc, dtype, shape):
    a = np.zeros(shape, dtype=dtype)
    out = dc.from_numpy(a).compute()
    expect = a.reshape(-1, 1) if a.ndim == 1 else a
    assert out.shape == expect.shape and out.dtype == a.dtype
    assert dc.from_numpy(a).ncell().compute() == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_strided_slice_is_viewed_in_place(dc, dtype):
    base = sample(dtype, (5, 6))
    a = base[1:4, 2:5]  # rows at a stride, adjacent cells
    assert not a.flags.c_contiguous
    out = dc.from_numpy(a).compute()
    np.testing.assert_array_equal(out, a)
    assert np.shares_memory(out, base)
    np.testing.assert_array_equal(dc.from_numpy(a).t().compute(), a.T)
    assert dc.from_numpy(a).sum().compute() == a.sum(dtype=a.dtype)  # DAPHNE sums in the value type


@pytest.mark.parametrize("dtype", DTYPES)
def test_column_strided_and_reversed_arrays_are_copied(dc, dtype):
    base = sample(dtype, (4, 6))
    for a in (base[:, ::2], base[::-1], base[:, ::-1]):
        out = dc.from_numpy(a).compute()
        np.testing.assert_array_equal(out, a)
        assert not np.shares_memory(out, base)


@pytest.mark.parametrize("dtype", DTYPES)
def test_fortran_order(dc, dtype):
    a = np.asfortranarray(sample(dtype, (3, 4)))
    out = dc.from_numpy(a).compute()
    np.testing.assert_array_equal(out, a)
    np.testing.assert_array_equal(dc.from_numpy(a).t().compute(), a.T)
    # A Fortran-order column is one contiguous column of cells: viewed in place.
    col = a[:, 1:2]
    out = dc.from_numpy(col).compute()
    np.testing.assert_array_equal(out, col)


def test_widened_types(dc):
    for dtype, widened in ((np.int16, np.int32), (np.uint16, np.uint32), (np.float16, np.float32)):
        a = np.array([[1, 2], [3, 4]], dtype=dtype)
        out = dc.from_numpy(a).compute()
        assert out.dtype == widened
        np.testing.assert_array_equal(out, a)


def test_higher_dimensions_are_flattened(dc):
    a = np.arange(24.0).reshape(2, 3, 4)
    m, shape = dc.from_numpy(a, return_shape=True)
    out = m.compute()
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out.reshape(shape), a)


def test_strings(dc):
    a = np.array([["a", "bc"], ["", "déf"]])
    out = dc.from_numpy(a).compute()
    assert out.shape == (2, 2)
    assert out.tolist() == a.tolist()
    assert dc.from_numpy(np.array(["x", "y", "z"])).compute().tolist() == [["x"], ["y"], ["z"]]


def test_python_lists(dc):
    out = dc.from_python([[1.5, 2.5], [3.5, 4.5]]).compute()
    np.testing.assert_array_equal(out, [[1.5, 2.5], [3.5, 4.5]])
    assert dc.from_python([1, 2, 3]).sum().compute() == 6


def test_scalars_come_back_as_numpy_scalars(dc):
    m = dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.5]]))
    s = m.sum().compute()
    assert isinstance(s, np.float64) and s == 10.5
    n = dc.from_numpy(np.array([[1, 2]], dtype=np.int64)).sum().compute()
    assert isinstance(n, np.int64) and n == 3
    assert dc.from_numpy(np.array([[1, 2]], dtype=np.int32)).ncol().compute() == 2
    assert float(m.aggMax()) == 4.5 and int(m.nrow()) == 2


def test_bool_arrays_are_refused_with_a_hint(dc):
    with pytest.raises(TypeError, match="uint8"):
        dc.from_numpy(np.array([[True, False]]))


def test_input_is_kept_alive_by_the_result(dc):
    out = dc.from_numpy(np.arange(1000.0).reshape(10, 100)).compute()
    import gc

    gc.collect()
    assert out[9, 99] == 999.0


def test_sparse_result_comes_back_dense(dc):
    m = dc.rand(20, 20, 1.0, 1.0, 0.05, 3)
    out = m.compute(select_matrix_repr=True)
    assert out.shape == (20, 20)
    assert np.count_nonzero(out) == int(dc.rand(20, 20, 1.0, 1.0, 0.05, 3).sum().compute())
