"""Lecture 01's printed claims, computed from its runs, at its default
Config: the verdict of every sentence is the one the lecture teaches, and each
changes its words when the numbers that decide it are swapped."""

import copy

import pytest


@pytest.mark.slow
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


@pytest.mark.slow
def test_lecture_1_verdict_follows_its_numbers(lecture_at_defaults):
    lecture, _, (env, agent, returns) = lecture_at_defaults("01_q_learning")
    untrained = copy.deepcopy(agent)
    untrained.q[:] = 0.0  # every action tied: no greedy path leaves the start
    (line,) = lecture.claims((env, untrained, returns))
    assert line.startswith("Q-learning misses the shortest path: its greedy policy")
    assert "never reaches the goal" in line
