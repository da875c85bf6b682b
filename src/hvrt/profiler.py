"""PartitionProfiler: tables, plots and a self-contained HTML report about a partitioning.

The computation happens once, in :meth:`PartitionProfiler.run_profiling`: one
:func:`~hvrt.full_report`, one grouped pass (shared with the
:class:`~hvrt.DistributionAnalyzer`), and the small per-plot reductions below. Plots
(:mod:`hvrt.plotting`) and the HTML (:mod:`hvrt.report`) only format those results.
"""

from __future__ import annotations

import json
import logging
import math
import re
import warnings
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._compat import VIZ_INSTALL_HINT, viz_available
from .distribution import DistributionAnalyzer, check_partitioned_data

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "BinnedSamples",
    "PartitionBoxes",
    "PartitionProfiler",
    "ProfileResult",
    "binned_violin_samples",
    "partition_box_stats",
]

logger = logging.getLogger(__name__)

TOP_FEATURES = 3
VIOLIN_BINS = 20
VIOLIN_SAMPLES_PER_BIN = 2000

# Names of the files written at the top of ``output_path``; feature folders must not clash.
SUMMARY_CSV = "feature_summary.csv"
SIZES_PNG = "partition_size_distribution.png"
SUMMARY_JSON = "summary.json"
REPORT_HTML = "report.html"
TREND_PNG = "feature_distribution_trend.png"
DETAILED_PNG = "feature_distribution_detailed.png"
VARIANCE_CSV = "prop_variance_distribution.csv"
SPAN_CSV = "prop_span_distribution.csv"
_TOP_LEVEL_NAMES = {SUMMARY_CSV, SIZES_PNG, SUMMARY_JSON, REPORT_HTML}
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


# --------------------------------------------------------------------------- plot data


@dataclass(frozen=True)
class BinnedSamples:
    """Data for the binned violin plot of one feature.

    Attributes
    ----------
    feature : str
    n_partitions : int
    samples : list of ndarray
        One array per rank bin (possibly empty): a bounded random sample of the raw values
        of the bin's rows, plus the bin's smallest and largest value so the violin spans
        the bin's full data range.
    partitions_per_bin : ndarray of shape (n_bins,)
    rows_per_bin : ndarray of shape (n_bins,)
        Non-missing values per bin before sampling.
    """

    feature: str
    n_partitions: int
    samples: list[np.ndarray]
    partitions_per_bin: np.ndarray
    rows_per_bin: np.ndarray


@dataclass(frozen=True)
class PartitionBoxes:
    """Box-plot statistics of one feature, one box per partition.

    Attributes
    ----------
    feature : str
    stats : list of dict
        In :meth:`matplotlib.axes.Axes.bxp` form: ``label``, ``q1``, ``med``, ``q3``,
        ``whislo``, ``whishi`` (whiskers at the most extreme values within 1.5 IQR).
        Partitions without a value of the feature are left out.
    """

    feature: str
    stats: list[dict[str, Any]]


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
    most ``max_per_bin`` of its values, which bounds the plotting cost for big data.

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

    rows = np.flatnonzero(~np.isnan(values))
    rows = rows[np.random.default_rng(random_state).permutation(len(rows))]
    row_bin = bin_of_partition[codes[rows]]
    order = np.argsort(row_bin.astype(np.int16), kind="stable")  # radix sort; keeps the shuffle
    rows, row_bin = rows[order], row_bin[order]
    rows_per_bin = np.bincount(row_bin, minlength=n_bins)
    position_in_bin = np.arange(len(rows)) - np.repeat(np.cumsum(rows_per_bin) - rows_per_bin, rows_per_bin)
    kept = position_in_bin < max_per_bin
    sampled = np.split(values[rows[kept]], np.cumsum(np.minimum(rows_per_bin, max_per_bin))[:-1])

    # Add each bin's extremes so the violin reaches the bin's true data range.
    filled = np.flatnonzero(rows_per_bin)
    starts = (np.cumsum(rows_per_bin) - rows_per_bin)[filled]
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
    return PartitionBoxes(feature=feature, stats=stats)


def feature_folder_names(features: list[str]) -> dict[str, str]:
    """A safe, unique folder name for each feature.

    Characters other than letters, digits, ``.``, ``_`` and ``-`` become ``_``; leading
    dots are dropped; names are cut to 100 characters; Windows device names, the profiler's
    own file names and collisions get a suffix.

    Parameters
    ----------
    features : list of str

    Returns
    -------
    dict of str to str
    """
    taken = {name.lower() for name in _TOP_LEVEL_NAMES}
    folders = {}
    for feature in features:
        base = re.sub(r"[^A-Za-z0-9._-]", "_", str(feature)).lstrip(".")[:100] or "feature"
        if base.lower() in _WINDOWS_RESERVED or base.lower().split(".")[0] in _WINDOWS_RESERVED:
            base = f"{base}_"
        candidate, counter = base, 2
        while candidate.lower() in taken:
            candidate, counter = f"{base}_{counter}", counter + 1
        taken.add(candidate.lower())
        folders[feature] = candidate
    return folders


# --------------------------------------------------------------------------- result


@dataclass
class ProfileResult:
    """What :meth:`PartitionProfiler.run_profiling` computed and produced.

    Attributes
    ----------
    summary : DataFrame
        ``feature``, ``variance_hhi``, ``span_hhi``, sorted by ``variance_hhi``
        (highest first).
    report : FullReport
        The :func:`~hvrt.full_report` output, ``{feature: FeatureReport}``.
    partition_sizes : Series
        Rows per partition, indexed by partition label.
    top_features : list of str
        The (up to 3) features with the highest variance HHI, which get plots.
    distribution_scores : DataFrame
        ``feature``, ``wasserstein``, ``ks`` of every numeric feature
        (:meth:`~hvrt.DistributionAnalyzer.scores`).
    figures : dict of str to Figure
        ``"partition_size_distribution"``, ``"<feature>/feature_distribution_trend"`` or
        ``"<feature>/feature_distribution_detailed"``, and
        ``"<feature>/distribution_comparison"``. Empty without matplotlib.
    artifacts : list of Path
        Files written (empty without ``output_path``).
    output_path : Path or None
    skipped_columns : list
        Non-numeric columns, which have no statistics.
    plots : bool
        Whether matplotlib was available to draw the figures.
    """

    summary: pd.DataFrame
    report: dict[str, Any]
    partition_sizes: pd.Series
    top_features: list[str]
    distribution_scores: pd.DataFrame
    figures: dict[str, Figure] = field(default_factory=dict)
    artifacts: list[Path] = field(default_factory=list)
    output_path: Path | None = None
    skipped_columns: list[Any] = field(default_factory=list)
    plots: bool = True

    def to_pandas(self) -> pd.DataFrame:
        """The summary table joined with the distribution scores, one row per feature.

        Returns
        -------
        DataFrame
        """
        return self.summary.merge(self.distribution_scores, on="feature", how="left")

    def __repr__(self) -> str:
        where = f"written to {str(self.output_path)!r}" if self.output_path else "nothing written"
        return (
            f"ProfileResult({len(self.partition_sizes)} partitions, {len(self.summary)} features, "
            f"top features {self.top_features}, {len(self.figures)} figures, {where})"
        )


def _json_number(value: Any) -> Any:
    """A float for JSON, with NaN and infinities as null."""
    value = float(value)
    return value if math.isfinite(value) else None


def _size_facts(sizes: np.ndarray) -> dict[str, Any]:
    mean = float(sizes.mean())
    return {
        "min": int(sizes.min()),
        "median": float(np.median(sizes)),
        "max": int(sizes.max()),
        "mean": mean,
        "cv": float(sizes.std() / mean),
        "n_singletons": int(np.sum(sizes == 1)),
    }


# --------------------------------------------------------------------------- profiler


class PartitionProfiler:
    """Profile a partitioning: summary tables, plots and a self-contained HTML report.

    Parameters
    ----------
    data : DataFrame
        The partitioned data. Numeric columns are profiled; object, string, category
        and bool columns are skipped.
    partition_labels : Series or 1-D array-like
        Partition of each row; a Series must have ``data``'s index.
    plot_threshold : int >= 1, default=50
        Up to this many partitions, plots show every partition (a bar per partition,
        a box per partition); above it, they summarise (a histogram of sizes, the binned
        violin plot).
    output_path : str or path-like, optional
        Folder for the artifacts (created if needed). Without it nothing is written and
        the figures are returned in the result.

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
        If ``data`` is not a DataFrame, ``partition_labels`` is not a Series, array or
        list, ``plot_threshold`` is not an integer, or ``output_path`` is not a path.
    ValueError
        On a length or index mismatch, missing labels, fewer than 2 partitions or a
        ``plot_threshold`` below 1.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hvrt import PartitionProfiler
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 3)), columns=["a", "b", "c"])
    >>> labels = pd.Series(np.arange(200) % 4, index=X.index)
    >>> profiler = PartitionProfiler(data=X, partition_labels=labels)
    >>> list(profiler.generate_summary_table().columns)
    ['feature', 'variance_hhi', 'span_hhi']
    """

    def __init__(
        self,
        data: pd.DataFrame,
        partition_labels: pd.Series | np.ndarray | list,
        plot_threshold: int = 50,
        output_path: str | PathLike[str] | None = None,
    ) -> None:
        self._labels = check_partitioned_data(data, partition_labels)
        if isinstance(plot_threshold, bool) or not isinstance(plot_threshold, (int, np.integer)):
            raise TypeError(f"plot_threshold must be an integer, got {type(plot_threshold).__name__}")
        if plot_threshold < 1:
            raise ValueError(f"plot_threshold must be >= 1, got {plot_threshold}")
        if output_path is not None and not isinstance(output_path, (str, PathLike)):
            raise TypeError(f"output_path must be a str, a path or None, got {type(output_path).__name__}")
        self.n_partitions = int(pd.Series(self._labels).nunique())
        if self.n_partitions < 2:
            raise ValueError(
                f"partition_labels holds {self.n_partitions} distinct partition; profiling needs "
                "at least 2 to compare how statistics spread across them"
            )
        self.data = data
        self.partition_labels = partition_labels
        self.plot_threshold = int(plot_threshold)
        self.output_path = output_path
        self.report: dict[str, Any] | None = None
        self.result: ProfileResult | None = None

    # ------------------------------------------------------------------ tables

    def _full_report(self) -> dict[str, Any]:
        from .metrics import full_report

        if self.report is None:
            self.report = full_report(self.data, self._labels)
        return self.report

    def generate_summary_table(self) -> pd.DataFrame:
        """Variance and span HHI of every numeric feature, most concentrated first.

        Computes the :func:`~hvrt.full_report` if :meth:`run_profiling` has not yet.

        Returns
        -------
        DataFrame
            Columns ``feature``, ``variance_hhi``, ``span_hhi``, sorted by
            ``variance_hhi`` descending (ties keep column order), with a fresh index.
        """
        rows = [
            {
                "feature": name,
                "variance_hhi": feature_report.variance_report.hhi,
                "span_hhi": feature_report.span_report.hhi,
            }
            for name, feature_report in self._full_report().items()
        ]
        table = pd.DataFrame(rows, columns=["feature", "variance_hhi", "span_hhi"])
        return table.sort_values("variance_hhi", ascending=False, kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ the run

    def run_profiling(self) -> ProfileResult:
        """Compute the report and, with ``output_path``, write every artifact.

        With ``output_path`` the folder receives exactly: ``feature_summary.csv``,
        ``partition_size_distribution.png``, one folder per top-3 feature (by variance
        HHI) holding ``feature_distribution_trend.png`` (more than ``plot_threshold``
        partitions) or ``feature_distribution_detailed.png`` (otherwise) plus
        ``prop_variance_distribution.csv`` and ``prop_span_distribution.csv``,
        ``summary.json`` and ``report.html``. Without matplotlib the PNG files are
        skipped (the rest is still written) and one warning says how to install plots.

        Returns
        -------
        ProfileResult
            Also kept as :attr:`result`; the full report is kept as :attr:`report`.

        Raises
        ------
        ValueError
            If ``data`` has no numeric column.
        """
        self.report = None  # recompute: the data may have been modified in place
        report = self._full_report()
        summary = self.generate_summary_table()
        analyzer = DistributionAnalyzer(self.data, self._labels).fit()
        stats = analyzer.stats_
        sizes = pd.Series(stats.sizes, index=pd.Index(stats.partition_ids, name="partition"), name="size")
        scores = analyzer.scores()
        top_features = [str(f) for f in summary["feature"].head(TOP_FEATURES)]
        folders = feature_folder_names(top_features)
        logger.info("profiling %d partitions of %d rows", len(sizes), len(self.data))

        plots = viz_available()
        if not plots:
            warnings.warn(
                "matplotlib is not installed, so the profiler wrote tables but no plots. "
                f"To enable plots, install the extra: {VIZ_INSTALL_HINT}",
                UserWarning,
                stacklevel=2,
            )
        figures = self._figures(analyzer, sizes, top_features) if plots else {}
        result = ProfileResult(
            summary=summary,
            report=report,
            partition_sizes=sizes,
            top_features=top_features,
            distribution_scores=scores,
            figures=figures,
            output_path=Path(self.output_path) if self.output_path is not None else None,
            skipped_columns=list(getattr(report, "skipped_columns", analyzer.skipped_columns_)),
            plots=plots,
        )
        if result.output_path is not None:
            self._write(result, folders)
        self.result = result
        return result

    def _figures(
        self, analyzer: DistributionAnalyzer, sizes: pd.Series, top_features: list[str]
    ) -> dict[str, Figure]:
        from . import plotting

        stats = analyzer.stats_
        many = len(sizes) > self.plot_threshold
        figures = {
            "partition_size_distribution": plotting.plot_partition_sizes(
                sizes.index.to_numpy(), sizes.to_numpy(), as_histogram=many
            )
        }
        for feature in top_features:
            j = analyzer._column(feature)
            values = analyzer._values[:, j]
            if many:
                binned = binned_violin_samples(values, stats.codes, stats.mean[:, j], feature)
                figures[f"{feature}/feature_distribution_trend"] = plotting.plot_binned_violin(binned)
            else:
                boxes = partition_box_stats(values, stats.codes, stats.partition_ids, feature)
                figures[f"{feature}/feature_distribution_detailed"] = plotting.plot_partition_boxes(boxes)
            figures[f"{feature}/distribution_comparison"] = plotting.plot_distribution_comparison(
                analyzer.compare(feature)
            )
        return figures

    # ------------------------------------------------------------------ writing

    def _write(self, result: ProfileResult, folders: dict[str, str]) -> None:
        root = result.output_path
        assert root is not None
        root.mkdir(parents=True, exist_ok=True)
        logger.info("saving artifacts to %s", root.resolve())
        written: list[Path] = []

        result.summary.to_csv(root / SUMMARY_CSV, index=False)
        written.append(root / SUMMARY_CSV)
        partition_ids = result.partition_sizes.index
        for feature in result.top_features:
            folder = root / folders[feature]
            folder.mkdir(exist_ok=True)
            feature_report = result.report[feature]
            for file_name, sub_report, column in (
                (VARIANCE_CSV, feature_report.variance_report, "variance_proportion"),
                (SPAN_CSV, feature_report.span_report, "span_proportion"),
            ):
                frame = pd.DataFrame({"partition": partition_ids, column: sub_report.distribution})
                frame.to_csv(folder / file_name, index=False)
                written.append(folder / file_name)

        images: dict[str, bytes] = {}
        if result.figures:
            from . import plotting

            for key, figure in result.figures.items():
                images[key] = plotting.figure_to_png(figure)
            file_of = {"partition_size_distribution": root / SIZES_PNG}
            for feature in result.top_features:
                kind = TREND_PNG if f"{feature}/feature_distribution_trend" in images else DETAILED_PNG
                file_of[f"{feature}/{kind.removesuffix('.png')}"] = root / folders[feature] / kind
            for key, path in file_of.items():
                path.write_bytes(images[key])
                written.append(path)

        (root / REPORT_HTML).write_text(self._render_html(result, images), encoding="utf-8")
        written.append(root / REPORT_HTML)
        result.artifacts = written
        summary = self._summary_json(result, folders)
        (root / SUMMARY_JSON).write_text(json.dumps(summary, indent=2), encoding="utf-8")
        result.artifacts.append(root / SUMMARY_JSON)

    def _summary_json(self, result: ProfileResult, folders: dict[str, str]) -> dict[str, Any]:
        from . import __version__

        scores = result.distribution_scores.set_index("feature")
        features = []
        for row in result.summary.itertuples(index=False):
            feature_report = result.report[row.feature]
            variance, span = feature_report.variance_report, feature_report.span_report
            entry: dict[str, Any] = {
                "feature": row.feature,
                "variance_hhi": _json_number(row.variance_hhi),
                "span_hhi": _json_number(row.span_hhi),
                "variance_proportion": {
                    "min": _json_number(variance.min_variance),
                    "median": _json_number(variance.median_variance),
                    "max": _json_number(variance.max_variance),
                },
                "span_proportion": {
                    "min": _json_number(span.min_span),
                    "median": _json_number(span.median_span),
                    "max": _json_number(span.max_span),
                },
                "wasserstein": _json_number(scores.at[row.feature, "wasserstein"]) if row.feature in scores.index else None,
                "ks": _json_number(scores.at[row.feature, "ks"]) if row.feature in scores.index else None,
            }
            if row.feature in folders:
                entry["folder"] = folders[row.feature]
            features.append(entry)
        root = result.output_path
        return {
            "hvrt_version": __version__,
            "n_samples": int(len(self.data)),
            "n_features": len(result.summary),
            "n_partitions": int(len(result.partition_sizes)),
            "plot_threshold": self.plot_threshold,
            "plots": result.plots,
            "distribution_method": "gaussian",
            "skipped_columns": [str(c) for c in result.skipped_columns],
            "partition_sizes": _size_facts(result.partition_sizes.to_numpy()),
            "top_features": result.top_features,
            "features": features,
            "artifacts": [path.relative_to(root).as_posix() for path in result.artifacts] if root else [],
        }

    def _render_html(self, result: ProfileResult, images: dict[str, bytes]) -> str:
        from .report import FeatureSection, ReportContent, ReportImage, render_report

        sizes = _size_facts(result.partition_sizes.to_numpy())
        many = len(result.partition_sizes) > self.plot_threshold
        scores = result.distribution_scores.set_index("feature")
        sections = []
        for feature in result.top_features:
            variance = result.report[feature].variance_report
            span = result.report[feature].span_report
            table = pd.DataFrame(
                {
                    "statistic": ["HHI", "min share", "median share", "max share"],
                    "variance": [variance.hhi, variance.min_variance, variance.median_variance, variance.max_variance],
                    "span": [span.hhi, span.min_span, span.median_span, span.max_span],
                }
            )
            facts = [("variance HHI", f"{variance.hhi:.4g}"), ("span HHI", f"{span.hhi:.4g}")]
            if feature in scores.index:
                facts += [
                    ("Wasserstein / std", f"{scores.at[feature, 'wasserstein']:.3g}"),
                    ("KS", f"{scores.at[feature, 'ks']:.3g}"),
                ]
            kind = "feature_distribution_trend" if many else "feature_distribution_detailed"
            caption = (
                "Binned violin plot: partitions sorted by their mean, 20 equal-width rank bins"
                if many
                else "One box per partition (whiskers at 1.5 IQR, outliers not drawn)"
            )
            own = [ReportImage(images[f"{feature}/{kind}"], caption)] if f"{feature}/{kind}" in images else []
            sections.append(FeatureSection(feature=feature, facts=facts, table=table, images=own))
        comparisons = [
            ReportImage(images[f"{f}/distribution_comparison"], f"'{f}': original (solid) vs. reconstruction (dashed)")
            for f in result.top_features
            if f"{f}/distribution_comparison" in images
        ]
        notes = [] if result.plots else [f"Plots are missing because matplotlib is not installed: {VIZ_INSTALL_HINT}"]
        if result.skipped_columns:
            notes.append(f"Non-numeric columns skipped: {', '.join(map(str, result.skipped_columns))}")
        content = ReportContent(
            title="Partition profile",
            subtitle=(
                f"{len(self.data):,} rows, {len(result.summary)} numeric features, "
                f"{len(result.partition_sizes):,} partitions"
            ),
            overview=[
                ("rows", f"{len(self.data):,}"),
                ("numeric features", str(len(result.summary))),
                ("partitions", f"{len(result.partition_sizes):,}"),
                ("median partition size", f"{sizes['median']:g}"),
            ],
            summary_table=result.to_pandas(),
            size_facts=[
                ("min", str(sizes["min"])),
                ("median", f"{sizes['median']:g}"),
                ("max", str(sizes["max"])),
                ("coefficient of variation", f"{sizes['cv']:.3g}"),
                ("single-row partitions", str(sizes["n_singletons"])),
            ],
            size_image=(
                ReportImage(images["partition_size_distribution"], "Rows per partition")
                if "partition_size_distribution" in images
                else None
            ),
            feature_sections=sections,
            comparison_images=comparisons,
            scores_table=result.distribution_scores,
            notes=notes,
            footer="Generated by hvrt-partitioner's PartitionProfiler. Self-contained: no network access needed.",
        )
        return render_report(content)
