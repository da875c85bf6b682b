"""partition_rules(): every rule, as a pandas query, selects exactly its partition's rows."""

from __future__ import annotations

import datetime
import decimal
import itertools
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from hvrt import HVRTPartitioner
from hvrt._rules import check_query_names, quote_name

ENGINES = ("exact", "hist")
ENCODINGS = ("ohe", "target")
# every engine with every encoding it has; native categorical splits are the hist engine's
ENGINE_ENCODINGS = [(engine, encoding) for engine in ENGINES for encoding in ENCODINGS] + [("hist", "native")]
TEXT = ["D", "E", "F", "it's", "G H"]
GRADES = [1, 2, 3, 10]
# pandas 2's query cannot name a label that is not text, nor one holding '#', a backtick or a
# character such as '²' (pandas 3 reads them all): partition_rules refuses such a column
# there (test_names_only_pandas_3_can_query_are_refused_on_pandas_2), and the frames of the
# other tests name theirs alike in text pandas 2 reads
PANDAS_2 = int(pd.__version__.split(".", 1)[0]) < 3
PANDAS_3_ONLY_NAMES = [7, "#", "x`y", "x²"]
NUMBER_LABEL = "7" if PANDAS_2 else 7  # (quoted `7` either way)
BACKTICK_NAME = "odd name" if PANDAS_2 else "odd`name"


def mixed_frame(n: int, seed: int, *, unseen: bool = False) -> pd.DataFrame:
    """Numbers, categories of several kinds, times and awkward column names, with gaps."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2021-03-01")
    frame = pd.DataFrame(
        {
            "carat size": rng.lognormal(0.0, 0.5, n).round(2),
            "price-$": rng.integers(300, 20_000, n),
            "class": rng.normal(size=n),  # a Python keyword
            NUMBER_LABEL: rng.normal(size=n),  # a label that is not a string (pandas 3)
            BACKTICK_NAME: rng.normal(size=n),
            "offset": 1e12 + rng.normal(size=n),  # the exact engine moves it for float32
            "colour": rng.choice(TEXT + (["never seen"] if unseen else []), n).astype(object),
            "cut": pd.Categorical(rng.choice(["Fair", "Good", "Ideal"], n)),
            "flag": rng.random(n) < 0.4,
            "grade": rng.choice(GRADES + ([99] if unseen else []), n),
            "when": start + pd.to_timedelta(rng.integers(0, 10**15, n)),
            "wait": pd.to_timedelta(rng.integers(0, 10**14, n)),
            "local": (start + pd.to_timedelta(rng.integers(0, 10**15, n))).tz_localize("Europe/Paris"),
            "month": pd.PeriodIndex(start + pd.to_timedelta(rng.integers(0, 400, n), unit="D"), freq="M"),
        }
    )
    frame.index = pd.RangeIndex(1000 * seed, 1000 * seed + n)
    for column, share in (("carat size", 0.1), ("colour", 0.1), ("when", 0.05), (NUMBER_LABEL, 0.05)):
        frame.loc[rng.random(n) < share, column] = None
    return frame


CATEGORICAL = ["colour", "cut", "flag", "grade"]


def guiding_y(X: pd.DataFrame, seed: int) -> pd.Series:
    """A y that the categorical columns (and one awkward name) drive, so the tree splits on them."""
    effect = {"D": 0.0, "E": 1.0, "F": 2.0, "it's": 3.0, "G H": 4.0}
    y = (
        X["colour"].map(effect).fillna(2.0).to_numpy()
        + 4.0 * X["grade"].isin([2, 10]).to_numpy()
        + 4.0 * X["flag"].to_numpy()
        + 3.0 * (X["cut"] == "Ideal").to_numpy()
        + 1.5 * X[BACKTICK_NAME].to_numpy()
    )
    return pd.Series(y + np.random.default_rng(seed).normal(0.0, 0.3, len(X)), index=X.index)


def with_nan_everywhere(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A copy with missing values in every column, including those that had none at fit."""
    rng = np.random.default_rng(seed)
    frame = frame.copy()
    frame["price-$"] = frame["price-$"].astype(float)
    frame["flag"] = frame["flag"].astype(object)
    frame["grade"] = frame["grade"].astype(float)  # NaN makes it float; 1.0 is category 1
    for column in frame.columns:
        frame.loc[rng.random(len(frame)) < 0.1, column] = None
    return frame


def assert_rules_select_partitions(partitioner: HVRTPartitioner, X: pd.DataFrame, labels=None) -> None:
    labels = partitioner.get_partitions(X) if labels is None else labels
    rules = partitioner.partition_rules()
    assert list(rules.index) == list(range(partitioner.n_partitions_))
    for k, rule in rules["rule"].items():
        selected = X.query(rule, engine="python").index
        expected = X.index[labels == k]
        assert selected.equals(expected), (
            f"partition {k}: rule {rule!r} selects {len(selected)} rows, "
            f"{len(selected.difference(expected))} not in the partition and "
            f"{len(expected.difference(selected))} of it missed"
        )


def boundary_rows(partitioner: HVRTPartitioner, X: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Rows whose numeric values sit on every split's boundary and its neighbours."""
    feature, left_max, _ = partitioner.tree_.splits
    names = partitioner._preprocessor.numeric_columns
    labels = dict(zip(map(str, X.columns), X.columns))
    rng = np.random.default_rng(seed)
    pieces = []
    for node in np.flatnonzero((feature >= 0) & (feature < len(names)) & np.isfinite(left_max)):
        column = labels[names[feature[node]]]
        bound = left_max[node]
        if isinstance(X[column].dtype, pd.PeriodDtype):
            continue  # periods are whole months; the other tests cover them
        if pd.api.types.is_datetime64_any_dtype(X[column].dtype) or pd.api.types.is_timedelta64_dtype(X[column].dtype):
            # float64 nanoseconds are 256 ns apart here: step across the rounding
            nanoseconds = int(bound) + np.array([-257, -256, -129, -128, -1, 0, 1, 127, 128, 129, 256, 257])
            kind = "m8[ns]" if pd.api.types.is_timedelta64_dtype(X[column].dtype) else "M8[ns]"
            values = pd.Series(nanoseconds.astype(kind))
            if isinstance(X[column].dtype, pd.DatetimeTZDtype):
                values = values.dt.tz_localize("UTC").dt.tz_convert(X[column].dtype.tz)
        else:
            values = pd.Series([np.nextafter(bound, -np.inf), bound, np.nextafter(bound, np.inf)])
            if pd.api.types.is_integer_dtype(X[column].dtype):
                values = pd.Series(np.unique(np.round(values)).astype(X[column].dtype))
        rows = X.iloc[rng.integers(0, len(X), len(values))].copy()
        rows[column] = values.to_numpy()
        pieces.append(rows)
    if not pieces:
        return X.iloc[:0]
    out = pd.concat(pieces)
    out.index = pd.RangeIndex(len(out))
    return out


@pytest.mark.parametrize(("engine", "encoding"), ENGINE_ENCODINGS)
@pytest.mark.parametrize("impute", [True, False])
@pytest.mark.parametrize("guided", [True, False], ids=["y", "no_y"])
def test_rules_select_exactly_the_labelled_rows(engine, encoding, impute, guided):
    X = mixed_frame(300, seed=1)
    partitioner = HVRTPartitioner(
        max_leaf_nodes=24,
        engine=engine,
        impute=impute,
        category_encoding=encoding,
        categorical_features=CATEGORICAL,
        y_weight=0.8,
    ).fit(X, guiding_y(X, seed=2) if guided else None)
    assert partitioner.n_partitions_ == 24
    rules = " ".join(partitioner.partition_rules()["rule"])
    # the tree splits on every kind of column: categories when y drives them, else times
    split_on = ("colour", "grade", "flag", "cut", quote_name(BACKTICK_NAME)) if guided else ("when", "wait", "local", "month")
    assert [column for column in split_on if column not in rules] == []
    # the training rows, then new rows: unseen categories and values, missing values in
    # every column, and values on every split's boundary and its float neighbours
    boundary = boundary_rows(partitioner, X, seed=6)
    assert len(boundary) > 0
    every_kind = pd.concat(
        [
            X,
            mixed_frame(200, seed=3, unseen=True),
            with_nan_everywhere(mixed_frame(200, seed=4, unseen=True), seed=5),
            boundary,
        ],
        ignore_index=True,
    )
    np.testing.assert_array_equal(partitioner.get_partitions(every_kind)[: len(X)], partitioner.labels_)
    assert_rules_select_partitions(partitioner, every_kind)


@pytest.mark.parametrize("engine", ENGINES)
def test_rules_on_a_target_encoded_column_that_splits_often(engine):
    # many categories and a strong effect, so the tree splits the encoded column repeatedly
    rng = np.random.default_rng(7)
    n = 600
    shops = np.array([f"shop {i}" for i in range(30)], dtype=object)
    X = pd.DataFrame({"shop": rng.choice(shops, n), "x": rng.normal(size=n)})
    effect = dict(zip(shops, rng.normal(0, 5, len(shops))))
    y = X["shop"].map(effect) + rng.normal(size=n)
    partitioner = HVRTPartitioner(max_leaf_nodes=12, engine=engine, category_encoding="target").fit(X, y)
    rules = partitioner.partition_rules()["rule"]
    assert rules.str.contains("shop in ").sum() + rules.str.contains("shop not in ").sum() >= 6
    assert_rules_select_partitions(partitioner, X)
    new = pd.DataFrame({"shop": rng.choice(np.append(shops, "new shop"), n), "x": rng.normal(size=n)})
    assert_rules_select_partitions(partitioner, new)


@pytest.mark.parametrize("engine", ENGINES)
def test_bounds_merge_into_one_interval_per_column(engine):
    rng = np.random.default_rng(8)
    X = pd.DataFrame({"x": rng.normal(size=500)})
    partitioner = HVRTPartitioner(max_leaf_nodes=8, engine=engine).fit(X)
    parent, nodes = partitioner.partition_hierarchy()
    depth = np.zeros(len(parent), dtype=int)
    for node in range(1, len(parent)):  # parents come before children
        depth[node] = depth[parent[node]] + 1
    assert depth[nodes].max() >= 3  # paths split x three times or more: bounds were merged
    # (new rows' missing values have a side too: "or x.isna()" on some partitions)
    pattern = re.compile(r"^\(?(?:(\S+) (<|<=) )?x(?: (<=|<) ([^\s)]+))?(?: or x\.isna\(\)\))?$")
    intervals = []
    for rule in partitioner.partition_rules()["rule"]:
        match = pattern.match(rule)
        assert match, rule
        low = -np.inf if match[1] is None else float(match[1])
        high = np.inf if match[4] is None else float(match[4])
        intervals.append((low, high))
    # the 8 intervals tile the line: each lower bound is the previous partition's upper bound
    # (up to the one-ulp choice between "<" and "<=")
    intervals.sort()
    assert intervals[0][0] == -np.inf and intervals[-1][1] == np.inf
    for (_, high), (low, _) in itertools.pairwise(intervals):
        assert low in (high, np.nextafter(high, -np.inf), np.nextafter(high, np.inf))


def test_split_boundaries_are_exact_on_both_engines():
    rng = np.random.default_rng(9)
    X = pd.DataFrame({"carat": rng.choice([0.3, 0.5, 0.7, 0.9, 1.0, 1.2, 1.5, 2.0], 400), "big": 1e12 + rng.normal(size=400)})
    hist = HVRTPartitioner(max_leaf_nodes=6, engine="hist").fit(X)
    feature, left_max, _ = hist.tree_.splits
    internal = feature >= 0
    np.testing.assert_array_equal(left_max[internal], hist.get_tree().threshold[internal])
    bounds = {float(b) for rule in hist.partition_rules()["rule"] for b in re.findall(r"\b\d+\.\d+\b", rule)}
    assert {0.95, 1.1} & bounds  # midpoints between observed values

    exact = HVRTPartitioner(max_leaf_nodes=6, engine="exact").fit(X)
    feature, left_max, _ = exact.tree_.splits
    tree = exact.get_tree().tree_
    centre = np.zeros(2) if exact.tree_.centre is None else exact.tree_.centre
    scale = np.ones(2) if exact.tree_.scale is None else exact.tree_.scale
    assert centre[1] != 0  # the float32-hostile column was moved
    for node in np.flatnonzero(feature >= 0):
        j = feature[node]

        def seen_by_tree(value, j=j):
            return np.float32(value / scale[j] - centre[j] / scale[j])

        # the boundary is the last float64 the tree sends left, whatever float32 does to it
        assert seen_by_tree(left_max[node]) <= tree.threshold[node]
        assert seen_by_tree(np.nextafter(left_max[node], np.inf)) > tree.threshold[node]


@pytest.mark.parametrize("engine", ENGINES)
def test_imputed_missing_values_follow_the_training_mean(engine):
    rng = np.random.default_rng(16)
    X = pd.DataFrame({"x": rng.lognormal(0.0, 1.0, 400)})
    X.loc[rng.random(400) < 0.1, "x"] = np.nan
    partitioner = HVRTPartitioner(max_leaf_nodes=8, engine=engine, impute=True).fit(X)
    mean_partition = partitioner.get_partitions(pd.DataFrame({"x": [X["x"].mean()]}))[0]
    rules = partitioner.partition_rules()["rule"]
    # one rule takes the missing values, the one whose interval holds the mean
    assert list(rules.index[rules.str.contains(r"x\.isna\(\)")]) == [mean_partition]
    assert_rules_select_partitions(partitioner, X)


@pytest.mark.parametrize(("engine", "encoding"), ENGINE_ENCODINGS)
def test_imputed_missing_categories_follow_the_most_frequent_category(engine, encoding):
    rng = np.random.default_rng(17)
    n = 400
    colour = rng.choice(["red", "red", "red", "green", "blue", "grey"], n).astype(object)
    x = rng.normal(size=n)
    y = np.where(colour == "red", 10.0, 0.0) + x
    X = pd.DataFrame({"colour": colour, "x": x})
    X.loc[rng.random(n) < 0.1, "colour"] = None
    partitioner = HVRTPartitioner(max_leaf_nodes=6, engine=engine, category_encoding=encoding, y_weight=0.9).fit(X, y)
    rules = partitioner.partition_rules()["rule"]
    assert rules.str.contains("colour").all()
    assert_rules_select_partitions(partitioner, X)
    # the missing colours share every partition with red
    red = partitioner.get_partitions(X.assign(colour="red"))
    missing = partitioner.get_partitions(X.assign(colour=None))
    np.testing.assert_array_equal(red, missing)


def test_partition_rules_table_columns_and_y_means():
    X = mixed_frame(200, seed=10)
    y = pd.DataFrame({"price": np.arange(200.0), "weight": np.arange(200.0) % 7}, index=X.index)
    y.iloc[3, 0] = np.nan
    partitioner = HVRTPartitioner(max_leaf_nodes=6, categorical_features=CATEGORICAL).fit(X, y)
    table = partitioner.partition_rules()
    assert list(table.columns) == ["n_samples", "y_mean_price", "y_mean_weight", "rule"]
    assert table.index.name == "partition"
    expected = y.groupby(partitioner.labels_).mean()  # skips the missing value
    np.testing.assert_allclose(table["y_mean_price"], expected["price"])
    np.testing.assert_allclose(table["y_mean_weight"], expected["weight"])
    np.testing.assert_array_equal(table["n_samples"], np.bincount(partitioner.labels_))

    single = HVRTPartitioner(max_leaf_nodes=6, categorical_features=CATEGORICAL).fit(X, y["weight"])
    assert list(single.partition_rules().columns) == ["n_samples", "y_mean", "rule"]
    unsupervised = HVRTPartitioner(max_leaf_nodes=6, categorical_features=CATEGORICAL).fit(X)
    assert list(unsupervised.partition_rules().columns) == ["n_samples", "rule"]


def test_rules_before_fit_raise_not_fitted():
    with pytest.raises(NotFittedError):
        HVRTPartitioner().partition_rules()
    with pytest.raises(NotFittedError):
        HVRTPartitioner().export_rules()


def test_precision_rounds_bounds_for_reading_and_is_checked():
    rng = np.random.default_rng(11)
    X = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    partitioner = HVRTPartitioner(max_leaf_nodes=10, engine="exact").fit(X)
    exact_digits = max(len(b.replace("-", "").replace(".", "").lstrip("0")) for r in partitioner.partition_rules()["rule"] for b in re.findall(r"-?\d+\.\d+", r))
    assert exact_digits > 4
    for rule in partitioner.partition_rules(precision=3)["rule"]:
        for bound in re.findall(r"-?[\d.]+(?:e-?\d+)?", rule):
            assert len(bound.replace("-", "").replace(".", "").lstrip("0")) <= 3, rule
    for bad in (0, -1, 2.5, "3", True):
        with pytest.raises(ValueError, match="precision"):
            partitioner.partition_rules(precision=bad)


def test_export_rules_prints_one_partition_per_line():
    X = mixed_frame(200, seed=12)
    y = pd.Series(np.arange(200.0), index=X.index)
    partitioner = HVRTPartitioner(max_leaf_nodes=9, categorical_features=CATEGORICAL).fit(X, y)
    table = partitioner.partition_rules()
    lines = partitioner.export_rules().splitlines()
    assert len(lines) == 9
    for k, line in enumerate(lines):
        fields = line.split()
        assert fields[0] == str(k)
        assert fields[1] == f"n={table.loc[k, 'n_samples']}"
        assert fields[2] == f"y_mean={table.loc[k, 'y_mean']:.4g}"
        assert line.endswith(table.loc[k, "rule"])


def test_array_input_rules_name_columns_f0_f1():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(300, 3))
    X[rng.random(X.shape) < 0.05] = np.nan
    partitioner = HVRTPartitioner(max_leaf_nodes=7, impute=False).fit(X)
    frame = pd.DataFrame(X, columns=partitioner.feature_names_)
    assert_rules_select_partitions(partitioner, frame, labels=partitioner.get_partitions(X))
    assert all(re.search(r"\bf[012]\b", rule) for rule in partitioner.partition_rules()["rule"])


def test_one_partition_rule_selects_every_row():
    X = pd.DataFrame({"x": np.ones(20), "y": np.arange(20.0)})
    partitioner = HVRTPartitioner(max_leaf_nodes=2, min_samples_leaf=15).fit(X)
    assert partitioner.n_partitions_ == 1
    X.loc[3, "x"] = np.nan
    assert_rules_select_partitions(partitioner, X)


def test_categories_that_are_not_literals_are_compared_as_text():
    rng = np.random.default_rng(14)
    days = [datetime.date(2024, 1, d) for d in range(1, 6)]
    X = pd.DataFrame({"day": [days[i] for i in rng.integers(0, 5, 300)], "x": rng.normal(size=300)})
    y = X["day"].map(dict(zip(days, [0.0, 5.0, 10.0, 15.0, 20.0]))).to_numpy()
    partitioner = HVRTPartitioner(max_leaf_nodes=5, categorical_features=["day"], y_weight=0.9).fit(X, y)
    rules = partitioner.partition_rules()["rule"]
    assert rules.str.contains(r"day\.astype\('str'\)").any()
    assert_rules_select_partitions(partitioner, X)


@pytest.mark.parametrize("engine", ENGINES)
def test_decimal_categories_are_compared_as_numbers(engine):
    # str(Decimal) is "1E-40" and the float key "1e-40": the rule must use neither text
    rng = np.random.default_rng(21)
    decimals = [decimal.Decimal("0.1000000000000000055511151231257827"), decimal.Decimal("1e-40"), decimal.Decimal(3)]
    c = pd.Series([decimals[i] for i in rng.integers(0, 3, 600)], dtype=object)
    X = pd.DataFrame({"x": rng.normal(size=600), "c": c.astype("category"), "d": c})
    y = X["x"] + pd.Series(pd.factorize(X["c"])[0]) * 2.0
    partitioner = HVRTPartitioner(
        max_leaf_nodes=8, engine=engine, y_weight=0.9, categorical_features=["c", "d"]
    ).fit(X, y)
    assert partitioner.partition_rules()["rule"].str.contains("astype('float64')", regex=False).any()
    assert_rules_select_partitions(partitioner, X)


def test_text_categories_are_written_as_astype_str_gives_them():
    rng = np.random.default_rng(22)
    values = [b"ab", b"cd", datetime.date(2024, 1, 2), "x"]  # bytes decode, a date is "2024-01-02"
    X = pd.DataFrame({"c": [values[i] for i in rng.integers(0, 4, 400)], "x": rng.normal(size=400)})
    y = pd.Series([values.index(v) * 5.0 for v in X["c"]])
    partitioner = HVRTPartitioner(max_leaf_nodes=5, categorical_features=["c"], y_weight=0.9).fit(X, y)
    assert_rules_select_partitions(partitioner, X)


def test_categories_one_text_apart_refuse_rules_naming_the_column():
    rng = np.random.default_rng(23)
    values = [b"ab", "ab", "cd"]  # keys "b'ab'" and "ab", but astype('str') makes both "ab"
    X = pd.DataFrame({"code": [values[i] for i in rng.integers(0, 3, 300)], "x": rng.normal(size=300)})
    y = pd.Series([values.index(v) * 5.0 for v in X["code"]])
    partitioner = HVRTPartitioner(max_leaf_nodes=4, categorical_features=["code"], y_weight=0.9).fit(X, y)
    with pytest.raises(ValueError, match=r"column code .*b'ab'.*'ab'.*tell them apart"):
        partitioner.partition_rules()


def test_max_samples_rules_describe_every_row():
    X = mixed_frame(400, seed=15)
    partitioner = HVRTPartitioner(max_leaf_nodes=8, max_samples=0.5, categorical_features=CATEGORICAL, engine="hist").fit(X)
    assert_rules_select_partitions(partitioner, X)


@pytest.mark.parametrize(
    ("label", "expected"),
    [("carat", "carat"), ("a b", "`a b`"), ("class", "`class`"), (7, "`7`"), ("x`y", "`x``y`"), ("é", "é")],
)
def test_quote_name(label, expected):
    assert quote_name(label) == expected
    if PANDAS_2 and label in PANDAS_3_ONLY_NAMES:
        return  # (pandas 2 cannot query it: see test_names_only_pandas_3_can_query_are_refused_on_pandas_2)
    frame = pd.DataFrame({label: [1.0, 2.0], "other": [2.0, 1.0]})
    assert list(frame.query(f"{expected} <= 1.5", engine="python").index) == [0]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("impute", [True, False])
def test_missing_fit_mentions_only_columns_that_had_missing_values(engine, impute):
    X = mixed_frame(300, seed=18)
    y = pd.Series(np.random.default_rng(19).normal(size=len(X)), index=X.index)
    partitioner = HVRTPartitioner(
        max_leaf_nodes=16, engine=engine, impute=impute, categorical_features=CATEGORICAL
    ).fit(X, y)
    full = partitioner.partition_rules()["rule"]
    short = partitioner.partition_rules(missing="fit")["rule"]
    assert (short.str.len() <= full.str.len()).all() and (short.str.len() < full.str.len()).any()
    mentioned = set(re.findall(r"(`[^`]+`|\w+)\.(?:isna|notna)\(\)", " ".join(short)))
    assert mentioned <= {"`carat size`", "colour", "when", "`7`"}  # the columns with gaps at fit
    # exact on rows whose other columns have no gaps: the training rows, and new rows
    complete_elsewhere = mixed_frame(300, seed=20, unseen=True)
    for X_check in (X, complete_elsewhere):
        labels = partitioner.get_partitions(X_check)
        for k, rule in short.items():
            assert X_check.query(rule, engine="python").index.equals(X_check.index[labels == k]), rule
    with pytest.raises(ValueError, match="missing"):
        partitioner.partition_rules(missing="some")


def test_docstring_examples_run():
    import doctest

    from hvrt import partitioner as partitioner_module

    result = doctest.testmod(partitioner_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_rules_survive_pickling(engine):
    import pickle

    X = mixed_frame(200, seed=21)
    partitioner = HVRTPartitioner(max_leaf_nodes=8, engine=engine, categorical_features=CATEGORICAL)
    partitioner.fit(X, guiding_y(X, seed=22))
    restored = pickle.loads(pickle.dumps(partitioner))
    pd.testing.assert_frame_equal(restored.partition_rules(), partitioner.partition_rules())


@pytest.mark.parametrize("as_array", [False, True], ids=["frame", "array"])
@pytest.mark.parametrize("engine", ["exact", "hist"])
def test_precision_rounds_time_bounds_within_the_training_gap(engine, as_array, tmp_path):
    # time bounds were written to the nanosecond whatever the precision; with one they are
    # whole days ... microseconds between the training values each split separates
    import hvrt

    rng = np.random.default_rng(23)
    n = 1500
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 365, n), unit="D")
    X = pd.DataFrame({  # times only: rounded numeric bounds may move training rows
        "when": when.where(rng.uniform(size=n) > 0.05),
        "zoned": (when + pd.to_timedelta(rng.uniform(0, 9, n), unit="D")).tz_localize("UTC").tz_convert("Europe/Paris"),
        "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D"),
        "took": pd.to_timedelta(rng.uniform(0, 48, n), unit="h"),
    })
    # (an array's times are read from their float64 nanoseconds, known to 256 ns)
    partitioner = HVRTPartitioner(max_leaf_nodes=20, engine=engine).fit(X.to_numpy() if as_array else X)
    if as_array:
        X.columns = partitioner.feature_names_
    hvrt.save(partitioner, tmp_path / "p.hvrt")
    reloaded = hvrt.load(tmp_path / "p.hvrt")
    for model in (partitioner, reloaded):
        rules = model.partition_rules(precision=3)["rule"]
        for k, rule in rules.items():
            selected = X.query(rule, engine="python").index
            np.testing.assert_array_equal(selected, np.flatnonzero(partitioner.labels_ == k), err_msg=rule)
        times = re.findall(r"'([^']*\d\d:\d\d[^']*)'", " ".join(rules))
        assert len(times) > 10
        # no digit below the microsecond; most bounds whole minutes
        assert not [t for t in times if re.search(r"\.\d{7,}", t)], times
        assert sum(bool(re.search(r"\d\d:\d\d:00(?:\+|$)", t)) for t in times) > len(times) / 2, times
    # whole days between whole days: '2024-01-31' < day, not '2024-01-31 12:00:00' (nor,
    # from float64 times, 23:00 the day before the next)
    days = re.findall(r"(?:day|f3) <= '([^']*)'|'([^']*)' < (?:day|f3)", " ".join(rules))
    assert days and all(re.fullmatch(r"2024-\d\d-\d\d", a or b) for a, b in days) != as_array, days
    exact = " ".join(partitioner.partition_rules()["rule"])
    assert re.search(r"\.\d{9}", exact)  # without a precision, still to the nanosecond


# names pandas' query reads as something else: its constant inf, its own prefixes, a line
# break (read line by line), a tab or a null (no identifier), letters Python normalises (NFKC)
UNNAMEABLE = ["inf", "Inf", "x\ny", "x\r\ny", "x\u2028y", "x\ty", "x\x00y", "ℌ", "__pd_eval_local_x"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", UNNAMEABLE)
def test_a_column_pandas_cannot_name_is_refused_naming_it(engine, name):
    rng = np.random.default_rng(23)
    X = pd.DataFrame({name: rng.normal(size=400), "z": rng.normal(size=400)})
    partitioner = HVRTPartitioner(max_leaf_nodes=6, engine=engine).fit(X)
    for method in (partitioner.partition_rules, partitioner.export_rules):
        with pytest.raises(ValueError, match=rf"name column {re.escape(repr(name))}.*rename the column"):
            method()


@pytest.mark.parametrize("engine", ENGINES)
def test_names_pandas_reads_otherwise_elsewhere_still_select_exactly(engine):
    # names of pandas' own scope and syntax that backticks or a type lookup make readable
    # ("datetime" too, but not from this module, which imports the module datetime: see Notes)
    rng = np.random.default_rng(24)
    names = ["nan", "NaN", "Timestamp", "list", "index", "True", "None", "and", "", "é"]
    names += [] if PANDAS_2 else PANDAS_3_ONLY_NAMES[:2] + PANDAS_3_ONLY_NAMES[3:]
    X = pd.DataFrame({name: rng.normal(size=600) for name in names})
    partitioner = HVRTPartitioner(max_leaf_nodes=24, engine=engine).fit(X)
    used = " ".join(partitioner.partition_rules()["rule"])
    assert sum(quote_name(name) in used for name in names) >= 8
    assert_rules_select_partitions(partitioner, X)


@pytest.mark.parametrize("name", PANDAS_3_ONLY_NAMES)
def test_names_only_pandas_3_can_query_are_refused_on_pandas_2(name):
    # pandas 2's query fails on these names (an undefined variable, a syntax error): rules
    # naming them could select no rows, so they are refused, naming the column; pandas 3 reads them
    rng = np.random.default_rng(31)
    X = pd.DataFrame({name: rng.normal(size=300), "b": rng.normal(size=300)})
    partitioner = HVRTPartitioner(max_leaf_nodes=6, engine="hist", weights={"b": 0.0}).fit(X)
    if PANDAS_2:
        with pytest.raises(ValueError, match=rf"name column {re.escape(repr(name))}.*rename the column"):
            partitioner.partition_rules()
        with pytest.raises(ValueError, match="rename the column"):
            check_query_names([name], [name, "b"])
    else:
        assert quote_name(name) in " ".join(partitioner.partition_rules()["rule"])
        assert_rules_select_partitions(partitioner, X)


def test_a_name_that_pandas_reads_as_another_column_is_refused():
    # pandas keeps "a b" under its quoted form BACKTICK_QUOTED_STRING_a_b: one would read the other
    rng = np.random.default_rng(25)
    X = pd.DataFrame({"a b": rng.normal(size=400), "BACKTICK_QUOTED_STRING_a_b": rng.normal(size=400)})
    partitioner = HVRTPartitioner(max_leaf_nodes=6, engine="hist").fit(X)
    with pytest.raises(ValueError, match="name column 'a b'.*rename the column"):
        partitioner.partition_rules()


def test_a_single_partition_rule_names_a_column_pandas_can_read():
    X = pd.DataFrame({"inf": np.ones(20), "x": np.arange(20.0)})
    partitioner = HVRTPartitioner(max_leaf_nodes=2, min_samples_leaf=15).fit(X)
    assert partitioner.n_partitions_ == 1
    assert_rules_select_partitions(partitioner, X)


def _arrow_float(name: str):
    pa = pytest.importorskip("pyarrow")
    return pd.ArrowDtype(getattr(pa, name)())


NARROW_FLOATS = {
    "float16": lambda: np.dtype(np.float16),
    "float32": lambda: np.dtype(np.float32),
    "Float32": lambda: pd.Float32Dtype(),
    "float[pyarrow]": lambda: _arrow_float("float32"),
    "halffloat[pyarrow]": lambda: _arrow_float("float16"),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype_name", list(NARROW_FLOATS))
def test_bounds_of_a_narrow_float_column_are_values_of_its_width(engine, dtype_name):
    # pandas compares a float16 / float32 column in its own width: a float64 bound between
    # two of its values (a histogram midpoint) would round to either, moving a boundary row
    dtype = NARROW_FLOATS[dtype_name]()
    width = getattr(dtype, "numpy_dtype", dtype)
    rng = np.random.default_rng(26)
    n = 2000
    X = pd.DataFrame({"a": rng.normal(size=n), "narrow": pd.Series(rng.normal(size=n).astype(width)).astype(dtype)})
    partitioner = HVRTPartitioner(max_leaf_nodes=12, engine=engine, weights={"a": 0.0}).fit(X)
    feature, left_max, _ = partitioner.tree_.splits
    bounds = left_max[feature == 1]
    assert len(bounds) >= 5
    # new rows on each split's neighbours of that width, in the column's dtype
    below = bounds.astype(width)
    below = np.where(below.astype(np.float64) > bounds, np.nextafter(below, width.type(-np.inf)), below)
    edges = np.concatenate([below, np.nextafter(below, width.type(np.inf)), np.nextafter(below, width.type(-np.inf))])
    new = pd.DataFrame({"a": rng.normal(size=len(edges)), "narrow": pd.Series(edges).astype(dtype)})
    every = pd.concat([X, new], ignore_index=True)
    assert every["narrow"].dtype == dtype
    assert_rules_select_partitions(partitioner, every)
    # the same values read as float64 are selected alike: the bounds are values of the width
    assert_rules_select_partitions(partitioner, every.astype({"narrow": np.float64}))


def _arrow(name: str, *args, **kwargs):
    pa = pytest.importorskip("pyarrow")
    return pd.ArrowDtype(getattr(pa, name)(*args, **kwargs))


def _from_nanoseconds(nanoseconds: np.ndarray, kind: str) -> pd.Series:
    """Times in the column kind ``kind``, floored to what it can hold; -1 is a missing value."""
    stamps = pd.Series(pd.to_datetime(np.where(nanoseconds == -1, np.iinfo(np.int64).min, nanoseconds)))
    if kind in ("date32[pyarrow]", "date64[pyarrow]"):
        days = stamps.dt.floor("D").dt.date
        return days.astype(_arrow("date32") if kind.startswith("date32") else _arrow("date64"))
    if kind == "timestamp[us, tz][pyarrow]":
        return stamps.dt.floor("us").dt.tz_localize("UTC").astype(_arrow("timestamp", "us", tz="Asia/Tokyo"))
    if kind == "object datetime":
        return pd.Series([None if t is pd.NaT else t.to_pydatetime() for t in stamps.dt.floor("us")], dtype=object)
    if kind == "object datetime, zoned":
        zoned = stamps.dt.floor("us").dt.tz_localize("UTC").dt.tz_convert("America/New_York")
        return pd.Series([None if t is pd.NaT else t.to_pydatetime() for t in zoned], dtype=object)
    if kind == "object Timestamp":
        return pd.Series(list(stamps), dtype=object)
    if kind == "duration[us][pyarrow]":
        spans = pd.Series(pd.to_timedelta(np.where(nanoseconds == -1, np.iinfo(np.int64).min, nanoseconds)))
        return spans.dt.floor("us").astype(_arrow("duration", "us"))
    assert kind == "object timedelta"
    spans = pd.Series(pd.to_timedelta(np.where(nanoseconds == -1, np.iinfo(np.int64).min, nanoseconds)))
    return pd.Series([None if t is pd.NaT else t.to_pytimedelta() for t in spans.dt.floor("us")], dtype=object)


TIME_KINDS = ["date32[pyarrow]", "date64[pyarrow]", "timestamp[us, tz][pyarrow]", "object datetime",
              "object datetime, zoned", "object Timestamp", "object timedelta", "duration[us][pyarrow]"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", TIME_KINDS)
def test_rules_on_times_pandas_cannot_compare_with_text_select_exactly(engine, kind):
    # pyarrow dates and durations and Python objects are compared once converted; a pyarrow
    # timestamp with a zone with times written in that zone
    rng = np.random.default_rng(27)
    n = 600
    start = pd.Timestamp("2019-06-01").value
    nanoseconds = start + rng.integers(0, 3 * 365 * 86_400, n) * 10**9 + rng.integers(0, 10**9, n)
    if not kind.startswith("date"):  # (fit cannot read a pyarrow date column with a gap yet)
        nanoseconds[rng.random(n) < 0.05] = -1  # missing
    X = pd.DataFrame({"a": rng.normal(size=n), "t": _from_nanoseconds(nanoseconds, kind)})
    partitioner = HVRTPartitioner(max_leaf_nodes=8, engine=engine, weights={"a": 0.0}).fit(X)
    rules = partitioner.partition_rules()["rule"]
    assert rules.str.contains(r"\bt\b").all()
    if kind == "timestamp[us, tz][pyarrow]":
        # the column's zone, not naive UTC
        assert all(text.endswith("+09:00") for rule in rules for text in re.findall(r"'([^']*)'", rule))
    # new rows on each split's boundary and its neighbours, as the column holds them
    feature, left_max, _ = partitioner.tree_.splits
    bounds = left_max[feature == 1].astype(np.int64)
    steps = np.array([-86_400 * 10**9, -1000, -1, 0, 1, 1000, 86_400 * 10**9])
    edges = (bounds[:, None] + steps).ravel()
    new = pd.DataFrame({"a": rng.normal(size=len(edges)), "t": _from_nanoseconds(edges, kind)})
    every = pd.concat([X, new], ignore_index=True)
    assert every["t"].dtype == X["t"].dtype
    assert_rules_select_partitions(partitioner, every)


def test_a_model_file_keeps_the_column_forms_of_its_rules(tmp_path):
    import hvrt

    rng = np.random.default_rng(28)
    n = 800
    X = pd.DataFrame(
        {
            "narrow": rng.normal(size=n).astype(np.float16),
            "t": _from_nanoseconds(pd.Timestamp("2020-01-01").value + rng.integers(0, 10**17, n), "object datetime"),
        }
    )
    partitioner = HVRTPartitioner(max_leaf_nodes=8, engine="hist").fit(X)
    hvrt.save(partitioner, tmp_path / "model.hvrt")
    reloaded = hvrt.load(tmp_path / "model.hvrt")
    pd.testing.assert_frame_equal(reloaded.partition_rules(), partitioner.partition_rules())
    assert reloaded.partition_rules()["rule"].str.contains(r"t\.astype\('datetime64\[ns\]'\)").any()
    assert_rules_select_partitions(reloaded, X)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_listed_object_column_of_decimals_with_a_gap_selects_exactly(engine):
    # Decimals with a gap are read as floats at fit; the rule wrote `c in [0.1]`, which no
    # Decimal('0.10') equals (0 rows of partitions of 100): they are compared as floats now
    rng = np.random.default_rng(1)
    n = 900
    values = [decimal.Decimal("0.10"), decimal.Decimal("1e-40"), decimal.Decimal(3), None]
    X = pd.DataFrame({"x": rng.normal(size=n), "c": pd.Series([values[i] for i in rng.integers(0, 4, n)], dtype=object)})
    y = X["x"] + pd.Series(pd.factorize(X["c"])[0]) * 2.0
    partitioner = HVRTPartitioner(max_leaf_nodes=8, engine=engine, y_weight=0.9, categorical_features=["c"]).fit(X, y)
    rules = partitioner.partition_rules()["rule"]
    assert any("c.astype('float64')" in rule for rule in rules)
    for k, rule in rules.items():
        np.testing.assert_array_equal(X.query(rule, engine="python").index, np.flatnonzero(partitioner.labels_ == k), err_msg=rule)


def test_a_time_column_is_read_with_the_zone_and_kind_the_fit_reads():
    # _rules asks _validation's dtype_zone / is_duration_dtype, as the fit's checks do
    pa = pytest.importorskip("pyarrow")
    from hvrt._rules import _time_subject

    paris, new_york = pd.DatetimeTZDtype("ns", "Europe/Paris"), pd.DatetimeTZDtype("ns", "America/New_York")
    cases = [
        (paris, None, ("t", paris)),
        (pd.ArrowDtype(pa.timestamp("us", tz="Asia/Tokyo")), None, ("t", pd.DatetimeTZDtype("ns", "Asia/Tokyo"))),
        (pd.ArrowDtype(pa.timestamp("us")), None, ("t", np.dtype("M8[ns]"))),
        (new_york, "object", ("t.astype('datetime64[ns, America/New_York]')", new_york)),
        (np.dtype("M8[ns]"), "object", ("t.astype('datetime64[ns]')", np.dtype("M8[ns]"))),
        (np.dtype("m8[ns]"), "object", ("t.astype('timedelta64[ns]')", np.dtype("m8[ns]"))),
        (pd.ArrowDtype(pa.duration("us")), None, ("t.astype('timedelta64[us]')", np.dtype("m8[ns]"))),
        (pd.ArrowDtype(pa.date32()), None, ("t.astype('datetime64[ms]')", np.dtype("M8[ns]"))),
    ]
    for dtype, form, expected in cases:
        assert _time_subject("t", dtype, form) == expected, dtype


# pandas' query looks these names up among the caller's variables first (its class globals)
SCOPE_FIRST = ["datetime", "Timestamp", "list", "tuple"]


@pytest.mark.parametrize("name", SCOPE_FIRST)
def test_a_category_rule_on_a_name_the_caller_binds_raises_rather_than_selects_other_rows(name):
    # With `import datetime` in the calling module, `datetime in ['b']` compared the module
    # with the list: a plain False, so the rule selected no row of a partition of 39 (and
    # `not in` every row of the other columns' clauses), without a word
    rng = np.random.default_rng(29)
    n = 400
    X = pd.DataFrame({name: rng.choice(list("abcdef"), n).astype(object), "b": rng.normal(size=n)})
    y = X[name].isin(["a", "b"]).to_numpy() * 3.0 + rng.normal(0.0, 0.1, n)
    partitioner = HVRTPartitioner(max_leaf_nodes=6, y_weight=1.0, random_state=0).fit(X, y)
    rules = partitioner.partition_rules()["rule"]
    assert rules.str.contains(f"{name}.isin(", regex=False).any()
    bindings = {"datetime": datetime, "Timestamp": 3, "list": ["a"], "tuple": "a"}  # what a caller may bind
    labels = partitioner.labels_
    for k, rule in rules.items():
        try:
            selected = X.query(rule, engine="python", local_dict=bindings).index
        except (AttributeError, TypeError):
            pass  # the name is not the column there: an error, not other rows
        else:
            assert selected.equals(X.index[labels == k]), rule
        # where the name is unbound (or a class), the rule reads the column
        selected = X.query(rule, engine="python", local_dict={}, global_dict={}).index
        assert selected.equals(X.index[labels == k]), rule


@pytest.mark.parametrize("engine", ENGINES)
def test_columns_named_as_modules_the_caller_imports_select_exactly(engine):
    # names pandas reads as the column before the caller's variables: only its class
    # globals (above) are looked up there first
    import time

    rng = np.random.default_rng(30)
    n = 600
    X = pd.DataFrame(
        {
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"),
            "pd": rng.normal(size=n),
            "np": rng.choice(list("abcd"), n).astype(object),
            "time": pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
        }
    )
    y = X["np"].map({"a": 0.0, "b": 4.0, "c": 8.0, "d": 12.0}).to_numpy() + rng.normal(0.0, 0.1, n)
    partitioner = HVRTPartitioner(max_leaf_nodes=16, engine=engine, y_weight=0.5, random_state=0).fit(X, y)
    rules = partitioner.partition_rules()["rule"]
    used = " ".join(rules)
    assert all(re.search(rf"\b{name}\b", used) for name in ["date", "pd", "np", "time"])
    bindings = {"date": datetime.date(2024, 1, 1), "pd": pd, "np": np, "time": time}
    for k, rule in rules.items():
        selected = X.query(rule, engine="python", local_dict=bindings).index
        assert selected.equals(X.index[partitioner.labels_ == k]), rule
        assert X.query(rule).index.equals(selected), rule  # pandas' default engine, this module's names


@pytest.mark.parametrize(
    "values",
    [
        [decimal.Decimal("0.1"), decimal.Decimal("0.10"), decimal.Decimal("2.5"), "abc", "xyz"],
        [datetime.date(2024, 1, 1), datetime.date(2024, 1, 2), 1, 1.0, 7],
    ],
    ids=["decimals and text", "dates and numbers"],
)
def test_a_column_compared_as_text_that_holds_numbers_refuses_rules_naming_it(values):
    # The partitioner takes numbers by value (Decimal('0.1') == Decimal('0.10'), 1 and 1.0 one
    # category), a rule compares this column as text ('0.1' is not '0.10'): the rules
    # selected none of the Decimal('0.10') rows of their partitions (4 of 8 rules wrong)
    rng = np.random.default_rng(31)
    n = 400
    column = pd.Series([values[i] for i in rng.integers(0, len(values), n)], dtype=object)
    X = pd.DataFrame({"x": rng.normal(size=n), "code": column})
    y = pd.Series(pd.factorize(column.astype(str))[0] * 3.0) + rng.normal(0.0, 0.1, n)
    partitioner = HVRTPartitioner(max_leaf_nodes=8, y_weight=0.9, categorical_features=["code"]).fit(X, y)
    for method in (partitioner.partition_rules, partitioner.export_rules):
        with pytest.raises(ValueError, match=r"categorical column code mixes numbers \(.*\) with other values .*fit again"):
            method()
    # made one type, its rules select exactly
    partitioner.fit(X.assign(code=column.astype(str)), y)
    assert_rules_select_partitions(partitioner, X.assign(code=column.astype(str)))


def test_fraction_categories_are_compared_as_numbers():
    # Fraction(1, 10) was written as the float 0.1, which it does not equal
    import fractions

    rng = np.random.default_rng(32)
    n = 400
    values = [fractions.Fraction(1, 10), fractions.Fraction(1, 3), fractions.Fraction(5, 2)]
    X = pd.DataFrame({"x": rng.normal(size=n), "c": pd.Series([values[i] for i in rng.integers(0, 3, n)], dtype=object)})
    y = pd.Series([float(v) * 10.0 for v in X["c"]]) + rng.normal(0.0, 0.1, n)
    partitioner = HVRTPartitioner(max_leaf_nodes=6, y_weight=0.9, categorical_features=["c"]).fit(X, y)
    assert partitioner.partition_rules()["rule"].str.contains("c.astype('float64')", regex=False).any()
    assert_rules_select_partitions(partitioner, X)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype_name", ["float16", "float32"])
def test_narrow_float_rules_are_exact_for_values_of_the_columns_width(engine, dtype_name):
    # The contract (partition_rules' Notes, README): a bound on a float16 / float32 column is
    # a value of that width, exact for such values. The tree's threshold lies between the last
    # value of the width on its side and the next: a float64 value in that gap (no value of
    # the width is) is labelled by the threshold, where the rule (`a <= v` or `a < next`) may
    # put it on the other side. Cast to the width, the batch's labels and the rules agree.
    # (Raising such values at labelling made them agree, at 20x the labelling time.)
    width = np.dtype(dtype_name)
    rng = np.random.default_rng(33)
    n = 1000
    X = pd.DataFrame({"a": rng.normal(size=n), "narrow": rng.normal(size=n).astype(width)})
    partitioner = HVRTPartitioner(max_leaf_nodes=12, engine=engine, weights={"a": 0.0}).fit(X)
    feature, left_max, _ = partitioner.tree_.splits
    thresholds = left_max[feature == 1]
    bounds = thresholds.astype(width)
    bounds = np.where(bounds.astype(np.float64) > thresholds, np.nextafter(bounds, width.type(-np.inf)), bounds)
    in_gap = bounds.astype(np.float64) < thresholds
    assert in_gap.any()
    # float64 values in (bound, threshold], between two values of the width
    gap = np.concatenate([np.nextafter(bounds[in_gap].astype(np.float64), np.inf), thresholds[in_gap]])
    rows = X.iloc[rng.integers(0, n, len(gap))].reset_index(drop=True).assign(narrow=gap)
    labels = partitioner.get_partitions(rows)
    on_bound = partitioner.get_partitions(rows.assign(narrow=np.concatenate([bounds[in_gap]] * 2).astype(np.float64)))
    np.testing.assert_array_equal(labels, on_bound)  # labelled by the threshold: as the bound is
    rules = partitioner.partition_rules()["rule"]
    selected = np.full(len(rows), -1)
    for k, rule in rules.items():
        selected[rows.query(rule, engine="python").index] = k
    # where the split is on a row's path, its rule puts it beyond the bound
    assert (selected != labels).sum() >= len(gap) // 4
    # in the column's width (the values round to the bound or the next value) they agree
    assert_rules_select_partitions(partitioner, rows.astype({"narrow": width}))
    assert_rules_select_partitions(partitioner, rows.astype({"narrow": width}).astype({"narrow": np.float64}))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", ["int64", "uint64", "Int64", "int64[pyarrow]", "object"])
def test_rules_on_integers_near_2_60_select_the_labelled_rows(engine, dtype):
    # float64 holds every 256th integer near 2**60: the tree splits the rounded values, and
    # a bound printed from a float must select the rows the labels give, also for IDs a few
    # integers either side of it. pandas compares an int64 column with a float in float64,
    # as the tree does; an object column of Python ints compared them exactly (a rule of a
    # partition of 64 training rows missed 2 of them and took 1 of another), so its rules
    # now compare its float64 values
    rng = np.random.default_rng(3)
    n = 400
    offsets = rng.integers(0, 40_000, n)
    X = pd.DataFrame({"id": 2**60 + offsets, "x": rng.normal(size=n) + offsets / 10_000})
    X["id"] = pd.Series([int(v) for v in X["id"]], dtype=object) if dtype == "object" else X["id"].astype(dtype)
    with pytest.warns(UserWarning, match=r"\d+ value\(s\) of 'id' read rounded"):
        partitioner = HVRTPartitioner(max_leaf_nodes=8, engine=engine, random_state=0).fit(X)
    rules = partitioner.partition_rules()["rule"]
    assert rules.str.contains("id", regex=False).sum() >= 2  # the IDs are split on
    assert_rules_select_partitions(partitioner, X, partitioner.labels_)
    # IDs around every bound on the IDs: within 300 of it, every 7th integer
    _, left_max, _ = partitioner.tree_.splits
    bounds = [int(b) for b in left_max[np.isfinite(left_max)] if abs(b) > 2**59]
    assert bounds
    near = np.unique(np.concatenate([b + np.arange(-300, 301, 7) for b in bounds]))
    probe = X.iloc[np.arange(len(near)) % n].reset_index(drop=True)
    probe["id"] = pd.Series([int(v) for v in near], dtype=object) if dtype == "object" else pd.Series(near).astype(dtype)
    with pytest.warns(UserWarning, match="beyond 2"):
        labels = partitioner.get_partitions(probe)
    assert_rules_select_partitions(partitioner, probe, labels)
