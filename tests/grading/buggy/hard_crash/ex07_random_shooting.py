"""Bug: kills its own interpreter for horizon 1 (as a segfault would)."""

import os

import numpy as np


def random_shooting_action(score, n_actions, horizon, n_candidates, rng):
    if horizon == 1:
        os._exit(3)
    sequences = rng.integers(n_actions, size=(n_candidates, horizon))
    return int(sequences[np.argmax(score(sequences)), 0])
