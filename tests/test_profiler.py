"""PartitionProfiler: constructor checks, tables, the exact artifact set and its contents,
figures without an output path, the degraded mode without matplotlib, and the seed README."""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hvrt import PartitionProfiler, full_report
from hvrt._figure_data import binned_violin_samples, partition_box_stats
from hvrt._profile_output import feature_folder_names
from hvrt.profiler import ProfileResult
from .seed_readme import SEED_QUICK_START, SEED_PROFILER_USAGE

VIZ_HINT = 'pip install "hvrt-partitioner[viz]"'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_data(n_rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "wide": rng.normal(0.0, 10.0, n_rows),
            "bimodal": np.r_[rng.normal(-3, 1, n_rows // 2), rng.normal(3, 1, n_rows - n_rows // 2)],
            "skewed": rng.exponential(2.0, n_rows),
            "uniform": rng.random(n_rows),
            "city": rng.choice(["oslo", "lima"], n_rows),
        },
        index=pd.RangeIndex(100, 100 + n_rows),  # not 0..n-1, to catch positional mix-ups
    )


def value_partitions(data: pd.DataFrame, n_partitions: int) -> pd.Series:
    """Labels grouping rows by their "bimodal" value, so partitions differ in shape."""
    ranks = data["bimodal"].rank(method="first").to_numpy().astype(int) - 1
    return pd.Series(ranks * n_partitions // len(data) * 3 + 5, index=data.index)  # non-contiguous ids


def expected_files(top_folders: list[str], trend: bool, plots: bool = True) -> set[str]:
    files = {"feature_summary.csv", "summary.json", "report.html", "hvrt_manifest.json"}
    if plots:
        files.add("partition_size_distribution.png")
    for folder in top_folders:
        files |= {f"{folder}/prop_variance_distribution.csv", f"{folder}/prop_span_distribution.csv"}
        if plots:
            files.add(f"{folder}/feature_distribution_{'trend' if trend else 'detailed'}.png")
    return files


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------- constructor


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"data": {"a": [1, 2]}, "partition_labels": [0, 1]}, ValueError, "Expected 2D array for X"),
        ({"partition_labels": pd.Series([0, 1] * 50)}, ValueError, "index differs from X's index"),
        ({"partition_labels": np.array([0, 1] * 40)}, ValueError, "80 entries but X has 100 rows"),
        ({"partition_labels": pd.Series([0, 1] * 40)}, ValueError, "80 entries but X has 100 rows"),
        ({"partition_labels": "labels"}, TypeError, "labels must be a 1-D array, list or Series"),
        ({"X": make_data(100)}, TypeError, "pass X or data"),
        ({"partition_labels": np.zeros(100)}, ValueError, "at least 2"),
        ({"plot_threshold": 2.5}, TypeError, "plot_threshold must be an integer"),
        ({"plot_threshold": 0}, ValueError, "plot_threshold must be >= 1"),
        ({"output_path": 3}, TypeError, "output_path must be"),
    ],
)
def test_constructor_rejects_bad_input(kwargs, error, match):
    data = make_data(100)
    arguments = {"data": data, "partition_labels": pd.Series(np.arange(100) % 2, index=data.index), **kwargs}
    with pytest.raises(error, match=match):
        PartitionProfiler(**arguments)


def test_constructor_accepts_arrays_and_counts_partitions():
    data = make_data(100)
    profiler = PartitionProfiler(data, np.arange(100) % 7)
    assert profiler.n_partitions == 7
    assert profiler.report is None and profiler.plot_threshold == 50 and profiler.output_path is None


# --------------------------------------------------------------------------- tables


def test_summary_table_is_full_report_sorted_by_variance_hhi():
    data = make_data()
    labels = value_partitions(data, 12)
    table = PartitionProfiler(data, labels).generate_summary_table()
    assert list(table.columns) == ["feature", "variance_hhi", "span_hhi"]
    assert list(table.index) == list(range(4))
    assert table["variance_hhi"].is_monotonic_decreasing
    report = full_report(data, labels)
    assert set(table["feature"]) == set(report) == {"wide", "bimodal", "skewed", "uniform"}
    for row in table.itertuples():
        assert row.variance_hhi == report[row.feature].variance_report.hhi
        assert row.span_hhi == report[row.feature].span_report.hhi


def test_run_profiling_returns_a_result_and_keeps_the_report():
    pytest.importorskip("matplotlib")
    data = make_data()
    profiler = PartitionProfiler(data, value_partitions(data, 12))
    result = profiler.run_profiling()
    assert isinstance(result, ProfileResult)
    assert profiler.report is result.report and profiler.result is result
    assert set(profiler.report) == {"wide", "bimodal", "skewed", "uniform"}
    assert result.skipped_columns == ["city"]
    assert result.top_features == list(result.summary["feature"][:3])
    assert result.partition_sizes.sum() == len(data)
    assert list(result.partition_sizes.index) == sorted(value_partitions(data, 12).unique())
    assert list(result.distribution_scores["feature"]) == ["wide", "bimodal", "skewed", "uniform"]
    merged = result.to_pandas()
    assert list(merged.columns) == [
        "feature", "variance_hhi", "span_hhi", "wasserstein", "ks", "n_missing", "missing_share",
        "partitions_without_values",
    ]  # fmt: skip


# --------------------------------------------------------------------------- artifacts


@pytest.mark.parametrize(("n_partitions", "trend"), [(12, False), (50, False), (51, True)])
def test_output_path_gets_exactly_the_artifact_set(tmp_path, n_partitions, trend):
    pytest.importorskip("matplotlib")
    data = make_data()
    labels = value_partitions(data, n_partitions)
    out = tmp_path / "profile"
    result = PartitionProfiler(data, labels, output_path=str(out)).run_profiling()
    assert result.partition_sizes.size == n_partitions
    assert files_under(out) == expected_files(result.top_features, trend)
    assert {p.relative_to(out).as_posix() for p in result.artifacts} == files_under(out)
    for png in out.rglob("*.png"):
        assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 5_000


def test_artifact_contents(tmp_path):
    pytest.importorskip("matplotlib")
    data = make_data()
    labels = value_partitions(data, 80)
    result = PartitionProfiler(data, labels, output_path=tmp_path).run_profiling()

    summary_csv = pd.read_csv(tmp_path / "feature_summary.csv")
    pd.testing.assert_frame_equal(summary_csv, result.summary, check_exact=False, rtol=1e-12)

    partition_ids = np.sort(labels.unique())
    for feature in result.top_features:
        for file_name, column, sub_report in (
            ("prop_variance_distribution.csv", "variance_proportion", result.report[feature].variance_report),
            ("prop_span_distribution.csv", "span_proportion", result.report[feature].span_report),
        ):
            table = pd.read_csv(tmp_path / feature / file_name)
            assert list(table.columns) == ["partition", column, "n_values", "n_missing"]
            assert (table["n_values"] == result.partition_sizes.to_numpy()).all() and not table["n_missing"].any()
            np.testing.assert_array_equal(table["partition"], partition_ids)
            np.testing.assert_allclose(table[column], sub_report.distribution, rtol=1e-12)
            assert table[column].sum() == pytest.approx(1.0)

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n_samples"] == 3000 and summary["n_partitions"] == 80 and summary["n_features"] == 4
    assert summary["plots"] is True and summary["skipped_columns"] == ["city"]
    assert summary["top_features"] == result.top_features
    assert [f["feature"] for f in summary["features"]] == list(result.summary["feature"])
    first = summary["features"][0]
    assert first["variance_hhi"] == pytest.approx(result.summary["variance_hhi"][0])
    assert first["folder"] == first["feature"]
    scores = result.distribution_scores.set_index("feature")
    assert first["wasserstein"] == pytest.approx(scores.at[first["feature"], "wasserstein"])
    sizes = result.partition_sizes
    assert summary["partition_sizes"]["min"] == sizes.min() and summary["partition_sizes"]["max"] == sizes.max()
    assert set(summary["artifacts"]) == files_under(tmp_path)

    [city] = summary["categorical"]
    view = result.report.categorical["city"]
    assert city["column"] == "city" and city["n_categories"] == 2
    assert city["cramers_v"] == pytest.approx(view.cramers_v) and city["r2"] == pytest.approx(view.r2)
    assert [c["category"] for c in city["categories"]] == view.categories
    assert sum(c["rows"] for c in city["categories"]) == 3000

    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<section id="categorical"><h2>Categorical columns</h2>' in page and "<h3>city</h3>" in page
    assert "skipped" not in page  # the only non-numeric column has its view
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 1 + 2 * len(result.top_features)  # sizes, per feature: trend + comparison
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from the network
    assert "<script" not in page
    for feature in result.top_features:
        assert f"Feature: {feature}" in page
    assert "Distribution comparisons" in page and "Partition sizes" in page


def test_a_rerun_removes_only_its_own_earlier_artifacts(tmp_path):
    pytest.importorskip("matplotlib")
    data = make_data(600)
    labels = value_partitions(data, 8)
    first = PartitionProfiler(data.drop(columns="uniform"), labels, output_path=tmp_path).run_profiling()
    assert set(first.top_features) == {"wide", "bimodal", "skewed"}
    # The user's own files: at the top, inside a feature folder that the next run drops,
    # and an artifact of the first run the user has since edited.
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "skewed" / "my_plot.png").write_bytes(b"mine")
    (tmp_path / "wide" / "prop_span_distribution.csv").write_text("edited by hand")
    os_made = tmp_path / "user_folder"
    os_made.mkdir()

    second = PartitionProfiler(data[["uniform", "bimodal"]], labels, output_path=tmp_path).run_profiling()
    summary = json.loads((tmp_path / "summary.json").read_text())
    user_files = {"notes.txt", "skewed/my_plot.png", "wide/prop_span_distribution.csv"}
    assert files_under(tmp_path) == set(summary["artifacts"]) | user_files
    assert {p.relative_to(tmp_path).as_posix() for p in second.artifacts} == set(summary["artifacts"])
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "wide" / "prop_span_distribution.csv").read_text() == "edited by hand"
    assert not (tmp_path / "wide" / "prop_variance_distribution.csv").exists()
    assert not (tmp_path / "skewed" / "feature_distribution_detailed.png").exists()
    assert os_made.is_dir()  # an empty folder the profiler did not make stays

    # Once the user's files are gone, a third run removes the folders the first run made.
    (tmp_path / "skewed" / "my_plot.png").unlink()
    (tmp_path / "wide" / "prop_span_distribution.csv").unlink()
    PartitionProfiler(data[["uniform", "bimodal"]], labels, output_path=tmp_path).run_profiling()
    assert {p.name for p in tmp_path.iterdir() if p.is_dir()} == {"uniform", "bimodal", "user_folder"}


def test_a_folder_without_manifest_is_only_overwritten_file_by_file(tmp_path):
    pytest.importorskip("matplotlib")
    data = make_data(600)
    labels = value_partitions(data, 8)
    PartitionProfiler(data.drop(columns="uniform"), labels, output_path=tmp_path).run_profiling()
    (tmp_path / "hvrt_manifest.json").unlink()  # e.g. written by a version without manifests
    PartitionProfiler(data[["uniform", "bimodal"]], labels, output_path=tmp_path).run_profiling()
    assert {"wide/prop_variance_distribution.csv", "skewed/prop_span_distribution.csv"} <= files_under(tmp_path)


@pytest.mark.parametrize(
    "manifest",
    [
        "not json",
        json.dumps({"generator": "something else", "files": {"notes.txt": "0" * 64}}),
        # paths that leave the folder are ignored even in the profiler's own manifest
        json.dumps({"generator": "hvrt.PartitionProfiler", "files": {"../outside.txt": "x", "/etc/x": "y"},
                    "folders": ["..", "/tmp"]}),  # fmt: skip
    ],
)
def test_a_foreign_or_hostile_manifest_lists_nothing_to_delete(tmp_path, manifest):
    from hvrt._profile_output import _read_manifest

    (tmp_path / "hvrt_manifest.json").write_text(manifest)
    previous = _read_manifest(tmp_path)
    assert previous.files == {} and previous.folders == ()


def test_a_run_over_a_hostile_manifest_deletes_nothing_outside(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("")
    (tmp_path / "outside.txt").write_text("")
    digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # SHA-256 of ""
    (out / "hvrt_manifest.json").write_text(
        json.dumps({"generator": "hvrt.PartitionProfiler", "files": {"../outside.txt": digest}, "folders": [".."]})
    )
    data = make_data(300)
    PartitionProfiler(data, value_partitions(data, 4), output_path=out).run_profiling()
    assert (out / "notes.txt").exists() and (tmp_path / "outside.txt").exists()
    assert json.loads((out / "hvrt_manifest.json").read_text())["generator"] == "hvrt.PartitionProfiler"


def test_links_in_the_output_folder_are_replaced_never_written_through(tmp_path):
    # feature_summary.csv -> ../elsewhere/important.csv: the run overwrote the link's target
    data = make_data(300)
    labels = value_partitions(data, 4)
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "important.csv").write_text("mine")
    (elsewhere / "other.json").write_text("mine too")
    (out / "feature_summary.csv").symlink_to(elsewhere / "important.csv")
    (out / "summary.json").hardlink_to(elsewhere / "other.json")
    (out / "wide").symlink_to(elsewhere, target_is_directory=True)  # a feature folder that is a link
    with pytest.warns(UserWarning, match=r"'wide' go to 'wide_2' instead"):
        result = PartitionProfiler(data, labels, output_path=out).run_profiling()
    assert "wide" in result.top_features
    assert sorted(p.name for p in elsewhere.iterdir()) == ["important.csv", "other.json"]
    assert (elsewhere / "important.csv").read_text() == "mine" and (elsewhere / "other.json").read_text() == "mine too"
    assert not (out / "feature_summary.csv").is_symlink() and "variance_hhi" in (out / "feature_summary.csv").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert {f["feature"]: f.get("folder") for f in summary["features"]}["wide"] == "wide_2"
    assert (out / "wide_2" / "prop_span_distribution.csv").exists() and (out / "wide").is_symlink()
    assert not [p for p in out.rglob("*.partial")]
    mask = os.umask(0o022)
    os.umask(mask)
    assert (out / "report.html").stat().st_mode & 0o777 == 0o666 & ~mask  # as a plain write makes it, not 0600
    # a re-run, with the link now gone, writes 'wide' and removes the earlier run's 'wide_2'
    (out / "wide").unlink()
    PartitionProfiler(data, labels, output_path=out).run_profiling()
    assert (out / "wide" / "prop_span_distribution.csv").exists() and not (out / "wide_2").exists()


def test_a_file_named_like_a_feature_folder_is_kept_and_a_folder_in_a_files_place_refused(tmp_path):
    # a file 'wide' in the output folder failed the run with FileExistsError, after part of
    # the report was written
    data = make_data(300)
    labels = value_partitions(data, 4)
    (tmp_path / "wide").write_text("mine")
    with pytest.warns(UserWarning, match=r"is a file, not a folder the profiler may write into"):
        PartitionProfiler(data, labels, output_path=tmp_path).run_profiling()
    assert (tmp_path / "wide").read_text() == "mine" and (tmp_path / "wide_2" / "prop_variance_distribution.csv").exists()
    # a folder where a file goes: refused before the first file is written
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)
    with pytest.raises(IsADirectoryError, match=r"is a folder, where the profile writes its file 'report.html'"):
        PartitionProfiler(data, labels, output_path=out).run_profiling()
    assert [p.name for p in out.iterdir()] == ["report.html"] and not any((out / "report.html").iterdir())


def test_unsafe_feature_names_get_safe_unique_folders(tmp_path):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(1)
    # Give the odd names the most concentrated variance so they are the top 3.
    labels = np.repeat(np.arange(10), 30)
    concentrated = np.where(labels == 0, rng.normal(0, 10, 300), rng.normal(0, 0.1, 300))
    data = pd.DataFrame(
        {
            "a/b c": concentrated,
            "summary.json": concentrated * 2,
            "../up": concentrated * 3,
            "plain": rng.normal(size=300),
        }
    )
    result = PartitionProfiler(data, labels, output_path=tmp_path).run_profiling()
    assert set(result.top_features) == {"a/b c", "summary.json", "../up"}
    assert {p.name for p in tmp_path.iterdir() if p.is_dir()} == {"a_b_c", "summary.json_2", "_up"}
    assert not (tmp_path.parent / "up").exists()
    folders = {f["feature"]: f.get("folder") for f in json.loads((tmp_path / "summary.json").read_text())["features"]}
    assert folders == {"a/b c": "a_b_c", "summary.json": "summary.json_2", "../up": "_up", "plain": None}


def test_feature_folder_names():
    folders = feature_folder_names(["x", "x", "CON", "", "ünï", ".hidden", "report.html", "a" * 300])
    assert folders["CON"] == "CON_"
    assert folders[""] == "feature"
    assert folders["ünï"] == "_n_"
    assert folders[".hidden"] == "hidden"
    assert folders["report.html"] == "report.html_2"
    assert len(folders["a" * 300]) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", name) for name in folders.values())


# --------------------------------------------------------------------------- figures


def test_without_output_path_nothing_is_written_and_figures_are_returned(tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    def no_show(*args, **kwargs):
        raise AssertionError("library code must never call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    monkeypatch.chdir(tmp_path)
    data = make_data()
    result = PartitionProfiler(data, value_partitions(data, 80)).run_profiling()
    assert list(tmp_path.iterdir()) == []
    assert result.artifacts == [] and result.output_path is None
    expected = {"partition_size_distribution"}
    for feature in result.top_features:
        expected |= {f"{feature}/feature_distribution_trend", f"{feature}/distribution_comparison"}
    assert set(result.figures) == expected
    assert all(isinstance(f, matplotlib.figure.Figure) for f in result.figures.values())
    assert plt.get_fignums() == []  # figures stay out of pyplot's registry

    few = PartitionProfiler(data, value_partitions(data, 6)).run_profiling()
    boxes = [k for k in few.figures if k.endswith("feature_distribution_detailed")]
    assert len(boxes) == 3
    assert len(few.figures["partition_size_distribution"].axes[0].patches) == 6  # one bar each


def test_without_matplotlib_tables_are_written_and_one_warning_says_how_to_get_plots(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    data = make_data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = PartitionProfiler(data, value_partitions(data, 80), output_path=tmp_path).run_profiling()
    hints = [w for w in caught if VIZ_HINT in str(w.message)]
    assert len(hints) == 1 and len(caught) == 1
    assert result.figures == {} and result.plots is False
    assert files_under(tmp_path) == expected_files(result.top_features, trend=True, plots=False)
    assert json.loads((tmp_path / "summary.json").read_text())["plots"] is False
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<img" not in page and VIZ_HINT.replace('"', "&quot;") in page


# --------------------------------------------------------------------------- plot data


def test_binned_violin_samples_bins_partitions_by_mean_rank_and_bounds_the_sample():
    rng = np.random.default_rng(2)
    n_partitions = 200
    codes = rng.integers(0, n_partitions, 50_000)
    partition_means = rng.normal(size=n_partitions)
    values = partition_means[codes] + rng.normal(0, 0.01, len(codes))
    binned = binned_violin_samples(values, codes, partition_means, "v", n_bins=20, max_per_bin=500)
    assert len(binned.samples) == 20
    np.testing.assert_array_equal(binned.partitions_per_bin, np.full(20, 10))
    assert binned.rows_per_bin.sum() == len(values)
    assert all(len(sample) <= 502 for sample in binned.samples)  # 500 sampled + bin min and max
    medians = [np.median(sample) for sample in binned.samples]
    assert np.all(np.diff(medians) > 0)  # bins follow the sorted partition means
    # Each violin spans its bin's full data range, sampled or not.
    rank = np.argsort(np.argsort(partition_means))
    row_bin = rank[codes] * 20 // n_partitions
    for b, sample in enumerate(binned.samples):
        assert sample.min() == values[row_bin == b].min() and sample.max() == values[row_bin == b].max()
    again = binned_violin_samples(values, codes, partition_means, "v", n_bins=20, max_per_bin=500)
    assert all(np.array_equal(a, b) for a, b in zip(binned.samples, again.samples))  # seeded


def test_binned_violin_samples_with_fewer_partitions_than_bins_and_missing_values():
    values = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])
    codes = np.array([0, 0, 1, 1, 2, 2])
    binned = binned_violin_samples(values, codes, np.array([1.5, 4.0, 5.5]), "v")
    assert len(binned.samples) == 3
    assert [sorted(set(s)) for s in binned.samples] == [[1.0, 2.0], [4.0], [5.0, 6.0]]


def test_binned_violin_axis_leaves_out_a_far_outlier_and_counts_it_per_bin():
    rng = np.random.default_rng(6)
    n_partitions = 100
    codes = rng.integers(0, n_partitions, 20_000)
    values = rng.normal(0.0, 1.0, len(codes))
    values[123] = 30.0  # z = 30
    means = np.bincount(codes, weights=values) / np.bincount(codes)
    binned = binned_violin_samples(values, codes, means, "v")
    low, high = binned.window
    assert 3.0 < high < 5.0 and -5.0 < low < -3.0
    rank = np.argsort(np.argsort(means, kind="stable"), kind="stable")
    row_bin = rank[codes] * 20 // n_partitions
    np.testing.assert_array_equal(binned.above_per_bin, np.bincount(row_bin[values > high], minlength=20))
    np.testing.assert_array_equal(binned.below_per_bin, np.bincount(row_bin[values < low], minlength=20))
    assert binned.above_per_bin[row_bin[123]] >= 1
    assert binned.rows_per_bin.sum() == len(values)  # outliers still count as the bin's rows
    assert max(sample.max() for sample in binned.samples) <= high  # but are not drawn
    assert min(sample.min() for sample in binned.samples) >= low
    pytest.importorskip("matplotlib")
    from hvrt.plotting import plot_binned_violin

    ax = plot_binned_violin(binned).axes[0]
    assert low - 1.0 < ax.get_ylim()[0] and ax.get_ylim()[1] < high + 1.0
    n_out = int(binned.above_per_bin.sum() + binned.below_per_bin.sum())
    assert f"{n_out} rows beyond the axis" in ax.get_title()


def test_binned_violin_of_a_constant_feature_is_flat_and_counts_nothing():
    codes = np.repeat(np.arange(60), 10)
    binned = binned_violin_samples(np.full(600, 2.5), codes, np.full(60, 2.5), "c")
    assert binned.window == (2.5, 2.5)
    assert binned.above_per_bin.sum() == binned.below_per_bin.sum() == 0
    assert all(set(sample) == {2.5} for sample in binned.samples if len(sample))
    pytest.importorskip("matplotlib")
    from hvrt.plotting import plot_binned_violin

    low, high = plot_binned_violin(binned).axes[0].get_ylim()
    assert low < 2.5 < high and np.isfinite([low, high]).all()


def test_partition_box_stats_match_numpy_quantiles():
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 6, 600)
    values = rng.normal(codes.astype(float), 1.0)
    values[::11] = np.nan
    values[5] = 40.0  # an outlier beyond the upper fence of its partition
    boxes = partition_box_stats(values, codes, np.array([10, 11, 12, 13, 14, 15]), "v")
    assert [s["label"] for s in boxes.stats] == [10, 11, 12, 13, 14, 15]
    for k, box in enumerate(boxes.stats):
        part = values[(codes == k) & ~np.isnan(values)]
        q1, median, q3 = np.quantile(part, [0.25, 0.5, 0.75])
        assert (box["q1"], box["med"], box["q3"]) == pytest.approx((q1, median, q3))
        inside = part[(part >= q1 - 1.5 * (q3 - q1)) & (part <= q3 + 1.5 * (q3 - q1))]
        assert (box["whislo"], box["whishi"]) == (inside.min(), inside.max())
    assert max(box["whishi"] for box in boxes.stats) < 40.0
    for k, count in enumerate(boxes.outside_per_box):
        part = values[(codes == k) & ~np.isnan(values)]
        q1, q3 = np.quantile(part, [0.25, 0.75])
        assert count == np.sum((part < q1 - 1.5 * (q3 - q1)) | (part > q3 + 1.5 * (q3 - q1)))
    assert boxes.outside_per_box[codes[5]] >= 1


# --------------------------------------------------------------------------- seed README




def test_seed_readme_profiler_usage_runs_verbatim(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    np.random.seed(0)  # the README draws from numpy's global generator
    namespace: dict = {}
    exec(SEED_QUICK_START, namespace)
    exec(SEED_PROFILER_USAGE, namespace)
    out = tmp_path / "my_profiler_output"
    profiler = namespace["profiler"]
    trend = profiler.n_partitions > profiler.plot_threshold
    assert files_under(out) == expected_files(profiler.result.top_features, trend=trend)


def test_profiler_benchmark_runs_at_small_scale():
    pytest.importorskip("matplotlib")
    from benchmarks.profiler import run

    table = run(n_samples=1000, n_features=2, max_leaf_nodes=60, repeats=1, seed=0)
    assert "| `run_profiling()` with `output_path` |" in table
    assert "meets the <= 20 s target" in table


def test_report_renderer_escapes_names_and_inlines_images():
    from hvrt.report import FeatureSection, ReportContent, ReportImage, render_report

    hostile = "<script>alert(1)</script>"
    image = ReportImage(png=PNG_MAGIC + b"payload", caption=f"plot of {hostile}")
    table = pd.DataFrame({"feature": [hostile], "variance_hhi": [0.5]})
    page = render_report(
        ReportContent(
            title="Partition profile",
            subtitle="test",
            overview=[("rows", "10")],
            summary_table=table,
            size_facts=[("min", "1")],
            size_image=image,
            feature_sections=[FeatureSection(feature=hostile, facts=[("HHI", "0.5")], table=table, images=[image])],
            comparison_images=[],
            scores_table=pd.DataFrame(columns=["feature", "wasserstein", "ks"]),
            notes=[f'install with {VIZ_HINT}'],
        )
    )
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('src="data:image/png;base64,iVBORw0KGgpwYXlsb2Fk"') == 2
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


# --------------------------------------------------------------------------- one validator, one grouping


def test_polars_input_gives_the_same_artifacts_as_pandas(tmp_path):
    polars = pytest.importorskip("polars")
    pytest.importorskip("matplotlib")
    data = make_data()
    labels = value_partitions(data, 60)
    from_pandas = PartitionProfiler(data, labels, output_path=tmp_path / "pandas").run_profiling()
    from_polars = PartitionProfiler(
        polars.from_pandas(data), polars.Series(labels.to_numpy()), output_path=tmp_path / "polars"
    ).run_profiling()
    assert files_under(tmp_path / "pandas") == files_under(tmp_path / "polars")
    for name in ("feature_summary.csv", "bimodal/prop_variance_distribution.csv"):
        assert (tmp_path / "pandas" / name).read_text() == (tmp_path / "polars" / name).read_text()
    summaries = [json.loads((tmp_path / side / "summary.json").read_text()) for side in ("pandas", "polars")]
    assert summaries[0] == summaries[1]
    pd.testing.assert_frame_equal(from_pandas.to_pandas(), from_polars.to_pandas())
    pd.testing.assert_series_equal(from_pandas.partition_sizes, from_polars.partition_sizes)


def test_run_profiling_groups_the_data_once(monkeypatch):
    pytest.importorskip("matplotlib")
    import hvrt._grouped

    calls = []
    real = hvrt._grouped.grouped_stats

    def counting(values, labels):
        calls.append(np.shape(values))
        return real(values, labels)

    # every module that groups looks the kernel up in hvrt._grouped or imported it by name
    for module in ("hvrt._grouped", "hvrt.profiler", "hvrt.metrics"):
        monkeypatch.setattr(f"{module}.grouped_stats", counting)
    data = make_data()
    profiler = PartitionProfiler(data, value_partitions(data, 70))
    profiler.run_profiling()
    assert calls == [(3000, 4)]
    profiler.generate_summary_table()  # reuses the run's grouping
    assert calls == [(3000, 4)]


def test_string_labels_keep_their_values_in_the_outputs(tmp_path):
    data = make_data(300)
    labels = np.array(["north", "south", "east"])[np.arange(300) % 3]
    result = PartitionProfiler(data, labels, output_path=tmp_path).run_profiling()
    assert list(result.partition_sizes.index) == ["east", "north", "south"]
    table = pd.read_csv(tmp_path / result.top_features[0] / "prop_variance_distribution.csv")
    assert list(table["partition"]) == ["east", "north", "south"]


def test_seed_keywords_and_x_labels_are_the_same_profiler():
    data = make_data(200)
    labels = np.arange(200) % 4
    by_seed = PartitionProfiler(data=data, partition_labels=labels)
    by_name = PartitionProfiler(X=data, labels=labels)
    pd.testing.assert_frame_equal(by_seed.generate_summary_table(), by_name.generate_summary_table())
    assert by_seed.data is data and by_seed.partition_labels is labels
    with pytest.raises(TypeError, match="pass labels or partition_labels"):
        PartitionProfiler(data, labels, partition_labels=labels)
    with pytest.raises(TypeError, match="missing required argument 'labels'"):
        PartitionProfiler(data)


def test_profiler_and_result_print_briefly():
    pytest.importorskip("matplotlib")
    data = make_data()
    profiler = PartitionProfiler(data, value_partitions(data, 200))
    assert "not run" in repr(profiler)
    result = profiler.run_profiling()
    for text in (repr(profiler), repr(result), repr(result.report)):
        assert len(text.splitlines()) <= 10 and len(text) < 1000, text
    assert "200 partitions" in repr(result)


def test_date_and_duration_features_are_drawn_on_date_and_duration_axes(tmp_path):
    # the values are nanoseconds; the axes must say dates and hours, not 1.7e18
    pytest.importorskip("matplotlib")
    from hvrt import DistributionAnalyzer
    from hvrt.plotting import _date_pattern, plot_distribution_comparison

    rng = np.random.default_rng(21)
    n = 4000
    X = pd.DataFrame({
        "when": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.uniform(0, 400, n), unit="D"),
        "took": pd.to_timedelta(rng.uniform(0, 600, n), unit="min"),
        "x": rng.normal(size=n),
    })
    labels = (X["when"].dt.month % 4).to_numpy()
    result = PartitionProfiler(X, labels).run_profiling()
    for feature, unit in (("when", "date"), ("took", "hours")):
        ax = result.figures[f"{feature}/feature_distribution_detailed"].axes[0]
        ax.figure.canvas.draw()
        assert ax.get_ylabel() == f"{feature} ({unit})"
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert len(ticks) >= 3
        if unit == "date":  # month starts over a year: written as year-month
            assert all(re.fullmatch(r"20(23|24)-\d\d", t) for t in ticks), ticks
        else:  # 0-10 hours in round numbers of hours (the locator may add one tick past each end)
            hours = np.array([float(t.replace("\N{MINUS SIGN}", "-")) for t in ticks])
            assert -3 <= hours.min() <= 0 and 10 <= hours.max() <= 13 and len(set(np.diff(hours))) == 1, ticks
    analyzer = DistributionAnalyzer(X, labels).fit()
    figure = plot_distribution_comparison(analyzer.compare("when"))
    figure.canvas.draw()
    assert figure.axes[0].get_xlabel() == "when (date)"
    # densities per unit of the axis, not per nanosecond (a peak of 1e-16 read as nothing):
    # the dates spread evenly over 400 days, about 1/400 a day
    assert figure.axes[0].get_ylabel() == "Density (per day)"
    assert 0.5 / 400 < max(figure.axes[0].lines[0].get_ydata()) < 2 / 400
    figure = plot_distribution_comparison(analyzer.compare("took"))
    figure.canvas.draw()
    assert figure.axes[0].get_xlabel() == "took (hours)" and figure.axes[0].get_ylabel() == "Density (per hour)"
    assert 0.5 / 10 < max(figure.axes[0].lines[0].get_ydata()) < 2 / 10  # even over 10 hours
    from hvrt.plotting import format_value

    # a duration in the figures' text is written in a unit, as the axes are
    assert format_value(5626e9, "durations") == "93.77 minutes"
    assert format_value(3 * 86_400e9, "durations") == "3 days" and format_value(-7.5e9, "durations") == "-7.5 seconds"
    # the shortest pattern that still tells the ticks apart
    def ns(*stamps: str) -> np.ndarray:
        return pd.to_datetime(list(stamps)).as_unit("ns").asi8

    assert _date_pattern(ns("2024-01-01", "2025-01-01")) == "%Y"
    assert _date_pattern(ns("2024-01-01", "2024-02-01")) == "%Y-%m"
    assert _date_pattern(ns("2024-01-01", "2024-01-02")) == "%Y-%m-%d"
    assert _date_pattern(ns("2024-01-01 06:00", "2024-01-01 12:00")) == "%Y-%m-%d %H:%M"
    assert _date_pattern(ns("2024-01-01 06:00:30", "2024-01-01 06:01:00")) == "%Y-%m-%d %H:%M:%S"


@pytest.mark.parametrize("n_partitions", [8, 60])  # boxes, then the binned violins
def test_a_date_axis_label_stays_beside_long_date_ticks(n_partitions):
    # Over two days the ticks read "2024-03-01 12:00"; the fixed left margin of a date axis
    # held them but pushed the axis label "when (date)" off the figure's left edge.
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(3)
    n = 600
    X = pd.DataFrame({"when": pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.uniform(0, 2, n), unit="D"),
                      "x": rng.normal(size=n)})  # fmt: skip
    result = PartitionProfiler(X, np.arange(n) % n_partitions).run_profiling()
    (figure,) = [f for name, f in result.figures.items() if name.startswith("when/feature_distribution")]
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    ticks = [label.get_window_extent(renderer) for label in ax.get_yticklabels() if label.get_text()]
    assert any(len(label.get_text()) == len("2024-03-01 12:00") for label in ax.get_yticklabels())
    assert ax.get_ylabel() == "when (date)"
    label = ax.yaxis.label.get_window_extent(renderer)
    assert 0 <= label.x0 and label.x1 < min(box.x0 for box in ticks)


@pytest.mark.parametrize("width", [1.8, 2.0, 10.0])
def test_a_date_y_axis_in_a_narrow_figure_keeps_its_axes(width):
    # The left margin that fits the date labels passed the axes' right edge in a figure under
    # 2 inches wide over one day, and matplotlib raised "left cannot be >= right"
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from hvrt.plotting import NS_PER_DAY, _time_axis

    figure = Figure(figsize=(width, 3))
    ax = figure.add_subplot()
    start = pd.Timestamp("2024-03-01").value
    ax.plot(np.arange(50), start + np.linspace(0, NS_PER_DAY, 50))
    _time_axis(ax.yaxis, "dates", "when")
    figure.canvas.draw()
    box = ax.get_position()
    assert 0 < box.x0 < box.x1 <= figure.subplotpars.right
    assert box.width >= 0.1 - 1e-12
    assert ax.get_ylabel() == "when (date)" and any(label.get_text() for label in ax.get_yticklabels())


def test_a_column_with_no_value_is_never_a_top_feature(tmp_path):
    # Its HHI is 0, so among three numeric columns it was one of the top 3, and drawing its
    # distribution failed the whole run ("feature 'empty' has no non-missing value").
    rng = np.random.default_rng(8)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.uniform(size=300), "empty": np.nan})
    labels = np.arange(300) % 5
    result = PartitionProfiler(X, labels, output_path=tmp_path).run_profiling()
    assert result.top_features == ["a", "b"] or result.top_features == ["b", "a"]
    assert "empty" in list(result.summary["feature"])  # still listed, with its HHI
    assert not (tmp_path / "empty").exists() and (tmp_path / "report.html").exists()


def test_a_feature_without_spread_has_no_hhi_and_the_report_says_not_defined(tmp_path):
    # The summary gave a constant (and an empty) column a variance HHI of 0.0, which reads as
    # "perfectly even" (an HHI is at least 1/K), and sorted it as the most even feature.
    rng = np.random.default_rng(17)
    X = pd.DataFrame({"const": 3.0, "a": rng.normal(size=80), "empty": np.nan}, index=range(80))
    labels = np.repeat([0, 1, 2, 3], 20)
    profiler = PartitionProfiler(X, labels, output_path=tmp_path)
    table = profiler.generate_summary_table()
    assert list(table["feature"]) == ["a", "const", "empty"]  # undefined last, not ranked
    assert table.set_index("feature").loc[["const", "empty"]].isna().all().all()
    result = profiler.run_profiling()
    assert result.top_features == ["a", "const"]
    html = (tmp_path / "report.html").read_text()
    cells = [re.sub(r"<[^>]+>|\s+", " ", row).split() for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.DOTALL)]
    rows = {" ".join(cell): cell for cell in cells}
    summary: dict[str, str] = {}  # the first table naming them: the feature summary
    for cell in cells:
        if cell and cell[0] in ("const", "empty"):
            summary.setdefault(cell[0], " ".join(cell[1:]))
    assert summary["const"].startswith("not defined not defined 0 0 "), summary  # W1 / KS of a constant: measured
    assert summary["empty"].startswith("not defined not defined not defined not defined 80 1 4"), summary
    assert "HHI not defined not defined" in rows  # the constant's share table
    assert "not defined (no variance in any partition)" in html


def test_the_report_says_what_a_category_table_leaves_out_and_its_figures_are_exact(tmp_path):
    # 1,500 categories over 10 partitions: the figures were those of a table lumping 501 of
    # them into "(other)" (overall HHI 100x too high), and the report never said so.
    rng = np.random.default_rng(4)
    n = 6000
    X = pd.DataFrame({"a": rng.normal(size=n), "zip": rng.integers(0, 1500, n).astype(str)})
    labels = rng.integers(0, 10, n)
    PartitionProfiler(X, labels, output_path=tmp_path).run_profiling()
    html = (tmp_path / "report.html").read_text()
    shown = pd.Series(X["zip"]).value_counts(sort=True)
    summary = json.loads((tmp_path / "summary.json").read_text())["categorical"][0]
    listed = sum(entry["rows"] for entry in summary["categories"])
    assert len(summary["categories"]) == 10
    note = (
        f"The table lists the 10 most frequent of the {shown.size:,} categories; the other "
        f"{shown.size - 10:,} hold {n - listed:,} of the {n:,} rows"
    )
    assert note in html and "are of all the categories" in html
    assert summary["overall_hhi"] == pytest.approx(float(((shown / n) ** 2).sum()), rel=1e-9)


def test_the_report_names_the_other_row_when_its_category_table_shows_it(tmp_path, monkeypatch):
    from hvrt import metrics as metrics_module

    monkeypatch.setattr(metrics_module, "MAX_CATEGORIES", 5)
    rng = np.random.default_rng(2)
    values = np.array([f"c{i}" for i in range(30)])[np.minimum(rng.geometric(0.2, 900) - 1, 29)]
    X = pd.DataFrame({"a": rng.normal(size=900), "c": values})
    PartitionProfiler(X, np.arange(900) % 4, output_path=tmp_path).run_profiling()
    html = (tmp_path / "report.html").read_text()
    counts = pd.Series(values).value_counts()
    hidden = int(counts.iloc[4:].sum())
    assert (
        f"The table lists the 4 most frequent of the {counts.size} categories; the other {counts.size - 4} hold "
        f"{hidden:,} of the 900 rows"
    ) in html
    assert "counted together in the row &quot;(other)&quot;." in html
    assert f'<td class="text" title="(other)">(other)</td><td>{hidden}</td>' in html


def test_report_cards_of_a_single_category_column_say_not_defined(tmp_path):
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=40), "onecat": ["only"] * 40})
    PartitionProfiler(X, np.arange(40) % 4, output_path=tmp_path).run_profiling()
    html = (tmp_path / "report.html").read_text()
    assert "<dd>nan</dd>" not in html and ">nan<" not in html
    assert html.count("<dd>not defined (one category)</dd>") == 3  # V, V if unrelated, R²
    table = html[html.index('id="categorical"') :]
    row = re.search(r"<tr><td[^>]*>onecat</td>(.*?)</tr>", table).group(1)
    assert re.sub(r"<[^>]+>", " ", row).split()[1:5] == ["not", "defined", "not", "defined"]


def test_long_names_are_cut_in_the_tables_and_given_whole_in_their_title(tmp_path):
    long = "a_long_column_name_" * 9
    category = "x" * 200
    rng = np.random.default_rng(5)
    X = pd.DataFrame({long: rng.normal(size=60), "b": rng.normal(size=60), "c": [category, "y<&>"] * 30})
    PartitionProfiler(X, np.arange(60) % 3, output_path=tmp_path).run_profiling()
    html = (tmp_path / "report.html").read_text()
    assert f'<td class="text" title="{long}">{long}</td>' in html
    assert f'<td class="text" title="{category}">{category}</td>' in html
    assert '<td class="text" title="y&lt;&amp;&gt;">y&lt;&amp;&gt;</td>' in html
    assert "td.text { max-width: 22em; overflow: hidden; text-overflow: ellipsis; }" in html


def test_csv_text_cells_that_start_like_a_formula_are_guarded(tmp_path):
    # A column named =HYPERLINK(...) went into feature_summary.csv as it is: Excel and
    # LibreOffice run it as a formula (OWASP's CSV injection). Numbers stay as they are.
    rng = np.random.default_rng(3)
    n = 60
    formula = '=HYPERLINK("http://x","y")'
    X = pd.DataFrame({formula: rng.normal(size=n) * 10, "+b": rng.normal(size=n), "@c": rng.normal(size=n), "d": 1.0})
    text_labels = np.array(["-one", "two", "\tthree"])[np.arange(n) % 3]
    PartitionProfiler(X, text_labels, output_path=tmp_path / "text").run_profiling()
    summary = pd.read_csv(tmp_path / "text" / "feature_summary.csv", keep_default_na=False)
    assert set(summary["feature"]) == {"'" + formula, "'+b", "'@c", "d"}
    result = json.loads((tmp_path / "text" / "summary.json").read_text())
    assert formula in [entry["feature"] for entry in result["features"]]  # JSON keeps the name
    folder = next(p for p in (tmp_path / "text").iterdir() if p.is_dir())
    shares = pd.read_csv(folder / "prop_variance_distribution.csv", keep_default_na=False)
    assert sorted(shares["partition"]) == ["'\tthree", "'-one", "two"]
    PartitionProfiler(X, np.arange(n) % 3 - 1, output_path=tmp_path / "numbers").run_profiling()
    folder = next(p for p in (tmp_path / "numbers").iterdir() if p.is_dir())
    assert (folder / "prop_variance_distribution.csv").read_text().splitlines()[1].startswith("-1,")


def _kolkata_zones():
    import datetime

    import dateutil.tz

    return {
        "zoneinfo": "Asia/Kolkata",
        "dateutil name": "dateutil/Asia/Kolkata",
        "dateutil gettz": dateutil.tz.gettz("Asia/Kolkata"),
        "dateutil offset": dateutil.tz.tzoffset(None, 19800),
        "fixed offset": datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
    }


@pytest.mark.parametrize("kind", list(_kolkata_zones()))
def test_dates_in_any_kind_of_zone_are_drawn_on_their_clock(tmp_path, kind):
    # F4: the figures were given the zone's text, which for dateutil's zones is a repr
    # (tzfile('/usr/share/zoneinfo/...'), tzoffset(None, 19800)) that neither matplotlib nor
    # pandas read: saved profiles and analyzer figures crashed. The zone is now named as
    # pandas reads it back and the figures get its tzinfo.
    pytest.importorskip("matplotlib")
    from hvrt import DistributionAnalyzer
    from hvrt.plotting import format_value

    rng = np.random.default_rng(7)
    n = 600
    zone = _kolkata_zones()[kind]
    if kind in ("dateutil name", "dateutil gettz") and int(pd.__version__.split(".")[0]) < 3:
        pytest.skip("pandas 2.2 fails on dateutil's tzfile zones itself (get_dst_info: utcoffset None)")
    # (midnight in Kolkata, made in UTC: pandas 2.2 cannot localize to dateutil zones)
    start = pd.Timestamp("2024-03-09 18:30", tz="UTC").tz_convert(zone)
    X = pd.DataFrame({"hours": start + pd.to_timedelta(rng.integers(0, 6 * 3600, n), unit="s"), "x": rng.normal(size=n)})
    labels = rng.integers(0, 6, n)
    figure = DistributionAnalyzer(X, labels).fit().plot_comparison("hours")
    figure.savefig(tmp_path / "hours.png")
    ax = figure.axes[0]
    assert ax.get_xlabel().startswith("hours (date, ") and "tz" not in ax.get_xlabel()
    low, high = ax.get_xlim()
    shown = [t.get_text() for t, at in zip(ax.get_xticklabels(), ax.get_xticks()) if low <= at <= high and t.get_text()]
    assert "2024-03-10 00:00" in shown and all(text.startswith("2024-03-10 0") for text in shown), shown
    from hvrt._validation import zone_name

    assert format_value(start.value, "dates", zone=zone_name(X["hours"].dtype.tz)).endswith("+05:30")
    PartitionProfiler(X, labels, output_path=tmp_path / "profile").run_profiling()
    assert list((tmp_path / "profile").rglob("*.png"))


def test_zoned_dates_are_drawn_and_written_on_their_own_clock(tmp_path):
    # Every value is on 2024-03-10 between 00:00 and 06:00 in Kolkata; the axes read
    # 2024-03-09 20:00 .. (UTC wall clock, no zone said) and the box medians sat 5.5 h early.
    pytest.importorskip("matplotlib")
    from hvrt import DistributionAnalyzer
    from hvrt.plotting import format_value

    rng = np.random.default_rng(7)
    n = 2000
    start = pd.Timestamp("2024-03-10 00:00", tz="Asia/Kolkata")
    hours = start + pd.to_timedelta(rng.integers(0, 6 * 3600, n), unit="s")
    X = pd.DataFrame({"hours": hours, "x": rng.normal(size=n)})
    labels = rng.integers(0, 8, n)
    figure = DistributionAnalyzer(X, labels).fit().plot_comparison("hours")
    figure.canvas.draw()
    ax = figure.axes[0]
    assert ax.get_xlabel() == "hours (date, Asia/Kolkata)"
    low, high = ax.get_xlim()
    shown = [t.get_text() for t, at in zip(ax.get_xticklabels(), ax.get_xticks()) if low <= at <= high and t.get_text()]
    assert shown and all(text.startswith("2024-03-10 0") for text in shown), shown
    assert "2024-03-10 00:00" in shown  # local midnight is a round tick
    assert format_value(start.value, "dates", zone="Asia/Kolkata") == "2024-03-10 00:00:00+05:30"
    assert format_value(start.value, "dates") == "2024-03-09 18:30:00"  # naive: as it is
    result = PartitionProfiler(X, labels).run_profiling()
    (boxes,) = [f for name, f in result.figures.items() if name == "hours/feature_distribution_detailed"]
    boxes.canvas.draw()
    ax = boxes.axes[0]
    assert ax.get_ylabel() == "hours (date, Asia/Kolkata)"
    local = pd.to_datetime(ax.get_yticks(), unit="ns", utc=True).tz_convert("Asia/Kolkata")
    texts = [t.get_text() for t in ax.get_yticklabels()]
    assert texts == [stamp.strftime("%Y-%m-%d %H:%M") for stamp in local]
