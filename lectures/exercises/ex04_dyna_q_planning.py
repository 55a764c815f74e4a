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

    Repeat ``n`` times:
        S, A <- model.sample(rng)               (a previously observed pair)
        R, S', terminated <- model.predict(S, A)
        Q(S, A) <- Q(S, A) + alpha [R + gamma max_a Q(S', a) - Q(S, A)]
                   (no bootstrap term when ``terminated``)

    Parameters
    ----------
    q : ndarray of float, shape (n_states, n_actions)
        The Q-table, updated in place.
    model : object
        Has ``sample(rng) -> (state, action)`` and
        ``predict(state, action) -> (reward, next_state, terminated)``, like
        the model of exercise 3. Ask it for pairs; never invent your own.
    n : int
        Number of planning backups, >= 0.
    alpha, gamma : float
        Step size and discount.
    rng : numpy.random.Generator
        Pass it to ``model.sample``.

    Returns
    -------
    int
        The number of backups done (``n``): the agent's planning counter
        grows by this much, separately from its count of real steps.
    """
    raise NotImplementedError("exercise 4: write dyna_q_planning")
