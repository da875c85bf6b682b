"""The local models' kernels compiled at install (``hvrt._hist._aot``) against numba's.

``PartitionedRegressor``'s kernels (``_grouped_products``, ``_shrunk_solve``) are exported
into the histogram engine's precompiled module; see ``hvrt._hist._aot_exports``. Tests
that need the module are skipped without it, with the reason.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hvrt import PartitionedRegressor
from hvrt._hist import _aot_exports, _jit
from hvrt.datasets import make_demo_data

from .fresh_process import run_python

ROOT = Path(__file__).resolve().parents[1]
needs_aot = pytest.mark.skipif(
    _jit.aot_module() is None,
    reason="hvrt._hist._aot is not built, or not current (reinstall: pip install -e .)",
)


def _fits(n_samples: int = 4000) -> list[tuple[pd.DataFrame, pd.Series, np.ndarray | None]]:
    """The default path's cases: one-hot columns or numeric only, weights or none."""
    X, y = make_demo_data(n_samples, random_state=5)
    weights = np.random.default_rng(5).uniform(0.5, 2.0, n_samples)
    numeric = X.select_dtypes("number")
    assert numeric.shape[1] < X.shape[1]  # the demo data has a categorical column
    # mostly one-hot values (as diamonds): the cross-products that skip the zeros
    rng = np.random.default_rng(6)
    coded = pd.DataFrame({c: rng.choice(list("abcdefgh"), n_samples) for c in ("c1", "c2", "c3")})
    coded["x"] = X[numeric.columns[0]].to_numpy()
    return [(X, y, None), (X, y, weights), (numeric, y, None), (numeric, y, weights), (coded, y, None), (coded, y, weights)]


def _predictions() -> list[np.ndarray]:
    return [
        PartitionedRegressor().fit(X, y, sample_weight=weights).predict(X.iloc[::7]) for X, y, weights in _fits()
    ]


def test_every_kernel_call_of_a_fit_has_an_export() -> None:
    # what a fit would compile with numba although the module is built; holds without the
    # module too (the calls are matched against the export list): a new kernel or a
    # changed argument type fails here, naming the line to add to _aot_exports
    with _jit.record_misses() as misses:
        _predictions()
    assert not misses, "add these exports to hvrt/_hist/_aot_exports.py:\n" + "\n".join(map(repr, sorted(misses)))


def test_recording_misses_names_the_kernel_and_its_argument_types() -> None:
    from hvrt._grouped_products import grouped_cross_products

    design = np.ones((3, 2), dtype=np.float32).T.copy().T  # F-ordered float32: no export takes it
    with _jit.record_misses() as misses:
        grouped_cross_products(design, np.ones(3), np.zeros(3, dtype=np.int64), 1)
    assert misses == set()  # the wrapper converts to the exported types first
    kernel = sys.modules["hvrt._grouped_products"]._accumulate
    gram, moment, square = np.zeros((1, 2, 2)), np.zeros((1, 2)), np.zeros(1)
    shift, response_shift, seen = np.zeros((1, 2)), np.zeros(1), np.ones(1, dtype=bool)
    with _jit.record_misses() as misses:
        kernel(
            np.asfortranarray(np.ones((3, 2))), np.ones(3), np.ones(3), np.zeros(3, dtype=np.int64),
            shift, response_shift, seen, gram, moment, square,
        )
    assert misses == {
        (
            "hvrt._grouped_products._accumulate",
            (
                ("f8", 2, "F"), ("f8", 1, "C"), ("f8", 1, "C"), ("i8", 1, "C"), ("f8", 2, "C"), ("f8", 1, "C"),
                ("b1", 1, "C"), ("f8", 3, "C"), ("f8", 2, "C"), ("f8", 1, "C"),
            ),
        )
    }
    np.testing.assert_array_equal(gram[0], np.full((2, 2), 3.0))


def test_the_digest_covers_every_module_with_exports() -> None:
    # an edited _shrunk_solve.py must disable a module built from the old one
    files = {path.resolve() for path in _aot_exports.source_files()}
    for key in _aot_exports.EXPORTS:
        module = key.rsplit(".", 1)[0]
        assert ROOT.joinpath("src", *module.split(".")).with_suffix(".py") in files, module


def test_modules_with_exports_take_numba_through_jit_only() -> None:
    offenders = []
    for module in sorted({key.rsplit(".", 1)[0] for key in _aot_exports.EXPORTS}):
        path = ROOT.joinpath("src", *module.split(".")).with_suffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [f"{module}: {name}" for name in names if name.split(".")[0] in ("numba", "llvmlite")]
    assert offenders == []


@needs_aot
def test_precompiled_and_numba_kernels_give_the_same_predictions() -> None:
    precompiled = _predictions()
    previous = _jit.use_aot(False)
    try:
        jit = _predictions()
    finally:
        _jit.use_aot(previous)
    for ours, numbas in zip(precompiled, jit):
        np.testing.assert_array_equal(ours, numbas)


@needs_aot
def test_a_local_model_fit_with_precompiled_kernels_does_not_import_numba() -> None:
    code = (
        "import sys, numpy as np\n"
        "from hvrt import PartitionedRegressor\n"
        "from hvrt.datasets import make_demo_data\n"
        "X, y = make_demo_data(20_000, random_state=1)\n"
        "w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))\n"
        "for data in (X, X.select_dtypes('number')):\n"
        "    for weights in (None, w):\n"
        "        model = PartitionedRegressor().fit(data, y, sample_weight=weights)\n"
        "        assert np.isfinite(model.predict(data)).all()\n"
        "print('numba' in sys.modules, 'llvmlite' in sys.modules)\n"
    )
    assert run_python(code).split() == ["False", "False"]
