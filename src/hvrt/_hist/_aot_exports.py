"""The kernels compiled ahead of time into ``hvrt._hist._aot``, and their argument types.

Plain data, read by the build (``_aot_build``, through numba) and at run time (``_jit``,
without numba): a call runs the precompiled export whose argument types it matches.

Each kernel, named ``module.function``, maps to its exports ``(name, arguments, result)``.
An argument is ``"i8"``, ``"f8"`` or ``"b1"`` (an int64, float64 or bool scalar), ``None``
(the value None), or an array ``(dtype, ndim, order)`` with a fourth entry ``"r"`` when
the kernel only reads it (a read-only array may then be passed). A result is ``"void"``,
one of the scalar codes, or a tuple of them and of arrays ``(dtype, ndim, "C")``.
These are the types the engine's Python code passes (int64 scalars, C-ordered work arrays;
the tree inputs in either order); any other call compiles the kernel with numba instead.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

DTYPES = {
    "f8": "float64",
    "i8": "int64",
    "i4": "int32",
    "u1": "uint8",
    "u8": "uint64",
    "b1": "bool",
}

_NODE = ("f8", "i8", "i8", "b1", "i8")  # gain, feature, bin, nan_left, n_left
_GROW_TABLES = (("i8", 2, "C"), ("f8", 2, "C"))  # node_int, node_float


def _grow(categorical: object) -> tuple:
    # codes, words, y, rows, seg_start, seg_end, root_hist, root_sums, root_depth, n_value_bins,
    # categorical, nan_code, max_leaves, min_leaf, max_depth, min_gain, hist_min_rows, min_category_rows
    return (
        ("u1", 2, "C"),
        ("u8", 2, "C"),
        ("f8", 2, "C"),
        ("i4", 1, "C"),
        "i8",
        "i8",
        ("f8", 3, "C"),
        ("f8", 1, "C", "r"),
        "i8",
        ("i8", 1, "C", "r"),
        categorical,
        "i8",
        "i8",
        "i8",
        "i8",
        "f8",
        "i8",
        "i8",
    )


def _apply(order: str) -> tuple:
    # X, feature, threshold, nan_left, children, is_leaf, out, start, stop
    return (
        ("f8", 2, order, "r"),
        ("i8", 1, "C", "r"),
        ("f8", 1, "C", "r"),
        ("b1", 1, "C", "r"),
        ("i8", 2, "C", "r"),
        ("b1", 1, "C", "r"),
        ("i8", 1, "C"),
        "i8",
        "i8",
    )


def _apply_mixed(order: str) -> tuple:
    # as _apply, with categorical_node and table before out
    arguments = _apply(order)
    return arguments[:6] + (("b1", 1, "C", "r"), ("b1", 2, "C", "r")) + arguments[6:]


EXPORTS: dict[str, tuple[tuple[str, tuple, object], ...]] = {
    "hvrt._hist._binning._bin_rows": tuple(
        (
            f"bin_rows_{order.lower()}",
            # X, edges, grid_low, grid_scale, grid_first, use_grid, nan_code, codes, start, stop
            (
                ("f8", 2, order, "r"),
                ("f8", 2, "C", "r"),
                ("f8", 1, "C", "r"),
                ("f8", 1, "C", "r"),
                ("u1", 2, "C", "r"),
                ("b1", 1, "C", "r"),
                "i8",
                ("u1", 2, "C"),
                "i8",
                "i8",
            ),
            "void",
        )
        for order in "CF"
    ),
    "hvrt._hist._binning._bin_category_rows": tuple(
        (
            f"bin_category_rows_{order.lower()}",
            # X, features, n_codes, codes, start, stop
            (
                ("f8", 2, order, "r"),
                ("i8", 1, "C", "r"),
                ("i8", 1, "C", "r"),
                ("u1", 2, "C"),
                "i8",
                "i8",
            ),
            "b1",
        )
        for order in "CF"
    ),
    "hvrt._hist._histograms.fill_histogram": (
        # hist, codes, y, start, end
        (
            "fill_histogram",
            (("f8", 3, "C"), ("u1", 2, "C"), ("f8", 2, "C"), "i8", "i8"),
            "void",
        ),
    ),
    "hvrt._hist._grower.grow": (
        ("grow", _grow(None), _GROW_TABLES),
        ("grow_categorical", _grow(("b1", 1, "C", "r")), _GROW_TABLES),
    ),
    "hvrt._hist._grower._merge_order": (
        # nodes, gains, counts, global_split, max_leaves
        (
            "merge_order",
            (
                ("i8", 1, "C", "r"),
                ("f8", 1, "C", "r"),
                ("i8", 1, "C", "r"),
                ("i8", 1, "C"),
                "i8",
            ),
            "void",
        ),
    ),
    "hvrt._hist._split.evaluate_node": (
        # hist, n_value_bins, nan_code, sums, size, depth, min_leaf, max_depth, min_gain, scratch
        (
            "evaluate_node",
            (
                ("f8", 3, "C"),
                ("i8", 1, "C", "r"),
                "i8",
                ("f8", 1, "C", "r"),
                "i8",
                "i8",
                "i8",
                "i8",
                "f8",
                ("f8", 2, "C"),
            ),
            _NODE,
        ),
    ),
    "hvrt._hist._categories.evaluate_mixed": (
        # hist, numeric_bins, n_value_bins, categorical, nan_code, sums, size, depth, min_leaf,
        # max_depth, min_gain, min_category_rows, scratch, category_scratch, bits
        (
            "evaluate_mixed",
            (
                ("f8", 3, "C"),
                ("i8", 1, "C", "r"),
                ("i8", 1, "C", "r"),
                ("b1", 1, "C", "r"),
                "i8",
                ("f8", 1, "C", "r"),
                "i8",
                "i8",
                "i8",
                "i8",
                "f8",
                "i8",
                ("f8", 2, "C"),
                ("f8", 2, "C"),
                ("i8", 1, "C"),
            ),
            _NODE,
        ),
    ),
    "hvrt._hist._rows.split_rows": (
        # codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, small_size
        (
            "split_rows",
            (
                ("u1", 2, "C"),
                ("u8", 2, "C"),
                ("f8", 2, "C"),
                ("i4", 1, "C"),
                "i8",
                "i8",
                "i8",
                "i8",
                "b1",
                "i8",
                "i8",
            ),
            "void",
        ),
    ),
    "hvrt._hist._categories.split_rows_by_set": (
        # codes, words, y, rows, start, end, feature, bits, nan_left, nan_code
        (
            "split_rows_by_set",
            (
                ("u1", 2, "C"),
                ("u8", 2, "C"),
                ("f8", 2, "C"),
                ("i4", 1, "C"),
                "i8",
                "i8",
                "i8",
                ("i8", 1, "C", "r"),
                "b1",
                "i8",
            ),
            "void",
        ),
    ),
    "hvrt._hist._rows._write_leaves": (
        # rows, leaf_nodes, starts, ends, out
        (
            "write_leaves",
            (
                ("i4", 1, "C", "r"),
                ("i8", 1, "C", "r"),
                ("i8", 1, "C", "r"),
                ("i8", 1, "C", "r"),
                ("i8", 1, "C"),
            ),
            "void",
        ),
    ),
    "hvrt._hist._apply._apply_rows": tuple(
        (f"apply_rows_{order.lower()}", _apply(order), "void") for order in "CF"
    ),
    "hvrt._hist._categories.apply_rows_mixed": tuple(
        (f"apply_rows_mixed_{order.lower()}", _apply_mixed(order), "void")
        for order in "CF"
    ),
}

# Two more exports describe the build (``_jit`` checks them before using the module):
# ``built_from()``, a digest of the engine's source files (``source_digest``), and
# ``built_for()``, the CPU flags the code needs ("" for a generic x86-64 / arm64 build).


def source_digest() -> str:
    """SHA-256 of the engine's Python files (this package's ``*.py``, by name): a module
    built from other sources than the installed ones is not used (an edited checkout)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
