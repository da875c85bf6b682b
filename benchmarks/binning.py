"""How the histogram engine's bin edges affect quality, by feature distribution.

Run as ``python -m benchmarks.binning [--out benchmarks/results/binning.md]``.

For each seeded data set, the exact engine and ``engine="hist"`` grow trees on the
same sum target (the row sum of the z-scored features); the table gives hist's explained
target variance relative to exact's, with plain quantile edges (``edge_row_share=1``) and
with the default edges, which follow the features' squared deviation too.

Binning rules are not a public option, so this benchmark calls the engines through
their internal seam, as the library itself calls them: ``fit_exact`` and ``fit_hist``
(with its ``edge_row_share``; ``ROW_SHARE`` is the default) on one ``GrowthParams``.
The quality it reports comes from the public :func:`hvrt.partition_quality`.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np

from hvrt import partition_quality
from hvrt._engines import fit_exact
from hvrt._hist import fit_hist
from hvrt._hist._binning import ROW_SHARE
from hvrt._tree_contract import GrowthParams

from ._harness import add_common_arguments, command_line, print_and_write, run_context
from .partition import sum_target


def _mixed(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.column_stack(
        [
            rng.lognormal(0.0, 2.0, n),  # a heavy right tail
            rng.standard_cauchy(n),  # extreme tails on both sides
            rng.integers(0, 2, n).astype(float),  # binary
            rng.integers(0, 30, n).astype(float),  # small integers
            np.where(rng.random(n) < 0.9, 0.0, rng.exponential(5.0, n)),  # zero-inflated
            rng.normal(size=n),
        ]
    )


DATASETS: dict[str, tuple[str, Callable[[np.random.Generator, int], np.ndarray]]] = {
    "gaussian": ("10 standard normal features", lambda rng, n: rng.normal(size=(n, 10))),
    "lognormal": ("5 lognormal(0, 1) features", lambda rng, n: rng.lognormal(0.0, 1.0, size=(n, 5))),
    "mixed": ("lognormal(0, 2), Cauchy, binary, integers 0-29, zero-inflated exponential, normal", _mixed),
}


def quality_table(n_samples: int, ks: list[int], seed: int) -> str:
    """Relative explained-variance gap of hist to exact, per data set, K and edge rule."""
    lines = [
        "| data | K | exact explained var | hist, quantile edges | hist, default edges |",
        "|---|---|---|---|---|",
    ]
    for name, (_, make) in DATASETS.items():
        X = make(np.random.default_rng(seed), n_samples)
        target = sum_target(X)
        for k in ks:
            params = GrowthParams(k, 1, None, 0.0, seed)
            exact = partition_quality(X, fit_exact(X, target, params).apply(X), y=target).y_r2
            gaps = []
            for row_share in (1.0, ROW_SHARE):
                leaves = fit_hist(X, target, params, edge_row_share=row_share).training_leaves
                explained = partition_quality(X, leaves, y=target).y_r2
                gaps.append(f"{explained / exact - 1:+.2%}")
            lines.append(f"| {name} | {k} | {exact:.4f} | {gaps[0]} | {gaps[1]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.binning", description=__doc__.splitlines()[0])
    add_common_arguments(parser, n=300_000, k=[50, 200, 1000], seed=3, out="also write the table to this markdown file")
    args = parser.parse_args(argv)
    command = command_line("binning", argv)
    load_before = os.getloadavg()
    quality = quality_table(args.n, args.k, args.seed)
    context = run_context(load_before)
    data = "; ".join(f"{name}: {description}" for name, (description, _) in DATASETS.items())
    table = "\n".join(
        [
            f"`{command}`",
            "",
            *context,
            "",
            f"{args.n:,} rows per data set (`numpy.random.default_rng({args.seed})`): {data}. "
            "Explained variance of the sum target; hist's columns are relative to exact's.",
            "",
            quality,
        ]
    )
    print_and_write(table, args.out, "# Binning benchmark")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
