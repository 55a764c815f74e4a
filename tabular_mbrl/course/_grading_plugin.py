"""The pytest plugin the grader loads into its test process (``-p``).

It is not meant to be loaded by hand. :func:`tabular_mbrl.course.grade` starts
``pytest -p tabular_mbrl.course._grading_plugin`` in a child process and reads back a
log of JSON lines, written and flushed as the tests go, so that a child that
dies half-way still leaves a record of every test it finished:

- ``{"kind": "test", ...}`` once per collected test: its points and visibility;
- ``{"kind": "start", "nodeid": ...}`` when a test starts;
- ``{"kind": "result", "nodeid": ..., "passed": ..., "output": ...}`` when it ends;
- ``{"kind": "collect_error", "path": ..., "output": ...}`` for a test file that
  could not be collected.

Each record carries a sequence number and, after a space, its HMAC under a key
the grader hands this process in ``TABULAR_MBRL_GRADE_KEY``. The key is taken
out of the environment before any test runs, the process is made
non-dumpable (so that another process of the same user cannot read its
memory or environment), and submissions run in a worker process of their own
(:mod:`._sandbox`): a submission that finds the log can write to it, but
cannot sign what it writes, and the grader drops the log from the first
record that does not verify.

Each test's call phase runs under a timer (``SIGALRM``, where the platform has
it): a student's endless loop raises :class:`GradingTimeout` in the test and
the next test runs as usual.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
from pathlib import Path

import pytest

from . import authoring
from ._runner import KEY_ENV, set_dumpable
from .authoring import GradingTimeout, failure_line
from .report import exercise_of

POINTS_HELP = "points(n): the test is worth n points when the grader runs it"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tabular-mbrl grading")
    group.addoption("--grade-log", help="write the grading log (JSON lines) here")
    group.addoption("--grade-timeout", type=float, default=0.0, help="seconds a test")
    group.addoption("--grade-hidden", help="tests under this folder are hidden")
    group.addoption("--grade-only", help="a file of node ids: run only these")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", POINTS_HELP)
    set_dumpable(False)
    authoring.isolate()
    config.pluginmanager.register(_Grading(config), "tabular-mbrl-grading")


def _points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    if marker is None:
        return 1.0
    value = marker.args[0] if marker.args else marker.kwargs.get("n")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise pytest.UsageError(
            f"{item.nodeid}: points == {value!r}, must be a number > 0"
        )
    return float(value)


class _Grading:
    """Writes the log and times the tests of one grading run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        path = config.getoption("--grade-log")
        # Line-buffered: each record reaches the disk before the next test runs.
        self.log = open(path, "a", buffering=1) if path else None  # noqa: SIM115
        self.seconds = config.getoption("--grade-timeout")
        self.failures: dict[str, str] = {}
        self.key = os.environ.pop(KEY_ENV, "").encode()
        self.sequence = 0

    def write(self, record: dict) -> None:
        if self.log is None:
            return
        record["seq"] = self.sequence
        self.sequence += 1
        line = json.dumps(record)
        signature = hmac.new(self.key, line.encode(), hashlib.sha256).hexdigest()
        self.log.write(f"{line} {signature}\n")

    def pytest_unconfigure(self) -> None:
        if self.log is not None:
            self.log.close()

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        only = self.config.getoption("--grade-only")
        if only:
            wanted = set(Path(only).read_text().splitlines())
            self.config.hook.pytest_deselected(
                items=[item for item in items if item.nodeid not in wanted]
            )
            items[:] = [item for item in items if item.nodeid in wanted]
        hidden = self.config.getoption("--grade-hidden")
        hidden_dir = Path(hidden).resolve() if hidden else None
        for item in items:
            is_hidden = hidden_dir is not None and hidden_dir in item.path.parents
            self.write(
                {
                    "kind": "test",
                    "nodeid": item.nodeid,
                    "name": item.name,
                    "exercise": exercise_of(item.path),
                    "points": _points(item),
                    "visibility": "after_published" if is_hidden else "visible",
                }
            )

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            lines = str(report.longrepr).strip().splitlines() or ["collection failed"]
            self.write(
                {
                    "kind": "collect_error",
                    "path": report.nodeid,
                    # pytest's last line, without its "E   " margin
                    "output": lines[-1].removeprefix("E").strip(),
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
