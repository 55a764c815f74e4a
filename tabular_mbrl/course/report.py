"""The outcome of a grading run: points per test, per exercise and in total.

Job 4 of the grader (see :mod:`.grading`): :class:`TestResult` (one graded
test), :class:`GradeReport` (all of them, as a table or as Gradescope's
``results.json``) and :func:`exercise_of` (the exercise a test file grades).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["GradeReport", "TestResult", "exercise_of"]

#: The " (exNN_file.py:LINE, in test_file.py:LINE)" that
#: :func:`.authoring.failure_line` appends (the submission's part only when the
#: error rose in it).
_WHERE = re.compile(r" \((?:[^ ]+\.py:\d+, in )?test_[^ ]*\.py:\d+\)$")


def exercise_of(path: os.PathLike) -> str:
    """The exercise a test file grades: its name without ``test_`` and ``.py``
    (``test_ex01_epsilon_greedy.py`` -> ``ex01_epsilon_greedy``)."""
    stem = Path(path).stem
    return stem.removeprefix("test_")


@dataclass
class TestResult:
    """One graded test."""

    nodeid: str
    name: str
    exercise: str
    max_score: float
    visibility: str = "visible"
    score: float = 0.0
    output: str = "not run"

    @property
    def passed(self) -> bool:
        return self.score == self.max_score


@dataclass
class GradeReport:
    """The outcome of :func:`.grading.grade`."""

    tests: list[TestResult]
    #: Test files that could not even be collected: ``(path, reason)``.
    collect_errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(test.score for test in self.tests)

    @property
    def max_score(self) -> float:
        return sum(test.max_score for test in self.tests)

    def by_exercise(self) -> dict[str, tuple[float, float, str]]:
        """``{exercise: (score, max_score, note)}``; the note is the reason
        shared by all failed tests if there is one (an import error), else
        how many tests failed."""
        table: dict[str, list[TestResult]] = {}
        for test in self.tests:
            table.setdefault(test.exercise, []).append(test)
        out = {}
        for exercise, tests in sorted(table.items()):
            failed = [t for t in tests if not t.passed]
            reasons = {_WHERE.sub("", t.output) for t in failed}
            if len(failed) == len(tests) and len(reasons) == 1:
                note = reasons.pop()
            elif failed:
                note = f"{len(failed)} of {len(tests)} tests failed"
            else:
                note = ""
            out[exercise] = (
                sum(t.score for t in tests),
                sum(t.max_score for t in tests),
                note,
            )
        return out

    def table(self) -> str:
        """Per-exercise scores, the total, then one line per failed test."""
        rows = self.by_exercise()
        width = max([len(name) for name in rows] + [8])
        lines = [f"{'exercise':<{width}}  {'score':>6}  {'max':>5}  note"]
        for name, (score, maximum, note) in rows.items():
            lines.append(f"{name:<{width}}  {score:>6g}  {maximum:>5g}  {note}")
        lines.append(f"{'total':<{width}}  {self.score:>6g}  {self.max_score:>5g}")
        for path, reason in self.collect_errors:
            lines.append(f"could not collect {path}: {reason}")
        failed = [t for t in self.tests if not t.passed]
        if failed:
            lines.append("")
            lines.append("failed tests:")
            for test in failed:
                lines.append(
                    f"  {test.exercise}::{test.name} ({test.max_score:g} pts): "
                    f"{test.output}"
                )
        return "\n".join(lines)

    def gradescope(self) -> dict:
        """The report as Gradescope's ``results.json`` (a dict)."""
        return {
            "score": self.score,
            "execution_time": round(self.seconds, 2),
            "output": f"{self.score:g} / {self.max_score:g} points",
            "tests": [
                {
                    "name": f"{test.exercise}: {test.name}",
                    "score": test.score,
                    "max_score": test.max_score,
                    "output": test.output if not test.passed else "passed",
                    "visibility": test.visibility,
                }
                for test in self.tests
            ],
        }

    def write_json(self, path: str | os.PathLike) -> None:
        """Write :meth:`gradescope` to ``path``, whole or not at all, replacing
        whatever is there.

        The report goes to a new temporary file in the same folder (mode
        644), renamed over ``path`` when complete: a file there is replaced
        whatever its permissions, and so is a symlink, never what it points
        to. If that fails, what was at ``path`` is removed (a file planted
        there before grading must not stand for this grade) and the error is
        raised.
        """
        path = Path(os.path.abspath(path))
        text = json.dumps(self.gradescope(), indent=2) + "\n"
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name[:200]}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            with contextlib.suppress(OSError):
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    os.unlink(path)
            raise
