"""Bug: stops on the signed change (new - old) of V: when values fall, as
with negative rewards, it stops after one sweep."""

import numpy as np


def value_iteration(next_states, probs, rewards, terminated, gamma, tol=1e-10):
    expected = (probs * rewards).sum(axis=-1)
    discount = gamma * probs * ~terminated
    v = np.zeros(next_states.shape[0])
    while True:
        q = expected + (discount * v[next_states]).sum(axis=-1)
        change = (q.max(axis=1) - v).max()
        v = q.max(axis=1)
        if change < tol:
            return v, expected + (discount * v[next_states]).sum(axis=-1)
