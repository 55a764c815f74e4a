"""The named experiments behind the lectures and the CLI, each defined once.

Every function takes the book's parameters as defaults and returns a
:class:`Study`: a few :class:`Series` of per-run values, ready to be plotted
(:mod:`tabular_mbrl.plotting`) or written as CSV rows
``series,x,mean,ci_low,ci_high,n_runs``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import gridworlds

from ._checks import check_int
from .dyna_q import DynaQAgent
from .dyna_q_plus import DynaQPlusAgent
from .dynamic_programming import predict_distribution, shortest_path_length
from .experiments import (
    Progress,
    backups_until_optimal,
    confidence_interval,
    run_episodes,
    run_steps,
    steps_to_convergence,
)
from .models import DeterministicModel, EmpiricalModel
from .mpc import RandomShootingAgent
from .prioritized_sweeping import PrioritizedSweepingAgent


@dataclass(frozen=True)
class Series:
    """One curve (or bar group): per-run ``values`` of shape (n_runs, len(x)).

    ``real_steps`` is the mean number of real steps each run needed to
    converge (NaN where it does not apply), ``planning_updates`` the mean model
    backups or simulated transitions per run: the two costs the lecture compares.
    """

    name: str
    x: np.ndarray
    values: np.ndarray
    real_steps: float = float("nan")
    planning_updates: float = float("nan")

    @property
    def n_runs(self) -> int:
        return self.values.shape[0]

    def mean(self) -> np.ndarray:
        return self.values.mean(axis=0)

    def confidence_interval(self) -> tuple[np.ndarray, np.ndarray]:
        return confidence_interval(self.values)


@dataclass(frozen=True)
class Study:
    """The result of a named experiment: what to plot and how to label it."""

    name: str
    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    change_step: int | None = None
    kind: str = "line"  # "line", or "bar" for one value per series
    log_y: bool = False


#: Episodes averaged by the convergence test (see steps_to_convergence).
CONVERGENCE_WINDOW = 5


# -- agent factories with the book's settings -----------------------------------
def dyna(n: int, **kwargs) -> Callable:
    """Factory of :class:`DynaQAgent` with ``n`` planning steps (n = 0: Q-learning)."""
    return lambda env, rng: DynaQAgent(
        env.n_states, env.n_actions, n_planning_steps=n, rng=rng, **kwargs
    )


def mpc_agent(horizon: int = 5, n_candidates: int = 100, **kwargs) -> Callable:
    """Factory of the package's standard MPC agent: random shooting on a learned
    deterministic model, optimism for unknown pairs, value-iteration terminal
    values (see :class:`RandomShootingAgent`)."""
    kwargs = {"terminal_value": "value_iteration", "unknown_value": 1.0, **kwargs}
    return lambda env, rng: RandomShootingAgent(
        env.n_states,
        env.n_actions,
        horizon=horizon,
        n_candidates=n_candidates,
        rng=rng,
        **kwargs,
    )


def _convergence(steps: np.ndarray, optimal: int) -> np.ndarray:
    """:func:`steps_to_convergence` per run; NaN for runs too short to tell."""
    if steps.shape[1] < CONVERGENCE_WINDOW:
        return np.full(steps.shape[0], np.nan)
    return steps_to_convergence(steps, optimal, window=CONVERGENCE_WINDOW)


def _mean_of_finite(values: np.ndarray) -> float:
    """Mean over runs that converged; NaN if none did (or with too few episodes
    to tell)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def _engine_for(label: str, engine: str) -> str:
    """The batched engine runs Q-learning and the Dyna agents; an experiment
    forced to ``"batched"`` still runs its MPC series on the loop."""
    return "loop" if label == "MPC" and engine == "batched" else engine


_TASKS: list[Callable] = []  # what forked workers run, by index


def _run_task(index: int):
    return _TASKS[index]()


def in_parallel(tasks: list[Callable], jobs: int = 1) -> list:
    """``[task() for task in tasks]``, in up to ``jobs`` processes.

    Each setting of an experiment is independent (its own seeded runs), so the
    results are the same whatever ``jobs`` is. Workers are forked, so tasks may
    be closures; where fork is unavailable the tasks run here, one by one.
    """
    jobs = check_int("jobs", jobs, low=1)
    if (
        jobs == 1
        or len(tasks) == 1
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return [task() for task in tasks]
    _TASKS[:] = tasks
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(jobs, len(tasks))) as pool:
            return pool.map(_run_task, range(len(tasks)))
    finally:
        _TASKS.clear()


def _episode_series(
    name, env_factory, agent_factory, n_episodes, n_runs, seed, progress, engine="loop"
) -> Series:
    env = env_factory()
    optimal = shortest_path_length(env.model(), env.start_state)
    results = run_episodes(
        env_factory,
        agent_factory,
        n_episodes=n_episodes,
        n_runs=n_runs,
        seed=seed,
        progress=progress,
        engine=engine,
    )
    return Series(
        name,
        np.arange(1, n_episodes + 1),
        results.steps,
        _mean_of_finite(_convergence(results.steps, optimal)),
        float(results.planning_updates.sum(axis=1).mean()),
    )


def _episode_settings(
    settings, env_factory, n_episodes, n_runs, seed, progress, engine, jobs
) -> list[Series]:
    """:func:`_episode_series` for each ``(label, agent_factory)``, in up to
    ``jobs`` processes."""
    return in_parallel(
        [
            lambda label=label, factory=factory: _episode_series(
                label,
                env_factory,
                factory,
                n_episodes,
                n_runs,
                seed,
                progress,
                _engine_for(label, engine),
            )
            for label, factory in settings
        ],
        jobs,
    )


# -- chapter 8 of the book ----------------------------------------------------------
def dyna_maze(
    *,
    n_runs: int = 30,
    n_episodes: int = 50,
    planning_steps: tuple[int, ...] = (0, 5, 50),
    seed: int = 0,
    progress: Progress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """Figure 8.2: steps per episode of Dyna-Q with n planning steps (S&B §8.2).

    alpha 0.1, gamma 0.95, epsilon 0.1, Q0 = 0, on the Dyna maze. ``engine``
    as for :func:`run_episodes` (``"auto"``: batched for several runs);
    ``jobs`` settings run in parallel processes.
    """
    # Most planning first: the longest setting starts first when run in parallel.
    order = sorted(range(len(planning_steps)), key=lambda i: -planning_steps[i])
    done = in_parallel(
        [
            lambda n=planning_steps[i]: _episode_series(
                f"n={n}",
                lambda: gridworlds.make("dyna_maze"),
                dyna(n),
                n_episodes,
                n_runs,
                seed,
                progress,
                engine,
            )
            for i in order
        ],
        jobs,
    )
    series = [done[order.index(i)] for i in range(len(planning_steps))]
    return Study(
        "dyna-maze",
        "Dyna-Q on the Dyna maze (S&B Figure 8.2)",
        "episode",
        "steps per episode",
        series,
        log_y=True,
    )


def _changing_maze(
    name,
    title,
    env_name,
    n_runs,
    n_steps,
    n_planning_steps,
    alpha,
    kappa,
    mpc,
    seed,
    progress,
    engine,
    jobs,
) -> Study:
    agents = {
        "Dyna-Q": dyna(n_planning_steps, alpha=alpha),
        "Dyna-Q+": lambda env, rng: DynaQPlusAgent(
            env.n_states,
            env.n_actions,
            n_planning_steps=n_planning_steps,
            alpha=alpha,
            kappa=kappa,
            rng=rng,
        ),
    }
    if mpc:
        agents["MPC"] = mpc_agent()

    def setting(label: str, factory: Callable) -> tuple[Series, int | None]:
        results = run_steps(
            lambda: gridworlds.make(env_name),
            factory,
            n_steps=n_steps,
            n_runs=n_runs,
            seed=seed,
            progress=progress,
            engine=_engine_for(label, engine),
        )
        series = Series(
            label,
            np.arange(1, n_steps + 1),
            results.cumulative_reward,
            planning_updates=float(results.planning_updates[:, -1].mean()),
        )
        return series, results.change_step

    done = in_parallel(
        [lambda item=item: setting(*item) for item in agents.items()], jobs
    )
    series = [s for s, _ in done]
    return Study(name, title, "real steps", "cumulative reward", series, done[-1][1])


def blocking_maze(
    *,
    n_runs: int = 20,
    n_steps: int = 3000,
    n_planning_steps: int = 10,
    alpha: float = 1.0,
    kappa: float = 1e-4,
    mpc: bool = True,
    seed: int = 0,
    progress: Progress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """Figure 8.4: the short path closes at step 1000 (S&B Example 8.2)."""
    return _changing_maze(
        "blocking-maze",
        "Blocking maze (S&B Figure 8.4)",
        "blocking_maze",
        n_runs,
        n_steps,
        n_planning_steps,
        alpha,
        kappa,
        mpc,
        seed,
        progress,
        engine,
        jobs,
    )


def shortcut_maze(
    *,
    n_runs: int = 5,
    n_steps: int = 6000,
    n_planning_steps: int = 50,
    alpha: float = 1.0,
    kappa: float = 1e-3,
    mpc: bool = True,
    seed: int = 0,
    progress: Progress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """Figure 8.5: a shortcut opens at step 3000 (S&B Example 8.3)."""
    return _changing_maze(
        "shortcut-maze",
        "Shortcut maze (S&B Figure 8.5)",
        "shortcut_maze",
        n_runs,
        n_steps,
        n_planning_steps,
        alpha,
        kappa,
        mpc,
        seed,
        progress,
        engine,
        jobs,
    )


def prioritized_sweeping(
    *,
    scales: tuple[int, ...] = (1, 2, 3),
    n_runs: int = 5,
    n_planning_steps: int = 5,
    alpha: float = 0.5,
    theta: float = 1e-4,
    seed: int = 0,
    progress: Progress | None = None,
) -> Study:
    """Example 8.4: backups until the greedy path is near-shortest, as the Dyna
    maze grows (see :func:`backups_until_optimal` for the 20 % tolerance)."""
    agents = {
        "Dyna-Q": dyna(n_planning_steps, alpha=alpha),
        "Prioritized sweeping": lambda env, rng: PrioritizedSweepingAgent(
            env.n_states,
            env.n_actions,
            n_planning_steps=n_planning_steps,
            alpha=alpha,
            theta=theta,
            rng=rng,
        ),
    }
    sizes = [gridworlds.make("dyna_maze", scale=k).n_states for k in scales]
    series = []
    for label, factory in agents.items():
        values = np.column_stack(
            [
                backups_until_optimal(
                    lambda k=k: gridworlds.make("dyna_maze", scale=k),
                    factory,
                    n_runs=n_runs,
                    seed=seed,
                    progress=progress,
                )
                for k in scales
            ]
        )
        series.append(Series(label, np.array(sizes), values))
    return Study(
        "prioritized-sweeping",
        "Prioritized sweeping (S&B Example 8.4)",
        "states in the maze",
        "backups until optimal",
        series,
        log_y=True,
    )


# -- model-based RL beyond the book's figures ------------------------------------
def mpc(
    *,
    n_runs: int = 30,
    n_episodes: int = 50,
    horizon: int = 5,
    n_candidates: int = 100,
    seed: int = 0,
    progress: Progress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """Real steps to convergence against planning budget per real step:
    Q-learning (0), Dyna-Q (5, 50) and MPC (``horizon * n_candidates``)."""
    make = lambda: gridworlds.make("dyna_maze")  # noqa: E731
    agents = [
        ("Q-learning", 0, dyna(0)),
        ("Dyna-Q n=5", 5, dyna(5)),
        ("Dyna-Q n=50", 50, dyna(50)),
        ("MPC", horizon * n_candidates, mpc_agent(horizon, n_candidates)),
    ]
    curves = _episode_settings(
        [(label, factory) for label, _, factory in agents],
        make,
        n_episodes,
        n_runs,
        seed,
        progress,
        engine,
        jobs,
    )
    series = []
    for (label, budget, _), curve in zip(agents, curves, strict=True):
        optimal = shortest_path_length(make().model(), make().start_state)
        per_run = _convergence(curve.values, optimal)[:, None]
        series.append(
            Series(
                label,
                np.array([budget]),
                per_run,
                curve.real_steps,
                curve.planning_updates,
            )
        )
    return Study(
        "mpc",
        "Real steps to convergence on the Dyna maze",
        "planning budget per real step",
        "real steps to convergence",
        series,
        kind="bar",
    )


def compare(
    *,
    n_runs: int = 10,
    n_episodes: int = 30,
    seed: int = 0,
    progress: Progress | None = None,
    engine: str = "auto",
    jobs: int = 1,
) -> Study:
    """Model-free vs Dyna-Q vs MPC: steps per episode on the Dyna maze."""
    make = lambda: gridworlds.make("dyna_maze")  # noqa: E731
    settings = [
        ("Q-learning", dyna(0)),
        ("Dyna-Q n=50", dyna(50)),
        ("MPC", mpc_agent()),
    ]
    series = _episode_settings(
        settings, make, n_episodes, n_runs, seed, progress, engine, jobs
    )
    return Study(
        "compare",
        "Model-free vs model-based on the Dyna maze",
        "episode",
        "steps per episode",
        series,
        log_y=True,
    )


GOAL_MOVED_TO = (5, 8)


def goal_change(
    *,
    n_runs: int = 10,
    n_steps: int = 3000,
    change_at: int = 1500,
    n_planning_steps: int = 50,
    seed: int = 0,
    progress: Progress | None = None,
) -> Study:
    """The goal of the Dyna maze moves to (5, 8) at real step ``change_at``.

    MPC is handed the new reward function at that moment and goes to the new
    goal at once; Dyna-Q keeps walking to the old one until its Q-values
    unlearn it.
    """
    new_layout = gridworlds.registry.DYNA_MAZE.strip().replace("G", ".")
    rows = new_layout.splitlines()
    row, col = GOAL_MOVED_TO
    rows[row] = rows[row][:col] + "G" + rows[row][col + 1 :]

    def make():
        return gridworlds.ShiftingMaze(
            gridworlds.registry.DYNA_MAZE, "\n".join(rows), change_at=change_at
        )

    goal = make().to_state(row, col)

    def move_goal(env, agent):
        if isinstance(agent, RandomShootingAgent):
            agent.reward_fn = lambda s, a, next_s: (next_s == goal) * 1.0
            agent.terminal_fn = lambda s, a, next_s: next_s == goal

    series = []
    for label, factory in [
        (f"Dyna-Q n={n_planning_steps}", dyna(n_planning_steps)),
        ("MPC", mpc_agent()),
    ]:
        results = run_steps(
            make,
            factory,
            n_steps=n_steps,
            n_runs=n_runs,
            seed=seed,
            on_change=move_goal,
            progress=progress,
        )
        series.append(
            Series(label, np.arange(1, n_steps + 1), results.cumulative_reward)
        )
    return Study(
        "goal-change",
        "The goal moves; MPC follows at once",
        "real steps",
        "cumulative reward",
        series,
        change_at,
    )


def model_errors(
    *,
    slip: float = 0.2,
    horizon: int = 20,
    n_runs: int = 10,
    n_learning_steps: int = 3000,
    n_sequences: int = 50,
    seed: int = 0,
    progress: Progress | None = None,
) -> Study:
    """Compounding model error on the slippery Dyna maze.

    Each run learns a deterministic and an empirical model from
    ``n_learning_steps`` random real steps, then compares the state
    distribution each predicts after 1..``horizon`` steps of random action
    sequences with the true one (total variation distance, 0 to 1).
    """
    env = gridworlds.make("dyna_maze", slip=slip)
    truth = env.model()
    errors = {"deterministic model": [], "empirical model": []}
    for run, run_seed in enumerate(np.random.SeedSequence(seed).spawn(n_runs)):
        rng = np.random.default_rng(run_seed)
        models = [
            DeterministicModel(env.n_states, env.n_actions),
            EmpiricalModel(env.n_states, env.n_actions),
        ]
        state, _ = env.reset(seed=int(rng.integers(2**31)))
        for _ in range(n_learning_steps):
            action = int(rng.integers(env.n_actions))
            next_state, reward, terminated, truncated, _ = env.step(action)
            for model in models:
                model.update(state, action, reward, next_state, terminated)
            state = env.reset()[0] if terminated or truncated else next_state
        sequences = rng.integers(env.n_actions, size=(n_sequences, horizon))
        true = [predict_distribution(truth, env.start_state, s) for s in sequences]
        for label, model in zip(errors, models, strict=True):
            tv = [
                0.5
                * np.abs(predict_distribution(model, env.start_state, s) - t).sum(
                    axis=1
                )
                for s, t in zip(sequences, true, strict=True)
            ]
            errors[label].append(np.mean(tv, axis=0))
        if progress is not None:
            progress(run + 1, n_runs)
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


def mpc_budget(
    *,
    horizons: tuple[int, ...] = (1, 2, 5, 10),
    candidates: tuple[int, ...] = (10, 100, 1000),
    n_runs: int = 5,
    n_episodes: int = 30,
    seed: int = 0,
    progress: Progress | None = None,
) -> Study:
    """Horizon x candidates sweep of MPC on the Dyna maze: real steps to
    convergence per setting (the planning cost grows as their product)."""
    make = lambda: gridworlds.make("dyna_maze")  # noqa: E731
    optimal = shortest_path_length(make().model(), make().start_state)
    series = []
    for n_candidates in candidates:
        values, cost = [], []
        for horizon in horizons:
            results = run_episodes(
                make,
                mpc_agent(horizon, n_candidates),
                n_episodes=n_episodes,
                n_runs=n_runs,
                seed=seed,
                progress=progress,
            )
            values.append(_convergence(results.steps, optimal))
            cost.append(results.planning_updates.sum(axis=1).mean())
        series.append(
            Series(
                f"{n_candidates} candidates",
                np.array(horizons),
                np.column_stack(values),
                planning_updates=float(np.mean(cost)),
            )
        )
    return Study(
        "mpc-budget",
        "MPC budget: horizon x candidates",
        "horizon",
        "real steps to convergence",
        series,
    )


#: name -> (function, one-line description), in the order ``list`` shows them.
STUDIES: dict[str, tuple[Callable[..., Study], str]] = {
    "compare": (compare, "model-free vs Dyna-Q vs MPC on the Dyna maze (default)"),
    "dyna-maze": (dyna_maze, "Figure 8.2: Dyna-Q with n = 0, 5, 50 planning steps"),
    "blocking-maze": (
        blocking_maze,
        "Figure 8.4: Dyna-Q vs Dyna-Q+ vs MPC when the short path closes",
    ),
    "shortcut-maze": (
        shortcut_maze,
        "Figure 8.5: who finds the shortcut that opens at step 3000",
    ),
    "prioritized-sweeping": (
        prioritized_sweeping,
        "Example 8.4: backups until optimal as the maze grows",
    ),
    "mpc": (mpc, "real steps to convergence: Q-learning vs Dyna-Q vs MPC"),
    "goal-change": (
        goal_change,
        "the goal moves: MPC follows at once, Dyna-Q must unlearn",
    ),
    "model-errors": (
        model_errors,
        "compounding multi-step model error on a slippery maze",
    ),
    "mpc-budget": (mpc_budget, "MPC horizon x candidates sweep"),
}


#: Small budgets for ``run NAME --quick``: a preview in a few seconds, same
#: settings otherwise (any change still falls inside the shorter run).
QUICK: dict[str, dict] = {
    "compare": {"n_episodes": 10},
    "dyna-maze": {"n_episodes": 10},
    "blocking-maze": {"n_steps": 1500},
    "shortcut-maze": {"n_steps": 3300, "n_planning_steps": 10},
    "prioritized-sweeping": {"scales": (1, 2)},
    "mpc": {"n_episodes": 20},
    "goal-change": {"n_steps": 1000, "change_at": 500},
    "model-errors": {"horizon": 10, "n_learning_steps": 1000},
    "mpc-budget": {"horizons": (1, 5), "candidates": (10, 100), "n_episodes": 10},
}
