"""Dask benchmark: hvrt.dask's two routes against in-memory hvrt and lightgbm.dask (one tree).

Run from the repository root::

    python -m benchmarks.dask                          # 20M x 10 on 2 worker processes
    python -m benchmarks.dask --n 2000000 --out benchmarks/results/dask.md

The data is a dask array of Gaussian rows generated inside the workers (chunks of
``--chunk-rows`` rows), so it never passes through the client; each worker's memory
limit (``--memory-limit``, default: three quarters of the data's size divided by the
workers, at least 1 GiB for the worker process itself) is below the data's size (1.5 GiB
at the default 20M x 10). Every method explains the same
target, the row sum of the z-scored features (hvrt builds it itself; LightGBM is handed
it as y), with ``--k`` leaves:

- ``hvrt.dask, hist route``: every row shapes every split (``route="hist"``);
- ``hvrt.dask, sample route``: the tree grows in memory on ``--sample`` gathered rows;
- ``in-memory hvrt (hist)``: the data gathered to the client first (only when it takes
  at most ``--in-memory-limit-gb``; the gather is not timed);
- ``lightgbm.dask, one tree``: ``DaskLGBMRegressor(n_estimators=1, num_leaves=k)``
  (needs the ``bench`` extra).

dask-ml's KMeans is not run: dask-ml is not a dependency of any extra.

Columns: fit time; labelling time (a lazy ``get_partitions`` / ``predict`` computed down to
per-leaf counts, so no labels travel); the largest per-worker peak resident memory during
the fit (the kernel's high-water mark, reset before each method; "n/a" with
``--in-process``); the explained variance of the target (``1 - within-leaf SSE / total
SSE``, from hvrt.dask's grouped statistics merged across chunks); and time relative to
the hist route, measured in the same run.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._harness import add_common_arguments, command_line, machine_summary, peak_rss_bytes, print_and_write, reset_peak_rss
from ._peers import import_peer

METHODS = ("hist", "sample", "memory", "lightgbm")
TITLE = "# Dask benchmark"


@dataclass
class Result:
    method: str
    fit_s: float | None = None
    label_s: float | None = None
    worker_peak_mb: float | None = None
    explained: float | None = None
    note: str = ""


def _reset_peak() -> bool:
    return reset_peak_rss()


def _peak() -> int | None:
    return peak_rss_bytes()


def _worker_peak_mb(client: Any, in_process: bool) -> float | None:
    if in_process:
        return None
    peaks = client.run(_peak)
    values = [v for v in peaks.values() if v is not None]
    return max(values) / 2**20 if values else None


def _label_counts(labels: Any, n_leaves: int) -> np.ndarray:
    """Per-leaf counts of lazy labels, computed where they live."""
    import dask.array as da

    return da.bincount(labels, minlength=n_leaves).compute()


def _explained(target: Any, labels: Any) -> float:
    from hvrt.dask import partition_quality

    return partition_quality(target[:, None], labels).feature_r2["f0"]


def _leaf_codes(leaves: Any) -> Any:
    """LightGBM's leaf indices as a 1-D int64 dask array."""
    return leaves.reshape(-1).astype(np.int64) if leaves.ndim > 1 else leaves.astype(np.int64)


def run_method(method: str, X: Any, target: Any, client: Any, args: argparse.Namespace) -> Result:
    """Fit, label and score one method; a method that cannot run says why."""
    from hvrt import HVRTPartitioner
    from hvrt.dask import DaskHVRTPartitioner

    in_process = args.in_process
    if not in_process:
        client.run(_reset_peak)
    if method in ("hist", "sample"):
        options = {"max_samples": args.sample} if method == "sample" else {}
        model = DaskHVRTPartitioner(max_leaf_nodes=args.k, engine="hist", random_state=args.seed, **options)
        start = time.perf_counter()
        model.fit(X, route=method)
        fit_s = time.perf_counter() - start
        peak = _worker_peak_mb(client, in_process)
        labels = model.get_partitions(X)
        start = time.perf_counter()
        _label_counts(labels, model.n_partitions_)
        label_s = time.perf_counter() - start
        note = f"{model.n_samples_fit_:,} rows grew the tree"
        return Result(method, fit_s, label_s, peak, _explained(target, labels), note)
    if method == "memory":
        size_gb = X.shape[0] * X.shape[1] * 8 / 2**30
        if size_gb > args.in_memory_limit_gb:
            return Result(method, note=f"not run: {size_gb:.1f} GiB > --in-memory-limit-gb {args.in_memory_limit_gb}")
        # chunk by chunk: X.compute() would first join the chunks on one worker, past its limit
        values = np.concatenate(client.gather(client.compute(list(X.to_delayed().ravel()))))
        model = HVRTPartitioner(max_leaf_nodes=args.k, engine="hist", random_state=args.seed)
        start = time.perf_counter()
        model.fit(values)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        model.get_partitions(values)
        label_s = time.perf_counter() - start
        import dask.array as da

        labels = da.from_array(model.labels_, chunks=X.chunks[0])
        return Result(method, fit_s, label_s, None, _explained(target, labels), "on the client, data gathered first")
    if method == "lightgbm":
        try:
            lightgbm = import_peer("lightgbm")
            import lightgbm.dask  # noqa: F401
        except ImportError as err:
            return Result(method, note=f"not run: {err}")
        model = lightgbm.DaskLGBMRegressor(
            client=client, n_estimators=1, num_leaves=args.k, learning_rate=1.0, min_child_samples=1,
            min_child_weight=0.0, verbose=-1, random_state=args.seed,
        )  # fmt: skip
        start = time.perf_counter()
        model.fit(X, target)
        fit_s = time.perf_counter() - start
        peak = _worker_peak_mb(client, in_process)
        leaves = _leaf_codes(model.predict(X, pred_leaf=True))
        start = time.perf_counter()
        _label_counts(leaves, 2 * args.k)
        label_s = time.perf_counter() - start
        return Result(method, fit_s, label_s, peak, _explained(target, leaves), "n_estimators=1, learning_rate=1")
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


NAMES = {
    "hist": "hvrt.dask, hist route",
    "sample": "hvrt.dask, sample route",
    "memory": "in-memory hvrt (hist)",
    "lightgbm": "lightgbm.dask, one tree",
}


def _cell(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def build_table(results: list[Result]) -> list[str]:
    """Table rows, with fit times relative to the hist route's in the same run."""
    reference = next((r.fit_s for r in results if r.method == "hist" and r.fit_s), None)
    lines = [
        "| method | fit s | label s | worker peak MB | explained target variance | fit time / hist route | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = "" if (reference is None or r.fit_s is None) else f"{r.fit_s / reference:.2f}x"
        peak = "n/a" if (r.worker_peak_mb is None and r.fit_s is not None) else _cell(r.worker_peak_mb, 0)
        lines.append(
            f"| {NAMES[r.method]} | {_cell(r.fit_s, 2)} | {_cell(r.label_s, 2)} | {peak} | "
            f"{_cell(r.explained, 4)} | {ratio} | {r.note} |"
        )
    return lines


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, n=20_000_000, d=10, k=200, seed=0, out="also write the table to this markdown file")
    parser.add_argument("--chunk-rows", type=int, default=1_000_000, help="rows per dask chunk (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes, one thread each (default: %(default)s)")
    parser.add_argument(
        "--memory-limit", type=str, default=None,
        help="memory limit per worker, e.g. 1GB (default: 3/4 of the data's size / workers, at least 1 GiB)",
    )  # fmt: skip
    parser.add_argument("--sample", type=int, default=1_000_000, help="rows of the sample route (default: %(default)s)")
    parser.add_argument("--in-memory-limit-gb", type=float, default=2.0, help="largest data gathered for in-memory hvrt")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS), help="methods to run")
    parser.add_argument(
        "--in-process", action="store_true",
        help="threads in this process instead of worker processes (quick checks; no per-worker memory)",
    )  # fmt: skip
    return parser.parse_args(argv)


def run(args: argparse.Namespace, argv: list[str] | None) -> str:
    """Start the cluster, run every method, return the markdown (command, machine, table)."""
    import dask.array as da
    import distributed

    data_bytes = args.n * args.d * 8
    # a worker process needs a few hundred MB of its own, whatever the data
    memory_limit = args.memory_limit or int(max(0.75 * data_bytes / args.workers, 2**30))
    cluster_options: dict[str, Any] = {
        "n_workers": args.workers, "threads_per_worker": 1, "dashboard_address": None,
        "processes": not args.in_process,
    }  # fmt: skip
    if not args.in_process:
        cluster_options.update(host="127.0.0.1", memory_limit=memory_limit)
    results = []
    with distributed.LocalCluster(**cluster_options) as cluster, distributed.Client(cluster) as client:
        X = da.random.default_rng(args.seed).normal(size=(args.n, args.d), chunks=(args.chunk_rows, args.d))
        mean, std = X.mean(axis=0), X.std(axis=0)
        target = ((X - mean) / std).sum(axis=1)
        for method in args.methods:
            try:
                results.append(run_method(method, X, target, client, args))
            except Exception as err:  # one method's failure must not lose the others' results
                reason = str(err).splitlines()[0][:160]
                results.append(Result(method, note=f"failed: {type(err).__name__}: {reason}"))
    limit = "none (threads in one process)" if args.in_process else f"{memory_limit / 2**20:,.0f} MB"
    lines = [
        f"`{command_line('dask', argv)}`",
        "",
        f"Machine: {machine_summary(('numpy', 'pandas', 'numba', 'dask', 'distributed', 'lightgbm'))}",
        "",
        f"{args.n:,} rows x {args.d} Gaussian features ({data_bytes / 2**20:,.0f} MB) as a dask array in chunks of "
        f"{args.chunk_rows:,} rows, K = {args.k}; {args.workers} workers with one thread each, memory limit per "
        f"worker {limit}. One run per method (no repeats: each is long).",
        "",
        *build_table(results),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    print_and_write(run(args, argv), args.out, TITLE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
