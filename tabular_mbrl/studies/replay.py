"""Experience replay against Dyna-Q's models: DQN's memory of real transitions
and Dyna-Q's table of them, at equal updates per real step, on three mazes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

import gridworlds

from .._checks import check_int
from ..agents import DynaQAgent, ReplayQAgent
from ..experiments import run_steps
from ..models import EmpiricalModel
from ..results import Series, Study
from ..spec import AgentSpec
from .registry import Run, experiment
from .running import in_parallel, run_settings

#: The agents of :func:`replay_vs_dyna`, in order.
REPLAY_VS_DYNA = ("Replay", "Dyna-Q, deterministic model", "Dyna-Q, empirical model")

#: Its mazes, in order (x = 1, 2, 3 of the study).
REPLAY_MAZES = ("Dyna maze", "slippery Dyna maze", "blocking maze")


@experiment(
    "replay-vs-dyna",
    "experience replay vs Dyna-Q's models on three mazes, at equal updates",
    runs=20,
    # The full steps: in fewer, the counted model has not yet beaten the
    # last outcome on the slippery maze, nor lost to it on the blocking one.
    quick={"n_runs": 8},
    group="beyond",
)
def replay_vs_dyna(
    run: Run,
    *,
    n_steps: int = 3000,
    blocking_steps: int = 3000,
    n_updates: int = 10,
    alpha: float = 0.5,
    capacity: int = 1000,
    slip: float = 0.2,
    window: int = 1000,
) -> Study:
    """Experience replay (:class:`~tabular_mbrl.agents.replay.ReplayQAgent`, a
    memory of the last ``capacity`` real transitions) against Dyna-Q with a
    deterministic model (the last outcome of each pair) and with an empirical
    one (counted outcomes), each making ``n_updates`` extra Q-learning
    backups per real step, on three mazes:

    1. the Dyna maze: the same transitions, but replay draws them as often as
       they happened, Dyna uniformly over the pairs it knows;
    2. the Dyna maze with ``slip``: replay and counts keep the true outcome
       frequencies, a last-seen model does not;
    3. the blocking maze, whose short path closes after 1,000 real steps
       (runs of ``blocking_steps``): the memory and the counts hold the old
       outcomes (the memory until they age out), the deterministic model
       overwrites them at once.

    Runs on the first two mazes take ``n_steps`` real steps. Each value is
    the goals a run reached in its last ``window`` real steps: what it has
    learned, or re-learned, by the end.
    """
    n_steps = check_int("n_steps", n_steps, low=1)
    blocking_steps = check_int("blocking_steps", blocking_steps, low=1)
    window = check_int("window", window, low=1, high=min(n_steps, blocking_steps))
    common = {"alpha": alpha}
    specs = [
        AgentSpec(ReplayQAgent, n_replay_steps=n_updates, capacity=capacity, **common),
        AgentSpec(DynaQAgent, n_planning_steps=n_updates, **common),
        AgentSpec(
            DynaQAgent, n_planning_steps=n_updates, model=EmpiricalModel, **common
        ),
    ]
    specs = [s.replace(label=n) for s, n in zip(specs, REPLAY_VS_DYNA, strict=True)]
    chosen = run.series(REPLAY_VS_DYNA, announce=False)
    run.announce([f"{label}, {maze}" for maze in REPLAY_MAZES for label in chosen])
    mazes = [
        (partial(gridworlds.make, "dyna_maze"), n_steps),
        (partial(gridworlds.make, "dyna_maze", slip=slip), n_steps),
        (partial(gridworlds.make, "blocking_maze"), blocking_steps),
    ]
    # The mazes side by side (with jobs > 1), each in one process.
    by_maze = in_parallel(
        [
            partial(_on_maze, specs, maze, steps, name, run)
            for (maze, steps), name in zip(mazes, REPLAY_MAZES, strict=True)
        ],
        run.jobs,
    )
    series = []
    for i, spec in enumerate(specs):
        if by_maze[0][i] is None:
            continue
        goals = []
        for runs, (_, steps) in zip(by_maze, mazes, strict=True):
            reward = runs[i].cumulative_reward
            end = reward[:, -window - 1] if window < steps else 0.0
            goals.append(reward[:, -1] - end)
        x = np.arange(1, len(mazes) + 1)
        series.append(Series(spec.label, x, np.column_stack(goals)))
    return Study(
        "replay-vs-dyna",
        f"Replay vs Dyna-Q at {n_updates} updates per real step",
        "maze: " + ", ".join(f"{i} {n}" for i, n in enumerate(REPLAY_MAZES, 1)),
        f"goals in the last {window:,} real steps",
        series,
    )


def _on_maze(
    specs: list[AgentSpec],
    maze: Callable[[], gridworlds.GridWorld],
    steps: int,
    name: str,
    run: Run,
) -> list:
    """The runs of :func:`replay_vs_dyna` on one maze: one result per spec
    (None: left out by ``only=``). The two Dyna-Q settings share one batch
    (the same numbers as alone)."""
    named_progress = None
    if run.progress is not None:

        def named_progress(label, done, total):
            run.progress(f"{label}, {name}", done, total)

    return run_settings(
        run_steps, specs, maze, run, jobs=1, progress=named_progress, n_steps=steps
    )
