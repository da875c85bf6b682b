"""Target encoding from every row, and the cross-fitted model inputs, reduced per chunk and merged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import TargetEncoder

from .._preprocessing import CROSS_FIT_FOLDS, Preprocessor, cross_fitting_encoder, rounding_warned_elsewhere
from .._target import _signed_row_sums, blend_target, guide_orientation
from ._collections import _Chunks, _check_paired, _compute, _delayed
from ._reductions import _column_moments, _frame_of, _merge_moments, _raw_categoricals, _target_values
from ._scaling import _Scaling, _co_moments, _imputed_categories, _merge_co_moments


# --------------------------------------------------------------------------- target encoding from gathered rows


def _fit_target_encoder(preprocessor: Preprocessor, frame: pd.DataFrame, guide: np.ndarray, random_state: Any) -> None:
    """``category_encoding="target"``, fitted on gathered rows (as in memory, on their
    target's :func:`~hvrt._target.encoder_guide`, from :meth:`_Scaling.guided_target`)."""
    preprocessor.encoder = TargetEncoder(target_type="continuous", random_state=random_state).fit(
        _imputed_categories(preprocessor, frame), guide
    )


# --------------------------------------------------------------------------- target encoding from every row
#
# In memory, category_encoding="target" fits sklearn's TargetEncoder on every row, on the
# target's encoder_guide. Its encodings are functions of each category's count, mean and
# squared deviations of the guide and of the guide's overall mean and variance: sums over
# rows, which the chunks reduce and the client merges. The guide's orientation
# (_target.encoder_guide) is decided over all rows the same way: y's columns' signs from
# their merged covariances (y_column_signs), the sign of a y that stands alone from its
# merged third central moment.


def _chunk_target(part: Any, y_part: Any, scaling: _Scaling) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, pd.DataFrame]:
    """A chunk's synthetic target with its x and y parts (as :meth:`_Scaling.guided_target`
    builds them: a part left out of the blend comes back as that very array) and its frame."""
    if y_part is not None:
        _check_paired(y_part, part, "y")
    frame = _frame_of(part, _raw_categoricals(scaling.preprocessor))
    y_values = None if y_part is None else _target_values(y_part)
    x_part, y_target = scaling.parts(frame, y_values)
    target = blend_target(x_part, y_target, scaling.y_weight, scaling.variances, scaling.noise(), scaling.covariance)
    return target, x_part, y_target, frame


def _guide_columns(target: np.ndarray, x_part: np.ndarray, y_part: np.ndarray | None) -> tuple[int, np.ndarray] | None:
    """For a features target with ``y``: the feature columns' count in it and the columns
    (their sum, then y's) whose covariances orient the guide (as ``encoder_guide``)."""
    if y_part is None or target is x_part or target.ndim == 1:
        return None
    n_x = 0 if target is y_part else target.shape[1] - y_part.shape[1]
    x_sum = target[:, :n_x].sum(axis=1) if n_x else np.zeros(len(target))
    return n_x, np.column_stack([x_sum, target[:, n_x:]])


def _guide_orientation_chunk(part: Any, y_part: Any, scaling: _Scaling) -> tuple[int, tuple] | None:
    """A chunk's co-moments of :func:`_guide_columns` (None: no y columns to orient)."""
    columns = _guide_columns(*_chunk_target(part, y_part, scaling)[:3])
    if columns is None:
        return None
    n_x, values = columns
    return n_x, _co_moments(np.ascontiguousarray(values.T))


def _third_moments(values: np.ndarray) -> tuple[int, float, float, float, float]:
    """(rows, mean, squared and cubed deviations, first nonzero value or 0) of a 1-D chunk."""
    if len(values) == 0:
        return 0, 0.0, 0.0, 0.0, 0.0
    mean = float(values.mean())
    deviation = values - mean
    nonzero = np.flatnonzero(values)
    first = float(values[nonzero[0]]) if len(nonzero) else 0.0
    return len(values), mean, float(deviation @ deviation), float(np.einsum("i,i,i->", deviation, deviation, deviation)), first


def _merged_orientation(parts: list[tuple[int, float, float, float, float]]) -> float:
    """``_target._orientation`` over all rows from the chunks' :func:`_third_moments`: the
    sign of the merged third central moment (Chan's pairwise formula), where it is 0 the
    sign of the first nonzero value (+1 if none)."""
    count, mean, m2, m3 = 0, 0.0, 0.0, 0.0
    first = 0.0
    for n_b, mean_b, m2_b, m3_b, first_b in parts:
        if n_b == 0:
            continue
        first = first or first_b
        total = count + n_b
        delta = mean_b - mean
        m3 = m3 + m3_b + delta**3 * count * n_b * (count - n_b) / total**2 + 3.0 * delta * (count * m2_b - n_b * m2) / total
        m2 = m2 + m2_b + delta**2 * count * n_b / total
        mean, count = mean + delta * n_b / total, total
    moment = m3 if m3 != 0.0 else (first if first != 0.0 else 1.0)
    return 1.0 if moment > 0.0 else -1.0


def _guide_stats_chunk(part: Any, y_part: Any, scaling: _Scaling, signs: np.ndarray | None) -> dict[str, Any]:
    """A chunk's guide (``encoder_guide`` with y's columns oriented by ``signs``, before any
    overall flip): its moments, per categorical column each category key's count, mean and
    squared deviations (missing values a key of their own, as sklearn takes them), and the
    third moments of what decides the overall flip (a y that stands alone)."""
    if len(part) == 0:  # (the imputer refuses no rows)
        empty = pd.DataFrame({"key": np.empty(0, dtype=object), "count": [], "mean": [], "m2": []})
        categorical = scaling.preprocessor.categorical_columns
        return {"moments": _column_moments(np.empty((0, 1))), "categories": [empty] * len(categorical), "decider": None}
    target, x_part, y_target, frame = _chunk_target(part, y_part, scaling)
    decider = None
    if y_target is None or target is x_part:
        guide = target if target.ndim == 1 else target.reshape(len(target), -1).sum(axis=1)
    elif target.ndim == 1:
        guide = target
        decider = target if target is y_target else None
    else:
        n_x, _ = _guide_columns(target, x_part, y_target)
        guide = _signed_row_sums(target, np.r_[np.ones(n_x), signs])
        decider = _signed_row_sums(target[:, n_x:], signs)
    guide = np.asarray(guide, dtype=np.float64)
    with rounding_warned_elsewhere():  # warned of once by the scaling pass
        categories = _imputed_categories(scaling.preprocessor, frame)
    stats = []
    for j in range(categories.shape[1]):
        codes, keys = pd.factorize(pd.Series(categories[:, j], dtype=object), use_na_sentinel=False)
        counts = np.bincount(codes, minlength=len(keys)).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.bincount(codes, weights=guide, minlength=len(keys)) / counts
        deviation = guide - means[codes]
        m2 = np.bincount(codes, weights=deviation * deviation, minlength=len(keys))
        stats.append(pd.DataFrame({"key": np.asarray(keys, dtype=object), "count": counts, "mean": means, "m2": m2}))
    return {
        "moments": _column_moments(guide[:, None]),
        "categories": stats,
        "decider": None if decider is None else _third_moments(np.asarray(decider, dtype=np.float64)),
    }


def _merged_category_stats(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' per-key (count, mean, squared deviations) of one column, merged (Chan)."""
    stats = pd.concat(parts, ignore_index=True)
    stats["key"] = stats["key"].map(lambda key: _MISSING_KEY if pd.isna(key) else key)
    stats["sum"] = stats["count"] * stats["mean"]
    grouped = stats.groupby("key", sort=False)
    merged = grouped[["count", "sum", "m2"]].sum()
    merged["mean"] = merged["sum"] / merged["count"]
    spread = stats["count"] * (stats["mean"] - stats["key"].map(merged["mean"])) ** 2
    merged["m2"] += spread.groupby(stats["key"], sort=False).sum()
    return merged


_MISSING_KEY = ("hvrt", "missing")  # a missing category's key while merging (NaN does not equal itself)


def _fit_target_encoder_distributed(
    preprocessor: Preprocessor, chunks: _Chunks, y_chunks: list[Any] | None, scaling: _Scaling, random_state: Any
) -> None:
    """``category_encoding="target"`` fitted on every row, as in memory: the TargetEncoder
    whose encodings are those sklearn computes from every row (``smooth="auto"``,
    ``_fit_encoding_fast_auto_smooth``: each category's mean guide shrunk to the overall
    mean by ``var * count / (var * count + spread / count)``), from the guide's merged
    per-category count, mean and squared deviations; its categories are sklearn's own
    (fitted on one row per category).

    One pass over the chunks, two for a features target with ``y`` (y's columns' signs come
    first), and a third where that target's orientation is a tie (see ``encoder_guide``)."""
    y_parts = y_chunks if y_chunks is not None else [None] * len(chunks.parts)
    signs = None
    n_x = 0
    orientation = 0.0  # unknown: decided by the third moment where y stands alone
    if scaling.mode == "features" and y_chunks is not None:
        orient = _delayed(_guide_orientation_chunk)
        (parts,) = _compute([orient(p, yp, scaling) for p, yp in zip(chunks.parts, y_parts)])
        parts = [p for p in parts if p is not None]
        if parts:
            n_x = parts[0][0]
            _, covariance = _merge_co_moments([p[1] for p in parts])
            signs, orientation = guide_orientation(covariance, n_x > 0)  # as encoder_guide
    stats_of = _delayed(_guide_stats_chunk)

    def reduce(oriented: np.ndarray | None) -> list[dict[str, Any]]:
        (result,) = _compute([stats_of(p, yp, scaling, oriented) for p, yp in zip(chunks.parts, y_parts)])
        return result

    parts = reduce(None if signs is None else (signs if orientation >= 0.0 else -signs))
    flip = 1.0
    deciders = [p["decider"] for p in parts if p["decider"] is not None]
    if deciders and orientation == 0.0 and _merged_orientation(deciders) < 0.0:
        if signs is not None and n_x > 0:  # a tie: the feature part kept, y's negated
            parts = reduce(-signs)
        else:
            flip = -1.0  # the guide is y alone: negated whole, exactly
    _, mean, m2 = _merge_moments([p["moments"] for p in parts])
    n_rows = scaling.n_rows
    target_mean = flip * float(mean[0])
    variance = float(m2[0]) / n_rows
    merged = [_merged_category_stats([p["categories"][j] for p in parts]) for j in range(len(preprocessor.categorical_columns))]
    encoder = _encoder_of_categories(TargetEncoder(target_type="continuous", random_state=random_state), merged)
    encoder.encodings_ = _smoothed_encodings(encoder, merged, target_mean, variance, flip)
    encoder.target_mean_ = np.float64(target_mean)
    preprocessor.encoder = encoder


def _encoder_of_categories(encoder: TargetEncoder, merged: list[pd.DataFrame]) -> TargetEncoder:
    """``encoder`` fitted on one row per category of each column (its categories sklearn's
    own: sorted, a missing one last) of the keys of ``merged`` (one frame per column)."""
    keys = [list(m.index) for m in merged]
    width = max(len(k) for k in keys)
    rows = np.empty((width, len(keys)), dtype=object)
    for j, column_keys in enumerate(keys):
        values = [np.nan if key == _MISSING_KEY else key for key in column_keys]
        rows[:, j] = values + [values[0]] * (width - len(values))
    return encoder.fit(rows, np.zeros(width))


def _smoothed_encodings(
    encoder: TargetEncoder, merged: list[pd.DataFrame], target_mean: float, variance: float, flip: float = 1.0
) -> list[np.ndarray]:
    """sklearn's ``smooth="auto"`` encodings of ``encoder``'s categories from each column's
    merged per-key count, mean and squared deviations (``flip`` times the guide's), about the
    guide's ``target_mean`` and (population) ``variance``; a category without rows here (a
    fold's training rows lack it) gets ``target_mean``, as sklearn gives it."""
    encodings = []
    for j, stats in enumerate(merged):
        order = [_MISSING_KEY if pd.isna(c) else c for c in encoder.categories_[j]]
        count = stats["count"].reindex(order).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            means = flip * stats["mean"].reindex(order).to_numpy()
            shrink = variance * count / (variance * count + stats["m2"].reindex(order).to_numpy() / count)
        encodings.append(np.where(np.isnan(shrink), target_mean, shrink * means + (1 - shrink) * target_mean))
    return encodings


# --------------------------------------------------------------------------- cross-fitted model inputs
#
# In memory, PartitionedRegressor's target-encoded model inputs are cross-fitted
# (_preprocessing.cross_fitting_encoder's fit_transform): each row is encoded from the rows
# of the other folds. Each row's fold is a function of its position among all rows and the
# partitioner's random_state (cross_fitting_folds); the client sends every chunk its slice.
# The chunks reduce the response per (fold, category); a fold's encodings come from the
# other folds' statistics merged, by the same smoothing, and encode that fold's rows.


def _fold_stats_chunk(part: Any, y_part: Any, scaling: _Scaling, folds: np.ndarray) -> dict[str, Any]:
    """A chunk's model-input guide (the response as it is, as in memory ``encoder_guide``
    without orientation) per fold: its count, mean and squared deviations per fold
    (``"folds"``, keyed by the fold) and, per categorical column, per (fold, category key)."""
    columns = ["key", "fold", "count", "mean", "m2"]
    if len(part) == 0:  # (the imputer refuses no rows)
        empty = pd.DataFrame({c: np.empty(0, dtype=object if c == "key" else np.float64) for c in columns})
        return {"folds": empty, "categories": [empty] * len(scaling.preprocessor.categorical_columns)}
    _check_paired(y_part, part, "y")
    frame = _frame_of(part, _raw_categoricals(scaling.preprocessor))
    target = scaling.target(frame, _target_values(y_part))
    guide = np.asarray(target, dtype=np.float64).reshape(len(frame), -1).sum(axis=1)
    if len(folds) != len(frame):
        raise RuntimeError(f"a chunk of {len(frame)} rows was sent {len(folds)} folds")
    folds = np.asarray(folds, dtype=np.int64)

    def grouped(codes: np.ndarray, keys: np.ndarray) -> pd.DataFrame:
        slots = folds * len(keys) + codes
        size = CROSS_FIT_FOLDS * len(keys)
        counts = np.bincount(slots, minlength=size).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.bincount(slots, weights=guide, minlength=size) / counts
        deviation = guide - means[slots]
        m2 = np.bincount(slots, weights=deviation * deviation, minlength=size)
        stats = pd.DataFrame(
            {
                "key": np.tile(np.asarray(keys, dtype=object), CROSS_FIT_FOLDS),
                "fold": np.repeat(np.arange(CROSS_FIT_FOLDS), len(keys)),
                "count": counts,
                "mean": means,
                "m2": m2,
            }
        )
        return stats[stats["count"] > 0]

    with rounding_warned_elsewhere():  # warned of once by the scaling pass
        categories = _imputed_categories(scaling.preprocessor, frame)
    stats = []
    for j in range(categories.shape[1]):
        codes, keys = pd.factorize(pd.Series(categories[:, j], dtype=object), use_na_sentinel=False)
        stats.append(grouped(codes, np.asarray(keys, dtype=object)))
    by_fold = grouped(np.zeros(len(frame), dtype=np.int64), np.array([0], dtype=object))
    return {"folds": by_fold.assign(key=by_fold["fold"]), "categories": stats}


@dataclass
class _CrossFitted:
    """The cross-fitted model inputs' encodings: per categorical column, its categories (the
    encoder's) and a table of each fold's encoding of each, from the other folds' rows, with
    the fold's mean last (sklearn's value for a category those rows lack, or unseen)."""

    categories: list[pd.Index]
    tables: list[np.ndarray]  # per column, (folds, categories + 1)

    def inputs(self, preprocessor: Preprocessor, frame: pd.DataFrame, folds: np.ndarray) -> np.ndarray:
        """``preprocessor.tree_inputs(frame)`` with the target-encoded block (its last
        columns) encoded by each row's fold, as ``fit_transform`` encodes it."""
        inputs = preprocessor.tree_inputs(frame)
        if len(frame) == 0:
            return inputs
        categories = _imputed_categories(preprocessor, frame)
        start = len(preprocessor.numeric_columns)
        for j, (known, table) in enumerate(zip(self.categories, self.tables)):
            codes = known.get_indexer(categories[:, j])  # -1 (not at fit) takes the last slot
            inputs[:, start + j] = table[folds, codes]
        return inputs


def _fit_cross_fitted_inputs(
    preprocessor: Preprocessor, chunks: _Chunks, y_chunks: list[Any], scaling: _Scaling, folds: list[np.ndarray], random_state: Any
) -> _CrossFitted:
    """The model inputs' target encoder from every row (set on ``preprocessor``, as the
    in-memory fit keeps it: it encodes later rows) and the folds' encoders, from one pass
    of :func:`_fold_stats_chunk` over the chunks (``folds``: each chunk's rows' folds)."""
    stats_of = _delayed(_fold_stats_chunk)
    (parts,) = _compute([stats_of(p, yp, scaling, f) for p, yp, f in zip(chunks.parts, y_chunks, folds)])
    by_fold = pd.concat([p["folds"] for p in parts], ignore_index=True)
    columns = range(len(preprocessor.categorical_columns))
    per_column = [pd.concat([p["categories"][j] for p in parts], ignore_index=True) for j in columns]

    def encodings_of(keep: Any, encoder: TargetEncoder) -> tuple[list[np.ndarray], float]:
        """Encodings (and the guide's mean) from the rows of the folds ``keep`` marks."""
        moments = _merged_category_stats([by_fold[keep(by_fold["fold"])].assign(key=0)])
        mean, variance = float(moments["mean"].iloc[0]), float(moments["m2"].iloc[0] / moments["count"].iloc[0])
        merged = [_merged_category_stats([stats[keep(stats["fold"])]]) for stats in per_column]
        return _smoothed_encodings(encoder, merged, mean, variance), mean

    # every row's encoder, as cross_fitting_encoder leaves it after its fit_transform
    template = cross_fitting_encoder(random_state).set_params(cv=CROSS_FIT_FOLDS)
    encoder = _encoder_of_categories(template, [_merged_category_stats([stats]) for stats in per_column])
    encodings, mean = encodings_of(lambda fold: fold >= 0, encoder)
    encoder.encodings_, encoder.target_mean_ = encodings, np.float64(mean)
    preprocessor.encoder = encoder
    tables = [np.empty((CROSS_FIT_FOLDS, len(c) + 1)) for c in encoder.categories_]
    for fold in range(CROSS_FIT_FOLDS):
        encodings, mean = encodings_of(lambda f, fold=fold: f != fold, encoder)
        for table, encoding in zip(tables, encodings):
            table[fold] = np.r_[encoding, mean]
    return _CrossFitted([pd.Index(c, dtype=object) for c in encoder.categories_], tables)
