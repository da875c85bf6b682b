"""The synthetic regression target that the tree is grown to explain.

The default z-score is computed here rather than with ``StandardScaler``: for the
``"sum"`` target only ``sum_j w_j (x_j - mean_j) / std_j`` is needed, which two passes
over X (moments, then one matrix-vector product) give without materialising the scaled
copy (StandardScaler costs a full copy of X and about 10x the time at a million rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import TransformerMixin, clone

from ._validation import THREADED_MIN_ROWS, on_threads, row_ranges, thread_count

TARGET_MODES = ("sum", "features")
_CHUNK_ROWS = 65_536  # rows per chunk: temporaries stay small and in cache
_OFFSET_LIMIT = 1e4  # |mean| / std up to which the sum target is centred after the product


def zscore_parameters(
    values: np.ndarray, has_missing: bool, moments: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column means, population standard deviations and which columns are constant,
    skipping NaN.

    A constant column gets scale 1 (as in scikit-learn's ``StandardScaler``); the means
    and variances are :func:`zscore_moments`'.
    """
    mean, variance = zscore_moments(values, has_missing, moments)
    return (mean, *zscore_scale(mean, variance))


def zscore_moments(
    values: np.ndarray, has_missing: bool, moments: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Column means and population variances, skipping NaN.

    Clean columns take the one-pass ``E[x^2] - mean^2`` (from ``moments``, the
    :func:`column_moments` of ``values``, when the caller has them); where that loses
    precision (a large offset relative to the spread) the variance is recomputed from
    squared deviations.
    """
    n_columns = values.shape[1]
    if has_missing:
        count = np.count_nonzero(~np.isnan(values), axis=0)
        mean = np.nansum(values, axis=0) / count
        variance = _two_pass_variance(values, mean, count, has_missing)
    else:
        count = np.full(n_columns, len(values))
        sums, squares = column_moments(values) if moments is None else moments
        mean = sums / len(values)
        variance = squares / len(values) - mean * mean
        # The one-pass form keeps about -log10(mean^2 / variance) of 16 digits.
        imprecise = ~(variance > _PRECISE_RATIO * mean * mean)
        if imprecise.any():
            columns = np.flatnonzero(imprecise)
            variance[columns] = _two_pass_variance(values[:, columns], mean[columns], count[columns], False)
    return mean, variance


def zscore_scale(mean: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviations from column moments (1 for a constant column), and which are constant.

    A column is constant when its standard deviation is at most ``CONSTANT_ULPS * eps *
    |mean|``: its values differ in their last few bits only, the rounding of whatever made
    them (one unit in the last place of the mean is about ``eps * |mean|``); the bound
    :func:`~hvrt.partition_quality` uses for a constant column. It depends on the values'
    resolution alone, not on their number: the variance it is compared with is free of the
    mean's own rounding (:func:`zscore_parameters` takes it out, and the Dask estimators'
    merge of their chunks' moments).

    Shared by :func:`zscore_parameters`, the local models' input scaling and the Dask
    estimators.
    """
    eps = np.finfo(np.float64).eps
    constant = variance <= (CONSTANT_ULPS * eps * mean) ** 2
    return np.where(constant, 1.0, np.sqrt(np.maximum(variance, 0.0))), constant


# Units in the last place of a column's mean within which its spread is rounding: values
# that differ in their last four bits only (see zscore_scale).
CONSTANT_ULPS = 16


_PRECISE_RATIO = 1e-4  # variance / mean^2 above this keeps >= 12 digits in E[x^2] - mean^2
_MOMENT_BLOCK_BYTES = 1 << 21  # size of a block of rows in column_moments: 2 MB stays in cache


def column_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column sums and sums of squares of a NaN-free array, in one pass over memory.

    Column-major data is summed per column (numpy's pairwise sum; from
    ``THREADED_MIN_ROWS`` rows, ranges of columns on threads). On row-major data
    ``values.sum(axis=0)`` adds row after row, 4x slower than ``einsum`` here, so each
    block of rows is summed with ``einsum`` while it is in cache and the block totals
    are added afterwards, a two-level sum that is also more precise; from
    ``THREADED_MIN_ROWS`` rows, a compiled kernel makes the same additions in one pass
    (``_hist._moments``). Both are finite exactly when every value is (barring overflow),
    so the pass doubles as the check.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # the caller checks the sums
        return _column_moments(values)


def _column_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if values.flags.f_contiguous:
        return _column_major_moments(values)
    block_rows = max(256, _MOMENT_BLOCK_BYTES // (8 * max(values.shape[1], 1)))
    n_blocks = -(-len(values) // block_rows)
    sums = np.empty((n_blocks, values.shape[1]))
    squares = np.empty((n_blocks, values.shape[1]))

    kernel = None
    if values.flags.c_contiguous and len(values) >= THREADED_MIN_ROWS:
        # the same additions in one compiled pass (a histogram fit's size: imported here so
        # that small fits, the exact engine's, never load the histogram engine)
        from ._hist._moments import block_moments as kernel

    def sum_blocks(start: int, stop: int) -> None:  # whole blocks: the same sums on any thread
        if kernel is not None:
            kernel(values, block_rows, start // block_rows, -(-stop // block_rows), sums, squares)
            return
        for b in range(start // block_rows, -(-stop // block_rows)):
            block = values[b * block_rows : (b + 1) * block_rows]
            np.einsum("ij->j", block, out=sums[b])
            np.einsum("ij,ij->j", block, block, out=squares[b])

    on_threads(sum_blocks, row_ranges(len(values), step=block_rows))
    return sums.sum(axis=0), squares.sum(axis=0)


def _column_major_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`column_moments` of a column-major array: numpy's per-column passes, from
    ``THREADED_MIN_ROWS`` rows over ranges of at least two columns on threads.

    Each column is summed on its own (a contiguous run: the same bits whichever columns
    share its range), but a range of two columns or more: numpy takes another loop for a
    single column (an (n, 1) array is also row-major), whose squares differ in the last
    bits. 1M x 10 (minima, load 3): 9.8 ms on two threads against 15.9 ms on one.
    """
    n_columns = values.shape[1]
    n_ranges = min(thread_count(), n_columns // 2) if len(values) >= THREADED_MIN_ROWS else 1
    if n_ranges < 2 or values.flags.c_contiguous:
        return values.sum(axis=0), np.einsum("ij,ij->j", values, values)
    sums, squares = np.empty(n_columns), np.empty(n_columns)

    def moments(first: int, stop: int) -> None:
        block = values[:, first:stop]
        np.sum(block, axis=0, out=sums[first:stop])
        np.einsum("ij,ij->j", block, block, out=squares[first:stop])

    bounds = [n_columns * t // n_ranges for t in range(n_ranges + 1)]  # (each range >= 2 columns)
    on_threads(moments, list(zip(bounds[:-1], bounds[1:])))
    return sums, squares


def _two_pass_variance(values: np.ndarray, mean: np.ndarray, count: np.ndarray, has_missing: bool) -> np.ndarray:
    """The variance from squared deviations from ``mean``, less the square of their own
    mean (the corrected two-pass form): that is the rounding of ``mean``, which a sum of a
    million values one row after another puts near 1e-12 of it, so a constant column's
    deviations would read as a spread far beyond the values' resolution."""
    m2 = np.zeros(values.shape[1])
    total = np.zeros(values.shape[1])
    for start in range(0, len(values), _CHUNK_ROWS):
        deviation = values[start : start + _CHUNK_ROWS] - mean
        if has_missing:
            deviation = np.nan_to_num(deviation, nan=0.0)
        total += np.einsum("ij->j", deviation)
        m2 += np.einsum("ij,ij->j", deviation, deviation)
    return (m2 - total * total / count) / count


def target_part(
    values: np.ndarray,
    has_missing: bool,
    weights: np.ndarray,
    mode: str,
    scaler: TransformerMixin | None,
    moments: tuple[np.ndarray, np.ndarray] | None = None,
    dtype: type = np.float64,
    fitted: bool = False,
) -> tuple[np.ndarray, float]:
    """The feature part of the target, ``sum_j w_j z_j`` or the columns ``w_j z_j``, and its
    :func:`rounding_variance`, the total variance that rounding alone can give it (for
    :func:`blend_target`; of the float64 values, before any rounding to ``dtype``).

    A missing value contributes 0, its column's mean in scaled units. ``moments``: the
    :func:`column_moments` of a NaN-free ``values``, if already computed. ``dtype``: of
    the ``"features"`` outputs (see :func:`zscored_outputs`); the sum is float64.
    ``fitted``: ``scaler`` is fitted already (:func:`fit_scaler`) and only transforms
    ``values`` (the Dask estimators' chunks); otherwise a clone is fitted on them.
    """
    if values.shape[1] == 0:
        return (np.zeros(len(values)) if mode == "sum" else np.empty((len(values), 0), dtype=dtype)), 0.0
    if scaler is not None:
        scaled = _user_scaled(values, scaler, fitted) * weights
        # the scaled values' own magnitudes (offsets included) are their resolution
        with np.errstate(invalid="ignore"):
            magnitude = np.sqrt(np.nanmean(scaled * scaled, axis=0))
        noise = _rounding_variance(np.nan_to_num(magnitude), mode)
        if mode == "sum":
            return np.nansum(scaled, axis=1), noise
        scaled = np.nan_to_num(scaled, nan=0.0)
        # a float32 target in C order, as the histogram engine grows on it (else it widens it)
        return (scaled if dtype == np.float64 else np.ascontiguousarray(scaled, dtype=dtype)), noise
    mean, scale, constant = zscore_parameters(values, has_missing, moments)
    outputs = zscored_outputs(values, has_missing, weights, mode, mean, scale, constant, dtype)
    return outputs, rounding_variance(mean, scale, constant, weights, mode)


def rounding_variance(
    mean: np.ndarray, scale: np.ndarray, constant: np.ndarray, weights: np.ndarray, mode: str
) -> float:
    """The largest total variance that rounding alone can give :func:`zscored_outputs`
    (with these z-score parameters): a part of the target whose variance is at most this
    is rounding noise, as when columns cancel in the sum (``y`` and ``-y``).

    A value ``x_j`` is known to within ``eps * |x_j|``, which is ``eps * |w_j| *
    sqrt(1 + (mean_j / scale_j)**2)`` in units of the term ``w_j z_j`` (root mean square
    over the rows); the centring subtracts ``sum_j w_j mean_j / scale_j``, and each of the
    ``k`` additions of a row rounds by ``eps / 2`` of the partial sum at most. So a row
    of the sum target is off by at most ``(k + 1) * eps * sum_j |w_j| (1 + 2 |mean_j| /
    scale_j)`` (root mean square; constant columns enter with weight 0). The features
    target's outputs are one term each, so each is within ``2 eps`` of its term's size.
    """
    size = np.where(constant, 0.0, np.abs(weights) * (1.0 + 2.0 * np.abs(mean) / scale))
    return _rounding_variance(size, mode)


def _rounding_variance(size: np.ndarray, mode: str) -> float:
    """:func:`rounding_variance` from each term's root-mean-square size (0: absent)."""
    eps = np.finfo(np.float64).eps
    if mode == "sum":
        return float(((np.count_nonzero(size) + 1) * eps * size.sum()) ** 2)
    return float(((2.0 * eps * size) ** 2).sum())


def zscored_outputs(
    values: np.ndarray,
    has_missing: bool,
    weights: np.ndarray,
    mode: str,
    mean: np.ndarray,
    scale: np.ndarray,
    constant: np.ndarray,
    dtype: type = np.float64,
) -> np.ndarray:
    """``sum_j w_j (x_j - mean_j) / scale_j`` or its columns, for given z-score parameters.

    :func:`target_part`'s outputs with the parameters known beforehand: the Dask estimators
    compute them in one distributed pass and apply them block by block.

    ``dtype``: of the ``"features"`` outputs, float64 or float32 (the sum is float64). In
    float32 each output is its float64 value rounded once, the same on every path (the
    histogram engine grows on these: ``_engines.target_dtype``).
    """
    if values.shape[1] == 0:
        return np.zeros(len(values)) if mode == "sum" else np.empty((len(values), 0), dtype=dtype)
    # A constant column's z-score is 0 by definition; its coefficient is 0 rather than
    # 1 / scale, so its raw magnitude never enters the sums below, where its rounding made
    # ties between equally good splits depend on the column's units.
    coefficients = np.where(constant, 0.0, weights / scale)
    if mode == "sum" and not has_missing and np.all((np.abs(mean) <= _OFFSET_LIMIT * scale) | constant):
        # One pass; centring afterwards is exact enough while offsets are moderate.
        out = np.empty(len(values))
        offset = float(np.dot(mean, coefficients))
        if (values.flags.c_contiguous or values.flags.f_contiguous) and len(values) >= THREADED_MIN_ROWS:
            # einsum's additions and the subtraction in one compiled pass, for either memory
            # order (a DataFrame's numeric block is column-major), where the column moments
            # were compiled too (so small fits never load the histogram engine)
            from ._hist._moments import centred_column_sums, centred_row_sums

            kernel = centred_row_sums if values.flags.c_contiguous else centred_column_sums
            factor = np.ascontiguousarray(coefficients, dtype=np.float64)
            on_threads(
                lambda start, stop: kernel(values, factor, offset, out, start, stop),
                row_ranges(len(values)),
            )
            return out

        def centred_dot(start: int, stop: int) -> None:  # row by row: the same on any thread
            _row_dot(values[start:stop], coefficients, out=out[start:stop])
            out[start:stop] -= offset

        on_threads(centred_dot, row_ranges(len(values)))
        return out
    if mode == "sum":
        out = np.empty(len(values))
        for start in range(0, len(values), _CHUNK_ROWS):
            deviation = values[start : start + _CHUNK_ROWS] - mean
            if has_missing:
                deviation = np.nan_to_num(deviation, nan=0.0)
            _row_dot(deviation, coefficients, out=out[start : start + _CHUNK_ROWS])
        return out
    scaled = np.empty(values.shape, dtype=dtype)
    contiguous = values.flags.c_contiguous or values.flags.f_contiguous
    if contiguous and not has_missing and len(values) >= THREADED_MIN_ROWS:
        # the same operations on each value in one compiled pass, from either memory order
        # (numpy's elementwise passes from a column-major X into the row-major output took
        # 82-97 ms at 1M x 10, the kernel 46-52), where the column moments were compiled
        # too (so small fits never load the histogram engine); a float32 output is each
        # float64 result rounded as it is stored (and half the memory to write)
        from ._hist._moments import (
            keep_target_moments,
            scaled_columns,
            scaled_with_moments,
        )

        shift = np.ascontiguousarray(mean, dtype=np.float64)
        factor = np.ascontiguousarray(coefficients, dtype=np.float64)
        if values.flags.c_contiguous and values.shape[1] > 1:
            # with the sums that the histogram engine's centring check would take another
            # pass over the target for (1M x 10: 2-5 ms of a fit; in this pass 0.7 CPU ms),
            # kept for the fit (_hist._moments.keep_target_moments)
            moments = scaled_with_moments(values, shift, factor, scaled, len(row_ranges(len(values))))
            keep_target_moments(scaled, moments)
            return scaled
        on_threads(
            lambda start, stop: scaled_columns(values, shift, factor, scaled, start, stop), row_ranges(len(values))
        )
        return scaled

    tiles = _TILE_ROWS if values.flags.c_contiguous else 1
    mean_tiled, coefficients_tiled = np.tile(mean, tiles), np.tile(coefficients, tiles)

    def scale(start: int, stop: int) -> None:
        # elementwise, so the same values on any number of threads; a fresh n x d array is
        # memory-bound to fill (its page faults too), so two threads take about half the time
        for lo, hi, tile in _tiled_rows(start, stop, tiles):
            block = scaled[lo:hi].reshape(-1, values.shape[1] * tile)
            np.subtract(values[lo:hi].reshape(block.shape), mean_tiled[: block.shape[1]], out=block)
            block *= coefficients_tiled[: block.shape[1]]  # in place: one temporary fewer (the same products)
        if has_missing:
            np.nan_to_num(scaled[start:stop], copy=False, nan=0.0)

    def scale_rounded(start: int, stop: int) -> None:
        # float64 blocks rounded into the output once (rounding each operation to float32
        # would give other values than the kernel's)
        for lo in range(start, stop, _CHUNK_ROWS):
            hi = min(lo + _CHUNK_ROWS, stop)
            block = (values[lo:hi] - mean) * coefficients
            scaled[lo:hi] = np.nan_to_num(block, copy=False, nan=0.0) if has_missing else block

    on_threads(scale if scaled.dtype == np.float64 else scale_rounded, row_ranges(len(values), step=tiles))
    return scaled


# Rows per line of the features target's elementwise passes: numpy's loop over a short
# last axis (one row of d values) costs about 1.5x a loop over long lines (1M x 10).
_TILE_ROWS = 64


def _tiled_rows(start: int, stop: int, tiles: int) -> list[tuple[int, int, int]]:
    """Rows [start, stop) as (lo, hi, rows per line): whole lines of ``tiles`` rows, then
    the rest one row per line. Reshaping a C-ordered block of rows to lines of ``tiles``
    rows, with the per-column vectors tiled to match, gives the same elementwise results."""
    whole = start + (stop - start) // tiles * tiles
    return [(lo, hi, tile) for lo, hi, tile in ((start, whole, tiles), (whole, stop, 1)) if hi > lo]


def _row_dot(values: np.ndarray, coefficients: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``values @ coefficients`` without BLAS.

    A threaded BLAS leaves its worker threads spinning for a while after a large product;
    on the 2-core development machine they took the cores from the histogram engine's
    threads that run next, making the whole fit 20-30 % slower. numpy's own einsum loop
    is single-threaded and as fast here (5.8 ms against 6.9 ms at 1M x 10).
    """
    return np.einsum("ij,j->i", values, coefficients, out=out)


def _user_scaled(values: np.ndarray, scaler: TransformerMixin, fitted: bool = False) -> np.ndarray:
    try:
        scaled = scaler.transform(values) if fitted else clone(scaler).fit_transform(values)
    except Exception as err:  # report the user's scaler, not a deep traceback
        raise ValueError(f"scaler {scaler!r} failed on the numeric columns of X: {err}") from err
    return _checked_scaled(scaled, values)


def _checked_scaled(scaled: Any, values: np.ndarray) -> np.ndarray:
    scaled = np.asarray(scaled.toarray() if hasattr(scaled, "toarray") else scaled, dtype=np.float64)
    if scaled.shape != values.shape:
        raise ValueError(
            f"scaler must return one column per numeric column: got shape {scaled.shape}, "
            f"expected {values.shape}"
        )
    return scaled


def fit_scaler(values: np.ndarray, scaler: TransformerMixin) -> TransformerMixin:
    """A clone of the user's ``scaler`` fitted once on ``values`` (some rows), to transform
    any rows after (the Dask estimators fit it on the rows they gather, then transform each
    chunk where it lives).

    Raises
    ------
    ValueError
        When the scaler fails, or when its ``transform`` of these rows in two halves is not
        its ``transform`` of them whole: its output then depends on which rows are scaled
        together, and cannot be applied chunk by chunk. (``transform`` is compared with
        itself, not with ``fit_transform``: sklearn's own may differ from its ``transform``
        by rounding, e.g. PowerTransformer on a column like 1e12 + N(0, 1).)
    """
    fitted = clone(scaler)
    half = len(values) // 2
    try:
        fitted.fit(values)
        whole = fitted.transform(values)
        halves = [fitted.transform(values[:half]), fitted.transform(values[half:])] if half else [whole]
    except Exception as err:  # report the user's scaler, not a deep traceback
        raise ValueError(f"scaler {scaler!r} failed on the numeric columns of X: {err}") from err
    whole = _checked_scaled(whole, values)
    again = np.concatenate([_checked_scaled(part, values[: len(part)] if i == 0 else values[half:])
                            for i, part in enumerate(halves)])  # fmt: skip
    size = float(np.nanmax(np.abs(whole), initial=0.0))
    if not np.allclose(whole, again, rtol=1e-9, atol=1e-12 * max(size, 1.0), equal_nan=True):
        raise ValueError(
            "scaler cannot be applied chunk by chunk: its transform of the rows it was fitted on, in two halves, "
            f"differs from its transform of them whole ({scaler!r}). hvrt.dask fits the scaler once on the gathered "
            "rows and transforms each chunk with it, so it needs a scaler that scales each row alone "
            "(StandardScaler, MinMaxScaler, RobustScaler, QuantileTransformer, ...), or scaler=None"
        )
    return fitted


def _total_variance(outputs: np.ndarray) -> float:
    return float(np.var(outputs.reshape(len(outputs), -1), axis=0).sum())


def y_alone(y_part: np.ndarray | None, y_weight: float, y_noise: float = 0.0) -> bool:
    """Whether :func:`blend_target` returns ``y_part`` whatever the feature part is (a
    varying ``y`` at full weight), so a caller need not make the feature part. ``y_noise``:
    as ``noise[1]`` of :func:`blend_target`."""
    return y_part is not None and y_weight == 1.0 and _total_variance(y_part) > y_noise


def y_column_signs(gram: np.ndarray) -> np.ndarray:
    """+1 or -1 for each of ``y``'s z-scored columns in the ``"sum"`` target: each column
    after the first is negated when its covariance with the sum of the oriented columns
    before it is negative (ties +1).

    Summed as they come, columns that move against each other (revenue and cost) cancel,
    and the sum keeps only what they do not share. Oriented, each column adds at least its
    own variance to the sum. ``y``'s signs are arbitrary and the tree ignores its target's
    sign, so nothing is lost: negating any of ``y``'s columns negates its row and column
    of ``gram`` (exactly, in floating point too), flips its sign here and, if it is the
    first, every other sign, so the oriented sum is the same or its negation (which
    :func:`blend_target` orients against the feature part).

    Parameters
    ----------
    gram : ndarray of shape (n_columns, n_columns)
        The columns' covariances (or cross products: only signs are read).
    """
    signs = np.ones(len(gram))
    for j in range(1, len(gram)):  # over y's columns, a handful
        before = float(signs[:j] @ gram[:j, :j] @ signs[:j])  # the sum's variance (or square sum)
        if is_negative_covariance(float(np.dot(signs[:j], gram[:j, j])), before, float(gram[j, j])):
            signs[j] = -1.0
    return signs


# A covariance smaller than this times the product of the two standard deviations (a
# correlation below 1e-10 in magnitude) is a tie, as one of exactly 0 is: its sign is
# rounding's (y = z(a) - z(b) against z(a) + z(b) is uncorrelated in exact arithmetic), and
# would differ between the in-memory sums and hvrt.dask's merged chunks, or between chunkings.
TIE_CORRELATION = 1e-10


def is_negative_covariance(covariance: float, variance_a: float, variance_b: float) -> bool:
    """Whether a covariance (or cross product, with the square sums) is negative beyond the
    tie (:data:`TIE_CORRELATION`): what orients ``y`` (:func:`y_column_signs`,
    :func:`blend_target`, :func:`encoder_guide`), in memory and in ``hvrt.dask`` alike."""
    return covariance < -TIE_CORRELATION * float(np.sqrt(max(variance_a, 0.0) * max(variance_b, 0.0)))


def guide_orientation(gram: np.ndarray, with_features: bool) -> tuple[np.ndarray, float]:
    """:func:`encoder_guide`'s orientation of a features target's ``y`` outputs from the
    cross products (or covariances) of its columns, the feature columns' sum first: y's
    signs (:func:`y_column_signs`) and the sign of their oriented sum's covariance with the
    feature sum, 0.0 where that is a tie (or there is no feature part), to be decided by
    :func:`_orientation` of the oriented y sum."""
    signs = y_column_signs(gram[1:, 1:])
    if not with_features:
        return signs, 0.0
    covariance = float(np.dot(signs, gram[0, 1:]))
    y_variance = float(signs @ gram[1:, 1:] @ signs)
    if is_negative_covariance(covariance, float(gram[0, 0]), y_variance):
        return signs, -1.0
    if is_negative_covariance(-covariance, float(gram[0, 0]), y_variance):
        return signs, 1.0
    return signs, 0.0


def y_target_part(values: np.ndarray, has_missing: bool, mode: str) -> tuple[np.ndarray, float]:
    """:func:`target_part` of ``y`` (unit weights, z-scored), its columns oriented by
    :func:`y_column_signs` before they are summed in the ``"sum"`` target."""
    ones = np.ones(values.shape[1])
    if mode != "sum" or values.shape[1] < 2:
        return target_part(values, has_missing, ones, mode, None)
    mean, scale, constant = zscore_parameters(values, has_missing)
    signs = y_column_signs(_z_gram(values, has_missing, mean, np.where(constant, 0.0, 1.0 / scale)))
    # a sign in the weights negates the column's z-score exactly, as negating its values would
    part = zscored_outputs(values, has_missing, signs, "sum", mean, scale, constant)
    return part, rounding_variance(mean, scale, constant, ones, mode)


def _z_gram(values: np.ndarray, has_missing: bool, mean: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """The cross products of the columns ``(values - mean) * coefficients`` (missing: 0),
    a block of rows at a time, each block one column per line in a buffer that stays in
    cache: einsum over rows of a fresh (n, m) array took 3-5x as long (einsum, not BLAS:
    see :func:`_row_dot`)."""
    gram = np.zeros((values.shape[1],) * 2)
    lines = np.empty((values.shape[1], min(len(values), _CHUNK_ROWS)))
    for start in range(0, len(values), _CHUNK_ROWS):  # blocks of rows
        block = values[start : start + _CHUNK_ROWS].T
        line = lines[:, : block.shape[1]]
        np.subtract(block, mean[:, None], out=line)
        line *= coefficients[:, None]
        if has_missing:
            np.nan_to_num(line, copy=False, nan=0.0)
        gram += np.einsum("ij,kj->ik", line, line)
    return gram


def _covariance(x_part: np.ndarray, y_part: np.ndarray) -> float:
    """Of two 1-D parts, without a copy of either (a z-scored ``y_part`` is centred, so
    the mean product loses nothing that decides a sign); negating ``y_part`` negates it
    exactly."""
    rows = max(len(x_part), 1)
    return float(np.einsum("i,i->", x_part, y_part)) / rows - float(x_part.mean()) * float(y_part.mean())


def blend_target(
    x_part: np.ndarray,
    y_part: np.ndarray | None,
    y_weight: float,
    variances: tuple[float, float] | None = None,
    noise: tuple[float, float] = (0.0, 0.0),
    covariance: float | None = None,
) -> np.ndarray:
    """Combine the feature part and the ``y`` part of the target.

    Parameters
    ----------
    x_part : ndarray of shape (n_samples,) or (n_samples, n_features)
        From :func:`target_part`.
    y_part : ndarray of the same number of dimensions, or None
        The same construction applied to the user's ``y`` (unit weights;
        :func:`y_target_part`).
    y_weight : float in [0, 1]
        The y part is scaled by ``c`` so that ``c**2 var(y) / (var(x) + c**2 var(y)) =
        y_weight``: the share of the target's total variance that ``y`` carries when it is
        uncorrelated with the features. Added at weight 1, a single ``y`` would be drowned
        out by many features. In the ``"sum"`` target the y part is first negated if its
        covariance with the feature part is negative (ties keep it): the tree ignores its
        target's sign and ``y``'s is arbitrary, and a y that moved against the features
        cancelled them (at ``y_weight=0.5`` a ``y = -x`` left a constant target). So
        ``var(target) >= var(x) + c**2 var(y)``, and the target is the same whatever
        ``y``'s sign. The features target keeps ``y``'s columns as outputs of their own.
    variances : (float, float), optional
        The total variances of the x and y parts over all rows, when the parts given
        are only some of the rows (the Dask estimators' sample); computed from the parts
        otherwise.
    noise : (float, float), default=(0.0, 0.0)
        The :func:`rounding_variance` of the x and y parts. A part whose total variance is
        at most this is rounding noise and counts as constant, as a part of variance 0
        does: the y part is not blended in (scaled up to its share, the noise would be all
        the tree saw of it), and a noisy x part leaves the target to ``y`` alone.
    covariance : float, optional
        The covariance of the x and y parts of the sum target over all rows, given with
        ``variances``; computed from the parts otherwise.

    Returns
    -------
    ndarray of shape (n_samples,) for the sum target, (n_samples, n_outputs) otherwise
    """
    if y_part is None or y_weight == 0.0:
        return x_part
    x_variance, y_variance = (
        (_total_variance(x_part), _total_variance(y_part)) if variances is None else variances
    )
    if y_variance <= noise[1]:
        return x_part
    if y_weight == 1.0 or x_variance <= noise[0]:
        return y_part
    scale = np.sqrt(y_weight / (1.0 - y_weight) * x_variance / y_variance)
    if x_part.ndim == 1:
        covariance = _covariance(x_part, y_part) if covariance is None else covariance
        if is_negative_covariance(covariance, x_variance, y_variance):  # (a tie keeps y as it comes)
            scale = -scale  # the same products negated: exactly the target of -y
        return x_part + scale * y_part
    return np.hstack([x_part, scale * y_part])


def encoder_guide(target: np.ndarray, x_part: np.ndarray | None, y_part: np.ndarray | None) -> np.ndarray:
    """The value per row that ``category_encoding="target"`` encodes the categories by: the
    mean of this over a category's rows is its encoding.

    ``target`` is :func:`blend_target`'s result from ``x_part`` and ``y_part`` (or
    ``y_part`` itself where the caller knew that ``y`` stands alone, :func:`y_alone`; a
    part left out of the blend comes back as that very array, which tells the cases
    apart). Without ``y`` it is the target's row sum, as it always was: for the sum target
    the target itself, for the features target the sum target's feature part (its columns
    ``w_j z_j`` summed, so X's own columns cancel as they do in the sum target, by its
    definition). ``y`` enters oriented, so that negating any of its columns leaves the
    guide as it was, bit for bit, whatever the target:

    - the blended sum target is oriented already (:func:`y_column_signs`, :func:`blend_target`);
    - the features target's ``y`` outputs are summed as :func:`y_column_signs` orients
      them, and that sum negated if its covariance with the feature columns' sum is
      negative (the sum target's orientation, from the target's own columns);
    - where ``y`` stands alone (``y_weight=1``, or a constant feature part) there is no
      feature part to orient it against: its oriented part is negated if its third central
      moment is negative (a long tail is kept positive, as a price's or a count's is).
      An encoding of ``-t`` is the negated encoding of ``t``, whose reversed category
      order the tree splits into the same partitions but with its children swapped, and
      so its labels.

    Ties excepted: a blended ``y`` whose covariance with the feature part is a tie (0, or
    a correlation below :data:`TIE_CORRELATION`) is kept as it comes in the sum target
    (:func:`blend_target`), and a y alone whose third moment is exactly 0 (symmetric
    values) is oriented by its first nonzero value.
    """
    if y_part is None or target is x_part:
        return target if target.ndim == 1 else target.reshape(len(target), -1).sum(axis=1)
    alone = target is y_part
    if target.ndim == 1:
        return target if not alone or _orientation(target) > 0.0 else -target
    n_x = 0 if alone else target.shape[1] - y_part.shape[1]
    ys = target[:, n_x:]
    x_sum = target[:, :n_x].sum(axis=1) if n_x else np.zeros(len(target))
    columns = np.column_stack([x_sum, ys])
    # centred by their means, which negate exactly with a column: so do their cross products
    gram = _z_gram(columns, False, columns.mean(axis=0), np.ones(columns.shape[1]))
    signs, orientation = guide_orientation(gram, bool(n_x))
    if orientation == 0.0:  # y alone (or a tie): by its own oriented sum
        orientation = _orientation(_signed_row_sums(ys, signs))
    return _signed_row_sums(target, np.r_[np.ones(n_x), signs if orientation >= 0.0 else -signs])


def _signed_row_sums(values: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Each row of ``values`` times ``signs``, summed as numpy sums a row (a block of rows
    at a time): rows that differ only in the signs ``signs`` undoes give the same bits."""
    out = np.empty(len(values))
    for start in range(0, len(values), _CHUNK_ROWS):
        np.sum(values[start : start + _CHUNK_ROWS] * signs, axis=1, out=out[start : start + _CHUNK_ROWS])
    return out


def _orientation(values: np.ndarray) -> float:
    """+1 or -1 for a 1-D ``values`` that negating it flips exactly: the sign of its third
    central moment, or where that is 0 of its first nonzero value (+1 if none)."""
    deviation = values - values.mean()
    moment = float(np.einsum("i,i,i->", deviation, deviation, deviation))
    if moment == 0.0:
        nonzero = np.flatnonzero(values)
        moment = float(values[nonzero[0]]) if len(nonzero) else 1.0
    return 1.0 if moment > 0.0 else -1.0
