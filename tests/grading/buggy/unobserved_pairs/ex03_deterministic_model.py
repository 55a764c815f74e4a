"""Bug: sample_pairs() draws any (state, action), so planning starts from
pairs that were never observed."""

import numpy as np


class DeterministicModel:
    def __init__(self, n_states, n_actions):
        shape = (n_states, n_actions, 1)
        self.n_states, self.n_actions = n_states, n_actions
        self.next_states = np.repeat(np.arange(n_states), n_actions).reshape(shape)
        self.rewards = np.zeros(shape)
        self.terminated = np.zeros(shape, dtype=bool)
        self.probs = np.ones(shape)
        self.observed = np.zeros((n_states, n_actions), dtype=bool)

    def update(self, state, action, reward, next_state, terminated):
        self.observed[state, action] = True
        self.next_states[state, action, 0] = next_state
        self.rewards[state, action, 0] = reward
        self.terminated[state, action, 0] = terminated

    def sample(self, state, action, rng=None):
        return (
            float(self.rewards[state, action, 0]),
            int(self.next_states[state, action, 0]),
            bool(self.terminated[state, action, 0]),
        )

    def sample_pairs(self, n, rng):
        return [
            [int(rng.integers(self.n_states)), int(rng.integers(self.n_actions))]
            for _ in range(n)
        ]
