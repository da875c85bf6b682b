"""The histogram engine on rows that live in chunks elsewhere (the Dask route).

The in-memory grower (``_grower.grow``) keeps every row in one process. Here the rows stay
in their chunks; a chunk keeps its binned codes, its centred target and a cache of each
row's node. The client keeps the tree and replays best-first growth as ``grow`` does,
asking the chunks, in batches, for the children histograms of the open leaves it may
split next. A pass over the chunks (:func:`pass_histograms`, summed across chunks by the
caller) gets a :class:`PassPlan`: the tree so far, which each row walks down on its codes
from its cached node to find its leaf (the cache is only a shortcut: from any ancestor,
even the root, the walk ends at the same leaf, so a pass is one task per chunk whose
result does not depend on the cache), and the requested leaves with their candidate
splits. As in ``grow``, a leaf of at least ``hist_min_rows``
rows keeps its histogram on the client, and a pass builds only its smaller child's from
the rows: the larger child's is the parent's minus it; a smaller leaf builds both.

The split search is the in-memory engine's (``_split.evaluate_node``) on the summed
histograms, with the same node sums (the left child's from its histogram, the right
child's as the parent's minus the left's), the same histogram subtractions, sizes, heap
order (largest gain first, ties to the older node) and node numbering (split ``t`` makes
nodes ``2t + 1`` and ``2t + 2``). Given the same bin edges, it grows the in-memory
engine's tree on the same rows: the sums differ only in the order floats are added, so
only splits whose gains tie to the last bit could go another way.

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

from .._tree_contract import GrowthParams
from ._binning import EDGE_SAMPLE_ROWS, MAX_BINS, ROW_SHARE, BinMapper, fit_bins, transform_bins
from ._binning import max_bins_for  # noqa: F401 (dask's hist route bins as fit_hist does)
from ._fit import _GAIN_TOLERANCE, _HIST_MIN_ROWS, _seed
from ._histograms import histogram_sum, histogram_sums
from ._jit import njit
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
    """One chunk's rows as the distributed growth needs them, kept where the chunk lives.

    ``nodes`` is a cache, not state: each row's node as of its last pass, which passes
    update in place. Any ancestor of a row's leaf is a correct value (a pass walks the
    tree down from it), so a cache that is lost (the chunk recomputed from its lineage,
    every row at the root) or stale costs time, never correctness.
    """

    codes: np.ndarray  # uint8 (n, n_features), C order
    target: np.ndarray  # float64 (n, m), C order; centred once the mean is known
    nodes: np.ndarray  # int32 (n,), the cache above


def bin_chunk(X_tree: np.ndarray, target: np.ndarray, mapper: BinMapper) -> ChunkRows:
    """Codes of one chunk's tree inputs, and its raw target (one output: 1-D or a column).

    An empty chunk (a filter emptied it) gives no codes and an empty target of as many
    outputs; its passes add nothing.
    """
    X_tree = np.ascontiguousarray(X_tree, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    # not reshape(len(X_tree), -1): numpy cannot infer the -1 of an array of no rows
    target = np.ascontiguousarray(target[:, None] if target.ndim == 1 else target)
    if len(target) != len(X_tree):
        raise ValueError(f"the target has {len(target)} rows where the chunk's tree inputs have {len(X_tree)}")
    # without transform_bins' padding to whole 8-byte words (the in-memory grower moves
    # rows by words; here rows never move): 10 bytes a row at 10 features, not 16
    codes = np.ascontiguousarray(transform_bins(X_tree, mapper)[:, : X_tree.shape[1]])
    return ChunkRows(codes, target, np.zeros(len(X_tree), dtype=np.int32))


def target_moments(rows: ChunkRows) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row count, mean, the mean's residual and squared deviations of each output of the
    chunk's target, as :func:`column_pass` gives them (to merge the same way)."""
    n = len(rows.target)
    mean = rows.target.mean(axis=0) if n else np.zeros(rows.target.shape[1])
    deviation = rows.target - mean
    shift = deviation.sum(axis=0)
    residual = shift / max(n, 1)
    m2 = np.maximum(np.einsum("ij,ij->j", deviation, deviation) - shift * residual, 0.0)
    return np.full(rows.target.shape[1], n), mean, residual, m2


def centred(rows: ChunkRows, mean: np.ndarray) -> ChunkRows:
    """The chunk with its target centred on the whole data's mean (as ``fit_hist`` centres)."""
    return ChunkRows(rows.codes, rows.target - mean, rows.nodes)


@dataclass(frozen=True)
class PassPlan:
    """What one pass over the chunks builds, sent to every chunk.

    The tree grown so far (each row finds its leaf by walking it on its codes, so a chunk
    keeps no per-row state between passes), and for each requested leaf its candidate
    split and which of its children's histograms to build: ``out_left[s]`` and
    ``out_right[s]`` index the pass's output (-1: not built, the client derives it as the
    parent's minus its sibling's). A request with ``feature[s] == -1`` builds the
    histogram of the whole leaf into ``out_left[s]`` (the root's).
    """

    tree_feature: np.ndarray  # int64 (n_nodes,), per node of the tree so far
    tree_bin: np.ndarray  # int64
    tree_nan_left: np.ndarray  # bool
    tree_left: np.ndarray  # int64, -1 for a leaf
    tree_right: np.ndarray  # int64
    slot_of: np.ndarray  # int64 (n_nodes,), the request of each node, or -1
    feature: np.ndarray  # int64 (n_requests,)
    split_bin: np.ndarray  # int64
    nan_left: np.ndarray  # bool
    out_left: np.ndarray  # int64
    out_right: np.ndarray  # int64
    n_out: int
    nan_code: int

    @classmethod
    def root(cls, nan_code: int) -> PassPlan:
        """The plan that builds the root's histogram."""
        one, minus = np.zeros(1, dtype=np.int64), np.full(1, -1, dtype=np.int64)
        no = np.zeros(1, dtype=bool)
        return cls(minus, minus, no, minus, minus, one, minus, minus, no, one, minus, 1, int(nan_code))


@njit(cache=True, nogil=True)
def _fill_requested(hist, codes, y, nodes, t_feature, t_bin, t_nan_left, t_left, t_right, slot_of, feature,
                    split_bin, nan_left, out_left, out_right, nan_code):  # pragma: no cover - compiled  # fmt: skip
    m = y.shape[1]
    p = hist.shape[1]
    for i in range(codes.shape[0]):
        # down from the row's cached node (its leaf at the last pass): a level or two, where
        # walking from the root costs a mispredicted branch per level
        node = nodes[i]
        moved = False
        while t_left[node] >= 0:
            code = codes[i, t_feature[node]]
            if code <= t_bin[node] or (t_nan_left[node] and code == nan_code):
                node = t_left[node]
            else:
                node = t_right[node]
            moved = True
        if moved:
            nodes[i] = node
        s = slot_of[node]
        if s < 0:
            continue
        if feature[s] < 0:
            out = out_left[s]
        else:
            code = codes[i, feature[s]]
            if code <= split_bin[s] or (nan_left[s] and code == nan_code):
                out = out_left[s]
            else:
                out = out_right[s]
        if out < 0:
            continue
        if m == 1:  # written out: the generic loop is about twice as slow
            value = y[i, 0]
            for f in range(p):
                b = codes[i, f]
                hist[out, f, b, 0] += value
                hist[out, f, b, 1] += 1.0
        else:
            for f in range(p):
                b = codes[i, f]
                for k in range(m):
                    hist[out, f, b, k] += y[i, k]
                hist[out, f, b, m] += 1.0


def pass_histograms(rows: ChunkRows, plan: PassPlan, n_features: int, n_codes: int) -> np.ndarray:
    """The histograms a pass asks for, from the chunk's rows (updating its node cache).

    Returns
    -------
    ndarray of float64, shape (plan.n_out, n_features, n_codes, m + 1)
    """
    m = rows.target.shape[1]
    hist = np.zeros((plan.n_out, n_features, n_codes, m + 1))
    if len(rows.target) and plan.n_out:
        _fill_requested(
            hist, rows.codes, rows.target, rows.nodes, plan.tree_feature, plan.tree_bin, plan.tree_nan_left, plan.tree_left,
            plan.tree_right, plan.slot_of, plan.feature, plan.split_bin, plan.nan_left, plan.out_left,
            plan.out_right, plan.nan_code,
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
    hist: np.ndarray | None = None  # kept while its children are not built, as grow keeps it
    children: tuple | None = None  # the children's (sums, size, evaluation, kept histogram), once built


Pass = Callable[[PassPlan], np.ndarray]
Report = Callable[[str], None]


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
        # fit_hist's rule: a node this large keeps its histogram, and its larger child's is
        # the parent's minus the smaller child's (built from rows); a smaller node builds both
        self.hist_min_rows = max(_HIST_MIN_ROWS, 4 * mapper.n_codes * (n_outputs + 1))
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

    def grow(self, run_pass: Pass, report: Report | None = None) -> HistTree:
        """Grow the tree.

        Parameters
        ----------
        run_pass : callable ``(plan) -> histograms``
            One pass over the chunks: :func:`pass_histograms` of ``plan`` summed across
            chunks.
        report : callable ``(message) -> None``, optional
            Told one line per pass.

        Returns
        -------
        HistTree
            With thresholds in raw units and node values as centred target means (the
            caller adds the target's mean).
        """
        root_hist = run_pass(PassPlan.root(self.mapper.nan_code))[0]
        self.passes = 1
        if report is not None:
            report(f"pass 1: the root's histogram, {self.n_rows:,} rows")
        root_sums = histogram_sums(root_hist) if self.n_features else np.zeros(self.n_outputs)
        nodes = [_Node(size=self.n_rows, depth=0, sums=root_sums, hist=root_hist)]
        heap: list[tuple[float, int]] = []
        if self.max_leaves > 1 and self._set_split(nodes[0], self._evaluate(root_hist, root_sums, self.n_rows, 0)):
            heapq.heappush(heap, (-nodes[0].gain, 0))
        n_leaves = 1
        while n_leaves < self.max_leaves and heap:
            top = heap[0][1]
            if nodes[top].children is None:
                built = self._build_children(nodes, heap, run_pass, self.max_leaves - n_leaves)
                if report is not None:
                    report(f"pass {self.passes}: children of {built} open leaves built, {n_leaves} leaves grown")
            _, parent_id = heapq.heappop(heap)
            parent = nodes[parent_id]
            parent.left, parent.right = len(nodes), len(nodes) + 1
            for sums, size, evaluation, hist in parent.children:
                child = _Node(size=size, depth=parent.depth + 1, sums=sums)
                if self._set_split(child, evaluation):
                    heapq.heappush(heap, (-child.gain, len(nodes)))
                    child.hist = hist
                nodes.append(child)
            parent.children = None
            n_leaves += 1
        return self._tree(nodes)

    def _build_children(self, nodes: list[_Node], heap: list, run_pass: Pass, room: int) -> int:
        """One pass: the children of the best open leaves not built yet; returns their number."""
        candidates = [node for _, node in heapq.nsmallest(min(room, len(heap)), heap) if nodes[node].children is None]
        requests = candidates[: self.batch_nodes]
        out_left = np.full(len(requests), -1, dtype=np.int64)
        out_right = np.full(len(requests), -1, dtype=np.int64)
        n_out = 0
        for s, node_id in enumerate(requests):
            node = nodes[node_id]
            left_is_small = node.n_left <= node.size - node.n_left
            if node.hist is None or left_is_small:
                out_left[s], n_out = n_out, n_out + 1
            if node.hist is None or not left_is_small:
                out_right[s], n_out = n_out, n_out + 1
        hists = run_pass(self._plan(nodes, requests, out_left, out_right, n_out))
        self.passes += 1
        for s, node_id in enumerate(requests):
            node = nodes[node_id]
            if node.hist is None:
                left_hist, right_hist = hists[out_left[s]], hists[out_right[s]]
            elif out_left[s] >= 0:  # the left child is the smaller: the right is the rest
                left_hist = hists[out_left[s]]
                right_hist = node.hist - left_hist
            else:
                right_hist = hists[out_right[s]]
                left_hist = node.hist - right_hist
            node.hist = None
            left_sums = np.array([histogram_sum(left_hist, k) for k in range(self.n_outputs)])
            right_sums = node.sums - left_sums
            left_size, right_size = node.n_left, node.size - node.n_left
            depth = node.depth + 1
            node.children = tuple(
                (sums, size, self._evaluate(hist, sums, size, depth), self._kept(hist, size))
                for sums, size, hist in ((left_sums, left_size, left_hist), (right_sums, right_size, right_hist))
            )
        return len(requests)

    def _kept(self, hist: np.ndarray, size: int) -> np.ndarray | None:
        # a copy: a view would keep the whole pass's histograms alive
        return np.array(hist) if size >= self.hist_min_rows else None

    def _plan(self, nodes: list[_Node], requests: list[int], out_left: np.ndarray, out_right: np.ndarray, n_out: int) -> PassPlan:
        internal = np.array([n.left >= 0 for n in nodes])
        slot_of = np.full(len(nodes), -1, dtype=np.int64)
        slot_of[requests] = np.arange(len(requests))
        chosen = [nodes[i] for i in requests]
        return PassPlan(
            tree_feature=np.where(internal, [n.feature for n in nodes], -1).astype(np.int64),
            tree_bin=np.where(internal, [n.split_bin for n in nodes], -1).astype(np.int64),
            tree_nan_left=np.array([n.nan_left for n in nodes], dtype=bool) & internal,
            tree_left=np.array([n.left for n in nodes], dtype=np.int64),
            tree_right=np.array([n.right for n in nodes], dtype=np.int64),
            slot_of=slot_of,
            feature=np.array([n.feature for n in chosen], dtype=np.int64),
            split_bin=np.array([n.split_bin for n in chosen], dtype=np.int64),
            nan_left=np.array([n.nan_left for n in chosen], dtype=bool),
            out_left=out_left,
            out_right=out_right,
            n_out=n_out,
            nan_code=int(self.mapper.nan_code),
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


# ---------------------------------------------------------------- chunk column moments


@njit(cache=True, nogil=True)
def column_pass(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled  # fmt: skip
    # Each column's non-NaN count, mean, the mean's residual, squared deviations and largest
    # magnitude (inf for an infinite value, for the input checks), NaN skipped.
    # Two passes: the sum, then the deviations from its mean. A mean summed row after row is
    # off by rounding that grows with the rows (about 1e-12 of it at a million), so the
    # second pass also sums the deviations: their mean is the residual (the column's mean is
    # mean + residual to well below one ulp of it) and is taken out of the squared
    # deviations (the corrected two-pass form, as _target._two_pass_variance and
    # _preprocessing.missing_fill in memory), so a constant column's are ~0 and the 16-ulp
    # constant test applies. The residual is kept apart, not added to the mean: rounded to
    # its ulp (0.016 at 1e14), a chunk's mean would put that rounding into the spread
    # between the chunks when they are merged (see dask._merge_moments).
    n, d = values.shape
    count = np.zeros(d, dtype=np.int64)
    total = np.zeros(d)
    largest = np.zeros(d)
    for i in range(n):
        for j in range(d):
            v = values[i, j]
            if not np.isnan(v):
                count[j] += 1
                total[j] += v
                largest[j] = max(largest[j], abs(v))
    mean = np.zeros(d)
    for j in range(d):
        if count[j] > 0:
            mean[j] = total[j] / count[j]
    m2 = np.zeros(d)
    shift = np.zeros(d)
    for i in range(n):
        for j in range(d):
            v = values[i, j]
            if not np.isnan(v):
                deviation = v - mean[j]
                shift[j] += deviation
                m2[j] += deviation * deviation
    residual = np.zeros(d)
    for j in range(d):
        if count[j] > 0:
            residual[j] = shift[j] / count[j]
            m2[j] = max(m2[j] - shift[j] * residual[j], 0.0)
    return count, mean, residual, m2, largest
