"""The command line: every experiment at --runs 2, files, table, errors."""

import csv
import inspect
import subprocess
import sys

import pytest

from tabular_mbrl.__main__ import main
from tabular_mbrl.studies import STUDIES

# Per experiment: the quick-budget keyword that sets its x axis (None: one
# point per series) and its series, in order.
SERIES = {
    "compare": ("n_episodes", ["Q-learning", "Dyna-Q n=50", "MPC"]),
    "dyna-maze": ("n_episodes", ["n=0", "n=5", "n=50"]),
    "blocking-maze": ("n_steps", ["Dyna-Q", "Dyna-Q+", "MPC"]),
    "shortcut-maze": ("n_steps", ["Dyna-Q", "Dyna-Q+", "MPC"]),
    "prioritized-sweeping": ("scales", ["Dyna-Q", "Prioritized sweeping"]),
    "mpc": (None, ["Q-learning", "Dyna-Q n=5", "Dyna-Q n=50", "MPC"]),
    "goal-change": ("n_steps", ["Dyna-Q n=50", "MPC"]),
    "model-errors": ("horizon", ["deterministic model", "empirical model"]),
    "mpc-budget": ("horizons", ["10 candidates", "100 candidates"]),
}


def test_every_experiment_has_a_smaller_quick_budget_and_a_description():
    for name, entry in STUDIES.items():
        assert entry.name == name and entry.description and entry.quick
        assert entry.group in ("book", "beyond")
        defaults = inspect.signature(entry.function).parameters
        for key, value in entry.quick.items():
            full = defaults[key].default
            if isinstance(full, tuple):
                assert set(value) < set(full), (name, key)
            else:
                assert value < full, (name, key)
    assert set(STUDIES) == set(SERIES)


def test_every_study_has_the_same_keywords():
    for entry in STUDIES.values():
        parameters = inspect.signature(entry.function).parameters
        for key in ("n_runs", "seed", "engine", "jobs", "quick", "progress"):
            assert parameters[key].kind is inspect.Parameter.KEYWORD_ONLY, key


@pytest.mark.parametrize("name", list(STUDIES))
def test_run_writes_png_csv_and_a_table(name, tmp_path, capsys):
    status = main(
        ["run", name, "--runs", "2", "--quick", "--out", str(tmp_path), "--seed", "1"]
    )
    assert status == 0
    assert (tmp_path / f"{name}.png").stat().st_size > 1000
    with (tmp_path / f"{name}.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["series", "x", "mean", "ci_low", "ci_high", "n_runs"]
    # Each series gets one row per point of the x axis its quick budget sets.
    key, names = SERIES[name]
    points = 1 if key is None else STUDIES[name].quick[key]
    points = points if isinstance(points, int) else len(points)
    assert [row[0] for row in rows[1:]] == [n for n in names for _ in range(points)]
    assert {row[5] for row in rows[1:]} == {"2"}
    out, err = capsys.readouterr()
    assert "real steps to conv." in out and f"wrote {tmp_path}" in out
    assert "2/2 runs" in err  # progress on stderr


def test_quiet_run_prints_no_progress(tmp_path, capsys):
    assert (
        main(
            [
                "run",
                "model-errors",
                "--runs",
                "2",
                "--quick",
                "--quiet",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert capsys.readouterr().err == ""


def test_list_names_every_experiment(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == list(STUDIES)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "dyna"], "unknown experiment 'dyna'; known: compare, dyna-maze"),
        (["run", "dyna-maze", "--runs", "0"], "argument --runs: 0 must be >= 1"),
        (
            ["run", "dyna-maze", "--runs", "two"],
            "argument --runs: 'two' is not an integer",
        ),
        (["run", "dyna-maze", "--seed", "-1"], "argument --seed: -1 must be >= 0"),
        (["run", "dyna-maze", "--colour"], "unrecognized arguments: --colour"),
        (["frobnicate"], "argument command: invalid choice: 'frobnicate'"),
    ],
)
def test_bad_command_lines_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tabular-mbrl: error: ")
    assert message in err


def test_unwritable_out_directory(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["run", "dyna-maze", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a writable directory" in err


def test_installed_command_runs_dyna_maze_at_two_runs(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tabular_mbrl",
            "run",
            "dyna-maze",
            "--runs",
            "2",
            "--out",
            str(tmp_path),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with (tmp_path / "dyna-maze.csv").open() as handle:
        assert len(handle.readlines()) == 1 + 3 * 50  # book budget: 50 episodes
