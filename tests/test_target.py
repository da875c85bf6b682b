"""The synthetic target: the fast z-score path against scikit-learn's StandardScaler."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from hvrt._target import blend_target, target_part, y_alone


@pytest.mark.parametrize("offset", [0.0, 1e3, 1e5, 1e9])
@pytest.mark.parametrize("order", ["C", "F"])
def test_sum_target_matches_standard_scaler(offset: float, order: str) -> None:
    rng = np.random.default_rng(0)
    X = np.asarray(rng.normal(scale=3.0, size=(5000, 6)) + offset, order=order)
    X[:, 2] = offset  # a constant column gets scale 1 and contributes 0
    weights = np.array([1.0, -2.0, 1.0, 0.5, 0.0, 1.0])
    expected = StandardScaler().fit_transform(X) @ weights
    np.testing.assert_allclose(target_part(X, False, weights, "sum", None)[0], expected, atol=1e-8)
    np.testing.assert_allclose(
        target_part(X, False, weights, "features", None)[0], StandardScaler().fit_transform(X) * weights, atol=1e-8
    )


def test_missing_values_contribute_zero() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 3))
    X[::4, 0] = np.nan
    z = StandardScaler().fit_transform(X)  # ignores NaN in fit, keeps it in transform
    np.testing.assert_allclose(target_part(X, True, np.ones(3), "sum", None)[0], np.nansum(z, axis=1), atol=1e-12)


def test_y_share_of_variance_is_y_weight() -> None:
    rng = np.random.default_rng(2)
    x_part, y_part = rng.normal(scale=4.0, size=20000), rng.normal(size=20000)
    target = blend_target(x_part, y_part, 0.3)
    share = np.var(target - x_part) / (np.var(x_part) + np.var(target - x_part))
    assert share == pytest.approx(0.3)
    assert blend_target(x_part, y_part, 0.0) is x_part
    np.testing.assert_array_equal(blend_target(x_part, y_part, 1.0), y_part)


def test_y_alone_exactly_when_the_blend_keeps_y_whatever_the_features():
    rng = np.random.default_rng(0)
    x_part, y_part = rng.normal(size=50), rng.normal(size=50)
    assert y_alone(y_part, 1.0)
    np.testing.assert_array_equal(blend_target(x_part, y_part, 1.0), y_part)
    np.testing.assert_array_equal(blend_target(np.zeros(50), y_part, 1.0), y_part)
    constant = np.zeros(50)
    assert not y_alone(constant, 1.0)
    np.testing.assert_array_equal(blend_target(x_part, constant, 1.0), x_part)  # the features then
    assert not y_alone(y_part, 0.5) and not y_alone(None, 1.0)


@pytest.mark.parametrize("order", ["C", "F"])
def test_moments_and_sum_target_on_two_threads_equal_one_thread_bit_for_bit(monkeypatch, order: str) -> None:
    # from THREADED_MIN_ROWS rows the passes run on row ranges on threads; the per-row
    # products and the per-block sums are the same whichever thread makes them
    from hvrt import _validation
    from hvrt._target import column_moments

    rng = np.random.default_rng(4)
    n_rows = _validation.THREADED_MIN_ROWS + 12_345
    X = np.asarray(rng.normal(loc=rng.uniform(-50, 50, 7), scale=rng.uniform(0.1, 9, 7), size=(n_rows, 7)), order=order)
    weights = rng.uniform(0.5, 2.0, 7)
    results = []
    for threads in ("1", "2"):
        monkeypatch.setenv("NUMBA_NUM_THREADS", threads)
        assert len(_validation.row_ranges(n_rows)) == int(threads)
        moments = column_moments(X)
        results.append((*moments, target_part(X, False, weights, "sum", None, moments)[0]))
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


def test_compiled_moments_make_the_einsum_blocks_additions_bit_for_bit() -> None:
    # from THREADED_MIN_ROWS rows a row-major block's moments come from a compiled pass
    # (_hist._moments): the same block sums as the two einsum passes it replaced, so the
    # z-scores, the target and the trees stay those of numpy's arithmetic
    from hvrt import _target, _validation

    rng = np.random.default_rng(11)
    n_rows = _validation.THREADED_MIN_ROWS + 54_321
    X = rng.normal(loc=rng.uniform(-1e3, 1e3, 9), scale=rng.lognormal(0, 3, 9), size=(n_rows, 9))
    block_rows = max(256, _target._MOMENT_BLOCK_BYTES // (8 * X.shape[1]))
    blocks = [X[start : start + block_rows] for start in range(0, n_rows, block_rows)]
    sums = np.array([np.einsum("ij->j", block) for block in blocks]).sum(axis=0)
    squares = np.array([np.einsum("ij,ij->j", block, block) for block in blocks]).sum(axis=0)
    moments = _target.column_moments(X)
    np.testing.assert_array_equal(moments[0], sums)
    np.testing.assert_array_equal(moments[1], squares)
    # the pass doubles as the finiteness check: NaN and inf make the sums non-finite
    X[n_rows - 1, 4] = np.nan
    X[block_rows + 3, 2] = np.inf
    bad = _target.column_moments(X)
    assert not np.isfinite(bad[0][[2, 4]]).any() and np.isfinite(np.delete(bad[0], [2, 4])).all()


@pytest.mark.parametrize("n_rows, step", [(300_001, 1), (300_001, 26_214), (131_072, 70_000), (10, 4)])
def test_row_ranges_cover_the_rows_on_step_bounds(monkeypatch, n_rows: int, step: int) -> None:
    from hvrt._validation import row_ranges

    monkeypatch.setenv("NUMBA_NUM_THREADS", "2")
    ranges = row_ranges(n_rows, step=step)
    assert ranges[0][0] == 0 and ranges[-1][1] == n_rows
    assert all(stop == start for (_, stop), (start, _) in zip(ranges, ranges[1:]))
    assert all(start % step == 0 and stop > start for start, stop in ranges)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("missing", [False, True])
def test_features_target_on_two_threads_is_the_whole_array_arithmetic(monkeypatch, order: str, missing: bool) -> None:
    # the features target is filled by row ranges on threads: the values must be those of
    # one subtraction and one product over the whole array, on one thread or two
    from hvrt import _validation
    from hvrt._target import zscore_parameters

    rng = np.random.default_rng(3)
    X = rng.normal(loc=2.0, scale=3.0, size=(_validation.THREADED_MIN_ROWS + 8_765, 4))
    if missing:
        X[rng.random(X.shape) < 0.01] = np.nan
    X = np.asarray(X, order=order)
    weights = np.array([1.0, 0.5, 2.0, 0.0])
    mean, scale, constant = zscore_parameters(X, missing)
    expected = (X - mean) * np.where(constant, 0.0, weights / scale)
    expected = np.nan_to_num(expected, nan=0.0) if missing else expected
    for threads in ("2", "1"):
        monkeypatch.setenv("NUMBA_NUM_THREADS", threads)
        assert len(_validation.row_ranges(len(X))) == int(threads)
        outputs = target_part(X, missing, weights, "features", None)[0]
        assert outputs.flags.c_contiguous
        np.testing.assert_array_equal(outputs, expected)


@pytest.mark.parametrize("n_rows", [5_000, None])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("missing", [False, True])
def test_a_float32_features_target_is_the_float64_one_rounded_once(order: str, missing: bool, n_rows) -> None:
    # the histogram engine's features target (_engines.target_dtype): every path (the
    # compiled pass of large clean inputs, numpy's otherwise, a user scaler's) rounds each
    # float64 output once, so in-memory fits and the Dask chunks see the same values
    from hvrt import _validation

    rng = np.random.default_rng(11)
    n_rows = n_rows or _validation.THREADED_MIN_ROWS + 8_765
    X = rng.normal(loc=2.0, scale=3.0, size=(n_rows, 4))
    if missing:
        X[rng.random(X.shape) < 0.01] = np.nan
    X = np.asarray(X, order=order)
    weights = np.array([1.0, 0.5, 2.0, 0.0])
    for scaler in (None, StandardScaler()):
        wide = target_part(X, missing, weights, "features", scaler)[0]
        narrow, noise = target_part(X, missing, weights, "features", scaler, dtype=np.float32)
        assert narrow.dtype == np.float32 and narrow.flags.c_contiguous
        np.testing.assert_array_equal(narrow, wide.astype(np.float32))
        assert noise == target_part(X, missing, weights, "features", scaler)[1]
    # the sum target (one output) stays float64
    assert target_part(X, missing, weights, "sum", None, dtype=np.float32)[0].dtype == np.float64


def _two_columns(n: int = 400):
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(size=n)})


@pytest.mark.parametrize("engine", ["exact", "hist"])
@pytest.mark.parametrize("y_weight", [0.5, 1.0])
def test_sum_target_with_a_y_whose_columns_cancel(engine: str, y_weight: float) -> None:
    # y and -y summed to rounding noise, and y was dropped; y's columns are oriented before
    # they are summed now (_target.y_column_signs), so they count as the one y they are
    import pandas as pd

    from hvrt import HVRTPartitioner

    X = _two_columns()
    y = 2.0 * X["a"] + np.random.default_rng(1).normal(size=len(X))
    cancelling = pd.DataFrame({"u": y, "v": -y})
    alone = HVRTPartitioner(max_leaf_nodes=8, engine=engine, y_weight=y_weight).fit(X, y)
    with_y = HVRTPartitioner(max_leaf_nodes=8, engine=engine, y_weight=y_weight).fit(X, cancelling)
    assert with_y.n_partitions_ == 8
    np.testing.assert_array_equal(with_y.labels_, alone.labels_)
    # X's columns cancelling in turn (b weighs nothing) leave the target to y alone
    mirrored = X.assign(c=-X["a"] * 3.0, a=X["a"] * 3.0)
    x_cancels = HVRTPartitioner(max_leaf_nodes=8, engine=engine, weights={"b": 0.0}).fit(mirrored, y)
    y_alone = HVRTPartitioner(max_leaf_nodes=8, engine=engine, y_weight=1.0).fit(mirrored, y)
    np.testing.assert_array_equal(x_cancels.labels_, y_alone.labels_)


def test_rounding_variance_bounds_the_rounding_and_nothing_more() -> None:
    from hvrt._target import rounding_variance, target_part, zscore_parameters

    rng = np.random.default_rng(2)
    for offset in (0.0, 1e3, 1e8):
        a = offset + rng.normal(size=5000)
        cancelling = np.c_[a, 2.0 * offset - a, rng.normal(size=5000) * 0.0 + 3.0]  # a, its mirror, a constant
        outputs, noise = target_part(cancelling, False, np.ones(3), "sum", None)
        assert 0.0 < noise and np.var(outputs) <= noise
        assert noise == rounding_variance(*zscore_parameters(cancelling, False), np.ones(3), "sum")
        # a spread of a thousandth of the terms' is a signal, far above the bound
        kept = np.c_[a, 2.0 * offset - a + 1e-3 * rng.normal(size=5000)]
        outputs, noise = target_part(kept, False, np.ones(2), "sum", None)
        assert np.var(outputs) > 1e6 * noise
    # blend_target: a part within its noise counts as constant
    x_part, y_part = rng.normal(size=50), rng.normal(size=50) * 1e-20
    np.testing.assert_array_equal(blend_target(x_part, y_part, 0.5, noise=(0.0, 1e-38)), x_part)
    np.testing.assert_array_equal(blend_target(y_part, x_part, 0.5, noise=(1e-38, 0.0)), x_part)
    assert not y_alone(y_part, 1.0, 1e-38) and y_alone(y_part, 1.0)


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_a_column_with_a_large_offset_and_a_real_spread_shapes_the_partitions(engine: str) -> None:
    # 1e14 + N(0, 10): a spread of 640 times the values' resolution; the constant test
    # grew with the rows (n * eps * |mean|) and took it for constant at 4,000 rows
    import pandas as pd

    from hvrt import HVRTPartitioner, partition_quality

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=4000), "b": 1e14 + rng.normal(size=4000) * 10.0})
    only_b = HVRTPartitioner(max_leaf_nodes=32, engine=engine, weights={"a": 0.0}).fit(X)
    assert partition_quality(X, only_b.labels_).feature_r2["b"] > 0.9


@pytest.mark.parametrize("order", ["C", "F"])
def test_constant_columns_stay_constant_whatever_their_rows(order: str) -> None:
    # a C-ordered column is summed row after row, its mean 1e-12 off at 100,000 rows;
    # the constant test must not read that rounding as a spread
    from hvrt._preprocessing import missing_fill
    from hvrt._target import zscore_parameters

    rng = np.random.default_rng(4)
    for constant in (0.1, 1 / 3, 123456.789, 1e14 + 0.5, 7.7e-3):
        X = np.asarray(np.c_[np.full(100_000, constant), rng.normal(size=100_000), 1e14 + rng.normal(size=100_000) * 10.0], order=order)
        assert zscore_parameters(X, False)[2].tolist() == [True, False, False]
        gaps = X.copy(order=order)
        gaps[::7, 0] = np.nan
        gaps[rng.random(len(X)) < 0.01, 1] = np.nan
        assert zscore_parameters(gaps, True)[2].tolist() == [True, False, False]
        filled = np.where(np.isnan(gaps), missing_fill(gaps), gaps)  # what imputing fills in
        assert filled[0, 0] == constant and zscore_parameters(filled, False)[2].tolist() == [True, False, False]


@pytest.mark.parametrize("n_columns", [*range(1, 20), 24, 31, 40])
def test_compiled_sum_target_makes_einsums_additions_bit_for_bit(n_columns: int) -> None:
    # _hist._moments.centred_row_sums replaces einsum("ij,j->i") and the subtraction of the
    # offset: the same value for every row, sign of zero included, at every width (whole
    # blocks of eight columns, pairs, an odd last column), in every row of a group of four
    # and the rows left over, with NaN and infinities where they fall
    from hvrt._hist._moments import centred_row_sums

    rng = np.random.default_rng(n_columns)
    X = rng.normal(size=(203, n_columns)) * rng.choice([1e-3, 1.0, 1e5], size=n_columns)
    X[rng.random(X.shape) < 0.1] = 0.0
    X[5] = -0.0
    X[9, 0] = np.nan
    X[10, -1] = np.inf
    X[11, 0], X[11, -1] = np.inf, -np.inf
    coefficients = rng.normal(size=n_columns)
    coefficients[::3] = -0.0
    offset = float(rng.normal())
    with np.errstate(invalid="ignore"):
        expected = np.einsum("ij,j->i", X, coefficients) - offset
        for start, stop in ((0, 203), (3, 200), (101, 102)):
            out = np.full(203, 7.0)
            centred_row_sums(X, coefficients, offset, out, start, stop)
            rows = slice(start, stop)
            np.testing.assert_array_equal(out[rows], expected[rows])
            np.testing.assert_array_equal(np.signbit(out[rows]), np.signbit(expected[rows]))
            assert (np.delete(out, np.arange(start, stop)) == 7.0).all()  # nothing else written


@pytest.mark.parametrize("n_columns", [1, 2, 3, 7, 8, 10, 17, 40])
def test_compiled_sum_target_of_columns_makes_einsums_additions_bit_for_bit(n_columns: int) -> None:
    # _hist._moments.centred_column_sums does the same for a column-major X (a DataFrame's
    # numeric block), where einsum adds each row's products in column order: the same value
    # for every row, sign of zero included, over blocks of rows and parts of blocks, with
    # NaN, infinities, overflowing products and values far apart in magnitude
    from hvrt._hist._moments import _COLUMN_BLOCK, centred_column_sums

    rng = np.random.default_rng(100 + n_columns)
    n_rows = 2 * _COLUMN_BLOCK + 179
    X = rng.normal(size=(n_rows, n_columns)) * 10.0 ** rng.integers(-150, 150, size=n_columns)
    X += rng.choice([0.0, 1e3, -1e8], size=n_columns)
    X[rng.random(X.shape) < 0.1] = 0.0
    X[5] = -0.0
    X[9, 0] = np.nan
    X[10, -1] = np.inf
    X[11, 0], X[11, -1] = np.inf, -np.inf
    X[12, -1] = 1e308  # its product overflows
    X = np.asfortranarray(X)
    coefficients = rng.normal(size=n_columns) * 10.0 ** rng.integers(-3, 3, size=n_columns)
    coefficients[::3] = -0.0
    coefficients[-1] = 3.0
    for offset in (0.0, float(rng.normal())):
        with np.errstate(invalid="ignore", over="ignore"):
            expected = np.einsum("ij,j->i", X, coefficients) - offset
            for start, stop in ((0, n_rows), (3, n_rows - 2), (_COLUMN_BLOCK - 1, _COLUMN_BLOCK + 2), (101, 102)):
                out = np.full(n_rows, 7.0)
                centred_column_sums(X, coefficients, offset, out, start, stop)
                rows = slice(start, stop)
                np.testing.assert_array_equal(out[rows], expected[rows])
                np.testing.assert_array_equal(np.signbit(out[rows]), np.signbit(expected[rows]))
                assert (np.delete(out, np.arange(start, stop)) == 7.0).all()  # nothing else written


@pytest.mark.parametrize("threads", ["2", "3"])
def test_column_moments_of_a_large_column_major_array_are_numpys_on_any_threads(monkeypatch, threads: str) -> None:
    # from THREADED_MIN_ROWS rows the columns are shared out in ranges of two or more
    # (numpy's loop for one column alone adds the squares differently): each column's
    # sum and sum of squares keep the bits of numpy's passes over the whole array
    from hvrt import _validation
    from hvrt._target import column_moments

    monkeypatch.setenv("NUMBA_NUM_THREADS", threads)
    rng = np.random.default_rng(31)
    X = rng.normal(size=(_validation.THREADED_MIN_ROWS + 5, 12)) * 10.0 ** rng.integers(-8, 8, size=12)
    X += rng.choice([0.0, 1e4, -1e9], size=12)
    X = np.asfortranarray(X)
    for n_columns in (1, 2, 3, 4, 5, 7, 12):
        values = X[:, :n_columns]
        sums, squares = column_moments(values)
        np.testing.assert_array_equal(sums, values.sum(axis=0))
        np.testing.assert_array_equal(squares, np.einsum("ij,ij->j", values, values))


def test_the_sum_target_of_a_large_array_is_einsums_in_either_order(monkeypatch) -> None:
    # the compiled passes serve C- and F-ordered arrays from THREADED_MIN_ROWS rows; smaller
    # arrays keep einsum: each gives einsum's target for its layout
    from hvrt import _validation
    from hvrt._target import zscore_parameters, zscored_outputs

    rng = np.random.default_rng(23)
    X = rng.normal(loc=rng.uniform(-5, 5, 10), scale=rng.uniform(0.5, 4, 10), size=(_validation.THREADED_MIN_ROWS + 3, 10))
    weights = rng.uniform(0.5, 2.0, 10)
    mean, scale, constant = zscore_parameters(X, False)
    coefficients = np.where(constant, 0.0, weights / scale)
    offset = float(np.dot(mean, coefficients))
    for threads in ("1", "2"):
        monkeypatch.setenv("NUMBA_NUM_THREADS", threads)
        for values in (X, np.asfortranarray(X), X[:5_000]):
            expected = np.einsum("ij,j->i", values, coefficients) - offset
            np.testing.assert_array_equal(zscored_outputs(values, False, weights, "sum", mean, scale, constant), expected)
        expected = np.einsum("ij,j->i", X, coefficients) - offset
        np.testing.assert_array_equal(target_part(X, False, weights, "sum", None)[0], expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows", [0, 40, 64, 300, 64 * 9 + 17, 64 * 21])  # no line, one, odd and even counts, a rest
@pytest.mark.parametrize("threads", [1, 2])
def test_features_target_made_with_its_centring_sums_bit_for_bit(n_rows: int, dtype: type, threads: int) -> None:
    # _hist._moments.scaled_with_moments writes scaled_columns' values and, in the same
    # pass, the sums that multi_output_centred's pass would take over them: the same bits
    # (lines of 64 rows, each half of the lines a block, the rest rows a block of their
    # own), whatever the threads, for a float32 and a float64 target and widths 2-11
    from hvrt._hist._moments import (
        centring_moments,
        scaled_columns,
        scaled_with_moments,
    )

    for n_columns in (2, 7, 10, 11):
        rng = np.random.default_rng(n_rows + n_columns)
        X = rng.normal(loc=3.0, scale=rng.uniform(0.1, 9, n_columns), size=(n_rows, n_columns))
        X[rng.random(X.shape) < 0.05] = 0.0
        mean, coefficients = X.mean(axis=0) if n_rows else np.zeros(n_columns), rng.normal(size=n_columns)
        expected = np.empty((n_rows, n_columns), dtype=dtype)
        scaled_columns(X, mean, coefficients, expected, 0, n_rows)
        out = np.full((n_rows, n_columns), 7.0, dtype=dtype)
        moments = scaled_with_moments(X, mean, coefficients, out, threads)
        np.testing.assert_array_equal(out, expected)
        for made, passed in zip(moments, centring_moments(expected, 2), strict=True):
            assert made.shape == passed.shape
            np.testing.assert_array_equal(made, passed)


def test_the_fit_takes_the_features_targets_sums_once_and_grows_the_same_tree() -> None:
    # zscored_outputs keeps the sums it made with a large row-major features target; the
    # fit takes them for this very array (not a copy, not twice) instead of a pass, and
    # its root total and tree are those of the pass
    from hvrt import _validation
    from hvrt._hist import fit_hist
    from hvrt._hist._fit import multi_output_centred
    from hvrt._hist._moments import take_target_moments
    from hvrt._target import zscored_outputs
    from hvrt._tree_contract import GrowthParams

    rng = np.random.default_rng(8)
    n_rows = _validation.THREADED_MIN_ROWS + 4_321
    X = rng.normal(loc=[0.0, 5.0, -2.0, 1.0], scale=[1.0, 3.0, 0.5, 2.0], size=(n_rows, 4))
    X[:, 3] += X[:, 0]
    mean, scale = X.mean(axis=0), X.std(axis=0)
    weights, constant = np.array([1.0, 2.0, 0.5, 1.0]), np.zeros(4, dtype=bool)

    def made() -> np.ndarray:
        return zscored_outputs(X, False, weights, "features", mean, scale, constant, np.float32)

    target = made()
    assert take_target_moments(target.copy()) is None  # another array: nothing kept for it
    kept = take_target_moments(target)
    assert kept is not None and take_target_moments(target) is None  # taken once
    assert multi_output_centred(target, kept) == multi_output_centred(target) is not None
    params = GrowthParams(max_leaf_nodes=40, min_samples_leaf=5, max_depth=None, min_variance_reduction=0.0, random_state=0)
    with_sums, by_pass = fit_hist(X, made(), params), fit_hist(X, made().copy(), params)
    np.testing.assert_array_equal(with_sums.training_labels, by_pass.training_labels)
    np.testing.assert_array_equal(with_sums.tree.value, by_pass.tree.value)
    np.testing.assert_array_equal(with_sums.tree.threshold, by_pass.tree.threshold)
