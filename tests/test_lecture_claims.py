"""Each lecture's printed claims, computed from its runs, hold at its default
Config: the verdict of every sentence is the one the lecture teaches.

Lectures 02, 03 and 04's claims are tested in test_book_results.py, from the
runs that test Figures 8.2, 8.4 and 8.5 and Example 8.4 there."""

import copy
import dataclasses
import importlib.util
import pathlib

import numpy as np

import tabular_mbrl as tm
from tabular_mbrl import studies

LECTURES = pathlib.Path(__file__).parents[1] / "lectures"


def load(name):
    spec = importlib.util.spec_from_file_location(name, LECTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lecture_7_mpc_ablation_claims(lecture_at_defaults):
    lecture, config, study = lecture_at_defaults("07_model_free_vs_model_based")
    assert [s.name for s in study.series] == list(studies.ABLATION)
    assert all(s.convergence.n_runs == config.n_runs for s in study.series)
    verdicts = [line.split(":")[0] for line in lecture.claims(study)]
    assert verdicts == [
        "MPC needs fewer real steps than Dyna-Q n=50 at the book's settings",
        "The exact backup with optimism saves real steps",
        "Compute saves real steps",
        "Planning at decision time saves real steps",
        "Acting greedily saves real steps",
        "MPC's lead over Dyna-Q n=50 is due to the exact backup with optimism, "
        "compute, planning at decision time, acting greedily (95 % intervals of "
        "differences).",
        "Random shooting adds nothing over greedy on the values",
        "Optimism at alpha = 0.1 makes no clear difference in real steps",
        "Optimism saves MPC real steps",
        "Terminal values matter",
    ]
    by = {s.name: s for s in study.series}
    # The standard MPC converges in every run and then walks the shortest path.
    assert by["MPC"].convergence.n_converged == config.n_runs
    assert by["MPC"].final_episodes <= 15.0
    # The compute match: Dyna-Q's backups per real step are MPC's, rounded.
    assert by[studies.DYNA_MATCHED].model_work_per_step == round(
        by["MPC"].model_work_per_step
    )


def test_lecture_7_verdicts_follow_their_numbers(lecture_at_defaults, swap):
    lecture, _, study = lecture_at_defaults("07_model_free_vs_model_based")
    before = lecture.claims(study)
    pairs = {
        0: ("MPC", "Dyna-Q n=50"),
        1: (studies.DYNA_EXACT, "Dyna-Q n=50"),
        2: (studies.DYNA_MATCHED, studies.DYNA_EXACT),
        3: (studies.MPC_EXPLORING, studies.DYNA_MATCHED),
        4: ("MPC", studies.MPC_EXPLORING),
        8: ("MPC, no optimism", "MPC"),
        9: ("MPC, no terminal values (h=10)", "MPC"),
    }
    for line, (a, b) in pairs.items():
        after = lecture.claims(swap(study, a, b))
        assert after[line].split(":")[0] != before[line].split(":")[0], (a, b)
    # A tie: the same runs on both sides give no clear difference.
    same = lecture.claims(swap(study, "greedy on values (h=1)", "MPC", copy=True))
    assert same[6].startswith("Random shooting adds nothing")
    tied = lecture.claims(swap(study, "MPC", "Dyna-Q n=50", copy=True))
    assert tied[0].startswith("MPC needs about as many real steps")


def test_lecture_6_goal_change_claims(lecture_at_defaults):
    lecture, config, study = lecture_at_defaults("06_goal_change_and_adaptation")
    assert config.n_runs >= 20
    assert [s.name for s in study.series] == list(studies.GOAL_CHANGE)
    steps = config.n_steps - config.change_at
    assert all(s.values.shape == (config.n_runs, steps) for s in study.series)
    verdicts = [line.split(":")[0] for line in lecture.claims(study)]
    assert verdicts == [
        "MPC follows at once",
        "Telling helps Dyna-Q",
        "MPC reaches the new goal more often than Dyna-Q n=50 told, at the "
        "book's settings",
        "The exact backup with optimism adds goals",
        "Compute adds goals",
        "Planning at decision time makes no clear difference",
        "Acting greedily adds goals",
        "MPC's lead over Dyna-Q told is due to the exact backup with optimism, "
        "compute, acting greedily; no clear gain from planning at decision time "
        "(95 % intervals of differences). Acting greedily alone is 43% of the "
        "lead of 33.5 goals.",
        "Random shooting adds nothing over greedy on the values",
    ]
    by = {s.name: s for s in study.series}
    matched = by["Dyna-Q, MPC's compute, told"]
    assert matched.model_work_per_step == round(by["MPC"].model_work_per_step)


def test_lecture_6_verdicts_follow_their_numbers(lecture_at_defaults, swap):
    lecture, _, study = lecture_at_defaults("06_goal_change_and_adaptation")
    before = lecture.claims(study)
    told, exact = "Dyna-Q, told", studies.GOAL_CHANGE[5]
    pairs = {
        1: (told, "Dyna-Q, not told"),
        2: ("MPC", told),
        3: (exact, told),
        6: ("MPC", "MPC, epsilon=0.1"),
    }
    for line, (a, b) in pairs.items():
        after = lecture.claims(swap(study, a, b, field="values"))
        assert after[line].split(":")[0] != before[line].split(":")[0], (a, b)
    tie = lecture.claims(swap(study, "MPC", told, field="values", copy=True))
    assert tie[2].startswith("MPC reaches the new goal about as often")
    rollouts = swap(study, "greedy on values, told", told, field="values", copy=True)
    assert lecture.claims(rollouts)[8].startswith("The rollouts add goals")


def test_lecture_6_first_goal_counts_every_run():
    first_goal = load("06_goal_change_and_adaptation").first_goal
    since = np.array([[0, 0, 1, 1], [0, 0, 0, 0], [1, 1, 1, 2]], dtype=float)
    done = first_goal(since)
    assert done.fraction == "2/3"
    assert done.values.tolist() == [3.0, 4.0, 1.0]  # never: all 4 steps, a bound
    assert done.text() == "3"  # the run that never got there cannot move it
    assert first_goal(since[[1, 1, 2]]).text() == ">= 4"  # here it can


def test_lecture_8_model_error_claims(lecture_at_defaults):
    lecture, _, study = lecture_at_defaults("08_model_errors")
    verdicts = [line.split(":")[0] for line in lecture.claims(study)]
    assert verdicts == [
        "Counting outcomes predicts better than keeping the last",
        "Estimation error shrinks with data",
    ]
    # What holds for any deterministic model is said without a verdict.
    assert not any(":" in line for line in lecture.observations(study))


def test_lecture_8_verdicts_follow_their_numbers(lecture_at_defaults, swap):
    lecture, _, study = lecture_at_defaults("08_model_errors")
    before = lecture.claims(study)
    more = studies.model_error_names()[-1]
    pairs = {
        0: ("empirical model", "deterministic model"),
        1: ("empirical model", more),
    }
    for line, (a, b) in pairs.items():
        after = lecture.claims(swap(study, a, b, field="values"))
        assert after[line].split(":")[0] != before[line].split(":")[0], (a, b)
    tie = swap(study, more, "empirical model", field="values", copy=True)
    assert lecture.claims(tie)[1].startswith("Estimation error makes no clear")


def test_lecture_11_replay_vs_dyna_claims(lecture_at_defaults):
    lecture, config, study = lecture_at_defaults("11_replay_vs_dyna")
    assert config.n_runs >= 50  # what the intervals of the last two claims need
    assert [s.name for s in study.series] == list(studies.REPLAY_VS_DYNA)
    assert all(s.values.shape == (config.n_runs, 3) for s in study.series)
    verdicts = [line.split(":")[0] for line in lecture.claims(study)]
    # The first is 'no clear difference' at seed 0; at fresh seeds it may
    # also find replay behind (9 of 10 gave no clear difference): never ahead.
    assert verdicts[0] != "Replay reaches more goals than Dyna-Q on the Dyna maze"
    assert verdicts[1:] == [
        "A last-outcome model hurts Dyna-Q on slippery floors",
        "Overwriting pays when the wall moves",
    ]


def test_lecture_11_verdicts_follow_their_numbers(lecture_at_defaults, swap):
    lecture, _, study = lecture_at_defaults("11_replay_vs_dyna")
    replay, last, counted = studies.REPLAY_VS_DYNA
    before = lecture.claims(study)
    after = lecture.claims(swap(study, last, counted, field="values"))
    assert after[1].startswith("A last-outcome model helps Dyna-Q")
    assert after[2].startswith("Overwriting costs")
    tie = lecture.claims(swap(study, last, counted, field="values", copy=True))
    assert tie[1].startswith("A last-outcome model makes no clear difference")
    assert tie[2].startswith("Overwriting makes no clear difference")
    # Replay 10 goals behind Dyna-Q in every run of the Dyna maze, then ahead.
    values = {s.name: s.values for s in study.series}
    for shift, word in ((-10, "fewer"), (10, "more")):
        ahead = values[last].copy()
        ahead[:, 0] += shift
        series = [
            dataclasses.replace(s, values=ahead) if s.name == replay else s
            for s in study.series
        ]
        first = lecture.claims(dataclasses.replace(study, series=series))[0]
        assert first.startswith(f"Replay reaches {word} goals"), first
    assert before[0].startswith("The sampling rule makes no clear difference")


def test_lecture_12_intermediate_goal_claims(lecture_at_defaults):
    lecture, config, study = lecture_at_defaults("12_intermediate_goals")
    assert [s.name for s in study.series] == list(studies.WAYPOINT_AGENTS)
    verdicts = [line.split(":")[0] for line in lecture.claims(study, config.max_steps)]
    assert verdicts == [
        "MPC follows each goal at once",
        "MPC takes fewer real steps than Dyna-Q n=50 told, at the book's settings",
        "Telling helps Dyna-Q",
        "The exact backup with optimism saves real steps",
        "Compute saves real steps",
        "Planning at decision time saves real steps",
        "Acting greedily saves real steps",
        "MPC's lead over Dyna-Q told is due to the exact backup with optimism, "
        "compute, planning at decision time, acting greedily (95 % intervals of "
        "differences). Matched, Dyna-Q's tour is 1.6x the shortest.",
    ]
    by = {s.name: s for s in study.series}
    matched = by["Dyna-Q, MPC's compute, told"]
    assert matched.model_work_per_step == round(by["MPC"].model_work_per_step)
    # G to A by hand: 3 down the right column, 4 left on row 3, 2 down.
    assert lecture.shortest_legs(4).tolist() == [7, 6, 11, 9]


def test_lecture_12_verdicts_follow_their_numbers(lecture_at_defaults, swap):
    lecture, config, study = lecture_at_defaults("12_intermediate_goals")
    before = lecture.claims(study, config.max_steps)
    agents = studies.WAYPOINT_AGENTS
    pairs = {1: (agents[0], agents[1]), 2: (agents[1], agents[2])}
    pairs |= {3: (agents[4], agents[1]), 4: (agents[5], agents[4])}
    for line, (a, b) in pairs.items():
        after = lecture.claims(swap(study, a, b, field="values"), config.max_steps)
        assert after[line].split(":")[0] != before[line].split(":")[0], (a, b)
    tie = swap(study, agents[3], agents[5], field="values", copy=True)
    assert lecture.claims(tie, config.max_steps)[5].startswith(
        "Planning at decision time makes no clear difference"
    )


def test_waypoints_mpc_walks_each_leg_by_its_shortest_path(lecture_at_defaults):
    # Lecture 12's runs: one tour, S to A, A to B, B to G on the Dyna maze.
    _, config, study = lecture_at_defaults("12_intermediate_goals")
    assert config.n_tours == 1 and config.n_runs == 10  # as the README says
    assert study.series[0].values.shape == (config.n_runs, 3)
    # The legs' shortest paths, counted by hand: 7, 6, 11.
    legs = [((2, 0), (5, 4)), ((5, 4), (0, 3)), ((0, 3), (0, 8))]
    shortest = []
    for start, goal in legs:
        env = studies.waypoint_leg(start, goal, 10)
        shortest.append(tm.shortest_path_length(env.model(), env.start_state))
    assert shortest == [7, 6, 11]
    # MPC, told each goal, walks each leg by a shortest path, in every run.
    assert (study.series[0].values == shortest).all()
    # Dyna-Q, told, is slower over the tour; no leg exceeds its cap.
    told = study.series[1].values
    assert (told.sum(axis=1) > sum(shortest)).all()
    assert told.max() <= config.max_steps


def test_lecture_9_replanning_claims(lecture_at_defaults):
    lecture, _, study = lecture_at_defaults("09_replanning_vs_open_loop")
    assert study.series[0].name == "replan every step (MPC)"
    assert study.series[-1].name == "open loop"
    verdicts = [line.split(":")[0] for line in lecture.claims(study)]
    assert verdicts[0] == "Replanning at every step pays"
    # Every step against every 2 is often too close to call at 10 runs; the
    # chain never has a schedule clearly beat one that replans more often.
    assert verdicts[1] in (
        "The more often it replans, the fewer steps",
        "Replanning more often never costs steps",
    )
    # Without slips the learned model is exact: 14 steps, every episode. Said
    # without a verdict: it holds by construction.
    assert all((s.values[:, 0] == 14).all() for s in study.series)
    assert not any(":" in line for line in lecture.observations(study))


def test_lecture_9_verdicts_follow_their_numbers(lecture_at_defaults, swap):
    lecture, _, study = lecture_at_defaults("09_replanning_vs_open_loop")
    names = [s.name for s in study.series]
    after = lecture.claims(swap(study, names[0], names[-1], field="values"))
    assert after[0].startswith("Replanning at every step costs steps")
    tie = lecture.claims(swap(study, names[0], names[-1], field="values", copy=True))
    assert tie[0].startswith("Replanning at every step makes no clear difference")
    worse = lecture.claims(swap(study, names[2], names[3], field="values"))
    assert worse[1].startswith("Replanning more often does not always save steps")


def test_lecture_1_q_learning_claims(lecture_at_defaults):
    lecture, _, result = lecture_at_defaults("01_q_learning")
    env, agent, returns = result
    verdicts = [line.split(":")[0] for line in lecture.claims(result)]
    assert verdicts == ["Q-learning learns the shortest path"]
    # What cannot come out otherwise is said without a verdict.
    observations = lecture.observations(result)
    assert not any(":" in line for line in observations)
    assert agent.n_planning_updates == 0  # model-free: no planning at all
    # The clipped episodes are counted, not hidden.
    clipped = int((returns < lecture.FLOOR).sum())
    assert f"{clipped} of {returns.size} returns were below" in observations[1]


def test_lecture_1_verdict_follows_its_numbers(lecture_at_defaults):
    lecture, _, (env, agent, returns) = lecture_at_defaults("01_q_learning")
    untrained = copy.deepcopy(agent)
    untrained.q[:] = 0.0  # every action tied: no greedy path leaves the start
    (line,) = lecture.claims((env, untrained, returns))
    assert line.startswith("Q-learning misses the shortest path: its greedy policy")
    assert "never reaches the goal" in line


def test_lecture_5_random_shooting_claims(lecture_at_defaults):
    lecture, _, result = lecture_at_defaults("05_random_shooting_mpc")
    verdicts = [line.split(":")[0] for line in lecture.claims(result)]
    assert verdicts == [
        "With the true model MPC walks the shortest path",
        "With a learned model MPC catches up",
        "Exploring at random costs real steps",
        "Random shooting adds nothing over greedy on the values",
        "Dyna-Q needs about as many real steps as MPC with the same exploration "
        "(epsilon = 0.1), backup (alpha = 1), optimism (Q0 = 1) and compute",
    ]
    curves, _ = result
    assert list(curves) == [
        "MPC, true model",
        lecture.LEARNED,
        *lecture.CONTROLS,
    ]


def test_lecture_5_verdicts_follow_their_numbers(lecture_at_defaults):
    lecture, _, (curves, budget) = lecture_at_defaults("05_random_shooting_mpc")
    before = lecture.claims((curves, budget))

    def swapped(a, b, copy=False):
        new = dict(curves)
        new[a], new[b] = curves[b], curves[b if copy else a]
        return lecture.claims((new, budget))

    learned, (exploring, greedy, dyna) = lecture.LEARNED, lecture.CONTROLS
    assert swapped(exploring, learned)[2].startswith("Exploring at random saves")
    assert swapped(exploring, learned, copy=True)[2].startswith(
        "Exploring at random makes no clear difference"
    )
    assert swapped(greedy, exploring, copy=True)[3].startswith(
        "The rollouts save real steps"
    )
    assert swapped(dyna, "MPC, true model", copy=True)[4].startswith(
        "Dyna-Q needs fewer real steps"
    )
    assert before[4] != swapped(dyna, "MPC, true model", copy=True)[4]


def test_lecture_10_rollout_drift_claims(lecture_at_defaults):
    lecture, config, study = lecture_at_defaults("10_rollouts_and_drift")
    assert len(study.series) == 8 and study.panel_labels[0] == study.y_label
    assert all(s.values.shape == (config.n_runs, 6) for s in study.series)
    verdicts = [line.split(":")[0] for line in lecture.claims(study)]
    assert verdicts[:2] == [
        "A wrong model's rollouts drift",
        "Long rollouts in a wrong model learn less",
    ]
    # Drift's own cost, a difference in differences, is about 0.5 goals at
    # 40 runs per maze: mostly too close to call; never the other way round.
    assert verdicts[2] != "Length costs long rollouts more where the model is exact"
    assert verdicts[3] != "With a model of the slips, long rollouts learn more"
    assert not any(":" in line for line in lecture.observations(study))


def test_lecture_10_verdicts_follow_their_numbers(lecture_at_defaults, swap):
    lecture, _, study = lecture_at_defaults("10_rollouts_and_drift")
    exact, slippery = studies.DRIFT_MAZES
    last, counted = studies.DRIFT_MODELS
    wrong, right = f"{slippery}, {last}", f"{exact}, {last}"
    values = {s.name: s.values for s in study.series}

    def given(**new):
        series = [
            dataclasses.replace(s, values=new[s.name]) if s.name in new else s
            for s in study.series
        ]
        return lecture.claims(dataclasses.replace(study, series=series))

    # The wrong model's error as the exact model's (0 at every k): no drift.
    error = f"{wrong}, k-step error"
    no_drift = swap(study, error, f"{right}, k-step error", field="values")
    assert lecture.claims(no_drift)[0].startswith(
        "A wrong model's rollouts do not clearly drift"
    )
    # The rollout lengths reversed: long ones learn what short ones did.
    reversed_k = given(**{wrong: values[wrong][:, ::-1]})
    assert reversed_k[1].startswith("Long rollouts in a wrong model learn more")
    # Where the model is exact, long rollouts now gain: drift is the cost.
    assert given(**{right: values[right][:, ::-1]})[2].startswith("Drift costs")
    assert given(**{right: values[wrong]})[2].startswith("What drift costs cannot")
    slips = f"{slippery}, {counted}"
    assert given(**{slips: values[wrong][:, ::-1]})[3].startswith(
        "With a model of the slips, long rollouts learn more"
    )
