"""hvrt: fast fine-grained partitions of tabular data, and what they did to it.

Every public name loads on first use (``hvrt.HVRTPartitioner`` imports the partitioner, and
with it numpy, pandas and scikit-learn), so ``import hvrt`` and ``hvrt --help`` stay quick and
never need the plotting extra.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

# public name -> module that defines it
_LAZY = {
    "HVRTPartitioner": "partitioner",
    "full_report": "metrics",
    "partition_quality": "metrics",
    "calculate_feature_hhi_metric": "metrics",
    "FullReport": "metrics",
    "FeatureReport": "metrics",
    "CategoricalReport": "metrics",
    "VarianceReport": "metrics",
    "SpanReport": "metrics",
    "PartitionQuality": "metrics",
    "grouped_stats": "metrics",
    "GroupedStats": "_grouped",
    "PartitionProfiler": "profiler",
    "ProfileResult": "_profile_result",
    "DistributionAnalyzer": "distribution",
    "DistributionComparison": "_figure_data",
    "DistributionScore": "_figure_data",
    "PartitionedRegressor": "local_models",
    "save": "persistence",
    "load": "persistence",
    "ModelFileError": "persistence",
    "ModelVersionWarning": "persistence",
}

__all__ = ["__version__", *_LAZY]

# public submodules, loaded on first use too (``hvrt.persistence.model_info`` after a plain
# ``import hvrt``, as numpy and scipy offer theirs); ``hvrt.dask`` then imports dask
_SUBMODULES = ("persistence", "datasets", "dask")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
