"""The demo job that ``make demo`` runs: partition the embedded data and summarise it.

Run with ``python -m hvrt.demo``.
"""

from __future__ import annotations

import time

import numpy as np

from .datasets import make_demo_data
from .partitioner import HVRTPartitioner


def main() -> None:
    X, y = make_demo_data()
    start = time.perf_counter()
    partitioner = HVRTPartitioner(max_leaf_nodes=200).fit(X, y)
    seconds = time.perf_counter() - start
    labels = partitioner.labels_
    sizes = partitioner.partition_sizes_
    y_values = y.to_numpy()
    partition_means = np.bincount(labels, weights=y_values) / sizes
    explained = 1.0 - np.sum((y_values - partition_means[labels]) ** 2) / np.sum((y_values - y_values.mean()) ** 2)
    print(f"H-VRT demo: {len(X)} rows x {X.shape[1]} columns (numeric + categorical 'region', some NaN)")
    print(f"engine={partitioner.engine_}  fit time {seconds:.2f} s")
    print(f"partitions: {partitioner.n_partitions_}")
    print(
        "partition sizes: min {} / median {:.0f} / max {}".format(sizes.min(), np.median(sizes), sizes.max())
    )
    print(f"share of y's variance explained by partition means: {explained:.3f}")


if __name__ == "__main__":
    main()
