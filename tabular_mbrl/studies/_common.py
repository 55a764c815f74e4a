"""The registry of named experiments, and what several of them share."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .._checks import check_int
from ..agents.mpc import RandomShootingAgent
from ..batched import unsupported
from ..experiments import ENGINES, Progress, run_episodes
from ..results import FINAL_EPISODES, Series, Study
from ..spec import AgentSpec


@dataclass(frozen=True)
class Experiment:
    """One entry of :data:`STUDIES`.

    Attributes
    ----------
    name : str
        What ``tabular-mbrl run NAME`` calls it.
    function : callable
        ``function(*, n_runs, seed, engine, jobs, quick, progress, ...)``,
        returning a :class:`~tabular_mbrl.results.Study`.
    description : str
        One line, for ``tabular-mbrl list``.
    quick : mapping
        The reduced budget that ``quick=True`` (``run NAME --quick``) applies:
        the one place it is defined.
    group : {"book", "beyond"}
        Sutton & Barto's chapter 8, or the experiments beyond the book.
    batched : bool
        Whether some of its settings can run on the batched engine.
    """

    name: str
    function: Callable[..., Study]
    description: str
    quick: Mapping[str, Any]
    group: str
    batched: bool


#: What a study reports after each run of a setting: ``progress(setting, runs
#: done, runs in all)``.
StudyProgress = Callable[[str, int, int], None]


def named(progress: StudyProgress | None, setting: str) -> Progress | None:
    """The runners' ``progress(done, total)`` for one setting of a study."""
    if progress is None:
        return None
    return lambda done, total: progress(setting, done, total)


#: name -> :class:`Experiment`, the book's first, in the order ``list`` shows.
STUDIES: dict[str, Experiment] = {}


class UnknownSeries(ValueError):
    """``only=`` named a series the experiment does not have."""


def _unknown(name: str, wanted: frozenset[str], known: set[str]) -> UnknownSeries:
    missing = ", ".join(map(repr, sorted(wanted - known))) or "named"
    return UnknownSeries(
        f"experiment {name!r} has no series {missing}; "
        f"known: {', '.join(sorted(known))}"
    )


#: While a study runs with ``only=``: the series to run, every series name
#: the study's settings had (for the error on an unknown one), and whether
#: this is the probe that only collects names.
_ONLY: ContextVar[tuple[frozenset[str], set[str], bool] | None] = ContextVar(
    "only", default=None
)


def _rejoin(parts: Sequence[str], known: set[str]) -> frozenset[str]:
    """The names in ``parts``, where a name with commas in it (``Dyna-Q,
    told``) that a command line split at its commas is joined back: the
    longest run of consecutive parts that, joined by ", ", is a known name."""
    names, i = set(), 0
    while i < len(parts):
        j = next(
            (
                j
                for j in range(len(parts), i + 1, -1)
                if ", ".join(p.strip() for p in parts[i:j]) in known
            ),
            i + 1,
        )
        names.add(", ".join(p.strip() for p in parts[i:j]) if j > i + 1 else parts[i])
        i = j
    return frozenset(names)


def _only(name: str, run: Callable[..., Study], only, kwargs) -> Study:
    """Run the study with only the series named in ``only``: settings
    handed to :func:`run_settings` that are not named are not run at all, and
    the study keeps the named series."""
    if isinstance(only, str) or not all(isinstance(n, str) for n in only):
        raise TypeError(f"only == {only!r}, must be a list of series names")
    wanted, seen = frozenset(only), set()
    if not wanted:
        raise _unknown(name, wanted, seen)

    def attempt(probe: bool) -> Study | None:
        token = _ONLY.set((wanted, seen, probe))
        try:
            return run(**kwargs)
        except Exception:
            if probe:  # a study that cannot build a figure from nothing
                return None
            raise
        finally:
            _ONLY.reset(token)

    # First a probe, in which run_settings records the names of the settings
    # and runs none: an unknown name is an error before anything runs. A
    # study that runs no settings through run_settings finishes in the probe,
    # and that is its result.
    study = attempt(probe=True)
    if seen:
        wanted = _rejoin(only, seen)
        if wanted - seen:
            raise _unknown(name, wanted, seen)
        study = attempt(probe=False)
    known = seen | {series.name for series in study.series}
    wanted = _rejoin(only, known)
    if wanted - known:
        raise _unknown(name, wanted, known)
    kept = [series for series in study.series if series.name in wanted]
    return dataclasses.replace(study, series=kept)


def experiment(
    name: str,
    description: str,
    *,
    quick: dict[str, Any],
    group: str,
    batched: bool,
) -> Callable[[Callable[..., Study]], Callable[..., Study]]:
    """Register a study function under ``name``.

    The function takes its settings as keywords, among them ``n_runs``,
    ``seed``, ``progress``, ``engine`` and ``jobs``. Registering adds one more,
    ``quick``: with ``quick=True`` the ``quick`` budget replaces the defaults
    it names (explicit keywords still win). A study that cannot batch
    (``batched=False``) refuses ``engine="batched"`` with a ValueError.
    """

    def register(function: Callable[..., Study]) -> Callable[..., Study]:
        @functools.wraps(function)
        def run(
            *, quick: bool = False, only: Sequence[str] | None = None, **kwargs: Any
        ) -> Study:
            if quick:
                kwargs = {**budget, **kwargs}
            if only is not None:
                return _only(name, run, only, kwargs)
            engine = kwargs.get("engine", "auto")
            if engine not in ENGINES:
                raise ValueError(
                    f"engine == {engine!r}, must be one of {list(ENGINES)}"
                )
            if not batched and engine in ("batched", "batched-per-run"):
                raise ValueError(
                    f"experiment {name!r} runs on the loop engine only, "
                    f"not engine == {engine!r}"
                )
            return function(**kwargs)

        budget = MappingProxyType(dict(quick))
        signature = inspect.signature(function)
        extra = [
            inspect.Parameter(
                "quick", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=bool
            ),
            inspect.Parameter(
                "only",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation="Sequence[str] | None",
            ),
        ]
        run.__signature__ = signature.replace(
            parameters=[*signature.parameters.values(), *extra]
        )
        STUDIES[name] = Experiment(name, run, description, budget, group, batched)
        return run

    return register


#: The package's standard MPC agent, used wherever an experiment says "MPC":
#: the class defaults, spelled out. Random shooting on a learned deterministic
#: model, optimism for unknown pairs (``unknown_value=1.0``), value-iteration
#: terminal values, and 64 candidates at horizon 3: every sequence, scored
#: without sampling noise (sampled candidates can miss every best sequence,
#: and the policy strays from a path it knows).
STANDARD_MPC = AgentSpec(
    RandomShootingAgent,
    horizon=3,
    n_candidates=64,  # = 4 ** 3: every sequence, no decision noise
    terminal_value="value_iteration",
    label="MPC",
)


# -- running settings -------------------------------------------------------------
_TASKS: list[Callable] = []  # what forked workers run, by index


def _run_task(index: int) -> Any:
    return _TASKS[index]()


def in_parallel(tasks: list[Callable[[], Any]], jobs: int = 1) -> list:
    """``[task() for task in tasks]``, in up to ``jobs`` processes.

    Each setting of an experiment is independent (its own seeded runs), so the
    results are the same whatever ``jobs`` is. Workers are forked, so tasks may
    be closures; where fork is unavailable the tasks run here, one by one.
    """
    jobs = check_int("jobs", jobs, low=1)
    if (
        jobs == 1
        or len(tasks) == 1
        or _ONLY.get() is not None  # only= records the names it sees, here
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return [task() for task in tasks]
    _TASKS[:] = tasks
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(jobs, len(tasks))) as pool:
            return pool.map(_run_task, range(len(tasks)))
    finally:
        _TASKS.clear()


def engine_for(spec: AgentSpec, engine: str) -> str:
    """``engine``, except that a setting the batched engine cannot run (MPC,
    prioritized sweeping) runs on the loop when a study asks for ``"batched"``."""
    return "loop" if engine == "batched" and unsupported(spec) else engine


def run_settings(
    runner: Callable[..., Any],
    specs: list[AgentSpec],
    env_factory: Callable[[], Any],
    *,
    jobs: int,
    engine: str,
    progress: StudyProgress | None,
    series: bool = True,
    **kwargs: Any,
) -> list:
    """``runner(env_factory, spec, ...)`` (``run_episodes`` or ``run_steps``)
    for each spec, in the order given; None for a spec that ``only=`` (see
    :func:`experiment`) leaves out. ``series=False`` says the specs' labels
    are not the study's series names (``only=`` then does not apply here).

    With ``jobs`` > 1 the settings run in parallel processes, one each. With
    one job they are handed to the runner together, so that the settings the
    batched engine can run share one batch; the others (MPC, prioritized
    sweeping) run on the loop."""
    if jobs > 1 and len(specs) > 1 and (_ONLY.get() is None or not series):
        return in_parallel(
            [
                lambda spec=spec: runner(
                    env_factory,
                    spec,
                    engine=engine_for(spec, engine),
                    progress=named(progress, spec.label),
                    **kwargs,
                )
                for spec in specs
            ],
            jobs,
        )
    results: list[Any] = [None] * len(specs)
    only = _ONLY.get() if series else None
    if only is not None:  # run only the series named; the rest stay None
        wanted, seen, probe = only
        seen.update(spec.label for spec in specs)
        if probe:  # names only
            return [None] * len(specs)
        specs = [spec if spec.label in wanted else None for spec in specs]
    batchable = [
        i
        for i, spec in enumerate(specs)
        if spec is not None and engine_for(spec, engine) != "loop"
    ]
    if batchable:  # together; each setting says it is done when its batch is
        out = runner(
            env_factory, [specs[i] for i in batchable], engine=engine, **kwargs
        )
        for i, result in zip(batchable, out, strict=True):
            results[i] = result
            if progress is not None:
                progress(specs[i].label, kwargs["n_runs"], kwargs["n_runs"])
    for i, spec in enumerate(specs):  # the loop's settings, run by run
        if results[i] is None and spec is not None:
            results[i] = runner(
                env_factory,
                spec,
                engine="loop",
                progress=named(progress, spec.label),
                **kwargs,
            )
    return results


def episode_settings(
    specs: list[AgentSpec],
    env_factory: Callable[[], Any],
    *,
    n_episodes: int,
    jobs: int = 1,
    **kwargs: Any,
) -> list[Series]:
    """Steps per episode of each setting, with its convergence (every run
    kept: k/N and a censored median), first and final episodes and planning
    cost, in the order given (see :func:`run_settings`)."""
    results = run_settings(
        run_episodes, specs, env_factory, jobs=jobs, n_episodes=n_episodes, **kwargs
    )
    return [
        Series(
            spec.label,
            np.arange(1, n_episodes + 1),
            result.steps,
            convergence=result.convergence(),
            planning_updates=float(result.planning_updates.sum(axis=1).mean()),
            first_episode=float(result.steps[:, 0].mean()),
            final_episodes=float(result.steps[:, -FINAL_EPISODES:].mean()),
        )
        for spec, result in zip(specs, results, strict=True)
        if result is not None
    ]
