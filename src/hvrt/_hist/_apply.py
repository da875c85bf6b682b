"""Compiled traversal of a fitted histogram tree, parallel over rows."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# Rows advanced together, one level per step: their descents are independent, so the CPU
# overlaps them instead of stalling on each row's unpredictable branch (35-40 % faster
# than one row at a time at 1M rows, K = 200 and 4096).
_LOCKSTEP_ROWS = 16
_CHUNK_ROWS = 16_384


def traversal_arrays(
    feature: np.ndarray,
    threshold: np.ndarray,
    nan_left: np.ndarray,
    children_left: np.ndarray,
    children_right: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tree with leaves turned into self-loops, the form :func:`apply_tree` walks.

    A leaf reads feature 0, compares it with ``+inf`` (NaN goes left too) and its "left"
    child is itself, so a row that reached its leaf stays there while the others move.
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


@njit(cache=True, parallel=True)
def apply_tree(
    X: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    nan_left: np.ndarray,
    children: np.ndarray,
    is_leaf: np.ndarray,
) -> np.ndarray:
    """Leaf node id (int64) of each row of ``X`` (arrays from :func:`traversal_arrays`).

    ``x <= threshold`` goes left, NaN goes left when ``nan_left``, else right.
    """
    n_rows = X.shape[0]
    out = np.empty(n_rows, dtype=np.int64)
    n_chunks = (n_rows + _CHUNK_ROWS - 1) // _CHUNK_ROWS
    for c in prange(n_chunks):
        nodes = np.empty(_LOCKSTEP_ROWS, dtype=np.int64)
        for start in range(c * _CHUNK_ROWS, min(n_rows, (c + 1) * _CHUNK_ROWS), _LOCKSTEP_ROWS):
            width = min(n_rows, start + _LOCKSTEP_ROWS) - start
            for r in range(width):
                nodes[r] = 0
            moving = True
            while moving:
                moving = False
                for r in range(width):
                    node = nodes[r]
                    x = X[start + r, feature[node]]
                    go_left = (x <= threshold[node]) | ((x != x) & nan_left[node])
                    node = children[node, 1 - go_left]
                    nodes[r] = node
                    moving |= not is_leaf[node]
            for r in range(width):
                out[start + r] = nodes[r]
    return out
