"""Grading a whole class: ``tabular-mbrl grade-class SUBMISSIONS``.

``SUBMISSIONS`` holds one folder (or ``.zip``) per student, named after the
student. Each is graded in a fresh copy of the handout, so the official tests
are used and never the student's, by ``tabular-mbrl grade`` in a process of its
own, several side by side (``jobs``). The result is a gradebook (one row per
student: the points of each exercise, the hidden tests' points, the total) and
a summary: the mean per exercise and the tests failed most often.

Learning platforms rename files (``ex01_epsilon_greedy (1).py``,
``Ex02_Q_Learning_Update.py``): a file is matched to an exercise by its name
without case and copy marks, else by its ``exNN`` number, when that is
unambiguous; every file that is not graded is listed with the reason.
Optional exercises (:data:`OPTIONAL`) are a bonus: their points are in the
gradebook but not in the total nor its maximum.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .._checks import check_int
from .._files import write_atomically
from .handout import copy_material, material

#: Exercises that count as a bonus: not in the total nor its maximum.
OPTIONAL = ("ex08_value_iteration",)

#: A student's archive is refused beyond this many bytes, unpacked.
MAX_ARCHIVE_BYTES = 16 * 2**20

#: Copy marks that platforms add to a file's name: " (1)", "-2", " copy".
_COPY_MARK = re.compile(r"(\s*\(\d+\)|[-_ ]\d+| copy)+$")


def exercises() -> list[str]:
    """The exercises of the handout, by name (``ex01_epsilon_greedy``, ...)."""
    return [
        path.stem
        for path in material("exercises")
        if re.fullmatch(r"ex\d\d_\w+\.py", path.name)
    ]


def match_files(
    files: Sequence[Path], names: Sequence[str]
) -> tuple[dict[str, Path], list[str]]:
    """Which of a student's ``.py`` files is which exercise.

    A file matches an exercise whose name equals its name without case and
    copy marks; failing that, the one exercise with its ``exNN`` number. Two
    files for one exercise grade neither, and say so.

    Returns
    -------
    matched : dict
        exercise name -> the file.
    ignored : list of str
        "file: why", for every file not graded.
    """
    candidates: dict[str, list[Path]] = {}
    ignored = []
    for path in sorted(files):
        stem = _COPY_MARK.sub("", path.stem.strip()).lower().replace(" ", "_")
        number = re.match(r"ex(\d\d)", stem)
        exact = [name for name in names if name == stem]
        by_number = [n for n in names if number and n.startswith(f"ex{number[1]}_")]
        chosen = exact or by_number
        if len(chosen) == 1:
            candidates.setdefault(chosen[0], []).append(path)
        else:
            ignored.append(f"{path.name}: not an exercise's file")
    matched = {}
    for name, paths in candidates.items():
        if len(paths) == 1:
            matched[name] = paths[0]
        else:
            listed = ", ".join(p.name for p in paths)
            ignored.append(f"{listed}: {len(paths)} files for {name}, none graded")
    return matched, ignored


@dataclass
class StudentGrade:
    """One student's grading.

    Attributes
    ----------
    student : str
    scores : dict
        exercise -> (points, maximum) of its visible tests.
    hidden : tuple of float
        (points, maximum) of the hidden tests, all exercises.
    failed : list of str
        "exercise: test" for every failed test.
    ignored : list of str
        Files not graded, with why.
    error : str
        Why the student could not be graded at all ("" if graded).
    """

    student: str
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)
    hidden: tuple[float, float] = (0.0, 0.0)
    failed: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def total(self) -> float:
        """Points of the visible and hidden tests, bonus exercises left out."""
        counted = [s for name, (s, _) in self.scores.items() if name not in OPTIONAL]
        return sum(counted) + self.hidden[0]


def _unpack(archive: Path, into: Path) -> list[Path]:
    """The ``.py`` files of a student's zip, flattened into ``into`` (no
    path of the archive is used, so nothing lands outside it)."""
    files = []
    with zipfile.ZipFile(archive) as zipped:
        members = [m for m in zipped.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
            raise ValueError(f"unpacks to more than {MAX_ARCHIVE_BYTES:,} bytes")
        for member in members:
            name = Path(member.filename.replace("\\", "/")).name
            if name.endswith(".py") and not name.startswith("."):
                target = into / name
                if target.exists():  # the same name twice: keep both apart
                    target = into / f"{Path(name).stem} ({len(files)}).py"
                target.write_bytes(zipped.read(member))
                files.append(target)
    return files


def grade_student(
    source: Path,
    *,
    hidden: Path | None = None,
    timeout: float = 10.0,
    user: str | None = None,
    grader: Sequence[str] = (),
) -> StudentGrade:
    """Grade one student's folder or zip in a fresh copy of the handout, by
    ``tabular-mbrl grade`` in a process of its own."""
    grade = StudentGrade(source.stem if source.is_file() else source.name)
    names = exercises()
    with tempfile.TemporaryDirectory(prefix="grade-class-") as scratch:
        scratch = Path(scratch)
        try:
            if source.is_file():
                (scratch / "unpacked").mkdir()
                files = _unpack(source, scratch / "unpacked")
            else:
                files = [p for p in source.iterdir() if p.suffix == ".py"]
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            grade.error = f"could not read {source.name}: {error}"
            return grade
        matched, grade.ignored = match_files(files, names)
        work = scratch / "exercises"
        copy_material("exercises", work)  # official tests and skeletons
        for name, path in matched.items():
            shutil.copyfile(path, work / f"{name}.py")
        command = [*grader] or [sys.executable, "-m", "tabular_mbrl", "grade"]
        command += [str(work), "--json", str(scratch / "results.json")]
        command += ["--timeout", str(timeout)]
        if hidden is not None:
            command += ["--hidden", str(hidden)]
        if user is not None:
            command += ["--user", user]
        done = subprocess.run(command, capture_output=True, text=True)
        try:
            results = json.loads((scratch / "results.json").read_text())
        except (OSError, ValueError):
            lines = (done.stderr or done.stdout).strip().splitlines()
            grade.error = f"grading failed: {lines[-1] if lines else done.returncode}"
            return grade
    scores: dict[str, list[float]] = {name: [0.0, 0.0] for name in names}
    hidden_points = [0.0, 0.0]
    for test in results["tests"]:
        exercise, _, name = test["name"].partition(": ")
        if test.get("visibility") == "after_published":
            points = hidden_points
        else:
            points = scores.setdefault(exercise, [0.0, 0.0])
        points[0] += test["score"]
        points[1] += test["max_score"]
        if test["score"] < test["max_score"]:
            grade.failed.append(test["name"])
    grade.scores = {name: (s, m) for name, (s, m) in scores.items()}
    grade.hidden = (hidden_points[0], hidden_points[1])
    return grade


def grade_class(
    submissions: str | Path,
    *,
    hidden: str | Path | None = None,
    jobs: int = 1,
    timeout: float = 10.0,
    user: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[StudentGrade]:
    """Grade every student's folder or ``.zip`` in ``submissions``, ``jobs``
    at a time, in name order; as root, the submissions run as ``user``
    (``tabular-mbrl grade --user``; default nobody).

    Raises
    ------
    ValueError
        If ``submissions`` is not a folder, or holds no student.
    """
    jobs = check_int("jobs", jobs, low=1)
    folder = Path(submissions)
    if not folder.is_dir():
        raise ValueError(f"submissions == {str(folder)!r}, must be a folder")
    students = sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".zip")
    )
    if not students:
        raise ValueError(
            f"submissions {str(folder)!r} holds no student: one folder or .zip each"
        )
    extra = None if hidden is None else Path(hidden)
    done = [0]

    def one(source: Path) -> StudentGrade:
        result = grade_student(source, hidden=extra, timeout=timeout, user=user)
        done[0] += 1
        if progress is not None:
            progress(result.student, done[0], len(students))
        return result

    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each grades in a process
        return list(pool.map(one, students))


def gradebook_rows(grades: Sequence[StudentGrade]) -> list[list[str]]:
    """The gradebook as rows: a header, then one row per student: the points
    of each exercise's visible tests, of the hidden tests, the total and its
    maximum (bonus exercises in neither), and the files not graded."""
    names = exercises()
    header = ["student"]
    header += [f"{n} (bonus)" if n in OPTIONAL else n for n in names]
    header += ["hidden", "total", "max", "not graded"]
    rows = [header]
    for g in grades:
        row = [g.student]
        row += [f"{g.scores[n][0]:g}" if n in g.scores else "" for n in names]
        if g.error:
            row += ["", "", ""]
        else:
            counted = sum(m for n, (_, m) in g.scores.items() if n not in OPTIONAL)
            row += [f"{g.hidden[0]:g}", f"{g.total:g}", f"{counted + g.hidden[1]:g}"]
        row.append("; ".join(filter(None, [g.error, *g.ignored])))
        rows.append(row)
    return rows


def write_gradebook(grades: Sequence[StudentGrade], path: str | Path) -> None:
    """Write :func:`gradebook_rows` as CSV, whole or not at all."""

    def write(handle) -> None:
        csv.writer(handle, lineterminator="\n").writerows(gradebook_rows(grades))

    write_atomically(path, write)


def summary(grades: Sequence[StudentGrade], *, top: int = 5) -> str:
    """The mean points per exercise, and the ``top`` tests failed most often."""
    graded = [g for g in grades if not g.error]
    lines = [f"graded {len(graded)} of {len(grades)} students"]
    for g in grades:
        if g.error:
            lines.append(f"  not graded: {g.student}: {g.error}")
    for name in exercises():
        points = [g.scores[name] for g in graded if name in g.scores]
        if points:
            mean = sum(p for p, _ in points) / len(points)
            bonus = " (bonus)" if name in OPTIONAL else ""
            lines.append(f"  {name}{bonus}: mean {mean:.1f} of {points[0][1]:g}")
    failed = Counter(test for g in graded for test in g.failed)
    if failed:
        lines.append(f"tests failed most often (of {len(graded)} students):")
        lines += [f"  {k:>3}  {test}" for test, k in failed.most_common(top)]
    return "\n".join(lines)
