"""Exercise 2: the one-step Q-learning update (Sutton & Barto, section 6.5).

Run the tests:  pytest test_ex02_q_learning_update.py
"""

import numpy as np


def q_learning_update(
    q: np.ndarray,
    state: int,
    action: int,
    reward: float,
    next_state: int,
    terminated: bool,
    truncated: bool,
    *,
    alpha: float,
    gamma: float,
) -> float:
    """Apply one Q-learning backup to ``q`` in place and return the TD error.

        target = R + gamma * max_a Q(S', a)      (just R if the episode terminated)
        delta  = target - Q(S, A)
        Q(S, A) <- Q(S, A) + alpha * delta

    Parameters
    ----------
    q : ndarray of float, shape (n_states, n_actions)
        The Q-table. Change only the entry ``q[state, action]``, in place.
    state, action : int
        The pair that was tried.
    reward : float
        The reward received.
    next_state : int
        Where the environment went.
    terminated : bool
        The episode ended in a terminal state (the goal). A terminal state has
        value 0 by definition, so do not bootstrap from ``next_state``.
    truncated : bool
        The episode was cut short by a time limit. The next state is an
        ordinary state whose value we simply did not get to see, so *do*
        bootstrap from it. (Treating a time limit as termination teaches the
        agent that the states where time ran out are worth nothing.) If both
        flags are set (the time ran out on the very step that reached the
        goal), ``terminated`` wins: no bootstrap.
    alpha : float
        Step size, in (0, 1].
    gamma : float
        Discount factor, in [0, 1].

    Returns
    -------
    float
        The TD error ``delta``, computed before ``q`` changes.
    """
    raise NotImplementedError("exercise 2: write q_learning_update")
