"""CSV output: the fast numeric route reads back exactly as pandas' to_csv does."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from hvrt._csv_output import _numeric_table, write_csv

from .exact_csv import read_csv_exact

pytest.importorskip("pyarrow")


def numeric_frame(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(21)
    frame = pd.DataFrame({
        "wide range": rng.normal(size=n) * 10.0 ** rng.integers(-320, 300, n),
        "whole": rng.integers(-5, 5, n).astype(float),
        "mixed": np.where(rng.random(n) < 0.5, rng.normal(size=n), np.round(rng.normal(size=n))),
        "i8": rng.integers(-128, 127, n).astype(np.int8),
        "u64": rng.integers(0, 2**63, n, dtype=np.uint64) * 2 + 1,
        "i64": rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64),
        "a,b \"q\"": rng.normal(size=n),  # a name that needs quoting
    })  # fmt: skip
    frame.loc[0:5, "mixed"] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324]
    frame.loc[0:3, "whole"] = [-0.0, np.nan, 1e20, 2.0**60]
    return frame


def test_numeric_chunks_read_back_as_pandas_writes_them(tmp_path) -> None:
    frame = numeric_frame()
    assert _numeric_table(frame) is not None  # the fast route is taken
    write_csv(frame.iloc[:250], tmp_path / "fast.csv", header=True)
    write_csv(frame.iloc[250:], tmp_path / "fast.csv", header=False)
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    fast, reference = read_csv_exact(tmp_path / "fast.csv"), read_csv_exact(tmp_path / "pandas.csv")
    pd.testing.assert_frame_equal(fast, reference, check_exact=True)
    # whole-number floats stay floats, and -0.0 keeps its sign
    assert fast["whole"].dtype == np.float64 and np.signbit(fast.loc[0, "whole"]) and np.signbit(fast.loc[3, "mixed"])
    first_line = (tmp_path / "fast.csv").read_text().splitlines()[0]
    assert first_line == (tmp_path / "pandas.csv").read_text().splitlines()[0]


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["a", "b,c", None] * 2),
        pd.Series([True, False] * 3),
        pd.Series(pd.date_range("2024-01-01", periods=6, freq="h")),
        pd.Series(pd.to_timedelta(np.arange(6), unit="s")),
        pd.Series(pd.array([1, None, 3] * 2, dtype="Int64")),
        pd.Series(np.arange(6, dtype=np.float32) / 3),
        pd.Series(pd.Categorical(list("xyzxyz"))),
    ],
    ids=["text", "bool", "dates", "durations", "Int64", "float32", "category"],
)
def test_other_columns_are_written_by_pandas_byte_for_byte(tmp_path, column) -> None:
    frame = pd.DataFrame({"x": np.linspace(0, 1, 6), "other": column})
    assert _numeric_table(frame) is None
    write_csv(frame, tmp_path / "out.csv", header=True)
    assert (tmp_path / "out.csv").read_text() == frame.to_csv(index=False)


def test_without_pyarrow_pandas_writes(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # the import fails as if not installed
    frame = numeric_frame(50)
    assert _numeric_table(frame) is None
    write_csv(frame, tmp_path / "out.csv", header=True)
    assert (tmp_path / "out.csv").read_text() == frame.to_csv(index=False)
