"""Safe model files: ``hvrt.save(model, path)`` and ``hvrt.load(path)``.

A model file is a zip archive holding one JSON manifest and the model's numeric arrays as
``.npy`` members. The manifest records the file format and the versions that wrote it, and
describes the fitted estimator as a tree of plain values (numbers, strings, lists,
dicts), references to arrays, and objects of a fixed list of trusted classes (the hvrt
estimators and their parts, and the few scikit-learn classes they hold).

Loading never runs code from the file: the JSON is parsed, each array is read with
``numpy.load(allow_pickle=False)``, and an object is rebuilt only when its class is on the
trusted list, from the state the file gives. A pickle, or any other file, is refused before
anything in it is interpreted. This is the whole reason for the format: unpickling a file
runs whatever the file says. Nor is a member read beyond what a model file of its size can
hold: the sizes its zip directory declares are checked first (a zip bomb of a few kilobytes
declaring gigabytes is refused unread, see ``COMPRESSION_LIMIT``), and each member is read
no further than it declares.

Layout of the archive::

    hvrt-model.json   {"format": "hvrt-model", "format_version": 2, "hvrt_version": ...,
                       "kind": "HVRTPartitioner", "metadata": {...}, "model": <encoded>}
    arrays/0.npy      one member per numeric array of the model
    ...

An object the model holds in two places (a regressor and its partitioner share one
preprocessor) is written once, with an ``"id"``, and referred to elsewhere as
``{"$ref": id}``, so the loaded model shares it too (format version 2; version 1 files,
without references, are still read). Version 3 is written only for a ``PartitionedRegressor``
whose partitions' estimators take standardised inputs, so that an hvrt reading up to version 2
refuses the file rather than feeding those estimators raw inputs.

A user ``scaler=`` is kept only when it is one of scikit-learn's standard scalers
(``StandardScaler``, ``RobustScaler``, ``MinMaxScaler``, ``MaxAbsScaler``,
``QuantileTransformer``, ``PowerTransformer``); a ``PartitionedRegressor(estimator=...)`` only
when it is ``Ridge``, ``LinearRegression``, ``Lasso`` or ``ElasticNet``. Anything else is refused
at save time with an error naming where it sits.
"""

from __future__ import annotations

import copyreg
import datetime
import decimal
import importlib
import io
import json
import math
import os
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._atomic import atomic_path
from ._version import __version__
from .local_models import PartitionedRegressor
from .partitioner import HVRTPartitioner

__all__ = ["ModelFileError", "ModelInfo", "ModelVersionWarning", "load", "model_info", "save"]

FORMAT_NAME = "hvrt-model"
# 2 added shared-object references; 3 marks a regressor whose partitions' estimators take
# standardised inputs (an hvrt that reads 2 would feed them raw inputs, silently wrong); 4 adds
# values of a few more types (dates, times, durations, periods, intervals, bytes, Decimals: the
# categories of a categorical column, see ``_VALUE_TYPES``). A file gets the lowest version that
# holds its model, so older hvrt still read what they can.
FORMAT_VERSION = 4
READABLE_VERSIONS = (1, 2, 3, 4)
MANIFEST = "hvrt-model.json"
_ARRAY_DIR = "arrays/"
MODEL_KINDS = {"HVRTPartitioner": HVRTPartitioner, "PartitionedRegressor": PartitionedRegressor}

# name in the file -> (module, attribute). The name is the class's public import path where it
# has one, so a file does not depend on where a library keeps the class internally. Modules are
# imported only when a file names the class (the histogram engine's module imports numba).
_TRUSTED: dict[str, tuple[str, str]] = {
    "hvrt.HVRTPartitioner": ("hvrt.partitioner", "HVRTPartitioner"),
    "hvrt.PartitionedRegressor": ("hvrt.local_models", "PartitionedRegressor"),
    "hvrt._preprocessing.Preprocessor": ("hvrt._preprocessing", "Preprocessor"),
    "hvrt._preprocessing.CategoryCodes": ("hvrt._preprocessing", "CategoryCodes"),
    "hvrt._engines.ExactTree": ("hvrt._engines", "ExactTree"),
    "hvrt._hist.HistTree": ("hvrt._hist._model", "HistTree"),
    "hvrt._hist.HistFittedTree": ("hvrt._hist._model", "HistFittedTree"),
    "sklearn.tree.DecisionTreeRegressor": ("sklearn.tree", "DecisionTreeRegressor"),
    "sklearn.tree._tree.Tree": ("sklearn.tree._tree", "Tree"),
    "sklearn.impute.SimpleImputer": ("sklearn.impute", "SimpleImputer"),
    "sklearn.preprocessing.OneHotEncoder": ("sklearn.preprocessing", "OneHotEncoder"),
    "sklearn.preprocessing.TargetEncoder": ("sklearn.preprocessing", "TargetEncoder"),
}
SUPPORTED_SCALERS = (
    "StandardScaler", "RobustScaler", "MinMaxScaler", "MaxAbsScaler", "QuantileTransformer", "PowerTransformer",
)  # fmt: skip
SUPPORTED_ESTIMATORS = ("Ridge", "LinearRegression", "Lasso", "ElasticNet")
_TRUSTED.update({f"sklearn.preprocessing.{name}": ("sklearn.preprocessing", name) for name in SUPPORTED_SCALERS})
_TRUSTED.update({f"sklearn.linear_model.{name}": ("sklearn.linear_model", name) for name in SUPPORTED_ESTIMATORS})
# Classes rebuilt by calling them with arguments from the file (their pickle protocol does so);
# every other trusted class is made with ``cls.__new__(cls)`` and handed its state.
_CONSTRUCTED = {"sklearn.tree._tree.Tree"}
# numpy scalar types and builtins a parameter may hold as a type (OneHotEncoder(dtype=np.float64))
_TYPES = {
    name: getattr(np, name)
    for name in ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool_", "object_")
}
_TYPES.update({"float": float, "int": int, "bool": bool, "str": str, "object": object})


class ModelFileError(ValueError):
    """A file that is not an hvrt model file, a damaged or truncated one, or one this version of
    hvrt cannot read."""


class ModelVersionWarning(UserWarning):
    """A model file written by another version of hvrt."""


@dataclass(frozen=True)
class ModelInfo:
    """What a model file says about itself, read without rebuilding the model.

    Attributes
    ----------
    kind : str
        ``"HVRTPartitioner"`` or ``"PartitionedRegressor"``.
    format_version : int
    hvrt_version : str
        The hvrt version that wrote the file.
    metadata : dict
        The ``metadata`` given to :func:`save` (plain JSON values).
    """

    kind: str
    format_version: int
    hvrt_version: str
    metadata: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- saving


def _trusted_name(cls: type) -> str | None:
    """The file name of a trusted class, or None (a class is matched by identity, not by name)."""
    for name, (module, attribute) in _TRUSTED.items():
        if cls.__name__ == attribute and cls.__module__.split(".")[0] == module.split(".")[0]:
            if getattr(importlib.import_module(module), attribute, None) is cls:
                return name
    return None


class _Encoder:
    """Turns a model into JSON-able values plus a list of numeric arrays."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.holds_values = False  # whether a value of _VALUE_TYPES was written (format version 4)
        self._active: set[int] = set()
        self._ids: dict[int, int] = {}  # id() of each object written -> its number in the file
        self._written: list[Any] = []  # keeps them alive, so that no id() is reused

    def encode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, np.ndarray):
            return self._array(value, where)
        if isinstance(value, np.generic):
            return {"$scalar": value.dtype.str, "value": self.encode(value.item(), where)}
        if isinstance(value, np.dtype):
            if value.fields is not None:
                raise TypeError(f"cannot save {where}: a structured dtype is not supported")
            return {"$dtype": value.str}
        if isinstance(value, type):
            for name, known in _TYPES.items():
                if value is known:
                    return {"$type": name}
            raise TypeError(f"cannot save {where}: the type {value.__name__} is not one a model file may hold")
        if isinstance(value, list):
            return [self.encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(item, f"{where}[{i}]") for i, item in enumerate(value)]}
        if isinstance(value, dict):
            return {"$dict": [[self.encode(k, where), self.encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
        if isinstance(value, pd.DataFrame):
            return self._frame(value, where)
        encoded_value = self._value(value, where)
        if encoded_value is not None:
            return encoded_value
        return self._object(value, where)

    def _attribute(self, state: dict, key: str, where: str) -> Any:
        """An object's attribute; a preprocessing's categories that cannot be written are
        refused naming their column, not their place in the model."""
        try:
            return self.encode(state[key], where)
        except TypeError:
            if key == "category_values" and "categorical_columns" in state:
                refusal = _category_refusal(state, where)
                if refusal is not None:
                    raise refusal from None
            raise

    def _value(self, value: Any, where: str) -> dict | None:
        """A date, time, duration, period, interval, bytes or Decimal (a category of a
        categorical column, kept for its readable rules) as plain values, or None for any
        other object. Each is rebuilt by :meth:`_Decoder._value` from the same fields."""
        if isinstance(value, pd.Timestamp):  # (before datetime, its base class)
            encoded = {"$value": "Timestamp", "text": value.isoformat(), "unit": value.unit, "tz": _zone_name(value.tzinfo)}
        elif isinstance(value, pd.Timedelta):  # (before timedelta)
            encoded = {"$value": "Timedelta", "ticks": int(value.asm8.view(np.int64)), "unit": value.unit}
        elif isinstance(value, pd.Period):
            encoded = {"$value": "Period", "ordinal": int(value.ordinal), "freq": value.freqstr}
        elif isinstance(value, pd.Interval):
            ends = [self.encode(value.left, where), self.encode(value.right, where)]
            encoded = {"$value": "Interval", "ends": ends, "closed": value.closed}
        elif isinstance(value, datetime.datetime):
            encoded = {"$value": "datetime", "text": value.isoformat(), "tz": _zone_name(value.tzinfo)}
        elif isinstance(value, datetime.date):
            encoded = {"$value": "date", "text": value.isoformat()}
        elif isinstance(value, datetime.time):
            encoded = {"$value": "time", "text": value.isoformat()}
        elif isinstance(value, datetime.timedelta):
            encoded = {"$value": "timedelta", "parts": [value.days, value.seconds, value.microseconds]}
        elif isinstance(value, bytes):
            encoded = {"$value": "bytes", "hex": value.hex()}
        elif isinstance(value, decimal.Decimal):
            encoded = {"$value": "Decimal", "text": str(value)}
        else:
            return None
        self.holds_values = True
        return encoded

    def _array(self, value: np.ndarray, where: str) -> Any:
        if value.dtype == object:
            items = [self.encode(item, f"{where}[...]") for item in value.ravel().tolist()]
            return {"$object_array": list(value.shape), "items": items}
        if value.dtype.hasobject:
            raise TypeError(f"cannot save {where}: an array of dtype {value.dtype} holds Python objects")
        self.arrays.append(value)
        return {"$array": len(self.arrays) - 1}

    def _frame(self, frame: pd.DataFrame, where: str) -> Any:
        index = frame.index
        if isinstance(index, pd.RangeIndex):
            encoded_index: Any = {"$range": [index.start, index.stop, index.step]}
        else:
            encoded_index = self.encode(index.to_numpy(), f"{where}.index")
        return {
            "$frame": {
                "columns": [self.encode(c, where) for c in frame.columns],
                "dtypes": [str(d) for d in frame.dtypes],
                "values": [self.encode(frame[c].to_numpy(), f"{where}[{c!r}]") for c in frame.columns],
                "index": encoded_index,
            }
        }

    def _object(self, value: Any, where: str) -> Any:
        cls = type(value)
        name = _trusted_name(cls)
        if name is None:
            raise TypeError(_refusal(value, where))
        if id(value) in self._active:
            raise TypeError(f"cannot save {where}: the model refers to itself")
        if id(value) in self._ids:
            return {"$ref": self._ids[id(value)]}
        number = self._ids[id(value)] = len(self._written)
        self._written.append(value)
        reduced = value.__reduce_ex__(4)
        if len(reduced) > 3 and any(part is not None for part in reduced[3:]):
            raise TypeError(f"cannot save {where}: {cls.__name__} pickles as a container, which is not supported")
        constructor, arguments = reduced[0], reduced[1]
        state = reduced[2] if len(reduced) > 2 else None
        self._active.add(id(value))
        try:
            if isinstance(state, dict) and all(isinstance(key, str) for key in state):
                # attributes: name them in errors as a user writes them (model.partitioner_.scaler)
                encoded_state: Any = {"$dict": [[key, self._attribute(state, key, f"{where}.{key}")] for key in state]}
            else:
                encoded_state = self.encode(state, where)
            encoded: dict[str, Any] = {"$object": name, "id": number, "state": encoded_state}
            if name in _CONSTRUCTED:
                if constructor is not cls:
                    raise TypeError(f"cannot save {where}: {cls.__name__} does not rebuild from its own class")
                encoded["args"] = self.encode(tuple(arguments), where)
            elif not (constructor is copyreg.__newobj__ and tuple(arguments) == (cls,)):
                raise TypeError(f"cannot save {where}: {cls.__name__} does not pickle as plain state")
        finally:
            self._active.discard(id(value))
        return encoded


def _zone_name(zone: Any) -> str | None:
    """The name of a named time zone (zoneinfo, pytz, dateutil's UTC), else None: a fixed
    offset is kept by the time's ISO text itself."""
    if zone is None:
        return None
    name = getattr(zone, "key", None) or getattr(zone, "zone", None)
    if name is None and zone.utcoffset(None) == datetime.timedelta(0) and str(zone) in ("UTC", "tzutc()"):
        name = "UTC"
    return str(name) if name is not None else None


def _category_refusal(state: dict, where: str) -> TypeError | None:
    """The error for a preprocessing's category (``category_values``) that a model file cannot
    hold, naming its categorical column; None when every category can be written."""
    columns = state.get("categorical_columns") or []
    for column, values in zip(columns, state.get("category_values") or []):
        for value in values.values():
            try:
                _Encoder().encode(value, where)
            except TypeError:
                kind = type(value)
                return TypeError(
                    f"cannot save {where.rsplit('.', 1)[0]}: categorical column {column!r} holds the category "
                    f"{value!r}, a {kind.__module__}.{kind.__qualname__}, which a model file cannot hold (it holds "
                    "numbers, text, bools, dates, times, durations, periods, intervals, bytes and Decimals); "
                    f"make the column text before fitting (X[{column!r}].astype(str)), or save the model with joblib"
                )
    return None


def _refusal(value: Any, where: str) -> str:
    cls = type(value)
    if isinstance(value, np.random.RandomState):
        return f"cannot save {where}: a numpy RandomState; give the estimator an int random_state (or None) to save it"
    attribute = where.rsplit(".", 1)[-1]
    if attribute == "scaler":
        return (
            f"cannot save {where}: {cls.__name__} is not one of the scalers a model file may hold; "
            f"supported: {', '.join(SUPPORTED_SCALERS)} (scikit-learn), or scaler=None"
        )
    if attribute in ("estimator", "estimators_") or attribute.startswith("estimators_["):
        return (
            f"cannot save {where}: {cls.__name__} is not one of the estimators a model file may hold; "
            f"supported: {', '.join(SUPPORTED_ESTIMATORS)} (scikit-learn), or estimator=None; use joblib for others"
        )
    return f"cannot save {where}: a {cls.__module__}.{cls.__qualname__} is not a type an hvrt model file may hold"


def _format_version(model: Any, encoder: _Encoder) -> int:
    """The lowest format version that holds ``model`` (written by ``encoder``) with its meaning."""
    if encoder.holds_values:
        return 4
    if getattr(model, "estimators_", None) is not None and getattr(model, "_estimator_inputs", None) == "standardised":
        return 3
    return 2


def save(model: HVRTPartitioner | PartitionedRegressor, path: str | os.PathLike, *, metadata: dict | None = None) -> Path:
    """Write a partitioner or regressor to a model file that loads without running code.

    The file is a zip archive of a JSON manifest (format and versions, the model's
    parameters and fitted state) and ``.npy`` arrays; see :mod:`hvrt.persistence`. It is
    written to a temporary file in the target folder and renamed, so a failed save never
    leaves a partial file.

    Parameters
    ----------
    model : HVRTPartitioner or PartitionedRegressor
        Fitted or not.
    path : str or path-like
        Any file name; ``.hvrt`` is a good suffix.
    metadata : dict, optional
        Plain JSON values kept beside the model and read back as given by
        :func:`model_info`: str keys, and lists rather than tuples (others would come back
        changed, so they are refused).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    TypeError
        If ``model`` is neither estimator, or holds an object a model file may not hold
        (a ``scaler`` other than scikit-learn's standard scalers, a regressor other than
        ``Ridge``, ``LinearRegression``, ``Lasso`` or ``ElasticNet``, a ``RandomState``);
        the message names where it sits. Also if ``path`` is not a str or path-like, or
        ``metadata`` not a dict.
    ValueError
        If ``metadata`` is not plain JSON, or would not be read back as given (a key that
        is not a str, a tuple).
    IsADirectoryError
        If ``path`` is a folder.
    FileNotFoundError
        If ``path``'s folder does not exist.

    Examples
    --------
    >>> import numpy as np, hvrt, tempfile, os
    >>> X = np.random.default_rng(0).normal(size=(500, 3))
    >>> model = hvrt.HVRTPartitioner(max_leaf_nodes=8).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.hvrt")
    >>> (hvrt.load(hvrt.save(model, path)).predict(X) == model.predict(X)).all()
    np.True_
    """
    kind = next((name for name, cls in MODEL_KINDS.items() if type(model) is cls), None)
    if kind is None:
        local = " (save its .to_local(), the same model in memory)" if hasattr(model, "to_local") else ""
        raise TypeError(
            f"hvrt.save takes an HVRTPartitioner or a PartitionedRegressor, got {type(model).__name__}{local}"
        )
    target = _as_path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{str(target)!r} is a folder; give the model file's name (e.g. model.hvrt)")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict of plain JSON values, got {type(metadata).__name__}")
    try:
        metadata_text = json.dumps(metadata or {}, allow_nan=False)
        _check_round_trip(metadata or {}, "metadata")
    except (TypeError, ValueError) as err:
        raise ValueError(f"metadata must hold plain JSON values (str, numbers, lists, dicts): {err}") from None
    encoder = _Encoder()
    encoded_model = encoder.encode(model, kind)
    manifest = {
        "format": FORMAT_NAME,
        "format_version": _format_version(model, encoder),
        "hvrt_version": __version__,
        "written_with": {"numpy": np.__version__, "pandas": pd.__version__, "scikit-learn": _sklearn_version()},
        "kind": kind,
        "metadata": json.loads(metadata_text),
        "model": encoded_model,
    }
    with atomic_path(target) as temporary:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, allow_nan=False))
            for position, array in enumerate(encoder.arrays):
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                archive.writestr(f"{_ARRAY_DIR}{position}.npy", buffer.getvalue())
    return target


def _check_round_trip(value: Any, where: str) -> None:
    """Refuse metadata that JSON would give back changed: a key that is not a str (``1``
    comes back as ``"1"``) or a tuple (it comes back a list). ``json.dumps`` refuses the
    rest (NaN, objects) itself. (``save`` turns the TypeError into its ValueError.)"""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has the key {key!r}, which would be read back as the string {str(key)!r} "
                    "(JSON keys are strings); use str keys"
                )
            _check_round_trip(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        if isinstance(value, tuple):
            raise TypeError(f"{where} is a tuple, which would be read back as a list; pass a list")
        for position, item in enumerate(value):
            _check_round_trip(item, f"{where}[{position}]")


def _as_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a path-like object, got {type(path).__name__}")
    return Path(path)


# what zipfile and zlib raise on a damaged archive (CRC mismatch, truncated deflate stream,
# mangled headers, an encrypted or unknown compression member)
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


# What a model file may declare, checked from its zip directory before any member is read:
# a zip entry's uncompressed size is the size a read allocates, and a few kilobytes of deflate
# can declare (and hold) gigabytes of zeros.
# - The manifest: 2-4 kB for a model without categories; each category adds about 45 bytes
#   (2.3 MB for a column of 50,000 short names). 128 MiB holds some 3 million of them.
MANIFEST_LIMIT = 128 * 2**20
# - All members together: hvrt.save deflates at level 1, which never compresses more than
#   229 times (a member of zeros; a fitted partitioner of constant rows is 208 times its file
#   at 1M rows, real models 3-10 times, a native column of 50,000 categories 6.5 times), while
#   deflate at its best level reaches 1,030 times. A file may declare up to this many times
#   its own size, and up to COMPRESSION_FLOOR whatever its size (a small model zipped again
#   by another tool).
COMPRESSION_LIMIT = 500
COMPRESSION_FLOOR = 64 * 2**20


def _check_declared_sizes(archive: zipfile.ZipFile, path: Path) -> None:
    """Refuse an archive whose members declare more bytes than a model file of its size can
    hold, from its zip directory, before any member is read (M30)."""
    infos = archive.infolist()
    size = path.stat().st_size
    declared = sum(info.file_size for info in infos)
    if infos and declared > max(COMPRESSION_FLOOR, COMPRESSION_LIMIT * size):
        biggest = max(infos, key=lambda info: info.file_size)
        raise ModelFileError(
            f"{str(path)!r} is not a valid hvrt model file: its members declare more bytes uncompressed than a "
            f"model file of its size holds ({biggest.filename} alone {biggest.file_size:,}, all {declared:,}: "
            f"{declared / max(size, 1):,.0f} times the file's {size:,} bytes, where a model file holds at most "
            f"{COMPRESSION_LIMIT} times its size, or {COMPRESSION_FLOOR:,} bytes); it is forged (a zip bomb) or "
            "damaged, and nothing in it was read"
        )
    manifest = next((info for info in infos if info.filename == MANIFEST), None)
    if manifest is not None and manifest.file_size > MANIFEST_LIMIT:
        raise ModelFileError(
            f"{str(path)!r} is not a valid hvrt model file: its {MANIFEST} declares {manifest.file_size:,} bytes, "
            f"more than the {MANIFEST_LIMIT:,} a model's manifest may hold; it is forged (a zip bomb) or damaged, "
            "and it was not read"
        )


def _read_member(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    """A member of the archive; KeyError when it is absent, ModelFileError when damaged.

    At most the size its zip entry declares is read (zipfile cuts a member's data there and
    then checks its CRC, so a member holding more is refused as damaged at that size); a
    member holding fewer bytes than it declares is refused (M30)."""
    try:
        info = archive.getinfo(name)
        with archive.open(info) as stream:
            data = stream.read(info.file_size)
    except KeyError:
        raise
    except _DAMAGED as err:
        raise ModelFileError(f"{str(path)!r} is a damaged hvrt model file ({name}: {err})") from None
    if len(data) != info.file_size:
        raise ModelFileError(
            f"{str(path)!r} is not a valid hvrt model file: {name} holds {len(data):,} bytes but its zip entry "
            f"declares {info.file_size:,}; the file is forged or damaged"
        )
    return data


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


# --------------------------------------------------------------------------- loading


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    try:
        text = _read_member(archive, MANIFEST, path)
    except KeyError:
        raise ModelFileError(f"{str(path)!r} is a zip archive but not an hvrt model file (no {MANIFEST})") from None
    try:
        manifest = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ModelFileError(f"{str(path)!r} is not an hvrt model file (its {MANIFEST} is not JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{str(path)!r} is not an hvrt model file")
    version = manifest.get("format_version")
    writer = manifest.get("hvrt_version", "unknown")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        *earlier, last = map(str, READABLE_VERSIONS)
        readable = f"{', '.join(earlier)} and {last}" if earlier else last
        raise ModelFileError(
            f"{str(path)!r} is an hvrt model file of format version {version!r}, written by hvrt {writer}; "
            f"hvrt {__version__} reads format versions {readable} only (load it with hvrt {writer})"
        )
    if manifest.get("kind") not in MODEL_KINDS:
        raise ModelFileError(f"{str(path)!r} holds an unknown kind of model: {manifest.get('kind')!r}")
    if not isinstance(manifest.get("hvrt_version"), str) or not isinstance(manifest.get("metadata", {}), dict):
        raise ModelFileError(f"{str(path)!r} is not a valid hvrt model file: its hvrt_version or metadata is missing or malformed")
    return manifest


# A zip archive starts with the local header of its first member (the member's name follows
# the header's 30 bytes); a model file's first member is its manifest. zipfile finds an
# archive by the directory at its end, which a truncated file has lost.
_LOCAL_HEADER = b"PK\x03\x04"
# bytes read of an .npy member to check its header before its data: numpy's magic (8 bytes),
# the header's length (4) and the header, which numpy itself refuses beyond 10,000 bytes
_NPY_HEAD = 12 + 10_000
_LOCAL_HEADER_SIZE = 30


def _refuse_truncated_archive(path: Path, head: bytes) -> None:
    """Name a file that starts as a zip archive but has no directory at its end: truncated
    (an interrupted copy or download) or damaged at its end. It is said to be an hvrt model
    file when its first member is the manifest, so the user knows to fetch it again rather
    than look for a different file."""
    size = path.stat().st_size
    if size == 0:
        raise ModelFileError(f"{str(path)!r} is empty (0 bytes), not an hvrt model file; write one with hvrt.save")
    if not head.startswith(_LOCAL_HEADER):
        return
    name_length = int.from_bytes(head[26:28], "little")  # the header's file-name length field
    name = head[_LOCAL_HEADER_SIZE : _LOCAL_HEADER_SIZE + name_length]
    ending = f"it ends after {size:,} bytes, without the zip directory a model file ends with"
    again = "copy the file again or save the model again"
    if not name:
        raise ModelFileError(
            f"{str(path)!r} is a damaged zip archive, cut short after {size:,} bytes (too short to tell "
            f"whether it was an hvrt model file); {again}"
        )
    # the manifest's name exactly (its start only when the file ends inside the name): a first
    # member named "h" or "hvrt-model.json.bak" is another archive's
    if name_length == len(MANIFEST) and MANIFEST.encode().startswith(name):
        raise ModelFileError(
            f"{str(path)!r} is an hvrt model file, but damaged: it is truncated ({ending}), by an "
            f"interrupted copy or download perhaps, or its end is overwritten; {again}"
        )
    raise ModelFileError(
        f"{str(path)!r} is not an hvrt model file: it is a damaged or truncated zip archive ({ending}) "
        f"whose first member is {name.decode(errors='replace')!r}, not {MANIFEST}"
    )


def _open(path: str | os.PathLike) -> tuple[zipfile.ZipFile, Path]:
    path = _as_path(path)
    if path.is_dir():
        raise IsADirectoryError(f"model file {str(path)!r} is a folder, not a file")
    if not path.is_file():
        if path.exists():  # a named pipe, a device or a socket: reading it might block or never end
            raise ModelFileError(
                f"model file {str(path)!r} is not a regular file (a named pipe, a device or a socket), "
                "so not an hvrt model file; give the path of a file written by hvrt.save"
            )
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    with open(path, "rb") as handle:
        head = handle.read(_LOCAL_HEADER_SIZE + 256)  # a first member's name, to show it
    if not zipfile.is_zipfile(path):
        _refuse_truncated_archive(path, head)
        hint = ""
        if head[:1] == b"\x80" or head[:2] in (b"x\x9c", b"\x1f\x8b"):
            hint = " (it looks like a pickle or a joblib file; hvrt never loads those, because loading them runs code from the file)"
        raise ModelFileError(f"{str(path)!r} is not an hvrt model file{hint}; write one with hvrt.save")
    try:
        archive = zipfile.ZipFile(path)
    except _DAMAGED as err:
        raise ModelFileError(f"{str(path)!r} is a damaged hvrt model file ({err})") from None
    try:
        _check_declared_sizes(archive, path)
    except BaseException:
        archive.close()
        raise
    return archive, path


def model_info(path: str | os.PathLike) -> ModelInfo:
    """Read what a model file says about itself, without rebuilding the model.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    ModelInfo

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    IsADirectoryError
        If ``path`` is a folder.
    TypeError
        If ``path`` is not a str or path-like.
    ModelFileError
        (a ``ValueError``) If the file is not an hvrt model file (or not a regular file: a
        named pipe, a device), is damaged, or its format version is not the one this hvrt reads.
    """
    archive, path = _open(path)
    with archive:
        manifest = _read_manifest(archive, path)
    return ModelInfo(manifest["kind"], manifest["format_version"], manifest["hvrt_version"], manifest.get("metadata") or {})


def load(path: str | os.PathLike) -> HVRTPartitioner | PartitionedRegressor:
    """Read a model written by :func:`save`; nothing in the file is run.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    HVRTPartitioner or PartitionedRegressor
        Labels and predicts exactly as the saved model.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    IsADirectoryError
        If ``path`` is a folder.
    TypeError
        If ``path`` is not a str or path-like.
    ModelFileError
        (a ``ValueError``) If the file is not an hvrt model file (a pickle, say, or not a regular
        file: a named pipe, a device), is damaged, names a
        class that is not on the trusted list, or has a format version this hvrt does not
        read; the message says which versions.

    Warns
    -----
    ModelVersionWarning
        If the file was written by another version of hvrt.
    """
    archive, path = _open(path)
    with archive:
        manifest = _read_manifest(archive, path)
        if manifest["hvrt_version"] != __version__:
            warnings.warn(
                f"{str(path)!r} was saved by hvrt {manifest['hvrt_version']} and is loaded by hvrt {__version__}; "
                "check that it labels as expected, or save it again with this version",
                ModelVersionWarning,
                stacklevel=2,
            )
        written = (manifest.get("written_with") or {}).get("scikit-learn")
        if isinstance(written, str) and written != _sklearn_version():
            _warn_of_sklearn(path, written, _sklearn_version())
        decoder = _Decoder(archive, path)
        try:
            # scikit-learn warns once per estimator it finds written by another version (27 alike
            # for a regressor of 27 local models): the one warning above names the file instead
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model = decoder.decode(manifest["model"])
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError, ArithmeticError) as err:
            raise decoder.fail(f"{type(err).__name__}: {err}") from None
        _pass_on(caught, path, None if isinstance(written, str) else _sklearn_version())
    if type(model) is not MODEL_KINDS[manifest["kind"]]:
        raise ModelFileError(f"{str(path)!r} says it holds a {manifest['kind']} but does not")
    for partitioner in (model, getattr(model, "partitioner_", None)):
        if isinstance(partitioner, HVRTPartitioner) and hasattr(partitioner, "tree_"):
            _check_tree(partitioner.get_tree(), decoder)
            _check_labels(partitioner, decoder)
    return model


def _warn_of_sklearn(path: Path, written: str, current: str) -> None:
    warnings.warn(
        f"{str(path)!r} was saved with scikit-learn {written} and is loaded with scikit-learn {current}; check that "
        "it predicts as expected, or save it again with these versions",
        ModelVersionWarning,
        stacklevel=3,
    )


def _pass_on(caught: list[warnings.WarningMessage], path: Path, unrecorded: str | None) -> None:
    """Warn again what rebuilding the model warned, but scikit-learn's warnings of its version: once
    as a :class:`ModelVersionWarning` naming the file when the manifest recorded no version
    (``unrecorded`` is then this scikit-learn's version), else not (the manifest's was compared)."""
    told = False
    for message in caught:
        if type(message.message).__name__ == "InconsistentVersionWarning":
            if unrecorded is not None and not told:
                written = getattr(message.message, "original_sklearn_version", "another version")
                _warn_of_sklearn(path, str(written), unrecorded)
                told = True
            continue
        warnings.warn_explicit(message.message, message.category, message.filename, message.lineno)


def _check_tree(tree: Any, decoder: _Decoder) -> None:
    """Refuse a tree whose structure would make labelling read outside its arrays or loop.

    The compiled labelling kernels do not check bounds, so a forged file could otherwise
    crash the process. Both engines number a node's children after the node itself.
    """
    if hasattr(tree, "tree_"):  # scikit-learn's DecisionTreeRegressor
        structure = tree.tree_
        left, right, feature = structure.children_left, structure.children_right, structure.feature
        n_features = structure.n_features
        arrays = [left, right, feature, structure.threshold]
    else:  # HistTree
        left, right, feature = tree.children_left, tree.children_right, tree.feature
        n_features = len(tree.bin_edges)
        arrays = [left, right, feature, tree.threshold, tree.nan_left]
        categorical = getattr(tree, "categorical", None)
        category_left = getattr(tree, "category_left", None)
        if (categorical is None) != (category_left is None) or (
            categorical is not None
            and (
                np.shape(categorical) != (n_features,)
                or np.ndim(category_left) != 2
                or len(category_left) != len(left)
                or np.asarray(category_left).dtype != bool
            )
        ):
            raise decoder.fail("its categorical splits do not match its tree")
    n_nodes = len(left)
    nodes = np.arange(n_nodes)
    leaf = left < 0
    well_formed = (
        n_nodes >= 1
        and all(len(array) == n_nodes for array in arrays)
        and np.array_equal(leaf, right < 0)
        and np.all(left[~leaf] > nodes[~leaf]) and np.all(left[~leaf] < n_nodes)
        and np.all(right[~leaf] > nodes[~leaf]) and np.all(right[~leaf] < n_nodes)
        and np.all(feature[~leaf] >= 0) and np.all(feature[~leaf] < n_features)
    )  # fmt: skip
    if not well_formed:
        raise decoder.fail("its tree structure is inconsistent (child or feature indices out of range)")


def _check_labels(partitioner: HVRTPartitioner, decoder: _Decoder) -> None:
    """Refuse a leaf-to-label table that does not number the tree's leaves 0 .. K - 1 in
    node order, as ``fit`` does: the labelling kernel reads it without a bounds check, and
    any other numbering would label rows wrongly without a word."""
    tree = partitioner.get_tree()
    leaf_ids = np.flatnonzero((tree.tree_.children_left if hasattr(tree, "tree_") else tree.children_left) < 0)
    table = getattr(partitioner, "_leaf_to_label", None)
    if not (
        isinstance(table, np.ndarray)
        and table.ndim == 1
        and table.dtype == np.int64
        and len(table) > leaf_ids[-1]
        and np.array_equal(table[leaf_ids], np.arange(len(leaf_ids)))
        and partitioner.n_partitions_ == len(leaf_ids)
    ):
        raise decoder.fail("its partition labels do not match its tree's leaves")


class _Decoder:
    def __init__(self, archive: zipfile.ZipFile, path: Path) -> None:
        self.archive = archive
        self.path = path
        self._shared: dict[int, Any] = {}  # objects read so far, by their number in the file

    def fail(self, what: str) -> ModelFileError:
        return ModelFileError(f"{str(self.path)!r} is not a valid hvrt model file: {what}")

    def decode(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            return [self.decode(item) for item in value]
        if not isinstance(value, dict) or len(value) == 0:
            raise self.fail(f"unexpected value {str(value)[:80]}")
        tag = next(iter(value))
        if tag == "$float":
            return float(value["$float"]) if value["$float"] in ("nan", "inf", "-inf") else self._bad(value)
        if tag == "$array":
            return self._array(value["$array"])
        if tag == "$object_array":
            items = self.decode(value["items"])
            result = np.empty(len(items), dtype=object)
            result[:] = items
            return result.reshape(value["$object_array"])
        if tag == "$scalar":
            return np.dtype(self._dtype(value["$scalar"])).type(self.decode(value["value"]))
        if tag == "$dtype":
            return np.dtype(self._dtype(value["$dtype"]))
        if tag == "$type":
            if value["$type"] not in _TYPES:
                raise self.fail(f"unknown type {value['$type']!r}")
            return _TYPES[value["$type"]]
        if tag == "$tuple":
            return tuple(self.decode(value["$tuple"]))
        if tag == "$dict":
            return {self._key(k): self.decode(v) for k, v in value["$dict"]}
        if tag == "$frame":
            return self._frame(value["$frame"])
        if tag == "$object":
            return self._object(value)
        if tag == "$value":
            return self._value(value)
        if tag == "$ref":
            if value["$ref"] not in self._shared or isinstance(value["$ref"], bool):
                raise self.fail(f"a reference to object {str(value['$ref'])[:20]}, which comes nowhere before it")
            return self._shared[value["$ref"]]
        raise self.fail(f"unknown tag {tag!r}")

    def _value(self, value: dict) -> Any:
        """A value :meth:`_Encoder._value` wrote, rebuilt from its plain fields by its type's
        own constructor (nothing from the file is run; a malformed field raises, and ``load``
        names the file)."""
        kind = value["$value"]
        if kind == "Timestamp":
            stamp = pd.Timestamp(str(value["text"])).as_unit(str(value["unit"]))
            return stamp if value["tz"] is None else stamp.tz_convert(str(value["tz"]))
        if kind == "Timedelta":
            return pd.Timedelta(np.timedelta64(int(value["ticks"]), str(value["unit"])))
        if kind == "Period":
            return pd.Period(ordinal=int(value["ordinal"]), freq=str(value["freq"]))
        if kind == "Interval":
            left, right = (self.decode(end) for end in value["ends"])
            return pd.Interval(left, right, closed=str(value["closed"]))
        if kind == "datetime":
            moment = datetime.datetime.fromisoformat(str(value["text"]))
            if value["tz"] is None:
                return moment
            import zoneinfo

            return moment.astimezone(zoneinfo.ZoneInfo(str(value["tz"])))
        if kind == "date":
            return datetime.date.fromisoformat(str(value["text"]))
        if kind == "time":
            return datetime.time.fromisoformat(str(value["text"]))
        if kind == "timedelta":
            days, seconds, microseconds = (int(part) for part in value["parts"])
            return datetime.timedelta(days=days, seconds=seconds, microseconds=microseconds)
        if kind == "bytes":
            return bytes.fromhex(str(value["hex"]))
        if kind == "Decimal":
            return decimal.Decimal(str(value["text"]))
        raise self.fail(f"unknown kind of value {str(kind)[:40]!r}")

    def _bad(self, value: Any) -> Any:
        raise self.fail(f"unexpected value {str(value)[:80]}")

    def _key(self, key: Any) -> Any:
        decoded = self.decode(key)
        if isinstance(decoded, (list, dict, np.ndarray)):
            raise self.fail("a dict key that is not a plain value")
        return decoded

    def _dtype(self, text: Any) -> str:
        # plain dtype strings only ("<f8", "|O", "<U7"); never a structured description
        if not (isinstance(text, str) and len(text) <= 8 and text[:1] in "<>|=" and text[1:2].isalpha()):
            raise self.fail(f"unsupported dtype {text!r}")
        return text

    def _array(self, position: Any) -> np.ndarray:
        if not isinstance(position, int) or isinstance(position, bool):
            raise self.fail("an array reference that is not a number")
        member = f"{_ARRAY_DIR}{position}.npy"
        try:
            info = self.archive.getinfo(member)
        except KeyError:
            raise self.fail(f"array {position} is missing") from None
        # the header's claim is checked against the size the zip entry declares before the
        # data is read, and against the bytes read after
        try:
            with self.archive.open(info) as stream:
                head = stream.read(_NPY_HEAD)
        except _DAMAGED as err:
            raise ModelFileError(f"{str(self.path)!r} is a damaged hvrt model file ({member}: {err})") from None
        self._check_array_size(member, head, info.file_size)
        data = _read_member(self.archive, member, self.path)
        self._check_array_size(member, data, len(data))
        try:
            return np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as err:
            raise self.fail(f"array {position} cannot be read without pickle ({err})") from None

    def _check_array_size(self, member: str, data: bytes, size: int) -> None:
        """Refuse an ``.npy`` member whose header claims more (or fewer) bytes than it holds.

        numpy allocates the array the header describes before reading its data, so a forged
        header of a few bytes claiming a huge shape would otherwise end in a raw MemoryError,
        or in a multi-gigabyte allocation before the short read is noticed.

        ``data``: the member's bytes, or only their start (at least the header); ``size``:
        the member's size (as its zip entry declares it, before the data is read).
        """
        stream = io.BytesIO(data)
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
            else:  # 3.0 only adds UTF-8 field names: structured dtypes, which a model never holds
                raise ValueError(f"npy format version {version[0]}.{version[1]}")
        except ValueError as err:
            raise self.fail(f"{member} is not a readable .npy array ({err})") from None
        if dtype.hasobject:
            return  # refused by np.load(allow_pickle=False), with its own message
        if any(extent < 0 for extent in shape):
            raise self.fail(f"{member} claims the shape {shape}, with a negative extent")
        claimed = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
        held = size - stream.tell()
        if claimed != held:
            raise self.fail(
                f"{member} claims an array of shape {shape} and dtype {dtype.str} ({claimed:,} bytes) "
                f"but holds {held:,} bytes of data; the file is damaged or forged"
            )

    def _frame(self, spec: dict) -> pd.DataFrame:
        columns = [self._key(c) for c in spec["columns"]]
        values = [self.decode(v) for v in spec["values"]]
        index_spec = spec["index"]
        if isinstance(index_spec, dict) and "$range" in index_spec:
            index: Any = pd.RangeIndex(*[int(v) for v in index_spec["$range"]])
        else:
            index = pd.Index(self.decode(index_spec))
        frame = pd.DataFrame(dict(zip(columns, values)), index=index)
        for column, dtype in zip(columns, spec["dtypes"]):
            if str(frame[column].dtype) != dtype:
                if not (isinstance(dtype, str) and dtype.replace("[", "").replace("]", "").replace(",", "").replace(" ", "").replace("_", "").isalnum()):
                    raise self.fail(f"unsupported column dtype {dtype!r}")
                frame[column] = frame[column].astype(dtype)
        return frame

    def _object(self, value: dict) -> Any:
        name = value["$object"]
        if name not in _TRUSTED:
            raise self.fail(f"it names the class {name!r}, which is not one hvrt rebuilds")
        module, attribute = _TRUSTED[name]
        cls = getattr(importlib.import_module(module), attribute)
        state = self.decode(value.get("state"))
        if name in _CONSTRUCTED:
            obj = cls(*self.decode(value["args"]))
        else:
            obj = cls.__new__(cls)
        if state is not None:
            setstate = getattr(obj, "__setstate__", None)
            if setstate is not None:
                setstate(state)
            elif isinstance(state, dict):
                obj.__dict__.update(state)
            else:
                raise self.fail(f"the state of a {name} is not a dict")
        if "id" in value:
            if not isinstance(value["id"], int) or isinstance(value["id"], bool) or value["id"] in self._shared:
                raise self.fail(f"an object number {str(value['id'])[:20]} that is not a new number")
            self._shared[value["id"]] = obj
        return obj
