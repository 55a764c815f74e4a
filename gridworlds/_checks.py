"""Small argument checks shared by the environments.

Each helper raises ``TypeError`` or ``ValueError`` with a message that names the
parameter, the value and the rule, e.g. ``slip == 1.5, must be in [0, 1]``.
"""

from __future__ import annotations

import functools
import math
import numbers
import os


def check_int(
    name: str, value: object, *, low: int | None = None, high: int | None = None
) -> int:
    """Return ``value`` as an ``int`` if it is an integer in ``[low, high]``."""
    # A plain int is the common case (every step, every backup): it skips the
    # slower abstract-class check that NumPy integers need.
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"{name} must be an int, got {type(value).__name__} {value!r}"
            )
        value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} == {value}, must be in [{lo}, {hi}]")
    return value


def check_real(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number in range.

    The interval is ``[low, high]``, or ``(low, high]`` when ``low_open``.
    """
    if type(value) is not float:  # as in check_int: plain floats go straight on
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{name} must be a real number, got {type(value).__name__} {value!r}"
            )
        value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if not math.isfinite(value) or too_low or too_high:
        left = "(" if low_open else "["
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        rule = f"in {left}{lo}, {hi}]"
        if not math.isfinite(value):
            rule = "finite" if low is None and high is None else f"finite and {rule}"
        raise ValueError(f"{name} == {value:g}, must be {rule}")
    return value


@functools.cache
def memory_limit() -> int | None:
    """This machine's physical memory in bytes (None where it cannot be read)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return None


class TooLarge(ValueError):
    """What was asked would need more memory than the machine has."""


def check_memory(what: str, n_bytes: float) -> None:
    """Refuse, before allocating it, what would need more memory than the
    machine has: ``what`` names it, e.g. ``"the model of a 5000 x 5000 map"``.
    Raises :class:`TooLarge` (a ``ValueError``)."""
    limit = memory_limit()
    if limit is not None and n_bytes > limit:
        raise TooLarge(
            f"{what} would need {n_bytes / 2**30:,.1f} GiB of memory, more than "
            f"this machine's {limit / 2**30:,.1f} GiB"
        )


def check_bool(name: str, value: object) -> bool:
    """A bool (a string such as ``"no"`` would otherwise count as True)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return value
