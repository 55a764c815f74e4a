"""Dyna-Q's planning (step (f)) in plain Python over lists, for the runs the
loop engine makes one at a time (``engine="loop"``, and the legs of ``run
waypoints``): :func:`fast_planning` puts it in place of a spec's
:class:`~tabular_mbrl.agents.DynaQAgent`.

:class:`~tabular_mbrl.agents.DynaQAgent` is the reference: its ``plan``
reads like the box, one backup at a time through the model's and the
agent's own methods (about 1.8 us a backup). :class:`FastDynaQAgent` draws
the same pairs with the same one call to its Generator, reads their
outcomes off the model's arrays, and makes the same float operations in the
same order on the table as a list
(:func:`~tabular_mbrl.batched.kernels.backups_of_one_run`, about 0.5 us a
backup): the same table, bit for bit. A run whose table has settled (every
observed pair's backup gives back the bits it read, as alpha = 1 reaches
within a few sweeps) skips the loop, which would change nothing; the pairs
are still drawn and counted. ``tests/test_fast_dyna_q.py`` checks both
against the reference.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int
from ..batched import kernels
from ..models import DeterministicModel
from ..spec import AgentSpec
from .dyna_q import DynaQAgent


class FastDynaQAgent(DynaQAgent):
    """:class:`~tabular_mbrl.agents.DynaQAgent` with its planning loop in
    plain Python (see the module); any other model plans as the reference."""

    #: Plan calls until the next look, and the wait after a look that says no.
    _look_in, _look_wait = 0, 1

    def plan(self, n: int) -> None:
        """``n`` planning backups on pairs sampled from the model (step (f)),
        as :meth:`DynaQAgent.plan <tabular_mbrl.agents.DynaQAgent.plan>`
        makes them."""
        model = self.model
        n = check_int("n", n, low=0)
        if type(model) is not DeterministicModel or n == 0 or not model.n_observed:
            super().plan(n)  # another model, nothing to do, or the error
            return
        # The draw of model.sample_pairs, without its lists.
        pairs = model._pairs[self.rng.integers(model.n_observed, size=n)]
        self.n_planning_updates += n
        # A look reads the whole table: made only where the backups it may
        # spare cost more.
        if n >= kernels.settled_look_cost(self.q.size) and self._settled():
            return
        states, actions = pairs[:, 0], pairs[:, 1]
        ends = model.terminated[states, actions, 0]
        kernels.backups_of_one_run(
            self.q,
            states * self.n_actions + actions,
            model.rewards[states, actions, 0],
            np.where(ends, 0.0, self.gamma),
            model.next_states[states, actions, 0],
            self.alpha,
        )

    def _settled(self) -> bool:
        """Whether the table is a fixed point, bit for bit, of the backup of
        every pair the model has observed (each would write back what it
        read: :func:`~tabular_mbrl.batched.kernels.settled`, for one run).
        After a look that says no, the next waits twice as many calls (at
        most 32): a run that does not settle pays little for the looks."""
        if self._look_in > 0:
            self._look_in -= 1
            return False
        model = self.model
        settled = bool(
            kernels.settled(
                self.q[None],
                model.next_states[None, ..., 0],
                model.rewards[None, ..., 0],
                model.terminated[None, ..., 0],
                model.observed[None],
                np.array([self.gamma]),
                np.array([self.alpha]),
            )[0]
        )
        if settled:
            self._look_wait = 1
        else:
            self._look_in, self._look_wait = (
                self._look_wait,
                min(2 * self._look_wait, 32),
            )
        return settled


def fast_planning(spec: AgentSpec) -> AgentSpec:
    """``spec`` with :class:`FastDynaQAgent` in place of
    :class:`~tabular_mbrl.agents.DynaQAgent` (the same hyperparameters and
    label: the same results, bit for bit); any other spec, a subclass of
    ``DynaQAgent`` included, as it is."""
    if spec.agent_class is not DynaQAgent:
        return spec
    return AgentSpec(FastDynaQAgent, label=spec.label, **spec.params)
