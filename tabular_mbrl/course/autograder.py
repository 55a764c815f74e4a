"""A Gradescope autograder, built in one command: ``tabular-mbrl autograder
OUT.zip [--hidden DIR] [--wheel WHEEL]``.

The zip holds what Gradescope runs (its layout: the zip unpacked into
``/autograder/source``, the student's files in ``/autograder/submission``, the
report written to ``/autograder/results/results.json``):

- ``setup.sh``: installs the package from its own wheel, shipped in the zip
  (the package is on no index), with pytest and its timeout plugin;
- ``run_autograder``: copies the official handout and the student's files
  (renamed files matched as ``grade-class`` matches them) into a fresh
  folder and grades it with the hidden tests into ``results.json``;
- the wheel, ``exercises/`` (the official skeletons, tests and conftest) and
  ``hidden/`` (your hidden tests, if any).

``AUTOGRADER_ROOT`` replaces ``/autograder`` (for trying the zip locally).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .._files import write_atomically
from .handout import copy_material

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m pip install ./{wheel} "pytest>=7" "pytest-timeout>=2.1"
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
work=$(mktemp -d)
cp -R "$root/source/exercises/." "$work/"
python3 - "$root/submission" "$work" <<'PYTHON'
import pathlib, shutil, sys
from tabular_mbrl.course.classes import exercises, match_files
submission, work = map(pathlib.Path, sys.argv[1:])
files = [p for p in submission.rglob("*.py") if p.is_file()]
matched, ignored = match_files(files, exercises())
for name, path in matched.items():
    shutil.copyfile(path, work / f"{name}.py")
for line in ignored:
    print(f"not graded: {line}")
PYTHON
hidden=()
if [ -d "$root/source/hidden" ]; then  # root's alone: the worker cannot read it
    chmod -R go-rwx "$root/source/hidden"
    hidden=(--hidden "$root/source/hidden")
fi
mkdir -p "$root/results"
python3 -m tabular_mbrl grade "$work" "${hidden[@]}" \\
    --json "$root/results/results.json"
"""


def build_wheel(folder: Path) -> Path:
    """Build the package's wheel from its source checkout into ``folder``.

    Raises
    ------
    ValueError
        If the package is not installed from a checkout (no pyproject.toml
        beside it): pass a wheel instead.
    """
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise ValueError(
            "the package is not installed from a checkout: build its wheel "
            "(pip wheel --no-deps -w dist .) and pass --wheel"
        )
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
    done = subprocess.run(
        [*command, "-w", str(folder), str(root)], capture_output=True, text=True
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["pip wheel failed"]
        raise ValueError(f"could not build the wheel: {lines[-1]}")
    (wheel,) = folder.glob("tabular_mbrl-*.whl")
    return wheel


def build(
    out: str | Path,
    *,
    hidden: str | Path | None = None,
    wheel: str | Path | None = None,
) -> list[str]:
    """Write the autograder zip to ``out`` (whole or not at all); return the
    names it holds.

    Raises
    ------
    ValueError
        If ``hidden`` is not a folder, ``wheel`` not a ``tabular_mbrl`` wheel,
        or no wheel can be built.
    """
    if hidden is not None and not Path(hidden).is_dir():
        raise ValueError(f"hidden == {str(hidden)!r}, must be a folder of tests")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if wheel is None:
            wheel = build_wheel(scratch)
        wheel = Path(wheel)
        if not (wheel.is_file() and wheel.name.startswith("tabular_mbrl-")):
            raise ValueError(
                f"wheel == {str(wheel)!r}, must be a tabular_mbrl-*.whl file"
            )
        exercises = copy_material("exercises", scratch / "exercises")
        members: dict[str, bytes] = {
            "setup.sh": SETUP.format(wheel=wheel.name).encode(),
            "run_autograder": RUN.encode(),
            wheel.name: wheel.read_bytes(),
        }
        for path in exercises:
            members[f"exercises/{path.name}"] = path.read_bytes()
        if hidden is not None:
            for path in sorted(Path(hidden).glob("*.py")):
                members[f"hidden/{path.name}"] = path.read_bytes()

        def write(handle) -> None:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data in members.items():
                    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    executable = name in ("setup.sh", "run_autograder")
                    info.external_attr = (0o755 if executable else 0o644) << 16
                    archive.writestr(info, data)

        write_atomically(out, write, binary=True)
    return list(members)
