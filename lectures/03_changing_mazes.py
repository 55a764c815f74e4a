"""Lecture 3: when the world changes (Sutton & Barto Figures 8.4 and 8.5).

Left, the blocking maze: the short path closes at step 1000, and the agents
must find the new one; Dyna-Q+'s bonus kappa * sqrt(tau) sends it back to
pairs not tried in a long time. Right, the shortcut maze: a shorter path opens
at step 3000, where a learned model saw a wall; does anything send an agent
back to try it? The lines printed under the figure are computed from these
runs, each verdict (the words before the colon) from a 95 % bootstrap interval
of a difference of the fractions of runs
(:func:`tabular_mbrl.results.compare_proportions`). Run:

    python lectures/03_changing_mazes.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_study
from tabular_mbrl.studies import BOOK


@dataclass(frozen=True)
class Config:
    blocking_runs: int = BOOK["figure 8.4"]["n_runs"]  # runs of the blocking maze (20)
    blocking_steps: int = 3000  # real steps; the wall moves at 1000
    shortcut_runs: int = BOOK["figure 8.5"]["n_runs"]  # runs of the shortcut maze (5)
    shortcut_steps: int = 6000  # real steps; the shortcut opens at 3000
    include_mpc: bool = False  # add MPC (and MPC+ on the shortcut maze; slower)
    seed: int = 0  # master seed
    jobs: int = 2  # agents run side by side, one process each


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(
    blocking_runs=1, blocking_steps=1100, shortcut_runs=1, shortcut_steps=3100
)


#: A run has found the blocking maze's new path if it reached the goal this
#: often in its last 1,000 steps (one stuck on the blocked path: 0 or 1).
FOUND = 10


def run(config: Config):
    """The blocking maze's and the shortcut maze's studies."""
    blocking = studies.blocking_maze(
        n_runs=config.blocking_runs,
        n_steps=config.blocking_steps,
        mpc=config.include_mpc,
        seed=config.seed,
        jobs=config.jobs,
    )
    shortcut = studies.shortcut_maze(
        n_runs=config.shortcut_runs,
        n_steps=config.shortcut_steps,
        mpc=config.include_mpc,
        seed=config.seed,
        jobs=config.jobs,
    )
    return blocking, shortcut


def goals_at_end(series, window: int = 1000) -> np.ndarray:
    """Per run, the goals reached in the last ``window`` steps."""
    reward = series.values
    return reward[:, -1] - reward[:, -window - 1]


def claims(result) -> list[str]:
    """What the lecture claims, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by a 95 % interval of the
    difference of two fractions of runs (k/N), the numbers after it."""
    blocking, shortcut = result
    by = {s.name: s for s in blocking.series}
    goals = {name: goals_at_end(series) for name, series in by.items()}
    found = {name: g >= FOUND for name, g in goals.items()}
    finds = results.compare_proportions(found["Dyna-Q+"], found["Dyna-Q"])
    runs = len(found["Dyna-Q"])
    maze = gridworlds.make("shortcut_maze")
    old = tm.shortest_path_length(maze.model_at(0), maze.start_state)
    took = {
        s.name: studies.took_shortcut(s, maze.change_at, old) for s in shortcut.series
    }
    takes = results.compare_proportions(took["Dyna-Q+"], took["Dyna-Q"])
    n_short = len(took["Dyna-Q"])
    return [
        finds.word(
            "Dyna-Q+ finds the new path in fewer runs",
            "Dyna-Q+ finds the new path in more runs",
            "Dyna-Q+ and Dyna-Q find the new path in about as many runs",
        )
        + f": on the blocking maze, runs with at least {FOUND} goals in the last "
        f"1,000 steps: Dyna-Q+ {found['Dyna-Q+'].sum()}/{runs}, Dyna-Q "
        f"{found['Dyna-Q'].sum()}/{runs}, difference "
        f"{finds.interval(scale=100)} percentage points (mean goals "
        f"{goals['Dyna-Q+'].mean():.1f} and {goals['Dyna-Q'].mean():.1f}).",
        takes.word(
            "Dyna-Q+ takes the shortcut in fewer runs",
            "Dyna-Q+ takes the shortcut in more runs",
            "Dyna-Q+ and Dyna-Q take the shortcut in about as many runs",
        )
        + f": Dyna-Q+ {took['Dyna-Q+'].sum()}/{n_short} runs, Dyna-Q "
        f"{took['Dyna-Q'].sum()}/{n_short}, difference "
        f"{takes.interval(scale=100)} percentage points (more than one goal per "
        f"{old} steps at the end, which the old path cannot give).",
    ]


def main(config: Config):
    result = run(config)
    for line in claims(result):
        print(line)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for study, ax in zip(result, axes, strict=True):
        plot_study(study, ax=ax)  # with its note: who took the shortcut, and why
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
