"""Bug: np.argmax breaks ties toward the first action."""

import numpy as np


def epsilon_greedy(q_row, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    return int(np.argmax(q_row))
