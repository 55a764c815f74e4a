"""Attacks on the grader, each written as the attack itself: a submission that
starts from the skeletons (where the honest score is 0, or a pinned small one)
and tries to raise its score, kill the grader, or outlive it. See the threat
model in the README's instructor section."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from test_grading import MAX_SCORE, SOLUTIONS, make_folder

from tabular_mbrl.course.grading import grade


def skeleton(tmp: Path, exercise: str, attack: str) -> Path:
    """The handout of one exercise (its test file, its skeleton replaced by the
    attack, conftest): where the honest score is 0 of 10. (An attack whose
    verdict needs the other exercises graded uses the whole handout.)"""
    folder = make_folder(tmp, skeletons=True)
    for path in folder.glob("*ex[0-9][0-9]_*.py"):
        if exercise not in path.name:
            path.unlink()
    (folder / f"{exercise}.py").write_text(attack)
    return folder


# -- attacks on the grader, each written as the attack itself ----------------------
REWRITE_THEN_CRASH = '''
"""Attack: rewrite every test file so that it passes, then crash the test
process, hoping the grader's next process collects the rewritten files."""
import os
import re
from pathlib import Path

HERE = Path(__file__).parent


def epsilon_greedy(q_row, epsilon, rng):
    marker = HERE / "attacked"
    if not marker.exists():
        marker.write_text("done")
        for test in HERE.glob("test_*.py"):
            names = re.findall(r"^def (test_\\w+)", test.read_text(), re.M)
            test.write_text("".join(f"def {n}():\\n    pass\\n" for n in names))
        os._exit(1)
    raise NotImplementedError("exercise 1")
'''

LINGERING_PROCESS = '''
"""Attack: start a process that outlives the grading run (it could rewrite
results.json once the grader has written it)."""
import subprocess
import sys
import time
from pathlib import Path


def epsilon_greedy(q_row, epsilon, rng):
    pid_file = Path(__file__).parent / "lingering.pid"
    if not pid_file.exists():
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        pid_file.write_text(str(child.pid))
    raise NotImplementedError("exercise 1")
'''


def test_attack_rewriting_the_tests_then_crashing_gains_nothing(tmp_path):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", REWRITE_THEN_CRASH)
    report = grade(folder, timeout=5.0)
    assert (folder / "attacked").exists()  # the attack did run
    assert report.score == 0.0, report.table()
    assert "def test_" in (folder / "test_ex01_epsilon_greedy.py").read_text()


def test_attack_a_process_left_behind_is_killed_before_the_report(tmp_path):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", LINGERING_PROCESS)
    grade(folder, timeout=5.0)
    if not Path("/proc").is_dir():
        pytest.skip("no /proc to look at processes")
    _wait_until_dead(int((folder / "lingering.pid").read_text()))


def test_installed_pytest_plugins_are_not_loaded_when_grading(tmp_path):
    (tmp_path / "test_env.py").write_text(
        "import os\n\n\ndef test_autoload_off():\n"
        "    assert os.environ['PYTEST_DISABLE_PLUGIN_AUTOLOAD'] == '1'\n"
    )
    report = grade(tmp_path, timeout=5.0)
    assert report.score == report.max_score == 1.0


KILL_THE_GRADER = '''
"""Attack: kill the parent of the test process, hoping it is the grader."""
import os
import signal
from pathlib import Path


def epsilon_greedy(q_row, epsilon, rng):
    marker = Path(__file__).parent / "killed"
    if not marker.exists():  # once is enough to take a grader down
        marker.write_text("done")
        os.kill(os.getppid(), signal.SIGKILL)
    raise NotImplementedError("exercise 1")
'''


def test_attack_killing_the_parent_process_does_not_kill_the_grader(tmp_path):
    folder = make_folder(tmp_path / "s", SOLUTIONS / "reference")
    (folder / "ex01_epsilon_greedy.py").write_text(KILL_THE_GRADER)
    report = grade(folder, timeout=5.0)
    assert (folder / "killed").exists()  # the attack did run
    ex01 = [t for t in report.tests if t.exercise == "ex01_epsilon_greedy"]
    assert all(not t.passed for t in ex01)
    assert report.score == MAX_SCORE - 10  # the other exercises are graded
    report.write_json(tmp_path / "results.json")  # and a report is written


LIBRARY_SOLUTION = '''
"""Attack: hand in the installed library's own solution."""
from tabular_mbrl import value_iteration as library

def value_iteration(next_states, probs, rewards, terminated, gamma, tol=1e-10):
    from gridworlds import TabularModel
    return library(TabularModel(next_states, probs, rewards, terminated), gamma=gamma)
'''


def test_attack_handing_in_the_librarys_solution_scores_nothing(tmp_path):
    folder = skeleton(tmp_path / "s", "ex08_value_iteration", LIBRARY_SOLUTION)
    report = grade(folder, timeout=5.0)
    score, _, note = report.by_exercise()["ex08_value_iteration"]
    assert score == 0.0
    assert note == (
        "ex08_value_iteration.py failed to import: ImportError: tabular_mbrl is not "
        "available to a submission: write the exercise yourself (numpy and "
        "gridworlds are available) (line 3)"
    )


# -- attacks on the grader's verdict, each written as the attack itself ------------
PATCH_THE_PLUGIN = '''
"""Attack: find the grading plugin's state through the garbage collector and
make its record of failures ignore every write."""
import gc
from pathlib import Path


class Forgetful(dict):
    def __setitem__(self, key, value):
        pass


def epsilon_greedy(q_row, epsilon, rng):
    found = [o for o in gc.get_objects() if type(o).__name__ == "_Grading"]
    for plugin in found:
        plugin.failures = Forgetful()
    (Path(__file__).parent / "patched").write_text(str(len(found)))
    raise NotImplementedError("exercise 1")
'''


def test_attack_patching_the_plugin_in_memory_gains_nothing(tmp_path):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", PATCH_THE_PLUGIN)
    report = grade(folder, timeout=5.0)
    # The attack ran, in a process where no grading state exists to patch.
    assert (folder / "patched").read_text() == "0"
    assert report.score == 0.0, report.table()


FORGE_THE_LOG = '''
"""Attack: find the grading log on the test process's command line, append a
"passed" record for every test, then kill the test process before it can
write anything true."""
import json
import os
import signal
from pathlib import Path


def epsilon_greedy(q_row, epsilon, rng):
    marker = Path(__file__).parent / "forged"
    if not marker.exists():
        argv = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\\0")
        log = Path(argv[argv.index(b"--grade-log") + 1].decode())
        lines = log.read_text().splitlines()
        records = [json.loads(line.rpartition(" ")[0]) for line in lines]
        sequence = len(records)
        with log.open("a") as out:
            for record in records:
                if record["kind"] == "test":
                    forged = {"kind": "result", "nodeid": record["nodeid"],
                              "passed": True, "output": "", "seq": sequence}
                    out.write(json.dumps(forged) + " " + "0" * 64 + "\\n")
                    sequence += 1
            out.write(lines[-1] + "\\n")  # and replay a genuine signed line
        marker.write_text(str(sequence - len(records)))
        os.kill(os.getppid(), signal.SIGKILL)
    raise NotImplementedError("exercise 1")
'''


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_attack_forging_the_grading_log_gains_nothing(tmp_path):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", FORGE_THE_LOG)
    report = grade(folder, timeout=5.0)
    assert int((folder / "forged").read_text()) == 6  # a record for every test
    assert report.score == 0.0, report.table()


PATCH_THE_ASSERTIONS = '''
"""Attack: make pytest.approx equal everything and assert_allclose pass, and
copy the tests' expected values out of their frames."""
import sys
from pathlib import Path

import numpy as np


class Anything:
    def __eq__(self, other):
        return True


def dyna_q_planning(q, model, n, *, alpha, gamma, rng):
    try:
        import pytest

        pytest.approx = lambda *args, **kwargs: Anything()
    except ImportError:
        pass
    np.testing.assert_allclose = lambda *args, **kwargs: None
    frame, copied = sys._getframe(1), 0
    while frame is not None:
        expected = frame.f_locals.get("expected")
        if isinstance(expected, np.ndarray) and expected.shape == q.shape:
            q[...] = expected
            copied += 1
        frame = frame.f_back
    (Path(__file__).parent / "copied").write_text(str(copied))
    return n
'''


def test_attack_patching_assertions_and_reading_frames_gains_nothing(tmp_path):
    folder = skeleton(tmp_path / "s", "ex04_dyna_q_planning", PATCH_THE_ASSERTIONS)
    report = grade(folder, timeout=5.0)
    assert (folder / "copied").read_text() == "0"
    # What doing nothing and returning n earns honestly: the zero-steps test.
    assert report.by_exercise()["ex04_dyna_q_planning"][0] == 1.0, report.table()
    assert report.score == 1.0


EQUALS_EVERYTHING = '''
"""Attack: return objects that compare equal to anything and pass through
NumPy as themselves."""


class Anything:
    shape = property(lambda self: self)
    dtype = property(lambda self: self)

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        raise TypeError("not an array")

    def __getattr__(self, name):
        return self


def value_iteration(next_states, probs, rewards, terminated, gamma, tol=1e-10):
    return Anything(), Anything()
'''


def test_attack_an_answer_that_equals_everything_gains_nothing(tmp_path):
    folder = skeleton(tmp_path / "s", "ex08_value_iteration", EQUALS_EVERYTHING)
    report = grade(folder, timeout=5.0)
    assert report.score == 0.0, report.table()


ESCAPE_THE_SESSION = '''
"""Attack: start a process in a session of its own, out of reach of a kill
of the grading session, to rewrite results.json later."""
import subprocess
import sys
from pathlib import Path


def epsilon_greedy(q_row, epsilon, rng):
    pid_file = Path(__file__).parent / "escaped.pid"
    if not pid_file.exists():
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)"],
            start_new_session=True,
        )
        pid_file.write_text(str(child.pid))
    raise NotImplementedError("exercise 1")
'''


def _wait_until_dead(pid: int) -> None:
    status = Path(f"/proc/{pid}/status")
    for _ in range(100):  # killed at once; reaping it may take a moment
        if not status.exists() or "\tZ" in status.read_text().split("State:")[1][:4]:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} started by the submission is alive")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux subreaper")
def test_attack_a_process_that_leaves_the_session_is_killed_too(tmp_path):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", ESCAPE_THE_SESSION)
    grade(folder, timeout=5.0)
    _wait_until_dead(int((folder / "escaped.pid").read_text()))


LIBRARY_BY_IMPORTLIB = '''
"""Attack: reach the installed library through sys.modules or importlib,
which do not go through the import statement."""
import importlib
import sys


def value_iteration(next_states, probs, rewards, terminated, gamma, tol=1e-10):
    from gridworlds import TabularModel

    library = sys.modules.get("tabular_mbrl.dynamic_programming")
    if library is None:
        library = importlib.import_module("tabular_mbrl.dynamic_programming")
    model = TabularModel(next_states, probs, rewards, terminated)
    return library.value_iteration(model, gamma=gamma)
'''


def test_attack_reaching_the_library_through_importlib_scores_nothing(tmp_path):
    folder = skeleton(tmp_path / "s", "ex08_value_iteration", LIBRARY_BY_IMPORTLIB)
    report = grade(folder, timeout=5.0)
    score, _, note = report.by_exercise()["ex08_value_iteration"]
    assert score == 0.0
    assert note == (
        "ImportError: tabular_mbrl is not available to a submission: write the "
        "exercise yourself (numpy and gridworlds are available)"
    )
    outputs = [t.output for t in report.tests if t.exercise == "ex08_value_iteration"]
    assert all("(ex08_value_iteration.py:13, in test_" in out for out in outputs)


PLANT_FILES = '''
"""Attack: plant a module that shadows one the test process imports, and a
test file of its own, then crash the test process so that a new one starts
and, it hopes, picks them up."""
import os
import signal
from pathlib import Path

HERE = Path(__file__).parent
RAN = "(HERE / 'ran').write_text('{}')\\n"


def epsilon_greedy(q_row, epsilon, rng):
    if not (HERE / "planted").exists():
        (HERE / "planted").write_text("done")
        (HERE / "hmac.py").write_text(
            "from pathlib import Path\\nHERE = Path(__file__).parent\\n"
            + RAN.format("shadow module")
        )
        (HERE / "test_zz_planted.py").write_text(
            "import pytest\\nfrom pathlib import Path\\nHERE = Path(__file__).parent\\n"
            + RAN.format("planted test")
            + "\\n@pytest.mark.points(100)\\ndef test_free():\\n    pass\\n"
        )
        os.kill(os.getppid(), signal.SIGKILL)
    raise NotImplementedError("exercise 1")
'''


def test_attack_planting_modules_and_tests_gains_nothing(tmp_path):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", PLANT_FILES)
    report = grade(folder, timeout=5.0)
    assert (folder / "planted").exists() and (folder / "hmac.py").exists()
    assert not (folder / "ran").exists()  # neither file ever ran
    assert report.score == 0.0 and report.max_score == 10.0, report.table()


SWAP_THE_TEST_FILES = '''
"""Attack: put a folder in the test file's place and an 8 GiB (sparse) file in
the conftest's, hoping the grader's clean-up, which puts the tests back after
the run, crashes on the one or runs out of memory on the other."""
import os
from pathlib import Path

HERE = Path(__file__).parent


def epsilon_greedy(q_row, epsilon, rng):
    test = HERE / "test_ex01_epsilon_greedy.py"
    if not test.is_dir():
        test.unlink()
        test.mkdir()
        (test / "inside").write_text("planted")
        with (HERE / "conftest.py").open("wb") as conftest:
            conftest.truncate(8 * 2**30)
    raise NotImplementedError("exercise 1")
'''


def test_attack_swapping_the_test_files_for_a_folder_and_a_huge_file(tmp_path):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", SWAP_THE_TEST_FILES)
    conftest = (folder / "conftest.py").read_bytes()
    report = grade(folder, timeout=5.0)  # before: IsADirectoryError after the run
    assert report.score == 0.0 and report.max_score == 10.0, report.table()
    assert (folder / "test_ex01_epsilon_greedy.py" / "inside").exists()  # left
    assert (folder / "conftest.py").read_bytes() == conftest  # put back


STUCK_AT_IMPORT = '''
"""A submission that spins for ever when imported, and says where it runs."""
import os
from pathlib import Path

Path(__file__).with_name("stuck.pid").write_text(str(os.getpid()))
while True:
    pass
'''


@pytest.mark.timeout(90)
def test_sigterm_to_the_grader_leaves_no_test_process_running(tmp_path):
    """``timeout 10 tabular-mbrl grade ...`` on a submission stuck in a loop:
    the grader's SIGTERM ends the keeper and the test process with it."""
    import signal
    import subprocess

    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", STUCK_AT_IMPORT)
    grader = subprocess.Popen(
        [sys.executable, "-m", "tabular_mbrl", "grade", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pid_file = folder / "stuck.pid"
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.exists(), "the submission never started"
    grader.send_signal(signal.SIGTERM)
    assert grader.wait(timeout=30) == 128 + signal.SIGTERM
    if not Path("/proc").is_dir():
        pytest.skip("no /proc to look at processes")
    _wait_until_dead(int(pid_file.read_text()))
