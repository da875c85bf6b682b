"""Shared tools of the benchmarks: their common flags, wall time, peak memory, machine facts."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import os
import platform
import queue
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE")


def add_common_arguments(
    parser: argparse.ArgumentParser,
    *,
    n: int | Sequence[int] | None = None,
    d: int | None = None,
    k: int | Sequence[int] | None = None,
    repeats: int | None = None,
    seed: int = 0,
    out: str = "also write the result to this markdown file",
) -> None:
    """Add the flags every benchmark shares, with this script's defaults.

    The one vocabulary: ``--n`` rows, ``--d`` features, ``--k`` partitions (K),
    ``--repeats`` timed runs per measurement, ``--seed`` of the data, ``--out`` a
    markdown file. A default of None leaves that flag out (the script has no such knob);
    a list default makes the flag take one or more values, each of them measured.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The script's parser; its own flags are added before or after.
    n, d, k, repeats : int, list of int or None
        The script's defaults (only ``n`` and ``k`` may be lists).
    seed : int
        Default seed.
    out : str
        Help text of ``--out``: what the script writes there.
    """

    def add(flag: str, default: int | Sequence[int] | None, what: str) -> None:
        if default is None:
            return
        several = not isinstance(default, int)
        parser.add_argument(
            flag,
            type=int,
            nargs="+" if several else None,
            default=list(default) if several else default,
            help=what + (", one or more values" if several else "") + " (default: %(default)s)",
        )

    add("--n", n, "rows")
    add("--d", d, "features")
    add("--k", k, "partitions (K)")
    add("--repeats", repeats, "timed runs of each measurement; medians are reported")
    add("--seed", seed, "seed of the data")
    parser.add_argument("--out", type=Path, default=None, help=out)


def command_line(module: str, argv: Sequence[str] | None) -> str:
    """The command as run, for a result file: ``python -m benchmarks.<module>`` and its flags."""
    return " ".join(["python -m benchmarks." + module, shlex.join(sys.argv[1:] if argv is None else argv)]).rstrip()


def rss_bytes() -> int:
    """Resident set size of this process right now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def peak_rss_bytes() -> int | None:
    """The kernel's resident high-water mark of this process (``VmHWM``), or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _load_libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


_LIBC = _load_libc()


def release_free_memory() -> None:
    """Collect garbage and hand free heap pages back to the OS.

    Without this, memory freed by an earlier run stays resident in glibc's heap, so the
    next run's baseline is inflated and its reuse of those pages is invisible to RSS.
    """
    gc.collect()
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)


@dataclass
class Measurement:
    seconds: float
    peak_mb: float  # peak resident memory during the call, above what was resident before it
    result: Any


def measure(fn: Callable[[], Any], poll_seconds: float = 0.002) -> Measurement:
    """Run ``fn`` once, timing it and recording its peak RSS above the RSS before it.

    RSS sees every allocation (numpy, numba, C libraries), unlike ``tracemalloc``. The
    peak is the kernel's exact high-water mark when it can be reset; otherwise a thread
    samples RSS every ``poll_seconds``, which can miss short peaks inside code that holds
    the GIL.
    """
    release_free_memory()
    exact_peak = reset_peak_rss()
    baseline = rss_bytes()
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes())
            time.sleep(poll_seconds)

    sampler = None
    if not exact_peak:
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    start = time.perf_counter()
    try:
        result = fn()
    finally:
        seconds = time.perf_counter() - start
        done.set()
        if sampler is not None:
            sampler.join()
    peak = max(peak, rss_bytes())
    if exact_peak:
        peak = max(peak, peak_rss_bytes() or 0)
    return Measurement(seconds, (peak - baseline) / 2**20, result)


def median_measure(fn: Callable[[], Any], repeats: int) -> Measurement:
    """Median time and median peak memory of ``repeats`` runs; the last result is kept."""
    runs = [measure(fn) for _ in range(repeats)]
    return Measurement(
        statistics.median(r.seconds for r in runs),
        statistics.median(r.peak_mb for r in runs),
        runs[-1].result,
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_summary(packages: tuple[str, ...] = ("numpy", "pandas", "scikit-learn", "numba")) -> str:
    """One line naming the machine and the versions that matter, for result tables."""
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    versions = []
    for name in packages:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {total_kb / 2**20:.0f} GiB RAM, "
        f"Python {platform.python_version()}, " + ", ".join(versions)
    )


def write_markdown_section(path: str | Path, name: str, body: str, title: str) -> None:
    """Replace (or append) the section ``name`` of a generated markdown file.

    Each benchmark run owns one section, fenced by HTML comments, so several scripts can
    write one result file without anyone editing it by hand.

    Parameters
    ----------
    path : str or Path
        The markdown file; created with ``title`` as its heading if missing.
    name : str
        Section key, e.g. ``"1M x 10"``.
    body : str
        The section's markdown, without the fences.
    title : str
        First line of a new file.
    """
    path = Path(path)
    text = path.read_text() if path.exists() else f"{title}\n\n"
    start, end = f"<!-- section: {name} -->", f"<!-- end section: {name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def print_and_write(table: str, out: str | Path | None, title: str) -> None:
    """Print a benchmark's table and, with ``out``, write it as the whole result file."""
    print(table)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f"{title}\n\n{table}\n")
        print(f"\nwritten to {out}", file=sys.stderr)


def _git(folder: Path, *args: str) -> str | None:
    """``git args`` run in ``folder``: its output, or None when it fails (no git, not a checkout)."""
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def code_version(repo: str | Path | None = None) -> str:
    """The git commit of the tree ``hvrt`` is imported from, flagged when its ``src`` (or the
    benchmark scripts under ``repo``'s ``benchmarks/``, results aside) had edits.

    That is the code the benchmark measured: with ``PYTHONPATH`` pointing at another tree (an
    A/B run against a copy of main), it is that tree's commit, not the one of the benchmark
    scripts, and the tree is named when it is not ``repo`` (the scripts' own checkout). An
    hvrt that git does not track (an installed wheel, a ``git archive`` copy) is "unknown",
    with where it was imported from.

    Parameters
    ----------
    repo : str or path-like, optional
        The benchmark scripts' checkout.

    Returns
    -------
    str
    """
    import importlib.util

    spec = importlib.util.find_spec("hvrt")  # where this process imports hvrt from (the workers inherit it)
    if spec is None or spec.origin is None:
        return "unknown (hvrt is not importable)"
    package = Path(spec.origin).resolve().parent
    top = _git(package, "rev-parse", "--show-toplevel")
    if top is None or _git(package, "ls-files", "--error-unmatch", Path(spec.origin).name) is None:
        return f"unknown (hvrt imported from {package}, which is not in a git checkout)"
    commit = _git(package, "rev-parse", "--short", "HEAD")
    dirty = _git(package, "--no-optional-locks", "status", "--porcelain", "--", str(package.parent))  # reads only
    text = f"commit {commit}" + (f" with uncommitted changes under {package.parent.name}/" if dirty else "")
    elsewhere = repo is not None and Path(top).resolve() != Path(repo).resolve()
    if elsewhere:
        text += f" of {top} (where hvrt is imported from, not the benchmark scripts' checkout)"
    # the scripts themselves (peer parameters, protocol) count too, not the results they write
    scripts = None if repo is None else Path(repo).resolve() / "benchmarks"
    if scripts is not None and _git(scripts, "--no-optional-locks", "status", "--porcelain", "--", ".", ":(exclude)results"):
        text += "; the benchmark scripts" + (f" in {Path(repo).resolve()}" if elsewhere else "") + " have uncommitted changes"
    return text


def load_line(before: Sequence[float], after: Sequence[float]) -> str:
    """How busy the (shared) machine was, so readers can judge the noise."""
    return (
        f"Load average (1, 5, 15 min) at the start: {', '.join(f'{v:.1f}' for v in before)}; "
        f"at the end: {', '.join(f'{v:.1f}' for v in after)} (other processes share the cores)."
    )


def run_context(
    load_before: Sequence[float],
    packages: tuple[str, ...] = ("numpy", "pandas", "scikit-learn", "numba"),
) -> list[str]:
    """The lines every result file opens with: UTC date, machine, code commit, load average.

    Call it when the measurements are done; ``load_before`` is ``os.getloadavg()`` from
    before they started.

    Parameters
    ----------
    load_before : sequence of float
        The 1, 5 and 15 minute load averages at the start of the run.
    packages : tuple of str
        Distributions whose versions :func:`machine_summary` names.

    Returns
    -------
    list of str
        Markdown list items.
    """
    return [
        f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine_summary(packages)}",
        f"- Code: {code_version(Path(__file__).resolve().parent.parent)}",
        f"- {load_line(load_before, os.getloadavg())}",
    ]


# --------------------------------------------------------------------------- worker processes


class WorkerTimeout(Exception):
    """A worker did not answer within its time cap (it has been killed)."""


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies (Linux), so a killed
    benchmark does not leave workers finishing minute-long runs."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class WorkerProcess:
    """A benchmark child process spoken to line by line: ``KIND payload`` replies on stdout.

    Each benchmark builds its own command and protocol words; this class holds what they
    share: the process (which dies with its parent on Linux), a reader thread, replies
    with a time cap that kills the worker, and a polite or forced stop.
    """

    def __init__(self, command: Sequence[str], kinds: Sequence[str], label: str = "") -> None:
        self.kinds = frozenset(kinds)
        self.label = label
        self.process = subprocess.Popen(
            list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=Path(__file__).resolve().parent.parent,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )  # fmt: skip
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def reply(self, timeout: float | None) -> tuple[str, str]:
        """The next protocol line as ``(kind, payload)``; kills the worker past ``timeout`` seconds.

        Raises
        ------
        WorkerTimeout
            When no reply came in time.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                self.close(kill=True)
                raise WorkerTimeout(self.label) from None
            if line is None:
                return "ERROR", f"worker exited with code {self.process.wait()}"
            kind, _, payload = line.partition(" ")
            if kind in self.kinds:
                return kind, payload

    def close(self, kill: bool = False) -> None:
        """Stop the worker: politely (``quit``), or by killing this one process."""
        if self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            try:
                self.send("quit")
                assert self.process.stdin is not None
                self.process.stdin.close()
            except (BrokenPipeError, OSError):
                self.process.kill()
        self.process.wait()
