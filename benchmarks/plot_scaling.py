"""How partitioning time grows with K and with n: tables and a PNG for the README.

Run from the repository root::

    python -m benchmarks.plot_scaling --out benchmarks/results/partition.md \\
        --png benchmarks/results/scaling.png

Two sweeps, each a set of same-run comparisons made by :func:`benchmarks.partition.run_benchmark`:

- time against K at a fixed n (default 1M x 10);
- time against n at a fixed K (default K=1000), one benchmark run per n.

Any run longer than ``--cap`` seconds is killed and that method is dropped from the
larger K or n of its sweep (its cost only grows); the exact engine is only run up to
``--exact-max-n`` rows.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from ._harness import add_common_arguments, code_version, command_line, machine_summary, write_markdown_section
from ._peers import METHODS
from .partition import PACKAGES, RESULTS_TITLE, Row, load_line, run_benchmark

DEFAULT_METHODS = ("hist", "exact", "lightgbm", "faiss", "minibatch")
VIZ_EXTRA_HINT = 'pip install "hvrt-partitioner[viz]"'

# sweep value (K or n) -> method -> median total seconds, or None when skipped
Sweep = dict[int, dict[str, float | None]]


def _totals(rows: Sequence[Row]) -> dict[str, float | None]:
    return {row.method: (row.median("total_s") if row.runs else None) for row in rows}


def sweep_k(methods: Sequence[str], n_samples: int, n_features: int, ks: Sequence[int], repeats: int, seed: int, cap: float, single_run_above: float) -> Sweep:
    """Median total time per method at each K, all in one benchmark run."""
    caps = dict.fromkeys(methods, cap)
    rows = run_benchmark(methods, n_samples, n_features, ks, repeats, seed, caps, single_run_above)
    return {k: _totals([row for row in rows if row.n_partitions_requested == k]) for k in ks}


def sweep_n(methods: Sequence[str], sizes: Sequence[int], n_features: int, n_partitions: int, repeats: int, seed: int, cap: float, single_run_above: float, exact_max_n: int) -> Sweep:
    """Median total time per method at each n; a method that passed the cap stops there."""
    dropped: set[str] = set()
    sweep: Sweep = {}
    for n_samples in sorted(sizes):
        active = [m for m in methods if m not in dropped and not (m == "exact" and n_samples > exact_max_n)]
        rows = run_benchmark(active, n_samples, n_features, [n_partitions], repeats, seed, dict.fromkeys(active, cap), single_run_above)
        sweep[n_samples] = {**dict.fromkeys(methods), **_totals(rows)}
        dropped |= {row.method for row in rows if row.status.startswith("skipped")}
    return sweep


def sweep_table(sweep: Sweep, methods: Sequence[str], axis_name: str) -> str:
    """Markdown: one row per method, one column per sweep value, cells in seconds."""
    values = sorted(sweep)
    header = f"| method \\ {axis_name} | " + " | ".join(f"{v:,}" for v in values) + " |"
    lines = [header, "|" + "---|" * (len(values) + 1)]
    for method in methods:
        cells = [sweep[v].get(method) for v in values]
        text = ["—" if seconds is None else f"{seconds:.3g}" for seconds in cells]
        lines.append(f"| {METHODS[method].description} | " + " | ".join(text) + " |")
    return "\n".join(lines)


def plot_sweeps(by_k: Sweep, by_n: Sweep, methods: Sequence[str], titles: Mapping[str, str], path: Path) -> None:
    """Two log-log panels of total time, against K and against n, saved as a PNG.

    Raises
    ------
    ImportError
        When matplotlib is missing; the message names the ``viz`` extra.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError as error:
        raise ImportError(f"The scaling plot needs matplotlib: {VIZ_EXTRA_HINT}") from error

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for axis, sweep, label in ((axes[0], by_k, "K (partitions)"), (axes[1], by_n, "n (rows)")):
        for method in methods:
            points = [(value, sweep[value][method]) for value in sorted(sweep) if sweep[value].get(method) is not None]
            if points:
                xs, ys = zip(*points)
                style = {"linewidth": 2.5, "color": "black"} if method == "hist" else {}
                axis.plot(xs, ys, marker="o", label=METHODS[method].description.replace("`", ""), **style)
        axis.set(xscale="log", yscale="log", xlabel=label, ylabel="fit + label time (s)", title=titles[label])
        # Label the measured values themselves; log-scale minor labels would collide.
        axis.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        axis.set_xticks(sorted(sweep), [f"{value:,}" for value in sorted(sweep)])
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.plot_scaling", description=__doc__.split("\n")[0])
    # --n and --k are the two sweeps' axes; --k-n and --n-k the one value each sweep holds fixed.
    add_common_arguments(
        parser, n=[100_000, 300_000, 1_000_000, 3_000_000], d=10, k=[64, 200, 1000, 2048, 4096], repeats=3,
        out="write (replace) the scaling section of this markdown file",
    )  # fmt: skip
    parser.add_argument("--k-n", type=int, default=1_000_000, help="rows of the sweep over --k (default: %(default)s)")
    parser.add_argument("--n-k", type=int, default=1000, help="partitions (K) of the sweep over --n (default: %(default)s)")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(DEFAULT_METHODS))
    parser.add_argument("--exact-max-n", type=int, default=300_000, help="largest n for the exact engine")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds before any run is killed")
    parser.add_argument("--single-run-above", type=float, default=20.0, help="do not repeat a run that took longer (seconds)")
    parser.add_argument("--png", type=Path, default=Path("benchmarks/results/scaling.png"))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    args = _parse_args(argv)
    command = command_line("plot_scaling", argv)
    load_before = os.getloadavg()
    by_k = sweep_k(args.methods, args.k_n, args.d, args.k, args.repeats, args.seed, args.cap, args.single_run_above)
    by_n = sweep_n(args.methods, args.n, args.d, args.n_k, args.repeats, args.seed, args.cap, args.single_run_above, args.exact_max_n)
    titles = {"K (partitions)": f"n = {args.k_n:,}, d = {args.d}", "n (rows)": f"K = {args.n_k}, d = {args.d}"}
    plot_sweeps(by_k, by_n, args.methods, titles, args.png)
    section = "\n".join(
        [
            "## Scaling with K and with n",
            "",
            f"- Command: `{command}`",
            f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {machine_summary(PACKAGES)}",
            f"- Code: {code_version(Path(__file__).resolve().parent.parent)}",
            f"- Median fit + label seconds; — means not run (exact above {args.exact_max_n:,} rows) or "
            f"killed past the {args.cap:g} s cap at this or a smaller size. Plot: `{args.png.name}`.",
            "",
            f"Against K, {args.k_n:,} x {args.d}:",
            "",
            sweep_table(by_k, args.methods, "K"),
            "",
            f"Against n, K = {args.n_k}, d = {args.d}:",
            "",
            sweep_table(by_n, args.methods, "n"),
            "",
            load_line(load_before, os.getloadavg()),
            "",
            f"![time against K and n]({args.png.name})",
        ]
    )
    print(section)
    if args.out:
        write_markdown_section(args.out, "scaling", section, RESULTS_TITLE)


if __name__ == "__main__":
    main()
