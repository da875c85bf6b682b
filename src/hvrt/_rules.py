"""Readable partition rules: each leaf's path through the tree as a pandas query expression.

A rule is written in the user's column names and values, so that
``X.query(rule, engine="python")`` selects exactly the rows the partitioner labels with
that partition, on training data and on new rows alike:

- A split on a numeric input is ``value <= left_max`` (the engine reports the exact
  float64 boundary, whatever it compares internally, see ``FittedTree.splits``). Along a
  path the bounds merge into one lower and one upper bound per column.
- Missing values go where the tree sends them: where the imputed value goes when the
  partitioner imputed, else the engine's NaN direction. The rule then says
  ``x.isna()`` / ``x.notna()`` where that matters.
- A split on an encoded categorical (a one-hot indicator, or a target encoding) is turned
  back into a set of categories by running every fit-time category, a missing value and
  an unseen category through the fitted encoding (``Preprocessor.category_probes``), so
  imputation and the encoder's treatment of unknowns are part of the rule. A native
  categorical split (``FittedTree.category_splits``) is read the same way: each probe's
  code is in the node's set or not, and an unseen category (NaN) goes to the node's
  ``nan_left`` side.
- Dates, durations and periods (nanoseconds in the tree) get bounds written as time
  strings, which pandas compares with the column's values (in the column's zone; a column
  pandas cannot compare with text, pyarrow dates and durations or Python objects, is
  converted first, ``name.astype(...)``).
- A float16 / float32 column, which pandas compares in its own width, gets bounds that
  are values of that width (``column_forms`` records the width at fit): exact for values
  of that width (the contract), not for a float64 value between two of them, near a bound.
- A numeric column of numbers held as Python objects (ints beyond what pandas makes int64,
  Decimals) is compared as ``name.astype('float64')``: Python compares an int or a Decimal
  with a float exactly, the tree compared their float64 values, which differ beyond 2**53
  (and for most Decimals).
- A categorical column compared as text (values the query cannot write) that holds
  numbers is refused: the partitioner keys numbers by value, ``astype('str')`` by text.
- A column named as one of pandas' class globals (``datetime``, ...), which its query
  looks up among the caller's variables first, gets its category sets as
  ``name.isin([...])``: where the name is bound to a module, the rule raises.
- A column pandas' query cannot name (``inf``, a line break in the name, ...) is refused
  with an error naming it, rather than written into a rule that fails or reads another
  value (``check_query_names`` asks pandas itself).

Work is vectorised over nodes: one pass per tree level, then one rendering per distinct
constraint of each column (many partitions share a column's constraint).
"""

from __future__ import annotations

import keyword
import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._preprocessing import Preprocessor
from ._tree_contract import FittedTree, largest_integer_where
from ._validation import dtype_zone, is_duration_dtype

_INT64_LOW, _INT64_HIGH = -(2**63) + 1, 2**63 - 1  # -2**63 is NaT
# a split's training gap where a side holds no value (or the node splits no time column)
_NO_LEFT, _NO_RIGHT = np.iinfo(np.int64).min, np.iinfo(np.int64).max
_FLOAT64 = np.dtype(np.float64)


def quote_name(label: Hashable) -> str:
    """A column label as pandas ``DataFrame.query`` reads it: bare when it is a plain
    identifier, else in backticks (a backtick inside a string name is doubled, as pandas
    expects; other labels are quoted as their ``str``)."""
    if isinstance(label, str) and label.isidentifier() and not keyword.iskeyword(label):
        return label
    text = label.replace("`", "``") if isinstance(label, str) else str(label)
    return f"`{text}`"


# names pandas' query reads as something other than the column even when it is a plain
# identifier: its constants ``inf`` / ``Inf``, and its own prefixes for locals and quoted names
_NOT_PLAIN = ("inf", "Inf")
_PANDAS_PREFIXES = ("__pd_eval_local_", "BACKTICK_QUOTED_STRING_")
# pandas' own globals that are classes (``DEFAULT_GLOBALS`` of pandas.core.computation.scope):
# its query looks such a name up among the calling code's variables first, and reads the
# column only where the name is bound to a class (``import datetime`` binds a module, and
# backticks change nothing for an identifier). A category set on such a column is written
# ``name.isin([...])``: ``module in [...]`` would be a plain False, selecting other rows,
# where ``module.isin`` raises.
_SCOPE_FIRST = ("datetime", "Timestamp", "list", "tuple")


def _plainly_named(label: Hashable) -> bool:
    """Whether ``quote_name(label)`` surely reads back as the column: an ASCII identifier
    that pandas keeps for nothing else (Python normalises non-ASCII identifiers, NFKC)."""
    return (
        isinstance(label, str)
        and label.isascii()
        and label.isidentifier()
        and not keyword.iskeyword(label)
        and label not in _NOT_PLAIN
        and not label.startswith(_PANDAS_PREFIXES)
    )


def check_query_names(named: Sequence[Hashable], every: Sequence[Hashable]) -> None:
    """Refuse a column that a rule must name but that pandas' query cannot refer to.

    A plain name passes at once; any other is looked up by pandas itself, in a one-row
    frame of every fit-time column (``every``) holding its position, so a name pandas
    reads as a constant, cannot parse, or resolves to another column is caught.

    Raises
    ------
    ValueError
        Naming the first such column, why, and what to do.
    """
    odd = [label for label in named if not _plainly_named(label)]
    if not odd:
        return
    columns = pd.Index(list(every), dtype=object, tupleize_cols=False)
    probe = pd.DataFrame([np.arange(len(columns), dtype=np.float64)], columns=columns)

    def read_back(labels: list[Hashable]) -> bool:
        try:  # one list of every name: one parse (a name at a time costs ~1 ms each)
            found = probe.eval(f"[{', '.join(quote_name(label) for label in labels)}]", engine="python")
        except Exception:  # noqa: BLE001 (pandas' parser raises many kinds; each means it cannot name one)
            return False
        return isinstance(found, list) and len(found) == len(labels) and all(
            isinstance(values, pd.Series) and values.iloc[0] == columns.get_loc(label)
            for label, values in zip(labels, found)
        )

    if read_back(odd):
        return
    for label in odd:
        if read_back([label]):
            continue
        text = str(label)
        if "".join(text.splitlines()) != text:
            why = "it holds a line break, and pandas reads a query line by line"
        elif label in _NOT_PLAIN:
            why = f"pandas reads {text} as the number infinity, even in backticks"
        else:
            why = f"pandas' query does not read {quote_name(label)!r} as this column"
        raise ValueError(
            f"the partition rules must name column {label!r}, but {why}, so no pandas query can "
            f"select its partitions; rename the column (X.rename(columns={{{label!r}: 'new_name'}})) "
            "and fit again"
        )


def column_forms(X: Any, frame: pd.DataFrame, time_dtypes: Mapping[str, Any]) -> dict[str, str]:
    """What the rules need to know of the user's columns at fit besides their values.

    ``"float16"`` / ``"float32"``: a float column narrower than float64 (numpy, nullable or
    pyarrow), which pandas compares in its own width, so its bounds are written as values
    of that width. ``"object"``: a date or duration column held as Python objects, which
    pandas cannot compare with a time string (its rules convert it first). ``"object
    numbers"``: numbers held as Python objects (Decimals), whose categories are compared as
    floats.

    Parameters
    ----------
    X : the input of ``fit``
    frame : DataFrame
        ``to_frame(X)``: the same columns, in order, under their string names.
    time_dtypes : mapping of str to dtype
        The columns of ``frame`` that held times, with their dtype.
    """
    if isinstance(X, pd.DataFrame) and X.shape[1] == frame.shape[1]:
        dtypes = list(X.dtypes)
    elif isinstance(X, np.ndarray) and X.ndim == 2:
        dtypes = [X.dtype] * frame.shape[1]
    else:
        dtypes = list(frame.dtypes)
    forms = {}
    for column, dtype in zip(frame.columns, dtypes):
        width = getattr(dtype, "numpy_dtype", dtype)  # nullable and pyarrow floats
        if column in time_dtypes:
            if dtype == object:
                forms[column] = "object"
        elif dtype == object and frame[column].dtype.kind in "fiu":
            forms[column] = "object numbers"  # (Decimals, read as floats: a float compares unequal to them)
        elif isinstance(width, np.dtype) and width.kind == "f" and width.itemsize < 8:
            forms[column] = width.name
    return forms


def _largest_of_width(bounds: np.ndarray, width: np.dtype) -> np.ndarray:
    """Per float64 bound, the largest value of the float dtype ``width`` at or below it.

    A column of that width is compared by pandas in its width (a float64 literal between two
    of its values would round to either), so ``x <= v`` and ``v < x`` with this ``v`` are
    exactly ``x <= bound`` and ``bound < x`` for its values. A bound at or beyond the
    width's largest value becomes inf: no value of the column is above it.
    """
    with np.errstate(over="ignore"):
        nearest = bounds.astype(width)
    above = nearest.astype(np.float64) > bounds
    nearest[above] = np.nextafter(nearest[above], np.array(-np.inf, dtype=width))
    result = nearest.astype(np.float64)
    result[result >= np.finfo(width).max] = np.inf
    return result


# ----------------------------------------------------------------------------- tree walk


class _PathBounds:
    """Per tree node, the merged constraints of its path, filled level by level."""

    def __init__(self, tree: FittedTree, preprocessor: Preprocessor, gaps: np.ndarray | None = None) -> None:
        left, right = tree.children
        feature, left_max, nan_left = tree.splits
        n_nodes = len(left)
        n_numeric = len(preprocessor.numeric_columns)
        numeric = (feature >= 0) & (feature < n_numeric)
        if preprocessor.numeric_fill is not None:
            # imputed: a missing value is the training mean, and goes wherever it goes
            fill = preprocessor.numeric_fill[np.where(numeric, feature, 0)]
            nan_left = np.where(numeric, fill <= left_max, nan_left)
        self.lower = np.full((n_nodes, n_numeric), -np.inf)
        self.upper = np.full((n_nodes, n_numeric), np.inf)
        self.nan_ok = np.ones((n_nodes, n_numeric), dtype=bool)
        # per node and column, the training gap of the split that set each bound: the largest
        # training value it sent left and the smallest it sent right (see split_gaps)
        self.gaps = gaps is not None
        if self.gaps:
            self.upper_gap = np.empty((n_nodes, n_numeric, 2), dtype=np.int64)
            self.upper_gap[:] = (_NO_LEFT, _NO_RIGHT)
            self.lower_gap = self.upper_gap.copy()
        self.probes = preprocessor.category_probes()
        category_splits = tree.category_splits
        self.allowed = [np.ones((n_nodes, len(encoded)), dtype=bool) for _, encoded in self.probes]
        offsets = n_numeric + np.cumsum([0, *preprocessor.encoded_widths()])

        frontier = np.zeros(1, dtype=np.int64)
        while True:
            parents = frontier[left[frontier] >= 0]
            if len(parents) == 0:
                break
            lefts, rights = left[parents], right[parents]
            carried = (self.upper_gap, self.lower_gap) if self.gaps else ()
            for table in (self.lower, self.upper, self.nan_ok, *self.allowed, *carried):
                table[lefts] = table[parents]
                table[rights] = table[parents]
            inputs, bound, nan_goes_left = feature[parents], left_max[parents], nan_left[parents]
            on_numeric = inputs < n_numeric
            j, lo, ro, b = inputs[on_numeric], lefts[on_numeric], rights[on_numeric], bound[on_numeric]
            if self.gaps:
                gap = gaps[parents[on_numeric]]
                tighter = b < self.upper[lo, j]
                self.upper_gap[lo[tighter], j[tighter]] = gap[tighter]
                tighter = b > self.lower[ro, j]
                self.lower_gap[ro[tighter], j[tighter]] = gap[tighter]
            self.upper[lo, j] = np.minimum(self.upper[lo, j], b)
            self.lower[ro, j] = np.maximum(self.lower[ro, j], b)
            self.nan_ok[lo, j] &= nan_goes_left[on_numeric]
            self.nan_ok[ro, j] &= ~nan_goes_left[on_numeric]
            for c, (_, encoded) in enumerate(self.probes):
                on_column = (inputs >= offsets[c]) & (inputs < offsets[c + 1])
                if not on_column.any():
                    continue
                local = inputs[on_column] - offsets[c]
                if preprocessor.native:
                    # a native split: each probe's code is in the node's set, or NaN (unseen)
                    # goes where the node sends unseen categories
                    codes = encoded[:, 0]
                    known = ~np.isnan(codes)
                    goes_left = np.repeat(nan_goes_left[on_column, None], len(codes), axis=1)
                    goes_left[:, known] = category_splits[parents[on_column]][:, codes[known].astype(np.int64)]
                else:
                    goes_left = encoded[:, local].T <= bound[on_column, None]  # (splits, probes)
                self.allowed[c][lefts[on_column]] &= goes_left
                self.allowed[c][rights[on_column]] &= ~goes_left
            frontier = np.concatenate([lefts, rights])


def split_gaps(tree: FittedTree, feature_column: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Per tree node, the largest training value its split sent left and the smallest it sent
    right, in the column it splits (int64 nanoseconds; the int64 minimum and maximum where
    the node splits no column of ``low``, or a side holds no value), shape (n_nodes, 2).

    ``feature_column``: per tree input, its column in ``low`` / ``high`` (-1 for others);
    ``low`` / ``high``: per partition and column, the smallest and largest training value
    (the int64 maximum and minimum where the partition has none). A node's range is its
    leaves' ranges, summed up the tree level by level.
    """
    left, right = tree.children
    n_nodes = len(left)
    node_low = np.full((n_nodes, low.shape[1]), _NO_RIGHT, dtype=np.int64)
    node_high = np.full((n_nodes, low.shape[1]), _NO_LEFT, dtype=np.int64)
    node_low[tree.leaf_ids] = low
    node_high[tree.leaf_ids] = high
    levels, frontier = [], np.zeros(1, dtype=np.int64)
    while len(frontier := frontier[left[frontier] >= 0]):
        levels.append(frontier)
        frontier = np.concatenate([left[frontier], right[frontier]])
    for parents in reversed(levels):
        node_low[parents] = np.minimum(node_low[left[parents]], node_low[right[parents]])
        node_high[parents] = np.maximum(node_high[left[parents]], node_high[right[parents]])
    feature = tree.splits[0]
    column = np.where(feature >= 0, feature_column[np.maximum(feature, 0)], -1)
    split = np.flatnonzero(column >= 0)
    gaps = np.empty((n_nodes, 2), dtype=np.int64)
    gaps[:] = (_NO_LEFT, _NO_RIGHT)
    gaps[split, 0] = node_high[left[split], column[split]]
    gaps[split, 1] = node_low[right[split], column[split]]
    return gaps


def _distinct_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each distinct row of a 2-D array first occurs, and each row's distinct id.

    Rows are hashed as bytes (``np.unique(axis=0)`` would sort them bytewise, 20x slower
    on the boolean category tables of 4096 partitions).
    """
    table = np.ascontiguousarray(np.packbits(table, axis=1) if table.dtype == bool else table)
    # fixed-width byte strings: dropping trailing zero bytes (as numpy does) keeps rows apart
    row_bytes = table.view(np.dtype(f"S{table.dtype.itemsize * table.shape[1]}")).ravel()
    inverse, uniques = pd.factorize(row_bytes.astype(object))
    first = np.empty(len(uniques), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)
    return first, inverse


# ----------------------------------------------------------------------------- literals


def _float_literal(value: float, precision: int | None) -> str:
    return repr(float(value)) if precision is None else format(float(value), f".{precision}g")


def _time_literal(nanoseconds: int, dtype: Any) -> str:
    """A quoted time string that pandas compares with a column of ``dtype`` exactly."""
    if is_duration_dtype(dtype):
        return repr(str(pd.Timedelta(nanoseconds, unit="ns")))
    stamp = pd.Timestamp(nanoseconds, unit="ns")
    if isinstance(dtype, pd.PeriodDtype):
        # a period's nanoseconds are its start: start <= t exactly when period <= period(t)
        return repr(str(stamp.to_period(dtype.freq)))
    if isinstance(dtype, pd.DatetimeTZDtype):
        return repr(str(stamp.tz_localize("UTC").tz_convert(dtype.tz)))
    text = str(stamp)
    return repr(text[:10] if text.endswith(" 00:00:00") else text)


# a day, an hour, a minute, a second, a millisecond, a microsecond, in nanoseconds: the
# units a time bound is rounded to, coarsest first
_TIME_UNITS = (86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3)


def _rounded_time(gap: np.ndarray) -> int | None:
    """The coarsest whole day, hour, ..., microsecond ``t`` within a split's training gap
    (``gap``: the largest value sent left, the smallest sent right, in int64 nanoseconds),
    so that ``<= t`` and ``t <`` split the training rows as the exact bound does; None if
    there is none."""
    sent_left, sent_right = int(gap[0]), int(gap[1])
    if sent_left == _NO_LEFT or sent_right == _NO_RIGHT:
        return None
    for unit in _TIME_UNITS:
        candidate = ((sent_right - 1) // unit) * unit  # the largest multiple below the right side
        if candidate >= sent_left:
            return candidate
    return None
def _time_subject(name: str, dtype: Any, form: str | None) -> tuple[str, Any]:
    """What a time column's bounds are compared with, and the dtype to write them for.

    pandas compares a numpy or pandas time column and a pyarrow timestamp with a time string
    (a pyarrow timestamp with a zone only when the string carries the offset: its literals
    are written in that zone). A pyarrow date or duration, or Python objects (``form``
    ``"object"``), it compares only once converted: ``name.astype(...)``, in the pyarrow
    column's own unit (a date32 of year 9999 stays in range), objects in nanoseconds, as
    the tree reads them.
    """
    zone = dtype_zone(dtype)  # (the zone, the same lookup as the fit's check of zones)
    if isinstance(dtype, pd.ArrowDtype):
        numpy = dtype.numpy_dtype
        if is_duration_dtype(dtype):
            return f"{name}.astype({str(numpy)!r})", np.dtype("timedelta64[ns]")
        if zone is not None:
            return name, pd.DatetimeTZDtype("ns", zone)
        if getattr(dtype.pyarrow_dtype, "unit", None) is None:  # date32 / date64: no unit, no comparison with text
            return f"{name}.astype({str(numpy)!r})", np.dtype("datetime64[ns]")
        return name, np.dtype("datetime64[ns]")
    if form == "object":
        if zone is not None:
            target = f"datetime64[ns, {zone}]"
        else:
            target = "timedelta64[ns]" if is_duration_dtype(dtype) else "datetime64[ns]"
        return f"{name}.astype({target!r})", dtype
    return name, dtype


def _largest_nanoseconds(bounds: np.ndarray) -> np.ndarray:
    """Per float64 bound, the largest int64 nanoseconds ``n`` with ``float64(n) <= bound``."""
    finite = np.isfinite(bounds)
    result = np.where(bounds > 0, _INT64_HIGH, _INT64_LOW).astype(np.int64)
    if finite.any():
        targets = bounds[finite]
        result[finite] = largest_integer_where(
            lambda n: n.astype(np.float64) <= targets,
            np.full(len(targets), _INT64_LOW),
            np.full(len(targets), _INT64_HIGH),
        )
    return result


def _is_plain_literal(value: Any) -> bool:
    """Values whose literal (:func:`_value_literal`) pandas' query parser reads back as a
    value equal to them: not a ``Fraction`` (1/10 is no float), nor a ``Decimal``."""
    return isinstance(value, (str, bool, np.bool_, numbers.Integral, float, np.floating))


def _value_literal(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, numbers.Integral):
        return repr(int(value))  # exactly, also beyond 2**53 (categories of 64-bit IDs)
    if isinstance(value, numbers.Real):
        return _number_literal(float(value))
    return repr(str(value))


def _number_literal(number: float) -> str:
    """A float as pandas' query reads it back: ``repr``, but infinity as ``1e999`` (Python
    reads it as inf), since pandas takes ``inf`` in a list for a name it cannot evaluate.
    (NaN is never a category: it is the missing value, written ``isna()``.)"""
    if math.isinf(number):
        return "1e999" if number > 0 else "-1e999"
    return repr(number)


# ----------------------------------------------------------------------------- clauses


def _numeric_clauses(
    name: str,
    lower: np.ndarray,
    upper: np.ndarray,
    nan_ok: np.ndarray,
    dtype: Any,
    precision: int | None,
    gaps: tuple[np.ndarray, np.ndarray] | None = None,
    width: np.dtype = _FLOAT64,
    subject: str | None = None,
) -> np.ndarray:
    """One clause per partition for a numeric (or time) column; "" where unconstrained.

    ``gaps``: per partition, the training gap of the split behind its lower and upper bound
    (a time column's, with a ``precision``): the bound is written as the coarsest round
    time within it, which splits the training rows as the exact bound does.
    ``width``: the float dtype of the column, whose values the bounds are (see
    :func:`_largest_of_width`), so ``< next`` is the next value of that width.
    ``subject``: what the bounds compare with, when not the column as it is (see
    :func:`_time_subject`)."""
    is_time = dtype is not None
    # (the gaps as their bits: distinct int64 values stay distinct)
    keyed = [lower, upper, nan_ok] if gaps is None else [lower, upper, nan_ok, *(g.view(np.float64) for g in gaps)]
    first, inverse = _distinct_rows(np.column_stack(keyed))
    d_lower, d_upper, d_nan = lower[first], upper[first], nan_ok[first]
    if is_time:
        # bounds in whole nanoseconds: value > lower is n > lower_n, value <= upper is n <= upper_n
        low_n, high_n = _largest_nanoseconds(d_lower), _largest_nanoseconds(d_upper)
        if gaps is not None and precision is not None and not isinstance(dtype, pd.PeriodDtype):
            for i in range(len(first)):  # one per distinct bound pair, not per row
                rounded = _rounded_time(gaps[0][first[i]]) if d_lower[i] > -np.inf else None
                low_n[i] = low_n[i] if rounded is None else rounded
                rounded = _rounded_time(gaps[1][first[i]]) if d_upper[i] < np.inf else None
                high_n[i] = high_n[i] if rounded is None else rounded
    texts = []
    for i in range(len(first)):
        has_lower, has_upper = d_lower[i] > -np.inf, d_upper[i] < np.inf
        if is_time:
            has_lower &= low_n[i] > _INT64_LOW
            has_upper &= high_n[i] < _INT64_HIGH
            empty = has_lower and has_upper and low_n[i] >= high_n[i]
        else:
            empty = not d_lower[i] < d_upper[i]
        if empty:
            # no value fits: only missing values reach this partition
            texts.append(f"{name}.isna()" if d_nan[i] else f"{name}.isna() and {name}.notna()")
            continue
        if not (has_lower or has_upper):
            texts.append("" if d_nan[i] else f"{name}.notna()")
            continue
        parts = []
        if has_lower:
            if is_time:
                parts.append(_shorter_lower(_time_literal(int(low_n[i]), dtype), _next_time(int(low_n[i]), dtype)))
            else:
                parts.append(_lower_text(float(d_lower[i]), precision, width))
        parts.append(subject or name)
        if has_upper:
            if is_time:
                parts.append(_shorter_upper(_time_literal(int(high_n[i]), dtype), _next_time(int(high_n[i]), dtype)))
            else:
                parts.append(_upper_text(float(d_upper[i]), precision, width))
        text = "".join(parts)
        texts.append(f"({text} or {name}.isna())" if d_nan[i] else text)
    return np.asarray(texts, dtype=object)[inverse]


def _shorter_upper(at: str, above: str | None) -> str:
    """``<= at``, or the same set written ``< above`` (``above`` is the next value) when shorter."""
    return f" < {above}" if above is not None and len(above) < len(at) else f" <= {at}"


def _shorter_lower(at: str, above: str | None) -> str:
    """``at <``, or the same set written ``above <=`` when shorter."""
    return f"{above} <= " if above is not None and len(above) < len(at) else f"{at} < "


def _next_of_width(bound: float, width: np.dtype) -> float:
    """The next value of the float dtype ``width`` above ``bound`` (a value of that width)."""
    return float(np.nextafter(width.type(bound), np.array(np.inf, dtype=width)))


def _upper_text(bound: float, precision: int | None, width: np.dtype = _FLOAT64) -> str:
    above = None if precision is not None else _float_literal(_next_of_width(bound, width), None)
    return _shorter_upper(_float_literal(bound, precision), above)


def _lower_text(bound: float, precision: int | None, width: np.dtype = _FLOAT64) -> str:
    above = None if precision is not None else _float_literal(_next_of_width(bound, width), None)
    return _shorter_lower(_float_literal(bound, precision), above)


def _next_time(nanoseconds: int, dtype: Any) -> str | None:
    """The literal of the next nanosecond, where ``< next`` means ``<= this`` (not for
    periods, whose literal is the period holding the time)."""
    if isinstance(dtype, pd.PeriodDtype) or nanoseconds >= _INT64_HIGH:
        return None
    return _time_literal(nanoseconds + 1, dtype)


def _text_literals(name: str, originals: list[Any]) -> list[str]:
    """Each category as ``name.astype('str')`` writes it (``b'x'`` is ``'x'``, not ``"b'x'"``).

    Raises
    ------
    ValueError
        If two categories are one text: no rule on the text tells them apart; or if a
        category is bytes that are not UTF-8, which ``astype('str')`` cannot decode (the
        rule would raise on any data holding them).
    """
    try:
        texts = list(pd.Series(originals, dtype=object).astype("str"))
    except UnicodeDecodeError:
        undecodable = next(v for v in originals if isinstance(v, bytes) and not _is_utf8(v))
        raise ValueError(
            f"categorical column {name} holds {undecodable!r}, bytes that are not UTF-8, which a rule "
            f"compares as text ({name}.astype('str')) and pandas cannot decode: no rule can select its "
            "partitions; decode the column before fitting (e.g. X[col].str.decode('latin-1')) to get rules"
        ) from None
    if len(set(texts)) < len(texts):
        first = {}
        for value, text in zip(originals, texts):
            if text in first:
                raise ValueError(
                    f"categorical column {name} holds {first[text]!r} and {value!r}, which are both "
                    f"{text!r} as text: a rule cannot tell them apart; make the column one type "
                    "(e.g. X[col].astype(str)) to get rules"
                )
            first[text] = value
    return [repr(text) for text in texts]


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _membership(subject: str, literals: list[str], negated: bool) -> str:
    """``subject in [...]`` (``not in``), or ``subject.isin([...])`` (``~``) for a column
    named as one of pandas' class globals (see ``_SCOPE_FIRST``), so that a rule run where
    the name means something else raises instead of selecting other rows."""
    listed = f"[{', '.join(literals)}]"
    if subject in _SCOPE_FIRST:
        return f"~{subject}.isin({listed})" if negated else f"{subject}.isin({listed})"
    return f"{subject} {'not in' if negated else 'in'} {listed}"


def _refuse_numbers_as_text(name: str, originals: list[Any]) -> None:
    """Refuse a categorical column that a rule must compare as text but that holds numbers.

    Such a column holds values the query cannot write (dates, bytes) or numbers it cannot
    (``Decimal``) beside text. The partitioner takes a number by its value
    (``Decimal('0.1')`` and ``Decimal('0.10')`` are one category, and ``1``, ``1.0`` and
    ``True``: ``_preprocessing._number_key``), but ``astype('str')`` writes each as it is,
    so no text rule selects the category's rows exactly.

    Raises
    ------
    ValueError
        Naming the column, one of its numbers and one of its other values.
    """
    is_number = [isinstance(v, (numbers.Number, np.bool_)) and not isinstance(v, str) for v in originals]
    if not any(is_number):
        return
    number = originals[is_number.index(True)]
    other = originals[is_number.index(False)] if not all(is_number) else number
    raise ValueError(
        f"categorical column {name} mixes numbers ({number!r}) with other values ({other!r}), so a rule must "
        f"compare it as text ({name}.astype('str')), where equal numbers differ (Decimal('0.10') is not '0.1', "
        "1.0 is not '1') but the partitioner takes them as one category: no rule selects its partitions "
        "exactly; make the column one type, text (X[col].astype(str)) or numbers, and fit again"
    )


def _numeric_order(originals: list[Any]) -> np.ndarray:
    """The order of numeric categories by value: exactly (ints beyond 2**53 and beyond
    float64's range included), or by their float values for numbers Python will not compare
    with each other."""
    try:
        return np.asarray(sorted(range(len(originals)), key=originals.__getitem__), dtype=np.intp)
    except TypeError:
        return np.argsort(np.asarray([float(v) for v in originals]), kind="stable")


def _category_clauses(
    name: str, keys: np.ndarray, values: Mapping[str, Any], allowed: np.ndarray, form: str | None = None
) -> np.ndarray:
    """One clause per partition for a categorical column, from its allowed probes.

    ``allowed`` has one column per fit-time category, then one for a missing value and one
    for an unseen category. A partition that takes unseen categories is written as the
    categories it excludes (``not in``), so unseen values match as they do in the tree.
    ``form`` ``"object numbers"``: the column held numbers as Python objects at fit (Decimals
    with a gap, which the fit read as floats), so the rule compares their float values.
    """
    n_keys = len(keys)
    if allowed.all():
        return np.full(len(allowed), "", dtype=object)  # no partition constrains the column
    originals = [values.get(key, key) for key in keys]
    numeric = all(isinstance(v, numbers.Number) and not isinstance(v, complex) for v in originals)
    # a column of Python objects read as floats (Decimals) is compared by its float values;
    # one whose categories are all ints is compared as ints, exactly (IDs beyond 2**53)
    as_floats = form == "object numbers" and not all(isinstance(v, numbers.Integral) for v in originals)
    plain = all(_is_plain_literal(v) for v in originals) and not (numeric and as_floats)
    if plain:
        literals, subject = [_value_literal(v) for v in originals], name
    elif numeric:
        # numbers the parser cannot write (``decimal.Decimal``): the tree keyed them by their
        # float value (``_number_key``), so compare that value
        literals, subject = [_number_literal(float(v)) for v in originals], f"{name}.astype('float64')"
    else:
        _refuse_numbers_as_text(name, originals)
        literals, subject = _text_literals(name, originals), f"{name}.astype('str')"
    if numeric:
        order = _numeric_order(originals)
    else:  # the order of ``values``: a pandas categorical's own order, else by key
        position = {key: i for i, key in enumerate(values)}
        order = np.argsort(np.asarray([position.get(key, len(position)) for key in keys]), kind="stable")
    first, inverse = _distinct_rows(allowed)
    texts = []
    for mask in allowed[first]:
        category_ok, nan_ok, unseen_ok = mask[:n_keys], mask[n_keys], mask[n_keys + 1]
        if mask.all():
            texts.append("")
            continue
        if unseen_ok:
            excluded = [literals[i] for i in order if not category_ok[i]]
            if not excluded:
                texts.append(f"{name}.notna()")  # only the missing value is excluded
            elif nan_ok:
                texts.append(_membership(subject, excluded, negated=True))
            else:
                texts.append(f"{_membership(subject, excluded, negated=True)} and {name}.notna()")
            continue
        included = [literals[i] for i in order if category_ok[i]]
        if not included:
            texts.append(f"{name}.isna()" if nan_ok else f"{name}.isna() and {name}.notna()")
        elif nan_ok:
            texts.append(f"({_membership(subject, included, negated=False)} or {name}.isna())")
        else:
            texts.append(_membership(subject, included, negated=False))
    return np.asarray(texts, dtype=object)[inverse]


def build_rules(
    tree: FittedTree,
    preprocessor: Preprocessor,
    columns: Sequence[str],
    labels: Mapping[str, Hashable],
    time_dtypes: Mapping[str, Any],
    precision: int | None = None,
    missing: str = "all",
    time_ranges: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    forms: Mapping[str, str] | None = None,
) -> np.ndarray:
    """The rule of every partition (partition ``k`` is ``tree.leaf_ids[k]``).

    Parameters
    ----------
    tree : FittedTree
    preprocessor : Preprocessor
        The fitted preprocessing whose tree inputs ``tree`` was grown on.
    columns : sequence of str
        The fit-time column names, in order: clauses follow this order.
    labels : mapping of str to hashable
        The user's own label of each column (an int or a tuple for a pandas frame).
    time_dtypes : mapping of str to dtype
        The original dtype of each column that was a date, duration or period.
    precision : int or None
        Significant digits of numeric bounds; None writes them exactly.
    missing : {"all", "fit"}
        Say where missing values go in every column, or only in those that had missing
        values at fit.
    time_ranges : mapping of str to (ndarray, ndarray), optional
        Per numeric time column, the smallest and largest training value of each partition
        (int64 nanoseconds; the int64 maximum and minimum where it has none). With a
        ``precision``, a bound on such a column is written as the coarsest whole day, hour,
        minute, second, millisecond or microsecond that splits the training rows as the
        tree does; without them, to the nanosecond.
    forms : mapping of str to str, optional
        :func:`column_forms` at fit: float columns narrower than float64, and time columns
        held as objects.

    Returns
    -------
    ndarray of object, shape (n_partitions,)
    """
    ranged = [c for c in preprocessor.numeric_columns if c in (time_ranges or {})] if precision is not None else []
    gaps = None
    if ranged:
        feature_column = np.full(len(preprocessor.input_names()), -1, dtype=np.int64)
        feature_column[[preprocessor.numeric_columns.index(c) for c in ranged]] = np.arange(len(ranged))
        low = np.column_stack([np.asarray(time_ranges[c][0], dtype=np.int64) for c in ranged])
        high = np.column_stack([np.asarray(time_ranges[c][1], dtype=np.int64) for c in ranged])
        gaps = split_gaps(tree, feature_column, low, high)
    paths = _PathBounds(tree, preprocessor, gaps)
    leaves = tree.leaf_ids
    clauses: dict[str, np.ndarray] = {}
    quiet = set()  # columns whose missing values the rules leave unmentioned
    if missing == "fit":
        quiet = set(columns) - set(preprocessor.columns_with_missing or [])
    forms = forms or {}
    for j, column in enumerate(preprocessor.numeric_columns):
        lower, upper, nan_ok = paths.lower[leaves, j], paths.upper[leaves, j], paths.nan_ok[leaves, j]
        width = np.dtype(forms[column] if forms.get(column, "").startswith("float") else np.float64)
        if width != np.float64:
            lower, upper = _largest_of_width(lower, width), _largest_of_width(upper, width)
        name, time_dtype, subject = quote_name(labels[column]), time_dtypes.get(column), None
        if time_dtype is not None:
            subject, time_dtype = _time_subject(name, time_dtype, forms.get(column))
        elif forms.get(column) == "object numbers":
            # Python ints and Decimals compare with a float exactly, where the tree saw their
            # float64 values: 2**60 + 1 <= 2.0**60 is False, its float64 value equals it
            subject = f"{name}.astype('float64')"
        if column in quiet:
            # bounds alone leave missing values out; no bounds, no clause
            nan_ok = (lower == -np.inf) & (upper == np.inf)
        clauses[column] = _numeric_clauses(
            name,
            lower,
            upper,
            nan_ok,
            time_dtype,
            precision,
            (paths.lower_gap[leaves, j], paths.upper_gap[leaves, j]) if column in ranged else None,
            width,
            subject,
        )
    values = preprocessor.category_values or [{} for _ in preprocessor.categorical_columns]
    for c, column in enumerate(preprocessor.categorical_columns):
        keys, _ = paths.probes[c]
        allowed = paths.allowed[c][leaves]
        if column in quiet:
            allowed[:, -2] = allowed[:, -1]  # missing as unseen: "in" leaves it out, "not in" takes it
        clauses[column] = _category_clauses(quote_name(labels[column]), keys, values[c], allowed, forms.get(column))
    ordered = [clauses[c] for c in columns if c in clauses]
    rules = [" and ".join(part for part in parts if part) for parts in zip(*ordered)]
    named = [column for column in columns if column in clauses and any(clauses[column])]
    if len(rules) == 1 and not rules[0]:
        # a single partition holds every row; pandas needs an expression that says so
        named = [next((c for c in columns if _plainly_named(labels[c])), columns[0])]
        first = quote_name(labels[named[0]])
        rules = [f"{first}.isna() or {first}.notna()"]
    check_query_names([labels[column] for column in named], [labels[column] for column in columns])
    return np.asarray(rules, dtype=object)
