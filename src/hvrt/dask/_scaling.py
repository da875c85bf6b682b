"""The scaling pass: the preprocessing statistics of every chunk, merged on the client (``_Scaling``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._preprocessing import (
    Preprocessor,
    _category_strings,
    _outside_hvrt,
    rounding_band_text,
    fit_imputer,
    fit_one_hot,
    most_frequent,
    resolve_categorical,
    resolve_weights,
)
from .._target import (
    blend_target,
    encoder_guide,
    fit_scaler,
    rounding_variance,
    target_part,
    zscore_scale,
    zscored_outputs,
)
from .._validation import date_zones, give_rounding_warning, time_kinds, varies_beyond_rounding
from ._collections import (
    _Chunks,
    _as_rows,
    _check_paired,
    _compute,
    _delayed,
    _paired_chunks,
    _repeats,
    _target_chunks,
    _target_names,
)
from ._reductions import (
    _categories_chunk,
    _check_category_keys,
    _column_moments,
    _expected_families,
    _frame_of,
    _merge_moments,
    _merge_rounded_target,
    _meta_of,
    _refuse_bad_response,
    _refuse_naive_and_zoned,
    _refuse_tiny,
    _summarise_chunk,
    _summarise_target,
    _target_values,
    _warn_as_in_memory,
)


# --------------------------------------------------------------------------- the preprocessing


@dataclass
class _Scaling:
    """The distributed preprocessing: the fitted object and the synthetic target's parameters."""

    preprocessor: Preprocessor
    chunk_rows: np.ndarray
    column_weights: np.ndarray
    x_mean: np.ndarray
    x_scale: np.ndarray
    x_constant: np.ndarray  # constant columns enter the target with coefficient 0
    y_fill: np.ndarray | None  # y's means, to impute (None without y)
    y_mean: np.ndarray | None
    y_scale: np.ndarray | None
    y_constant: np.ndarray | None
    mode: str
    scaler: Any
    y_weight: float
    impute: bool
    variances: tuple[float, float] | None = None  # total variances of the target's x and y parts
    # the sum target's orientation of y (see _target.y_column_signs, blend_target), over all
    # rows as the variances: y's columns' signs and the covariance of the x and y parts
    y_signs: np.ndarray | None = None
    covariance: float | None = None
    dtype: type = np.float64  # of a features target no y is blended into (_engines.target_dtype)
    taken: list[Any] | None = None  # rows gathered by the scaling pass (its ``take``)
    fitted_scaler: Any = None  # ``scaler`` fitted once on gathered rows (:meth:`fit_scaler`)
    scaler_noise: float = 0.0  # the rounding variance of its part, on those rows
    index_repeats: bool = False  # X's index repeats across its chunks (read_csv's): see _paired_chunks

    @property
    def n_rows(self) -> int:
        return int(self.chunk_rows.sum())

    def numeric(self, frame: pd.DataFrame) -> np.ndarray:
        """The numeric block, imputed as the preprocessing says."""
        columns = self.preprocessor.numeric_columns
        values = frame[columns].to_numpy(dtype=np.float64, na_value=np.nan) if columns else np.empty((len(frame), 0))
        fill = self.preprocessor.numeric_fill
        return values if fill is None else np.where(np.isnan(values), fill, values)

    def parts(
        self, frame: pd.DataFrame, y_values: np.ndarray | None, y_columns: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The x and y parts of the synthetic target for some rows, before the blend.
        ``y_columns``: y as its z-scored columns, for the covariances that orient them."""
        values = self.numeric(frame)
        missing = bool(np.isnan(values).any())
        # the in-memory rule (_preprocessing._synthetic_target): float64 where y is blended in
        dtype = self.dtype if y_values is None or self.y_weight == 0.0 else np.float64
        if self.scaler is not None:
            if self.fitted_scaler is None:
                raise RuntimeError("the user scaler must be fitted on gathered rows first (_Scaling.fit_scaler)")
            x_part = target_part(
                values, missing, self.column_weights, self.mode, self.fitted_scaler, dtype=dtype, fitted=True
            )[0]
        else:
            x_part = zscored_outputs(
                values, missing, self.column_weights, self.mode, self.x_mean, self.x_scale, self.x_constant, dtype
            )
        if y_values is None:
            return x_part, None
        if self.y_fill is not None:
            y_values = np.where(np.isnan(y_values), self.y_fill, y_values)
        y_missing = bool(np.isnan(y_values).any())
        mode, weights = ("features", None) if y_columns else (self.mode, self.y_signs)
        weights = np.ones(y_values.shape[1]) if weights is None else weights
        return x_part, zscored_outputs(y_values, y_missing, weights, mode, self.y_mean, self.y_scale, self.y_constant)

    def target(self, frame: pd.DataFrame, y_values: np.ndarray | None) -> np.ndarray:
        return self.guided_target(frame, y_values, False)[0]

    def guided_target(
        self, frame: pd.DataFrame, y_values: np.ndarray | None, guide: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The target of some rows and (``guide``) the guide that target encoding learns
        from on them (:func:`~hvrt._target.encoder_guide`, oriented over these rows as in
        memory over the rows it fits on)."""
        x_part, y_part = self.parts(frame, y_values)
        target = blend_target(x_part, y_part, self.y_weight, self.variances, self.noise(), self.covariance)
        return target, encoder_guide(target, x_part, y_part) if guide else None

    def fit_scaler(self, frame: pd.DataFrame) -> None:
        """Fit the user ``scaler`` once, on gathered rows (the sample, or the hist route's
        edge sample), for every chunk to be transformed with: fitted on each chunk, it would
        scale each by its own statistics and the tree would split on where chunks begin.
        Its part's rounding variance (for the blend) is taken on these rows too."""
        if self.scaler is None or self.fitted_scaler is not None:
            return
        values = self.numeric(frame)
        missing = bool(np.isnan(values).any())
        self.fitted_scaler = fit_scaler(values, self.scaler)
        self.scaler_noise = target_part(
            values, missing, self.column_weights, self.mode, self.fitted_scaler, fitted=True
        )[1]

    def noise(self) -> tuple[float, float]:
        """The rounding variances of the x and y parts (see ``blend_target``); a user
        scaler's part's from the rows it was fitted on."""
        x_noise = self.scaler_noise
        if self.scaler is None:
            x_noise = rounding_variance(self.x_mean, self.x_scale, self.x_constant, self.column_weights, self.mode)
        if self.y_mean is None:
            return x_noise, 0.0
        ones = np.ones(len(self.y_mean))
        return x_noise, rounding_variance(self.y_mean, self.y_scale, self.y_constant, ones, self.mode)


def _zscore(
    moments: tuple[np.ndarray, np.ndarray, np.ndarray], n_rows: int, imputed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, scale and constant columns as the in-memory z-score computes them (on imputed values, when imputing)."""
    count, mean, m2 = moments
    if imputed:  # a missing value became the mean: it adds a row and no deviation
        count = np.full_like(count, n_rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = m2 / count
    # m2 is free of the means' rounding (column_pass and _merge_moments take it out), so the
    # in-memory constant test applies: within 16 ulps of the mean, whatever the rows' number
    return (mean, *zscore_scale(mean, variance))


def _empty_columns(count: np.ndarray, columns: list[str], name: str) -> None:
    if np.any(count == 0):
        raise ValueError(f"{name} column(s) {[columns[i] for i in np.flatnonzero(count == 0)]} have no values (all missing)")


def _merged_kind(kinds: list[str | None]) -> str:
    present = {kind for kind in kinds if kind is not None}
    if not present:
        return "text"
    return present.pop() if len(present) == 1 else "mixed"


def _imputed_categories(preprocessor: Preprocessor, frame: pd.DataFrame) -> np.ndarray:
    """The categorical columns as category keys, imputed: what the target encoder is fitted on."""
    categories = _category_strings(frame, preprocessor.categorical_columns)
    if preprocessor.category_imputer is not None:
        categories = preprocessor.category_imputer.transform(categories)
    return categories


def _settled_kind(kinds: list[str | None]) -> str:
    """An object column's kind from its chunks' (:func:`_object_kind`): theirs when they
    all hold one kind, ``"text"`` (a categorical) when they differ, as ``to_frame`` decides on
    the whole column in memory; a column with no value anywhere is taken for numbers (and
    refused as all missing)."""
    present = {kind for kind in kinds if kind is not None}
    if not present:
        return "numbers"
    if len(present) > 1 and all(kind.startswith("dates in ") for kind in present):
        # zoned dates in several zones: instants in UTC, as to_frame reads the whole column
        # (_validation._zoned_times_as_instants); each chunk's nanoseconds are instants already
        return "dates in UTC"
    return present.pop() if len(present) == 1 else "text"


def _time_kind(kind: str) -> tuple[str, str | None] | None:
    """A settled kind's ``time_kinds`` entry and time zone (None: naive), or None for numbers."""
    if kind == "durations":
        return "durations", None
    if kind.startswith("dates in "):
        return "dates", kind[len("dates in "):]
    if kind == "dates" or kind.startswith("periods of "):
        return "dates", None
    return None


def _settle_object_columns(
    chunks: _Chunks,
    summaries: list[dict],
    undecided: list[str],
    categorical: list[str],
    objects: list[str],
    categorical_features: Any,
) -> tuple[list[dict], dict[str, str]]:
    """The chunk summaries with the object columns settled, as ``to_frame`` decides on the
    whole column in memory: numeric when every chunk held one kind of numbers, dates or
    durations in it, else categorical, keyed on its values as they are (dates too), with
    their categories counted now (a second pass, only for them). A listed object column of
    dates only is keyed on their nanoseconds, as in memory: recounted in that pass too.
    Each summary's ``"categorical"`` lists the categorical columns in X's order.

    Returns the summaries and the settled kind of each object column."""
    settled_kinds = {c: _settled_kind([s["object_kinds"][j] for s in summaries]) for j, c in enumerate(objects)}
    text = [c for c in undecided if settled_kinds[c] == "text"]
    if text and categorical_features is not None:
        # resolve_categorical's error, which the object columns' dtype could not raise
        raise ValueError(f"column(s) {text} are not numeric; list them in categorical_features too")
    times = [c for c in objects[len(undecided):] if _time_kind(settled_kinds[c]) is not None]
    columns = list(chunks.dtypes.index)
    settled = [c for c in columns if c in set(categorical) | set(text)]
    if text or times:
        count = _delayed(_categories_chunk)
        (extra,) = _compute([count(part, text, times) for part in chunks.parts])
    for i, summary in enumerate(summaries):
        if text or times:
            by_column = {c: j for j, c in enumerate(categorical)}
            by_column.update({c: len(categorical) + j for j, c in enumerate(text + times)})  # the recounts win
            for key in ("category_counts", "category_values", "kinds"):
                values = summary[key] + extra[i][key]
                summary[key] = [values[by_column[c]] for c in settled]
        summary["categorical"] = settled
    return summaries, settled_kinds


def _warn_of_numbers_as_text(chunks: _Chunks, categorical: list[str], counts: list[pd.Series]) -> None:
    """Warn of unlisted text columns whose every category reads as a number.

    Under Dask's default ``dataframe.convert-string=True``, ``dd.from_pandas`` makes an
    object column of Decimals or ints text: categorical here, as a pandas column of text is
    in memory, where the object column it came from was numeric. The original type is gone
    by the time a chunk is read, so this is a warning, not a decision."""
    numbers_as_text = [
        c for c, values in zip(categorical, counts)
        if pd.api.types.is_string_dtype(chunks.dtypes[c]) and chunks.dtypes[c] != object and len(values)
        and pd.to_numeric(pd.Series(values.index, dtype=object), errors="coerce").notna().all()
        # a leading zero ("02139") is a code's, never how a Decimal or an int is written
        and not pd.Series(values.index, dtype=object).astype(str).str.match(r"[+-]?0\d").any()
    ]  # fmt: skip
    if numbers_as_text:
        dtype = chunks.dtypes[numbers_as_text[0]]
        warnings.warn(
            f"X column(s) {numbers_as_text} hold text (dtype {dtype}) whose every value reads as a number; they "
            "are categorical, one category per distinct value, as a pandas column of text is in memory. If they "
            "are codes, list them in categorical_features to keep them categorical without this warning. If the "
            "pandas frame held numbers there as objects (Decimals, ints), dd.from_pandas made them text under "
            "Dask's default dataframe.convert-string=True: convert them with astype(float) before "
            "dd.from_pandas, or set dask.config.set({'dataframe.convert-string': False})",
            UserWarning,
            stacklevel=4,
        )


def _fit_scaling(
    X: Any,
    chunks: _Chunks,
    y: Any,
    *,
    categorical_features: Any,
    weights: Any,
    scaler: Any,
    impute: bool,
    category_encoding: str,
    target_mode: str,
    y_weight: float,
    take: np.ndarray | None = None,
    response: bool = False,
    warn_rounded_y: bool = True,
    warn_constants: bool = False,
) -> tuple[_Scaling, list[Any] | None]:
    """The distributed pass: preprocessing statistics of X (and y), merged on the client.

    ``take``: sorted row positions to gather in the same pass (X's chunk lengths must be
    known); the pieces are then in ``scaling.taken``. ``response``: y is a model's
    response, refused where missing or infinite as in memory (:func:`_refuse_bad_response`).
    ``warn_rounded_y``: warn (Y10) of a 64-bit integer y float64 rounds, counted over every
    chunk (not by the trees DaskPartitionedRegressor grows: it warns itself).
    ``warn_constants``: warn (X29, Y11) of the columns the z-scoring reads as constant
    although they vary, as HVRTPartitioner's own fit does (:func:`_warn_of_constants`).

    Which columns are categorical: as in memory, by dtype or as listed; but an object
    column is numeric in memory when it holds only numbers (``to_frame``: Decimals, or
    numbers built from JSON), only dates or only durations, which only its values say:
    the pass settles it (numeric when every chunk holds the same one of these, see
    :func:`_settle_object_columns`), and counts the categories of those that are not in
    a second pass, only then."""
    columns = list(chunks.dtypes.index)
    meta = _meta_of(chunks)
    undecided = [c for c, dtype in meta.dtypes.items() if dtype == object]
    # the object columns as numbers here; listed ones are categorical whatever they hold
    categorical = resolve_categorical(meta.astype({c: np.float64 for c in undecided}), categorical_features)
    objects = [c for c in undecided if c not in set(categorical)]
    objects += [c for c in undecided if c in set(categorical)]  # the undecided ones, then the listed ones
    undecided = [c for c in undecided if c not in set(categorical)]
    numeric = [c for c in columns if c not in set(categorical)]
    summarise = _delayed(_summarise_chunk)
    local_rows: list[np.ndarray | None] = [None] * len(chunks.parts)
    if take is not None:
        bounds = np.concatenate([[0], np.cumsum(chunks.lengths)])
        for i in range(len(chunks.parts)):
            low, high = np.searchsorted(take, bounds[i]), np.searchsorted(take, bounds[i + 1])
            local_rows[i] = take[low:high] - bounds[i] if high > low else None
    expected = _expected_families(chunks)
    x_tasks = [
        summarise(part, numeric, undecided, categorical, objects, rows, expected)
        for part, rows in zip(chunks.parts, local_rows)
    ]
    y_tasks = []
    if y is not None:
        y_parts = _target_chunks(y)
        summarise_y = _delayed(_summarise_target)
        y_tasks = [summarise_y(part, response) for part in y_parts]
    x_summaries, y_summaries = _compute(x_tasks, y_tasks)
    _refuse_naive_and_zoned(x_summaries, objects)
    if response:
        _refuse_bad_response(y_summaries)
    chunk_rows = np.array([s["rows"] for s in x_summaries], dtype=np.int64)
    n_rows = int(chunk_rows.sum())
    index_repeats = _repeats([s["extent"] for s in x_summaries])
    if n_rows == 0:
        raise ValueError("X has no rows")
    x_summaries, object_kinds = _settle_object_columns(
        chunks, x_summaries, undecided, categorical, objects, categorical_features
    )
    is_numeric = np.array([c not in set(x_summaries[0]["categorical"]) for c in numeric], dtype=bool)
    categorical = x_summaries[0]["categorical"]
    numeric = [c for c in numeric if c not in set(categorical)]
    column_weights = resolve_weights(weights, numeric, categorical)

    count, mean, m2 = (
        _merge_moments([tuple(a[is_numeric] for a in s["moments"]) for s in x_summaries]) if numeric else (np.zeros(0),) * 3
    )
    _refuse_tiny([s["largest"][is_numeric] for s in x_summaries], numeric, "X")
    has_missing = bool(np.any(count < n_rows))
    if has_missing:
        _empty_columns(count, numeric, "X")
    numeric_fill = mean.copy() if (impute and has_missing) else None
    x_mean, x_scale, x_constant = _zscore((count, mean, m2), n_rows, numeric_fill is not None)

    y_fill = y_mean = y_scale = y_constant = None
    y_chunks = None
    if y is not None:
        y_rows = int(sum(s["rows"] for s in y_summaries))
        if y_rows != n_rows:
            raise ValueError(f"y has {y_rows} rows but X has {n_rows}; they must match")
        y_count, y_mean, y_m2 = _merge_moments([s["moments"] for s in y_summaries])
        _refuse_tiny([s["largest"] for s in y_summaries], _target_names(y, len(y_count)), "y")
        if warn_rounded_y:
            _warn_of_rounded_y([s["rounded"] for s in y_summaries], _target_names(y, len(y_count)))
        y_missing = bool(np.any(y_count < n_rows))
        if y_missing:
            _empty_columns(y_count, _target_names(y, len(y_count)), "y")
        y_imputed = impute and y_missing
        y_fill = y_mean.copy() if y_imputed else None
        y_mean, y_scale, y_constant = _zscore((y_count, y_mean, y_m2), n_rows, y_imputed)
        # y cut like X (a column of the same frame, say) is used as it is; otherwise recut
        # (by index, or by position: as the analysis tools pair labels, K22)
        y_extents = [s["extent"] for s in y_summaries]  # a pandas chunk's rows and index range
        if any(extent is None for extent in y_extents):
            y_extents = np.array([s["rows"] for s in y_summaries], dtype=np.int64)
        y_chunks = _paired_chunks(y, X, chunks, "y", [chunk_rows, index_repeats], y_extents)
    if not numeric and y is None:
        raise ValueError(
            "X has no numeric column, so there is no target to grow the tree on; "
            "pass a numeric y or list fewer columns in categorical_features"
        )
    if warn_constants:
        # (spreads as the in-memory check reads its columns: of the imputed values when imputing)
        x_spread = np.sqrt(m2 / (n_rows if numeric_fill is not None else np.maximum(count, 1)))
        y_moments = None
        if y is not None:
            y_moments = (y_constant, y_mean, np.sqrt(y_m2 / (n_rows if y_imputed else np.maximum(y_count, 1))))
        _warn_of_constants(
            numeric if scaler is None else [],  # (a user scaler's columns are not checked, as in memory)
            (x_constant, x_mean, x_spread),
            None if y is None or y_weight <= 0.0 else _target_names(y, len(y_constant)),
            y_moments,
            y_weight,
        )

    category_imputer = encoder = None
    category_values = []  # each key's first value, which the rules write (as in memory)
    appearing: list[dict[str, Any]] = []  # the same, in the order the values appear
    for j, column in enumerate(categorical):
        chunk_values = [s["category_values"][j] for s in x_summaries]
        _check_category_keys(chunk_values, column)
        first: dict[str, Any] = {}
        for values in chunk_values:  # (None: a pandas categorical of text, its keys its values)
            for key, value in (values or {}).items():
                first.setdefault(key, value)
        category_values.append(dict(sorted(first.items())))
        appearing.append(first)
    if categorical:
        counts = [
            pd.concat([s["category_counts"][j] for s in x_summaries]).groupby(level=0).sum()
            for j in range(len(categorical))
        ]
        if categorical_features is None:
            _warn_of_numbers_as_text(chunks, categorical, counts)
        _warn_as_in_memory(chunks, x_summaries, categorical, counts, appearing, categorical_features is None)
        missing = [int(counts[j].sum()) < n_rows for j in range(len(categorical))]
        empty = [c for c, values in zip(categorical, counts) if values.empty]
        if empty:
            raise ValueError(f"X column(s) {empty} have no values (all missing)")
        if impute:
            category_imputer = fit_imputer([most_frequent(values.index, values.to_numpy()) for values in counts])
        if category_encoding == "native":
            raise ValueError("category_encoding='native' is not supported by hvrt.dask; use 'auto' (one-hot here), 'ohe' or 'target'")
        if category_encoding in ("ohe", "auto"):  # "auto" is one-hot here: no native splits in Dask
            lists = [
                sorted(values.index) + ([np.nan] if (has_nan and not impute) else [])
                for values, has_nan in zip(counts, missing)
            ]
            encoder = fit_one_hot(lists)
    kinds = [_merged_kind([s["kinds"][j] for s in x_summaries]) for j in range(len(categorical))]
    meta = _meta_of(chunks)  # the time columns' kinds and zones, checked at labelling as in memory
    column_times = {c: (kind, date_zones(meta).get(c)) for c, kind in time_kinds(meta).items()}
    # and the object columns' that held one kind of dates or durations in every chunk
    column_times.update({c: _time_kind(kind) for c, kind in object_kinds.items() if _time_kind(kind) is not None})
    # the columns that had a missing value at fit, in X's order (the rules' ``missing="fit"``)
    with_missing = {c for c, present in zip(numeric, count) if present < n_rows}
    with_missing |= {c for c, absent in zip(categorical, missing) if absent} if categorical else set()
    preprocessor = Preprocessor(
        numeric, categorical, numeric_fill, category_imputer, encoder, kinds,
        category_values=category_values,
        columns_with_missing=[c for c in columns if c in with_missing],
        time_kinds={c: kind for c, (kind, _) in column_times.items() if c in set(numeric)},
        date_zones={
            c: zone for c, (kind, zone) in column_times.items()
            if c in set(numeric) and kind == "dates" and not object_kinds.get(c, "").startswith("periods")
        },
    )
    scaling = _Scaling(
        preprocessor=preprocessor,
        chunk_rows=chunk_rows,
        index_repeats=index_repeats,
        column_weights=column_weights,
        x_mean=x_mean,
        x_scale=x_scale,
        x_constant=x_constant,
        y_fill=y_fill,
        y_mean=y_mean,
        y_scale=y_scale,
        y_constant=y_constant,
        mode=target_mode,
        scaler=scaler,
        y_weight=y_weight,
        impute=impute,
        taken=[s["taken"] for s in x_summaries if "taken" in s] if take is not None else None,
    )
    return scaling, y_chunks


def _warn_of_rounded_y(facts: list[Any], names: list[str]) -> None:
    """The in-memory warning (Y10) of a 64-bit integer y that float64 rounds, once per fit,
    from every chunk's :func:`~hvrt.dask._reductions._rounded_target` facts."""
    found = [(name, _merge_rounded_target(facts, j)) for j, name in enumerate(names)] if any(facts) else []
    give_rounding_warning([(name, rounded) for name, rounded in found if rounded is not None], "y")


def _warn_of_constants(
    numeric: list[str],
    x: tuple[np.ndarray, np.ndarray, np.ndarray],
    y_names: list[str] | None,
    y: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    y_weight: float,
) -> None:
    """The in-memory fit's warnings (Y11, then X29) of the columns of y (blended in) and
    of X the z-scoring reads as constant although they vary beyond rounding, by the rule
    of :func:`~hvrt._validation.varies_beyond_rounding` on the moments of the distributed
    pass (``x``, ``y``: constant flags, means and population standard deviations): no
    more passes over the chunks."""
    x_flagged = list(np.flatnonzero(x[0])) if numeric else []
    y_flagged = list(np.flatnonzero(y[0])) if y is not None and y_names is not None else []
    # as in memory, X's columns are not read where y alone is the target (_target.y_alone)
    if y is not None and y_weight == 1.0 and not bool(np.all(y[0])):
        x_flagged = []
    for name, names, flagged, moments in (("y", y_names, y_flagged, y), ("X", numeric, x_flagged, x)):
        if not flagged:
            continue
        _, mean, spread = moments
        flagged_at = np.asarray(flagged)
        varying = list(np.flatnonzero(varies_beyond_rounding(mean[flagged_at], spread[flagged_at])))
        if varying:
            k = varying[0]
            columns = [str(names[flagged[i]]) for i in varying]
            warnings.warn(
                rounding_band_text(columns, float(mean[flagged[k]]), float(spread[flagged[k]]), name),
                UserWarning,
                stacklevel=_outside_hvrt(),
            )


def _part_moments(part: Any, y_part: Any, scaling: _Scaling) -> tuple[tuple, tuple]:
    """Moments of one chunk's target parts (for the blend's variances): the x part's, and
    the y part's, or for the sum target the co-moments of the x part and y's z-scored
    columns (whose signs in the y part they decide)."""
    _check_paired(y_part, part, "y")
    frame = _frame_of(part)
    y_values = _target_values(y_part)
    summed = scaling.mode == "sum"
    x_part, y_values = scaling.parts(frame, y_values, y_columns=summed)
    if summed:
        lines = np.empty((1 + y_values.shape[1], len(x_part)))  # one column per line (see _target._z_gram)
        lines[0], lines[1:] = x_part, y_values.T
        return _column_moments(_as_rows(x_part)), _co_moments(lines)
    return _column_moments(_as_rows(x_part)), _column_moments(_as_rows(y_values))


def _co_moments(lines: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """(rows, means, centred cross products) of a chunk's columns, given one per line (the
    line is overwritten), for :func:`_merge_co_moments`."""
    if lines.shape[1] == 0:
        return 0, np.zeros(len(lines)), np.zeros((len(lines),) * 2)
    mean = lines.mean(axis=1)
    lines -= mean[:, None]
    return lines.shape[1], mean, np.einsum("ij,kj->ik", lines, lines)  # einsum, not BLAS: see _target._row_dot


def _merge_co_moments(parts: Sequence[tuple[int, np.ndarray, np.ndarray]]) -> tuple[int, np.ndarray]:
    """Chan's parallel merge of :func:`_co_moments`: (rows, covariance matrix)."""
    count = np.array([p[0] for p in parts], dtype=np.float64)
    mean = np.stack([p[1] for p in parts])
    total = count.sum()
    merged_mean = (count[:, None] * mean).sum(axis=0) / max(total, 1.0)
    deviation = mean - merged_mean
    between = np.einsum("k,ki,kj->ij", count, deviation, deviation)
    return int(total), (np.sum([p[2] for p in parts], axis=0) + between) / max(total, 1.0)


def _total_variance(moments: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    count, _, m2 = moments
    return float((m2 / np.maximum(count, 1)).sum())
