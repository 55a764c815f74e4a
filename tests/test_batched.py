"""The batched engine against the per-run agents (the reference), beyond the
contract every twin keeps (``tests/test_twins.py``).

Which guarantee holds where:
- ``engine="batched-per-run"`` (each run draws from its own agent's Generator,
  in the agent's order) on envs without slip: bit-identical to the loop.
- ``engine="batched"`` (one Generator for the batch): statistically equal. On
  Figure 8.2's setting the mean steps per episode agree within 4 standard
  errors of the difference (seeded, so the check is deterministic).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import bench, studies
from tabular_mbrl.__main__ import main
from tabular_mbrl.batched import (
    BatchedDynaQ,
    BatchedMPC,
    BatchedRolloutQ,
    Streams,
    VectorMaze,
    run_episodes_batched,
    run_steps_batched,
)
from tabular_mbrl.batched.kernels import backups_in_turn, backups_of_one_run
from tabular_mbrl.experiments import batch


def maze():
    return gridworlds.make("dyna_maze")


def dyna(n, cls=tm.DynaQAgent, **kwargs):
    return tm.AgentSpec(cls, n_planning_steps=n, **kwargs)


def test_fused_settings_match_the_loop_per_run_and_their_own_batches():
    """Batches of n = 0, 3, 10 and Dyna-Q+ (runs leave them as they finish,
    and Dyna-Q's planning is skipped while it is an exact no-op) changes no
    number: per run against the loop, and against a batch of each setting
    alone."""
    plus = tm.AgentSpec(tm.DynaQPlusAgent, n_planning_steps=3, kappa=1e-5)
    specs = [dyna(0), dyna(3), dyna(10), dyna(3, q_init=0.5), plus]

    def small():  # short episodes: the test is about the batch, not the maze
        return gridworlds.make("open_grid", rows=4, cols=6)

    for engine in ("batched-per-run", "batched"):
        fused = tm.run_episodes(
            small, specs, n_episodes=4, n_runs=3, seed=2, engine=engine
        )
        for spec, one in zip(specs, fused, strict=True):
            alone = tm.run_episodes(
                small,
                spec,
                n_episodes=4,
                n_runs=3,
                seed=2,
                engine="loop" if engine == "batched-per-run" else engine,
            )
            assert np.array_equal(one.steps, alone.steps), (engine, spec)
            assert np.array_equal(one.returns, alone.returns)
            assert np.array_equal(one.planning_updates, alone.planning_updates)
        # The runners fuse settings with the same n (the fastest grouping);
        # the engine takes any mix in one batch, with the same numbers.
        pieces = batch(small, specs, 3, 2, engine)
        assert pieces[0].n_runs == 15
        steps, returns, planning, _ = run_episodes_batched(*pieces, 4)
        for i, one in enumerate(fused):
            assert np.array_equal(steps[3 * i : 3 * i + 3], one.steps)
            assert np.array_equal(planning[3 * i : 3 * i + 3], one.planning_updates)


def test_empirical_settings_fused_with_others_change_no_number():
    """An empirical setting's outcome draws come from its own stream, as many
    as alone: a deterministic setting in the same batch drew them too, and an
    empirical one with fewer planning steps than the batch's most drew a
    column per backup of the most (both were mended). Any mix in one batch
    (what prepare() takes) against each setting alone."""
    specs = [
        dyna(5),
        dyna(2, model=tm.EmpiricalModel, epsilon=0.2),
        dyna(8, model=tm.EmpiricalModel),
        dyna(5, tm.DynaQPlusAgent, kappa=1e-3),
    ]
    for slip in (0.0, 0.2):

        def maze(slip=slip):
            return gridworlds.make("dyna_maze", slip=slip)

        fused = run_steps_batched(*batch(maze, specs, 3, 4, "batched"), 300)
        for i, spec in enumerate(specs):
            alone = run_steps_batched(*batch(maze, [spec], 3, 4, "batched"), 300)
            for mine, theirs in zip(alone, fused, strict=True):
                assert np.array_equal(mine, theirs[3 * i : 3 * i + 3]), (slip, spec)


def test_planning_is_skipped_only_while_it_is_an_exact_no_op():
    def engine(q_init=0.0, all_actions=False):
        return BatchedDynaQ(
            np.full((2, 3, 2), q_init),
            alpha=0.5,
            gamma=0.9,
            epsilon=0.1,
            n_planning_steps=np.array([4, 0]),
            all_actions=all_actions,
            rng=np.random.default_rng(0),
        )

    def step(batch, reward):
        zeros = np.zeros(2, dtype=np.int64)
        batch.update(zeros, zeros, np.full(2, reward), zeros + 1, zeros.astype(bool))

    skipping = engine()
    step(skipping, 0.0)  # Q is all zero and stays so: nothing to compute
    assert skipping.n_planning_updates.tolist() == [4, 0]
    assert skipping.n_backups_computed == 0 and not skipping.q.any()
    step(skipping, 1.0)  # a reward: from now on every backup is computed
    assert skipping.n_backups_computed == 4
    assert skipping.n_planning_updates.tolist() == [8, 0]
    for other in (engine(q_init=0.5), engine(all_actions=True)):
        step(other, 0.0)  # a non-zero table, or Dyna-Q+'s search control
        assert other.n_backups_computed == 4


def test_a_settled_run_skips_its_planning_and_an_unsettled_one_does_not():
    """Hand-made: both runs have seen one pair, (0, 0) -> state 1, reward 1,
    the episode ends. With alpha = 1 the backup gives 1 + 1 * (1 + 0 - 1) = 1:
    run 0's Q(0, 0) = 1 is settled, run 1's 0.5 is not, until its first
    backup sets it to 1. The look waits after finding nothing settled."""
    batch = BatchedDynaQ(
        np.zeros((2, 3, 2)),
        alpha=1.0,
        gamma=0.9,
        epsilon=0.1,
        rng=np.random.default_rng(0),
    )
    zeros = np.zeros(2, dtype=np.int64)
    batch.update(zeros, zeros, np.ones(2), zeros + 1, np.ones(2, dtype=bool))
    assert batch.q[:, 0, 0].tolist() == [1.0, 1.0]
    batch.q[1, 0, 0] = 0.5
    batch.plan(60)
    assert batch.n_backups_computed == 60  # run 1's only
    assert batch.q[:, 0, 0].tolist() == [1.0, 1.0]
    batch.plan(60)  # both settled now
    assert batch.n_backups_computed == 60
    assert batch.n_planning_updates.tolist() == [120, 120]
    batch.q[:, 0, 0] = 0.25  # neither settled: the next look waits a step
    batch.plan(60)
    batch.q[:, 0, 0] = 1.0
    batch.plan(60)  # settled, but not looked at: computed anyway
    assert batch.n_backups_computed == 60 + 120 + 120
    batch.plan(60)
    assert batch.n_backups_computed == 300
    batch.plan(3)  # three rows cost less than a look: none is made
    assert batch.n_backups_computed == 306


@pytest.mark.parametrize("alpha, n, most", [(1.0, 60, 0.5), (0.5, 400, 0.6)])
def test_skipping_settled_runs_gives_the_same_bits_as_computing_them(
    monkeypatch, alpha, n, most
):
    """Dyna-Q settles between discoveries (alpha = 1 within a few sweeps, as
    the matched controls of lectures 06 and 12 do; alpha = 0.5 after its
    values have crept to the last bit): with the skip, the same curves and
    tables, bit for bit, as with every backup computed, for far fewer."""
    spec = tm.AgentSpec(tm.DynaQAgent, n_planning_steps=n, alpha=alpha, q_init=1.0)

    def run(skip):
        pieces = batch(maze, [spec], 6, 3, "batched")
        engine = pieces[0]
        if not skip:
            monkeypatch.setattr(engine, "_settled", lambda n, most: None)
        out = run_steps_batched(*pieces, 600)
        return out, engine

    (skipped, fast), (computed, slow) = run(True), run(False)
    for a, b in zip(skipped, computed, strict=True):
        assert a.tobytes() == b.tobytes()
    assert fast.q.tobytes() == slow.q.tobytes()
    assert (fast.n_planning_updates == slow.n_planning_updates).all()
    assert fast.n_backups_computed < most * slow.n_backups_computed


def both_ways(table, pairs, rewards, discounts, next_states):
    """One run's backups (alpha 0.3) in plain Python on a copy of ``table``,
    checked bit for bit against the NumPy rows; the table they leave."""
    n_actions = table.shape[1]
    numpy_q = table.reshape(-1).copy()
    next_cells = next_states[:, None] * n_actions + np.arange(n_actions)
    backups_in_turn(
        numpy_q,
        pairs[:, None],
        rewards[:, None],
        discounts[:, None],
        next_cells[:, None],
        np.array([0.3]),
    )
    python_q = table.copy()
    backups_of_one_run(python_q, pairs, rewards, discounts, next_states, 0.3)
    assert python_q.reshape(-1).tobytes() == numpy_q.tobytes()
    return python_q


def test_one_run_in_plain_python_backs_up_the_same_bits_as_numpy():
    """The lockstep tail's plain-Python backups against the NumPy rows, on
    backups that read and rewrite the same few pairs (each reads what the one
    before wrote), some of them ending (discount 0)."""
    rng = np.random.default_rng(7)
    n_states, n_actions, n = 5, 3, 40
    table = rng.normal(size=(n_states, n_actions))
    pairs = rng.integers(n_states * n_actions, size=n)
    rewards = rng.normal(size=n)
    discounts = np.where(rng.random(n) < 0.2, 0.0, 0.9)
    next_states = rng.integers(n_states, size=n)
    python_q = both_ways(table, pairs, rewards, discounts, next_states)
    assert not np.array_equal(python_q, table)


def test_one_run_on_a_large_table_reads_and_writes_only_the_rows_it_touches():
    """Past ``WHOLE_TABLE`` entries the plain-Python backups read only the
    rows of their pairs and next states, renumbered, and write only those
    back: the same bits as the NumPy rows, every other row untouched (here
    NaN, which any arithmetic on it would spread)."""
    from tabular_mbrl.batched import kernels

    rng = np.random.default_rng(8)
    n_states, n_actions, n = 3000, 4, 60
    assert n_states * n_actions > kernels.WHOLE_TABLE
    table = np.full((n_states, n_actions), np.nan)
    used = rng.choice(n_states, size=12, replace=False)  # few rows, reread often
    table[used] = rng.normal(size=(12, n_actions))
    pairs = rng.choice(used, size=n) * n_actions + rng.integers(n_actions, size=n)
    rewards = rng.normal(size=n)
    discounts = np.where(rng.random(n) < 0.2, 0.0, 0.9)
    next_states = rng.choice(used, size=n)
    python_q = both_ways(table, pairs, rewards, discounts, next_states)
    assert np.isnan(python_q).sum() == (n_states - 12) * n_actions
    assert not np.array_equal(python_q[used], table[used])


def test_only_loops_that_carry_few_runs_back_up_in_plain_python():
    """The rule between the two paths: 12 runs planning 50 backups each go
    through the NumPy rows; once one run is left, its backups are plain
    Python. The numbers are the same either way (tests above), so only the
    counter tells which path ran."""
    runs, n = 12, 50
    batch = BatchedDynaQ(
        np.zeros((runs, 54, 4)),
        alpha=0.1,
        gamma=0.95,
        epsilon=0.1,
        n_planning_steps=n,
        rng=np.random.default_rng(0),
    )
    states = np.zeros(runs, dtype=np.int64)
    batch.update(states, states, np.ones(runs), states + 1, np.zeros(runs, bool))
    assert batch.n_backups_computed == runs * n and batch.n_backups_in_python == 0
    batch.keep(np.arange(runs) == 0)
    batch.update(states[:1], states[:1], np.ones(1), states[:1] + 1, np.zeros(1, bool))
    assert batch.n_backups_in_python == n


def test_dyna_q_plus_on_a_changing_maze_is_bit_identical_per_run():
    def blocking():
        return gridworlds.make("blocking_maze", change_at=500)

    agent = dyna(10, tm.DynaQPlusAgent, alpha=1.0, kappa=1e-3)
    loop = tm.run_steps(blocking, agent, n_steps=1500, n_runs=3, seed=2)
    batched = tm.run_steps(
        blocking, agent, n_steps=1500, n_runs=3, seed=2, engine="batched-per-run"
    )
    assert np.array_equal(loop.cumulative_reward, batched.cumulative_reward)
    assert np.array_equal(loop.planning_updates, batched.planning_updates)
    assert loop.change_step == batched.change_step == 500
    assert loop.cumulative_reward[:, -1].min() > 5  # the runs did reach the goal


@pytest.mark.slow
@pytest.mark.parametrize("kappa", [0.0, 1e-3])
def test_dyna_q_plus_is_bit_identical_per_run_at_any_kappa(kappa):
    """kappa = 0 keeps Dyna-Q+'s search control (any action of a visited
    state): the batched engine once fell back to Dyna-Q's there."""
    agent = dyna(5, tm.DynaQPlusAgent, kappa=kappa)
    runs = {
        engine: tm.run_episodes(
            maze, agent, n_episodes=3, n_runs=3, seed=5, engine=engine
        )
        for engine in ("loop", "batched-per-run")
    }
    assert np.array_equal(runs["loop"].steps, runs["batched-per-run"].steps)
    assert np.array_equal(runs["loop"].returns, runs["batched-per-run"].returns)


class GreedyDyna(tm.DynaQAgent):
    """A subclass that changes the algorithm."""

    def select_action(self, state):
        return self.greedy_action(state)


def test_a_subclass_that_changes_the_algorithm_is_refused_or_falls_back():
    spec = tm.AgentSpec(GreedyDyna, n_planning_steps=5)
    with pytest.raises(
        ValueError,
        match=r"engine == 'batched' cannot run this experiment: it runs "
        r"QLearningAgent, DynaQAgent, DynaQPlusAgent, ReplayQAgent, RolloutQAgent, "
        r"RandomShootingAgent, not GreedyDyna, which overrides select_action\(\) "
        r"of DynaQAgent",
    ):
        tm.run_episodes(maze, spec, n_episodes=2, n_runs=2, engine="batched")
    auto = tm.run_episodes(maze, spec, n_episodes=3, n_runs=2, seed=2, engine="auto")
    loop = tm.run_episodes(maze, spec, n_episodes=3, n_runs=2, seed=2)
    assert np.array_equal(auto.steps, loop.steps)


def test_a_factory_runs_on_the_loop_and_is_refused_by_batched():
    def factory(env, rng):
        return tm.DynaQAgent(env.n_states, env.n_actions, rng=rng)

    spec = tm.AgentSpec(tm.DynaQAgent)
    auto = tm.run_episodes(maze, factory, n_episodes=3, n_runs=2, seed=3, engine="auto")
    loop = tm.run_episodes(maze, spec, n_episodes=3, n_runs=2, seed=3)
    assert np.array_equal(auto.steps, loop.steps)  # same streams as the spec
    with pytest.raises(ValueError, match=r"engine == 'batched' needs an AgentSpec"):
        tm.run_episodes(maze, factory, n_episodes=2, n_runs=2, engine="batched")


def test_a_list_of_specs_gives_one_result_per_setting():
    specs = [dyna(0), dyna(5)]
    both = tm.run_episodes(maze, specs, n_episodes=3, n_runs=2, seed=4)
    one = tm.run_episodes(maze, dyna(5), n_episodes=3, n_runs=2, seed=4)
    assert len(both) == 2 and np.array_equal(both[1].steps, one.steps)
    stepped = tm.run_steps(maze, specs, n_steps=50, n_runs=2, seed=4, engine="auto")
    assert [r.cumulative_reward.shape for r in stepped] == [(2, 50), (2, 50)]
    with pytest.raises(TypeError, match=r"a list of agents must hold AgentSpecs"):
        tm.run_episodes(maze, [dyna(0), "dyna"], n_episodes=1)


def test_the_batched_engine_builds_one_agent_per_setting_to_check_it(monkeypatch):
    built = []
    build = tm.AgentSpec.build

    def counted(spec, *args, **kwargs):
        built.append(spec)
        return build(spec, *args, **kwargs)

    monkeypatch.setattr(tm.AgentSpec, "build", counted)
    results = tm.run_episodes(
        maze, [dyna(5), dyna(0)], n_episodes=2, n_runs=3, engine="batched"
    )
    assert [r.steps.shape for r in results] == [(3, 2)] * 2
    assert built == [dyna(5), dyna(0)]  # not one per run


@pytest.mark.slow
def test_batched_runs_are_reproducible_and_differ_across_seeds():
    def run(seed):
        return tm.run_episodes(
            maze, dyna(5), n_episodes=4, n_runs=3, seed=seed, engine="batched"
        ).steps

    assert np.array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))


def test_slippery_outcomes_follow_the_model_probabilities():
    env = gridworlds.make("dyna_maze", slip=0.4)
    vector = VectorMaze([env])
    state, action = env.to_state(2, 2), int(gridworlds.Action.RIGHT)
    n = 20_000
    next_states, _, _ = vector.step(
        np.full(n, state), np.full(n, action), 0, np.random.default_rng(0)
    )
    expected = {}
    for prob, s2, _, _ in env.transitions(state, action):
        expected[s2] = expected.get(s2, 0.0) + prob
    for s2, prob in expected.items():
        assert abs(np.mean(next_states == s2) - prob) < 0.015  # ~4.5 std


def test_auto_uses_the_loop_for_one_run_and_for_other_agents():
    one = tm.run_episodes(maze, dyna(5), n_episodes=3, n_runs=1, seed=3, engine="auto")
    loop = tm.run_episodes(maze, dyna(5), n_episodes=3, n_runs=1, seed=3)
    assert np.array_equal(one.steps, loop.steps)

    sweeping = tm.AgentSpec(tm.PrioritizedSweepingAgent)
    auto = tm.run_episodes(
        maze, sweeping, n_episodes=2, n_runs=2, seed=0, engine="auto"
    )
    loop = tm.run_episodes(maze, sweeping, n_episodes=2, n_runs=2, seed=0)
    assert np.array_equal(auto.steps, loop.steps)


@pytest.mark.slow
def test_studies_give_the_same_result_in_parallel():
    one = studies.dyna_maze(n_runs=3, n_episodes=4, jobs=1)
    two = studies.dyna_maze(n_runs=3, n_episodes=4, jobs=2)
    for a, b in zip(one.series, two.series, strict=True):
        assert a.name == b.name and np.array_equal(a.values, b.values)


@pytest.mark.slow
def test_replay_vs_dyna_gives_the_same_on_any_jobs_and_with_only():
    # Its mazes run side by side, each in one process where its two Dyna-Q
    # settings share a batch; only= runs one series (and, with jobs > 1, runs
    # here, where the names it has seen are recorded).
    kwargs = {"n_runs": 2, "n_steps": 300, "blocking_steps": 300, "window": 100}
    one = studies.replay_vs_dyna(jobs=1, **kwargs)
    two = studies.replay_vs_dyna(jobs=2, **kwargs)
    for a, b in zip(one.series, two.series, strict=True):
        assert a.name == b.name and np.array_equal(a.values, b.values)
    alone = studies.replay_vs_dyna(jobs=2, only=["Dyna-Q, empirical model"], **kwargs)
    assert [s.name for s in alone.series] == ["Dyna-Q, empirical model"]
    assert np.array_equal(alone.series[0].values, one.series[2].values)


def test_bad_input():
    with pytest.raises(ValueError, match=r"n_runs == 0, must be in \[1, inf\]"):
        tm.run_episodes(maze, dyna(5), n_episodes=2, n_runs=0, engine="batched")
    with pytest.raises(ValueError, match=r"engine == 'fast', must be one of"):
        tm.run_episodes(maze, dyna(5), n_episodes=2, n_runs=2, engine="fast")

    sweeping = tm.AgentSpec(tm.PrioritizedSweepingAgent)
    with pytest.raises(
        ValueError,
        match=r"engine == 'batched' cannot run this experiment: it runs "
        r"QLearningAgent, DynaQAgent, DynaQPlusAgent, ReplayQAgent, RolloutQAgent, "
        r"RandomShootingAgent, not PrioritizedSweepingAgent",
    ):
        tm.run_episodes(maze, sweeping, n_episodes=2, n_runs=2, engine="batched")

    empirical = tm.AgentSpec(tm.DynaQAgent, model=tm.EmpiricalModel)
    plus = tm.AgentSpec(tm.DynaQPlusAgent, model=tm.EmpiricalModel)
    with pytest.raises(ValueError, match=r"Dyna-Q\+ plans on a DeterministicModel"):
        tm.run_episodes(maze, plus, n_episodes=2, n_runs=2, engine="batched")
    with pytest.raises(ValueError, match=r"DeterministicModel only; an EmpiricalM"):
        tm.run_episodes(
            maze, empirical, n_episodes=2, n_runs=2, engine="batched-per-run"
        )
    with pytest.raises(ValueError, match=r"q has shape \(3, 4\), must be"):
        BatchedDynaQ(
            np.zeros((3, 4)),
            alpha=0.1,
            gamma=0.9,
            epsilon=0.1,
            rng=np.random.default_rng(0),
        )
    with pytest.raises(ValueError, match=r"list of 1 Generators, must have one per"):
        BatchedDynaQ(
            np.zeros((2, 3, 4)),
            alpha=0.1,
            gamma=0.9,
            epsilon=0.1,
            rng=[np.random.default_rng(0)],
        )
    with pytest.raises(TypeError, match=r"rng == 3, must be a numpy Generator"):
        BatchedDynaQ(np.zeros((2, 3, 4)), alpha=0.1, gamma=0.9, epsilon=0.1, rng=3)


def test_memory_grows_with_states_times_actions():
    def engine(n_states):
        return BatchedDynaQ(
            np.zeros((2, n_states, 4)),
            alpha=0.1,
            gamma=0.9,
            epsilon=0.1,
            rng=np.random.default_rng(0),
        )

    assert engine(10_000).memory_bytes == 100 * engine(100).memory_bytes


def test_peak_memory_is_little_more_than_the_engine_tables():
    """The engine reads the spec, builds no per-run agents and keeps one env:
    the run's peak is within 1.5x of its own tables (measured at 300 x 300 x
    30 runs: 1.03x; it was 3.5x when 30 agents were built first)."""
    import tracemalloc

    def grid():
        return gridworlds.make("open_grid", rows=60, cols=60)

    tables = BatchedDynaQ(
        np.zeros((10, 3600, 4)),
        alpha=0.1,
        gamma=0.9,
        epsilon=0.1,
        rng=np.random.default_rng(0),
    ).memory_bytes
    tracemalloc.start()
    try:
        tm.run_steps(grid, dyna(5), n_steps=50, n_runs=10, seed=0, engine="batched")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 1.5 * tables, (peak / tables, tables)


@pytest.mark.slow
def test_cli_bench_quick_prints_every_column_and_case(tmp_path, capsys, monkeypatch):
    # Every case is in the list; a few stand for them in the run (each runs in
    # a process of its own).
    listed = [(case, engine) for case, engine, *_ in bench._cases(quick=True)]
    for figure in ("fig8.2", "fig8.4", "fig8.5"):
        assert (figure, "loop") in listed and (figure, "batched") in listed
    for case in ("ex8.4", "mpc-decision", "mpc-default", "open-grid 100x100", "floor"):
        assert case in [c for c, _ in listed]
    few = [
        row
        for row in bench._cases(quick=True)
        if row[:2]
        in (("fig8.2", "loop"), ("fig8.2", "batched"), ("floor", "bare numpy"))
    ]
    monkeypatch.setattr(bench, "_cases", lambda quick: few)
    one = ("cli dyna-maze", ["run", "dyna-maze", "--runs", "1"], 1.6, (0,))
    monkeypatch.setattr(bench, "TARGETS", [one])
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    header = printed.splitlines()[0].split()
    assert header == ["case", "engine", "runs", "wall", "s", "backups/s"] + [
        "speed-up",
        "peak",
        "MiB",
        "target",
        "s",
    ]
    rows = json.loads(out.read_text())
    cases = [(row["case"], row["engine"]) for row in rows]
    assert cases[: len(few)] == [row[:2] for row in few]
    for case, *_ in bench.TARGETS:  # whole processes, each against its target
        assert (case, "process") in cases
    assert "lockstep tail: Figure 8.2 in one batch of 3 runs" in printed
    assert "of the backups made in plain Python, a run at a time" in printed
    for row in rows:
        assert row["seconds"] > 0
        if row["engine"] == "process":  # quick: one seed, no target
            assert row["runs"] == 1 and row["target"] is None
            continue
        assert row["backups_per_second"] > 0
        if row["case"] == "lockstep tail":
            assert 0 < row["tail_seconds"] and row["loops"] >= row["full_loops"]
            # The tail's extra loops, each at the floor's fixed cost of a loop.
            extra = row["loops"] - row["full_loops"]
            assert row["floor_loop_seconds"] > 0
            assert row["tail_seconds"] == pytest.approx(
                extra * row["floor_loop_seconds"]
            )
            # The last run or two of the batch plan in plain Python.
            assert 0 < row["python_backups"] <= row["backups"]
            continue
        assert row["peak_mib"] > 0
        assert (row["speedup"] is not None) == row["engine"].startswith("batched")
    assert "floor: the batched engine does" in printed


@pytest.mark.slow
def test_cli_run_engine_and_jobs(tmp_path, capsys):
    argv = ["run", "dyna-maze", "--runs", "2", "--quick", "--quiet"]
    assert (
        main(argv + ["--engine", "batched", "--jobs", "2", "--out", str(tmp_path)]) == 0
    )
    assert (tmp_path / "dyna-maze.csv").exists()
    capsys.readouterr()
    assert main(["run", "model-errors", "--engine", "batched", "--quick"]) == 2
    assert capsys.readouterr().err == (
        "tabular-mbrl: error: experiment 'model-errors' cannot run on engine == "
        "'batched'; it runs on 'auto', 'loop'\n"
    )
    assert main(["run", "fig-8-3", "--jobs", "2", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "tabular-mbrl: error: experiment 'fig-8-3' runs in one process: jobs == 2, "
        "must be 1\n"
    )
    assert not (tmp_path / "fig-8-3.csv").exists()  # refused before writing
    assert main(["run", "dyna-maze", "--jobs", "0"]) == 2
    assert main(["run", "dyna-maze", "--engine", "gpu"]) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"horizon": 5, "n_candidates": 100, "terminal_value": "value_iteration"},
        pytest.param(
            {"horizon": 3, "n_candidates": 20, "epsilon": 0.2, "unknown_value": None},
            marks=pytest.mark.slow,
        ),
        # 4^2 = 16 <= 30: every sequence, no draws but for ties and exploration
        pytest.param(
            {"horizon": 2, "n_candidates": 30, "epsilon": 0.1}, marks=pytest.mark.slow
        ),
        # No values: the rollouts alone see each change of the model.
        pytest.param(
            {"horizon": 4, "n_candidates": 30, "terminal_value": None},
            marks=pytest.mark.slow,
        ),
    ],
)
def test_mpc_per_run_streams_reproduce_the_loop_engine_bit_for_bit(params):
    spec = tm.AgentSpec(tm.RandomShootingAgent, **params)

    def blocking():
        return gridworlds.make("blocking_maze", change_at=300)

    loop, batched = (
        tm.run_steps(blocking, spec, n_steps=600, n_runs=3, seed=5, engine=engine)
        for engine in ("loop", "batched-per-run")
    )
    assert np.array_equal(loop.cumulative_reward, batched.cumulative_reward)
    assert np.array_equal(loop.planning_updates, batched.planning_updates)
    assert np.array_equal(loop.change_steps, batched.change_steps)
    episodes = [
        tm.run_episodes(maze, spec, n_episodes=4, n_runs=2, seed=1, engine=engine)
        for engine in ("loop", "batched-per-run")
    ]
    assert np.array_equal(episodes[0].steps, episodes[1].steps)
    assert np.array_equal(episodes[0].planning_updates, episodes[1].planning_updates)


@pytest.mark.slow
def test_mpc_with_a_staleness_bonus_is_bit_identical_per_run():
    def shortcut():
        return gridworlds.make("shortcut_maze", change_at=300)

    spec = tm.AgentSpec(tm.RandomShootingAgent, kappa=1e-3)
    loop, batched = (
        tm.run_steps(shortcut, spec, n_steps=700, n_runs=2, seed=4, engine=engine)
        for engine in ("loop", "batched-per-run")
    )
    assert np.array_equal(loop.cumulative_reward, batched.cumulative_reward)
    assert np.array_equal(loop.planning_updates, batched.planning_updates)
    plain = tm.run_steps(shortcut, studies.STANDARD_MPC, n_steps=700, n_runs=2, seed=4)
    assert not np.array_equal(plain.cumulative_reward, loop.cumulative_reward)


@pytest.mark.parametrize(
    "spec",
    [
        dyna(10),
        pytest.param(tm.AgentSpec(tm.RandomShootingAgent), marks=pytest.mark.slow),
        tm.AgentSpec(tm.RandomShootingAgent, horizon=4, n_candidates=50),
    ],
)
def test_telling_the_new_goal_is_bit_identical_per_run(spec):
    """The goal moves at step 300 and every agent is told: Dyna-Q's model
    relabelled, MPC planning with the new reward function, on both engines."""
    study = studies.goal_change_maze(change_at=300)

    def told(env, agent):
        tm.tell(agent, study.reward_fn, study.terminal_fn)

    loop, batched = (
        tm.run_steps(
            study.make,
            spec,
            n_steps=700,
            n_runs=2,
            seed=3,
            engine=engine,
            on_change=told,
        )
        for engine in ("loop", "batched-per-run")
    )
    assert np.array_equal(loop.cumulative_reward, batched.cumulative_reward)
    assert np.array_equal(loop.planning_updates, batched.planning_updates)
    # ... and MPC, told, reaches the new goal after the change.
    if spec.agent_class is tm.RandomShootingAgent:
        after = loop.cumulative_reward[:, -1] - loop.cumulative_reward[:, 299]
        assert (after > 0).all()


def test_mpc_settings_the_engine_cannot_batch_are_refused_or_fall_back():
    goal = tm.AgentSpec(tm.RandomShootingAgent, reward_fn=lambda s, a, n: 0.0 * s)
    with pytest.raises(ValueError, match=r"not a reward_fn"):
        tm.run_episodes(maze, goal, n_episodes=1, n_runs=2, engine="batched")
    cem = tm.AgentSpec(tm.RandomShootingAgent, planner="cem", horizon=2)
    with pytest.raises(ValueError, match=r"not the cross-entropy method"):
        tm.run_episodes(maze, cem, n_episodes=1, n_runs=2, engine="batched")
    tm.run_episodes(maze, cem, n_episodes=1, n_runs=2, engine="auto")  # the loop


def test_batched_mpc_bad_input_names_the_culprit():
    def mpc(**change):
        kwargs = dict(
            horizon=2,
            n_candidates=3,
            gamma=0.9,
            epsilon=0.0,
            unknown_value=1.0,
            terminal_value=None,
            rng=Streams([np.random.default_rng(0)], [2]),
        )
        return BatchedMPC(2, 5, 4, **{**kwargs, **change})

    with pytest.raises(TypeError, match=r"rng == 3, must be a list of 2 Generators"):
        mpc(rng=3)
    assert mpc().select_actions(np.array([0, 1])).shape == (2,)


def _rollout_batch(outcomes, n_actions=1, **kwargs):
    lengths = np.array([1, 2, 5, 10] * 2)
    return BatchedRolloutQ(
        np.zeros((len(lengths), outcomes.shape[0], n_actions)),
        outcomes=outcomes,
        n_rollouts=10 // lengths,
        rollout_length=lengths,
        empirical=np.repeat([False, True], 4),
        rng=np.random.default_rng(0),
        **kwargs,
    )


def test_batched_rollouts_compute_the_chain_by_hand_at_every_length():
    # The chain 0 -> 1 -> 2 (terminal, reward 1), one action, alpha 1, as in
    # tests/test_agents.py: Q(1) = 1 and Q(0) = gamma * Q(1), whatever the
    # rollout length and the kind of model.
    outcomes = np.array([[[1]], [[2]], [[2]]])
    batch = _rollout_batch(outcomes, alpha=1.0, gamma=0.5, epsilon=0.1)
    runs = batch.n_runs
    one = np.ones(runs, dtype=np.int64)
    batch.update(0 * one, 0 * one, np.zeros(runs), one, np.zeros(runs, bool))
    batch.update(one, 0 * one, np.ones(runs), 2 * one, np.ones(runs, bool))
    assert batch.q[:, :, 0].tolist() == [[0.5, 1.0, 0.0]] * runs
    assert batch.n_planning_updates.tolist() == [20] * runs  # 10 per real step
    batch.keep(np.arange(runs) % 2 == 0)  # runs can leave the batch
    assert len(batch.outcome_counts) == len(batch.visited) == runs // 2
    assert batch.rollout_length.tolist() == [1, 5, 1, 5]


def test_batched_models_count_outcomes_or_keep_the_last():
    outcomes = np.array([[[1, 2]], [[1, 1]], [[2, 2]]])  # two outcome slots
    batch = _rollout_batch(outcomes, alpha=0.5, gamma=0.9, epsilon=0.0)
    runs = batch.n_runs
    zero = np.zeros(runs, dtype=np.int64)
    for next_state in (1, 1, 2):
        batch.update(zero, zero, np.zeros(runs), zero + next_state, zero == 1)
    deterministic, empirical = (
        batch.outcome_counts[:4, 0, 0],
        batch.outcome_counts[4:, 0, 0],
    )
    assert deterministic.tolist() == [[0, 1]] * 4  # the last outcome only
    assert empirical.tolist() == [[2, 1]] * 4
    with pytest.raises(ValueError, match=r"outcomes has shape \(3, 2\), must be"):
        _rollout_batch(outcomes[:, 0], alpha=0.5, gamma=0.9, epsilon=0.1)
    with pytest.raises(ValueError, match="must be one number for every run"):
        BatchedRolloutQ(
            np.zeros((2, 3, 1)),
            outcomes=outcomes,
            alpha=0.5,
            gamma=0.9,
            epsilon=0.1,
            n_rollouts=[1, 2],
            rollout_length=[2, 2],
            rng=np.random.default_rng(0),
        )


def test_replay_per_run_streams_reproduce_the_loop_bit_for_bit():
    spec = tm.AgentSpec(tm.ReplayQAgent, n_replay_steps=5, capacity=40, alpha=0.5)
    maze = lambda: gridworlds.make("dyna_maze")  # noqa: E731
    runs = {
        engine: tm.run_steps(maze, spec, n_steps=800, n_runs=3, seed=2, engine=engine)
        for engine in ("loop", "batched-per-run")
    }
    loop, batched = runs["loop"], runs["batched-per-run"]
    assert np.array_equal(loop.cumulative_reward, batched.cumulative_reward)
    assert np.array_equal(loop.planning_updates, batched.planning_updates)
    assert loop.cumulative_reward[:, -1].max() > 0  # it learned something


def test_batched_empirical_model_counts_as_the_loop_model_does():
    rng = np.random.default_rng(0)
    steps = [(0, 1, 0.0, 2, False), (0, 1, 1.0, 3, True), (0, 1, 0.0, 2, False)]
    steps += [(2, 0, 0.5, 1, False)]
    batch = BatchedDynaQ(
        np.zeros((2, 4, 2)),
        alpha=0.5,
        gamma=0.9,
        epsilon=0.1,
        empirical=True,
        rng=rng,
    )
    model = tm.EmpiricalModel(4, 2)
    for s, a, r, n, end in steps:
        batch.update(*(np.array([x, x]) for x in (s, a, r, n, end)))
        model.update(s, a, r, n, end)
    for s, a in ((0, 1), (2, 0)):
        k = model.n_outcomes[s, a]
        nexts = model.next_states[s, a, :k]
        assert batch.counts[1, s, a, nexts].tolist() == model.counts[s, a, :k].tolist()
        assert batch.counts[1, s, a].sum() == model.counts[s, a].sum()
        means = batch.reward_sums[1, s, a, nexts] / batch.counts[1, s, a, nexts]
        assert means.tolist() == model.rewards[s, a, :k].tolist()
        assert (
            batch.ends[1, s, a, nexts].tolist() == model.terminated[s, a, :k].tolist()
        )
    # The running sums that draws compare with: by hand, (0, 1) has seen
    # state 2 twice and state 3 once.
    assert batch._cumulative[0, 0, 1].tolist() == [0, 0, 2, 3]
    assert np.array_equal(batch._cumulative, batch.counts.cumsum(axis=-1))


def test_batched_empirical_planning_draws_outcomes_by_their_counts():
    # One pair, (0, 0), seen going to 1 three times and to 2 once. Q is 1 in
    # state 1 and 0 in state 2, so with alpha = 1 one planning backup sets
    # Q(0, 0) to gamma or to 0: which outcome it drew.
    runs = 2000
    q = np.zeros((runs, 3, 1))
    q[:, 1] = 1.0
    batch = BatchedDynaQ(
        q,
        alpha=1.0,
        gamma=0.5,
        epsilon=0.0,
        empirical=True,
        rng=np.random.default_rng(1),
    )
    zero = np.zeros(runs, dtype=np.int64)
    for nxt in (1, 1, 1, 2):
        batch.update(zero, zero, np.zeros(runs), zero + nxt, zero == 1)
    batch.q[:, 1], batch.q[:, 2] = 1.0, 0.0  # as they were before the steps
    batch.plan(1)
    drew_one = (batch.q[:, 0, 0] == 0.5).mean()
    assert set(np.unique(batch.q[:, 0, 0])) <= {0.0, 0.5}
    assert abs(drew_one - 0.75) < 0.04  # 0.75 +- 4 standard errors


def test_batched_value_iteration_is_each_runs_own_bit_for_bit():
    # Five random deterministic models of 30 states, warm-started apart: the
    # runs stop at different sweeps, and each gives what value iteration on
    # its model alone gives, to the last bit, with as many sweeps.
    from tabular_mbrl.batched.kernels import iterate_values
    from tabular_mbrl.dynamic_programming import iterate_values as alone

    rng = np.random.default_rng(3)
    runs, n_states, n_actions = 5, 30, 4
    next_states = rng.integers(n_states, size=(runs, n_states, n_actions))
    rewards = (
        rng.random((runs, n_states, n_actions))
        * (rng.random(runs) < 0.6)[:, None, None]
    )
    terminated = rng.random((runs, n_states, n_actions)) < 0.05
    start = rng.random((runs, n_states)) * np.arange(runs)[:, None]
    values, sweeps = iterate_values(start, next_states, rewards, terminated, 0.95, 1e-6)
    assert len(set(sweeps.tolist())) > 2
    for run in range(runs):
        model = gridworlds.TabularModel(
            next_states[run, ..., None],
            np.ones((n_states, n_actions, 1)),
            rewards[run, ..., None],
            terminated[run, ..., None],
        )
        v, _, n = alone(model, gamma=0.95, tol=1e-6, initial_values=start[run])
        assert n == sweeps[run]
        assert v.tobytes() == values[run].tobytes()


def test_auto_runs_a_counted_batch_too_large_for_memory_on_the_loop(monkeypatch):
    """A counted model's batch keeps counts per next state (runs x S x A x
    S): where that would not fit, ``"auto"`` runs the loop (whose counted
    models grow with the outcomes seen) and gives the loop's numbers;
    ``"batched"`` refuses, saying how much it would need."""
    import gridworlds._checks

    def grid():
        return gridworlds.make("open_grid", rows=8, cols=8, slip=0.2)

    spec = tm.AgentSpec(tm.DynaQAgent, n_planning_steps=5, model=tm.EmpiricalModel)
    # 2 runs x 64 x 4 x 64 counts and sums: 0.7 MB; the loop's: kilobytes.
    monkeypatch.setattr(gridworlds._checks, "memory_limit", lambda: 2**18)
    with pytest.raises(ValueError, match=r"would need [\d.]+ GiB of memory"):
        tm.run_steps(grid, spec, n_steps=50, n_runs=2, seed=1, engine="batched")
    auto, loop = (
        tm.run_steps(grid, spec, n_steps=1500, n_runs=2, seed=1, engine=e)
        for e in ("auto", "loop")
    )
    assert auto.cumulative_reward.tobytes() == loop.cumulative_reward.tobytes()
    assert auto.planning_updates.tobytes() == loop.planning_updates.tobytes()
    assert (loop.cumulative_reward[:, -1] > 3).all()  # goals were reached
