"""Why MPC replans at every step: closed loop against open loop on a
deterministic model of a slippery maze (S&B section 8.8)."""

from __future__ import annotations

import numpy as np

import gridworlds

from .._checks import check_int, check_nonempty, check_real
from ..agents import ReplanningAgent
from ..batched.loops import walk_counts
from ..experiments import interact
from ..models import counted_model, most_likely_model
from ..results import Series, Study
from .registry import LOOP_ONLY, Run, experiment


def _replan_label(every: int | None) -> str:
    if every is None:
        return "open loop"
    return "replan every step (MPC)" if every == 1 else f"replan every {every}"


@experiment(
    "replanning",
    "why MPC replans at every step: closed vs open loop on slippery mazes",
    runs=10,
    quick={"n_runs": 2, "slips": (0.0, 0.2), "every": (1, None), "n_episodes": 5},
    group="beyond",
    engines=LOOP_ONLY,
    parallel=False,
)
def replanning(
    run: Run,
    *,
    slips: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3),
    every: tuple[int | None, ...] = (1, 2, 4, 8, None),
    n_episodes: int = 20,
    n_learning_steps: int = 10_000,
    budget: int = 30,
) -> Study:
    """Closed loop against open loop on the slippery Dyna maze.

    For each slip, each run learns a deterministic model from
    ``n_learning_steps`` random real steps: each pair's most frequent outcome
    (the best a deterministic model can do: its only error is that the world
    slips and the model does not). Then a
    :class:`~tabular_mbrl.agents.mpc.ReplanningAgent` plans whole paths on it and
    executes ``k`` actions of each before planning again (k in ``every``;
    None: the whole plan, open loop). An episode that has not reached the
    goal after ``budget`` real steps is stopped and counts ``budget``. Each
    value is a run's mean steps per episode; the note gives the episodes
    that reached the goal within the budget (k/N). Model work per real step:
    the value iteration on the learned model plus one per planned action,
    over every slip."""
    slips = check_nonempty("slips", slips)
    every = check_nonempty("every", every)
    slips = tuple(check_real("slip", s, low=0.0, high=1.0) for s in slips)
    budget = check_int("budget", budget, low=1)
    n_episodes = check_int("n_episodes", n_episodes, low=1)
    n_learning_steps = check_int("n_learning_steps", n_learning_steps, low=1)
    n_runs = run.n_runs
    # One walk per run: all run, a slip at a time.
    run.series([_replan_label(k) for k in every], announce=False)
    run.announce([f"slip {slip:g}" for slip in slips])
    steps = np.zeros((len(every), n_runs, len(slips)))
    reached = np.zeros((len(every), len(slips)), dtype=np.int64)
    work = np.zeros((len(every), n_runs, len(slips)))  # model work per real step
    run_seeds = np.random.SeedSequence(run.seed).spawn(n_runs + 1)
    learn_seeds = run_seeds[-1].spawn(len(slips))  # the walks that learn models
    for j, slip in enumerate(slips):
        env = gridworlds.make("dyna_maze", slip=slip, max_steps=budget)
        truth = env.model()
        learn = np.random.default_rng(learn_seeds[j])
        counts = walk_counts(env, n_learning_steps, n_runs, learn)  # every run
        for r, run_seed in enumerate(run_seeds[:n_runs]):
            rng = np.random.default_rng(run_seed)
            env.reset(seed=int(rng.integers(2**31)))
            # Learned, and deterministic: each pair's most frequent outcome.
            model = most_likely_model(counted_model(truth, counts[r]))
            for i, k in enumerate(every):
                agent = ReplanningAgent(
                    env.n_states, env.n_actions, model=model, replan_every=k, rng=rng
                )
                lengths = []
                for _ in range(n_episodes):
                    agent.drop_plan()
                    lengths.append(0)
                    for step in interact(env, agent, env.reset()[0]):
                        lengths[-1] += 1
                        if step.terminated or step.truncated:
                            reached[i, j] += step.terminated
                            break
                steps[i, r, j] = np.mean(lengths)
                work[i, r, j] = agent.n_planning_updates / sum(lengths)
            if run.progress is not None:
                run.progress(f"slip {slip:g}", r + 1, n_runs)
    episodes = n_runs * n_episodes
    note = [f"Episodes that reached the goal within {budget} steps:"] + [
        f"{_replan_label(k)}: "
        + ", ".join(
            f"slip {slip:g} {reached[i, j]}/{episodes}" for j, slip in enumerate(slips)
        )
        for i, k in enumerate(every)
    ]
    return Study(
        "replanning",
        "Replanning on a deterministic model of a slippery maze",
        "slip (probability that a move goes in a random direction)",
        f"steps per episode (at most {budget})",
        [
            Series(
                _replan_label(k),
                np.array(slips),
                steps[i],
                model_work_per_step=float(work[i].mean()),
            )
            for i, k in enumerate(every)
        ],
        note="\n".join(note),
    )
