"""Print the partition rules of diamonds (the README's rule table).

Run from the repository root (needs the ``bench`` extra for the data)::

    python examples/diamonds_rules.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for benchmarks.datasets

from benchmarks.datasets import diamonds
from hvrt import HVRTPartitioner


def main() -> None:
    X, log_price, _ = diamonds()
    X = X[["carat", "cut", "color", "clarity"]]
    partitioner = HVRTPartitioner(max_leaf_nodes=16, y_weight=1.0, category_encoding="target", engine="hist")
    partitioner.fit(X, pd.Series(log_price, index=X.index, name="log_price"))
    rules = partitioner.partition_rules(missing="fit")
    for k, rule in rules["rule"].items():  # every rule selects exactly its partition
        assert X.query(rule, engine="python").index.equals(X.index[partitioner.labels_ == k])
    with pd.option_context("display.width", 200, "display.max_colwidth", 200):
        print(rules.sort_values("y_mean").round(3).to_string())


if __name__ == "__main__":
    main()
