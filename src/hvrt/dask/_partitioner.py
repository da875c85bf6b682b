"""``DaskHVRTPartitioner``: the partitioner on Dask collections."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._compat import is_dask_collection
from .._engines import ENGINES, resolve_engine, target_dtype
from .._preprocessing import cross_fitting_encoder, rounding_warned_elsewhere
from .._progress import StepLog
from .._validation import TIME_DTYPES
from ..partitioner import HVRTPartitioner, _encoding_name, warn_wide_one_hot
from ._collections import _chunks_of, _compute, _delayed, _known_rows, _target_chunks, _target_names
from ._reductions import _meta_of
from ._scaling import _fit_scaling, _imputed_categories
from ._gathering import _gather_with_blend
from ._labelling import _fit_chunk_facts, _label_block, _leaf_block, _map_rows, _merge_time_ranges, _zones_as_settled
from ._encoding import _fit_target_encoder, _fit_target_encoder_distributed
from ._hist_route import _grow_distributed


# Up to this many rows (and max_samples=None) the tree grows in memory on all rows gathered
# to the client (about 80 MB at 10 columns; the in-memory hist engine grows 1M rows in well
# under a second); above it, on every row where it lives (route="hist").
DEFAULT_SAMPLE_ROWS = 1_000_000
ROUTES = ("auto", "sample", "hist")


# --------------------------------------------------------------------------- the partitioner


class _DaskNamedPartitioner(HVRTPartitioner):
    """The in-memory partitioner that labels a :class:`DaskHVRTPartitioner`'s chunks (its
    :meth:`~DaskHVRTPartitioner.to_local` state): its errors and warnings name the class
    the user holds, not ``HVRTPartitioner``."""


_DaskNamedPartitioner.__name__ = "DaskHVRTPartitioner"  # (what type(self).__name__ gives; pickled by __qualname__)


def _labeller(local: Any, cls: type) -> Any:
    """``local`` (an in-memory estimator) as an instance of ``cls``, a subclass named as the
    Dask estimator it stands for, with the same state."""
    labeller = cls.__new__(cls)
    labeller.__dict__.update(local.__dict__)
    return labeller


class DaskHVRTPartitioner(HVRTPartitioner):
    """:class:`~hvrt.HVRTPartitioner` on a ``dask.array`` or ``dask.dataframe``.

    The parameters are :class:`~hvrt.HVRTPartitioner`'s. The scaling statistics come from
    all rows (one distributed pass); the tree grows in memory on a gathered sample, or
    (above :data:`DEFAULT_SAMPLE_ROWS` rows) from histograms of every row built where the
    rows live: see ``route`` in :meth:`fit` and the module docstring. Labelling is lazy and
    runs where the data lives.

    Parameters
    ----------
    max_samples : int >= 2, float in (0, 1] or None, default=None
        Rows gathered to grow the tree on (or this fraction of the rows), on the sample
        route. ``None``: every row (gathered up to :data:`DEFAULT_SAMPLE_ROWS` rows, on the
        hist route above). The rows drawn are those the in-memory
        ``HVRTPartitioner(max_samples=...)`` draws from the same number of rows and
        ``random_state``.
    **other parameters
        As :class:`~hvrt.HVRTPartitioner`. ``max_leaf_nodes="auto"`` and ``engine="auto"``
        are resolved from the number of rows of the whole collection.

    Attributes
    ----------
    labels_ : dask array or dask Series of int64
        Lazy labels of the training rows (``get_partitions(X)``).
    partition_sizes_ : ndarray of shape (n_partitions_,)
        Training rows per partition, counted across all chunks.
    n_samples_fit_ : int
        Rows the tree was grown on (the sample, or all rows).
    route_ : str
        ``"sample"`` or ``"hist"``: how the tree was grown.
    Others
        As :class:`~hvrt.HVRTPartitioner`.

    Examples
    --------
    >>> import dask.array as da
    >>> from hvrt.dask import DaskHVRTPartitioner
    >>> X = da.random.default_rng(0).normal(size=(4000, 3), chunks=(1000, 3))
    >>> model = DaskHVRTPartitioner(max_leaf_nodes=8).fit(X)
    >>> labels = model.get_partitions(X)  # lazy
    >>> int(labels.max().compute()) + 1
    8
    """

    def fit(self, X: Any, y: Any = None, *, route: str = "auto") -> DaskHVRTPartitioner:
        """Grow the tree on a sample of ``X`` scaled with statistics of all its rows.

        Parameters
        ----------
        X : dask array or dask DataFrame of shape (n_samples, n_features)
            A dask array must be numeric and hold whole rows in each chunk (one chunk
            along the columns). A DataFrame may hold categorical columns.
        y : dask array, Series or DataFrame of shape (n_samples,) or (n_samples, n_targets), default=None
            Numeric values that should guide the partitions (see ``y_weight``), as many
            rows as X: a dask Series with a dask DataFrame X must carry X's index (as in
            memory); otherwise matched by position.
        route : {"auto", "sample", "hist"}, default="auto"
            ``"sample"``: grow the tree in memory on the gathered sample. ``"hist"``: grow a
            histogram tree on every row where it lives. ``"auto"``: ``"hist"`` when
            ``max_samples`` is None, the engine is not ``"exact"`` and the data has more than
            :data:`DEFAULT_SAMPLE_ROWS` rows; ``"sample"`` otherwise.

        Returns
        -------
        self : DaskHVRTPartitioner

        Raises
        ------
        TypeError
            If X or y is not a Dask collection, or a dask array X is not numeric.
        ValueError
            For chunks along the columns, a non-numeric y, a y of another length or
            (a dask Series) another index than X's, a ``scaler`` whose output depends on
            the rows it is given, an unknown ``route`` (or ``"hist"`` with ``engine="exact"`` or ``max_samples``),
            and the in-memory estimator's errors (invalid parameters, ±inf, empty columns).
        """
        log = StepLog(self.verbose, type(self).__name__)
        chunks = _chunks_of(X)
        columns = list(chunks.dtypes.index)
        if y is not None:
            _target_chunks(y, _known_rows(X))  # the dtype and length checks, before any computation
        self._check_params(2)
        edge_sample = None
        if y is None and chunks.lengths is not None and self._resolve_route(route, int(chunks.lengths.sum())) == "hist":
            from .._hist._distributed import edge_rows

            # the rows that place the bin edges, gathered by the scaling pass (one pass less)
            edge_sample = edge_rows(int(chunks.lengths.sum()), self.random_state)
        log(f"scaling statistics of {len(chunks.parts)} chunks x {len(columns)} columns")
        scaling, y_chunks = _fit_scaling(
            X,
            chunks,
            y,
            categorical_features=self.categorical_features,
            weights=self.weights,
            scaler=self.scaler,
            impute=bool(self.impute),
            category_encoding=self.category_encoding,
            target_mode=self.target,
            y_weight=float(self.y_weight),
            take=edge_sample,
            # not for DaskPartitionedRegressor's trees (cross-fitted), as in memory: it warns itself
            warn_rounded_y=not getattr(self, "_cross_fitted_encoding", False),
            warn_constants=not getattr(self, "_cross_fitted_encoding", False),
        )
        n_rows = scaling.n_rows
        params = self._check_params(n_rows)
        if self.category_encoding == "auto":
            # the in-memory warning, with the advice that holds here: no native splits in Dask
            warn_wide_one_hot(scaling.preprocessor, "dask")
        route = self._resolve_route(route, n_rows)
        log(f"{n_rows:,} rows; growing the tree on the {route} route")
        # the target the in-memory fit grows on (float32 for the histogram engine's features
        # target), so that both routes grow the in-memory tree
        encoded = self.category_encoding == "target" and bool(scaling.preprocessor.categorical_columns)
        engine = "hist" if route == "hist" else resolve_engine(self.engine, n_rows)
        scaling.dtype = target_dtype(engine, self.target, encoded)
        if route == "hist":
            rows = np.arange(n_rows)
            edge_pieces = scaling.taken
            preprocessor, tree = _grow_distributed(
                chunks, y_chunks, scaling, params, self.random_state, self.category_encoding, log, edge_pieces
            )
            engine = "hist"
        else:
            sample = self._subsample(n_rows)
            rows = np.arange(n_rows) if sample is None else sample
            log(f"gathering {len(rows):,} rows to the client")
            frame, y_values = _gather_with_blend(chunks, y_chunks, scaling, rows)
            preprocessor = scaling.preprocessor
            # the encoder from every row, as in memory: on the gathered rows when they are all
            every_row = sample is None
            target, guide = scaling.guided_target(frame, y_values, encoded and every_row)
            if encoded and every_row:
                _fit_target_encoder(preprocessor, frame, guide, self.random_state)
            elif encoded:
                log("target encoding from every row")
                _fit_target_encoder_distributed(preprocessor, chunks, y_chunks, scaling, self.random_state)
            guide_for_crossing = guide
            del guide
            with rounding_warned_elsewhere():  # warned of once by the scaling pass
                tree_inputs = preprocessor.tree_inputs(frame)
            # DaskPartitionedRegressor's flag (as local_models._fit_cross_fitted's in memory):
            # the tree grows on cross-fitted encodings of the rows, which it can where they
            # are all gathered; their labels are kept for the regressor (_grown_labels)
            crossed = encoded and every_row and bool(getattr(self, "_cross_fitted_encoding", False))
            if crossed:
                tree_inputs[:, len(preprocessor.numeric_columns) :] = cross_fitting_encoder(self.random_state).fit_transform(
                    _imputed_categories(preprocessor, frame), guide_for_crossing
                )
            del guide_for_crossing
            engine = resolve_engine(self.engine, n_rows)
            log(f"growing the tree in memory ({engine} engine)")
            tree = ENGINES[engine](tree_inputs, target, params, overwrite_target=True)
            if crossed:
                leaf_ids = tree.leaf_ids
                to_label = np.full(int(leaf_ids.max()) + 1, -1, dtype=np.int64)
                to_label[leaf_ids] = np.arange(len(leaf_ids), dtype=np.int64)
                leaves = tree.training_leaves
                self._grown_labels = to_label[leaves] if leaves is not None else tree.apply(tree_inputs, to_label)
            tree.release_training_leaves()

        self._preprocessor = preprocessor
        self._fitted_with_names = chunks.is_frame
        self.tree_ = tree
        self.engine_ = engine
        self.category_encoding_ = _encoding_name(preprocessor, self.category_encoding)  # as in memory
        self.max_leaf_nodes_ = params.max_leaf_nodes
        self.n_features_in_ = len(columns)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        leaf_ids = tree.leaf_ids
        self._leaf_to_label = np.full(int(leaf_ids.max()) + 1, -1, dtype=np.int64)
        self._leaf_to_label[leaf_ids] = np.arange(len(leaf_ids), dtype=np.int64)
        self.n_partitions_ = len(leaf_ids)
        self.n_samples_fit_ = len(rows)
        self.route_ = route
        # what partition_rules() writes, as the in-memory fit keeps it (HVRTPartitioner._grow)
        meta = _meta_of(chunks)
        # an empty frame of X's own labels and dtypes (a dask array's columns are f0, f1, ...)
        x_meta = X._meta if chunks.is_frame else pd.DataFrame({c: pd.Series(dtype=d) for c, d in chunks.dtypes.items()})
        self._keep_rule_columns(x_meta, meta, meta.attrs.get(TIME_DTYPES, {}))
        objects = [c for c, dtype in chunks.dtypes.items() if dtype == object]  # may hold times: read per chunk
        self._time_ranges = {}
        self._y_means = None
        counted = route != "hist"  # the hist tree counted every row already
        if counted or objects or self._time_range_columns(preprocessor) or y_chunks is not None:
            local = _labeller(self.to_local(), _DaskNamedPartitioner)
            facts = _delayed(_fit_chunk_facts)
            time_columns = self._time_range_columns(preprocessor)
            y_parts = y_chunks if y_chunks is not None else [None] * len(chunks.parts)
            log(f"partition sizes, time ranges and y means for the rules from {len(chunks.parts)} chunks")
            (parts,) = _compute(
                [facts(part, local, counted, objects, time_columns, y_part) for part, y_part in zip(chunks.parts, y_parts)]
            )
            if y_chunks is not None:
                sums = np.sum([part["y_sums"] for part in parts], axis=0)
                counts = np.sum([part["y_counts"] for part in parts], axis=0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    means = sums / counts
                n_outputs = means.shape[1]
                names = ["y_mean"] if n_outputs == 1 else [f"y_mean_{name}" for name in _target_names(y, n_outputs)]
                self._y_means = (means, names)
            for part in parts:  # an object column's time dtype from the first chunk that read it so
                for column, dtype in part["time_dtypes"].items():
                    self._time_dtypes.setdefault(column, dtype)
            _zones_as_settled(self._time_dtypes, preprocessor, objects)
            # (in X's order, as in memory)
            self._keep_rule_columns(x_meta, meta, {c: self._time_dtypes[c] for c in columns if c in self._time_dtypes})
            if counted:
                self.partition_sizes_ = np.sum([part["counts"] for part in parts], axis=0).astype(np.int64)
            # the object columns of times may add split-on columns, ranged on a second pass
            extra = [c for c in self._time_range_columns(preprocessor) if c not in time_columns]
            if extra:
                (more,) = _compute([facts(part, local, False, [], extra) for part in chunks.parts])
                parts = [{**a, "ranges": {**a["ranges"], **b["ranges"]}} for a, b in zip(parts, more)]
            self._time_ranges = _merge_time_ranges([part["ranges"] for part in parts])
        if not counted:
            self.partition_sizes_ = tree.get_tree().n_node_samples[leaf_ids].astype(np.int64)
        self.labels_ = self.get_partitions(X)
        log(f"fitted: {self.n_partitions_} partitions ({route} route); labels_ is lazy")
        return self

    def __getstate__(self) -> dict[str, Any]:
        """The pickled state: the parameters and the fitted model (tree, preprocessing,
        partition sizes), without ``labels_``: a lazy graph over the training data, which a
        pickle would hold whole (a ``dask.array.from_array`` of a million rows, say) and
        which a loaded model could not compute once the data is gone. No dask collection or
        client is held otherwise. A loaded model labels as the pickled one."""
        state = super().__getstate__()
        return {key: value for key, value in state.items() if key != "labels_"}

    def __getattr__(self, name: str) -> Any:
        # only reached for an attribute the instance lacks: name the one a pickle drops
        if name == "labels_" and "tree_" in self.__dict__:
            raise AttributeError(
                "this DaskHVRTPartitioner was pickled (or copied), which keeps no labels_ (a lazy graph "
                "over the training data); call get_partitions(X) on the training data"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_local(self) -> HVRTPartitioner:
        """The equivalent in-memory partitioner: same parameters, same tree, same labels.

        Returns
        -------
        HVRTPartitioner
            Without ``labels_`` (the training labels stay lazy here, in ``labels_``).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        """
        check_is_fitted(self, "tree_")
        local = HVRTPartitioner(**self.get_params(deep=False))
        state = {key: value for key, value in self.__dict__.items() if key not in self.get_params(deep=False) and key != "labels_"}
        local.__dict__.update(state)
        return local

    def get_partitions(self, X: Any) -> Any:
        """Partition label of each row of ``X``, lazily for Dask input.

        Parameters
        ----------
        X : dask array, dask DataFrame, or any in-memory input of :class:`~hvrt.HVRTPartitioner`
            Matched to the fit-time columns as in the in-memory estimator.

        Returns
        -------
        labels : dask array, dask Series (named ``partition``) or ndarray of int64
            Lazy for Dask input (nothing runs until ``.compute()``).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            For chunks along the columns; when computed, the in-memory estimator's errors.
        """
        check_is_fitted(self, "tree_")
        if not is_dask_collection(X):
            return super().get_partitions(X)
        return _map_rows(X, _label_block, _labeller(self.to_local(), _DaskNamedPartitioner), np.int64, "partition")

    def apply(self, X: Any) -> Any:
        """Raw engine leaf id of each row, lazily for Dask input.

        Parameters
        ----------
        X : dask array, dask DataFrame, or in-memory input

        Returns
        -------
        leaf_ids : dask array, dask Series (named ``leaf``) or ndarray of int64

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        """
        check_is_fitted(self, "tree_")
        if not is_dask_collection(X):
            return super().apply(X)
        return _map_rows(X, _leaf_block, _labeller(self.to_local(), _DaskNamedPartitioner), np.int64, "leaf")

    def transform(self, X: Any) -> Any:
        """Sparse one-hot partition membership, for in-memory input only.

        Parameters
        ----------
        X : DataFrame, ndarray or polars DataFrame

        Returns
        -------
        scipy.sparse.csr_matrix of shape (n_samples, n_partitions_)

        Raises
        ------
        TypeError
            For Dask input: a sparse matrix of every row would gather them all; use
            :meth:`get_partitions`.
        """
        if is_dask_collection(X):
            raise TypeError(
                "transform returns one scipy sparse matrix, which would gather every row; with Dask input "
                "use get_partitions(X) (lazy labels) instead"
            )
        return super().transform(X)

    def predict(self, X: Any) -> Any:
        """The same as :meth:`get_partitions`.

        Parameters
        ----------
        X : dask array, dask DataFrame, or in-memory input

        Returns
        -------
        labels : dask array, dask Series or ndarray of int64

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        """
        return self.get_partitions(X)

    def fit_predict(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
        """``fit(X, y).labels_``: lazy labels of the training rows.

        Parameters
        ----------
        X : dask array or dask DataFrame
        y : dask array, Series or DataFrame, default=None
        **kwargs
            Passed on to :meth:`fit` (``route``); any other keyword raises ``TypeError``
            rather than being silently ignored.

        Returns
        -------
        labels : dask array or dask Series of int64

        Raises
        ------
        ValueError, TypeError
            As :meth:`fit`.
        """
        return self.fit(X, y, **kwargs).labels_

    def _resolve_route(self, route: str, n_rows: int) -> str:
        if route not in ROUTES:
            raise ValueError(f"route must be one of {ROUTES}, got {route!r}")
        if route == "hist" and (self.engine == "exact" or self.max_samples is not None):
            raise ValueError(
                "route='hist' grows a histogram tree on every row: it needs engine 'auto' or 'hist' and "
                f"max_samples=None, got engine={self.engine!r}, max_samples={self.max_samples!r}"
            )
        if route == "auto":
            distributed = self.max_samples is None and self.engine != "exact" and n_rows > DEFAULT_SAMPLE_ROWS
            return "hist" if distributed else "sample"
        return route

    def _subsample(self, n_samples: int) -> np.ndarray | None:
        if self.max_samples is None:
            if n_samples <= DEFAULT_SAMPLE_ROWS:
                return None
            # the rows the in-memory partitioner draws with max_samples=DEFAULT_SAMPLE_ROWS
            probe = HVRTPartitioner(max_samples=DEFAULT_SAMPLE_ROWS, random_state=self.random_state)
            return probe._subsample(n_samples)
        return super()._subsample(n_samples)
