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
