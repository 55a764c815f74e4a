"""Exercise 8 (optional): value iteration on a tabular model (S&B section 4.4).

Run the tests:  pytest test_ex08_value_iteration.py
"""

import numpy as np


def value_iteration(
    next_states: np.ndarray,
    probs: np.ndarray,
    rewards: np.ndarray,
    terminated: np.ndarray,
    gamma: float,
    tol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal state and action values of a tabular model.

    The model is stored the way ``gridworlds`` stores ``env.model()``: for each
    pair ``(s, a)`` there are ``K`` possible outcomes ``k``, each with a
    probability, a next state, a reward and a terminated flag. Repeat

        Q(s, a) = sum_k probs[s, a, k] * (rewards[s, a, k]
                  + gamma * V(next_states[s, a, k]) * (not terminated[s, a, k]))
        V(s)    = max_a Q(s, a)

    until the largest change of ``V`` in a sweep is below ``tol``.

    Parameters
    ----------
    next_states : ndarray of int, shape (S, A, K)
    probs : ndarray of float, shape (S, A, K)
        Sums to 1 over the last axis.
    rewards : ndarray of float, shape (S, A, K)
    terminated : ndarray of bool, shape (S, A, K)
    gamma : float
        Discount, in [0, 1).
    tol : float
        Stopping threshold.

    Returns
    -------
    v : ndarray of float, shape (S,)
    q : ndarray of float, shape (S, A)

    Hints
    -----
    ``V[next_states]`` has shape ``(S, A, K)``; one sweep needs no Python loop.
    """
    raise NotImplementedError("exercise 8: write value_iteration")
