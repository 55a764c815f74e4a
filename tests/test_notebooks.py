"""``tabular-mbrl lectures DIR --notebooks``: each lecture as a notebook."""

import json

import pytest

from tabular_mbrl.__main__ import main
from tabular_mbrl.course.claims import load
from tabular_mbrl.course.notebooks import RUN_CELLS, cells

SCRIPT = '''"""Lecture 0: a title.

What it is about.
"""

import numpy as np

#: A setting, explained.
N = 3


def run(config):
    return config


if __name__ == "__main__":
    print("not in the notebook")
'''


def test_a_script_becomes_text_and_code_cells():
    assert cells(SCRIPT) == [
        ("markdown", "# Lecture 0: a title.\n\nWhat it is about."),
        ("code", "import numpy as np"),
        ("markdown", "A setting, explained."),
        ("code", "N = 3"),
        ("code", "def run(config):\n    return config"),
        *(("code", cell) for cell in RUN_CELLS),
    ]


def test_lectures_notebooks_writes_one_beside_each_script(tmp_path, capsys):
    assert main(["lectures", str(tmp_path), "--notebooks"]) == 0
    scripts = sorted(tmp_path.glob("[0-9][0-9]_*.py"))
    books = sorted(tmp_path.glob("[0-9][0-9]_*.ipynb"))
    assert [b.stem for b in books] == [s.stem for s in scripts] and books
    notebook = json.loads(books[0].read_text())
    assert notebook["nbformat"] == 4
    assert notebook["cells"][0]["cell_type"] == "markdown"
    assert "wrote" in capsys.readouterr().out


@pytest.mark.slow
def test_a_generated_notebook_runs_and_prints_its_claims(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    assert main(["lectures", str(tmp_path), "--notebooks"]) == 0
    notebook = nbformat.read(tmp_path / "08_model_errors.ipynb", as_version=4)
    notebook.cells[-2].source = "config = QUICK"  # a preview: seconds
    nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={
            "metadata": {"path": str(tmp_path)}}
    ).execute()  # fmt: skip
    printed = "".join(
        output.get("text", "")
        for output in notebook.cells[-1].outputs
        if output.get("output_type") == "stream"
    )
    # The claims the script itself prints at that config, to the character.
    lecture = load(tmp_path / "08_model_errors.py")
    expected = lecture.claims(lecture.run(lecture.QUICK))
    assert printed.splitlines()[: len(expected)] == expected
    kinds = {output["output_type"] for output in notebook.cells[-1].outputs}
    assert "execute_result" in kinds or "display_data" in kinds  # the figure
