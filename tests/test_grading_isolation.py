"""The grader's isolation by the operating system (course/_isolation.py): the
worker that runs a submission runs as another, unprivileged user when the
grader runs as root, in a folder of its own, under resource limits, and says
so in one line when it cannot. Each test of what the worker can reach is a
submission that looks for itself and leaves word in a drop box."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from test_grading import (  # noqa: F401 - fixtures
    GRADE_USER,
    _grade_user,
    drop_box,
    make_folder,
    needs_separation,
)

from tabular_mbrl.course import _isolation
from tabular_mbrl.course.grading import GradingError, grade

# A submission of exercise 1 that reports where and as whom it runs, and what
# it can reach, into the drop box; then fails as the skeleton does.
LOOK_AROUND = """
import json
import os
import resource
import signal
import sys
from pathlib import Path

DROP = Path("@DROP@")
FOLDER = Path("@FOLDER@")


def tried(action):
    try:
        action()
    except OSError as error:
        return type(error).__name__
    return "done"


def epsilon_greedy(q_row, epsilon, rng):
    if not (DROP / "seen.json").exists():
        parent = os.getppid()
        site = Path(os.path.realpath(sys.modules["numpy"].__file__)).parents[1]
        seen = {
            "uid": os.getuid(),
            "gid": os.getgid(),
            "groups": os.getgroups(),
            "cwd": os.getcwd(),
            "home": os.environ.get("HOME"),
            "tmpdir": os.environ.get("TMPDIR"),
            "module": __file__,
            "limits": {
                name: resource.getrlimit(getattr(resource, name))[0]
                for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE",
                             "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_CORE")
            },
            "signal the test process": tried(lambda: os.kill(parent, 0)),
            "read its environment": tried(
                lambda: Path(f"/proc/{parent}/environ").read_bytes()
            ),
            "write the folder": tried(lambda: (FOLDER / "planted.py").write_text("")),
            "write its own copy": tried(
                lambda: Path(__file__).with_name("planted.py").write_text("")
            ),
            "write site-packages": tried(
                lambda: (site / "planted.pth").write_text("")
            ),
            "write its home": tried(
                lambda: Path(os.environ["HOME"], "scratch").write_text("ok")
            ),
        }
        (DROP / "seen.json").write_text(json.dumps(seen))
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""


def one_exercise(tmp: Path, exercise: str, source: str, drop: Path) -> Path:
    """The handout of one exercise, its skeleton replaced by ``source`` (with
    its ``@DROP@`` and ``@FOLDER@`` filled in)."""
    folder = make_folder(tmp, skeletons=True)
    for path in folder.glob("*ex[0-9][0-9]_*.py"):
        if exercise not in path.name:
            path.unlink()
    source = source.replace("@DROP@", str(drop)).replace("@FOLDER@", str(folder))
    (folder / f"{exercise}.py").write_text(source)
    return folder


@needs_separation
def test_as_root_the_worker_runs_as_nobody_in_a_folder_of_its_own(tmp_path, drop):
    folder = one_exercise(tmp_path / "s", "ex01_epsilon_greedy", LOOK_AROUND, drop)
    report = grade(folder, timeout=5.0)
    assert report.score == 0.0, report.table()
    seen = json.loads((drop / "seen.json").read_text())
    nobody = _isolation.resolve_user("nobody")
    assert (seen["uid"], seen["gid"], seen["groups"]) == (nobody.uid, nobody.gid, [])
    home = Path(seen["home"])
    assert seen["cwd"] == seen["tmpdir"] == str(home)
    assert home.name == "home" and home.parent.name.startswith("tabular-mbrl-worker-")
    assert not home.parent.exists()  # removed after grading
    assert Path(seen["module"]).parent == home.parent / "submission"
    assert seen["limits"] == {
        "RLIMIT_CPU": _isolation.LIMITS["cpu"] + 300,  # plus the default budget
        "RLIMIT_AS": _isolation.LIMITS["address_space"],
        "RLIMIT_FSIZE": _isolation.LIMITS["file_size"],
        "RLIMIT_NPROC": _isolation.LIMITS["processes"],
        "RLIMIT_NOFILE": _isolation.LIMITS["open_files"],
        "RLIMIT_CORE": 0,
    }
    # It cannot touch the grader's processes, the tests, its own module's
    # copy nor the Python installation; only its own folder.
    assert {key: value for key, value in seen.items() if " " in key} == {
        "signal the test process": "PermissionError",
        "read its environment": "PermissionError",
        "write the folder": "PermissionError",
        "write its own copy": "PermissionError",
        "write site-packages": "PermissionError",
        "write its home": "done",
    }
    assert not (folder / "planted.py").exists()


def test_without_root_the_worker_runs_as_the_grader_and_it_says_so_once(
    tmp_path, drop, capsys
):
    own = _isolation.resolve_user(os.geteuid())
    folder = one_exercise(tmp_path / "s", "ex01_epsilon_greedy", LOOK_AROUND, drop)
    report = grade(folder, timeout=5.0, user=own.name)
    assert report.score == 0.0
    seen = json.loads((drop / "seen.json").read_text())
    assert seen["uid"] == own.uid
    assert seen["limits"]["RLIMIT_NPROC"] == -1 or "RLIMIT_NPROC" in seen["limits"]
    how = (
        "let them run as an unprivileged user (--user, by default nobody)"
        if own.uid == 0
        else "run the grader as root (it then runs them as an unprivileged user)"
    )
    assert capsys.readouterr().err == (
        f"tabular-mbrl: warning: the submissions run as {own.name}, with the "
        f"grader's own rights, so they can tamper with grading; to grade untrusted "
        f"code {how} or use a container per submission\n"
    )


@pytest.mark.parametrize(
    "user, error, message",
    [
        ("no-such-user-x", ValueError, "user == 'no-such-user-x', must name a user"),
        (True, TypeError, "user == True, must be a user name or a uid"),
        (2.5, TypeError, "user == 2.5, must be a user name or a uid"),
    ],
)
def test_a_bad_user_is_refused_in_one_line(tmp_path, user, error, message):
    folder = make_folder(tmp_path / "s", skeletons=True)
    with pytest.raises(error, match=f"^{message}"):
        grade(folder, user=user)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may choose any user")
def test_without_root_another_user_is_refused(tmp_path):
    folder = make_folder(tmp_path / "s", skeletons=True)
    with pytest.raises(
        ValueError, match=r"^user == 'nobody', must be the grader's own user: only "
    ):
        grade(folder, user="nobody")


@pytest.mark.parametrize(
    "budget, error, message",
    [
        (0, ValueError, "budget == 0, must be > 0"),
        ("60", TypeError, "budget == '60', must be a number of seconds"),
        (1e9, ValueError, "budget == 1000000000.0, must be <= 86400 seconds"),
    ],
)
def test_a_bad_budget_is_refused_in_one_line(tmp_path, budget, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        grade(tmp_path, budget=budget)


NOBODY = _isolation.WorkerUser("nobody", 65534, 65534, separate=True)


@pytest.fixture
def open_tmp():
    """A temporary folder in the system's, open to every user (mode 755):
    pytest's own are under a folder closed to other users."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="tabular-mbrl-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_a_folder_closed_to_the_worker_user_is_named(open_tmp):
    tmp_path = open_tmp
    (tmp_path / "closed").mkdir(mode=0o700)
    (tmp_path / "closed" / "python").write_text("")
    why = _isolation.unreachable(tmp_path / "closed" / "python", NOBODY, 5)
    assert why == f"{tmp_path / 'closed'} is closed to it (drwx------ {_owner()})"
    os.chmod(tmp_path / "closed", 0o755)
    os.chmod(tmp_path / "closed" / "python", 0o755)
    assert _isolation.unreachable(tmp_path / "closed" / "python", NOBODY, 5) is None


def _owner() -> str:
    import grp
    import pwd

    return f"{pwd.getpwuid(os.getuid())[0]} {grp.getgrgid(os.getgid())[0]}"


def test_a_python_installation_the_worker_user_could_write_stops_grading(
    open_tmp, monkeypatch
):
    open_folder = open_tmp / "site-packages"
    open_folder.mkdir()
    open_folder.chmod(0o777)  # anyone could plant a .pth file here
    monkeypatch.setattr(sys, "path", [*sys.path, str(open_folder)])
    with pytest.raises(PermissionError) as info:
        _isolation.check_installation(NOBODY)
    assert str(info.value) == (
        "the worker's user nobody could plant modules the test process imports: "
        f"{open_folder} can be written by it (drwxrwxrwx {_owner()}); it must not "
        "write to the Python installation"
    )
    # A sticky folder (as /tmp) above it does not let the user rename it away.
    open_folder.chmod(0o755)
    assert _isolation.writable(open_folder, NOBODY) is None
    open_tmp.chmod(0o777)  # a folder above it that is open (and not sticky) does
    assert _isolation.writable(open_folder, NOBODY) == (
        f"{open_tmp} can be written by it (drwxrwxrwx {_owner()})"
    )
    open_tmp.chmod(0o755)


@needs_separation
def test_as_root_a_python_the_worker_cannot_run_stops_grading_in_one_line(
    tmp_path, open_tmp
):
    folder = make_folder(tmp_path / "s", skeletons=True)
    closed = open_tmp / "closed"
    closed.mkdir(mode=0o700)
    python = closed / "python"
    python.write_bytes(Path(sys.executable).read_bytes())
    python.chmod(0o755)
    with pytest.raises(GradingError) as info:
        grade(folder, python=str(python))
    assert str(info.value) == (
        f"the worker's user nobody cannot use {python}: {closed} is closed to it "
        f"(drwx------ {_owner()}); install Python and the packages where other "
        "users can read them, or choose another user"
    )


def test_the_grading_tests_grade_as_the_grader_would(capsys):
    """Where the tests run as root with a Python other users cannot run, they
    grade as root (and say so); everywhere else as the grader's default."""
    assert GRADE_USER in (None, "root")


# Each call sleeps a little and notes when it ran, tagged with its folder.
TIMED = """
import time
from pathlib import Path


def epsilon_greedy(q_row, epsilon, rng):
    start = time.monotonic()
    time.sleep(0.2)
    note = Path("@DROP@", Path("@FOLDER@").parent.name + f"-{start}")
    note.write_text(f"{start} {time.monotonic()}")
    raise NotImplementedError("exercise 1: write epsilon_greedy")
"""


@needs_separation
def test_two_gradings_as_the_same_user_take_turns(tmp_path, drop):
    """One student's code never runs beside another's as the same user (it
    could kill, trace or write for it): as root, gradings that run
    submissions as nobody at once take turns."""
    from concurrent.futures import ThreadPoolExecutor

    folders = [
        one_exercise(tmp_path / name / "s", "ex01_epsilon_greedy", TIMED, drop)
        for name in ("a", "b")
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda f: grade(f, timeout=5.0), folders))
    assert [r.score for r in reports] == [0.0, 0.0]
    spans = {"a": [], "b": []}
    for note in drop.iterdir():
        start, end = map(float, note.read_text().split())
        spans[note.name.partition("-")[0]].append((start, end))
    assert all(len(calls) >= 6 for calls in spans.values()), spans
    a_first = max(e for _, e in spans["a"]) < min(s for s, _ in spans["b"])
    b_first = max(e for _, e in spans["b"]) < min(s for s, _ in spans["a"])
    assert a_first or b_first, "the two gradings' submissions ran at once"


@needs_separation
def test_a_temporary_folder_closed_to_the_worker_user_stops_grading(
    tmp_path, open_tmp, monkeypatch
):
    import tempfile

    folder = make_folder(tmp_path / "s", skeletons=True)
    closed = open_tmp / "closed"
    closed.mkdir(mode=0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(closed))
    with pytest.raises(GradingError) as info:
        grade(folder)
    assert str(info.value) == (
        f"the worker's user nobody cannot reach its folder in {closed}: {closed} "
        f"is closed to it (drwx------ {_owner()}); set TMPDIR to a folder other "
        "users can search (such as /tmp)"
    )
    assert list(closed.iterdir()) == []  # nothing left behind
