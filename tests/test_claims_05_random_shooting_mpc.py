"""Lecture 05's printed claims, computed from its runs, at its default
Config: the verdict of every sentence is the one the lecture teaches, and each
changes its words when the numbers that decide it are swapped."""

import pytest


@pytest.mark.slow
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


@pytest.mark.slow
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
