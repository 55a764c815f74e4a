"""``python -m tabular_mbrl bench``: how fast the book's figures run.

Each case is timed in a fresh process (so its peak memory is its own), on the
loop engine (the per-run agents) and, where the agents allow it, on the batched
engine. Numbers are wall-clock seconds on this machine; ``--jobs N`` runs cases
side by side, which is faster in total but makes each case's time noisier.

Backups count every Q update: one per real step for agents that learn from
real steps directly, plus every planning backup. For MPC the rate is model
transitions simulated per second.

The ``cli ...`` cases time whole processes, ``python -m tabular_mbrl run ...
--quiet`` (imports, plotting and writing included), against the targets in
:data:`TARGETS`. The report ends with the floor (the bare NumPy backup loop)
and how much of the batched engine's gap to it the lockstep tail explains.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

import gridworlds

from ._processes import context
from .agents._fast_dyna_q import FastDynaQAgent
from .agents.dyna_q import DynaQAgent
from .agents.mpc import RandomShootingAgent
from .batched import run_episodes_batched
from .experiments import batch, interact
from .planning import random_shooting
from .spec import AgentSpec
from .studies import BOOK, STUDIES

#: Runs per case with ``--quick``; the figures' other quick settings are their
#: experiments' own quick budgets (``STUDIES[name].quick``), and the full
#: budgets are the book's (``BOOK``).
QUICK_RUNS = 1

#: Full and quick budgets of the cases that are not the book's figures.
BUDGETS = {
    "mpc-decision": {"full": dict(repeats=200), "quick": dict(repeats=10)},
    "mpc-default": {"full": dict(n_steps=2000), "quick": dict(n_steps=50)},
    "open-grid": {"full": dict(n_steps=2000), "quick": dict(n_steps=100)},
    "floor": {"full": dict(n_backups=20_000), "quick": dict(n_backups=500)},
}

#: Bench case -> (named experiment, the book's setting, what its series hold,
#: extra keywords). Series hold a value per episode (its real steps), a value
#: per real step, or the backups each run needed.
FIGURES = {
    "fig8.2": ("dyna-maze", "figure 8.2", "episodes", {}),
    "fig8.4": ("blocking-maze", "figure 8.4", "steps", {"mpc": False}),
    "fig8.5": ("shortcut-maze", "figure 8.5", "steps", {"mpc": False}),
    "ex8.4": ("prioritized-sweeping", "example 8.4", "backups", {}),
}


#: Whole-process cases: (case, CLI arguments, target seconds or None, seeds).
#: A target of "1.3x NAME" is 1.3 times the measured time of case NAME. With
#: ``--quick`` the commands get ``--quick``, run once, and have no target.
TARGETS = [
    ("cli dyna-maze", ["run", "dyna-maze"], 1.6, (0, 1, 2, 3, 4)),
    (
        "cli fig8.4 Dyna",
        ["run", "blocking-maze", "--only", "Dyna-Q,Dyna-Q+", "--runs", "20"],
        0.9,
        (0,),
    ),
    (
        "cli fig8.5 Dyna",
        ["run", "shortcut-maze", "--only", "Dyna-Q,Dyna-Q+", "--runs", "5"],
        1.8,
        (0,),
    ),
    # With their MPC series: at most 1.3x the time without them (issue 32).
    (
        "cli fig8.4 +MPC",
        ["run", "blocking-maze", "--runs", "20"],
        "1.3x cli fig8.4 Dyna",
        (0,),
    ),
    (
        "cli fig8.5 +MPC",
        ["run", "shortcut-maze", "--runs", "5"],
        "1.3x cli fig8.5 Dyna",
        (0,),
    ),
    # Example 8.4 at its defaults: 20 runs per size, 47 to 5,687 free states
    # (issue 32's target).
    ("cli ex8.4", ["run", "prioritized-sweeping"], 60.0, (0,)),
]


def _cli(args: list[str], seed: int) -> float:
    """Seconds of one whole ``python -m tabular_mbrl`` process."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "tabular_mbrl", *args]
        command += ["--seed", str(seed), "--quiet", "--out", out]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - started


def _cli_rows(quick: bool, progress, done: int, total: int) -> list[dict]:
    rows: list[dict] = []
    measured: dict[str, float] = {}
    for case, args, target, seeds in TARGETS:
        if quick:
            args, seeds, target = [*args, "--quick"], seeds[:1], None
        times = [_cli(args, seed) for seed in seeds]
        measured[case] = max(times)
        if isinstance(target, str):  # "1.3x CASE"
            factor, other = target.split(" ", 1)
            target = float(factor.rstrip("x")) * measured[other]
        rows.append(
            {
                "case": case,
                "engine": "process",
                "runs": len(seeds),
                "seconds": max(times),
                "backups_per_second": float("nan"),
                "speedup": None,
                "peak_mib": float("nan"),
                "target": target,
                "seconds_per_seed": times,
            }
        )
        done += 1
        if progress is not None:
            progress(case, done, total)
    return rows


def _tail(quick: bool, floor_per_loop: float, floor_width: int) -> dict:
    """The batched engine on Figure 8.2, counting its planning loops: a loop
    computes one backup for each of the runs still planning. Loops with fewer
    runs than the batch are the lockstep tail.

    A floor loop of ``w`` runs costs about ``a + b w``: ``floor_per_loop`` at
    ``floor_width`` runs and a floor of one run give ``a`` and ``b``. The
    loops' backups, packed into full loops, would cost ``full * (a + b W)``;
    the loops as run cost ``loops * a + computed * b``. The difference, the
    tail's cost at the floor, is ``a * (loops - full)``."""
    book = BOOK["figure 8.2"]
    runs = QUICK_RUNS if quick else book["n_runs"]
    episodes = STUDIES["dyna-maze"].quick["n_episodes"] if quick else book["n_episodes"]
    specs = [
        AgentSpec(DynaQAgent, n_planning_steps=n) for n in book["n_planning_steps"]
    ]
    n_single = BUDGETS["floor"]["quick" if quick else "full"]["n_backups"]
    single = min(_timed(lambda: _floor(n_single, n_runs=1))[0] for _ in range(3))
    per_run = max(0.0, (floor_per_loop - single / n_single) / (floor_width - 1))
    per_loop = floor_per_loop - per_run * floor_width  # a: what any loop costs
    # All three settings in one batch, seeded as the runners seed it.
    engine, maze, env_rng = batch(
        lambda: gridworlds.make("dyna_maze"), specs, runs, 0, "batched"
    )
    width = engine.n_runs
    started = time.perf_counter()
    run_episodes_batched(engine, maze, env_rng, episodes)
    seconds = time.perf_counter() - started
    loops, computed = engine.n_backup_loops, engine.n_backups_computed
    full = computed / width  # the loops, were every loop full
    floor_seconds = full * (per_loop + per_run * width)
    tail_seconds = (loops - full) * per_loop
    return {
        "case": "lockstep tail",
        "engine": "batched",
        "runs": width,
        "seconds": seconds,
        "backups_per_second": computed / seconds,
        "speedup": None,
        "peak_mib": float("nan"),
        "target": None,
        "loops": loops,
        "full_loops": full,
        "floor_loop_seconds": per_loop,
        "gap_seconds": seconds - floor_seconds,
        "tail_seconds": tail_seconds,
        "backups": int(computed),
        "python_backups": int(engine.n_backups_in_python),
        "skipped": engine.n_backups_counted - computed,
    }


def _peak_mib() -> float:
    """This process's peak resident memory, in MiB (NaN where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _timed(function: Callable[[], float]) -> tuple[float, float]:
    started = time.perf_counter()
    work = function()
    return time.perf_counter() - started, work


def _figure(*, case: str, quick: bool, **kwargs) -> float:
    """Run a book figure's experiment; its work is every real step and every
    planning backup of every run."""
    name, book, holds, extra = FIGURES[case]
    runs = QUICK_RUNS if quick else BOOK[book]["n_runs"]
    study = STUDIES[name].function(n_runs=runs, quick=quick, **extra, **kwargs)
    if holds == "backups":
        return float(sum(np.nansum(series.values) for series in study.series))
    work = 0.0
    for series in study.series:
        if holds == "steps":
            real = series.n_runs * len(series.x)
        else:  # episodes: the values are real steps per episode
            real = series.values.sum()
        work += real + series.n_runs * series.planning_updates
    return float(work)


def _mpc_decision(repeats: int) -> float:
    model = gridworlds.make("dyna_maze").model()
    rng = np.random.default_rng(0)
    for _ in range(repeats):
        random_shooting(model, 18, horizon=20, n_candidates=1000, gamma=0.95, rng=rng)
    return float(repeats * 1000 * 20)


def _mpc_default(n_steps: int) -> float:
    """Real steps of the MPC the package teaches, as it comes (horizon 3, all
    64 sequences, value iteration when its model changed), learning the Dyna
    maze: each decision's rollouts plus the value iteration behind it."""
    env = gridworlds.make("dyna_maze")
    agent = RandomShootingAgent(env.n_states, env.n_actions, rng=0)
    steps = interact(env, agent, env.reset(seed=0)[0])
    for _ in range(n_steps):
        next(steps)
    return float(agent.n_planning_updates)


def _open_grid(n_steps: int, size: int, fast: bool = False) -> float:
    """Dyna-Q, n = 50, on an open grid: the book's agent, or (``fast``) the
    loop's twin that the runners use, whose cost per real step must not grow
    with the grid either."""
    env = gridworlds.make("open_grid", rows=size, cols=size)
    agent_class = FastDynaQAgent if fast else DynaQAgent
    agent = agent_class(env.n_states, env.n_actions, n_planning_steps=50, rng=0)
    steps = interact(env, agent, env.reset(seed=0)[0])
    for _ in range(n_steps):
        next(steps)
    return float(n_steps * 51)


def _floor(n_backups: int, n_runs: int = 90) -> float:
    """Only the backup arithmetic of the batched engine's planning loop, on
    random indices: what the engine's planning would cost with nothing else."""
    rng = np.random.default_rng(0)
    n_states, n_actions = 54, 4
    q = rng.random(n_runs * n_states * n_actions)
    base = np.arange(n_runs) * n_states * n_actions
    flat = base + rng.integers(n_states * n_actions, size=(n_backups, n_runs))
    next_cells = (base + rng.integers(n_states, size=(n_backups, n_runs)) * n_actions)[
        ..., None
    ] + np.arange(n_actions)
    reward = rng.random((n_backups, n_runs))
    discount = np.full((n_backups, n_runs), 0.95)
    row_max = np.maximum.reduce
    for cells, r, d, nxt in zip(flat, reward, discount, next_cells, strict=True):
        old = q[cells]
        q[cells] = old + 0.1 * (r + d * row_max(q[nxt], axis=1) - old)
    return float(n_backups * n_runs)


Work = tuple[Callable[..., float], dict]


def _cases(quick: bool) -> list[tuple[str, str, int, Work]]:
    """(case, engine, runs, (work function, its keywords)) rows, in report order.
    The work is a module-level function and plain keywords, so a fresh worker
    process (spawned: :func:`tabular_mbrl._processes.context`) can run it."""
    b = {case: budget["quick" if quick else "full"] for case, budget in BUDGETS.items()}

    def runs(case: str) -> int:
        return QUICK_RUNS if quick else BOOK[FIGURES[case][1]]["n_runs"]

    rows = [
        (
            case,
            engine,
            runs(case),
            (_figure, dict(case=case, quick=quick, engine=engine)),
        )
        for case in ("fig8.2", "fig8.4", "fig8.5")
        for engine in ("loop", "batched")
    ]
    two_jobs = dict(case="fig8.2", quick=quick, engine="batched", jobs=2)
    rows.append(("fig8.2", "batched x2", runs("fig8.2"), (_figure, two_jobs)))
    # Example 8.4 runs on its agents' fast twins (the loop's numbers).
    ex84 = (_figure, dict(case="ex8.4", quick=quick))
    rows.append(("ex8.4", "fast twins", runs("ex8.4"), ex84))
    rows.append(("mpc-decision", "loop", 1, (_mpc_decision, b["mpc-decision"])))
    rows.append(("mpc-default", "loop", 1, (_mpc_default, b["mpc-default"])))
    for size in (10, 30, 100):
        work = (_open_grid, dict(size=size, **b["open-grid"]))
        rows.append((f"open-grid {size}x{size}", "loop", 1, work))
    for size in (10, 100, 300):
        work = (_open_grid, dict(size=size, fast=True, **b["open-grid"]))
        rows.append((f"open-grid {size}x{size}", "loop, fast", 1, work))
    # As wide as Figure 8.2's batch: 3 settings x 30 runs.
    rows.append(("floor", "bare numpy", 90, (_floor, b["floor"])))
    return rows


def _measure(work: Work) -> tuple[float, float, float]:
    function, kwargs = work
    seconds, done = _timed(lambda: function(**kwargs))
    return seconds, done, _peak_mib()


def _index_and_measure(
    item: tuple[int, Work],
) -> tuple[int, tuple[float, float, float]]:
    index, work = item
    return index, _measure(work)


def bench(
    *,
    quick: bool = False,
    jobs: int = 1,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[dict]:
    """Run every case; return one dict per row (see :func:`format_table`).

    Each case runs in a new process, so its peak memory is its own.
    ``progress(case, done, total)`` is called as each case finishes."""
    cases = _cases(quick)
    total = len(cases) + len(TARGETS) + 1
    # Cases that start processes of their own ("x2") run here, not in a worker.
    pooled = [(i, case[3]) for i, case in enumerate(cases) if "x2" not in case[1]]
    measured = {}

    def done(index: int, result: tuple[float, float, float]) -> None:
        measured[index] = result
        if progress is not None:
            case, engine = cases[index][:2]
            progress(f"{case} ({engine})", len(measured), total)

    with context().Pool(jobs, maxtasksperchild=1) as pool:  # never forks this one
        for index, result in pool.imap_unordered(_index_and_measure, pooled):
            done(index, result)
    for index, case in enumerate(cases):
        if index not in measured:
            done(index, _measure(case[3]))
    measured = [measured[index] for index in range(len(cases))]
    rows = []
    loop_seconds = {}
    for (case, engine, runs, _), (seconds, work, peak) in zip(
        cases, measured, strict=True
    ):
        if engine == "loop":
            loop_seconds[case] = seconds
        rows.append(
            {
                "case": case,
                "engine": engine,
                "runs": runs,
                "seconds": seconds,
                "backups_per_second": work / seconds if seconds > 0 else float("nan"),
                "speedup": (
                    loop_seconds[case] / seconds
                    if engine.startswith("batched") and case in loop_seconds
                    else None
                ),
                "peak_mib": peak,
                "target": None,
            }
        )
    rows += _cli_rows(quick, progress, len(cases), total)
    floor = next(row for row in rows if row["case"] == "floor")
    floor_per_loop = floor["runs"] / floor["backups_per_second"]
    rows.append(_tail(quick, floor_per_loop, floor["runs"]))
    if progress is not None:
        progress("lockstep tail", total, total)
    return rows


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table, plus the floor ratio."""
    header = (
        f"{'case':<18}{'engine':<12}{'runs':>5}{'wall s':>9}{'backups/s':>13}"
        f"{'speed-up':>10}{'peak MiB':>10}{'target s':>10}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        if row["case"] == "lockstep tail":
            continue
        speedup = f"{row['speedup']:.1f}x" if row["speedup"] else "-"
        target = row.get("target")
        if target is None:
            verdict = "-"
        else:
            verdict = f"{'ok' if row['seconds'] <= target else 'MISS'} {target:.1f}"
        rate = row["backups_per_second"]
        peak = row["peak_mib"]
        lines.append(
            f"{row['case']:<18}{row['engine']:<12}{row['runs']:>5}"
            f"{row['seconds']:>9.3f}"
            f"{'-' if rate != rate else f'{rate:,.0f}':>13}"
            f"{speedup:>10}{'-' if peak != peak else f'{peak:.0f}':>10}{verdict:>10}"
        )
    by = {(row["case"], row["engine"]): row for row in rows}
    if ("floor", "bare numpy") in by and ("fig8.2", "batched") in by:
        floor = by[("floor", "bare numpy")]["backups_per_second"]
        engine = by[("fig8.2", "batched")]["backups_per_second"]
        lines.append(
            f"floor: the batched engine does {engine / floor:.0%} of the backups per "
            "second of the bare backup loop on Figure 8.2"
        )
    tail = next((row for row in rows if row["case"] == "lockstep tail"), None)
    if tail is not None:
        share = 1 - tail["full_loops"] / tail["loops"] if tail["loops"] else 0.0
        explained = (
            tail["tail_seconds"] / tail["gap_seconds"]
            if tail["gap_seconds"] > 0
            else float("nan")
        )
        lines.append(
            f"lockstep tail: Figure 8.2 in one batch of {tail['runs']} runs took "
            f"{tail['seconds']:.2f} s, {tail['gap_seconds']:.2f} s more than the "
            f"floor would for its backups; {tail['loops']:,} planning loops, "
            f"{share:.0%} of their slots empty (runs done or planning nothing), "
            f"which at the floor's cost of a loop "
            f"({tail['floor_loop_seconds'] * 1e6:.1f} us, whatever its width) is "
            f"{tail['tail_seconds']:.2f} s ({explained:.0%} of the gap); "
            f"{tail['python_backups'] / max(tail['backups'], 1):.0%} of "
            "the backups made in plain Python, a run at a time, where a loop "
            "carries so few runs that this costs less than the loop; "
            f"{tail['skipped']:,} backups skipped as exact no-ops"
        )
    return "\n".join(lines)
