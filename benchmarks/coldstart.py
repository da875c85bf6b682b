"""Cold start of the histogram engine: the first fit in a new process, empty or warm numba cache.

Run from the repository root::

    python -m benchmarks.coldstart --n 200000 --d 10 --k 200 --out benchmarks/results/coldstart.md

Every case runs in a fresh Python process, which times ``import hvrt``, then its first fit
and a repeat fit on the same seeded Gaussian data (``HVRTPartitioner(...).fit(X)``):

- exact: ``engine="exact"`` (scikit-learn), the reference of the ratios;
- hist cold: ``engine="hist"`` with ``NUMBA_CACHE_DIR`` pointed at a new empty directory,
  so the first fit compiles every kernel it runs;
- hist warm: the same, in a new process over the directory the cold run filled, so the
  first fit loads the kernels from the disk cache (numba's import included, as a user's
  first fit pays it: ``import hvrt`` does not import numba).

The hist cases run twice: with the kernels compiled at install (``hvrt._hist._aot``, when
the package was installed with a C compiler: no compile, no numba import, so the cache
state does not matter), and with numba's kernels only (``HVRT_NO_AOT=1``, what a machine
without the precompiled module runs).

Both targets are run (``"sum"``: one output, ``"features"``: one output per feature).
``--regressor N`` adds a table of a first ``PartitionedRegressor().fit`` of ``N`` rows of
:func:`hvrt.datasets.make_demo_data` in a fresh process on an empty numba cache, with the
kernels compiled at install and with numba's only.
Repeats alternate the cases, each cold run with a new directory; medians are reported.

Columns: first fit s, repeat fit s, first - repeat (the one-time cost), first / exact (the
first fit over the exact engine's first fit in the same run), first fit CPU s (the process's
CPU time over all threads, which a busy machine inflates less than wall time),
``compile message``: whether the hist engine logged its one-time "compiling" line (it
should on a cold cache with numba's kernels only), and ``numba imported``: whether the
process imported numba by the end of its fits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ._harness import add_common_arguments, code_version, command_line, machine_summary, print_and_write

TITLE = "# Cold start of the histogram engine"
# (engine, target, cache state, kernels); cache None: the exact engine, which uses no numba
# cache; kernels "precompiled": hvrt._hist._aot when it is built, "numba": HVRT_NO_AOT=1
CASES: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("exact", "sum", None, None),
    ("hist", "sum", "cold", "precompiled"),
    ("hist", "sum", "warm", "precompiled"),
    ("hist", "features", "cold", "precompiled"),
    ("hist", "features", "warm", "precompiled"),
    ("hist", "sum", "cold", "numba"),
    ("hist", "sum", "warm", "numba"),
    ("hist", "features", "cold", "numba"),
    ("hist", "features", "warm", "numba"),
)
# The targets: a cold first fit within this many times the exact engine's first
# fit, and a warm first fit within this many seconds of a repeat fit.
COLD_RATIO_TARGET = 2.0
WARM_EXTRA_TARGET_S = 0.3


@dataclass
class Probe:
    """One fresh process's timings."""

    import_s: float
    first_fit_s: float
    first_fit_cpu_s: float  # CPU time of all threads: less sensitive to a busy machine
    repeat_fit_s: float
    compile_message: bool
    precompiled: bool = False  # the precompiled kernels were used
    numba_imported: bool = False


@dataclass
class Case:
    engine: str
    target: str
    cache: str | None
    kernels: str | None = None
    probes: list[Probe] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.engine == "exact":
            return "exact"
        if self.engine == "regressor":
            name = "PartitionedRegressor, " + ("empty" if self.cache == "cold" else "warm") + " numba cache"
            return name + (", numba kernels only" if self.kernels == "numba" else "")
        name = f"hist, {self.target}, {self.cache} cache"
        return name + (", numba kernels only" if self.kernels == "numba" else "")

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(probe, attribute) for probe in self.probes)


# --------------------------------------------------------------------------- child side
def probe(engine: str, target: str, n_samples: int, n_features: int, n_partitions: int, seed: int) -> Probe:
    """Time ``import hvrt``, a first fit and a repeat fit in this (fresh) process."""
    import logging

    start = time.perf_counter()
    from hvrt import HVRTPartitioner

    imported = time.perf_counter()
    messages: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("hvrt")
    logger.addHandler(Recorder())
    logger.setLevel(logging.INFO)

    if engine == "regressor":  # the local models' defaults on the demo data, as `hvrt demo` fits them
        from hvrt import PartitionedRegressor
        from hvrt.datasets import make_demo_data

        X, y = make_demo_data(n_samples=n_samples, random_state=seed)

        def fit() -> None:
            PartitionedRegressor().fit(X, y)
    else:
        from .partition import make_data

        X = make_data(n_samples, n_features, seed)

        def fit() -> None:
            HVRTPartitioner(max_leaf_nodes=n_partitions, engine=engine, target=target, random_state=seed).fit(X)

    fits, cpu = [], []
    for _ in range(2):
        start_fit, start_cpu = time.perf_counter(), time.process_time()
        fit()
        fits.append(time.perf_counter() - start_fit)
        cpu.append(time.process_time() - start_cpu)
    compiled = any("compiling" in message for message in messages)
    precompiled = False
    if engine in ("hist", "regressor"):
        from hvrt._hist._jit import aot_module

        precompiled = aot_module() is not None
    return Probe(imported - start, fits[0], cpu[0], fits[1], compiled, precompiled, "numba" in sys.modules)


# --------------------------------------------------------------------------- parent side
def run_probe(
    engine: str,
    target: str,
    cache_dir: str | None,
    n_samples: int,
    n_features: int,
    n_partitions: int,
    seed: int,
    numba_only: bool = False,
) -> Probe:
    """Run :func:`probe` in a new process, with ``NUMBA_CACHE_DIR`` set to ``cache_dir``
    (and ``HVRT_NO_AOT=1`` for ``numba_only``).

    Raises
    ------
    RuntimeError
        If the process fails.
    """
    command = [
        sys.executable, "-m", "benchmarks.coldstart", "--probe", engine, target,
        "--n", str(n_samples), "--d", str(n_features), "--k", str(n_partitions), "--seed", str(seed),
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key != "HVRT_NO_AOT"}
    if numba_only:
        env["HVRT_NO_AOT"] = "1"
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        last_line = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"coldstart probe ({engine}, {target}) failed: {last_line}")
    return Probe(**json.loads(lines[-1].removeprefix("RESULT ")))


def run_benchmark(n_samples: int, n_features: int, n_partitions: int, repeats: int, seed: int) -> list[Case]:
    """Every case ``repeats`` times, taking turns; each cold run gets a new empty cache."""
    cases = [Case(*spec) for spec in CASES]
    for repeat in range(repeats):
        with tempfile.TemporaryDirectory(prefix="hvrt-coldstart-") as root:
            for case in cases:
                # the warm case reuses the directory its target's cold run just filled
                cache_dir = None if case.cache is None else os.path.join(root, f"{case.target}-{case.kernels}")
                result = run_probe(
                    case.engine, case.target, cache_dir, n_samples, n_features, n_partitions, seed,
                    numba_only=case.kernels == "numba",
                )  # fmt: skip
                case.probes.append(result)
                print(
                    f"{case.name:>48} run {repeat + 1}: first fit {result.first_fit_s:.3f} s, "
                    f"repeat {result.repeat_fit_s:.3f} s",
                    file=sys.stderr,
                    flush=True,
                )
    return cases


def run_regressor(n_samples: int, repeats: int, seed: int) -> list[Case]:
    """A first ``PartitionedRegressor().fit`` on an empty numba cache, precompiled and numba-only
    kernels taking turns, ``repeats`` times each (a new empty cache every time)."""
    cases = [Case("regressor", "sum", "cold", kernels) for kernels in ("precompiled", "numba")]
    for repeat in range(repeats):
        for case in cases:
            with tempfile.TemporaryDirectory(prefix="hvrt-coldstart-") as cache_dir:
                result = run_probe(
                    "regressor", "sum", cache_dir, n_samples, 0, 0, seed, numba_only=case.kernels == "numba"
                )
            case.probes.append(result)
            print(
                f"{case.name:>48} run {repeat + 1}: first fit {result.first_fit_s:.3f} s, "
                f"repeat {result.repeat_fit_s:.3f} s",
                file=sys.stderr,
                flush=True,
            )
    return cases


def regressor_table(cases: Sequence[Case]) -> str:
    """Medians of the regressor's cases, with the numba-only first fit over the precompiled one."""
    header = (
        "| case | first fit s | repeat fit s | first − repeat s | first fit CPU s | compile message | "
        "numba imported | runs |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for case in cases:
        first, repeat = case.median("first_fit_s"), case.median("repeat_fit_s")
        lines.append(
            f"| {case.name} | {first:.3f} | {repeat:.3f} | {first - repeat:.3f} | "
            f"{case.median('first_fit_cpu_s'):.2f} | {'yes' if case.probes[-1].compile_message else 'no'} | "
            f"{'yes' if case.probes[-1].numba_imported else 'no'} | {len(case.probes)} |"
        )
    return "\n".join(lines)


def build_table(cases: Sequence[Case]) -> str:
    """Medians per case, with the first fit over the exact engine's first fit (same run)."""
    exact = next((case for case in cases if case.engine == "exact" and case.probes), None)
    reference = exact.median("first_fit_s") if exact else None
    header = (
        "| case | first fit s | repeat fit s | first − repeat s | first / exact | first fit CPU s | "
        "compile message | numba imported | import hvrt s | runs |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for case in cases:
        first, repeat = case.median("first_fit_s"), case.median("repeat_fit_s")
        ratio = f"{first / reference:.2f}×" if reference else "—"
        message = "—" if case.engine == "exact" else ("yes" if case.probes[-1].compile_message else "no")
        numba = "yes" if case.probes[-1].numba_imported else "no"
        lines.append(
            f"| {case.name} | {first:.3f} | {repeat:.3f} | {first - repeat:.3f} | {ratio} | "
            f"{case.median('first_fit_cpu_s'):.2f} | {message} | {numba} | "
            f"{case.median('import_s'):.2f} | {len(case.probes)} |"
        )
    return "\n".join(lines)


def targets_lines(cases: Sequence[Case]) -> list[str]:
    """Issue 12's cold-start targets, met or not, from the same run's medians: with the
    precompiled kernels, then with numba's only."""
    by_key = {(case.engine, case.target, case.cache, case.kernels): case for case in cases}
    exact = by_key[("exact", "sum", None, None)].median("first_fit_s")
    lines = []
    for kernels, target in [(kernels, target) for kernels in ("precompiled", "numba") for target in ("sum", "features")]:
        if ("hist", target, "cold", kernels) not in by_key:
            continue
        cold = by_key[("hist", target, "cold", kernels)].median("first_fit_s") / exact
        warm = by_key[("hist", target, "warm", kernels)]
        extra = warm.median("first_fit_s") - warm.median("repeat_fit_s")
        kind = "" if kernels == "precompiled" else ", numba kernels only"
        lines.append(
            f"- {target}{kind}: cold first fit {cold:.2f}× the exact engine's (target ≤ {COLD_RATIO_TARGET:g}×: "
            f"{'met' if cold <= COLD_RATIO_TARGET else 'not met'}); warm first fit {extra:.2f} s over a repeat "
            f"fit (target ≤ {WARM_EXTRA_TARGET_S:g} s: {'met' if extra <= WARM_EXTRA_TARGET_S else 'not met'})."
        )
    return lines


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.coldstart", description=__doc__.split("\n")[0])
    add_common_arguments(parser, n=200_000, d=10, k=200, repeats=1, out="write the result table to this markdown file")
    parser.add_argument(
        "--regressor", type=int, default=0, metavar="N",
        help="also time a first PartitionedRegressor().fit of N demo rows (0: skip; default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--probe", nargs=2, metavar=("ENGINE", "TARGET"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    args = _parse_args(argv)
    if args.probe:
        engine, target = args.probe
        result = probe(engine, target, args.n, args.d, args.k, args.seed)
        print("RESULT " + json.dumps(result.__dict__), flush=True)
        return
    load_before = os.getloadavg()
    cases = run_benchmark(args.n, args.d, args.k, args.repeats, args.seed)
    regressor = run_regressor(args.regressor, args.repeats, args.seed) if args.regressor else []
    load_after = os.getloadavg()
    if regressor:
        regressor_lines = [
            "",
            f"A first `PartitionedRegressor().fit` of {args.regressor:,} rows of "
            f"`hvrt.datasets.make_demo_data(random_state={args.seed})` in a fresh process on an empty numba cache "
            f"(medians of {args.repeats} run(s)):",
            "",
            regressor_table(regressor),
        ]
    else:
        regressor_lines = []
    body = "\n".join(
        [
            f"- Command: `{command_line('coldstart', argv)}`",
            f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {machine_summary()}",
            f"- Code: {code_version(Path(__file__).resolve().parent.parent)}",
            f"- Data: `numpy.random.default_rng({args.seed}).standard_normal(({args.n}, {args.d}))`, "
            f"K = {args.k}; medians of {args.repeats} run(s) per case, each in a fresh process.",
            f"- Load average (1, 5, 15 min) at the start: {', '.join(f'{v:.1f}' for v in load_before)}; "
            f"at the end: {', '.join(f'{v:.1f}' for v in load_after)} (other processes share the cores).",
            "",
            build_table(cases),
            "",
            *targets_lines(cases),
            *regressor_lines,
        ]
    )
    print_and_write(body, args.out, TITLE)


if __name__ == "__main__":
    main()
