"""Agent specs: which agent, with which hyperparameters, before any run exists.

An experiment describes each of its settings as an :class:`AgentSpec`, e.g.
``AgentSpec(DynaQAgent, n_planning_steps=50)``. The runners build one fresh
agent per run from it (``spec.build(n_states, n_actions, rng)``), and the
batched engine reads the class and hyperparameters straight from the spec,
without building per-run agents at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ._checks import hyperparameters, short_repr


class AgentSpec:
    """An immutable description of an agent: its class and hyperparameters.

    Parameters
    ----------
    agent_class : type
        An agent class such as :class:`~tabular_mbrl.DynaQAgent`, whose
        hyperparameters are keyword-only arguments of ``__init__``.
    label : str, optional
        A name for plots and tables; by default the class name and the
        hyperparameters given, e.g. ``"DynaQAgent(n_planning_steps=50)"``.
    **params
        Hyperparameters, by the names of the class's signature. Anything not
        given keeps the class's default (the one source of each default). A
        learned model is given as its class (``model=EmpiricalModel``) and
        built fresh for every run; a model object that learns (has
        ``update``) would be shared by every run and is refused.

    Raises
    ------
    TypeError
        If ``agent_class`` is not a class, a hyperparameter is unknown to it,
        ``rng`` is given (each run gets its own stream from the runner's seed),
        or a learning model object is given.

    Examples
    --------
    >>> from tabular_mbrl import AgentSpec, DynaQAgent
    >>> spec = AgentSpec(DynaQAgent, n_planning_steps=50)
    >>> spec
    AgentSpec(DynaQAgent, n_planning_steps=50)
    >>> agent = spec.build(54, 4, rng=0)
    >>> agent.n_planning_steps, agent.alpha
    (50, 0.1)
    """

    agent_class: type
    params: Mapping[str, Any]
    label: str
    __slots__ = ("agent_class", "params", "label", "_label_given")

    def __init__(
        self, agent_class: type, /, *, label: str | None = None, **params: Any
    ) -> None:
        if not isinstance(agent_class, type):
            raise TypeError(
                f"agent_class must be an agent class such as DynaQAgent, got "
                f"{type(agent_class).__name__} {agent_class!r}"
            )
        name = agent_class.__name__
        missing = [
            method
            for method in ("select_action", "update")
            if not callable(getattr(agent_class, method, None))
        ]
        if missing:
            raise TypeError(
                f"agent_class must be an agent class such as DynaQAgent, with "
                f"select_action() and update(); {name} has no "
                f"{' and no '.join(m + '()' for m in missing)}"
            )
        known = hyperparameters(agent_class)
        if "rng" in params:
            raise TypeError(
                "rng is not a hyperparameter: every run gets its own stream, "
                "spawned from the runner's seed="
            )
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise TypeError(
                f"{name} has no hyperparameter {unknown[0]!r}; its "
                f"hyperparameters are {', '.join(known) or 'none'}"
            )
        for key, value in params.items():
            if isinstance(value, type) and not (
                hasattr(value, "update") and hasattr(value, "sample")
            ):
                raise TypeError(
                    f"{key} == {value.__name__} is a class; only a learned model "
                    f"is given as its class (model=EmpiricalModel), to be built "
                    f"for every run"
                )
            if not isinstance(value, type) and hasattr(value, "update"):
                raise TypeError(
                    f"{key} == {type(value).__name__}(...) is an object that "
                    f"learns, which every run would share; pass its class "
                    f"({key}={type(value).__name__}) to get a fresh one per run"
                )
        if label is not None and not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        ordered = {key: params[key] for key in known if key in params}
        object.__setattr__(self, "agent_class", agent_class)
        object.__setattr__(self, "params", MappingProxyType(ordered))
        object.__setattr__(self, "label", label or self._signature())
        object.__setattr__(self, "_label_given", label is not None)

    def __reduce__(self) -> tuple:
        """Pickled as the call that makes it again (a spec sent to a worker
        process with ``jobs`` > 1)."""
        label = self.label if self._label_given else None
        return (_remade, (self.agent_class, label, dict(self.params)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"AgentSpec is immutable; use spec.replace({name}=...) for a new one"
        )

    def _signature(self) -> str:
        given = ", ".join(f"{k}={short_repr(v)}" for k, v in self.params.items())
        return f"{self.agent_class.__name__}({given})"

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """Every hyperparameter: the class's defaults, overridden by the spec's."""
        return {**hyperparameters(self.agent_class), **self.params}

    def build(
        self, n_states: int, n_actions: int, rng: np.random.Generator | int | None
    ) -> Any:
        """A fresh agent for one run (models given as classes are built here)."""
        params = {
            key: value(n_states, n_actions) if isinstance(value, type) else value
            for key, value in self.params.items()
        }
        return self.agent_class(n_states, n_actions, rng=rng, **params)

    def checked(self, n_states: int, n_actions: int) -> Any:
        """One agent built from the spec for ``n_states x n_actions``, not to
        run: its constructor checks the hyperparameters (each agent's own
        checks, raising its own errors) and it holds them as the agent
        stores them. The batched engine reads its settings from it, so that
        every engine refuses what the agent refuses, with the same message."""
        return self.build(n_states, n_actions, rng=0)

    def replace(self, *, label: str | None = None, **params: Any) -> AgentSpec:
        """A new spec with some hyperparameters (or the label) changed."""
        if label is None and self._label_given:
            label = self.label
        return AgentSpec(self.agent_class, label=label, **{**self.params, **params})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AgentSpec):
            return NotImplemented
        return (self.agent_class, self.label, dict(self.params)) == (
            other.agent_class,
            other.label,
            dict(other.params),
        )

    def __hash__(self) -> int:
        return hash((self.agent_class, self.label))

    def __repr__(self) -> str:
        parts = [self.agent_class.__name__]
        parts += [f"{k}={short_repr(v)}" for k, v in self.params.items()]
        if self._label_given:
            parts.append(f"label={self.label!r}")
        return f"AgentSpec({', '.join(parts)})"


def _remade(agent_class: type, label: str | None, params: dict[str, Any]) -> AgentSpec:
    """``AgentSpec(agent_class, label=label, **params)``, as unpickled."""
    return AgentSpec(agent_class, label=label, **params)
