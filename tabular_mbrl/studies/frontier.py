"""What planning buys and what it costs: real steps to convergence against
model work per real step, family by family, on the Dyna maze and on its
slippery version.

Each family of agents has a budget knob: Dyna-Q its planning steps n (at
alpha 0.1 and 1, with Q0 = 0 and 1), prioritized sweeping its n, MPC its
horizon x candidates; Q-learning and greedy on values (MPC with a horizon of
1: value iteration on an optimistic model, R-max style) are one point each.
Every point is measured by what it cost, its model work per real step as
counted by the agent, and by what it bought, the real steps until its policy
converged (k/N runs, censored medians: see
:class:`~tabular_mbrl.results.Convergence`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial

import numpy as np

import gridworlds

from .._checks import check_bool, check_int, check_nonempty, check_real
from ..agents import PrioritizedSweepingAgent, QLearningAgent, RandomShootingAgent
from ..batched import fusion_key
from ..models import EmpiricalModel
from ..results import Series, Study
from ..spec import AgentSpec
from .registry import Run, experiment
from .running import episode_settings, in_parallel
from .specs import STANDARD_MPC, dyna_q_spec

#: The families of :func:`frontier`, in the order of its series.
FAMILIES = (
    "Q-learning",
    "Dyna-Q alpha=0.1 Q0=0",
    "Dyna-Q alpha=0.1 Q0=1",
    "Dyna-Q alpha=1 Q0=0",
    "Dyna-Q alpha=1 Q0=1",
    "prioritized sweeping alpha=1 Q0=1",
    "greedy on values",
    "MPC",
)

#: Its mazes: a series' ``panel`` is its maze's index here.
MAZES = ("Dyna maze", "slippery Dyna maze")

#: What a point's name ends with on the slippery maze.
SLIPPERY = " (slippery)"


def frontier_specs(
    planning_steps: tuple[int, ...],
    sweeping_steps: tuple[int, ...],
    horizons: tuple[int, ...],
    n_candidates: tuple[int, ...],
    *,
    slippery: bool = False,
    mpc: bool = True,
) -> list[tuple[str, AgentSpec]]:
    """Every point of one maze: ``(family, spec)``, the spec labelled with the
    point's name (``"Dyna-Q alpha=1 Q0=1 n=10"``), in the order of
    :data:`FAMILIES` and of the budgets given.

    On the slippery maze (``slippery``) the model-based agents learn a counted
    model (:class:`~tabular_mbrl.models.EmpiricalModel`), prioritized
    sweeping (whose model is deterministic) is left out and every name ends
    with :data:`SLIPPERY`. MPC beyond greedy on values is left out unless
    ``mpc``.
    """
    model = {"model": EmpiricalModel} if slippery else {}
    points = [("Q-learning", "", AgentSpec(QLearningAgent))]
    for alpha, q_init in ((0.1, 0.0), (0.1, 1.0), (1.0, 0.0), (1.0, 1.0)):
        family = f"Dyna-Q alpha={alpha:g} Q0={q_init:g}"
        points += [
            (family, f" n={n}", dyna_q_spec(n, alpha=alpha, q_init=q_init, **model))
            for n in planning_steps
        ]
    if not slippery:
        points += [
            (
                FAMILIES[5],
                f" n={n}",
                AgentSpec(
                    PrioritizedSweepingAgent, n_planning_steps=n, alpha=1.0, q_init=1.0
                ),
            )
            for n in sweeping_steps
        ]
    greedy = STANDARD_MPC.replace(horizon=1, n_candidates=4, **model)
    points.append(("greedy on values", "", greedy))
    if mpc:
        points += [
            (
                "MPC",
                f" h={h} x {c}",
                STANDARD_MPC.replace(horizon=h, n_candidates=c, **model),
            )
            for h, c in zip(horizons, n_candidates, strict=True)
        ]
    suffix = SLIPPERY if slippery else ""
    return [
        (family, spec.replace(label=family + budget + suffix))
        for family, budget, spec in points
    ]


def family_of(series: Series) -> str:
    """The family in :data:`FAMILIES` a point of :func:`frontier` belongs to."""
    matches = [f for f in FAMILIES if series.name.startswith(f)]
    if not matches:
        raise ValueError(
            f"series {series.name!r} is no point of the frontier; its name must "
            f"start with one of {FAMILIES}"
        )
    return max(matches, key=len)


def curves(study: Study) -> dict[tuple[str, str], list[Series]]:
    """The frontier's points curve by curve: ``(maze, family) -> points``, in
    the order of :data:`MAZES`, :data:`FAMILIES` and their budgets (the
    order of the study's series)."""
    grouped: dict[tuple[str, str], list[Series]] = {}
    for series in study.series:
        grouped.setdefault((MAZES[series.panel], family_of(series)), []).append(series)
    return grouped


def _point(curve: Series, panel: int) -> Series:
    """One point of the frontier: x its model work per real step (the mean
    over runs of each run's work over its real steps), values its runs' real
    steps to convergence (a run that did not converge counts all its real
    steps, a lower bound); convergence, episodes and planning kept."""
    work = curve.model_work_per_step
    return dataclasses.replace(
        curve, x=np.array([work]), values=curve.convergence.values[:, None], panel=panel
    )


@experiment(
    "frontier",
    "real steps against model work per real step, family by family; --quick "
    "cannot show the curves (one budget per family) nor rank Dyna-Q's alpha and "
    "Q0 (4 episodes; the full budget runs 20)",
    runs=10,
    quick={
        "n_runs": 2,
        "n_episodes": 4,
        "planning_steps": (10,),
        "sweeping_steps": (10,),
        "horizons": (2,),
        "n_candidates": (16,),
        "max_steps": 200,
        "slippery_mpc": False,
    },
    group="beyond",
)
def frontier(
    run: Run,
    *,
    n_episodes: int = 20,
    planning_steps: tuple[int, ...] = (1, 10, 100),
    sweeping_steps: tuple[int, ...] = (1, 10, 100),
    horizons: tuple[int, ...] = (2, 3),
    n_candidates: tuple[int, ...] = (16, 64),
    slip: float = 0.2,
    max_steps: int = 500,
    slippery_mpc: bool = True,
) -> Study:
    """Real steps to convergence against model work per real step: one point
    per agent and budget, on the Dyna maze and on its slippery version.

    The families (:data:`FAMILIES`): Q-learning; Dyna-Q over ``n`` in
    ``planning_steps`` at alpha 0.1 and 1, each with Q0 = 0 and 1;
    prioritized sweeping over ``n`` in ``sweeping_steps`` (alpha 1, Q0 = 1,
    where Dyna-Q does best on the Dyna maze); greedy on values (the standard
    MPC at horizon 1, 4 candidates); MPC at each horizon of ``horizons`` with
    as many candidates of ``n_candidates`` (paired).

    The slippery maze moves at random with probability ``slip``. There the
    model-based agents learn counted models; prioritized sweeping (whose model
    is deterministic) is left out; MPC beyond greedy on values runs only with
    ``slippery_mpc`` (on the loop engine: the batched MPC learns a
    deterministic model); and a planner's episode stops after ``max_steps``
    real steps (the next starts at S): a pair it has seen once is known to
    it, so one slip can shut a door for good, and its run would never end.

    Each series is one point: x its measured model work per real step,
    values its runs' real steps to convergence, with its convergence (k/N,
    censored median); its ``panel`` is its maze's index in :data:`MAZES`,
    and :func:`curves` groups the points into curves. The settings the
    batched engine can run share batches (see
    :func:`~tabular_mbrl.batched.fusion_key`), the others run on the loop;
    ``jobs`` runs these side by side.
    """
    n_episodes = check_int("n_episodes", n_episodes, low=1)
    budgets = {}
    for name, values in (
        ("planning_steps", planning_steps),
        ("sweeping_steps", sweeping_steps),
        ("horizons", horizons),
        ("n_candidates", n_candidates),
    ):
        values = check_nonempty(name, values)
        for i, value in enumerate(values):
            check_int(f"{name}[{i}]", value, low=1)
        if len(set(values)) < len(values):
            raise ValueError(f"{name} == {values}, must not repeat a setting")
        budgets[name] = values
    if len(budgets["horizons"]) != len(budgets["n_candidates"]):
        raise ValueError(
            f"horizons == {budgets['horizons']} and n_candidates == "
            f"{budgets['n_candidates']}, must be as long (MPC's budgets, paired)"
        )
    slip = check_real("slip", slip, low=0.0, high=1.0, low_open=True)
    max_steps = check_int("max_steps", max_steps, low=1)
    slippery_mpc = check_bool("slippery_mpc", slippery_mpc)
    mazes = [
        frontier_specs(**budgets),
        frontier_specs(**budgets, slippery=True, mpc=slippery_mpc),
    ]
    run.series([spec.label for specs in mazes for _, spec in specs])

    def maze(panel: int, spec: AgentSpec) -> Callable[[], gridworlds.GridWorld]:
        if panel == 0:
            return partial(gridworlds.make, "dyna_maze")
        limit = max_steps if spec.agent_class is RandomShootingAgent else None
        return partial(gridworlds.make, "dyna_maze", slip=slip, max_steps=limit)

    # A task per maze and twin of the batched engine (its batches, one per
    # fusion key, run one after another), and one per setting on the loop;
    # the slippery maze's first, since they take longest.
    tasks, panels = [], []
    for panel in (1, 0):
        groups: dict[object, list[AgentSpec]] = {}
        for _, spec in mazes[panel]:
            if run.wants(spec.label):
                key = fusion_key(spec)
                twin = ("loop", spec.label) if key is None else key[0]
                groups.setdefault(twin, []).append(spec)
        for group in groups.values():
            tasks.append(
                partial(
                    episode_settings,
                    group,
                    maze(panel, group[0]),
                    run,
                    n_episodes=n_episodes,
                    jobs=1,
                )
            )
            panels.append(panel)
    points = {}
    for panel, results in zip(panels, in_parallel(tasks, run.jobs), strict=True):
        points.update({curve.name: _point(curve, panel) for curve in results})
    series = [points[s.label] for specs in mazes for _, s in specs if s.label in points]
    return Study(
        "frontier",
        "What planning buys (real steps) and what it costs (model work)",
        "model work per real step (measured)",
        "real steps to convergence",
        series,
        kind="bar",
        note=(
            f"Slippery maze: slip {slip:g}, counted models, a planner's episodes "
            f"stop after {max_steps:,} steps; no prioritized sweeping (its model "
            "is deterministic)"
        ),
    )
