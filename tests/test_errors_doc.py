"""docs/errors.md stays true: every row's input raises the documented error and message,
every row has a case here and every case a row, and every test the table names exists."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from hvrt import (
    DistributionAnalyzer,
    HVRTPartitioner,
    PartitionedRegressor,
    PartitionProfiler,
    calculate_feature_hhi_metric,
    full_report,
    grouped_stats,
    partition_quality,
)

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


def _categorical_fit() -> HVRTPartitioner:
    return HVRTPartitioner(max_leaf_nodes=4, categorical_features=["code"]).fit(_with(code=np.arange(60) % 4))


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
    "X10": lambda: HVRTPartitioner().fit(_with(b=X["b"] * 1e152)),
    "X11": lambda: HVRTPartitioner().fit(_with(b=X["b"] * 1e-200)),
    "X12": lambda: HVRTPartitioner().fit(_with(b=np.nan)),
    "X13": lambda: HVRTPartitioner(categorical_features=["a"]).fit(_with(code=list("ab") * 30)),
    "X14": lambda: HVRTPartitioner().fit(pd.DataFrame({"code": list("ab") * 30})),
    "X15": _one_hot_too_wide,
    "X16": lambda: HVRTPartitioner(categorical_features=["code"]).fit(_with(code=[1, "1"] * 30)),
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
    # labelling
    "L1": lambda: HVRTPartitioner().get_partitions(X),
    "L2": lambda: _fitted().get_partitions(X[["a"]]),
    "L3": lambda: _fitted().get_partitions(X.to_numpy()[:, :1]),
    "L4": lambda: _fitted().get_partitions(_with(b=np.r_[np.inf, np.ones(59)])),
    "L5": lambda: _categorical_fit().get_partitions(_with(code=list("abcd") * 15)),
    "L6": lambda: _fitted().get_feature_names_out(["a"]),
    # analysis tools: full_report, partition_quality, calculate_feature_hhi_metric, grouped_stats
    "A1": lambda: full_report(X, LABELS[:-1]),
    "A2": lambda: full_report(X, pd.Series(LABELS, index=X.index + 1)),
    "A3": lambda: full_report(X, np.r_[np.nan, LABELS[1:]]),
    "A4": lambda: full_report(X, np.ones((60, 2))),
    "A5": lambda: full_report(X, pd.Series([[0]] * 60)),
    "A6": lambda: full_report(X, "labels"),
    "A7": lambda: full_report(X, np.zeros(60)),
    "A8": lambda: full_report(_with(b=np.r_[np.inf, np.ones(59)]), LABELS),
    "A9": lambda: partition_quality(_with(b=X["b"] * 1e200), LABELS),
    "A10": lambda: partition_quality(pd.DataFrame({"code": list("ab") * 30}), LABELS),
    "A11": lambda: partition_quality(X, LABELS, y=np.array(["a"] * 60)),
    "A12": lambda: full_report(X, LABELS, stats="grouped"),
    "A13": lambda: full_report(X, LABELS, stats=grouped_stats(X.to_numpy()[:, :1], LABELS)),
    "A14": lambda: full_report(_with(b=X["b"] * 1e-200), LABELS),
    "A15": lambda: grouped_stats(X.to_numpy(), LABELS[:-1]),
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
    # plotting without the viz extra
    "V1": _without_matplotlib,
}


def documented_rows() -> list[dict[str, str]]:
    """The rows of every table in docs/errors.md whose first cell is an id such as ``P1``."""
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 5 and re.fullmatch(r"[A-Z]\d+", cells[0]):
            case_id, _, error, message, test = cells
            rows.append({"id": case_id, "error": error.strip("`"), "message": message, "test": test})
    return rows


ROWS = documented_rows()


def _message_start(cell: str) -> str:
    """The message column without its code quotes and the trailing ellipsis."""
    text = cell.strip()
    if text.startswith("`") and text.endswith("`"):
        text = text[1:-1]
    return text.removesuffix("...").replace("\\|", "|")


def test_every_row_has_a_case_and_every_case_a_row() -> None:
    ids = [row["id"] for row in ROWS]
    assert len(ids) == len(set(ids)), "an id is used twice in docs/errors.md"
    assert sorted(ids) == sorted(CASES)


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_each_documented_input_raises_the_documented_error(row: dict[str, str]) -> None:
    errors = {"ValueError": ValueError, "TypeError": TypeError, "NotFittedError": NotFittedError, "ImportError": ImportError}
    with pytest.raises(errors[row["error"]]) as raised:
        CASES[row["id"]]()
    assert type(raised.value).__name__ == row["error"]
    assert str(raised.value).startswith(_message_start(row["message"])), (str(raised.value), row["message"])


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
