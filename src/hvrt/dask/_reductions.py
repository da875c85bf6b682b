"""What each chunk reduces to: column moments and their merge, dtype checks, warning facts, category keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._preprocessing import (
    Preprocessor,
    _category_kind,
    _column_codes,
    _is_rounded_integer,
    _is_text_categorical,
    _one_key,
    _warn_of_rounded_integers,
    mostly_numbers,
    rounding_warned_elsewhere,
    warn_of_python_dates,
    warn_of_stray_values,
)
from .._validation import (
    MAX_MAGNITUDE,
    TIME_DTYPES,
    _dates_as_numbers,
    EXACT_FLOAT_INTEGERS,
    _int64_dtype,
    _rounded_integers,
    dtype_zone,
    has_missing_values,
    holds_python_ints,
    is_duration_dtype,
    to_frame,
)
from ._collections import _Chunks, _as_rows, _index_extent, _take_rows


# --------------------------------------------------------------------------- chunk reductions


Moments = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # count, mean, its residual, squared deviations


def _column_summary(values: np.ndarray) -> tuple[Moments, np.ndarray]:
    """(non-NaN count, mean (0 where empty), the mean's residual, squared deviations) of
    each column, and its largest magnitude; one compiled pass instead of a dozen numpy
    reductions. See ``_hist._distributed.column_pass`` for the residual."""
    from .._hist._distributed import column_pass  # compiled at install with the engine

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
    # Python ints beyond 64 bits stay objects: numbers in memory too (``holds_python_ints``)
    return "numbers" if numeric or holds_python_ints(values) else "text"


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
    summary = {"rows": len(values), "moments": moments, "largest": largest, "extent": extent}
    summary["rounded"] = _rounded_target(part)
    return summary


# Distinct values beyond 2**53 a chunk of y sends to the client, at most, for the count of
# the values float64 merges across chunks (Y10); beyond, merges are counted within chunks.
ROUNDED_Y_DISTINCT = 1 << 20

RoundedFacts = tuple[tuple[int, int, int, float] | None, np.ndarray | None]


def _rounded_target(part: Any) -> list[RoundedFacts | None] | None:
    """What float64 rounds of a chunk of a 64-bit integer y (Y10), per column (None: no
    such column; a column's None: no value beyond 2**53): :func:`~hvrt._validation._rounded_integers`'
    facts (None where nothing is rounded) and the column's distinct values beyond 2**53,
    for :func:`_merge_rounded_target` (None beyond ``ROUNDED_Y_DISTINCT``). One min and
    max of the chunk unless a value is beyond."""
    if isinstance(part, pd.Series):
        columns: list[Any] = [part]
    elif isinstance(part, pd.DataFrame):
        columns = [part.iloc[:, j] for j in range(part.shape[1])]
    else:
        array = np.asarray(part)
        columns = [array] if array.ndim == 1 else [array[:, j] for j in range(array.shape[1])]
    if all(_int64_dtype(c.dtype) is None for c in columns):
        return None
    found: list[RoundedFacts | None] = []
    for column in columns:
        dtype = _int64_dtype(column.dtype)
        if dtype is not None and isinstance(column, pd.Series):
            # (nullable or pyarrow: the present values; numpy's, without a copy)
            numpy = isinstance(column.dtype, np.dtype)
            column = column.to_numpy() if numpy else column[column.notna()].to_numpy(dtype=dtype)
        if dtype is None or len(column) == 0:
            found.append(None)
            continue
        low, high = int(column.min()), int(column.max())
        if -EXACT_FLOAT_INTEGERS < low and high < EXACT_FLOAT_INTEGERS:
            found.append(None)  # (2**53 itself is sent: a value beyond may round onto it)
            continue
        if dtype.kind == "u":
            beyond = column[column >= np.uint64(EXACT_FLOAT_INTEGERS)]
        else:
            beyond = column[(column >= EXACT_FLOAT_INTEGERS) | (column <= -EXACT_FLOAT_INTEGERS)]
        distinct = np.unique(beyond)
        found.append((_rounded_integers(beyond), distinct if len(distinct) <= ROUNDED_Y_DISTINCT else None))
    return found


def _merge_rounded_target(
    chunks: Sequence[list[RoundedFacts | None] | None], column: int
) -> tuple[int, int, int, float] | None:
    """One column's :func:`_rounded_target` facts of every chunk (in row order) as
    :func:`~hvrt._validation._rounded_integers` gives them for the whole column: the values
    changed, summed; the first one; the distinct values merged over all chunks (counted
    within each chunk and summed when a chunk had too many to send)."""
    facts = [c[column] for c in chunks if c is not None and c[column] is not None]
    rounded = [f[0] for f in facts if f[0] is not None]
    if not rounded:
        return None
    if all(f[1] is not None for f in facts):
        distinct = np.unique(np.concatenate([f[1] for f in facts]))
        merged = len(distinct) - len(np.unique(distinct.astype(np.float64)))
    else:
        merged = sum(r[1] for r in rounded)
    return sum(r[0] for r in rounded), merged, rounded[0][2], rounded[0][3]
