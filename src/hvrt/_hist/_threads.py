"""Row-chunk parallelism with Python threads over GIL-free numba kernels.

The kernels are compiled with ``nogil=True`` and run on plain threads, not in numba
``parallel=True`` regions: with numba's default OpenMP layer, a process that has run a
parallel region cannot safely fork (GNU OpenMP aborts the child, so a ``multiprocessing``
pool after a fit hangs), concurrent calls from user threads need a thread-safe layer, and
OpenMP's waiting threads made parallel regions 3-7x slower than serial code whenever
other jobs shared the two cores. Plain threads have none of these problems.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np

# Fewer rows than this per thread are not worth a thread.
MIN_ROWS_PER_THREAD = 65_536


def _numba_num_threads() -> int:
    """``NUMBA_NUM_THREADS`` as numba reads it at its import (the environment variable, else
    the CPUs this process may use), without importing numba. (Not ``_validation.thread_count``:
    ``setup.py`` imports the engine's modules to compile them, without pandas.)"""
    numba = sys.modules.get("numba")
    if numba is not None:
        return max(1, int(numba.config.NUMBA_NUM_THREADS))
    try:
        return max(1, int(os.environ["NUMBA_NUM_THREADS"]))
    except (KeyError, ValueError):
        pass
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, available or 1)


# read once, as numba does; tests set config.NUMBA_NUM_THREADS
config = SimpleNamespace(NUMBA_NUM_THREADS=_numba_num_threads())


def thread_count() -> int:
    """Threads to use: ``NUMBA_NUM_THREADS``, which defaults to the CPU count."""
    # not numba.get_num_threads(), which would start numba's threading layer (and import
    # numba, which the precompiled kernels do not need)
    return max(1, int(config.NUMBA_NUM_THREADS))


def row_chunks(n_rows: int, min_rows: int = MIN_ROWS_PER_THREAD) -> list[tuple[int, int]]:
    """Contiguous ``(start, stop)`` row ranges, one per thread worth starting."""
    n_threads = max(1, min(thread_count(), n_rows // max(min_rows, 1)))
    bounds = np.linspace(0, n_rows, n_threads + 1).astype(np.int64)
    return [(int(bounds[t]), int(bounds[t + 1])) for t in range(n_threads)]


def run_in_chunks(task: Callable[[int, int], object], n_rows: int) -> None:
    """Call ``task(start, stop)`` for every row chunk, on threads when there are several."""
    chunks = row_chunks(n_rows)
    if len(chunks) == 1:
        task(*chunks[0])
        return
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        for future in [pool.submit(task, start, stop) for start, stop in chunks]:
            future.result()  # re-raises a task's exception
