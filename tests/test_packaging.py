"""The installed package: only `hvrt` on the path, a light import, a working demo."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_only_hvrt(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("hvrt_partitioner-*.whl")
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"hvrt"}


def test_import_is_light() -> None:
    code = (
        "import sys, hvrt; hvrt.HVRTPartitioner;"
        "heavy = [m for m in ('numba', 'matplotlib', 'dask') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == ""


def test_public_names_resolve() -> None:
    import hvrt

    missing = []
    for name in hvrt.__all__:
        try:
            getattr(hvrt, name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert missing == []


def test_demo_runs_the_whole_job_through_python_m_hvrt(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hvrt", "demo", "--rows", "20000", "--out", str(tmp_path / "report")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    out = result.stdout
    assert "H-VRT demo: 20,000 rows x 7 columns" in out
    assert "Partitioned into 141 partitions (engine exact)" in out
    assert "PartitionedRegressor" in out and "global Ridge" in out
    assert f"{(tmp_path / 'report' / 'report.html').resolve()}" in out
    assert (tmp_path / "report" / "report.html").stat().st_size > 10_000
    assert result.stderr == ""  # no progress when stderr is not a terminal
