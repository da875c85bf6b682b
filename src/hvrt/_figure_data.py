"""Plain data that figures are drawn from, and the builders that reduce data to it.

:mod:`hvrt.plotting` draws only from these types, so it imports no analysis module, and
the analysis modules (:mod:`hvrt.distribution`, :mod:`hvrt.profiler`) build them without
importing matplotlib. Each builder is vectorised over rows and partitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BinnedSamples",
    "DistributionComparison",
    "DistributionScore",
    "PartitionBoxes",
    "binned_violin_samples",
    "partition_box_stats",
    "robust_window",
    "zero_spread_partitions",
]

VIOLIN_BINS = 20
VIOLIN_SAMPLES_PER_BIN = 2000
# The axis window of a figure: the 0.5 % and 99.5 % quantiles, widened on each side by a
# quarter of their distance, never past the data. Normal data keeps everything within
# about 3.9 standard deviations (some 10 rows in 100,000 fall outside); a data error far
# out (a diamond 31.8 mm deep among 2-7 mm) falls outside and is counted, not drawn.
WINDOW_TAIL = 0.005
WINDOW_PAD = 0.25


def robust_window(
    values: np.ndarray, tail: float = WINDOW_TAIL, pad: float = WINDOW_PAD, *, presorted: bool = False
) -> tuple[float, float]:
    """The axis range of a figure of ``values``, which a few far outliers do not stretch.

    From the ``tail`` and ``1 - tail`` quantiles, widened on each side by ``pad`` times
    their distance and cut back to the data's own minimum and maximum: data without
    outliers keeps its full range. Values outside the window are counted and marked on
    the figure, not drawn.

    Parameters
    ----------
    values : ndarray
        Finite values (NaN is ignored).
    tail : float, default=0.005
    pad : float, default=0.25
    presorted : bool, default=False
        ``values`` are sorted already (as ``np.sort`` sorts them, NaN last): the quantiles
        are read off the sorted order directly (:func:`sorted_quantiles`), the same values
        ``np.quantile`` gives without its partition of a copy.

    Returns
    -------
    (low, high) : tuple of float
        ``(nan, nan)`` when there is no value.
    """
    if presorted:
        if len(values) and np.isnan(values[-1]):
            values = values[: np.searchsorted(values, np.nan, side="left")]  # numpy sorts NaN last
    else:
        values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    if presorted:
        q_low, q_high = sorted_quantiles(values, [tail, 1.0 - tail])
        smallest, largest = values[0], values[-1]
    else:
        q_low, q_high = np.quantile(values, [tail, 1.0 - tail])
        smallest, largest = values.min(), values.max()
    margin = pad * (q_high - q_low)
    return float(max(smallest, q_low - margin)), float(min(largest, q_high + margin))


def sorted_quantiles(sorted_values: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """``np.quantile(sorted_values, quantiles)`` (its default "linear" method) of values
    sorted already, without NaN: the order statistics around each position
    ``(n - 1) * q``, blended as numpy blends them (from the nearer one), so the results
    are equal bit for bit.
    """
    n = len(sorted_values)
    position = (n - 1) * np.asarray(quantiles, dtype=np.float64)
    below = np.floor(position)
    weight = position - below
    low = np.minimum(below.astype(np.intp), n - 1)
    high = np.minimum(low + 1, n - 1)
    a, b = sorted_values[low], sorted_values[high]
    step = b - a
    with np.errstate(invalid="ignore"):  # (an infinite step: numpy's NaN too)
        return np.where(weight >= 0.5, b - step * (1 - weight), a + step * weight)


@dataclass(frozen=True)
class DistributionScore:
    """How far a feature's reconstruction is from its data.

    Attributes
    ----------
    feature : str
        Column name.
    wasserstein : float
        1-Wasserstein distance between the empirical distribution and the
        reconstruction, divided by the feature's (population) standard deviation. 0 is a
        perfect reconstruction; 0.1 means the probability mass is moved by a tenth of a
        standard deviation on average. 0.0 for a constant feature, which the partitions
        reconstruct exactly (a point mass at its value; measured, not a default).
    ks : float
        Kolmogorov-Smirnov distance: the largest absolute gap between the empirical CDF
        and the reconstruction's CDF, in [0, 1].
    """

    feature: str
    wasserstein: float
    ks: float

    def to_pandas(self) -> pd.Series:
        """The two distances as a Series named for the feature.

        Returns
        -------
        Series
        """
        return pd.Series({"wasserstein": self.wasserstein, "ks": self.ks}, name=self.feature)


@dataclass(frozen=True, repr=False)
class DistributionComparison:
    """Everything needed to draw one feature's original-vs-reconstruction figure.

    Attributes
    ----------
    feature : str
        Column name.
    method : {"gaussian", "kde"}
        How each partition was summarised.
    n_partitions : int
        Partitions holding at least one non-missing value of the feature.
    grid : ndarray of shape (n_grid,)
        Evenly spaced evaluation points over ``window``, extended on each side by four of the
        widest kernel scales drawn on it (the grid never stretches to a far outlier; the
        scores see every row all the same).
    original_density : ndarray of shape (n_grid,)
        Gaussian KDE of all the data, the reference curve: Silverman's bandwidth, at most the
        data's resolution for a heaped feature (``original_bandwidth``).
    reconstructed_density : ndarray of shape (n_grid,)
        Density of the size-weighted mixture of partition summaries.
    reconstructed_cdf : ndarray of shape (n_grid,)
        CDF of that mixture, the mass below the grid included (so it starts above 0 and
        ends below 1 when some of the mixture lies beyond the grid).
    data_range : tuple of float
        Smallest and largest observed value.
    score : DistributionScore
        Distances between the data and the reconstruction.
    window : tuple of float
        The x range a figure shows: :func:`robust_window` of the data.
    n_below, n_above : int
        Values left and right of ``window``, which a figure counts instead of showing.
    n_values : int
        Non-missing values of the feature.
    original_bandwidth : float
        The bandwidth of ``original_density``; see :class:`~hvrt.DistributionAnalyzer`.
    time_kind : {"dates", "durations"} or None
        For a date or duration column (its values are nanoseconds): figures write the
        value axis as dates or durations.
    time_zone : str or None
        The time zone of a zone-aware date column (its nanoseconds are UTC instants):
        figures tick and write its dates on that zone's clock and name the zone. None for
        naive dates and every other column.
    n_missing : int
        Missing values of the feature (rows left out of both curves); a figure says how many.
    point_masses : ndarray of shape (m,)
        The value of each partition whose values are all equal (one value, or a partition of
        a constant): its kernel has no width, so the reconstruction draws it as a spike one
        grid step wide whose height says nothing. A figure marks these values on the axis
        and does not let the spikes set the height of the plot.
    point_mass_values : ndarray of shape (m,)
        Non-missing values in each of those partitions.
    """

    feature: str
    method: str
    n_partitions: int
    grid: np.ndarray
    original_density: np.ndarray
    reconstructed_density: np.ndarray
    reconstructed_cdf: np.ndarray
    data_range: tuple[float, float]
    score: DistributionScore
    window: tuple[float, float] = (float("nan"), float("nan"))
    n_below: int = 0
    n_above: int = 0
    n_values: int = 0
    original_bandwidth: float = float("nan")
    time_kind: str | None = None
    time_zone: str | None = None
    n_missing: int = 0
    point_masses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    point_mass_values: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def is_constant(self) -> bool:
        """Whether every value is the same: there is no density, only a point mass."""
        return self.data_range[0] == self.data_range[1]

    def __repr__(self) -> str:
        low, high = self.data_range
        return (
            f"DistributionComparison({self.feature!r}, {self.method}, {self.n_partitions} partitions, "
            f"{len(self.grid)} grid points over [{low:.4g}, {high:.4g}]: "
            f"wasserstein={self.score.wasserstein:.4g}, ks={self.score.ks:.4g})"
        )

    def to_pandas(self) -> pd.DataFrame:
        """The curves: one row per grid point.

        Returns
        -------
        DataFrame
            Columns ``grid``, ``original_density``, ``reconstructed_density``,
            ``reconstructed_cdf``.
        """
        return pd.DataFrame(
            {
                "grid": self.grid,
                "original_density": self.original_density,
                "reconstructed_density": self.reconstructed_density,
                "reconstructed_cdf": self.reconstructed_cdf,
            }
        )


@dataclass(frozen=True)
class BinnedSamples:
    """Data for the binned violin plot of one feature.

    Attributes
    ----------
    feature : str
    n_partitions : int
    samples : list of ndarray
        One array per rank bin (possibly empty): a bounded random sample of the bin's
        values inside ``window``, plus the bin's smallest and largest value inside it, so
        the violin spans the bin's data range within the window.
    partitions_per_bin : ndarray of shape (n_bins,)
    rows_per_bin : ndarray of shape (n_bins,)
        Non-missing values per bin before sampling, outliers included.
    window : tuple of float
        The value axis: :func:`robust_window` of all the feature's values.
    below_per_bin, above_per_bin : ndarray of shape (n_bins,)
        Values of each bin below and above ``window``: counted and marked at the axis
        edge, not drawn.
    time_kind, time_zone : str or None
        As in :class:`DistributionComparison`.
    n_missing : int
        Missing values of the feature, which no violin shows.
    n_empty_partitions : int
        Partitions without a value of the feature (their mean is missing, so they rank last).
    """

    feature: str
    n_partitions: int
    samples: list[np.ndarray]
    partitions_per_bin: np.ndarray
    rows_per_bin: np.ndarray
    window: tuple[float, float] = (float("nan"), float("nan"))
    below_per_bin: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    above_per_bin: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    time_kind: str | None = None
    time_zone: str | None = None
    n_missing: int = 0
    n_empty_partitions: int = 0


@dataclass(frozen=True)
class PartitionBoxes:
    """Box-plot statistics of one feature, one box per partition.

    Attributes
    ----------
    feature : str
    stats : list of dict
        In :meth:`matplotlib.axes.Axes.bxp` form: ``label``, ``q1``, ``med``, ``q3``,
        ``whislo``, ``whishi`` (whiskers at the most extreme values within 1.5 IQR).
        Partitions without a value of the feature have no box (see ``empty_labels``).
    outside_per_box : ndarray of shape (len(stats),)
        Values of each box's partition beyond its whiskers, which the figure does not draw
        but counts.
    time_kind, time_zone : str or None
        As in :class:`DistributionComparison`.
    positions : ndarray of shape (len(stats),) or None
        Place of each box among all partitions (``0..K-1``); None for ``0..len(stats)-1``.
    empty_labels : list
        Labels of the partitions without a value of the feature, which a figure keeps a
        marked place for.
    empty_positions : ndarray of shape (len(empty_labels),)
        Their places among all partitions.
    n_missing, n_values : int
        Missing and non-missing values of the feature, over all partitions.
    """

    feature: str
    stats: list[dict[str, Any]]
    outside_per_box: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    time_kind: str | None = None
    time_zone: str | None = None
    positions: np.ndarray | None = None
    empty_labels: list[Any] = field(default_factory=list)
    empty_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_missing: int = 0
    n_values: int = 0


def binned_violin_samples(
    values: np.ndarray,
    codes: np.ndarray,
    partition_means: np.ndarray,
    feature: str,
    n_bins: int = VIOLIN_BINS,
    max_per_bin: int = VIOLIN_SAMPLES_PER_BIN,
    random_state: int = 0,
) -> BinnedSamples:
    """Cut partitions into equal-width bins of mean rank and sample each bin's values.

    Partitions are sorted by their mean of the feature and ranked ``0..K-1``; partition
    rank ``r`` falls in bin ``r * n_bins // K``, so each bin holds about ``K / n_bins``
    partitions (not equal numbers of rows). Each bin keeps a uniform random sample of at
    most ``max_per_bin`` of its values inside the :func:`robust_window` of the feature,
    which bounds the plotting cost for big data; values outside the window are counted
    per bin (``below_per_bin``, ``above_per_bin``) instead.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
        The feature; NaN is ignored.
    codes : ndarray of shape (n_samples,)
        Partition index of each row, in ``0..K-1``.
    partition_means : ndarray of shape (K,)
        The feature's mean in each partition (NaN for a partition with no value).
    feature : str
    n_bins : int, default=20
        Rank bins; at most K.
    max_per_bin : int, default=2000
    random_state : int, default=0
        Seed of the sampling.

    Returns
    -------
    BinnedSamples
    """
    n_partitions = len(partition_means)
    n_bins = max(1, min(n_bins, n_partitions))
    rank = np.empty(n_partitions, dtype=np.int64)
    rank[np.argsort(partition_means, kind="stable")] = np.arange(n_partitions)  # NaN means sort last
    bin_of_partition = rank * n_bins // n_partitions

    present = ~np.isnan(values)
    low_edge, high_edge = robust_window(values)
    with np.errstate(invalid="ignore"):
        below, above = values < low_edge, values > high_edge
    rows_per_bin = np.bincount(bin_of_partition[codes[present]], minlength=n_bins)
    below_per_bin = np.bincount(bin_of_partition[codes[below]], minlength=n_bins)
    above_per_bin = np.bincount(bin_of_partition[codes[above]], minlength=n_bins)

    rows = np.flatnonzero(present & ~below & ~above)
    rows = rows[np.random.default_rng(random_state).permutation(len(rows))]
    row_bin = bin_of_partition[codes[rows]]
    order = np.argsort(row_bin.astype(np.int16), kind="stable")  # radix sort; keeps the shuffle
    rows, row_bin = rows[order], row_bin[order]
    inside_per_bin = np.bincount(row_bin, minlength=n_bins)
    position_in_bin = np.arange(len(rows)) - np.repeat(np.cumsum(inside_per_bin) - inside_per_bin, inside_per_bin)
    kept = position_in_bin < max_per_bin
    sampled = np.split(values[rows[kept]], np.cumsum(np.minimum(inside_per_bin, max_per_bin))[:-1])

    # Add each bin's extremes so the violin reaches the bin's data range within the window.
    filled = np.flatnonzero(inside_per_bin)
    starts = (np.cumsum(inside_per_bin) - inside_per_bin)[filled]
    sorted_values = values[rows]
    low = dict(zip(filled, np.minimum.reduceat(sorted_values, starts))) if len(filled) else {}
    high = dict(zip(filled, np.maximum.reduceat(sorted_values, starts))) if len(filled) else {}
    samples = [
        np.concatenate((sample, [low[b], high[b]])) if b in low else sample for b, sample in enumerate(sampled)
    ]
    return BinnedSamples(
        feature=feature,
        n_partitions=n_partitions,
        samples=samples,
        partitions_per_bin=np.bincount(bin_of_partition, minlength=n_bins),
        rows_per_bin=rows_per_bin,
        window=(low_edge, high_edge),
        below_per_bin=below_per_bin,
        above_per_bin=above_per_bin,
        n_missing=int(len(values) - present.sum()),
        n_empty_partitions=int(np.sum(np.bincount(codes[present], minlength=n_partitions) == 0)),
    )


def partition_box_stats(
    values: np.ndarray, codes: np.ndarray, partition_ids: np.ndarray, feature: str
) -> PartitionBoxes:
    """Quartiles and 1.5-IQR whiskers of the feature in every partition, in one pass.

    Rows are sorted by (partition, value) once; quantiles are then read off by index
    arithmetic (linear interpolation, as :func:`numpy.quantile`), and whiskers by grouped
    minima and maxima of the values inside the fences.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
        The feature; NaN is ignored.
    codes : ndarray of shape (n_samples,)
        Partition index of each row, in ``0..K-1``.
    partition_ids : ndarray of shape (K,)
        Labels, used as box labels.
    feature : str

    Returns
    -------
    PartitionBoxes
    """
    present = ~np.isnan(values)
    data, group = values[present], codes[present]
    order = np.lexsort((data, group))
    data, group = data[order], group[order]
    counts = np.bincount(group, minlength=len(partition_ids))
    filled = np.flatnonzero(counts)
    starts = (np.cumsum(counts) - counts)[filled]
    sizes = counts[filled]

    def quantile(q: float) -> np.ndarray:
        position = starts + q * (sizes - 1)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, starts + sizes - 1)
        return data[below] + (data[above] - data[below]) * (position - below)

    q1, median, q3 = quantile(0.25), quantile(0.5), quantile(0.75)
    spread = 1.5 * (q3 - q1)
    slot = np.repeat(np.arange(len(filled)), sizes)
    low_fence, high_fence = (q1 - spread)[slot], (q3 + spread)[slot]
    whisker_low = np.minimum.reduceat(np.where(data >= low_fence, data, np.inf), starts)
    whisker_high = np.maximum.reduceat(np.where(data <= high_fence, data, -np.inf), starts)
    stats = [
        {
            "label": partition_ids[k],
            "q1": q1[i],
            "med": median[i],
            "q3": q3[i],
            "whislo": whisker_low[i],
            "whishi": whisker_high[i],
        }
        for i, k in enumerate(filled)  # at most plot_threshold boxes
    ]
    outside = np.add.reduceat(((data < low_fence) | (data > high_fence)).astype(np.int64), starts)
    empty = np.flatnonzero(counts == 0)
    return PartitionBoxes(
        feature=feature,
        stats=stats,
        outside_per_box=outside,
        positions=filled,
        empty_labels=list(np.asarray(partition_ids)[empty]),
        empty_positions=empty,
        n_missing=int(len(values) - len(data)),
        n_values=len(data),
    )


def zero_spread_partitions(count: np.ndarray, minimum: np.ndarray, maximum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The value and the number of values of each partition whose values are all equal.

    Such a partition (one value, or several equal ones) is a point mass: its kernel in a
    reconstruction has no width (see :attr:`DistributionComparison.point_masses`). Equal
    smallest and largest values tell it exactly, where a variance may keep a rounding
    residue.

    Parameters
    ----------
    count, minimum, maximum : ndarray of shape (K,)
        One feature's non-missing values, smallest and largest value per partition.

    Returns
    -------
    values : ndarray of shape (m,)
    counts : ndarray of shape (m,)
    """
    point = (count > 0) & (minimum == maximum)
    return minimum[point].astype(np.float64), count[point].astype(np.int64)
