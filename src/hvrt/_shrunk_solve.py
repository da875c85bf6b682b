"""Every shrinkage candidate and cross-validation fold solved down the tree in one compiled pass.

The local models pick their shrinkage by cross-validation: for each candidate pull and
each held-out fold, every tree node's ridge system is solved, top down, each node shrunk
toward its parent's solution. That is tens of thousands of small symmetric positive
definite systems (10 candidates x 5 folds x ~500 nodes, ~27 unknowns each). numpy solves
them one level at a time with a general LU per system; per level its call overhead and
the temporaries cost more than the arithmetic. This kernel builds each system in place
and solves it by Cholesky, without leaving compiled code. It solves exactly the systems
of ``local_models._TreeSums.solve`` (whose docstring derives them); a candidate whose
systems are not numerically positive definite is reported so the caller can solve it
the general way. numba compiles it on first use and caches it on disk.
"""

from __future__ import annotations

import numpy as np
from numba import njit


# Reassociation lets the dot products of the factorisation vectorise; NaN and infinity
# keep their meaning (no "nnan"/"ninf"), so the positive-definiteness test stays exact.
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _solve_all(
    parent, partition_nodes, total_gram, total_moment, fold_gram, fold_moment, slopes, levels, alpha, coef, failed
):  # pragma: no cover - compiled
    n_candidates, n_folds = slopes.shape[0], fold_gram.shape[0]
    n_nodes, width = total_gram.shape[0], total_gram.shape[1]
    node_coef = np.empty((n_nodes, width))
    system = np.empty((width, width))
    right = np.empty(width)
    centre = np.zeros(width)
    for c in range(n_candidates):
        slope, level = slopes[c], levels[c]
        for f in range(n_folds):
            ok = True
            for node in range(n_nodes):  # a parent's id is smaller than its children's
                # Only the lower triangle is built and read: the systems are symmetric.
                for a in range(width):
                    right[a] = total_moment[node, a] - fold_moment[f, node, a]
                    for b in range(a + 1):
                        system[a, b] = total_gram[node, a, b] - fold_gram[f, node, a, b]
                for a in range(1, width):
                    system[a, a] += alpha
                up = parent[node]
                if up >= 0:
                    # Shrink toward the parent in coordinates centred on the node's rows.
                    weight = system[0, 0]
                    centre[0] = 0.0
                    centred_prior = 0.0
                    for a in range(1, width):
                        centre[a] = system[a, 0] / weight if weight > 0 else 0.0
                        centred_prior += centre[a] * node_coef[up, a]
                    for a in range(1, width):
                        system[a, 0] += level * centre[a]
                        for b in range(1, a + 1):
                            system[a, b] += level * centre[a] * centre[b]
                    system[0, 0] += level
                    right[0] += level * node_coef[up, 0] + level * centred_prior
                    for a in range(1, width):
                        system[a, a] += slope
                        right[a] += slope * node_coef[up, a] + level * centre[a] * (node_coef[up, 0] + centred_prior)
                # Cholesky, lower triangle in place, then the two triangular solves.
                for j in range(width):
                    pivot = system[j, j]
                    for k in range(j):
                        pivot -= system[j, k] * system[j, k]
                    if not pivot > 1e-12 * abs(system[j, j]) or not pivot > 0.0:
                        ok = False
                        break
                    pivot = np.sqrt(pivot)
                    system[j, j] = pivot
                    for i in range(j + 1, width):
                        total = system[i, j]
                        for k in range(j):
                            total -= system[i, k] * system[j, k]
                        system[i, j] = total / pivot
                if not ok:
                    break
                for i in range(width):
                    total = right[i]
                    for k in range(i):
                        total -= system[i, k] * right[k]
                    right[i] = total / system[i, i]
                for i in range(width - 1, -1, -1):
                    total = right[i]
                    for k in range(i + 1, width):
                        total -= system[k, i] * node_coef[node, k]
                    node_coef[node, i] = total / system[i, i]
            if not ok:
                failed[c, f] = True
                continue
            for p in range(partition_nodes.shape[0]):
                for a in range(width):
                    coef[c, f, p, a] = node_coef[partition_nodes[p], a]


def solve_candidates(
    parent: np.ndarray,
    partition_nodes: np.ndarray,
    total: tuple[np.ndarray, np.ndarray],
    folds: tuple[np.ndarray, np.ndarray],
    slopes: np.ndarray,
    levels: np.ndarray,
    alpha: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each partition's coefficients for every (candidate, fold), trained on all but that fold.

    Parameters
    ----------
    parent : ndarray of int64, shape (n_nodes,)
        Each node's parent (-1 for the root); a parent's id is smaller than its children's.
    partition_nodes : ndarray of int64, shape (K,)
        The node of each partition.
    total : (gram, moment), shapes (n_nodes, p, p) and (n_nodes, p)
        Every node's cross-products over all training rows.
    folds : (gram, moment), shapes (F, n_nodes, p, p) and (F, n_nodes, p)
        The part of ``total`` each held-out fold contributes; fold ``f`` trains on
        ``total - folds[f]``.
    slopes, levels : ndarray of shape (C,)
        Each candidate's pull of the slopes and of the level toward the parent.
    alpha : float
        Ridge penalty on the slopes (column 0 of the design is the level).

    Returns
    -------
    coef : ndarray of shape (C, F, K, p)
    failed : ndarray of bool, shape (C, F)
        Where a system was not numerically positive definite; ``coef`` there is undefined.
    """
    width = total[0].shape[1]
    coef = np.empty((len(slopes), folds[0].shape[0], len(partition_nodes), width))
    failed = np.zeros((len(slopes), folds[0].shape[0]), dtype=np.bool_)
    _solve_all(
        np.ascontiguousarray(parent, dtype=np.int64),
        np.ascontiguousarray(partition_nodes, dtype=np.int64),
        np.ascontiguousarray(total[0], dtype=np.float64),
        np.ascontiguousarray(total[1], dtype=np.float64),
        np.ascontiguousarray(folds[0], dtype=np.float64),
        np.ascontiguousarray(folds[1], dtype=np.float64),
        np.ascontiguousarray(slopes, dtype=np.float64),
        np.ascontiguousarray(levels, dtype=np.float64),
        float(alpha),
        coef,
        failed,
    )
    return coef, failed
