"""Smoke tests of the benchmark harness on tiny data: correctness of what it reports, no timings."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

# ``benchmarks`` is a top-level folder of the repository, not part of the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _peers  # noqa: E402
from benchmarks._harness import measure, write_markdown_section  # noqa: E402
from benchmarks.partition import (  # noqa: E402
    Row,
    RunResult,
    build_table,
    features_table,
    make_data,
    quality_row,
    run_benchmark,
    run_once,
    sum_target,
    targets_table,
)


def brute_force_within_sse(values: np.ndarray, labels: np.ndarray) -> float:
    """The definition, one partition at a time (fine for a test on tiny data)."""
    return sum(float(((values[labels == k] - values[labels == k].mean(axis=0)) ** 2).sum()) for k in np.unique(labels))


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(loc=[0.0, 5.0, -2.0], scale=[1.0, 10.0, 0.1], size=(500, 3))
    labels = rng.integers(0, 17, size=500) * 2  # gaps in the label values are allowed
    return X, sum_target(X), labels


def test_sum_target_is_row_sum_of_z_scores(data):
    X, target, _ = data
    z = (X - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_allclose(target, z.sum(axis=1), atol=1e-12)


def test_quality_matches_brute_force(data):
    X, target, labels = data
    quality = quality_row(X, labels, target)
    z = (X - X.mean(axis=0)) / X.std(axis=0)
    expected_explained = 1 - brute_force_within_sse(target, labels) / brute_force_within_sse(target, np.zeros(500))
    expected_ratio = brute_force_within_sse(z, labels) / brute_force_within_sse(z, np.zeros(500))
    assert quality["explained_variance"] == pytest.approx(expected_explained, rel=1e-12)
    assert quality["sse_ratio"] == pytest.approx(expected_ratio, rel=1e-12)
    assert quality["n_partitions"] == len(np.unique(labels))


def test_quality_extremes_and_constant_column(data):
    X, target, _ = data
    X = np.column_stack([X, np.full(len(X), 7.0)])  # a constant column is left out of the ratio
    one = quality_row(X, np.zeros(len(X), dtype=int), target)
    assert one["explained_variance"] == pytest.approx(0.0, abs=1e-12)
    assert one["sse_ratio"] == pytest.approx(1.0)
    assert one["n_partitions"] == 1
    singletons = quality_row(X, np.arange(len(X)), target)
    assert singletons["explained_variance"] == pytest.approx(1.0)
    assert singletons["sse_ratio"] == pytest.approx(0.0, abs=1e-12)


def test_quality_rejects_bad_labels(data):
    X, target, labels = data
    with pytest.raises(ValueError, match="labels"):
        quality_row(X, labels[:-1], target)


def _run(total: float) -> RunResult:
    return RunResult(fit_s=total * 0.9, label_s=total * 0.1, total_s=total, peak_mb=12.0,
                     explained_variance=0.5, sse_ratio=0.4, n_partitions=8)  # fmt: skip


def test_build_table_medians_ratios_and_status():
    rows = [
        Row("hist", 8, [_run(1.0), _run(3.0), _run(2.0)]),
        Row("exact", 8, [_run(40.0), _run(50.0), _run(60.0)]),
        Row("kmeans", 8, status="skipped (> 120 s cap)"),
    ]
    lines = build_table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    hist, exact, kmeans = lines[2:]
    assert "| 2.000 |" in hist and "1.0×" in hist
    assert "| 50.000 |" in exact and "25.0×" in exact  # median over median, same K
    assert "skipped (> 120 s cap)" in kmeans


def test_features_table_compares_the_two_hvrt_targets_at_each_k():
    rows = [
        Row("hist", 8, [_run(1.0), _run(2.0), _run(3.0)]),
        Row("hist-features", 8, [_run(3.0), _run(4.0), _run(5.0)]),
        Row("hist", 16, [_run(1.0)]),  # no features run at this K: no line
    ]
    lines = features_table(rows).splitlines()
    assert len(lines) == 3
    assert lines[2].startswith("| 8 | 2.000 | 4.000 | 2.00 |")
    assert features_table(rows[:1]) == ""


def test_partition_runs_the_features_target_only_when_asked():
    from benchmarks.partition import _parse_args as partition_args

    assert "hist-features" not in partition_args([]).methods
    assert partition_args(["--methods", "hist", "hist-features"]).methods == ["hist", "hist-features"]


def test_hist_features_method_grows_on_the_features_target():
    X = np.random.default_rng(3).normal(size=(600, 3))
    model = _peers.METHODS["hist-features"].fit(X, X.sum(axis=1), 8, 0)
    assert model.target == "features" and model.engine == "hist"
    assert len(np.unique(_peers.METHODS["hist-features"].label(model, X))) == 8


def test_build_table_without_reference_has_no_ratio():
    table = build_table([Row("exact", 8, [_run(4.0)])])
    assert "×" not in table.splitlines()[-1]


def test_write_markdown_section_replaces_only_its_section(tmp_path):
    path = tmp_path / "results.md"
    write_markdown_section(path, "a", "first A", "# Title")
    write_markdown_section(path, "b", "only B", "# Title")
    write_markdown_section(path, "a", "second A", "# Title")
    text = path.read_text()
    assert text.startswith("# Title")
    assert "second A" in text and "only B" in text and "first A" not in text
    assert text.index("second A") < text.index("only B")


def test_measure_returns_result_and_memory():
    measurement = measure(lambda: np.ones(2_000_000).sum())
    assert measurement.result == 2_000_000
    assert measurement.seconds >= 0
    assert measurement.peak_mb > 5  # the 15 MB array was resident at some point


def test_missing_peer_names_the_bench_extra():
    with pytest.raises(ImportError, match=r"hvrt-partitioner\[bench\]"):
        _peers.import_peer("a_module_that_does_not_exist")


@pytest.mark.parametrize(
    ("method", "needs"),
    [("exact", None), ("lightgbm", "lightgbm"), ("faiss", "faiss"), ("minibatch", None), ("bisecting", None)],
)
def test_run_once_every_method(method, needs):
    if needs:
        pytest.importorskip(needs)
    X = make_data(600, 4, seed=1)
    result = run_once(method, X, sum_target(X), 12, seed=1)
    assert 2 <= result.n_partitions <= 12
    assert 0 < result.explained_variance < 1
    assert 0 < result.sse_ratio < 1
    assert result.total_s >= result.fit_s


def test_run_benchmark_in_workers_and_kmeans_cap():
    rows = run_benchmark(["exact", "kmeans"], 400, 3, [4, 8], repeats=2, seed=0, caps={"kmeans": 0.0})
    by_key = {(row.method, row.n_partitions_requested): row for row in rows}
    assert [len(by_key["exact", k].runs) for k in (4, 8)] == [2, 2]
    assert by_key["exact", 8].runs[-1].n_partitions == 8
    # A zero cap kills KMeans at the first K and skips the larger one without running it.
    assert by_key["kmeans", 4].status.startswith("skipped (> 0 s cap")
    assert by_key["kmeans", 8].status == "skipped (> 0 s cap at K=4)"


def test_targets_table_ratios_bounds_and_gap():
    rows = [
        Row("hist", 8, [_run(2.0)]),
        Row("exact", 8, [_run(80.0)]),
        Row("kmeans", 8, status="skipped (> 120 s cap)"),
    ]
    line = targets_table(rows, input_mb=10.0, caps={"kmeans": 120.0}).splitlines()[-1]
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells == ["8", "40.0", "—", "—", "> 60", "+0.00%", "—", "1.20"]
    rows.append(Row("lightgbm", 8, [_run(8.0)]))
    rows[-1].runs[0].explained_variance = 0.6  # hist's 0.5 is 16.67 % below
    cells = [cell.strip() for cell in targets_table(rows, input_mb=10.0).splitlines()[-1].strip("|").split("|")]
    assert cells[2] == "4.0" and cells[6] == "-16.67%"
    assert targets_table([Row("exact", 8, [_run(1.0)])], input_mb=1.0) == ""


def test_options_tables_run_small() -> None:
    from benchmarks.options import max_samples_table, min_variance_reduction_table

    rows = [line.split("|") for line in min_variance_reduction_table(seed=0).splitlines()[2:]]
    partitions = {(r[1].strip(), r[2].strip()): int(r[3]) for r in rows}
    assert partitions[("0.0", "sum")] == 200
    assert partitions[("0.01", "sum")] < partitions[("0.001", "sum")] < 200
    samples = max_samples_table(n_samples=4000, n_features=4, n_partitions=20, repeats=1, seed=0)
    assert samples.splitlines()[2].startswith("| all rows |") and "+0.0%" in samples


def test_binning_table_runs_small() -> None:
    from benchmarks.binning import DATASETS, quality_table

    rows = [line.strip("|").split("|") for line in quality_table(n_samples=3000, ks=[8], seed=0).splitlines()[2:]]
    assert [row[0].strip() for row in rows] == list(DATASETS)
    for row in rows:
        exact, quantile, default = float(row[2]), float(row[3].strip(" %")), float(row[4].strip(" %"))
        assert 0.0 < exact <= 1.0 and -100.0 < quantile <= 100.0 and -100.0 < default <= 100.0


BENCHMARKS = (
    "partition", "plot_scaling", "options", "binning", "metrics", "profiler", "guidance", "dask", "coldstart", "categoricals",
    "compile_profile", "aot_kernels",
)  # fmt: skip


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_takes_the_shared_flags(name, capsys) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--n", "--k", "--seed", "--out"):
        assert f"{flag} " in text
    assert not [old for old in ("rows", "features", "partitions") if f"--{old}" in text]  # the old spellings


def test_partition_and_scaling_parse_the_shared_flags() -> None:
    from benchmarks.partition import _parse_args as partition_args
    from benchmarks.plot_scaling import _parse_args as scaling_args

    args = partition_args(["--n", "400", "--d", "3", "--k", "4", "8", "--repeats", "2", "--seed", "5"])
    assert (args.n, args.d, args.k, args.repeats, args.seed, args.out) == (400, 3, [4, 8], 2, 5, None)
    args = scaling_args(["--n", "300", "400", "--k", "4", "--k-n", "400", "--n-k", "4", "--out", "x.md"])
    assert (args.n, args.k, args.k_n, args.n_k, args.out) == ([300, 400], [4], 400, 4, Path("x.md"))


@pytest.mark.parametrize(
    ("name", "argv", "echoed"),
    [
        ("metrics", ["--n", "3000", "--d", "3", "--k", "16", "--baseline-partitions", "4", "--repeats", "1"],
         "--n 3000 --d 3 --k 16 --baseline-partitions 4 --repeats 1 --seed 0"),
        ("profiler", ["--n", "2000", "--d", "4", "--k", "8", "--repeats", "1"], "--n 2000 --d 4 --k 8 --repeats 1 --seed 0"),
        ("options", ["--n", "4000", "--d", "4", "--k", "20", "--repeats", "1"], "--n 4000 --d 4 --k 20 --repeats 1"),
        ("binning", ["--n", "3000", "--k", "8", "--seed", "0"], "--n 3000 --k 8 --seed 0"),
    ],
)  # fmt: skip
def test_benchmark_main_runs_small(name, argv, echoed, tmp_path) -> None:
    if name == "profiler":
        pytest.importorskip("matplotlib")
    out = tmp_path / f"{name}.md"
    assert importlib.import_module(f"benchmarks.{name}").main([*argv, "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# ") and "|---" in text
    assert f"`python -m benchmarks.{name} {echoed}" in text  # the command as run, in the one vocabulary
    for line in ("- Date: ", "- Machine: ", "- Code: ", "- Load average (1, 5, 15 min) at the start: "):
        assert line in text  # every results file can be traced to a run


def _local_methods() -> list[str]:
    """The local-models benchmark's methods whose packages this environment has (CI has no bench extra)."""
    from benchmarks.local_models import METHODS, unavailable_reason

    return [method for method in METHODS if unavailable_reason(method) is None]


def test_local_models_main_runs_small(tmp_path) -> None:
    from benchmarks.local_models import METHODS

    methods = _local_methods()
    assert {"ridge", "kmeans_ridge"} <= set(methods)  # scikit-learn only: always there
    out = tmp_path / "local_models.md"
    argv = ["--datasets", "synthetic", "--n", "1200", "--k", "16", "--cap", "0", "--methods", *methods]
    assert importlib.import_module("benchmarks.local_models").main([*argv, "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# Local models benchmark") and "## synthetic" in text
    assert f"`python -m benchmarks.local_models {' '.join(argv)} --out {out}`" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| method")]
    assert [row.split("|")[1].strip() for row in rows] == [METHODS[method].label for method in methods]
    for row in rows:
        r2 = float(row.split("|")[2])
        assert -1.0 < r2 <= 1.0
        assert row.split("|")[7].strip() == "900"  # train rows: 75 % of 1,200


def test_local_models_worker_cap_and_subsample(tmp_path) -> None:
    from benchmarks.local_models import main

    out = tmp_path / "capped.md"
    argv = ["--datasets", "synthetic", "--n", "1000", "--methods", "ridge", "kmeans_ridge", "--k", "8",
            "--cap", "1e-9", "--max-train-rows", "500", "--subsample", "kmeans_ridge", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    rows = [line.split("|") for line in out.read_text().splitlines() if line.startswith("| ") and "R²" not in line]
    assert len(rows) == 2  # a killed run keeps its row
    assert all("killed past the 1e-09 s cap" in row[8] for row in rows)
    assert rows[0][7].strip() == "750" and rows[1][7].strip() == "500"
    assert "subsample of 500 of 750 rows" in rows[1][8]


def test_local_models_table_keeps_unavailable_rows_and_ratios() -> None:
    from benchmarks.local_models import Row
    from benchmarks.local_models import RunResult as LocalRun
    from benchmarks.local_models import build_table

    rows = [
        Row("partitioned", 100, [LocalRun(2.0, 0.1, 0.9, 1.0)]),
        Row("ridge", 100, [LocalRun(0.5, 0.1, 0.5, 2.0), LocalRun(1.5, 0.3, 0.5, 2.0)]),
        Row("cubist", 100, status="not installed"),
    ]
    lines = build_table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert "| 1.00× |" in lines[2] and "| 0.50× |" in lines[3] and "| 1.000 |" in lines[3]  # median fit 1.0 s
    assert "not installed" in lines[4] and "| — |" in lines[4]


def test_synthetic_local_data_and_split() -> None:
    from benchmarks.datasets import holdout_split, synthetic

    X, y, _ = synthetic(1000, seed=3)
    assert X.shape == (1000, 6) and X["group"].dtype == "category" and y.shape == (1000,)
    X_train, X_test, y_train, y_test = holdout_split(X, y, seed=0)
    assert (len(X_train), len(X_test)) == (750, 250)
    again = holdout_split(X, y, seed=0)
    np.testing.assert_array_equal(again[2], y_train)


def test_local_models_takes_the_shared_flags(capsys) -> None:
    from benchmarks.local_models import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--n", "--k", "--repeats", "--seed", "--out", "--datasets", "--methods", "--cap", "--max-train-rows"):
        assert f"{flag} " in text


@pytest.mark.slow
def test_dask_benchmark_runs_small(tmp_path) -> None:
    pytest.importorskip("distributed")
    from benchmarks import dask as dask_benchmark

    out = tmp_path / "dask.md"
    argv = ["--n", "20000", "--d", "3", "--k", "8", "--chunk-rows", "5000", "--sample", "5000",
            "--methods", "hist", "sample", "memory", "--in-process", "--out", str(out)]  # fmt: skip
    assert dask_benchmark.main(argv) == 0
    text = out.read_text()
    assert "`python -m benchmarks.dask --n 20000 --d 3 --k 8" in text
    assert "- Date: " in text and "- Code: " in text and "- Load average (1, 5, 15 min) at the start: " in text
    rows = {line.split("|")[1].strip(): line.split("|") for line in text.splitlines() if line.startswith("| hvrt") or line.startswith("| in-memory")}
    assert set(rows) == {"hvrt.dask, hist route", "hvrt.dask, sample route", "in-memory hvrt (hist)"}
    hist, memory = rows["hvrt.dask, hist route"], rows["in-memory hvrt (hist)"]
    assert hist[6].strip() == "1.00x"
    # every row shapes the hist route's splits, as in memory: the same explained variance
    assert float(hist[5]) == pytest.approx(float(memory[5]), abs=1e-4)
    assert "5,000 rows grew the tree" in rows["hvrt.dask, sample route"][7]


@pytest.mark.slow
def test_dask_benchmark_peers_run_small(tmp_path) -> None:
    pytest.importorskip("distributed")
    pytest.importorskip("lightgbm")
    pytest.importorskip("dask_ml")
    from benchmarks import dask as dask_benchmark

    out = tmp_path / "dask.md"
    argv = ["--n", "20000", "--d", "3", "--k", "8", "--chunk-rows", "5000", "--methods", "hist", "lightgbm",
            "dask-ml", "--in-process", "--no-warm-up", "--out", str(out)]  # fmt: skip
    assert dask_benchmark.main(argv) == 0
    rows = {line.split("|")[1].strip(): line.split("|") for line in out.read_text().splitlines() if line.startswith("| ")}
    for name in ("lightgbm.dask, one tree", "dask-ml KMeans"):
        # both ran (no "failed" note) and explain part of the target's variance
        assert 0.3 < float(rows[name][5]) < 1.0, rows[name]
    assert "Lloyd iterations" in rows["dask-ml KMeans"][7]


def test_coldstart_table_ratios_and_targets() -> None:
    from benchmarks.coldstart import CASES, Case, Probe, build_table, targets_lines

    first_fit = {("exact", "sum", None): 2.0, ("hist", "sum", "cold"): 3.0, ("hist", "sum", "warm"): 0.5,
                 ("hist", "features", "cold"): 5.0, ("hist", "features", "warm"): 0.9}  # fmt: skip
    cases = []
    for spec in CASES:
        case = Case(*spec)
        numba = spec[3] == "numba"  # numba's kernels only: twice the time in this made-up run
        # medians of three probes: the outliers (10x, 0x) must not count
        for scale in (1.0, 10.0, 0.0):
            seconds = first_fit[spec[:3]] * scale * (2 if numba else 1)
            case.probes.append(Probe(1.0, seconds, 0.7 * scale, 0.4 * scale, numba and spec[2] == "cold", not numba, numba))
        cases.append(case)
    lines = build_table(cases).splitlines()
    assert len(lines) == 2 + len(CASES)
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    cold_sum = next(line for line in lines if line.startswith("| hist, sum, cold cache |"))
    assert "| 3.000 | 0.400 | 2.600 | 1.50× | 0.70 | no | no |" in cold_sum
    assert "| 0.500 | 0.400 | 0.100 | 0.25× | 0.70 | no | no |" in next(line for line in lines if "sum, warm" in line)
    numba_cold = next(line for line in lines if line.startswith("| hist, sum, cold cache, numba kernels only |"))
    assert "| 6.000 | 0.400 | 5.600 | 3.00× | 0.70 | yes | yes |" in numba_cold
    sum_line, features_line, numba_sum_line, _ = targets_lines(cases)
    assert "cold first fit 1.50×" in sum_line and "met" in sum_line and "not met" not in sum_line
    assert "cold first fit 2.50×" in features_line and "(target ≤ 2×: not met)" in features_line
    assert "warm first fit 0.50 s over a repeat fit (target ≤ 0.3 s: not met)" in features_line
    assert numba_sum_line.startswith("- sum, numba kernels only: cold first fit 3.00×")


def test_aot_kernels_tables_give_same_run_ratios() -> None:
    from benchmarks.aot_kernels import build_tables, combine

    def result(scale: float, precompiled: bool) -> dict:
        return {
            "precompiled": precompiled, "numba_imported": not precompiled,
            "fits": {"sum 200": 0.5 * scale, "features 200": 1.0 * scale},
            "threads": {"serial": 0.04 * scale, "two threads": 0.02 * scale * (2 if precompiled else 1)},
        }  # fmt: skip

    lines = build_tables({"precompiled": result(1.0, True), "numba": result(2.0, False)})
    assert lines[0].startswith("Precompiled module used: yes; numba imported by the precompiled run: no")
    assert "| sum 200 | 0.500 | 1.000 | 0.50× |" in lines
    assert "| features 200 | 1.000 | 2.000 | 0.50× |" in lines
    assert "| two threads | 0.0400 | 0.0400 | 1.00× |" in lines
    assert lines[-1] == "Two threads over serial: precompiled 1.00×, numba 2.00×."
    combined = combine([result(1.0, True), result(9.0, True), result(2.0, True)])  # medians: the 9x is out
    assert combined["fits"]["sum 200"] == 1.0 and combined["threads"]["serial"] == 0.08


def test_coldstart_probe_runs_in_a_fresh_process() -> None:
    from benchmarks.coldstart import run_probe

    probe = run_probe("exact", "sum", None, n_samples=300, n_features=3, n_partitions=4, seed=0)
    assert probe.first_fit_s > 0 and probe.repeat_fit_s > 0 and probe.import_s > 0
    assert probe.compile_message is False  # the exact engine compiles nothing


def test_categoricals_rows_compare_encodings_on_one_table() -> None:
    import pandas as pd

    from benchmarks.categoricals import comparison_rows, high_cardinality

    wide = high_cardinality(3000, seed=0)
    assert wide["title"].nunique() > 255  # more levels than native codes: some are pooled
    rows = comparison_rows(
        wide, ["title"], [("numeric", "hist", "none"), ("native", "hist", "native"), ("target", "hist", "target")], 20, 1
    )
    cells = [row.strip("|").split("|") for row in rows]
    assert [c[0].strip() for c in cells] == ["numeric", "native", "target"]
    assert float(cells[0][4]) == 1.0  # the numeric-only fit is the reference of the ratios
    assert all(0.0 < float(c[5]) < 1.0 for c in cells)  # within-partition SSE ratios
    assert isinstance(wide, pd.DataFrame) and list(wide.columns) == [*"abcde", "title"]


def test_compile_profile_tables_sort_kernels_and_sum_loads() -> None:
    from benchmarks.compile_profile import TARGETS, build_tables

    cold = {
        "fit_s": 9.0,
        "kernels": [["_rows.split_rows", "int64", 1.5, 0.5], ["_grower.grow", "float64, " * 30, 4.0, 2.0]],
        "passes": {"native_lowering": 5.0, "nopython_type_inference": 2.0},
    }
    warm = {"numba_import_s": 0.2, "hist_import_s": 0.05, "fit_s": 0.6, "repeat_s": 0.1,
            "loads": {"_binning._bin_rows": 0.3, "_grower.grow": 0.05}}  # fmt: skip
    lines = build_tables({target: {"cold": cold, "warm": warm} for target in TARGETS})
    kernel_rows = [line for line in lines if line.startswith("| _")]
    # slowest kernel (exclusive time) first, long signatures cut, times as given
    assert kernel_rows[0].startswith("| _grower.grow | `float64,") and kernel_rows[0].endswith("…` | 2.000 | 4.000 |")
    assert kernel_rows[1] == "| _rows.split_rows | `int64` | 0.500 | 1.500 |"
    assert any("compiling 2 kernel signatures took 2.50 s" in line for line in lines)
    assert any("cache loads (dispatcher `compile` on a hit, 2 kernels) 0.350 s" in line for line in lines)
    assert sum(line.startswith("## ") for line in lines) == 2 * len(TARGETS)


def test_code_line_names_the_commit_of_the_tree_hvrt_is_imported_from(tmp_path):
    # The "Code:" line named the benchmark scripts' checkout even when PYTHONPATH imported hvrt
    # from another tree (an A/B run against main): the table then credited the wrong code.
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("needs git")
    scripts = Path(__file__).resolve().parent.parent
    other = tmp_path / "other"
    (other / "src" / "hvrt").mkdir(parents=True)
    (other / "src" / "hvrt" / "__init__.py").write_text("")

    def git(*args: str) -> str:
        command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args]
        return subprocess.run(command, cwd=other, capture_output=True, text=True, check=True).stdout.strip()

    def code_line(hvrt_tree: Path) -> str:
        program = f"from benchmarks._harness import code_version; print(code_version({str(scripts)!r}))"
        env = {**os.environ, "PYTHONPATH": f"{hvrt_tree / 'src'}{os.pathsep}{scripts}"}
        return subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "other tree")
    commit = git("rev-parse", "--short", "HEAD")
    # (the part after "; " says whether this checkout's benchmark scripts have edits)
    assert code_line(other).split("; ")[0] == f"commit {commit} of {other.resolve()} (where hvrt is imported from, not the benchmark scripts' checkout)"
    (other / "src" / "hvrt" / "__init__.py").write_text("x = 1\n")
    assert code_line(other).startswith(f"commit {commit} with uncommitted changes under src/ of ")
    copy = tmp_path / "copy"
    shutil.copytree(other / "src", copy / "src")  # a copy git does not track (a `git archive` extract)
    assert code_line(copy) == f"unknown (hvrt imported from {(copy / 'src' / 'hvrt').resolve()}, which is not in a git checkout)"


def test_code_line_flags_edited_benchmark_scripts_but_not_results(tmp_path):
    # Only src/ was checked: a run with edited peer parameters or protocol looked committed.
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("needs git")
    repo = tmp_path / "repo"
    (repo / "src" / "hvrt").mkdir(parents=True)
    (repo / "src" / "hvrt" / "__init__.py").write_text("")
    (repo / "benchmarks" / "results").mkdir(parents=True)
    (repo / "benchmarks" / "peers.py").write_text("K = 1\n")
    (repo / "benchmarks" / "results" / "table.md").write_text("# old\n")

    def git(*args: str) -> str:
        command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args]
        return subprocess.run(command, cwd=repo, capture_output=True, text=True, check=True).stdout.strip()

    def code_line() -> str:
        program = f"from benchmarks._harness import code_version; print(code_version({str(repo)!r}))"
        env = {**os.environ, "PYTHONPATH": f"{repo / 'src'}{os.pathsep}{Path(__file__).resolve().parent.parent}"}
        return subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "repo")
    commit = git("rev-parse", "--short", "HEAD")
    (repo / "benchmarks" / "results" / "table.md").write_text("# a run's own output\n")
    assert code_line() == f"commit {commit}"
    (repo / "benchmarks" / "peers.py").write_text("K = 2\n")
    assert code_line() == f"commit {commit}; the benchmark scripts have uncommitted changes"


def test_compile_cost_line_names_the_kernels_the_probe_ran() -> None:
    # With the kernels compiled at install the line said "numba compile ... 0.0 s", and its
    # `import hvrt` time was a cached import (the probe had imported hvrt already): 0.00 s.
    from benchmarks.partition import _COMPILE_PROBE, compile_cost_line

    first_import = [line for line in _COMPILE_PROBE.splitlines() if line.startswith(("import", "from"))][:2]
    assert first_import == ["import json, sys, time", "import hvrt"]
    timings = {"import_s": 0.09, "first_fit_s": 0.4, "second_fit_s": 0.02, "numba_imported": False}
    aot = compile_cost_line({state: {**timings, "precompiled": True} for state in ("cold", "warm")}, 20_000, 10, 200)
    assert aot.startswith("Kernels compiled at install: used (nothing compiled, numba not imported;")
    assert "numba compile" not in aot and "`import hvrt`, timed as the first import of a new interpreter, takes 0.09 s" in aot
    jit = compile_cost_line({state: {**timings, "precompiled": False} for state in ("cold", "warm")}, 20_000, 10, 200)
    assert jit.startswith("Kernels compiled at install: not used, so numba compiles them.")


def test_coldstart_regressor_table_names_its_kernels() -> None:
    from benchmarks.coldstart import Case, Probe, _parse_args, regressor_table

    cases = [Case("regressor", "sum", "cold", kernels) for kernels in ("precompiled", "numba")]
    for case, (first, numba) in zip(cases, [(0.3, False), (15.0, True)]):
        for scale in (1.0, 1.2, 0.9):
            case.probes.append(Probe(0.1, first * scale, first, 0.2, numba, not numba, numba))
    lines = regressor_table(cases).splitlines()
    assert lines[2].startswith("| PartitionedRegressor, empty numba cache | 0.300 | 0.200 | 0.100 |")
    assert lines[2].endswith("| no | no | 3 |")
    assert lines[3].startswith("| PartitionedRegressor, empty numba cache, numba kernels only | 15.000 |")
    assert lines[3].endswith("| yes | yes | 3 |")
    assert _parse_args([]).regressor == 0 and _parse_args(["--regressor", "50000"]).regressor == 50_000
