"""Agents: hand-computed updates on tiny tables, counters, and the n = 0 oracle."""

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from gridworlds import Action


def test_q_learning_update_by_hand():
    agent = tm.QLearningAgent(2, 2, alpha=0.5, gamma=0.9, rng=0)
    agent.q[1] = [0.5, 1.0]
    agent.update(0, 0, 1.0, 1, False)  # 0 + 0.5 * (1 + 0.9 * 1.0 - 0) = 0.95
    assert agent.q[0, 0] == pytest.approx(0.95)
    agent.update(0, 1, 1.0, 1, True)  # terminated: no bootstrap, 0.5 * 1 = 0.5
    assert agent.q[0, 1] == pytest.approx(0.5)
    assert (agent.n_real_steps, agent.n_planning_updates) == (2, 0)


def test_truncated_steps_still_bootstrap():
    # One-step episodes on "S..G": the step is truncated, not terminated, so the
    # runner passes terminated=False and the update bootstraps from q[1].
    def agent_factory(env, rng):
        agent = tm.QLearningAgent(4, 4, alpha=0.5, gamma=0.9, epsilon=0.0, rng=rng)
        agent.q[0, Action.RIGHT] = 0.1  # the greedy action
        agent.q[1] = 2.0
        return agent

    agents = []
    results = tm.run_episodes(
        lambda: gridworlds.GridWorld("S..G", max_steps=1),
        lambda env, rng: agents.append(agent_factory(env, rng)) or agents[-1],
        n_episodes=1,
    )
    assert results.steps.tolist() == [[1]]
    assert agents[0].q[0, Action.RIGHT] == pytest.approx(0.1 + 0.5 * (0.9 * 2 - 0.1))


def test_dyna_planning_step_by_hand():
    agent = tm.DynaQAgent(2, 2, n_planning_steps=1, alpha=0.5, gamma=0.9, rng=0)
    agent.update(0, 1, 1.0, 1, False)
    # (d) direct: 0.5 * 1 = 0.5; (f) the only observed pair again:
    # 0.5 + 0.5 * (1 + 0.9 * 0 - 0.5) = 0.75
    assert agent.q[0, 1] == pytest.approx(0.75)
    assert (agent.n_real_steps, agent.n_planning_updates) == (1, 1)


def test_dyna_q_plus_bonus_by_hand():
    # alpha = 1 and gamma = 0, so a planning backup sets Q = r + kappa * sqrt(tau).
    agent = tm.DynaQPlusAgent(
        2, 2, kappa=0.5, alpha=1.0, gamma=0.0, n_planning_steps=0, rng=0
    )
    agent.update(0, 0, 0.25, 1, False)  # real step 1
    for _ in range(4):  # real steps 2-5
        agent.update(1, 0, 0.0, 1, False)
    agent.plan(200)  # every (visited state, action) is drawn
    assert agent.q[0, 0] == pytest.approx(0.25 + 0.5 * np.sqrt(4))  # tried at 1
    assert agent.q[0, 1] == pytest.approx(0.5 * np.sqrt(5))  # never tried
    assert agent.q[1, 0] == pytest.approx(0.0)  # just tried: tau = 0
    assert agent.n_real_steps == 5 and agent.n_planning_updates == 200


def test_dyna_q_plans_only_from_observed_pairs():
    agent = tm.DynaQAgent(5, 4, n_planning_steps=500, alpha=1.0, gamma=0.0, rng=0)
    agent.q[:] = 7.0
    agent.update(2, 3, 1.0, 4, False)
    untouched = np.ones((5, 4), dtype=bool)
    untouched[2, 3] = False
    assert (agent.q[untouched] == 7.0).all() and agent.q[2, 3] == 1.0


def test_planning_counts_are_separate_from_real_steps():
    agents = []

    def make_agent(env, rng):
        agents.append(
            tm.DynaQAgent(env.n_states, env.n_actions, n_planning_steps=7, rng=rng)
        )
        return agents[-1]

    results = tm.run_episodes(
        lambda: gridworlds.make("dyna_maze"), make_agent, n_episodes=3, seed=1
    )
    agent = agents[0]
    assert agent.n_real_steps == results.steps.sum()
    assert agent.n_planning_updates == 7 * agent.n_real_steps
    np.testing.assert_array_equal(results.planning_updates, 7 * results.steps)


def test_dyna_q_with_n_0_is_q_learning_step_for_step():
    def trace(make_agent):
        env = gridworlds.make("dyna_maze")
        agent = make_agent(np.random.default_rng(5))
        state, _ = env.reset(seed=5)
        actions = []
        for _ in range(3000):
            action = agent.select_action(state)
            actions.append(action)
            next_state, reward, terminated, _, _ = env.step(action)
            agent.update(state, action, reward, next_state, terminated)
            state = env.reset()[0] if terminated else next_state
        return actions, agent.q

    q_actions, q_table = trace(lambda rng: tm.QLearningAgent(54, 4, rng=rng))
    d_actions, d_table = trace(
        lambda rng: tm.DynaQAgent(54, 4, n_planning_steps=0, rng=rng)
    )
    assert q_actions == d_actions
    np.testing.assert_array_equal(q_table, d_table)
    assert q_table.any()


def test_n_0_gives_the_same_steps_per_episode():
    def run(cls, **kwargs):
        return tm.run_episodes(
            lambda: gridworlds.make("dyna_maze"),
            lambda env, rng: cls(env.n_states, env.n_actions, rng=rng, **kwargs),
            n_episodes=10,
            n_runs=2,
            seed=3,
        ).steps

    np.testing.assert_array_equal(
        run(tm.QLearningAgent), run(tm.DynaQAgent, n_planning_steps=0)
    )


def test_ties_are_broken_at_random():
    agent = tm.QLearningAgent(1, 4, epsilon=0.0, rng=0)
    counts = np.bincount([agent.select_action(0) for _ in range(4000)], minlength=4)
    # np.argmax would give [4000, 0, 0, 0]; 4000 draws: 5 sigma is about 0.034.
    assert counts / 4000 == pytest.approx([0.25] * 4, abs=0.04)
    agent.q[0, 2] = 1e-9
    assert {agent.select_action(0) for _ in range(100)} == {2}


def test_epsilon_explores_at_the_stated_rate():
    agent = tm.QLearningAgent(1, 4, epsilon=0.2, rng=1)
    agent.q[0, 3] = 1.0
    share = np.mean([agent.select_action(0) == 3 for _ in range(5000)])
    assert share == pytest.approx(1 - 0.2 * 3 / 4, abs=0.03)  # 5 sigma = 0.028


def test_prioritized_sweeping_propagates_backwards_along_a_chain():
    # A corridor S....G: after one pass of real steps, a single terminal reward
    # sweeps back over all predecessors within one planning burst.
    env = gridworlds.GridWorld("S....G")
    agent = tm.PrioritizedSweepingAgent(
        6, 4, n_planning_steps=0, alpha=1.0, gamma=0.9, rng=0
    )
    state, _ = env.reset()
    for _ in range(5):
        next_state, reward, terminated, _, _ = env.step(Action.RIGHT)
        agent.update(state, Action.RIGHT, reward, next_state, terminated)
        state = next_state
    assert agent.n_planning_updates == 0 and not agent.q.any()  # n = 0: no backups
    agent.n_planning_steps = 10
    agent.update(0, Action.LEFT, 0.0, 0, False)  # one more real step, then sweep
    np.testing.assert_allclose(agent.q[:5, Action.RIGHT], 0.9 ** np.arange(4, -1, -1))
    # The self-loop (0, LEFT) also leads to state 0, so it is swept too: 6 backups.
    assert agent.q[0, Action.LEFT] == pytest.approx(0.9**5)
    assert agent.n_planning_updates == 6
    assert not agent.direct_rl


def test_replay_with_no_replays_is_q_learning_step_for_step():
    env_a, env_b = gridworlds.make("dyna_maze"), gridworlds.make("dyna_maze")
    replay = tm.ReplayQAgent(env_a.n_states, env_a.n_actions, n_replay_steps=0, rng=3)
    plain = tm.QLearningAgent(env_b.n_states, env_b.n_actions, rng=3)
    steps_a = tm.interact(env_a, replay, env_a.reset(seed=1)[0])
    steps_b = tm.interact(env_b, plain, env_b.reset(seed=1)[0])
    for _ in range(500):
        assert next(steps_a).action == next(steps_b).action
    assert np.array_equal(replay.q, plain.q) and replay.n_planning_updates == 0


def test_replay_memory_is_first_in_first_out_and_replays_count():
    agent = tm.ReplayQAgent(4, 1, n_replay_steps=2, capacity=3, alpha=1.0, rng=0)
    for state in range(4):  # four transitions into a memory of three
        agent.update(state, 0, float(state), (state + 1) % 4, False)
    assert agent.memory[:, 0].tolist() == [1.0, 2.0, 3.0]  # the oldest dropped
    assert agent.memory[:, 2].tolist() == [1.0, 2.0, 3.0]  # rewards kept
    assert (agent.n_real_steps, agent.n_planning_updates) == (4, 8)
    # By hand: with alpha = 1 and one action, a replay of (s, r, s') sets
    # Q(s) = r + gamma Q(s'); replaying a transition twice changes nothing more.
    lonely = tm.ReplayQAgent(2, 1, n_replay_steps=5, alpha=1.0, gamma=0.5, rng=0)
    lonely.update(1, 0, 2.0, 1, True)
    lonely.update(0, 0, 1.0, 1, False)
    assert lonely.q[:, 0].tolist() == [1.0 + 0.5 * 2.0, 2.0]
    with pytest.raises(ValueError, match=r"capacity == 0, must be in \[1, inf\]"):
        tm.ReplayQAgent(2, 1, capacity=0)


def test_rollouts_with_no_rollouts_are_q_learning_step_for_step():
    for model in (tm.DeterministicModel, tm.EmpiricalModel):
        env_a, env_b = gridworlds.make("dyna_maze"), gridworlds.make("dyna_maze")
        rollouts = tm.RolloutQAgent(
            env_a.n_states,
            env_a.n_actions,
            n_rollouts=0,
            rollout_length=5,
            model=model(env_a.n_states, env_a.n_actions),
            rng=3,
        )
        plain = tm.QLearningAgent(env_b.n_states, env_b.n_actions, rng=3)
        steps_a = tm.interact(env_a, rollouts, env_a.reset(seed=1)[0])
        steps_b = tm.interact(env_b, plain, env_b.reset(seed=1)[0])
        for _ in range(500):
            assert next(steps_a).action == next(steps_b).action
        assert np.array_equal(rollouts.q, plain.q)
        assert (rollouts.n_planning_updates, rollouts.n_rollout_starts) == (0, 0)


class _Recording(tm.RolloutQAgent):
    """Remembers every backup it makes while ``recording``."""

    recording = False

    def backup(self, state, action, reward, next_state, terminated):
        if self.recording:
            self.backups.append((state, next_state, terminated))
        return super().backup(state, action, reward, next_state, terminated)


def test_a_rollout_stops_at_a_terminal_state_and_the_counters_count():
    # The chain 0 -> 1 -> 2 (terminal, reward 1), one action, alpha 1.
    agent = _Recording(
        3, 1, n_rollouts=2, rollout_length=5, alpha=1.0, gamma=0.5, rng=0
    )
    agent.backups = []
    # After 0 -> 1 the model knows no action in 1: each rollout is five
    # one-step rollouts from 0, the one state visited.
    agent.update(0, 0, 0.0, 1, False)
    assert (agent.n_planning_updates, agent.n_rollout_starts) == (10, 10)
    agent.recording = True
    agent.update(1, 0, 1.0, 2, True)
    real, imagined = agent.backups[0], agent.backups[1:]
    assert real == (1, 2, True) and len(imagined) == 10
    # Rollouts start in 0 or 1 and never go past the terminal state 2: from 0
    # the next imagined step is from 1 (as the model says), unless the
    # rollout's five transitions are used up; from 1 it ends, and the next
    # one starts again from a visited state.
    assert {s for s, _, _ in imagined} <= {0, 1}
    assert [end for s, _, end in imagined] == [s == 1 for s, _, _ in imagined]
    for position, (state, _, _) in enumerate(imagined[:-1]):
        if state == 0 and position != 4:
            assert imagined[position + 1][0] == 1
    # One start per rollout, one more after each terminal step that did not
    # use up its rollout.
    restarts = sum(end for i, (_, _, end) in enumerate(imagined) if i not in (4, 9))
    assert agent.n_rollout_starts == 10 + 2 + restarts
    assert (agent.n_real_steps, agent.n_planning_updates) == (2, 20)
    # By hand, alpha = 1: Q(1) = 1 (terminal), Q(0) = 0.5 * Q(1).
    assert any(s == 0 for s, _, _ in imagined)
    assert agent.q[:, 0].tolist() == [0.5, 1.0, 0.0]


def test_rollouts_follow_the_policy_among_the_actions_the_model_knows():
    # Two actions in state 0; only action 1 was tried. Imagined steps take it,
    # even though the untried action 0 has the larger value.
    agent = _Recording(2, 2, n_rollouts=3, rollout_length=1, q_init=5.0, rng=0)
    agent.backups, agent.recording = [], True
    agent.update(0, 1, 0.0, 1, True)
    assert [(s, n) for s, n, _ in agent.backups[1:]] == [(0, 1)] * 3
    assert agent.q[0, 0] == 5.0  # never backed up
    with pytest.raises(ValueError, match=r"rollout_length == 0, must be in \[1, inf\]"):
        tm.RolloutQAgent(2, 1, rollout_length=0)
    with pytest.raises(ValueError, match=r"n_rollouts == -1, must be in \[0, inf\]"):
        tm.RolloutQAgent(2, 1, n_rollouts=-1)
