"""Lecture 8: models are imperfect, and errors compound. Two effects.

On a slippery Dyna maze, a deterministic model (the last outcome seen) is wrong
about every slip; an empirical model (counted frequencies) is right on average.
Left: the error of the predicted state distribution against the number of
steps predicted. Two baselines pull the effects apart: the most likely true
outcome of each pair (a deterministic model with no learning error: what is
left is the error of being deterministic in a stochastic world), and the
empirical model after 10x the data (what shrinks is estimation error).
Middle and right: where each learned model is wrong one step ahead, on one
colour scale. The lines printed under the figure are computed from the runs:
claims, each verdict (the words before the colon) from a 95 % bootstrap
interval of a difference of mean errors over runs, each run's models against
the same predictions (:func:`tabular_mbrl.results.compare`, paired); then
observations, which hold for any deterministic model of a stochastic world
and so decide nothing.

    python lectures/08_model_errors.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import results, studies
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
    """What the lecture claims, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by a 95 % interval of a
    difference of mean errors at the last horizon, paired over runs."""
    at = {series.name: series.values[:, -1] for series in study.series}
    deterministic, _, empirical, more = at.values()
    more_name = list(at)[-1]
    h = len(study.series[0].x)
    counts = results.compare(empirical, deterministic, statistic="mean", paired=True)
    data = results.compare(more, empirical, statistic="mean", paired=True)
    return [
        counts.word(
            "Counting outcomes predicts better than keeping the last",
            "Counting outcomes predicts worse than keeping the last",
            "Counting outcomes makes no clear difference to the prediction",
        )
        + f": at {h} steps ahead the empirical model's error is "
        f"{empirical.mean():.2f}, the deterministic model's {deterministic.mean():.2f}"
        f" (difference {counts.interval(2)}).",
        "Estimation error "
        + data.word("shrinks", "grows", "makes no clear difference")
        + f" with data: the empirical model's error at {h} steps is "
        f"{empirical.mean():.2f}, {more.mean():.2f} with {more_name.split(', ')[-1]} "
        f"(difference {data.interval(2)}).",
    ]


def observations(study: Study) -> list[str]:
    """What the runs show that holds by construction (no verdict): a
    deterministic model predicts a point mass where the world spreads, so
    its error rises with the steps predicted, and most of it is left with no
    learning error at all."""
    error = {series.name: series.mean() for series in study.series}
    deterministic, likely, empirical, _ = error.values()
    h = len(deterministic)
    return [
        f"The deterministic model's error grows from {deterministic[0]:.2f} one step "
        f"ahead to {deterministic[-1]:.2f} at {h}, as any deterministic model's "
        f"must where the world slips (it predicts one state where the world "
        f"spreads); the empirical model's is {empirical[0]:.2f} and "
        f"{empirical[-1]:.2f}.",
        f"The most likely true outcome, with no learning error, already errs by "
        f"{likely[0]:.2f} / {likely[-1]:.2f} at 1 / {h} steps, "
        f"{likely[-1] / deterministic[-1]:.0%} of the learned deterministic "
        f"model's error at {h}; that much comes from being deterministic alone.",
    ]


def main(config: Config):
    study = run(config)
    for line in claims(study) + observations(study):
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
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8), layout="constrained")
    plot_curves(study, ax=axes[0], legend="outside")  # the curves cross everywhere
    for ax, error, name in zip(
        axes[1:], errors, ("deterministic", "empirical"), strict=True
    ):
        plot_model_error(env, error, ax=ax, vmax=largest)
        ax.set_title(f"{name} model: one-step error")
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
