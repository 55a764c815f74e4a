"""The README's Python examples run as written (at a smaller number of runs)."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may save files
    exec(BLOCKS[index].replace("n_runs=30", "n_runs=2"), {})  # noqa: S102


def test_readme_has_examples():
    assert len(BLOCKS) >= 3
