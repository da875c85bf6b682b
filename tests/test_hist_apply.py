"""Labelling by the compiled traversal (``_hist._apply``) against a plain walk down the tree.

The traversal moves groups of rows several levels between checks for whether all reached
their leaves; rows whose leaves lie at every depth, not a multiple of that step, must land
exactly where a one-row-at-a-time walk puts them, whatever the memory order of X and
whatever depth hint the traversal gets.
"""

from __future__ import annotations

import numpy as np
import pytest

from hvrt._hist._apply import apply_tree, traversal_arrays
from hvrt._hist._fit import fit_hist
from hvrt._tree_contract import GrowthParams


def walk(tree, x):
    node = 0
    while tree.children_left[node] >= 0:
        value = x[tree.feature[node]]
        left = value <= tree.threshold[node] if value == value else tree.nan_left[node]
        node = tree.children_left[node] if left else tree.children_right[node]
    return node


def _lopsided_fit():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(6_000, 3))
    X[rng.random(X.shape) < 0.05] = np.nan
    # a steep exponential makes a lopsided tree: leaves from depth 1 to well past 8
    y = np.exp(2.5 * np.nan_to_num(X[:, 0])) + np.nan_to_num(X[:, 1])
    fitted = fit_hist(X, y, GrowthParams(max_leaf_nodes=120, min_samples_leaf=1, max_depth=None,
                                         min_variance_reduction=0.0, random_state=0))  # fmt: skip
    return X, fitted


def test_traversal_matches_a_row_by_row_walk_at_every_leaf_depth():
    X, fitted = _lopsided_fit()
    tree = fitted.tree
    leaf_depths = set(tree.depth[tree.children_left < 0].tolist())
    assert len(leaf_depths) >= 8 and max(leaf_depths) >= 9
    arrays = traversal_arrays(tree.feature, tree.threshold, tree.nan_left, tree.children_left, tree.children_right)
    labels = apply_tree(X, arrays)
    np.testing.assert_array_equal(labels, [walk(tree, x) for x in X])
    np.testing.assert_array_equal(labels, fitted.training_leaves)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("depth_hint", [0, 1, 5, "exact", 40])
def test_traversal_is_exact_in_either_order_and_for_any_depth_hint(order, depth_hint):
    # the depth only shortens the last group of levels; the leaf check decides the stop
    X, fitted = _lopsided_fit()
    tree = fitted.tree
    max_depth = tree.max_depth if depth_hint == "exact" else depth_hint
    arrays = traversal_arrays(tree.feature, tree.threshold, tree.nan_left, tree.children_left, tree.children_right)
    X_ordered = np.asfortranarray(X) if order == "F" else np.ascontiguousarray(X)
    assert X_ordered.flags.f_contiguous == (order == "F") and max(tree.depth) % 4 != 0
    np.testing.assert_array_equal(apply_tree(X_ordered, arrays, max_depth), fitted.training_leaves)
    np.testing.assert_array_equal(fitted.apply(X_ordered), fitted.training_leaves)


# ----------------------------------------------------------------------------- labels in the same pass


@pytest.mark.parametrize("order", ["C", "F"])
def test_the_traversal_writes_each_leafs_value_and_the_fit_each_rows_label(order):
    X, fitted = _lopsided_fit()
    X_ordered = np.asfortranarray(X) if order == "F" else np.ascontiguousarray(X)
    leaves = fitted.apply(X_ordered)
    # a value per node, different from the node ids (labels count the leaves only)
    rank = np.full(fitted.tree.n_nodes, -1, dtype=np.int64)
    rank[fitted.leaf_ids] = np.arange(len(fitted.leaf_ids))[::-1]
    np.testing.assert_array_equal(fitted.apply(X_ordered, rank), rank[leaves])
    # the training rows' labels: each row's index in leaf_ids, as the last row pass wrote it
    labels = fitted.training_labels
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(fitted.leaf_ids[labels], leaves)
    np.testing.assert_array_equal(fitted.training_leaves, leaves)


def test_a_lone_leaf_and_a_categorical_tree_write_the_leaf_values():
    rng = np.random.default_rng(2)
    params = GrowthParams(max_leaf_nodes=12, min_samples_leaf=1, max_depth=None, min_variance_reduction=0.0,
                          random_state=0)  # fmt: skip
    X = rng.normal(size=(500, 2))
    lone = fit_hist(X, np.ones(500), params)  # a constant target: the root is the only leaf
    assert lone.tree.n_nodes == 1
    np.testing.assert_array_equal(lone.apply(X, np.array([7])), np.full(500, 7))
    np.testing.assert_array_equal(lone.training_labels, np.zeros(500))
    codes = rng.integers(0, 6, 3_000).astype(float)
    Xc = np.column_stack([rng.normal(size=3_000), codes])
    y = np.where(np.isin(codes, [1, 4]), 5.0, 0.0) + Xc[:, 0]
    mixed = fit_hist(Xc, y, params, category_bins=np.array([0, 6]))
    assert mixed.category_splits is not None
    values = np.arange(mixed.tree.n_nodes, dtype=np.int64) * 3 + 1
    np.testing.assert_array_equal(mixed.apply(Xc, values), values[mixed.apply(Xc)])
    np.testing.assert_array_equal(mixed.leaf_ids[mixed.training_labels], mixed.apply(Xc))


def test_an_unpickled_tree_has_no_training_labels_and_reads_older_files():
    import pickle

    X, fitted = _lopsided_fit()
    copy = pickle.loads(pickle.dumps(fitted))
    assert copy.training_labels is None and copy.training_leaves is None
    np.testing.assert_array_equal(copy.apply(X), fitted.training_leaves)
    older = object.__new__(type(fitted))  # a file written before the labels: "_training_leaves"
    older.__setstate__({"tree": fitted.tree, "_leaf_ids": fitted.leaf_ids, "_training_leaves": None})
    assert older.training_labels is None
    np.testing.assert_array_equal(older.apply(X), fitted.training_leaves)


# ----------------------------------------------------------------------------- the labelling check in the traversal


def _beyond_reference(X, limit):
    with np.errstate(invalid="ignore"):
        return bool((np.abs(X) > limit).any())  # NaN is not beyond, +-inf is


@pytest.mark.parametrize("order", ["C", "F"])
def test_the_traversal_finds_a_value_beyond_the_limit_wherever_it_is(order, monkeypatch):
    # every row of a 16-row group and of the last, partial group, every column, both row
    # chunks (two threads), either sign, infinities; NaN and the limit itself pass
    from hvrt._hist import _threads

    monkeypatch.setattr(_threads.config, "NUMBA_NUM_THREADS", 2)
    monkeypatch.setattr(_threads, "MIN_ROWS_PER_THREAD", 100)
    X, fitted = _lopsided_fit()
    X = X[:1_003]  # two chunks, the last group of each partial
    tree = fitted.tree
    arrays = traversal_arrays(tree.feature, tree.threshold, tree.nan_left, tree.children_left, tree.children_right)
    clean = np.asfortranarray(X) if order == "F" else np.ascontiguousarray(X)
    expected = apply_tree(clean, arrays, tree.max_depth)
    np.testing.assert_array_equal(apply_tree(clean, arrays, tree.max_depth, limit=1e150), expected)
    rng = np.random.default_rng(5)
    rows = [0, 7, 15, 16, 499, 500, 501, 1_000, 1_002, *rng.integers(0, len(X), 8)]
    for row in rows:
        for column in range(X.shape[1]):
            for value in (np.inf, -np.inf, 1.0000001e150, -3e200, np.nan, 1e150, -1e150):
                Z = clean.copy(order="K")
                Z[row, column] = value
                out = apply_tree(Z, arrays, tree.max_depth, limit=1e150)
                if _beyond_reference(Z, 1e150):
                    assert out is None, (row, column, value)
                else:
                    assert out is not None, (row, column, value)
                    np.testing.assert_array_equal(out, apply_tree(Z, arrays, tree.max_depth))


def test_a_tree_without_a_checking_traversal_checks_the_values_too():
    # a lone leaf reads no value, a tree with native categorical splits takes the mixed
    # traversal: both check with numpy
    rng = np.random.default_rng(2)
    params = GrowthParams(max_leaf_nodes=12, min_samples_leaf=1, max_depth=None, min_variance_reduction=0.0,
                          random_state=0)  # fmt: skip
    X = rng.normal(size=(500, 2))
    lone = fit_hist(X, np.ones(500), params)
    codes = rng.integers(0, 6, 3_000).astype(float)
    Xc = np.column_stack([rng.normal(size=3_000), codes])
    mixed = fit_hist(Xc, np.where(np.isin(codes, [1, 4]), 5.0, 0.0) + Xc[:, 0], params, category_bins=np.array([0, 6]))
    assert mixed.category_splits is not None
    for fitted, Z in ((lone, X), (mixed, Xc)):
        np.testing.assert_array_equal(fitted.apply(Z, limit=1e150), fitted.apply(Z))
        for value, refused in ((np.nan, False), (-np.inf, True), (2e150, True), (1e150, False)):
            bad = Z.copy()
            bad[-1, 0] = value
            assert (fitted.apply(bad, limit=1e150) is None) == refused
