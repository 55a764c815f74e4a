"""Plot helpers. Each draws on the ``Axes`` it is given (or a new one) and
returns it; none shows, saves or picks a backend. Averages and 95 % bands come
from the results objects; nothing here computes statistics."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

import gridworlds

from .dynamic_programming import decided_states
from .results import (
    EpisodeResults,
    Series,
    StepResults,
    Study,
    by_kind,
    first_q_table,
    median_interval,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Curves = Study | Series | Mapping[str, EpisodeResults | StepResults | Series]


#: Okabe and Ito's colour-blind-safe palette, darkest first; with a line
#: style and a marker per series, so that curves read in greyscale too.
PALETTE = (
    "#000000",
    "#E69F00",
    "#0072B2",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
)
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def series_style(index: int, n_points: int = 10) -> dict[str, Any]:
    """How the ``index``-th series is drawn: a colour of :data:`PALETTE`, a line
    style and a marker, the three cycling at different lengths, so that no two
    of the first 8 series share all three; about 10 markers per curve."""
    return {
        "color": PALETTE[index % len(PALETTE)],
        "linestyle": LINESTYLES[index % len(LINESTYLES)],
        "marker": MARKERS[index % len(MARKERS)],
        "markevery": max(1, n_points // 10),
        "markersize": 4,
    }


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _series(data: Curves) -> list[Series]:
    """Normalise the accepted inputs to a list of :class:`Series`."""
    if isinstance(data, Study):
        return list(data.series)
    if isinstance(data, Series):
        return [data]
    if not isinstance(data, Mapping):
        raise TypeError(
            f"data must be a Study, a Series or a dict of label -> "
            f"results, got {type(data).__name__}"
        )
    out = []
    for label, item in data.items():
        if isinstance(item, Series):
            out.append(item)
        elif isinstance(item, EpisodeResults):
            out.append(Series(label, np.arange(1, item.steps.shape[1] + 1), item.steps))
        elif isinstance(item, StepResults):
            x = np.arange(1, item.cumulative_reward.shape[1] + 1)
            out.append(Series(label, x, item.cumulative_reward))
        else:
            raise TypeError(
                f"data[{label!r}] must be EpisodeResults, StepResults or "
                f"Series, got {type(item).__name__}"
            )
    return out


def plot_curves(
    data: Curves,
    *,
    ax: Axes | None = None,
    band: bool = True,
    change_step: int | None = None,
    legend: str = "best",
    **style: Any,
) -> Axes:
    """Mean curves with 95 % confidence bands, one per series (x ticks on
    whole numbers when every x is one), each labelled with its model work per
    real step where the series counts it.

    ``data`` is a :class:`Study`, a :class:`Series`, or a dict mapping labels to
    ``run_episodes``/``run_steps`` results. ``change_step`` (or a study's or
    results' own) draws a dashed vertical line where the env changed.
    ``legend`` is where the legend goes: a ``loc`` inside the axes
    (``"best"``: where it covers the least data), or ``"outside"``: to the
    right of the axes, clear of the data whatever it is.
    ``style`` goes to ``ax.plot``.
    """
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator, NullLocator

    ax = _axes(ax)
    whole = True  # every x a whole number (episodes, steps, horizons)
    banded = False
    for i, series in enumerate(_series(data)):
        look = {**series_style(i, len(series.x)), **style}
        (line,) = ax.plot(series.x, series.mean(), label=_label(series), **look)
        whole = whole and np.all(np.mod(series.x, 1) == 0)
        if band and series.n_runs > 1:
            low, high = series.confidence_interval()
            ax.fill_between(
                series.x, low, high, color=line.get_color(), alpha=0.15, linewidth=0
            )
            banded = True
    if change_step is None:
        change_step = _change_step(data)
    if change_step is not None:
        ax.axvline(
            change_step, color="0.3", linestyle="--", linewidth=1, label="env changes"
        )
    if isinstance(data, Study):
        ax.set(xlabel=data.x_label, ylabel=data.y_label)
        _set_title(ax, data.title, legend_outside=legend == "outside")
        if data.log_y:
            ax.set_yscale("log")
            _readable_log(ax.yaxis)
        if data.log_x:
            ax.set_xscale("log")
    if whole and ax.get_xscale() == "linear":  # no half-step ticks on a count
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    elif whole:  # a log axis over a few counts: tick each one, as a count
        xs = sorted({int(x) for series in _series(data) for x in series.x})
        if len(xs) <= 12:
            ax.set_xticks(xs, [f"{x:,}" for x in xs])
            ax.xaxis.set_minor_locator(NullLocator())
    handles, _ = ax.get_legend_handles_labels()
    if banded:  # say what the shading is
        handles.append(
            Patch(
                color="0.5", alpha=0.3, label="shaded: 95 % bootstrap band of the mean"
            )
        )
    _legend(ax, handles, where=legend, fontsize=8)
    return ax


#: Characters per line of a legend entry placed outside the axes: it takes
#: width from the axes, so long labels wrap.
LEGEND_WIDTH = 28


def _legend(ax: Axes, handles: list, *, where: str = "best", **kwargs: Any) -> Any:
    """The axes' legend of ``handles``: inside at ``where`` (a ``loc``), or,
    with ``where="outside"``, to the right of the axes, its labels wrapped."""
    if where != "outside":
        return ax.legend(handles=handles, loc=where, **kwargs)
    labels = [_wrap(h.get_label(), LEGEND_WIDTH) for h in handles]
    return ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        **kwargs,
    )


def _set_title(ax: Axes, title: str, *, legend_outside: bool = False) -> None:
    """``title``, wrapped to about the axes' width (less the room of a legend
    beside it), so that no title runs off the figure."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    points = ax.get_position().width * ax.figure.get_figwidth() * 72
    if legend_outside:
        points -= 80  # half a legend's width: the title is centred on the axes
    size = FontProperties(size=rcParams["axes.titlesize"]).get_size_in_points()
    ax.set_title(_wrap(title, max(30, int(points / (0.58 * size)))))


def _wrap(text: str, width: int) -> str:
    """Each line of ``text`` wrapped at ``width`` characters."""
    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())


def _readable_log(axis: Any) -> None:
    """Label a log axis at 1, 2 and 5 times each power of ten (10, 20, 50,
    100, ...), as plain numbers: a level of 14-18 steps can be read off."""
    from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axis.set_minor_formatter(NullFormatter())


def _label(series: Series) -> str:
    """The series' name, with its model work per real step where counted: the
    cost beside every curve of real steps."""
    work = series.model_work_per_step
    return series.name if work != work else f"{series.name} ({work:,.0f} work/step)"


def _change_step(data: Curves) -> int | None:
    if isinstance(data, Study):
        return data.change_step
    if isinstance(data, Mapping):
        steps = {
            item.change_step for item in data.values() if isinstance(item, StepResults)
        } - {None}
        return steps.pop() if len(steps) == 1 else None
    return None


def plot_steps_per_episode(
    data: Curves, *, ax: Axes | None = None, **style: Any
) -> Axes:
    """Steps per episode against episode (S&B Figure 8.2), log scale."""
    ax = plot_curves(data, ax=ax, **style)
    ax.set(xlabel="episode", ylabel="steps per episode", yscale="log")
    return ax


def plot_cumulative_reward(
    data: Curves,
    *,
    ax: Axes | None = None,
    change_step: int | None = None,
    **style: Any,
) -> Axes:
    """Cumulative reward against real steps, with the change marked
    (S&B Figures 8.4 and 8.5)."""
    ax = plot_curves(data, ax=ax, change_step=change_step, **style)
    ax.set(xlabel="real steps", ylabel="cumulative reward")
    return ax


def plot_convergence(data: Curves, *, ax: Axes | None = None, **style: Any) -> Axes:
    """Bars of the median real steps to convergence per agent, labelled with
    their x (which a study's x label names; else their planning budget), their
    measured model work per real step where it is not their x, and
    with "k/N", the runs that converged. A run that did not converge counts
    its real steps (a lower bound); where that can move the median, the bar is
    hatched and its label reads ">=". Error bars:
    the seeded bootstrap band of the median, inside the runs' range."""
    ax = _axes(ax)
    series = _series(data)
    positions = np.arange(len(series))
    medians, lows, highs, labels = [], [], [], []
    for s in series:
        done = s.convergence
        values = done.values if done is not None else s.values[:, 0]
        median = done.median if done is not None else float(np.median(values))
        low, high = median_interval(values)
        medians.append(median)
        lows.append(max(median - low, 0.0))  # NaN (one run) draws no bar
        highs.append(max(high - median, 0.0))
        censored = done is not None and done.censored
        labels.append(
            ("" if done is None else done.fraction) + (" (>=)" if censored else "")
        )
    look = {"color": PALETTE[5], "edgecolor": "black", **style}
    bars = ax.bar(positions, medians, yerr=[lows, highs], capsize=4, **look)
    for bar, s in zip(bars, series, strict=True):
        if s.convergence is not None and s.convergence.censored:
            bar.set_hatch("//")
    ax.bar_label(bars, labels=labels, padding=3)
    ax.margins(y=0.12)  # room for the labels above the tallest bar
    _explain_bars(
        ax, hatched=any(s.convergence and s.convergence.censored for s in series)
    )
    if isinstance(data, Study):  # each tick shows x, which the x label names
        ticks = [
            f"{textwrap.fill(s.name, 14)}\n{s.x[0]:,.0f}" + _work(s) for s in series
        ]
        ax.set_xticks(positions, ticks, fontsize=8)
        ax.set_xlabel(data.x_label)
        _set_title(ax, data.title, legend_outside=True)
    else:
        ax.set_xticks(positions, [f"{s.name}\n(budget {s.x[0]:g})" for s in series])
    ax.set_ylabel("median real steps to convergence")
    return ax


def _explain_bars(ax: Axes, *, hatched: bool) -> None:
    """A legend for what a bar chart of medians draws: the error bars, the
    k/N labels and (where any bar is) the hatching of censored medians."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], color="black", marker="|", linestyle="none", markersize=10,
               label="error bar: 95 % bootstrap interval of the median"),
        Patch(facecolor="white", edgecolor="white",
              label="k/N: runs that converged"),
    ]  # fmt: skip
    if hatched:
        handles.append(
            Patch(facecolor="white", edgecolor="black", hatch="//",
                  label=">=: some runs never converged; the median is a lower bound")
        )  # fmt: skip
    _legend(ax, handles, where="outside", fontsize=7)  # beside the bars, on none


def _work(series: Series) -> str:
    """A bar's measured model work per real step, where counted and not
    already its x."""
    work = series.model_work_per_step
    if work != work or np.isclose(work, series.x[0]):
        return ""
    return f"\n({work:,.0f} work/step)"


def plot_study(study: Study, *, ax: Axes | None = None, **style: Any) -> Axes:
    """Draw a named experiment the way its ``kind`` says
    (:func:`~tabular_mbrl.results.by_kind`), with its ``note`` (what the
    result means, computed from the runs) below the axes: curves ("line"),
    bars of real steps to convergence ("bar"), the greedy policies of the
    first run's Q tables side by side on the map ("policy"), or curves in
    panels side by side ("panels"). Curves and bars have their legend to the
    right of the axes (``legend=`` in ``style`` moves the curves' one), so
    that it covers no data, whatever the runs gave."""
    ax = by_kind(
        study,
        line=lambda study: plot_curves(study, ax=ax, **{"legend": "outside", **style}),
        bar=lambda study: plot_convergence(study, ax=ax, **style),
        policy=lambda study: _plot_policies(study, ax=ax),
        panels=lambda study: _plot_panels(study, ax=ax, **style),
    )
    if study.note:  # below the axes, where it hides no curve and no legend
        ax.annotate(
            "\n".join(textwrap.fill(line, 100) for line in study.note.splitlines()),
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(0, -40 if study.kind != "bar" else -64),
            textcoords="offset points",
            va="top",
            fontsize=7,
        )
    return ax


def _plot_panels(study: Study, *, ax: Axes | None = None, **style: Any) -> Axes:
    """A "panels" study: its series' curves in insets of ``ax`` side by side,
    one per panel, each with its own y label."""
    ax = _axes(ax)
    ax.set_axis_off()
    _set_title(ax, study.title)
    width = 1 / len(study.panel_labels)
    for panel, label in enumerate(study.panel_labels):
        inset = ax.inset_axes([panel * width + 0.2 * width, 0.0, 0.78 * width, 0.9])
        part = [series for series in study.series if series.panel == panel]
        if not part:  # e.g. run with only= series of the other panel
            inset.set_axis_off()
            continue
        view = dataclasses.replace(
            study, series=part, y_label=label, title="", kind="line", note=""
        )
        plot_curves(view, ax=inset, **style)
        for text in inset.get_legend().get_texts():  # small: the insets are
            text.set_fontsize(6)
    return ax


def _plot_policies(study: Study, *, ax: Axes | None = None) -> Axes:
    """A "policy" study: one map per series, in insets of ``ax``."""
    ax = _axes(ax)
    env = gridworlds.make(study.maze)
    ax.set_axis_off()
    _set_title(ax, study.title)
    width = 1 / len(study.series)
    for i, series in enumerate(study.series):
        inset = ax.inset_axes([i * width + 0.02 * width, 0.0, 0.96 * width, 0.9])
        plot_policy(env, first_q_table(series, env), ax=inset, values=False)
        inset.set_title(series.name)
    return ax


# -- grid views ------------------------------------------------------------------
def _cell_image(env: gridworlds.GridWorld, values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.shape != (env.n_states,):
        raise ValueError(
            f"values has shape {values.shape}, must be (n_states,) == ({env.n_states},)"
        )
    image = values.reshape(env.shape).copy()
    image[np.isin(env.grid, ["#", "C"])] = np.nan  # show the map there instead
    return image


def plot_grid_values(
    env: gridworlds.GridWorld,
    values: np.ndarray,
    *,
    ax: Axes | None = None,
    cmap: str = "viridis",
    label: str = "value",
    vmin: float | None = None,
    vmax: float | None = None,
) -> Axes:
    """A heatmap of one number per state (values, visit counts, errors) drawn
    on the env's map; walls and cliffs keep their map colours. ``vmin`` and
    ``vmax`` fix the colour scale (give two maps the same to compare them)."""
    from matplotlib import patheffects

    ax = gridworlds.draw(env, _axes(ax), show_agent=False, labels=False)
    image = ax.imshow(
        _cell_image(env, values),
        cmap=cmap,
        interpolation="nearest",
        vmin=vmin,
        vmax=vmax,
    )
    ax.figure.colorbar(image, ax=ax, label=label, shrink=0.8)
    outline = [patheffects.withStroke(linewidth=2, foreground="black")]
    for (row, col), char in np.ndenumerate(env.grid):
        if char in "SGC":
            ax.text(
                col,
                row,
                char,
                ha="center",
                va="center",
                color="white",
                path_effects=outline,
            )
    return ax


def plot_policy(
    env: gridworlds.GridWorld,
    q: np.ndarray,
    *,
    ax: Axes | None = None,
    values: bool = True,
) -> Axes:
    """The greedy policy of ``q`` (shape (S, A)) as arrows on the map, over a
    heatmap of max_a Q if ``values``. Cells where all actions tie get no arrow."""
    if not all(hasattr(env, name) for name in ("grid", "n_states", "n_actions")):
        raise TypeError(
            f"env must be a GridWorld (plot_policy(env, q): the env first), got "
            f"{type(env).__name__}"
        )
    q = np.asarray(q)
    expected = (env.n_states, env.n_actions)
    if q.shape != expected:
        raise ValueError(
            f"q has shape {q.shape}, must be (n_states, n_actions) == {expected} "
            f"(plot_policy(env, q): the env first)"
        )
    ax = (
        plot_grid_values(env, q.max(axis=1), ax=ax, label="max Q")
        if values
        else gridworlds.draw(env, _axes(ax), show_agent=False)
    )
    best = q.argmax(axis=1)
    decided = decided_states(q, env)
    rows, cols = np.divmod(np.flatnonzero(decided), env.shape[1])
    moves = gridworlds.MOVES[best[decided]]
    # Rows grow downward on the map (the y-axis is inverted), so a move's d_row
    # is already its step in y.
    ax.quiver(
        cols,
        rows,
        moves[:, 1],
        moves[:, 0],
        color="white" if values else "black",  # seen on the heatmap, or the map
        pivot="middle",
        scale=1.6,
        scale_units="xy",
        angles="xy",
        width=0.006,
    )
    return ax


def plot_visits(
    env: gridworlds.GridWorld, counts: np.ndarray, *, ax: Axes | None = None
) -> Axes:
    """Visit counts per state (shape (S,), or (S, A), summed over actions)."""
    counts = np.asarray(counts)
    if counts.ndim == 2:
        counts = counts.sum(axis=1)
    return plot_grid_values(env, counts, ax=ax, cmap="magma", label="visits")


def plot_model_error(
    env: gridworlds.GridWorld,
    errors: np.ndarray,
    *,
    ax: Axes | None = None,
    vmax: float | None = None,
) -> Axes:
    """A learned model's error per cell, shape ``(S,)``: for example the mean
    over actions of :func:`~tabular_mbrl.models.transition_error` against the
    env's true model. The scale runs from 0 to ``vmax`` (the largest error,
    if None): give every map of a comparison the same."""
    return plot_grid_values(
        env, errors, ax=ax, cmap="Reds", label="model error (TV)", vmin=0.0, vmax=vmax
    )
