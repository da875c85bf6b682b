"""full_report, the deprecated HHI metric and partition_quality."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest

import hvrt
from hvrt import (
    FeatureReport,
    PartitionProfiler,
    SpanReport,
    VarianceReport,
    calculate_feature_hhi_metric,
    full_report,
    partition_quality,
)
from hvrt import metrics as metrics_module
from hvrt.metrics import FullReport, PartitionQuality

REFERENCE_X = np.array([[1, 10], [2, 20], [10, 1], [20, 2]])
REFERENCE_LABELS = np.array([0, 0, 1, 1])


# --------------------------------------------------------------------------- reference values


def test_reference_values_proportional():
    report = full_report(REFERENCE_X, REFERENCE_LABELS)
    assert isinstance(report, FullReport) and list(report) == ["f0", "f1"]
    feature = report["f0"]
    assert isinstance(feature, FeatureReport) and feature.name == "f0"
    variance = feature.variance_report
    assert isinstance(variance, VarianceReport) and variance.is_proportional
    assert variance.hhi == pytest.approx(0.9804, abs=1e-4)
    assert variance.min_variance == pytest.approx(0.0099, abs=1e-4)
    assert variance.max_variance == pytest.approx(0.9901, abs=1e-4)
    assert variance.mean_variance == pytest.approx(0.5)  # always 1/K with proportions
    span = feature.span_report
    assert isinstance(span, SpanReport) and span.is_proportional
    assert span.hhi == pytest.approx(0.8347, abs=1e-4)
    assert span.min_span == pytest.approx(0.0909, abs=1e-4)
    assert span.max_span == pytest.approx(0.9091, abs=1e-4)


def test_reference_values_raw():
    report = full_report(REFERENCE_X, REFERENCE_LABELS, variance_proportions=False, span_proportions=False)
    variance = report["f0"].variance_report
    span = report["f0"].span_report
    assert not variance.is_proportional and not span.is_proportional
    assert (variance.min_variance, variance.max_variance) == (0.25, 25.0)
    assert (span.min_span, span.max_span) == (1.0, 10.0)
    assert variance.median_variance == pytest.approx(12.625)
    # The HHI is computed from proportions whatever the flag.
    assert variance.hhi == pytest.approx(0.9804, abs=1e-4)
    assert span.hhi == pytest.approx(0.8347, abs=1e-4)
    np.testing.assert_array_equal(span.distribution, [1.0, 10.0])


def test_histogram_is_ten_bins_of_the_distribution():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    labels = rng.integers(0, 17, size=300)
    for feature in full_report(X, labels).values():
        for sub in (feature.variance_report, feature.span_report):
            counts, edges = sub.histogram
            assert len(counts) == 10 and len(edges) == 11
            assert counts.sum() == 17
            expected_counts, expected_edges = np.histogram(sub.distribution, bins=10)
            np.testing.assert_array_equal(counts, expected_counts)
            np.testing.assert_array_equal(edges, expected_edges)


# --------------------------------------------------------------------------- brute force


def _brute_force(frame: pd.DataFrame, labels: np.ndarray, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-partition variance and span the way the definition reads, via pandas groupby."""
    grouped = frame[column].groupby(labels, sort=True)
    counts = grouped.count().to_numpy()
    variance = np.where(counts > 1, grouped.var(ddof=0).fillna(0).to_numpy(), 0.0)
    span = np.where(counts > 1, (grouped.max() - grouped.min()).fillna(0).to_numpy(), 0.0)
    return variance, span


@pytest.mark.parametrize("proportional", [True, False])
def test_matches_pandas_groupby_on_random_data_with_nan(proportional):
    rng = np.random.default_rng(7)
    n = 600
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.exponential(scale=30, size=n),
            "c": rng.integers(-5, 5, size=n),
            "word": rng.choice(["x", "y"], size=n),
            "flag": rng.random(n) < 0.5,
        }
    )
    frame.loc[rng.random(n) < 0.15, "a"] = np.nan
    frame.loc[rng.random(n) < 0.05, "b"] = np.nan
    labels = rng.integers(0, 40, size=n)
    report = full_report(frame, labels, variance_proportions=proportional, span_proportions=proportional)
    assert list(report) == ["a", "b", "c"]
    assert report.skipped_columns == ("word", "flag")
    for column in ("a", "b", "c"):
        variance, span = _brute_force(frame, labels, column)
        for raw, sub, prefix in ((variance, report[column].variance_report, "variance"),
                                 (span, report[column].span_report, "span")):
            proportions = raw / raw.sum()
            expected = proportions if proportional else raw
            np.testing.assert_allclose(sub.distribution, expected, rtol=1e-10, atol=1e-15)
            assert sub.hhi == pytest.approx(np.sum(proportions**2), rel=1e-12)
            assert getattr(sub, f"min_{prefix}") == pytest.approx(expected.min())
            assert getattr(sub, f"max_{prefix}") == pytest.approx(expected.max())
            assert getattr(sub, f"mean_{prefix}") == pytest.approx(expected.mean())
            assert getattr(sub, f"median_{prefix}") == pytest.approx(np.median(expected))


def test_large_offset_gives_the_same_report():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(500, 3))
    labels = rng.integers(0, 12, size=500)
    base = full_report(X, labels)
    shifted = full_report(X + 1e9, labels)
    for name in base:
        np.testing.assert_allclose(
            shifted[name].variance_report.distribution, base[name].variance_report.distribution, rtol=1e-6
        )
        assert shifted[name].variance_report.hhi == pytest.approx(base[name].variance_report.hhi, rel=1e-6)
        np.testing.assert_allclose(
            shifted[name].span_report.distribution, base[name].span_report.distribution, rtol=1e-6
        )


# --------------------------------------------------------------------------- edge cases


def test_constant_data_has_no_hhi_nor_shares_and_an_empty_histogram():
    # An HHI is at least 1/K; the 0.0 given before read as "perfectly even", shares of 0 as measured
    X = np.full((6, 2), 3.5)
    report = full_report(X, [0, 0, 1, 1, 2, 2])
    for feature in report.values():
        for sub in (feature.variance_report, feature.span_report):
            assert np.isnan(sub.hhi)
            assert np.isnan(sub.distribution).all() and len(sub.distribution) == 3
            counts, edges = sub.histogram
            assert counts.size == 0 and edges.size == 0
        assert np.isnan(feature.variance_report.min_variance) and np.isnan(feature.variance_report.mean_variance)
        assert np.isnan(feature.span_report.max_span) and np.isnan(feature.span_report.median_span)
    # raw variances and spans of 0 are measured: they stay 0, but the HHI has no shares to sum
    raw = full_report(X, [0, 0, 1, 1, 2, 2], variance_proportions=False, span_proportions=False)["f0"]
    np.testing.assert_array_equal(raw.variance_report.distribution, np.zeros(3))
    assert raw.span_report.max_span == 0.0 and np.isnan(raw.variance_report.hhi) and np.isnan(raw.span_report.hhi)
    table = report.to_pandas()
    assert table[["variance_hhi", "span_hhi"]].isna().all().all()


def test_an_all_missing_column_has_no_hhi_beside_a_measured_one():
    X = np.column_stack([np.arange(8.0) ** 2, np.full(8, np.nan)])
    report = full_report(X, [0, 0, 0, 0, 1, 1, 1, 1])
    assert np.isnan(report["f1"].variance_report.hhi) and np.isnan(report["f1"].span_report.hhi)
    assert 0.5 <= report["f0"].variance_report.hhi <= 1
    assert "hhi=nan" in repr(report["f1"].variance_report)


def test_single_row_partitions_count_as_zero():
    X = np.array([[1.0], [2.0], [3.0], [100.0]])
    report = full_report(X, [0, 0, 1, 2], variance_proportions=False, span_proportions=False)
    np.testing.assert_array_equal(report["f0"].variance_report.distribution, [0.25, 0.0, 0.0])
    np.testing.assert_array_equal(report["f0"].span_report.distribution, [1.0, 0.0, 0.0])
    assert report["f0"].variance_report.hhi == 1.0  # all the variance sits in partition 0


def test_only_single_row_partitions_is_a_zero_total():
    report = full_report(np.array([[1.0], [2.0]]), [0, 1])
    assert np.isnan(report["f0"].variance_report.hhi) and np.isnan(report["f0"].span_report.hhi)
    assert np.isnan(report["f0"].variance_report.distribution).all()
    assert report["f0"].span_report.histogram[0].size == 0


def test_all_nan_column_in_a_partition_is_skipped():
    X = np.array([[np.nan, 1.0], [np.nan, 3.0], [1.0, 5.0], [3.0, 9.0], [5.0, 9.0]])
    report = full_report(X, [0, 0, 1, 1, 1], variance_proportions=False, span_proportions=False)
    variance = report["f0"].variance_report
    np.testing.assert_allclose(variance.distribution, [0.0, np.var([1.0, 3.0, 5.0])])
    assert variance.hhi == 1.0
    np.testing.assert_array_equal(report["f0"].span_report.distribution, [0.0, 4.0])
    assert not np.isnan(report["f1"].variance_report.distribution).any()


def test_no_numeric_columns_gives_an_empty_report():
    frame = pd.DataFrame({"word": ["a", "b", "c", "d"]})
    report = full_report(frame, [0, 0, 1, 1])
    assert len(report) == 0 and report.skipped_columns == ("word",)


# --------------------------------------------------------------------------- inputs


def test_labels_as_list_series_and_strings_agree():
    frame = pd.DataFrame(REFERENCE_X, columns=["left", "right"], index=[10, 11, 12, 13])
    expected = full_report(REFERENCE_X, REFERENCE_LABELS)["f0"].variance_report.hhi
    for labels in (
        REFERENCE_LABELS.tolist(),
        pd.Series(REFERENCE_LABELS, index=frame.index),
        np.array(["a", "a", "b", "b"]),
        pd.Series(pd.Categorical(["a", "a", "b", "b"]), index=frame.index),
    ):
        assert full_report(frame, labels)["left"].variance_report.hhi == pytest.approx(expected)


def test_series_labels_with_array_x_match_by_position():
    labels = pd.Series(REFERENCE_LABELS, index=[5, 6, 7, 8])
    assert full_report(REFERENCE_X, labels)["f0"].variance_report.hhi == pytest.approx(0.9804, abs=1e-4)


def test_fewer_than_two_partitions_is_an_error():
    with pytest.raises(ValueError, match="labels holds 1 distinct partition"):
        full_report(REFERENCE_X, [3, 3, 3, 3])


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="labels has 3 entries but X has 4 rows"):
        full_report(REFERENCE_X, [0, 0, 1])


def test_misaligned_series_is_an_error():
    frame = pd.DataFrame(REFERENCE_X, columns=["a", "b"])
    labels = pd.Series(REFERENCE_LABELS, index=[3, 2, 1, 0])
    with pytest.raises(ValueError, match="labels is a pandas Series whose index differs from X's index"):
        full_report(frame, labels)


def test_short_series_reports_the_length_first():
    frame = pd.DataFrame(REFERENCE_X, columns=["a", "b"])
    with pytest.raises(ValueError, match="labels has 3 entries but X has 4 rows"):
        full_report(frame, pd.Series([0, 0, 1]))


def test_missing_labels_are_an_error():
    with pytest.raises(ValueError, match="labels has 1 missing value"):
        full_report(REFERENCE_X, [0.0, np.nan, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"labels has 2 missing value\(s\) \(NaN/None\), first at row 0"):
        full_report(REFERENCE_X, pd.Series([pd.NA, 0, pd.NA, 1], dtype="Int64"))


def test_two_dimensional_labels_are_an_error():
    with pytest.raises(ValueError, match="labels must be 1-D"):
        full_report(REFERENCE_X, REFERENCE_LABELS[:, None])


def test_mixed_kind_labels_are_two_partitions():
    labels = np.array([0, "a", 0, "a"], dtype=object)
    assert len(full_report(REFERENCE_X, labels)["f0"].variance_report.distribution) == 2


def test_whole_float_labels_are_the_integers_they_stand_for():
    as_ints = full_report(REFERENCE_X, [0, 0, 1, 1])
    for labels in ([0.0, 0.0, 1.0, 1.0], np.array([0.0, 0.0, 1.0, 1.0], dtype=np.float32),
                   pd.Series([0.0, 0.0, 1.0, 1.0]), np.array([0, 0, 1.0, 1], dtype=object),
                   pd.Series([0, 0, 1, 1], dtype="Float64")):  # fmt: skip
        report = full_report(REFERENCE_X, labels)
        assert report.partition_ids.dtype.kind == "i", labels
        np.testing.assert_array_equal(report.partition_ids, [0, 1])
        assert report["f0"].variance_report.hhi == as_ints["f0"].variance_report.hhi
    quality = partition_quality(REFERENCE_X, np.array([3.0, 3.0, -1.0, -1.0]))
    assert quality.n_partitions == 2


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0, 0, 1, 2.5], r"labels holds 1 value\(s\) that are not whole numbers, first 2\.5 at row 3"),
        (np.array([0.5, 0.0, 1.0, 1.5]), r"2 value\(s\) that are not whole numbers, first 0\.5 at row 0"),
        ([0, np.inf, 1, 1], r"not whole numbers, first inf at row 1"),
        (np.array([0, 0, 1, 1e300]), r"not whole numbers, first 1e\+300 at row 3"),
        (pd.Series([0, 0, 1, 1.25], dtype="Float64"), r"not whole numbers, first 1\.25 at row 3"),
        (["a", "a", "b", 2.5], r"not whole numbers, first 2\.5 at row 3"),  # numpy would make it '2.5'
        ([0, True, 1, 1], r"labels holds 1 value\(s\) that are bools among numbers .*first True at row 1"),
        (np.array([False, 0, 1, 1], dtype=object), r"bools among numbers .*first False at row 0"),
    ],
)
def test_labels_that_are_no_partition_label_are_refused_naming_the_first(labels, message):
    # factorized as categories before: 2.5 silently became one more partition, True merged with 1
    for tool in (full_report, partition_quality, lambda X, y: PartitionProfiler(X, y)):
        with pytest.raises(ValueError, match=message):
            tool(REFERENCE_X, labels)


def test_text_and_bool_labels_stay_labels():
    assert list(full_report(REFERENCE_X, ["b", "b", "a", "a"]).partition_ids) == ["a", "b"]
    assert list(full_report(REFERENCE_X, [True, True, False, False]).partition_ids) == [False, True]


def test_unhashable_labels_are_a_type_error():
    labels = np.empty(4, dtype=object)
    labels[:] = [[0], [0], [1], [1]]
    with pytest.raises(TypeError, match="labels must hold hashable values"):
        full_report(REFERENCE_X, labels)


def test_string_labels_follow_sorted_order():
    report = full_report(REFERENCE_X, ["b", "b", "a", "a"], variance_proportions=False)
    np.testing.assert_array_equal(report["f0"].variance_report.distribution, [25.0, 0.25])


def test_infinite_values_are_an_error():
    X = REFERENCE_X.astype(float)
    X[1, 1] = np.inf
    with pytest.raises(ValueError, match=r"X column\(s\) \['f1'\] contain infinite values"):
        full_report(X, REFERENCE_LABELS)


def test_one_dimensional_x_is_an_error():
    with pytest.raises(ValueError, match="Expected 2D array for X"):
        full_report(np.arange(4.0), REFERENCE_LABELS)


# --------------------------------------------------------------------------- deprecated metric


def test_calculate_feature_hhi_metric_returns_the_mean_variance_hhi_and_warns():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 3))
    labels = rng.integers(0, 8, size=200)
    report = full_report(X, labels)
    expected = np.mean([feature.variance_report.hhi for feature in report.values()])
    with pytest.warns(DeprecationWarning, match="full_report"):
        value = calculate_feature_hhi_metric(X, labels)
    assert value == pytest.approx(expected)
    with pytest.warns(DeprecationWarning):
        reference = calculate_feature_hhi_metric(REFERENCE_X, REFERENCE_LABELS)
    f1 = np.array([25.0, 0.25])  # feature 1's variances mirror feature 0's
    assert reference == pytest.approx(np.sum((f1 / f1.sum()) ** 2))


def test_calculate_feature_hhi_metric_leaves_out_a_feature_without_an_hhi():
    # a constant counted as 0.0, pulling the mean towards "perfectly even"
    X = np.column_stack([REFERENCE_X[:, 0], np.full(4, 7.0)])
    with pytest.warns(DeprecationWarning):
        value = calculate_feature_hhi_metric(X, REFERENCE_LABELS)
    f0 = np.array([0.25, 25.0])
    assert value == pytest.approx(np.sum((f0 / f0.sum()) ** 2))
    with pytest.warns(DeprecationWarning):
        assert np.isnan(calculate_feature_hhi_metric(np.full((4, 2), 7.0), REFERENCE_LABELS))


def test_calculate_feature_hhi_metric_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calculate_feature_hhi_metric(REFERENCE_X, REFERENCE_LABELS)
    assert caught[0].filename == __file__


def test_calculate_feature_hhi_metric_without_numeric_columns_is_an_error():
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="no numeric column"):
        calculate_feature_hhi_metric(pd.DataFrame({"word": list("abcd")}), [0, 0, 1, 1])


# --------------------------------------------------------------------------- partition_quality


def _brute_force_quality(X: np.ndarray, labels: np.ndarray, y: np.ndarray | None) -> dict:
    """The definitions written plainly: z-score, then loop over partitions."""
    z = (X - np.nanmean(X, axis=0)) / np.nanstd(X, axis=0)
    ids = np.unique(labels)
    within = np.zeros(X.shape[1])
    for k in ids:
        block = z[labels == k]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a partition's all-NaN column
            within += np.nansum((block - np.nanmean(block, axis=0)) ** 2, axis=0)
    total = np.nansum(z**2, axis=0)
    result = {"ratio": within.sum() / total.sum(), "r2": 1 - within / total}
    if y is not None:
        y_within = sum(np.sum((y[labels == k] - y[labels == k].mean()) ** 2) for k in ids)
        result["y_r2"] = 1 - y_within / np.sum((y - y.mean()) ** 2)
    sizes = np.array([np.sum(labels == k) for k in ids])
    result["sizes"] = sizes
    return result


@pytest.mark.parametrize("nan_share", [0.0, 0.1])
def test_partition_quality_matches_brute_force(nan_share):
    rng = np.random.default_rng(10)
    n = 500
    X = rng.normal(size=(n, 3)) * [1.0, 20.0, 0.01] + [0.0, 5.0, -3.0]
    X[rng.random((n, 3)) < nan_share] = np.nan
    labels = rng.integers(0, 30, size=n)
    labels[:3] = [100, 101, 102]  # three singletons
    y = rng.normal(size=n) + labels % 3
    expected = _brute_force_quality(X, labels, y)
    quality = partition_quality(X, labels, y=y)
    assert isinstance(quality, PartitionQuality)
    assert quality.n_samples == n and quality.n_partitions == len(np.unique(labels))
    assert quality.within_sse_ratio == pytest.approx(expected["ratio"], rel=1e-9)
    np.testing.assert_allclose(list(quality.feature_r2.values()), expected["r2"], rtol=1e-9)
    assert list(quality.feature_r2) == ["f0", "f1", "f2"]
    assert quality.y_r2 == pytest.approx(expected["y_r2"], rel=1e-9)
    sizes = expected["sizes"]
    assert quality.min_size == sizes.min() == 1
    assert quality.median_size == np.median(sizes)
    assert quality.max_size == sizes.max()
    assert quality.size_cv == pytest.approx(sizes.std() / sizes.mean())
    assert quality.n_singletons == np.sum(sizes == 1) >= 3


def test_partition_quality_large_offset_is_exact():
    """Integers near 1e9 are exact in float64, so shifting them must not move any R²."""
    rng = np.random.default_rng(12)
    X = rng.integers(0, 7, size=(800, 2)).astype(np.float64)
    labels = rng.integers(0, 40, size=800)
    y = rng.integers(0, 3, size=800).astype(np.float64)
    base = partition_quality(X, labels, y=y)
    shifted = partition_quality(X + 1e9, labels, y=y + 1e9)
    assert shifted.within_sse_ratio == pytest.approx(base.within_sse_ratio, rel=1e-12)
    np.testing.assert_allclose(list(shifted.feature_r2.values()), list(base.feature_r2.values()), rtol=1e-12)
    assert shifted.y_r2 == pytest.approx(base.y_r2, rel=1e-12)


def test_partition_quality_perfect_and_useless_partitions():
    X = np.array([[0.0, 1.0], [0.0, 2.0], [5.0, 1.0], [5.0, 2.0]])
    quality = partition_quality(X, [0, 0, 1, 1], y=[1, 1, 2, 2])
    assert quality.feature_r2 == {"f0": 1.0, "f1": 0.0}
    assert quality.within_sse_ratio == pytest.approx(0.5)
    assert quality.y_r2 == 1.0
    single = partition_quality(X, [7, 7, 7, 7])
    assert single.n_partitions == 1 and single.within_sse_ratio == pytest.approx(1.0)
    assert single.y_r2 is None


def test_partition_quality_constant_feature_is_nan_and_left_out_of_the_ratio():
    X = np.array([[3.0, 0.0], [3.0, 1.0], [3.0, 10.0], [3.0, 11.0]])
    quality = partition_quality(X, [0, 0, 1, 1])
    assert np.isnan(quality.feature_r2["f0"])
    assert quality.within_sse_ratio == pytest.approx(1 - quality.feature_r2["f1"])


def test_partition_quality_to_dict_is_flat():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "word": list("abcd")})
    quality = partition_quality(frame, [0, 0, 1, 1])
    flat = quality.to_dict()
    assert flat["r2_a"] == quality.feature_r2["a"]
    assert flat["n_partitions"] == 2 and flat["y_r2"] is None
    assert quality.skipped_columns == ("word",)
    assert all(not isinstance(value, (dict, np.ndarray)) for value in flat.values())


def test_partition_quality_accepts_nullable_y_series():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]}, index=list("wxyz"))
    y = pd.Series([1, 1, pd.NA, 3], dtype="Int64", index=frame.index)
    assert partition_quality(frame, [0, 0, 1, 1], y=y).y_r2 == pytest.approx(1.0)


def test_partition_quality_errors():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ValueError, match="y has 3 entries but X has 4 rows"):
        partition_quality(frame, [0, 0, 1, 1], y=[1, 2, 3])
    with pytest.raises(ValueError, match="y is a pandas Series whose index differs"):
        partition_quality(frame, [0, 0, 1, 1], y=pd.Series([1, 2, 3, 4], index=[1, 2, 3, 4]))
    with pytest.raises(ValueError, match="y must be numeric"):
        partition_quality(frame, [0, 0, 1, 1], y=["a", "b", "c", "d"])
    # (pandas 2 has no "str" dtype: dtype="str" makes objects there, and the message says so)
    with pytest.raises(ValueError, match="y must be numeric, got dtype (str|object) holding text"):
        partition_quality(frame, [0, 0, 1, 1], y=pd.Series(["1", "2", "3", "4"], dtype="str"))
    with pytest.raises(ValueError, match=r"y column\(s\) \[.y.\] contain infinite values"):
        partition_quality(frame, [0, 0, 1, 1], y=[1.0, np.inf, 0.0, 0.0])
    with pytest.raises(ValueError, match="labels has 5 entries but X has 4 rows"):
        partition_quality(frame, [0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="X has no numeric column"):
        partition_quality(pd.DataFrame({"word": list("abcd")}), [0, 0, 1, 1])


# --------------------------------------------------------------------------- wiring


def test_public_names_resolve_lazily():
    assert hvrt.full_report is full_report
    assert hvrt.partition_quality is partition_quality


def test_works_on_partitioner_labels():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(400, 3))
    labels = hvrt.HVRTPartitioner(max_leaf_nodes=16).fit_predict(X)
    report = full_report(X, labels)
    assert all(len(f.variance_report.distribution) == 16 for f in report.values())
    assert 0 < partition_quality(X, labels).within_sse_ratio < 1


def test_docstring_examples_run():
    result = doctest.testmod(metrics_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------- shared grouping, results


def test_a_shared_grouping_gives_the_same_reports():
    from hvrt import grouped_stats

    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(2000, 3)) * [1, 10, 1e-3] + [0, 1e9, 5], columns=["a", "b", "c"])
    labels = rng.integers(0, 40, 2000)
    y = rng.normal(size=2000)
    stats = grouped_stats(X.to_numpy(), labels)
    shared, fresh = full_report(X, labels, stats=stats), full_report(X, labels)
    for name in fresh:
        np.testing.assert_array_equal(shared[name].variance_report.distribution, fresh[name].variance_report.distribution)
    assert partition_quality(X, labels, y, stats=stats) == partition_quality(X, labels, y)


def test_a_grouping_of_other_data_is_refused():
    from hvrt import grouped_stats

    X = np.random.default_rng(0).normal(size=(100, 3))
    labels = np.arange(100) % 5
    with pytest.raises(ValueError, match=r"stats describe 100 rows x 2 columns, but X has 100 rows and 3"):
        full_report(X, labels, stats=grouped_stats(X[:, :2], labels))
    with pytest.raises(ValueError, match="stats describe 50 rows"):
        partition_quality(X, labels, stats=grouped_stats(X[:50], labels[:50]))
    with pytest.raises(TypeError, match="stats must be a GroupedStats"):
        partition_quality(X, labels, stats={"count": 1})


def test_a_grouping_of_other_labels_or_reordered_columns_is_refused():
    # A grouping of the right shape used to pass, and the reports described its labels
    # and columns as if they were the ones given.
    from hvrt import DistributionAnalyzer, grouped_stats

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400) * 100})
    labels = (X["a"] > 0).to_numpy().astype(int) + 2 * (X["b"] > 0).to_numpy().astype(int)
    other = rng.integers(0, 7, 400)
    calls = (
        lambda stats: full_report(X, labels, stats=stats),
        lambda stats: partition_quality(X, labels, stats=stats),
        lambda stats: DistributionAnalyzer(X, labels).fit(stats=stats),
    )
    for call in calls:
        with pytest.raises(ValueError, match=r"stats were grouped by other labels than the labels given: row \d+"):
            call(grouped_stats(X.to_numpy(), other))
        with pytest.raises(ValueError, match=r"stats describe other columns than X's numeric columns: column 'a'"):
            call(grouped_stats(X[["b", "a"]].to_numpy(), labels))
    coarse = labels % 2  # stats finer than the labels: each stats partition is one label, but two share it
    with pytest.raises(ValueError, match="stats hold 4 partitions, which the labels merge into 2"):
        partition_quality(X, coarse, stats=grouped_stats(X.to_numpy(), labels))
    # The same partitions under other names (codes, strings) are the same grouping.
    names = np.array(["w", "x", "y", "z"])[labels]
    expected = partition_quality(X, labels).feature_r2
    assert partition_quality(X, labels * 10 - 3, stats=grouped_stats(X.to_numpy(), labels)).feature_r2 == expected
    assert partition_quality(X, names, stats=grouped_stats(X.to_numpy(), names)).feature_r2 == expected
    # full_report names the partitions by the labels given (it failed with an IndexError on
    # a grouping by strings, whose ids it took for codes)
    by_codes = full_report(X.assign(c="k"), names, stats=grouped_stats(X.to_numpy(), labels))
    by_names = full_report(X.assign(c="k"), names, stats=grouped_stats(X.to_numpy(), names))
    for report in (by_codes, by_names):
        assert list(report.partition_ids) == ["w", "x", "y", "z"]
        assert list(report.categorical["c"].partition_ids) == ["w", "x", "y", "z"]


def test_a_grouping_with_two_flag_columns_swapped_is_refused():
    # Two 0/1 columns share their extremes, so a grouping with them swapped passed the
    # check of extremes, and partition_quality gave flag2 an R² of 0.12 (truly 0.002).
    from hvrt import DistributionAnalyzer, grouped_stats

    rng = np.random.default_rng(13)
    n = 3000
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "flag1": (rng.random(n) < 0.1) * 1.0, "flag2": (rng.random(n) < 0.9) * 1.0}
    )
    labels = np.digitize(X["a"].to_numpy(), [-1.0, 0.0, 1.0])
    swapped = grouped_stats(X[["a", "flag2", "flag1"]].to_numpy(), labels)
    expected = r"stats describe other columns than X's numeric columns: column 'flag1' \(position 1\) holds 3,000"
    for call in (
        lambda stats: full_report(X, labels, stats=stats),
        lambda stats: partition_quality(X, labels, stats=stats),
        lambda stats: DistributionAnalyzer(X, labels).fit(stats=stats),
    ):
        with pytest.raises(ValueError, match=expected):
            call(swapped)
    good = grouped_stats(X.to_numpy(), labels)
    assert partition_quality(X, labels, stats=good).feature_r2 == partition_quality(X, labels).feature_r2


def test_full_report_flags_must_be_bools():
    X = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.arange(30) % 3
    for flag in ("variance_proportions", "span_proportions", "categorical"):
        for value in ("no", "False", 0, None):
            with pytest.raises(TypeError, match=f"{flag} must be True or False, got {value!r}"):
                full_report(X, labels, **{flag: value})
    raw = full_report(X, labels, variance_proportions=np.bool_(False), span_proportions=False)
    assert not raw["f0"].variance_report.is_proportional and not raw["f0"].span_report.is_proportional


def test_a_time_column_microseconds_apart_is_not_called_constant():
    # Times near 2024 are 1.7e18 ns: the constant test scaled with that magnitude called a
    # spread of a few microseconds constant (R² NaN, left out of within_sse_ratio), and so
    # for an int64 column beyond 2**53, while full_report saw the variance.
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 2000)
    ns = labels * 3000 + rng.integers(0, 1000, 2000)
    noise = rng.normal(size=2000)
    exact = 1 - pd.Series(ns.astype(float)).groupby(labels).var(ddof=0).mul(np.bincount(labels)).sum() / (
        len(ns) * ns.astype(float).var()
    )
    frames = {
        "t": pd.DataFrame({"t": pd.Timestamp("2024-01-01") + pd.to_timedelta(ns, unit="ns"), "x": noise}),
        "epoch_ns": pd.DataFrame({"epoch_ns": np.int64(1_700_000_000_000_000_000) + ns, "x": noise}),
    }
    for name, X in frames.items():
        quality = partition_quality(X, labels)
        # float64 holds these values to 256 ns, so R² is that exact to about (256 / 2900)**2
        assert quality.feature_r2[name] == pytest.approx(exact, abs=2e-3)
        weights = np.array([1.0, 1.0])
        r2 = np.array([quality.feature_r2[name], quality.feature_r2["x"]])
        assert quality.within_sse_ratio == pytest.approx(float(np.average(1 - r2, weights=weights)))
        assert full_report(X, labels)[name].variance_report.hhi > 0
    constant = pd.DataFrame({"t": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.zeros(2000), unit="ns"), "x": noise})
    assert np.isnan(partition_quality(constant, labels).feature_r2["t"])


def test_partition_quality_is_exact_for_constant_and_offset_columns():
    rng = np.random.default_rng(2)
    noise = rng.normal(size=5000)
    labels = (noise > 0).astype(int)
    X = pd.DataFrame({"const": 0.1, "offset": 1e9 + noise, "plain": noise})
    quality = partition_quality(X, labels)
    assert np.isnan(quality.feature_r2["const"])  # a constant 0.1 is not "varying" by rounding
    assert quality.feature_r2["offset"] == pytest.approx(quality.feature_r2["plain"], abs=1e-6)


def test_polars_frame_and_series_are_read_like_pandas():
    polars = pytest.importorskip("polars")
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "word": "x"})
    labels = rng.integers(0, 6, 300)
    reference = partition_quality(X, labels)
    assert partition_quality(polars.from_pandas(X), polars.Series(labels)) == reference
    report = full_report(polars.from_pandas(X), polars.Series(labels))
    assert report.skipped_columns == ("word",)
    assert report["a"].variance_report.hhi == full_report(X, labels)["a"].variance_report.hhi


def test_labels_of_an_unreadable_type_are_a_type_error():
    with pytest.raises(TypeError, match="labels must be a 1-D array, list or Series .* got dict"):
        full_report(np.zeros((4, 1)), {"a": 1})


def test_results_print_briefly_and_convert_to_pandas():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(4000, 12)), columns=[f"col_{i}" for i in range(12)])
    labels = rng.integers(0, 500, 4000)
    report = full_report(X, labels)
    text = repr(report)
    assert text.startswith("FullReport(12 features x 500 partitions") and "7 more" in text
    assert len(text.splitlines()) <= 8
    for item in (report["col_0"], report["col_0"].variance_report, report["col_0"].span_report):
        assert "\n" not in repr(item) and len(repr(item)) < 200
    table = report.to_pandas()
    assert list(table.index) == list(X.columns)
    assert table.loc["col_3", "variance_hhi"] == report["col_3"].variance_report.hhi
    frame = report["col_0"].to_pandas()
    assert list(frame.columns) == ["variance_proportion", "span_proportion"] and len(frame) == 500
    np.testing.assert_array_equal(report.partition_ids, np.arange(500))

    quality = partition_quality(X, labels, y=X["col_0"])
    assert "\n" not in repr(quality) and "500 partitions" in repr(quality)
    row = quality.to_pandas()
    assert row.shape == (1, len(quality.to_dict())) and row.loc[0, "y_r2"] == quality.y_r2


# --------------------------------------------------------------------------- categorical columns


def _categorical_frame(n: int = 1200, seed: int = 5) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 7, n) * 3 + 2  # non-contiguous ids
    mix = np.where(rng.random(n) < 0.6, np.array(list("abcdefg"))[(labels - 2) // 3], rng.choice(list("abcdefg"), n))
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "mixed": pd.Series(mix, dtype="category"),
            "with_nan": np.where(rng.random(n) < 0.2, None, rng.choice(["u", "v", "w"], n, p=[0.5, 0.3, 0.2])),
            "text": pd.Series(rng.choice(["p", "q"], n), dtype="string"),
            "flag": rng.random(n) < np.where(labels > 10, 0.9, 0.1),
        }
    )
    frame.loc[rng.random(n) < 0.1, "text"] = pd.NA
    return frame, labels


def _brute_force_categorical(column: pd.Series, labels: np.ndarray) -> dict:
    """The figures from a pandas crosstab, written from the definitions."""
    from scipy.stats.contingency import association

    named = column.astype(object).where(column.notna(), "(missing)").astype(str)
    table = pd.crosstab(labels, named)
    shares = table.div(table.sum(axis=1), axis=0)
    weights = table.sum(axis=1) / table.to_numpy().sum()
    overall = table.sum(axis=0) / table.to_numpy().sum()
    within_hhi = float((weights * (shares**2).sum(axis=1)).sum())
    overall_hhi = float((overall**2).sum())
    gini_within, gini_overall = 1 - within_hhi, 1 - overall_hhi
    pure = pd.Series(named.to_numpy()).groupby(labels).nunique() == 1
    return {
        "table": table,
        "cramers_v": float(association(table.to_numpy(), method="cramer", correction=False)),
        "r2": 1 - gini_within / gini_overall,
        "within_hhi": within_hhi,
        "overall_hhi": overall_hhi,
        "pure_share": float(table.sum(axis=1)[pure].sum() / len(labels)),
    }


@pytest.mark.parametrize("column", ["mixed", "with_nan", "text", "flag"])
def test_categorical_report_matches_a_crosstab(column):
    frame, labels = _categorical_frame()
    report = full_report(frame, labels)
    assert list(report) == ["x"] and report.skipped_columns == ("mixed", "with_nan", "text", "flag")
    assert list(report.categorical) == ["mixed", "with_nan", "text", "flag"]
    view = report.categorical[column]
    expected = _brute_force_categorical(frame[column], labels)
    table = expected["table"]
    np.testing.assert_array_equal(view.partition_ids, table.index.to_numpy())
    counts = pd.DataFrame(view.counts, index=table.index, columns=view.categories)
    pd.testing.assert_frame_equal(counts[table.columns], table, check_names=False, check_dtype=False)
    frequency = table.sum(axis=0).to_numpy()[[list(table.columns).index(c) for c in view.categories]]
    assert np.all(np.diff(frequency) <= 0)  # most frequent first
    assert view.n_categories == table.shape[1] and view.n_lumped == 0
    for name in ("cramers_v", "r2", "within_hhi", "overall_hhi", "pure_share"):
        assert getattr(view, name) == pytest.approx(expected[name], rel=1e-10, abs=1e-12), name
    shares = view.to_pandas()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    top = view.top_categories(2)
    assert list(top["top_1"]) == list(table.div(table.sum(axis=1), axis=0).idxmax(axis=1))
    assert top["share_1"].to_numpy() == pytest.approx(table.max(axis=1).to_numpy() / table.sum(axis=1).to_numpy())
    assert (top["share_1"] >= top["share_2"]).all()
    categories = view.category_table().set_index("category")
    assert categories["rows"].sum() == len(frame)
    majority = table.div(table.sum(axis=1), axis=0) > 0.5
    expected_majority = table.where(majority, 0).sum(axis=0) / table.sum(axis=0)
    np.testing.assert_allclose(categories.loc[table.columns, "in_majority"], expected_majority)
    assert categories["partitions_led"].sum() == len(table)


def test_a_missing_value_is_a_category_of_its_own():
    frame, labels = _categorical_frame()
    view = full_report(frame, labels).categorical["with_nan"]
    assert "(missing)" in view.categories and view.n_categories == 4
    missing = view.counts[:, view.categories.index("(missing)")]
    np.testing.assert_array_equal(missing, pd.Series(frame["with_nan"].isna().to_numpy()).groupby(labels).sum())


def test_categories_that_print_alike_get_distinct_names():
    # The int 1 and the text '1' are two categories (1 and 1.0 are one, as in pandas); both
    # were named '1', so the table had two rows '1' and to_pandas() two columns '1'.
    values = pd.Series([1, 1, 1.0, 1.0, "1", "1", "1", "1", "a", "(missing)", None, None], dtype=object)
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1])
    view = full_report(pd.DataFrame({"x": np.arange(12.0), "c": values}), labels).categorical["c"]
    assert view.categories == ["1 (int)", "1 (str)", "(missing)", "a", "(missing) (str)"]
    assert view.counts[:, 0].tolist() == [4, 0] and view.counts[:, 1].tolist() == [0, 4]
    assert view.to_pandas().columns.is_unique
    # Names that do not collide stay str(value).
    plain = full_report(pd.DataFrame({"x": np.arange(4.0), "c": [1, "a", 2.5, "b"]}), [0, 0, 1, 1])
    assert plain.categorical["c"].categories == ["1", "a", "2.5", "b"]


def test_a_column_the_partition_determines_has_v_1_and_an_independent_one_about_0():
    rng = np.random.default_rng(8)
    labels = rng.integers(0, 12, 60_000)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=len(labels)),
            "determined": np.array(list("ABCDEF"))[labels // 2],  # 2 partitions per category
            "each_partition": np.array([f"c{i}" for i in range(12)])[labels],
            "independent": rng.choice(list("pqrs"), len(labels)),
        }
    )
    report = full_report(frame, labels).categorical
    for name in ("determined", "each_partition"):
        assert report[name].cramers_v == pytest.approx(1.0)
        assert report[name].r2 == pytest.approx(1.0) and report[name].pure_share == 1.0
    independent = report["independent"]
    assert independent.cramers_v < 0.03 and independent.r2 < 0.001 and independent.pure_share == 0.0
    assert independent.within_hhi == pytest.approx(independent.overall_hhi, abs=1e-3)
    # The reference an unrelated column scores: sqrt((K - 1) / N) with K = 12 >= C = 4 ...
    assert independent.v_if_unrelated == pytest.approx(np.sqrt(11 / len(labels)))
    assert independent.cramers_v == pytest.approx(independent.v_if_unrelated, rel=0.5)
    # ... and with many small partitions, as H-VRT makes, it is far from 0.
    many = rng.integers(0, 2000, len(labels))
    small = full_report(frame, many).categorical["independent"]
    assert small.cramers_v == pytest.approx(small.v_if_unrelated, rel=0.1) and small.cramers_v > 0.15


def test_one_category_has_no_association_and_is_pure():
    X = pd.DataFrame({"x": np.arange(6.0), "same": ["k"] * 6})
    view = full_report(X, [0, 0, 1, 1, 2, 2]).categorical["same"]
    assert np.isnan(view.cramers_v) and np.isnan(view.r2) and view.pure_share == 1.0
    assert view.within_hhi == view.overall_hhi == 1.0


def test_high_cardinality_keeps_the_most_frequent_and_lumps_the_rest(monkeypatch):
    monkeypatch.setattr(metrics_module, "MAX_CATEGORIES", 4)
    # Partition 0 holds only "a", 1 two rare categories, 2 "b" and "c", 3 only "d".
    values = ["a"] * 40 + ["b"] * 20 + ["c"] * 20 + ["x1", "x2"] + ["d"] * 10
    labels = [0] * 40 + [2] * 40 + [1] * 2 + [3] * 10
    view = full_report(pd.DataFrame({"x": np.arange(92.0), "v": values}), labels).categorical["v"]
    assert view.categories == ["a", "b", "c", "(other)"]
    assert view.n_categories == 6 and view.n_lumped == 3
    np.testing.assert_array_equal(view.counts.sum(axis=1), [40, 2, 40, 10])
    np.testing.assert_array_equal(view.counts[:, 3], [0, 2, 0, 10])
    # Purity reads the raw values: partition 1 ("x1", "x2") is not pure, 0 and 3 are.
    assert view.pure_share == pytest.approx(50 / 92)
    # The cell cap: with K partitions, at most 2**20 // K categories are kept.
    monkeypatch.setattr(metrics_module, "MAX_CATEGORIES", 1000)
    monkeypatch.setattr(metrics_module, "MAX_CATEGORY_CELLS", 12)
    capped = full_report(pd.DataFrame({"x": np.arange(92.0), "v": values}), labels).categorical["v"]
    assert capped.categories == ["a", "b", "(other)"]  # 12 cells // 4 partitions = 3 columns


@pytest.mark.parametrize("weighted", [False, True])
def test_lumping_only_shortens_the_tables_the_figures_are_of_every_category(monkeypatch, weighted):
    # 1,500 near-uniform categories over 10 partitions, above min(1000, 2**20 // K): the
    # HHIs, V and R2 were those of the lumped table ("(other)" held a third of the rows,
    # so the overall HHI read 112x too high) and the report never said so.
    rng = np.random.default_rng(4)
    n = 30_000
    values = pd.Series(rng.integers(0, 1500, n)).astype(str)
    labels = rng.integers(0, 10, n)
    codes, uniques = metrics_module.category_codes(values)
    ids = np.arange(10)
    if weighted:  # the Dask path: cells with their rows, some given twice (chunks unmerged)
        keys, rows = np.unique(labels * len(uniques) + codes, return_counts=True)
        keys, rows = np.concatenate([keys, keys]), np.concatenate([rows, rows])
        view = metrics_module.categorical_report_of_cells(
            "zip", uniques, keys // len(uniques), keys % len(uniques), ids, rows
        )
        values, labels = pd.concat([values, values], ignore_index=True), np.concatenate([labels, labels])
    else:
        view = full_report(pd.DataFrame({"a": rng.normal(size=n), "zip": values}), labels).categorical["zip"]
    assert view.n_categories == 1500 and view.n_lumped == 501 and view.categories[-1] == "(other)"
    expected = _brute_force_categorical(values, labels)
    for name in ("cramers_v", "r2", "within_hhi", "overall_hhi", "pure_share"):
        assert getattr(view, name) == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name
    degrees = min(10 - 1, 1500 - 1)
    assert view.v_if_unrelated == pytest.approx(np.sqrt(9 * 1499 / (len(labels) * degrees)))
    # The same figures as a report that keeps every category as a column.
    monkeypatch.setattr(metrics_module, "MAX_CATEGORIES", 10_000)
    full = metrics_module.categorical_report(values, "zip", labels, ids)
    assert full.n_lumped == 0
    for name in ("cramers_v", "r2", "within_hhi", "overall_hhi", "pure_share", "v_if_unrelated"):
        assert getattr(view, name) == pytest.approx(getattr(full, name), rel=1e-9), name


def test_categorical_view_is_left_out_when_asked_unavailable_or_unhashable():
    X = pd.DataFrame({"x": np.arange(4.0), "word": list("abab"), "lists": [[1], [2], [1], [2]]})
    report = full_report(X, [0, 0, 1, 1])
    assert list(report.categorical) == ["word"] and report.skipped_columns == ("word", "lists")
    assert "skipped ['lists']" in repr(report) and "word (V=" in repr(report)
    assert full_report(X, [0, 0, 1, 1], categorical=False).categorical == {}
    assert full_report(np.arange(8.0).reshape(4, 2), [0, 0, 1, 1]).categorical == {}
    table = report.categorical_to_pandas()
    assert list(table.index) == ["word"] and table.loc["word", "cramers_v"] == pytest.approx(0.0)
    assert table.loc["word", "top_share"] == 0.5


@pytest.mark.parametrize("proportional", [True, False])
def test_full_report_of_shares_equal_up_to_rounding(proportional):
    # Evenly spaced dates dealt round-robin into 5 partitions: every partition holds the same
    # share of the variance up to a few ulps, and np.histogram raised "Too many bins for data
    # range" from inside full_report (the profiler and `hvrt profile` with it).
    X = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=5000, freq="37min")})
    labels = np.arange(5000) % 5
    report = full_report(X, labels, variance_proportions=proportional, span_proportions=proportional)
    for part in (report["when"].variance_report, report["when"].span_report):
        counts, edges = part.histogram
        assert counts.sum() == 5 and len(edges) == 11 and np.all(np.diff(edges) > 0)
        assert edges[0] <= part.distribution.min() and part.distribution.max() <= edges[-1]
    assert report["when"].variance_report.hhi == pytest.approx(0.2)


@pytest.mark.parametrize("centre", [1 / 13, 3.0, 1e17])
def test_values_a_few_ulps_apart_fall_in_one_bin_as_equal_values_do(centre):
    # the window around the median could put its middle edge among them, splitting them 7 / 6
    from hvrt.metrics import _histogram

    values = np.nextafter(np.full(13, centre), np.where(np.arange(13) % 2, np.inf, -np.inf))
    counts, edges = _histogram(values)
    assert sorted(counts)[-1] == 13 and len(edges) == 11
    assert edges[0] <= values.min() and values.max() <= edges[-1]


def test_full_report_finds_a_non_string_column_name():
    # X's columns 0 and 1 are reported as "0" and "1" (names are compared as strings); report[0]
    # was a KeyError while DistributionAnalyzer(X, labels).score(0) found the column
    X = pd.DataFrame(np.random.default_rng(2).normal(size=(90, 2)), columns=[0, 1])
    report = full_report(X, np.arange(90) % 3)
    assert report[0] is report["0"] and report[1].name == "1"
    with pytest.raises(KeyError):
        report[2]


def test_a_large_offset_leaves_the_r2_and_the_report_as_without_it():
    # Partition means and the column mean summed with rounding (a few ulps of 1e14, 0.016
    # each) put count * rounding**2 into the squared deviations: 1e-3 of a 1e14 + N(0, 10)
    # column's R², and a constant 1e14 + 0.5 column got an R² and variance proportions.
    # The same rows less the offset (exact: within a factor 2 of 1e14) are the reference.
    rng = np.random.default_rng(15)
    n = 40_000
    labels = rng.integers(0, 20, n)
    spread = rng.normal(size=n) * 10.0 + np.where(np.arange(n) % 20 == labels, 30.0, 0.0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": 1e14 + spread, "d": np.full(n, 1e14 + 0.5)})
    y = 1e14 + spread[::-1]
    offset_free = X.assign(b=X["b"] - 1e14, d=X["d"] - 1e14)
    quality, expected = partition_quality(X, labels, y=y), partition_quality(offset_free, labels, y=y - 1e14)
    assert np.isnan(quality.feature_r2["d"]) and np.isnan(expected.feature_r2["d"])
    for name in ("a", "b"):
        assert quality.feature_r2[name] == pytest.approx(expected.feature_r2[name], rel=1e-9)
    assert quality.y_r2 == pytest.approx(expected.y_r2, rel=1e-9)
    assert quality.within_sse_ratio == pytest.approx(expected.within_sse_ratio, rel=1e-9)
    report, reference = full_report(X, labels), full_report(offset_free, labels)
    for name in ("b", "d"):
        np.testing.assert_allclose(
            report[name].to_pandas().to_numpy(), reference[name].to_pandas().to_numpy(), rtol=1e-9, atol=1e-12
        )
    assert report["d"].to_pandas()["variance_proportion"].isna().all()
    assert np.isnan(report["d"].variance_report.hhi)
