"""The demo job that ``make demo`` runs: partition the embedded data and summarise it.

Run with ``python -m hvrt.demo``.
"""

from __future__ import annotations

import time

from .datasets import make_demo_data
from .metrics import partition_quality
from .partitioner import HVRTPartitioner


def main() -> None:
    X, y = make_demo_data()
    start = time.perf_counter()
    partitioner = HVRTPartitioner(max_leaf_nodes=200).fit(X, y)
    seconds = time.perf_counter() - start
    quality = partition_quality(X, partitioner.labels_, y=y)
    print(f"H-VRT demo: {len(X)} rows x {X.shape[1]} columns (numeric + categorical 'region', some NaN)")
    print(f"engine={partitioner.engine_}  fit time {seconds:.2f} s")
    print(f"partitions: {partitioner.n_partitions_}")
    print(
        f"partition sizes: min {quality.min_size:.0f} / median {quality.median_size:.0f} / "
        f"max {quality.max_size:.0f}  (size-1 partitions: {quality.n_singletons})"
    )
    print(f"within-partition share of the scaled numeric features' SSE: {quality.within_sse_ratio:.3f}")
    print(f"share of y's variance explained by partition means: {quality.y_r2:.3f}")


if __name__ == "__main__":
    main()
