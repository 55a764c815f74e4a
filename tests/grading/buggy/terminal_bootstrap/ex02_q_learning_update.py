"""Bug: bootstraps from the next state even when the episode terminated."""


def q_learning_update(
    q, state, action, reward, next_state, terminated, truncated, *, alpha, gamma
):
    delta = reward + gamma * q[next_state].max() - q[state, action]
    q[state, action] += alpha * delta
    return float(delta)
