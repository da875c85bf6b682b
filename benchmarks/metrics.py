"""Metrics benchmark: full_report against the predecessor's per-partition masked loop.

Run from the repository root::

    python -m benchmarks.metrics                      # 1M rows x 10 features x 4096 partitions
    python -m benchmarks.metrics --out benchmarks/results/metrics.md

The masked loop is the lineage's O(n·K·d) algorithm, written plainly below: for every
feature and every partition, a boolean mask over all rows. Running it on 4096
partitions takes about a minute, so by default it runs on the first
``--baseline-partitions`` partitions and its time is extrapolated linearly to all of
them (its cost is the same for every partition, as each one scans all n rows). Its
output on that subset is checked against full_report's, so both compute the same thing.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np
import pandas as pd

from hvrt import full_report, partition_quality
from hvrt._grouped import grouped_stats  # internal seam: the grouped kernel is itself a row of the table

from ._harness import Measurement, add_common_arguments, median_measure, print_and_write, run_context


def masked_loop_report(X: np.ndarray, labels: np.ndarray, partition_ids: np.ndarray) -> dict[int, dict]:
    """The predecessor's algorithm: one boolean mask per (feature, partition).

    Returns, per feature, the raw variances and spans of ``partition_ids`` plus the
    proportion, HHI and histogram work that full_report does.
    """
    reports = {}
    for feature in range(X.shape[1]):
        column = X[:, feature]
        variances = np.zeros(len(partition_ids))
        spans = np.zeros(len(partition_ids))
        for position, partition in enumerate(partition_ids):
            values = column[labels == partition]
            values = values[~np.isnan(values)]
            if len(values) > 1:
                variances[position] = values.var()
                spans[position] = values.max() - values.min()
        per_feature = {}
        for name, raw in (("variance", variances), ("span", spans)):
            total = raw.sum()
            proportions = raw / total if total > 0 else np.zeros_like(raw)
            per_feature[name] = {
                "raw": raw,
                "hhi": float(np.sum(proportions**2)),
                "histogram": np.histogram(proportions, bins=10) if total > 0 else None,
            }
        reports[feature] = per_feature
    return reports


def masked_loop_one_mask_per_partition(X: np.ndarray, labels: np.ndarray, partition_ids: np.ndarray) -> np.ndarray:
    """A kinder loop: one mask per partition serves every feature (O(n·K + n·d))."""
    variances = np.zeros((len(partition_ids), X.shape[1]))
    for position, partition in enumerate(partition_ids):
        block = X[labels == partition]
        if len(block) > 1:
            variances[position] = np.nanvar(block, axis=0)
    return variances


def _row(step: str, measurement: Measurement, reference_seconds: float, note: str = "") -> str:
    ratio = measurement.seconds / reference_seconds
    return f"| {step} | {measurement.seconds:.3f} | {measurement.peak_mb:.0f} | {ratio:.2f}x | {note} |"


def run(n_samples: int, n_features: int, n_partitions: int, baseline_partitions: int, repeats: int, seed: int) -> str:
    """Measure everything and return the markdown table (with its heading lines)."""
    load_before = os.getloadavg()
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * rng.uniform(0.5, 100.0, size=n_features)
    labels = rng.integers(0, n_partitions, size=n_samples)
    y = X @ rng.normal(size=n_features) + rng.normal(size=n_samples)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(n_features)])
    partition_ids = np.unique(labels)
    subset = partition_ids[: min(baseline_partitions, len(partition_ids))]
    scale = len(partition_ids) / len(subset)

    def timed(fn: Callable[[], object], n_repeats: int = repeats) -> Measurement:
        fn()  # warm-up: imports, page faults of first-touch allocations
        return median_measure(fn, n_repeats)

    kernel = timed(lambda: grouped_stats(X, labels))
    report = timed(lambda: full_report(X, labels))
    report_frame = timed(lambda: full_report(frame, labels))
    quality = timed(lambda: partition_quality(X, labels, y=y))
    masked_loop_report(X, labels, subset[:1])  # the same warm-up as the steps above, on one partition
    loop = median_measure(lambda: masked_loop_report(X, labels, subset), max(1, min(repeats, 3)))
    kind_loop = median_measure(lambda: masked_loop_one_mask_per_partition(X, labels, subset), max(1, min(repeats, 3)))

    # The baseline must compute what full_report computes, on the partitions it saw.
    raw_full = full_report(X, labels, variance_proportions=False, span_proportions=False)
    for feature, name in enumerate(raw_full):
        np.testing.assert_allclose(
            loop.result[feature]["variance"]["raw"], raw_full[name].variance_report.distribution[: len(subset)], rtol=1e-9
        )
        np.testing.assert_allclose(
            loop.result[feature]["span"]["raw"], raw_full[name].span_report.distribution[: len(subset)], rtol=1e-12
        )

    loop_full = Measurement(loop.seconds * scale, loop.peak_mb, None)
    kind_loop_full = Measurement(kind_loop.seconds * scale, kind_loop.peak_mb, None)
    base = report.seconds
    extrapolated = f"measured on {len(subset)} of {len(partition_ids)} partitions, x{scale:.3g}"
    lines = [
        f"`python -m benchmarks.metrics --n {n_samples} --d {n_features} --k {n_partitions} "
        f"--baseline-partitions {baseline_partitions} --repeats {repeats} --seed {seed}`",
        "",
        *run_context(load_before),
        "",
        f"{n_samples:,} rows x {n_features} features x {len(partition_ids)} partitions (uniform random labels, "
        f"seed {seed}); median of {repeats} runs after a warm-up; peak MB is resident memory above "
        "the level before the call.",
        "",
        "| step | median s | peak MB | time / full_report | note |",
        "|---|---:|---:|---:|---|",
        _row("`grouped_stats` (kernel alone)", kernel, base),
        _row("`full_report(ndarray)`", report, base),
        _row("`full_report(DataFrame)`", report_frame, base),
        _row("`partition_quality(ndarray, y=y)`", quality, base),
        _row("masked loop, one mask per (feature, partition): the predecessor", loop_full, base, extrapolated),
        _row("masked loop, one mask per partition, variances only", kind_loop_full, base, extrapolated),
        "",
        f"full_report is **{loop_full.seconds / base:.0f}x** faster than the predecessor's masked loop "
        f"(target >= 50x) and takes **{base:.2f} s** (target <= 1 s).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.metrics", description=__doc__.splitlines()[0])
    add_common_arguments(parser, n=1_000_000, d=10, k=4096, repeats=5, out="also write the table to this markdown file")
    parser.add_argument(
        "--baseline-partitions",
        type=int,
        default=64,
        help="partitions the masked loop really runs on; its time is scaled to all --k of them",
    )
    args = parser.parse_args(argv)
    table = run(args.n, args.d, args.k, args.baseline_partitions, args.repeats, args.seed)
    print_and_write(table, args.out, "# Metrics benchmark")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
