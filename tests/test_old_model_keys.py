"""Models fitted before ints were keyed by their digits label as they did when saved.

hvrt up to commit fe13466 keyed an int category through float64 (``2**60 + 1`` was
``"1152921504606846976"``); today ``2**60 + 1`` is ``"1152921504606846977"``. The model files
in ``tests/data/fe13466_int_keys`` were written by that hvrt (``make.py`` there says how),
with the labels each gave its rows at save time; loading them re-keys their categories
(``Preprocessor.__setstate__``), as unpickling a model of that time does.
"""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hvrt
from hvrt import HVRTPartitioner, ModelVersionWarning, PartitionedRegressor

DATA = Path(__file__).parent / "data" / "fe13466_int_keys"
SAVED = json.loads((DATA / "data.json").read_text(encoding="utf-8"))
CATEGORICAL = ["id", "u", "obj"]
TWIN = str(2**60 + 7)  # "twin.hvrt": a text category of the int 2**60 + 7's digits


def _rows() -> pd.DataFrame:
    """The rows the fixture models were fitted on (their dtypes as at fit)."""
    columns = SAVED["X"]
    return pd.DataFrame(
        {
            "a": np.asarray(columns["a"], dtype=np.float64),
            "id": pd.array(columns["id"], dtype="Int64"),
            "u": np.asarray(columns["u"], dtype=np.uint64),
            "obj": pd.Series(columns["obj"], dtype=object),
        }
    )


def _twin_rows() -> pd.DataFrame:
    X = _rows()
    return X.assign(
        obj=pd.Series([TWIN if v == "x" else v for v in X["obj"]], dtype=object)
    )


def _load(name: str) -> object:
    """A fixture model, loaded with every warning an error but the version's (which a
    release of another version number gives, and which says nothing of the keys)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ModelVersionWarning)
        return hvrt.load(DATA / f"{name}.hvrt")


def _keys(model: HVRTPartitioner, column: str) -> dict:
    preprocessor = model._preprocessor
    return preprocessor.category_values[preprocessor.categorical_columns.index(column)]


def _float_key(value: object) -> str:
    """The key hvrt gave a number at fe13466 (through float64)."""
    number = float(value)
    return (
        str(int(number))
        if number.is_integer() and abs(number) < 2**63
        else repr(number)
    )


def _as_keyed_through_float(model: HVRTPartitioner) -> HVRTPartitioner:
    """``model`` (fitted now) as hvrt at fe13466 would have fitted it: its int categories
    keyed through float64 wherever keys are held, and no record of how ints are keyed."""
    preprocessor = model._preprocessor
    preprocessor.__dict__.pop("int_keys", None)
    renamed_all = []
    for j, values in enumerate(preprocessor.category_values):
        renamed = {
            key: _float_key(v)
            for key, v in values.items()
            if isinstance(v, int) and not isinstance(v, bool)
        }
        renamed_all.append(renamed)
        preprocessor.category_values[j] = {
            renamed.get(k, k): v for k, v in values.items()
        }
        categories = preprocessor.encoder.categories_[j]
        old = np.empty(len(categories), dtype=object)
        old[:] = [renamed.get(k, k) if isinstance(k, str) else k for k in categories]
        preprocessor.encoder.categories_[j] = old
    imputer = preprocessor.category_imputer
    if imputer is not None:
        statistics = imputer.statistics_.copy()
        statistics[:] = [
            renamed.get(k, k) for k, renamed in zip(statistics, renamed_all)
        ]
        imputer.statistics_ = statistics
    return model


@pytest.mark.parametrize("name", ["native", "ohe", "target", "regressor"])
def test_a_model_file_keyed_through_float_labels_its_rows_as_at_save(name: str) -> None:
    model = _load(name)
    X = _rows()
    np.testing.assert_array_equal(model.predict(X), SAVED["at_save"][name])
    partitioner = model.partitioner_ if name == "regressor" else model
    if name != "regressor":
        np.testing.assert_array_equal(partitioner.labels_, SAVED["at_save"][name])
    # the categories are keyed as today's fit keys them, the imputer's mode (a rounded ID) too
    assert str(2**60 + 1) in _keys(
        partitioner, "id"
    ) and "1152921504606846976" not in _keys(partitioner, "id")
    assert set(_keys(partitioner, "u")) == {
        "7",
        str(2**63 + 1001),
        str(2**64 - 1),
        str(2**63 + 2**20 + 5),
    }
    assert set(_keys(partitioner, "obj")) == {
        "x",
        "y",
        "5",
        str(2**60 + 7),
        str(2**61 + 3),
    }
    assert partitioner._preprocessor.category_imputer.statistics_[0] == str(2**60 + 1)
    # missing IDs take the mode's partitions, as at fit
    missing = X["id"].isna().to_numpy()
    assert missing.any()
    np.testing.assert_array_equal(
        model.predict(X[missing].assign(id=2**60 + 1)),
        np.asarray(SAVED["at_save"][name])[missing],
    )


@pytest.mark.parametrize("name", ["native", "ohe", "target"])
def test_a_rekeyed_model_saved_again_or_pickled_labels_alike(
    name: str, tmp_path: Path
) -> None:
    model = _load(name)
    hvrt.save(model, tmp_path / "again.hvrt")
    for copy in (
        _load_path(tmp_path / "again.hvrt"),
        pickle.loads(pickle.dumps(model)),
    ):
        assert copy._preprocessor.int_keys == "exact"
        np.testing.assert_array_equal(copy.predict(_rows()), SAVED["at_save"][name])


def _load_path(path: Path) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return hvrt.load(path)


@pytest.mark.parametrize("name", ["native", "ohe"])
def test_an_id_that_rounds_to_a_fitted_one_is_an_unseen_category_now(name: str) -> None:
    # at fe13466, 2**60 + 2 took 2**60 + 1's partitions (both keyed 1152921504606846976);
    # re-keyed, it is unseen, as for a model fitted today
    model = _load(name)
    X = _rows().iloc[:40]
    np.testing.assert_array_equal(
        model.predict(X.assign(id=2**60 + 2)), model.predict(X.assign(id=999))
    )


@pytest.mark.parametrize("encoding", ["native", "ohe", "target"])
def test_a_pickle_keyed_through_float_is_rekeyed_when_loaded(encoding: str) -> None:
    X = _rows()
    y = X["a"].to_numpy() + pd.factorize(X["id"])[0] + pd.factorize(X["u"])[0]
    model = HVRTPartitioner(
        max_leaf_nodes=8,
        engine="hist" if encoding == "native" else "exact",
        category_encoding=encoding,
        categorical_features=CATEGORICAL,
        y_weight=0.9,
        random_state=0,
    ).fit(X, y)
    labels = model.labels_.copy()
    old = _as_keyed_through_float(model)
    # (the old keys match none of today's: as a model of that time would label without re-keying)
    assert not np.array_equal(old.predict(X), labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(old))
    np.testing.assert_array_equal(loaded.predict(X), labels)


def _fresh_regressor() -> PartitionedRegressor:
    """The fixture's regressor (``make.py``), fitted today on its rows."""
    partitioner = HVRTPartitioner(
        max_leaf_nodes=6,
        category_encoding="ohe",
        categorical_features=CATEGORICAL,
        random_state=0,
    )
    return PartitionedRegressor(partitioner).fit(
        _rows(), np.asarray(SAVED["at_save"]["regressor"])
    )


def test_a_rekeyed_regressor_names_its_one_hot_inputs_as_a_fit_today() -> None:
    # model_input_names_ (which label coef_ in partition_report) kept the old keys:
    # "id_1152921504606846976" for 2**60 + 1, which a fit today names "id_1152921504606846977"
    model = _load("regressor")
    expected = list(_fresh_regressor().model_input_names_)
    assert f"id_{2**60 + 1}" in expected and f"u_{2**64 - 1}" in expected
    assert list(model.model_input_names_) == expected
    assert list(model.partition_report().columns[-len(expected) :]) == expected
    assert list(pickle.loads(pickle.dumps(model)).model_input_names_) == expected
    # unpickling a regressor of that time re-keys its names too
    fresh = _fresh_regressor()
    old_names = [
        str(name).replace(str(2**60 + 1), "1152921504606846976")
        for name in fresh.model_input_names_
    ]
    assert fresh._preprocessor is fresh.partitioner_._preprocessor
    _as_keyed_through_float(fresh.partitioner_)
    fresh.model_input_names_ = np.asarray(old_names, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(fresh))
    assert list(loaded.model_input_names_) == expected


def test_a_text_category_of_an_ints_digits_is_warned_of_naming_its_column() -> None:
    # at fe13466, the text "1152921504606846983" and the int 2**60 + 7 (keyed
    # "1152921504606846976") were two categories; today's keys of both are one
    with pytest.warns(
        UserWarning, match=r"^categorical column\(s\) \['obj'\] of this model"
    ) as caught:
        model = hvrt.load(DATA / "twin.hvrt")
    assert all("'id'" not in str(w.message) for w in caught)
    X = _twin_rows()
    saved = np.asarray(SAVED["at_save"]["twin"])
    # the other columns' and the other ints' keys are recovered: rows without that int label as at save
    without = (X["obj"] != 2**60 + 7).to_numpy()
    np.testing.assert_array_equal(model.predict(X[without]), saved[without])
    with pytest.raises(ValueError, match="which would be one category"):
        model.predict(X)


def test_a_model_without_its_categories_values_warns_of_the_columns_it_cannot_rekey() -> (
    None
):
    # models from before category values were recorded cannot tell an int's key from a float's
    rng = np.random.default_rng(3)
    n = 200
    ids = np.array([2**60 + 1, 2**60 + 1001, 5], dtype=np.int64)[rng.integers(0, 3, n)]
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "id": ids, "code": [str(2**60 + 1), "q"] * (n // 2)}
    )
    model = HVRTPartitioner(
        max_leaf_nodes=4, categorical_features=["id", "code"], random_state=0
    ).fit(X)
    old = _as_keyed_through_float(model)
    old._preprocessor.category_values = None
    with pytest.warns(
        UserWarning, match=r"^categorical column\(s\) \['id'\] of this model"
    ):
        pickle.loads(pickle.dumps(old))


def test_a_model_fitted_now_is_not_rekeyed() -> None:
    X = _rows()
    model = HVRTPartitioner(
        max_leaf_nodes=6, categorical_features=CATEGORICAL, random_state=0
    ).fit(X, X["a"].to_numpy())
    values = [dict(v) for v in model._preprocessor.category_values]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(model))
    assert loaded._preprocessor.category_values == values
    np.testing.assert_array_equal(loaded.predict(X), model.labels_)
