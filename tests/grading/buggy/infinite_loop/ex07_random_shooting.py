"""Bug: redraws until the best sequence is unique, which never happens when
every sequence scores the same: the loop never ends."""

import numpy as np


def random_shooting_action(score, n_actions, horizon, n_candidates, rng):
    while True:
        sequences = rng.integers(n_actions, size=(n_candidates, horizon))
        returns = score(sequences)
        if np.sum(returns == returns.max()) == 1:
            return int(sequences[np.argmax(returns), 0])
