"""How variance and range are spread across partitions, and how well partitions fit.

Three public entry points, all taking ``(X, labels)`` so that they work for any
partitioning (HVRT, k-means, ...):

- :func:`full_report`: per numeric feature, the distribution over partitions of the
  within-partition variance and span (max - min), with its Herfindahl-Hirschman index.
- :func:`partition_quality`: the figures used to compare partitioners (k-means inertia
  ratio, per-feature R² of partition means, R² of ``y``, partition size statistics).
- :func:`calculate_feature_hhi_metric`: the deprecated one-number summary.

Every per-(partition, feature) statistic comes from one call to
:func:`hvrt._grouped.grouped_stats`; what is left here is O(K·d) array arithmetic plus a
10-bin histogram per feature.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._grouped import GroupedStats, grouped_stats
from ._validation import is_categorical_dtype, numeric_block, to_frame

__all__ = [
    "FeatureReport",
    "FullReport",
    "PartitionQuality",
    "SpanReport",
    "VarianceReport",
    "calculate_feature_hhi_metric",
    "full_report",
    "partition_quality",
]

HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class VarianceReport:
    """How one feature's within-partition variance is spread over the partitions.

    Attributes
    ----------
    is_proportional : bool
        Whether ``distribution`` holds proportions ``v_k / sum(v)`` (True) or the raw
        variances ``v_k`` (False).
    min_variance, max_variance, mean_variance, median_variance : float
        Taken over ``distribution``. With proportions the mean is always ``1/K``.
    hhi : float
        ``sum_k (v_k / sum(v))**2``, always from proportions, in ``[1/K, 1]``; lower
        means the variance is spread more evenly. 0.0 when every ``v_k`` is 0.
    distribution : ndarray of shape (n_partitions,)
        One value per partition, in sorted label order.
    histogram : tuple of (counts, edges)
        ``np.histogram(distribution, bins=10)``; two empty arrays when every ``v_k`` is 0.
    """

    is_proportional: bool
    min_variance: float
    max_variance: float
    mean_variance: float
    median_variance: float
    hhi: float
    distribution: np.ndarray
    histogram: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class SpanReport:
    """How one feature's within-partition span (max - min) is spread over the partitions.

    Attributes
    ----------
    is_proportional : bool
        Whether ``distribution`` holds proportions ``s_k / sum(s)`` (True) or the raw
        spans ``s_k`` (False).
    min_span, max_span, mean_span, median_span : float
        Taken over ``distribution``. With proportions the mean is always ``1/K``.
    hhi : float
        ``sum_k (s_k / sum(s))**2``, always from proportions; lower means more even.
        0.0 when every ``s_k`` is 0.
    distribution : ndarray of shape (n_partitions,)
        One value per partition, in sorted label order.
    histogram : tuple of (counts, edges)
        ``np.histogram(distribution, bins=10)``; two empty arrays when every ``s_k`` is 0.
    """

    is_proportional: bool
    min_span: float
    max_span: float
    mean_span: float
    median_span: float
    hhi: float
    distribution: np.ndarray
    histogram: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class FeatureReport:
    """The variance and span reports of one numeric feature."""

    name: str
    variance_report: VarianceReport | None = None
    span_report: SpanReport | None = None


class FullReport(dict):
    """``dict[str, FeatureReport]`` keyed by column name, in column order.

    A plain dict in every respect, plus :attr:`skipped_columns`: the names of the
    non-numeric columns of ``X`` (object, string, category, bool) that have no report.
    """

    skipped_columns: tuple[str, ...]

    def __init__(self, reports: dict[str, FeatureReport], skipped_columns: tuple[str, ...] = ()):
        super().__init__(reports)
        self.skipped_columns = tuple(skipped_columns)

    def __repr__(self) -> str:
        return f"FullReport({dict.__repr__(self)}, skipped_columns={self.skipped_columns!r})"


@dataclass(frozen=True)
class PartitionQuality:
    """Figures for comparing partitionings of the same data; see :func:`partition_quality`.

    Attributes
    ----------
    n_samples, n_partitions : int
    within_sse_ratio : float
        Sum over z-scored numeric features of the within-partition sum of squared
        deviations, divided by the total sum of squares (k-means' inertia ratio).
        0 is perfect, 1 means the partitions explain nothing. NaN if every feature is
        constant.
    feature_r2 : dict of str to float
        Per numeric feature, ``1 - within SSE / total SSE``: the share of its variance
        explained by the partition means. NaN for a constant feature.
    y_r2 : float or None
        The same R² for ``y``; None when no ``y`` was given.
    min_size, median_size, max_size : float
        Rows per partition.
    size_cv : float
        Coefficient of variation of the sizes (population std / mean).
    n_singletons : int
        Partitions holding exactly one row.
    skipped_columns : tuple of str
        Non-numeric columns of ``X`` left out.
    """

    n_samples: int
    n_partitions: int
    within_sse_ratio: float
    feature_r2: dict[str, float]
    y_r2: float | None
    min_size: float
    median_size: float
    max_size: float
    size_cv: float
    n_singletons: int
    skipped_columns: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values; ``feature_r2`` becomes ``r2_<name>`` entries.

        The flat layout makes one row per partitioner in a comparison table:
        ``pd.DataFrame([q.to_dict() for q in results])``.
        """
        flat: dict[str, Any] = {
            "n_samples": self.n_samples,
            "n_partitions": self.n_partitions,
            "within_sse_ratio": self.within_sse_ratio,
            "y_r2": self.y_r2,
            "min_size": self.min_size,
            "median_size": self.median_size,
            "max_size": self.max_size,
            "size_cv": self.size_cv,
            "n_singletons": self.n_singletons,
        }
        flat.update({f"r2_{name}": value for name, value in self.feature_r2.items()})
        return flat


# --------------------------------------------------------------------------- inputs


def _numeric_data(X: Any) -> tuple[np.ndarray, list[str], tuple[str, ...], pd.Index | None]:
    """``X``'s numeric columns as float64, their names, the skipped names, X's index.

    The index is None for non-pandas input, whose rows are matched by position.
    """
    is_pandas = isinstance(X, pd.DataFrame)
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "fiu" and X.shape[0] > 0 and X.shape[1] > 0:
        # Fast path for the common case: no DataFrame round trip for a plain numeric array.
        values = np.asarray(X, dtype=np.float64)
        # A finite column sum rules out infinities without an n x d temporary.
        if not np.isfinite(values.sum(axis=0)).all() and np.isinf(values).any():
            bad = [f"f{i}" for i in np.flatnonzero(np.isinf(values).any(axis=0))]
            raise ValueError(
                f"X column(s) {bad} contain infinite values; replace them with finite numbers or NaN"
            )
        return values, [f"f{i}" for i in range(values.shape[1])], (), None
    frame, _ = to_frame(X, name="X")
    numeric = [c for c, dtype in frame.dtypes.items() if not is_categorical_dtype(dtype)]
    skipped = tuple(c for c in frame.columns if c not in set(numeric))
    values, _ = numeric_block(frame, numeric, name="X")
    return values, numeric, skipped, (frame.index if is_pandas else None)


def _aligned_1d(values: Any, name: str, n_rows: int, index: pd.Index | None) -> np.ndarray:
    """``labels`` or ``y`` as a 1-D array matched row for row with X."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ValueError(f"{name} must be 1-D, got a DataFrame with {values.shape[1]} columns")
        values = values.iloc[:, 0]
    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D with one entry per row of X, got shape {array.shape}")
    if len(array) != n_rows:
        raise ValueError(f"{name} has {len(array)} entries but X has {n_rows} rows; they must match")
    if isinstance(values, pd.Series) and index is not None and not values.index.equals(index):
        raise ValueError(
            f"{name} is a pandas Series whose index differs from X's index; align them "
            f"(e.g. {name}.reindex(X.index)) or pass {name}.to_numpy() to match rows by position"
        )
    return array


def _labels_array(labels: Any, n_rows: int, index: pd.Index | None) -> np.ndarray:
    """``labels`` as integers whose order is the labels' sorted order.

    Integer labels pass through. Anything else (strings, floats, categoricals) is
    replaced by its codes from a sorted ``pd.factorize``: hashing is O(n), where sorting
    a million Python strings directly takes seconds, and the integer codes then take
    the kernel's radix-sort path.
    """
    array = _aligned_1d(labels, "labels", n_rows, index)
    if array.dtype.kind in "iu":  # integer labels cannot be missing
        return array
    try:
        codes, _ = pd.factorize(array, sort=True)
    except TypeError as err:  # e.g. lists as labels
        raise TypeError(f"labels must hold hashable values such as ints or strings: {err}") from None
    missing = codes < 0
    if missing.any():
        raise ValueError(
            f"labels has {int(missing.sum())} missing value(s) (NaN/None), first at row "
            f"{int(np.flatnonzero(missing)[0])}; every row needs a partition label"
        )
    return codes


def _check_partition_count(n_partitions: int, minimum: int) -> None:
    if n_partitions < minimum:
        raise ValueError(
            f"labels holds {n_partitions} distinct partition(s); at least {minimum} are needed "
            "to compare how statistics spread across partitions"
        )


# --------------------------------------------------------------------------- full_report


def _distribution_summary(per_partition: np.ndarray, proportional: bool) -> list[dict[str, Any]]:
    """For a (K, d) array of non-negative values, each column's report fields."""
    totals = per_partition.sum(axis=0)
    positive = totals > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        proportions = np.where(positive, per_partition / totals, 0.0)
    hhi = np.einsum("kj,kj->j", proportions, proportions)
    # A zero total leaves both choices all-zero, as the definition asks.
    distribution = proportions if proportional else np.where(positive, per_partition, 0.0)
    minimum = distribution.min(axis=0)
    maximum = distribution.max(axis=0)
    mean = distribution.mean(axis=0)
    median = np.median(distribution, axis=0)
    summaries = []
    for j in range(per_partition.shape[1]):
        column = np.ascontiguousarray(distribution[:, j])
        if positive[j]:
            histogram = np.histogram(column, bins=HISTOGRAM_BINS)
        else:
            histogram = (np.array([], dtype=np.int64), np.array([], dtype=np.float64))
        summaries.append(
            {
                "is_proportional": proportional,
                "min": float(minimum[j]),
                "max": float(maximum[j]),
                "mean": float(mean[j]),
                "median": float(median[j]),
                "hhi": float(hhi[j]),
                "distribution": column,
                "histogram": histogram,
            }
        )
    return summaries


def full_report(
    X: Any,
    labels: Any,
    variance_proportions: bool = True,
    span_proportions: bool = True,
) -> FullReport:
    """Per numeric feature, how within-partition variance and span spread over partitions.

    For feature ``f`` and partition ``k``, ``v_k`` is the population variance (ddof=0)
    and ``s_k`` the span (max - min) of ``f``'s non-NaN values in ``k``; both are 0 for
    a partition with at most one value. The HHI is ``sum_k p_k**2`` with
    ``p_k = v_k / sum(v)`` (resp. ``s_k / sum(s)``): it lies in ``[1/K, 1]`` and lower
    means the variance is spread more evenly. A feature whose total is 0 (e.g. a
    constant) gets hhi 0.0, an all-zero distribution and an empty histogram.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        The data. Arrays get the column names ``f0, f1, ...`` as in
        :class:`~hvrt.HVRTPartitioner`. Non-numeric columns (object, string, category,
        bool) are skipped and listed in the result's ``skipped_columns``.
    labels : array-like or Series of shape (n_samples,)
        Partition label of each row (ints, strings, ...). A Series must have the same
        index as a DataFrame ``X``; otherwise rows are matched by position.
    variance_proportions : bool, default=True
        ``distribution`` (and min/max/mean/median) of the variance report holds
        proportions ``v_k / sum(v)`` if True, raw variances if False.
    span_proportions : bool, default=True
        The same for the span report.

    Returns
    -------
    FullReport
        A ``dict`` subclass mapping each numeric column name to its
        :class:`FeatureReport`, with the attribute ``skipped_columns`` (tuple of the
        non-numeric column names that have no entry).

    Raises
    ------
    ValueError
        If ``labels`` holds fewer than 2 distinct partitions, has missing values, is not
        1-D, has a different length from ``X``, or is a Series whose index differs from
        a DataFrame ``X``'s; if a numeric column holds infinite values.
    TypeError
        If ``labels`` holds unhashable values.

    Examples
    --------
    >>> import numpy as np
    >>> from hvrt import full_report
    >>> X = np.array([[1, 10], [2, 20], [10, 1], [20, 2]])
    >>> report = full_report(X, labels=[0, 0, 1, 1])
    >>> round(report["f0"].variance_report.hhi, 4)
    0.9804
    >>> report["f0"].variance_report.distribution.round(4).tolist()
    [0.0099, 0.9901]
    >>> full_report(X, [0, 0, 1, 1], span_proportions=False)["f0"].span_report.max_span
    10.0
    >>> report.skipped_columns
    ()
    """
    values, names, skipped, index = _numeric_data(X)
    label_array = _labels_array(labels, values.shape[0], index)
    stats = grouped_stats(values, label_array)
    _check_partition_count(stats.n_partitions, 2)

    variance_fields = _distribution_summary(stats.variance, bool(variance_proportions))
    span_fields = _distribution_summary(stats.span, bool(span_proportions))
    reports = {}
    for name, var, span in zip(names, variance_fields, span_fields):
        reports[name] = FeatureReport(
            name=name,
            variance_report=VarianceReport(
                is_proportional=var["is_proportional"],
                min_variance=var["min"],
                max_variance=var["max"],
                mean_variance=var["mean"],
                median_variance=var["median"],
                hhi=var["hhi"],
                distribution=var["distribution"],
                histogram=var["histogram"],
            ),
            span_report=SpanReport(
                is_proportional=span["is_proportional"],
                min_span=span["min"],
                max_span=span["max"],
                mean_span=span["mean"],
                median_span=span["median"],
                hhi=span["hhi"],
                distribution=span["distribution"],
                histogram=span["histogram"],
            ),
        )
    return FullReport(reports, skipped)


def calculate_feature_hhi_metric(X: Any, labels: Any) -> float:
    """Mean over numeric features of the variance HHI. Deprecated: use :func:`full_report`.

    Equal to ``np.mean([r.variance_report.hhi for r in full_report(X, labels).values()])``,
    so a constant feature counts as 0.0 (the 0.1.x function counted it as ``1/K``, and
    returned 1.0 rather than raising for fewer than 2 partitions).

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
    labels : array-like or Series of shape (n_samples,)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As :func:`full_report`, and if ``X`` has no numeric column.

    Warns
    -----
    DeprecationWarning
        On every call.

    Examples
    --------
    >>> import warnings
    >>> from hvrt import calculate_feature_hhi_metric
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     value = calculate_feature_hhi_metric([[1, 10], [2, 20], [10, 1], [20, 2]], [0, 0, 1, 1])
    >>> round(value, 4)
    0.9804
    """
    warnings.warn(
        "calculate_feature_hhi_metric is deprecated and will be removed in a future release; "
        "use hvrt.full_report(X, labels) and average report[name].variance_report.hhi",
        DeprecationWarning,
        stacklevel=2,
    )
    report = full_report(X, labels)
    if not report:
        raise ValueError(f"X has no numeric column to measure; skipped columns: {list(report.skipped_columns)}")
    return float(np.mean([feature.variance_report.hhi for feature in report.values()]))


# --------------------------------------------------------------------------- partition_quality


def _target_values(y: Any, n_rows: int, index: pd.Index | None) -> np.ndarray:
    """``y`` as float64 with NaN for missing values (nullable pandas dtypes included)."""
    y_array = _aligned_1d(y, "y", n_rows, index)
    if y_array.dtype.kind not in "fiub":
        if y_array.dtype.kind == "O":
            y_array = np.where(pd.isna(y_array), np.nan, y_array)
        try:
            y_array = y_array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"y must be numeric, got dtype {y_array.dtype}") from None
    y_values = y_array.astype(np.float64)
    if np.isinf(y_values).any():
        raise ValueError("y contains infinite values; replace them with finite numbers or NaN")
    return y_values


def _centred(values: np.ndarray, y_values: np.ndarray | None) -> np.ndarray:
    """``values`` (and ``y_values`` as a last column) minus each column's mean.

    The between-partition sum of squares is built from partition means; for data with a
    large offset (around 1e9) those means carry an absolute rounding error of the
    offset's ulp, which is first-order in the between term. Centred data has small
    means with full relative precision; the subtraction itself is exact for values
    close to the centre. X and y share one output array so that one grouped pass serves
    both without a further copy.
    """
    n_rows, n_features = values.shape
    centred = np.empty((n_rows, n_features + (y_values is not None)))
    centred[:, :n_features] = values
    if y_values is not None:
        centred[:, n_features] = y_values
    column_sums = centred.sum(axis=0)
    if np.isfinite(column_sums).all():  # no NaN: skip nanmean's masked copy
        centre = column_sums / n_rows
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column
            centre = np.nan_to_num(np.nanmean(centred, axis=0))
    centred -= centre
    return centred


def _explained_share(stats: GroupedStats) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: within SSE, total SSE and non-NaN count, from the grouped statistics.

    The total is split exactly as within + between (the law of total variance), so no
    second pass over the data is needed. Pass centred data (see :func:`_centred`) so
    that the between part is accurate for large-offset data.
    """
    count = stats.count
    n_values = count.sum(axis=0)
    has_values = count > 0
    weighted_means = np.where(has_values, stats.mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        grand_mean = (count * weighted_means).sum(axis=0) / n_values
    between = (count * np.where(has_values, stats.mean - grand_mean, 0.0) ** 2).sum(axis=0)
    within = np.where(has_values, stats.m2, 0.0).sum(axis=0)
    return within, within + between, n_values


def partition_quality(X: Any, labels: Any, y: Any = None) -> PartitionQuality:
    """How well a partitioning summarises ``X`` (and ``y``); for comparing partitioners.

    All figures come from one grouped pass over the numeric columns of ``X`` (and ``y``).

    - ``within_sse_ratio``: after z-scoring each numeric feature (population std, NaN
      skipped), the summed within-partition squared deviations over the total sum of
      squares; k-means' inertia divided by the inertia of one cluster. Since z-scoring
      makes a feature's total SSE its count of values, this is the count-weighted mean
      of ``1 - feature_r2`` over non-constant features.
    - ``feature_r2[name]``: ``1 - within SSE / total SSE`` of that feature.
    - ``y_r2``: the same for ``y``.
    - size statistics of the partitions.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Non-numeric columns are skipped (listed in ``skipped_columns``).
    labels : array-like or Series of shape (n_samples,)
        Partition label of each row; a Series must share a DataFrame ``X``'s index.
        One partition is allowed (every R² is then 0).
    y : array-like or Series of shape (n_samples,), default=None
        Numeric target; NaN values are skipped. A Series must share a DataFrame ``X``'s
        index.

    Returns
    -------
    PartitionQuality
        Use ``.to_dict()`` for a flat dict of plain values.

    Raises
    ------
    ValueError
        If ``X`` has no numeric column, if ``labels`` or ``y`` is misaligned with ``X``
        (length, or Series index), if ``labels`` has missing values, or if ``y`` is not
        numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from hvrt import partition_quality
    >>> X = np.array([[0.0], [0.2], [10.0], [10.2]])
    >>> quality = partition_quality(X, labels=[0, 0, 1, 1], y=[1.0, 1.0, 5.0, 5.0])
    >>> round(quality.within_sse_ratio, 6), quality.y_r2
    (0.0004, 1.0)
    >>> quality.to_dict()["max_size"]
    2.0
    """
    values, names, skipped, index = _numeric_data(X)
    if not names:
        raise ValueError(f"X has no numeric column to measure; skipped columns: {list(skipped)}")
    label_array = _labels_array(labels, values.shape[0], index)
    if y is not None:
        y_values = _target_values(y, values.shape[0], index)
    else:
        y_values = None
    stats = grouped_stats(_centred(values, y_values), label_array)
    _check_partition_count(stats.n_partitions, 1)

    within, total, n_values = _explained_share(stats)
    varying = total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(varying, 1.0 - within / total, np.nan)
    n_features = len(names)
    feature_varying = varying[:n_features]
    # z-scored totals are the counts; z-scored within SSE is count * within / total.
    weights = np.where(feature_varying, n_values[:n_features], 0)
    weight_sum = weights.sum()
    within_ratio = (
        float((weights * np.where(feature_varying, 1.0 - r2[:n_features], 0.0)).sum() / weight_sum)
        if weight_sum > 0
        else float("nan")
    )

    sizes = stats.sizes.astype(np.float64)
    return PartitionQuality(
        n_samples=int(values.shape[0]),
        n_partitions=int(stats.n_partitions),
        within_sse_ratio=within_ratio,
        feature_r2={name: float(value) for name, value in zip(names, r2[:n_features])},
        y_r2=None if y is None else float(r2[n_features]),
        min_size=float(sizes.min()),
        median_size=float(np.median(sizes)),
        max_size=float(sizes.max()),
        size_cv=float(sizes.std() / sizes.mean()),
        n_singletons=int(np.count_nonzero(stats.sizes == 1)),
        skipped_columns=skipped,
    )
