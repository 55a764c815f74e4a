"""The command line: every experiment at --runs 2, files, table, errors."""

import csv
import dataclasses
import functools
import inspect
import io
import re
import subprocess
import sys

import pytest
from figure_layout import assert_legible
from matplotlib.figure import Figure

import tabular_mbrl as tm
import tabular_mbrl.batched
from tabular_mbrl.__main__ import _Progress, main
from tabular_mbrl.studies import (
    ABLATION,
    DRIFT_MAZES,
    DRIFT_MODELS,
    GOAL_CHANGE,
    REPLAY_VS_DYNA,
    SIM_TO_REAL,
    STUDIES,
    WAYPOINT_AGENTS,
    model_error_names,
)
from tabular_mbrl.studies.registry import expected_seconds

# Per experiment: the quick-budget keyword that sets its x axis (None: one
# point per series) and its series, in order.
SERIES = {
    "compare": (
        "n_episodes",
        [
            "Q-learning",
            "Dyna-Q n=50",
            "Dyna-Q n=50, alpha=1, Q0=1",
            "Dyna-Q, MPC's compute",
            "MPC, epsilon=0.1",
            "MPC",
        ],
    ),
    "dyna-maze": ("n_episodes", ["n=0", "n=5", "n=50"]),
    "blocking-maze": ("n_steps", ["Dyna-Q", "Dyna-Q+", "MPC"]),
    "shortcut-maze": ("n_steps", ["Dyna-Q", "Dyna-Q+", "MPC", "MPC+"]),
    "prioritized-sweeping": (
        "scales",
        [
            "Dyna-Q",
            "Prioritized sweeping",
            "Dyna-Q, alpha=1",
            "Prioritized sweeping, alpha=1",
        ],
    ),
    "mpc": (None, ["Q-learning", "Dyna-Q n=5", "Dyna-Q n=50", "MPC"]),
    "mpc-ablation": (None, list(ABLATION)),
    "fig-8-3": (lambda q: 54 * 4, ["n=0", "n=50"]),
    "waypoints": (lambda q: 3 * q["n_tours"], list(WAYPOINT_AGENTS)),
    "replanning": ("slips", ["replan every step (MPC)", "open loop"]),
    "replay-vs-dyna": (lambda q: 3, list(REPLAY_VS_DYNA)),
    # Counted from the change: one point per real step after it.
    "goal-change": (lambda q: q["n_steps"] - q["change_at"], list(GOAL_CHANGE)),
    "model-errors": ("horizon", list(model_error_names())),
    "mpc-budget": ("horizons", ["10 candidates", "100 candidates"]),
    "sim-to-real": ("n_steps", list(SIM_TO_REAL)),
    "frontier": (
        None,
        [
            "Q-learning",
            "Dyna-Q alpha=0.1 Q0=0 n=10",
            "Dyna-Q alpha=0.1 Q0=1 n=10",
            "Dyna-Q alpha=1 Q0=0 n=10",
            "Dyna-Q alpha=1 Q0=1 n=10",
            "prioritized sweeping alpha=1 Q0=1 n=10",
            "greedy on values",
            "MPC h=2 x 16",
            "Q-learning (slippery)",
            "Dyna-Q alpha=0.1 Q0=0 n=10 (slippery)",
            "Dyna-Q alpha=0.1 Q0=1 n=10 (slippery)",
            "Dyna-Q alpha=1 Q0=0 n=10 (slippery)",
            "Dyna-Q alpha=1 Q0=1 n=10 (slippery)",
            "greedy on values (slippery)",
        ],
    ),
    "rollout-drift": (
        "lengths",
        [
            f"{maze}, {model}{suffix}"
            for suffix in ("", ", k-step error")
            for maze in DRIFT_MAZES
            for model in DRIFT_MODELS
        ],
    ),
}


def test_every_experiment_has_a_smaller_quick_budget_and_a_description():
    for name, entry in STUDIES.items():
        assert entry.name == name and entry.description
        # None where the defaults are a preview already (about a second).
        assert entry.quick or expected_seconds(name) <= 1.5, name
        assert entry.group in ("book", "beyond")
        defaults = inspect.signature(entry.function).parameters
        for key, value in entry.quick.items():
            full = defaults[key].default
            if full is None:  # the book's (change_at): any value is a change
                continue
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
def test_every_study_declares_its_series_before_it_runs(name, monkeypatch):
    """only= with a name the study does not have is refused before any agent
    is built, naming every series the study gives (as its run does)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a setting ran")

    for runner in ("run_episodes", "run_steps", "backups_until_optimal", "q_midway"):
        monkeypatch.setattr(tm.experiments, runner, refuse)
    monkeypatch.setattr(tm.AgentSpec, "build", refuse)
    with pytest.raises(tm.studies.UnknownSeries) as error:
        STUDIES[name].function(quick=True, only=["no such series"])
    message = str(error.value)
    assert message.startswith(f"experiment {name!r} has no series 'no such series'")
    known = message.split("; known: ")[1]
    for series in SERIES[name][1]:
        assert series in known, (name, series)


#: The experiments the fast tier runs through the CLI, a figure of each kind:
#: curves, bars, policies side by side, panels (the rest take seconds each at
#: their quick budgets: the full tier runs them all).
FAST = ("model-errors", "replanning", "mpc", "fig-8-3", "mpc-budget")


@pytest.mark.parametrize(
    "name",
    [n if n in FAST else pytest.param(n, marks=pytest.mark.slow) for n in STUDIES],
)
def test_run_writes_png_csv_and_a_table(name, tmp_path, capsys, monkeypatch):
    saved = []
    save = Figure.savefig

    def measured(fig, *args, dpi=None, **kwargs):
        if dpi is not None:
            fig.set_dpi(dpi)  # measured as the PNG draws it
        assert_legible(fig, name)
        saved.append(fig)
        return save(fig, *args, dpi=dpi, **kwargs)

    monkeypatch.setattr(Figure, "savefig", measured)
    status = main(
        ["run", name, "--runs", "2", "--quick", "--out", str(tmp_path), "--seed", "1"]
    )
    assert status == 0 and len(saved) == 1
    assert (tmp_path / f"{name}.png").stat().st_size > 1000
    with (tmp_path / f"{name}.csv").open() as handle:
        rows = list(csv.reader(handle))
    # The first six columns as they always were, then convergence and work.
    assert rows[0][:6] == ["series", "x", "mean", "ci_low", "ci_high", "n_runs"]
    assert rows[0][6:] == ["converged", "median_real_steps", "model_work_per_step"]
    for row in rows[1:]:
        assert float(row[3]) <= float(row[2]) <= float(row[4])  # inside its band
        assert row[6] == "" or re.fullmatch(r"[0-2]/2", row[6])
    # Each series gets one row per point of the x axis its quick budget (or,
    # where that leaves it, its default) sets.
    key, names = SERIES[name]
    defaults = inspect.signature(STUDIES[name].function).parameters
    budget = {k: p.default for k, p in defaults.items()} | STUDIES[name].quick
    points = 1 if key is None else key(budget) if callable(key) else budget[key]
    points = points if isinstance(points, int) else len(points)
    assert [row[0] for row in rows[1:]] == [n for n in names for _ in range(points)]
    assert {row[5] for row in rows[1:]} == {"2"}
    out, err = capsys.readouterr()
    header = out.splitlines()[1]
    assert header.startswith("series ")
    # What it measures: the final value, or the value at each of a few x
    # (categories: mazes, legs, horizons), convergence, or greedy directions.
    assert any(word in header for word in ("final ", "x = ", "converged", "direction"))
    assert f"wrote {tmp_path}" in out
    assert "2/2 runs" in err  # progress on stderr
    # A line per finished setting, counted against the settings the study
    # announced before it ran any: 1 of N, 2 of N, ..., N of N.
    counted = re.findall(rf"^{name}: setting (\d+) of (\d+) \(", err, re.M)
    assert counted and {n for _, n in counted} == {str(len(counted))}
    assert [int(k) for k, _ in counted] == list(range(1, len(counted) + 1))


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
    *rows, machine = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in rows] == list(STUDIES)
    assert machine.startswith("(time at the defaults, measured on x86_64")


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["run", "dyna"],
            "unknown experiment 'dyna'; did you mean 'dyna-maze'? known: compare, "
            "dyna-maze",
        ),
        (["run", "blah"], "unknown experiment 'blah'; known: compare, dyna-maze"),
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


def test_csv_lines_end_in_lf(tmp_path):
    assert main(["run", "model-errors", "--runs", "2", "--quick", "--quiet",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    data = (tmp_path / "model-errors.csv").read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")


@pytest.mark.slow
def test_table_shows_only_what_the_experiment_measures(tmp_path, capsys):
    argv = ["--runs", "2", "--quick", "--quiet", "--out", str(tmp_path)]
    main(["run", "model-errors", *argv])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["series", "final", "total", "variation", "distance"]
    main(["run", "mpc", *argv])
    header, first = capsys.readouterr().out.splitlines()[1:3]
    assert "median real steps to conv." in header and "planning" in header
    assert "converged" in header and "first episode" in header
    # Headers align with their numbers: right-aligned columns end together.
    assert header.endswith("model work / real step") and first.endswith(" 0.0")
    assert len(header) == len(first)


@pytest.mark.slow
def test_installed_command_runs_with_plain_progress_lines_off_a_terminal(tmp_path):
    # One child process (the command as installed) checks both the files and
    # the progress, which is written as plain lines when stderr is a pipe.
    result = subprocess.run(
        [sys.executable, "-m", "tabular_mbrl", "run", "dyna-maze", "--quick",
         "--runs", "2", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    episodes = STUDIES["dyna-maze"].quick["n_episodes"]
    with (tmp_path / "dyna-maze.csv").open() as handle:
        assert len(handle.readlines()) == 1 + 3 * episodes
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    for k, line in enumerate(lines, 1):  # in the order they finish
        assert re.fullmatch(
            rf"dyna-maze: setting {k} of 3 \(n=(0|5|50)\): 2/2 runs, [\d.]+ s"
            + ("" if k == 3 else r", (about \d+ s|under 1 s) left"),
            line,
        ), line
    assert {line.split("(")[1].split(")")[0] for line in lines} == {
        "n=0",
        "n=5",
        "n=50",
    }
    assert "\r" not in result.stderr


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream", [io.StringIO, Terminal])
def test_progress_says_which_setting_of_how_many_and_the_time_left(stream):
    now = [0.0]
    out = stream()
    progress = _Progress("demo", 0.0, out, clock=lambda: now[0])
    for setting in ("a", "b", "c", "d"):  # announced before any runs
        progress(setting, 0, 2)
    assert out.getvalue() == ""
    for setting, done, at in [
        ("a", 1, 1.0),
        ("a", 2, 2.0),  # a quarter of the runs in 2 s: 6 s to go
        ("b", 1, 3.0),
        ("c", 1, 3.5),
        ("b", 2, 4.0),
        ("c", 2, 6.0),
        ("d", 2, 8.0),
    ]:
        now[0] = at
        progress(setting, done, 2)
    finished = [
        "demo: setting 1 of 4 (a): 2/2 runs, 2.0 s, about 6 s left",
        "demo: setting 2 of 4 (b): 2/2 runs, 4.0 s, about 2 s left",
        "demo: setting 3 of 4 (c): 2/2 runs, 6.0 s, about 2 s left",
        "demo: setting 4 of 4 (d): 2/2 runs, 8.0 s",
    ]
    if stream is io.StringIO:  # a log: the finished settings only
        assert out.getvalue().splitlines() == finished
    else:  # a terminal: each run, in place; the one running is the next
        shown = out.getvalue().replace("\x1b[K", "").split("\r")[1:]
        assert shown[:4] == [
            "demo: setting 1 of 4 (a): 1/2 runs, 1.0 s, about 7 s left",
            finished[0] + "\n",
            "demo: setting 2 of 4 (b): 1/2 runs, 3.0 s, about 5 s left",
            "demo: setting 2 of 4 (c): 1/2 runs, 3.5 s, about 4 s left",
        ]
        assert shown[-1] == finished[-1] + "\n"


def test_a_setting_run_only_to_be_measured_is_counted_too(tmp_path, capsys):
    # Dyna-Q with MPC's compute needs MPC's measured work: MPC runs, though
    # --only leaves it out of the results, and is announced as a setting.
    argv = ["run", "compare", "--quick", "--runs", "2", "--out", str(tmp_path)]
    assert main([*argv, "--only", "Dyna-Q, MPC's compute"]) == 0
    err = capsys.readouterr().err
    assert re.findall(r"^compare: setting (\d of \d) \((.*?)\):", err, re.M) == [
        ("1 of 2", "MPC"),
        ("2 of 2", "Dyna-Q, MPC's compute"),
    ]


def test_progress_counts_a_setting_it_was_not_told_of():
    out = io.StringIO()
    progress = _Progress("demo", 0.0, out, clock=lambda: 1.0)
    progress("a", 0, 1)
    progress("a", 1, 1)
    progress("MPC, measured", 1, 1)  # run, though not announced
    assert out.getvalue().splitlines() == [
        "demo: setting 1 of 1 (a): 1/1 runs, 1.0 s",
        "demo: setting 2 of 2 (MPC, measured): 1/1 runs, 1.0 s",
    ]


def test_help_lists_experiments_and_examples(capsys):
    for argv in (["--help"], ["run", "--help"]):
        with pytest.raises(SystemExit) as exit_:  # argparse exits after help
            main(argv)
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert "examples:" in out and "shortcut-maze" in out and "``" not in out


def test_version(capsys):
    import tabular_mbrl

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"tabular-mbrl {tabular_mbrl.__version__}"
    import gridworlds

    assert gridworlds.__version__ == tabular_mbrl.__version__


def test_run_only_some_series(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a series that was not asked for ran")

    # The MPC series is not run at all, not only left out of the files.
    monkeypatch.setattr(tm.RandomShootingAgent, "__init__", refuse)
    monkeypatch.setattr(tm.batched.BatchedMPC, "__init__", refuse)
    argv = ["run", "blocking-maze", "--quick", "--out", str(tmp_path)]
    assert main([*argv, "--only", "Dyna-Q, Dyna-Q+"]) == 0
    rows = (tmp_path / "blocking-maze.csv").read_text().splitlines()[1:]
    assert {row.split(",")[0] for row in rows} == {"Dyna-Q", "Dyna-Q+"}
    capsys.readouterr()
    assert main([*argv, "--only", "Dyna-Q,MCP"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "tabular-mbrl: error: --only 'Dyna-Q,MCP': experiment 'blocking-maze' has "
        "no series 'MCP'; known: Dyna-Q, Dyna-Q+, MPC"
    )


def test_only_takes_series_names_with_commas_in_them(tmp_path, capsys, monkeypatch):
    # "slippery Dyna maze, empirical model" is split at its comma by the
    # command line, and joined back because the experiment has that series.
    # (Fewer steps than --quick's: the names are what is tested.)
    entry = STUDIES["rollout-drift"]
    short = functools.partial(entry.function, warmup=300, n_steps=50)
    monkeypatch.setitem(STUDIES, entry.name, dataclasses.replace(entry, function=short))
    argv = ["run", "rollout-drift", "--quick", "--quiet", "--runs", "2"]
    argv += ["--out", str(tmp_path)]
    wanted = "Dyna maze, deterministic model,slippery Dyna maze, empirical model"
    assert main([*argv, "--only", wanted]) == 0
    rows = list(csv.reader((tmp_path / "rollout-drift.csv").open()))[1:]
    assert [row[0] for row in rows[::2]] == [
        "Dyna maze, deterministic model",
        "slippery Dyna maze, empirical model",
    ]
    capsys.readouterr()
    assert main([*argv, "--only", "Dyna maze, no model"]) == 2
    err = capsys.readouterr().err
    assert "has no series 'Dyna maze', 'no model'; known: Dyna maze," in err


def test_a_mistyped_command_gets_a_suggestion(capsys):
    assert main(["rnu", "compare"]) == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith("did you mean 'run'?") and err.count("\n") == 1


def test_show_without_a_display_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    argv = ["run", "mpc", "--quick", "--runs", "2", "--show", "--quiet"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    assert "no display (DISPLAY is not set): --show is ignored" in (
        capsys.readouterr().err
    )
    assert (tmp_path / "mpc.png").exists()


def test_a_closed_pipe_ends_quietly_and_the_files_are_still_written(
    tmp_path, monkeypatch, capsys
):
    # `tabular-mbrl run ... | head -1` after the reader has gone: every write
    # to stdout fails with BrokenPipeError.
    class Gone:
        def __init__(self, fd):
            self.fd = fd

        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return self.fd

    with open(tmp_path / "stdout", "w") as target:
        monkeypatch.setattr(sys, "stdout", Gone(target.fileno()))
        argv = ["run", "mpc", "--quick", "--quiet", "--out", str(tmp_path)]
        assert main(argv) == 0
    assert (tmp_path / "mpc.csv").exists() and (tmp_path / "mpc.png").exists()
    assert capsys.readouterr().err == ""


def test_quick_says_it_is_a_preview(tmp_path, capsys):
    assert main(["run", "mpc", "--quick", "--quiet", "--out", str(tmp_path)]) == 0
    title = capsys.readouterr().out.splitlines()[0]
    assert title.endswith("(quick preview: 4 runs, not the full budget)")


def test_quick_runs_the_defaults_where_they_are_a_preview(tmp_path, capsys):
    assert not STUDIES["fig-8-3"].quick  # about a second: n = 0 beside n = 50
    assert main(["run", "fig-8-3", "--quick", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "preview" not in out and "n=0: a greedy direction in 1 of" in out


@pytest.mark.slow
def test_a_long_run_says_so_before_it_starts(tmp_path, monkeypatch, capsys):
    import tabular_mbrl.__main__ as cli

    stored = {"machine": "a test machine", "experiments": {"mpc": 150.0}}
    monkeypatch.setattr(cli, "timings", lambda: stored)
    monkeypatch.setattr(cli, "expected_seconds", stored["experiments"].get)
    argv = ["run", "mpc", "--runs", "2", "--out", str(tmp_path)]
    assert main([*argv, "--seed", "3"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(
        "mpc: about 2 min at its defaults (measured on a test machine); --quick"
    )
    assert main([*argv, "--quick"]) == 0  # a preview: no warning
    assert "about 2 min" not in capsys.readouterr().err
    assert main(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    (line,) = [line for line in listed if line.startswith("mpc ")]
    assert line.split()[1:3] == ["~2", "min"]
