"""Run a snippet of Python in a new process on this checkout's ``src`` (what a user's first
call meets: nothing imported, nothing compiled in memory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def run_python(code: str, **env: str) -> str:
    """The snippet's stdout; ``env`` adds environment variables. A failure raises with its stderr."""
    environment = {**os.environ, "PYTHONPATH": str(SRC), **env}
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=environment)
    if out.returncode != 0:
        raise AssertionError(f"the snippet failed:\n{out.stderr}")
    return out.stdout
