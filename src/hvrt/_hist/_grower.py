"""Best-first least-squares growth on binned inputs (numba kernels).

Rows live in one array segment per node. Splitting a node partitions its segment in place
(codes, target and row ids move together), then builds the histogram of the smaller child
from its now contiguous rows; the larger child's histogram is the parent's minus the
smaller's.

Best-first growth is serial by nature: which node splits next depends on every split
before it. But the subtrees below the root's two children grow independently of each
other, and the global best-first order is the merge of their own best-first orders (at
every step the larger of the two next gains). So large inputs are grown as: split the
root; grow each child's subtree on its own thread (releasing the GIL), up to every
remaining leaf; merge the two split sequences by gain, cut each subtree where the merge
stops taking from it, and number the nodes as serial growth would. The result is node for
node the tree that serial growth gives (all but the SLOT bookkeeping column), whatever the
number of threads. Neither subtree knows how many leaves it will get, so each publishes
its splits, in order, on a shared board as it makes them, and both replay the merge as
far as the published splits decide it: a subtree stops as soon as the merge is decided
without its further splits, or once its splits that the merge has not yet taken are as
many as the merge has left to take (a thread that runs ahead of the other, on a busy
machine, stops there rather than grow every leaf it could take). The thread that finishes
last thus stops where serial growth would; only the other may have grown past its share
in the meantime (before the board, each grew every leaf it could take: about twice serial
growth's split searches at K = 4096). Plain threads, no OpenMP region: no spinning threads on a busy machine and no
fork hazards (GNU OpenMP aborts a forked child of a process that used it).

Histograms are kept between splits only for open leaves of at least ``hist_min_rows`` rows
(their number is bounded by ``n / hist_min_rows``, which bounds the memory); a smaller leaf
rebuilds both children's histograms from its rows, which costs less than a subtraction of
full histograms would save.
"""

from __future__ import annotations

import numpy as np

from ._histograms import fill_features, fill_histogram, histogram_sum, histogram_sums, subtract_histograms
from ._jit import intrinsic, njit, types
from ._categories import evaluate_mixed, split_rows_by_set
from ._node_table import (
    BIN,
    CATEGORIES,
    DEPTH,
    END,
    FEATURE,
    GAIN,
    LEFT,
    N_FIELDS,
    N_LEFT,
    NAN_LEFT,
    ORDER,
    RIGHT,
    SLOT,
    START,
    enlarged,
    heap_pop,
    heap_push,
)
from ._rows import split_rows, split_rows_half, target_words, uses_swapping
from ._split import evaluate_node


@njit(cache=True, inline="always")
def _child_histograms(hist, codes, y, small_slot, small_start, small_size, large_slot, large_start, large_size, build_both):
    # histograms from contiguous rows after the partition: a tight loop beats
    # accumulating inside the partition pass
    fill_histogram(hist[small_slot], codes, y, small_start, small_start + small_size)
    if build_both:
        fill_histogram(hist[large_slot], codes, y, large_start, large_start + large_size)
    else:
        subtract_histograms(hist[large_slot], hist[small_slot])


# The coordination board of two subtrees grown side by side (see ``grow``'s ``board``):
# per side, the number of split-sequence entries published, whether the sequence is
# complete, then each entry's local node id (the gains are in ``board_gain``).
PUBLISHED, FINAL, ENTRIES = 0, 1, 2


@intrinsic
def _load_acquire(typingctx, board, offset):
    """``board.flat[offset]`` read as an acquire load: what the other thread wrote before
    its matching :func:`_store_release` is visible after it."""
    if not (isinstance(board, types.Array) and board.layout == "C" and board.dtype == types.int64):
        return None
    signature = types.int64(board, offset)

    def codegen(context, builder, sig, args):
        array = context.make_array(sig.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], sig.args[1], types.intp)
        return builder.load_atomic(builder.gep(array.data, [index]), "acquire", 8)

    return signature, codegen


@intrinsic
def _store_release(typingctx, board, offset, value):
    """``board.flat[offset] = value`` as a release store: every write before it is visible
    to a thread that reads ``value`` with :func:`_load_acquire`."""
    if not (isinstance(board, types.Array) and board.layout == "C" and board.dtype == types.int64):
        return None
    signature = types.void(board, offset, value)

    def codegen(context, builder, sig, args):
        array = context.make_array(sig.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], sig.args[1], types.intp)
        stored = context.cast(builder, args[2], sig.args[2], types.int64)
        builder.store_atomic(stored, builder.gep(array.data, [index]), "release", 8)
        return context.get_dummy_value()

    return signature, codegen


@njit(cache=True, inline="always")
def _advance_merge(board, board_gain, global_split, taken, n_merged, max_leaves):
    """Replay the merge of the two subtrees' split sequences (``_merge_order``) as far as
    the entries published on the board decide it; returns the merged split count, negated
    (minus one) when the merge is complete.

    A step needs each side's next entry, or that side's sequence complete; when one is
    still missing the merge waits (returns) rather than guess. Both threads replay it on
    their own copy of ``global_split`` and ``taken``, so no merge state is shared.
    """
    width = board.shape[1]
    while n_merged < max_leaves:
        best = -1
        best_gain = 0.0
        best_id = 0
        for s in range(2):
            if taken[s] >= _load_acquire(board, s * width + PUBLISHED):
                if _load_acquire(board, s * width + FINAL) == 0:
                    return n_merged  # its next split is not known yet
                if taken[s] >= _load_acquire(board, s * width + PUBLISHED):
                    continue  # (re-read: the last entry may have come with the flag)
            local = board[s, ENTRIES + taken[s]]
            if local == 0:
                node_id = 1 + s
            else:
                node_id = 2 * global_split[s, (local - 1) // 2] + 1 + (local - 1) % 2
            gain = board_gain[s, taken[s]]
            if best < 0 or gain > best_gain or (gain == best_gain and node_id < best_id):
                best, best_gain, best_id = s, gain, node_id
        if best < 0:
            break  # both sequences complete and taken
        global_split[best, taken[best]] = n_merged
        taken[best] += 1
        n_merged += 1
    return -n_merged - 1


@njit(cache=True, nogil=True)
def grow(
    codes: np.ndarray,
    words: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray,
    seg_start: int,
    seg_end: int,
    root_hist: np.ndarray,
    root_sums: np.ndarray,
    root_depth: int,
    n_value_bins: np.ndarray,
    categorical: np.ndarray,
    nan_code: int,
    max_leaves: int,
    min_leaf: int,
    max_depth: int,
    min_gain: float,
    hist_min_rows: int,
    min_category_rows: int,
    board: np.ndarray,
    board_gain: np.ndarray,
    side: int,
):
    """Grow a best-first tree on rows [seg_start, seg_end), permuting them into node order in place.

    Parameters
    ----------
    codes : uint8 array (n, width), C order, width a multiple of 8 >= p (from transform_bins).
    words : the same memory as uint64 (n, width // 8), to move rows word by word.
    y : float64 or float32 array (n, m), C order (the target, centred; see ``fit_hist``).
    rows : int32 array (n,), the original row of each position; permuted with the rows.
    seg_start, seg_end : int, the rows of this tree's root.
    root_hist : float64 (p, nan_code + 1, histogram_width(m)), the root's histogram (copied,
        not changed).
    root_sums : float64 (m,), the root's per-output target sums.
    root_depth : int, the root's depth in the whole tree (0, or 1 for a root's child).
    n_value_bins : int64 array (p,).
    categorical : bool array (p,), the features split natively as categories (``_categories``), or
        None when there are none (then their kernels are not compiled into this version).
    nan_code : int, the NaN code (histogram width - 1).
    max_leaves : int, stop at this many leaves.
    min_leaf : int, minimum rows per child.
    max_depth : int, nodes at this depth are not split.
    min_gain : float, a split's SSE reduction must be at least this (and positive).
    hist_min_rows : int, open leaves this large keep their histogram.
    min_category_rows : int, categories with fewer rows at a node are split as one (``_categories``).
    board : int64 array (2, ENTRIES + max_leaves), zeros on entry, shared by the two subtrees
        of the root grown side by side; ``side`` (0 or 1) is this one's row. Each split of
        this subtree is published there (its local node id, and its gain in
        ``board_gain``, float64 (2, max_leaves)) before it is made, and growth stops as
        soon as the merge of both sides' sequences (:func:`merge_subtrees`) is decided
        without this subtree's further splits, or as soon as its splits not yet merged
        are as many as the splits the merge has left to take (then the merge never
        needs another). A subtree that stops for any other reason sets its FINAL flag. ``side`` -1: no other subtree, grow to ``max_leaves``.

    Returns
    -------
    node_int : int64 (n_nodes, N_FIELDS) node table (see the column constants); split
        number ``j`` creates nodes ``2j + 1`` and ``2j + 2``.
    node_float : float64 (n_nodes, 1 + m): best gain, then the node's target sums.
    """
    n = seg_end - seg_start
    p = n_value_bins.shape[0]
    m = y.shape[1]
    width = nan_code + 1

    # conditionals, not min() / max(): each builtin overload is one more function to compile
    capacity = 2 * max_leaves if 2 * max_leaves < 4096 else 4096  # noqa: FURB136
    node_int, node_float, heap = enlarged(
        np.empty((0, N_FIELDS), dtype=np.int64), np.empty((0, 1 + m)), np.empty(0, dtype=np.int64), capacity
    )
    heap_size = np.int64(0)  # not a literal 0: one compiled heap_push, not two

    n_slots = (max_leaves if max_leaves < n // hist_min_rows else n // hist_min_rows) + 2  # noqa: FURB136
    hist = np.empty((n_slots + 2, p, width, root_hist.shape[2]))  # + two scratch histograms
    scratch_a, scratch_b = n_slots, n_slots + 1
    free_slots = np.empty(n_slots, dtype=np.int64)
    for t in range(n_slots):
        free_slots[t] = n_slots - 1 - t
    n_free = n_slots
    # per-bin work arrays of the split search (rows 0-5) and the per-output left sums (row 6)
    scratch_width = width if width > m else m  # noqa: FURB136
    split_scratch = np.empty((7, scratch_width))
    # the numeric search skips categorical features (one value bin: no threshold)
    numeric_bins = np.empty(p, dtype=np.int64)  # (np.empty + a loop: no copy() or zeros() overload to compile)
    for f in range(p):
        numeric_bins[f] = n_value_bins[f]
    if categorical is not None:
        for f in range(p):
            if categorical[f]:
                numeric_bins[f] = 1
    category_scratch = np.empty((4, scratch_width))
    bits = np.empty(4, dtype=np.int64)
    for w in range(4):
        bits[w] = 0
    # this thread's replay of the merge (see _advance_merge)
    coordinated = side >= 0
    merge_splits = np.empty((2, board_gain.shape[1]), dtype=np.int64)
    merge_taken = np.empty(2, dtype=np.int64)
    merge_taken[0], merge_taken[1] = 0, 0
    n_merged = np.int64(1)  # the whole tree's root split
    stopped = False

    # root
    node_int[0, START], node_int[0, END], node_int[0, DEPTH] = seg_start, seg_end, root_depth
    n_free -= 1
    root_slot = free_slots[n_free]
    for f in range(p):
        for b in range(width):
            for k in range(root_hist.shape[2]):
                hist[root_slot, f, b, k] = root_hist[f, b, k]
    for k in range(m):
        node_float[0, 1 + k] = root_sums[k]
    n_nodes = 1
    n_leaves = 1
    n_splits = 0
    pending = np.empty(2, dtype=np.int64)  # nodes whose best split is to be found
    pending_slot = np.empty(2, dtype=np.int64)
    pending[0], pending_slot[0] = 0, root_slot
    n_pending = 1

    while True:
        # find the best split of the new nodes and queue the splittable ones
        for t in range(n_pending):
            node, slot = pending[t], pending_slot[t]
            size = node_int[node, END] - node_int[node, START]
            # ``categorical is None`` is pruned at compile time (numba's dead-branch pass on a
            # None argument): a fit without categorical inputs never compiles their kernels
            if categorical is None:
                gain, feature, split_bin, nan_left, n_left = evaluate_node(
                    hist[slot], numeric_bins, nan_code, node_float[node, 1:], size, node_int[node, DEPTH],
                    min_leaf, max_depth, min_gain, split_scratch,
                )  # fmt: skip
            else:
                gain, feature, split_bin, nan_left, n_left = evaluate_mixed(
                    hist[slot], numeric_bins, n_value_bins, categorical, nan_code, node_float[node, 1:], size,
                    node_int[node, DEPTH], min_leaf, max_depth, min_gain, min_category_rows, split_scratch,
                    category_scratch, bits,
                )  # fmt: skip
                if feature >= 0 and categorical[feature]:
                    for w in range(4):
                        node_int[node, CATEGORIES + w] = bits[w]
            keep = False
            if feature >= 0:
                node_float[node, GAIN] = gain
                node_int[node, FEATURE], node_int[node, BIN] = feature, split_bin
                node_int[node, NAN_LEFT], node_int[node, N_LEFT] = nan_left, n_left
                heap_size = heap_push(heap, heap_size, node, node_float[:, GAIN])
                # the whole tree's root keeps its histogram even when small
                keep = size >= hist_min_rows or (node == 0 and root_depth == 0)
            if slot < n_slots:
                if keep:
                    node_int[node, SLOT] = slot
                else:
                    free_slots[n_free] = slot
                    n_free += 1
        if n_leaves >= max_leaves or heap_size == 0:
            break
        if coordinated:
            if n_merged >= 0:
                n_merged = _advance_merge(board, board_gain, merge_splits, merge_taken, n_merged, max_leaves)
            if n_merged < 0:  # the merge is decided: no further split of this subtree is taken
                stopped = True
                break
            if n_splits - merge_taken[side] >= max_leaves - n_merged:
                # its splits not yet merged cover every split the merge has left to take, so
                # the merge never needs another one (nor waits for this side's FINAL flag)
                stopped = True
                break

        parent = heap_pop(heap, heap_size, node_float[:, GAIN])
        heap_size -= 1
        if coordinated:
            # publish the split before making it: the other thread's merge may need it
            # (one call site of the inlined merge, at the loop's top: a split the merge
            # turns out not to need costs less than a second inlined copy costs to compile)
            board_gain[side, n_splits] = node_float[parent, GAIN]
            board[side, ENTRIES + n_splits] = parent
            _store_release(board, side * board.shape[1] + PUBLISHED, n_splits + 1)
        start, end = node_int[parent, START], node_int[parent, END]
        n_left = node_int[parent, N_LEFT]
        n_right = end - start - n_left
        left_is_small = n_left <= n_right
        small_size = n_left if left_is_small else n_right
        parent_slot = node_int[parent, SLOT]
        if parent_slot >= 0:
            if small_size >= hist_min_rows:
                n_free -= 1
                small_slot = free_slots[n_free]
            else:
                small_slot = scratch_a
            large_slot = parent_slot
        else:
            small_slot, large_slot = scratch_a, scratch_b
        left_slot = small_slot if left_is_small else large_slot
        right_slot = large_slot if left_is_small else small_slot
        feature, split_bin = node_int[parent, FEATURE], node_int[parent, BIN]
        nan_left = node_int[parent, NAN_LEFT] == 1
        if categorical is None:
            split_rows(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, n_left)
        elif categorical[feature]:
            for w in range(4):
                bits[w] = node_int[parent, CATEGORIES + w]
            split_rows_by_set(codes, words, y, rows, start, end, feature, bits, nan_left, nan_code)
        else:
            split_rows(codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, n_left)
        small_start = start if left_is_small else start + n_left
        large_start = start + n_left if left_is_small else start
        _child_histograms(
            hist, codes, y, small_slot, small_start, small_size, large_slot, large_start,
            end - start - small_size, parent_slot < 0,
        )  # fmt: skip

        if n_nodes + 2 > capacity:
            capacity *= 2
            node_int, node_float, heap = enlarged(node_int, node_float, heap, capacity)
        left, right = n_nodes, n_nodes + 1
        n_nodes += 2
        node_int[parent, LEFT], node_int[parent, RIGHT] = left, right
        node_int[parent, SLOT] = -1
        node_int[parent, ORDER] = n_splits
        n_splits += 1
        depth = node_int[parent, DEPTH] + 1
        node_int[left, START], node_int[left, END], node_int[left, DEPTH] = start, start + n_left, depth
        node_int[right, START], node_int[right, END], node_int[right, DEPTH] = start + n_left, end, depth
        for k in range(m):
            node_float[left, 1 + k] = histogram_sum(hist[left_slot], k)
            node_float[right, 1 + k] = node_float[parent, 1 + k] - node_float[left, 1 + k]
        n_leaves += 1
        pending[0], pending_slot[0] = left, left_slot
        pending[1], pending_slot[1] = right, right_slot
        n_pending = 2

    if coordinated and not stopped:  # this subtree's whole sequence is published
        _store_release(board, side * board.shape[1] + FINAL, 1)
    # open leaves left in the heap are leaves: forget their candidate splits
    for t in range(n_nodes):
        if node_int[t, LEFT] < 0:
            node_int[t, FEATURE] = -1
            node_int[t, BIN] = -1
    return node_int[:n_nodes], node_float[:n_nodes]


def split_root(
    codes, words, y, rows, hists, root_sums, n_value_bins, categorical, nan_code, min_leaf, max_depth, min_gain,
    min_category_rows, pool=None,
):
    """Split the whole tree's root (rows [0, n)) as :func:`grow` would.

    ``hists[0]`` holds the root's histogram on entry; on return, when the root splits,
    ``hists[0]`` and ``hists[1]`` hold the left and right children's histograms, built with
    the same arithmetic as in ``grow`` (the smaller child from its rows, the larger as the
    root minus it), so subtrees grown from them match serial growth exactly.

    Plain Python over the kernels that :func:`grow` calls, with the argument types of
    ``grow``'s own calls (int64, bool, C-ordered arrays): numba then reuses their compiled
    code instead of compiling a second copy of every kernel for this one split.

    ``pool``: two worker threads, or None. With them, the root's row partition (where
    ``split_rows`` swaps misplaced pairs) is shared between the threads pair by pair
    (:func:`split_rows_half`), and the smaller child's histogram is filled by two
    threads a half of the features each (:func:`fill_features`): the same swaps and the
    same additions in the same order as on one thread, so the same rows and histograms.

    Returns
    -------
    (gain, feature, bin, nan_left, n_left, left_sums, right_sums, bits); feature is -1
    when the root does not split; ``bits`` holds a categorical split's set.
    """
    n = codes.shape[0]
    m = y.shape[1]
    scratch = np.empty((7, max(nan_code + 1, m)))
    category_scratch = np.empty((4, max(nan_code + 1, m)))
    bits = np.zeros(4, dtype=np.int64)
    if categorical is None:
        gain, feature, split_bin, nan_left, n_left = evaluate_node(
            hists[0], n_value_bins, int(nan_code), root_sums, int(n), 0, int(min_leaf), int(max_depth),
            float(min_gain), scratch,
        )  # fmt: skip
    else:
        numeric_bins = np.where(categorical, 1, n_value_bins).astype(np.int64)
        gain, feature, split_bin, nan_left, n_left = evaluate_mixed(
            hists[0], numeric_bins, n_value_bins, categorical, int(nan_code), root_sums, int(n), 0, int(min_leaf),
            int(max_depth), float(min_gain), int(min_category_rows), scratch, category_scratch, bits,
        )  # fmt: skip
    if feature < 0:
        return gain, feature, split_bin, nan_left, n_left, np.zeros(m), np.zeros(m), bits
    n_right = n - n_left
    left_is_small = n_left <= n_right
    small_size = n_left if left_is_small else n_right
    if categorical is not None and categorical[feature]:
        split_rows_by_set(codes, words, y, rows, 0, n, feature, bits, bool(nan_left), int(nan_code))
    elif pool is not None and uses_swapping(small_size, n, m):
        y_words = target_words(y)
        _on_both(
            pool, split_rows_half, lambda half: (
                codes, words, y_words, rows, 0, n, feature, split_bin, bool(nan_left), int(nan_code), n_left, half,
            ),
        )  # fmt: skip
    else:
        split_rows(codes, words, y, rows, 0, n, feature, split_bin, bool(nan_left), int(nan_code), n_left)
    small_start = 0 if left_is_small else n_left
    # as grow's _child_histograms (inlined there, not a kernel of its own): the smaller child
    # from its rows, the larger as the root minus it (numpy subtracts element by element)
    p = hists.shape[1]
    if pool is not None and p >= 2:
        bounds = (0, p // 2, p)
        _on_both(pool, fill_features, lambda half: (
            hists[1], codes, y, small_start, small_start + small_size, bounds[half], bounds[half + 1],
        ))  # fmt: skip
    else:
        fill_histogram(hists[1], codes, y, small_start, small_start + small_size)
    hists[0] -= hists[1]
    if left_is_small:  # the children's histograms in left, right order
        hists[[0, 1]] = hists[[1, 0]]
    left_sums = histogram_sums(hists[0])[:m]
    return gain, feature, split_bin, nan_left, n_left, left_sums, root_sums - left_sums, bits


def _on_both(pool, kernel, arguments) -> None:
    """``kernel(*arguments(half))`` for half 0 and 1 on the pool's two threads."""
    for future in [pool.submit(kernel, *arguments(half)) for half in range(2)]:
        future.result()


def _split_sequence(node_int: np.ndarray) -> np.ndarray:
    """The nodes of one tree in the order they were split."""
    order = node_int[:, ORDER]
    split = order >= 0
    sequence = np.empty((node_int.shape[0] - 1) // 2, dtype=np.int64)
    sequence[order[split]] = np.flatnonzero(split)
    return sequence


@njit(cache=True, nogil=True)
def _merge_order(nodes, gains, counts, global_split, max_leaves) -> None:
    """Replay best-first growth over the two subtrees' split sequences.

    ``nodes`` and ``gains`` hold the left subtree's split sequence (its ``counts[0]``
    splitting nodes and their gains) followed by the right one's. Fills
    ``global_split[t]`` (-1 on entry) with the whole tree's split number of split ``t``,
    for the splits taken; those of each side are a prefix of its sequence.
    """
    first = np.empty(2, dtype=np.int64)
    first[0], first[1] = 0, counts[0]
    taken = np.empty(2, dtype=np.int64)
    taken[0], taken[1] = 0, 0
    n_splits = 1  # the root's
    while n_splits + 1 < max_leaves:
        best = -1
        best_gain = 0.0
        best_id = 0
        for s in range(2):
            if taken[s] < counts[s]:
                head = first[s] + taken[s]
                local = nodes[head]
                # a subtree's node 2j + 1 or 2j + 2 was made by its split j; its root is node 1 or 2
                if local == 0:
                    node_id = 1 + s
                else:
                    node_id = 2 * global_split[first[s] + (local - 1) // 2] + 1 + (local - 1) % 2
                gain = gains[head]
                if best < 0 or gain > best_gain or (gain == best_gain and node_id < best_id):
                    best, best_gain, best_id = s, gain, node_id
        if best < 0:
            break
        global_split[first[best] + taken[best]] = n_splits
        taken[best] += 1
        n_splits += 1


def merge_subtrees(
    root_int, root_float, left_int, left_float, right_int, right_float, max_leaves, published=(None, None)
):
    """The whole tree from the root's split and its two children's subtrees.

    Replays best-first growth: at each step, the subtree whose next split has the larger
    gain (ties to the older node, i.e. the smaller global id) takes it, until
    ``max_leaves`` leaves or no split is left. Each subtree is cut after the splits it
    took, and nodes get the ids serial growth gives them (split ``t`` creates nodes
    ``2t + 1`` and ``2t + 2``). The replay is a small kernel; the renumbering is numpy.

    Parameters
    ----------
    root_int, root_float : the root's rows of the node tables (LEFT/RIGHT ignored).
    left_int, left_float, right_int, right_float : :func:`grow`'s tables of the subtrees
        under the root's left and right child.
    max_leaves : int
    published : per subtree, None when it grew its whole split sequence, or the local node
        ids and gains of the splits it published on its board before it stopped early
        (see :func:`grow`): the table's sequence, perhaps followed by one split not made.

    Returns
    -------
    node_int, node_float : the whole tree's node tables, as :func:`grow` returns them
        (but for the SLOT column, which only growth itself reads); None when the merge
        needed a split that a subtree that stopped early did not make (or publish), which
        ``grow``'s stopping rule rules out (the caller then grows the tree again).
    """
    tables = ((left_int, left_float), (right_int, right_float))
    sequences = [_split_sequence(node_int) for node_int, _ in tables]
    made = [len(sequence) for sequence in sequences]
    merged = []
    for (_, node_float), sequence, board in zip(tables, sequences, published):
        if board is None:
            merged.append((sequence, node_float[sequence, GAIN]))
        elif len(board[0]) - len(sequence) not in (0, 1) or not np.array_equal(board[0][: len(sequence)], sequence):
            return None  # the board and the table disagree
        else:
            merged.append(board)
    nodes = np.concatenate([sequence for sequence, _ in merged])
    gains = np.concatenate([gain for _, gain in merged])
    counts = np.array([len(sequence) for sequence, _ in merged], dtype=np.int64)
    global_split = np.full(len(nodes), -1, dtype=np.int64)
    _merge_order(nodes, gains, counts, global_split, int(max_leaves))

    n_splits = 1 + int(np.count_nonzero(global_split >= 0))
    for side in range(2):
        splits = global_split[counts[0] :] if side else global_split[: counts[0]]
        taken = int(np.count_nonzero(splits >= 0))
        if published[side] is None:
            continue
        if taken > made[side]:
            return None  # it took a split that was published but not made
        # every published split taken: the merge must have ended (at max_leaves) with the
        # last one, or it decided a step without this side's next split
        last = int(splits[-1]) if len(splits) else 0
        if taken == len(splits) and (n_splits + 1 < max_leaves or last != n_splits - 1):
            return None
    node_int = np.full((2 * n_splits + 1, N_FIELDS), -1, dtype=np.int64)
    node_float = np.zeros((2 * n_splits + 1, root_float.shape[0]))
    node_int[0], node_float[0] = root_int, root_float
    node_int[0, [LEFT, RIGHT, ORDER]] = 1, 2, 0
    for side, (table, values) in enumerate(tables):
        start = 0 if side == 0 else counts[0]
        splits = global_split[start : start + made[side]]
        taken = int(np.count_nonzero(splits >= 0))
        n_local = 2 * taken + 1
        local = np.arange(1, n_local)
        global_id = np.empty(n_local, dtype=np.int64)
        global_id[0] = 1 + side
        global_id[1:] = 2 * splits[(local - 1) // 2] + 1 + (local - 1) % 2
        table = table[:n_local]
        node_int[global_id] = table
        node_float[global_id] = values[:n_local]
        order = table[:, ORDER]
        internal = (order >= 0) & (order < taken)
        inner = global_id[internal]
        node_int[inner, LEFT] = global_id[table[internal, LEFT]]
        node_int[inner, RIGHT] = global_id[table[internal, RIGHT]]
        node_int[inner, ORDER] = splits[order[internal]]
        # split later in its subtree, or never: a leaf of the whole tree
        node_int[np.ix_(global_id[~internal], [LEFT, RIGHT, ORDER, FEATURE, BIN])] = -1
    return node_int, node_float
