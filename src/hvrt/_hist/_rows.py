"""Row partitioning (numba kernels).

Rows live in one array segment per node. Splitting a node partitions its segment in place,
codes, target and original row ids moving together, so each child's rows are contiguous;
at the end the leaves' segments give every original row its leaf.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._jit import njit
from ._threads import row_chunks

# The row kernels index with unsigned positions (np.uint64): numba then leaves out the
# fix-up of negative indices that it adds to every signed one, which cost 15-30 % in the
# partition passes (1M x 10 rows, one thread, minima: a balanced split 5.8 -> 4.1 ms, a 10 % one
# 3.9 -> 3.3 ms).


@njit(cache=True, inline="always")
def _goes_left(code: int, split_bin: int, nan_left: bool, nan_code: int) -> bool:
    return code <= split_bin or (nan_left and code == nan_code)


@njit(cache=True, inline="always")
def _swap_rows(words: np.ndarray, y: np.ndarray, rows: np.ndarray, i: int, j: int) -> None:
    # a row's codes move as 8-byte words (1.5x faster than byte by byte at 10 features);
    # unsigned positions spare numba's negative-index fix-ups (see the note above)
    a, b = np.uint64(i), np.uint64(j)
    for w in range(words.shape[1]):
        c = words[a, w]
        words[a, w] = words[b, w]
        words[b, w] = c
    for k in range(y.shape[1]):
        v = y[a, k]
        y[a, k] = y[b, k]
        y[b, k] = v
    r = rows[a]
    rows[a] = rows[b]
    rows[b] = r


@njit(cache=True, inline="always")
def _partition_swapping(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code) -> int:
    """Partition rows [start, end) in place by swapping misplaced pairs; returns the split point.

    Moves only misplaced rows but branches on every row: best for lopsided splits.
    """
    i = start
    j = end - 1  # (signed: it may end below start = 0)
    column = np.uint64(feature)
    while True:
        while i <= j and _goes_left(codes[np.uint64(i), column], split_bin, nan_left, nan_code):
            i += 1
        while i <= j and not _goes_left(codes[np.uint64(j), column], split_bin, nan_left, nan_code):
            j -= 1
        if i > j:
            return i
        _swap_rows(words, y, rows, i, j)
        i += 1
        j -= 1


# Rows a block of _partition_blocks scans on each side before it swaps the misplaced ones.
_BLOCK_ROWS = 256


@njit(cache=True, inline="always")
def _partition_blocks(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, n_left) -> None:
    """:func:`_partition_swapping`'s swaps without its data-dependent branches: each side
    is scanned a block of rows at a time, the positions of its misplaced rows written to a
    buffer branch-free (each position written, the count advanced by the row's
    direction), then the buffered pairs swapped in order. The t-th misplaced row from the
    left (a row of the left side, the first ``n_left`` rows, that goes right) is paired
    with the t-th from the end (a row of the right side that goes left), as the swapping
    loop pairs them, so the rows end in the same order. Knowing ``n_left`` bounds each scan
    to its own side; the two sides have as many misplaced rows each."""
    buffer = np.empty((2, _BLOCK_ROWS), dtype=np.int64)
    boundary = start + n_left
    column = np.uint64(feature)
    i_next, j_next = start, end - 1  # the next rows to scan on each side
    n_l, n_r, o_l, o_r = 0, 0, 0, 0  # misplaced rows buffered on each side, and the first unswapped
    while True:
        if n_l == 0 and i_next < boundary:
            o_l = 0
            stop = i_next + _BLOCK_ROWS if i_next + _BLOCK_ROWS < boundary else boundary  # noqa: FURB136
            for i in range(i_next, stop):
                buffer[0, n_l] = i
                n_l += not _goes_left(codes[np.uint64(i), column], split_bin, nan_left, nan_code)
            i_next = stop
        if n_r == 0 and j_next >= boundary:
            o_r = 0
            stop = j_next - _BLOCK_ROWS if j_next - _BLOCK_ROWS > boundary - 1 else boundary - 1  # noqa: FURB136
            for j in range(j_next, stop, -1):
                buffer[1, n_r] = j
                n_r += _goes_left(codes[np.uint64(j), column], split_bin, nan_left, nan_code)
            j_next = stop
        t = n_l if n_l < n_r else n_r  # noqa: FURB136
        if t == 0:
            if (n_l == 0 and i_next >= boundary) or (n_r == 0 and j_next < boundary):
                return  # one side scanned and swapped: so is the other
            continue
        for s in range(t):
            _swap_rows(words, y, rows, buffer[0, o_l + s], buffer[1, o_r + s])
        o_l += t
        o_r += t
        n_l -= t
        n_r -= t


@njit(cache=True, inline="always")
def _partition_branchless(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code) -> int:
    """Partition rows [start, end) in place without data-dependent branches.

    Every row is swapped with the first right-going row, and the left count advances by
    the row's direction; no mispredicted branches, so it wins on balanced splits.
    """
    n_left = start
    column = np.uint64(feature)
    for i in range(start, end):
        goes_left = _goes_left(codes[np.uint64(i), column], split_bin, nan_left, nan_code)
        _swap_rows(words, y, rows, i, n_left)
        n_left += goes_left
    return n_left


@njit(cache=True, inline="always")
def _partition_narrow(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, n_words) -> int:
    """:func:`_partition_branchless` for one output and rows of ``n_words`` code words,
    a constant at the call (1 or 2: up to 16 features), with the same swaps. The arrays
    are read through flat views at unsigned offsets of constant strides, and NaN's side is
    folded into the code it matches, so the loop's state stays in registers: the general
    loop reloaded half of it from the stack (1M rows, 10 features, a balanced split, one
    thread, precompiled: 4.1-4.2 -> 3.4-3.5 ms, minima)."""
    flat_codes = codes.reshape(codes.size)
    flat_words = words.reshape(words.size)
    flat_y = y.reshape(y.size)
    nan_match = np.int64(nan_code) if nan_left else np.int64(-1)  # -1: no code goes left as NaN
    width = np.uint64(n_words)
    row_bytes = np.uint64(8 * n_words)
    column = np.uint64(feature)
    n_left = np.uint64(start)
    for t in range(start, end):
        i = np.uint64(t)
        code = np.int64(flat_codes[i * row_bytes + column])
        for w in range(n_words):
            a, b = i * width + np.uint64(w), n_left * width + np.uint64(w)
            word = flat_words[a]
            flat_words[a] = flat_words[b]
            flat_words[b] = word
        value, row = flat_y[i], rows[i]
        flat_y[i], rows[i] = flat_y[n_left], rows[n_left]
        flat_y[n_left], rows[n_left] = value, row
        n_left += np.uint64((code <= split_bin) | (code == nan_match))
    return n_left


@njit(cache=True)
def split_rows(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, n_left) -> None:
    """Partition rows [start, end) in place by the split (``n_left``: the rows that go left)."""
    # measured at 1M rows: swapping costs ~45 q (1 - q) ns/row for a smaller share q,
    # the branch-free pass a flat ~6.4 ns/row; they cross near q = 0.2. The branch-free
    # pass moves every row twice, so with several outputs (80 bytes of target per row at
    # ten) swapping wins at every q (1M x 10 outputs, q = 0.5: 11.5 against 13.9 ns/row);
    # from q = 0.2 its swaps are made by blocks, without the scans' mispredicted branches
    # (1M x 10 float32 outputs in segments of 20k-100k rows, q 0.16-0.66, one thread,
    # minima: 5.0-5.3 -> 4.0-4.3 ms; at q = 0.09 no faster; segments of 1M rows, memory-bound, equal)
    small_size = n_left if 2 * n_left <= end - start else end - start - n_left
    if y.shape[1] > 1 and 5 * small_size >= end - start:
        _partition_blocks(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, n_left)
    elif 5 * small_size < end - start or y.shape[1] > 1:
        _partition_swapping(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code)
    elif words.shape[1] == 1:
        _partition_narrow(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, 1)
    elif words.shape[1] == 2:
        _partition_narrow(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, 2)
    else:
        _partition_branchless(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code)


@njit(cache=True, nogil=True)
def split_rows_half(codes, words, y_words, rows, start, end, feature, split_bin, nan_left, nan_code, n_left, half) -> None:
    """One of two threads' halves of the swapping partition of rows [start, end) that
    :func:`split_rows` makes (``_partition_swapping``), for a split whose left side holds
    ``n_left`` rows (exactly: the count from the node's histogram). ``half`` 0 or 1.

    The swapping partition pairs the t-th row of [start, start + n_left) that goes right
    (from the left) with the t-th row of [start + n_left, end) that goes left (from the
    end), and swaps each pair. Half 0 swaps the pairs whose first row lies in the first
    half of the left side (rows from the end for their partners), half 1 the others
    (walking both sides from the boundary outwards); the two sets of pairs are disjoint,
    so both halves can run at once, and together they swap exactly split_rows' pairs:
    the same row order, bit for bit. ``y_words`` is the target's memory as unsigned words
    (``y.view(np.uint64)``, or ``np.uint32`` for a float32 target of an odd width): a row
    moves the same bytes in fewer, wider moves.
    """
    boundary = start + n_left
    middle = start + n_left // 2
    column = np.uint64(feature)
    if half == 0:
        j = end - 1
        for i in range(start, middle):
            if _goes_left(codes[np.uint64(i), column], split_bin, nan_left, nan_code):
                continue
            while j >= boundary and not _goes_left(codes[np.uint64(j), column], split_bin, nan_left, nan_code):
                j -= 1
            if j < boundary:  # (never, with n_left exact)
                return
            _swap_rows(words, y_words, rows, i, j)
            j -= 1
    else:
        j = boundary
        for i in range(boundary - 1, middle - 1, -1):
            if _goes_left(codes[np.uint64(i), column], split_bin, nan_left, nan_code):
                continue
            while j < end and not _goes_left(codes[np.uint64(j), column], split_bin, nan_left, nan_code):
                j += 1
            if j >= end:  # (never, with n_left exact)
                return
            _swap_rows(words, y_words, rows, i, j)
            j += 1


def target_words(y: np.ndarray) -> np.ndarray:
    """The C-ordered target's memory as unsigned words for row moves: uint64 where a row is
    a whole number of 8-byte words, else uint32 (a float32 target of an odd width)."""
    return y.view(np.uint64) if (y.shape[1] * y.itemsize) % 8 == 0 else y.view(np.uint32)


def uses_swapping(small_size: int, n_rows: int, n_outputs: int) -> bool:
    """Whether :func:`split_rows` partitions a segment of ``n_rows`` by swapping misplaced
    pairs (the partition :func:`split_rows_half` shares between two threads)."""
    return 5 * small_size < n_rows or n_outputs > 1


@njit(cache=True, nogil=True)
def _write_leaves(rows: np.ndarray, leaf_nodes: np.ndarray, starts: np.ndarray, ends: np.ndarray, out: np.ndarray) -> None:
    for t in range(leaf_nodes.shape[0]):
        for i in range(starts[t], ends[t]):
            out[rows[i]] = leaf_nodes[t]


def rows_to_leaves(rows: np.ndarray, leaf_nodes: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The value of its leaf (int64) for every original row, from the leaves' segments of
    ``rows``: ``leaf_nodes[t]`` for the rows of leaf ``t`` (``fit_hist`` passes each leaf's
    index, which is the partitioner's label).

    The leaves are shared out between threads by their rows (each original row is in one
    leaf, so the threads write disjoint entries of the result).
    """
    out = np.empty(rows.shape[0], dtype=np.int64)
    n_chunks = len(row_chunks(rows.shape[0]))
    if n_chunks == 1 or len(leaf_nodes) < 2:
        _write_leaves(rows, leaf_nodes, starts, ends, out)
        return out
    # cut the leaf list where the running row count crosses each chunk's share
    cuts = np.searchsorted(np.cumsum(ends - starts), np.arange(1, n_chunks) * (rows.shape[0] / n_chunks))
    bounds = np.concatenate([[0], cuts, [len(leaf_nodes)]])

    def write(t: int) -> None:
        a, b = bounds[t], bounds[t + 1]
        _write_leaves(rows, leaf_nodes[a:b], starts[a:b], ends[a:b], out)

    with ThreadPoolExecutor(max_workers=n_chunks) as pool:
        for future in [pool.submit(write, t) for t in range(n_chunks)]:
            future.result()
    return out
