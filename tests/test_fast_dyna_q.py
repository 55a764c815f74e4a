"""The loop engine's fast Dyna-Q (planning over lists, settled tables
skipped) against the reference agent, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl.agents._fast_dyna_q import FastDynaQAgent, fast_planning
from tabular_mbrl.experiments import interact


def walk(agent_class, n_steps, change_at=None, **params):
    """``n_steps`` real steps on the Dyna maze; at ``change_at`` the agent is
    told that the goal moved to the start (its model relabelled)."""
    env = gridworlds.make("dyna_maze")
    agent = agent_class(
        env.n_states, env.n_actions, rng=np.random.default_rng(3), **params
    )
    goal = env.start_state
    for t, _ in enumerate(interact(env, agent, env.reset()[0]), 1):
        if t == change_at:
            agent.tell(
                lambda s, a, next_s: (next_s == goal) * 1.0,
                lambda s, a, next_s: next_s == goal,
            )
        if t == n_steps:
            return agent


@pytest.mark.parametrize(
    "params",
    [
        {"n_planning_steps": 5},
        {"n_planning_steps": 50, "alpha": 0.5},
        {"n_planning_steps": 200, "alpha": 1.0, "q_init": 1.0},
    ],
)
def test_the_fast_agent_plans_the_same_bits_as_the_reference(params):
    reference = walk(tm.DynaQAgent, 1500, change_at=700, **params)
    fast = walk(FastDynaQAgent, 1500, change_at=700, **params)
    assert fast.q.tobytes() == reference.q.tobytes()
    assert fast.n_planning_updates == reference.n_planning_updates
    assert fast.n_real_steps == reference.n_real_steps
    # The same draws: both Generators are at the same place.
    assert fast.rng.random() == reference.rng.random()


def test_a_settled_table_is_not_backed_up_again():
    """alpha = 1 settles on the Dyna maze: from then on a plan call draws and
    counts its pairs but leaves the table's bits alone, as the backups
    would; a table off its fixed point is backed up."""
    agent = walk(FastDynaQAgent, 600, n_planning_steps=200, alpha=1.0, q_init=1.0)
    assert agent._settled()
    before, state = agent.q.copy(), agent.rng.bit_generator.state
    agent.plan(200)
    assert agent.q.tobytes() == before.tobytes()
    assert agent.rng.bit_generator.state != state
    pair = agent.model._pairs[0]
    agent.q[tuple(pair)] += 0.25
    perturbed = agent.q.copy()
    assert not agent._settled()
    agent._look_in = 0
    agent.plan(200)
    assert agent.q.tobytes() != perturbed.tobytes()


def test_on_a_large_grid_the_fast_agent_plans_the_same_bits_and_looks_less(
    monkeypatch,
):
    """On a 20 x 20 open grid (1,600 entries: the backups read only the rows
    they touch) the fast agent gives the reference's table; a look for a
    settled table reads all of it, so at n = 50 it is not made there, while
    on the Dyna maze (188 entries) it is."""

    def run(agent_class, env, n_steps):
        agent = agent_class(
            env.n_states, env.n_actions, n_planning_steps=50, alpha=0.5, rng=4
        )
        for t, _ in enumerate(interact(env, agent, env.reset(seed=0)[0]), 1):
            if t == n_steps:
                return agent

    grid = gridworlds.make("open_grid", rows=20, cols=20)
    fast, reference = (run(c, grid, 4000) for c in (FastDynaQAgent, tm.DynaQAgent))
    assert fast.q.tobytes() == reference.q.tobytes()
    assert (fast.q != 0).sum() > 50  # it found the goal and learned
    assert fast.rng.random() == reference.rng.random()
    looks = []
    original = FastDynaQAgent._settled
    monkeypatch.setattr(
        FastDynaQAgent, "_settled", lambda self: looks.append(1) or original(self)
    )
    run(FastDynaQAgent, grid, 200)
    assert looks == []
    run(FastDynaQAgent, gridworlds.make("dyna_maze"), 200)
    assert looks


def test_the_fast_agent_keeps_the_reference_rules():
    env = gridworlds.make("dyna_maze")
    spec = tm.AgentSpec(FastDynaQAgent, n_planning_steps=5, alpha=0.5)
    assert (
        spec.build(env.n_states, env.n_actions, np.random.default_rng(0)).alpha == 0.5
    )
    agent = FastDynaQAgent(env.n_states, env.n_actions, rng=np.random.default_rng(0))
    agent.plan(0)  # nothing observed, nothing asked: no error, no draw
    with pytest.raises(RuntimeError, match="empty model"):
        agent.plan(3)
    with pytest.raises(ValueError, match="n == -1"):
        agent.plan(-1)
    counted = FastDynaQAgent(
        env.n_states,
        env.n_actions,
        model=tm.EmpiricalModel(env.n_states, env.n_actions),
        n_planning_steps=5,
        rng=np.random.default_rng(0),
    )
    reference = tm.DynaQAgent(
        env.n_states,
        env.n_actions,
        model=tm.EmpiricalModel(env.n_states, env.n_actions),
        n_planning_steps=5,
        rng=np.random.default_rng(0),
    )
    for agent in (counted, reference):
        steps = interact(env, agent, env.reset()[0])
        for _ in range(300):
            next(steps)
    assert counted.q.tobytes() == reference.q.tobytes()


def test_only_exactly_dyna_q_gets_the_fast_planning():
    spec = tm.AgentSpec(tm.DynaQAgent, n_planning_steps=5, label="mine")
    fast = fast_planning(spec)
    assert fast.agent_class is FastDynaQAgent
    assert (fast.label, fast.params) == ("mine", spec.params)
    for other in (
        tm.AgentSpec(tm.DynaQPlusAgent, n_planning_steps=5),
        tm.AgentSpec(tm.QLearningAgent),
    ):
        assert fast_planning(other) is other
    # The loop engine runs it: the same steps as the reference agent's runs.
    env = lambda: gridworlds.make("dyna_maze")  # noqa: E731
    runs = tm.run_episodes(env, spec, n_episodes=5, n_runs=2, seed=1)
    reference = tm.run_episodes(
        env,
        lambda e, rng: tm.DynaQAgent(
            e.n_states, e.n_actions, n_planning_steps=5, rng=rng
        ),
        n_episodes=5,
        n_runs=2,
        seed=1,
    )
    assert np.array_equal(runs.steps, reference.steps)
