"""pandas frames with mixed column types in and out of DAPHNE."""

import numpy as np
import pandas as pd
import pytest


def mixed():
    return pd.DataFrame({
        "i64": np.array([3, -1, 2], dtype=np.int64),
        "f64": np.array([0.5, 1.25, -2.0]),
        "f32": np.array([1.5, 2.5, 3.5], dtype=np.float32),
        "i32": np.array([7, 8, 9], dtype=np.int32),
        "u8": np.array([1, 2, 255], dtype=np.uint8),
        "u64": np.array([10, 20, 30], dtype=np.uint64),
        "s": ["red", "green", "blue"],
    })


def test_mixed_round_trip(dc):
    df = mixed()
    out = dc.from_pandas(df).compute()
    assert list(out.columns) == list(df.columns)
    for c in df.columns:
        assert out[c].tolist() == df[c].tolist(), c
        if c != "s":
            assert out[c].dtype == df[c].dtype, c


def test_numeric_columns_are_read_in_place(dc):
    df = mixed()
    out = dc.from_pandas(df).compute()
    shared = [c for c in df.columns if c != "s" and np.shares_memory(out[c].to_numpy(), df[c].to_numpy())]
    assert shared == [c for c in df.columns if c != "s"]


def test_mixed_frame_prints_like_daphne(dc, capsys):
    dc.from_pandas(mixed()).print().compute()
    assert capsys.readouterr().out == (
        "Frame(3x7, [i64:int64_t, f64:double, f32:float, i32:int32_t, u8:uint8_t, u64:uint64_t, s:std::string])\n"
        "3 0.5 1.5 7 1 10 red\n"
        "-1 1.25 2.5 8 2 20 green\n"
        "2 -2 3.5 9 255 30 blue\n")


def test_series_categorical_sparse_bool(dc):
    s = pd.Series([1.5, 2.5], name="x")
    assert dc.from_pandas(s).compute()["x"].tolist() == [1.5, 2.5]
    cat = pd.DataFrame({"c": pd.Categorical(["b", "a", "b"])})
    assert dc.from_pandas(cat).compute()["c"].tolist() == [1, 0, 1]
    sp = pd.DataFrame({"v": pd.arrays.SparseArray([0.0, 3.0, 0.0])})
    assert dc.from_pandas(sp).compute()["v"].tolist() == [0.0, 3.0, 0.0]
    b = pd.DataFrame({"b": [True, False]})
    assert dc.from_pandas(b).compute()["b"].tolist() == [1, 0]


def test_keep_index_and_use_index_column(dc):
    df = pd.DataFrame({"v": [1.0, 2.0]}, index=[10, 20])
    f = dc.from_pandas(df, keepIndex=True)
    assert f.ncol().compute() == 2
    out = f.compute(useIndexColumn=True)
    assert out.index.tolist() == [10, 20] and out["v"].tolist() == [1.0, 2.0]


def test_frame_operations_back_to_pandas(dc):
    df = mixed()
    f = dc.from_pandas(df)
    both = f.rbind(f).compute()
    assert len(both) == 6 and both["s"].tolist() == df["s"].tolist() * 2
    m = dc.from_pandas(df[["i64", "f64"]]).toMatrix().compute()
    np.testing.assert_array_equal(m, df[["i64", "f64"]].to_numpy(dtype=np.float64))
    labelled = f.setColLabelsPrefix("p").compute()
    assert list(labelled.columns) == ["p." + c for c in df.columns]


def test_empty_frame(dc):
    out = dc.from_pandas(pd.DataFrame({"a": np.array([], dtype=np.float64)})).compute()
    assert list(out.columns) == ["a"] and len(out) == 0


def test_unsupported_column_type(dc):
    with pytest.raises(TypeError):
        dc.from_pandas(pd.DataFrame({"d": [1 + 2j]}))
