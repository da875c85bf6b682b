"""The grouped-statistics kernel against pandas groupby and exact arithmetic."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from hvrt import _grouped
from hvrt._grouped import grouped_stats


def _random_data(seed: int = 0, n: int = 400, d: int = 4, n_labels: int = 23, nan_share: float = 0.1):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, d)) * rng.uniform(0.1, 50, size=d)
    values[rng.random((n, d)) < nan_share] = np.nan
    labels = rng.integers(0, n_labels, size=n)
    return values, labels


def _pandas_reference(values: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    grouped = pd.DataFrame(values).groupby(labels, sort=True)
    return {
        "ids": np.asarray(grouped.size().index),
        "sizes": grouped.size().to_numpy(),
        "count": grouped.count().to_numpy(),
        "mean": grouped.mean().to_numpy(),
        "var": grouped.var(ddof=0).to_numpy(),
        "min": grouped.min().to_numpy(),
        "max": grouped.max().to_numpy(),
    }


def _assert_matches_pandas(values: np.ndarray, labels: np.ndarray) -> None:
    stats = grouped_stats(values, labels)
    expected = _pandas_reference(values, labels)
    np.testing.assert_array_equal(stats.partition_ids, expected["ids"])
    np.testing.assert_array_equal(stats.sizes, expected["sizes"])
    np.testing.assert_array_equal(stats.count, expected["count"])
    np.testing.assert_allclose(stats.mean, expected["mean"], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(stats.minimum, expected["min"], equal_nan=True)
    np.testing.assert_allclose(stats.maximum, expected["max"], equal_nan=True)
    # The kernel's variance and span are 0 where a partition has at most one value.
    has_two = expected["count"] > 1
    np.testing.assert_allclose(stats.variance, np.where(has_two, expected["var"], 0.0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        stats.span, np.where(has_two, expected["max"] - expected["min"], 0.0), rtol=1e-12
    )
    np.testing.assert_array_equal(stats.partition_ids[stats.codes], labels)


def test_matches_pandas_groupby_with_nan():
    values, labels = _random_data()
    _assert_matches_pandas(values, labels)


def test_matches_pandas_groupby_without_nan():
    values, labels = _random_data(seed=1, nan_share=0.0)
    _assert_matches_pandas(values, labels)


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda lab: lab.astype(np.uint8), id="uint8"),
        pytest.param(lambda lab: lab.astype(np.int32) - 11, id="negative-int32"),
        pytest.param(lambda lab: lab.astype(np.int64) * 10_000_019, id="wide-int64"),
        pytest.param(lambda lab: lab.astype(np.uint64) + np.uint64(2**63), id="huge-uint64"),
        pytest.param(lambda lab: lab.astype(np.float64) / 3, id="float"),
        pytest.param(lambda lab: np.array([f"p{v:02d}" for v in lab]), id="str"),
    ],
)
def test_label_dtypes(transform):
    """Radix-sorted (narrow int) and comparison-sorted labels give the same statistics."""
    values, labels = _random_data(seed=2)
    _assert_matches_pandas(values, transform(labels))


def test_many_gather_blocks_and_memory_layouts():
    """More rows than one gather block; C, Fortran and strided inputs agree."""
    values, labels = _random_data(seed=5, n=70_000, d=3, n_labels=500)
    _assert_matches_pandas(values, labels)
    reference = grouped_stats(values, labels)
    wide = np.zeros((values.shape[0], 6))
    wide[:, ::2] = values
    for layout in (np.asfortranarray(values), wide[:, ::2]):
        other = grouped_stats(layout, labels)
        for name in ("count", "mean", "m2", "minimum", "maximum"):
            np.testing.assert_array_equal(getattr(other, name), getattr(reference, name))


def test_radix_and_general_sort_agree():
    values, labels = _random_data(seed=3, n=2000, n_labels=300)
    narrow = grouped_stats(values, labels)
    wide = grouped_stats(values, labels * 1_000_003)  # span >= 2**16: comparison sort
    for name in ("sizes", "count", "codes"):
        np.testing.assert_array_equal(getattr(narrow, name), getattr(wide, name))
    for name in ("mean", "m2", "minimum", "maximum"):
        np.testing.assert_array_equal(getattr(narrow, name), getattr(wide, name))


def test_large_offset_variance_is_exact():
    """Values near 1e9 keep their small within-partition variance (two-pass sums)."""
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 5, size=1000)
    small = rng.integers(0, 4, size=(1000, 2)).astype(np.float64)  # exactly representable
    stats_small = grouped_stats(small, labels)
    stats_offset = grouped_stats(small + 1e9, labels)
    np.testing.assert_allclose(stats_offset.variance, stats_small.variance, rtol=1e-9)
    np.testing.assert_allclose(stats_offset.span, stats_small.span, rtol=0, atol=0)
    assert np.all(stats_offset.variance > 0.5)  # a one-pass formula would lose these


def test_all_nan_column_in_a_partition():
    values = np.array([[np.nan, 1.0], [np.nan, 2.0], [3.0, 4.0], [5.0, np.nan]])
    stats = grouped_stats(values, np.array([0, 0, 1, 1]))
    np.testing.assert_array_equal(stats.count, [[0, 2], [2, 1]])
    assert np.isnan(stats.mean[0, 0]) and np.isnan(stats.minimum[0, 0])
    np.testing.assert_array_equal(stats.variance, [[0.0, 0.25], [1.0, 0.0]])
    np.testing.assert_array_equal(stats.span, [[0.0, 1.0], [2.0, 0.0]])


def test_single_row_partitions_have_zero_variance_and_span():
    values = np.array([[1.0], [5.0], [7.0], [9.0]])
    stats = grouped_stats(values, np.array([0, 1, 2, 2]))
    np.testing.assert_array_equal(stats.variance.ravel(), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(stats.span.ravel(), [0.0, 0.0, 2.0])


def test_one_dimensional_values():
    stats = grouped_stats(np.array([1.0, 2.0, 4.0]), np.array([1, 1, 0]))
    assert stats.mean.shape == (2, 1)
    np.testing.assert_array_equal(stats.mean.ravel(), [4.0, 1.5])


def test_empty_input_gives_zero_partitions():
    stats = grouped_stats(np.empty((0, 3)), np.empty(0, dtype=np.int64))
    assert stats.n_partitions == 0
    assert stats.mean.shape == stats.count.shape == (0, 3)
    assert stats.variance.shape == stats.span.shape == (0, 3)


def test_length_mismatch_names_labels():
    with pytest.raises(ValueError, match="labels has 3 entries but the data has 2 rows"):
        grouped_stats(np.zeros((2, 1)), np.array([0, 1, 2]))


def test_two_dimensional_labels_rejected():
    with pytest.raises(ValueError, match="labels must be 1-D"):
        grouped_stats(np.zeros((2, 1)), np.array([[0], [1]]))


def test_docstring_examples_run():
    result = doctest.testmod(_grouped, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_repr_is_one_line_and_to_pandas_matches_pandas_groupby():
    rng = np.random.default_rng(4)
    values = rng.normal(size=(500, 2))
    labels = rng.integers(0, 7, 500)
    stats = grouped_stats(values, labels)
    assert repr(stats).startswith("GroupedStats(500 rows x 2 columns in 7 partitions")
    table = stats.to_pandas(["a", "b"])
    reference = pd.DataFrame(values, columns=["a", "b"]).groupby(labels)
    np.testing.assert_allclose(table[("a", "mean")], reference["a"].mean())
    np.testing.assert_allclose(table[("b", "variance")], reference["b"].var(ddof=0))
    np.testing.assert_array_equal(table[("", "size")], reference.size())
    with pytest.raises(ValueError, match="columns has 1 names for 2"):
        stats.to_pandas(["a"])


def test_a_large_offset_leaves_the_partition_variances_as_without_it():
    # A partition's mean summed row after row is a few ulps off at 1e14 (0.016 each), and
    # squared deviations from it carry count * rounding**2: 2e-6 of a N(0, 10) column's
    # variance here, and a variance for a constant column. The same rows less the offset
    # (exact: within a factor 2 of 1e14) are the reference.
    rng = np.random.default_rng(21)
    n = 40_000
    labels = rng.integers(0, 20, n)
    spread = rng.normal(size=n) * 10.0 + 3.0 * labels
    values = np.column_stack([1e14 + spread, np.full(n, 1e14 + 0.5), rng.normal(size=n)])
    values[rng.random(n) < 0.05, 0] = np.nan  # the missing values' path too
    offset_free = values - [1e14, 1e14, 0.0]
    stats, reference = grouped_stats(values, labels), grouped_stats(offset_free, labels)
    np.testing.assert_allclose(stats.m2[:, [0, 2]], reference.m2[:, [0, 2]], rtol=1e-9)
    np.testing.assert_array_equal(stats.m2[:, 1], 0.0)  # constant in every partition
    np.testing.assert_array_equal(stats.mean[:, 1], 1e14 + 0.5)
    np.testing.assert_allclose(stats.mean[:, 0] - 1e14, reference.mean[:, 0], rtol=0, atol=0.008)  # half an ulp


def test_column_extremes_match_nanmin_and_nanmax_in_any_layout():
    rng = np.random.default_rng(4)
    values = rng.normal(size=(1000 + 37, 3))  # a remainder beyond the folded rows
    values[rng.random(values.shape) < 0.1] = np.nan
    values[:, 2] = np.nan  # an all-missing column stays NaN
    for layout in (values, np.asfortranarray(values), values[::2]):
        low, high = _grouped._column_extremes(layout)
        with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
            expected_low, expected_high = np.nanmin(layout, axis=0), np.nanmax(layout, axis=0)
        np.testing.assert_array_equal(low, expected_low)
        np.testing.assert_array_equal(high, expected_high)


def test_stats_for_checks_labels_and_columns_in_one_pass():
    rng = np.random.default_rng(5)
    values = rng.normal(size=(500, 2)) * [1.0, 50.0]
    labels = rng.integers(0, 6, 500)
    stats = grouped_stats(values, labels)
    assert _grouped.stats_for(values, labels, stats) is stats
    assert _grouped.stats_for(values, labels + 100, stats) is stats  # renamed partitions
    moved = labels.copy()
    moved[-1] = (labels[-1] + 1) % 6  # one row in another partition
    expected = rf"other labels than the labels given: row 499 .* its label is {moved[-1]} \(1 row differs\)"
    with pytest.raises(ValueError, match=expected):
        _grouped.stats_for(values, moved, stats)
    with pytest.raises(ValueError, match=r"column 'b' \(position 1\) spans"):
        _grouped.stats_for(values * [1.0, 2.0], labels, stats, ["a", "b"])
    np.testing.assert_array_equal(_grouped.partition_labels(stats, labels + 100), stats.partition_ids + 100)


def test_stats_for_compares_each_columns_count_and_sum_to_rounding():
    rng = np.random.default_rng(6)
    n = 2000
    labels = rng.integers(0, 50, n)
    flags = (rng.random((n, 2)) < [0.3, 0.7]) * 1.0
    with pytest.raises(ValueError, match=r"column 0 \(position 0\) holds 2,000 values summing to \d+ in X"):
        _grouped.stats_for(flags, labels, grouped_stats(flags[:, ::-1], labels))
    # A grouping with one more value missing: the counts differ.
    values = rng.normal(size=(n, 2))
    values[[0, 1], 1] = [np.nan, 5.0]
    gaps = values.copy()
    gaps[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"column 'y' \(position 1\) holds 1,999 values .* but 1,998"):
        _grouped.stats_for(values, labels, grouped_stats(gaps, labels), ["x", "y"])
    # Rounding never refuses the data's own grouping: offsets, heavy tails, NaN, one
    # partition per row, either memory order.
    for column in (
        rng.normal(size=n) * 1e-3 + 1e14,
        rng.standard_cauchy(size=n) * 1e9,
        rng.lognormal(0, 8, size=n) * rng.choice([-1.0, 1.0], size=n),
        np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n) + 1e12),
        np.full(n, np.nan),
    ):
        data = np.column_stack((column, flags[:, 0]))
        for grouping in (labels, np.arange(n)):
            for layout in (data, np.asfortranarray(data)):
                stats = grouped_stats(layout, grouping)
                assert _grouped.stats_for(layout, grouping, stats) is stats


def test_public_grouped_stats_refuses_nan_labels():
    """hvrt.grouped_stats: a NaN label is refused (A3), where the grouping would give each
    such row a partition of its own; other float labels group as they are."""
    import hvrt

    values = np.arange(5.0)
    with pytest.raises(ValueError, match=r"labels has 2 missing value\(s\) \(NaN/None\), first at row 1"):
        hvrt.grouped_stats(values, np.array([1.0, np.nan, 2.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="labels has 1 missing value"):
        hvrt.grouped_stats(values, np.array([1.0, 1.0, 2.0, 2.0, np.nan], dtype=np.float32))
    stats = hvrt.grouped_stats(values, np.array([0.5, 0.5, 2.0, 2.0, 2.0]))
    assert stats.partition_ids.tolist() == [0.5, 2.0] and stats.sizes.tolist() == [2, 3]
