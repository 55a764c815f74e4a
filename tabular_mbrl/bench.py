"""``python -m tabular_mbrl bench``: how fast the book's figures run.

Each case is timed in a fresh process (so its peak memory is its own), on the
loop engine (the per-run agents) and, where the agents allow it, on the batched
engine. Numbers are wall-clock seconds on this machine; ``--jobs N`` runs cases
side by side, which is faster in total but makes each case's time noisier.

Backups count every Q update: one per real step for agents that learn from
real steps directly, plus every planning backup. For MPC the rate is model
transitions simulated per second.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable

import numpy as np

import gridworlds

from .dyna_q import DynaQAgent
from .experiments import interact
from .mpc import random_shooting
from .studies import BOOK, STUDIES

#: Runs per case with ``--quick``; the figures' other quick settings are their
#: experiments' own quick budgets (``STUDIES[name].quick``), and the full
#: budgets are the book's (``BOOK``).
QUICK_RUNS = 1

#: Full and quick budgets of the cases that are not the book's figures.
BUDGETS = {
    "mpc-decision": {"full": dict(repeats=200), "quick": dict(repeats=10)},
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


def _open_grid(n_steps: int, size: int) -> float:
    env = gridworlds.make("open_grid", rows=size, cols=size)
    agent = DynaQAgent(env.n_states, env.n_actions, n_planning_steps=50, rng=0)
    steps = interact(env, agent, env.reset(seed=0)[0])
    for _ in range(n_steps):
        next(steps)
    return float(n_steps * 51)


def _floor(n_backups: int, n_runs: int = 30) -> float:
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
    process (forkserver or spawn) can run it."""
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
    rows.append(
        ("ex8.4", "loop", runs("ex8.4"), (_figure, dict(case="ex8.4", quick=quick)))
    )
    rows.append(("mpc-decision", "loop", 1, (_mpc_decision, b["mpc-decision"])))
    for size in (10, 30, 100):
        work = (_open_grid, dict(size=size, **b["open-grid"]))
        rows.append((f"open-grid {size}x{size}", "loop", 1, work))
    rows.append(("floor", "bare numpy", 30, (_floor, b["floor"])))
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


def _context() -> multiprocessing.context.BaseContext:
    """Fresh processes without forking this one (which may run threads):
    forkserver where there is one, else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # import once, in the server
    return context


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
    # Cases that start processes of their own ("x2") run here, not in a worker.
    pooled = [(i, case[3]) for i, case in enumerate(cases) if "x2" not in case[1]]
    measured = {}

    def done(index: int, result: tuple[float, float, float]) -> None:
        measured[index] = result
        if progress is not None:
            case, engine = cases[index][:2]
            progress(f"{case} ({engine})", len(measured), len(cases))

    with _context().Pool(jobs, maxtasksperchild=1) as pool:
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
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table, plus the floor ratio."""
    header = (
        f"{'case':<18}{'engine':<12}{'runs':>5}{'wall s':>9}{'backups/s':>13}"
        f"{'speed-up':>10}{'peak MiB':>10}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        speedup = f"{row['speedup']:.1f}x" if row["speedup"] else "-"
        lines.append(
            f"{row['case']:<18}{row['engine']:<12}{row['runs']:>5}"
            f"{row['seconds']:>9.3f}{row['backups_per_second']:>13,.0f}"
            f"{speedup:>10}{row['peak_mib']:>10.0f}"
        )
    by = {(row["case"], row["engine"]): row for row in rows}
    if ("floor", "bare numpy") in by and ("fig8.2", "batched") in by:
        floor = by[("floor", "bare numpy")]["backups_per_second"]
        engine = by[("fig8.2", "batched")]["backups_per_second"]
        lines.append(
            f"floor: the batched engine does {engine / floor:.0%} of the backups per "
            "second of the bare backup loop on Figure 8.2"
        )
    return "\n".join(lines)
