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
    "f4": "float32",
    "i8": "int64",
    "i4": "int32",
    "u1": "uint8",
    "u4": "uint32",
    "u8": "uint64",
    "b1": "bool",
}

_NODE = ("f8", "i8", "i8", "b1", "i8")  # gain, feature, bin, nan_left, n_left
_GROW_TABLES = (("i8", 2, "C"), ("f8", 2, "C"))  # node_int, node_float


def _grow(categorical: object, target: str = "f8") -> tuple:
    # codes, words, y, rows, seg_start, seg_end, root_hist, root_sums, root_depth, n_value_bins,
    # categorical, nan_code, max_leaves, min_leaf, max_depth, min_gain, hist_min_rows, min_category_rows,
    # board, board_gain, side (y: "f4" for the features target, see _engines.target_dtype)
    return (
        ("u1", 2, "C"),
        ("u8", 2, "C"),
        (target, 2, "C"),
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
        ("i8", 2, "C"),
        ("f8", 2, "C"),
        "i8",
    )


_APPLY = (
    # values (X flat in memory order), row_step, offsets (a node's feature's offset in a row),
    # threshold, routes (four a node: left, right, NaN's side twice), is_leaf, max_depth,
    # node_values (what a row's leaf writes), out, start, stop, and the check's spans,
    # span_step, span_rows, limit (-> the count of values beyond it)
    ("f8", 1, "C", "r"),
    "i8",
    ("u8", 1, "C", "r"),
    ("f8", 1, "C", "r"),
    ("u8", 1, "C", "r"),
    ("b1", 1, "C", "r"),
    "i8",
    ("i8", 1, "C", "r"),
    ("i8", 1, "C"),
    "i8",
    "i8",
    "i8",
    "i8",
    "i8",
    "f8",
)


_APPLY_MIXED = (
    # values (X flat in memory order), row_step, offsets, threshold, routes, is_leaf,
    # categorical_node, table (flat, node x width), width, max_depth, out, start, stop
    ("f8", 1, "C", "r"),
    "i8",
    ("u8", 1, "C", "r"),
    ("f8", 1, "C", "r"),
    ("u8", 1, "C", "r"),
    ("b1", 1, "C", "r"),
    ("b1", 1, "C", "r"),
    ("b1", 1, "C", "r"),
    "i8",
    "i8",
    ("i8", 1, "C"),
    "i8",
    "i8",
)


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
    "hvrt._hist._binning._bin_rows_grid": tuple(
        (
            f"bin_rows_grid_{order.lower()}",
            # X, edges, grid_low, grid_scale, grid_first, nan_code, codes, start, stop
            (
                ("f8", 2, order, "r"),
                ("f8", 2, "C", "r"),
                ("f8", 1, "C", "r"),
                ("f8", 1, "C", "r"),
                ("u1", 2, "C", "r"),
                "i8",
                ("u1", 2, "C"),
                "i8",
                "i8",
            ),
            "void",
        )
        for order in "CF"
    ),
    "hvrt._hist._moments.block_moments": tuple(
        # values (X, or a float32 features target), block_rows, first_block, stop_block, sums, squares
        (name, ((dtype, 2, "C", "r"), "i8", "i8", "i8", ("f8", 2, "C"), ("f8", 2, "C")), "void")
        for name, dtype in (("block_moments", "f8"), ("block_moments_f4", "f4"))
    ),
    "hvrt._hist._moments.scaled_columns": tuple(
        # values (column-major: a DataFrame's numeric block), mean, coefficients, out (float32:
        # the histogram engine's features target), start, stop
        (
            f"scaled_columns{suffix}",
            (("f8", 2, order, "r"), ("f8", 1, "C"), ("f8", 1, "C"), (out, 2, "C"), "i8", "i8"),
            "void",
        )
        for order, out, suffix in (("C", "f8", ""), ("F", "f8", "_f"), ("C", "f4", "_f4"), ("F", "f4", "_f_f4"))
    ),
    "hvrt._hist._moments.scaled_moments": tuple(
        # values (row-major), mean and coefficients (tiled to a line), out (float32: the histogram
        # engine's features target), start, stop, line_rows, sums, squares
        (
            f"scaled_moments{suffix}",
            (
                ("f8", 2, "C", "r"), ("f8", 1, "C", "r"), ("f8", 1, "C", "r"), (out, 2, "C"), "i8", "i8", "i8",
                ("f8", 1, "C"), ("f8", 1, "C"),
            ),
            "void",
        )
        for out, suffix in (("f8", ""), ("f4", "_f4"))
    ),
    # values, coefficients, offset, out, start, stop (the sum target, centred)
    "hvrt._hist._moments.centred_row_sums": (
        (
            "centred_row_sums",
            (("f8", 2, "C", "r"), ("f8", 1, "C", "r"), "f8", ("f8", 1, "C"), "i8", "i8"),
            "void",
        ),
    ),
    # values (column-major), coefficients, offset, out, start, stop (the sum target, centred)
    "hvrt._hist._moments.centred_column_sums": (
        (
            "centred_column_sums",
            (("f8", 2, "F", "r"), ("f8", 1, "C", "r"), "f8", ("f8", 1, "C"), "i8", "i8"),
            "void",
        ),
    ),
    "hvrt._hist._binning._edges_of_sorted": (
        # values, max_bins, row_share, out -> number of edges
        ("edges_of_sorted", (("f8", 1, "C", "r"), "i8", "f8", ("f8", 1, "C")), "i8"),
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
    "hvrt._hist._histograms.fill_histogram": tuple(
        # hist, codes, y, start, end
        (name, (("f8", 3, "C"), ("u1", 2, "C"), (target, 2, "C"), "i8", "i8"), "void")
        for name, target in (("fill_histogram", "f8"), ("fill_histogram_f4", "f4"))
    ),
    "hvrt._hist._histograms.fill_features": tuple(
        # hist, codes, y, start, end, first, last
        (name, (("f8", 3, "C"), ("u1", 2, "C"), (target, 2, "C"), "i8", "i8", "i8", "i8"), "void")
        for name, target in (("fill_features", "f8"), ("fill_features_f4", "f4"))
    ),
    "hvrt._hist._grower.grow": (
        ("grow", _grow(None), _GROW_TABLES),
        ("grow_categorical", _grow(("b1", 1, "C", "r")), _GROW_TABLES),
        ("grow_f4", _grow(None, "f4"), _GROW_TABLES),
        ("grow_categorical_f4", _grow(("b1", 1, "C", "r"), "f4"), _GROW_TABLES),
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
    "hvrt._hist._rows.split_rows": tuple(
        # codes, words, y, rows, start, end, feature, split_bin, nan_left, nan_code, n_left
        (
            name,
            (("u1", 2, "C"), ("u8", 2, "C"), (target, 2, "C"), ("i4", 1, "C"), "i8", "i8", "i8", "i8", "b1", "i8",
             "i8"),  # fmt: skip
            "void",
        )
        for name, target in (("split_rows", "f8"), ("split_rows_f4", "f4"))
    ),
    "hvrt._hist._rows.split_rows_half": tuple(
        # codes, words, y_words, rows, start, end, feature, split_bin, nan_left, nan_code, n_left, half
        (
            name,
            (
                *(("u1", 2, "C"), ("u8", 2, "C"), (target, 2, "C"), ("i4", 1, "C")),
                *("i8", "i8", "i8", "i8", "b1", "i8", "i8", "i8"),
            ),
            "void",
        )
        for name, target in (("split_rows_half", "u8"), ("split_rows_half_u4", "u4"))
    ),
    "hvrt._hist._categories.split_rows_by_set": tuple(
        # codes, words, y, rows, start, end, feature, bits, nan_left, nan_code
        (
            name,
            (("u1", 2, "C"), ("u8", 2, "C"), (target, 2, "C"), ("i4", 1, "C"), "i8", "i8", "i8", ("i8", 1, "C", "r"),
             "b1", "i8"),  # fmt: skip
            "void",
        )
        for name, target in (("split_rows_by_set", "f8"), ("split_rows_by_set_f4", "f4"))
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
    "hvrt._hist._apply._apply_rows": (("apply_rows", _APPLY, "i8"),),
    # values -> (non-NaN count, mean, its residual, squared deviations, largest magnitude) per column
    "hvrt._hist._distributed.column_pass": (
        (
            "column_pass",
            (("f8", 2, "C", "r"),),
            (("i8", 1, "C"), ("f8", 1, "C"), ("f8", 1, "C"), ("f8", 1, "C"), ("f8", 1, "C")),
        ),
    ),
    "hvrt._hist._categories.apply_rows_mixed": (("apply_rows_mixed", _APPLY_MIXED, "void"),),
}

# The local models' kernels (``PartitionedRegressor``), outside this package: the calls of
# its default path (one-hot columns or not, with or without sample weights). To cover
# another call, add one line here: the export's name (unique in the module) and the
# arguments that ``record_misses`` in ``_jit`` printed for it, then reinstall
# (``pip install -e .``); ``tests/test_local_models_aot.py`` fails while a fit misses.
_F1, _F2, _F3, _F4 = (("f8", ndim, "C") for ndim in (1, 2, 3, 4))  # written by the kernel
_R1, _R2, _R3, _R4 = (("f8", ndim, "C", "r") for ndim in (1, 2, 3, 4))  # only read
_NODES = ("i8", 1, "C", "r")  # parent, partition_nodes
EXPORTS |= {
    # design, response, weights, codes, shift, response_shift, seen, gram, moment, response_square
    "hvrt._grouped_products._accumulate": (
        ("accumulate", (_R2, _R1, _R1, _NODES, _F2, _F1, ("b1", 1, "C"), _F3, _F2, _F1), "void"),
    ),
    # design, first, active, mean, scale, response, weights, codes, shift, response_shift, seen,
    # gram, moment, response_square
    "hvrt._grouped_products._accumulate_one_hot": (
        (
            "accumulate_one_hot",
            (_R2, "i8", ("i8", 2, "C", "r"), _R1, _R1, _R1, _R1, _NODES, _F2, _F1, ("b1", 1, "C"), _F3, _F2, _F1),
            "void",
        ),
    ),
    # gram, moment, response_square, shift, response_shift (made plain in place)
    "hvrt._grouped_products._unshift": (("unshift", (_F3, _F2, _F1, _R2, _R1), "void"),),
    # values, starts, stops, active
    "hvrt._grouped_products._active_columns": (("active_columns", (_R2, _NODES, _NODES, ("i8", 2, "C")), "b1"),),
    # parent, partition_nodes, gram, moment, node_gram, node_moment
    "hvrt._grouped_products._sum_up_tree": (("sum_up_tree", (_NODES, _NODES, _R4, _R3, _F4, _F3), "void"),),
    # parent, partition_nodes, total_gram, total_moment, fold_gram, fold_moment, held_gram,
    # held_moment, held_square, held_shift, held_response_shift, node_shift,
    # node_response_shift, slopes, levels, alpha, coef, errors, failed
    "hvrt._shrunk_solve._solve_all": (
        (
            "solve_all",
            (
                _NODES, _NODES, _R3, _R2, _R4, _R3, _R4, _R3, _R2, _R3, _R2, _R2, _R1, _R1, _R1, "f8", _F4, _F2,
                ("b1", 2, "C"),
            ),
            "void",
        ),
    ),
    # parent, n_sets, gram, moment, response_square, shift, response_shift (in place),
    # node_shift, node_response_shift
    "hvrt._grouped_products._shifted_sets_up_tree": (
        ("shifted_sets_up_tree", (_NODES, "i8", _F3, _F2, _F1, _F2, _F1, _F2, _F1), "void"),
    ),
    # parent, partition_nodes, gram, moment, centre, response_mean, slope, level, alpha, coef
    "hvrt._shrunk_solve._solve_centred": (
        ("solve_centred", (_NODES, _NODES, _R3, _R2, _R2, _R1, "f8", "f8", "f8", _F2), "b1"),
    ),
    # parent, partition_nodes, then a partition's and a node's gram, moment, response_square,
    # shift, response_shift
    "hvrt._grouped_products._centre_up_tree": (
        ("centre_up_tree", (_NODES, _NODES, _F3, _F2, _F1, _F2, _F1, _F3, _F2, _F1, _F2, _F1), "void"),
    ),
    # gram, moment, response_square, shift, response_shift (centred in place)
    "hvrt._grouped_products._centre_groups": (("centre_groups", (_F3, _F2, _F1, _F2, _F1), "void"),),
    # the same five of the target (merged into in place), then of the source (Dask's chunks)
    "hvrt._grouped_products._merge_shifted": (
        ("merge_shifted", (_F3, _F2, _F1, _F2, _F1, _F3, _F2, _F1, _F2, _F1), "void"),
    ),
}

# Two more exports describe the build (``_jit`` checks them before using the module):
# ``built_from()``, a digest of the engine's source files (``source_digest``), and
# ``built_for()``, the CPU flags the code needs ("" for a generic x86-64 / arm64 build).


def source_files() -> list[Path]:
    """The files the module is compiled from: this package's ``*.py`` (the engine, and the
    decorator and this list) and the file of every other module with an export."""
    package = Path(__file__).parent
    others = {key.rsplit(".", 1)[0] for key in EXPORTS if not key.startswith("hvrt._hist.")}
    files = sorted(package.glob("*.py"))
    files += sorted(package.parent.joinpath(*module.split(".")[1:]).with_suffix(".py") for module in others)
    return files


def source_digest() -> str:
    """SHA-256 of :func:`source_files` (by their paths under ``hvrt``): a module built
    from other sources than the installed ones is not used (an edited checkout)."""
    digest = hashlib.sha256()
    root = Path(__file__).parent.parent
    for path in source_files():
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
