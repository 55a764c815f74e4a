"""Random streams for a batch of runs in lockstep.

A batch holds the runs of one or more settings, each setting a block of rows.
Each block draws from a Generator of its own, exactly what it would draw in a
batch of its own, so fusing the settings of an experiment into one batch
changes no number.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Streams:
    """Random streams for a batch whose rows come in blocks, one block per
    setting, each block with its own Generator.

    Parameters
    ----------
    rngs : list of Generator
        One per block.
    counts : list of int
        The number of rows of each block, in order.
    """

    def __init__(self, rngs: list[np.random.Generator], counts: list[int]) -> None:
        self.rngs = list(rngs)
        self.counts = np.array(counts, dtype=np.int64)
        self._blocks: tuple | None = None  # blocks(), until keep() changes them

    def blocks(self) -> tuple[tuple[np.random.Generator, slice], ...]:
        """``(rng, rows)`` for each block with rows, ``rows`` a slice of the
        batch."""
        if self._blocks is None:
            blocks, start = [], 0
            for rng, count in zip(self.rngs, self.counts.tolist(), strict=True):
                if count:
                    blocks.append((rng, slice(start, start + count)))
                start += count
            self._blocks = tuple(blocks)
        return self._blocks

    def rows(self, draw: Callable) -> np.ndarray:
        """``draw(rng, rows)`` for each block (``rows`` a slice of the batch),
        stacked along the first axis."""
        if len(self.rngs) == 1:  # one block: no parts to stack
            return draw(self.rngs[0], slice(0, int(self.counts[0])))
        parts = [draw(rng, rows) for rng, rows in self.blocks()]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def columns(self, draw: Callable, n: np.ndarray, most: int) -> np.ndarray:
        """``draw(rng, m, rows)`` of shape ``(m, rows)`` for each block, where
        ``m`` is the most any row of the block needs (``n`` per row), padded
        to ``most == max(n)`` and stacked along the second axis."""
        if len(self.rngs) == 1:  # one block: nothing to pad
            return draw(self.rngs[0], most, slice(0, int(self.counts[0])))
        parts = []
        for rng, rows in self.blocks():
            m = int(n[rows].max())
            part = np.zeros((most, rows.stop - rows.start), dtype=np.int64)
            if m:
                part[:m] = draw(rng, m, rows)
            parts.append(part)
        return np.concatenate(parts, axis=1)

    def keep(self, runs: np.ndarray) -> None:
        """Keep the rows of the boolean mask ``runs``."""
        edges = np.cumsum(self.counts)[:-1]
        self.counts = np.array([part.sum() for part in np.split(runs, edges)])
        self._blocks = None


def size(rows: slice) -> int:
    """The number of rows of a block."""
    return rows.stop - rows.start
