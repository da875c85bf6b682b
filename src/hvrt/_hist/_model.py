"""The fitted histogram tree as plain arrays, and the engine's fitted-tree object."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, repr=False)
class HistTree:
    """A binary regression tree stored as plain arrays, one entry per node (root is 0).

    A row at internal node ``t`` goes to ``children_left[t]`` when
    ``x[feature[t]] <= threshold[t]``, or when it is NaN and ``nan_left[t]``; otherwise to
    ``children_right[t]``. Leaves have ``children_left == children_right == -1`` and
    ``feature == -1``. Thresholds are in the raw units of the tree inputs (a threshold of
    ``inf`` separates values from NaN).

    Attributes
    ----------
    feature : ndarray of int64, shape (n_nodes,)
    threshold : ndarray of float64, shape (n_nodes,)
    nan_left : ndarray of bool, shape (n_nodes,)
    children_left, children_right : ndarray of int64, shape (n_nodes,)
    n_node_samples : ndarray of int64, shape (n_nodes,)
        Training rows that reached each node.
    value : ndarray of float64, shape (n_nodes, n_outputs)
        Mean synthetic target of each node's training rows.
    depth : ndarray of int64, shape (n_nodes,)
    bin_edges : list of ndarray
        Each tree input's bin edges (the candidate thresholds).
    """

    feature: np.ndarray
    threshold: np.ndarray
    nan_left: np.ndarray
    children_left: np.ndarray
    children_right: np.ndarray
    n_node_samples: np.ndarray
    value: np.ndarray
    depth: np.ndarray
    bin_edges: list = field(default_factory=list)

    @property
    def n_nodes(self) -> int:
        """Number of nodes, internal and leaves."""
        return len(self.feature)

    @property
    def leaf_ids(self) -> np.ndarray:
        """Sorted node ids of the leaves."""
        return np.flatnonzero(self.children_left < 0).astype(np.int64)

    @property
    def n_leaves(self) -> int:
        """Number of leaves."""
        return int(np.count_nonzero(self.children_left < 0))

    @property
    def max_depth(self) -> int:
        """Depth of the deepest leaf (the root has depth 0)."""
        return int(self.depth.max())

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Leaf node id (int64) of each row of the 2-D float array ``X``."""
        X = np.asarray(X, dtype=np.float64)
        n_features = len(self.bin_edges)
        if X.ndim != 2 or X.shape[1] != n_features:
            raise ValueError(f"X_tree must be a 2-D array with {n_features} columns, got shape {X.shape}")
        if not (X.flags.c_contiguous or X.flags.f_contiguous):
            X = np.ascontiguousarray(X)
        if self.children_left[0] < 0:  # a lone leaf (possibly with no feature to read)
            return np.zeros(X.shape[0], dtype=np.int64)
        from ._apply import apply_tree, traversal_arrays

        arrays = traversal_arrays(
            self.feature, self.threshold, self.nan_left, self.children_left, self.children_right
        )
        return apply_tree(X, arrays)

    def __repr__(self) -> str:
        return (
            f"HistTree(n_leaves={self.n_leaves}, n_nodes={self.n_nodes}, "
            f"max_depth={self.max_depth}, n_features={len(self.bin_edges)})"
        )


class HistFittedTree:
    """What ``engine="hist"`` returns: the tree, its leaves and the training rows' leaves.

    ``training_leaves`` is not pickled (it is as long as the training data); an unpickled
    object reports ``None`` and labels through :meth:`apply`.
    """

    def __init__(self, tree: HistTree, training_leaves: np.ndarray | None) -> None:
        self.tree = tree
        self._leaf_ids = tree.leaf_ids
        self._training_leaves = training_leaves

    @property
    def leaf_ids(self) -> np.ndarray:
        """Sorted raw leaf ids (node ids of the leaves)."""
        return self._leaf_ids

    @property
    def training_leaves(self) -> np.ndarray | None:
        """Raw leaf id of each training row, from the final row partition."""
        return self._training_leaves

    def release_training_leaves(self) -> None:
        self._training_leaves = None

    def apply(self, X_tree: np.ndarray) -> np.ndarray:
        """Raw leaf id (int64) of each row of ``X_tree``."""
        return self.tree.apply(X_tree)

    @property
    def children(self) -> tuple[np.ndarray, np.ndarray]:
        """Left and right child of every node (-1 at a leaf)."""
        return self.tree.children_left, self.tree.children_right

    @property
    def splits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each node's tree input, largest value sent left, and NaN direction.

        Labelling compares raw values with the thresholds (``x <= threshold`` goes left),
        and the training rows' bin codes agree with that (see ``_binning``), so the
        thresholds are the boundaries as they are.
        """
        tree = self.tree
        internal = tree.children_left >= 0
        return (
            np.where(internal, tree.feature, -1).astype(np.int64),
            np.where(internal, tree.threshold, np.nan),
            tree.nan_left & internal,
        )

    def get_tree(self) -> HistTree:
        """The fitted :class:`HistTree`."""
        return self.tree

    def __getstate__(self) -> dict:
        return {"tree": self.tree, "_leaf_ids": self._leaf_ids, "_training_leaves": None}

    def __repr__(self) -> str:
        return f"HistFittedTree({self.tree!r})"
