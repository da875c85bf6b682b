"""What a person sees in the profiler's figures and report: user text drawn literally (no
mathtext), missing values counted where the numbers are, and single-value partitions marked
as point masses in the reconstruction."""

from __future__ import annotations

import dataclasses
import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from hvrt import DistributionAnalyzer, PartitionProfiler
from hvrt._figure_data import partition_box_stats

pytest.importorskip("matplotlib")

from matplotlib.cbook import is_math_text
from matplotlib.text import Text

from hvrt import plotting


def shown(text: Text) -> str:
    """The characters matplotlib draws for ``text`` when it is not mathtext."""
    assert not is_math_text(text.get_text()), text.get_text()
    return text.get_text().replace(r"\$", "$")


def texts(figure) -> list[str]:
    return [shown(t) for t in figure.findobj(Text) if t.get_text()]


def page_text(path) -> str:
    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", path.read_text(encoding="utf-8"))
    words = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", page, flags=re.DOTALL)))
    return " ".join(words.split())


# --------------------------------------------------------------------------- literal text


def test_names_and_labels_with_dollar_signs_are_drawn_literally(tmp_path):
    # "$\frac$" made run_profiling raise from matplotlib's mathtext parser (and leave an empty
    # folder); "$x$" was drawn as an italic x, the same text as the partition "x".
    rng = np.random.default_rng(0)
    n = 300
    names = [r"$\frac$", "spend $ q1 $", "b"]
    X = pd.DataFrame({name: rng.normal(size=n) * (i + 1) for i, name in enumerate(names)})
    labels = rng.choice(["$x$", "x", r"y\$"], n)
    result = PartitionProfiler(X, labels, output_path=tmp_path).run_profiling()
    assert (tmp_path / "report.html").exists()
    assert sorted(result.top_features) == sorted(names)
    for figure in result.figures.values():
        plotting.figure_to_png(figure)  # draws every text
        texts(figure)  # none is mathtext
    sizes = result.figures["partition_size_distribution"]
    ticks = sizes.axes[0].get_xticklabels()
    assert [shown(t) for t in ticks] == ["$x$", "x", r"y\$"]
    renderer = sizes.canvas.get_renderer()
    assert ticks[0].get_window_extent(renderer).width > 2 * ticks[1].get_window_extent(renderer).width
    for name in names:
        boxes = result.figures[f"{name}/feature_distribution_detailed"]
        assert [shown(t) for t in boxes.axes[0].get_xticklabels()] == ["$x$", "x", r"y\$"]
        assert f"Distribution of '{name}' across partitions" in shown(boxes.axes[0].title)
        assert shown(boxes.axes[0].yaxis.label) == name
        comparison = result.figures[f"{name}/distribution_comparison"]
        assert shown(comparison.axes[0].xaxis.label) == name


def test_binned_violin_and_date_axis_labels_are_literal():
    rng = np.random.default_rng(1)
    n = 600
    X = pd.DataFrame(
        {
            "$t$": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"),
            "$v$": rng.normal(size=n),
        }
    )
    result = PartitionProfiler(X, np.arange(n) % 60).run_profiling()
    for name, unit in (("$t$", " (date)"), ("$v$", "")):
        figure = result.figures[f"{name}/feature_distribution_trend"]
        plotting.figure_to_png(figure)
        ax = figure.axes[0]
        assert shown(ax.yaxis.label) == name + unit
        assert f"'{name}'" in shown(ax.title) and f"'{name}'" in shown(ax.xaxis.label)


# --------------------------------------------------------------------------- missing values


def missing_data(n: int = 1000):
    """``a`` is 89 % missing and partition 3 has none of it; ``b`` is complete."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, n)
    a = rng.normal(size=n)
    a[rng.random(n) < 0.85] = np.nan
    a[labels == 3] = np.nan
    return pd.DataFrame({"a": a, "b": rng.normal(size=n)}), labels


def test_box_plot_keeps_a_marked_place_for_a_partition_without_values():
    # The partition vanished: the ticks read 0, 1, 2, 4 with no word about 3.
    X, labels = missing_data()
    boxes = partition_box_stats(X["a"].to_numpy(), labels, np.arange(5), "a")
    assert [s["label"] for s in boxes.stats] == [0, 1, 2, 4]
    assert list(boxes.positions) == [0, 1, 2, 4] and list(boxes.empty_positions) == [3]
    assert boxes.empty_labels == [3]
    assert boxes.n_missing == X["a"].isna().sum() and boxes.n_values == X["a"].notna().sum()
    figure = plotting.plot_partition_boxes(boxes)
    plotting.figure_to_png(figure)
    ax = figure.axes[0]
    assert [shown(t) for t in ax.get_xticklabels()] == ["0", "1", "2", "3", "4"]
    assert list(ax.get_xticks()) == [0, 1, 2, 3, 4]
    title = shown(ax.title)
    assert f"'a' is missing in {X['a'].isna().sum():,} of 1,000 rows (89%)" in title
    assert "partition 3 has no value" in title
    [marker] = [t for t in ax.texts if t.get_text() == "no value"]
    assert marker.get_position()[0] == 3


def test_a_complete_feature_gets_no_missing_note():
    X, labels = missing_data()
    figure = plotting.plot_partition_boxes(partition_box_stats(X["b"].to_numpy(), labels, np.arange(5), "b"))
    assert "missing" not in shown(figure.axes[0].title) and not figure.axes[0].texts


def test_report_counts_missing_values_per_feature_and_partition(tmp_path):
    # An 89 % missing column looked exactly like a complete one in every output.
    X, labels = missing_data()
    result = PartitionProfiler(X, labels, output_path=tmp_path).run_profiling()
    n_missing = int(X["a"].isna().sum())
    missing = result.missing.set_index("feature")
    assert missing.at["a", "n_missing"] == n_missing and missing.at["b", "n_missing"] == 0
    assert missing.at["a", "missing_share"] == pytest.approx(n_missing / 1000)
    assert missing.at["a", "partitions_without_values"] == 1 and missing.at["b", "partitions_without_values"] == 0
    table = result.to_pandas().set_index("feature")
    assert table.at["a", "n_missing"] == n_missing and table.at["a", "partitions_without_values"] == 1

    summary = {f["feature"]: f for f in json.loads((tmp_path / "summary.json").read_text())["features"]}
    assert summary["a"]["n_missing"] == n_missing and summary["a"]["partitions_without_values"] == 1
    assert summary["b"]["n_missing"] == 0

    csv = pd.read_csv(tmp_path / "a" / "prop_variance_distribution.csv")
    expected = pd.Series(labels).groupby(labels).size()
    present = X["a"].notna().groupby(labels).sum()
    assert list(csv["n_values"]) == list(present) and list(csv["n_missing"]) == list(expected - present)
    assert csv.loc[csv["partition"] == 3, "variance_proportion"].item() == 0.0

    text = page_text(tmp_path / "report.html")
    assert "n_missing" in text and "partitions_without_values" in text  # the feature summary table
    assert f"missing values {n_missing:,} (89%)" in text  # the feature card of 'a'
    assert "partitions without a value 1 of 5" in text
    assert "1 partition (3) has no value of 'a'" in text and "share 0 of the variance" in text
    assert "numeric features with missing values 1 of 2" in text  # the overview


def test_binned_violin_says_how_many_values_are_missing():
    X, labels = missing_data(3000)
    labels = np.random.default_rng(2).integers(0, 80, 3000)
    X.loc[labels < 4, "a"] = np.nan
    result = PartitionProfiler(X, labels).run_profiling()
    title = shown(result.figures["a/feature_distribution_trend"].axes[0].title)
    n_missing = int(X["a"].isna().sum())
    n_empty = int((X["a"].notna().groupby(labels).sum() == 0).sum())
    assert n_empty >= 4
    assert f"'a' is missing in {n_missing:,} of 3,000 rows" in title
    assert f"{n_empty} partitions with no value, ranked last" in title
    # the last bin holds only partitions without values (4 partitions per bin): marked, not blank
    [marker] = [t for t in result.figures["a/feature_distribution_trend"].axes[0].texts if t.get_text() == "no value"]
    assert marker.get_position()[0] == 20


def test_a_feature_with_one_value_is_not_called_constant_without_its_missing_rows():
    # It read "Constant feature: every value is 1" with 299 of the 300 rows missing.
    n = 300
    X = pd.DataFrame({"a": np.random.default_rng(0).normal(size=n), "one": np.r_[np.full(n - 1, np.nan), 1.0]})
    result = PartitionProfiler(X, np.arange(n) % 3).run_profiling()
    figure = result.figures["one/distribution_comparison"]
    plotting.figure_to_png(figure)
    words = " ".join(texts(figure))
    assert "1 value present, 299 missing: it is 1" in words
    assert "Original: the 1 value present" in words and "299 of 300 rows missing" in words
    assert "every value is" not in words
    assert shown(figure.axes[0].yaxis.label) == "Share of values present"
    complete = result.figures["a/distribution_comparison"]
    assert "missing" not in " ".join(texts(complete))


# --------------------------------------------------------------------------- point masses


def single_row_data():
    rng = np.random.default_rng(1)
    n = 200
    labels = np.array(["big"] * 150 + ["single1"] + ["single2"] + ["mid"] * 48, dtype=object)
    a = rng.normal(size=n) * 2
    a[labels == "single2"] = -1.2
    return pd.DataFrame({"a": a}), labels


def test_single_value_partitions_are_marked_and_their_spikes_do_not_set_the_height():
    # A partition of one row is a kernel of no width, drawn as a spike one grid step wide;
    # its height (set by the grid) set the plot's height and meant nothing.
    X, labels = single_row_data()
    result = PartitionProfiler(X, labels).run_profiling()
    figure = result.figures["a/distribution_comparison"]
    plotting.figure_to_png(figure)
    ax = figure.axes[0]
    legend = [shown(t) for t in ax.get_legend().get_texts()]
    assert "2 partitions with a single value: point masses (ticks), spikes cut" in legend
    comparison = DistributionAnalyzer(X, labels).fit().compare("a")
    original_peak, spike = comparison.original_density.max(), comparison.reconstructed_density.max()
    assert spike > 1.3 * original_peak
    assert original_peak < ax.get_ylim()[1] < 1.1 * original_peak  # the axis follows the curves, not the spike
    [rug] = [line for line in ax.get_lines() if line.get_marker() == "|"]
    assert sorted(rug.get_xdata()) == sorted(X["a"][np.isin(labels, ["single1", "single2"])])


def test_the_analyzers_own_comparison_carries_missing_values_and_point_masses():
    # DistributionAnalyzer.plot_comparison called directly said "every value is 1" with 299
    # of 300 rows missing, and drew single-row partitions as spikes: only the profiler's
    # figures had the counts and the marks
    n = 300
    X = pd.DataFrame({"a": np.random.default_rng(0).normal(size=n), "one": np.r_[np.full(n - 1, np.nan), 1.0]})
    analyzer = DistributionAnalyzer(X, np.arange(n) % 3).fit()
    assert analyzer.compare("one").n_missing == n - 1 and analyzer.compare("a").n_missing == 0
    words = " ".join(texts(analyzer.plot_comparison("one")))
    assert "1 value present, 299 missing: it is 1" in words and "every value is" not in words
    X, labels = single_row_data()
    comparison = DistributionAnalyzer(X, labels).fit().compare("a")
    assert sorted(comparison.point_masses) == sorted(X["a"][np.isin(labels, ["single1", "single2"])])
    assert list(comparison.point_mass_values) == [1, 1]
    legend = [shown(t) for t in DistributionAnalyzer(X, labels).fit().plot_comparison("a").axes[0].get_legend().get_texts()]
    assert "2 partitions with a single value: point masses (ticks), spikes cut" in legend


def test_without_point_masses_the_comparison_is_unchanged():
    X, labels = single_row_data()
    comparison = dataclasses.replace(
        DistributionAnalyzer(X, labels).fit().compare("a"), point_masses=np.zeros(0), point_mass_values=np.zeros(0, dtype=np.int64)
    )
    plain = plotting.plot_distribution_comparison(comparison)
    assert not [line for line in plain.axes[0].get_lines() if line.get_marker() == "|"]
    assert plain.axes[0].get_ylim()[1] > comparison.reconstructed_density.max()
    marked = plotting.plot_distribution_comparison(
        dataclasses.replace(comparison, point_masses=np.array([-1.2]), point_mass_values=np.array([3]))
    )
    legend = [shown(t) for t in marked.axes[0].get_legend().get_texts()]
    assert "1 partition whose values are equal: point mass (ticks), spikes cut" in legend
