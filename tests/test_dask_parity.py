"""hvrt.dask against the in-memory estimators on the same rows (synchronous scheduler):
the red-team findings of session 17 (rules' missing clauses, target encoding from all
rows, zoned dates, warnings, y checks, the orientation tie, chunks drifting from meta)."""

from __future__ import annotations

import datetime
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


def _target_encoded_table(n: int = 3000) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    levels = [f"c{i}" for i in range(40)]
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "k": pd.Series(rng.choice(levels, n), dtype=object),
            "j": pd.Series(rng.choice(list("pqrs"), n), dtype=object),
        }
    )
    X.loc[rng.random(n) < 0.05, "k"] = None
    effect = X.k.map(dict(zip(levels, rng.normal(size=40)))).fillna(0.0)
    y = effect * 0.5 + 0.3 * X.a + rng.normal(size=n) * 0.5
    Y = pd.DataFrame(
        {
            "y1": y,
            "y2": -y
            + rng.normal(size=n) * 0.3
            + X.j.map({"p": 1, "q": 2, "r": 0, "s": -1}),
        }
    )
    return X, Y


@pytest.mark.parametrize(
    ("outputs", "options"),
    [
        (["y1"], {}),
        (["y1"], {"y_weight": 1.0}),  # y alone: oriented by its merged third moment
        (
            ["y1", "y2"],
            {"target": "features"},
        ),  # y's columns oriented by merged covariances
        ([], {"impute": False}),
    ],
)
def test_target_encoding_learns_from_every_row_on_a_sample(outputs, options) -> None:
    X, Y = _target_encoded_table()
    y = Y[outputs] if outputs else None
    kw = dict(max_leaf_nodes=10, category_encoding="target", max_samples=0.4, **options)
    memory = HVRTPartitioner(**kw).fit(X, y)
    dX = dd.from_pandas(X, npartitions=5)
    model = DaskHVRTPartitioner(**kw).fit(
        dX, None if y is None else dd.from_pandas(y, npartitions=5)
    )
    ours, theirs = model._preprocessor.encoder, memory._preprocessor.encoder
    for mine, reference in zip(ours.encodings_, theirs.encodings_, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-12)
    for mine, categories in zip(ours.categories_, theirs.categories_, strict=True):
        assert list(map(str, mine)) == list(map(str, categories))
    assert abs(float(ours.target_mean_) - float(theirs.target_mean_)) < 1e-12
    np.testing.assert_array_equal(
        model.get_partitions(dX).compute().to_numpy(), memory.get_partitions(X)
    )


def test_target_encoding_on_the_hist_route_learns_from_every_row(monkeypatch) -> None:
    from hvrt._hist import _distributed

    edge_rows = _distributed.edge_rows
    monkeypatch.setattr(
        _distributed, "edge_rows", lambda n, seed: edge_rows(n, seed, 800)
    )  # not every row
    X, Y = _target_encoded_table(2400)
    kw = {"max_leaf_nodes": 10, "category_encoding": "target"}
    dX, dy = dd.from_pandas(X, npartitions=4), dd.from_pandas(-Y["y1"], npartitions=4)
    model = DaskHVRTPartitioner(**kw).fit(dX, dy, route="hist")
    memory = HVRTPartitioner(engine="hist", **kw).fit(X, -Y["y1"])
    for mine, reference in zip(
        model._preprocessor.encoder.encodings_,
        memory._preprocessor.encoder.encodings_,
        strict=True,
    ):
        np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-12)


def _warnings_of_both(X: pd.DataFrame, **options) -> tuple[list[str], list[str]]:
    memory = _messages(lambda: HVRTPartitioner(max_leaf_nodes=6, **options).fit(X))
    dask_fit = _messages(
        lambda: DaskHVRTPartitioner(max_leaf_nodes=6, **options).fit(
            dd.from_pandas(X, npartitions=4)
        )
    )
    return memory, dask_fit


def test_a_numeric_column_with_a_few_blanks_warns_once_as_in_memory() -> None:
    rng = np.random.default_rng(2)
    X = pd.DataFrame(
        {"a": rng.normal(size=800), "b": rng.normal(size=800).round(1).astype(object)}
    )
    X.loc[400:403, "b"] = ""
    memory, dask_fit = _warnings_of_both(X, category_encoding="ohe")
    stray = [m for m in memory if "holds numbers but for 4 of its 800 values" in m]
    assert len(stray) == 1
    assert [m for m in dask_fit if "holds numbers but for" in m] == stray


def test_python_dates_warn_as_in_memory() -> None:
    rng = np.random.default_rng(2)
    days = [
        datetime.date(2020, 1, 1) + datetime.timedelta(days=int(i))
        for i in rng.integers(0, 30, 800)
    ]
    X = pd.DataFrame({"a": rng.normal(size=800), "d": pd.Series(days, dtype=object)})
    memory, dask_fit = _warnings_of_both(X)
    dates = [m for m in memory if "hold Python dates" in m]
    assert len(dates) == 1
    assert [m for m in dask_fit if "hold Python dates" in m] == dates


def test_a_wide_one_hot_warns_with_advice_for_dask() -> None:
    rng = np.random.default_rng(2)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=2000),
            "k": pd.Series(
                [f"id{i}" for i in rng.integers(0, 300, 2000)], dtype=object
            ),
        }
    )
    memory, dask_fit = _warnings_of_both(X)
    assert any("one-hot encodes the categorical columns into" in m for m in memory)
    wide = [m for m in dask_fit if "one-hot encodes the categorical columns into" in m]
    assert (
        len(wide) == 1
        and "hvrt.dask has no native splits" in wide[0]
        and "'k'" in wide[0]
    )
    assert not any(
        "one-hot encodes" in m for m in _warnings_of_both(X, category_encoding="ohe")[1]
    )


@pytest.mark.parametrize(
    "options",
    [{"category_encoding": "ohe"}, {"category_encoding": "target", "max_samples": 300}],
)
def test_floats_beyond_2_53_are_warned_of_once_at_fit(options) -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=800),
            "s": np.array([2**53, 2**53 + 1], dtype=object)[rng.integers(0, 2, 800)],
        }
    )
    X.loc[::5, "s"] = float(2**53)
    y = X["a"]
    messages = _messages(
        lambda: DaskHVRTPartitioner(
            max_leaf_nodes=6, categorical_features=["s"], **options
        ).fit(dd.from_pandas(X, npartitions=4), dd.from_pandas(y, npartitions=4))
    )
    rounded = [m for m in messages if "beyond 2**53" in m]
    assert len(rounded) == 1 and "(9007199254740992.0)" in rounded[0]


@pytest.mark.parametrize("route", ["sample", "hist"])
def test_integers_beyond_2_53_are_warned_of_once_by_a_fit_and_once_by_a_labelling(route) -> None:
    # X27 came from the client's rows and again from every chunk of the fit's passes, and
    # once per chunk when labelling, each chunk's text its own (8 chunks: 17 warnings)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=1600), "id": (2**60 + rng.integers(0, 10**6, 1600)).astype(np.int64)})
    box = {}

    def fit():
        box["model"] = DaskHVRTPartitioner(max_leaf_nodes=8, random_state=0).fit(
            dd.from_pandas(X, npartitions=8), route=route
        )

    for step in (fit, lambda: box["model"].get_partitions(dd.from_pandas(X, npartitions=8)).compute()) * 2:
        assert len([m for m in _messages(step) if "beyond 2**53" in m]) == 1  # a second labelling warns again


def test_integers_beyond_2_53_are_warned_of_once_by_a_regressor_fit() -> None:
    from hvrt.dask import DaskPartitionedRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=1600), "id": (2**60 + rng.integers(0, 10**6, 1600)).astype(np.int64)})
    y = pd.Series(X["a"] + rng.normal(size=1600))
    model = DaskPartitionedRegressor()
    messages = _messages(lambda: model.fit(dd.from_pandas(X, npartitions=8), dd.from_pandas(y, npartitions=8)))
    assert len([m for m in messages if "beyond 2**53" in m]) == 1  # as in memory (was 58)
    predicting = _messages(lambda: model.predict(dd.from_pandas(X, npartitions=8)).compute())
    assert len([m for m in predicting if "beyond 2**53" in m]) == 1


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_labelling_warnings_are_given_once_per_labelling_as_in_memory(scheduler) -> None:
    # each chunk gave its own copy of the in-memory labelling's warnings (8 chunks: 8)
    from hvrt import full_report
    from hvrt.dask import DaskPartitionedRegressor, partition_quality
    from hvrt.dask import full_report as dask_full_report

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=800), "b": rng.normal(size=800)})
    floats = pd.DataFrame({"a": X["a"], "c": rng.choice([1.0, 2.0, 3.0], 800)})
    beyond = floats.assign(c=float(2**60))
    ids = X.assign(id=(2**60 + rng.integers(0, 10**6, 800)).astype(np.int64))
    labels = pd.Series(rng.integers(0, 3, 800))
    named = DaskHVRTPartitioner(max_leaf_nodes=6, random_state=0).fit(dd.from_pandas(X, npartitions=4))
    unnamed = DaskHVRTPartitioner(max_leaf_nodes=6, random_state=0).fit(da.from_array(X.to_numpy(), chunks=200))
    local = HVRTPartitioner(max_leaf_nodes=6, random_state=0)
    coded = DaskHVRTPartitioner(max_leaf_nodes=6, random_state=0, categorical_features=["c"])
    coded.fit(dd.from_pandas(floats, npartitions=4))
    regressor = DaskPartitionedRegressor().fit(dd.from_pandas(X, npartitions=4), dd.from_pandas(X["a"], npartitions=4))
    array = da.from_array(X.to_numpy(), chunks=100)
    cases = [
        (lambda: named.get_partitions(array), lambda: local.fit(X).get_partitions(X.to_numpy())),
        (lambda: named.apply(array), lambda: local.fit(X).apply(X.to_numpy())),
        (lambda: unnamed.get_partitions(dd.from_pandas(X, npartitions=8)), lambda: local.fit(X.to_numpy()).get_partitions(X)),
        (lambda: coded.get_partitions(dd.from_pandas(beyond, npartitions=8)), None),
        (lambda: regressor.predict(array), None),
        (
            lambda: dask_full_report(dd.from_pandas(ids, npartitions=8), dd.from_pandas(labels, npartitions=8)),
            lambda: full_report(ids, labels),
        ),
        (lambda: partition_quality(dd.from_pandas(ids, npartitions=8), dd.from_pandas(labels, npartitions=8)), None),
    ]
    with dask.config.set(scheduler=scheduler):
        for lazy, in_memory in cases:
            computed = _messages(lambda lazy=lazy: dask.compute(lazy()))
            assert computed and len(computed) == len(set(computed)), computed  # each text once
            if in_memory is not None:
                assert len(computed) == len(_messages(in_memory))


def test_complex_y_and_y_without_columns_are_refused() -> None:
    from hvrt.dask import DaskPartitionedRegressor

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    dX = dd.from_pandas(X, npartitions=3)
    complex_y = da.from_array(X.a.to_numpy() + 1j * X.b.to_numpy(), chunks=100)
    with pytest.raises(
        ValueError, match="Complex data not supported: column 'target' of y"
    ) as raised:
        HVRTPartitioner(max_leaf_nodes=4).fit(X, X.a.to_numpy() + 1j * X.b.to_numpy())
    with pytest.raises(ValueError, match=str(raised.value)):
        DaskHVRTPartitioner(max_leaf_nodes=4).fit(dX, complex_y)
    with pytest.raises(ValueError, match="Complex data not supported: column 'y' of y"):
        DaskPartitionedRegressor(shrinkage=5.0).fit(
            dX, dd.from_pandas(pd.Series(X.a + 1j, name="y"), npartitions=3)
        )
    with pytest.raises(ValueError, match="Complex data not supported"):
        DaskPartitionedRegressor(shrinkage=5.0).fit(dX, dX.a, sample_weight=complex_y)
    with pytest.raises(ValueError, match="y has no columns; pass y=None"):
        DaskHVRTPartitioner(max_leaf_nodes=4).fit(
            dX, dd.from_pandas(pd.DataFrame(index=X.index), npartitions=3)
        )


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_regressor_y_errors_are_the_in_memory_ones(bad) -> None:
    from hvrt import PartitionedRegressor
    from hvrt.dask import DaskPartitionedRegressor

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = pd.Series(X.a * 2 + rng.normal(size=300), name="y")
    y.iloc[[250, 260]] = bad
    with pytest.raises(ValueError) as memory:
        PartitionedRegressor(HVRTPartitioner(max_leaf_nodes=4), shrinkage=5.0).fit(X, y)
    with pytest.raises(ValueError) as dask_fit:
        DaskPartitionedRegressor(HVRTPartitioner(max_leaf_nodes=4), shrinkage=5.0).fit(
            dd.from_pandas(X, npartitions=3), dd.from_pandas(y, npartitions=3)
        )
    assert str(dask_fit.value) == str(memory.value)
    assert "first at row 250" in str(memory.value)
    text = dd.from_pandas(y.astype(str).astype(object), npartitions=3)
    with pytest.raises(
        ValueError,
        match=r"y must be numeric, got dtype object; convert numbers written as text with dd.to_numeric\(y\)",
    ):
        DaskPartitionedRegressor(shrinkage=5.0).fit(
            dd.from_pandas(X, npartitions=3), text
        )


def test_a_rounding_level_covariance_is_a_tie_whatever_the_chunks() -> None:
    # y = z(a) - z(b) is uncorrelated with the sum target's z(a) + z(b) in exact arithmetic:
    # the sign of its rounding residue (about -2e-17 in memory) must not orient y, or the
    # chunks' merged co-moments (another residue) would flip it for some chunkings
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=1200), rng.normal(size=1200)
    X = pd.DataFrame({"a": u + v, "b": u - v})
    X = (X - X.mean()) / X.std(ddof=0)
    y = pd.Series(X.a - X.b, name="y")
    labels = HVRTPartitioner(max_leaf_nodes=8).fit(X, y).labels_
    for chunks in (2, 3, 5):
        dX, dy = (
            dd.from_pandas(X, npartitions=chunks),
            dd.from_pandas(y, npartitions=chunks),
        )
        model = DaskHVRTPartitioner(max_leaf_nodes=8).fit(dX, dy)
        np.testing.assert_array_equal(
            model.get_partitions(dX).compute().to_numpy(), labels
        )


def _drifting_frame() -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    rng = np.random.default_rng(2)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=800),
            "b": rng.normal(size=800),
            "f": rng.random(800) < 0.5,
        }
    )
    return X, [X.iloc[i * 200 : (i + 1) * 200].copy() for i in range(4)]


def test_a_chunk_holding_text_where_meta_says_numbers_is_refused_naming_the_column() -> (
    None
):
    X, parts = _drifting_frame()
    parts[2]["b"] = parts[2]["b"].astype(object)
    parts[2].loc[parts[2].index[:3], "b"] = "n/a"
    with pytest.raises(
        ValueError,
        match=r"X column\(s\) \['b'\] hold numbers by the dask metadata \(float64\) but a chunk holds values that are not \(could not convert string to float: 'n/a'\)",
    ):
        DaskHVRTPartitioner(max_leaf_nodes=6).fit(_from_parts(parts, X.iloc[:0]))


def test_a_chunk_whose_dtype_drifts_from_meta_is_refused() -> None:
    X, parts = _drifting_frame()
    parts[1]["f"] = parts[1]["f"].astype(
        int
    )  # pd.concat(parts) would be int64: numeric in memory
    with pytest.raises(
        ValueError,
        match=r"X column\(s\) \['f'\] hold bools by the dask metadata \(bool\) but a chunk holds numbers there",
    ):
        DaskHVRTPartitioner(max_leaf_nodes=6).fit(_from_parts(parts, X.iloc[:0]))
    # drift within one kind stays accepted: float32 numbers, an object chunk of numbers
    parts = _drifting_frame()[1]
    parts[1]["a"] = parts[1]["a"].astype(np.float32)
    parts[3]["b"] = parts[3]["b"].astype(object)
    model = DaskHVRTPartitioner(max_leaf_nodes=6).fit(_from_parts(parts, X.iloc[:0]))
    assert model._preprocessor.numeric_columns == ["a", "b"]


@pytest.mark.parametrize(
    "first_zoned", [600, 550]
)  # each chunk pure, or one chunk holding both
def test_naive_and_zoned_times_are_counted_over_the_column(first_zoned) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=800), "b": rng.normal(size=800)})
    times = [
        pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(i))
        for i in rng.integers(0, 50, 800)
    ]
    X["s"] = pd.Series(
        [t.tz_localize("UTC") if i >= first_zoned else t for i, t in enumerate(times)],
        dtype=object,
    )
    with pytest.raises(ValueError) as memory:
        HVRTPartitioner(max_leaf_nodes=6).fit(X)
    assert f"and {first_zoned:,} without one" in str(memory.value)
    with pytest.raises(ValueError) as dask_fit:
        DaskHVRTPartitioner(max_leaf_nodes=6, max_samples=100).fit(
            dd.from_pandas(X, npartitions=4)
        )
    assert str(dask_fit.value) == str(memory.value)


def test_labelling_errors_and_warnings_name_the_dask_class() -> None:
    from hvrt.dask import DaskPartitionedRegressor

    rng = np.random.default_rng(2)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=400),
            "b": rng.normal(size=400),
            "i": rng.integers(0, 3, 400),
        }
    )
    dX = dd.from_pandas(X, npartitions=2)
    model = DaskHVRTPartitioner(max_leaf_nodes=4).fit(dX)
    with pytest.raises(
        ValueError,
        match=r"seen at fit time: \['i'\]; DaskHVRTPartitioner was fitted on",
    ):
        model.get_partitions(dX[["a", "b"]]).compute()
    array_model = DaskHVRTPartitioner(max_leaf_nodes=4).fit(
        da.from_array(X.to_numpy(), chunks=(200, 3))
    )
    messages = _messages(lambda: array_model.get_partitions(dX).compute())
    assert messages and all(
        "but DaskHVRTPartitioner was fitted without feature names" in m
        for m in messages
    )
    regressor = DaskPartitionedRegressor(
        HVRTPartitioner(max_leaf_nodes=4), shrinkage=5.0
    ).fit(dX, dX.a * 2)
    with pytest.raises(ValueError, match=r"DaskPartitionedRegressor was fitted on"):
        regressor.predict(dX[["a", "b"]]).compute()
    # to_local() still gives the in-memory classes themselves
    assert type(model.to_local()) is HVRTPartitioner


@pytest.mark.parametrize("options", [{}, {"target": "features", "impute": False}])
def test_target_encoding_with_empty_chunks(options) -> None:
    X, Y = _target_encoded_table(1600)
    keep = np.arange(1600) < 400
    kw = {
        "max_leaf_nodes": 6,
        "category_encoding": "target",
        "max_samples": 200,
        **options,
    }
    dX, dy = dd.from_pandas(X, npartitions=4), dd.from_pandas(Y, npartitions=4)
    kept = dX.a.map_partitions(
        lambda s: pd.Series(s.index < 400, index=s.index), meta=("a", bool)
    )
    model = DaskHVRTPartitioner(**kw).fit(dX[kept], dy[kept])  # three empty chunks
    memory = HVRTPartitioner(**kw).fit(X[keep], Y[keep])
    np.testing.assert_array_equal(
        model.get_partitions(dX[kept]).compute().to_numpy(),
        memory.get_partitions(X[keep]),
    )


# --------------------------------------------------------------------------- valid18's warnings (Y10, X29, Y11)


def _rounding_texts(messages: list[str]) -> list[str]:
    return [m for m in messages if "beyond 2**53" in m or "units in the last place" in m]


@pytest.mark.parametrize("route", ["sample", "hist"])
@pytest.mark.parametrize("dtype", ["int64", "uint64", "Int64"])
def test_a_y_that_float64_rounds_is_warned_of_once_per_fit_as_in_memory(route, dtype) -> None:
    # the dask y path read an integer y beyond 2**53 as float64 without a word (Y10)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=1600), "b": rng.normal(size=1600)})
    y = pd.Series(2**60 + rng.integers(0, 10**6, 1600), name="target").astype(dtype)
    memory = _messages(lambda: HVRTPartitioner(max_leaf_nodes=8).fit(X, y))
    fitted = _messages(
        lambda: DaskHVRTPartitioner(max_leaf_nodes=8).fit(
            dd.from_pandas(X, npartitions=4), dd.from_pandas(y, npartitions=4), route=route
        )
    )
    # counted over every chunk: the values merged across chunks too (306, not those within each)
    assert _rounding_texts(fitted) == _rounding_texts(memory)
    assert len(_rounding_texts(fitted)) == 1 and "306 distinct value(s) merged" in fitted[0]


def test_a_regressor_warns_of_a_y_that_float64_rounds_once_as_in_memory() -> None:
    from hvrt import PartitionedRegressor
    from hvrt.dask import DaskPartitionedRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=1600), "b": rng.normal(size=1600)})
    y = pd.Series((2**60 + rng.integers(0, 10**6, 1600)).astype(np.int64), name="target")
    memory = _messages(lambda: PartitionedRegressor(partition_on="y").fit(X, y))
    fitted = _messages(
        lambda: DaskPartitionedRegressor(partition_on="y").fit(
            dd.from_pandas(X, npartitions=4), dd.from_pandas(y, npartitions=4)
        )
    )
    assert len(_rounding_texts(fitted)) == 1  # its partitioner's fit on y is quiet, as in memory
    assert _rounding_texts(fitted) == _rounding_texts(memory)


def test_a_y_within_2_53_or_of_floats_is_not_warned_of() -> None:
    rng = np.random.default_rng(0)
    X = da.from_array(rng.normal(size=(800, 2)), chunks=200)
    for y in (rng.integers(-(2**53), 2**53, 800), np.full(800, 2.0**60) + rng.normal(size=800) * 2**20):
        fitted = _messages(lambda: DaskHVRTPartitioner(max_leaf_nodes=6).fit(X, da.from_array(y, chunks=200)))
        assert not _rounding_texts(fitted)


@pytest.mark.parametrize("route", ["sample", "hist"])
def test_a_column_varying_within_the_rounding_band_is_warned_of_as_in_memory(route) -> None:
    # the dask z-scoring read 1e12 + 1e-3 * signal as constant without a word (X29)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=1600),
            "c": 1e12 + 1e-3 * rng.normal(size=1600),
            "rounding": np.where(rng.random(1600) < 0.5, 0.3, 0.1 * 3),  # a constant's rounding: quiet
            "price": 1e6 + np.round(rng.uniform(0, 100, 1600), 2),  # ordinary: quiet
        }
    )
    memory = _messages(lambda: HVRTPartitioner(max_leaf_nodes=8).fit(X))
    fitted = _messages(lambda: DaskHVRTPartitioner(max_leaf_nodes=8).fit(dd.from_pandas(X, npartitions=4), route=route))
    assert _rounding_texts(fitted) == _rounding_texts(memory)
    assert len(fitted) == 1 and fitted[0].startswith("X column(s) ['c'] vary only within 16 units")


def _spread_masked(text: str) -> tuple[str, float]:
    import re

    found = re.search(r"a spread of (\S+) around", text)
    return text.replace(found.group(1), "..."), float(found.group(1))


def test_a_y_varying_within_the_rounding_band_is_warned_of_as_in_memory() -> None:
    # Y11; the spread written in memory is numpy's std, which the mean's rounding (an ulp of
    # 1e12) moves in its third digit: the dask one is free of it
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=1600), "b": rng.normal(size=1600)})
    y = pd.Series(1e12 + 1e-3 * rng.normal(size=1600), name="yy")
    memory = _rounding_texts(_messages(lambda: HVRTPartitioner(max_leaf_nodes=8).fit(X, y)))
    fitted = _rounding_texts(
        _messages(
            lambda: DaskHVRTPartitioner(max_leaf_nodes=8).fit(
                dd.from_pandas(X, npartitions=4), dd.from_pandas(y, npartitions=4)
            )
        )
    )
    assert len(fitted) == len(memory) == 1 and fitted[0].startswith("y column(s) ['yy'] vary only within 16 units")
    (text, spread), (memory_text, memory_spread) = _spread_masked(fitted[0]), _spread_masked(memory[0])
    assert text == memory_text and spread == pytest.approx(memory_spread, rel=0.03)
    # not blended in (y_weight=0): no warning, as in memory
    quiet = _messages(
        lambda: DaskHVRTPartitioner(max_leaf_nodes=8, y_weight=0.0).fit(
            dd.from_pandas(X, npartitions=4), dd.from_pandas(y, npartitions=4)
        )
    )
    assert not _rounding_texts(quiet)


def test_ordinary_columns_and_computed_constants_are_not_warned_of() -> None:
    # prices near 1e6 with cents vary; a row sum of probabilities is a constant whose
    # rounding spans a few units in the last place: neither is X29, on Dask as in memory
    rng = np.random.default_rng(0)
    shares = rng.dirichlet(np.ones(50), size=2000)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=2000),
            "price": 1e6 + np.round(rng.uniform(0, 100, 2000), 2),
            "total": shares.sum(axis=1),
        }
    )
    y = pd.Series(rng.normal(size=2000) * 1e3 + 1e6, name="target")
    assert X["total"].max() > X["total"].min()  # (rounding: not one value)
    fitted = _messages(
        lambda: DaskHVRTPartitioner(max_leaf_nodes=6).fit(
            dd.from_pandas(X, npartitions=4), dd.from_pandas(y, npartitions=4)
        )
    )
    memory = _messages(lambda: HVRTPartitioner(max_leaf_nodes=6).fit(X, y))
    assert not _rounding_texts(fitted) and not _rounding_texts(memory)


def test_a_rounded_y_of_several_columns_with_missing_values_is_warned_of_as_in_memory(monkeypatch) -> None:
    from hvrt.dask import _reductions

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=1200), "b": rng.normal(size=1200)})
    y = pd.DataFrame(
        {
            "small": rng.normal(size=1200),
            "id": pd.array(2**60 + rng.integers(0, 10**5, 1200), dtype="Int64"),
            "ns": (2**62 + rng.integers(0, 10**6, 1200)).astype(np.uint64),
        }
    )
    y.loc[::7, "id"] = pd.NA
    memory = _rounding_texts(_messages(lambda: HVRTPartitioner(max_leaf_nodes=8).fit(X, y)))

    def fitted() -> list[str]:
        return _rounding_texts(
            _messages(
                lambda: DaskHVRTPartitioner(max_leaf_nodes=8).fit(
                    dd.from_pandas(X, npartitions=3), dd.from_pandas(y, npartitions=3)
                )
            )
        )

    assert fitted() == memory and len(memory) == 1 and "['id', 'ns']" in memory[0]
    # a chunk with more distinct values beyond 2**53 than it sends: merges counted within chunks
    monkeypatch.setattr(_reductions, "ROUNDED_Y_DISTINCT", 10)
    (text,) = fitted()
    assert text.split("merged")[0] != memory[0].split("merged")[0] and "read rounded (first" in text


def test_an_object_column_of_ints_beyond_64_bits_is_numbers_as_in_memory() -> None:
    # in memory such a column is numeric (read rounded, X27); Dask's chunks called it text,
    # a categorical, and grew other partitions (REVIEW18 F7; with convert-string off, or
    # chunks built otherwise, the objects reach hvrt as they are)
    rng = np.random.default_rng(0)
    n = 2000
    big = [2**70 + int(v) * 2**30 for v in rng.integers(0, 10**6, n)]
    X = pd.DataFrame({"a": rng.normal(size=n), "big": pd.Series(big, dtype=object)})
    memory = HVRTPartitioner(max_leaf_nodes=16, random_state=0)
    memory_texts = _messages(lambda: memory.fit(X))
    with dask.config.set({"dataframe.convert-string": False}):
        dX = dd.from_pandas(X, npartitions=4)
    model = DaskHVRTPartitioner(max_leaf_nodes=16, random_state=0)
    texts = _messages(lambda: model.fit(dX))
    assert model._preprocessor.numeric_columns == memory._preprocessor.numeric_columns == ["a", "big"]
    assert np.array_equal(np.asarray(model.get_partitions(dX).compute()), memory.get_partitions(X))
    # (multiples of 2**30 near 2**70: float64 holds them, so no X27 on either side)
    assert [t for t in texts if "2**53" in t] == [t for t in memory_texts if "2**53" in t] == []
