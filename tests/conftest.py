"""Shared seeded data for the tests."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # only tests/test_properties.py needs it (the dev extra)
    settings = None

if settings is not None:
    # "ci" (the default): the same examples on every run, a fixed budget, no example
    # database written into the tree. HYPOTHESIS_PROFILE=explore searches afresh, longer.
    _checks = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile(
        "ci", derandomize=True, max_examples=200, deadline=None, database=None, suppress_health_check=_checks
    )
    settings.register_profile("explore", max_examples=1000, deadline=None, suppress_health_check=_checks)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def frame(rng: np.random.Generator) -> pd.DataFrame:
    """2000 rows, 5 Gaussian numeric columns with distinct names."""
    return pd.DataFrame(rng.normal(size=(2000, 5)), columns=[f"x{i}" for i in range(5)])


def within_r2(values: np.ndarray, labels: np.ndarray) -> float:
    """Share of ``values``' variance explained by its partition means."""
    sizes = np.bincount(labels)
    means = np.bincount(labels, weights=values) / np.maximum(sizes, 1)
    residual = values - means[labels]
    return 1.0 - residual @ residual / np.sum((values - values.mean()) ** 2)
