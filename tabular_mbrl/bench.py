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
from .dyna_q_plus import DynaQPlusAgent
from .experiments import run_episodes, run_steps
from .mpc import random_shooting

#: Full and quick budgets per case.
BUDGETS = {
    "fig8.2": {
        "full": dict(n_runs=30, n_episodes=50),
        "quick": dict(n_runs=3, n_episodes=5),
    },
    "fig8.4": {
        "full": dict(n_runs=20, n_steps=3000),
        "quick": dict(n_runs=2, n_steps=300),
    },
    "fig8.5": {
        "full": dict(n_runs=20, n_steps=6000),
        "quick": dict(n_runs=2, n_steps=300),
    },
    "ex8.4": {
        "full": dict(n_runs=5, scales=(1, 2, 3)),
        "quick": dict(n_runs=1, scales=(1,)),
    },
    "mpc-decision": {"full": dict(repeats=200), "quick": dict(repeats=10)},
    "open-grid": {"full": dict(n_steps=2000), "quick": dict(n_steps=100)},
    "floor": {"full": dict(n_backups=20_000), "quick": dict(n_backups=500)},
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


def _fig_8_2(engine: str, n_runs: int, n_episodes: int) -> float:
    work = 0.0
    for n in (0, 5, 50):
        results = run_episodes(
            lambda: gridworlds.make("dyna_maze"),
            lambda env, rng, n=n: DynaQAgent(
                env.n_states, env.n_actions, n_planning_steps=n, rng=rng
            ),
            n_episodes=n_episodes,
            n_runs=n_runs,
            seed=0,
            engine=engine,
        )
        work += results.steps.sum() + results.planning_updates.sum()
    return float(work)


def _changing(engine: str, maze: str, n: int, kappa: float, n_runs: int, n_steps: int):
    work = 0.0
    for plus in (False, True):
        extra = {"kappa": kappa} if plus else {}
        cls = DynaQPlusAgent if plus else DynaQAgent
        results = run_steps(
            lambda: gridworlds.make(maze),
            lambda env, rng, cls=cls, extra=extra: cls(
                env.n_states,
                env.n_actions,
                n_planning_steps=n,
                alpha=1.0,
                rng=rng,
                **extra,
            ),
            n_steps=n_steps,
            n_runs=n_runs,
            seed=0,
            engine=engine,
        )
        work += n_runs * n_steps + results.planning_updates[:, -1].sum()
    return work


def _fig_8_2_two_jobs(n_runs: int, n_episodes: int) -> float:
    """Figure 8.2 with its three settings spread over two processes."""
    from .studies import dyna_maze

    study = dyna_maze(n_runs=n_runs, n_episodes=n_episodes, engine="batched", jobs=2)
    return float(
        sum(s.values.sum() + s.n_runs * s.planning_updates for s in study.series)
    )


def _ex_8_4(n_runs: int, scales: tuple[int, ...]) -> float:
    from .studies import prioritized_sweeping

    study = prioritized_sweeping(n_runs=n_runs, scales=scales)
    return float(sum(np.nansum(series.values) for series in study.series))


def _mpc_decision(repeats: int) -> float:
    model = gridworlds.make("dyna_maze").model()
    rng = np.random.default_rng(0)
    for _ in range(repeats):
        random_shooting(model, 18, horizon=20, n_candidates=1000, gamma=0.95, rng=rng)
    return float(repeats * 1000 * 20)


def _open_grid(n_steps: int, size: int) -> float:
    env = gridworlds.make("open_grid", rows=size, cols=size)
    agent = DynaQAgent(env.n_states, env.n_actions, n_planning_steps=50, rng=0)
    env.reset(seed=0)
    state = env.start_state
    for _ in range(n_steps):
        action = agent.select_action(state)
        next_state, reward, terminated, truncated, _ = env.step(action)
        agent.update(state, action, reward, next_state, terminated)
        state = env.reset()[0] if terminated or truncated else next_state
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


def _cases(quick: bool) -> list[tuple[str, str, int, Callable[[], float]]]:
    """(case, engine, runs, work function) rows, in report order."""
    b = {case: budget["quick" if quick else "full"] for case, budget in BUDGETS.items()}
    figures = {
        "fig8.2": lambda e: _fig_8_2(e, **b["fig8.2"]),
        "fig8.4": lambda e: _changing(e, "blocking_maze", 10, 1e-4, **b["fig8.4"]),
        "fig8.5": lambda e: _changing(e, "shortcut_maze", 50, 1e-3, **b["fig8.5"]),
    }
    rows = [
        (case, engine, b[case]["n_runs"], lambda f=figure, e=engine: f(e))
        for case, figure in figures.items()
        for engine in ("loop", "batched")
    ]
    rows.append(
        (
            "fig8.2",
            "batched x2",
            b["fig8.2"]["n_runs"],
            lambda: _fig_8_2_two_jobs(**b["fig8.2"]),
        )
    )
    rows.append(("ex8.4", "loop", b["ex8.4"]["n_runs"], lambda: _ex_8_4(**b["ex8.4"])))
    rows.append(("mpc-decision", "loop", 1, lambda: _mpc_decision(**b["mpc-decision"])))
    for size in (10, 30, 100):
        rows.append(
            (
                f"open-grid {size}x{size}",
                "loop",
                1,
                lambda s=size: _open_grid(size=s, **b["open-grid"]),
            )
        )
    rows.append(("floor", "bare numpy", 30, lambda: _floor(**b["floor"])))
    return rows


_WORK: list[Callable[[], float]] = []


def _measure(index: int) -> tuple[float, float, float]:
    seconds, work = _timed(_WORK[index])
    return seconds, work, _peak_mib()


def bench(*, quick: bool = False, jobs: int = 1) -> list[dict]:
    """Run every case; return one dict per row (see :func:`format_table`)."""
    cases = _cases(quick)
    _WORK[:] = [work for *_, work in cases]
    # Cases that start processes of their own ("x2") run here, not in a worker.
    pooled = [i for i, case in enumerate(cases) if "x2" not in case[1]]
    measured = {}
    try:
        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            # A new process per case: each peak memory is that case's alone.
            with context.Pool(jobs, maxtasksperchild=1) as pool:
                measured.update(
                    zip(pooled, pool.map(_measure, pooled, chunksize=1), strict=True)
                )
        for index in range(len(cases)):
            if index not in measured:
                measured[index] = _measure(index)
    finally:
        _WORK.clear()
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
