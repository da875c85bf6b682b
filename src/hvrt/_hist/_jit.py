"""The kernels' decorator: numba's ``njit``, or the same kernels compiled at install.

``pip install`` compiles the kernels that the engine's Python code calls into an extension
module, ``hvrt._hist._aot`` (numba's ahead-of-time compiler, ``numba.pycc``, on these same
functions: ``_aot_build``, run by ``setup.py``; the exports are listed in ``_aot_exports``).
A kernel decorated with :func:`njit` here is a :class:`Kernel`: a call whose arguments
have the types of one of its exports runs the precompiled code and never imports numba;
any other call compiles the kernel with numba's ``njit``, with the options given, exactly
as before (one source for both). The module is used only when it was built from the
installed sources (a digest of this package's files and of the other modules with
exports: the local models' ``_grouped_products`` and ``_shrunk_solve``) for a CPU whose
features this one has, and not with ``HVRT_NO_AOT=1``; without it (no C compiler at install, a failed build,
an edited checkout), every kernel is numba's.

numba compiles a kernel against its module's globals, where its callees must be numba's
own objects, not :class:`Kernel` wrappers: the numba functions are built from copies of
the kernels sharing one dictionary per module, a copy of the module's globals with each
:class:`Kernel` (and :func:`intrinsic`, and :data:`types` / :data:`ir`) replaced by
numba's object, refreshed before every call into numba. The Python callers keep the
wrappers, so a call always tries the precompiled code first. numba's disk cache sees the
same code, file and name as before, so cached kernels stay valid.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FunctionType, ModuleType
from typing import Any

import numpy as np

from ._aot_exports import DTYPES, EXPORTS, source_digest

_KERNELS: list[Kernel] = []
_INTRINSICS: list[_Intrinsic] = []
# module name -> the globals numba compiles that module's kernels with
_NUMBA_GLOBALS: dict[str, dict[str, Any]] = {}
_SYNC_LOCK = threading.Lock()  # kernels called on several threads at once create one dispatcher each


class LazyModule:
    """A module imported on first attribute access: numba's ``types`` and llvmlite's
    ``ir``, which only an intrinsic's typing (inside a numba compile) reads."""

    def __init__(self, name: str) -> None:
        self._name = name

    def load(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.load(), attribute)


types = LazyModule("numba.core.types")
ir = LazyModule("llvmlite.ir")


# ----------------------------------------------------------------------------- the precompiled module

_aot_state: dict[str, Any] = {"checked": False, "module": None, "enabled": True}


def _cpu_flags() -> set[str] | None:
    """This CPU's feature flags from ``/proc/cpuinfo`` (None where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as lines:
            for line in lines:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return set(value.split())
    except OSError:
        return None
    return None


def _load_aot() -> ModuleType | None:
    if os.environ.get("HVRT_NO_AOT", "").strip() not in ("", "0"):
        return None
    try:
        _aot = importlib.import_module(f"{__package__}._aot")  # an extension module, when built
    except ImportError:
        return None
    try:
        if _aot.built_from() != source_digest():
            return (
                None  # built from other sources (a checkout edited since the install)
            )
        needed = set(_aot.built_for().split())
    except Exception:  # an old or broken build: numba's kernels
        return None
    if needed and not needed <= (_cpu_flags() or set()):
        return None  # built for a CPU with features this one lacks
    return _aot


def aot_module() -> ModuleType | None:
    """The precompiled kernels' module when it is built, current and usable here; else None."""
    if not _aot_state["checked"]:
        _aot_state["module"] = _load_aot()
        _aot_state["checked"] = True
    return _aot_state["module"] if _aot_state["enabled"] else None


def use_aot(enabled: bool) -> bool:
    """Switch the precompiled kernels on or off in this process (tests compare the two
    paths); returns the previous setting."""
    previous = _aot_state["enabled"]
    _aot_state["enabled"] = bool(enabled)
    return previous


# ----------------------------------------------------------------------------- argument checks


def _argument_check(spec: object) -> Callable[[Any], bool]:
    """Whether a value has the type ``spec`` (see ``_aot_exports``) as numba would type it."""
    if spec is None:
        return lambda value: value is None
    if spec == "i8":
        return lambda value: (
            isinstance(value, (int, np.integer))
            and not isinstance(value, (bool, np.bool_))
        )
    if spec == "f8":
        return lambda value: isinstance(value, (float, np.float64))
    if spec == "b1":
        return lambda value: isinstance(value, (bool, np.bool_))
    dtype_code, ndim, order, *read = spec
    dtype = np.dtype(DTYPES[dtype_code])
    contiguous = "C_CONTIGUOUS" if order == "C" else "F_CONTIGUOUS"
    read_only_ok = read == ["r"]

    def check(value: Any) -> bool:
        if type(value) is not np.ndarray or value.dtype != dtype or value.ndim != ndim:
            return False
        flags = value.flags
        return flags[contiguous] and flags.aligned and (read_only_ok or flags.writeable)

    return check


def _signature_check(arguments: Sequence[object]) -> Callable[[tuple], bool]:
    checks = [_argument_check(spec) for spec in arguments]

    def matches(args: tuple) -> bool:
        return len(args) == len(checks) and all(
            check(value) for check, value in zip(checks, args)
        )

    return matches


# ----------------------------------------------------------------------------- numba's side


def _numba_copy(function: FunctionType) -> FunctionType:
    """``function`` over its module's numba globals (same code, name and file)."""
    module_globals = _NUMBA_GLOBALS.setdefault(function.__module__, {})
    copy = FunctionType(
        function.__code__,
        module_globals,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__qualname__ = function.__qualname__
    copy.__module__ = function.__module__
    copy.__doc__ = function.__doc__
    copy.__annotations__ = function.__annotations__
    return copy


def _numba_value(value: Any) -> Any:
    if isinstance(value, (Kernel, _Intrinsic)):
        return value._numba  # set by _sync_numba before it calls this
    if isinstance(value, LazyModule):
        return value.load()
    return value


def _sync_numba() -> None:
    """Give every kernel its numba object and refresh the globals numba compiles against."""
    import numba
    from numba.extending import intrinsic as numba_intrinsic

    with _SYNC_LOCK:
        _sync_numba_locked(numba.njit, numba_intrinsic)


def _sync_numba_locked(numba_njit: Callable, numba_intrinsic: Callable) -> None:
    for kernel in _KERNELS:
        if kernel._numba is None:
            kernel._numba = numba_njit(**kernel._options)(_numba_copy(kernel.py_func))
    for wrapper in _INTRINSICS:
        if wrapper._numba is None:
            wrapper._numba = numba_intrinsic(_numba_copy(wrapper.py_func))
    for name, module_globals in _NUMBA_GLOBALS.items():
        module = sys.modules.get(name)
        if module is not None:
            module_globals.update(
                {key: _numba_value(value) for key, value in vars(module).items()}
            )


class Kernel:
    """A kernel: its precompiled export when the arguments match one, else numba's ``njit``.

    Attributes other than the call (``signatures``, ``py_func`` of the numba function,
    ...) are the numba dispatcher's, which reading them creates (importing numba).
    """

    def __init__(self, py_func: FunctionType, options: dict[str, Any]) -> None:
        self._numba = None
        self._options = options
        self.py_func = py_func
        functools.update_wrapper(self, py_func)
        key = f"{py_func.__module__}.{py_func.__qualname__}"
        self._exports = [
            (name, _signature_check(arguments))
            for name, arguments, _ in EXPORTS.get(key, ())
        ]
        _KERNELS.append(self)

    @property
    def numba_object(self) -> Any:
        """numba's dispatcher of this kernel (created, with numba imported, on first use)."""
        _sync_numba()
        return self._numba

    def __call__(self, *args: Any) -> Any:
        if self._exports:
            module = aot_module()
            if module is not None:
                for name, matches in self._exports:
                    if matches(args):
                        return getattr(module, name)(*args)
        if _misses is not None:
            _record_miss(self, args)
        return self.numba_object(*args)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") or attribute in (
            "_numba",
            "_options",
            "_exports",
            "py_func",
        ):
            raise AttributeError(attribute)
        return getattr(self.numba_object, attribute)

    def __repr__(self) -> str:
        return f"<hvrt kernel {self.py_func.__module__}.{self.py_func.__qualname__}>"

    def __reduce__(self) -> tuple:
        # by name, as pickle does a function (Dask ships tasks that may refer to one)
        return _kernel_named, (self.py_func.__module__, self.py_func.__qualname__)


# ----------------------------------------------------------------------------- finding exports to add

_misses: set[tuple[str, tuple]] | None = None  # while record_misses() runs


def describe_argument(value: Any) -> object:
    """``value``'s type as an argument code of ``_aot_exports`` (what an export would list)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "b1"
    if isinstance(value, (int, np.integer)):
        return "i8"
    if isinstance(value, (float, np.float64)):
        return "f8"
    if type(value) is np.ndarray:
        codes = {np.dtype(name): code for code, name in DTYPES.items()}
        dtype = codes.get(value.dtype, str(value.dtype))
        order = "C" if value.flags.c_contiguous else "F" if value.flags.f_contiguous else "A"
        return (dtype, value.ndim, order) + (() if value.flags.writeable else ("r",))
    return type(value).__name__


def _record_miss(kernel: Kernel, args: tuple) -> None:
    if not any(matches(args) for _, matches in kernel._exports):
        key = f"{kernel.py_func.__module__}.{kernel.py_func.__qualname__}"
        _misses.add((key, tuple(describe_argument(value) for value in args)))


@contextlib.contextmanager
def record_misses() -> Iterator[set[tuple[str, tuple]]]:
    """Record the kernel calls that no export covers, while the block runs.

    Yields a set of ``(kernel, arguments)``: the kernel's ``module.function`` (its key in
    ``_aot_exports.EXPORTS``) and its arguments' codes (:func:`describe_argument`), the
    calls that compile with numba whether or not the module is built. Only calls from
    Python count (a kernel called by a kernel is compiled into its caller). An export
    with these arguments covers the call: see ``_aot_exports``. Not thread-safe to nest.

    >>> with record_misses() as misses:  # doctest: +SKIP
    ...     PartitionedRegressor().fit(X, y)
    >>> sorted(misses)  # doctest: +SKIP
    """
    global _misses
    previous, _misses = _misses, set()
    try:
        yield _misses
    finally:
        _misses = previous


def _kernel_named(module: str, name: str) -> Kernel:
    return getattr(importlib.import_module(module), name)


class _Intrinsic:
    """``numba.extending.intrinsic``, applied when numba first compiles a kernel."""

    def __init__(self, py_func: FunctionType) -> None:
        self._numba = None
        self.py_func = py_func
        functools.update_wrapper(self, py_func)
        _INTRINSICS.append(self)

    @property
    def numba_object(self) -> Any:
        _sync_numba()
        return self._numba


def njit(**options: Any) -> Callable[[FunctionType], Kernel]:
    """``numba.njit(**options)``, compiled on first use, or precompiled at install (see above)."""
    return lambda py_func: Kernel(py_func, options)


def intrinsic(py_func: FunctionType) -> _Intrinsic:
    """``numba.extending.intrinsic``, for the kernels' vector code (applied lazily)."""
    return _Intrinsic(py_func)


def numba_function(kernel: Kernel) -> Any:
    """numba's dispatcher behind ``kernel`` (for the build and the compile profile)."""
    return kernel.numba_object
