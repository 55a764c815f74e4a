"""A correct model kept in arrays, sampling with rng.choice instead."""

import numpy as np


class DeterministicModel:
    def __init__(self, n_states, n_actions):
        self.seen = np.zeros((n_states, n_actions), dtype=bool)
        self.reward = np.zeros((n_states, n_actions))
        self.next_state = np.zeros((n_states, n_actions), dtype=int)
        self.terminated = np.zeros((n_states, n_actions), dtype=bool)

    def update(self, state, action, reward, next_state, terminated):
        self.seen[state, action] = True
        self.reward[state, action] = reward
        self.next_state[state, action] = next_state
        self.terminated[state, action] = terminated

    def predict(self, state, action):
        if not self.seen[state, action]:
            raise KeyError((state, action))
        return (
            float(self.reward[state, action]),
            int(self.next_state[state, action]),
            bool(self.terminated[state, action]),
        )

    def sample(self, rng):
        pairs = np.argwhere(self.seen)
        if len(pairs) == 0:
            raise ValueError("nothing observed")
        state, action = pairs[rng.choice(len(pairs))]
        return int(state), int(action)
