"""The pytest plugin the grader loads into its test process (``-p``).

It is not meant to be loaded by hand. :func:`tabular_mbrl.course.grade` starts
a test process as ``python -c BOOT`` (:data:`._runner.BOOT`), which reads its settings
from a pipe (:func:`boot`: pytest's arguments, the log, the log key, the
timeout, the hidden tests' folder and the worker's setup; none of them is on a
command line, in the environment or in a file another process could read) and
runs pytest with this plugin. It writes a log of JSON lines, written and
flushed as the tests go, so that a child that dies half-way still leaves a
record of every test it finished:

- ``{"kind": "test", ...}`` once per collected test: its points and visibility;
- ``{"kind": "start", "nodeid": ...}`` when a test starts;
- ``{"kind": "result", "nodeid": ..., "passed": ..., "output": ...}`` when it ends;
- ``{"kind": "collect_error", "path": ..., "file": ..., "output": ...}`` for a
  test file (or a part of one) that could not be collected, or was skipped
  whole;
- ``{"kind": "error", "message": ...}`` when grading must not go on: a test
  worth an invalid number of points (no test runs then).

Each record carries a sequence number and, after a space, its HMAC under a key
the grader hands this process through the pipe. The process is made
non-dumpable (so that another process of the same user cannot read its
memory), and submissions run in a worker process of their own
(:mod:`._sandbox`), as another user when the grader runs as root
(:mod:`._isolation`): it cannot reach the log then; were it to write to it,
it could not sign what it writes.

Before any test runs, the test process imports what the tests use
(``numpy.testing``) and starts the first worker: a worker that cannot start
stops grading with one line, before any student code runs.

Each test's call phase runs under a timer (``SIGALRM``, where the platform has
it): a student's endless loop raises :class:`GradingTimeout` in the test and
the next test runs as usual.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import traceback
from pathlib import Path

import pytest

from . import _client, authoring
from ._isolation import Worker
from ._runner import set_dumpable
from ._sandbox import shorten
from .authoring import GradingTimeout, check_points, failure_line
from .report import exercise_of

POINTS_HELP = "points(n): the test is worth n points when the grader runs it"

#: What the grader handed this process (see :func:`boot`); empty otherwise.
_SETTINGS: dict = {}


def boot(fd: int) -> int:
    """Read the settings from the pipe ``fd`` and run pytest with them.

    The settings (JSON): ``args`` (pytest's arguments, this plugin among
    them), ``log``, ``key`` (the log key), ``timeout`` (seconds a test),
    ``hidden`` (the folder of hidden tests' copies, or None), ``only`` (a file
    of node ids to run, or None) and ``worker`` (:class:`._isolation.Worker`).
    Returns pytest's exit status.
    """
    global _SETTINGS
    with os.fdopen(fd, "rb") as pipe:
        _SETTINGS = json.loads(pipe.read())
    return int(pytest.main(_SETTINGS["args"]))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", POINTS_HELP)
    set_dumpable(False)
    # What the tests import, imported now from where the grader's Python has
    # it, before any student code runs.
    import numpy.testing  # noqa: F401

    worker = _SETTINGS.get("worker")
    authoring.isolate(Worker.from_json(worker) if worker else None)
    grading = _Grading(config)
    config.pluginmanager.register(grading, "tabular-mbrl-grading")
    if worker and authoring._isolated:
        try:
            _client._PROCESS.start()
        except _client.WorkerStartError as error:
            grading.write({"kind": "error", "message": str(error)})
            grading.stopped = True


def _points(item: pytest.Item) -> float:
    """The test's worth from its closest ``points`` mark (1 without one), or
    ``TypeError``/``ValueError`` saying why the mark is invalid."""
    marker = item.get_closest_marker("points")
    if marker is None:
        return 1.0
    given = [*marker.args, *marker.kwargs.values()]
    if len(given) != 1 or set(marker.kwargs) - {"n"}:
        raise TypeError(
            f"points takes one number, got args {marker.args!r}, "
            f"kwargs {marker.kwargs!r}"
        )
    return check_points(given[0])


#: The start of a definition, to name the test a bad ``@points(...)`` decorates.
_DEFINITION = re.compile(r"\s*(?:async\s+def|def|class)\s+(\w+)")


def _points_error(path: Path, error: BaseException) -> str | None:
    """``FILE::TEST: why`` when collecting ``path`` failed in
    :func:`.authoring.check_points` (a ``@points(...)`` with a bad value),
    else None."""
    frames = list(traceback.walk_tb(error.__traceback__))
    if not any(frame.f_code is check_points.__code__ for frame, _ in frames):
        return None
    here = path.resolve()
    lines = [n for f, n in frames if Path(f.f_code.co_filename).resolve() == here]
    if not lines:
        return f"{path.name}: {error}"
    source = path.read_text(errors="replace").splitlines()[lines[-1] - 1 :]
    name = None
    if source and source[0].lstrip().startswith("@"):  # the test it decorates
        names = (_DEFINITION.match(line) for line in source)
        name = next((match[1] for match in names if match), None)
    where = f"{path.name}::{name}" if name else f"{path.name}:{lines[-1]}"
    return f"{where}: {error}"


class _Grading:
    """Writes the log and times the tests of one grading run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        path = _SETTINGS.get("log")
        # Line-buffered: each record reaches the disk before the next test runs.
        self.log = open(path, "a", buffering=1) if path else None  # noqa: SIM115
        self.seconds = float(_SETTINGS.get("timeout", 0.0))
        self.failures: dict[str, str] = {}
        #: The collectors whose collection failed or was skipped: the file they
        #: come from, and why grading must stop (a bad ``@points(...)``) if so.
        self.collect_files: dict[int, str] = {}
        self.collect_stops: dict[int, str] = {}
        self.stopped = False  # an "error" record was written
        self.key = str(_SETTINGS.get("key", "")).encode()
        self.sequence = 0

    def write(self, record: dict) -> None:
        if self.log is None:
            return
        record["seq"] = self.sequence
        self.sequence += 1
        if isinstance(record.get("output"), str):  # one line, of bounded length
            record["output"] = shorten(" ".join(record["output"].split()), 1000)
        line = json.dumps(record)
        signature = hmac.new(self.key, line.encode(), hashlib.sha256).hexdigest()
        self.log.write(f"{line} {signature}\n")

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        # The log's last record: the grader trusts a log only if it ends so
        # (or the process was killed in a test).
        self.write({"kind": "end", "status": int(exitstatus)})

    def pytest_unconfigure(self) -> None:
        if self.log is not None:
            self.log.close()

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        only = _SETTINGS.get("only")
        if only:
            wanted = set(Path(only).read_text().splitlines())
            self.config.hook.pytest_deselected(
                items=[item for item in items if item.nodeid not in wanted]
            )
            items[:] = [item for item in items if item.nodeid in wanted]
        worth, invalid = {}, []
        for item in items:
            try:
                worth[item] = _points(item)
            except (TypeError, ValueError) as error:
                invalid.append(f"{item.nodeid}: {error}")
        if invalid:
            more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
            self.write({"kind": "error", "message": invalid[0] + more})
        if invalid or self.stopped:  # no test runs: the grade would mean nothing
            self.config.hook.pytest_deselected(items=list(items))
            items.clear()
            return
        hidden = _SETTINGS.get("hidden")
        hidden_dir = Path(hidden).resolve() if hidden else None
        for item in items:
            is_hidden = hidden_dir is not None and hidden_dir in item.path.parents
            self.write(
                {
                    "kind": "test",
                    "nodeid": item.nodeid,
                    "file": str(item.path),
                    "name": item.name,
                    "exercise": exercise_of(item.path),
                    "points": worth[item],
                    "visibility": "after_published" if is_hidden else "visible",
                }
            )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector):
        outcome = yield
        report = outcome.get_result()
        if not report.passed:
            self.collect_files[id(report)] = str(collector.path)

    def pytest_exception_interact(
        self, node: pytest.Item | pytest.Collector, call: pytest.CallInfo, report
    ) -> None:
        if isinstance(report, pytest.CollectReport) and call.excinfo is not None:
            stop = _points_error(node.path, call.excinfo.value)
            if stop:
                self.collect_stops[id(report)] = stop

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        stop = self.collect_stops.pop(id(report), None)
        file = self.collect_files.pop(id(report), None)
        if stop:
            self.write({"kind": "error", "message": stop})
            self.stopped = True
        elif report.failed:
            lines = str(report.longrepr).strip().splitlines() or ["collection failed"]
            self.write(
                {
                    "kind": "collect_error",
                    "path": report.nodeid,
                    "file": file,
                    # pytest's last line, without its "E   " margin
                    "output": lines[-1].removeprefix("E").strip(),
                }
            )
        elif report.skipped:  # a file skipped whole earns nothing either
            reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
            reason = str(reason).removeprefix("Skipped: ")
            self.write(
                {
                    "kind": "collect_error",
                    "path": report.nodeid,
                    "file": file,
                    "output": f"skipped: {reason}".strip(),
                }
            )

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.write({"kind": "start", "nodeid": nodeid})

    def _on_alarm(self, signum: int, frame: object) -> None:
        raise GradingTimeout(f"timed out after {self.seconds:g} s")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        timed = self.seconds > 0 and hasattr(signal, "setitimer")
        if timed:
            previous = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        try:
            yield
        finally:
            if timed:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if item.nodeid in self.failures:
            return
        if report.skipped:  # a skipped test earns nothing
            reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
            self.failures[item.nodeid] = f"skipped: {reason}".strip()
        elif report.failed:
            if call.excinfo is not None:
                message = failure_line(call.excinfo.value, call.excinfo.traceback)
            else:
                message = f"failed in {report.when}"
            self.failures[item.nodeid] = message

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        message = self.failures.get(nodeid)
        self.write(
            {
                "kind": "result",
                "nodeid": nodeid,
                "passed": message is None,
                "output": message or "",
            }
        )
