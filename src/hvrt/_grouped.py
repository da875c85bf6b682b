"""Per-(partition, column) reductions in one vectorised pass.

Every consumer of partition labels (metrics, profiler, distribution analyzer, local
models) gets its counts, means, variances, minima and maxima from :func:`grouped_stats`,
so no module writes its own loop over partitions.

The rows are sorted by label once (a radix sort for integer labels spanning fewer than
65536 values, such as the partitioner's ``0..K-1``); every statistic is then a
``np.*.reduceat`` over contiguous runs, which costs O(n log n + n·d), or O(n·d) with the
radix sort, however many partitions there are.
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


# Integer labels spanning fewer values than this are sorted as uint16, for which numpy's
# stable argsort is a radix sort: about 6x faster than a comparison sort at 1M rows.
_RADIX_SPAN = 1 << 16


def _label_order(labels: np.ndarray) -> np.ndarray:
    """A stable permutation that sorts ``labels``."""
    if labels.dtype.kind in "iu" and len(labels) > 0:
        low = labels.min()
        span = int(labels.max()) - int(low)
        if span < _RADIX_SPAN:
            # Subtract in the labels' own dtype: the difference fits in [0, span].
            shifted = (labels - low).astype(np.uint16)
            return np.argsort(shifted, kind="stable")
    return np.argsort(labels, kind="stable")


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
        With zero partitions when there are zero rows.

    Raises
    ------
    ValueError
        If ``labels`` and ``values`` have different numbers of rows.

    Examples
    --------
    >>> import numpy as np
    >>> stats = grouped_stats(np.array([[1.0], [3.0], [10.0]]), np.array([7, 7, 2]))
    >>> stats.partition_ids.tolist(), stats.sizes.tolist()
    ([2, 7], [1, 2])
    >>> stats.mean.ravel().tolist(), stats.variance.ravel().tolist()
    ([10.0, 2.0], [0.0, 1.0])
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if labels.shape[0] != values.shape[0]:
        raise ValueError(
            f"labels has {labels.shape[0]} entries but the data has {values.shape[0]} rows"
        )
    n_rows, n_columns = values.shape
    if n_rows == 0:
        empty = np.empty((0, n_columns))
        return GroupedStats(
            partition_ids=labels[:0],
            codes=np.empty(0, dtype=np.int64),
            sizes=np.empty(0, dtype=np.int64),
            count=np.empty((0, n_columns), dtype=np.int64),
            mean=empty,
            m2=empty.copy(),
            minimum=empty.copy(),
            maximum=empty.copy(),
        )
    order = _label_order(labels)
    sorted_labels = labels[order]
    is_start = np.empty(n_rows, dtype=bool)
    is_start[0] = True
    np.not_equal(sorted_labels[1:], sorted_labels[:-1], out=is_start[1:])
    starts = np.flatnonzero(is_start)
    partition_ids = sorted_labels[starts]
    sizes = np.diff(np.append(starts, n_rows))
    codes = np.empty(n_rows, dtype=np.int64)
    codes[order] = np.repeat(np.arange(len(starts), dtype=np.int64), sizes)

    # np.take is about twice as fast as fancy indexing for a row gather.
    sorted_values = np.take(values, order, axis=0)
    missing = np.isnan(sorted_values)
    has_missing = bool(missing.any())
    if has_missing:
        count = np.add.reduceat(~missing, starts, axis=0).astype(np.int64)
        total = np.add.reduceat(np.where(missing, 0.0, sorted_values), starts, axis=0)
    else:
        # Skip the masked temporaries in the common NaN-free case.
        count = np.repeat(sizes[:, None], n_columns, axis=1).astype(np.int64)
        total = np.add.reduceat(sorted_values, starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    # Second pass: squared deviations from each partition's own mean (exact for data
    # with a large offset, unlike sum-of-squares minus squared sum).
    deviation = np.repeat(mean, sizes, axis=0)
    np.subtract(sorted_values, deviation, out=deviation)
    np.multiply(deviation, deviation, out=deviation)
    if has_missing:
        deviation[missing] = 0.0
    m2 = np.add.reduceat(deviation, starts, axis=0)
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
