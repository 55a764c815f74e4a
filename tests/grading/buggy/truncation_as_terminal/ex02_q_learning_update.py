"""Bug: treats a time limit like a terminal state (no bootstrap)."""


def q_learning_update(
    q, state, action, reward, next_state, terminated, truncated, *, alpha, gamma
):
    done = terminated or truncated
    target = reward if done else reward + gamma * q[next_state].max()
    delta = target - q[state, action]
    q[state, action] += alpha * delta
    return float(delta)
