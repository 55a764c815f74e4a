"""What a batch reads from its specs: one agent built per setting, to check its
hyperparameters with the agent's own checks (:meth:`AgentSpec.checked`), and
read back as the agent stores them, one value per run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..spec import AgentSpec

_REQUIRED = object()


class Settings:
    """The settings of ``n_runs`` runs of each of ``specs`` on ``maze``, the
    runs of ``specs[0]`` first.

    Attributes
    ----------
    agents : list
        One agent per spec, never run.
    shape : tuple of int
        ``(n_runs * len(specs), n_states, n_actions)``: the batch's tables.
    """

    def __init__(self, specs: list[AgentSpec], n_runs: int, maze: Any) -> None:
        self.agents = [spec.checked(maze.n_states, maze.n_actions) for spec in specs]
        self.n_runs = n_runs
        self.shape = (len(specs) * n_runs, maze.n_states, maze.n_actions)

    def per_run(self, name: str, default: Any = _REQUIRED) -> np.ndarray:
        """The agents' attribute ``name``, one per run, shape ``(runs,)``;
        ``default`` for an agent that has none (Q-learning's planning steps)."""
        if default is _REQUIRED:
            values = [getattr(agent, name) for agent in self.agents]
        else:
            values = [getattr(agent, name, default) for agent in self.agents]
        return np.repeat(values, self.n_runs)

    def where(self, test: Callable[[Any], bool]) -> np.ndarray:
        """``test(agent)`` per run, boolean, shape ``(runs,)``."""
        return np.repeat([test(agent) for agent in self.agents], self.n_runs)

    def q(self) -> np.ndarray:
        """The initial tables ``(runs, S, A)``, each run's ``q_init``: a
        read-only view (the twin's own copy is the only full table)."""
        return np.broadcast_to(self.per_run("q_init", 0.0)[:, None, None], self.shape)

    def untold(self) -> str | None:
        """The class name of the first agent that cannot be told a new goal
        (has no ``tell``), or None."""
        return next(
            (
                type(agent).__name__
                for agent in self.agents
                if not callable(getattr(agent, "tell", None))
            ),
            None,
        )
