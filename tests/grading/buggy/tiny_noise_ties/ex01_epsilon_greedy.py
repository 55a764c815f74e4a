"""Bug: ties broken by adding tiny noise, so nearly equal values tie too."""

import numpy as np


def epsilon_greedy(q_row, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    return int(np.argmax(np.asarray(q_row) + 1e-6 * rng.random(len(q_row))))
