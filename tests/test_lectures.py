"""Every lecture's main(Config(<tiny budget>)) runs and returns a figure."""

import dataclasses
import importlib.util
import pathlib

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from tabular_mbrl.course import run_lecture

LECTURES = pathlib.Path(__file__).parents[1] / "lectures"
TINY = {
    "01_q_learning": {"n_episodes": 20},
    "02_dyna_q_planning_steps": {"n_runs": 2, "n_episodes": 5},
    "03_changing_mazes": {
        "blocking_runs": 1,
        "blocking_steps": 1100,
        "shortcut_runs": 1,
        "shortcut_steps": 3100,
    },
    "04_prioritized_sweeping": {"scales": (1,), "n_runs": 1},
    "05_random_shooting_mpc": {
        "n_runs": 1,
        "n_episodes": 3,
        "sweep_horizons": (1,),
        "sweep_candidates": (10,),
    },
    "06_goal_change_and_adaptation": {"n_runs": 1, "n_steps": 400, "change_at": 200},
    "07_model_free_vs_model_based": {"n_runs": 2, "n_episodes": 6},
    "08_model_errors": {"n_runs": 2, "horizon": 4, "n_learning_steps": 300},
}


def load(name):
    spec = importlib.util.spec_from_file_location(name, LECTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_lecture_has_a_tiny_budget():
    assert sorted(p.stem for p in LECTURES.glob("[0-9]*.py")) == sorted(TINY)


@pytest.mark.parametrize("name", sorted(TINY))
def test_lecture_runs_at_a_tiny_budget(name):
    module = load(name)
    config = module.Config()
    assert dataclasses.is_dataclass(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.seed = 1
    figure = module.main(dataclasses.replace(config, **TINY[name]))
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
