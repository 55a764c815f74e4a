"""What an exercise's test file imports: points, the student's module, and why
a test failed.

Job 1 of the grader (see :mod:`.grading`): :func:`points` marks a test's
worth, :func:`submission` loads the student's module lazily (in this process
under a student's own ``pytest``, in the worker of :mod:`._client` once
:func:`isolate` has been called), :func:`repeat` makes many calls in one
message, and :func:`failure_line` says in one line why a test failed.
"""

from __future__ import annotations

import atexit
import builtins
import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType, TracebackType

from .._checks import check_real
from . import _client, _sandbox
from ._sandbox import repeat

__all__ = [
    "SUBMISSION_ENV",
    "GradingTimeout",
    "Submission",
    "SubmissionImportError",
    "check_points",
    "failure_line",
    "isolate",
    "points",
    "repeat",
    "submission",
]

_SUBMISSION_FILE = _sandbox.SUBMISSION_FILE

#: Environment variable naming the folder the submissions are loaded from.
SUBMISSION_ENV = "TABULAR_MBRL_SUBMISSION"

#: Whether a worker can be handed its pipes (not on Windows).
_POSIX = hasattr(os, "killpg")


class GradingTimeout(BaseException):
    """A test ran out of time. A ``BaseException``, like ``KeyboardInterrupt``,
    so that a submission's ``except Exception`` cannot swallow it."""


class SubmissionImportError(Exception):
    """The student's module is missing or raised while being imported."""


def check_points(n: object) -> float:
    """``n`` as a test's worth: a real number in (0, 1000] (not a bool, not a
    string; no total of tests can overflow), or ``TypeError``/``ValueError``
    saying why not."""
    return check_real("points", n, low=0.0, high=MAX_POINTS, low_open=True)


#: The most a test can be worth.
MAX_POINTS = 1000.0


def points(n: float):
    """Mark a test as worth ``n`` points: ``@points(2)``, the same as
    ``@pytest.mark.points(2)``. Unmarked tests are worth 1 point.

    Raises
    ------
    TypeError, ValueError
        If ``n`` is not a finite real number > 0 (see :func:`check_points`).
    """
    import pytest

    check_points(n)
    return pytest.mark.points(n)


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
    """``import`` for a submission run in this process (a student's own
    ``pytest``): anything but ``tabular_mbrl``, whose algorithms are what the
    exercises ask the student to write. When grading, the submission's own
    process refuses it to ``importlib`` as well."""
    if level == 0 and name.split(".")[0] == "tabular_mbrl":
        raise ImportError(_sandbox.NO_LIBRARY.format(name))
    return builtins.__import__(name, globals, locals, fromlist, level)


_isolated = False


def isolate(worker: _client.Worker | None = None) -> None:
    """Run submissions in a worker process from now on (the grading plugin
    calls this; a student's own ``pytest`` runs them in-process), set up as
    ``worker`` says (its user, folders and limits; see :mod:`._isolation`).
    POSIX only: on Windows, which cannot hand pipes to a child this way, they
    stay in the test process."""
    global _isolated
    if _POSIX:
        _isolated = True
        _client._PROCESS.worker = worker
        atexit.register(_client._PROCESS.stop)


class Submission:
    """A student's module, imported on first use (see :func:`submission`)."""

    def __init__(self, name: str, folder: Path) -> None:
        self._name = name
        self._folder = folder
        self._module: ModuleType | _sandbox.Handle | None = None
        self._error: str | None = None
        self._names: dict[tuple[str, int], object] = {}

    def _load(self) -> ModuleType | _sandbox.Handle:
        if isinstance(self._module, _sandbox.Handle):
            if self._module._generation != _client._PROCESS.generation:
                self._module = None  # its process was stopped: import afresh
        if self._module is None and not self._error:
            self._error = self._import()
        if self._error:  # the first failure stands for every later test
            raise SubmissionImportError(self._error)
        return self._module

    def _import(self) -> str:
        """Import the module; return '' on success or why it failed."""
        path = self._folder / f"{self._name}.py"
        if not path.is_file():
            return f"{path.name} not found in {self._folder}"
        try:
            if _isolated:
                self._module = _client._PROCESS.request(
                    "import", self._name, str(self._folder)
                )
            else:
                self._module = self._import_here(path)
        except (Exception, SystemExit, GradingTimeout) as error:
            where = getattr(error, "submission_where", "")
            if where.startswith(f"{path.name}:"):
                where = f" (line {where.rpartition(':')[2]})"
            else:
                where = _line_in(error.__traceback__, path)
            return f"{path.name} failed to import: {_describe(error)}{where}"
        return ""

    def _import_here(self, path: Path) -> ModuleType:
        sys.path.insert(0, str(self._folder))
        try:
            spec = importlib.util.spec_from_file_location(self._name, path)
            module = importlib.util.module_from_spec(spec)
            # The library's own solutions are not the student's to import.
            module.__builtins__ = dict(vars(builtins), __import__=_guarded_import)
            sys.modules[self._name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(self._name, None)
                raise
            return module
        finally:
            sys.path.remove(str(self._folder))

    def __getattr__(self, attribute: str):
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        module = self._load()
        if not isinstance(module, _sandbox.Handle):
            return getattr(module, attribute)
        # One message per name, not per call: what the module holds is looked
        # up once per submission process.
        key = (attribute, module._generation)
        if key not in self._names:
            self._names[key] = getattr(module, attribute)
        return self._names[key]

    def __repr__(self) -> str:
        return f"submission({self._name!r}) from {self._folder}"


def submission(name: str, folder: str | os.PathLike | None = None) -> Submission:
    """The student's module ``name`` (``name.py``), imported when first used.

    The module is looked for in ``folder``; by default in the folder named by
    the ``TABULAR_MBRL_SUBMISSION`` environment variable (the grader sets it,
    so hidden tests elsewhere find the students' files), else in the folder
    of the test file that calls this function.
    """
    if folder is None:
        folder = os.environ.get(SUBMISSION_ENV)
    if folder is None:
        caller = sys._getframe(1).f_globals.get("__file__", ".")
        folder = Path(caller).resolve().parent
    return Submission(name, Path(folder).resolve())


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    if isinstance(error, _sandbox.RemoteError):  # already "Kind: message"
        return text[0] if text else "RemoteError"
    if isinstance(error, AssertionError):
        compared = _numpy_comparison(text)
        if compared:
            return f"AssertionError: {compared}"
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


#: The lines of NumPy's ``assert_allclose``/``assert_array_equal`` messages
#: that hold the arrays compared (NumPy 2: ACTUAL/DESIRED; before: x/y).
_ACTUAL = ("ACTUAL:", "x:")
_DESIRED = ("DESIRED:", "y:")


def _numpy_comparison(lines: list[str]) -> str | None:
    """One line from the lines of a failed NumPy array comparison: what it
    checks, the test's ``err_msg``, then what came back and what was expected
    (``... (err_msg): got [1, 2], expected [1, 3]``); None for another
    message."""
    stripped = [line.strip() for line in lines]
    starts = {
        i: line
        for i, line in enumerate(stripped)
        if line.startswith(_ACTUAL + _DESIRED)
    }
    got = next((i for i, line in starts.items() if line.startswith(_ACTUAL)), None)
    want = next((i for i, line in starts.items() if line.startswith(_DESIRED)), None)
    if got is None or want is None or not stripped:
        return None

    def array(first: int, last: int) -> str:
        value = " ".join(stripped[first:last]).partition(":")[2].strip()
        if value.startswith("array("):
            value = value[6:-1] if value.endswith(")") else value[6:]
        return " ".join(value.split())

    head = stripped[0]
    notes = [
        line.rstrip(":")
        for line in stripped[1 : min(got, want)]
        if line and not line.startswith(("Mismatch", "Max ", "First ", "["))
    ]
    note = f" ({'; '.join(notes)})" if notes else ""
    ends = sorted([got, want, len(stripped)])
    actual = array(got, ends[ends.index(got) + 1])
    desired = array(want, ends[ends.index(want) + 1])
    return f"{head}{note}: got {actual}, expected {desired}"


def _line_in(tb: TracebackType | None, path: Path) -> str:
    """' (line N)' of the deepest frame in ``path``, if any."""
    line = ""
    for frame, lineno in traceback.walk_tb(tb):
        if Path(frame.f_code.co_filename).resolve() == path.resolve():
            line = f" (line {lineno})"
    return line


def failure_line(error: BaseException, tb: object = None) -> str:
    """One line saying why a test failed: the exception, its first line of
    message, and where: the line of the student's own file where it was raised
    (if it was) and the test file line that called it."""
    if isinstance(error, SubmissionImportError):
        return str(error)
    text = _describe(error)
    entries = [(Path(str(e.path)).name, e.lineno + 1) for e in (tb or [])]
    tests = [i for i, (name, _) in enumerate(entries) if name.startswith("test_")]
    if not tests:
        return text
    name, line = entries[tests[-1]]
    where = f"{name}:{line}"
    # The deepest frame in the student's own file, below the test's call (in
    # the submission's process, when it ran there).
    own = [getattr(error, "submission_where", "")] + [
        f"{n}:{lineno}"
        for n, lineno in entries[tests[-1] + 1 :]
        if _SUBMISSION_FILE.match(n)
    ]
    own = [where for where in own if where]
    return f"{text} ({own[-1]}, in {where})" if own else f"{text} ({where})"
