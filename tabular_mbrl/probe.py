"""Measuring an agent's policy at no real step: the path it would walk from the
start in the true model, after each episode, against the shortest path (what
:func:`~tabular_mbrl.results.policy_convergence` reads)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_int
from .dynamic_programming import greedy_path, likely_outcomes, shortest_path_length
from .results import CONVERGENCE_FACTOR


class PolicyProbe:
    """Measures an agent's policy after an episode, in the true model, at no
    real step: the length of the path it would walk from the start, or inf
    when that is more than ``CONVERGENCE_FACTOR`` times the shortest path (or
    never ends). See :func:`~tabular_mbrl.results.policy_convergence`.

    - A Q-table agent (anything with ``q`` of shape (S, A)): its greedy path,
      :func:`~tabular_mbrl.dynamic_programming.greedy_path_length` (tied
      actions all count as greedy; a state whose actions are all tied gives no
      direction).
    - An agent with ``plan_action(state, rng)`` (MPC): the planner's own choice
      at each state, exploration off, each followed to its most likely
      outcome. Its random candidates come from the probe's own ``rng``, so the
      run's real trajectory is the same with or without the probe. (The
      batched engine's planner, when it scores every sequence, rolls out from
      every state once per walk; the loop agent plans at each state it walks.
      The same planner and the same draws in distribution, not the same
      numbers.)
    - Any other agent has no policy to measure: NaN.
    """

    def __init__(self, env: Any, rng: np.random.Generator) -> None:
        self.model = env.model()
        self.start = int(env.start_state)
        self.optimal = shortest_path_length(self.model, self.start)
        optimal = self.optimal if self.optimal is not None else 0
        self.cap = int(np.floor(CONVERGENCE_FACTOR * optimal + 1e-9))
        self.rng = rng
        # Most likely next state and end flag per pair, read once (the model
        # does not change): nested lists [state][action].
        self.successor, self.ends = likely_outcomes(self.model)
        self.shape = (len(self.successor), len(self.successor[0]))

    @classmethod
    def of(cls, env: Any, seed: int | None, n_runs: int) -> PolicyProbe | None:
        """A probe for ``env``, or None if it has no true model to walk. Its
        stream is spawned from ``seed`` after the runs' and the batch's."""
        check_int("n_runs", n_runs, low=1)  # the runners' own checks first
        if seed is not None:
            check_int("seed", seed, low=0)
        if not (hasattr(env, "model") and hasattr(env, "start_state")):
            return None
        sequence = np.random.SeedSequence(seed).spawn(n_runs + 2)[n_runs + 1]
        return cls(env, np.random.default_rng(sequence))

    def length(
        self,
        q: np.ndarray | None = None,
        plan: Any = None,
    ) -> float:
        """The path length of one agent's policy: give its Q table ``q``
        (S, A) or its planner ``plan(state, rng) -> action`` (asked afresh at
        each step of the walk)."""
        if q is not None:  # greedy_path_length, on the outcomes read once
            steps = greedy_path(np.asarray(q), self.successor, self.ends, self.start)
            return float(steps) if steps is not None and steps <= self.cap else np.inf
        state = self.start
        for step in range(1, self.cap + 1):
            action = int(plan(state, self.rng))
            if self.ends[state][action]:
                return float(step)
            state = self.successor[state][action]
        return np.inf

    def of_row(self, engine: Any, row: int) -> float:
        """:meth:`length` for row ``row`` of a batched engine: its Q table, or
        its planner (:meth:`~tabular_mbrl.batched.BatchedMPC.planner`)."""
        if hasattr(engine, "planner"):
            return self.length(plan=engine.planner(row))
        return self.length(q=engine.q[row])

    def of_agent(self, agent: Any) -> float:
        """:meth:`length` for a per-run agent of the loop engine."""
        if hasattr(agent, "plan_action"):
            return self.length(plan=agent.plan_action)
        q = getattr(agent, "q", None)
        if isinstance(q, np.ndarray) and q.shape == self.shape:
            return self.length(q=q)
        return np.nan
