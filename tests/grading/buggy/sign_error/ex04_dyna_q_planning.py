"""Bug: the backup moves Q away from the target (a sign error)."""


def dyna_q_planning(q, model, n, *, alpha, gamma, rng):
    for _ in range(n):
        state, action = model.sample(rng)
        reward, next_state, terminated = model.predict(state, action)
        target = reward if terminated else reward + gamma * q[next_state].max()
        q[state, action] -= alpha * (target - q[state, action])
    return n
