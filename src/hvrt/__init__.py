"""hvrt: fast fine-grained partitions of tabular data, and what they did to it."""

from .partitioner import HVRTPartitioner

__all__ = ["HVRTPartitioner"]
__version__ = "0.7.0.dev0"
