"""Column sums and sums of squares of row blocks, and the z-scored columns (numba kernels).

``_target.column_moments`` sums a large row-major X block by block; this kernel makes, per
block, the additions that numpy's ``einsum("ij->j")`` and ``einsum("ij,ij->j")`` make there
(each column's values added row after row from zero, each square a multiplication and
then an addition, not fused), so the moments are bit for bit numpy's, in one pass over the
block instead of two and without einsum's per-row loop overhead (1M x 10 on one thread:
13 ms, against 24-28 ms for the two einsum passes on two threads). ``_fit`` takes the same
kernel over the two halves of a target of several outputs, read as lines of 64 rows, to see
whether it is centred already. ``scaled_columns`` makes ``_target``'s features target (the
z-scored columns) in one pass.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit


@njit(cache=True, nogil=True)
def block_moments(values, block_rows, first_block, stop_block, sums, squares) -> None:
    """Fill rows ``first_block .. stop_block - 1`` of ``sums`` and ``squares`` with the column
    sums and sums of squares of the blocks of ``block_rows`` rows of ``values`` (the last
    block may be shorter); releases the GIL."""
    n_rows = values.shape[0]
    for b in range(first_block, stop_block):
        for j in range(values.shape[1]):
            sums[b, j] = 0.0
            squares[b, j] = 0.0
        start = b * block_rows
        stop = start + block_rows if start + block_rows < n_rows else n_rows
        for i in range(start, stop):
            for j in range(values.shape[1]):
                x = values[i, j]
                sums[b, j] += x
                squares[b, j] += x * x


@njit(cache=True, nogil=True)
def scaled_columns(values, mean, coefficients, out, start, stop) -> None:
    """``out[i, j] = (values[i, j] - mean[j]) * coefficients[j]`` for rows ``start .. stop - 1``
    (the features target's z-scored outputs); releases the GIL.

    numpy's subtraction and then its in-place product make the same two operations on each
    value (so the same results) in two passes over the output; this makes them in one
    (1M x 10 on two threads, the output fresh: 20-22 -> 15-16 ms).
    """
    for i in range(start, stop):
        for j in range(values.shape[1]):
            out[i, j] = (values[i, j] - mean[j]) * coefficients[j]
