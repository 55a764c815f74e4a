"""A correct value iteration that sweeps state by state, in place (Gauss-
Seidel), and stops on the largest change it saw: it must score full marks
too."""

import numpy as np


def value_iteration(next_states, probs, rewards, terminated, gamma, tol=1e-10):
    v = np.zeros(next_states.shape[0])

    def backups(s):  # Q(s, .) from the values as they are now
        keep = np.where(terminated[s], 0.0, gamma * v[next_states[s]])
        return (probs[s] * (rewards[s] + keep)).sum(axis=-1)

    while True:
        largest = 0.0
        for s in range(len(v)):
            new = backups(s).max()
            largest = max(largest, abs(new - v[s]))
            v[s] = new
        if largest < tol:
            return v, np.array([backups(s) for s in range(len(v))])
