"""Q-learning fed with imagined trajectories from a learned model.

Dyna-Q (section 8.2) replays single transitions from its model, each from a
pair it has really tried. Model-based RL with rollouts (MBPO-style, and the
"trajectory sampling" of S&B section 8.6) instead runs the agent's own policy
inside the model for several steps, and feeds every imagined transition to a
model-free learner. Each imagined step starts from an imagined state, so a
wrong model drifts further from reality the longer the rollout: the
``rollout-drift`` experiment measures how much that matters.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int
from ..models import DeterministicModel, EmpiricalModel
from .dyna_q import DynaQAgent


class RolloutQAgent(DynaQAgent):
    """Q-learning plus ``n_rollouts`` imagined trajectories of
    ``rollout_length`` transitions per real step.

    For each real step: the Q-learning backup of the real transition (S&B eq.
    6.8), the model updated with it, then ``n_rollouts`` rollouts. A rollout
    starts from a state the agent has really been in (uniformly over the
    distinct ones), follows the agent's current epsilon-greedy policy in the
    model, and backs up each imagined transition as Q-learning would.

    - The policy chooses among the actions the model has seen in that state
      (as Dyna's search control only draws pairs it has tried): the model
      has no prediction for the others.
    - A rollout that reaches a terminal state, or a state where the model
      has seen no action, starts again from a state the agent has been in,
      so every real step makes exactly ``n_rollouts * rollout_length``
      imagined transitions, whatever the rollout length.

    With ``n_rollouts=0`` this is :class:`QLearningAgent`, step for step.

    Parameters
    ----------
    n_states, n_actions, alpha, gamma, epsilon, q_init, rng
        As for :class:`QLearningAgent`.
    n_rollouts : int, default 5
        Imagined trajectories per real step, >= 0.
    rollout_length : int, default 1
        Imagined transitions in each, >= 1 (the ``k`` of ``rollout-drift``).
    model : DeterministicModel or EmpiricalModel, optional
        The learned model; a new :class:`DeterministicModel` by default.

    Attributes
    ----------
    q, n_real_steps, model
        As for :class:`DynaQAgent`.
    n_planning_updates : int
        Imagined transitions backed up: ``n_rollouts * rollout_length *
        n_real_steps``.
    n_rollout_starts : int
        Imagined trajectories begun, counting the restarts after a terminal
        state or an unknown state.
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        n_rollouts: int = 5,
        rollout_length: int = 1,
        alpha: float = 0.1,
        gamma: float = 0.95,
        epsilon: float = 0.1,
        q_init: float = 0.0,
        model: DeterministicModel | EmpiricalModel | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__(
            n_states,
            n_actions,
            n_planning_steps=0,
            alpha=alpha,
            gamma=gamma,
            epsilon=epsilon,
            q_init=q_init,
            model=model,
            rng=rng,
        )
        self.n_rollouts = check_int("n_rollouts", n_rollouts, low=0)
        self.rollout_length = check_int("rollout_length", rollout_length, low=1)
        self.n_rollout_starts = 0
        self._visited: list[int] = []  # distinct real states, in order
        self._is_visited = np.zeros(self.n_states, dtype=bool)

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """The Q-learning backup of the real transition, the model update,
        then the rollouts."""
        super().update(state, action, reward, next_state, terminated)
        if not self._is_visited[state]:
            self._is_visited[state] = True
            self._visited.append(state)
        for _ in range(self.n_rollouts):
            self.rollout(self.rollout_length)

    def rollout(self, length: int) -> None:
        """``length`` imagined transitions along the policy, backed up in
        order; restarts from a visited state after a terminal or unknown one."""
        if check_int("length", length, low=0) and not self._visited:
            raise RuntimeError(
                "rollout() called before any real step; call update() with a real "
                "transition first"
            )
        state = -1
        for _ in range(length):
            if state < 0:
                state = self._visited[self.rng.integers(len(self._visited))]
                self.n_rollout_starts += 1
            action = self._imagined_action(state)
            reward, next_state, terminated = self.model.sample(state, action, self.rng)
            self.backup(state, action, reward, next_state, terminated)
            self.n_planning_updates += 1
            known = self.model.observed[next_state].any()
            state = -1 if terminated or not known else next_state

    def _imagined_action(self, state: int) -> int:
        known = np.flatnonzero(self.model.observed[state]).tolist()
        return imagined_action(self.q[state], known, self.epsilon, self.rng)


def imagined_action(
    q_row: np.ndarray, known: list[int], epsilon: float, rng: np.random.Generator
) -> int:
    """The rollout policy's action: epsilon-greedy in ``q_row`` (shape
    ``(n_actions,)``) over the ``known`` actions (those the model has seen in
    the state, at least one), ties broken at random."""
    if len(known) > 1 and rng.random() < epsilon:
        return known[rng.integers(len(known))]
    values = q_row.tolist()
    best_value = max(values[a] for a in known)
    best = [a for a in known if values[a] == best_value]
    return best[rng.integers(len(best))] if len(best) > 1 else best[0]
