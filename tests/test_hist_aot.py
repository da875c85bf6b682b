"""The histogram engine's kernels compiled at install (``hvrt._hist._aot``) against numba's.

The precompiled module exists when the package was installed with a C compiler (``pip
install -e .``, ``make test``); tests that need it are skipped without it, with the reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hvrt import HVRTPartitioner
from hvrt._hist import _jit, _rows

from .fresh_process import run_python

ROOT = Path(__file__).resolve().parents[1]
needs_aot = pytest.mark.skipif(
    _jit.aot_module() is None,
    reason="hvrt._hist._aot is not built, or not current (reinstall: pip install -e .)",
)


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 3000
    X = pd.DataFrame(rng.standard_normal((n, 4)), columns=["a", "b", "c", "d"])
    X.loc[rng.random(n) < 0.05, "b"] = np.nan
    X["e"] = X["a"] * 2 + rng.standard_normal(n)
    X["shop"] = pd.Categorical(rng.choice(["north", "south", "east", "west", "mall"], n))
    return X


def _labels(X: pd.DataFrame, **params: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    model = HVRTPartitioner(max_leaf_nodes=40, engine="hist", random_state=0, **params).fit(X)
    return model.labels_, model.predict(X), model.predict(X.iloc[::3])


@needs_aot
@pytest.mark.parametrize("target", ["sum", "features"])
@pytest.mark.parametrize("columns", [["a", "b", "c", "d", "e"], ["a", "b", "c", "d", "e", "shop"]])
def test_precompiled_and_numba_kernels_give_the_same_partitions(target: str, columns: list[str]) -> None:
    X = _data()[columns]
    precompiled = _labels(X, target=target)
    previous = _jit.use_aot(False)
    try:
        jit = _labels(X, target=target)
    finally:
        _jit.use_aot(previous)
    for ours, numbas in zip(precompiled, jit):
        np.testing.assert_array_equal(ours, numbas)
    assert len(np.unique(precompiled[0])) == 40


@needs_aot
def test_a_fit_with_precompiled_kernels_does_not_import_numba() -> None:
    # numeric and categorical columns, both targets, labelling C- and F-ordered arrays:
    # every kernel these call is precompiled, so numba is never imported
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "from hvrt import HVRTPartitioner\n"
        "rng = np.random.default_rng(0)\n"
        "X = pd.DataFrame(rng.standard_normal((200_000, 6)))\n"
        "X.columns = [f'x{i}' for i in range(6)]\n"
        "X['k'] = pd.Categorical(rng.choice(list('abcdef'), len(X)))\n"
        "for target in ('sum', 'features'):\n"
        "    for data in (X, X.drop(columns='k'), X.drop(columns='k').to_numpy()):\n"
        "        model = HVRTPartitioner(max_leaf_nodes=50, engine='hist', target=target).fit(data)\n"
        "        assert (model.predict(data) == model.labels_).all()\n"
        "print('numba' in sys.modules, 'llvmlite' in sys.modules)\n"
    )
    assert run_python(code).split() == ["False", "False"]


def test_no_aot_environment_variable_selects_numba() -> None:
    code = "from hvrt._hist import _jit; print(_jit.aot_module())"
    assert run_python(code, HVRT_NO_AOT="1").strip() == "None"


@needs_aot
def test_a_module_built_from_other_sources_or_for_another_cpu_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _jit._load_aot() is not None
    monkeypatch.setattr(_jit, "source_digest", lambda: "an edited checkout")
    assert _jit._load_aot() is None
    monkeypatch.undo()
    if _jit._load_aot().built_for():  # built for this CPU's features (not a generic build)
        monkeypatch.setattr(_jit, "_cpu_flags", lambda: {"sse2"})
        assert _jit._load_aot() is None


def test_argument_checks_follow_numba_typing() -> None:
    check = _jit._signature_check((("f8", 2, "C"), ("f8", 2, "F", "r"), "i8", "f8", "b1", None))
    c = np.zeros((4, 3))
    f = np.asfortranarray(c)
    frozen = f.copy(order="F")
    frozen.flags.writeable = False
    assert check((c, f, 3, 1.5, True, None))
    assert check((c, frozen, np.int64(3), np.float64(1.5), np.bool_(False), None))
    assert not check((f, f, 3, 1.5, True, None))  # order
    assert not check((c.astype(np.float32), f, 3, 1.5, True, None))  # dtype
    assert not check((c[:, :2], f, 3, 1.5, True, None))  # not contiguous
    read_only = c.copy()
    read_only.flags.writeable = False
    assert not check((read_only, f, 3, 1.5, True, None))  # written by the kernel
    assert not check((c, f, True, 1.5, True, None))  # a bool is not an int64
    assert not check((c, f, 3, 1, True, None))  # an int would be typed int64, not float64
    assert not check((c, f, 3, 1.5, 1, None))
    assert not check((c, f, 3, 1.5, True, c))
    assert not check((c, f, 3, 1.5, True))  # arity


def test_a_call_with_other_types_runs_numba_kernel() -> None:
    # int64 row ids are not what the precompiled export takes (int32): numba compiles it
    rows = np.array([2, 0, 1, 3], dtype=np.int64)
    leaf_nodes = np.array([5, 9], dtype=np.int64)
    starts, ends = np.array([0, 2], dtype=np.int64), np.array([2, 4], dtype=np.int64)
    expected = np.array([5, 9, 5, 9])
    for row_type in (np.int32, np.int64):
        out = np.empty(4, dtype=np.int64)
        _rows._write_leaves(rows.astype(row_type), leaf_nodes, starts, ends, out)
        np.testing.assert_array_equal(out, expected)


def test_kernel_modules_take_numba_through_jit_only() -> None:
    # a kernel decorated by numba itself would hold _jit's wrappers among its globals,
    # which numba cannot compile, and would import numba on the precompiled path
    import ast

    allowed = {"_jit.py", "_aot_build.py"}
    offenders = []
    for path in sorted((ROOT / "src" / "hvrt" / "_hist").glob("*.py")):
        if path.name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] in ("numba", "llvmlite")]
    assert offenders == []


def test_a_kernel_pickles_by_name() -> None:
    import pickle

    assert pickle.loads(pickle.dumps(_rows._write_leaves)) is _rows._write_leaves
