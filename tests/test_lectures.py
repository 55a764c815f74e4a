"""Every lecture's main(Config(<tiny budget>)) runs and returns a figure."""

import dataclasses
import errno
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import matplotlib.pyplot as plt
import pytest
from figure_layout import assert_legible
from matplotlib.figure import Figure

import tabular_mbrl.course.lectures as lectures
from tabular_mbrl.course import run_lecture

LECTURES = pathlib.Path(__file__).parents[1] / "lectures"
LECTURE_NAMES = sorted(p.stem for p in LECTURES.glob("[0-9]*.py"))


def load(name):
    spec = importlib.util.spec_from_file_location(name, LECTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_lectures():
    numbers = [name[:2] for name in LECTURE_NAMES]
    assert numbers[:8] == [f"{i:02d}" for i in range(1, 9)]
    assert len(set(numbers)) == len(numbers)  # one lecture per number
    assert "11_replay_vs_dyna" in LECTURE_NAMES
    assert numbers[8:12] == ["09", "10", "11", "12"]


#: Lectures the fast tier runs at their quick budgets (the others take seconds
#: each: the full tier runs them all).
FAST = ("01_q_learning", "04_prioritized_sweeping", "08_model_errors")


@pytest.mark.parametrize(
    "name",
    [
        n if n in FAST else pytest.param(n, marks=pytest.mark.slow)
        for n in LECTURE_NAMES
    ],
)
def test_lecture_runs_at_its_quick_budget(name):
    module = load(name)
    config = module.Config()
    assert dataclasses.is_dataclass(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 1
    assert isinstance(module.QUICK, module.Config) and module.QUICK != config
    figure = module.main(module.QUICK)
    assert isinstance(figure, Figure) and figure.axes
    assert_legible(figure, name)
    plt.close(figure)


def test_run_lecture_saves_next_to_the_caller(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    def main(config):
        fig, ax = plt.subplots()
        ax.plot([0, config])
        return fig

    path = run_lecture(main, 3, "/somewhere/lectures/09_demo.py", argv=[])
    assert path == pathlib.Path("09_demo.png") and (tmp_path / path).exists()
    assert "saved 09_demo.png" in capsys.readouterr().out


def test_run_lecture_quick_runs_the_quick_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen = []

    def main(config):
        seen.append(config)
        fig, _ = plt.subplots()
        return fig

    run_lecture(main, "full", "demo.py", argv=["--quick"], quick="quick")
    run_lecture(main, "full", "demo.py", argv=[], quick="quick")
    assert seen == ["quick", "full"]


def test_set_changes_config_fields_typed_from_their_annotations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = load("02_dyna_q_planning_steps")
    seen = []

    def main(config):
        seen.append(config)
        fig, _ = plt.subplots()
        return fig

    argv = ["--quick", "--set", "n_runs=4", "--set", "n_planning_steps=0,5"]
    run_lecture(main, module.Config(), "02_demo.py", argv=argv, quick=module.QUICK)
    assert seen[0] == dataclasses.replace(
        module.QUICK, n_runs=4, n_planning_steps=(0, 5)
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--set", "n_runs"], "--set n_runs: must be FIELD=VALUE"),
        (["--set", "runs=3"], "--set runs=3: unknown field 'runs'; fields: n_runs, "),
        (["--set", "n_runs=three"], "--set n_runs=three: not a int"),
        (["--set", "seed=1.5"], "--set seed=1.5: not a int"),
    ],
)
def test_bad_lecture_command_lines_exit_2_with_one_line(argv, message, capsys):
    module = load("02_dyna_q_planning_steps")
    with pytest.raises(SystemExit) as exit_:
        run_lecture(module.main, module.Config(), "02_demo.py", argv=argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_lecture_help_lists_the_fields(capsys):
    module = load("02_dyna_q_planning_steps")
    with pytest.raises(SystemExit) as exit_:
        run_lecture(module.main, module.Config(), "02_demo.py", argv=["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--set FIELD=VALUE" in out and "n_runs = 30" in out


def written_comments(name):
    """Each ``Config`` field's comment, read off the script's lines."""
    text = (LECTURES / f"{name}.py").read_text(encoding="utf-8")
    body = text.split("class Config:\n", 1)[1].split("\n\n", 1)[0]
    return dict(re.findall(r"^    (\w+): [^\n]*?  # ([^\n]*)$", body, re.M))


@pytest.mark.parametrize("name", LECTURE_NAMES)
def test_lecture_help_shows_each_fields_comment(name, capsys):
    module = load(name)
    config = module.Config()
    with pytest.raises(SystemExit):
        run_lecture(module.main, config, module.__file__, argv=["--help"])
    out = capsys.readouterr().out
    comments = written_comments(name)
    fields = [f.name for f in dataclasses.fields(config)]
    assert sorted(comments) == sorted(fields)  # a comment beside every field
    for field in fields:
        shown = f"{field} = {getattr(config, field)!r}"
        line = re.search(rf"^  {re.escape(shown)} +(.*)$", out, re.M)
        assert line, (field, out)
        assert line.group(1) == comments[field]


def test_field_comments_joins_a_field_over_lines_and_skips_the_uncommented():
    @dataclasses.dataclass
    class Settings:
        rate: float = 0.5  # how fast
        sizes: tuple[int, ...] = (  # the sizes,
            1,
            2,  # in cells
        )
        plain: int = 3
        # a comment above is not beside
        seed: int = 0

    assert lectures.field_comments(Settings) == {
        "rate": "how fast",
        "sizes": "the sizes, in cells",
    }
    made = dataclasses.make_dataclass("Made", [("n", int, 1)])  # no source
    assert lectures.field_comments(made) == {}


def test_a_copied_lecture_run_as_a_script_shows_the_comments(tmp_path):
    # As a student runs it: the class lives in __main__, read from the file.
    copy = tmp_path / "05_random_shooting_mpc.py"
    copy.write_text((LECTURES / copy.name).read_text(encoding="utf-8"))
    result = subprocess.run(
        [sys.executable, str(copy), "--help"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(r"^  n_candidates = \d+ +sequences per step$", result.stdout, re.M)
    assert re.search(r"^  seed = 0 +master seed$", result.stdout, re.M)


@pytest.mark.parametrize(
    "lecture, setting",
    [
        ("02_dyna_q_planning_steps", "n_runs=0"),
        ("02_dyna_q_planning_steps", "seed=-1"),
        ("02_dyna_q_planning_steps", "n_episodes=-5"),
        ("08_model_errors", "slip=nan"),
        ("08_model_errors", "slip=2"),
    ],
)
def test_a_set_value_the_study_refuses_exits_2_with_one_line(
    lecture, setting, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    module = load(lecture)
    argv = ["--quick", "--set", setting]
    with pytest.raises(SystemExit) as exit_:
        run_lecture(
            module.main, module.Config(), "demo.py", argv=argv, quick=module.QUICK
        )
    assert exit_.value.code == 2
    field, value = setting.split("=")
    err = capsys.readouterr().err
    # The library's message, naming the field and its value, and the --set.
    with_set = re.escape(f"(with --set {setting})")
    pattern = rf"demo\.py: error: {field} == {value}, must be [^\n]+ {with_set}\n"
    assert re.fullmatch(pattern, err), err
    assert list(tmp_path.iterdir()) == []  # no figure


@pytest.mark.slow
def test_any_error_a_set_value_causes_is_one_line_and_exit_2(
    tmp_path, monkeypatch, capsys
):
    """A value that gets past the library and breaks the lecture's own code
    (here an IndexError): still one line, naming the error and the --set."""
    monkeypatch.chdir(tmp_path)
    module = load("03_changing_mazes")
    argv = ["--quick", "--set", "blocking_steps=500"]
    with pytest.raises(SystemExit) as exit_:
        run_lecture(
            module.main, module.Config(), "demo.py", argv=argv, quick=module.QUICK
        )
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert re.fullmatch(
        r"demo\.py: error: IndexError: [^\n]+ \(with --set blocking_steps=500\)\n",
        err,
    ), err


@pytest.mark.parametrize("setting", ["n_planning_steps=", "n_planning_steps=,"])
def test_an_empty_tuple_is_refused_before_the_run(setting, capsys):
    module = load("02_dyna_q_planning_steps")
    with pytest.raises(SystemExit) as exit_:
        run_lecture(module.main, module.Config(), "02_demo.py", argv=["--set", setting])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f"02_demo.py: error: --set {setting}: needs at least one int "
        "(comma-separated)\n"
    )


def test_an_error_without_set_is_a_bug_and_keeps_its_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def main(config):
        raise ValueError("a bug in the lecture")

    with pytest.raises(ValueError, match="a bug in the lecture"):
        run_lecture(main, 3, "demo.py", argv=["--quick"])


def figure_of(config):
    fig, ax = plt.subplots()
    ax.plot([0, config])
    return fig


def test_a_figure_that_cannot_be_written_is_refused_before_the_run(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo.png").mkdir()

    def main(config):
        raise AssertionError("the lecture ran")

    with pytest.raises(SystemExit) as exit_:
        run_lecture(main, 3, "demo.py", argv=[])
    assert exit_.value.code == 2
    assert (
        capsys.readouterr().err == "demo.py: error: demo.png is a folder, not a file\n"
    )


def test_ctrl_c_in_a_lecture_leaves_the_old_figure(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo.png").write_bytes(b"old figure")

    def main(config):
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exit_:
        run_lecture(main, 3, "demo.py", argv=[])
    assert exit_.value.code == 130
    assert capsys.readouterr().err == (
        "demo.py: interrupted: nothing written; demo.png is as it was\n"
    )
    assert (tmp_path / "demo.png").read_bytes() == b"old figure"
    assert [p.name for p in tmp_path.iterdir()] == ["demo.png"]


def test_a_figure_that_fails_to_write_is_kept_elsewhere(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    (tmp_path / "demo.png").write_bytes(b"old figure")
    write = lectures.write_atomically
    calls = []

    def full_once(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(path, *args, **kwargs)

    monkeypatch.setattr(lectures, "write_atomically", full_once)
    with pytest.raises(SystemExit) as exit_:
        run_lecture(figure_of, 3, "demo.py", argv=[])
    assert exit_.value.code == 2
    kept = calls[1]
    assert capsys.readouterr().err == (
        "demo.py: error: could not write demo.png (No space left on device); the "
        f"figure is kept in {kept}; demo.png is as it was\n"
    )
    assert kept.read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "demo.png").read_bytes() == b"old figure"


@pytest.mark.slow
def test_lecture_6_draws_mpc_wide_under_greedy_and_its_legend_says_so():
    module = load("06_goal_change_and_adaptation")
    figure = module.main(dataclasses.replace(module.QUICK, jobs=1))
    ax = figure.axes[0]
    legend = ax.get_legend()
    widths = {
        text.get_text().replace("\n", " "): handle.get_linewidth()
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
        if hasattr(handle, "get_linewidth")
    }
    drawn = {line.get_label(): line.get_linewidth() for line in ax.get_lines()}
    (mpc,) = [label for label in drawn if label.startswith("MPC (")]
    assert drawn[mpc] == widths[mpc] == 5
    assert all(width < 5 for label, width in drawn.items() if label != mpc)
    assert "shaded: 95 % bootstrap band of the mean" in widths  # kept
    plt.close(figure)


def test_a_quick_preview_says_so_and_keeps_the_lectures_own_figure(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    module = load("08_model_errors")
    (tmp_path / "08_model_errors.png").write_bytes(b"the lecture's own")
    script = str(LECTURES / "08_model_errors.py")
    path = run_lecture(module.main, module.Config(), script, argv=["--quick"],
                       quick=module.QUICK)  # fmt: skip
    assert path == pathlib.Path("08_model_errors-quick.png") and path.exists()
    assert (tmp_path / "08_model_errors.png").read_bytes() == b"the lecture's own"
    first = capsys.readouterr().out.splitlines()[0]
    changed = [
        f"{f.name} = {getattr(module.QUICK, f.name)} "
        f"(not {getattr(module.Config(), f.name)})"
        for f in dataclasses.fields(module.Config)
        if getattr(module.QUICK, f.name) != getattr(module.Config(), f.name)
    ]
    assert changed and first == (
        f"quick preview: {', '.join(changed)}. Its lines below come from a few runs "
        "and can come out otherwise; run without --quick for the lecture's claims."
    )
    assert lectures.PREVIEW_TITLE == (
        "quick preview: a reduced budget, not the lecture's claims"
    )


@pytest.mark.slow
def test_a_lecture_piped_into_head_ends_quietly_and_saves_its_figure(tmp_path):
    script = tmp_path / "08_model_errors.py"
    script.write_bytes((LECTURES / "08_model_errors.py").read_bytes())
    result = subprocess.run(
        f"{sys.executable} {script} --quick | head -1",
        shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each line written at once
    )  # fmt: skip
    assert result.stderr == ""
    assert result.stdout.startswith("quick preview: ")
    assert (tmp_path / "08_model_errors-quick.png").stat().st_size > 1000
