"""Lecture 07's printed claims, computed from its runs, at its default
Config: the verdict of every sentence is the one the lecture teaches, and each
changes its words when the numbers that decide it are swapped."""

import pytest

from tabular_mbrl import studies


@pytest.mark.slow
def test_lecture_7_mpc_ablation_claims(lecture_at_defaults, expect_verdicts):
    lecture, config, study = lecture_at_defaults("07_model_free_vs_model_based")
    assert [s.name for s in study.series] == list(studies.ABLATION)
    assert all(s.convergence.n_runs == config.n_runs for s in study.series)
    # At seeds 1000-1009 planning at decision time saves real steps at 5 of
    # 10, no clear difference at 5: either, never more real steps.
    expect_verdicts(
        lecture.claims(study),
        [
            "MPC needs fewer real steps than Dyna-Q n=50 at the book's settings",
            "The exact backup with optimism saves real steps",
            "Compute saves real steps",
            ("Planning at decision time saves", "Planning at decision time makes "
             "no clear"),
            "Acting greedily saves real steps",
            ("MPC's lead over Dyna-Q n=50 is due to",),
            "Random shooting adds nothing over greedy on the values",
            "Optimism at alpha = 0.1 makes no clear difference in real steps",
            "Optimism saves MPC real steps",
            "Terminal values matter",
        ],
    )  # fmt: skip
    lead = lecture.claims(study)[5]
    assert "compute" in lead.split(";")[0] and "acting greedily" in lead.split(";")[0]
    by = {s.name: s for s in study.series}
    # The standard MPC converges in every run and then walks the shortest path.
    assert by["MPC"].convergence.n_converged == config.n_runs
    assert by["MPC"].final_episodes <= 15.0
    # The compute match: Dyna-Q's backups per real step are MPC's, rounded.
    assert by[studies.DYNA_MATCHED].model_work_per_step == round(
        by["MPC"].model_work_per_step
    )


@pytest.mark.slow
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
    # Greedy on values as slow as Dyna-Q n=50: MPC's rollouts save real steps.
    slow = swap(study, "greedy on values (h=1)", "Dyna-Q n=50", copy=True)
    assert lecture.claims(slow)[6].startswith("The rollouts save real steps")
    tied = lecture.claims(swap(study, "MPC", "Dyna-Q n=50", copy=True))
    assert tied[0].startswith("MPC needs about as many real steps")
