"""Native categorical splits (numba kernels): search, row partitioning and traversal.

A categorical tree input holds category codes ``0 .. B - 1`` (``B <= 255``, see
``hvrt._preprocessing.MAX_CATEGORY_BINS``) and NaN for a category unseen at fit. Its bin
edges are the half-integers between the codes, so each code is its own bin and the
histograms need nothing new. A split sends a set of codes left; the set is kept as four
64-bit words in the node table (``CATEGORIES``).

The split search at a node, per categorical feature, over the categories present there:

- at most ``EXHAUSTIVE_MAX_CATEGORIES`` (4) categories: every split of them is scored
  (the one-vs-rest splits and, with four, the two-against-two ones; 7 at most), exact
  for any number of outputs;
- more: the categories are ordered by their mean target and every prefix of that order
  is scored (Fisher's method: for one output the best prefix is the best of all
  ``2^(C-1) - 1`` splits). With several outputs the order is the projection of the
  category means on their first principal component (count-weighted), a heuristic, and
  the one-vs-rest splits are scored too.

A category unseen at fit goes, at every native split, to the child that got more training
rows (left on a tie), as NaN does at a numeric split that saw no NaN.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._node_table import CATEGORIES
from ._rows import _swap_rows
from ._split import evaluate_node

# Categories present at a node up to which every split of them is scored.
EXHAUSTIVE_MAX_CATEGORIES = 4
# Power-iteration steps for the multi-output order (principal component of m x m).
_POWER_STEPS = 30
# Codes a category set can hold: four 64-bit words.
SET_WIDTH = 256


@njit(cache=True, inline="always")
def _pair_score(left_sums, node_sum, n_left, n_node, m):
    sq_left = 0.0
    sq_right = 0.0
    for k in range(m):
        right = node_sum[k] - left_sums[k]
        sq_left += left_sums[k] * left_sums[k]
        sq_right += right * right
    return sq_left / n_left + sq_right / (n_node - n_left)


@njit(cache=True)
def _category_order(hist_f, present, n_present, node_sum, n_node, m, keys, direction, work):
    """Order of the present categories: by mean target (one output) or by the projection
    of their means on the first principal component of the means (several)."""
    if m == 1:
        for i in range(n_present):
            b = present[i]
            keys[i] = hist_f[b, 0] / hist_f[b, 1]
    else:
        # count-weighted covariance of the category means, applied as a matrix-free product
        for k in range(m):
            direction[k] = 1.0 / np.sqrt(m)
        for k in range(m):  # start from the output whose means spread most
            work[k] = 0.0
        best_k = 0
        for k in range(m):
            spread = 0.0
            for i in range(n_present):
                b = present[i]
                centred = hist_f[b, k] / hist_f[b, m] - node_sum[k] / n_node
                spread += hist_f[b, m] * centred * centred
            work[k] = spread
            if spread > work[best_k]:
                best_k = k
        for k in range(m):
            direction[k] = 1.0 if k == best_k else 0.0
        for _ in range(_POWER_STEPS):
            for k in range(m):
                work[k] = 0.0
            for i in range(n_present):
                b = present[i]
                n_b = hist_f[b, m]
                projection = 0.0
                for k in range(m):
                    projection += (hist_f[b, k] / n_b - node_sum[k] / n_node) * direction[k]
                for k in range(m):
                    work[k] += n_b * projection * (hist_f[b, k] / n_b - node_sum[k] / n_node)
            norm = 0.0
            for k in range(m):
                norm += work[k] * work[k]
            if norm <= 0.0:
                break
            norm = np.sqrt(norm)
            for k in range(m):
                direction[k] = work[k] / norm
        for i in range(n_present):
            b = present[i]
            projection = 0.0
            for k in range(m):
                projection += hist_f[b, k] / hist_f[b, m] * direction[k]
            keys[i] = projection
    return np.argsort(keys[:n_present], kind="mergesort")


@njit(cache=True)
def best_category_split(hist_f, n_bins, node_sum, n_node, min_leaf, left_sums, present, keys, direction, work, bits):
    """Best split of one categorical feature at a node, from its histogram ``hist_f``
    (codes x (m + 1)).

    Returns (score, n_left): ``score`` is ``sum_k S_Lk^2 / n_L + S_Rk^2 / n_R`` (``-inf``
    when no split is valid); ``bits`` (4 int64) receives the set of codes sent left.
    """
    m = node_sum.shape[0]
    n_present = 0
    for b in range(n_bins):
        if hist_f[b, m] > 0.0:
            present[n_present] = b
            n_present += 1
    best_score = -np.inf
    best_n_left = 0
    if n_present < 2:
        return best_score, best_n_left
    best_kind = 0  # 1: a subset mask over present[1:], 2: a prefix of the order, 3: one category
    best_choice = 0
    order = np.empty(0, dtype=np.int64)
    if n_present <= EXHAUSTIVE_MAX_CATEGORIES:
        # every split with present[0] on the left: a mask over the others, not all of them
        for mask in range((1 << (n_present - 1)) - 1):
            n_left = hist_f[present[0], m]
            for k in range(m):
                left_sums[k] = hist_f[present[0], k]
            for i in range(1, n_present):
                if (mask >> (i - 1)) & 1:
                    b = present[i]
                    n_left += hist_f[b, m]
                    for k in range(m):
                        left_sums[k] += hist_f[b, k]
            if n_left >= min_leaf and n_node - n_left >= min_leaf:
                score = _pair_score(left_sums, node_sum, n_left, n_node, m)
                if score > best_score:
                    best_score, best_n_left, best_kind, best_choice = score, int(n_left), 1, mask
    else:
        order = _category_order(hist_f, present, n_present, node_sum, n_node, m, keys, direction, work)
        n_left = 0.0
        for k in range(m):
            left_sums[k] = 0.0
        for t in range(n_present - 1):
            b = present[order[t]]
            n_left += hist_f[b, m]
            for k in range(m):
                left_sums[k] += hist_f[b, k]
            if n_left >= min_leaf and n_node - n_left >= min_leaf:
                score = _pair_score(left_sums, node_sum, n_left, n_node, m)
                if score > best_score:
                    best_score, best_n_left, best_kind, best_choice = score, int(n_left), 2, t
        if m > 1:
            for i in range(n_present):
                b = present[i]
                n_left = hist_f[b, m]
                for k in range(m):
                    left_sums[k] = hist_f[b, k]
                if n_left >= min_leaf and n_node - n_left >= min_leaf:
                    score = _pair_score(left_sums, node_sum, n_left, n_node, m)
                    if score > best_score:
                        best_score, best_n_left, best_kind, best_choice = score, int(n_left), 3, i
    for w in range(4):
        bits[w] = 0
    if best_kind == 1:
        _set_bit(bits, present[0])
        for i in range(1, n_present):
            if (best_choice >> (i - 1)) & 1:
                _set_bit(bits, present[i])
    elif best_kind == 2:
        for t in range(best_choice + 1):
            _set_bit(bits, present[order[t]])
    elif best_kind == 3:
        _set_bit(bits, present[best_choice])
    return best_score, best_n_left


@njit(cache=True, inline="always")
def _set_bit(bits, code):
    bits[code >> 6] |= np.int64(1) << np.int64(code & 63)


@njit(cache=True, inline="always")
def has_bit(bits, code):
    """Whether ``code`` is in the set held by the four int64 ``bits``."""
    return (bits[code >> 6] >> np.int64(code & 63)) & 1 == 1


@njit(cache=True)
def evaluate_mixed(
    hist, numeric_bins, n_value_bins, categorical, nan_code, sums, size, depth, min_leaf, max_depth, min_gain,
    scratch, category_scratch, bits,
):  # fmt: skip
    """A node's best split over numeric and categorical features, if it passes the limits.

    ``numeric_bins`` is ``n_value_bins`` with the categorical features at 1, so that the
    numeric search (``_split.evaluate_node``) skips them. Ties between a numeric and a
    categorical split keep the smaller feature index. ``bits`` receives the chosen
    categorical split's set (untouched for a numeric split).

    Returns (gain, feature, bin, nan_left, n_left), as ``evaluate_node`` (``bin`` is -1
    for a categorical split; ``nan_left`` is then the side of unseen categories).
    """
    gain, feature, split_bin, nan_left, n_left = evaluate_node(
        hist, numeric_bins, nan_code, sums, size, depth, min_leaf, max_depth, min_gain, scratch
    )
    if not (depth < max_depth and size >= 2 * min_leaf):
        return gain, feature, split_bin, nan_left, n_left
    m = sums.shape[0]
    parent_score = 0.0
    for k in range(m):
        parent_score += sums[k] * sums[k] / size
    left_sums = category_scratch[0, :m]
    keys = category_scratch[1]
    direction = category_scratch[2, :m]
    work = category_scratch[3, :m]
    present = np.empty(SET_WIDTH, dtype=np.int64)
    candidate = np.empty(4, dtype=np.int64)
    for f in range(categorical.shape[0]):
        if not categorical[f]:
            continue
        score, f_left = best_category_split(
            hist[f], n_value_bins[f], sums, float(size), min_leaf, left_sums, present, keys, direction, work,
            candidate,
        )  # fmt: skip
        f_gain = score - parent_score
        if not (f_gain > 0.0 and f_gain >= min_gain):
            continue
        if feature < 0 or f_gain > gain or (f_gain == gain and f < feature):
            gain, feature, split_bin, n_left = f_gain, f, -1, f_left
            nan_left = 2 * f_left >= size
            for w in range(4):
                bits[w] = candidate[w]
    return gain, feature, split_bin, nan_left, n_left


@njit(cache=True)
def _partition_by_set(codes, words, y, rows, start, end, feature, table) -> int:
    """Partition rows [start, end) in place: codes with ``table[code] == 1`` go left."""
    n_left = start
    for i in range(start, end):
        goes_left = table[codes[i, feature]]
        _swap_rows(words, y, rows, i, n_left)
        n_left += goes_left
    return n_left


@njit(cache=True)
def split_rows_by_set(codes, words, y, rows, start, end, feature, bits, nan_left, nan_code) -> None:
    """Partition rows [start, end) by a categorical split (the set in ``bits``)."""
    table = np.zeros(SET_WIDTH, dtype=np.uint8)
    for c in range(SET_WIDTH):
        table[c] = 1 if has_bit(bits, c) else 0
    table[nan_code] = 1 if nan_left else 0
    _partition_by_set(codes, words, y, rows, start, end, feature, table)


def node_bits(node_int: np.ndarray) -> np.ndarray:
    """The four int64 words of every node's category set (a view of the node table)."""
    return node_int[:, CATEGORIES : CATEGORIES + 4]


def category_table(node_int: np.ndarray, categorical_node: np.ndarray, width: int) -> np.ndarray:
    """bool (n_nodes, width): which codes each categorical node sends left (False elsewhere)."""
    words = np.ascontiguousarray(node_bits(node_int)).view(np.uint64)
    codes = np.arange(width, dtype=np.uint64)
    table = ((words[:, codes >> np.uint64(6)] >> (codes & np.uint64(63))) & np.uint64(1)).astype(bool)
    table[~categorical_node] = False
    return table


@njit(cache=True, nogil=True)
def apply_rows_mixed(X, feature, threshold, nan_left, children, is_leaf, categorical_node, table, out, start, stop):
    """``_apply._apply_rows`` with native categorical nodes: code ``c`` goes left where
    ``table[node, c]``; NaN (an unseen category) and a code outside the table go to the
    ``nan_left`` side."""
    width = table.shape[1]
    for i in range(start, stop):
        node = 0
        while not is_leaf[node]:
            x = X[i, feature[node]]
            if categorical_node[node]:
                if x == x and x >= 0.0 and x < width:
                    go_left = table[node, int(x)]
                else:
                    go_left = nan_left[node]
            else:
                go_left = (x <= threshold[node]) | ((x != x) & nan_left[node])
            node = children[node, 0] if go_left else children[node, 1]
        out[i] = node
