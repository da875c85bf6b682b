"""hvrt on Dask collections, for tables that outgrow one machine's memory.

The estimators here subclass the in-memory ones (the style of ``lightgbm.dask``): they
take a ``dask.array`` or ``dask.dataframe`` where the local ones take numpy or pandas,
keep the same parameters, and :meth:`to_local` returns the equivalent in-memory
estimator. Nothing collects all rows on the client:

- **Scaling** (means, standard deviations, imputation values, category lists) comes from
  one distributed pass: each chunk reduces its rows to a few numbers per column, which
  the client merges (counts add, squared deviations merge with Chan's parallel formula,
  category counts add). The fitted preprocessing object is the one the in-memory fit
  computes on the same rows, up to the order of float summation: the chunks' means and
  squared deviations are taken and merged in the corrected two-pass form, so the
  in-memory constant-column test (16 ulps of the mean) applies whatever the chunks. An
  object column is numeric when every chunk holds one kind in it, numbers only, dates
  only or durations only (dates and durations as nanoseconds: ``to_frame`` decides so on
  the whole column in memory); one that holds text somewhere, or two kinds, is
  categorical, keyed on its values as they are (dates too, as in memory), its categories
  counted in a second pass, only then.
- **Fitting**, two routes (``fit(..., route="auto")`` picks):

  - *sample*: a uniform random sample of ``max_samples`` rows (the rows the in-memory
    ``max_samples`` draws, seeded by ``random_state``) is gathered to the client, its
    synthetic target built with the distributed statistics, and the in-memory engine grows
    the tree on it. With ``max_samples=None`` and at most :data:`DEFAULT_SAMPLE_ROWS` rows,
    every row is gathered and the fit is the in-memory one up to ties: where two splits
    are exactly as good (a regular grid: hourly dates, a row counter), the statistics'
    last-bit differences from the one-pass in-memory ones may pick the other split, for
    partitions of the same sizes and quality (on either route).
  - *hist* (the default above :data:`DEFAULT_SAMPLE_ROWS` rows with ``max_samples=None``):
    every row shapes every split. The bin edges come from the 20,000 rows the in-memory
    hist engine samples for them (gathered: a quantile sketch would give other edges; on
    a dask array without ``y`` the scaling pass gathers them); each chunk bins its rows
    where it lives and keeps its codes and target (a second and last pass over X); per
    growth pass, the chunks build the histograms of a batch of open leaves' smaller
    children and Dask sums them; the client replays best-first growth with the engine's
    split search (:mod:`hvrt._hist._distributed`). Given the same edges it grows the
    in-memory hist engine's tree, split for split.

  A user ``scaler`` is fitted on the gathered rows (the sample, or the edge sample on the
  hist route): it is not a sum over rows. It is fitted once and transforms each chunk
  where it lives (one whose output depends on the rows it is given cannot be applied so,
  and is refused). ``category_encoding="target"`` learns from every row, as in memory:
  its encodings come from sums over rows per category, reduced in the chunks and merged
  (:func:`_fit_target_encoder_distributed`).
- **y and sample_weight** pair with X's chunks as the analysis tools' labels do
  (:func:`_paired_chunks`): a dask Series with a dask DataFrame X, both of known
  divisions, by index, refused where it differs from X's, as in memory; otherwise by
  position, recut at X's rows when cut otherwise (chunk sizes unknown are counted), the
  index compared only where it identifies rows (not one that restarts in each block, as
  ``dd.read_csv``'s does).
- **Labelling** is lazy: ``get_partitions`` maps the fitted local estimator over the
  blocks (``map_blocks`` / ``map_partitions``).
- **Local models**: per-partition ``XᵀWX`` and ``XᵀWy`` are computed where each chunk lives
  and added; the shrinkage solve runs once on the client.
- **Analysis**: :func:`full_report` and :func:`partition_quality` group each chunk and merge
  the groupings (:func:`hvrt._grouped.merge_grouped`); :func:`full_report` also counts each
  non-numeric column's (partition, category) cells in the same pass, merged into the
  in-memory :class:`~hvrt.CategoricalReport`.

Computations go through ``dask.compute``, so they run on the active
``distributed.Client`` when there is one.
"""

from __future__ import annotations

import functools
import itertools
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.preprocessing import TargetEncoder
from sklearn.utils.validation import check_is_fitted

from ._compat import import_dask, is_dask_collection
from ._engines import ENGINES, resolve_engine, target_dtype
from ._grouped import GroupedStats, grouped_stats, grouped_with_residuals, merge_grouped
from ._grouped_products import GroupedProducts, grouped_cross_products, merge_shifted
from ._preprocessing import (
    CROSS_FIT_FOLDS,
    Preprocessor,
    _category_kind,
    _category_strings,
    _column_codes,
    _is_rounded_integer,
    _is_text_categorical,
    _one_key,
    _warn_of_rounded_integers,
    cross_fitting_encoder,
    cross_fitting_folds,
    fit_imputer,
    fit_one_hot,
    most_frequent,
    mostly_numbers,
    resolve_categorical,
    resolve_weights,
    rounding_warned_elsewhere,
    warn_of_python_dates,
    warn_of_stray_values,
)
from ._progress import StepLog
from ._target import (
    _signed_row_sums,
    blend_target,
    encoder_guide,
    fit_scaler,
    guide_orientation,
    rounding_variance,
    target_part,
    y_column_signs,
    zscore_scale,
    zscored_outputs,
)
from ._validation import (
    _BOOLS_AMONG_NUMBERS,
    MAX_MAGNITUDE,
    TIME_DTYPES,
    LabelFault,
    _dates_as_numbers,
    bools_and_numbers,
    check_partitioned,
    date_zones,
    dtype_zone,
    has_missing_values,
    is_duration_dtype,
    rounded_integers_warning,
    time_kinds,
    to_frame,
    warnings_given_once,
)
from .local_models import (
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
from .metrics import (
    FullReport,
    PartitionQuality,
    _check_partition_count,
    _feature_reports,
    _quality_from,
    categorical_report_of_cells,
    category_cells,
    category_codes,
)
from .partitioner import (
    HVRTPartitioner,
    _encoding_name,
    time_ranges,
    warn_wide_one_hot,
)

__all__ = [
    "DEFAULT_SAMPLE_ROWS",
    "DaskHVRTPartitioner",
    "DaskPartitionedRegressor",
    "full_report",
    "partition_quality",
]

# Up to this many rows (and max_samples=None) the tree grows in memory on all rows gathered
# to the client (about 80 MB at 10 columns; the in-memory hist engine grows 1M rows in well
# under a second); above it, on every row where it lives (route="hist").
DEFAULT_SAMPLE_ROWS = 1_000_000
ROUTES = ("auto", "sample", "hist")


# --------------------------------------------------------------------------- collections


@dataclass(frozen=True)
class _Chunks:
    """A Dask collection as a list of delayed row chunks (numpy blocks or pandas partitions)."""

    parts: list[Any]
    is_frame: bool
    dtypes: pd.Series  # the column dtypes, from the collection's metadata
    lengths: np.ndarray | None = None  # rows per chunk, when known without computing (a dask array's)


def _chunks_of(X: Any, name: str = "X") -> _Chunks:
    """The row chunks of a 2-D dask array or a dask DataFrame, or a clear error."""
    dask = import_dask()
    if isinstance(X, dask.array.Array):
        if X.ndim != 2:
            raise ValueError(f"{name} must be a 2-D dask array, got {X.ndim} dimensions")
        if X.numblocks[1] != 1 or any(np.isnan(c) for c in X.chunks[1]):
            raise ValueError(
                f"{name} is split into {X.numblocks[1]} chunks along its columns; hvrt.dask needs every "
                f"row whole in one chunk: rechunk with {name}.rechunk({{1: -1}})"
            )
        if X.dtype.kind not in "fiub":
            raise TypeError(
                f"a dask array {name} must be numeric, got dtype {X.dtype}; pass a dask DataFrame for "
                "categorical columns"
            )
        columns = [f"f{j}" for j in range(X.shape[1])]
        lengths = None if any(np.isnan(c) for c in X.chunks[0]) else np.asarray(X.chunks[0], dtype=np.int64)
        dtypes = pd.Series([X.dtype] * len(columns), index=columns)
        return _Chunks(list(X.to_delayed()[:, 0]), False, dtypes, lengths)
    if isinstance(X, dask.dataframe.DataFrame):
        dtypes = X.dtypes.copy()
        dtypes.index = [str(c) for c in dtypes.index]
        return _Chunks(list(X.to_delayed()), True, dtypes)
    raise TypeError(f"{name} must be a dask array or a dask DataFrame, got {type(X).__name__}")


def _target_chunks(y: Any, n_rows: int | None = None, name: str = "y") -> list[Any]:
    """The row chunks of a 1-D/2-D dask array, a dask Series or DataFrame ``y`` (or
    ``sample_weight``: ``name`` is used in errors), after its dtype check."""
    dask = import_dask()
    if isinstance(y, dask.array.Array):
        if y.ndim not in (1, 2):
            raise ValueError(f"{name} must be 1-D or 2-D, got {y.ndim} dimensions")
        dtypes = [y.dtype]
        if y.ndim == 2 and y.numblocks[1] != 1:
            y = y.rechunk({1: -1})
    elif isinstance(y, dask.dataframe.Series):
        dtypes = [y.dtype]
    elif isinstance(y, dask.dataframe.DataFrame):
        dtypes = list(y.dtypes)
    else:
        raise TypeError(
            f"with Dask input, {name} must be a dask array, Series or DataFrame, got {type(y).__name__}"
        )
    non_numeric = [d for d in dtypes if not pd.api.types.is_numeric_dtype(d)]  # bool counts, as in memory
    if non_numeric:
        _refuse_objects_made_text(y, name)
        dtype = non_numeric[0]
        # (the values are not read yet: the in-memory regressor's hint, for a dtype that may hold text)
        hint = "" if not pd.api.types.is_string_dtype(dtype) else f"; convert numbers written as text with dd.to_numeric({name})"
        raise ValueError(f"{name} must be numeric, got dtype {dtype}{hint}")
    if isinstance(y, dask.dataframe.DataFrame) and len(dtypes) == 0:
        raise ValueError(f"{name} has no columns; pass {name}=None to fit without it, or give it a column")
    complex_columns = [j for j, d in enumerate(dtypes) if pd.api.types.is_complex_dtype(d)]
    if complex_columns:  # the in-memory refusal (numpy would drop the imaginary part)
        width = len(dtypes) if not isinstance(y, dask.array.Array) or y.ndim == 1 else int(y.shape[1])
        names = _target_names(y, width) if name == "y" else [name] * width
        raise ValueError(f"Complex data not supported: column {names[complex_columns[0]]!r} of {name}")
    if isinstance(y, dask.array.Array):
        if n_rows is not None and not np.isnan(y.shape[0]) and y.shape[0] != n_rows:
            raise ValueError(f"{name} has {y.shape[0]} rows but X has {n_rows}; they must match")
        return list(y.to_delayed().ravel())
    return list(y.to_delayed())


def _objects_made_text(collection: Any) -> list[Any]:
    """The columns (a Series: its name) of a dask collection read by ``dd.from_pandas`` from
    pandas objects that are not all text (ints, floats, bytes, a mix), which Dask's
    ``dataframe.convert-string`` option (on by default) made text with ``str``: ``1`` and
    ``1.0`` become ``'1'`` and ``'1.0'``, ``1`` and ``'1'`` one value. Only there is the
    original at hand (in the graph's ``FromPandas``, on the client); other sources read
    text as text, and so is a collection made from it otherwise (``.astype(str)``: the
    user's text). Dask's expression internals are read defensively: nothing found if they
    change."""
    try:
        node = collection.expr
        while type(node).__name__ == "Projection":  # columns picked: X["labels"]
            node = node.frame
        if type(node).__name__ != "FromPandas" or not node.operand("pyarrow_strings_enabled"):
            return []
        original = node.operand("frame")._data
    except (AttributeError, KeyError, TypeError, ValueError):  # another Dask: the check is a courtesy
        return []
    # only the collection's own columns, by name (a column picked from a frame of others)
    wanted = [collection.name] if collection.ndim == 1 else list(collection.columns)
    if isinstance(original, pd.Series):
        original = original.to_frame(name=original.name)
    if not isinstance(original, pd.DataFrame):
        return []
    return [
        column
        for j, (column, dtype) in enumerate(original.dtypes.items())
        if column in wanted
        and dtype == object
        and pd.api.types.infer_dtype(original.iloc[:, j], skipna=True) not in ("string", "empty")
    ]


def _refuse_objects_made_text(collection: Any, name: str) -> None:
    """Refuse (K28) ``name`` (labels, y, sample_weight) whose Python objects Dask made text
    (:func:`_objects_made_text`): as text they would be other labels, or no numbers, than
    the same objects in memory."""
    found = _objects_made_text(collection)
    if found:
        column = "" if collection.ndim == 1 else f" column {found[0]!r}"
        differs = (
            "other labels than the same values in memory (1 and 1.0 two labels, 1 and '1' one)"
            if name == "labels"
            else "text, where in memory they are numbers"
        )
        raise ValueError(
            f"{name}{column} held Python objects that are not all text (numbers, bytes or a mix) in the pandas "
            f"data dd.from_pandas read, and Dask's dataframe.convert-string option made them text: {differs}. "
            "Set dask.config.set({'dataframe.convert-string': False}) before dd.from_pandas, or convert them "
            "first (astype(float) for numbers, astype(str) to mean text)"
        )


def _target_names(y: Any, width: int) -> list[str]:
    """y's column names as the in-memory estimator gives them in errors."""
    dask = import_dask()
    if isinstance(y, dask.dataframe.DataFrame):
        return [str(c) for c in y.columns]
    if isinstance(y, dask.dataframe.Series) and y.name is not None:
        return [str(y.name)]
    if isinstance(y, dask.dataframe.Series) or y.ndim == 1:
        return ["target"]
    return [f"target_{j}" for j in range(width)]


def _known_rows(X: Any) -> int | None:
    """X's number of rows when Dask knows it without computing (a dask array's shape)."""
    if not isinstance(X, import_dask().array.Array) or np.isnan(X.shape[0]):
        return None  # a DataFrame's length is itself a computation
    return int(X.shape[0])


def _compute(*collections: Any) -> tuple[Any, ...]:
    return import_dask().compute(*collections)


def _delayed(function: Any) -> Any:
    # pure=False: no hashing of every argument (the scaling, the bin edges) for every chunk
    return import_dask().delayed(function, pure=False)


def _fit_delayed(function: Any) -> Any:
    """:func:`_delayed` for a fit's pass over the chunks after the client has read its rows:
    integers beyond 2**53 (X27) were warned of there, once, not again per chunk."""
    return _delayed(functools.partial(_warned_on_client, function=function))


def _warned_on_client(*args: Any, function: Any, **kwargs: Any) -> Any:
    with rounded_integers_warning("elsewhere"):
        return function(*args, **kwargs)


# --------------------------------------------------------------------------- chunk reductions


Moments = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # count, mean, its residual, squared deviations


def _column_summary(values: np.ndarray) -> tuple[Moments, np.ndarray]:
    """(non-NaN count, mean (0 where empty), the mean's residual, squared deviations) of
    each column, and its largest magnitude; one compiled pass instead of a dozen numpy
    reductions. See ``_hist._distributed.column_pass`` for the residual."""
    from ._hist._distributed import column_pass  # compiled at install with the engine

    values = np.ascontiguousarray(values, dtype=np.float64)
    count, mean, residual, m2, largest = column_pass(values)  # 2-D
    return (count, mean, residual, m2), largest


def _column_moments(values: np.ndarray) -> Moments:
    """:func:`_column_summary` without the magnitudes."""
    return _column_summary(values)[0]


def _refuse_tiny(largest: Sequence[np.ndarray], columns: list[str], name: str, when: str = "fit") -> None:
    """The in-memory refusal of a column whose every value is within ±1e-150, from the
    chunks' largest magnitudes (one array per chunk): a chunk is checked for ±inf and huge
    values only, since a column of tiny values in one chunk may be fine in the others."""
    if len(largest):
        has_missing_values(np.max(np.stack(largest), axis=0)[None, :], columns, name=name, when=when)


def _merge_moments(parts: Sequence[Moments]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chan's parallel merge of per-chunk (count, mean, residual, squared deviations) into
    (count, mean, squared deviations), in the corrected two-pass form at the chunks' level.

    The chunks' squared deviations are free of their means' rounding (see ``column_pass``);
    the merge must not put it back, for the in-memory constant test (16 ulps of the mean,
    whatever the rows) to apply. So Chan's term ``count * (chunk mean - mean)**2`` takes
    each chunk's mean as its rounded value plus its residual (a chunk mean of 1e14 rounded
    to its ulp, 0.016, moved a spread of 10 by 1e-6), the deviations are from a first
    merged mean (rounded too: a product and an addition per chunk), and their own mean is
    taken out of the term and added to the mean, as ``_target._two_pass_variance`` does
    for rows. A constant column stays constant across chunks, its mean to its last bit.
    """
    count = np.stack([p[0] for p in parts]).astype(np.float64)
    mean = np.stack([p[1] for p in parts])
    residual = np.stack([p[2] for p in parts])
    m2 = np.stack([p[3] for p in parts])
    total = count.sum(axis=0)
    rows = np.maximum(total, 1)
    first = (count * mean).sum(axis=0) / rows
    deviation = np.where(count > 0, (mean - first) + residual, 0.0)
    shift = (count * deviation).sum(axis=0)
    merged_mean = np.where(total > 0, first + shift / rows, np.nan)
    between = np.maximum((count * deviation**2).sum(axis=0) - shift * shift / rows, 0.0)
    return total, merged_mean, m2.sum(axis=0) + between


def _target_values(part: Any, name: str = "y", when: str = "fit") -> np.ndarray:
    """One chunk of y (or of ``name``) as a 2-D float64 array, ±inf and huge magnitudes
    refused with the column named as in memory (a Series' name, else ``target``). Tiny ones
    are not: the chunk may be all of a column that is not (see :func:`_refuse_tiny`)."""
    if isinstance(part, (pd.Series, pd.DataFrame)):
        values = part.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(part, dtype=np.float64)
    if isinstance(part, pd.DataFrame):
        columns = [str(c) for c in part.columns]
    elif isinstance(part, pd.Series) and part.name is not None:
        columns = [str(part.name)]
    elif values.ndim == 1:
        columns = ["target" if name == "y" else name]
    else:
        columns = [f"target_{j}" for j in range(values.shape[1])]
    values = _as_rows(values)
    has_missing_values(values, columns, name=name, refuse_tiny=False, when=when)
    return values


def _meta_of(chunks: _Chunks) -> pd.DataFrame:
    """An empty frame of X's columns as the in-memory estimators see them: dates, durations and
    periods as float64 nanoseconds (ordered numeric features, not categoricals), their dtypes
    at fit kept in ``attrs`` as :func:`~hvrt._validation.to_frame` keeps them."""
    return _dates_as_numbers(pd.DataFrame({c: pd.Series(dtype=d) for c, d in chunks.dtypes.items()}))


def _frame_of(part: Any, raw: Sequence[str] = ()) -> pd.DataFrame:
    """One chunk as the DataFrame the in-memory estimators see (an empty chunk stays empty).

    ``raw``: categorical columns whose keys come from their values as they are. In memory
    ``to_frame`` reads the whole column: dates with text stay objects, keyed as written
    (``2024-01-01 00:00:00``). A chunk holding only the dates of such a column would make
    them nanoseconds (``1704067200000000000``), keys no other chunk has; they are put back.
    """
    if len(part) > 0:
        return to_frame(part, raw=raw)[0]
    if isinstance(part, pd.DataFrame):
        return part.set_axis([str(c) for c in part.columns], axis=1)
    return pd.DataFrame(np.empty((0, part.shape[1])), columns=[f"f{j}" for j in range(part.shape[1])])


def _raw_categoricals(preprocessor: Preprocessor) -> list[str]:
    """The categorical columns keyed on their values as they are (see :func:`_frame_of`)."""
    return preprocessor.raw_categoricals()


def _summarise_chunk(
    part: Any,
    numeric: list[str],
    undecided: list[str],
    categorical: list[str],
    objects: list[str],
    take: np.ndarray | None = None,
    expected: dict[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """What one chunk of X contributes to the preprocessing: moments, category counts, kinds
    (and its rows at the positions ``take``, gathered in the same pass).

    ``expected``: the dask metadata's kind and dtype of the columns it says hold bools,
    numbers or times (:func:`_dtype_family`), which each chunk is checked against.

    ``numeric`` holds the ``undecided`` columns too (object columns, numeric in memory when
    they hold only numbers, or only dates, or only durations): their moments are taken
    where the chunk holds one of these (dates as nanoseconds, as ``to_frame`` reads them),
    and ``"object_kinds"`` says what the chunk holds in each of ``objects`` (the undecided
    columns, then the listed categorical columns of objects); the undecided columns'
    categories, if it comes to that, are counted by :func:`_categories_chunk`.
    """
    listed = objects[len(undecided):]
    if expected and isinstance(part, pd.DataFrame) and len(part):
        _check_chunk_dtypes(part, expected)
    try:
        frame = _frame_of(part, raw=listed)
    except ValueError:
        mixed = _naive_and_zoned(part, objects)
        if not mixed:
            raise
        return {"rows": len(part), "mixed_times": mixed}  # refused on the client, counted over every chunk
    kinds = [_object_kind(frame, c) for c in objects]
    text = [c for c, kind in zip(undecided, kinds) if kind == "text"]
    values = frame[numeric].assign(**{c: np.nan for c in text}) if text else frame[numeric]
    try:
        values = values.to_numpy(dtype=np.float64, na_value=np.nan) if numeric else np.empty((len(frame), 0))
    except (TypeError, ValueError) as err:
        _refuse_values_unlike_meta(values, expected or {}, err)
        raise
    moments, largest = _column_summary(values)
    if np.any(largest > MAX_MAGNITUDE):  # ±inf and huge values, refused naming the columns
        has_missing_values(values, numeric, refuse_tiny=False)
    extent = _index_extent(part) if isinstance(part, pd.DataFrame) else None  # for _paired_chunks
    summary: dict[str, Any] = {
        "rows": len(frame), "moments": moments, "largest": largest, "object_kinds": kinds, "extent": extent,
        "object_counts": [int(frame[c].notna().sum()) for c in objects],
    }
    summary.update(_summarise_categories(frame, categorical))
    summary.update(_warning_facts(part, objects))
    if take is not None:
        summary["taken"] = _take_rows(part, take)
    return summary


def _naive_and_zoned(part: Any, objects: list[str]) -> dict[str, int]:
    """The object columns of a chunk holding times both with and without a time zone (which
    ``to_frame`` refuses), with their naive times' count."""
    if not isinstance(part, pd.DataFrame):
        return {}
    mixed = {}
    for j, column in enumerate(str(c) for c in part.columns):
        if column not in objects or part.dtypes.iloc[j] != object:
            continue
        present = part.iloc[:, j].dropna()
        if pd.api.types.infer_dtype(present, skipna=True) != "datetime":
            continue
        naive = sum(getattr(value, "tzinfo", None) is None for value in present)  # (a rare column: a refusal)
        if 0 < naive < len(present):
            mixed[column] = naive
    return mixed


def _refuse_naive_and_zoned(summaries: list[dict], objects: list[str]) -> None:
    """The in-memory refusal of an object column of times with and without a time zone
    (``_validation._zoned_times_as_instants``), whether one chunk holds both or each chunk
    one: the naive times counted over every chunk, as in memory over the column."""
    for j, column in enumerate(objects):
        naive, zoned = 0, False
        for summary in summaries:
            if "mixed_times" in summary:  # this chunk held both (in this column or another)
                naive += summary["mixed_times"].get(column, 0)
                zoned = zoned or column in summary["mixed_times"]
                continue
            kind = summary["object_kinds"][j]
            if kind == "dates":
                naive += summary["object_counts"][j]
            zoned = zoned or (kind is not None and kind.startswith("dates in "))
        if naive and zoned:
            raise ValueError(
                f"X column {column!r} holds times with a time zone and {naive:,} without one; no zone for the naive "
                f"ones is right: give them one (pd.to_datetime(X[{column!r}], utc=True) reads them as UTC), or make "
                "the column text to split it as categories"
            )


def _dtype_family(dtype: Any) -> str:
    """What a column of this dtype holds as hvrt reads it: ``"bools"`` (categorical),
    ``"numbers"``, ``"dates"``, ``"durations"``, ``"periods"`` (numeric), or ``"other"``
    (objects, text, pandas categoricals: decided by their values or as categories)."""
    if isinstance(dtype, pd.CategoricalDtype) or dtype == object or pd.api.types.is_string_dtype(dtype):
        return "other"
    if pd.api.types.is_bool_dtype(dtype):
        return "bools"
    if isinstance(dtype, pd.PeriodDtype):
        return "periods"
    if is_duration_dtype(dtype):
        return "durations"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "dates"
    return "numbers" if pd.api.types.is_numeric_dtype(dtype) else "other"


def _expected_families(chunks: _Chunks) -> dict[str, tuple[str, str]]:
    """The metadata's kind and dtype of the columns whose every chunk must hold that kind."""
    if not chunks.is_frame:
        return {}
    families = {c: (_dtype_family(dtype), str(dtype)) for c, dtype in chunks.dtypes.items()}
    return {c: family for c, family in families.items() if family[0] != "other"}


def _check_chunk_dtypes(part: pd.DataFrame, expected: dict[str, tuple[str, str]]) -> None:
    """Refuse a chunk whose column holds another kind than the dask metadata says (bools
    where it says numbers, numbers where it says dates: ``dd.from_delayed`` / ``from_map``
    over files of differing schemas). The fit decides each column from the metadata; in
    memory ``pd.concat`` of the chunks would read the whole column otherwise (ints and bools
    as ints: numeric, not categorical). Objects and text in a chunk are read by their values
    (numbers in them are numbers; text is refused by :func:`_refuse_values_unlike_meta`)."""
    drifted = []
    for column, dtype in zip(part.columns, part.dtypes):
        want = expected.get(str(column))
        if want is None:
            continue
        family = _dtype_family(dtype)
        if family not in ("other", want[0]):
            drifted.append((str(column), want, dtype))
    if drifted:
        column, (family, meta), dtype = drifted[0]
        raise ValueError(
            f"X column(s) {[c for c, _, _ in drifted]} hold {family} by the dask metadata ({meta}) but a chunk "
            f"holds {_dtype_family(dtype)} there ({column!r}: {dtype}); in memory the whole column would be read "
            "otherwise. Cast the chunks to one dtype, or give the collection the metadata of what they hold "
            "(meta= of dd.from_delayed / dd.from_map)"
        )


def _refuse_values_unlike_meta(values: pd.DataFrame, expected: dict[str, tuple[str, str]], err: Exception) -> None:
    """Refuse, naming them, the columns the dask metadata says hold numbers (or times) where
    a chunk holds values that are not (text: ``"n/a"``), as labelling refuses them."""
    bad = []
    for column in values.columns:
        if column not in expected:
            continue
        try:
            values[[column]].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            bad.append(column)
    if bad:
        family, meta = expected[bad[0]]
        raise ValueError(
            f"X column(s) {bad} hold {family} by the dask metadata ({meta}) but a chunk holds values that are not "
            f"({err}); convert them (dd.to_numeric(X[{bad[0]!r}], errors='coerce') turns text into NaN), or give the "
            "collection the metadata of what its chunks hold (meta= of dd.from_delayed / dd.from_map)"
        ) from None


def _warning_facts(part: Any, objects: list[str]) -> dict[str, Any]:
    """What the in-memory fit's warnings of a column found categorical read of a chunk
    (``_preprocessing._warn_of_stray_text``, ``_warn_of_python_dates``): the first 64 values
    of its object and text columns, and whether each object column holds only
    ``datetime.date`` values (``"date"``), none (``"empty"``) or anything else."""
    if not isinstance(part, pd.DataFrame):
        return {"heads": None, "date_kinds": {}}
    names = [str(c) for c in part.columns]
    textual = [j for j, dtype in enumerate(part.dtypes) if dtype == object or isinstance(dtype, pd.StringDtype)]
    heads = part.iloc[:64, textual].set_axis([names[j] for j in textual], axis=1)
    date_kinds = {}
    for j, column in enumerate(names):
        if column in objects and part.dtypes.iloc[j] == object:
            values = part.iloc[:, j]
            kind = pd.api.types.infer_dtype(values.iloc[:64], skipna=True)  # the head decides whether to scan
            date_kinds[column] = pd.api.types.infer_dtype(values, skipna=True) if kind in ("date", "empty") else kind
    return {"heads": heads, "date_kinds": date_kinds}


def _warn_as_in_memory(
    chunks: _Chunks,
    summaries: list[dict],
    categorical: list[str],
    counts: list[pd.Series],
    category_values: list[dict[str, Any]],
    found: bool,
) -> None:
    """The in-memory fit's warnings of its categorical columns, once for all chunks: a
    whole float beyond 2**53 (of any categorical column), and of the columns found
    categorical (``found``: none listed) a numeric column with a few stray values and a
    column of Python dates (``_preprocessing.resolve_categorical``)."""
    for column, values in zip(categorical, category_values):
        rounded = next(
            (v for v in values.values() if isinstance(v, (float, np.floating)) and _is_rounded_integer(float(v))), None
        )
        if rounded is not None:
            _warn_of_rounded_integers(column, rounded)
    if not found:
        return
    dates = [
        c for c in categorical
        if chunks.dtypes[c] == object
        and {s["date_kinds"].get(c, "empty") for s in summaries} <= {"date", "empty"}
        and any(s["date_kinds"].get(c) == "date" for s in summaries)
    ]  # fmt: skip
    warn_of_python_dates(dates, stacklevel=5)
    heads = [s["heads"] for s in summaries if s["heads"] is not None and len(s["heads"])]
    for column, values, firsts in zip(categorical, counts, category_values):
        if not heads or column not in heads[0].columns:
            continue
        if not mostly_numbers(pd.concat([head[column] for head in heads]).iloc[:64]):
            continue
        distinct = pd.Series([firsts.get(key, key) for key in values.index], dtype=object)
        warn_of_stray_values(column, distinct, values.to_numpy(), stacklevel=5)


def _object_kind(frame: pd.DataFrame, column: str) -> str | None:
    """What a chunk's object column holds, as ``to_frame`` read it (``frame`` is its result):
    ``"numbers"``, ``"dates"`` (``"dates in <zone>"`` when zoned; periods are
    ``"periods of <freq>"``), ``"durations"``, ``"text"`` for anything else (text, bools, a
    mix of kinds: a categorical column), or None when it holds no value. The same kind in
    every chunk is what makes the whole column that kind in memory."""
    values = frame[column]
    if values.isna().all():  # (a time column's NaT are NaN by now)
        return None
    dtype = frame.attrs.get(TIME_DTYPES, {}).get(column)
    if dtype is not None:
        if isinstance(dtype, pd.PeriodDtype):
            return f"periods of {dtype.freq.freqstr}"
        # the in-memory reading of the same dtype (``time_kinds``, ``date_zones``): pyarrow
        # durations and zoned timestamps too
        if is_duration_dtype(dtype):
            return "durations"
        zone = dtype_zone(dtype)
        return "dates" if zone is None else f"dates in {zone}"
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return "numbers" if numeric else "text"


def _summarise_categories(frame: pd.DataFrame, categorical: list[str]) -> dict[str, Any]:
    """A chunk's category counts, values by key and kinds, for its ``categorical`` columns."""
    categories = [_category_summary(frame[c], c) for c in categorical]
    return {
        "category_counts": [counts for counts, _ in categories],
        "category_values": [values for _, values in categories],
        "kinds": [_category_kind(frame[c]) if frame[c].notna().any() else None for c in categorical],
    }


def _categories_chunk(part: Any, raw: list[str], converted: list[str]) -> dict[str, Any]:
    """A chunk's categories of the ``raw`` columns (keyed on their values as they are, see
    :func:`_frame_of`) and of the ``converted`` ones (as ``to_frame`` reads the chunk)."""
    return _summarise_categories(_frame_of(part, raw=raw), raw + converted)


def _category_summary(column: pd.Series, name: str) -> tuple[pd.Series, dict[str, Any] | None]:
    """Rows per category key of one chunk's categorical column, and one value of the column
    for each key (for :func:`_check_category_keys`; None for a pandas categorical of text,
    whose categories are the keys). One factorising pass; the keys as in memory
    (``_preprocessing._column_codes``, which refuses ``1`` and ``"1"`` within the chunk)."""
    if _is_text_categorical(column):
        codes, keys = _column_codes(column, name)
        counts = np.bincount(codes[codes >= 0], minlength=len(keys) - 1)
        present = counts > 0  # not its unused categories: as in memory, only the values seen
        return pd.Series(counts[present], index=keys[:-1][present]), None
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # unhashable values: the in-memory error, naming the column
        _column_codes(column, name)
        raise
    uniques = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    # keys[:-1]: one per distinct value, in their order (floats beyond 2**53 are warned of
    # once, on the client: _warn_as_in_memory)
    with rounding_warned_elsewhere():
        _, keys = _column_codes(uniques, name)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return pd.Series(counts, index=keys[:-1]), dict(zip(keys[:-1], uniques))


def _check_category_keys(values_by_key: list[dict[str, Any] | None], column: str) -> None:
    """The in-memory refusal of a categorical column holding two values that give one key
    (``1`` and ``"1"``), for values in different chunks: each chunk checks its own."""
    seen: dict[str, Any] = {}
    for chunk_values in values_by_key:
        for key, value in (chunk_values or {}).items():
            other = seen.setdefault(key, value)
            try:
                same = other is value or bool(other == value)  # 1 and 1.0 are one value, as pandas factorizes
            except (TypeError, ValueError):  # a value whose == is not a truth value
                same = False
            if not same:
                raise _one_key(column, other, value)


def _refuse_bad_response(summaries: list[dict[str, Any]]) -> None:
    """The in-memory regressor's error for a missing or infinite ``y`` (``local_models``),
    counted over every chunk, the first one's row counted from the first chunk."""
    bad = [(i, s["bad"]) for i, s in enumerate(summaries) if "bad" in s]
    if not bad:
        return
    i, (_, first, value) = bad[0]
    row = sum(s["rows"] for s in summaries[:i]) + first
    count = sum(b[0] for _, b in bad)
    raise ValueError(
        f"y has {count} missing or infinite value(s), first at row {row} ({value}); every training row needs a finite target"
    )


def _summarise_target(part: Any, response: bool = False) -> dict[str, Any]:
    """A chunk of y's rows, moments and largest magnitudes; with ``response`` (a model's
    response, which must be finite), first its missing or infinite values: their count,
    and the first one's position in the chunk and value (for :func:`_refuse_bad_response`)."""
    if response:
        raw = part.to_numpy(dtype=np.float64, na_value=np.nan) if isinstance(part, (pd.Series, pd.DataFrame)) else np.asarray(part, dtype=np.float64)
        bad = ~np.isfinite(raw.reshape(len(raw), -1)[:, 0]) if raw.size else np.zeros(len(raw), dtype=bool)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            return {"rows": len(raw), "bad": (int(bad.sum()), first, float(raw.reshape(len(raw), -1)[first, 0]))}
    values = _target_values(part)
    moments, largest = _column_summary(values)
    extent = _index_extent(part) if isinstance(part, (pd.Series, pd.DataFrame)) else None
    return {"rows": len(values), "moments": moments, "largest": largest, "extent": extent}


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
) -> tuple[_Scaling, list[Any] | None]:
    """The distributed pass: preprocessing statistics of X (and y), merged on the client.

    ``take``: sorted row positions to gather in the same pass (X's chunk lengths must be
    known); the pieces are then in ``scaling.taken``. ``response``: y is a model's
    response, refused where missing or infinite as in memory (:func:`_refuse_bad_response`).

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


def _as_rows(values: np.ndarray) -> np.ndarray:
    """``values`` as (rows, columns); ``reshape(n, -1)`` cannot shape an empty chunk's none."""
    return values.reshape(len(values), values.shape[1] if values.ndim == 2 else 1)


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


# --------------------------------------------------------------------------- gathering rows


def _take_rows(part: Any, rows: np.ndarray) -> Any:
    if isinstance(part, (pd.DataFrame, pd.Series)):
        return part.iloc[rows]
    return np.asarray(part)[rows]


def _take_paired(part: Any, x_part: Any, rows: np.ndarray, name: str) -> Any:
    """:func:`_take_rows` of a chunk of y (or ``name``) paired with X's chunk ``x_part``,
    after checking they hold the same rows (their indexes, as in memory: K22)."""
    _check_paired(part, x_part, name)
    return _take_rows(part, rows)


def _gather(
    parts: list[Any], chunk_rows: np.ndarray, rows: np.ndarray, paired: list[Any] | None = None, name: str = "y"
) -> list[Any]:
    """Delayed selections of the sorted global ``rows`` from each chunk (empty chunks skipped).

    ``paired``: X's chunks, when ``parts`` are y's (or ``name``'s) cut like them: each
    selection checks its chunk against X's first (:func:`_take_paired`; in the same
    computation as X's own selections, X's chunks are read once)."""
    bounds = np.concatenate([[0], np.cumsum(chunk_rows)])
    take, take_paired = _delayed(_take_rows), _delayed(_take_paired)
    selections = []
    for i, part in enumerate(parts):
        low, high = np.searchsorted(rows, bounds[i]), np.searchsorted(rows, bounds[i + 1])
        if high > low:
            local = rows[low:high] - bounds[i]
            selections.append(take(part, local) if paired is None else take_paired(part, paired[i], local, name))
    return selections


def _concat_rows(pieces: list[Any], columns: list[str], raw: Sequence[str] = ()) -> pd.DataFrame:
    """Gathered rows as the in-memory estimators see them (times as nanoseconds, the ``raw``
    columns as they are: see :func:`_frame_of`)."""
    if isinstance(pieces[0], pd.DataFrame):
        return _frame_of(pd.concat(pieces), raw)
    return pd.DataFrame(np.concatenate(pieces), columns=columns)


def _concat_target(pieces: list[Any]) -> np.ndarray:
    return np.concatenate([_target_values(p) for p in pieces])


# --------------------------------------------------------------------------- labelling


def _label_block(block: np.ndarray, local: HVRTPartitioner) -> np.ndarray:
    if len(block) == 0:
        return np.empty(0, dtype=np.int64)
    if _raw_categoricals(local._preprocessor) and isinstance(block, pd.DataFrame):
        return _checked_apply(block, local, local._leaf_to_label)
    return local.get_partitions(block)


def _leaf_block(block: Any, local: HVRTPartitioner) -> np.ndarray:
    if len(block) == 0:
        return np.empty(0, dtype=np.int64)
    if _raw_categoricals(local._preprocessor) and isinstance(block, pd.DataFrame):
        return _checked_apply(block, local, None)
    return local.apply(block)


def _checked_apply(block: pd.DataFrame, local: HVRTPartitioner, node_values: np.ndarray | None) -> np.ndarray:
    """``local.apply`` (or ``get_partitions``, with the leaves' labels) of a chunk whose
    categorical columns are keyed on their values as they are (see :func:`_frame_of`): the
    in-memory estimator reads the chunk alone, so a chunk holding only the dates of a
    column of dates and text would reach its categories as nanoseconds."""
    return local._checked_apply_frame(_frame_of(block, _raw_categoricals(local._preprocessor)), True, node_values)


def _map_rows(X: Any, function: Any, model: Any, dtype: Any, name: str) -> Any:
    """``function(chunk, model)`` over the row chunks of a dask array or DataFrame, lazily.

    The tasks are module-level functions bound with :func:`functools.partial` (not
    closures), so the graph pickles with plain ``pickle`` as well as with cloudpickle."""
    dask = import_dask()
    _chunks_of(X)  # the same checks as at fit
    given = _Given()  # the warning texts this labelling gave (one set per process)
    if isinstance(X, dask.array.Array):
        on_block = functools.partial(_on_block, function=function, model=model, given=given)
        return X.map_blocks(on_block, drop_axis=1, dtype=dtype, meta=np.empty(0, dtype))
    on_frame = functools.partial(_on_frame, function=function, model=model, dtype=dtype, name=name, given=given)
    return X.map_partitions(on_frame, meta=pd.Series(dtype=dtype, name=name))


# A chunk labelled gives each warning text once per labelling (``given``) in each process,
# as the in-memory labelling of all the rows gives it once: integers beyond 2**53 (X27, by
# column name only, one text for every chunk), feature names unlike the fit's, categorical
# floats beyond 2**53


class _Given:
    """A labelling's set of warning texts given (``texts``), with a Dask token of its own,
    so that labelling the same rows again is a new graph with a new set, not the first
    one's (a set's token would be its contents)."""

    def __init__(self) -> None:
        self.texts: set[str] = set()
        self._token = uuid.uuid4().hex

    def __dask_tokenize__(self) -> str:
        return self._token


def _on_block(block: np.ndarray, *, function: Any, model: Any, given: _Given) -> np.ndarray:
    with rounded_integers_warning("columns"), warnings_given_once(given.texts):
        return function(block, model)


def _on_frame(frame: pd.DataFrame, *, function: Any, model: Any, dtype: Any, name: str, given: _Given) -> pd.Series:
    with rounded_integers_warning("columns"), warnings_given_once(given.texts):
        values = function(frame, model) if len(frame) else np.empty(0, dtype)
    return pd.Series(values, index=frame.index, name=name, dtype=dtype)


def _once_per_call(*args: Any, function: Any, given: _Given, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` on a chunk, giving each warning text once for all the
    chunks of one call (an analysis): X27 by column name only, as a labelling."""
    with rounded_integers_warning("columns"), warnings_given_once(given.texts):
        return function(*args, **kwargs)


def _fit_chunk_facts(
    part: Any,
    local: HVRTPartitioner,
    counted: bool,
    objects: list[str],
    time_columns: list[str],
    y_part: Any = None,
) -> dict[str, Any]:
    """What one chunk tells ``partition_rules``: its rows per partition (when ``counted``),
    the time dtypes ``to_frame`` read in its ``objects`` columns, each partition's
    smallest and largest time in ``time_columns`` (:func:`~hvrt.partitioner.time_ranges`),
    and with ``y_part`` (the chunk's rows of y) each partition's sum and count of every y
    output's present values (the in-memory fit's ``_partition_means``, merged)."""
    # (the chunk read as in memory only where times are asked of it: labelling reads it too)
    frame = _frame_of(part, _raw_categoricals(local._preprocessor)) if objects or time_columns else None
    read = {} if frame is None else frame.attrs.get(TIME_DTYPES, {})
    facts: dict[str, Any] = {"time_dtypes": {c: str(read[c]) for c in objects if c in read}, "ranges": {}}
    if counted or time_columns or y_part is not None:
        # warned of once by the fit's first pass (X27: on the client's rows)
        with rounding_warned_elsewhere(), rounded_integers_warning("elsewhere"):
            labels = _label_block(part, local)
        if counted:
            facts["counts"] = np.bincount(labels, minlength=local.n_partitions_)
        if time_columns and len(part):
            facts["ranges"] = time_ranges(part, frame, labels, local.n_partitions_, time_columns)
        if y_part is not None:
            _check_paired(y_part, part, "y")
            values = _target_values(y_part)
            present = ~np.isnan(values)
            k = local.n_partitions_
            # (a few outputs; bincount is vectorised over the rows)
            facts["y_sums"] = np.stack(
                [np.bincount(labels[present[:, j]], weights=values[present[:, j], j], minlength=k) for j in range(values.shape[1])],
                axis=1,
            )  # fmt: skip
            facts["y_counts"] = np.stack(
                [np.bincount(labels[present[:, j]], minlength=k) for j in range(values.shape[1])], axis=1
            )
    return facts


def _zones_as_settled(time_dtypes: dict[str, str], preprocessor: Preprocessor, objects: list[str]) -> None:
    """An object column of zoned dates in several zones is read as instants in UTC, as in
    memory (:func:`_settled_kind`): its time dtype for the rules is then UTC's, whatever
    zone the first chunk held."""
    zones = preprocessor.date_zones or {}
    for column in objects:
        dtype = time_dtypes.get(column)
        if dtype is None or zones.get(column) is None:
            continue
        read = pd.api.types.pandas_dtype(dtype)
        if isinstance(read, pd.DatetimeTZDtype) and str(read.tz) != zones[column]:
            time_dtypes[column] = str(pd.DatetimeTZDtype(unit=read.unit, tz=zones[column]))


def _merge_time_ranges(parts: list[dict[str, tuple[np.ndarray, np.ndarray]]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The chunks' per-partition time ranges merged: the smallest low, the largest high."""
    merged: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for ranges in parts:
        for column, (low, high) in ranges.items():
            if column in merged:
                low, high = np.minimum(merged[column][0], low), np.maximum(merged[column][1], high)
            merged[column] = (low, high)
    return merged


def _gather_with_blend(
    chunks: _Chunks, y_chunks: list[Any] | None, scaling: _Scaling, rows: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The given rows of X and y gathered to the client (as the in-memory estimators see
    them), the user scaler fitted on them, and (with y) the blend's variances set: in the
    same pass, or after it with a user scaler (each chunk's part needs it fitted)."""
    x_pieces = _gather(chunks.parts, scaling.chunk_rows, rows)
    y_pieces = [] if y_chunks is None else _gather(y_chunks, scaling.chunk_rows, rows, chunks.parts)
    blend = y_chunks is not None and 0.0 < scaling.y_weight
    moments = _delayed(_part_moments)
    blend_tasks = [moments(part, y_part, scaling) for part, y_part in zip(chunks.parts, y_chunks)] if blend else []
    x_pieces, y_pieces, blend_parts = _compute(x_pieces, y_pieces, [] if scaling.scaler is not None else blend_tasks)
    frame = _concat_rows(x_pieces, list(chunks.dtypes.index), _raw_categoricals(scaling.preprocessor))
    y_values = _concat_target(y_pieces) if y_chunks is not None else None
    if scaling.scaler is not None:
        scaling.fit_scaler(frame)
        if blend:
            (blend_parts,) = _compute([moments(part, y_part, scaling) for part, y_part in zip(chunks.parts, y_chunks)])
    if blend_parts:
        x_variance = _total_variance(_merge_moments([p[0] for p in blend_parts]))
        if scaling.mode == "sum":  # y oriented over all rows, as in memory (_target.y_target_part, blend_target)
            _, covariance = _merge_co_moments([p[1] for p in blend_parts])
            signs = y_column_signs(covariance[1:, 1:])
            scaling.y_signs, scaling.covariance = signs, float(np.dot(signs, covariance[0, 1:]))
            scaling.variances = (x_variance, float(signs @ covariance[1:, 1:] @ signs))
        else:
            scaling.variances = (x_variance, _total_variance(_merge_moments([p[1] for p in blend_parts])))
    return frame, y_values


def _fit_target_encoder(preprocessor: Preprocessor, frame: pd.DataFrame, guide: np.ndarray, random_state: Any) -> None:
    """``category_encoding="target"``, fitted on gathered rows (as in memory, on their
    target's :func:`~hvrt._target.encoder_guide`, from :meth:`_Scaling.guided_target`)."""
    preprocessor.encoder = TargetEncoder(target_type="continuous", random_state=random_state).fit(
        _imputed_categories(preprocessor, frame), guide
    )


# --------------------------------------------------------------------------- target encoding from every row
#
# In memory, category_encoding="target" fits sklearn's TargetEncoder on every row, on the
# target's encoder_guide. Its encodings are functions of each category's count, mean and
# squared deviations of the guide and of the guide's overall mean and variance: sums over
# rows, which the chunks reduce and the client merges. The guide's orientation
# (_target.encoder_guide) is decided over all rows the same way: y's columns' signs from
# their merged covariances (y_column_signs), the sign of a y that stands alone from its
# merged third central moment.


def _chunk_target(part: Any, y_part: Any, scaling: _Scaling) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, pd.DataFrame]:
    """A chunk's synthetic target with its x and y parts (as :meth:`_Scaling.guided_target`
    builds them: a part left out of the blend comes back as that very array) and its frame."""
    if y_part is not None:
        _check_paired(y_part, part, "y")
    frame = _frame_of(part, _raw_categoricals(scaling.preprocessor))
    y_values = None if y_part is None else _target_values(y_part)
    x_part, y_target = scaling.parts(frame, y_values)
    target = blend_target(x_part, y_target, scaling.y_weight, scaling.variances, scaling.noise(), scaling.covariance)
    return target, x_part, y_target, frame


def _guide_columns(target: np.ndarray, x_part: np.ndarray, y_part: np.ndarray | None) -> tuple[int, np.ndarray] | None:
    """For a features target with ``y``: the feature columns' count in it and the columns
    (their sum, then y's) whose covariances orient the guide (as ``encoder_guide``)."""
    if y_part is None or target is x_part or target.ndim == 1:
        return None
    n_x = 0 if target is y_part else target.shape[1] - y_part.shape[1]
    x_sum = target[:, :n_x].sum(axis=1) if n_x else np.zeros(len(target))
    return n_x, np.column_stack([x_sum, target[:, n_x:]])


def _guide_orientation_chunk(part: Any, y_part: Any, scaling: _Scaling) -> tuple[int, tuple] | None:
    """A chunk's co-moments of :func:`_guide_columns` (None: no y columns to orient)."""
    columns = _guide_columns(*_chunk_target(part, y_part, scaling)[:3])
    if columns is None:
        return None
    n_x, values = columns
    return n_x, _co_moments(np.ascontiguousarray(values.T))


def _third_moments(values: np.ndarray) -> tuple[int, float, float, float, float]:
    """(rows, mean, squared and cubed deviations, first nonzero value or 0) of a 1-D chunk."""
    if len(values) == 0:
        return 0, 0.0, 0.0, 0.0, 0.0
    mean = float(values.mean())
    deviation = values - mean
    nonzero = np.flatnonzero(values)
    first = float(values[nonzero[0]]) if len(nonzero) else 0.0
    return len(values), mean, float(deviation @ deviation), float(np.einsum("i,i,i->", deviation, deviation, deviation)), first


def _merged_orientation(parts: list[tuple[int, float, float, float, float]]) -> float:
    """``_target._orientation`` over all rows from the chunks' :func:`_third_moments`: the
    sign of the merged third central moment (Chan's pairwise formula), where it is 0 the
    sign of the first nonzero value (+1 if none)."""
    count, mean, m2, m3 = 0, 0.0, 0.0, 0.0
    first = 0.0
    for n_b, mean_b, m2_b, m3_b, first_b in parts:
        if n_b == 0:
            continue
        first = first or first_b
        total = count + n_b
        delta = mean_b - mean
        m3 = m3 + m3_b + delta**3 * count * n_b * (count - n_b) / total**2 + 3.0 * delta * (count * m2_b - n_b * m2) / total
        m2 = m2 + m2_b + delta**2 * count * n_b / total
        mean, count = mean + delta * n_b / total, total
    moment = m3 if m3 != 0.0 else (first if first != 0.0 else 1.0)
    return 1.0 if moment > 0.0 else -1.0


def _guide_stats_chunk(part: Any, y_part: Any, scaling: _Scaling, signs: np.ndarray | None) -> dict[str, Any]:
    """A chunk's guide (``encoder_guide`` with y's columns oriented by ``signs``, before any
    overall flip): its moments, per categorical column each category key's count, mean and
    squared deviations (missing values a key of their own, as sklearn takes them), and the
    third moments of what decides the overall flip (a y that stands alone)."""
    if len(part) == 0:  # (the imputer refuses no rows)
        empty = pd.DataFrame({"key": np.empty(0, dtype=object), "count": [], "mean": [], "m2": []})
        categorical = scaling.preprocessor.categorical_columns
        return {"moments": _column_moments(np.empty((0, 1))), "categories": [empty] * len(categorical), "decider": None}
    target, x_part, y_target, frame = _chunk_target(part, y_part, scaling)
    decider = None
    if y_target is None or target is x_part:
        guide = target if target.ndim == 1 else target.reshape(len(target), -1).sum(axis=1)
    elif target.ndim == 1:
        guide = target
        decider = target if target is y_target else None
    else:
        n_x, _ = _guide_columns(target, x_part, y_target)
        guide = _signed_row_sums(target, np.r_[np.ones(n_x), signs])
        decider = _signed_row_sums(target[:, n_x:], signs)
    guide = np.asarray(guide, dtype=np.float64)
    with rounding_warned_elsewhere():  # warned of once by the scaling pass
        categories = _imputed_categories(scaling.preprocessor, frame)
    stats = []
    for j in range(categories.shape[1]):
        codes, keys = pd.factorize(pd.Series(categories[:, j], dtype=object), use_na_sentinel=False)
        counts = np.bincount(codes, minlength=len(keys)).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.bincount(codes, weights=guide, minlength=len(keys)) / counts
        deviation = guide - means[codes]
        m2 = np.bincount(codes, weights=deviation * deviation, minlength=len(keys))
        stats.append(pd.DataFrame({"key": np.asarray(keys, dtype=object), "count": counts, "mean": means, "m2": m2}))
    return {
        "moments": _column_moments(guide[:, None]),
        "categories": stats,
        "decider": None if decider is None else _third_moments(np.asarray(decider, dtype=np.float64)),
    }


def _merged_category_stats(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' per-key (count, mean, squared deviations) of one column, merged (Chan)."""
    stats = pd.concat(parts, ignore_index=True)
    stats["key"] = stats["key"].map(lambda key: _MISSING_KEY if pd.isna(key) else key)
    stats["sum"] = stats["count"] * stats["mean"]
    grouped = stats.groupby("key", sort=False)
    merged = grouped[["count", "sum", "m2"]].sum()
    merged["mean"] = merged["sum"] / merged["count"]
    spread = stats["count"] * (stats["mean"] - stats["key"].map(merged["mean"])) ** 2
    merged["m2"] += spread.groupby(stats["key"], sort=False).sum()
    return merged


_MISSING_KEY = ("hvrt", "missing")  # a missing category's key while merging (NaN does not equal itself)


def _fit_target_encoder_distributed(
    preprocessor: Preprocessor, chunks: _Chunks, y_chunks: list[Any] | None, scaling: _Scaling, random_state: Any
) -> None:
    """``category_encoding="target"`` fitted on every row, as in memory: the TargetEncoder
    whose encodings are those sklearn computes from every row (``smooth="auto"``,
    ``_fit_encoding_fast_auto_smooth``: each category's mean guide shrunk to the overall
    mean by ``var * count / (var * count + spread / count)``), from the guide's merged
    per-category count, mean and squared deviations; its categories are sklearn's own
    (fitted on one row per category).

    One pass over the chunks, two for a features target with ``y`` (y's columns' signs come
    first), and a third where that target's orientation is a tie (see ``encoder_guide``)."""
    y_parts = y_chunks if y_chunks is not None else [None] * len(chunks.parts)
    signs = None
    n_x = 0
    orientation = 0.0  # unknown: decided by the third moment where y stands alone
    if scaling.mode == "features" and y_chunks is not None:
        orient = _delayed(_guide_orientation_chunk)
        (parts,) = _compute([orient(p, yp, scaling) for p, yp in zip(chunks.parts, y_parts)])
        parts = [p for p in parts if p is not None]
        if parts:
            n_x = parts[0][0]
            _, covariance = _merge_co_moments([p[1] for p in parts])
            signs, orientation = guide_orientation(covariance, n_x > 0)  # as encoder_guide
    stats_of = _delayed(_guide_stats_chunk)

    def reduce(oriented: np.ndarray | None) -> list[dict[str, Any]]:
        (result,) = _compute([stats_of(p, yp, scaling, oriented) for p, yp in zip(chunks.parts, y_parts)])
        return result

    parts = reduce(None if signs is None else (signs if orientation >= 0.0 else -signs))
    flip = 1.0
    deciders = [p["decider"] for p in parts if p["decider"] is not None]
    if deciders and orientation == 0.0 and _merged_orientation(deciders) < 0.0:
        if signs is not None and n_x > 0:  # a tie: the feature part kept, y's negated
            parts = reduce(-signs)
        else:
            flip = -1.0  # the guide is y alone: negated whole, exactly
    _, mean, m2 = _merge_moments([p["moments"] for p in parts])
    n_rows = scaling.n_rows
    target_mean = flip * float(mean[0])
    variance = float(m2[0]) / n_rows
    merged = [_merged_category_stats([p["categories"][j] for p in parts]) for j in range(len(preprocessor.categorical_columns))]
    encoder = _encoder_of_categories(TargetEncoder(target_type="continuous", random_state=random_state), merged)
    encoder.encodings_ = _smoothed_encodings(encoder, merged, target_mean, variance, flip)
    encoder.target_mean_ = np.float64(target_mean)
    preprocessor.encoder = encoder


def _encoder_of_categories(encoder: TargetEncoder, merged: list[pd.DataFrame]) -> TargetEncoder:
    """``encoder`` fitted on one row per category of each column (its categories sklearn's
    own: sorted, a missing one last) of the keys of ``merged`` (one frame per column)."""
    keys = [list(m.index) for m in merged]
    width = max(len(k) for k in keys)
    rows = np.empty((width, len(keys)), dtype=object)
    for j, column_keys in enumerate(keys):
        values = [np.nan if key == _MISSING_KEY else key for key in column_keys]
        rows[:, j] = values + [values[0]] * (width - len(values))
    return encoder.fit(rows, np.zeros(width))


def _smoothed_encodings(
    encoder: TargetEncoder, merged: list[pd.DataFrame], target_mean: float, variance: float, flip: float = 1.0
) -> list[np.ndarray]:
    """sklearn's ``smooth="auto"`` encodings of ``encoder``'s categories from each column's
    merged per-key count, mean and squared deviations (``flip`` times the guide's), about the
    guide's ``target_mean`` and (population) ``variance``; a category without rows here (a
    fold's training rows lack it) gets ``target_mean``, as sklearn gives it."""
    encodings = []
    for j, stats in enumerate(merged):
        order = [_MISSING_KEY if pd.isna(c) else c for c in encoder.categories_[j]]
        count = stats["count"].reindex(order).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            means = flip * stats["mean"].reindex(order).to_numpy()
            shrink = variance * count / (variance * count + stats["m2"].reindex(order).to_numpy() / count)
        encodings.append(np.where(np.isnan(shrink), target_mean, shrink * means + (1 - shrink) * target_mean))
    return encodings


# --------------------------------------------------------------------------- cross-fitted model inputs
#
# In memory, PartitionedRegressor's target-encoded model inputs are cross-fitted
# (_preprocessing.cross_fitting_encoder's fit_transform): each row is encoded from the rows
# of the other folds. Each row's fold is a function of its position among all rows and the
# partitioner's random_state (cross_fitting_folds); the client sends every chunk its slice.
# The chunks reduce the response per (fold, category); a fold's encodings come from the
# other folds' statistics merged, by the same smoothing, and encode that fold's rows.


def _fold_stats_chunk(part: Any, y_part: Any, scaling: _Scaling, folds: np.ndarray) -> dict[str, Any]:
    """A chunk's model-input guide (the response as it is, as in memory ``encoder_guide``
    without orientation) per fold: its count, mean and squared deviations per fold
    (``"folds"``, keyed by the fold) and, per categorical column, per (fold, category key)."""
    columns = ["key", "fold", "count", "mean", "m2"]
    if len(part) == 0:  # (the imputer refuses no rows)
        empty = pd.DataFrame({c: np.empty(0, dtype=object if c == "key" else np.float64) for c in columns})
        return {"folds": empty, "categories": [empty] * len(scaling.preprocessor.categorical_columns)}
    _check_paired(y_part, part, "y")
    frame = _frame_of(part, _raw_categoricals(scaling.preprocessor))
    target = scaling.target(frame, _target_values(y_part))
    guide = np.asarray(target, dtype=np.float64).reshape(len(frame), -1).sum(axis=1)
    if len(folds) != len(frame):
        raise RuntimeError(f"a chunk of {len(frame)} rows was sent {len(folds)} folds")
    folds = np.asarray(folds, dtype=np.int64)

    def grouped(codes: np.ndarray, keys: np.ndarray) -> pd.DataFrame:
        slots = folds * len(keys) + codes
        size = CROSS_FIT_FOLDS * len(keys)
        counts = np.bincount(slots, minlength=size).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.bincount(slots, weights=guide, minlength=size) / counts
        deviation = guide - means[slots]
        m2 = np.bincount(slots, weights=deviation * deviation, minlength=size)
        stats = pd.DataFrame(
            {
                "key": np.tile(np.asarray(keys, dtype=object), CROSS_FIT_FOLDS),
                "fold": np.repeat(np.arange(CROSS_FIT_FOLDS), len(keys)),
                "count": counts,
                "mean": means,
                "m2": m2,
            }
        )
        return stats[stats["count"] > 0]

    with rounding_warned_elsewhere():  # warned of once by the scaling pass
        categories = _imputed_categories(scaling.preprocessor, frame)
    stats = []
    for j in range(categories.shape[1]):
        codes, keys = pd.factorize(pd.Series(categories[:, j], dtype=object), use_na_sentinel=False)
        stats.append(grouped(codes, np.asarray(keys, dtype=object)))
    by_fold = grouped(np.zeros(len(frame), dtype=np.int64), np.array([0], dtype=object))
    return {"folds": by_fold.assign(key=by_fold["fold"]), "categories": stats}


@dataclass
class _CrossFitted:
    """The cross-fitted model inputs' encodings: per categorical column, its categories (the
    encoder's) and a table of each fold's encoding of each, from the other folds' rows, with
    the fold's mean last (sklearn's value for a category those rows lack, or unseen)."""

    categories: list[pd.Index]
    tables: list[np.ndarray]  # per column, (folds, categories + 1)

    def inputs(self, preprocessor: Preprocessor, frame: pd.DataFrame, folds: np.ndarray) -> np.ndarray:
        """``preprocessor.tree_inputs(frame)`` with the target-encoded block (its last
        columns) encoded by each row's fold, as ``fit_transform`` encodes it."""
        inputs = preprocessor.tree_inputs(frame)
        if len(frame) == 0:
            return inputs
        categories = _imputed_categories(preprocessor, frame)
        start = len(preprocessor.numeric_columns)
        for j, (known, table) in enumerate(zip(self.categories, self.tables)):
            codes = known.get_indexer(categories[:, j])  # -1 (not at fit) takes the last slot
            inputs[:, start + j] = table[folds, codes]
        return inputs


def _fit_cross_fitted_inputs(
    preprocessor: Preprocessor, chunks: _Chunks, y_chunks: list[Any], scaling: _Scaling, folds: list[np.ndarray], random_state: Any
) -> _CrossFitted:
    """The model inputs' target encoder from every row (set on ``preprocessor``, as the
    in-memory fit keeps it: it encodes later rows) and the folds' encoders, from one pass
    of :func:`_fold_stats_chunk` over the chunks (``folds``: each chunk's rows' folds)."""
    stats_of = _delayed(_fold_stats_chunk)
    (parts,) = _compute([stats_of(p, yp, scaling, f) for p, yp, f in zip(chunks.parts, y_chunks, folds)])
    by_fold = pd.concat([p["folds"] for p in parts], ignore_index=True)
    columns = range(len(preprocessor.categorical_columns))
    per_column = [pd.concat([p["categories"][j] for p in parts], ignore_index=True) for j in columns]

    def encodings_of(keep: Any, encoder: TargetEncoder) -> tuple[list[np.ndarray], float]:
        """Encodings (and the guide's mean) from the rows of the folds ``keep`` marks."""
        moments = _merged_category_stats([by_fold[keep(by_fold["fold"])].assign(key=0)])
        mean, variance = float(moments["mean"].iloc[0]), float(moments["m2"].iloc[0] / moments["count"].iloc[0])
        merged = [_merged_category_stats([stats[keep(stats["fold"])]]) for stats in per_column]
        return _smoothed_encodings(encoder, merged, mean, variance), mean

    # every row's encoder, as cross_fitting_encoder leaves it after its fit_transform
    template = cross_fitting_encoder(random_state).set_params(cv=CROSS_FIT_FOLDS)
    encoder = _encoder_of_categories(template, [_merged_category_stats([stats]) for stats in per_column])
    encodings, mean = encodings_of(lambda fold: fold >= 0, encoder)
    encoder.encodings_, encoder.target_mean_ = encodings, np.float64(mean)
    preprocessor.encoder = encoder
    tables = [np.empty((CROSS_FIT_FOLDS, len(c) + 1)) for c in encoder.categories_]
    for fold in range(CROSS_FIT_FOLDS):
        encodings, mean = encodings_of(lambda f, fold=fold: f != fold, encoder)
        for table, encoding in zip(tables, encodings):
            table[fold] = np.r_[encoding, mean]
    return _CrossFitted([pd.Index(c, dtype=object) for c in encoder.categories_], tables)


# --------------------------------------------------------------------------- the histogram route


def _hist_chunk(part: Any, y_part: Any, scaling: _Scaling, mapper: Any) -> Any:
    """One chunk binned, with its synthetic target, every row at the root."""
    from ._hist._distributed import bin_chunk

    if y_part is not None:
        _check_paired(y_part, part, "y")
    frame = _frame_of(part, _raw_categoricals(scaling.preprocessor))
    y_values = None if y_part is None else _target_values(y_part)
    with rounding_warned_elsewhere():  # warned of once by the scaling pass
        X_tree = scaling.preprocessor.tree_inputs(frame)
    return bin_chunk(X_tree, scaling.target(frame, y_values), mapper)  # an empty chunk too


def _tree_sum(tasks: list[Any]) -> Any:
    """The sum of delayed arrays, added pairwise where they live (the client gets one array)."""
    add = _delayed(np.add)
    while len(tasks) > 1:
        tasks = [add(tasks[i], tasks[i + 1]) if i + 1 < len(tasks) else tasks[i] for i in range(0, len(tasks), 2)]
    return tasks[0]


def _grow_distributed(
    chunks: _Chunks,
    y_chunks: list[Any] | None,
    scaling: _Scaling,
    params: Any,
    random_state: Any,
    encoding: str,
    log: StepLog,
    edge_pieces: list[Any] | None = None,
) -> tuple[Preprocessor, Any]:
    """The histogram route: edges from the in-memory engine's edge sample, growth from
    histograms built in the chunks and summed (see :mod:`hvrt._hist._distributed`).

    Dask rounds: the edge sample (unless the scaling pass gathered it: ``edge_pieces``),
    one pass that bins the chunks and keeps them where they are (with their target's
    moments), one that centres the target and builds the root's histogram, then one per
    growth pass, each building only the histograms the replay needs."""
    from ._hist import _distributed as distributed

    dask = import_dask()
    columns = list(chunks.dtypes.index)
    preprocessor = scaling.preprocessor
    if edge_pieces is None:
        frame, y_values = _gather_with_blend(chunks, y_chunks, scaling, distributed.edge_rows(scaling.n_rows, random_state))
    else:  # gathered by the scaling pass (without y)
        frame, y_values = _concat_rows(edge_pieces, columns, _raw_categoricals(preprocessor)), None
        scaling.fit_scaler(frame)
    encoded = encoding == "target" and bool(preprocessor.categorical_columns)
    every_row = len(frame) == scaling.n_rows
    sample_target, guide = scaling.guided_target(frame, y_values, encoded and every_row)
    if encoded and every_row:
        _fit_target_encoder(preprocessor, frame, guide, random_state)
    elif encoded:  # from every row where it lives, as in memory (not the edge sample)
        log("target encoding from every row")
        _fit_target_encoder_distributed(preprocessor, chunks, y_chunks, scaling, random_state)
    del guide
    # the in-memory engine's bins for this many outputs (fewer for the features target)
    n_outputs = 1 if sample_target.ndim == 1 else sample_target.shape[1]
    with rounding_warned_elsewhere():  # warned of once by the scaling pass
        edge_inputs = preprocessor.tree_inputs(frame)
    mapper = distributed.fit_edges(edge_inputs, random_state, distributed.max_bins_for(n_outputs))
    n_features, n_codes = len(mapper.n_value_bins), mapper.n_codes
    log(f"bin edges from {len(frame):,} rows; binning {len(chunks.parts)} chunks where they live")

    y_parts = y_chunks if y_chunks is not None else [None] * len(chunks.parts)
    binned = _fit_delayed(_hist_chunk)
    states = dask.persist(*[binned(p, yp, scaling, mapper) for p, yp in zip(chunks.parts, y_parts)])
    moments = _delayed(distributed.target_moments)
    (parts,) = _compute([moments(state) for state in states])
    _, mean, m2 = _merge_moments(parts)
    centre = _delayed(distributed.centred)
    states = dask.persist(*[centre(state, mean) for state in states])  # the raw targets are released
    log("chunks binned")

    histograms = _delayed(distributed.pass_histograms)

    def run_pass(plan: Any) -> np.ndarray:
        (hists,) = _compute(_tree_sum([histograms(state, plan, n_features, n_codes) for state in states]))
        return hists

    growth = distributed.ChunkedGrowth(mapper, scaling.n_rows, len(mean), float(m2.sum()), params)
    tree = growth.grow(run_pass, log)
    log(f"tree grown in {growth.passes} passes over the chunks")
    return preprocessor, distributed.fitted_tree(tree, mean)


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
            from ._hist._distributed import edge_rows

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


# --------------------------------------------------------------------------- analysis


Grouping = tuple[GroupedStats, np.ndarray]  # a chunk's grouping and its means' residuals


def _grouping(values: np.ndarray, ids: np.ndarray) -> Grouping:
    """``grouped_stats`` of one chunk and its means' residuals (each partition's mean is
    ``mean + residual``): a mean rounded to its ulp (0.016 at 1e14) would be read by the
    merge across chunks (Chan's term ``count * (chunk mean - mean)**2``) as a spread between
    them, 1 % of a 1e14 + N(0, 10) column's R² (see :func:`_merge_groupings`)."""
    return grouped_with_residuals(values, ids)


def _merge_groupings(parts: list[Grouping]) -> tuple[GroupedStats, np.ndarray]:
    """The chunks' groupings merged, and each column's total squared deviations.

    Chan's merge (:func:`~hvrt._grouped.merge_grouped`, and once more over the partitions
    for the total) subtracts means: it is exact enough only on means free of rounding
    relative to their differences. So it runs on the means less a common shift per column
    (the count-weighted mean of them all) plus their residuals, small numbers, and the
    shift is added back to the merged means after (the in-memory totals come from the
    rows, ``metrics._total_sse``; these match them, where the raw means lost 1 % of a
    1e14 + N(0, 10) column's R²).
    """
    parts, labels = _sortable_ids(parts)
    counts = np.concatenate([stats.count for stats, _ in parts])
    means = np.concatenate([np.where(stats.count > 0, stats.mean, 0.0) for stats, _ in parts])
    shift = (counts * means).sum(axis=0) / np.maximum(counts.sum(axis=0), 1)
    merged = merge_grouped([replace(stats, mean=(stats.mean - shift) + residual) for stats, residual in parts])
    total = np.nan_to_num(_one_group(merged).m2[0])
    if labels is not None:
        merged = replace(merged, partition_ids=labels[merged.partition_ids])
    return replace(merged, mean=merged.mean + shift), total


def _sortable_ids(parts: list[Grouping]) -> tuple[list[Grouping], np.ndarray | None]:
    """The chunks' groupings with their partition ids as codes in the sorted union of all
    of them, and that union; unchanged (None) where the ids are of one numeric kind.

    Labels of Python objects (text in one chunk, numbers in another) do not sort for
    ``np.unique``: the union is sorted as the in-memory labels are (``pd.factorize(...,
    sort=True)``, numbers before text), a label of several chunks merged by its value."""
    ids = [stats.partition_ids for stats, _ in parts]
    dtypes = {chunk.dtype for chunk in ids}
    if all(dtype.kind in "iub" for dtype in dtypes) or (len(dtypes) == 1 and dtypes.pop().kind != "O"):
        return parts, None
    joined = np.concatenate([chunk.astype(object) for chunk in ids])
    codes, labels = pd.factorize(joined, sort=True)
    bounds = np.cumsum([0] + [len(chunk) for chunk in ids])
    recoded = [(replace(stats, partition_ids=codes[a:b]), residual) for (stats, residual), a, b in zip(parts, bounds, bounds[1:])]
    return recoded, np.asarray(labels, dtype=object)


Cells = tuple[Any, np.ndarray, np.ndarray, np.ndarray]  # a chunk's categories and (partition, category, rows) cells


@dataclass
class _ChunkGrouping:
    """One chunk of rows reduced: its groupings, column names, object columns' kinds and
    categorical cells (the groupings without their per-row codes: they stay in the chunk)."""

    stats: Grouping
    y_stats: Grouping | None
    names: list[str]
    skipped: tuple[str, ...]
    kinds: dict[str, str | None]  # per object column of X, what this chunk holds (_object_kind)
    cells: dict[str, Cells | None]  # per non-numeric column (None: values that cannot be hashed)
    cell_ids: dict[str, np.ndarray] = field(default_factory=dict)  # partition ids of recounted cells
    bools: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # rows of bool labels
    numbers: bool = False  # whether a label is a number that is no bool
    whole_floats: bool = False  # whether the labels were floats, read as the ints they stand for


@dataclass
class _RefusedLabels:
    """A chunk whose labels were refused, and its rows: the client names the first refused
    label of all chunks (:func:`_refuse_labels`), as the in-memory check does."""

    fault: LabelFault
    n_rows: int


def _refuse_other_index(values: Any, part: Any, name: str) -> None:
    """Refuse a chunk of a dask Series whose index is not X's chunk's, as in memory.

    In memory a pandas Series must carry a DataFrame X's index (``aligned_1d``); a dask
    Series paired with a dask DataFrame is held to the same, chunk by chunk (the chunks
    pair by index when both have known divisions, else by position). Not a chunk marked
    by :func:`_paired_chunks` as paired by position (its index repeats across chunks).
    """
    indexed = isinstance(values, (pd.Series, pd.DataFrame)) and isinstance(part, pd.DataFrame)
    if indexed and not values.attrs.get(_BY_POSITION) and not values.index.equals(part.index):
        other = f", where its chunk has {len(values)}" if len(values) != len(part) else ""
        raise ValueError(
            f"{name} is a dask Series whose index differs from X's index (in a chunk of {len(part)} "
            f"rows of X{other}); align them, or pass {name}.to_dask_array(lengths=True) to match rows by position"
        )


def _check_paired(values: Any, part: Any, name: str) -> None:
    """Refuse a chunk of ``values`` (y, sample_weight or labels) that does not hold the rows
    of X's chunk ``part``: another index where it is compared (K22), or another row count.
    Every consumer of :func:`_paired_chunks`' chunks checks through this one function."""
    _refuse_other_index(values, part, name)
    if len(values) != len(part):
        raise ValueError(f"{name} has {len(values)} rows in a chunk where X has {len(part)}; they must match")


def _without_codes(grouping: Grouping) -> Grouping:
    return replace(grouping[0], codes=np.empty(0, dtype=np.int64)), grouping[1]


def _group_chunk(
    part: Any, labels: Any, y_part: Any, categorical: bool = False, objects: Sequence[str] = ()
) -> _ChunkGrouping:
    """One chunk grouped by its labels' own values (so chunks merge by label), the kind of
    each of X's ``objects`` columns in it, and with ``categorical`` each non-numeric
    column's (partition, category) cells."""
    _refuse_other_index(labels, part, "labels")
    labels = labels.to_numpy() if isinstance(labels, pd.Series) else np.asarray(labels)
    if len(part) == 0 and len(labels) == 0:
        return _ChunkGrouping(_grouping(np.empty((0, 1)), labels), None, [], (), {}, {})
    try:
        data = check_partitioned(part, labels, refuse_tiny=False)  # tiny columns: checked once merged
    except ValueError as error:  # a label refused: raised on the client, named by its row in all the labels
        fault = getattr(error, "label_fault", None)
        if fault is None:
            raise
        return _RefusedLabels(fault, len(labels))
    # grouped by the labels' codes (in the labels' sorted order, which Python objects such as
    # [1.0, 'p'] do not have for numpy), then named by the labels, so that chunks merge by label
    stats = _labelled(_grouping(data.values, data.labels), data)
    y_stats = None
    if y_part is not None:
        _check_paired(y_part, part, "y")
        y_values = _target_values(y_part, when="measure")
        if y_values.shape[1] != 1:
            raise ValueError(f"y must be 1-D with one value per row of X, got {y_values.shape[1]} columns")
        y_stats = _without_codes(_labelled(_grouping(y_values, data.labels), data))
    kinds = {c: _object_kind(data.frame, c) for c in objects} if data.frame is not None else {}
    cells: dict[str, Cells | None] = {}
    if categorical and data.frame is not None:
        grouping = stats[0]
        for name in data.skipped_columns:
            cells[name] = category_cells(data.frame[name], grouping.codes, grouping.n_partitions)
    bools, numbers = bools_and_numbers(labels)  # bools among numbers across chunks: _refuse_labels
    whole_floats = data.label_values is None and (
        labels.dtype.kind == "f" or (labels.dtype == object and pd.api.types.infer_dtype(labels) == "floating")
    )
    return _ChunkGrouping(
        _without_codes(stats), y_stats, data.feature_names, data.skipped_columns, kinds, cells,
        bools=np.flatnonzero(bools), numbers=numbers, whole_floats=whole_floats,
    )  # fmt: skip


def _floats_among_text(chunks: list[_ChunkGrouping]) -> None:
    """Whole float labels of a chunk as the floats they were, where another chunk's labels
    hold text: in memory such labels stay as given (``[1.0, 'p']``), where a chunk of
    floats alone reads them as the ints they stand for (its partition ids ``1``, not ``1.0``)."""
    objects = [chunk.stats[0].partition_ids for chunk in chunks if chunk.stats[0].partition_ids.dtype == object]
    if not objects or not any(chunk.whole_floats for chunk in chunks):
        return
    if pd.api.types.infer_dtype(np.concatenate(objects), skipna=True) in ("integer", "mixed-integer-float", "floating"):
        return  # numbers alone: whole floats are ints in memory too
    for chunk in chunks:
        if chunk.whole_floats:
            floats = chunk.stats[0].partition_ids.astype(np.float64).astype(object)
            chunk.stats = (replace(chunk.stats[0], partition_ids=floats), chunk.stats[1])
            if chunk.y_stats is not None:
                chunk.y_stats = (replace(chunk.y_stats[0], partition_ids=floats), chunk.y_stats[1])


def _labelled(grouping: Grouping, data: Any) -> Grouping:
    """A chunk's grouping by label codes with the labels as its partition ids."""
    return replace(grouping[0], partition_ids=data.original_labels(grouping[0].partition_ids)), grouping[1]


def _refuse_labels(results: list[_ChunkGrouping | _RefusedLabels]) -> None:
    """Refuse the labels of all chunks as the in-memory check refuses them (A3, A19): the
    first refused label of all, its row counted across chunks, and how many there are;
    bools in some chunks and numbers in others (each chunk alone passes) as bools among
    numbers. A missing label comes first, as for float labels in memory."""
    offsets = np.cumsum([r.n_rows if isinstance(r, _RefusedLabels) else int(r.stats[0].sizes.sum()) for r in results])
    offsets = np.concatenate([[0], offsets[:-1]])  # each chunk's first row in all the labels
    faults = [(offset, r.fault) for offset, r in zip(offsets, results) if isinstance(r, _RefusedLabels)]
    if faults:
        missing = [(offset, fault) for offset, fault in faults if fault.what is None]
        chosen = missing or [(offset, fault) for offset, fault in faults if fault.what == faults[0][1].what]
        offset, first = chosen[0]
        raise first.moved(int(offset), sum(fault.count for _, fault in chosen)).error()
    if any(r.numbers for r in results) and any(len(r.bools) for r in results):
        rows = np.concatenate([offset + r.bools for offset, r in zip(offsets, results)])
        raise LabelFault("labels", len(rows), int(rows[0]), _BOOLS_AMONG_NUMBERS, True).error()


def _recount_chunk(part: Any, labels: Any, columns: list[str]) -> tuple[np.ndarray, dict[str, Cells | None]]:
    """The cells of ``columns`` in one chunk, on their values as they are, with the chunk's
    partition ids: for an object column categorical in memory that this chunk read as
    numbers (it held only numbers, dates or durations), where its first pass kept none."""
    labels = labels.to_numpy() if isinstance(labels, pd.Series) else np.asarray(labels)
    codes, partition_ids = pd.factorize(labels, sort=True)  # sorted: the grouping's order
    return np.asarray(partition_ids), {c: category_cells(part[c], codes, len(partition_ids)) for c in columns}


@dataclass
class _Merged:
    """The merged groupings of X's numeric columns (and y), their totals and names."""

    stats: GroupedStats
    total: np.ndarray  # each column's squared deviations from its mean
    y_stats: GroupedStats | None
    y_total: np.ndarray | None
    names: list[str]
    skipped: tuple[str, ...]
    chunks: list[_ChunkGrouping]  # the chunks that hold rows

    @property
    def n_rows(self) -> int:
        return int(self.stats.sizes.sum())


def _merged_groupings(X: Any, labels: Any, y: Any = None, categorical: bool = False) -> _Merged:
    """The merged per-partition statistics of X's numeric columns (and y), in one pass
    over X's chunks (which also gathers the categorical cells with ``categorical``; a
    second pass over some chunks only for an object column read as numbers in some chunks
    and text in others, see :func:`_settled_columns`)."""
    chunks = _chunks_of(X)
    _target_chunks_any(labels, "labels")  # its type and shape, before any computation
    if y is not None:
        _target_chunks(y, _known_rows(X))
    lengths: list[Any] = []  # X's chunk lengths (and whether its index repeats), computed at most once
    label_chunks = _paired_chunks(labels, X, chunks, "labels", lengths)
    y_chunks = None if y is None else _paired_chunks(y, X, chunks, "y", lengths)
    objects = [c for c, dtype in chunks.dtypes.items() if dtype == object] if chunks.is_frame else []
    given = _Given()  # each warning of the chunks given once (the same call in memory gives it once)
    group = _delayed(functools.partial(_once_per_call, function=_group_chunk, given=given))
    tasks = [
        group(part, lab, None if y_chunks is None else y_chunks[i], categorical, objects)
        for i, (part, lab) in enumerate(zip(chunks.parts, label_chunks))
    ]
    (results,) = _compute(tasks)
    _refuse_labels(results)
    holding = [i for i, r in enumerate(results) if r.stats[0].n_partitions > 0]
    if not holding:
        raise ValueError("X has no rows")
    present = [results[i] for i in holding]
    _floats_among_text(present)
    names, skipped = _settled_columns(present, list(chunks.dtypes.index), objects)
    recount = [c for c in skipped if any(c not in r.cells for r in present)] if categorical else []
    if recount:  # object columns some chunks read as numbers: their values, counted as they are
        count = _delayed(functools.partial(_once_per_call, function=_recount_chunk, given=given))
        lacking = {i: [c for c in recount if c not in r.cells] for i, r in zip(holding, present)}
        missing = [i for i, columns in lacking.items() if columns]
        (extra,) = _compute([count(chunks.parts[i], label_chunks[i], lacking[i]) for i in missing])
        for i, (partition_ids, cells) in zip(missing, extra):
            results[i].cells.update(cells)
            results[i].cell_ids.update(dict.fromkeys(cells, partition_ids))
    for chunk in present:
        chunk.stats = _with_columns(chunk.stats, chunk.names, names)
        chunk.names = names
    stats, total = _merge_groupings([r.stats for r in present])
    with np.errstate(invalid="ignore"):  # a partition without a value in a column: NaN
        largest = np.fmax(np.abs(stats.minimum), np.abs(stats.maximum))
    _refuse_tiny([np.nan_to_num(largest).max(axis=0)], names, "X", when="measure")  # as in memory
    y_stats = y_total = None
    if y is not None:
        y_stats, y_total = _merge_groupings([r.y_stats for r in present])
        with np.errstate(invalid="ignore"):  # a partition without a value of y: NaN
            largest = np.fmax(np.abs(y_stats.minimum), np.abs(y_stats.maximum))
        _refuse_tiny([np.nan_to_num(largest).max(axis=0)], ["y"], "y", when="measure")  # named as in memory
    return _Merged(stats, total, y_stats, y_total, names, skipped, present)


def _settled_columns(
    present: list[_ChunkGrouping], columns: list[str], objects: list[str]
) -> tuple[list[str], tuple[str, ...]]:
    """X's numeric and non-numeric columns as in memory, from what each chunk read.

    Each chunk reads its object columns alone (``to_frame``): one holding only numbers
    (or only missing values) there is numeric (or not) in that chunk whatever the rest.
    In memory the whole column decides, as :func:`_settled_kind` says for the estimators:
    numeric when the chunks that hold a value all hold one kind of numbers, dates or
    durations; categorical otherwise, and when no chunk holds a value (an object column of
    None stays object). Other columns read the same in every chunk (their dtype decides).
    """
    numeric = []
    for column in columns:
        if column in objects:
            kinds = {r.kinds.get(column) for r in present} - {None}
            is_numeric = len(kinds) == 1 and kinds != {"text"}
        else:
            reads = {column in r.names for r in present}
            if len(reads) > 1:
                raise ValueError(f"X column {column!r} is numeric in some chunks of X and not in others")
            is_numeric = reads.pop()
        if is_numeric:
            numeric.append(column)
    return numeric, tuple(c for c in columns if c not in set(numeric))


def _with_columns(grouping: Grouping, names: list[str], wanted: list[str]) -> Grouping:
    """A chunk's grouping of ``names`` as one of ``wanted``: columns it read otherwise
    dropped, those it lacks (an object column of None there) without values."""
    if names == wanted:
        return grouping
    stats, residual = grouping
    position = {name: j for j, name in enumerate(names)}
    take = np.array([position.get(name, len(names)) for name in wanted], dtype=np.int64)

    def pick(values: np.ndarray, empty: float) -> np.ndarray:
        padded = np.concatenate([values, np.full((len(values), 1), empty, dtype=values.dtype)], axis=1)
        return padded[:, take]

    stats = replace(
        stats,
        count=pick(stats.count, 0),
        mean=pick(stats.mean, np.nan),
        m2=pick(stats.m2, 0.0),
        minimum=pick(stats.minimum, np.nan),
        maximum=pick(stats.maximum, np.nan),
    )
    return stats, pick(residual, 0.0)


def _paired_chunks(
    values: Any, X: Any, chunks: _Chunks, name: str, lengths: list[Any], value_rows: Any = None
) -> list[Any]:
    """The chunks of ``values`` (labels, y or sample_weight) holding the rows of X's chunks,
    in order. One rule for the analysis tools and the estimators.

    A dask Series with a dask DataFrame X pairs by index as in memory: when both have known
    divisions, ``values`` is cut at X's, widened to hold all its rows (lazily; refused at
    once only when the two ranges cannot overlap: divisions bound an index, a filtered X
    keeps its old ones); the chunks' indexes are compared where they are used with X's
    (:func:`_check_paired`, K22). Otherwise chunks pair by position: as they are when
    there are as many (and, where known, as long), else cut at X's rows. ``lengths``
    caches X's chunk lengths and, for a DataFrame X, whether its index repeats
    (:func:`_repeats`) (a pass over X when not known: give them when they are);
    ``value_rows``: the rows of each chunk of ``values``, when counted already (else
    counted here if needed, a pass over ``values``: a dask array of unknown chunk sizes,
    say), or for a dask Series or DataFrame each chunk's :func:`_index_extent`.

    Cut at X's rows, the chunks of a dask Series are compared with X's by index only when
    both indexes identify rows; one that restarts across chunks (:func:`_repeats`:
    ``dd.read_csv``'s starts at 0 in each block), X's or the Series', pairs by position,
    as a dask array does.
    """
    dask = import_dask()
    frames = (dask.dataframe.Series, dask.dataframe.DataFrame)
    indexed = isinstance(values, frames) and isinstance(X, dask.dataframe.DataFrame)
    if indexed and values.known_divisions and X.known_divisions:
        if values.divisions != X.divisions:
            # divisions bound an index, they are not its extent (a filtered X keeps its old
            # ones): refused here only when the two ranges cannot overlap; otherwise cut at
            # X's divisions, widened to hold every row of values, and compared chunk by chunk
            (low, high), (x_low, x_high) = (values.divisions[0], values.divisions[-1]), (X.divisions[0], X.divisions[-1])
            try:
                apart = bool(high < x_low or x_high < low)
            except TypeError:  # indexes of values that do not compare (text and numbers)
                apart = True
            if apart:
                raise ValueError(
                    f"{name} is a dask Series whose index differs from X's index (its index lies within "
                    f"{low!r} to {high!r}, X's within {x_low!r} to {x_high!r}); align them, or "
                    f"pass {name}.to_dask_array(lengths=True) to match rows by position"
                )
            cuts = [min(low, x_low), *X.divisions[1:-1], max(high, x_high)]
            values = values.repartition(divisions=cuts, force=True)
        return list(values.to_delayed())
    if isinstance(values, dask.array.Array):
        if values.ndim == 2 and values.numblocks[1] != 1:
            values = values.rechunk({1: -1})
        parts = list(values.to_delayed().ravel())
        if value_rows is None and not np.isnan(values.shape[0]):
            value_rows = np.asarray(values.chunks[0], dtype=np.int64)
    else:
        parts = list(values.to_delayed())
    extents = None
    if value_rows is not None and len(value_rows) and isinstance(value_rows[0], tuple):
        extents, value_rows = value_rows, np.asarray([extent[0] for extent in value_rows], dtype=np.int64)
    x_known = chunks.lengths if chunks.lengths is not None else (lengths[0] if lengths else None)
    if len(parts) == len(chunks.parts) and (
        value_rows is None or x_known is None or np.array_equal(value_rows, x_known)
    ):
        return parts
    if not lengths and chunks.is_frame:  # X's lengths and whether its index repeats, in one pass
        (x_extents,) = _compute([_delayed(_index_extent)(part) for part in chunks.parts])
        lengths.extend([np.asarray([extent[0] for extent in x_extents], dtype=np.int64), _repeats(x_extents)])
    if not lengths:
        lengths.append(chunks.lengths if chunks.lengths is not None else _chunk_lengths(chunks))
    x_rows = lengths[0]
    by_position = bool(indexed and len(lengths) > 1 and lengths[1])  # X's index repeats
    if indexed and len(parts) > 1:
        # cut at X's rows: its index identifies its rows only when its chunks hold disjoint
        # index ranges; one that repeats across chunks (read_csv's restarts at 0 in each
        # block) pairs by position, its index not compared (one pass counts and measures)
        if extents is None:
            (extents,) = _compute([_delayed(_index_extent)(part) for part in parts])
        value_rows = np.asarray([extent[0] for extent in extents], dtype=np.int64)
        by_position = by_position or _repeats(extents)
    elif value_rows is None:
        (counted,) = _compute([_delayed(len)(part) for part in parts])
        value_rows = np.asarray(counted, dtype=np.int64)
    value_rows = np.asarray(value_rows, dtype=np.int64)
    if value_rows.sum() != x_rows.sum():
        raise ValueError(f"{name} has {int(value_rows.sum())} rows but X has {int(x_rows.sum())}; they must match")
    return _cut_like(parts, value_rows, x_rows, by_position)


def _index_extent(part: Any) -> tuple[int, Any, Any, bool]:
    """A pandas chunk's rows, its index's least and greatest values, and whether it rises."""
    if len(part) == 0:
        return 0, None, None, True
    return len(part), part.index.min(), part.index.max(), bool(part.index.is_monotonic_increasing)


def _repeats(extents: list[Any]) -> bool:
    """Whether an index restarts across chunks, by their :func:`_index_extent` (None: not
    pandas chunks): each chunk's index rises, and two non-empty chunks' ranges overlap (as
    read_csv's per-block RangeIndex does). A shuffled index (X re-sorted, say) does not
    rise within its chunks: it identifies rows and is compared."""
    if any(extent is None for extent in extents) or not all(extent[3] for extent in extents):
        return False
    ranges = [(low, high) for rows, low, high, _ in extents if rows]
    try:
        ordered = sorted(ranges, key=lambda r: r[0])
        return any(ordered[i + 1][0] <= ordered[i][1] for i in range(len(ordered) - 1))
    except TypeError:  # an index of values that do not order: nothing says it identifies rows
        return True


def _cut_like(parts: list[Any], part_rows: np.ndarray, rows: np.ndarray, by_position: bool = False) -> list[Any]:
    """``parts`` (chunks of ``part_rows`` rows) re-cut into chunks of ``rows`` rows, each
    one delayed concatenation of the pieces it spans (a pandas chunk keeps its index;
    marked ``by_position`` when it is not to be compared with X's, see :func:`_refuse_other_index`)."""
    starts = np.concatenate([[0], np.cumsum(part_rows)])
    bounds = np.concatenate([[0], np.cumsum(rows)])
    rows_of = _delayed(_rows_of)
    cut = []
    for begin, end in itertools.pairwise(bounds):  # one task per chunk of X
        first = max(int(np.searchsorted(starts, begin, side="right")) - 1, 0)
        last = max(int(np.searchsorted(starts, end, side="left")), first + 1)
        pieces = [(parts[j], int(max(begin - starts[j], 0)), int(min(end, starts[j + 1]) - starts[j]))
                  for j in range(first, min(last, len(parts)))]  # fmt: skip
        cut.append(rows_of([p for p, _, _ in pieces], [(a, b) for _, a, b in pieces], by_position))
    return cut


_BY_POSITION = "hvrt_by_position"  # attrs key: a chunk paired with X's by position, not by index


def _rows_of(pieces: list[Any], spans: list[tuple[int, int]], by_position: bool = False) -> Any:
    """The rows ``spans`` of ``pieces``, concatenated (pandas pieces with their index)."""
    taken = [piece.iloc[a:b] if isinstance(piece, (pd.Series, pd.DataFrame)) else piece[a:b]
             for piece, (a, b) in zip(pieces, spans)]  # fmt: skip
    if not taken:
        return np.empty(0)
    if isinstance(taken[0], (pd.Series, pd.DataFrame)):
        joined = pd.concat(taken) if len(taken) > 1 else taken[0].copy(deep=False)
        if by_position:
            joined.attrs[_BY_POSITION] = True
        return joined
    return np.concatenate(taken) if len(taken) > 1 else taken[0]


def _merged_categories(chunks: list[_ChunkGrouping], column: str, partition_ids: np.ndarray) -> Cells | None:
    """One column's chunk cells merged: its categories in order of first appearance (the
    chunks' first appearances, in chunk order, factorized again), each cell's partition as
    a position in the merged ``partition_ids``. None when a chunk could not hash it."""
    parts = [chunk.cells.get(column) for chunk in chunks]
    if any(part is None for part in parts):
        return None
    ids = [chunk.cell_ids.get(column, chunk.stats[0].partition_ids) for chunk in chunks]
    # each chunk's categories in their own dtype: pandas 2 would infer one from an object
    # Index (Timestamps or Timedeltas held as objects), with a FutureWarning that pandas 3
    # no longer does
    joined = pd.concat([pd.Series(part[0], dtype=part[0].dtype) for part in parts], ignore_index=True)
    merged_codes, uniques = category_codes(joined)
    offsets = np.cumsum([0] + [len(part[0]) for part in parts])
    codes = np.concatenate([merged_codes[offset + part[2]] for offset, part in zip(offsets, parts)])
    merged_ids = pd.Index(partition_ids)  # (by value: labels of Python objects need not sort)
    slots = [merged_ids.get_indexer(np.asarray(chunk_ids)) for chunk_ids in ids]
    partitions = np.concatenate([slot[part[1]] for slot, part in zip(slots, parts)])
    rows = np.concatenate([part[3] for part in parts])
    return uniques, partitions, codes, rows


def _target_chunks_any(labels: Any, name: str) -> list[Any]:
    dask = import_dask()
    if isinstance(labels, dask.array.Array):
        if labels.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got {labels.ndim} dimensions")
        return list(labels.to_delayed())
    if isinstance(labels, dask.dataframe.Series):
        if not pd.api.types.is_numeric_dtype(labels.dtype):
            _refuse_objects_made_text(labels, name)
        return list(labels.to_delayed())
    raise TypeError(f"with Dask input, {name} must be a dask array or Series, got {type(labels).__name__}")


def _chunk_lengths(chunks: _Chunks) -> np.ndarray:
    (lengths,) = _compute([_delayed(len)(part) for part in chunks.parts])
    return np.asarray(lengths, dtype=np.int64)


def full_report(
    X: Any, labels: Any, variance_proportions: bool = True, span_proportions: bool = True
) -> FullReport:
    """:func:`hvrt.full_report` for Dask collections, without collecting the rows.

    Each chunk is grouped by its labels where it lives; the groupings merge on the client
    (counts add, squared deviations merge with Chan's formula, minima and maxima as such).
    In the same pass each non-numeric column's (partition, category) cells are counted per
    chunk (:func:`hvrt.metrics.category_cells`); the client unions the chunks' categories
    in order of first appearance and adds the counts, and the in-memory computation
    (:func:`hvrt.metrics.categorical_report_of_cells`) turns them into each column's
    :class:`~hvrt.CategoricalReport`. The result equals the in-memory report on the same
    rows (``full_report(X.compute(), labels.compute())``): the feature reports up to float
    rounding, the categorical views exactly (categories, names, order, counts, NaN as
    ``"(missing)"``, Cramér's V, R²). The client holds each non-numeric column's distinct
    values and its non-empty (partition, category) cells: a few per partition for a
    categorical column, up to one per row for a column of identifiers.

    Parameters
    ----------
    X : dask array or dask DataFrame of shape (n_samples, n_features)
        Non-numeric columns get a :class:`~hvrt.CategoricalReport` in the result's
        ``categorical`` instead of a feature report, as in memory. ``dd.from_pandas`` may
        turn an object column into text (Dask's ``dataframe.convert-string``): the report
        is that of the rows as Dask holds them.
    labels : dask array or dask Series of shape (n_samples,)
        Partition label of each row (e.g. ``model.get_partitions(X)``). A dask Series with a
        dask DataFrame X must carry X's index, as a pandas Series must in memory; a dask
        array (or ``labels.to_dask_array(lengths=True)``) is matched by position.
    variance_proportions, span_proportions : bool, default=True
        As :func:`hvrt.full_report`.

    Returns
    -------
    FullReport
        With ``skipped_columns`` and ``categorical`` as in memory.

    Raises
    ------
    ValueError
        As :func:`hvrt.full_report` (fewer than 2 partitions, ±inf, missing labels, a Series
        whose index is not X's), and for chunks along the columns, labels of another
        length, or an object column that some chunks read as numbers and others as text.
    TypeError
        For inputs that are not Dask collections.
    """
    merged = _merged_groupings(X, labels, categorical=True)
    stats, names, skipped = merged.stats, merged.names, merged.skipped
    _check_partition_count(stats.n_partitions, 2)
    reports = _feature_reports(names, stats, variance_proportions, span_proportions)
    views = {}
    for name in skipped:
        cells = _merged_categories(merged.chunks, name, stats.partition_ids)
        if cells is not None:
            uniques, partitions, codes, rows = cells
            views[name] = categorical_report_of_cells(name, uniques, partitions, codes, stats.partition_ids, rows)
    return FullReport(reports, skipped, stats.partition_ids, views)


def _one_group(stats: GroupedStats) -> GroupedStats:
    """All partitions of ``stats`` merged into one (the column totals)."""
    single = GroupedStats(
        partition_ids=np.zeros(stats.n_partitions, dtype=np.int64),
        codes=stats.codes,
        sizes=stats.sizes,
        count=stats.count,
        mean=stats.mean,
        m2=stats.m2,
        minimum=stats.minimum,
        maximum=stats.maximum,
    )
    return merge_grouped([single])


def partition_quality(X: Any, labels: Any, y: Any = None) -> PartitionQuality:
    """:func:`hvrt.partition_quality` for Dask collections, without collecting the rows.

    The within-partition and total sums of squares come from the merged groupings (the
    totals merge every partition once more with Chan's formula, on means freed of their
    rounding), so the result equals the in-memory one on the same rows up to float rounding.

    Parameters
    ----------
    X : dask array or dask DataFrame of shape (n_samples, n_features)
    labels : dask array or dask Series of shape (n_samples,)
        As in :func:`full_report`: a dask Series must carry a dask DataFrame X's index.
    y : dask array or dask Series of shape (n_samples,), default=None
        Numeric target; NaN values are skipped. A dask Series must carry X's index too.

    Returns
    -------
    PartitionQuality

    Raises
    ------
    ValueError
        As :func:`hvrt.partition_quality` (including a Series whose index is not X's), and
        for chunks along the columns, a non-numeric y or inputs of different lengths.
    TypeError
        For inputs that are not Dask collections.
    """
    merged = _merged_groupings(X, labels, y)
    stats, y_stats, names = merged.stats, merged.y_stats, merged.names
    if not names:
        raise ValueError(f"X has no numeric column to measure; skipped columns: {list(merged.skipped)}")
    _check_partition_count(stats.n_partitions, 1)
    total = merged.total
    if y_stats is not None:
        total = np.append(total, merged.y_total)
    return _quality_from(stats, y_stats, total, names, merged.n_rows, merged.skipped)
