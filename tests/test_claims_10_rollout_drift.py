"""Lecture 10's printed claims, computed from its runs, at its default
Config: the verdict of every sentence is the one the lecture teaches, and each
changes its words when the numbers that decide it are swapped."""

import dataclasses

import pytest

from tabular_mbrl import studies


@pytest.mark.slow
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


@pytest.mark.slow
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
