"""hvrt on Dask collections, for tables that outgrow one machine's memory.

The estimators here subclass the in-memory ones (the style of ``lightgbm.dask``): they
take a ``dask.array`` or ``dask.dataframe`` where the local ones take numpy or pandas,
keep the same parameters, and :meth:`to_local` returns the equivalent in-memory
estimator. Nothing collects all rows on the client:

- **Scaling** (means, standard deviations, imputation values, category lists) comes from
  one distributed pass: each chunk reduces its rows to a few numbers per column, which
  the client merges (counts add, squared deviations merge with Chan's parallel formula,
  category counts add). The fitted preprocessing object is the one the in-memory fit
  computes on the same rows, up to the order of float summation: the chunks' means and
  squared deviations are taken and merged in the corrected two-pass form, so the
  in-memory constant-column test (16 ulps of the mean) applies whatever the chunks. An
  object column is numeric when every chunk holds one kind in it, numbers only, dates
  only or durations only (dates and durations as nanoseconds: ``to_frame`` decides so on
  the whole column in memory); one that holds text somewhere, or two kinds, is
  categorical, keyed on its values as they are (dates too, as in memory), its categories
  counted in a second pass, only then.
- **Fitting**, two routes (``fit(..., route="auto")`` picks):

  - *sample*: a uniform random sample of ``max_samples`` rows (the rows the in-memory
    ``max_samples`` draws, seeded by ``random_state``) is gathered to the client, its
    synthetic target built with the distributed statistics, and the in-memory engine grows
    the tree on it. With ``max_samples=None`` and at most :data:`DEFAULT_SAMPLE_ROWS` rows,
    every row is gathered and the fit is the in-memory one up to ties: where two splits
    are exactly as good (a regular grid: hourly dates, a row counter), the statistics'
    last-bit differences from the one-pass in-memory ones may pick the other split, for
    partitions of the same sizes and quality (on either route).
  - *hist* (the default above :data:`DEFAULT_SAMPLE_ROWS` rows with ``max_samples=None``):
    every row shapes every split. The bin edges come from the 20,000 rows the in-memory
    hist engine samples for them (gathered: a quantile sketch would give other edges; on
    a dask array without ``y`` the scaling pass gathers them); each chunk bins its rows
    where it lives and keeps its codes and target (a second and last pass over X); per
    growth pass, the chunks build the histograms of a batch of open leaves' smaller
    children and Dask sums them; the client replays best-first growth with the engine's
    split search (:mod:`hvrt._hist._distributed`). Given the same edges it grows the
    in-memory hist engine's tree, split for split.

  A user ``scaler`` is fitted on the gathered rows (the sample, or the edge sample on the
  hist route): it is not a sum over rows. It is fitted once and transforms each chunk
  where it lives (one whose output depends on the rows it is given cannot be applied so,
  and is refused). ``category_encoding="target"`` learns from every row, as in memory:
  its encodings come from sums over rows per category, reduced in the chunks and merged
  (:func:`_fit_target_encoder_distributed`).
- **y and sample_weight** pair with X's chunks as the analysis tools' labels do
  (:func:`_paired_chunks`): a dask Series with a dask DataFrame X, both of known
  divisions, by index, refused where it differs from X's, as in memory; otherwise by
  position, recut at X's rows when cut otherwise (chunk sizes unknown are counted), the
  index compared only where it identifies rows (not one that restarts in each block, as
  ``dd.read_csv``'s does).
- **Labelling** is lazy: ``get_partitions`` maps the fitted local estimator over the
  blocks (``map_blocks`` / ``map_partitions``).
- **Local models**: per-partition ``XᵀWX`` and ``XᵀWy`` are computed where each chunk lives
  and added; the shrinkage solve runs once on the client.
- **Analysis**: :func:`full_report` and :func:`partition_quality` group each chunk and merge
  the groupings (:func:`hvrt._grouped.merge_grouped`); :func:`full_report` also counts each
  non-numeric column's (partition, category) cells in the same pass, merged into the
  in-memory :class:`~hvrt.CategoricalReport`.

Computations go through ``dask.compute``, so they run on the active
``distributed.Client`` when there is one.
"""

from __future__ import annotations

from ._analysis import full_report, partition_quality
from ._collections import _Given
from ._labelling import _label_block, _leaf_block, _on_block, _on_frame
from ._partitioner import DEFAULT_SAMPLE_ROWS, DaskHVRTPartitioner, _DaskNamedPartitioner
from ._regressor import DaskPartitionedRegressor, _DaskNamedRegressor, _predict_block

__all__ = [
    "DEFAULT_SAMPLE_ROWS",
    "DaskHVRTPartitioner",
    "DaskPartitionedRegressor",
    "full_report",
    "partition_quality",
]

# The public names, and what pickles of the estimators and of lazy labels and predictions name
# (their tasks and the in-memory estimators labelling the chunks), keep the module they had when
# hvrt.dask was one file: pickles made then load, and new ones name no submodule.
_NAMED_IN_HVRT_DASK = (
    DaskHVRTPartitioner,
    DaskPartitionedRegressor,
    full_report,
    partition_quality,
    _DaskNamedPartitioner,
    _DaskNamedRegressor,
    _Given,
    _label_block,
    _leaf_block,
    _predict_block,
    _on_block,
    _on_frame,
)
for _named in _NAMED_IN_HVRT_DASK:
    _named.__module__ = __name__
del _named
