"""The installed version, read from the package metadata (``pyproject.toml`` is its one source)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hvrt-partitioner")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
