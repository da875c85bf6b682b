"""``full_report`` and ``partition_quality`` on Dask collections: groupings per chunk, merged."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .._grouped import GroupedStats, grouped_with_residuals, merge_grouped
from .._validation import _BOOLS_AMONG_NUMBERS, LabelFault, bools_and_numbers, check_partitioned
from ..metrics import (
    FullReport,
    PartitionQuality,
    _check_partition_count,
    _feature_reports,
    _quality_from,
    categorical_report_of_cells,
    category_cells,
    category_codes,
)
from ._collections import (
    _Given,
    _check_paired,
    _chunks_of,
    _compute,
    _delayed,
    _known_rows,
    _once_per_call,
    _paired_chunks,
    _refuse_other_index,
    _target_chunks,
    _target_chunks_any,
)
from ._reductions import _object_kind, _refuse_tiny, _target_values


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
