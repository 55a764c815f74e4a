"""How the studies run their settings: side by side in processes, or handed to
the runners together so that the batched engine fuses what it can."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from .._checks import check_int
from .._processes import in_processes
from ..batched import unsupported
from ..experiments import run_episodes
from ..results import FINAL_EPISODES, Series, work_per_step
from ..spec import AgentSpec
from .registry import Run


def in_parallel(tasks: list[Callable[[], Any]], jobs: int = 1) -> list:
    """``[task() for task in tasks]``, in up to ``jobs`` processes.

    Each setting of an experiment is independent (its own seeded runs), so the
    results are the same whatever ``jobs`` is. The workers are never forked
    from this process (:mod:`tabular_mbrl._processes`): with ``jobs`` > 1 each
    task is pickled, so it is a module-level function or a
    ``functools.partial`` of one, with picklable arguments; a :class:`Run`
    among them reports its progress back here.
    """
    jobs = check_int("jobs", jobs, low=1)
    if jobs == 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    return in_processes(tasks, jobs)


def engine_for(spec: AgentSpec, engine: str) -> str:
    """``engine``, except that a setting the batched engine cannot run
    (prioritized sweeping; a counted model on per-run streams) runs on the
    loop when a study asks for ``"batched"`` or ``"batched-per-run"``."""
    if engine not in ("batched", "batched-per-run"):
        return engine
    streams = "per-run" if engine == "batched-per-run" else "batch"
    return "loop" if unsupported(spec, streams) else engine


def run_settings(
    runner: Callable[..., Any],
    specs: list[AgentSpec],
    env_factory: Callable[[], Any],
    run: Run,
    *,
    series: bool = True,
    jobs: int | None = None,
    progress: Any = None,
    **kwargs: Any,
) -> list:
    """``runner(env_factory, spec, ...)`` (``run_episodes`` or ``run_steps``)
    for each spec, with ``run``'s runs, seed and engine, in the order given;
    None for a spec that ``run.only`` leaves out. ``series=False`` says the
    specs' labels are not the study's series names (``only`` then does not
    apply here). ``jobs`` (default ``run.jobs``) and ``progress`` (default
    ``run.progress``) may be narrowed by the caller.

    With ``jobs`` > 1 the settings run in parallel processes, one each. With
    one job they are handed to the runner together, so that the settings the
    batched engine can run share one batch; the others (prioritized
    sweeping) run on the loop."""
    jobs = run.jobs if jobs is None else jobs
    progress = run.progress if progress is None else progress
    kwargs = {"n_runs": run.n_runs, "seed": run.seed, **kwargs}
    chosen = [spec if not series or run.wants(spec.label) else None for spec in specs]

    def report(label: str):
        if progress is None:
            return None
        return lambda done, total: progress(label, done, total)

    if jobs > 1 and len(specs) > 1:
        # One process per setting, each sent this call's progress in its run.
        narrowed = dataclasses.replace(run, progress=progress)
        tasks = [
            partial(_one_setting, runner, env_factory, spec, narrowed, kwargs)
            for spec in chosen
            if spec is not None
        ]
        results = iter(in_parallel(tasks, jobs))
        return [None if spec is None else next(results) for spec in chosen]
    results: list[Any] = [None] * len(specs)
    batchable = [
        i
        for i, spec in enumerate(chosen)
        if spec is not None and engine_for(spec, run.engine) != "loop"
    ]
    if batchable:  # together; each setting says it is done when its batch is
        out = runner(
            env_factory, [chosen[i] for i in batchable], engine=run.engine, **kwargs
        )
        for i, result in zip(batchable, out, strict=True):
            results[i] = result
            if progress is not None:
                progress(chosen[i].label, run.n_runs, run.n_runs)
    for i, spec in enumerate(chosen):  # the loop's settings, run by run
        if results[i] is None and spec is not None:
            results[i] = runner(
                env_factory, spec, engine="loop", progress=report(spec.label), **kwargs
            )
    return results


def _one_setting(
    runner: Callable[..., Any],
    env_factory: Callable[[], Any],
    spec: AgentSpec,
    run: Run,
    kwargs: dict[str, Any],
) -> Any:
    """One setting of :func:`run_settings`, in a worker process."""
    return runner(
        env_factory,
        spec,
        engine=engine_for(spec, run.engine),
        progress=run.reporter(spec.label),
        **kwargs,
    )


def episode_settings(
    specs: list[AgentSpec],
    env_factory: Callable[[], Any],
    run: Run,
    *,
    n_episodes: int,
    **kwargs: Any,
) -> list[Series]:
    """Steps per episode of each setting, with its convergence (every run
    kept: k/N and a censored median), first and final episodes, planning
    cost and model work per real step, in the order given (see :func:`run_settings`)."""
    results = run_settings(
        run_episodes, specs, env_factory, run, n_episodes=n_episodes, **kwargs
    )
    return [
        Series(
            spec.label,
            np.arange(1, n_episodes + 1),
            result.steps,
            convergence=result.convergence(),
            planning_updates=float(result.planning_updates.sum(axis=1).mean()),
            model_work_per_step=work_per_step(
                result.planning_updates.sum(axis=1), result.steps.sum(axis=1)
            ),
            first_episode=float(result.steps[:, 0].mean()),
            final_episodes=float(result.steps[:, -FINAL_EPISODES:].mean()),
        )
        for spec, result in zip(specs, results, strict=True)
        if result is not None
    ]
