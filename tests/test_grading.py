"""The grader, proven on the shipped exercises: reference solutions score full
marks, skeletons score 0, and each seeded bug scores a pinned partial total.

Every grading run is a child pytest process (about a second), so the
scenarios are graded once, two at a time, in a module-scoped fixture.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tabular_mbrl.__main__ import main
from tabular_mbrl.course import _runner
from tabular_mbrl.course.grading import GradeReport, GradingError, grade

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "lectures" / "exercises"
SOLUTIONS = Path(__file__).resolve().parent / "grading"
# Solutions that draw their random numbers in another order than the reference.
ALTERNATIVE = SOLUTIONS / "alternative"
ALTERNATIVES = {path.stem for path in ALTERNATIVE.glob("ex*.py")}
MAX_SCORE = 80.0

# bug folder -> (the exercise it breaks, that exercise's score out of 10, why)
BUGS = {
    "argmax_ties": ("ex01_epsilon_greedy", 7.0, "loses the tie test (3)"),
    "tiny_noise_ties": ("ex01_epsilon_greedy", 8.0, "near-ties greedy (2)"),
    "global_rng": ("ex01_epsilon_greedy", 8.0, "loses the given-rng test (2)"),
    "terminal_bootstrap": ("ex02_q_learning_update", 5.0, "loses 3 + both (2)"),
    "truncation_as_terminal": ("ex02_q_learning_update", 9.0, "loses truncated (1)"),
    "sarsa_bootstrap": ("ex02_q_learning_update", 8.0, "loses best-next (2)"),
    "truncated_wins": ("ex02_q_learning_update", 8.0, "loses both flags (2)"),
    "state_then_action": ("ex03_deterministic_model", 8.0, "loses uniform (2)"),
    "accumulates_after_end": ("ex06_rollout_returns", 4.0, "loses 3 + 3"),
    "ignores_tol": ("ex08_value_iteration", 9.0, "loses the tol test (1)"),
    "unobserved_pairs": ("ex03_deterministic_model", 5.0, "loses all sampling (5)"),
    "sign_error": ("ex04_dyna_q_planning", 3.0, "keeps only the counting (3)"),
    "bonus_counts_planning": ("ex05_dyna_q_plus_bonus", 5.0, "loses 3 + 2"),
    "wrong_shape": ("ex06_rollout_returns", 7.0, "loses the shape tests (2 + 1)"),
    "infinite_loop": ("ex07_random_shooting", 8.0, "times out on ties (2)"),
    "hard_crash": ("ex07_random_shooting", 9.0, "dies at horizon 1 (1)"),
    "blocked_timer": ("ex07_random_shooting", 9.0, "spins at horizon 1 (1)"),
    "import_crash": ("ex08_value_iteration", 0.0, "cannot be imported"),
}


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
        return grade(folder, hidden=hidden, timeout=2.0)

    with ThreadPoolExecutor(max_workers=2) as pool:
        graded = dict(zip(names, pool.map(run, names), strict=True))
    return {name: graded[folder] for name, folder in folders.items()}


def test_reference_solutions_score_full_marks(reports):
    report = reports["reference"]
    assert report.score == report.max_score == MAX_SCORE
    assert len(report.by_exercise()) == 8
    assert all(test.output == "" for test in report.tests)


def test_solutions_drawing_random_numbers_in_another_order_score_full_marks(reports):
    table = reports["alternative"].by_exercise()
    assert {name: table[name][:2] for name in ALTERNATIVES} == dict.fromkeys(
        ALTERNATIVES, (10.0, 10.0)
    )


def test_the_shipped_skeletons_score_exactly_zero(reports):
    report = reports["skeletons"]
    assert report.score == 0.0 and report.max_score == MAX_SCORE
    for exercise, (_, _, note) in report.by_exercise().items():
        number = int(exercise[2:4])
        assert note.startswith(f"NotImplementedError: exercise {number}:"), note


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


def test_an_import_crash_is_reported_in_one_line(reports):
    note = reports["import_crash"].by_exercise()["ex08_value_iteration"][2]
    assert note == (
        "ex08_value_iteration.py failed to import: ZeroDivisionError: "
        "integer division or modulo by zero (line 5)"
    )


def test_a_hanging_test_times_out_and_the_rest_are_graded(reports):
    report = reports["infinite_loop"]
    failed = [t for t in report.tests if not t.passed and t.exercise.startswith("ex07")]
    assert [t.name for t in failed] == ["test_equal_scores_still_give_an_action"]
    assert failed[0].output.startswith("GradingTimeout: timed out after 2 s")


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
    assert out["test_blocks_the_timer"] in (
        "timed out after 1 s (the test process was stopped)",
        "GradingTimeout: timed out after 1 s (test_a_stuck.py:7)",
    )
    assert out["test_next"] == "" and report.score == 1.0


def test_hidden_tests_count_and_are_hidden_in_the_gradescope_report(reports):
    report = reports["hidden"]
    assert report.max_score == MAX_SCORE + 2
    hidden = [t for t in report.tests if t.visibility == "after_published"]
    assert [(t.exercise, t.name, t.score) for t in hidden] == [
        ("ex01_epsilon_greedy", "test_many_actions_and_negative_values", 0.0)
    ]
    assert report.by_exercise()["ex01_epsilon_greedy"][:2] == (7.0, 12.0)


def test_the_gradescope_json_has_the_required_fields(reports, tmp_path):
    path = tmp_path / "results.json"
    reports["hidden"].write_json(path)
    data = json.loads(path.read_text())
    assert data["score"] == 77.0
    assert len(data["tests"]) == 43  # 42 visible, 1 hidden
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


def test_points_must_be_positive(tmp_path):
    (tmp_path / "test_bad.py").write_text(
        "import pytest\n\n@pytest.mark.points(0)\ndef test_x():\n    pass\n"
    )
    with pytest.raises(GradingError, match=r"points == 0, must be a number > 0"):
        grade(tmp_path)


def test_bad_arguments(tmp_path):
    with pytest.raises(GradingError, match="must be an existing folder"):
        grade(tmp_path / "nope")
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
    assert "ex06_rollout_returns           7     10  2 of 5 tests failed" in printed
    assert "total                         77     80" in printed
    assert json.loads(out.read_text())["score"] == 77.0


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
