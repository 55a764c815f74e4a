"""Bug: draws from NumPy's global generator instead of the given rng."""

import numpy as np


def epsilon_greedy(q_row, epsilon, rng):
    if np.random.random() < epsilon:  # noqa: NPY002 - the bug
        return int(np.random.randint(len(q_row)))  # noqa: NPY002
    best = np.flatnonzero(np.asarray(q_row) == np.max(q_row))
    return int(best[np.random.randint(len(best))])  # noqa: NPY002
