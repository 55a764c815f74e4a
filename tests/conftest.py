import dataclasses
import importlib.util
import pathlib

import matplotlib
import pytest

matplotlib.use("Agg")  # tests never need a display

# Solutions and hidden tests that the grading tests hand to the grader; they are
# not tests of this package.
collect_ignore = ["grading"]
if not (pathlib.Path(__file__).parent / "grading" / "reference").is_dir():
    # An sdist carries no solutions (MANIFEST.in prunes them): the tests that
    # grade them need a checkout of the repository.
    collect_ignore += ["test_grading.py", "test_grading_attacks.py"]

LECTURES = pathlib.Path(__file__).parents[1] / "lectures"


@pytest.fixture(scope="session")
def lecture_at_defaults():
    """``run(name) -> (lecture module, its default Config, lecture.run(config))``,
    each lecture run once per test process (on one job: ``jobs`` changes
    where settings run, not what they give). Tests that read the same lecture
    live in one file, so they share a worker (``--dist loadfile``) and its run."""
    made = {}

    def run(name: str):
        if name not in made:
            spec = importlib.util.spec_from_file_location(name, LECTURES / f"{name}.py")
            lecture = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(lecture)
            config = lecture.Config()
            if hasattr(config, "jobs"):
                config = dataclasses.replace(config, jobs=1)
            made[name] = lecture, config, lecture.run(config)
        return made[name]

    return run


@pytest.fixture
def expect_verdicts():
    """``expect_verdicts(lines, expected)``: each printed claim's verdict (the
    words before its colon) is the expected one, or, where a tuple of words is
    expected, begins with one of them: a verdict too close to call at the lecture's runs
    (below 9 of 10 fresh seeds with ``tabular-mbrl claims``) may say either
    "no clear difference" or the direction, never the opposite."""

    def check(lines, expected):
        verdicts = [line.split(":")[0] for line in lines]
        assert len(verdicts) == len(expected), verdicts
        for i, (verdict, want) in enumerate(zip(verdicts, expected, strict=True)):
            if isinstance(want, tuple):  # any of these beginnings
                assert verdict.startswith(want), (i, verdict)
            else:
                assert verdict == want, (i, verdict)

    return check


@pytest.fixture
def swap():
    """``swap(study, a, b, copy=False, field="convergence")``: the study with
    that field of series ``a`` and ``b`` exchanged (or ``b``'s copied onto
    ``a``): a verdict chosen by their numbers must change its words."""

    def swapped(study, a, b, *, copy=False, field="convergence"):
        by = {s.name: s for s in study.series}
        new = {a: getattr(by[b], field), b: getattr(by[b if copy else a], field)}
        series = [
            dataclasses.replace(s, **{field: new[s.name]}) if s.name in new else s
            for s in study.series
        ]
        return dataclasses.replace(study, series=series)

    return swapped


# The slowest test files first (measured): under --dist loadfile a worker takes
# a whole file, and a long file handed out last would leave the other worker
# idle at the end. The rest follow in collection order.
SLOWEST_FIRST = (
    "test_claims_06_goal_change.py",
    "test_example_8_4.py",
    "test_frontier.py",
    "test_claims_12_intermediate_goals.py",
    "test_claims_11_replay_vs_dyna.py",
    "test_claims_07_mpc_ablation.py",
    "test_claims_05_random_shooting_mpc.py",
    "test_claims_10_rollout_drift.py",
    "test_twins.py",
    "test_quick_previews.py",
    "test_batched.py",
    "test_cli.py",
    "test_grading.py",
    "test_grading_attacks.py",
    "test_book_results.py",
    "test_studies.py",
    "test_lectures.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable
