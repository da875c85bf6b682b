"""Model files: exact round trips on both engines, nothing run on load, versions checked."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import pickle
import re
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.preprocessing import FunctionTransformer, RobustScaler

import hvrt
from hvrt import HVRTPartitioner, PartitionedRegressor
from hvrt.datasets import make_demo_data
from hvrt.persistence import MANIFEST, ModelFileError, ModelVersionWarning, model_info


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    X, y = make_demo_data(3000, random_state=3)
    X.loc[X.index[::37], "region"] = np.nan  # missing categories too
    X.loc[X.index[::53], "income"] = np.nan
    return X, y


class Marker:
    """Unpickling this creates the file it names: the proof that a pickle ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def rewrite_manifest(source: Path, target: Path, **changes) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.namelist():
            content = old.read(item)
            if item == MANIFEST:
                manifest = json.loads(content)
                manifest.update(changes)
                content = json.dumps(manifest).encode()
            new.writestr(item, content)


@pytest.mark.parametrize("engine", ["exact", "hist"])
@pytest.mark.parametrize("options", [{}, {"impute": False, "category_encoding": "target", "target": "features"}])
def test_a_loaded_partitioner_labels_exactly_as_the_saved_one(tmp_path, data, engine, options):
    X, y = data
    model = HVRTPartitioner(40, engine=engine, **options).fit(X, y)
    loaded = hvrt.load(hvrt.save(model, tmp_path / "model.hvrt"))
    assert type(loaded) is HVRTPartitioner and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.labels_, model.labels_)
    shuffled = X.sample(frac=1.0, random_state=0)
    np.testing.assert_array_equal(loaded.get_partitions(shuffled), model.get_partitions(shuffled))
    np.testing.assert_array_equal(loaded.apply(X), model.apply(X))
    assert loaded.engine_ == engine and loaded.n_partitions_ == model.n_partitions_


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_a_loaded_regressor_predicts_exactly_as_the_saved_one(tmp_path, data, engine):
    X, y = data
    model = PartitionedRegressor(HVRTPartitioner(32, engine=engine, min_samples_leaf=20), clip="xy").fit(X, y)
    loaded = hvrt.load(hvrt.save(model, tmp_path / "regressor.bin"))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    pd.testing.assert_frame_equal(loaded.partition_report(), model.partition_report())
    pd.testing.assert_frame_equal(loaded.shrinkage_path_, model.shrinkage_path_)
    assert loaded.partitioner_.engine_ == engine


def test_standard_scalers_and_linear_estimators_are_kept(tmp_path, data):
    X, y = data
    partitioner = HVRTPartitioner(16, engine="exact", scaler=RobustScaler())
    model = PartitionedRegressor(partitioner, estimator=Ridge(alpha=2.0)).fit(X, y)
    loaded = hvrt.load(hvrt.save(model, tmp_path / "m.hvrt"))
    assert isinstance(loaded.partitioner.scaler, RobustScaler)
    assert loaded.estimator.alpha == 2.0
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_file_of_estimators_on_standardised_inputs_is_format_3_and_others_stay_2(tmp_path, data):
    # an hvrt that reads format 2 would feed these estimators raw inputs: it must refuse the file
    X, y = data
    partitioner = HVRTPartitioner(16, engine="exact")
    with_estimators = hvrt.save(PartitionedRegressor(partitioner, estimator=Ridge()).fit(X, y), tmp_path / "e.hvrt")
    built_in = hvrt.save(PartitionedRegressor(partitioner).fit(X, y), tmp_path / "r.hvrt")
    alone = hvrt.save(HVRTPartitioner(8, engine="exact").fit(X), tmp_path / "p.hvrt")
    versions = [model_info(path).format_version for path in (with_estimators, built_in, alone)]
    assert versions == [3, 2, 2]


def test_an_unknown_scaler_or_a_random_state_object_is_refused_at_save(tmp_path, data):
    X, _ = data
    model = HVRTPartitioner(8, engine="exact", scaler=FunctionTransformer()).fit(X[["age", "load"]])
    with pytest.raises(TypeError, match=r"HVRTPartitioner\.scaler: FunctionTransformer .*StandardScaler"):
        hvrt.save(model, tmp_path / "m.hvrt")
    seeded = HVRTPartitioner(8, engine="exact", random_state=np.random.RandomState(0)).fit(X[["age"]])
    with pytest.raises(TypeError, match="int random_state"):
        hvrt.save(seeded, tmp_path / "m.hvrt")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    with pytest.raises(TypeError, match="HVRTPartitioner or a PartitionedRegressor"):
        hvrt.save(Ridge(), tmp_path / "m.hvrt")


def test_a_crafted_pickle_is_refused_and_nothing_in_it_runs(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "model.pkl"
    evil.write_bytes(pickle.dumps(Marker(marker)))
    with pytest.raises(ModelFileError, match="looks like a pickle"):
        hvrt.load(evil)
    joblib.dump(Marker(marker), tmp_path / "model.joblib")
    with pytest.raises(ModelFileError, match="not an hvrt model file"):
        hvrt.load(tmp_path / "model.joblib")
    assert not marker.exists()


def test_a_pickle_hidden_inside_a_model_file_never_runs(tmp_path, data):
    X, _ = data
    good = hvrt.save(HVRTPartitioner(8, engine="exact").fit(X), tmp_path / "good.hvrt")
    marker = tmp_path / "pwned"
    # an object array (saved with pickle) in place of a numeric array
    bad = tmp_path / "bad.hvrt"
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(bad, "w") as new:
        for item in old.namelist():
            content = old.read(item)
            if item == "arrays/0.npy":
                import io

                buffer = io.BytesIO()
                np.save(buffer, np.array([Marker(marker)], dtype=object), allow_pickle=True)
                content = buffer.getvalue()
            new.writestr(item, content)
    with pytest.raises(ModelFileError, match="cannot be read without pickle"):
        hvrt.load(bad)
    # a class that is not on the trusted list
    manifest = json.loads(zipfile.ZipFile(good).read(MANIFEST))
    manifest["model"] = {"$object": "os.system", "state": None}
    forged = tmp_path / "forged.hvrt"
    with zipfile.ZipFile(forged, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(manifest))
    with pytest.raises(ModelFileError, match="'os.system', which is not one hvrt rebuilds"):
        hvrt.load(forged)
    assert not marker.exists()


def test_a_truncated_file_is_named_a_damaged_model_file_not_a_foreign_one(tmp_path, data):
    # zipfile finds an archive by the directory at its end, which a cut-short copy has lost:
    # such a file was reported as "not an hvrt model file", sending the user to look for another
    X, _ = data
    path = hvrt.save(HVRTPartitioner(4, engine="exact").fit(X[["age", "load"]]), tmp_path / "m.hvrt")
    raw = path.read_bytes()
    cut = tmp_path / "cut.hvrt"
    for size in (60, len(raw) // 2, len(raw) - 1):
        cut.write_bytes(raw[:size])
        for read in (hvrt.load, model_info):
            with pytest.raises(ModelFileError) as caught:
                read(cut)
            assert str(caught.value).startswith(
                f"{str(cut)!r} is an hvrt model file, but damaged: it is truncated (it ends after {size:,} bytes"
            )
    # a first member whose name only starts like the manifest's, or is its start, is not one
    for name in ("h", "hvrt-model.json.bak", "hvrt-model.js"):
        with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
            archive.writestr(name, "x" * 200)
        cut.write_bytes((tmp_path / "other.zip").read_bytes()[:120])
        with pytest.raises(ModelFileError, match=rf"is not an hvrt model file: .*whose first member is '{re.escape(name)}'"):
            hvrt.load(cut)
    cut.write_bytes(raw[:40])  # cut inside the manifest's name: still named a damaged model file
    with pytest.raises(ModelFileError, match=r"is an hvrt model file, but damaged: it is truncated \(it ends after 40 bytes"):
        hvrt.load(cut)
    cut.write_bytes(raw[:10])  # too short to name its first member
    with pytest.raises(ModelFileError, match=r"is a damaged zip archive, cut short after 10 bytes \(too short to tell"):
        hvrt.load(cut)
    cut.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"is empty \(0 bytes\), not an hvrt model file"):
        hvrt.load(cut)
    # a truncated zip archive of something else is still not an hvrt model file, and says what it is
    np.savez(tmp_path / "arrays.npz", a=np.arange(3))
    cut.write_bytes((tmp_path / "arrays.npz").read_bytes()[:100])
    with pytest.raises(ModelFileError, match=r"is not an hvrt model file: it is a damaged or truncated zip archive "
                       r"\(it ends after 100 bytes.*whose first member is 'a.npy', not hvrt-model.json"):
        hvrt.load(cut)


def test_a_saved_file_gets_the_mode_a_plain_write_gives(tmp_path, data):
    # files went through mkstemp, whose file is private (0600): a model saved (or a table the
    # command line wrote) in a shared folder could not be read by the others
    import os

    X, _ = data
    mask = os.umask(0o022)
    os.umask(mask)
    path = hvrt.save(HVRTPartitioner(4, engine="exact").fit(X[["age", "load"]]), tmp_path / "m.hvrt")
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_foreign_files_are_refused_with_a_clear_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="is not an hvrt model file"):
        hvrt.load(text)
    np.savez(tmp_path / "arrays.npz", a=np.arange(3))
    with pytest.raises(ModelFileError, match="zip archive but not an hvrt model file"):
        hvrt.load(tmp_path / "arrays.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        hvrt.load(tmp_path / "missing.hvrt")


def test_versions_are_recorded_checked_and_named(tmp_path, data):
    X, _ = data
    path = hvrt.save(HVRTPartitioner(8, engine="exact").fit(X), tmp_path / "m.hvrt", metadata={"source": "x.csv"})
    info = model_info(path)
    assert (info.kind, info.format_version, info.hvrt_version) == ("HVRTPartitioner", 2, hvrt.__version__)
    assert info.metadata == {"source": "x.csv"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hvrt.load(path)  # the same version: no warning

    older = tmp_path / "older.hvrt"
    rewrite_manifest(path, older, hvrt_version="0.1.0")
    with pytest.warns(ModelVersionWarning, match=rf"saved by hvrt 0\.1\.0 and is loaded by hvrt {hvrt.__version__}"):
        assert isinstance(hvrt.load(older), HVRTPartitioner)

    future = tmp_path / "future.hvrt"
    rewrite_manifest(path, future, format_version=5, hvrt_version="9.0")
    with pytest.raises(ModelFileError, match=r"format version 5, written by hvrt 9\.0; .* reads format versions 1, 2, 3 and 4 only"):
        hvrt.load(future)


def test_another_scikit_learn_is_one_warning_naming_the_file_and_both_versions(tmp_path, data):
    # scikit-learn warned once per estimator it rebuilt (27 alike for 27 local models); the
    # manifest's recorded version was never compared
    import sklearn

    X, y = data
    model = PartitionedRegressor(estimator=Ridge()).fit(X.iloc[:2000], y.iloc[:2000])
    path = hvrt.save(model, tmp_path / "m.hvrt")
    for name, manifest_too in (("old.hvrt", True), ("unrecorded.hvrt", False)):
        with zipfile.ZipFile(path) as old, zipfile.ZipFile(tmp_path / name, "w") as new:
            for item in old.namelist():
                content = old.read(item)
                if item == MANIFEST:  # every estimator's _sklearn_version, and the manifest's written_with
                    content = content.replace(f'"{sklearn.__version__}"'.encode(), b'"1.3.0"')
                    if not manifest_too:
                        manifest = json.loads(content)
                        del manifest["written_with"]
                        content = json.dumps(manifest).encode()
                new.writestr(item, content)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loaded = hvrt.load(tmp_path / name)
        assert [type(w.message).__name__ for w in caught] == ["ModelVersionWarning"], [str(w.message)[:80] for w in caught]
        assert str(caught[0].message) == (
            f"{str(tmp_path / name)!r} was saved with scikit-learn 1.3.0 and is loaded with scikit-learn {sklearn.__version__}; "
            "check that it predicts as expected, or save it again with these versions"
        )
        np.testing.assert_array_equal(loaded.predict(X.iloc[:500]), model.predict(X.iloc[:500]))


def _as_format_1(manifest: dict) -> dict:
    """A format-2 manifest without shared objects, written as format 1 wrote it (no ids)."""

    def strip(value):
        if isinstance(value, list):
            return [strip(item) for item in value]
        if isinstance(value, dict):
            assert "$ref" not in value, "format 1 cannot hold a shared object"
            return {key: strip(item) for key, item in value.items() if not (key == "id" and "$object" in value)}
        return value

    return {**manifest, "format_version": 1, "model": strip(manifest["model"])}


def test_a_shared_object_is_written_once_and_loads_shared(tmp_path, data):
    # the regressor and its partitioner share one preprocessor: the loaded model shares it
    # too, so predict preprocesses X once, as before saving
    X, y = data
    model = PartitionedRegressor(HVRTPartitioner(16, engine="hist", min_samples_leaf=20)).fit(X, y)
    assert model.partitioner_._preprocessor is model._preprocessor
    path = hvrt.save(model, tmp_path / "m.hvrt")
    with zipfile.ZipFile(path) as archive:
        text = archive.read(MANIFEST).decode()
    assert text.count('"$ref"') >= 1
    loaded = hvrt.load(path)
    assert loaded.partitioner_._preprocessor is loaded._preprocessor
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # a reference to an object not read before it is refused by name
    forged = tmp_path / "forged.hvrt"
    rewrite_manifest(path, forged, model=json.loads(text.replace('{"$ref": ', '{"$ref": 1000', 1))["model"])
    with pytest.raises(ModelFileError, match="a reference to object 1000"):
        hvrt.load(forged)


def test_a_format_1_file_still_loads(tmp_path, data):
    X, _ = data
    model = HVRTPartitioner(8, engine="hist").fit(X)
    path = hvrt.save(model, tmp_path / "m.hvrt")
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    old = tmp_path / "old.hvrt"
    rewrite_manifest(path, old, **_as_format_1(manifest))
    assert model_info(old).format_version == 1
    np.testing.assert_array_equal(hvrt.load(old).get_partitions(X), model.labels_)


def test_a_regressor_saved_before_the_gap_fill_was_stored_predicts_gaps_with_the_means(tmp_path, data):
    # a model file written before _numeric_fill was stored (format 2, an older hvrt): a gap
    # at predict in a column that had none at fit takes the model inputs' means at fit
    X, y = data
    X = X.assign(income=X["income"].fillna(X["income"].median()))
    model = PartitionedRegressor(HVRTPartitioner(16, engine="hist", min_samples_leaf=20)).fit(X, y)
    new = X.iloc[:20].copy()
    new.loc[new.index[::3], "income"] = np.nan
    expected = model.predict(new)
    assert np.isfinite(expected).all()
    path = hvrt.save(model, tmp_path / "m.hvrt")
    np.testing.assert_array_equal(hvrt.load(path).predict(new), expected)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    state = manifest["model"]["state"]["$dict"]
    assert any(key == "_numeric_fill" for key, _ in state)
    manifest["model"]["state"]["$dict"] = [[key, value] for key, value in state if key != "_numeric_fill"]
    old = tmp_path / "old.hvrt"
    rewrite_manifest(path, old, model=manifest["model"], hvrt_version=manifest["hvrt_version"])
    loaded = hvrt.load(old)
    assert not hasattr(loaded, "_numeric_fill")
    np.testing.assert_allclose(loaded.predict(new), expected, rtol=1e-12)

def test_pickle_and_joblib_round_trips_keep_working(tmp_path, data):
    X, y = data
    model = PartitionedRegressor(HVRTPartitioner(16, engine="hist", min_samples_leaf=20)).fit(X, y)
    expected = model.predict(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), expected)
    joblib.dump(model, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict(X), expected)


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_a_forged_tree_structure_is_refused_before_any_labelling(tmp_path, data, engine):
    X, _ = data
    model = HVRTPartitioner(8, engine=engine).fit(X)
    tree = model.get_tree()
    children = tree.tree_.children_left if engine == "exact" else tree.children_left
    children[0] = 10**9  # labelling would read far outside the node arrays
    path = hvrt.save(model, tmp_path / "forged.hvrt")
    with pytest.raises(ModelFileError, match="tree structure is inconsistent"):
        hvrt.load(path)


@pytest.mark.parametrize("engine", ["exact", "hist"])
@pytest.mark.parametrize("forge", ["short", "shuffled"])
def test_a_forged_leaf_to_label_table_is_refused_before_any_labelling(tmp_path, data, engine, forge):
    # the traversal writes table[leaf] unchecked: a short table would read past its end,
    # a shuffled one would give every row another partition's label
    X, _ = data
    model = HVRTPartitioner(8, engine=engine).fit(X)
    table = model._leaf_to_label
    leaves = np.flatnonzero(table >= 0)
    if forge == "short":
        model._leaf_to_label = table[:2]
    else:
        table[leaves] = table[leaves[::-1]]
    path = hvrt.save(model, tmp_path / "forged.hvrt")
    with pytest.raises(ModelFileError, match="partition labels do not match its tree's leaves"):
        hvrt.load(path)


def test_a_short_leaf_to_label_table_is_an_error_at_labelling(data):
    X, _ = data
    model = HVRTPartitioner(8, engine="hist").fit(X)
    model._leaf_to_label = model._leaf_to_label[:2]
    with pytest.raises(ValueError, match="node_values must be a 1-D array with a value for every leaf"):
        model.get_partitions(X)


def test_native_categorical_splits_round_trip(tmp_path, data):
    X, _ = data
    effect = {"north": 0.0, "south": 5.0, "east": -3.0, "west": 2.0}
    y = X["region"].astype(object).map(effect).astype(float).fillna(1.0) + X["age"] / 50
    model = HVRTPartitioner(max_leaf_nodes=16, engine="hist", impute=False, y_weight=0.9).fit(X, y)
    tree = model.get_tree()
    assert model.category_encoding_ == "native" and tree.categorical_nodes.any()
    loaded = hvrt.load(hvrt.save(model, tmp_path / "native.hvrt"))
    np.testing.assert_array_equal(loaded.get_tree().category_left, tree.category_left)
    np.testing.assert_array_equal(loaded.get_tree().categorical, tree.categorical)
    assert loaded._preprocessor.encoder.categories_[0].tolist()[:-1] == model._preprocessor.encoder.categories_[0].tolist()[:-1]
    new = X.iloc[:300].astype({"region": object})
    new.loc[new.index[:40], "region"] = "unseen region"
    np.testing.assert_array_equal(loaded.get_partitions(new), model.get_partitions(new))
    pd.testing.assert_frame_equal(loaded.partition_rules(), model.partition_rules())
    # a forged set table (one row short) is refused before labelling
    object.__setattr__(tree, "category_left", tree.category_left[:-1])
    with pytest.raises(ModelFileError, match="categorical splits do not match its tree"):
        hvrt.load(hvrt.save(model, tmp_path / "forged.hvrt"))


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_a_loaded_partitioner_writes_the_same_rules(tmp_path, data, engine):
    X, y = data
    X = X.assign(when=pd.Timestamp("2024-01-01", tz="Europe/Paris") + pd.to_timedelta(np.arange(len(X)), unit="h"))
    model = HVRTPartitioner(max_leaf_nodes=16, engine=engine, weights={"when": 10.0}, random_state=0).fit(X, y)
    hvrt.save(model, tmp_path / "model.hvrt")
    loaded = hvrt.load(tmp_path / "model.hvrt")
    rules = model.partition_rules()
    assert "y_mean" in rules.columns and rules["rule"].str.contains("when").any()
    pd.testing.assert_frame_equal(loaded.partition_rules(), rules)


def test_a_folder_or_a_non_path_is_refused_by_name(tmp_path, data):
    X, _ = data
    model = HVRTPartitioner(4, engine="exact").fit(X[["age", "load"]])
    with pytest.raises(IsADirectoryError, match="is a folder; give the model file's name"):
        hvrt.save(model, tmp_path)
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind
    with pytest.raises(IsADirectoryError, match="is a folder, not a file"):
        hvrt.load(tmp_path)
    for call in (lambda: hvrt.save(model, 3), lambda: hvrt.load(None), lambda: model_info(3)):
        with pytest.raises(TypeError, match="path must be a str or a path-like object, got"):
            call()
    with pytest.raises(TypeError, match="metadata must be a dict of plain JSON values, got list"):
        hvrt.save(model, tmp_path / "m.hvrt", metadata=["a"])


def test_a_damaged_or_incomplete_file_is_a_model_file_error(tmp_path, data):
    X, _ = data
    path = hvrt.save(HVRTPartitioner(4, engine="exact").fit(X[["age", "load"]]), tmp_path / "m.hvrt")
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("arrays/1.npy")
    # overwrite the member's local header and data: zipfile would raise BadZipFile
    raw[member.header_offset : member.header_offset + 40] = bytes(40)
    damaged = tmp_path / "damaged.hvrt"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=r"is a damaged hvrt model file \(arrays/1\.npy"):
        hvrt.load(damaged)
    unversioned = tmp_path / "unversioned.hvrt"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(unversioned, "w") as new:
        for item in old.namelist():
            content = old.read(item)
            if item == MANIFEST:
                manifest = json.loads(content)
                del manifest["hvrt_version"]
                content = json.dumps(manifest).encode()
            new.writestr(item, content)
    for read in (hvrt.load, model_info):
        with pytest.raises(ModelFileError, match="its hvrt_version or metadata is missing or malformed"):
            read(unversioned)


def _categories_of_every_kind(n: int, rng: np.random.Generator) -> dict[str, pd.Series]:
    """Categorical columns whose categories are values of the types a model file holds besides
    numbers and text (a model holding them could not be saved)."""
    def pick(values):
        return [values[i] for i in rng.integers(0, len(values), n)]

    days = pd.date_range("2020-01-01", periods=4)
    return {
        "stamps": pd.Series(pd.Categorical(pick(days))),
        "zoned": pd.Series(pd.Categorical(pick(days.tz_localize("Europe/Berlin")))),
        "far": pd.Series(pd.Categorical(pick([pd.Timestamp("9999-12-31"), pd.Timestamp("2020-01-01")]))),
        "python_days": pd.Series(pick(list(days.date)), dtype=object),
        "months": pd.Series(pd.Categorical(pick(list(pd.period_range("2020-01", periods=4, freq="M"))))),
        "bins": pd.Series(pd.cut(rng.normal(size=n), 4)),
        "raw": pd.Series(pick([b"x", b"y\x00"]), dtype=object),
        "waits": pd.Series(pd.Categorical(pick(list(pd.to_timedelta([1, 90], unit="min"))))),
        "clock": pd.Series(pick([datetime.time(9, 30), datetime.time(17, 0)]), dtype=object),
        "exact": pd.Series(pd.Categorical(pick([decimal.Decimal("0.10"), decimal.Decimal("2.5")]))),
    }


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_categories_that_are_dates_periods_intervals_or_bytes_round_trip(tmp_path: Path, engine: str) -> None:
    # save refused them all, naming HVRTPartitioner._preprocessor.category_values[0]['2020-01-01']
    rng = np.random.default_rng(40)
    n = 400
    columns = _categories_of_every_kind(n, rng)
    X = pd.DataFrame({"a": rng.normal(size=n), **columns})
    model = HVRTPartitioner(max_leaf_nodes=16, engine=engine, y_weight=1.0, categorical_features=list(columns))
    y = rng.normal(size=n) + X["raw"].eq(b"x") + X["stamps"].astype("datetime64[ns]").dt.day
    model.fit(X, y)
    path = hvrt.save(model, tmp_path / "m.hvrt")
    assert model_info(path).format_version == 4  # older hvrt refuse it by its version, not by its content
    loaded = hvrt.load(path)
    np.testing.assert_array_equal(loaded.get_partitions(X), model.labels_)
    pd.testing.assert_frame_equal(loaded.partition_rules(), model.partition_rules())
    for saved, read in zip(model._preprocessor.category_values, loaded._preprocessor.category_values):
        assert list(read) == list(saved)
        for key in saved:
            assert type(read[key]) is type(saved[key]) and read[key] == saved[key] and str(read[key]) == str(saved[key])
    # a plain model keeps the lowest version that holds it
    plain = HVRTPartitioner(max_leaf_nodes=4, engine=engine).fit(X[["a"]])
    assert model_info(hvrt.save(plain, tmp_path / "plain.hvrt")).format_version == 2


def test_a_category_a_model_file_cannot_hold_is_refused_naming_its_column(tmp_path: Path) -> None:
    n = 100
    X = pd.DataFrame({"a": np.arange(n, dtype=float), "tags": pd.Series([frozenset({i % 3}) for i in range(n)], dtype=object)})
    model = HVRTPartitioner(max_leaf_nodes=4, categorical_features=["tags"]).fit(X)
    with pytest.raises(TypeError, match=r"cannot save HVRTPartitioner\._preprocessor: categorical column 'tags' holds "
                                         r"the category frozenset\(\{0\}\), a builtins\.frozenset, which a model file cannot hold"):
        hvrt.save(model, tmp_path / "m.hvrt")
    assert not (tmp_path / "m.hvrt").exists()


def test_a_forged_value_in_a_model_file_is_a_model_file_error(tmp_path: Path) -> None:
    X = pd.DataFrame({"a": np.arange(60.0), "day": pd.Series(pd.date_range("2020-01-01", periods=60).date, dtype=object)})
    model = HVRTPartitioner(max_leaf_nodes=4, categorical_features=["day"]).fit(X)
    path = hvrt.save(model, tmp_path / "m.hvrt")
    text = zipfile.ZipFile(path).read(MANIFEST).decode()
    for forged in ('"$value": "os.system"', '"$value": "Decimal", "text": "not a number"'):
        edited = re.sub(r'"\$value": "date", "text": "2020-01-01"', forged, text, count=1)
        assert edited != text
        bad = tmp_path / "forged.hvrt"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(bad, "w") as target:
            for item in source.namelist():
                target.writestr(item, edited if item == MANIFEST else source.read(item))
        with pytest.raises(ModelFileError, match="'.*forged.hvrt' is not a valid hvrt model file"):
            hvrt.load(bad)


# ------------------------------------------------------------------ zip bombs (M30)

_BOMB_BYTES = 100_000_000  # what the forged members below declare (and hold, as zeros)


def _small_model_file(tmp_path: Path) -> Path:
    X = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) % 7})
    return hvrt.save(HVRTPartitioner(max_leaf_nodes=5).fit(X), tmp_path / "ok.hvrt")


def _rewrite(source: Path, target: Path, name: str, write) -> None:
    """``source`` with member ``name`` written by ``write(stream)`` (deflate level 9, its zip
    entry declaring what it holds), streamed: the test itself never holds the member."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new:
        for item in old.namelist():
            if item == name:
                with new.open(item, "w", force_zip64=True) as stream:
                    write(stream)
            else:
                new.writestr(item, old.read(item))


def _repeat(stream, byte: bytes, n_bytes: int) -> None:
    chunk = byte * 2**20
    for start in range(0, n_bytes, len(chunk)):
        stream.write(chunk[: min(len(chunk), n_bytes - start)])


def _declare(path: Path, name: str, size: int) -> None:
    """Make the zip entries of member ``name`` declare ``size`` uncompressed bytes (its CRC
    and data unchanged): a member lying about its size."""
    raw = bytearray(path.read_bytes())
    encoded = name.encode()
    # central directory entry: the size at offset 24, the name at 46; local header: 22 and 30
    for signature, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        start = raw.find(signature)
        while start >= 0:
            if raw[start + name_at : start + name_at + len(encoded)] == encoded:
                raw[start + size_at : start + size_at + 4] = size.to_bytes(4, "little")
                break
            start = raw.find(signature, start + 1)
        else:
            raise AssertionError(f"no {signature!r} entry for {name}")
    path.write_bytes(bytes(raw))


def _peak_while(action) -> int:
    """The peak of memory traced while ``action`` runs (and raises)."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError) as caught:
            action()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, str(caught.value)


def test_a_zip_bomb_array_is_refused_from_its_zip_entry_before_anything_is_read(tmp_path: Path) -> None:
    # a valid .npy of 100 MB of zeros, deflated to about 100 kB: its header and its zip entry
    # agree, but no model file compresses 1,000 times (hvrt.save's level 1 stops at 229)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (_BOMB_BYTES // 8,)})
    bomb = tmp_path / "bomb.hvrt"
    _rewrite(_small_model_file(tmp_path), bomb, "arrays/0.npy", lambda s: (s.write(header.getvalue()), _repeat(s, b"\0", _BOMB_BYTES)))
    assert bomb.stat().st_size < 200_000
    for read in (hvrt.load, model_info):
        # (on main: load reads the 100 MB member whole and numpy copies it; model_info passes)
        peak, message = _peak_while(lambda read=read: read(bomb))
        assert peak < 20_000_000
        assert re.search(r"'.*bomb\.hvrt' is not a valid hvrt model file: its members declare more bytes uncompressed "
                         r"than a model file of its size holds \(arrays/0\.npy alone 100,000,128, all 100,00\d,\d{3}: "
                         r"[\d,]+ times the file's [\d,]+ bytes, where a model file holds at most 500 times its size", message), message


def test_a_zip_bomb_manifest_is_refused_before_it_is_read(tmp_path: Path, monkeypatch) -> None:
    source = _small_model_file(tmp_path)
    text = zipfile.ZipFile(source).read(MANIFEST)
    bomb = tmp_path / "bomb.hvrt"
    # valid JSON: the manifest followed by 100 MB of spaces
    _rewrite(source, bomb, MANIFEST, lambda s: (s.write(text), _repeat(s, b" ", _BOMB_BYTES)))
    # (on main: both read and parse the 100 MB manifest, and load then loads the model)
    for read in (hvrt.load, model_info):
        peak, message = _peak_while(lambda read=read: read(bomb))
        assert peak < 20_000_000 and f"({MANIFEST} alone 100,00" in message, message
    # the manifest's own limit, below the compression limit: nothing of the member is read
    from hvrt import persistence

    monkeypatch.setattr(persistence, "MANIFEST_LIMIT", len(text) - 1)
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("a member was read"))
    with pytest.raises(ModelFileError, match=rf"'.*ok\.hvrt' is not a valid hvrt model file: its hvrt-model\.json "
                                             rf"declares {len(text):,} bytes, more than the {len(text) - 1:,} a model's manifest may hold"):
        model_info(source)


def test_real_model_files_are_far_below_the_limits(tmp_path: Path) -> None:
    # the worst ratio hvrt.save writes: a constant column labels every row 0 (229 times at level 1)
    X = pd.DataFrame({"a": np.ones(200_000)})
    path = hvrt.save(HVRTPartitioner(max_leaf_nodes=4).fit(X), tmp_path / "constant.hvrt")
    with zipfile.ZipFile(path) as archive:
        declared = sum(info.file_size for info in archive.infolist())
    assert 100 < declared / path.stat().st_size < 250
    assert np.array_equal(hvrt.load(path).labels_, np.zeros(len(X)))


def test_a_member_declaring_more_bytes_than_it_holds_is_refused(tmp_path: Path) -> None:
    source = _small_model_file(tmp_path)
    for name in (MANIFEST, "arrays/0.npy"):
        forged = tmp_path / "forged.hvrt"
        forged.write_bytes(source.read_bytes())
        size = zipfile.ZipFile(source).getinfo(name).file_size
        _declare(forged, name, size + 1000)
        # (on main: the manifest's short read was taken as the whole manifest, and the model loaded)
        pattern = (rf"'.*forged\.hvrt' is not a valid hvrt model file: {re.escape(name)} holds {size:,} bytes but its zip "
                   rf"entry declares {size + 1000:,}" if name == MANIFEST else r"arrays/0\.npy claims an array")
        for read in (hvrt.load, model_info) if name == MANIFEST else (hvrt.load,):
            with pytest.raises(ModelFileError, match=pattern):
                read(forged)


def test_a_member_holding_more_than_it_declares_is_cut_at_its_declared_size(tmp_path: Path) -> None:
    # 100 MB of zeros declaring 1,000 bytes: zipfile stops decompressing at the declared size,
    # where the CRC of what was read does not match, so nothing near 100 MB is allocated
    forged = tmp_path / "forged.hvrt"
    text = zipfile.ZipFile(_small_model_file(tmp_path)).read(MANIFEST)
    _rewrite(tmp_path / "ok.hvrt", forged, MANIFEST, lambda s: (s.write(text), _repeat(s, b" ", _BOMB_BYTES)))
    _declare(forged, MANIFEST, 1000)
    for read in (hvrt.load, model_info):
        peak, message = _peak_while(lambda read=read: read(forged))
        assert peak < 20_000_000
        assert re.search(r"'.*forged\.hvrt' is a damaged hvrt model file \(hvrt-model\.json: Bad CRC-32", message), message
