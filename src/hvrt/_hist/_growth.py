"""Best-first least-squares growth on binned inputs (numba kernels).

Rows live in one array segment per node. Splitting a node partitions its segment in place
(codes, target and row ids move together), then builds the histogram of the smaller child
from its now contiguous rows; the larger child's histogram is the parent's minus the
smaller's.

A histogram holds, for each feature and code, the per-output target sums and the row count
(``hist[feature, code, :m]`` and ``hist[feature, code, m]``). The least-squares gain of a split
into L and R is ``sum_k (S_Lk^2 / n_L + S_Rk^2 / n_R - S_k^2 / n)``, the drop in the summed
per-output SSE, so one histogram scan serves the single and the multi-output target.

Growth is serial (and releases the GIL): a node's split depends on the previous one, and
no OpenMP region means no spinning threads on a busy machine and no fork hazards (GNU
OpenMP aborts a forked child of a process that used it).

Histograms are kept between splits only for open leaves of at least ``hist_min_rows`` rows
(their number is bounded by ``n / hist_min_rows``, which bounds the memory); a smaller leaf
rebuilds both children's histograms from its rows, which costs less than a subtraction of
full histograms would save.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Columns of the integer node table.
START, END, DEPTH, SLOT, FEATURE, BIN, NAN_LEFT, N_LEFT, LEFT, RIGHT = range(10)
N_FIELDS = 10
# Columns of the float node table: the best split's gain, then the node's target sums.
GAIN = 0

@njit(cache=True, inline="always")
def _add_row(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, i: int) -> None:
    m = y.shape[1]
    if m == 1:
        # the single-output case, written out: 2.3x faster than the generic loop
        value = y[i, 0]
        for f in range(hist.shape[0]):
            b = codes[i, f]
            hist[f, b, 0] += value
            hist[f, b, 1] += 1.0
    else:
        for f in range(hist.shape[0]):
            b = codes[i, f]
            for k in range(m):
                hist[f, b, k] += y[i, k]
            hist[f, b, m] += 1.0


@njit(cache=True, inline="always")
def _goes_left(code: int, split_bin: int, nan_left: bool, nan_code: int) -> bool:
    return code <= split_bin or (nan_left and code == nan_code)


@njit(cache=True)
def _zero(hist: np.ndarray) -> None:
    # explicit loops: numba's array-expression machinery costs seconds of compile time
    for f in range(hist.shape[0]):
        for b in range(hist.shape[1]):
            for k in range(hist.shape[2]):
                hist[f, b, k] = 0.0


@njit(cache=True)
def _subtract(hist: np.ndarray, other: np.ndarray) -> None:
    for f in range(hist.shape[0]):
        for b in range(hist.shape[1]):
            for k in range(hist.shape[2]):
                hist[f, b, k] -= other[f, b, k]


@njit(cache=True)
def _build_serial(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int) -> None:
    _zero(hist)
    for i in range(start, end):
        _add_row(hist, codes, y, i)


@njit(cache=True, inline="always")
def _swap_rows(words: np.ndarray, y: np.ndarray, rows: np.ndarray, i: int, j: int) -> None:
    # a row's codes move as 8-byte words (1.5x faster than byte by byte at 10 features)
    for w in range(words.shape[1]):
        c = words[i, w]
        words[i, w] = words[j, w]
        words[j, w] = c
    for k in range(y.shape[1]):
        v = y[i, k]
        y[i, k] = y[j, k]
        y[j, k] = v
    r = rows[i]
    rows[i] = rows[j]
    rows[j] = r


@njit(cache=True)
def _partition_swapping(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code) -> int:
    """Partition rows [start, end) in place by swapping misplaced pairs; returns the split point.

    Moves only misplaced rows but branches on every row: best for lopsided splits.
    """
    i = start
    j = end - 1
    while True:
        while i <= j and _goes_left(codes[i, feature], split_bin, nan_left, nan_code):
            i += 1
        while i <= j and not _goes_left(codes[j, feature], split_bin, nan_left, nan_code):
            j -= 1
        if i > j:
            return i
        _swap_rows(words, y, rows, i, j)
        i += 1
        j -= 1


@njit(cache=True)
def _partition_branchless(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code) -> int:
    """Partition rows [start, end) in place without data-dependent branches.

    Every row is swapped with the first right-going row, and the left count advances by
    the row's direction; no mispredicted branches, so it wins on balanced splits.
    """
    n_left = start
    for i in range(start, end):
        goes_left = _goes_left(codes[i, feature], split_bin, nan_left, nan_code)
        _swap_rows(words, y, rows, i, n_left)
        n_left += goes_left
    return n_left


@njit(cache=True, inline="always")
def _score_bins(count, left_sq, right_sq, n_candidates, n_node, min_leaf, score) -> None:
    # Branch-free so that LLVM vectorises the divisions; invalid splits score -inf.
    for b in range(n_candidates):
        n_left = count[b]
        n_right = n_node - n_left
        value = left_sq[b] / max(n_left, 1.0) + right_sq[b] / max(n_right, 1.0)
        score[b] = value if (n_left >= min_leaf) & (n_right >= min_leaf) else -np.inf


@njit(cache=True)
def _best_split(hist, n_value_bins, nan_code, node_sum, n_node, min_leaf, scratch):
    """Best least-squares split of a node from its histogram.

    For each feature, one pass accumulates the left counts and the summed squares of the
    left and right per-output sums at every bin; a branch-free pass scores them. A split
    "code <= b" sends NaN right, or left (tried when the node has NaN); the last value bin
    splits values from NaN. Ties keep the first feature, bin and NaN-right, so growth is
    deterministic.

    Returns (gain, feature, bin, nan_left, n_left); feature is -1 when no split is valid.
    """
    n_features = hist.shape[0]
    m = node_sum.shape[0]
    count, left_sq, right_sq, nan_left_sq, nan_right_sq, score, left_sum = (
        scratch[0], scratch[1], scratch[2], scratch[3], scratch[4], scratch[5], scratch[6]
    )
    parent_score = 0.0
    for k in range(m):
        parent_score += node_sum[k] * node_sum[k] / n_node
    best_score = -np.inf
    best_feature, best_bin, best_nan_left, best_n_left = -1, 0, False, 0
    for f in range(n_features):
        n_bins = n_value_bins[f]
        n_nan = hist[f, nan_code, m]
        has_nan = n_nan > 0.0
        # candidates "code <= b" for b < n_bins - 1, and values-vs-NaN when NaN is present
        n_candidates = n_bins if has_nan else n_bins - 1
        if n_candidates <= 0:
            continue
        n_left = 0.0
        if m == 1:
            total = node_sum[0]
            nan_sum = hist[f, nan_code, 0]
            running = 0.0
            for b in range(n_candidates):
                n_left += hist[f, b, 1]
                running += hist[f, b, 0]
                count[b] = n_left
                left_sq[b] = running * running
                right_sq[b] = (total - running) * (total - running)
                if has_nan:
                    with_nan = running + nan_sum
                    nan_left_sq[b] = with_nan * with_nan
                    nan_right_sq[b] = (total - with_nan) * (total - with_nan)
        else:
            for k in range(m):
                left_sum[k] = 0.0
            for b in range(n_candidates):
                n_left += hist[f, b, m]
                count[b] = n_left
                sq_left = sq_right = sq_nan_left = sq_nan_right = 0.0
                for k in range(m):
                    left_sum[k] += hist[f, b, k]
                    right = node_sum[k] - left_sum[k]
                    sq_left += left_sum[k] * left_sum[k]
                    sq_right += right * right
                    if has_nan:
                        with_nan = left_sum[k] + hist[f, nan_code, k]
                        sq_nan_left += with_nan * with_nan
                        sq_nan_right += (node_sum[k] - with_nan) * (node_sum[k] - with_nan)
                left_sq[b], right_sq[b] = sq_left, sq_right
                nan_left_sq[b], nan_right_sq[b] = sq_nan_left, sq_nan_right
        _score_bins(count, left_sq, right_sq, n_candidates, n_node, min_leaf, score)
        for b in range(n_candidates):
            if score[b] > best_score:
                best_score, best_feature, best_bin, best_nan_left = score[b], f, b, False
                best_n_left = int(count[b])
        if has_nan:
            # NaN joins the left side: shift the counts, score the value splits only
            for b in range(n_bins - 1):
                count[b] += n_nan
            _score_bins(count, nan_left_sq, nan_right_sq, n_bins - 1, n_node, min_leaf, score)
            for b in range(n_bins - 1):
                if score[b] > best_score:
                    best_score, best_feature, best_bin, best_nan_left = score[b], f, b, True
                    best_n_left = int(count[b])
    if best_feature >= 0 and hist[best_feature, nan_code, m] == 0.0:
        # no NaN seen here: send future NaN to the larger child, as scikit-learn does
        best_nan_left = 2 * best_n_left >= n_node
    return best_score - parent_score, best_feature, best_bin, best_nan_left, best_n_left


@njit(cache=True, inline="always")
def _before(gain: np.ndarray, a: int, b: int) -> bool:
    return gain[a] > gain[b] or (gain[a] == gain[b] and a < b)


@njit(cache=True)
def _heap_push(heap: np.ndarray, size: int, node: int, gain: np.ndarray) -> int:
    pos = size
    heap[pos] = node
    while pos > 0:
        parent = (pos - 1) // 2
        if not _before(gain, heap[pos], heap[parent]):
            break
        heap[pos], heap[parent] = heap[parent], heap[pos]
        pos = parent
    return size + 1


@njit(cache=True)
def _heap_pop(heap: np.ndarray, size: int, gain: np.ndarray) -> int:
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


@njit(cache=True)
def _enlarged(table: np.ndarray, capacity: int, fill) -> np.ndarray:
    out = np.empty((capacity, table.shape[1]), dtype=table.dtype)
    for t in range(capacity):
        for c in range(table.shape[1]):
            out[t, c] = table[t, c] if t < table.shape[0] else fill
    return out


@njit(cache=True, nogil=True)
def grow(
    codes: np.ndarray,
    words: np.ndarray,
    y: np.ndarray,
    n_value_bins: np.ndarray,
    nan_code: int,
    max_leaves: int,
    min_leaf: int,
    max_depth: int,
    min_gain: float,
    hist_min_rows: int,
):
    """Grow the tree; ``codes`` and ``y`` are permuted into node order in place.

    Parameters
    ----------
    codes : uint8 array (n, width), C order, width a multiple of 8 >= p (from transform_bins).
    words : the same memory as uint64 (n, width // 8), to move rows word by word.
    y : float64 array (n, m), C order (centred target).
    n_value_bins : int64 array (p,).
    nan_code : int, the NaN code (histogram width - 1).
    max_leaves : int, stop at this many leaves.
    min_leaf : int, minimum rows per child.
    max_depth : int, nodes at this depth are not split.
    min_gain : float, a split's SSE reduction must be at least this (and positive).
    hist_min_rows : int, open leaves this large keep their histogram.

    Returns
    -------
    node_int : int64 (n_nodes, N_FIELDS) node table (see the column constants).
    node_float : float64 (n_nodes, 1 + m): best gain, then the node's target sums.
    rows : int32 (n,) original row of each position; a leaf owns rows[START:END].
    """
    n = codes.shape[0]
    p = n_value_bins.shape[0]
    m = y.shape[1]
    width = nan_code + 1
    rows = np.empty(n, dtype=np.int32)
    for i in range(n):
        rows[i] = i

    capacity = min(2 * max_leaves, 4096)
    node_int = -np.ones((capacity, N_FIELDS), dtype=np.int64)
    node_float = np.zeros((capacity, 1 + m))
    heap = np.empty(capacity, dtype=np.int64)
    heap_size = 0

    n_slots = min(max_leaves, n // hist_min_rows) + 2
    hist = np.empty((n_slots + 2, p, width, m + 1))  # + two scratch histograms
    scratch_a, scratch_b = n_slots, n_slots + 1
    free_slots = np.empty(n_slots, dtype=np.int64)
    for t in range(n_slots):
        free_slots[t] = n_slots - 1 - t
    n_free = n_slots
    # per-bin work arrays of _best_split (rows 0-5) and the per-output left sums (row 6)
    split_scratch = np.empty((7, max(width, m)))

    # root
    node_int[0, START], node_int[0, END], node_int[0, DEPTH] = 0, n, 0
    n_free -= 1
    root_slot = free_slots[n_free]
    root_start = node_int[0, START]  # a variable, not a literal 0: one compiled signature
    _build_serial(hist[root_slot], codes, y, root_start, n)
    for k in range(m):
        total = 0.0
        for i in range(n):
            total += y[i, k]
        node_float[0, 1 + k] = total
    n_nodes = 1
    n_leaves = 1
    pending = np.empty(2, dtype=np.int64)  # nodes whose best split is to be found
    pending_slot = np.empty(2, dtype=np.int64)
    pending[0], pending_slot[0] = 0, root_slot
    n_pending = 1

    while True:
        # find the best split of the new nodes and queue the splittable ones
        for t in range(n_pending):
            node, slot = pending[t], pending_slot[t]
            size = node_int[node, END] - node_int[node, START]
            keep = False
            if node_int[node, DEPTH] < max_depth and size >= 2 * min_leaf:
                gain, feature, split_bin, nan_left, n_left = _best_split(
                    hist[slot], n_value_bins, nan_code, node_float[node, 1:], size, min_leaf, split_scratch
                )
                if feature >= 0 and gain > 0.0 and gain >= min_gain:
                    node_float[node, GAIN] = gain
                    node_int[node, FEATURE], node_int[node, BIN] = feature, split_bin
                    node_int[node, NAN_LEFT], node_int[node, N_LEFT] = nan_left, n_left
                    heap_size = _heap_push(heap, heap_size, node, node_float[:, GAIN])
                    keep = size >= hist_min_rows or node == 0
            if slot < n_slots:
                if keep:
                    node_int[node, SLOT] = slot
                else:
                    free_slots[n_free] = slot
                    n_free += 1
        if n_leaves >= max_leaves or heap_size == 0:
            break

        parent = _heap_pop(heap, heap_size, node_float[:, GAIN])
        heap_size -= 1
        start, end = node_int[parent, START], node_int[parent, END]
        n_left = node_int[parent, N_LEFT]
        n_right = end - start - n_left
        left_is_small = n_left <= n_right
        small_size = n_left if left_is_small else n_right
        parent_slot = node_int[parent, SLOT]
        if parent_slot >= 0:
            if small_size >= hist_min_rows:
                n_free -= 1
                small_slot = free_slots[n_free]
            else:
                small_slot = scratch_a
            large_slot = parent_slot
        else:
            small_slot, large_slot = scratch_a, scratch_b
        left_slot = small_slot if left_is_small else large_slot
        right_slot = large_slot if left_is_small else small_slot
        build_both = parent_slot < 0
        feature, split_bin = node_int[parent, FEATURE], node_int[parent, BIN]
        nan_left = node_int[parent, NAN_LEFT] == 1
        # measured at 1M rows: swapping costs ~45 q (1 - q) ns/row for a smaller share q,
        # the branch-free pass a flat ~6.4 ns/row; they cross near q = 0.2
        if 5 * small_size < end - start:
            _partition_swapping(
                codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code
            )
        else:
            _partition_branchless(
                codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code
            )
        # histograms from contiguous rows after the partition: a tight loop beats
        # accumulating inside the partition pass
        small_start = start if left_is_small else start + n_left
        _build_serial(hist[small_slot], codes, y, small_start, small_start + small_size)
        if build_both:
            large_start = start + n_left if left_is_small else start
            large_size = end - start - small_size
            _build_serial(hist[large_slot], codes, y, large_start, large_start + large_size)
        else:
            _subtract(hist[large_slot], hist[small_slot])

        if n_nodes + 2 > capacity:
            capacity *= 2
            node_int = _enlarged(node_int, capacity, -1)
            node_float = _enlarged(node_float, capacity, 0.0)
            new_heap = np.empty(capacity, dtype=np.int64)
            for t in range(heap_size):
                new_heap[t] = heap[t]
            heap = new_heap
        left, right = n_nodes, n_nodes + 1
        n_nodes += 2
        node_int[parent, LEFT], node_int[parent, RIGHT] = left, right
        node_int[parent, SLOT] = -1
        depth = node_int[parent, DEPTH] + 1
        node_int[left, START], node_int[left, END], node_int[left, DEPTH] = start, start + n_left, depth
        node_int[right, START], node_int[right, END], node_int[right, DEPTH] = start + n_left, end, depth
        for k in range(m):
            total = 0.0
            for b in range(width):
                total += hist[left_slot, 0, b, k]
            node_float[left, 1 + k] = total
            node_float[right, 1 + k] = node_float[parent, 1 + k] - node_float[left, 1 + k]
        n_leaves += 1
        pending[0], pending_slot[0] = left, left_slot
        pending[1], pending_slot[1] = right, right_slot
        n_pending = 2

    # open leaves left in the heap are leaves: forget their candidate splits
    for t in range(n_nodes):
        if node_int[t, LEFT] < 0:
            node_int[t, FEATURE] = -1
            node_int[t, BIN] = -1
    return node_int[:n_nodes], node_float[:n_nodes], rows


@njit(cache=True, nogil=True)
def rows_to_leaves(rows: np.ndarray, leaf_nodes: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Leaf node of every original row, from the leaves' segments of ``rows``."""
    out = np.empty(rows.shape[0], dtype=np.int64)
    for t in range(leaf_nodes.shape[0]):
        for i in range(starts[t], ends[t]):
            out[rows[i]] = leaf_nodes[t]
    return out
