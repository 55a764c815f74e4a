"""Reference solution of exercise 1."""


def epsilon_greedy(q_row, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    values = list(q_row)
    best = [a for a, value in enumerate(values) if value == max(values)]
    return best[int(rng.integers(len(best)))]
