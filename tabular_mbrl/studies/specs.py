"""The agents the studies compare, each defined once."""

from __future__ import annotations

from ..agents import DynaQAgent, RandomShootingAgent
from ..spec import AgentSpec

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


def dyna_q_spec(n_planning_steps: int, **params) -> AgentSpec:
    """Dyna-Q with ``n`` planning steps, labelled ``n=N`` (Figure 8.2)."""
    return AgentSpec(
        DynaQAgent, n_planning_steps=n_planning_steps, label=f"n={n_planning_steps}"
    ).replace(**params)
