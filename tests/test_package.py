"""Packaging: the entry point runs and gridworlds stands on its own."""

import importlib.util
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import gridworlds

ROOT = Path(__file__).resolve().parents[1]


def load_script(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
def test_bare_python_dash_m_runs_compare_into_results(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tabular_mbrl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote results/compare.png and results/compare.csv" in result.stdout
    assert (tmp_path / "results" / "compare.png").exists()
    # The README shows what the default command prints, to the digit.
    update = load_script(ROOT / "docs" / "update_readme.py")
    readme = (ROOT / "README.md").read_text()
    assert update.readme_table(readme) == update.table_of(result.stdout), (
        "the README's main-job table is stale: run python docs/update_readme.py"
    )


def test_gridworlds_does_not_import_tabular_mbrl():
    result = run(
        "-c",
        "import sys, gridworlds; gridworlds.make('dyna_maze');"
        "print('tabular_mbrl' in sys.modules)",
    )
    assert result.stdout.strip() == "False", result.stderr


def test_to_gymnasium_without_gymnasium_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # makes the import fail
    monkeypatch.delitem(sys.modules, "gridworlds.gym_adapter", raising=False)
    with pytest.raises(ImportError, match=r'pip install "tabular-mbrl\[gym\]"'):
        gridworlds.to_gymnasium(gridworlds.make("dyna_maze"))


def test_the_sdist_carries_no_solutions_and_no_hidden_tests(tmp_path):
    # What `python -m build --sdist` packs, from the files the repository holds.
    if not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout (an sdist has no solutions to leak)")
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    source = tmp_path / "source"
    for name in listed:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    assert (source / "tests" / "grading" / "reference").is_dir()  # in the repo
    subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q",
         "sdist", "-d", str(tmp_path / "dist")],
        cwd=source, capture_output=True, check=True,
    )  # fmt: skip
    (archive,) = (tmp_path / "dist").glob("*.tar.gz")
    with tarfile.open(archive) as sdist:
        names = sdist.getnames()
    assert not [n for n in names if "/tests/grading/" in n]
    assert any(n.endswith("lectures/exercises/ex01_epsilon_greedy.py") for n in names)
    assert any(n.endswith("tests/test_grading.py") for n in names)  # skipped there
