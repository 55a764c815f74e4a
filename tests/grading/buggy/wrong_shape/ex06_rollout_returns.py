"""Bug: the returns come back as a column, shape (n_candidates, 1)."""

import numpy as np


def rollout_returns(model, state, action_sequences, *, gamma):
    n, horizon = action_sequences.shape
    states = np.full(n, state)
    alive = np.ones(n, dtype=bool)
    total = np.zeros((n, 1))
    for t in range(horizon):
        actions = action_sequences[:, t]
        total[:, 0] += alive * gamma**t * model.rewards[states, actions, 0]
        alive &= ~model.terminated[states, actions, 0]
        states = model.next_states[states, actions, 0]
    return total
