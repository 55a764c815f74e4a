"""Lecture 8: models are imperfect, and errors compound.

On a slippery Dyna maze, a deterministic model (the last outcome seen) is wrong
about every slip; an empirical model (counted frequencies) is right on average.
Left: the error of the predicted state distribution grows with the number of
steps predicted. Middle and right: where each model is wrong, one step ahead.

    python lectures/08_model_errors.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_curves, plot_model_error


@dataclass(frozen=True)
class Config:
    slip: float = 0.2  # probability that a move goes in a random direction
    horizon: int = 20  # steps predicted ahead
    n_runs: int = 10  # independent learned models
    n_learning_steps: int = 3000  # random real steps each model learns from
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, horizon=4, n_learning_steps=300)


def main(config: Config):
    study = studies.model_errors(
        slip=config.slip,
        horizon=config.horizon,
        n_runs=config.n_runs,
        n_learning_steps=config.n_learning_steps,
        seed=config.seed,
    )
    for series in study.series:
        error = series.mean()
        print(
            f"{series.name}: error {error[0]:.2f} one step ahead, "
            f"{error[-1]:.2f} at {config.horizon}"
        )
    # One pair of models, learned from the same random walk, for the maps.
    env = gridworlds.make("dyna_maze", slip=config.slip)
    models = [
        tm.DeterministicModel(env.n_states, env.n_actions),
        tm.EmpiricalModel(env.n_states, env.n_actions),
    ]
    walker = tm.RandomWalkAgent(
        env.n_states, env.n_actions, models=models, rng=config.seed
    )
    steps = tm.interact(env, walker, env.reset(seed=config.seed)[0])
    for _ in range(config.n_learning_steps):
        next(steps)
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    plot_curves(study, ax=axes[0])
    for ax, model, name in zip(
        axes[1:], models, ("deterministic", "empirical"), strict=True
    ):
        errors = tm.transition_error(env.model(), model)  # (S, A)
        plot_model_error(env, errors.mean(axis=1), ax=ax)
        ax.set_title(f"{name} model: one-step error")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
