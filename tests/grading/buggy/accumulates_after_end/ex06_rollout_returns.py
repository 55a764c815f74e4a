"""Bug: keeps adding rewards after a terminal step."""

import numpy as np


def rollout_returns(model, state, action_sequences, *, gamma):
    n, horizon = action_sequences.shape
    states = np.full(n, state)
    total = np.zeros(n)
    for t in range(horizon):
        actions = action_sequences[:, t]
        total += gamma**t * model.rewards[states, actions, 0]
        states = model.next_states[states, actions, 0]
    return total
