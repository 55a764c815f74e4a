"""(Being written: the `sim-to-real` experiment.)"""

from __future__ import annotations


def sim_to_real(**settings):
    """Not yet registered."""
    raise NotImplementedError("sim-to-real is being written")
