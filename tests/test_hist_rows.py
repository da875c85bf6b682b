"""Row partitioning: ``split_rows`` must leave the rows in exactly the order of its reference
swaps (every later histogram adds rows in that order, so a different order could change the
tree's last bits), whatever the path it takes (branch-free, its narrow version, swapping, by
blocks)."""

from __future__ import annotations

import numpy as np
import pytest

from hvrt._hist._rows import split_rows


def _goes_left(code, split_bin, nan_left, nan_code):
    return code <= split_bin or (nan_left and code == nan_code)


def reference_split(codes, y, rows, start, end, feature, split_bin, nan_left, nan_code, small_size):
    """The partition's swaps, one row at a time in Python (the kernels' original loops)."""
    codes, y, rows = codes.copy(), y.copy(), rows.copy()

    def swap(i, j):
        for array in (codes, y, rows):
            array[[i, j]] = array[[j, i]]

    if 5 * small_size < end - start or y.shape[1] > 1:  # swapping misplaced pairs
        i, j = start, end - 1
        while True:
            while i <= j and _goes_left(codes[i, feature], split_bin, nan_left, nan_code):
                i += 1
            while i <= j and not _goes_left(codes[j, feature], split_bin, nan_left, nan_code):
                j -= 1
            if i > j:
                break
            swap(i, j)
            i, j = i + 1, j - 1
    else:  # branch-free: every row swapped with the first right-going one
        n_left = start
        for i in range(start, end):
            goes_left = _goes_left(codes[i, feature], split_bin, nan_left, nan_code)
            swap(i, n_left)
            n_left += goes_left
    return codes, y, rows


@pytest.mark.parametrize("n_features", [3, 10, 16, 17])
@pytest.mark.parametrize("n_outputs", [1, 3, 10])
@pytest.mark.parametrize("nan_left", [False, True])
@pytest.mark.parametrize("split_bin", [0, 40, 100, 150, 199])
def test_split_rows_leaves_the_reference_order(n_features, n_outputs, nan_left, split_bin):
    rng = np.random.default_rng(n_features * 1000 + n_outputs * 100 + split_bin + nan_left)
    n, nan_code = 3_000, 201
    width = max(8, -(-n_features // 8) * 8)
    codes = np.zeros((n, width), dtype=np.uint8)
    codes[:, :n_features] = rng.integers(0, 200, (n, n_features))
    codes[rng.random(n) < 0.1, 1] = nan_code  # NaN in the split feature
    y = rng.standard_normal((n, n_outputs)).astype(np.float32 if n_outputs == 10 else np.float64)
    rows = rng.permutation(n).astype(np.int32)
    start, end = 137, n - 211  # a segment inside the arrays: rows outside it stay put
    goes_left = (codes[start:end, 1] <= split_bin) | (nan_left & (codes[start:end, 1] == nan_code))
    small_size = int(min(goes_left.sum(), (~goes_left).sum()))
    expected = reference_split(codes, y, rows, start, end, 1, split_bin, nan_left, nan_code, small_size)
    n_left = int(goes_left.sum())
    split_rows(codes, codes.view(np.uint64), y, rows, start, end, 1, split_bin, nan_left, nan_code, n_left)
    for got, want in zip((codes, y, rows), expected):
        np.testing.assert_array_equal(got, want)
    n_left += start
    assert ((codes[start:n_left, 1] <= split_bin) | (nan_left & (codes[start:n_left, 1] == nan_code))).all()


def _split_case(seed, n, n_features, n_outputs, share_left, nan_share, dtype):
    rng = np.random.default_rng(seed)
    nan_code = 201
    width = max(8, -(-n_features // 8) * 8)
    codes = np.zeros((n, width), dtype=np.uint8)
    codes[:, :n_features] = rng.integers(0, 200, (n, n_features))
    codes[:, 1] = np.where(rng.random(n) < share_left, rng.integers(0, 100, n), rng.integers(100, 200, n))
    codes[rng.random(n) < nan_share, 1] = nan_code
    y = rng.standard_normal((n, n_outputs)).astype(dtype)
    rows = rng.permutation(n).astype(np.int32)
    return codes, y, rows, nan_code


@pytest.mark.parametrize("share_left", [0.0, 0.03, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("nan_left", [False, True])
@pytest.mark.parametrize(("n_outputs", "dtype"), [(1, np.float64), (10, np.float32), (7, np.float32), (3, np.float64)])
def test_split_rows_halves_make_the_one_thread_partition(share_left, nan_left, n_outputs, dtype):
    # split_root shares the root's swapping partition between two threads pair by pair:
    # the rows must end in exactly split_rows' order, on threads or one half after the other
    from concurrent.futures import ThreadPoolExecutor

    from hvrt._hist._rows import split_rows_half, target_words, uses_swapping

    n, start, end = 5_000, 0, 5_000
    codes, y, rows, nan_code = _split_case(int(share_left * 100) + nan_left + n_outputs, n, 10, n_outputs, share_left,
                                           0.1, dtype)  # fmt: skip
    if share_left not in (0.0, 1.0):
        start, end = 123, n - 77  # a segment inside the arrays
    goes_left = (codes[start:end, 1] <= 99) | (nan_left & (codes[start:end, 1] == nan_code))
    n_left = int(goes_left.sum())
    small_size = min(n_left, end - start - n_left)
    if not uses_swapping(small_size, end - start, n_outputs):
        small_size = 0  # (the reference then swaps too: the kernel is for swapping splits only)
    expected = reference_split(codes, y, rows, start, end, 1, 99, nan_left, nan_code, small_size)
    for threaded in (False, True):
        got = [codes.copy(), y.copy(), rows.copy()]
        arguments = [(got[0], got[0].view(np.uint64), target_words(got[1]), got[2], start, end, 1, 99, nan_left,
                      nan_code, n_left, half) for half in range(2)]  # fmt: skip
        if threaded:
            with ThreadPoolExecutor(max_workers=2) as pool:
                for future in [pool.submit(split_rows_half, *a) for a in arguments]:
                    future.result()
        else:
            for a in arguments[::-1]:
                split_rows_half(*a)
        for array, want in zip(got, expected):
            np.testing.assert_array_equal(array, want)


def test_target_words_views_the_same_bytes():
    from hvrt._hist._rows import target_words

    for shape, dtype, words in (((4, 10), np.float32, np.uint64), ((4, 7), np.float32, np.uint32), ((4, 3), np.float64, np.uint64)):
        y = np.arange(np.prod(shape), dtype=dtype).reshape(shape)
        view = target_words(y)
        assert view.dtype == words and view.shape[0] == 4 and np.shares_memory(view, y)


@pytest.mark.parametrize("pattern", ["random", "clustered", "reversed", "alternating"])
@pytest.mark.parametrize("share_left", [0.2, 0.5, 0.8])
def test_split_rows_by_blocks_keeps_the_reference_order(pattern, share_left):
    # several outputs, no side under a fifth: the swaps are made by blocks of buffered
    # positions; misplaced rows bunched (one side's buffer refilled many times while the
    # other's waits), spread, or every other row
    n, nan_code = 20_000, 201
    rng = np.random.default_rng(int(share_left * 10) + len(pattern))
    goes = rng.random(n) < share_left
    if pattern == "clustered":
        goes = np.sort(goes)  # the right-goers first: every row misplaced
    elif pattern == "reversed":
        goes = np.sort(goes)[::-1].copy()  # already partitioned: nothing misplaced
    elif pattern == "alternating":
        goes = np.arange(n) % 5 < 5 * share_left
    codes = np.zeros((n, 16), dtype=np.uint8)
    codes[:, :10] = rng.integers(0, 200, (n, 10))
    codes[:, 4] = np.where(goes, rng.integers(0, 100, n), rng.integers(100, 200, n))
    y = rng.standard_normal((n, 10)).astype(np.float32)
    rows = np.arange(n, dtype=np.int32)
    n_left = int(goes.sum())
    expected = reference_split(codes, y, rows, 0, n, 4, 99, False, nan_code, 0)  # (0: the swapping reference)
    split_rows(codes, codes.view(np.uint64), y, rows, 0, n, 4, 99, False, nan_code, n_left)
    for got, want in zip((codes, y, rows), expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("share_left", [0.05, 0.15, 0.19, 0.21, 0.3, 0.5, 0.8, 0.95])
@pytest.mark.parametrize("n_outputs", [1, 2, 3])
def test_uses_swapping_says_whether_split_rows_swaps(share_left, n_outputs):
    # uses_swapping (Python, for split_root's choice of two threads) restates split_rows'
    # condition (numba): if one changed alone, the root's rows would be ordered differently
    # on two threads than on one. Pinned: split_rows leaves the swapping order exactly when
    # uses_swapping says so.
    from hvrt._hist._rows import uses_swapping

    n, start, end = 2_000, 0, 2_000
    codes, y, rows, nan_code = _split_case(int(share_left * 100) + n_outputs, n, 10, n_outputs, share_left, 0.0,
                                           np.float64)  # fmt: skip
    goes_left = codes[start:end, 1] <= 99
    n_left = int(goes_left.sum())
    small_size = min(n_left, end - start - n_left)
    swapped = reference_split(codes, y, rows, start, end, 1, 99, False, nan_code, 0)  # (0: the swapping path)
    split_rows(codes, codes.view(np.uint64), y, rows, start, end, 1, 99, False, nan_code, n_left)
    assert np.array_equal(rows, swapped[2]) == uses_swapping(small_size, end - start, n_outputs)
