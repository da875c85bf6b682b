"""The layer order of docs/DESIGN.md, enforced on every import in src/hvrt.

The table in DESIGN.md is the rule: a module imports only modules in rows above its own
and listed under "may import"; every module has a row; optional extras are imported
inside functions only. Imports are read with ``ast``, module-level and inside functions
alike (``TYPE_CHECKING`` blocks included: an annotation is a dependency too).
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "hvrt"
DESIGN = ROOT / "docs" / "DESIGN.md"
# Third-party extras that may only be imported inside functions.
OPTIONAL_EXTRAS = ("matplotlib", "dask", "distributed", "pyarrow")


@dataclass(frozen=True)
class Layer:
    rank: int
    unit: str
    may_import: frozenset[str]
    planned: bool


def read_layers(text: str) -> dict[str, Layer]:
    """The rows of the layer table: ``| rank | `unit` | holds | may import |``."""
    layers: dict[str, Layer] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].isdigit():
            continue
        unit = cells[1].strip("`")
        layers[unit] = Layer(
            rank=int(cells[0]),
            unit=unit,
            may_import=frozenset(re.findall(r"`([\w.]+)`", cells[3])),
            planned=cells[2].startswith("*planned*"),
        )
    return layers


def unit_of(module: str) -> str:
    """The table row of a dotted module name: ``hvrt._hist._binning`` -> ``_hist``."""
    parts = module.split(".")
    assert parts[0] == "hvrt", module
    return "__init__" if len(parts) == 1 else parts[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The hvrt modules a ``from ... import ...`` statement loads."""
    if node.level == 0:
        base = node.module or ""
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    if not base.startswith("hvrt"):
        return []
    targets = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        # ``from . import plotting`` loads a module; ``from .x import name`` loads ``x``
        is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or (
            PACKAGE.parent / Path(*candidate.split("."))
        ).is_dir()
        targets.append(candidate if is_module else base)
    return targets


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """hvrt modules imported by ``path``, and optional extras it imports at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = module_name(path)
    is_package = path.name == "__init__.py"
    hvrt_modules: set[str] = set()
    top_level_extras: set[str] = set()
    function_bodies = {
        id(inner) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for inner in ast.walk(node)
    }  # fmt: skip
    type_checking = {
        id(inner) for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }  # fmt: skip
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            hvrt_modules.update(_resolve(module, is_package, node))
            names = [node.module or ""] if node.level == 0 else []
        else:
            continue
        for name in names:
            if name.split(".")[0] == "hvrt":
                hvrt_modules.add(name)
            if name.split(".")[0] in OPTIONAL_EXTRAS and id(node) not in function_bodies | type_checking:
                top_level_extras.add(name)
    return hvrt_modules, top_level_extras


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Unit -> units it imports (outside itself), and module -> its module-to-module edges."""
    units: dict[str, set[str]] = {}
    modules: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        imported, _ = imports_of(path)
        modules[module] = {m for m in imported if m != module}
        unit = unit_of(module)
        units.setdefault(unit, set()).update(unit_of(m) for m in imported if unit_of(m) != unit)
    return units, modules


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_violations(units: dict[str, set[str]], layers: dict[str, Layer]) -> list[str]:
    """Every way ``units`` (unit -> imported units) breaks the layer table."""
    problems = []
    for unit, imported in sorted(units.items()):
        if unit not in layers:
            problems.append(f"{unit} has no row in the layer table of docs/DESIGN.md")
            continue
        for target in sorted(imported):
            if target not in layers:
                problems.append(f"{unit} imports {target}, which has no row in the layer table")
            elif layers[target].rank >= layers[unit].rank:
                problems.append(f"{unit} (row {layers[unit].rank}) imports {target} (row {layers[target].rank}): upward")
            elif unit != "__init__" and target not in layers[unit].may_import:
                problems.append(f"{unit} imports {target}, which its row does not list under 'may import'")
    return problems


# --------------------------------------------------------------------------- the house


@pytest.fixture(scope="module")
def layers() -> dict[str, Layer]:
    return read_layers(DESIGN.read_text(encoding="utf-8"))


def test_the_table_is_ordered_and_lists_only_rows_above(layers):
    ranks = [layer.rank for layer in layers.values()]
    assert ranks == list(range(1, len(ranks) + 1)), "rows are numbered 1, 2, ... in order"
    for layer in layers.values():
        if layer.unit == "__init__":
            continue
        for target in layer.may_import:
            assert target in layers, f"{layer.unit} lists {target}, which has no row"
            assert layers[target].rank < layer.rank, f"{layer.unit} lists {target}, which is not above it"


def test_every_module_has_a_row_and_every_unplanned_row_a_module(layers):
    units = {unit_of(module_name(path)) for path in PACKAGE.rglob("*.py")}
    assert units - set(layers) == set(), "modules without a row in docs/DESIGN.md"
    unplanned = {unit for unit, layer in layers.items() if not layer.planned}
    assert unplanned - units == set(), "rows without a module (mark them *planned*)"
    planned_but_built = {unit for unit, layer in layers.items() if layer.planned and unit in units}
    assert planned_but_built == set(), "built modules still marked *planned*"


def test_imports_follow_the_layer_order(layers):
    units, _ = import_graph()
    assert layer_violations(units, layers) == []


def test_no_import_cycle_between_modules():
    _, modules = import_graph()
    assert find_cycle(modules) is None


def test_optional_extras_are_imported_inside_functions():
    offenders = {
        module_name(path): extras for path in PACKAGE.rglob("*.py") if (extras := imports_of(path)[1])
    }
    assert offenders == {}


# --------------------------------------------------------------------------- the checker


def test_checker_finds_a_cycle_in_a_synthetic_graph():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) is None
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_checker_flags_upward_unlisted_and_unknown_imports():
    table = read_layers(
        "| # | module | holds | may import |\n|---|---|---|---|\n"
        "| 1 | `low` | x | |\n| 2 | `mid` | x | `low` |\n| 3 | `top` | *planned* y | `mid` |\n"
    )
    assert table["mid"].may_import == {"low"} and table["top"].planned
    assert layer_violations({"low": set(), "mid": {"low"}, "top": {"mid"}}, table) == []
    problems = layer_violations({"low": {"mid"}, "top": {"low", "ghost"}, "new": set()}, table)
    assert problems == [
        "low (row 1) imports mid (row 2): upward",
        "new has no row in the layer table of docs/DESIGN.md",
        "top imports ghost, which has no row in the layer table",
        "top imports low, which its row does not list under 'may import'",
    ]


def test_import_reader_resolves_relative_and_function_level_imports():
    source = PACKAGE / "profiler.py"
    imported, extras = imports_of(source)
    assert {"hvrt.metrics", "hvrt.distribution", "hvrt.plotting", "hvrt._validation"} <= imported
    assert extras == set()
    hist_fit = next(PACKAGE.glob("_hist/_fit.py"), None)
    if hist_fit is not None:
        assert "hvrt._tree_contract" in imports_of(hist_fit)[0]


# --------------------------------------------------------------------------- inside hvrt.dask


def read_package_rows(text: str, heading: str) -> dict[str, frozenset[str]]:
    """The rows of the table under ``heading``, in order: ``| `module` | holds | may import |``."""
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    rows: dict[str, frozenset[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`\w+`", cells[0]):
            rows[cells[0].strip("`")] = frozenset(re.findall(r"`(\w+)`", cells[2]))
    return rows


def package_violations(package: str, rows: dict[str, frozenset[str]]) -> list[str]:
    """Every import between ``package``'s modules that its rows do not allow (``__init__`` may
    import them all), and every module without a row or row without a module."""
    order = list(rows)
    problems = [f"{target} lists {name}, which is not above it" for target, allowed in rows.items()
                for name in sorted(allowed) if name not in order or order.index(name) >= order.index(target)]  # fmt: skip
    files = {path.stem for path in (PACKAGE / package).glob("*.py")} - {"__init__"}
    problems += [f"hvrt.{package}.{name} has no row" for name in sorted(files - set(rows))]
    problems += [f"the row {name} has no module" for name in sorted(set(rows) - files)]
    for name in sorted(files & set(rows)):
        imported, _ = imports_of(PACKAGE / package / f"{name}.py")
        inside = {m.split(".")[2] for m in imported if m.startswith(f"hvrt.{package}.")}
        problems += [f"hvrt.{package}.{name} imports {m}, which its row does not list" for m in sorted(inside - rows[name])]
        if any(m == f"hvrt.{package}" for m in imported):
            problems.append(f"hvrt.{package}.{name} imports the package itself")
    return problems


def test_the_dask_modules_import_each_other_in_their_order():
    rows = read_package_rows(DESIGN.read_text(encoding="utf-8"), "### Inside `dask`")
    assert list(rows)[:2] == ["_collections", "_reductions"], "the table is read"
    assert package_violations("dask", rows) == []


def test_package_checker_flags_an_import_its_row_does_not_list(tmp_path, monkeypatch):
    package = tmp_path / "hvrt" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from ._top import x\n")
    (package / "_low.py").write_text("from ._top import x\n")
    (package / "_top.py").write_text("from ._low import y\nfrom .. import pkg\n")
    (package / "_stray.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "hvrt")
    rows = read_package_rows("### Inside\n| module | holds | may import |\n|---|---|---|\n"
                             "| `_low` | a | |\n| `_top` | b | `_low`, `_gone` |\n## next\n", "### Inside")  # fmt: skip
    assert rows == {"_low": frozenset(), "_top": frozenset({"_low", "_gone"})}
    assert package_violations("pkg", rows) == [
        "_top lists _gone, which is not above it",
        "hvrt.pkg._stray has no row",
        "hvrt.pkg._low imports _top, which its row does not list",
        "hvrt.pkg._top imports the package itself",
    ]
