"""PartitionProfiler: tables, plots and a self-contained HTML report about a partitioning.

The computation happens once, in :meth:`PartitionProfiler.run_profiling`: the inputs are
checked once, grouped once (:func:`hvrt.grouped_stats`), and that grouping feeds the
:func:`~hvrt.full_report` and the :class:`~hvrt.DistributionAnalyzer` alike; the
per-plot reductions come from :mod:`hvrt._figure_data`. The result
(:mod:`hvrt._profile_result`) is then drawn by :mod:`hvrt.plotting` and written by
:mod:`hvrt._profile_output`, which only format it.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._compat import VIZ_INSTALL_HINT, viz_available
from ._figure_data import binned_violin_samples, partition_box_stats
from ._grouped import GroupedStats, grouped_stats
from ._profile_output import feature_folder_names, write_artifacts
from ._profile_result import ProfileResult
from ._validation import PartitionedData, SeedArgumentNames, check_partitioned, date_zones, resolve_alias
from .distribution import DistributionAnalyzer
from .metrics import FullReport, full_report

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PartitionProfiler", "ProfileResult"]

logger = logging.getLogger(__name__)

TOP_FEATURES = 3


class PartitionProfiler(SeedArgumentNames):
    """Profile a partitioning: summary tables, plots and a self-contained HTML report.

    Parameters
    ----------
    X : DataFrame, ndarray or polars DataFrame of shape (n_samples, n_features)
        The partitioned data. Numeric columns are profiled; object, string, category
        and bool columns get a categorical view (how their categories concentrate in
        partitions, :class:`~hvrt.CategoricalReport`). Array columns are named
        ``f0, f1, ...``. The seed's keyword ``data=`` works too.
    labels : array-like, list, Series or polars Series of shape (n_samples,)
        Partition of each row (ints, whole floats read as ints, text; see
        :func:`~hvrt.full_report`); a pandas Series must have a DataFrame ``X``'s index.
        The seed's keyword ``partition_labels=`` works too.
    plot_threshold : int >= 1, default=50
        Up to this many partitions, plots show every partition (a bar per partition,
        a box per partition); above it, they summarise (a histogram of sizes, the binned
        violin plot).
    output_path : str or path-like, optional
        Folder for the artifacts (created if needed). Without it nothing is written and
        the figures are returned in the result.

    Notes
    -----
    ``X`` and ``labels`` are checked and read when the profiler is made; change the data
    afterwards and make a new profiler.

    Attributes
    ----------
    n_partitions : int
        Distinct labels.
    report : FullReport or None
        The :func:`~hvrt.full_report` of the last :meth:`run_profiling` (None before).
    result : ProfileResult or None
        The result of the last :meth:`run_profiling`.

    Raises
    ------
    TypeError
        If ``X`` or ``labels`` cannot be read (e.g. labels given as a string),
        ``plot_threshold`` is not an integer, or ``output_path`` is not a path.
    ValueError
        On a length or index mismatch, missing labels, infinite values, fewer than 2
        partitions or a ``plot_threshold`` below 1.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hvrt import PartitionProfiler
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 3)), columns=["a", "b", "c"])
    >>> labels = pd.Series(np.arange(200) % 4, index=X.index)
    >>> profiler = PartitionProfiler(X, labels)
    >>> list(profiler.generate_summary_table().columns)
    ['feature', 'variance_hhi', 'span_hhi']
    """

    def __init__(
        self,
        X: Any = None,
        labels: Any = None,
        plot_threshold: int = 50,
        output_path: str | PathLike[str] | None = None,
        *,
        data: Any = None,
        partition_labels: Any = None,
    ) -> None:
        X = resolve_alias(X, data, "X", "data")
        labels = resolve_alias(labels, partition_labels, "labels", "partition_labels")
        self._data: PartitionedData = check_partitioned(X, labels, min_partitions=2)
        if isinstance(plot_threshold, bool) or not isinstance(plot_threshold, (int, np.integer)):
            raise TypeError(f"plot_threshold must be an integer, got {type(plot_threshold).__name__}")
        if plot_threshold < 1:
            raise ValueError(f"plot_threshold must be >= 1, got {plot_threshold}")
        if output_path is not None and not isinstance(output_path, (str, PathLike)):
            raise TypeError(f"output_path must be a str, a path or None, got {type(output_path).__name__}")
        self.n_partitions = self._data.n_partitions
        self.X = X
        self.labels = labels
        self.plot_threshold = int(plot_threshold)
        self.output_path = output_path
        self.report: FullReport | None = None
        self.result: ProfileResult | None = None
        self._stats: GroupedStats | None = None

    def __repr__(self) -> str:
        state = "not run" if self.result is None else repr(self.result)
        return (
            f"PartitionProfiler({self._data.n_samples:,} rows, {self.n_partitions:,} partitions, "
            f"plot_threshold={self.plot_threshold}; {state})"
        )

    # ------------------------------------------------------------------ tables

    def _grouped(self) -> GroupedStats:
        """The one grouping of the numeric columns by label that every table shares."""
        if self._stats is None:
            self._stats = grouped_stats(self._data.values, self._data.labels)
        return self._stats

    def _full_report(self) -> FullReport:
        if self.report is None:
            self.report = full_report(self.X, self.labels, stats=self._grouped())
        return self.report

    def generate_summary_table(self) -> pd.DataFrame:
        """Variance and span HHI of every numeric feature, most concentrated first.

        Computes the :func:`~hvrt.full_report` if :meth:`run_profiling` has not yet.

        Returns
        -------
        DataFrame
            Columns ``feature``, ``variance_hhi``, ``span_hhi``, sorted by
            ``variance_hhi`` descending (ties keep column order), with a fresh index. The
            HHIs are NaN where no partition has any spread (a constant or empty feature,
            partitions of one row): such features come last.
        """
        table = self._full_report().to_pandas()[["variance_hhi", "span_hhi"]].reset_index()
        return table.sort_values("variance_hhi", ascending=False, kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ the run

    def run_profiling(self) -> ProfileResult:
        """Compute the report and, with ``output_path``, write every artifact.

        With ``output_path`` the folder receives exactly: ``feature_summary.csv``,
        ``partition_size_distribution.png``, one folder per top-3 feature (by variance
        HHI) holding ``feature_distribution_trend.png`` (more than ``plot_threshold``
        partitions) or ``feature_distribution_detailed.png`` (otherwise) plus
        ``prop_variance_distribution.csv`` and ``prop_span_distribution.csv``,
        ``summary.json``, ``report.html`` and ``hvrt_manifest.json``. Without matplotlib
        the PNG files are skipped (the rest is still written) and one warning says how to
        install plots. In the CSV files a text cell (a feature name, a text partition label)
        that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
        ``'``, so a spreadsheet shows it instead of running it as a formula; numbers never do.

        The manifest lists every file the run wrote (with its SHA-256) and the folders it
        made. A later run into the same folder removes the files of the earlier manifest
        that it does not write again, if their content is unchanged, and the folders the
        earlier run made once they are empty; it never removes anything else. The folder
        then holds exactly the files ``summary.json`` lists under ``artifacts``, besides
        the user's own.

        Returns
        -------
        ProfileResult
            Also kept as :attr:`result`; the full report is kept as :attr:`report`.

        Raises
        ------
        ValueError
            If ``X`` has no numeric column.
        """
        data = self._data
        if not data.feature_names:
            raise ValueError(
                f"X has no numeric column to profile; its columns are {list(data.skipped_columns)}"
            )
        stats = self._grouped()
        report = self._full_report()
        summary = self.generate_summary_table()
        analyzer = DistributionAnalyzer(self.X, self.labels).fit(stats=stats)
        sizes = pd.Series(
            stats.sizes,
            index=pd.Index(data.original_labels(stats.partition_ids), name="partition"),
            name="size",
        )
        scores = analyzer.scores()
        # a column with no value at all has nothing to draw (scores() leaves it out too)
        drawable = set(map(str, scores["feature"]))
        top_features = [str(f) for f in summary["feature"] if str(f) in drawable][:TOP_FEATURES]
        logger.info("profiling %d partitions of %d rows", len(sizes), data.n_samples)

        plots = viz_available()
        if not plots:
            warnings.warn(
                "matplotlib is not installed, so the profiler wrote tables but no plots. "
                f"To enable plots, install the extra: {VIZ_INSTALL_HINT}",
                UserWarning,
                stacklevel=2,
            )
        figures = self._figures(analyzer, stats, sizes, top_features) if plots else {}
        columns = [data.feature_names.index(f) for f in top_features]
        result = ProfileResult(
            summary=summary,
            report=report,
            partition_sizes=sizes,
            top_features=top_features,
            distribution_scores=scores,
            figures=figures,
            output_path=Path(self.output_path) if self.output_path is not None else None,
            skipped_columns=list(data.skipped_columns),
            plots=plots,
            n_samples=data.n_samples,
            plot_threshold=self.plot_threshold,
            missing=missing_table(stats, data.feature_names),
            values_per_partition=pd.DataFrame(stats.count[:, columns], index=sizes.index, columns=top_features),
        )
        if result.output_path is not None:
            write_artifacts(result, feature_folder_names(top_features))
        self.result = result
        return result

    def _figures(
        self, analyzer: DistributionAnalyzer, stats: GroupedStats, sizes: pd.Series, top_features: list[str]
    ) -> dict[str, Figure]:
        from . import plotting

        many = len(sizes) > self.plot_threshold
        figures = {
            "partition_size_distribution": plotting.plot_partition_sizes(
                sizes.index.to_numpy(), sizes.to_numpy(), as_histogram=many
            )
        }
        time_kinds = self._data.time_kinds
        zones = {} if self._data.frame is None else date_zones(self._data.frame)
        for feature in top_features:
            j = self._data.feature_names.index(feature)
            values = self._data.values[:, j]
            if many:
                binned = binned_violin_samples(values, stats.codes, stats.mean[:, j], feature)
                binned = dataclasses.replace(binned, time_kind=time_kinds.get(feature), time_zone=zones.get(feature))
                figures[f"{feature}/feature_distribution_trend"] = plotting.plot_binned_violin(binned)
            else:
                boxes = partition_box_stats(values, stats.codes, sizes.index.to_numpy(), feature)
                boxes = dataclasses.replace(boxes, time_kind=time_kinds.get(feature), time_zone=zones.get(feature))
                figures[f"{feature}/feature_distribution_detailed"] = plotting.plot_partition_boxes(boxes)
            # the analyzer's comparison carries the missing count and the point masses
            figures[f"{feature}/distribution_comparison"] = plotting.plot_distribution_comparison(analyzer.compare(feature))
        return figures


def missing_table(stats: GroupedStats, features: list[str]) -> pd.DataFrame:
    """Per numeric feature: its missing values, their share of the rows, and the partitions
    that have no value of it.

    Parameters
    ----------
    stats : GroupedStats
        The grouping of the numeric columns, in ``features`` order.
    features : list of str

    Returns
    -------
    DataFrame
        Columns ``feature``, ``n_missing``, ``missing_share``, ``partitions_without_values``.
    """
    n_rows = len(stats.codes)
    present = stats.count.sum(axis=0)
    return pd.DataFrame(
        {
            "feature": features,
            "n_missing": (n_rows - present).astype(np.int64),
            "missing_share": (n_rows - present) / n_rows,
            "partitions_without_values": (stats.count == 0).sum(axis=0).astype(np.int64),
        }
    )
