"""What two quality-affecting options cost: ``min_variance_reduction`` and ``max_samples``.

Run as ``python -m benchmarks.options [--out benchmarks/results/options.md]``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

from hvrt import HVRTPartitioner, partition_quality

from ._harness import add_common_arguments, command_line, median_measure, print_and_write, run_context
from .partition import make_data, sum_target


def min_variance_reduction_table(seed: int) -> str:
    """Partitions the Quick Start data (10,000 x 10 uniform, K=200) gets at each threshold."""
    X = pd.DataFrame(np.random.default_rng(seed).random((10_000, 10)), columns=[f"feat_{i}" for i in range(10)])
    lines = ["| min_variance_reduction | target | partitions (of 200 asked) |", "|---|---|---|"]
    for fraction in (0.0, 0.001, 0.01):
        for target in ("sum", "features"):
            fitted = HVRTPartitioner(max_leaf_nodes=200, min_variance_reduction=fraction, target=target).fit(X)
            lines.append(f"| {fraction} | {target} | {fitted.n_partitions_} |")
    return "\n".join(lines)


def max_samples_table(n_samples: int, n_features: int, n_partitions: int, repeats: int, seed: int) -> str:
    """Explained target variance and fit time of ``engine="hist"`` on subsamples."""
    X = make_data(n_samples, n_features, seed)
    target = sum_target(X)
    for fraction in (None, 0.5):  # load the compiled kernels, the subsampling path's too
        HVRTPartitioner(max_leaf_nodes=16, engine="hist", max_samples=fraction).fit(X[:5000])
    lines = [
        "| max_samples | fit s | explained target var | change vs all rows |",
        "|---|---|---|---|",
    ]
    reference = None
    for fraction in (None, 0.5, 0.25, 0.1, 0.05):
        model = HVRTPartitioner(max_leaf_nodes=n_partitions, engine="hist", max_samples=fraction)
        run = median_measure(lambda: model.fit(X), repeats)
        explained = partition_quality(X, model.labels_, y=target).y_r2
        reference = explained if reference is None else reference
        change = (explained - reference) / reference
        lines.append(f"| {fraction or 'all rows'} | {run.seconds:.3f} | {explained:.4f} | {change:+.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.options", description=__doc__.splitlines()[0])
    add_common_arguments(
        parser, n=1_000_000, d=10, k=1000, repeats=3, out="also write the tables to this markdown file"
    )
    args = parser.parse_args(argv)
    command = command_line("options", argv)
    load_before = os.getloadavg()
    counts = min_variance_reduction_table(args.seed)
    subsamples = max_samples_table(args.n, args.d, args.k, args.repeats, args.seed)
    table = "\n".join(
        [
            f"`{command}`",
            "",
            *run_context(load_before),
            "",
            "## min_variance_reduction on the Quick Start data (`default_rng(0).random((10000, 10))`)",
            "",
            counts,
            "",
            f"## max_samples with engine=\"hist\", {args.n:,} x {args.d} Gaussian rows, K={args.k} (median of {args.repeats})",
            "",
            subsamples,
        ]
    )
    print_and_write(table, args.out, "# Options benchmark")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
