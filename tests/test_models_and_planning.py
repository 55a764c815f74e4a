"""Learned models, value iteration, and agents converging to it (oracles)."""

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from gridworlds import Action

SMALL = """
S..
.#.
..G
"""


def test_deterministic_model_keeps_the_last_outcome():
    model = tm.DeterministicModel(3, 2)
    assert not model.observed.any()
    # The rule for unseen pairs: stay in place, reward 0, not terminal.
    assert model.next_states[:, :, 0].tolist() == [[0, 0], [1, 1], [2, 2]]
    model.update(0, 1, 1.0, 2, True)
    model.update(0, 1, 0.5, 1, False)  # the world changed: overwrite
    assert model.sample(0, 1) == (0.5, 1, False)
    assert model.observed.tolist() == [[False, True], [False, False], [False, False]]
    assert model.probs.shape == model.rewards.shape == (3, 2, 1)


def test_search_control_samples_only_observed_pairs_uniformly():
    model = tm.DeterministicModel(4, 2)
    with pytest.raises(
        RuntimeError, match=r"sample_pairs\(\) called on an empty model"
    ):
        model.sample_pairs(1, np.random.default_rng(0))
    for state, action in [(0, 1), (3, 0), (2, 1)]:
        model.update(state, action, 0.0, 0, False)
    pairs = model.sample_pairs(3000, np.random.default_rng(0))
    keys, counts = np.unique(np.array(pairs), axis=0, return_counts=True)
    assert keys.tolist() == [[0, 1], [2, 1], [3, 0]]
    assert counts / 3000 == pytest.approx([1 / 3] * 3, abs=0.05)  # 5 sigma ~ 0.043


def test_empirical_model_counts_by_hand():
    model = tm.EmpiricalModel(3, 1)
    model.update(0, 0, 1.0, 1, False)
    model.update(0, 0, 3.0, 1, False)
    model.update(0, 0, 0.0, 2, True)
    assert model.next_states[0, 0].tolist() == [1, 2]  # K grew to 2
    assert model.probs[0, 0].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert model.rewards[0, 0].tolist() == pytest.approx([2.0, 0.0])  # mean of 1, 3
    assert model.terminated[0, 0].tolist() == [False, True]
    assert model.probs[1, 0].tolist() == [1.0, 0.0]  # unseen: self-loop
    assert model.next_states[1, 0, 0] == 1 and not model.observed[1, 0]
    rng = np.random.default_rng(0)
    draws = [model.sample(0, 0, rng)[1] for _ in range(3000)]
    assert np.mean(np.array(draws) == 1) == pytest.approx(2 / 3, abs=0.05)


def test_value_iteration_by_hand():
    env = gridworlds.GridWorld("S.G")
    v, q = tm.value_iteration(env.model(), gamma=0.9)
    # From 1, RIGHT enters the goal (+1); from 0, one more step: 0.9.
    assert v.tolist() == pytest.approx([0.9, 1.0, 0.0])
    assert q[0, Action.LEFT] == pytest.approx(0.81)  # bump, then 0.9 from 0
    assert q.shape == (3, 4)


def test_value_iteration_on_a_slippery_chain_by_hand():
    # "S.G" with slip 0.4: from 1, RIGHT reaches G w.p. 0.7, else stays at 1 (UP,
    # DOWN: 0.2) or goes to 0 (LEFT: 0.1). v1 = 0.7 + 0.9 (0.2 v1 + 0.1 v0), and
    # v0 = 0.9 (0.7 v1 + 0.3 v0). Solve the two linear equations.
    env = gridworlds.GridWorld("S.G", slip=0.4)
    a = np.array([[1 - 0.27, -0.63], [-0.09, 1 - 0.18]])
    v_expected = np.linalg.solve(a, [0.0, 0.7])
    v, _ = tm.value_iteration(env.model(), gamma=0.9, tol=1e-12)
    assert v[:2] == pytest.approx(v_expected, abs=1e-9)


def test_value_iteration_reports_divergence():
    env = gridworlds.GridWorld("S.G", step_reward=1.0)  # bumping forever pays
    with pytest.raises(RuntimeError, match=r"did not converge in 50 sweeps"):
        tm.value_iteration(env.model(), gamma=1.0, max_iterations=50)


def test_learned_model_with_everything_observed_gives_the_true_values():
    env = gridworlds.GridWorld(SMALL)
    model = tm.DeterministicModel(env.n_states, env.n_actions)
    for state in range(env.n_states):
        for action in Action:
            for _, next_state, reward, terminated in env.transitions(state, action):
                model.update(state, action, reward, next_state, terminated)
    np.testing.assert_allclose(
        tm.value_iteration(model, gamma=0.9)[1],
        tm.value_iteration(env.model(), gamma=0.9)[1],
    )


def test_empirical_model_of_a_slippery_env_approaches_the_true_values():
    env = gridworlds.GridWorld(SMALL, slip=0.3)
    model = tm.EmpiricalModel(env.n_states, env.n_actions)
    env.reset(seed=0)
    for state in (0, 1, 2, 3, 5, 6, 7):
        for action in Action:
            for _ in range(300):
                env.reset(options={"state": state})
                next_state, reward, terminated, _, _ = env.step(action)
                model.update(state, action, reward, next_state, terminated)
    v_learned = tm.value_iteration(model, gamma=0.9)[0]
    v_true = tm.value_iteration(env.model(), gamma=0.9)[0]
    # The wall (state 4) is never observed, so it follows the self-loop rule.
    assert np.abs(v_learned - v_true)[standable(env)].max() < 0.02
    assert v_learned[4] == 0.0


def standable(env):
    return np.isin(env.grid.ravel(), [".", "S"])


def test_q_learning_with_decaying_exploration_converges_to_value_iteration():
    env = gridworlds.GridWorld(SMALL)
    agent = tm.QLearningAgent(
        env.n_states, env.n_actions, alpha=0.5, gamma=0.9, epsilon=1.0, rng=0
    )
    env.reset(seed=0)
    for episode in range(1500):
        agent.epsilon = max(0.1, 1.0 - episode / 1000)  # decay from 1 to 0.1
        state, _ = env.reset()
        terminated = False
        while not terminated:
            action = agent.select_action(state)
            next_state, reward, terminated, _, _ = env.step(action)
            agent.update(state, action, reward, next_state, terminated)
            state = next_state
    _, q_star = tm.value_iteration(env.model(), gamma=0.9)
    np.testing.assert_allclose(
        agent.q[standable(env)], q_star[standable(env)], atol=1e-6
    )


def test_dyna_q_with_many_planning_steps_converges_to_value_iteration():
    env = gridworlds.GridWorld(SMALL)
    agent = tm.DynaQAgent(
        env.n_states,
        env.n_actions,
        n_planning_steps=50,
        alpha=0.5,
        gamma=0.9,
        epsilon=1.0,
        rng=0,
    )
    state, _ = env.reset(seed=0)
    for _ in range(300):  # 300 real steps, random behaviour
        action = agent.select_action(state)
        next_state, reward, terminated, _, _ = env.step(action)
        agent.update(state, action, reward, next_state, terminated)
        state = env.reset()[0] if terminated else next_state
    assert agent.model.observed[standable(env)].all()
    _, q_star = tm.value_iteration(env.model(), gamma=0.9)
    np.testing.assert_allclose(
        agent.q[standable(env)], q_star[standable(env)], atol=1e-6
    )


def test_path_lengths():
    env = gridworlds.make("dyna_maze")
    model = env.model()
    assert tm.shortest_path_length(model, env.start_state) == 14
    _, q_star = tm.value_iteration(model, gamma=0.95)
    assert tm.greedy_path_length(q_star, model, env.start_state) == 14
    assert tm.greedy_path_length(np.zeros_like(q_star), model, env.start_state) is None
    q = np.zeros((3, 4))
    q[0, Action.LEFT] = 1.0  # greedy path bumps into the edge forever
    assert tm.greedy_path_length(q, gridworlds.GridWorld("S.G").model(), 0) is None
    q[0, Action.RIGHT] = q[1, Action.RIGHT] = 1.0  # tie at 0: RIGHT counts too
    assert tm.greedy_path_length(q, gridworlds.GridWorld("S.G").model(), 0) == 2
