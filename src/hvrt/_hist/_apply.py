"""Compiled traversal of a fitted histogram tree, parallel over rows."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def apply_tree(
    X: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    nan_left: np.ndarray,
    children_left: np.ndarray,
    children_right: np.ndarray,
) -> np.ndarray:
    """Leaf node id (int64) of each row of ``X``: ``x <= threshold`` goes left, NaN as recorded."""
    out = np.empty(X.shape[0], dtype=np.int64)
    for i in prange(X.shape[0]):
        node = 0
        while children_left[node] >= 0:
            x = X[i, feature[node]]
            if x <= threshold[node] or (x != x and nan_left[node]):
                node = children_left[node]
            else:
                node = children_right[node]
        out[i] = node
    return out
