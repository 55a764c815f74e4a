"""Model-based RL beyond the book's figures: MPC against Dyna-Q and Q-learning,
goals that move, and models that are wrong."""

from __future__ import annotations

import dataclasses

import numpy as np

import gridworlds

from .._checks import check_int, check_real
from ..agents.dyna_q import DynaQAgent
from ..agents.mpc import ReplanningAgent
from ..agents.q_learning import QLearningAgent
from ..agents.random_walk import RandomWalkAgent
from ..agents.replay import ReplayQAgent
from ..dynamic_programming import predict_distribution
from ..experiments import interact, run_steps, tell
from ..models import DeterministicModel, EmpiricalModel, total_variation
from ..results import Series, Study
from ..spec import AgentSpec
from ._common import (
    STANDARD_MPC,
    StudyProgress,
    engine_for,
    episode_settings,
    experiment,
    in_parallel,
    named,
    run_settings,
)
from .book import dyna_q_spec


def _dyna_maze() -> gridworlds.GridWorld:
    return gridworlds.make("dyna_maze")


@experiment(
    "compare",
    "model-free vs Dyna-Q vs MPC on the Dyna maze (default)",
    quick={"n_runs": 2, "n_episodes": 6},
    group="beyond",
    batched=True,
)
def compare(
    *,
    n_runs: int = 10,
    n_episodes: int = 30,
    seed: int = 0,
    progress: StudyProgress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """Model-free vs Dyna-Q vs MPC: steps per episode on the Dyna maze."""
    specs = [
        AgentSpec(QLearningAgent, label="Q-learning"),
        dyna_q_spec(50, label="Dyna-Q n=50"),
        STANDARD_MPC,
    ]
    series = episode_settings(
        specs,
        _dyna_maze,
        jobs=jobs,
        n_episodes=n_episodes,
        n_runs=n_runs,
        seed=seed,
        progress=progress,
        engine=engine,
    )
    return Study(
        "compare",
        "Model-free vs model-based on the Dyna maze",
        "episode",
        "steps per episode",
        series,
        log_y=True,
    )


@experiment(
    "mpc",
    "real steps to convergence: Q-learning vs Dyna-Q vs MPC",
    quick={"n_runs": 2, "n_episodes": 10},
    group="beyond",
    batched=True,
)
def mpc_real_steps(
    *,
    n_runs: int = 30,
    n_episodes: int = 50,
    horizon: int = STANDARD_MPC.params["horizon"],
    n_candidates: int = STANDARD_MPC.params["n_candidates"],
    seed: int = 0,
    progress: StudyProgress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """Real steps to convergence against planning budget per real step:
    Q-learning (0), Dyna-Q (5, 50) and MPC (``horizon * n_candidates``)."""
    settings = [
        (AgentSpec(QLearningAgent, label="Q-learning"), 0),
        (dyna_q_spec(5, label="Dyna-Q n=5"), 5),
        (dyna_q_spec(50, label="Dyna-Q n=50"), 50),
        (
            STANDARD_MPC.replace(horizon=horizon, n_candidates=n_candidates),
            horizon * n_candidates,
        ),
    ]
    curves = episode_settings(
        [spec for spec, _ in settings],
        _dyna_maze,
        jobs=jobs,
        n_episodes=n_episodes,
        n_runs=n_runs,
        seed=seed,
        progress=progress,
        engine=engine,
    )
    return Study(
        "mpc",
        "Real steps to convergence on the Dyna maze",
        "planning budget per real step",
        "real steps to convergence",
        _bars(curves, [budget for _, budget in settings]),
        kind="bar",
    )


def _bars(curves: list[Series], xs: list[float]) -> list[Series]:
    """One bar per curve: its runs' real steps to convergence (a run that did
    not converge counts its real steps, a lower bound), at ``x``; the
    curve's convergence, first and final episodes and planning kept."""
    return [
        dataclasses.replace(
            curve, x=np.array([x]), values=curve.convergence.values[:, None]
        )
        for curve, x in zip(curves, xs, strict=True)
    ]


#: The series of :func:`mpc_ablation`, in order: the standard MPC, then one
#: ingredient changed at a time, then Dyna-Q with and without optimism.
ABLATION = (
    "MPC",
    "MPC, no optimism",
    "MPC, no terminal values (h=10)",
    "MPC, no terminal values (h=30)",
    "greedy on values (h=1)",
    "Dyna-Q n=50",
    "Dyna-Q n=50, optimistic Q0",
)


def ablation_specs(n_sampled: int = 100) -> list[AgentSpec]:
    """The agents of :func:`mpc_ablation`, labelled as :data:`ABLATION`.

    The standard MPC scores every sequence of 3 actions and adds value
    iteration's values where a rollout ends, on a model that is optimistic
    about pairs it has not seen (worth 1, the goal's reward). Each variant
    changes one ingredient: no optimism (unseen pairs stay put, worth 0); no
    terminal values (the rollout must reach the goal itself, so longer
    horizons, with ``n_sampled`` random sequences since 4^10 are too many to
    score); no rollouts beyond one step (greedy on the values). Dyna-Q n=50
    with Q0 = 1 gives the model-free planner the same optimism.
    """
    no_values = STANDARD_MPC.replace(terminal_value=None, n_candidates=n_sampled)
    specs = [
        STANDARD_MPC,
        STANDARD_MPC.replace(unknown_value=None),
        no_values.replace(horizon=10),
        no_values.replace(horizon=30),
        STANDARD_MPC.replace(horizon=1, n_candidates=4),
        dyna_q_spec(50),
        dyna_q_spec(50, q_init=1.0),
    ]
    return [
        spec.replace(label=label) for spec, label in zip(specs, ABLATION, strict=True)
    ]


@experiment(
    "mpc-ablation",
    "what MPC's saving in real steps comes from, one ingredient at a time",
    quick={"n_runs": 2, "n_episodes": 6, "n_sampled": 20},
    group="beyond",
    batched=True,
)
def mpc_ablation(
    *,
    n_runs: int = 20,
    n_episodes: int = 20,
    n_sampled: int = 100,
    seed: int = 0,
    progress: StudyProgress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """Real steps to convergence of MPC with one ingredient taken away at a
    time, beside Dyna-Q n=50 with and without optimistic initial values, on
    the Dyna maze (see :func:`ablation_specs`). Each bar's x is the model work
    it did per real step (simulated transitions, value-iteration and Dyna
    backups), as measured."""
    curves = episode_settings(
        ablation_specs(n_sampled),
        _dyna_maze,
        jobs=jobs,
        n_episodes=n_episodes,
        n_runs=n_runs,
        seed=seed,
        progress=progress,
        engine=engine,
    )
    per_step = [c.planning_updates / c.values.sum(axis=1).mean() for c in curves]
    return Study(
        "mpc-ablation",
        "Where MPC's saving comes from (Dyna maze)",
        "model work per real step",
        "real steps to convergence",
        _bars(curves, per_step),
        kind="bar",
    )


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
        rows = gridworlds.registry.DYNA_MAZE.strip().replace("G", ".").splitlines()
        row, col = GOAL_MOVED_TO
        rows[row] = rows[row][:col] + "G" + rows[row][col + 1 :]
        return gridworlds.ShiftingMaze(
            gridworlds.registry.DYNA_MAZE, "\n".join(rows), change_at=self.change_at
        )

    def reward_fn(self, states, actions, next_states) -> np.ndarray:
        return (next_states == self.goal) * 1.0

    def terminal_fn(self, states, actions, next_states) -> np.ndarray:
        return next_states == self.goal


def goal_change_maze(change_at: int) -> MovedGoal:
    """The maze of :func:`goal_change`, its goal moving after ``change_at``."""
    goal = gridworlds.make("dyna_maze").to_state(*GOAL_MOVED_TO)
    return MovedGoal(change_at, goal)


#: The series of :func:`goal_change`, in order.
GOAL_CHANGE = ("MPC", "greedy on values, told", "Dyna-Q, told", "Dyna-Q, not told")


@experiment(
    "goal-change",
    "the goal moves: who is told, and how fast each reaches the new one",
    quick={"n_runs": 3, "n_steps": 1000, "change_at": 500},
    group="beyond",
    batched=True,
)
def goal_change(
    *,
    n_runs: int = 20,
    n_steps: int = 3000,
    change_at: int = 1500,
    n_planning_steps: int = 50,
    seed: int = 0,
    progress: StudyProgress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """The goal of the Dyna maze moves to (5, 8) after ``change_at`` real
    steps. Every agent that can use the new reward is told it at that moment
    (:func:`~tabular_mbrl.experiments.tell`): MPC and greedy on values (MPC
    at horizon 1) plan with the new reward function; Dyna-Q n=50 has its
    model's rewards relabelled, beside Dyna-Q that is not told and must
    unlearn the old goal from experience. The values are the cumulative reward
    counted from the change, against real steps since it."""
    maze = goal_change_maze(change_at)

    def told(env: object, agent: object) -> None:
        tell(agent, maze.reward_fn, maze.terminal_fn)

    dyna = dyna_q_spec(n_planning_steps)
    settings = [
        (STANDARD_MPC, told),
        (STANDARD_MPC.replace(horizon=1, n_candidates=4), told),
        (dyna, told),
        (dyna, None),
    ]

    def setting(label: str, spec: AgentSpec, on_change) -> Series:
        results = run_steps(
            maze.make,
            spec,
            n_steps=n_steps,
            n_runs=n_runs,
            seed=seed,
            on_change=on_change,
            engine=engine_for(spec, engine),
            progress=named(progress, label),
        )
        cumulative = results.cumulative_reward
        since = cumulative[:, change_at:] - cumulative[:, change_at - 1 : change_at]
        return Series(label, np.arange(1, n_steps - change_at + 1), since)

    tasks = [
        lambda label=label, spec=spec, on=on: setting(label, spec, on)
        for label, (spec, on) in zip(GOAL_CHANGE, settings, strict=True)
    ]
    return Study(
        "goal-change",
        f"The goal moves after {change_at:,} real steps: reward from then on",
        "real steps since the goal moved",
        "cumulative reward since the goal moved",
        in_parallel(tasks, jobs),
    )


@experiment(
    "model-errors",
    "compounding multi-step model error on a slippery maze",
    quick={"n_runs": 5, "horizon": 10, "n_learning_steps": 1000},
    group="beyond",
    batched=False,
)
def model_errors(
    *,
    slip: float = 0.2,
    horizon: int = 20,
    n_runs: int = 10,
    n_learning_steps: int = 3000,
    n_sequences: int = 50,
    more_data: int = 10,
    seed: int = 0,
    progress: StudyProgress | None = None,
    engine: str = "auto",
    jobs: int = 1,
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

    No agent learns here, so ``engine`` and ``jobs`` change nothing.
    """
    more_data = check_int("more_data", more_data, low=1)
    env = gridworlds.make("dyna_maze", slip=slip)
    truth = env.model()
    likely = most_likely_model(truth)
    errors = {name: [] for name in model_error_names(more_data)}
    run_seeds = np.random.SeedSequence(seed).spawn(n_runs + 1)
    longer = walk_counts(  # all runs' longer walks at once
        env, more_data * n_learning_steps, n_runs, np.random.default_rng(run_seeds[-1])
    )
    for run, run_seed in enumerate(run_seeds[:n_runs]):
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
        models = [models[0], likely, models[1], counted_model(truth, longer[run])]
        sequences = rng.integers(env.n_actions, size=(n_sequences, horizon))
        true = [predict_distribution(truth, env.start_state, s) for s in sequences]
        for label, model in zip(errors, models, strict=True):
            tv = [
                total_variation(predict_distribution(model, env.start_state, s), t)
                for s, t in zip(sequences, true, strict=True)
            ]
            errors[label].append(np.mean(tv, axis=0))
        if progress is not None:
            progress("all models", run + 1, n_runs)
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


def most_likely_model(truth: gridworlds.TabularModel) -> gridworlds.TabularModel:
    """Each pair's most likely outcome under ``truth``, as a deterministic
    model (K = 1): a deterministic model with no learning error."""
    k = truth.probs.argmax(axis=2)[..., None]
    next_states, rewards, terminated = (
        np.take_along_axis(part, k, axis=2)
        for part in (truth.next_states, truth.rewards, truth.terminated)
    )
    return gridworlds.TabularModel(next_states, np.ones(k.shape), rewards, terminated)


def walk_counts(
    env: gridworlds.GridWorld, n_steps: int, n_runs: int, rng: np.random.Generator
) -> np.ndarray:
    """Outcome counts ``(runs, S, A, K)`` of ``n_runs`` uniform random walks of
    ``n_steps`` real steps on ``env``'s true model (slots ``K`` as the true
    model's), each restarting at the start after a terminal step; all runs
    step at once."""
    model = env.model()
    n_states, n_actions, n_outcomes = model.next_states.shape
    # Flat (pair, outcome) tables and every draw made up front: each step is a
    # few array operations over the runs.
    cumulative = model.probs.cumsum(axis=2).reshape(-1, n_outcomes)
    successor = model.next_states.reshape(-1, n_outcomes)
    ends = model.terminated.reshape(-1, n_outcomes)
    actions = rng.integers(n_actions, size=(n_steps, n_runs))
    draws = rng.random((n_steps, n_runs, 1))
    base = np.arange(n_runs) * n_states * n_actions
    states = np.full(n_runs, env.start_state)
    counts = np.zeros((n_runs, n_states, n_actions, n_outcomes), dtype=np.int64)
    flat = counts.reshape(-1)
    for t in range(n_steps):
        pairs = states * n_actions + actions[t]
        k = np.minimum((draws[t] >= cumulative[pairs]).sum(axis=1), n_outcomes - 1)
        flat[(base + pairs) * n_outcomes + k] += 1  # one pair per run: no repeats
        states = np.where(ends[pairs, k], env.start_state, successor[pairs, k])
    return counts


def counted_model(
    truth: gridworlds.TabularModel, counts: np.ndarray
) -> gridworlds.TabularModel:
    """The empirical model of ``counts`` ``(S, A, K)`` (outcome frequencies;
    a pair never tried stays in place, the models' rule), in ``truth``'s
    outcome slots."""
    totals = counts.sum(axis=2, keepdims=True)
    unseen = totals == 0  # (S, A, 1)
    stay = np.arange(len(counts))[:, None, None]  # the rule: stay, reward 0
    first = np.arange(counts.shape[2]) == 0
    return gridworlds.TabularModel(
        np.where(unseen, stay, truth.next_states),
        np.where(unseen, first * 1.0, counts / np.maximum(totals, 1)),
        np.where(unseen, 0.0, truth.rewards),
        np.where(unseen, False, truth.terminated),
    )


@experiment(
    "mpc-budget",
    "MPC horizon x candidates sweep",
    quick={
        "n_runs": 2,
        "horizons": (1, 5),
        "n_candidates": (10, 100),
        "n_episodes": 10,
    },
    group="beyond",
    batched=True,
)
def mpc_budget(
    *,
    horizons: tuple[int, ...] = (1, 2, 5, 10),
    n_candidates: tuple[int, ...] = (10, 100, 1000),
    n_runs: int = 5,
    n_episodes: int = 30,
    seed: int = 0,
    progress: StudyProgress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """Horizon x candidates sweep of the standard MPC agent on the Dyna maze:
    real steps to convergence per setting (the planning cost grows as their
    product). ``jobs`` runs the candidate counts side by side."""

    def setting(count: int) -> Series:
        curves = episode_settings(
            [STANDARD_MPC.replace(horizon=h, n_candidates=count) for h in horizons],
            _dyna_maze,
            jobs=1,
            n_episodes=n_episodes,
            n_runs=n_runs,
            seed=seed,
            progress=progress,
            engine=engine,
            series=False,  # its series are candidate counts, not these specs
        )
        converged = ", ".join(
            f"h={h} {c.convergence.fraction}"
            for h, c in zip(horizons, curves, strict=True)
        )
        return Series(
            f"{count} candidates",
            np.array(horizons),
            # A run that did not converge counts its budget: a lower bound.
            np.column_stack([c.convergence.values for c in curves]),
            planning_updates=float(np.mean([c.planning_updates for c in curves])),
        ), f"{count} candidates: {converged}"

    results = in_parallel([lambda c=c: setting(c) for c in n_candidates], jobs)
    note = "Runs converged per point (the others count their real steps):\n"
    return Study(
        "mpc-budget",
        "MPC budget: horizon x candidates",
        "horizon",
        "real steps to convergence (not converged: its budget)",
        [series for series, _ in results],
        note=note + "\n".join(line for _, line in results),
    )


#: The agents of :func:`replay_vs_dyna`, in order.
REPLAY_VS_DYNA = ("Replay", "Dyna-Q, deterministic model", "Dyna-Q, empirical model")

#: Its mazes, in order (x = 1, 2, 3 of the study).
REPLAY_MAZES = ("Dyna maze", "slippery Dyna maze", "blocking maze")


@experiment(
    "replay-vs-dyna",
    "experience replay vs Dyna-Q's models on three mazes, at equal updates",
    quick={"n_runs": 2, "n_steps": 1000, "blocking_steps": 1500, "window": 500},
    group="beyond",
    batched=True,
)
def replay_vs_dyna(
    *,
    n_runs: int = 20,
    n_steps: int = 3000,
    blocking_steps: int = 3000,
    n_updates: int = 10,
    alpha: float = 0.5,
    capacity: int = 1000,
    slip: float = 0.2,
    window: int = 1000,
    seed: int = 0,
    progress: StudyProgress | None = None,
    engine: str = "auto",
    jobs: int = 1,
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
    mazes = [
        (lambda: gridworlds.make("dyna_maze"), n_steps),
        (lambda: gridworlds.make("dyna_maze", slip=slip), n_steps),
        (lambda: gridworlds.make("blocking_maze"), blocking_steps),
    ]

    def on_maze(maze, steps: int, name: str) -> list:
        """One result per spec (None: left out by ``only=``). The two Dyna-Q
        settings share one batch (the same numbers as alone)."""
        named_progress = None
        if progress is not None:

            def named_progress(label, done, total):
                progress(f"{label}, {name}", done, total)

        return run_settings(
            run_steps,
            specs,
            maze,
            jobs=1,
            engine=engine,
            progress=named_progress,
            n_steps=steps,
            n_runs=n_runs,
            seed=seed,
        )

    # The mazes side by side (with jobs > 1), each in one process.
    by_maze = in_parallel(
        [
            lambda maze=maze, steps=steps, name=name: on_maze(maze, steps, name)
            for (maze, steps), name in zip(mazes, REPLAY_MAZES, strict=True)
        ],
        jobs,
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


#: The goals of :func:`waypoints` on the Dyna maze, as (row, col), in order:
#: A (bottom middle), B (top, left of the right wall), then the maze's G.
WAYPOINTS = ((5, 4), (0, 3), (0, 8))

#: Its agents, in order.
WAYPOINT_AGENTS = ("MPC", "Dyna-Q, told", "Dyna-Q, not told")


def waypoint_leg(start: tuple[int, int], goal: tuple[int, int], max_steps: int):
    """The Dyna maze's walls with the start and goal moved: one leg."""
    rows = [
        list(row.replace("S", ".").replace("G", "."))
        for row in gridworlds.registry.DYNA_MAZE.strip().splitlines()
    ]
    rows[start[0]][start[1]] = "S"
    rows[goal[0]][goal[1]] = "G"
    layout = "\n".join("".join(row) for row in rows)
    return gridworlds.GridWorld(layout, max_steps=max_steps)


@experiment(
    "waypoints",
    "intermediate goals set on the fly: MPC follows, Dyna-Q re-learns",
    quick={"n_runs": 2, "n_tours": 1, "warmup": 3, "max_steps": 500},
    group="beyond",
    batched=False,
)
def waypoints(
    *,
    n_runs: int = 20,
    n_tours: int = 2,
    n_planning_steps: int = 50,
    warmup: int = 5,
    max_steps: int = 1000,
    seed: int = 0,
    progress: StudyProgress | None = None,
    engine: str = "auto",
    jobs: int = 1,
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
    never got there counts them). The legs need the loop engine."""
    maze = _dyna_maze()
    legs, begin = [], maze.to_cell(maze.start_state)  # each leg from the last goal
    for goal in WAYPOINTS * n_tours:
        legs.append((begin, goal))
        begin = goal
    specs = [STANDARD_MPC, dyna_q_spec(n_planning_steps), dyna_q_spec(n_planning_steps)]

    def setting(label: str, spec: AgentSpec, told: bool) -> Series:
        steps = np.zeros((n_runs, len(legs)), dtype=np.int64)
        for run, run_seed in enumerate(np.random.SeedSequence(seed).spawn(n_runs)):
            maze = _dyna_maze()
            rng = np.random.default_rng(run_seed)
            agent = spec.build(maze.n_states, maze.n_actions, rng)
            learning = interact(maze, agent, maze.reset()[0])
            for _ in range(warmup):  # learn the maze: episodes from S to G
                for step in learning:
                    if step.terminated:
                        break
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
                    steps[run, leg] += 1
                    if step.terminated or step.truncated:
                        break
            if progress is not None:
                progress(label, run + 1, n_runs)
        return Series(label, np.arange(1, len(legs) + 1), steps)

    told = (True, True, False)
    tasks = [
        lambda label=label, spec=spec, t=t: setting(label, spec, t)
        for label, spec, t in zip(WAYPOINT_AGENTS, specs, told, strict=True)
    ]
    names = "ABG" * n_tours
    return Study(
        "waypoints",
        "Intermediate goals on the Dyna maze: A, then B, then G",
        "leg (" + ", ".join(f"{i} to {n}" for i, n in enumerate(names, 1)) + ")",
        "real steps in the leg",
        in_parallel(tasks, jobs),
        log_y=True,
    )


def _replan_label(every: int | None) -> str:
    if every is None:
        return "open loop"
    return "replan every step (MPC)" if every == 1 else f"replan every {every}"


@experiment(
    "replanning",
    "why MPC replans at every step: closed vs open loop on slippery mazes",
    quick={"n_runs": 2, "slips": (0.0, 0.2), "every": (1, None), "n_episodes": 5},
    group="beyond",
    batched=False,
)
def replanning(
    *,
    slips: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3),
    every: tuple[int | None, ...] = (1, 2, 4, 8, None),
    n_runs: int = 10,
    n_episodes: int = 20,
    n_learning_steps: int = 10_000,
    budget: int = 30,
    seed: int = 0,
    progress: StudyProgress | None = None,
    engine: str = "auto",
    jobs: int = 1,
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
    that reached the goal within the budget (k/N)."""
    slips = tuple(check_real("slip", s, low=0.0, high=1.0) for s in slips)
    budget = check_int("budget", budget, low=1)
    steps = np.zeros((len(every), n_runs, len(slips)))
    reached = np.zeros((len(every), len(slips)), dtype=np.int64)
    run_seeds = np.random.SeedSequence(seed).spawn(n_runs + 1)
    learn_seeds = run_seeds[-1].spawn(len(slips))  # the walks that learn models
    for j, slip in enumerate(slips):
        env = gridworlds.make("dyna_maze", slip=slip, max_steps=budget)
        truth = env.model()
        learn = np.random.default_rng(learn_seeds[j])
        counts = walk_counts(env, n_learning_steps, n_runs, learn)  # every run
        for run, run_seed in enumerate(run_seeds[:n_runs]):
            rng = np.random.default_rng(run_seed)
            env.reset(seed=int(rng.integers(2**31)))
            # Learned, and deterministic: each pair's most frequent outcome.
            model = most_likely_model(counted_model(truth, counts[run]))
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
                steps[i, run, j] = np.mean(lengths)
            if progress is not None:
                progress(f"slip {slip:g}", run + 1, n_runs)
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
            Series(_replan_label(k), np.array(slips), steps[i])
            for i, k in enumerate(every)
        ],
        note="\n".join(note),
    )
