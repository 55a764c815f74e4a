"""Bug: draws the candidates from NumPy's global generator, not the given one."""

import numpy as np


def random_shooting_action(score, n_actions, horizon, n_candidates, rng):
    sequences = np.random.randint(n_actions, size=(n_candidates, horizon))  # noqa: NPY002
    returns = score(sequences)
    best = np.flatnonzero(returns == returns.max())
    return int(sequences[rng.choice(best), 0])
