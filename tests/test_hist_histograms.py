"""The histogram kernels: padded multi-output blocks (and single-output pairs) filled by vector additions.

The vector path must give bit for bit the histogram of the scalar loop (the same additions
in the same row order), and so the same tree, node for node. The packed fill of 8-15
outputs (float32 blocks) gives it to float32 rounding, its counts and node sums exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from hvrt._hist._binning import fit_bins, transform_bins
from hvrt._hist._grow_tree import grow_tree
from hvrt._hist._grower import ENTRIES, grow
from hvrt._hist._histograms import (
    PACKED_CHUNK_ROWS,
    column_sums,
    fill_histogram,
    fill_packed,
    histogram_sums,
    histogram_width,
    packs_outputs,
)
from hvrt._hist._node_table import BIN, END, FEATURE, GAIN, LEFT, NAN_LEFT, START
from hvrt._hist._split import evaluate_node


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


@pytest.mark.parametrize("n_outputs", [3, 10])
def test_unpadded_histograms_still_fill(n_outputs):
    # the Dask path's histograms have width m + 1; m = 3 takes the vector path, 10 the loop
    codes, y, mapper = binned(4, 2_000, 4, n_outputs)
    hist = np.empty((4, mapper.n_codes, n_outputs + 1))
    fill_histogram(hist, codes, y, 0, 2_000)
    np.testing.assert_array_equal(hist, reference_histogram(codes, y, 4, mapper.n_codes, 0, 2_000))


def grow_whole(codes, y, mapper, root, root_sums, max_leaves):
    return grow(
        codes, codes.view(np.uint64), y, np.arange(len(y), dtype=np.int32), 0, len(y), root, root_sums, 0,
        mapper.n_value_bins, np.zeros(codes.shape[1], dtype=np.bool_), mapper.nan_code, max_leaves, 1, 2**31 - 1, 0.0,
        1024, 1, np.zeros((2, ENTRIES), dtype=np.int64), np.zeros((2, 0)), -1,
    )  # fmt: skip


@pytest.mark.parametrize("n_outputs", [2, 7])
def test_growth_on_padded_histograms_equals_growth_on_scalar_ones(n_outputs):
    # grow() takes its histogram width from the root's: width m + 1 (not a multiple of 4)
    # runs the scalar loop everywhere, the padded width the vector path
    codes0, y0, mapper = binned(5, 20_000, 6, n_outputs)
    tables = []
    for width in (n_outputs + 1, histogram_width(n_outputs)):
        assert not packs_outputs(width)
        codes, y = codes0.copy(), y0.copy()
        root = np.empty((6, mapper.n_codes, width))
        fill_histogram(root, codes, y, 0, len(y))
        node_int, node_float = grow_whole(codes, y, mapper, root, histogram_sums(root)[:n_outputs], 300)
        tables.append((node_int, node_float, y))
    (int_a, float_a, y_a), (int_b, float_b, y_b) = tables
    assert (int_a[:, LEFT] < 0).sum() == 300
    np.testing.assert_array_equal(int_a, int_b)
    np.testing.assert_array_equal(float_a, float_b)
    np.testing.assert_array_equal(y_a, y_b)


@pytest.mark.parametrize("n_outputs", [3, 8, 10, 12, 15, 16])
def test_packed_histogram_is_the_scalar_one_to_float32_rounding(n_outputs):
    # more rows than a chunk, so the float32 blocks are added to the histogram more than once
    n_rows = PACKED_CHUNK_ROWS * 2 + 1_000
    codes, y, mapper = binned(7, n_rows, 5, n_outputs)
    width = histogram_width(n_outputs)
    assert packs_outputs(width) == (8 <= n_outputs <= 15)
    if not packs_outputs(width):
        return
    hist = np.full((5, mapper.n_codes, width), np.nan)  # filled from garbage: written first
    sums = np.full(n_outputs, np.nan)
    fill_packed(hist, codes, y, 500, n_rows, sums)
    expected = reference_histogram(codes, y, 5, mapper.n_codes, 500, n_rows)
    np.testing.assert_array_equal(hist[:, :, n_outputs], expected[:, :, n_outputs])  # counts exact
    np.testing.assert_array_equal(hist[:, :, n_outputs + 1 :], 0.0)
    # float32 rounding of each value and of each chunk's sums: within 1e-6 of the bins' spread
    scale = np.abs(y[500:]).sum() / mapper.n_codes
    np.testing.assert_allclose(hist[:, :, :n_outputs], expected[:, :, :n_outputs], rtol=0, atol=1e-6 * scale)
    assert not np.array_equal(hist[:, :, :n_outputs], expected[:, :, :n_outputs])  # (it is the float32 path)
    # the rows' sums in float64, in row order
    np.testing.assert_array_equal(sums, column_sums(y, 500, n_rows))
    empty = np.full_like(hist, np.nan)
    fill_packed(empty, codes, y, 7, 7, sums)
    np.testing.assert_array_equal(empty, 0.0)
    np.testing.assert_array_equal(sums, 0.0)


def test_packed_growth_takes_the_best_split_to_rounding_and_exact_node_sums():
    # ten outputs, nine of them noise: small nodes have near-tied splits, which float32
    # rounding may order otherwise than float64; every split must still be the best one
    # of its node's exact histogram to rounding, and every node's sums its rows' sums
    codes, y, mapper = binned(5, 20_000, 6, 10)
    width = histogram_width(10)
    assert packs_outputs(width)
    root = np.empty((6, mapper.n_codes, width))
    root_sums = np.empty(10)
    fill_packed(root, codes, y, 0, len(y), root_sums)
    node_int, node_float = grow_whole(codes, y, mapper, root, root_sums, 300)
    assert (node_int[:, LEFT] < 0).sum() == 300
    scratch = np.empty((7, mapper.nan_code + 1))
    exact = np.empty((6, mapper.n_codes, width))
    split = other = 0
    for node in range(len(node_int)):
        start, end = node_int[node, START], node_int[node, END]
        np.testing.assert_allclose(node_float[node, 1:], y[start:end].sum(axis=0), rtol=0, atol=1e-9)
        if node_int[node, LEFT] < 0:
            continue
        fill_histogram(exact, codes, y, start, end)
        best = evaluate_node(
            exact, mapper.n_value_bins, mapper.nan_code, y[start:end].sum(axis=0), end - start, 0, 1, 2**31 - 1, 0.0,
            scratch,
        )  # fmt: skip
        # the gains are differences of sums of squares of this scale
        assert abs(node_float[node, GAIN] - best[0]) <= 1e-6 * float(np.sum(y[start:end] ** 2))
        split += 1
        other += (best[1], best[2], bool(best[3])) != tuple(node_int[node, [FEATURE, BIN, NAN_LEFT]].astype(object))
    assert split == 299 and other <= 0.05 * split  # another split at a near tie only now and then


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
    hists, root_sums = _root_histogram(codes, y, 3, mapper.n_codes, 1)
    assert hists.ctypes.data % 64 == 0
    # ten outputs: the packed fill, its two halves added; the sums the halves' row sums
    expected, half = np.empty_like(hists[0]), np.empty_like(hists[0])
    first, second = np.empty(10), np.empty(10)
    fill_packed(expected, codes, y, 0, len(y) // 2, first)
    fill_packed(half, codes, y, len(y) // 2, len(y), second)
    np.testing.assert_array_equal(hists[0], expected + half)
    np.testing.assert_array_equal(root_sums, first + second)
    # one output: fill_histogram's halves, the sums read off the histogram
    hists, root_sums = _root_histogram(codes, np.ascontiguousarray(y[:, :1]), 3, mapper.n_codes, 2)
    expected, half = np.empty_like(hists[0]), np.empty_like(hists[0])
    fill_histogram(expected, codes, np.ascontiguousarray(y[:, :1]), 0, len(y) // 2)
    fill_histogram(half, codes, np.ascontiguousarray(y[:, :1]), len(y) // 2, len(y))
    np.testing.assert_array_equal(hists[0], expected + half)
    np.testing.assert_array_equal(root_sums, histogram_sums(expected + half)[:1])
