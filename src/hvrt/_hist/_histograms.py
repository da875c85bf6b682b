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


@njit(cache=True, inline="always")
def _lane(y: np.ndarray, i: int, k: int, m: int) -> float:
    # entry k of row i's padded vector: its m outputs, then 1 (the count), then zeros
    return y[i, k] if k < m else (1.0 if k == m else 0.0)


@njit(cache=True, inline="always")
def _fill_single(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int) -> None:
    # the single-output case, written out (2.3x faster than the generic loop), and the
    # (sum, count) pair added as one vector; unsigned indices: no negative-index fix-ups
    # (1M rows on one thread: 8.5-10.3 -> 7.3-8.0 ms)
    bins = np.uint64(hist.shape[1])
    for i in range(start, end):
        row = np.uint64(i)
        value = y[row, 0]
        for f in range(hist.shape[0]):
            column = np.uint64(f)
            _add_pair(hist, (column * bins + codes[row, column]) * np.uint64(2), value, 1.0)


@njit(cache=True, inline="always")
def _fill_blocks(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int) -> None:
    # padded blocks of up to four vectors (up to 15 outputs): a row's vector (outputs,
    # count, zeros) is read once into registers, then each feature's block takes its
    # vectors in turn (1.5x faster than a pass over the features per vector, which reloads
    # the codes and recomputes the offsets; 1M x 10 outputs, 127 bins)
    m = y.shape[1]
    n_codes, width = hist.shape[1], hist.shape[2]
    for i in range(start, end):
        a0, a1, a2, a3 = _lane(y, i, 0, m), _lane(y, i, 1, m), _lane(y, i, 2, m), _lane(y, i, 3, m)
        b0, b1, b2, b3 = _lane(y, i, 4, m), _lane(y, i, 5, m), _lane(y, i, 6, m), _lane(y, i, 7, m)
        c0, c1, c2, c3 = _lane(y, i, 8, m), _lane(y, i, 9, m), _lane(y, i, 10, m), _lane(y, i, 11, m)
        d0, d1, d2, d3 = _lane(y, i, 12, m), _lane(y, i, 13, m), _lane(y, i, 14, m), _lane(y, i, 15, m)
        for f in range(hist.shape[0]):
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
def _fill_wide(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int) -> None:
    # wider padded blocks: a row's vector added four lanes at a time, a pass over the
    # features per vector
    m = y.shape[1]
    n_codes, width = hist.shape[1], hist.shape[2]
    for i in range(start, end):
        for base in range(0, width, _LANES):
            v0, v1 = _lane(y, i, base, m), _lane(y, i, base + 1, m)
            v2, v3 = _lane(y, i, base + 2, m), _lane(y, i, base + 3, m)
            for f in range(hist.shape[0]):
                _add_lanes(hist, (f * n_codes + codes[i, f]) * width + base, v0, v1, v2, v3)


@njit(cache=True, inline="always")
def _zero(hist: np.ndarray) -> None:
    # explicit loops: numba's array-expression machinery costs seconds of compile time
    for f in range(hist.shape[0]):
        for b in range(hist.shape[1]):
            for k in range(hist.shape[2]):
                hist[f, b, k] = 0.0


@njit(cache=True, inline="always")
def subtract_histograms(hist: np.ndarray, other: np.ndarray) -> None:
    """``hist -= other``."""
    for f in range(hist.shape[0]):
        for b in range(hist.shape[1]):
            for k in range(hist.shape[2]):
                hist[f, b, k] -= other[f, b, k]


@njit(cache=True, nogil=True)
def fill_histogram(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int) -> None:
    """Histogram of rows [start, end) into ``hist`` (zeroed first); releases the GIL.

    Called from Python (the root's halves, on threads) and from the growth kernels with
    the same argument types, so one compiled copy serves both.
    """
    _zero(hist)
    # one row loop per layout, chosen once: a loop body holding every layout's code ran
    # 3-4x slower once inlined into the growth kernel
    m = y.shape[1]
    if m == 1:
        _fill_single(hist, codes, y, start, end)
    elif hist.shape[2] % _LANES == 0 and hist.shape[2] <= 4 * _LANES:
        _fill_blocks(hist, codes, y, start, end)
    elif hist.shape[2] % _LANES == 0:
        _fill_wide(hist, codes, y, start, end)
    else:
        for i in range(start, end):
            for f in range(hist.shape[0]):
                b = codes[i, f]
                for k in range(m):
                    hist[f, b, k] += y[i, k]
                hist[f, b, m] += 1.0


build_histogram = fill_histogram  # the name the root's histogram is built by


# The packed fill (:func:`fill_packed`): targets of 8-15 outputs, whose (feature, code) blocks
# are 12 or 16 float64 lanes (96 or 128 bytes, two cache lines a block). Each row adds its
# outputs and count to a float32 block of 16 lanes instead, one 64-byte cache line, and every
# PACKED_CHUNK_ROWS rows the float32 sums are added to the float64 histogram and restarted:
# half the cache lines a row touches, in a buffer of 80 kB instead of 123 kB (10 features,
# 128 codes). Each block's sums are then exact to float32 rounding over at most that many
# rows (relative error about 1e-7 of the chunk's sums), the counts exact (integers below 2**24).
PACKED_LANES = 16
PACKED_CHUNK_ROWS = 8192


def packs_outputs(width: int) -> bool:
    """Whether histograms of ``width`` entries per block are built by :func:`fill_packed`."""
    return width in (3 * _LANES, 4 * _LANES)


@intrinsic
def _add_packed(typingctx, buf, offset, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15):
    """``buf.flat[offset : offset + 16] += float32((v0, ..., v15))`` as one vector load, add and
    store (one AVX-512 instruction; the rounding to float32 is hoisted out of a feature loop)."""
    if not (isinstance(buf, types.Array) and buf.layout == "C" and buf.dtype == types.float32):
        return None
    signature = types.void(buf, offset, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15)

    def codegen(context, builder, sig, args):
        array = context.make_array(sig.args[0])(context, builder, args[0])
        wide = ir.VectorType(ir.DoubleType(), PACKED_LANES)
        narrow = ir.VectorType(ir.FloatType(), PACKED_LANES)
        vector = ir.Constant(wide, ir.Undefined)
        for lane in range(PACKED_LANES):
            vector = builder.insert_element(vector, args[2 + lane], ir.Constant(ir.IntType(32), lane))
        pointer = builder.bitcast(builder.gep(array.data, [args[1]]), narrow.as_pointer())
        added = builder.fadd(builder.load(pointer, align=4), builder.fptrunc(vector, narrow))
        builder.store(added, pointer, align=4)
        return context.get_dummy_value()

    return signature, codegen


@njit(cache=True, nogil=True)
def fill_packed(hist: np.ndarray, codes: np.ndarray, y: np.ndarray, start: int, end: int, sums: np.ndarray) -> None:
    """Histogram of rows [start, end) into ``hist`` through float32 blocks (see PACKED_LANES),
    for a histogram of 12 or 16 entries per block (:func:`packs_outputs`); releases the GIL.

    ``sums`` (m,) receives the rows' per-output sums, added in row order in float64 (as
    :func:`column_sums`): the node's exact sums, which its leaf values and the split search's
    totals take, rather than the histogram's rounded ones.
    """
    m = y.shape[1]
    n_features, n_codes, width = hist.shape[0], hist.shape[1], hist.shape[2]
    size = n_features * n_codes * PACKED_LANES
    raw = np.empty(size + PACKED_LANES, dtype=np.float32)
    skip = ((64 - raw.ctypes.data % 64) % 64) // 4  # each block on its own cache line
    block = raw[skip : skip + size]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = s8 = s9 = s10 = s11 = s12 = s13 = s14 = 0.0
    chunk_start = start
    while True:
        chunk_end = chunk_start + PACKED_CHUNK_ROWS if chunk_start + PACKED_CHUNK_ROWS < end else end  # noqa: FURB136
        for t in range(size):
            block[t] = 0.0
        for i in range(chunk_start, chunk_end):
            a0, a1, a2, a3 = _lane(y, i, 0, m), _lane(y, i, 1, m), _lane(y, i, 2, m), _lane(y, i, 3, m)
            b0, b1, b2, b3 = _lane(y, i, 4, m), _lane(y, i, 5, m), _lane(y, i, 6, m), _lane(y, i, 7, m)
            c0, c1, c2, c3 = _lane(y, i, 8, m), _lane(y, i, 9, m), _lane(y, i, 10, m), _lane(y, i, 11, m)
            d0, d1, d2, d3 = _lane(y, i, 12, m), _lane(y, i, 13, m), _lane(y, i, 14, m), _lane(y, i, 15, m)
            s0, s1, s2, s3, s4 = s0 + a0, s1 + a1, s2 + a2, s3 + a3, s4 + b0
            s5, s6, s7, s8, s9 = s5 + b1, s6 + b2, s7 + b3, s8 + c0, s9 + c1
            s10, s11, s12, s13, s14 = s10 + c2, s11 + c3, s12 + d0, s13 + d1, s14 + d2
            row = np.uint64(i)  # unsigned: no negative-index fix-ups (see _fill_single)
            for f in range(n_features):
                column = np.uint64(f)
                offset = (column * np.uint64(n_codes) + np.uint64(codes[row, column])) * np.uint64(PACKED_LANES)
                _add_packed(block, offset, a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3)
        for f in range(n_features):
            for b in range(n_codes):
                base = (f * n_codes + b) * PACKED_LANES
                for k in range(width):
                    if chunk_start == start:
                        hist[f, b, k] = block[base + k]
                    else:
                        hist[f, b, k] += block[base + k]
        chunk_start = chunk_end
        if chunk_start >= end:
            break
    # (an output past m holds the count or zero padding; the sums of the first m are written)
    totals = (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14)
    for k in range(m):
        sums[k] = totals[k]


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
