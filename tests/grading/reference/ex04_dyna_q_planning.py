"""Reference solution of exercise 4."""


def dyna_q_planning(q, model, n, *, alpha, gamma, rng):
    for state, action in model.sample_pairs(n, rng):
        reward, next_state, terminated = model.sample(state, action, rng)
        target = reward if terminated else reward + gamma * q[next_state].max()
        q[state, action] += alpha * (target - q[state, action])
    return n
