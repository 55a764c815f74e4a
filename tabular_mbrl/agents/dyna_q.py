"""Tabular Dyna-Q (Sutton & Barto, 2nd ed., section 8.2)."""

from __future__ import annotations

import numpy as np

from .._checks import check_int
from ..models import DeterministicModel, EmpiricalModel, relabel
from .q_learning import QLearningAgent


class DynaQAgent(QLearningAgent):
    """Tabular Dyna-Q: Q-learning on real steps plus ``n_planning_steps``
    Q-learning backups on transitions replayed from a learned model.

    The book's box, for each real step:

    (a) S <- current state;  (b) A <- epsilon-greedy(S, Q);  (c) take A, see R, S'
        -- (a)-(c) are the experiment loop: ``select_action``, ``env.step``;
    (d) direct RL: Q(S,A) <- Q(S,A) + alpha [R + gamma max_a Q(S',a) - Q(S,A)];
    (e) model learning: Model(S,A) <- R, S';
    (f) planning, n times: S, A <- a random previously observed pair;
        R, S' <- Model(S,A); the same Q-learning backup.

    With ``n_planning_steps=0`` this is exactly :class:`QLearningAgent`: the
    same seed gives the same actions and the same ``q``.

    Parameters
    ----------
    n_states, n_actions, alpha, gamma, epsilon, q_init, rng
        As for :class:`QLearningAgent`.
    n_planning_steps : int, default 5
        Planning backups per real step (the book's n), >= 0.
    model : DeterministicModel or EmpiricalModel, optional
        The learned model; a new :class:`DeterministicModel` by default. Pass an
        :class:`EmpiricalModel` for stochastic envs: planning then samples S'.

    Attributes
    ----------
    q, n_real_steps, n_planning_updates
        As for :class:`QLearningAgent`; here ``n_planning_updates ==
        n_planning_steps * n_real_steps``.
    model
        The learned model.
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
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
            alpha=alpha,
            gamma=gamma,
            epsilon=epsilon,
            q_init=q_init,
            rng=rng,
        )
        self.n_planning_steps = check_int("n_planning_steps", n_planning_steps, low=0)
        if model is None:
            model = DeterministicModel(self.n_states, self.n_actions)
        missing = [
            name
            for name in ("update", "sample", "sample_pairs")
            if not hasattr(model, name)
        ]
        if missing:
            raise TypeError(
                f"model must be a learned model (DeterministicModel or "
                f"EmpiricalModel), got {type(model).__name__}, which has no "
                f"{', '.join(name + '()' for name in missing)}"
            )
        if (model.n_states, model.n_actions) != (self.n_states, self.n_actions):
            raise ValueError(
                f"model has (n_states, n_actions) == ({model.n_states}, "
                f"{model.n_actions}), must match the agent's ({self.n_states}, "
                f"{self.n_actions})"
            )
        self.model = model

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        super().update(state, action, reward, next_state, terminated)  # (d)
        self.model.update(state, action, reward, next_state, terminated)  # (e)
        self.plan(self.n_planning_steps)  # (f)

    def tell(self, reward_fn, terminal_fn) -> None:
        """The goal moved: relabel the outcomes the model has observed with
        the new reward and end (:func:`~tabular_mbrl.models.relabel`); the
        planning backups then carry the new goal into Q, with no real step."""
        relabel(self.model, reward_fn, terminal_fn)

    def plan(self, n: int) -> None:
        """``n`` planning backups on pairs sampled from the model (step (f))."""
        for state, action in self.model.sample_pairs(n, self.rng):
            reward, next_state, terminated = self.model.sample(state, action, self.rng)
            self.backup(state, action, reward, next_state, terminated)
            self.n_planning_updates += 1
