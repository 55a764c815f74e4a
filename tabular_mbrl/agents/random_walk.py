"""An agent that only explores: uniformly random actions, every real step
taught to some learned models (S&B section 8.1: learning a model from
experience, separately from using it)."""

from __future__ import annotations

import numpy as np

from .._checks import agent_repr, check_int, check_transition, make_rng


class RandomWalkAgent:
    """Acts uniformly at random and teaches each real transition to ``models``.

    Useful to learn models from the same experience and compare them (the
    ``model-errors`` experiment, lecture 8). It has no values and never plans.

    Parameters
    ----------
    n_states, n_actions : int
    models : list of learned models, default ()
        Each gets ``update(state, action, reward, next_state, terminated)``.
    rng : numpy Generator, int or None
        Draws the actions.

    Attributes
    ----------
    n_real_steps : int
    n_planning_updates : int
        Always 0.
    """

    direct_rl = False

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        models: list | tuple = (),
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.n_states = check_int("n_states", n_states, low=1)
        self.n_actions = check_int("n_actions", n_actions, low=1)
        self.models = list(models)
        for model in self.models:
            if not hasattr(model, "update"):
                raise TypeError(
                    f"models must be learned models with update(), got "
                    f"{type(model).__name__}"
                )
        self.rng = make_rng(rng)
        self.n_real_steps = 0
        self.n_planning_updates = 0

    def __repr__(self) -> str:
        return agent_repr(self)

    def select_action(self, state: int) -> int:
        """A uniformly random action (``state`` is not looked at)."""
        return int(self.rng.integers(self.n_actions))

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Teach the real transition to every model."""
        state, action, reward, next_state, terminated = check_transition(
            self.n_states, self.n_actions, state, action, reward, next_state, terminated
        )
        self.n_real_steps += 1
        for model in self.models:
            model.update(state, action, reward, next_state, terminated)
