"""Lecture 2: planning steps buy real steps (Sutton & Barto Figure 8.2).

Dyna-Q with n = 0 (Q-learning), 5 and 50 planning updates per real step on the
Dyna maze. The more it plans on its learned model, the fewer real episodes it
needs. 30 runs, as the book averages (``tabular-mbrl run dyna-maze``). Run:

    python lectures/02_dyna_q_planning_steps.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_steps_per_episode
from tabular_mbrl.studies import BOOK


@dataclass(frozen=True)
class Config:
    n_runs: int = BOOK["figure 8.2"]["n_runs"]  # independent runs averaged (30)
    n_episodes: int = 50  # episodes per run
    n_planning_steps: tuple[int, ...] = BOOK["figure 8.2"]["n_planning_steps"]  # n
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, n_episodes=5)


def main(config: Config):
    study = studies.dyna_maze(
        n_runs=config.n_runs,
        n_episodes=config.n_episodes,
        n_planning_steps=config.n_planning_steps,
        seed=config.seed,
    )
    for series in study.series:
        print(
            f"{series.name:>5}: {series.convergence.fraction} runs converged, "
            f"median {series.convergence.text()} real steps, "
            f"{series.planning_updates:9.0f} planning updates"
        )
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plot_steps_per_episode(study, ax=ax)
    ax.set_title("Dyna-Q on the Dyna maze (S&B Figure 8.2)")
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
