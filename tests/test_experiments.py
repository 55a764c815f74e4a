"""Runners, results, confidence intervals and the convergence metric."""

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl.probe import PolicyProbe


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
        r"\['steps', 'returns', 'planning_updates', 'policy_steps'\]",
    ):
        results.mean("reward")


def test_bootstrap_band_by_hand_and_inside_the_range():
    # Two runs, 1 and 3: a resample's mean is 1, 2 or 3, with probability
    # 1/4, 1/2, 1/4; the 2.5th and 97.5th percentiles are the ends.
    low, high = tm.confidence_interval(np.array([[1.0], [3.0]]))
    assert (low[0], high[0]) == (1.0, 3.0)
    low, high = tm.confidence_interval(np.array([[5.0, 6.0]]))
    assert np.isnan(low).all() and np.isnan(high).all()  # one run: unknown spread
    # At the bounds: steps per episode at the 14-step minimum but for one bad
    # run, and rewards of 0 or 1. A t-band leaves the range in both.
    steps = np.array([14.0] * 5 + [300.0])[:, None]
    low, high = tm.confidence_interval(steps)
    assert 14.0 <= low[0] <= high[0] <= 300.0
    t_low = steps.mean() - 2.571 * steps.std(ddof=1) / np.sqrt(6)
    assert t_low < 14  # what the old band drew: fewer steps than possible
    rewards = np.zeros((8, 50))
    rewards[0, 10:] = 1.0  # one run reaches the goal now and then
    low, high = tm.confidence_interval(rewards.cumsum(axis=1))
    assert (low >= 0).all() and (high <= 40).all()
    # Seeded: the same values, the same band; 1000 resamples of 30 runs give
    # a band near mean +- 1.96 s.e. on normal data.
    values = np.random.default_rng(3).normal(10.0, 2.0, size=(30, 1))
    first, again = tm.confidence_interval(values), tm.confidence_interval(values)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, tm.confidence_interval(values, seed=1))
    half = 1.96 * values.std(ddof=1) / np.sqrt(30)
    assert values.mean() - first[0][0] == pytest.approx(half, rel=0.25)


def test_a_series_keeps_its_band_until_its_values_change():
    values = np.array([[1.0, 2.0], [3.0, 6.0]])
    series = tm.Series("a", np.arange(2), values)
    low, high = series.confidence_interval()
    assert np.array_equal(low, [1.0, 2.0]) and np.array_equal(high, [3.0, 6.0])
    low[:] = -1.0  # a copy: the kept band does not change
    assert np.array_equal(series.confidence_interval()[0], [1.0, 2.0])
    values[0, 0] = 5.0  # the values change in place: the band follows
    assert np.array_equal(series.confidence_interval()[0], [3.0, 2.0])


def test_convergence_counts_and_censors_every_run():
    steps = np.array(
        [
            [100, 50, 20, 15, 14, 14],  # good from episode 2 on: 170 steps
            [100, 100, 100, 100, 100, 100],  # never good: censored at 600
            [80, 20, 14, 14, 14, 14],  # good from episode 0 (and stays): 80
            [90, 14, 14, 14, 14, 14],  # good at 1, bad at 3, good from 4: 248
        ],
        dtype=float,
    )
    inf = np.inf
    policy = np.array(
        [
            [inf, inf, 16, 14, 14, 14],
            [inf] * 6,
            [16, 14, 14, 14, 14, 14],
            [inf, 14, 14, inf, 14, 14],
        ]
    )
    result = tm.policy_convergence(policy, steps)
    assert result[0] == 170 and np.isnan(result[1]) and result[2] == 80
    assert result[3] == 90 + 14 * 4
    done = tm.Convergence(result, steps.sum(axis=1))
    assert (done.n_converged, done.n_runs, done.fraction) == (3, 4, "3/4")
    # Censored values: 170, 600, 80, 146 -> median 158; the run that never
    # converged (>= 600) sits above it, so the median stands as it is.
    assert done.median == 158.0 and not done.censored and done.text() == "158"
    # Two of three never converge: the median is a budget, a lower bound.
    few = tm.Convergence(np.array([50.0, np.nan, np.nan]), np.array([90, 90, 90]))
    assert few.median == 90 and few.censored and few.text() == ">= 90"
    assert few.fraction == "1/3"
    assert np.isnan(tm.policy_convergence(np.zeros((2, 0)), np.zeros((2, 0)))).all()
    with pytest.raises(ValueError, match=r"must both be \(n_runs, n_episodes\)"):
        tm.policy_convergence(policy[0], steps[0])


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param("loop", marks=pytest.mark.slow),
        pytest.param("batched-per-run", marks=pytest.mark.slow),
        "batched",
    ],
)
def test_the_policy_probe_measures_without_touching_the_run(engine, monkeypatch):
    """Dyna-Q and MPC: the probe adds policy_steps, and the runs' real
    steps are the same numbers as without it (the probe has its own stream)."""
    specs = [
        tm.AgentSpec(tm.DynaQAgent, n_planning_steps=50),
        tm.AgentSpec(  # 20 of the 64 sequences: sampled, from the probe's stream
            tm.RandomShootingAgent,
            horizon=3,
            n_candidates=20,
            terminal_value="value_iteration",
        ),
    ]

    def run():
        return tm.run_episodes(
            maze, specs, n_episodes=8, n_runs=2, seed=4, engine=engine
        )

    probed = run()
    for results in probed:
        assert results.policy_steps.shape == (2, 8)
        finite = results.policy_steps[np.isfinite(results.policy_steps)]
        assert len(finite) and ((finite >= 14) & (finite <= 16)).all()  # <= 16.8
    monkeypatch.setattr(PolicyProbe, "of", classmethod(lambda *args: None))
    for with_probe, without in zip(probed, run(), strict=True):
        assert np.isnan(without.policy_steps).all()
        assert np.array_equal(with_probe.steps, without.steps)
        assert np.array_equal(with_probe.planning_updates, without.planning_updates)


def test_the_probe_reads_a_known_policy():
    # A Q table that knows the way: the probe reads 14 steps; one that knows
    # nothing gives no direction.
    env = gridworlds.make("dyna_maze")
    probe = PolicyProbe(env, np.random.default_rng(0))
    _, q = tm.value_iteration(env.model(), gamma=0.95)
    assert (probe.optimal, probe.cap) == (14, 16)
    assert probe.length(q=q) == 14 and probe.length(q=np.zeros_like(q)) == np.inf
    # A planner that acts greedily on q walks 14 steps; one stuck on an
    # action that goes nowhere never arrives.
    greedy = q.argmax(axis=1)
    assert probe.length(plan=lambda s, rng: greedy[s]) == 14
    assert probe.length(plan=lambda s, rng: 0) == np.inf
    # One wasted step (into the edge, at the start, the first time only).
    walked = []

    def detour(state, rng):
        walked.append(state)
        first = len(walked) == 1
        return gridworlds.Action.LEFT if first else greedy[state]

    assert probe.length(plan=detour) == 15
    # An agent with no policy to read gives NaN.
    assert np.isnan(probe.of_agent(tm.RandomWalkAgent(54, 4, rng=0)))


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


@pytest.mark.slow
def test_the_probe_reads_sampled_mpc_alike_on_both_engines():
    """20 of the 64 sequences per decision: the policy often strays. The
    batched probe draws each step of its walk afresh, as the loop agent plans
    at each state it walks, so both see it stray about as often. (A probe
    that fixed one choice per state turned every stray step into a loop.)"""
    spec = tm.AgentSpec(
        tm.RandomShootingAgent,
        horizon=3,
        n_candidates=20,
        terminal_value="value_iteration",
    )
    good = {
        engine: np.isfinite(
            tm.run_episodes(
                maze, spec, n_episodes=15, n_runs=8, seed=4, engine=engine
            ).policy_steps
        ).mean()
        for engine in ("loop", "batched")
    }
    assert 0.05 < good["loop"] < 0.5 and 0.05 < good["batched"] < 0.5, good
    assert abs(good["loop"] - good["batched"]) < 0.15, good
