"""The lockstep engine: many independent runs of an agent at once, as NumPy
arrays, picked by ``engine=`` in :func:`~tabular_mbrl.run_episodes` and
:func:`~tabular_mbrl.run_steps`.

Each agent of :mod:`tabular_mbrl.agents` that the engine can run has a *twin*
here: the same algorithm, computed for every run of a batch at once. The
agent is the reference and the public face; its twin is what makes 30 seeds
cost little more than one. :data:`TWINS` is the one table from agent class to
twin class, and every caller asks it.

========================  ===========================================
module                    what it holds
========================  ===========================================
:mod:`.streams`           random streams, one per setting of a batch
:mod:`.settings`          what a batch reads from its specs (agents' checks)
:mod:`.kernels`           the formulas, each once, in array form
:mod:`.maze`              the environments of every run, stepped at once
:mod:`.dyna_q`            :class:`BatchedDynaQ` (Q-learning, Dyna-Q, Dyna-Q+)
:mod:`.replay`            :class:`BatchedReplayQ`
:mod:`.rollouts`          :class:`BatchedRolloutQ`
:mod:`.mpc`               :class:`BatchedMPC`
:mod:`.loops`             the agent-environment loop of a batch
========================  ===========================================

A twin runs exactly the algorithm it was given, or nothing: a subclass of an
agent batches only when it overrides no method of that agent (see
:func:`unsupported`), and a twin takes its settings from one agent built from
the spec, so every value the agent refuses is refused here too, with the
agent's own message. Each twin builds itself from specs (``from_specs``),
names its fusion key (``fusion_key``: settings with equal keys share a batch)
and says what it cannot run (``unsupported``, ``unsupported_maze``).
``tests/test_twins.py`` checks every row of :data:`TWINS` against its agent:
bit for bit with one Generator per run (``engine="batched-per-run"``) on a
maze without slip, and within 4 standard errors on Figure 8.2's setting with
one stream per setting (``engine="batched"``). A twin joins the table by one
row here, and passes that contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..agents import (
    DynaQAgent,
    DynaQPlusAgent,
    QLearningAgent,
    RandomShootingAgent,
    ReplayQAgent,
    RolloutQAgent,
)
from ..spec import AgentSpec
from . import kernels
from .dyna_q import BatchedDynaQ
from .loops import random_walks, run_episodes_batched, run_steps_batched, walk_counts
from .maze import VectorMaze
from .mpc import BatchedMPC
from .replay import BatchedReplayQ
from .rollouts import BatchedRolloutQ
from .streams import Streams

#: Agent class -> its twin. A subclass of an agent here batches with the
#: agent's twin if it overrides none of the agent's methods.
TWINS: dict[type, type] = {
    QLearningAgent: BatchedDynaQ,
    DynaQAgent: BatchedDynaQ,
    DynaQPlusAgent: BatchedDynaQ,
    ReplayQAgent: BatchedReplayQ,
    RolloutQAgent: BatchedRolloutQ,
    RandomShootingAgent: BatchedMPC,
}

STREAMS = ("batch", "per-run")


def agent_of(agent_class: type) -> type | None:
    """The nearest class of ``agent_class``'s ancestry that has a twin."""
    return next((c for c in agent_class.__mro__ if c in TWINS), None)


#: What the runners call on an agent besides ``select_action`` and
#: ``update``: a subclass that adds one changes what runs.
CALLED_BY_RUNNERS = ("tell", "plan_action")


def overridden(agent_class: type, base: type) -> str:
    """How ``agent_class`` (a subclass of ``base``) changes ``base``'s
    algorithm, e.g. ``"overrides select_action() of DynaQAgent"``, or ``''``.

    Any method of ``base`` it overrides counts, public, private or special,
    then any attribute (``direct_rl``), then a method the runners call that
    ``base`` lacks (``tell``): the twin runs ``base``'s algorithm, and
    nothing else may change it. A method of its own that nothing calls
    changes nothing."""
    own: dict[str, object] = {}
    for klass in reversed(agent_class.__mro__[: agent_class.__mro__.index(base)]):
        own.update(vars(klass))
    changed = [
        name
        for name in own
        if hasattr(base, name)
        and not (name.startswith("__") and not callable(getattr(base, name)))
    ]  # not __doc__, __module__, __dict__ ...
    methods = [name for name in changed if callable(getattr(base, name))]
    if methods:
        return f"overrides {methods[0]}() of {base.__name__}"
    if changed:
        return f"overrides {changed[0]} of {base.__name__}"
    added = [name for name in CALLED_BY_RUNNERS if name in own]
    if added:
        return f"adds {added[0]}() to {base.__name__}"
    return ""


def unsupported(spec: AgentSpec, streams: str = "batch") -> str:
    """Why the engine cannot run ``spec`` (a one-line reason), or ``''``."""
    cls = spec.agent_class
    base = agent_of(cls)
    names = ", ".join(c.__name__ for c in TWINS)
    if base is None:
        return f"it runs {names}, not {cls.__name__}"
    changed = overridden(cls, base)
    if changed:
        return f"it runs {names}, not {cls.__name__}, which {changed}"
    return TWINS[base].unsupported(spec, streams)


def fusion_key(spec: AgentSpec, streams: str = "batch") -> tuple | None:
    """Specs with the same key share one batch (None: the engine cannot run
    this spec). The twin names the key: Q-learning, Dyna-Q and Dyna-Q+
    settings with as many planning steps share one; an MPC or a replay
    setting only with equal ones."""
    if unsupported(spec, streams):
        return None
    twin = TWINS[agent_of(spec.agent_class)]
    return twin, twin.fusion_key(spec)


def prepare(
    specs: AgentSpec | list[AgentSpec],
    env_factory: Callable[[], object],
    *,
    n_runs: int,
    agent_seeds: list[np.random.SeedSequence],
    streams: str,
    seed_sequence: np.random.SeedSequence,
) -> tuple[Any, VectorMaze, Streams] | str:
    """The twin, the vector env and the env's outcome stream for ``n_runs``
    runs of each of ``specs``, in one batch (the runs of ``specs[0]`` first),
    or a one-line reason why they cannot be batched.

    ``agent_seeds`` are the runs' own agent streams, which
    ``streams="per-run"`` draws from (each setting's run ``i`` from the same
    one, as on the loop); ``seed_sequence`` seeds the batch's streams.
    """
    specs = [specs] if isinstance(specs, AgentSpec) else list(specs)
    keys = []
    for spec in specs:
        reason = unsupported(spec, streams)
        if reason:
            return reason
        keys.append(fusion_key(spec, streams))
    twin = keys[0][0]
    if any(key[0] is not twin for key in keys):
        return "settings of different twins batch apart"
    if not twin.mixes and len(set(keys)) > 1:
        return f"{twin.__name__} batches only equal settings (one fusion key)"
    envs = VectorMaze.check(env_factory, n_runs)
    if isinstance(envs, str):
        return envs
    # Each setting gets the streams it would get alone: the same seeds.
    batch_seed, env_seed = seed_sequence.spawn(2)
    counts = [n_runs] * len(specs)
    env_stream = Streams([np.random.default_rng(env_seed) for _ in specs], counts)
    if streams == "per-run":
        rng = [np.random.default_rng(s) for _ in specs for s in agent_seeds]
    else:
        rng = Streams([np.random.default_rng(batch_seed) for _ in specs], counts)
    maze = VectorMaze(envs)
    reason = twin.unsupported_maze(maze)
    if reason:
        return reason
    engine = twin.from_specs(specs, n_runs=n_runs, maze=maze, rng=rng)
    return engine, maze, env_stream


__all__ = [
    "STREAMS",
    "TWINS",
    "BatchedDynaQ",
    "BatchedMPC",
    "BatchedReplayQ",
    "BatchedRolloutQ",
    "Streams",
    "VectorMaze",
    "agent_of",
    "fusion_key",
    "kernels",
    "overridden",
    "prepare",
    "random_walks",
    "run_episodes_batched",
    "run_steps_batched",
    "unsupported",
    "walk_counts",
]
