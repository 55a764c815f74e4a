"""A correct model kept in dicts, sampling with rng.choice, arrays built on
demand."""

import numpy as np


class DeterministicModel:
    def __init__(self, n_states, n_actions):
        self.n_states, self.n_actions = n_states, n_actions
        self.outcomes = {}  # insertion-ordered: the distinct observed pairs

    def update(self, state, action, reward, next_state, terminated):
        self.outcomes[(state, action)] = (reward, next_state, terminated)

    def sample(self, state, action, rng=None):
        reward, next_state, terminated = self.outcomes.get(
            (state, action), (0.0, state, False)
        )
        return float(reward), int(next_state), bool(terminated)

    def sample_pairs(self, n, rng):
        if n and not self.outcomes:
            raise RuntimeError("nothing observed")
        pairs = list(self.outcomes)
        return [list(pairs[i]) for i in rng.choice(len(pairs), size=n)] if n else []

    def _array(self, index, dtype):
        out = np.zeros((self.n_states, self.n_actions, 1), dtype=dtype)
        for s in range(self.n_states):
            for a in range(self.n_actions):
                out[s, a, 0] = self.sample(s, a)[index]
        return out

    @property
    def rewards(self):
        return self._array(0, float)

    @property
    def next_states(self):
        return self._array(1, int)

    @property
    def terminated(self):
        return self._array(2, bool)

    @property
    def probs(self):
        return np.ones((self.n_states, self.n_actions, 1))

    @property
    def observed(self):
        seen = np.zeros((self.n_states, self.n_actions), dtype=bool)
        for s, a in self.outcomes:
            seen[s, a] = True
        return seen
