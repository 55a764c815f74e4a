"""Running agents in environments over many seeded runs, and summarising them.

``run_episodes`` gives the curves of S&B Figure 8.2 (steps per episode);
``run_steps`` gives those of Figures 8.4 and 8.5 (cumulative reward against
real steps). Every run gets its own env and agent, with independent random
streams for each, spawned from one seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_int, check_real

EnvFactory = Callable[[], Any]
AgentFactory = Callable[[Any, np.random.Generator], Any]
Progress = Callable[[int, int], None]

# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom.
_T95 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


def confidence_interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95 % confidence interval of the mean across runs (axis 0), from Student's
    t (for more than 30 runs, ``1.96 + 2.5 / df``, within 0.002 of it).

    Parameters
    ----------
    values : ndarray, shape (n_runs, ...)

    Returns
    -------
    low, high : ndarray, shape (...)
        NaN with a single run, where the spread is unknown.
    """
    values = np.asarray(values, dtype=float)
    n_runs = values.shape[0]
    mean = values.mean(axis=0)
    if n_runs < 2:
        nan = np.full_like(mean, np.nan)
        return nan, nan.copy()
    df = n_runs - 1
    t = _T95[df - 1] if df <= len(_T95) else 1.96 + 2.5 / df
    half = t * values.std(axis=0, ddof=1) / np.sqrt(n_runs)
    return mean - half, mean + half


class _Summary:
    """``mean`` and ``confidence_interval`` of any per-run array field."""

    def mean(self, metric: str | None = None) -> np.ndarray:
        """Mean across runs of ``metric`` (default: the main one)."""
        return self._values(metric).mean(axis=0)

    def confidence_interval(
        self, metric: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """95 % confidence interval across runs of ``metric``."""
        return confidence_interval(self._values(metric))

    def _values(self, metric: str | None) -> np.ndarray:
        metric = self._main if metric is None else metric
        if metric not in self.__dataclass_fields__ or metric == "change_steps":
            known = [f for f in self.__dataclass_fields__ if f != "change_steps"]
            raise ValueError(f"metric == {metric!r}, must be one of {known}")
        return getattr(self, metric)


@dataclass(frozen=True)
class EpisodeResults(_Summary):
    """What ``run_episodes`` measured; every array has shape (n_runs, n_episodes).

    Attributes
    ----------
    steps : ndarray of int
        Real steps per episode (the main metric).
    returns : ndarray of float
        Undiscounted return per episode.
    planning_updates : ndarray of int
        Backups computed from the model during the episode.
    """

    steps: np.ndarray
    returns: np.ndarray
    planning_updates: np.ndarray
    _main = "steps"

    @property
    def n_runs(self) -> int:
        return self.steps.shape[0]

    @property
    def real_steps(self) -> np.ndarray:
        """Cumulative real steps at the end of each episode, (n_runs, n_episodes)."""
        return self.steps.cumsum(axis=1)

    def steps_to_convergence(self, optimal_length: int, **kwargs: Any) -> np.ndarray:
        """Real steps each run needed to converge; see :func:`steps_to_convergence`."""
        return steps_to_convergence(self.steps, optimal_length, **kwargs)


@dataclass(frozen=True)
class StepResults(_Summary):
    """What ``run_steps`` measured; arrays have shape (n_runs, n_steps).

    Attributes
    ----------
    cumulative_reward : ndarray of float
        Reward summed up to and including each real step (the main metric).
    planning_updates : ndarray of int
        Backups from the model up to each real step.
    change_steps : ndarray of int, shape (n_runs,)
        The real step after which the env reported ``info["changed"]``, or -1.
    """

    cumulative_reward: np.ndarray
    planning_updates: np.ndarray
    change_steps: np.ndarray
    _main = "cumulative_reward"

    @property
    def n_runs(self) -> int:
        return self.cumulative_reward.shape[0]

    @property
    def change_step(self) -> int | None:
        """The step where the env changed, if it did so at the same step in every
        run (as the mazes of S&B section 8.3 do); else None."""
        steps = np.unique(self.change_steps)
        return int(steps[0]) if len(steps) == 1 and steps[0] >= 0 else None


def steps_to_convergence(
    steps: np.ndarray, optimal_length: int, *, factor: float = 2.0, window: int = 5
) -> np.ndarray:
    """Real steps taken before the episodes settle near the optimal length.

    A run has converged at the first episode ``e`` from which every window of
    ``window`` consecutive episodes averages at most ``factor * optimal_length``
    steps. The result is the real steps spent in the episodes before ``e``.

    Why the tolerance: the epsilon-greedy behaviour policy (epsilon = 0.1) never
    walks exactly the shortest path. On the Dyna maze (14 steps) its episodes
    average about 16-18 steps once the greedy policy is optimal, and a single
    episode can exceed 28 by bad luck; averaging over 5 episodes and allowing
    twice the optimum keeps such late outliers from counting as "not yet
    converged", while a policy that has not found the path (hundreds of steps)
    is far above the bar.

    Parameters
    ----------
    steps : ndarray, shape (n_runs, n_episodes)
    optimal_length : int
        Shortest path length, e.g. ``shortest_path_length(env.model(), start)``.
    factor : float, default 2.0
    window : int, default 5

    Returns
    -------
    ndarray of float, shape (n_runs,)
        NaN for runs that never converged.
    """
    steps = np.asarray(steps, dtype=float)
    optimal_length = check_int("optimal_length", optimal_length, low=1)
    factor = check_real("factor", factor, low=1.0)
    window = check_int("window", window, low=1, high=steps.shape[1])
    kernel = np.ones(window) / window
    result = np.full(steps.shape[0], np.nan)
    for run, episode_steps in enumerate(steps):
        means = np.convolve(episode_steps, kernel, mode="valid")
        bad = np.flatnonzero(means > factor * optimal_length)
        first = 0 if len(bad) == 0 else bad[-1] + 1
        if first < len(means):
            result[run] = episode_steps[:first].sum()
    return result


def backups_until_optimal(
    env_factory: EnvFactory,
    agent_factory: AgentFactory,
    *,
    n_runs: int = 1,
    seed: int | None = None,
    tolerance: float = 0.2,
    max_steps: int = 100_000,
    progress: Progress | None = None,
) -> np.ndarray:
    """Q backups each run makes before its greedy policy walks a (near) shortest
    path: the measure of S&B Example 8.4.

    After every real step, the greedy path of ``agent.q`` in the env's true model
    (:func:`greedy_path_length`) is compared with the shortest path
    (:func:`shortest_path_length`); the run is done when it is at most
    ``(1 + tolerance)`` times as long. Backups are the planning updates plus,
    for agents with ``direct_rl``, one per real step.

    Why a tolerance: with ``tolerance=0`` about one run in five on the Dyna maze
    never qualifies within 100,000 steps. Once a 16-step route is greedy, the
    epsilon-greedy agent rarely tries the actions that would show an equally
    short alternative of 14, and nothing else makes it learn their values.
    Allowing 20 % (16 <= 1.2 * 14) measures how fast the agents propagate
    value, which is what the example is about.

    Returns
    -------
    ndarray of float, shape (n_runs,)
        NaN for runs that had not found a shortest path after ``max_steps``.
    """
    from .dynamic_programming import (
        _greedy_path,
        _likely_outcomes,
        shortest_path_length,
    )

    max_steps = check_int("max_steps", max_steps, low=1)
    tolerance = check_real("tolerance", tolerance, low=0.0)
    result = np.full(check_int("n_runs", n_runs, low=1), np.nan)
    for run, (env, agent) in enumerate(_runs(env_factory, agent_factory, n_runs, seed)):
        model = env.model()
        bar = (1 + tolerance) * shortest_path_length(model, env.start_state)
        successor, ends = _likely_outcomes(model)
        state, _ = env.reset()
        for _ in range(max_steps):
            action = agent.select_action(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.update(state, action, reward, next_state, terminated)
            state = env.reset()[0] if terminated or truncated else next_state
            length = _greedy_path(agent.q, successor, ends, env.start_state)
            if length is not None and length <= bar:
                direct = agent.n_real_steps if agent.direct_rl else 0
                result[run] = agent.n_planning_updates + direct
                break
        if progress is not None:
            progress(run + 1, n_runs)
    return result


def _runs(
    env_factory: EnvFactory, agent_factory: AgentFactory, n_runs: int, seed: int | None
):
    """Yield ``(env, agent)`` per run, each seeded from its own spawned stream."""
    n_runs = check_int("n_runs", n_runs, low=1)
    if seed is not None:
        seed = check_int("seed", seed, low=0)
    for run_seed in np.random.SeedSequence(seed).spawn(n_runs):
        env_seed, agent_seed = run_seed.spawn(2)
        env = env_factory()
        agent = agent_factory(env, np.random.default_rng(agent_seed))
        sizes = (agent.n_states, agent.n_actions)
        if sizes != (env.n_states, env.n_actions):
            raise ValueError(
                f"agent has (n_states, n_actions) == {sizes}, must match "
                f"the env's ({env.n_states}, {env.n_actions})"
            )
        env.reset(seed=int(env_seed.generate_state(1)[0]))
        yield env, agent


ENGINES = ("loop", "batched", "auto", "batched-per-run")


def _batched(
    env_factory: EnvFactory,
    agent_factory: AgentFactory,
    n_runs: int,
    seed: int | None,
    engine: str,
):
    """The batched engine's pieces for these runs, or None to use the loop."""
    if engine not in ENGINES:
        raise ValueError(f"engine == {engine!r}, must be one of {list(ENGINES)}")
    n_runs = check_int("n_runs", n_runs, low=1)
    if engine == "loop" or (engine == "auto" and n_runs == 1):
        return None
    from .batched import prepare

    envs, agents = zip(*_runs(env_factory, agent_factory, n_runs, seed), strict=True)
    streams = "per-run" if engine == "batched-per-run" else "batch"
    # The batch's own streams come after the per-run ones spawned by _runs.
    sequence = np.random.SeedSequence(seed).spawn(n_runs + 1)[n_runs]
    batch = prepare(list(envs), list(agents), streams=streams, seed_sequence=sequence)
    if isinstance(batch, str):
        if engine == "auto":
            return None
        raise ValueError(f"engine == {engine!r} cannot run this experiment: {batch}")
    return batch


def run_episodes(
    env_factory: EnvFactory,
    agent_factory: AgentFactory,
    *,
    n_episodes: int,
    n_runs: int = 1,
    seed: int | None = None,
    progress: Progress | None = None,
    engine: str = "loop",
) -> EpisodeResults:
    """Run ``n_runs`` independent runs of ``n_episodes`` episodes each.

    Parameters
    ----------
    env_factory : callable
        ``env_factory()`` makes a new env. Give it a ``max_steps`` if an agent
        might never reach the goal.
    agent_factory : callable
        ``agent_factory(env, rng)`` makes a new agent using the Generator ``rng``.
    n_episodes, n_runs : int
    seed : int, optional
        One seed for everything: run ``i`` gets independent env and agent streams
        spawned from it, so the same seed gives bit-identical results.
    progress : callable, optional
        Called as ``progress(runs_done, n_runs)`` after each run.
    engine : {"loop", "batched", "auto", "batched-per-run"}, default "loop"
        ``"loop"`` runs the per-run agents one after another (the reference).
        ``"batched"`` runs all runs in lockstep (:mod:`tabular_mbrl.batched`;
        Q-learning, Dyna-Q and Dyna-Q+ only), with one random stream for the
        batch: the same distributions, not the same numbers.
        ``"batched-per-run"`` draws from each agent's own Generator instead:
        bit-identical to ``"loop"`` on envs without slip, but slower.
        ``"auto"`` batches when ``n_runs > 1`` and the agent allows it.

    Returns
    -------
    EpisodeResults
    """
    n_episodes = check_int("n_episodes", n_episodes, low=1)
    batch = _batched(env_factory, agent_factory, n_runs, seed, engine)
    if batch is not None:
        from .batched import run_episodes_batched

        result = EpisodeResults(*run_episodes_batched(*batch, n_episodes))
        if progress is not None:
            progress(n_runs, n_runs)
        return result
    shape = (check_int("n_runs", n_runs, low=1), n_episodes)
    steps, planning = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    returns = np.zeros(shape)
    for run, (env, agent) in enumerate(_runs(env_factory, agent_factory, n_runs, seed)):
        for episode in range(n_episodes):
            planning_before = agent.n_planning_updates
            state, _ = env.reset()
            terminated = truncated = False
            while not (terminated or truncated):
                action = agent.select_action(state)
                next_state, reward, terminated, truncated, _ = env.step(action)
                agent.update(state, action, reward, next_state, terminated)
                state = next_state
                steps[run, episode] += 1
                returns[run, episode] += reward
            planning[run, episode] = agent.n_planning_updates - planning_before
        if progress is not None:
            progress(run + 1, n_runs)
    return EpisodeResults(steps, returns, planning)


def run_steps(
    env_factory: EnvFactory,
    agent_factory: AgentFactory,
    *,
    n_steps: int,
    n_runs: int = 1,
    seed: int | None = None,
    on_change: Callable[[Any, Any], None] | None = None,
    progress: Progress | None = None,
    engine: str = "loop",
) -> StepResults:
    """Run ``n_runs`` independent runs of ``n_steps`` real steps each, starting a
    new episode whenever one ends. Arguments as for :func:`run_episodes`, and:

    on_change : callable, optional
        Called as ``on_change(env, agent)`` right after the step at which the env
        first reports ``info["changed"]`` (e.g. to hand an MPC agent the new
        reward function when the goal moves). Loop engine only.

    Returns
    -------
    StepResults
    """
    n_steps = check_int("n_steps", n_steps, low=1)
    if on_change is not None and engine in ("batched", "batched-per-run"):
        raise ValueError(f"on_change needs engine='loop', not {engine!r}")
    if on_change is None:
        batch = _batched(env_factory, agent_factory, n_runs, seed, engine)
        if batch is not None:
            from .batched import run_steps_batched

            result = StepResults(*run_steps_batched(*batch, n_steps))
            if progress is not None:
                progress(n_runs, n_runs)
            return result
    shape = (check_int("n_runs", n_runs, low=1), n_steps)
    rewards, planning = np.zeros(shape), np.zeros(shape, dtype=np.int64)
    change_steps = np.full(shape[0], -1)
    for run, (env, agent) in enumerate(_runs(env_factory, agent_factory, n_runs, seed)):
        state, info = env.reset()
        if info.get("changed", False):
            change_steps[run] = 0
        for t in range(n_steps):
            action = agent.select_action(state)
            next_state, reward, terminated, truncated, info = env.step(action)
            agent.update(state, action, reward, next_state, terminated)
            rewards[run, t] = reward
            planning[run, t] = agent.n_planning_updates
            if change_steps[run] < 0 and info.get("changed", False):
                change_steps[run] = t + 1
                if on_change is not None:
                    on_change(env, agent)
            state = env.reset()[0] if terminated or truncated else next_state
        if progress is not None:
            progress(run + 1, n_runs)
    return StepResults(rewards.cumsum(axis=1), planning, change_steps)
