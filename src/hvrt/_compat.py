"""Optional dependencies, in one place.

The core of hvrt needs numpy, pandas and scikit-learn only. Everything else is an extra,
imported here on first use, so that a missing extra fails with a message that says how to
install it instead of a bare ``ModuleNotFoundError`` from deep inside a plot.
"""

from __future__ import annotations

import sys
from types import ModuleType

VIZ_INSTALL_HINT = 'pip install "hvrt-partitioner[viz]"'
PARQUET_INSTALL_HINT = 'pip install "hvrt-partitioner[parquet]"'


def import_matplotlib() -> ModuleType:
    """Import and return :mod:`matplotlib`.

    The import is attempted on every call (it is cached by Python after the first
    success), so a test can simulate a missing install with
    ``monkeypatch.setitem(sys.modules, "matplotlib", None)``.

    Returns
    -------
    module
        The :mod:`matplotlib` package.

    Raises
    ------
    ImportError
        If matplotlib cannot be imported; the message names the ``viz`` extra.
    """
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError(
            f"Plotting needs matplotlib, which is not installed. Install the plotting extra with: "
            f"{VIZ_INSTALL_HINT}"
        ) from err
    return matplotlib


def viz_available() -> bool:
    """Whether the plotting extra (matplotlib) can be imported.

    Returns
    -------
    bool
    """
    try:
        import_matplotlib()
    except ImportError:
        return False
    return True


def import_pyarrow() -> ModuleType:
    """Import and return :mod:`pyarrow` with its ``parquet`` module loaded.

    Returns
    -------
    module
        The :mod:`pyarrow` package; ``pyarrow.parquet`` is importable from it.

    Raises
    ------
    ImportError
        If pyarrow cannot be imported; the message names the ``parquet`` extra.
    """
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401  (loads the submodule onto the package)
    except ImportError as err:
        raise ImportError(
            f"Parquet files need pyarrow, which is not installed. Install the Parquet extra with: "
            f"{PARQUET_INSTALL_HINT}"
        ) from err
    return pyarrow

DASK_INSTALL_HINT = 'pip install "hvrt-partitioner[dask]"'


def import_dask() -> ModuleType:
    """Import Dask's array and dataframe collections and return :mod:`dask`.

    Returns
    -------
    module
        The :mod:`dask` package, with ``dask.array`` and ``dask.dataframe`` loaded.

    Raises
    ------
    ImportError
        If dask (with its dataframe part) cannot be imported; the message names the
        ``dask`` extra.
    """
    try:
        import dask
        import dask.array
        import dask.dataframe
    except ImportError as err:
        raise ImportError(
            f"hvrt.dask needs dask[dataframe] and distributed, which are not installed. Install the "
            f"Dask extra with: {DASK_INSTALL_HINT}"
        ) from err
    return dask


def is_dask_collection(value: object) -> bool:
    """Whether ``value`` is a Dask collection, without importing Dask.

    Dask is only looked up when something has imported it already: a value cannot be a
    Dask collection otherwise, so in-memory callers never pay for the import.

    Returns
    -------
    bool
    """
    module = sys.modules.get("dask")
    return module is not None and bool(module.is_dask_collection(value))
