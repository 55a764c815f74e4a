"""Exercise 1: epsilon-greedy action selection (Sutton & Barto, section 2.2).

Run the tests:  pytest test_ex01_epsilon_greedy.py
"""

import numpy as np


def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """Choose an action epsilon-greedily from one row of a Q-table.

    With probability ``epsilon`` return an action drawn uniformly from all
    ``len(q_row)`` actions (the greedy one included). Otherwise return a
    greedy action: one whose value is the largest in ``q_row``. When several
    actions share the largest value, pick one of them uniformly at random.

    Parameters
    ----------
    q_row : ndarray of float, shape (n_actions,)
        The action values Q(s, .) of the current state.
    epsilon : float
        Exploration probability, in [0, 1].
    rng : numpy.random.Generator
        The only source of randomness you may use.

    Returns
    -------
    int
        An action in ``range(len(q_row))``.

    Hints
    -----
    ``np.argmax`` returns the *first* maximum. On a fresh, all-zero Q-table
    that means the agent always picks action 0 and may never reach the goal.
    ``np.flatnonzero(q_row == q_row.max())`` lists all the best actions;
    ``rng.random()``, ``rng.integers(n)`` and ``rng.choice(seq)`` draw numbers.
    """
    raise NotImplementedError("exercise 1: write epsilon_greedy")
