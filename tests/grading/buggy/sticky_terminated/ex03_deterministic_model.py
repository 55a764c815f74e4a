"""Bug: a pair that once ended the episode stays terminal after a later
outcome that did not (``|=`` where ``=`` was meant)."""

import numpy as np


class DeterministicModel:
    def __init__(self, n_states, n_actions):
        shape = (n_states, n_actions, 1)
        self.next_states = np.repeat(np.arange(n_states), n_actions).reshape(shape)
        self.rewards = np.zeros(shape)
        self.terminated = np.zeros(shape, dtype=bool)
        self.probs = np.ones(shape)
        self.observed = np.zeros((n_states, n_actions), dtype=bool)
        self.pairs = []

    def update(self, state, action, reward, next_state, terminated):
        if not self.observed[state, action]:
            self.observed[state, action] = True
            self.pairs.append([state, action])
        self.next_states[state, action, 0] = next_state
        self.rewards[state, action, 0] = reward
        self.terminated[state, action, 0] |= terminated

    def sample(self, state, action, rng=None):
        return (
            float(self.rewards[state, action, 0]),
            int(self.next_states[state, action, 0]),
            bool(self.terminated[state, action, 0]),
        )

    def sample_pairs(self, n, rng):
        if n == 0:
            return []
        if not self.pairs:
            raise RuntimeError("the model has observed nothing yet")
        return [self.pairs[i] for i in rng.integers(len(self.pairs), size=n)]
