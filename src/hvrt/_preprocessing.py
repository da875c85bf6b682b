"""One fitted preprocessing object, run the same way at fit and at labelling time.

It splits columns into numeric and categorical, imputes (optionally), encodes the
categoricals for the tree, and scales the numeric columns for the synthetic target.
The tree sees raw numeric values (trees do not care about scale), so thresholds stay in
the user's units and labelling never needs the scaler.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import math
import numbers
import os
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.base import TransformerMixin
from sklearn.preprocessing import OneHotEncoder, TargetEncoder

if TYPE_CHECKING:
    # imported where categoricals are imputed: ``sklearn.impute`` loads its KNN imputer and
    # with it sklearn.neighbors (0.1-0.2 s), which a numeric fit would pay for nothing
    from sklearn.impute import SimpleImputer

from ._target import (
    CONSTANT_ULPS,
    blend_target,
    column_moments,
    encoder_guide,
    rounding_variance,
    target_part,
    y_alone,
    y_target_part,
    zscore_moments,
    zscore_scale,
    zscored_outputs,
)
from ._validation import (
    check_time_kinds,
    column_labels,
    date_zones,
    has_missing_values,
    holds_python_ints,
    is_categorical_dtype,
    numeric_block,
    squares_are_safe,
    time_kinds,
    varies_beyond_rounding,
    warn_of_rounded_integers,
    warn_once,
)

CATEGORY_ENCODINGS = ("auto", "native", "ohe", "target")
# Native categorical splits (the histogram engine): category bins per column at most. A
# column with more categories keeps its MAX_CATEGORY_BINS - 1 most frequent ones (ties by
# key) and pools the rest into one bin, which every split keeps together.
MAX_CATEGORY_BINS = 255


def resolve_category_encoding(category_encoding: str, engine: str) -> str:
    """The encoding a fit uses: ``"auto"`` is ``"native"`` on the histogram engine and
    ``"ohe"`` on the exact one.

    Raises
    ------
    ValueError
        For an unknown encoding, or ``"native"`` with the exact engine.
    """
    if category_encoding not in CATEGORY_ENCODINGS:
        raise ValueError(f"category_encoding must be one of {CATEGORY_ENCODINGS}, got {category_encoding!r}")
    if category_encoding == "auto":
        return "native" if engine == "hist" else "ohe"
    if category_encoding == "native" and engine != "hist":
        raise ValueError(
            f"category_encoding='native' needs engine='hist' (the {engine} engine has no categorical "
            "splits); use engine='hist', or category_encoding='ohe' or 'target'"
        )
    return category_encoding


class CategoryCodes:
    """The native encoding: each categorical column becomes one tree input of category codes.

    Attributes
    ----------
    categories_ : list of ndarray of object
        Per column, its categories at fit (keys, sorted; NaN last when missing values are a
        category of their own, ``impute=False``), as a one-hot encoder's ``categories_``.
    bins_ : list of ndarray of int64
        Per column, the code (bin) of each of its categories: the kept categories in key
        order, then the pooled bin (see :data:`MAX_CATEGORY_BINS`).
    n_bins_ : ndarray of int64
        Codes per column.

    A value that is none of a column's categories (unseen at fit) encodes as NaN, which
    every native split sends to its larger child.
    """

    def __init__(self, categories: list[np.ndarray], bins: list[np.ndarray]) -> None:
        self.categories_ = categories
        self.bins_ = bins
        self.n_bins_ = np.asarray([int(b.max()) + 1 if len(b) else 0 for b in bins], dtype=np.int64)

    @classmethod
    def fit(cls, keys: list[list[Any]], counts: list[np.ndarray]) -> CategoryCodes:
        """Codes from each column's categories and their row counts (the rarest pooled
        beyond :data:`MAX_CATEGORY_BINS`)."""
        categories, bins = [], []
        for column_keys, column_counts in zip(keys, counts):
            column_keys = np.asarray(column_keys, dtype=object)
            order = sorted(range(len(column_keys)), key=lambda i: _sort_key(column_keys[i]))
            column_keys, column_counts = column_keys[order], np.asarray(column_counts)[order]
            codes = np.arange(len(column_keys), dtype=np.int64)
            if len(column_keys) > MAX_CATEGORY_BINS:
                # most frequent first; ties in key order (a stable sort of the sorted keys)
                by_count = np.argsort(-column_counts, kind="stable")
                kept = np.zeros(len(column_keys), dtype=bool)
                kept[by_count[: MAX_CATEGORY_BINS - 1]] = True
                codes = np.full(len(column_keys), MAX_CATEGORY_BINS - 1, dtype=np.int64)
                codes[kept] = np.arange(MAX_CATEGORY_BINS - 1)
            categories.append(column_keys)
            bins.append(codes)
        return cls(categories, bins)

    def transform(self, keys: np.ndarray) -> np.ndarray:
        """float64 codes of an object array of keys (one column per categorical), NaN where unseen."""
        out = np.empty(keys.shape, dtype=np.float64)
        for j in range(keys.shape[1]):
            out[:, j] = self.codes_of(_positions_in(self.categories_[j], keys[:, j]), j)
        return out

    def codes_of(self, positions: np.ndarray, j: int) -> np.ndarray:
        """float64 codes of column ``j`` from positions in its categories (-1: unseen -> NaN)."""
        table = np.r_[self.bins_[j].astype(np.float64), np.nan]
        return table[positions]

    def pooled(self, j: int) -> np.ndarray:
        """The keys of column ``j`` that share the pooled bin (empty when nothing was pooled)."""
        if len(self.categories_[j]) <= MAX_CATEGORY_BINS:
            return np.empty(0, dtype=object)
        return self.categories_[j][self.bins_[j] == MAX_CATEGORY_BINS - 1]


def _sort_key(key: Any) -> tuple[int, str]:
    # keys are strings; NaN (a missing value as a category) sorts last
    return (1, "") if isinstance(key, float) and np.isnan(key) else (0, key)


def resolve_categorical(frame: pd.DataFrame, categorical_features: Sequence[Any] | None) -> list[str]:
    """Names of the categorical columns: by dtype, or as listed by name or position.

    An object column of Python ints alone (beyond the 64-bit range: pandas keeps them as
    objects) is numeric unless listed, as the same column within uint64 is (X27 warns of
    its rounding); listed, its ints are matched exactly as categories.

    A listed item is a column's name when it equals one of X's own column labels (ints,
    tuples of a MultiIndex; as pandas' ``X[item]`` reads it) or, for a string, a column's
    name as a string (``"0"`` for the column ``0``); otherwise an int is a position. An int
    that names one column and is the position of another is refused as ambiguous.
    """
    if categorical_features is None:
        found = [c for c, d in frame.dtypes.items() if is_categorical_dtype(d) and not holds_python_ints(frame[c])]
        _warn_of_python_dates(frame, found)
        _warn_of_stray_text(frame, found)
        return found
    if isinstance(categorical_features, str) or not isinstance(categorical_features, Sequence | np.ndarray):
        raise TypeError(
            "categorical_features must be None or a list of column names or positions, "
            f"got {categorical_features!r}"
        )
    by_label: dict[Any, str] = {}
    for label, name in zip(column_labels(frame), frame.columns):
        if not isinstance(label, str):
            by_label.setdefault(label, name)
    names = []
    for item in categorical_features:
        is_position = isinstance(item, (int, np.integer)) and not isinstance(item, bool)
        try:
            named = None if isinstance(item, str) else by_label.get(item)
        except TypeError:  # an unhashable item (a list): no column's label
            named = None
        if named is not None:
            if is_position and 0 <= item < frame.shape[1] and frame.columns[item] != named:
                raise ValueError(
                    f"categorical_features item {item!r} is ambiguous: X has a column named {item!r}, and "
                    f"position {item} is column {frame.columns[item]!r}; list these columns by their names as "
                    f"strings ({named!r} for the column named {item!r}, {frame.columns[item]!r} for the one at "
                    f"position {item})"
                )
            names.append(named)
        elif is_position:
            if not 0 <= item < frame.shape[1]:
                raise ValueError(
                    f"categorical_features position {item} is out of range for {frame.shape[1]} columns"
                )
            names.append(frame.columns[item])
        elif isinstance(item, str) and item in frame.columns:
            names.append(item)
        else:
            raise ValueError(f"categorical_features names column {item!r}, which X does not have")
    listed = set(names)
    unlisted_text = [
        c
        for c, d in frame.dtypes.items()
        if c not in listed
        and is_categorical_dtype(d)
        and not pd.api.types.is_bool_dtype(d)
        and not holds_python_ints(frame[c])
    ]
    if unlisted_text:
        raise ValueError(
            f"column(s) {unlisted_text} are not numeric; list them in categorical_features too"
        )
    return [c for c in frame.columns if c in listed]


# A column found categorical by its dtype whose values are numbers (or numbers written as
# text) but for at most this share of them (or a single one) is warned of: most likely a typo
# or a marker ("unknown") that made a numeric column a categorical of every distinct number.
STRAY_TEXT_SHARE = 0.01


def _warn_of_stray_text(frame: pd.DataFrame, categorical: Sequence[str]) -> None:
    """Warn when a column found categorical by its dtype (object or string, not a pandas
    categorical) holds numbers but for a few values that are not (see :data:`STRAY_TEXT_SHARE`),
    naming the column, how many there are and the first few. Listed columns are the user's
    choice: no warning."""
    for column in categorical:
        values = frame[column]
        if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
            continue
        # the first values decide whether the whole column is worth a look: mostly numbers
        if not mostly_numbers(values.iloc[:64]):
            continue
        try:
            codes, distinct = pd.factorize(values, use_na_sentinel=True)
        except TypeError:  # unhashable cells: refused with their own error later
            continue
        distinct = pd.Series(np.asarray(distinct, dtype=object))
        warn_of_stray_values(column, distinct, np.bincount(codes[codes >= 0], minlength=len(distinct)), stacklevel=5)


def mostly_numbers(head: pd.Series) -> bool:
    """Whether a column's first values (``head``, missing ones aside) are mostly numbers:
    the gate of :func:`_warn_of_stray_text`."""
    head = head.dropna()
    return len(head) > 0 and pd.to_numeric(head, errors="coerce").notna().sum() * 2 >= len(head)


def warn_of_stray_values(column: str, distinct: pd.Series, counts: np.ndarray, stacklevel: int = 4) -> None:
    """:func:`_warn_of_stray_text`'s warning from a column's distinct values (an object
    Series) and their counts: the whole column's, or (``hvrt.dask``) its chunks' merged."""
    # pd.to_numeric reads bools and bytes (b"1.5") as numbers; hvrt does not (bytes in a
    # numeric column are refused at labelling, L10), so they are stray values too
    is_number = pd.to_numeric(distinct, errors="coerce").notna().to_numpy() & ~distinct.map(
        lambda value: isinstance(value, (bool, np.bool_, bytes))  # (np.bytes_ is a bytes)
    ).to_numpy(dtype=bool)  # (over the distinct values only)
    stray, present = int(counts[~is_number].sum()), int(counts.sum())
    if stray == 0 or stray > max(1, STRAY_TEXT_SHARE * present):
        return
    first = [distinct[i] for i in np.flatnonzero(~is_number)[:5]]
    listed = ", ".join(repr(value) for value in first) + (", ..." if (~is_number).sum() > len(first) else "")
    warnings.warn(
        f"column {column!r} holds numbers but for {stray:,} of its {present:,} values, which are not numbers "
        f"({listed}), so it is taken as unordered categories, one per distinct value ({len(distinct):,}); "
        f"replace those values with NaN to split it as ordered numbers (pd.to_numeric(X[{column!r}].map(str), "
        "errors='coerce')), or list it in categorical_features to keep it categorical without this warning",
        UserWarning,
        stacklevel=stacklevel,
    )


def _warn_of_python_dates(frame: pd.DataFrame, categorical: Sequence[str]) -> None:
    """Warn when a column found categorical by its dtype holds only ``datetime.date`` values
    (``Series.dt.date``): an unordered category per day, where a datetime64, Arrow or polars
    date column would be an ordered feature. Listed columns are the user's choice: no warning."""
    dates = [
        c for c in categorical
        if frame[c].dtype == object
        # the first values decide whether the whole column is worth a scan
        and pd.api.types.infer_dtype(frame[c].iloc[:64], skipna=True) in ("date", "empty")
        and pd.api.types.infer_dtype(frame[c], skipna=True) == "date"
    ]  # fmt: skip
    warn_of_python_dates(dates, stacklevel=5)


def warn_of_python_dates(dates: list[str], stacklevel: int = 4) -> None:
    """:func:`_warn_of_python_dates`'s warning for the columns ``dates`` (if any)."""
    if dates:
        warnings.warn(
            f"column(s) {dates} hold Python dates (datetime.date) and are taken as unordered categories, "
            "one per distinct day; convert them with pd.to_datetime(X[column]) to split them as ordered "
            "dates, or list them in categorical_features to keep them categorical without this warning",
            UserWarning,
            stacklevel=stacklevel,
        )


def _number_key(value: Any) -> str:
    """One string per numeric value, whatever its type: ``1``, ``1.0``, ``np.int8(1)`` and
    ``True`` are all ``"1"``, so a column whose dtype drifts (ints that became floats
    through one NaN, bools read back as 0/1) keeps its categories.

    Two numbers share a key exactly when they are equal, as Python compares them: an int
    (Python's, numpy's, a bool) is keyed by its own digits, never through a float, so
    64-bit IDs beyond 2**53 stay apart; a float by its value (``2.0**60`` is the int
    ``2**60``). Other numbers (``Decimal``, ``Fraction``) are keyed by their float64 value,
    as a column of them is read (and compared in the rules). Keys of models fitted before
    are unchanged for every value a float64 holds exactly (beyond 2**63 a float's key is
    its ``repr``, and an int's too when a float64 holds it); their other ints' keys are
    renamed when they are loaded (:func:`_rekey_float_keyed_ints`).
    """
    if isinstance(value, (numbers.Integral, np.bool_)):
        whole = int(value)
        if -(2**63) < whole < 2**63:
            return str(whole)
        number = float(whole) if abs(whole) < 2**1024 else math.inf  # (float() overflows there)
        return repr(number) if number == whole else str(whole)
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 2**63 else repr(number)


# A float categorical's whole values from here on may be ints that were rounded (an int64
# column made float64 by a missing value): float64 cannot hold every integer beyond 2**53.
_EXACT_FLOAT_INTEGERS = 2**53


def _is_rounded_integer(number: float) -> bool:
    """Whether a float is whole and beyond 2**53 (see :data:`_EXACT_FLOAT_INTEGERS`)."""
    return math.isfinite(number) and number.is_integer() and abs(number) >= _EXACT_FLOAT_INTEGERS


# True where the caller warns of whole floats beyond 2**53 itself (hvrt.dask, once for all
# its chunks); a context variable, so each thread (a Dask worker's) has its own
_ROUNDING_WARNED_ELSEWHERE: contextvars.ContextVar[bool] = contextvars.ContextVar("hvrt_rounding_warned", default=False)


@contextlib.contextmanager
def rounding_warned_elsewhere() -> Iterator[None]:
    """No :func:`_warn_of_rounded_integers` in this block (in this thread): the caller warns."""
    token = _ROUNDING_WARNED_ELSEWHERE.set(True)
    try:
        yield
    finally:
        _ROUNDING_WARNED_ELSEWHERE.reset(token)


def _warn_of_rounded_integers(column: str, value: Any) -> None:
    """Warn that a categorical column holds a whole float beyond 2**53: if the column held
    integer IDs that became floats (pandas does so for an int column with a missing value,
    or an object column of ints and None), some were rounded and match other IDs."""
    if _ROUNDING_WARNED_ELSEWHERE.get():
        return
    warn_once(  # (once for all the chunks of a Dask labelling: warnings_given_once)
        f"categorical column {column!r} holds whole numbers as floats beyond 2**53 ({value!r}), where "
        "float64 cannot hold every integer: if they are integer IDs made floats (pandas does so for an "
        "int column with a missing value), some were rounded to other IDs and take those IDs' partitions; "
        f"keep them as integers (X[{column!r}].astype('Int64')) or as text",
        UserWarning,
        _outside_hvrt(),
    )


def _outside_hvrt() -> int:
    """The ``stacklevel`` of the first caller outside the hvrt package (fit and labelling
    reach the preprocessing through a varying number of its own frames)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1  # the caller of warnings.warn
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    return level


def _value_kind(value: Any) -> str:
    """``"numbers"``, ``"bytes"`` or ``"text"``: what kind of category one value is (dates and
    other objects key by their text, so they count as text)."""
    if isinstance(value, (numbers.Number, np.bool_)) and not isinstance(value, str):
        return "numbers"
    return "bytes" if isinstance(value, bytes) else "text"


def _category_kind(values: pd.Series) -> str:
    """``"numbers"``, ``"text"``, ``"bytes"`` or ``"mixed"``: what kind of values a categorical
    column holds.

    Bytes are their own kind: a category is keyed by ``str(value)``, and ``str(b"x")`` is
    ``"b'x'"``, not ``"x"``, so a column that swaps text for bytes (or the reverse) between
    fit and labelling would silently match no category.
    """
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return "numbers"
    if _is_text_categorical(values):
        return "text"  # every category a string (what the values' scan below would find)
    if values.dtype.kind == "S":  # a numpy bytes dtype
        return "bytes"
    # a pandas categorical's categories, else the values (no pass over the rows for the first)
    present = pd.Series(values.cat.categories) if isinstance(values.dtype, pd.CategoricalDtype) else values.dropna()
    try:
        distinct = pd.unique(present.to_numpy(dtype=object))  # a few values, not every row
    except TypeError as err:
        raise _unhashable(str(values.name), err) from None
    kinds = {_value_kind(v) for v in distinct}
    if not kinds:
        return "text"
    return kinds.pop() if len(kinds) == 1 else "mixed"


def fitted_category_kind(kind: str, first_values: Mapping[str, Any] | None) -> str:
    """A column's kind at fit, as :func:`_category_kind` reads it now.

    Models fitted before bytes were a kind of their own (pickles, model files) recorded a
    column of bytes as ``"text"``; its categories' values (``category_values``) tell.
    """
    if kind != "text" or not first_values:
        return kind
    kinds = {_value_kind(v) for v in first_values.values()}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _unhashable(column: str, err: TypeError) -> TypeError:
    """The error for a categorical column of unhashable cells (lists, dicts: JSON read into pandas)."""
    return TypeError(
        f"categorical column {column!r} holds values that cannot be categories ({err}); each cell must be "
        "one value such as a string or a number: expand lists and dicts into columns, or make them text "
        "with X[column].astype(str)"
    )


def _positions_in(categories: Sequence[Any], keys: np.ndarray) -> np.ndarray:
    """Each key's index in ``categories`` (-1: not among them; NaN matches a NaN category).

    Both sides as object indexes: given a plain array of strings, pandas first infers it a
    string dtype and then compares across dtypes, 6x slower for a few keys (0.3 ms a column).
    A few keys among a few text categories (the distinct keys of a column, at every fit
    and labelling) are looked up in a dict instead: pandas' two indexes and hash table
    cost 0.25 ms a column there. No value but a string equals a string, so the dict's
    answers are pandas' (a NaN key included: it matches no text category).
    """
    if len(keys) <= _DICT_LOOKUP_MAX and len(categories) <= _DICT_LOOKUP_MAX:
        position = {category: i for i, category in enumerate(categories) if isinstance(category, str)}
        if len(position) == len(categories):  # text and unique (else pandas, which refuses duplicates)
            try:
                return np.fromiter((position.get(key, -1) for key in keys), dtype=np.intp, count=len(keys))
            except TypeError:  # an unhashable key: pandas' answer
                pass
    return pd.Index(categories, dtype=object).get_indexer(pd.Index(keys, dtype=object))


# Keys and categories up to this many are matched by :func:`_positions_in`'s dict.
_DICT_LOOKUP_MAX = 1024


def _column_keys(values: pd.Series, column: str) -> np.ndarray:
    """A categorical column as an object array of category keys (strings), NaN where missing.

    Numbers become :func:`_number_key` strings and everything else ``str(value)``; only the
    distinct values are converted, not every row.

    Raises
    ------
    ValueError
        If a number and a string of the column give the same key (``1`` and ``"1"``): they
        would silently become one category.
    """
    codes, keys = _column_codes(values, column)
    return keys[codes]


def _is_text_categorical(values: pd.Series) -> bool:
    """Whether ``values`` is a pandas categorical of text, whose own codes :func:`_column_codes` uses."""
    return isinstance(values.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(values.cat.categories)


def _column_codes(values: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_column_keys` as codes into its distinct keys: ``keys[codes]`` are the row keys.

    ``keys`` ends with NaN, the key of every missing row (code -1). ``keys`` may hold
    categories no row has (a pandas categorical's unused categories).
    """
    if _is_text_categorical(values):
        # a categorical of text: its own codes already are codes into distinct keys (no
        # factorising pass over the rows)
        # (iterating the Index itself is slower: pyarrow-backed strings come out one by one;
        # pandas' own string dtype holds Python strings already)
        categories = values.dtype.categories
        as_objects = categories.to_numpy(dtype=object)
        keys = np.empty(len(categories) + 1, dtype=object)
        keys[:-1] = as_objects if isinstance(categories.dtype, pd.StringDtype) else [str(c) for c in as_objects]
        keys[-1] = np.nan
        # the Categorical's own codes (``values.cat.codes`` wraps them in a new Series first)
        return np.asarray(values.array.codes), keys
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError as err:
        raise _unhashable(column, err) from None
    keys = np.empty(len(uniques) + 1, dtype=object)  # the last slot, for code -1, is NaN
    keys[-1] = np.nan
    numeric = _numeric_keys(uniques)
    if numeric is not None:  # one numeric dtype: distinct values are distinct keys
        keys[:-1], rounded = numeric
        if rounded is not None:
            _warn_of_rounded_integers(column, rounded)
        return codes, keys
    uniques = np.asarray(uniques, dtype=object)
    seen: dict[str, Any] = {}
    rounded = None  # a whole float beyond 2**53, warned of
    for position, value in enumerate(uniques):  # distinct values only
        is_number = isinstance(value, (numbers.Number, np.bool_)) and not isinstance(value, str)
        if is_number:
            if isinstance(value, (complex, np.complexfloating)):
                raise _complex_category(column, value)
            key = _number_key(value)
            if rounded is None and isinstance(value, (float, np.floating)) and _is_rounded_integer(float(value)):
                rounded = value
        else:
            key = str(value)
        if key in seen:
            raise _one_key(column, seen[key], value)
        seen[key] = value
        keys[position] = key
    if rounded is not None:
        _warn_of_rounded_integers(column, rounded)
    return codes, keys


def _numeric_keys(uniques: Any) -> tuple[np.ndarray, Any] | None:
    """:func:`_number_key` of the distinct values of a column of one real numeric (or bool)
    dtype, at once (a Python loop over 200,000 distinct IDs cost 0.2-0.3 s), and one of
    them that :func:`_warn_of_rounded_integers` warns of (or None); None for other columns."""
    dtype = getattr(uniques, "dtype", None)
    if dtype is None or not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
        return None
    if not isinstance(uniques, np.ndarray):  # an Index; nullable and pyarrow numbers (NA left out)
        try:
            uniques = uniques.to_numpy()
        except (TypeError, ValueError):
            return None
    if not isinstance(uniques, np.ndarray) or uniques.dtype.kind not in "biuf":
        return None
    values = uniques.astype(np.int8) if uniques.dtype.kind == "b" else uniques
    keys = np.empty(len(values), dtype=object)
    if values.dtype.kind in "iu":
        if len(values) and (values.max() >= 2**63 - 1 or values.min() <= -(2**63) + 1):
            keys[:] = [_number_key(v) for v in values.tolist()]  # beyond int64: see _number_key
        else:
            keys[:] = list(map(str, values.tolist()))
        return keys, None
    values = values.astype(np.float64, copy=False)  # (float32's keys are its float64 values')
    whole = np.floor(values) == values
    small = whole & (np.abs(values) < 2**63)
    keys[small] = list(map(str, values[small].astype(np.int64).tolist()))
    keys[~small] = list(map(repr, values[~small].tolist()))
    rounded = np.flatnonzero(whole & np.isfinite(values) & (np.abs(values) >= _EXACT_FLOAT_INTEGERS))
    return keys, (float(values[rounded[0]]) if len(rounded) else None)


def _complex_category(column: str, value: Any) -> ValueError:
    """The error for a complex number in a categorical column: complex input is refused
    everywhere (unlisted, the same column is refused as numeric data)."""
    return ValueError(
        f"Complex data not supported: categorical column {column!r} holds {value!r}; split it into "
        f"real columns (its .real and .imag) or make it text (X[{column!r}].astype(str))"
    )


def _one_key(column: str, first: Any, value: Any) -> ValueError:
    """The error for two distinct values of a categorical column that would be one category."""
    numbers_only = all(isinstance(v, (numbers.Number, np.bool_)) and not isinstance(v, str) for v in (first, value))
    if numbers_only:
        # an int and a float are one only if equal (and pandas then factorizes them as one):
        # these are Decimals or Fractions apart by less than float64's precision
        return ValueError(
            f"categorical column {column!r} holds both {first!r} and {value!r}, which would be one "
            "category: numbers that are not ints are matched by their float64 value (about 17 "
            f"significant digits); round them to fewer digits, or make the column text (X[{column!r}].astype(str))"
        )
    return ValueError(
        f"categorical column {column!r} holds both {first!r} and {value!r}, which would be "
        "one category; make the column one type (e.g. X[col].astype(str))"
    )


def _category_strings(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Categorical columns as an object array of category keys, NaN where missing."""
    if not columns:
        return np.empty((len(frame), 0), dtype=object)
    return np.column_stack([_column_keys(frame[c], c) for c in columns])


# int8 codes of at least this many rows are counted in pairs (see :func:`_code_counts`):
# below it, the 65,536 pair counts cost more than they save.
_PAIR_COUNT_MIN_ROWS = 65_536


def _code_counts(codes: np.ndarray, n_keys: int) -> np.ndarray:
    """Rows per code ``-1 .. n_keys - 2`` (``n_keys`` slots, the first for -1: missing).

    A pandas categorical's int8 / int16 codes are counted as their unsigned view (-1 the
    largest value): one temporary array of the rows less than shifting them by one. int8
    codes (up to 127 categories) are counted two at a time, each pair of bytes as one
    uint16, then the 256 x 256 pair counts summed both ways: half the values to cast to
    ``intp`` and to count, 1.4x faster (flights' dest, 336,776 rows: 0.66 -> 0.47 ms).
    """
    if codes.dtype == np.int8 and codes.flags.c_contiguous and len(codes) >= _PAIR_COUNT_MIN_ROWS and n_keys <= 256:
        unsigned = codes.view(np.uint8)
        half = len(unsigned) // 2
        pairs = np.bincount(unsigned[: 2 * half].view(np.uint16), minlength=1 << 16).reshape(256, 256)
        by_byte = pairs.sum(axis=0) + pairs.sum(axis=1)  # (either byte order: both ways summed)
        if len(unsigned) % 2:
            by_byte[unsigned[-1]] += 1
        counts = np.zeros(n_keys, dtype=np.intp)
        counts[1:] = by_byte[: n_keys - 1]
        counts[0] = by_byte[255]  # code -1
        return counts
    if codes.dtype in (np.int8, np.int16):
        unsigned = np.bincount(codes.view(np.uint8 if codes.dtype == np.int8 else np.uint16))
        counts = np.zeros(n_keys, dtype=np.intp)
        counts[1 : 1 + min(len(unsigned), n_keys - 1)] = unsigned[: n_keys - 1]
        if len(unsigned) == np.iinfo(codes.dtype).max * 2 + 2:  # some code is -1
            counts[0] = unsigned[-1]
        return counts
    return np.bincount(codes.astype(np.intp) + 1, minlength=n_keys)


def _key_counts(
    values: pd.Series, column: str, codes_out: list[tuple[np.ndarray, np.ndarray]] | None = None
) -> tuple[list[str], np.ndarray, bool, np.ndarray]:
    """A categorical column's distinct keys (as :func:`_column_keys`), their row counts,
    whether any row is missing, and the positions of those keys among all the column's
    keys (for a pandas categorical of text, the positions of its categories that rows hold).
    ``codes_out``: where to append the column's :func:`_column_codes` (for the encoding)."""
    codes, keys = _column_codes(values, column)
    if codes_out is not None:
        codes_out.append((codes, keys))
    counts = _code_counts(codes, len(keys))  # slot 0: missing rows
    present = np.flatnonzero(counts[1:])
    return [keys[i] for i in present], counts[1:][present], bool(counts[0] > 0), present


def category_count(values: pd.Series, column: str) -> int:
    """How many categories a categorical column holds, as the preprocessing keys them
    (:func:`_column_keys`: ``1``, ``1.0`` and ``True`` are one, missing values none, a
    pandas categorical's unused categories none): what one-hot encoding makes of it.

    Raises
    ------
    ValueError
        For a number and its string (``1`` and ``"1"``), which the preprocessing refuses.
    TypeError
        For cells that cannot be categories (lists, dicts), naming the column.
    """
    return len(_key_counts(values, column)[0])


def most_frequent(keys: Sequence[Any], counts: np.ndarray) -> Any:
    """scikit-learn's most frequent value: the smallest among the most frequent."""
    top = counts.max()
    return min(key for key, count in zip(keys, counts) if count == top)


def fit_imputer(modes: list[Any]) -> SimpleImputer:
    """A most-frequent imputer whose statistics are ``modes`` (fitted on them, twice over)."""
    from sklearn.impute import SimpleImputer

    with config_context(skip_parameter_validation=True):  # constant, valid parameters
        return SimpleImputer(strategy="most_frequent").fit(np.array([modes, modes], dtype=object))


def fit_one_hot(categories: list[list[Any]]) -> OneHotEncoder:
    """A one-hot encoder whose ``categories_`` are the given (sorted) lists.

    Unseen categories encode as all zeros: they follow every "not this category" branch.
    """
    length = max(len(c) for c in categories)
    columns = [list(c) + [c[0]] * (length - len(c)) for c in categories]
    table = np.empty((length, len(columns)), dtype=object)
    for j, column in enumerate(columns):
        table[:, j] = column
    # the parameters are constants known valid: their validation is a third of the fit's time
    with config_context(skip_parameter_validation=True):
        return OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64).fit(table)


def _is_missing(value: Any) -> bool:
    """Whether one value is missing (None, NaN, NaT, pd.NA), as ``Series.dropna`` sees it."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a value pandas reads as an array (a tuple, say)
        return False


def _first_values(values: pd.Series, present: np.ndarray | None = None) -> dict[str, Any]:
    """Each category key of a column and its first original value (what a readable rule
    writes for the category), in the order a reader expects: a pandas categorical's own
    order of categories (``I1 < SI2 < ... < IF``), else by key. Keys as in :func:`_column_keys`.

    ``present``, for a pandas categorical of text: the positions of the categories that
    rows hold (:func:`_key_counts`), which spares a pass over the rows.
    """
    if present is not None and _is_text_categorical(values):
        # each category is its own key (str) and value; present positions are in category order
        categories = values.cat.categories.to_numpy(dtype=object)  # (indexing the Index is slow)
        return {str(categories[i]): categories[i] for i in present}
    first_values: dict[str, Any] = {}
    # Distinct values first (in order of appearance), then to objects: converting every row
    # to a Python object first costs more than the rest of the preprocessing of a column.
    for value in np.asarray(values.unique(), dtype=object):
        if _is_missing(value):
            continue  # a missing value is no category
        is_number = isinstance(value, (numbers.Number, np.bool_)) and not isinstance(value, str)
        first_values.setdefault(_number_key(value) if is_number else str(value), value)
    if isinstance(values.dtype, pd.CategoricalDtype):
        position = {value: i for i, value in enumerate(values.dtype.categories)}
        return dict(sorted(first_values.items(), key=lambda item: position.get(item[1], len(position))))
    return dict(sorted(first_values.items()))


def _check_category_kinds(frame: pd.DataFrame, columns: list[str], fitted: list[str]) -> None:
    """Refuse a categorical column whose values changed kind (numbers, text, bytes) since fit."""
    for column, kind in zip(columns, fitted):
        now = _category_kind(frame[column])
        if now != kind and "mixed" not in (now, kind) and frame[column].notna().any():
            advice = " (convert it back to the type it had at fit)"
            if {now, kind} == {"text", "bytes"}:
                convert = "decode" if now == "bytes" else "encode"
                advice = (
                    f": text and bytes are different categories ('x' is not b'x'); {convert} it to the {kind} "
                    f"it held at fit (X[{column!r}].str.{convert}('utf-8'))"
                )
            raise ValueError(
                f"categorical column {column!r} held {kind} at fit but holds {now} now; its categories "
                f"cannot be matched{advice}"
            )


def resolve_weights(weights: Mapping[str, float] | None, numeric_columns: list[str], categorical_columns: list[str]) -> np.ndarray:
    """Per-numeric-column weights, scaled by a power of two (largest magnitude in [1, 2));
    unknown keys and non-finite values are errors.

    Keys are matched as column names are (see :func:`~hvrt._validation.to_frame`): by their
    string form, so ``0`` names the column ``0`` of a frame and ``("g", "a")`` a column of
    a MultiIndex. Two keys with the same string form (``0`` and ``"0"``) are refused.
    """
    resolved = np.ones(len(numeric_columns))
    if weights is None:
        return resolved
    if not isinstance(weights, Mapping):
        raise TypeError(f"weights must be a dict of column name -> float, got {type(weights).__name__}")
    position = {name: i for i, name in enumerate(numeric_columns)}
    categorical = set(categorical_columns)
    given: dict[str, Any] = {}
    for key, value in weights.items():
        name = key if isinstance(key, str) else str(key)
        if name in given:
            raise ValueError(
                f"weights keys {given[name]!r} and {key!r} both name column {name!r} (column names are "
                "compared as strings); give one of them"
            )
        given[name] = key
        if name in categorical:
            raise ValueError(
                f"weights key {key!r} is a categorical column; only numeric columns enter the target"
            )
        if name not in position:
            raise ValueError(
                f"weights key {key!r} is not a numeric column of X (numeric columns: {numeric_columns})"
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"weights[{key!r}] must be a finite float, got {value!r}") from None
        if not np.isfinite(number):
            raise ValueError(f"weights[{key!r}] must be a finite float, got {value!r}")
        resolved[position[name]] = number
    # Only the weights' ratios shape the target (the y blend scales y to the features'
    # variance): scaled by the power of two that brings the largest magnitude into [1, 2),
    # exactly, so weights of 1e-10 on every column (partitions unrelated to the target, R²
    # 0) or 1e200 (the exact engine failed inside scikit-learn, the histogram engine grew
    # one partition) give the partitions of weights of 1. Weights of at most 1 in
    # magnitude with one of 1 are unchanged.
    largest = float(np.abs(resolved).max())
    if largest > 0.0:
        resolved = np.ldexp(resolved, -(np.frexp(largest)[1] - 1))
    return resolved


def missing_fill(values: np.ndarray) -> np.ndarray:
    """Column means of the values present (none all missing), to the values' resolution.

    ``np.nanmean`` adds a C-ordered array row after row, which leaves the mean of a
    million values about 1e-12 off: filled in, it would give a constant column with gaps
    two values, a spread far beyond the rounding that :func:`~hvrt._target.zscore_scale`
    takes for constant. The mean of the deviations from it (computed where there is any
    missing value) takes that rounding out.
    """
    mean = np.nanmean(values, axis=0)
    gaps = np.flatnonzero(np.isnan(values).any(axis=0))
    if len(gaps) == 0:
        return mean
    present = np.zeros(len(gaps))
    total = np.zeros(len(gaps))
    for start in range(0, len(values), _FILL_CHUNK_ROWS):
        deviation = values[start : start + _FILL_CHUNK_ROWS, gaps] - mean[gaps]
        present += np.count_nonzero(~np.isnan(deviation), axis=0)
        total += np.nansum(deviation, axis=0)
    mean[gaps] += total / present
    return mean


_FILL_CHUNK_ROWS = 65_536  # rows per chunk of missing_fill: its temporaries stay small


def _check_no_empty_columns(values: np.ndarray, columns: list[str], name: str) -> None:
    empty = np.isnan(values).all(axis=0) if values.dtype.kind == "f" else pd.isna(values).all(axis=0)
    if np.any(empty):
        raise ValueError(f"{name} column(s) {[columns[i] for i in np.flatnonzero(empty)]} have no values (all missing)")


@dataclass
class Preprocessor:
    """Fitted column split, imputation and categorical encoding for the tree inputs."""

    numeric_columns: list[str]
    categorical_columns: list[str]
    numeric_fill: np.ndarray | None  # training means, when imputing
    category_imputer: SimpleImputer | None
    encoder: OneHotEncoder | TargetEncoder | CategoryCodes | None
    category_kinds: list[str] | None = None  # "numbers" / "text" / "mixed" per categorical column
    # per categorical column, each category key's first original value at fit (for rules)
    category_values: list[dict[str, Any]] | None = None
    columns_with_missing: list[str] | None = None  # columns that had missing values at fit
    # numeric columns that held dates or durations at fit (None: a model file from before
    # this was recorded, so nothing to check against)
    time_kinds: dict[str, str] | None = None
    # date columns' time zones at fit (None: naive; the mapping is None in older model files)
    date_zones: dict[str, str | None] | None = None
    # how int categories are keyed: "exact", by their digits (:func:`_number_key`). Pickles
    # and model files from before lack it: their ints were keyed through float64, and
    # :meth:`__setstate__` re-keys them.
    int_keys: str = "exact"

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled (or model-file) preprocessor, made current.

        One from before bytes were a kind of their own recorded a column of bytes as text,
        which its categories correct. One from before ints were keyed by their digits keyed
        them through float64 (``2**60 + 1`` was ``"1152921504606846976"``): its categories
        are re-keyed (see :func:`_rekey_float_keyed_ints`), so that it labels every value
        it was fitted on as it did.
        """
        self.__dict__.update(state)
        if self.category_kinds is not None and self.category_values is not None:
            self.category_kinds = [
                fitted_category_kind(kind, values) for kind, values in zip(self.category_kinds, self.category_values)
            ]
        if "int_keys" not in state:
            _rekey_float_keyed_ints(self)
            self.int_keys = "exact"

    def raw_categoricals(self) -> list[str]:
        """The categorical columns keyed on their values as they are, for ``to_frame(raw=...)``:
        all but those whose categories were numbers. A column of dates and text at fit is
        read as objects (its keys ``2024-01-01 00:00:00``, ``"n/a"``), and a batch of its
        dates alone must be read so too, not as nanoseconds; a listed column of dates only
        is keyed on its nanoseconds, as every batch reads them."""
        kinds = self.category_kinds or ["numbers"] * len(self.categorical_columns)
        return [c for c, kind in zip(self.categorical_columns, kinds) if kind != "numbers"]

    def input_names(self) -> list[str]:
        """Names of the tree inputs: the numeric columns, then the encoded categoricals."""
        if self.encoder is None:
            return list(self.numeric_columns)
        if isinstance(self.encoder, OneHotEncoder):
            encoded = self.encoder.get_feature_names_out(self.categorical_columns)
        else:  # target encoding or native codes: one column per categorical
            encoded = self.categorical_columns
        return [*self.numeric_columns, *map(str, encoded)]

    def encoded_widths(self) -> list[int]:
        """Tree inputs per categorical column (its categories for one-hot, else 1)."""
        if isinstance(self.encoder, OneHotEncoder):
            return [len(categories) for categories in self.encoder.categories_]
        return [1] * len(self.categorical_columns)

    @property
    def native(self) -> bool:
        """Whether the categoricals reach the tree as codes for native splits."""
        return isinstance(self.encoder, CategoryCodes)

    def category_bins(self) -> np.ndarray | None:
        """Per tree input, its number of category codes for a native categorical (0 for the
        others), or None when the encoding is not native."""
        if not self.native:
            return None
        return np.r_[np.zeros(len(self.numeric_columns), dtype=np.int64), self.encoder.n_bins_]

    def category_probes(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """How each categorical column's values reach the tree.

        Returns
        -------
        list of (keys, encoded), one per categorical column
            ``keys``: the column's categories at fit (keys, missing excluded).
            ``encoded``: float64 of shape (len(keys) + 2, width), the column's tree inputs
            for each category, then for a missing value, then for a category unseen at
            fit; imputation and the encoder's handling of unknowns included.
        """
        if self.encoder is None:
            return []
        key_lists = []
        for categories in self.encoder.categories_:
            keys = np.asarray([k for k in categories if not (isinstance(k, float) and np.isnan(k))], dtype=object)
            key_lists.append(keys)
        n_probes = max(len(keys) for keys in key_lists) + 2
        probes = np.empty((n_probes, len(key_lists)), dtype=object)
        for j, keys in enumerate(key_lists):
            unseen = "\x00unseen"
            while unseen in set(keys):
                unseen += "\x00"
            filler = keys[0] if len(keys) else unseen
            probes[:, j] = [*keys, np.nan, unseen, *[filler] * (n_probes - len(keys) - 2)]
        if self.category_imputer is not None:
            probes = self.category_imputer.transform(probes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown categories are the point of the probe
            encoded = np.asarray(self.encoder.transform(probes), dtype=np.float64)
        offsets = np.cumsum([0, *self.encoded_widths()])
        return [
            (keys, encoded[: len(keys) + 2, offsets[j] : offsets[j + 1]])
            for j, keys in enumerate(key_lists)
        ]

    def tree_inputs(self, frame: pd.DataFrame, check: bool = True) -> np.ndarray:
        """The float64 tree inputs of ``frame``: numeric columns, then encoded categoricals.

        ``check=False``: the numeric values are not looked at for infinities and huge
        magnitudes unless the imputation needs to (their missing values filled); the caller
        checks the tree inputs in a pass it makes anyway (the engine's traversal, see
        ``FittedTree.apply``'s ``limit``) and calls :meth:`check_numeric` when it finds one.
        """
        if self.time_kinds is not None:
            check_time_kinds(frame, self.time_kinds, self.numeric_columns, zones=self.date_zones)
        if not check and self.numeric_fill is None:
            numeric, has_missing = numeric_block(frame, self.numeric_columns, check=False, when="label")
        else:
            numeric, has_missing = numeric_block(frame, self.numeric_columns, refuse_tiny=False, when="label")
        if has_missing and self.numeric_fill is not None:
            numeric = np.where(np.isnan(numeric), self.numeric_fill, numeric)
        return self.append_categories(numeric, frame)

    def check_numeric(self, frame: pd.DataFrame) -> None:
        """Refuse the numeric values of ``frame`` that :meth:`tree_inputs` refuses
        (infinities, magnitudes beyond ``MAX_MAGNITUDE``), naming their columns.

        Raises
        ------
        ValueError
            As :meth:`tree_inputs`.
        """
        numeric_block(frame, self.numeric_columns, refuse_tiny=False, when="label")

    def append_categories(
        self,
        numeric: np.ndarray,
        frame: pd.DataFrame,
        check_kinds: bool = True,
        column_codes: list[tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> np.ndarray:
        """``numeric`` followed by the encoded categorical columns of ``frame``.

        ``column_codes``: :func:`_column_codes` of each categorical column of ``frame``,
        when the caller made them already (the fit, counting categories).

        Raises
        ------
        ValueError
            When one-hot columns would not fit in memory (see :func:`_check_one_hot_fits`).
        """
        if self.encoder is None:
            return numeric
        one_hot = isinstance(self.encoder, OneHotEncoder)
        native = isinstance(self.encoder, CategoryCodes)
        if one_hot:
            _check_one_hot_fits(self.encoder, self.categorical_columns, len(frame), numeric.shape[1])
        if check_kinds and self.category_kinds is not None:
            _check_category_kinds(frame, self.categorical_columns, self.category_kinds)
        if native:
            return self._append_codes(numeric, frame)
        widths = [len(c) if one_hot else 1 for c in self.encoder.categories_]
        # one-hot leaves zeros; the other encodings write every column
        inputs = (np.zeros if one_hot else np.empty)((len(frame), numeric.shape[1] + sum(widths)))
        inputs[:, : numeric.shape[1]] = numeric
        offset = numeric.shape[1]
        # each row's first element in the flat (row-major) inputs: a one-hot 1 is written by
        # its flat index, 2-3x faster than numpy's (row, column) scatter
        row_starts = np.arange(len(frame), dtype=np.intp) * inputs.shape[1] if one_hot else None
        for j, column in enumerate(self.categorical_columns):
            # What the fitted encoder's transform gives, from one hash lookup per distinct
            # value: scikit-learn's transform maps an object array row by row in Python.
            codes = None if column_codes is None else column_codes[j]
            positions = self._category_positions(frame[column], column, j, codes)
            if one_hot:
                flat = row_starts + (offset + positions)
                if (positions < 0).any():
                    flat = flat[positions >= 0]  # unseen categories stay all zeros
                np.put(inputs, flat, 1.0)
            elif native:  # the category's code; unseen categories are NaN
                inputs[:, offset] = self.encoder.codes_of(positions, j)
            else:  # target encoding: unseen categories get the target mean
                table = np.r_[self.encoder.encodings_[j], self.encoder.target_mean_]
                inputs[:, offset] = table[positions]
            offset += widths[j]
        return inputs

    def _append_codes(
        self,
        numeric: np.ndarray,
        frame: pd.DataFrame,
        inputs: np.ndarray | None = None,
        column_codes: list[tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> np.ndarray:
        """``numeric`` followed by the native codes, column-major (Fortran order).

        Column-major because ``numeric`` comes from pandas in that order: the copy is then
        one block per column, the code columns are written contiguously, and the binning
        and code check read a column at a time. Each code column is one gather of its
        rows' category codes through a table of the codes of the column's distinct keys.
        ``inputs``: the column-major array to fill; ``numeric`` may already be its
        leading columns (nothing is copied then). ``column_codes``: :func:`_column_codes`
        of each categorical column of ``frame``, when the caller made them already (the
        fit, counting categories).

        When a column's codes are its own (the codes of its distinct keys are 0, 1, 2, ...:
        a pandas categorical of text whose categories all occur, sorted as the keys are,
        with no more than ``MAX_CATEGORY_BINS`` of them), its rows' codes are cast rather
        than gathered: the same float64 values, 3x faster (flights' dest: 0.53 -> 0.16 ms).
        """
        n_numeric = numeric.shape[1]
        if inputs is None:
            inputs = np.empty((len(frame), n_numeric + len(self.categorical_columns)), order="F")
        leading = inputs[:, :n_numeric]
        if not (
            numeric.shape == leading.shape
            and numeric.strides == leading.strides
            and numeric.__array_interface__["data"][0] == leading.__array_interface__["data"][0]
        ):
            leading[...] = numeric
        for j, column in enumerate(self.categorical_columns):
            codes, keys = _column_codes(frame[column], column) if column_codes is None else column_codes[j]
            if self.category_imputer is not None:
                keys = keys.copy()  # (the caller's keys stay as they were)
                keys[-1] = self.category_imputer.statistics_[j]  # missing rows take the fitted mode
            # the code of each distinct key (NaN: unseen); a row's key code -1 (missing)
            # reads the last key, which mode="wrap" reaches without a buffered copy
            table = self.encoder.codes_of(_positions_in(self.encoder.categories_[j], keys), j)
            out = inputs[:, n_numeric + j]
            if np.array_equal(table[:-1], np.arange(len(table) - 1)) and codes.dtype.kind == "i":
                np.copyto(out, codes, casting="unsafe")  # each code is its own
                if codes.min(initial=0) < 0:  # missing rows: the last key's code
                    out[codes < 0] = table[-1]
            else:
                np.take(table, codes, out=out, mode="wrap")
        return inputs

    def _category_positions(
        self, values: pd.Series, column: str, j: int, column_codes: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        """Each row's index in the encoder's categories of column ``j`` (-1: not among them);
        ``column_codes``: :func:`_column_codes` of ``values``, if already made."""
        codes, keys = _column_codes(values, column) if column_codes is None else column_codes
        keys = keys.copy()  # the missing slot is overwritten below
        if self.category_imputer is not None:
            keys[-1] = self.category_imputer.statistics_[j]  # missing rows take the fitted mode
        # pandas matches NaN to a NaN category, as scikit-learn's encoders do.
        return _positions_in(self.encoder.categories_[j], keys)[codes]


def _float_key(value: Any) -> str:
    """The key hvrt gave a number before ints were keyed by their digits: through float64,
    so ints beyond 2**53 were rounded (``2**60 + 1`` was ``"1152921504606846976"``)."""
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 2**63 else repr(number)


def _rekeyed_ints(values: Mapping[str, Any]) -> dict[str, str]:
    """Old key -> current key, for the categories of one column (key -> first value at fit)
    that are ints keyed through float64 (:func:`_float_key`); only those beyond 2**53 differ."""
    renamed = {}
    for key, value in values.items():
        if type(value) is int and -_EXACT_FLOAT_INTEGERS <= value <= _EXACT_FLOAT_INTEGERS:
            continue  # (the common case, at a glance: keyed alike both ways)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            current = _number_key(value)
            if current != key and key == _float_key(value):
                renamed[key] = current
    return renamed


def _rekey_float_keyed_ints(preprocessor: Preprocessor) -> None:
    """Re-key the int categories of a preprocessor fitted before ints were keyed by their
    digits (a pickle or model file written before, under the same hvrt version number, so
    no ``ModelVersionWarning`` tells), in place.

    Its keys of ints beyond 2**53 were their float64 values' (:func:`_float_key`); today's
    keys of the same values differ, so every such category would be unseen, silently. The
    categories' first values at fit (``category_values``) give each old key's value, hence
    its current key, renamed wherever keys are held: ``category_values``, the encoder's
    categories (one-hot, target or native, positions and codes unchanged) and the
    imputer's modes. The fit refused two ints of one old key, so each is recovered
    exactly: the model labels every value it was fitted on as it did. An int it never saw
    that rounds to one it saw (``2**60 + 2`` to ``2**60 + 1``) used to take that one's
    category and is now unseen, as for a model fitted today.

    A column whose keys cannot all be recovered is warned of, naming it: its first values
    were not recorded (models from before the rules kept them), or an int's digits are also
    a text category of the column (``"1152921504606846977"`` beside ``2**60 + 1``, which the
    fit kept apart and today's keys would not; the int keeps its old key, the other ints
    of the column are re-keyed).
    """
    columns = preprocessor.categorical_columns
    encoder, imputer = preprocessor.encoder, preprocessor.category_imputer
    if not columns or encoder is None:
        return
    kinds = preprocessor.category_kinds or [None] * len(columns)
    first_values = preprocessor.category_values
    unrecovered = []
    renamed_values = list(first_values) if first_values is not None else None
    for j, column in enumerate(columns):
        if kinds[j] in ("text", "bytes"):
            continue  # keyed by str(value): unchanged
        if first_values is None:
            if any(_may_be_rounded_int(key) for key in encoder.categories_[j]):
                unrecovered.append(column)
            continue
        renamed = _rekeyed_ints(first_values[j])
        kept = set(first_values[j]) - set(renamed)
        if any(key in kept for key in renamed.values()):  # an int's digits are a text category too
            unrecovered.append(column)
            renamed = {old: key for old, key in renamed.items() if key not in kept}
        if not renamed:
            continue
        renamed_values[j] = {renamed.get(key, key): value for key, value in first_values[j].items()}
        categories = encoder.categories_[j]
        rekeyed = np.empty(len(categories), dtype=object)
        rekeyed[:] = [renamed.get(key, key) if isinstance(key, str) else key for key in categories]
        encoder.categories_[j] = rekeyed
        if imputer is not None and isinstance(imputer.statistics_[j], str) and imputer.statistics_[j] in renamed:
            statistics = imputer.statistics_.copy()
            statistics[j] = renamed[statistics[j]]
            imputer.statistics_ = statistics
    if renamed_values is not None:
        preprocessor.category_values = renamed_values
    if unrecovered:
        warnings.warn(
            f"categorical column(s) {unrecovered} of this model were fitted by an hvrt that matched integers "
            "beyond 2**53 through float64 (rounded), and some of them cannot be re-keyed to their exact values: "
            "those IDs may now be unseen categories, or match another category, where the model placed them at "
            "fit; refit the model to label them as at fit",
            UserWarning,
            stacklevel=_outside_hvrt(),
        )


def _may_be_rounded_int(key: Any) -> bool:
    """Whether a category key is a whole number beyond 2**53 (an int keyed through float64, perhaps)."""
    if not isinstance(key, str):
        return False
    try:
        number = float(key)
    except ValueError:
        return False
    return _is_rounded_integer(number)


def _physical_memory_bytes() -> int | None:
    """The machine's physical memory, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _check_one_hot_fits(encoder: OneHotEncoder, columns: list[str], n_rows: int, n_numeric: int) -> None:
    """Refuse a dense one-hot block that would take more than half the physical memory.

    The tree inputs are one dense float64 array, so a high-cardinality column (an id, say)
    would otherwise end in numpy's MemoryError deep inside scikit-learn, or in the
    operating system killing the process.
    """
    memory = _physical_memory_bytes()
    widths = [len(categories) for categories in encoder.categories_]
    needed = n_rows * (n_numeric + sum(widths)) * 8
    if memory is None or needed <= memory // 2:
        return
    widest = sorted(zip(widths, columns), reverse=True)[:3]
    listed = ", ".join(f"{name!r} ({width:,} categories)" for width, name in widest)
    raise ValueError(
        f"category_encoding='ohe' would make {sum(widths):,} one-hot columns for {n_rows:,} rows, "
        f"a {needed / 2**30:,.1f} GiB array, more than half of this machine's "
        f"{memory / 2**30:,.1f} GiB; widest: {listed}. Use category_encoding='target', or "
        "group rare categories before fitting"
    )


def _numeric_into(frame: pd.DataFrame, columns: list[str], out: np.ndarray) -> bool:
    """Write the numeric ``columns`` of ``frame`` into ``out`` (n, len(columns)), a column
    at a time, when each is a plain numpy number or bool dtype (what ``to_numpy`` would
    give, cast to float64); False, with nothing written, for anything else."""
    if not frame.columns.is_unique:
        return False
    positions = [frame.columns.get_loc(column) for column in columns]
    dtypes = frame.dtypes
    if not all(isinstance(dtypes.iloc[k], np.dtype) and dtypes.iloc[k].kind in "biuf" for k in positions):
        return False
    for j, k in enumerate(positions):
        out[:, j] = frame.iloc[:, k].to_numpy()
    return True


def _checked_numeric(
    frame: pd.DataFrame, columns: list[str], z_scored: bool, out: np.ndarray | None = None
) -> tuple[np.ndarray, bool, tuple[np.ndarray, np.ndarray] | None]:
    """The numeric block, whether it has NaN, and its column moments when it is clean and
    will be z-scored: the moments' pass doubles as the finiteness check, which saves the
    separate pass over X that :func:`numeric_block` would make.

    ``out``: where the block should go if it can (the leading columns of the native tree
    inputs, which then need no copy); the block returned is ``out`` when it went there.
    """
    if not (z_scored and columns):
        return (*numeric_block(frame, columns), None)
    if out is not None and _numeric_into(frame, columns, out):
        values = out
        warn_of_rounded_integers(frame, columns, values=values)  # (as numeric_block does)
    else:
        values, _ = numeric_block(frame, columns, check=False)
    moments = column_moments(values)
    if np.isfinite(moments[0]).all() and squares_are_safe(moments[1], len(values)):
        return values, False, moments
    return values, has_missing_values(values, columns), None


def _synthetic_target(
    numeric: np.ndarray,
    has_missing: bool,
    moments: tuple[np.ndarray, np.ndarray] | None,
    y_frame: pd.DataFrame | np.ndarray | None,
    column_weights: np.ndarray,
    scaler: TransformerMixin | None,
    impute: bool,
    target_mode: str,
    y_weight: float,
    dtype: type = np.float64,
) -> np.ndarray:
    """The tree's target from the numeric block (z-scored or scaled) blended with ``y``
    (``y_frame``: a frame, or a finite float64 array of shape (n, outputs) checked already).

    ``dtype``: of a ``"features"`` target that no ``y`` is blended into (float32 for the
    histogram engine, ``_engines.target_dtype``); a blended target stays float64."""
    return _target_with_parts(
        numeric, has_missing, moments, y_frame, column_weights, scaler, impute, target_mode, y_weight, dtype
    )[0]


def _target_with_parts(
    numeric: np.ndarray,
    has_missing: bool,
    moments: tuple[np.ndarray, np.ndarray] | None,
    y_frame: pd.DataFrame | np.ndarray | None,
    column_weights: np.ndarray,
    scaler: TransformerMixin | None,
    impute: bool,
    target_mode: str,
    y_weight: float,
    dtype: type = np.float64,
    names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """:func:`_synthetic_target` with the x and y parts it was blended from (None: not made),
    for :func:`~hvrt._target.encoder_guide`.

    ``names``: of the numeric columns, given by HVRTPartitioner's own fit (not the local
    models', which warn themselves: R21, R22), to warn of the columns the z-scoring reads
    as constant although they vary (X29; Y11 for ``y`` blended in)."""
    y_part, y_noise = None, 0.0
    if isinstance(y_frame, np.ndarray):
        y_part, y_noise = y_target_part(y_frame, False, target_mode)
    elif y_frame is not None:
        y_values, y_missing = numeric_block(y_frame, list(y_frame.columns), name="y")
        if y_missing:
            _check_no_empty_columns(y_values, list(y_frame.columns), "y")
            if impute:
                y_values = np.where(np.isnan(y_values), missing_fill(y_values), y_values)
                y_missing = False
        y_part, y_noise = y_target_part(y_values, y_missing, target_mode)
        if names is not None and y_weight > 0.0:  # (a pass over y, not X)
            _warn_of_rounding_band(y_values, *zscore_moments(y_values, y_missing), list(y_frame.columns), "y")
    if numeric.shape[1] == 0 and y_part is None:
        raise ValueError(
            "X has no numeric column, so there is no target to grow the tree on; "
            "pass a numeric y or list fewer columns in categorical_features"
        )
    if y_alone(y_part, y_weight, y_noise):
        return y_part, None, y_part  # all that blend_target would keep: no feature part to make
    x_dtype = dtype if y_part is None or y_weight == 0.0 else np.float64
    if scaler is None and numeric.shape[1] and names is not None:
        # target_part's z-scoring, its constant columns at hand for the warning (no other pass)
        mean, variance = zscore_moments(numeric, has_missing, moments)
        _warn_of_rounding_band(numeric, mean, variance, names, "X")
        scale, constant = zscore_scale(mean, variance)
        x_part = zscored_outputs(numeric, has_missing, column_weights, target_mode, mean, scale, constant, x_dtype)
        x_noise = rounding_variance(mean, scale, constant, column_weights, target_mode)
    else:
        x_part, x_noise = target_part(numeric, has_missing, column_weights, target_mode, scaler, moments, x_dtype)
    return blend_target(x_part, y_part, y_weight, noise=(x_noise, y_noise)), x_part, y_part


def _warn_of_rounding_band(
    values: np.ndarray, mean: np.ndarray, variance: np.ndarray, names: Sequence[Any], name: str
) -> None:
    """Warn (X29; Y11 for ``y``) of the columns the z-scoring reads as constant
    (:func:`~hvrt._target.zscore_scale`: a spread within ``CONSTANT_ULPS`` units in the last
    place of the mean) that do vary (``1e12 + 1e-3 * signal``): the target gives them
    weight 0, so the partitions ignore them, where the same spread around 0 shapes them.
    ``mean``, ``variance``: the columns' (:func:`~hvrt._target.zscore_moments`); the rule is
    :func:`~hvrt._validation.varies_beyond_rounding`'s (a standard deviation above a few units
    in the last place of the mean: rounding noise stays near one at any row count). No pass
    over ``values`` unless a column warns."""
    constant = zscore_scale(mean, variance)[1]
    std = np.sqrt(np.maximum(variance, 0.0))
    varying = np.flatnonzero(constant & varies_beyond_rounding(mean, std))
    if len(varying) == 0:
        return  # constant, or differing in their last bits only: rounding, rightly ignored
    j = varying[0]
    columns = [str(names[k]) for k in varying]
    offset = float(np.nanmedian(values[:, j]))
    warnings.warn(rounding_band_text(columns, offset, float(std[j]), name), UserWarning, stacklevel=_outside_hvrt())


def rounding_band_text(columns: list[str], offset: float, spread: float, name: str) -> str:
    """The text of X29 (Y11 for ``name="y"``): ``columns`` read as constant although they
    vary; ``offset``: the first one's centre, ``spread``: its standard deviation. Shared
    with ``hvrt.dask``, which gives the column's mean as the offset (within its spread of
    the median written here, so the same at the 6 digits written)."""
    if name == "y":
        subject = f"y column(s) {columns} vary"
        ignored = "the partitioner treats them as constant and the y part of its target ignores them"
        fix = f"subtract the offset ({'y' if columns == ['target'] else f'y[{columns[0]!r}]'} - {offset:.6g}) to keep them"
    else:
        subject = f"X column(s) {columns} vary"
        ignored = "the partitioner treats them as constant and its partitions ignore them"
        fix = (
            f"subtract the offset (e.g. X[{columns[0]!r}] - {offset:.6g}, and the same from the rows to label) "
            "to keep them"
        )
    return (
        f"{subject} only within {CONSTANT_ULPS} units in the last place of their mean ({columns[0]!r}: a spread "
        f"of {spread:.3g} around {offset:.6g}): float64 cannot tell that from rounding, so {ignored}; {fix}"
    )


def prepared_target(
    preprocessor: Preprocessor,
    tree_inputs: np.ndarray,
    y_frame: pd.DataFrame | np.ndarray | None,
    *,
    weights: Mapping[str, float] | None,
    scaler: TransformerMixin | None,
    target_mode: str,
    y_weight: float,
    dtype: type = np.float64,
) -> np.ndarray:
    """The target :func:`fit_preprocessing` would make from rows whose tree inputs are known.

    For a caller that already holds an imputing, one-hot preprocessing of these rows (or
    of a superset of them): the tree inputs do not depend on the target then, so only the
    target is left to compute. The numeric block is the first columns of ``tree_inputs``.
    ``y_frame`` and ``dtype``: as for :func:`_synthetic_target`.
    """
    numeric_columns = preprocessor.numeric_columns
    column_weights = resolve_weights(weights, numeric_columns, preprocessor.categorical_columns)
    numeric = tree_inputs[:, : len(numeric_columns)]
    return _synthetic_target(
        numeric, False, None, y_frame, column_weights, scaler, True, target_mode, y_weight, dtype
    )


# Folds of the cross-fitted target encoding of the local models' inputs (scikit-learn's default).
CROSS_FIT_FOLDS = 5


def _fold_seed(random_state: Any) -> int | None:
    """An int seed for the cross-fitting folds from a ``random_state``: the int itself, 0 for
    None (a fit of the same rows gives the same model, as its cross-validation split is
    seeded too), or a draw from a copy of a RandomState (the partitioner's own draws from
    it stay as they were)."""
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.RandomState):
        return int(copy.deepcopy(random_state).randint(np.iinfo(np.int32).max))
    return int(random_state)


def cross_fitting_encoder(random_state: Any) -> TargetEncoder:
    """A continuous ``TargetEncoder`` whose ``fit_transform`` cross-fits on
    ``CROSS_FIT_FOLDS`` shuffled folds seeded by :func:`_fold_seed` of ``random_state``.

    scikit-learn 1.9 takes the shuffle and its seed as a splitter (``cv=KFold(...)``) and
    deprecates ``shuffle`` and ``random_state``; earlier versions take only those.
    """
    seed = _fold_seed(random_state)
    if TargetEncoder().get_params().get("shuffle") == "deprecated":
        from sklearn.model_selection import KFold

        return TargetEncoder(target_type="continuous", cv=KFold(CROSS_FIT_FOLDS, shuffle=True, random_state=seed))
    return TargetEncoder(target_type="continuous", cv=CROSS_FIT_FOLDS, shuffle=True, random_state=seed)


def cross_fitting_folds(n_rows: int, random_state: Any) -> np.ndarray:
    """Each of ``n_rows`` rows' fold (0 .. ``CROSS_FIT_FOLDS`` - 1) in
    :func:`cross_fitting_encoder`'s ``fit_transform`` of them, in order: ``KFold``'s
    shuffled split, seeded as that encoder's. For a caller that reduces the folds' statistics
    where the rows live (``hvrt.dask``).

    Drawn as ``KFold`` draws them (its rows shuffled by the seed, then cut into contiguous
    folds, the first ``n_rows % CROSS_FIT_FOLDS`` one row larger), at 9 bytes a row at peak
    (the shuffled int64 positions and the folds) where ``KFold.split`` took about 42.
    """
    from sklearn.utils import check_random_state

    if n_rows < CROSS_FIT_FOLDS:  # KFold's own error
        from sklearn.model_selection import KFold

        next(KFold(CROSS_FIT_FOLDS).split(np.empty((n_rows, 1))))
    order = np.arange(n_rows)
    check_random_state(_fold_seed(random_state)).shuffle(order)
    sizes = np.full(CROSS_FIT_FOLDS, n_rows // CROSS_FIT_FOLDS)
    sizes[: n_rows % CROSS_FIT_FOLDS] += 1
    folds = np.empty(n_rows, dtype=np.int8)
    for fold, (start, stop) in enumerate(zip(np.r_[0, np.cumsum(sizes)[:-1]], np.cumsum(sizes))):
        folds[order[start:stop]] = fold
    return folds


def fit_preprocessing(
    frame: pd.DataFrame,
    y_frame: pd.DataFrame | None,
    *,
    categorical_columns: list[str],
    weights: Mapping[str, float] | None,
    scaler: TransformerMixin | None,
    impute: bool,
    category_encoding: str,
    target_mode: str,
    y_weight: float,
    random_state: Any,
    make_target: bool = True,
    target_dtype: type = np.float64,
    oriented_guide: bool = True,
    cross_fitted: bool = False,
    warn_constants: bool = False,
) -> tuple[Preprocessor, np.ndarray, np.ndarray | None]:
    """Fit the preprocessing and return it with the training tree inputs and target.

    ``category_encoding`` is resolved already: "native", "ohe" or "target".
    ``make_target=False``: the caller has no use for the target (None is returned), unless
    target encoding learns from it. ``target_dtype``: as ``dtype`` of
    :func:`_synthetic_target` (the caller passes float64 when target encoding learns
    from the target). ``oriented_guide``: target encoding learns from
    :func:`~hvrt._target.encoder_guide` (whatever the signs of ``y``'s columns, the same
    encodings); False: from the target's row sum as it is (the local models' inputs, which
    encode each category by its mean response, sign and all). ``cross_fitted``: the
    returned inputs' target-encoded columns are cross-fitted (:func:`cross_fitting_encoder`:
    each row encoded from the other folds' rows, so a rare category's encoding does not
    hold the row's own target); the fitted encoder, which labels every later batch, is
    still the one of every row. For the local models' inputs and the trees
    ``PartitionedRegressor`` grows; HVRTPartitioner's own fit is not cross-fitted, so
    that its training rows are labelled as they grew. ``warn_constants``: warn of
    columns read as constant although they vary (HVRTPartitioner's own fit; X29, Y11).
    """
    if category_encoding not in ("native", "ohe", "target"):
        raise ValueError(f"category_encoding must be 'native', 'ohe' or 'target' here, got {category_encoding!r}")
    numeric_columns = [c for c in frame.columns if c not in set(categorical_columns)]
    column_weights = resolve_weights(weights, numeric_columns, categorical_columns)
    # native codes: one column-major array of tree inputs, the numeric block written
    # straight into its leading columns when it can be (see Preprocessor._append_codes)
    inputs = None
    if category_encoding == "native" and categorical_columns:
        inputs = np.empty((len(frame), len(numeric_columns) + len(categorical_columns)), order="F")
    numeric, has_missing, moments = _checked_numeric(
        frame, numeric_columns, z_scored=scaler is None, out=None if inputs is None else inputs[:, : len(numeric_columns)]
    )
    numeric_fill = None
    with_missing = []
    if has_missing:
        _check_no_empty_columns(numeric, numeric_columns, "X")
        with_missing = [numeric_columns[j] for j in np.flatnonzero(np.isnan(numeric).any(axis=0))]
        if impute:
            numeric_fill = missing_fill(numeric)
            numeric = np.where(np.isnan(numeric), numeric_fill, numeric)
            has_missing = False

    target = guide = None
    if make_target or category_encoding == "target":
        target, x_part, y_part = _target_with_parts(
            numeric, has_missing, moments, y_frame, column_weights, scaler, impute, target_mode, y_weight,
            target_dtype, numeric_columns if warn_constants else None,
        )  # fmt: skip
        if category_encoding == "target" and categorical_columns:
            guide = encoder_guide(target, x_part, y_part) if oriented_guide else encoder_guide(target, None, None)
        del x_part, y_part

    category_imputer = encoder = crossed = None
    column_codes = None
    present: list[np.ndarray | None] = [None] * len(categorical_columns)
    if categorical_columns and category_encoding in ("ohe", "native"):
        # One-hot needs only each column's distinct keys and their counts, not an object
        # array of every row: the same fitted imputer and encoder, from the factorised codes.
        column_codes = []  # each column's codes, kept for the one-hot encoding below
        counted = [_key_counts(frame[c], c, column_codes) for c in categorical_columns]
        present = [positions for *_, positions in counted]
        counted = [(keys, counts, missing) for keys, counts, missing, _ in counted]
        empty = [c for c, (_, counts, _) in zip(categorical_columns, counted) if counts.sum() == 0]
        if empty:
            raise ValueError(f"X column(s) {empty} have no values (all missing)")
        with_missing += [c for c, (_, _, missing) in zip(categorical_columns, counted) if missing]
        if impute:
            category_imputer = fit_imputer([most_frequent(keys, counts) for keys, counts, _ in counted])
        if category_encoding == "ohe":
            encoder = fit_one_hot(
                [sorted(keys) + ([np.nan] if missing and not impute else []) for keys, _, missing in counted]
            )
        else:
            n_missing = [int((frame[c].isna()).sum()) if missing and not impute else 0 for c, (_, _, missing) in zip(categorical_columns, counted)]
            encoder = CategoryCodes.fit(
                [list(keys) + ([np.nan] if n else []) for (keys, _, _), n in zip(counted, n_missing)],
                [np.r_[counts, [n] if n else []] for (_, counts, _), n in zip(counted, n_missing)],
            )
    elif categorical_columns:
        categories = _category_strings(frame, categorical_columns)
        _check_no_empty_columns(categories, categorical_columns, "X")
        with_missing += [categorical_columns[j] for j in np.flatnonzero(pd.isna(categories).any(axis=0))]
        if impute:
            from sklearn.impute import SimpleImputer

            category_imputer = SimpleImputer(strategy="most_frequent").fit(categories)
            categories = category_imputer.transform(categories)
        if cross_fitted:
            encoder = cross_fitting_encoder(random_state)
            crossed = encoder.fit_transform(categories, guide)
            encoder.set_params(cv=CROSS_FIT_FOLDS)  # (a model file holds plain parameters, not a splitter)
        else:
            # fit + transform (not the cross-fitted fit_transform) so that training rows get
            # the same encodings as at labelling time. Unseen categories get the target mean.
            encoder = TargetEncoder(target_type="continuous", random_state=random_state)
            encoder.fit(categories, guide)
        del guide
    kinds = [_category_kind(frame[c]) for c in categorical_columns]
    first_values = [_first_values(frame[c], positions) for c, positions in zip(categorical_columns, present)]
    preprocessor = Preprocessor(
        numeric_columns, categorical_columns, numeric_fill, category_imputer, encoder, kinds, first_values,
        [c for c in frame.columns if c in set(with_missing)],
        {c: kind for c, kind in time_kinds(frame).items() if c in set(numeric_columns)},
        {c: zone for c, zone in date_zones(frame).items() if c in set(numeric_columns)},
    )
    # (the kinds were just read from this frame: no need to check them against themselves)
    if preprocessor.native:
        tree_inputs = preprocessor._append_codes(numeric, frame, inputs, column_codes)
    else:
        tree_inputs = preprocessor.append_categories(numeric, frame, check_kinds=False, column_codes=column_codes)
    if crossed is not None:
        tree_inputs[:, len(numeric_columns) :] = crossed
    return preprocessor, tree_inputs, target
