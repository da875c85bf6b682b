"""The seed README's usage examples, verbatim: they must keep running, and our README keeps them."""

SEED_QUICK_START = """
import numpy as np
import pandas as pd
from hvrt import HVRTPartitioner

# 1. Generate sample data
X_sample = pd.DataFrame(np.random.rand(10000, 10), columns=[f'feat_{i}' for i in range(10)])

# 2. Initialize and fit the partitioner
partitioner = HVRTPartitioner(max_leaf_nodes=200)
partitioner.fit(X_sample)

# 3. Get the partition labels for each sample
partition_labels = partitioner.get_partitions(X_sample)

print(f"Successfully assigned {len(X_sample)} samples to {len(np.unique(partition_labels))} partitions.")
"""

SEED_PROFILER_USAGE = """
from hvrt import PartitionProfiler

profiler = PartitionProfiler(
    data=X_sample,
    partition_labels=pd.Series(partition_labels, index=X_sample.index),
    output_path="my_profiler_output" # Optional
)
profiler.run_profiling()
"""

SEED_ANALYZER_USAGE = """
from hvrt import DistributionAnalyzer

analyzer = DistributionAnalyzer(data=X_sample, partition_labels=pd.Series(partition_labels, index=X_sample.index))
analyzer.fit()
analyzer.plot_comparison(
    feature_name='feat_0',
    save_path='analyzer_output/feat_0_comparison.png' # Optional
)
"""
