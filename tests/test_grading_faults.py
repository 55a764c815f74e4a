"""Fail closed (issue 29, item 4): a submission that stops the grading
processes, cuts the grading log short, fills the disk or sleeps in every call
gets no grade it did not earn, and the grader never hangs: it ends with a
grade, or with one line and exit status 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from test_grading import (  # noqa: F401 - fixtures
    SUBMISSIONS_AS_ROOT,
    _grade_user,
    drop_box,
    needs_separation,
)
from test_grading_reach import FIND_THE_GRADER, attack_folder, grade_command

from tabular_mbrl.course import _runner
from tabular_mbrl.course.grading import GradingError, grade

# Each test grades in child processes (a second or more): the full tier only.
pytestmark = pytest.mark.slow

STOP_THE_TEST_PROCESS = (
    FIND_THE_GRADER
    + """
import signal


def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "stopped").exists():
        test_process, keeper = ancestors()[:2]
        outcome = [tried(lambda: os.kill(pid, signal.SIGSTOP))
                   for pid in (test_process, keeper)]
        (DROP / "stopped").write_text(" / ".join(outcome))
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""
)


def test_attack_stopping_the_test_process_and_the_keeper(tmp_path, drop, monkeypatch):
    """A stopped test process makes no progress: the grader kills it after the
    timeout and goes on in a new one (as another user, it cannot stop it)."""
    monkeypatch.setattr(_runner, "_GRACE_SECONDS", 1.0)
    folder = attack_folder(tmp_path / "s", STOP_THE_TEST_PROCESS, drop)
    report = grade(folder, timeout=2.0)
    assert report.seconds < 30  # (from its turn: see test_grading_isolation)
    assert report.score == 0.0 and report.max_score == 10.0, report.table()
    stopped = (drop / "stopped").read_text()
    if stopped == "done / done":  # as the grader's user: the grader went on
        outputs = [t.output for t in report.tests]
        assert "timed out after 2 s (the test process was stopped)" in outputs
    else:
        assert stopped == "Operation not permitted / Operation not permitted"


STOP_THE_GRADER = (
    FIND_THE_GRADER
    + """
import signal


def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "stopped").exists():
        grader = [pid for pid in ancestors()
                  if b"grade" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        outcome = [tried(lambda: os.kill(pid, signal.SIGSTOP)) for pid in grader]
        (DROP / "stopped").write_text(" / ".join(outcome))
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""
)


@needs_separation
def test_attack_stopping_the_grader(tmp_path, drop):
    """Before: SIGSTOP to the grader hung grading for ever. As root, the
    submission runs as a user who cannot signal it."""
    folder = attack_folder(tmp_path / "s", STOP_THE_GRADER, drop)
    results = tmp_path / "results.json"
    done = grade_command(folder, "--json", str(results), "--timeout", "5")
    assert done.returncode == 0, done.stderr
    outcome = (drop / "stopped").read_text().split(" / ")
    assert outcome and set(outcome) == {"Operation not permitted"}
    assert json.loads(results.read_text())["score"] == 0.0


CUT_THE_LOG = (
    FIND_THE_GRADER
    + """
def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "cut").exists():
        folder = grading_folder()
        logs = sorted(folder.glob("log*.jsonl")) if folder else []
        outcome = [tried(lambda: os.truncate(log, 0)) for log in logs]
        (DROP / "cut").write_text(" / ".join(outcome) or "no log found")
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""
)


def test_attack_cutting_the_grading_log_short(tmp_path, drop):
    """Before: a truncated log gave a report with a misleading message. Now a
    log that is not the test process's whole record stops grading with one
    line (exit status 2); as another user (or as the grader's, which cannot
    read where a non-dumpable test process works) the log is out of reach."""
    folder = attack_folder(tmp_path / "s", CUT_THE_LOG, drop)
    results = tmp_path / "results.json"
    done = grade_command(folder, "--json", str(results), "--timeout", "5")
    if SUBMISSIONS_AS_ROOT:
        assert (drop / "cut").read_text() == "done"
        assert done.returncode == 2
        assert done.stderr.splitlines()[-1] == (
            "tabular-mbrl: error: the grading log was changed while the tests ran "
            "(its line 1 is not the test process's): grading stops rather than "
            "trust it"
        )
        assert not results.exists()
    else:
        assert (drop / "cut").read_text() == "no log found"
        assert done.returncode == 0, done.stderr
        assert json.loads(results.read_text())["score"] == 0.0


FILL_THE_DISK = """
import os
import tempfile
from pathlib import Path


def epsilon_greedy(q_row, epsilon, rng):
    if not (Path("@DROP@") / "filled").exists():
        written, n = 0, 0
        try:
            while True:  # files of 1 MiB until the disk is full
                with open(os.path.join(tempfile.gettempdir(), f"fill{n}"), "wb") as f:
                    f.write(b"x" * 2**20)
                written, n = written + 2**20, n + 1
        except OSError as error:
            (Path("@DROP@") / "filled").write_text(error.strerror)
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""


@pytest.fixture
def small_disk():
    """A 4 MiB file system of its own (tmpfs; root, Linux), unmounted after."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small file system needs root")
    folder = Path(tempfile.mkdtemp(prefix="tabular-mbrl-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=1777", "tmpfs", str(folder)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)
    folder.rmdir()


def test_attack_filling_the_temporary_disk(tmp_path, drop, small_disk):
    """Before: a full disk gave an uncaught OSError traceback. Now the grader
    stops with one line (exit status 2) and leaves no report."""
    folder = attack_folder(tmp_path / "s", FILL_THE_DISK, drop)
    results = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "tabular_mbrl", "grade", str(folder)]
        + ["--json", str(results), "--timeout", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, TMPDIR=str(small_disk)),
    )
    assert (drop / "filled").read_text() == "No space left on device"
    assert done.returncode == 2, done.stdout
    last = done.stderr.splitlines()[-1]
    assert last.startswith("tabular-mbrl: error: ") and "Traceback" not in done.stderr
    assert "No space left on device" in last or "grading log" in last, last
    assert not results.exists()
    assert not list(small_disk.iterdir())  # and it cleaned up after itself


SLEEP_IN_EVERY_CALL = """
import time


def epsilon_greedy(q_row, epsilon, rng):
    time.sleep(1.0)
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""


def test_attack_sleeping_in_every_call_ends_with_the_budget(tmp_path, drop):
    """Before: a submission that slept in every call, under the per-test
    timeout, held the grader for 424 s. Now the grading of a folder has a
    total budget: the tests not finished when it runs out score nothing, and
    say so."""
    folder = attack_folder(tmp_path / "s", SLEEP_IN_EVERY_CALL, drop)
    report = grade(folder, timeout=5.0, budget=3.0)
    # The budget, and the keeper's grace to stop (counted from the grading's
    # turn, as the budget is: gradings as the same user take turns).
    assert report.seconds < 3.0 + 5.0, report.seconds
    assert report.score == 0.0 and report.max_score == 10.0, report.table()
    outputs = [t.output for t in report.tests]
    out = "not run: the grading budget of 3 s ran out"
    during = "the grading budget of 3 s ran out in this test"
    assert out in outputs and outputs.count(during) <= 1
    assert all(
        o in (out, during) or o.startswith("NotImplementedError: exercise 1")
        for o in outputs
    ), outputs


def test_a_budget_that_runs_out_before_any_test_stops_grading(tmp_path, drop):
    folder = attack_folder(tmp_path / "s", SLEEP_IN_EVERY_CALL, drop)
    with pytest.raises(
        GradingError,
        match=r"^the grading budget of 0.01 s ran out before the tests were "
        r"collected$",
    ):
        grade(folder, timeout=5.0, budget=0.01)
