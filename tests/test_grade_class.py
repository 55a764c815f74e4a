"""``tabular-mbrl grade-class``: a class graded in one command."""

import csv
import json
import sys
import zipfile

import pytest

from tabular_mbrl.__main__ import main
from tabular_mbrl.course import classes

# A stand-in for `tabular-mbrl grade FOLDER --json PATH ...`: 10 points for an
# exercise whose file no longer raises NotImplementedError (the skeleton's),
# and a hidden test of 2 points when --hidden is given. The class logic is
# what is tested here; the grader has its own tests.
FAKE_GRADER = r"""
import json, pathlib, sys
args = sys.argv[1:]
folder = pathlib.Path(args[0])
out = args[args.index("--json") + 1]
tests = []
for path in sorted(folder.glob("ex[0-9][0-9]_*.py")):
    done = "NotImplementedError" not in path.read_text()
    tests.append({"name": f"{path.stem}: test_it", "score": 10.0 * done,
                  "max_score": 10.0, "visibility": "visible"})
if "--hidden" in args:
    tests.append({"name": "ex01_epsilon_greedy: test_hidden", "score": 2.0,
                  "max_score": 2.0, "visibility": "after_published"})
pathlib.Path(out).write_text(json.dumps({"tests": tests}))
"""


@pytest.fixture
def fake(tmp_path, monkeypatch):
    script = tmp_path / "fake_grader.py"
    script.write_text(FAKE_GRADER)
    original = classes.grade_student

    def graded(source, **kwargs):
        return original(source, **kwargs, grader=[sys.executable, str(script)])

    monkeypatch.setattr(classes, "grade_student", graded)


def solved(name):
    return f"def f():\n    return 1  # {name}, solved\n"


def test_renamed_files_are_matched_when_unambiguous(tmp_path):
    names = classes.exercises()
    files = [
        tmp_path / "ex01_epsilon_greedy (1).py",
        tmp_path / "Ex02_Q_Learning_Update.py",
        tmp_path / "ex03_my_own_name.py",  # by its number
        tmp_path / "ex04_dyna_q_planning.py",
        tmp_path / "ex04_dyna_q_planning-2.py",  # two for one exercise
        tmp_path / "notes.py",
    ]
    matched, ignored = classes.match_files(files, names)
    assert {name: path.name for name, path in matched.items()} == {
        "ex01_epsilon_greedy": "ex01_epsilon_greedy (1).py",
        "ex02_q_learning_update": "Ex02_Q_Learning_Update.py",
        "ex03_deterministic_model": "ex03_my_own_name.py",
    }
    assert sorted(ignored) == [
        "ex04_dyna_q_planning-2.py, ex04_dyna_q_planning.py: 2 files for "
        "ex04_dyna_q_planning, none graded",
        "notes.py: not an exercise's file",
    ]


def test_a_class_gives_a_gradebook_and_a_summary(tmp_path, fake, capsys):
    submissions = tmp_path / "submissions"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "bob").mkdir()
    for name in classes.exercises():
        (submissions / "alice" / f"{name}.py").write_text(solved(name))
    (submissions / "bob" / "ex01_epsilon_greedy (2).py").write_text(solved("ex01"))
    (submissions / "bob" / "readme.py").write_text("")
    with zipfile.ZipFile(submissions / "carol.zip", "w") as archive:
        archive.writestr("folder/ex08_value_iteration.py", solved("ex08"))
        archive.writestr("../../escape/ex02_q_learning_update.py", solved("ex02"))
    (submissions / "dave.zip").write_bytes(b"not a zip")
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    out = tmp_path / "book.csv"
    argv = ["grade-class", str(submissions), "--out", str(out), "--jobs", "2"]
    assert main([*argv, "--hidden", str(hidden), "--quiet"]) == 0
    rows = list(csv.reader(out.open()))
    assert rows[0][-4:] == ["hidden", "total", "max", "not graded"]
    assert rows[0][8] == "ex08_value_iteration (bonus)"
    by = {row[0]: row for row in rows[1:]}
    assert list(by) == ["alice", "bob", "carol", "dave"]
    # Seven exercises of 10 and 2 hidden points; ex08 is a bonus.
    assert by["alice"][1:9] == ["10"] * 8
    assert by["alice"][-4:] == ["2", "72", "72", ""]
    assert by["bob"][-4:] == ["2", "12", "72", "readme.py: not an exercise's file"]
    # The zip's files, flattened: nothing lands outside the student's folder.
    assert by["carol"][2] == "10" and by["carol"][8] == "10"
    assert by["carol"][-3] == "12"  # ex02 and hidden count; the bonus does not
    assert not (tmp_path / "escape").exists()
    assert by["dave"][-1].startswith("could not read dave.zip")
    out_text = capsys.readouterr().out
    assert out_text.startswith("graded 3 of 4 students\n  not graded: dave")
    assert "ex01_epsilon_greedy: mean 6.7 of 10" in out_text  # 10, 10, 0
    assert "ex03_deterministic_model: mean 3.3 of 10" in out_text
    assert "    2  ex03_deterministic_model: test_it" in out_text


def test_bad_class_arguments_are_one_line_and_exit_2(tmp_path, capsys):
    assert main(["grade-class", str(tmp_path / "none")]) == 2
    assert "submissions ==" in capsys.readouterr().err
    assert main(["grade-class", str(tmp_path)]) == 2  # empty: no student
    assert "holds no student" in capsys.readouterr().err
    argv = ["grade-class", str(tmp_path), "--hidden", str(tmp_path / "x")]
    assert main(argv) == 2
    assert "--hidden" in capsys.readouterr().err


def test_the_worker_user_and_a_bad_gradebook_path(tmp_path, capsys):
    # The grader each student gets is told the user to run submissions as.
    script = tmp_path / "record.py"
    script.write_text(
        "import json, pathlib, sys\n"
        "args = sys.argv[1:]\n"
        "pathlib.Path(args[args.index('--json') + 1]).write_text("
        "json.dumps({'tests': [], 'argv': args}))\n"
        "pathlib.Path(sys.argv[0]).with_name('argv.json').write_text("
        "json.dumps(args))\n"
    )
    (tmp_path / "alice").mkdir()
    classes.grade_student(
        tmp_path / "alice", user="nobody", grader=[sys.executable, str(script)]
    )
    args = json.loads((tmp_path / "argv.json").read_text())
    assert args[args.index("--user") + 1] == "nobody"
    argv = ["grade-class", str(tmp_path), "--out", str(tmp_path / "no" / "b.csv")]
    assert main(argv) == 2
    assert "--out" in capsys.readouterr().err
