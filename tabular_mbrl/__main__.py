"""The command line of tabular-mbrl: run the named experiments, time them, grade
the exercises and copy out the course material.

    tabular-mbrl                       # runs "compare" into ./results
    tabular-mbrl list                  # the experiments, one line each
    tabular-mbrl run NAME [--runs N] [--seed S] [--out DIR] [--show] [--quiet]
                          [--quick] [--engine E] [--jobs N] [--only SERIES]
    tabular-mbrl grade [EXERCISES_DIR] [--hidden DIR] [--json PATH] [--timeout S]
                       [--budget S] [--user NAME]
    tabular-mbrl bench [--quick] [--json PATH] [--jobs N]

``run`` writes ``DIR/NAME.png`` and ``DIR/NAME.csv`` (columns
``series,x,mean,ci_low,ci_high,n_runs,converged,median_real_steps``, LF line
endings) and prints a table of what the experiment measures per series; the
CSV and the table are made by :mod:`tabular_mbrl.results.report`. Bad
arguments give a one-line error and exit status 2.

Every file is written whole (a temporary file in its folder, renamed over the
target when complete, :mod:`tabular_mbrl._files`), and a run's two files only
once both are complete. An output that cannot be written is refused before
the run; one that fails after it (disk full) is kept in a new temporary
folder, named in the one-line error (exit status 2). Ctrl-C prints one line
saying what was and was not written (exit status 130).

``grade`` scores the exercise tests in a folder (see
:mod:`tabular_mbrl.course.grading`): a table per exercise, the total, and with
``--json`` a Gradescope ``results.json``. Its exit status is 0 whenever grading
ran, whatever the score, and 2, with one line, when it could not (nothing is
written then). Run as root, it runs the submissions as ``--user`` (``nobody``
by default); otherwise as itself, and it says so in one line.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ._files import Staged, folder_problem, output_problem, stage, write_atomically
from ._version import __version__
from .results import summary_table
from .results.report import write_csv_rows
from .studies import STUDIES, Refused, UnknownSeries
from .studies.registry import expected_seconds, timings


class _Progress:
    """``progress(setting, done, total)`` on a stream: one line updated in place
    on a terminal, a plain line per finished setting otherwise (a log file).

    Each line says which setting of how many (a study announces its settings,
    with no run done, before it runs any) and estimates the time left: the
    time so far, scaled by the share of runs still to do, every setting
    counted alike. ``clock`` is the one that gave ``started``."""

    def __init__(
        self,
        name: str,
        started: float,
        stream,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.name, self.started, self.stream, self.clock = name, started, stream, clock
        self.live = hasattr(stream, "isatty") and stream.isatty()
        self.open_line = False  # a live line not ended yet
        self.shares: dict[str, float] = {}  # setting -> share of its runs done
        self.finished = 0

    def end_line(self) -> None:
        """End a live line (before a message, after Ctrl-C)."""
        if self.open_line:
            print(file=self.stream, flush=True)
            self.open_line = False

    def __call__(self, setting: str, done: int, total: int) -> None:
        share = done / total if total > 0 else 1.0
        if self.shares.get(setting) != 1.0 and share == 1.0:
            self.finished += 1
        self.shares[setting] = max(share, self.shares.get(setting, 0.0))
        if done == 0:  # announced: counted, nothing to show yet
            return
        n_settings = len(self.shares)
        k = self.finished if share == 1.0 else self.finished + 1
        elapsed = self.clock() - self.started
        line = (
            f"{self.name}: setting {k} of {n_settings} ({setting}): "
            f"{done}/{total} runs, {elapsed:.1f} s"
        )
        all_done = sum(self.shares.values()) / n_settings
        if all_done < 1:
            left = elapsed * (1 - all_done) / all_done
            line += ", under 1 s left" if left < 1 else f", about {_span(left)} left"
        if self.live:
            end = "\n" if done == total else ""
            print(f"\r\x1b[K{line}", end=end, file=self.stream, flush=True)
            self.open_line = done != total
        elif done == total:
            print(line, file=self.stream, flush=True)


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2."""


class Interrupted(Exception):
    """Ctrl-C: what was and was not written, in one line; exit status 130."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + traceback
        wrong = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if wrong:  # a mistyped command: suggest the nearest
            choices = re.findall(r"'?([\w-]+)'?", wrong.group(2))
            close = difflib.get_close_matches(wrong.group(1), choices, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
        raise UsageError(message)


def _number(convert: type, low: float, high: float, strict: bool = False):
    """An argparse type: ``convert(text)`` in ``[low, high]`` (``(low, high]``
    if ``strict``)."""
    kind = "an integer" if convert is int else "a number"
    rule = f"> {low:g}" if strict else f">= {low:g}"

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        if not (value > low if strict else value >= low):
            raise argparse.ArgumentTypeError(f"{value:g} must be {rule}")
        if not value <= high:  # also catches nan
            shown = str(value) if convert is int else f"{value:g}"
            raise argparse.ArgumentTypeError(f"{shown} must be <= {high:g}")
        return value

    return parse


_runs = _number(int, 1, 10_000)
_jobs = _number(int, 1, 1_000)
_pairs = _number(int, 1, 100)
_seed = _number(int, 0, 2**63 - 1)
_timeout = _number(float, 0, 3600, strict=True)
_budget = _number(float, 0, 86400, strict=True)


DESCRIPTION = """\
Model-based RL on gridworlds (Sutton & Barto, chapter 8): run the named
experiments, time them, copy out the course and grade the exercises. With no
command, runs 'compare' into ./results."""


def _span(seconds: float) -> str:
    """``"12 s"``, ``"3 min"``."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _duration(name: str) -> str:
    """``"~12 s"``, ``"~3 min"``: the experiment's stored time at its
    defaults, or ``"?"`` if never measured."""
    seconds = expected_seconds(name)
    return "?" if seconds is None else f"~{_span(seconds)}"


#: A run expected to take longer than this says so before it starts.
LONG_RUN = 60.0


def _epilog() -> str:
    width = max(map(len, STUDIES))
    names = "\n".join(
        f"  {name:<{width}}  {_duration(name):>6}  {entry.description}"
        for name, entry in STUDIES.items()
    )
    return f"""experiments (run NAME):
{names}

examples:
  tabular-mbrl                              compare, into ./results
  tabular-mbrl run dyna-maze                Figure 8.2 at the book's 30 runs
  tabular-mbrl run shortcut-maze --quick    a small budget, for a preview
  tabular-mbrl run blocking-maze --runs 5 --seed 1 --out figs --show
  tabular-mbrl exercises my-exercises       the handout, to work on
  tabular-mbrl grade my-exercises --json results.json
  tabular-mbrl bench --quick"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tabular-mbrl",
        description=DESCRIPTION,
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"tabular-mbrl {__version__}"
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    commands.add_parser(
        "list",
        help="list the experiments",
        description="List the named experiments, one line each.",
    )
    run = commands.add_parser(
        "run",
        help="run one experiment",
        description="Run one named experiment: a PNG, a CSV and a table.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("name", help="experiment name (see 'list')")
    run.add_argument(
        "--runs",
        type=_runs,
        help="independent runs (default: the experiment's, in list)",
    )
    run.add_argument("--seed", type=_seed, default=0, help="master seed (default 0)")
    run.add_argument("--out", default="results", help="output folder (./results)")
    run.add_argument("--show", action="store_true", help="open a window")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument(
        "--quick",
        action="store_true",
        help="a small budget (fewer episodes or steps) for a preview",
    )
    run.add_argument(
        "--engine",
        choices=("auto", "loop", "batched"),
        default="auto",
        help="batched runs the runs of an agent in lockstep, through its twin "
        "(auto: batched when it can, for several runs)",
    )
    run.add_argument(
        "--jobs", type=_jobs, default=1, help="settings run in parallel (default 1)"
    )
    run.add_argument(
        "--only",
        metavar="SERIES",
        help="run only these series, comma-separated (e.g. Dyna-Q,Dyna-Q+)",
    )
    bench = commands.add_parser(
        "bench",
        help="time the book's figures",
        description="Time the book's figures and the engines, side by side, as "
        "ratios: ours against the reference, a case against its floor.",
    )
    bench.add_argument("--quick", action="store_true", help="tiny budgets (seconds)")
    bench.add_argument("--json", help="also write the rows as JSON here")
    bench.add_argument(
        "--jobs", type=_jobs, default=1, help="cases run in parallel (default 1)"
    )
    bench.add_argument(
        "--reference",
        metavar="FILE",
        help="instead, run Figures 8.2, 8.4 and 8.5 of a reference chapter 8 "
        "maze.py and ours side by side and print the CPU and memory ratios "
        "(minutes: the reference's Figure 8.2 alone takes about 1.5 min a pair)",
    )
    bench.add_argument(
        "--pairs",
        type=_pairs,
        default=None,
        help="with --reference: at most this many pairs per figure",
    )
    for kind, what in (
        ("lectures", "the lecture scripts"),
        ("exercises", "the exercise handout (skeletons, tests, conftest)"),
    ):
        copy = commands.add_parser(
            kind,
            help=f"copy {what} into a folder",
            description=f"Copy {what} into a folder (made if missing).",
        )
        copy.add_argument("folder", help="where to copy them (made if missing)")
        copy.add_argument("--force", action="store_true", help="overwrite files")
        if kind == "lectures":
            copy.add_argument(
                "--notebooks",
                action="store_true",
                help="also write each lecture as a Jupyter notebook (needs nbformat)",
            )
    claims = commands.add_parser(
        "claims",
        help="how many seeds give each verdict of the lectures' claims",
        description="Run lectures at their defaults on a block of seeds and count, "
        "per printed claim, the seeds that gave each verdict (the words before "
        "its colon). Use seeds a claim was not written on.",
    )
    claims.add_argument("--seeds", type=_runs, default=10, help="seeds (10)")
    claims.add_argument(
        "--first-seed", type=_seed, default=1000, help="the first seed (1000)"
    )
    claims.add_argument(
        "--lectures", metavar="NN,NN", help="lecture numbers, e.g. 02,11 (all)"
    )
    claims.add_argument("--quiet", action="store_true", help="no progress on stderr")
    group = commands.add_parser(
        "grade-class",
        help="grade a class: one folder or .zip per student",
        description="Grade every student's folder or .zip in SUBMISSIONS, each in a "
        "fresh copy of the handout with the official tests: a gradebook CSV (a "
        "row per student, a column per exercise, the total) and a summary.",
    )
    group.add_argument("submissions", help="one folder or .zip per student")
    group.add_argument("--hidden", help="a folder of extra tests students never see")
    group.add_argument(
        "--out", default="gradebook.csv", help="the gradebook CSV (gradebook.csv)"
    )
    group.add_argument(
        "--jobs", type=_jobs, default=1, help="students side by side (default 1)"
    )
    group.add_argument(
        "--timeout", type=_timeout, default=10.0, help="seconds per test (10)"
    )
    group.add_argument(
        "--user", help="run the submissions as this user (as root; default nobody)"
    )
    group.add_argument("--quiet", action="store_true", help="no progress on stderr")
    zipped = commands.add_parser(
        "autograder",
        help="build a Gradescope autograder zip",
        description="Build a Gradescope autograder zip: setup.sh (installs the "
        "package from its wheel, in the zip), run_autograder, the official tests "
        "and your hidden ones.",
    )
    zipped.add_argument("out", help="the zip to write, e.g. autograder.zip")
    zipped.add_argument("--hidden", help="a folder of extra tests students never see")
    zipped.add_argument(
        "--wheel", help="the package's wheel (default: built from this checkout)"
    )
    grade = commands.add_parser(
        "grade",
        help="grade the exercises in a folder",
        description="Score the exercises in a folder with their tests (and hidden "
        "ones): a table per exercise, the total, and a Gradescope results.json.",
    )
    grade.add_argument(
        "folder", nargs="?", default=".", help="exercises and their tests (.)"
    )
    grade.add_argument("--hidden", help="a folder of extra tests students never see")
    grade.add_argument("--json", help="write a Gradescope results.json here")
    grade.add_argument(
        "--timeout", type=_timeout, default=10.0, help="seconds per test (10)"
    )
    grade.add_argument(
        "--budget",
        type=_budget,
        default=300.0,
        help="seconds for the whole folder (300); tests not run by then score 0",
    )
    grade.add_argument(
        "--user",
        help="run the submissions as this user (as root; default nobody)",
    )
    return parser


def bench(
    *,
    quick: bool,
    json: str | None,
    jobs: int,
    reference: str | None = None,
    pairs: int | None = None,
) -> int:
    """Time the cases of :mod:`tabular_mbrl.bench` (or, with ``reference``,
    those of :mod:`tabular_mbrl.bench_reference`) and print the table."""
    import json as json_module

    from . import bench_reference
    from .bench import bench as run_bench
    from .bench import format_table

    _check_json(json)
    if reference is not None:
        try:
            bench_reference.check_reference(reference)
        except ValueError as error:
            raise UsageError(str(error)) from None
    started = time.perf_counter()

    def progress(case: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        print(f"bench: {done}/{total} {case}, {elapsed:.1f} s", file=sys.stderr)

    try:
        if reference is not None:
            rows = bench_reference.compare(reference, pairs=pairs, progress=progress)
            format_table = bench_reference.format_rows
        else:
            rows = run_bench(quick=quick, jobs=jobs, progress=progress)
    except KeyboardInterrupt:
        raise Interrupted(_nothing_written(json)) from None
    print(format_table(rows))
    if json is not None:
        text = json_module.dumps(rows, indent=2) + "\n"

        def save(path: str | Path) -> None:
            write_atomically(path, lambda handle: handle.write(text))

        _write_json(json, save, "bench.json")
    return 0


def grade_class(
    submissions: str,
    *,
    hidden: str | None,
    out: str,
    jobs: int,
    timeout: float,
    quiet: bool,
    user: str | None = None,
) -> int:
    """Grade a class; write the gradebook and print the summary."""
    from .course import classes

    _check_file("--out", out)
    if hidden is not None and not Path(hidden).is_dir():
        raise UsageError(f"--hidden {hidden!r}: not a folder")

    def progress(student: str, done: int, total: int) -> None:
        print(f"grade-class: {done}/{total} {student}", file=sys.stderr, flush=True)

    try:
        grades = classes.grade_class(
            submissions,
            hidden=hidden,
            jobs=jobs,
            timeout=timeout,
            user=user,
            progress=None if quiet else progress,
        )
    except ValueError as error:
        raise UsageError(str(error)) from None
    except KeyboardInterrupt:
        raise Interrupted(f"nothing written; {out} is as it was") from None
    classes.write_gradebook(grades, out)
    print(classes.summary(grades))
    print(f"wrote {out} ({len(grades)} students)")
    return 0


def check_claims(
    lectures: str | None, seeds: int, first_seed: int, *, quiet: bool
) -> int:
    """Print how many seeds give each verdict of the lectures' claims."""
    from .course.claims import lectures as find_lectures
    from .course.claims import report

    numbers = None if lectures is None else lectures.split(",")
    try:
        find_lectures(numbers)  # refused before anything runs
    except ValueError as error:
        raise UsageError(f"--lectures: {error}") from None
    try:
        print(report(numbers, seeds, first_seed, quiet=quiet))
    except KeyboardInterrupt:
        raise Interrupted("nothing printed") from None
    return 0


def _check_file(option: str, path: str) -> None:
    """Refuse an output file (``--json``, ``--out``) that could not be written,
    before any work."""
    if not path or not Path(path).absolute().parent.is_dir():
        raise UsageError(f"{option} {path!r}: not a file path in an existing folder")
    problem = output_problem(path)
    if problem:
        raise UsageError(f"{option} {path!r} {problem}")


def _check_json(json: str | None) -> None:
    """Refuse a ``--json`` path that could not be written, before any work."""
    if json is not None:
        _check_file("--json", json)


def _nothing_written(json: str | None) -> str:
    if json is None:
        return "nothing to write"
    was = "is as it was" if os.path.lexists(json) else "was not written"
    return f"nothing written; {json} {was}"


def _write_json(json: str, save: Callable[[str | Path], object], name: str) -> None:
    """``save(json)`` (which writes whole); if that fails (disk full, the
    permission changed meanwhile), ``save`` into a new temporary folder
    instead, and a :class:`UsageError` saying where."""
    try:
        save(json)
    except KeyboardInterrupt:
        raise Interrupted(_nothing_written(json)) from None
    except OSError as error:
        kept = _keep_elsewhere({name: save})
        raise UsageError(
            f"--json {json!r}: {error.strerror or error}; {kept}; {json} "
            f"{'is as it was' if os.path.lexists(json) else 'was not written'}"
        ) from None
    print(f"wrote {json}")


def grade(
    folder: str,
    *,
    hidden: str | None,
    json: str | None,
    timeout: float,
    budget: float = 300.0,
    user: str | None = None,
) -> int:
    """Grade a folder of exercises; 0 whenever grading ran."""
    import importlib.util

    from .course.grading import GradingError
    from .course.grading import grade as run_grader

    if importlib.util.find_spec("pytest") is None:
        raise UsageError("grading needs pytest: pip install 'tabular-mbrl[test]'")
    _check_json(json)
    try:
        report = run_grader(
            folder, hidden=hidden, timeout=timeout, budget=budget, user=user
        )
    except (GradingError, ValueError, TypeError) as error:
        raise UsageError(str(error).splitlines()[0]) from None
    except KeyboardInterrupt:
        raise Interrupted(_nothing_written(json)) from None
    print(report.table())
    if json is not None:
        _write_json(json, report.write_json, "results.json")
    return 0


def copy_out(kind: str, folder: str, *, force: bool, notebooks: bool = False) -> int:
    """Copy the lectures or the exercise handout into ``folder``; with
    ``notebooks``, each lecture as a Jupyter notebook beside it too."""
    from .course.handout import HandoutError, copy_material

    if notebooks:
        try:
            import nbformat  # noqa: F401
        except ImportError:
            raise UsageError(
                '--notebooks needs nbformat: pip install "tabular-mbrl[notebooks]"'
            ) from None
    try:
        copied = copy_material(kind, folder, force=force)
    except (HandoutError, OSError) as error:
        raise UsageError(f"{kind} {folder!r}: {error}") from None
    print(f"copied {len(copied)} files into {folder}")
    if notebooks:
        from .course.notebooks import write_notebook

        for script in copied:
            write_notebook(script, script.with_suffix(".ipynb"))
        print(f"wrote {len(copied)} notebooks beside them (.ipynb)")
    if kind == "exercises":
        print(f"run the tests of one exercise: cd {folder} && pytest test_ex01_*.py")
        print(f"score them all:                tabular-mbrl grade {folder}")
    else:
        print(f"run one: python {Path(folder) / copied[0].name} [--show] [--quick]")
    return 0


def _keep_elsewhere(saves: dict[str, Callable[[Path], object]]) -> str:
    """Each ``save(path)`` into a new temporary folder, for output that could
    not be written where asked; what became of it, for the error line."""
    try:
        keep = Path(tempfile.mkdtemp(prefix="tabular-mbrl-"))
        for name, save in saves.items():
            save(keep / name)
    except OSError as error:
        return f"could not keep the results elsewhere either ({error})"
    return f"the results are kept in {keep} ({', '.join(saves)})"


def _output_dir(out: str) -> Path:
    """The ``--out`` folder, made if missing and checked writable with a
    uniquely named temporary file (no file of the user's names is made)."""
    if not out:
        raise UsageError("--out '' is empty; give a folder")
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        why: str | None = error.strerror or str(error)
    else:
        why = folder_problem(path)
    if why:
        raise UsageError(f"--out {out!r} is not a writable directory ({why})")
    return path


def _pair(paths: list[Path]) -> str:
    """``results/x.png and .csv`` (one folder and stem), else ``a and b``."""
    if len(paths) == 2 and paths[0].with_suffix("") == paths[1].with_suffix(""):
        return f"{paths[0]} and {paths[1].suffix}"
    return " and ".join(map(str, paths))


def _what_was_written(
    targets: list[Path], written: list[Path], existed: list[Path]
) -> str:
    """``wrote ...; ... is as it was; ... not written``, for the one line that
    reports an interruption or an output error."""
    wrote = f"wrote {_pair(written)}" if written else "nothing written"
    kept = [t for t in targets if t not in written and t in existed]
    missing = [t for t in targets if t not in written and t not in existed]
    parts = [wrote]
    if kept:
        parts.append(
            f"{_pair(kept)} {'is as it was' if len(kept) == 1 else 'are as they were'}"
        )
    if missing and written:
        parts.append(f"{_pair(missing)} not written")
    return "; ".join(parts)


def _say(text: str) -> None:
    """Print ``text``; if stdout's reader has gone (``| head``), carry on
    quietly, so that the run's files are still written."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # later prints go nowhere


def _has_display() -> bool:
    """Whether a window can open: on Linux and the BSDs, an X or Wayland
    display must be set; elsewhere there is one."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(
    name: str,
    *,
    runs: int | None,
    seed: int,
    out: str,
    show: bool,
    quiet: bool,
    quick: bool = False,
    engine: str = "auto",
    jobs: int = 1,
    only: str | None = None,
) -> int:
    if name not in STUDIES:
        close = difflib.get_close_matches(name, STUDIES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UsageError(
            f"unknown experiment {name!r}; {hint}known: {', '.join(STUDIES)}"
        )
    entry = STUDIES[name]
    try:  # before anything is written
        entry.check(engine=engine, jobs=jobs)
    except Refused as error:
        raise UsageError(str(error)) from None
    folder = _output_dir(out)
    targets = [folder / f"{name}.png", folder / f"{name}.csv"]
    for target in targets:  # before the run, so that its work is not lost
        problem = output_problem(target)
        if problem:
            raise UsageError(f"--out {out!r}: {target} {problem}")
    existed = [target for target in targets if os.path.lexists(target)]
    expected = expected_seconds(name)
    if expected is not None and expected > LONG_RUN and not quick and not quiet:
        print(
            f"{name}: about {_duration(name).lstrip('~')} at its defaults (measured "
            f"on {timings().get('machine', 'one machine')}); --quick previews it "
            "in seconds",
            file=sys.stderr,
        )
    written: list[Path] = []  # each target as it is replaced
    progress = None
    try:
        import matplotlib

        if show and not _has_display():
            print(
                "tabular-mbrl: no display (DISPLAY is not set): --show is ignored; "
                "the figure is written as usual",
                file=sys.stderr,
            )
            show = False
        if not show:
            matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt

        from .plotting import plot_study

        started = time.perf_counter()
        progress = _Progress(name, started, sys.stderr)
        kwargs = {
            "seed": seed,
            "progress": None if quiet else progress,
            "engine": engine,
            "jobs": jobs,
            "quick": quick,
        }
        if runs is not None:
            kwargs["n_runs"] = runs
        if only is not None:
            kwargs["only"] = [p.strip() for p in only.split(",") if p.strip()]
        try:
            study = entry.function(**kwargs)
        except UnknownSeries as error:
            raise UsageError(f"--only {only!r}: {error}") from None
        except ValueError as error:  # a value the study refuses
            progress.end_line()
            lines = str(error).strip().splitlines() or [type(error).__name__]
            raise UsageError(lines[0]) from None
        if quick and entry.quick:  # the figure and the table say what they are
            n_runs = study.series[0].n_runs if study.series else 0
            study = dataclasses.replace(
                study,
                title=f"{study.title} (quick preview: {n_runs} runs, not the "
                "full budget)",
            )
        width = 7 * max(1, len(study.panel_labels))  # side-by-side panels: wider
        if study.kind == "bar":  # room for each bar's label
            width = max(width, 1.3 * len(study.series))
        fig, ax = plt.subplots(figsize=(width, 4.5))
        plot_study(study, ax=ax)
        fig.tight_layout()
        _say(summary_table(study))
        if study.note:
            _say(study.note)
        rows = _write_outputs(study, fig, targets, written, existed)
        if existed:
            print(f"(overwrote {' and '.join(t.name for t in existed)} in {folder})")
        print(
            f"wrote {targets[0]} and {targets[1]} ({rows} rows) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        if show:
            plt.show()
        plt.close(fig)
    except KeyboardInterrupt:
        if progress is not None:
            progress.end_line()
        raise Interrupted(_what_was_written(targets, written, existed)) from None
    return 0


def _write_outputs(
    study, fig, targets: list[Path], written: list[Path], existed: list[Path]
) -> int:
    """The run's PNG and CSV, both complete before either replaces its old
    file; ``written`` gets each as it is replaced. If one cannot be written,
    the two are kept in a new temporary folder and a :class:`UsageError` says
    where. Returns the CSV's rows."""

    def png(handle) -> None:
        fig.savefig(handle, format="png", dpi=120)

    def csv(handle) -> int:
        return write_csv_rows(study, handle)

    parts = [(targets[0], png, True), (targets[1], csv, False)]
    staged: list[Staged] = []
    results = []
    try:
        for target, write, binary in parts:
            current = target
            each, result = stage(target, write, binary=binary)
            staged.append(each)
            results.append(result)
        for each in staged:
            current = each.path
            each.commit()
            written.append(each.path)
    except OSError as error:
        kept = _keep_elsewhere(
            {t.name: partial(write_atomically, write=w, binary=b) for t, w, b in parts}
        )
        raise UsageError(
            f"could not write {current} ({error.strerror or error}); {kept}; "
            f"{_what_was_written(targets, written, existed)}"
        ) from None
    finally:
        for each in staged:
            if each.path not in written:
                each.discard()
    return results[1]


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            width = max(map(len, STUDIES))
            for name, entry in STUDIES.items():
                print(f"{name:<{width}}  {_duration(name):>6}  {entry.description}")
            machine = timings().get("machine")
            if machine:
                print(f"(time at the defaults, measured on {machine})")
            return 0
        if args.command == "bench":
            return bench(
                quick=args.quick,
                json=args.json,
                jobs=args.jobs,
                reference=args.reference,
                pairs=args.pairs,
            )
        if args.command == "autograder":
            from .course.autograder import build

            _check_file("autograder", args.out)
            try:
                names = build(args.out, hidden=args.hidden, wheel=args.wheel)
            except ValueError as error:
                raise UsageError(str(error)) from None
            print(f"wrote {args.out}: {', '.join(names[:3])} and {len(names) - 3} more")
            return 0
        if args.command == "grade-class":
            return grade_class(
                args.submissions,
                hidden=args.hidden,
                out=args.out,
                jobs=args.jobs,
                timeout=args.timeout,
                user=args.user,
                quiet=args.quiet,
            )
        if args.command == "claims":
            return check_claims(
                args.lectures, args.seeds, args.first_seed, quiet=args.quiet
            )
        if args.command in ("lectures", "exercises"):
            return copy_out(
                args.command,
                args.folder,
                force=args.force,
                notebooks=getattr(args, "notebooks", False),
            )
        if args.command == "grade":
            return grade(
                args.folder,
                hidden=args.hidden,
                json=args.json,
                timeout=args.timeout,
                budget=args.budget,
                user=args.user,
            )
        if args.command is None:  # bare: the default experiment into ./results
            return run(
                "compare", runs=None, seed=0, out="results", show=False, quiet=False
            )
        return run(
            args.name,
            runs=args.runs,
            seed=args.seed,
            out=args.out,
            show=args.show,
            quiet=args.quiet,
            quick=args.quick,
            engine=args.engine,
            jobs=args.jobs,
            only=args.only,
        )
    except UsageError as error:
        print(f"tabular-mbrl: error: {error}", file=sys.stderr)
        return 2
    except Interrupted as interrupted:
        print(f"tabular-mbrl: interrupted: {interrupted}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("tabular-mbrl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `| head` closed stdout: stop quietly
        _say("")  # stdout to nowhere: no error at exit's flush
        return 0


if __name__ == "__main__":
    sys.exit(main())
