"""Reference solution of exercise 7."""

import numpy as np


def random_shooting_action(score, n_actions, horizon, n_candidates, rng):
    sequences = rng.integers(n_actions, size=(n_candidates, horizon))
    returns = score(sequences)
    best = np.flatnonzero(returns == returns.max())
    return int(sequences[rng.choice(best), 0])
