"""Build step of the package (the metadata is in pyproject.toml): the histogram engine's
kernels (and the local models') compiled ahead of time into ``hvrt._hist._aot``, for this machine's CPU.

Optional: when it cannot be built (no C compiler, numba's ahead-of-time compiler missing
or failing), the install goes on without it and numba compiles the kernels on their first
use instead, as it does for any kernel call the module does not cover. ``HVRT_BUILD_AOT=0``
skips it; ``HVRT_AOT_CPU=generic`` builds for the architecture's generic CPU (for a wheel
that other machines install). See ``src/hvrt/_hist/_jit.py``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import types
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE = Path(__file__).resolve().parent / "src"
AOT_MODULE = "hvrt._hist._aot"


def _build_kernels(target: Path) -> float:
    """Compile the kernels into ``target`` from the sources, without importing ``hvrt``
    itself (its dependencies are not in the build environment)."""
    os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="hvrt-build-numba-cache-"))
    for name in ("hvrt", "hvrt._hist"):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(SOURCE.joinpath(*name.split(".")))]
            sys.modules[name] = package
    from hvrt._hist._aot_build import build

    host = os.environ.get("HVRT_AOT_CPU", "host").strip().lower() != "generic"
    return build(target, host=host)


class BuildKernels(build_ext):
    """``build_ext`` that compiles the kernels with numba and never fails the install."""

    def build_extension(self, ext: Extension) -> None:
        if ext.name != AOT_MODULE:
            super().build_extension(ext)
            return
        target = Path(self.get_ext_fullpath(ext.name))
        if os.environ.get("HVRT_BUILD_AOT", "1").strip() == "0":
            print("hvrt: HVRT_BUILD_AOT=0, kernels not compiled ahead of time", file=sys.stderr)
            self._drop(ext)
            return
        print("hvrt: compiling the histogram engine's and the local models' kernels for this machine (about 50 s)...", file=sys.stderr)
        try:
            seconds = _build_kernels(target)
        except Exception as error:  # noqa: BLE001 (any failure: numba compiles the kernels at first use)
            print(
                f"hvrt: the kernels could not be compiled ahead of time ({type(error).__name__}: "
                f"{(str(error).strip().splitlines() or [''])[0]}); "
                "numba will compile them on the first histogram fit instead",
                file=sys.stderr,
            )
            target.unlink(missing_ok=True)
            self._drop(ext)
            return
        print(f"hvrt: kernels compiled in {seconds:.0f} s: {target.name}", file=sys.stderr)
        if getattr(self, "editable_mode", False) and not self.inplace:
            # an editable install imports the package from src/, which must hold the module
            in_source = SOURCE.joinpath(*AOT_MODULE.split(".")[:-1], target.name)
            shutil.copyfile(target, in_source)
            in_source.chmod(0o755)

    def _drop(self, ext: Extension) -> None:
        # not built: nothing to copy or install for it
        self.extensions = [other for other in self.extensions if other is not ext]

    def copy_extensions_to_source(self) -> None:
        self.extensions = [ext for ext in self.extensions if Path(self.get_ext_fullpath(ext.name)).exists()]
        super().copy_extensions_to_source()


setup(
    ext_modules=[Extension(AOT_MODULE, sources=[], optional=True)],
    cmdclass={"build_ext": BuildKernels},
)
