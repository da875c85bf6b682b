"""DistributionAnalyzer: how much does partitioning distort the shape of a feature?

A partitioning keeps, per partition, a handful of numbers about each feature. The
analyzer rebuilds each feature's distribution from those per-partition summaries, as the
size-weighted mixture ``sum_k (n_k / N) * p_k(x)``, and compares it with the data:

- ``method="gaussian"`` (default): ``p_k`` is a Normal with partition ``k``'s own mean and
  standard deviation. The reconstruction is then exactly what the partition means and
  variances say about the feature, so the score measures what a user of those summaries
  (local models, synthetic data, reports) would lose.
- ``method="kde"``: ``p_k`` is a Gaussian KDE of partition ``k``'s rows with its own
  normal-reference bandwidth ``1.06 * std_k * n_k**(-1/5)``. The predecessor gave every
  partition one shared bandwidth, which makes the mixture equal the global KDE whatever
  the partitions are; per-partition, scale-aware bandwidths are what make the comparison
  mean something.

The data itself is drawn as a Gaussian KDE with Silverman's bandwidth, capped at the
data's resolution for heaped features (:func:`original_bandwidth`).

The score is the 1-Wasserstein distance between the data's empirical distribution and
the reconstruction, divided by the feature's standard deviation (so features compare),
and the Kolmogorov-Smirnov distance (largest gap between the two CDFs).

Densities and CDFs are evaluated on a grid, vectorised over partitions: every kernel
(a partition's Normal, or one row of a partition's KDE) is linearly binned onto the grid
and smoothed by a product in the Fourier domain, one transform per distinct kernel width.
Widths are rounded to within 0.5 %, so 4096 partitions cost a few hundred FFTs, not a
(grid x partitions) matrix of normal CDFs; the CDF is the running integral of the density.
The grid spans the robust window of the data (see :func:`reconstruct`), not its full range:
kernels centred beyond the window or wider than it are evaluated exactly with the Normal CDF,
on the grid and at the points past it, so a far outlier neither coarsens the grid nor escapes
the scores. Kernels narrower than ``NARROW_STEPS`` grid steps (unit-sd partitions when a far
cluster stretches the window over both clusters) are evaluated exactly too, at the rows they
reach, narrowest first within ``EXACT_PAIRS``; past that budget the rest are widened to one step.
Kernels of zero width (constant partitions) are point masses, added to the CDF as jumps.
"""

from __future__ import annotations

import itertools
import math
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.fft
from scipy import special
from sklearn.exceptions import NotFittedError

from ._figure_data import DistributionComparison, DistributionScore, robust_window, zero_spread_partitions
from ._grouped import GroupedStats, stats_for
from ._validation import PartitionedData, SeedArgumentNames, check_partitioned, date_zones, resolve_alias

if TYPE_CHECKING:  # only for annotations; matplotlib is an optional extra
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["DistributionAnalyzer", "DistributionComparison", "DistributionScore"]

METHODS = ("gaussian", "kde")

# Upper bound on the elements of one (classes x grid) block, about 16 MB of float64.
_BLOCK_ELEMENTS = 1 << 21
# Kernel scales are rounded to within this relative tolerance (see ``scale_classes``).
SCALE_TOLERANCE = 0.005


# --------------------------------------------------------------------------- numerics


def _linear_binning(values: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left grid index of each value, and the share of its weight given to the right neighbour."""
    step = grid[1] - grid[0]
    position = (values - grid[0]) / step
    left = np.clip(np.floor(position).astype(np.int64), 0, len(grid) - 2)
    return left, np.clip(position - left, 0.0, 1.0)


def scale_classes(scales: np.ndarray, rel_tol: float = SCALE_TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """Group positive kernel scales into classes whose shared scale is within ``rel_tol``.

    Smoothing costs one FFT per distinct scale, so thousands of partitions with
    thousands of slightly different scales are rounded onto a geometric ladder of
    ratio ``(1 + rel_tol)**2``; each scale moves by at most ``rel_tol`` relatively.

    Parameters
    ----------
    scales : ndarray of shape (K,)
        Positive scales.
    rel_tol : float
        Largest relative change of a scale.

    Returns
    -------
    classes : ndarray of shape (K,)
        Class of each scale, in ``0..C-1``.
    class_scales : ndarray of shape (C,)
        The shared scale of each class.
    """
    log_scales = np.log(scales)
    width = 2.0 * math.log1p(rel_tol)
    rung = np.floor((log_scales - log_scales.min()) / width).astype(np.int64)
    rungs, classes = np.unique(rung, return_inverse=True)
    class_scales = np.exp(log_scales.min() + (rungs + 0.5) * width)
    return classes.reshape(-1), class_scales


def mixture_density_on_grid(
    grid: np.ndarray,
    points: np.ndarray,
    weights: np.ndarray | float,
    classes: np.ndarray,
    class_scales: np.ndarray,
) -> np.ndarray:
    """Density of ``sum_i weights[i] * Normal(points[i], class_scales[classes[i]])`` on ``grid``.

    The points of each scale class are linearly binned onto the grid and smoothed with
    that class's Gaussian by a product in the Fourier domain; the classes are summed
    before one inverse transform. The transform is zero-padded to at least twice the grid
    (a length that factors into small primes) so no mass wraps around. Cost
    O(N + C * G log G), in blocks of classes to bound memory.

    Parameters
    ----------
    grid : ndarray of shape (G,)
        Evenly spaced points.
    points : ndarray of shape (N,)
        Finite kernel centres.
    weights : ndarray of shape (N,) or float
        Kernel weights (a float means the same weight for every point).
    classes : ndarray of shape (N,)
        Scale class of each point, in ``0..C-1``.
    class_scales : ndarray of shape (C,)
        Kernel standard deviation of each class; at least one grid step for accuracy.

    Returns
    -------
    ndarray of shape (G,)
        Non-negative density values.
    """
    n_grid = len(grid)
    step = grid[1] - grid[0]
    left, right_share = _linear_binning(points, grid)
    weights = np.broadcast_to(np.asarray(weights, dtype=np.float64), points.shape)
    right_weight = weights * right_share
    left_weight = weights - right_weight
    n_classes = len(class_scales)
    block = max(1, _BLOCK_ELEMENTS // n_grid)
    if n_classes > block:
        # Sort points by class once so each block of classes is a contiguous slice.
        order = np.argsort(classes, kind="stable")
        classes, left = classes[order], left[order]
        left_weight, right_weight = left_weight[order], right_weight[order]
        bounds = np.searchsorted(classes, np.arange(0, n_classes + block, block))
    else:
        bounds = np.array([0, len(classes)])
    n_fft = _fft_length(n_grid)
    spectrum = np.zeros(n_fft // 2 + 1, dtype=np.complex128)
    for block_index, start in enumerate(range(0, n_classes, block)):
        stop = min(start + block, n_classes)
        rows = slice(bounds[block_index], bounds[block_index + 1])
        flat = (classes[rows] - start) * n_grid + left[rows]
        size = (stop - start) * n_grid
        binned = np.bincount(flat, weights=left_weight[rows], minlength=size)
        binned += np.bincount(flat + 1, weights=right_weight[rows], minlength=size + 1)[:size]
        spectrum += _smoothed_spectrum(binned.reshape(stop - start, n_grid), class_scales[start:stop], step, n_fft)
    return _density_from_spectrum(spectrum, n_grid, step, n_fft)


def _fft_length(n_grid: int) -> int:
    """At least twice the grid, so no mass wraps around, and a length that factors into small
    primes: a grid stretched to 2902 points made it 5804 = 4 x 1451, six times slower."""
    return scipy.fft.next_fast_len(2 * n_grid, real=True)


def _smoothed_spectrum(binned: np.ndarray, scales: np.ndarray, step: float, n_fft: int) -> np.ndarray:
    """Sum over rows of the transform of ``binned[c]`` smoothed by a Normal of sd ``scales[c]``."""
    frequencies = np.fft.rfftfreq(n_fft, d=step)
    transfer = np.exp(-2.0 * (math.pi * frequencies[None, :] * scales[:, None]) ** 2)
    transformed = scipy.fft.rfft(binned, n=n_fft, axis=1)
    return np.einsum("kf,kf->f", transformed, transfer)


def _density_from_spectrum(spectrum: np.ndarray, n_grid: int, step: float, n_fft: int) -> np.ndarray:
    density = scipy.fft.irfft(spectrum, n=n_fft)[:n_grid] / step
    return np.clip(density, 0.0, None)


def sorted_density_on_grid(grid: np.ndarray, sorted_points: np.ndarray, weight: float, scale: float) -> np.ndarray:
    """:func:`mixture_density_on_grid` for sorted points of one weight and one scale (a KDE of data).

    The points are binned by the grid's positions in them (G binary searches) and one pass
    over the points for their offsets within their cells, instead of the general binning's
    dozen passes: 1M rows bin in about 3 ms instead of 15.

    Parameters
    ----------
    grid : ndarray of shape (G,)
        Evenly spaced points.
    sorted_points : ndarray of shape (N,)
        Ascending finite kernel centres.
    weight, scale : float
        Weight and standard deviation of every kernel.

    Returns
    -------
    ndarray of shape (G,)
    """
    n_grid = len(grid)
    step = grid[1] - grid[0]
    # Cell c holds the points in [grid[c], grid[c + 1]); those below the grid go to its first
    # point, those from its last point on to its last point (as _linear_binning clips them).
    starts = np.searchsorted(sorted_points, grid, "left")
    inside = sorted_points[starts[0] : starts[-1]]
    counts = np.diff(starts).astype(np.float64)
    offsets = (inside - np.repeat(grid[:-1], np.diff(starts))) / step
    right = np.zeros(n_grid - 1)
    filled = np.flatnonzero(counts > 0)
    if len(filled):
        right[filled] = np.add.reduceat(np.clip(offsets, 0.0, 1.0), starts[filled] - starts[0])
    binned = np.zeros(n_grid)
    binned[:-1] = counts - right
    binned[1:] += right
    binned[0] += starts[0]
    binned[-1] += len(sorted_points) - starts[-1]
    spectrum = _smoothed_spectrum((binned * weight)[None, :], np.array([scale]), step, _fft_length(n_grid))
    return _density_from_spectrum(spectrum, n_grid, step, _fft_length(n_grid))


def _cdf_from_density(density: np.ndarray, step: float) -> np.ndarray:
    """Cumulative trapezoid integral of a density, scaled to end at 1."""
    cdf = np.concatenate(([0.0], np.cumsum((density[1:] + density[:-1]) * (step / 2.0))))
    return cdf / cdf[-1] if cdf[-1] > 0 else cdf


def score_against_data(
    sorted_values: np.ndarray,
    grid: np.ndarray,
    cdf: np.ndarray,
    atoms: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, float]:
    """W1 and KS distances between a sorted sample and a CDF tabulated at ascending points.

    W1 is the mean absolute gap between the sample's order statistics and the CDF's
    quantiles at the mid-ranks ``(i - 1/2) / N``; KS is the largest gap between the CDFs,
    checked just before and at every data point. Between grid points the CDF is linear.

    Parameters
    ----------
    sorted_values : ndarray of shape (N,)
        Finite values in ascending order.
    grid, cdf : ndarray of shape (G,)
        Ascending points (not necessarily evenly spaced) and the non-decreasing CDF at them.
    atoms : (positions, weights), optional
        Point masses added to ``cdf``: ascending distinct positions and their weights. The
        CDF jumps by the weight at its position, so a row there is compared with the CDF
        just before the jump and with the CDF after it.

    Returns
    -------
    wasserstein, ks : float
        W1 in the data's units, and KS in [0, 1].
    """
    n = len(sorted_values)
    levels = np.arange(0.5, n, 1.0)  # mid-ranks, scaled below
    levels /= n
    # The data's CDF is levels + 1/(2n) at a row and levels - 1/(2n) just before it.
    if atoms is None or len(atoms[0]) == 0:
        gap = np.interp(sorted_values, grid, cdf)
        np.subtract(levels, gap, out=gap)
        ks = float(max(gap.max(), -gap.min()) + 0.5 / n)
    else:
        positions, masses = atoms
        mass_below = np.concatenate(([0.0], np.cumsum(masses)))
        smooth = np.interp(sorted_values, grid, cdf)
        # The point mass at and below each row (and strictly below it), by where each
        # position falls among the rows: K searches rather than N.
        bounds = np.concatenate(([0], np.searchsorted(sorted_values, positions, "left"), [n]))
        after = smooth + np.repeat(mass_below, np.diff(bounds))
        bounds[1:-1] = np.searchsorted(sorted_values, positions, "right")
        smooth += np.repeat(mass_below, np.diff(bounds))
        ks = float(max((levels - after).max(), (smooth - levels).max()) + 0.5 / n)
        # The CDF at the points, and just before and after every jump, for the quantiles.
        at_positions = np.interp(positions, grid, cdf)
        grid = np.concatenate((grid, positions, positions))
        cdf = np.concatenate(
            (
                cdf + mass_below[np.searchsorted(positions, grid[: len(cdf)], "right")],
                at_positions + mass_below[:-1],
                at_positions + mass_below[1:],
            )
        )
        order = np.lexsort((cdf, grid))
        grid, cdf = grid[order], np.maximum.accumulate(cdf[order])
    # Invert the CDF through the first and last point of every flat run: a level just above a
    # plateau maps to where the mass resumes, one just below it to where the plateau starts,
    # and one within a jump (a point mass: the same position at two heights) to the jump.
    rises = np.diff(cdf) > 0
    ends = np.concatenate(([True], rises)) | np.concatenate((rises, [True]))
    quantiles = np.interp(levels, cdf[ends], grid[ends])
    np.subtract(sorted_values, quantiles, out=quantiles)
    wasserstein = float(np.abs(quantiles, out=quantiles).mean())
    return wasserstein, max(ks, 0.0)


def _silverman_bandwidth(sorted_values: np.ndarray, std: float) -> float:
    """Silverman's rule of thumb, ``0.9 * min(std, IQR / 1.34) * n**(-1/5)``."""
    # Quantiles of sorted values by index (numpy's default, linear): no O(n) partition.
    position = np.array([0.25, 0.75]) * (len(sorted_values) - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, len(sorted_values) - 1)
    q1, q3 = sorted_values[below] + (position - below) * (sorted_values[above] - sorted_values[below])
    spread = min(std, (q3 - q1) / 1.34) if q3 > q1 else std
    return 0.9 * spread * len(sorted_values) ** -0.2


# Points of the coarse grid for kernels beyond the window, as a multiple of grid_size.
GRID_GROWTH = 8.0
# Values repeating this many times on average make a feature heaped (see original_bandwidth).
HEAPED_REPEATS = 10


def original_bandwidth(sorted_values: np.ndarray, std: float) -> float:
    """The bandwidth of the data's own KDE: Silverman's rule, capped at the data's resolution.

    A heaped feature (diamonds' ``carat``: 54k values on 273 points of a 0.01 grid, with
    heaps at 0.3, 1.0, 1.5, 2.0) is over-smoothed by Silverman's rule, which blurs the
    heaps the partitions resolve. When the values repeat on average at least
    ``HEAPED_REPEATS`` times, the bandwidth is therefore at most the resolution: the
    median gap between consecutive distinct values. One resolution step smooths an evenly
    filled grid into a smooth curve (its ripple is ``exp(-2 pi**2)`` of the density) but
    keeps a heap as a peak. On ``carat`` this moves the curve's W1 / std from the data from
    0.031 to 0.007 (KS 0.062 to 0.031); the 200-partition reconstruction scores 0.014
    (``examples/heaped_bandwidth.py``).

    Parameters
    ----------
    sorted_values : ndarray of shape (N,)
        Finite values in ascending order.
    std : float

    Returns
    -------
    float
    """
    silverman = _silverman_bandwidth(sorted_values, std)
    starts = np.flatnonzero(np.diff(sorted_values) > 0)
    n_distinct = len(starts) + 1
    if n_distinct > 1 and len(sorted_values) >= HEAPED_REPEATS * n_distinct:
        distinct = np.append(sorted_values[starts], sorted_values[-1])
        return min(silverman, float(np.median(np.diff(distinct))))
    return silverman


# A kernel centred in the window and at most as wide as the window is smoothed on the
# window's grid; the others (an outlier's partition, a partition spread over a far value)
# are evaluated exactly, so no far value widens the grid's step.
NEAR_SCALE_SHARE = 1.0
# The grid's grid_size points cover at most this many window widths (the window and a
# margin of one width each side: 4 std of one Normal over normal data); a wider margin adds
# points, so at least a third of them stay in the window whatever its kernels' tails need.
_WINDOW_SHARE = 3.0
# Most (kernel, point) pairs of the exact evaluation, about 0.2 s; past it the kernels beyond
# the window are smoothed on a grid over their own range instead (GRID_GROWTH x grid_size points),
# and the narrow kernels in the window past it are widened to one step (a budget of its own).
EXACT_PAIRS = 1 << 24


# Kernels narrower than this many grid steps are evaluated exactly (within EXACT_PAIRS):
# the grid would widen them to its step, and its linear CDF cannot follow them between points.
NARROW_STEPS = 4.0
# An exact kernel is evaluated within this many of its scales of its centre; past it its CDF
# is 0 or its weight to within 1e-15.
EXACT_REACH = 8.0
_TAIL_POINTS = np.array([-EXACT_REACH, -4.0, -2.0, 2.0, 4.0, EXACT_REACH])


def _tiny_scale(step: float) -> float:
    """The floor of an exact kernel's scale: far below anything a grid resolves, above zero."""
    return 1e-9 * step if step > 0 else 1e-300


def _reach(points: np.ndarray, centres: np.ndarray, scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and past-last index of the sorted ``points`` within ``EXACT_REACH`` scales of each centre."""
    reach = EXACT_REACH * scales
    return np.searchsorted(points, centres - reach, "left"), np.searchsorted(points, centres + reach, "right")


def _reach_pairs(points: np.ndarray, centres: np.ndarray, scales: np.ndarray) -> int:
    """(kernel, point) pairs :func:`local_normal_mixture` evaluates."""
    first, last = _reach(points, centres, scales)
    return int((last - first).sum())


def local_normal_mixture(
    points: np.ndarray, centres: np.ndarray, weights: np.ndarray | float, scales: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CDF and density of ``sum_i weights[i] * Normal(centres[i], scales[i])`` at sorted ``points``.

    Exact (the closed-form Normal CDF) within ``EXACT_REACH`` scales of each centre; past
    it a kernel adds its whole weight to the CDF (a running sum), nothing to the density.
    Costs O(pairs in reach + M log P), in blocks of kernels to bound memory.

    Parameters
    ----------
    points : ndarray of shape (P,)
        Ascending.
    centres : ndarray of shape (M,)
    weights : ndarray of shape (M,) or float
    scales : ndarray of shape (M,)
        Positive standard deviations.

    Returns
    -------
    cdf, density : ndarray of shape (P,)
    """
    n_points = len(points)
    weights = np.broadcast_to(np.asarray(weights, dtype=np.float64), centres.shape)
    first, last = _reach(points, centres, scales)
    cdf = np.cumsum(np.bincount(last, weights=weights, minlength=n_points + 1))[:n_points]
    density = np.zeros(n_points)
    lengths = last - first
    ends = np.cumsum(lengths)
    # Blocks of kernels holding about _BLOCK_ELEMENTS pairs each.
    bounds = np.unique(np.searchsorted(ends, np.arange(0, int(ends[-1]) if len(ends) else 0, _BLOCK_ELEMENTS)))
    bounds = np.append(bounds[bounds < len(ends)], len(ends)) if len(ends) else np.array([0])
    for start, stop in itertools.pairwise(bounds):
        size = lengths[start:stop]
        kernel = np.repeat(np.arange(start, stop), size)
        offset = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
        index = first[kernel] + offset
        z = (points[index] - centres[kernel]) / scales[kernel]
        cdf += np.bincount(index, weights=weights[kernel] * special.ndtr(z), minlength=n_points)
        density += np.bincount(
            index, weights=weights[kernel] * np.exp(-0.5 * z * z) / (scales[kernel] * math.sqrt(2.0 * math.pi)),
            minlength=n_points,
        )
    return cdf, density


def reconstruct(
    centres: np.ndarray,
    weights: np.ndarray,
    scales: np.ndarray,
    sorted_values: np.ndarray,
    window: tuple[float, float],
    grid_size: int,
    bandwidth: float,
    unit: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The mixture ``sum_i weights[i] * Normal(centres[i], scales[i])``, on a grid over ``window``.

    The grid spans the window (the data's range when the window is empty) plus a margin
    holding the tails of the kernels drawn on it, in ``grid_size`` points (more when that
    margin is wider than the window each side, up to 3 times as many): its step never
    depends on how far an outlier lies. Kernels centred in the window, at most
    ``NEAR_SCALE_SHARE`` of its width wide and at least ``NARROW_STEPS`` steps wide are
    binned onto it and smoothed by FFT; the rest are evaluated exactly with their own
    scales, both on the grid and at the points beyond it (data outside the grid, and a
    spread of points over the range the kernels reach), and the narrow ones also at the
    rows they reach, so the scores see every row and all the reconstruction's mass. The
    narrow kernels in the window are taken narrowest first while their pairs stay within
    ``EXACT_PAIRS``; the rest are smoothed at one step. The density draws every kernel at
    least one step wide.

    Parameters
    ----------
    centres, weights, scales : ndarray of shape (M,)
        The kernels; weights sum to at most 1 (the caller adds zero-width kernels itself,
        as point masses).
    sorted_values : ndarray of shape (N,)
        The data, ascending.
    window : tuple of float
        The range a figure shows (:func:`robust_window`).
    grid_size : int
    bandwidth : float
        The data's own KDE bandwidth; the margin holds four of them.
    unit : float
        The feature's scale, for the margin of a constant feature (2 % of it, four times).

    Returns
    -------
    grid : ndarray of shape (n_grid,)
        ``n_grid >= grid_size`` evenly spaced points.
    density, cdf : ndarray of shape (n_grid,)
        The mixture's density and CDF on the grid.
    points, points_cdf : ndarray
        Ascending points covering the data and the mixture's mass (the grid among them),
        and the mixture's CDF there, for :func:`score_against_data`.
    """
    low, high = float(sorted_values[0]), float(sorted_values[-1])
    start, stop = window if window[1] > window[0] else (low, high)
    width = stop - start
    near = (centres >= start) & (centres <= stop) & (scales <= NEAR_SCALE_SHARE * width)
    least = bandwidth if width > 0 else 0.02 * unit
    margin = 4.0 * max(float(scales[near].max(initial=0.0)), least, 0.025 * width)
    n_grid = grid_size
    if width > 0:  # the margin holds 4 of the widest near kernels (at most 4 widths); keep the step
        n_grid = max(grid_size, math.ceil((width + 2.0 * margin) / (_WINDOW_SHARE * width) * (grid_size - 1)) + 1)
    grid = np.linspace(start - margin, stop + margin, n_grid)
    step = grid[1] - grid[0]

    # Kernels narrower than NARROW_STEPS steps would be widened by the grid (a cluster of
    # unit-sd partitions drawn as step-wide Normals when the window spans two far clusters):
    # evaluate them exactly at the points they reach, narrowest first, within EXACT_PAIRS.
    narrow = near & (scales < NARROW_STEPS * step)
    data_on_grid = sorted_values[(sorted_values >= grid[0]) & (sorted_values <= grid[-1])]
    if narrow.any():
        candidates = np.flatnonzero(narrow)
        candidates = candidates[np.argsort(scales[candidates], kind="stable")]
        reach = EXACT_REACH * np.maximum(scales[candidates], _tiny_scale(step))
        work = np.searchsorted(data_on_grid, centres[candidates] + reach, "right") - np.searchsorted(
            data_on_grid, centres[candidates] - reach, "left"
        )
        work = work + 2.0 * reach / step + 1.0 + len(_TAIL_POINTS)  # and the grid and tail points
        taken = candidates[np.cumsum(work) <= EXACT_PAIRS]  # the rest stay widened on the grid
        narrow[:] = False
        narrow[taken] = True
    smoothed = near & ~narrow
    density = np.zeros(n_grid)
    if smoothed.any():
        classes, class_scales = scale_classes(np.maximum(scales[smoothed], step))
        density = mixture_density_on_grid(grid, centres[smoothed], weights[smoothed], classes, class_scales)
    smoothed_mass = float(weights[smoothed].sum())
    near_cdf = _cdf_from_density(density, step) * smoothed_mass

    far = ~near
    far_centres, far_weights = centres[far], weights[far]
    # Exact kernels keep their own scale (floored far below a step only to avoid 0 / 0).
    far_scales = np.maximum(scales[far], _tiny_scale(step))
    outside = sorted_values[(sorted_values < grid[0]) | (sorted_values > grid[-1])]
    extra = np.empty(0)
    if len(far_centres) or len(outside):
        widened = np.maximum(far_scales, step)
        reach_low = min(low, float((far_centres - 5.0 * widened).min(initial=low)))
        reach_high = max(high, float((far_centres + 5.0 * widened).max(initial=high)))
        spread = np.linspace(reach_low, reach_high, grid_size)
        extra = np.concatenate((outside, spread[(spread < grid[0]) | (spread > grid[-1])]))
    # Rows on the grid within reach of an exact kernel narrower than a few steps are scored
    # at their own value: between grid points such a kernel's CDF is not linear.
    exact = narrow | far
    small = exact & (scales < NARROW_STEPS * step)
    if small.any():
        reach = EXACT_REACH * np.maximum(scales[small], _tiny_scale(step))
        first = np.searchsorted(data_on_grid, centres[small] - reach, "left")
        last = np.searchsorted(data_on_grid, centres[small] + reach, "right")
        covered = np.cumsum(np.bincount(first, minlength=len(data_on_grid) + 1)[:-1]) > np.cumsum(
            np.bincount(last, minlength=len(data_on_grid) + 1)[:-1]
        )
        # and points across each kernel's tails, so the quantiles (W1) between rows follow it.
        tails = centres[small][:, None] + np.maximum(scales[small], _tiny_scale(step))[:, None] * _TAIL_POINTS
        extra = np.concatenate((extra, tails.ravel()))
        added = data_on_grid[covered]
    else:
        added = np.empty(0)
    base = np.sort(np.concatenate((grid, extra)))
    points = np.concatenate((grid, extra, added))
    order = np.argsort(points, kind="stable")
    points = points[order]
    on_grid = np.argsort(order, kind="stable")[:n_grid]  # where the grid went
    points_cdf = np.interp(points, grid, near_cdf, left=0.0, right=smoothed_mass)
    if narrow.any():
        narrow_scales = np.maximum(scales[narrow], _tiny_scale(step))
        points_cdf += local_normal_mixture(points, centres[narrow], weights[narrow], narrow_scales)[0]
        # Drawn one step wide: the figure cannot show narrower.
        density += local_normal_mixture(grid, centres[narrow], weights[narrow], np.maximum(narrow_scales, step))[1]
    # A far kernel a few steps wide or more is evaluated at the grid and beyond it, and
    # interpolated at the rows added for the narrow kernels (its CDF is smooth between them).
    far_small = far_scales < NARROW_STEPS * step
    if _reach_pairs(points, far_centres[far_small], far_scales[far_small]) + _reach_pairs(
        base, far_centres[~far_small], far_scales[~far_small]
    ) <= EXACT_PAIRS:
        points_cdf += local_normal_mixture(points, far_centres[far_small], far_weights[far_small], far_scales[far_small])[0]
        wide_cdf = local_normal_mixture(base, far_centres[~far_small], far_weights[~far_small], far_scales[~far_small])[0]
        points_cdf += np.interp(points, base, wide_cdf)
        far_density = local_normal_mixture(grid, far_centres, far_weights, np.maximum(far_scales, step))[1]
    else:
        # Too many to evaluate one by one (a KDE's rows): smooth them on a grid of their own.
        coarse = np.linspace(reach_low, reach_high, int(GRID_GROWTH * grid_size))
        coarse_step = coarse[1] - coarse[0]
        coarse_classes, coarse_scales = scale_classes(np.maximum(far_scales, coarse_step))
        coarse_density = mixture_density_on_grid(coarse, far_centres, far_weights, coarse_classes, coarse_scales)
        far_mass = float(far_weights.sum())
        coarse_cdf = _cdf_from_density(coarse_density, coarse_step) * far_mass
        points_cdf += np.interp(points, coarse, coarse_cdf, left=0.0, right=far_mass)
        far_density = np.interp(grid, coarse, coarse_density)
    cdf = points_cdf[on_grid].copy()
    return grid, density + far_density, cdf, points, np.maximum.accumulate(points_cdf)


# --------------------------------------------------------------------------- the analyzer


class DistributionAnalyzer(SeedArgumentNames):
    """Compare each feature's distribution with its reconstruction from the partitions.

    The reconstruction of a feature is the mixture ``sum_k (n_k / N) * p_k(x)`` of
    per-partition summaries ``p_k``: a Normal with the partition's mean and standard
    deviation (``method="gaussian"``), or a Gaussian KDE of the partition's rows with its
    own bandwidth ``1.06 * std_k * n_k**(-1/5)`` (``method="kde"``). ``n_k`` counts the
    partition's non-missing values. Kernels centred in the figure's window, at most as
    wide as it and at least ``NARROW_STEPS`` grid steps wide are smoothed on the grid; the
    others (the partition of a far outlier, unit-sd partitions when a far cluster stretches
    the window) are evaluated exactly with the Normal CDF, so far values change neither the
    step nor the scores. A partition with zero spread (all its values equal, or one row) is
    a point mass in the scores: the reconstruction's CDF jumps by its weight at its value,
    and KS compares the data with it just before and after the jump. The curves draw every
    kernel at least one step wide (a point mass is a one-step spike). Past ``EXACT_PAIRS``
    (kernel, point) pairs, the narrow kernels left over are widened to one step in the
    scores too.

    Each feature is analysed relative to its median row, so its offset does not change the
    scores (N(1e15, 1000) rows score as N(0, 1000) rows, to within one float spacing of the
    values, 0.125 there). Values float64 has rounded onto a spacing comparable to their
    spread (``|x| * 2**-52``: 2 at 1e16, 256 for int64 values near 2**60) are scored as the
    heaped feature they are stored as; a 64-bit integer column that float64 rounds so is
    warned of by name when the analyzer reads it (X27 in docs/errors.md).

    Unlike scikit-learn estimators, the data is given to the constructor (as in the
    predecessor's API) and checked there, so mistakes surface where they are made.

    Parameters
    ----------
    X : DataFrame, ndarray or polars DataFrame of shape (n_samples, n_features)
        The partitioned data. Numeric columns are analysed; object, string, category
        and bool columns are skipped (listed in ``skipped_columns_`` after :meth:`fit`).
        Array columns are named ``f0, f1, ...``. The seed's keyword ``data=`` works too.
    labels : array-like, list, Series or polars Series of shape (n_samples,)
        Partition of each row. A pandas Series must have a DataFrame ``X``'s index. The
        seed's keyword ``partition_labels=`` works too.
    method : {"gaussian", "kde"}, default="gaussian"
        Per-partition summary used in the reconstruction.
    grid_size : int >= 64, default=2048
        Evaluation points per feature, over the window a figure shows (the robust range of
        the data) and a margin for the kernels' tails; up to 3 times as many when that margin
        is wider than the window each side. Far outliers do not stretch the grid: the
        kernels beyond the window are evaluated exactly.

    Attributes
    ----------
    feature_names_ : list of str
        Numeric columns analysed.
    skipped_columns_ : list
        Non-numeric columns.
    n_partitions_ : int
        Distinct labels.
    stats_ : GroupedStats
        Per-partition counts, means and variances of ``feature_names_`` (one
        grouped pass over the data, or the one handed to :meth:`fit`).

    Raises
    ------
    TypeError
        If ``X`` or ``labels`` cannot be read (e.g. labels given as a dict or string).
    ValueError
        On a length or index mismatch, missing labels, infinite values (the message
        names the columns), an unknown ``method`` or a bad ``grid_size``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hvrt import DistributionAnalyzer
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": np.r_[rng.normal(-3, 1, 500), rng.normal(3, 1, 500)]})
    >>> coarse = DistributionAnalyzer(X, np.zeros(1000, dtype=int)).fit()
    >>> fine = DistributionAnalyzer(X, np.repeat(np.arange(10), 100)).fit()
    >>> coarse.score("x").wasserstein > 5 * fine.score("x").wasserstein
    True
    """

    def __init__(
        self,
        X: Any = None,
        labels: Any = None,
        method: str = "gaussian",
        grid_size: int = 2048,
        *,
        data: Any = None,
        partition_labels: Any = None,
    ) -> None:
        X = resolve_alias(X, data, "X", "data")
        labels = resolve_alias(labels, partition_labels, "labels", "partition_labels")
        self._data: PartitionedData = check_partitioned(X, labels)
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if isinstance(grid_size, bool) or not isinstance(grid_size, (int, np.integer)) or grid_size < 64:
            raise ValueError(f"grid_size must be an integer >= 64, got {grid_size!r}")
        self.X = X
        self.labels = labels
        self.method = method
        self.grid_size = int(grid_size)

    def __repr__(self) -> str:
        state = (
            f"fitted: {len(self.feature_names_)} features x {self.n_partitions_} partitions"
            if hasattr(self, "stats_")
            else "not fitted"
        )
        return f"DistributionAnalyzer({self._data.n_samples:,} rows, method={self.method!r}, {state})"

    def to_pandas(self) -> pd.DataFrame:
        """:meth:`scores` of every numeric feature (computed on first call).

        Returns
        -------
        DataFrame
        """
        return self.scores()

    # ------------------------------------------------------------------ fitting

    def fit(self, stats: GroupedStats | None = None) -> DistributionAnalyzer:
        """Compute the per-partition summaries of every numeric feature.

        One grouped pass over the data; densities are computed per feature on demand
        (and cached) by :meth:`compare`, :meth:`score` and :meth:`plot_comparison`.

        Parameters
        ----------
        stats : GroupedStats, optional
            ``hvrt.grouped_stats(values, labels)`` of X's numeric columns, when the
            caller has it already (as :class:`~hvrt.PartitionProfiler` does).

        Returns
        -------
        DistributionAnalyzer
            ``self``.

        Raises
        ------
        ValueError
            If X has no numeric column, or ``stats`` does not describe X's numeric
            columns grouped by these labels.
        """
        data = self._data
        if not data.feature_names:
            raise ValueError(
                f"X has no numeric column to analyse; its columns are {list(data.skipped_columns)}"
            )
        self.stats_: GroupedStats = stats_for(data.values, data.labels, stats, data.feature_names)
        self.feature_names_ = list(data.feature_names)
        self._column_of = {name: j for j, name in enumerate(self.feature_names_)}
        self.skipped_columns_ = list(data.skipped_columns)
        self.n_partitions_ = self.stats_.n_partitions
        self._comparisons: dict[str, DistributionComparison] = {}
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "stats_"):
            raise NotFittedError("This DistributionAnalyzer is not fitted yet; call fit() first.")

    def _column(self, feature_name: Any) -> int:
        self._check_fitted()
        key = str(feature_name)
        if key not in self._column_of:
            if key in self.skipped_columns_:
                raise ValueError(
                    f"feature_name {feature_name!r} is not numeric; only numeric features can be compared"
                )
            raise ValueError(
                f"feature_name {feature_name!r} is not a column of data; numeric columns are "
                f"{self.feature_names_}"
            )
        return self._column_of[key]

    # ------------------------------------------------------------------ results

    def compare(self, feature_name: str) -> DistributionComparison:
        """Original density, reconstruction and score of one feature.

        Parameters
        ----------
        feature_name : str
            A numeric column of ``X``.

        Returns
        -------
        DistributionComparison

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If the feature is unknown, not numeric, or has no non-missing value.
        """
        j = self._column(feature_name)
        name = self.feature_names_[j]
        if name not in self._comparisons:
            self._comparisons[name] = self._compute(j)
        return self._comparisons[name]

    def _compute(self, j: int) -> DistributionComparison:
        name = self.feature_names_[j]
        column = self._data.values[:, j]
        present = ~np.isnan(column)
        values = np.sort(column[present])
        n = len(values)
        if n == 0:
            raise ValueError(f"feature {name!r} has no non-missing value to compare")
        low, high = float(values[0]), float(values[-1])
        window = robust_window(values, presorted=True)
        # Work relative to the median row: at 1e15 float64 resolves 0.125, so a grid built
        # there is uneven at a step of a few units and the FFT sees the wrong grid. Values
        # near the median subtract exactly (Sterbenz); the scores do not depend on the shift.
        origin = float(values[n // 2])
        sorted_values = values - origin
        std = float(sorted_values.std())

        stats = self.stats_
        counts = stats.count[:, j].astype(np.float64)
        active = counts > 0
        spreads = np.sqrt(stats.variance[active, j])
        if self.method == "gaussian":
            # A Normal per partition: one kernel at the partition mean, weighted by its size.
            centres, scales = stats.mean[active, j] - origin, spreads
            weights = counts[active] / n
        else:
            # Every row is a kernel with its partition's bandwidth.
            row_partition = (np.cumsum(active) - 1)[stats.codes[present]]
            centres = column[present] - origin
            scales = (1.06 * spreads * counts[active] ** -0.2)[row_partition]
            weights = np.full(n, 1.0 / n)

        # A zero-sd kernel (a constant partition, or a row of one) is a point mass: its CDF
        # jumps at its value, which a Normal of tiny sd would put at half its weight there.
        point_mass = scales == 0
        atoms, atom_index = np.unique(centres[point_mass], return_inverse=True)
        atom_weights = np.bincount(atom_index.ravel(), weights=weights[point_mass], minlength=len(atoms))
        keep = ~point_mass
        own_bandwidth = original_bandwidth(sorted_values, std)
        unit = std if std > 0 else max(abs(low), 1.0)
        relative_window = (window[0] - origin, window[1] - origin)
        grid, density, cdf, points, points_cdf = reconstruct(
            centres[keep], weights[keep], scales[keep], sorted_values, relative_window, self.grid_size,
            own_bandwidth, unit,
        )
        if len(atoms):
            step = grid[1] - grid[0]
            density = density + local_normal_mixture(grid, atoms, atom_weights, np.full(len(atoms), step))[1]
            cdf = cdf + np.concatenate(([0.0], np.cumsum(atom_weights)))[np.searchsorted(atoms, grid, "right")]
        bandwidth = max(own_bandwidth, grid[1] - grid[0])
        # The data's own KDE, drawn on the grid; rows beyond the grid are far past the window.
        on_grid = sorted_values[np.searchsorted(sorted_values, grid[0]) : np.searchsorted(sorted_values, grid[-1], "right")]
        original = sorted_density_on_grid(grid, on_grid, 1.0 / n, bandwidth)
        wasserstein, ks = score_against_data(sorted_values, points, points_cdf, (atoms, atom_weights))
        # drawn as ticks by plot_comparison (each partition of one repeated value)
        masses, mass_values = zero_spread_partitions(stats.count[:, j], stats.minimum[:, j], stats.maximum[:, j])
        score = DistributionScore(
            feature=name,
            wasserstein=wasserstein / std if std > 0 else 0.0,
            ks=ks if std > 0 else 0.0,
        )
        return DistributionComparison(
            feature=name,
            method=self.method,
            n_partitions=int(active.sum()),
            grid=grid + origin,
            original_density=original,
            reconstructed_density=density,
            reconstructed_cdf=cdf,
            data_range=(low, high),
            score=score,
            window=window,
            n_below=int(np.searchsorted(values, window[0], side="left")),
            n_above=int(n - np.searchsorted(values, window[1], side="right")),
            n_values=n,
            n_missing=len(column) - n,
            point_masses=masses,
            point_mass_values=mass_values,
            original_bandwidth=bandwidth,
            time_kind=self._data.time_kinds.get(name),
            time_zone=_date_zones(self._data).get(name),
        )

    def score(self, feature_name: str) -> DistributionScore:
        """How far the reconstruction of one feature is from its data.

        Parameters
        ----------
        feature_name : str
            A numeric column of ``X``.

        Returns
        -------
        DistributionScore
            ``feature``, ``wasserstein`` (W1 / std) and ``ks``; lower is better.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If the feature is unknown, not numeric, or entirely missing.
        """
        return self.compare(feature_name).score

    def scores(self) -> pd.DataFrame:
        """Scores of every numeric feature.

        Returns
        -------
        DataFrame
            Columns ``feature``, ``wasserstein``, ``ks``; one row per numeric feature
            with at least one non-missing value, in column order.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        """
        self._check_fitted()
        rows = []
        for name in self.feature_names_:
            if np.isnan(self._data.values[:, self._column_of[name]]).all():
                continue
            score = self.score(name)
            rows.append({"feature": score.feature, "wasserstein": score.wasserstein, "ks": score.ks})
        return pd.DataFrame(rows, columns=["feature", "wasserstein", "ks"])

    def plot_comparison(
        self,
        feature_name: str,
        save_path: str | PathLike[str] | None = None,
        ax: Axes | None = None,
    ) -> Figure:
        """Draw the original density (solid) against the reconstruction (dashed).

        Parameters
        ----------
        feature_name : str
            A numeric column of ``X``.
        save_path : str or path-like, optional
            Where to save the figure (format from the suffix, PNG by default). Missing
            parent folders are created.
        ax : matplotlib Axes, optional
            Draw into this Axes instead of a new figure.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ImportError
            If matplotlib is not installed; the message names the ``viz`` extra.
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If the feature is unknown, not numeric, or entirely missing.
        """
        from . import plotting  # plotting needs the optional matplotlib

        plotting.require_matplotlib()
        figure = plotting.plot_distribution_comparison(self.compare(feature_name), ax=ax)
        if save_path is not None:
            path = Path(save_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            plotting.save_figure(figure, path)
        return figure


def _date_zones(data: PartitionedData) -> dict[str, str | None]:
    """The time zone of each date column of ``data`` (None: naive): figures draw its dates
    on that zone's clock, as the rules write them."""
    return {} if data.frame is None else date_zones(data.frame)
