"""Worker processes (``jobs`` > 1) are never forked from a threaded process:
what they are sent is pickled, their progress comes back, their numbers are
those of one process."""

import os
import pickle
import signal
import subprocess
import sys
import threading
import warnings
from functools import partial

import numpy as np
import pytest

import tabular_mbrl as tm
import tabular_mbrl._processes as processes
import tabular_mbrl.studies.running as running
from tabular_mbrl import studies
from tabular_mbrl.course._isolation import kill_strays
from tabular_mbrl.studies import STUDIES

#: Marked in this process by a test: a forked copy of it would carry the mark.
MARKS = []


def marked() -> bool:
    """In a worker: whether it carries this process's mark."""
    return bool(MARKS)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fail(message: str) -> None:
    raise ValueError(message)


@pytest.fixture
def a_thread():
    """A thread running in this process, as in a notebook's kernel or a GUI."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    yield thread
    stop.set()
    thread.join()


def test_workers_are_fresh_processes_not_copies_of_this_one(a_thread):
    assert threading.active_count() >= 2  # as in a notebook's kernel
    MARKS.append("this process")
    try:
        seen = studies.in_parallel([marked, marked], jobs=2)
    finally:
        MARKS.clear()
    assert seen == [False, False]


def test_a_process_without_threads_forks_its_workers_on_linux():
    if sys.platform != "linux" or threading.active_count() > 1:
        pytest.skip("forks only on Linux, from a process with no other thread")
    MARKS.append("this process")
    try:
        seen = studies.in_parallel([marked, marked], jobs=2)
    finally:
        MARKS.clear()
    assert seen == [True, True]  # copies of this process: started at once


def test_workers_still_start_after_the_grader_killed_this_processs_strays():
    # The grader, run as this user, kills and reaps every process this one
    # left behind (a fork server would be one; multiprocessing could then
    # start no other). Spawned workers leave none behind.
    assert studies.in_parallel([marked, marked], jobs=2) == [False, False]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # multiprocessing relaunches its tracker
        kill_strays(os.getuid(), seconds=5.0)
        assert studies.in_parallel([marked, marked], jobs=2) == [False, False]


def test_a_study_on_two_jobs_warns_of_no_fork_and_gives_one_jobs_numbers(a_thread):
    # On Python 3.12+, forking this (threaded) process warns that the child
    # may deadlock: a DeprecationWarning, recorded here (as an error it would
    # not be raised: os.fork reports it as unraisable).
    calls = {1: [], 2: []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        one, two = (
            studies.dyna_maze(
                n_runs=2,
                n_episodes=4,
                jobs=jobs,
                progress=lambda *call, jobs=jobs: calls[jobs].append(call),
            )
            for jobs in (1, 2)
        )
    deprecated = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert [str(warning.message) for warning in deprecated] == []
    for a, b in zip(one.series, two.series, strict=True):
        assert a.name == b.name and np.array_equal(a.values, b.values)
    # The progress of the workers came back to this process's callable (a
    # lambda, which could not have been pickled), setting by setting.
    finished = {jobs: sorted(c for c in calls[jobs] if c[1] == c[2]) for jobs in calls}
    assert finished[1] == finished[2] == [("n=0", 2, 2), ("n=5", 2, 2), ("n=50", 2, 2)]


def test_a_task_that_cannot_be_pickled_is_refused_before_any_process_starts():
    with pytest.raises(
        TypeError, match=r"task 1 cannot be sent to a worker process \(.*<lambda>"
    ):
        studies.in_parallel([partial(max, 1, 2), lambda: 3], jobs=2)


def test_a_tasks_error_is_raised_here_with_the_workers_traceback():
    with pytest.raises(ValueError, match="no such maze") as error:
        studies.in_parallel([partial(max, 1, 2), partial(fail, "no such maze")], 2)
    assert isinstance(error.value.__cause__, processes.WorkerTraceback)
    assert "in fail" in str(error.value.__cause__)


def test_a_worker_that_dies_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="worker process stopped before it finish"):
        studies.in_parallel([die, partial(max, 1, 2)], jobs=2)


def test_a_script_without_a_main_guard_stops_with_one_error(tmp_path):
    # Each worker imports the script that started it, which here would start
    # workers again: multiprocessing refuses, and the run stops (no hang).
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import threading\n"
        "from tabular_mbrl import studies\n"
        "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "studies.dyna_maze(n_runs=2, n_episodes=2, jobs=2)\n"
    )  # a thread: the workers are spawned, and import the script
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert 'under if __name__ == "__main__":' in result.stderr.splitlines()[-1]


def test_specs_and_runs_survive_pickling():
    spec = tm.AgentSpec(tm.DynaQAgent, n_planning_steps=5, model=tm.EmpiricalModel)
    labelled = spec.replace(label="Dyna-Q, counted")
    for original in (spec, labelled):
        copy = pickle.loads(pickle.dumps(original))
        assert copy == original and repr(copy) == repr(original)
    run = studies.Run(n_runs=3, seed=7, jobs=2, progress=print)
    copy = pickle.loads(pickle.dumps(run))  # outside a pool: as it was
    assert copy == run and copy.progress is print


class Sent(Exception):
    """What the stand-in pool raises once it has pickled what it was sent."""


@pytest.mark.parametrize("name", [n for n, e in STUDIES.items() if e.parallel])
def test_what_every_parallel_study_sends_its_workers_can_be_pickled(name, monkeypatch):
    sent = []

    def pool(tasks, jobs):
        payloads, relays = processes._pickled(tasks)
        sent.append([pickle.loads(payload) for payload in payloads])
        assert list(relays.values()) == [progress]  # the run's, relayed
        raise Sent

    def progress(setting, done, total):
        pass

    monkeypatch.setattr(running, "in_processes", pool)
    with pytest.raises(Sent):
        STUDIES[name].function(quick=True, n_runs=2, jobs=2, progress=progress)
    assert len(sent[0]) >= 2


@pytest.mark.parametrize(
    "program, preset, numpy_first, threads",
    [
        ("-m", None, False, "1"),  # python -m tabular_mbrl
        ("/venv/bin/tabular-mbrl", None, False, "1"),  # the console script
        ("-m", "3", False, "3"),  # the user chose
        ("lecture.py", None, False, None),  # a script importing the package
        ("-m", None, True, None),  # NumPy already loaded: too late, left alone
    ],
)
def test_the_command_line_gets_one_blas_thread(program, preset, numpy_first, threads):
    code = (
        "import sys, os\n"
        f"sys.argv[0] = {program!r}\n"
        + ("import numpy\n" if numpy_first else "")
        + "import tabular_mbrl\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(threads)
