"""Growth of the whole tree: the root's histogram, then serial or two-subtree growth.

Both paths give the same tree, node for node (histogram slot numbers aside, see
``_grower``): the root histogram is
always the sum of the two halves' histograms, and the two-subtree path replays the serial
best-first order when it merges. So the number of threads changes the time, never the
partition.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._grower import ENTRIES, FINAL, PUBLISHED, grow, merge_subtrees, split_root
from ._histograms import add_histograms, build_histogram, column_sums, histogram_sums, histogram_width
from ._node_table import BIN, CATEGORIES, DEPTH, END, FEATURE, N_FIELDS, N_LEFT, NAN_LEFT, ORDER, START
from ._threads import MIN_ROWS_PER_THREAD, thread_count

# The subtrees of the root's children grow on two threads from this many rows (when two
# threads are allowed and more than two leaves are asked for); the root histogram's two
# halves then have MIN_ROWS_PER_THREAD rows or more each.
TWO_SUBTREES_MIN_ROWS = 2 * MIN_ROWS_PER_THREAD
# The two subtrees coordinate their stopping (see ``grow``'s board) when at most one leaf
# per this many rows is asked for; beyond that (e.g. growth to purity) the board, 16 bytes
# per leaf and side, is not worth its memory and every split is taken anyway.
COORDINATED_MIN_ROWS_PER_LEAF = 16


# Byte alignment of the root's histograms. With ten outputs a (feature, code) block is 96
# bytes; from a base 16 or 48 bytes past a 64-byte line every eight-lane addition straddles
# two lines (from 0 or 32, half of them): a 1M-row histogram took 31-37 ms there against
# 24-27 ms at 0 or 32 (medians of 7, alone). numpy's allocations are 16-byte aligned, and
# in the benchmark's fits these came 16 bytes past a line every time; numba's, in the
# growth kernel, came 64-byte aligned when checked.
_HISTOGRAM_ALIGNMENT = 64


def _aligned_empty(shape: tuple[int, ...]) -> np.ndarray:
    """``np.empty(shape)`` (float64, C order) starting on a ``_HISTOGRAM_ALIGNMENT`` boundary."""
    size = int(np.prod(shape))
    per_line = _HISTOGRAM_ALIGNMENT // 8
    buffer = np.empty(size + per_line)
    start = (-buffer.ctypes.data % _HISTOGRAM_ALIGNMENT) // 8  # (numpy's base is 8-byte aligned at least)
    return buffer[start : start + size].reshape(shape)


def _root_histogram(codes: np.ndarray, y: np.ndarray, n_features: int, n_codes: int, pool=None) -> np.ndarray:
    """Two histograms; the first is the root's, the sum of the two halves' (built on the
    pool's two threads when there is one), the second is workspace for :func:`split_root`.
    Both start on a ``_HISTOGRAM_ALIGNMENT`` boundary, or 32 bytes past one (a block is 96
    bytes with ten outputs)."""
    n, m = y.shape
    hists = _aligned_empty((2, n_features, n_codes, histogram_width(m)))
    bounds = ((0, n // 2), (n // 2, n))
    if pool is not None:
        for future in [pool.submit(build_histogram, hists[h], codes, y, *bounds[h]) for h in range(2)]:
            future.result()
    else:
        for h in range(2):
            build_histogram(hists[h], codes, y, *bounds[h])
    add_histograms(hists[0], hists[1])
    return hists


def grow_tree(
    codes: np.ndarray,
    y: np.ndarray,
    n_value_bins: np.ndarray,
    nan_code: int,
    max_leaves: int,
    min_leaf: int,
    max_depth: int,
    min_gain: float,
    hist_min_rows: int,
    categorical: np.ndarray | None = None,
    min_category_rows: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grow the tree on all rows; ``codes`` and ``y`` are permuted into node order in place.

    Parameters are the like-named ones of :func:`hvrt._hist._grower.grow` (``categorical``
    None: no native categorical feature; ``codes``
    from ``transform_bins``, ``y`` the centred target, C-ordered (n, m)).

    Returns
    -------
    node_int, node_float : the node tables (see ``_node_table``).
    rows : int32 (n,), the original row at each position; a leaf owns rows[START:END].
    """
    n = codes.shape[0]
    n_features = len(n_value_bins)
    if categorical is not None and not categorical.any():
        categorical = None  # grow's version without the categorical kernels
    words = codes.view(np.uint64)
    rows = np.arange(n, dtype=np.int32)
    threads = 2 if thread_count() >= 2 and n >= TWO_SUBTREES_MIN_ROWS else 1
    if threads == 1:
        hists = _root_histogram(codes, y, n_features, nan_code + 1)
        root_sums = histogram_sums(hists[0])[: y.shape[1]] if n_features else column_sums(y, 0, n)
        node_int, node_float = _grow_serial(
            codes, words, y, rows, hists[0], root_sums, n_value_bins, categorical, nan_code, max_leaves, min_leaf,
            max_depth, min_gain, hist_min_rows, min_category_rows,
        )  # fmt: skip
        return node_int, node_float, rows
    # one pool of two threads for the root's histogram, its split and the two subtrees
    with ThreadPoolExecutor(max_workers=2) as pool:
        return _grow_on_two_threads(
            codes, words, y, rows, n_value_bins, categorical, nan_code, max_leaves, min_leaf, max_depth, min_gain,
            hist_min_rows, min_category_rows, pool,
        )  # fmt: skip


def _grow_on_two_threads(
    codes, words, y, rows, n_value_bins, categorical, nan_code, max_leaves, min_leaf, max_depth, min_gain,
    hist_min_rows, min_category_rows, pool,
):  # fmt: skip
    """:func:`grow_tree` on the pool's two threads: the root's histogram by halves, the
    root's split (:func:`split_root`), then its children's subtrees side by side."""
    n = codes.shape[0]
    hists = _root_histogram(codes, y, len(n_value_bins), nan_code + 1, pool)
    # from the histogram (one pass less), as every other node's; without features, from y
    root_sums = histogram_sums(hists[0])[: y.shape[1]] if len(n_value_bins) else column_sums(y, 0, n)
    if max_leaves <= 2:
        node_int, node_float = _grow_serial(
            codes, words, y, rows, hists[0], root_sums, n_value_bins, categorical, nan_code, max_leaves, min_leaf,
            max_depth, min_gain, hist_min_rows, min_category_rows,
        )  # fmt: skip
        return node_int, node_float, rows

    gain, feature, split_bin, nan_left, n_left, left_sums, right_sums, bits = split_root(
        codes, words, y, rows, hists, root_sums, n_value_bins, categorical, nan_code, min_leaf, max_depth,
        min_gain, min_category_rows, pool,
    )
    root_int = np.full(N_FIELDS, -1, dtype=np.int64)
    root_int[[START, END, DEPTH]] = 0, n, 0
    root_float = np.concatenate([[gain], root_sums])
    if feature < 0:  # the root is the only leaf
        return root_int[None, :], root_float[None, :], rows
    root_int[[FEATURE, BIN, NAN_LEFT, N_LEFT, ORDER]] = feature, split_bin, nan_left, n_left, 0
    if categorical is not None and categorical[feature]:  # as grow records it: the set of a categorical split only
        root_int[CATEGORIES : CATEGORIES + 4] = bits

    # each subtree may take every leaf but the other's one; on the board each publishes its
    # splits and stops once the merge no longer needs them (see grow); the merge cuts the rest
    coordinated = max_leaves - 1 <= max(n // COORDINATED_MIN_ROWS_PER_LEAF, 2)
    board_width = max_leaves - 1 if coordinated else 0
    board = np.zeros((2, ENTRIES + board_width), dtype=np.int64)
    board_gain = np.zeros((2, board_width))

    def subtree(start: int, end: int, child: int, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grow(
            codes, words, y, rows, start, end, hists[child], sums, 1, n_value_bins, categorical, nan_code,
            max_leaves - 1, min_leaf, max_depth, min_gain, hist_min_rows, min_category_rows, board, board_gain,
            child if coordinated else -1,
        )  # fmt: skip

    left = pool.submit(subtree, 0, n_left, 0, left_sums)
    right = pool.submit(subtree, n_left, n, 1, right_sums)
    (left_int, left_float), (right_int, right_float) = left.result(), right.result()
    published = [
        None if not coordinated or board[s, FINAL] else (board[s, ENTRIES : ENTRIES + board[s, PUBLISHED]], board_gain[s, : board[s, PUBLISHED]])
        for s in range(2)
    ]  # fmt: skip
    merged = merge_subtrees(
        root_int, root_float, left_int, left_float, right_int, right_float, max_leaves, published
    )
    if merged is None:  # a subtree stopped before the merge was decided: never expected, see grow
        return _regrow_serially(
            codes, words, y, rows, n_value_bins, categorical, nan_code, max_leaves, min_leaf, max_depth, min_gain,
            hist_min_rows, min_category_rows,
        )  # fmt: skip
    return (*merged, rows)


def _grow_serial(
    codes, words, y, rows, root_hist, root_sums, n_value_bins, categorical, nan_code, max_leaves, min_leaf,
    max_depth, min_gain, hist_min_rows, min_category_rows,
):  # fmt: skip
    """Serial best-first growth of the whole tree from the root's histogram."""
    no_board = np.zeros((2, ENTRIES), dtype=np.int64)
    return grow(
        codes, words, y, rows, 0, codes.shape[0], root_hist, root_sums, 0, n_value_bins, categorical, nan_code,
        max_leaves, min_leaf, max_depth, min_gain, hist_min_rows, min_category_rows, no_board, np.zeros((2, 0)), -1,
    )  # fmt: skip


def _regrow_serially(
    codes, words, y, rows, n_value_bins, categorical, nan_code, max_leaves, min_leaf, max_depth, min_gain,
    hist_min_rows, min_category_rows,
):  # fmt: skip
    """Put the rows back in their original order and grow the whole tree serially."""
    for array in (codes, y):
        original = np.empty_like(array)
        original[rows] = array
        array[...] = original
    rows[...] = np.arange(len(rows), dtype=rows.dtype)
    hists = _root_histogram(codes, y, len(n_value_bins), nan_code + 1)
    root_sums = histogram_sums(hists[0])[: y.shape[1]]
    node_int, node_float = _grow_serial(
        codes, words, y, rows, hists[0], root_sums, n_value_bins, categorical, nan_code, max_leaves, min_leaf,
        max_depth, min_gain, hist_min_rows, min_category_rows,
    )  # fmt: skip
    return node_int, node_float, rows
