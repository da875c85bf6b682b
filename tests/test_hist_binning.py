"""engine="hist": bin edges across empty gaps between clusters of values, and the split
tolerance that must not refuse the real splits inside such clusters."""

from __future__ import annotations

import numpy as np
import pytest

from hvrt import HVRTPartitioner
from hvrt._hist import _binning, fit_hist
from hvrt._hist._binning import (
    _feature_edges,
    _numpy_feature_edges,
    fit_bins,
    transform_bins,
)
from hvrt._tree_contract import GrowthParams

CENTRES = np.array([0, 1e4, 3e4, 1e5, 2e5, 5e5, 8e5, 1e6])


def clusters(n: int, seed: int = 0, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """One feature: eight clusters of unit spread, 1e4 to 3e5 apart (and their labels)."""
    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, len(CENTRES), n)
    return CENTRES[cluster] + rng.normal(0, spread, n), cluster


def mixed_partitions(labels: np.ndarray, cluster: np.ndarray) -> int:
    """Partitions that hold rows of more than one cluster."""
    pairs = np.unique(np.stack([labels, cluster], axis=1), axis=0)
    return int(np.sum(np.bincount(pairs[:, 0]) > 1))


def gaps_have_edges(values: np.ndarray, cluster: np.ndarray, edges: np.ndarray) -> bool:
    for k in range(len(CENTRES) - 1):
        top, bottom = values[cluster == k].max(), values[cluster == k + 1].min()
        if not np.any((edges > top) & (edges < bottom)):
            return False
    return True


def plain_edges(monkeypatch, values: np.ndarray, max_bins: int) -> np.ndarray:
    """The edges without gap rounds (the reference's quantile step alone)."""
    monkeypatch.setattr(_binning, "_GAP_ROUNDS", 0)
    return _numpy_feature_edges(values, max_bins)


# ---------------------------------------------------------------------- the reported case
@pytest.mark.parametrize("K", [8, 16, 31])
def test_far_clusters_are_separated_into_as_many_partitions_as_asked(K):
    # main put rows of two clusters 1e4-1e6 apart into one partition (a bin across each
    # gap) in 6-7 partitions, and grew 15 of 31 leaves (splits inside a cluster gain less
    # than 1e-12 of the root SSE); the exact engine separates them into K partitions
    X, cluster = clusters(40_000)
    model = HVRTPartitioner(max_leaf_nodes=K, engine="hist").fit(X[:, None])
    assert model.n_partitions_ == K
    assert mixed_partitions(model.labels_, cluster) == 0
    # new rows are labelled by the same thresholds
    np.testing.assert_array_equal(model.get_partitions(X[:, None]), model.labels_)


def test_far_clusters_match_the_exact_engine_partition_count_in_features_mode():
    X, _ = clusters(20_000, seed=1)
    X2 = np.column_stack([X, np.random.default_rng(2).normal(size=len(X))])
    for engine in ("hist", "exact"):
        model = HVRTPartitioner(max_leaf_nodes=24, engine=engine, target="features").fit(X2)
        assert model.n_partitions_ == 24, engine


# ---------------------------------------------------------------------- edge placement
@pytest.mark.parametrize("max_bins", [255, 127, 32, 16])
def test_every_gap_between_clusters_holds_an_edge(max_bins):
    values, cluster = clusters(20_000)
    edges = _feature_edges(np.sort(values), max_bins)
    assert len(edges) <= max_bins - 1
    assert np.all(np.diff(edges) > 0)
    assert gaps_have_edges(values, cluster, edges)
    # the rest of the budget stays quantile bins inside the clusters
    per_cluster = [np.sum(np.abs(edges - c) < 10) for c in CENTRES]
    assert min(per_cluster) >= (max_bins - 8) // 16


def test_a_budget_smaller_than_the_clusters_still_gives_valid_edges():
    # (from 16 bins, two quantile bins a cluster, every gap has its edge; below, bins span
    # several clusters and their neighbours are as wide: no gap stands out, quantile edges)
    values, _ = clusters(5_000)
    for max_bins in (2, 4, 8):
        edges = _feature_edges(np.sort(values), max_bins)
        assert 1 <= len(edges) <= max_bins - 1 and np.all(np.diff(edges) > 0)


def sparse_tail(n_small: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One cluster of 20,000 rows and ``n_small`` clusters of 3 rows, 1e5 apart (and labels)."""
    rng = np.random.default_rng(seed)
    cluster = np.concatenate([np.zeros(20_000, dtype=np.int64), np.repeat(np.arange(1, n_small + 1), 3)])
    return 1e5 * cluster + rng.standard_normal(len(cluster)), cluster


@pytest.mark.parametrize("n_small", [20, 60])
def test_a_sparse_tail_of_small_clusters_has_an_edge_between_every_two(n_small):
    # every bin in the tail spans a gap and is as wide as its neighbours, so the neighbour
    # rule found none: main left 3 / 17 bins holding rows of two clusters (227 / 247 of 254
    # edges used: the quantile targets collapse on the same ranks); now 229 / 241 edges
    values, cluster = sparse_tail(n_small)
    mapper = fit_bins(values[:, None], sample_rows=len(values))  # (a sample would drop some rows)
    codes = transform_bins(values[:, None], mapper)[:, 0]
    pairs = np.unique(np.stack([codes, cluster], axis=1), axis=0)
    assert len(np.unique(pairs[:, 0])) == len(pairs)  # no bin holds two clusters
    assert mapper.n_value_bins[0] <= 255
    ordered = np.sort(values)
    np.testing.assert_array_equal(_feature_edges(ordered, 255), _numpy_feature_edges(ordered, 255))


@pytest.mark.parametrize(
    "make",
    [
        lambda rng, n: rng.standard_cauchy(n),
        lambda rng, n: rng.lognormal(0.0, 2.0, n),
        lambda rng, n: rng.pareto(1.0, n),
        lambda rng, n: rng.pareto(0.5, n),
        lambda rng, n: rng.standard_t(2, n),
    ],
    ids=["cauchy", "lognormal", "pareto1", "pareto05", "t2"],
)
def test_heavy_tails_are_not_taken_for_small_clusters(monkeypatch, make):
    # their tails leave budget unused and their spacings vary, but no gap in them is 64
    # times the span of the two gaps on each side: the same edges as without that rule
    for seed in range(3):
        values = np.sort(make(np.random.default_rng(seed), 20_000))
        edges = {max_bins: _feature_edges(values, max_bins) for max_bins in (255, 64)}
        monkeypatch.setattr(_binning, "CLUSTER_RATIO", np.inf)
        for max_bins, found in edges.items():
            np.testing.assert_array_equal(found, _numpy_feature_edges(values, max_bins))
        monkeypatch.undo()


@pytest.mark.parametrize(
    "make",
    [
        lambda rng, n: rng.standard_normal(n),
        lambda rng, n: rng.lognormal(0.0, 1.0, n),
        lambda rng, n: np.round(rng.standard_normal(n), 2),
        lambda rng, n: np.arange(n, dtype=float) * 3.0,  # all gaps equal
        lambda rng, n: rng.integers(0, 2_000, n).astype(float),
    ],
    ids=["normal", "lognormal", "rounded", "equal_gaps", "integers"],
)
def test_ordinary_features_keep_their_quantile_edges(monkeypatch, make):
    values = np.sort(make(np.random.default_rng(0), 20_000))
    for max_bins in (255, 127):
        np.testing.assert_array_equal(_feature_edges(values, max_bins), plain_edges(monkeypatch, values, max_bins))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.full(50, 3.5), []),  # one distinct value
        (np.repeat([-2.0, 6.0], [40, 3]), [2.0]),  # two values
        (np.repeat([0.0, 1.0, 1e9], [100, 100, 1]), [0.5, 5e8 + 0.5]),  # few values: one bin each
    ],
)
def test_few_distinct_values_get_a_bin_each(values, expected):
    np.testing.assert_array_equal(_feature_edges(np.sort(values), 255), expected)


def test_integers_with_a_gap_and_more_values_than_bins():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.integers(0, 1_000, 19_000), rng.integers(10**6, 10**6 + 50, 1_000)]).astype(float)
    edges = _feature_edges(np.sort(values), 255)
    assert np.any((edges > 999) & (edges < 10**6))
    assert len(edges) <= 254


def test_huge_magnitudes_and_nan():
    rng = np.random.default_rng(4)
    n = 20_000
    cluster = rng.integers(0, 3, n)
    values = np.array([-1e300, 1.0, 1e300])[cluster] * (1 + 1e-3 * rng.standard_normal(n))
    values[rng.random(n) < 0.1] = np.nan
    X = np.column_stack([values, rng.standard_normal(n)])
    mapper = fit_bins(X, sample_rows=5_000)
    edges = mapper.edges[0, : mapper.n_value_bins[0] - 1]
    assert np.all(np.isfinite(edges)) and np.all(np.diff(edges) > 0)
    codes = transform_bins(X, mapper)[:, 0]
    finite = ~np.isnan(values)
    assert np.all(codes[~finite] == mapper.nan_code)
    # no bin holds two clusters
    pairs = np.unique(np.stack([codes[finite], cluster[finite]], axis=1), axis=0)
    assert len(np.unique(pairs[:, 0])) == len(pairs)


def test_native_categorical_columns_keep_their_code_edges():
    values, _ = clusters(10_000)
    codes = np.random.default_rng(5).integers(0, 6, len(values)).astype(float)
    mapper = fit_bins(np.column_stack([values, codes]), category_bins=np.array([0, 6]))
    np.testing.assert_array_equal(mapper.edges[1, :5], np.arange(5) + 0.5)
    assert mapper.n_value_bins[1] == 6 and np.isinf(mapper.edges[1, 5])


def test_distributed_edges_are_the_in_memory_edges():
    # the Dask estimators place their edges with fit_bins on the same sampled rows
    from hvrt._hist._distributed import edge_rows, fit_edges

    values, _ = clusters(30_000)
    X = np.column_stack([values, np.random.default_rng(6).standard_normal(len(values))])
    rows = edge_rows(len(X), 0)
    np.testing.assert_array_equal(fit_edges(X[rows], 0).edges, fit_bins(X, seed=0).edges)


# ---------------------------------------------------------------------- split tolerance
def test_pure_nodes_are_not_split_on_rounding():
    # a target constant on 8 regions of integer inputs (each input value its own bin):
    # past 8 leaves every node is pure, and its gains are rounding, whatever the offset
    rng = np.random.default_rng(0)
    X = rng.integers(0, 40, size=(50_000, 3)).astype(float)
    region = np.digitize(X[:, 0], [10, 20, 30]) * 2 + (X[:, 1] > 13)
    for offset in (0.0, 0.1, 1e6):
        levels = offset + rng.normal(size=8) * 1e3
        for target in (levels[region], np.column_stack([levels[region], 0.1 - 3 * levels[region]])):
            fitted = fit_hist(X, target, GrowthParams(40, 1, None, 0.0, 0))
            assert len(fitted.leaf_ids) == 8


def test_small_gains_far_from_the_mean_are_split():
    # one cluster at 1e6 of unit spread among rows at 0: its splits gain about 1e-13 of the
    # root SSE, which the old tolerance (1e-12 of it) refused
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0, 1, 5_000), 1e6 + rng.normal(0, 1, 5_000)])[:, None]
    target = X[:, 0] - X[:, 0].mean()
    fitted = fit_hist(X, target, GrowthParams(10, 1, None, 0.0, 0))
    assert len(fitted.leaf_ids) == 10
