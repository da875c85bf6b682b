"""What a profile becomes on disk: the artifact names, ``summary.json`` and ``report.html``.

:class:`~hvrt.PartitionProfiler` computes a :class:`~hvrt.ProfileResult`; this module
only maps it to files, so re-rendering never recomputes anything.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from . import plotting
from ._compat import VIZ_INSTALL_HINT
from ._profile_result import ProfileResult, json_number, size_facts
from ._version import __version__
from .report import FeatureSection, ReportContent, ReportImage, render_report

__all__ = ["feature_folder_names", "render_html", "summary_json", "write_artifacts"]

logger = logging.getLogger(__name__)

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


def write_artifacts(result: ProfileResult, folders: dict[str, str]) -> None:
    """Write every artifact of ``result`` under its ``output_path``; list them in ``result.artifacts``."""
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
        for key, figure in result.figures.items():
            images[key] = plotting.figure_to_png(figure)
        file_of = {"partition_size_distribution": root / SIZES_PNG}
        for feature in result.top_features:
            kind = TREND_PNG if f"{feature}/feature_distribution_trend" in images else DETAILED_PNG
            file_of[f"{feature}/{kind.removesuffix('.png')}"] = root / folders[feature] / kind
        for key, path in file_of.items():
            path.write_bytes(images[key])
            written.append(path)

    (root / REPORT_HTML).write_text(render_html(result, images), encoding="utf-8")
    written.append(root / REPORT_HTML)
    result.artifacts = written
    summary = summary_json(result, folders)
    (root / SUMMARY_JSON).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    result.artifacts.append(root / SUMMARY_JSON)


def summary_json(result: ProfileResult, folders: dict[str, str]) -> dict[str, Any]:
    """The content of ``summary.json``: run facts, per-feature figures, artifact list."""
    scores = result.distribution_scores.set_index("feature")
    features = []
    for row in result.summary.itertuples(index=False):
        feature_report = result.report[row.feature]
        variance, span = feature_report.variance_report, feature_report.span_report
        entry: dict[str, Any] = {
            "feature": row.feature,
            "variance_hhi": json_number(row.variance_hhi),
            "span_hhi": json_number(row.span_hhi),
            "variance_proportion": {
                "min": json_number(variance.min_variance),
                "median": json_number(variance.median_variance),
                "max": json_number(variance.max_variance),
            },
            "span_proportion": {
                "min": json_number(span.min_span),
                "median": json_number(span.median_span),
                "max": json_number(span.max_span),
            },
            "wasserstein": json_number(scores.at[row.feature, "wasserstein"]) if row.feature in scores.index else None,
            "ks": json_number(scores.at[row.feature, "ks"]) if row.feature in scores.index else None,
        }
        if row.feature in folders:
            entry["folder"] = folders[row.feature]
        features.append(entry)
    root = result.output_path
    return {
        "hvrt_version": __version__,
        "n_samples": result.n_samples,
        "n_features": len(result.summary),
        "n_partitions": int(len(result.partition_sizes)),
        "plot_threshold": result.plot_threshold,
        "plots": result.plots,
        "distribution_method": "gaussian",
        "skipped_columns": [str(c) for c in result.skipped_columns],
        "partition_sizes": size_facts(result.partition_sizes.to_numpy()),
        "top_features": result.top_features,
        "features": features,
        "artifacts": [path.relative_to(root).as_posix() for path in result.artifacts] if root else [],
    }


def render_html(result: ProfileResult, images: dict[str, bytes]) -> str:
    """``report.html``: the result mapped onto the report template, images inlined."""
    sizes = size_facts(result.partition_sizes.to_numpy())
    many = len(result.partition_sizes) > result.plot_threshold
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
            f"{result.n_samples:,} rows, {len(result.summary)} numeric features, "
            f"{len(result.partition_sizes):,} partitions"
        ),
        overview=[
            ("rows", f"{result.n_samples:,}"),
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
