"""Lecture 3: when the world changes (Sutton & Barto Figures 8.4 and 8.5).

Left, the blocking maze: the short path closes at step 1000; both agents find
the new one, Dyna-Q+ sooner. Right, the shortcut maze: a shorter path opens at
step 3000; only Dyna-Q+, whose bonus kappa * sqrt(tau) sends it back to pairs
not tried in a long time, discovers it. Run:

    python lectures/03_changing_mazes.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

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


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(
    blocking_runs=1, blocking_steps=1100, shortcut_runs=1, shortcut_steps=3100
)


def main(config: Config):
    blocking = studies.blocking_maze(
        n_runs=config.blocking_runs,
        n_steps=config.blocking_steps,
        mpc=config.include_mpc,
        seed=config.seed,
    )
    shortcut = studies.shortcut_maze(
        n_runs=config.shortcut_runs,
        n_steps=config.shortcut_steps,
        mpc=config.include_mpc,
        seed=config.seed,
    )
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for study, ax in zip((blocking, shortcut), axes, strict=True):
        plot_study(study, ax=ax)  # with its note: who took the shortcut, and why
        for series in study.series:
            print(
                f"{study.name}: {series.name} ends with "
                f"{series.mean()[-1]:.0f} cumulative reward"
            )
        if study.note:
            print(study.note)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
