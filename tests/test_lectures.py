"""Every lecture's main(Config(<tiny budget>)) runs and returns a figure."""

import dataclasses
import importlib.util
import pathlib

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

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


@pytest.mark.parametrize("name", LECTURE_NAMES)
def test_lecture_runs_at_its_quick_budget(name):
    module = load(name)
    config = module.Config()
    assert dataclasses.is_dataclass(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 1
    assert isinstance(module.QUICK, module.Config) and module.QUICK != config
    figure = module.main(module.QUICK)
    assert isinstance(figure, Figure) and figure.axes
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
