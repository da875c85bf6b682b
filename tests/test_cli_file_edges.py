"""The command line where files meet the model: dates with a typo, codes written otherwise,
Parquet text dates, chunked Parquet outputs, models saved from Python (REDTEAM18B; 18A #8)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import hvrt
from hvrt import HVRTPartitioner
from hvrt.cli import cli

from .exact_csv import read_csv_exact


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def dated(n: int = 400, seed: int = 4) -> pd.DataFrame:
    """x, an ISO date column 'when' (every other day over four years) and y that rises with it."""
    rng = np.random.default_rng(seed)
    when = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.choice(np.arange(0, 1460, 2), n), unit="D")
    frame = pd.DataFrame({"x": rng.normal(size=n), "when": when})
    frame["y"] = frame["x"] + (frame["when"] - pd.Timestamp("2020-01-01")).dt.days / 100 + rng.normal(size=n) * 0.1
    frame["when"] = frame["when"].dt.strftime("%Y-%m-%d")
    return frame


# --------------------------------------------------------------------------- dates at fit (18B #8, #5)


@pytest.mark.parametrize("command", ["regress", "partition"])
def test_one_invalid_date_in_a_training_csv_is_refused_naming_column_row_and_value(tmp_path, command):
    frame = dated()
    frame.loc[3, "when"] = "2021-02-30"
    frame.to_csv(tmp_path / "typo.csv", index=False)
    extra = ["--model", tmp_path / "m.hvrt"] if command == "regress" else ["-o", tmp_path / "p.csv"]
    result = run(command, tmp_path / "typo.csv", "--y", "y", "-q", *extra)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "hvrt: error: column 'when' of '" + str(tmp_path / "typo.csv") + "' holds ISO 8601 dates, but data row 4 holds "
        "'2021-02-30', which is not an ISO 8601 date (1 of its 400 values is not); empty such fields"
    ), result.stderr
    assert not (tmp_path / "m.hvrt").exists() and not (tmp_path / "p.csv").exists()
    # given to --categorical-features, the column is taken as text categories, as asked
    result = run(command, tmp_path / "typo.csv", "--y", "y", "-q", "--categorical-features", "when", *extra)
    assert result.exit_code == 0, result.stderr


def test_a_duration_column_with_one_typo_is_refused_and_notes_with_a_few_dates_stay_text(tmp_path):
    rng = np.random.default_rng(2)
    n = 200
    frame = pd.DataFrame(
        {"x": rng.normal(size=n), "dur": pd.to_timedelta(rng.integers(0, 10**5, n), unit="s").astype(str)}
    )
    frame["note"] = np.where(np.arange(n) % 10 == 0, "2021-01-01", rng.choice(["late", "ok", "n.a."], n))
    frame["invoice"] = [f"2023-{i:05d}" for i in range(n)]  # begins as a date does; none is one
    frame["y"] = rng.normal(size=n)
    frame.loc[7, "dur"] = "1 dayz"
    frame.to_csv(tmp_path / "dur.csv", index=False)
    result = run("partition", tmp_path / "dur.csv", "--y", "y", "-o", tmp_path / "p.csv", "-q")
    assert result.exit_code == 2
    assert (
        "column 'dur' of " in result.stderr
        and "holds durations, but data row 8 holds '1 dayz', which is not a duration" in result.stderr
    )
    frame.loc[7, "dur"] = None  # the field emptied: durations, and the notes (a date in one row of ten) stay text
    frame.to_csv(tmp_path / "dur.csv", index=False)
    result = run(
        "partition", tmp_path / "dur.csv", "--y", "y", "-o", tmp_path / "p.csv", "--model", tmp_path / "m.hvrt", "-q"
    )
    assert result.exit_code == 0, result.stderr
    model = hvrt.load(tmp_path / "m.hvrt")
    assert model._preprocessor.time_kinds == {"dur": "durations"}
    assert model._preprocessor.categorical_columns == ["note", "invoice"]


def test_naive_and_offset_times_mixed_are_refused_naming_the_row(tmp_path):
    frame = dated()
    frame.to_csv(tmp_path / "ok.csv", index=False)
    assert run("regress", tmp_path / "ok.csv", "--y", "y", "--model", tmp_path / "m.hvrt", "-q").exit_code == 0
    frame.loc[4, "when"] = "2021-04-04T10:00:00+02:00"
    frame.to_csv(tmp_path / "tz.csv", index=False)
    result = run(
        "predict", tmp_path / "tz.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "o.csv", "--chunk-rows", 3
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "hvrt: error: column 'when' of '" + str(tmp_path / "tz.csv") + "' held dates at fit, but data row 5 holds "
        "'2021-04-04T10:00:00+02:00', which has a UTC offset, while data row 4 before it has none"
    ), result.stderr
    result = run("regress", tmp_path / "tz.csv", "--y", "y", "--model", tmp_path / "m2.hvrt", "-q")  # at fit too
    assert (
        result.exit_code == 2
        and "data row 5 holds '2021-04-04T10:00:00+02:00', which has a UTC offset, while data row 1" in result.stderr
    )


# --------------------------------------------------------------------------- Parquet text dates (18B #9)


def test_iso_date_text_in_a_parquet_file_is_read_as_dates_as_from_a_csv(tmp_path):
    frame = dated()
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet", index=False)  # 'when' stored as text
    for name in ("t.csv", "t.parquet"):
        result = run("regress", tmp_path / name, "--y", "y", "--model", tmp_path / f"{name}.hvrt", "-q")
        assert result.exit_code == 0, result.stderr
    metadata = hvrt.persistence.model_info(tmp_path / "t.parquet.hvrt").metadata
    assert metadata["date_columns"] == ["when"] and "when" not in metadata["text_columns"]
    later = dated(seed=5).drop(columns="y")
    later.to_parquet(tmp_path / "new.parquet", index=False)
    for name in ("t.csv", "t.parquet"):
        result = run(
            "predict",
            tmp_path / "new.parquet",
            "--model",
            tmp_path / f"{name}.hvrt",
            "-o",
            tmp_path / f"{name}.out.parquet",
            "--chunk-rows",
            64,
            "-q",
        )
        assert result.exit_code == 0, result.stderr
    a = pd.read_parquet(tmp_path / "t.csv.out.parquet")["prediction"]
    b = pd.read_parquet(tmp_path / "t.parquet.out.parquet")["prediction"]
    np.testing.assert_array_equal(a, b)
    later.loc[70, "when"] = "soon"  # a text date that is not one: refused by its row, as in a CSV
    later.to_parquet(tmp_path / "bad.parquet", index=False)
    result = run(
        "predict",
        tmp_path / "bad.parquet",
        "--model",
        tmp_path / "t.csv.hvrt",
        "-o",
        tmp_path / "o.parquet",
        "--chunk-rows",
        64,
    )
    assert (
        result.exit_code == 2
        and "held dates at fit, but data row 71 holds 'soon', which is not an ISO 8601 date" in result.stderr
    )


# --------------------------------------------------------------------------- codes written otherwise (18B #2; 18A #8)


def coded(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n), "code": rng.choice([1, 17, 100, 250], n)})
    frame["y"] = frame["x"] + frame["code"].map({1: 5.0, 17: -5.0, 100: 10.0, 250: 0.0}) + rng.normal(size=n) * 0.05
    return frame


def test_codes_written_otherwise_than_at_fit_are_refused_not_silently_unseen(tmp_path):
    frame = coded()
    frame.to_csv(tmp_path / "cc.csv", index=False)
    result = run("regress", tmp_path / "cc.csv", "--y", "y", "--categorical-features", "code", "--model", tmp_path / "m.hvrt",
                 "-o", tmp_path / "train.csv", "-q")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    for name, written in (("float.csv", frame["code"].astype(float)), ("pad.csv", frame["code"].map("{:03d}".format))):
        frame.assign(code=written).to_csv(tmp_path / name, index=False)
        result = run(
            "predict", tmp_path / name, "--model", tmp_path / "m.hvrt", "-o", tmp_path / "o.csv", "--chunk-rows", 100
        )
        assert result.exit_code == 2, result.output
        first = "1.0" if name == "float.csv" else "001"
        row = int(np.flatnonzero(frame["code"].to_numpy() == 1)[0]) + 1
        assert result.stderr.startswith(
            f"hvrt: error: column 'code' of '{tmp_path / name}': data row {row} holds '{first}', a category the model "
            f"'{tmp_path / 'm.hvrt'}' never saw, which is its category '1' written otherwise"
        ), result.stderr
        assert not (tmp_path / "o.csv").exists()
    # the same codes stored as Parquet integers (or whole floats) are the categories the CSV fit read
    trained = read_csv_exact(tmp_path / "train.csv")["prediction"]  # (pandas 2's default parser is an ulp off)
    for stored in (frame, frame.assign(code=frame["code"].astype(float).where(frame.index != 5))):
        stored.to_parquet(tmp_path / "cc.parquet", index=False)
        result = run(
            "predict",
            tmp_path / "cc.parquet",
            "--model",
            tmp_path / "m.hvrt",
            "-o",
            tmp_path / "o.parquet",
            "--chunk-rows",
            100,
            "-q",
        )
        assert result.exit_code == 0, result.stderr
        predicted = pd.read_parquet(tmp_path / "o.parquet")["prediction"]
        keep = stored["code"].notna().to_numpy()
        np.testing.assert_array_equal(predicted[keep], trained[keep])


def test_a_column_of_mostly_unseen_categories_is_warned_of_by_name(tmp_path):
    frame = coded()
    frame.to_csv(tmp_path / "cc.csv", index=False)
    assert run("partition", tmp_path / "cc.csv", "--categorical-features", "code", "--y", "y", "-k", 4, "-o", tmp_path / "p.csv",
               "--model", tmp_path / "m.hvrt", "-q").exit_code == 0  # fmt: skip
    frame.assign(code=frame["code"] + 1000).to_csv(tmp_path / "new.csv", index=False)  # codes of another numbering
    result = run(
        "label", tmp_path / "new.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "o.csv", "--chunk-rows", 100
    )
    assert result.exit_code == 0
    warned = [line for line in result.stderr.splitlines() if line.startswith("hvrt: warning: column 'code'")]
    assert len(warned) == 1 and "600 of the 600 values of" in warned[0] and "never saw at fit (first '1" in warned[0], (
        result.stderr
    )
    result = run("label", tmp_path / "cc.csv", "--model", tmp_path / "m.hvrt", "-o", tmp_path / "o2.csv")
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_rules_of_a_csv_code_column_say_to_read_it_as_text(tmp_path):
    frame = coded()
    frame.to_csv(tmp_path / "cc.csv", index=False)
    assert run("partition", tmp_path / "cc.csv", "--categorical-features", "code", "--y", "y", "-k", 6, "-o", tmp_path / "p.csv",
               "--model", tmp_path / "m.hvrt", "-q").exit_code == 0  # fmt: skip
    for extra in ([], ["-o", tmp_path / "rules.csv"]):
        result = run("rules", "--model", tmp_path / "m.hvrt", *extra)
        assert result.exit_code == 0
        assert "hvrt: warning: column(s) 'code' were read as text at fit" in result.stderr
        assert "pd.read_csv(path, dtype={'code': str})" in result.stderr
    rules = pd.read_csv(tmp_path / "rules.csv")
    data = pd.read_csv(tmp_path / "p.csv", dtype={"code": str})  # as the warning says: every rule exact
    for label, rule in zip(rules["partition"], rules["rule"]):
        assert (data.query(rule, engine="python")["partition"] == label).all()
        assert len(data.query(rule, engine="python")) == (data["partition"] == label).sum()
    frame.to_csv(tmp_path / "plain.csv", index=False)  # a column of numbers, not listed: no warning
    assert (
        run(
            "partition",
            tmp_path / "plain.csv",
            "--y",
            "y",
            "-k",
            4,
            "-o",
            tmp_path / "p2.csv",
            "--model",
            tmp_path / "m2.hvrt",
            "-q",
        ).exit_code
        == 0
    )
    assert "warning" not in run("rules", "--model", tmp_path / "m2.hvrt").stderr


# --------------------------------------------------------------------------- chunked Parquet output (18B #3, #4)


@pytest.fixture(scope="module")
def regressor(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reg")
    coded().drop(columns="code").to_csv(folder / "train.csv", index=False)
    assert run("regress", folder / "train.csv", "--y", "y", "--model", folder / "r.hvrt", "-q").exit_code == 0
    return folder / "r.hvrt"


def test_a_bool_column_empty_in_the_first_chunk_stays_bool_whatever_the_chunks(tmp_path, regressor):
    frame = coded(40).drop(columns=["code", "y"])
    frame["ok"] = [None if i < 10 else i % 2 == 0 for i in range(40)]
    frame["small"] = [None if i < 10 else i for i in range(40)]
    frame.to_csv(tmp_path / "n.csv", index=False)
    read = {}
    for chunk in (5, 10, 11, 100):
        out = tmp_path / f"o{chunk}.parquet"
        assert (
            run("predict", tmp_path / "n.csv", "--model", regressor, "-o", out, "--chunk-rows", chunk, "-q").exit_code
            == 0
        )
        read[chunk] = pd.read_parquet(out)
    assert read[5]["ok"].iloc[9:13].tolist() == [None, True, False, True]
    for chunk in (5, 10, 11):
        pd.testing.assert_frame_equal(read[chunk], read[100])


def test_ids_beyond_2_53_after_an_empty_first_chunk_read_back_exact(tmp_path, regressor):
    frame = coded(40).drop(columns=["code", "y"])
    frame["bigid"] = pd.array([None if i < 10 else 2**60 + 2 * i + 1 for i in range(40)], dtype="Int64")
    frame.to_csv(tmp_path / "n.csv", index=False)
    for chunk in (10, 11, 100):
        out = tmp_path / f"o{chunk}.parquet"
        assert (
            run("predict", tmp_path / "n.csv", "--model", regressor, "-o", out, "--chunk-rows", chunk, "-q").exit_code
            == 0
        )
        back = pd.read_parquet(out)["bigid"]
        assert back.dtype == "Int64", (chunk, back.dtype)
        assert back.iloc[10] == 2**60 + 21 and back.isna().sum() == 10


# --------------------------------------------------------------------------- a model saved from Python (18B #1)


def test_a_model_saved_from_python_labels_csv_and_parquet_dates(tmp_path):
    frame = dated().drop(columns="y")
    frame["when"] = pd.to_datetime(frame["when"])
    frame["mixed"] = np.where(np.arange(len(frame)) < 300, np.array(["1", "2", "3"])[np.arange(len(frame)) % 3], "x")
    model = HVRTPartitioner(max_leaf_nodes=6, engine="exact").fit(frame)
    hvrt.save(model, tmp_path / "py.hvrt")
    frame.to_csv(tmp_path / "f.csv", index=False)
    frame.to_parquet(tmp_path / "f.parquet", index=False)
    frame.assign(when=frame["when"].dt.date).to_parquet(tmp_path / "date32.parquet", index=False)
    for name in ("f.csv", "f.parquet", "date32.parquet"):
        # chunks of 100: the first three hold 'mixed' values that all look like numbers
        result = run(
            "label",
            tmp_path / name,
            "--model",
            tmp_path / "py.hvrt",
            "-o",
            tmp_path / "out.parquet",
            "--chunk-rows",
            100,
            "-q",
        )
        assert result.exit_code == 0, (name, result.stderr)
        np.testing.assert_array_equal(pd.read_parquet(tmp_path / "out.parquet")["partition"], model.labels_)


def test_a_column_of_mostly_dates_left_out_or_profiled_is_no_error(tmp_path):
    frame = dated()
    frame.loc[3, "when"] = "2021-02-30"
    frame["label"] = np.arange(len(frame)) % 3
    frame.to_csv(tmp_path / "typo.csv", index=False)
    result = run("partition", tmp_path / "typo.csv", "--columns", "x", "--y", "y", "-o", tmp_path / "p.csv", "-q")
    assert result.exit_code == 0, result.stderr
    result = run("profile", tmp_path / "typo.csv", "--labels", "label", "--out", tmp_path / "report", "-q")
    assert result.exit_code == 0, result.stderr
