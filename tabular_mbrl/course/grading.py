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
timeout, and returns a :class:`GradeReport`: points per test, per exercise and
in total, a table, and a Gradescope ``results.json``. Students run the tests
of one exercise with ``pytest test_ex01_epsilon_greedy.py``; instructors grade
a folder with ``python -m tabular_mbrl grade FOLDER``.
"""

from __future__ import annotations

import atexit
import builtins
import hashlib
import hmac
import importlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import MethodType, ModuleType, TracebackType

from . import _sandbox

#: The " (exNN_file.py:LINE, in test_file.py:LINE)" that :func:`failure_line`
#: appends (the submission's part only when the error rose in it).
_WHERE = re.compile(r" \((?:[^ ]+\.py:\d+, in )?test_[^ ]*\.py:\d+\)$")

_SUBMISSION_FILE = _sandbox.SUBMISSION_FILE

#: Extra seconds, past the per-test timeout, before a stuck test process is killed.
_GRACE_SECONDS = 5.0
#: Seconds a test process may take to start and collect before its first test.
_STARTUP_SECONDS = 120.0

#: The longest per-test timeout, in seconds (a longer one overflows the timer).
MAX_TIMEOUT = 3600.0

#: Environment variable naming the folder the submissions are loaded from.
SUBMISSION_ENV = "TABULAR_MBRL_SUBMISSION"
#: Environment variable that hands the test process the key it signs its log
#: records with (it removes it from its environment before any test runs).
KEY_ENV = "TABULAR_MBRL_GRADE_KEY"


class GradingTimeout(BaseException):
    """A test ran out of time. A ``BaseException``, like ``KeyboardInterrupt``,
    so that a submission's ``except Exception`` cannot swallow it."""


class SubmissionImportError(Exception):
    """The student's module is missing or raised while being imported."""


class GradingError(Exception):
    """Grading itself could not run (no tests, no pytest, a bad folder)."""


def points(n: float):
    """Mark a test as worth ``n`` points: ``@points(2)``, the same as
    ``@pytest.mark.points(2)``. Unmarked tests are worth 1 point."""
    import pytest

    return pytest.mark.points(n)


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
    """``import`` for a submission run in this process (a student's own
    ``pytest``): anything but ``tabular_mbrl``, whose algorithms are what the
    exercises ask the student to write. When grading, the submission's own
    process refuses it to ``importlib`` as well."""
    if level == 0 and name.split(".")[0] == "tabular_mbrl":
        raise ImportError(_sandbox.NO_LIBRARY.format(name))
    return builtins.__import__(name, globals, locals, fromlist, level)


class SubmissionCrashed(Exception):
    """The process the submission ran in died during a call."""


class _SubmissionProcess(_sandbox.Channel):
    """The channel to the worker process that runs the submissions of this
    test process (see :mod:`._sandbox`).

    The worker is started on first use; stopped (killed) after a timeout, a
    crash or a message it should not have sent, and started afresh for the
    next call. Handles to the objects of a stopped worker then refuse to work.
    """

    def __init__(self) -> None:
        super().__init__(None, None, trusting=False, expose=self._expose)
        self.process: subprocess.Popen | None = None

    def _expose(self, value: object, replying: bool) -> bool:
        """What the submission may get a handle to: any object a test passes
        it (a scripted model, a scorer), and when it calls back, only their
        bound methods, never what those return or refer to."""
        if not replying:
            return True
        owner = getattr(value, "__self__", None)
        return isinstance(value, MethodType) and any(
            owner is exposed for exposed in self.objects.values()
        )

    def start(self) -> None:
        to_worker, from_test = os.pipe()
        from_worker, to_test = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-I", _sandbox.__file__, str(to_worker), str(to_test)],
            pass_fds=(to_worker, to_test),
            stdin=subprocess.DEVNULL,
        )
        os.close(to_worker)
        os.close(to_test)
        self.writer = os.fdopen(from_test, "wb")
        self.reader = os.fdopen(from_worker, "rb")

    def stop(self) -> int | None:
        """Kill the worker; return its exit status."""
        if self.process is None:
            return None
        for pipe in (self.reader, self.writer):
            try:
                pipe.close()
            except OSError:
                pass
        if self.process.poll() is None:
            time.sleep(0.05)  # a worker that is exiting on its own says how
        if self.process.poll() is None:
            self.process.kill()
        status = self.process.wait()
        self.process = None
        # What the worker held is gone, and so are the test's objects it had
        # handles to: old handles refuse to work, names are looked up afresh.
        self.objects.clear()
        self.generation += 1
        return status

    def request(self, *message: object) -> object:
        if self.process is None:
            self.start()
        generation = self.generation
        try:
            return super().request(*message)
        except Exception as error:
            if hasattr(error, "submission_where"):  # the submission raised it
                raise
            if generation != self.generation:
                raise  # already stopped, in a callback
            status = self.stop()
            if isinstance(error, _sandbox.ChannelClosed | OSError):
                raise SubmissionCrashed(
                    f"the submission's process died (exit status {status})"
                ) from None
            raise
        except BaseException:  # a timeout: the worker may be stuck
            if generation == self.generation:
                self.stop()
            raise


#: The worker of this process; only used when grading (see :func:`isolate`).
_PROCESS = _SubmissionProcess()
_isolated = False


def isolate() -> None:
    """Run submissions in a worker process from now on (the grading plugin
    calls this; a student's own ``pytest`` runs them in-process). POSIX only:
    on Windows, which cannot hand pipes to a child this way, they stay in the
    test process."""
    global _isolated
    if _POSIX:
        _isolated = True
        atexit.register(_PROCESS.stop)


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
            if self._module._generation != _PROCESS.generation:
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
                self._module = _PROCESS.request("import", self._name, str(self._folder))
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
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


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
    """The outcome of :func:`grade`."""

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
        """Write :meth:`gradescope` to ``path``."""
        Path(path).write_text(json.dumps(self.gradescope(), indent=2) + "\n")


def grade(
    folder: str | os.PathLike,
    *,
    hidden: str | os.PathLike | None = None,
    timeout: float = 10.0,
    python: str = sys.executable,
) -> GradeReport:
    """Run the exercise tests in ``folder`` (and ``hidden``) and score them.

    Parameters
    ----------
    folder : path
        Holds the test files (``test_*.py``) and the students' modules.
    hidden : path, optional
        A folder of extra test files that students never see. They load the
        students' modules from ``folder`` and show as ``after_published`` in
        the Gradescope report.
    timeout : float, default 10
        Seconds each test may run. A test that runs over fails; the rest are
        still graded. A test stuck where the timer cannot interrupt it (inside
        C code, or with the timer's signal blocked) is stopped by killing the
        test process after ``timeout + 5`` seconds; the grader then goes on
        with the remaining tests in a new process.
    python : str
        The interpreter that runs pytest (this one by default).

    Raises
    ------
    GradingError
        When grading cannot run: a missing folder, no tests, no pytest.
    """
    started = time.perf_counter()
    folder = _check_folder("folder", folder)
    hidden = _check_folder("hidden", hidden) if hidden is not None else None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout == {timeout!r}, must be a number of seconds")
    if not timeout > 0:
        raise ValueError(f"timeout == {timeout!r}, must be > 0")
    if timeout > MAX_TIMEOUT:
        raise ValueError(f"timeout == {timeout!r}, must be <= {MAX_TIMEOUT:g} seconds")
    # The grader holds the log keys: other processes of this user (the
    # submissions) must not read them from its memory while it grades.
    dumpable = set_dumpable(False)
    try:
        tests, collect_errors = _grade(folder, hidden, timeout, python)
    finally:
        set_dumpable(dumpable)
    return GradeReport(
        list(tests.values()), collect_errors, time.perf_counter() - started
    )


def _grade(
    folder: Path, hidden: Path | None, timeout: float, python: str
) -> tuple[dict[str, TestResult], list[tuple[str, str]]]:
    tests: dict[str, TestResult] = {}
    collect_errors: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="tabular-mbrl-grade-") as scratch:
        scratch = Path(scratch)
        ini = scratch / "pytest.ini"
        ini.write_text("[pytest]\n")  # none of the folder's own pytest settings
        todo: list[str] | None = None  # None: every test
        originals = _snapshot(folder, hidden)
        copies = scratch / "tests"
        hidden_copies = scratch / "hidden" if hidden else None
        for attempt in range(1, 1000):
            # Every test process collects fresh copies of the tests as they
            # were read, from a folder that holds nothing else: not a file a
            # submission rewrote or planted (a shadowing json.py, a conftest).
            _copy_out(originals, folder, copies)
            if hidden:
                _copy_out(originals, hidden, hidden_copies)
            log = scratch / f"log{attempt}.jsonl"
            command = [
                python,
                "-m",
                "pytest",
                str(copies),
                *([str(hidden_copies)] if hidden else []),
                "-c",
                str(ini),
                "--rootdir",
                str(copies),
                "--import-mode=importlib",
                "--continue-on-collection-errors",
                "-p",
                "tabular_mbrl.course._grading_plugin",
                "-p",
                "no:cacheprovider",
                "-q",
                # The plugin writes its own one-line feedback; pytest's long
                # tracebacks re-parse every source file on the way (more than
                # half of grading a folder of failing skeletons).
                "--tb=native",
                "--grade-log",
                str(log),
                "--grade-timeout",
                str(timeout),
            ]
            if hidden:
                command += ["--grade-hidden", str(hidden_copies)]
            if todo is not None:
                only = scratch / f"only{attempt}.txt"
                only.write_text("\n".join(todo))
                command += ["--grade-only", str(only)]
            key = secrets.token_hex(32)
            status, output, stuck = _run(command, folder, copies, log, timeout, key)
            records = _read_log(log, key)
            if attempt == 1:
                _collect(records, tests, collect_errors)
                if not tests:  # nothing to grade: say why
                    if status == 5:
                        raise GradingError(f"no tests found in {folder}")
                    if collect_errors:
                        path, reason = collect_errors[0]
                        raise GradingError(f"could not collect {path}: {reason}")
                    lines = [line for line in output.splitlines() if line.strip()]
                    raise GradingError(
                        f"pytest could not run (exit status {status}): "
                        + (lines[-1].strip() if lines else "no output")
                    )
            finished = _results(records, tests)
            started_last = [
                r["nodeid"]
                for r in records
                if r["kind"] == "start" and r["nodeid"] not in finished
            ]
            if started_last:  # the process died (or was killed) in this test
                test = tests[started_last[-1]]
                test.score = 0.0
                test.output = (
                    f"timed out after {timeout:g} s (the test process was stopped)"
                    if stuck
                    else f"the test process died (exit status {status})"
                )
            todo = [
                nodeid
                for nodeid, test in tests.items()
                if test.output == "not run" and nodeid not in started_last
            ]
            # Go on only past a test that took its process down with it.
            if not todo or not started_last:
                break
        _restore(originals)  # the instructor's folder as it was, too
    return tests, collect_errors


def _check_folder(name: str, folder: object) -> Path:
    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"{name} == {folder!r}, must be a path to a folder")
    path = Path(folder).resolve()
    if not path.is_dir():
        raise GradingError(f"{name} == {str(folder)!r}, must be an existing folder")
    return path


def _run(
    command: list[str], folder: Path, cwd: Path, log: Path, timeout: float, key: str
) -> tuple[int, str, bool]:
    """Run pytest in ``cwd`` on the submissions of ``folder``; kill it if a
    test runs ``_GRACE_SECONDS`` past ``timeout``. Returns (exit status, its
    output, whether it was killed)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    env[SUBMISSION_ENV] = str(folder)
    env[KEY_ENV] = key
    # Only the grader's own plugin: installed ones (pytest-randomly, ...) must
    # not change how grading runs.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    with tempfile.TemporaryFile("w+") as output:
        # A session of its own: every process a submission starts belongs to
        # it, and is killed with it before anything is reported.
        process = subprocess.Popen(
            [sys.executable, "-c", _KEEPER, *command],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=_POSIX,
        )
        seen, since, stuck = 0, time.monotonic(), False
        try:
            while process.poll() is None:
                time.sleep(0.02)
                size = log.stat().st_size if log.exists() else 0
                if size != seen:  # progress: a test started or finished
                    seen, since = size, time.monotonic()
                limit = timeout + (_GRACE_SECONDS if seen else _STARTUP_SECONDS)
                if time.monotonic() - since > limit:
                    _stop_keeper(process)
                    stuck = True
        finally:
            _kill_group(process)
        output.seek(0)
        return process.returncode, output.read(), stuck


_POSIX = hasattr(os, "killpg")

#: The test process runs under a small keeper process, so that a submission
#: that kills its parent's parent kills the keeper, not the grader: the grader
#: sees a test process die and goes on. The keeper is non-dumpable (its
#: environment holds the log key) and, on Linux, a subreaper: a process the
#: submission starts that leaves the session (``setsid``) and is orphaned
#: still becomes the keeper's child, and the keeper kills every child it has
#: before it exits. SIGTERM tells it to kill the test process and clean up.
_KEEPER = """
import ctypes, os, signal, subprocess, sys
try:
    libc = ctypes.CDLL(None)
    libc.prctl(4, 0, 0, 0, 0)   # PR_SET_DUMPABLE 0
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER 1
except (OSError, AttributeError):
    pass
child = subprocess.Popen(sys.argv[1:])
signal.signal(signal.SIGTERM, lambda *_: child.kill())
status = child.wait()
me = str(os.getpid())
while os.path.isdir("/proc"):
    children = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        if entry.isdigit() and fields[1] == me:
            children.append(int(entry))
    if not children:
        break
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
sys.exit(status)
"""


def _stop_keeper(process: subprocess.Popen) -> None:
    """Ask the keeper to kill a stuck test process and clean up; kill it if
    it does not exit soon."""
    process.terminate()
    try:
        process.wait(timeout=_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def set_dumpable(dumpable: bool) -> bool:
    """Make this process (non-)dumpable, where Linux allows it; return whether
    it was dumpable. A non-dumpable process's memory, environment and open
    files cannot be read through ``/proc`` or ``ptrace`` by other processes
    of the same user, which is how the grader keeps its log key from a
    submission."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        was = libc.prctl(3, 0, 0, 0, 0) == 1  # PR_GET_DUMPABLE
        libc.prctl(4, int(dumpable), 0, 0, 0)  # PR_SET_DUMPABLE
        return was
    except (OSError, AttributeError):  # not Linux
        return True


def _kill_group(process: subprocess.Popen) -> None:
    """Kill what is left of the test process's session (its children)."""
    if not _POSIX:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _snapshot(*folders: Path | None) -> dict[Path, bytes]:
    """The test files and conftests of ``folders``, read once, before any
    submission code runs."""
    files = {}
    for folder in folders:
        if folder is not None:
            for path in sorted(folder.glob("test_*.py")) + sorted(
                folder.glob("conftest.py")
            ):
                files[path] = path.read_bytes()
    return files


def _copy_out(files: dict[Path, bytes], folder: Path, target: Path) -> None:
    """Write the files of ``folder`` as they were read into an emptied ``target``."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    for path, data in files.items():
        if path.parent == folder:
            (target / path.name).write_bytes(data)


def _restore(files: dict[Path, bytes]) -> None:
    """Put the tests back as they were read, in case a submission rewrote them."""
    for path, data in files.items():
        if not path.is_file() or path.read_bytes() != data:
            path.unlink(missing_ok=True)
            path.write_bytes(data)


def _read_log(log: Path, key: str) -> list[dict]:
    """The log's records, up to the first that is not the test process's own:
    cut short by a kill, out of sequence, or not signed with ``key``."""
    if not log.exists():
        return []
    records = []
    for line in log.read_text(errors="replace").splitlines():
        text, _, signature = line.rpartition(" ")
        expected = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, expected):
            break
        record = json.loads(text)
        if record.get("seq") != len(records):
            break
        records.append(record)
    return records


def _collect(
    records: list[dict],
    tests: dict[str, TestResult],
    collect_errors: list[tuple[str, str]],
) -> None:
    for record in records:
        if record["kind"] == "test":
            tests[record["nodeid"]] = TestResult(
                record["nodeid"],
                record["name"],
                record["exercise"],
                record["points"],
                record["visibility"],
            )
        elif record["kind"] == "collect_error":
            collect_errors.append((record["path"], record["output"]))


def _results(records: list[dict], tests: dict[str, TestResult]) -> set[str]:
    finished = set()
    for record in records:
        if record["kind"] == "result" and record["nodeid"] in tests:
            test = tests[record["nodeid"]]
            test.score = test.max_score if record["passed"] else 0.0
            test.output = record["output"]
            finished.add(record["nodeid"])
    return finished
