"""The exact engine, the engine registry (``ENGINES``) and the ``engine="auto"`` rule.

The contract every engine honours (``GrowthParams`` in, a ``FittedTree`` out) lives in
``_tree_contract``. Each engine's own modules are imported on its first fit: numba with
the histogram engine (``_hist``), ``sklearn.tree`` with the exact one, whose import
(0.2-0.4 s, through ``sklearn.neighbors`` and ``sklearn.linear_model``) a histogram fit
in a new process would otherwise pay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ._tree_contract import FittedTree, GrowthParams, largest_float_where

if TYPE_CHECKING:
    from sklearn.tree import DecisionTreeRegressor

ENGINE_NAMES = ("auto", "exact", "hist")


def target_dtype(engine: str, mode: str, categorical_target_encoding: bool = False) -> type:
    """The float type in which the synthetic target of ``mode`` is made for ``engine``
    (resolved: "exact" or "hist"), when no ``y`` is blended into it.

    float32 for the histogram engine's ``"features"`` target (one output per numeric
    column): its fills stream each row's target from memory, and its row moves carry it,
    so 4 bytes an output instead of 8 make growth cheaper (1M x 10, K = 1000: about 6 % of
    a fit, docs/performance.md, issue 12 item 4, session 13); the histograms, node sums
    and gains stay float64. Each output is its float64 value rounded once (about 7
    significant digits), so the tree's node values (``HistTree.value``) are the means of
    the rounded outputs. float64 otherwise: the exact engine, the sum target (one
    output), a target a ``y`` is blended into (``_preprocessing._synthetic_target``
    decides that), and a target that categories are target-encoded from
    (``categorical_target_encoding``), which keep their float64 values as before.
    """
    if engine == "hist" and mode == "features" and not categorical_target_encoding:
        return np.float32
    return np.float64


def root_impurity(target: np.ndarray) -> float:
    """Impurity of the root: the mean over outputs of the target's population variance."""
    target = target.reshape(len(target), -1)
    return float(np.mean(np.var(target, axis=0)))


def float32_frame(X_tree: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-column centre and scale that make ``(X - centre) / scale`` safe in float32, or None.

    scikit-learn's tree casts its inputs to float32 (24-bit mantissa) and never splits
    between two values closer than 1e-7 (its ``FEATURE_THRESHOLD``): a column
    ``1e12 + noise`` collapses to one value, finite values beyond about 3.4e38 become
    infinite, and a column measured in small units (a spread of 1e-6, say) loses most of
    its splits or reads as constant. Centring each column on its mid-range keeps its
    spread; a column whose half-range exceeds 1e30 is also divided by that half-range, and
    one whose half-range is below ``2**-10`` by the power of two that brings it into
    [1, 2) (exact, so equal values stay equal and distinct ones distinct). The map is
    monotone, so the partitions are those of the raw values. None when no column needs it
    (the usual case: no copy, and the tree's thresholds stay in the raw units).
    """
    with np.errstate(invalid="ignore"):
        low, high = np.nanmin(X_tree, axis=0), np.nanmax(X_tree, axis=0)
    low, high = np.nan_to_num(low), np.nan_to_num(high)
    half_range = high / 2 - low / 2  # halves first: never overflows
    middle = low / 2 + high / 2
    # Only columns whose offset dwarfs their spread, whose magnitude nears float32's limit
    # or whose spread nears the 1e-7 threshold are moved: ordinary columns keep their raw
    # units in the tree's thresholds.
    offset = np.abs(middle) > 1e3 * np.maximum(half_range, np.finfo(np.float64).tiny)
    huge = np.maximum(np.abs(low), np.abs(high)) > 1e30
    small = (half_range > 0.0) & (half_range < _SMALL_HALF_RANGE)
    moved = offset | huge | small
    if not moved.any():
        return None
    centre = np.where(moved, middle, 0.0)
    scale = np.where(huge & (half_range > 1e30), half_range, 1.0)
    # 2**floor(log2(h)) from frexp: h = m * 2**e with m in [0.5, 1)
    scale[small] = np.ldexp(1.0, np.frexp(half_range[small])[1] - 1)
    return centre, scale


_FLOAT32_SAFE = 1e38  # below float32's largest value, 3.4e38

# Half-range below which the exact engine rescales a column (see float32_frame): from
# here values 1e-7 apart (scikit-learn's FEATURE_THRESHOLD) are 1e-4 of the spread.
_SMALL_HALF_RANGE = 2.0**-10


def _largest_magnitude(X_tree: np.ndarray) -> float:
    """The largest ``abs`` of the values of ``X_tree``, NaN skipped (0 when there are none)."""
    return float(np.fmax.reduce(np.fmax.reduce(np.abs(X_tree), axis=0), initial=0.0)) if X_tree.size else 0.0


def _to_float32_frame(X_tree: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return X_tree / scale - centre / scale


class ExactTree:
    """scikit-learn's exact ``DecisionTreeRegressor``: the seed's reference behaviour.

    Columns with a large offset or a huge magnitude are centred (and scaled) before the
    tree sees them (see :func:`float32_frame`); the tree's thresholds on those columns
    are in the moved units.
    """

    def __init__(self, tree: DecisionTreeRegressor, centre: np.ndarray | None = None, scale: np.ndarray | None = None) -> None:
        self.tree = tree
        self.centre = centre
        self.scale = scale
        is_leaf = tree.tree_.children_left == -1
        self._leaf_ids = np.flatnonzero(is_leaf).astype(np.int64)

    @property
    def leaf_ids(self) -> np.ndarray:
        return self._leaf_ids

    @property
    def training_leaves(self) -> None:
        return None

    @property
    def training_labels(self) -> None:
        return None

    def release_training_leaves(self) -> None:
        pass

    def apply(
        self, X_tree: np.ndarray, node_values: np.ndarray | None = None, limit: float | None = None
    ) -> np.ndarray | None:
        # the raw values against ``limit``; when centring follows, only the float32 frame's
        # values matter for the clip below, so the raw pass is skipped without a limit
        largest = _largest_magnitude(X_tree) if limit is not None or self.centre is None else 0.0
        if limit is not None and largest > limit:
            return None
        if self.centre is not None:
            X_tree = _to_float32_frame(X_tree, self.centre, self.scale)
            largest = _largest_magnitude(X_tree)
        # A value met only at labelling may pass float32's maximum, which scikit-learn
        # refuses as infinite. Every threshold lies inside the training range (at most 1e30
        # in the tree's units, see float32_frame), so clipping to ±1e38 routes it the same.
        if largest > _FLOAT32_SAFE:
            X_tree = np.clip(X_tree, -_FLOAT32_SAFE, _FLOAT32_SAFE)
        leaves = self.tree.apply(X_tree).astype(np.int64)
        return leaves if node_values is None else node_values[leaves]

    @property
    def children(self) -> tuple[np.ndarray, np.ndarray]:
        structure = self.tree.tree_
        return structure.children_left.astype(np.int64), structure.children_right.astype(np.int64)

    @property
    def splits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each node's tree input, largest float64 value sent left, and NaN direction.

        The tree compares ``float32(value) <= threshold`` (after the optional move of
        :func:`float32_frame`), so the boundary in float64 values is found by bisection:
        exact, whatever the rounding.
        """
        structure = self.tree.tree_
        internal = structure.children_left >= 0
        feature = np.where(internal, structure.feature, -1).astype(np.int64)
        nodes = np.flatnonzero(internal)
        inputs, thresholds = feature[nodes], structure.threshold[nodes]
        if self.centre is None:
            centre, scale = np.zeros(len(nodes)), np.ones(len(nodes))
        else:
            centre, scale = self.centre[inputs], self.scale[inputs]

        def goes_left(values: np.ndarray) -> np.ndarray:
            with np.errstate(over="ignore"):  # beyond float32's range is +-inf, as in the tree
                tree_values = _to_float32_frame(values, centre, scale).astype(np.float32)
            return tree_values <= thresholds

        left_max = np.full(len(feature), np.nan)
        left_max[nodes] = largest_float_where(goes_left, len(nodes))
        nan_left = structure.missing_go_to_left.astype(bool) & internal
        return feature, left_max, nan_left

    @property
    def category_splits(self) -> None:
        """None: scikit-learn's tree has no native categorical splits."""
        return None

    def get_tree(self) -> DecisionTreeRegressor:
        return self.tree


def fit_exact(
    X_tree: np.ndarray, target: np.ndarray, params: GrowthParams, *, overwrite_target: bool = False
) -> ExactTree:
    """Fit scikit-learn's exact, best-first regression tree (``target`` is never modified)."""
    # sklearn's min_impurity_decrease compares (N_t / N) * decrease against an absolute
    # threshold, so a fraction of the root impurity is exactly "fraction of root impurity".
    from sklearn.tree import DecisionTreeRegressor

    threshold = params.min_variance_reduction * root_impurity(target)
    tree = DecisionTreeRegressor(
        max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf,
        max_depth=params.max_depth,
        min_impurity_decrease=threshold,
        random_state=params.random_state,
    )
    frame = float32_frame(X_tree)
    if frame is None:
        tree.fit(X_tree, target)
        return ExactTree(tree)
    tree.fit(_to_float32_frame(X_tree, *frame), target)
    return ExactTree(tree, *frame)


def _fit_hist(
    X_tree: np.ndarray,
    target: np.ndarray,
    params: GrowthParams,
    *,
    overwrite_target: bool = False,
    category_bins: np.ndarray | None = None,
    binned: tuple[object, np.ndarray] | None = None,
) -> FittedTree:
    """Fit the numba histogram tree (``hvrt._hist``), importing numba only now.

    ``category_bins``: per tree input, its number of category codes when it is split
    natively as a categorical (0 for a numeric input), or None. ``binned``: the rows'
    edges and codes from :func:`bin_hist_inputs` (a private seam), or None to bin afresh.
    """
    from ._hist import fit_hist

    return fit_hist(
        X_tree, target, params, overwrite_target=overwrite_target, category_bins=category_bins, binned=binned
    )


def native_min_category_rows(n_samples: int, max_leaf_nodes: int | None) -> int:
    """The histogram engine's fewest rows for a category to be ordered on its own at a
    node (``hvrt._hist._categories.min_category_rows``; the fit's rule)."""
    from ._hist._categories import min_category_rows

    return min_category_rows(n_samples, n_samples if max_leaf_nodes is None else int(max_leaf_nodes))


def bin_hist_inputs(X_tree: np.ndarray, random_state: object) -> tuple[object, np.ndarray]:
    """The histogram engine's bin edges and uint8 codes of numeric ``X_tree`` (a private
    seam: several trees grown on these rows, or on subsets of them, share one binning)."""
    from ._hist._fit import bin_inputs

    return bin_inputs(X_tree, random_state)


ENGINES: dict[str, Callable[..., FittedTree]] = {
    "exact": fit_exact,
    "hist": _fit_hist,
}


# engine="auto" switches to the histogram engine from this many rows (see resolve_engine).
AUTO_HIST_MIN_ROWS = 50_000


def resolve_engine(engine: str, n_samples: int) -> str:
    """The concrete engine for ``engine`` on ``n_samples`` rows.

    ``"auto"`` picks ``"hist"`` from ``AUTO_HIST_MIN_ROWS`` (50,000) rows and ``"exact"``
    below. Once its kernels are loaded the histogram engine is the faster one at every
    size measured (2,000 to 1M rows; 3-12x faster), so the rule is set by its one-time
    costs, which small data should not pay when the kernels were not compiled at install
    (``hvrt._hist._jit``; with them, a new process's first fit costs about 0.05 s more than
    a repeat): loading numba's cached kernels costs a new process about 0.7 s (importing
    numba included), and the very first fit on a machine compiles them, about 10-15 s
    (``python -m benchmarks.coldstart``). At 50,000 rows the exact engine takes about 0.2 s at 5
    features and 0.7 s at 20 (0.4 s at 10), the same order as that load; from there it
    costs about 0.5-0.8 µs per row and feature, the histogram engine 0.03-0.1 µs. The
    rule depends on the data size only, so a given data set always gets the same engine
    (and labels) whatever ran before in the process.

    Raises
    ------
    ValueError
        For an unknown ``engine``.
    """
    if engine not in ENGINE_NAMES:
        raise ValueError(f"engine must be one of {ENGINE_NAMES}, got {engine!r}")
    if engine == "auto":
        return "hist" if n_samples >= AUTO_HIST_MIN_ROWS else "exact"
    return engine
