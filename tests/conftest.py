"""Shared seeded data for the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


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
