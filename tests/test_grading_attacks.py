"""Attacks on the grader, each written as the attack itself: a submission that
starts from the skeletons (where the honest score is 0, or a pinned small one)
and tries to raise its score, kill the grader, or outlive it. See the threat
model in the README's instructor section."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from test_grading import (  # noqa: F401 - fixtures
    MAX_SCORE,
    NO_SEPARATION,
    SOLUTIONS,
    SUBMISSIONS_AS_ROOT,
    _grade_user,
    drop_box,
    make_folder,
)

from tabular_mbrl.course.grading import GradingError, grade

# Each test grades in child processes (a second or more): the full tier only.
pytestmark = pytest.mark.slow


def skeleton(tmp: Path, exercise: str, attack: str, drop: Path | None = None) -> Path:
    """The handout of one exercise (its test file, its skeleton replaced by the
    attack, conftest): where the honest score is 0 of 10. (An attack whose
    verdict needs the other exercises graded uses the whole handout.)

    The attack runs from the grader's read-only copy of the submission, as
    another user when the grader runs as root: it finds the folder it was
    handed in as ``@FOLDER@`` (as it could guess Gradescope's), and leaves
    word of what it did in ``@DROP@``, a folder anyone may write to."""
    folder = make_folder(tmp, skeletons=True)
    for path in folder.glob("*ex[0-9][0-9]_*.py"):
        if exercise not in path.name:
            path.unlink()
    attack = attack.replace("@FOLDER@", str(folder))
    (folder / f"{exercise}.py").write_text(attack.replace("@DROP@", str(drop)))
    return folder


# -- attacks on the grader, each written as the attack itself ----------------------
REWRITE_THEN_CRASH = '''
"""Attack: rewrite every test file so that it passes, then crash the test
process, hoping the grader's next process collects the rewritten files."""
import os
import re
from pathlib import Path

HERE = Path("@FOLDER@")
DROP = Path("@DROP@")


def epsilon_greedy(q_row, epsilon, rng):
    marker = DROP / "attacked"
    if not marker.exists():
        try:
            tests = [HERE / n for n in os.listdir(HERE) if n.startswith("test_")]
            for test in tests:
                names = re.findall(r"^def (test_\\w+)", test.read_text(), re.M)
                test.write_text("".join(f"def {n}():\\n    pass\\n" for n in names))
            marker.write_text("rewrote the tests")
        except OSError as error:  # as another user: the folder is not its own
            marker.write_text(type(error).__name__)
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
    pid_file = Path("@DROP@") / "lingering.pid"
    if not pid_file.exists():
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        pid_file.write_text(str(child.pid))
    raise NotImplementedError("exercise 1")
'''


def test_attack_rewriting_the_tests_then_crashing_gains_nothing(tmp_path, drop):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", REWRITE_THEN_CRASH, drop)
    report = grade(folder, timeout=5.0)
    # The attack ran: as another user it could not even write the tests.
    expected = "rewrote the tests" if NO_SEPARATION else "PermissionError"
    assert (drop / "attacked").read_text() == expected
    assert report.score == 0.0, report.table()
    assert "def test_" in (folder / "test_ex01_epsilon_greedy.py").read_text()


def test_attack_a_process_left_behind_is_killed_before_the_report(tmp_path, drop):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", LINGERING_PROCESS, drop)
    grade(folder, timeout=5.0)
    if not Path("/proc").is_dir():
        pytest.skip("no /proc to look at processes")
    _wait_until_dead(int((drop / "lingering.pid").read_text()))


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
    marker = Path("@DROP@") / "killed"
    if not marker.exists():  # once is enough to take a grader down
        marker.write_text("done")
        os.kill(os.getppid(), signal.SIGKILL)
    raise NotImplementedError("exercise 1")
'''


def test_attack_killing_the_parent_process_does_not_kill_the_grader(tmp_path, drop):
    folder = make_folder(tmp_path / "s", SOLUTIONS / "reference")
    attack = KILL_THE_GRADER.replace("@DROP@", str(drop))
    (folder / "ex01_epsilon_greedy.py").write_text(attack)
    report = grade(folder, timeout=5.0)
    assert (drop / "killed").exists()  # the attack did run
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
    (Path("@DROP@") / "patched").write_text(str(len(found)))
    raise NotImplementedError("exercise 1")
'''


def test_attack_patching_the_plugin_in_memory_gains_nothing(tmp_path, drop):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", PATCH_THE_PLUGIN, drop)
    report = grade(folder, timeout=5.0)
    # The attack ran, in a process where no grading state exists to patch.
    assert (drop / "patched").read_text() == "0"
    assert report.score == 0.0, report.table()


FORGE_THE_LOG = '''
"""Attack: find the grading log (on the test process's command line, or in the
folder the test process works in), append a "passed" record for every test,
then kill the test process before it can write anything true."""
import json
import os
import signal
from pathlib import Path


def find_log():
    argv = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\\0")
    if b"--grade-log" in argv:
        return Path(argv[argv.index(b"--grade-log") + 1].decode())
    try:  # only root reads the working folder of a non-dumpable process
        scratch = Path(os.readlink(f"/proc/{os.getppid()}/cwd")).parent
    except OSError:
        return None
    found = sorted(scratch.glob("log*.jsonl"))
    return found[-1] if found else None


def epsilon_greedy(q_row, epsilon, rng):
    marker = Path("@DROP@") / "forged"
    if not marker.exists():
        log = find_log()
        if log is None:
            marker.write_text("no log found")
            raise NotImplementedError("exercise 1")
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
        marker.write_text(f"forged {sequence - len(records)} records")
        os.kill(os.getppid(), signal.SIGKILL)
    raise NotImplementedError("exercise 1")
'''


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_attack_forging_the_grading_log_gains_nothing(tmp_path, drop):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", FORGE_THE_LOG, drop)
    if SUBMISSIONS_AS_ROOT:  # it finds the log and forges: grading stops
        with pytest.raises(GradingError, match="^the grading log was changed"):
            grade(folder, timeout=5.0)
        assert (drop / "forged").read_text() == "forged 7 records"
    else:  # as another user, or as the grader's, it cannot even find the log
        report = grade(folder, timeout=5.0)
        assert (drop / "forged").read_text() == "no log found"
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
    (Path("@DROP@") / "copied").write_text(str(copied))
    return n
'''


def test_attack_patching_assertions_and_reading_frames_gains_nothing(tmp_path, drop):
    folder = skeleton(
        tmp_path / "s", "ex04_dyna_q_planning", PATCH_THE_ASSERTIONS, drop
    )
    report = grade(folder, timeout=5.0)
    assert (drop / "copied").read_text() == "0"
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
    pid_file = Path("@DROP@") / "escaped.pid"
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
def test_attack_a_process_that_leaves_the_session_is_killed_too(tmp_path, drop):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", ESCAPE_THE_SESSION, drop)
    grade(folder, timeout=5.0)
    _wait_until_dead(int((drop / "escaped.pid").read_text()))


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

HERE = Path("@FOLDER@")
DROP = Path("@DROP@")
RAN = "(Path('@DROP@') / 'ran').write_text('{}')\\n"


def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "planted").exists():
        try:
            (HERE / "hmac.py").write_text(
                "from pathlib import Path\\n" + RAN.format("shadow module")
            )
            (HERE / "test_zz_planted.py").write_text(
                "import pytest\\nfrom pathlib import Path\\n"
                + RAN.format("planted test")
                + "\\n@pytest.mark.points(100)\\ndef test_free():\\n    pass\\n"
            )
            (DROP / "planted").write_text("planted")
        except OSError as error:  # as another user: the folder is not its own
            (DROP / "planted").write_text(type(error).__name__)
        os.kill(os.getppid(), signal.SIGKILL)
    raise NotImplementedError("exercise 1")
'''


def test_attack_planting_modules_and_tests_gains_nothing(tmp_path, drop):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", PLANT_FILES, drop)
    report = grade(folder, timeout=5.0)
    if NO_SEPARATION:
        assert (drop / "planted").read_text() == "planted"
        assert (folder / "hmac.py").exists() and (
            folder / "test_zz_planted.py"
        ).exists()
    else:
        assert (drop / "planted").read_text() == "PermissionError"
    assert not (drop / "ran").exists()  # neither file ever ran
    assert report.score == 0.0 and report.max_score == 10.0, report.table()


SWAP_THE_TEST_FILES = '''
"""Attack: put a folder in the test file's place and an 8 GiB (sparse) file in
the conftest's, hoping the grader's clean-up, which puts the tests back after
the run, crashes on the one or runs out of memory on the other."""
import os
from pathlib import Path

HERE = Path("@FOLDER@")
DROP = Path("@DROP@")


def epsilon_greedy(q_row, epsilon, rng):
    test = HERE / "test_ex01_epsilon_greedy.py"
    if not (DROP / "swapped").exists():
        try:
            test.unlink()
            test.mkdir()
            (test / "inside").write_text("planted")
            with (HERE / "conftest.py").open("wb") as conftest:
                conftest.truncate(8 * 2**30)
            (DROP / "swapped").write_text("swapped")
        except OSError as error:
            (DROP / "swapped").write_text(error.strerror)
    raise NotImplementedError("exercise 1")
'''


def test_attack_swapping_the_test_files_for_a_folder_and_a_huge_file(tmp_path, drop):
    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", SWAP_THE_TEST_FILES, drop)
    conftest = (folder / "conftest.py").read_bytes()
    report = grade(folder, timeout=5.0)  # before: IsADirectoryError after the run
    assert report.score == 0.0 and report.max_score == 10.0, report.table()
    if NO_SEPARATION:
        # The folder went in; the worker's file size limit refused the 8 GiB.
        assert (drop / "swapped").read_text() == "File too large"
        assert (folder / "test_ex01_epsilon_greedy.py" / "inside").exists()  # left
    else:  # as another user: the folder is not its own
        assert (drop / "swapped").read_text() == "Permission denied"
    assert (folder / "conftest.py").read_bytes() == conftest  # put back


STUCK_AT_IMPORT = '''
"""A submission that spins for ever when imported, and says where it runs."""
import os
from pathlib import Path

Path("@DROP@", "stuck.pid").write_text(str(os.getpid()))
while True:
    pass
'''


@pytest.mark.timeout(90)
def test_sigterm_to_the_grader_leaves_no_test_process_running(tmp_path, drop):
    """``timeout 10 tabular-mbrl grade ...`` on a submission stuck in a loop:
    the grader's SIGTERM ends the keeper and the test process with it."""
    import signal
    import subprocess

    folder = skeleton(tmp_path / "s", "ex01_epsilon_greedy", STUCK_AT_IMPORT, drop)
    grader = subprocess.Popen(
        [sys.executable, "-m", "tabular_mbrl", "grade", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pid_file = drop / "stuck.pid"
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.exists(), "the submission never started"
    grader.send_signal(signal.SIGTERM)
    assert grader.wait(timeout=30) == 128 + signal.SIGTERM
    if not Path("/proc").is_dir():
        pytest.skip("no /proc to look at processes")
    _wait_until_dead(int(pid_file.read_text()))
