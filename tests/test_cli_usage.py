"""The command line as a user meets it first: usage errors, advice in its own terms, edges."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .test_cli import PYTHON_ADVICE, run

HINT = re.compile(r" Try '(hvrt(?: \w+)?) -h' for help\.$")


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["sort", "data.csv"], "hvrt"),
        (["--bogus"], "hvrt"),
        (["partition"], "hvrt partition"),  # the missing INPUT
        (["partition", "data.csv"], "hvrt partition"),  # the missing -o
        (["partition", "data.csv", "-o", "o.csv", "--engine", "gpu"], "hvrt partition"),
        (["partition", "data.csv", "-k", "1", "-o", "o.csv"], "hvrt partition"),
        (["label", "data.csv", "--bogus", "-o", "o.csv"], "hvrt label"),
        (["profile", "data.csv", "--out", "r"], "hvrt profile"),
    ],
)
def test_a_usage_error_says_where_the_help_is_on_its_one_line(args, command):
    # the error handler printed click's message alone, without the "Try 'hvrt partition -h'
    # for help." that click ends a usage error with
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hvrt: error: "), result.stderr
    found = HINT.search(lines[0])
    assert found is not None and found[1] == command, lines[0]
    assert run(*found[1].split()[1:], "-h").exit_code == 0  # the help it names exists


def test_bad_input_of_hvrt_itself_gets_no_help_hint(tmp_path):
    # hvrt's own messages name the file or column and what to do: a help hint would be noise
    result = run("partition", tmp_path / "absent.csv", "-o", tmp_path / "o.csv")
    assert result.exit_code == 2 and "Try '" not in result.stderr


def _big_ids(tmp_path: Path) -> Path:
    rng = np.random.default_rng(27)
    n = 300
    frame = pd.DataFrame({"id": 2**60 + rng.integers(0, 1000, n) * 3, "v": rng.normal(size=n), "y": rng.normal(size=n)})
    frame.to_csv(tmp_path / "big.csv", index=False)
    return tmp_path / "big.csv"


def _warnings_of_x27(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "hold integers beyond 2**53" in line]


def test_x27_advises_the_file_and_the_options_not_python(tmp_path):
    # X27's advice reached the command line as Python: "list the column in categorical_features",
    # "subtract an offset first (X['id'] - X['id'].min(), ...)", "X['id'].astype('category')"
    big = _big_ids(tmp_path)
    runs = {
        "partition": (["partition", big, "-k", 4, "--engine", "exact", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt"],
                      "give the column to --categorical-features"),
        "label": (["label", big, "--model", tmp_path / "m.hvrt", "-o", tmp_path / "l.csv"],
                  "fit the model with the column in --categorical-features"),
        "regress": (["regress", big, "--y", "y", "-k", 2, "--engine", "exact", "--model", tmp_path / "r.hvrt"],
                    "give the column to --categorical-features"),
        "profile": (["profile", tmp_path / "p.csv", "--labels", "partition", "--out", tmp_path / "rep"],
                    "leave the column out with --columns"),
    }  # fmt: skip
    for name, (args, advice) in runs.items():
        result = run(*args)
        assert result.exit_code == 0, (name, result.output)
        found = _warnings_of_x27(result.stderr)
        # regress warned twice: at fit, and again (label advice) predicting its own rows for R²
        assert len(found) == 1 and advice in found[0], (name, result.stderr)
        for line in result.stderr.splitlines():
            assert not PYTHON_ADVICE.search(line), (name, line)
    # the advice followed: no warning of the IDs
    result = run(
        "partition", big, "-k", 4, "--engine", "exact", "--categorical-features", "id", "-o", tmp_path / "p2.csv"
    )
    assert result.exit_code == 0 and _warnings_of_x27(result.stderr) == [], result.stderr
    result = run("profile", tmp_path / "p.csv", "--labels", "partition", "--columns", "v,y", "--out", tmp_path / "rep2")
    assert result.exit_code == 0 and _warnings_of_x27(result.stderr) == [], result.stderr


def test_a_feature_or_y_within_a_few_ulps_of_its_mean_advises_the_file(tmp_path):
    # R22 advised "subtract the offset (e.g. X['a'] - 1e+15)" and, for y, named partition_on='y'
    rng = np.random.default_rng(22)
    n = 200
    frame = pd.DataFrame(
        {"a": 1e15 + rng.normal(size=n).round(), "v": rng.normal(size=n), "y": 1e12 + 1e-3 * rng.normal(size=n)}
    )
    frame.to_csv(tmp_path / "near.csv", index=False)
    result = run(
        "regress", tmp_path / "near.csv", "--y", "y", "-k", 2, "--engine", "exact", "--model", tmp_path / "m.hvrt"
    )
    assert result.exit_code == 0, result.output
    assert "subtract the offset from the column in the file (e.g. 1e+15) to keep them" in result.stderr, result.stderr
    assert "subtract the offset from the --y column in the file (1e+12) to keep it" in result.stderr, result.stderr
    for line in result.stderr.splitlines():
        assert not PYTHON_ADVICE.search(line), line


def test_the_partitioners_rounding_band_warnings_advise_the_file(tmp_path):
    # X29 and Y11 (HVRTPartitioner's own) came out as "(e.g. 1e+12, and the same from the
    # rows to label)" and "(y - 1e+12)" through R22's rewriting
    rng = np.random.default_rng(29)
    n = 300
    frame = pd.DataFrame({"a": rng.normal(size=n), "c": 1e12 + 1e-3 * rng.normal(size=n)})
    frame["y"] = 1e12 + 1e-3 * rng.normal(size=n)
    frame.to_csv(tmp_path / "band.csv", index=False)
    result = run(
        "partition", tmp_path / "band.csv", "--columns", "a,c", "--y", "y", "--y-weight", 0.5, "-k", 4,
        "-o", tmp_path / "out.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "subtract the offset from the column in the file (e.g. 1e+12), and from the files to label" in result.stderr
    assert "subtract the offset from the --y column in the file (1e+12) to keep them" in result.stderr, result.stderr
    for line in result.stderr.splitlines():
        assert not PYTHON_ADVICE.search(line), line


def test_an_unknown_column_named_alike_to_one_is_suggested(tmp_path):
    # `--y prize` listed the columns; the one meant, 'price', is now named
    frame = pd.DataFrame({"a": np.arange(40.0), "price": np.arange(40.0) % 7, "city": ["x", "y"] * 20})
    frame.to_csv(tmp_path / "d.csv", index=False)
    for option, given in (("--y", "prize"), ("--y", "Price"), ("--columns", "citi")):
        result = run("partition", tmp_path / "d.csv", option, given, "-o", tmp_path / "o.csv")
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.endswith("; did you mean 'price'?\n" if given != "citi" else "; did you mean 'city'?\n")
    result = run("profile", tmp_path / "d.csv", "--labels", "z", "--out", tmp_path / "r")
    assert result.exit_code == 2 and "did you mean" not in result.stderr  # nothing alike: the list alone


def test_an_empty_csv_says_it_is_empty(tmp_path):
    # pandas' "No columns to parse from file"
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "blank.csv").write_text("\n\n")
    for name in ("empty.csv", "blank.csv"):
        result = run("partition", tmp_path / name, "-o", tmp_path / "o.csv")
        assert result.exit_code == 2
        assert (
            result.stderr
            == f"hvrt: error: cannot read '{tmp_path / name}' as CSV: the file is empty (not even a header)\n"
        )


def test_x26_advises_the_file_not_python(tmp_path):
    # a Parquet float column of IDs beyond 2**53 given to --categorical-features: X26 said
    # "keep them as integers (X['code'].astype('Int64')) or as text"
    rng = np.random.default_rng(26)
    ids = (2**60 + rng.integers(0, 1000, 300) * 256).astype(float)
    ids[3] = np.nan
    pd.DataFrame({"code": ids, "v": rng.normal(size=300)}).to_parquet(tmp_path / "f.parquet", index=False)
    result = run("partition", tmp_path / "f.parquet", "-k", 3, "--engine", "hist", "--categorical-features", "code",
                 "-o", tmp_path / "o.csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stderr.splitlines() if "whole numbers as floats beyond 2**53" in line)
    assert line.endswith(
        "store them in the file as integers (a Parquet int64 column, which holds nulls too) or as text"
    )
    assert not PYTHON_ADVICE.search(line), line
