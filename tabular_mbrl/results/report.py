"""A study as the CLI writes it: the CSV of its curves and the table it prints.

:func:`write_csv` writes every series' mean and bootstrap band per x
(:data:`CSV_COLUMNS`), whole or not at all; :func:`summary_table` prints, per
series, what the experiment measures. Both only format what the
:class:`~.study.Study` holds.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

import numpy as np

from .._files import write_atomically
from .statistics import CONVERGENCE_FACTOR, FINAL_EPISODES
from .study import Series, Study, by_kind, greedy_directions

#: The CSV's columns: the first six as they always were, then the
#: convergence of series that measure it, then the model work per real step
#: of series that count it.
CSV_COLUMNS = [
    "series",
    "x",
    "mean",
    "ci_low",
    "ci_high",
    "n_runs",
    "converged",
    "median_real_steps",
    "model_work_per_step",
]

#: A table column: its header and one cell per series.
Column = tuple[str, list[str]]


def write_csv(study: Study, path: str | Path) -> int:
    """Write the study's mean curves and bootstrap bands; return the row count.

    The file is written whole or not at all (a temporary file in its folder,
    renamed over it when complete): a reader, a second run or Ctrl-C sees the
    old file or the new one. The rows are :func:`write_csv_rows`'.

    Parameters
    ----------
    study : Study
        Each series' ``values`` of shape (n_runs, len(x)).
    path : str or Path
        The file to write (replaced).

    Returns
    -------
    int
        The rows below the header: the sum of ``len(series.x)``.
    """
    return write_atomically(path, lambda handle: write_csv_rows(study, handle))


def write_csv_rows(study: Study, handle: IO[str]) -> int:
    """Write the CSV of :func:`write_csv` to an open text stream; return the
    row count.

    One row per series and x, LF line endings. ``converged`` is ``k/N``, the
    runs that converged, and ``median_real_steps`` their median real steps to
    convergence, with ``>=`` where runs that did not converge make it a lower
    bound; both are empty for series that do not measure convergence.
    ``model_work_per_step`` is the series' mean over runs of model work divided
    by real steps, empty where the study does not count it.

    Parameters
    ----------
    study : Study
        Each series' ``values`` of shape (n_runs, len(x)).
    handle : text stream
        Opened with ``newline=""`` (the rows end in "\\n" already).

    Returns
    -------
    int
        The rows below the header: the sum of ``len(series.x)``.
    """
    rows = 0
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for series in study.series:
        low, high = series.confidence_interval()
        done = series.convergence
        extra = [done.fraction, done.text().replace(",", "")] if done else ["", ""]
        work = series.model_work_per_step
        extra.append("" if work != work else f"{work:.6g}")
        for x, mean, lo, hi in zip(series.x, series.mean(), low, high, strict=True):
            writer.writerow(
                [
                    series.name,
                    f"{x:g}",
                    f"{mean:.6g}",
                    f"{lo:.6g}",
                    f"{hi:.6g}",
                    series.n_runs,
                    *extra,
                ]
            )
            rows += 1
    return rows


def _number(value: float, digits: int = 0) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"


def _policy_columns(study: Study) -> list[Column]:
    """Figure 8.3's count, of each series' first Q table on the study's maze."""
    counts = [str(greedy_directions(s, study.maze)) for s in study.series]
    return [("states with a greedy direction", counts)]


def _panels_columns(study: Study) -> list[Column]:
    """Each series in its own units: its mean at the first and the last x."""
    x, series = study.series[0].x, study.series
    return [
        (f"at x = {x[0]:g}", [f"{s.mean()[0]:,.2f}" for s in series]),
        (f"final (x = {x[-1]:g})", [f"{s.mean()[-1]:,.2f}" for s in series]),
    ]


#: A "line" study with at most this many points per series is tabled at every
#: point (its x are categories: mazes, legs, horizons, slips), not the last.
FEW_POINTS = 6


def _value(mean: float, counts: bool) -> str:
    """A mean as the table prints it: a mean of counts as a whole number from
    100 on, else with one decimal; other values with two."""
    if counts:
        return f"{mean:,.0f}" if abs(mean) >= 100 else f"{mean:,.1f}"
    return f"{mean:,.2f}"


def _line_columns(study: Study) -> list[Column]:
    """Each series' mean at the last x; or at every x where every series has
    at most :data:`FEW_POINTS` and the same x."""
    series = study.series
    counts = all(np.array_equal(s.values, np.round(s.values)) for s in series)
    xs = series[0].x
    if len(xs) <= FEW_POINTS and all(np.array_equal(s.x, xs) for s in series):
        return [
            (f"x = {x:g}", [_value(s.mean()[i], counts) for s in series])
            for i, x in enumerate(xs)
        ]
    return [(f"final {study.y_label}", [_value(s.mean()[-1], counts) for s in series])]


def _no_columns(study: Study) -> list[Column]:
    """A "bar" study's convergence columns say it all."""
    return []


def summary_table(study: Study) -> str:
    """The table ``tabular-mbrl run`` prints: a title line, a header, and a
    line per series.

    Per series, what the experiment measures: the runs that converged (k/N)
    and their median real steps to convergence (">=" where runs that did not
    converge make it a lower bound), the first episode and the mean of the
    last :data:`~.statistics.FINAL_EPISODES`, planning work, model work per
    real step; then what the
    study's kind adds: the last mean ("line"), the first and the last mean
    ("panels"), the states with a greedy direction in the first run's Q table
    ("policy", :func:`~.study.greedy_directions`), nothing more ("bar").
    Columns that no series fills are left out; headers are aligned with their
    numbers.

    Parameters
    ----------
    study : Study

    Returns
    -------
    str
        Lines joined by "\\n", no trailing newline.
    """
    series: list[Series] = study.series
    columns: list[Column] = [("series", [s.name for s in series])]
    if any(s.convergence is not None for s in series):
        done = [s.convergence for s in series]
        columns.append(("converged", [c.fraction if c else "-" for c in done]))
        columns.append(
            ("median real steps to conv.", [c.text() if c else "-" for c in done])
        )
    if any(s.first_episode == s.first_episode for s in series):
        columns.append(("first episode", [_number(s.first_episode) for s in series]))
        columns.append(
            (f"last {FINAL_EPISODES}", [_number(s.final_episodes, 1) for s in series])
        )
    if any(s.planning_updates == s.planning_updates for s in series):
        columns.append(("planning", [_number(s.planning_updates) for s in series]))
    if any(s.model_work_per_step == s.model_work_per_step for s in series):
        columns.append(
            (
                "model work / real step",
                [_number(s.model_work_per_step, 1) for s in series],
            )
        )
    columns += by_kind(  # what the study's kind adds
        study,
        line=_line_columns,
        bar=_no_columns,
        policy=_policy_columns,
        panels=_panels_columns,
    )
    widths = [max(len(head), *map(len, cells)) for head, cells in columns]
    lines = [study.title]
    for row in range(-1, len(series)):
        cells = [
            (head if row < 0 else values[row]).ljust(width)
            if i == 0
            else (head if row < 0 else values[row]).rjust(width)
            for i, ((head, values), width) in enumerate(
                zip(columns, widths, strict=True)
            )
        ]
        lines.append("  ".join(cells).rstrip())
    if any(s.convergence is not None for s in series):
        lines.append(
            f"converged: the agent's policy walks within {CONVERGENCE_FACTOR:g}x "
            "the shortest path and stays so; runs that never did count as "
            "'>= their real steps', never dropped"
        )
    return "\n".join(lines)
