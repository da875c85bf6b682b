"""The node tables of a growing tree, and the heap that orders its open leaves (numba kernels).

A tree under growth is two tables with a row per node: integers (the columns below; a
node owns positions ``[START, END)`` of the permuted rows) and floats (its best split's
gain, then its per-output target sums). The heap holds the open leaves that can split,
the largest gain first, ties to the older (smaller) node id, so growth is deterministic.

The heap and table helpers are inlined into ``grow``, their only caller, by numba
(``inline="always"``) rather than compiled as kernels of their own: on an empty cache each
separate kernel cost 0.2-0.4 s to compile and again to re-link into ``grow``
(``python -m benchmarks.compile_profile``), and they run a few times per split, not per
row, so how they are compiled does not show in a fit's time.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit

# Columns of the integer node table; ORDER is the node's place in its tree's split sequence.
START, END, DEPTH, SLOT, FEATURE, BIN, NAN_LEFT, N_LEFT, LEFT, RIGHT, ORDER = range(11)
# A native categorical split's set of codes sent left: four 64-bit words from this column.
CATEGORIES = 11
N_FIELDS = 15
# Columns of the float node table: the best split's gain, then the node's target sums.
GAIN = 0


@njit(cache=True, inline="always")
def _before(gain: np.ndarray, a: int, b: int) -> bool:
    return gain[a] > gain[b] or (gain[a] == gain[b] and a < b)


@njit(cache=True, inline="always")
def heap_push(heap: np.ndarray, size: int, node: int, gain: np.ndarray) -> int:
    """Push ``node`` onto the heap of ``size`` nodes ordered by ``gain``; returns the new size."""
    pos = size
    heap[pos] = node
    while pos > 0:
        parent = (pos - 1) // 2
        if not _before(gain, heap[pos], heap[parent]):
            break
        heap[pos], heap[parent] = heap[parent], heap[pos]
        pos = parent
    return size + 1


@njit(cache=True, inline="always")
def heap_pop(heap: np.ndarray, size: int, gain: np.ndarray) -> int:
    """Remove and return the node of largest gain (the caller shrinks ``size`` by one)."""
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and _before(gain, heap[child + 1], heap[child]):
            child += 1
        if not _before(gain, heap[child], heap[pos]):
            break
        heap[pos], heap[child] = heap[child], heap[pos]
        pos = child
    return top


@njit(cache=True, inline="always")
def enlarged(node_int: np.ndarray, node_float: np.ndarray, heap: np.ndarray, capacity: int):
    """Copies of the two node tables and the heap with room for ``capacity`` nodes.

    New rows are -1 (integers) and 0.0 (floats). One kernel for the three arrays, also
    used for the first allocation (from empty ones): one compiled copy instead of one per
    table type, and no array expression such as ``-np.ones(...)`` to compile.
    """
    new_int = np.empty((capacity, node_int.shape[1]), dtype=np.int64)
    new_float = np.empty((capacity, node_float.shape[1]))
    new_heap = np.empty(capacity, dtype=np.int64)
    for t in range(capacity):
        kept = t < node_int.shape[0]
        for c in range(node_int.shape[1]):
            new_int[t, c] = node_int[t, c] if kept else -1
        for c in range(node_float.shape[1]):
            new_float[t, c] = node_float[t, c] if kept else 0.0
        new_heap[t] = heap[t] if t < heap.shape[0] else 0
    return new_int, new_float, new_heap
