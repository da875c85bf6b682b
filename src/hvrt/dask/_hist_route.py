"""The histogram route: the tree grown from histograms built in the chunks and summed."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._compat import import_dask
from .._preprocessing import Preprocessor, rounding_warned_elsewhere
from .._progress import StepLog
from ._collections import _Chunks, _check_paired, _compute, _delayed, _fit_delayed
from ._reductions import _frame_of, _merge_moments, _raw_categoricals, _target_values
from ._scaling import _Scaling
from ._gathering import _concat_rows, _gather_with_blend
from ._encoding import _fit_target_encoder, _fit_target_encoder_distributed


# --------------------------------------------------------------------------- the histogram route


def _hist_chunk(part: Any, y_part: Any, scaling: _Scaling, mapper: Any) -> Any:
    """One chunk binned, with its synthetic target, every row at the root."""
    from .._hist._distributed import bin_chunk

    if y_part is not None:
        _check_paired(y_part, part, "y")
    frame = _frame_of(part, _raw_categoricals(scaling.preprocessor))
    y_values = None if y_part is None else _target_values(y_part)
    with rounding_warned_elsewhere():  # warned of once by the scaling pass
        X_tree = scaling.preprocessor.tree_inputs(frame)
    return bin_chunk(X_tree, scaling.target(frame, y_values), mapper)  # an empty chunk too


def _tree_sum(tasks: list[Any]) -> Any:
    """The sum of delayed arrays, added pairwise where they live (the client gets one array)."""
    add = _delayed(np.add)
    while len(tasks) > 1:
        tasks = [add(tasks[i], tasks[i + 1]) if i + 1 < len(tasks) else tasks[i] for i in range(0, len(tasks), 2)]
    return tasks[0]


def _grow_distributed(
    chunks: _Chunks,
    y_chunks: list[Any] | None,
    scaling: _Scaling,
    params: Any,
    random_state: Any,
    encoding: str,
    log: StepLog,
    edge_pieces: list[Any] | None = None,
) -> tuple[Preprocessor, Any]:
    """The histogram route: edges from the in-memory engine's edge sample, growth from
    histograms built in the chunks and summed (see :mod:`hvrt._hist._distributed`).

    Dask rounds: the edge sample (unless the scaling pass gathered it: ``edge_pieces``),
    one pass that bins the chunks and keeps them where they are (with their target's
    moments), one that centres the target and builds the root's histogram, then one per
    growth pass, each building only the histograms the replay needs."""
    from .._hist import _distributed as distributed

    dask = import_dask()
    columns = list(chunks.dtypes.index)
    preprocessor = scaling.preprocessor
    if edge_pieces is None:
        frame, y_values = _gather_with_blend(chunks, y_chunks, scaling, distributed.edge_rows(scaling.n_rows, random_state))
    else:  # gathered by the scaling pass (without y)
        frame, y_values = _concat_rows(edge_pieces, columns, _raw_categoricals(preprocessor)), None
        scaling.fit_scaler(frame)
    encoded = encoding == "target" and bool(preprocessor.categorical_columns)
    every_row = len(frame) == scaling.n_rows
    sample_target, guide = scaling.guided_target(frame, y_values, encoded and every_row)
    if encoded and every_row:
        _fit_target_encoder(preprocessor, frame, guide, random_state)
    elif encoded:  # from every row where it lives, as in memory (not the edge sample)
        log("target encoding from every row")
        _fit_target_encoder_distributed(preprocessor, chunks, y_chunks, scaling, random_state)
    del guide
    # the in-memory engine's bins for this many outputs (fewer for the features target)
    n_outputs = 1 if sample_target.ndim == 1 else sample_target.shape[1]
    with rounding_warned_elsewhere():  # warned of once by the scaling pass
        edge_inputs = preprocessor.tree_inputs(frame)
    mapper = distributed.fit_edges(edge_inputs, random_state, distributed.max_bins_for(n_outputs))
    n_features, n_codes = len(mapper.n_value_bins), mapper.n_codes
    log(f"bin edges from {len(frame):,} rows; binning {len(chunks.parts)} chunks where they live")

    y_parts = y_chunks if y_chunks is not None else [None] * len(chunks.parts)
    binned = _fit_delayed(_hist_chunk)
    states = dask.persist(*[binned(p, yp, scaling, mapper) for p, yp in zip(chunks.parts, y_parts)])
    moments = _delayed(distributed.target_moments)
    (parts,) = _compute([moments(state) for state in states])
    _, mean, m2 = _merge_moments(parts)
    centre = _delayed(distributed.centred)
    states = dask.persist(*[centre(state, mean) for state in states])  # the raw targets are released
    log("chunks binned")

    histograms = _delayed(distributed.pass_histograms)

    def run_pass(plan: Any) -> np.ndarray:
        (hists,) = _compute(_tree_sum([histograms(state, plan, n_features, n_codes) for state in states]))
        return hists

    growth = distributed.ChunkedGrowth(mapper, scaling.n_rows, len(mean), float(m2.sum()), params)
    tree = growth.grow(run_pass, log)
    log(f"tree grown in {growth.passes} passes over the chunks")
    return preprocessor, distributed.fitted_tree(tree, mean)
