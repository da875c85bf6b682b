"""Dask collections as row chunks: checks, ``dask.compute``/``delayed``, rows paired with X's chunks."""

from __future__ import annotations

import functools
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._compat import import_dask
from .._validation import rounded_integers_warning, warnings_given_once


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


# --------------------------------------------------------------------------- rows of a chunk


def _as_rows(values: np.ndarray) -> np.ndarray:
    """``values`` as (rows, columns); ``reshape(n, -1)`` cannot shape an empty chunk's none."""
    return values.reshape(len(values), values.shape[1] if values.ndim == 2 else 1)


def _take_rows(part: Any, rows: np.ndarray) -> Any:
    if isinstance(part, (pd.DataFrame, pd.Series)):
        return part.iloc[rows]
    return np.asarray(part)[rows]


# --------------------------------------------------------------------------- a warning once per call


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


def _once_per_call(*args: Any, function: Any, given: _Given, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` on a chunk, giving each warning text once for all the
    chunks of one call (an analysis): X27 by column name only, as a labelling."""
    with rounded_integers_warning("columns"), warnings_given_once(given.texts):
        return function(*args, **kwargs)


# --------------------------------------------------------------------------- rows paired with X's chunks


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
