"""Exercise 7: random-shooting action selection, the heart of MPC.

Run the tests:  pytest test_ex07_random_shooting.py
"""

from collections.abc import Callable

import numpy as np


def random_shooting_action(
    score: Callable[[np.ndarray], np.ndarray],
    n_actions: int,
    horizon: int,
    n_candidates: int,
    rng: np.random.Generator,
) -> int:
    """Plan one decision by random shooting.

    1. Draw ``n_candidates`` action sequences of length ``horizon``, every
       action uniform over ``range(n_actions)``: an int array of shape
       ``(n_candidates, horizon)``.
    2. Score them all with one call, ``score(sequences)``, which returns an
       array of shape ``(n_candidates,)`` (for example
       ``lambda s: rollout_returns(model, state, s, gamma=0.95)``, with the
       ``rollout_returns`` of exercise 6).
    3. Return the *first* action of the best-scoring sequence. The agent
       executes only that action, then plans again at the next step
       (a receding horizon).

    If several sequences share the best score, any of them will do.

    Parameters
    ----------
    score : callable
        ``score(sequences) -> returns``; call it exactly once.
    n_actions, horizon, n_candidates : int
        All >= 1.
    rng : numpy.random.Generator

    Returns
    -------
    int
        An action in ``range(n_actions)``.
    """
    raise NotImplementedError("exercise 7: write random_shooting_action")
