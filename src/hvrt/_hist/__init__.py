"""``engine="hist"``: a histogram least-squares tree in numba kernels.

``hvrt._engines`` imports this package only on the first histogram fit, so ``import hvrt``
stays light. The kernels that Python calls are compiled at install into an extension
module (``_aot``, by numba's ahead-of-time compiler: ``_jit``, ``_aot_build``); with it, a
fit neither compiles nor imports numba. Without it, or for a call with other argument
types, numba compiles the kernels on first use and caches them on disk
(``@njit(cache=True)``), so later processes load them instead of compiling.
numba checks a cached kernel against its own file only, not the files of the kernels it
calls: after editing a kernel, delete ``_hist/__pycache__`` or its callers in other
modules keep running the old code.

Imports go one way, each module importing only from those before it: ``_threads``,
``_node_table``, ``_histograms``, ``_rows``, ``_split``, ``_apply`` → ``_categories`` (native
categorical splits) → ``_grower`` → ``_grow_tree``, ``_binning`` → ``_model``
→ ``_fit`` (and ``.._tree_contract``, a leaf). ``_moments`` (the column moments of a large
row-major X and its z-scored columns, for ``.._target``) stands apart.

Steps of a fit (``_fit.fit_hist``):

1. ``_binning``: per-feature bin edges from at most 20k sampled rows, then one pass over
   X into uint8 codes, on threads (``_threads``).
2. ``_grow_tree``: the root's histogram, then best-first growth (``_grower``) on the
   codes, partitioning rows in place: serial, or (from 131,072 rows, with two threads and
   more than two leaves asked for) the root split and its two subtrees on two threads,
   merged back into the serial order.
3. ``_model``: the tree as plain arrays with raw-value thresholds; the training rows'
   labels (their leaves' indices) come from the final row partition, new rows go
   through ``_apply``.

Where a 1M x 10 fit at K = 200 spent its time (2-core development machine, medians of
21 fits in one process with each phase wrapped in a timer, ``engine="hist"`` through the
partitioner): preprocessing 19 ms, bin edges 10 ms, codes 22 ms (two threads), growth
72 ms, training labels 3 ms; 125 ms in all, and about 30 ms to label 1M new rows. The
partition benchmark, which hands freed memory back to the system before every run,
measured 0.138 s and 0.026 s.

The first fit on a machine compiles the kernels (``python -m benchmarks.coldstart``, 200k x
10, K = 200, 2-core machine) and logs one line saying so. ``python -m
benchmarks.compile_profile`` splits that per kernel and signature: one signature per kernel,
shared by both targets and both thread paths. Two costs set the time. Every kernel pays a
fixed 0.15-0.4 s however small (numba types and lowers it with its Python wrapper, then
LLVM optimises and emits its module), and a kernel that calls another links the callee's
code into its own module, where LLVM optimises and emits it again. So small and medium
helpers with one caller are inlined into it (``inline="always"``: the row partitions,
``_fill_features``, ``_child_histograms``...), and nearly every kernel is one that Python calls:
``_bin_rows``, ``fill_histogram``, ``evaluate_node``, ``split_rows``, ``grow``,
``_merge_order`` and ``rows_to_leaves`` (the root's target sums and the root split's
histogram subtraction are numpy, with the kernels' arithmetic). Inlining is not free either:
numba re-reads a helper's bytecode and re-runs its front end at every call site (about
0.04 s a small site), and inlining the large split search ``_best_split`` into
``evaluate_node`` cost 0.4 s more than compiling it as a kernel (three runs each). ``grow``
still costs 3-4 s, a third of it LLVM work on a module whose code is 60 % its callees
linked in again. Each kernel is
compiled for one type signature only (Python callers pass the types the kernels pass each
other; a literal argument would compile a second copy; but the tree inputs of a DataFrame
arrive in Fortran order, and ``_bin_rows`` and ``_bin_rows_grid`` compile a copy for each
order met; ``_apply_rows`` and ``_categories.apply_rows_mixed`` read X as a flat view in either order), and no kernel calls a numpy function or builtin that numba would compile as an
overload of its own (``min``, ``max``, ``np.zeros``, ``copy``) where a conditional or a loop
does, nor builds an array expression.

A new process with a warm cache pays numba's own start-up: ``import numba`` (``import
hvrt`` does not import it; the first histogram fit does), then, before the first cached
kernel loads, numba's typing and target set-up (its cache runs ``refresh()`` on the target
context, which imports and registers numba's whole library of typing and lowering
implementations; no threading layer is involved, the kernels run on plain threads). That
is 0.4-0.5 s on that machine with one trivial kernel, and it shows as the first kernel's
(``_bin_rows``) cache load; the engine's five to seven kernels then load in less than 0.1 s more.
"""

from __future__ import annotations

from ._fit import fit_hist
from ._model import HistFittedTree, HistTree

__all__ = ["HistFittedTree", "HistTree", "fit_hist"]
