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


#: The labels of the matched controls wherever MPC meets Dyna-Q: MPC exploring
#: as Dyna-Q does; Dyna-Q with MPC's exact backup (alpha = 1, exact on a
#: deterministic maze) and its optimism (Q0 = 1, the goal's reward); and that
#: Dyna-Q with as many backups per real step as MPC's measured model work.
MPC_EXPLORING = "MPC, epsilon=0.1"
DYNA_EXACT = "Dyna-Q n=50, alpha=1, Q0=1"
DYNA_MATCHED = "Dyna-Q, MPC's compute"


def exact_dyna_q(n_planning_steps: int = 50, **params) -> AgentSpec:
    """Dyna-Q with the backup MPC's value iteration makes: alpha = 1 (exact on a
    deterministic maze) and optimistic Q0 = 1 (what MPC's model assumes of a
    pair it has not tried); epsilon stays 0.1."""
    return dyna_q_spec(n_planning_steps, alpha=1.0, q_init=1.0, **params)


def matched_dyna_q(work_per_step: float, **params) -> AgentSpec:
    """:func:`exact_dyna_q` with ``n`` = MPC's measured model work per real
    step, rounded (at least 1): the same compute, spent on Dyna's backups."""
    if not work_per_step >= 0:
        raise ValueError(f"work_per_step == {work_per_step!r}, must be >= 0")
    n = max(1, round(work_per_step))
    return exact_dyna_q(n, label=DYNA_MATCHED).replace(**params)


def matched_note(label: str, spec: AgentSpec, work: float, where: str) -> str:
    """The line a study prints under its table to say what ``n`` the compute
    match gave its series ``label``: MPC's measured model work per real step
    ``where`` (e.g. "since the change")."""
    n = spec.params["n_planning_steps"]
    return (
        f"{label}: n = {n:,}, MPC's measured model work per real step {where} "
        f"({work:,.1f}), with alpha = 1 and Q0 = 1."
    )
