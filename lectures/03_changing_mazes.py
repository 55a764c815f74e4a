"""Lecture 3: when the world changes (Sutton & Barto Figures 8.4 and 8.5).

Left, the blocking maze: the short path closes at step 1000, and the agents
must find the new one; Dyna-Q+, whose bonus kappa * sqrt(tau) sends it back to
pairs not tried in a long time, finds it in more runs. Right, the shortcut
maze: a shorter path opens at step 3000; only Dyna-Q+ discovers it. The lines
printed under the figure are computed from these runs. Run:

    python lectures/03_changing_mazes.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import studies
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


def found_new_path(series, window: int = 1000) -> int:
    """Runs that reached the goal at least ``FOUND`` times in the last
    ``window`` steps."""
    reward = series.values
    return int((reward[:, -1] - reward[:, -window - 1] >= FOUND).sum())


def claims(result) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by the numbers after it."""
    blocking, shortcut = result
    found = {s.name: found_new_path(s) for s in blocking.series}
    runs = blocking.series[0].n_runs
    sooner = found["Dyna-Q+"] > found["Dyna-Q"]
    verdict = "finds the new path more often" if sooner else "does not, more often"
    maze = gridworlds.make("shortcut_maze")
    old = tm.shortest_path_length(maze.model_at(0), maze.start_state)
    took = {
        s.name: int(studies.took_shortcut(s, maze.change_at, old).sum())
        for s in shortcut.series
    }
    more = took["Dyna-Q+"] > took["Dyna-Q"]
    who = "Dyna-Q+" if more else "Dyna-Q+ does not"
    n_short = shortcut.series[0].n_runs
    return [
        f"Dyna-Q+ {verdict}: "
        f"on the blocking maze, runs with at least {FOUND} goals in the last "
        f"1,000 steps: Dyna-Q+ {found['Dyna-Q+']}/{runs}, Dyna-Q "
        f"{found['Dyna-Q']}/{runs}.",
        f"{who} take{'s' * more} the shortcut in more runs: "
        f"Dyna-Q+ {took['Dyna-Q+']}/{n_short} runs, Dyna-Q {took['Dyna-Q']}/{n_short}"
        f" (more than one goal per {old} steps at the end, which the old path "
        f"cannot give).",
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
