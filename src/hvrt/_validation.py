"""Turning user input into a pandas DataFrame, with errors that name what is wrong.

Everything the partitioner accepts (pandas, numpy, lists, polars and other narwhals
frames) is coerced here, once, so that later stages see one type.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp


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


def to_frame(X: Any, name: str = "X") -> tuple[pd.DataFrame, bool]:
    """Coerce ``X`` to a DataFrame.

    Returns
    -------
    frame : DataFrame
        Array input gets columns ``f0...``; column labels are always strings.
    had_names : bool
        Whether the input carried string column names of its own.
    """
    if sp.issparse(X):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported, pass a dense array or DataFrame"
        )
    if isinstance(X, pd.Series):
        raise ValueError(
            f"Expected 2D array for {name}, got a pandas Series; use series.to_frame() for one feature"
        )
    if not isinstance(X, pd.DataFrame):
        converted = _from_dataframe_protocol(X)
        if converted is not None:
            X = converted
    if isinstance(X, pd.DataFrame):
        had_names = all(isinstance(c, str) for c in X.columns)
        frame = X if had_names else X.set_axis([str(c) for c in X.columns], axis=1)
        if frame.columns.has_duplicates:
            dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
            raise ValueError(f"{name} has duplicate column names: {dupes}")
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(
                f"Expected 2D array for {name}, got {array.ndim}D array instead; "
                "Reshape your data with array.reshape(-1, 1) for one feature"
            )
        if np.iscomplexobj(array):
            raise ValueError(f"Complex data not supported in {name}")
        if array.dtype == object:
            try:  # object arrays of numbers are numeric data
                array = array.astype(np.float64)
            except ValueError:  # strings: keep them, they are categorical columns
                pass
            except TypeError as err:
                raise TypeError(f"{name} holds a value that is neither a number nor a string: {err}") from None
        frame = pd.DataFrame(array, columns=array_column_names(array.shape[1]), copy=False)
        if array.dtype == object:
            frame = frame.infer_objects()
        had_names = False
    if frame.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required ({name}).")
    if frame.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={frame.shape}) while a minimum of 1 is required ({name}).")
    return frame, had_names


def numeric_block(
    frame: pd.DataFrame, columns: Sequence[str], name: str = "X", *, check: bool = True
) -> tuple[np.ndarray, bool]:
    """The given columns as float64 (a view when possible) and whether any value is NaN.

    Complex values and infinities are refused with the offending column names. With
    ``check=False`` the values are not looked at (the NaN flag is False): the caller
    checks them with :func:`has_missing_values`, or with a pass it makes anyway.
    """
    if len(columns) == 0:
        return np.empty((len(frame), 0)), False
    block = frame if len(columns) == frame.shape[1] and list(frame.columns) == list(columns) else frame[list(columns)]
    for column, dtype in block.dtypes.items():
        if pd.api.types.is_complex_dtype(dtype):
            raise ValueError(f"Complex data not supported: column {column!r} of {name}")
    try:
        values = block.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} columns {list(columns)} must be numeric (or be listed in categorical_features): {err}"
        ) from err
    if not check:
        return values, False
    # One cheap reduction answers "all finite?" for the common clean case (einsum's
    # column sum is about 4x as fast as ndarray.sum on row-major data).
    if np.isfinite(np.einsum("ij->j", values)).all():
        return values, False
    return values, has_missing_values(values, columns, name)


def has_missing_values(values: np.ndarray, columns: Sequence[str], name: str = "X") -> bool:
    """Whether ``values`` holds NaN; infinities are refused, naming their columns.

    Raises
    ------
    ValueError
        If a column holds +inf or -inf.
    """
    infinite = np.isinf(values).any(axis=0)
    if infinite.any():
        bad = [columns[i] for i in np.flatnonzero(infinite)]
        raise ValueError(
            f"{name} column(s) {bad} contain infinite values; replace them with finite numbers or NaN"
        )
    return bool(np.isnan(values).any())


def is_categorical_dtype(dtype: Any) -> bool:
    """Object, string, category and bool columns are categorical by default."""
    return not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


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
        warnings.warn(
            f"X does not have valid feature names, but {estimator_name} was fitted with "
            "feature names; columns are matched by position",
            UserWarning,
            stacklevel=3,
        )
    elif had_names and not fitted_with_names:
        warnings.warn(
            f"X has feature names, but {estimator_name} was fitted without feature names; "
            "columns are matched by position",
            UserWarning,
            stacklevel=3,
        )
    return frame.set_axis(list(feature_names), axis=1)


def to_target_frame(y: Any, X_frame: pd.DataFrame, X_is_pandas: bool) -> pd.DataFrame:
    """Validate the optional user ``y`` and return it as a numeric DataFrame aligned to X."""
    if sp.issparse(y):
        raise TypeError("y is a sparse matrix; pass a dense array, Series or DataFrame")
    if isinstance(y, pd.Series):
        frame = y.to_frame(name=str(y.name) if y.name is not None else "target")
    elif isinstance(y, pd.DataFrame):
        frame = y.set_axis([str(c) for c in y.columns], axis=1)
    else:
        converted = _from_dataframe_protocol(y)
        if converted is not None:
            frame = converted
        else:
            array = np.asarray(y)
            if array.ndim == 1:
                frame = pd.DataFrame({"target": array})
            elif array.ndim == 2:
                frame = pd.DataFrame(array, columns=[f"target_{i}" for i in range(array.shape[1])])
            else:
                raise ValueError(f"y must be 1-D or 2-D, got {array.ndim} dimensions")
    if len(frame) != len(X_frame):
        raise ValueError(f"y has {len(frame)} rows but X has {len(X_frame)}; they must match")
    if isinstance(y, (pd.Series, pd.DataFrame)) and X_is_pandas:
        if not frame.index.equals(X_frame.index):
            raise ValueError(
                "y's index differs from X's index; align them (e.g. y.reindex(X.index)) or pass "
                "y.to_numpy() to match rows by position"
            )
    frame = frame.set_axis(X_frame.index, axis=0).infer_objects()
    non_numeric = [c for c, d in frame.dtypes.items() if not pd.api.types.is_numeric_dtype(d)]
    if non_numeric:
        raise ValueError(f"Unknown label type: y must be numeric; column(s) {non_numeric} are not")
    return frame
