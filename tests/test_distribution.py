"""DistributionAnalyzer: the reconstruction, what its scores mean, errors, and plotting."""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.exceptions import NotFittedError

from hvrt import DistributionAnalyzer, HVRTPartitioner
from hvrt import distribution as distribution_module
from hvrt.distribution import (
    DistributionScore,
    mixture_density_on_grid,
    scale_classes,
    score_against_data,
)
from .seed_readme import SEED_QUICK_START, SEED_ANALYZER_USAGE

VIZ_HINT = 'pip install "hvrt-partitioner[viz]"'


@pytest.fixture
def bimodal() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    x = np.r_[rng.normal(-3.0, 1.0, 3000), rng.normal(3.0, 1.0, 3000)]
    return pd.DataFrame({"x": x, "noise": rng.normal(size=len(x))})


def rank_partitions(values: np.ndarray, n_partitions: int) -> np.ndarray:
    """Labels cutting the rows into ``n_partitions`` groups of neighbouring values."""
    ranks = np.argsort(np.argsort(values, kind="stable"), kind="stable")
    return ranks * n_partitions // len(values)


# --------------------------------------------------------------------------- meaning


@pytest.mark.parametrize("method", ["gaussian", "kde"])
def test_single_partition_scores_far_worse_than_fine_partitions_on_bimodal_feature(bimodal, method):
    single = DistributionAnalyzer(bimodal, np.zeros(len(bimodal), dtype=int), method=method).fit()
    fine = DistributionAnalyzer(bimodal, rank_partitions(bimodal["x"].to_numpy(), 64), method=method).fit()
    coarse_score, fine_score = single.score("x"), fine.score("x")
    assert coarse_score.wasserstein > 10 * fine_score.wasserstein
    assert coarse_score.ks > 5 * fine_score.ks
    if method == "gaussian":
        # One Normal cannot show two modes: the gap is a sizeable share of a std.
        assert coarse_score.wasserstein > 0.2
        assert fine_score.wasserstein < 0.02


def test_gaussian_scores_match_scipy_for_one_normal(bimodal):
    x = bimodal["x"].to_numpy()
    analyzer = DistributionAnalyzer(bimodal, np.zeros(len(x), dtype=int)).fit()
    score = analyzer.score("x")
    mu, sigma = x.mean(), x.std()
    levels = (np.arange(200_000) + 0.5) / 200_000
    exact_w1 = stats.wasserstein_distance(x, stats.norm.ppf(levels, mu, sigma))
    exact_ks = stats.kstest(x, stats.norm(mu, sigma).cdf).statistic
    assert score.wasserstein == pytest.approx(exact_w1 / sigma, rel=0.01)
    assert score.ks == pytest.approx(exact_ks, abs=2e-3)


def test_scores_do_not_depend_on_the_feature_scale(bimodal):
    # The predecessor's absolute bandwidth made results change with units; ours must not.
    labels = rank_partitions(bimodal["noise"].to_numpy(), 30)
    for method in ("gaussian", "kde"):
        base = DistributionAnalyzer(bimodal, labels, method=method).fit().scores()
        rescaled = DistributionAnalyzer(bimodal * 1000.0 + 5.0e6, labels, method=method).fit().scores()
        np.testing.assert_allclose(rescaled[["wasserstein", "ks"]], base[["wasserstein", "ks"]], rtol=0.02, atol=1e-4)


@pytest.mark.parametrize("method", ["gaussian", "kde"])
@pytest.mark.parametrize("offset", [1e15, -1e16, 1e17])
def test_scores_at_a_large_offset_match_those_at_zero(offset, method):
    # At 1e15 float64 resolves 0.125: a grid built there was uneven at a step of a few
    # units, and the scores drifted (W1 0.0103 -> 0.0209 at 1e15, 0.52 at 1e16, NaN at 1e17).
    # The stored values differ from the base by at most half a spacing (ulp), and so do
    # the partition means: W1 may move by one ulp / std, KS by the data's mass within one ulp.
    rng = np.random.default_rng(1)
    base = rng.normal(0.0, 1e3, 5000)
    labels = rank_partitions(base, 32)
    ulp = float(np.spacing(abs(offset)))
    reference = DistributionAnalyzer(pd.DataFrame({"x": base}), labels, method=method).fit().score("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by a zero step on the way
        shifted = DistributionAnalyzer(pd.DataFrame({"x": base + offset}), labels, method=method).fit().score("x")
    assert shifted.wasserstein == pytest.approx(reference.wasserstein, abs=ulp / 1e3 + 1e-5)
    assert shifted.ks == pytest.approx(reference.ks, abs=ulp * stats.norm.pdf(0.0, scale=1e3) + 1e-5)


def exact_mixture_ks(values: np.ndarray, means: np.ndarray, sds: np.ndarray, weights: np.ndarray) -> float:
    """KS between a sample and a mixture whose zero-sd parts are point masses, at both sides of every row."""
    xs = np.sort(values)
    normal = sds > 0
    smooth = (weights[normal] * stats.norm.cdf(xs[:, None], means[normal], sds[normal])).sum(axis=1)
    at = smooth + (weights[~normal] * (xs[:, None] >= means[~normal])).sum(axis=1)
    before = smooth + (weights[~normal] * (xs[:, None] > means[~normal])).sum(axis=1)
    n = len(xs)
    return max(
        np.abs(np.searchsorted(xs, xs, "right") / n - at).max(), np.abs(np.searchsorted(xs, xs, "left") / n - before).max()
    )


@pytest.mark.parametrize("method", ["gaussian", "kde"])
def test_constant_partitions_count_as_point_masses_in_ks(method):
    # A zero-inflated feature: the partitions of the zeros are constant, so the reconstruction
    # holds point masses at 0 as the data does. A zero-sd kernel's CDF at its own centre read
    # 0.5 instead of 1, which made KS 0.31 where the exact value is 0.006.
    rng = np.random.default_rng(0)
    n = 4000
    x = np.where(rng.random(n) < 0.6, 0.0, rng.lognormal(0.0, 0.5, n))
    labels = rank_partitions(x, 40)
    analyzer = DistributionAnalyzer(pd.DataFrame({"x": x}), labels, method=method).fit()
    score = analyzer.score("x")
    if method == "gaussian":
        grouped = analyzer.stats_
        exact = exact_mixture_ks(
            x, grouped.mean[:, 0], np.sqrt(grouped.variance[:, 0]), grouped.count[:, 0] / n
        )
        assert score.ks == pytest.approx(exact, abs=2e-3)
    assert score.ks < 0.02
    # One row per partition: every partition is its own point mass, a perfect reconstruction.
    single = DistributionAnalyzer(pd.DataFrame({"x": x}), np.arange(n), method=method).fit().score("x")
    assert single.ks == pytest.approx(0.0, abs=1e-12)
    assert single.wasserstein == pytest.approx(0.0, abs=1e-9)


def test_kde_reconstruction_is_not_the_global_kde_by_construction(bimodal):
    # Random partitions each mix both modes, so their own (wide) bandwidths blur the
    # modes; a shared bandwidth would have reproduced the global KDE exactly.
    labels = np.random.default_rng(0).integers(0, 40, len(bimodal))
    comparison = DistributionAnalyzer(bimodal, labels, method="kde").fit().compare("x")
    gap = np.abs(comparison.reconstructed_density - comparison.original_density).max()
    assert gap > 0.2 * comparison.original_density.max()
    assert comparison.score.wasserstein > 0.05


def test_fine_partitions_reconstruct_almost_exactly(bimodal):
    analyzer = DistributionAnalyzer(bimodal, np.arange(len(bimodal))).fit()  # one row each
    score = analyzer.score("x")
    assert score.wasserstein < 0.005
    assert score.ks < 0.005


# --------------------------------------------------------------------------- numerics


def test_mixture_density_matches_direct_evaluation():
    grid = np.linspace(-10, 10, 2048)
    points = np.array([-4.0, -1.0, 0.5, 3.0])
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    scales = np.array([0.5, 1.0, 0.25, 2.0])
    density = mixture_density_on_grid(grid, points, weights, np.arange(4), scales)
    direct = (weights * stats.norm.pdf(grid[:, None], points, scales)).sum(axis=1)
    np.testing.assert_allclose(density, direct, atol=2e-3 * direct.max())
    mass_on_grid = (weights * np.diff(stats.norm.cdf([[-10.0], [10.0]], points, scales), axis=0)).sum()
    assert density.sum() * (grid[1] - grid[0]) == pytest.approx(mass_on_grid, abs=1e-5)


@pytest.mark.parametrize("n_grid", [2048, 2902])  # 2 x 2902 = 4 x 1451 is padded to a fast length
def test_sorted_density_bins_like_the_general_mixture(n_grid):
    # The data's own KDE bins its sorted rows by searching the grid's points in them; rows
    # below and beyond the grid, on grid points and in empty cells bin as the general path does.
    rng = np.random.default_rng(3)
    grid = np.linspace(-3.0, 5.0, n_grid)
    points = np.sort(np.r_[rng.normal(0.0, 1.0, 5000), rng.uniform(4.0, 7.0, 50), -4.0, grid[[0, 17, -1]], 2.5])
    general = mixture_density_on_grid(grid, points, 1.0 / len(points), np.zeros(len(points), dtype=np.int64), np.array([0.05]))
    sorted_path = distribution_module.sorted_density_on_grid(grid, points, 1.0 / len(points), 0.05)
    np.testing.assert_allclose(sorted_path, general, rtol=1e-9, atol=1e-12 * general.max())
    direct = stats.norm.pdf(grid[:, None], points[(points >= -3.0) & (points <= 5.0)], 0.05).sum(axis=1) / len(points)
    np.testing.assert_allclose(sorted_path[100:-100], direct[100:-100], atol=2e-3 * direct.max())


def test_scale_classes_keep_each_scale_within_tolerance():
    scales = np.geomspace(0.01, 50.0, 5000)
    classes, class_scales = scale_classes(scales, rel_tol=0.005)
    assert len(class_scales) < len(scales)
    np.testing.assert_array_less(np.abs(class_scales[classes] / scales - 1.0), 0.0051)


def test_score_against_data_is_zero_for_the_data_own_cdf():
    values = np.sort(np.random.default_rng(1).normal(size=4000))
    grid = np.linspace(-6, 6, 4096)
    wasserstein, ks = score_against_data(values, grid, stats.norm.cdf(grid))
    assert wasserstein == pytest.approx(stats.wasserstein_distance(values, stats.norm.ppf((np.arange(100_000) + 0.5) / 100_000)), rel=0.02)
    assert ks == pytest.approx(stats.kstest(values, "norm").statistic, abs=1e-4)


def test_score_against_data_inverts_a_cdf_with_a_plateau():
    # Two clusters with nothing between them: the CDF is flat from 2 to 10. Levels just
    # below the plateau are reached at 2, not part-way to 10 (which dropping the plateau's
    # first point did: W1 0.0025 x 4 for this sample).
    grid = np.r_[np.linspace(0.0, 2.0, 201), np.linspace(10.0, 11.0, 101)]
    cdf = np.r_[np.linspace(0.0, 0.5, 201), np.linspace(0.5, 1.0, 101)]
    n = 2000
    sample = np.interp((np.arange(n) + 0.5) / n, cdf, grid)  # its own mid-rank quantiles
    wasserstein, ks = score_against_data(np.sort(sample), grid, cdf)
    assert wasserstein == pytest.approx(0.0, abs=1e-9)
    assert ks == pytest.approx(0.5 / n, abs=1e-9)


def test_comparison_curves_are_densities(bimodal):
    comparison = DistributionAnalyzer(bimodal, rank_partitions(bimodal["x"].to_numpy(), 8)).fit().compare("x")
    step = comparison.grid[1] - comparison.grid[0]
    assert comparison.original_density.sum() * step == pytest.approx(1.0, abs=1e-3)
    assert comparison.reconstructed_density.sum() * step == pytest.approx(1.0, abs=1e-3)
    assert comparison.reconstructed_cdf[0] == pytest.approx(0.0, abs=1e-6)
    assert comparison.reconstructed_cdf[-1] == pytest.approx(1.0)
    assert np.all(np.diff(comparison.reconstructed_cdf) >= 0)
    low, high = comparison.data_range
    assert comparison.grid[0] < low and comparison.grid[-1] > high
    assert comparison.n_partitions == 8


# --------------------------------------------------------------------------- API


def test_fit_returns_self_and_scores_cover_numeric_features_only(bimodal):
    data = bimodal.assign(
        city=np.where(bimodal["x"] > 0, "a", "b"),
        flag=bimodal["x"] > 0,
        kind=pd.Categorical(np.where(bimodal["noise"] > 0, "p", "q")),
    )
    analyzer = DistributionAnalyzer(data, rank_partitions(data["x"].to_numpy(), 10))
    assert analyzer.fit() is analyzer
    table = analyzer.scores()
    assert list(table.columns) == ["feature", "wasserstein", "ks"]
    assert list(table["feature"]) == ["x", "noise"]
    assert analyzer.skipped_columns_ == ["city", "flag", "kind"]
    score = analyzer.score("noise")
    assert isinstance(score, DistributionScore)
    assert (score.feature, score.wasserstein, score.ks) == tuple(table.iloc[1])


def test_missing_values_are_skipped_and_constant_features_score_zero():
    rng = np.random.default_rng(3)
    x = rng.normal(size=500)
    x[::7] = np.nan
    data = pd.DataFrame({"x": x, "const": 4.0, "empty": np.nan})
    analyzer = DistributionAnalyzer(data, rng.integers(0, 5, 500)).fit()
    assert np.isfinite(analyzer.score("x").wasserstein)
    assert analyzer.score("const") == DistributionScore("const", 0.0, 0.0)
    assert list(analyzer.scores()["feature"]) == ["x", "const"]  # the all-missing column has no score
    with pytest.raises(ValueError, match="'empty' has no non-missing value"):
        analyzer.score("empty")


def test_unnamed_columns_are_addressed_by_their_label():
    data = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 2)))
    analyzer = DistributionAnalyzer(data, np.arange(300) % 3).fit()
    assert analyzer.score(0).feature == "0"
    assert list(analyzer.scores()["feature"]) == ["0", "1"]


@pytest.mark.parametrize(
    ("data", "labels", "error", "match"),
    [
        (np.zeros(4), [0, 0, 1, 1], ValueError, "Expected 2D array for X"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4]}), {"a": 1}, TypeError, "labels must be a 1-D array, list or Series"),
        (pd.DataFrame({"a": [1.0, 2, 3, np.inf]}), [0, 0, 1, 1], ValueError, r"X column\(s\) \['a'\] contain infinite"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4]}), [0, 1, 1], ValueError, "3 entries but X has 4 rows"),
        (
            pd.DataFrame({"a": [1.0, 2, 3, 4]}),
            pd.Series([0, 0, 1, 1], index=[9, 8, 7, 6]),
            ValueError,
            "index differs from X's index",
        ),
        (pd.DataFrame({"a": [1.0, 2, 3, 4]}), pd.Series([0, 1, 1]), ValueError, "3 entries but X has 4"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4]}), np.zeros((4, 1)), ValueError, "must be 1-D"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4]}), [0, None, 1, 1], ValueError, "1 missing value"),
    ],
)
def test_constructor_rejects_bad_input(data, labels, error, match):
    with pytest.raises(error, match=match):
        DistributionAnalyzer(data, labels)


def test_bad_method_grid_and_feature_errors(bimodal):
    labels = np.arange(len(bimodal)) % 4
    with pytest.raises(ValueError, match="method must be one of"):
        DistributionAnalyzer(bimodal, labels, method="histogram")
    with pytest.raises(ValueError, match="grid_size must be an integer >= 64"):
        DistributionAnalyzer(bimodal, labels, grid_size=10)
    analyzer = DistributionAnalyzer(bimodal.assign(city="a"), labels)
    with pytest.raises(NotFittedError, match="call fit"):
        analyzer.score("x")
    analyzer.fit()
    with pytest.raises(ValueError, match="'missing' is not a column"):
        analyzer.score("missing")
    with pytest.raises(ValueError, match="'city' is not numeric"):
        analyzer.score("city")
    with pytest.raises(ValueError, match="no numeric column"):
        DistributionAnalyzer(pd.DataFrame({"s": list("abcd")}), [0, 0, 1, 1]).fit()


# --------------------------------------------------------------------------- plotting


def test_plot_comparison_draws_solid_original_and_dashed_reconstruction(bimodal, tmp_path):
    pytest.importorskip("matplotlib")
    analyzer = DistributionAnalyzer(bimodal, rank_partitions(bimodal["x"].to_numpy(), 12)).fit()
    target = tmp_path / "new" / "nested" / "x.png"
    figure = analyzer.plot_comparison("x", save_path=target)
    assert target.stat().st_size > 10_000
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = figure.axes[0].get_lines()
    assert [line.get_linestyle() for line in lines] == ["-", "--"]
    np.testing.assert_array_equal(lines[1].get_ydata(), analyzer.compare("x").reconstructed_density)
    assert "'x'" in figure.axes[0].get_title()


def test_plot_comparison_without_matplotlib_names_the_extra(bimodal, monkeypatch):
    analyzer = DistributionAnalyzer(bimodal, np.arange(len(bimodal)) % 3).fit()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=re.escape(VIZ_HINT)):
        analyzer.plot_comparison("x")
    # The numbers never needed matplotlib.
    assert analyzer.score("x").wasserstein >= 0


@pytest.mark.parametrize("days", [0.4, 2.2, 30, 400])
def test_date_tick_labels_stay_inside_the_figure_and_apart(days):
    # Over 10 hours the labels are "2023-01-01 15:00" long: 10 of them overlapped each other
    # and the last ran past the figure's right edge; over a month the locator's restart at
    # the 1st put "2023-01-29" against "2023-02-01", which touched the edge.
    pytest.importorskip("matplotlib")
    from hvrt.plotting import plot_distribution_comparison

    rng = np.random.default_rng(21)
    n = 2000
    when = pd.Timestamp("2023-01-01 13:17") + pd.to_timedelta(rng.uniform(0, days, n), unit="D")
    X = pd.DataFrame({"when": when, "x": rng.normal(size=n)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (matplotlib's date locator warned over 2.2 days)
        figure = plot_distribution_comparison(DistributionAnalyzer(X, np.arange(n) % 4).fit().compare("when"))
        figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = sorted(
        (label.get_window_extent(renderer) for label in figure.axes[0].get_xticklabels() if label.get_text()),
        key=lambda box: box.x0,
    )
    assert len(boxes) >= 3
    assert boxes[0].x0 >= 0 and boxes[-1].x1 <= figure.bbox.width
    assert all(right.x0 > left.x1 for left, right in zip(boxes, boxes[1:]))





def test_seed_readme_distribution_analyzer_usage_runs_verbatim(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    np.random.seed(0)  # the README draws from numpy's global generator
    namespace: dict = {}
    exec(SEED_QUICK_START, namespace)
    exec(SEED_ANALYZER_USAGE, namespace)
    assert (tmp_path / "analyzer_output" / "feat_0_comparison.png").stat().st_size > 10_000
    assert namespace["analyzer"].score("feat_0").wasserstein < 0.1


def test_polars_and_arrays_are_read_like_pandas(bimodal):
    polars = pytest.importorskip("polars")
    labels = rank_partitions(bimodal["x"].to_numpy(), 16)
    reference = DistributionAnalyzer(bimodal, labels).fit().scores()
    from_polars = DistributionAnalyzer(polars.from_pandas(bimodal), polars.Series(labels)).fit().scores()
    pd.testing.assert_frame_equal(reference, from_polars)
    from_array = DistributionAnalyzer(bimodal.to_numpy(), labels).fit().scores()
    assert list(from_array["feature"]) == ["f0", "f1"]
    np.testing.assert_array_equal(from_array["wasserstein"], reference["wasserstein"])


def test_fit_takes_a_shared_grouping_and_refuses_another(bimodal):
    from hvrt import grouped_stats

    labels = rank_partitions(bimodal["x"].to_numpy(), 8)
    stats = grouped_stats(bimodal.to_numpy(), labels)
    analyzer = DistributionAnalyzer(bimodal, labels).fit(stats=stats)
    assert analyzer.stats_ is stats
    assert analyzer.score("x") == DistributionAnalyzer(bimodal, labels).fit().score("x")
    with pytest.raises(ValueError, match="stats describe .* rows x 1 columns"):
        DistributionAnalyzer(bimodal, labels).fit(stats=grouped_stats(bimodal[["x"]].to_numpy(), labels))


def test_seed_keywords_repr_and_to_pandas(bimodal):
    labels = np.arange(len(bimodal)) % 4
    analyzer = DistributionAnalyzer(data=bimodal, partition_labels=labels)
    assert analyzer.data is bimodal and analyzer.partition_labels is labels
    assert "not fitted" in repr(analyzer)
    analyzer.fit()
    assert repr(analyzer) == "DistributionAnalyzer(6,000 rows, method='gaussian', fitted: 2 features x 4 partitions)"
    pd.testing.assert_frame_equal(analyzer.to_pandas(), analyzer.scores())
    comparison = analyzer.compare("x")
    assert "\n" not in repr(comparison) and "2048 grid points" in repr(comparison)
    curves = comparison.to_pandas()
    assert list(curves.columns) == ["grid", "original_density", "reconstructed_density", "reconstructed_cdf"]
    assert len(curves) == 2048
    with pytest.raises(TypeError, match="pass X or data"):
        DistributionAnalyzer(bimodal, labels, data=bimodal)


# --------------------------------------------------------------------------- honest figures


def _exact_mixture_scores(x: np.ndarray, centres, weights, scales) -> tuple[float, float]:
    """W1 / std and KS of the data against a Normal mixture, from scipy's Normal CDF."""
    x = np.sort(x)
    n = len(x)

    def cdf(points: np.ndarray) -> np.ndarray:
        return (weights[:, None] * stats.norm.cdf(points[None, :], centres[:, None], scales[:, None])).sum(axis=0)

    at_data = cdf(x)
    upper = np.arange(1, n + 1) / n
    ks = max(np.max(upper - at_data), np.max(at_data - (upper - 1 / n)))
    levels = (np.arange(n) + 0.5) / n
    low, high = np.full(n, (centres - 40 * scales).min()), np.full(n, (centres + 40 * scales).max())
    for _ in range(80):  # bisection for the mixture's quantiles
        middle = (low + high) / 2
        below = cdf(middle) < levels
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    return float(np.mean(np.abs(x - (low + high) / 2)) / x.std()), float(ks)


@pytest.mark.parametrize("far", [1e2, 1e6, 1e9])
def test_one_far_outlier_leaves_curves_and_scores_exact(far):
    # The grid once ran from the smallest to the largest value, and every kernel was widened
    # to its step: with one value at 1e6 among N(0, 1) rows both curves were flat lines at
    # 0.0045 and KS was 0.49 where the exact figure is 0.064.
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 8, 2000)
    x = np.r_[rng.normal(size=1999), far]
    frame = pd.DataFrame({"x": x})
    comparison = DistributionAnalyzer(frame, labels).fit().compare("x")
    grouped = pd.Series(x).groupby(labels)
    centres, scales = grouped.mean().to_numpy(), grouped.std(ddof=0).to_numpy()
    weights = grouped.size().to_numpy() / len(x)
    wasserstein, ks = _exact_mixture_scores(x, centres, weights, scales)
    assert comparison.score.ks == pytest.approx(ks, abs=1e-3)
    assert comparison.score.wasserstein == pytest.approx(wasserstein, rel=5e-3)
    # Inside the window both curves are those of the mixture and of the data's KDE.
    grid = comparison.grid
    expected = (weights[:, None] * stats.norm.pdf(grid[None, :], centres[:, None], scales[:, None])).sum(axis=0)
    np.testing.assert_allclose(comparison.reconstructed_density, expected, atol=2e-3 * expected.max())
    np.testing.assert_allclose(comparison.reconstructed_cdf, _mixture_cdf(grid, centres, weights, scales), atol=1e-3)
    kde = stats.gaussian_kde(x[:-1], bw_method=comparison.original_bandwidth / x[:-1].std(ddof=1))
    inside = (grid > -2.5) & (grid < 2.5)
    np.testing.assert_allclose(comparison.original_density[inside], kde(grid[inside]) * 1999 / 2000, rtol=0.02)
    assert 0.3 < comparison.original_density.max() < 0.5  # N(0, 1)'s peak, not a flat line


def _mixture_cdf(points, centres, weights, scales):
    return (weights[:, None] * stats.norm.cdf(points[None, :], centres[:, None], scales[:, None])).sum(axis=0)


def test_kde_scores_with_a_far_outlier_match_the_exact_mixture(monkeypatch):
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 6, 1500)
    x = np.r_[rng.normal(size=1499), 1e6]
    score = DistributionAnalyzer(pd.DataFrame({"x": x}), labels, method="kde").fit().score("x")
    grouped = pd.Series(x).groupby(labels)
    bandwidth = (1.06 * grouped.std(ddof=0) * grouped.size() ** -0.2).to_numpy()
    wasserstein, ks = _exact_mixture_scores(x, x, np.full(len(x), 1 / len(x)), bandwidth[labels])
    assert score.ks == pytest.approx(ks, abs=2e-3)
    assert score.wasserstein == pytest.approx(wasserstein, rel=0.01)
    # Past EXACT_PAIRS the kernels beyond the window are smoothed on a coarse grid of their own.
    monkeypatch.setattr(distribution_module, "EXACT_PAIRS", 0)
    coarse = DistributionAnalyzer(pd.DataFrame({"x": x}), labels, method="kde").fit().score("x")
    assert coarse.ks == pytest.approx(ks, abs=2e-3)
    assert coarse.wasserstein == pytest.approx(wasserstein, rel=0.02)


def test_a_far_outlier_is_counted_beyond_the_axis_not_drawn(tmp_path):
    rng = np.random.default_rng(11)
    x = np.append(rng.normal(0.0, 1.0, 10_000), 30.0)  # one row at z = 30
    data = pd.DataFrame({"x": x})
    comparison = DistributionAnalyzer(data, rank_partitions(x, 40)).fit().compare("x")
    low, high = comparison.window
    assert 3.0 < high < 5.0 and -5.0 < low < -3.0
    assert comparison.n_above == int(np.sum(x > high)) and comparison.n_below == int(np.sum(x < low))
    assert 1 <= comparison.n_above <= 5  # the outlier, and at most a few Normal tail rows
    # The grid spans the window, so its step does not depend on the outlier; the scores
    # see every row all the same (test_one_far_outlier_leaves_curves_and_scores_exact).
    assert comparison.grid[-1] < 15.0  # the top partition's Normal (mean 2.5, std 1.8) and its tails
    in_window = np.count_nonzero((comparison.grid >= low) & (comparison.grid <= high))
    assert in_window >= 2047 // 3  # at least a third of grid_size
    pytest.importorskip("matplotlib")
    figure = DistributionAnalyzer(data, rank_partitions(x, 40)).fit().plot_comparison("x")
    ax = figure.axes[0]
    assert ax.get_xlim()[1] < 6.0
    assert any(f"{comparison.n_above} row" in text.get_text() and "above" in text.get_text() for text in ax.texts)


def test_a_constant_feature_is_drawn_as_a_spike_not_a_density():
    data = pd.DataFrame({"x": np.random.default_rng(0).normal(size=300), "const": 4.0})
    comparison = DistributionAnalyzer(data, np.arange(300) % 3).fit().compare("const")
    assert comparison.is_constant and comparison.n_values == 300
    assert not DistributionAnalyzer(data, np.arange(300) % 3).fit().compare("x").is_constant
    pytest.importorskip("matplotlib")
    figure = DistributionAnalyzer(data, np.arange(300) % 3).fit().plot_comparison("const")
    ax = figure.axes[0]
    assert ax.get_lines() == [] and ax.get_ylabel() == "Share of rows"  # no density curve at all
    segments = np.concatenate([collection.get_segments() for collection in ax.collections])
    np.testing.assert_array_equal(segments[:, :, 0], 4.0)  # vertical at the value
    np.testing.assert_array_equal(segments[:, :, 1], [[0.0, 1.0]] * len(segments))  # all the mass
    assert any("Constant feature" in text.get_text() for text in ax.texts)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Original: all 300 values", "Reconstruction from 3 partitions"]
    # one value in one partition, in words ("all 1 values", "1 partitions" before)
    single = pd.DataFrame({"x": data["x"], "once": np.r_[7.0, np.full(299, np.nan)]})
    figure = DistributionAnalyzer(single, np.arange(300) % 3).fit().plot_comparison("once")
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["Original: the 1 value present", "Reconstruction from 1 partition"]


def test_a_heaped_feature_keeps_its_heaps_in_the_original_density():
    from hvrt.distribution import _silverman_bandwidth, original_bandwidth

    rng = np.random.default_rng(12)
    # Weights on a 0.01 grid, with heaps at the round values 0.5, 1.0 and 1.5 (as diamonds' carat).
    smooth = np.round(rng.gamma(4.0, 0.25, 20_000), 2)
    heaps = rng.choice([0.5, 1.0, 1.5], 6_000)
    x = np.r_[smooth, heaps]
    std = float(x.std())
    assert original_bandwidth(np.sort(x), std) == pytest.approx(0.01)
    assert _silverman_bandwidth(np.sort(x), std) > 0.04
    comparison = DistributionAnalyzer(pd.DataFrame({"x": x}), rank_partitions(x, 20)).fit().compare("x")
    density = np.interp
    for heap in (0.5, 1.0, 1.5):
        at_heap = density(heap, comparison.grid, comparison.original_density)
        beside = max(density(heap + d, comparison.grid, comparison.original_density) for d in (-0.04, 0.04))
        assert at_heap > 2.0 * beside, heap
    # Continuous data (no repeats) keeps Silverman's rule.
    continuous = np.sort(rng.normal(size=5_000))
    assert original_bandwidth(continuous, 1.0) == _silverman_bandwidth(continuous, 1.0)


@pytest.mark.parametrize("method", ["gaussian", "kde"])
@pytest.mark.parametrize("share", [0.001, 0.01, 0.1])
def test_a_far_cluster_keeps_the_scores_of_the_exact_mixture(share, method):
    # A cluster at 1e6 holding 1 % of the rows or more stretches the figure's window over
    # both clusters (step ~600): every kernel was widened to that step and KS was 0.47-0.49
    # for partitions that reconstruct the data to KS 0.01.
    rng = np.random.default_rng(5)
    n = 2000
    x = np.where(rng.random(n) < share, 1e6, 0.0) + rng.normal(size=n)
    labels = HVRTPartitioner(max_leaf_nodes=20).fit(pd.DataFrame({"x": x})).labels_
    score = DistributionAnalyzer(pd.DataFrame({"x": x}), labels, method=method).fit().score("x")
    grouped = pd.Series(x).groupby(labels)
    spreads, sizes = grouped.std(ddof=0), grouped.size()
    if method == "gaussian":
        centres, weights, scales = grouped.mean().to_numpy(), (sizes / n).to_numpy(), spreads.to_numpy()
    else:
        centres, weights = x, np.full(n, 1 / n)
        scales = (1.06 * spreads * sizes**-0.2).reindex(labels).to_numpy()
    # A partition of the far rows alone may have no spread: a step in the exact mixture.
    wasserstein, ks = _exact_mixture_scores(x, centres, weights, np.maximum(scales, 1e-9))
    assert ks < 0.05
    assert score.ks == pytest.approx(ks, abs=2e-3)
    # W1 / std to within a thousandth of the partitions' unit spread (it was 370 units off).
    assert score.wasserstein == pytest.approx(wasserstein, rel=0.02, abs=1e-3 / x.std())


# --------------------------------------------------------------------------- window


@pytest.mark.parametrize("n", [1, 2, 3, 7, 200, 1001])
def test_quantiles_read_off_sorted_values_equal_numpys(n):
    from hvrt._figure_data import sorted_quantiles

    rng = np.random.default_rng(n)
    samples = {
        "normal": rng.normal(size=n) * 1e3,
        "ties": rng.integers(0, 3, n).astype(np.float64),
        "offset": rng.normal(size=n) + 1e15,  # float spacing 0.125: neighbours blend unevenly
    }
    quantiles = [0.0, 0.005, 0.25, 0.5, 0.75, 0.995, 1.0, *rng.random(5)]
    for values in samples.values():
        expected = np.quantile(values, quantiles)
        assert np.array_equal(sorted_quantiles(np.sort(values), quantiles), expected)


@pytest.mark.parametrize("n", [1, 2, 5, 400])
def test_the_window_of_sorted_values_is_that_of_the_values(n):
    from hvrt._figure_data import robust_window

    rng = np.random.default_rng(n)
    values = np.r_[rng.normal(size=n), [np.nan] * 3, np.repeat(rng.normal(size=1), n)]  # NaN, ties
    rng.shuffle(values)
    assert robust_window(np.sort(values), presorted=True) == robust_window(values)
    assert robust_window(np.full(3, np.nan), presorted=True) == (pytest.approx(np.nan, nan_ok=True),) * 2


def test_the_analyzer_window_is_the_robust_window_of_the_data(bimodal):
    from hvrt._figure_data import robust_window

    data = bimodal.assign(x=bimodal["x"].where(np.arange(len(bimodal)) % 50 != 0))  # missing values
    analyzer = DistributionAnalyzer(data, rank_partitions(bimodal["noise"].to_numpy(), 16)).fit()
    assert analyzer.compare("x").window == robust_window(data["x"].to_numpy())
