"""Bug: ignores the tol it is given and always iterates to 1e-12."""

import numpy as np


def value_iteration(next_states, probs, rewards, terminated, gamma, tol=1e-10):
    v = np.zeros(next_states.shape[0])
    while True:
        q = (probs * (rewards + gamma * v[next_states] * ~terminated)).sum(axis=-1)
        change = np.abs(q.max(axis=1) - v).max()
        v = q.max(axis=1)
        if change < 1e-12:
            return v, q
