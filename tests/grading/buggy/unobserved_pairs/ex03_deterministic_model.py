"""Bug: sample() draws any (state, action), so planning starts from pairs
that were never observed."""


class DeterministicModel:
    def __init__(self, n_states, n_actions):
        self.n_states, self.n_actions = n_states, n_actions
        self.outcomes = {}

    def update(self, state, action, reward, next_state, terminated):
        self.outcomes[(state, action)] = (reward, next_state, terminated)

    def predict(self, state, action):
        return self.outcomes[(state, action)]

    def sample(self, rng):
        return int(rng.integers(self.n_states)), int(rng.integers(self.n_actions))
