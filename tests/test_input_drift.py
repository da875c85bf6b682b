"""Input that drifts between fit and labelling, keywords that must not vanish, forged model files."""

from __future__ import annotations

import io
import pickle
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hvrt
from hvrt import HVRTPartitioner
from hvrt.persistence import ModelFileError

ENCODINGS = [("exact", "ohe"), ("exact", "target"), ("hist", "native")]


def _coded(n: int = 300) -> tuple[pd.DataFrame, pd.Series]:
    """A numeric column and a text category that drives y."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "c": rng.choice(["x", "y", "z"], n)})
    return X, X["c"].map({"x": 0.0, "y": 10.0, "z": 20.0})


def _rule_labels(partitioner: HVRTPartitioner, X: pd.DataFrame) -> np.ndarray:
    """Each row's partition as the rules select it (-1: none); every row selected once at most."""
    selected = np.full(len(X), -1)
    for label, rule in partitioner.partition_rules()["rule"].items():
        rows = X.index.get_indexer(X.query(rule, engine="python").index)
        assert (selected[rows] == -1).all()
        selected[rows] = label
    return selected


# ------------------------------------------------------------------ text against bytes


@pytest.mark.parametrize(("engine", "encoding"), ENCODINGS)
def test_a_category_of_text_at_fit_given_as_bytes_is_refused_naming_the_column(
    engine: str, encoding: str
) -> None:
    X, y = _coded()
    as_bytes = X.assign(c=X["c"].str.encode("utf-8"))
    text_fit = HVRTPartitioner(
        max_leaf_nodes=6, engine=engine, category_encoding=encoding, y_weight=0.9
    ).fit(X, y)
    # (on main every row was an unseen category, silently: a third of the labels changed)
    with pytest.raises(ValueError, match=r"^categorical column 'c' held text at fit but holds bytes now; .*"
                       r"decode it to the text it held at fit \(X\['c'\]\.str\.decode\('utf-8'\)\)"):  # fmt: skip
        text_fit.predict(as_bytes)
    bytes_fit = HVRTPartitioner(
        max_leaf_nodes=6, engine=engine, category_encoding=encoding, y_weight=0.9
    ).fit(as_bytes, y)
    with pytest.raises(ValueError, match=r"^categorical column 'c' held bytes at fit but holds text now; .*"
                       r"str\.encode\('utf-8'\)"):  # fmt: skip
        bytes_fit.predict(X)
    # the same kind at labelling still labels as at fit
    np.testing.assert_array_equal(text_fit.predict(X), text_fit.labels_)
    np.testing.assert_array_equal(bytes_fit.predict(as_bytes), bytes_fit.labels_)


@pytest.mark.parametrize(("engine", "encoding"), ENCODINGS)
def test_a_bytes_model_labels_as_its_rules_select(engine: str, encoding: str) -> None:
    X, y = _coded()
    as_bytes = X.assign(c=X["c"].str.encode("utf-8"))
    model = HVRTPartitioner(
        max_leaf_nodes=6, engine=engine, category_encoding=encoding, y_weight=0.9
    ).fit(as_bytes, y)
    assert model.n_partitions_ >= 3
    # new rows: shuffled, some missing, one category unseen at fit
    batch = as_bytes.sample(frac=1.0, random_state=1)
    batch.loc[batch.index[::7], "c"] = None
    batch.loc[batch.index[::11], "c"] = b"w"
    np.testing.assert_array_equal(_rule_labels(model, batch), model.predict(batch))
    np.testing.assert_array_equal(_rule_labels(model, as_bytes), model.labels_)


def test_a_numpy_bytes_column_is_bytes_as_object_bytes_are() -> None:
    X, y = _coded()
    fixed = X.assign(
        c=X["c"].to_numpy().astype("S1")
    )  # numpy's bytes dtype, as HDF5 gives it
    model = HVRTPartitioner(max_leaf_nodes=6, y_weight=0.9).fit(fixed, y)
    np.testing.assert_array_equal(
        model.predict(X.assign(c=X["c"].str.encode("ascii"))), model.labels_
    )
    with pytest.raises(ValueError, match="held bytes at fit but holds text now"):
        model.predict(X)


def test_a_model_that_recorded_bytes_as_text_still_labels_bytes(tmp_path: Path) -> None:
    # models fitted before bytes were a kind of their own recorded such a column as text
    X, y = _coded()
    as_bytes = X.assign(c=X["c"].str.encode("utf-8"))
    fitted = HVRTPartitioner(max_leaf_nodes=6, y_weight=0.9).fit(as_bytes, y)
    fitted._preprocessor.category_kinds = ["text"]
    hvrt.save(fitted, tmp_path / "older.hvrt")
    for model in (
        pickle.loads(pickle.dumps(fitted)),
        hvrt.load(tmp_path / "older.hvrt"),
    ):
        assert model._preprocessor.category_kinds == ["bytes"]
        np.testing.assert_array_equal(model.predict(as_bytes), model.labels_)
        with pytest.raises(ValueError, match="held bytes at fit but holds text now"):
            model.predict(X)


def test_text_and_bytes_in_one_column_stay_mixed_categories() -> None:
    X, y = _coded()
    mixed = X.assign(c=[v.encode() if i % 2 else v for i, v in enumerate(X["c"])])
    model = HVRTPartitioner(max_leaf_nodes=6, y_weight=0.9).fit(mixed, y)
    assert model._preprocessor.category_kinds == ["mixed"]
    np.testing.assert_array_equal(model.predict(mixed), model.labels_)


def test_bytes_that_are_not_utf8_refuse_rules_naming_the_column() -> None:
    X, y = _coded()
    raw = X.assign(c=X["c"].map({"x": b"\xff", "y": b"y", "z": b"z"}))
    model = HVRTPartitioner(max_leaf_nodes=6, y_weight=0.9).fit(raw, y)
    np.testing.assert_array_equal(
        model.predict(raw), model.labels_
    )  # labelling is unaffected
    # (on main: pandas' raw UnicodeDecodeError)
    with pytest.raises(
        ValueError,
        match=r"^categorical column c holds b'\\xff', bytes that are not UTF-8",
    ):
        model.partition_rules()


# ------------------------------------------------------------------ fit_predict's keywords


def test_fit_predict_passes_its_keywords_to_fit() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    # (on main both were accepted and ignored: unweighted labels, the typo unnoticed)
    with pytest.raises(TypeError, match="sample_weight"):
        HVRTPartitioner(max_leaf_nodes=8).fit_predict(X, sample_weight=np.ones(200))
    with pytest.raises(TypeError, match="y_wieght"):
        HVRTPartitioner(max_leaf_nodes=8).fit_predict(X, y_wieght=1.0)
    with pytest.raises(TypeError, match="sample_weight"):
        HVRTPartitioner(max_leaf_nodes=8).fit_transform(X, sample_weight=np.ones(200))
    model = HVRTPartitioner(max_leaf_nodes=8)
    np.testing.assert_array_equal(model.fit_predict(X), model.labels_)


def test_dask_fit_predict_passes_its_keywords_to_fit() -> None:
    pytest.importorskip("dask.array")
    import dask.array as da

    from hvrt.dask import DaskHVRTPartitioner

    X = da.from_array(np.random.default_rng(0).normal(size=(200, 2)), chunks=(100, 2))
    with pytest.raises(TypeError, match="sample_weight"):
        DaskHVRTPartitioner(max_leaf_nodes=8).fit_predict(X, sample_weight=np.ones(200))
    # fit's own keyword reaches it
    with pytest.raises(ValueError, match="route must be one of"):
        DaskHVRTPartitioner(max_leaf_nodes=8).fit_predict(X, route="fast")


# ------------------------------------------------------------------ forged model files


def _npy_header(shape: tuple[int, ...], data: bytes) -> bytes:
    """An .npy member of float64 whose header claims ``shape`` whatever ``data`` holds."""
    header = (
        f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape!r}, }}".encode()
    )
    header += b" " * (118 - len(header)) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data


def _with_member(source: Path, target: Path, name: str, content: bytes) -> None:
    with (
        zipfile.ZipFile(source) as old,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for item in old.namelist():
            new.writestr(item, content if item == name else old.read(item))


@pytest.mark.parametrize(
    "shape", [(4_000_000_000_000,), (2, 50_000_000), (3,), (-2, -8)]
)
def test_an_array_whose_header_claims_another_size_is_refused_before_allocating(
    tmp_path: Path, shape
) -> None:
    X = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) % 7})
    hvrt.save(HVRTPartitioner(max_leaf_nodes=5).fit(X), tmp_path / "ok.hvrt")
    _with_member(
        tmp_path / "ok.hvrt",
        tmp_path / "forged.hvrt",
        "arrays/0.npy",
        _npy_header(shape, bytes(16)),
    )
    # (on main: numpy's raw MemoryError for the first; an 800 MB array allocated for the second
    # before the short read was noticed)
    tracemalloc.start()
    try:
        with pytest.raises(
            ModelFileError,
            match=r"is not a valid hvrt model file: arrays/0\.npy claims",
        ):
            hvrt.load(tmp_path / "forged.hvrt")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000


def test_an_array_member_that_is_not_npy_is_a_model_file_error(tmp_path: Path) -> None:
    X = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) % 7})
    hvrt.save(HVRTPartitioner(max_leaf_nodes=5).fit(X), tmp_path / "ok.hvrt")
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3.0))
    for content in (b"not an array", buffer.getvalue()[:20]):
        _with_member(
            tmp_path / "ok.hvrt", tmp_path / "forged.hvrt", "arrays/0.npy", content
        )
        with pytest.raises(
            ModelFileError, match=r"arrays/0\.npy is not a readable \.npy array"
        ):
            hvrt.load(tmp_path / "forged.hvrt")


# ------------------------------------------------------------------ numbers written as text


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_numbers_written_as_text_are_read_as_pd_to_numeric_reads_them(
    engine: str,
) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300) * 1000, "b": rng.normal(size=300)})
    model = HVRTPartitioner(max_leaf_nodes=20, engine=engine).fit(X)

    def labelled(value: object) -> int:
        row = X.iloc[[0]].astype({"a": object})
        row["a"] = [value]
        return int(model.predict(row)[0])

    # pandas' notation: signs, exponents, whitespace; blank text and "nan" are missing
    for text, number in [
        ("1000", 1000.0),
        (" -1.5e3 ", -1500.0),
        ("+.5", 0.5),
        ("", np.nan),
        ("NaN", np.nan),
    ]:
        assert labelled(text) == labelled(number), text
    # what Python's float() also takes but pd.to_numeric does not, and bytes (on main: parsed)
    for refused in ["1_000", "\u0661\u0662", "1,000", "NA", b"12"]:
        with pytest.raises(
            ValueError,
            match=r"^X column\(s\) \['a'\] held numbers at fit but hold values that are not numbers now",
        ):
            labelled(refused)
    # a numpy object array of text as well
    as_objects = X.to_numpy(dtype=object, copy=True)
    as_objects[0, 0] = "1_000"
    with pytest.raises(ValueError, match=r"could not convert string to float: '1_000'"):
        HVRTPartitioner(max_leaf_nodes=20, engine=engine).fit(X.to_numpy()).predict(
            as_objects
        )


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_a_stray_bytes_value_in_a_column_of_numbers_is_warned_of_as_stray_text(
    engine: str,
) -> None:
    # bytes are not numbers (b"12" at labelling is refused, L10), so one among numbers makes
    # the column categorical at fit; pd.to_numeric reads bytes, so that was silent
    rng = np.random.default_rng(16)
    A = rng.normal(size=(400, 2)).astype(object)
    A[3, 0] = b"1.5"
    message = (
        r"column 'f0' holds numbers but for 1 of its 400 values, which are not numbers "
        r"\((np\.bytes_\()?b'1\.5'\)?\), so it is taken as unordered categories"
    )
    options = {"max_leaf_nodes": 8, "engine": engine, "category_encoding": "target"}
    with pytest.warns(UserWarning, match=message):
        fitted = HVRTPartitioner(**options).fit(A)
    assert fitted._preprocessor.categorical_columns == ["f0"]
    # numbers written as text beside it, numpy's bytes, a DataFrame's object column: alike
    as_text = A.copy()
    as_text[:, 0] = [str(value) for value in A[:, 0]]
    as_text[3, 0] = np.bytes_(b"1.5")
    with pytest.warns(UserWarning, match=message):
        HVRTPartitioner(**options).fit(as_text)
    frame = pd.DataFrame({"f0": A[:, 0], "f1": A[:, 1].astype(float)})
    with pytest.warns(UserWarning, match=message):
        HVRTPartitioner(**options).fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # listed: the user's choice
        HVRTPartitioner(**options, categorical_features=["f0"]).fit(frame)


def test_sample_weight_written_as_text_is_refused_as_y_is() -> None:
    from hvrt import PartitionedRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = X["a"] * 2.0 + rng.normal(size=200)
    weights = pd.Series(rng.uniform(0.5, 2.0, 200))
    # (on main: parsed by numpy and fitted)
    for text in (
        weights.astype(str),
        weights.astype(str).to_numpy(dtype=object),
        list(weights.astype(str)),
    ):
        with pytest.raises(
            ValueError,
            match=r"^sample_weight must be numeric, got dtype \S+ holding text",
        ):
            PartitionedRegressor(shrinkage=0).fit(X, y, sample_weight=text)
    PartitionedRegressor(shrinkage=0).fit(
        X, y, sample_weight=weights
    )  # numbers still fit


# ------------------------------------------------------------------ model files: paths, metadata, names


def test_a_path_that_is_not_a_regular_file_is_named_so(tmp_path: Path) -> None:
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(tmp_path / "pipe")
    # (on main: "does not exist", a FileNotFoundError)
    for read in (hvrt.load, hvrt.persistence.model_info):
        with pytest.raises(
            ModelFileError, match=r"'.*pipe' is not a regular file \(a named pipe"
        ):
            read(tmp_path / "pipe")


def test_metadata_comes_back_as_saved_or_is_refused(tmp_path: Path) -> None:
    X = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) % 7})
    model = HVRTPartitioner(max_leaf_nodes=5).fit(X)
    kept = {"a": {"b": [1, {"c": None}], "d": 1.5, "e": True}, "f": "x"}
    hvrt.save(model, tmp_path / "m.hvrt", metadata=kept)
    assert hvrt.persistence.model_info(tmp_path / "m.hvrt").metadata == kept
    # (on main: saved, and read back as {'1': 2} and a list)
    for changed, where in [
        ({1: 2}, "metadata has the key 1"),
        ({"a": [0, (1, 2)]}, r"metadata\['a'\]\[1\] is a tuple"),
    ]:
        with pytest.raises(
            ValueError, match=rf"^metadata must hold plain JSON values .*{where}"
        ):
            hvrt.save(model, tmp_path / "n.hvrt", metadata=changed)
    assert not (tmp_path / "n.hvrt").exists()


def test_the_model_file_exceptions_are_importable_from_hvrt() -> None:
    from hvrt import ModelFileError as top_level_error
    from hvrt import ModelVersionWarning

    assert top_level_error is ModelFileError and issubclass(top_level_error, ValueError)
    assert ModelVersionWarning is hvrt.persistence.ModelVersionWarning
    assert {"ModelFileError", "ModelVersionWarning"} <= set(hvrt.__all__)
