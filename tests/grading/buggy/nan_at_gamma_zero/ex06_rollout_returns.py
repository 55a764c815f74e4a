"""Bug: discounts as exp(t log gamma), which is nan for t = 0 at gamma = 0
(0 * -inf), a gamma the docstring allows."""

import numpy as np


def rollout_returns(model, state, action_sequences, *, gamma):
    sequences = np.asarray(action_sequences)
    states = np.full(len(sequences), state)
    alive = np.ones(len(sequences), dtype=bool)
    total = np.zeros(len(sequences))
    with np.errstate(divide="ignore", invalid="ignore"):
        for t in range(sequences.shape[1]):
            actions = sequences[:, t]
            discount = np.exp(t * np.log(gamma))
            total += np.where(alive, discount * model.rewards[states, actions, 0], 0.0)
            alive &= ~model.terminated[states, actions, 0]
            states = model.next_states[states, actions, 0]
    return total
