"""The demo job (``hvrt demo``, ``make demo``, ``python -m hvrt.demo``): the whole product on embedded data.

1. Generate 250,000 seeded rows (:func:`hvrt.datasets.make_demo_data`: numeric columns on
   different scales, a categorical, missing values, a non-linear target).
2. Partition them, printing the fit time and the partitions' quality, then the rules of the
   three largest partitions (:meth:`~hvrt.HVRTPartitioner.partition_rules`).
3. Fit a :class:`~hvrt.PartitionedRegressor` and a global Ridge on 80 % of the rows and print
   both holdout R².
4. Write the profiler's report of the partitions and print the path of ``report.html``.

Each step is one function of :func:`run`'s list, so a new step is one more function.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .datasets import make_demo_data
from .local_models import PartitionedRegressor
from .metrics import full_report, partition_quality
from .partitioner import HVRTPartitioner

DEMO_ROWS = 250_000
HOLDOUT_SHARE = 0.2


@dataclass
class DemoState:
    """What the steps of the demo hand each other."""

    X: pd.DataFrame
    y: pd.Series
    out: Path
    echo: Callable[[str], None]
    verbose: bool = False
    write_report: Callable[[pd.DataFrame, Any, Path], Path] | None = None
    partitioner: HVRTPartitioner | None = None
    results: dict[str, Any] = field(default_factory=dict)


def describe_data(state: DemoState) -> None:
    X = state.X
    numeric = X.select_dtypes("number")
    missing = {c: int(n) for c, n in X.isna().sum().items() if n}
    state.echo(f"H-VRT demo: {len(X):,} rows x {X.shape[1]} columns, target {state.y.name!r} (non-linear)")
    spans = ", ".join(f"{c} ~{np.nanmedian(numeric[c]):,.3g}" for c in numeric.columns)
    state.echo(f"  numeric on mixed scales (medians): {spans}")
    categorical = [c for c in X.columns if c not in numeric.columns]
    state.echo(f"  categorical: {', '.join(categorical)}; missing values: " +
               ", ".join(f"{c} {n:,}" for c, n in missing.items()))


def partition(state: DemoState) -> None:
    start = time.perf_counter()
    partitioner = HVRTPartitioner(verbose=state.verbose).fit(state.X, state.y)
    seconds = time.perf_counter() - start
    state.partitioner = partitioner
    quality = partition_quality(state.X, partitioner.labels_, y=state.y)
    report = full_report(state.X, partitioner.labels_)
    state.results.update(partition_seconds=seconds, quality=quality)
    state.echo("")
    state.echo(f"Partitioned into {partitioner.n_partitions_} partitions (engine {partitioner.engine_}) in {seconds:.2f} s")
    state.echo(f"  sizes: min {quality.min_size:.0f} / median {quality.median_size:.0f} / max {quality.max_size:.0f}"
               f" rows, {quality.n_singletons} single-row partitions")
    state.echo(f"  within-partition share of the scaled numeric columns' SSE: {quality.within_sse_ratio:.3f}"
               f" (1 = no better than one partition)")
    state.echo(f"  share of the variance of {state.y.name!r} explained by the partition means: {quality.y_r2:.3f}"
               f" (in-sample: {state.y.name!r} guided the partitions)")
    # a feature without an HHI (NaN: no spread in any partition) is not among the concentrated
    defined = [(name, feature) for name, feature in report.items() if not np.isnan(feature.variance_report.hhi)]
    concentrated = sorted(defined, key=lambda item: item[1].variance_report.hhi)[-3:][::-1]
    even = 1 / partitioner.n_partitions_
    state.echo(f"  most concentrated variance (HHI over partitions; 1/K = {even:.2g} would be perfectly even): "
               + ", ".join(f"{name} {feature.variance_report.hhi:.4f}" for name, feature in concentrated))


def largest_rules(state: DemoState) -> None:
    # Full precision: a rounded bound would move the rows within the rounding to a
    # neighbour, and each query must select exactly the n rows printed beside it.
    rules = state.partitioner.partition_rules(missing="fit")
    largest = rules.sort_values("n_samples", ascending=False, kind="stable").head(3)
    state.results["largest_rules"] = largest
    state.echo("")
    state.echo(
        "The three largest partitions, as pandas queries "
        '(partition_rules(); X.query(rule, engine="python") selects the n rows):'
    )
    for partition, row in largest.iterrows():
        state.echo(f"  {partition:>4}  n={row['n_samples']:,}  mean {state.y.name}={row['y_mean']:.3g}")
        state.echo(f"        {row['rule']}")


def local_models(state: DemoState) -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = state.X, state.y
    test = np.random.default_rng(0).random(len(X)) < HOLDOUT_SHARE
    X_train, X_test, y_train, y_test = X[~test], X[test], y[~test], y[test]
    numeric = list(X.select_dtypes("number").columns)
    categorical = [c for c in X.columns if c not in numeric]
    ridge = make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            (OneHotEncoder(handle_unknown="ignore"), categorical),
        ),
        Ridge(alpha=1.0),
    )
    start = time.perf_counter()
    ridge.fit(X_train, y_train)
    ridge_seconds = time.perf_counter() - start
    start = time.perf_counter()
    model = PartitionedRegressor(verbose=state.verbose).fit(X_train, y_train)
    model_seconds = time.perf_counter() - start
    ridge_r2, model_r2 = ridge.score(X_test, y_test), model.score(X_test, y_test)
    state.results.update(ridge_r2=ridge_r2, model_r2=model_r2)
    state.echo("")
    state.echo(f"Local models: holdout R² on {int(test.sum()):,} rows (trained on {int((~test).sum()):,})")
    state.echo(f"  PartitionedRegressor  {model_r2:.4f}  ({model.n_partitions_} partitions on the "
               f"{model.partition_on_}, shrinkage {model.shrinkage_:g}; fit {model_seconds:.1f} s)")
    state.echo(f"  global Ridge          {ridge_r2:.4f}  (fit {ridge_seconds:.1f} s)")


def profile_report(state: DemoState) -> None:
    start = time.perf_counter()
    labels = state.partitioner.labels_
    if state.write_report is None:
        from .profiler import PartitionProfiler

        PartitionProfiler(state.X, labels, output_path=state.out).run_profiling()
        report = state.out / "report.html"
    else:
        report = state.write_report(state.X, labels, state.out)
    state.results["report"] = report
    state.echo("")
    state.echo(f"Profiler report written in {time.perf_counter() - start:.1f} s: {report.resolve()}")


STEPS: list[Callable[[DemoState], None]] = [describe_data, partition, largest_rules, local_models, profile_report]


def run(
    out: str | Path = "hvrt-demo",
    *,
    n_samples: int = DEMO_ROWS,
    echo: Callable[[str], None] = print,
    write_report: Callable[[pd.DataFrame, Any, Path], Path] | None = None,
    verbose: bool = False,
) -> dict[str, Any]:
    """Run every step of the demo and return its figures.

    Parameters
    ----------
    out : str or Path, default="hvrt-demo"
        Folder of the profiler's report (created).
    n_samples : int, default=250000
        Rows of demo data.
    echo : callable, default=print
        Receives every line of the summary.
    write_report : callable, optional
        ``write_report(X, labels, out) -> path of report.html``; default: the profiler writes
        straight into ``out``.
    verbose : bool, default=False
        Let the estimators report their steps (see their ``verbose``).

    Returns
    -------
    dict
        ``partition_seconds``, ``quality``, ``ridge_r2``, ``model_r2``, ``report``, ``seconds``.
    """
    start = time.perf_counter()
    X, y = make_demo_data(n_samples=n_samples, random_state=0)
    state = DemoState(X, y, Path(out), echo, verbose, write_report)
    state.out.mkdir(parents=True, exist_ok=True)
    for step in STEPS:
        step(state)
    state.results["seconds"] = time.perf_counter() - start
    echo(f"Demo done in {state.results['seconds']:.1f} s.")
    return state.results


def main() -> None:
    """``python -m hvrt.demo``: the same as ``hvrt demo``."""
    run()


if __name__ == "__main__":
    main()
