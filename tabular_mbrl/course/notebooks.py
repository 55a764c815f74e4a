"""A lecture script as a Jupyter notebook: ``tabular-mbrl lectures DIR
--notebooks``.

The script stays the one source; the notebook is made from it: its docstring
and each block of comments between top-level statements become text cells,
each top-level definition (and each run of plain statements) a code cell, and
the ``if __name__ == "__main__":`` block becomes two cells that run the
lecture at its defaults and show the figure. Needs ``nbformat`` (the
``notebooks`` extra: ``pip install "tabular-mbrl[notebooks]"``).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from .._files import write_atomically

#: The last cells of every notebook, in place of the script's ``__main__`` block.
RUN_CELLS = (
    "# The lecture at its defaults; QUICK is a preview in seconds.\n"
    "config = Config()  # or QUICK",
    "figure = main(config)  # prints the claims, computed from the runs\nfigure",
)


def _nbformat() -> Any:
    try:
        import nbformat
    except ImportError:
        raise ImportError(
            'notebooks need nbformat: pip install "tabular-mbrl[notebooks]"'
        ) from None
    return nbformat


def _comment_text(lines: list[str]) -> str:
    """A block of ``#`` comment lines as Markdown."""
    return "\n".join(line.strip().lstrip("#:").lstrip("#").strip() for line in lines)


def cells(source: str) -> list[tuple[str, str]]:
    """The script as ``(kind, text)`` cells, kind "markdown" or "code", in
    order (see the module's docstring)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out: list[tuple[str, str]] = []
    body = list(tree.body)
    doc = ast.get_docstring(tree)
    if doc is not None:
        title, _, rest = doc.partition("\n")
        out.append(("markdown", f"# {title.strip()}\n{rest}".rstrip()))
        body = body[1:]
    previous_end = body[0].lineno - 1 if body else 0
    if doc is not None and tree.body:
        previous_end = tree.body[0].end_lineno
    chunk: list[int] = []  # first and last line of the code cell being built

    def flush() -> None:
        if chunk:
            out.append(("code", "\n".join(lines[chunk[0] : chunk[1]]).strip("\n")))
            chunk.clear()

    for node in body:
        start = node.lineno - 1
        if getattr(node, "decorator_list", None):
            start = min(d.lineno for d in node.decorator_list) - 1
        between = lines[previous_end:start]
        comments = [line for line in between if line.strip().startswith("#")]
        is_main = (
            isinstance(node, ast.If)
            and ast.unparse(node.test) == "__name__ == '__main__'"
        )
        separate = isinstance(node, ast.FunctionDef | ast.ClassDef) or is_main
        if comments or separate:  # a comment block or a definition: a new cell
            flush()
            if comments:
                out.append(("markdown", _comment_text(comments)))
        if separate:
            if not is_main:
                out.append(("code", "\n".join(lines[start : node.end_lineno])))
        elif chunk:
            chunk[1] = node.end_lineno
        else:
            chunk[:] = [start, node.end_lineno]
        previous_end = node.end_lineno
    flush()
    out.extend(("code", cell) for cell in RUN_CELLS)
    return out


def to_notebook(script: str | Path) -> Any:
    """The lecture script as an ``nbformat`` notebook (version 4)."""
    nbformat = _nbformat()
    notebook = nbformat.v4.new_notebook()
    make = {
        "markdown": nbformat.v4.new_markdown_cell,
        "code": nbformat.v4.new_code_cell,
    }
    source = Path(script).read_text(encoding="utf-8")
    notebook.cells = [make[kind](text) for kind, text in cells(source)]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


def write_notebook(script: str | Path, path: str | Path) -> Path:
    """Write the lecture script as a notebook at ``path``, whole or not at
    all; return the path."""
    nbformat = _nbformat()
    notebook = to_notebook(script)
    text = nbformat.writes(notebook)
    write_atomically(path, lambda handle: handle.write(text))
    return Path(path)
