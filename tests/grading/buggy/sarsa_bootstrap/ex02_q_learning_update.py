"""Bug: bootstraps from the action taken, Q(S', A), instead of max_a Q(S', a)."""


def q_learning_update(
    q, state, action, reward, next_state, terminated, truncated, *, alpha, gamma
):
    target = reward if terminated else reward + gamma * q[next_state, action]
    delta = target - q[state, action]
    q[state, action] += alpha * delta
    return delta
