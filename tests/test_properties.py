"""Property tests: HVRTPartitioner (and PartitionedRegressor, last) on generated tables, on both engines.

Every generated table (1-100 rows; numeric columns with NaN, duplicate rows, constant
columns, subnormals, magnitudes up to and beyond the refused limits; categoricals) either
gets a ValueError whose message names the column (checked against an oracle written here
from docs/errors.md, not from the code), or a fit, without a warning, whose labels are
0..K-1 and all used, K <= max_leaf_nodes, equal to get_partitions(X) in any batching,
equal for equal random_state, and with the input untouched. Invariance under positive
rescaling is stated precisely in the comment above its tests. The "ci" profile
(tests/conftest.py) is derandomized with a fixed number of examples, so CI sees the same
tables on every run; HYPOTHESIS_PROFILE=explore searches afresh.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hvrt import HVRTPartitioner, PartitionedRegressor
from hvrt._target import target_part
from hvrt._validation import MAX_MAGNITUDE, MIN_MAGNITUDE

ENGINES = ["exact", "hist"]
GRID_BITS = 11  # numeric values are integers in [-2**11, 2**11] times a power of two
SUBNORMAL = 5e-324
JUST_BEYOND = float(np.nextafter(MAX_MAGNITUDE, np.inf))


def canonical(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered by first appearance: equal exactly when the partitions are equal."""
    return pd.factorize(labels)[0]


# --------------------------------------------------------------------------- strategies


@st.composite
def grid_columns(draw, n_rows: int, n_columns: int, exponents=st.integers(-40, 40)) -> np.ndarray:
    """Float64 columns of integers on a power-of-two grid, with duplicate rows.

    Rows are drawn from a pool of ``n_unique`` distinct rows, so tables with repeated rows
    (and, with a one-integer range, constant columns) are common.
    """
    n_unique = draw(st.integers(1, n_rows))
    spans = [draw(st.sampled_from([0, 1, 3, 2**GRID_BITS])) for _ in range(n_columns)]
    pool = draw(arrays(np.int64, (n_unique, n_columns), elements=st.integers(-(2**GRID_BITS), 2**GRID_BITS)))
    pool = np.clip(pool, -np.asarray(spans), spans)  # a span of 0 is a constant column
    rows = draw(arrays(np.int64, n_rows, elements=st.integers(0, n_unique - 1)))
    exponent = np.asarray([draw(exponents) for _ in range(n_columns)], dtype=np.int64)
    return pool[rows].astype(np.float64) * np.ldexp(1.0, exponent)


@st.composite
def categorical_column(draw, n_rows: int) -> pd.Series:
    codes = draw(arrays(np.int64, n_rows, elements=st.integers(-1, 3)))
    kind = draw(st.sampled_from(["text", "ints", "bool"]))
    if kind == "text":
        return pd.Series(np.asarray(["a", "b", "c", "d"], dtype=object)[codes]).where(codes >= 0, None)
    if kind == "bool":
        return pd.Series(codes % 2 == 0)
    return pd.Series(codes).where(codes >= 0)  # floats with NaN: a drifted int column


@st.composite
def tables(draw, extremes: bool = True) -> pd.DataFrame:
    """A table of 1-100 rows: grid numeric columns (some NaN; with ``extremes``, also
    magnitudes near and beyond the limits, subnormals and single special values) and up
    to two categorical columns."""
    n_rows = draw(st.integers(1, 100))
    n_numeric = draw(st.integers(0, 3))
    n_categorical = draw(st.integers(0 if n_numeric else 1, 2))
    exponents = st.integers(-40, 40)
    if extremes:  # subnormal, below MIN_MAGNITUDE, near and beyond MAX_MAGNITUDE
        exponents = st.one_of(exponents, st.sampled_from([-1074, -540, -490, 480, 486, 488, 1010]))
    numeric = draw(grid_columns(n_rows, n_numeric, exponents))
    if n_numeric and extremes:
        for _ in range(draw(st.integers(0, 3))):
            row, column = draw(st.integers(0, n_rows - 1)), draw(st.integers(0, n_numeric - 1))
            numeric[row, column] = draw(
                st.sampled_from([np.nan, SUBNORMAL, -0.0, MAX_MAGNITUDE, -MAX_MAGNITUDE, JUST_BEYOND])
            )
    if n_numeric and draw(st.booleans()):  # a share of NaN in one column
        column = draw(st.integers(0, n_numeric - 1))
        numeric[draw(arrays(np.bool_, n_rows)), column] = np.nan
    frame = pd.DataFrame(numeric, columns=[f"x{j}" for j in range(n_numeric)])
    for j in range(n_categorical):
        frame[f"c{j}"] = draw(categorical_column(n_rows))
    return frame


def expected_error(frame: pd.DataFrame) -> str | None:
    """The start of the error the partitioner must raise for ``frame``, or None.

    Written from the documented rules (docs/errors.md), in the documented order, not from
    the code."""
    numeric = {c: frame[c].to_numpy() for c in frame if c.startswith("x")}
    present = {c: np.abs(v[~np.isnan(v)]) for c, v in numeric.items()}
    for column, values in present.items():
        if len(values) and values.max() > MAX_MAGNITUDE:
            return rf"X column\(s\) \['{column}'.*\] hold values beyond"
    for column, values in present.items():
        if len(values) and 0.0 < values.max() < MIN_MAGNITUDE:
            return rf"X column\(s\) \['{column}'.*\] hold only values within"
    for column, values in present.items():
        if len(values) == 0:
            return rf"X column\(s\) \['{column}'.*\] have no values"
    if not numeric:
        return "X has no numeric column"
    for column in categorical_names(frame):
        if frame[column].isna().all():
            return rf"X column\(s\) \['{column}'.*\] have no values"
    return None


def grid_step(values: np.ndarray) -> float:
    """A power of two that divides every value of a grid column (1.0 for an all-zero one)."""
    largest = np.nanmax(np.abs(values), initial=0.0)
    return 1.0 if largest == 0.0 else float(np.ldexp(1.0, int(np.frexp(largest)[1]) - GRID_BITS - 1))


def categorical_names(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame if c.startswith("c")]


leaves = st.one_of(st.integers(2, 40), st.none(), st.just("auto"))


# --------------------------------------------------------------------------- properties


@given(
    frame=tables(),
    engine=st.sampled_from(ENGINES),
    max_leaf_nodes=leaves,
    impute=st.booleans(),
    encoding=st.sampled_from(["ohe", "target"]),
    target=st.sampled_from(["sum", "features"]),
    random_state=st.integers(0, 2**31 - 1),
    cuts=st.lists(st.integers(1, 99), max_size=4),
    as_array=st.booleans(),
)
def test_a_table_partitions_cleanly_or_is_refused_by_name(
    frame, engine, max_leaf_nodes, impute, encoding, target, random_state, cuts, as_array
) -> None:
    categorical = categorical_names(frame)
    X = frame.to_numpy() if as_array and not categorical else frame
    before = frame.copy(deep=True)
    params = dict(
        max_leaf_nodes=max_leaf_nodes, engine=engine, impute=impute, category_encoding=encoding,
        target=target, random_state=random_state, categorical_features=categorical or None,
    )  # fmt: skip
    error = expected_error(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy or scikit-learn warning reaches the user
        if error is not None:
            if X is not frame:
                error = error.replace("'x", "'f")  # array columns are named f0, f1, ...
            with pytest.raises(ValueError, match=error):
                HVRTPartitioner(**params).fit(X)
            pd.testing.assert_frame_equal(frame, before)
            return
        partitioner = HVRTPartitioner(**params).fit(X)
        labels = partitioner.labels_
        n_partitions = partitioner.n_partitions_
        # labels 0 .. K-1, every one used, K within the request
        assert labels.dtype == np.int64 and len(labels) == len(frame)
        np.testing.assert_array_equal(np.unique(labels), np.arange(n_partitions))
        assert partitioner.partition_sizes_.sum() == len(frame)
        if partitioner.max_leaf_nodes_ is not None:
            assert n_partitions <= partitioner.max_leaf_nodes_
        # labelling the training rows gives labels_, in one batch or in any slices
        np.testing.assert_array_equal(partitioner.get_partitions(X), labels)
        bounds = [0, *sorted({c for c in cuts if c < len(frame)}), len(frame)]
        sliced = [partitioner.get_partitions(X[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        np.testing.assert_array_equal(np.concatenate(sliced), labels)
        # equal fits for equal random_state, on an equal copy of the input. The copy keeps
        # the memory layout: the same values in C and in Fortran order sum their target
        # in a different order (numpy's einsum), and an exact tie between two splits can
        # then go either way.
        again = HVRTPartitioner(**params).fit(before.copy() if X is frame else X.copy(order="K"))
        np.testing.assert_array_equal(again.labels_, labels)
    # the input is never modified
    pd.testing.assert_frame_equal(frame, before)
    if X is not frame:
        np.testing.assert_array_equal(X, before.to_numpy())


# Exact invariance. Scaling X by a power of two is exact in binary floating point, and
# every step of a fit commutes with it: the means, variances and square roots of the
# z-score scale exactly, so the synthetic target is bit-identical; the tree inputs keep
# their order, the histogram engine's edges (midpoints) scale with them, and the exact
# engine's float32 frame (centre, power-of-two scale) keeps every grid value distinct.
# So the partitions are identical, ties and all. A factor that is not a power of two, or
# a shift, changes the target by rounding (about eps * offset / spread, see the next
# test): where two splits gain exactly the same in exact arithmetic (small symmetric
# tables are full of them), that rounding can pick the other one, so the statement that
# holds there is split in two: the target moves by rounding only, and for a given target
# the trees are invariant to any order-preserving map of X (the last test).
@given(
    data=st.data(),
    engine=st.sampled_from(ENGINES),
    max_leaf_nodes=leaves,
    impute=st.booleans(),
    target=st.sampled_from(["sum", "features"]),
    power=st.integers(-60, 60),
)
def test_scaling_by_a_power_of_two_keeps_the_partitions(data, engine, max_leaf_nodes, impute, target, power) -> None:
    frame = data.draw(tables(extremes=False))
    numeric = [c for c in frame if c.startswith("x")]
    assume(expected_error(frame) is None)
    params = dict(max_leaf_nodes=max_leaf_nodes, engine=engine, impute=impute, target=target,
                  categorical_features=categorical_names(frame) or None)  # fmt: skip
    reference = HVRTPartitioner(**params).fit(frame)
    scaled = frame.assign(**{c: frame[c] * 2.0**power for c in numeric})
    partitioner = HVRTPartitioner(**params).fit(scaled)
    np.testing.assert_array_equal(canonical(partitioner.labels_), canonical(reference.labels_))
    np.testing.assert_array_equal(partitioner.get_partitions(scaled), partitioner.labels_)


@given(
    data=st.data(),
    engine=st.sampled_from(ENGINES),
    max_leaf_nodes=leaves,
    encoding=st.sampled_from(["ohe", "target"]),
    factor=st.floats(1e-3, 1e3),
    shift_units=st.integers(-(2**40), 2**40),
)
def test_a_positive_affine_map_of_x_keeps_the_partitions_for_a_given_target(
    data, engine, max_leaf_nodes, encoding, factor, shift_units
) -> None:
    # With y_weight=1 the target is y alone, so it does not move with X. X on a grid, mapped
    # by a*x + b with b at most 2**40 grid steps: distinct values stay distinct and in order
    # (the grid step is far above float64's rounding of a*x + b, and the exact engine's
    # float32 frame resolves 2**-21 of a column's half-range, which holds at most 2**12 grid
    # steps). NaN is routed natively (impute=False): an imputed mean is computed afterwards,
    # and its rounding can move it onto or off an equal data value.
    frame = data.draw(tables(extremes=False))
    numeric = [c for c in frame if c.startswith("x")]
    assume(expected_error(frame) is None)
    y = data.draw(arrays(np.float64, len(frame), elements=st.integers(-50, 50).map(float)))
    y[0] += np.ptp(y) == 0  # a constant y adds nothing, and the target would fall back to X
    params = dict(max_leaf_nodes=max_leaf_nodes, engine=engine, impute=False, y_weight=1.0,
                  category_encoding=encoding, categorical_features=categorical_names(frame) or None)  # fmt: skip
    reference = HVRTPartitioner(**params).fit(frame, y)
    step = {c: grid_step(frame[c].to_numpy()) for c in numeric}
    mapped = frame.assign(**{c: factor * frame[c] + shift_units * step[c] for c in numeric})
    partitioner = HVRTPartitioner(**params).fit(mapped, y)
    np.testing.assert_array_equal(canonical(partitioner.labels_), canonical(reference.labels_))


@given(
    values=grid_columns(64, 3, exponents=st.integers(-30, 30)),
    shifts=arrays(np.float64, 3, elements=st.integers(-(2**30), 2**30).map(float)),
    factor=st.floats(1e-3, 1e3),
    mode=st.sampled_from(["sum", "features"]),
)
def test_the_target_moves_by_rounding_only_under_an_affine_map(values, shifts, factor, mode) -> None:
    # The z-scored target of a*x + b equals that of x in exact arithmetic; in floating point
    # it moves by rounding that grows with each column's offset relative to its spread.
    values[0] += np.ptp(values, axis=0) == 0  # no constant column: it has no spread to measure in
    scale = np.std(values, axis=0)
    mapped = factor * values + shifts * scale
    reference = target_part(values, False, np.ones(3), mode, None)[0]
    moved = target_part(mapped, False, np.ones(3), mode, None)[0]
    n, eps = len(values), np.finfo(np.float64).eps
    spread = factor * scale
    largest = np.abs(mapped).max(axis=0) / spread  # the largest value, in spreads
    offset = np.abs(mapped.mean(axis=0)) / spread  # the mean, in spreads
    z = np.abs(reference).max()
    # per column: the map's own rounding, the products and the centring (about
    # (log2(n) + 3) eps * largest), and the variance: two-pass, or one-pass while it keeps
    # 1e-4 of its digits (n eps * (1 + offset**2) relative, at most n eps 1e4), times |z|
    per_column = (np.log2(n) + 3) * (1 + largest) + n * np.minimum(1 + offset**2, 1e4) * z
    np.testing.assert_allclose(moved, reference, rtol=0, atol=2 * eps * per_column.sum())


# --------------------------------------------------------------------------- local models


@given(
    frame=tables(),
    data=st.data(),
    engine=st.sampled_from(ENGINES),
    max_leaf_nodes=st.integers(2, 12),
    min_samples_leaf=st.integers(1, 10),
    partition_on=st.sampled_from(["auto", "residual", "y", "X"]),
    shrinkage=st.sampled_from(["auto", 0.0, 10.0, 1e6]),
    clip=st.sampled_from(["y", "xy", None]),
    cuts=st.lists(st.integers(1, 99), max_size=3),
)
def test_a_regressor_fits_cleanly_or_is_refused_by_name(
    frame, data, engine, max_leaf_nodes, min_samples_leaf, partition_on, shrinkage, clip, cuts
) -> None:
    # any table the partitioner takes gives a fit without a warning whose predictions are
    # finite, inside y's training range when clipped, row by row (any batching gives the
    # same values), and equal for an equal fit; the input is never modified
    n = len(frame)
    y = data.draw(arrays(np.float64, n, elements=st.integers(-(2**20), 2**20).map(float)))
    categorical = categorical_names(frame)
    before = frame.copy(deep=True)
    partitioner = HVRTPartitioner(
        max_leaf_nodes=max_leaf_nodes, min_samples_leaf=min_samples_leaf, engine=engine,
        categorical_features=categorical or None,
    )  # fmt: skip
    params = dict(partitioner=partitioner, partition_on=partition_on, shrinkage=shrinkage, clip=clip)
    error = expected_error(frame)
    if error == "X has no numeric column":  # the model inputs (categoricals) are checked first
        empty = [c for c in categorical if frame[c].isna().all()]
        if empty:
            error = rf"X column\(s\) \['{empty[0]}'.*\] have no values"
        elif partition_on != "X":
            error = None  # the tree grows on y (or its residual)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if error is not None:
            with pytest.raises(ValueError, match=error):
                PartitionedRegressor(**params).fit(frame, y)
            pd.testing.assert_frame_equal(frame, before)
            return
        model = PartitionedRegressor(**params).fit(frame, y)
        predicted = model.predict(frame)
        assert predicted.shape == (n,) and np.isfinite(predicted).all()
        if clip is not None:
            assert y.min() <= predicted.min() and predicted.max() <= y.max()
        bounds = [0, *sorted({c for c in cuts if c < n}), n]
        sliced = [model.predict(frame[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        np.testing.assert_array_equal(np.concatenate(sliced), predicted)
        again = PartitionedRegressor(**params).fit(before.copy(), y.copy())
        np.testing.assert_array_equal(again.predict(frame), predicted)
    pd.testing.assert_frame_equal(frame, before)
