"""Lecture 8: models are imperfect, and errors compound. Two effects.

On a slippery Dyna maze, a deterministic model (the last outcome seen) is wrong
about every slip; an empirical model (counted frequencies) is right on average.
Left: the error of the predicted state distribution against the number of
steps predicted. Two baselines pull the effects apart: the most likely true
outcome of each pair (a deterministic model with no learning error: what is
left is the error of being deterministic in a stochastic world), and the
empirical model after 10x the data (what shrinks is estimation error).
Middle and right: where each learned model is wrong one step ahead, on one
colour scale. The lines printed under the figure are computed from the runs.

    python lectures/08_model_errors.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_curves, plot_model_error
from tabular_mbrl.results import Study


@dataclass(frozen=True)
class Config:
    slip: float = 0.2  # probability that a move goes in a random direction
    horizon: int = 20  # steps predicted ahead
    n_runs: int = 10  # independent learned models
    n_learning_steps: int = 3000  # random real steps each model learns from
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, horizon=4, n_learning_steps=300)


def run(config: Config) -> Study:
    return studies.model_errors(
        slip=config.slip,
        horizon=config.horizon,
        n_runs=config.n_runs,
        n_learning_steps=config.n_learning_steps,
        seed=config.seed,
    )


def claims(study: Study) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by the numbers after it."""
    error = {series.name: series.mean() for series in study.series}
    deterministic, likely, empirical, more = error.values()
    more_name = list(error)[-1]
    h = len(deterministic)
    share = likely[-1] / deterministic[-1]
    grows = deterministic[-1] > 2 * deterministic[0]
    shrinks = more[-1] < empirical[-1] / 2
    return [
        f"Errors {'compound' if grows else 'do not compound'}: "
        f"the deterministic model's error grows from {deterministic[0]:.2f} one "
        f"step ahead to {deterministic[-1]:.2f} at {h}; the empirical model's "
        f"is {empirical[0]:.2f} and {empirical[-1]:.2f}.",
        f"Being deterministic is {'most' if share > 0.5 else 'not most'} of it: "
        f"the most likely true outcome, with no learning error, is already "
        f"{likely[0]:.2f} / {likely[-1]:.2f} at 1 / {h} steps, {share:.0%} of the "
        f"learned deterministic model's error at {h}.",
        f"Estimation error {'shrinks' if shrinks else 'does not shrink'} "
        f"with data: the empirical model's error at {h} steps falls from "
        f"{empirical[-1]:.2f} to {more[-1]:.2f} ({more_name}).",
    ]


def main(config: Config):
    study = run(config)
    for line in claims(study):
        print(line)
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
    errors = [tm.transition_error(env.model(), m).mean(axis=1) for m in models]
    largest = max(e.max() for e in errors)  # one colour scale for both maps
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    plot_curves(study, ax=axes[0])
    for ax, error, name in zip(
        axes[1:], errors, ("deterministic", "empirical"), strict=True
    ):
        plot_model_error(env, error, ax=ax, vmax=largest)
        ax.set_title(f"{name} model: one-step error")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
