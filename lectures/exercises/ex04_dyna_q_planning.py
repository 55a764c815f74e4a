"""Exercise 4: the planning loop of Dyna-Q, step (f) (Sutton & Barto, 8.2).

Run the tests:  pytest test_ex04_dyna_q_planning.py
"""

import numpy as np


def dyna_q_planning(
    q: np.ndarray,
    model,
    n: int,
    *,
    alpha: float,
    gamma: float,
    rng: np.random.Generator,
) -> int:
    """Do ``n`` Q-learning backups on transitions replayed from a model.

    For each of ``n`` pairs S, A <- model.sample_pairs(n, rng)
    (previously observed pairs):
        R, S', terminated <- model.sample(S, A, rng)
        Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)]
                   (no bootstrap term when ``terminated``)

    Parameters
    ----------
    q : ndarray of float, shape (n_states, n_actions)
        The Q-table, updated in place.
    model : object
        Has ``sample_pairs(n, rng) -> [[state, action], ...]`` and
        ``sample(state, action, rng) -> (reward, next_state, terminated)``,
        like the model of exercise 3 and ``tabular_mbrl.DeterministicModel``.
        Ask it for pairs; never invent your own.
    n : int
        Number of planning backups, >= 0.
    alpha, gamma : float
        Step size and discount.
    rng : numpy.random.Generator
        Pass it to the model's methods.

    Returns
    -------
    int
        The number of backups done (``n``): the agent's planning counter
        grows by this much, separately from its count of real steps.
    """
    raise NotImplementedError("exercise 4: write dyna_q_planning")
