"""Bug: plans with a fresh generator instead of the one it is given: the
backups are right, but a seeded experiment is no longer reproducible."""

import numpy as np


def dyna_q_planning(q, model, n, *, alpha, gamma, rng):
    rng = np.random.default_rng()
    for state, action in model.sample_pairs(n, rng):
        reward, next_state, terminated = model.sample(state, action, rng)
        target = reward if terminated else reward + gamma * q[next_state].max()
        q[state, action] += alpha * (target - q[state, action])
    return n
