"""engine="hist": the numba histogram tree against the exact engine and its own contract."""

from __future__ import annotations

import dataclasses
import itertools
import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest

from hvrt import HVRTPartitioner
from hvrt._engines import fit_exact, resolve_engine, root_impurity
from hvrt._hist import HistTree, fit_hist
from hvrt._hist._binning import fit_bins, transform_bins
from hvrt._hist._categories import MIN_CATEGORY_ROWS
from hvrt._target import target_part
from hvrt._tree_contract import GrowthParams


def params(max_leaf_nodes=None, min_samples_leaf=1, max_depth=None, min_variance_reduction=0.0):
    return GrowthParams(max_leaf_nodes, min_samples_leaf, max_depth, min_variance_reduction, 0)


def explained(target: np.ndarray, leaves: np.ndarray) -> float:
    """Share of the (summed per-output) target variance explained by the leaf means."""
    target = target.reshape(len(target), -1)
    _, labels = np.unique(leaves, return_inverse=True)
    sizes = np.bincount(labels)
    means = np.stack([np.bincount(labels, weights=t) for t in target.T], axis=1) / sizes[:, None]
    residual = target - means[labels]
    return 1.0 - np.sum(residual**2) / np.sum((target - target.mean(axis=0)) ** 2)


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """True when the two labelings group the rows identically (up to renaming)."""
    pairs = np.unique(np.stack([a, b], axis=1), axis=0)
    return len(pairs) == len(np.unique(a)) == len(np.unique(b))


def split_gains(tree: HistTree) -> np.ndarray:
    """SSE reduction of every internal node, from the node means and sizes."""
    internal = np.flatnonzero(tree.children_left >= 0)
    left, right = tree.children_left[internal], tree.children_right[internal]
    n = tree.n_node_samples

    def spread(child):
        return n[child] * np.sum((tree.value[child] - tree.value[internal]) ** 2, axis=1)

    return spread(left) + spread(right)


@pytest.fixture(scope="module")
def gaussian():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(50_000, 5))
    return X, X.sum(axis=1)


@pytest.fixture(scope="module")
def with_nan():
    """Feature 0 is missing for 20 % of rows, whose target sits with the low values."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4000, 3))
    y = X[:, 0] + 0.1 * X[:, 1]
    missing = rng.random(4000) < 0.2
    X[missing, 0] = np.nan
    y[missing] = -1.5
    return X, y, missing


# ---------------------------------------------------------------------- binning
def test_codes_count_edges_strictly_below_and_nan_has_its_own_code():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=3000), rng.integers(0, 4, 3000).astype(float), np.ones(3000)])
    X[::7, 0] = np.nan
    mapper = fit_bins(X, sample_rows=1000, seed=1)
    codes = transform_bins(X, mapper)
    assert codes.dtype == np.uint8
    for j in range(3):
        edges = mapper.edges[j, : mapper.n_value_bins[j] - 1]
        assert np.all(np.diff(edges) > 0)
        assert np.isinf(mapper.edges[j, len(edges):]).all()
        finite = ~np.isnan(X[:, j])
        np.testing.assert_array_equal(codes[finite, j], np.searchsorted(edges, X[finite, j], side="left"))
        assert np.all(codes[~finite, j] == mapper.nan_code)
        if len(edges):  # the maximum is never an edge
            assert edges[-1] < np.nanmax(X[:, j])
    assert mapper.n_value_bins[0] == 255  # quantile bins for a continuous feature
    assert mapper.n_value_bins[1] == 4  # one bin per distinct value
    assert mapper.n_value_bins[2] == 1  # a constant feature cannot split
    np.testing.assert_array_equal(mapper.edges[1, :3], [0.5, 1.5, 2.5])


@pytest.mark.parametrize("columns", [[0, 1, 2, 3], [0, 2]])
def test_grid_lookup_and_binary_search_agree_with_searchsorted(columns):
    # all four columns: a kernel that branches per feature; the grid ones alone: the
    # all-grid kernel (_bin_rows_grid)
    rng = np.random.default_rng(8)
    X = np.column_stack([
        rng.normal(size=20_000),  # even edges: grid lookup
        rng.lognormal(sigma=3.0, size=20_000),  # edges crowd near 0: binary search
        np.round(rng.normal(size=20_000), 1),  # many repeats, values equal to no edge
        rng.normal(size=20_000) * 1e-300,  # tiny span
    ])[:, columns]
    mapper = fit_bins(X, sample_rows=5_000, seed=0)
    assert mapper.use_grid.all() == (len(columns) == 2) and mapper.use_grid[0]
    # values the sample never saw, edges themselves and their float neighbours
    probes = [rng.normal(size=(5_000, 4))[:, columns] * np.array([10, 1e4, 10, 1e-299])[columns]]
    for shift in (-1, 0, 1):
        probes.append(np.nextafter(mapper.edges[:, :200].T, np.inf * shift) if shift else mapper.edges[:, :200].T)
    for data in [X, *probes]:
        data = np.where(np.isfinite(data), data, 0.0)
        data[::13, -1] = np.nan
        for order in (np.ascontiguousarray, np.asfortranarray):
            codes = transform_bins(order(data), mapper)
            for j in range(len(columns)):
                edges = mapper.edges[j, : mapper.n_value_bins[j] - 1]
                finite = ~np.isnan(data[:, j])
                np.testing.assert_array_equal(codes[finite, j], np.searchsorted(edges, data[finite, j], side="left"))
                assert (codes[~finite, j] == mapper.nan_code).all()


@pytest.mark.parametrize(
    "kind", ["normal", "lognormal", "rounded", "integers", "offset_cauchy", "half_zeros", "clusters", "tiny_clusters"]
)
def test_edge_kernel_is_the_numpy_steps_bit_for_bit(kind):
    # _feature_edges runs a kernel (numpy's pairwise mean, the running squared deviations,
    # the blended mass, the first rank reaching each target); its edges must be those of the
    # numpy steps it replaced, or the codes and the trees would move
    from hvrt._hist._binning import _feature_edges, _numpy_feature_edges

    for seed, n in enumerate([1, 2, 7, 129, 255, 256, 3_000, 20_000]):
        rng = np.random.default_rng(seed)
        values = {
            "normal": lambda: rng.standard_normal(n),
            "lognormal": lambda: rng.lognormal(0, 3, n),
            "rounded": lambda: np.round(rng.standard_normal(n), 1),
            "integers": lambda: rng.integers(0, 300, n).astype(float),
            "offset_cauchy": lambda: rng.standard_cauchy(n) * 1e5 + 1e8,
            "half_zeros": lambda: np.where(rng.random(n) < 0.5, 0.0, rng.standard_normal(n)),
            # empty stretches between clusters (edges placed in the gaps, in rounds)
            "clusters": lambda: 10.0 ** rng.integers(0, 7, n) + rng.standard_normal(n),
            # many clusters of a few rows: more gaps than the bin budget
            "tiny_clusters": lambda: 1e3 * rng.integers(0, n // 3 + 1, n) + rng.random(n),
        }[kind]()
        values = np.sort(values)
        for max_bins in (255, 127, 2):
            for row_share in (0.75, 1.0):
                expected = _numpy_feature_edges(values, max_bins, row_share)
                np.testing.assert_array_equal(_feature_edges(values, max_bins, row_share), expected)
    assert len(_feature_edges(np.sort(np.random.default_rng(0).standard_normal(5_000)), 255)) == 254


def test_grid_lookup_compares_both_edges_that_share_a_cell():
    # two edges 1e-4 apart share a grid cell (a cell is span / 4096 = 7e-4 wide): a value
    # between them, on them and beyond them needs both comparisons of the grid lookup
    from hvrt._hist._binning import _PADDED_EDGES, BinMapper, _edge_grid

    feature_edges = [[0.0, 1e-4, 1.0, 2.0, 3.0], [-1.0, 0.0, 0.5, 0.5001, 1.0]]
    edges = np.full((2, _PADDED_EDGES), np.inf)
    for j, values in enumerate(feature_edges):
        edges[j, : len(values)] = values
    n_value_bins = np.array([6, 6])
    mapper = BinMapper(edges, n_value_bins, 6, *_edge_grid(edges, n_value_bins))
    assert mapper.use_grid.all()
    probes = np.unique(np.concatenate([np.ravel(feature_edges), np.linspace(-2, 4, 4001)]))
    probes = np.concatenate([probes, np.nextafter(probes, np.inf), np.nextafter(probes, -np.inf)])
    X = np.column_stack([probes, probes[::-1]])
    codes = transform_bins(X, mapper)
    for j in range(2):
        np.testing.assert_array_equal(codes[:, j], np.searchsorted(feature_edges[j], X[:, j], side="left"))


# ---------------------------------------------------------------------- against exact
@pytest.mark.parametrize("max_leaf_nodes", [8, 20, None])
def test_same_splits_as_exact_on_few_distinct_values(max_leaf_nodes):
    # Every cell of a 6 x 4 x 3 grid, 5 times, with a generic value per cell: all gains
    # differ, so both engines must find the same tree.
    rng = np.random.default_rng(11)
    grid = np.stack(np.meshgrid(np.arange(6), np.arange(4), np.arange(3), indexing="ij"), -1).reshape(-1, 3)
    X = np.repeat(grid, 5, axis=0).astype(float) * [1.0, 10.0, 0.5]
    cell_value = rng.normal(size=len(grid)) + 3 * grid[:, 0]
    y = np.repeat(cell_value, 5)
    hist = fit_hist(X, y, params(max_leaf_nodes))
    exact = fit_exact(X, y, params(max_leaf_nodes))
    assert len(hist.leaf_ids) == len(exact.leaf_ids) == (max_leaf_nodes or len(grid))
    assert same_partition(hist.training_leaves, exact.apply(X))
    sk = exact.get_tree().tree_
    hist_splits = sorted(zip(hist.tree.feature[hist.tree.feature >= 0], hist.tree.threshold[hist.tree.feature >= 0]))
    exact_splits = sorted(zip(sk.feature[sk.feature >= 0], sk.threshold[sk.feature >= 0]))
    np.testing.assert_allclose(np.array(hist_splits), np.array(exact_splits))


@pytest.mark.parametrize("max_leaf_nodes", [16, 256, 4096])
def test_explained_variance_within_half_percent_of_exact(gaussian, max_leaf_nodes):
    X, y = gaussian
    hist = fit_hist(X, y, params(max_leaf_nodes))
    exact = fit_exact(X, y, params(max_leaf_nodes))
    assert len(hist.leaf_ids) == max_leaf_nodes
    hist_r2, exact_r2 = explained(y, hist.training_leaves), explained(y, exact.apply(X))
    assert hist_r2 >= exact_r2 * (1 - 0.005)


@pytest.mark.parametrize("max_leaf_nodes", [20, 100])
def test_explained_variance_within_half_percent_of_exact_on_skewed_features(max_leaf_nodes):
    # The z-scored sum of lognormal features has much of its variance in a few hundred
    # rows of the top tail; plain quantile bins lump them together (1-2.6 % lost here),
    # so the edges follow the features' squared deviation too.
    X = np.random.default_rng(4).lognormal(0.0, 1.0, size=(60_000, 3))
    y = target_part(X, False, np.ones(3), "sum", None)[0]
    hist = fit_hist(X, y, params(max_leaf_nodes))
    exact = fit_exact(X, y, params(max_leaf_nodes))
    assert explained(y, hist.training_leaves) >= explained(y, exact.apply(X)) * (1 - 0.005)


# ---------------------------------------------------------------------- NaN
def test_nan_goes_to_the_better_side_at_fit_and_at_labelling(with_nan):
    X, y, missing = with_nan
    tree = fit_hist(X, y, params(2)).tree
    # The missing rows (target -1.5) belong with the lowest values: a threshold on
    # feature 0 that sends NaN left.
    assert tree.feature[0] == 0 and np.isfinite(tree.threshold[0]) and tree.nan_left[0]
    fitted = fit_hist(X, y, params(2))
    nan_leaf = fitted.training_leaves[missing]
    assert np.all(nan_leaf == tree.children_left[0])
    new = np.array([[np.nan, 0.0, 0.0], [np.nan, 5.0, -5.0], [10.0, 0.0, 0.0]])
    np.testing.assert_array_equal(fitted.apply(new), [tree.children_left[0]] * 2 + [tree.children_right[0]])


def test_nan_alone_can_be_split_off():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(1000, 1))
    y = np.zeros(1000)
    X[:100, 0] = np.nan
    y[:100] = 1.0  # only missingness explains the target
    fitted = fit_hist(X, y, params(2))
    tree = fitted.tree
    assert np.isinf(tree.threshold[0]) and not tree.nan_left[0]
    assert same_partition(fitted.training_leaves, np.isnan(X[:, 0]))


def test_nan_never_seen_goes_to_the_larger_child():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(1000, 1))
    y = (X[:, 0] > 1.0).astype(float)  # the left child is the large one
    fitted = fit_hist(X, y, params(2))
    assert fitted.tree.nan_left[0]
    flipped = fit_hist(-X, y, params(2))  # now the right child is
    assert not flipped.tree.nan_left[0]
    leaves = fitted.apply(np.array([[np.nan], [-3.0]]))
    assert leaves[0] == leaves[1]


def test_nan_routing_through_the_partitioner(with_nan):
    X, y, missing = with_nan
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = HVRTPartitioner(max_leaf_nodes=30, engine="hist", impute=False).fit(frame)
    np.testing.assert_array_equal(model.labels_, model.get_partitions(frame))
    exact = HVRTPartitioner(max_leaf_nodes=30, engine="exact", impute=False).fit(frame)
    target = np.nansum((X - np.nanmean(X, 0)) / np.nanstd(X, 0), axis=1)
    assert explained(target, model.labels_) >= explained(target, exact.labels_) - 0.01
    # a row missing everything but "c" still gets a valid label, the same one each time
    lonely = pd.DataFrame({"a": [np.nan] * 2, "b": [np.nan] * 2, "c": [0.3, 0.3]})
    labels = model.get_partitions(lonely)
    assert labels[0] == labels[1] and 0 <= labels[0] < model.n_partitions_


# ---------------------------------------------------------------------- contract
def test_training_leaves_equal_apply_for_c_and_f_order(with_nan):
    X, y, _ = with_nan
    for data in (X, np.asfortranarray(X), X[:, ::-1][:, ::-1]):
        fitted = fit_hist(data, y, params(64))
        np.testing.assert_array_equal(fitted.training_leaves, fitted.apply(data))
        np.testing.assert_array_equal(np.unique(fitted.training_leaves), fitted.leaf_ids)


def test_deterministic_including_threads_and_edge_sampling():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(150_000, 3))  # binning and labelling run on threads
    y = X @ [1.0, 2.0, -1.0] + rng.normal(size=150_000)
    first = fit_hist(X, y, params(300), edge_sample_rows=20_000)
    second = fit_hist(X, y, params(300), edge_sample_rows=20_000)
    for name in ("feature", "threshold", "nan_left", "children_left", "children_right"):
        np.testing.assert_array_equal(getattr(first.tree, name), getattr(second.tree, name))
    np.testing.assert_array_equal(first.training_leaves, second.training_leaves)
    np.testing.assert_array_equal(first.training_leaves, first.apply(X))
    # the 20k-row edge sample costs nothing measurable in quality on 150k rows
    full = fit_hist(X, y, params(300), edge_sample_rows=200_000)
    assert abs(explained(y, first.training_leaves) - explained(y, full.training_leaves)) < 1e-3


def test_threaded_binning_and_labelling_match_one_thread(monkeypatch):
    from hvrt._hist import _threads

    rng = np.random.default_rng(12)
    X = rng.normal(size=(140_000, 3))  # two threads' worth of rows
    X[::11, 1] = np.nan
    y = np.nan_to_num(X).sum(axis=1)
    assert len(_threads.row_chunks(len(X))) == min(2, _threads.thread_count())
    threaded = fit_hist(X, y, params(100))
    monkeypatch.setattr(_threads.config, "NUMBA_NUM_THREADS", 1)
    single = fit_hist(X, y, params(100))
    np.testing.assert_array_equal(threaded.training_leaves, single.training_leaves)
    np.testing.assert_array_equal(threaded.apply(X), single.apply(X))


@pytest.mark.parametrize("n_outputs", [1, 2, 10])
def test_target_centring_is_one_subtraction_and_its_total_ignores_threads(monkeypatch, n_outputs):
    from hvrt._hist import _fit, _threads
    from hvrt._hist._fit import centred_target, target_means

    monkeypatch.setattr(_fit, "_CENTRE_THREADED_VALUES", 0)  # two threads from any size here
    rng = np.random.default_rng(13)
    target = np.ascontiguousarray(rng.normal(loc=0.3, size=(140_000, n_outputs)))  # two halves of 65k+ rows
    mean = target_means(target)
    # einsum's column sums (several outputs) add the rows in order, as mean(axis=0) does
    np.testing.assert_array_equal(mean, target.mean(axis=0))
    monkeypatch.setattr(_threads.config, "NUMBA_NUM_THREADS", 2)
    threaded, threaded_total = centred_target(target, mean, in_place=False)
    np.testing.assert_array_equal(threaded, target - mean)
    # a column-major target gives the same C-ordered values (the growth kernels take C order)
    from_f, from_f_total = centred_target(np.asfortranarray(target), mean, in_place=False)
    assert from_f.flags.c_contiguous and from_f_total == threaded_total
    np.testing.assert_array_equal(from_f, threaded)
    monkeypatch.setattr(_threads.config, "NUMBA_NUM_THREADS", 1)
    copy = target.copy()
    single, single_total = centred_target(copy, mean, in_place=True)
    assert single is copy
    np.testing.assert_array_equal(single, threaded)
    assert single_total == threaded_total
    assert single_total == pytest.approx(float(np.sum((target - mean) ** 2)), rel=1e-12)


@pytest.mark.parametrize("n_rows", [140_001, 999])  # lines of 64 rows, and a rest
def test_a_centred_target_of_several_outputs_is_grown_on_as_it_is(monkeypatch, n_rows):
    from hvrt._hist import _threads
    from hvrt._hist._fit import multi_output_centred

    rng = np.random.default_rng(17)
    X = rng.normal(size=(n_rows, 3))
    raw = rng.normal(loc=5.0, scale=[1.0, 3.0, 0.5, 2.0], size=(n_rows, 4)) + X[:, :1]
    target = np.ascontiguousarray((raw - raw.mean(axis=0)) / raw.std(axis=0))  # means ~1e-17 of the spread
    expected_total = float(np.sum((target - target.mean(axis=0)) ** 2))
    totals = []
    for threads in (2, 1):
        monkeypatch.setattr(_threads.config, "NUMBA_NUM_THREADS", threads)
        totals.append(multi_output_centred(target))
    assert totals[0] == totals[1]  # the halves' totals added, whatever the threads
    assert totals[0] == pytest.approx(expected_total, rel=1e-12)
    # an offset of 1e-6 of the spread is not centred; one output keeps the sum target's path
    assert multi_output_centred(target + 1e-6 * target.std(axis=0)) is None
    assert multi_output_centred(np.ascontiguousarray(target[:, :1])) is None
    few = raw[:40] - raw[:40].mean(axis=0)  # fewer rows than a line: the rest alone
    assert multi_output_centred(few) == pytest.approx(float(np.sum(few**2)), rel=1e-12)
    # grown on as it is: the leaves' values are the target's means over their rows
    fitted = fit_hist(X, target, params(20))
    leaves = fitted.training_leaves
    for leaf in np.unique(leaves)[:5]:
        np.testing.assert_allclose(fitted.tree.value[leaf], target[leaves == leaf].mean(axis=0), rtol=1e-12, atol=1e-12)
    # and the tree is the one grown on the exactly centred target, up to ties of rounding
    centred = fit_hist(X, np.ascontiguousarray(target - target.mean(axis=0)), params(20))
    assert np.mean(centred.training_leaves == leaves) > 0.99


@pytest.mark.parametrize("n_rows", [3_000, 300_000])
def test_a_float32_target_of_several_outputs_is_grown_on_exactly(n_rows):
    # the partitioner's features target for this engine (_engines.target_dtype): the kernels
    # widen each float32 value exactly, so the tree is the one grown on those values in
    # float64, node for node, and its values are their means (not the float64 outputs')
    rng = np.random.default_rng(23)
    X = rng.normal(size=(n_rows, 4))
    raw = X @ rng.normal(size=(4, 6)) + rng.normal(scale=0.5, size=(n_rows, 6))
    exact = np.ascontiguousarray((raw - raw.mean(axis=0)) / raw.std(axis=0))
    narrow = exact.astype(np.float32)
    fitted = fit_hist(X, narrow.copy(), params(40), overwrite_target=True)
    widened = fit_hist(X, narrow.astype(np.float64), params(40))
    for name in ("feature", "threshold", "nan_left", "children_left", "children_right", "n_node_samples"):
        np.testing.assert_array_equal(getattr(fitted.tree, name), getattr(widened.tree, name), err_msg=name)
    np.testing.assert_array_equal(fitted.training_leaves, widened.training_leaves)
    np.testing.assert_allclose(fitted.tree.value, widened.tree.value, rtol=0, atol=1e-12)
    leaves = fitted.training_leaves
    for leaf in np.unique(leaves)[:5]:
        rows = leaves == leaf
        np.testing.assert_allclose(fitted.tree.value[leaf], narrow[rows].astype(np.float64).mean(axis=0), atol=1e-12)
        # the documented tolerance against the float64 outputs: float32's rounding, 6e-8 of a value
        np.testing.assert_allclose(fitted.tree.value[leaf], exact[rows].mean(axis=0), rtol=0, atol=1e-6)
    # a float32 target that needs centring is centred as its float64 values (and left as it is)
    offset = (narrow + np.float32(3.0)).astype(np.float32)
    kept = offset.copy()
    moved = fit_hist(X, offset, params(40), overwrite_target=True)
    reference = fit_hist(X, kept.astype(np.float64), params(40))
    np.testing.assert_array_equal(offset, kept)
    np.testing.assert_array_equal(moved.training_leaves, reference.training_leaves)
    np.testing.assert_array_equal(moved.tree.value, reference.tree.value)


def test_fork_after_fit_is_safe():
    # GNU OpenMP aborts a forked child of a process that ran a parallel region; the engine
    # uses plain threads, so a fork-based pool after a fit works.
    code = (
        "import multiprocessing as mp, numpy as np\n"
        "from hvrt._tree_contract import GrowthParams\n"
        "from hvrt._hist import fit_hist\n"
        "X = np.random.default_rng(0).normal(size=(200_000, 3)); y = X.sum(axis=1)\n"
        "def work(k): return len(fit_hist(X, y, GrowthParams(k, 1, None, 0.0, 0)).leaf_ids)\n"
        "work(8)\n"
        "with mp.get_context('fork').Pool(2) as pool: assert pool.map(work, [5, 6]) == [5, 6]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_unlimited_growth_isolates_every_distinct_binned_row():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 3))  # more nodes than the initial node table holds
    y = rng.normal(size=3000)
    fitted = fit_hist(X, y, params(None))
    # every sample row places the edges (3000 < 20k), so these are the tree's codes
    codes = transform_bins(X, fit_bins(X, sample_rows=20_000))[:, :3]
    _, cells = np.unique(codes, axis=0, return_inverse=True)
    # a leaf per distinct code row: each leaf is one cell, and no cell is split in two
    assert len(fitted.leaf_ids) == cells.max() + 1 > 2900
    assert same_partition(fitted.training_leaves, cells.ravel())


def test_node_values_and_sizes_describe_the_training_rows(gaussian):
    X, y = gaussian
    fitted = fit_hist(X[:5000], y[:5000], params(40))
    tree, leaves = fitted.tree, fitted.training_leaves
    np.testing.assert_array_equal(tree.n_node_samples[fitted.leaf_ids], np.bincount(leaves)[fitted.leaf_ids])
    np.testing.assert_allclose(
        tree.value[fitted.leaf_ids, 0],
        np.bincount(leaves, weights=y[:5000])[fitted.leaf_ids] / np.bincount(leaves)[fitted.leaf_ids],
    )
    assert tree.n_node_samples[0] == 5000
    assert "n_leaves=40" in repr(tree)


def test_apply_rejects_wrong_width(gaussian):
    X, y = gaussian
    fitted = fit_hist(X[:500], y[:500], params(4))
    with pytest.raises(ValueError, match="X_tree"):
        fitted.apply(X[:10, :3])


def test_no_tree_inputs_give_one_leaf():
    fitted = fit_hist(np.empty((5, 0)), np.arange(5.0), params(4))
    np.testing.assert_array_equal(fitted.training_leaves, np.zeros(5))
    np.testing.assert_array_equal(fitted.apply(np.empty((3, 0))), np.zeros(3))


@pytest.mark.parametrize("noise", [0.0, 1e-17])
def test_constant_target_gives_one_leaf(noise):
    X = np.random.default_rng(0).normal(size=(300, 2))
    # rounding-level noise (a - a computed in scaled units) is no signal either
    target = 2.5 + noise * np.random.default_rng(1).normal(size=300)
    fitted = fit_hist(X, target, params(10))
    assert len(fitted.leaf_ids) == 1
    assert np.all(fitted.training_leaves == 0) and np.all(fitted.apply(X) == 0)


# ---------------------------------------------------------------------- growth limits
def test_min_samples_leaf_is_honoured(gaussian):
    X, y = gaussian
    fitted = fit_hist(X[:5000], y[:5000], params(None, min_samples_leaf=37))
    sizes = np.bincount(fitted.training_leaves)[fitted.leaf_ids]
    assert sizes.min() >= 37
    assert sizes.min() < 2 * 37  # growth went as far as the limit allows


def test_max_depth_is_honoured(gaussian):
    X, y = gaussian
    fitted = fit_hist(X[:5000], y[:5000], params(None, max_depth=4))
    assert fitted.tree.max_depth == 4
    assert len(fitted.leaf_ids) == 16


def test_min_variance_reduction_is_a_fraction_of_the_root_sse(gaussian):
    X, y = gaussian
    X, y = X[:5000], y[:5000]
    fraction = 0.002
    fitted = fit_hist(X, y, params(None, min_variance_reduction=fraction))
    root_sse = len(y) * root_impurity(y)
    gains = split_gains(fitted.tree)
    assert gains.min() >= fraction * root_sse * (1 - 1e-9)
    # the rule stops growth where the exact engine's identical rule does, give or take a few
    exact = fit_exact(X, y, params(None, min_variance_reduction=fraction))
    assert abs(len(fitted.leaf_ids) - len(exact.leaf_ids)) <= 0.15 * len(exact.leaf_ids)
    assert len(fitted.leaf_ids) < 200


def test_multi_output_gain_is_the_sum_of_per_output_reductions():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2000, 2))
    # output 1 depends on feature 1 with a larger step, so it decides the single split
    target = np.column_stack([(X[:, 0] > 0).astype(float), 3.0 * (X[:, 1] > 0.5)])
    tree = fit_hist(X, target, params(2)).tree
    assert tree.feature[0] == 1 and abs(tree.threshold[0] - 0.5) < 0.05
    assert tree.value.shape == (3, 2)
    four = fit_hist(X, target, params(4), max_bins=255)  # (two outputs default to 127 bins: coarser steps)
    assert set(four.tree.feature[four.tree.feature >= 0]) == {0, 1}
    assert explained(target, four.training_leaves) > 0.99  # up to the quantile bin around 0


def _every_bin_scored(hist, n_value_bins, nan_code, node_sum, n_node, min_leaf):
    """The multi-output split search as it was before empty bins were skipped: every
    candidate bin scored, with the kernel's arithmetic in the kernel's order."""
    m = len(node_sum)
    parent = sum(node_sum[k] * node_sum[k] / n_node for k in range(m))
    best = (-np.inf, -1, 0, False, 0)

    def score(n_left, sq_left, sq_right):
        n_right = n_node - n_left
        value = sq_left / (n_left if n_left > 1.0 else 1.0) + sq_right / (n_right if n_right > 1.0 else 1.0)
        return value if n_left >= min_leaf and n_right >= min_leaf else -np.inf

    for f in range(hist.shape[0]):
        n_nan = hist[f, nan_code, m]
        n_candidates = n_value_bins[f] if n_nan > 0 else n_value_bins[f] - 1
        left, n_left, rows = [0.0] * m, 0.0, []
        for b in range(n_candidates):
            n_left += hist[f, b, m]
            sq = [0.0, 0.0, 0.0, 0.0]
            for k in range(m):
                left[k] += hist[f, b, k]
                right = node_sum[k] - left[k]
                with_nan = left[k] + hist[f, nan_code, k]
                sq = [sq[0] + left[k] * left[k], sq[1] + right * right, sq[2] + with_nan * with_nan,
                      sq[3] + (node_sum[k] - with_nan) * (node_sum[k] - with_nan)]  # fmt: skip
            rows.append((n_left, sq))
        for b, (count, sq) in enumerate(rows):
            if score(count, sq[0], sq[1]) > best[0]:
                best = (score(count, sq[0], sq[1]), f, b, False, int(count))
        if n_nan > 0:
            for b, (count, sq) in enumerate(rows[: n_value_bins[f] - 1]):
                if score(count + n_nan, sq[2], sq[3]) > best[0]:
                    best = (score(count + n_nan, sq[2], sq[3]), f, b, True, int(count + n_nan))
    gain, feature, split_bin, nan_left, n_left = best
    if feature >= 0 and hist[feature, nan_code, m] == 0.0:
        nan_left = 2 * n_left >= n_node
    return gain - parent, feature, split_bin, nan_left, n_left


@pytest.mark.parametrize("seed", range(6))
def test_multi_output_search_skipping_empty_bins_finds_what_scoring_every_bin_finds(seed):
    from hvrt._hist._histograms import fill_histogram, histogram_width
    from hvrt._hist._split import _best_split

    rng = np.random.default_rng(seed)
    n_rows, n_features, n_value_bins, m = 400, 3, 12, 3
    nan_code = n_value_bins
    # each feature's rows in a few of its bins (the rest empty), NaN in some seeds
    codes = np.zeros((n_rows, 8), dtype=np.uint8)
    for f in range(n_features):
        used = rng.choice(n_value_bins, size=rng.integers(2, 6), replace=False)
        codes[:, f] = rng.choice(used, size=n_rows)
        if seed % 2:
            codes[rng.random(n_rows) < 0.1, f] = nan_code
    small = n_rows // 3  # the smaller child's rows, which alone hold bin 0 of each feature
    codes[rng.random(n_rows) < 0.5, :n_features] = 0
    codes[small:, :n_features] = np.maximum(codes[small:, :n_features], 1)
    # a step in each output on some feature, so the gains differ clearly
    y = np.ascontiguousarray(rng.normal(size=(n_rows, m)) + (codes[:, :m] > 5))
    hist = np.empty((n_features, nan_code + 1, histogram_width(m)))
    fill_histogram(hist, codes, y, 0, n_rows)
    # the larger child as growth makes it, the parent minus the smaller child, whose rows
    # the partition reordered: the bins the smaller child holds alone are empty in the
    # larger, their sums rounding left by the subtraction
    child = np.empty_like(hist)
    reordered_codes = np.ascontiguousarray(codes[small - 1 :: -1])
    reordered_y = np.ascontiguousarray(y[small - 1 :: -1])
    fill_histogram(child, reordered_codes, reordered_y, 0, small)
    larger = hist - child
    assert (larger[:n_features, 0, :m] != 0.0).any() and (larger[:n_features, 0, m] == 0.0).all()
    cases = [(hist, y.sum(axis=0), n_rows), (larger, y[small:].sum(axis=0), n_rows - small)]
    n_value = np.full(n_features, n_value_bins, dtype=np.int64)
    for case, sums, size in cases:
        assert (case[:, :n_value_bins, m] == 0.0).any()
        for min_leaf in (1, 40):
            scratch = np.empty((7, nan_code + 1))
            found = _best_split(case, n_value, nan_code, sums, size, min_leaf, scratch)
            assert found == _every_bin_scored(case, n_value, nan_code, sums, size, min_leaf)


def test_multi_output_search_scores_a_leading_empty_bin_when_nan_is_present():
    # bin 0 empty and NaN present: bin 0's NaN-left split (the NaN rows alone on the left)
    # has no earlier twin, and its mirror (values left, NaN right, at the last bin) scores
    # the same up to rounding, so skipping bin 0 would change which of the two wins
    from hvrt._hist._split import _best_split

    rng = np.random.default_rng(7)
    m, n_value_bins = 3, 5
    nan_code = n_value_bins
    n_value = np.array([n_value_bins], dtype=np.int64)
    nan_left_won = 0
    for _ in range(300):
        counts = rng.integers(1, 50, size=n_value_bins + 1).astype(float)
        counts[0] = 0.0
        hist = np.zeros((1, n_value_bins + 1, m + 1))
        hist[0, :, m] = counts
        hist[0, 1:, :m] = rng.normal(size=(n_value_bins, m)) * counts[1:, None]
        hist[0, nan_code, :m] += 40 * counts[nan_code]  # NaN apart from the values: the best split
        sums, size = hist[0, :, :m].sum(axis=0), counts.sum()
        found = _best_split(hist, n_value, nan_code, sums, size, 1.0, np.empty((7, nan_code + 1)))
        assert found == _every_bin_scored(hist, n_value, nan_code, sums, size, 1.0)
        nan_left_won += found[2] == 0 and found[3]
    assert nan_left_won > 0  # the case the skip must not remove occurs here


def test_target_features_through_the_partitioner(frame):
    hist = HVRTPartitioner(max_leaf_nodes=50, target="features", engine="hist").fit(frame)
    exact = HVRTPartitioner(max_leaf_nodes=50, target="features", engine="exact").fit(frame)
    z = ((frame - frame.mean()) / frame.std(ddof=0)).to_numpy()
    assert hist.n_partitions_ == 50
    assert explained(z, hist.labels_) >= explained(z, exact.labels_) * 0.98
    np.testing.assert_array_equal(hist.labels_, hist.get_partitions(frame))


# ---------------------------------------------------------------------- public API
def test_partitioner_hist_labels_and_pickle_round_trip(frame, tmp_path):
    model = HVRTPartitioner(max_leaf_nodes=64, engine="hist").fit(frame)
    assert model.engine_ == "hist" and model.n_partitions_ == 64
    np.testing.assert_array_equal(model.labels_, model.get_partitions(frame))
    np.testing.assert_array_equal(model.partition_sizes_, np.bincount(model.labels_))
    assert "HistTree(n_leaves=64" in repr(model.get_tree())
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.get_partitions(frame), model.labels_)
    assert restored.tree_.training_leaves is None  # training-sized arrays are not pickled
    joblib.dump(model, tmp_path / "model.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").get_partitions(frame), model.labels_)


def test_partitioner_hist_with_max_samples(frame):
    model = HVRTPartitioner(max_leaf_nodes=20, engine="hist", max_samples=0.5).fit(frame)
    assert model.n_partitions_ == 20
    np.testing.assert_array_equal(model.labels_, model.get_partitions(frame))


def test_import_compiles_nothing_and_loads_no_numba():
    code = (
        "import sys, numpy as np, hvrt\n"
        "assert 'numba' not in sys.modules\n"
        "hvrt.HVRTPartitioner(max_leaf_nodes=4, engine='exact').fit(np.random.default_rng(0).normal(size=(200, 3)))\n"
        "assert 'numba' not in sys.modules\n"
        "assert 'hvrt._hist' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_auto_engine_rule():
    assert resolve_engine("auto", 1_000) == "exact"
    assert resolve_engine("auto", 1_000_000) == "hist"
    assert resolve_engine("exact", 1_000_000) == "exact"
    assert resolve_engine("hist", 10) == "hist"
    with pytest.raises(ValueError, match="engine"):
        resolve_engine("fast", 10)


@pytest.mark.slow  # a cold compile: 8 s of CPU on a 2-core machine, over 20 s when it is busy
def test_first_compile_is_announced_once_on_a_cold_cache_only(tmp_path):
    # a new process per cache state; the engine's kernels compile into tmp_path, not the package
    code = (
        "import numpy as np\n"
        "from hvrt import HVRTPartitioner\n"
        "X = np.random.default_rng(0).normal(size=(2_000, 3))\n"
        "for _ in range(2): HVRTPartitioner(max_leaf_nodes=8, engine='hist').fit(X)\n"
    )
    # numba's kernels (the ones compiled at install, when built, compile nothing)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "HVRT_NO_AOT": "1"}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
            for _ in range(2)]  # fmt: skip
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr[-2000:]
    message = "hvrt: compiling the histogram engine for this machine"
    assert runs[0].stderr.count(message) == 1  # cold: said once, not again at the second fit
    assert message not in runs[1].stderr  # warm: loaded from tmp_path silently
    assert any(tmp_path.rglob("*.nbi"))  # the cache really went to tmp_path


def test_a_cache_of_the_float64_kernels_is_cold_for_a_float32_target(monkeypatch, caplog):
    # the features target grows in float32 (_engines.target_dtype) on kernels of its own: after
    # a sum target's fit filled the cache, its first fit compiles again and must say so
    from types import SimpleNamespace

    from numba import types

    from hvrt._hist import _fit

    def index_of(*dtypes):
        return {((types.Array(types.uint8, 2, "C"), types.Array(types.uint64, 2, "C"), types.Array(d, 2, "C")), "m"): 0
                for d in dtypes}  # fmt: skip

    message = "compiling the histogram engine"
    for cached, target, announced in [
        ((types.float64,), "float64", False),
        ((types.float64,), "float32", True),
        ((types.float64, types.float32), "float32", False),
        ((), "float64", True),
    ]:
        fake = SimpleNamespace(signatures=[], _cache=SimpleNamespace(_cache_file=SimpleNamespace(_load_index=lambda c=cached: index_of(*c))))
        monkeypatch.setattr(_fit, "grow", fake)
        monkeypatch.setattr(_fit, "aot_module", lambda: None)
        monkeypatch.setattr(_fit, "_compile_checked", set())
        caplog.clear()
        with caplog.at_level("WARNING", logger="hvrt"):
            _fit._announce_compile(target)
            _fit._announce_compile(target)  # once per process and target type
        assert caplog.text.count(message) == int(announced), (cached, target)


# ----------------------------------------------------------------------------- native categorical splits


def brute_force_gain(codes: np.ndarray, target: np.ndarray, min_leaf: int = 1) -> float:
    """The largest SSE reduction over every split of the categories present into two sets."""
    target = target.reshape(len(target), -1)
    present = np.unique(codes)
    total = np.sum((target - target.mean(axis=0)) ** 2)
    best = 0.0
    for size in range(1, len(present)):
        for subset in itertools.combinations(present, size):
            left = np.isin(codes, subset)
            if left.sum() < min_leaf or (~left).sum() < min_leaf:
                continue
            sse = sum(np.sum((part - part.mean(axis=0)) ** 2) for part in (target[left], target[~left]))
            best = max(best, total - sse)
    return best


def root_gain(target: np.ndarray, leaves: np.ndarray) -> float:
    target = target.reshape(len(target), -1)
    sse = sum(np.sum((target[leaves == leaf] - target[leaves == leaf].mean(axis=0)) ** 2) for leaf in np.unique(leaves))
    return float(np.sum((target - target.mean(axis=0)) ** 2) - sse)


@pytest.mark.parametrize("n_categories", [2, 3, 4, 5, 6, 8])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("min_leaf", [1, 15])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_native_split_is_the_best_split_of_the_categories(n_categories, n_outputs, min_leaf, seed):
    rng = np.random.default_rng(seed)
    # every category with MIN_CATEGORY_ROWS rows or more, so each is split on its own
    sizes = MIN_CATEGORY_ROWS + rng.integers(0, 60, n_categories)
    codes = rng.permutation(np.repeat(np.arange(n_categories), sizes))
    n = len(codes)
    effects = rng.normal(size=(n_categories, n_outputs))
    target = effects[codes] + rng.normal(0.0, 0.5, (n, n_outputs))
    X = codes.astype(float)[:, None]
    tree = fit_hist(X, target, params(max_leaf_nodes=2, min_samples_leaf=min_leaf), category_bins=np.array([n_categories]))
    best = brute_force_gain(codes, target, min_leaf)
    gain = root_gain(target, tree.apply(X))
    if n_outputs == 1 or n_categories <= 4:
        # Fisher's ordering is exact for one output; up to 4 categories every split is scored
        assert gain == pytest.approx(best, rel=1e-12, abs=1e-9)
    else:
        # several outputs and more categories: an ordering heuristic, never above the best
        assert gain <= best + 1e-9
        assert gain >= 0.8 * best
    # the split is a set of whole categories: every category's rows share a child
    leaves = tree.apply(X)
    assert all(len(np.unique(leaves[codes == c])) == 1 for c in range(n_categories))


def _category_split_reference(hist_f, n_node, node_sum, min_leaf, min_rows):
    """The category search of one output, step by step: the items (categories with
    ``min_rows`` rows or more, then the rarer ones as one), every split of up to four items
    or every prefix of their order by mean, then each category against the rest; a later
    candidate replaces the best only when strictly better. Returns (score, n_left, codes left)."""
    counts, sums = hist_f[:, 1], hist_f[:, 0]
    items = [[b] for b in range(len(counts)) if counts[b] >= min_rows]
    rare = [b for b in range(len(counts)) if 0 < counts[b] < min_rows]
    items += [rare] if rare else []
    item_counts = [float(sum(counts[b] for b in item)) for item in items]
    item_sums = []
    for item in items:
        total = 0.0
        for b in item:
            total += sums[b]
        item_sums.append(total)

    def score(left_sum, n_left):
        right = node_sum - left_sum
        return (0.0 + left_sum * left_sum) / n_left + (0.0 + right * right) / (n_node - n_left)

    best = (-np.inf, 0, set())
    candidates = []
    if 2 <= len(items) <= 4:
        for mask in range((1 << (len(items) - 1)) - 1):
            chosen = [0] + [i for i in range(1, len(items)) if (mask >> (i - 1)) & 1]
            candidates.append(chosen)
    elif len(items) > 4:
        order = np.argsort([total / count for total, count in zip(item_sums, item_counts)], kind="stable")
        candidates += [list(order[: t + 1]) for t in range(len(items) - 1)]
    for chosen in candidates:
        n_left, left_sum = item_counts[chosen[0]], item_sums[chosen[0]]
        for i in chosen[1:]:
            n_left += item_counts[i]
            left_sum += item_sums[i]
        if n_left >= min_leaf and n_node - n_left >= min_leaf and score(left_sum, n_left) > best[0]:
            best = (score(left_sum, n_left), int(n_left), {b for i in chosen for b in items[i]})
    for b in range(len(counts)):
        n_left = counts[b]
        valid = 0 < n_left != n_node and n_left >= min_leaf and n_node - n_left >= min_leaf
        if valid and score(sums[b], n_left) > best[0]:
            best = (score(sums[b], n_left), int(n_left), {b})
    return best


@pytest.mark.parametrize("seed", range(8))
def test_category_search_keeps_the_first_best_split(seed):
    # small integer sums make many candidates tie: the kernel's one pass over the codes
    # (items, rare sums and the one-against-rest splits together) must keep the split the
    # step-by-step search keeps, bit for bit
    from hvrt._hist._categories import SET_WIDTH, best_category_split

    rng = np.random.default_rng(seed)
    for n_bins in (2, 3, 5, 9, 40):
        for min_rows in (1.0, 4.0, 12.0):
            counts = rng.integers(0, 20, n_bins).astype(float) * (rng.random(n_bins) < 0.8)
            sums = rng.integers(-3, 4, n_bins).astype(float) * counts
            hist_f = np.column_stack([sums, counts])
            n_node = float(counts.sum())
            node_sum = np.array([sums.sum()])
            if n_node < 2:
                continue
            for min_leaf in (1, 3):
                bits = np.zeros(4, dtype=np.int64)
                score, n_left = best_category_split(
                    hist_f, n_bins, node_sum, n_node, min_leaf, min_rows, np.empty(1),
                    np.empty(SET_WIDTH, dtype=np.int64), np.empty(SET_WIDTH), np.empty(1), np.empty(1), bits,
                    np.empty((SET_WIDTH + 1, 1)), np.empty(SET_WIDTH), np.empty(SET_WIDTH, dtype=np.int64),
                )  # fmt: skip
                expected_score, expected_left, expected_codes = _category_split_reference(
                    hist_f, n_node, node_sum[0], min_leaf, min_rows
                )
                left = {c for c in range(n_bins) if (int(bits[c >> 6]) >> (c & 63)) & 1}
                assert (score, n_left, left) == (expected_score, expected_left, expected_codes)


@pytest.mark.parametrize("seed", range(6))
def test_category_order_is_a_stable_sort(seed):
    # the compiled insertion sort orders as np.argsort(kind="stable"): ties (few distinct
    # keys, signed zeros) in index order, NaN last, and only the first n_items keys read
    from hvrt._hist._categories import _stable_order

    rng = np.random.default_rng(seed)
    for n_items in (0, 1, 2, 7, 100, 255):
        keys = rng.integers(-3, 4, 300).astype(float) * rng.choice([1.0, 0.5], 300)
        keys[rng.random(300) < 0.05] = -0.0
        if seed % 2:
            keys[rng.random(300) < 0.1] = np.nan
        order = np.full(256, -1, dtype=np.int64)
        np.testing.assert_array_equal(_stable_order(keys, n_items, order), np.argsort(keys[:n_items], kind="stable"))
        continuous = rng.normal(size=300)
        np.testing.assert_array_equal(
            _stable_order(continuous, n_items, order), np.argsort(continuous[:n_items], kind="stable")
        )


def test_native_split_reads_the_codes_as_categories_not_numbers():
    # codes 0 and 2 behave alike, 1 apart: no threshold on the codes separates them
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, 1500)
    target = np.where(codes == 1, 5.0, 0.0) + rng.normal(0.0, 0.1, 1500)
    X = codes.astype(float)[:, None]
    tree = fit_hist(X, target, params(max_leaf_nodes=2), category_bins=np.array([3]))
    leaves = tree.apply(X)
    assert len(np.unique(leaves[codes != 1])) == 1 and np.unique(leaves[codes == 1]).size == 1
    assert leaves[codes == 1][0] != leaves[codes == 0][0]
    assert np.isnan(tree.splits[1][0]) and tree.category_splits[0, :3].tolist() in ([False, True, False], [True, False, True])


def test_unseen_codes_go_to_the_larger_child_at_every_native_split():
    rng = np.random.default_rng(1)
    n = 2000
    codes = rng.integers(0, 6, n)
    x = rng.normal(size=n)
    target = rng.normal(size=6)[codes] * 3 + x
    X = np.column_stack([x, codes.astype(float)])
    tree = fit_hist(X, target, params(max_leaf_nodes=12), category_bins=np.array([0, 6]))
    hist_tree = tree.get_tree()
    assert hist_tree.categorical_nodes.sum() >= 2
    unseen = X.copy()
    unseen[:, 1] = np.nan
    # follow the larger child at native splits, the thresholds elsewhere
    expected = np.empty(n, dtype=np.int64)
    for i in range(n):
        node = 0
        while hist_tree.children_left[node] >= 0:
            left, right = hist_tree.children_left[node], hist_tree.children_right[node]
            if hist_tree.categorical_nodes[node]:
                node = left if hist_tree.n_node_samples[left] >= hist_tree.n_node_samples[right] else right
            else:
                node = left if unseen[i, hist_tree.feature[node]] <= hist_tree.threshold[node] else right
        expected[i] = node
    np.testing.assert_array_equal(tree.apply(unseen), expected)
    # the same rule, reported by the contract: nan_left says where unseen categories go
    feature, _, nan_left = tree.splits
    native = hist_tree.categorical_nodes
    larger_left = hist_tree.n_node_samples[hist_tree.children_left] >= hist_tree.n_node_samples[hist_tree.children_right]
    np.testing.assert_array_equal(nan_left[native], larger_left[native])


@pytest.mark.parametrize("order", ["C", "F"])
def test_mixed_tree_labels_any_value_as_a_row_by_row_walk(order):
    # the lockstep traversal (flat X, unsigned node ids, groups stopping at the depth) against
    # a plain walk: codes in the table go by it; NaN, negative and too large codes go to the
    # unseen categories' side; NaN at a numeric split to its NaN side; fractions truncate
    rng = np.random.default_rng(5)
    n = 3000
    codes = rng.integers(0, 6, n)
    x = rng.normal(size=n)
    x[rng.random(n) < 0.1] = np.nan
    target = rng.normal(size=6)[codes] * 3 + np.nan_to_num(x)
    X = np.column_stack([x, codes.astype(float)])
    tree = fit_hist(X, target, params(max_leaf_nodes=40), category_bins=np.array([0, 6]))
    hist_tree = tree.get_tree()
    assert hist_tree.categorical_nodes.sum() >= 3
    new = X[:1037].copy()  # not a whole number of lockstep groups
    odd = rng.random(len(new)) < 0.3
    new[odd, 1] = rng.choice([np.nan, -1.0, -0.5, 6.0, 300.0, 2.5, 5.999], odd.sum())
    new = np.asarray(new, order=order)
    _, _, nan_left = tree.splits
    table = hist_tree.category_left
    expected = np.empty(len(new), dtype=np.int64)
    for i in range(len(new)):
        node = 0
        while hist_tree.children_left[node] >= 0:
            value = new[i, hist_tree.feature[node]]
            if hist_tree.categorical_nodes[node]:
                inside = value == value and 0.0 <= value < table.shape[1]
                go_left = table[node, int(value)] if inside else nan_left[node]
            else:
                go_left = value <= hist_tree.threshold[node] or (value != value and nan_left[node])
            node = hist_tree.children_left[node] if go_left else hist_tree.children_right[node]
        expected[i] = node
    np.testing.assert_array_equal(tree.apply(new), expected)


def test_categories_rarer_than_the_minimum_at_a_node_stay_together():
    # 6 large categories and 10 rare ones (under MIN_CATEGORY_ROWS rows each, less than
    # the mean partition too) whose means differ: the rare ones are ordered as one
    rng = np.random.default_rng(3)
    sizes = np.r_[np.full(6, 2 * MIN_CATEGORY_ROWS), np.full(10, MIN_CATEGORY_ROWS // 4)]
    codes = rng.permutation(np.repeat(np.arange(16), sizes))
    target = rng.normal(0.0, 3.0, 16)[codes] + rng.normal(0.0, 0.5, len(codes))
    X = codes.astype(float)[:, None]
    tree = fit_hist(X, target, params(max_leaf_nodes=4), category_bins=np.array([16]))
    hist_tree = tree.get_tree()
    native = np.flatnonzero(hist_tree.categorical_nodes)
    assert len(native) == 3
    for node in native:
        left = hist_tree.category_left[node, :16]
        # the rare ones go together, unless the split is one category against the rest
        assert left[6:].all() or not left[6:].any() or left.sum() == 1
    assert any(0 < hist_tree.category_left[node, :6].sum() < 6 for node in native)


@pytest.mark.parametrize("bad", [np.nan, -1.0, 6.0, 2.5, 300.0, -0.5, 5.5, 1e300, np.inf, -np.inf])
@pytest.mark.parametrize("order", ["C", "F"])
def test_native_columns_must_hold_their_codes(bad, order):
    X = np.asarray(np.column_stack([np.arange(20.0), np.arange(20) % 6.0]), order=order)
    X[3, 1] = bad
    with pytest.raises(ValueError, match=r"categorical tree input 1 must hold the integer codes 0 \.\. 5"):
        fit_hist(X, np.arange(20.0), params(4), category_bins=np.array([0, 6]))


def test_the_features_target_takes_a_native_column_of_more_codes_than_its_value_bins():
    # the features target bins numeric features into MULTI_OUTPUT_MAX_BINS (127) values; a
    # categorical column keeps up to 255 codes, each its own bin
    from hvrt._hist._binning import MULTI_OUTPUT_MAX_BINS

    rng = np.random.default_rng(2)
    n = 4000
    level = rng.integers(0, 200, n)
    X = pd.DataFrame({"a": rng.normal(size=n) + (level % 4), "b": rng.normal(size=n)})
    X["c"] = pd.Categorical([f"c{i:03d}" for i in level])
    model = HVRTPartitioner(max_leaf_nodes=40, engine="hist", target="features").fit(X)  # (refused before)
    assert model.category_encoding_ == "native" and 200 > MULTI_OUTPUT_MAX_BINS
    assert model.n_partitions_ == 40
    np.testing.assert_array_equal(model.get_partitions(X), model.labels_)


def test_a_negative_zero_code_is_code_zero():
    # the code check compares each value with its code: -0.0 == 0.0, so it is a good code
    X = np.asfortranarray(np.column_stack([np.arange(20.0), np.arange(20) % 6.0]))
    X[X[:, 1] == 0.0, 1] = -0.0
    mapper = fit_bins(X, category_bins=np.array([0, 6]))
    np.testing.assert_array_equal(transform_bins(X, mapper)[:, 1], np.arange(20) % 6)


def test_native_codes_bin_as_their_own_bins_in_either_memory_order(monkeypatch):
    # the codes of native columns are written by a kernel of their own (which also checks
    # them); they must equal what the edges between the codes give, whether the categorical
    # columns come last in a column-major X (the numeric block is binned apart) or not
    from hvrt._hist import _binning

    monkeypatch.setattr(_binning, "run_in_chunks", lambda task, n: [task(0, n // 3), task(n // 3, n)])
    rng = np.random.default_rng(4)
    n = 3000
    numeric = rng.normal(size=(n, 2))
    numeric[rng.random(n) < 0.05, 1] = np.nan
    cats = np.column_stack([rng.integers(0, 7, n), rng.integers(0, 200, n)]).astype(float)
    for X, bins in [
        (np.asfortranarray(np.column_stack([numeric, cats])), np.array([0, 0, 7, 200])),
        (np.column_stack([numeric, cats]), np.array([0, 0, 7, 200])),
        (np.asfortranarray(np.column_stack([cats[:, 0], numeric, cats[:, 1]])), np.array([7, 0, 0, 200])),
    ]:
        mapper = fit_bins(X, category_bins=bins)
        codes = transform_bins(X, mapper)
        # the same edges, every column binned through them (the half-integers between codes)
        np.testing.assert_array_equal(codes, transform_bins(X, dataclasses.replace(mapper, category_bins=None)))
        np.testing.assert_array_equal(codes[:, np.flatnonzero(bins)], X[:, bins > 0].astype(np.uint8))


def test_the_first_bad_code_is_reported_whichever_chunk_holds_it(monkeypatch):
    # two row chunks: the second holds a bad value of the earlier native column, the first
    # one of the later column; the message names the earlier column and its first bad value
    from hvrt._hist import _binning

    monkeypatch.setattr(_binning, "run_in_chunks", lambda task, n: [task(0, n // 2), task(n // 2, n)])
    X = np.asfortranarray(np.column_stack([np.arange(40.0), np.arange(40) % 6.0, np.arange(40) % 3.0]))
    X[5, 2] = 7.0
    X[30, 1] = -2.0
    X[35, 1] = 9.0
    with pytest.raises(ValueError, match=r"categorical tree input 1 must hold the integer codes 0 \.\. 5, got -2\.0"):
        fit_hist(X, np.arange(40.0), params(4), category_bins=np.array([0, 6, 3]))


def test_native_growth_on_two_threads_matches_serial_growth(monkeypatch):
    # from TWO_SUBTREES_MIN_ROWS rows the root's subtrees grow on two threads
    from hvrt._hist import _grow_tree

    rng = np.random.default_rng(2)
    n = 140_000
    codes = rng.integers(0, 40, n)
    x = rng.normal(size=n)
    target = rng.normal(size=40)[codes] + x
    X = np.column_stack([x, codes.astype(float)])
    bins = np.array([0, 40])
    monkeypatch.setattr(_grow_tree, "thread_count", lambda: 2)
    threaded = fit_hist(X, target, params(64), category_bins=bins)
    monkeypatch.setattr(_grow_tree, "thread_count", lambda: 1)
    serial = fit_hist(X, target, params(64), category_bins=bins)
    assert threaded.get_tree().categorical_nodes.sum() > 5
    np.testing.assert_array_equal(threaded.training_leaves, serial.training_leaves)
    np.testing.assert_array_equal(threaded.get_tree().category_left, serial.get_tree().category_left)


def test_a_fit_without_categoricals_does_not_compile_the_categorical_kernels() -> None:
    # grow() takes categorical=None then, and numba prunes the categorical branches; a
    # regression would double the first fit's compile time on an empty cache
    script = (
        "import numpy as np\n"
        "from hvrt import HVRTPartitioner\n"
        "from hvrt._hist import _categories\n"
        "X = np.random.default_rng(0).standard_normal((3000, 4))\n"
        "HVRTPartitioner(max_leaf_nodes=20, engine='hist').fit(X)\n"
        "print(len(_categories.evaluate_mixed.signatures), len(_categories.split_rows_by_set.signatures))\n"
    )
    env = {**os.environ, "HVRT_NO_AOT": "1"}  # numba's kernels, not the ones compiled at install
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split() == ["0", "0"]


def test_the_features_target_takes_fewer_bins_than_the_sum_target():
    # several outputs: at most MULTI_OUTPUT_MAX_BINS value bins a feature (its edges one
    # fewer), as the engine's default; one output keeps 255. With y the features target
    # has one output more, and the same bins.
    from hvrt._hist._binning import MAX_BINS, MULTI_OUTPUT_MAX_BINS

    rng = np.random.default_rng(8)
    X = rng.normal(size=(30_000, 3))
    y = X[:, 0] + rng.normal(size=len(X))
    edges = {}
    for target, guide in (("sum", None), ("features", None), ("features", y)):
        model = HVRTPartitioner(max_leaf_nodes=50, target=target, engine="hist").fit(X, guide)
        edges[target, guide is None] = [len(e) for e in model.get_tree().bin_edges]
    assert edges["sum", True] == [MAX_BINS - 1] * 3
    assert edges["features", True] == edges["features", False] == [MULTI_OUTPUT_MAX_BINS - 1] * 3
    # fit_hist's own default follows the target's outputs; an explicit max_bins wins
    params = GrowthParams(max_leaf_nodes=20, min_samples_leaf=1, max_depth=None, min_variance_reduction=0.0, random_state=0)
    outputs = target_part(X, False, np.ones(3), "features", None)[0]
    assert [len(e) for e in fit_hist(X, outputs, params).get_tree().bin_edges] == [MULTI_OUTPUT_MAX_BINS - 1] * 3
    assert [len(e) for e in fit_hist(X, outputs, params, max_bins=255).get_tree().bin_edges] == [254] * 3
    assert [len(e) for e in fit_hist(X, outputs[:, 0], params).get_tree().bin_edges] == [254] * 3
