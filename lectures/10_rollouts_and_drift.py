"""Lecture 10: imagined trajectories, and how a wrong model makes them drift.

Dyna-Q asks its model one step at a time, from pairs it has really tried.
Model-based RL with rollouts runs the agent's own policy inside the model for
k steps and feeds every imagined transition to Q-learning. Each imagined step
starts where the previous one ended, so a model's errors compound along the
rollout. Every agent here makes as many imagined transitions per real step
(``budget / k`` rollouts of k steps), after the same random real steps to learn
a first model from (``warmup`` in the Config). Left: goals reached in the next
``n_steps`` real steps. Right: the model's k-step prediction error at the end
(total variation between where k imagined steps and k real ones lead,
following the rollout policy from the states the run has been in). The lines
printed under the figure are computed from these runs: claims, each verdict
(the words before the colon) from a 95 % bootstrap interval of a difference of
means over runs (:func:`tabular_mbrl.results.compare`; paired where the runs
share their warm-up walk: the settings of one maze), then an observation that
holds by construction. Long rollouts cover fewer start states at a fixed
budget, which can cost goals with any model; what drift costs is the
difference in differences: the effect of k with the wrong model minus its
effect with the same kind of model on the Dyna maze, where it is exact.

    python lectures/10_rollouts_and_drift.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_study
from tabular_mbrl.results import Study


@dataclass(frozen=True)
class Config:
    n_runs: int = 40  # runs per maze, model and rollout length
    warmup: int = 1000  # random real steps before the agents learn online
    n_steps: int = 250  # real steps measured
    budget: int = 100  # imagined transitions per real step, for every k
    slip: float = 0.2  # of the slippery maze
    seed: int = 0  # master seed
    jobs: int = 2  # the two mazes side by side, one process each


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=3, warmup=300, n_steps=50)

#: Rollouts this short or shorter are "short", this long or longer "long".
SHORT, LONG = 5, 20


def run(config: Config) -> Study:
    return studies.rollout_drift(
        n_runs=config.n_runs,
        warmup=config.warmup,
        n_steps=config.n_steps,
        budget=config.budget,
        slip=config.slip,
        seed=config.seed,
        jobs=config.jobs,
    )


def claims(study: Study) -> list[str]:
    """What the lecture claims, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by a 95 % interval of a mean
    over runs of a per-run difference (the settings of a maze share each
    run's warm-up), or of a difference of two such means (one per maze)."""
    by = {s.name: s.values for s in study.series}
    k = study.series[0].x
    exact, slippery = studies.DRIFT_MAZES
    last, counted = studies.DRIFT_MODELS
    short, long = k <= SHORT, k >= LONG

    def longer(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per run: long rollouts' mean value, short ones', and the first
        minus the second."""
        far, near = by[name][:, long].mean(axis=1), by[name][:, short].mean(axis=1)
        return far, near, far - near

    def mean(effect: np.ndarray) -> results.Verdict:
        """The mean of a per-run difference, against 0."""
        return results.compare(effect, np.zeros_like(effect), statistic="mean")

    error = by[f"{slippery}, {last}, k-step error"]
    counted_error = by[f"{slippery}, {counted}, k-step error"]
    drifts = mean(error[:, long].mean(axis=1) - error[:, 0])
    far, near, wrong = longer(f"{slippery}, {last}")
    loses = mean(wrong)
    right = longer(f"{exact}, {last}")[2]
    drift = results.compare(wrong, right, statistic="mean")  # two mazes' runs
    slips_far, slips_near, slips = longer(f"{slippery}, {counted}")
    modelled = mean(slips)
    lengths = f"k >= {LONG} against k <= {SHORT}"
    return [
        "A wrong model's rollouts "
        + drifts.word("drift back", "drift", "do not clearly drift")
        + f": on the slippery maze, the last-outcome (deterministic) model's "
        f"k-step error is {error[:, 0].mean():.2f} at k = {k[0]} and "
        f"{error[:, long].mean():.2f} at k >= {LONG} (difference "
        f"{drifts.interval(2)}); the counted (empirical) model's "
        f"{counted_error[:, 0].mean():.2f} and {counted_error[:, long].mean():.2f}.",
        "Long rollouts in a wrong model "
        + loses.word("learn less", "learn more", "make no clear difference")
        + f": with the last-outcome model on the slippery maze, {lengths}, "
        f"{far.mean():.1f} against {near.mean():.1f} goals (difference "
        f"{loses.interval(1)}; {study.y_label}, means over runs and lengths).",
        drift.word(
            "Drift costs long rollouts goals beyond what their length costs",
            "Length costs long rollouts more where the model is exact",
            "What drift costs cannot be told from what length costs",
        )
        + f": long minus short rollouts with the last-outcome model, "
        f"{loses.interval(1)} goals on the slippery maze, "
        f"{mean(right).interval(1)} on the Dyna maze, where the model is exact; "
        f"difference in differences {drift.interval(1)}.",
        "With a model of the slips, "
        + modelled.word(
            "long rollouts learn less",
            "long rollouts learn more",
            "k makes no clear difference",
        )
        + f": the counted model on the slippery maze, {lengths}, "
        f"{slips_far.mean():.1f} against {slips_near.mean():.1f} goals "
        f"(difference {modelled.interval(1)}).",
    ]


def observations(study: Study) -> list[str]:
    """What holds by construction (no verdict): in a deterministic world a
    model that predicts only what it has seen is exact."""
    by = {s.name: s for s in study.series}
    exact = studies.DRIFT_MAZES[0]
    none = max(
        by[f"{exact}, {model}, k-step error"].values.max()
        for model in studies.DRIFT_MODELS
    )
    return [
        f"On the Dyna maze both models' k-step error is at most {none:.3f} at "
        "every k, since each predicts only what it has seen, and the world does "
        "that every time."
    ]


def main(config: Config):
    study = run(config)
    for line in claims(study) + observations(study):
        print(line)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    plot_study(study, ax=ax)
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
