"""A self-contained HTML report, rendered from results that were already computed.

:func:`render_report` formats a :class:`ReportContent`; it never looks at the data, so
re-rendering is cheap and the layout is testable on its own. Images are PNG bytes
inlined as base64 ``data:`` URIs and the stylesheet is inline, so the single file opens
offline, can be mailed around, and makes no network request.
"""

from __future__ import annotations

import base64
import html
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._template import PAGE, STYLE

__all__ = ["FeatureSection", "ReportContent", "ReportImage", "render_report"]


@dataclass(frozen=True)
class ReportImage:
    """A PNG figure and its caption.

    Attributes
    ----------
    png : bytes
        The encoded image.
    caption : str
        Shown under the image and used as its alt text.
    """

    png: bytes
    caption: str


@dataclass(frozen=True)
class FeatureSection:
    """One feature's part of the report.

    Attributes
    ----------
    feature : str
        Column name.
    facts : sequence of (label, value)
        Headline numbers, already formatted.
    table : DataFrame
        Detail table (e.g. variance and span proportion statistics).
    images : sequence of ReportImage
        The feature's plots.
    notes : sequence of str
        Plain-text remarks shown under the facts (e.g. about missing values).
    """

    feature: str
    facts: Sequence[tuple[str, str]]
    table: pd.DataFrame
    images: Sequence[ReportImage] = ()
    notes: Sequence[str] = ()


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows, computed beforehand.

    Attributes
    ----------
    title, subtitle : str
    overview : sequence of (label, value)
        Headline numbers of the data and the partitioning.
    summary_table : DataFrame
        One row per feature (HHIs and reconstruction scores).
    size_facts : sequence of (label, value)
        Partition size statistics.
    size_image : ReportImage or None
        The partition size plot.
    feature_sections : sequence of FeatureSection
    comparison_images : sequence of ReportImage
        Original-vs-reconstruction plots.
    scores_table : DataFrame
        Reconstruction scores of every numeric feature.
    categorical_table : DataFrame
        One row per categorical column (how its categories concentrate in partitions);
        the section is left out when it is empty.
    categorical_sections : sequence of FeatureSection
        Per categorical column: headline figures and its category table.
    notes : sequence of str
        Plain-text notices shown at the top (e.g. how to install plotting).
    footer : str
    """

    title: str
    subtitle: str
    overview: Sequence[tuple[str, str]]
    summary_table: pd.DataFrame
    size_facts: Sequence[tuple[str, str]]
    size_image: ReportImage | None
    feature_sections: Sequence[FeatureSection]
    comparison_images: Sequence[ReportImage]
    scores_table: pd.DataFrame
    categorical_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    categorical_sections: Sequence[FeatureSection] = field(default_factory=tuple)
    notes: Sequence[str] = field(default_factory=tuple)
    footer: str = ""


_SUMMARY_EXPLANATION = (
    "HHI is the Herfindahl-Hirschman index of how a feature's within-partition variance "
    "(or span, max - min) is shared among the partitions: 1/K when every partition holds "
    "the same share, 1 when one partition holds all of it. High values mean the "
    "partitioning left that feature's spread concentrated in a few partitions. "
    "Wasserstein (W1 / std) and KS measure how far the feature's distribution rebuilt from "
    "per-partition summaries is from the data; 0 is perfect. n_missing and missing_share count "
    "the rows without a value of the feature (every other number is of the values present); "
    "partitions_without_values counts the partitions that have none, which hold a share 0. "
    "An HHI is not defined for a feature with no variance (span) in any partition (a "
    "constant, or no value at all): there is nothing to share out; the scores are not "
    "defined for a feature without values."
)


_CATEGORICAL_EXPLANATION = (
    "How each categorical column's categories are spread over the partitions; a missing "
    "value is a category of its own. Cramér's V (0 to 1) and R² measure how much the "
    "partition tells about the category: 0 when every partition has the column's overall "
    "mix, 1 when each partition holds a single category. R² is the share of the column's "
    "Gini impurity the partitions remove (the categorical counterpart of a numeric "
    "feature's R²). With many small partitions V is above 0 even for an unrelated column: "
    "v_if_unrelated is what such a column would score. Within HHI is the chance that two rows of one partition "
    "share a category (overall HHI: two rows of the whole table); pure share is the share "
    "of rows in partitions whose rows all have one category."
)
_CATEGORY_TABLE_EXPLANATION = (
    "Per category: its share of all rows, the partitions where it is the most frequent "
    "category, the share of its rows that sit in partitions where it holds more than half "
    "the rows, and its largest share in one partition."
)


def _image(image: ReportImage) -> str:
    encoded = base64.b64encode(image.png).decode("ascii")
    caption = html.escape(image.caption)
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _facts(facts: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        f"<div><dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd></div>" for label, value in facts
    )
    return f'<dl class="facts">{items}</dl>'


def _cell(value: object) -> str:
    """One ``<td>``: a number as ``{:.4g}`` (an integer in full), a missing one as "–", text
    escaped and cut to the column's width by the stylesheet, in full in its ``title`` (a long
    name or category would otherwise widen its column until the numbers leave the view)."""
    if isinstance(value, (bool, np.bool_)):
        return f"<td>{value}</td>"
    if isinstance(value, numbers.Integral):
        return f"<td>{int(value)}</td>"
    if isinstance(value, numbers.Real):
        return "<td>–</td>" if math.isnan(value) else f"<td>{float(value):.4g}</td>"
    if value is None or value is pd.NA or value is pd.NaT:
        return "<td>–</td>"
    text = html.escape(str(value))
    return f'<td class="text" title="{text}">{text}</td>'


def _table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>(no rows)</p>"
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in frame.columns)
    rows = "\n".join(
        "<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in frame.itertuples(index=False, name=None)
    )
    return (
        f'<div class="table-scroll"><table>\n<thead>\n<tr>{head}</tr>\n</thead>\n'
        f"<tbody>\n{rows}\n</tbody>\n</table></div>"
    )


def _anchor(index: int) -> str:
    return f"feature-{index}"


def render_report(content: ReportContent) -> str:
    """Render the report as one self-contained HTML document.

    Parameters
    ----------
    content : ReportContent
        Computed results; nothing is recomputed here.

    Returns
    -------
    str
        The HTML text (UTF-8 when written).
    """
    nav_links = [("overview", "Overview"), ("sizes", "Partition sizes")]
    nav_links += [(_anchor(i), f"Feature: {s.feature}") for i, s in enumerate(content.feature_sections)]
    if not content.categorical_table.empty:
        nav_links.append(("categorical", "Categorical columns"))
    nav_links.append(("distributions", "Distribution comparisons"))
    nav = "".join(f'<a href="#{key}">{html.escape(text)}</a>' for key, text in nav_links)

    sections = [
        '<section id="overview"><h2>Overview</h2>'
        + _facts(content.overview)
        + "<h3>Feature summary (sorted by variance HHI, highest first)</h3>"
        + f'<p class="explain">{html.escape(_SUMMARY_EXPLANATION)}</p>'
        + _table(content.summary_table)
        + "</section>",
        '<section id="sizes"><h2>Partition sizes</h2>'
        + _facts(content.size_facts)
        + (_image(content.size_image) if content.size_image is not None else "")
        + "</section>",
    ]
    for index, feature_section in enumerate(content.feature_sections):
        sections.append(
            f'<section id="{_anchor(index)}"><h2>Feature: {html.escape(feature_section.feature)}</h2>'
            + _facts(feature_section.facts)
            + "".join(f'<p class="explain">{html.escape(note)}</p>' for note in feature_section.notes)
            + "".join(_image(image) for image in feature_section.images)
            + "<h3>How variance and span are shared among partitions</h3>"
            + _table(feature_section.table)
            + "</section>"
        )
    if not content.categorical_table.empty:
        sections.append(
            '<section id="categorical"><h2>Categorical columns</h2>'
            + f'<p class="explain">{html.escape(_CATEGORICAL_EXPLANATION)}</p>'
            + _table(content.categorical_table)
            + "".join(
                f"<h3>{html.escape(column.feature)}</h3>"
                + _facts(column.facts)
                + "".join(f'<p class="explain">{html.escape(note)}</p>' for note in column.notes)
                + f'<p class="explain">{html.escape(_CATEGORY_TABLE_EXPLANATION)}</p>'
                + _table(column.table)
                for column in content.categorical_sections
            )
            + "</section>"
        )
    sections.append(
        '<section id="distributions"><h2>Distribution comparisons</h2>'
        + '<p class="explain">Each feature\'s distribution rebuilt as the size-weighted mixture of '
        "per-partition summaries (dashed), against the data (solid). Scores for every numeric "
        "feature follow the plots.</p>"
        + "".join(_image(image) for image in content.comparison_images)
        + "<h3>Reconstruction scores</h3>"
        + _table(content.scores_table)
        + "</section>"
    )
    notes = "".join(f'<p class="note">{html.escape(note)}</p>' for note in content.notes)
    return PAGE.substitute(
        title=html.escape(content.title),
        subtitle=html.escape(content.subtitle),
        style=STYLE,
        nav=nav,
        notes=notes,
        sections="\n".join(sections),
        footer=html.escape(content.footer),
    )
