"""The import graph: data flows one way, map -> env -> model -> agent -> twin
-> runner -> study -> plot and CLI.

Every ``import`` of the package's source is parsed (including imports inside
functions), and every module has its own place in :data:`ORDER`: a module may
import only modules below it. So the graph has no circle and no import runs
up; a new module must be given its place here.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first; a package's ``__init__`` is its dotted name (``"agents"``),
# the package itself ``"__init__"``.
ORDER = [
    # The ground every wing stands on: checks, models, planning on a model.
    "_version",
    "_checks",
    "_files",
    "_processes",
    "models",
    "dynamic_programming",
    "planning",
    "spec",
    # The agents: the book's boxes, one module each, then the wing's face.
    "agents.q_learning",
    "agents.dyna_q",
    "agents.dyna_q_plus",
    "agents.rollouts",
    "agents.replay",
    "agents.prioritized_sweeping",
    "agents.random_walk",
    "agents.mpc",
    "agents._fast_sweeping",
    "agents",
    # What experiments measure, and the reports of it.
    "results.statistics",
    "results.verdicts",
    "results.study",
    "results.report",
    "results",
    "probe",
    # The lockstep twins: the engine's parts, one module per twin, the table.
    "batched.streams",
    "batched.settings",
    "batched.kernels",
    "batched.maze",
    "batched.loops",
    "batched.dyna_q",
    "batched.replay",
    "batched.rollouts",
    "batched.mpc",
    "batched",
    # The loop's Dyna-Q with the kernels' plain-Python backups (the same bits).
    "agents._fast_dyna_q",
    # The runners, which pick the loop or a twin.
    "experiments",
    # The named experiments: the registry, how settings run, one per question.
    "studies.registry",
    "studies.running",
    "studies.specs",
    "studies.book",
    "studies.mpc",
    "studies.goals",
    "studies.model_errors",
    "studies.replay",
    "studies.replanning",
    "studies.rollouts",
    "studies.frontier",
    "studies.sim_to_real",
    "studies",
    "plotting",
    # Course tooling: the grader's processes, its API, its run and report.
    "course._isolation",
    "course._keeper",
    "course._sandbox",
    "course._client",
    "course.authoring",
    "course.report",
    "course._runner",
    "course._grading_plugin",
    "course.grading",
    "course.handout",
    "course.lectures",
    "course.classes",
    "course.autograder",
    "course.claims",
    "course.notebooks",
    "course",
    # The CLI and the package's front page.
    "bench",
    "bench_reference",
    "__main__",
    "__init__",
]
PLACE = {name: place for place, name in enumerate(ORDER)}


def component(name: str) -> str:
    """``tabular_mbrl.studies.book`` -> ``studies.book``; the package ->
    ``__init__``."""
    return ".".join(name.split(".")[1:]) or "__init__"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p) for p in (ROOT / "tabular_mbrl").rglob("*.py")}


def imports(path: Path, package: str) -> set[str]:
    """Absolute names of the modules ``path`` imports (a name imported from a
    module counts as that module)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    here = parts[:-1]
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
    found = {name for name in found if name.split(".")[0] in (package, "tabular_mbrl")}
    return {n if n in MODULES else n.rsplit(".", 1)[0] for n in found} - {""}


SOURCES = sorted((ROOT / "tabular_mbrl").rglob("*.py"))


def test_every_module_has_its_own_place():
    names = {component(module_name(p)) for p in SOURCES}
    assert len(ORDER) == len(set(ORDER)), "a module is listed twice"
    assert names == set(ORDER), (
        f"modules with no place: {sorted(names - set(ORDER))}; "
        f"places with no module: {sorted(set(ORDER) - names)}"
    )


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_one_above_it(path):
    me = component(module_name(path))
    for name in imports(path, "tabular_mbrl"):
        other = component(name)
        if other == me:
            continue
        assert PLACE[other] < PLACE[me], f"{me} imports {other}, which sits above it"


def test_gridworlds_imports_nothing_of_tabular_mbrl():
    for path in sorted((ROOT / "gridworlds").rglob("*.py")):
        found = imports(path, "gridworlds")
        assert not {n for n in found if n.startswith("tabular_mbrl")}, path


def test_the_parser_sees_relative_and_lazy_imports():
    found = imports(ROOT / "tabular_mbrl" / "studies" / "running.py", "tabular_mbrl")
    assert "tabular_mbrl.batched" in found and "tabular_mbrl.spec" in found
    lazy = imports(ROOT / "tabular_mbrl" / "__main__.py", "tabular_mbrl")
    assert "tabular_mbrl.course.grading" in lazy  # imported inside a function
    # A name imported from a module counts as the module.
    kernels = imports(ROOT / "tabular_mbrl" / "batched" / "dyna_q.py", "tabular_mbrl")
    assert "tabular_mbrl.batched.kernels" in kernels


def test_no_private_name_is_imported_across_modules():
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level:
                private = [
                    a.name
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
                assert not private, (str(path.relative_to(ROOT)), private)
