"""``DaskPartitionedRegressor``: per-partition cross-products reduced per chunk; per-partition estimators."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .._compat import import_dask, is_dask_collection
from .._grouped import GroupedStats, grouped_stats, merge_grouped
from .._grouped_products import GroupedProducts, grouped_cross_products, merge_shifted
from .._preprocessing import Preprocessor, cross_fitting_folds
from .._progress import StepLog
from .._target import zscore_scale
from .._validation import rounded_integers_warning
from ..local_models import (
    AUTO_FALLBACK,
    AUTO_MIN_ROWS,
    MAX_ONE_HOT_INPUTS,
    PARTITION_ON_AUTO,
    PartitionedRegressor,
    _batched_solve,
    _check_takes_weights,
    _in_context,
    _local_r2,
    _TreeSums,
    _weighted_ancestors,
    check_weight_sum,
    check_weight_values,
    default_partitioner,
    design_matrix,
    model_input_names,
    warn_of_wide_one_hot,
)
from ..partitioner import HVRTPartitioner
from ._collections import (
    _as_rows,
    _check_paired,
    _chunks_of,
    _compute,
    _delayed,
    _fit_delayed,
    _known_rows,
    _paired_chunks,
    _target_chunks,
)
from ._reductions import _frame_of, _merge_moments, _raw_categoricals, _target_values
from ._scaling import _fit_scaling
from ._gathering import _concat_rows, _concat_target, _gather
from ._labelling import _checked_apply, _label_block, _map_rows
from ._encoding import _CrossFitted, _fit_cross_fitted_inputs
from ._partitioner import DaskHVRTPartitioner, _DaskNamedPartitioner, _labeller


# --------------------------------------------------------------------------- local models


class _DaskNamedRegressor(PartitionedRegressor):
    """The in-memory regressor that predicts a :class:`DaskPartitionedRegressor`'s chunks:
    its errors and warnings name the class the user holds."""


_DaskNamedRegressor.__name__ = "DaskPartitionedRegressor"  # (pickled by __qualname__)


def _regression_chunk(part: Any, y_part: Any, w_part: Any, model_inputs: _ModelInputs, folds: np.ndarray | None) -> dict[str, Any]:
    """One chunk's weighted input moments and response summary (its range over the rows
    with weight, as in memory)."""
    _check_paired(y_part, part, "y")
    if w_part is not None:
        _check_paired(w_part, part, "sample_weight")
    frame = _frame_of(part, _raw_categoricals(model_inputs.preprocessor))
    inputs = model_inputs.inputs(frame, folds)
    response = _checked_chunk_response(y_part, len(frame))
    weights = _checked_chunk_weights(w_part, len(frame))
    total = weights.sum()
    mean = weights @ inputs / total if total > 0 else np.zeros(inputs.shape[1])
    deviation = inputs - mean
    # the corrected two-pass form, merged by _merge_moments (see column_pass): a 1e14 + N(0, 10)
    # input's spread came out 1e-5 off where the chunks' means' rounding stayed in
    shift = weights @ deviation
    residual = shift / total if total > 0 else np.zeros(inputs.shape[1])
    m2 = np.maximum(weights @ deviation**2 - shift * residual, 0.0)
    # the rows that count for clip="y": a zero-weighted outlier is not in the range (in memory)
    counted = response if w_part is None else response[weights > 0]
    return {
        "weight": total,
        "moments": (np.full(inputs.shape[1], total), mean, residual, m2),
        "response_sum": float(weights @ response),
        "low": float(counted.min()) if len(counted) else np.inf,
        "high": float(counted.max()) if len(counted) else -np.inf,
    }


def _checked_chunk_response(y_part: Any, n_rows: int) -> np.ndarray:
    values = _target_values(y_part)
    if len(values) != n_rows:
        raise ValueError(f"y has {len(values)} rows in a chunk where X has {n_rows}; they must match")
    if values.shape[1] != 1:
        raise ValueError(f"y must be 1-D, got {values.shape[1]} columns")
    values = values[:, 0]
    if np.isnan(values).any():
        raise ValueError(
            f"y has {int(np.isnan(values).sum())} missing value(s); every training row needs a finite target"
        )
    return values


def _checked_chunk_weights(w_part: Any, n_rows: int) -> np.ndarray:
    """One chunk's weights, by the in-memory rule (``local_models.check_weight_values``)."""
    if w_part is None:
        return np.ones(n_rows)
    if isinstance(w_part, (pd.Series, pd.DataFrame)):
        values = w_part.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(w_part, dtype=np.float64)
    weights = _as_rows(values)
    if weights.shape != (n_rows, 1):
        raise ValueError(f"sample_weight has shape {weights.shape} in a chunk where X has {n_rows} rows; one weight per row")
    weights = weights[:, 0]
    check_weight_values(weights)
    return weights


@dataclass
class _ModelInputs:
    """A chunk's model inputs at fit: the preprocessing's, target encodings cross-fitted
    (``crossed``, given each row's fold) as in memory."""

    preprocessor: Preprocessor
    crossed: _CrossFitted | None = None

    def inputs(self, frame: pd.DataFrame, folds: np.ndarray | None) -> np.ndarray:
        if self.crossed is None:
            return self.preprocessor.tree_inputs(frame)
        return self.crossed.inputs(self.preprocessor, frame, folds)


@dataclass
class _Design:
    """Everything a chunk needs to build its standardised design and centred response."""

    model_inputs: _ModelInputs
    input_mean: np.ndarray
    input_scale: np.ndarray
    response_mean: float

    @property
    def preprocessor(self) -> Preprocessor:
        return self.model_inputs.preprocessor

    def design(self, frame: pd.DataFrame, folds: np.ndarray | None) -> np.ndarray:
        return design_matrix(self.model_inputs.inputs(frame, folds), self.input_mean, self.input_scale)


def _chunk_products(
    part: Any,
    y_part: Any,
    w_part: Any,
    design_of: _Design,
    local: HVRTPartitioner | None,
    box: bool,
    folds: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> tuple[GroupedProducts, np.ndarray, GroupedStats | None]:
    """One chunk's per-partition cross-products (one group without ``local``), weights and box.

    A partition's sums are taken less one of its rows (shifted; merged across chunks by
    :func:`_merge_products`), the one group's plain (the global ridge's). ``folds``: the
    rows' cross-fitting folds (target-encoded model inputs); ``labels``: the rows' labels
    where the tree grew on them (cross-fitted encodings), else ``local`` labels the chunk.
    """
    frame = _frame_of(part, _raw_categoricals(design_of.preprocessor))
    design = design_of.design(frame, folds)
    centred = _checked_chunk_response(y_part, len(frame)) - design_of.response_mean
    weights = _checked_chunk_weights(w_part, len(frame))
    if local is None:
        labels, n_groups = np.zeros(len(frame), dtype=np.int64), 1
    elif labels is not None:
        n_groups = local.n_partitions_
    else:
        labels, n_groups = _label_block(part, local), local.n_partitions_  # the raw chunk, as at fit
    products = grouped_cross_products(design, centred, labels, n_groups, weights, shifted=local is not None)
    weight_sums = np.bincount(labels, weights=weights, minlength=n_groups)
    stats = grouped_stats(design[:, 1:], labels) if box else None
    return products, weight_sums, stats


def _merge_products(parts: list[GroupedProducts]) -> GroupedProducts:
    """The chunks' shifted sums of every partition, merged about one row of the partition:
    exact however far a partition lies from the origin (adding plain sums is not)."""
    return functools.reduce(merge_shifted, parts)


def _sum_products(parts: list[GroupedProducts]) -> GroupedProducts:
    return GroupedProducts(
        gram=np.sum([p.gram for p in parts], axis=0),
        moment=np.sum([p.moment for p in parts], axis=0),
        response_square=np.sum([p.response_square for p in parts], axis=0),
    )


def _residual_chunk(part: Any, y_part: Any, design_of: _Design, root: np.ndarray, folds: np.ndarray | None) -> np.ndarray:
    frame = _frame_of(part, _raw_categoricals(design_of.preprocessor))
    return _checked_chunk_response(y_part, len(frame)) - design_of.response_mean - design_of.design(frame, folds) @ root


class DaskPartitionedRegressor(PartitionedRegressor):
    """:class:`~hvrt.PartitionedRegressor` on a ``dask.array`` or ``dask.dataframe``.

    The parameters are :class:`~hvrt.PartitionedRegressor`'s; ``partitioner`` is an
    :class:`~hvrt.HVRTPartitioner` whose parameters a :class:`DaskHVRTPartitioner` takes
    over (its ``max_samples`` sets the rows gathered to grow the tree). The model inputs'
    scaling, the global ridge and every partition's ``XᵀWX`` and ``XᵀWy`` are sums over the
    rows, computed where each chunk lives and added; the batched shrinkage solve runs once
    on the client. Given the same partitions, the coefficients are those of the in-memory
    estimator.

    The choices made by cross-validation (``shrinkage="auto"``, ``partition_on="auto"``) run
    the in-memory estimator on the partitioner's sample gathered to the client (the
    validation needs row-level folds and a second partitioner); with a fixed
    ``shrinkage`` and ``partition_on`` nothing but that sample is gathered.

    With ``estimator``, a clone is fitted per partition as in memory, on the partition's
    rows gathered from every chunk in row order into one task (each partition's rows must
    fit in one worker); ``n_jobs`` is not used, Dask runs the fits.

    Attributes
    ----------
    partitioner_ : DaskHVRTPartitioner
    Others
        As :class:`~hvrt.PartitionedRegressor`.

    Examples
    --------
    >>> import dask.array as da
    >>> from hvrt import HVRTPartitioner
    >>> from hvrt.dask import DaskPartitionedRegressor
    >>> X = da.random.default_rng(0).uniform(-3, 3, size=(4000, 2), chunks=(1000, 2))
    >>> y = 2 * X[:, 0] + X[:, 1]
    >>> model = DaskPartitionedRegressor(HVRTPartitioner(max_leaf_nodes=4), shrinkage=10.0, partition_on="y")
    >>> round(float(model.fit(X, y).coef_[0, 0]), 6)
    2.0
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DaskPartitionedRegressor:
        """Fit the global model, the partitions and one shrunk model per partition.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
        y : dask array or dask Series of shape (n_samples,)
            Finite numbers, as many as X has rows: a dask Series with a dask DataFrame X
            must carry X's index (as in memory); otherwise matched by position.
        sample_weight : dask array or dask Series of shape (n_samples,), default=None
            Non-negative row weights for every linear model, at most 1e150 (the in-memory
            rule, checked in every chunk); paired with X as ``y`` is.

        Returns
        -------
        self : DaskPartitionedRegressor

        Raises
        ------
        ValueError
            For an invalid parameter, a y or sample_weight that is non-numeric, of another
            length or index than X or (when computed) not finite, and the partitioner's
            input errors.
        TypeError
            For inputs that are not Dask collections, a partitioner or estimator of the
            wrong type, or ``sample_weight`` with an estimator whose ``fit`` takes neither
            ``sample_weight`` nor ``**kwargs`` (R20).
        """
        self._check_params()
        if y is None:
            raise ValueError("DaskPartitionedRegressor requires y to be passed, but the target y is None")
        if self.estimator is not None and sample_weight is not None:
            _check_takes_weights(self.estimator)  # (R20, before any computation)
        log = StepLog(self.verbose, type(self).__name__)
        chunks = _chunks_of(X)
        template = default_partitioner() if self.partitioner is None else clone(self.partitioner)
        partitioner = DaskHVRTPartitioner(**template.get_params(deep=False))
        if self.verbose:
            partitioner.set_params(verbose=True)
        _target_chunks(y, _known_rows(X))
        if sample_weight is not None:
            _target_chunks(sample_weight, name="sample_weight")

        # 1. the model inputs' preprocessing (imputing), fitted on y as in memory
        log(f"model inputs' preprocessing from {len(chunks.parts)} chunks")
        scaling, y_chunks = _fit_scaling(
            X,
            chunks,
            y,
            categorical_features=partitioner.categorical_features,
            weights=None,
            scaler=None,
            impute=True,
            category_encoding=partitioner.category_encoding,
            target_mode="sum",
            y_weight=1.0,
            response=True,
        )
        n_rows = scaling.n_rows
        w_chunks = [None] * len(chunks.parts)
        if sample_weight is not None:
            length = sample_weight.shape[0] if isinstance(sample_weight, import_dask().array.Array) else None
            if length is not None and not np.isnan(length) and length != n_rows:
                raise ValueError(f"sample_weight has {length} rows but X has {n_rows}; they must match")
            # paired as y is (by index, or by position; K22), its chunks' sizes counted if unknown
            w_chunks = _paired_chunks(sample_weight, X, chunks, "sample_weight", [scaling.chunk_rows, scaling.index_repeats])
        preprocessor = scaling.preprocessor
        widths = dict(zip(preprocessor.categorical_columns, preprocessor.encoded_widths()))
        if partitioner.category_encoding == "auto" and sum(widths.values()) > MAX_ONE_HOT_INPUTS:
            # as in memory: beyond MAX_ONE_HOT_INPUTS one-hot inputs, target encoding (its
            # encoder replaces the one-hot one below)
            warn_of_wide_one_hot(widths, stacklevel=3)
            template.set_params(category_encoding="target")
            partitioner.set_params(category_encoding="target")
        # each row's cross-fitting fold, seeded before anything draws from a RandomState (as in memory)
        encoded_inputs = partitioner.category_encoding == "target" and bool(preprocessor.categorical_columns)
        every_fold = cross_fitting_folds(n_rows, partitioner.random_state) if encoded_inputs else None
        selection = partitioner._subsample(n_rows)
        rows = np.arange(n_rows) if selection is None else selection
        auto_shrinkage = isinstance(self.shrinkage, str)
        candidates = PARTITION_ON_AUTO if self.partition_on == "auto" else (self.partition_on,)
        # as in memory: no cross-validation with an estimator (its shrinkage_ is None)
        validate = self.estimator is None and n_rows >= AUTO_MIN_ROWS and (auto_shrinkage or len(candidates) > 1)
        sample = None
        if validate:
            pieces = _compute(
                _gather(chunks.parts, scaling.chunk_rows, rows),
                _gather(y_chunks, scaling.chunk_rows, rows, chunks.parts),
                [] if sample_weight is None else _gather(w_chunks, scaling.chunk_rows, rows, chunks.parts, "sample_weight"),
            )
            sample = (
                _concat_rows(pieces[0], list(chunks.dtypes.index), _raw_categoricals(preprocessor)),
                _concat_target(pieces[1])[:, 0],
                _concat_target(pieces[2])[:, 0] if sample_weight is not None else None,
            )
        model_inputs = _ModelInputs(preprocessor)
        folds: list[np.ndarray | None] = [None] * len(chunks.parts)
        if every_fold is not None:
            # cross-fitted as in memory: each row's fold from its position, the folds'
            # statistics reduced where the rows live
            log("cross-fitted target encoding of the model inputs")
            folds = np.split(every_fold, np.cumsum(scaling.chunk_rows)[:-1])
            model_inputs.crossed = _fit_cross_fitted_inputs(
                preprocessor, chunks, y_chunks, scaling, folds, partitioner.random_state
            )

        # 2. weighted input means and spreads, the response's mean and range
        log(f"input scaling and the global ridge, {n_rows:,} rows")
        summarise = _fit_delayed(_regression_chunk)
        (summaries,) = _compute(
            [summarise(p, yp, wp, model_inputs, f) for p, yp, wp, f in zip(chunks.parts, y_chunks, w_chunks, folds)]
        )
        weight_parts = np.array([s["weight"] for s in summaries])
        weight_sum = weight_parts.sum()
        check_weight_sum(float(weight_sum))
        _, input_mean, m2 = _merge_moments([s["moments"] for s in summaries])  # weights for counts
        # constant by the in-memory test (local_models.input_scaling)
        input_scale, _ = zscore_scale(input_mean, m2 / weight_sum)
        design_of = _Design(
            model_inputs=model_inputs,
            input_mean=input_mean,
            input_scale=input_scale,
            response_mean=float(sum(s["response_sum"] for s in summaries) / weight_sum),
        )
        response_range = (min(s["low"] for s in summaries), max(s["high"] for s in summaries))

        # 3. the global ridge, from the chunks' cross-products
        products_of = _fit_delayed(_chunk_products)
        (root_parts,) = _compute(
            [
                products_of(p, yp, wp, design_of, None, False, f)
                for p, yp, wp, f in zip(chunks.parts, y_chunks, w_chunks, folds)
            ]
        )
        root_products = _sum_products([part[0] for part in root_parts])
        width = root_products.gram.shape[1]
        ridge = np.diag(np.r_[0.0, np.full(width - 1, float(self.alpha))])
        root = _batched_solve(root_products.gram + ridge, root_products.moment)[0]

        # 4. the choices cross-validation makes, on the gathered sample
        if validate:
            frame, response, weights = sample
            log(f"cross-validating the choices on {len(frame):,} gathered rows")
            chooser = PartitionedRegressor(**{**self.get_params(deep=False), "partitioner": template})
            with rounded_integers_warning("elsewhere"):  # X27: the partitioner's fit (below) warns
                chooser.fit(frame if chunks.is_frame else frame.to_numpy(), response, weights)
            self.partition_on_ = chooser.partition_on_
            self.shrinkage_ = chooser.shrinkage_
            self.shrinkage_path_ = chooser.shrinkage_path_
        else:
            self.partition_on_ = candidates[0]
            self.shrinkage_ = AUTO_FALLBACK if auto_shrinkage else float(self.shrinkage)
            self.shrinkage_path_ = None

        # 5. the partitions, grown on the residual, y or X alone
        guide = None
        if self.partition_on_ == "y":
            guide = y
        elif self.partition_on_ == "residual":
            dask = import_dask()
            residual = _fit_delayed(_residual_chunk)
            guide = dask.array.concatenate(
                [
                    dask.array.from_delayed(residual(p, yp, design_of, root, f), shape=(int(n),), dtype=np.float64)
                    for p, yp, n, f in zip(chunks.parts, y_chunks, scaling.chunk_rows, folds)
                ]
            )
        # its own target encoding cross-fitted for the rows its tree grows on, as in memory
        # (local_models._fit_cross_fitted), where it grows on every row gathered
        partitioner._cross_fitted_encoding = True
        try:
            partitioner.fit(X, guide)
        finally:
            del partitioner._cross_fitted_encoding
        local = partitioner.to_local()
        # the rows' labels from the cross-fitted encodings the tree grew on (None: labelled by chunk)
        grown = partitioner.__dict__.pop("_grown_labels", None)
        grown_labels = [None] * len(chunks.parts) if grown is None else np.split(grown, np.cumsum(scaling.chunk_rows)[:-1])

        # 6. per-partition cross-products, summed across chunks; the solve on the client
        log(f"per-partition cross-products of {local.n_partitions_} partitions")
        box = self.clip == "xy"
        (parts,) = _compute(
            [
                products_of(p, yp, wp, design_of, local, box, f, g)
                for p, yp, wp, f, g in zip(chunks.parts, y_chunks, w_chunks, folds, grown_labels)
            ]
        )
        self._weight_sums = np.sum([part[1] for part in parts], axis=0)
        if self.estimator is None:
            products = _merge_products([part[0] for part in parts])
            tree = _TreeSums.from_partitioner(local)
            # centred up the tree and solved as in memory: exact far from the origin
            nodes = tree.centred_node_sums(products)
            self._coef = tree.centred_solve(
                nodes, self.shrinkage_, self._level_shrinkage(self.shrinkage_), float(self.alpha)
            )
            self._local_r2 = _local_r2(tree.partitions_of(nodes), self._coef, design_of.response_mean)
            self.estimators_ = None
        else:
            log(f"fitting {type(self.estimator).__name__} on each of {local.n_partitions_} partitions' rows")
            self._coef = None
            self.shrinkage_ = None
            self._estimator_inputs = "standardised"  # as in memory: the design's columns, standardised
            self.estimators_ = _fit_estimators_distributed(
                self.estimator,
                local,
                self._weight_sums if sample_weight is not None else None,
                [chunks.parts, y_chunks, w_chunks, folds, grown_labels],
                design_of,
            )
        if box:
            stats = merge_grouped([part[2] for part in parts if part[2].n_partitions > 0])
            low = np.full((local.n_partitions_, width - 1), np.nan)
            high = np.full((local.n_partitions_, width - 1), np.nan)
            low[stats.partition_ids] = stats.minimum
            high[stats.partition_ids] = stats.maximum
            self._box_low, self._box_high = low, high

        self._preprocessor = preprocessor
        # a missing numeric value's fill at predict, as in memory: the column's mean at fit
        self._numeric_fill = np.array(scaling.x_mean, dtype=np.float64)
        self._fitted_with_names = chunks.is_frame
        self._input_mean = design_of.input_mean
        self._input_scale = design_of.input_scale
        self._response_mean = design_of.response_mean
        self._root = root
        self._response_range = response_range
        self.partitioner_ = partitioner
        self.n_partitions_ = local.n_partitions_
        self.n_features_in_ = len(chunks.dtypes)
        self.feature_names_in_ = np.asarray(list(chunks.dtypes.index), dtype=object)
        self.model_input_names_ = np.asarray(model_input_names(preprocessor), dtype=object)
        log(f"fitted: {self.n_partitions_} partition models")
        return self

    def to_local(self) -> PartitionedRegressor:
        """The equivalent in-memory regressor: same parameters, partitions and coefficients.

        Returns
        -------
        PartitionedRegressor

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        """
        check_is_fitted(self, "partitioner_")
        local = PartitionedRegressor(**self.get_params(deep=False))
        state = {key: value for key, value in self.__dict__.items() if key not in self.get_params(deep=False)}
        state["partitioner_"] = self.partitioner_.to_local()
        local.__dict__.update(state)
        return local

    def predict(self, X: Any) -> Any:
        """Predict with each row's partition model, lazily for Dask input.

        Parameters
        ----------
        X : dask array, dask DataFrame, or in-memory input of :class:`~hvrt.PartitionedRegressor`

        Returns
        -------
        dask array, dask Series (named ``prediction``) or ndarray of float64

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            For chunks along the columns; when computed, the in-memory estimator's errors.
        """
        local = _labeller(self.to_local(), _DaskNamedRegressor)  # (errors name this class)
        local.partitioner_ = _labeller(local.partitioner_, _DaskNamedPartitioner)
        if not is_dask_collection(X):
            return local.predict(X)
        return _map_rows(X, _predict_block, local, np.float64, "prediction")


def _fit_estimators_distributed(
    estimator: Any,
    local: HVRTPartitioner,
    partition_weight: np.ndarray | None,
    chunk_inputs: list[list[Any]],
    design_of: _Design,
) -> list[Any]:
    """A clone of ``estimator`` per partition, fitted as in memory
    (``PartitionedRegressor._fit_estimators``) on the partition's rows gathered from every
    chunk in row order: their standardised model inputs, response and (given) weights, the
    weights passed as they are. A partition whose rows all weigh zero takes the estimator
    fitted on the rows of its nearest ancestor node with weight. Each chunk splits its rows
    by group where it lives; each group's pieces meet in one task, which fits the clone."""
    n_partitions = local.n_partitions_
    if partition_weight is None:
        groups = [[k] for k in range(n_partitions)]
        names = [f"partition {k}" for k in range(n_partitions)]
        stand_in = {}
    else:
        fitted = [k for k in range(n_partitions) if partition_weight[k] > 0]
        # each partition as one row: a node's "rows" are then the partitions under it
        stand_in = _weighted_ancestors(local, partition_weight, np.arange(n_partitions))
        groups = [[k] for k in fitted] + [list(under) for _, under in stand_in.values()]
        names = [f"partition {k}" for k in fitted] + [
            f"node {node} (for partition(s) {sorted(ks)}, whose rows all weigh 0)" for node, (ks, _) in stand_in.items()
        ]
    split = _fit_delayed(_estimator_rows_chunk)
    pieces = [
        split(p, yp, wp, design_of, local, groups, f, g, partition_weight is not None)
        for p, yp, wp, f, g in zip(*chunk_inputs)
    ]
    pick, fit = _delayed(_piece), _delayed(_fit_one_estimator)
    tasks = [
        fit([pick(piece, i) for piece in pieces], estimator=estimator, name=name) for i, name in enumerate(names)
    ]
    (models,) = _compute(tasks)
    estimators: list[Any] = [None] * n_partitions
    for group, model in zip(groups[: len(groups) - len(stand_in)], models):
        estimators[group[0]] = model
    for (ks, _), model in zip(stand_in.values(), models[len(groups) - len(stand_in) :]):
        for k in ks:
            estimators[k] = model
    return estimators


def _estimator_rows_chunk(
    part: Any,
    y_part: Any,
    w_part: Any,
    design_of: _Design,
    local: HVRTPartitioner,
    groups: list[list[int]],
    folds: np.ndarray | None,
    labels: np.ndarray | None,
    weighted: bool,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """One chunk's rows of each group of partitions, in row order: standardised model
    inputs (the design without its intercept column), response and weights (None unweighted).
    ``labels``: the rows' labels where the tree grew on them, else ``local`` labels the chunk."""
    frame = _frame_of(part, _raw_categoricals(design_of.preprocessor))
    inputs = design_of.design(frame, folds)[:, 1:]
    response = _checked_chunk_response(y_part, len(frame))
    weights = _checked_chunk_weights(w_part, len(frame)) if weighted else None
    if labels is None:
        labels = _label_block(part, local)  # the raw chunk, as at fit
    order = np.argsort(labels, kind="stable")  # each partition's rows, in row order
    bounds = np.searchsorted(labels[order], np.arange(local.n_partitions_ + 1))
    out = []
    for group in groups:
        rows = order[bounds[group[0]] : bounds[group[0] + 1]] if len(group) == 1 else np.flatnonzero(np.isin(labels, group))
        out.append((inputs[rows], response[rows], None if weights is None else weights[rows]))
    return out


def _piece(pieces: list[Any], i: int) -> Any:
    return pieces[i]


def _fit_one_estimator(pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]], *, estimator: Any, name: str) -> Any:
    """``clone(estimator)`` fitted on a group's rows from every chunk, in chunk order (row
    order, as in memory), errors named by the group as in memory."""
    inputs = np.concatenate([piece[0] for piece in pieces])
    response = np.concatenate([piece[1] for piece in pieces])
    model = clone(estimator)
    try:
        if pieces[0][2] is None:
            return model.fit(inputs, response)
        return model.fit(inputs, response, sample_weight=np.concatenate([piece[2] for piece in pieces]))
    except Exception as error:
        raise _in_context(error, f"estimator {type(estimator).__name__} failed to fit {name} ({len(inputs):,} rows)") from error


def _predict_block(block: Any, local: PartitionedRegressor) -> np.ndarray:
    if len(block) == 0:
        return np.empty(0)
    partitioner = local.partitioner_
    raw = _raw_categoricals(local._preprocessor)
    if isinstance(block, pd.DataFrame) and (raw or _raw_categoricals(partitioner._preprocessor)):
        # read as the labelling reads it (see _checked_apply): the in-memory predict reads
        # the chunk alone, and a chunk holding only the dates of a column of dates and
        # other values would reach its categories as nanoseconds, matching none
        inputs = local._inputs_of_frame(_frame_of(block, raw), True)
        return local._predict_inputs(inputs, lambda: _checked_apply(block, partitioner, partitioner._leaf_to_label))
    return local.predict(block)
