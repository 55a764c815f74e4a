"""Runners, results, confidence intervals and the convergence metric."""

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm


def dyna(n):
    return lambda env, rng: tm.DynaQAgent(
        env.n_states, env.n_actions, n_planning_steps=n, rng=rng
    )


def maze():
    return gridworlds.make("dyna_maze")


def test_same_seed_bit_identical_different_seed_different():
    def run(seed):
        return tm.run_episodes(maze, dyna(5), n_episodes=5, n_runs=2, seed=seed)

    a, b, c = run(7), run(7), run(8)
    for field in ("steps", "returns", "planning_updates"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.steps, c.steps)
    assert not np.array_equal(a.steps[0], a.steps[1])  # runs are independent


def test_env_and_agent_streams_are_separate():
    # Slip draws from the env's stream: the agent's actions stay the same whether
    # the env slips or not, until the two trajectories first differ in state.
    seen = {}

    def agent_factory(env, rng):
        seen.setdefault(env.slip, []).append(rng.random())
        return tm.QLearningAgent(env.n_states, env.n_actions, rng=rng)

    for slip in (0.0, 0.5):
        tm.run_episodes(
            lambda s=slip: gridworlds.make("dyna_maze", slip=s),
            agent_factory,
            n_episodes=1,
            n_runs=3,
            seed=11,
        )
    assert seen[0.0] == seen[0.5]


def test_episode_results_shapes_and_summaries():
    results = tm.run_episodes(maze, dyna(2), n_episodes=4, n_runs=3, seed=0)
    assert results.steps.shape == results.returns.shape == (3, 4)
    assert results.n_runs == 3
    np.testing.assert_array_equal(results.returns, 1.0)  # every episode: +1 once
    np.testing.assert_array_equal(results.real_steps[:, -1], results.steps.sum(1))
    low, high = results.confidence_interval()
    assert (low <= results.mean()).all() and (results.mean() <= high).all()
    assert results.mean("planning_updates") == pytest.approx(2 * results.mean())
    with pytest.raises(
        ValueError,
        match=r"metric == 'reward', must be one of "
        r"\['steps', 'returns', 'planning_updates'\]",
    ):
        results.mean("reward")


def test_confidence_interval_by_hand():
    low, high = tm.confidence_interval(np.array([[1.0], [3.0]]))
    # mean 2, sample std sqrt(2), t(1 df) = 12.706: half-width 12.706 * sqrt(2)/sqrt(2)
    assert (low[0], high[0]) == pytest.approx((2 - 12.706, 2 + 12.706))
    low, high = tm.confidence_interval(np.array([[5.0, 6.0]]))
    assert np.isnan(low).all() and np.isnan(high).all()  # one run: unknown spread
    values = np.arange(100.0)[:, None]  # df = 99: 1.96 + 2.5 / 99 = 1.985
    low, _ = tm.confidence_interval(values)
    assert 49.5 - low[0] == pytest.approx((1.96 + 2.5 / 99) * values.std(ddof=1) / 10)


def test_steps_to_convergence_by_hand():
    steps = np.array(
        [[100, 50, 20, 15, 16, 14, 15], [100, 100, 100, 100, 100, 100, 100]]
    )
    # Window 2, bar 2 * 14 = 28: means 75, 35, 17.5, ... -> converged from
    # episode 2 (0-based), after 100 + 50 real steps. Run 2 never converges.
    result = tm.steps_to_convergence(steps, 14, window=2)
    assert result[0] == 150 and np.isnan(result[1])
    # Bar 1.1 * 14 = 15.4: the windows 17.5 and 15.5 fail too -> from episode 4.
    assert tm.steps_to_convergence(steps[:1], 14, window=2, factor=1.1)[0] == 185


def test_run_steps_reports_the_change_and_counts_separately():
    results = tm.run_steps(
        lambda: gridworlds.make("blocking_maze", change_at=300),
        dyna(3),
        n_steps=400,
        n_runs=2,
        seed=0,
    )
    assert results.cumulative_reward.shape == (2, 400)
    assert results.change_step == 300
    assert (np.diff(results.cumulative_reward, axis=1) >= 0).all()
    np.testing.assert_array_equal(results.planning_updates[:, -1], 3 * 400)
    assert tm.run_steps(maze, dyna(0), n_steps=5).change_step is None


def test_backups_until_optimal_counts_direct_and_planning_backups():
    def agents(cls, **kwargs):
        return lambda env, rng: cls(
            env.n_states, env.n_actions, alpha=0.5, rng=rng, **kwargs
        )

    dyna_backups = tm.backups_until_optimal(
        maze, agents(tm.DynaQAgent), n_runs=2, seed=0
    )
    ps_backups = tm.backups_until_optimal(
        maze, agents(tm.PrioritizedSweepingAgent), n_runs=2, seed=0
    )
    # Dyna-Q makes 1 + 5 backups per real step; prioritized sweeping at most 5.
    assert (dyna_backups % 6 == 0).all()
    assert np.isfinite(ps_backups).all()
    never = tm.backups_until_optimal(maze, agents(tm.QLearningAgent), max_steps=10)
    assert np.isnan(never).all()


def test_progress_is_reported_per_run():
    calls = []
    tm.run_episodes(
        maze,
        dyna(0),
        n_episodes=1,
        n_runs=3,
        seed=0,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]
