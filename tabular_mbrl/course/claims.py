"""Do the lectures' claims hold at other seeds? ``tabular-mbrl claims``.

Every lecture prints sentences computed from its runs, and a test checks their
verdicts at seed 0. A claim that holds only at the seeds it was written on is
fitted, not found. :func:`tally` runs lectures at their default ``Config`` on
a block of other seeds and counts, per sentence, how many seeds gave each
verdict: the words before the sentence's first colon (or, for a sentence
without one, before its first parenthesis).

Use it on seeds that were not used while a claim was written; the bar for a
verdict a test asserts is 9 of 10 fresh seeds.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._checks import check_int
from .handout import material


def verdict(sentence: str) -> str:
    """The verdict of a printed claim: the words before its first colon, or
    before its first parenthesis if it has no colon."""
    head, colon, _ = sentence.partition(":")
    if not colon:
        head = sentence.partition("(")[0]
    return head.strip()


def lectures(numbers: Sequence[str] | None = None) -> list[Path]:
    """The lecture scripts, all or those whose two-digit numbers are given.

    Raises
    ------
    ValueError
        Naming a number with no lecture, and the numbers there are.
    """
    scripts = material("lectures")
    if numbers is None:
        return scripts
    known = {path.name[:2]: path for path in scripts}
    wanted = [str(n).strip().zfill(2) for n in numbers]
    missing = [n for n in wanted if n not in known]
    if missing or not wanted:
        raise ValueError(
            f"lectures == {','.join(numbers)!r}: no lecture {', '.join(missing)}; "
            f"there are {', '.join(sorted(known))}"
        )
    return [known[n] for n in dict.fromkeys(wanted)]


def load(script: Path) -> Any:
    """The lecture script as a module (its ``Config``, ``run``, ``claims``)."""
    spec = importlib.util.spec_from_file_location(f"lecture_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def claims_at(script: Path, seed: int) -> list[str]:
    """The lecture's printed claims at its default ``Config`` with ``seed``.

    Raises
    ------
    ValueError
        If its ``Config`` has no ``seed`` field.
    """
    lecture = load(script)
    config = lecture.Config()
    if "seed" not in {f.name for f in dataclasses.fields(config)}:
        raise ValueError(f"lecture {script.name} has no seed field in its Config")
    return list(lecture.claims(lecture.run(dataclasses.replace(config, seed=seed))))


@dataclasses.dataclass(frozen=True)
class Tally:
    """The verdicts one lecture's claims gave over a block of seeds.

    Attributes
    ----------
    lecture : str
        The script's name.
    seeds : tuple of int
    verdicts : list of Counter
        Per sentence (in the order printed), verdict -> seeds that gave it.
        A seed that printed fewer sentences counts "(not printed)".
    """

    lecture: str
    seeds: tuple[int, ...]
    verdicts: list[Counter]

    def lines(self) -> list[str]:
        """One line per sentence: each verdict with its k/N, commonest first."""
        n = len(self.seeds)
        out = [f"{self.lecture} (seeds {self.seeds[0]}-{self.seeds[-1]}):"]
        for i, counts in enumerate(self.verdicts, 1):
            parts = [f"{k}/{n} {text!r}" for text, k in counts.most_common()]
            out.append(f"  {i}. " + "; ".join(parts))
        return out


def tally(
    scripts: Sequence[Path],
    seeds: Sequence[int],
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Tally]:
    """Run each lecture at each seed (its default ``Config`` otherwise) and
    count the verdicts of its claims.

    Parameters
    ----------
    scripts : sequence of Path
        Lecture scripts (:func:`lectures`).
    seeds : sequence of int
        Master seeds, each >= 0.
    progress : callable, optional
        ``progress(lecture, runs done, runs in all)`` after each run.

    Returns
    -------
    list of Tally
    """
    seeds = tuple(check_int("seed", s, low=0) for s in seeds)
    if not seeds:
        raise ValueError("seeds is empty, must hold at least one seed")
    total, done, out = len(scripts) * len(seeds), 0, []
    for script in scripts:
        printed = []
        for seed in seeds:
            printed.append([verdict(line) for line in claims_at(script, seed)])
            done += 1
            if progress is not None:
                progress(script.name, done, total)
        width = max(map(len, printed))
        counts = [
            Counter(
                lines[i] if i < len(lines) else "(not printed)" for lines in printed
            )
            for i in range(width)
        ]
        out.append(Tally(script.name, seeds, counts))
    return out


def report(
    numbers: Sequence[str] | None,
    n_seeds: int,
    first_seed: int,
    *,
    quiet: bool = False,
) -> str:
    """What ``tabular-mbrl claims`` prints: per lecture and sentence, how many
    of the seeds ``first_seed ... first_seed + n_seeds - 1`` gave each
    verdict. Progress goes to stderr unless ``quiet``."""
    n_seeds = check_int("seeds", n_seeds, low=1)
    first_seed = check_int("first_seed", first_seed, low=0)
    scripts = lectures(numbers)
    started = time.perf_counter()

    def say(lecture: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        print(f"claims: {done}/{total} {lecture}, {elapsed:.0f} s", file=sys.stderr)

    seeds = range(first_seed, first_seed + n_seeds)
    tallies = tally(scripts, seeds, progress=None if quiet else say)
    return "\n".join(line for t in tallies for line in t.lines())
