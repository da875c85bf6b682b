"""What a profile becomes on disk: the artifact names, ``summary.json`` and ``report.html``.

:class:`~hvrt.PartitionProfiler` computes a :class:`~hvrt.ProfileResult`; this module
only maps it to files, so re-rendering never recomputes anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from . import plotting
from ._atomic import replace_with
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
# Lists what a run wrote, so that the next run into the folder removes only its own files.
MANIFEST_JSON = "hvrt_manifest.json"
MANIFEST_GENERATOR = "hvrt.PartitionProfiler"
TREND_PNG = "feature_distribution_trend.png"
DETAILED_PNG = "feature_distribution_detailed.png"
VARIANCE_CSV = "prop_variance_distribution.csv"
SPAN_CSV = "prop_span_distribution.csv"
_TOP_LEVEL_NAMES = {SUMMARY_CSV, SIZES_PNG, SUMMARY_JSON, REPORT_HTML, MANIFEST_JSON}
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
    """Write every artifact of ``result`` under its ``output_path``; list them in ``result.artifacts``.

    A re-run into the same folder removes what the previous run wrote and this run does
    not (see :func:`_remove_stale`), so the folder holds exactly what ``summary.json``
    lists, plus any file of the user's, which is never touched. Each file is written to a
    temporary file beside it and renamed over it, so a link in the folder is replaced, never
    written through (its target is left as it was). A feature folder's name taken by a file
    or a link of the user's goes to a free name instead (with a warning, see
    :func:`_free_folders`); a folder where a file goes is refused before anything is written.
    A text cell of the CSV files (a feature name, a text partition label) that starts with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading ``'``, so a
    spreadsheet shows it rather than running it as a formula (see :func:`_guard_text_cells`).

    Raises
    ------
    IsADirectoryError
        If a folder stands where the run writes a file (``report.html``, ``x/prop_span_distribution.csv``).
    """
    root = result.output_path
    assert root is not None
    root.mkdir(parents=True, exist_ok=True)
    folders = _free_folders(root, folders, result.top_features)
    logger.info("saving artifacts to %s", root.resolve())
    contents: dict[str, bytes] = {}  # relative path -> bytes, in writing order

    summary = _guard_text_cells(_without_undefined_hhi(result.summary), ["feature"])
    contents[SUMMARY_CSV] = summary.to_csv(index=False).encode("utf-8")
    partition_ids = result.partition_sizes.index
    for feature in result.top_features:
        feature_report = result.report[feature]
        for file_name, sub_report, column in (
            (VARIANCE_CSV, feature_report.variance_report, "variance_proportion"),
            (SPAN_CSV, feature_report.span_report, "span_proportion"),
        ):
            # shares of a total of 0 are not measured: empty fields (see _spread)
            shares = sub_report.distribution if _spread(sub_report) else np.full(len(partition_ids), np.nan)
            frame = pd.DataFrame({"partition": partition_ids, column: shares})
            if feature in result.values_per_partition:
                # a share of 0 may be a partition without a value of the feature: say which
                present = result.values_per_partition[feature].to_numpy()
                frame["n_values"] = present
                frame["n_missing"] = result.partition_sizes.to_numpy() - present
            frame = _guard_text_cells(frame, ["partition"])
            contents[f"{folders[feature]}/{file_name}"] = frame.to_csv(index=False).encode("utf-8")

    images: dict[str, bytes] = {}
    if result.figures:
        for key, figure in result.figures.items():
            images[key] = plotting.figure_to_png(figure)
        contents[SIZES_PNG] = images["partition_size_distribution"]
        for feature in result.top_features:
            kind = TREND_PNG if f"{feature}/feature_distribution_trend" in images else DETAILED_PNG
            contents[f"{folders[feature]}/{kind}"] = images[f"{feature}/{kind.removesuffix('.png')}"]

    contents[REPORT_HTML] = render_html(result, images).encode("utf-8")
    artifacts = [*contents, SUMMARY_JSON, MANIFEST_JSON]
    summary = summary_json(result, folders, artifacts)
    contents[SUMMARY_JSON] = json.dumps(summary, indent=2).encode("utf-8")

    for path in [*contents, SUMMARY_JSON, MANIFEST_JSON]:  # before the first file is written
        if (root / path).is_dir() and not (root / path).is_symlink():
            raise IsADirectoryError(
                f"{str(root / path)!r} is a folder, where the profile writes its file {path!r}; "
                "move that folder or write the profile to another folder"
            )
    previous = _read_manifest(root)
    used_folders = sorted({folders[feature] for feature in result.top_features})
    own_folders = [f for f in used_folders if f in previous.folders or not (root / f).exists()]
    hashes = {path: _sha256(data) for path, data in contents.items()}
    # Until this run is complete, the manifest lists the earlier run's files as well as this
    # run's: an interrupted run still leaves a manifest that knows everything it may have left.
    _write_manifest(root, {**previous.files, **hashes}, sorted({*previous.folders, *own_folders}))
    for path, data in contents.items():
        target = root / path
        target.parent.mkdir(exist_ok=True)
        replace_with(target, data)
    _remove_stale(root, previous, keep_files=set(hashes), keep_folders=set(used_folders))
    # A folder the profiler made stays its own while user files keep it alive.
    left_over = [f for f in previous.folders if f not in used_folders and (root / f).is_dir()]
    _write_manifest(root, hashes, sorted({*own_folders, *left_over}))
    result.artifacts = [root / path for path in artifacts]


# A text cell a spreadsheet would run as a formula (OWASP's "CSV injection" list).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guard_text_cells(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with each text cell of ``columns`` (a feature name, a text partition label)
    that starts like a formula prefixed with ``'``, as OWASP recommends for CSV files people
    open in Excel or LibreOffice: a column named ``=HYPERLINK(...)`` is data, not a formula.
    Numbers are never touched (a partition ``-1`` stays ``-1``)."""
    guarded = {}
    for column in columns:
        values = frame[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            risky = values.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_STARTS)).to_numpy(dtype=bool)
            if risky.any():
                guarded[column] = values.astype(object).where(~risky, "'" + values.astype(str))
    return frame.assign(**guarded) if guarded else frame


def _free_folders(root: Path, folders: dict[str, str], features: list[str]) -> dict[str, str]:
    """``folders`` with each feature folder that a file or a link holds in ``root`` renamed to a free name.

    Writing into a link to a folder would write into its target, wherever that is, and a
    file of the user's cannot hold the feature's files; either is left alone, and the
    feature's files go to ``<name>_2`` (or the next free suffix), with a warning.
    """
    taken = {name.lower() for name in _TOP_LEVEL_NAMES} | {name.lower() for name in folders.values()}
    free = dict(folders)
    for feature in features:
        base = folders[feature]
        path = root / base
        if not _blocked(path):
            continue
        counter = 2
        while f"{base}_{counter}".lower() in taken or _blocked(root / f"{base}_{counter}"):
            counter += 1
        free[feature] = f"{base}_{counter}"
        taken.add(free[feature].lower())
        what = "a link" if path.is_symlink() else "a file"
        warnings.warn(
            f"{str(path)!r} is {what}, not a folder the profiler may write into; the files of feature "
            f"{feature!r} go to {free[feature]!r} instead",
            UserWarning,
            stacklevel=4,
        )
    return free


def _blocked(path: Path) -> bool:
    """Whether a file or a link stands at ``path`` (so no feature folder of the profiler's can)."""
    return path.is_symlink() or (path.exists() and not path.is_dir())


@dataclass(frozen=True)
class _Manifest:
    """What an earlier run wrote: file -> SHA-256 of its content, and the folders it made."""

    files: dict[str, str]
    folders: tuple[str, ...]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _inside(root: Path, relative: Any) -> Path | None:
    """``root / relative`` if ``relative`` is a plain relative path that stays under ``root``."""
    if not isinstance(relative, str) or not relative:
        return None
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or "\\" in relative or ":" in relative:
        return None
    return root.joinpath(*path.parts)


def _read_manifest(root: Path) -> _Manifest:
    """The earlier run's manifest; an empty one if there is none or it is not the profiler's."""
    empty = _Manifest(files={}, folders=())
    try:
        content = json.loads((root / MANIFEST_JSON).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty
    except (OSError, ValueError):
        logger.warning("ignoring unreadable %s in %s", MANIFEST_JSON, root)
        return empty
    if not isinstance(content, dict) or content.get("generator") != MANIFEST_GENERATOR:
        logger.warning("ignoring %s in %s: not written by the profiler", MANIFEST_JSON, root)
        return empty
    files = content.get("files")
    folders = content.get("folders")
    files = {p: h for p, h in files.items() if _inside(root, p) and isinstance(h, str)} if isinstance(files, dict) else {}
    folders = tuple(f for f in folders if _inside(root, f)) if isinstance(folders, list) else ()
    return _Manifest(files=files, folders=folders)


def _write_manifest(root: Path, files: dict[str, str], folders: list[str]) -> None:
    """Write the manifest atomically: a reader sees the old one or the new one, never half."""
    content = {
        "generator": MANIFEST_GENERATOR,
        "hvrt_version": __version__,
        "note": "Files this profiler run wrote (with their SHA-256) and folders it made; "
        "the next run into this folder removes them unless it writes them again.",
        "files": files,
        "folders": list(folders),
    }
    replace_with(root / MANIFEST_JSON, json.dumps(content, indent=2).encode("utf-8"))


def _remove_stale(root: Path, previous: _Manifest, keep_files: set[str], keep_folders: set[str]) -> None:
    """Delete what the earlier run wrote and this run did not.

    A file goes only if it is still a regular file with the content the earlier run wrote
    (a file the user replaced or edited stays); a folder goes only if the earlier run made
    it and it is now empty.
    """
    for relative, digest in previous.files.items():
        path = _inside(root, relative)
        if relative in keep_files or path is None or _through_link(root, path) or not path.is_file():
            continue
        if _sha256(path.read_bytes()) == digest:
            path.unlink()
        else:
            logger.info("keeping %s: changed since the profiler wrote it", path)
    for relative in previous.folders:
        path = _inside(root, relative)
        if relative in keep_folders or path is None or _through_link(root, path) or not path.is_dir():
            continue
        if not any(path.iterdir()):
            path.rmdir()


def _through_link(root: Path, path: Path) -> bool:
    """Whether ``path`` (under ``root``) or a folder on the way to it is a link: deleting it
    could delete a file elsewhere (a feature folder the user replaced by a link)."""
    return any(part.is_symlink() for part in [path, *path.parents] if part != root and root in part.parents)


def _spread(report: Any) -> bool:
    """Whether a feature's variance (or span) report found a spread to share among the partitions.

    :func:`hvrt.full_report` gives an HHI and shares of NaN when every partition's variance
    (span) is 0: a column with no value, a constant, or partitions of one row each. The files
    then write no number (null, an empty field, "–", "not defined"), never 0.0, which would
    read as "perfectly even" (an HHI is at least 1/K), nor shares of 0, which would read as measured.
    """
    return not np.isnan(report.hhi)


def _defined(value: Any, defined: bool) -> float | None:
    """``value`` for JSON (see :func:`json_number`), or null when there was nothing to measure."""
    return json_number(value) if defined else None


def _without_undefined_hhi(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its HHIs missing where none is defined (no spread to share, see :func:`_spread`)."""
    hhi = [column for column in ("variance_hhi", "span_hhi") if column in table.columns]
    return table.assign(**{column: table[column].where(table[column] > 0) for column in hhi})


NOT_DEFINED = "not defined"
# Columns of the report's feature summary whose missing value is a number that has no meaning
# (an HHI without spread, the scores of a feature without values), not a count of missing rows.
_UNDEFINED_IN_SUMMARY = ("variance_hhi", "span_hhi", "wasserstein", "ks")


def _undefined_as_text(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``table`` with NaN in ``columns`` written "not defined" for the HTML report, where a
    bare dash could pass for a value left out (and 0.0 for "perfectly even")."""
    present = [column for column in columns if column in table.columns]
    return table.assign(
        **{column: table[column].astype(object).where(table[column].notna(), NOT_DEFINED) for column in present}
    )


def summary_json(result: ProfileResult, folders: dict[str, str], artifacts: list[str]) -> dict[str, Any]:
    """The content of ``summary.json``: run facts, per-feature figures, artifact list.

    ``artifacts`` are the relative paths of every file the run writes, this one included.
    A feature whose variance (span) is 0 in every partition (no value, a constant) has its
    variance (span) HHI and shares null: there was nothing to share out (see :func:`_spread`).
    """
    scores = result.distribution_scores.set_index("feature")
    missing = result.missing.set_index("feature") if not result.missing.empty else None
    features = []
    for row in result.summary.itertuples(index=False):
        feature_report = result.report[row.feature]
        variance, span = feature_report.variance_report, feature_report.span_report
        # raw variances (spans) of 0 are measured; shares of a total of 0 are not
        share_variance = _spread(variance) or not variance.is_proportional
        share_span = _spread(span) or not span.is_proportional
        entry: dict[str, Any] = {
            "feature": row.feature,
            "variance_hhi": _defined(row.variance_hhi, _spread(variance)),
            "span_hhi": _defined(row.span_hhi, _spread(span)),
            "variance_proportion": {
                "min": _defined(variance.min_variance, share_variance),
                "median": _defined(variance.median_variance, share_variance),
                "max": _defined(variance.max_variance, share_variance),
            },
            "span_proportion": {
                "min": _defined(span.min_span, share_span),
                "median": _defined(span.median_span, share_span),
                "max": _defined(span.max_span, share_span),
            },
            "wasserstein": json_number(scores.at[row.feature, "wasserstein"]) if row.feature in scores.index else None,
            "ks": json_number(scores.at[row.feature, "ks"]) if row.feature in scores.index else None,
        }
        if missing is not None and row.feature in missing.index:
            entry["n_missing"] = int(missing.at[row.feature, "n_missing"])
            entry["missing_share"] = json_number(missing.at[row.feature, "missing_share"])
            entry["partitions_without_values"] = int(missing.at[row.feature, "partitions_without_values"])
        if row.feature in folders:
            entry["folder"] = folders[row.feature]
        features.append(entry)
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
        "categorical": _categorical_json(result),
        "artifacts": list(artifacts),
    }


# Categories listed per column in summary.json and report.html (the report keeps them all).
CATEGORIES_SHOWN = 10


def _categorical_json(result: ProfileResult) -> list[dict[str, Any]]:
    """One entry per categorical column: its association figures and its top categories."""
    entries = []
    for name, view in result.report.categorical.items():
        categories = view.category_table(CATEGORIES_SHOWN)
        entries.append(
            {
                "column": name,
                "n_categories": view.n_categories,
                "n_lumped": view.n_lumped,
                "cramers_v": json_number(view.cramers_v),
                "v_if_unrelated": json_number(view.v_if_unrelated),
                "r2": json_number(view.r2),
                "within_hhi": json_number(view.within_hhi),
                "overall_hhi": json_number(view.overall_hhi),
                "pure_share": json_number(view.pure_share),
                "categories": [
                    {
                        "category": row.category,
                        "rows": int(row.rows),
                        "share": json_number(row.share),
                        "partitions_led": int(row.partitions_led),
                        "in_majority": json_number(row.in_majority),
                        "max_share": json_number(row.max_share),
                    }
                    for row in categories.itertuples(index=False)
                ],
            }
        )
    return entries


def _categorical_figure(value: float) -> str:
    """A categorical figure for a card: "not defined" where it is 0/0 (one category), as the
    tables say it, never Python's ``nan``."""
    return f"{value:.3g}" if np.isfinite(value) else f"{NOT_DEFINED} (one category)"


# Figures of the categorical table that are 0/0 for a column with one category.
_UNDEFINED_IN_CATEGORICAL = ("cramers_v", "v_if_unrelated", "r2")


def _unlisted_note(view: Any, categories: pd.DataFrame) -> str | None:
    """What a column's category table leaves out (its categories beyond the first rows, and
    those lumped into "(other)") and how many rows they hold; None when it lists them all."""
    # the lumped column is the last of view.categories, so in the table only if it is shown whole
    lumped_shown = bool(view.n_lumped) and len(categories) == len(view.categories)
    named = categories.iloc[:-1] if lumped_shown else categories
    n_unlisted = view.n_categories - len(named)
    if n_unlisted <= 0:
        return None
    n_rows = int(view.counts.sum())
    rows = n_rows - int(named["rows"].sum())
    text = (
        f"The table lists the {len(named):,} most frequent of the {view.n_categories:,} categories; "
        f"the other {n_unlisted:,} hold {rows:,} of the {n_rows:,} rows ({plotting.format_share(rows / n_rows)})"
    )
    if lumped_shown:  # then the unlisted categories are exactly the lumped ones
        text += ', counted together in the row "(other)"'
    return text + ". Cramér's V, R², the HHIs and the pure share are of all the categories."


def _categorical_sections(result: ProfileResult) -> tuple[pd.DataFrame, list[FeatureSection]]:
    """The report's categorical table and one section per column."""
    table = _undefined_as_text(result.report.categorical_to_pandas().reset_index(), _UNDEFINED_IN_CATEGORICAL)
    sections = []
    for name, view in result.report.categorical.items():
        facts = [
            ("categories", f"{view.n_categories:,}"),
            ("Cramér's V", _categorical_figure(view.cramers_v)),
            ("V if unrelated", _categorical_figure(view.v_if_unrelated)),
            ("R²", _categorical_figure(view.r2)),
            ("pure share", f"{view.pure_share:.3g}"),
        ]
        categories = view.category_table(CATEGORIES_SHOWN)
        if view.n_categories > len(categories):
            facts.append(("shown", f"top {len(categories)}"))
        note = _unlisted_note(view, categories)
        sections.append(FeatureSection(feature=name, facts=facts, table=categories, notes=[note] if note else []))
    return table, sections


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _missing_overview(result: ProfileResult) -> list[tuple[str, str]]:
    """The overview's count of numeric features with missing values (none without a missing table)."""
    if result.missing.empty:
        return []
    with_missing = int((result.missing["n_missing"] > 0).sum())
    return [("numeric features with missing values", f"{with_missing:,} of {len(result.missing):,}")]


def _missing_facts(result: ProfileResult, feature: str, row: pd.Series) -> tuple[list[tuple[str, str]], list[str]]:
    """A feature section's missing values (a fact) and, when some partition has none, a note."""
    n_missing, empty = int(row["n_missing"]), int(row["partitions_without_values"])
    facts = [("missing values", f"{n_missing:,} ({plotting.format_share(row['missing_share'])})")]
    notes = []
    if n_missing:
        notes.append(
            f"{n_missing:,} of {result.n_samples:,} rows have no value of {feature!r}; "
            "the figures, shares and HHIs are of the values present."
        )
    if empty:
        facts.append(("partitions without a value", f"{empty:,} of {len(result.partition_sizes):,}"))
        labels = []
        if feature in result.values_per_partition:
            labels = list(result.partition_sizes.index[result.values_per_partition[feature].to_numpy() == 0])
        shown = ", ".join(str(label) for label in labels[:10]) + (f" and {len(labels) - 10:,} more" if len(labels) > 10 else "")
        notes.append(
            f"{_count(empty, 'partition')} ({shown}) {'has' if empty == 1 else 'have'} no value of {feature!r}. "
            "Such a partition holds a share 0 of the variance and of the span (as a one-row partition does) "
            f"and still counts as one of the {len(result.partition_sizes):,} partitions, so the HHIs can read "
            "more concentrated than the values present are."
        )
    return facts, notes


def render_html(result: ProfileResult, images: dict[str, bytes]) -> str:
    """``report.html``: the result mapped onto the report template, images inlined."""
    sizes = size_facts(result.partition_sizes.to_numpy())
    many = len(result.partition_sizes) > result.plot_threshold
    scores = result.distribution_scores.set_index("feature")
    missing = result.missing.set_index("feature") if not result.missing.empty else None
    sections = []
    for feature in result.top_features:
        variance = result.report[feature].variance_report
        span = result.report[feature].span_report
        nothing = [NOT_DEFINED] * 4  # no spread to share (see _spread)
        table = pd.DataFrame(
            {
                "statistic": ["HHI", "min share", "median share", "max share"],
                "variance": [variance.hhi, variance.min_variance, variance.median_variance, variance.max_variance]
                if _spread(variance) else nothing,
                "span": [span.hhi, span.min_span, span.median_span, span.max_span] if _spread(span) else nothing,
            }
        )  # fmt: skip
        facts = [
            ("variance HHI", f"{variance.hhi:.4g}" if _spread(variance) else "not defined (no variance in any partition)"),
            ("span HHI", f"{span.hhi:.4g}" if _spread(span) else "not defined (no span in any partition)"),
        ]
        if feature in scores.index:
            facts += [
                ("Wasserstein / std", f"{scores.at[feature, 'wasserstein']:.3g}"),
                ("KS", f"{scores.at[feature, 'ks']:.3g}"),
            ]
        notes = []
        if missing is not None and feature in missing.index:
            facts_missing, notes = _missing_facts(result, feature, missing.loc[feature])
            facts += facts_missing
        kind = "feature_distribution_trend" if many else "feature_distribution_detailed"
        caption = (
            "Binned violin plot: partitions sorted by their mean, 20 equal-width rank bins; "
            "rows beyond the axis (the robust range of the data) are counted at its edge"
            if many
            else "One box per partition (whiskers at 1.5 IQR; values beyond them are counted in the title, not drawn)"
        )
        own = [ReportImage(images[f"{feature}/{kind}"], caption)] if f"{feature}/{kind}" in images else []
        sections.append(FeatureSection(feature=feature, facts=facts, table=table, images=own, notes=notes))
    comparisons = [
        ReportImage(images[f"{f}/distribution_comparison"], f"'{f}': original (solid) vs. reconstruction (dashed)")
        for f in result.top_features
        if f"{f}/distribution_comparison" in images
    ]
    notes = [] if result.plots else [f"Plots are missing because matplotlib is not installed: {VIZ_INSTALL_HINT}"]
    no_view = [str(c) for c in result.skipped_columns if c not in result.report.categorical]
    if no_view:
        notes.append(f"Columns without numbers or categories, skipped: {', '.join(no_view)}")
    categorical_table, categorical_sections = _categorical_sections(result)
    content = ReportContent(
        title="Partition profile",
        subtitle=(
            f"{result.n_samples:,} rows, {_count(len(result.summary), 'numeric feature')}, "
            f"{_count(len(result.report.categorical), 'categorical column')}, "
            f"{_count(len(result.partition_sizes), 'partition')}"
        ),
        overview=[
            ("rows", f"{result.n_samples:,}"),
            ("numeric features", str(len(result.summary))),
            ("categorical columns", str(len(result.report.categorical))),
            ("partitions", f"{len(result.partition_sizes):,}"),
            ("median partition size", f"{sizes['median']:g}"),
            *_missing_overview(result),
        ],
        summary_table=_undefined_as_text(_without_undefined_hhi(result.to_pandas()), _UNDEFINED_IN_SUMMARY),
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
        categorical_table=categorical_table,
        categorical_sections=categorical_sections,
        notes=notes,
        footer="Generated by hvrt-partitioner's PartitionProfiler. Self-contained: no network access needed.",
    )
    return render_report(content)
