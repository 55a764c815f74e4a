"""Bug: shifts the Q row so that its best value is 0, in place, before
choosing: every choice is right, but the agent's values change under it."""

import numpy as np


def epsilon_greedy(q_row, epsilon, rng):
    q_row -= q_row.max()  # rewrites the agent's Q(s, .)
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    best = np.flatnonzero(q_row == 0.0)
    return int(best[rng.integers(len(best))])
