"""The course material that travels with the package: the lecture scripts and
the exercise handout (skeletons, their tests and conftest; never solutions).

In a source checkout they are read from ``lectures/``; an installed package
carries the same files inside itself (``tabular_mbrl/course/handout``), built
from that one folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .._files import output_problem, write_atomically

#: What each command copies, as glob patterns relative to the handout root.
MATERIAL = {
    "lectures": ["[0-9][0-9]_*.py"],
    "exercises": [
        "exercises/ex[0-9][0-9]_*.py",
        "exercises/test_ex[0-9][0-9]_*.py",
        "exercises/conftest.py",
        "exercises/pytest.ini",
    ],
}


class HandoutError(Exception):
    """The material cannot be copied (files exist, or it is not found)."""


def handout_root() -> Path:
    """The folder holding the lectures and ``exercises/``."""
    installed = Path(__file__).resolve().parent / "handout"
    if installed.is_dir():
        return installed
    source = Path(__file__).resolve().parents[2] / "lectures"
    if source.is_dir():
        return source
    raise HandoutError("the course material is not installed; reinstall tabular-mbrl")


def material(kind: str) -> list[Path]:
    """The files of ``kind`` ("lectures" or "exercises"), sorted."""
    if kind not in MATERIAL:
        raise ValueError(f"kind == {kind!r}, must be one of {list(MATERIAL)}")
    root = handout_root()
    return sorted(p for pattern in MATERIAL[kind] for p in root.glob(pattern))


def copy_material(kind: str, folder: str | Path, *, force: bool = False) -> list[Path]:
    """Copy the files of ``kind`` into ``folder`` (made if missing).

    Raises
    ------
    HandoutError
        If a file of that name exists in ``folder`` and ``force`` is False,
        if a target cannot be written (a folder, a dangling or looping
        symlink, read-only: :func:`~tabular_mbrl._files.output_problem`);
        nothing is copied then. Or if ``folder`` is an existing file.

    Each file is written whole or not at all (a temporary file in
    ``folder``, renamed over the target when complete).
    """
    if not str(folder).strip():
        raise HandoutError("the folder is empty (''), must name a folder")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise HandoutError(f"{str(folder)!r} is a file, not a folder")
    files = material(kind)
    targets = [folder / path.name for path in files]
    clashes = [target for target in targets if os.path.lexists(target)]
    if clashes and not force:
        raise HandoutError(
            f"{len(clashes)} file(s) exist in {str(folder)!r}, e.g. "
            f"{clashes[0].name!r}; nothing copied (--force overwrites them)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for target in targets:  # every one before any is copied
        problem = output_problem(target)
        if problem:
            raise HandoutError(f"{str(target)!r} {problem}; nothing copied")
    for path, target in zip(files, targets, strict=True):
        with path.open("rb") as source:
            write_atomically(
                target, lambda handle: shutil.copyfileobj(source, handle), binary=True
            )
    return targets
