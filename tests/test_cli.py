"""The `hvrt` command line through its real entry point (click's runner, and `python -m hvrt`)."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import hvrt
from hvrt import HVRTPartitioner, PartitionedRegressor
from hvrt.cli import cli
from hvrt.local_models import default_partitioner

from .exact_csv import read_csv_exact


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def make_table() -> pd.DataFrame:
    """1,200 rows: numeric columns, a text categorical with NaN, a code column whose first
    rows all look like numbers (a CSV chunk of them alone parses as integers), missing values."""
    rng = np.random.default_rng(11)
    n = 1200
    frame = pd.DataFrame(
        {
            "a": rng.normal(0, 1, n),
            "b": rng.lognormal(3, 1, n),
            "c": rng.integers(0, 50, n).astype(float),
            "city": rng.choice(["oslo", "lima", "pune"], n).astype(object),
            "code": np.r_[rng.choice(["7", "12"], 400), rng.choice(["7", "12", "A1"], n - 400)],
        }
    )
    frame.loc[rng.random(n) < 0.05, "a"] = np.nan
    frame.loc[rng.random(n) < 0.05, "city"] = np.nan
    frame["y"] = np.sin(frame["b"] / 10) * 3 + (frame["city"] == "oslo") * 2 + frame["c"] / 10 + rng.normal(0, 0.1, n)
    return frame


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_table()


@pytest.fixture
def csv(tmp_path: Path, table: pd.DataFrame) -> Path:
    path = tmp_path / "data.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture
def parquet(tmp_path: Path, table: pd.DataFrame) -> Path:
    path = tmp_path / "data.parquet"
    table.to_parquet(path, row_group_size=250, index=False)
    return path


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --------------------------------------------------------------------------- round trips


def test_version_and_help():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"hvrt {hvrt.__version__}"
    result = run("--help")
    assert result.exit_code == 0
    for command in ("partition", "label", "regress", "predict", "profile", "demo"):
        assert command in result.stdout


def test_importing_the_cli_loads_no_numerical_library():
    heavy = ("numpy", "pandas", "sklearn", "scipy", "numba", "matplotlib", "dask", "pyarrow", "tqdm")
    code = f"import sys, hvrt.cli; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == ""


def test_partition_then_label_a_csv_in_chunks_gives_the_in_memory_labels(tmp_path, csv):
    result = run("partition", csv, "-k", 24, "--y", "y", "--engine", "exact", "-o", tmp_path / "parts.csv",
                 "--model", tmp_path / "model.hvrt")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "into 24 partitions" in result.stdout and result.stderr == ""
    partitioned = pd.read_csv(tmp_path / "parts.csv")
    original = pd.read_csv(csv)
    pd.testing.assert_frame_equal(partitioned.drop(columns="partition"), original)

    result = run("label", csv, "--model", tmp_path / "model.hvrt", "-o", tmp_path / "labels.csv", "--chunk-rows", 300)
    assert result.exit_code == 0, result.stderr
    assert "labelled 1,200 rows in 4 chunk(s)" in result.stdout
    labelled = pd.read_csv(tmp_path / "labels.csv")
    in_memory = hvrt.load(tmp_path / "model.hvrt").get_partitions(original.drop(columns="y"))
    np.testing.assert_array_equal(labelled["partition"], in_memory)
    np.testing.assert_array_equal(labelled["partition"], partitioned["partition"])
    assert files_in(tmp_path) == {"data.csv", "parts.csv", "model.hvrt", "labels.csv"}


def test_a_csv_column_of_iso_dates_is_read_as_dates_at_fit_and_in_every_chunk(tmp_path):
    rng = np.random.default_rng(12)
    n = 900
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 300, n)), unit="D")
    frame = pd.DataFrame({"when": when.strftime("%Y-%m-%dT%H:%M:%S"), "x": rng.normal(size=n), "tag": rng.choice(["a", "b"], n)})
    frame["y"] = np.where(np.arange(n) < n // 2, 0.0, 5.0) + rng.normal(0, 0.1, n)  # a step in time
    frame.loc[3, "when"] = None
    frame.to_csv(tmp_path / "dated.csv", index=False)
    model_path = tmp_path / "model.hvrt"
    result = run("partition", tmp_path / "dated.csv", "-k", 6, "--y", "y", "--engine", "exact", "-o", tmp_path / "parts.csv", "--model", model_path)
    assert result.exit_code == 0, result.stderr
    model = hvrt.load(model_path)
    assert set(model._time_dtypes) == {"when"}  # fitted on dates
    assert model._preprocessor.categorical_columns == ["tag"]  # "when" is an ordered feature, not text
    result = run("label", tmp_path / "dated.csv", "--model", model_path, "-o", tmp_path / "labels.csv", "--chunk-rows", 200)
    assert result.exit_code == 0, result.stderr
    labelled = pd.read_csv(tmp_path / "labels.csv")
    np.testing.assert_array_equal(labelled["partition"], pd.read_csv(tmp_path / "parts.csv")["partition"])
    # the same column holding numbers in a later file is not read as dates: refused by name, row and value
    frame.assign(when=np.arange(n, dtype=float)).to_csv(tmp_path / "numbers.csv", index=False)
    result = run("label", tmp_path / "numbers.csv", "--model", model_path, "-o", tmp_path / "bad.csv")
    assert result.exit_code == 2
    assert "column 'when' of " in result.stderr and "held dates at fit, but data row 1 holds '0.0'" in result.stderr


def test_a_csv_date_beyond_the_nanosecond_range_is_refused_at_fit_and_at_labelling(tmp_path):
    # a 9999-12-31 "open-ended" sentinel parses as datetime64[s]; cast to nanoseconds it was
    # ordered before 1908 (its rows partitioned with the earliest dates), exit 0
    rng = np.random.default_rng(21)
    n = 300
    end = pd.Series(pd.date_range("2000-01-01", periods=n, freq="D").strftime("%Y-%m-%d"))
    frame = pd.DataFrame({"end": end, "v": rng.normal(size=n)})
    frame.to_csv(tmp_path / "plain.csv", index=False)
    frame.assign(end=end.where(np.arange(n) >= 20, "9999-12-31")).to_csv(tmp_path / "sentinel.csv", index=False)
    result = run("partition", tmp_path / "sentinel.csv", "-k", 3, "-o", tmp_path / "out.csv")
    message = "hvrt: error: X column 'end' holds 20 date(s) beyond the range hvrt reads times in"
    assert result.exit_code == 2 and result.stderr.startswith(message) and "first '9999-12-31'" in result.stderr
    assert not (tmp_path / "out.csv").exists()
    result = run("partition", tmp_path / "plain.csv", "-k", 3, "-o", tmp_path / "out.csv", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.stderr
    result = run("label", tmp_path / "sentinel.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", 50)
    assert result.exit_code == 2 and "X column 'end' holds 20 date(s) beyond" in result.stderr
    assert not (tmp_path / "l.csv").exists()


def _utc_microseconds(parsed: pd.Series) -> np.ndarray:
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.to_numpy().astype("datetime64[us]")


@pytest.mark.parametrize(
    ("texts", "instants"),
    [
        (["9999-12-31", "2020-01-01", None], ["9999-12-31", "2020-01-01", "NaT"]),  # the sentinel first
        (["1500-03-01T06:30", "1600-02-29", "2000-02-29"], ["1500-03-01T06:30", "1600-02-29", "2000-02-29"]),
        (["9999-12-31T23:59:59.5+01:00", "2020-01-01T00:00+01:00"], ["9999-12-31T22:59:59.5", "2019-12-31T23:00"]),
        (["9999-12-31T12:00+02:00", "2020-01-01T00:00+01:00"], ["9999-12-31T10:00", "2019-12-31T23:00"]),  # 2 offsets
        (["1500-02-29", "2000-01-01"], None),  # no such day (1500 is no leap year in the Gregorian calendar)
        (["9999-12-31", "31/12/2020"], None),  # not all ISO 8601
    ],
)
def test_csv_dates_beyond_the_nanoseconds_read_as_dates_whatever_the_pandas(texts, instants):
    # pandas 2 parses text into nanoseconds only: a 9999-12-31 sentinel became NaT, so the column
    # stayed text, a categorical of every date, and `hvrt partition` exited 0 (pandas 3 reads it,
    # and the partitioner names it, X20); two UTC offsets gave objects instead of an error
    from hvrt.cli import _iso_dates

    parsed = _iso_dates(pd.Series(texts, dtype=object))
    if instants is None:
        assert parsed is None
    else:
        assert parsed is not None
        np.testing.assert_array_equal(_utc_microseconds(parsed), np.array(instants, dtype="datetime64[us]"))


def test_a_csv_whose_first_date_is_a_sentinel_is_refused_naming_it(tmp_path):
    # read_table tries a column's first value alone first: 9999-12-31 there made it no date on pandas 2
    from hvrt.cli import read_table

    rng = np.random.default_rng(22)
    end = pd.Series(pd.date_range("2000-01-01", periods=100, freq="D").strftime("%Y-%m-%d")).where(np.arange(100) > 0, "9999-12-31")
    pd.DataFrame({"end": end, "v": rng.normal(size=100)}).to_csv(tmp_path / "s.csv", index=False)
    assert pd.api.types.is_datetime64_any_dtype(read_table(tmp_path / "s.csv", "csv")["end"])
    result = run("partition", tmp_path / "s.csv", "-k", 3, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2 and "X column 'end' holds 1 date(s) beyond" in result.stderr


def test_csv_floats_are_read_as_written_whole_and_in_chunks(tmp_path):
    # pandas 2's default CSV parser is an ulp off in about a quarter of floats: a model fitted on
    # a CSV differed from one fitted on the same frame in Python (predictions ~1e-14 apart)
    from hvrt.cli import iter_chunks, read_table

    rng = np.random.default_rng(23)
    n = 2000
    frame = pd.DataFrame({"wide": rng.normal(size=n) * 10.0 ** rng.integers(-300, 300, n), "y": rng.lognormal(3, 1, n)})
    frame.to_csv(tmp_path / "f.csv", index=False)
    whole = read_table(tmp_path / "f.csv", "csv")
    chunks = pd.concat(list(iter_chunks(tmp_path / "f.csv", "csv", 300)), ignore_index=True)
    for read in (whole, chunks):
        for column in frame.columns:
            np.testing.assert_array_equal(read[column].to_numpy().view(np.int64), frame[column].to_numpy().view(np.int64))


def test_label_a_parquet_file_of_many_row_groups(tmp_path, parquet, table):
    assert pq.ParquetFile(parquet).metadata.num_row_groups == 5
    result = run("partition", parquet, "-k", 16, "--columns", "a,b", "--columns", "city", "-o", tmp_path / "p.parquet",
                 "--model", tmp_path / "m.bin", "--engine", "hist")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    result = run("label", parquet, "--model", tmp_path / "m.bin", "-o", tmp_path / "l.parquet", "--chunk-rows", 100)
    assert result.exit_code == 0, result.stderr
    assert "in 12 chunk(s)" in result.stdout  # 100 rows at a time across the row groups
    labelled = pd.read_parquet(tmp_path / "l.parquet")
    model = hvrt.load(tmp_path / "m.bin")
    assert list(model.feature_names_in_) == ["a", "b", "city"]
    np.testing.assert_array_equal(labelled["partition"], model.get_partitions(table))
    np.testing.assert_array_equal(labelled["partition"], pd.read_parquet(tmp_path / "p.parquet")["partition"])
    pd.testing.assert_frame_equal(labelled.drop(columns="partition"), table)


def test_rules_of_a_saved_model_select_its_partitions(tmp_path, csv, table):
    run("partition", csv, "-k", 12, "--y", "y", "--engine", "hist", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    model = hvrt.load(tmp_path / "m.hvrt")
    printed = run("rules", "--model", tmp_path / "m.hvrt")
    assert printed.exit_code == 0, printed.stderr
    assert printed.stdout == model.export_rules() + "\n"
    result = run("rules", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "rules.csv")
    assert result.exit_code == 0, result.stderr
    written = pd.read_csv(tmp_path / "rules.csv")
    assert list(written["partition"]) == list(range(model.n_partitions_))
    labels = model.get_partitions(table)
    for partition, rule in zip(written["partition"], written["rule"]):
        selected = table.query(rule, engine="python").index
        np.testing.assert_array_equal(selected, np.flatnonzero(labels == partition))
    # a regressor's file gives its partitioner's rules; grown on the global ridge's residual,
    # their mean is the residual's, and says so (it read y_mean, about 0, beside a y near 3)
    run("regress", csv, "--y", "y", "-k", 6, "--model", tmp_path / "r.hvrt", "--engine", "exact")
    regressor = hvrt.load(tmp_path / "r.hvrt")
    assert regressor.partition_on_ == "residual"
    result = run("rules", "--model", tmp_path / "r.hvrt", "--precision", 3)
    assert result.exit_code == 0, result.stderr
    expected = regressor.partitioner_.export_rules(3).replace("  y_mean=", "  residual_mean=")
    assert result.stdout == expected + "\n" and "y_mean" not in result.stdout
    result = run("rules", "--model", tmp_path / "r.hvrt", "-o", tmp_path / "r_rules.csv")
    written = pd.read_csv(tmp_path / "r_rules.csv")
    assert list(written.columns) == ["partition", "n_samples", "residual_mean", "rule"]
    np.testing.assert_allclose(written["residual_mean"], regressor.partitioner_.partition_rules()["y_mean"])


def test_regress_then_predict_equals_the_python_api(tmp_path, csv, table):
    result = run("regress", csv, "--y", "y", "--model", tmp_path / "r.hvrt", "-o", tmp_path / "fit.csv")
    assert result.exit_code == 0, result.stderr
    assert "local models of 'y' on 1,200 rows" in result.stdout
    result = run("predict", csv, "--model", tmp_path / "r.hvrt", "-o", tmp_path / "pred.parquet", "--chunk-rows", 500)
    assert result.exit_code == 0, result.stderr
    X, y = table.drop(columns="y"), table["y"]
    expected = PartitionedRegressor(default_partitioner()).fit(X, y).predict(X)
    np.testing.assert_array_equal(pd.read_parquet(tmp_path / "pred.parquet")["prediction"], expected)
    np.testing.assert_array_equal(read_csv_exact(tmp_path / "fit.csv")["prediction"], expected)


def test_profile_writes_the_report_and_prints_its_path(tmp_path, csv):
    run("partition", csv, "-k", 8, "-o", tmp_path / "p.csv", "--engine", "exact")
    result = run("profile", tmp_path / "p.csv", "--labels", "partition", "--out", tmp_path / "profile")
    assert result.exit_code == 0, result.stderr
    report = tmp_path / "profile" / "report.html"
    assert str(report) in result.stdout and report.stat().st_size > 1000
    assert "feature_summary.csv" in files_in(tmp_path / "profile")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_profile_into_a_folder_of_the_users_keeps_their_files(tmp_path, table):
    # The report was made in a staging folder and moved in: a folder of the user's named like
    # a top feature was deleted with everything in it, and a re-run left the earlier run's files.
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "p": np.arange(300) % 4})
    frame.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("mine")
    result = run("profile", tmp_path / "d.csv", "--labels", "p", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "a" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "a" / "prop_variance_distribution.csv").exists() and (tmp_path / "b").is_dir()
    result = run("profile", tmp_path / "d.csv", "--labels", "p", "--columns", "a", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "b").exists()  # the earlier run's folder, which this run does not write
    assert (tmp_path / "a" / "notes.txt").read_text() == "mine" and (tmp_path / "d.csv").exists()


def test_profile_replaces_links_in_out_and_keeps_a_file_named_like_a_feature(tmp_path):
    # rep/feature_summary.csv -> ../elsewhere/important.csv was overwritten through the link,
    # and a file rep/a (named like a feature's folder) failed the run with a FileExistsError
    # traceback, exit 1, after part of the report was written
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "p": np.arange(300) % 4})
    frame.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "important.csv").write_text("mine")
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "feature_summary.csv").symlink_to(tmp_path / "elsewhere" / "important.csv")
    (tmp_path / "rep" / "a").write_text("mine too")
    result = run("profile", tmp_path / "d.csv", "--labels", "p", "--out", tmp_path / "rep")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / "important.csv").read_text() == "mine"
    assert (tmp_path / "rep" / "a").read_text() == "mine too" and (tmp_path / "rep" / "a_2").is_dir()
    assert "hvrt: warning:" in result.stderr and "go to 'a_2' instead" in result.stderr
    assert "variance_hhi" in (tmp_path / "rep" / "feature_summary.csv").read_text()


def test_quiet_prints_nothing(tmp_path, csv):
    result = run("partition", csv, "-k", 4, "-o", tmp_path / "p.csv", "--quiet")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
    assert (tmp_path / "p.csv").exists()


# --------------------------------------------------------------------------- bad input


def bad_inputs(tmp_path: Path, csv: Path) -> dict[str, tuple[list, str]]:
    """Each bad input: the arguments and a pattern of its one error line. docs/errors.md
    lists them too (tests/test_errors_doc.py runs them and compares the whole line)."""
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "notes.hvrt").write_text("hello")
    (tmp_path / "folder.csv").mkdir(exist_ok=True)
    run("partition", csv, "-k", 4, "-o", tmp_path / "p.csv", "--model", tmp_path / "part.hvrt", "--engine", "exact")
    run("regress", csv, "--y", "y", "-k", 4, "--model", tmp_path / "reg.hvrt", "--engine", "exact")
    frame = pd.read_csv(csv)
    frame.drop(columns="b").to_csv(tmp_path / "no_b.csv", index=False)
    frame[["y"]].to_csv(tmp_path / "only_y.csv", index=False)
    frame.assign(partition=0).to_csv(tmp_path / "labelled.csv", index=False)
    frame.assign(b=np.r_[np.inf, frame["b"].to_numpy()[1:]]).to_csv(tmp_path / "inf.csv", index=False)
    frame.assign(y=np.r_[1.0, 2.0, np.nan, frame["y"].to_numpy()[3:]]).to_csv(tmp_path / "y_gap.csv", index=False)
    (tmp_path / "broken.csv").write_text('a,b\n1,2\n"3,4\n')
    frame.iloc[:0].to_csv(tmp_path / "header_only.csv", index=False)
    (tmp_path / "twice_a.csv").write_text("a,a,b\n1,2,3\n4,5,6\n")
    (tmp_path / "empty.csv").write_text("")
    dated = pd.DataFrame({"when": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(40), unit="D"), "v": np.arange(40.0)})
    dated.to_csv(tmp_path / "dated.csv", index=False)
    run("partition", tmp_path / "dated.csv", "-k", 2, "-o", tmp_path / "dated_p.csv", "--model", tmp_path / "dated.hvrt", "--engine", "exact")
    (tmp_path / "not_a_date.csv").write_text("when,v\n2024-01-05,1\nsoon,2\n")
    (tmp_path / "rep" / "report.html").mkdir(parents=True, exist_ok=True)
    (tmp_path / "model.csv").write_bytes((tmp_path / "part.hvrt").read_bytes())  # a model saved under a table's name
    (tmp_path / "semi.csv").write_text("a;b;y\n1;2;3\n4;5;6\n")
    frame.assign(c=np.r_[1.0, np.nan, frame["c"].to_numpy()[2:]]).to_csv(tmp_path / "lab_gap.csv", index=False)
    frame.rename(columns={"a": "price, usd"}).to_csv(tmp_path / "comma.csv", index=False)
    (tmp_path / "implicit.csv").write_text("a,b\n0,1.5,2\n1,3.5,4\n2,0.5,1\n")  # a row index without its header cell
    (tmp_path / "cut.parquet").write_bytes(b"PAR1" + bytes(60))  # a Parquet file cut short: no footer
    (tmp_path / "latin1.csv").write_bytes("a,b\n1,2\ncafé,3\n".encode("latin-1"))
    (tmp_path / "sentinel.csv").write_text("end,v\n2020-01-01,1\n9999-12-31,2\n2021-05-06,3\n")
    frame.assign(c=np.r_[1.0, 2.5, frame["c"].to_numpy()[2:]]).to_csv(tmp_path / "lab_frac.csv", index=False)
    frame.assign(c=7).to_csv(tmp_path / "one_label.csv", index=False)
    (tmp_path / "data.csv.gz").write_bytes(b"")  # (refused by its name)
    (tmp_path / "typo_date.csv").write_text("when,v\n2024-01-05,1\n2024-02-30,2\n2024-03-07,3\n")
    codes = pd.DataFrame({"x": np.arange(40.0), "code": np.arange(40) % 4 + 1})
    codes.to_csv(tmp_path / "codes.csv", index=False)
    codes.assign(code=codes["code"].astype(float)).to_csv(tmp_path / "codes_float.csv", index=False)
    run("partition", tmp_path / "codes.csv", "-k", 2, "--categorical-features", "code", "-o", tmp_path / "codes_p.csv",
        "--model", tmp_path / "codes.hvrt", "--engine", "exact")  # fmt: skip
    out = tmp_path / "out.csv"
    return {
        "missing file": (["partition", tmp_path / "absent.csv", "-o", out], "input file '.*absent.csv' does not exist"),
        "unknown format": (["partition", tmp_path / "notes.txt", "-o", out], "unknown format of input"),
        "unknown output format": (["partition", csv, "-o", tmp_path / "out.xlsx"], "unknown format of output"),
        "unknown --y column": (["partition", csv, "--y", "z", "-o", out], "unknown --y column 'z'"),
        "unknown --columns column": (["partition", csv, "--columns", "a,zz", "-o", out], "unknown --columns column 'zz'"),
        "non-numeric --y": (["regress", csv, "--y", "city", "--model", tmp_path / "m.hvrt", "-o", out], "--y column 'city' .* is not numeric"),
        "K < 2": (["partition", csv, "-k", 1, "-o", out], "1 is not in the range x>=2"),
        "model without a column of the input": (["label", tmp_path / "no_b.csv", "--model", tmp_path / "part.hvrt", "-o", out], "lacks column 'b', which the model"),
        "a regressor given to label": (["label", csv, "--model", tmp_path / "reg.hvrt", "-o", out], "holds a PartitionedRegressor; `hvrt label` needs a partitioner"),
        "a partitioner given to predict": (["predict", csv, "--model", tmp_path / "part.hvrt", "-o", out], "holds an HVRTPartitioner; `hvrt predict` needs a regressor"),
        "not an hvrt model": (["label", csv, "--model", tmp_path / "notes.hvrt", "-o", out], "is not an hvrt model file; save one with `hvrt partition --model` or `hvrt regress --model`"),
        "missing model": (["predict", csv, "--model", tmp_path / "absent.hvrt", "-o", out], "model file .* does not exist"),
        "output folder missing": (["label", csv, "--model", tmp_path / "part.hvrt", "-o", tmp_path / "no" / "x.csv"], "the folder of output"),
        "model folder missing": (["partition", csv, "-o", out, "--model", tmp_path / "no" / "m.hvrt"], "the folder of --model"),
        "rules of a file that is not a model": (["rules", "--model", tmp_path / "notes.hvrt"], "is not an hvrt model file"),
        "unknown command": (["sort", csv], "No such command 'sort'"),
        "missing option": (["partition", csv], "Missing option '-o' / '--output'"),
        "invalid choice": (["partition", csv, "-o", out, "--engine", "gpu"], "Invalid value for '--engine'"),
        "a column both feature and --y": (["partition", csv, "--columns", "a,y", "--y", "y", "-o", out], "column 'y' is given both"),
        "no feature left": (["regress", tmp_path / "only_y.csv", "--y", "y", "--model", tmp_path / "m.hvrt"], "no column left to partition on"),
        "result column taken": (["partition", tmp_path / "labelled.csv", "-o", out], "already has a 'partition' column"),
        "unreadable CSV": (["partition", tmp_path / "broken.csv", "-o", out], "cannot read '.*broken.csv' as CSV: "),
        "a value the library refuses": (["partition", tmp_path / "inf.csv", "-o", out], r"X column\(s\) \['b'\] contain infinite values"),
        "unknown --labels column": (["profile", csv, "--labels", "z", "--out", tmp_path / "report"], "unknown --labels column 'z'"),
        "--out folder missing": (["profile", csv, "--labels", "c", "--out", tmp_path / "no" / "report"], "the folder of --out"),
        "output is a folder": (["partition", csv, "-o", tmp_path / "folder.csv"], "output '.*folder.csv' is a folder"),
        "--model is a folder": (["partition", csv, "-o", out, "--model", tmp_path], "--model '.*' is a folder"),
        "model file is a folder": (["label", csv, "--model", tmp_path, "-o", out], "model file '.*' is a folder, not a file"),
        "a --y with a gap for regress": (["regress", tmp_path / "y_gap.csv", "--y", "y", "--model", tmp_path / "m.hvrt"], "--y column 'y' of '.*y_gap.csv' has 1 missing or infinite value\\(s\\), first in data row 3"),
        "an input without rows": (["partition", tmp_path / "header_only.csv", "-o", out], "input '.*header_only.csv' has no rows"),
        "labelling an input without rows": (["label", tmp_path / "header_only.csv", "--model", tmp_path / "part.hvrt", "-o", out], "input '.*header_only.csv' has no rows"),
        "output is the input": (["label", csv, "--model", tmp_path / "part.hvrt", "-o", csv], "output '.*' is the input file; write to another file, or pass --overwrite-input"),
        "--model is the input": (["partition", csv, "-o", out, "--model", csv], "--model '.*' is the input file; saving the model there would replace that table"),
        "--model is the output": (["regress", csv, "--y", "y", "--model", out, "-o", out], "--model '.*out.csv' is the output file"),
        "a header naming two columns alike": (["partition", tmp_path / "twice_a.csv", "-o", out], "'.*twice_a.csv' has two columns named 'a' \\(columns 1 and 2\\)"),
        "--out is a file": (["profile", csv, "--labels", "c", "--out", csv], "--out '.*data.csv' is a file; give a folder for the report"),
        "a value that is not a date in a date column": (["label", tmp_path / "not_a_date.csv", "--model", tmp_path / "dated.hvrt", "-o", out], "column 'when' of '.*not_a_date.csv' held dates at fit, but data row 2 holds 'soon'"),
        "labelling an empty file": (["label", tmp_path / "empty.csv", "--model", tmp_path / "part.hvrt", "-o", out], "cannot read '.*empty.csv' as CSV: the file is empty \\(not even a header\\)"),
        "an output over its --model": (["label", csv, "--model", tmp_path / "model.csv", "-o", tmp_path / "model.csv"], "output '.*model.csv' is the --model file; write the labels to another file"),
        "a folder where the report writes a file": (["profile", csv, "--labels", "c", "--out", tmp_path / "rep"], "'.*rep/report.html' is a folder, where the profile writes its file 'report.html'"),
        "a CSV separated by semicolons": (["partition", tmp_path / "semi.csv", "-o", out], "'.*semi.csv' has one column, named 'a;b;y': it looks separated by ';'"),
        "a --labels column with a gap": (["profile", tmp_path / "lab_gap.csv", "--labels", "c", "--out", tmp_path / "report"], "--labels column 'c' of '.*lab_gap.csv' has 1 missing value\\(s\\), first in data row 2"),
        "a --columns name holding a comma, unescaped": (["partition", tmp_path / "comma.csv", "--columns", "price, usd", "-o", out], "unknown --columns column 'price' .*'price, usd', b, .* --columns 'price\\\\, usd'"),
        "rows one field longer than the header": (["partition", tmp_path / "implicit.csv", "-o", out], "'.*implicit.csv': its rows have one field more than its header \\(3 fields, 2 names\\)"),
        "library advice in command-line terms": (["partition", tmp_path / "sentinel.csv", "-o", out], "first '9999-12-31'; make them missing in the file"),
        "native encoding without the hist engine": (["partition", csv, "-o", out, "--engine", "exact", "--category-encoding", "native"], "--category-encoding native needs --engine hist"),
        "an unknown --categorical-features column": (["partition", csv, "--categorical-features", "c,zz", "-o", out], "unknown --categorical-features column 'zz' in '.*data.csv'"),
        "a CSV that is not UTF-8": (["partition", tmp_path / "latin1.csv", "-o", out], "cannot read '.*latin1.csv' as CSV: it is not UTF-8 text \\(line 3 holds the byte 0xe9\\); hvrt reads UTF-8 files"),
        "labelling a Parquet file cut short": (["label", tmp_path / "cut.parquet", "--model", tmp_path / "part.hvrt", "-o", out], "cannot read '.*cut.parquet' as PARQUET: Parquet magic bytes not found in footer"),
        "regress given two --y columns": (["regress", csv, "--y", "y", "--y", "a", "--model", tmp_path / "m.hvrt"], "--y is given 2 columns \\('y', 'a'\\); regress predicts one: give one --y"),
        "an input that is a folder": (["label", tmp_path / "folder.csv", "--model", tmp_path / "part.hvrt", "-o", out], "input '.*folder.csv' is a folder; give a file \\(hvrt reads one CSV or Parquet file\\)"),
        "a --categorical-features column that is --y": (["regress", csv, "--y", "y", "--categorical-features", "c,y", "--model", tmp_path / "m.hvrt"], "--categorical-features column 'y' is --y, not a feature; list feature columns only"),
        "--y-weight without --y": (["partition", csv, "--y-weight", "1", "-o", out], "--y-weight is the share of the target that --y carries; name the --y column\\(s\\) it weighs"),
        "a --labels column of fractions": (["profile", tmp_path / "lab_frac.csv", "--labels", "c", "--out", tmp_path / "report"], "--labels column 'c' of '.*lab_frac.csv' holds 1 value\\(s\\) that are not whole numbers, first 2.5 in data row 2"),
        "a compressed CSV": (["partition", tmp_path / "data.csv.gz", "-o", out], "input '.*data.csv.gz' is compressed \\(.gz\\), which hvrt does not read: decompress it first"),
        "a --labels column of one label": (["profile", tmp_path / "one_label.csv", "--labels", "c", "--out", tmp_path / "report"], "--labels column 'c' of '.*one_label.csv' holds one partition label \\(7 in every row\\); a profile compares partitions"),
        "a column of dates with one that is not a date": (["partition", tmp_path / "typo_date.csv", "-o", out], "column 'when' of '.*typo_date.csv' holds ISO 8601 dates, but data row 2 holds '2024-02-30', which is not an ISO 8601 date \\(1 of its 3 values is not\\)"),
        "a code written otherwise than at fit": (["label", tmp_path / "codes_float.csv", "--model", tmp_path / "codes.hvrt", "-o", out], "column 'code' of '.*codes_float.csv': data row 1 holds '1.0', a category the model '.*codes.hvrt' never saw, which is its category '1' written otherwise"),
    }  # fmt: skip


CASES = [
    "missing file", "unknown format", "unknown output format", "unknown --y column", "unknown --columns column",
    "non-numeric --y", "K < 2", "model without a column of the input", "a regressor given to label",
    "a partitioner given to predict", "not an hvrt model", "missing model", "output folder missing",
    "model folder missing", "rules of a file that is not a model", "unknown command", "missing option", "invalid choice",
    "a column both feature and --y", "no feature left", "result column taken", "unreadable CSV",
    "a value the library refuses", "unknown --labels column", "--out folder missing", "output is a folder",
    "--model is a folder", "model file is a folder", "an input without rows", "labelling an input without rows",
    "a --y with a gap for regress", "output is the input", "--model is the input", "--model is the output",
    "a header naming two columns alike", "labelling an empty file", "--out is a file",
    "a value that is not a date in a date column", "a folder where the report writes a file",
    "an output over its --model", "a CSV separated by semicolons", "a --labels column with a gap",
    "a --columns name holding a comma, unescaped", "rows one field longer than the header",
    "library advice in command-line terms", "native encoding without the hist engine",
    "an unknown --categorical-features column", "a --categorical-features column that is --y", "a CSV that is not UTF-8",
    "labelling a Parquet file cut short", "regress given two --y columns",
    "an input that is a folder", "--y-weight without --y", "a --labels column of fractions", "a --labels column of one label",
    "a compressed CSV", "a column of dates with one that is not a date", "a code written otherwise than at fit",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, csv, case):
    args, message = bad_inputs(tmp_path, csv)[case]
    before = files_in(tmp_path)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hvrt: error: "), result.stderr
    assert pytest.importorskip("re").search(message, lines[0]), lines[0]
    assert files_in(tmp_path) == before  # no output, no temporary file


def test_an_output_over_its_input_needs_overwrite_input(tmp_path, csv, table, monkeypatch):
    # `hvrt label x.csv -o x.csv` replaced the input without a word (and a second run then
    # failed on the 'partition' column the first had added)
    before = csv.read_bytes()
    run("partition", csv, "-k", 4, "-o", tmp_path / "p.csv", "--model", tmp_path / "part.hvrt", "--engine", "exact")
    monkeypatch.chdir(tmp_path)  # the same file by another spelling, and through a link
    (tmp_path / "link.csv").symlink_to(csv)
    for output in ("./data.csv", "link.csv"):
        refused = run("label", "data.csv", "--model", "part.hvrt", "-o", output)
        assert refused.exit_code == 2 and "is the input file" in refused.stderr and "--overwrite-input" in refused.stderr
    refused = run("partition", "data.csv", "-k", 4, "-o", "data.csv")
    assert refused.exit_code == 2 and "is the input file" in refused.stderr
    assert csv.read_bytes() == before
    labelled = pd.read_csv(tmp_path / "p.csv")["partition"]
    done = run("label", "data.csv", "--model", "part.hvrt", "-o", "data.csv", "--overwrite-input")
    assert done.exit_code == 0, done.output
    replaced = pd.read_csv(csv)
    assert list(replaced.columns) == [*table.columns, "partition"]
    np.testing.assert_array_equal(replaced["partition"], labelled)
    # a --model over a table is refused with no flag to allow it, for every command that saves one
    for args in (["partition", "p.csv", "-o", "q.csv", "--model", "p.csv"], ["regress", "data.csv", "--y", "y", "--model", "r.csv", "-o", "r.csv"]):
        refused = run(*args)
        assert refused.exit_code == 2 and "saving the model there would replace that table" in refused.stderr
    # rules written over the model they are read from
    (tmp_path / "model.csv").write_bytes((tmp_path / "part.hvrt").read_bytes())
    refused = run("rules", "--model", "model.csv", "-o", "model.csv")
    assert refused.exit_code == 2 and "is the --model file" in refused.stderr
    assert (tmp_path / "model.csv").read_bytes() == (tmp_path / "part.hvrt").read_bytes()


def test_a_crafted_pickle_given_as_model_is_refused_and_never_run(tmp_path, csv):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (tmp_path / "model.hvrt").write_bytes(pickle.dumps(Payload()))
    result = run("label", csv, "--model", tmp_path / "model.hvrt", "-o", tmp_path / "out.csv")
    assert result.exit_code == 2
    assert "looks like a pickle" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not marker.exists() and not (tmp_path / "out.csv").exists()


def test_a_failure_in_a_late_chunk_leaves_no_output(tmp_path, csv, table):
    run("partition", csv, "-k", 4, "--y", "y", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt", "--engine", "exact")
    broken = table.astype({"b": object})
    broken.loc[1100, "b"] = "oops"  # the fourth chunk of 300 rows is not numeric
    broken.to_csv(tmp_path / "broken.csv", index=False)
    (tmp_path / "out.csv").write_text("an older result\n")
    before = files_in(tmp_path)
    result = run("label", tmp_path / "broken.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "out.csv", "--chunk-rows", 300)
    assert result.exit_code == 2 and "'b'" in result.stderr and len(result.stderr.splitlines()) == 1
    assert files_in(tmp_path) == before
    assert (tmp_path / "out.csv").read_text() == "an older result\n"  # untouched


def test_parquet_without_pyarrow_names_the_extra(tmp_path, parquet, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = run("partition", parquet, "-o", tmp_path / "p.csv")
    assert result.exit_code == 1
    assert 'pip install "hvrt-partitioner[parquet]"' in result.stderr and len(result.stderr.splitlines()) == 1


def test_help_states_the_exit_codes(tmp_path):
    # `hvrt --help` said nothing of the exit codes a script should test
    result = run("--help")
    assert result.exit_code == 0
    codes = dict(re.findall(r"^\s+(\d+)\s+(\S.*)$", result.stdout, re.MULTILINE))
    assert set(codes) == {"0", "1", "2", "130"}, result.stdout
    assert run("partition", tmp_path / "absent.csv", "-o", tmp_path / "o.csv").exit_code == 2
    assert "bad input" in codes["2"]

def test_python_m_hvrt_reports_bad_input_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hvrt", "label", str(tmp_path / "absent.csv"), "--model", "m.hvrt", "-o", "x.csv"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("hvrt: error: input file") and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_csv_date_column_across_a_daylight_saving_change_is_read_as_dates(tmp_path):
    # pandas writes Europe/Paris times with their offset of the day: +01:00, then +02:00 from
    # 31 March. Mixed offsets made pandas refuse the column as dates, so it became a
    # categorical of 600 distinct times, the partitions blind to its order, without a word.
    rng = np.random.default_rng(3)
    n = 600
    when = pd.Series(pd.date_range("2024-03-20", periods=n, freq="50min", tz="Europe/Paris"))
    table = pd.DataFrame({"when": when, "x": rng.normal(size=n)})
    table.to_csv(tmp_path / "t.csv", index=False)
    assert {text[-6:] for text in pd.read_csv(tmp_path / "t.csv")["when"]} == {"+01:00", "+02:00"}
    # labelled in chunks, some of which hold one offset only, the labels are those of the fit
    _partition_and_label_in_chunks(tmp_path, table, chunk_rows=100)
    # naive times among times with an offset are no dates (no zone for the naive ones is right),
    # and not silently text either (a categorical of every distinct time): refused by their row
    mixed = table.assign(when=table["when"].astype(str).where(table.index % 2 == 0, "2024-03-25 10:00:00"))
    mixed.to_csv(tmp_path / "m.csv", index=False)
    from hvrt.cli import read_table

    assert not pd.api.types.is_datetime64_any_dtype(read_table(tmp_path / "m.csv", "csv")["when"])
    result = run("partition", tmp_path / "m.csv", "-k", 6, "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert "data row 2 holds '2024-03-25 10:00:00', which has no UTC offset, while data row 1 before it has one" in result.stderr


def _partition_and_label_in_chunks(tmp_path: Path, table: pd.DataFrame, chunk_rows: int) -> None:
    """`hvrt partition` of t.csv gives the library's labels of ``table``, and `hvrt label` in
    chunks of ``chunk_rows`` rows gives them again."""
    result = run("partition", tmp_path / "t.csv", "-k", 6, "--engine", "exact", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.stderr
    expected = HVRTPartitioner(max_leaf_nodes=6, engine="exact").fit(table).labels_
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "p.csv")["partition"], expected)
    result = run("label", tmp_path / "t.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", chunk_rows)
    assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "l.csv")["partition"], expected)


def test_a_csv_duration_column_is_read_as_durations(tmp_path):
    # pandas writes a duration as "0 days 00:19:13.704665921": read back as text, it was a
    # categorical of every distinct duration (one-hot into thousands of inputs on the exact engine)
    rng = np.random.default_rng(4)
    n = 500
    took = pd.Series(pd.to_timedelta(rng.gamma(2.0, 600.0, n), unit="s"))
    table = pd.DataFrame({"took": took, "x": rng.normal(size=n)})
    table.loc[7, "took"] = pd.NaT
    table.to_csv(tmp_path / "t.csv", index=False)
    _partition_and_label_in_chunks(tmp_path, table, chunk_rows=90)
    # ISO 8601 durations too; words or bare numbers as text are not durations
    from hvrt.cli import read_table

    pd.DataFrame({"iso": ["PT5M", "P2DT1H", "PT0.5S"], "word": ["5", "P", "days"]}).to_csv(tmp_path / "i.csv", index=False)
    read = read_table(tmp_path / "i.csv", "csv")
    assert list(read["iso"]) == list(pd.to_timedelta(["5min", "2D1h", "0.5s"]))
    assert not pd.api.types.is_timedelta64_dtype(read["word"])


def test_progress_lines_of_the_command_and_its_estimator_share_one_clock(tmp_path, csv, monkeypatch, caplog):
    # the partitioner's step lines counted from the fit's start (0.00 s, 0.11 s, ...) between the
    # command's lines counted from its own (reading 0.00 s, writing 2.05 s): two clocks in one list
    import io
    import logging
    import re
    import time

    from hvrt import _progress
    from hvrt.cli import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    with caplog.at_level(logging.INFO, logger="hvrt"):
        progress = Progress(quiet=False)
        progress.step("reading")
        time.sleep(0.05)
        progress.step("read")  # [0.05 s]: a fit counting from its own start would log 0.00 s next
        HVRTPartitioner(4, engine="exact", verbose=True).fit(pd.read_csv(csv)[["a", "b", "c"]])
        progress.step("writing")
    seconds = [float(re.search(r"\[(\d+\.\d+) s\]$", record.getMessage()).group(1)) for record in caplog.records]
    assert len(seconds) >= 4 and seconds == sorted(seconds)
    assert _progress.StepLog(True, "x").start == progress._log.start
    monkeypatch.undo()
    run("partition", csv, "-k", 4, "-o", tmp_path / "p.csv", "--quiet")  # a command ends the sharing
    assert _progress._shared_start is None


def test_a_command_that_fails_with_a_traceback_still_ends_the_shared_clock(tmp_path, monkeypatch):
    # HVRT_TRACEBACK=1 lets the error out of main: later library logs must not count from it
    from hvrt import _progress

    pd.DataFrame({"a": np.arange(50.0), "b": np.r_[np.arange(49.0), np.inf]}).to_csv(tmp_path / "i.csv", index=False)
    monkeypatch.setenv("HVRT_TRACEBACK", "1")
    with pytest.raises(ValueError, match="infinite"):
        run("partition", tmp_path / "i.csv", "-o", tmp_path / "p.csv")
    assert _progress._shared_start is None


def test_a_parquet_input_without_rows_is_named(tmp_path, table):
    table.iloc[:0].to_parquet(tmp_path / "empty.parquet", index=False)
    result = run("partition", tmp_path / "empty.parquet", "-o", tmp_path / "out.csv")
    assert result.exit_code == 2 and result.stderr.strip().endswith("empty.parquet' has no rows"), result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_column_named_twice_counts_once(tmp_path, csv):
    # --columns a --columns a,b was "X has duplicate column names: ['a']", a message about X
    # the user never wrote; --y y --y y made y two identical columns
    once = run("partition", csv, "--columns", "a,b", "--y", "y", "-k", 4, "--engine", "exact", "-o", tmp_path / "once.csv")
    twice = run("partition", csv, "--columns", "a", "--columns", "a, b", "--y", "y", "--y", "y", "-k", 4,
                "--engine", "exact", "-o", tmp_path / "twice.csv")
    assert once.exit_code == 0 and twice.exit_code == 0, twice.stderr
    assert pd.read_csv(tmp_path / "once.csv").equals(pd.read_csv(tmp_path / "twice.csv"))


def test_summaries_count_one_in_the_singular(tmp_path, table):
    # "partitioned 1 rows x 6 columns into 1 partitions", and a median of sizes 1 and 2 read 1
    table.iloc[:1].to_csv(tmp_path / "one.csv", index=False)
    table.iloc[:3].to_csv(tmp_path / "three.csv", index=False)
    result = run("partition", tmp_path / "one.csv", "-o", tmp_path / "p1.csv")
    assert result.exit_code == 0, result.output
    assert f"partitioned 1 row x {table.shape[1]} columns into 1 partition (engine" in result.stdout
    result = run("partition", tmp_path / "three.csv", "-k", 2, "-o", tmp_path / "p3.csv", "--engine", "exact")
    assert "into 2 partitions" in result.stdout and "sizes min 1 / median 1.5 / max 2" in result.stdout, result.stdout


def test_a_nameless_column_used_as_a_feature_is_warned_of(tmp_path, table):
    # DataFrame.to_csv writes the row index under an empty name by default; pandas reads it as
    # 'Unnamed: 0', and it was partitioned on like any feature without a word
    table.to_csv(tmp_path / "indexed.csv")
    result = run("partition", tmp_path / "indexed.csv", "-k", 4, "-o", tmp_path / "p.csv", "--engine", "exact")
    assert result.exit_code == 0, result.output
    assert "hvrt: warning:" in result.stderr and "pandas calls it 'Unnamed: 0'" in result.stderr
    assert "leave it out with --columns" in result.stderr
    result = run("partition", tmp_path / "indexed.csv", "-k", 4, "-o", tmp_path / "p.csv", "--columns", "a,b")
    assert result.exit_code == 0 and result.stderr == ""  # left out: nothing to say


def test_rows_one_field_longer_than_the_header_are_refused_by_label_too(tmp_path, table):
    # a row index saved without its header cell: pandas took it as the index, and the output dropped it, exit 0
    table.to_csv(tmp_path / "plain.csv", index=False)
    run("partition", tmp_path / "plain.csv", "-k", 4, "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    text = (tmp_path / "plain.csv").read_text().splitlines()
    rows = [text[0]] + [f"{i + 10},{line}" for i, line in enumerate(text[1:])]
    (tmp_path / "implicit.csv").write_text("\n".join(rows) + "\n")
    result = run("label", tmp_path / "implicit.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv")
    assert result.exit_code == 2, result.output
    assert "its rows have one field more than its header" in result.stderr
    assert not (tmp_path / "l.csv").exists()


def test_a_numeric_column_with_a_stray_text_value_is_warned_of(tmp_path):
    # one "unknown" among 1,000 quantities made the column a categorical of every quantity, exit 0, no word
    rng = np.random.default_rng(22)
    qty = rng.integers(1, 200, 1000).astype(object)
    qty[456] = "unknown"
    pd.DataFrame({"qty": qty, "b": rng.normal(size=1000)}).to_csv(tmp_path / "typo.csv", index=False)
    result = run("partition", tmp_path / "typo.csv", "-k", 4, "-o", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("hvrt: warning: column 'qty' holds numbers but for 1 of its 1,000 values, which are not numbers ('unknown')")
    assert len(result.stderr.splitlines()) == 1


def test_a_header_with_several_blank_names_is_read(tmp_path, table):
    # a spreadsheet export with trailing commas (x,z,,) was refused as naming two columns alike
    lines = ["a,b,,"] + [f"{a},{b},," for a, b in zip(table["b"].head(60), table["c"].head(60))]
    (tmp_path / "export.csv").write_text("\n".join(lines) + "\n")
    result = run("partition", tmp_path / "export.csv", "-k", 2, "--columns", "a,b", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert (tmp_path / "p.csv").read_text().splitlines()[0] == "a,b,,,partition"  # the header as written
    result = run("label", tmp_path / "export.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", 25)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "l.csv").read_text() == (tmp_path / "p.csv").read_text()
    (tmp_path / "twice.csv").write_text("a,,a\n1,2,3\n")  # a name given twice beside a blank: refused
    result = run("partition", tmp_path / "twice.csv", "-o", tmp_path / "q.csv")
    assert result.exit_code == 2 and "two columns named 'a' (columns 1 and 3)" in result.stderr


def test_a_parquet_output_takes_chunks_whose_csv_types_differ(tmp_path, table):
    # CSV chunks are typed one by one: a column of whole numbers in the first chunk that holds
    # 7.5 later, or one empty in the first chunk and text later, failed the whole run
    # ("Float value 7.5 was truncated converting to int64") when the output was Parquet.
    pytest.importorskip("pyarrow")
    frame = table.copy()
    n = len(frame)
    frame["count"] = np.arange(n).astype(float)
    frame.loc[n - 1, "count"] = 7.5  # whole numbers until the last chunk
    frame["note"] = np.where(np.arange(n) >= n - 10, "late", None)  # empty until the last chunk
    frame.to_csv(tmp_path / "data.csv", index=False)
    run("partition", tmp_path / "data.csv", "-k", 4, "--columns", "a,b", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt", "--engine", "exact")
    result = run("label", tmp_path / "data.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.parquet", "--chunk-rows", 500)
    assert result.exit_code == 0, result.stderr
    labelled = pd.read_parquet(tmp_path / "l.parquet")
    whole = pd.read_csv(tmp_path / "data.csv")
    np.testing.assert_array_equal(labelled["count"].to_numpy(), whole["count"].to_numpy())
    assert labelled["note"].isna().sum() == n - 10 and set(labelled["note"].dropna()) == {"late"}
    np.testing.assert_array_equal(labelled["partition"], pd.read_csv(tmp_path / "p.csv")["partition"])
    assert sorted(p.name for p in tmp_path.iterdir() if "widening" in p.name or p.name.endswith(".part")) == []
    # text in the first chunk and numbers after it: refused by name (a CSV output takes it)
    frame.assign(code=np.where(np.arange(n) < 500, "x", "5")).to_csv(tmp_path / "mixed.csv", index=False)
    result = run("label", tmp_path / "mixed.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "x.parquet", "--chunk-rows", 500)
    assert result.exit_code == 2 and not (tmp_path / "x.parquet").exists()
    assert "column 'code' holds text in the first 500 rows and whole numbers after them" in result.stderr


def test_whole_numbers_beyond_2_53_with_gaps_come_out_exact(tmp_path):
    # pandas reads an integer column with a gap as float64: the id 9007199254740993 came out
    # of `partition` (and of a `label` chunk with a gap) as 9007199254740992.0
    ids = ["9007199254740993", "9007199254740995", "", "18014398509481985", "7"] * 4
    lines = ["id,v"] + [f"{i},{k % 7}" for k, i in enumerate(ids)]
    (tmp_path / "ids.csv").write_text("\n".join(lines) + "\n")
    expected = [i for i in ids]
    result = run("partition", tmp_path / "ids.csv", "-k", 2, "--columns", "v", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.stderr
    written = [line.split(",")[0] for line in (tmp_path / "p.csv").read_text().splitlines()[1:]]
    assert written == expected
    for chunk_rows in (3, 100):
        result = run("label", tmp_path / "ids.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0, result.stderr
        assert [line.split(",")[0] for line in (tmp_path / "l.csv").read_text().splitlines()[1:]] == expected
    # a column that also holds a decimal is floats, as pandas reads it, but a CSV output copies its text
    (tmp_path / "mixed.csv").write_text("id,v\n9007199254740993,1\n,2\n0.5,3\n4,4\n")
    result = run("partition", tmp_path / "mixed.csv", "-k", 2, "--columns", "v", "-o", tmp_path / "q.csv")
    assert result.exit_code == 0 and (tmp_path / "q.csv").read_text().splitlines()[1].startswith("9007199254740993,1,")


def test_a_parquet_output_keeps_ids_beyond_2_53_that_come_after_a_chunk_of_small_ones(tmp_path):
    # the first chunk's ids (a gap, small whole numbers) are floats, a later chunk's beyond 2**53
    # are integers: the output widened to floats and wrote 9007199254741013 as 9007199254741012.0,
    # where `partition` keeps it exact; read back, the column was float64, not Int64
    pytest.importorskip("pyarrow")
    ids = ["", "1", "2", "3"] + [str(2**53 + 21 + 2 * i) for i in range(4)] + ["", "5", "6", "9007199254741001"]
    lines = ["id,v"] + [f"{i},{k % 5}" for k, i in enumerate(ids)]
    (tmp_path / "ids.csv").write_text("\n".join(lines) + "\n")
    result = run("partition", tmp_path / "ids.csv", "-k", 2, "--columns", "v", "-o", tmp_path / "p.parquet", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.stderr
    whole = pd.read_parquet(tmp_path / "p.parquet")
    assert str(whole["id"].dtype) == "Int64" and whole["id"].iloc[4] == 2**53 + 21
    for chunk_rows in (4, 3):
        result = run("label", tmp_path / "ids.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.parquet", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0, result.stderr
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "l.parquet"), whole)
    # ids beyond 2**53 everywhere, a gap in a later chunk only: the file held them exactly, but
    # its metadata named the column int64 (the first chunk's), which pandas reads back with
    # gaps as floats: 9007199254740993 came back 9007199254740992.0
    ids = [str(2**53 + 1 + 2 * i) for i in range(6)] + ["", str(2**53 + 99)]
    (tmp_path / "late_gap.csv").write_text("id,v\n" + "".join(f"{i},{k % 3}\n" for k, i in enumerate(ids)))
    run("partition", tmp_path / "late_gap.csv", "-k", 2, "--columns", "v", "-o", tmp_path / "gp.parquet", "--model", tmp_path / "g.hvrt")
    for chunk_rows in (3, 1):  # the gap in a chunk of its own, too
        result = run("label", tmp_path / "late_gap.csv", "--model", tmp_path / "g.hvrt", "-o", tmp_path / "gl.parquet", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0, result.stderr
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "gl.parquet"), pd.read_parquet(tmp_path / "gp.parquet"))
    # floats that are not all whole before the big ids: floats, as a whole-file read gives
    (tmp_path / "half.csv").write_text("id,v\n0.5,1\n,2\n9007199254740993,3\n9007199254740995,4\n")
    run("partition", tmp_path / "half.csv", "-k", 2, "--columns", "v", "-o", tmp_path / "hp.parquet", "--model", tmp_path / "h.hvrt")
    result = run("label", tmp_path / "half.csv", "--model", tmp_path / "h.hvrt", "-o", tmp_path / "hl.parquet", "--chunk-rows", 2)
    assert result.exit_code == 0, result.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "hl.parquet"), pd.read_parquet(tmp_path / "hp.parquet"))


def test_a_parquet_output_takes_a_chunk_with_nothing_in_a_text_column(tmp_path):
    # text in the first rows and empty after them, while another column widens the schema:
    # refused as "holds text in the first 20 rows and numbers after them"
    pytest.importorskip("pyarrow")
    n = 40
    frame = pd.DataFrame({"v": np.arange(n) % 7, "note": np.where(np.arange(n) < 10, "early", None),
                          "count": [str(i) for i in range(n - 1)] + ["7.5"]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    run("partition", tmp_path / "d.csv", "-k", 2, "--columns", "v", "-o", tmp_path / "p.parquet", "--model", tmp_path / "m.hvrt")
    result = run("label", tmp_path / "d.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.parquet", "--chunk-rows", 20)
    assert result.exit_code == 0, result.stderr
    labelled = pd.read_parquet(tmp_path / "l.parquet")
    assert labelled["note"].iloc[:10].tolist() == ["early"] * 10 and labelled["note"].iloc[10:].isna().all()
    np.testing.assert_array_equal(labelled["count"], frame["count"].astype(float))
    np.testing.assert_array_equal(labelled["partition"], pd.read_parquet(tmp_path / "p.parquet")["partition"])


def test_whole_numbers_beyond_2_53_stay_exact_whichever_chunk_first_needs_them(tmp_path):
    # The columns to read again as integers are read by a second reader kept in step with the
    # chunks (the file was read from its start for every chunk: rows²/chunk work); it starts
    # at the first chunk that needs it, again when a later chunk needs another column, and
    # keeps step across a quoted line break and a blank line.
    big = 2**53 + 1
    lines = ["id,ref,x,note"]
    for i in range(30):
        ident = "" if i % 7 == 3 else str(big + 2 * i)
        ref = "" if i in (5, 22) else str(i if i < 17 else big + 10 * i)  # small until row 17
        note = '"two\nlines"' if i == 9 else "n"
        lines.append(f"{ident},{ref},{(i * 37 % 11) / 10},{note}")
        if i == 12:
            lines.append("")
    (tmp_path / "ids.csv").write_text("\n".join(lines) + "\n")
    result = run("partition", tmp_path / "ids.csv", "-k", 2, "--columns", "x", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.stderr
    expected = (tmp_path / "p.csv").read_text()
    assert f"\n{big + 2 * 29},{big + 290}," in expected
    for chunk_rows in (1, 2, 4, 5, 11, 100):
        result = run("label", tmp_path / "ids.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0, result.stderr
        written = pd.read_csv(tmp_path / "l.csv", dtype=str, keep_default_na=False)
        wanted = pd.read_csv(tmp_path / "p.csv", dtype=str, keep_default_na=False)
        pd.testing.assert_series_equal(written["id"], wanted["id"])
        # ref's small ids too: `3`, not the `3.0` its first chunks (a gap: floats) wrote
        assert (tmp_path / "l.csv").read_text() == expected, chunk_rows


def test_small_ids_with_a_gap_then_ids_beyond_2_53_are_written_as_partition_writes_them(tmp_path):
    # a whole-file read makes such a column integers (`3`, the big ids exact); label's first
    # chunks (a gap: floats) wrote `3.0`, whichever came first, the gap or the big ids
    big = 2**60
    cases = {
        "gap first": ["", *map(str, range(1, 9)), *(str(big + i) for i in range(6))],
        "gap with the big ids": ["7", "", *map(str, range(1, 8)), "", *(str(big + i) for i in range(5))],
        "big ids first": [*(str(big + i) for i in range(5)), *map(str, range(5, 12)), "", "-0", "4"],
    }
    for case, ids in cases.items():
        lines = ["id,x,note"] + [f"{i},{(k * 37 % 11) / 10},\"a, {k}\"" for k, i in enumerate(ids)]
        (tmp_path / "ids.csv").write_text("\n".join(lines) + "\n")
        run("partition", tmp_path / "ids.csv", "-k", 2, "--columns", "x", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
        expected = (tmp_path / "p.csv").read_text()
        assert f"\n{big + 4}," in expected and "\n4," in expected and not re.search(r"^-?\d+\.0,", expected, re.M), case
        for chunk_rows in (2, 4, 7):
            result = run("label", tmp_path / "ids.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", chunk_rows)
            assert result.exit_code == 0, result.stderr
            assert (tmp_path / "l.csv").read_text() == expected, (case, chunk_rows)
    # a column of fractions, gaps and big ids: each cell as written, whatever the chunks
    (tmp_path / "half.csv").write_text("id,x\n0.5,1\n,2\n3,3\n9007199254740993,4\n")
    result = run("label", tmp_path / "half.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "h.csv", "--chunk-rows", 3)
    assert result.exit_code == 0, result.stderr
    written = [line.split(",")[0] for line in (tmp_path / "h.csv").read_text().splitlines()[1:]]
    assert written == ["0.5", "", "3", "9007199254740993"]


def test_a_csv_column_with_a_gap_in_the_first_chunk_stays_floats_in_later_chunks(tmp_path):
    # pandas reads the first chunk's column with a gap as floats (0.0) and a later chunk's
    # without one as integers: label wrote 0.0 then 3 where partition writes 0.0 and 3.0
    lines = ["id,x"] + [f"{'' if i == 1 else i},{(i * 37 % 11) / 10}" for i in range(12)]
    (tmp_path / "gap.csv").write_text("\n".join(lines) + "\n")
    run("partition", tmp_path / "gap.csv", "-k", 2, "--columns", "x", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    assert (tmp_path / "p.csv").read_text().splitlines()[4].startswith("3,")  # as written
    for chunk_rows in (3, 5):
        result = run("label", tmp_path / "gap.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / "l.csv").read_text() == (tmp_path / "p.csv").read_text()


def test_label_reads_chunks_of_a_dates_and_text_column_as_the_fit_did(tmp_path):
    # a column of dates and text given to --categorical-features is text at fit (without it, a
    # column mostly of dates with some text is refused, C57); a chunk holding only its dates is
    # read as text too (the model's text columns), so the labels are the fit's
    n = 60
    i = np.arange(n)
    day = (pd.Timestamp("2024-01-01") + pd.to_timedelta(i % 4, unit="D")).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"x": (i * 37 % 11) / 10, "when": np.where(i >= 50, "unknown", day), "y": (i % 4) * 2.0})
    frame.to_csv(tmp_path / "d.csv", index=False)
    result = run("partition", tmp_path / "d.csv", "-k", 6, "--y", "y", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 2 and "data row 51 holds 'unknown', which is not an ISO 8601 date" in result.stderr
    result = run("partition", tmp_path / "d.csv", "-k", 6, "--y", "y", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt",
                 "--categorical-features", "when")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    fitted = pd.read_csv(tmp_path / "p.csv")["partition"]
    assert fitted.nunique() == 6
    for chunk_rows in (7, 50):  # chunks of dates only, then of dates and text
        result = run("label", tmp_path / "d.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0, result.stderr
        np.testing.assert_array_equal(pd.read_csv(tmp_path / "l.csv")["partition"], fitted)


# --------------------------------------------------------------------------- the user's cells as written


def test_a_csv_output_copies_the_users_cells_as_written(tmp_path, monkeypatch):
    # pandas' types rewrote the user's own columns in every output, --overwrite-input too:
    # 05004 -> 5004, TRUE -> True, NA -> empty, 0.37449676558788236314 -> 0.37449676558788236,
    # 2021-01-01T00:00:00+01:00 -> 2020-12-31 23:00:00+00:00, the nameless header -> Unnamed: 0,
    # CRLF -> LF and the byte-order mark dropped. The output is each input line plus a field.
    rng = np.random.default_rng(31)
    n = 40
    records = [",zip,flag,note,ratio,when,text,x"]
    for i in range(n):
        when = f"2021-0{1 + i % 9}-0{1 + i % 9}T00:00:00+0{1 + i % 2}:00"
        text = ['"a, b"', '"say ""hi"""', '"two\r\nlines"', "plain", " spaced "][i % 5]
        records.append(f"{i},{i * 7 % 90000:05d},{'TRUE' if i % 2 else 'FALSE'},{'NA' if i % 3 else 'ok'},"
                       f"0.{rng.integers(10**17, 10**18)}{i % 10}{i % 7}{i % 3},{when},{text},{rng.normal():.17g}")
    raw = "\ufeff" + "".join(record + "\r\n" for record in records)
    (tmp_path / "d.csv").write_bytes(raw.encode())
    original = (tmp_path / "d.csv").read_bytes()
    result = run("partition", tmp_path / "d.csv", "-k", 3, "--columns", "x,ratio", "-o", tmp_path / "p.csv",
                 "--model", tmp_path / "m.hvrt")  # fmt: skip
    assert result.exit_code == 0, result.output
    labels = hvrt.load(tmp_path / "m.hvrt").labels_
    assert len(set(labels)) == 3
    expected = ("\ufeff" + records[0] + ",partition\r\n"
                + "".join(f"{record},{label}\r\n" for record, label in zip(records[1:], labels))).encode()  # fmt: skip
    assert (tmp_path / "p.csv").read_bytes() == expected
    for chunk_rows in (1, 3, 7, 100):
        result = run("label", tmp_path / "d.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0, result.output
        assert (tmp_path / "l.csv").read_bytes() == expected, chunk_rows
    # the same bytes when pandas reads the text (without pyarrow, or when pyarrow refuses a line)
    import hvrt._row_copy as row_copy

    monkeypatch.setattr(row_copy, "_arrow", lambda: None)
    for command in (["partition", tmp_path / "d.csv", "-k", 3, "--columns", "x,ratio"],
                    ["label", tmp_path / "d.csv", "--model", tmp_path / "m.hvrt", "--chunk-rows", 7]):  # fmt: skip
        result = run(*command, "-o", tmp_path / "q.csv")
        assert result.exit_code == 0 and (tmp_path / "q.csv").read_bytes() == expected, command
    monkeypatch.undo()
    # over the input itself
    result = run("label", tmp_path / "d.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "d.csv", "--overwrite-input")
    assert result.exit_code == 0 and (tmp_path / "d.csv").read_bytes() == expected != original


@pytest.mark.parametrize("block_bytes", [64, 1 << 20])
def test_rows_pyarrow_refuses_are_copied_by_pandas_from_where_it_stopped(tmp_path, monkeypatch, block_bytes):
    # pyarrow refuses a line of spaces (pandas skips it) and a short row (pandas fills it):
    # the text is read on by pandas from the first row not yet taken, in step with the labels
    # (with blocks of 64 bytes, pyarrow has read the first rows when it meets them)
    import hvrt._row_copy as row_copy

    monkeypatch.setattr(row_copy, "_BLOCK_BYTES", block_bytes)
    lines = ["a,b,c"] + [f"{i},{(i * 37 % 11) / 10},0{i}" for i in range(30)]
    lines[18] = "17,0.5"  # short: pandas reads c as empty
    lines.insert(25, "   ")
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    result = run("partition", tmp_path / "d.csv", "-k", 2, "--columns", "a,b", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.output
    labels = hvrt.load(tmp_path / "m.hvrt").labels_
    kept = [line for line in lines[1:] if line.strip()]
    expected = "a,b,c,partition\n" + "".join(
        f"{line}{',' if line.count(',') == 1 else ''},{label}\n" for line, label in zip(kept, labels)
    )
    assert (tmp_path / "p.csv").read_text() == expected
    for chunk_rows in (4, 20):
        result = run("label", tmp_path / "d.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0 and (tmp_path / "l.csv").read_text() == expected, chunk_rows


def test_label_in_chunks_copies_small_ids_with_a_gap_then_big_ids_as_written(tmp_path):
    # a column of small ids with a gap in the first chunk (floats, as pandas reads it) and ids
    # beyond 2**53 later: label wrote 3.0 where partition writes 3; both copy the text now
    ids = ["", "1", "2", "3"] + [str(2**53 + 21 + 2 * i) for i in range(4)] + ["", "5", "6", "9007199254741001"]
    text = "id,v\n" + "".join(f"{i},{k % 5}\n" for k, i in enumerate(ids))
    (tmp_path / "ids.csv").write_text(text)
    result = run("partition", tmp_path / "ids.csv", "-k", 2, "--columns", "v", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.output
    labels = hvrt.load(tmp_path / "m.hvrt").labels_
    expected = "id,v,partition\n" + "".join(f"{i},{k % 5},{label}\n" for k, (i, label) in enumerate(zip(ids, labels)))
    assert (tmp_path / "p.csv").read_text() == expected
    for chunk_rows in (4, 3, 5):
        result = run("label", tmp_path / "ids.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0 and (tmp_path / "l.csv").read_text() == expected, chunk_rows


def test_a_parquet_output_of_a_parquet_input_keeps_its_types_and_values(tmp_path):
    # a Parquet file not written by pandas: its int64 with a null came out as doubles (2**53 + 1
    # rounded), its decimals and times through pandas' objects; the batches are copied as stored
    pa = pytest.importorskip("pyarrow")
    import datetime as dt
    import decimal

    n = 60
    rng = np.random.default_rng(32)
    table = pa.table({
        "x": pa.array(rng.normal(size=n)),
        "id": pa.array([None if i == 3 else 2**53 + 1 + i for i in range(n)], pa.int64()),
        "price": pa.array([decimal.Decimal(f"{i}.10") for i in range(n)], pa.decimal128(12, 2)),
        "day": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)], pa.date32()),
        "at": pa.array([dt.datetime(2021, 1, 1, i % 24, tzinfo=dt.timezone.utc) for i in range(n)], pa.timestamp("us", "Europe/Paris")),
        "tags": pa.array([["a", "b"][: i % 3] for i in range(n)], pa.list_(pa.string())),
        "code": pa.array(["k" + str(i % 4) for i in range(n)]).dictionary_encode(),
        "flag": pa.array([i % 2 == 0 for i in range(n)]),
    })  # fmt: skip
    pq.write_table(table, tmp_path / "d.parquet", row_group_size=25)
    result = run("partition", tmp_path / "d.parquet", "-k", 2, "--columns", "x", "-o", tmp_path / "p.parquet", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.output
    written = pq.read_table(tmp_path / "p.parquet")
    assert written.drop_columns(["partition"]).equals(pq.read_table(tmp_path / "d.parquet"))
    np.testing.assert_array_equal(written["partition"].to_numpy(), hvrt.load(tmp_path / "m.hvrt").labels_)
    for chunk_rows in (7, 100):
        result = run("label", tmp_path / "d.parquet", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.parquet", "--chunk-rows", chunk_rows)
        assert result.exit_code == 0, result.output
        assert pq.read_table(tmp_path / "l.parquet").equals(written), chunk_rows
    # a pandas-written file keeps its index and dtypes when read back by pandas
    frame = pd.DataFrame({"x": rng.normal(size=n), "n": pd.array([None, *range(n - 1)], dtype="Int64")},
                         index=pd.Index([f"r{i}" for i in range(n)], name="key"))  # fmt: skip
    frame.to_parquet(tmp_path / "f.parquet")
    result = run("label", tmp_path / "f.parquet", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "fl.parquet", "--chunk-rows", 9)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "fl.parquet").drop(columns="partition"), frame)


def test_a_missing_prediction_is_refused_not_written_empty(tmp_path, csv, monkeypatch):
    # `hvrt predict` wrote an empty prediction field, exit 0, when the model returned NaN
    run("regress", csv, "--y", "y", "-k", 4, "--model", tmp_path / "reg.hvrt", "--engine", "exact")
    original = PartitionedRegressor.predict

    def one_missing(self, X):
        values = original(self, X).astype(float)
        values[len(values) // 2] = np.nan
        return values

    monkeypatch.setattr(PartitionedRegressor, "predict", one_missing)
    result = run("predict", csv, "--model", tmp_path / "reg.hvrt", "-o", tmp_path / "out.csv", "--chunk-rows", 500)
    assert result.exit_code == 2 and not (tmp_path / "out.csv").exists()
    assert result.stderr == (f"hvrt: error: the model '{tmp_path / 'reg.hvrt'}' gave no prediction for 1 row(s) of "
                             f"'{csv}', first data row 251; nothing was written\n")  # fmt: skip
    result = run("regress", csv, "--y", "y", "-k", 4, "--model", tmp_path / "r2.hvrt", "--engine", "exact", "-o", tmp_path / "out.csv")
    assert result.exit_code == 2 and "first data row 601; nothing was written" in result.stderr
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "r2.hvrt").exists()


def test_a_column_name_holding_a_comma_is_given_with_a_backslash(tmp_path):
    (tmp_path / "c.csv").write_text('"price, usd",qty,y\n' + "".join(f"{i + 0.5},{i % 7},{i % 3}\n" for i in range(30)))
    result = run("partition", tmp_path / "c.csv", "-k", 2, "--columns", "price\\, usd,qty", "-o", tmp_path / "p.csv",
                 "--model", tmp_path / "m.hvrt")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert list(hvrt.load(tmp_path / "m.hvrt").feature_names_in_) == ["price, usd", "qty"]
    result = run("partition", tmp_path / "c.csv", "-k", 2, "--columns", "price, usd", "-o", tmp_path / "q.csv")
    assert result.exit_code == 2
    assert result.stderr == (f"hvrt: error: unknown --columns column 'price' in '{tmp_path / 'c.csv'}' (its columns: "
                             "'price, usd', qty, y); a comma inside a name is written with a backslash before it: "
                             "--columns 'price\\, usd'\n")  # fmt: skip


def test_category_encoding_is_an_option_of_partition_and_regress(tmp_path, csv):
    # R14's advice, category_encoding='target', could not be followed from the command line
    from hvrt.cli import CATEGORY_ENCODINGS
    from hvrt.partitioner import CATEGORY_ENCODINGS as LIBRARY_ENCODINGS

    assert CATEGORY_ENCODINGS == tuple(LIBRARY_ENCODINGS)
    result = run("partition", csv, "-k", 4, "--category-encoding", "target", "-o", tmp_path / "p.csv", "--model", tmp_path / "p.hvrt")
    assert result.exit_code == 0, result.output
    partitioner = hvrt.load(tmp_path / "p.hvrt")
    assert partitioner.category_encoding == "target" and partitioner.category_encoding_ == "target"
    result = run("regress", csv, "--y", "y", "-k", 4, "--engine", "exact", "--category-encoding", "ohe", "--model", tmp_path / "r.hvrt")
    assert result.exit_code == 0, result.output
    assert hvrt.load(tmp_path / "r.hvrt").partitioner_.category_encoding == "ohe"
    result = run("partition", csv, "-k", 4, "-o", tmp_path / "q.csv", "--model", tmp_path / "q.hvrt")  # the default
    assert hvrt.load(tmp_path / "q.hvrt").category_encoding == HVRTPartitioner().category_encoding == "auto"
    for command in ("partition", "regress"):
        assert "--category-encoding [auto|native|ohe|target]" in run(command, "--help").output


def test_y_weight_is_an_option_of_partition(tmp_path, csv, table):
    # the y blend's share could not be set from the command line: 0.5 always
    for weight in ("0", "1"):
        result = run("partition", csv, "-k", 4, "--y", "y", "--y-weight", weight, "--engine", "exact", "-o", tmp_path / f"p{weight}.csv", "--model", tmp_path / f"p{weight}.hvrt")
        assert result.exit_code == 0, result.output
        assert hvrt.load(tmp_path / f"p{weight}.hvrt").y_weight == float(weight)
        features = table.drop(columns="y")
        library = HVRTPartitioner(4, y_weight=float(weight), engine="exact").fit(features, table[["y"]])
        np.testing.assert_array_equal(pd.read_csv(tmp_path / f"p{weight}.csv")["partition"], library.labels_)
    run("partition", csv, "-k", 4, "--y", "y", "-o", tmp_path / "d.csv", "--model", tmp_path / "d.hvrt")
    assert hvrt.load(tmp_path / "d.hvrt").y_weight == HVRTPartitioner().y_weight == 0.5
    refused = run("partition", csv, "-k", 4, "--y", "y", "--y-weight", "1.5", "-o", tmp_path / "x.csv")
    assert refused.exit_code == 2 and "--y-weight" in refused.stderr


# what a Python user is told to run or pass, which a command-line user cannot
PYTHON_ADVICE = re.compile(
    r"X\[|pd\.|\.astype\(|\.where\(|Series\.|DataFrame\.|\.to_csv\(|categorical_features|\w+='|partitioner with|hvrt\.save"
)


@pytest.mark.parametrize("case", CASES)
def test_no_error_of_the_command_line_gives_python_advice(tmp_path, csv, case):
    # C41 told a user of the command line to run pd.read_csv(path, sep=';').to_csv(...), and C44
    # to write the file with DataFrame.to_csv(path, index=False): advice for the file or an option
    args, _ = bad_inputs(tmp_path, csv)[case]
    line = run(*args).stderr.strip()
    assert not PYTHON_ADVICE.search(line), line


def test_the_advice_of_x22_makes_every_stray_value_missing():
    # X22 advised pd.to_numeric(X['b'], errors='coerce') to make the stray values NaN, but it
    # reads a stray b'1.5' as 1.5: the column stayed wrong, without a word
    import warnings

    rng = np.random.default_rng(22)
    for stray in (b"1.5", np.bytes_(b"7"), "unknown"):
        values = rng.integers(1, 200, 150).astype(object)
        values[40] = stray
        X = pd.DataFrame({"b": values, "v": rng.normal(size=150)})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            HVRTPartitioner(2, engine="exact").fit(X)
        message = next(str(w.message) for w in caught if "holds numbers but for 1 of its 150 values" in str(w.message))
        advice = re.search(r"\((pd\.to_numeric\(.*?\))\), or list it", message)[1]
        fixed = eval(advice, {"pd": pd, "X": X})  # the code the message gives, as a user runs it
        assert np.isnan(fixed[40]) and fixed.drop(40).tolist() == X["b"].drop(40).astype(float).tolist(), stray

def test_library_advice_is_given_in_command_line_terms(tmp_path):
    # the library's messages told a command-line user to run pandas code or pass a parameter
    rng = np.random.default_rng(41)
    n = 300
    end = pd.Series(pd.date_range("2000-01-01", periods=n, freq="D").strftime("%Y-%m-%d"))
    pd.DataFrame({"end": end.where(np.arange(n) != 7, "9999-12-31"), "v": rng.normal(size=n)}).to_csv(tmp_path / "s.csv", index=False)
    qty = rng.integers(1, 200, n).astype(object)
    qty[45] = "unknown"
    pd.DataFrame({"qty": qty, "v": rng.normal(size=n)}).to_csv(tmp_path / "typo.csv", index=False)
    when = pd.date_range("2024-01-01", periods=n, freq="h", tz="Europe/Paris")
    pd.DataFrame({"w": when.strftime("%Y-%m-%dT%H:%M:%S%z"), "v": rng.normal(size=n)}).to_csv(tmp_path / "zoned.csv", index=False)
    pd.DataFrame({"w": when.strftime("%Y-%m-%dT%H:%M:%S"), "v": rng.normal(size=n)}).to_csv(tmp_path / "naive.csv", index=False)
    wide = pd.DataFrame({"store": [f"s{i % 70}" for i in range(n)], "v": rng.normal(size=n), "y": rng.normal(size=n)})
    wide.to_csv(tmp_path / "wide.csv", index=False)
    (tmp_path / "notes.hvrt").write_text("hello")
    pd.DataFrame({"city": rng.choice(["oslo", "lima"], n)}).to_csv(tmp_path / "text.csv", index=False)
    pd.DataFrame({"store": [f"s{i}" for i in range(n)], "v": rng.normal(size=n)}).to_csv(tmp_path / "stores.csv", index=False)
    assert run("partition", tmp_path / "zoned.csv", "-k", 2, "-o", tmp_path / "z.csv", "--model", tmp_path / "z.hvrt").exit_code == 0
    cases = {
        "partition s.csv": (["partition", tmp_path / "s.csv", "-o", tmp_path / "o.csv"], 2,
                            "make them missing in the file (an empty field of a CSV, a null of Parquet; a sentinel such as "
                            "9999-12-31 mostly means no date)"),
        "partition typo.csv": (["partition", tmp_path / "typo.csv", "-k", 2, "-o", tmp_path / "o.csv"], 0,
                               ("empty those fields in the file (a missing value) to split it as ordered numbers, or give it "
                                "to --categorical-features to keep it categorical without this warning")),
        "label naive.csv": (["label", tmp_path / "naive.csv", "--model", tmp_path / "z.hvrt", "-o", tmp_path / "o.csv"], 2,
                            "write its times as they were at fit: with a UTC offset"),
        "partition native": (["partition", tmp_path / "wide.csv", "--engine", "exact", "--category-encoding", "native",
                              "-o", tmp_path / "o.csv"], 2,
                             "--category-encoding native needs --engine hist (the exact engine has no categorical splits); "
                             "use --engine hist, or --category-encoding ohe or --category-encoding target"),
        "partition text.csv": (["partition", tmp_path / "text.csv", "-o", tmp_path / "o.csv"], 2,
                               "no target to grow the tree on; give a numeric column of the file as --y, or as a feature"),
        "partition stores.csv": (["partition", tmp_path / "stores.csv", "-k", 2, "--engine", "exact", "-o", tmp_path / "o.csv"], 0,
                                 "--engine hist splits categoricals natively, and --category-encoding target is fast on either "
                                 "engine (pass --category-encoding ohe to keep one-hot without this warning)"),
        "label notes.hvrt": (["label", tmp_path / "text.csv", "--model", tmp_path / "notes.hvrt", "-o", tmp_path / "o.csv"], 2,
                             "is not an hvrt model file; save one with `hvrt partition --model` or `hvrt regress --model`"),
        "regress wide.csv": (["regress", tmp_path / "wide.csv", "--y", "y", "-k", 2, "--engine", "exact", "--model", tmp_path / "w.hvrt"], 0,
                             "more than the 64 that --category-encoding auto one-hot encodes for the local linear models"),
    }  # fmt: skip
    for name, (args, code, advice) in cases.items():
        result = run(*args)
        assert result.exit_code == code, (name, result.output)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and advice in lines[0], (name, result.stderr)
        assert not PYTHON_ADVICE.search(lines[0]), (name, lines[0])
    assert "Pass --category-encoding target to do so without this warning, or --category-encoding ohe to keep one-hot" in result.stderr
    assert hvrt.load(tmp_path / "w.hvrt").partitioner_.category_encoding_ == "target"
    # the advice followed: no warning
    result = run("partition", tmp_path / "typo.csv", "-k", 2, "--categorical-features", "qty", "-o", tmp_path / "o.csv")
    assert result.exit_code == 0 and result.stderr == "", result.output
    result = run("regress", tmp_path / "wide.csv", "--y", "y", "-k", 2, "--engine", "exact", "--category-encoding", "target",
                 "--model", tmp_path / "w.hvrt")  # fmt: skip
    assert result.exit_code == 0 and result.stderr == "", result.output


def test_a_parquet_date_column_is_an_ordered_feature(tmp_path):
    # pandas reads a Parquet date32 column as datetime.date objects: a categorical of days (with a
    # warning, shown twice, to run pd.to_datetime), and a 9999-12-31 sentinel went through, exit 0
    pa = pytest.importorskip("pyarrow")
    import datetime as dt

    n = 200
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)]
    values = np.sin(np.arange(n) / 20.0)
    pq.write_table(pa.table({"d": pa.array(days, pa.date32()), "v": values}), tmp_path / "d.parquet", row_group_size=64)
    result = run("partition", tmp_path / "d.parquet", "-k", 4, "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0 and result.stderr == "", result.output
    model = hvrt.load(tmp_path / "m.hvrt")
    frame = pd.DataFrame({"d": pd.to_datetime(days), "v": values})
    expected = HVRTPartitioner(4).fit(frame).labels_
    np.testing.assert_array_equal(model.labels_, expected)
    assert pd.read_csv(tmp_path / "p.csv")["d"].tolist() == [day.isoformat() for day in days]
    result = run("label", tmp_path / "d.parquet", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", 50)
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert (tmp_path / "l.csv").read_bytes() == (tmp_path / "p.csv").read_bytes()
    # a model fitted on the dates as pandas reads them (Python dates: categories), as an older
    # hvrt did, labels them as it saw them
    with pytest.warns(UserWarning, match="hold Python dates"):
        old = HVRTPartitioner(4).fit(pd.read_parquet(tmp_path / "d.parquet"))
    hvrt.save(old, tmp_path / "old.hvrt")
    result = run("label", tmp_path / "d.parquet", "--model", tmp_path / "old.hvrt", "-o", tmp_path / "o.csv", "--chunk-rows", 50)
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "o.csv")["partition"], old.labels_)
    days[5] = dt.date(9999, 12, 31)
    pq.write_table(pa.table({"d": pa.array(days, pa.date32()), "v": values}), tmp_path / "s.parquet")
    result = run("partition", tmp_path / "s.parquet", "-k", 4, "-o", tmp_path / "s.csv")
    assert result.exit_code == 2 and "X column 'd' holds 1 date(s) beyond the range" in result.stderr
    assert "first '9999-12-31'; make them missing in the file" in result.stderr


@pytest.mark.parametrize("pandas_2", [False, True])
def test_a_parquet_file_with_dates_is_read_once_by_pandas_2_and_3(tmp_path, monkeypatch, pandas_2):
    # before pandas 3 (whose read_parquet cannot pass date_as_object on), the date columns of a
    # Parquet input were read a second time; each pandas now reads the file once
    import datetime as dt

    import pyarrow as pa

    from hvrt.cli import read_table

    n = 50
    days = pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)], pa.date32())
    pq.write_table(pa.table({"d": days, "e": days, "v": np.arange(n) / 7.0, "s": ["x", "y"] * 25}), tmp_path / "d.parquet")
    expected = read_table(tmp_path / "d.parquet", "parquet")
    if pandas_2:  # read_parquet as pandas 2 has it: no to_pandas_kwargs, dates as Python objects
        plain = pd.read_parquet
        monkeypatch.setattr(pd, "read_parquet", lambda path, **options: plain(path, **options))
    reads = []
    whole = pq.read_table
    monkeypatch.setattr(pq, "read_table", lambda *args, **options: reads.append(args) or whole(*args, **options))
    frame = read_table(tmp_path / "d.parquet", "parquet")
    assert len(reads) == 1, reads
    assert frame["d"].dtype.kind == "M" and frame["e"].dtype.kind == "M"
    pd.testing.assert_frame_equal(frame, expected)

def test_a_parquet_input_written_as_csv_reads_back_equal(tmp_path):
    # Parquet has no text to copy: a CSV output holds the values as written by pandas (floats through
    # pyarrow's writer); each must read back (as hvrt reads a CSV) to the value stored, to the bit and
    # the nanosecond, times with a zone as the same instants (a CSV holds offsets, not zone names)
    from hvrt.cli import read_table

    rng = np.random.default_rng(43)
    n = 90
    frame = pd.DataFrame({
        "x": np.r_[0.1, 1 / 3, 5e-324, -0.0, 1e100, 2.0**53 + 2, 123456.789, np.nan, rng.normal(size=n - 8)],
        "f32": np.r_[np.float32(0.1), np.float32(1 / 3), rng.normal(size=n - 2)].astype(np.float32),
        "whole": np.r_[3.0, -0.0, np.arange(n - 2.0)],
        "ns": pd.Timestamp("2024-03-01 12:00") + pd.to_timedelta(np.arange(n) * 1_000_000_001, unit="ns"),
        "us": (pd.Timestamp("1900-03-01") + pd.to_timedelta(np.arange(n) * 1500, unit="us")).as_unit("us"),
        "paris": pd.date_range("2024-03-30 22:00", periods=n, freq="37min", tz="Europe/Paris"),
        "utc": pd.date_range("2024-03-30", periods=n, freq="s", tz="UTC") + pd.Timedelta(1, "ns"),
        "dur": pd.to_timedelta(np.arange(n) * 1_000_000_007 - 5, unit="ns"),
        "flag": rng.random(n) > 0.5,
        "text": rng.choice(["a,b", 'q"x', "plain", "line\nbreak"], n),
    })  # fmt: skip
    frame.to_parquet(tmp_path / "in.parquet", index=False, row_group_size=40)
    outputs = {"partition": ["partition", tmp_path / "in.parquet", "-k", 3, "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt"]}
    outputs["label"] = ["label", tmp_path / "in.parquet", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", 40]
    for command, args in outputs.items():
        result = run(*args)
        assert result.exit_code == 0, (command, result.output)
        back = read_table(Path(args[args.index("-o") + 1]), "csv")
        for column in ["x", "whole"]:
            assert back[column].to_numpy().view(np.int64).tolist() == frame[column].to_numpy().view(np.int64).tolist(), column
        assert back["f32"].astype(np.float32).to_numpy().view(np.int32).tolist() == frame["f32"].to_numpy().view(np.int32).tolist()
        for column in ["ns", "us", "paris", "utc", "dur", "flag", "text"]:
            assert back[column].tolist() == frame[column].tolist(), (command, column)


def test_the_command_list_is_not_cut_short():
    # `hvrt --help` cut five of the seven command descriptions with "..."
    listing = run("--help").output.split("Commands:")[1].splitlines()
    described = [line for line in listing if line.strip()]
    assert len(described) == 7 and not any(line.endswith("...") for line in described), described


def test_a_file_the_system_refuses_to_write_is_one_line_naming_it(tmp_path, csv, monkeypatch):
    # a folder without write permission (or a full disk) was a traceback naming the temporary
    # file beside the output; now one line naming the output, exit 1 (not bad input)
    import os

    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".part"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    before = files_in(tmp_path)
    monkeypatch.setattr(os, "open", refuse)
    for args, named in (
        (["partition", csv, "-k", 3, "-o", tmp_path / "out.csv"], tmp_path / "out.csv"),
        (["regress", csv, "--y", "y", "-k", 3, "--engine", "exact", "--model", tmp_path / "m.hvrt"], tmp_path / "m.hvrt"),
    ):
        result = run(*args)
        assert result.exit_code == 1 and result.stdout == "", result.output
        assert result.stderr == f"hvrt: error: cannot write {str(named)!r}: Permission denied\n"
    assert files_in(tmp_path) == before
    monkeypatch.setattr(os, "open", real_open)
    # hvrt's own FileNotFoundError (no errno) stays bad input, exit 2
    result = run("label", csv, "--model", tmp_path / "absent.hvrt", "-o", tmp_path / "out.csv")
    assert result.exit_code == 2 and "model file" in result.stderr


def test_a_progress_line_names_hvrt_once(monkeypatch, caplog):
    # "[hvrt] hvrt: reading data.csv": the handler's prefix and the command's own name both
    import io
    import logging

    from hvrt._progress import _StderrHandler
    from hvrt.cli import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    with caplog.at_level(logging.INFO, logger="hvrt"):
        Progress(quiet=False).step("reading data.csv")
        HVRTPartitioner(2, engine="exact", verbose=True).fit(pd.DataFrame({"a": np.arange(8.0)}))
    lines = [_StderrHandler().format(record) for record in caplog.records]
    assert re.fullmatch(r"\[hvrt\] reading data\.csv \[\d+\.\d\d s\]", lines[0]), lines[0]
    assert all(line.startswith("[hvrt] HVRTPartitioner: ") for line in lines[1:]), lines


def test_duration_columns_of_any_backend_are_recorded():
    # is_timedelta64_dtype misses pyarrow's duration dtype: such a column was not recorded as
    # durations in the model file, so later CSV chunks would read it as text
    from hvrt.cli import _duration_columns

    seconds = pd.to_timedelta([1, 2, 3], unit="s")
    frame = pd.DataFrame(
        {
            "ns": seconds,
            "s": pd.Series(seconds).astype("timedelta64[s]"),
            "arrow": pd.Series(seconds).astype("duration[ns][pyarrow]"),
            "v": [1.0, 2.0, 3.0],
            "when": pd.Series(pd.to_datetime(["2024-01-01"] * 3)),
        }
    )
    assert _duration_columns(frame) == ["ns", "s", "arrow"]


def test_a_parquet_input_with_dates_is_read_once(tmp_path, monkeypatch):
    # its date columns were read a second time, to make them datetime64
    import datetime as dt

    import pyarrow as pa

    days = [dt.date(2024, 1, 1) + dt.timedelta(days=int(i)) for i in range(60)]
    days[3] = None
    pq.write_table(pa.table({"d": pa.array(days, pa.date32()), "v": np.sin(np.arange(60.0))}), tmp_path / "d.parquet")
    reads = []
    real = pq.read_table
    monkeypatch.setattr(pq, "read_table", lambda *args, **kwargs: reads.append(kwargs.get("columns")) or real(*args, **kwargs))
    result = run("partition", tmp_path / "d.parquet", "-k", 3, "--engine", "exact", "-o", tmp_path / "p.parquet", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.output
    assert reads == [None]  # the whole file, once
    assert hvrt.load(tmp_path / "m.hvrt").n_partitions_ == 3
    back = pd.read_parquet(tmp_path / "p.parquet")
    assert back["d"].tolist() == days  # copied as stored: still dates


def test_k_beyond_what_the_rows_can_fill_is_warned_of(tmp_path, table):
    # -k 100 on 30 rows grew 30 partitions of one row each without a word; the library takes
    # max_leaf_nodes as a bound (as scikit-learn does), so the command warns and goes on
    table.iloc[:30].to_csv(tmp_path / "small.csv", index=False)
    table.iloc[:200].to_csv(tmp_path / "mid.csv", index=False)
    result = run("partition", tmp_path / "small.csv", "-k", 100, "--engine", "exact", "-o", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"hvrt: warning: -k 100 asks for more partitions than {str(tmp_path / 'small.csv')!r} has rows (30): the "
        "partitioner grows at most 30 partitions, of one row each; give a smaller -k\n"
    )
    assert "into 30 partitions" in result.stdout
    result = run("regress", tmp_path / "mid.csv", "--y", "y", "-k", 11, "--engine", "exact", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"hvrt: warning: -k 11 asks for more partitions than the 200 rows of {str(tmp_path / 'mid.csv')!r} can fill at "
        "20 rows each (the least a local model gets): the regressor grows at most 10 partitions; give a smaller -k"
    ), result.stderr
    for args in (
        ["partition", tmp_path / "small.csv", "-k", 30, "--engine", "exact", "-o", tmp_path / "p.csv"],
        ["regress", tmp_path / "mid.csv", "--y", "y", "-k", 10, "--engine", "exact", "--model", tmp_path / "m.hvrt"],
        ["partition", tmp_path / "small.csv", "-k", 100, "--engine", "exact", "-o", tmp_path / "p.csv", "--quiet"],
    ):
        result = run(*args)
        assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr


def test_categorical_features_are_an_option_of_partition_and_regress(tmp_path):
    # the library's categorical_features had no option: a column of codes (zip codes, store ids)
    # could only be split as ordered numbers, and lost its leading zeros
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame({
        "zip": rng.choice(["02134", "10001", "94105", "00501"], n),
        "v": rng.normal(size=n),
        "city": rng.choice(["oslo", "lima"], n),
        "y": rng.normal(size=n),
    })  # fmt: skip
    frame.loc[::37, "zip"] = np.nan
    frame["y"] += frame["zip"].map({"02134": 3.0, "00501": -3.0}).fillna(0.0)
    frame.to_csv(tmp_path / "z.csv", index=False)
    result = run("partition", tmp_path / "z.csv", "-k", 6, "--y", "y", "--engine", "exact", "--categorical-features", "zip",
                 "-o", tmp_path / "p.csv", "--model", tmp_path / "p.hvrt")  # fmt: skip
    assert result.exit_code == 0 and result.stderr == "", result.output
    model = hvrt.load(tmp_path / "p.hvrt")
    assert model.categorical_features == ["zip", "city"]  # the listed column and the text one
    as_text = pd.read_csv(tmp_path / "z.csv", dtype={"zip": str})
    expected = HVRTPartitioner(6, engine="exact", categorical_features=["zip", "city"]).fit(
        as_text[["zip", "v", "city"]], as_text[["y"]]
    )
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "p.csv")["partition"], expected.labels_)
    assert "'02134'" in run("rules", "--model", tmp_path / "p.hvrt").stdout  # codes as written
    # labelled in chunks (some of them with nothing but numbers-like codes, or a gap) alike
    result = run("label", tmp_path / "z.csv", "--model", tmp_path / "p.hvrt", "-o", tmp_path / "l.csv", "--chunk-rows", 3)
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "l.csv")["partition"], expected.labels_)
    result = run("regress", tmp_path / "z.csv", "--y", "y", "-k", 4, "--engine", "exact", "--categorical-features", "zip",
                 "--model", tmp_path / "r.hvrt")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert hvrt.load(tmp_path / "r.hvrt").partitioner_.categorical_features == ["zip", "city"]
    # a Parquet file's column of numbers stays as stored: categories of numbers
    frame.assign(zip=pd.to_numeric(frame["zip"])).to_parquet(tmp_path / "z.parquet", index=False)
    result = run("partition", tmp_path / "z.parquet", "-k", 6, "--engine", "exact", "--categorical-features", "zip",
                 "-o", tmp_path / "p.parquet", "--model", tmp_path / "q.hvrt")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert hvrt.load(tmp_path / "q.hvrt").categorical_features == ["zip", "city"]
    # a listed column the features leave out is named
    result = run("partition", tmp_path / "z.csv", "--columns", "v,city", "--categorical-features", "zip", "-o", tmp_path / "o.csv")
    assert result.exit_code == 2 and result.stderr == (
        "hvrt: error: --categorical-features column 'zip' is left out by --columns, not a feature; list feature columns only\n"
    )
    assert "--categorical-features A,B,..." in run("partition", "--help").output


def test_categorical_features_add_the_columns_the_library_finds_as_it_reads_them(tmp_path):
    # a Parquet decimal128 column (pandas reads objects of Decimal, which the library reads as
    # floats) became unordered categories as soon as any --categorical-features was given
    import decimal

    import pyarrow as pa

    rng = np.random.default_rng(16)
    n = 300
    qty = [f"{v:.1f}" for v in rng.uniform(0, 10, n)]
    qty[5] = "unknown"  # numbers as text but for one value: categories, with a warning
    table = pa.table({
        "price": pa.array([None if i % 50 == 0 else decimal.Decimal(f"{v:.2f}") for i, v in enumerate(rng.uniform(1, 100, n))],
                          pa.decimal128(10, 2)),
        "qty": pa.array(qty),
        "flag": pa.array([None if i % 40 == 0 else bool(v) for i, v in enumerate(rng.integers(0, 2, n))]),
        "x": rng.normal(size=n),
        "code": rng.integers(0, 5, n),
    })  # fmt: skip
    pq.write_table(table, tmp_path / "d.parquet")
    found = {}
    for listed in ([], ["--categorical-features", "code"]):
        result = run("partition", tmp_path / "d.parquet", "-k", 6, "--engine", "exact", *listed,
                     "-o", tmp_path / "p.csv", "--model", tmp_path / "p.hvrt")  # fmt: skip
        assert result.exit_code == 0, result.output
        model = hvrt.load(tmp_path / "p.hvrt")
        found[bool(listed)] = model._preprocessor.categorical_columns
        assert "price" in model.partition_rules()["rule"].str.cat()  # an ordered feature
        # the stray value is warned of either way (a column added by its dtype was silent)
        assert "hvrt: warning: column 'qty' holds numbers but for 1 of its 300 values" in result.stderr
    assert found == {False: ["qty", "flag"], True: ["qty", "flag", "code"]}
    expected = HVRTPartitioner(6, engine="exact", categorical_features=["qty", "flag", "code"]).fit(
        pd.read_parquet(tmp_path / "d.parquet")
    )
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "p.csv")["partition"], expected.labels_)
    result = run("regress", tmp_path / "d.parquet", "--y", "x", "-k", 3, "--engine", "exact", "--categorical-features", "code",
                 "--model", tmp_path / "r.hvrt")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert hvrt.load(tmp_path / "r.hvrt").partitioner_.categorical_features == ["qty", "flag", "code"]


def test_regress_on_one_row_says_its_r2_is_not_defined(tmp_path, table):
    # it printed scikit-learn's warning and "training R² nan"
    table.iloc[:1].to_csv(tmp_path / "one.csv", index=False)
    result = run("regress", tmp_path / "one.csv", "--y", "y", "--engine", "exact", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert "training R² not defined on 1 row" in result.stdout and "nan" not in result.stdout


def test_profile_names_its_labels_option_not_y(tmp_path, table):
    # profile's column checks spoke of --y, an option profile does not have
    table.assign(partition=np.arange(len(table)) % 3).to_csv(tmp_path / "l.csv", index=False)
    table[["c"]].to_csv(tmp_path / "only.csv", index=False)
    result = run("profile", tmp_path / "l.csv", "--labels", "partition", "--columns", "a,partition", "--out", tmp_path / "r")
    assert result.exit_code == 2 and result.stderr == (
        "hvrt: error: column 'partition' is given both as a feature (--columns) and as --labels\n"
    )
    result = run("profile", tmp_path / "only.csv", "--labels", "c", "--out", tmp_path / "r")
    assert result.exit_code == 2 and result.stderr == (
        f"hvrt: error: {str(tmp_path / 'only.csv')!r} has no column left to profile besides --labels\n"
    )
    assert not (tmp_path / "r").exists()

def test_profile_reads_whole_float_labels_as_integers_and_refuses_fractions(tmp_path):
    # a float --labels column (a CSV's '2.0', a Parquet double) was profiled as one partition per
    # distinct value without a word: 2.5 was a partition, and the files named partitions '0.0', '1.0'
    rng = np.random.default_rng(54)
    n = 60
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "p": (np.arange(n) % 3).astype(float)})
    frame.to_csv(tmp_path / "f.csv", index=False)
    frame.astype({"p": np.float32}).to_parquet(tmp_path / "f.parquet", index=False)
    frame.astype({"p": np.int64}).to_csv(tmp_path / "i.csv", index=False)
    for name in ("f.csv", "f.parquet", "i.csv"):
        result = run("profile", tmp_path / name, "--labels", "p", "--out", tmp_path / name.replace(".", "_"))
        assert result.exit_code == 0 and "in 3 partitions" in result.stdout, result.output
    wanted = (tmp_path / "i_csv" / "a" / "prop_variance_distribution.csv").read_text()
    assert wanted.splitlines()[1].startswith("0,")
    for folder in ("f_csv", "f_parquet"):  # the same files as integer labels give
        assert (tmp_path / folder / "a" / "prop_variance_distribution.csv").read_text() == wanted
    for value, shown in ((2.5, "2.5"), (np.inf, "inf"), (-1e300, "-1e+300")):
        frame.assign(p=np.r_[frame["p"].to_numpy()[:-1], value]).to_csv(tmp_path / "x.csv", index=False)
        result = run("profile", tmp_path / "x.csv", "--labels", "p", "--out", tmp_path / "x")
        assert result.exit_code == 2 and f"that are not whole numbers, first {shown} in data row {n:,}" in result.stderr
        assert not (tmp_path / "x").exists()

def _strict_json(path: Path) -> dict:
    """``path`` read as JSON proper: NaN and Infinity (which json.dumps writes) are refused."""
    import json

    def refuse(constant):
        raise AssertionError(f"{path.name} holds {constant}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_profile_summary_has_no_number_where_there_was_no_spread(tmp_path):
    # summary.json gave an all-NaN column's variance_hhi as 0.0 (and its shares 0.0), which reads
    # as "perfectly even"; a constant column and partitions of one row each likewise
    rng = np.random.default_rng(17)
    n = 40
    frame = pd.DataFrame({"a": rng.normal(size=n), "none": np.nan, "same": 3.0, "p": np.r_[np.arange(n - 1) % 3, 3]})
    frame.to_csv(tmp_path / "edge.csv", index=False)
    # the library's own figure: not defined (NaN), as the files write it
    assert np.isnan(hvrt.full_report(frame[["none", "same"]], frame["p"])["same"].variance_report.hhi)
    result = run("profile", tmp_path / "edge.csv", "--labels", "p", "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    summary = _strict_json(tmp_path / "r" / "summary.json")
    features = {entry["feature"]: entry for entry in summary["features"]}
    for name in ("none", "same"):
        entry = features[name]
        assert entry["variance_hhi"] is None and entry["span_hhi"] is None, entry
        assert set(entry["variance_proportion"].values()) == {None} == set(entry["span_proportion"].values()), entry
    assert features["same"]["wasserstein"] == 0.0  # a constant is rebuilt exactly: a measured 0
    a = features["a"]  # measured: numbers, a partition of one row holding a share 0
    assert 1 / 4 <= a["variance_hhi"] <= 1 and a["variance_proportion"]["min"] == 0.0
    table = pd.read_csv(tmp_path / "r" / "feature_summary.csv").set_index("feature")
    assert table.loc[["none", "same"]].isna().all().all() and table.loc["a"].notna().all()
    shares = pd.read_csv(tmp_path / "r" / features["same"]["folder"] / "prop_variance_distribution.csv")
    assert shares["variance_proportion"].isna().all() and (shares["n_values"] > 0).all()
    html = (tmp_path / "r" / "report.html").read_text()
    assert "not defined (no variance in any partition)" in html
    # partitions of one row each: no variance in any partition, of any feature
    frame.assign(p=np.arange(n)).to_csv(tmp_path / "ones.csv", index=False)
    assert run("profile", tmp_path / "ones.csv", "--labels", "p", "--out", tmp_path / "r1").exit_code == 0
    entry = {e["feature"]: e for e in _strict_json(tmp_path / "r1" / "summary.json")["features"]}["a"]
    assert entry["variance_hhi"] is None and entry["span_hhi"] is None


def test_a_parquet_file_with_integer_column_names_is_partitioned_labelled_and_read_back(tmp_path):
    # pandas stores integer column names as text, with metadata to make them integers again:
    # --y 2 named no column ("its columns: 0, 1, 2"), label refused the file the model was
    # fitted on ("lacks column '0'"), and a Parquet output could not be read by pandas
    # (invalid literal for int(): 'partition'); MultiIndex names likewise (tuples)
    import pyarrow as pa

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(60, 3)))
    pq.write_table(pa.Table.from_pandas(frame), tmp_path / "ints.parquet")
    result = run("partition", tmp_path / "ints.parquet", "-k", 3, "--y", "2", "--engine", "exact", "-o", tmp_path / "p.parquet",
                 "--model", tmp_path / "m.hvrt")  # fmt: skip
    assert result.exit_code == 0, result.output
    back = pd.read_parquet(tmp_path / "p.parquet")
    assert back.columns.tolist() == ["0", "1", "2", "partition"]
    expected = HVRTPartitioner(3, engine="exact").fit(frame.set_axis(["0", "1", "2"], axis=1)[["0", "1"]], frame[[2]])
    np.testing.assert_array_equal(back["partition"], expected.labels_)
    result = run("label", tmp_path / "ints.parquet", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.parquet", "--chunk-rows", 7)
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(pd.read_parquet(tmp_path / "l.parquet")["partition"], expected.labels_)
    result = run("regress", tmp_path / "ints.parquet", "--y", "2", "--columns", "0", "-k", 2, "--engine", "exact",
                 "--model", tmp_path / "r.hvrt", "-o", tmp_path / "r.parquet")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(tmp_path / "r.parquet").columns.tolist() == ["0", "1", "2", "prediction"]
    multi = frame.set_axis(pd.MultiIndex.from_tuples([("a", "x"), ("a", "y"), ("b", "z")]), axis=1)
    pq.write_table(pa.Table.from_pandas(multi), tmp_path / "multi.parquet")
    result = run("partition", tmp_path / "multi.parquet", "-k", 3, "--engine", "exact", "-o", tmp_path / "mp.parquet")
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(tmp_path / "mp.parquet").columns.tolist()[-1] == "partition"


def test_a_header_name_with_spaces_around_is_named_by_options(tmp_path):
    # a header "a, b" names its second column ' b': --columns "a, b" (and " b") dropped the space
    # and named no column, while the error listed "a, b, y"
    rng = np.random.default_rng(8)
    n = 80
    codes = rng.choice(["02134", "10001"], n)
    text = "a, b, zip,y\n" + "".join(f"{a:.3f},{b:.3f},{z},{y:.3f}\n" for a, b, z, y in
                                      zip(rng.normal(size=n), rng.normal(size=n), codes, rng.normal(size=n)))  # fmt: skip
    (tmp_path / "s.csv").write_text(text)
    result = run("partition", tmp_path / "s.csv", "--columns", "a, b, zip", "--categorical-features", "zip", "--y", "y",
                 "-k", 3, "--engine", "exact", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt")  # fmt: skip
    assert result.exit_code == 0, result.output
    model = hvrt.load(tmp_path / "m.hvrt")
    assert list(model.feature_names_in_) == ["a", " b", " zip"] and model.categorical_features == [" zip"]
    frame = pd.read_csv(tmp_path / "s.csv", dtype={" zip": str})
    expected = HVRTPartitioner(3, engine="exact", categorical_features=[" zip"]).fit(frame[["a", " b", " zip"]], frame[["y"]])
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "p.csv")["partition"], expected.labels_)
    result = run("partition", tmp_path / "s.csv", "--columns", "c", "-o", tmp_path / "p.csv")
    assert result.exit_code == 2 and "(its columns: a, ' b', ' zip', y)" in result.stderr


def test_several_y_columns_are_given_one_y_each(tmp_path, csv):
    # --y a,b named no column; the error now says how to give several
    result = run("partition", csv, "-k", 2, "--y", "a,c", "-o", tmp_path / "p.csv")
    assert result.exit_code == 2 and result.stderr.endswith(
        "(its columns: a, b, c, city, code, y); give each column its own --y: --y a --y c\n"
    ), result.stderr
    result = run("regress", csv, "--y", "y", "--y", "y", "-k", 2, "--engine", "exact", "--model", tmp_path / "m.hvrt")
    assert result.exit_code == 0, result.output  # the same column twice is one
