"""Files written whole or not at all (issue 30): the helper, the command line's
outputs, the lecture runner's figure and the handout, under bad targets,
failures after the run, Ctrl-C and two writers at once."""

import dataclasses
import errno
import os
import re
import select
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tabular_mbrl.__main__ as cli
from tabular_mbrl.__main__ import main
from tabular_mbrl._files import (
    Staged,
    folder_problem,
    output_problem,
    stage,
    write_atomically,
)
from tabular_mbrl.course.handout import HandoutError, copy_material, material

OLD_CSV = b"series,x,mean\nold,1,2\n"
OLD_PNG = b"\x89PNG\r\n\x1a\nthe old figure"
#: The cheapest experiment, for runs in this process.
FAST = ["run", "model-errors", "--quick", "--runs", "1", "--quiet"]


def listing(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def old_files(folder: Path, name: str = "model-errors") -> tuple[Path, Path]:
    png, csv = folder / f"{name}.png", folder / f"{name}.csv"
    png.write_bytes(OLD_PNG)
    csv.write_bytes(OLD_CSV)
    return png, csv


def assert_old(png: Path, csv: Path) -> None:
    assert png.read_bytes() == OLD_PNG and csv.read_bytes() == OLD_CSV


@pytest.fixture
def umask():
    mask = os.umask(0o022)
    yield 0o022
    os.umask(mask)


# --- the helper -------------------------------------------------------------


def test_write_atomically_writes_whole_with_a_plain_files_mode(tmp_path, umask):
    path = tmp_path / "notes.csv"
    assert write_atomically(path, lambda handle: handle.write("a,b\nc,d\n")) == 8
    assert path.read_bytes() == b"a,b\nc,d\n"  # no newline translation
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    path.chmod(0o640)  # a replaced file keeps its permissions
    write_atomically(path, lambda handle: handle.write(b"\x00\xff"), binary=True)
    assert path.read_bytes() == b"\x00\xff"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert listing(tmp_path) == {"notes.csv"}


@pytest.mark.parametrize(
    "failure", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt]
)
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, failure):
    path = tmp_path / "results.csv"
    path.write_bytes(OLD_CSV)

    def write(handle):
        handle.write("series,x\n" * 1000)  # a well-formed half
        raise failure

    with pytest.raises(type(failure) if isinstance(failure, OSError) else failure):
        write_atomically(path, write)
    assert path.read_bytes() == OLD_CSV
    assert listing(tmp_path) == {"results.csv"}


def test_a_staged_file_replaces_its_target_only_on_commit(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(OLD_CSV)
    staged, result = stage(path, lambda handle: handle.write("new\n"))
    assert isinstance(staged, Staged) and result == 4
    assert path.read_bytes() == OLD_CSV and staged.temporary.parent == tmp_path
    other, _ = stage(path, lambda handle: handle.write("other\n"))
    assert other.temporary != staged.temporary  # two writers never share one
    other.discard()
    staged.commit()
    assert path.read_text() == "new\n" and listing(tmp_path) == {"a.csv"}


def test_a_symlinks_file_is_replaced_and_the_link_kept(tmp_path):
    real = tmp_path / "shared" / "data.csv"
    real.parent.mkdir()
    real.write_bytes(OLD_CSV)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    write_atomically(link, lambda handle: handle.write("new\n"))
    assert link.is_symlink() and real.read_text() == "new\n"
    assert listing(real.parent) == {"data.csv"}


def make_target(tmp_path: Path, kind: str, name: str = "out.csv") -> Path:
    """A path called ``name`` in ``tmp_path``, of the given kind."""
    path = tmp_path / name
    if kind == "folder":
        path.mkdir()
    elif kind == "dangling symlink":
        path.symlink_to(tmp_path / "nowhere.csv")
    elif kind == "symlink loop":
        path.symlink_to(tmp_path / "loop.csv")
        (tmp_path / "loop.csv").symlink_to(path)
    elif kind == "read-only file":
        path.write_bytes(OLD_CSV)
        path.chmod(0o444)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "missing folder":
        path = tmp_path / "missing" / name
    elif kind == "read-only folder":
        tmp_path.chmod(0o555)
    return path


BAD_TARGETS = {
    "folder": "is a folder, not a file",
    "dangling symlink": "is a dangling symlink (to {tmp}/nowhere.csv)",
    "symlink loop": "is a symlink loop",
    "read-only file": "is read-only",
    "fifo": "is not a regular file",
    "missing folder": "is in a folder that cannot be written ({tmp}/missing: missing)",
    "read-only folder": "is in a folder that cannot be written ({tmp}: read-only)",
}


@pytest.mark.parametrize("kind", list(BAD_TARGETS))
def test_output_problem_names_each_bad_target_and_makes_no_file(tmp_path, kind):
    path = make_target(tmp_path, kind)
    before = listing(tmp_path)
    try:
        problem = output_problem(path)
        assert listing(tmp_path) == before
    finally:
        tmp_path.chmod(0o755)
    assert problem == BAD_TARGETS[kind].format(tmp=tmp_path)


def test_output_problem_is_none_for_a_good_path_and_folder_problem_names_files(
    tmp_path,
):
    assert output_problem(tmp_path / "new.csv") is None
    (tmp_path / "old.csv").write_bytes(OLD_CSV)
    assert output_problem(tmp_path / "old.csv") is None
    assert folder_problem(tmp_path / "old.csv") == "not a folder"
    assert listing(tmp_path) == {"old.csv"}


@pytest.mark.parametrize(
    "kind, error",
    [
        ("folder", IsADirectoryError),
        ("read-only file", PermissionError),
        ("fifo", OSError),
    ],
)
def test_stage_refuses_what_it_could_not_replace_whole(tmp_path, kind, error):
    path = make_target(tmp_path, kind)
    before = listing(tmp_path)
    with pytest.raises(error, match=re.escape(str(path))):
        stage(path, lambda handle: handle.write("x"))
    assert listing(tmp_path) == before


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tabular_mbrl._files import write_atomically

    path, me, other, fill = sys.argv[1:]

    def write(handle):
        handle.write(fill * 50_000)  # half, then wait until the other is writing
        handle.flush()
        Path(me).touch()
        deadline = time.monotonic() + 60
        while not Path(other).exists():
            if time.monotonic() > deadline:
                sys.exit("the other writer never started")
            time.sleep(0.01)
        handle.write(fill * 50_000)

    write_atomically(path, write)
    """
)


def test_two_processes_writing_one_path_at_once_leave_one_whole_file(tmp_path):
    # Each writer waits, half-way, until the other has started writing: the
    # two writes overlap every time (a plain open("w") leaves a mix of both).
    path = tmp_path / "out" / "results.csv"
    path.parent.mkdir()
    path.write_text("old\n")
    flags = [tmp_path / "a-started", tmp_path / "b-started"]
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(me), str(other), fill]
        )
        for me, other, fill in [(*flags, "A"), (*flags[::-1], "B")]
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    assert path.read_text() in ("A" * 100_000, "B" * 100_000)
    assert listing(path.parent) == {"results.csv"}


# --- the command line: refused before the run ----------------------------------


@pytest.mark.parametrize(
    "kind", ["folder", "dangling symlink", "symlink loop", "read-only file"]
)
@pytest.mark.parametrize("suffix", [".csv", ".png"])
def test_run_refuses_a_bad_target_before_the_run(tmp_path, capsys, kind, suffix):
    out = tmp_path / "results"
    out.mkdir()
    png, csv = old_files(out)
    target = out / f"model-errors{suffix}"
    target.unlink()
    make_target(out, kind, target.name)
    before = listing(out)
    try:
        assert main([*FAST, "--out", str(out)]) == 2
    finally:
        out.chmod(0o755)
    output, err = capsys.readouterr()
    assert output == ""  # nothing ran: a run prints its table
    problem = BAD_TARGETS[kind].format(tmp=out).replace("out.csv", target.name)
    assert err == f"tabular-mbrl: error: --out {str(out)!r}: {target} {problem}\n"
    assert listing(out) == before
    assert (csv if suffix == ".png" else png).read_bytes() == (
        OLD_CSV if suffix == ".png" else OLD_PNG
    )


def test_run_refuses_a_read_only_out_folder_and_an_empty_out(tmp_path, capsys):
    out = tmp_path / "results"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert main([*FAST, "--out", str(out)]) == 2
    finally:
        out.chmod(0o755)
    assert main([*FAST, "--out", ""]) == 2
    output, err = capsys.readouterr()
    assert output == "" and err.splitlines() == [
        f"tabular-mbrl: error: --out {str(out)!r} is not a writable directory "
        "(read-only)",
        "tabular-mbrl: error: --out '' is empty; give a folder",
    ]
    assert listing(out) == set()


def test_a_users_write_test_file_survives_a_run(tmp_path, capsys):
    mine = tmp_path / ".write-test"
    mine.write_text("my notes\n")
    assert main([*FAST, "--out", str(tmp_path)]) == 0
    assert mine.read_text() == "my notes\n"
    # No probe or temporary is left behind.
    assert listing(tmp_path) == {".write-test", "model-errors.png", "model-errors.csv"}


@pytest.mark.parametrize("command", [["bench", "--quick"], ["grade", "."]])
@pytest.mark.parametrize("kind", ["folder", "dangling symlink", "read-only file"])
def test_json_outputs_are_refused_before_any_work(tmp_path, capsys, command, kind):
    target = make_target(tmp_path, kind)
    assert main([*command, "--json", str(target)]) == 2
    output, err = capsys.readouterr()
    problem = BAD_TARGETS[kind].format(tmp=tmp_path)
    assert output == ""
    assert err == f"tabular-mbrl: error: --json {str(target)!r} {problem}\n"


def test_a_value_the_study_refuses_is_one_line(tmp_path, capsys, monkeypatch):
    def refuse(**kwargs):
        raise ValueError(f"n_runs == {kwargs['n_runs']}, needs 12 GiB; limit 4 GiB")

    entry = dataclasses.replace(cli.STUDIES["model-errors"], function=refuse)
    monkeypatch.setitem(cli.STUDIES, "model-errors", entry)
    assert main([*FAST, "--runs", "9999", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "tabular-mbrl: error: n_runs == 9999, needs 12 GiB; limit 4 GiB\n"
    )
    assert listing(tmp_path) == set()


# --- the command line: failures after the run ---------------------------------


def fail_on(monkeypatch, where: str, failure: BaseException, name: str) -> None:
    """``failure`` the first time the CSV is written (``where="write"``) or is
    renamed over its target (``where="commit"``)."""
    calls = []
    if where == "write":
        original = cli.write_csv_rows

        def write_csv_rows(study, handle):
            calls.append(1)
            if len(calls) == 1:
                handle.write("series,x\n")  # half a file
                raise failure
            return original(study, handle)

        monkeypatch.setattr(cli, "write_csv_rows", write_csv_rows)
    else:
        commit = Staged.commit

        def failing_commit(self):
            if self.path.name == name and not calls:
                calls.append(1)
                raise failure
            commit(self)

        monkeypatch.setattr(Staged, "commit", failing_commit)


@pytest.mark.parametrize(
    "where", ["write", pytest.param("commit", marks=pytest.mark.slow)]
)
def test_an_output_error_after_the_run_keeps_the_results_and_says_where(
    tmp_path, capsys, monkeypatch, where
):
    out = tmp_path / "results"
    out.mkdir()
    png, csv = old_files(out)
    reference = tmp_path / "reference"
    assert main([*FAST, "--out", str(reference)]) == 0
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    full = OSError(errno.ENOSPC, "No space left on device")
    fail_on(monkeypatch, where, full, "model-errors.csv")
    capsys.readouterr()
    assert main([*FAST, "--out", str(out)]) == 2
    output, err = capsys.readouterr()
    assert output.startswith("Multi-step prediction error")  # the table was printed
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith("tabular-mbrl-")]
    written = f"wrote {png}; {csv} is as it was" if where == "commit" else (
        f"nothing written; {png} and .csv are as they were"
    )  # fmt: skip
    assert err == (
        f"tabular-mbrl: error: could not write {csv} (No space left on device); "
        f"the results are kept in {kept} (model-errors.png, model-errors.csv); "
        f"{written}\n"
    )
    assert csv.read_bytes() == OLD_CSV
    assert (png.read_bytes() == OLD_PNG) == (where == "write")
    assert (kept / "model-errors.csv").read_bytes() == (
        reference / "model-errors.csv"
    ).read_bytes()
    assert listing(kept) == listing(out) == {"model-errors.png", "model-errors.csv"}


@pytest.mark.parametrize(
    "where", ["write", pytest.param("commit", marks=pytest.mark.slow)]
)
def test_ctrl_c_while_writing_says_what_was_written(
    tmp_path, capsys, monkeypatch, where
):
    png, csv = old_files(tmp_path)
    fail_on(monkeypatch, where, KeyboardInterrupt(), "model-errors.csv")
    assert main([*FAST, "--out", str(tmp_path)]) == 130
    written = f"wrote {png}; {csv} is as it was" if where == "commit" else (
        f"nothing written; {png} and .csv are as they were"
    )  # fmt: skip
    assert capsys.readouterr().err == f"tabular-mbrl: interrupted: {written}\n"
    assert csv.read_bytes() == OLD_CSV
    assert (png.read_bytes() == OLD_PNG) == (where == "write")
    assert listing(tmp_path) == {"model-errors.png", "model-errors.csv"}


@pytest.mark.slow
def test_sigint_during_a_run_leaves_the_old_files_intact(tmp_path):
    # A run of seconds (10 runs on the loop), interrupted as soon as its first
    # setting has finished: seconds of computing are still ahead of it, on any
    # machine (n = 5 and n = 50 take about 3 s here).
    png, csv = old_files(tmp_path, "dyna-maze")
    child = subprocess.Popen(
        [sys.executable, "-m", "tabular_mbrl", "run", "dyna-maze", "--runs", "10",
         "--engine", "loop", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        ready, _, _ = select.select([child.stderr], [], [], 120)
        assert ready, "no progress line in 120 s"
        first = child.stderr.readline()
        assert re.fullmatch(
            r"dyna-maze: setting 1 of 3 \(n=\d+\): 10/10 runs, [\d.]+ s, "
            r"(about \d+ s|under 1 s) left\n",
            first,
        )
        child.send_signal(signal.SIGINT)
        output, err = child.communicate(timeout=120)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 130
    assert err == (
        f"tabular-mbrl: interrupted: nothing written; {png} and .csv are as they were\n"
    )
    assert "wrote" not in output
    assert_old(png, csv)
    assert listing(tmp_path) == {"dyna-maze.png", "dyna-maze.csv"}


# --- the handout ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["folder", "dangling symlink", "read-only file"])
def test_copying_the_handout_over_a_bad_target_copies_nothing(tmp_path, kind):
    first = material("exercises")[0].name
    target = make_target(tmp_path, kind, first)
    before = listing(tmp_path)
    with pytest.raises(HandoutError, match="file\\(s\\) exist"):
        copy_material("exercises", tmp_path)
    problem = BAD_TARGETS[kind].format(tmp=tmp_path).replace("out.csv", first)
    with pytest.raises(HandoutError) as error:
        copy_material("exercises", tmp_path, force=True)
    assert str(error.value) == f"{str(target)!r} {problem}; nothing copied"
    assert listing(tmp_path) == before


def test_copying_the_handout_with_force_replaces_whole_files(tmp_path):
    files = material("exercises")
    (tmp_path / files[0].name).write_text("my edits\n")
    copied = copy_material("exercises", tmp_path, force=True)
    assert [path.read_bytes() for path in copied] == [
        path.read_bytes() for path in files
    ]
    assert listing(tmp_path) == {path.name for path in files}
