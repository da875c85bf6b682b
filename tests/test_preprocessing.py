"""The fitted preprocessing: the fast categorical encoding equals its scikit-learn encoder's."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hvrt import HVRTPartitioner
from hvrt._preprocessing import (
    _category_strings,
    _first_values,
    _key_counts,
    _positions_in,
    category_count,
    fit_preprocessing,
)


def _reference(preprocessor, frame: pd.DataFrame) -> np.ndarray:
    """What the fitted encoder's own ``transform`` gives, row by row."""
    keys = _category_strings(frame, preprocessor.categorical_columns)
    if preprocessor.category_imputer is not None:
        keys = preprocessor.category_imputer.transform(keys)
    return np.asarray(preprocessor.encoder.transform(keys), dtype=np.float64)


def _table(rng: np.random.Generator, n_rows: int, letters: str) -> pd.DataFrame:
    color = rng.choice(list(letters), n_rows).astype(object)
    color[rng.random(n_rows) < 0.1] = None
    size = rng.choice([1, 2, 3], n_rows).astype(float)
    size[rng.random(n_rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "x": rng.normal(size=n_rows),
            "color": pd.Series(color, dtype="category"),
            "shade": color,  # the same values as plain objects
            "size": size,
        }
    )


@pytest.mark.parametrize("encoding", ["ohe", "target", "native"])
@pytest.mark.parametrize("impute", [True, False])
def test_fast_encoding_equals_the_encoders_transform(encoding: str, impute: bool) -> None:
    rng = np.random.default_rng(0)
    train = _table(rng, 400, "abcd")
    preprocessor, inputs, _ = fit_preprocessing(
        train,
        None,
        categorical_columns=["color", "shade", "size"],
        weights=None,
        scaler=None,
        impute=impute,
        category_encoding=encoding,
        target_mode="sum",
        y_weight=0.0,
        random_state=0,
    )
    np.testing.assert_array_equal(inputs[:, 1:], _reference(preprocessor, train))
    # New rows: unseen categories ("e", 4.0), missing values, other dtypes for the same keys.
    fresh = _table(np.random.default_rng(1), 300, "abcde")
    fresh["size"] = fresh["size"].replace(3.0, 4.0)
    assert (fresh["shade"] == "e").any() and fresh["shade"].isna().any() and (fresh["size"] == 4.0).any()
    np.testing.assert_array_equal(preprocessor.tree_inputs(fresh)[:, 1:], _reference(preprocessor, fresh))


@pytest.mark.parametrize("impute", [True, False])
def test_native_codes_are_cast_only_where_a_column_s_codes_are_its_own(impute: bool) -> None:
    # a pandas categorical whose categories all occur, in key order, has codes equal to
    # the native codes, which are then cast instead of gathered (missing rows take the
    # last key's code); any other layout of categories must still go through the table
    rng = np.random.default_rng(5)
    n = 600
    letters = rng.choice(list("abcd"), n).astype(object)
    letters[rng.random(n) < 0.1] = None
    frames = {
        "own codes": pd.Categorical(letters),
        "own codes, no missing": pd.Categorical(np.where(pd.isna(letters), "a", letters)),
        "an unused category last": pd.Categorical(letters, categories=list("abcdz")),
        "an unused category first": pd.Categorical(letters, categories=list("Aabcd")),
        "categories out of key order": pd.Categorical(letters, categories=list("dbca")),
    }
    for name, column in frames.items():
        train = pd.DataFrame({"x": rng.normal(size=n), "c": column})
        preprocessor, inputs, _ = fit_preprocessing(
            train, None, categorical_columns=["c"], weights=None, scaler=None, impute=impute,
            category_encoding="native", target_mode="sum", y_weight=0.0, random_state=0,
        )  # fmt: skip
        np.testing.assert_array_equal(inputs[:, 1:], _reference(preprocessor, train), err_msg=name)
        # labelling: the fitted codes, whichever categories the new rows' dtype lists
        for fresh in (train.iloc[::-1], train.iloc[:50], train.assign(c=train["c"].astype(str).replace("nan", None))):
            np.testing.assert_array_equal(
                preprocessor.tree_inputs(fresh)[:, 1:], _reference(preprocessor, fresh), err_msg=name
            )


@pytest.mark.parametrize("impute", [True, False])
def test_one_hot_from_key_counts_equals_the_encoders_fitted_on_every_row(impute):
    # One-hot preprocessing fits its imputer and encoder from each column's distinct keys and
    # counts; they must equal scikit-learn's fitted on the full object array of keys.
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(5)
    n = 600
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            # a tie for the most frequent ("b" and "c", 200 each): the smaller key wins
            "tied": pd.Categorical(rng.permutation(np.repeat(["c", "a", "b", None], [200, 160, 200, 40]))),
            "numbers": rng.choice([1.0, 2.0, 10.0, np.nan], n, p=[0.2, 0.5, 0.2, 0.1]),
            "text": rng.choice(["z", "y"], n).astype(object),
        }
    )
    categorical = ["tied", "numbers", "text"]
    preprocessor, inputs, _ = fit_preprocessing(
        frame, None, categorical_columns=categorical, weights=None, scaler=None, impute=impute,
        category_encoding="ohe", target_mode="sum", y_weight=0.0, random_state=None,
    )  # fmt: skip
    keys = _category_strings(frame, categorical)
    if impute:
        imputer = SimpleImputer(strategy="most_frequent").fit(keys)
        np.testing.assert_array_equal(preprocessor.category_imputer.statistics_, imputer.statistics_)
        keys = imputer.transform(keys)
    else:
        assert preprocessor.category_imputer is None
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(keys)
    for fitted, expected in zip(preprocessor.encoder.categories_, encoder.categories_):
        assert pd.Index(fitted).equals(pd.Index(expected))  # NaN, unimputed, last in both
    np.testing.assert_array_equal(inputs[:, 1:], encoder.transform(keys))
    assert preprocessor.columns_with_missing == ["tied", "numbers"]


@pytest.mark.parametrize("encoding", ["native", "ohe"])
def test_a_text_categorical_encodes_as_its_text_does(encoding):
    # pandas categoricals of text are read through their own codes (no factorising pass):
    # unused categories, missing values and the order of the categories change nothing
    rng = np.random.default_rng(7)
    n = 3000
    text = rng.choice(["b", "a", "c", "d"], n).astype(object)
    text[::11] = None
    y = pd.Series(text).map({"a": 0.0, "b": 3.0, "c": -2.0, "d": 1.0}).fillna(5.0).to_numpy() + rng.normal(0, 0.1, n)
    x = rng.normal(size=n)
    as_text = pd.DataFrame({"x": x, "t": text})
    as_category = pd.DataFrame({"x": x, "t": pd.Categorical(text, categories=["zz", "d", "c", "b", "a"])})
    for impute in (True, False):
        fitted = [
            HVRTPartitioner(max_leaf_nodes=12, engine="hist", category_encoding=encoding, impute=impute).fit(frame, y)
            for frame in (as_text, as_category)
        ]
        np.testing.assert_array_equal(fitted[0].labels_, fitted[1].labels_)
        np.testing.assert_array_equal(fitted[1].get_partitions(as_text), fitted[0].labels_)
        # the rules list the categories in the categorical's own order, and select the same rows
        for k, rule in fitted[1].partition_rules()["rule"].items():
            assert as_category.query(rule, engine="python").index.equals(as_text.index[fitted[0].labels_ == k])


def test_first_values_from_the_key_counts_equal_those_from_the_rows():
    # a text categorical's first values come from the categories its rows hold (no pass
    # over the rows): unused categories left out, the categorical's own order kept
    rng = np.random.default_rng(11)
    values = rng.choice(["SI2", "IF", "VS1", None], 500).astype(object)
    for categories in (["IF", "VS1", "zz", "SI2", "I1"], ["SI2", "VS1", "IF"]):
        column = pd.Series(pd.Categorical(values, categories=categories, ordered=True))
        present = _key_counts(column, "clarity")[3]
        fast = _first_values(column, present)
        assert list(fast.items()) == list(_first_values(column).items())
        assert list(fast) == [c for c in categories if c in {"SI2", "IF", "VS1"}]


@pytest.mark.parametrize("impute", [True, False])
@pytest.mark.parametrize("nullable", [True, False])
def test_native_tree_inputs_hold_the_numeric_block_then_the_codes(impute, nullable):
    # the native path writes the numeric columns straight into the tree inputs (plain numpy
    # dtypes) or copies the block (anything else, or after imputation): the same values
    # as the one-hot path's numeric block either way, then the codes
    rng = np.random.default_rng(9)
    n = 500
    frame = pd.DataFrame(
        {
            "i": rng.integers(-5, 5, n),
            "f32": rng.normal(size=n).astype(np.float32),
            "c": pd.Categorical(rng.choice(["u", "v", "w"], n)),
            "b": rng.random(n) < 0.3,
            "f": np.where(rng.random(n) < 0.05, np.nan, rng.normal(size=n)),
        }
    )
    if nullable:
        frame["i"] = frame["i"].astype("Int64")
    fitted = {
        encoding: fit_preprocessing(
            frame, None, categorical_columns=["c"], weights=None, scaler=None, impute=impute,
            category_encoding=encoding, target_mode="sum", y_weight=0.0, random_state=0,
        )  # fmt: skip
        for encoding in ("native", "ohe")
    }
    native, one_hot = fitted["native"][1], fitted["ohe"][1]
    np.testing.assert_array_equal(native[:, :4], one_hot[:, :4])
    np.testing.assert_array_equal(native[:, 4], frame["c"].cat.codes.to_numpy())
    np.testing.assert_array_equal(fitted["native"][2], fitted["ohe"][2])  # the same target


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int64])
@pytest.mark.parametrize("with_missing", [True, False])
def test_code_counts_count_every_code_and_the_missing_rows_first(dtype, with_missing):
    # pandas categorical codes (int8 / int16, -1 missing) are counted through their
    # unsigned view (int8 ones in pairs of bytes from _PAIR_COUNT_MIN_ROWS rows: an odd
    # count leaves a last byte alone); the slots must equal a plain bincount of the codes
    # shifted by one
    from hvrt._preprocessing import _PAIR_COUNT_MIN_ROWS, _code_counts

    rng = np.random.default_rng(3)
    for n_rows in (2000, _PAIR_COUNT_MIN_ROWS, _PAIR_COUNT_MIN_ROWS + 1):
        for n_keys in (2, 5, 120):
            codes = rng.integers(-1 if with_missing else 0, n_keys - 1, n_rows).astype(dtype)
            codes[:2] = [n_keys - 2, -1 if with_missing else 0]  # the largest code present
            codes[-1] = -1 if with_missing else n_keys - 2  # the last row (alone when odd)
            expected = np.bincount(codes.astype(np.intp) + 1, minlength=n_keys)
            np.testing.assert_array_equal(_code_counts(codes, n_keys), expected)


def test_positions_in_categories_match_nan_and_miss_unknown_keys():
    categories = np.array(["b", "a", np.nan], dtype=object)
    keys = np.array(["a", "c", np.nan, "b", "1"], dtype=object)
    np.testing.assert_array_equal(_positions_in(categories, keys), [1, -1, 2, 0, -1])
    np.testing.assert_array_equal(_positions_in(np.array(["1", "2"], dtype=object), np.array([np.nan], dtype=object)), [-1])


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_an_object_column_of_decimals_is_numeric(engine: str) -> None:
    # SQL NUMERIC columns read into decimal.Decimal objects: numbers, not categories
    import decimal

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.uniform(size=400)})
    as_float = X.assign(d=np.round(X["a"] * 7.0, 3))
    as_decimal = X.assign(d=[decimal.Decimal(f"{v:.3f}") if i % 50 else None for i, v in enumerate(as_float["d"])])
    as_float.loc[::50, "d"] = np.nan
    expected = HVRTPartitioner(max_leaf_nodes=8, engine=engine).fit(as_float)
    fitted = HVRTPartitioner(max_leaf_nodes=8, engine=engine).fit(as_decimal)
    assert fitted._preprocessor.numeric_columns == ["a", "b", "d"]
    np.testing.assert_array_equal(fitted.labels_, expected.labels_)
    np.testing.assert_array_equal(fitted.get_partitions(as_decimal), expected.labels_)
    np.testing.assert_array_equal(fitted.get_partitions(as_float), expected.labels_)


def test_an_object_column_of_ints_floats_and_decimals_is_numeric() -> None:
    # A SQL NUMERIC column can come back as ints for whole values and Decimals for the rest
    # (rows built from JSON too). Decimals were numbers only when every value was one: with
    # ints among them the column was one-hot encoded, value by value. Bools are no numbers.
    import decimal

    rng = np.random.default_rng(4)
    n = 400
    values = rng.normal(50, 20, n).round(2)
    mixed = [int(v) if i % 3 == 0 else (float(v) if i % 3 == 1 else decimal.Decimal(f"{v:.2f}")) for i, v in enumerate(values)]
    mixed = [v if i % 40 else None for i, v in enumerate(mixed)]  # some missing
    X = pd.DataFrame({"o": pd.Series(mixed, dtype=object), "b": rng.normal(size=n)})
    as_float = X.assign(o=[np.nan if v is None else float(v) for v in mixed])
    fitted = HVRTPartitioner(max_leaf_nodes=8).fit(X)
    expected = HVRTPartitioner(max_leaf_nodes=8).fit(as_float)
    assert fitted._preprocessor.numeric_columns == ["o", "b"]
    np.testing.assert_array_equal(fitted.labels_, expected.labels_)
    np.testing.assert_array_equal(fitted.get_partitions(X.iloc[::-1]), expected.labels_[::-1])
    with_bool = X.assign(o=pd.Series([True, 2, *(decimal.Decimal(f"{k}.5") for k in range(n - 2))], dtype=object))
    with pytest.warns(UserWarning, match=r"column 'o' holds numbers but for 1 of its 400 values, which are not numbers \(True\)"):
        fitted_with_bool = HVRTPartitioner(max_leaf_nodes=8, category_encoding="ohe").fit(with_bool)
    assert fitted_with_bool._preprocessor.categorical_columns == ["o"]


@pytest.mark.parametrize("encoding", ["ohe", "native", "target"])
@pytest.mark.parametrize("cell", [["x"], {"x": 1}], ids=["list", "dict"])
def test_unhashable_cells_are_refused_naming_the_column(encoding: str, cell: object) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.uniform(size=60)})
    engine = "hist" if encoding == "native" else "exact"
    expected = r"^categorical column 'tags' holds values that cannot be categories \(unhashable type"
    with pytest.raises(TypeError, match=expected):
        HVRTPartitioner(max_leaf_nodes=4, engine=engine, category_encoding=encoding).fit(X.assign(tags=[cell] * 60))
    # labelling too: a column of text at fit, of lists now
    fitted = HVRTPartitioner(max_leaf_nodes=4, engine=engine, category_encoding=encoding).fit(X.assign(tags=["p", "q"] * 30))
    with pytest.raises(TypeError, match=expected):
        fitted.get_partitions(X.assign(tags=[cell] * 60))


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_categorical_features_lists_int_and_tuple_column_names_as_pandas_reads_them(engine: str) -> None:
    # ints were positions even where X had a column of that name, and tuples (a MultiIndex)
    # could not be listed at all
    rng = np.random.default_rng(30)
    n = 400
    measure, codes = rng.normal(size=n), rng.integers(0, 4, n)
    options = dict(max_leaf_nodes=6, engine=engine, category_encoding="ohe" if engine == "exact" else "auto")
    named = HVRTPartitioner(**options, categorical_features=[20]).fit(pd.DataFrame({10: measure, 20: codes}))
    assert named._preprocessor.categorical_columns == ["20"]
    reference = HVRTPartitioner(**options, categorical_features=["codes"]).fit(pd.DataFrame({"m": measure, "codes": codes}))
    np.testing.assert_array_equal(named.labels_, reference.labels_)
    # a name that is also its own position (an array's frame, columns 0, 1), and a string form
    ranged = pd.DataFrame({0: measure, 1: codes})
    assert HVRTPartitioner(**options, categorical_features=[1]).fit(ranged)._preprocessor.categorical_columns == ["1"]
    assert HVRTPartitioner(**options, categorical_features=["1"]).fit(ranged)._preprocessor.categorical_columns == ["1"]
    # a name that is another column's position is refused, saying how to name either
    swapped = pd.DataFrame({1: measure, 0: codes})
    with pytest.raises(ValueError, match=r"item 0 is ambiguous: X has a column named 0, and position 0 is column '1'; "
                                         r"list these columns by their names as strings \('0' for the column named 0"):
        HVRTPartitioner(**options, categorical_features=[0]).fit(swapped)
    assert HVRTPartitioner(**options, categorical_features=["0"]).fit(swapped)._preprocessor.categorical_columns == ["0"]
    # tuples name the columns of a MultiIndex, as weights' keys do
    tupled = pd.DataFrame({("m", "x"): measure, ("m", "code"): codes.astype(str)})
    fitted = HVRTPartitioner(**options, categorical_features=[("m", "code")]).fit(tupled)
    assert fitted._preprocessor.categorical_columns == [str(("m", "code"))]
    np.testing.assert_array_equal(fitted.labels_, reference.labels_)
    with pytest.raises(ValueError, match=r"categorical_features names column \('m', 'y'\), which X does not have"):
        HVRTPartitioner(**options, categorical_features=[("m", "y")]).fit(tupled)


@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_a_numeric_column_with_a_stray_text_value_is_warned_of_by_name(engine: str) -> None:
    # one "unknown" among 5,000 quantities made the column a 199-level categorical, silently
    rng = np.random.default_rng(31)
    n = 2000
    qty = rng.integers(1, 200, n).astype(object)
    qty[[123, 1500]] = "unknown"
    qty[77] = "n/a"
    X = pd.DataFrame({"qty": qty, "b": rng.normal(size=n)})
    options = dict(max_leaf_nodes=4, engine=engine)
    message = (r"column 'qty' holds numbers but for 3 of its 2,000 values, which are not numbers \('n/a', 'unknown'\), "
               r"so it is taken as unordered categories, one per distinct value \(201\)")
    with pytest.warns(UserWarning, match=message):
        fitted = HVRTPartitioner(**options).fit(X)
    assert fitted._preprocessor.categorical_columns == ["qty"]
    # the same as text (a CSV read without dtypes): warned of too
    with pytest.warns(UserWarning, match=message):
        HVRTPartitioner(**options).fit(X.assign(qty=X["qty"].astype(str)))
    if engine == "hist":  # 201 levels in 2,000 rows are too rare to order: native by name (P27)
        options["category_encoding"] = "native"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HVRTPartitioner(**options, categorical_features=["qty"]).fit(X)  # listed: the user's choice
        HVRTPartitioner(**options).fit(X.assign(qty=pd.to_numeric(X["qty"], errors="coerce")))  # numeric
        codes = X.assign(qty=np.where(np.arange(n) % 3 == 0, "A1", X["qty"].astype(str)))
        HVRTPartitioner(**options).fit(codes)  # a third text: a categorical like any other


def test_category_count_counts_categories_as_the_preprocessing_keys_them() -> None:
    # PartitionedRegressor's one-hot cap counts with it: 1, 1.0, True and np.int8(1) are one
    # category, missing values none, a categorical's unused categories none
    assert category_count(pd.Series([1, 1.0, True, np.int8(1), "a", None, np.nan], dtype=object), "c") == 2
    assert category_count(pd.Series(pd.Categorical(["x", "y", "x"], categories=["x", "y", "z"])), "c") == 2
    with pytest.raises(ValueError, match=r"^categorical column 'c' holds both 1 and '1'"):
        category_count(pd.Series([1, "1", "b"], dtype=object), "c")
    with pytest.raises(TypeError, match=r"^categorical column 'c' holds values that cannot be categories"):
        category_count(pd.Series([[1], [2]], dtype=object), "c")


@pytest.mark.parametrize("random_state", [None, 3, "RandomState"])
@pytest.mark.parametrize("n_rows", [5, 7, 1003])
def test_cross_fitting_folds_are_kfolds_shuffled_split(n_rows, random_state) -> None:
    # the folds are drawn directly (9 bytes a row, not KFold.split's ~42): the same folds
    from sklearn.model_selection import KFold

    from hvrt._preprocessing import CROSS_FIT_FOLDS, _fold_seed, cross_fitting_folds

    state = np.random.RandomState(9) if random_state == "RandomState" else random_state
    expected = np.empty(n_rows, dtype=np.int8)
    splitter = KFold(CROSS_FIT_FOLDS, shuffle=True, random_state=_fold_seed(state))
    for fold, (_, held_out) in enumerate(splitter.split(np.empty((n_rows, 1)))):
        expected[held_out] = fold
    np.testing.assert_array_equal(cross_fitting_folds(n_rows, state), expected)


def test_cross_fitting_folds_of_fewer_rows_than_folds_are_kfolds_error() -> None:
    from hvrt._preprocessing import cross_fitting_folds

    with pytest.raises(ValueError, match="Cannot have number of splits n_splits=5 greater than the number of samples"):
        cross_fitting_folds(3, 0)
