"""The synthetic regression target that the tree is grown to explain."""

from __future__ import annotations

import numpy as np

TARGET_MODES = ("sum", "features")


def _outputs(scaled: np.ndarray, mode: str) -> np.ndarray:
    """One column (the row sum) for ``"sum"``, else every column; missing terms add 0."""
    if mode == "sum":
        return np.nansum(scaled, axis=1)
    return np.nan_to_num(scaled, nan=0.0)


def _total_variance(outputs: np.ndarray) -> float:
    return float(np.var(outputs.reshape(len(outputs), -1), axis=0).sum())


def synthesize_target(
    weighted_features: np.ndarray,
    scaled_y: np.ndarray | None,
    mode: str,
    y_weight: float,
) -> np.ndarray:
    """Build the target from weighted scaled features and, optionally, scaled ``y``.

    Parameters
    ----------
    weighted_features : ndarray of shape (n_samples, n_numeric)
        ``w_j * z_j``; NaN marks a missing value, which contributes 0 (the column's mean).
    scaled_y : ndarray of shape (n_samples, n_targets) or None
        The z-scored columns of the user's ``y``.
    mode : {"sum", "features"}
        ``"sum"`` gives the seed's scalar target ``sum_j w_j z_j``; ``"features"`` gives one
        output per column.
    y_weight : float in [0, 1]
        The share of the target's total variance that ``y`` carries. The y part is scaled
        by ``c`` so that ``c**2 var(y part) / (var(x part) + c**2 var(y part)) = y_weight``;
        added at weight 1, a single ``y`` would be drowned out by many features.

    Returns
    -------
    ndarray of shape (n_samples,) for ``"sum"``, (n_samples, n_outputs) for ``"features"``
    """
    x_part = _outputs(weighted_features, mode)
    if scaled_y is None or y_weight == 0.0:
        return x_part
    y_part = _outputs(scaled_y, mode)
    x_variance = _total_variance(x_part)
    y_variance = _total_variance(y_part)
    if y_variance == 0.0:
        return x_part
    if y_weight == 1.0 or x_variance == 0.0:
        return y_part
    scale = np.sqrt(y_weight / (1.0 - y_weight) * x_variance / y_variance)
    if mode == "sum":
        return x_part + scale * y_part
    return np.hstack([x_part, scale * y_part])
