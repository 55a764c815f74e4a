"""Bug: a step that is both terminated and truncated still bootstraps."""


def q_learning_update(
    q, state, action, reward, next_state, terminated, truncated, *, alpha, gamma
):
    if terminated and not truncated:
        target = reward
    else:
        target = reward + gamma * q[next_state].max()
    delta = target - q[state, action]
    q[state, action] += alpha * delta
    return delta
