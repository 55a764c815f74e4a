"""Models that are wrong: how a learned model's multi-step predictions drift
from the truth on a slippery maze, and the two causes (being deterministic in
a stochastic world, and estimating from few data)."""

from __future__ import annotations

import numpy as np

import gridworlds

from .._checks import check_int
from ..agents import RandomWalkAgent
from ..batched.loops import walk_counts
from ..dynamic_programming import predict_distribution
from ..experiments import interact
from ..models import (
    DeterministicModel,
    EmpiricalModel,
    counted_model,
    most_likely_model,
    total_variation,
)
from ..results import Series, Study
from .registry import LOOP_ONLY, Run, experiment


@experiment(
    "model-errors",
    "compounding multi-step model error on a slippery maze",
    runs=10,
    quick={"n_runs": 5, "horizon": 10, "n_learning_steps": 1000},
    group="beyond",
    engines=LOOP_ONLY,
    parallel=False,
)
def model_errors(
    run: Run,
    *,
    slip: float = 0.2,
    horizon: int = 20,
    n_learning_steps: int = 3000,
    n_sequences: int = 50,
    more_data: int = 10,
) -> Study:
    """Compounding model error on the slippery Dyna maze, and its two causes.

    Each run learns a deterministic and an empirical model from
    ``n_learning_steps`` random real steps, then compares the state
    distribution each predicts after 1..``horizon`` steps of random action
    sequences with the true one (total variation distance, 0 to 1). Two
    baselines separate the causes:

    - ``most-likely true outcome``: each pair's most likely outcome under the
      true model, as a deterministic model with no learning error. What is
      left is the error of being deterministic in a stochastic world.
    - ``empirical model, 10x data``: outcome frequencies counted over a
      random walk ``more_data`` times longer (the label says 10x at the
      default). What shrinks with data is estimation error.

    No agent learns here: it runs on the loop, in one process.
    """
    more_data = check_int("more_data", more_data, low=1)
    horizon = check_int("horizon", horizon, low=1)
    n_learning_steps = check_int("n_learning_steps", n_learning_steps, low=1)
    n_sequences = check_int("n_sequences", n_sequences, low=1)
    env = gridworlds.make("dyna_maze", slip=slip)
    truth = env.model()
    likely = most_likely_model(truth)
    errors = {name: [] for name in model_error_names(more_data)}
    n_runs = run.n_runs
    # Every model is learned from one walk: all run, together.
    run.series(list(errors), announce=False)
    run.announce(["all models"])
    run_seeds = np.random.SeedSequence(run.seed).spawn(n_runs + 1)
    longer = walk_counts(  # all runs' longer walks at once
        env, more_data * n_learning_steps, n_runs, np.random.default_rng(run_seeds[-1])
    )
    for i, run_seed in enumerate(run_seeds[:n_runs]):
        rng = np.random.default_rng(run_seed)
        models = [
            DeterministicModel(env.n_states, env.n_actions),
            EmpiricalModel(env.n_states, env.n_actions),
        ]
        state, _ = env.reset(seed=int(rng.integers(2**31)))
        walker = RandomWalkAgent(env.n_states, env.n_actions, models=models, rng=rng)
        walk = interact(env, walker, state)
        for _ in range(n_learning_steps):
            next(walk)
        models = [models[0], likely, models[1], counted_model(truth, longer[i])]
        sequences = rng.integers(env.n_actions, size=(n_sequences, horizon))
        true = [predict_distribution(truth, env.start_state, s) for s in sequences]
        for label, model in zip(errors, models, strict=True):
            tv = [
                total_variation(predict_distribution(model, env.start_state, s), t)
                for s, t in zip(sequences, true, strict=True)
            ]
            errors[label].append(np.mean(tv, axis=0))
        if run.progress is not None:
            run.progress("all models", i + 1, n_runs)
    series = [
        Series(label, np.arange(1, horizon + 1), np.array(values))
        for label, values in errors.items()
    ]
    return Study(
        "model-errors",
        f"Multi-step prediction error (slip {slip:g})",
        "steps ahead",
        "total variation distance",
        series,
    )


def model_error_names(more_data: int = 10) -> tuple[str, ...]:
    """The series of :func:`model_errors`, in order."""
    return (
        "deterministic model",
        "most-likely true outcome",
        "empirical model",
        f"empirical model, {more_data}x data",
    )
