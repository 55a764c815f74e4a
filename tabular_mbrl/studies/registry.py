"""The registry of named experiments, and the one value that says how a study
runs (:class:`Run`): its runs, seed, engine, jobs, budget, progress and the
series to run.

A study is a function ``study(run, **settings) -> Study``: ``run`` is how it
runs, the settings what it measures. :func:`experiment` registers it under a
name, with its default number of runs, its quick budget and what it can
honour (engines, jobs), and gives it the keyword signature users call
(``studies.dyna_maze(n_runs=5, seed=1, n_episodes=20)``).
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._checks import check_callable, check_int
from .._processes import relayed
from ..experiments import ENGINES, Progress
from ..results import Study

#: What a study reports after each run of a setting: ``progress(setting, runs
#: done, runs in all)``.
StudyProgress = Callable[[str, int, int], None]


class UnknownSeries(ValueError):
    """``only=`` named a series the experiment does not have."""


class Refused(ValueError):
    """An experiment was asked for an engine or jobs it cannot honour."""


@dataclass(frozen=True)
class Run:
    """How a study runs, apart from what it measures: one value.

    Attributes
    ----------
    n_runs : int
        Independent runs per setting, >= 1.
    seed : int
        The master seed, >= 0: the same seed gives bit-identical results.
    engine : {"auto", "loop", "batched", "batched-per-run"}
        See :func:`~tabular_mbrl.run_episodes`.
    jobs : int
        Processes that run settings side by side, >= 1 (the same numbers).
    quick : bool
        Whether the study's quick budget applies (set by the registry).
    progress : callable, optional
        ``progress(setting, runs done, runs in all)``: each setting first
        with no run done, before any runs (:meth:`announce`), then after
        each run, or once when its batch is done.
    only : tuple of str, optional
        Run only these series (names, or the parts of names a command line
        split at their commas); see :meth:`series`.
    """

    n_runs: int = 1
    seed: int = 0
    engine: str = "auto"
    jobs: int = 1
    quick: bool = False
    progress: StudyProgress | None = None
    only: tuple[str, ...] | None = None
    _chosen: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_int("n_runs", self.n_runs, low=1)
        check_int("seed", self.seed, low=0)
        check_int("jobs", self.jobs, low=1)
        check_callable("progress", self.progress)
        if self.engine not in ENGINES:
            raise ValueError(
                f"engine == {self.engine!r}, must be one of {list(ENGINES)}"
            )
        only = self.only
        if only is not None:
            if isinstance(only, str) or not all(isinstance(n, str) for n in only):
                raise TypeError(f"only == {only!r}, must be a list of series names")
            object.__setattr__(self, "only", tuple(only))

    def __getstate__(self) -> dict[str, Any]:
        """Sent to a worker process (``jobs`` > 1), a Run reports its
        progress back to this one (:func:`~tabular_mbrl._processes.relayed`)."""
        return {**self.__dict__, "progress": relayed(self.progress)}

    def series(self, names: Sequence[str], *, announce: bool = True) -> list[str]:
        """Declare every series the study can give, before it runs anything;
        returns those to run (all, or those named by ``only``), announced as
        its settings (:meth:`announce`) unless ``announce`` is False: a
        study whose unit of work is not one series announces its own.

        Raises
        ------
        UnknownSeries
            If ``only`` names a series that is not among ``names``.
        """
        names = list(names)
        chosen = names
        if self.only is not None:
            wanted = _rejoin(self.only, set(names))
            if not wanted or wanted - set(names):
                missing = ", ".join(map(repr, sorted(wanted - set(names))))
                raise UnknownSeries(
                    f"no series {missing or 'named'}; known: "
                    f"{', '.join(sorted(set(names)))}"
                )
            self._chosen["names"] = wanted
            chosen = [name for name in names if name in wanted]
        if announce:
            self.announce(chosen)
        return chosen

    def announce(self, settings: Sequence[str]) -> None:
        """Say which settings the study will run, named as its progress names
        them, before it runs them: each is reported with no run done,
        ``progress(setting, 0, n_runs)``, so that a display can count them
        ("setting k of N")."""
        if self.progress is not None:
            for setting in settings:
                self.progress(setting, 0, self.n_runs)

    def wants(self, name: str) -> bool:
        """Whether the series ``name`` is to run (after :meth:`series`)."""
        return self.only is None or name in self._chosen.get("names", ())

    def reporter(self, setting: str) -> Progress | None:
        """The runners' ``progress(done, total)`` for one setting."""
        if self.progress is None:
            return None
        progress = self.progress
        return lambda done, total: progress(setting, done, total)


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


@dataclass(frozen=True)
class Experiment:
    """One entry of :data:`STUDIES`.

    Attributes
    ----------
    name : str
        What ``tabular-mbrl run NAME`` calls it.
    function : callable
        The study, with keywords: ``function(*, n_runs, seed, engine, jobs,
        quick, progress, only, **settings)``, returning a
        :class:`~tabular_mbrl.results.Study`.
    description : str
        One line, for ``tabular-mbrl list``.
    quick : mapping
        The reduced budget that ``quick=True`` (``run NAME --quick``) applies:
        the one place it is defined.
    group : {"book", "beyond"}
        Sutton & Barto's chapter 8, or the experiments beyond the book.
    engines : tuple of str
        The engines it can honour besides ``"auto"``.
    parallel : bool
        Whether ``jobs > 1`` runs some of it side by side.
    """

    name: str
    function: Callable[..., Study]
    description: str
    quick: Mapping[str, Any]
    group: str
    engines: tuple[str, ...]
    parallel: bool

    @property
    def batched(self) -> bool:
        """Whether some of its settings can run on the batched engine."""
        return "batched" in self.engines

    def check(self, *, engine: str = "auto", jobs: int = 1) -> None:
        """Refuse an engine or jobs this experiment cannot honour.

        Raises
        ------
        Refused
            Naming what it can honour instead.
        """
        if engine != "auto" and engine not in self.engines:
            raise Refused(
                f"experiment {self.name!r} cannot run on engine == {engine!r}; it "
                f"runs on {', '.join(map(repr, ('auto', *self.engines)))}"
            )
        if jobs > 1 and not self.parallel:
            raise Refused(
                f"experiment {self.name!r} runs in one process: jobs == {jobs}, "
                f"must be 1"
            )


#: name -> :class:`Experiment`, the book's first, in the order ``list`` shows.
STUDIES: dict[str, Experiment] = {}

#: Where each experiment's (and lecture's) time at its defaults is stored,
#: measured as whole processes by ``docs/update_timings.py``.
TIMINGS = Path(__file__).with_name("timings.json")


@functools.cache
def timings() -> dict[str, Any]:
    """The stored timings: ``{"machine": str, "experiments": {name: s},
    "lectures": {script: s}}``, seconds of wall time at the defaults; empty
    where the file is missing or unreadable."""
    try:
        return json.loads(TIMINGS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def expected_seconds(name: str) -> float | None:
    """The experiment's stored time at its defaults, if measured."""
    seconds = timings().get("experiments", {}).get(name)
    return float(seconds) if isinstance(seconds, int | float) else None


#: The keywords of :class:`Run` that a registered study takes.
RUN_KEYWORDS = tuple(f.name for f in fields(Run) if not f.name.startswith("_"))

#: The engines of a study that runs on the per-run agents only.
LOOP_ONLY = ("loop",)
#: ... and of one whose settings the batched engine can run.
ANY_ENGINE = ("loop", "batched", "batched-per-run")


def experiment(
    name: str,
    description: str,
    *,
    runs: int,
    quick: dict[str, Any],
    group: str,
    engines: tuple[str, ...] = ANY_ENGINE,
    parallel: bool = True,
) -> Callable[[Callable[..., Study]], Callable[..., Study]]:
    """Register ``study(run, **settings)`` under ``name``.

    The registered function takes keywords: the fields of :class:`Run`
    (``n_runs`` defaulting to ``runs``) and the study's settings. With
    ``quick=True`` the ``quick`` budget replaces the defaults it names
    (explicit keywords still win). It refuses an engine it cannot honour
    (not in ``engines``, or ``"auto"``) and, unless ``parallel``, ``jobs >
    1``, with a ValueError; with ``only``, it returns the series named.
    """

    def register(function: Callable[..., Study]) -> Callable[..., Study]:
        budget = MappingProxyType(dict(quick))

        @functools.wraps(function)
        def study(**kwargs: Any) -> Study:
            quick = kwargs.get("quick", False)
            if not isinstance(quick, bool):
                raise TypeError(
                    f"quick must be a bool, got {type(quick).__name__} {quick!r}"
                )
            if quick:
                kwargs = {**budget, **kwargs}
            given = {key: kwargs.pop(key) for key in RUN_KEYWORDS if key in kwargs}
            run = Run(**{"n_runs": runs, **given})
            STUDIES[name].check(engine=run.engine, jobs=run.jobs)
            try:
                result = function(run, **kwargs)
            except UnknownSeries as error:
                raise UnknownSeries(f"experiment {name!r} has {error}") from None
            if run.only is None:
                return result
            if "names" not in run._chosen:
                raise RuntimeError(f"study {name!r} did not declare its series")
            kept = [s for s in result.series if run.wants(s.name)]
            return replace(result, series=kept)

        signature = inspect.signature(function)
        keywords = [
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=runs if f.name == "n_runs" else f.default,
                annotation=f.type,
            )
            for f in fields(Run)
            if not f.name.startswith("_")
        ]
        settings = list(signature.parameters.values())[1:]  # after run
        study.__signature__ = signature.replace(parameters=[*keywords, *settings])
        STUDIES[name] = Experiment(
            name, study, description, budget, group, tuple(engines), parallel
        )
        return study

    return register
