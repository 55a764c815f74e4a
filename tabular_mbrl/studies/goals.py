"""Goals that move: the goal of the Dyna maze moves mid-run (who is told, and
how fast each agent reaches the new one), and intermediate goals set on the
fly (MPC follows them, Dyna-Q re-learns)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial

import numpy as np

import gridworlds

from .._checks import check_int
from ..agents._fast_dyna_q import fast_planning
from ..experiments import interact, run_steps, tell
from ..results import Series, Study, work_per_step
from ..spec import AgentSpec
from .registry import LOOP_ONLY, Run, experiment
from .running import engine_for, in_parallel
from .specs import (
    STANDARD_MPC,
    dyna_q_spec,
    exact_dyna_q,
    matched_dyna_q,
    matched_note,
)


def _dyna_maze() -> gridworlds.GridWorld:
    return gridworlds.make("dyna_maze")


def _then_matched(
    run: Run,
    labels: tuple[str, ...],
    task: Callable[[str], Callable[[], Series]],
    run_matched: Callable[[AgentSpec], Series],
    where: str,
) -> tuple[list[Series], str]:
    """The series ``labels[:-1]`` (``task(label)()``, side by side: a task a
    worker process can be sent), then the last, Dyna-Q with MPC's measured
    compute (``run_matched(spec)``, with :func:`~.specs.matched_dyna_q`).
    MPC runs to be measured even where ``only`` leaves it out. Returns the
    series and the note that says what ``n`` the match gave."""
    matched = labels[-1]
    measure = run.wants(matched) and not run.wants("MPC")  # MPC, not reported
    if measure:
        run.announce(["MPC"])
    tasks = [
        task(label)
        for label in labels[:-1]
        if run.wants(label) or (label == "MPC" and measure)
    ]
    series = in_parallel(tasks, run.jobs)
    if not run.wants(matched):
        return series, ""
    mpc = series.pop(0) if measure else series[0]
    spec = matched_dyna_q(mpc.model_work_per_step)
    series.append(run_matched(spec))
    return series, matched_note(matched, spec, mpc.model_work_per_step, where)


#: Where :func:`goal_change` moves the goal of the Dyna maze, as (row, col).
GOAL_MOVED_TO = (5, 8)


@dataclasses.dataclass(frozen=True)
class MovedGoal:
    """The Dyna maze whose goal moves from (0, 8) to :data:`GOAL_MOVED_TO`
    after ``change_at`` real steps, and the new goal as an agent is told it:
    ``reward_fn`` and ``terminal_fn``, vectorised
    (:func:`~tabular_mbrl.experiments.tell`)."""

    change_at: int
    goal: int

    def make(self) -> gridworlds.ShiftingMaze:
        moved = gridworlds.variant("dyna_maze", goals=[GOAL_MOVED_TO])
        return gridworlds.ShiftingMaze(
            _dyna_maze().layout, moved.layout, change_at=self.change_at
        )

    def reward_fn(self, states, actions, next_states) -> np.ndarray:
        return (next_states == self.goal) * 1.0

    def terminal_fn(self, states, actions, next_states) -> np.ndarray:
        return next_states == self.goal


def goal_change_maze(change_at: int) -> MovedGoal:
    """The maze of :func:`goal_change`, its goal moving after ``change_at``."""
    goal = gridworlds.make("dyna_maze").to_state(*GOAL_MOVED_TO)
    return MovedGoal(change_at, goal)


#: The series of :func:`goal_change`, in order: the agents told the new goal,
#: Dyna-Q not told, then the matched controls (all told): MPC exploring as
#: Dyna-Q does, Dyna-Q with MPC's exact backup and optimism, and with MPC's
#: compute since the change as well.
GOAL_CHANGE = (
    "MPC",
    "greedy on values, told",
    "Dyna-Q, told",
    "Dyna-Q, not told",
    "MPC, epsilon=0.1",
    "Dyna-Q, alpha=1, Q0=1, told",
    "Dyna-Q, MPC's compute, told",
)


@experiment(
    "goal-change",
    "the goal moves: who is told, and how fast each reaches the new one",
    runs=20,
    quick={"n_runs": 5, "n_steps": 1000, "change_at": 500},
    group="beyond",
)
def goal_change(
    run: Run,
    *,
    n_steps: int = 3000,
    change_at: int = 1500,
    n_planning_steps: int = 50,
) -> Study:
    """The goal of the Dyna maze moves to (5, 8) after ``change_at`` real
    steps. Every agent that can use the new reward is told it at that moment
    (:func:`~tabular_mbrl.experiments.tell`): MPC and greedy on values (MPC
    at horizon 1) plan with the new reward function; Dyna-Q n=50 has its
    model's rewards relabelled, beside Dyna-Q that is not told and must
    unlearn the old goal from experience. The matched controls, told: MPC
    with Dyna-Q's epsilon = 0.1; Dyna-Q with alpha = 1 and Q0 = 1; and that
    Dyna-Q with as many backups per real step as MPC's measured model work
    since the change (run after MPC, which runs to be measured even where
    ``only`` leaves it out). The values are the cumulative reward counted
    from the change, against real steps since it; each series' model work
    per real step is counted over the same steps."""
    n_steps = check_int("n_steps", n_steps, low=2)
    change_at = check_int("change_at", change_at, low=1, high=n_steps - 1)
    maze = goal_change_maze(change_at)
    told = partial(_tell_the_new_goal, maze)
    dyna = dyna_q_spec(n_planning_steps)
    settings = [
        (STANDARD_MPC, told),
        (STANDARD_MPC.replace(horizon=1, n_candidates=4), told),
        (dyna, told),
        (dyna, None),
        (STANDARD_MPC.replace(epsilon=0.1), told),
        (exact_dyna_q(n_planning_steps), told),
    ]
    run.series(GOAL_CHANGE)
    by_label = dict(zip(GOAL_CHANGE, settings, strict=False))
    series, note = _then_matched(
        run,
        GOAL_CHANGE,
        lambda label: partial(
            _since_the_change, label, *by_label[label], run, maze, n_steps
        ),
        lambda spec: _since_the_change(GOAL_CHANGE[-1], spec, told, run, maze, n_steps),
        "since the change",
    )
    return Study(
        "goal-change",
        f"The goal moves after {change_at:,} real steps: reward from then on",
        "real steps since the goal moved",
        "cumulative reward since the goal moved",
        series,
        note=note,
    )


def _tell_the_new_goal(maze: MovedGoal, env: object, agent: object) -> None:
    """Tell ``agent`` the goal ``maze`` has moved to (``on_change``)."""
    tell(agent, maze.reward_fn, maze.terminal_fn)


def _since_the_change(
    label: str,
    spec: AgentSpec,
    on_change: Callable[[object, object], None] | None,
    run: Run,
    maze: MovedGoal,
    n_steps: int,
) -> Series:
    """One series of :func:`goal_change`: the cumulative reward of ``spec``
    since the goal moved, ``on_change(env, agent)`` called when it does."""
    change_at = maze.change_at
    results = run_steps(
        maze.make,
        spec,
        n_steps=n_steps,
        n_runs=run.n_runs,
        seed=run.seed,
        on_change=on_change,
        engine=engine_for(spec, run.engine),
        progress=run.reporter(label),
    )
    cumulative = results.cumulative_reward
    since = cumulative[:, change_at:] - cumulative[:, change_at - 1 : change_at]
    work = results.planning_updates
    return Series(
        label,
        np.arange(1, n_steps - change_at + 1),
        since,
        model_work_per_step=work_per_step(
            work[:, -1] - work[:, change_at - 1],
            np.full(run.n_runs, n_steps - change_at),
        ),
    )


#: The goals of :func:`waypoints` on the Dyna maze, as (row, col), in order:
#: A (bottom middle), B (top, left of the right wall), then the maze's G.
WAYPOINTS = ((5, 4), (0, 3), (0, 8))

#: Its agents, in order: MPC and Dyna-Q as in the book, then the matched
#: controls (told): MPC exploring as Dyna-Q does, Dyna-Q with MPC's exact
#: backup and optimism, and with MPC's compute in the legs as well.
WAYPOINT_AGENTS = (
    "MPC",
    "Dyna-Q, told",
    "Dyna-Q, not told",
    "MPC, epsilon=0.1",
    "Dyna-Q, alpha=1, Q0=1, told",
    "Dyna-Q, MPC's compute, told",
)


def waypoint_leg(start: tuple[int, int], goal: tuple[int, int], max_steps: int):
    """The Dyna maze's walls with the start and goal moved: one leg."""
    return gridworlds.variant(
        "dyna_maze", start=start, goals=[goal], max_steps=max_steps
    )


@experiment(
    "waypoints",
    "intermediate goals set on the fly: MPC follows, Dyna-Q re-learns",
    runs=20,
    quick={"n_runs": 2, "n_tours": 1, "warmup": 3, "max_steps": 500},
    group="beyond",
    engines=LOOP_ONLY,
)
def waypoints(
    run: Run,
    *,
    n_tours: int = 2,
    n_planning_steps: int = 50,
    warmup: int = 5,
    max_steps: int = 1000,
) -> Study:
    """Intermediate goals on the Dyna maze: after ``warmup`` episodes from S
    to G, in which every agent learns the maze, reach A, then B, then G
    (:data:`WAYPOINTS`), ``n_tours`` times over, each leg starting where the
    last one ended. The agent keeps what it learned from leg to leg; only
    the goal moves. MPC is handed each leg's goal through ``reward_fn``
    (:func:`~tabular_mbrl.experiments.tell`) and plans for it at once;
    Dyna-Q n=50 is told too (its model's rewards relabelled) or not, and its
    Q values, which point at the last goal, must be re-learned. Each value is
    the real steps a leg took (a leg stops after ``max_steps``: a run that
    never got there counts them); the model work per real step is counted
    over the legs. The matched controls, told: MPC with Dyna-Q's epsilon =
    0.1; Dyna-Q with alpha = 1 and Q0 = 1; and that Dyna-Q with as many
    backups per real step as MPC's measured work in the legs (run after MPC,
    which runs to be measured even where ``only`` leaves it out). The legs
    need the loop engine."""
    maze = _dyna_maze()
    n_tours = check_int("n_tours", n_tours, low=1)
    warmup = check_int("warmup", warmup, low=0)
    max_steps = check_int("max_steps", max_steps, low=1)
    legs, begin = [], maze.to_cell(maze.start_state)  # each leg from the last goal
    for goal in WAYPOINTS * n_tours:
        legs.append((begin, goal))
        begin = goal
    specs = [
        STANDARD_MPC,
        dyna_q_spec(n_planning_steps),
        dyna_q_spec(n_planning_steps),
        STANDARD_MPC.replace(epsilon=0.1),
        exact_dyna_q(n_planning_steps),
    ]
    told = (True, True, False, True, True)
    run.series(WAYPOINT_AGENTS)
    by_label = {
        label: (spec, t)
        for label, spec, t in zip(WAYPOINT_AGENTS, specs, told, strict=False)
    }
    walks = (run, legs, warmup, max_steps)
    series, note = _then_matched(
        run,
        WAYPOINT_AGENTS,
        lambda label: partial(_legs_walked, label, *by_label[label], *walks),
        lambda spec: _legs_walked(WAYPOINT_AGENTS[-1], spec, True, *walks),
        "in the legs",
    )
    names = "ABG" * n_tours
    return Study(
        "waypoints",
        "Intermediate goals on the Dyna maze: A, then B, then G",
        "leg (" + ", ".join(f"{i} to {n}" for i, n in enumerate(names, 1)) + ")",
        "real steps in the leg",
        series,
        log_y=True,
        note=note,
    )


def _legs_walked(
    label: str,
    spec: AgentSpec,
    told: bool,
    run: Run,
    legs: list[tuple[tuple[int, int], tuple[int, int]]],
    warmup: int,
    max_steps: int,
) -> Series:
    """One series of :func:`waypoints`: the real steps ``spec`` took in each
    leg, after ``warmup`` episodes; ``told`` each leg's goal or not."""
    steps = np.zeros((run.n_runs, len(legs)), dtype=np.int64)
    work = np.zeros(run.n_runs)  # model work in the legs
    seeds = np.random.SeedSequence(run.seed).spawn(run.n_runs)
    spec = fast_planning(spec)  # the same bits, planned faster
    for i, run_seed in enumerate(seeds):
        maze = _dyna_maze()
        rng = np.random.default_rng(run_seed)
        agent = spec.build(maze.n_states, maze.n_actions, rng)
        learning = interact(maze, agent, maze.reset()[0])
        for _ in range(warmup):  # learn the maze: episodes from S to G
            for step in learning:
                if step.terminated:
                    break
        before = agent.n_planning_updates
        for leg, (start, goal) in enumerate(legs):
            env = waypoint_leg(start, goal, max_steps)
            if told:
                target = env.to_state(*goal)
                tell(
                    agent,
                    lambda s, a, next_s, g=target: (next_s == g) * 1.0,
                    lambda s, a, next_s, g=target: next_s == g,
                )
            for step in interact(env, agent, env.reset()[0]):
                steps[i, leg] += 1
                if step.terminated or step.truncated:
                    break
        work[i] = agent.n_planning_updates - before
        if run.progress is not None:
            run.progress(label, i + 1, run.n_runs)
    return Series(
        label,
        np.arange(1, len(legs) + 1),
        steps,
        model_work_per_step=work_per_step(work, steps.sum(axis=1)),
    )
