"""Turning user input into checked arrays, with errors that name what is wrong.

Everything hvrt accepts (pandas, numpy, lists, polars and other narwhals frames) is
coerced here, once, so that later stages see one type. Two entry points:

- :func:`to_frame` and friends, for the partitioner: X as a DataFrame, ``y`` aligned to it.
- :func:`check_partitioned`, for every analysis tool: ``(X, labels)`` as the numeric
  columns in float64 and the labels as integers, with the one rule for "numeric column"
  (:func:`numeric_columns`) and the one check for infinities (:func:`has_missing_values`).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import numbers
import os
import sys
import threading
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._compat import is_dask_collection


def array_column_names(n_columns: int) -> list[str]:
    """Names given to the columns of array input: ``f0, f1, ...``."""
    return [f"f{i}" for i in range(n_columns)]


def _from_dataframe_protocol(data: Any) -> pd.DataFrame | None:
    """A pandas copy of a polars (or other narwhals-supported) frame, else None."""
    try:
        import narwhals as nw
    except ImportError:  # narwhals comes with scikit-learn >= 1.6; be safe anyway
        return None
    frame = nw.from_native(data, eager_only=True, pass_through=True)
    if isinstance(frame, nw.DataFrame):
        return frame.to_pandas()
    return None


def _from_series_protocol(data: Any) -> np.ndarray | None:
    """The values of a polars (or other narwhals-supported) Series, else None."""
    try:
        import narwhals as nw
    except ImportError:
        return None
    series = nw.from_native(data, series_only=True, pass_through=True)
    if isinstance(series, nw.Series):
        return series.to_numpy()
    return None


def _is_time_dtype(dtype: Any) -> bool:
    return (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or is_duration_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    )


def is_duration_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` holds durations: numpy's ``timedelta64`` or pyarrow's ``duration``
    (``convert_dtypes(dtype_backend="pyarrow")``, ``read_parquet(dtype_backend="pyarrow")``),
    which ``is_timedelta64_dtype`` does not recognise."""
    return pd.api.types.is_timedelta64_dtype(dtype) or (isinstance(dtype, pd.ArrowDtype) and dtype.kind == "m")


def dtype_zone(dtype: Any) -> str | None:
    """The time zone of a date dtype (numpy-backed or pyarrow ``timestamp[unit, tz=...]``), None
    if naive, as a name pandas reads back (:func:`zone_name`)."""
    if isinstance(dtype, pd.DatetimeTZDtype):
        return zone_name(dtype.tz)
    if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":
        zone = getattr(dtype.pyarrow_dtype, "tz", None)  # (date32 / date64 have none)
        return None if zone is None else str(zone)
    return None


def zone_name(zone: Any) -> str:
    """A name for a ``tzinfo`` that pandas reads back as the same zone (``pd.Timestamp(0,
    tz=name)``, ``datetime64[ns, name]``): zoneinfo and pytz zones and fixed offsets
    (``UTC+05:30``) by their own text; dateutil's, whose text is their repr
    (``tzfile('/usr/share/zoneinfo/Europe/London')``, which neither pandas nor matplotlib
    read), as pandas names them (``dateutil/Europe/London``; ``UTC``; ``UTC+01:00``)."""
    text = str(zone)
    if not type(zone).__module__.startswith("dateutil"):
        return text
    filename = getattr(zone, "_filename", None)  # tzfile: its zone's file (what gettz read)
    if isinstance(filename, str) and filename:
        name = "dateutil/" + filename.rsplit("zoneinfo/", 1)[-1]  # (gettz finds a name in zoneinfo)
    else:
        offset = zone.utcoffset(None) if type(zone).__name__ in ("tzutc", "tzoffset") else None
        if offset is None:
            return text
        minutes = int(offset.total_seconds()) // 60
        sign = "+" if minutes > 0 else "-"
        name = "UTC" if minutes == 0 else f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    # (an instant converted, not a wall time localized: pandas 2.2 cannot localize to dateutil zones)
    instant = pd.Timestamp("2000-01-01", tz="UTC")
    try:
        if instant.tz_convert(name).utcoffset() == instant.tz_convert(zone).utcoffset():
            return name
    except (ValueError, TypeError, LookupError, AttributeError):  # (a zone pandas cannot name: its text)
        pass
    return text


def dtype_text(dtype: Any) -> str:
    """A dtype's name that ``pandas.api.types.pandas_dtype`` reads back (what a model keeps
    of its time columns): ``str(dtype)``, but a zoned date's zone by :func:`zone_name`
    (``datetime64[us, tzfile('...')]`` is no dtype pandas reads)."""
    if isinstance(dtype, pd.DatetimeTZDtype):
        return f"datetime64[{dtype.unit}, {zone_name(dtype.tz)}]"
    return str(dtype)


def _numpy_backed_time(series: pd.Series) -> pd.Series:
    """A pyarrow-backed date, timestamp or duration column as its numpy-backed counterpart
    (the same instants or lengths, in the same unit; a zone kept as ``DatetimeTZDtype``), so
    it is read exactly as the numpy-backed table would be."""
    dtype = series.dtype
    if not isinstance(dtype, pd.ArrowDtype):
        return series
    zone = dtype_zone(dtype)
    if zone is not None:
        return series.astype(pd.DatetimeTZDtype(unit=dtype.pyarrow_dtype.unit, tz=zone))
    return series.astype(dtype.numpy_dtype)  # datetime64[unit] (date32/date64: [ms]), timedelta64[unit]


# The span of float64 nanoseconds hvrt reads times in: int64 nanoseconds since the epoch
# (1677-09-21 to 2262-04-11, or +-292 years for durations). pandas keeps times beyond it in
# coarser units (datetime64[s], a 9999-12-31 "open-ended" sentinel, dates read from Parquet),
# where a cast to nanoseconds wraps around without a word.
_NS_LOW, _NS_HIGH = np.iinfo(np.int64).min + 1, np.iinfo(np.int64).max


def _refuse_beyond_nanoseconds(values: np.ndarray, column: str, name: str) -> None:
    """Refuse a datetime64 / timedelta64 array (any unit) holding a time that int64
    nanoseconds cannot hold, naming the column, the value and how many there are.

    Raises
    ------
    ValueError
        Naming the column, the first such value and the range hvrt reads.
    """
    unit, step = np.datetime_data(values.dtype)
    per_unit = int(np.timedelta64(step, unit) // np.timedelta64(1, "ns")) if unit != "ns" else step
    if per_unit <= 1:
        return  # nanoseconds (or finer): nothing beyond the range
    ticks = values.view(np.int64)
    present = ticks != np.iinfo(np.int64).min  # NaT
    beyond = present & ((ticks < -(-_NS_LOW // per_unit)) | (ticks > _NS_HIGH // per_unit))
    if not beyond.any():
        return
    first = values[np.flatnonzero(beyond)[0]]
    is_duration = values.dtype.kind == "m"
    if is_duration:
        shown = str(pd.Timedelta(first))
    else:  # ISO, without a zero fraction or a midnight time
        shown = str(first)
        shown = (shown.rstrip("0").rstrip(".") if "." in shown else shown).removesuffix("T00:00:00").replace("T", " ")
    span = (
        "durations of up to 292 years either way" if is_duration
        else f"dates from {pd.Timestamp.min.ceil('s')} to {pd.Timestamp.max.floor('s')}"
    )
    raise ValueError(
        f"{name} column {column!r} holds {int(beyond.sum()):,} {'duration' if is_duration else 'date'}(s) "
        f"beyond the range hvrt reads times in (nanoseconds: {span}), first {shown!r}; replace them with "
        f"NaT, a missing value ({name}[{column!r}].where({name}[{column!r}].between(low, high)); a sentinel such "
        "as 9999-12-31 mostly means no date), or make the column text to split it as categories"
    )


def exact_nanoseconds(series: pd.Series, column: str = "", name: str = "X") -> np.ndarray | None:
    """A date, time-zone-aware date, duration or period column as int64 nanoseconds (NaT is
    the int64 minimum), or None for a column of another dtype.

    pyarrow-backed columns are read as their numpy-backed counterparts. A time beyond the
    int64 nanoseconds' range is refused (see :func:`_refuse_beyond_nanoseconds`).
    """
    if not _is_time_dtype(series.dtype):
        return None
    series = _numpy_backed_time(series)
    if isinstance(series.dtype, pd.PeriodDtype):
        try:
            series = series.dt.to_timestamp()
        except pd.errors.OutOfBoundsDatetime:  # pandas 2 makes nanoseconds only (pandas 3: [us]); refused below
            starts = series.array.asfreq("s", how="start").asi8.view("datetime64[s]")  # (NaT stays NaT)
            series = pd.Series(starts, index=series.index)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    unit = "datetime64[ns]" if pd.api.types.is_datetime64_any_dtype(series.dtype) else "timedelta64[ns]"
    native = series.to_numpy()
    if native.dtype.kind in "mM" and native.dtype != unit:
        _refuse_beyond_nanoseconds(native, column, name)
    values = native.astype(unit, copy=False) if native.dtype.kind in "mM" else series.to_numpy(dtype=unit)
    return values.view(np.int64)


def _nanoseconds(series: pd.Series, column: str = "", name: str = "X") -> np.ndarray:
    """A date, time-zone-aware date, duration or period column as float64 nanoseconds (NaN for NaT)."""
    exact = exact_nanoseconds(series, column, name)
    numbers = exact.astype(np.float64)
    numbers[exact == np.iinfo(np.int64).min] = np.nan
    return numbers


# ``frame.attrs`` key under which to_frame records the original dtypes of the time columns it
# turned into nanoseconds (readable rules write their bounds back as times).
TIME_DTYPES = "hvrt_time_dtypes"


def _dates_as_numbers(frame: pd.DataFrame, name: str = "X") -> pd.DataFrame:
    """Dates and durations become ordered numeric features: their nanoseconds since the epoch
    (or their length), scaled like any other column. One-hot encoding them would make one
    column per distinct time, and a time unseen at fit would be an unknown category.
    The original dtypes are kept in ``attrs[TIME_DTYPES]`` of the converted frame."""
    times = [c for c, dtype in frame.dtypes.items() if _is_time_dtype(dtype)]
    if not times:
        return frame
    converted = frame.assign(**{c: _nanoseconds(frame[c], c, name) for c in times})
    converted.attrs[TIME_DTYPES] = {c: frame[c].dtype for c in times}
    return converted


# ``frame.attrs`` key under which to_frame keeps a DataFrame's own column labels when they are
# not all strings (ints, tuples, a MultiIndex), which ``categorical_features`` may list.
COLUMN_LABELS = "hvrt_column_labels"
# Key in ``DataFrame.attrs``: object columns of Python ints (with None) that ``infer_objects``
# made float64 and rounded beyond 2**53, with what :func:`inexact_objects` found, for
# :func:`numeric_block` to warn of (X27, Y10) if they are numeric (listed categoricals: X26).
ROUNDED_OBJECTS = "hvrt_rounded_objects"


def _inferred(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame.infer_objects()``, the object columns it made float64 that it rounded
    (Python ints beyond 2**53 with a missing value: pandas reads them as floats without a
    word) recorded in ``attrs[ROUNDED_OBJECTS]``. Looks at those columns only, and at their
    values beyond 2**53 one by one."""
    inferred = frame.infer_objects()
    if inferred is frame:
        return frame
    rounded = {}
    for j in range(frame.shape[1]):
        if frame.dtypes.iloc[j] == object and inferred.dtypes.iloc[j] == np.float64:
            found = inexact_objects(frame.iloc[:, j].to_numpy(), inferred.iloc[:, j].to_numpy(), decimals=False)
            if found is not None:
                rounded[inferred.columns[j]] = found
    if rounded:
        inferred.attrs[ROUNDED_OBJECTS] = rounded
    return inferred


def column_labels(frame: pd.DataFrame) -> list[Any]:
    """The user's own label of each column of a :func:`to_frame` result (its string name
    when the labels were strings, or are not known)."""
    labels = frame.attrs.get(COLUMN_LABELS)
    if labels is None or len(labels) != frame.shape[1] or [str(c) for c in labels] != list(frame.columns):
        return list(frame.columns)
    return list(labels)


def time_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """The columns of a :func:`to_frame` result that held times: ``"dates"`` or ``"durations"``."""
    return {
        column: "durations" if is_duration_dtype(dtype) else "dates"
        for column, dtype in frame.attrs.get(TIME_DTYPES, {}).items()
    }


def date_zones(frame: pd.DataFrame) -> dict[str, str | None]:
    """The date columns of a :func:`to_frame` result with their time zone (None: naive)."""
    return {
        column: dtype_zone(dtype)
        for column, dtype in frame.attrs.get(TIME_DTYPES, {}).items()
        if pd.api.types.is_datetime64_any_dtype(dtype)
    }


def _kind_now(frame: pd.DataFrame, column: str, now: Mapping[str, str]) -> str:
    if column in now:
        return now[column]
    return "numbers" if pd.api.types.is_numeric_dtype(frame[column].dtype) else "text"


def check_time_kinds(
    frame: pd.DataFrame,
    fitted: Mapping[str, str],
    columns: Sequence[str],
    name: str = "X",
    zones: Mapping[str, str | None] | None = None,
) -> None:
    """Refuse a column that held numbers, dates or durations at fit and holds another now.

    Both become float64 (times as nanoseconds), so the swap would go through and put every
    row in the wrong place without a word. A column of only missing values passes. With
    ``zones`` (each date column's time zone at fit, None for naive dates), a naive date
    column that now carries a zone other than UTC, or the reverse, is refused too: naive
    dates are read as UTC, so the same wall-clock times would move by the zone's offset.

    Raises
    ------
    ValueError
        Naming each such column with its kind at fit and now.
    """
    now = time_kinds(frame)
    changed = [
        f"{column!r} held {fitted.get(column, 'numbers')} at fit but holds {_kind_now(frame, column, now)} now"
        for column in columns
        if fitted.get(column, "numbers") != now.get(column, "numbers")
        and not (column not in now and frame[column].isna().all())
    ]
    if changed:
        raise ValueError(
            f"{name} column(s) changed kind since fit: {'; '.join(changed)}. Dates and durations are read as "
            "nanoseconds, so a number in their place (or the reverse) would be taken in the wrong unit; "
            "convert the column back to the type it had at fit"
        )
    if zones is None:
        return
    zones_now = date_zones(frame)
    moved = [
        f"{column!r} held {_zone_words(zones[column])} at fit but holds {_zone_words(zones_now[column])} now"
        for column in columns
        if column in zones and column in zones_now
        and (zones[column] is None) != (zones_now[column] is None)
        and "UTC" not in (zones[column], zones_now[column])
        and not frame[column].isna().all()  # no date, no zone: as for the kinds above
    ]
    if moved:
        raise ValueError(
            f"{name} column(s) changed time zone since fit: {'; '.join(moved)}. Naive dates are read as UTC, "
            "so these times would move by the zone's offset; make the column naive again "
            "(Series.dt.tz_convert(zone).dt.tz_localize(None)) or give it the zone it had at fit"
        )


def _zone_words(zone: str | None) -> str:
    return "dates without a time zone" if zone is None else f"dates in {zone}"


def _refuse_lazy_frame(data: Any, name: str) -> None:
    """Refuse a polars LazyFrame: a query, not data (numpy would read it as one object)."""
    kind = type(data)
    if kind.__name__ == "LazyFrame" and kind.__module__.split(".")[0] == "polars":
        raise TypeError(
            f"{name} is a polars LazyFrame, a query that holds no rows yet; call .collect() on it "
            "and pass the DataFrame it returns"
        )


def _refuse_dask_collection(data: Any, name: str) -> None:
    """Refuse a Dask collection (X, ``y``, labels, weights) outside ``hvrt.dask``.

    numpy would compute all of it on the client, and a dask DataFrame would lose its column
    names: its columns, in another order, would be matched by position, without a word.
    """
    if is_dask_collection(data):
        raise TypeError(
            f"{name} is a dask {type(data).__name__}, which the in-memory estimators and analysis tools do not "
            "take (they would compute all of it on this machine); use hvrt.dask (DaskHVRTPartitioner, "
            "DaskPartitionedRegressor, hvrt.dask.full_report, hvrt.dask.partition_quality), which work chunk "
            "by chunk, apply a model fitted in memory (hvrt.load, to_local()) to each chunk with "
            f"{name}.map_partitions, or pass {name}.compute() if it fits in memory"
        )


def _holds_decimals(values: pd.Series) -> bool:
    """Whether an object column holds only numbers with some ``decimal.Decimal`` among them
    (and missing values): Decimals alone, or mixed with ints and floats (a SQL NUMERIC
    column whose driver gives ints for whole values, rows built from JSON). Bools are no
    numbers here, as elsewhere: a column holding them is categorical."""
    # the first values decide whether the whole column is worth a scan
    if pd.api.types.infer_dtype(values.iloc[:64], skipna=True) not in _DECIMAL_INFERENCES:
        return False
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "decimal":
        return True
    if inferred not in ("mixed", "mixed-integer", "mixed-integer-float"):
        return False
    # a mix: every value's type a real number or a Decimal (one C-level pass over the rows'
    # types, then a check of the few distinct ones), and one Decimal at least
    kinds = set(map(type, values.dropna()))
    return decimal.Decimal in kinds and all(
        issubclass(kind, (numbers.Real, decimal.Decimal)) and not issubclass(kind, (bool, np.bool_)) for kind in kinds
    )


def holds_python_ints(values: pd.Series) -> bool:
    """Whether an object column holds Python ints alone (and missing values): beyond the
    64-bit range (or negative ints with ones beyond 2**63), where ``infer_objects`` leaves
    them objects. They are numbers, read as float64 (rounded, with X27's warning) as the
    same column one bit narrower (uint64) is; taken for categoricals, each distinct value
    would be an unordered category."""
    if values.dtype != object or len(values) == 0:
        return False
    # the first values decide whether the whole column is worth a scan
    if pd.api.types.infer_dtype(values.iloc[:64], skipna=True) not in ("integer", "empty"):
        return False
    return pd.api.types.infer_dtype(values, skipna=True) == "integer"


# what ``infer_dtype`` says of the first values of a column of Decimals, alone or among numbers
_DECIMAL_INFERENCES = ("decimal", "empty", "integer", "floating", "mixed", "mixed-integer", "mixed-integer-float")


def _decimals_as_floats(frame: pd.DataFrame, name: str = "X") -> pd.DataFrame:
    """Object columns of ``decimal.Decimal`` (what SQL NUMERIC columns read into), alone or
    mixed with ints and floats, as float64.

    They are columns of numbers, numeric as any object column of numbers is (``infer_objects``
    leaves Decimals as objects); taken for categoricals, each distinct value would be an
    unordered category. Those float64 does not hold (more significant digits than its 15-17,
    or integers beyond 2**53) are read rounded, as ``astype(float)`` and scikit-learn read
    them, with a warning (X28; Y10 for ``y``) naming the columns.
    """
    decimals = [c for c, dtype in frame.dtypes.items() if dtype == object and _holds_decimals(frame[c])]
    if not decimals:
        return frame
    floats = {c: frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in decimals}
    if _ROUNDED_INTEGERS_WARNING.get() != "elsewhere":
        found = [(c, inexact_objects(frame[c].to_numpy(), floats[c], decimals=True)) for c in decimals]
        give_rounding_warning([(c, rounded) for c, rounded in found if rounded is not None], name, kind="decimals")
    return frame.assign(**floats)


def _warn_of_inexact_array(objects: np.ndarray, read: np.ndarray, name: str) -> None:
    """Warn of the columns (``f0``, ...) of an object array of numbers whose float64
    reading ``read`` rounds some: Python ints beyond 2**53 (X27; looked at only where read
    beyond it) and Decimals (X28; each value of a column holding one)."""
    if _ROUNDED_INTEGERS_WARNING.get() == "elsewhere":
        return
    found: dict[str, list[tuple[str, tuple[int, int, Any, float]]]] = {"integers": [], "decimals": []}
    for j, column in enumerate(array_column_names(objects.shape[1])):
        decimals = decimal.Decimal in set(map(type, objects[:, j]))
        rounded = inexact_objects(objects[:, j], read[:, j], decimals)
        if rounded is not None:
            found["decimals" if decimals else "integers"].append((column, rounded))
    for kind, columns in found.items():
        give_rounding_warning(columns, name, kind=kind)


def _keep_raw(frame: pd.DataFrame, raw: Collection[str], source: Callable[[int], np.ndarray | None]) -> pd.DataFrame:
    """``frame`` with its columns named in ``raw`` that it read as times from objects put back
    as those objects (``source(j)``: column ``j``'s values before they were read, or None
    when they were no objects)."""
    times = frame.attrs.get(TIME_DTYPES, {})
    back = {}
    for j, column in enumerate(frame.columns):
        if column in times and column in raw:
            values = source(j)
            if values is not None:
                back[column] = values
    # (``attrs[TIME_DTYPES]`` keeps them: what the batch held, which hvrt.dask's chunks report)
    return frame.assign(**back) if back else frame


# objects an object array may hold besides numbers and strings: times, read as a frame reads them
_TIME_OBJECTS = (datetime.date, datetime.timedelta, np.datetime64, np.timedelta64, pd.Period)


def _refuse_odd_objects(array: np.ndarray, name: str, err: TypeError) -> None:
    """Refuse an object array holding a value that is neither a number, a string nor a time
    (a dict, a list), naming the column; times pass (one pass over the values' types)."""
    for j in range(array.shape[1]):
        odd = [
            kind for kind in set(map(type, array[:, j]))
            if not issubclass(kind, (numbers.Number, decimal.Decimal, str, bytes, type(None), *_TIME_OBJECTS))
        ]
        if odd:
            raise TypeError(
                f"{name} holds a value that is neither a number nor a string: column 'f{j}' holds "
                f"{odd[0].__name__} ({err})"
            ) from None


def _zoned_times_as_instants(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Object columns of time-zone-aware times in several zones (``pd.concat`` of two
    columns in different zones, rows built from JSON) as instants in UTC.

    pandas keeps them as objects, which would be a categorical of every distinct time. Read
    as instants they are one ordered date column, as the command line reads a CSV column of
    times with several UTC offsets. Naive times mixed with zoned ones are refused: no zone
    for the naive ones is right.

    Raises
    ------
    ValueError
        For a column mixing times with and without a time zone, naming it.
    """
    zoned = {}
    for column, dtype in frame.dtypes.items():
        if dtype != object:
            continue
        values = frame[column]
        # the first values decide whether the whole column is worth a scan
        if pd.api.types.infer_dtype(values.iloc[:64], skipna=True) not in ("datetime", "empty"):
            continue
        if pd.api.types.infer_dtype(values, skipna=True) != "datetime":
            continue
        present = values.dropna()
        naive = sum(getattr(value, "tzinfo", None) is None for value in present)  # (a rare column, not a hot path)
        if naive == len(present):
            continue  # naive datetimes pandas did not convert: left as they are
        if naive:
            raise ValueError(
                f"{name} column {column!r} holds times with a time zone and {naive:,} without one; no zone for "
                f"the naive ones is right: give them one (pd.to_datetime({name}[{column!r}], utc=True) reads them "
                "as UTC), or make the column text to split it as categories"
            )
        zoned[column] = pd.to_datetime(values, utc=True)
    return frame.assign(**zoned) if zoned else frame


def to_frame(X: Any, name: str = "X", raw: Collection[str] = ()) -> tuple[pd.DataFrame, bool]:
    """Coerce ``X`` to a DataFrame.

    Parameters
    ----------
    X : DataFrame, ndarray, list of rows or narwhals frame
    name : str, default="X"
        What errors call ``X``.
    raw : collection of str, default=()
        Columns (named as in the result) to keep as they are when they are objects that this
        batch alone would read as dates, durations or periods: a fitted categorical column
        that held times among other values at fit (dates and text), whose categories are
        those objects. A batch holding only its times is read as that column was at fit.

    Returns
    -------
    frame : DataFrame
        Array input gets columns ``f0...``; column labels are always strings.
    had_names : bool
        Whether the input carried column names of its own (any DataFrame does; its
        names are turned into strings).
    """
    if sp.issparse(X):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported, pass a dense array or DataFrame"
        )
    if isinstance(X, pd.Series):
        raise ValueError(
            f"Expected 2D array for {name}, got a pandas Series; use series.to_frame() for one feature"
        )
    _refuse_lazy_frame(X, name)
    _refuse_dask_collection(X, name)
    if isinstance(X, (list, tuple)) and len(X) and all(isinstance(row, Mapping) for row in X):
        # records (rows as dicts, as JSON gives them): their keys are the column names, a key
        # missing from a record a missing value
        X = pd.DataFrame.from_records(list(X))
    if not isinstance(X, pd.DataFrame):
        converted = _from_dataframe_protocol(X)
        if converted is not None:
            X = converted
    raw_values: Callable[[int], np.ndarray | None] = lambda j: None
    if isinstance(X, pd.DataFrame):
        # Every frame's columns are names, whatever their type (ints, tuples, a
        # MultiIndex): they are matched by name at labelling time, as strings.
        had_names = True
        if all(isinstance(c, str) for c in X.columns):
            frame = X
        else:
            frame = X.set_axis([str(c) for c in X.columns], axis=1)
            if not X.columns.equals(pd.RangeIndex(X.shape[1])):  # (there, each label is its position)
                # plain values (an Index in attrs would break pandas' comparison of attrs in concat)
                frame.attrs[COLUMN_LABELS] = tuple(X.columns)
        if frame.columns.has_duplicates:
            dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
            raise ValueError(
                f"{name} has duplicate column names: {dupes} (names are compared as strings, so 1 and '1' clash)"
            )
        if (frame.dtypes == object).any():
            # An object column of numbers only (a transposed frame, rows built from JSON) is
            # numeric data, as in an object array below; taken as categories, every distinct
            # value would be an unordered category. Text and mixed columns stay object.
            frame = _zoned_times_as_instants(_decimals_as_floats(_inferred(frame), name), name)
            source = X
            raw_values = lambda j: source.iloc[:, j].to_numpy() if source.dtypes.iloc[j] == object else None
    else:
        array = np.asarray(X)
        if array.dtype.kind in "US" and not isinstance(X, np.ndarray) and array.ndim == 2:
            # A list of rows mixing numbers and strings: numpy would make every value a
            # string; read it column by column instead, as pandas does.
            array = pd.DataFrame(list(X)).to_numpy(dtype=object)
        if array.ndim != 2:
            raise ValueError(
                f"Expected 2D array for {name}, got {array.ndim}D array instead; "
                "Reshape your data with array.reshape(-1, 1) for one feature"
            )
        if np.iscomplexobj(array):
            raise ValueError(f"Complex data not supported in {name}")
        if array.dtype == object:
            try:  # object arrays of numbers are numeric data
                numbers = array.astype(np.float64)
                inferred = pd.api.types.infer_dtype(array.ravel(order="K"), skipna=True)
                if inferred not in _NUMBER_KINDS:
                    # numbers written as text among them: read as pd.to_numeric reads them
                    numbers = np.column_stack([parse_number_text(array[:, j]) for j in range(array.shape[1])])
                if inferred != "floating":
                    _warn_of_inexact_array(array, numbers, name)
                array = numbers
            except ValueError:  # strings: keep them, they are categorical columns
                pass
            except TypeError as err:
                # dates, durations and periods among the values are read as a frame's are
                # (a string before them took the branch above, so a batch of some rows must too)
                _refuse_odd_objects(array, name, err)
        frame = pd.DataFrame(array, columns=array_column_names(array.shape[1]), copy=False)
        if array.dtype == object:
            frame = _inferred(frame)
            raw_values = lambda j: array[:, j]
        had_names = False
    frame = _dates_as_numbers(frame, name)
    if raw:
        frame = _keep_raw(frame, raw, raw_values)
    if frame.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required ({name}).")
    if frame.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={frame.shape}) while a minimum of 1 is required ({name}).")
    return frame, had_names


def numeric_block(
    frame: pd.DataFrame,
    columns: Sequence[str],
    name: str = "X",
    *,
    check: bool = True,
    refuse_tiny: bool = True,
    when: str = "fit",
) -> tuple[np.ndarray, bool]:
    """The given columns as float64 (a view when possible) and whether any value is NaN.

    Complex values and infinities are refused with the offending column names, and so are
    the magnitudes :func:`has_missing_values` refuses (``refuse_tiny=False`` at labelling
    time: tiny values only matter where variances are taken, and a batch of rows may hold
    only small ones of a column that was fine at fit). With
    ``check=False`` the values are not looked at (the NaN flag is False): the caller
    checks them with :func:`has_missing_values`, or with a pass it makes anyway. ``when``
    says what the caller is doing, for the advice of a magnitude error (see
    :data:`MAGNITUDE_ADVICE`). A 64-bit integer column that float64 rounds is warned of
    (:func:`warn_of_rounded_integers`), checked or not, and so is an object column of
    Python ints (beyond 2**64, which pandas keeps as objects) that it rounds; ``y`` too
    (Y10): its values are what the partitions' y part and the local models fit.
    """
    if len(columns) == 0:
        return np.empty((len(frame), 0)), False
    block = frame if len(columns) == frame.shape[1] and list(frame.columns) == list(columns) else frame[list(columns)]
    for column, dtype in block.dtypes.items():
        if pd.api.types.is_complex_dtype(dtype):
            raise ValueError(f"Complex data not supported: column {column!r} of {name}")
    text = [c for c, dtype in block.dtypes.items() if _may_hold_text(dtype)]
    # object columns as they were, for the check of Python ints float64 rounds (no copy)
    objects = {c: block[c].to_numpy() for c in text if block[c].dtype == object}
    if text:
        block = _text_as_numbers(block, text, name, when)
    try:
        values = block.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        _refuse_non_numeric(block, name, when)
        raise
    made_floats = frame.attrs.get(ROUNDED_OBJECTS, {})  # (Python ints with None, made floats)
    if objects or made_floats:  # (Python ints: only the values read beyond 2**53 are looked at)
        where = {c: j for j, c in enumerate(block.columns)}
        found = [(c, inexact_objects(objects[c], values[:, where[c]], decimals=False)) for c in objects]
        found += [(c, made_floats[c]) for c in block.columns if c in made_floats]
        give_rounding_warning([(c, rounded) for c, rounded in found if rounded is not None], name, when)
    # 64-bit integer columns float64 may have rounded
    wide = [c for c, dtype in block.dtypes.items() if _int64_dtype(dtype) is not None]
    if not check:
        if wide:
            warn_of_rounded_integers(block, list(block.columns), name, when, values=values)
        return values, False
    # One cheap reduction answers "all finite, none huge or tiny?" for the common clean
    # case (einsum is about 4x as fast as ndarray.sum on row-major data).
    # (inf and NaN make the sums NaN or inf, and every overflow is a huge value, whatever
    # the order of the additions: the row ranges on threads decide the same)
    if refuse_tiny:
        squares = _sum_of_squares(values, per_column=True)
        clean = squares_are_safe(squares, len(values))
        if wide:  # squares below 2**104 keep every value within 2**52: nothing rounded
            wanted = set(wide)  # (once: per column it made this quadratic in int64 columns)
            wide = [c for c, square in zip(block.columns, squares) if c in wanted and not square < 2.0**104]
    else:
        # labelling: only NaN, infinities and huge values matter, and one total of squares
        # at most MAX_MAGNITUDE**2 rules them all out (a third faster than per column)
        total = _sum_of_squares(values, per_column=False)
        clean = bool(total <= MAX_MAGNITUDE**2)
        wide = wide if not total < 2.0**104 else []
    if wide:
        warn_of_rounded_integers(block, wide, name, when)
    if clean:
        return values, False
    return values, has_missing_values(values, columns, name, refuse_tiny=refuse_tiny, when=when)


def _squares_below(values: np.ndarray, positions: list[int], limit: float) -> bool:
    """Whether the sum of squares of ``values``' columns at ``positions`` is below ``limit``
    (then no value of them is beyond its square root): one einsum over the rows, on
    threads, faster than a min and a max of each column."""
    if len(positions) == values.shape[1]:
        return bool(_sum_of_squares(values, per_column=False) < limit)
    return bool(sum(float(np.dot(values[:, j], values[:, j])) for j in positions) < limit)


# Numbers written as text, as pandas' ``pd.to_numeric`` reads them: ASCII digits with an
# optional sign, decimal point and exponent, surrounding whitespace, and infinities (refused
# later as infinite values). Python's ``float()``, which numpy uses, also takes digit
# separators ("1_000") and any script's digits ("١٢"), which no CSV reader produces and
# ``pd.to_numeric`` refuses. An empty (or blank) text, and "nan", are missing values: what
# ``DataFrame.to_csv`` and ``repr`` write for NaN.
# (ASCII spelled out, no flags: pandas hands a plain pattern to pyarrow's RE2 engine for its
# string dtype, 10x faster than Python's re, and both read it alike)
_BLANK = r"[ \t\n\r\x0b\x0c]*"
_NUMBER_TEXT = (
    rf"(?i){_BLANK}(?:[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf|infinity)|[+-]?nan)?{_BLANK}"
)
_MISSING_TEXT = rf"(?i){_BLANK}(?:[+-]?nan)?{_BLANK}"


# what pandas' infer_dtype calls values that are all numbers (or missing)
_NUMBER_KINDS = ("floating", "integer", "mixed-integer-float", "boolean", "decimal", "empty")


def _may_hold_text(dtype: Any) -> bool:
    """Whether a column of this dtype may hold text (objects, strings, a categorical of either)."""
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return dtype == object or pd.api.types.is_string_dtype(dtype)


def _text_numbers(texts: pd.Series) -> np.ndarray:
    """Strings as float64 by ``_NUMBER_TEXT`` (blank and "nan": NaN); ValueError naming the
    first that is not a number."""
    texts = texts.astype(str)
    valid = texts.str.fullmatch(_NUMBER_TEXT).to_numpy(dtype=bool)
    if not valid.all():
        raise ValueError(f"could not convert string to float: {texts.iloc[int(np.argmin(valid))]!r}")
    missing = texts.str.fullmatch(_MISSING_TEXT).to_numpy(dtype=bool)
    parsed = np.full(len(texts), np.nan)
    parsed[~missing] = texts[~missing].to_numpy(dtype=object).astype(np.float64)
    return parsed


def parse_number_text(values: np.ndarray) -> np.ndarray:
    """An object array of numbers and numbers written as text as float64 (see ``_NUMBER_TEXT``).

    Missing values (None, NaN, pd.NA) stay missing. A column of text alone is read row by
    row (numbers written as text are mostly distinct); any other mix through its distinct
    values.

    Raises
    ------
    ValueError
        For text that is not a number in ``pd.to_numeric``'s notation, and for bytes (they
        are not text: ``b"12"`` is refused as categories refuse bytes for text), with the
        first such value.
    TypeError
        For other objects that are not numbers.
    """
    series = pd.Series(values, dtype=object)
    if pd.api.types.infer_dtype(series, skipna=True) == "string":
        present = series.notna().to_numpy()
        numbers = np.full(len(series), np.nan)
        numbers[present] = _text_numbers(series[present])
        return numbers
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    uniques = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    numbers_of = np.empty(len(uniques) + 1)
    numbers_of[-1] = np.nan  # code -1: missing
    if pd.api.types.infer_dtype(uniques, skipna=True) in ("mixed", "mixed-integer"):
        is_text = np.asarray([isinstance(value, str) for value in uniques], dtype=bool)
    else:  # numbers (or bytes, odd objects: refused below)
        is_text = np.zeros(len(uniques), dtype=bool)
    if is_text.any():
        numbers_of[:-1][is_text] = _text_numbers(uniques[is_text])
    others = uniques[~is_text]
    if len(others):
        bytes_at = np.flatnonzero(others.map(type).isin([bytes, np.bytes_]).to_numpy())
        if len(bytes_at):
            raise ValueError(f"bytes are not numbers: {others.iloc[int(bytes_at[0])]!r}")
        numbers_of[:-1][~is_text] = others.to_numpy(dtype=object).astype(np.float64)
    return numbers_of[codes]


def _text_as_numbers(block: pd.DataFrame, columns: list[Any], name: str, when: str) -> pd.DataFrame:
    """``block`` with its ``columns`` that may hold text read as numbers (:func:`parse_number_text`).

    Raises
    ------
    ValueError
        Naming the columns holding values that are not numbers, with the first one's reason.
    """
    block = block.copy(deep=False)
    failed: list[Any] = []
    reason = ""
    for column in columns:
        try:
            block[column] = parse_number_text(block[column].to_numpy(dtype=object))
        except (TypeError, ValueError) as err:
            failed.append(column)
            reason = reason or str(err)
    if failed:
        _raise_non_numeric(failed, reason, name, when)
    return block


def _raise_non_numeric(failed: list[Any], reason: str, name: str, when: str) -> None:
    if when == "label":
        raise ValueError(
            f"{name} column(s) {failed} held numbers at fit but hold values that are not numbers now "
            f"({reason}); convert them back to numbers"
        )
    raise ValueError(f"{name} column(s) {failed} must be numeric (or be listed in categorical_features): {reason}")


def _refuse_non_numeric(block: pd.DataFrame, name: str, when: str) -> None:
    """Raise the ValueError for the columns of ``block`` that do not convert to float64
    (text in a numeric column), naming only those, with the first failure's reason."""
    failed: list[str] = []
    reason = ""
    for column in block.columns:
        try:
            block[column].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as err:
            failed.append(column)
            reason = reason or str(err)
    if failed:
        _raise_non_numeric(failed, reason, name, when)


# A column read as constant varies of its own (X29, Y11, R22) when its standard deviation
# exceeds this many units in the last place of its mean. Rounding noise stays near one unit
# whatever the row count (a row sum of 50 probabilities: 0.6; of 12 percentage shares: 1.0,
# at 100k and 1M rows alike), while a signal the z-scoring cannot resolve reads about 8
# (``1e12 + 1e-3 * N(0, 1)``, ``1e15 + N(0, 1)``, from 200 rows up). A span (max - min)
# grows with the row count instead, so rounding noise crossed any fixed span bound.
ROUNDING_STD_ULPS = 3.0


def varies_beyond_rounding(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Which columns vary beyond the rounding of a constant, from their means and standard
    deviations (NaN skipped; one value per column).

    A column varies when its standard deviation is above ``ROUNDING_STD_ULPS`` units in the
    last place of its mean (``np.spacing``): rounding noise (a constant computed as a sum, in
    its last bits) stays near one unit at any row count. A standard deviation of exactly 0
    (an all-zero column) never varies. The one rule of the in-memory and the Dask estimators'
    warnings of a column the z-scoring reads as constant although it varies (X29, Y11, R22).

    Parameters
    ----------
    mean, std : numpy.ndarray
        Per-column means and population standard deviations (float64, equal shapes).

    Returns
    -------
    numpy.ndarray
        Boolean, True for the columns whose spread is their own.
    """
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # (NaN moments of an all-NaN column: no spread)
        return std > ROUNDING_STD_ULPS * np.spacing(np.abs(mean))


# float64 holds every integer up to 2**53 in magnitude, and from there only every 2nd, 4th,
# ... (every 256th near 2**60): a 64-bit integer column beyond it is read rounded.
EXACT_FLOAT_INTEGERS = 2**53
# What the warning of such a column (X27) advises, by what the caller was doing.
_ROUNDED_ADVICE = {
    "fit": (
        "if they are IDs, list the column in categorical_features (ints are matched exactly as categories); "
        "if only their differences matter (nanosecond counts, amounts in cents), subtract an offset first "
        "({column} - {column}.min(), and the same offset from the rows to label)"
    ),
    "label": (
        "if they are IDs, fit with the column in categorical_features (ints are matched exactly as "
        "categories); if only their differences matter, subtract one offset from the column both in the data "
        "the model is fitted on and in the rows it labels ({column} - offset)"
    ),
    "measure": (
        "if they are IDs, they measure nothing: leave the column out or make it a category "
        "({column}.astype('category'), which the analysis tools skip); if only their differences matter "
        "(nanosecond counts, amounts in cents), subtract an offset first ({column} - {column}.min())"
    ),
}


def _stacklevel_outside_hvrt() -> int:
    """The ``stacklevel`` of the first caller outside the hvrt package, for a warning raised
    through a varying number of its own frames."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1  # the caller of warnings.warn
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level


def _int64_dtype(dtype: Any) -> np.dtype | None:
    """The numpy dtype of a 64-bit integer column (numpy, nullable or pyarrow), else None:
    narrower integers are exact in float64."""
    numpy_dtype = getattr(dtype, "numpy_dtype", dtype)  # Int64 / UInt64 / int64[pyarrow]
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind in "iu" and numpy_dtype.itemsize == 8:
        return numpy_dtype
    return None


def _rounded_integers(ints: np.ndarray) -> tuple[int, int, int, float] | None:
    """How float64 reads a 64-bit integer array: None when every value is exact, else the
    number of values it changes, the number of distinct values it merges away, the first
    changed value and what it becomes.

    Cheap when there is nothing to find: one min and one max; the values beyond 2**53 alone
    are converted back and compared."""
    if len(ints) == 0:
        return None
    low, high = int(ints.min()), int(ints.max())
    if -EXACT_FLOAT_INTEGERS <= low and high <= EXACT_FLOAT_INTEGERS:
        return None
    if ints.dtype.kind == "u":
        far = ints[ints >= np.uint64(EXACT_FLOAT_INTEGERS)]
    else:
        far = ints[(ints >= EXACT_FLOAT_INTEGERS) | (ints <= -EXACT_FLOAT_INTEGERS)]  # (2**53 itself: a merge target)
    floats = far.astype(np.float64)
    # back to integers where they fit (2**63 or 2**64, a rounding of the largest ints, does not)
    fits = floats < (2.0**64 if ints.dtype.kind == "u" else 2.0**63)
    changed = ~fits
    changed[fits] = floats[fits].astype(ints.dtype) != far[fits]
    if not changed.any():
        return None
    first = int(np.flatnonzero(changed)[0])
    merged = len(np.unique(far)) - len(np.unique(floats))
    return int(changed.sum()), merged, int(far[first]), float(floats[first])


# The texts of the warnings given so far by the chunks of one hvrt.dask labelling (or
# analysis), which give each text once for all the chunks: Python's default filter cannot
# be relied on for it, since every catch_warnings block that pandas or dask enters resets
# it. A context variable, so each worker thread has its own; the set is shared by the
# labelling's threads, hence the lock.
_WARNINGS_GIVEN: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("hvrt_warnings_given", default=None)
_WARNINGS_GIVEN_LOCK = threading.Lock()


@contextlib.contextmanager
def warnings_given_once(given: set[str]) -> Iterator[None]:
    """:func:`warn_once` in this block (in this thread) gives a text not already in
    ``given`` (and adds it there), and no other."""
    token = _WARNINGS_GIVEN.set(given)
    try:
        yield
    finally:
        _WARNINGS_GIVEN.reset(token)


def warn_once(text: str, category: type[Warning], stacklevel: int) -> None:
    """``warnings.warn(text, category, stacklevel)`` as if the caller called it, unless a
    :func:`warnings_given_once` block around it has given the text already."""
    given = _WARNINGS_GIVEN.get()
    if given is not None:
        with _WARNINGS_GIVEN_LOCK:
            if text in given:
                return
            given.add(text)
    warnings.warn(text, category, stacklevel=stacklevel + 1)


# How this thread warns of integers beyond 2**53 (X27): "each" (with each call's counts),
# "elsewhere" (not: hvrt.dask's fit warns once on the client for all its chunks) or
# "columns" (naming only the columns, so that the chunks of one Dask labelling give one
# text, which warn_once gives once); a context variable, so each worker thread has its own
_ROUNDED_INTEGERS_WARNING: contextvars.ContextVar[str] = contextvars.ContextVar("hvrt_rounded_integers", default="each")


@contextlib.contextmanager
def rounded_integers_warning(mode: str) -> Iterator[None]:
    """:func:`warn_of_rounded_integers` in this block (in this thread) as ``mode`` says:
    ``"elsewhere"`` (the caller warns) or ``"columns"`` (column names only)."""
    token = _ROUNDED_INTEGERS_WARNING.set(mode)
    try:
        yield
    finally:
        _ROUNDED_INTEGERS_WARNING.reset(token)


def warn_of_rounded_integers(
    frame: pd.DataFrame | None,
    columns: Sequence[Any],
    name: str = "X",
    when: str = "fit",
    array: np.ndarray | None = None,
    values: np.ndarray | None = None,
) -> None:
    """Warn (X27) of the 64-bit integer columns among ``columns`` holding values beyond
    2**53 that float64, in which hvrt computes, changes: distinct IDs may become one value,
    and partitions, rules and statistics see the rounded values.

    ``array``: a 2-D integer array whose columns are ``columns`` (the analysis tools' numpy
    input), in place of ``frame``. ``values``: ``columns`` as float64 already, whose sums of
    squares (one einsum, about 5x as fast as a min and a max) rule out the columns within
    2**52 first. ``when``: as :data:`MAGNITUDE_ADVICE`. Nothing is looked at unless a column
    is a 64-bit integer; then (unless ruled out) one min and max of it, and only a column
    beyond 2**53 is checked value by value. Nothing at all where
    :func:`rounded_integers_warning` says ``"elsewhere"``.
    """
    mode = _ROUNDED_INTEGERS_WARNING.get()
    if mode == "elsewhere":
        return
    found = []
    if array is not None:
        if _int64_dtype(array.dtype) is not None:
            found = [(columns[j], _rounded_integers(array[:, j])) for j in range(array.shape[1])]
    elif frame is not None:
        wide = [j for j, column in enumerate(columns) if _int64_dtype(frame[column].dtype) is not None]
        if wide and values is not None and _squares_below(values, wide, 2.0**104):
            wide = []  # (squares below 2**104: no value beyond 2**52)
        for column in [columns[j] for j in wide]:
            series = frame[column]
            dtype = _int64_dtype(series.dtype)
            if isinstance(series.dtype, np.dtype):
                ints = series.to_numpy()
            else:  # nullable or pyarrow: the present values
                ints = series[series.notna()].to_numpy(dtype=dtype)
            found.append((column, _rounded_integers(ints)))
    give_rounding_warning([(column, rounded) for column, rounded in found if rounded is not None], name, when)


# What the warning of a rounded y (Y10) advises: the target is read as the rounded values.
_ROUNDED_Y_ADVICE = (
    "if only their differences matter (amounts in cents, counts from an offset), subtract an offset first "
    "({column} - {column}.min()) and add it back to what you compute from the fit"
)


def give_rounding_warning(
    found: Sequence[tuple[Any, tuple[int, int, Any, float]]], name: str = "X", when: str = "fit", kind: str = "integers"
) -> None:
    """The warning of columns whose numbers float64 rounds: X27 (64-bit or Python integers
    beyond 2**53 in X), X28 (``kind="decimals"``: ``decimal.Decimal`` values in X that no
    float64 is, with more significant digits than it holds or beyond 2**53) or Y10 (either
    in ``y``, ``name="y"``). ``found``: (column, (values changed, distinct values merged
    away, first changed value, what it became)). As :func:`rounded_integers_warning` says
    in this thread: not at all, with counts, or naming the columns only, once."""
    mode = _ROUNDED_INTEGERS_WARNING.get()
    if mode == "elsewhere" or not found:
        return
    details = "; ".join(
        f"{n_changed:,} value(s) of {column!r} read rounded (first {value!r} as {_read_as(value, read)}), "
        + (f"{merged:,} distinct value(s) merged into others" if merged else "no two distinct values merged")
        for column, (n_changed, merged, value, read) in found
    )
    if mode == "columns":  # the same text from every chunk: no counts or values of this one
        details = "values read rounded, distinct ones possibly merged into others"
    columns = [column for column, _ in found]
    if name == "y":
        advice = _ROUNDED_Y_ADVICE.format(column=f"y[{columns[0]!r}]" if columns[0] != "target" else "y")
        what = "numbers" if kind == "decimals" else "integers beyond 2**53"
        text = (
            f"y column(s) {columns} hold {what} that float64 (what hvrt computes in) cannot all hold: {details}; "
            f"the fit sees the rounded values. {advice[0].upper()}{advice[1:]}"
        )
    elif kind == "decimals":
        column = f"{name}[{columns[0]!r}]"
        text = (
            f"{name} column(s) {columns} hold Decimals that float64 (what hvrt computes in) cannot hold: {details}; "
            "partitions, rules and statistics see the rounded values. If they are IDs or codes, make them text "
            f"({column}.astype(str)) and list the column in categorical_features (matched exactly as categories); "
            f"if only their differences matter, subtract an offset first ({column} - {column}.min(), and the same "
            "offset from the rows to label)"
        )
    else:
        advice = _ROUNDED_ADVICE.get(when, _ROUNDED_ADVICE["fit"]).format(column=f"{name}[{columns[0]!r}]")
        text = (
            f"{name} column(s) {columns} hold integers beyond 2**53, which float64 (what hvrt "
            f"computes in) cannot all hold: {details}; partitions, rules and statistics see the rounded values. "
            f"{advice[0].upper()}{advice[1:]}"
        )
    warn_once(text, UserWarning, _stacklevel_outside_hvrt())


def _read_as(value: Any, read: float) -> str:
    """What float64 made of ``value``, written as the value's kind reads: an int as an int."""
    if isinstance(value, (int, np.integer)) and np.isfinite(read):
        return str(int(read))
    return repr(float(read))


def _read_exactly(value: Any, read: float) -> bool:
    """Whether float64's ``read`` of one number (a Python int, a Decimal, a float) loses
    nothing: an int is that float, a Decimal is that float or its shortest decimal (the
    Decimal ``0.1`` reads as the float 0.1, as the text "0.1" does)."""
    if isinstance(value, decimal.Decimal):
        # up to 15 significant digits (DBL_DIG) every decimal comes back from float64 as
        # written, away from the subnormals: the common case, 5x as fast as the comparisons
        if len(value.as_tuple().digits) <= 15 and -300 < value.adjusted() < 300:
            return True
        try:
            return decimal.Decimal(read) == value or decimal.Decimal(repr(float(read))) == value
        except decimal.InvalidOperation:  # a signalling NaN: missing, nothing to round
            return True
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return bool(np.isfinite(read)) and int(read) == int(value)
    return True


def inexact_objects(objects: np.ndarray, read: np.ndarray, decimals: bool) -> tuple[int, int, Any, float] | None:
    """:func:`_rounded_integers` for an object column of numbers (Python ints, floats,
    Decimals) and its float64 reading ``read``: None when nothing changed. Only the values
    read at or beyond 2**53 in magnitude are looked at one by one (a Python int within it
    is exact), and every present value when ``decimals`` (the column holds Decimals, which
    may hold more digits than float64 anywhere)."""
    with np.errstate(invalid="ignore"):
        if decimals:
            candidates = np.flatnonzero(~np.isnan(read))
        else:
            candidates = np.flatnonzero(np.abs(read) >= EXACT_FLOAT_INTEGERS)
    if len(candidates) == 0:
        return None
    changed = [
        k
        for k, value, number in zip(candidates.tolist(), objects[candidates].tolist(), read[candidates].tolist())
        if not _read_exactly(value, number)
    ]
    if not changed:
        return None
    # distinct values among those looked at, less the distinct floats they became (a
    # Decimal and an int of one value are one: they hash and compare alike)
    try:
        merged = len(set(objects[candidates])) - len(np.unique(read[candidates]))
    except TypeError:  # (an unhashable value: counted as no merge)
        merged = 0
    return len(changed), max(merged, 0), objects[changed[0]], float(read[changed[0]])


def warn_of_rounded_target(values: np.ndarray, read: np.ndarray, column: str) -> None:
    """Warn (Y10) when float64's ``read`` of a 1-D target ``values`` (64-bit ints, or objects:
    Python ints, Decimals) rounds some of them; ``column``: what y is called. One min and
    max of an int64 target; objects are looked at one by one only beyond 2**53, or all when
    they hold a Decimal."""
    if _ROUNDED_INTEGERS_WARNING.get() == "elsewhere":
        return
    if _int64_dtype(values.dtype) is not None:
        rounded, kind = _rounded_integers(values), "integers"
    elif values.dtype == object:
        decimals = decimal.Decimal in set(map(type, values))
        rounded, kind = inexact_objects(values, read, decimals), "decimals" if decimals else "integers"
    else:
        return
    if rounded is not None:
        give_rounding_warning([(column, rounded)], "y", kind=kind)


# Magnitudes above this are refused: the squares that variances, z-scores and split gains
# are made of overflow float64 near 1.3e154, which would end in NaN partitions or metrics.
MAX_MAGNITUDE = 1e150
# A column whose every value is below this (and not all zero) is refused too: its squares
# underflow, so its variance would read as 0 and the column as constant, silently.
MIN_MAGNITUDE = 1e-150
# What a magnitude error advises, by what the caller was doing: (too large, too small).
# Labelling refuses only the large ones, and rescaling new rows alone would mislabel them.
MAGNITUDE_ADVICE = {
    "fit": (
        "rescale them (divide by a power of ten) before fitting",
        "rescale them (multiply by a power of ten) before fitting",
    ),
    "label": (
        "such rows cannot be labelled: replace those values with NaN, or rescale the column "
        "(divide by a power of ten) both in the data the model is fitted on and in the rows it labels",
        "",
    ),
    "measure": (
        "rescale them (divide by a power of ten) before measuring",
        "rescale them (multiply by a power of ten) before measuring",
    ),
}


# From this many rows, a numpy pass over an array's rows is shared out between threads in
# contiguous row ranges (einsum releases the GIL). Each range's rows give the values they
# give in the whole, so per-row results are the same bit for bit, and so are block sums
# whose blocks a range boundary never cuts.
THREADED_MIN_ROWS = 131_072


def thread_count() -> int:
    """Threads for numpy passes over rows: ``NUMBA_NUM_THREADS`` when set (the limit the
    histogram engine's kernels follow), else the CPUs this process may run on."""
    limit = os.environ.get("NUMBA_NUM_THREADS", "")
    if limit.strip().isdigit() and int(limit) > 0:
        return int(limit)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def row_ranges(n_rows: int, step: int = 1) -> list[tuple[int, int]]:
    """Contiguous ``(start, stop)`` row ranges, one per thread (one below
    ``THREADED_MIN_ROWS`` rows), their bounds multiples of ``step`` (but the last)."""
    n_threads = thread_count() if n_rows >= THREADED_MIN_ROWS else 1
    n_steps = -(-n_rows // max(step, 1))
    n_threads = max(1, min(n_threads, n_steps))
    bounds = [min(n_rows, (n_steps * t // n_threads) * step) for t in range(n_threads + 1)]
    bounds[-1] = n_rows
    return [(bounds[t], bounds[t + 1]) for t in range(n_threads)]


def on_threads(task: Callable[[int, int], Any], ranges: Sequence[tuple[int, int]]) -> list[Any]:
    """``[task(start, stop) for each range]``, one thread per range when there are several."""
    if len(ranges) == 1:
        return [task(*ranges[0])]
    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        return [future.result() for future in [pool.submit(task, start, stop) for start, stop in ranges]]


def _sum_of_squares(values: np.ndarray, per_column: bool) -> np.ndarray | float:
    """Per-column sums of squares of ``values``, or their total, over row ranges on threads."""
    subscripts = "ij,ij->j" if per_column else "ij,ij->"
    parts = on_threads(lambda a, b: np.einsum(subscripts, values[a:b], values[a:b]), row_ranges(len(values)))
    return parts[0] if len(parts) == 1 else sum(parts[1:], parts[0])


def squares_are_safe(squares: np.ndarray, n_rows: int) -> bool:
    """Whether per-column sums of squares prove the columns clean: no NaN, no ±inf, no
    magnitude beyond ``MAX_MAGNITUDE`` (a sum of at most ``MAX_MAGNITUDE**2`` rules that out,
    and is finite) and none whose largest value
    is below ``MIN_MAGNITUDE`` (a sum of at least ``n_rows * MIN_MAGNITUDE**2`` rules that
    out). False means: look closer with :func:`has_missing_values` (an all-zero column
    lands there too, and passes)."""
    # squares <= MAX**2 bounds every value by MAX (and is False for NaN and inf)
    return bool(((squares >= n_rows * MIN_MAGNITUDE**2) & (squares <= MAX_MAGNITUDE**2)).all())


def has_missing_values(
    values: np.ndarray, columns: Sequence[str], name: str = "X", *, refuse_tiny: bool = True, when: str = "fit"
) -> bool:
    """Whether ``values`` holds NaN; infinities and extreme magnitudes are refused, naming their columns.

    ``when`` (``"fit"``, ``"label"`` or ``"measure"``) picks the advice of a magnitude
    error from :data:`MAGNITUDE_ADVICE`.

    Raises
    ------
    ValueError
        If a column holds +inf or -inf, or a finite value beyond ±1e150, or (with
        ``refuse_tiny``) holds only values within ±1e-150 without being all zero.
    """
    infinite = np.isinf(values).any(axis=0)
    if infinite.any():
        bad = [columns[i] for i in np.flatnonzero(infinite)]
        raise ValueError(
            f"{name} column(s) {bad} contain infinite values; replace them with finite numbers or NaN"
        )
    with np.errstate(invalid="ignore"):
        largest = np.fmax.reduce(np.abs(values), axis=0) if len(values) else np.zeros(values.shape[1])
    huge = largest > MAX_MAGNITUDE
    if huge.any():
        bad = [columns[i] for i in np.flatnonzero(huge)]
        raise ValueError(
            f"{name} column(s) {bad} hold values beyond ±{MAX_MAGNITUDE:.0e} (up to {largest[huge].max():.3g}), "
            f"where variances overflow; {MAGNITUDE_ADVICE[when][0]}"
        )
    tiny = (largest > 0.0) & (largest < MIN_MAGNITUDE)
    if refuse_tiny and tiny.any():
        bad = [columns[i] for i in np.flatnonzero(tiny)]
        raise ValueError(
            f"{name} column(s) {bad} hold only values within ±{MIN_MAGNITUDE:.0e} "
            f"(largest {largest[tiny].max():.3g}), "
            f"where variances underflow; {MAGNITUDE_ADVICE[when][1]}"
        )
    return bool(np.isnan(values).any())


def is_categorical_dtype(dtype: Any) -> bool:
    """Object, string, category and bool columns are categorical by default."""
    return not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """The columns every analysis tool measures: all but object, string, category and bool."""
    return [column for column, dtype in frame.dtypes.items() if not is_categorical_dtype(dtype)]


def match_columns(
    frame: pd.DataFrame,
    had_names: bool,
    feature_names: np.ndarray,
    fitted_with_names: bool,
    estimator_name: str,
) -> pd.DataFrame:
    """Select and order the fit-time columns of ``frame``.

    Named input is matched by name, so reordered columns work and extra columns are
    ignored. Unnamed input is matched by position.
    """
    n_expected = len(feature_names)
    if had_names and fitted_with_names:
        missing = [c for c in feature_names if c not in frame.columns]
        if missing:
            raise ValueError(
                f"X is missing column(s) seen at fit time: {missing}; "
                f"{estimator_name} was fitted on {list(feature_names)}"
            )
        return frame[list(feature_names)]
    if frame.shape[1] != n_expected:
        raise ValueError(
            f"X has {frame.shape[1]} features, but {estimator_name} is expecting "
            f"{n_expected} features as input."
        )
    if fitted_with_names and not had_names:
        warn_once(
            f"X does not have valid feature names, but {estimator_name} was fitted with "
            "feature names; columns are matched by position",
            UserWarning,
            stacklevel=3,
        )
    elif had_names and not fitted_with_names:
        warn_once(
            f"X has feature names, but {estimator_name} was fitted without feature names; "
            "columns are matched by position",
            UserWarning,
            stacklevel=3,
        )
    renamed = frame.set_axis(list(feature_names), axis=1)
    times = frame.attrs.get(TIME_DTYPES)
    if times:
        # what to_frame read as times, under the fit-time names too: keyed by the input's
        # names (f0, f1, ...), a column of dates would be taken for numbers by the kind check
        by_position = dict(zip(frame.columns, renamed.columns))
        renamed.attrs[TIME_DTYPES] = {by_position[c]: dtype for c, dtype in times.items() if c in by_position}
    return renamed


def to_target_frame(y: Any, X_frame: pd.DataFrame, X_is_pandas: bool) -> pd.DataFrame:
    """Validate the optional user ``y`` and return it as a numeric DataFrame aligned to X."""
    if sp.issparse(y):
        raise TypeError("y is a sparse matrix; pass a dense array, Series or DataFrame")
    _refuse_lazy_frame(y, "y")
    _refuse_dask_collection(y, "y")
    if isinstance(y, pd.Series):
        frame = y.to_frame(name=str(y.name) if y.name is not None else "target")
    elif isinstance(y, pd.DataFrame):
        frame = y.set_axis([str(c) for c in y.columns], axis=1)
    else:
        converted = _from_dataframe_protocol(y)
        if converted is not None:
            frame = converted
        else:
            if isinstance(y, (str, bytes)):
                hint = f"X[{y!r}]" if y in X_frame.columns else "the column itself"
                raise TypeError(
                    f"y must be an array or Series with one value per row of X, got the string {y!r}; "
                    f"pass {hint} (and drop it from X if it should not be a feature)"
                )
            array = np.asarray(y)
            if array.ndim == 1:
                frame = pd.DataFrame({"target": array})
            elif array.ndim == 2:
                frame = pd.DataFrame(array, columns=[f"target_{i}" for i in range(array.shape[1])])
            else:
                raise ValueError(
                    f"y must be 1-D or 2-D with one row per row of X, got {array.ndim} dimensions"
                )
    if len(frame) != len(X_frame):
        raise ValueError(f"y has {len(frame)} rows but X has {len(X_frame)}; they must match")
    if isinstance(y, (pd.Series, pd.DataFrame)) and X_is_pandas:
        if not frame.index.equals(X_frame.index):
            raise ValueError(
                "y's index differs from X's index; align them (e.g. y.reindex(X.index)) or pass "
                "y.to_numpy() to match rows by position"
            )
    frame = _decimals_as_floats(_inferred(frame.set_axis(X_frame.index, axis=0)), "y")
    # (a column of Python ints beyond the 64-bit range stays objects: numbers all the same)
    non_numeric = [
        c for c, d in frame.dtypes.items() if not pd.api.types.is_numeric_dtype(d) and not holds_python_ints(frame[c])
    ]
    if non_numeric:
        if frame.shape[1] == 1 and not isinstance(y, pd.DataFrame):  # one target: its name is ours
            raise ValueError(f"Unknown label type: y must be numeric, got dtype {frame.dtypes.iloc[0]}")
        described = ", ".join(f"{c!r} ({frame[c].dtype})" for c in non_numeric)
        raise ValueError(f"Unknown label type: y must be numeric; column(s) {described} are not")
    return frame


# --------------------------------------------------------------------------- (X, labels)


def aligned_1d(values: Any, name: str, n_rows: int, index: pd.Index | None) -> np.ndarray:
    """``values`` (labels, ``y``) as a 1-D array matched row for row with X.

    Accepts a Series (which must carry X's index when X is a DataFrame), a one-column
    DataFrame, a polars or other narwhals Series, an array, a list or a tuple.

    Raises
    ------
    TypeError
        For anything else (a string, a dict, a scalar, ...).
    ValueError
        For the wrong shape or length, or a Series whose index differs from X's.
    """
    _refuse_dask_collection(values, name)
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ValueError(f"{name} must be 1-D, got a DataFrame with {values.shape[1]} columns")
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        array = values.to_numpy()
    elif isinstance(values, (np.ndarray, list, tuple, range)):
        array = np.asarray(values)
    else:
        array = _from_series_protocol(values)
        if array is None and hasattr(values, "__array__") and not isinstance(values, (str, bytes)):
            array = np.asarray(values)  # another array-like (e.g. an xarray object)
        if array is None:
            raise TypeError(
                f"{name} must be a 1-D array, list or Series with one entry per row of X, "
                f"got {type(values).__name__}"
            )
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D with one entry per row of X, got shape {array.shape}")
    if len(array) != n_rows:
        raise ValueError(f"{name} has {len(array)} entries but X has {n_rows} rows; they must match")
    if isinstance(values, pd.Series) and index is not None and not values.index.equals(index):
        raise ValueError(
            f"{name} is a pandas Series whose index differs from X's index; align them "
            f"(e.g. {name}.reindex(X.index)) or pass {name}.to_numpy() to match rows by position"
        )
    return array


class LabelFault(NamedTuple):
    """Labels refused for their values (A3: missing, ``what`` None; A19: no partition label),
    the parts of the message kept, so that the Dask analysis can name the first such label of
    all its chunks (:meth:`moved`) in the words of the in-memory check. The ``ValueError``
    raised (:meth:`error`) carries it as ``label_fault``."""

    name: str
    count: int
    row: int
    what: str | None = None
    first: Any = None

    def error(self) -> ValueError:
        if self.what is None:
            message = (
                f"{self.name} has {self.count} missing value(s) (NaN/None), first at row {self.row}; "
                "every row needs a partition label"
            )
        else:
            message = (
                f"{self.name} holds {self.count} value(s) that {self.what}, first {self.first!r} at row "
                f"{self.row}; partition labels are integers (whole floats such as 2.0 are read as the "
                "integers they stand for) or text"
            )
        error = ValueError(message)
        error.label_fault = self  # type: ignore[attr-defined]
        return error

    def moved(self, offset: int, count: int) -> LabelFault:
        """This fault for labels of which this one's are rows ``offset`` on, ``count`` of them refused."""
        return self._replace(row=self.row + offset, count=count)


def _missing_labels(missing: np.ndarray, name: str) -> ValueError:
    return LabelFault(name, int(missing.sum()), int(np.flatnonzero(missing)[0])).error()


_BOOLS_AMONG_NUMBERS = "are bools among numbers (True == 1 to Python, so they would merge)"


def _not_a_label(bad: np.ndarray, values: np.ndarray, name: str, what: str) -> ValueError:
    row = int(np.flatnonzero(bad)[0])
    first = values[row].item() if isinstance(values[row], np.generic) else values[row]
    return LabelFault(name, int(bad.sum()), row, what, first).error()


# Floats at or beyond 2**63 are whole but hold no int64; ints beyond 2**53 are not exact in float64 anyway.
_INT64_FLOAT_LIMIT = 2.0**63


def whole_float_labels(values: np.ndarray) -> np.ndarray:
    """Which float labels stand for an int64 label: finite, whole and within int64 (the rule
    :func:`label_codes` applies, and the CLI's ``--labels`` column)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < _INT64_FLOAT_LIMIT)


def _whole_float_labels(values: np.ndarray, name: str) -> np.ndarray:
    """Float labels as the int64 labels they stand for; a fraction, ±inf or a value beyond
    int64 is refused: it cannot be a partition's integer label, and factorizing it as one
    more category would accept a column of measurements as labels without a word."""
    values = values.astype(np.float64, copy=False)
    missing = np.isnan(values)
    if missing.any():
        raise _missing_labels(missing, name)
    bad = ~whole_float_labels(values)
    if bad.any():
        raise _not_a_label(bad, values, name, "are not whole numbers")
    return values.astype(np.int64)


def _is_bool(values: np.ndarray) -> np.ndarray:
    return np.frompyfunc(lambda v: isinstance(v, (bool, np.bool_)), 1, 1)(values).astype(bool)


def _is_number(values: np.ndarray) -> np.ndarray:
    return np.frompyfunc(lambda v: isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_)), 1, 1)(
        values
    ).astype(bool)


def bools_and_numbers(labels: np.ndarray) -> tuple[np.ndarray, bool]:
    """Which labels are bools, and whether any other label is a number: bools among numbers
    are refused (A19), as ``True == 1`` would merge them. One pass of Python calls only for
    labels of mixed kinds; the Dask analysis applies the rule across its chunks with it."""
    labels = np.asarray(labels)
    none = np.zeros(len(labels), dtype=bool)
    if labels.dtype.kind == "b":
        return np.ones(len(labels), dtype=bool), False
    if labels.dtype.kind != "O":
        return none, labels.dtype.kind in "iufc" and len(labels) > 0
    kind = pd.api.types.infer_dtype(labels, skipna=True)
    if kind == "boolean":
        return _is_bool(labels), False
    if kind in ("mixed-integer", "mixed"):
        return _is_bool(labels), bool(_is_number(labels).any())
    return none, kind in ("integer", "floating", "mixed-integer-float", "decimal", "complex")


def _object_labels(array: np.ndarray, name: str) -> np.ndarray | None:
    """Labels of an object array as int64 when they are numbers, some of them whole floats;
    None for labels to factorize (ints, text, bools, ...).

    Raises
    ------
    ValueError
        For a missing label among numbers, a float that is not a whole number (also among
        text), and bools among numbers.
    """
    kind = pd.api.types.infer_dtype(array, skipna=True)
    if kind in ("floating", "mixed-integer-float", "decimal"):
        missing = pd.isna(array)
        if missing.any():
            raise _missing_labels(missing, name)
        return _whole_float_labels(array.astype(np.float64), name)
    if kind in ("mixed-integer", "mixed"):
        is_bool, numbers = bools_and_numbers(array)
        if is_bool.any() and numbers:
            raise _not_a_label(is_bool, array, name, _BOOLS_AMONG_NUMBERS)
        floats = np.frompyfunc(lambda v: isinstance(v, (float, np.floating)), 1, 1)(array).astype(bool)
        if floats.any():  # floats among text: the rule of a column of floats
            _whole_float_labels(np.where(floats, array, 0.0).astype(np.float64), name)
    return None


def label_codes(
    labels: Any, n_rows: int, index: pd.Index | None, name: str = "labels"
) -> tuple[np.ndarray, np.ndarray | None]:
    """Partition labels as integers whose order is the labels' sorted order.

    Integer labels pass through, and so do floats that are whole numbers (``2.0``), as the
    integers they stand for (a CSV or a NaN-holding column may have made integer labels
    floats). Anything else (strings, bools, categoricals) is replaced by its codes from a
    sorted ``pd.factorize``: hashing is O(n), where sorting a million Python strings
    directly takes seconds, and integer codes take the grouping kernel's radix-sort path.

    Returns
    -------
    codes : ndarray of int, shape (n_rows,)
    values : ndarray or None
        The label of each code (``values[codes]`` gives the labels back); None when the
        labels were integers (or whole floats) already.

    Raises
    ------
    TypeError
        For unhashable labels or a container :func:`aligned_1d` refuses.
    ValueError
        For misaligned or missing labels; for a float label that is not a whole number
        (``2.5``, ``inf``) or beyond int64, and for bools mixed with numbers (``True == 1``
        would merge them into one partition), naming the first such value and its row.
    """
    array = aligned_1d(labels, name, n_rows, index)
    if isinstance(labels, (list, tuple)) and array.dtype.kind != "O":
        # numpy would read [0, True] as ints and [2.5, "a"] as text: check the values as given
        objects = np.empty(len(labels), dtype=object)
        objects[:] = labels if array.ndim == 1 else [None] * len(labels)
        whole = _object_labels(objects, name)
        if whole is not None:
            return whole, None
    if array.dtype.kind in "iu":  # integer labels cannot be missing
        return array, None
    if array.dtype.kind == "f":
        return _whole_float_labels(array, name), None
    if array.dtype.kind == "O":
        whole = _object_labels(array, name)
        if whole is not None:
            return whole, None
    try:
        codes, uniques = pd.factorize(array, sort=True)
    except TypeError as err:  # e.g. lists as labels
        raise TypeError(f"{name} must hold hashable values such as ints or strings: {err}") from None
    missing = codes < 0
    if missing.any():
        raise _missing_labels(missing, name)
    return codes, np.asarray(uniques)


@dataclass(frozen=True)
class PartitionedData:
    """``(X, labels)`` as every analysis tool needs them, checked once.

    Attributes
    ----------
    values : ndarray of float64, shape (n_samples, n_features)
        The numeric columns of X (NaN marks a missing value; never ±inf). A view of X's
        memory when possible.
    feature_names : list of str
        Their names (``f0, f1, ...`` for array input; other labels as strings).
    skipped_columns : tuple of str
        Non-numeric columns of X (object, string, category, bool), in column order.
    labels : ndarray of int, shape (n_samples,)
        Partition of each row as integers in the labels' sorted order.
    label_values : ndarray or None
        The original label of each integer in ``labels`` when they were not integers.
    index : Index or None
        X's index for pandas input (rows of a Series are matched by it), else None.
    has_missing : bool
        Whether ``values`` holds NaN.
    frame : DataFrame or None
        X as a DataFrame (no copy of a pandas X), from which the categorical view reads
        the skipped columns; None for a numeric array, which has none.
    """

    values: np.ndarray
    feature_names: list[str]
    skipped_columns: tuple[str, ...]
    labels: np.ndarray
    label_values: np.ndarray | None
    index: pd.Index | None
    has_missing: bool
    frame: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    @property
    def n_samples(self) -> int:
        return int(self.values.shape[0])

    @property
    def time_kinds(self) -> dict[str, str]:
        """The features that were date or duration columns: ``"dates"`` or ``"durations"``."""
        return {} if self.frame is None else time_kinds(self.frame)

    @cached_property
    def n_partitions(self) -> int:
        """Distinct labels (counted once, on first use)."""
        return len(self.label_values) if self.label_values is not None else int(pd.unique(self.labels).size)

    def original_labels(self, ids: np.ndarray) -> np.ndarray:
        """The user's labels for integer label ids (such as a grouping's ``partition_ids``)."""
        return ids if self.label_values is None else self.label_values[ids]


def _numeric_part(
    X: Any, name: str, refuse_tiny: bool = True
) -> tuple[np.ndarray, list[str], tuple[str, ...], pd.Index | None, bool, pd.DataFrame | None]:
    """X's numeric columns as float64, their names, the skipped names, X's index, any NaN, X as a frame."""
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "fiu" and X.shape[0] > 0 and X.shape[1] > 0:
        # the common case without a DataFrame round trip
        values = np.asarray(X, dtype=np.float64)
        names = array_column_names(values.shape[1])
        squares = np.einsum("ij,ij->j", values, values)
        if _int64_dtype(X.dtype) is not None:  # (squares below 2**104: no value beyond 2**52)
            far = np.flatnonzero(~(squares < 2.0**104))
            if len(far):
                warn_of_rounded_integers(None, [names[j] for j in far], name, "measure", array=X[:, far])
        if squares_are_safe(squares, len(values)):  # as numeric_block
            return values, names, (), None, False, None
        return values, names, (), None, has_missing_values(values, names, name, refuse_tiny=refuse_tiny, when="measure"), None
    frame, _ = to_frame(X, name=name)
    names = numeric_columns(frame)
    skipped = tuple(c for c in frame.columns if c not in set(names))
    values, missing = numeric_block(frame, names, name=name, refuse_tiny=refuse_tiny, when="measure")
    return values, names, skipped, (frame.index if isinstance(X, pd.DataFrame) else None), missing, frame


def check_partitioned(X: Any, labels: Any, *, min_partitions: int = 1, refuse_tiny: bool = True) -> PartitionedData:
    """Check ``X`` and its partition ``labels`` for an analysis tool.

    Parameters
    ----------
    X : DataFrame, ndarray, list of rows or polars (any narwhals) DataFrame
        Non-numeric columns are skipped, not refused.
    labels : array-like, list, Series or polars Series of shape (n_samples,)
        A pandas Series must carry a DataFrame X's index; anything else is matched by
        position.
    min_partitions : int, default=1
        Fewest distinct labels accepted.
    refuse_tiny : bool, default=True
        Refuse a column of values all within ±1e-150 (not all zero). False for a chunk of
        rows (the Dask analysis), whose columns are checked once merged.

    Returns
    -------
    PartitionedData

    Raises
    ------
    TypeError
        If X or labels is of a type that cannot be read, or labels are unhashable.
    ValueError
        If X is empty, a numeric column holds ±inf (the message names it), labels are
        misaligned with X or missing, or there are fewer than ``min_partitions`` of them.
    """
    values, names, skipped, index, missing, frame = _numeric_part(X, "X", refuse_tiny)
    codes, label_values = label_codes(labels, values.shape[0], index)
    data = PartitionedData(
        values=values,
        feature_names=[str(c) for c in names],
        skipped_columns=tuple(str(c) for c in skipped),
        labels=codes,
        label_values=label_values,
        index=index,
        has_missing=missing,
        frame=frame,
    )
    if min_partitions > 1 and data.n_partitions < min_partitions:
        raise ValueError(
            f"labels holds {data.n_partitions} distinct partition(s); at least {min_partitions} "
            "are needed to compare how statistics spread across partitions"
        )
    return data


def resolve_alias(value: Any, alias_value: Any, name: str, alias: str) -> Any:
    """The argument given as ``name`` or under its older keyword ``alias``, never both.

    Raises
    ------
    TypeError
        If both or neither are given.
    """
    if value is not None and alias_value is not None:
        raise TypeError(f"pass {name} or {alias} (its older name), not both")
    if value is None and alias_value is None:
        raise TypeError(f"missing required argument {name!r}")
    return value if value is not None else alias_value


class SeedArgumentNames:
    """The seed's names of an analysis class's inputs, ``data`` and ``partition_labels``.

    The class stores its inputs as ``X`` and ``labels``; these read-only aliases keep code
    written against the seed working.
    """

    X: Any
    labels: Any

    @property
    def data(self) -> Any:
        """``X``, under the seed's name."""
        return self.X

    @property
    def partition_labels(self) -> Any:
        """``labels``, under the seed's name."""
        return self.labels
