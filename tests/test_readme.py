"""Every Python block of the README runs, verbatim, in a scratch directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 1


def test_readme_blocks_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    for block in BLOCKS:  # later blocks build on earlier ones, as a reader would run them
        exec(compile(block, str(README), "exec"), namespace)
    assert "Successfully assigned 10000 samples to 200 partitions." in capsys.readouterr().out


def test_readme_keeps_the_seed_examples_verbatim() -> None:
    from .seed_readme import SEED_ANALYZER_USAGE, SEED_PROFILER_USAGE, SEED_QUICK_START

    text = README.read_text()
    for example in (SEED_QUICK_START, SEED_PROFILER_USAGE, SEED_ANALYZER_USAGE):
        assert example.strip() in text
