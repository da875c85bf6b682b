"""Tree engines behind one contract.

An engine is a function ``fit(X_tree, target, params) -> FittedTree``:

- ``X_tree`` is a 2-D float64 array of tree inputs (raw numeric columns, then encoded
  categoricals); it may hold NaN when imputation is off.
- ``target`` is the synthetic target, 1-D for ``target="sum"`` or 2-D for ``"features"``.
- ``params`` holds the growth parameters shared by every engine.
- ``overwrite_target=True`` lets the engine use ``target``'s memory as its workspace
  (the caller no longer needs it), which keeps a copy of the target off the memory peak.

The fitted tree reports its leaves and labels rows with raw engine leaf ids; the
partitioner maps those to contiguous labels and never needs to know which engine it holds.

The fitted tree also reports its splits in the raw float64 values of the tree inputs
(``splits``), which is what readable partition rules are built from; the bisections
below find the exact boundary of a split whatever the engine compares internally.

This module is a leaf (the standard library and numpy only), so the partitioner, the
engine registry (``_engines``) and every engine import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class GrowthParams:
    """Growth parameters every engine honours."""

    max_leaf_nodes: int | None
    min_samples_leaf: int
    max_depth: int | None
    # Every split must remove at least this fraction of the root node's impurity
    # (the mean over outputs of the target's variance).
    min_variance_reduction: float
    random_state: int | None


class FittedTree(Protocol):
    """What an engine returns."""

    @property
    def leaf_ids(self) -> np.ndarray:
        """Sorted raw ids of the leaves, one per partition."""

    @property
    def training_leaves(self) -> np.ndarray | None:
        """Raw leaf id of each training row when the engine knows it for free, else None."""

    @property
    def training_labels(self) -> np.ndarray | None:
        """Index in :attr:`leaf_ids` of each training row's leaf (int64) when the engine
        knows it for free, else None."""

    def release_training_leaves(self) -> None:
        """Forget ``training_leaves`` and ``training_labels`` (as long as the training data)
        once they have been used."""

    def apply(
        self, X_tree: np.ndarray, node_values: np.ndarray | None = None, limit: float | None = None
    ) -> np.ndarray | None:
        """Raw leaf id (int64) of each row of ``X_tree``; with ``node_values`` (int64, one
        per node), ``node_values`` of each row's leaf instead (the labels, in one pass).
        With ``limit``, None instead when a value of ``X_tree`` is beyond ``+-limit`` or
        infinite (NaN is not): the check of the labelled values, made by the engine in a
        pass it makes anyway, so that the caller checks them again (naming the column)
        only then."""

    @property
    def children(self) -> tuple[np.ndarray, np.ndarray]:
        """Left and right child (int64 node ids, -1 at a leaf) of every node; the root is 0."""

    @property
    def splits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The split of every node, in the float64 values of the tree inputs.

        ``feature`` (int64, -1 at a leaf): the tree input the node reads. ``left_max``
        (float64, NaN at a leaf): a non-missing value goes left exactly when it is
        ``<= left_max``, the largest float64 the engine sends left (``-inf`` when it sends
        none, ``+inf`` when it sends every finite value). ``nan_left`` (bool): where a
        missing value goes. Whatever the engine compares internally (float32 casts, bin
        codes, moved columns), these describe what :meth:`apply` does to raw inputs.
        """

    @property
    def category_splits(self) -> np.ndarray | None:
        """Native categorical splits, or None when the tree has none.

        bool (n_nodes, n_codes): at a node whose ``feature`` (in :attr:`splits`) is a
        native categorical input, which category codes go left; all False elsewhere (and
        ``left_max`` is NaN there). A value that is not one of the codes (NaN: a category
        unseen at fit) goes where ``nan_left`` says. Only the histogram engine makes them.
        """

    def get_tree(self) -> object:
        """The engine's own tree object, for inspection."""


_SIGN = np.int64(-(2**63))


def _order_keys(values: np.ndarray) -> np.ndarray:
    """int64 keys that sort like the float64 ``values`` (-0.0 and 0.0 share a key)."""
    bits = np.asarray(values, dtype=np.float64).view(np.int64)
    return np.where(bits >= 0, bits, -(bits & np.int64(2**63 - 1)))


def _from_order_keys(keys: np.ndarray) -> np.ndarray:
    bits = np.where(keys >= 0, keys, (-keys) | _SIGN)
    return bits.view(np.float64)


def largest_integer_where(holds: Callable[[np.ndarray], np.ndarray], low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Per query ``i``, the largest int64 ``n`` in ``[low[i], high[i]]`` for which ``holds`` is true.

    ``holds(candidates)`` takes one int64 candidate per query and returns one bool per
    query; it must be true up to some point and false beyond it (a monotone predicate),
    and true at ``low``. A vectorised bisection: at most 64 steps, whatever the number
    of queries.
    """
    low = np.array(low, dtype=np.int64)
    high = np.array(high, dtype=np.int64)
    top = holds(high)
    low[top] = high[top]  # from here on, holds(low) is true and holds(high) false
    while True:
        # the gap as uint64: high - low can exceed the int64 range, never 2**64
        gap = high.view(np.uint64) - low.view(np.uint64)
        open_ = gap > 1
        if not open_.any():
            return low
        middle = (low.view(np.uint64) + np.where(open_, gap // 2, 0).astype(np.uint64)).view(np.int64)
        middle_holds = holds(middle) & open_
        low = np.where(middle_holds, middle, low)
        high = np.where(open_ & ~middle_holds, middle, high)


def largest_float_where(holds: Callable[[np.ndarray], np.ndarray], n_queries: int) -> np.ndarray:
    """Per query, the largest finite float64 ``x`` for which the monotone ``holds(x)`` is true.

    ``-inf`` where it holds for no finite value, ``+inf`` where it holds for every one.
    Bisects over the float64 values in order (see :func:`largest_integer_where`).
    """
    biggest = np.finfo(np.float64).max
    at_top = holds(np.full(n_queries, biggest))
    at_bottom = holds(np.full(n_queries, -biggest))
    low_key, high_key = _order_keys(np.array([-biggest, biggest]))
    keys = largest_integer_where(
        lambda candidate: holds(_from_order_keys(candidate)),
        np.full(n_queries, low_key),
        np.full(n_queries, high_key),
    )
    found = _from_order_keys(keys)
    return np.where(at_top, np.inf, np.where(at_bottom, found, -np.inf))
