"""Bug: returns a list where the docstring promises an ndarray (the values
are right)."""

import numpy as np


def rollout_returns(model, state, action_sequences, *, gamma):
    sequences = np.asarray(action_sequences)
    states = np.full(len(sequences), state)
    alive = np.ones(len(sequences), dtype=bool)
    total = np.zeros(len(sequences))
    for t in range(sequences.shape[1]):
        actions = sequences[:, t]
        total += np.where(alive, gamma**t * model.rewards[states, actions, 0], 0.0)
        alive &= ~model.terminated[states, actions, 0]
        states = model.next_states[states, actions, 0]
    return total.tolist()
