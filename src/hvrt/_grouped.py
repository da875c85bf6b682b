"""Per-(partition, column) reductions in one vectorised pass.

Every consumer of partition labels (metrics, profiler, distribution analyzer, local
models) gets its counts, means, variances, minima and maxima from :func:`grouped_stats`,
so no module writes its own loop over partitions.

The rows are sorted by label once (a radix sort for integer labels spanning fewer than
65536 values, such as the partitioner's ``0..K-1``); every statistic is then a
``np.*.reduceat`` over contiguous runs of a sorted (columns, rows) copy of the data, which
costs O(n log n + n·d), or O(n·d) with the radix sort, however many partitions there are
(about 0.1 s for 1M rows x 10 columns x 4096 partitions; see ``benchmarks/metrics.py``).
Variances use two passes (mean first, then squared deviations from it) so that data with
a large offset keeps its precision, in the corrected form: the second pass also sums the
deviations, whose mean is the rounding of the first pass's mean (a partition's values summed
one after another: a few ulps of it, 0.016 each at 1e14), taken out of the squared
deviations and added to the mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, repr=False)
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

    def __repr__(self) -> str:
        return (
            f"GroupedStats({len(self.codes):,} rows x {self.count.shape[1]} columns in "
            f"{self.n_partitions:,} partitions, sizes {self.sizes.min(initial=0)} to {self.sizes.max(initial=0)})"
        )

    def to_pandas(self, columns: list[str] | None = None) -> pd.DataFrame:
        """One row per partition: its size and each column's count, mean, variance, min, max.

        Parameters
        ----------
        columns : list of str, optional
            Names of the grouped columns (``0, 1, ...`` by default).

        Returns
        -------
        DataFrame
            Indexed by partition id; columns are a MultiIndex (column name, statistic),
            after a first ``("", "size")`` column.
        """
        names = list(range(self.count.shape[1])) if columns is None else list(columns)
        if len(names) != self.count.shape[1]:
            raise ValueError(f"columns has {len(names)} names for {self.count.shape[1]} grouped columns")
        index = pd.Index(self.partition_ids, name="partition")
        blocks = {("", "size"): self.sizes}
        for j, name in enumerate(names):
            for statistic, values in (
                ("count", self.count), ("mean", self.mean), ("variance", self.variance),
                ("min", self.minimum), ("max", self.maximum),
            ):  # fmt: skip
                blocks[(name, statistic)] = values[:, j]
        return pd.DataFrame(blocks, index=index)


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


# Rows gathered per block when sorting and transposing C-ordered values: a block of
# 32k rows x 10 columns (2.5 MB) stays in cache while it is transposed.
_GATHER_BLOCK_ROWS = 1 << 15


def _sorted_transposed(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``values[order].T`` as a new C-contiguous (columns, rows) array.

    Gathering whole rows of a C-ordered array touches one cache line per row, and
    transposing block by block keeps each block in cache: about 40 ms at 1M x 10, where
    the gather followed by one big transpose takes 70 ms and gathering column by
    column 90 ms.
    """
    values = np.ascontiguousarray(values)  # F-ordered input (e.g. from a DataFrame)
    n_rows, n_columns = values.shape
    out = np.empty((n_columns, n_rows))
    for start in range(0, n_rows, _GATHER_BLOCK_ROWS):
        block_order = order[start : start + _GATHER_BLOCK_ROWS]
        out[:, start : start + len(block_order)] = np.take(values, block_order, axis=0).T
    return out


def grouped_stats(values: np.ndarray, labels: np.ndarray) -> GroupedStats:
    """Count, mean, squared deviations, min and max of every column per label.

    Means and squared deviations are exact to float rounding whatever the values' offset:
    the same rows less a constant give the same variances (to about 1e-12), and a
    partition whose values in a column are all equal has squared deviations 0 and that
    value for its mean.

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
    return grouped_with_residuals(values, labels)[0]


def grouped_with_residuals(values: np.ndarray, labels: np.ndarray) -> tuple[GroupedStats, np.ndarray]:
    """:func:`grouped_stats` and the residual of each (partition, column) mean.

    A partition's mean is ``mean + residual`` to well below an ulp of it: ``mean`` is
    rounded to its ulp (0.016 at 1e14), which a merge across chunks of rows (Chan's term
    ``count * (chunk mean - mean)**2``, the Dask analysis) would read as a spread between
    them; the residual lets it subtract means at full precision. 0 where a partition has
    no value in a column.

    Raises
    ------
    ValueError
        As :func:`grouped_stats`.
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
        ), empty.copy()
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

    # Every reduction runs over a (columns, rows) array: reduceat along a contiguous
    # axis is about 10x faster than along axis 0 of a (rows, columns) array.
    sorted_columns = _sorted_transposed(values, order)
    # fmin/fmax skip NaN unless a partition's column is all NaN.
    minimum = np.fmin.reduceat(sorted_columns, starts, axis=1)
    maximum = np.fmax.reduceat(sorted_columns, starts, axis=1)
    missing = np.isnan(sorted_columns)
    has_missing = bool(missing.any())
    if has_missing:
        count = np.add.reduceat(~missing, starts, axis=1).astype(np.int64)
        sorted_columns[missing] = 0.0  # our private copy; NaN now adds nothing
    else:
        count = np.broadcast_to(sizes, (n_columns, len(sizes))).astype(np.int64)
    total = np.add.reduceat(sorted_columns, starts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    # Second pass: squared deviations from each partition's own mean (exact for data
    # with a large offset, unlike sum-of-squares minus squared sum), and the deviations'
    # sums: their mean is the rounding of the first pass's mean, whose square would stay
    # in every squared deviation (count * rounding**2: 2e-6 of a 1e14 + N(0, 10) column's
    # variance at 2000 rows a partition, 1e-3 of its R²). One column at a time keeps the
    # temporaries at n values instead of n x d.
    m2 = np.empty_like(mean)
    shift = np.empty_like(mean)
    deviation = np.empty(n_rows)
    for column in range(n_columns):
        np.subtract(sorted_columns[column], np.repeat(mean[column], sizes), out=deviation)
        if has_missing:
            deviation[missing[column]] = 0.0
        shift[column] = np.add.reduceat(deviation, starts)
        np.multiply(deviation, deviation, out=deviation)
        m2[column] = np.add.reduceat(deviation, starts)
    present = count > 0
    residual = np.where(present, shift / np.maximum(count, 1), 0.0)
    # the corrected two-pass form; a partition's equal values have none to correct (the
    # correction is itself rounded, a few 1e-16 of the squared deviations)
    m2 = np.where(present & (maximum > minimum), np.maximum(m2 - shift * residual, 0.0), 0.0)
    # the mean to its nearest value, and what is left of the residual beyond it
    corrected = np.where(present, mean + residual, mean)
    residual = np.where(present, residual - (corrected - mean), 0.0)
    count, corrected, m2, minimum, maximum, residual = (
        np.ascontiguousarray(a.T) for a in (count, corrected, m2, minimum, maximum, residual)
    )
    stats = GroupedStats(
        partition_ids=partition_ids,
        codes=codes,
        sizes=sizes,
        count=count,
        mean=corrected,
        m2=m2,
        minimum=minimum,
        maximum=maximum,
    )
    return stats, residual


def stats_for(
    values: np.ndarray,
    labels: np.ndarray,
    stats: GroupedStats | None = None,
    names: list[str] | None = None,
) -> GroupedStats:
    """``stats`` when a caller already grouped ``values`` by ``labels``, else a new grouping.

    Lets several reports share one grouping. A given ``stats`` is not recomputed but
    checked, in O(n·d) and without grouping again: its rows and columns must match
    ``values``; its partitions must be those of ``labels`` (each of its partitions holds
    one label, a different one each: the labels may be renamed, as codes are); and each
    column's smallest and largest values, its number of present (non-NaN) values and their
    sum (to rounding) must be those of ``values``' column, which a grouping of other columns
    or of the columns in another order fails (two 0/1 flags swapped differ in their sums).

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns)
    labels : ndarray of shape (n_samples,)
        Numeric partition labels (or their codes).
    stats : GroupedStats, optional
    names : list of str, optional
        The columns' names, for the error message.

    Raises
    ------
    TypeError
        If ``stats`` is not a :class:`GroupedStats`.
    ValueError
        If ``stats`` describes another number of rows or columns, other partitions than
        ``labels``', or other columns (the message names the first that differs).
    """
    if stats is None:
        return grouped_stats(values, labels)
    if not isinstance(stats, GroupedStats):
        raise TypeError(f"stats must be a GroupedStats from hvrt.grouped_stats, got {type(stats).__name__}")
    n_rows, n_columns = values.shape[0], (values.shape[1] if values.ndim == 2 else 1)
    if stats.codes.shape[0] != n_rows or stats.count.shape[1] != n_columns:
        raise ValueError(
            f"stats describe {stats.codes.shape[0]} rows x {stats.count.shape[1]} columns, but X has "
            f"{n_rows} rows and {n_columns} numeric columns; group X's numeric columns by the same labels"
        )
    _check_same_partitions(stats, np.asarray(labels))
    _check_same_columns(stats, values.reshape(n_rows, n_columns), names)
    return stats


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds, for a readable message."""
    return value.item() if isinstance(value, np.generic) else value


def partition_labels(stats: GroupedStats, labels: np.ndarray) -> np.ndarray:
    """The label in ``labels`` of each of ``stats``' partitions, read at its first row.

    ``stats.partition_ids`` when ``stats`` was grouped by ``labels`` themselves; the labels'
    own values when it was grouped by the same partition under other names (codes,
    strings). O(n), no sort.
    """
    label_of = np.empty(stats.n_partitions, dtype=labels.dtype)
    label_of[stats.codes[::-1]] = labels[::-1]  # reversed writes: a partition's first row lands last
    return label_of


def _check_same_partitions(stats: GroupedStats, labels: np.ndarray) -> None:
    """Refuse ``stats`` whose partitions are not those of ``labels`` (O(n), no sort)."""
    if len(labels) == 0:
        return
    # Every row must carry its partition's label, and no two partitions may share one.
    label_of = partition_labels(stats, labels)
    differs = np.flatnonzero(label_of[stats.codes] != labels)
    if len(differs):
        row = int(differs[0])
        raise ValueError(
            f"stats were grouped by other labels than the labels given: row {row} is in stats' partition "
            f"{_plain(stats.partition_ids[stats.codes[row]])!r} with rows labelled "
            f"{_plain(label_of[stats.codes[row]])!r}, but its label is {_plain(labels[row])!r} "
            f"({len(differs):,} {'row differs' if len(differs) == 1 else 'rows differ'}); pass "
            "stats=hvrt.grouped_stats(X's numeric columns, labels) of these labels"
        )
    n_distinct = len(np.unique(label_of))
    if n_distinct != stats.n_partitions:
        raise ValueError(
            f"stats were grouped by other labels than the labels given: stats hold {stats.n_partitions} "
            f"partitions, which the labels merge into {n_distinct}; pass "
            "stats=hvrt.grouped_stats(X's numeric columns, labels) of these labels"
        )


# Rows folded into one when reducing a C-ordered array down its columns (see _column_extremes).
_FOLD_ROWS = 64


def _column_extremes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's smallest and largest value, NaN skipped (NaN for an all-NaN column).

    Down the rows of a C-ordered (n, 10) array numpy's reduction runs 10-wide inner loops:
    23 ms each for min and max at 1M rows. Viewed as (n / 64, 64 * 10) the inner loops are
    640 wide, 3 ms each; the 64 partial results are then reduced.
    """
    n_rows, n_columns = values.shape
    if values.flags.c_contiguous and n_rows >= 2 * _FOLD_ROWS:
        whole = n_rows // _FOLD_ROWS * _FOLD_ROWS
        folded = values[:whole].reshape(-1, _FOLD_ROWS * n_columns)
        low = np.vstack((np.fmin.reduce(folded, axis=0).reshape(_FOLD_ROWS, n_columns), values[whole:]))
        high = np.vstack((np.fmax.reduce(folded, axis=0).reshape(_FOLD_ROWS, n_columns), values[whole:]))
        return np.fmin.reduce(low, axis=0), np.fmax.reduce(high, axis=0)
    return np.fmin.reduce(values, axis=0), np.fmax.reduce(values, axis=0)


def _column_totals(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's number of non-NaN values and their sum (0 for an all-NaN column).

    One pass, folded as in :func:`_column_extremes`; only a column whose plain sum is not
    finite (it holds NaN) is read again, to skip its NaN.
    """
    n_rows, n_columns = values.shape
    if values.flags.c_contiguous and n_rows >= 2 * _FOLD_ROWS:
        whole = n_rows // _FOLD_ROWS * _FOLD_ROWS
        folded = np.add.reduce(values[:whole].reshape(-1, _FOLD_ROWS * n_columns), axis=0)
        total = np.add.reduce(np.vstack((folded.reshape(_FOLD_ROWS, n_columns), values[whole:])), axis=0)
    else:
        total = np.add.reduce(values, axis=0)
    count = np.full(n_columns, n_rows, dtype=np.int64)
    for j in np.flatnonzero(~np.isfinite(total)):  # columns with NaN (or infinities) only
        column = values[:, j]
        present = ~np.isnan(column)
        count[j] = np.count_nonzero(present)
        total[j] = np.add.reduce(column[present])
    return count, total


# Rounding allowed between two sums of a column's values, in units of eps x (values summed
# one after another) x (the sum of their magnitudes): each side sums at most n + K terms
# in sequence (rows within partitions, then partitions; or rows within folded lanes).
_SUM_ROUNDING = 8.0


def _check_same_columns(stats: GroupedStats, values: np.ndarray, names: list[str] | None) -> None:
    """Refuse ``stats`` of other columns (O(n·d)).

    Each column's extremes, count of present values and sum must be ``values``'; the sum
    to rounding, ``8 eps (n + K) n max|x|``, far above what summing in another order
    moves it and far below what a column of other values (a swapped 0/1 flag) does.
    """
    if values.shape[0] == 0 or values.shape[1] == 0:
        return
    lowest, highest = _column_extremes(values)
    stats_lowest = np.fmin.reduce(stats.minimum, axis=0)
    stats_highest = np.fmax.reduce(stats.maximum, axis=0)

    def same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a == b) | (np.isnan(a) & np.isnan(b))

    name_of = (lambda j: repr(names[j])) if names is not None else str
    differs = np.flatnonzero(~(same(lowest, stats_lowest) & same(highest, stats_highest)))
    if len(differs):
        j = int(differs[0])
        raise ValueError(
            f"stats describe other columns than X's numeric columns: column {name_of(j)} (position {j}) "
            f"spans [{lowest[j]:.6g}, {highest[j]:.6g}] in X but [{stats_lowest[j]:.6g}, "
            f"{stats_highest[j]:.6g}] in stats; group X's numeric columns, in X's order"
        )
    count, total = _column_totals(values)
    stats_count = stats.count.sum(axis=0)
    stats_total = np.where(stats.count > 0, stats.mean * stats.count, 0.0).sum(axis=0)
    magnitude = np.nan_to_num(np.fmax(np.abs(lowest), np.abs(highest)))  # 0 for an all-NaN column
    n_terms = values.shape[0] + stats.n_partitions
    tolerance = _SUM_ROUNDING * np.finfo(np.float64).eps * n_terms * count * magnitude
    with np.errstate(invalid="ignore"):
        close = np.abs(total - stats_total) <= tolerance
    differs = np.flatnonzero((count != stats_count) | ~(close | same(total, stats_total)))
    if len(differs):
        j = int(differs[0])
        raise ValueError(
            f"stats describe other columns than X's numeric columns: column {name_of(j)} (position {j}) "
            f"holds {count[j]:,} values summing to {total[j]:.9g} in X but {int(stats_count[j]):,} summing "
            f"to {stats_total[j]:.9g} in stats; group X's numeric columns, in X's order"
        )


def merge_grouped(parts: list[GroupedStats]) -> GroupedStats:
    """One grouping from the groupings of several chunks of rows (Dask's partitions).

    Partitions are matched by their ids. Counts and sizes add; means and squared
    deviations merge with the parallel formula of Chan et al., ``M2 = sum_c M2_c +
    sum_c n_c (mean_c - mean)**2``, which only ever subtracts means (no loss of precision
    to a large offset, unlike sums of squares); minima and maxima merge as minima and
    maxima. The merged grouping has no per-row ``codes`` (an empty array): the rows stayed
    in their chunks.

    Parameters
    ----------
    parts : list of GroupedStats
        Groupings of the same columns; at least one.

    Returns
    -------
    GroupedStats
        With ``partition_ids`` the sorted union of the parts' ids.

    Raises
    ------
    ValueError
        If ``parts`` is empty or the parts group different numbers of columns.

    Examples
    --------
    >>> import numpy as np
    >>> a = grouped_stats(np.array([1.0, 3.0]), np.array([0, 1]))
    >>> b = grouped_stats(np.array([5.0, 7.0]), np.array([1, 1]))
    >>> merged = merge_grouped([a, b])
    >>> merged.sizes.tolist(), merged.mean.ravel().tolist(), merged.variance.ravel().tolist()
    ([1, 3], [1.0, 5.0], [0.0, 2.6666666666666665])
    """
    if not parts:
        raise ValueError("merge_grouped needs at least one grouping")
    widths = {part.count.shape[1] for part in parts}
    if len(widths) != 1:
        raise ValueError(f"the groupings hold different numbers of columns: {sorted(widths)}")
    ids = np.concatenate([part.partition_ids for part in parts])
    partition_ids, slot = np.unique(ids, return_inverse=True)
    n_groups, n_columns = len(partition_ids), widths.pop()
    count_parts = np.concatenate([part.count for part in parts])
    mean_parts = np.concatenate([part.mean for part in parts])
    sizes = np.bincount(slot, weights=np.concatenate([part.sizes for part in parts]), minlength=n_groups)
    count = np.zeros((n_groups, n_columns))
    np.add.at(count, slot, count_parts)
    weighted = np.where(count_parts > 0, mean_parts * count_parts, 0.0)
    total = np.zeros((n_groups, n_columns))
    np.add.at(total, slot, weighted)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count  # NaN where a partition has no value in a column, as grouped_stats
    shift = np.where(count_parts > 0, count_parts * (mean_parts - mean[slot]) ** 2, 0.0)
    m2 = np.zeros((n_groups, n_columns))
    np.add.at(m2, slot, np.where(count_parts > 0, np.concatenate([part.m2 for part in parts]), 0.0) + shift)
    minimum = np.full((n_groups, n_columns), np.nan)
    maximum = np.full((n_groups, n_columns), np.nan)
    np.fmin.at(minimum, slot, np.concatenate([part.minimum for part in parts]))
    np.fmax.at(maximum, slot, np.concatenate([part.maximum for part in parts]))
    return GroupedStats(
        partition_ids=partition_ids,
        codes=np.empty(0, dtype=np.int64),
        sizes=sizes.astype(np.int64),
        count=count.astype(np.int64),
        mean=mean,
        m2=m2,
        minimum=minimum,
        maximum=maximum,
    )
