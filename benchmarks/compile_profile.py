"""Where the histogram engine's first fit spends its time: compile per kernel, cache loads.

Run from the repository root::

    python -m benchmarks.compile_profile --n 200000 --d 10 --k 200 --out benchmarks/results/compile_profile.md

Two fresh processes per target (``"sum"``, ``"features"``), both with ``NUMBA_CACHE_DIR``
pointed at a new directory and ``HVRT_NO_AOT=1`` (numba's kernels, not the ones compiled
at install):

- cold (an empty cache): numba's event API (``numba.core.event``) records every
  ``numba:compile`` event, one per kernel and type signature, with its wall time
  *inclusive* of the kernels it compiles as callees and *exclusive* of them (its own
  typing, lowering and LLVM work), and every compiler pass (``numba:run_pass``), summed by
  pass name, exclusive of nested passes;
- warm (the cache the cold run filled): the first fit's phases, each timed once in the
  same process: ``import numba``, importing ``hvrt._hist`` (the kernels' modules), then
  the first fit, split into what loading each kernel from the cache took (numba's
  dispatcher ``compile`` on a cache hit, timed by wrapping it) and the rest.

And numba's own floor: a fresh process (numpy, pandas and scikit-learn imported first)
that imports numba and calls one trivial ``@njit(cache=True)`` kernel already in its
cache. No numba-compiled engine can start faster than this.

Timings in one process are wall times of one run each: a busy machine inflates them, so
read them as shares, and compare the totals with ``python -m benchmarks.coldstart``.
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
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from ._harness import add_common_arguments, code_version, command_line, machine_summary, print_and_write

TITLE = "# Compile and cache-load time of the histogram engine, per kernel"
TARGETS = ("sum", "features")


# --------------------------------------------------------------------------- child side
def _fit(target: str, n_samples: int, n_features: int, n_partitions: int, seed: int) -> float:
    from hvrt import HVRTPartitioner

    from .partition import make_data

    X = make_data(n_samples, n_features, seed)
    start = time.perf_counter()
    HVRTPartitioner(max_leaf_nodes=n_partitions, engine="hist", target=target, random_state=seed).fit(X)
    return time.perf_counter() - start


def probe_cold(target: str, n_samples: int, n_features: int, n_partitions: int, seed: int) -> dict:
    """Compile events of a first fit on an empty cache: per kernel and signature, per pass."""
    import hvrt  # noqa: F401  (hvrt's import is not part of the fit)
    from numba.core import event

    kernels: dict[tuple[str, str], list[float]] = {}  # (kernel, signature) -> [inclusive, exclusive]
    passes: dict[str, float] = defaultdict(float)
    stack: list[list] = []  # [key, start, time of nested compiles]
    pass_stack: list[list] = []

    class CompileListener(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            dispatcher = ev.data["dispatcher"]
            name = f"{dispatcher.py_func.__module__.rsplit('.', 1)[-1]}.{dispatcher.py_func.__name__}"
            signature = ", ".join(str(arg) for arg in ev.data["args"])
            stack.append([(name, signature), time.perf_counter(), 0.0])

        def on_end(self, ev: event.Event) -> None:
            key, start, nested = stack.pop()
            inclusive = time.perf_counter() - start
            if stack:
                stack[-1][2] += inclusive
            total = kernels.setdefault(key, [0.0, 0.0])
            total[0] += inclusive
            total[1] += inclusive - nested

    class PassListener(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            pass_stack.append([ev.data["name"], time.perf_counter(), 0.0])

        def on_end(self, ev: event.Event) -> None:
            name, start, nested = pass_stack.pop()
            inclusive = time.perf_counter() - start
            if pass_stack:
                pass_stack[-1][2] += inclusive
            passes[name.split(" [", 1)[0]] += inclusive - nested  # "name [function]": summed by pass

    import numba  # noqa: F401

    event.register("numba:compile", CompileListener())
    event.register("numba:run_pass", PassListener())
    fit_s = _fit(target, n_samples, n_features, n_partitions, seed)
    return {
        "fit_s": fit_s,
        "kernels": [[name, signature, *times] for (name, signature), times in kernels.items()],
        "passes": dict(passes),
    }


def probe_warm(target: str, n_samples: int, n_features: int, n_partitions: int, seed: int) -> dict:
    """Phases of a first fit on a warm cache: imports, each kernel's cache load, the rest."""
    import hvrt  # noqa: F401

    start = time.perf_counter()
    import numba
    from numba.core.dispatcher import Dispatcher

    numba_s = time.perf_counter() - start
    start = time.perf_counter()
    import hvrt._hist  # noqa: F401

    hist_import_s = time.perf_counter() - start
    loads: dict[str, float] = defaultdict(float)
    compile_ = Dispatcher.compile

    def timed_compile(self, sig):  # noqa: ANN001, ANN202
        begin = time.perf_counter()
        try:
            return compile_(self, sig)
        finally:
            # the longest call: a second thread that waits for the first one's load is not a load
            name = f"{self.py_func.__module__.rsplit('.', 1)[-1]}.{self.py_func.__name__}"
            loads[name] = max(loads[name], time.perf_counter() - begin)

    Dispatcher.compile = timed_compile
    try:
        fit_s = _fit(target, n_samples, n_features, n_partitions, seed)
        repeat_s = _fit(target, n_samples, n_features, n_partitions, seed)
    finally:
        Dispatcher.compile = compile_
    del numba
    return {
        "numba_import_s": numba_s,
        "hist_import_s": hist_import_s,
        "fit_s": fit_s,
        "repeat_s": repeat_s,
        "loads": dict(loads),
    }


_TRIVIAL_KERNEL = """
from numba import njit


@njit(cache=True, nogil=True)
def total(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s
"""


def probe_floor(kernel_dir: str) -> dict:
    """``import numba`` and the first call of a trivial cached kernel, in this fresh process."""
    import numpy as np
    import pandas  # noqa: F401  (imported before the fit in any hvrt process)
    import sklearn  # noqa: F401

    start = time.perf_counter()
    import numba  # noqa: F401

    imported = time.perf_counter()
    sys.path.insert(0, kernel_dir)
    from trivial_kernel import total

    start_call = time.perf_counter()
    total(np.ones(4))
    called = time.perf_counter()
    return {"numba_import_s": imported - start, "first_call_s": called - start_call}


# --------------------------------------------------------------------------- parent side
def run_probe(kind: str, target: str, cache_dir: str, args: argparse.Namespace) -> dict:
    """Run a probe in a new process with ``NUMBA_CACHE_DIR=cache_dir``.

    Raises
    ------
    RuntimeError
        If the process fails.
    """
    command = [
        sys.executable, "-m", "benchmarks.compile_profile", "--probe", kind, target,
        "--n", str(args.n), "--d", str(args.d), "--k", str(args.k), "--seed", str(args.seed),
    ]  # fmt: skip
    # numba's kernels only: the precompiled ones (hvrt._hist._aot) would compile nothing
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, HVRT_NO_AOT="1")
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        last_line = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"compile_profile probe ({kind}, {target}) failed: {last_line}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def _short(signature: str, width: int = 90) -> str:
    return signature if len(signature) <= width else signature[: width - 1] + "…"


def build_tables(results: dict[str, dict[str, dict]]) -> list[str]:
    """Markdown tables: kernels by exclusive compile time, passes, warm phases."""
    lines: list[str] = []
    for target in TARGETS:
        cold, warm = results[target]["cold"], results[target]["warm"]
        kernels = sorted(cold["kernels"], key=lambda row: -row[3])
        total = sum(row[3] for row in kernels)
        lines += [
            f"## `target=\"{target}\"`: cold cache",
            "",
            f"First fit {cold['fit_s']:.2f} s; compiling {len(kernels)} kernel signatures took {total:.2f} s "
            "(sum of exclusive times).",
            "",
            "| kernel | signature | exclusive s | inclusive s |",
            "|---|---|---|---|",
        ]
        lines += [f"| {name} | `{_short(sig)}` | {exc:.3f} | {inc:.3f} |" for name, sig, inc, exc in kernels]
        passes = sorted(cold["passes"].items(), key=lambda item: -item[1])
        lines += ["", "Compiler passes, summed over the kernels (exclusive s, top 8):", ""]
        lines += ["| pass | s |", "|---|---|"]
        lines += [f"| {name} | {seconds:.3f} |" for name, seconds in passes[:8]]
        loads = sorted(warm["loads"].items(), key=lambda item: -item[1])
        load_total = sum(seconds for _, seconds in loads)
        lines += [
            "",
            f"## `target=\"{target}\"`: warm cache",
            "",
            f"`import numba` {warm['numba_import_s']:.3f} s, importing `hvrt._hist` {warm['hist_import_s']:.3f} s; "
            f"first fit {warm['fit_s']:.3f} s, repeat fit {warm['repeat_s']:.3f} s; the first fit's cache loads "
            f"(dispatcher `compile` on a hit, {len(loads)} kernels) {load_total:.3f} s.",
            "",
            "| kernel | cache load s |",
            "|---|---|",
        ]
        lines += [f"| {name} | {seconds:.3f} |" for name, seconds in loads]
        lines.append("")
    return lines


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compile_profile", description=__doc__.split("\n")[0]
    )
    add_common_arguments(parser, n=200_000, d=10, k=200, out="write the result tables to this markdown file")
    parser.add_argument("--probe", nargs=2, metavar=("KIND", "TARGET"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    args = _parse_args(argv)
    if args.probe:
        kind, target = args.probe
        if kind == "floor":
            result = probe_floor(target)
        else:
            probe_fn = probe_cold if kind == "cold" else probe_warm
            result = probe_fn(target, args.n, args.d, args.k, args.seed)
        print("RESULT " + json.dumps(result), flush=True)
        return
    load_before = os.getloadavg()
    results: dict[str, dict[str, dict]] = {}
    for target in TARGETS:
        with tempfile.TemporaryDirectory(prefix="hvrt-compile-") as cache_dir:
            results[target] = {kind: run_probe(kind, target, cache_dir, args) for kind in ("cold", "warm")}
    with tempfile.TemporaryDirectory(prefix="hvrt-floor-") as kernel_dir:
        Path(kernel_dir, "trivial_kernel.py").write_text(_TRIVIAL_KERNEL)
        cache_dir = os.path.join(kernel_dir, "cache")
        run_probe("floor", kernel_dir, cache_dir, args)  # fills the cache
        floors = [run_probe("floor", kernel_dir, cache_dir, args) for _ in range(3)]
    floor = {key: statistics.median(probe[key] for probe in floors) for key in floors[0]}
    load_after = os.getloadavg()
    body = "\n".join(
        [
            f"- Command: `{command_line('compile_profile', argv)}`",
            f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {machine_summary()}",
            f"- Code: {code_version(Path(__file__).resolve().parent.parent)}",
            f"- Data: `numpy.random.default_rng({args.seed}).standard_normal(({args.n}, {args.d}))`, K = {args.k}; "
            "one run per process.",
            f"- Load average (1, 5, 15 min) at the start: {', '.join(f'{v:.1f}' for v in load_before)}; "
            f"at the end: {', '.join(f'{v:.1f}' for v in load_after)}.",
            "",
            *build_tables(results),
            "## numba's floor",
            "",
            f"A fresh process, a trivial cached kernel (medians of 3): `import numba` {floor['numba_import_s']:.3f} s, "
            f"its first call {floor['first_call_s']:.3f} s (numba's typing and target set-up, then the cache load); "
            f"{floor['numba_import_s'] + floor['first_call_s']:.3f} s in all.",
        ]
    )
    print_and_write(body, args.out, TITLE)


if __name__ == "__main__":
    main()
