"""The histogram engine on rows that live in chunks elsewhere (the Dask route).

The in-memory grower (``_grower.grow``) keeps every row in one process. Here the rows stay
in their chunks; a chunk keeps its binned codes, its centred target and the node each of
its rows is in. The client keeps the tree and replays best-first growth as ``grow`` does,
asking the chunks, in batches, for the histograms of the children of the open leaves it
may split next. A pass over the chunks:

1. moves the rows of the nodes split since the last pass into their children
   (:func:`advance_rows`), and
2. builds the children histograms of the requested nodes from the chunk's rows
   (:func:`children_histograms`); the caller sums them across chunks.

The split search is the in-memory engine's (``_split.evaluate_node``) on the summed
histograms, with the same node sums (the left child's from its histogram, the right
child's as the parent's minus the left's), sizes, heap order (largest gain first, ties to
the older node) and node numbering (split ``t`` makes nodes ``2t + 1`` and ``2t + 2``).
Given the same bin edges, it grows the in-memory engine's tree on the same rows: the sums
differ only in the order floats are added, so only splits whose gains tie to the last bit
could go another way.

A batch takes the open leaves of largest gain that could still split (at most as many as
leaves are left to grow, and at most :data:`MAX_BATCH_NODES`); a leaf whose children were
built speculatively but that the replay never splits stays a leaf. Passes number about the
depth of the best-first order, not the number of leaves.

Nothing here imports Dask: :class:`ChunkedGrowth` takes the pass as a function.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from .._tree_contract import GrowthParams
from ._binning import EDGE_SAMPLE_ROWS, MAX_BINS, ROW_SHARE, BinMapper, fit_bins, transform_bins
from ._fit import _GAIN_TOLERANCE, _seed
from ._histograms import build_histogram, histogram_sum, histogram_sums
from ._model import HistFittedTree, HistTree
from ._split import evaluate_node

# Nodes whose children one pass builds at most; also bounded so that a pass's histograms
# take at most _BATCH_BYTES.
MAX_BATCH_NODES = 256
_BATCH_BYTES = 64 << 20


def edge_rows(n_rows: int, random_state: object, sample_rows: int = EDGE_SAMPLE_ROWS) -> np.ndarray:
    """The rows ``fit_bins`` samples to place the bin edges, as ``fit_hist`` draws them.

    Gathering these rows and calling :func:`fit_bins` on them gives the in-memory engine's
    edges exactly.

    Returns
    -------
    ndarray of int64
        Sorted row positions (all rows when there are at most ``sample_rows``).
    """
    if n_rows <= sample_rows:
        return np.arange(n_rows)
    seed = _seed(random_state)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=sample_rows, replace=False))


def fit_edges(X_sample: np.ndarray, random_state: object, max_bins: int = MAX_BINS, row_share: float = ROW_SHARE) -> BinMapper:
    """Bin edges from the rows :func:`edge_rows` chose (already gathered)."""
    # fit_bins samples only above sample_rows; the gathered rows are the sample already
    return fit_bins(np.asarray(X_sample, dtype=np.float64), max_bins=max_bins, sample_rows=max(len(X_sample), 1),
                    seed=_seed(random_state), row_share=row_share)  # fmt: skip


# --------------------------------------------------------------------------- per chunk


@dataclass
class ChunkRows:
    """One chunk's rows as the distributed growth needs them, kept where the chunk lives."""

    codes: np.ndarray  # uint8 (n, width), from transform_bins
    target: np.ndarray  # float64 (n, m), C order; centred once the mean is known
    nodes: np.ndarray  # int32 (n,), the tree node of each row (ids stay below 2 * max leaves)


def bin_chunk(X_tree: np.ndarray, target: np.ndarray, mapper: BinMapper) -> ChunkRows:
    """Codes of one chunk's tree inputs, its raw target, every row at the root."""
    X_tree = np.ascontiguousarray(X_tree, dtype=np.float64)
    target = np.ascontiguousarray(np.asarray(target, dtype=np.float64).reshape(len(X_tree), -1))
    return ChunkRows(transform_bins(X_tree, mapper), target, np.zeros(len(X_tree), dtype=np.int32))


def target_moments(rows: ChunkRows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row count, mean and squared deviations of each output of the chunk's target."""
    n = len(rows.target)
    mean = rows.target.mean(axis=0) if n else np.zeros(rows.target.shape[1])
    deviation = rows.target - mean
    return np.full(rows.target.shape[1], n), mean, np.einsum("ij,ij->j", deviation, deviation)


def centred(rows: ChunkRows, mean: np.ndarray) -> ChunkRows:
    """The chunk with its target centred on the whole data's mean (as ``fit_hist`` centres)."""
    return ChunkRows(rows.codes, rows.target - mean, rows.nodes)


def root_histogram(rows: ChunkRows, n_features: int, n_codes: int) -> np.ndarray:
    """The chunk's part of the root histogram."""
    hist = np.empty((n_features, n_codes, rows.target.shape[1] + 1))
    build_histogram(hist, rows.codes, rows.target, 0, len(rows.target))
    return hist


@dataclass(frozen=True)
class Splits:
    """Nodes and their splits, as arrays (to move rows, or to build children histograms)."""

    node: np.ndarray  # int64
    feature: np.ndarray  # int64
    split_bin: np.ndarray  # int64
    nan_left: np.ndarray  # bool
    left: np.ndarray  # int64, the left child's id (-1 when not assigned yet)
    right: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.node)


def advance_rows(rows: ChunkRows, splits: Splits, nan_code: int) -> ChunkRows:
    """Rows of the split nodes moved into their children (other rows stay)."""
    if len(splits) == 0 or len(rows.nodes) == 0:
        return rows
    position = np.full(int(max(rows.nodes.max(), splits.node.max())) + 1, -1, dtype=np.int64)
    position[splits.node] = np.arange(len(splits))
    slot = position[rows.nodes]
    moving = np.flatnonzero(slot >= 0)
    slot = slot[moving]
    code = rows.codes[moving, splits.feature[slot]].astype(np.int64)
    left = (code <= splits.split_bin[slot]) | (splits.nan_left[slot] & (code == nan_code))
    nodes = rows.nodes.copy()
    nodes[moving] = np.where(left, splits.left[slot], splits.right[slot])
    return ChunkRows(rows.codes, rows.target, nodes)


@njit(cache=True, nogil=True)
def _fill_children(hist, codes, y, nodes, slot_of, feature, split_bin, nan_left, nan_code):  # pragma: no cover - compiled
    m = y.shape[1]
    for i in range(codes.shape[0]):
        node = nodes[i]
        if node >= slot_of.shape[0]:
            continue
        s = slot_of[node]
        if s < 0:
            continue
        code = codes[i, feature[s]]
        child = 2 * s + (0 if (code <= split_bin[s] or (nan_left[s] and code == nan_code)) else 1)
        for f in range(hist.shape[1]):
            b = codes[i, f]
            for k in range(m):
                hist[child, f, b, k] += y[i, k]
            hist[child, f, b, m] += 1.0


def children_histograms(rows: ChunkRows, requests: Splits, n_features: int, n_codes: int, nan_code: int) -> np.ndarray:
    """Histograms of the two children of every requested node, from the chunk's rows.

    Returns
    -------
    ndarray of float64, shape (2 * len(requests), n_features, n_codes, m + 1)
        Left child of request ``s`` at ``2s``, right child at ``2s + 1``.
    """
    m = rows.target.shape[1]
    hist = np.zeros((2 * len(requests), n_features, n_codes, m + 1))
    if len(rows.nodes) == 0 or len(requests) == 0:
        return hist
    slot_of = np.full(int(requests.node.max()) + 1, -1, dtype=np.int64)
    slot_of[requests.node] = np.arange(len(requests))
    _fill_children(
        hist, rows.codes, rows.target, rows.nodes, slot_of, requests.feature, requests.split_bin,
        requests.nan_left, nan_code,
    )  # fmt: skip
    return hist


# --------------------------------------------------------------------------- on the client


@dataclass
class _Node:
    size: int
    depth: int
    sums: np.ndarray
    gain: float = 0.0
    feature: int = -1
    split_bin: int = -1
    nan_left: bool = False
    n_left: int = 0
    left: int = -1
    right: int = -1
    children: tuple | None = None  # the children's (sums, size, evaluation), once built


Pass = Callable[[Splits, Splits], np.ndarray]


class ChunkedGrowth:
    """Best-first growth, replayed on the client, from histograms summed across chunks.

    Parameters
    ----------
    mapper : BinMapper
        The bin edges (the chunks' codes come from the same mapper).
    n_rows : int
        Rows over all chunks.
    n_outputs : int
    root_sse : float
        Squared deviations of the target from its mean, over all rows and outputs.
    params : GrowthParams
    """

    def __init__(self, mapper: BinMapper, n_rows: int, n_outputs: int, root_sse: float, params: GrowthParams) -> None:
        self.mapper = mapper
        self.n_rows = n_rows
        self.n_outputs = n_outputs
        self.n_features = len(mapper.n_value_bins)
        self.max_leaves = n_rows if params.max_leaf_nodes is None else int(params.max_leaf_nodes)
        self.max_depth = np.iinfo(np.int32).max if params.max_depth is None else int(params.max_depth)
        self.min_leaf = int(params.min_samples_leaf)
        self.min_gain = max(params.min_variance_reduction, _GAIN_TOLERANCE) * root_sse
        if self.n_features == 0 or root_sse <= n_rows * n_outputs * np.finfo(np.float64).eps:
            self.max_leaves = 1  # nothing to split on, or nothing to explain (as fit_hist)
        self._scratch = np.empty((7, max(mapper.n_codes, n_outputs)))
        hist_bytes = 2 * self.n_features * mapper.n_codes * (n_outputs + 1) * 8
        self.batch_nodes = int(max(1, min(MAX_BATCH_NODES, _BATCH_BYTES // max(hist_bytes, 1))))
        self.passes = 0

    def _evaluate(self, hist: np.ndarray, sums: np.ndarray, size: int, depth: int) -> tuple:
        return evaluate_node(
            hist, self.mapper.n_value_bins, self.mapper.nan_code, sums, size, depth, self.min_leaf,
            self.max_depth, self.min_gain, self._scratch,
        )  # fmt: skip

    def _set_split(self, node: _Node, evaluation: tuple) -> bool:
        gain, feature, split_bin, nan_left, n_left = evaluation
        if feature < 0:
            return False
        node.gain, node.feature, node.split_bin = float(gain), int(feature), int(split_bin)
        node.nan_left, node.n_left = bool(nan_left), int(n_left)
        return True

    def grow(self, root_hist: np.ndarray, run_pass: Pass) -> HistTree:
        """Grow the tree.

        Parameters
        ----------
        root_hist : ndarray, shape (n_features, n_codes, m + 1)
            The root's histogram, summed across chunks.
        run_pass : callable ``(moves, requests) -> histograms``
            One pass over the chunks: move the rows of ``moves`` into their children, then
            return :func:`children_histograms` of ``requests`` summed across chunks.

        Returns
        -------
        HistTree
            With thresholds in raw units and node values as centred target means (the
            caller adds the target's mean).
        """
        root_sums = histogram_sums(root_hist) if self.n_features else np.zeros(self.n_outputs)
        nodes = [_Node(size=self.n_rows, depth=0, sums=root_sums)]
        heap: list[tuple[float, int]] = []
        if self.max_leaves > 1 and self._set_split(nodes[0], self._evaluate(root_hist, root_sums, self.n_rows, 0)):
            heapq.heappush(heap, (-nodes[0].gain, 0))
        moves: list[int] = []  # nodes split since the last pass
        n_leaves = 1
        while n_leaves < self.max_leaves and heap:
            top = heap[0][1]
            if nodes[top].children is None:
                self._build_children(nodes, heap, moves, run_pass, self.max_leaves - n_leaves)
                moves = []
            _, parent_id = heapq.heappop(heap)
            parent = nodes[parent_id]
            parent.left, parent.right = len(nodes), len(nodes) + 1
            for sums, size, evaluation in parent.children:
                child = _Node(size=size, depth=parent.depth + 1, sums=sums)
                if self._set_split(child, evaluation):
                    heapq.heappush(heap, (-child.gain, len(nodes)))
                nodes.append(child)
            parent.children = None
            moves.append(parent_id)
            n_leaves += 1
        return self._tree(nodes)

    def _build_children(self, nodes: list[_Node], heap: list, moves: list[int], run_pass: Pass, room: int) -> None:
        """One pass: the children of the best open leaves not built yet."""
        candidates = [node for _, node in heapq.nsmallest(min(room, len(heap)), heap) if nodes[node].children is None]
        requests = candidates[: self.batch_nodes]
        hists = run_pass(self._splits(nodes, moves), self._splits(nodes, requests))
        self.passes += 1
        for s, node_id in enumerate(requests):
            node = nodes[node_id]
            left_hist = hists[2 * s]
            left_sums = np.array([histogram_sum(left_hist, k) for k in range(self.n_outputs)])
            right_sums = node.sums - left_sums
            left_size, right_size = node.n_left, node.size - node.n_left
            depth = node.depth + 1
            node.children = (
                (left_sums, left_size, self._evaluate(left_hist, left_sums, left_size, depth)),
                (right_sums, right_size, self._evaluate(hists[2 * s + 1], right_sums, right_size, depth)),
            )

    @staticmethod
    def _splits(nodes: list[_Node], ids: list[int]) -> Splits:
        chosen = [nodes[i] for i in ids]
        return Splits(
            node=np.asarray(ids, dtype=np.int64),
            feature=np.array([n.feature for n in chosen], dtype=np.int64),
            split_bin=np.array([n.split_bin for n in chosen], dtype=np.int64),
            nan_left=np.array([n.nan_left for n in chosen], dtype=bool),
            left=np.array([n.left for n in chosen], dtype=np.int64),
            right=np.array([n.right for n in chosen], dtype=np.int64),
        )

    def _tree(self, nodes: list[_Node]) -> HistTree:
        mapper = self.mapper
        children_left = np.array([n.left for n in nodes], dtype=np.int64)
        internal = children_left >= 0
        feature = np.where(internal, [n.feature for n in nodes], -1).astype(np.int64)
        split_bin = np.where(internal, [n.split_bin for n in nodes], -1).astype(np.int64)
        threshold = np.full(len(nodes), -2.0)  # scikit-learn's leaf marker
        threshold[internal] = mapper.edges[feature[internal], split_bin[internal]]
        sizes = np.array([n.size for n in nodes], dtype=np.int64)
        sums = np.array([n.sums for n in nodes]).reshape(len(nodes), self.n_outputs)
        return HistTree(
            feature=feature,
            threshold=threshold,
            nan_left=np.array([n.nan_left for n in nodes], dtype=bool) & internal,
            children_left=children_left,
            children_right=np.array([n.right for n in nodes], dtype=np.int64),
            n_node_samples=sizes,
            value=sums / np.maximum(sizes, 1)[:, None],
            depth=np.array([n.depth for n in nodes], dtype=np.int64),
            bin_edges=[mapper.edges[j, : mapper.n_value_bins[j] - 1].copy() for j in range(self.n_features)],
        )


def fitted_tree(tree: HistTree, target_mean: np.ndarray) -> HistFittedTree:
    """The engine's fitted tree from a grown :class:`HistTree` (values moved to raw units)."""
    shifted = HistTree(
        feature=tree.feature,
        threshold=tree.threshold,
        nan_left=tree.nan_left,
        children_left=tree.children_left,
        children_right=tree.children_right,
        n_node_samples=tree.n_node_samples,
        value=tree.value + target_mean,
        depth=tree.depth,
        bin_edges=tree.bin_edges,
    )
    return HistFittedTree(shifted, None)
