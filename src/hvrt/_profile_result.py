"""ProfileResult: what one profiling run computed, as plain data and tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ProfileResult", "json_number", "size_facts"]


@dataclass
class ProfileResult:
    """What :meth:`PartitionProfiler.run_profiling` computed and produced.

    Attributes
    ----------
    summary : DataFrame
        ``feature``, ``variance_hhi``, ``span_hhi``, sorted by ``variance_hhi``
        (highest first).
    report : FullReport
        The :func:`~hvrt.full_report` output, ``{feature: FeatureReport}``; its
        ``categorical`` holds the view of every categorical column.
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
        Non-numeric columns, which have no numeric statistics (see ``report.categorical``).
    plots : bool
        Whether matplotlib was available to draw the figures.
    n_samples : int
        Rows profiled.
    plot_threshold : int
        The profiler's ``plot_threshold``: above it, plots summarise the partitions.
    missing : DataFrame
        One row per numeric feature: ``feature``, ``n_missing`` (rows without a value),
        ``missing_share`` (of all rows) and ``partitions_without_values``. The HHIs, plots
        and scores are of the values present; a partition without a value holds a share 0 of
        a feature's variance and span.
    values_per_partition : DataFrame
        Non-missing values of each top feature (columns) in each partition (rows, as
        ``partition_sizes``).
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
    n_samples: int = 0
    plot_threshold: int = 50
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)
    values_per_partition: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_pandas(self) -> pd.DataFrame:
        """The summary table joined with the distribution scores and the missing values,
        one row per feature.

        Returns
        -------
        DataFrame
            ``feature``, ``variance_hhi``, ``span_hhi``, ``wasserstein``, ``ks``,
            ``n_missing``, ``missing_share``, ``partitions_without_values``.
        """
        table = self.summary.merge(self.distribution_scores, on="feature", how="left")
        return table.merge(self.missing, on="feature", how="left") if not self.missing.empty else table

    def __repr__(self) -> str:
        where = f"written to {str(self.output_path)!r}" if self.output_path else "nothing written"
        return (
            f"ProfileResult({len(self.partition_sizes)} partitions, {len(self.summary)} features, "
            f"top features {self.top_features}, {len(self.figures)} figures, {where})"
        )


def json_number(value: Any) -> float | None:
    """A float for JSON, with NaN and infinities as null."""
    value = float(value)
    return value if math.isfinite(value) else None


def size_facts(sizes: np.ndarray) -> dict[str, Any]:
    """Min, median, max, mean, coefficient of variation and single-row count of sizes."""
    mean = float(sizes.mean())
    return {
        "min": int(sizes.min()),
        "median": float(np.median(sizes)),
        "max": int(sizes.max()),
        "mean": mean,
        "cv": float(sizes.std() / mean),
        "n_singletons": int(np.sum(sizes == 1)),
    }
