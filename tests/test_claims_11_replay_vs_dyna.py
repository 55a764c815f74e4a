"""Lecture 11's printed claims, computed from its runs, at its default
Config: the verdict of every sentence is the one the lecture teaches, and each
changes its words when the numbers that decide it are swapped."""

import dataclasses

import pytest

from tabular_mbrl import studies


@pytest.mark.slow
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


@pytest.mark.slow
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
