"""The README's Python examples run as written (at a smaller number of runs)."""

import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).parents[1]
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may save files
    code = re.sub(r"n_runs=\d+", "n_runs=2", BLOCKS[index])
    exec(code, {})  # noqa: S102


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


def _size():
    """docs/readme_size.py, which update_readme.py writes the section from."""
    path = README.parent / "docs" / "readme_size.py"
    spec = importlib.util.spec_from_file_location("readme_size", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_size_section_is_true():
    size = _size()
    root = README.parent
    section = README.read_text().split("## Size", 1)[1]
    claimed = [int(n.replace(",", "")) for n in re.findall(r"about ([\d,]+)", section)]
    package = root / "tabular_mbrl"
    every = {
        p.stem if p.parent == package else p.parent.name for p in package.rglob("*.py")
    }
    assert every == {n for names in size.SIZE_GROUPS.values() for n in names}
    actual = size.counts(root)
    assert len(claimed) == len(actual)
    for said, true in zip(claimed, actual, strict=True):
        assert abs(said - true) <= 100, (claimed, actual)
    # Counted by hand on a file of known length.
    assert size.lines(pathlib.Path(__file__)) == len(
        pathlib.Path(__file__).read_text().splitlines()
    )


def test_readme_model_sizes():
    """'A 100x100 grid with slip takes under 4 MB this way, where a dense
    S x A x S matrix would take 3 GB.'"""
    import gridworlds

    model = gridworlds.make("open_grid", rows=100, cols=100, slip=0.1).model()
    arrays = (model.next_states, model.probs, model.rewards, model.terminated)
    assert sum(a.nbytes for a in arrays) < 4 * 2**20
    dense = model.n_states * model.n_actions * model.n_states * 8
    assert round(dense / 1e9) == 3
    assert "under 4 MB this way,\nwhere a dense `S x A x S` matrix would take 3 GB" in (
        README.read_text()
    )


def test_readme_syllabus_is_current():
    """The syllabus table is what docs/syllabus.py writes: a row per lecture
    and the stored times (python docs/update_readme.py rewrites it)."""
    path = ROOT / "docs" / "syllabus.py"
    spec = importlib.util.spec_from_file_location("syllabus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (ROOT / "README.md").read_text()
    assert module.with_syllabus(readme) == readme, "run python docs/update_readme.py"
