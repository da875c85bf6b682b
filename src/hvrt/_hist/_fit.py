"""``fit_hist``: bin the tree inputs, grow the tree, and wrap it as the engine's fitted tree."""

from __future__ import annotations

import logging
import numbers
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._tree_contract import GrowthParams
from ._binning import EDGE_SAMPLE_ROWS, MAX_BINS, ROW_SHARE, BinMapper, fit_bins, max_bins_for, transform_bins
from ._categories import category_table, min_category_rows
from ._grow_tree import grow_tree
from ._grower import grow
from ._histograms import histogram_width
from ._jit import aot_module
from ._model import HistFittedTree, HistTree
from ._moments import centring_moments, take_target_moments
from ._node_table import BIN, DEPTH, END, FEATURE, LEFT, NAN_LEFT, RIGHT, START
from ._rows import rows_to_leaves
from ._threads import MIN_ROWS_PER_THREAD, thread_count

# Open leaves of at least this many rows keep their histogram (and at least enough rows that
# the kept histograms take no more memory than a quarter of X, or of X and the target with
# several outputs); smaller leaves rebuild.
_HIST_MIN_ROWS = 1024
# Rows per line of the target's centring with several outputs (see ``centred_target``).
_TILE_ROWS = 64
# Values of a target from which centred_target takes two threads: below, starting them costs
# more than they save (1M x 1, one output: 1.5-1.9 ms on one thread, 1.9-2.8 ms on two).
_CENTRE_THREADED_VALUES = 1 << 22
# A target of several outputs is grown on uncentred when its column means are within this
# fraction of their standard deviations (see ``multi_output_centred``).
_CENTRED_OFFSET = 1e-8
# Splits must gain at least this fraction of the root SSE. Float noise is refused node by
# node (``_split.resolved_gain``: a gain within 64 machine epsilons of the node's own
# scores); this floor only covers a node whose target sums are zero up to the residue of
# histogram subtractions (at most about eps^2 * n of the root SSE, 5e-23 at 1e9 rows). It
# was 1e-12, which refused the real splits of clusters far from the mean: 8 clusters
# 1e4-1e6 apart with unit spread, K = 31, grew 15 leaves (the exact engine 31).
_GAIN_TOLERANCE = 1e-20
# What the first fit on a machine spends compiling when the kernels were not compiled at
# install (python -m benchmarks.coldstart, "numba only" rows, 2 cores: 14.3-15.9 s, session 9).
_COMPILE_SECONDS = 15

logger = logging.getLogger("hvrt")
_compile_checked: set[str] = set()  # the target types (float64, float32) checked in this process


def _announce_compile(target_type: str) -> None:
    """Say once, through ``logging``, that this fit compiles the kernels (an empty cache).

    The check reads the on-disk cache index of ``grow``, the largest kernel, which numba
    writes with every other kernel a fit compiles; it costs a file read, once per process
    and target type. A float32 target (the features target, ``_engines.target_dtype``)
    runs its own compiled versions of the growth kernels, so a cache that holds only the
    float64 ones (a sum target's fit) is cold for it. A warning, so that it shows
    without any logging set up: the user otherwise waits seconds with nothing on screen.
    """
    if target_type in _compile_checked:
        return
    _compile_checked.add(target_type)
    if aot_module() is not None:
        return  # the kernels were compiled at install (``_jit``)
    try:
        signatures = [*grow.signatures, *(key[0] for key in grow._cache._cache_file._load_index())]
        cold = not any(str(signature[2].dtype) == target_type for signature in signatures)  # (y, the target)
    except Exception:  # numba internals moved: say nothing rather than fail a fit
        return
    if cold:
        logger.warning(
            "hvrt: compiling the histogram engine for this machine (once, about %d s)...", _COMPILE_SECONDS
        )


def _seed(random_state: object) -> int | None:
    """An integer seed for the edge sample from an int, a RandomState or None."""
    if random_state is None or isinstance(random_state, numbers.Integral):
        return None if random_state is None else int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    raise TypeError(f"random_state must be an int, a RandomState or None, got {random_state!r}")


def target_means(target_2d: np.ndarray) -> np.ndarray:
    """Column means of an (n, m) target, bit for bit ``target_2d.mean(axis=0)``.

    With several outputs in C order, ``mean(axis=0)`` adds the rows one after another,
    m columns per inner loop (28-40 ms at 1M x 10); ``einsum`` makes the same additions in
    the same order about 2x faster. One output (a contiguous column) keeps numpy's
    pairwise sum.
    """
    if target_2d.shape[1] > 1 and target_2d.flags.c_contiguous:
        return np.einsum("ij->j", target_2d) / target_2d.shape[0]
    return target_2d.mean(axis=0)


def centred_target(target_2d: np.ndarray, target_mean: np.ndarray, in_place: bool) -> tuple[np.ndarray, float]:
    """``target_2d - target_mean`` in C order (written over ``target_2d`` when ``in_place``)
    and its total of squares.

    By halves of the rows, on two threads when allowed and the target is large (a
    ten-output target of 1M rows is 80 MB: each pass is memory-bound; one output of 1M
    rows, 8 MB, is done sooner than two threads start). The values are those of one
    subtraction; the total is the two halves' ``einsum`` totals added, whatever the number
    of threads, so it does not depend on it.
    """
    y = target_2d if in_place else np.empty(target_2d.shape)  # C order, as the growth kernels take it
    half = len(y) // 2
    totals = [0.0, 0.0]

    m = y.shape[1]
    # several outputs: C-ordered rows subtracted as lines of _TILE_ROWS rows, the means tiled
    # to match (numpy's loop over a short last axis costs about 1.5x; the same values)
    tiles = _TILE_ROWS if m > 1 and target_2d.flags.c_contiguous else 1
    mean_tiled = np.tile(target_mean, tiles)

    def centre(h: int) -> None:
        rows = slice(0, half) if h == 0 else slice(half, len(y))
        whole = rows.start + (rows.stop - rows.start) // tiles * tiles
        for lo, hi, tile in ((rows.start, whole, tiles), (whole, rows.stop, 1)):
            if hi > lo:
                block = y[lo:hi].reshape(-1, m * tile)
                np.subtract(target_2d[lo:hi].reshape(block.shape), mean_tiled[: m * tile], out=block)
        block = y[rows]
        totals[h] = float(np.einsum("ij,ij->", block, block))

    if thread_count() >= 2 and half >= MIN_ROWS_PER_THREAD and y.size >= _CENTRE_THREADED_VALUES:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(centre, h) for h in range(2)]:
                future.result()
    else:
        centre(0)
        centre(1)
    return y, totals[0] + totals[1]


def multi_output_centred(target_2d: np.ndarray, moments: tuple[np.ndarray, ...] | None = None) -> float | None:
    """The total of squared deviations of a C-ordered target of several outputs whose
    column means are within ``_CENTRED_OFFSET`` of their spread, else None.

    Such a target (the features target: z-scored columns, whose means are rounding noise,
    around 1e-17 of the spread) is grown on as it is: centring it would move its values by
    that noise and cost two passes (the means, then the subtraction, 25 ms at 1M x 10);
    this costs one pass (``_moments.centring_moments``: column sums and squares of each
    half of the rows, on two threads when allowed, read as lines of ``LINE_ROWS`` rows;
    the blocks' totals added, so the same on any number of threads), or none when
    ``moments`` holds those sums already (``_moments.take_target_moments``: made with
    the target, the same bit for bit).
    """
    n, m = target_2d.shape
    if m < 2 or n == 0 or not target_2d.flags.c_contiguous:
        return None
    # the pass: a kernel (numpy takes a pass for the sums and one for the squares, and this
    # is memory-bound) over the rows as lines (m * LINE_ROWS values: per row of ten values,
    # the kernel's loop ran at a third of the memory's speed; 1M x 10 on two threads
    # 14-20 -> 6 ms)
    if moments is None:
        moments = centring_moments(target_2d, thread_count() if n >= 2 * MIN_ROWS_PER_THREAD else 1)
    sums, squares, rest_sums, rest_squares = moments
    sums = sums.sum(axis=0).reshape(-1, m).sum(axis=0) + rest_sums[0]
    squares = squares.sum(axis=0).reshape(-1, m).sum(axis=0) + rest_squares[0]
    mean = sums / n
    deviations = np.maximum(squares - n * mean * mean, 0.0)
    if not np.all(np.abs(mean) <= _CENTRED_OFFSET * np.sqrt(deviations / n)):
        return None  # (also when a sum is not finite)
    return float(deviations.sum())


def bin_inputs(X_tree: np.ndarray, random_state: object) -> tuple[BinMapper, np.ndarray]:
    """The bin edges and codes :func:`fit_hist` computes for numeric ``X_tree`` with its
    defaults (a private seam): a caller that grows several trees on the same inputs, or on
    subsets of their rows, bins them once and passes ``binned=(mapper, codes[rows])``.
    ``random_state`` seeds the edge sample, as ``GrowthParams.random_state`` does."""
    X_tree = np.asarray(X_tree, dtype=np.float64)
    mapper = fit_bins(
        X_tree, max_bins=MAX_BINS, sample_rows=EDGE_SAMPLE_ROWS, seed=_seed(random_state), row_share=ROW_SHARE
    )
    return mapper, transform_bins(X_tree, mapper)


def fit_hist(
    X_tree: np.ndarray,
    target: np.ndarray,
    params: GrowthParams,
    *,
    max_bins: int | None = None,
    edge_sample_rows: int = EDGE_SAMPLE_ROWS,
    edge_row_share: float = ROW_SHARE,
    overwrite_target: bool = False,
    category_bins: np.ndarray | None = None,
    binned: tuple[BinMapper, np.ndarray] | None = None,
) -> HistFittedTree:
    """Grow a best-first histogram regression tree on ``X_tree`` to explain ``target``.

    Parameters
    ----------
    X_tree : ndarray of float64, shape (n_samples, n_features)
        Tree inputs; NaN allowed (routed to the better side of each split), no infinities.
    target : ndarray of float64, shape (n_samples,) or (n_samples, n_outputs)
        Target to explain; the gain of a split is its summed per-output SSE reduction.
        A C-ordered float32 target of several outputs whose column means are rounding
        noise (the partitioner's features target, ``_engines.target_dtype``) is grown on
        in float32: half the bytes per row to read into each histogram and to move in
        each split (the histograms, node sums and gains are float64 all the same); the
        tree's ``value`` is then the mean of those float32 values over each node's rows,
        exact to them (a float32 target that needs centring is centred into float64).
        Any other target is taken as float64.
    params : GrowthParams
        ``max_leaf_nodes`` (None: until no split gains), ``min_samples_leaf``,
        ``max_depth``, ``min_variance_reduction`` (each split must remove this fraction of
        the root's SSE, scikit-learn's ``min_impurity_decrease`` rule) and
        ``random_state`` (seeds the row sample that places bin edges).
    max_bins : int in [2, 255] or None, default=None
        Value bins per feature; NaN has a bin of its own. None: 255 for a target of one
        output, ``MULTI_OUTPUT_MAX_BINS`` (127) for several (``_binning.max_bins_for``).
    edge_sample_rows : int, default=20_000
        Rows sampled to place the bin edges when there are more.
    edge_row_share : float in (0, 1], default=0.75
        How far bin edges follow the rows (1.0: plain quantiles) rather than the
        features' squared deviation; see ``_binning.fit_bins``.
    overwrite_target : bool, default=False
        Centre and permute ``target`` in place (when it is a C-ordered float64 array)
        instead of working on a copy. (A target of several outputs whose column means
        are rounding noise, such as the features target, is not centred: see
        :func:`multi_output_centred`.)
    category_bins : ndarray of int, shape (n_features,), optional
        For each native categorical tree input, its number of category codes ``B``
        (0 for a numeric input): the column holds the codes ``0 .. B - 1`` (``B <= 255``),
        and its splits send a set of codes left (``_categories``); at a node, the
        categories with fewer rows than the mean partition (``n / max_leaf_nodes``, at
        most ``MIN_CATEGORY_ROWS``, 200) are kept together. None: all numeric.
    binned : (BinMapper, ndarray of uint8), optional
        A private seam: the edges and the codes of ``X_tree``'s rows from
        :func:`bin_inputs` (on these rows or on a superset of them), used instead of
        binning ``X_tree`` afresh; the codes are permuted in place. Numeric inputs only;
        ``max_bins``, ``edge_sample_rows`` and ``edge_row_share`` are then the binning's.

    Returns
    -------
    HistFittedTree

    Raises
    ------
    ValueError
        When a categorical column holds anything but its codes.
    """
    X_tree = np.asarray(X_tree, dtype=np.float64)
    if X_tree.ndim != 2:
        raise ValueError(f"X_tree must be 2-D, got shape {X_tree.shape}")
    n_samples, n_features = X_tree.shape
    if not (X_tree.flags.c_contiguous or X_tree.flags.f_contiguous):
        X_tree = np.ascontiguousarray(X_tree)
    target = np.asarray(target)
    # the centring check's sums, where the target was made with them (_target, the features
    # target of a large row-major X): the same sums as its pass would take, without it
    moments = take_target_moments(target)
    if target.dtype == np.float32 and target.ndim == 2 and target.shape[1] > 1 and target.flags.c_contiguous:
        target_2d = target  # grown on as it is (see the docstring); the rest in float64
    else:
        target_2d = np.asarray(target, dtype=np.float64).reshape(n_samples, -1)
    _announce_compile(target_2d.dtype.name)
    # growth permutes y in place; centring keeps the gains' rounding error relative to
    # the target's spread rather than its offset
    in_place = overwrite_target and target_2d.flags.c_contiguous and target_2d.flags.writeable
    same = (target_2d is target or target_2d.base is target) and target_2d.shape == target.shape
    centred = multi_output_centred(target_2d, moments if same else None)
    if centred is not None:  # already centred (the features target): taken as it is
        root_sse = centred
        target_mean = np.zeros(target_2d.shape[1])
        y = target_2d if in_place else np.array(target_2d, order="C")
    else:
        if target_2d.dtype != np.float64:  # a float32 target that needs centring: as float64 values
            target_2d, in_place = target_2d.astype(np.float64), True
        target_mean = target_means(target_2d)
        y, root_sse = centred_target(target_2d, target_mean, in_place)

    categorical = np.zeros(n_features, dtype=bool)
    if category_bins is not None:
        category_bins = np.asarray(category_bins, dtype=np.int64)
        if category_bins.shape != (n_features,):
            raise ValueError(f"category_bins must have one entry per tree input ({n_features}), got shape {category_bins.shape}")
        categorical = category_bins > 0  # (their codes are checked as they are binned)
    if binned is not None:
        if categorical.any():
            raise ValueError("pre-binned inputs must be numeric (category_bins all 0 or None)")
        mapper, codes = binned
        if codes.shape[0] != n_samples or mapper.edges.shape[0] != n_features:
            raise ValueError(f"binned codes of shape {codes.shape} do not match X_tree of shape {X_tree.shape}")
    else:
        mapper = fit_bins(
            X_tree, max_bins=max_bins_for(y.shape[1]) if max_bins is None else max_bins, sample_rows=edge_sample_rows, seed=_seed(params.random_state),
            row_share=edge_row_share, category_bins=category_bins,
        )  # fmt: skip
        codes = transform_bins(X_tree, mapper)
    n_outputs = y.shape[1]
    if n_outputs == 1:
        hist_min_rows = max(_HIST_MIN_ROWS, 4 * mapper.n_codes * 2)
    else:
        # kept histograms within a quarter of X and the target together: with several
        # outputs a smaller leaf's rebuild costs more, and the target's memory is there too
        width = histogram_width(n_outputs)
        hist_min_rows = max(_HIST_MIN_ROWS, 4 * mapper.n_codes * width * n_features // (n_features + n_outputs))
    max_leaves = n_samples if params.max_leaf_nodes is None else int(params.max_leaf_nodes)
    max_depth = np.iinfo(np.int32).max if params.max_depth is None else int(params.max_depth)
    min_gain = max(params.min_variance_reduction, _GAIN_TOLERANCE) * root_sse
    # scikit-learn's rule: a node whose impurity (mean per-output variance) is within
    # machine epsilon of zero is pure; a target that is zero up to rounding has no splits
    if n_features == 0 or root_sse <= n_samples * n_outputs * np.finfo(np.float64).eps:
        max_leaves = 1  # nothing to split on, or nothing to explain
    node_int, node_float, rows = grow_tree(
        codes, y, mapper.n_value_bins, mapper.nan_code, max_leaves, int(params.min_samples_leaf),
        max_depth, float(min_gain), int(hist_min_rows), categorical,
        # a category with fewer rows at a node than the mean partition (at most
        # MIN_CATEGORY_ROWS) is split together with the other such categories
        min_category_rows(n_samples, max_leaves),
    )  # fmt: skip
    del codes, y, target_2d

    children_left = node_int[:, LEFT].copy()
    is_leaf = children_left < 0
    feature = node_int[:, FEATURE].copy()
    split_bin = node_int[:, BIN]
    threshold = np.full(len(feature), -2.0)  # scikit-learn's leaf marker
    internal = ~is_leaf
    # an edge index past the feature's last edge hits the +inf padding: values vs NaN
    threshold[internal] = mapper.edges[feature[internal], np.maximum(split_bin[internal], 0)]
    categorical_node = internal & (categorical[np.maximum(feature, 0)] if n_features else False)
    threshold[categorical_node] = np.nan  # a set of codes, not a threshold (category_left)
    sizes = node_int[:, END] - node_int[:, START]
    tree = HistTree(
        feature=feature,
        threshold=threshold,
        nan_left=(node_int[:, NAN_LEFT] == 1) & internal,
        children_left=children_left,
        children_right=node_int[:, RIGHT].copy(),
        n_node_samples=sizes,
        value=node_float[:, 1:] / np.maximum(sizes, 1)[:, None] + target_mean,
        depth=node_int[:, DEPTH].copy(),
        bin_edges=[mapper.edges[j, : mapper.n_value_bins[j] - 1].copy() for j in range(n_features)],
        categorical=categorical if categorical.any() else None,
        category_left=(
            category_table(node_int, categorical_node, int(category_bins.max())) if categorical.any() else None
        ),
    )
    leaf_nodes = np.flatnonzero(is_leaf).astype(np.int64)
    # each row's leaf as its index among the leaves (the partitioner's label), not its node id
    training_labels = rows_to_leaves(
        rows, np.arange(len(leaf_nodes), dtype=np.int64), node_int[leaf_nodes, START].copy(),
        node_int[leaf_nodes, END].copy(),
    )  # fmt: skip
    return HistFittedTree(tree, training_labels)
