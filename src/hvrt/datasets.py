"""The embedded demo data: seeded, generated in memory, no download."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_demo_data(n_samples: int = 20_000, random_state: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A small mixed-type table with a non-linear target, for demos and tests.

    Six numeric columns (Gaussian, skewed, bimodal and uniform), one categorical
    column, about 2 % missing values in one column, and a target ``y`` that depends
    on the features non-linearly, so partitions guided by ``y`` visibly help.

    Parameters
    ----------
    n_samples : int, default=20000
        Number of rows.
    random_state : int, default=0
        Seed of the generator; the same seed always gives the same table.

    Returns
    -------
    X : DataFrame of shape (n_samples, 7)
    y : Series of shape (n_samples,)

    Examples
    --------
    >>> X, y = make_demo_data(1000)
    >>> X.shape
    (1000, 7)
    """
    rng = np.random.default_rng(random_state)
    bimodal = np.where(rng.random(n_samples) < 0.4, rng.normal(-2.0, 0.5, n_samples), rng.normal(2.0, 0.8, n_samples))
    X = pd.DataFrame(
        {
            "age": rng.normal(40.0, 12.0, n_samples),
            "income": rng.lognormal(10.0, 0.6, n_samples),
            "score": bimodal,
            "load": rng.uniform(0.0, 1.0, n_samples),
            "pressure": rng.normal(100.0, 15.0, n_samples),
            "tenure": rng.gamma(2.0, 3.0, n_samples),
            "region": pd.Categorical(rng.choice(["north", "south", "east", "west"], n_samples, p=[0.4, 0.3, 0.2, 0.1])),
        }
    )
    y = pd.Series(
        np.sin(3.0 * X["load"]) * 5.0 + 0.1 * X["age"] + np.log(X["income"]) + X["score"] ** 2 / 4.0
        + rng.normal(0.0, 0.3, n_samples),
        name="outcome",
    )
    X.loc[rng.random(n_samples) < 0.02, "pressure"] = np.nan
    return X, y
