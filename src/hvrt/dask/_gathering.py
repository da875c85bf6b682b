"""Rows gathered to the client: selections from the chunks, and the blend's variances with them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._target import y_column_signs
from ._collections import _Chunks, _check_paired, _compute, _delayed, _take_rows
from ._reductions import _frame_of, _merge_moments, _raw_categoricals, _target_values
from ._scaling import _Scaling, _merge_co_moments, _part_moments, _total_variance


# --------------------------------------------------------------------------- gathering rows


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
