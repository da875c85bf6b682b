"""Per-(partition, column) reductions in one vectorised pass.

Every consumer of partition labels (metrics, profiler, distribution analyzer, local
models) gets its counts, means, variances, minima and maxima from :func:`grouped_stats`,
so no module writes its own loop over partitions.

The rows are sorted by label once; every statistic is then a ``np.*.reduceat`` over
contiguous runs, which costs O(n log n + n·d) however many partitions there are.
Variances use two passes (mean first, then squared deviations from it) so that data with
a large offset (values around 1e9) keeps its precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GroupedStats:
    """Per-partition statistics of a 2-D float array; NaN values are skipped.

    Row ``k`` of every ``(K, d)`` array describes ``partition_ids[k]``.
    """

    partition_ids: np.ndarray  # (K,) the distinct labels, sorted
    codes: np.ndarray  # (n,) position of each row's label in ``partition_ids``
    sizes: np.ndarray  # (K,) rows per partition, NaN or not
    count: np.ndarray  # (K, d) non-NaN values per partition and column
    mean: np.ndarray  # (K, d) NaN where a partition has no value in a column
    m2: np.ndarray  # (K, d) sum of squared deviations from the partition mean
    minimum: np.ndarray  # (K, d)
    maximum: np.ndarray  # (K, d)

    @property
    def n_partitions(self) -> int:
        return len(self.partition_ids)

    @property
    def variance(self) -> np.ndarray:
        """Population variance (ddof=0); 0 where a partition has at most one value."""
        with np.errstate(invalid="ignore", divide="ignore"):
            var = self.m2 / self.count
        return np.where(self.count > 1, var, 0.0)

    @property
    def span(self) -> np.ndarray:
        """``max - min``; 0 where a partition has at most one value."""
        return np.where(self.count > 1, self.maximum - self.minimum, 0.0)


def grouped_stats(values: np.ndarray, labels: np.ndarray) -> GroupedStats:
    """Count, mean, squared deviations, min and max of every column per label.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns) or (n_samples,)
        Numeric data; NaN marks a missing value.
    labels : ndarray of shape (n_samples,)
        Partition label of each row; any sortable dtype.

    Returns
    -------
    GroupedStats
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    labels = np.asarray(labels)
    if labels.shape[0] != values.shape[0]:
        raise ValueError(
            f"labels has {labels.shape[0]} entries but the data has {values.shape[0]} rows"
        )
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    is_start = np.empty(len(sorted_labels), dtype=bool)
    is_start[:1] = True
    np.not_equal(sorted_labels[1:], sorted_labels[:-1], out=is_start[1:])
    starts = np.flatnonzero(is_start)
    partition_ids = sorted_labels[starts]
    sizes = np.diff(np.append(starts, len(sorted_labels)))
    codes = np.empty(len(labels), dtype=np.int64)
    codes[order] = np.repeat(np.arange(len(starts), dtype=np.int64), sizes)

    sorted_values = values[order]
    present = ~np.isnan(sorted_values)
    count = np.add.reduceat(present, starts, axis=0).astype(np.int64)
    total = np.add.reduceat(np.where(present, sorted_values, 0.0), starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    deviation = sorted_values - np.repeat(mean, sizes, axis=0)
    m2 = np.add.reduceat(np.where(present, deviation * deviation, 0.0), starts, axis=0)
    # fmin/fmax skip NaN unless a partition's column is all NaN.
    minimum = np.fmin.reduceat(sorted_values, starts, axis=0)
    maximum = np.fmax.reduceat(sorted_values, starts, axis=0)
    return GroupedStats(
        partition_ids=partition_ids,
        codes=codes,
        sizes=sizes,
        count=count,
        mean=mean,
        m2=m2,
        minimum=minimum,
        maximum=maximum,
    )
