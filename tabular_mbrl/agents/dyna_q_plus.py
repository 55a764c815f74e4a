"""Dyna-Q+ (Sutton & Barto, 2nd ed., section 8.3)."""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_int, check_real, check_transition
from ..models import DeterministicModel, EmpiricalModel
from .dyna_q import DynaQAgent


class DynaQPlusAgent(DynaQAgent):
    """Dyna-Q+: planning rewards carry a bonus for pairs not tried in a while.

    In planning, the reward of a pair is ``r + kappa * sqrt(tau)``, where ``tau``
    is the number of real steps since the pair was last tried for real. As in
    the book's footnote, planning also considers actions never tried from a
    visited state, modelled as staying in place with reward 0, with ``tau``
    counted from the start. So search control samples a visited state
    uniformly, then an action uniformly.

    Parameters
    ----------
    kappa : float, default 1e-3
        Bonus scale, >= 0. With ``kappa=0`` it plans like Dyna-Q, but over all
        actions of visited states.
    n_planning_steps, alpha, gamma, epsilon, q_init, model, rng
        As for :class:`DynaQAgent`.

    Attributes
    ----------
    last_tried : ndarray of int, shape (n_states, n_actions)
        The real step count at which each pair was last tried (0 if never).
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        kappa: float = 1e-3,
        n_planning_steps: int = 5,
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
            n_planning_steps=n_planning_steps,
            alpha=alpha,
            gamma=gamma,
            epsilon=epsilon,
            q_init=q_init,
            model=model,
            rng=rng,
        )
        self.kappa = check_real("kappa", kappa, low=0.0)
        self.last_tried = np.zeros((self.n_states, self.n_actions), dtype=np.int64)
        self._visited = np.zeros(self.n_states, dtype=bool)
        self._visited_states: list[int] = []

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        state, action, reward, next_state, terminated = check_transition(
            self.n_states, self.n_actions, state, action, reward, next_state, terminated
        )
        if not self._visited[state]:
            self._visited[state] = True
            self._visited_states.append(state)
        self.last_tried[state, action] = self.n_real_steps + 1  # this step
        super().update(state, action, reward, next_state, terminated)

    def plan(self, n: int) -> None:
        n = check_int("n", n, low=0)
        visited = self._visited_states
        if n and not visited:
            raise RuntimeError(
                "plan() called before any real step; call update() with a real "
                "transition first"
            )
        states = self.rng.integers(len(visited), size=n).tolist()
        actions = self.rng.integers(self.n_actions, size=n).tolist()
        for index, action in zip(states, actions, strict=True):
            state = visited[index]
            # A pair never tried follows the models' rule: stay, reward 0.
            reward, next_state, terminated = self.model.sample(state, action, self.rng)
            tau = self.n_real_steps - int(self.last_tried[state, action])
            self.backup(
                state,
                action,
                reward + self.kappa * math.sqrt(tau),
                next_state,
                terminated,
            )
            self.n_planning_updates += 1
