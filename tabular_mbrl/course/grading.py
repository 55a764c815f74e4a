"""Auto-grading of the exercises in ``lectures/exercises`` with plain pytest.

A test file for an exercise looks like this::

    from tabular_mbrl.course import points, submission

    ex = submission("ex01_epsilon_greedy")  # the student's ex01_epsilon_greedy.py

    @points(3)
    def test_ties_are_broken_at_random():
        ...ex.epsilon_greedy(...)...

``submission`` loads the student's module lazily, inside the first test that
uses it, so a module that crashes (or hangs) on import costs that exercise its
points and nothing else; every test of it then fails with the same one-line
reason.

When the grader runs the tests, the student's module lives in a worker
process of its own (:mod:`._sandbox`): ``ex.epsilon_greedy(...)`` sends the
call there and gets the return value back, and arrays and Generators passed
in come back updated. A test that calls a submission thousands of times with
the same arguments says so with :func:`repeat` (one message, not thousands)::

    actions = repeat(ex.epsilon_greedy, 4000, q_row, 0.5, rng)

:func:`grade` runs the tests of a folder in a child process (so a submission
that kills its interpreter cannot take the grader down), each test under a
timeout and the whole folder under a budget, and returns a
:class:`GradeReport`: points per test, per exercise and in total, a table, and
a Gradescope ``results.json``. Students run the tests of one exercise with
``pytest test_ex01_epsilon_greedy.py``; instructors grade a folder with
``python -m tabular_mbrl grade FOLDER``.

When the grader runs as root (as Gradescope runs it), the worker runs as an
unprivileged user (``nobody`` unless ``user=`` says otherwise), in a folder
of its own, under resource limits: the operating system keeps the submission
from everything that decides a score (:mod:`._isolation`). Otherwise it runs
as the grader's own user, and the grader says so in one line.

The grader is split by job into these modules; this one gathers their public
names:

- :mod:`.authoring`: what a test file imports (:func:`points`,
  :func:`submission`, :func:`repeat`, :func:`failure_line`, ...);
- :mod:`._client`: the test process's channel to the submission's worker
  (:mod:`._sandbox` is the worker's side);
- :mod:`._runner`: :func:`grade`, which runs pytest with
  :mod:`._grading_plugin` under the keeper process (:mod:`._keeper`) and
  reads back its log;
- :mod:`._isolation`: the worker's user, folders and resource limits, and
  killing what a submission leaves behind;
- :mod:`.report`: :class:`GradeReport` and :class:`TestResult`, as a table
  or as Gradescope's ``results.json``.
"""

from __future__ import annotations

from ._client import SubmissionCrashed
from ._isolation import DEFAULT_USER, LIMITS, USER_ENV
from ._runner import (
    DEFAULT_BUDGET,
    KEY_ENV,
    MAX_BUDGET,
    MAX_FEEDBACK,
    MAX_TEST_FILE_BYTES,
    MAX_TIMEOUT,
    GradingError,
    grade,
    set_dumpable,
)
from .authoring import (
    SUBMISSION_ENV,
    GradingTimeout,
    Submission,
    SubmissionImportError,
    failure_line,
    isolate,
    points,
    repeat,
    submission,
)
from .report import GradeReport, TestResult, exercise_of

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_USER",
    "KEY_ENV",
    "LIMITS",
    "MAX_BUDGET",
    "MAX_FEEDBACK",
    "MAX_TEST_FILE_BYTES",
    "MAX_TIMEOUT",
    "SUBMISSION_ENV",
    "USER_ENV",
    "GradeReport",
    "GradingError",
    "GradingTimeout",
    "Submission",
    "SubmissionCrashed",
    "SubmissionImportError",
    "TestResult",
    "exercise_of",
    "failure_line",
    "grade",
    "isolate",
    "points",
    "repeat",
    "set_dumpable",
    "submission",
]
