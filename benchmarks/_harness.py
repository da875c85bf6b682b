"""Shared measuring tools for the benchmarks: wall time, peak memory, machine facts."""

from __future__ import annotations

import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Resident set size of this process right now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


@dataclass
class Measurement:
    seconds: float
    peak_mb: float  # peak resident memory during the call, above what was resident before it
    result: Any


def measure(fn: Callable[[], Any], poll_seconds: float = 0.002) -> Measurement:
    """Run ``fn`` once, timing it and sampling RSS in a background thread.

    RSS sees every allocation (numpy, numba, C libraries), unlike ``tracemalloc``.
    """
    baseline = rss_bytes()
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes())
            time.sleep(poll_seconds)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        result = fn()
    finally:
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    peak = max(peak, rss_bytes())
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
