"""The import graph: data flows one way, map -> env -> model -> agent -> ...

Every ``import`` of the package's source is parsed (including imports inside
functions), and no module may import one that sits above it in this order.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A module may import modules of its own layer or of lower ones.
LAYERS = [
    {"_checks", "_version"},
    {"models"},
    {"dynamic_programming", "planning", "spec"},
    {"agents"},
    {"results"},
    {"batched"},
    {"experiments"},
    {"studies"},
    {"plotting"},
    {"__main__", "bench", "course", "__init__"},  # the CLI and course tooling
]
LAYER = {name: depth for depth, names in enumerate(LAYERS) for name in names}


def imports(path: Path, package: str) -> set[str]:
    """Absolute names of the modules ``path`` imports."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    here = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = list(here[: len(here) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            if node.module is None:  # from . import x: x are modules
                found |= {f"{module}.{alias.name}" for alias in node.names}
            else:
                found.add(module)
    return {name for name in found if name.split(".")[0] in (package, "tabular_mbrl")}


def component(name: str) -> str:
    """``tabular_mbrl.studies.book`` -> ``studies``; the package -> ``__init__``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


SOURCES = sorted((ROOT / "tabular_mbrl").rglob("*.py"))


def test_every_module_has_a_layer():
    names = {
        component(".".join(p.relative_to(ROOT).with_suffix("").parts)) for p in SOURCES
    }
    assert names <= set(LAYER), f"modules with no layer: {sorted(names - set(LAYER))}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_one_above_it(path):
    me = component(".".join(path.relative_to(ROOT).with_suffix("").parts))
    for name in imports(path, "tabular_mbrl"):
        other = component(name)
        assert LAYER[other] <= LAYER[me], f"{me} imports {name}, which sits above it"


def test_gridworlds_imports_nothing_of_tabular_mbrl():
    for path in sorted((ROOT / "gridworlds").rglob("*.py")):
        found = imports(path, "gridworlds")
        assert not {n for n in found if n.startswith("tabular_mbrl")}, path


def test_the_parser_sees_relative_and_lazy_imports():
    found = imports(ROOT / "tabular_mbrl" / "studies" / "_common.py", "tabular_mbrl")
    assert "tabular_mbrl.batched" in found and "tabular_mbrl.spec" in found
    lazy = imports(ROOT / "tabular_mbrl" / "__main__.py", "tabular_mbrl")
    assert "tabular_mbrl.course.grading" in lazy  # imported inside a function
