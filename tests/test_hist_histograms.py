"""The histogram kernels: padded multi-output blocks (and single-output pairs) filled by vector additions.

The vector path must give bit for bit the histogram of the scalar loop (the same additions
in the same row order), and so the same tree, node for node.
"""

from __future__ import annotations

import numpy as np
import pytest

from hvrt._hist._binning import fit_bins, transform_bins
from hvrt._hist._grow_tree import grow_tree
from hvrt._hist._grower import ENTRIES, grow
from hvrt._hist._histograms import fill_histogram, histogram_sums, histogram_width


def binned(seed, n_rows, n_features, n_outputs, nan_share=0.05):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    X[rng.random(X.shape) < nan_share] = np.nan
    y = rng.normal(size=(n_rows, n_outputs)) + np.nan_to_num(X[:, :1]).clip(-3, 3)
    mapper = fit_bins(X, max_bins=31, seed=0)
    return transform_bins(X, mapper), np.ascontiguousarray(y - y.mean(axis=0)), mapper


def reference_histogram(codes, y, n_features, n_codes, start, end):
    """Row by row with numpy's unbuffered add: the scalar order of additions."""
    m = y.shape[1]
    hist = np.zeros((n_features, n_codes, m + 1))
    for f in range(n_features):
        rows = np.arange(start, end)
        for k in range(m):
            np.add.at(hist[f, :, k], codes[rows, f], y[rows, k])
        np.add.at(hist[f, :, m], codes[rows, f], 1.0)
    return hist


# widths 2 (the pair), 4, 8, 12 (eight lanes and four), 16 (eight and eight), 20 (the wide path)
@pytest.mark.parametrize("n_outputs", [1, 2, 3, 4, 7, 10, 11, 12, 15, 16])
def test_padded_histogram_equals_the_scalar_one_bit_for_bit(n_outputs):
    codes, y, mapper = binned(3, 3_000, 5, n_outputs)
    width = histogram_width(n_outputs)
    assert width >= n_outputs + 1 and (n_outputs == 1 or width % 4 == 0)
    hist = np.full((5, mapper.n_codes, width), np.nan)  # filled from garbage: zeroed first
    fill_histogram(hist, codes, y, 250, 2_750)
    expected = reference_histogram(codes, y, 5, mapper.n_codes, 250, 2_750)
    np.testing.assert_array_equal(hist[:, :, : n_outputs + 1], expected)
    np.testing.assert_array_equal(hist[:, :, n_outputs + 1 :], 0.0)
    # bins added in order, as cumsum adds them
    np.testing.assert_array_equal(histogram_sums(hist)[:n_outputs], expected[0, :, :n_outputs].cumsum(axis=0)[-1])


@pytest.mark.parametrize("n_outputs", [7, 8, 10, 15])
def test_padded_histogram_of_a_float32_target_equals_the_scalar_one(n_outputs):
    # from eight outputs a row's first eight values are read as one vector and widened
    # together (the features target is float32): the same values, so the same bits; the
    # rows run to the array's last, whose vector ends at the array's end
    codes, y, mapper = binned(7, 3_000, 5, n_outputs)
    y32 = y.astype(np.float32)
    for target in (y32, y):
        hist = np.full((5, mapper.n_codes, histogram_width(n_outputs)), np.nan)
        fill_histogram(hist, codes, target, 250, 3_000)
        expected = reference_histogram(codes, target.astype(np.float64), 5, mapper.n_codes, 250, 3_000)
        np.testing.assert_array_equal(hist[:, :, : n_outputs + 1], expected)
        np.testing.assert_array_equal(hist[:, :, n_outputs + 1 :], 0.0)


@pytest.mark.parametrize("n_outputs", [3, 10])
def test_unpadded_histograms_still_fill(n_outputs):
    # the Dask path's histograms have width m + 1; m = 3 takes the vector path, 10 the loop
    codes, y, mapper = binned(4, 2_000, 4, n_outputs)
    hist = np.empty((4, mapper.n_codes, n_outputs + 1))
    fill_histogram(hist, codes, y, 0, 2_000)
    np.testing.assert_array_equal(hist, reference_histogram(codes, y, 4, mapper.n_codes, 0, 2_000))


@pytest.mark.parametrize("n_outputs", [2, 10])
def test_growth_on_padded_histograms_equals_growth_on_scalar_ones(n_outputs):
    # grow() takes its histogram width from the root's: width m + 1 (not a multiple of 4)
    # runs the scalar loop everywhere, the padded width the vector path
    codes0, y0, mapper = binned(5, 20_000, 6, n_outputs)
    tables = []
    for width in (n_outputs + 1, histogram_width(n_outputs)):
        codes, y = codes0.copy(), y0.copy()
        root = np.empty((6, mapper.n_codes, width))
        fill_histogram(root, codes, y, 0, len(y))
        node_int, node_float = grow(
            codes, codes.view(np.uint64), y, np.arange(len(y), dtype=np.int32), 0, len(y), root,
            histogram_sums(root)[:n_outputs], 0, mapper.n_value_bins, np.zeros(6, dtype=np.bool_),
            mapper.nan_code, 300, 1, 2**31 - 1, 0.0, 1024, 1, np.zeros((2, ENTRIES), dtype=np.int64), np.zeros((2, 0)), -1,
        )  # fmt: skip
        tables.append((node_int, node_float, y))
    (int_a, float_a, y_a), (int_b, float_b, y_b) = tables
    assert (int_a[:, 8] < 0).sum() == 300  # LEFT < 0: 300 leaves
    np.testing.assert_array_equal(int_a, int_b)
    np.testing.assert_array_equal(float_a, float_b)
    np.testing.assert_array_equal(y_a, y_b)


def test_grow_tree_allocates_padded_histograms():
    codes, y, mapper = binned(6, 5_000, 3, 10)
    node_int, node_float, rows = grow_tree(codes, y, mapper.n_value_bins, mapper.nan_code, 20, 1, 2**31 - 1, 0.0, 1024)
    assert node_float.shape[1] == 11  # gain and the ten outputs' sums, never the padding
    np.testing.assert_allclose(node_float[0, 1:], 0.0, atol=1e-9)  # the centred target's sums


def test_root_histograms_start_on_a_cache_line():
    # a ten-output block is 96 bytes: from a base 16 or 48 bytes past a 64-byte line, half
    # of its eight-lane additions straddle two lines (a quarter slower); numpy's own
    # allocations are only 16-byte aligned, so a plain np.empty lands there often
    from hvrt._hist._grow_tree import _aligned_empty, _root_histogram

    codes, y, mapper = binned(9, 2_000, 3, 10)
    keep = []
    for trial in range(24):
        keep.append(np.empty(trial * 3 + 1))  # other allocations in between: other bases
        shape = (2, 3 + trial % 2, 5 + trial, histogram_width(10))
        hists = _aligned_empty(shape)
        assert hists.shape == shape and hists.dtype == np.float64 and hists.flags.c_contiguous
        assert hists.ctypes.data % 64 == 0
    hists = _root_histogram(codes, y, 3, mapper.n_codes)
    assert hists.ctypes.data % 64 == 0
    expected = np.empty_like(hists[0])
    fill_histogram(expected, codes, y, 0, len(y) // 2)
    half = np.empty_like(hists[0])
    fill_histogram(half, codes, y, len(y) // 2, len(y))
    np.testing.assert_array_equal(hists[0], expected + half)


@pytest.mark.parametrize("n_outputs", [1, 3, 10, 16])
def test_features_filled_in_two_ranges_equal_one_fill(n_outputs):
    # the root's smaller child is filled by two threads a half of the features each
    # (split_root): each range's bins get the rows in the same order, so the same bits
    from concurrent.futures import ThreadPoolExecutor

    from hvrt._hist._histograms import fill_features

    codes, y, mapper = binned(5, 4_000, 5, n_outputs)
    y32 = y.astype(np.float32)
    for target in (y, y32):
        width = histogram_width(n_outputs)
        expected = np.empty((5, mapper.n_codes, width))
        fill_histogram(expected, codes, target, 300, 3_700)
        hist = np.full_like(expected, np.nan)  # each range zeroed first
        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(fill_features, hist, codes, target, 300, 3_700, a, b) for a, b in ((0, 2), (2, 5))]:
                future.result()
        np.testing.assert_array_equal(hist, expected)
        # a range leaves the other features as they were
        fill_features(hist, codes, target, 0, 10, 1, 3)
        np.testing.assert_array_equal(hist[[0, 3, 4]], expected[[0, 3, 4]])
