"""Labelling chunks where they live, lazily, and the facts a fit counts per chunk and partition."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from .._compat import import_dask
from .._preprocessing import Preprocessor, rounding_warned_elsewhere
from .._validation import TIME_DTYPES, rounded_integers_warning, warnings_given_once
from ..partitioner import HVRTPartitioner, time_ranges
from ._collections import _Given, _check_paired, _chunks_of
from ._reductions import _frame_of, _raw_categoricals, _target_values


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


def _on_block(block: np.ndarray, *, function: Any, model: Any, given: _Given) -> np.ndarray:
    with rounded_integers_warning("columns"), warnings_given_once(given.texts):
        return function(block, model)


def _on_frame(frame: pd.DataFrame, *, function: Any, model: Any, dtype: Any, name: str, given: _Given) -> pd.Series:
    with rounded_integers_warning("columns"), warnings_given_once(given.texts):
        values = function(frame, model) if len(frame) else np.empty(0, dtype)
    return pd.Series(values, index=frame.index, name=name, dtype=dtype)


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
