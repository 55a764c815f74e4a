"""(Being written: the `frontier` experiment.)"""

from __future__ import annotations


def frontier(**settings):
    """Not yet registered."""
    raise NotImplementedError("frontier is being written")
