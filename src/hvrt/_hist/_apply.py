"""Compiled traversal of a fitted histogram tree, parallel over row chunks."""

from __future__ import annotations

import numpy as np

from ._jit import njit
from ._threads import run_in_chunks

# Rows advanced together, one level per step: their descents are independent, so the CPU
# overlaps them instead of stalling on each row's unpredictable branch (35-40 % faster
# than one row at a time at 1M rows, K = 200 and 4096).
_LOCKSTEP_ROWS = 16
# Levels descended between checks for whether every row of a group reached its leaf (a row
# at its leaf stays there, see traversal_arrays): checking every level cost more than the
# few extra steps (1M x 10, single thread: 53 -> 44 ms at K = 1000, 83 -> 63 ms at 4096).
_LEVELS_PER_CHECK = 4


def traversal_arrays(
    feature: np.ndarray,
    threshold: np.ndarray,
    nan_left: np.ndarray,
    children_left: np.ndarray,
    children_right: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tree with leaves turned into self-loops, the form :func:`_apply_rows` walks
    (through :func:`_routes`) and ``_categories.apply_rows_mixed`` too.

    A leaf reads feature 0, compares it with ``+inf`` (NaN goes left too) and both its
    children are itself, so a row that reached its leaf stays there while the others move.
    """
    is_leaf = children_left < 0
    node = np.arange(len(feature))
    children = np.stack(
        [np.where(is_leaf, node, children_left), np.where(is_leaf, node, children_right)], axis=1
    ).astype(np.int64)
    return (
        np.where(is_leaf, 0, feature).astype(np.int64),
        np.where(is_leaf, np.inf, threshold),
        (nan_left | is_leaf).astype(np.bool_),
        children,
        is_leaf,
    )


def _routes(nan_left: np.ndarray, children: np.ndarray) -> np.ndarray:
    """Where a row goes from each node, four entries a node for :func:`_apply_rows`:
    left, right, then the missing values' side twice (int64, flat)."""
    nan_side = np.where(nan_left, children[:, 0], children[:, 1])
    return np.stack([children[:, 0], children[:, 1], nan_side, nan_side], axis=1).ravel()


@njit(cache=True, nogil=True)
def _apply_rows(
    values, row_step, offsets, threshold, routes, is_leaf, max_depth, node_values, out, start, stop,
    spans, span_step, span_rows, limit,
) -> int:  # fmt: skip
    # ``values`` is X flat in memory order: row i's value of node t's feature is at
    # i * row_step + offsets[t]. Node ids and offsets are unsigned, so numba indexes
    # without its negative-index fix-ups, and a group stops at the tree's depth rather than
    # at the next multiple of _LEVELS_PER_CHECK; together 2x faster than signed indices into the 2-D X
    # (1M x 10 on one thread: 32 -> 14 ms at K = 64, 55 -> 31 ms at K = 4096).
    # x > threshold goes right and NaN (never > anything) takes the third route: one
    # table lookup instead of testing the node's NaN side at every step (20-25 % faster
    # than ``(x <= t) | (isnan(x) & nan_left)``, 1M x 10 on one thread, K = 64 and 4096).
    # Each row's result is ``node_values[leaf]``: the partitioner's labels straight away
    # (a lookup in a table in cache) rather than the node ids and a second pass to map them.
    # With ``spans`` > 0, the values of each group's rows are also counted where beyond
    # +-``limit`` (infinities too; NaN never: ``abs(x) > limit`` is false) once the group
    # is at its leaves, and the count returned: the labelling's check of X, made in the
    # pass that reads X anyway while the group's rows are in cache (see ``apply_tree``).
    # The group's values are ``spans`` runs of ``span_rows * width`` values, ``span_step``
    # apart (one run of whole rows in C order, one run a column in F order); each run is
    # a branch-free count, vectorised (1M x 10, two threads: 1-2 ms more than the
    # traversal alone, against 6-7 ms for numpy's total of squares before it).
    nodes = np.empty(_LOCKSTEP_ROWS, dtype=np.uint64)
    step = np.uint64(row_step)
    n_beyond = 0
    for first in range(start, stop, _LOCKSTEP_ROWS):
        width = min(stop, first + _LOCKSTEP_ROWS) - first
        for r in range(width):
            nodes[r] = 0
        descended = 0
        moving = True
        while moving:
            # the last levels before the tree's depth, not a whole _LEVELS_PER_CHECK (the
            # check, not the depth, decides when to stop: a wrong depth costs only time)
            remaining = max_depth - descended
            levels = remaining if 0 < remaining < _LEVELS_PER_CHECK else _LEVELS_PER_CHECK
            for _ in range(levels):
                row = np.uint64(first) * step
                for r in range(width):
                    node = nodes[r]
                    x = values[row + offsets[node]]
                    route = np.uint64(4) * node + np.uint64(x > threshold[node]) + np.uint64(2) * np.uint64(x != x)
                    nodes[r] = routes[route]
                    row += step
            descended += levels
            moving = False
            for r in range(width):
                moving |= not is_leaf[nodes[r]]
        for r in range(width):
            out[first + r] = node_values[nodes[r]]
        for s in range(spans):
            low = first * row_step + s * span_step
            # unsigned positions: no negative-index fix-ups, so a vectorised loop
            for k in range(np.uint64(low), np.uint64(low + span_rows * width)):
                n_beyond += abs(values[k]) > limit
    return n_beyond


def flat_walk(
    X: np.ndarray, feature: np.ndarray, nan_left: np.ndarray, children: np.ndarray
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """What :func:`_apply_rows` (and ``_categories.apply_rows_mixed``) read: ``X`` flat in
    memory order (a view; ``X`` C- or F-contiguous), the step between rows, each node's
    offset of its feature, and the routes (uint64)."""
    values = np.ravel(X, order="K")  # a view of X's memory (X is contiguous)
    row_step, column_step = (X.shape[1], 1) if X.flags.c_contiguous else (1, X.shape[0])
    offsets = (feature * column_step).astype(np.uint64)
    return values, row_step, offsets, _routes(nan_left, children).astype(np.uint64)


def apply_tree(
    X: np.ndarray,
    arrays: tuple[np.ndarray, ...],
    max_depth: int = 0,
    node_values: np.ndarray | None = None,
    limit: float | None = None,
) -> np.ndarray | None:
    """Leaf node id (int64) of each row of ``X`` (C- or F-contiguous), given
    :func:`traversal_arrays`'s output and the depth of the tree's deepest leaf (a hint
    that saves steps; 0 or a wrong depth gives the same leaves); with ``node_values``
    (int64, one per node), ``node_values[leaf]`` instead. With ``limit``, every value of
    ``X`` is compared with it on the way: None when one is beyond ``+-limit`` (or
    infinite; NaN is not), so that the caller can say which column holds it."""
    feature, threshold, nan_left, children, is_leaf = arrays
    values, row_step, offsets, routes = flat_walk(X, feature, nan_left, children)
    if node_values is None:
        node_values = np.arange(len(feature), dtype=np.int64)
    node_values = np.ascontiguousarray(node_values, dtype=np.int64)
    out = np.empty(X.shape[0], dtype=np.int64)
    depth = int(max_depth)
    # the runs of a group's values that the check reads (see _apply_rows): none without a
    # limit; in C order one run of whole rows; in F order one run per column
    spans, span_step, span_rows = 0, 0, 0
    if limit is not None:
        spans, span_step, span_rows = (1, 0, X.shape[1]) if X.flags.c_contiguous else (X.shape[1], X.shape[0], 1)
    bound = np.inf if limit is None else float(limit)
    counts: list[int] = []
    run_in_chunks(
        lambda start, stop: counts.append(
            _apply_rows(
                values, row_step, offsets, threshold, routes, is_leaf, depth, node_values, out, start, stop,
                spans, span_step, span_rows, bound,
            )
        ),
        X.shape[0],
    )  # fmt: skip
    return None if any(counts) else out
