"""PartitionedRegressor: one ridge model per partition, shrunk toward its ancestors.

The job H-VRT partitions prepare. A fit runs, in order:

1. **Model inputs**: the partitioner's own preprocessing (numeric columns with missing
   values imputed by their mean, categoricals one-hot or target encoded: cross-fitted,
   each row from the other folds' rows), standardised with the training (weighted)
   means and standard deviations, with a column of ones.
2. **A global ridge** on all rows: the root model.
3. **Partitions shaped by where it is wrong**: the partitioner grows on the global model's
   residual, or on ``y`` (``partition_on="auto"`` validates both), or on X alone.
4. **Per-partition cross-products** ``XᵀWX`` and ``XᵀWy`` in one compiled pass
   (:mod:`hvrt._grouped_products`; one-hot columns skip their zeros where they are most
   of a row), each partition's of its rows less one of them, merged up the tree to every
   internal node about a row of its own and centred on its mean: no sum holds a node's
   distance from the origin, only its spread, so a partition far out keeps its digits.
5. **Hierarchical shrinkage**, solved down the tree node by node (parents first) in one
   compiled Cholesky pass, each node in coordinates centred on its own rows
   (:mod:`hvrt._shrunk_solve`, the systems the cross-validation solves;
   :meth:`_TreeSums.solve`, one batched solve per level, where a system is
   singular): ``b_node = (S_node + Λ + αJ)⁻¹ (s_node + Λ b_parent)``, where ``Λ`` holds
   ``intercept_shrinkage`` for the level and ``shrinkage`` for each slope, and ``αJ`` is the
   ridge penalty on the slopes. A partition with few rows stays close to its parent; one
   with many rows fits its own slope. Strong shrinkage is what lets many small partitions
   pay without overfitting.

Nothing loops over rows or partitions in Python on the default path: the loops are over
tree levels (tens, summing up the tree) and inside the compiled kernels.

A fit grows three trees (two selection trees, one per guide, on half the rows, then the
final one), all on the model inputs: those are binned for the histogram engine once per
fit and every tree grows on their codes. The steps that do not depend on each other run
on two threads where each is mostly numba kernels that release the GIL: the binning beside
the global ridge, the two guides' selection trees with their cross-products side by side,
then their coarse shrinkage searches, and the final tree beside the refinement of the
shrinkage. BLAS runs on one thread during a fit (its products here are small; OpenBLAS's
spinning threads took the fit's cores).
"""

from __future__ import annotations

import functools
import inspect
import numbers
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.validation import check_is_fitted, has_fit_parameter
from threadpoolctl import ThreadpoolController

from ._grouped import grouped_stats
from ._grouped_products import (
    MAX_RESULT_BYTES,
    GroupedProducts,
    OneHotLayout,
    centred as centred_sums,
    centred_up_tree,
    grouped_cross_products,
    one_hot_columns,
    shifted_sets_up_tree,
    sum_up_tree,
)
from ._hist._threads import thread_count
from ._preprocessing import (
    Preprocessor,
    category_count,
    fit_preprocessing,
    resolve_categorical,
)
from ._progress import StepLog
from ._shrunk_solve import solve_candidates, solve_centred
from ._target import CONSTANT_ULPS, zscore_scale
from ._validation import (
    MAX_MAGNITUDE,
    MIN_MAGNITUDE,
    aligned_1d,
    has_missing_values,
    match_columns,
    rounded_integers_warning,
    to_frame,
    varies_beyond_rounding,
    warn_of_rounded_target,
)
from .partitioner import FeatureNames, HVRTPartitioner

__all__ = ["PartitionedRegressor"]

PARTITION_ON = ("auto", "residual", "y", "X")
# partition_on="auto" grows the partitions on whichever of these validates better.
PARTITION_ON_AUTO = ("residual", "y")
CLIP_MODES = ("y", "xy", None)
# shrinkage="auto" picks the slopes' pull from this grid (in rows) by CV_FOLDS-fold
# cross-validation; the level's pull is LEVEL_SHARE of it unless given.
SHRINKAGE_GRID = np.array([0.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 1e5, 1e6])
CV_FOLDS = 5
LEVEL_SHARE = 0.1
# Below this many rows "auto" does not validate and uses AUTO_FALLBACK, the prototype's value.
AUTO_MIN_ROWS = 200
AUTO_FALLBACK = 1000.0
# Rows per block when predicting, so the gathered coefficients stay small.
_PREDICT_BLOCK_ROWS = 1 << 16
# With category_encoding="auto" the linear models take the categoricals one-hot up to this
# many one-hot inputs in all, target encoded beyond (with a warning): each tree node's
# system grows as the square of the inputs and its solves as their cube (a 300-level column,
# 3,000 rows: a default fit took 58-67 s one-hot, 0.2 s target encoded, with a better holdout R²).
MAX_ONE_HOT_INPUTS = 64


def default_partitioner() -> HVRTPartitioner:
    """The partitioner used when none is given: 256 partitions of at least 20 rows, grown on ``y`` only,
    with the histogram engine at every size (a fit grows three trees; see :class:`PartitionedRegressor`)."""
    return HVRTPartitioner(max_leaf_nodes=256, min_samples_leaf=20, y_weight=1.0, engine="hist")


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# what pandas' infer_dtype calls an array holding text
_TEXT_KINDS = ("string", "bytes", "mixed", "categorical")


def _checked_response(y: Any, n_rows: int, index: pd.Index | None) -> np.ndarray:
    """``y`` as finite float64, or an error that names it."""
    if y is None:
        raise ValueError(
            "PartitionedRegressor requires y to be passed, but the target y is None; pass the target "
            "column, e.g. fit(X, df['price'])"
        )
    if isinstance(y, str):
        raise TypeError(f"y must be an array or Series of numbers, got the string {y!r}; pass the column itself")
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected; it is raveled",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y.ravel()
    values = aligned_1d(y, "y", n_rows, index)
    if values.dtype.kind in "mM":  # numpy would turn them into nanoseconds without a word
        kind = "dates" if values.dtype.kind == "M" else "durations"
        raise ValueError(
            f"y must be numeric, got {kind} ({values.dtype}); convert them to numbers in the unit the "
            "predictions should have, e.g. (y - y.min()) / pd.Timedelta(days=1)"
        )
    if values.dtype.kind == "c" or (values.dtype.kind == "O" and pd.api.types.infer_dtype(values, skipna=True) == "complex"):
        # numpy would drop the imaginary part with only its ComplexWarning (complex X is refused)
        raise ValueError(
            f"y must be real numbers, got complex values (dtype {getattr(y, 'dtype', values.dtype)}); "
            "pass the part to predict, e.g. y.real or abs(y)"
        )
    if values.dtype.kind in "OUS" and pd.api.types.infer_dtype(values, skipna=True) in _TEXT_KINDS:
        # numpy would parse "1.5" (and a categorical of "1", "2") without a word
        raise ValueError(
            f"y must be numeric, got dtype {getattr(y, 'dtype', values.dtype)} holding text; "
            "convert numbers written as text with pd.to_numeric(y)"
        )
    try:
        read = values.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"y must be numeric, got dtype {getattr(y, 'dtype', values.dtype)}") from None
    # integers beyond 2**53 and Decimals float64 rounds: what the models fit (Y10)
    warn_of_rounded_target(values, read, _response_name(y))
    values = read
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"y has {int(bad.sum())} missing or infinite value(s), first at row {first} ({values[first]}); "
            "every training row needs a finite target"
        )
    # HVRTPartitioner.fit's and hvrt.dask's check of y's magnitude (beyond ±1e150 its
    # variance overflows, within ±1e-150 it underflows: the y or residual guide would stop
    # shaping the partitions without a word), naming y as they do
    has_missing_values(values[:, None], [_response_name(y)], name="y")
    return values


def _response_name(y: Any) -> str:
    """What ``to_target_frame`` calls a one-column ``y``: its Series or column name, else ``target``."""
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        return str(y.columns[0])
    if isinstance(y, pd.Series) and y.name is not None:
        return str(y.name)
    return "target"


def check_weight_values(weights: np.ndarray) -> None:
    """The rule on ``sample_weight``'s values, in memory and in every Dask chunk alike.

    Raises
    ------
    ValueError
        For a NaN, infinite or negative weight, or one beyond ``MAX_MAGNITUDE`` (1e150, the
        bound on X and y): the weighted sums of squares would overflow (at 1e200 every
        partition's R² came out NaN, silently). Small weights are fine: only their ratios
        and their size against ``alpha`` and ``shrinkage`` (in rows of weight 1) count;
        their sum's bound is :func:`check_weight_sum`'s.
    """
    valid = (weights >= 0) & (weights <= MAX_MAGNITUDE)  # False for NaN
    if valid.all():
        return
    bad = weights[~valid][0]
    if np.isfinite(bad) and bad > 0:
        raise ValueError(
            f"sample_weight must be at most {MAX_MAGNITUDE:.0e}, got {bad:.3g}: the weighted sums would overflow; "
            "divide the weights by a common factor (alpha and shrinkage count rows of weight 1: divide them "
            "by it too for the same model)"
        )
    raise ValueError(f"sample_weight must be finite and non-negative, got {bad}")


def check_weight_sum(total: float) -> None:
    """The rule on the sum of ``sample_weight`` (in memory and over Dask's chunks alike).

    Raises
    ------
    ValueError
        For weights summing to zero (no row counts), or to less than ``MIN_MAGNITUDE``
        (1e-150, the bound on a column of X): the weighted sums of squares would underflow
        (weights of 5e-324, subnormal, gave every partition an R² of NaN, silently).
        Refused rather than rescaled: ``alpha`` and ``shrinkage`` count rows of weight 1, so
        a model from such weights is the penalties' alone (the data weigh 1e-150 of one
        row), and the factor that would rescale 5e-324 to 1 overflows once applied to them.
    """
    if not total > 0:
        raise ValueError("sample_weight sums to zero; at least one row must count")
    if total < MIN_MAGNITUDE:
        raise ValueError(
            f"sample_weight sums to {total:.3g}, less than {MIN_MAGNITUDE:.0e}: the weighted sums of squares would "
            "underflow; multiply the weights by a common factor (alpha and shrinkage count rows of weight 1: "
            "multiply them by it too for the same model)"
        )


def _checked_weights(sample_weight: Any, n_rows: int, index: pd.Index | None) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n_rows)
    weights = aligned_1d(sample_weight, "sample_weight", n_rows, index)
    if weights.dtype.kind in "OUS" and pd.api.types.infer_dtype(weights, skipna=True) in _TEXT_KINDS:
        # numpy would parse "1.5" without a word, as it would for y (refused there too)
        raise ValueError(
            f"sample_weight must be numeric, got dtype {getattr(sample_weight, 'dtype', weights.dtype)} holding "
            "text; convert numbers written as text with pd.to_numeric(sample_weight)"
        )
    try:
        weights = weights.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"sample_weight must be numeric, got dtype {weights.dtype}") from None
    check_weight_values(weights)
    check_weight_sum(float(weights.sum()))
    return weights


def _category_counts(frame: pd.DataFrame, categorical: list[str]) -> dict[str, int]:
    """Each categorical column's number of categories present (what one-hot makes of it),
    counted as the preprocessing keys them, whose errors (``1`` beside ``"1"``, unhashable
    cells) it raises before any warning of a wide one-hot encoding."""
    return {column: category_count(frame[column], column) for column in categorical}


def _listed(counts: dict[str, int]) -> str:
    """The widest categorical columns, for a message: 'store' (600 categories), ..."""
    widest = sorted(counts.items(), key=lambda item: -item[1])[:3]
    return ", ".join(f"{str(name)!r} ({count:,} categories)" for name, count in widest)


def warn_of_wide_one_hot(counts: dict[str, int], stacklevel: int = 4) -> None:
    """The warning of a fit that target encodes (``category_encoding="auto"``) categoricals
    whose one-hot inputs would exceed ``MAX_ONE_HOT_INPUTS``."""
    warnings.warn(
        f"categorical column(s) {_listed(counts)} would make {sum(counts.values()):,} one-hot model inputs, "
        f"more than the {MAX_ONE_HOT_INPUTS} that category_encoding='auto' one-hot encodes for the local "
        "linear models (their cost grows as the cube of the inputs); the categoricals are target encoded "
        "instead, for the models and the partitions. Pass a partitioner with category_encoding='target' "
        "to do so without this warning, or 'ohe' to keep one-hot",
        UserWarning,
        stacklevel=stacklevel,
    )


def _encoding_for(partitioner: HVRTPartitioner, frame: pd.DataFrame, categorical: list[str]) -> HVRTPartitioner:
    """The partitioner, set to target encoding when ``"auto"`` would one-hot more than
    ``MAX_ONE_HOT_INPUTS`` model inputs (with a warning naming the widest columns)."""
    if partitioner.category_encoding != "auto" or not categorical:
        return partitioner
    counts = _category_counts(frame, categorical)
    if sum(counts.values()) <= MAX_ONE_HOT_INPUTS:
        return partitioner
    warn_of_wide_one_hot(counts)
    return partitioner.set_params(category_encoding="target")


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.1f} MiB"


def _check_cross_products(
    preprocessor: Preprocessor, width: int, n_rows: int, partitioner: HVRTPartitioner, cross_validated: bool
) -> None:
    """Refuse, before any tree grows, model inputs whose cross-products would take more than
    ``MAX_RESULT_BYTES``: ``width``² per tree node, for each fold and the total when
    cross-validating (on the selection trees, grown on half the rows)."""
    rows = n_rows // 2 if cross_validated else n_rows
    growth = partitioner._check_params(n_rows)  # (refuses a bad parameter as the partitioner's fit would)
    leaves = max(rows // growth.min_samples_leaf, 1)
    if growth.max_leaf_nodes is not None:
        leaves = min(leaves, growth.max_leaf_nodes)
    nodes = 2 * leaves - 1
    sets = CV_FOLDS + 1 if cross_validated else 1
    needed = sets * nodes * width * width * 8
    if needed <= MAX_RESULT_BYTES:
        return
    counts = dict(zip(preprocessor.categorical_columns, preprocessor.encoded_widths()))
    one_hot = isinstance(preprocessor.encoder, OneHotEncoder) and counts
    source = f" (one-hot: {_listed(counts)})" if one_hot else ""
    where = f"{sets} cross-validation sets of " if cross_validated else ""
    raise ValueError(
        f"the local models' {width - 1:,} model inputs{source} need {width:,}² cross-products per tree node; "
        f"{where}up to {nodes:,} tree nodes ({leaves:,} partitions of {rows:,} rows, at least "
        f"{growth.min_samples_leaf} each) would take {_size(needed)}, more than {_size(MAX_RESULT_BYTES)}: "
        + (
            "use category_encoding='target' (or 'auto'), group rare categories, or grow fewer partitions"
            if one_hot
            else "grow fewer partitions (max_leaf_nodes) or pass fewer columns"
        )
    )


def _shares_preprocessing(partitioner: HVRTPartitioner) -> bool:
    """Whether the partitioner's tree inputs are the model inputs: imputed and one-hot
    encoded, they do not depend on what the tree is grown on (target encoding does)."""
    return bool(partitioner.impute) and partitioner.category_encoding in ("ohe", "auto")


def _warn_of_rounding_constants(
    inputs: np.ndarray,
    moments: tuple[np.ndarray, np.ndarray, np.ndarray],
    preprocessor: Preprocessor,
    response: np.ndarray | None,
) -> None:
    """Warn of a ``y`` or numeric model input that varies, but only within
    ``CONSTANT_ULPS`` units in the last place of its mean (``1e12 + 1e-3 * signal``,
    ``1e15 + N(0, 1)``): float64 cannot tell that spread from the rounding of a constant,
    so the partitioner's target (and, for an input, the local models' scaling) reads it as
    constant. The rule stays (a constant computed two ways differs in its last bits, and
    scaled by that spread it became a full-scale column); the warning says what it did.
    ``response``: ``y`` where a y guide is grown on (else None: the residual is centred)."""
    n_numeric = len(preprocessor.numeric_columns)
    mean, variance, constant = (part[:n_numeric] for part in moments)
    std = np.sqrt(variance)
    # the partitioner's rule (X29), on the moments at hand: no pass over the inputs
    varying = np.flatnonzero(constant & varies_beyond_rounding(mean, std))
    if len(varying):
        j = varying[0]
        names = [str(preprocessor.numeric_columns[i]) for i in varying]
        offset = float(np.median(inputs[:, j]))
        warnings.warn(
            f"X column(s) {names} vary only within {CONSTANT_ULPS} units in the last place of their mean "
            f"({names[0]!r}: a spread of {std[j]:.3g} around {offset:.6g}): float64 cannot tell "
            "that from rounding, so the partitioner and the local models' scaling treat them as constant; "
            f"subtract the offset (e.g. X[{names[0]!r}] - {offset:.6g}) to keep them",
            UserWarning,
            stacklevel=4,
        )
    if response is None:
        return
    mean = float(np.mean(response))
    spread = float(np.std(response - mean))
    one_mean, one_spread = np.array([mean]), np.array([spread])
    if zscore_scale(one_mean, one_spread * one_spread)[1][0] and varies_beyond_rounding(one_mean, one_spread)[0]:
        warnings.warn(
            f"y varies only within {CONSTANT_ULPS} units in the last place of its mean (a spread of "
            f"{spread:.3g} around {mean:.6g}): float64 cannot tell that from rounding, so the partitioner "
            "treats it as constant and partitions grown on y (partition_on='y', or 'auto''s y candidate) "
            f"ignore it; subtract the offset (y - {mean:.6g}) to keep it",
            UserWarning,
            stacklevel=4,
        )


def _fit_takes_kwargs(estimator: Any) -> bool:
    """Whether ``estimator.fit`` has a ``**kwargs`` parameter."""
    try:
        parameters = inspect.signature(estimator.fit).parameters.values()
    except (TypeError, ValueError):  # no signature to read: let the estimator decide
        return True
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _check_takes_weights(estimator: Any) -> None:
    """Refuse, before any fit, an ``estimator`` whose ``fit`` takes no ``sample_weight`` when
    weights were given (its own error came only where a partition's weights varied).

    A ``fit`` taking ``**kwargs`` is accepted: a Pipeline or other meta-estimator may route
    ``sample_weight`` by metadata routing, and if it cannot, its own error names the partition.
    """
    if not has_fit_parameter(estimator, "sample_weight") and not _fit_takes_kwargs(estimator):
        raise TypeError(
            f"estimator {type(estimator).__name__} does not take sample_weight in fit, but sample_weight was "
            "given; fit without sample_weight, or pass an estimator whose fit takes it"
        )


def _in_context(error: Exception, context: str) -> Exception:
    """``error`` with ``context`` (which partition's fit or predict) before its message: the
    same type for a ValueError or TypeError, else the error itself with a note."""
    if type(error) in (ValueError, TypeError):
        return type(error)(f"{context}: {error}")
    if hasattr(error, "add_note"):  # Python 3.11
        error.add_note(context)
    return error


def _weighted_ancestors(
    partitioner: HVRTPartitioner, partition_weight: np.ndarray, labels: np.ndarray
) -> dict[int, tuple[list[int], np.ndarray]]:
    """For the partitions whose rows all weigh zero: their nearest ancestor node with weight,
    mapped to (those partitions, that node's rows)."""
    weightless = np.flatnonzero(partition_weight == 0)
    if not len(weightless):
        return {}
    parent, partition_nodes = partitioner.partition_hierarchy()
    node_weight = np.zeros(len(parent))
    node_weight[partition_nodes] = partition_weight
    depth = _node_depths(parent)
    for d in range(int(depth.max()), 0, -1):  # children into parents, the deepest level first
        nodes = np.flatnonzero(depth == d)
        np.add.at(node_weight, parent[nodes], node_weight[nodes])
    # every partition's chain of ancestors, one row per depth (-1 above the root)
    chain = [partition_nodes]
    while (chain[-1] >= 0).any():
        chain.append(np.where(chain[-1] >= 0, parent[np.maximum(chain[-1], 0)], -1))
    chain = np.array(chain)
    stand_in: dict[int, tuple[list[int], np.ndarray]] = {}
    for k in weightless:  # few partitions, on the non-default path
        ancestors = chain[:, k]
        node = int(ancestors[np.argmax(node_weight[np.maximum(ancestors, 0)] > 0)])
        if node not in stand_in:
            under = np.flatnonzero((chain == node).any(axis=0))
            stand_in[node] = ([], np.flatnonzero(np.isin(labels, under)))
        stand_in[node][0].append(int(k))
    return stand_in


def _fit_cross_fitted(partitioner: HVRTPartitioner, X: Any, guide: np.ndarray | None) -> HVRTPartitioner:
    """``partitioner.fit(X, guide)`` with its target encoding (if any) cross-fitted for the
    rows its tree grows on, as the model inputs' (:meth:`PartitionedRegressor._fit_model_inputs`);
    it labels later rows with every row's encodings, as a plain fit does.

    Encoded on every row, a rare category's value held its rows' own guide (``y`` or the
    residual): the tree split on that and its partitions' levels fitted the noise (a noise
    ID column of 2 rows per category: holdout R² 0.07 with the model inputs cross-fitted
    alone, 0.65 with the trees' encodings too). Its ``labels_`` then follow the
    cross-fitted encodings and can differ from :meth:`~HVRTPartitioner.get_partitions` of
    the same rows for rare categories, as ``fit_transform`` differs from ``transform`` in
    scikit-learn's ``TargetEncoder``. HVRTPartitioner's own ``fit`` is not cross-fitted.
    """
    partitioner._cross_fitted_encoding = True
    try:
        # X's integers and Decimals that float64 rounds (X27, X28) were warned of by the
        # regressor's own reading of X, once: not again by each tree's
        with rounded_integers_warning("elsewhere"):
            return partitioner.fit(X, guide)
    finally:
        del partitioner._cross_fitted_encoding


def _node_depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every node from the parent array (parents have smaller ids than children)."""
    depth = np.zeros(len(parent), dtype=np.int64)
    has_parent = parent >= 0
    children = np.flatnonzero(has_parent)
    while True:  # one round per level of the tree
        updated = depth[parent[children]] + 1
        if np.array_equal(updated, depth[children]):
            return depth
        depth[children] = updated


class PartitionedRegressor(FeatureNames, RegressorMixin, BaseEstimator):
    """Piecewise-linear regression: a ridge model per H-VRT partition, shrunk toward its parents.

    A global ridge is fitted first; the partitioner then grows on its residual, so the
    partitions follow where the linear model is wrong; each partition's ridge is shrunk
    toward its parent node's, and so on up to the global model (see the module
    docstring for the equations).

    Parameters
    ----------
    partitioner : HVRTPartitioner, default=None
        Cloned in :meth:`fit`. ``None`` uses ``HVRTPartitioner(max_leaf_nodes=256,
        min_samples_leaf=20, y_weight=1.0)``. Its ``categorical_features``,
        ``category_encoding`` and ``random_state`` also set how the model inputs are
        encoded (one-hot, unless ``"target"``). With ``category_encoding="auto"`` (and
        ``impute=True``) the partitions grow on those one-hot inputs too, on either
        engine; ``"native"`` grows them on native categorical splits. ``"auto"`` target
        encodes instead, with a warning, where one-hot would make more than 64 model
        inputs (``MAX_ONE_HOT_INPUTS``). Target encoded model inputs (each category's
        smoothed mean ``y``) are cross-fitted at fit, as scikit-learn's
        ``TargetEncoder.fit_transform``: 5 folds seeded by ``random_state`` (0 for None),
        each row encoded from the other folds' rows, so that a rare category's value does
        not carry the row's own ``y`` into the models; :meth:`predict` encodes with every
        training row. The partitioner's own target encoding (each category's mean guide)
        is cross-fitted the same way for the rows its trees grow on, so
        ``partitioner_.labels_`` (the rows as they grew) may differ from
        ``partitioner_.get_partitions`` of the training rows for rare categories.
    partition_on : {"auto", "residual", "y", "X"}, default="auto"
        What the partitioner is grown on besides X: the global ridge's residual, ``y``
        itself, or nothing (X alone). ``"auto"`` tries the residual and ``y`` in the same
        honest cross-validation that picks the shrinkage (below) and keeps the better
        (the residual won on flights and CPS 1988, ``y`` on diamonds). The partitioner's
        ``y_weight`` sets the blend; at ``y_weight=0`` the partitions grow on X alone
        (``partition_on_`` is ``"X"``; a warning where ``"y"`` or ``"residual"`` was named).
    alpha : float >= 0, default=1.0
        Ridge penalty on the standardised slopes, in every model.
    shrinkage : float >= 0 or "auto", default="auto"
        Pull of each slope toward the parent node's, in rows: a partition of ``n`` rows
        moves about ``n / (n + shrinkage)`` of the way from its parent's slope to its own.
        0 fits each node on its own rows (a plain ridge per partition). ``"auto"`` picks
        it from 0, 10, 30, ..., 10000, 1e5, 1e6 (the last is the global model) by 5-fold
        cross-validation: a second partitioner grows on a random half of the rows and only
        the other half is validated, so no validation row shaped its partition; each
        fold's error is a closed form of its cross-products. The grid is searched coarse
        to fine: every other value for each guide, then the neighbours of the best
        guide's best value (the full grid's choice on every benchmark set and test).
        Below 200 rows: 1000.
    intercept_shrinkage : float >= 0, default=None
        The same pull for the level: the prediction at the partition's centre. None:
        a tenth of the slopes' pull.
    clip : {"y", "xy"} or None, default="y"
        ``"y"``: predictions are clipped to the training range of ``y`` (of the rows
        with weight). ``"xy"``: also
        each row's standardised inputs to its partition's training box before predicting,
        which guards against extrapolating a steep local slope. None: no clipping.
    estimator : scikit-learn regressor, default=None
        ``None`` uses the built-in batched ridge with shrinkage. Otherwise a clone is
        fitted on each partition's rows and model inputs (no shrinkage), in parallel. It
        sees the inputs standardised (each less its training mean, over its training
        standard deviation), as the built-in ridge does, so its ``coef_`` is per standard
        deviation; ``clip="xy"`` clips them to the partition's box before it predicts.
        A ``sample_weight`` reaches every fit as it is (an estimator whose ``fit`` takes
        none is refused); a partition whose rows all weigh zero takes the estimator
        fitted on the rows of its nearest ancestor node with weight.
    n_jobs : int, default=None
        Parallel jobs for ``estimator`` (joblib's convention).
    verbose : bool, default=False
        Report each step of :meth:`fit` with its time through the ``"hvrt"`` logger (to
        stderr when logging is not configured); the partitioner reports its own steps too.

    Attributes
    ----------
    partitioner_ : HVRTPartitioner
        The fitted partitioner.
    n_partitions_ : int
    coef_ : ndarray of shape (n_partitions_, n_model_inputs_)
        Each partition's slopes in the units of the model inputs (None with ``estimator``).
    intercept_ : ndarray of shape (n_partitions_,)
        Each partition's intercept in those units (None with ``estimator``).
    model_input_names_ : ndarray of str
        Names of the model inputs: the numeric columns, then the encoded categoricals
        (one-hot ``c_a`` for ``c == "a"``, or ``c=a`` where a numeric column is named ``c_a``).
    global_coef_, global_intercept_ : ndarray, float
        The global ridge, in the same units.
    shrinkage_ : float
        The slopes' shrinkage used (chosen, with ``shrinkage="auto"``).
    shrinkage_path_ : DataFrame or None
        The cross-validated RMSE of each candidate (``shrinkage``, ``cv_rmse``,
        ``partition_on``), when anything was chosen; NaN for a candidate the coarse-to-fine
        search did not score.
    partition_on_ : str
        What the partitions were grown on.
    estimators_ : list of regressors
        One per partition, with ``estimator`` only. They are fitted on the standardised
        features (each column less its training mean, over its training scale), so call
        :meth:`predict` rather than an estimator's own ``predict`` on raw rows.
    n_features_in_, feature_names_in_
        As scikit-learn (``feature_names_in_`` only after a fit on X with column names).
    feature_names_ : ndarray of shape (n_features_in_,)
        The names the model matches columns by: X's column names, or ``f0, f1, ...`` for
        array input.

    Examples
    --------
    >>> import numpy as np
    >>> from hvrt import PartitionedRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, size=(4000, 2))
    >>> y = np.where(X[:, 0] > 0, 3 * X[:, 1], -2 * X[:, 1]) + rng.normal(0, 0.1, 4000)
    >>> model = PartitionedRegressor().fit(X, y)
    >>> round(model.score(X, y), 2)
    1.0
    """

    def __init__(
        self,
        partitioner: HVRTPartitioner | None = None,
        *,
        partition_on: str = "auto",
        alpha: float = 1.0,
        shrinkage: float | str = "auto",
        intercept_shrinkage: float | None = None,
        clip: str | None = "y",
        estimator: Any = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.partitioner = partitioner
        self.partition_on = partition_on
        self.alpha = alpha
        self.shrinkage = shrinkage
        self.intercept_shrinkage = intercept_shrinkage
        self.clip = clip
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled (or model-file) regressor. ``model_input_names_`` are its
        preprocessing's input names at fit; a preprocessing fitted before ints were keyed by
        their digits is re-keyed when restored (before this, see ``Preprocessor.__setstate__``),
        and the one-hot names that label ``coef_`` follow it (``id_1152921504606846977``, as a
        fit today names ``2**60 + 1``, not ``id_1152921504606846976``)."""
        super().__setstate__(state)
        self._restore_feature_names()
        preprocessor, names = self.__dict__.get("_preprocessor"), self.__dict__.get("model_input_names_")
        if preprocessor is not None and names is not None:
            current = preprocessor.input_names()
            if len(current) == len(names) and list(current) != [str(name) for name in names]:
                self.model_input_names_ = np.asarray(current, dtype=object)

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        if self.partitioner is not None and not isinstance(self.partitioner, HVRTPartitioner):
            raise TypeError(f"partitioner must be an HVRTPartitioner or None, got {type(self.partitioner).__name__}")
        if self.partition_on not in PARTITION_ON:
            raise ValueError(f"partition_on must be one of {PARTITION_ON}, got {self.partition_on!r}")
        checked = {"alpha": self.alpha}
        if not (isinstance(self.shrinkage, str) and self.shrinkage == "auto"):
            checked["shrinkage"] = self.shrinkage
        if self.intercept_shrinkage is not None:
            checked["intercept_shrinkage"] = self.intercept_shrinkage
        for name, value in checked.items():
            if not (_is_real(value) and np.isfinite(value) and value >= 0):
                expected = "a finite float >= 0 or 'auto'" if name == "shrinkage" else "a finite float >= 0"
                raise ValueError(f"{name} must be {expected}, got {value!r}")
        if self.clip not in CLIP_MODES:
            raise ValueError(f"clip must be one of {CLIP_MODES}, got {self.clip!r}")
        if self.estimator is not None and not (hasattr(self.estimator, "fit") and hasattr(self.estimator, "predict")):
            raise TypeError(f"estimator must be a scikit-learn regressor (with fit and predict) or None, got {self.estimator!r}")

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> PartitionedRegressor:
        """Fit the global model, the partitions and one shrunk model per partition.

        Parameters
        ----------
        X : DataFrame, ndarray or polars DataFrame of shape (n_samples, n_features)
            Numeric and categorical columns, as :class:`~hvrt.HVRTPartitioner` takes them.
            Missing numeric values are imputed with the column mean for the linear
            models (the partitioner follows its own ``impute``).
        y : array-like or Series of shape (n_samples,)
            Finite numbers; a pandas Series must share a DataFrame X's index.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights for every linear model, at most 1e150, summing to at
            least 1e-150. They are not normalised: ``alpha`` and ``shrinkage`` count rows of
            weight 1. The partitioner's tree is grown unweighted; a partition whose rows all
            weigh zero takes its parent's model (with ``estimator``, the estimator fitted
            on its nearest ancestor node with weight).

        Returns
        -------
        self : PartitionedRegressor

        Raises
        ------
        ValueError
            For an invalid parameter; a ``y`` or ``sample_weight`` that is misaligned, not
            numeric, not finite (or negative weights, weights beyond 1e150, or weights summing
            to less than 1e-150); model inputs
            whose cross-products would take more than 2 GiB (one-hot columns of many
            categories with ``category_encoding="ohe"``); or any input error of the partitioner.
        TypeError
            For a partitioner or estimator of the wrong type, or ``sample_weight`` with an
            estimator whose ``fit`` takes neither ``sample_weight`` nor ``**kwargs`` (a
            ``fit(**params)``, as a Pipeline's, is given the weights and may route them by
            metadata routing). An estimator's own error in a partition's fit comes with the
            partition named.
        """
        self._check_params()
        with _blas_controller().limit(limits=1, user_api="blas"):
            return self._fit(X, y, sample_weight)

    def _fit(self, X: Any, y: Any, sample_weight: Any) -> PartitionedRegressor:
        # The fitted attributes are gathered here and set together once the whole fit has
        # succeeded: set as they came, a refit that failed part-way (a partitioner's check
        # of the new X, an estimator's error) left the new data's scaling beside the old
        # coefficients, a model that still passed check_is_fitted and predicted values off
        # by up to 16 on a y of scale 3.
        fitted: dict[str, Any] = {}
        log = StepLog(self.verbose, type(self).__name__)
        frame, had_names = to_frame(X)
        index = frame.index if isinstance(X, pd.DataFrame) else None
        response = _checked_response(y, len(frame), index)
        weights = _checked_weights(sample_weight, len(frame), index)
        partitioner = default_partitioner() if self.partitioner is None else clone(self.partitioner)
        if self.verbose:
            partitioner.set_params(verbose=True)
        log(f"model inputs and the global ridge, {len(frame):,} rows")

        categorical = resolve_categorical(frame, partitioner.categorical_features)
        partitioner = _encoding_for(partitioner, frame, categorical)
        preprocessor, inputs = self._fit_model_inputs(frame, response, partitioner, categorical)
        candidates = PARTITION_ON_AUTO if self.partition_on == "auto" else (self.partition_on,)
        if float(partitioner.y_weight) == 0.0 and self.partition_on != "X":
            # the partitioner ignores any guide: its partitions grow on X alone, whatever
            # partition_on names (and "auto" would validate two identical candidates)
            if self.partition_on != "auto":
                warnings.warn(
                    f"partition_on={self.partition_on!r} has no effect with the partitioner's y_weight=0, which "
                    "grows the partitions on X alone (partition_on_ is 'X'); give the partitioner a y_weight "
                    "above 0 to grow them on the guide",
                    UserWarning,
                    stacklevel=3,
                )
            candidates = ("X",)
        if self.estimator is None:
            will_validate = len(frame) >= AUTO_MIN_ROWS and (isinstance(self.shrinkage, str) or len(candidates) > 1)
            _check_cross_products(preprocessor, inputs.shape[1] + 1, len(frame), partitioner, will_validate)
        with _thread_pool(len(candidates)) as pool:
            binning = None
            if _shares_preprocessing(partitioner):
                # the model inputs are every tree's inputs: binned once for all of them,
                # on a thread while the global ridge is solved
                binning = pool.submit(partitioner._bin_prepared, inputs)
            weight_sum = weights.sum()
            moments: list[np.ndarray] = []
            fitted["_input_mean"], fitted["_input_scale"] = input_scaling(inputs, weights, weight_sum, moments)
            _warn_of_rounding_constants(inputs, tuple(moments), preprocessor, response if "y" in candidates else None)
            design = design_matrix(inputs, fitted["_input_mean"], fitted["_input_scale"])
            one_hot = _one_hot_layout(preprocessor, inputs, fitted["_input_mean"], fitted["_input_scale"])
            fitted["_response_mean"] = float(weights @ response / weight_sum)
            centred = response - fitted["_response_mean"]

            # The global ridge: the root model and the residual the partitions are grown on.
            unit_weights = sample_weight is None
            weighted_design = design if unit_weights else design * weights[:, None]
            root_gram = design.T @ weighted_design
            root_moment = weighted_design.T @ centred
            ridge = np.diag(np.r_[0.0, np.full(design.shape[1] - 1, float(self.alpha))])
            root = _batched_solve((root_gram + ridge)[None], root_moment[None])[0]
            guides = {"residual": centred - design @ root, "y": response, "X": None}
            validate = self.estimator is None and len(frame) >= AUTO_MIN_ROWS
            auto_shrinkage = isinstance(self.shrinkage, str)
            cross_validate = validate and (auto_shrinkage or len(candidates) > 1)
            # the split needs no bins: drawn while the binning finishes
            split = _HonestSplit.draw(frame, weights, None if binning is None else inputs) if cross_validate else None
            shared = None if binning is None else (preprocessor, inputs, binning.result())
            if split is not None and shared is not None and shared[2] is not None:
                split.grown_codes = shared[2][1][split.grown]

            def grow_final(name: str) -> _FinalTree:
                """The partitions grown on guide ``name`` and, for the built-in ridge, their node sums."""
                log(f"growing the partitions on {name}")
                if shared is not None:
                    bins = shared[2]
                    binned = None if bins is None else (bins[0], bins[1].copy())  # growth permutes the codes
                    partitioner._fit_prepared(X, guides[name], preprocessor, inputs, binned, frame=(frame, had_names))
                else:
                    _fit_cross_fitted(partitioner, X, guides[name])
                if self.estimator is not None:
                    return _FinalTree(None, None)
                # each partition's sums less one of its rows, centred on its mean up the tree:
                # exact however far a partition lies from the origin (and the global means)
                products = grouped_cross_products(
                    design, centred, partitioner.labels_, partitioner.n_partitions_, weights, one_hot=one_hot, shifted=True
                )
                tree = _TreeSums.from_partitioner(partitioner)
                return _FinalTree(tree, tree.centred_node_sums(products))

            if cross_validate:
                grid = SHRINKAGE_GRID if auto_shrinkage else np.array([float(self.shrinkage)])
                log(f"cross-validating the shrinkage on partitions grown on {' and on '.join(candidates)}")
                # The selections are built side by side (their work is mostly compiled
                # kernels that release the GIL: growth, labelling, cross-products), then
                # their coarse searches, one compiled call each; the final partitions grow
                # while the search refines.
                built = pool.map(
                    lambda name: self._selection(
                        split, guides[name], design, centred, weights, partitioner, shared, one_hot, (X, had_names)
                    ),
                    candidates,
                )
                selections = dict(zip(candidates, built))
                final_tree = []
                paths = _search_paths(
                    selections,
                    grid,
                    self._level_shrinkage,
                    float(self.alpha),
                    pool=pool,
                    while_refining=lambda name: final_tree.append(pool.submit(grow_final, name)),
                )
                fitted["partition_on_"] = min(paths, key=lambda name: np.nanmin(paths[name]))
                fitted["shrinkage_"] = float(grid[np.nanargmin(paths[fitted["partition_on_"]])])
                fitted["shrinkage_path_"] = pd.DataFrame(  # the paths one under the other
                    {
                        "shrinkage": np.tile(grid, len(paths)),
                        "cv_rmse": np.concatenate(list(paths.values())),
                        "partition_on": np.repeat(list(paths), len(grid)).astype(object),
                    }
                )
                final = final_tree[0].result() if final_tree else grow_final(fitted["partition_on_"])
            else:  # nothing to choose, or too few rows to validate
                fitted["partition_on_"] = candidates[0]
                fitted["shrinkage_"] = AUTO_FALLBACK if auto_shrinkage else float(self.shrinkage)
                fitted["shrinkage_path_"] = None
                final = grow_final(fitted["partition_on_"])
        if self.estimator is not None:
            fitted["shrinkage_"] = None
        log(f"partitions grown on {fitted['partition_on_']} (shrinkage {fitted['shrinkage_']})")
        labels = partitioner.labels_
        n_partitions = partitioner.n_partitions_

        if self.estimator is None:
            tree = final.tree
            fitted["_coef"] = tree.centred_solve(
                final.nodes, fitted["shrinkage_"], self._level_shrinkage(fitted["shrinkage_"]), float(self.alpha)
            )
            fitted["_local_r2"] = _local_r2(
                tree.partitions_of(final.nodes),
                fitted["_coef"],
                fitted["_response_mean"],
                (design, centred, weights, labels),
            )
            fitted["estimators_"] = None
        else:
            fitted["_coef"] = None
            # standardised inputs, as the built-in ridge's: raw dates (nanoseconds, ~1e18)
            # beside unit-scale columns make a least-squares solver drop the small columns
            fitted["_estimator_inputs"] = "standardised"
            fitted["estimators_"] = self._fit_estimators(
                design[:, 1:], response, None if sample_weight is None else weights, labels, partitioner
            )
        if self.clip == "xy":
            stats = grouped_stats(design[:, 1:], labels)
            fitted["_box_low"], fitted["_box_high"] = stats.minimum, stats.maximum

        fitted["_preprocessor"] = preprocessor
        fitted["_numeric_fill"] = numeric_fill(preprocessor, inputs)
        fitted["_fitted_with_names"] = had_names
        fitted["_root"] = root
        # the rows that count: a zero-weighted outlier (a corrupted y of -1e9) widened the
        # clip range and so disabled the guard
        counted = response if sample_weight is None else response[weights > 0]
        fitted["_response_range"] = (float(counted.min()), float(counted.max()))
        fitted["partitioner_"] = partitioner
        fitted["n_partitions_"] = n_partitions
        fitted["n_features_in_"] = frame.shape[1]
        fitted["feature_names_in_"] = np.asarray(frame.columns, dtype=object)
        fitted["model_input_names_"] = np.asarray(model_input_names(preprocessor), dtype=object)
        fitted["_weight_sums"] = np.bincount(labels, weights=weights, minlength=n_partitions)
        for name, value in fitted.items():
            setattr(self, name, value)
        log(f"fitted: {n_partitions} partition models")
        return self

    def _fit_model_inputs(
        self, frame: pd.DataFrame, response: np.ndarray, partitioner: HVRTPartitioner, categorical: list[str]
    ) -> tuple[Preprocessor, np.ndarray]:
        """The partitioner's preprocessing, imputing, fitted on ``frame`` (target encoding on
        ``y``); ``categorical``: the categorical columns, resolved.

        Target encoded training inputs are cross-fitted (each row's encoding from the
        other folds' rows, as scikit-learn's ``TargetEncoder.fit_transform``): encoded on
        every row, a rare category's value holds its rows' own ``y``, and the models would
        take it for signal (a noise ID column of 2 rows per category took a holdout R² from
        0.66 to 0.24). ``predict`` encodes with every training row's encodings."""
        encoding = "target" if partitioner.category_encoding == "target" else "ohe"
        # No synthetic target is made (make_target=False): y is needed only where target
        # encoding learns from it.
        preprocessor, inputs, _ = fit_preprocessing(
            frame,
            pd.DataFrame({"y": response}, index=frame.index) if encoding == "target" else None,
            categorical_columns=categorical,
            weights=None,
            scaler=None,
            impute=True,
            # linear models need one-hot inputs: native codes are for the tree only
            category_encoding=encoding,
            target_mode="sum",
            y_weight=1.0,
            random_state=partitioner.random_state,
            make_target=False,
            oriented_guide=False,  # each category's mean response, sign and all
            cross_fitted=True,
        )
        return preprocessor, inputs

    def _design(self, inputs: np.ndarray) -> np.ndarray:
        return design_matrix(inputs, self._input_mean, self._input_scale)

    def _selection(
        self,
        split: _HonestSplit,
        guide: np.ndarray | None,
        design: np.ndarray,
        centred: np.ndarray,
        weights: np.ndarray,
        partitioner: HVRTPartitioner,
        shared: tuple[Preprocessor, np.ndarray, tuple[object, np.ndarray] | None] | None = None,
        one_hot: OneHotLayout | None = None,
        source: tuple[Any, bool] = (None, True),
    ) -> _Selection:
        """The honest cross-validation set-up for partitions grown on ``guide``.

        Honest: a selection partitioner grows on a random half of the rows (the structure
        half), and only rows of the other half are ever validated, so no validation row
        helped shape its partition (with the partitions grown on every row, the levels fit
        the validation rows' own noise and the search picks too little shrinkage). Folds
        of the other half are held out in turn; structure rows always train. One kernel
        pass gives every (fold, tree node) the cross-products of its rows, summed up the
        selection tree in place; :meth:`_Selection.cv_rmse` scores shrinkage candidates
        from them. ``split`` (the halves, folds and their rows' inputs) is the same for
        every guide. ``source``: the fit's ``X`` and whether it had column names (with
        ``shared``, the selectors take their columns from it, not from a frame of their rows).
        """
        selector = clone(partitioner)
        guide_rows = None if guide is None else guide[split.grown]
        # The structure rows' labels are the selector's own; only the other half needs labelling.
        labels = np.empty(len(centred), dtype=np.int64)
        if shared is None:
            _fit_cross_fitted(selector, split.grown_frame, guide_rows)
            with rounded_integers_warning("elsewhere"):  # (warned of by the fit's reading of X)
                labels[split.validated] = selector.get_partitions(split.validated_frame)
        else:  # the model inputs' preprocessing and binning, fitted on every row, serve the selector too
            preprocessor = shared[0]
            # growth permutes the codes in place: each selector gets its own copy
            binned = None if split.grown_codes is None else (shared[2][0], split.grown_codes.copy())
            X, had_names = source
            selector._fit_prepared(X, guide_rows, preprocessor, split.grown_inputs, binned, frame=(split.frame, had_names))
            labels[split.validated] = selector._labels_of_prepared(split.validated_inputs)
        labels[split.grown] = selector.labels_
        tree = _TreeSums.from_partitioner(selector)
        n_nodes, width = len(tree.parent), design.shape[1]
        # Each row's cross-products go straight to its (fold, partition node) slot; the
        # structure rows' set is the last, and becomes the total over every row.
        # Each slot's rows are summed less its first row (shifted): the held-out folds are
        # scored on those sums, which stay exact for a partition far from the global
        # means; the plain sums, which the solves add up the tree, are taken from them.
        shifted = grouped_cross_products(
            design,
            centred,
            split.fold * n_nodes + tree.partition_nodes[labels],
            (CV_FOLDS + 1) * n_nodes,
            weights,
            one_hot=one_hot,
            shifted=True,
        )
        leaves = tree.partition_nodes

        def held_out(values: np.ndarray) -> np.ndarray:  # the folds' slots at the partitions
            return values.reshape(CV_FOLDS + 1, n_nodes, *values.shape[1:])[:CV_FOLDS, leaves]

        held = GroupedProducts(
            *(held_out(values) for values in (shifted.gram, shifted.moment, shifted.response_square)),
            shift=held_out(shifted.shift),
            response_shift=held_out(shifted.response_shift),
        )
        # (the held-out copies taken) every set's sums up the tree in place, each node's
        # about one shift of its own, the last set becoming the total: a training fold's
        # sums, the total less the fold's, keep a node's spread however far it lies out
        node_shift = shifted_sets_up_tree(tree.parent, CV_FOLDS + 1, shifted)
        node_gram = shifted.gram.reshape(CV_FOLDS + 1, n_nodes, width, width)
        node_moment = shifted.moment.reshape(CV_FOLDS + 1, n_nodes, width)
        return _Selection(
            tree=tree,
            total=(node_gram[CV_FOLDS], node_moment[CV_FOLDS]),
            folds=(node_gram[:CV_FOLDS], node_moment[:CV_FOLDS]),
            held=held,
            validated_weight=split.validated_weight,
            node_shift=node_shift,
        )

    def _level_shrinkage(self, slope: float) -> float:
        return slope * LEVEL_SHARE if self.intercept_shrinkage is None else float(self.intercept_shrinkage)

    def _fit_estimators(
        self,
        inputs: np.ndarray,
        response: np.ndarray,
        weights: np.ndarray | None,
        labels: np.ndarray,
        partitioner: HVRTPartitioner,
    ) -> list[Any]:
        """A clone of ``estimator`` per partition (the non-default path: any regressor).

        ``weights``: the user's ``sample_weight`` (None when none was given), passed to
        every fit as it is: dropping weights that happen to be equal within a partition
        would change a penalised estimator's effective penalty (``alpha`` against rows of
        weight 1e-3 or 1). A partition whose rows all weigh zero is not fitted on them
        (the rows the user excluded): it takes the estimator fitted on the rows of its
        nearest ancestor node with weight, as the built-in ridge gives it its parent's model.
        """
        from joblib import Parallel, delayed

        n_partitions = partitioner.n_partitions_
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(n_partitions + 1))
        rows = [order[bounds[k] : bounds[k + 1]] for k in range(n_partitions)]
        if weights is None:
            fits = list(enumerate(rows))
            stand_in = {}
        else:
            _check_takes_weights(self.estimator)
            partition_weight = np.bincount(labels, weights=weights, minlength=n_partitions)
            fits = [(k, part) for k, part in enumerate(rows) if partition_weight[k] > 0]
            stand_in = _weighted_ancestors(partitioner, partition_weight, labels)

        def fit_one(name: str, part: np.ndarray) -> Any:
            model = clone(self.estimator)
            try:
                if weights is None:
                    return model.fit(inputs[part], response[part])
                return model.fit(inputs[part], response[part], sample_weight=weights[part])
            except Exception as error:
                raise _in_context(error, f"estimator {type(self.estimator).__name__} failed to fit {name} ({len(part):,} rows)") from error

        tasks = [(f"partition {k}", part) for k, part in fits]
        tasks += [(f"node {node} (for partition(s) {sorted(ks)}, whose rows all weigh 0)", part) for node, (ks, part) in stand_in.items()]
        fitted = Parallel(n_jobs=self.n_jobs)(delayed(fit_one)(name, part) for name, part in tasks)
        estimators: list[Any] = [None] * n_partitions
        for (k, _), model in zip(fits, fitted):
            estimators[k] = model
        for (ks, _), model in zip(stand_in.values(), fitted[len(fits) :]):
            for k in ks:
                estimators[k] = model
        return estimators

    # ------------------------------------------------------------------ prediction
    def _model_inputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "partitioner_")
        return self._inputs_of_frame(*to_frame(X, raw=self._preprocessor.raw_categoricals()))

    def _inputs_of_frame(self, frame: pd.DataFrame, had_names: bool) -> np.ndarray:
        """The model inputs of a frame already read (``to_frame``'s, or the Dask estimator's
        reading of a chunk, which keys some categorical columns on their values as they are)."""
        frame = match_columns(frame, had_names, self.feature_names_, self._fitted_with_names, type(self).__name__)
        return self._preprocessor.tree_inputs(frame)

    def predict(self, X: Any) -> np.ndarray:
        """Predict with each row's partition model.

        Parameters
        ----------
        X : DataFrame, ndarray or polars DataFrame of shape (n_samples, n_features)
            Named columns are matched by name, arrays by position (as the partitioner).
            A missing numeric value is imputed with its column's mean at fit for the
            linear models, whether or not the column had gaps at fit (the partitioner
            places the row by its own ``impute``); a missing category takes the most
            frequent one.

        Returns
        -------
        ndarray of float64, shape (n_samples,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            When a fit-time column is missing, array input has the wrong width, or X
            holds infinite values.
        """
        return self._predict_inputs(self._model_inputs(X), lambda: self.partitioner_.get_partitions(X))

    def _predict_inputs(self, inputs: np.ndarray, partitions: Callable[[], np.ndarray]) -> np.ndarray:
        """:meth:`predict` from the model inputs; ``partitions()`` labels the rows when the
        partitioner has its own preprocessing."""
        if self.partitioner_._preprocessor is self._preprocessor:
            # the partitions grew on the model inputs (see _shares_preprocessing): label
            # them rather than preprocess X a second time
            labels = self.partitioner_._labels_of_prepared(inputs)
        else:
            labels = partitions()
        # labelled as the partitioner labels (its own impute); the linear models take the
        # column's mean at fit for a gap, whether or not the column had one at fit
        inputs = self._impute_numeric(inputs)
        standardised = self.estimators_ is None or getattr(self, "_estimator_inputs", None) == "standardised"
        if standardised:  # (a model file of an older version fitted its estimators on the raw inputs)
            design = self._design(inputs)
            if self.clip == "xy":
                np.clip(design[:, 1:], self._box_low[labels], self._box_high[labels], out=design[:, 1:])
        if self.estimators_ is not None:
            features = design[:, 1:] if standardised else inputs
            prediction = np.empty(len(labels))
            for k in np.unique(labels):  # non-default path: one call per partition present
                rows = np.flatnonzero(labels == k)
                try:
                    prediction[rows] = self.estimators_[k].predict(features[rows])
                except Exception as error:
                    estimator = type(self.estimators_[k]).__name__
                    raise _in_context(error, f"estimator {estimator} of partition {k} failed to predict") from error
        else:
            prediction = np.empty(len(labels))
            for start in range(0, len(labels), _PREDICT_BLOCK_ROWS):
                block = slice(start, start + _PREDICT_BLOCK_ROWS)
                prediction[block] = np.einsum("ij,ij->i", design[block], self._coef[labels[block]])
            prediction += self._response_mean
        if self.clip is not None:
            np.clip(prediction, *self._response_range, out=prediction)
        return prediction

    def _impute_numeric(self, inputs: np.ndarray) -> np.ndarray:
        """The model inputs with each missing numeric value filled by its column's mean at fit.

        The preprocessing fills only the columns that had a gap at fit (those it learnt a
        fill for; the partitioner's tree routes a gap in the others), but a linear model
        needs a number in every column. ``inputs`` is not written to (a Dask chunk's may
        be read-only).
        """
        n_numeric = len(self._preprocessor.numeric_columns)
        gaps = np.isnan(inputs[:, :n_numeric])
        if not gaps.any():
            return inputs
        fill = getattr(self, "_numeric_fill", None)
        if fill is None:  # a model file from before the fill was stored: the inputs' means at fit
            fill = self._preprocessor.numeric_fill
            if fill is None:  # (weighted as the fit's sample_weight)
                fill = self._input_mean[:n_numeric]
        filled = np.array(inputs, dtype=np.float64)
        np.copyto(filled[:, :n_numeric], fill, where=gaps)
        return filled

    # ------------------------------------------------------------------ inspection
    @property
    def coef_(self) -> np.ndarray | None:
        """Each partition's slopes in model-input units, shape (n_partitions_, n_model_inputs_)."""
        check_is_fitted(self, "partitioner_")
        return None if self._coef is None else self._coef[:, 1:] / self._input_scale

    @property
    def intercept_(self) -> np.ndarray | None:
        """Each partition's intercept in model-input units, shape (n_partitions_,)."""
        check_is_fitted(self, "partitioner_")
        if self._coef is None:
            return None
        return self._response_mean + self._coef[:, 0] - self.coef_ @ self._input_mean

    @property
    def global_coef_(self) -> np.ndarray:
        """The global ridge's slopes in model-input units."""
        check_is_fitted(self, "partitioner_")
        return self._root[1:] / self._input_scale

    @property
    def global_intercept_(self) -> float:
        """The global ridge's intercept in model-input units."""
        return float(self._response_mean + self._root[0] - self.global_coef_ @ self._input_mean)

    def partition_report(self) -> pd.DataFrame:
        """One row per partition: size, local fit and coefficients.

        Returns
        -------
        DataFrame
            Indexed by partition; columns ``n_samples``, ``weight``, ``r2`` (training R² of
            the partition's own model on its rows; NaN for a constant ``y``),
            ``own_share`` (``n / (n + shrinkage_)``: roughly how far the slopes moved from
            the parent's toward the partition's own fit), ``intercept`` and one column
            per model input (its slope). With ``estimator`` only the first three.
            ``n_samples``, ``weight`` and ``r2`` are those of the rows each partition's
            model was fitted on, ``partitioner_.labels_``: with target encoding the
            partitions grew on cross-fitted encodings, so for rare categories these can
            differ from the training rows ``predict`` sends to the partition
            (``partitioner_.get_partitions(X_train)``).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        """
        check_is_fitted(self, "partitioner_")
        index = pd.RangeIndex(self.n_partitions_, name="partition")
        report = pd.DataFrame(
            {"n_samples": self.partitioner_.partition_sizes_, "weight": self._weight_sums}, index=index
        )
        if self._coef is None:
            return report
        report["r2"] = self._local_r2
        with np.errstate(invalid="ignore", divide="ignore"):  # a partition without weight has its parent's model
            report["own_share"] = np.where(
                self._weight_sums > 0, self._weight_sums / (self._weight_sums + self.shrinkage_), 0.0
            )
        report["intercept"] = self.intercept_
        slopes = pd.DataFrame(self.coef_, index=index, columns=[str(n) for n in self.model_input_names_])
        return pd.concat([report, slopes], axis=1)


_SCALING_BLOCK_ROWS = 8192  # rows of deviations per block in input_scaling: 650 kB at 10 inputs


def input_scaling(
    inputs: np.ndarray, weights: np.ndarray, weight_sum: float, moments: list[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The model inputs' weighted means and standard deviations, 1 for a constant input.

    An input is constant by the partitioner's test (``_target.zscore_scale``: a spread
    within 16 ulps of the mean), on a variance in the corrected two-pass form: a mean
    summed over the rows is a few ulps off (a constant 0.1 over 20k rows), and squared
    deviations from it read that as a spread of 1e-16..1e-14, which scaled the input by it
    and gave slopes in the tens of thousands. The deviations' own mean, that rounding, is
    taken out of the variance and added to the mean. ``moments``: a list the inputs'
    means, variances and constant flags are appended to, when given.
    """
    mean = weights @ inputs / weight_sum
    shift = np.zeros(inputs.shape[1])
    squares = np.zeros(inputs.shape[1])
    # blocks of rows whose deviations stay in cache: 40 ms at 1M x 10 against 65 ms for
    # the deviations and their squares as whole arrays (BLAS on one thread, as in fit)
    deviation = np.empty((min(_SCALING_BLOCK_ROWS, len(inputs)), inputs.shape[1]))
    for start in range(0, len(inputs), _SCALING_BLOCK_ROWS):
        block = deviation[: len(inputs[start : start + _SCALING_BLOCK_ROWS])]
        np.subtract(inputs[start : start + _SCALING_BLOCK_ROWS], mean, out=block)
        block_weights = weights[start : start + _SCALING_BLOCK_ROWS]
        shift += block_weights @ block
        np.multiply(block, block, out=block)
        squares += block_weights @ block
    residual = shift / weight_sum
    variance = np.maximum(squares / weight_sum - residual * residual, 0.0)
    mean = mean + residual
    scale, is_constant = zscore_scale(mean, variance)
    if moments is not None:
        moments.extend((mean, variance, is_constant))
    return mean, scale


def model_input_names(preprocessor: Preprocessor) -> list[str]:
    """The model inputs' names, each distinct: a one-hot input whose name (``c_a``, for
    ``c == "a"``) is another input's (a numeric column ``c_a``) is named ``c=a`` instead.

    Raises
    ------
    ValueError
        Where names still collide (a numeric column named ``c=a`` too), naming them.
    """
    names = [str(name) for name in preprocessor.input_names()]
    if len(set(names)) == len(names):
        return names
    if isinstance(preprocessor.encoder, OneHotEncoder):
        taken = {name for name in names[: len(preprocessor.numeric_columns)]}
        position = len(preprocessor.numeric_columns)
        for column, categories in zip(preprocessor.categorical_columns, preprocessor.encoder.categories_):
            for category in categories:
                if names[position] in taken or names.count(names[position]) > 1:
                    names[position] = f"{column}={category}"
                position += 1
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"model input name(s) {repeated} are given to more than one input (a numeric column and a "
            "category's one-hot input); rename the column(s) so that each input has its own name"
        )
    return names


def numeric_fill(preprocessor: Preprocessor, inputs: np.ndarray) -> np.ndarray:
    """Each numeric model input's fill for a missing value: the column's mean at fit (of
    the values present, unweighted), the preprocessing's own fill where it has one."""
    if preprocessor.numeric_fill is not None:  # every numeric column's, when any had a gap
        return preprocessor.numeric_fill
    return inputs[:, : len(preprocessor.numeric_columns)].mean(axis=0)


def design_matrix(inputs: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """A column of ones, then the model inputs standardised by ``mean`` and ``scale``."""
    design = np.empty((inputs.shape[0], inputs.shape[1] + 1))
    design[:, 0] = 1.0
    np.subtract(inputs, mean, out=design[:, 1:])
    design[:, 1:] /= scale
    return design


def _one_hot_layout(
    preprocessor: Preprocessor, inputs: np.ndarray, mean: np.ndarray, scale: np.ndarray
) -> OneHotLayout | None:
    """Where the design's one-hot columns are (:func:`design_matrix` of ``inputs``, ``mean``
    and ``scale``), or None when the model inputs have none (or are not plain 0/1 blocks)."""
    if not isinstance(preprocessor.encoder, OneHotEncoder):
        return None
    first = len(preprocessor.numeric_columns)  # in the inputs; the design has the level first
    widths = preprocessor.encoded_widths()
    if 2 * (1 + first + len(widths)) > 1 + inputs.shape[1]:
        # most of a row is nonzero anyway (CPS 1988: 7 of 13): the dense pass, which
        # vectorises, is as fast or faster
        return None
    bounds = np.cumsum([first, *widths])
    active = one_hot_columns(inputs, bounds[:-1], bounds[1:])
    if active is None:  # anything but one 1 among 0s
        return None
    active[active >= 0] += 1  # design columns: the level comes first
    return OneHotLayout(first=1 + first, active=active, mean=np.r_[0.0, mean], scale=np.r_[1.0, scale])


@dataclass
class _HonestSplit:
    """The halves and folds of the honest cross-validation (the same for every guide), with
    the rows each selection reads taken once."""

    grown: np.ndarray
    validated: np.ndarray
    fold: np.ndarray
    frame: pd.DataFrame
    grown_frame: pd.DataFrame | None
    validated_frame: pd.DataFrame | None
    grown_inputs: np.ndarray | None
    validated_inputs: np.ndarray | None
    grown_codes: np.ndarray | None
    validated_weight: float

    @classmethod
    def draw(cls, frame: pd.DataFrame, weights: np.ndarray, inputs: np.ndarray | None) -> _HonestSplit:
        """A seeded split: half the rows grow the selection trees (the structure half,
        set ``CV_FOLDS``), the other half is dealt into ``CV_FOLDS`` folds.

        ``inputs``: the model inputs when the selectors share them (the fit's ``shared``),
        else None (the selectors preprocess frames of their rows). The structure rows'
        bin codes (``grown_codes``) are the caller's to set, once the binning is done.
        """
        rng = np.random.default_rng(0)
        n_rows = len(frame)
        structure = rng.random(n_rows) < 0.5
        grown, validated = np.flatnonzero(structure), np.flatnonzero(~structure)
        fold = np.where(structure, CV_FOLDS, rng.integers(0, CV_FOLDS, n_rows))
        shared = inputs is not None
        return cls(
            grown=grown,
            validated=validated,
            fold=fold,
            frame=frame,
            # the frames of the halves are read only where the selectors preprocess their rows
            grown_frame=None if shared else frame.iloc[grown],
            validated_frame=None if shared else frame.iloc[validated],
            grown_inputs=inputs[grown] if shared else None,
            validated_inputs=inputs[validated] if shared else None,
            grown_codes=None,
            validated_weight=float(weights[validated].sum()),
        )


@dataclass
class _Selection:
    """One guide's honest cross-validation: the selection tree, its fold sums at every node
    (``folds``: what each fold's training leaves out) and, per partition, the shifted sums
    each fold is scored on (``held``, stacked (fold, partition))."""

    tree: _TreeSums
    total: tuple[np.ndarray, np.ndarray]
    folds: tuple[np.ndarray, np.ndarray]
    held: GroupedProducts
    validated_weight: float
    node_shift: tuple[np.ndarray, np.ndarray] | None = None

    def cv_rmse(self, slopes: np.ndarray, levels: np.ndarray, alpha: float) -> np.ndarray:
        """Cross-validated RMSE of each (slope, level) pull: every (candidate, fold) solved
        down the tree and scored on its held-out fold in one compiled pass
        (:mod:`hvrt._shrunk_solve`); each fold's error is a closed form of its cross-products."""
        tree, (total_gram, total_moment), (fold_gram, fold_moment), held = self.tree, self.total, self.folds, self.held
        sse, failed, _ = solve_candidates(
            tree.parent, tree.partition_nodes, self.total, (fold_gram, fold_moment, held.response_square),
            slopes, levels, alpha, held=held, node_shift=self.node_shift,
        )
        for i, f in zip(*np.nonzero(failed)):  # a singular system: the general solve, pseudo-inverse and all
            gram, moment = total_gram - fold_gram[f], total_moment - fold_moment[f]
            if self.node_shift is not None:  # (on plain sums: the general solve's coordinates are global)
                plain = GroupedProducts(gram, moment, np.zeros(len(gram)), *self.node_shift).unshifted()
                gram, moment = plain.gram, plain.moment
            coef = tree.solve(gram, moment, slopes[i], levels[i], alpha)
            fold = GroupedProducts(held.gram[f], held.moment[f], held.response_square[f], held.shift[f], held.response_shift[f])
            sse[i, f] = _validation_sse(fold, coef).sum()
        return np.sqrt(sse.sum(axis=1) / max(self.validated_weight, 1e-300))


def _search_paths(
    selections: dict[str, _Selection],
    grid: np.ndarray,
    level_of: Any,
    alpha: float,
    *,
    pool: Executor | None = None,
    while_refining: Callable[[str], Any] | None = None,
) -> dict[str, np.ndarray]:
    """The cross-validated RMSE of each value of the shrinkage grid for each guide, searched
    coarse to fine.

    Every other grid value is scored for every guide (the guides side by side on ``pool``'s
    threads, when given); the guide with the lowest error then has the grid neighbours of
    its best value scored too, and the choice is the best of what was scored. Candidates
    left unscored have NaN. Short grids are scored in full. ``while_refining`` is called
    with the winning guide's name before the refinement (the guide cannot change there:
    refining only lowers the winner's error), so its work can overlap the refinement.
    """
    levels = np.array([level_of(slope) for slope in grid])
    errors = {name: np.full(len(grid), np.nan) for name in selections}
    coarse = np.arange(0, len(grid), 2) if len(grid) > 3 else np.arange(len(grid))
    scored = (pool.map if pool is not None else map)(
        lambda name: selections[name].cv_rmse(grid[coarse], levels[coarse], alpha), list(selections)
    )
    for name, values in zip(list(selections), scored):
        errors[name][coarse] = values
    best_guide = min(errors, key=lambda name: np.nanmin(errors[name]))
    if while_refining is not None:
        while_refining(best_guide)
    best = int(np.nanargmin(errors[best_guide]))
    around = [i for i in (best - 1, best + 1) if 0 <= i < len(grid) and np.isnan(errors[best_guide][i])]
    if around:
        errors[best_guide][around] = selections[best_guide].cv_rmse(grid[around], levels[around], alpha)
    return errors


@dataclass
class _FinalTree:
    """The final partitions' tree and every node's centred sums (None with ``estimator``)."""

    tree: _TreeSums | None
    nodes: GroupedProducts | None


class _SerialPool(Executor):
    """An executor that runs each task at once, in the caller's thread (one core)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # re-raised by result(), as a thread pool does
            future.set_exception(error)
        return future


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """The process's BLAS thread pools (found once, at the first fit).

    A fit runs BLAS on one thread: its matrix products are small (tens of thousands of
    rows by tens of columns, milliseconds), and OpenBLAS's extra threads, which spin
    after each call, took the cores from the fit's own threads: with two cores shared
    with other jobs, fits on diamonds and CPS 1988 took twice as long.
    """
    return ThreadpoolController()


def _thread_pool(tasks: int) -> Executor:
    """Threads for ``tasks`` independent steps of a fit, or a serial stand-in on one core.

    Each step given a thread is mostly one numba kernel that releases the GIL (the
    binning, a guide's coarse candidate solve, the final tree's growth and cross-products),
    so two of them on two cores take about the time of one. ``NUMBA_NUM_THREADS=1`` runs
    a fit serially.
    """
    workers = min(tasks, thread_count())  # NUMBA_NUM_THREADS, read without importing numba
    return ThreadPoolExecutor(max_workers=workers) if workers > 1 else _SerialPool()


class _TreeSums:
    """The partitioner's tree, for summing partition cross-products up and solving down."""

    def __init__(self, parent: np.ndarray, partition_nodes: np.ndarray) -> None:
        self.parent = parent
        self.partition_nodes = partition_nodes

    @functools.cached_property
    def levels(self) -> list[np.ndarray]:
        """The nodes of each depth, root first (for :meth:`solve`, the general path)."""
        depth = _node_depths(self.parent)
        return [np.flatnonzero(depth == d) for d in range(int(depth.max()) + 1)]

    @classmethod
    def from_partitioner(cls, partitioner: HVRTPartitioner) -> _TreeSums:
        return cls(*partitioner.partition_hierarchy())

    def node_sums(self, products: GroupedProducts) -> tuple[np.ndarray, np.ndarray]:
        """Cross-products of every tree node: its partitions' sums, added up the tree."""
        return self.stacked_node_sums(products.gram[None], products.moment[None])

    def stacked_node_sums(self, gram: np.ndarray, moment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`node_sums` of a stack of partition cross-products at once.

        ``gram`` (S, K, p, p) and ``moment`` (S, K, p) give node sums of shapes
        (S, n_nodes, p, p) and (S, n_nodes, p); a single set comes back without its
        leading axis, as :meth:`node_sums` returns it.
        """
        node_gram, node_moment = sum_up_tree(self.parent, self.partition_nodes, gram, moment)
        n_sets = len(node_gram)
        if n_sets == 1:
            return node_gram[0], node_moment[0]
        return node_gram, node_moment

    def centred_node_sums(self, products: GroupedProducts) -> GroupedProducts:
        """Every node's sums centred on its weighted mean (:func:`~hvrt._grouped_products.centred_up_tree`)
        from its partitions' sums (best shifted), in one compiled pass."""
        return centred_up_tree(self.parent, self.partition_nodes, products)

    def partitions_of(self, nodes: GroupedProducts) -> GroupedProducts:
        """The partitions' own sums among every node's."""
        leaves = self.partition_nodes
        return GroupedProducts(
            nodes.gram[leaves], nodes.moment[leaves], nodes.response_square[leaves],
            None if nodes.shift is None else nodes.shift[leaves],
            None if nodes.response_shift is None else nodes.response_shift[leaves],
        )

    def centred_solve(self, nodes: GroupedProducts, slope: float, level: float, alpha: float) -> np.ndarray:
        """:meth:`solve` in a compiled Cholesky kernel, from every node's centred sums
        (:meth:`centred_node_sums`): each node's system in coordinates centred on its own
        rows, so the fit is exact however far a partition lies from the origin. Falls back
        to :meth:`solve` on the plain sums where a system is not numerically positive
        definite (singular without a penalty)."""
        coef = solve_centred(self.parent, self.partition_nodes, nodes, slope, level, alpha)
        if coef is None:
            plain = nodes.unshifted()
            return self.solve(plain.gram, plain.moment, slope, level, alpha)
        return coef

    def solve(self, gram: np.ndarray, moment: np.ndarray, slope: float, level: float, alpha: float) -> np.ndarray:
        """Each partition's coefficients: the root's ridge, then each level shrunk toward its parents.

        The shrinkage acts in coordinates centred on each node's own rows, so the level
        pulled toward the parent's is the prediction at the node's centre, not at the
        global origin (where a steep local slope would move it far). With ``T`` the
        change to those coordinates, the pull ``TᵀΛT`` is
        ``Λ + level * (ĉ e₀ᵀ + e₀ ĉᵀ + ĉ ĉᵀ)``, ``ĉ`` the node's centre (0 in the level's slot).
        """
        n_nodes, width = gram.shape[:2]
        ridge = np.r_[0.0, np.full(width - 1, alpha)]
        shrink = np.r_[level, np.full(width - 1, slope)]
        coef = np.empty((n_nodes, width))
        coef[0] = _batched_solve((gram[0] + np.diag(ridge))[None], moment[0][None])[0]
        diagonal = np.arange(width)
        for nodes in self.levels[1:]:
            centre = _centres(gram[nodes])
            prior = coef[self.parent[nodes]]
            systems = gram[nodes] + level * (centre[:, :, None] * centre[:, None, :])
            systems[:, 0, :] += level * centre
            systems[:, :, 0] += level * centre
            systems[:, diagonal, diagonal] += shrink + ridge
            centred_prior = np.einsum("ki,ki->k", centre, prior)
            right = moment[nodes] + shrink * prior + level * (centre * (prior[:, :1] + centred_prior[:, None]))
            right[:, 0] += level * centred_prior
            coef[nodes] = _batched_solve(systems, right)
            weightless = gram[nodes, 0, 0] == 0.0  # the parent's model (see _shrunk_solve._solve_centred)
            coef[nodes[weightless]] = prior[weightless]
        return coef[self.partition_nodes]


def _validation_sse(products: GroupedProducts, coef: np.ndarray) -> np.ndarray:
    """Each partition's weighted squared error of ``coef`` on the rows ``products`` sums
    (shifted sums scored with the level at the shift: see :mod:`hvrt._shrunk_solve`)."""
    if products.shift is not None:
        coef = coef.copy()
        coef[:, 0] += np.einsum("ki,ki->k", products.shift[:, 1:], coef[:, 1:]) - products.response_shift
    fitted = np.einsum("ki,kij,kj->k", coef, products.gram, coef)
    return products.response_square - 2.0 * np.einsum("ki,ki->k", coef, products.moment) + fitted


def _centres(gram: np.ndarray) -> np.ndarray:
    """Each node's weighted mean of the design (0 in the level's slot, and where it has no weight)."""
    weight = gram[:, 0, 0]
    centre = np.zeros(gram.shape[:2])
    with np.errstate(invalid="ignore", divide="ignore"):
        centre[:, 1:] = np.where(weight[:, None] > 0, gram[:, 0, 1:] / weight[:, None], 0.0)
    return centre


def _batched_solve(systems: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Solve a stack of small systems; the pseudo-inverse where one is singular."""
    try:
        return np.linalg.solve(systems, right[..., None])[..., 0]
    except np.linalg.LinAlgError:  # only without any penalty on an ill-posed partition
        return np.einsum("kij,kj->ki", np.linalg.pinv(systems), right)


def _local_r2_of_rows(
    design: np.ndarray,
    centred: np.ndarray,
    response_mean: float,
    weights: np.ndarray,
    codes: np.ndarray,
    coef: np.ndarray,
) -> np.ndarray:
    """:func:`_local_r2` from the rows (all of them, or a selection with their partitions'
    codes), the total squares in the corrected two-pass form; NaN where a partition's
    response is constant (within 16 ulps of its mean, the partitioner's test) or absent."""
    n_partitions = len(coef)
    fitted = np.empty(len(centred))
    for start in range(0, len(centred), _SCALING_BLOCK_ROWS):  # the gathered coefficients stay in cache
        block = slice(start, start + _SCALING_BLOCK_ROWS)
        np.einsum("ij,ij->i", design[block], coef[codes[block]], out=fitted[block])
    weight = np.bincount(codes, weights=weights, minlength=n_partitions)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(codes, weights=weights * centred, minlength=n_partitions) / weight
    deviation = centred - mean[codes]
    residual = np.bincount(codes, weights=weights * deviation, minlength=n_partitions)
    squares = np.bincount(codes, weights=weights * deviation * deviation, minlength=n_partitions)
    fitted -= centred
    sse = np.bincount(codes, weights=weights * fitted * fitted, minlength=n_partitions)
    with np.errstate(invalid="ignore", divide="ignore"):
        tss = squares - residual * residual / weight
        varying = tss > weight * (16 * np.finfo(np.float64).eps * (mean + response_mean)) ** 2
        return np.where(varying & (weight > 0), 1.0 - sse / tss, np.nan)


def _local_r2(products: GroupedProducts, coef: np.ndarray, response_mean: float, rows: tuple | None = None) -> np.ndarray:
    """Training R² of each partition's model on its own rows, from its cross-products.

    The sums are centred on each partition's mean (:func:`~hvrt._grouped_products.centred`;
    exact when ``products`` are shifted or centred), so the total squares keep a partition's
    spread however far its mean response lies from the global one. NaN where a partition's
    response is constant (within 16 ulps of its mean, the partitioner's test; ``response_mean``:
    the mean the response was centred on) or has no weight. The squared error is a
    difference of sums; where it keeps fewer than about 9 of 16 digits (an R² within 1e-7
    of 1) it is taken from the partition's rows when given (``rows``: the design, the
    centred response, the weights and the partition codes; :func:`_local_r2_of_rows`).
    """
    about_mean = centred_sums(products)
    tss, weight = about_mean.response_square, about_mean.gram[:, 0, 0]
    sse = _validation_sse(about_mean, coef)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        floor = weight * (16 * np.finfo(np.float64).eps * (about_mean.response_shift + response_mean)) ** 2
        varying = (tss > floor) & (weight > 0)
        r2 = np.where(varying, 1.0 - sse / tss, np.nan)
    imprecise = varying & ~(sse > _PRECISE_SHARE * tss)
    if rows is None or not imprecise.any():
        return r2
    design, centred_response, weights, codes = rows
    selected = np.flatnonzero(imprecise[codes])
    exact = _local_r2_of_rows(
        design[selected], centred_response[selected], response_mean, weights[selected], codes[selected], coef
    )
    return np.where(imprecise, exact, r2)


# a share of the summed squares above which a difference of them keeps ~9 of 16 digits
_PRECISE_SHARE = 1e-7
