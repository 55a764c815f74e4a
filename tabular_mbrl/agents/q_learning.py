"""Tabular Q-learning (Sutton & Barto, 2nd ed., section 6.5).

The pieces every agent here shares live in this module: epsilon-greedy action
selection with random tie-breaking, and the one-step Q-learning backup.
"""

from __future__ import annotations

import numpy as np

from .._checks import (
    agent_repr,
    check_generator,
    check_int,
    check_memory,
    check_probability,
    check_real,
    check_transition,
    make_rng,
)


def max_value(q_row: np.ndarray) -> float:
    """max_a Q(s, a) of one row of the table, shape ``(n_actions,)``.

    (Over the row as a short Python list: about 4x faster than
    ``ndarray.max()`` for a handful of actions, and the same number.)"""
    return max(q_row.tolist())


def greedy_action(q_row: np.ndarray, rng: np.random.Generator) -> int:
    """An action with the largest value in ``q_row`` (shape ``(n_actions,)``),
    ties broken uniformly at random. ``np.argmax`` would always pick the first,
    which on a zero-initialised table means "always UP" for the early episodes."""
    if not isinstance(rng, np.random.Generator):
        check_generator("rng", rng)
    values = np.asarray(q_row).tolist()  # plain floats: see max_value
    if not isinstance(values, list) or not values or isinstance(values[0], list):
        raise ValueError(
            f"q_row has shape {np.shape(q_row)}, must be (n_actions,), n_actions >= 1"
        )
    total = sum(values)  # NaN if any is (one sum: this runs every real step)
    if total != total and any(value != value for value in values):
        raise ValueError("q_row has NaN values, must be numbers")
    best_value = max(values)
    best = [a for a, value in enumerate(values) if value == best_value]
    return best[rng.integers(len(best))] if len(best) > 1 else best[0]


def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """With probability ``epsilon`` a uniformly random action, else a greedy one
    (S&B section 2.2)."""
    if not 0.0 <= epsilon <= 1.0:  # also NaN; a number in range passes at once
        check_probability("epsilon", epsilon)
    if not isinstance(rng, np.random.Generator):
        check_generator("rng", rng)
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    return greedy_action(q_row, rng)


class QLearningAgent:
    """Tabular Q-learning, off-policy TD control (S&B section 6.5).

    Parameters
    ----------
    n_states, n_actions : int
        Size of the table.
    alpha : float, default 0.1
        Step size, in (0, 1].
    gamma : float, default 0.95
        Discount, in [0, 1].
    epsilon : float, default 0.1
        Exploration rate of the epsilon-greedy behaviour policy, in [0, 1].
        A public attribute: an experiment may decay it between episodes.
    q_init : float, default 0.0
        Initial value of every entry of ``q``.
    rng : numpy Generator, int or None
        The agent's own random stream (exploration and tie-breaking).

    Attributes
    ----------
    q : ndarray, shape (n_states, n_actions)
        The action-value table.
    n_real_steps : int
        Transitions taken in the environment (calls to :meth:`update`).
    n_planning_updates : int
        Backups computed from a model (always 0 for plain Q-learning).
    direct_rl : bool
        Whether each real step also makes one Q backup (True here). Together
        with the counters this gives the total number of backups.
    """

    direct_rl = True

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        alpha: float = 0.1,
        gamma: float = 0.95,
        epsilon: float = 0.1,
        q_init: float = 0.0,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.n_states = check_int("n_states", n_states, low=1)
        self.n_actions = check_int("n_actions", n_actions, low=1)
        self.alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
        self.gamma = check_probability("gamma", gamma)
        self.epsilon = check_probability("epsilon", epsilon)
        self.q_init = check_real("q_init", q_init)
        check_memory(
            f"a table of {self.n_states:,} x {self.n_actions:,}",
            self.n_states * self.n_actions * 8,
        )
        self.rng = make_rng(rng)
        self.q = np.full((self.n_states, self.n_actions), self.q_init)
        self.n_real_steps = 0
        self.n_planning_updates = 0

    def __repr__(self) -> str:
        return agent_repr(self)

    def select_action(self, state: int) -> int:
        """Epsilon-greedy in ``q[state]``, ties broken at random."""
        state = check_int("state", state, low=0, high=self.n_states - 1)
        return epsilon_greedy(self.q[state], self.epsilon, self.rng)

    def greedy_action(self, state: int) -> int:
        """A greedy action in ``state``, ties broken at random."""
        state = check_int("state", state, low=0, high=self.n_states - 1)
        return greedy_action(self.q[state], self.rng)

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Learn from one real transition. A ``terminated`` transition does not
        bootstrap; a truncated one (time limit) still does, so pass only
        ``terminated`` here."""
        state, action, reward, next_state, terminated = check_transition(
            self.n_states, self.n_actions, state, action, reward, next_state, terminated
        )
        self.n_real_steps += 1
        self.backup(state, action, reward, next_state, terminated)

    def td_error(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> float:
        """R + gamma max_a Q(S',a) - Q(S,A); just R - Q(S,A) if ``terminated``."""
        if terminated:
            target = reward
        else:
            target = reward + self.gamma * max_value(self.q[next_state])
        return float(target - self.q[state, action])

    def backup(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> float:
        """One Q-learning backup; returns the TD error before the step.

        Q(S,A) <- Q(S,A) + alpha [R + gamma max_a Q(S',a) - Q(S,A)]   (S&B eq. 6.8)
        """
        td_error = self.td_error(state, action, reward, next_state, terminated)
        self.q[state, action] += self.alpha * td_error
        return td_error
