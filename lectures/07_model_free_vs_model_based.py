"""Lecture 7: the headline. Real steps to convergence, model-free vs model-based.

Q-learning learns only from real steps. Dyna-Q also replays a learned model
(n planning updates per real step). MPC plans at every step on the learned
model. Each bar is labelled with the planning budget spent per real step:
model-based agents trade computation for real experience.

    python lectures/07_model_free_vs_model_based.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_convergence
from tabular_mbrl.studies import STANDARD_MPC


@dataclass(frozen=True)
class Config:
    n_runs: int = 30  # runs per agent (as tabular-mbrl run mpc)
    n_episodes: int = 50  # long enough for Q-learning to converge
    horizon: int = STANDARD_MPC.params["horizon"]  # MPC: steps looked ahead
    n_candidates: int = STANDARD_MPC.params["n_candidates"]  # MPC: sequences/step
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, n_episodes=6)


def main(config: Config):
    study = studies.mpc_real_steps(
        n_runs=config.n_runs,
        n_episodes=config.n_episodes,
        horizon=config.horizon,
        n_candidates=config.n_candidates,
        seed=config.seed,
    )
    for series in study.series:
        print(
            f"{series.name:>12}: {series.convergence.fraction} runs converged, "
            f"median {series.convergence.text()} real steps, "
            f"{series.planning_updates:9.0f} planning updates per run"
        )
    fig, ax = plt.subplots(figsize=(8, 4.5))
    plot_convergence(study, ax=ax)
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
