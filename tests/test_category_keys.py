"""How categorical values become categories (``_preprocessing._number_key``): numbers by
their value, ints exactly (64-bit IDs beyond 2**53), and rules that select what is labelled
for such IDs and for infinite categories (REDTEAM16C findings 1, 3, 4, 5, 7)."""

from __future__ import annotations

import math
import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import hvrt
from hvrt import HVRTPartitioner
from hvrt._preprocessing import _number_key

BASE = 2**60  # float64 values are 256 apart here


def _id_frame(ids: np.ndarray, n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A numeric column and an ID column whose IDs move y apart (each its own effect)."""
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(ids), n)
    x = rng.normal(size=n)
    effects = np.resize([6.0, -6.0, 3.0, -3.0], len(ids))
    return pd.DataFrame({"x": x, "id": ids[which]}), x + effects[which]


def _assert_rules_select_labels(model: HVRTPartitioner, X: pd.DataFrame) -> None:
    labels = model.get_partitions(X)
    for part, rule in model.partition_rules()["rule"].items():
        selected = np.zeros(len(X), dtype=bool)
        selected[X.reset_index(drop=True).query(rule, engine="python").index] = True
        assert (selected == (labels == part)).all(), (part, rule)


ENCODINGS = [("hist", "native"), ("hist", "ohe"), ("hist", "target"), ("exact", "ohe")]


@pytest.mark.parametrize(("engine", "encoding"), ENCODINGS)
def test_an_unseen_64_bit_id_is_labelled_as_unseen_not_as_the_seen_id_a_float_would_round_it_to(
    engine: str, encoding: str
) -> None:
    seen = np.array([BASE, BASE + 1024, BASE + 2048, BASE + 4096], dtype=np.int64)
    X, y = _id_frame(seen)
    model = HVRTPartitioner(
        max_leaf_nodes=8, engine=engine, category_encoding=encoding, categorical_features=["id"], y_weight=1.0
    ).fit(X, y)
    rows = X.iloc[:300].reset_index(drop=True)

    def labelled_with(value: int) -> np.ndarray:
        return model.get_partitions(rows.assign(id=np.full(len(rows), value, dtype=np.int64)))

    near = labelled_with(BASE + 1025)  # unseen, but float(BASE + 1025) == float(BASE + 1024)
    assert (near == labelled_with(BASE + 999_999)).all()  # as any unseen ID
    assert not (near == labelled_with(BASE + 1024)).all()
    _assert_rules_select_labels(model, rows.assign(id=np.full(len(rows), BASE + 1025, dtype=np.int64)))
    _assert_rules_select_labels(model, X)


@pytest.mark.parametrize(
    "ids",
    [
        pd.Series(np.array([BASE, BASE + 1, BASE + 2, BASE + 3], dtype=np.int64)),
        pd.Series(np.array([2**63 + 1, 2**63 + 2, 2**63 + 3, 2**63 + 4], dtype=np.uint64)),
        pd.Series([2**70 + 1, 2**70 + 2, 2**70 + 3, 2**70 + 4], dtype=object),  # Python ints
        pd.Series([BASE + 1, BASE + 2, BASE + 3, BASE + 4], dtype=object),  # read as int64
        pd.Series([BASE + 1, BASE + 2, BASE + 3, None], dtype="Int64"),
    ],
    ids=["int64", "uint64", "python-ints", "object-int64", "Int64"],
)
def test_64_bit_ids_one_apart_are_distinct_categories_with_exact_rules(ids: pd.Series) -> None:
    # (these were refused as a column "holding both ... make the column one type", or merged)
    X, y = _id_frame(ids.to_numpy(dtype=object))
    X["id"] = X["id"].astype(ids.dtype)
    for engine, encoding in [("hist", "native"), ("exact", "ohe")]:
        model = HVRTPartitioner(
            max_leaf_nodes=8, engine=engine, category_encoding=encoding, categorical_features=["id"], y_weight=1.0
        ).fit(X, y)
        present = X["id"].dropna()
        # the IDs are told apart (merged into one category, every partition would hold all four)
        assert (
            pd.crosstab(model.labels_[X["id"].notna().to_numpy()], present.to_numpy()).astype(bool).sum(axis=1).max()
            <= 2
        )
        _assert_rules_select_labels(model, X)


def test_a_float_equal_to_an_int_id_is_that_id_and_a_rounded_one_is_warned_of() -> None:
    # A float is the int it equals (2.0**60 is 2**60), as 1.0 is 1; float64 cannot hold every
    # int beyond 2**53, so whole floats that large are warned of, naming the column.
    seen = np.array([BASE, BASE + 1024, BASE + 2048, BASE + 4096], dtype=np.int64)
    X, y = _id_frame(seen)
    model = HVRTPartitioner(max_leaf_nodes=8, engine="hist", categorical_features=["id"], y_weight=1.0).fit(X, y)
    with pytest.warns(UserWarning, match=r"categorical column 'id' holds whole numbers as floats beyond 2\*\*53"):
        as_floats = model.get_partitions(X.assign(id=X["id"].astype(np.float64)))
    assert (as_floats == model.labels_).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ints that large are exact: no warning
        model.get_partitions(X)
        HVRTPartitioner(max_leaf_nodes=4, categorical_features=["id"]).fit(X.assign(id=X["id"] % 7 + 0.5))


def test_number_keys_are_those_of_earlier_models_for_every_value_a_float_holds() -> None:
    # saved models keep their keys: the old key was float()'s, which is exact for these
    def old(value: object) -> str:
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 2**63 else repr(number)

    values = [0, -0.0, 1, 1.0, True, np.int8(-3), np.uint8(7), 2**53, float(BASE), np.int64(BASE + 1024),
              np.uint64(2**63), -(2**63), np.uint64(2**64 - 2048), float(2**64), 1e20, 0.1, np.float32(0.1),
              -2.5, math.inf, -math.inf, Decimal("0.1"), Decimal("2.50")]  # fmt: skip
    assert [_number_key(v) for v in values] == [old(v) for v in values]
    # and distinct ints are distinct keys at any size, equal numbers one key
    assert len({_number_key(BASE + i) for i in range(4)}) == 4
    assert len({_number_key(2**64 + i) for i in range(4)}) == 4
    assert _number_key(10**400) == str(10**400)
    assert _number_key(2**70) == _number_key(float(2**70)) and _number_key(BASE) == _number_key(float(BASE))


@pytest.mark.parametrize(("engine", "encoding"), [("hist", "native"), ("exact", "ohe")])
@pytest.mark.parametrize("impute", [True, False])
def test_infinite_categories_get_rules_pandas_evaluates(engine: str, encoding: str, impute: bool) -> None:
    # (the rule was "k not in [inf]", which pandas' query fails on)
    rng = np.random.default_rng(14)
    n = 3000
    x = rng.normal(size=n)
    k = rng.choice([np.inf, -np.inf, 1.0, 2.0, np.nan], n)
    y = x + np.select([k == np.inf, k == -np.inf, k == 1.0], [3.0, -3.0, 6.0], 0.0)
    X = pd.DataFrame({"x": x, "k": k})
    model = HVRTPartitioner(
        max_leaf_nodes=12, engine=engine, category_encoding=encoding, categorical_features=["k"], y_weight=1.0,
        impute=impute,
    ).fit(X, y)  # fmt: skip
    rules = " ".join(model.partition_rules()["rule"])
    assert "1e999" in rules and "inf" not in rules
    _assert_rules_select_labels(model, X)
    _assert_rules_select_labels(model, X.assign(k=rng.choice([np.inf, -np.inf, 5.0], n)))  # 5.0 unseen


def test_complex_values_in_a_listed_categorical_are_refused_naming_the_column() -> None:
    n = 60
    x = np.random.default_rng(0).normal(size=n)
    for k in (pd.Series([1 + 1j, 2 + 0j] * (n // 2), dtype=object), np.ones(n, dtype=complex)):
        with pytest.raises(ValueError, match=r"^Complex data not supported: categorical column 'k' holds"):
            HVRTPartitioner(max_leaf_nodes=4, categorical_features=["k"]).fit(pd.DataFrame({"x": x, "k": k}))
    model = HVRTPartitioner(max_leaf_nodes=4, categorical_features=["k"]).fit(
        pd.DataFrame({"x": x, "k": [1, 2] * (n // 2)})
    )
    with pytest.raises(ValueError, match=r"^Complex data not supported: categorical column 'k' holds"):
        model.get_partitions(pd.DataFrame({"x": x, "k": pd.Series([1, 2 + 1j] * (n // 2), dtype=object)}))


def test_numbers_one_apart_beyond_float_precision_are_refused_saying_why() -> None:
    # a column of text and Decimals keeps the Decimals as they are; they are matched by their
    # float64 value, so two that differ beyond it would be one category
    code = pd.Series(["x", Decimal("0.1"), Decimal("0.1000000000000000001")] * 20, dtype=object)
    X = pd.DataFrame({"a": np.random.default_rng(0).normal(size=60), "code": code})
    with pytest.raises(ValueError, match="numbers that are not ints are matched by their float64 value"):
        HVRTPartitioner(max_leaf_nodes=4, categorical_features=["code"]).fit(X)


def test_dask_partitioners_keep_category_encoding_and_old_files_get_it() -> None:
    dd = pytest.importorskip("dask.dataframe")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=2000), "c": pd.Categorical(rng.choice(list("abc"), 2000))})
    from hvrt.dask import DaskHVRTPartitioner

    for encoding, expected in [("auto", "ohe"), ("target", "target")]:
        model = DaskHVRTPartitioner(max_leaf_nodes=8, engine="hist", category_encoding=encoding)
        model.fit(dd.from_pandas(X, npartitions=2))
        assert model.category_encoding_ == expected
        assert model.to_local().category_encoding_ == expected


def test_a_model_file_without_category_encoding_gets_it_on_load(tmp_path) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(list("abc"), 500)})
    for engine, expected in [("hist", "native"), ("exact", "ohe")]:
        model = HVRTPartitioner(max_leaf_nodes=8, engine=engine).fit(X)
        del model.category_encoding_  # as written by hvrt.dask's to_local() before it kept one
        hvrt.save(model, tmp_path / "m.hvrt")
        loaded = hvrt.load(tmp_path / "m.hvrt")
        assert loaded.category_encoding_ == expected
        assert (loaded.get_partitions(X) == model.labels_).all()


def test_dask_labels_64_bit_ids_as_in_memory() -> None:
    dd = pytest.importorskip("dask.dataframe")
    from hvrt.dask import DaskHVRTPartitioner

    seen = np.array([BASE, BASE + 1, BASE + 2, BASE + 3], dtype=np.int64)
    X, y = _id_frame(seen)
    model = DaskHVRTPartitioner(max_leaf_nodes=8, categorical_features=["id"], y_weight=1.0)
    model.fit(dd.from_pandas(X, npartitions=3), dd.from_pandas(pd.Series(y, index=X.index), npartitions=3))
    labels = model.get_partitions(dd.from_pandas(X, npartitions=3)).compute().to_numpy()
    assert (labels == model.to_local().get_partitions(X)).all()
    assert pd.crosstab(labels, X["id"]).astype(bool).sum(axis=1).max() <= 2
    _assert_rules_select_labels(model.to_local(), X)


def test_dask_rules_write_number_and_bool_categories_as_values() -> None:
    # (a dask fit kept no category values, so its rules wrote the keys: id in ['3'], which
    # selects nothing on a column of ints)
    dd = pytest.importorskip("dask.dataframe")
    from hvrt.dask import DaskHVRTPartitioner

    rng = np.random.default_rng(0)
    n = 2000
    which = rng.integers(0, 4, n)
    x = rng.normal(size=n)
    X = pd.DataFrame({"x": x, "id": np.array([1, 2, 3, 4])[which], "flag": which % 2 == 0})
    y = x + np.array([6.0, -6.0, 3.0, -3.0])[which]
    model = DaskHVRTPartitioner(max_leaf_nodes=8, categorical_features=["id", "flag"], y_weight=1.0)
    model.fit(dd.from_pandas(X, npartitions=3), dd.from_pandas(pd.Series(y, index=X.index), npartitions=3))
    rules = " ".join(model.partition_rules()["rule"])
    assert "id in [" in rules and "'" not in rules
    _assert_rules_select_labels(model.to_local(), X)


@pytest.mark.parametrize(
    "values",
    [
        np.array([0, 1, -1, 2**53 + 1, BASE + 1, 2**63 - 1, -(2**63)], dtype=np.int64),
        np.array([0, 7, 2**63, 2**63 + 1, 2**64 - 1], dtype=np.uint64),
        np.array([1, 200], dtype=np.uint8),
        np.array([True, False]),
        np.array(
            [0.0, -0.0, 1.0, -2.5, 0.1, 1e-310, 2.0**53, float(BASE + 1024), 2.0**63, 1e20, 1e300, np.inf, -np.inf]
        ),
        np.array([0.1, 1.5, 3.0, 1e30], dtype=np.float32),
        pd.array([1, 2, BASE + 1], dtype="Int64"),
        pd.array([0.5, 2.0], dtype="Float64"),
    ],
    ids=["int64", "uint64", "uint8", "bool", "float64", "float32", "Int64", "Float64"],
)
def test_a_numeric_column_is_keyed_at_once_as_value_by_value(values) -> None:
    from hvrt._preprocessing import _column_codes

    column = pd.Series(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the warning of whole floats beyond 2**53)
        codes, keys = _column_codes(column, "c")
        _, by_value = _column_codes(column.astype(object), "c")  # the loop over Python objects
    assert list(keys[codes]) == list(by_value[codes]) == [_number_key(v) for v in column.tolist()]
    assert all(type(key) is str for key in keys[:-1])
