"""Compile the engine's kernels ahead of time into ``hvrt._hist._aot`` (run by ``setup.py``).

numba's ahead-of-time compiler (``numba.pycc``) compiles the kernels listed in
``_aot_exports`` from their sources here, the same functions numba compiles at run time,
into a CPython extension that needs neither numba nor LLVM to load. Two changes to
``numba.pycc``'s defaults, both for this build only:

- its Python wrappers release the GIL, as the ``nogil=True`` kernels do (the engine runs
  kernels on several threads);
- ``target="host"`` compiles for this machine's CPU and its actual features, as numba's
  own compiler does (the generic x86-64 code was 1.3x slower to fit, 1M x 10); the module
  records the CPU flags it needs and ``_jit`` does not use it on a CPU without them.

Not imported at run time; it imports only the kernels' modules (not ``hvrt`` itself, whose
dependencies a build environment does not have: ``setup.py`` sets up the packages).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._aot_exports import DTYPES, EXPORTS, source_digest


def _numba_type(spec: object) -> Any:
    """numba's type for an argument or result code of ``_aot_exports``."""
    from numba.core import types

    if spec is None:
        return types.none
    if isinstance(spec, str):
        return {"void": types.void, "i8": types.int64, "f8": types.float64, "b1": types.boolean}[spec]
    if isinstance(spec[1], int):  # an array: (dtype, ndim, order[, "r"]); read-only is a run-time check
        dtype = types.boolean if spec[0] == "b1" else getattr(types, DTYPES[spec[0]])
        return types.Array(dtype, spec[1], spec[2])
    return types.Tuple(tuple(_numba_type(item) for item in spec))


def _constant(value: str) -> Callable[[], str]:
    def constant() -> str:
        return value

    return constant


def _host_cpu_flags() -> str:
    from ._jit import _cpu_flags

    flags = _cpu_flags()
    return " ".join(sorted(flags)) if flags else ""


@contextlib.contextmanager
def _build_settings(host: bool, fastmath: dict[Callable, object]) -> Iterator[None]:
    """numba.pycc with GIL-free wrappers, each export's ``fastmath`` option (``fastmath``:
    function -> the option given to ``njit``) and, for ``host``, this CPU's features."""
    import numba.pycc.compiler as pycc_compiler
    from numba.core import codegen
    from numba.core.compiler import Flags
    from numba.core.cpu import FastMathOptions

    class GilFreeFlags(Flags):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.release_gil = True

    compile_extra = pycc_compiler.compile_extra

    def compile_with_options(typing_context, target_context, function, args, result, flags, **kwargs):
        # pycc compiles every export with the same flags; the kernel's own fastmath
        # (reassociation, which lets its loops vectorise) as numba's JIT applies it
        if fastmath.get(function):
            flags = flags.copy()
            flags.fastmath = FastMathOptions(fastmath[function])
        return compile_extra(typing_context, target_context, function, args, result, flags, **kwargs)

    features = codegen.AOTCPUCodegen._customize_tm_features
    pycc_compiler.Flags = GilFreeFlags
    pycc_compiler.compile_extra = compile_with_options
    if host:
        codegen.AOTCPUCodegen._customize_tm_features = lambda self: codegen.get_host_cpu_features()
    try:
        yield
    finally:
        pycc_compiler.Flags = Flags
        pycc_compiler.compile_extra = compile_extra
        codegen.AOTCPUCodegen._customize_tm_features = features


def build(target: Path, host: bool = True, verbose: bool = False) -> float:
    """Write the extension module to ``target`` (its full file name); returns the seconds taken.

    ``host``: compile for this machine's CPU (else for the architecture's generic CPU);
    host code is built only where the CPU's flags can be read (``/proc/cpuinfo``).
    """
    start = time.perf_counter()
    from numba.pycc import CC

    from ._jit import numba_function

    kernels = {
        key: getattr(importlib.import_module(key.rsplit(".", 1)[0]), key.rsplit(".", 1)[1])
        for key in EXPORTS
    }
    cpu_flags = _host_cpu_flags() if host else ""
    host = host and bool(cpu_flags)
    target = Path(target)
    cc = CC(target.name.split(".")[0], source_module=sys.modules[__name__])
    cc.output_dir = str(target.parent)
    cc.output_file = target.name
    cc.target_cpu = "host" if host else ""
    cc.verbose = verbose
    fastmath = {}
    for key, exports in EXPORTS.items():
        function = numba_function(kernels[key]).py_func  # over numba's globals (see _jit)
        fastmath[function] = kernels[key]._options.get("fastmath", False)
        for name, arguments, result in exports:
            cc.export(name, _numba_type(result)(*(_numba_type(spec) for spec in arguments)))(function)
    cc.export("built_from", "unicode_type()")(_constant(source_digest()))
    cc.export("built_for", "unicode_type()")(_constant(cpu_flags if host else ""))
    target.parent.mkdir(parents=True, exist_ok=True)
    with _build_settings(host, fastmath):
        cc.compile()
    return time.perf_counter() - start
