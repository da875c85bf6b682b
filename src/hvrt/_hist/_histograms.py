"""Per-node histograms of the binned inputs (numba kernels).

A histogram holds, for each feature and code, the per-output target sums and the row count
(``hist[feature, code, :m]`` and ``hist[feature, code, m]``): all that the least-squares
gain of every split of the node needs (``_split``), for one output or many.

With several outputs, each (feature, code) block is padded with zeros to a whole number of
four-lane vectors (:func:`histogram_width`), and a row adds its outputs and its count to a
block as whole vector additions (one instruction per four lanes, or per eight with
AVX-512, rather than one per lane; the row's vector read once, then added to each
feature's block in turn): lane for lane the same floating-point additions in the same row order, so the histogram,
and the tree, are bit for bit those of the scalar loop. A single output's (sum, count) pair
is added as one two-lane vector likewise (about 1.5x faster than two scalar updates, 1M x 10).
"""

from __future__ import annotations

import numpy as np

from ._jit import intrinsic, ir, njit, types

# float64 lanes of one vector addition: one AVX2 register, two SSE2 ones.
_LANES = 4


def histogram_width(n_outputs: int) -> int:
    """Entries per (feature, code) of a histogram: the sums and the count, then zero padding.

    One output keeps the plain pair (sum, count); several are padded to a multiple of
    ``_LANES`` so that :func:`fill_histogram` adds whole vectors.
    """
    if n_outputs <= 1:
        return n_outputs + 1
    return -(-(n_outputs + 1) // _LANES) * _LANES


def _vector_add(n_lanes: int):
    """An intrinsic ``hist.flat[offset : offset + n_lanes] += (v0, ...)`` as one vector
    load, add and store.

    LLVM does not vectorise the scalar updates itself (it cannot prove them independent
    through numba's index arithmetic), hence the explicit vector. Where the CPU's vectors
    are narrower (eight lanes without AVX-512), LLVM splits the operation into several.
    """

    def typer(typingctx, hist, offset, *values):
        if not (isinstance(hist, types.Array) and hist.layout == "C" and hist.dtype == types.float64):
            return None
        if len(values) != n_lanes:
            return None
        signature = types.void(hist, offset, *values)

        def codegen(context, builder, sig, args):
            array = context.make_array(sig.args[0])(context, builder, args[0])
            vector_type = ir.VectorType(ir.DoubleType(), n_lanes)
            pointer = builder.bitcast(builder.gep(array.data, [args[1]]), vector_type.as_pointer())
            vector = ir.Constant(vector_type, ir.Undefined)
            for lane in range(n_lanes):
                vector = builder.insert_element(vector, args[2 + lane], ir.Constant(ir.IntType(32), lane))
            builder.store(builder.fadd(builder.load(pointer, align=8), vector), pointer, align=8)
            return context.get_dummy_value()

        return signature, codegen

    return typer


@intrinsic
def _add_lanes(typingctx, hist, offset, v0, v1, v2, v3):
    """``hist.flat[offset : offset + 4] += (v0, v1, v2, v3)`` as one vector load, add and store."""
    return _vector_add(_LANES)(typingctx, hist, offset, v0, v1, v2, v3)


@intrinsic
def _add_eight(typingctx, hist, offset, v0, v1, v2, v3, v4, v5, v6, v7):
    """``hist.flat[offset : offset + 8] += (v0, ..., v7)`` as one vector load, add and store
    (one AVX-512 instruction, two AVX2 ones)."""
    return _vector_add(2 * _LANES)(typingctx, hist, offset, v0, v1, v2, v3, v4, v5, v6, v7)


@intrinsic
def _add_pair(typingctx, hist, offset, v0, v1):
    """``hist.flat[offset : offset + 2] += (v0, v1)`` as one two-lane vector load, add and store.

    A single output's (sum, count) pair: one read-modify-write of the bin instead of two.
    """
    if not (isinstance(hist, types.Array) and hist.layout == "C" and hist.dtype == types.float64):
        return None
    signature = types.void(hist, offset, v0, v1)

    def codegen(context, builder, sig, args):
        array = context.make_array(sig.args[0])(context, builder, args[0])
        vector_type = ir.VectorType(ir.DoubleType(), 2)
        pointer = builder.bitcast(builder.gep(array.data, [args[1]]), vector_type.as_pointer())
        values = ir.Constant(vector_type, ir.Undefined)
        for lane in range(2):
            values = builder.insert_element(values, args[2 + lane], ir.Constant(ir.IntType(32), lane))
        builder.store(builder.fadd(builder.load(pointer, align=8), values), pointer, align=8)
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def _first_eight(typingctx, y, i):
    """Entries 0-7 of row ``i`` of a C-ordered float32 or float64 ``y`` (at least eight
    columns), widened to float64: one vector load and, for float32, one vector widening,
    instead of eight scalar loads, widenings and insertions (the same values exactly)."""
    if not (isinstance(y, types.Array) and y.layout == "C" and y.ndim == 2 and y.dtype in (types.float32, types.float64)):
        return None
    signature = types.UniTuple(types.float64, 8)(y, i)

    def codegen(context, builder, sig, args):
        array = context.make_array(sig.args[0])(context, builder, args[0])
        row = context.cast(builder, args[1], sig.args[1], types.intp)
        columns = builder.extract_value(array.shape, 1)
        pointer = builder.gep(array.data, [builder.mul(row, columns)])
        single = sig.args[0].dtype == types.float32
        vector_type = ir.VectorType(ir.FloatType() if single else ir.DoubleType(), 8)
        vector = builder.load(builder.bitcast(pointer, vector_type.as_pointer()), align=4 if single else 8)
        if single:
            vector = builder.fpext(vector, ir.VectorType(ir.DoubleType(), 8))
        lanes = [builder.extract_element(vector, ir.Constant(ir.IntType(32), k)) for k in range(8)]
        return context.make_tuple(builder, sig.return_type, lanes)

    return signature, codegen


@njit(cache=True, inline="always")
def _lane(y: np.ndarray, i: int, k: int, m: int) -> float:
    # entry k of row i's padded vector: its m outputs, then 1 (the count), then zeros;
    # a float32 target's output widened exactly (the histograms are float64)
    return np.float64(y[i, k]) if k < m else (1.0 if k == m else 0.0)


@njit(cache=True, inline="always")
def _fill_single(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int, first: int, last: int) -> None:
    # the single-output case, written out (2.3x faster than the generic loop), and the
    # (sum, count) pair added as one vector; unsigned indices: no negative-index fix-ups
    # (1M rows on one thread: 8.5-10.3 -> 7.3-8.0 ms)
    bins = np.uint64(hist.shape[1])
    for i in range(start, end):
        row = np.uint64(i)
        value = np.float64(y[row, 0])  # (the vector's lanes are float64)
        for f in range(first, last):
            column = np.uint64(f)
            _add_pair(hist, (column * bins + codes[row, column]) * np.uint64(2), value, 1.0)


@njit(cache=True, inline="always")
def _fill_blocks(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int, first: int, last: int) -> None:
    # padded blocks of up to four vectors (up to 15 outputs): a row's vector (outputs,
    # count, zeros) is read once into registers, then each feature's block takes its
    # vectors in turn (1.5x faster than a pass over the features per vector, which reloads
    # the codes and recomputes the offsets; 1M x 10 outputs, 127 bins)
    m = y.shape[1]
    n_codes, width = hist.shape[1], hist.shape[2]
    for i in range(start, end):
        if m >= 8:
            a0, a1, a2, a3, b0, b1, b2, b3 = _first_eight(y, i)
        else:
            a0, a1, a2, a3 = _lane(y, i, 0, m), _lane(y, i, 1, m), _lane(y, i, 2, m), _lane(y, i, 3, m)
            b0, b1, b2, b3 = _lane(y, i, 4, m), _lane(y, i, 5, m), _lane(y, i, 6, m), _lane(y, i, 7, m)
        c0, c1, c2, c3 = _lane(y, i, 8, m), _lane(y, i, 9, m), _lane(y, i, 10, m), _lane(y, i, 11, m)
        d0, d1, d2, d3 = _lane(y, i, 12, m), _lane(y, i, 13, m), _lane(y, i, 14, m), _lane(y, i, 15, m)
        for f in range(first, last):
            offset = (f * n_codes + codes[i, f]) * width
            if width == _LANES:
                _add_lanes(hist, offset, a0, a1, a2, a3)
            else:  # eight lanes at a time where they fit (1.2x faster at 10 outputs, AVX-512)
                _add_eight(hist, offset, a0, a1, a2, a3, b0, b1, b2, b3)
                if width == 3 * _LANES:
                    _add_lanes(hist, offset + 2 * _LANES, c0, c1, c2, c3)
                elif width == 4 * _LANES:
                    _add_eight(hist, offset + 2 * _LANES, c0, c1, c2, c3, d0, d1, d2, d3)


@njit(cache=True, inline="always")
def _fill_wide(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int, first: int, last: int) -> None:
    # wider padded blocks: a row's vector added four lanes at a time, a pass over the
    # features per vector
    m = y.shape[1]
    n_codes, width = hist.shape[1], hist.shape[2]
    for i in range(start, end):
        for base in range(0, width, _LANES):
            v0, v1 = _lane(y, i, base, m), _lane(y, i, base + 1, m)
            v2, v3 = _lane(y, i, base + 2, m), _lane(y, i, base + 3, m)
            for f in range(first, last):
                _add_lanes(hist, (f * n_codes + codes[i, f]) * width + base, v0, v1, v2, v3)


@njit(cache=True, inline="always")
def subtract_histograms(hist: np.ndarray, other: np.ndarray) -> None:
    """``hist -= other``."""
    for f in range(hist.shape[0]):
        for b in range(hist.shape[1]):
            for k in range(hist.shape[2]):
                hist[f, b, k] -= other[f, b, k]


@njit(cache=True, inline="always")
def _fill_features(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int, first: int, last: int) -> None:
    # features [first, last) of the histogram of rows [start, end), zeroed first: one row
    # loop per layout, chosen once (a loop body holding every layout's code ran 3-4x slower
    # once inlined into the growth kernel)
    for f in range(first, last):
        for b in range(hist.shape[1]):
            for k in range(hist.shape[2]):
                hist[f, b, k] = 0.0
    m = y.shape[1]
    if m == 1:
        _fill_single(hist, codes, y, start, end, first, last)
    elif hist.shape[2] % _LANES == 0 and hist.shape[2] <= 4 * _LANES:
        _fill_blocks(hist, codes, y, start, end, first, last)
    elif hist.shape[2] % _LANES == 0:
        _fill_wide(hist, codes, y, start, end, first, last)
    else:
        for i in range(start, end):
            for f in range(first, last):
                b = codes[i, f]
                for k in range(m):
                    hist[f, b, k] += y[i, k]
                hist[f, b, m] += 1.0


@njit(cache=True, nogil=True)
def fill_histogram(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int) -> None:
    """Histogram of rows [start, end) into ``hist`` (zeroed first); releases the GIL.

    Called from Python (the root's halves, on threads) and from the growth kernels with
    the same argument types, so one compiled copy serves both.
    """
    _fill_features(hist, codes, y, start, end, 0, hist.shape[0])


@njit(cache=True, nogil=True)
def fill_features(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int, first: int, last: int) -> None:
    """:func:`fill_histogram` for features [first, last) only (the rest of ``hist`` is left
    as it is); releases the GIL.

    Each bin gets the same additions in the same row order as from :func:`fill_histogram`,
    so threads that fill disjoint feature ranges of one histogram build it bit for bit as
    one call would (the root's smaller child, see ``_grower.split_root``).
    """
    _fill_features(hist, codes, y, start, end, first, last)


build_histogram = fill_histogram  # the name the root's histogram is built by


def add_histograms(hist: np.ndarray, other: np.ndarray) -> None:
    """``hist += other`` (numpy: the same additions, and no kernel to compile)."""
    hist += other


@njit(cache=True, inline="always")
def histogram_sum(hist: np.ndarray, k: int) -> float:
    """A node's target sum for output ``k``, read off its histogram's first feature."""
    total = 0.0
    for b in range(hist.shape[1]):
        total += hist[0, b, k]
    return total


def histogram_sums(hist: np.ndarray) -> np.ndarray:
    """Per-output target sums of a node, read off its histogram (which needs a feature).

    numpy, not a kernel (it runs once or twice per fit; a kernel cost 0.3-0.4 s to compile):
    a cumulative sum adds the bins one by one in order, as :func:`histogram_sum` does in
    the growth kernel, so the sums are bit for bit the same.
    """
    return hist[0, :, :-1].cumsum(axis=0)[-1]


@njit(cache=True, nogil=True)
def column_sums(y: np.ndarray, start: int, end: int) -> np.ndarray:
    """Per-output sums of y over rows [start, end), added in row order."""
    out = np.zeros(y.shape[1])
    for i in range(start, end):
        for k in range(y.shape[1]):
            out[k] += y[i, k]
    return out
