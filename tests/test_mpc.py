"""Random-shooting MPC and CEM: hand-computed rollouts, replanning, goal change."""

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from gridworlds import Action

L, R = Action.LEFT, Action.RIGHT
CHAIN = gridworlds.GridWorld("S.G")  # states 0, 1, 2 (goal: +1, terminal)


def test_rollout_returns_by_hand():
    sequences = np.array([[R, R, R], [L, R, R], [R, L, R]])
    returns = tm.rollout_returns(CHAIN.model(), 0, sequences, gamma=0.5)
    # R R: goal at t=1 -> 0.5 (the third action is never taken); L R R: goal at
    # t=2 -> 0.25; R L R: never reaches it -> 0.
    assert returns.tolist() == [0.5, 0.25, 0.0]
    with_values = tm.rollout_returns(
        CHAIN.model(),
        0,
        sequences,
        gamma=0.5,
        terminal_value=np.array([10.0, 20.0, 30.0]),
    )
    # Only the rollout still running at the horizon (in state 1) bootstraps:
    # 0.5 ** 3 * 20 = 2.5.
    assert with_values.tolist() == [0.5, 0.25, 2.5]


def test_reward_fn_and_terminal_fn_override_the_model():
    sequences = np.array([[R, R, R], [R, L, R]])

    def reward_fn(states, actions, next_states):
        return np.where(next_states == 1, 5.0, 0.0)

    returns = tm.rollout_returns(
        CHAIN.model(), 0, sequences, gamma=0.5, reward_fn=reward_fn
    )
    assert returns.tolist() == [5.0, 5.0 + 0.25 * 5.0]  # the goal still ends R R

    def never(states, actions, next_states):
        return np.zeros(states.shape, dtype=bool)

    returns = tm.rollout_returns(
        CHAIN.model(), 0, np.array([[R, R, R]]), gamma=0.5, terminal_fn=never
    )
    # Not terminal any more: enter G (+1 at t=1), then stay in the absorbing goal
    # (reward 0) at t=2.
    assert returns.tolist() == [0.5]


def test_stochastic_rollouts_sample_the_model():
    slippery = gridworlds.GridWorld("S.G", slip=0.4)
    # One step RIGHT from 1: the goal with probability 0.7, reward 1.
    sequences = np.full((20000, 1), R)
    returns = tm.rollout_returns(
        slippery.model(), 1, sequences, gamma=0.9, rng=np.random.default_rng(0)
    )
    assert returns.mean() == pytest.approx(0.7, abs=0.02)  # 5 sigma ~ 0.016
    with pytest.raises(
        ValueError,
        match=r"needs rng= for a stochastic model "
        r"\(K == 4 outcomes per pair\)",
    ):
        tm.rollout_returns(slippery.model(), 1, sequences, gamma=0.9)


def test_random_shooting_heads_for_the_goal_in_a_corridor():
    # From the start only RRRR (1 of 4**4 sequences) reaches the goal within the
    # horizon; 3000 candidates miss it with probability (255/256)**3000 < 1e-5.
    corridor = gridworlds.GridWorld("S...G")
    rng = np.random.default_rng(0)
    for state in range(4):
        action = tm.random_shooting(
            corridor.model(), state, horizon=4, n_candidates=3000, gamma=0.9, rng=rng
        )
        assert action == R


def test_cem_heads_for_the_goal_in_a_longer_corridor():
    corridor = gridworlds.GridWorld("S" + "." * 9 + "G")
    rng = np.random.default_rng(0)
    action = tm.cross_entropy_method(
        corridor.model(), 0, horizon=12, n_candidates=200, gamma=0.9, rng=rng
    )
    assert action == R


def walk(env, agent, max_steps=100):
    state, _ = env.reset(seed=0)
    path = [state]
    for _ in range(max_steps):
        action = agent.select_action(state)
        state, reward, terminated, _, _ = env.step(action)
        agent.update(path[-1], action, reward, state, terminated)
        path.append(state)
        if terminated:
            break
    return path


def test_mpc_with_the_true_model_walks_a_shortest_path():
    env = gridworlds.make("dyna_maze")
    model = env.model()
    v_star, _ = tm.value_iteration(model, gamma=0.95)
    agent = tm.RandomShootingAgent(
        env.n_states,
        env.n_actions,
        horizon=3,
        n_candidates=1000,
        model=model,
        terminal_value=v_star,
        rng=0,
    )
    path = walk(env, agent)
    assert len(path) - 1 == 14 and path[-1] == env.goal_states[0]


def test_receding_horizon_replans_every_step():
    env = gridworlds.make("dyna_maze")
    agent = tm.RandomShootingAgent(  # rollouts only: no value iteration
        env.n_states,
        env.n_actions,
        horizon=4,
        n_candidates=30,
        terminal_value=None,
        rng=1,
    )
    state, _ = env.reset(seed=0)
    for step in range(1, 6):
        action = agent.select_action(state)
        assert agent.n_planning_updates == step * 30 * 4
        next_state, reward, terminated, _, _ = env.step(action)
        agent.update(state, action, reward, next_state, terminated)
        state = next_state
    assert agent.n_real_steps == 5
    cem = tm.RandomShootingAgent(
        env.n_states,
        env.n_actions,
        horizon=4,
        n_candidates=30,
        planner="cem",
        n_iterations=3,
        terminal_value=None,
        rng=1,
    )
    cem.select_action(env.start_state)
    assert cem.n_planning_updates == 3 * 30 * 4


def test_goal_change_on_the_fly():
    env = gridworlds.make("dyna_maze")
    new_goal = env.to_state(5, 8)
    agent = tm.RandomShootingAgent(
        env.n_states,
        env.n_actions,
        horizon=3,
        n_candidates=1000,
        model=env.model(),
        terminal_value="value_iteration",
        rng=0,
    )
    assert walk(env, agent)[-1] == env.goal_states[0]
    # Swap the reward: the same model, no relearning, a new destination.
    agent.reward_fn = lambda s, a, next_s: (next_s == new_goal).astype(float)
    agent.terminal_fn = lambda s, a, next_s: next_s == new_goal
    moved = gridworlds.GridWorld(env.layout.replace("G", ".")[:-1] + "G")
    path = walk(moved, agent)
    assert path[-1] == new_goal
    assert len(path) - 1 == tm.shortest_path_length(moved.model(), env.start_state)


def test_planning_view_applies_the_unknown_pair_rule():
    model = tm.DeterministicModel(3, 2)
    model.update(0, 1, 0.5, 1, False)
    view = tm.planning_view(model, unknown_value=2.0)
    assert view.rewards[0, 1, 0] == 0.5 and not view.terminated[0, 1, 0]
    assert view.rewards[0, 0, 0] == 2.0 and view.terminated[0, 0, 0]  # unknown
    assert tm.planning_view(model).rewards[0, 0, 0] == 0.0  # no optimism
    true_view = tm.planning_view(CHAIN.model(), unknown_value=2.0)
    np.testing.assert_array_equal(true_view.rewards, CHAIN.model().rewards)


@pytest.mark.slow
def test_optimism_bounds_the_first_episode():
    def first_episode(unknown_value):
        agent_factory = lambda env, rng: tm.RandomShootingAgent(  # noqa: E731
            env.n_states,
            env.n_actions,
            horizon=5,
            n_candidates=100,
            rng=rng,
            unknown_value=unknown_value,
            terminal_value="value_iteration",
        )
        results = tm.run_episodes(
            lambda: gridworlds.make("dyna_maze", scale=2, max_steps=5000),
            agent_factory,
            n_episodes=1,
            n_runs=3,
            seed=0,
        )
        return results.steps[:, 0]

    # Optimism visits every unknown pair it can reach (the scaled maze has 864
    # pairs), then heads for the goal: the first episode is long but bounded.
    # Without it the agent random-walks, and a run can miss the goal entirely.
    optimistic, blind = first_episode(1.0), first_episode(None)
    assert optimistic.max() < 1000
    assert blind.max() == 5000  # truncated: never found the goal


def test_same_seed_same_decisions():
    def decisions(seed):
        env = gridworlds.make("dyna_maze")
        agent = tm.RandomShootingAgent(
            env.n_states, env.n_actions, horizon=5, n_candidates=50, rng=seed
        )
        return walk(env, agent, max_steps=60)

    assert decisions(3) == decisions(3)
    assert decisions(3) != decisions(4)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"horizon": 0}, ValueError, r"horizon == 0, must be in \[1, inf\]"),
        ({"n_candidates": 0}, ValueError, r"n_candidates == 0, must be in \[1, inf\]"),
        (
            {"planner": "mppi"},
            ValueError,
            r"planner == 'mppi', must be 'random_shooting'",
        ),
        ({"terminal_value": "vi"}, ValueError, r"terminal_value == 'vi', must be None"),
        (
            {"model": tm.DeterministicModel(5, 4)},
            ValueError,
            r"model has \(n_states, n_actions\) == \(5, 4\), must match the agent's",
        ),
    ],
)
def test_bad_agent_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        tm.RandomShootingAgent(54, 4, **kwargs)


def test_bad_rollout_arguments():
    model = CHAIN.model()
    with pytest.raises(
        ValueError,
        match=r"action_sequences has shape \(3,\), must be "
        r"\(n_candidates, horizon\)",
    ):
        tm.rollout_returns(model, 0, np.array([0, 1, 2]), gamma=0.9)
    with pytest.raises(
        TypeError,
        match=r"action_sequences must be an integer array,"
        r" got dtype float64",
    ):
        tm.rollout_returns(model, 0, np.zeros((2, 2)), gamma=0.9)
    with pytest.raises(ValueError, match=r"actions 0..4, must be in \[0, 3\]"):
        tm.rollout_returns(model, 0, np.array([[0, 4]]), gamma=0.9)
    with pytest.raises(
        ValueError,
        match=r"reward_fn returned shape \(\), must be "
        r"\(n_candidates,\) == \(2,\)",
    ):
        tm.rollout_returns(
            model,
            0,
            np.zeros((2, 2), dtype=int),
            gamma=0.9,
            reward_fn=lambda s, a, n: 1.0,
        )
    with pytest.raises(
        ValueError,
        match=r"terminal_value has shape \(2,\), must be "
        r"\(n_states,\) == \(3,\)",
    ):
        tm.rollout_returns(
            model, 0, np.zeros((2, 2), dtype=int), gamma=0.9, terminal_value=np.zeros(2)
        )
    with pytest.raises(ValueError, match=r"horizon == 0, must be in \[1, inf\]"):
        tm.random_shooting(
            model, 0, horizon=0, n_candidates=5, gamma=0.9, rng=np.random.default_rng(0)
        )


def test_every_sequence_is_scored_when_there_are_few_and_nothing_is_drawn():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    grid = tm.planning.candidate_sequences(4, 2, 16, rng)
    assert grid.shape == (16, 2) and len({tuple(row) for row in grid}) == 16
    assert rng.bit_generator.state == state  # no draws
    assert tm.planning.candidate_sequences(4, 2, 15, rng).shape == (15, 2)  # sampled
    # The agent counts what it simulated: 16 sequences of 2 steps, not 50 x 2.
    agent = tm.RandomShootingAgent(
        54, 4, horizon=2, n_candidates=50, terminal_value=None, rng=1
    )
    agent.select_action(0)
    assert agent.n_planning_updates == 32


def test_mpc_counts_its_value_iteration_as_planning():
    # A 3-state chain, one action: 0 -> 1 (reward 0), 1 -> 2 (reward 1, the end),
    # 2 stays and ends. Value iteration from zero, gamma 0.95:
    #   sweep 1: v = (0, 1, 0), change 1;  sweep 2: v = (0.95, 1, 0), change 0.95;
    #   sweep 3: no change: it stops. 3 sweeps x S*A*K = 3 x 3 backups = 9.
    chain = gridworlds.TabularModel(
        np.array([[[1]], [[2]], [[2]]]),
        np.ones((3, 1, 1)),
        np.array([[[0.0]], [[1.0]], [[0.0]]]),
        np.array([[[False]], [[True]], [[True]]]),
    )
    agent = tm.RandomShootingAgent(
        3, 1, horizon=1, n_candidates=1, model=chain, terminal_value="value_iteration"
    )
    assert agent.select_action(0) == 0
    # 9 value backups plus 1 simulated transition (1 sequence of 1 step).
    assert (agent.n_value_backups, agent.n_planning_updates) == (9, 10)
    agent.select_action(0)  # the model did not change: no value iteration
    assert (agent.n_value_backups, agent.n_planning_updates) == (9, 11)
    # The batched engine counts the same, per run.
    from tabular_mbrl.batched import BatchedMPC

    batch = BatchedMPC(
        2, 3, 1, horizon=1, n_candidates=1, gamma=0.95, epsilon=0.0,
        unknown_value=None, terminal_value="value_iteration",
        rng=[np.random.default_rng(0), np.random.default_rng(1)],
    )  # fmt: skip
    for (state, action), (reward, next_state, end) in [
        ((0, 0), (0.0, 1, False)),
        ((1, 0), (1.0, 2, True)),
        ((2, 0), (0.0, 2, True)),
    ]:
        batch.update(
            np.array([state, state]), np.array([action, action]),
            np.array([reward, reward]), np.array([next_state, next_state]),
            np.array([end, end]),
        )  # fmt: skip
    batch.select_actions(np.array([0, 0]))
    assert batch.n_value_backups.tolist() == [9, 9]
    assert batch.n_planning_updates.tolist() == [10, 10]


def _steps(agent, env, n_steps):
    """Actions, and the agent's Generator state, over ``n_steps`` real steps
    (episodes restart at S)."""
    state, _ = env.reset(seed=0)
    actions = []
    for _ in range(n_steps):
        action = agent.select_action(state)
        next_state, reward, terminated, truncated, _ = env.step(action)
        agent.update(state, action, reward, next_state, terminated)
        actions.append(action)
        state = env.reset()[0] if terminated or truncated else next_state
    return actions, agent.rng.bit_generator.state, agent.n_planning_updates


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # every one of the 64 sequences, a learned model, values
        {"horizon": 2, "n_candidates": 16, "terminal_value": None},
        {"model": "true", "epsilon": 0.2},  # planned on a frozen model
        {"horizon": 1, "n_candidates": 4, "kappa": 0.01},  # a bonus: not kept
        {"horizon": 3, "n_candidates": 20},  # sampled sequences: not kept
    ],
)
def test_kept_best_actions_act_and_draw_as_random_shooting_each_step(
    kwargs, monkeypatch
):
    # Where every sequence is scored on a deterministic view, the agent keeps
    # each state's best first actions until the view or the values change;
    # the oracle scores them again at every decision with random_shooting.
    env = gridworlds.make("dyna_maze")
    if kwargs.get("model") == "true":
        kwargs = {**kwargs, "model": env.model()}

    def run():
        agent = tm.RandomShootingAgent(env.n_states, env.n_actions, rng=5, **kwargs)
        return _steps(agent, env, 600)

    kept = run()
    monkeypatch.setattr(
        tm.RandomShootingAgent, "_best_firsts", lambda self, *args: None
    )
    assert kept == run()


def test_kept_best_actions_follow_a_model_changed_in_place():
    # One state, two actions, each ending the episode: action 0 pays 1,
    # action 1 pays 0. A frozen model, changed in place between decisions:
    # the agent sees the change, and what it kept is dropped.
    model = gridworlds.TabularModel(
        np.zeros((1, 2, 1), dtype=np.int64),
        np.ones((1, 2, 1)),
        np.array([[[1.0], [0.0]]]),
        np.ones((1, 2, 1), dtype=bool),
    )
    agent = tm.RandomShootingAgent(
        1, 2, horizon=1, n_candidates=2, model=model, terminal_value=None, rng=0
    )
    assert [agent.select_action(0) for _ in range(3)] == [0, 0, 0]
    model.rewards[0, 1, 0] = 2.0
    assert [agent.select_action(0) for _ in range(3)] == [1, 1, 1]


def test_the_default_agent_walks_a_shortest_path_with_the_true_model():
    """The defaults (every one of the 64 sequences of 3 steps, value-iteration
    terminal values): 14 steps from the start of the Dyna maze, in every seed."""
    env = gridworlds.make("dyna_maze")
    lengths = [
        len(walk(env, tm.RandomShootingAgent(54, 4, model=env.model(), rng=seed))) - 1
        for seed in range(20)
    ]
    assert lengths == [14] * 20
    assert tm.RandomShootingAgent(54, 4).horizon > 1  # still shooting, not greedy


def test_the_staleness_bonus_joins_the_rollout_rewards():
    # A 2-state chain: action 0 stays (reward 0), action 1 goes to the goal
    # (reward 1, terminal). The bonus kappa * sqrt(tau) joins the rewards of
    # the rollout model; kappa must be >= 0.
    model = tm.DeterministicModel(2, 2)
    model.update(0, 0, 0.0, 0, False)
    model.update(0, 1, 1.0, 1, True)
    bonus = np.array([[4.0, 9.0], [0.0, 0.0]])
    view = tm.planning_view(model, bonus=bonus, unknown_value=None)
    assert view.rewards[0, :, 0].tolist() == [4.0, 10.0]
    # Optimism still rules the pairs never seen: worth unknown_value, no bonus.
    view = tm.planning_view(model, bonus=bonus, unknown_value=0.5)
    assert view.rewards[1, :, 0].tolist() == [0.5, 0.5]
    agent = tm.RandomShootingAgent(2, 2, kappa=0.01, rng=0)
    for _ in range(4):
        agent.update(0, 1, 1.0, 1, True)
    agent.update(0, 0, 0.0, 0, False)
    # Tried at steps 4 and 5, now after step 5: tau = 1 and 0.
    assert agent.last_tried[0].tolist() == [5, 4]
    with pytest.raises(ValueError, match=r"kappa == -1, must be in \[0, inf\]"):
        tm.RandomShootingAgent(2, 2, kappa=-1.0)


def test_replanning_agent_plans_the_shortest_path_on_an_exact_model():
    env = gridworlds.make("dyna_maze")
    agent = tm.ReplanningAgent(
        env.n_states, env.n_actions, model=env.model(), replan_every=None, rng=0
    )
    plan = agent.plan(env.start_state)
    assert len(plan) == 14  # the Dyna maze's shortest path
    # Executed blindly in the (deterministic) world, it reaches the goal.
    state = env.reset(seed=0)[0]
    for action in plan:
        state, reward, terminated, *_ = env.step(action)
    assert terminated and reward == 1.0
    # Open loop executes the whole plan: one plan for the episode; closed
    # loop plans at every step.
    for every, plans in ((None, 1), (1, 14), (4, 4)):
        agent = tm.ReplanningAgent(
            env.n_states, env.n_actions, model=env.model(), replan_every=every, rng=0
        )
        steps = tm.interact(env, agent, env.reset(seed=0)[0])
        for _ in range(14):
            step = next(steps)
        assert step.terminated and agent.n_plans == plans, every


def test_replanning_agent_stops_a_plan_that_goes_round():
    # A model that has seen nothing: every action stays put, worth 0. The
    # plan stops where it would come back to its own start.
    model = tm.DeterministicModel(3, 2)
    agent = tm.ReplanningAgent(3, 2, model=model, rng=0)
    assert len(agent.plan(1)) == 1
    with pytest.raises(ValueError, match=r"replan_every == 0, must be in \[1, inf\]"):
        tm.ReplanningAgent(3, 2, model=model, replan_every=0)
    with pytest.raises(ValueError, match=r"must match the agent's \(4, 2\)"):
        tm.ReplanningAgent(4, 2, model=model)
