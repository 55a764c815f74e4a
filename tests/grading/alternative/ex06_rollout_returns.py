"""A correct rollout that carries the discount as a running product and masks
with a float array: it must score full marks too (gamma 0 included)."""

import numpy as np


def rollout_returns(model, state, action_sequences, *, gamma):
    sequences = np.asarray(action_sequences)
    n, horizon = sequences.shape
    states = np.full(n, state)
    weight = np.ones(n)  # gamma ** t while the sequence lives, then 0
    total = np.zeros(n)
    for t in range(horizon):
        actions = sequences[:, t]
        total += weight * model.rewards[states, actions, 0]
        weight = weight * gamma * (1.0 - model.terminated[states, actions, 0])
        states = model.next_states[states, actions, 0]
    return total
