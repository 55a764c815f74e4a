"""Lecture 6: move the goal mid-run.

At the change, the Dyna maze's goal moves from (0, 8) to (5, 8). The MPC agent
is handed a new reward function and, planning at decision time on the same
learned model, walks to the new goal in its very next episode. Dyna-Q's
values still point at the old goal: it has to unlearn them from experience.

    python lectures/06_goal_change_and_adaptation.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_cumulative_reward


@dataclass(frozen=True)
class Config:
    n_runs: int = 5  # independent runs
    n_steps: int = 2000  # real steps per run
    change_at: int = 1000  # real step at which the goal moves
    n_planning_steps: int = 50  # Dyna-Q's n: even a lot of planning must unlearn
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=1, n_steps=400, change_at=200)


def main(config: Config):
    study = studies.goal_change(
        n_runs=config.n_runs,
        n_steps=config.n_steps,
        change_at=config.change_at,
        n_planning_steps=config.n_planning_steps,
        seed=config.seed,
    )
    for series in study.series:
        before = series.values[:, config.change_at - 1].mean()
        after = series.mean()[-1] - before
        print(f"{series.name}: {before:.0f} goals before the change, {after:.0f} after")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plot_cumulative_reward(study, ax=ax)
    ax.set_title(study.title)
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
