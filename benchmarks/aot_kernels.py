"""The kernels compiled at install (``hvrt._hist._aot``) against numba's: speed and threads.

Run from the repository root (after ``pip install -e .``, which builds the module)::

    python -m benchmarks.aot_kernels --n 1000000 --d 10 --k 200 1000 --repeats 5 --out benchmarks/results/aot_kernels.md

Each kind of kernel runs in fresh processes (``HVRT_NO_AOT=1`` for numba's, with numba's
cache warmed by an untimed fit first, so no compile is timed), ``--rounds`` of them taking
turns; every timing is the median over the rounds:

- fit: ``HVRTPartitioner(engine="hist")`` on seeded Gaussian data, both targets, the
  median of ``--repeats`` fits after one untimed fit;
- two threads: ``fill_histogram`` (the kernel the root's histogram halves run on two
  threads) on two halves of the rows, one after the other and then on two threads: a
  kernel that held the GIL would take as long on two threads as serially.

Ratios are precompiled over numba in the same run. ``--build`` also times building the
module (``hvrt._hist._aot_build.build``, what ``pip install`` runs) into a temporary
directory, in a fresh process: wall and CPU seconds, and the module's size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from ._harness import (
    add_common_arguments,
    code_version,
    command_line,
    machine_summary,
    print_and_write,
)

TITLE = "# Kernels compiled at install against numba's"
KINDS = ("precompiled", "numba")


# --------------------------------------------------------------------------- child side
def probe(n_samples: int, n_features: int, ks: Sequence[int], repeats: int, seed: int) -> dict:
    """Fit and two-thread timings in this process, with whichever kernels it runs."""
    import numpy as np

    from hvrt import HVRTPartitioner
    from hvrt._hist._histograms import fill_histogram
    from hvrt._hist._jit import aot_module

    from .partition import make_data

    X = make_data(n_samples, n_features, seed)
    fits = {}
    for target in ("sum", "features"):
        for k in ks:
            times = []
            for _ in range(repeats + 1):  # the first: loads or compiles the kernels, untimed
                model = HVRTPartitioner(max_leaf_nodes=k, engine="hist", target=target, random_state=seed)
                start = time.perf_counter()
                model.fit(X)
                times.append(time.perf_counter() - start)
            fits[f"{target} {k}"] = statistics.median(times[1:])

    codes = np.random.default_rng(seed).integers(0, 255, (2 * n_samples, 16)).astype(np.uint8)
    y = np.random.default_rng(seed + 1).standard_normal((2 * n_samples, 1))
    hists = np.empty((2, 16, 256, 2))
    halves = ((0, n_samples), (n_samples, 2 * n_samples))
    fill_histogram(hists[0], codes, y, 0, 100)  # loaded, untimed

    def serial() -> None:
        for h, (start, stop) in enumerate(halves):
            fill_histogram(hists[h], codes, y, start, stop)

    def threaded() -> None:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(fill_histogram, hists[h], codes, y, *halves[h]) for h in range(2)]:
                future.result()

    threads = {}
    for name, run in (("serial", serial), ("two threads", threaded)):
        times = []
        for _ in range(max(repeats, 3)):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        threads[name] = statistics.median(times)
    return {"precompiled": aot_module() is not None, "numba_imported": "numba" in sys.modules, "fits": fits, "threads": threads}


# --------------------------------------------------------------------------- parent side
def run_probe(kind: str, args: argparse.Namespace) -> dict:
    """:func:`probe` in a new process with the ``kind`` of kernels.

    Raises
    ------
    RuntimeError
        If the process fails.
    """
    command = [
        sys.executable, "-m", "benchmarks.aot_kernels", "--probe", "--n", str(args.n), "--d", str(args.d),
        "--k", *map(str, args.k), "--repeats", str(args.repeats), "--seed", str(args.seed),
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key != "HVRT_NO_AOT"}
    if kind == "numba":
        env["HVRT_NO_AOT"] = "1"
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        last_line = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"aot_kernels probe ({kind}) failed: {last_line}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def time_build() -> dict:
    """Build the precompiled module into a temporary directory in a new process.

    Raises
    ------
    RuntimeError
        If the build fails.
    """
    with tempfile.TemporaryDirectory(prefix="hvrt-aot-build-") as directory:
        target = Path(directory) / ("_aot" + sysconfig.get_config_var("EXT_SUFFIX"))
        code = f"from pathlib import Path; from hvrt._hist._aot_build import build; build(Path({str(target)!r}))"
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(directory) / "cache"))  # nothing compiled before
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0 or not target.exists():
            raise RuntimeError(f"build failed: {(done.stderr.strip().splitlines() or ['no output'])[-1]}")
        cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
        return {"wall_s": wall, "cpu_s": cpu, "size_kb": target.stat().st_size / 1024}


def combine(runs: list[dict]) -> dict:
    """One probe's result from several: the median of every timing."""
    first = runs[0]
    return {
        "precompiled": first["precompiled"],
        "numba_imported": any(run["numba_imported"] for run in runs),
        **{
            part: {key: statistics.median(run[part][key] for run in runs) for key in first[part]}
            for part in ("fits", "threads")
        },
    }


def build_tables(results: dict[str, dict]) -> list[str]:
    """The fit table and the two-thread table; ratios precompiled / numba."""
    ours, numbas = results["precompiled"], results["numba"]
    lines = [
        f"Precompiled module used: {'yes' if ours['precompiled'] else 'no (not built: both rows are numba)'}; "
        f"numba imported by the precompiled run: {'yes' if ours['numba_imported'] else 'no'}.",
        "",
        "| fit (target, K) | precompiled s | numba s | precompiled / numba |",
        "|---|---|---|---|",
    ]
    for key, seconds in ours["fits"].items():
        numba_s = numbas["fits"][key]
        lines.append(f"| {key} | {seconds:.3f} | {numba_s:.3f} | {seconds / numba_s:.2f}× |")
    lines += [
        "",
        "| `fill_histogram` on two halves | precompiled s | numba s | precompiled / numba |",
        "|---|---|---|---|",
    ]
    for name in ("serial", "two threads"):
        lines.append(
            f"| {name} | {ours['threads'][name]:.4f} | {numbas['threads'][name]:.4f} | "
            f"{ours['threads'][name] / numbas['threads'][name]:.2f}× |"
        )
    speedups = {kind: results[kind]["threads"]["serial"] / results[kind]["threads"]["two threads"] for kind in KINDS}
    lines += ["", f"Two threads over serial: precompiled {speedups['precompiled']:.2f}×, numba {speedups['numba']:.2f}×."]
    return lines


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.aot_kernels", description=__doc__.split("\n")[0])
    add_common_arguments(parser, n=1_000_000, d=10, k=[200, 1000], repeats=5)
    parser.add_argument("--rounds", type=int, default=3, help="processes per kind of kernels, taking turns")
    parser.add_argument("--build", action="store_true", help="also time building the precompiled module")
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    args = _parse_args(argv)
    if args.probe:
        print("RESULT " + json.dumps(probe(args.n, args.d, args.k, args.repeats, args.seed)), flush=True)
        return
    load_before = os.getloadavg()
    # the kinds take turns, a new process each, so that a busy spell of the machine does not
    # land on one kind only; medians over the rounds
    runs = {kind: [] for kind in KINDS}
    for _ in range(args.rounds):
        for kind in KINDS:
            runs[kind].append(run_probe(kind, args))
    results = {kind: combine(kind_runs) for kind, kind_runs in runs.items()}
    built = time_build() if args.build else None
    load_after = os.getloadavg()
    body = "\n".join(
        [
            f"- Command: `{command_line('aot_kernels', argv)}`",
            f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {machine_summary()}",
            f"- Code: {code_version(Path(__file__).resolve().parent.parent)}",
            f"- Data: `numpy.random.default_rng({args.seed}).standard_normal(({args.n}, {args.d}))`; "
            f"fits: medians of {args.repeats} after one untimed fit; each kind in {args.rounds} fresh processes "
            "taking turns, medians over them.",
            f"- Load average (1, 5, 15 min) at the start: {', '.join(f'{v:.1f}' for v in load_before)}; "
            f"at the end: {', '.join(f'{v:.1f}' for v in load_after)} (other processes share the cores).",
            "",
            *build_tables(results),
            *(
                [
                    "",
                    f"Building the module (what `pip install` compiles, one process, an empty numba cache): "
                    f"{built['wall_s']:.1f} s wall, {built['cpu_s']:.1f} s CPU; {built['size_kb']:.0f} KB.",
                ]
                if built
                else []
            ),
        ]
    )
    print_and_write(body, args.out, TITLE)


if __name__ == "__main__":
    main()
