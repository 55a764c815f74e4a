"""The contract every row of ``tabular_mbrl.batched.TWINS`` keeps with its
agent (as scikit-learn checks every estimator with one suite): a twin cannot
be added to the table without passing it.

- One Generator per run (``engine="batched-per-run"``), on mazes without
  slip: bit for bit the loop's numbers, per episode and per step, on a maze
  whose walls move too.
- One stream per setting (``engine="batched"``), on Figure 8.2's setting
  (the Dyna maze, the book's 30 runs, its first 10 episodes, where the curves
  move most): mean steps per episode within 4 standard errors of the
  difference from the loop's, in each block of episodes (seeded, so the check
  is deterministic).
- A twin runs exactly the algorithm it was given, or nothing: a subclass that
  overrides a method of its agent is refused by ``engine="batched"`` (the
  message names the method) and runs on the loop under ``"auto"``; every
  value the agent refuses is refused on every engine, with its message.
"""

from __future__ import annotations

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl.batched import TWINS, VectorMaze, fusion_key, unsupported


def dyna_maze():
    return gridworlds.make("dyna_maze")


def blocking_maze():
    return gridworlds.make("blocking_maze", change_at=300)


ROWS = sorted(TWINS, key=lambda agent: agent.__name__)


@pytest.mark.parametrize("agent", ROWS, ids=lambda agent: agent.__name__)
def test_a_twin_builds_itself_from_specs_and_names_its_fusion_key(agent):
    twin = TWINS[agent]
    for name in (
        "from_specs",
        "fusion_key",
        "unsupported",
        "unsupported_maze",
        "mixes",
    ):
        assert hasattr(twin, name), (twin.__name__, name)
    spec = tm.AgentSpec(agent)
    assert unsupported(spec) == ""
    assert fusion_key(spec) == (twin, twin.fusion_key(spec))


#: Per row, a setting far from the defaults: a twin that dropped or misread
#: a hyperparameter would pass with the defaults alone.
EXAMPLES = {
    tm.QLearningAgent: {"alpha": 0.5, "gamma": 0.9, "epsilon": 0.2, "q_init": 0.1},
    tm.DynaQAgent: {"n_planning_steps": 3, "alpha": 0.7, "epsilon": 0.05},
    tm.DynaQPlusAgent: {"n_planning_steps": 4, "kappa": 1e-2, "alpha": 0.5},
    tm.ReplayQAgent: {"n_replay_steps": 3, "capacity": 50, "alpha": 0.5},
    tm.RolloutQAgent: {
        "n_rollouts": 2,
        "rollout_length": 3,
        "epsilon": 0.2,
        "model": tm.EmpiricalModel,
    },
    tm.RandomShootingAgent: {
        "horizon": 2,
        "n_candidates": 10,
        "epsilon": 0.1,
        "unknown_value": 0.5,
        "gamma": 0.9,
    },
}


def test_every_row_has_an_example_setting():
    assert set(EXAMPLES) == set(TWINS)


#: Settings that take a second or more: the full tier only (``-m "not slow"``
#: still checks every agent at one setting at least).
SLOW = {
    "DynaQPlusAgent-example",
    "RolloutQAgent-example",
    "RandomShootingAgent-example",
}

SETTINGS = [
    pytest.param(
        tm.AgentSpec(agent, **params),
        id=f"{agent.__name__}-{kind}",
        marks=pytest.mark.slow if f"{agent.__name__}-{kind}" in SLOW else (),
    )
    for agent in ROWS
    for kind, params in (("defaults", {}), ("example", EXAMPLES.get(agent, {})))
]


@pytest.mark.parametrize("spec", SETTINGS)
def test_per_run_streams_reproduce_the_loop_bit_for_bit(spec):
    agent = spec.agent_class
    episodes = [
        tm.run_episodes(dyna_maze, spec, n_episodes=4, n_runs=3, seed=6, engine=e)
        for e in ("loop", "batched-per-run")
    ]
    for name in ("steps", "returns", "planning_updates", "policy_steps"):
        if name == "policy_steps" and issubclass(agent, tm.RandomShootingAgent):
            # The probe breaks MPC's ties from one stream for all runs, in the
            # order their episodes end: run by run on the loop, in lockstep
            # here. (A Q table's greedy path draws nothing.)
            continue
        a, b = (getattr(result, name) for result in episodes)
        assert np.array_equal(a, b, equal_nan=True), (agent.__name__, name)
    # On a maze whose walls move, where the twin can run there.
    moving = not TWINS[agent].unsupported_maze(VectorMaze([blocking_maze()]))
    steps = [
        tm.run_steps(
            blocking_maze if moving else dyna_maze,
            spec,
            n_steps=600,
            n_runs=2,
            seed=6,
            engine=e,
        )
        for e in ("loop", "batched-per-run")
    ]
    for name in ("cumulative_reward", "planning_updates", "change_steps"):
        a, b = (getattr(result, name) for result in steps)
        assert np.array_equal(a, b), (agent.__name__, name)
    assert len({run.tobytes() for run in episodes[0].steps}) > 1  # runs differ


@pytest.mark.slow
@pytest.mark.parametrize("agent", ROWS, ids=lambda agent: agent.__name__)
def test_batch_streams_agree_with_the_loop_on_figure_8_2(agent):
    """The Dyna maze, 30 runs (the book's) of 10 episodes: per block of
    episodes, the batched and loop means differ by less than 4 standard
    errors of the difference; and the streams are not the loop's."""
    spec = tm.AgentSpec(agent)
    loop, batched = (
        tm.run_episodes(dyna_maze, spec, n_episodes=10, n_runs=30, seed=0, engine=e)
        for e in ("loop", "batched")
    )
    for block in (slice(0, 1), slice(1, 4), slice(4, 10)):
        a, b = (r.steps[:, block].mean(axis=1) for r in (loop, batched))
        se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        assert abs(a.mean() - b.mean()) < 4 * se, (block, a.mean(), b.mean(), se)
    assert not np.array_equal(loop.steps, batched.steps)


class LazyReplay(tm.ReplayQAgent):
    """Replays nothing: a changed algorithm."""

    def replay(self, n):
        pass


class MyopicMPC(tm.RandomShootingAgent):
    """Plans its own way: a changed algorithm."""

    def plan_action(self, state, rng):
        return 0


class QuietDyna(tm.DynaQAgent):
    """Adds a method and overrides none: the same algorithm."""

    def describe(self):
        return "quiet"


class ToldQ(tm.QLearningAgent):
    """Adds a method the runners call (tell): a changed algorithm."""

    def tell(self, reward_fn, terminal_fn):
        self.q[:] = 0.0


@pytest.mark.parametrize(
    ("cls", "how"),
    [
        (LazyReplay, r"overrides replay\(\) of ReplayQAgent"),
        (MyopicMPC, r"overrides plan_action\(\) of RandomShootingAgent"),
        (ToldQ, r"adds tell\(\) to QLearningAgent"),
    ],
)
def test_a_subclass_that_changes_what_runs_runs_on_the_loop_or_is_refused(cls, how):
    spec = tm.AgentSpec(cls)
    with pytest.raises(
        ValueError,
        match=rf"engine == 'batched' cannot run this experiment: it runs .*, not "
        rf"{cls.__name__}, which {how}",
    ):
        tm.run_steps(dyna_maze, spec, n_steps=20, n_runs=2, engine="batched")
    auto, loop = (
        tm.run_steps(dyna_maze, spec, n_steps=150, n_runs=2, seed=1, engine=e)
        for e in ("auto", "loop")
    )
    assert np.array_equal(auto.cumulative_reward, loop.cumulative_reward)
    assert np.array_equal(auto.planning_updates, loop.planning_updates)
    if cls is LazyReplay:  # it replayed nothing, on the engine "auto" picked
        assert not auto.planning_updates.any()


def test_a_subclass_that_only_adds_a_method_batches():
    spec = tm.AgentSpec(QuietDyna, n_planning_steps=5)
    assert unsupported(spec) == ""
    loop, batched = (
        tm.run_episodes(dyna_maze, spec, n_episodes=3, n_runs=2, seed=1, engine=e)
        for e in ("loop", "batched-per-run")
    )
    assert np.array_equal(loop.steps, batched.steps)


@pytest.mark.parametrize(
    ("agent", "params", "message"),
    [
        (tm.DynaQAgent, {"q_init": np.nan}, r"q_init == nan, must be finite"),
        (tm.DynaQAgent, {"q_init": np.inf}, r"q_init == inf, must be finite"),
        (tm.QLearningAgent, {"alpha": 1.5}, r"alpha == 1.5, must be in \(0, 1\]"),
        (tm.DynaQPlusAgent, {"kappa": -1.0}, r"kappa == -1"),
        (tm.DynaQAgent, {"n_planning_steps": -1}, r"n_planning_steps == -1"),
        (tm.ReplayQAgent, {"capacity": 0}, r"capacity == 0"),
        (tm.RandomShootingAgent, {"horizon": 0}, r"horizon == 0"),
        (tm.RandomShootingAgent, {"epsilon": 2.0}, r"epsilon == 2"),
        (tm.RandomShootingAgent, {"terminal_value": "vi"}, r"terminal_value == 'vi'"),
        (
            tm.RandomShootingAgent,
            {"terminal_value": np.zeros(3)},
            r"terminal_value has shape \(3,\)",
        ),
    ],
)
def test_what_the_agent_refuses_every_engine_refuses_with_its_message(
    agent, params, message
):
    spec = tm.AgentSpec(agent, **params)
    for engine in ("loop", "auto", "batched", "batched-per-run"):
        with pytest.raises(ValueError, match=message):
            tm.run_episodes(dyna_maze, spec, n_episodes=1, n_runs=2, engine=engine)


@pytest.mark.parametrize("model", [tm.DeterministicModel, tm.EmpiricalModel])
def test_the_rollouts_twin_is_told_a_goal_as_its_agent_is(model):
    """Step for step against one RolloutQAgent on the Dyna maze whose models
    are told at step 150 that the goal is elsewhere: the same actions and the
    same table, bit for bit (a maze whose goal moves, the runners' way to
    tell, is one the twin cannot run)."""
    spec = tm.AgentSpec(
        tm.RolloutQAgent, n_rollouts=2, rollout_length=3, alpha=0.5, model=model
    )
    env = dyna_maze()
    agent = spec.build(env.n_states, env.n_actions, np.random.default_rng(5))
    twin = TWINS[tm.RolloutQAgent].from_specs(
        [spec], n_runs=1, maze=VectorMaze([env]), rng=[np.random.default_rng(5)]
    )
    goal = env.to_state(5, 8)

    def reward_fn(s, a, next_s):
        return (next_s == goal) * 1.0

    def terminal_fn(s, a, next_s):
        return next_s == goal

    state, _ = env.reset(seed=0)
    for step in range(400):
        if step == 150:  # the models are told; the world keeps its goal
            tm.tell(agent, reward_fn, terminal_fn)
            tm.tell(twin, reward_fn, terminal_fn)
        action = agent.select_action(state)
        assert twin.select_actions(np.array([state]))[0] == action, step
        next_state, reward, terminated, truncated, _ = env.step(action)
        agent.update(state, action, reward, next_state, terminated)
        twin.update(
            *(np.array([x]) for x in (state, action, reward, next_state, terminated))
        )
        assert twin.q[0].tobytes() == agent.q.tobytes(), step
        state = env.reset()[0] if terminated or truncated else next_state
    assert agent.q.max() > 0


def test_a_batch_of_agents_that_cannot_be_told_refuses_as_they_do():
    for agent in (tm.QLearningAgent, tm.ReplayQAgent):
        spec = tm.AgentSpec(agent)
        pieces = tm.experiments.batch(dyna_maze, [spec], 2, 0, "batched")
        with pytest.raises(TypeError, match=rf"{agent.__name__} has no reward_fn"):
            tm.tell(pieces[0], lambda s, a, n: n * 0.0, lambda s, a, n: n < 0)
        with pytest.raises(TypeError, match=rf"{agent.__name__} has no reward_fn"):
            tm.tell(
                spec.build(54, 4, 0), lambda s, a, n: n * 0.0, lambda s, a, n: n < 0
            )


def test_mpc_settings_fuse_only_when_equal_to_the_bit():
    spec = tm.AgentSpec(tm.RandomShootingAgent, terminal_value=np.zeros(1350))
    nudged = np.zeros(1350)
    nudged[700] = 1e-12  # beyond what a repr of the array shows
    other = spec.replace(terminal_value=nudged)
    assert fusion_key(spec) != fusion_key(other)
    assert fusion_key(spec) == fusion_key(spec.replace(terminal_value=np.zeros(1350)))
