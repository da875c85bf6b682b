"""The partitioning methods the benchmark compares, behind one small contract.

Each method is a pair of functions:

- ``fit(X, target, n_partitions, seed) -> model``: everything a user pays to get a
  partitioning of ``X``, including the training labels where the method makes them
  (hvrt does; k-means makes them as a by-product, but we still time a separate
  labelling step for every method so the "label s" column means the same thing).
- ``label(model, X) -> labels``: assign every row of ``X`` to a partition, as int64.

The optional peers (LightGBM, faiss) are imported here and only here, inside the
function that needs them, so ``import benchmarks._peers`` needs nothing beyond the core
dependencies; a missing peer raises an error naming the ``bench`` extra.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

BENCH_EXTRA_HINT = 'pip install "hvrt-partitioner[bench]"'


def import_peer(module: str) -> Any:
    """Import an optional benchmark peer, or explain which extra provides it.

    Raises
    ------
    ImportError
        When ``module`` is not installed; the message names the ``bench`` extra.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"The benchmark peer {module!r} is not installed; install the benchmark extra "
            f"with: {BENCH_EXTRA_HINT}"
        ) from error


@dataclass(frozen=True)
class Method:
    """One partitioning method: how to fit it and how to label rows with it."""

    name: str
    fit: Callable[[np.ndarray, np.ndarray, int, int], Any]
    label: Callable[[Any, np.ndarray], np.ndarray]
    description: str


# --------------------------------------------------------------------------- hvrt
def _hvrt_fit(engine: str, target_mode: str = "sum") -> Callable[[np.ndarray, np.ndarray, int, int], Any]:
    def fit(X: np.ndarray, target: np.ndarray, n_partitions: int, seed: int) -> Any:
        from hvrt import HVRTPartitioner

        # hvrt builds its target (by default the same sum of z-scores) itself, so
        # ``target`` is unused: its fit time includes scaling and target synthesis,
        # which the peers get free.
        return HVRTPartitioner(
            max_leaf_nodes=n_partitions, engine=engine, target=target_mode, random_state=seed
        ).fit(X)

    return fit


def _hvrt_label(model: Any, X: np.ndarray) -> np.ndarray:
    return model.get_partitions(X)


# --------------------------------------------------------------------------- LightGBM
def _lightgbm_fit(X: np.ndarray, target: np.ndarray, n_partitions: int, seed: int) -> Any:
    lgb = import_peer("lightgbm")
    params = {
        "objective": "regression",
        "num_leaves": n_partitions,
        "learning_rate": 1.0,
        "min_data_in_leaf": 1,
        "min_sum_hessian_in_leaf": 0.0,
        "max_bin": 255,
        "seed": seed,
        "deterministic": True,
        "verbose": -1,
    }
    # Dataset construction (binning) happens inside ``train`` and is timed with it:
    # it is a large share of LightGBM's cost and a user cannot skip it.
    dataset = lgb.Dataset(X, label=target, params=params, free_raw_data=True)
    return lgb.train(params, dataset, num_boost_round=1)


def _lightgbm_label(model: Any, X: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(X, pred_leaf=True)).reshape(len(X)).astype(np.int64)


# --------------------------------------------------------------------------- faiss
def _faiss_fit(X: np.ndarray, target: np.ndarray, n_partitions: int, seed: int) -> Any:
    faiss = import_peer("faiss")
    # faiss works in float32; the conversion is part of what a float64 user pays.
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    # faiss's default trains on at most 256 points per centroid; we keep that default.
    kmeans = faiss.Kmeans(X32.shape[1], n_partitions, niter=20, seed=seed, verbose=False)
    kmeans.train(X32)
    return kmeans


def _faiss_label(model: Any, X: np.ndarray) -> np.ndarray:
    _, nearest = model.index.search(np.ascontiguousarray(X, dtype=np.float32), 1)
    return nearest.reshape(len(X)).astype(np.int64)


# --------------------------------------------------------------------------- scikit-learn
def _minibatch_fit(X: np.ndarray, target: np.ndarray, n_partitions: int, seed: int) -> Any:
    from sklearn.cluster import MiniBatchKMeans

    return MiniBatchKMeans(n_clusters=n_partitions, n_init=1, random_state=seed).fit(X)


def _bisecting_fit(X: np.ndarray, target: np.ndarray, n_partitions: int, seed: int) -> Any:
    from sklearn.cluster import BisectingKMeans

    return BisectingKMeans(n_clusters=n_partitions, n_init=1, random_state=seed).fit(X)


def _kmeans_fit(X: np.ndarray, target: np.ndarray, n_partitions: int, seed: int) -> Any:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=n_partitions, n_init=1, random_state=seed).fit(X)


def _sklearn_label(model: Any, X: np.ndarray) -> np.ndarray:
    return model.predict(X).astype(np.int64)


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("hist", _hvrt_fit("hist"), _hvrt_label, 'hvrt `engine="hist"`'),
        Method("exact", _hvrt_fit("exact"), _hvrt_label, 'hvrt `engine="exact"`'),
        Method(
            "hist-features", _hvrt_fit("hist", "features"), _hvrt_label, 'hvrt `engine="hist"`, `target="features"`'
        ),
        Method("lightgbm", _lightgbm_fit, _lightgbm_label, "LightGBM single tree"),
        Method("faiss", _faiss_fit, _faiss_label, "faiss k-means"),
        Method("minibatch", _minibatch_fit, _sklearn_label, "MiniBatchKMeans"),
        Method("bisecting", _bisecting_fit, _sklearn_label, "BisectingKMeans"),
        Method("kmeans", _kmeans_fit, _sklearn_label, "KMeans"),
    )
}
