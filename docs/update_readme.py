"""Regenerate the README's main-job table and docs/compare.png from the default
command (``python -m tabular_mbrl``: the ``compare`` experiment at its default
runs and seed). Run from anywhere:

    python docs/update_readme.py

``tests/test_package.py`` runs the same command and checks that the README's
table is what it prints.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a script that only writes files

from tabular_mbrl.__main__ import main  # noqa: E402
from tabular_mbrl._files import write_atomically  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))  # its neighbour, also when imported by path
from readme_size import sentence  # noqa: E402
from syllabus import with_syllabus  # noqa: E402

BEGIN, END = "<!-- compare-table: begin -->", "<!-- compare-table: end -->"


def table_of(stdout: str) -> str:
    """The table the default command prints: the lines between its title and
    the closing ``wrote ...`` line."""
    lines = stdout.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("wrote "))
    return "\n".join(lines[1:end])


def readme_table(readme: str) -> str:
    """The table between the README's markers (inside a code block)."""
    block = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    return block.strip().removeprefix("```").removesuffix("```").strip("\n")


def main_job(folder: Path) -> str:
    """Run the default command into ``folder``; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["run", "compare", "--out", str(folder), "--quiet"])
    if status != 0:
        raise SystemExit(f"the default command failed with status {status}")
    return out.getvalue()


def update() -> None:
    with tempfile.TemporaryDirectory() as folder:
        stdout = main_job(Path(folder))
        png = (Path(folder) / "compare.png").read_bytes()
        write_atomically(
            ROOT / "docs" / "compare.png", lambda h: h.write(png), binary=True
        )
    readme = (ROOT / "README.md").read_text()
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    block = f"{BEGIN}\n```\n{table_of(stdout)}\n```\n{END}"
    readme = with_syllabus(with_size(head + block + tail))
    write_atomically(ROOT / "README.md", lambda h: h.write(readme))
    print(f"updated README.md and docs/compare.png:\n{table_of(stdout)}")


def with_size(readme: str) -> str:
    """``readme`` with its Size section's paragraph counted again: the
    paragraph after the section's marker comment, up to the sentence that
    follows it ("Each algorithm ...")."""
    marker = "<!-- size:"
    head, rest = readme.split(marker, 1)
    comment, rest = rest.split("\n", 1)
    _, tail = rest.split(" Each algorithm", 1)
    return f"{head}{marker}{comment}\n{sentence()} Each algorithm{tail}"


if __name__ == "__main__":
    sys.exit(update())
