"""Column sums and sums of squares of row blocks, and the z-scored columns (numba kernels).

``_target.column_moments`` sums a large row-major X block by block; this kernel makes, per
block, the additions that numpy's ``einsum("ij->j")`` and ``einsum("ij,ij->j")`` make there
(each column's values added row after row from zero, each square a multiplication and
then an addition, not fused), so the moments are bit for bit numpy's, in one pass over the
block instead of two and without einsum's per-row loop overhead (1M x 10 on one thread:
13 ms, against 24-28 ms for the two einsum passes on two threads). ``_fit`` takes the same
kernel over the two halves of a target of several outputs, read as lines of 64 rows, to see
whether it is centred already. ``scaled_columns`` makes ``_target``'s features target (the
z-scored columns) in one pass, ``centred_row_sums`` its sum target (``centred_column_sums``
for a column-major X, a DataFrame's numeric block). ``scaled_moments`` makes the features
target of a row-major X and, in the same pass, the sums that ``_fit``'s check would take
another pass over it for (``scaled_with_moments``); ``keep_target_moments`` hands them to
the fit.
"""

from __future__ import annotations

import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._jit import njit

# Rows per line of a target of several outputs read for its centring check
# (``_fit.multi_output_centred``): the rows' values a line (10 outputs: 640) are each
# summed over the lines, each half of the lines a block of its own.
LINE_ROWS = 64

# The moments (:func:`centring_moments`' tuple) of targets that :func:`scaled_with_moments`
# made, by the array's identity, until the fit takes them (:func:`take_target_moments`) or
# the array is freed: a weak reference to the array and its moments.
_TARGET_MOMENTS: dict[int, tuple[weakref.ref, tuple[np.ndarray, ...]]] = {}


@njit(cache=True, nogil=True)
def block_moments(values, block_rows, first_block, stop_block, sums, squares) -> None:
    """Fill rows ``first_block .. stop_block - 1`` of ``sums`` and ``squares`` with the column
    sums and sums of squares of the blocks of ``block_rows`` rows of ``values`` (the last
    block may be shorter); releases the GIL.

    Four rows at a time: each column's running sums are read once, gain the four rows'
    values (and squares) one after another, in row order as before, and are written back
    once, rather than read and written for every row (the loads and stores of the sums
    bounded the loop): 1M x 10 on one thread 11.7 -> 9.5 ms, the same sums bit for bit.
    A float32 ``values`` (the features target, ``_fit``) is widened exactly, then summed
    and squared in float64.
    """
    n_rows = values.shape[0]
    n_columns = values.shape[1]
    flat = values.reshape(-1)  # a view (C order), read at unsigned offsets
    d = np.uint64(n_columns)
    for b in range(first_block, stop_block):
        for j in range(n_columns):
            sums[b, j] = 0.0
            squares[b, j] = 0.0
        start = b * block_rows
        stop = start + block_rows if start + block_rows < n_rows else n_rows
        i = start
        while i + 4 <= stop:
            row = np.uint64(i) * d
            for j in range(n_columns):
                at = row + np.uint64(j)
                x0 = np.float64(flat[at])
                x1 = np.float64(flat[at + d])
                x2 = np.float64(flat[at + d + d])
                x3 = np.float64(flat[at + d + d + d])
                total = sums[b, j]
                total = total + x0
                total = total + x1
                total = total + x2
                sums[b, j] = total + x3
                square = squares[b, j]
                square = square + x0 * x0
                square = square + x1 * x1
                square = square + x2 * x2
                squares[b, j] = square + x3 * x3
            i += 4
        for rest in range(i, stop):
            for j in range(n_columns):
                x = np.float64(values[rest, j])
                sums[b, j] += x
                squares[b, j] += x * x


@njit(cache=True, nogil=True)
def scaled_columns(values, mean, coefficients, out, start, stop) -> None:
    """``out[i, j] = (values[i, j] - mean[j]) * coefficients[j]`` for rows ``start .. stop - 1``
    (the features target's z-scored outputs); releases the GIL. Into a float32 ``out``, the
    float64 result is rounded once as it is stored (as numpy's ``astype`` would round it).

    numpy's subtraction and then its in-place product make the same two operations on each
    value (so the same results) in two passes over the output; this makes them in one
    (1M x 10 on two threads, the output fresh: 20-22 -> 15-16 ms; from a column-major
    ``values``, where numpy's passes also transpose, 82-97 -> 46-52 ms under load).
    """
    for i in range(start, stop):
        for j in range(values.shape[1]):
            out[i, j] = (values[i, j] - mean[j]) * coefficients[j]


@njit(cache=True, nogil=True)
def scaled_moments(values, mean, coefficients, out, start, stop, line_rows, sums, squares) -> None:
    """:func:`scaled_columns` of a C-ordered ``values`` for rows ``start .. stop - 1``, and
    the column sums and sums of squares of the stored values read as lines of
    ``line_rows`` rows, added to ``sums`` and ``squares`` (``line_rows * m`` values each);
    releases the GIL.

    ``mean`` and ``coefficients`` are tiled to a line (``line_rows * m`` values), and
    ``start`` is a line's first row (the range is whole lines but for the last). Each
    stored value (rounded to ``out``'s type) is widened to float64 and added to its
    running sums one line after another: the additions :func:`block_moments` makes over
    the same rows of ``out`` read as lines (``out.reshape(-1, line_rows * m)``), so the
    same sums bit for bit, without that pass (``_fit.multi_output_centred``). Four lines
    at a time, each running sum read and written once for the four (their loads and
    stores bound the loop): 1M x 10 into float32 on one thread, 4.2 ms for
    :func:`scaled_columns`, 4.9 ms for this, 2.1 ms for :func:`block_moments` after it.
    """
    n_columns = values.shape[1]
    source = values.reshape(-1)  # views (C order), read and written at unsigned offsets
    flat = out.reshape(-1)
    width = line_rows * n_columns
    span = np.uint64(width)
    lo = start
    while lo + 4 * line_rows <= stop:
        base = np.uint64(lo) * np.uint64(n_columns)
        for k in range(width):
            a = base + np.uint64(k)
            shift = mean[k]
            factor = coefficients[k]
            flat[a] = (source[a] - shift) * factor
            flat[a + span] = (source[a + span] - shift) * factor
            flat[a + span + span] = (source[a + span + span] - shift) * factor
            flat[a + span + span + span] = (source[a + span + span + span] - shift) * factor
            x0 = np.float64(flat[a])
            x1 = np.float64(flat[a + span])
            x2 = np.float64(flat[a + span + span])
            x3 = np.float64(flat[a + span + span + span])
            total = sums[k]
            total = total + x0
            total = total + x1
            total = total + x2
            sums[k] = total + x3
            square = squares[k]
            square = square + x0 * x0
            square = square + x1 * x1
            square = square + x2 * x2
            squares[k] = square + x3 * x3
        lo += 4 * line_rows
    while lo < stop:  # the last lines, one at a time (the very last may be short)
        hi = min(stop, lo + line_rows)
        base = np.uint64(lo) * np.uint64(n_columns)
        for k in range((hi - lo) * n_columns):
            a = base + np.uint64(k)
            flat[a] = (source[a] - mean[k]) * coefficients[k]
            x = np.float64(flat[a])
            sums[k] = sums[k] + x
            squares[k] = squares[k] + x * x
        lo = hi


def centring_blocks(n_rows: int) -> tuple[int, int, int]:
    """How :func:`centring_moments` reads ``n_rows`` rows: ``(blocks, middle, whole)``,
    the lines ``[0, middle)`` block 0 and ``[middle, whole)`` block 1 (``blocks`` of them
    with rows), the rows from ``whole`` on (fewer than a line) a block of their own."""
    lines = n_rows // LINE_ROWS
    half = -(-lines // 2)
    return int(lines > 0) + int(lines > half), half * LINE_ROWS, lines * LINE_ROWS


def centring_moments(target: np.ndarray, threads: int) -> tuple[np.ndarray, ...]:
    """The column moments of a C-ordered target of several outputs read as lines of
    ``LINE_ROWS`` rows, for ``_fit.multi_output_centred``: ``(sums, squares)`` of the two
    halves of the lines, ``(blocks, LINE_ROWS * m)``, and ``(rest_sums, rest_squares)``,
    ``(1, m)``, of the rows left over. Each block's sums are kept apart (on two threads
    when ``threads >= 2``), so they are the same on any number of threads."""
    n, m = target.shape
    blocks, middle, whole = centring_blocks(n)
    lines = target[:whole].reshape(-1, m * LINE_ROWS)
    sums, squares = np.zeros((blocks, m * LINE_ROWS)), np.zeros((blocks, m * LINE_ROWS))
    half = middle // LINE_ROWS
    if blocks == 2 and threads >= 2:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(block_moments, lines, half, b, b + 1, sums, squares) for b in (0, 1)]:
                future.result()
    elif blocks:
        block_moments(lines, half, 0, blocks, sums, squares)
    rest_sums, rest_squares = np.zeros((1, m)), np.zeros((1, m))
    if whole < n:
        block_moments(target[whole:], n - whole, 0, 1, rest_sums, rest_squares)
    return sums, squares, rest_sums, rest_squares


def scaled_with_moments(
    values: np.ndarray, mean: np.ndarray, coefficients: np.ndarray, out: np.ndarray, threads: int
) -> tuple[np.ndarray, ...]:
    """``out[:] = (values - mean) * coefficients`` (:func:`scaled_columns`, a C-ordered
    ``values`` of at least two columns, float64 arrays ``mean`` and ``coefficients``) and
    :func:`centring_moments` of ``out`` bit for bit, in one pass (:func:`scaled_moments`:
    each block's lines in order, block 0 on one thread, block 1 and the rest on another
    when ``threads >= 2``)."""
    n, m = values.shape
    blocks, middle, whole = centring_blocks(n)
    sums, squares = np.zeros((blocks, m * LINE_ROWS)), np.zeros((blocks, m * LINE_ROWS))
    rest_sums, rest_squares = np.zeros((1, m)), np.zeros((1, m))
    mean_tiled, coefficients_tiled = np.tile(mean, LINE_ROWS), np.tile(coefficients, LINE_ROWS)

    def block(b: int) -> None:
        scaled_moments(values, mean_tiled, coefficients_tiled, out, b * middle, middle if b == 0 else whole,
                       LINE_ROWS, sums[b], squares[b])  # fmt: skip

    def rest() -> None:
        if whole < n:  # one row a line, as centring_moments sums them
            scaled_moments(values, mean_tiled, coefficients_tiled, out, whole, n, 1, rest_sums[0], rest_squares[0])

    if blocks == 2 and threads >= 2:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(block, 0), pool.submit(lambda: (block(1), rest()))]
            for future in futures:
                future.result()
    else:
        for b in range(blocks):
            block(b)
        rest()
    return sums, squares, rest_sums, rest_squares


def keep_target_moments(target: np.ndarray, moments: tuple[np.ndarray, ...]) -> None:
    """Keep the :func:`centring_moments` of ``target`` (made with it by
    :func:`scaled_with_moments`) for :func:`take_target_moments`, while ``target`` lives.

    The features target goes from ``_target`` to the engine untouched (no code writes
    to it in between), so its moments are those of the array the fit gets; a fit takes
    them once (it may then permute the rows).
    """
    key = id(target)
    _TARGET_MOMENTS[key] = (weakref.ref(target, lambda _ref: _TARGET_MOMENTS.pop(key, None)), moments)


def take_target_moments(target: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """The moments kept for this very array by :func:`keep_target_moments` (then forgotten),
    or None."""
    kept = _TARGET_MOMENTS.pop(id(target), None)
    return kept[1] if kept is not None and kept[0]() is target else None


@njit(cache=True, inline="always")
def _row_sum(flat, row, coefficients, n_columns) -> float:
    # one row's einsum("ij,j->i") (see centred_row_sums), at unsigned offsets
    d = np.uint64(n_columns)
    whole = np.uint64(n_columns - n_columns % 8)
    one = np.uint64(1)
    even = 0.0
    odd = 0.0
    b = np.uint64(0)
    while b < whole:
        for k in (np.uint64(6), np.uint64(4), np.uint64(2), np.uint64(0)):
            even = flat[row + b + k] * coefficients[b + k] + even
            odd = flat[row + b + k + one] * coefficients[b + k + one] + odd
        b += np.uint64(8)
    j = whole
    while j + one < d:
        even = flat[row + j] * coefficients[j] + even
        odd = flat[row + j + one] * coefficients[j + one] + odd
        j += np.uint64(2)
    if j < d:
        even = flat[row + j] * coefficients[j] + even
        odd = odd + 0.0  # (the zero it is paired with: -0.0 becomes 0.0)
    return even + odd


@njit(cache=True, nogil=True)
def centred_row_sums(values, coefficients, offset, out, start, stop) -> None:
    """``out[i] = values[i] @ coefficients - offset`` for rows ``start .. stop - 1`` of a
    C-ordered ``values`` (the sum target, centred), with the additions of numpy's
    ``einsum("ij,j->i")``; releases the GIL.

    numpy's loop here (its baseline build: two lanes, no fused multiply-add) adds each
    row's products into two running sums from zero, the even columns' and the odd
    columns': per block of eight columns the pair (6, 7) first, then (4, 5), (2, 3) and
    (0, 1); the rest pair by pair, an odd last column paired with a zero (the odd sum
    gains ``0.0``); then the two sums are added. The same operations here give the same
    target bit for bit (a test compares them at widths 1 to 40), and the centring's
    subtraction in the same pass. Four rows at a time, their sums interleaved (each
    row's sums are a chain of dependent additions), read at unsigned offsets: 1M x 10 on
    one thread 9.5 ms against 15.4 ms for einsum and the subtraction, near the memory's
    speed (docs/performance.md, session 11).
    """
    n_columns = values.shape[1]
    flat = values.reshape(-1)  # a view (C order)
    d = np.uint64(n_columns)
    whole = np.uint64(n_columns - n_columns % 8)
    one = np.uint64(1)
    i = start
    while i + 4 <= stop:
        r0 = np.uint64(i) * d
        r1 = r0 + d
        r2 = r1 + d
        r3 = r2 + d
        e0 = e1 = e2 = e3 = 0.0
        o0 = o1 = o2 = o3 = 0.0
        b = np.uint64(0)
        while b < whole:
            for k in (np.uint64(6), np.uint64(4), np.uint64(2), np.uint64(0)):
                c0 = coefficients[b + k]
                c1 = coefficients[b + k + one]
                e0 = flat[r0 + b + k] * c0 + e0
                o0 = flat[r0 + b + k + one] * c1 + o0
                e1 = flat[r1 + b + k] * c0 + e1
                o1 = flat[r1 + b + k + one] * c1 + o1
                e2 = flat[r2 + b + k] * c0 + e2
                o2 = flat[r2 + b + k + one] * c1 + o2
                e3 = flat[r3 + b + k] * c0 + e3
                o3 = flat[r3 + b + k + one] * c1 + o3
            b += np.uint64(8)
        j = whole
        while j + one < d:
            c0 = coefficients[j]
            c1 = coefficients[j + one]
            e0 = flat[r0 + j] * c0 + e0
            o0 = flat[r0 + j + one] * c1 + o0
            e1 = flat[r1 + j] * c0 + e1
            o1 = flat[r1 + j + one] * c1 + o1
            e2 = flat[r2 + j] * c0 + e2
            o2 = flat[r2 + j + one] * c1 + o2
            e3 = flat[r3 + j] * c0 + e3
            o3 = flat[r3 + j + one] * c1 + o3
            j += np.uint64(2)
        if j < d:
            c0 = coefficients[j]
            e0 = flat[r0 + j] * c0 + e0
            e1 = flat[r1 + j] * c0 + e1
            e2 = flat[r2 + j] * c0 + e2
            e3 = flat[r3 + j] * c0 + e3
            o0 = o0 + 0.0
            o1 = o1 + 0.0
            o2 = o2 + 0.0
            o3 = o3 + 0.0
        out[i] = (e0 + o0) - offset
        out[i + 1] = (e1 + o1) - offset
        out[i + 2] = (e2 + o2) - offset
        out[i + 3] = (e3 + o3) - offset
        i += 4
    for rest in range(i, stop):
        out[rest] = _row_sum(flat, np.uint64(rest) * d, coefficients, n_columns) - offset


# Rows per block of centred_column_sums: the block's sums (4 KB) stay in L1 while every
# column adds to them.
_COLUMN_BLOCK = 512


@njit(cache=True, nogil=True)
def centred_column_sums(values, coefficients, offset, out, start, stop) -> None:
    """:func:`centred_row_sums` for a column-major (Fortran-ordered) ``values``: ``out[i] =
    values[i] @ coefficients - offset`` for rows ``start .. stop - 1``, with the additions
    of numpy's ``einsum("ij,j->i")`` on such an array; releases the GIL.

    There einsum's loop runs down the rows for one column after another: each row's sum
    starts at zero and gains its products in column order, each product rounded before
    its addition. The same here, a block of rows at a time (the block's sums stay in
    cache while each column is read as a contiguous run), then the centring's
    subtraction: the same target bit for bit (a test compares them), in one pass
    instead of einsum's and the subtraction's.
    """
    n_rows = np.uint64(values.shape[0])
    n_columns = values.shape[1]
    flat = values.T.reshape(-1)  # a view: column j is flat[j * n_rows : (j + 1) * n_rows]
    lo = np.uint64(start)
    end = np.uint64(stop)
    block = np.uint64(_COLUMN_BLOCK)
    while lo < end:
        hi = lo + block if lo + block < end else end
        c = coefficients[0]
        for i in range(lo, hi):
            out[i] = flat[i] * c + 0.0  # (einsum's output starts at zero: -0.0 becomes 0.0)
        for j in range(1, n_columns):
            c = coefficients[j]
            column = np.uint64(j) * n_rows
            for i in range(lo, hi):
                out[i] = flat[column + i] * c + out[i]
        for i in range(lo, hi):
            out[i] = out[i] - offset
        lo = hi
