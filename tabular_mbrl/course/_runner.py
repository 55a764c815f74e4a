"""The grading run: pytest in a child process, under a keeper, read back.

Job 3 of the grader (see :mod:`.grading`): :func:`grade` checks its
arguments, sets up the worker's user, area and limits (:mod:`._isolation`),
runs pytest with the grading plugin (:mod:`._grading_plugin`) on fresh,
read-only copies of the tests, under the keeper process (:mod:`._keeper`), a
per-test timeout and a budget for the folder, reads back the signed log,
starts again past a test that took its process down, and returns a
:class:`.report.GradeReport` once every process the submission left is
killed. Also the helpers around it: :func:`set_dumpable`, reading the tests
(regular files only, of bounded size, before anything runs) and the
submission's modules (never through a link), counting the points of a test
file that could not be collected, putting the tests back, and the feedback's
guard (one line, bounded, never quoting a hidden test).

Fail closed: whatever keeps the grader from running the tests and reading
their whole outcome (a log that is not the test process's, a test process
that ended without finishing it, pytest that could not run, a full disk)
raises :class:`GradingError` with one line; the command line exits 2.
"""

from __future__ import annotations

import ast
import errno
import fnmatch
import hashlib
import hmac
import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import _keeper, _sandbox
from ._isolation import (
    USER_ENV,
    Subreaper,
    UserLock,
    WorkerUser,
    check_python,
    kill_strays,
    prepare,
    remove,
    resolve_user,
    unreachable,
    warning,
)
from .authoring import SUBMISSION_ENV, check_points
from .report import GradeReport, TestResult, exercise_of

__all__ = [
    "KEY_ENV",
    "MAX_TEST_FILE_BYTES",
    "MAX_TIMEOUT",
    "GradingError",
    "grade",
    "set_dumpable",
]

#: Extra seconds, past the per-test timeout, before a stuck test process is killed.
_GRACE_SECONDS = 5.0
#: Seconds a test process may take to start and collect before its first test.
_STARTUP_SECONDS = 120.0

#: The longest per-test timeout, in seconds (a longer one overflows the timer).
MAX_TIMEOUT = 3600.0

#: The most a test file or conftest may hold: the grader reads each whole.
MAX_TEST_FILE_BYTES = 4 * 2**20

#: The environment variable that once handed the test process its log key;
#: the key now goes through a pipe, and the grader removes this variable from
#: the test process's environment.
KEY_ENV = "TABULAR_MBRL_GRADE_KEY"

#: The test process's code (``python -c``): no working folder on ``sys.path``
#: (what ``-P`` does from Python 3.11, and the grader sets ``PYTHONSAFEPATH``
#: too), then :func:`._grading_plugin.boot` with the settings' pipe ``FD``.
BOOT = (
    "import sys\n"
    "if sys.path and sys.path[0] in ('', '.'):\n"
    "    del sys.path[0]\n"
    "from tabular_mbrl.course._grading_plugin import boot\n"
    "sys.exit(boot({fd}))\n"
)

#: Seconds the grading of a folder may take in all, by default, and at most.
DEFAULT_BUDGET = 300.0
MAX_BUDGET = 24 * 3600.0

#: Whether the test process can have a session of its own, to be killed with it.
_POSIX = hasattr(os, "killpg")


class GradingError(Exception):
    """Grading itself could not run (no tests, no pytest, a bad folder)."""


def grade(
    folder: str | os.PathLike,
    *,
    hidden: str | os.PathLike | None = None,
    timeout: float = 10.0,
    python: str = sys.executable,
    user: str | int | None = None,
    budget: float = DEFAULT_BUDGET,
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
    user : str or int, optional
        The user the submissions run as (see :mod:`._isolation`): by default
        ``nobody`` when the grader runs as root, else the grader's own user
        (it then prints a one-line warning: the submissions run with the
        grader's own rights). Another user than the grader's needs root.
    budget : float, default 300
        Seconds the whole grading of the folder may take. Tests not finished
        when it runs out score nothing, and say so. It counts from the
        grading's turn: gradings that run their submissions as the same
        other user take turns (:class:`._isolation.UserLock`).

    Raises
    ------
    GradingError
        When grading cannot run: a missing folder, no tests, no pytest; a
        ``test_*.py`` or ``conftest.py`` that is not a regular file (a folder,
        a named pipe, a device, a symlink loop; a symlink to a regular file is
        read) or holds more than :data:`MAX_TEST_FILE_BYTES`; a test worth
        an invalid number of points; a test file that could not be collected
        and whose points its source does not show (see below); a worker the
        test process cannot start, or a worker's user that could write to the
        Python installation; anything that keeps the grader from running the
        tests and reading their outcome (a full disk, a grading log cut short
        or changed). One line says which.
    TypeError, ValueError
        For a bad ``timeout``, ``user`` or ``budget``.

    Notes
    -----
    An exercise's maximum does not depend on what happens when its tests
    run: a test file that cannot be collected (or is skipped whole) loses the
    points its source declares, test by test, with the reason; if its source
    does not show them (a syntax error, tests made at run time), grading
    stops rather than leave them out of the maximum.
    """
    started = time.perf_counter()
    folder = _check_folder("folder", folder)
    hidden = _check_folder("hidden", hidden) if hidden is not None else None
    _check_seconds("timeout", timeout, MAX_TIMEOUT)
    _check_seconds("budget", budget, MAX_BUDGET)
    try:
        who = resolve_user(user)
    except ValueError as error:
        if user is not None:
            raise
        raise GradingError(f"{error} (from {USER_ENV})") from None
    try:
        check_python(who, python)
    except PermissionError as error:
        raise GradingError(str(error)) from None
    # The grader holds the log keys: other processes of this user (the
    # submissions) must not read them from its memory while it grades.
    dumpable = set_dumpable(False)
    try:
        with UserLock(who), Subreaper():
            started = time.perf_counter()  # the budget starts with its turn
            deadline = time.monotonic() + budget
            tests, collect_errors = _grade(
                folder, hidden, timeout, python, who, budget, deadline
            )
    finally:
        set_dumpable(dumpable)
    return GradeReport(
        list(tests.values()), collect_errors, time.perf_counter() - started
    )


def _check_seconds(name: str, value: object, most: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} == {value!r}, must be a number of seconds")
    if not value > 0:
        raise ValueError(f"{name} == {value!r}, must be > 0")
    if value > most:
        raise ValueError(f"{name} == {value!r}, must be <= {most:g} seconds")


def _grade(
    folder: Path,
    hidden: Path | None,
    timeout: float,
    python: str,
    who: WorkerUser,
    budget: float,
    deadline: float,
) -> tuple[dict[str, TestResult], list[tuple[str, str]]]:
    """:func:`grade`'s work, once its arguments are checked; any ``OSError``
    of the grader's own (a full disk) is a :class:`GradingError`."""
    try:
        return _grade_folder(folder, hidden, timeout, python, who, budget, deadline)
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise GradingError(
            f"grading failed: {error.strerror or error}{where}"
        ) from None


def _grade_folder(
    folder: Path,
    hidden: Path | None,
    timeout: float,
    python: str,
    who: WorkerUser,
    budget: float,
    deadline: float,
) -> tuple[dict[str, TestResult], list[tuple[str, str]]]:
    tests: dict[str, TestResult] = {}
    collect_errors: list[tuple[str, str]] = []
    originals = _snapshot(folder, hidden)
    modules = _submission_modules(folder)
    line = warning(who)  # once, when the submissions are about to run
    if who.separate and hidden is not None:
        line = _readable_hidden(originals, hidden, who)
    if line:
        print(f"tabular-mbrl: {line}", file=sys.stderr)
    # The grader's own folder (mode 700): the copies of the tests, the logs,
    # the test process's working and temporary folders. And the worker's area.
    scratch = Path(tempfile.mkdtemp(prefix="tabular-mbrl-grade-"))
    worker = None
    try:
        worker = prepare(who, modules, Path(_sandbox.__file__), budget)
        why = unreachable(worker.script, who) if who.separate else None
        if why:
            raise GradingError(
                f"the worker's user {who.name} cannot reach its folder in "
                f"{Path(worker.root).parent}: {why}; set TMPDIR to a folder other "
                "users can search (such as /tmp)"
            )
        ini = scratch / "pytest.ini"
        ini.write_text("[pytest]\n")  # none of the folder's own pytest settings
        (scratch / "run").mkdir()
        (scratch / "tmp").mkdir()
        todo: list[str] | None = None  # None: every test
        copies = scratch / "tests"
        hidden_copies = scratch / "hidden" if hidden else None
        copy_of = {
            path: (copies if path.parent == folder else hidden_copies) / path.name
            for path in originals
        }
        for attempt in range(1, 1000):
            # Every test process collects fresh, read-only copies of the tests
            # as they were read, from a folder that holds nothing else and is
            # on no sys.path: not a file a submission rewrote or planted.
            _copy_out(originals, folder, copies)
            if hidden:
                _copy_out(originals, hidden, hidden_copies)
            log = scratch / f"log{attempt}.jsonl"
            settings = {
                "args": [
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
                    # tracebacks re-parse every source file on the way (more
                    # than half of grading a folder of failing skeletons).
                    "--tb=native",
                ],
                "log": str(log),
                "key": secrets.token_hex(32),
                "timeout": timeout,
                "hidden": str(hidden_copies) if hidden else None,
                "only": None,
                "worker": worker.to_json(),
            }
            if todo is not None:
                only = scratch / f"only{attempt}.txt"
                only.write_text("\n".join(todo))
                settings["only"] = str(only)
            status, output, stopped = _run(
                settings, python, folder, scratch, log, timeout, who, deadline
            )
            records = _read_log(log, settings["key"])
            for record in records:
                if record["kind"] == "error":  # e.g. a test worth -3 points
                    raise GradingError(record["message"])
            if attempt == 1 and stopped == "budget" and not records:
                raise GradingError(
                    f"the grading budget of {budget:g} s ran out before the tests "
                    "were collected"
                )
            if attempt > 1 or any(r["kind"] == "test" for r in records):
                _check_ending(records, status, output, stopped, attempt)
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
                _count_lost(records, originals, copy_of, hidden, tests)
            finished = _results(records, tests)
            started_last = [
                r["nodeid"]
                for r in records
                if r["kind"] == "start" and r["nodeid"] not in finished
            ]
            if started_last:  # the process died (or was killed) in this test
                test = tests[started_last[-1]]
                test.score = 0.0
                test.output = {
                    "stuck": f"timed out after {timeout:g} s (the test process "
                    "was stopped)",
                    "budget": f"the grading budget of {budget:g} s ran out in "
                    "this test",
                    None: f"the test process died ({_ended(status)})",
                }[stopped]
            todo = [
                nodeid
                for nodeid, test in tests.items()
                if test.output == "not run" and nodeid not in started_last
            ]
            if stopped == "budget":
                for nodeid in todo:
                    tests[
                        nodeid
                    ].output = f"not run: the grading budget of {budget:g} s ran out"
                break
            # Go on only past a test that took its process down with it.
            if not todo or not started_last:
                break
        _restore(originals)  # the instructor's folder as it was, too
        _guard_feedback(tests, collect_errors, originals, hidden)
    finally:
        kill_strays(who.uid)  # whatever the submission left, before any report
        remove(scratch)
        if worker is not None:
            remove(worker.root)
    return tests, collect_errors


def _submission_modules(folder: Path) -> dict[str, bytes]:
    """The submission's modules (``*.py`` at the top of ``folder`` that are not
    test files or conftests), read once, for the worker's read-only copy.
    Only regular files are read (never a link, which could point anywhere
    the grader may read), of at most :data:`MAX_TEST_FILE_BYTES` each."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as error:
        raise GradingError(f"cannot list {folder}: {error.strerror}") from None
    modules = {}
    for name in names:
        if not name.endswith(".py") or name == "conftest.py":
            continue
        if fnmatch.fnmatchcase(name, "test_*.py") or not name[:-3].isidentifier():
            continue
        where = f"{name} in {folder}"
        try:
            fd = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise GradingError(
                    f"{where} is a symlink: the grader copies only regular files "
                    "for a submission to import"
                ) from None
            raise GradingError(f"{where} cannot be read: {error.strerror}") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                continue  # a folder named x.py is no module to copy
            data = _read_at_most(fd, MAX_TEST_FILE_BYTES + 1)
        except OSError as error:
            raise GradingError(f"{where} cannot be read: {error.strerror}") from None
        finally:
            os.close(fd)
        if len(data) > MAX_TEST_FILE_BYTES:
            raise _too_big(where)
        modules[name] = data
    return modules


def _check_folder(name: str, folder: object) -> Path:
    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"{name} == {folder!r}, must be a path to a folder")
    try:
        path = Path(folder).resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before 3.13)
        path = None
    if path is None or not path.is_dir():
        raise GradingError(f"{name} == {str(folder)!r}, must be an existing folder")
    return path


def _check_ending(
    records: list[dict], status: int, output: str, stopped: str | None, attempt: int
) -> None:
    """Raise :class:`GradingError` unless the test process either ended as
    pytest ends (an exit status of 0, 1 or 5, and the log's last record) or
    was stopped or killed in a test (then the log ends early, as it may)."""
    if stopped is not None or status < 0 or status >= 128:
        if attempt > 1 and not any(r["kind"] == "test" for r in records):
            raise GradingError(
                f"the test process died before it collected the tests "
                f"({_ended(status)}): grading stops rather than guess"
            )
        return
    ended = bool(records) and records[-1]["kind"] == "end"
    if ended and status in (0, 1, 5):
        return
    if status in (0, 1, 5):
        raise GradingError(
            f"the grading log ends before the test process did (exit status "
            f"{status}): grading stops rather than trust it"
        )
    lines = [line for line in output.splitlines() if line.strip()]
    raise GradingError(
        f"pytest could not run (exit status {status}): "
        + (lines[-1].strip()[:MAX_FEEDBACK] if lines else "no output")
    )


def _ended(status: int) -> str:
    """How a test process (or its keeper) ended, from the keeper's status."""
    if status < 0:  # the keeper itself was killed
        return f"killed by signal {-status}"
    if status >= 128:
        return f"killed by signal {status - 128}"
    return f"exit status {status}"


def _run(
    settings: dict,
    python: str,
    folder: Path,
    scratch: Path,
    log: Path,
    timeout: float,
    who: WorkerUser,
    deadline: float,
) -> tuple[int, str, str | None]:
    """Run pytest with ``settings`` on the submissions of ``folder``, under the
    keeper; stop it if a test runs ``_GRACE_SECONDS`` past ``timeout``, or
    when the grading budget runs out (at ``deadline``, on the monotonic
    clock). Returns (exit status, its output, why it was stopped: "stuck",
    "budget" or None)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    env.pop(KEY_ENV, None)
    env[SUBMISSION_ENV] = str(folder)
    env["TMPDIR"] = str(scratch / "tmp")
    env["PYTHONSAFEPATH"] = "1"  # no script or working folder on sys.path (3.11+)
    # Only the grader's own plugin: installed ones (pytest-randomly, ...) must
    # not change how grading runs.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # The settings go through a pipe: no path or key on a command line.
    pipe_out, pipe_in = os.pipe()
    try:
        data = json.dumps(settings).encode()
        if len(data) > 60_000:  # a pipe holds 64 KiB; the settings are small
            raise GradingError("the test process's settings do not fit in a pipe")
        os.write(pipe_in, data)
    finally:
        os.close(pipe_in)
    command = [python, "-c", BOOT.format(fd=pipe_out)]
    with tempfile.TemporaryFile("w+", dir=scratch) as output:
        # A session of its own: every process a submission starts belongs to
        # it, and is killed with it before anything is reported. The test
        # process runs under the keeper (:mod:`._keeper`), started by its path
        # so that it imports only the standard library.
        try:
            with Subreaper._lock:
                process = subprocess.Popen(
                    [sys.executable, "-I", "-S", _keeper.__file__, str(pipe_out)]
                    + command,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=scratch / "run",
                    start_new_session=_POSIX,
                    pass_fds=(pipe_out,),
                )
                Subreaper.keepers.add(process.pid)
        finally:
            os.close(pipe_out)
        seen, since, stopped = 0, time.monotonic(), None
        terminated = _on_sigterm_exit()  # so that the finally below runs
        try:
            while process.poll() is None:
                time.sleep(0.02)
                size = log.stat().st_size if log.exists() else 0
                if size != seen:  # progress: a test started or finished
                    seen, since = size, time.monotonic()
                limit = timeout + (_GRACE_SECONDS if seen else _STARTUP_SECONDS)
                now = time.monotonic()
                if now - since > limit or now > deadline:
                    stopped = "stuck" if now <= deadline else "budget"
                    _stop_keeper(process)
        finally:
            _kill_group(process)
            with Subreaper._lock:
                Subreaper.keepers.discard(process.pid)
            kill_strays(who.uid)
            terminated()
        output.seek(0)
        return process.returncode, output.read(), stopped


def _on_sigterm_exit():
    """While a test process runs, SIGTERM to the grader (``timeout``, a job
    scheduler) exits through Python, so that the test process's session is
    killed and the temporary folders removed, not left running; returns what
    puts the old handler back. (Only the main thread can set a handler.)"""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def leave(signum, frame):
        raise SystemExit(128 + signum)

    old = signal.signal(signal.SIGTERM, leave)
    return lambda: signal.signal(signal.SIGTERM, old)


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
    submission code runs (see :func:`_read_test_file`)."""
    files = {}
    for folder in folders:
        if folder is None:
            continue
        try:
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as error:
            raise GradingError(f"cannot list {folder}: {error.strerror}") from None
        tests = [name for name in names if fnmatch.fnmatchcase(name, "test_*.py")]
        for name in tests + [name for name in names if name == "conftest.py"]:
            files[folder / name] = _read_test_file(folder / name)
    return files


_RULE = "the grader reads only regular files as tests"

_KINDS = [
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
]


def _read_test_file(path: Path) -> bytes:
    """The bytes of the test file (or conftest) ``path``, or a one-line
    :class:`GradingError`: only a regular file is opened (a folder, a named
    pipe, a device or a symlink loop named like a test is refused; reading a
    pipe would wait for ever), and at most :data:`MAX_TEST_FILE_BYTES` are
    read.

    A symlink to a regular file is read, wherever it points, as before: an
    instructor may link the course's test files into a grading folder, and
    refusing links would protect nothing, since whoever can put a link named
    ``test_*.py`` there can put a test file there, which runs as the grader's
    own code. What a link points to is read once, here, like any test file.
    """
    where = f"{path.name} in {path.parent}"
    try:
        link = stat.S_ISLNK(os.lstat(path).st_mode)
        info = os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise GradingError(f"{where} is a symlink loop: {_RULE}") from None
        if error.errno in (errno.ENOENT, errno.ENOTDIR) and os.path.islink(path):
            raise GradingError(
                f"{where} is a symlink to nothing ({os.readlink(path)}): {_RULE}"
            ) from None
        raise GradingError(f"{where} cannot be read: {error.strerror}") from None
    _check_regular(where, info, link)
    try:
        # Non-blocking: should a pipe have taken the file's place since the
        # check, opening and reading it returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            _check_regular(where, os.fstat(fd), link)  # what was opened
            data = _read_at_most(fd, MAX_TEST_FILE_BYTES + 1)
        finally:
            os.close(fd)
    except OSError as error:
        raise GradingError(f"{where} cannot be read: {error.strerror}") from None
    if len(data) > MAX_TEST_FILE_BYTES:  # it grew since it was looked at
        raise _too_big(where)
    return data


def _check_regular(where: str, info: os.stat_result, link: bool) -> None:
    """Refuse what is not a regular file of at most
    :data:`MAX_TEST_FILE_BYTES`, in one line."""
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), None)
        to = "a symlink to " if link else ""
        raise GradingError(
            f"{where} is {to}{kind or 'a special file'}, not a regular file: {_RULE}"
        )
    if info.st_size > MAX_TEST_FILE_BYTES:
        raise _too_big(where)


def _too_big(where: str) -> GradingError:
    return GradingError(
        f"{where} holds more than {MAX_TEST_FILE_BYTES:,} bytes, "
        "the most a test file may hold"
    )


def _read_at_most(fd: int, limit: int) -> bytes:
    """Up to ``limit`` bytes from ``fd``, to its end."""
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _copy_out(files: dict[Path, bytes], folder: Path, target: Path) -> None:
    """Write the files of ``folder`` as they were read into an emptied
    ``target``, read-only (files 444, the folder 555)."""
    if target.exists():
        remove(target)
    target.mkdir()
    for path, data in files.items():
        if path.parent == folder:
            (target / path.name).write_bytes(data)
            os.chmod(target / path.name, 0o444)
    os.chmod(target, 0o555)


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is (or links to) a regular file holding ``data``; it is
    read only then, and no further than ``data``'s length."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return False
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            return _read_at_most(fd, len(data) + 1) == data
        finally:
            os.close(fd)
    except OSError:
        return False


def _restore(files: dict[Path, bytes]) -> None:
    """Put the tests back as they were read, in case a submission rewrote them.
    As far as it can: the grade never depended on these files, so what cannot
    be put back (a folder planted in a test file's place) is left as it is."""
    for path, data in files.items():
        if _holds(path, data):
            continue
        try:
            path.unlink(missing_ok=True)
            path.write_bytes(data)
        except OSError:
            pass


def _read_log(log: Path, key: str) -> list[dict]:
    """The log's records, signed with ``key`` and in sequence; an unfinished
    last line (the test process was killed while writing it) is left out.

    Raises
    ------
    GradingError
        If a finished line is not the test process's own (not signed with
        ``key``, or out of sequence): something else wrote to the log, and
        grading stops rather than trust any of it.
    """
    try:
        data = log.read_bytes() if log.exists() else b""
    except OSError as error:
        raise GradingError(f"cannot read the grading log: {error.strerror}") from None
    records = []
    for number, line in enumerate(data.split(b"\n")[:-1], start=1):
        text, _, signature = line.decode(errors="replace").rpartition(" ")
        expected = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
        record = None
        if hmac.compare_digest(signature, expected):
            record = json.loads(text)
        if record is None or record.get("seq") != len(records):
            raise GradingError(
                f"the grading log was changed while the tests ran (its line "
                f"{number} is not the test process's): grading stops rather "
                "than trust it"
            )
        records.append(record)
    return records


def _collect(
    records: list[dict],
    tests: dict[str, TestResult],
    collect_errors: list[tuple[str, str]],
) -> None:
    for record in records:
        if record["kind"] == "error":  # e.g. a test worth -3 points
            raise GradingError(record["message"])
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


def _readable_hidden(
    originals: dict[Path, bytes], hidden: Path, who: WorkerUser
) -> str | None:
    """A one-line warning if the worker's user can read a hidden test file
    where the instructor keeps it, else None."""
    for path in originals:
        if path.parent == hidden and unreachable(path, who) is None:
            return (
                f"warning: the worker's user {who.name} can read the hidden tests "
                f"in {hidden} ({path.name}): make them readable by the grader only "
                f"(chmod -R go-rwx {hidden})"
            )
    return None


def _guard_feedback(
    tests: dict[str, TestResult],
    collect_errors: list[tuple[str, str]],
    originals: dict[Path, bytes],
    hidden: Path | None,
) -> None:
    """Every test's feedback at most :data:`MAX_FEEDBACK` characters on one
    line, and none that quotes a hidden test's source (a submission that
    read the hidden tests could raise an error saying them): any run of
    :data:`_QUOTE` characters of it, whitespace aside, hides the message."""
    windows: set[str] = set()
    for path, data in originals.items():
        if hidden is not None and path.parent == hidden:
            source = " ".join(data.decode(errors="replace").split())
            windows.update(
                source[i : i + _QUOTE] for i in range(len(source) - _QUOTE + 1)
            )

    def guard(text: str) -> str:
        text = " ".join(text.split())
        if windows and any(
            text[i : i + _QUOTE] in windows for i in range(len(text) - _QUOTE + 1)
        ):
            return "the message quoted a hidden test's source, so it is not shown"
        return _sandbox.shorten(text, MAX_FEEDBACK)

    for test in tests.values():
        test.output = guard(test.output)
    collect_errors[:] = [(path, guard(reason)) for path, reason in collect_errors]


#: The longest feedback a test shows (characters).
MAX_FEEDBACK = 500
#: How many characters of a hidden test's source hide a message quoting them.
_QUOTE = 32


def _results(records: list[dict], tests: dict[str, TestResult]) -> set[str]:
    finished = set()
    for record in records:
        if record["kind"] == "result" and record["nodeid"] in tests:
            test = tests[record["nodeid"]]
            test.score = test.max_score if record["passed"] else 0.0
            test.output = record["output"]
            finished.add(record["nodeid"])
    return finished


def _count_lost(
    records: list[dict],
    originals: dict[Path, bytes],
    copy_of: dict[Path, Path],
    hidden: Path | None,
    tests: dict[str, TestResult],
) -> None:
    """Add to ``tests``, as failed, every test that a test file's source
    declares and that was not collected because collecting (part of) the file
    failed or was skipped: each exercise keeps its maximum, whatever its test
    files do when they are imported.

    Raises
    ------
    GradingError
        If the source of such a file does not show its tests and their points
        (see :func:`_declared`): leaving them out would raise the percentage.
    """
    collected: dict[Path, set[str]] = {}  # per copy: the tests collected from it
    for record in records:
        if record["kind"] == "test":
            inside = record["nodeid"].partition("::")[2].partition("[")[0]
            collected.setdefault(Path(record["file"]).resolve(), set()).add(inside)
    copies = {path: copy.resolve() for path, copy in copy_of.items()}
    conftests = {
        p.parent: data for p, data in originals.items() if p.name == "conftest.py"
    }
    for record in records:
        if record["kind"] != "collect_error" or not record.get("file"):
            continue
        failed = Path(record["file"]).resolve()
        inside = record["path"].partition("::")[2]  # "" for a whole file
        reason = f"could not collect {record['path']}: {record['output']}"
        for path, copy in copies.items():
            if path.name == "conftest.py" or (
                copy != failed and failed not in copy.parents
            ):
                continue
            declared = _declared(path, originals[path], conftests.get(path.parent))
            if declared is None:
                raise GradingError(
                    f"{reason} (and its source does not show its tests and their "
                    "points, so they cannot be counted as lost)"
                )
            seen = collected.get(copy, set())
            for test_id, worth in declared.items():
                if (
                    inside
                    and test_id != inside
                    and not test_id.startswith(f"{inside}::")
                ):
                    continue
                if test_id in seen:
                    continue
                nodeid = f"{path.name}::{test_id}"
                key = nodeid if nodeid not in tests else f"{path}::{test_id}"
                tests[key] = TestResult(
                    nodeid,
                    test_id,
                    exercise_of(path),
                    worth,
                    "after_published" if path.parent == hidden else "visible",
                    output=reason,
                )
                seen.add(test_id)


class _Unknown(Exception):
    """A test file's source does not show its tests, or their points."""


def _declared(
    path: Path, data: bytes, conftest: bytes | None
) -> dict[str, float] | None:
    """The tests the test file ``path`` declares, read from its source
    ``data`` without running it, with the points each is worth in all:
    ``{"test_f": 3.0, "TestC::test_g": 2.0}``, as pytest collects them
    (functions named ``test*``, and their like in classes named ``Test*``;
    a test parametrised over a list of n cases is worth n times its points).

    None when the source does not show them: it does not parse, or it makes
    tests at run time (``pytest_generate_tests``, a fixture with ``params``,
    here or in the conftest; a ``points`` or ``parametrize`` argument that
    is not written out; a test class that inherits; a ``test*`` name bound by
    anything but ``def``).

    Raises
    ------
    GradingError
        If a test is declared worth an invalid number of points.
    """
    try:
        tree = ast.parse(data, filename=path.name)
        trees = [tree] + ([ast.parse(conftest)] if conftest is not None else [])
        for node in (node for t in trees for node in ast.walk(t)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
                node.name == "pytest_generate_tests"
                or any(
                    _mark_name(d) == "fixture" and "params" in _keywords(d)
                    for d in node.decorator_list
                )
            ):
                return None
        tests: dict[str, float] = {}
        _declare(path.name, tree.body, "", [], tests)
        return tests
    except (SyntaxError, ValueError, RecursionError, MemoryError, _Unknown):
        return None


def _declare(
    file: str, body: list[ast.stmt], prefix: str, outer: list[ast.expr], out: dict
) -> None:
    """Add the tests of a module's or a test class's ``body`` to ``out``;
    ``outer`` are the marks around it, closest first."""
    marks = [mark for node in body for mark in _pytestmark(node)] + outer
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.startswith("test"):
                test_id = prefix + node.name
                own = list(reversed(node.decorator_list))
                out[test_id] = _worth(f"{file}::{test_id}", own + marks)
        elif isinstance(node, ast.ClassDef):
            if not node.name.startswith("Test"):
                continue
            if node.bases or node.keywords:
                raise _Unknown
            defined = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
            if defined & {"__init__", "__new__"}:  # pytest does not collect it
                continue
            own = list(reversed(node.decorator_list))
            _declare(file, node.body, f"{prefix}{node.name}::", own + marks, out)
        elif any(name.startswith(("test", "Test")) for name in _bound(node)):
            raise _Unknown  # e.g. test_x = make_test(), or a def under an if


def _bound(node: ast.stmt) -> set[str]:
    """The names a statement binds, in it or in the statements it holds."""
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(child.name)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, ast.alias):
            names.add("test" if child.name == "*" else child.asname or child.name)
    return names


def _pytestmark(node: ast.stmt) -> list[ast.expr]:
    """The marks a ``pytestmark = ...`` statement sets."""
    if not (
        isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(t, ast.Name) and t.id == "pytestmark"
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
    ):
        return []
    value = node.value
    return list(value.elts) if isinstance(value, ast.List | ast.Tuple) else [value]


def _mark_name(node: ast.expr) -> str | None:
    """``points`` for ``points(3)``, ``@pytest.mark.points(3)`` or
    ``@pytest.mark.points``; None for what is not a name or a call of one."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _keywords(node: ast.expr) -> set[str | None]:
    return {k.arg for k in node.keywords} if isinstance(node, ast.Call) else set()


def _worth(where: str, marks: list[ast.expr]) -> float:
    """A test's points in all, from its marks (closest first)."""
    worth, cases = None, 1
    for mark in marks:
        name = _mark_name(mark)
        if name == "points" and worth is None:
            given = [*mark.args, *mark.keywords] if isinstance(mark, ast.Call) else []
            if len(given) != 1 or isinstance(given[0], ast.Starred):
                raise _Unknown
            value = given[0].value if isinstance(given[0], ast.keyword) else given[0]
            try:
                value = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                raise _Unknown from None
            try:
                worth = check_points(value)
            except (TypeError, ValueError) as error:
                raise GradingError(f"{where}: {error}") from None
        elif name == "parametrize":
            values = None
            if isinstance(mark, ast.Call) and len(mark.args) > 1:
                values = mark.args[1]
            elif isinstance(mark, ast.Call):
                kw = [k.value for k in mark.keywords if k.arg == "argvalues"]
                values = kw[0] if kw else None
            if not isinstance(values, ast.List | ast.Tuple) or any(
                isinstance(e, ast.Starred) for e in values.elts
            ):
                raise _Unknown
            cases *= max(len(values.elts), 1)  # no cases: one skipped test
    return (1.0 if worth is None else worth) * cases
