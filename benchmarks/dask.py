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
  (needs the ``bench`` extra), given its listening ports (``machines``): left to find
  them itself, it keeps an open socket as a task result on each worker, which a worker
  near its memory limit fails to spill (``PickleError: Failed to pickle
  '_acquire_port-...'``), hiding the real cause. LightGBM trains on the rows
  concatenated in each worker's memory (the chunks plus their concatenation: twice the
  worker's share of X), so it is not run where that passes 95 % of the memory limit: at
  20M x 10 with 1 GiB per worker both workers passed it, the nanny restarted them, and
  LightGBM's tasks, pinned to the dead workers, waited forever;
- ``lightgbm-roomy``: the same, on a cluster of its own whose workers may use
  ``--roomy-memory-limit`` each (a speed reference where the shared limit is too small;
  not in the default methods);
- ``dask-ml KMeans``: ``dask_ml.cluster.KMeans(n_clusters=k, init="random",
  max_iter=10)`` (dask-ml's default ``k-means||`` initialisation took 173 s at 200,000 rows
  and found 4 of 200 centres); only up to ``--dask-ml-max-rows`` rows, as each Lloyd
  iteration is a pass over X.

Before timing, each method runs once, untimed, on the first 50,000 rows (``--no-warm-up`` skips
it): worker processes load hvrt's compiled kernels, LightGBM's library and dask-ml once
each, a cost the table does not compare. Columns: fit time; labelling time (a lazy ``get_partitions`` / ``predict`` computed down to
per-leaf counts, so no labels travel); the largest per-worker peak resident memory during
the fit (the kernel's high-water mark, reset before each method; "n/a" with
``--in-process``); the explained variance of the target (``1 - within-leaf SSE / total
SSE``, from hvrt.dask's grouped statistics merged across chunks); and time relative to
the hist route, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._harness import add_common_arguments, command_line, peak_rss_bytes, print_and_write, reset_peak_rss, run_context
from ._peers import import_peer

METHODS = ("hist", "sample", "memory", "lightgbm", "lightgbm-roomy", "dask-ml")
DEFAULT_METHODS = ("hist", "sample", "memory", "lightgbm", "dask-ml")
TITLE = "# Dask benchmark"


@dataclass
class Result:
    method: str
    fit_s: float | None = None
    label_s: float | None = None
    worker_peak_mb: float | None = None
    explained: float | None = None
    note: str = ""


def _median_fit(fit: Any, repeats: int) -> float:
    """Median wall time of ``repeats`` fits (the model keeps the last)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


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
        fit_s = _median_fit(lambda: model.fit(X, route=method), args.repeats)
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
        fit_s = _median_fit(lambda: model.fit(values), args.repeats)
        start = time.perf_counter()
        model.get_partitions(values)
        label_s = time.perf_counter() - start
        import dask.array as da

        labels = da.from_array(model.labels_, chunks=X.chunks[0])
        return Result(method, fit_s, label_s, None, _explained(target, labels), "on the client, data gathered first")
    if method == "lightgbm":
        need = 2 * X.nbytes / args.workers
        if not in_process and need > 0.95 * args.memory_limit_bytes:
            # measured at 20M x 10, 1 GiB: both workers passed 95 % of their limit, the nanny
            # restarted them, and LightGBM's tasks (pinned to the dead workers) waited forever
            return Result(method, note=(
                f"not run: LightGBM concatenates each worker's rows in its memory (about {need / 2**20:,.0f} MB "
                f"per worker with the chunks), past the limit; see lightgbm-roomy"
            ))  # fmt: skip
        return _run_lightgbm(method, X, target, client, args, "n_estimators=1, learning_rate=1")
    if method == "lightgbm-roomy":
        import distributed

        options = _cluster_options(args, args.roomy_memory_limit)
        with distributed.LocalCluster(**options) as cluster, distributed.Client(cluster) as roomy:
            note = f"n_estimators=1, learning_rate=1; its own cluster, memory limit per worker {args.roomy_memory_limit}"
            return _run_lightgbm(method, X, target, roomy, args, note)
    if method == "dask-ml":
        if X.shape[0] > args.dask_ml_max_rows:
            return Result(method, note=f"not run: more than --dask-ml-max-rows {args.dask_ml_max_rows:,} rows")
        try:
            cluster = import_peer("dask_ml.cluster")
        except ImportError as err:
            return Result(method, note=f"not run: {err}")
        model = cluster.KMeans(n_clusters=args.k, init="random", max_iter=10, random_state=args.seed)
        fit_s = _median_fit(lambda: model.fit(X), args.repeats)
        peak = _worker_peak_mb(client, in_process)
        labels = model.predict(X).astype(np.int64)
        start = time.perf_counter()
        _label_counts(labels, args.k)
        label_s = time.perf_counter() - start
        note = f"init='random', {model.n_iter_} Lloyd iterations (max_iter=10)"
        return Result(method, fit_s, label_s, peak, _explained(target, labels), note)
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


def _free_ports(count: int) -> list[int]:
    """Ports free on this machine now (the cluster's workers listen on 127.0.0.1 too)."""
    import socket

    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _run_lightgbm(method: str, X: Any, target: Any, client: Any, args: argparse.Namespace, note: str) -> Result:
    try:
        lightgbm = import_peer("lightgbm")
        import lightgbm.dask  # noqa: F401, F811 (loads the submodule onto the name above)
    except ImportError as err:
        return Result(method, note=f"not run: {err}")
    in_process = args.in_process
    if not in_process:
        client.run(_reset_peak)
    model = lightgbm.DaskLGBMRegressor(
        client=client, n_estimators=1, num_leaves=args.k, learning_rate=1.0, min_child_samples=1,
        min_child_weight=0.0, verbose=-1, random_state=args.seed,
    )  # fmt: skip
    workers = list(client.scheduler_info()["workers"])
    hosts = [w.split("://")[-1].rsplit(":", 1)[0] for w in workers]

    def fit() -> None:
        if not in_process:  # worker processes on 127.0.0.1 (in-process workers have no host to name)
            # fresh ports for every fit: the last fit's may not be free again yet
            model.set_params(machines=",".join(f"{h}:{p}" for h, p in zip(hosts, _free_ports(len(workers)))))
        model.fit(X, target)

    fit_s = _median_fit(fit, args.repeats)
    peak = _worker_peak_mb(client, in_process)
    leaves = _leaf_codes(model.predict(X, pred_leaf=True))
    start = time.perf_counter()
    _label_counts(leaves, 2 * args.k)
    label_s = time.perf_counter() - start
    return Result(method, fit_s, label_s, peak, _explained(target, leaves), note)


NAMES = {
    "hist": "hvrt.dask, hist route",
    "sample": "hvrt.dask, sample route",
    "memory": "in-memory hvrt (hist)",
    "lightgbm": "lightgbm.dask, one tree",
    "lightgbm-roomy": "lightgbm.dask, one tree, roomier workers",
    "dask-ml": "dask-ml KMeans",
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
    add_common_arguments(
        parser, n=20_000_000, d=10, k=200, repeats=1, seed=0, out="also write the table to this markdown file"
    )
    parser.add_argument("--chunk-rows", type=int, default=1_000_000, help="rows per dask chunk (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes, one thread each (default: %(default)s)")
    parser.add_argument(
        "--memory-limit", type=str, default=None,
        help="memory limit per worker, e.g. 1GB (default: 3/4 of the data's size / workers, at least 1 GiB)",
    )  # fmt: skip
    parser.add_argument("--sample", type=int, default=1_000_000, help="rows of the sample route (default: %(default)s)")
    parser.add_argument("--in-memory-limit-gb", type=float, default=2.0, help="largest data gathered for in-memory hvrt")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(DEFAULT_METHODS), help="methods to run")
    parser.add_argument(
        "--roomy-memory-limit", type=str, default="4GB",
        help="memory limit per worker of lightgbm-roomy's own cluster (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--no-warm-up", dest="warm_up", action="store_false",
        help="skip the untimed run of each method on 50,000 rows (loads kernels and libraries in the workers)",
    )  # fmt: skip
    parser.add_argument(
        "--dask-ml-max-rows", type=int, default=2_000_000,
        help="largest data dask-ml KMeans is run on (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--in-process", action="store_true",
        help="threads in this process instead of worker processes (quick checks; no per-worker memory)",
    )  # fmt: skip
    return parser.parse_args(argv)


def _warm_up(methods: list[str], X: Any, target: Any, client: Any, args: argparse.Namespace) -> None:
    """Each method once on 50,000 rows, untimed: the workers load compiled kernels and
    libraries once per process, which is not what the table compares."""
    rows = min(50_000, args.chunk_rows, args.n)
    small = argparse.Namespace(**{**vars(args), "sample": min(args.sample, rows // 2), "n": rows, "repeats": 1})
    for method in methods:
        if method != "lightgbm-roomy":
            try:
                run_method(method, X[:rows], target[:rows], client, small)
            except Exception:  # noqa: S112 - the timed run reports the failure
                continue


def _cluster_options(args: argparse.Namespace, memory_limit: int | str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "n_workers": args.workers, "threads_per_worker": 1, "dashboard_address": None,
        "processes": not args.in_process,
    }  # fmt: skip
    if not args.in_process:
        options.update(host="127.0.0.1", memory_limit=memory_limit)
    return options


def run(args: argparse.Namespace, argv: list[str] | None) -> str:
    """Start the cluster, run every method, return the markdown (command, machine, table)."""
    import dask.array as da
    import dask.utils
    import distributed

    data_bytes = args.n * args.d * 8
    # a worker process needs a few hundred MB of its own, whatever the data
    memory_limit = args.memory_limit or int(max(0.75 * data_bytes / args.workers, 2**30))
    args.memory_limit_bytes = dask.utils.parse_bytes(memory_limit) if isinstance(memory_limit, str) else memory_limit
    results = []
    load_before = os.getloadavg()
    with distributed.LocalCluster(**_cluster_options(args, memory_limit)) as cluster, distributed.Client(cluster) as client:
        X = da.random.default_rng(args.seed).normal(size=(args.n, args.d), chunks=(args.chunk_rows, args.d))
        mean, std = X.mean(axis=0), X.std(axis=0)
        target = ((X - mean) / std).sum(axis=1)
        # lightgbm-roomy last: closing its own client leaves no default client for the others
        methods = sorted(args.methods, key=lambda m: m == "lightgbm-roomy")
        if args.warm_up:
            _warm_up(methods, X, target, client, args)
        for method in methods:
            try:
                results.append(run_method(method, X, target, client, args))
            except Exception as err:  # one method's failure must not lose the others' results
                reason = str(err).splitlines()[0][:160]
                results.append(Result(method, note=f"failed: {type(err).__name__}: {reason}"))
    limit = "none (threads in one process)" if args.in_process else f"{memory_limit / 2**20:,.0f} MB"
    lines = [
        f"`{command_line('dask', argv)}`",
        "",
        *run_context(load_before, ("numpy", "pandas", "numba", "dask", "distributed", "lightgbm", "dask-ml")),
        "",
        f"{args.n:,} rows x {args.d} Gaussian features ({data_bytes / 2**20:,.0f} MB) as a dask array in chunks of "
        f"{args.chunk_rows:,} rows, K = {args.k}; {args.workers} workers with one thread each, memory limit per "
        f"worker {limit}. "
        + ("One timed fit per method." if args.repeats == 1 else f"Fit times are medians of {args.repeats} fits."),
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
