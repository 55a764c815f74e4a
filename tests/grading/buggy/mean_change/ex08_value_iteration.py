"""Bug: stops when the mean change of V in a sweep is below tol, not the
largest: one slow state among many converged ones is left far off."""

import numpy as np


def value_iteration(next_states, probs, rewards, terminated, gamma, tol=1e-10):
    expected = (probs * rewards).sum(axis=-1)
    discount = gamma * probs * ~terminated
    v = np.zeros(next_states.shape[0])
    while True:
        q = expected + (discount * v[next_states]).sum(axis=-1)
        change = np.abs(q.max(axis=1) - v).mean()
        v = q.max(axis=1)
        if change < tol:
            return v, expected + (discount * v[next_states]).sum(axis=-1)
