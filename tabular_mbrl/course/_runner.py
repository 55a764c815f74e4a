"""The grading run: pytest in a child process, under a keeper, read back.

Job 3 of the grader (see :mod:`.grading`): :func:`grade` checks its
arguments, runs pytest with the grading plugin (:mod:`._grading_plugin`) on
fresh copies of the tests, under the keeper process (:mod:`._keeper`) and a
timeout, reads back the signed log, starts again past a test that took its
process down, and returns a :class:`.report.GradeReport`. Also the helpers
around it: the log key, :func:`set_dumpable`, putting the tests back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import _keeper
from .authoring import SUBMISSION_ENV
from .report import GradeReport, TestResult

__all__ = ["KEY_ENV", "MAX_TIMEOUT", "GradingError", "grade", "set_dumpable"]

#: Extra seconds, past the per-test timeout, before a stuck test process is killed.
_GRACE_SECONDS = 5.0
#: Seconds a test process may take to start and collect before its first test.
_STARTUP_SECONDS = 120.0

#: The longest per-test timeout, in seconds (a longer one overflows the timer).
MAX_TIMEOUT = 3600.0

#: Environment variable that hands the test process the key it signs its log
#: records with (it removes it from its environment before any test runs).
KEY_ENV = "TABULAR_MBRL_GRADE_KEY"

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
        # it, and is killed with it before anything is reported. The test
        # process runs under the keeper (:mod:`._keeper`), started by its path
        # so that it imports only the standard library.
        process = subprocess.Popen(
            [sys.executable, _keeper.__file__, *command],
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
