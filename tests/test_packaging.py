"""The installed package: only `hvrt` on the path, a light import, a working demo, and the
wheel working on its own in a fresh environment."""

from __future__ import annotations

import os
import re
import site
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "hvrt"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from pyproject.toml, as CI and PyPI would build it."""
    out = tmp_path_factory.mktemp("wheel")
    # From a copy without build products: setuptools builds in the tree and would ship what a
    # stale build/ folder still holds (a module since deleted, say).
    source = tmp_path_factory.mktemp("source") / "hvrt-partitioner"
    leftovers = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")
    shutil.copytree(ROOT, source, ignore=leftovers)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True,
    )
    (built,) = out.glob("hvrt_partitioner-*.whl")
    return built


def test_wheel_contains_only_hvrt(wheel: Path) -> None:
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"hvrt"}


def test_wheel_holds_every_package_file_and_nothing_else(wheel: Path) -> None:
    # Every file of src/hvrt, the report template modules included, and no tests,
    # benchmarks, examples or caches (numba's cache lives in __pycache__).
    expected = {
        "hvrt/" + path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".nbi", ".nbc"}
    }
    packaged = {name for name in zipfile.ZipFile(wheel).namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert "hvrt/report/_template.py" in packaged
    # the kernels compiled at build (setup.py), when a C compiler is there; an editable
    # install leaves a copy in the source tree
    compiled = {name for name in packaged if name.startswith("hvrt/_hist/_aot.") and not name.endswith(".py")}
    assert len(compiled) == (1 if shutil.which("cc") else len(compiled))
    assert packaged - compiled == {name for name in expected if not name.startswith("hvrt/_hist/_aot.")}


@pytest.mark.slow
def test_wheel_runs_the_quick_start_in_a_fresh_environment(wheel: Path, tmp_path: Path) -> None:
    # A fresh venv without pip, the wheel installed into it by this interpreter's pip
    # (--python), no network. The dependencies (numpy, pandas, scikit-learn, ...) are not
    # downloaded again: a .pth file puts this environment's site-packages after the new
    # one's. Paths listed in a .pth are appended to sys.path but not processed as site
    # directories, so an editable install of hvrt in this environment (its own .pth or
    # import hook) stays inactive, and the fresh venv's hvrt comes first on the path anyway.
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "PYTHONHOME"}}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # pip --python runs pip from this environment's site-packages, where it can see an
    # (editable) hvrt and call it "already installed": --ignore-installed
    install = ["install", "-q", "--no-deps", "--no-index", "--ignore-installed", str(wheel)]
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), *install], check=True, env=env)
    fresh_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    (fresh_site / "_dependencies_of_the_test_environment.pth").write_text("\n".join(sorted(ours)) + "\n")

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = re.search(r"## Quick Start\n+```python\n(.*?)```", readme, flags=re.S).group(1)
    script = quick_start + "\nimport hvrt\nprint('HVRT_FILE', hvrt.__file__)\nprint('HVRT_VERSION', hvrt.__version__)\n"
    outside = tmp_path / "elsewhere"  # not the source tree, and no PYTHONPATH
    outside.mkdir()
    result = subprocess.run([str(python), "-c", script], cwd=outside, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Successfully assigned 10000 samples to 200 partitions." in result.stdout
    hvrt_file = Path(re.search(r"HVRT_FILE (.*)", result.stdout).group(1))
    assert hvrt_file.is_relative_to(venv) and not hvrt_file.is_relative_to(ROOT)
    version = re.search(r"HVRT_VERSION (.*)", result.stdout).group(1)
    assert wheel.name.startswith(f"hvrt_partitioner-{version}-")


def test_import_is_light() -> None:
    code = (
        "import sys, hvrt; hvrt.HVRTPartitioner;"
        "heavy = [m for m in ('numba', 'matplotlib', 'dask') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == ""


def test_public_submodules_load_on_first_use_after_a_plain_import() -> None:
    code = (
        "import sys, hvrt; before = 'hvrt.persistence' in sys.modules;"
        "info = hvrt.persistence.model_info; hvrt.datasets.make_demo_data;"
        "print(before, 'hvrt.persistence' in sys.modules, 'dask' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["False", "True", "False"]


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
