"""Lecture 08's printed claims, computed from its runs, at its default
Config: the verdict of every sentence is the one the lecture teaches, and each
changes its words when the numbers that decide it are swapped."""

import pytest

from tabular_mbrl import studies


@pytest.mark.slow
def test_lecture_8_model_error_claims(lecture_at_defaults):
    lecture, _, study = lecture_at_defaults("08_model_errors")
    verdicts = [line.split(":")[0] for line in lecture.claims(study)]
    assert verdicts == [
        "Counting outcomes predicts better than keeping the last",
        "Estimation error shrinks with data",
    ]
    # What holds for any deterministic model is said without a verdict.
    assert not any(":" in line for line in lecture.observations(study))


@pytest.mark.slow
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
