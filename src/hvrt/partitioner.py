"""HVRTPartitioner: fine-grained partitions from a variance-reduction tree."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._engines import ENGINE_NAMES, ENGINES, bin_hist_inputs, native_min_category_rows, resolve_engine, target_dtype
from ._preprocessing import (
    CATEGORY_ENCODINGS,
    Preprocessor,
    fit_preprocessing,
    prepared_target,
    resolve_categorical,
    resolve_category_encoding,
)
from ._progress import StepLog
from ._rules import build_rules, column_forms
from ._target import TARGET_MODES
from ._tree_contract import FittedTree, GrowthParams
from ._validation import (
    MAX_MAGNITUDE,
    TIME_DTYPES,
    dtype_text,
    exact_nanoseconds,
    match_columns,
    to_frame,
    to_target_frame,
)

AUTO_LEAVES_MAX = 4096


def auto_max_leaf_nodes(n_samples: int) -> int:
    """The ``max_leaf_nodes="auto"`` rule: ``round(sqrt(n))`` clipped to [2, 4096]."""
    return int(np.clip(round(np.sqrt(n_samples)), 2, AUTO_LEAVES_MAX))


def categorical_by_dtype(X: Any, listed: Sequence[str] = ()) -> list[str]:
    """The columns of ``X`` that ``fit`` takes as categorical by their dtype (its
    ``categorical_features=None``), as ``fit`` reads ``X``: an object column of numbers
    (``Decimal`` ones too, as a Parquet ``decimal128`` column reads) is numeric, times are
    ordered. The command line adds them to its ``--categorical-features``, which the library
    would otherwise refuse for leaving text columns out.

    Parameters
    ----------
    X : DataFrame, ndarray, list of rows or narwhals frame
        The features, as ``fit`` takes them.
    listed : sequence of str, default=()
        Columns the user lists as categorical (names as strings): not returned, and not warned
        of. The others get the warnings ``fit`` gives of the columns it finds categorical
        (Python dates, numbers with a few stray values).

    Returns
    -------
    list of str
        The columns found categorical by their dtype, in X's order, ``listed`` left out.
    """
    frame, _ = to_frame(X)
    chosen = set(listed)
    return resolve_categorical(frame[[c for c in frame.columns if c not in chosen]], None)


def _encoding_name(preprocessor: Preprocessor, requested: str) -> str:
    """The encoding a fitted preprocessing used ("native", "ohe" or "target")."""
    if preprocessor.native:
        return "native"
    return "target" if requested == "target" else "ohe"


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# Parameters of the released predecessor (hvrt-partitioner 0.6.1) that have another name here,
# with what the new one means, for the error that names it.
_RENAMED_PARAMETERS = {
    "min_impurity_reduction": (
        "min_variance_reduction",
        "the fraction of the root's impurity every split must remove; its default is now 0.0, not 0.01",
    ),
}


class _NamesRenamedParameters:
    """Gives an old parameter name a TypeError that names the new one.

    scikit-learn reads an estimator's parameters from its ``__init__`` signature (``get_params``,
    ``clone``), so ``__init__`` takes no ``**kwargs``; an old name is caught in ``__new__``, which
    sees the same arguments first. It lives in this base class because ``inspect.signature`` of a
    class that defines both ``__new__`` and ``__init__`` reads ``__new__``'s ``(*args, **kwargs)``.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        for old in sorted(kwargs.keys() & _RENAMED_PARAMETERS.keys()):
            new, meaning = _RENAMED_PARAMETERS[old]
            raise TypeError(
                f"{cls.__name__} has no parameter {old!r} (its name in hvrt-partitioner 0.6.1); "
                f"use {new}={kwargs[old]!r}: {meaning}"
            )
        return super().__new__(cls)

    def set_params(self, **params: Any) -> Any:
        """Set parameters, as scikit-learn's ``set_params`` (an unknown one is a ValueError); an old
        name of one (hvrt-partitioner 0.6.1) gets a ValueError that names its successor."""
        for old in sorted(params.keys() & _RENAMED_PARAMETERS.keys()):
            new, meaning = _RENAMED_PARAMETERS[old]
            raise ValueError(
                f"{type(self).__name__} has no parameter {old!r} (its name in hvrt-partitioner 0.6.1); "
                f"use set_params({new}={params[old]!r}): {meaning}"
            )
        return super().set_params(**params)  # type: ignore[misc]


class FeatureNames:
    """``feature_names_in_`` as scikit-learn has it, for the in-memory estimators: set only when
    X had column names (a DataFrame or another named frame), absent after an array fit, so
    that ``hasattr(model, "feature_names_in_")`` tells. ``feature_names_`` always holds the
    names the model matches columns by and writes rules and reports with: X's column names,
    or ``f0, f1, ...`` for an array.

    Both read the one stored array (``_feature_names``), which a fit sets through
    ``feature_names_in_`` (hvrt.dask's estimators too, with ``_fitted_with_names``). A pickle
    or model file holds them as ``feature_names_in_`` (f0... after an array fit), as the hvrt
    before this class wrote and read them (:meth:`__getstate__`), and
    :meth:`_restore_feature_names` moves them back when the model is restored.
    """

    @property
    def feature_names_(self) -> np.ndarray:
        names = self.__dict__.get("_feature_names")
        if names is None:
            raise AttributeError(f"{type(self).__name__} has no feature_names_ before fit")
        return names

    @property
    def feature_names_in_(self) -> np.ndarray:
        names = self.__dict__.get("_feature_names")
        if names is None or not self.__dict__.get("_fitted_with_names", True):
            raise AttributeError(
                f"{type(self).__name__} has feature_names_in_ only when fitted on X with column names "
                "(scikit-learn's convention); the names it uses for an array's columns (f0, f1, ...) are "
                "feature_names_"
            )
        return names

    @feature_names_in_.setter
    def feature_names_in_(self, names: np.ndarray) -> None:
        self.__dict__["_feature_names"] = names

    def __getstate__(self) -> dict[str, Any]:
        """The pickled (and model-file) state, the names under ``feature_names_in_`` as the
        hvrt before :class:`FeatureNames` kept them (array fits too: f0, ...), so that a model
        saved now loads usably there (it read ``model.feature_names_in_`` to match columns);
        :meth:`_restore_feature_names` moves them back here, and ``_fitted_with_names`` tells
        an array fit."""
        state = super().__getstate__()
        if "_feature_names" in state:  # (in place: the file's order of attributes stays)
            state = {("feature_names_in_" if key == "_feature_names" else key): v for key, v in state.items()}
        return state

    def _restore_feature_names(self) -> None:
        """After ``__dict__.update(state)``: a state saved before (a ``feature_names_in_``
        entry, shadowed by the property) keeps its names as ``_feature_names``."""
        names = self.__dict__.pop("feature_names_in_", None)
        if names is not None and "_feature_names" not in self.__dict__:
            self.__dict__["_feature_names"] = names


class HVRTPartitioner(FeatureNames, _NamesRenamedParameters, ClusterMixin, TransformerMixin, BaseEstimator):
    """Partition tabular data into many fine-grained, variance-reducing partitions.

    Each numeric feature is scaled (z-score by default) and a synthetic target is built
    from the scaled features: their row-wise sum (``target="sum"``, the seed's H-VRT
    target) or the features themselves (``target="features"``). A regression tree with
    ``max_leaf_nodes`` leaves is grown to explain that target, and its leaves are the
    partitions.

    Parameters
    ----------
    max_leaf_nodes : int >= 2, None or "auto", default="auto"
        Number of partitions to grow. ``"auto"`` uses ``round(sqrt(n_samples))`` clipped
        to [2, 4096]; ``None`` grows until no split helps (as in scikit-learn).
    target : {"sum", "features"}, default="sum"
        ``"sum"``: one target, ``sum_j w_j z_j`` over the scaled numeric features.
        ``"features"``: one output per weighted scaled feature (multi-output tree). The
        histogram engine then places at most 127 bins per feature rather than 255 (each
        bin holds every output's sum): about 12 % faster at 1M x 10 for a within-partition
        SSE within 0.4 % of 255 bins' (see docs/performance.md).
    y_weight : float in [0, 1], default=0.5
        Share of the target's variance carried by the ``y`` passed to :meth:`fit`.
    weights : dict of str to float, default=None
        Per-column weights ``w_j`` (keys ``f0, f1, ...`` for array input). Keys are matched
        as column names are, by their string form (``0`` names the column ``0``, a tuple a
        MultiIndex column). Negative weights flip a feature's sign in the sum.
    scaler : scikit-learn transformer, default=None
        Scales the numeric features for the target. ``None`` means z-score with the
        population standard deviation; a constant column scores 0. Cloned in ``fit``.
    min_variance_reduction : float in [0, 1), default=0.0
        Every split must remove at least this fraction of the root's impurity.
    min_samples_leaf : int >= 1, default=1
        Minimum rows per partition.
    max_depth : int >= 1 or None, default=None
        Maximum tree depth.
    random_state : int, RandomState or None, default=42
        Seed for the tree's tie-breaking and any sampling.
    impute : bool, default=True
        ``True``: mean imputation for numeric columns, most frequent value for
        categoricals. ``False``: missing numeric values add nothing to the target and the
        tree routes NaN natively; a missing category is a category of its own.
    categorical_features : list of str, int or tuple, default=None
        Categorical columns by name or position. ``None`` means object, string,
        category and bool dtypes. An item equal to one of X's column labels (an int, a
        tuple of a MultiIndex) names that column, as ``X[item]`` would; a string also
        names a column by its label's string form; any other int is a position. An int
        that names one column and is the position of another is refused as ambiguous.
    category_encoding : {"auto", "native", "ohe", "target"}, default="auto"
        How categoricals reach the tree (the target never sees them). ``"native"`` (the
        histogram engine only): each categorical is one tree input of category codes, and
        a split sends any set of its categories left, found by ordering the categories by
        their mean target (exact for one output; categories with fewer rows at a node
        than the mean partition, at most 200, are ordered as one group, and every
        category against the rest is scored too); at most 255 codes per column, the
        rarest categories beyond 254 pooled into one; a category unseen in fit goes to the
        larger child of every such split. ``"ohe"``: one-hot; a category unseen in fit
        encodes as all zeros and follows every "not this category" branch. ``"target"``:
        each category's mean of the synthetic target (fitted once, without cross-fitting,
        so fit and labelling agree); an unseen category gets the overall target mean.
        ``"auto"``: ``"native"`` when the tree is grown by the histogram engine, ``"ohe"``
        on the exact engine.
    engine : {"auto", "exact", "hist"}, default="auto"
        ``"exact"`` is scikit-learn's ``DecisionTreeRegressor``, the seed's reference.
    max_samples : int >= 2, float in (0, 1] or None, default=None
        Grow the tree on a uniform random subsample of this many rows (or this fraction
        of the rows), then label every row. ``None`` uses all rows.
    verbose : bool, default=False
        Report each step of :meth:`fit` (preprocessing, growing the tree, labelling) with
        its time, through the ``"hvrt"`` logger (to stderr when logging is not configured).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Partition of each training row, int64 in ``0 .. n_partitions_ - 1``.
    n_partitions_ : int
        Number of partitions: the leaves the tree grew. At most ``max_leaf_nodes_``, and
        fewer when the tree stopped early (no split left that helps, ``min_samples_leaf``,
        ``max_depth``, ``min_variance_reduction``, or fewer distinct rows than leaves).
    partition_sizes_ : ndarray of shape (n_partitions_,)
        Training rows per partition.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit``. Defined only when X had column names (a DataFrame),
        as in scikit-learn: absent after a fit on an array.
    feature_names_ : ndarray of shape (n_features_in_,)
        The names the partitioner matches columns by and writes its rules with: the column
        names seen in ``fit``, or ``f0, f1, ...`` for array input.
    engine_ : str
        The engine that grew the tree.
    max_leaf_nodes_ : int or None
        The cap on leaves the fit asked for: ``max_leaf_nodes`` with ``"auto"`` resolved
        (scikit-learn's convention for a parameter resolved at fit, as its trees'
        ``max_features_``); None for no cap. Not what was grown: that is
        ``n_partitions_``, which is smaller when the tree stopped early.
    category_encoding_ : str
        The encoding the fit used (``"auto"`` resolved): "native", "ohe" or "target".

    Examples
    --------
    >>> import numpy as np
    >>> from hvrt import HVRTPartitioner
    >>> X = np.random.default_rng(0).normal(size=(1000, 4))
    >>> labels = HVRTPartitioner(max_leaf_nodes=20).fit_predict(X)
    >>> int(labels.max()) + 1
    20
    """

    def __init__(
        self,
        max_leaf_nodes: int | str | None = "auto",
        *,
        target: str = "sum",
        y_weight: float = 0.5,
        weights: Mapping[str, float] | None = None,
        scaler: TransformerMixin | None = None,
        min_variance_reduction: float = 0.0,
        min_samples_leaf: int = 1,
        max_depth: int | None = None,
        random_state: int | np.random.RandomState | None = 42,
        impute: bool = True,
        categorical_features: Sequence[str | int] | None = None,
        category_encoding: str = "auto",
        engine: str = "auto",
        max_samples: int | float | None = None,
        verbose: bool = False,
    ) -> None:
        self.max_leaf_nodes = max_leaf_nodes
        self.target = target
        self.y_weight = y_weight
        self.weights = weights
        self.scaler = scaler
        self.min_variance_reduction = min_variance_reduction
        self.min_samples_leaf = min_samples_leaf
        self.max_depth = max_depth
        self.random_state = random_state
        self.impute = impute
        self.categorical_features = categorical_features
        self.category_encoding = category_encoding
        self.engine = engine
        self.max_samples = max_samples
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled (or model-file) partitioner. One fitted before
        ``category_encoding_`` was kept (or by an ``hvrt.dask`` partitioner that did not
        keep it) gets it from its preprocessing, as ``fit`` sets it."""
        super().__setstate__(state)
        self._restore_feature_names()
        if "category_encoding_" not in self.__dict__ and "_preprocessor" in self.__dict__:
            self.category_encoding_ = _encoding_name(self._preprocessor, self.category_encoding)

    # ------------------------------------------------------------------ validation
    def _check_params(self, n_samples: int) -> GrowthParams:
        leaves = self.max_leaf_nodes
        if isinstance(leaves, str) and leaves == "auto":
            leaves = auto_max_leaf_nodes(n_samples)
        elif leaves is not None and not (_is_int(leaves) and leaves >= 2):
            raise ValueError(f"max_leaf_nodes must be an int >= 2, None or 'auto', got {leaves!r}")
        if self.target not in TARGET_MODES:
            raise ValueError(f"target must be one of {TARGET_MODES}, got {self.target!r}")
        if not (_is_real(self.y_weight) and 0.0 <= self.y_weight <= 1.0):
            raise ValueError(f"y_weight must be a float in [0, 1], got {self.y_weight!r}")
        if self.scaler is not None and not (hasattr(self.scaler, "fit") and hasattr(self.scaler, "transform")):
            raise TypeError(
                f"scaler must be a scikit-learn transformer (with fit and transform) or None, got {self.scaler!r}"
            )
        if not (_is_real(self.min_variance_reduction) and 0.0 <= self.min_variance_reduction < 1.0):
            raise ValueError(
                f"min_variance_reduction must be a float in [0, 1), got {self.min_variance_reduction!r}"
            )
        if not (_is_int(self.min_samples_leaf) and self.min_samples_leaf >= 1):
            raise ValueError(f"min_samples_leaf must be an int >= 1, got {self.min_samples_leaf!r}")
        if self.max_depth is not None and not (_is_int(self.max_depth) and self.max_depth >= 1):
            raise ValueError(f"max_depth must be an int >= 1 or None, got {self.max_depth!r}")
        if not isinstance(self.impute, (bool, np.bool_)):
            raise TypeError(f"impute must be True or False, got {self.impute!r}")
        if self.category_encoding not in CATEGORY_ENCODINGS:
            raise ValueError(
                f"category_encoding must be one of {CATEGORY_ENCODINGS}, got {self.category_encoding!r}"
            )
        if self.engine not in ENGINE_NAMES:
            raise ValueError(f"engine must be one of {ENGINE_NAMES}, got {self.engine!r}")
        resolve_category_encoding(self.category_encoding, resolve_engine(self.engine, n_samples))
        seed = self.random_state
        if not (seed is None or _is_int(seed) or isinstance(seed, np.random.RandomState)):
            raise TypeError(f"random_state must be an int, a RandomState or None, got {self.random_state!r}")
        if self.max_samples is not None and not (
            (_is_int(self.max_samples) and self.max_samples >= 2)
            or (_is_real(self.max_samples) and not _is_int(self.max_samples) and 0.0 < self.max_samples <= 1.0)
        ):
            raise ValueError(
                f"max_samples must be an int >= 2, a float in (0, 1] or None, got {self.max_samples!r}"
            )
        return GrowthParams(
            max_leaf_nodes=leaves,
            min_samples_leaf=int(self.min_samples_leaf),
            max_depth=self.max_depth,
            min_variance_reduction=float(self.min_variance_reduction),
            random_state=self.random_state,
        )

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None) -> HVRTPartitioner:
        """Grow the tree on ``X`` (and optionally ``y``) and label the training rows.

        Parameters
        ----------
        X : DataFrame, ndarray or polars DataFrame of shape (n_samples, n_features)
            Data to partition. Numeric columns may hold NaN; ±inf is refused.
        y : Series, DataFrame or array of shape (n_samples,) or (n_samples, n_targets), default=None
            Numeric values that should guide the partitions (see ``y_weight``). A pandas
            ``y`` must share X's index.

        Returns
        -------
        self : HVRTPartitioner

        Raises
        ------
        ValueError
            For an invalid parameter, infinite values, finite values beyond ±1e150, a column
            of only values within ±1e-150, an all-missing column, non-numeric columns not
            listed as categorical, or a ``y`` whose length or index does not match X.
        TypeError
            For a parameter of the wrong type, sparse input, or a string as ``y``. Every
            case and its message: ``docs/errors.md``.
        """
        log = StepLog(self.verbose, type(self).__name__)
        frame, had_names = to_frame(X)
        params = self._check_params(len(frame))
        log(f"preprocessing {frame.shape[0]:,} rows x {frame.shape[1]} columns")
        categorical = resolve_categorical(frame, self.categorical_features)
        y_frame = None if y is None else to_target_frame(y, frame, isinstance(X, pd.DataFrame))
        engine = resolve_engine(self.engine, len(frame))
        encoding = resolve_category_encoding(self.category_encoding, engine)
        preprocessor, tree_inputs, target = fit_preprocessing(
            frame,
            y_frame,
            categorical_columns=categorical,
            weights=self.weights,
            scaler=self.scaler,
            impute=bool(self.impute),
            category_encoding=encoding,
            target_mode=self.target,
            y_weight=float(self.y_weight),
            random_state=self.random_state,
            target_dtype=target_dtype(engine, self.target, encoding == "target" and bool(categorical)),
            # (a private seam: PartitionedRegressor grows its trees on cross-fitted encodings)
            cross_fitted=bool(getattr(self, "_cross_fitted_encoding", False)),
            # (PartitionedRegressor's trees, fitted cross-fitted: it warns itself, R21/R22)
            warn_constants=not getattr(self, "_cross_fitted_encoding", False),
        )
        if self.category_encoding == "auto":
            warn_wide_one_hot(preprocessor)
        return self._grow(X, frame, had_names, y_frame, params, preprocessor, tree_inputs, target, log)

    def _fit_prepared(
        self,
        X: Any,
        y: Any,
        preprocessor: Preprocessor,
        tree_inputs: np.ndarray,
        binned: tuple[object, np.ndarray] | None = None,
        *,
        frame: tuple[pd.DataFrame, bool] | None = None,
    ) -> HVRTPartitioner:
        """:meth:`fit` on rows whose preprocessing a caller already fitted (a private seam).

        ``PartitionedRegressor`` fits one imputing, one-hot preprocessing for its model
        inputs; with ``impute=True`` and ``category_encoding="ohe"`` (or ``"auto"``, which
        here means one-hot on either engine) the tree inputs do not
        depend on the target, so its partitioners (grown on all rows or on a subset of
        them) reuse that preprocessing and its ``tree_inputs`` rows, and compute only their
        own target. ``X`` holds the rows of ``tree_inputs``, as :meth:`fit` takes them.
        ``binned``: :meth:`_bin_prepared`'s edges with the codes of these rows (which the
        histogram engine permutes in place), so trees on the same inputs bin them once.
        ``frame``: ``to_frame(X)``, when the caller has it; X (and this frame) may then be
        the rows that ``tree_inputs`` were taken from, a superset (only their columns are
        read). A 1-d finite float64 ``y`` with one value per row of ``tree_inputs`` (a
        guide the caller computed) is taken as it is.
        """
        if not (self.impute and self.category_encoding in ("ohe", "auto")):
            raise ValueError("a prepared fit needs impute=True and category_encoding='ohe' or 'auto'")
        log = StepLog(self.verbose, type(self).__name__)
        n_rows = len(tree_inputs)
        frame, had_names = to_frame(X) if frame is None else frame
        params = self._check_params(n_rows)
        log(f"target of {n_rows:,} prepared rows")
        if (
            isinstance(y, np.ndarray)
            and y.dtype == np.float64
            and y.shape == (n_rows,)
            and np.isfinite(y).all()
        ):
            y_frame = y.reshape(n_rows, 1)  # what to_target_frame's frame would hold, without pandas
        elif y is None:
            y_frame = None
        elif len(frame) != n_rows:
            raise ValueError(f"X has {len(frame)} rows but tree_inputs {n_rows}; y must then be a finite float64 array")
        else:
            y_frame = to_target_frame(y, frame, isinstance(X, pd.DataFrame))
        target = prepared_target(
            preprocessor,
            tree_inputs,
            y_frame,
            weights=self.weights,
            scaler=self.scaler,
            target_mode=self.target,
            y_weight=float(self.y_weight),
            dtype=target_dtype(resolve_engine(self.engine, n_rows), self.target),
        )
        return self._grow(X, frame, had_names, y_frame, params, preprocessor, tree_inputs, target, log, binned)

    def _bin_prepared(self, tree_inputs: np.ndarray) -> tuple[object, np.ndarray] | None:
        """The histogram engine's binning of prepared ``tree_inputs`` for
        :meth:`_fit_prepared`'s ``binned`` (None when this partitioner's engine on these
        rows is not the histogram engine, or its target is ``"features"``, whose several
        outputs take fewer bins: ``fit_hist`` bins those rows itself)."""
        if resolve_engine(self.engine, len(tree_inputs)) != "hist" or self.target == "features":
            return None
        return bin_hist_inputs(tree_inputs, self.random_state)

    def _grow(
        self,
        X: Any,
        frame: pd.DataFrame,
        had_names: bool,
        y_frame: pd.DataFrame | np.ndarray | None,
        params: GrowthParams,
        preprocessor: Preprocessor,
        tree_inputs: np.ndarray,
        target: np.ndarray,
        log: StepLog,
        binned: tuple[object, np.ndarray] | None = None,
    ) -> HVRTPartitioner:
        """Grow the tree on preprocessed rows and label them: the rest of :meth:`fit`.

        ``y_frame``: a frame, or a float64 array of one column per output (see :meth:`_fit_prepared`).
        """
        engine = resolve_engine(self.engine, len(tree_inputs))
        sample = self._subsample(len(tree_inputs))
        # (a compile of the hist kernels, where they were not compiled at install, logs its own line)
        log(f"growing {params.max_leaf_nodes or 'unlimited'} leaves with the {engine} engine")
        # the target is not needed after the fit, so the engine may use it as workspace
        native = {"category_bins": preprocessor.category_bins()} if preprocessor.native else {}
        if preprocessor.native and self.category_encoding == "auto":
            _warn_rare_native_levels(preprocessor, tree_inputs if sample is None else tree_inputs[sample], params)
        if binned is not None and engine == "hist":
            mapper, codes = binned
            native["binned"] = (mapper, codes if sample is None else codes[sample])
        if sample is None:
            tree = ENGINES[engine](tree_inputs, target, params, overwrite_target=True, **native)
        else:
            tree = ENGINES[engine](tree_inputs[sample], target[sample], params, overwrite_target=True, **native)
        del target

        self._preprocessor: Preprocessor = preprocessor
        self._fitted_with_names = had_names
        self.tree_: FittedTree = tree
        self.engine_ = engine
        self.category_encoding_ = _encoding_name(preprocessor, self.category_encoding)
        self.max_leaf_nodes_ = params.max_leaf_nodes
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        leaf_ids = tree.leaf_ids
        self._leaf_to_label = np.full(int(leaf_ids.max()) + 1, -1, dtype=np.int64)
        self._leaf_to_label[leaf_ids] = np.arange(len(leaf_ids), dtype=np.int64)
        training_labels = tree.training_labels if sample is None else None
        self.n_partitions_ = len(leaf_ids)
        if training_labels is None:
            self.labels_ = tree.apply(tree_inputs, self._leaf_to_label)
            self.partition_sizes_ = np.bincount(self.labels_, minlength=self.n_partitions_)
        else:  # the hist engine's labels, written as such by its last pass over the rows
            self.labels_ = training_labels
            # every training row grew the tree: its leaves' row counts are the sizes (as
            # the Dask estimator takes them), without a pass over the labels
            self.partition_sizes_ = tree.get_tree().n_node_samples[leaf_ids].astype(np.int64)
        tree.release_training_leaves()  # labels_ holds the same information
        # what partition_rules() writes: the user's own column labels and time dtypes, and y's means
        self._keep_rule_columns(X, frame, frame.attrs.get(TIME_DTYPES, {}))
        self._time_ranges = self._partition_time_ranges(X, frame, preprocessor)
        self._y_means = None if y_frame is None else self._partition_means(y_frame)
        log(f"fitted: {self.n_partitions_} partitions")
        return self

    def _keep_rule_columns(self, X: Any, frame: pd.DataFrame, time_dtypes: Mapping[str, Any]) -> None:
        """Keep what :meth:`partition_rules` needs of the columns: the user's own labels, the
        time columns' dtypes and the forms of :func:`~hvrt._rules.column_forms` (``X`` may be
        an empty frame of the fit input's labels and dtypes, as ``hvrt.dask`` passes it)."""
        self._column_labels = list(X.columns) if isinstance(X, pd.DataFrame) else list(frame.columns)
        # dtypes as their names: plain values that a model file holds
        self._time_dtypes = {column: dtype_text(dtype) for column, dtype in time_dtypes.items()}
        # float columns narrower than float64 and times held as objects, whose rules take another form
        self._column_forms = column_forms(X, frame, self._time_dtypes)

    def _partition_time_ranges(
        self, X: Any, frame: pd.DataFrame, preprocessor: Preprocessor
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per numeric time column, each partition's smallest and largest training value in
        int64 nanoseconds (the int64 maximum and minimum where it has none): where
        ``partition_rules(precision=...)`` may round a time bound without moving a training
        row (one grouped pass, time columns only).

        The times are read from a pandas ``X`` as they are; from the float64 nanoseconds of
        ``frame`` otherwise (256 ns apart today), widened to every time they may stand for.
        """
        if len(frame) != len(self.labels_):
            return {}  # a prepared fit on a superset of the rows: its bounds stay exact
        return time_ranges(X, frame, self.labels_, self.n_partitions_, self._time_range_columns(preprocessor))

    def _time_range_columns(self, preprocessor: Preprocessor) -> list[str]:
        """The time columns the tree splits on (a column never split has no bound), whose
        partitions' time ranges ``partition_rules(precision=...)`` needs."""
        split_on = set(self.tree_.splits[0].tolist())  # the tree inputs split on
        numeric = preprocessor.numeric_columns
        return [c for c in self._time_dtypes if c in numeric and numeric.index(c) in split_on]

    def _partition_means(self, y_frame: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Mean of each ``y`` output over each partition's training rows (missing values skipped)."""
        if isinstance(y_frame, np.ndarray):  # one finite output (see _fit_prepared)
            sums = np.bincount(self.labels_, weights=y_frame[:, 0], minlength=self.n_partitions_)
            with np.errstate(invalid="ignore", divide="ignore"):
                return (sums / self.partition_sizes_)[:, None], ["y_mean"]
        values = y_frame.to_numpy(dtype=np.float64, na_value=np.nan)
        present = ~np.isnan(values)
        means = np.empty((self.n_partitions_, values.shape[1]))
        for j in range(values.shape[1]):  # a few outputs; bincount is vectorised over rows
            counts = np.bincount(self.labels_[present[:, j]], minlength=self.n_partitions_)
            sums = np.bincount(self.labels_[present[:, j]], weights=values[present[:, j], j], minlength=self.n_partitions_)
            with np.errstate(invalid="ignore", divide="ignore"):
                means[:, j] = sums / counts
        names = ["y_mean"] if values.shape[1] == 1 else [f"y_mean_{name}" for name in y_frame.columns]
        return means, names

    def _subsample(self, n_samples: int) -> np.ndarray | None:
        """Sorted row indices to grow the tree on, or None for all rows."""
        if self.max_samples is None:
            return None
        size = self.max_samples if _is_int(self.max_samples) else max(2, int(self.max_samples * n_samples))
        if size >= n_samples:
            return None
        rng = check_random_state(self.random_state)
        return np.sort(rng.choice(n_samples, size=size, replace=False))

    def fit_predict(self, X: Any, y: Any = None, **kwargs: Any) -> np.ndarray:
        """Refit on ``X`` and return the training labels, ``fit(X, y).labels_``.

        Parameters
        ----------
        X : DataFrame, ndarray or polars DataFrame of shape (n_samples, n_features)
            Data to partition, as in :meth:`fit`.
        y : Series, DataFrame or array of shape (n_samples,) or (n_samples, n_targets), default=None
            Values that should guide the partitions, as in :meth:`fit`.
        **kwargs
            Passed on to :meth:`fit`, as scikit-learn's ``fit_predict`` does: :meth:`fit` takes
            none, so any keyword (``sample_weight``, a misspelt parameter) raises rather than
            being silently ignored.

        Returns
        -------
        labels : ndarray of int64, shape (n_samples,)
            Values in ``0 .. n_partitions_ - 1``.

        Raises
        ------
        ValueError
            As :meth:`fit`.
        TypeError
            For a keyword :meth:`fit` does not take.
        """
        return self.fit(X, y, **kwargs).labels_

    # ------------------------------------------------------------------ labelling
    def _checked_apply(self, X: Any, node_values: np.ndarray | None) -> np.ndarray:
        """``tree_.apply`` of the tree inputs of ``X``, their values checked by the engine
        as it labels them (a separate numpy pass cost 6-8 ms at 1M x 10, the traversal's
        check about 1 ms); only when it meets a value beyond ``MAX_MAGNITUDE`` (or an
        infinity) does the numeric check run, to refuse it naming its column, as before."""
        check_is_fitted(self, "tree_")
        return self._checked_apply_frame(*to_frame(X, raw=self._preprocessor.raw_categoricals()), node_values)

    def _checked_apply_frame(self, frame: pd.DataFrame, had_names: bool, node_values: np.ndarray | None) -> np.ndarray:
        """:meth:`_checked_apply` of a frame already read (``to_frame``'s, or the Dask
        estimator's reading of a chunk, which keys some categorical columns on their values
        as they are)."""
        frame = match_columns(
            frame, had_names, self.feature_names_, self._fitted_with_names, type(self).__name__
        )
        inputs = self._preprocessor.tree_inputs(frame, check=False)
        out = self.tree_.apply(inputs, node_values, limit=MAX_MAGNITUDE)
        if out is None:
            self._preprocessor.check_numeric(frame)  # raises, naming the column
            out = self.tree_.apply(inputs, node_values)  # (such a value in an encoded column only)
        return out

    def apply(self, X: Any) -> np.ndarray:
        """Raw engine leaf id of each row.

        Parameters
        ----------
        X : DataFrame, ndarray or polars DataFrame
            Matched to the fit-time columns as in :meth:`get_partitions`.

        Returns
        -------
        leaf_ids : ndarray of int64, shape (n_samples,)
            The node id of each row's leaf in :meth:`get_tree` (scikit-learn's node ids
            for the exact engine); not contiguous. Use :meth:`get_partitions` for labels.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            When a fit-time column is missing, or array input has the wrong width.
        """
        return self._checked_apply(X, None)

    def get_partitions(self, X: Any) -> np.ndarray:
        """Partition label of each row of ``X``.

        Parameters
        ----------
        X : DataFrame, ndarray or polars DataFrame
            Named input is matched to the fit-time columns by name (reordered and extra
            columns are fine); array input by position.

        Returns
        -------
        labels : ndarray of int64, shape (n_samples,)
            Values in ``0 .. n_partitions_ - 1``, the same labels as ``labels_`` for the
            training rows.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            When a fit-time column is missing, or array input has the wrong width.
        """
        check_is_fitted(self, "tree_")
        # the labels straight from the traversal (no second pass mapping leaf ids to labels)
        return self._checked_apply(X, self._leaf_to_label)

    def _labels_of_prepared(self, tree_inputs: np.ndarray) -> np.ndarray:
        """Labels of rows already preprocessed by this partitioner's preprocessing (the seam
        of :meth:`_fit_prepared`)."""
        check_is_fitted(self, "tree_")
        return self.tree_.apply(tree_inputs, self._leaf_to_label)

    def predict(self, X: Any) -> np.ndarray:
        """Partition label of each row of ``X``; the same as :meth:`get_partitions`.

        Parameters
        ----------
        X : DataFrame, ndarray or polars DataFrame
            Matched to the fit-time columns as in :meth:`get_partitions`.

        Returns
        -------
        labels : ndarray of int64, shape (n_samples,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            When a fit-time column is missing, or array input has the wrong width.
        """
        return self.get_partitions(X)

    def transform(self, X: Any) -> sp.csr_matrix:
        """Sparse one-hot partition membership of each row of ``X``.

        Parameters
        ----------
        X : DataFrame, ndarray or polars DataFrame
            Matched to the fit-time columns as in :meth:`get_partitions`.

        Returns
        -------
        membership : scipy.sparse.csr_matrix of shape (n_samples, n_partitions_)
            One 1.0 per row, in the column of its partition; columns are named by
            :meth:`get_feature_names_out`. After ``set_output(transform="pandas")``, a
            DataFrame of sparse columns with those names (and X's index).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            When a fit-time column is missing, or array input has the wrong width; or
            when ``set_output`` asked for a container of dense columns only (polars).
        """
        labels = self.get_partitions(X)
        n_rows = len(labels)
        membership = sp.csr_matrix(
            (np.ones(n_rows), labels, np.arange(n_rows + 1)), shape=(n_rows, self.n_partitions_)
        )
        output = _transform_output(self)
        if output == "pandas":
            # a frame of sparse columns: scikit-learn's pandas output refuses a sparse matrix,
            # and a dense one would take n_samples x n_partitions_ floats
            frame = pd.DataFrame.sparse.from_spmatrix(membership, columns=self.get_feature_names_out())
            return frame.set_axis(X.index, axis=0) if isinstance(X, pd.DataFrame) else frame
        if output not in ("default", None):
            raise ValueError(
                f"transform's output is a sparse one-hot matrix ({n_rows:,} x {self.n_partitions_:,}), which "
                f"set_output(transform={output!r}) cannot hold; use set_output(transform='pandas') (a frame of "
                "sparse columns) or 'default' (a scipy sparse matrix)"
            )
        return membership

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output names of :meth:`transform`: ``partition_0 ... partition_{K-1}``.

        Parameters
        ----------
        input_features : array-like of str, optional
            Checked for length against ``n_features_in_``, otherwise unused: the outputs
            are partitions, not input features.

        Returns
        -------
        ndarray of object, shape (n_partitions_,)

        Raises
        ------
        ValueError
            If ``input_features`` has the wrong length.
        """
        check_is_fitted(self, "tree_")
        if input_features is not None and len(input_features) != self.n_features_in_:
            raise ValueError(
                f"input_features has {len(input_features)} names, expected {self.n_features_in_}"
            )
        return np.asarray([f"partition_{k}" for k in range(self.n_partitions_)], dtype=object)

    def partition_hierarchy(self) -> tuple[np.ndarray, np.ndarray]:
        """The tree above the partitions: each node's parent, and each partition's node.

        The seam local models use to shrink a partition's fit toward its ancestors'.

        Returns
        -------
        parent : ndarray of int64, shape (n_nodes,)
            Parent node of every tree node; -1 for the root (node 0). A parent's id is
            always smaller than its children's.
        partition_nodes : ndarray of int64, shape (n_partitions_,)
            The node (a leaf) of partition ``k``, for ``k`` in ``0 .. n_partitions_ - 1``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.

        Examples
        --------
        >>> import numpy as np
        >>> from hvrt import HVRTPartitioner
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> parent, nodes = HVRTPartitioner(max_leaf_nodes=3, engine="exact").fit(X).partition_hierarchy()
        >>> len(parent), len(nodes), int(parent[0])
        (5, 3, -1)
        """
        check_is_fitted(self, "tree_")
        left, right = self.tree_.children
        parent = np.full(len(left), -1, dtype=np.int64)
        internal = np.flatnonzero(left >= 0)
        parent[left[internal]] = internal
        parent[right[internal]] = internal
        return parent, self.tree_.leaf_ids.astype(np.int64)

    def partition_rules(self, precision: int | None = None, *, missing: str = "all") -> pd.DataFrame:
        """What each partition is: a pandas query over the original columns, with its size.

        ``X.query(rules.loc[k, "rule"], engine="python")`` selects exactly the rows of
        ``X`` that :meth:`get_partitions` puts in partition ``k``, on the training data
        and on new rows, whichever engine grew the tree. A rule joins one clause per
        column the partition's path splits on, in column order:

        - numeric bounds, merged along the path into one lower and one upper bound
          (``1.5 < carat <= 2.0``), written exactly as the tree splits (the exact engine
          compares float32 values, so its bounds can carry many digits); a float16 or
          float32 column's bounds are values of its width, the width pandas compares in;
        - category sets (``color in ['D', 'E']``); a partition that unseen categories
          reach is written with ``not in``, so unseen values match as they are labelled;
        - where missing values go (``x.isna()``, ``x.notna()``): with ``impute=True``,
          wherever the imputed value goes;
        - dates, durations and periods as quoted times
          (``date <= '2013-06-01 12:00:00'``), which pandas compares with the column, in
          its time zone when it has one; pyarrow dates and durations and columns of Python
          ``datetime`` / ``timedelta`` objects are converted first
          (``day.astype('datetime64[ms]') <= ...``).

        Column names that are not plain identifiers are in backticks. For array input
        the names are ``f0, f1, ...``: query ``pd.DataFrame(X, columns=p.feature_names_)``.

        Parameters
        ----------
        precision : int or None, default=None
            Significant digits of numeric bounds, for reading. ``None`` writes each bound
            exactly; rounded bounds can put rows that lie within the rounding of a bound
            on the wrong side. A bound on a date or duration column (any ``precision``)
            is written as the coarsest whole day, hour, minute, second, millisecond or
            microsecond that lies between the training values the split separates, so
            the rule still selects exactly the partition's training rows (new rows
            between those values may fall on either side); where no such time exists,
            or in a model file of an older version, to the nanosecond. Periods are
            written as periods either way.
        missing : {"all", "fit"}, default="all"
            ``"all"``: say where missing values go in every column a rule constrains, so
            the rule is exact on any rows, also those with missing values where the
            training data had none. ``"fit"``: only in the columns that had missing
            values at fit; shorter rules, exact on rows with no missing value in the
            other columns.

        Returns
        -------
        rules : DataFrame
            Indexed by partition (``0 .. n_partitions_ - 1``, index name ``partition``),
            with ``n_samples`` (training rows), the training mean of ``y`` when ``fit``
            had one (``y_mean``, or ``y_mean_<name>`` per output of a multi-output ``y``;
            missing values skipped) and ``rule``. ``n_samples`` and ``y_mean`` count the
            rows of :attr:`labels_`. For a partitioner grown cross-fitted (a
            :class:`~hvrt.PartitionedRegressor`'s ``partitioner_`` with target encoding)
            those are the rows as the tree grew, which for rare categories can differ from
            the training rows the rule selects: ``get_partitions(X_train)`` gives those.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``precision`` is not a positive int or None, or ``missing`` not "all" or "fit";
            if a rule must name a column that pandas' query cannot refer to, even in
            backticks (``inf`` or ``Inf``, which it reads as the number; a name holding a
            line break, a tab or a null character; a non-ASCII name Python reads as another,
            ``ℌ`` as ``H``): the message names the column, to rename before fitting.

        Notes
        -----
        A categorical column listed in ``categorical_features`` whose values are not
        strings, numbers or bools (dates as objects, say) is compared as text:
        ``x.astype('str') in [...]``. Such a column that also holds numbers, or a column of
        text and ``Decimal`` numbers, gets no rules (a ``ValueError`` naming it): the
        partitioner takes equal numbers as one category, which their texts are not
        (``Decimal('0.10')`` is not ``'0.1'``).

        A column named ``datetime``, ``Timestamp``, ``list`` or ``tuple`` is read as the
        column only where the code that calls ``query`` does not bind that name to
        something other than a class (``import datetime`` does): pandas looks these names
        up there first, backticks or not. Its category sets are written
        ``datetime.isin([...])``, so that there a rule raises rather than selects other
        rows (a bound compares whatever the name is bound to); ``X.query(rule,
        engine="python", local_dict={}, global_dict={})`` reads the column anywhere. Other
        names (``date``, ``time``, ``pd``, ``np``) are columns before the caller's variables.

        A bound on a float16 or float32 column is a value of that width (``a <= v``, or
        ``a < w`` with ``w`` the next value where that is shorter), so the rule is exact
        for values of that width: the column as fitted, or its values read as float64.
        That is the contract. :meth:`get_partitions` compares a float64 value with the
        tree's own threshold, which lies between ``v`` and ``w``: a value strictly between
        the two may be labelled on the other side from what the rule selects. Label and
        query such a batch in the column's width (``X.astype({"a": "float32"})``) for the
        two to agree.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from hvrt import HVRTPartitioner
        >>> X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "colour": ["red", "blue"] * 3})
        >>> y = [1.0, 9.0, 1.0, 9.0, 2.0, 8.0]
        >>> p = HVRTPartitioner(max_leaf_nodes=3, engine="hist").fit(X, y)
        >>> p.partition_rules(missing="fit")
                   n_samples    y_mean                                    rule
        partition
        0                  3  8.666667                      colour in ['blue']
        1                  2  1.000000  size <= 3.5 and colour not in ['blue']
        2                  1  2.000000   3.5 < size and colour not in ['blue']
        >>> p.partition_rules().loc[0, "rule"]  # new rows with a missing colour go here too
        "(colour in ['blue'] or colour.isna())"
        """
        check_is_fitted(self, "tree_")
        if precision is not None and not (_is_int(precision) and precision >= 1):
            raise ValueError(f"precision must be a positive int or None, got {precision!r}")
        if missing not in ("all", "fit"):
            raise ValueError(f"missing must be 'all' or 'fit', got {missing!r}")
        names = [str(name) for name in self.feature_names_]
        # (a model saved by an older version lacks these four: plain names, no times, no y, float64)
        rules = build_rules(
            self.tree_,
            self._preprocessor,
            names,
            dict(zip(names, getattr(self, "_column_labels", names))),
            {column: pd.api.types.pandas_dtype(name) for column, name in getattr(self, "_time_dtypes", {}).items()},
            precision,
            missing,
            getattr(self, "_time_ranges", None),  # (None in a model file of an older version)
            getattr(self, "_column_forms", None),
        )
        table = pd.DataFrame({"n_samples": self.partition_sizes_})
        y_means = getattr(self, "_y_means", None)
        if y_means is not None:
            means, names = y_means
            table = pd.concat([table, pd.DataFrame(means, columns=names)], axis=1)
        table["rule"] = rules
        table.index.name = "partition"
        return table

    def export_rules(self, precision: int | None = None, *, missing: str = "all") -> str:
        """The partition rules as text, one partition per line (for ``print``).

        Each line reads ``partition  n=<rows>  [y_mean=<mean>]  <rule>``, the rule being
        the query of :meth:`partition_rules` (whose ``n_samples`` and ``y_mean`` are those of
        :attr:`labels_`: for a partitioner grown cross-fitted, the rows as the tree grew).

        Parameters
        ----------
        precision : int or None, default=None
            Significant digits of numeric bounds, as in :meth:`partition_rules`.
        missing : {"all", "fit"}, default="all"
            Which columns' missing values the rules mention, as in :meth:`partition_rules`.

        Returns
        -------
        text : str

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            For an invalid ``precision`` or ``missing``.

        Examples
        --------
        >>> import pandas as pd
        >>> from hvrt import HVRTPartitioner
        >>> X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "colour": ["red", "blue"] * 3})
        >>> y = [1.0, 9.0, 1.0, 9.0, 2.0, 8.0]
        >>> p = HVRTPartitioner(max_leaf_nodes=3, engine="hist").fit(X, y)
        >>> print(p.export_rules(missing="fit"))
        0  n=3  y_mean=8.667  colour in ['blue']
        1  n=2  y_mean=1      size <= 3.5 and colour not in ['blue']
        2  n=1  y_mean=2      3.5 < size and colour not in ['blue']
        """
        table = self.partition_rules(precision, missing=missing)
        fields = [[str(k) for k in table.index], [f"n={n}" for n in table["n_samples"]]]
        fields += [[f"{column}={v:.4g}" for v in table[column]] for column in table.columns.drop(["n_samples", "rule"])]
        widths = [max(map(len, field)) for field in fields]
        fields[0] = [k.rjust(widths[0]) for k in fields[0]]
        fields[1:] = [[text.ljust(width) for text in field] for field, width in zip(fields[1:], widths[1:])]
        return "\n".join("  ".join(parts) for parts in zip(*fields, table["rule"]))

    def get_tree(self) -> object:
        """The fitted tree, for inspection.

        Returns
        -------
        DecisionTreeRegressor or HistTree
            scikit-learn's tree for the exact engine; for the histogram engine a
            ``HistTree`` of plain arrays (``feature``, ``threshold``, ``nan_left``,
            ``children_left``, ``children_right``, ``n_node_samples``, ``value``,
            ``depth``, ``bin_edges``, and for native categorical splits ``categorical``
            and ``category_left``). Its ``value`` with ``target="features"`` (and no ``y``
            blended in) holds the means of the target rounded to float32, which that tree
            is grown on: within about 6e-8 of a value of the float64 means.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        """
        check_is_fitted(self, "tree_")
        return self.tree_.get_tree()


# ``category_encoding="auto"`` one-hot encodes for the exact engine; past this many one-hot
# columns the exact fit slows visibly (10,000 rows: about 1 ms per extra column, 1.2 s at
# 1,000 categories against 0.07 s with target encoding), so the fit says why and what helps.
WIDE_ONE_HOT_COLUMNS = 256


def time_ranges(
    X: Any, frame: pd.DataFrame, labels: np.ndarray, n_partitions: int, columns: Sequence[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per time column in ``columns``, each partition's smallest and largest value among the
    rows of ``X`` (labelled ``labels``) in int64 nanoseconds, the int64 maximum and minimum
    where it has none (see :meth:`HVRTPartitioner._partition_time_ranges`). Ranges of row
    chunks merge by ``np.minimum`` / ``np.maximum`` (as ``hvrt.dask`` does).

    ``frame``: ``to_frame(X)``; the times are read from a pandas ``X`` as they are, from the
    float64 nanoseconds of ``frame`` otherwise, widened to every time they may stand for.
    """
    never, always = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    ranges = {}
    for column in columns:
        position = frame.columns.get_loc(column)
        exact = exact_nanoseconds(X.iloc[:, position]) if isinstance(X, pd.DataFrame) else None
        if exact is None:
            values = frame[column].to_numpy(dtype=np.float64)
            missing = np.isnan(values)
            whole = np.where(missing, 0.0, values)
            # one float64 stands for the integers within a spacing of it
            widen = np.ceil(np.spacing(np.abs(whole))).astype(np.int64)
            low_values = np.where(missing, never, whole.astype(np.int64) - widen)
            high_values = np.where(missing, always, whole.astype(np.int64) + widen)
        else:
            low_values = np.where(exact == always, never, exact)  # NaT: no value
            high_values = exact
        # (ufunc.at: 10 ms at 1M rows, where sorting by label took 270 ms)
        low = np.full(n_partitions, never, dtype=np.int64)
        high = np.full(n_partitions, always, dtype=np.int64)
        np.minimum.at(low, labels, low_values)
        np.maximum.at(high, labels, high_values)
        ranges[column] = (low, high)
    return ranges


def _transform_output(estimator: Any) -> str | None:
    """The container ``set_output`` asked of ``transform`` ("default", "pandas", "polars"), or
    the global ``sklearn.set_config(transform_output=...)`` when the estimator was not told."""
    configured = getattr(estimator, "_sklearn_output_config", {})
    if "transform" in configured:
        return configured["transform"]
    from sklearn import get_config

    return get_config().get("transform_output", "default")


def _warn_rare_native_levels(preprocessor: Preprocessor, tree_inputs: np.ndarray, params: GrowthParams) -> None:
    """Warn when ``"auto"``'s native splits cannot use a categorical's order: most of its
    rows are in categories below the engine's minimum rows for a category of its own
    (:func:`native_min_category_rows`), which are split as one group at every node, so the
    column helps the partitions no more than one-hot would (docs/performance.md, session 15)."""
    n_rows = len(tree_inputs)
    minimum = native_min_category_rows(n_rows, params.max_leaf_nodes)
    columns = preprocessor.categorical_columns
    codes = tree_inputs[:, tree_inputs.shape[1] - len(columns) :]
    rare = []
    for j, column in enumerate(columns):  # over the categorical columns, a handful
        present = codes[:, j][~np.isnan(codes[:, j])].astype(np.int64)
        counts = np.bincount(present)
        below = int(counts[(counts > 0) & (counts < minimum)].sum())
        if 2 * below > len(present) and int((counts > 0).sum()) > 3:  # 3 or fewer: one-vs-rest is every split
            rare.append(f"{column!r} ({below / len(present):.0%} of its rows in {int(((counts > 0) & (counts < minimum)).sum()):,} categories)")
    if not rare:
        return
    warnings.warn(
        f"category_encoding='auto' splits categoricals natively on the histogram engine, but most rows of "
        f"{', '.join(rare[:3])}{' and others' if len(rare) > 3 else ''} are in categories of fewer than "
        f"{minimum:,} rows, which native splits keep together as one group (ordering the means of so few rows "
        "fits noise); such a column helps the partitions no more than one-hot would. "
        "category_encoding='target' uses each category's mean target instead "
        "(pass category_encoding='native' to keep native splits without this warning)",
        UserWarning,
        stacklevel=4,
    )


# What the wide one-hot warning advises: in memory (the exact engine's one-hot) and in hvrt.dask
WIDE_ONE_HOT_ADVICE = {
    "exact": (
        " for the exact engine",
        "engine='hist' splits categoricals natively, and category_encoding='target' is fast on either engine",
    ),
    "dask": ("", "hvrt.dask has no native splits, and category_encoding='target' is fast"),
}


def warn_wide_one_hot(preprocessor: Preprocessor, where: str = "exact", stacklevel: int = 3) -> None:
    """Warn when ``"auto"`` one-hot encoded categoricals into more than
    ``WIDE_ONE_HOT_COLUMNS`` tree inputs, naming the widest columns, with the advice of
    ``where`` (a key of :data:`WIDE_ONE_HOT_ADVICE`)."""
    widths = preprocessor.encoded_widths()
    if preprocessor.native or sum(widths) <= WIDE_ONE_HOT_COLUMNS:
        return
    widest = sorted(zip(widths, preprocessor.categorical_columns, strict=True), reverse=True)[:3]
    named = ", ".join(f"{column!r} ({width:,})" for width, column in widest)
    engine, advice = WIDE_ONE_HOT_ADVICE[where]
    warnings.warn(
        f"category_encoding='auto' one-hot encodes the categorical columns into {sum(widths):,} tree inputs"
        f"{engine} (most categories: {named}), which makes the fit slow; {advice} "
        "(pass category_encoding='ohe' to keep one-hot without this warning)",
        UserWarning,
        stacklevel=stacklevel,
    )
