"""Bug: draws the candidates from default_rng(0) made inside the function:
every decision of an episode looks at the same sequences."""

import numpy as np


def random_shooting_action(score, n_actions, horizon, n_candidates, rng):
    sequences = np.random.default_rng(0).integers(
        n_actions, size=(n_candidates, horizon)
    )
    returns = score(sequences)
    best = np.flatnonzero(returns == returns.max())
    return int(sequences[rng.choice(best), 0])
