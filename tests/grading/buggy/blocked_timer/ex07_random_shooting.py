"""Bug: for horizon 1 it blocks the timer signal and spins forever. (When it
ran in the test process, only killing that process could stop it; now it
blocks the signal in its own process, and the test still times out.)"""

import signal

import numpy as np


def random_shooting_action(score, n_actions, horizon, n_candidates, rng):
    if horizon == 1:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        while True:
            pass
    sequences = rng.integers(n_actions, size=(n_candidates, horizon))
    return int(sequences[np.argmax(score(sequences)), 0])
