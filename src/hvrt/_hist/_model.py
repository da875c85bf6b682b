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
        Mean synthetic target of each node's training rows. The partitioner's
        ``target="features"`` (no ``y`` blended in) is grown on in float32, so its means
        are those of the outputs rounded to float32: within about 6e-8 of each output's
        magnitude of the float64 outputs' means.
    depth : ndarray of int64, shape (n_nodes,)
    bin_edges : list of ndarray
        Each tree input's bin edges (the candidate thresholds).
    categorical : ndarray of bool, shape (n_features,), or None
        The tree inputs split natively as categories (they hold category codes); None
        when there are none.
    category_left : ndarray of bool, shape (n_nodes, n_codes), or None
        At a node that splits a categorical input, ``category_left[t, c]`` says whether
        code ``c`` goes left (its ``threshold`` is NaN); a code it does not list (a
        category unseen at fit, NaN in the tree input) goes left when ``nan_left[t]``.
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
    categorical: np.ndarray | None = None
    category_left: np.ndarray | None = None

    @property
    def categorical_nodes(self) -> np.ndarray:
        """bool (n_nodes,): the internal nodes that split a categorical input."""
        if self.categorical is None:
            return np.zeros(len(self.feature), dtype=bool)
        internal = self.children_left >= 0
        return internal & np.asarray(self.categorical, dtype=bool)[np.maximum(self.feature, 0)]

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

    def apply(
        self, X: np.ndarray, node_values: np.ndarray | None = None, limit: float | None = None
    ) -> np.ndarray | None:
        """Leaf node id (int64) of each row of the 2-D float array ``X``; with
        ``node_values`` (int64, one per node), ``node_values`` of each row's leaf instead.
        With ``limit``, None when a value of ``X`` is beyond ``+-limit`` or infinite (NaN
        is not): the numeric traversal checks every value as it reads the rows."""
        X = np.asarray(X, dtype=np.float64)
        n_features = len(self.bin_edges)
        if X.ndim != 2 or X.shape[1] != n_features:
            raise ValueError(f"X_tree must be a 2-D array with {n_features} columns, got shape {X.shape}")
        if not (X.flags.c_contiguous or X.flags.f_contiguous):
            X = np.ascontiguousarray(X)
        if node_values is not None:
            # the traversal kernel reads node_values[leaf] without a bounds check
            node_values = np.ascontiguousarray(node_values, dtype=np.int64)
            if node_values.ndim != 1 or len(node_values) <= self.leaf_ids[-1]:
                raise ValueError(
                    f"node_values must be a 1-D array with a value for every leaf (at least "
                    f"{int(self.leaf_ids[-1]) + 1}), got shape {node_values.shape}"
                )
        categorical_node = self.categorical_nodes
        lone_leaf = self.children_left[0] < 0
        if limit is not None and (lone_leaf or categorical_node.any()) and _beyond(X, limit):
            return None  # (no numeric traversal to check the values on the way)
        if lone_leaf:  # (possibly with no feature to read)
            return np.full(X.shape[0], 0 if node_values is None else node_values[0], dtype=np.int64)
        from ._apply import apply_tree, traversal_arrays

        arrays = traversal_arrays(
            self.feature, self.threshold, self.nan_left, self.children_left, self.children_right
        )
        if not categorical_node.any():
            return apply_tree(X, arrays, self.max_depth, node_values, limit)
        from ._apply import flat_walk
        from ._categories import apply_rows_mixed
        from ._threads import run_in_chunks

        feature, threshold, nan_left, children, is_leaf = arrays
        values, row_step, offsets, routes = flat_walk(X, feature, nan_left, children)
        table = np.ascontiguousarray(self.category_left, dtype=np.bool_)
        width, depth, table = table.shape[1], self.max_depth, table.ravel()
        out = np.empty(X.shape[0], dtype=np.int64)
        run_in_chunks(
            lambda start, stop: apply_rows_mixed(
                values, row_step, offsets, threshold, routes, is_leaf, categorical_node, table, width, depth,
                out, start, stop,
            ),
            X.shape[0],
        )  # fmt: skip
        return out if node_values is None else node_values[out]

    def __repr__(self) -> str:
        return (
            f"HistTree(n_leaves={self.n_leaves}, n_nodes={self.n_nodes}, "
            f"max_depth={self.max_depth}, n_features={len(self.bin_edges)})"
        )


_CHECK_ROWS = 65_536  # rows per block of _beyond's check: its temporary stays small


def _beyond(X: np.ndarray, limit: float) -> bool:
    """Whether a value of ``X`` is beyond ``+-limit`` or infinite (NaN is not), block by
    block: for the trees whose traversal does not check (a lone leaf, native categorical
    splits)."""
    for start in range(0, X.shape[0], _CHECK_ROWS):
        if np.fmax.reduce(np.abs(X[start : start + _CHECK_ROWS]), axis=None, initial=0.0) > limit:
            return True
    return False


class HistFittedTree:
    """What ``engine="hist"`` returns: the tree, its leaves and the training rows' leaves.

    The training rows' leaves are kept as ``training_labels``, each row's leaf as its index
    in ``leaf_ids`` (the partitioner's labels, written so by the growth's last pass), not
    pickled (as long as the training data); an unpickled object reports ``None`` and
    labels through :meth:`apply`.
    """

    def __init__(self, tree: HistTree, training_labels: np.ndarray | None) -> None:
        self.tree = tree
        self._leaf_ids = tree.leaf_ids
        self._training_labels = training_labels

    @property
    def leaf_ids(self) -> np.ndarray:
        """Sorted raw leaf ids (node ids of the leaves)."""
        return self._leaf_ids

    @property
    def training_labels(self) -> np.ndarray | None:
        """Index in :attr:`leaf_ids` of each training row's leaf, from the final row partition."""
        return self._training_labels

    @property
    def training_leaves(self) -> np.ndarray | None:
        """Raw leaf id of each training row, from the final row partition."""
        return None if self._training_labels is None else self._leaf_ids[self._training_labels]

    def release_training_leaves(self) -> None:
        self._training_labels = None

    def apply(
        self, X_tree: np.ndarray, node_values: np.ndarray | None = None, limit: float | None = None
    ) -> np.ndarray | None:
        """Raw leaf id (int64) of each row of ``X_tree``; with ``node_values`` (int64, one
        per node), ``node_values`` of each row's leaf instead; with ``limit``, None when a
        value is beyond ``+-limit`` or infinite (checked during the traversal)."""
        return self.tree.apply(X_tree, node_values, limit)

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

    @property
    def category_splits(self) -> np.ndarray | None:
        """bool (n_nodes, n_codes): the category codes each native categorical split sends
        left (all False at other nodes); None when the tree has no such split."""
        categorical_node = self.tree.categorical_nodes
        if not categorical_node.any():
            return None
        return np.asarray(self.tree.category_left, dtype=bool) & categorical_node[:, None]

    def get_tree(self) -> HistTree:
        """The fitted :class:`HistTree`."""
        return self.tree

    def __getstate__(self) -> dict:
        return {"tree": self.tree, "_leaf_ids": self._leaf_ids, "_training_labels": None}

    def __setstate__(self, state: dict) -> None:
        # (a file written before the labels: its state named them ``_training_leaves``, None)
        self.tree, self._leaf_ids = state["tree"], state["_leaf_ids"]
        self._training_labels = None

    def __repr__(self) -> str:
        return f"HistFittedTree({self.tree!r})"
