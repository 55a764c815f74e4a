"""The grader, proven on the shipped exercises: reference solutions score full
marks, skeletons score 0, and each seeded bug scores a pinned partial total.

Every grading run is a child pytest process (about a second), so the
scenarios are graded once, two at a time, in a module-scoped fixture.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tabular_mbrl.__main__ import main
from tabular_mbrl.course import _isolation, _runner
from tabular_mbrl.course.authoring import check_points
from tabular_mbrl.course.grading import (
    MAX_TEST_FILE_BYTES,
    GradeReport,
    GradingError,
    grade,
    points,
)

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "lectures" / "exercises"
SOLUTIONS = Path(__file__).resolve().parent / "grading"
# Solutions that draw their random numbers in another order than the reference.
ALTERNATIVE = SOLUTIONS / "alternative"
ALTERNATIVES = {path.stem for path in ALTERNATIVE.glob("ex*.py")}
MAX_SCORE = 80.0


def _no_separation() -> str | None:
    """Why the grader cannot run the submissions as another user here (it
    must run as root, and that user must be able to run this Python), or None
    if it can."""
    if os.geteuid() != 0:
        return "the tests do not run as root"
    user = _isolation.resolve_user(_isolation.DEFAULT_USER)
    try:
        _isolation.check_python(user, sys.executable)
    except PermissionError as error:
        return str(error)
    return None


NO_SEPARATION = _no_separation()
AS_ROOT = os.geteuid() == 0
#: The user the grading tests run the submissions as: the grader's default
#: (nobody when the tests run as root; the tests' own user otherwise); as root
#: with a Python that nobody can run (a pyenv under /root), root itself, so
#: that everything but the separation is still tested.
GRADE_USER = "root" if AS_ROOT and NO_SEPARATION else None
#: Whether the submissions run as root (the tests run as root, without a
#: separate user): they can then read what only root can.
SUBMISSIONS_AS_ROOT = GRADE_USER == "root"
needs_separation = pytest.mark.skipif(
    NO_SEPARATION is not None,
    reason=f"the worker cannot run as another user: {NO_SEPARATION}",
)
needs_root = pytest.mark.skipif(not AS_ROOT, reason="the attack needs root to work")


@pytest.fixture(autouse=True)
def _grade_user(monkeypatch):
    """The command line grades as :data:`GRADE_USER` too."""
    if GRADE_USER is not None:
        monkeypatch.setenv(_isolation.USER_ENV, GRADE_USER)


@pytest.fixture(name="drop")
def drop_box():
    """A folder anyone may write to, outside the tests' own temporary folders
    (closed to other users): where an attack leaves word of what it did."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="tabular-mbrl-drop-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# bug folder -> (the exercise it breaks, that exercise's score out of 10, why).
# Points follow how much a bug breaks: a wrong value or decision in ordinary
# use costs 2-3 points, a wrong type, the wrong generator or an edge case 1.
BUGS = {
    "argmax_ties": ("ex01_epsilon_greedy", 8.0, "loses the tie test (2)"),
    "tiny_noise_ties": ("ex01_epsilon_greedy", 8.0, "near-ties greedy (2)"),
    "global_rng": ("ex01_epsilon_greedy", 9.0, "loses the given-rng test (1)"),
    "q_row_in_place": ("ex01_epsilon_greedy", 8.0, "rewrites the Q row (2)"),
    "terminal_bootstrap": ("ex02_q_learning_update", 5.0, "loses 3 + both (2)"),
    "truncation_as_terminal": ("ex02_q_learning_update", 9.0, "loses truncated (1)"),
    "sarsa_bootstrap": ("ex02_q_learning_update", 8.0, "loses best-next (2)"),
    "truncated_wins": ("ex02_q_learning_update", 8.0, "loses both flags (2)"),
    "state_then_action": ("ex03_deterministic_model", 8.0, "loses uniform (2)"),
    "sticky_terminated": ("ex03_deterministic_model", 8.0, "stays terminal (2)"),
    "unobserved_pairs": ("ex03_deterministic_model", 5.0, "loses all sampling (5)"),
    "sign_error": ("ex04_dyna_q_planning", 3.0, "keeps only 0 steps, n, rng (3)"),
    "fresh_rng": ("ex04_dyna_q_planning", 9.0, "a fresh default_rng() (1)"),
    "bonus_counts_planning": ("ex05_dyna_q_plus_bonus", 5.0, "loses 3 + 2"),
    "accumulates_after_end": ("ex06_rollout_returns", 5.0, "loses 2 + 3"),
    "wrong_shape": ("ex06_rollout_returns", 8.0, "loses the shape tests (1 + 1)"),
    "nan_at_gamma_zero": ("ex06_rollout_returns", 8.0, "nan at gamma 0 (2)"),
    "returns_a_list": ("ex06_rollout_returns", 9.0, "a list, not an array (1)"),
    "infinite_loop": ("ex07_random_shooting", 9.0, "times out on ties (1)"),
    "hard_crash": ("ex07_random_shooting", 9.0, "dies at horizon 1 (1)"),
    "blocked_timer": ("ex07_random_shooting", 9.0, "spins at horizon 1 (1)"),
    "seeded_inside": ("ex07_random_shooting", 8.0, "default_rng(0) inside (2)"),
    "global_random": ("ex07_random_shooting", 9.0, "np.random, not rng (1)"),
    "ignores_tol": ("ex08_value_iteration", 9.0, "loses the tol test (1)"),
    "mean_change": ("ex08_value_iteration", 9.0, "stops on the mean change (1)"),
    "signed_change": ("ex08_value_iteration", 8.0, "one sweep when values fall (2)"),
    "import_crash": ("ex08_value_iteration", 0.0, "cannot be imported"),
}

#: The bug classes issue 29 found with full marks: each is caught now.
MISSED_BEFORE = {
    "q_row_in_place",
    "sticky_terminated",
    "fresh_rng",
    "nan_at_gamma_zero",
    "returns_a_list",
    "seeded_inside",
    "global_random",
    "mean_change",
    "signed_change",
}


def graded_test_files() -> list[Path]:
    """The exercises' test files, as the handout has them."""
    return sorted(EXERCISES.glob("test_ex*.py"))


def bug_rounds() -> list[list[str]]:
    """The bugs in rounds of at most one per exercise: the exercises are graded
    independently, so one folder shows each bug of a round at once."""
    rounds: list[list[str]] = []
    for bug, (exercise, _, _) in BUGS.items():
        free = [r for r in rounds if exercise not in {BUGS[b][0] for b in r}]
        if free:
            free[0].append(bug)
        else:
            rounds.append([bug])
    return rounds


def make_folder(tmp: Path, *solutions: Path, skeletons: bool = False) -> Path:
    """The handout as ``tabular-mbrl exercises`` copies it out (skeletons, tests,
    conftest), with solution modules copied over it."""
    assert main(["exercises", str(tmp)]) == 0
    if not skeletons:  # without a solution, an exercise must not be graded at all
        for path in tmp.glob("ex[0-9][0-9]_*.py"):
            path.unlink()
    for folder in solutions:
        for path in folder.glob("*.py"):
            shutil.copy(path, tmp)
    return tmp


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, GradeReport]:
    base = tmp_path_factory.mktemp("grading")
    reference = SOLUTIONS / "reference"
    folders = {
        "reference": make_folder(base / "reference", reference),
        "skeletons": make_folder(base / "skeletons", skeletons=True),
        "hidden": make_folder(
            base / "hidden", reference, SOLUTIONS / "buggy" / "argmax_ties"
        ),
    }
    alternative = [ALTERNATIVE]  # rides along in the first round it does not touch
    for number, bugs in enumerate(bug_rounds()):
        buggy = [SOLUTIONS / "buggy" / bug for bug in bugs]
        free = alternative and not {BUGS[bug][0] for bug in bugs} & ALTERNATIVES
        extra = alternative if free else []
        folder = make_folder(base / f"round{number}", reference, *extra, *buggy)
        folders.update(dict.fromkeys(bugs, folder))
        if free:
            folders["alternative"], alternative = folder, []
    if alternative:
        folders["alternative"] = make_folder(base / "alt", reference, ALTERNATIVE)
    names = list(dict.fromkeys(folders.values()))  # each folder graded once

    def run(folder: Path) -> GradeReport:
        hidden = SOLUTIONS / "hidden" if folder == folders["hidden"] else None
        return grade(folder, hidden=hidden, timeout=2.0, user=GRADE_USER)

    with ThreadPoolExecutor(max_workers=2) as pool:
        graded = dict(zip(names, pool.map(run, names), strict=True))
    return {name: graded[folder] for name, folder in folders.items()}


@pytest.mark.slow
def test_reference_solutions_score_full_marks(reports):
    report = reports["reference"]
    assert report.score == report.max_score == MAX_SCORE
    assert len(report.by_exercise()) == 8
    assert all(test.output == "" for test in report.tests)


@pytest.mark.slow
def test_solutions_drawing_random_numbers_in_another_order_score_full_marks(reports):
    table = reports["alternative"].by_exercise()
    assert {name: table[name][:2] for name in ALTERNATIVES} == dict.fromkeys(
        ALTERNATIVES, (10.0, 10.0)
    )


@pytest.mark.slow
def test_the_shipped_skeletons_score_exactly_zero(reports):
    report = reports["skeletons"]
    assert report.score == 0.0 and report.max_score == MAX_SCORE
    for exercise, (_, _, note) in report.by_exercise().items():
        number = int(exercise[2:4])
        assert note.startswith(f"NotImplementedError: exercise {number}:"), note


@pytest.mark.slow
@pytest.mark.parametrize("bug", list(BUGS))
def test_a_buggy_solution_scores_its_pinned_partial_total(reports, bug):
    broken, expected, _ = BUGS[bug]
    table = reports[bug].by_exercise()
    assert table[broken][:2] == (expected, 10.0)
    # The round's other bugs break other exercises; the rest keep full marks.
    round_ = next(r for r in bug_rounds() if bug in r)
    losses = {BUGS[b][0]: 10.0 - BUGS[b][1] for b in round_}
    others = {name: row[0] for name, row in table.items() if name not in losses}
    assert others == dict.fromkeys(others, 10.0), "other exercises keep full marks"
    assert reports[bug].score == MAX_SCORE - sum(losses.values())


@pytest.mark.slow
def test_the_bug_classes_once_missed_lose_points_and_say_why(reports):
    """Issue 29: nine classes of real bugs got full marks. Each now fails a
    test that every correct solution (reference and alternative) passes."""
    for bug in sorted(MISSED_BEFORE):
        exercise, expected, _ = BUGS[bug]
        assert reports[bug].by_exercise()[exercise][0] == expected < 10.0, bug
    out = {
        (bug, t.name): t.output
        for bug in ("signed_change", "nan_at_gamma_zero", "sticky_terminated")
        for t in reports[bug].tests
        if not t.passed and t.exercise == BUGS[bug][0]
    }
    assert out == {
        ("signed_change", "test_negative_rewards"): (
            "AssertionError: Not equal to tolerance rtol=1e-07, atol=1e-06 (a chain "
            "of 5 steps paying -1): got [-1., -1., -1., -1., -1.], expected "
            "[-4.0951, -3.439 , -2.71 , -1.9 , -1. ] "
            "(test_ex08_value_iteration.py:94)"
        ),
        ("nan_at_gamma_zero", "test_gamma_zero_counts_the_first_reward_only"): (
            "AssertionError: Not equal to tolerance rtol=1e-07, atol=0 (with gamma "
            "0 only the first reward counts; nan location mismatch): got [nan, "
            "nan, nan], expected [1., 2., 2.] (test_ex06_rollout_returns.py:66)"
        ),
        ("sticky_terminated", "test_sample_keeps_the_latest_outcome"): (
            "AssertionError: sample gave (0.5, 4, True) after a terminal outcome, "
            "then (0.5, 4, False): the latest outcome replaces all of the earlier "
            "one, terminated too (test_ex03_deterministic_model.py:39)"
        ),
    }


@pytest.mark.slow
def test_an_array_comparison_that_fails_shows_what_came_back(reports):
    # Before: "Not equal to tolerance rtol=1e-07, atol=0", without the numbers.
    out = {t.name: t.output for t in reports["accumulates_after_end"].tests}
    assert out["test_nothing_after_termination"] == (
        "AssertionError: Not equal to tolerance rtol=1e-07, atol=0 (after a "
        "terminal step a sequence earns nothing): got [7.125, 7.125], expected "
        "[4.5, 4.5] (test_ex06_rollout_returns.py:57)"
    )


@pytest.mark.slow
def test_an_import_crash_is_reported_in_one_line(reports):
    note = reports["import_crash"].by_exercise()["ex08_value_iteration"][2]
    assert note == (
        "ex08_value_iteration.py failed to import: ZeroDivisionError: "
        "integer division or modulo by zero (line 5)"
    )


@pytest.mark.slow
def test_a_hanging_test_times_out_and_the_rest_are_graded(reports):
    report = reports["infinite_loop"]
    failed = [t for t in report.tests if not t.passed and t.exercise.startswith("ex07")]
    assert [t.name for t in failed] == ["test_equal_scores_still_give_an_action"]
    assert failed[0].output.startswith("GradingTimeout: timed out after 2 s")


@pytest.mark.slow
def test_a_submission_that_kills_its_process_fails_only_that_test(reports):
    report = reports["hard_crash"]
    failed = [t for t in report.tests if not t.passed and t.exercise.startswith("ex07")]
    assert [(t.name, t.output) for t in failed] == [
        (
            "test_horizon_one",
            "SubmissionCrashed: the submission's process died (exit status 3) "
            "(test_ex07_random_shooting.py:28)",
        )
    ]
    # The tests after the crash ran, in a new submission process.
    assert all(t.output != "not run" for t in report.tests)
    assert report.score == MAX_SCORE - sum(
        10.0 - BUGS[bug][1]
        for bug in next(r for r in bug_rounds() if "hard_crash" in r)
    )


@pytest.mark.slow
def test_a_submission_that_blocks_the_timer_still_times_out(reports):
    # The timer runs in the test process; the submission blocks the signal in
    # its own process, which changes nothing.
    report = reports["blocked_timer"]
    failed = [t for t in report.tests if not t.passed and t.exercise.startswith("ex07")]
    assert [(t.name, t.output) for t in failed] == [
        (
            "test_horizon_one",
            "GradingTimeout: timed out after 2 s (test_ex07_random_shooting.py:28)",
        )
    ]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX only")
def test_a_test_stuck_past_the_timer_is_killed_and_grading_goes_on(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(_runner, "_GRACE_SECONDS", 1.0)
    (tmp_path / "test_a_stuck.py").write_text(
        "import signal\n\n\ndef test_blocks_the_timer():\n"
        "    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
        "    while True:\n        pass\n\n\ndef test_next():\n    pass\n"
    )
    report = grade(tmp_path, timeout=1.0)
    out = {t.name: t.output for t in report.tests}
    # Where the block holds, the grader stops the test process; where another
    # thread still takes the signal (Python 3.13 here), the timer itself fires.
    # (The timer's signal lands on the loop's line or its body's: 6 or 7.)
    assert out["test_blocks_the_timer"] in (
        "timed out after 1 s (the test process was stopped)",
        "GradingTimeout: timed out after 1 s (test_a_stuck.py:6)",
        "GradingTimeout: timed out after 1 s (test_a_stuck.py:7)",
    )
    assert out["test_next"] == "" and report.score == 1.0


@pytest.mark.slow
def test_hidden_tests_count_and_are_hidden_in_the_gradescope_report(reports):
    report = reports["hidden"]
    assert report.max_score == MAX_SCORE + 2
    hidden = [t for t in report.tests if t.visibility == "after_published"]
    assert [(t.exercise, t.name, t.score) for t in hidden] == [
        ("ex01_epsilon_greedy", "test_many_actions_and_negative_values", 0.0)
    ]
    assert report.by_exercise()["ex01_epsilon_greedy"][:2] == (8.0, 12.0)


@pytest.mark.slow
def test_the_gradescope_json_has_the_required_fields(reports, tmp_path):
    path = tmp_path / "results.json"
    reports["hidden"].write_json(path)
    data = json.loads(path.read_text())
    assert data["score"] == 78.0
    assert len(data["tests"]) == 50  # 49 visible, 1 hidden
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["visibility"] in {"visible", "after_published"}
    assert data["score"] == sum(test["score"] for test in data["tests"])


def test_a_missing_module_scores_zero_with_a_reason(tmp_path):
    folder = tmp_path / "only-tests"
    folder.mkdir()
    shutil.copy(EXERCISES / "test_ex05_dyna_q_plus_bonus.py", folder)
    report = grade(folder)
    assert report.score == 0 and report.max_score == 10
    note = report.by_exercise()["ex05_dyna_q_plus_bonus"][2]
    assert note == f"ex05_dyna_q_plus_bonus.py not found in {folder}"


# -- what the grader refuses before any test runs ----------------------------------
ONE_TEST = "def test_ok():\n    pass\n"

# how a value is written in a test file -> (the value, why it is refused)
INVALID_POINTS = {
    "-3": (-3, r"points == -3, must be in \(0, 1000\]"),
    "0": (0, r"points == 0, must be in \(0, 1000\]"),
    "1e308": (1e308, r"points == 1e\+308, must be in \(0, 1000\]"),
    "float('nan')": (
        float("nan"),
        r"points == nan, must be finite and in \(0, 1000\]",
    ),
    "'3'": ("3", r"points must be a real number, got str '3'"),
    "True": (True, r"points must be a real number, got bool True"),
}


@pytest.mark.parametrize("written", list(INVALID_POINTS))
def test_points_must_be_a_finite_number_above_zero(written):
    value, message = INVALID_POINTS[written]
    with pytest.raises((TypeError, ValueError), match=f"^{message}$"):
        points(value)  # refused before the mark is made
    assert check_points(2.5) == 2.5 and check_points(3) == 3.0


@pytest.mark.parametrize(
    "value, form",
    # Each case grades in a child process: one in the fast tier, the rest in the
    # full one (the values themselves are checked fast, above).
    [("-3", "mark")]
    + [
        pytest.param(v, "mark", marks=pytest.mark.slow)
        for v in list(INVALID_POINTS)[1:]
    ]
    + [pytest.param(v, "points", marks=pytest.mark.slow) for v in ("-3", "True")],
)
def test_a_test_worth_invalid_points_stops_grading_naming_it(tmp_path, value, form):
    # Before: a valid test beside it was "not run", 0 of 1 points, exit 0, no
    # reason (and nan points made the total nan).
    (tmp_path / "test_a.py").write_text(ONE_TEST)
    decorator = "pytest.mark.points" if form == "mark" else "points"
    (tmp_path / "test_bad.py").write_text(
        "import pytest\n\nfrom tabular_mbrl.course import points\n\n\n"
        f"@{decorator}({value})\ndef test_x():\n    pass\n"
    )
    message = f"^test_bad.py::test_x: {INVALID_POINTS[value][1]}$"
    with pytest.raises(GradingError, match=message):
        grade(tmp_path)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()
    (path / "test_inner.py").write_text(ONE_TEST)


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


def _dangling(path: Path) -> None:
    path.symlink_to("nowhere.py")


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")  # reading it would never end


def _huge(path: Path) -> None:
    with path.open("wb") as file:  # sparse: no disk used
        file.truncate(MAX_TEST_FILE_BYTES + 1)


RULE = "not a regular file: the grader reads only regular files as tests"
# name -> (how it is made, the line the grader refuses it with)
NOT_TEST_FILES = {
    "fifo": (_fifo, "test_x.py in {} is a named pipe, " + RULE),
    "folder": (_folder, "test_x.py in {} is a folder, " + RULE),
    "symlink loop": (
        _loop,
        "test_x.py in {} is a symlink loop: the grader reads only regular files "
        "as tests",
    ),
    "dangling symlink": (
        _dangling,
        "test_x.py in {} is a symlink to nothing (nowhere.py): the grader reads "
        "only regular files as tests",
    ),
    "device": (_device, "test_x.py in {} is a symlink to a character device, " + RULE),
    "huge": (
        _huge,
        "test_x.py in {} holds more than 4,194,304 bytes, the most a test file "
        "may hold",
    ),
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX file types")
@pytest.mark.timeout(60)  # a grader that opens the pipe waits for ever
@pytest.mark.parametrize("name", ["test_x.py", "conftest.py"])
@pytest.mark.parametrize("kind", list(NOT_TEST_FILES))
def test_the_grader_refuses_what_is_not_a_regular_test_file(
    tmp_path, capsys, kind, name
):
    (tmp_path / "test_a.py").write_text(ONE_TEST)
    make, message = NOT_TEST_FILES[kind]
    make(tmp_path / name)
    message = message.format(tmp_path).replace("test_x.py", name)
    with pytest.raises(GradingError, match=f"^{re.escape(message)}$"):
        grade(tmp_path)
    assert main(["grade", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"tabular-mbrl: error: {message}\n"


@pytest.mark.slow
def test_a_test_file_linked_from_elsewhere_is_graded_and_stays_a_link(tmp_path):
    # Links are followed, as before: the course's tests may be linked into a
    # grading folder (who can place a link there can place a test file).
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "test_shared.py").write_text(ONE_TEST)
    folder = tmp_path / "grading"
    folder.mkdir()
    (folder / "test_shared.py").symlink_to(tmp_path / "course" / "test_shared.py")
    report = grade(folder)
    assert report.score == report.max_score == 1.0
    assert (folder / "test_shared.py").is_symlink()


# -- an exercise's maximum does not depend on its test files' fate ------------------
@pytest.mark.slow
def test_a_test_file_that_cannot_be_collected_keeps_its_exercises_maximum(tmp_path):
    # Before: "0 of 70", the broken exercise dropped from the maximum.
    folder = make_folder(tmp_path / "s", SOLUTIONS / "reference")
    broken = folder / "test_ex03_deterministic_model.py"
    broken.write_text("import no_such_module\n" + broken.read_text())
    skipped = folder / "test_ex05_dyna_q_plus_bonus.py"
    skipped.write_text(
        "import pytest\n\npytest.skip('later', allow_module_level=True)\n"
        + skipped.read_text()
    )
    hidden = tmp_path / "hidden"
    hidden.mkdir()  # a hidden file of the same name as a visible one, broken too
    (hidden / "test_ex01_epsilon_greedy.py").write_text(
        "import no_such_module\nimport pytest\n\n\nclass TestMore:\n"
        "    @pytest.mark.parametrize('n', [1, 2, 3])\n"
        "    @pytest.mark.points(2)\n    def test_n(self, n):\n        pass\n"
    )
    report = grade(folder, hidden=hidden, timeout=5.0)
    table = report.by_exercise()
    missing = "ModuleNotFoundError: No module named 'no_such_module'"
    assert table["ex03_deterministic_model"] == (
        0.0,
        10.0,
        f"could not collect test_ex03_deterministic_model.py: {missing}",
    )
    assert table["ex05_dyna_q_plus_bonus"] == (
        0.0,
        10.0,
        "could not collect test_ex05_dyna_q_plus_bonus.py: skipped: later",
    )
    assert table["ex01_epsilon_greedy"] == (10.0, 16.0, "1 of 8 tests failed")
    lost = [t for t in report.tests if t.name == "TestMore::test_n"]
    assert [(t.max_score, t.visibility) for t in lost] == [(6.0, "after_published")]
    assert report.max_score == MAX_SCORE + 6 and report.score == MAX_SCORE - 20


@pytest.mark.slow
def test_an_unparsable_test_file_stops_grading(tmp_path):
    (tmp_path / "test_a.py").write_text(ONE_TEST)
    (tmp_path / "test_b.py").write_text("def test_(:\n")
    with pytest.raises(
        GradingError,
        match=r"^could not collect test_b.py: SyntaxError: .* \(and its source does "
        r"not show its tests and their points, so they cannot be counted as lost\)$",
    ):
        grade(tmp_path)


@pytest.mark.parametrize(
    "source, declared",
    [
        ("def test_a():\n    pass\n", {"test_a": 1.0}),
        (
            "import pytest\nfrom tabular_mbrl.course import points\n\n"
            "pytestmark = pytest.mark.points(2)\n\n"
            "@points(3)\ndef test_a():\n    pass\n\n"
            "def test_b():\n    pass\n\n"
            "def helper():\n    pass\n\n"
            "class TestC:\n    @pytest.mark.parametrize('x', [(1, 2), (3, 4)])\n"
            "    def test_d(self, x):\n        pass\n\n"
            "class Helper:\n    def test_e(self):\n        pass\n\n"
            "class TestInit:\n    def __init__(self):\n        pass\n"
            "    def test_f(self):\n        pass\n",
            {"test_a": 3.0, "test_b": 2.0, "TestC::test_d": 4.0},
        ),
        ("def test_(:\n", None),  # does not parse
        ("import pytest\n@pytest.mark.points(N)\ndef test_a():\n    pass\n", None),
        (
            "import pytest\n@pytest.mark.parametrize('x', X)\ndef test_a(x): pass\n",
            None,
        ),
        ("def pytest_generate_tests(metafunc):\n    pass\n", None),
        ("from helpers import *\n", None),
        ("test_a = lambda: None\n", None),
        ("if True:\n    def test_a():\n        pass\n", None),
        ("class TestB(Base):\n    pass\n", None),
    ],
)
def test_the_points_a_test_file_declares_are_read_from_its_source(source, declared):
    assert _runner._declared(Path("test_x.py"), source.encode(), None) == declared


@pytest.mark.slow
def test_the_handouts_declared_points_are_the_points_it_grades(reports):
    graded = {(t.exercise, t.name): t.max_score for t in reports["reference"].tests}
    declared = {
        (path.stem.removeprefix("test_"), name): worth
        for path in sorted(graded_test_files())
        for name, worth in _runner._declared(path, path.read_bytes(), None).items()
    }
    assert declared == graded and sum(declared.values()) == MAX_SCORE


def test_a_declared_test_worth_invalid_points_stops_grading():
    source = b"import pytest\n\n@pytest.mark.points(-3)\ndef test_a():\n    pass\n"
    with pytest.raises(
        GradingError, match=r"^test_x.py::test_a: points == -3, must be in \(0, 1000\]$"
    ):
        _runner._declared(Path("test_x.py"), source, None)


def test_a_fixture_with_params_in_the_conftest_hides_the_declared_points():
    conftest = (
        b"import pytest\n\n@pytest.fixture(params=[1, 2])\ndef n(request): pass\n"
    )
    assert _runner._declared(Path("test_x.py"), ONE_TEST.encode(), conftest) is None


@pytest.mark.slow
def test_bad_arguments(tmp_path):
    with pytest.raises(GradingError, match="must be an existing folder"):
        grade(tmp_path / "nope")
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(GradingError, match=r"^folder == '.*loop', must be an exis"):
        grade(tmp_path / "loop")  # before: RuntimeError: Symlink loop
    (tmp_path / "loop").unlink()
    with pytest.raises(GradingError, match="no tests found"):
        grade(tmp_path)
    with pytest.raises(ValueError, match=r"timeout == 0, must be > 0"):
        grade(tmp_path, timeout=0)
    with pytest.raises(TypeError, match=r"timeout == '5', must be a number"):
        grade(tmp_path, timeout="5")
    (tmp_path / "test_broken.py").write_text("import no_such_module\n")
    with pytest.raises(
        GradingError,
        match=r"^could not collect test_broken.py: ModuleNotFoundError: "
        r"No module named 'no_such_module'$",
    ):
        grade(tmp_path)


def test_cli_grade_prints_the_table_writes_json_and_exits_0(tmp_path, capsys):
    folder = make_folder(
        tmp_path / "s", SOLUTIONS / "reference", SOLUTIONS / "buggy" / "wrong_shape"
    )
    out = tmp_path / "results.json"
    assert main(["grade", str(folder), "--json", str(out), "--timeout", "5"]) == 0
    printed = capsys.readouterr().out
    assert "ex06_rollout_returns           8     10  2 of 6 tests failed" in printed
    assert "total                         78     80" in printed
    assert json.loads(out.read_text())["score"] == 78.0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["grade", "/no/such/folder"], "must be an existing folder"),
        (["grade", ".", "--timeout", "-1"], "argument --timeout: -1 must be > 0"),
        (["grade", ".", "--json", "/no/such/dir/r.json"], "not a file path"),
    ],
)
def test_cli_grade_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_students_can_run_one_exercise_with_plain_pytest():
    """The handed-out tests run without the grader: the skeleton fails them."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + ["test_ex02_q_learning_update.py"],
        cwd=EXERCISES,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "5 failed" in result.stdout  # the 5 tests of exercise 2
    assert "NotImplementedError: exercise 2" in result.stdout


def test_the_handout_copies_out_and_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "handout"
    assert main(["exercises", str(target)]) == 0
    names = sorted(p.name for p in target.iterdir())
    assert "ex01_epsilon_greedy.py" in names and "test_ex08_value_iteration.py" in names
    assert {"conftest.py", "pytest.ini"} <= set(names)
    assert not any("reference" in n or n.startswith("test_grading") for n in names)
    assert len(names) == 18  # 8 skeletons, 8 test files, conftest, pytest.ini
    (target / "ex01_epsilon_greedy.py").write_text("# my work")
    assert main(["exercises", str(target)]) == 2
    assert "nothing copied (--force overwrites them)" in capsys.readouterr().err
    assert (target / "ex01_epsilon_greedy.py").read_text() == "# my work"
    assert main(["exercises", str(target), "--force"]) == 0
    assert "NotImplementedError" in (target / "ex01_epsilon_greedy.py").read_text()
    assert main(["lectures", str(tmp_path / "lectures")]) == 0
    copied = sorted(p.name for p in (tmp_path / "lectures").glob("[0-9][0-9]_*.py"))
    source = sorted(p.name for p in (ROOT / "lectures").glob("[0-9][0-9]_*.py"))
    assert copied == source and len(copied) > 8


@pytest.mark.slow
def test_feedback_names_the_students_line_and_the_numbers(tmp_path):
    folder = make_folder(tmp_path / "s", SOLUTIONS / "reference")
    (folder / "ex02_q_learning_update.py").write_text(
        "def q_learning_update(q, state, action, reward, next_state, terminated,\n"
        "                      truncated, *, alpha, gamma):\n"
        "    if terminated:\n"
        "        return 1 / 0\n"
        "    q[state, action] += 1.0\n"
        "    return 0.0\n"
    )
    report = grade(folder, timeout=5.0)
    out = {t.name: t.output for t in report.tests if not t.passed}
    assert out["test_terminal_transition_does_not_bootstrap"].startswith(
        "ZeroDivisionError: division by zero (ex02_q_learning_update.py:4, in "
        "test_ex02_q_learning_update.py:"
    )
    # A wrong number: the message shows what was expected and what came back.
    assert (
        "Q(0, 0) == 1.0, expected 1.8"
        in out["test_bootstraps_from_the_best_next_action"]
    )
