"""Bug: the returns come back as a column, shape (n_candidates, 1)."""

import numpy as np


def rollout_returns(next_states, rewards, terminated, state, action_sequences, gamma):
    n, horizon = action_sequences.shape
    states = np.full(n, state)
    alive = np.ones(n, dtype=bool)
    total = np.zeros((n, 1))
    for t in range(horizon):
        actions = action_sequences[:, t]
        total[:, 0] += alive * gamma**t * rewards[states, actions]
        alive &= ~terminated[states, actions]
        states = next_states[states, actions]
    return total
