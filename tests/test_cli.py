"""The command line: every experiment at --runs 2, files, table, errors."""

import csv
import subprocess
import sys

import pytest

from tabular_mbrl.__main__ import main
from tabular_mbrl.studies import QUICK, STUDIES

# Rows of each experiment's CSV at --quick: series x points.
QUICK_ROWS = {
    "compare": 3 * 10,
    "dyna-maze": 3 * 10,
    "blocking-maze": 3 * 1500,
    "shortcut-maze": 3 * 3300,
    "prioritized-sweeping": 2 * 2,
    "mpc": 4 * 1,
    "goal-change": 2 * 1000,
    "model-errors": 2 * 10,
    "mpc-budget": 2 * 2,
}


def test_every_experiment_has_a_quick_budget_and_a_row_count():
    assert set(QUICK) == set(STUDIES) == set(QUICK_ROWS)


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
    assert len(rows) - 1 == QUICK_ROWS[name]
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
