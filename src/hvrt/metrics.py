"""How variance and range are spread across partitions, and how well partitions fit.

Three public entry points, all taking ``(X, labels)`` so that they work for any
partitioning (HVRT, k-means, ...):

- :func:`full_report`: per numeric feature, the distribution over partitions of the
  within-partition variance and span (max - min), with its Herfindahl-Hirschman index;
  per categorical column, how its categories concentrate in partitions
  (:class:`CategoricalReport`: per-partition category shares, Cramér's V, R²).
- :func:`partition_quality`: the figures used to compare partitioners (k-means inertia
  ratio, per-feature R² of partition means, R² of ``y``, partition size statistics).
- :func:`calculate_feature_hhi_metric`: the deprecated one-number summary.

Every per-(partition, feature) statistic comes from one call to
:func:`hvrt._grouped.grouped_stats`; what is left here is O(K·d) array arithmetic plus a
10-bin histogram per feature.
"""

from __future__ import annotations

import collections
import math
import warnings
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._grouped import GroupedStats, partition_labels, stats_for
from ._grouped import grouped_stats as _grouped_stats
from ._validation import _missing_labels, aligned_1d, check_partitioned, has_missing_values

__all__ = [
    "CategoricalReport",
    "FeatureReport",
    "FullReport",
    "PartitionQuality",
    "SpanReport",
    "VarianceReport",
    "calculate_feature_hhi_metric",
    "full_report",
    "grouped_stats",
    "partition_quality",
]


def grouped_stats(values: np.ndarray, labels: np.ndarray) -> GroupedStats:
    """Count, mean, squared deviations, min and max of every column per label.

    The public face of the one reduction every analysis tool shares
    (:func:`hvrt._grouped.grouped_stats`), with its labels checked: a NaN label is refused,
    where the grouping would give each such row a partition of its own (NaN equals nothing).

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns) or (n_samples,)
        Numeric data; NaN marks a missing value.
    labels : ndarray of shape (n_samples,)
        Partition label of each row; any sortable dtype, never NaN.

    Returns
    -------
    GroupedStats
        With zero partitions when there are zero rows.

    Raises
    ------
    ValueError
        If ``labels`` holds NaN (A3), or ``labels`` and ``values`` have different numbers
        of rows (A15).

    Examples
    --------
    >>> import numpy as np
    >>> stats = grouped_stats(np.array([[1.0], [3.0], [10.0]]), np.array([7.0, 7.0, 2.0]))
    >>> stats.partition_ids.tolist(), stats.sizes.tolist()
    ([2.0, 7.0], [1, 2])
    """
    array = np.asarray(labels)
    if array.dtype.kind in "fc":  # only float labels can be NaN here: one vectorised pass
        missing = np.isnan(array)
        if missing.ndim == 1 and missing.any():
            raise _missing_labels(missing, "labels")
    return _grouped_stats(values, labels)

HISTOGRAM_BINS = 10


def _distribution_series(distribution: np.ndarray, name: str) -> pd.Series:
    return pd.Series(distribution, index=pd.RangeIndex(len(distribution), name="partition"), name=name)


@dataclass(frozen=True, repr=False)
class VarianceReport:
    """How one feature's within-partition variance is spread over the partitions.

    Attributes
    ----------
    is_proportional : bool
        Whether ``distribution`` holds proportions ``v_k / sum(v)`` (True) or the raw
        variances ``v_k`` (False).
    min_variance, max_variance, mean_variance, median_variance : float
        Taken over ``distribution``. With proportions the mean is always ``1/K``, and all
        four are NaN where no partition has any spread.
    hhi : float
        ``sum_k (v_k / sum(v))**2``, always from proportions, in ``[1/K, 1]``; lower
        means the variance is spread more evenly. NaN where no partition has any spread
        (every ``v_k`` is 0: a constant or all-missing feature, partitions of one row).
    distribution : ndarray of shape (n_partitions,)
        One value per partition, in sorted label order. Proportions are NaN where no
        partition has any spread (there is nothing to share out); raw variances are 0.
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

    def __repr__(self) -> str:
        kind = "proportions" if self.is_proportional else "raw variances"
        return (
            f"VarianceReport({len(self.distribution)} partitions, {kind}: hhi={self.hhi:.4g}, "
            f"min={self.min_variance:.4g}, median={self.median_variance:.4g}, max={self.max_variance:.4g})"
        )

    def to_pandas(self) -> pd.Series:
        """``distribution`` as a Series indexed by partition (0..K-1 in sorted label order).

        Returns
        -------
        Series
        """
        return _distribution_series(self.distribution, "variance_proportion" if self.is_proportional else "variance")


@dataclass(frozen=True, repr=False)
class SpanReport:
    """How one feature's within-partition span (max - min) is spread over the partitions.

    Attributes
    ----------
    is_proportional : bool
        Whether ``distribution`` holds proportions ``s_k / sum(s)`` (True) or the raw
        spans ``s_k`` (False).
    min_span, max_span, mean_span, median_span : float
        Taken over ``distribution``. With proportions the mean is always ``1/K``, and all
        four are NaN where no partition has any spread.
    hhi : float
        ``sum_k (s_k / sum(s))**2``, always from proportions, in ``[1/K, 1]``; lower means
        more even. NaN where no partition has any spread (every ``s_k`` is 0).
    distribution : ndarray of shape (n_partitions,)
        One value per partition, in sorted label order. Proportions are NaN where no
        partition has any spread; raw spans are 0.
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

    def __repr__(self) -> str:
        kind = "proportions" if self.is_proportional else "raw spans"
        return (
            f"SpanReport({len(self.distribution)} partitions, {kind}: hhi={self.hhi:.4g}, "
            f"min={self.min_span:.4g}, median={self.median_span:.4g}, max={self.max_span:.4g})"
        )

    def to_pandas(self) -> pd.Series:
        """``distribution`` as a Series indexed by partition (0..K-1 in sorted label order).

        Returns
        -------
        Series
        """
        return _distribution_series(self.distribution, "span_proportion" if self.is_proportional else "span")


@dataclass(frozen=True, repr=False)
class FeatureReport:
    """The variance and span reports of one numeric feature."""

    name: str
    variance_report: VarianceReport | None = None
    span_report: SpanReport | None = None

    def __repr__(self) -> str:
        parts = [f"{self.name!r}"]
        if self.variance_report is not None:
            parts.append(f"variance hhi={self.variance_report.hhi:.4g}")
        if self.span_report is not None:
            parts.append(f"span hhi={self.span_report.hhi:.4g}")
        size = self.variance_report or self.span_report
        if size is not None:
            parts.append(f"{len(size.distribution)} partitions")
        return f"FeatureReport({', '.join(parts)})"

    def to_pandas(self) -> pd.DataFrame:
        """Per partition (rows, sorted label order), the variance and span distributions.

        Returns
        -------
        DataFrame
        """
        columns = [r.to_pandas() for r in (self.variance_report, self.span_report) if r is not None]
        return pd.concat(columns, axis=1) if columns else pd.DataFrame()


MISSING_CATEGORY = "(missing)"
OTHER_CATEGORY = "(other)"
# Cells of one column's (partition x category) count table; beyond it the rarest categories
# are lumped into "(other)" (e.g. 256 categories kept at K = 4096, 1000 at K <= 1048).
MAX_CATEGORY_CELLS = 1 << 20
MAX_CATEGORIES = 1000


@dataclass(frozen=True, repr=False)
class CategoricalReport:
    """How one categorical column's categories are spread over the partitions.

    Missing values (NaN, None, NA) are a category of their own, ``"(missing)"``; every
    row counts. Categories are named by ``str(value)``, most frequent first. A column
    with more than ``min(1000, 2**20 // K)`` categories keeps that many minus one, the
    most frequent, as columns of ``counts`` and lumps the rest into one column
    ``"(other)"``; that only shortens the tables (``counts``, :meth:`to_pandas`,
    :meth:`top_categories`, :meth:`category_table`, where ``"(other)"`` is the lumped
    categories taken together). ``cramers_v``, ``v_if_unrelated``, ``r2``, the two HHIs
    and ``pure_share`` are always those of every category, computed from the non-empty
    (partition, category) cells.

    Attributes
    ----------
    name : str
        Column name.
    categories : list of str
        The columns of ``counts``, most frequent first.
    counts : ndarray of int64, shape (n_partitions, n_columns)
        Rows of each category in each partition (partitions in sorted label order).
    partition_ids : ndarray of shape (n_partitions,)
        The partition labels, sorted: the rows of ``counts``.
    n_categories : int
        Distinct values of the column (missing counted as one), before lumping.
    n_lumped : int
        Categories lumped into ``"(other)"``; 0 when none were.
    cramers_v : float
        Cramér's V of the (partition x category) table,
        ``sqrt(chi2 / (N * min(K - 1, C - 1)))``, in [0, 1]: 0 when every partition has
        the column's overall category mix, 1 when the partition determines the category
        (and, with fewer partitions than categories, each category lives in one
        partition). Under independence it is not 0 but about :attr:`v_if_unrelated`
        (``sqrt((K - 1) / N)`` when ``K >= C``), more for many small partitions: read it
        against that. NaN for a column with one category.
    r2 : float
        The share of the column's Gini impurity the partitions remove,
        ``(within_hhi - overall_hhi) / (1 - overall_hhi)`` (Goodman and Kruskal's tau;
        the R² of the column's one-hot indicators, so the categorical counterpart of
        :attr:`PartitionQuality.feature_r2`): 0 when partitions do not tell the
        categories apart, 1 when each partition holds one category. NaN for a column
        with one category.
    within_hhi : float
        ``sum_k (n_k / N) * sum_c share_kc**2``: the chance that two rows drawn from the
        same partition (drawn with replacement, the partition chosen by size) have the
        same category.
    overall_hhi : float
        ``sum_c share_c**2``: the same chance for two rows drawn from the whole column.
    pure_share : float
        The share of rows that sit in partitions whose rows all have one category.
    """

    name: str
    categories: list[str]
    counts: np.ndarray
    partition_ids: np.ndarray
    n_categories: int
    n_lumped: int
    cramers_v: float
    r2: float
    within_hhi: float
    overall_hhi: float
    pure_share: float

    @property
    def shares(self) -> np.ndarray:
        """``counts`` divided by each partition's size: each row sums to 1."""
        return self.counts / self.counts.sum(axis=1, keepdims=True)

    @property
    def v_if_unrelated(self) -> float:
        """About the Cramér's V of a column unrelated to the partitions, to read ``cramers_v`` against.

        Chi-squared of an independent table averages its degrees of freedom
        ``(K - 1)(C - 1)``, so V is about ``sqrt((K - 1)(C - 1) / (N min(K - 1, C - 1)))``.
        """
        n_partitions, n_categories = len(self.partition_ids), self.n_categories  # C before lumping
        degrees = min(n_partitions - 1, n_categories - 1)
        if degrees <= 0:
            return float("nan")
        n_rows = float(self.counts.sum())
        return math.sqrt(min((n_partitions - 1) * (n_categories - 1) / (n_rows * degrees), 1.0))

    def __repr__(self) -> str:
        lumped = f" ({self.n_lumped} lumped into {OTHER_CATEGORY!r})" if self.n_lumped else ""
        return (
            f"CategoricalReport({self.name!r}, {self.n_categories} categories{lumped} x "
            f"{len(self.partition_ids)} partitions: cramers_v={self.cramers_v:.4g}, r2={self.r2:.4g}, "
            f"pure_share={self.pure_share:.4g})"
        )

    def to_pandas(self) -> pd.DataFrame:
        """Each partition's category shares: one row per partition, one column per category.

        Returns
        -------
        DataFrame
            Indexed by ``partition`` (the labels, sorted); columns are ``categories``,
            most frequent first; each row sums to 1.
        """
        return pd.DataFrame(
            self.shares,
            index=pd.Index(self.partition_ids, name="partition"),
            columns=pd.Index(self.categories, name=self.name),
        )

    def top_categories(self, n: int = 3) -> pd.DataFrame:
        """Each partition's ``n`` most frequent categories and their shares.

        Parameters
        ----------
        n : int, default=3
            Categories per partition (at most the number of categories).

        Returns
        -------
        DataFrame
            Indexed by ``partition``; columns ``size``, then ``top_1, share_1, ...,
            top_n, share_n``. A category with share 0 shows as None.
        """
        n = max(1, min(int(n), len(self.categories)))
        shares = self.shares
        # Stable sort of negated shares: ties keep the overall frequency order.
        order = np.argsort(-shares, axis=1, kind="stable")[:, :n]
        top_shares = np.take_along_axis(shares, order, axis=1)
        names = np.asarray(self.categories, dtype=object)[order]
        names[top_shares == 0] = None
        columns: dict[str, Any] = {"size": self.counts.sum(axis=1)}
        for i in range(n):
            columns[f"top_{i + 1}"] = names[:, i]
            columns[f"share_{i + 1}"] = top_shares[:, i]
        return pd.DataFrame(columns, index=pd.Index(self.partition_ids, name="partition"))

    def category_table(self, n: int | None = None) -> pd.DataFrame:
        """Per category: how many rows, and how concentrated they are in partitions.

        Parameters
        ----------
        n : int, optional
            Only the ``n`` most frequent categories.

        Returns
        -------
        DataFrame
            Columns ``category``, ``rows``, ``share`` (of all rows), ``partitions_led``
            (partitions where it is the most frequent category), ``in_majority`` (the
            share of its rows that sit in partitions where it holds more than half the
            rows), ``max_share`` (its largest share in one partition).
        """
        counts = self.counts
        shares = self.shares
        rows = counts.sum(axis=0)
        leader = np.argmax(counts, axis=1)  # ties: the more frequent category overall
        in_majority = np.where(shares > 0.5, counts, 0).sum(axis=0)
        table = pd.DataFrame(
            {
                "category": self.categories,
                "rows": rows,
                "share": rows / rows.sum(),
                "partitions_led": np.bincount(leader, minlength=len(self.categories)),
                "in_majority": in_majority / rows,
                "max_share": shares.max(axis=0),
            }
        )
        return table if n is None else table.head(n)


def _category_names(values: np.ndarray, missing: np.ndarray) -> list[str]:
    """``str(value)`` of each category, made distinct where two would share a name.

    An object column holding the int ``1`` and the text ``'1'`` has two categories that
    both print as ``1``: those become ``1 (int)`` and ``1 (str)``, only where names
    collide (with each other, ``"(missing)"`` or ``"(other)"``); ``1 #2`` etc. if the type
    names collide too. Only the named categories are looked at (at most MAX_CATEGORIES).
    """
    names = [MISSING_CATEGORY if gone else str(v) for v, gone in zip(values, missing)]
    count = collections.Counter(names)
    clashes = [count[name] > 1 or (not gone and name in (MISSING_CATEGORY, OTHER_CATEGORY))
               for name, gone in zip(names, missing)]  # fmt: skip
    if not any(clashes):
        return names
    typed = [
        f"{name} ({type(v).__name__})" if clash and not gone else name
        for name, v, gone, clash in zip(names, values, missing, clashes)
    ]
    seen: collections.Counter[str] = collections.Counter()
    distinct = []
    for name in typed:  # at most MAX_CATEGORIES names
        seen[name] += 1
        distinct.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return distinct


def categorical_report(
    values: Any, name: str, partition_codes: np.ndarray, partition_ids: np.ndarray
) -> CategoricalReport | None:
    """The :class:`CategoricalReport` of one column, in a few vectorised passes.

    The column is factorized once (missing values get a code of their own); the
    (partition x category) table is one ``bincount`` of ``partition * C + category``.

    Parameters
    ----------
    values : Series or array of shape (n_samples,)
        The column.
    name : str
    partition_codes : ndarray of int, shape (n_samples,)
        Partition of each row in ``0..K-1`` (a grouping's ``codes``).
    partition_ids : ndarray of shape (K,)
        The label of each partition code.

    Returns
    -------
    CategoricalReport or None
        None when the values cannot be hashed (e.g. lists), so have no categories.
    """
    factorized = category_codes(values)
    if factorized is None:
        return None
    codes, uniques = factorized
    return categorical_report_of_cells(name, uniques, partition_codes, codes, partition_ids)


def category_codes(values: Any) -> tuple[np.ndarray, Any] | None:
    """A column's category codes and its categories, as :func:`categorical_report` keys them.

    Parameters
    ----------
    values : Series or array of shape (n_samples,)

    Returns
    -------
    (codes, uniques) or None
        ``pd.factorize`` keeping missing values as a category of their own: ``uniques`` in
        order of first appearance, ``codes`` indexing it. None when the values cannot be
        hashed.
    """
    try:
        return pd.factorize(values, use_na_sentinel=False)
    except TypeError:
        return None


def category_cells(
    values: Any, partition_codes: np.ndarray, n_partitions: int
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray] | None:
    """A column's categories and its distinct (partition, category) cells with their rows.

    What :func:`categorical_report_of_cells` needs of a chunk of rows, in at most as many
    cells as rows (a column of identifiers has one per row, a few categories a few per
    partition): one ``bincount`` of ``partition * C + category`` when the table is small,
    a sort (``np.unique``) otherwise.

    Parameters
    ----------
    values : Series or array of shape (n_samples,)
    partition_codes : ndarray of int, shape (n_samples,)
        Partition of each row in ``0..n_partitions-1``.
    n_partitions : int

    Returns
    -------
    (uniques, partition_codes, codes, rows) or None
        ``uniques`` as :func:`category_codes` gives them; per cell its partition, its
        category and its rows (all positive). None when the values cannot be hashed.
    """
    factorized = category_codes(values)
    if factorized is None:
        return None
    codes, uniques = factorized
    n_categories = len(uniques)
    keys = np.asarray(partition_codes, dtype=np.int64) * n_categories + codes
    if n_partitions * n_categories <= max(4 * len(keys), 1 << 16):
        table = np.bincount(keys, minlength=n_partitions * n_categories)
        cells = np.flatnonzero(table)
        rows = table[cells]
    else:
        cells, rows = np.unique(keys, return_counts=True)
    return uniques, cells // max(n_categories, 1), cells % max(n_categories, 1), rows.astype(np.int64)


def categorical_report_of_cells(
    name: str,
    uniques: Any,
    partition_codes: np.ndarray,
    codes: np.ndarray,
    partition_ids: np.ndarray,
    rows: np.ndarray | None = None,
) -> CategoricalReport:
    """The :class:`CategoricalReport` of (partition, category) cells and their row counts.

    In memory every row is a cell of one row (``rows=None``); the Dask report passes each
    chunk's distinct cells with their counts, merged (:func:`hvrt.dask.full_report`). The
    report is a function of the counts alone, so both give the same one.

    Parameters
    ----------
    name : str
    uniques : array-like of shape (C,)
        The column's categories in order of first appearance (:func:`category_codes`);
        every one holds rows.
    partition_codes, codes : ndarray of int, shape (n_cells,)
        Each cell's partition (in ``0..K-1``) and category (in ``0..C-1``).
    partition_ids : ndarray of shape (K,)
        The label of each partition code.
    rows : ndarray of int, shape (n_cells,), optional
        Each cell's rows (all positive); 1 each when None.

    Returns
    -------
    CategoricalReport
    """
    n_partitions = len(partition_ids)
    frequency = _cell_sum(codes, rows, len(uniques))
    order = np.argsort(-frequency, kind="stable")  # most frequent first; ties by appearance
    n_categories = len(uniques)
    kept = min(n_categories, MAX_CATEGORIES, max(2, MAX_CATEGORY_CELLS // n_partitions))
    lumps = n_categories > kept
    n_named = kept - 1 if lumps else kept
    column_of = np.full(n_categories, n_named, dtype=np.int64)  # the lumped rest: last column
    column_of[order[:n_named]] = np.arange(n_named)
    missing = pd.isna(np.asarray(uniques, dtype=object)[order[:n_named]])
    categories = _category_names(uniques[order[:n_named]], missing)
    if lumps:
        categories.append(OTHER_CATEGORY)

    n_columns = len(categories)
    counts = _cell_sum(partition_codes * n_columns + column_of[codes], rows, n_partitions * n_columns).reshape(
        n_partitions, n_columns
    )
    sizes = counts.sum(axis=1)
    n_rows = int(sizes.sum())
    if lumps:
        # The figures are of every category, never of the lumped table (whose "(other)"
        # column of many rare categories would read as one big one: an overall HHI 100x too
        # high): sums of squared counts over the distinct (partition, category) cells.
        squares_by_size, squares_by_margins = _sparse_squares(partition_codes, codes, rows, sizes, frequency)
        within_hhi = squares_by_size / n_rows
        overall_hhi = float(np.sum((frequency / n_rows) ** 2))
        association = squares_by_margins
    else:
        totals = counts.sum(axis=0)
        shares = counts / sizes[:, None]
        within_hhi = float(np.einsum("k,kc,kc->", sizes / n_rows, shares, shares))
        overall_hhi = float(np.sum((totals / n_rows) ** 2))
        association = float(np.einsum("kc,kc->", shares, counts / totals))
    degrees = min(n_partitions - 1, n_categories - 1)
    if degrees > 0:
        # chi2 = N * (sum O^2 / (n_k m_c) - 1); every margin is positive by construction.
        chi2 = n_rows * (association - 1.0)
        cramers_v = math.sqrt(min(max(chi2, 0.0) / (n_rows * degrees), 1.0))
    else:
        cramers_v = float("nan")
    r2 = (within_hhi - overall_hhi) / (1.0 - overall_hhi) if overall_hhi < 1.0 else float("nan")
    # Purity on the raw codes, so partitions of several lumped categories are not pure.
    low = np.full(n_partitions, np.iinfo(np.int64).max)
    high = np.full(n_partitions, -1)
    np.minimum.at(low, partition_codes, codes)
    np.maximum.at(high, partition_codes, codes)
    pure_share = float(sizes[low == high].sum() / n_rows)
    return CategoricalReport(
        name=name,
        categories=categories,
        counts=counts,
        partition_ids=partition_ids,
        n_categories=n_categories,
        n_lumped=n_categories - n_named if lumps else 0,
        cramers_v=cramers_v,
        r2=r2 if math.isnan(r2) else min(max(r2, 0.0), 1.0),
        within_hhi=within_hhi,
        overall_hhi=overall_hhi,
        pure_share=pure_share,
    )


def _sparse_squares(
    partition_codes: np.ndarray, codes: np.ndarray, rows: np.ndarray | None, sizes: np.ndarray, frequency: np.ndarray
) -> tuple[float, float]:
    """``sum O_kc**2 / n_k`` and ``sum O_kc**2 / (n_k m_c)`` over the non-empty cells.

    ``O_kc`` are the rows of category ``c`` in partition ``k`` (cells given more than once,
    as rows are, are added up first: one sort of ``k * C + c``), ``n_k`` the partition's
    and ``m_c`` the category's rows. Memory O(cells), whatever K * C is.
    """
    n_categories = len(frequency)
    keys = np.asarray(partition_codes, dtype=np.int64) * n_categories + codes
    if rows is None:
        cells, observed = np.unique(keys, return_counts=True)
    else:
        cells, inverse = np.unique(keys, return_inverse=True)
        observed = np.bincount(inverse, weights=rows)
    observed = observed.astype(np.float64)
    squares = observed * observed / sizes[cells // n_categories]
    return float(squares.sum()), float(np.sum(squares / frequency[cells % n_categories]))


def _cell_sum(keys: np.ndarray, rows: np.ndarray | None, length: int) -> np.ndarray:
    """Rows per key (``np.bincount``), each cell counting ``rows`` rows when given."""
    if rows is None:
        return np.bincount(keys, minlength=length)
    # float64 sums of integers are exact below 2**53 rows
    return np.bincount(keys, weights=rows, minlength=length).astype(np.int64)


# Rows of the summary a report's repr shows before it says how many more there are.
_REPR_ROWS = 5


class FullReport(dict):
    """``dict[str, FeatureReport]`` keyed by numeric column name, in column order.

    A plain dict in every respect, plus :attr:`skipped_columns`: the names of the
    non-numeric columns of ``X`` (object, string, category, bool) that have no
    :class:`FeatureReport`; :attr:`categorical`: the :class:`CategoricalReport` of each
    of them (:meth:`categorical_to_pandas` tabulates them); and :attr:`partition_ids`:
    the partition labels, sorted, in the order of every ``distribution``.
    """

    skipped_columns: tuple[str, ...]
    partition_ids: np.ndarray | None
    categorical: dict[str, CategoricalReport]

    def __init__(
        self,
        reports: dict[str, FeatureReport],
        skipped_columns: tuple[str, ...] = (),
        partition_ids: np.ndarray | None = None,
        categorical: dict[str, CategoricalReport] | None = None,
    ):
        super().__init__(reports)
        self.skipped_columns = tuple(skipped_columns)
        self.partition_ids = partition_ids
        self.categorical = dict(categorical or {})

    def __missing__(self, key: Any) -> FeatureReport:
        # names are compared as strings everywhere: a frame's column 0 is the report's "0",
        # and report[0] finds it as DistributionAnalyzer.score(0) does
        if not isinstance(key, str) and str(key) in self:
            return self[str(key)]
        raise KeyError(key)

    def categorical_to_pandas(self) -> pd.DataFrame:
        """One row per categorical column: how its categories concentrate in partitions.

        Returns
        -------
        DataFrame
            Indexed by ``column``; columns ``n_categories``, ``cramers_v``,
            ``v_if_unrelated``, ``r2``, ``within_hhi``, ``overall_hhi``, ``pure_share``,
            ``top_category`` and
            ``top_share`` (the most frequent category and its share of all rows); see
            :class:`CategoricalReport`.
        """
        columns = ["column", "n_categories", "cramers_v", "v_if_unrelated", "r2", "within_hhi",
                   "overall_hhi", "pure_share", "top_category", "top_share"]  # fmt: skip
        rows = [
            {
                "column": name,
                "n_categories": report.n_categories,
                "cramers_v": report.cramers_v,
                "v_if_unrelated": report.v_if_unrelated,
                "r2": report.r2,
                "within_hhi": report.within_hhi,
                "overall_hhi": report.overall_hhi,
                "pure_share": report.pure_share,
                "top_category": report.categories[0],
                "top_share": report.counts[:, 0].sum() / report.counts.sum(),
            }
            for name, report in self.categorical.items()
        ]
        return pd.DataFrame(rows, columns=columns).set_index("column")

    def to_pandas(self) -> pd.DataFrame:
        """One row per feature: the HHIs and the min / median / max of each distribution.

        Returns
        -------
        DataFrame
            Indexed by ``feature``; columns ``variance_hhi``, ``span_hhi``,
            ``variance_min``, ``variance_median``, ``variance_max``, ``span_min``,
            ``span_median``, ``span_max``.
        """
        rows = []
        for name, report in self.items():
            variance, span = report.variance_report, report.span_report
            rows.append(
                {
                    "feature": name,
                    "variance_hhi": variance.hhi,
                    "span_hhi": span.hhi,
                    "variance_min": variance.min_variance,
                    "variance_median": variance.median_variance,
                    "variance_max": variance.max_variance,
                    "span_min": span.min_span,
                    "span_median": span.median_span,
                    "span_max": span.max_span,
                }
            )
        columns = ["feature", "variance_hhi", "span_hhi", "variance_min", "variance_median",
                   "variance_max", "span_min", "span_median", "span_max"]  # fmt: skip
        return pd.DataFrame(rows, columns=columns).set_index("feature")

    def __repr__(self) -> str:
        n_partitions = len(self.partition_ids) if self.partition_ids is not None else None
        head = f"FullReport({len(self)} features" + (f" x {n_partitions} partitions" if n_partitions else "")
        no_view = [c for c in self.skipped_columns if c not in self.categorical]
        if no_view:
            head += f", skipped {no_view}"
        if not self and not self.categorical:
            return head + ")"
        lines = [head + ("; highest variance HHI first:" if self else ":")]
        if self:
            table = self.to_pandas()[["variance_hhi", "span_hhi"]]
            shown = table.sort_values("variance_hhi", ascending=False, kind="stable").head(_REPR_ROWS)
            text = shown.reset_index().to_string(index=False, float_format="{:.4g}".format)
            lines += ["  " + line for line in text.splitlines()]
            if len(table) > _REPR_ROWS:
                lines.append(f"  ... {len(table) - _REPR_ROWS} more; .to_pandas() has them all")
        if self.categorical:
            shown_names = list(self.categorical)[:_REPR_ROWS]
            views = ", ".join(
                f"{name} (V={self.categorical[name].cramers_v:.3g}, r2={self.categorical[name].r2:.3g})"
                for name in shown_names
            )
            more = len(self.categorical) - len(shown_names)
            lines.append(
                f"  categorical: {views}" + (f" and {more} more" if more else "") + "; .categorical_to_pandas()"
            )
        lines[-1] += ")"
        return "\n".join(lines)


@dataclass(frozen=True, repr=False)
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
        explained by the partition means. NaN for a constant feature
        (its smallest and largest values equal).
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

        Returns
        -------
        dict of str to int, float or None
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

    def to_pandas(self) -> pd.DataFrame:
        """:meth:`to_dict` as a one-row DataFrame, to ``pd.concat`` partitioners into a table.

        Returns
        -------
        DataFrame
        """
        return pd.DataFrame([self.to_dict()])

    def __repr__(self) -> str:
        y_part = "" if self.y_r2 is None else f", y_r2={self.y_r2:.4g}"
        return (
            f"PartitionQuality({self.n_samples:,} rows, {self.n_partitions:,} partitions: "
            f"within_sse_ratio={self.within_sse_ratio:.4g}{y_part}; sizes {self.min_size:g} to "
            f"{self.max_size:g} (median {self.median_size:g}), {self.n_singletons} single-row)"
        )


# --------------------------------------------------------------------------- inputs


def _check_partition_count(n_partitions: int, minimum: int) -> None:
    if n_partitions < minimum:
        raise ValueError(
            f"labels holds {n_partitions} distinct partition(s); at least {minimum} are needed "
            "to compare how statistics spread across partitions"
        )


# --------------------------------------------------------------------------- full_report


def _histogram(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.histogram(values, bins=10)``, also for values a few ulps apart (equal shares up to
    rounding), where numpy finds no 10 finite bins between them and raises: they are binned
    as numpy bins equal values, all in the bin of their median, in the middle of a window
    around it (±0.5, wider where that is below the values' resolution). Binning the values
    themselves could split them at an edge that falls among them."""
    try:
        return np.histogram(values, bins=HISTOGRAM_BINS)
    except ValueError:
        centre = float(np.median(values))
        half = max(0.5, 1e-6 * abs(centre))
        return np.histogram(np.full(len(values), centre), bins=HISTOGRAM_BINS, range=(centre - half, centre + half))


def _distribution_summary(per_partition: np.ndarray, proportional: bool) -> list[dict[str, Any]]:
    """For a (K, d) array of non-negative values, each column's report fields."""
    totals = per_partition.sum(axis=0)
    positive = totals > 0
    # A total of 0 has no shares: its HHI and proportions are NaN, never 0.0, which would
    # read as "perfectly even" (an HHI is at least 1/K). Raw values of 0 were measured.
    with np.errstate(invalid="ignore", divide="ignore"):
        proportions = np.where(positive, per_partition / totals, np.nan)
    hhi = np.einsum("kj,kj->j", proportions, proportions)
    distribution = proportions if proportional else np.where(positive, per_partition, 0.0)
    minimum = distribution.min(axis=0)
    maximum = distribution.max(axis=0)
    mean = distribution.mean(axis=0)
    median = np.median(distribution, axis=0)
    summaries = []
    for j in range(per_partition.shape[1]):
        column = np.ascontiguousarray(distribution[:, j])
        if positive[j]:
            histogram = _histogram(column)
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
    *,
    stats: GroupedStats | None = None,
    categorical: bool = True,
) -> FullReport:
    """Per numeric feature, how within-partition variance and span spread over partitions.

    For feature ``f`` and partition ``k``, ``v_k`` is the population variance (ddof=0)
    and ``s_k`` the span (max - min) of ``f``'s non-NaN values in ``k``; both are 0 for
    a partition with at most one value. The HHI is ``sum_k p_k**2`` with
    ``p_k = v_k / sum(v)`` (resp. ``s_k / sum(s)``): it lies in ``[1/K, 1]`` and lower
    means the variance is spread more evenly. NaN where no partition has any spread (a
    feature whose total is 0: a constant, no value at all, partitions of one row): its hhi
    and proportions are NaN (raw values 0) and its histogram is empty.

    Each categorical (non-numeric) column gets a :class:`CategoricalReport` instead: its
    category shares in every partition, Cramér's V and R² against the partition label,
    and the share of rows in single-category partitions.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        The data. Arrays get the column names ``f0, f1, ...`` as in
        :class:`~hvrt.HVRTPartitioner`. Non-numeric columns (object, string, category,
        bool) are skipped and listed in the result's ``skipped_columns``.
    labels : array-like or Series of shape (n_samples,)
        Partition label of each row: ints, strings, or bools alone; whole floats
        (``2.0``) are read as the ints they stand for. A Series must have the same index
        as a DataFrame ``X``; otherwise rows are matched by position.
    variance_proportions : bool, default=True
        ``distribution`` (and min/max/mean/median) of the variance report holds
        proportions ``v_k / sum(v)`` if True, raw variances if False.
    span_proportions : bool, default=True
        The same for the span report.
    stats : GroupedStats, optional
        ``hvrt.grouped_stats(values, labels)`` of X's numeric columns, when the caller
        has it already (one grouping shared by several reports); computed otherwise.
    categorical : bool, default=True
        Also report every non-numeric column's concentration across partitions
        (:class:`CategoricalReport`, in the result's ``categorical``).

    Returns
    -------
    FullReport
        A ``dict`` subclass mapping each numeric column name to its
        :class:`FeatureReport`, with the attributes ``skipped_columns`` (tuple of the
        non-numeric column names that have no entry) and ``categorical`` (their
        :class:`CategoricalReport`, by name; a column whose values cannot be hashed has
        none).

    Raises
    ------
    ValueError
        If ``labels`` holds fewer than 2 distinct partitions, has missing values, holds
        a float that is not a whole number (``2.5``, ``inf``) or bools among numbers, is not
        1-D, has a different length from ``X``, or is a Series whose index differs from
        a DataFrame ``X``'s; if a numeric column holds infinite values; if ``stats`` was
        grouped by other labels or from other columns.
    TypeError
        If ``labels`` holds unhashable values, or ``variance_proportions``,
        ``span_proportions`` or ``categorical`` is not a bool.

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
    for flag, value in (
        ("variance_proportions", variance_proportions), ("span_proportions", span_proportions),
        ("categorical", categorical),
    ):  # fmt: skip
        if not isinstance(value, (bool, np.bool_)):
            # bool("no") is True: a string or number would quietly pick the other reading
            raise TypeError(f"{flag} must be True or False, got {value!r}")
    data = check_partitioned(X, labels)
    given = stats is not None
    stats = stats_for(data.values, data.labels, stats, data.feature_names)
    _check_partition_count(stats.n_partitions, 2)
    names = data.feature_names

    reports = _feature_reports(names, stats, variance_proportions, span_proportions)
    # A given grouping may name the partitions otherwise (strings where data.labels are codes).
    ids = partition_labels(stats, data.labels) if given else stats.partition_ids
    partition_ids = data.original_labels(ids)
    categorical_reports = {}
    if categorical and data.frame is not None:
        for name in data.skipped_columns:
            view = categorical_report(data.frame[name], name, stats.codes, partition_ids)
            if view is not None:
                categorical_reports[name] = view
    return FullReport(reports, data.skipped_columns, partition_ids, categorical_reports)


def calculate_feature_hhi_metric(X: Any, labels: Any) -> float:
    """Mean over numeric features of the variance HHI. Deprecated: use :func:`full_report`.

    The mean of ``full_report(X, labels)[name].variance_report.hhi`` over the features whose
    HHI is defined: a feature without spread in any partition (a constant, no value) has
    none (NaN) and is left out, and the result is NaN when no feature has one. (Earlier
    versions counted it as 0.0, pulling the mean towards "even"; the 0.1.x function counted
    it as ``1/K``, and returned 1.0 rather than raising for fewer than 2 partitions.)

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
    hhi = np.array([feature.variance_report.hhi for feature in report.values()])
    defined = hhi[~np.isnan(hhi)]
    return float(defined.mean()) if len(defined) else float("nan")


# --------------------------------------------------------------------------- partition_quality


def _target_values(y: Any, n_rows: int, index: pd.Index | None) -> np.ndarray:
    """``y`` as float64 with NaN for missing values (nullable pandas dtypes included)."""
    y_array = aligned_1d(y, "y", n_rows, index)
    text_kinds = ("string", "bytes", "mixed", "categorical")
    if y_array.dtype.kind in "OUS" and pd.api.types.infer_dtype(y_array, skipna=True) in text_kinds:
        # numpy would parse "1.5" (and a categorical of "1", "2") without a word
        raise ValueError(
            f"y must be numeric, got dtype {getattr(y, 'dtype', y_array.dtype)} holding text; "
            "convert numbers written as text with pd.to_numeric(y)"
        )
    if y_array.dtype.kind not in "fiub":
        if y_array.dtype.kind == "O":
            y_array = np.where(pd.isna(y_array), np.nan, y_array)
        try:
            y_array = y_array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"y must be numeric, got dtype {y_array.dtype}") from None
    y_values = y_array.astype(np.float64)
    has_missing_values(y_values[:, None], ["y"], name="y", when="measure")  # refuses ±inf
    return y_values


_SSE_BLOCK_ROWS = 8192  # rows of deviations per block in _total_sse: 650 kB at 10 columns


def _total_sse(values: np.ndarray, has_missing: bool) -> np.ndarray:
    """Each column's sum of squared deviations from its mean, NaN skipped.

    Two passes keep full precision for data with a large offset, where the law of total
    variance from partition means would not; in the corrected form (as the partitioner's
    ``_target._two_pass_variance``, not imported: it would load scikit-learn), which takes
    the rounding of the mean out: squared deviations from a mean a few ulps off (0.016 each
    at 1e14) hold ``count * rounding**2``, 3e-8 of a 1e14 + N(0, 10) column's (40k rows) and a
    "variance" for a constant column. The deviations are taken in blocks of rows that stay
    in cache, not as one array the size of ``values`` (at 1M x 10, 80 MB written and read
    back twice).
    """
    n_rows, n_columns = values.shape
    size = min(_SSE_BLOCK_ROWS, n_rows)
    buffer = np.empty((size, n_columns))
    ones = np.ones(size)  # column sums as products with ones: numpy's sum down the rows of a
    # narrow array is several times slower than the BLAS product
    blocks = [(start, min(start + _SSE_BLOCK_ROWS, n_rows)) for start in range(0, n_rows, _SSE_BLOCK_ROWS)]
    count = np.zeros(n_columns)
    total = np.zeros(n_columns)
    missing = np.empty((size, n_columns), dtype=bool) if has_missing else None
    for start, stop in blocks:
        block, rows = buffer[: stop - start], ones[: stop - start]
        if has_missing:
            np.copyto(block, values[start:stop])
            gaps = np.isnan(block, out=missing[: stop - start])
            block[gaps] = 0.0
            total += rows @ block
            np.subtract(1.0, gaps, out=block)
            count += rows @ block
        else:
            total += rows @ values[start:stop]
    if not has_missing:
        count[:] = n_rows
    mean = total / np.maximum(count, 1)  # an all-NaN column: no deviations, a total of 0
    shift = np.zeros(n_columns)
    squares = np.zeros(n_columns)
    for start, stop in blocks:
        deviation, rows = buffer[: stop - start], ones[: stop - start]
        np.subtract(values[start:stop], mean, out=deviation)
        if has_missing:
            deviation[np.isnan(deviation, out=missing[: stop - start])] = 0.0
        shift += rows @ deviation
        np.multiply(deviation, deviation, out=deviation)
        squares += rows @ deviation
    return np.maximum(squares - shift * shift / np.maximum(count, 1), 0.0)


def _within_sse(stats: GroupedStats) -> np.ndarray:
    """Each column's summed within-partition squared deviations."""
    return np.where(stats.count > 0, stats.m2, 0.0).sum(axis=0)


def partition_quality(X: Any, labels: Any, y: Any = None, *, stats: GroupedStats | None = None) -> PartitionQuality:
    """How well a partitioning summarises ``X`` (and ``y``); for comparing partitioners.

    All figures come from one grouped pass over the numeric columns of ``X`` (``y`` is
    grouped by the same codes) and one variance pass for the totals.

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
    stats : GroupedStats, optional
        ``hvrt.grouped_stats(values, labels)`` of X's numeric columns, when the caller
        has it already; computed otherwise.

    Returns
    -------
    PartitionQuality
        Use ``.to_dict()`` for a flat dict of plain values.

    Raises
    ------
    ValueError
        If ``X`` has no numeric column, if ``labels`` or ``y`` is misaligned with ``X``
        (length, or Series index), if ``labels`` has missing values, if ``y`` is not
        numeric, or if ``stats`` was grouped by other labels or from other columns.

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
    data = check_partitioned(X, labels)
    names = data.feature_names
    if not names:
        raise ValueError(f"X has no numeric column to measure; skipped columns: {list(data.skipped_columns)}")
    stats = stats_for(data.values, data.labels, stats, data.feature_names)
    _check_partition_count(stats.n_partitions, 1)

    total = _total_sse(data.values, data.has_missing)
    y_stats = None
    if y is not None:
        y_values = _target_values(y, data.n_samples, data.index)
        y_stats = grouped_stats(y_values, stats.codes)  # the labels' integer codes: no re-sort
        total = np.append(total, _total_sse(y_values[:, None], bool(np.isnan(y_values).any())))
    return _quality_from(stats, y_stats, total, names, data.n_samples, data.skipped_columns)


def _feature_reports(
    names: Sequence[str], stats: GroupedStats, variance_proportions: bool, span_proportions: bool
) -> dict[str, FeatureReport]:
    """One :class:`FeatureReport` per column, from its per-partition variances and spans."""
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
    return reports


def _column_varies(stats: GroupedStats) -> np.ndarray:
    """Whether each grouped column holds two different values (NaN skipped)."""
    highest = np.fmax.reduce(stats.maximum, axis=0, initial=-np.inf)
    lowest = np.fmin.reduce(stats.minimum, axis=0, initial=np.inf)
    return highest > lowest


def _quality_from(
    stats: GroupedStats,
    y_stats: GroupedStats | None,
    total: np.ndarray,
    names: Sequence[str],
    n_samples: int,
    skipped_columns: tuple,
) -> PartitionQuality:
    """:class:`PartitionQuality` from the groupings of X (and y) and each column's total SSE
    (y's last); shared by the in-memory and the Dask :func:`partition_quality`."""
    within = _within_sse(stats)
    n_values = stats.count.sum(axis=0)
    if y_stats is not None:
        within = np.append(within, _within_sse(y_stats))
    # A column is constant when its smallest and largest values are equal: a test on its
    # range, not on its SSE against its magnitude, which called times microseconds apart
    # (1.7e18 ns) and int64 columns beyond 2**53 constant while full_report saw them vary.
    varying = _column_varies(stats)
    if y_stats is not None:
        varying = np.append(varying, _column_varies(y_stats))
    varying &= total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(varying, 1.0 - np.minimum(within / total, 1.0), np.nan)
    n_features = len(names)
    feature_varying = varying[:n_features]
    # z-scored totals are the counts; z-scored within SSE is count * within / total.
    weights = np.where(feature_varying, n_values, 0)
    weight_sum = weights.sum()
    within_ratio = (
        float((weights * np.where(feature_varying, 1.0 - r2[:n_features], 0.0)).sum() / weight_sum)
        if weight_sum > 0
        else float("nan")
    )

    sizes = stats.sizes.astype(np.float64)
    return PartitionQuality(
        n_samples=n_samples,
        n_partitions=int(stats.n_partitions),
        within_sse_ratio=within_ratio,
        feature_r2={name: float(value) for name, value in zip(names, r2[:n_features])},
        y_r2=None if y_stats is None else float(r2[n_features]),
        min_size=float(sizes.min()),
        median_size=float(np.median(sizes)),
        max_size=float(sizes.max()),
        size_cv=float(sizes.std() / sizes.mean()),
        n_singletons=int(np.count_nonzero(stats.sizes == 1)),
        skipped_columns=skipped_columns,
    )
