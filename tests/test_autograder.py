"""``tabular-mbrl autograder OUT.zip``: a Gradescope autograder, tried in a
folder laid out as Gradescope lays it out."""

import json
import os
import pwd
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tabular_mbrl.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "grading" / "reference"


def gradescope(tmp_path, archive, submission_files):
    """Unpack ``archive`` as /autograder/source, put the files in
    /autograder/submission, run run_autograder; return results.json."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(root / "source")
    for path, name in submission_files:
        shutil.copyfile(path, root / "submission" / name)
    environment = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        # The package's Python here may be closed to other users (a venv under
        # /root); Gradescope's image installs it where they can read it.
        "TABULAR_MBRL_GRADE_USER": pwd.getpwuid(os.getuid()).pw_name,
    }
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=environment, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zip")
    wheel = folder / "tabular_mbrl-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"a stand-in: this test does not install it")
    hidden = ROOT / "tests" / "grading" / "hidden"
    out = folder / "autograder.zip"
    argv = ["autograder", str(out), "--hidden", str(hidden), "--wheel", str(wheel)]
    assert main(argv) == 0
    return out


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="needs the repository's solutions")
def test_the_zip_holds_what_gradescope_runs(archive):
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        setup = zipped.read("setup.sh").decode()
        mode = zipped.getinfo("run_autograder").external_attr >> 16
    assert {"setup.sh", "run_autograder", "tabular_mbrl-0.1.0-py3-none-any.whl"} <= set(
        names
    )
    assert "exercises/test_ex01_epsilon_greedy.py" in names
    assert "hidden/test_ex01_epsilon_greedy.py" in names
    assert not [n for n in names if "reference" in n]  # no solutions
    assert "pip install ./tabular_mbrl-0.1.0-py3-none-any.whl" in setup
    assert mode & 0o111  # executable


@pytest.mark.slow
@pytest.mark.skipif(not REFERENCE.is_dir(), reason="needs the repository's solutions")
def test_run_autograder_gives_full_marks_and_zero(tmp_path, archive):
    solved = [(p, p.name) for p in sorted(REFERENCE.glob("ex*.py"))]
    solved[1] = (solved[1][0], "Ex02_Q_Learning_Update (1).py")  # renamed
    full = gradescope(tmp_path / "a", archive, solved)
    maximum = sum(test["max_score"] for test in full["tests"])
    assert full["score"] == maximum > 80  # the hidden tests count too
    assert any(t["visibility"] == "after_published" for t in full["tests"])
    skeletons = [(p, p.name) for p in sorted((ROOT / "lectures" / "exercises").glob(
        "ex*.py"))]  # fmt: skip
    assert gradescope(tmp_path / "b", archive, skeletons)["score"] == 0


def test_bad_autograder_arguments_are_one_line_and_exit_2(tmp_path, capsys):
    out = str(tmp_path / "a.zip")
    assert main(["autograder", out, "--hidden", str(tmp_path / "none")]) == 2
    assert "hidden ==" in capsys.readouterr().err
    assert main(["autograder", out, "--wheel", str(tmp_path / "x.whl")]) == 2
    assert "must be a tabular_mbrl-*.whl file" in capsys.readouterr().err
    assert not (tmp_path / "a.zip").exists()
