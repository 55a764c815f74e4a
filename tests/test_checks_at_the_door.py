"""Every public function and method checks its arguments at the door: each
case below was once silently wrong, empty, or a NumPy message from deep
inside; now it is a ValueError or TypeError that names the parameter, the
value and the rule (issue 30's classes, written as its cases)."""

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import studies
from tabular_mbrl.plotting import plot_policy


def maze():
    return gridworlds.make("dyna_maze")


MODEL = maze().model()
RNG = np.random.default_rng(0)


def reward(s, a, n):
    return (n == 5) * 1.0


def ends(s, a, n):
    return n == 5


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        # Empty or out-of-range settings of a study, refused before it runs.
        (
            lambda: studies.dyna_maze(n_planning_steps=(), quick=True),
            ValueError,
            r"n_planning_steps == \(\), must name at least one setting",
        ),
        (
            lambda: studies.mpc_budget(horizons=(), quick=True),
            ValueError,
            r"horizons == \(\), must name at least one setting",
        ),
        (
            lambda: studies.replanning(slips=(), quick=True),
            ValueError,
            r"slips == \(\), must name at least one setting",
        ),
        (
            lambda: studies.sweeping_backups(scales=(), quick=True),
            ValueError,
            r"scales == \(\), must name at least one setting",
        ),
        (
            lambda: studies.goal_change(change_at=0, quick=True),
            ValueError,
            r"change_at == 0, must be in \[1, 999\]",
        ),
        (
            lambda: studies.dyna_maze(jobs=0, quick=True),
            ValueError,
            r"jobs == 0, must be in \[1, inf\]",
        ),
        (
            lambda: studies.dyna_maze(jobs=-3, quick=True),
            ValueError,
            r"jobs == -3, must be in \[1, inf\]",
        ),
        (
            lambda: studies.dyna_maze(quick="False"),
            TypeError,
            r"quick must be a bool, got str 'False'",
        ),
        # Statistics of nothing.
        (
            lambda: tm.confidence_interval([]),
            ValueError,
            r"values has shape \(0,\), must have at least one run",
        ),
        (
            lambda: tm.median_interval([]),
            ValueError,
            r"values has shape \(0,\), must have at least one run",
        ),
        (
            lambda: tm.steps_to_convergence(np.zeros((0, 5)), 14),
            ValueError,
            r"steps has shape \(0, 5\), must have at least one run",
        ),
        (
            lambda: tm.Series("a", np.arange(3), np.zeros((2, 4))),
            ValueError,
            r"series 'a': values has shape \(2, 4\) and x \(3,\), must be",
        ),
        # Shapes that do not match, once a NumPy broadcasting message.
        (
            lambda: tm.total_variation(np.ones(3), np.ones(4)),
            ValueError,
            r"p and q have shapes \(3,\) and \(4,\), must be the same",
        ),
        (
            lambda: tm.transition_error(MODEL, gridworlds.make("four_rooms").model()),
            ValueError,
            r"model and other have \(n_states, n_actions\) == \(54, 4\) and "
            r"\(169, 4\), must be the same",
        ),
        (
            lambda: tm.optimistic(MODEL, np.zeros((3, 3), bool), 1.0),
            ValueError,
            r"observed has shape \(3, 3\), must be \(n_states, n_actions\)",
        ),
        (
            lambda: tm.optimistic(MODEL, np.zeros((54, 4), bool), np.nan),
            ValueError,
            r"unknown_value == nan, must be finite",
        ),
        (
            lambda: tm.decided_states(np.zeros((3, 4)), maze()),
            ValueError,
            r"q has shape \(3, 4\), must be \(n_states, n_actions\) with n_states",
        ),
        (
            lambda: tm.unknown_outcomes(0, 4),
            ValueError,
            r"n_states == 0, must be in \[1, inf\]",
        ),
        (
            lambda: tm.epsilon_greedy(np.zeros(4), 2.0, RNG),
            ValueError,
            r"epsilon == 2, must be in \[0, 1\]",
        ),
        (
            lambda: tm.greedy_action(np.zeros(0), RNG),
            ValueError,
            r"q_row has shape \(0,\), must be \(n_actions,\), n_actions >= 1",
        ),
        # From the second audit: other cases of the same classes.
        (
            lambda: tm.epsilon_greedy(np.zeros(4), 0.1, 0),
            TypeError,
            r"rng must be a numpy Generator",
        ),
        (lambda: tm.greedy_action(np.zeros(4), 7), TypeError, r"rng must be a numpy"),
        (
            lambda: tm.greedy_action(np.array([np.nan, 1.0]), RNG),
            ValueError,
            r"q_row has NaN values, must be numbers",
        ),
        (
            lambda: tm.greedy_action(np.zeros((2, 2)), RNG),
            ValueError,
            r"q_row has shape \(2, 2\), must be \(n_actions,\)",
        ),
        (
            lambda: tm.DeterministicModel(3, 2).sample_pairs(2, 0),
            TypeError,
            r"rng must be a numpy Generator",
        ),
        (
            lambda: studies.blocking_maze(mpc="no", quick=True),
            TypeError,
            r"mpc must be a bool, got str 'no'",
        ),
        (
            lambda: studies.sweeping_backups(exact="yes", quick=True),
            TypeError,
            r"exact must be a bool, got str 'yes'",
        ),
        (
            lambda: maze().reset(options={"restart_schedule": "no"}),
            TypeError,
            r"restart_schedule must be a bool, got str 'no'",
        ),
        (
            lambda: tm.run_episodes(
                maze, tm.AgentSpec(tm.DynaQAgent), n_episodes=1, progress=5
            ),
            TypeError,
            r"progress must be callable or None, got int 5",
        ),
        (
            lambda: tm.run_steps(
                maze, tm.AgentSpec(tm.DynaQAgent), n_steps=5, on_change=5
            ),
            TypeError,
            r"on_change must be callable or None, got int 5",
        ),
        (
            lambda: studies.dyna_maze(progress=5, quick=True),
            TypeError,
            r"progress must be callable or None, got int 5",
        ),
        (
            lambda: tm.confidence_interval(np.zeros(3), seed=-1),
            ValueError,
            r"seed == -1, must be in \[0, inf\]",
        ),
        # States and counts out of range, once wrapped or deep in NumPy.
        (
            lambda: tm.DeterministicModel(3, 2).sample(-1, 0),
            ValueError,
            r"state == -1, must be in \[0, 2\]",
        ),
        (
            lambda: tm.EmpiricalModel(3, 2).sample(0, 2, RNG),
            ValueError,
            r"action == 2, must be in \[0, 1\]",
        ),
        (
            lambda: tm.shortest_path_length(MODEL, -1),
            ValueError,
            r"start_state == -1, must be in \[0, 53\]",
        ),
        (
            lambda: tm.shortest_path_length(MODEL, 999),
            ValueError,
            r"start_state == 999, must be in \[0, 53\]",
        ),
        (
            lambda: tm.greedy_path_length(np.zeros((54, 4)), MODEL, 54),
            ValueError,
            r"start_state == 54, must be in \[0, 53\]",
        ),
        (
            lambda: tm.predict_distribution(MODEL, 999, np.array([0])),
            ValueError,
            r"state == 999, must be in \[0, 53\]",
        ),
        (
            lambda: tm.predict_distribution(MODEL, 0, np.array([7])),
            ValueError,
            r"actions has actions 7..7, must be in \[0, 3\]",
        ),
        (
            lambda: tm.value_iteration(
                gridworlds.TabularModel(
                    np.full((2, 1, 1), 5),
                    np.ones((2, 1, 1)),
                    np.zeros((2, 1, 1)),
                    np.zeros((2, 1, 1), bool),
                ),
                gamma=0.9,
            ),
            ValueError,
            r"model next_states are 5..5, must be in \[0, 1\]",
        ),
        (lambda: tm.DynaQAgent(3, 2).plan(-1), ValueError, r"n == -1, must be"),
        (
            lambda: tm.DynaQPlusAgent(3, 2).plan(-1),
            ValueError,
            r"n == -1, must be in \[0, inf\]",
        ),
        (
            lambda: tm.DeterministicModel(3, 2).sample_pairs(-1, RNG),
            ValueError,
            r"n == -1, must be in \[0, inf\]",
        ),
        (lambda: tm.ReplayQAgent(3, 2).replay(-1), ValueError, r"n == -1, must be"),
        (
            lambda: tm.ReplayQAgent(3, 2).replay(5),
            RuntimeError,
            r"replay\(\) called before any real step; call update\(\)",
        ),
        (
            lambda: tm.RolloutQAgent(3, 2).rollout(-2),
            ValueError,
            r"length == -2, must be in \[0, inf\]",
        ),
        (
            lambda: tm.RolloutQAgent(3, 2).rollout(3),
            RuntimeError,
            r"rollout\(\) called before any real step; call update\(\)",
        ),
        # Goal functions: NaN, the wrong shape, not callable.
        (
            lambda: tm.tell(tm.DynaQAgent(3, 2), reward, lambda s, a, n: n * np.nan),
            ValueError,
            r"terminal_fn returned NaN, infinite or non-numeric values",
        ),
        (
            lambda: tm.tell(tm.DynaQAgent(3, 2), lambda s, a, n: np.zeros(5), ends),
            ValueError,
            r"reward_fn returned shape \(5,\), must broadcast to the shape of its",
        ),
        (
            lambda: tm.tell(tm.DynaQAgent(3, 2), 3.0, ends),
            TypeError,
            r"reward_fn must be callable, got float",
        ),
        (
            lambda: tm.planning_view(MODEL, terminal_fn=lambda s, a, n: n * np.nan),
            ValueError,
            r"terminal_fn returned NaN",
        ),
        (
            lambda: tm.planning_view(tm.DeterministicModel(3, 2), unknown_value=np.nan),
            ValueError,
            r"unknown_value == nan, must be finite",
        ),
        # A seed where a Generator is drawn from at every call.
        (
            lambda: tm.random_shooting(
                MODEL, 0, horizon=2, n_candidates=3, gamma=0.9, rng=0
            ),
            TypeError,
            r"rng must be a numpy Generator \(e.g. np.random.default_rng\(0\)\), got",
        ),
        (
            lambda: tm.rollout_returns(
                MODEL, 0, np.zeros((2, 2), int), gamma=0.9, rng=1
            ),
            TypeError,
            r"rng must be a numpy Generator",
        ),
        # Agents and factories that are not.
        (
            lambda: tm.AgentSpec(int),
            TypeError,
            r"agent_class must be an agent class such as DynaQAgent, with "
            r"select_action\(\) and update\(\); int has no select_action\(\)",
        ),
        (lambda: tm.AgentSpec(object), TypeError, r"object has no select_action"),
        (
            lambda: tm.AgentSpec(tm.DynaQAgent, alpha=float),
            TypeError,
            r"alpha == float is a class; only a learned model is given as its class",
        ),
        (
            lambda: tm.run_episodes(
                lambda: None, tm.AgentSpec(tm.DynaQAgent), n_episodes=1
            ),
            TypeError,
            r"env_factory\(\) returned NoneType None, must return an environment",
        ),
        (
            lambda: tm.run_episodes(maze, lambda env, rng: None, n_episodes=1),
            TypeError,
            r"the agent factory returned NoneType None, must return an agent",
        ),
        (
            lambda: tm.run_episodes(maze, [], n_episodes=1),
            ValueError,
            r"agent == \[\], must hold at least one AgentSpec",
        ),
        (
            lambda: maze().reset(seed=-1),
            ValueError,
            r"seed == -1, must be in \[0, inf\]",
        ),
        (lambda: tm.DynaQAgent(3, 2, rng=-1), ValueError, r"rng == -1, must be in"),
        (
            lambda: plot_policy(maze(), np.zeros((3, 3))),
            ValueError,
            r"q has shape \(3, 3\), must be \(n_states, n_actions\) == \(54, 4\)",
        ),
        (
            lambda: plot_policy(np.zeros((54, 4)), maze()),
            TypeError,
            r"env must be a GridWorld \(plot_policy\(env, q\): the env first\)",
        ),
    ],
    ids=lambda value: "" if callable(value) or isinstance(value, type) else value,
)
def test_a_bad_argument_is_refused_at_the_door(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_replanner_checks_the_state_at_every_step_not_only_when_it_plans():
    agent = tm.ReplanningAgent(54, 4, model=MODEL, replan_every=None, rng=0)
    agent.select_action(0)  # a plan of several actions
    with pytest.raises(ValueError, match=r"state == 54, must be in \[0, 53\]"):
        agent.select_action(54)


def test_a_numpy_integer_seed_is_a_seed():
    a = tm.DynaQAgent(3, 2, rng=np.int64(3))
    b = tm.DynaQAgent(3, 2, rng=3)
    assert a.rng.random() == b.rng.random()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: tm.run_episodes(
                maze, tm.AgentSpec(tm.DynaQAgent), n_episodes=50, n_runs=10**9
            ),
            r"1,000,000,000 runs of 50 points each would need [\d,.]+ GiB of memory",
        ),
        (
            lambda: tm.run_steps(
                maze,
                tm.AgentSpec(tm.ReplayQAgent, capacity=10**9),
                n_steps=10,
                n_runs=20,
                engine="batched",
            ),
            r"20 replay memories of 1,000,000,000 transitions would need",
        ),
        (
            lambda: gridworlds.make("dyna_maze", scale=10**4),
            r"a map scaled 10000x \(5,400,000,000 cells\) would need",
        ),
        (
            lambda: tm.QLearningAgent(10**6, 10**5),
            r"a table of 1,000,000 x 100,000 would need",
        ),
        (
            lambda: tm.RandomShootingAgent(3, 4, horizon=10**6, n_candidates=10**6),
            r"1,000,000 sequences of 1,000,000 actions would need",
        ),
        (
            lambda: tm.confidence_interval(np.zeros((3, 4)), n_resamples=10**9),
            r"1,000,000,000 resamples of 12 values would need",
        ),
        (
            lambda: gridworlds.make("open_grid", rows=50_000, cols=50_000),
            r"the model of a 50000 x 50000 map would need",
        ),
    ],
)
def test_what_would_not_fit_in_memory_is_refused_with_the_number(call, message):
    with pytest.raises(ValueError, match=message + r".* more than this machine's"):
        call()


def test_shortest_paths_on_a_large_grid_take_seconds_and_agree_with_a_search():
    """The level-by-level search against a plain breadth-first search (the
    one it replaced), from every state of mazes with and without slip."""
    from collections import deque

    def plain(model, start):
        distance, queue = {start: 0}, deque([start])
        while queue:
            state = queue.popleft()
            possible = model.probs[state] > 0
            if (model.terminated[state] & possible).any():
                return distance[state] + 1
            for nxt in np.unique(model.next_states[state][possible]).tolist():
                if nxt not in distance:
                    distance[nxt] = distance[state] + 1
                    queue.append(nxt)
        return None

    for env in (maze(), gridworlds.make("dyna_maze", slip=0.3)):
        model = env.model()
        for start in range(env.n_states):
            assert tm.shortest_path_length(model, start) == plain(model, start)
    big = gridworlds.make("open_grid", rows=400, cols=400)
    assert tm.shortest_path_length(big.model(), big.start_state) == 798


def test_check_env_samples_the_states_of_a_large_env():
    env = gridworlds.make("open_grid", rows=300, cols=300)
    gridworlds.check_env(env, max_states=500)  # a sample: fast, and it passes
    broken = gridworlds.make("open_grid", rows=120, cols=120)
    broken._model.probs[-2, 0, 0] = 0.5  # noqa: SLF001 (breaking it on purpose)
    with pytest.raises(gridworlds.EnvCheckError, match=r"probabilities of \(state"):
        gridworlds.check_env(broken, max_states=100)  # the arrays: every pair
