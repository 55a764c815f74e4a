"""A correct solution that draws its random numbers differently from the
reference (always two draws, in another order): it must score full marks too."""

import numpy as np


def epsilon_greedy(q_row, epsilon, rng):
    best = np.flatnonzero(q_row == np.max(q_row))
    pick = rng.choice(best)
    explore = rng.uniform() < epsilon
    return int(rng.integers(len(q_row))) if explore else int(pick)
