"""Reference solution of exercise 2."""


def q_learning_update(
    q, state, action, reward, next_state, terminated, truncated, *, alpha, gamma
):
    target = reward if terminated else reward + gamma * q[next_state].max()
    delta = target - q[state, action]
    q[state, action] += alpha * delta
    return float(delta)
