"""The MPC lecture's claims, from the named experiments at small seeded budgets."""

import inspect
import re

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import RandomShootingAgent, studies
from tabular_mbrl.results import Series


def by_name(study):
    return {series.name: series for series in study.series}


@pytest.mark.slow
def test_mpc_needs_fewer_real_steps_than_dyna_q():
    result = by_name(studies.mpc_real_steps(n_runs=10, n_episodes=30, seed=0))
    done = {name: s.convergence for name, s in result.items()}
    # Every run counts; MPC and Dyna-Q n=50 converge in all of them.
    assert done["MPC"].fraction == done["Dyna-Q n=50"].fraction == "10/10"
    assert done["MPC"].median < done["Dyna-Q n=50"].median
    # Both Dyna-Q settings beat Q-learning, whose runs that did not converge
    # within 30 episodes count as their budget (a lower bound).
    assert max(done["Dyna-Q n=50"].median, done["Dyna-Q n=5"].median) < (
        done["Q-learning"].median
    )
    # MPC's policy walks the shortest path once converged.
    assert result["MPC"].final_episodes == 14.0
    # ... and that MPC is the class as it comes: its defaults are this agent.
    defaults = inspect.signature(RandomShootingAgent).parameters
    for name, value in studies.STANDARD_MPC.params.items():
        assert defaults[name].default == value, name
    # ... and MPC pays in planning: simulated transitions far exceed backups.
    assert result["MPC"].planning_updates > 1.5 * result["Dyna-Q n=50"].planning_updates


def first_full_episode(since):
    """Per run: steps between the first and second goals after the change, i.e.
    the first episode that starts from S under the new goal (inf if none).
    ``since``: cumulative reward counted from the change."""
    lengths = []
    for row in since:
        goals = np.flatnonzero(np.diff(row, prepend=0.0) > 0)
        lengths.append(goals[1] - goals[0] if len(goals) > 1 else np.inf)
    return np.array(lengths)


@pytest.mark.slow
def test_goal_change_mpc_follows_at_once():
    study = studies.goal_change(n_runs=3, n_steps=900, change_at=500, seed=0)
    result = by_name(study)
    assert list(result) == list(studies.GOAL_CHANGE)
    # Counted from the change: 400 real steps, starting from 0 reward.
    assert all(s.values.shape == (3, 400) for s in study.series)
    assert (result["MPC"].values[:, 0] <= 1).all()
    mpc = first_full_episode(result["MPC"].values)
    dyna = first_full_episode(result["Dyna-Q, not told"].values)
    # The new goal is 11 steps from the start. MPC, handed the new reward, walks
    # there in its very next episode; Dyna-Q, not told, first revisits the old
    # goal.
    assert (mpc <= 16).all()
    assert (dyna > 16).all()


def test_telling_relabels_what_the_model_has_seen():
    # Hand-made: a 3-state model saw 0 -> 1 (reward 1, terminal) and 1 -> 2.
    # Told that state 2 is the goal, the seen outcomes are relabelled; the
    # transitions stay, and the pair never seen keeps the models' rule.
    model = tm.DeterministicModel(3, 1)
    model.update(0, 0, 1.0, 1, True)
    model.update(1, 0, 0.0, 2, False)

    def reward(states, actions, next_states):
        return (next_states == 2) * 1.0

    def ends(states, actions, next_states):
        return next_states == 2

    tm.relabel(model, reward, ends)
    assert model.rewards[:, 0, 0].tolist() == [0.0, 1.0, 0.0]
    assert model.terminated[:, 0, 0].tolist() == [False, True, False]
    assert model.next_states[:, 0, 0].tolist() == [1, 2, 2]
    # An empirical model keeps its counts; its mean rewards become the new ones.
    empirical = tm.EmpiricalModel(3, 1)
    for outcome in (1, 1, 2):
        empirical.update(0, 0, 0.5, outcome, False)
    tm.relabel(empirical, reward, ends)
    assert empirical.rewards[0, 0].tolist() == [0.0, 1.0]
    assert empirical.counts[0, 0].tolist() == [2, 1]
    # Q-learning has nothing to be told with.
    with pytest.raises(TypeError, match="QLearningAgent has no reward_fn and no"):
        tm.tell(tm.QLearningAgent(3, 1), reward, ends)
    with pytest.raises(ValueError, match="reward_fn returned NaN"):
        tm.relabel(model, lambda s, a, n: n * np.nan, ends)


@pytest.mark.slow
def test_mpc_adapts_when_the_walls_move():
    study = studies.blocking_maze(n_runs=3, n_steps=2000, seed=0)
    mpc = by_name(study)["MPC"].values
    after = mpc[:, -1] - mpc[:, 999]
    assert (after > 30).all()  # finds the new (longer) path and keeps scoring


def test_model_errors_compound_for_the_deterministic_model():
    result = by_name(studies.model_errors(n_runs=3, horizon=10, seed=0))
    assert list(result) == list(studies.model_error_names())
    deterministic = result["deterministic model"].mean()
    likely = result["most-likely true outcome"].mean()
    empirical = result["empirical model"].mean()
    more = result["empirical model, 10x data"].mean()
    assert deterministic[-1] > 2 * deterministic[0]  # grows with the horizon
    assert deterministic[-1] > 3 * empirical[-1]
    assert np.all(empirical < 0.2)
    # The two effects: no learning error leaves most of the deterministic
    # model's error; ten times the data shrinks the empirical model's.
    assert 0.5 * deterministic[-1] < likely[-1] < deterministic[-1]
    assert more[-1] < empirical[-1] / 2


def test_the_model_error_baselines_by_hand():
    # A 2-state world: from state 0 the action reaches 1 with p 0.7, stays
    # with p 0.3; state 1 stays.
    truth = gridworlds.TabularModel(
        np.array([[[1, 0]], [[1, 1]]]),
        np.array([[[0.7, 0.3]], [[1.0, 0.0]]]),
        np.zeros((2, 1, 2)),
        np.zeros((2, 1, 2), dtype=bool),
    )
    likely = tm.models.most_likely_model(truth)
    assert likely.next_states[:, 0, 0].tolist() == [1, 1]
    assert likely.probs.shape == (2, 1, 1) and (likely.probs == 1).all()
    counts = np.array([[[3, 1]], [[0, 0]]])  # state 1 never tried
    counted = tm.models.counted_model(truth, counts)
    assert counted.probs[0, 0].tolist() == [0.75, 0.25]
    assert counted.next_states[1, 0, 0] == 1 and counted.probs[1, 0].tolist() == [
        1.0,
        0.0,
    ]
    # A walk's counts: every step counted once, in the true model's slots.
    env = gridworlds.make("dyna_maze", slip=0.2)
    walks = tm.batched.walk_counts(env, 500, 3, np.random.default_rng(0))
    assert walks.shape == (3, *env.model().next_states.shape)
    assert walks.reshape(3, -1).sum(axis=1).tolist() == [500, 500, 500]
    assert (walks[:, env.model().probs == 0] == 0).all()


def test_budget_costs_grow_with_horizon_and_candidates():
    study = studies.mpc_budget(
        horizons=(3, 4), n_candidates=(10, 50), n_runs=2, n_episodes=10, seed=0
    )
    costs = [s.planning_updates for s in study.series]
    # 5x the candidates (both fewer than the 4^3 sequences: sampled): 5x the
    # simulated transitions per decision. The total also holds the value
    # iteration on the learned model, which does not scale with the
    # candidates, so it grows by less (measured: 86,522 and 137,602 per run).
    assert costs[1] > 1.3 * costs[0]
    assert all(s.values.shape == (2, 2) for s in study.series)
    # Every point says how many of its runs converged.
    lines = study.note.splitlines()
    assert lines[0].startswith("Runs converged per point")
    assert [
        re.fullmatch(r"(10|50) candidates: h=3 [0-2]/2, h=4 [0-2]/2", line) is not None
        for line in lines[1:]
    ] == [True, True]


def test_took_shortcut_by_hand():
    x = np.arange(1, 3001)
    values = np.stack([np.floor(x / 10), np.floor(x / 20), np.floor(x / 16)])
    series = Series("s", x, values)
    # 200, 100 and 125 goals in the last 2000 steps: only the first beats the
    # old path's best rate of 1/16 (125 is exactly it: not more).
    took = studies.took_shortcut(series, change_at=1000, old_path=16)
    assert took.tolist() == [True, False, False]
    # 1500 steps after the change: the old path fits 94 goals in them (one
    # every 16 steps, the first at the window's first step), not 93.75.
    x = np.arange(1, 2501)
    values = np.stack([np.floor((x + 15) / 16), np.floor((x + 15) / 16) + (x > 2000)])
    took = studies.took_shortcut(Series("s", x, values), change_at=1000, old_path=16)
    assert took.tolist() == [False, True]


@pytest.mark.slow
def test_the_shortcut_note_counts_every_run_and_says_why():
    study = studies.shortcut_maze(
        n_runs=2, n_steps=1500, change_at=1000, n_planning_steps=10, seed=0
    )
    assert [s.name for s in study.series] == ["Dyna-Q", "Dyna-Q+", "MPC", "MPC+"]
    first, why, *rest = study.note.splitlines()
    assert first.startswith("Took the shortcut (10 steps; the old path is 16): ")
    assert re.findall(r"(Dyna-Q|Dyna-Q\+|MPC|MPC\+) [0-2]/2", first) == [
        "Dyna-Q",
        "Dyna-Q+",
        "MPC",
        "MPC+",
    ]
    assert why.startswith("Why: a learned model keeps the last outcome it saw.")
    assert len(rest) == 2  # Dyna-Q+'s bonus, and MPC+'s
    # No shortcut opens within the run: nothing to say.
    assert studies.shortcut_maze(n_runs=1, n_steps=900, change_at=1000).note == ""


def test_figure_8_3_halfway_through_the_second_episode():
    maze = lambda: gridworlds.make("dyna_maze")  # noqa: E731
    spec = studies.dyna_q_spec(0)
    q, steps = tm.q_midway(maze, spec, n_runs=2, seed=3)
    # The same seeds as run_episodes: the first episode and half the second.
    episodes = tm.run_episodes(maze, spec, n_episodes=2, n_runs=2, seed=3)
    assert steps.tolist() == (episodes.steps[:, 0] + episodes.steps[:, 1] // 2).tolist()
    # Q-learning has seen one reward, at the end of episode 1: exactly one
    # state has a greedy direction, the one next to the goal.
    study = studies.figure_8_3(seed=0)
    assert study.kind == "policy" and [s.name for s in study.series] == ["n=0", "n=50"]
    assert study.note.startswith("n=0: a greedy direction in 1 of 46 states")
    planned = int(re.search(r"n=50: a greedy direction in (\d+) of 46", study.note)[1])
    assert planned >= 20


def test_k_step_error_by_hand():
    # One action. In state 0 the world moves to 1 or stays, half and half;
    # state 1 stays. The deterministic model says 0 always moves to 1.
    truth = gridworlds.TabularModel(
        np.array([[[1, 0]], [[1, 1]]]),
        np.array([[[0.5, 0.5]], [[1.0, 0.0]]]),
        np.zeros((2, 1, 2)),
        np.zeros((2, 1, 2), dtype=bool),
    )
    model = (np.array([[[1]], [[1]]]), np.ones((2, 1, 1)), np.zeros((2, 1, 1), bool))
    known, q = np.ones((2, 1), dtype=bool), np.zeros((2, 1))

    def error(k):
        return studies.k_step_error(truth, model, known, q, np.array([0]), 0.1, k)

    # From 0, imagined: 1 for sure; real: 1 with 1 - 0.5^k.
    assert [error(1), error(2), error(3)] == [0.5, 0.25, 0.125]
    # Where the model knows no action a rollout stops, and so does the
    # measure, for the model and the world alike.
    assert studies.k_step_error(truth, model, ~known, q, np.array([0]), 0.1, 1) == 0


@pytest.mark.slow
def test_rollout_drift_engines_agree_and_an_exact_model_does_not_drift():
    config = dict(n_runs=6, lengths=(1, 5), budget=10, warmup=300, n_steps=100)
    batched = by_name(studies.rollout_drift(engine="batched", **config))
    loop = by_name(studies.rollout_drift(engine="loop", **config))
    assert batched.keys() == loop.keys() and len(batched) == 8
    for name, series in batched.items():
        assert series.values.shape == (6, 2)
        if name.startswith("Dyna maze") and name.endswith("k-step error"):
            # The deterministic maze: every model is exact where it has data.
            assert series.values.max() == loop[name].values.max() == 0.0
        elif name.endswith("k-step error"):  # the same warm-up: close models
            assert np.abs(series.mean() - loop[name].mean()).max() < 0.05
            assert (series.values > 0).all()
    with pytest.raises(ValueError, match="budget == 100, must be a multiple"):
        studies.rollout_drift(lengths=(1, 3))
    with pytest.raises(
        ValueError, match="'rollout-drift' cannot run on engine == 'batched-per-run'"
    ):
        studies.rollout_drift(engine="batched-per-run")


@pytest.mark.slow
def test_a_setting_per_run_streams_cannot_run_goes_to_the_loop():
    """replay-vs-dyna's counted Dyna-Q on 'batched-per-run': its setting runs
    on the loop (which per-run streams reproduce), not an error after the
    other settings have run."""
    kwargs = {"n_runs": 2, "n_steps": 300, "blocking_steps": 300, "window": 100}
    study = studies.replay_vs_dyna(engine="batched-per-run", **kwargs)
    loop = studies.replay_vs_dyna(engine="loop", **kwargs)
    assert [s.name for s in study.series] == list(studies.REPLAY_VS_DYNA)
    for mine, theirs in zip(study.series, loop.series, strict=True):
        # The Dyna and blocking mazes have no slip: bit for bit there.
        assert np.array_equal(mine.values[:, [0, 2]], theirs.values[:, [0, 2]])
