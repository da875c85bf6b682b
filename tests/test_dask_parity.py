"""hvrt.dask against the in-memory estimators on the same rows (synchronous scheduler):
the red-team findings of session 17 (rules' missing clauses, target encoding from all
rows, zoned dates, warnings, y checks, the orientation tie, chunks drifting from meta)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hvrt import HVRTPartitioner

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
delayed = dask.delayed

from hvrt.dask import DaskHVRTPartitioner


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(
        scheduler="synchronous", **{"dataframe.convert-string": False}
    ):
        yield


def _messages(fit) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [str(w.message) for w in caught]


def _from_parts(parts: list[pd.DataFrame], meta: pd.DataFrame):
    """A dask frame of these pandas parts, its meta as given (as from_map / read_* over files)."""
    return dd.from_delayed(
        [delayed(lambda p=p: p)() for p in parts], meta=meta, verify_meta=False
    )


def test_rules_with_missing_fit_cover_the_rows_as_in_memory() -> None:
    rng = np.random.default_rng(3)
    n = 1200
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "k": pd.Series(rng.choice(list("pqr"), n), dtype=object),
        }
    )
    X.loc[:300, "b"] = np.nan
    X.loc[900:960, "k"] = None
    memory = HVRTPartitioner(max_leaf_nodes=6).fit(X)
    model = DaskHVRTPartitioner(max_leaf_nodes=6).fit(dd.from_pandas(X, npartitions=4))
    assert (
        model._preprocessor.columns_with_missing
        == ["b", "k"]
        == memory._preprocessor.columns_with_missing
    )
    rules = model.partition_rules(missing="fit")["rule"]
    assert list(rules) == list(memory.partition_rules(missing="fit")["rule"])
    labels = memory.get_partitions(X)
    for label, rule in enumerate(
        rules
    ):  # each rule selects its partition's rows, NaN rows too
        np.testing.assert_array_equal(
            X.eval(rule, engine="python").to_numpy(), labels == label
        )


@pytest.mark.parametrize("first_zone", ["UTC", "Asia/Tokyo"])
def test_object_dates_in_several_zones_are_instants_as_in_memory(first_zone) -> None:
    rng = np.random.default_rng(3)
    n = 1200
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    times = [
        pd.Timestamp("2020-01-01", tz="UTC") + pd.Timedelta(hours=int(h))
        for h in rng.integers(0, 1000, n)
    ]
    other = "Asia/Tokyo" if first_zone == "UTC" else "UTC"
    X["s"] = pd.Series(
        [
            t.tz_convert(first_zone if i < n // 2 else other)
            for i, t in enumerate(times)
        ],
        dtype=object,
    )
    memory = HVRTPartitioner(max_leaf_nodes=6).fit(X)
    dX = dd.from_pandas(X, npartitions=4)  # each chunk holds one zone
    model = DaskHVRTPartitioner(max_leaf_nodes=6).fit(dX)
    assert model._preprocessor.numeric_columns == ["a", "b", "s"]
    np.testing.assert_array_equal(
        model.get_partitions(dX).compute().to_numpy(), memory.get_partitions(X)
    )
    assert model._time_dtypes == memory._time_dtypes
    assert list(model.partition_rules()["rule"]) == list(
        memory.partition_rules()["rule"]
    )
