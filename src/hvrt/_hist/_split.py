"""Split scoring (numba kernels): a node's best least-squares split from its histogram.

The least-squares gain of a split into L and R is
``sum_k (S_Lk^2 / n_L + S_Rk^2 / n_R - S_k^2 / n)``, the drop in the summed per-output SSE,
so one histogram scan serves the single and the multi-output target.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit


@njit(cache=True, inline="always")
def _score_bins(count, left_sq, right_sq, n_candidates, n_node, min_leaf, score) -> None:
    # Branch-free so that LLVM vectorises the divisions; invalid splits score -inf.
    for b in range(n_candidates):
        n_left = count[b]
        n_right = n_node - n_left
        # conditionals, not max(): the builtin is one more overload to compile
        value = left_sq[b] / (n_left if n_left > 1.0 else 1.0) + right_sq[b] / (n_right if n_right > 1.0 else 1.0)  # noqa: FURB136
        score[b] = value if (n_left >= min_leaf) & (n_right >= min_leaf) else -np.inf


@njit(cache=True, inline="always")
def _empty_bin(hist, f, b, m) -> bool:
    # every output's sum exactly zero too: a bin left empty by a subtraction may hold
    # rounding in its sums, and is then scored as before (so the search is unchanged)
    for k in range(m):
        if hist[f, b, k] != 0.0:
            return False
    return True


@njit(cache=True)
def _best_split(hist, n_value_bins, nan_code, node_sum, n_node, min_leaf, scratch):
    """Best least-squares split of a node from its histogram.

    For each feature, one pass accumulates the left counts and the summed squares of the
    left and right per-output sums at every bin; a branch-free pass scores them. A split
    "code <= b" sends NaN right, or left (tried when the node has NaN); the last value bin
    splits values from NaN. Ties keep the first feature, bin and NaN-right, so growth is
    deterministic.

    Returns (gain, feature, bin, nan_left, n_left); feature is -1 when no split is valid.
    """
    n_features = hist.shape[0]
    m = node_sum.shape[0]
    count, left_sq, right_sq, nan_left_sq, nan_right_sq, score, left_sum = (
        scratch[0], scratch[1], scratch[2], scratch[3], scratch[4], scratch[5], scratch[6]
    )
    parent_score = 0.0
    for k in range(m):
        parent_score += node_sum[k] * node_sum[k] / n_node
    best_score = -np.inf
    best_feature, best_bin, best_nan_left, best_n_left = -1, 0, False, 0
    for f in range(n_features):
        n_bins = n_value_bins[f]
        n_nan = hist[f, nan_code, m]
        has_nan = n_nan > 0.0
        # candidates "code <= b" for b < n_bins - 1, and values-vs-NaN when NaN is present
        n_candidates = n_bins if has_nan else n_bins - 1
        if n_candidates <= 0:
            continue
        n_left = 0.0
        if m == 1:
            total = node_sum[0]
            nan_sum = hist[f, nan_code, 0]
            running = 0.0
            for b in range(n_candidates):
                n_left += hist[f, b, 1]
                running += hist[f, b, 0]
                count[b] = n_left
                left_sq[b] = running * running
                right_sq[b] = (total - running) * (total - running)
                if has_nan:
                    with_nan = running + nan_sum
                    nan_left_sq[b] = with_nan * with_nan
                    nan_right_sq[b] = (total - with_nan) * (total - with_nan)
        else:
            for k in range(m):
                left_sum[k] = 0.0
            for b in range(n_candidates):
                in_bin = hist[f, b, m]
                if b > 0 and in_bin == 0.0 and _empty_bin(hist, f, b, m):
                    # its split sends the same rows left as the previous bin's and scores
                    # exactly as that one (the left sums stay as they were), so it never wins
                    # (ties keep the first bin): not scored, a count of -inf rules it out in
                    # both passes. Small nodes leave many bins empty in the features they were
                    # split on, and a scored bin costs a pass over the outputs. Bin 0 has no
                    # previous bin: empty, its NaN-left split (the NaN rows alone) is scored.
                    count[b] = -np.inf
                    left_sq[b] = right_sq[b] = nan_left_sq[b] = nan_right_sq[b] = 0.0
                    continue
                n_left += in_bin
                count[b] = n_left
                sq_left = sq_right = sq_nan_left = sq_nan_right = 0.0
                for k in range(m):
                    left_sum[k] += hist[f, b, k]
                    right = node_sum[k] - left_sum[k]
                    sq_left += left_sum[k] * left_sum[k]
                    sq_right += right * right
                    if has_nan:
                        with_nan = left_sum[k] + hist[f, nan_code, k]
                        sq_nan_left += with_nan * with_nan
                        sq_nan_right += (node_sum[k] - with_nan) * (node_sum[k] - with_nan)
                left_sq[b], right_sq[b] = sq_left, sq_right
                nan_left_sq[b], nan_right_sq[b] = sq_nan_left, sq_nan_right
        _score_bins(count, left_sq, right_sq, n_candidates, n_node, min_leaf, score)
        for b in range(n_candidates):
            if score[b] > best_score:
                best_score, best_feature, best_bin, best_nan_left = score[b], f, b, False
                best_n_left = int(count[b])
        if has_nan:
            # NaN joins the left side: shift the counts, score the value splits only
            for b in range(n_bins - 1):
                count[b] += n_nan
            _score_bins(count, nan_left_sq, nan_right_sq, n_bins - 1, n_node, min_leaf, score)
            for b in range(n_bins - 1):
                if score[b] > best_score:
                    best_score, best_feature, best_bin, best_nan_left = score[b], f, b, True
                    best_n_left = int(count[b])
    if best_feature >= 0 and hist[best_feature, nan_code, m] == 0.0:
        # no NaN seen here: send future NaN to the larger child, as scikit-learn does
        best_nan_left = 2 * best_n_left >= n_node
    return best_score - parent_score, best_feature, best_bin, best_nan_left, best_n_left


# A gain is the difference of two scores near the node's sum(S_k^2) / n: below this many
# machine epsilons of that it is the rounding of its own arithmetic (a node whose target
# is constant away from the mean scores such gains for every split), not a reduction.
ROUNDING_GAIN = 64.0 * np.finfo(np.float64).eps


@njit(cache=True, inline="always")
def resolved_gain(gain, sums, size) -> bool:
    """Whether ``gain`` is above the rounding of the scores it is the difference of."""
    parent_score = 0.0
    for k in range(sums.shape[0]):
        parent_score += sums[k] * sums[k] / size
    return gain > ROUNDING_GAIN * parent_score


@njit(cache=True)
def evaluate_node(hist, n_value_bins, nan_code, sums, size, depth, min_leaf, max_depth, min_gain, scratch):
    """A node's best split if it passes the growth limits, else ``feature == -1``.

    ``min_gain`` is an absolute floor; the gain must also be resolved against the node's
    own scores (:func:`resolved_gain`), so that a node far from the target's mean is split
    where its gains are real, however small against the root's SSE.

    Returns (gain, feature, bin, nan_left, n_left), as :func:`_best_split`.
    """
    if depth < max_depth and size >= 2 * min_leaf:
        gain, feature, split_bin, nan_left, n_left = _best_split(
            hist, n_value_bins, nan_code, sums, size, min_leaf, scratch
        )
        if feature >= 0 and gain > 0.0 and gain >= min_gain and resolved_gain(gain, sums, size):
            return gain, feature, split_bin, nan_left, n_left
    return 0.0, -1, 0, False, 0
