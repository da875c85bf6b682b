"""The y blend of the sum target: y is oriented, never cancels the features or itself; and
the target encoding's guide, oriented the same way."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pandas as pd
import pytest

from hvrt import HVRTPartitioner
from hvrt._target import blend_target, encoder_guide, y_column_signs, y_target_part


def _md5(labels) -> str:
    return hashlib.md5(np.ascontiguousarray(np.asarray(labels, dtype=np.int64)).tobytes()).hexdigest()


def _costs(n: int = 2000, noise: float = 0.0) -> tuple[pd.DataFrame, pd.Series]:
    """The red team's repro: profit falls exactly as the (z-scored) cost and hours rise."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"cost": rng.normal(100, 15, n), "hours": rng.normal(40, 5, n)})
    z = (X - X.mean()) / X.std(ddof=0)
    return X, pd.Series(-(z["cost"] + z["hours"]) + noise * rng.normal(size=n), name="profit")


def _three_outputs(n: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three numeric columns and a y of three columns, two moving against the features and
    against each other, one unrelated."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.exponential(size=n), "c": rng.uniform(size=n)})
    t = X["a"] + X["b"]
    Y = pd.DataFrame(
        {"profit": -t + 0.3 * rng.normal(size=n), "cost": t + 0.5 * rng.normal(size=n), "other": rng.normal(size=n)}
    )
    return X, Y


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_a_y_against_the_features_does_not_cancel_the_target(engine: str) -> None:
    # y = -(sum of the features' z-scores): at the default y_weight=0.5 the y part was scaled
    # to the feature part's variance and added, the target collapsed to rounding noise, and
    # a fit asking for 50 partitions returned 1, without a warning
    X, y = _costs()
    model = HVRTPartitioner(max_leaf_nodes=50, engine=engine, random_state=0).fit(X, y)
    assert model.n_partitions_ == 50
    np.testing.assert_array_equal(
        model.labels_, HVRTPartitioner(max_leaf_nodes=50, engine=engine, random_state=0).fit(X, -y).labels_
    )


def test_the_blend_adds_y_to_the_features_whatever_its_sign() -> None:
    rng = np.random.default_rng(1)
    x_part = rng.normal(scale=2.0, size=5000)
    for y_part in (-x_part + 0.5 * rng.normal(size=5000), x_part * 0.1 + rng.normal(size=5000)):
        for y_weight in (0.2, 0.5, 0.8):
            target = blend_target(x_part, y_part, y_weight)
            c2 = y_weight / (1.0 - y_weight) * np.var(x_part) / np.var(y_part)
            assert np.var(target) >= np.var(x_part) + c2 * np.var(y_part)
            np.testing.assert_array_equal(blend_target(x_part, -y_part, y_weight), target)
    # the features target keeps y's outputs apart (nothing to cancel), signs as given
    columns = np.c_[x_part, -x_part]
    blended = blend_target(columns, columns[:, :1] * -1.0, 0.5)
    np.testing.assert_array_equal(blended[:, :2], columns)
    assert np.corrcoef(blended[:, 2], x_part)[0, 1] < -0.999


def test_y_columns_are_oriented_against_the_running_sum() -> None:
    rng = np.random.default_rng(2)
    t = rng.normal(size=1000)
    y = np.c_[t + 0.1 * rng.normal(size=1000), -t, rng.normal(size=1000), 2.0 * t]
    z = (y - y.mean(axis=0)) / y.std(axis=0)
    signs = y_column_signs(z.T @ z)
    np.testing.assert_array_equal(signs[[0, 1, 3]], [1.0, -1.0, 1.0])
    part, _ = y_target_part(y, False, "sum")
    # no column cancels another: the sum has at least the variance of its columns together
    assert np.var(part) >= 4.0 - 1e-9
    np.testing.assert_allclose(part, z @ signs, atol=1e-9)
    # negating any columns gives the same sum or its negation, exactly
    for flipped in ([0], [1], [2], [1, 3], [0, 2, 3]):
        negated = y.copy()
        negated[:, flipped] *= -1.0
        again, _ = y_target_part(negated, False, "sum")
        assert np.array_equal(again, part) or np.array_equal(again, -part)
    # one column, or the features target: as before, unoriented
    first = np.ascontiguousarray(y[:, :1])
    np.testing.assert_array_equal(y_target_part(-first, False, "sum")[0], -y_target_part(first, False, "sum")[0])
    np.testing.assert_array_equal(y_target_part(-y, False, "features")[0], -y_target_part(y, False, "features")[0])


@pytest.mark.parametrize("engine", ["exact", "hist"])
@pytest.mark.parametrize("y_weight", [0.5, 1.0])
def test_a_y_whose_columns_move_against_each_other_counts_once(engine: str, y_weight: float) -> None:
    # y and -y summed to rounding noise, so a y of revenue and cost was dropped (or left only
    # what its columns did not share); oriented, they are the one y they describe: the sum
    # of two equal z-scores is exactly twice one, which the blend scales back
    X, Y = _three_outputs()
    params = {"max_leaf_nodes": 12, "engine": engine, "random_state": 0, "y_weight": y_weight}
    alone = HVRTPartitioner(**params).fit(X, Y["profit"]).labels_
    mirrored = pd.DataFrame({"u": Y["profit"], "v": -Y["profit"]})
    np.testing.assert_array_equal(HVRTPartitioner(**params).fit(X, mirrored).labels_, alone)


@pytest.mark.parametrize("engine", ["exact", "hist"])
@pytest.mark.parametrize("target", ["sum", "features"])
@pytest.mark.parametrize("y_weight", [0.3, 1.0])
def test_negating_any_of_ys_columns_keeps_the_partitions(engine: str, target: str, y_weight: float) -> None:
    X, Y = _three_outputs()
    params = {"max_leaf_nodes": 12, "engine": engine, "target": target, "y_weight": y_weight, "random_state": 0}
    expected = _md5(HVRTPartitioner(**params).fit(X, Y).labels_)
    for size in (1, 2, 3):
        for flipped in itertools.combinations(Y.columns, size):
            negated = Y.assign(**{column: -Y[column] for column in flipped})
            assert _md5(HVRTPartitioner(**params).fit(X, negated).labels_) == expected, flipped


@pytest.mark.parametrize("route", ["sample", "hist"])
def test_dask_orients_y_over_all_rows_as_in_memory(route: str) -> None:
    # the signs come from the same all-rows pass as the blend's variances and are applied
    # to every chunk; each chunk orienting its own y would split where the chunks begin
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    from hvrt.dask import DaskHVRTPartitioner

    X, Y = _three_outputs()
    params = {"max_leaf_nodes": 12, "random_state": 0, "y_weight": 0.5}
    engine = "hist" if route == "hist" else "exact"  # the sample route grows on every row here
    expected = HVRTPartitioner(engine=engine, **params).fit(X, Y).labels_
    with dask.config.set(scheduler="synchronous"):
        for flipped in ((), ("profit",), ("cost", "other")):
            negated = Y.assign(**{column: -Y[column] for column in flipped})
            model = DaskHVRTPartitioner(engine=engine, **params).fit(
                dd.from_pandas(X, npartitions=3), dd.from_pandas(negated, npartitions=3), route=route
            )
            np.testing.assert_array_equal(model.labels_.compute().to_numpy(), expected, err_msg=str(flipped))


def test_dask_co_moments_merge_to_the_covariance_of_all_rows() -> None:
    pytest.importorskip("dask")
    from hvrt.dask._scaling import _co_moments, _merge_co_moments

    rng = np.random.default_rng(4)
    values = rng.normal(size=(1000, 3)) @ rng.normal(size=(3, 3)) + [1e3, 0.0, -5.0]
    bounds = [0, 0, 17, 400, 1000]  # an empty chunk too
    parts = [_co_moments(np.ascontiguousarray(values[a:b].T)) for a, b in itertools.pairwise(bounds)]
    rows, covariance = _merge_co_moments(parts)
    assert rows == 1000
    np.testing.assert_allclose(covariance, np.cov(values.T, bias=True), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- target encoding


def _with_categories(n: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two numeric columns and a 12-category column whose effect y shares, and a y of three
    columns (two against each other, one through the category's effect squared): no two
    categories' encodings tie."""
    rng = np.random.default_rng(5)
    code = rng.integers(0, 12, n)
    effect = rng.normal(size=12)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.exponential(size=n), "g": [f"c{k:02d}" for k in code]})
    t = X["a"] + effect[code]
    Y = pd.DataFrame(
        {
            "p": -t + 0.3 * rng.normal(size=n),
            "q": t + 0.5 * rng.normal(size=n),
            "r": rng.normal(size=n) + effect[code] ** 2,
        }
    )
    return X, Y


_SIGN_PATTERNS = [flipped for size in (1, 2, 3) for flipped in itertools.combinations("pqr", size)]


@pytest.mark.parametrize(
    ("engine", "encoding"), [("exact", "target"), ("hist", "target"), ("hist", "native"), ("exact", "ohe")]
)
@pytest.mark.parametrize("target", ["sum", "features"])
@pytest.mark.parametrize("y_weight", [0.5, 1.0])
def test_negating_ys_columns_keeps_categorical_partitions(engine: str, encoding: str, target: str, y_weight: float) -> None:
    # target encoding learnt from the target's row sum: the features target's y columns
    # (and at y_weight=1 any y alone) entered with the signs they came with, so a negated
    # y column changed the categories' encodings, and the partitions (3-7 md5 of 8 here);
    # native splits and one-hot never depended on them
    X, Y = _with_categories()
    params = {"max_leaf_nodes": 12, "engine": engine, "target": target, "y_weight": y_weight}
    params |= {"category_encoding": encoding, "random_state": 0}
    expected = _md5(HVRTPartitioner(**params).fit(X, Y).labels_)
    for flipped in _SIGN_PATTERNS:
        negated = Y.assign(**{column: -Y[column] for column in flipped})
        assert _md5(HVRTPartitioner(**params).fit(X, negated).labels_) == expected, flipped


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_a_target_encoded_y_alone_keeps_the_partitions_when_negated(engine: str) -> None:
    # y alone: at y_weight=1, or where X has no numeric column (nothing to orient y against);
    # its encodings were negated with it, and the tree's children swapped
    X, Y = _with_categories()
    params = {"max_leaf_nodes": 10, "engine": engine, "category_encoding": "target", "random_state": 0}
    for frame, y_weight in ((X, 1.0), (X[["g"]].assign(h=X["a"].gt(0).map({True: "u", False: "v"})), 0.5)):
        negated = HVRTPartitioner(y_weight=y_weight, **params).fit(frame, -Y["q"])
        again = HVRTPartitioner(y_weight=y_weight, **params).fit(frame, Y["q"])
        np.testing.assert_array_equal(negated.labels_, again.labels_)


def test_the_encoder_guide_is_the_same_whatever_ys_signs() -> None:
    rng = np.random.default_rng(6)
    x_part = rng.normal(size=(500, 3)) * [1.0, 2.0, 0.5]
    y = np.c_[-x_part.sum(axis=1) + rng.normal(size=500), x_part[:, 0] + rng.normal(size=500), rng.normal(size=500)]
    # without y: the target's row sum, as before
    np.testing.assert_array_equal(encoder_guide(x_part, x_part, None), x_part.sum(axis=1))
    for mode, y_weight in itertools.product(("sum", "features"), (0.5, 1.0)):
        x = x_part.sum(axis=1) if mode == "sum" else x_part
        guides = []
        for flipped in ([], [0], [1, 2], [0, 1, 2]):
            negated = y.copy()
            negated[:, flipped] *= -1.0
            y_part = y_target_part(negated, False, mode)[0]
            target = y_part if y_weight == 1.0 else blend_target(x, y_part, y_weight)
            guides.append(encoder_guide(target, None if y_weight == 1.0 else x, y_part))
        for guide in guides[1:]:
            np.testing.assert_array_equal(guide, guides[0], err_msg=f"{mode} {y_weight}")
        if y_weight == 1.0:  # y alone: its long tail kept positive
            assert np.mean((guides[0] - guides[0].mean()) ** 3) > 0.0
        else:  # the oriented y adds to the feature part's sum, never cancels it
            assert np.corrcoef(guides[0], x_part.sum(axis=1))[0, 1] > 0.5


@pytest.mark.parametrize("route", ["sample", "hist"])
def test_dask_target_encodes_with_the_same_guide(route: str) -> None:
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    from hvrt.dask import DaskHVRTPartitioner

    X, Y = _with_categories()
    engine = "hist" if route == "hist" else "exact"
    for target, y_weight in (("features", 0.5), ("sum", 1.0)):
        params = {"max_leaf_nodes": 12, "engine": engine, "target": target, "y_weight": y_weight}
        params |= {"category_encoding": "target", "random_state": 0}
        expected = HVRTPartitioner(**params).fit(X, Y).labels_
        with dask.config.set(scheduler="synchronous"):
            for flipped in ((), ("p",), ("q", "r")):
                negated = Y.assign(**{column: -Y[column] for column in flipped})
                model = DaskHVRTPartitioner(**params).fit(
                    dd.from_pandas(X, npartitions=3), dd.from_pandas(negated, npartitions=3), route=route
                )
                np.testing.assert_array_equal(
                    model.labels_.compute().to_numpy(), expected, err_msg=f"{target} {y_weight} {flipped}"
                )
