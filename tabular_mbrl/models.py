"""Learned tabular models: M(s, a) -> (s', r), learned from real transitions.

Both models expose the same outcome arrays as an environment's true model
(``gridworlds.TabularModel``): ``next_states``, ``probs``, ``rewards`` and
``terminated``, each of shape ``(n_states, n_actions, K)``, plus ``observed``,
a boolean mask ``(n_states, n_actions)`` of the pairs seen at least once. So any
planner (``value_iteration``, Dyna, MPC) runs on a true or a learned model alike.

Never-observed pairs
--------------------
One rule for both models: a pair never observed is modelled as staying in
place with reward 0, not terminal (the initial model of S&B's Dyna-Q+
footnote, section 8.3). ``observed`` tells these guesses from real knowledge;
Dyna's search control only samples observed pairs.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_int, check_pair


class _LearnedModel:
    """Bookkeeping shared by the learned models: which pairs were observed."""

    def __init__(self, n_states: int, n_actions: int) -> None:
        self.n_states = check_int("n_states", n_states, low=1)
        self.n_actions = check_int("n_actions", n_actions, low=1)
        self.observed = np.zeros((self.n_states, self.n_actions), dtype=bool)
        # Observed pairs in order of first observation, for O(1) uniform sampling.
        self._pairs = np.empty((self.n_states * self.n_actions, 2), dtype=np.int64)
        self.n_observed = 0

    def _observe(
        self, state: int, action: int, next_state: int
    ) -> tuple[int, int, int]:
        state, action, next_state = check_pair(
            self.n_states, self.n_actions, state, action, next_state
        )
        if not self.observed[state, action]:
            self.observed[state, action] = True
            self._pairs[self.n_observed] = state, action
            self.n_observed += 1
        return state, action, next_state

    def sample_pairs(self, n: int, rng: np.random.Generator) -> list[list[int]]:
        """``n`` previously observed ``[state, action]`` pairs, each uniformly at
        random (Dyna's search control, S&B section 8.2, step (f)), drawn with one
        call to ``rng``."""
        if n == 0:
            return []
        if self.n_observed == 0:
            raise RuntimeError(
                "sample_pairs() called on an empty model; "
                "call update() with a real transition first"
            )
        return self._pairs[rng.integers(self.n_observed, size=n)].tolist()

    def _unobserved_rule(self, next_states: np.ndarray) -> None:
        """Fill never-observed pairs with the self-loop of the module's rule."""
        stay = np.broadcast_to(np.arange(self.n_states)[:, None], self.observed.shape)
        next_states[~self.observed, 0] = stay[~self.observed]


class DeterministicModel(_LearnedModel):
    """The last ``(reward, next_state, terminated)`` seen for each pair (K = 1).

    The model of Tabular Dyna-Q (S&B section 8.2): it assumes the world is
    deterministic, so a changed outcome simply overwrites the old one.
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        super().__init__(n_states, n_actions)
        shape = (self.n_states, self.n_actions, 1)
        self.next_states = np.empty(shape, dtype=np.int64)
        self._unobserved_rule(self.next_states)
        self.probs = np.ones(shape)
        self.rewards = np.zeros(shape)
        self.terminated = np.zeros(shape, dtype=bool)

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Model(S, A) <- R, S' (S&B section 8.2, step (e))."""
        state, action, next_state = self._observe(state, action, next_state)
        self.next_states[state, action, 0] = next_state
        self.rewards[state, action, 0] = reward
        self.terminated[state, action, 0] = terminated

    def sample(
        self, state: int, action: int, rng: np.random.Generator | None = None
    ) -> tuple[float, int, bool]:
        """The predicted ``(reward, next_state, terminated)``; needs no randomness."""
        return (
            float(self.rewards[state, action, 0]),
            int(self.next_states[state, action, 0]),
            bool(self.terminated[state, action, 0]),
        )


class EmpiricalModel(_LearnedModel):
    """Counts of outcomes: estimated probabilities and mean rewards.

    For stochastic (slippery) envs. Outcome slot ``k`` of a pair is the ``k``-th
    distinct next state seen from it; ``probs`` are the observed frequencies and
    ``rewards`` the mean reward seen with that next state (the maximum-likelihood
    model, S&B section 8.1). ``K`` grows as new outcomes appear.
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        super().__init__(n_states, n_actions)
        shape = (self.n_states, self.n_actions, 1)
        self.next_states = np.empty(shape, dtype=np.int64)
        self._unobserved_rule(self.next_states)
        self.counts = np.zeros(shape, dtype=np.int64)
        self.reward_sums = np.zeros(shape)
        self.terminated = np.zeros(shape, dtype=bool)
        self.n_outcomes = np.zeros((self.n_states, self.n_actions), dtype=np.int64)

    @property
    def probs(self) -> np.ndarray:
        """Observed outcome frequencies, shape ``(S, A, K)`` (1 on the self-loop of
        a never-observed pair)."""
        totals = self.counts.sum(axis=-1, keepdims=True)
        probs = self.counts / np.maximum(totals, 1)
        probs[~self.observed, 0] = 1.0
        return probs

    @property
    def rewards(self) -> np.ndarray:
        """Mean reward per outcome, shape ``(S, A, K)``."""
        return self.reward_sums / np.maximum(self.counts, 1)

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Count one real transition."""
        state, action, next_state = self._observe(state, action, next_state)
        n = self.n_outcomes[state, action]
        seen = np.flatnonzero(self.next_states[state, action, :n] == next_state)
        if len(seen):
            k = seen[0]
        else:
            k = n
            if k == self.counts.shape[2]:
                self._grow()
            self.next_states[state, action, k] = next_state
            self.n_outcomes[state, action] += 1
        self.counts[state, action, k] += 1
        self.reward_sums[state, action, k] += reward
        self.terminated[state, action, k] = terminated

    def _grow(self) -> None:
        """Add one outcome slot to every pair."""
        pad = ((0, 0), (0, 0), (0, 1))
        self.next_states = np.pad(self.next_states, pad, mode="edge")
        self.counts = np.pad(self.counts, pad)
        self.reward_sums = np.pad(self.reward_sums, pad)
        self.terminated = np.pad(self.terminated, pad)

    def sample(
        self, state: int, action: int, rng: np.random.Generator
    ) -> tuple[float, int, bool]:
        """Draw ``(reward, next_state, terminated)`` from the estimated model."""
        counts = self.counts[state, action]
        if counts.sum() == 0:  # never observed: the self-loop rule
            return 0.0, int(state), False
        k = int(
            np.searchsorted(
                np.cumsum(counts), rng.random() * counts.sum(), side="right"
            )
        )
        return (
            float(self.reward_sums[state, action, k] / counts[k]),
            int(self.next_states[state, action, k]),
            bool(self.terminated[state, action, k]),
        )


def outcome_arrays(
    model: object,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(next_states, probs, rewards, terminated)`` of any tabular model.

    Accepts an env's ``model()`` (``gridworlds.TabularModel``), a learned model,
    or anything else with those four arrays of one shape ``(S, A, K)``.

    Raises
    ------
    TypeError
        If ``model`` lacks one of the arrays.
    ValueError
        If their shapes differ or are not 3-D.
    """
    names = ("next_states", "probs", "rewards", "terminated")
    missing = [name for name in names if not hasattr(model, name)]
    if missing:
        raise TypeError(
            f"model must have the arrays {', '.join(names)} (an env's "
            f"model() or a learned model); {type(model).__name__} lacks "
            f"{', '.join(missing)}"
        )
    arrays = tuple(np.asarray(getattr(model, name)) for name in names)
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1 or arrays[0].ndim != 3:
        raise ValueError(
            f"model arrays must share one shape (S, A, K), got "
            f"{[a.shape for a in arrays]}"
        )
    return arrays
