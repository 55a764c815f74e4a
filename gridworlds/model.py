"""A tabular MDP model stored as arrays of outcomes.

The model of every environment here, and of every learned model in
``tabular_mbrl``, has the same shape: for each state ``s`` and action ``a`` a short
list of ``K`` possible outcomes ``k``, each with a probability, a next state, a
reward and a terminated flag. This is the four-argument dynamics function
p(s', r | s, a) of Sutton & Barto (2nd ed., section 3.1), stored sparsely so a
100x100 grid still fits in memory (a dense S x A x S array would not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest dense transition matrix :meth:`TabularModel.transition_matrix` builds.
DENSE_LIMIT_BYTES = 256 * 2**20


@dataclass(frozen=True)
class TabularModel:
    """Outcome arrays of a tabular model, each of shape ``(n_states, n_actions, K)``.

    Attributes
    ----------
    next_states : ndarray of int, shape (S, A, K)
        The state reached by outcome ``k`` of taking ``a`` in ``s``.
    probs : ndarray of float, shape (S, A, K)
        Probability of outcome ``k``; sums to 1 over ``k``. Unused slots hold 0.
    rewards : ndarray of float, shape (S, A, K)
        Reward received with outcome ``k``.
    terminated : ndarray of bool, shape (S, A, K)
        Whether outcome ``k`` ends the episode (no bootstrapping from it).
    """

    next_states: np.ndarray
    probs: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray

    def __post_init__(self) -> None:
        shape = self.next_states.shape
        for name in ("probs", "rewards", "terminated"):
            if getattr(self, name).shape != shape or len(shape) != 3:
                raise ValueError(
                    f"model arrays must share one 3-D shape (S, A, K); next_states "
                    f"has {shape}, {name} has {getattr(self, name).shape}"
                )

    @property
    def n_states(self) -> int:
        return self.next_states.shape[0]

    @property
    def n_actions(self) -> int:
        return self.next_states.shape[1]

    def expected_rewards(self) -> np.ndarray:
        """Expected reward r(s, a), shape ``(S, A)`` (S&B eq. 3.5)."""
        return (self.probs * self.rewards).sum(axis=-1)

    def transition_matrix(self) -> np.ndarray:
        """Dense p(s' | s, a), shape ``(S, A, S)``; for small grids only.

        Raises
        ------
        ValueError
            If the matrix would take more than ``DENSE_LIMIT_BYTES``.
        """
        n_states, n_actions, _ = self.next_states.shape
        size = n_states * n_actions * n_states * 8
        if size > DENSE_LIMIT_BYTES:
            raise ValueError(
                f"dense transition matrix needs {size / 2**20:.0f} MiB for "
                f"n_states == {n_states}, must be <= {DENSE_LIMIT_BYTES // 2**20} MiB;"
                " use the outcome arrays (next_states, probs) instead"
            )
        dense = np.zeros((n_states, n_actions, n_states))
        s, a = np.indices((n_states, n_actions))
        for k in range(self.next_states.shape[2]):
            np.add.at(dense, (s, a, self.next_states[..., k]), self.probs[..., k])
        return dense


def sample_outcomes(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one outcome index per row of ``probs``, each with its probability.

    The one outcome sampler of the package: every stochastic step of a batch of
    envs and every rollout in a stochastic model draws its outcomes here, with
    one uniform number per row (inverse transform sampling on the cumulative
    probabilities).

    Parameters
    ----------
    probs : ndarray of float, shape (..., K)
        Outcome probabilities, e.g. ``model.probs[states, actions]`` of shape
        ``(n, K)``; each row sums to 1.
    rng : numpy Generator

    Returns
    -------
    ndarray of int, shape (...)
        Index ``k`` of the drawn outcome of each row.
    """
    probs = np.asarray(probs)
    cumulative = probs.cumsum(axis=-1)
    draws = rng.random(probs.shape[:-1])[..., None]
    return np.minimum((draws >= cumulative).sum(axis=-1), probs.shape[-1] - 1)
