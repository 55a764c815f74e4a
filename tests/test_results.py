"""The results package: its names, the one switch on a study's kind, Figure
8.3's count, and the reports made from a study."""

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import results
from tabular_mbrl.results import (
    KINDS,
    Series,
    Study,
    by_kind,
    greedy_directions,
    summary_table,
    write_csv,
)

#: What ``tabular_mbrl/results.py`` exported before it became a package.
FORMER_NAMES = [
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "CONVERGENCE_FACTOR",
    "FINAL_EPISODES",
    "Convergence",
    "EpisodeResults",
    "Series",
    "StepResults",
    "Study",
    "confidence_interval",
    "median_interval",
    "policy_convergence",
    "steps_to_convergence",
]


def test_every_name_is_importable_from_the_package():
    assert set(FORMER_NAMES) <= set(results.__all__)
    assert {"CSV_COLUMNS", "write_csv", "summary_table"} <= set(results.__all__)
    assert all(hasattr(results, name) for name in results.__all__)


def line(name: str = "a") -> Series:
    return Series(name, np.arange(3), np.arange(6.0).reshape(2, 3))


def test_a_study_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match=r"kind == 'pie', must be one of \('line'"):
        Study("s", "t", "x", "y", [line()], kind="pie")
    assert KINDS == ("line", "bar", "policy", "panels")


def test_by_kind_calls_the_handler_of_the_study_kind():
    handlers = {kind: (lambda study, kind=kind: (kind, study.name)) for kind in KINDS}
    for kind in KINDS:
        study = Study("s", "t", "x", "y", [line()], kind=kind)
        assert by_kind(study, **handlers) == (kind, "s")


def test_by_kind_wants_a_handler_for_every_kind_and_no_other():
    study = Study("s", "t", "x", "y", [line()])
    some = {kind: print for kind in KINDS if kind != "panels"}
    with pytest.raises(TypeError, match=r"no handler for 'panels'"):
        by_kind(study, **some)  # even when the study is not "panels"
    with pytest.raises(TypeError, match=r"'pie' is no kind"):
        by_kind(study, **some, panels=print, pie=print)


def policy_study() -> tuple[Study, np.ndarray]:
    env = gridworlds.make("dyna_maze")
    _, q = tm.value_iteration(env.model(), gamma=0.95)
    flat = np.stack([q.ravel(), np.zeros(q.size)])  # run 0 decided, run 1 not
    series = Series("VI", np.arange(q.size), flat)
    study = Study(
        "p", "policies", "pair", "Q", [series], kind="policy", maze="dyna_maze"
    )
    return study, q


def test_greedy_directions_counts_the_first_run_on_the_maze():
    study, q = policy_study()
    env = gridworlds.make("dyna_maze")
    expected = int(tm.decided_states(q, env).sum())
    assert expected == 46  # every free cell has a direction under the optimal Q
    assert greedy_directions(study.series[0], study.maze) == expected
    assert greedy_directions(study.series[0], env) == expected
    with pytest.raises(ValueError, match="maze is None"):
        greedy_directions(study.series[0], None)


def test_summary_table_of_a_policy_study_shows_the_count():
    study, _ = policy_study()
    assert summary_table(study).splitlines() == [
        "policies",
        "series  states with a greedy direction",
        "VI                                  46",
    ]


def test_summary_table_of_a_line_study_and_its_csv(tmp_path):
    study = Study("s", "title", "x", "value", [line("a"), line("b")])
    # Three points: categories, each its own column; the values are counts
    # (whole numbers), so their means print with one decimal below 100.
    assert summary_table(study).splitlines() == [
        "title",
        "series  x = 0  x = 1  x = 2",
        "a         1.5    2.5    3.5",
        "b         1.5    2.5    3.5",
    ]
    # Many points: the last one; non-counts with two decimals.
    long = Series("c", np.arange(7), np.arange(14.0).reshape(2, 7) + 0.25)
    assert summary_table(Study("s", "title", "x", "value", [long])).splitlines() == [
        "title",
        "series  final value",
        "c              9.75",
    ]
    rows = write_csv(study, tmp_path / "s.csv")
    text = (tmp_path / "s.csv").read_text().splitlines()
    assert rows == 6 and len(text) == 7
    assert text[0] == ",".join(results.CSV_COLUMNS)
    assert text[1].startswith("a,0,1.5,")


def test_results_of_some_runs_keep_every_field_of_those_runs():
    steps = np.arange(12).reshape(4, 3)
    results = tm.EpisodeResults(steps, steps * 1.0, steps * 2, steps + 0.5)
    two = results.runs(slice(1, 3))
    assert two.steps.tolist() == [[3, 4, 5], [6, 7, 8]]
    assert two.planning_updates.tolist() == [[6, 8, 10], [12, 14, 16]]
    assert two.policy_steps.tolist() == [[3.5, 4.5, 5.5], [6.5, 7.5, 8.5]]
    stepped = tm.StepResults(steps * 1.0, steps, np.array([5, -1, 5, 5]))
    assert stepped.runs(slice(1, 2)).change_steps.tolist() == [-1]


@pytest.mark.parametrize("shape", [(20, 3000), (5, 601), (3, 7, 300), (30, 1)])
def test_the_band_made_by_blocks_of_distinct_points_is_the_whole_band(
    shape, monkeypatch
):
    """Each point's band is its own: made a block of points at a time, once
    per distinct column of runs, it is the band of all points in one product:
    bit for bit on whole numbers (steps, rewards: sums are exact), to the last
    bits on others (the matrix product may add in another order)."""
    from tabular_mbrl.results import statistics

    rng = np.random.default_rng(3)
    steps = np.cumsum(rng.random(shape) < 0.05, axis=1) + rng.integers(0, 9, shape)
    fractions = rng.random(shape) * 40
    for values, exact in ((steps.astype(float), True), (fractions, False)):
        blocks = results.confidence_interval(values)
        monkeypatch.setattr(statistics, "BAND_BLOCK", values.size)
        monkeypatch.setattr(statistics, "_distinct_columns", _every_column)
        whole = results.confidence_interval(values)
        monkeypatch.undo()
        for a, b in zip(blocks, whole, strict=True):
            assert a.shape == shape[1:]
            if exact:
                assert np.array_equal(a, b)
            else:
                np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)


def _every_column(flat):
    """Every column where it is: no two points share a band."""
    return flat, np.arange(flat.shape[1])
