"""Two-subtree growth (the root's children grown on two threads, then merged) against serial growth.

The merge must replay serial best-first growth exactly, so the node tables must be equal
field for field, whatever the data, the limits and the ties.
"""

from __future__ import annotations

import numpy as np
import pytest

from hvrt._hist import _grow_tree, _threads
from hvrt._hist._binning import fit_bins, transform_bins
from hvrt._hist._grower import ENTRIES, PUBLISHED, grow, merge_subtrees
from hvrt._hist._histograms import fill_histogram, histogram_sums, histogram_width
from hvrt._hist._node_table import END, GAIN, LEFT, N_FIELDS, ORDER, SLOT, START
from hvrt._hist._rows import rows_to_leaves

N_ROWS = _grow_tree.TWO_SUBTREES_MIN_ROWS + 5_000
COMPARED = [c for c in range(N_FIELDS) if c != SLOT]  # histogram slots are bookkeeping


def grow_both_ways(monkeypatch, X, y, max_leaves, min_leaf=1, max_depth=2**31 - 1, min_gain=0.0):
    mapper = fit_bins(X, sample_rows=20_000, seed=0)
    results = []
    for threads in (2, 1):
        monkeypatch.setattr(_threads.config, "NUMBA_NUM_THREADS", threads)
        codes = transform_bins(X, mapper)
        target = np.array(y.reshape(len(y), -1) - y.reshape(len(y), -1).mean(axis=0), order="C")
        node_int, node_float, rows = _grow_tree.grow_tree(
            codes, target, mapper.n_value_bins, mapper.nan_code, max_leaves, min_leaf, max_depth, min_gain, 2048
        )
        results.append((node_int, node_float, rows))
    return results


def leaf_of_rows(node_int, rows):
    leaves = np.flatnonzero(node_int[:, LEFT] < 0)
    return rows_to_leaves(rows, leaves, node_int[leaves, START].copy(), node_int[leaves, END].copy())


def assert_same_growth(two, one):
    (int_2, float_2, rows_2), (int_1, float_1, rows_1) = two, one
    assert int_2.shape == int_1.shape
    np.testing.assert_array_equal(int_2[:, COMPARED], int_1[:, COMPARED])
    np.testing.assert_array_equal(float_2, float_1)
    # within a leaf, rows may sit in another order (a subtree grew past the merge's cut)
    np.testing.assert_array_equal(leaf_of_rows(int_2, rows_2), leaf_of_rows(int_1, rows_1))


@pytest.fixture(scope="module")
def gaussian():
    rng = np.random.default_rng(21)
    X = rng.normal(size=(N_ROWS, 4))
    return X, X @ [1.0, 0.5, -2.0, 0.1]


@pytest.mark.parametrize("max_leaves", [3, 4, 57, 1000])
def test_two_subtrees_equal_serial_growth(monkeypatch, gaussian, max_leaves):
    X, y = gaussian
    two, one = grow_both_ways(monkeypatch, X, y, max_leaves)
    assert len(one[0]) == 2 * max_leaves - 1
    assert_same_growth(two, one)


def test_two_subtrees_equal_serial_growth_under_limits(monkeypatch, gaussian):
    X, y = gaussian
    two, one = grow_both_ways(monkeypatch, X, y, 500, min_leaf=300, max_depth=6, min_gain=1e-4 * np.sum(y**2))
    depth = one[0][:, 2]
    assert depth.max() <= 6
    assert_same_growth(two, one)


def test_two_subtrees_equal_serial_growth_with_ties_nan_and_many_outputs(monkeypatch):
    # few distinct values make many equal gains, in both subtrees; ties go to the older node
    rng = np.random.default_rng(5)
    X = rng.integers(0, 4, size=(N_ROWS, 3)).astype(float)
    X[rng.random(N_ROWS) < 0.1, 1] = np.nan
    y = np.column_stack([X[:, 0], np.nan_to_num(X[:, 1], nan=5.0), X[:, 2] % 2])
    two, one = grow_both_ways(monkeypatch, X, y, 40)
    assert_same_growth(two, one)


def test_a_root_that_cannot_split_is_the_only_leaf(monkeypatch, gaussian):
    X, y = gaussian
    two, one = grow_both_ways(monkeypatch, X, y, 50, min_leaf=N_ROWS // 2 + 1)
    assert len(two[0]) == len(one[0]) == 1
    assert_same_growth(two, one)


def test_exactly_tied_subtrees_split_the_older_node_first(monkeypatch):
    # y = b on a balanced grid: every sum is exact in floating point, so the best splits of
    # the root's two children have exactly equal gains; serial growth splits the older
    # (left) child first, and the merge must too
    cells = np.stack(np.meshgrid(np.arange(4), np.arange(2), indexing="ij"), -1).reshape(-1, 2)
    X = np.repeat(cells, -(-N_ROWS // len(cells)), axis=0).astype(float)
    y = X[:, 0].copy()
    two, one = grow_both_ways(monkeypatch, X, y, 3)
    node_int = one[0]
    assert node_int[0, LEFT] == 1 and node_int[1, LEFT] == 3  # the left child split
    assert_same_growth(two, one)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_subtrees_equal_serial_growth_with_a_lopsided_root_split(monkeypatch, seed):
    # a few far outliers take the root split, so one subtree is far below hist_min_rows
    # (it rebuilds both children's histograms) and takes few of the leaves
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ROWS, 3))
    outliers = rng.random(N_ROWS) < 0.005
    y = X[:, 1] + np.where(outliers, 50.0, 0.0)
    X[outliers, 0] += 10.0
    max_leaves = int(rng.integers(3, 300))
    two, one = grow_both_ways(monkeypatch, X, y, max_leaves, min_leaf=int(rng.integers(1, 50)))
    left_size = one[0][1, END] - one[0][1, START]
    assert min(left_size, N_ROWS - left_size) < 2048  # the root split really is lopsided
    assert_same_growth(two, one)


def test_rows_to_leaves_on_threads_matches_the_segments(monkeypatch):
    # the leaves are shared out between threads by their rows; every row gets its leaf's id
    rng = np.random.default_rng(5)
    n = 2 * _threads.MIN_ROWS_PER_THREAD + 1_001
    rows = rng.permutation(n).astype(np.int32)
    cuts = np.sort(rng.choice(np.arange(1, n), size=99, replace=False))
    order = rng.permutation(100)  # leaves listed in another order than their segments
    starts = np.r_[0, cuts][order].astype(np.int64)
    ends = np.r_[cuts, n][order].astype(np.int64)
    leaves = (2 * np.arange(100, dtype=np.int64) + 1)[order]
    expected = np.full(n, -1, dtype=np.int64)
    for leaf, start, end in zip(leaves, starts, ends):
        expected[rows[start:end]] = leaf
    for threads in (2, 1):
        monkeypatch.setattr(_threads.config, "NUMBA_NUM_THREADS", threads)
        assert len(_threads.row_chunks(n)) == threads
        np.testing.assert_array_equal(rows_to_leaves(rows, leaves, starts, ends), expected)


def capture_subtrees(monkeypatch):
    """Record the subtree tables each two-subtree growth hands to the merge."""
    captured = []
    merge = _grow_tree.merge_subtrees

    def recording_merge(root_int, root_float, left_int, left_float, right_int, right_float, max_leaves, published):
        captured.append((left_int, left_float, right_int, right_float, published))
        return merge(root_int, root_float, left_int, left_float, right_int, right_float, max_leaves, published)

    monkeypatch.setattr(_grow_tree, "merge_subtrees", recording_merge)
    return captured


def splits_made(node_int):
    return int(np.count_nonzero(node_int[:, LEFT] >= 0))


def test_subtrees_stop_once_the_merge_no_longer_needs_their_splits(monkeypatch, gaussian):
    # each subtree may take every leaf but one; without the board both would grow that far.
    # Whatever the threads' timing, the one that finishes last stops where the merge is
    # decided, so together they make far fewer splits than twice max_leaves - 2
    X, y = gaussian
    max_leaves = 400
    captured = capture_subtrees(monkeypatch)
    two, one = grow_both_ways(monkeypatch, X, y, max_leaves)
    assert_same_growth(two, one)
    (left_int, _, right_int, _, published), = captured
    assert splits_made(left_int) + splits_made(right_int) <= 1.75 * (max_leaves - 2)
    assert any(board is not None for board in published)  # a subtree stopped early


def test_a_merge_that_needs_a_split_not_made_is_refused_and_the_tree_regrown(monkeypatch, gaussian):
    X, y = gaussian
    max_leaves = 120
    monkeypatch.setattr(_grow_tree, "COORDINATED_MIN_ROWS_PER_LEAF", N_ROWS)  # full subtrees
    captured = capture_subtrees(monkeypatch)
    grow_both_ways(monkeypatch, X, y, max_leaves)
    left_int, left_float, right_int, right_float, published = captured[0]
    assert published == [None, None]
    root_int = np.full(N_FIELDS, -1, dtype=np.int64)
    root_float = np.zeros(left_float.shape[1])
    tables = (root_int, root_float, left_int, left_float, right_int, right_float, max_leaves)
    merged = merge_subtrees(*tables)
    order = left_int[:, ORDER]
    sequence = np.argsort(np.where(order >= 0, order, len(order)))[: splits_made(left_int)]
    # the left subtree as if it had stopped after its first few splits: the merge needs more
    few = 3
    stopped = (sequence[:few], left_float[sequence[:few], GAIN])
    assert merge_subtrees(*tables, (stopped, None)) is None
    # ... and as if it had stopped after every split the merge takes from it: accepted, same tree
    whole = (sequence, left_float[sequence, GAIN])
    for got, expected in zip(merge_subtrees(*tables, (whole, None)), merged):
        np.testing.assert_array_equal(got, expected)

    # a refused merge regrows the tree serially from the rows' original order: the same tree
    monkeypatch.setattr(_grow_tree, "merge_subtrees", lambda *args: None)
    two, one = grow_both_ways(monkeypatch, X, y, max_leaves)
    assert_same_growth(two, one)


def grow_one_side(X, y, max_leaves, board, board_gain):
    """grow() as subtree 0 of two, against a board on which side 1's entries are set."""
    mapper = fit_bins(X, sample_rows=20_000, seed=0)
    codes = transform_bins(X, mapper)
    target = np.array((y - y.mean()).reshape(len(y), 1), order="C")
    root = np.empty((X.shape[1], mapper.nan_code + 1, histogram_width(1)))
    fill_histogram(root, codes, target, 0, len(y))
    node_int, _ = grow(
        codes, codes.view(np.uint64), target, np.arange(len(y), dtype=np.int32), 0, len(y), root,
        histogram_sums(root)[:1], 1, mapper.n_value_bins, None, mapper.nan_code, max_leaves, 1, 2**31 - 1, 0.0,
        2048, 1, board, board_gain, 0,
    )  # fmt: skip
    return splits_made(node_int)


def test_a_subtree_stops_once_its_unmerged_splits_cover_the_rest_of_the_merge(gaussian):
    # side 1 has published three splits that outrank any of side 0's and nothing more, so the
    # merge takes those three first and then waits for side 1's fourth. Side 0 cannot know
    # where the merge ends, but once its own splits not yet merged number the splits the
    # merge has left (max_leaves minus the root's and those three), it has all the merge can
    # take from it: it stops there, one split short of where its own leaf limit would stop it
    X, y = gaussian
    max_leaves = 60
    board = np.zeros((2, ENTRIES + max_leaves), dtype=np.int64)
    board_gain = np.zeros((2, max_leaves))
    board[1, ENTRIES : ENTRIES + 3] = [0, 1, 2]
    board_gain[1, :3] = np.inf
    board[1, PUBLISHED] = 3
    assert grow_one_side(X[:30_000], y[:30_000], max_leaves, board, board_gain) == max_leaves - 4
    assert board[0, PUBLISHED] == max_leaves - 4
    # with side 1's sequence empty and complete, side 0 takes every split: its leaf limit stops it
    board = np.zeros((2, ENTRIES + max_leaves), dtype=np.int64)
    board[1, 1] = 1  # FINAL
    assert grow_one_side(X[:30_000], y[:30_000], max_leaves, board, np.zeros((2, max_leaves))) == max_leaves - 1
