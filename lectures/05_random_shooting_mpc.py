"""Lecture 5: model-predictive control by random shooting.

At every real step: sample action sequences, roll each out in the model,
execute the first action of the best, replan next step. First on the env's
true model, then on a model learned from the agent's own real steps (with
optimism for pairs it has never tried, and value-iteration terminal values so
a short horizon sees past itself). Right: what horizon x candidates buys.

    python lectures/05_random_shooting_mpc.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_curves, plot_steps_per_episode
from tabular_mbrl.studies import STANDARD_MPC


@dataclass(frozen=True)
class Config:
    n_runs: int = 3  # runs per curve
    n_episodes: int = 15  # episodes per run
    horizon: int = STANDARD_MPC.params["horizon"]  # steps each sequence looks ahead
    n_candidates: int = STANDARD_MPC.params["n_candidates"]  # sequences per step
    sweep_horizons: tuple[int, ...] = (1, 3, 5)  # the budget sweep's horizons ...
    sweep_candidates: tuple[int, ...] = (10, 100)  # ... and candidate counts
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=1, n_episodes=3, sweep_horizons=(1,), sweep_candidates=(10,))


def main(config: Config):
    mpc = STANDARD_MPC.replace(horizon=config.horizon, n_candidates=config.n_candidates)
    true_model = gridworlds.make("dyna_maze").model()  # never updated
    specs = [
        mpc.replace(model=true_model, label="MPC, true model"),
        mpc.replace(label="MPC, learned model"),  # learns from its real steps
    ]
    results = tm.run_episodes(
        lambda: gridworlds.make("dyna_maze"),
        specs,
        n_episodes=config.n_episodes,
        n_runs=config.n_runs,
        seed=config.seed,
    )
    curves = {spec.label: result for spec, result in zip(specs, results, strict=True)}
    for label, results in curves.items():
        print(
            f"{label}: {results.steps.sum(axis=1).mean():.0f} real steps, "
            f"{results.planning_updates.sum(axis=1).mean():.0f} simulated "
            f"transitions per run"
        )
    budget = studies.mpc_budget(
        horizons=config.sweep_horizons,
        n_candidates=config.sweep_candidates,
        n_runs=config.n_runs,
        n_episodes=config.n_episodes,
        seed=config.seed,
    )
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    plot_steps_per_episode(curves, ax=left)
    left.set_title("random-shooting MPC on the Dyna maze")
    plot_curves(budget, ax=right, marker="o")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
