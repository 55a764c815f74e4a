"""Lecture 5: model-predictive control by random shooting.

At every real step: sample action sequences, roll each out in the model,
execute the first action of the best, replan next step. First on the env's
true model, then on a model learned from the agent's own real steps (with
optimism for pairs it has never tried, and value-iteration terminal values so
a short horizon sees past itself). Right: what horizon x candidates buys.

    python lectures/05_random_shooting_mpc.py [--show]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import studies
from tabular_mbrl.plotting import plot_curves, plot_steps_per_episode
from tabular_mbrl.course import run_lecture


@dataclass(frozen=True)
class Config:
    n_runs: int = 3  # runs per curve
    n_episodes: int = 15  # episodes per run
    horizon: int = 5  # steps each candidate sequence looks ahead
    n_candidates: int = 100  # sequences sampled per real step
    sweep_horizons: tuple[int, ...] = (1, 3, 5)  # the budget sweep's horizons ...
    sweep_candidates: tuple[int, ...] = (10, 100)  # ... and candidate counts
    seed: int = 0  # master seed


def main(config: Config):
    def agent(model_of):  # model_of(env) -> the model to plan with (None: learn)
        return lambda env, rng: tm.RandomShootingAgent(
            env.n_states,
            env.n_actions,
            horizon=config.horizon,
            n_candidates=config.n_candidates,
            model=model_of(env),
            terminal_value="value_iteration",
            rng=rng,
        )

    curves = {
        label: tm.run_episodes(
            lambda: gridworlds.make("dyna_maze"),
            agent(model_of),
            n_episodes=config.n_episodes,
            n_runs=config.n_runs,
            seed=config.seed,
        )
        for label, model_of in [
            ("MPC, true model", lambda env: env.model()),
            ("MPC, learned model", lambda env: None),
        ]
    }
    for label, results in curves.items():
        print(
            f"{label}: {results.steps.sum(axis=1).mean():.0f} real steps, "
            f"{results.planning_updates.sum(axis=1).mean():.0f} simulated "
            f"transitions per run"
        )
    budget = studies.mpc_budget(
        horizons=config.sweep_horizons,
        candidates=config.sweep_candidates,
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
    run_lecture(main, Config(), __file__)
