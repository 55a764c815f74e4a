"""Bug: crashes as soon as it is imported."""

import numpy as np

SWEEPS = len(np.zeros(3)) // 0


def value_iteration(next_states, probs, rewards, terminated, gamma, tol=1e-10):
    return np.zeros(1), np.zeros((1, 1))
