"""docs/errors.md stays true: every row's input raises the documented error and message,
every row has a case here and every case a row, and every test the table names exists.

Command-line rows are the bad inputs of ``tests/test_cli.py`` (its ``bad_inputs``): they
are run here in a scratch folder, with paths relative to it, so the documented line is
compared whole; every case there has a row, and that test checks the exit code, the one
line and that nothing was written.
"""

from __future__ import annotations

import decimal
import json
import os
import pickle
import re
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import HuberRegressor, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import hvrt

from hvrt import (
    DistributionAnalyzer,
    HVRTPartitioner,
    PartitionedRegressor,
    PartitionProfiler,
    full_report,
    grouped_stats,
    partition_quality,
)
from hvrt.persistence import MANIFEST, ModelFileError, ModelVersionWarning, model_info
from tests import test_cli as cli_cases

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "errors.md"

_rng = np.random.default_rng(0)
X = pd.DataFrame(_rng.normal(size=(60, 2)), columns=["a", "b"])
LABELS = np.arange(60) % 3
Y = X["a"] * 2.0


def _with(**columns) -> pd.DataFrame:
    return X.assign(**columns)


def _fitted(**params) -> HVRTPartitioner:
    return HVRTPartitioner(max_leaf_nodes=4, **params).fit(X)


def _polars_output(model: HVRTPartitioner) -> HVRTPartitioner:
    model._sklearn_output_config = {"transform": "polars"}  # (set_output checks that polars is installed)
    return model


def _lazy_frame():
    polars = pytest.importorskip("polars")
    return polars.from_pandas(X).lazy()


def _categorical_fit() -> HVRTPartitioner:
    return HVRTPartitioner(max_leaf_nodes=4, categorical_features=["code"]).fit(_with(code=np.arange(60) % 4))


def _stores(levels: int, n_rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A numeric column and a categorical of ``levels`` stores, every store present."""
    frame = pd.DataFrame({"a": np.arange(n_rows) % 7.0, "store": [f"s{i % levels}" for i in range(n_rows)]})
    return frame, np.arange(n_rows) % 11.0


class _FailingScaler(StandardScaler):
    def fit_transform(self, X, y=None, **params):
        raise RuntimeError("no")


class _NarrowScaler(StandardScaler):
    def fit_transform(self, X, y=None, **params):
        return np.zeros((len(X), 1))


def _one_hot_too_wide() -> None:
    import hvrt._preprocessing as preprocessing

    original = preprocessing._physical_memory_bytes
    preprocessing._physical_memory_bytes = lambda: 1000  # a machine with 1 kB of memory
    try:
        HVRTPartitioner(max_leaf_nodes=4).fit(_with(code=[f"c{i}" for i in range(60)]))
    finally:
        preprocessing._physical_memory_bytes = original


def _without_matplotlib() -> None:
    from hvrt._compat import import_matplotlib

    saved = sys.modules.get("matplotlib")
    sys.modules["matplotlib"] = None  # import fails as if not installed
    try:
        import_matplotlib()
    finally:
        if saved is None:
            sys.modules.pop("matplotlib")
        else:
            sys.modules["matplotlib"] = saved


def _partition(**params) -> Callable[[], object]:
    return lambda: HVRTPartitioner(**params).fit(X)


def _without(module: str, load: Callable[[], object]) -> Callable[[], object]:
    """``load`` run as if ``module`` were not installed."""

    def call() -> object:
        saved = {name: sys.modules.get(name) for name in (module, f"{module}.parquet")}
        for name in saved:
            sys.modules[name] = None  # import fails as if not installed
        try:
            return load()
        finally:
            for name, value in saved.items():
                if value is None:
                    sys.modules.pop(name)
                else:
                    sys.modules[name] = value

    return call


# ----------------------------------------------------------------------------- model files


@contextmanager
def _scratch_folder() -> Iterator[Path]:
    """A fresh temporary working folder, so paths in messages are short and fixed."""
    before = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(before)


def _rewritten(source: str, target: str, change: Callable[[str, bytes], bytes]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.namelist():
            new.writestr(item, change(item, old.read(item)))


def _manifest_edit(**changes) -> Callable[[str, bytes], bytes]:
    def change(item: str, content: bytes) -> bytes:
        if item != MANIFEST:
            return content
        manifest = json.loads(content)
        for key, value in changes.items():
            if value is None:
                manifest.pop(key)
            else:
                manifest[key] = value
        return json.dumps(manifest).encode()

    return change


def _model_file(name: str) -> str:
    """Write the model file ``name`` describes into the working folder; return its name."""
    model = HVRTPartitioner(max_leaf_nodes=4, engine="exact").fit(X)
    hvrt.save(model, "model.hvrt")
    if name == "model.pkl":
        Path(name).write_bytes(pickle.dumps({"a": 1}))
    elif name == "notes.txt":
        Path(name).write_text("hello")
    elif name == "arrays.npz":
        np.savez(name, a=np.arange(3))
    elif name == "future.hvrt":
        _rewritten("model.hvrt", name, _manifest_edit(format_version=5, hvrt_version="9.0"))
    elif name == "old_sklearn.hvrt":
        _rewritten("model.hvrt", name, _manifest_edit(written_with={"numpy": np.__version__, "pandas": pd.__version__, "scikit-learn": "1.3.0"}))
    elif name == "older.hvrt":
        _rewritten("model.hvrt", name, _manifest_edit(hvrt_version="0.1.0"))
    elif name == "unknown.hvrt":
        _rewritten("model.hvrt", name, _manifest_edit(kind="Pipeline"))
    elif name == "unversioned.hvrt":
        _rewritten("model.hvrt", name, _manifest_edit(hvrt_version=None))
    elif name == "untrusted.hvrt":
        _rewritten("model.hvrt", name, _manifest_edit(model={"$object": "os.system", "state": None}))
    elif name == "pickled_array.hvrt":

        def pickled(item: str, content: bytes) -> bytes:
            if item != "arrays/0.npy":
                return content
            with tempfile.TemporaryFile() as buffer:
                np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
                buffer.seek(0)
                return buffer.read()

        _rewritten("model.hvrt", name, pickled)
    elif name == "forged.hvrt":
        model.get_tree().tree_.children_left[0] = 10**9  # labelling would read far outside the nodes
        hvrt.save(model, name)
    elif name == "forged_labels.hvrt":
        model._leaf_to_label = model._leaf_to_label[:2]  # labelling would read past its end
        hvrt.save(model, name)
    elif name == "damaged.hvrt":
        raw = bytearray(Path("model.hvrt").read_bytes())
        with zipfile.ZipFile("model.hvrt") as archive:
            start = archive.getinfo("arrays/1.npy").header_offset
        raw[start : start + 40] = bytes(40)
        Path(name).write_bytes(bytes(raw))
    elif name == "huge_array.hvrt":  # a forged .npy header: 29 TiB claimed, 16 bytes held
        header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000000,), }"
        header += b" " * (118 - len(header)) + b"\n"
        npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(16)
        _rewritten("model.hvrt", name, lambda item, content: npy if item == "arrays/0.npy" else content)
    elif name == "bomb.hvrt":  # a zip bomb: 70 MB of zeros in a .npy member, deflated to 70 kB
        with zipfile.ZipFile("model.hvrt") as old, zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new:
            for item in old.namelist():
                if item != "arrays/0.npy":
                    new.writestr(item, old.read(item))
                    continue
                with new.open(item, "w", force_zip64=True) as stream:
                    np.lib.format.write_array_header_1_0(stream, {"descr": "<f8", "fortran_order": False, "shape": (70 * 2**17,)})
                    for _ in range(70):
                        stream.write(bytes(2**20))
    elif name == "truncated.hvrt":  # an interrupted copy
        Path(name).write_bytes(Path("model.hvrt").read_bytes()[:1000])
    elif name == "empty.hvrt":
        Path(name).write_bytes(b"")
    return name


def _in_scratch(call: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        with _scratch_folder():
            return call()

    return run


def _load(name: str) -> Callable[[], object]:
    return _in_scratch(lambda: hvrt.load(_model_file(name)))


def _saving(model: Callable[[], object], path: str = "m.hvrt", **options) -> Callable[[], object]:
    return _in_scratch(lambda: hvrt.save(model(), path, **options))


# ----------------------------------------------------------------------------- Dask


def _dask():
    da = pytest.importorskip("dask.array")
    dd = pytest.importorskip("dask.dataframe")
    return da, dd


def _dask_x():
    da, _ = _dask()
    return da.from_array(X.to_numpy(), chunks=(20, 2))


def _dask_y(values: np.ndarray | None = None):
    da, _ = _dask()
    return da.from_array(Y.to_numpy() if values is None else values, chunks=20)


def _dask_labels(values: np.ndarray = LABELS):
    da, _ = _dask()
    return da.from_array(values, chunks=20)


def _dask_frame():
    _, dd = _dask()
    return dd.from_pandas(_with(code=list("ab") * 30), npartitions=3)


def _dask_from_parts(parts: list[pd.DataFrame], meta: pd.DataFrame):
    """A dask frame of these pandas parts whose metadata is ``meta`` (as over files of differing schemas)."""
    dask = pytest.importorskip("dask")
    _, dd = _dask()
    return dd.from_delayed([dask.delayed(lambda p=p: p)() for p in parts], meta=meta, verify_meta=False)


def _centred_on_the_rows_given(values: np.ndarray) -> np.ndarray:
    """A scaler's function whose output depends on which rows it is given (K23)."""
    return values - values.mean(axis=0)


def _dask_made_text(values: pd.Series):
    """``dd.from_pandas`` of Python objects under Dask's ``dataframe.convert-string`` (its default)."""
    dask = pytest.importorskip("dask")
    _, dd = _dask()
    with dask.config.set({"dataframe.convert-string": True}):
        return dd.from_pandas(values, npartitions=3)


def _dask_fit(**params) -> Callable[..., object]:
    _dask()
    from hvrt.dask import DaskHVRTPartitioner

    return lambda *args, **kwargs: DaskHVRTPartitioner(max_leaf_nodes=4, **params).fit(*args, **kwargs)


def _dask_regress(**params) -> Callable[..., object]:
    _dask()
    from hvrt.dask import DaskPartitionedRegressor

    return lambda *args, **kwargs: DaskPartitionedRegressor(**params).fit(*args, **kwargs)


def _dask_tool(name: str) -> Callable[..., object]:
    _dask()
    import hvrt.dask

    return getattr(hvrt.dask, name)


class CliCase(str):
    """A documented command-line row: the name of its case in ``tests/test_cli.py``."""


# One case per row of docs/errors.md, by its id.
CASES: dict[str, Callable[[], object]] = {
    # HVRTPartitioner parameters
    "P1": _partition(max_leaf_nodes=1),
    "P2": _partition(target="mean"),
    "P3": _partition(y_weight=2.0),
    "P4": _partition(weights=[1.0]),
    "P5": _partition(weights={"z": 1.0}),
    "P6": lambda: HVRTPartitioner(weights={"code": 1.0}, categorical_features=["code"]).fit(_with(code=list("ab") * 30)),
    "P7": _partition(weights={"a": np.nan}),
    "P8": _partition(scaler="standard"),
    "P9": _partition(scaler=_FailingScaler()),
    "P10": _partition(scaler=_NarrowScaler()),
    "P11": _partition(min_variance_reduction=1.0),
    "P12": _partition(min_samples_leaf=0),
    "P13": _partition(max_depth=0),
    "P14": _partition(impute="yes"),
    "P15": _partition(category_encoding="onehot"),
    "P16": _partition(engine="gpu"),
    "P17": _partition(max_samples=1.5),
    "P18": _partition(random_state="seed"),
    "P19": _partition(categorical_features="code"),
    "P20": _partition(categorical_features=[5]),
    "P21": _partition(categorical_features=["code"]),
    "P22": lambda: HVRTPartitioner(engine="exact", category_encoding="native").fit(X),
    "P23": lambda: HVRTPartitioner(weights={0: 1.0, "0": 2.0}).fit(X.set_axis([0, 1], axis=1)),
    "P24": lambda: HVRTPartitioner(min_impurity_reduction=0.01),
    "P25": lambda: HVRTPartitioner().set_params(min_impurity_reduction=0.01),
    "P26": lambda: HVRTPartitioner(categorical_features=[0]).fit(X.set_axis([1, 0], axis=1)),
    "P27": lambda: HVRTPartitioner(max_leaf_nodes=3, engine="hist").fit(_with(code=list("pqrs") * 15)),
    # X at fit
    "X1": lambda: HVRTPartitioner().fit(sp.csr_matrix(np.ones((4, 2)))),
    "X2": lambda: HVRTPartitioner().fit(X["a"]),
    "X3": lambda: HVRTPartitioner().fit(np.ones(4)),
    "X4": lambda: HVRTPartitioner().fit(np.ones((4, 2)) * 1j),
    "X5": lambda: HVRTPartitioner().fit(X.iloc[:0]),
    "X6": lambda: HVRTPartitioner().fit(X.iloc[:, :0]),
    "X7": lambda: HVRTPartitioner().fit(pd.DataFrame(np.ones((4, 2)), columns=[1, "1"])),
    "X8": lambda: HVRTPartitioner().fit(np.array([[1.0, {}], [2.0, {}]], dtype=object)),
    "X9": lambda: HVRTPartitioner().fit(_with(b=np.r_[np.inf, np.ones(59)])),
    "X10": lambda: HVRTPartitioner().fit(_with(b=np.r_[2e152, np.ones(59)])),
    "X11": lambda: HVRTPartitioner().fit(_with(b=np.r_[5e-200, np.full(59, 1e-200)])),
    "X12": lambda: HVRTPartitioner().fit(_with(b=np.nan)),
    "X13": lambda: HVRTPartitioner(categorical_features=["a"]).fit(_with(code=list("ab") * 30)),
    "X14": lambda: HVRTPartitioner().fit(pd.DataFrame({"code": list("ab") * 30})),
    "X15": _one_hot_too_wide,
    "X16": lambda: HVRTPartitioner(categorical_features=["code"]).fit(_with(code=[1, "1"] * 30)),
    "X17": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(
        _with(day=pd.Series(pd.date_range("2024-01-01", periods=60, freq="D")).dt.date)
    ),
    "X18": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(_with(tags=[["x"]] * 60)),
    "X19": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(_lazy_frame()),
    "X20": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(
        _with(d=pd.Series(pd.date_range("2024-01-01", periods=60, freq="D")).astype("datetime64[s]").where(
            np.arange(60) > 0, pd.Timestamp("9999-12-31")))
    ),
    "X21": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(
        _with(when=pd.Series([pd.Timestamp("2024-01-01", tz="UTC")] * 59 + [pd.Timestamp("2024-01-02")], dtype=object))
    ),
    "X22": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(
        _with(b=pd.Series(["unknown", *X["b"].iloc[1:]], dtype=object))
    ),
    "X23": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(_dask()[1].from_pandas(X, npartitions=3)),
    "X24": lambda: HVRTPartitioner(categorical_features=["code"]).fit(_with(code=pd.Series([1 + 1j, 2] * 30, dtype=object))),
    "X25": lambda: HVRTPartitioner(categorical_features=["code"]).fit(
        _with(code=pd.Series(["x", decimal.Decimal("0.1"), decimal.Decimal("0.1000000000000000001")] * 20, dtype=object))
    ),
    "X26": lambda: HVRTPartitioner(max_leaf_nodes=4, categorical_features=["code"]).fit(
        _with(code=pd.Series([2**60 + 1, None] * 30, dtype=object))
    ),
    "X27": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(_with(id=2**60 + np.arange(60))),
    "X28": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(
        _with(price=pd.Series([decimal.Decimal("0.1234567890123456789") + i for i in range(60)], dtype=object))
    ),
    "X29": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(_with(c=1e12 + 1e-3 * X["a"])),
    # y at fit
    "Y1": lambda: HVRTPartitioner().fit(X, "a"),
    "Y2": lambda: HVRTPartitioner().fit(X, np.ones((60, 1, 1))),
    "Y3": lambda: HVRTPartitioner().fit(X, sp.csr_matrix(np.ones((60, 1)))),
    "Y4": lambda: HVRTPartitioner().fit(X, np.ones(59)),
    "Y5": lambda: HVRTPartitioner().fit(X, Y.set_axis(X.index + 1)),
    "Y6": lambda: HVRTPartitioner().fit(X, np.array(["a"] * 60)),
    "Y7": lambda: HVRTPartitioner().fit(X, np.r_[np.inf, np.ones(59)]),
    "Y8": lambda: HVRTPartitioner().fit(X, np.full(60, np.nan)),
    "Y9": lambda: HVRTPartitioner().fit(X, Y * 1e160),
    "Y10": lambda: HVRTPartitioner(max_leaf_nodes=4, y_weight=0.5).fit(X, 2**60 + np.arange(60)),
    "Y11": lambda: HVRTPartitioner(max_leaf_nodes=4, y_weight=0.5).fit(X, 1e12 + 1e-3 * Y.to_numpy()),
    # labelling
    "L1": lambda: HVRTPartitioner().get_partitions(X),
    "L2": lambda: _fitted().get_partitions(X[["a"]]),
    "L3": lambda: _fitted().get_partitions(X.to_numpy()[:, :1]),
    "L4": lambda: _fitted().get_partitions(_with(b=np.r_[np.inf, np.ones(59)])),
    "L5": lambda: _categorical_fit().get_partitions(_with(code=list("abcd") * 15)),
    "L6": lambda: _fitted().get_feature_names_out(["a"]),
    "L7": lambda: _fitted().get_partitions(_with(b=np.r_[2e152, np.ones(59)])),
    "L8": lambda: _fitted().get_partitions(_with(b=pd.date_range("2024-01-01", periods=60, freq="D"))),
    "L10": lambda: _fitted().get_partitions(_with(b=["abc"] + ["1"] * 59)),
    "L11": lambda: _polars_output(_fitted()).transform(X),
    "L12": lambda: HVRTPartitioner(max_leaf_nodes=4, categorical_features=["code"])
    .fit(_with(code=list("abcd") * 15))
    .get_partitions(_with(code=[c.encode() for c in "abcd" * 15])),
    "L9": lambda: HVRTPartitioner(max_leaf_nodes=4)
    .fit(_with(when=pd.date_range("2024-01-01", periods=60, freq="D")))
    .get_partitions(_with(when=pd.date_range("2024-01-01", periods=60, freq="D", tz="Europe/Berlin"))),
    # analysis tools: full_report, partition_quality, calculate_feature_hhi_metric, grouped_stats
    "A1": lambda: full_report(X, LABELS[:-1]),
    "A2": lambda: full_report(X, pd.Series(LABELS, index=X.index + 1)),
    "A3": lambda: full_report(X, np.r_[np.nan, LABELS[1:]]),
    "A4": lambda: full_report(X, np.ones((60, 2))),
    "A5": lambda: full_report(X, pd.Series([[0]] * 60)),
    "A6": lambda: full_report(X, "labels"),
    "A7": lambda: full_report(X, np.zeros(60)),
    "A8": lambda: full_report(_with(b=np.r_[np.inf, np.ones(59)]), LABELS),
    "A9": lambda: partition_quality(_with(b=np.r_[2e152, np.ones(59)]), LABELS),
    "A10": lambda: partition_quality(pd.DataFrame({"code": list("ab") * 30}), LABELS),
    "A11": lambda: partition_quality(X, LABELS, y=np.array(["a"] * 60)),
    "A12": lambda: full_report(X, LABELS, stats="grouped"),
    "A13": lambda: full_report(X, LABELS, stats=grouped_stats(X.to_numpy()[:, :1], LABELS)),
    "A14": lambda: full_report(_with(b=np.r_[5e-200, np.full(59, 1e-200)]), LABELS),
    "A15": lambda: grouped_stats(X.to_numpy(), LABELS[:-1]),
    "A16": lambda: full_report(X, LABELS, stats=grouped_stats(X.to_numpy(), np.arange(60) % 4)),
    "A17": lambda: full_report(X, LABELS, stats=grouped_stats(X[["b", "a"]].to_numpy(), LABELS)),
    "A18": lambda: full_report(X, LABELS, variance_proportions="no"),
    "A19": lambda: full_report(X, np.r_[LABELS[:-1], 2.5]),
    # DistributionAnalyzer
    "D1": lambda: DistributionAnalyzer(X, LABELS, method="normal"),
    "D2": lambda: DistributionAnalyzer(X, LABELS, grid_size=10),
    "D3": lambda: DistributionAnalyzer(X, LABELS).score("a"),
    "D4": lambda: DistributionAnalyzer(_with(code=list("ab") * 30), LABELS).fit().score("code"),
    "D5": lambda: DistributionAnalyzer(X, LABELS).fit().score("z"),
    "D6": lambda: DistributionAnalyzer(X, LABELS, data=X),
    "D7": lambda: DistributionAnalyzer(X),
    "D8": lambda: DistributionAnalyzer(_with(b=np.nan), LABELS).fit().score("b"),
    # PartitionProfiler
    "F1": lambda: PartitionProfiler(X, LABELS, plot_threshold=2.5),
    "F2": lambda: PartitionProfiler(X, LABELS, plot_threshold=0),
    "F3": lambda: PartitionProfiler(X, LABELS, output_path=3),
    "F4": lambda: PartitionProfiler(X, np.zeros(60, dtype=int)),
    "F5": lambda: PartitionProfiler(pd.DataFrame({"code": list("ab") * 30}), LABELS).run_profiling(),
    "F6": _in_scratch(lambda: (Path("out/report.html").mkdir(parents=True), PartitionProfiler(X, LABELS, output_path="out").run_profiling())),
    # PartitionedRegressor
    "R1": lambda: PartitionedRegressor().fit(X, None),
    "R2": lambda: PartitionedRegressor().fit(X, "a"),
    "R3": lambda: PartitionedRegressor().fit(X, np.array(["a"] * 60)),
    "R4": lambda: PartitionedRegressor().fit(X, np.r_[np.nan, Y.to_numpy()[1:]]),
    "R5": lambda: PartitionedRegressor().fit(X, Y, sample_weight=-np.ones(60)),
    "R6": lambda: PartitionedRegressor().fit(X, Y, sample_weight=np.zeros(60)),
    "R7": lambda: PartitionedRegressor(partitioner="hvrt").fit(X, Y),
    "R8": lambda: PartitionedRegressor(partition_on="z").fit(X, Y),
    "R9": lambda: PartitionedRegressor(alpha=-1.0).fit(X, Y),
    "R10": lambda: PartitionedRegressor(shrinkage="strong").fit(X, Y),
    "R11": lambda: PartitionedRegressor(clip="x").fit(X, Y),
    "R12": lambda: PartitionedRegressor(estimator="ridge").fit(X, Y),
    "R13": lambda: PartitionedRegressor().predict(X),
    "R14": lambda: PartitionedRegressor().fit(*_stores(70, 300)),
    "R15": lambda: PartitionedRegressor(
        HVRTPartitioner(max_leaf_nodes=None, min_samples_leaf=1, category_encoding="ohe")
    ).fit(*_stores(200, 2000)),
    "R16": lambda: PartitionedRegressor().fit(X, Y, sample_weight=np.full(60, 1e200)),
    "R17": lambda: PartitionedRegressor().fit(X, np.r_[2e152, Y.to_numpy()[1:]]),
    "R18": lambda: PartitionedRegressor().fit(X, np.linspace(-2e-200, 2e-200, 60)),
    "R19": lambda: PartitionedRegressor().fit(X, Y, sample_weight=np.array(["1.5"] * 60)),
    "R20": lambda: PartitionedRegressor(estimator=KNeighborsRegressor()).fit(X, Y, sample_weight=np.ones(60)),
    "R21": lambda: PartitionedRegressor(partition_on="y").fit(X, 1e12 + 1e-3 * Y),
    "R22": lambda: PartitionedRegressor().fit(X.assign(a=1e15 + X["a"]), Y),
    "R23": lambda: PartitionedRegressor().fit(X, Y + 1j),
    "R24": lambda: PartitionedRegressor(HVRTPartitioner(y_weight=0.0), partition_on="y").fit(X, Y),
    # partition rules
    "E1": lambda: _fitted().partition_rules(precision=0),
    "E2": lambda: _fitted().export_rules(missing="some"),
    "E3": lambda: HVRTPartitioner().partition_rules(),
    "E4": lambda: HVRTPartitioner(max_leaf_nodes=4).fit(X.rename(columns={"a": "inf"})).partition_rules(),
    "E5": lambda: HVRTPartitioner(max_leaf_nodes=4, y_weight=1.0)
    .fit(_with(code=[decimal.Decimal("0.1"), "x"] * 30), np.tile([0.0, 5.0], 30))
    .partition_rules(),
    "E6": lambda: HVRTPartitioner(max_leaf_nodes=4, y_weight=1.0)
    .fit(_with(code=[b"ab", "ab"] * 30), np.tile([0.0, 5.0], 30))
    .partition_rules(),
    "E7": lambda: HVRTPartitioner(max_leaf_nodes=4, y_weight=1.0)
    .fit(_with(code=[b"\xff", b"ab"] * 30), np.tile([0.0, 5.0], 30))
    .partition_rules(),
    # model files
    "M1": _saving(lambda: Ridge()),
    "M2": _saving(lambda: HVRTPartitioner(max_leaf_nodes=4, scaler=FunctionTransformer()).fit(X)),
    "M3": _saving(lambda: PartitionedRegressor(estimator=HuberRegressor()).fit(X, Y)),
    "M4": _saving(lambda: HVRTPartitioner(max_leaf_nodes=4, random_state=np.random.RandomState(0)).fit(X)),
    "M5": _saving(lambda: HVRTPartitioner(), metadata=["a"]),
    "M6": _saving(lambda: HVRTPartitioner(), metadata={"a": np.nan}),
    "M7": _saving(lambda: HVRTPartitioner(), path="."),
    "M8": _saving(lambda: HVRTPartitioner(), path="no/m.hvrt"),
    "M9": lambda: hvrt.load(3),
    "M10": _in_scratch(lambda: hvrt.load("absent.hvrt")),
    "M11": _in_scratch(lambda: model_info(".")),
    "M12": _load("model.pkl"),
    "M13": _load("notes.txt"),
    "M14": _load("arrays.npz"),
    "M15": _load("future.hvrt"),
    "M16": _in_scratch(lambda: model_info(_model_file("unknown.hvrt"))),
    "M17": _load("unversioned.hvrt"),
    "M18": _load("untrusted.hvrt"),
    "M19": _load("pickled_array.hvrt"),
    "M20": _load("forged.hvrt"),
    "M21": _load("damaged.hvrt"),
    "M22": _load("older.hvrt"),
    "M23": _load("forged_labels.hvrt"),
    "M24": _load("truncated.hvrt"),
    "M25": _load("empty.hvrt"),
    "M26": _saving(lambda: HVRTPartitioner(max_leaf_nodes=4, categorical_features=["tags"]).fit(
        _with(tags=pd.Series([frozenset({i % 2}) for i in range(60)], dtype=object))
    )),
    "M27": _in_scratch(lambda: (os.mkfifo("pipe"), hvrt.load("pipe"))),
    "M28": _load("huge_array.hvrt"),
    "M30": _load("bomb.hvrt"),
    "M31": _load("old_sklearn.hvrt"),
    "M29": lambda: hvrt.load(ROOT / "tests" / "data" / "fe13466_int_keys" / "twin.hvrt"),
    # Dask
    "K1": lambda: _dask_fit()(X),
    "K2": lambda: _dask_fit()(_dask_y()),
    "K3": lambda: _dask_fit()(_dask_x().rechunk((20, 1))),
    "K4": lambda: _dask_fit()(_dask_x().astype(str)),
    "K5": lambda: _dask_fit()(_dask_x(), Y.to_numpy()),
    "K6": lambda: _dask_regress()(_dask_frame(), _dask_frame()["code"]),
    "K7": lambda: _dask_fit()(_dask_x(), _dask_x()[:, :, None]),
    "K8": lambda: _dask_regress()(_dask_x(), _dask_y(), sample_weight=_dask_y()[:-1]),
    "K9": lambda: _dask_fit()(_dask_x(), route="fast"),
    "K10": lambda: _dask_fit(engine="exact")(_dask_x(), route="hist"),
    "K11": lambda: _dask_fit()(_dask_x()).transform(_dask_x()),
    "K13": lambda: _dask_regress()(_dask_x(), None),
    "K14": lambda: _dask_regress(shrinkage=1.0, partition_on="X")(_dask_x(), _dask_x()),
    "K15": lambda: _dask_regress(shrinkage=1.0, partition_on="X")(_dask_x(), _dask_y(np.r_[np.nan, Y.to_numpy()[1:]])),
    "K16": lambda: _dask_tool("full_report")(_dask_x(), LABELS),
    "K17": lambda: _dask_tool("full_report")(_dask_x(), _dask_labels(np.c_[LABELS, LABELS])),
    "K18": lambda: _dask_tool("partition_quality")(_dask_x(), _dask_labels(), _dask_x()),
    "K19": lambda: _dask_tool("full_report")(_dask_x()[:0], _dask_labels()[:0]),
    "K20": lambda: _dask_fit(engine="hist", category_encoding="native")(_dask_frame()),
    "K21": lambda: _dask_fit()(_dask()[1].from_pandas(_with(code=[str(i % 4) for i in range(60)]), npartitions=3)),
    "K22": lambda: _dask_tool("full_report")(
        _dask()[1].from_pandas(X, npartitions=3), _dask()[1].from_pandas(pd.Series(LABELS, index=X.index + 100), npartitions=3)
    ),
    "K23": lambda: _dask_fit(scaler=FunctionTransformer(_centred_on_the_rows_given))(_dask_x()),
    "K24": lambda: _dask_fit()(_dask_x(), _dask_y(Y.to_numpy() + 1j)),
    "K26": lambda: _dask_fit()(_dask_from_parts([X.iloc[:30], X.iloc[30:].astype({"a": bool})], X.iloc[:0])),
    "K27": lambda: _dask_fit()(_dask_from_parts([X.iloc[:30], X.iloc[30:].astype({"a": object}).assign(a="n/a")], X.iloc[:0])),
    "K25": lambda: _dask_fit()(_dask_frame(), _dask()[1].from_pandas(pd.DataFrame(index=X.index), npartitions=3)),
    "K28": lambda: _dask_tool("full_report")(_dask_x(), _dask_made_text(pd.Series(LABELS.astype(object)))),
    # optional extras
    "V1": _without_matplotlib,
    "V2": _without("pyarrow", lambda: __import__("hvrt._compat", fromlist=["x"]).import_pyarrow()),
    "V3": _without("dask", lambda: __import__("hvrt._compat", fromlist=["x"]).import_dask()),
}
# The command line: the row id -> the name of its case in tests/test_cli.py's bad_inputs.
CLI_ROWS = dict(enumerate(cli_cases.CASES, start=1))
CASES.update({f"C{i}": CliCase(name) for i, name in CLI_ROWS.items()})


def documented_rows() -> list[dict[str, str]]:
    """The rows of every table in docs/errors.md whose first cell is an id such as ``P1``."""
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 5 and re.fullmatch(r"[A-Z]\d+", cells[0]):
            case_id, given, error, message, test = cells
            rows.append({"id": case_id, "input": given, "error": error.strip("`"), "message": message, "test": test})
    return rows


ROWS = documented_rows()


def _message_start(cell: str) -> str:
    """The message column without its code quotes and the trailing ellipsis."""
    text = cell.strip()
    if text.startswith("`` ") and text.endswith(" ``"):  # a message that holds a backtick
        text = text[3:-3]
    elif text.startswith("`") and text.endswith("`"):
        text = text[1:-1]
    return text.removesuffix("...").replace("\\|", "|")


def test_every_row_has_a_case_and_every_case_a_row() -> None:
    ids = [row["id"] for row in ROWS]
    assert len(ids) == len(set(ids)), "an id is used twice in docs/errors.md"
    assert sorted(ids) == sorted(CASES)


@pytest.fixture(scope="module")
def cli_runs() -> tuple[dict[str, list], dict[str, tuple[int, str]]]:
    """Each command-line case's arguments, and its exit code and stderr, run in a scratch folder."""
    with _scratch_folder():
        cli_cases.make_table().to_csv("data.csv", index=False)
        inputs = cli_cases.bad_inputs(Path("."), Path("data.csv"))
        results = {}
        for name in cli_cases.CASES:
            result = cli_cases.run(*inputs[name][0])
            results[name] = (result.exit_code, result.stderr)
    return {name: args for name, (args, _) in inputs.items()}, results


@pytest.fixture(scope="module")
def cli_commands(cli_runs) -> dict[str, list]:
    return cli_runs[0]


@pytest.fixture(scope="module")
def cli_lines(cli_runs) -> dict[str, tuple[int, str]]:
    return cli_runs[1]


ERRORS = {
    "ValueError": ValueError,
    "TypeError": TypeError,
    "NotFittedError": NotFittedError,
    "ImportError": ImportError,
    "ModelFileError": ModelFileError,
    "FileNotFoundError": FileNotFoundError,
    "IsADirectoryError": IsADirectoryError,
}
WARNINGS = {"ModelVersionWarning": ModelVersionWarning, "UserWarning": UserWarning}


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_each_documented_input_raises_the_documented_error(row: dict[str, str], request: pytest.FixtureRequest) -> None:
    case = CASES[row["id"]]
    expected = _message_start(row["message"])
    if isinstance(case, CliCase):
        command = " ".join(str(a) for a in request.getfixturevalue("cli_commands")[case])
        assert row["input"].startswith(f"`hvrt {command}`"), (row["input"], command)
        code, stderr = request.getfixturevalue("cli_lines")[case]
        assert row["error"] == f"exit {code}", (row["error"], code)
        assert len(stderr.splitlines()) == 1 and stderr.startswith(expected), (stderr, row["message"])
        return
    if row["error"] in WARNINGS:
        with pytest.warns(WARNINGS[row["error"]]) as caught:
            case()
        messages = [str(w.message) for w in caught if type(w.message).__name__ == row["error"]]
        assert any(m.startswith(expected) for m in messages), (messages, row["message"])
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelVersionWarning)
        with pytest.raises(ERRORS[row["error"]]) as raised:
            case()
    assert type(raised.value).__name__ == row["error"]
    assert str(raised.value).startswith(expected), (str(raised.value), row["message"])


def test_every_named_test_exists() -> None:
    for row in ROWS:
        for reference in re.findall(r"`([^`]+)`", row["test"]):
            path, _, name = reference.partition("::")
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {re.escape(name.split('[')[0])}\(", source, re.M), reference


def test_readme_errors_section_links_here() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Errors") :]
    section = section[: section.index("\n## ")]
    assert "(docs/errors.md)" in section
