"""The agent-environment loop of a batch: every run takes one real step per
iteration, as :func:`~tabular_mbrl.experiments.interact` does for one run.

:func:`run_episodes_batched` gives what ``run_episodes`` measures (Figure
8.2's curves), :func:`run_steps_batched` what ``run_steps`` measures (Figures
8.4 and 8.5), :func:`random_walks` the transitions of uniformly random walks
(what a model learns from before an agent acts), through the same loop.
``engine`` is any twin of :data:`~tabular_mbrl.batched.TWINS`:
``select_actions(states)``, ``update(states, actions, rewards, next_states,
terminated)``, ``n_real_steps``, ``n_planning_updates`` and ``keep(runs)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .maze import VectorMaze
from .streams import Streams


def run_episodes_batched(
    engine: Any,
    maze: VectorMaze,
    env_rng: Streams,
    n_episodes: int,
    probe: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps, returns, planning updates and the policy's path length (see
    :class:`~tabular_mbrl.probe.PolicyProbe`; NaN without a ``probe``)
    per episode, each ``(R, n_episodes)``.

    Every run steps until it has finished ``n_episodes`` episodes, then leaves
    the batch (its ``keep``): the batch does not carry finished
    runs along until its slowest run ends."""
    runs = engine.n_runs
    # Real steps, return and planning count at the end of each episode, per
    # run; the per-episode values are their differences.
    ends = np.zeros((runs, n_episodes + 1), dtype=np.int64)
    gains = np.zeros((runs, n_episodes + 1))
    plans = np.zeros((runs, n_episodes + 1), dtype=np.int64)
    policy = np.full((runs, n_episodes), np.nan)
    ids = np.arange(runs)  # which run each row of the batch is
    episode = np.zeros(runs, dtype=np.int64)
    in_episode = np.zeros(runs, dtype=np.int64)
    total = np.zeros(runs)
    states = np.full(runs, maze.start_state)
    limit = maze.max_steps
    while True:
        actions = engine.select_actions(states)
        next_states, rewards, terminated = maze.step(
            states, actions, engine.n_real_steps, env_rng
        )
        engine.update(states, actions, rewards, next_states, terminated)
        total += rewards
        in_episode += 1
        done = terminated if limit is None else terminated | (in_episode >= limit)
        if not done.any():
            states = next_states
            continue
        ended = np.flatnonzero(done)
        ends[ids[ended], episode[ended] + 1] = engine.n_real_steps
        gains[ids[ended], episode[ended] + 1] = total[ended]
        plans[ids[ended], episode[ended] + 1] = engine.n_planning_updates[ended]
        if probe is not None:
            for row in ended:
                policy[ids[row], episode[row]] = probe.of_row(engine, row)
        episode += done
        in_episode[done] = 0
        states = np.where(done, maze.start_state, next_states)
        finished = episode >= n_episodes
        if finished.all():
            break
        if finished.any():
            stay = ~finished
            engine.keep(stay)
            env_rng.keep(stay)
            ids, episode, in_episode = ids[stay], episode[stay], in_episode[stay]
            total, states = total[stay], states[stay]
    return (
        np.diff(ends, axis=1),
        np.diff(gains, axis=1),
        np.diff(plans, axis=1),
        policy,
    )


def run_steps_batched(
    engine: Any,
    maze: VectorMaze,
    env_rng: Streams,
    n_steps: int,
    on_change: Callable | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative reward and planning updates after each real step, each
    ``(R, n_steps)``, and the step at which the maze changed ``(R,)``.
    ``on_change(maze, engine)``, if given, is called right after the step
    that changes the maze (as the loop calls it after the step whose env
    reports the change)."""
    runs = engine.n_runs
    rewards = np.zeros((runs, n_steps))
    planning = np.zeros((runs, n_steps), dtype=np.int64)
    in_episode = np.zeros(runs, dtype=np.int64)
    states = np.full(runs, maze.start_state)
    for t in range(n_steps):
        actions = engine.select_actions(states)
        next_states, reward, terminated = maze.step(states, actions, t, env_rng)
        engine.update(states, actions, reward, next_states, terminated)
        rewards[:, t] = reward
        planning[:, t] = engine.n_planning_updates
        in_episode += 1
        done = terminated.copy()
        if maze.max_steps is not None:
            done |= in_episode >= maze.max_steps
        in_episode[done] = 0
        states = np.where(done, maze.start_state, next_states)
        if on_change is not None and maze.change_at == t + 1:
            on_change(maze, engine)
    change = maze.change_at
    change_step = change if change is not None and change <= n_steps else -1
    return rewards.cumsum(axis=1), planning, np.full(runs, change_step)


class _RandomWalker:
    """Uniformly random actions for every run, each transition recorded: what
    :func:`random_walks` runs through the loop."""

    def __init__(self, n_runs: int, n_actions: int, n_steps: int, rng) -> None:
        self.n_runs, self.n_actions, self.rng = n_runs, n_actions, rng
        self.n_real_steps = 0
        self.n_planning_updates = np.zeros(n_runs, dtype=np.int64)
        shape = (n_steps, n_runs)
        self.record = (
            np.zeros(shape, dtype=np.int64),  # states
            np.zeros(shape, dtype=np.int64),  # actions
            np.zeros(shape),  # rewards
            np.zeros(shape, dtype=np.int64),  # next states
            np.zeros(shape, dtype=bool),  # terminated
        )

    def select_actions(self, states: np.ndarray) -> np.ndarray:
        return self.rng.integers(self.n_actions, size=self.n_runs)

    def update(self, *transition: np.ndarray) -> None:
        for part, values in zip(self.record, transition, strict=True):
            part[self.n_real_steps] = values
        self.n_real_steps += 1


def random_walks(
    env: Any, n_steps: int, n_runs: int, rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """``n_runs`` uniformly random walks of ``n_steps`` real steps on ``env``
    (a new episode after each terminal step or time limit), through the
    loop of :func:`run_steps_batched`: ``(states, actions, rewards,
    next_states, terminated)``, each of shape ``(n_steps, n_runs)``. ``rng``
    draws the actions and the outcomes, in turn at each step."""
    walker = _RandomWalker(n_runs, env.n_actions, n_steps, rng)
    run_steps_batched(walker, VectorMaze([env]), rng, n_steps)
    return walker.record


def walk_counts(
    env: Any, n_steps: int, n_runs: int, rng: np.random.Generator
) -> np.ndarray:
    """Outcome counts ``(runs, S, A, K)`` of ``n_runs`` uniform random walks of
    ``n_steps`` real steps on ``env``'s true model (slots ``K`` as the true
    model's), each restarting at the start after a terminal step; all runs
    step at once.

    Not :func:`random_walks`: it draws every action, then every outcome,
    before the first step, and it walks on past a time limit
    (``max_steps``), as the studies that learn models from it
    (``model-errors``, ``replanning``) were measured with."""
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
