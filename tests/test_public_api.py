"""The public surface: every exported name resolves, has numpydoc sections, one version."""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

import hvrt

ROOT = Path(__file__).resolve().parents[1]


def public_callables():
    for name in hvrt.__all__:
        obj = getattr(hvrt, name)
        if inspect.isclass(obj):
            yield name, obj
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and inspect.isfunction(member):
                    yield f"{name}.{attr}", member
        elif inspect.isfunction(obj):
            yield name, obj


def test_every_exported_name_resolves_and_is_listed_in_dir():
    assert set(hvrt.__all__) <= set(dir(hvrt))
    for name in hvrt.__all__:
        assert getattr(hvrt, name) is not None


@pytest.mark.parametrize(("name", "obj"), list(public_callables()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_functions_and_methods_document_parameters_and_returns(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    if inspect.isclass(obj):
        return
    parameters = [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]
    if parameters:
        assert re.search(r"^Parameters\n-{10}", doc, re.M), f"{name} has no Parameters section"
    returns = inspect.signature(obj).return_annotation
    if returns not in ("None", None, inspect.Signature.empty):
        assert re.search(r"^(Returns|Yields)\n-{7}", doc, re.M), f"{name} has no Returns section"


def test_one_version_source():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert hvrt.__version__ == version("hvrt-partitioner") == project["version"]
    sources = [p for p in (ROOT / "src" / "hvrt").rglob("*.py") if re.search(r"__version__\s*=\s*['\"]\d+\.\d+", p.read_text())]
    assert sources == [], f"a hard-coded version in {sources}"
