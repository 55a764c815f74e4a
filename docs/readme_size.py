"""The README's Size section: lines of Python per part of the package.

``python docs/update_readme.py`` rewrites the section from :func:`sentence`;
``tests/test_readme.py`` counts again and checks the section is within 100
lines of the truth.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: group -> the modules (or subpackages) of ``tabular_mbrl`` counted in it.
SIZE_GROUPS = {
    "algorithms": [
        "_checks",
        "_version",
        "models",
        "agents",
        "dynamic_programming",
        "planning",
        "spec",
    ],
    "engine": ["batched"],
    "experiments": ["results", "probe", "experiments", "studies", "_processes"],
    "cli": ["__init__", "__main__", "_files", "plotting", "bench", "bench_reference"],
    "course": ["course"],
}


def lines(path: Path) -> int:
    """Lines of a ``.py`` file, or of every ``.py`` file under a folder."""
    files = [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
    return sum(len(f.read_text().splitlines()) for f in files)


def counts(root: Path = ROOT) -> list[int]:
    """gridworlds, tabular_mbrl, then each group of :data:`SIZE_GROUPS`."""
    package = root / "tabular_mbrl"
    groups = [
        sum(
            lines(package / n if (package / n).is_dir() else package / f"{n}.py")
            for n in names
        )
        for names in SIZE_GROUPS.values()
    ]
    return [lines(root / "gridworlds"), lines(package), *groups]


def sentence(root: Path = ROOT) -> str:
    """The section's text, each count rounded to the nearest 50."""
    grid, package, algorithms, engine, experiments, cli, course = (
        f"{round(n / 50) * 50:,}" for n in counts(root)
    )
    return (
        f"`gridworlds` is about {grid} lines of Python and `tabular_mbrl` about "
        f"{package}, docstrings\nincluded: the algorithms (agents, models, value "
        f"iteration, planners, specs) about {algorithms},\ntheir lockstep twins "
        f"(the batched engine) about {engine}, the experiments (runners,\nresults, "
        f"named studies) about {experiments}, the CLI, plots and bench about "
        f"{cli}, and the\ncourse tooling (grader, lecture runner, handout) about "
        f"{course}."
    )
