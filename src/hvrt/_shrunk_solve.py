"""Every shrinkage candidate and cross-validation fold solved down the tree in one compiled pass.

The local models pick their shrinkage by cross-validation: for each candidate pull and
each held-out fold, every tree node's ridge system is solved, top down, each node shrunk
toward its parent's solution. That is tens of thousands of small symmetric positive
definite systems (10 candidates x 5 folds x ~500 nodes, ~27 unknowns each). numpy solves
them one level at a time with a general LU per system; per level its call overhead and
the temporaries cost more than the arithmetic. This kernel builds each system in place
and solves it by Cholesky, without leaving compiled code; the (candidate, fold) pairs are
its innermost loop ("lanes"), so every step of the factorisation is one vector operation
over all pairs at once (4-5x faster than one pair at a time). It solves exactly the
systems of ``local_models._TreeSums.solve`` (whose docstring derives them), and scores
each pair on its held-out fold from the fold's cross-products; a pair whose systems are
not numerically positive definite is reported so the caller can solve it the general
way. numba compiles it on first use and caches it on disk.

The final fit solves one candidate with nothing held out. With a single lane the lane
loops run one element each and every update round-trips through memory, so
:func:`solve_centred` solves those systems in a kernel of its own that keeps each sum in a
register and runs the dot products along contiguous rows (4x faster on diamonds' 511
nodes x 27 unknowns). It takes every node's sums centred on the node's mean
(:func:`~hvrt._grouped_products.centred_up_tree`), where the level and the slopes part,
so the fit keeps its digits however far a partition lies from the origin (plain sums of
a partition 1e6 standard deviations out held nothing of its spread).
"""

from __future__ import annotations

import numpy as np

from ._grouped_products import GroupedProducts

# numba's njit, or the kernel compiled at install (see _hist/_jit.py)
from ._hist._jit import njit


# Reassociation lets the lane loops and dot products vectorise; NaN and infinity keep
# their meaning (no "nnan"/"ninf"), so the positive-definiteness test stays exact.
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _solve_all(
    parent,
    partition_nodes,
    total_gram,
    total_moment,
    fold_gram,
    fold_moment,
    held_gram,
    held_moment,
    held_square,
    held_shift,
    held_response_shift,
    node_shift,
    node_response_shift,
    slopes,
    levels,
    alpha,
    coef,
    errors,
    failed,
):  # pragma: no cover - compiled
    # Each node's sums (total and folds) are of its rows less its shift (node_shift,
    # node_response_shift; zeros: plain sums), and its coefficients are in those
    # coordinates: the level predicts y less the node's response shift at the node's shift.
    # The parent's prediction at the node's centre moves by the difference of the shifts.
    n_candidates, n_folds = slopes.shape[0], fold_gram.shape[0]
    n_nodes, width = total_gram.shape[0], total_gram.shape[1]
    lanes = n_folds * n_candidates  # lane f * n_candidates + c: fold f held out, candidate c
    lane_slope = np.empty(lanes)
    lane_level = np.empty(lanes)
    for f in range(n_folds):
        lane_slope[f * n_candidates : (f + 1) * n_candidates] = slopes
        lane_level[f * n_candidates : (f + 1) * n_candidates] = levels
    node_coef = np.empty((n_nodes, width, lanes))
    system = np.empty((width, width, lanes))
    right = np.empty((width, lanes))
    centre = np.zeros((width, lanes))
    offset = np.zeros(width)
    centred_prior = np.empty(lanes)
    pivot = np.empty(lanes)
    diagonal = np.empty(lanes)
    bad = np.zeros(lanes, dtype=np.bool_)
    empty = np.zeros(lanes, dtype=np.bool_)
    for node in range(n_nodes):  # a parent's id is smaller than its children's
        # Each fold trains on the total minus its own rows; only the lower triangle is
        # built and read, the systems being symmetric.
        for f in range(n_folds):
            pairs = slice(f * n_candidates, (f + 1) * n_candidates)
            for a in range(width):
                right[a, pairs] = total_moment[node, a] - fold_moment[f, node, a]
                for b in range(a + 1):
                    system[a, b, pairs] = total_gram[node, a, b] - fold_gram[f, node, a, b]
        for a in range(1, width):
            system[a, a, :] += alpha
        up = parent[node]
        for lane in range(lanes):  # no training weight: the parent's model (see _solve_centred)
            empty[lane] = up >= 0 and system[0, 0, lane] == 0.0
        if up >= 0:
            # Shrink toward the parent in coordinates centred on the node's rows.
            for a in range(1, width):
                offset[a] = node_shift[node, a] - node_shift[up, a]
            centred_prior[:] = node_response_shift[up] - node_response_shift[node]
            for a in range(1, width):
                for lane in range(lanes):
                    weight = system[0, 0, lane]
                    centre[a, lane] = system[a, 0, lane] / weight if weight > 0 else 0.0
                    centred_prior[lane] += (centre[a, lane] + offset[a]) * node_coef[up, a, lane]
            for a in range(1, width):
                for lane in range(lanes):
                    system[a, 0, lane] += lane_level[lane] * centre[a, lane]
                for b in range(1, a + 1):
                    for lane in range(lanes):
                        system[a, b, lane] += lane_level[lane] * centre[a, lane] * centre[b, lane]
            for lane in range(lanes):
                system[0, 0, lane] += lane_level[lane]
                right[0, lane] += lane_level[lane] * (node_coef[up, 0, lane] + centred_prior[lane])
            for a in range(1, width):
                for lane in range(lanes):
                    system[a, a, lane] += lane_slope[lane]
                    right[a, lane] += lane_slope[lane] * node_coef[up, a, lane] + lane_level[lane] * centre[
                        a, lane
                    ] * (node_coef[up, 0, lane] + centred_prior[lane])
        # Cholesky, lower triangle in place; a lane whose pivot fails is marked and
        # carried on with a unit pivot (its numbers are discarded).
        for j in range(width):
            for lane in range(lanes):
                diagonal[lane] = system[j, j, lane]
                pivot[lane] = system[j, j, lane]
            for k in range(j):
                for lane in range(lanes):
                    pivot[lane] -= system[j, k, lane] * system[j, k, lane]
            for lane in range(lanes):
                ok = pivot[lane] > 1e-12 * abs(diagonal[lane]) and pivot[lane] > 0.0
                bad[lane] = bad[lane] or not (ok or empty[lane])
                pivot[lane] = np.sqrt(pivot[lane]) if ok else 1.0
                system[j, j, lane] = pivot[lane]
            for i in range(j + 1, width):
                for k in range(j):
                    for lane in range(lanes):
                        system[i, j, lane] -= system[i, k, lane] * system[j, k, lane]
                for lane in range(lanes):
                    system[i, j, lane] /= pivot[lane]
        # The two triangular solves.
        for i in range(width):
            for k in range(i):
                for lane in range(lanes):
                    right[i, lane] -= system[i, k, lane] * right[k, lane]
            for lane in range(lanes):
                right[i, lane] /= system[i, i, lane]
        for i in range(width - 1, -1, -1):
            for lane in range(lanes):
                node_coef[node, i, lane] = right[i, lane]
            for k in range(i + 1, width):
                for lane in range(lanes):
                    node_coef[node, i, lane] -= system[k, i, lane] * node_coef[node, k, lane]
            for lane in range(lanes):
                node_coef[node, i, lane] /= system[i, i, lane]
        for lane in range(lanes):
            if empty[lane]:  # the parent's model, its level moved to the node's shift
                node_coef[node, 0, lane] = node_coef[up, 0, lane] + node_response_shift[up] - node_response_shift[node]
                for a in range(1, width):
                    node_coef[node, a, lane] = node_coef[up, a, lane]
                    node_coef[node, 0, lane] += (node_shift[node, a] - node_shift[up, a]) * node_coef[up, a, lane]
    # Each pair's squared error on its held-out fold, y'y - 2 b'X'y + b'X'X b per partition,
    # from the fold's sums of its rows less a shift (x - s, y - t): the level then is the
    # prediction at the shift less t, b0 + s'b - t, and the sums stay near the rows'
    # spread, however far the partition lies from the origin (plain sums of a partition
    # 1e8 from it left squared errors of the wrong sign). Each lane's coefficients are
    # gathered into a contiguous vector first, so the quadratic form runs contiguous dot
    # products (the lanes' stride made it a quarter of the kernel's time).
    sse = np.zeros(lanes)
    b_ = np.empty(width)
    for p in range(partition_nodes.shape[0]):
        node = partition_nodes[p]
        for f in range(n_folds):
            for lane in range(f * n_candidates, (f + 1) * n_candidates):
                level = node_coef[node, 0, lane] - held_response_shift[f, p]
                for a in range(1, width):
                    b_[a] = node_coef[node, a, lane]
                    level += held_shift[f, p, a] * b_[a]
                b_[0] = level
                total = held_square[f, p]
                for a in range(width):
                    inner = 0.0
                    for b in range(width):
                        inner += held_gram[f, p, a, b] * b_[b]
                    total += b_[a] * (inner - 2.0 * held_moment[f, p, a])
                sse[lane] += total
    for f in range(n_folds):
        for c in range(n_candidates):
            lane = f * n_candidates + c
            errors[c, f] = sse[lane]
            failed[c, f] = bad[lane]
    if coef.shape[0] > 0:
        for f in range(n_folds):
            for c in range(n_candidates):
                for p in range(partition_nodes.shape[0]):
                    for a in range(width):
                        coef[c, f, p, a] = node_coef[partition_nodes[p], a, f * n_candidates + c]



def solve_candidates(
    parent: np.ndarray,
    partition_nodes: np.ndarray,
    total: tuple[np.ndarray, np.ndarray],
    folds: tuple[np.ndarray, np.ndarray, np.ndarray],
    slopes: np.ndarray,
    levels: np.ndarray,
    alpha: float,
    *,
    held: GroupedProducts | None = None,
    keep_coef: bool = False,
    node_shift: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each (candidate, fold)'s held-out squared error, trained on all but that fold.

    Parameters
    ----------
    parent : ndarray of int64, shape (n_nodes,)
        Each node's parent (-1 for the root); a parent's id is smaller than its children's.
    partition_nodes : ndarray of int64, shape (K,)
        The node of each partition.
    total : (gram, moment), shapes (n_nodes, p, p) and (n_nodes, p)
        Every node's cross-products over all training rows.
    folds : (gram, moment, response_square), shapes (F, n_nodes, p, p), (F, n_nodes, p), (F, K)
        The part of ``total`` each held-out fold contributes; fold ``f`` trains on
        ``total - folds[f]`` and is scored on its own partitions' cross-products
        (``response_square`` per partition, not per node).
    slopes, levels : ndarray of shape (C,)
        Each candidate's pull of the slopes and of the level toward the parent.
    alpha : float
        Ridge penalty on the slopes (column 0 of the design is the level).
    held : GroupedProducts, optional
        What each fold is scored on, per partition (gram (F, K, p, p), moment (F, K, p),
        response_square (F, K)), best shifted (``shift`` (F, K, p), ``response_shift``
        (F, K): :func:`~hvrt._grouped_products.grouped_cross_products` with
        ``shifted=True``), which keeps the errors of partitions far from the origin exact.
        None: ``folds``' sums at the partitions' nodes.
    keep_coef : bool, default=False
        Also return every partition's coefficients (C x F x K x p floats).
    node_shift : (shift, response_shift), shapes (n_nodes, p) and (n_nodes,), optional
        When ``total`` and ``folds`` are every node's sums of its rows less the node's shift
        (:func:`~hvrt._grouped_products.shifted_sets_up_tree`'s): each node is then solved
        in those coordinates, so a training fold's sums (the total less the fold's) keep
        the digits of a node far from the origin. None: plain sums.

    Returns
    -------
    errors : ndarray of shape (C, F)
        Weighted squared error of each (candidate, fold) on the fold's rows; undefined
        where ``failed``.
    failed : ndarray of bool, shape (C, F)
        Where a system was not numerically positive definite.
    coef : ndarray of shape (C, F, K, p) or None
        With ``keep_coef``; undefined where ``failed``.
    """
    width = total[0].shape[1]
    n_candidates, n_folds = len(slopes), folds[0].shape[0]
    shape = (n_candidates, n_folds, len(partition_nodes), width) if keep_coef else (0, 0, 0, 0)
    coef = np.empty(shape)
    errors = np.empty((n_candidates, n_folds))
    failed = np.zeros((n_candidates, n_folds), dtype=np.bool_)
    if held is None:
        held = GroupedProducts(folds[0][:, partition_nodes], folds[1][:, partition_nodes], folds[2])
    shift = np.zeros(held.moment.shape) if held.shift is None else held.shift
    response_shift = np.zeros(held.response_square.shape) if held.response_shift is None else held.response_shift
    n_nodes = total[0].shape[0]
    if node_shift is None:
        node_shift = (np.zeros((n_nodes, width)), np.zeros(n_nodes))
    else:  # the held-out rows' shifts in their partition node's coordinates
        shift = shift - node_shift[0][partition_nodes]
        response_shift = response_shift - node_shift[1][partition_nodes]
    _solve_all(
        np.ascontiguousarray(parent, dtype=np.int64),
        np.ascontiguousarray(partition_nodes, dtype=np.int64),
        np.ascontiguousarray(total[0], dtype=np.float64),
        np.ascontiguousarray(total[1], dtype=np.float64),
        np.ascontiguousarray(folds[0], dtype=np.float64),
        np.ascontiguousarray(folds[1], dtype=np.float64),
        np.ascontiguousarray(held.gram, dtype=np.float64),
        np.ascontiguousarray(held.moment, dtype=np.float64),
        np.ascontiguousarray(held.response_square, dtype=np.float64),
        np.ascontiguousarray(shift, dtype=np.float64),
        np.ascontiguousarray(response_shift, dtype=np.float64),
        np.ascontiguousarray(node_shift[0], dtype=np.float64),
        np.ascontiguousarray(node_shift[1], dtype=np.float64),
        np.ascontiguousarray(slopes, dtype=np.float64),
        np.ascontiguousarray(levels, dtype=np.float64),
        float(alpha),
        coef,
        errors,
        failed,
    )
    if keep_coef:  # the level at the design's origin, as the other solves give it
        leaves_shift = node_shift[0][partition_nodes]
        coef[..., 0] += node_shift[1][partition_nodes] - np.einsum("ka,cfka->cfk", leaves_shift[:, 1:], coef[..., 1:])
    return errors, failed, coef if keep_coef else None


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _solve_centred(
    parent, partition_nodes, gram, moment, centre, response_mean, slope, level, alpha, coef
):  # pragma: no cover - compiled
    # The systems of _solve_all for one lane, nothing held out, each node's in coordinates
    # centred on its own rows (its
    # sums centred: _grouped_products.centred_up_tree). There the level (the prediction at
    # the node's centre) and the slopes part: the slopes solve (C + (alpha + slope) I) b =
    # r + slope b_parent, C and r the centred scatter and cross-products; the level is
    # (W mean + level prior) / (W + level), the prior being the parent's prediction at the
    # node's centre, taken from the parent's centre, so no sum or step holds the nodes'
    # distance from the origin. False where a system is not numerically positive definite.
    n_nodes, width = gram.shape[0], gram.shape[1]
    slopes = np.zeros((n_nodes, width))  # (column 0 unused)
    at_centre = np.empty(n_nodes)
    centres = np.zeros((n_nodes, width))
    system = np.empty((width, width))
    right = np.empty(width)
    for node in range(n_nodes):  # a parent's id is smaller than its children's
        up = parent[node]
        weight = gram[node, 0, 0]
        if not weight > 0.0:
            if up < 0:
                return False
            # No training weight (sample weights of zero on every row of a partition): the
            # parent's model, the limit of any pull toward it; unpulled, its level would be
            # undetermined (the general solve's pseudo-inverse made it the global mean).
            at_centre[node] = at_centre[up]
            for a in range(width):
                slopes[node, a] = slopes[up, a]
                centres[node, a] = centres[up, a]
            continue
        pull = slope if up >= 0 else 0.0
        for a in range(1, width):
            centres[node, a] = centre[node, a]
            right[a] = moment[node, a]
            if up >= 0:
                right[a] += pull * slopes[up, a]
            for b in range(1, a + 1):
                system[a, b] = gram[node, a, b]
            system[a, a] += alpha + pull
        for j in range(1, width):
            diagonal = system[j, j]
            pivot = diagonal
            for k in range(1, j):
                pivot -= system[j, k] * system[j, k]
            if not (pivot > 1e-12 * abs(diagonal) and pivot > 0.0):
                return False
            pivot = np.sqrt(pivot)
            system[j, j] = pivot
            for i in range(j + 1, width):
                total = system[i, j]
                for k in range(1, j):
                    total -= system[i, k] * system[j, k]
                system[i, j] = total / pivot
        for i in range(1, width):
            total = right[i]
            for k in range(1, i):
                total -= system[i, k] * right[k]
            right[i] = total / system[i, i]
        for i in range(width - 1, 0, -1):
            total = right[i]
            for k in range(i + 1, width):
                total -= system[k, i] * slopes[node, k]
            slopes[node, i] = total / system[i, i]
        mean = response_mean[node]
        if up >= 0:
            prior = at_centre[up]
            for a in range(1, width):
                prior += (centres[node, a] - centres[up, a]) * slopes[up, a]
            at_centre[node] = (weight * mean + level * prior) / (weight + level)
        else:
            at_centre[node] = mean
    for p in range(partition_nodes.shape[0]):
        node = partition_nodes[p]
        intercept = at_centre[node]
        for a in range(1, width):
            coef[p, a] = slopes[node, a]
            intercept -= centres[node, a] * slopes[node, a]
        coef[p, 0] = intercept
    return True


def solve_centred(
    parent: np.ndarray, partition_nodes: np.ndarray, nodes: GroupedProducts, slope: float, level: float, alpha: float
) -> np.ndarray | None:
    """Every partition's coefficients for one (slope, level) pull, trained on every row, from
    every node's centred sums: the systems of :func:`solve_candidates` with one candidate and
    nothing held out, exact far from the origin.

    Parameters
    ----------
    parent, partition_nodes, alpha
        As for :func:`solve_candidates`.
    nodes : GroupedProducts
        Every node's sums centred on its weighted mean
        (:func:`~hvrt._grouped_products.centred_up_tree`).
    slope, level : float
        The pull of the slopes and of the level toward the parent.

    Returns
    -------
    coef : ndarray of shape (K, p) or None
        The level at the design's origin, then the slopes; None where a system is not
        numerically positive definite or the root has no weight (the caller solves it the
        general way).
    """
    if nodes.shift is None or nodes.response_shift is None:
        raise ValueError("solve_centred needs centred sums (centred_up_tree's)")
    gram = np.ascontiguousarray(nodes.gram, dtype=np.float64)
    coef = np.empty((len(partition_nodes), gram.shape[1]))
    solved = _solve_centred(
        np.ascontiguousarray(parent, dtype=np.int64),
        np.ascontiguousarray(partition_nodes, dtype=np.int64),
        gram,
        np.ascontiguousarray(nodes.moment, dtype=np.float64),
        np.ascontiguousarray(nodes.shift, dtype=np.float64),
        np.ascontiguousarray(nodes.response_shift, dtype=np.float64),
        float(slope),
        float(level),
        float(alpha),
        coef,
    )
    return coef if solved else None
