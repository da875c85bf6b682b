"""Native categorical splits on levels rarer than the category minimum (REDTEAM16C finding 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hvrt import HVRTPartitioner


def _within_ratio(labels: np.ndarray, y: np.ndarray) -> float:
    means = pd.Series(y).groupby(labels).transform("mean").to_numpy()
    return float(((y - means) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def test_a_column_of_levels_below_the_minimum_is_still_split_by_its_order():
    # 30 equally frequent levels of 196 rows (under the 200-row minimum) that drive y: the
    # rare grouping left them one-vs-rest splits alone (native == one-hot, 0.262); their
    # discounted means still order them (0.076; target encoding 0.051)
    n = 5900
    rng = np.random.default_rng(3)
    x1 = rng.normal(size=n)
    level = np.arange(n) % 30
    y = x1 + (rng.normal(size=30) * 2)[level]
    X = pd.DataFrame({"x1": x1, "c": pd.Series(level).map("k{}".format)})
    ratios = {
        encoding: _within_ratio(
            HVRTPartitioner(
                max_leaf_nodes=20, engine="hist", category_encoding=encoding, y_weight=1.0, random_state=0
            ).fit(X, y).labels_,
            y,
        )
        for encoding in ("native", "ohe")
    }
    assert ratios["native"] < 0.5 * ratios["ohe"]
