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

This module is a leaf (the standard library and numpy only), so the partitioner, the
engine registry (``_engines``) and every engine import it without importing each other.
"""

from __future__ import annotations

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

    def release_training_leaves(self) -> None:
        """Forget ``training_leaves`` (as long as the training data) once it has been used."""

    def apply(self, X_tree: np.ndarray) -> np.ndarray:
        """Raw leaf id (int64) of each row of ``X_tree``."""

    @property
    def children(self) -> tuple[np.ndarray, np.ndarray]:
        """Left and right child (int64 node ids, -1 at a leaf) of every node; the root is 0."""

    def get_tree(self) -> object:
        """The engine's own tree object, for inspection."""
