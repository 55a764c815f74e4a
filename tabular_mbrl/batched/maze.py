"""Identical gridworlds for every run of a batch, stepped at once.

The environments are not stepped one by one: their true model arrays are
(``env.model()``, and ``model_at(t)`` for mazes whose walls move), indexed for
every run at once. All runs take one real step per iteration, so each run's
global real-step counter (what moves the walls) is the iteration count.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gridworlds import sample_outcomes

from .streams import Streams


class VectorMaze:
    """Identical gridworlds for every run, stepped at once from their true
    model arrays (``(S, A, K)``, outcomes sampled by their probabilities).

    Parameters
    ----------
    envs : list
        One env per run, as built by the env factory: ``GridWorld`` or
        ``ShiftingMaze`` (anything with ``model()``, ``start_state`` and
        ``max_steps``; ``change_at`` and ``model_at(t)`` if its walls move).
    """

    def __init__(self, envs: list) -> None:
        env = envs[0]
        reason = self.unsupported(envs)
        if reason:
            raise ValueError(f"the batched engine cannot step these envs: {reason}")
        self.start_state = int(env.start_state)
        self.max_steps = env.max_steps
        self.change_at = getattr(env, "change_at", None)
        self._before = env.model_at(0) if self.change_at is not None else env.model()
        self._after = env.model_at(self.change_at) if self.change_at else None
        self.n_states, self.n_actions = env.n_states, env.n_actions
        # A deterministic model's arrays flat over pairs (state * A + action):
        # one take each per step, where a slot index costs three gathers.
        self._flat = {
            id(model): tuple(
                part[..., 0].reshape(-1)
                for part in (model.next_states, model.rewards, model.terminated)
            )
            for model in (self._before, self._after)
            if model is not None and model.next_states.shape[2] == 1
        }

    @classmethod
    def check(cls, env_factory: Callable[[], object], n_runs: int) -> list | str:
        """Build the env of every run, one at a time, and check they are all
        the same; ``[first env]`` if they are, else the reason. Only one env is
        kept, whatever ``n_runs`` is."""
        first = env_factory()
        for run in range(n_runs):
            reason = cls.unsupported([first] if run == 0 else [first, env_factory()])
            if reason:
                return reason
        return [first]

    @staticmethod
    def unsupported(envs: list) -> str:
        """Why these envs cannot be stepped as one batch ('' if they can)."""
        env = envs[0]
        for name in ("model", "start_state", "max_steps", "total_steps"):
            if not hasattr(env, name):
                return f"{type(env).__name__} has no {name!r}"
        if hasattr(env, "change_at") and not hasattr(env, "model_at"):
            return f"{type(env).__name__} has change_at but no model_at()"
        model = env.model()
        for other in envs:
            if other.total_steps != 0:
                return "the envs must be fresh (no steps taken yet)"
            m = other.model()
            same = (
                type(other) is type(env)
                and other.start_state == env.start_state
                and other.max_steps == env.max_steps
                and getattr(other, "change_at", None) == getattr(env, "change_at", None)
                and m.next_states.shape == model.next_states.shape
                and all(
                    np.array_equal(getattr(m, f), getattr(model, f))
                    for f in ("next_states", "probs", "rewards", "terminated")
                )
            )
            if not same:
                return "every run must use the same environment"
        return ""

    def model_at(self, total_steps: int):
        """The true model for the step taken after ``total_steps`` steps."""
        if self._after is not None and total_steps >= self.change_at:
            return self._after
        return self._before

    def step(
        self, states: np.ndarray, actions: np.ndarray, total_steps: int, rng
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(next_states, rewards, terminated)`` for every run."""
        model = self.model_at(total_steps)
        flat = self._flat.get(id(model))
        if flat is not None:
            pairs = states * self.n_actions + actions
            return flat[0].take(pairs), flat[1].take(pairs), flat[2].take(pairs)
        if model.next_states.shape[2] == 1:
            k = np.zeros_like(states)
        else:
            probs = model.probs[states, actions]
            if isinstance(rng, Streams):
                k = rng.rows(lambda one, rows: sample_outcomes(probs[rows], one))
            else:
                k = sample_outcomes(probs, rng)
        return (
            model.next_states[states, actions, k],
            model.rewards[states, actions, k],
            model.terminated[states, actions, k],
        )
