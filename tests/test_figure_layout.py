"""Every figure the CLI (``run NAME --quick``) and the lectures (``main(QUICK)``)
draw is legible: measured on the drawn canvas, with ``get_window_extent``.

- no two drawn texts overlap (tick labels, axis labels, titles, legend
  entries, bar labels and notes), and no text sits under a legend it is not
  part of, nor one legend on another;
- every text lies inside the figure (none cut off at its edge);
- no legend covers data of its axes: no data point (a line's vertex or
  marker, a bar's top, a scatter point) inside the legend's box, and at most
  :data:`COVERED` of any line's drawn length (a line may graze a corner).
  Shaded bands are not data here: a legend may sit on a band.

The CLI's figure is caught where it is saved (``Figure.savefig``, at the dpi
of the PNG) and drawn, not written; a lecture's is the one its ``main``
returns. Each figure is made once per test process and checked three times.
The fast tier keeps one figure of every kind (curves, bars, policies,
panels, lecture layouts); the rest are ``slow`` (about 30 s in all).
"""

import dataclasses
import importlib.util
import pathlib

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from tabular_mbrl.__main__ import main as cli
from tabular_mbrl.studies import STUDIES

LECTURES = pathlib.Path(__file__).parents[1] / "lectures"
LECTURE_NAMES = sorted(p.stem for p in LECTURES.glob("[0-9]*.py"))

#: Figures checked in the fast tier: one of each kind at least, each made in
#: about a second or less.
FAST = {
    "compare",  # curves, the legend beside them
    "dyna-maze",
    "prioritized-sweeping",  # curves and a long note below
    "mpc",  # bars, hatched, with their legend
    "mpc-ablation",  # ten bars, their labels wrapped
    "model-errors",
    "fig-8-3",  # policies side by side
    "mpc-budget",  # panels
    "rollout-drift",
    "01_q_learning",
    "04_prioritized_sweeping",
    "08_model_errors",  # curves beside two maps with colour bars
    "09_replanning_vs_open_loop",
}

#: The share of a line's drawn length a legend may cover.
COVERED = 0.02

#: Pixels two boxes must share, both ways, to overlap (boxes that touch do not).
PAD = 0.5


# -- the measures --------------------------------------------------------------
def drawn_texts(fig: Figure) -> list[Text]:
    """The texts a draw of ``fig`` actually draws, non-empty, in order: tick
    labels of ticks outside the view, hidden texts and annotations of points
    outside the axes are not drawn, so they are not counted."""
    drawn = {}
    original = Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn[id(self)] = self
        return original(self, renderer)

    Text.draw = draw
    try:
        fig.canvas.draw()
    finally:
        Text.draw = original
    return list(drawn.values())


def _roles(fig: Figure) -> dict[int, str]:
    """What each text of ``fig`` is, for a message: "title of axes 0", ..."""
    roles = {}
    for i, ax in enumerate(fig.axes):
        where = f"of axes {i}"
        roles[id(ax.title)] = f"title {where}"
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            roles[id(axis.label)] = f"{name} label {where}"
            for label in axis.get_ticklabels(which="both"):
                roles[id(label)] = f"{name} tick label {where}"
        for text in ax.texts:
            roles[id(text)] = f"text {where}"
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                roles[id(text)] = f"legend entry {where}"
    for text in fig.texts:
        roles[id(text)] = "text of the figure"
    return roles


def _name(text: Text, roles: dict[int, str]) -> str:
    words = " ".join(text.get_text().split())
    words = words if len(words) <= 50 else words[:47] + "..."
    return f"{roles.get(id(text), 'text')} {words!r}"


def _share(a, b) -> bool:
    """Two display boxes overlap by more than :data:`PAD` both ways."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width > PAD and height > PAD


def _legends(fig: Figure) -> list[Legend]:
    return [lg for lg in fig.findobj(Legend) if lg.get_visible()]


def overlapping_texts(fig: Figure) -> list[str]:
    """Every pair of drawn texts whose boxes overlap, every text under a
    legend it is not part of, every legend on another, as sentences."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    roles = _roles(fig)
    boxes = [(text, text.get_window_extent(renderer)) for text in texts]
    found = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            if _share(box_a, box_b):
                found.append(f"{_name(a, roles)} overlaps {_name(b, roles)}")
    legends = _legends(fig)
    for j, legend in enumerate(legends):
        frame = legend.get_window_extent(renderer)
        own = {id(text) for text in legend.get_texts()} | {id(legend.get_title())}
        for text, box in boxes:
            if id(text) not in own and _share(frame, box):
                entry = legend.get_texts()[0].get_text() if legend.get_texts() else ""
                found.append(f"the legend of {entry!r}... covers {_name(text, roles)}")
        for other in legends[j + 1 :]:
            if _share(frame, other.get_window_extent(renderer)):
                found.append("two legends overlap")
    return found


def texts_off_the_figure(fig: Figure) -> list[str]:
    """Every drawn text whose box leaves the figure (by more than a pixel)."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    roles = _roles(fig)
    edge = fig.bbox
    found = []
    for text in texts:
        box = text.get_window_extent(renderer)
        if (
            box.x0 < edge.x0 - 1
            or box.y0 < edge.y0 - 1
            or box.x1 > edge.x1 + 1
            or box.y1 > edge.y1 + 1
        ):
            found.append(f"{_name(text, roles)} runs off the figure")
    return found


def _along(points: np.ndarray, step: float = 2.0) -> np.ndarray:
    """Points every ``step`` pixels along the polyline ``points``."""
    parts = [points[:1]]
    for a, b in zip(points[:-1], points[1:], strict=True):
        n = max(1, int(np.hypot(*(b - a)) // step))
        parts.append(a + np.linspace(0, 1, n + 1)[1:, None] * (b - a))
    return np.concatenate(parts)


def legends_on_data(fig: Figure) -> list[str]:
    """Every legend inside its axes that covers a data point of them, or more
    than :data:`COVERED` of a line's drawn length."""
    fig.canvas.draw()  # legends placed "best" are placed at draw time
    renderer = fig.canvas.get_renderer()
    found = []
    for legend in _legends(fig):
        ax = legend.axes
        if ax is None:
            continue
        frame = legend.get_window_extent(renderer)

        def inside(points, frame=frame):
            x, y = points[:, 0], points[:, 1]
            return (x >= frame.x0) & (x <= frame.x1) & (y >= frame.y0) & (y <= frame.y1)

        for line in ax.get_lines():
            if not line.get_visible():
                continue
            points = line.get_transform().transform(line.get_xydata())
            points = points[np.isfinite(points).all(axis=1)]
            if not len(points):
                continue
            hidden = int(inside(points).sum())
            drawn = line.get_linestyle() not in ("None", "none", "", " ")
            share = inside(_along(points)).mean() if drawn and len(points) > 1 else 0
            if hidden or share > COVERED:
                found.append(
                    f"the legend covers {hidden} of the {len(points)} points and "
                    f"{share:.0%} of the line {line.get_label()!r}"
                )
        tops = [
            [(box.x0 + box.x1) / 2, box.y1]
            for box in (
                patch.get_window_extent(renderer)
                for patch in ax.patches
                if isinstance(patch, Rectangle) and patch.get_visible()
            )
        ]
        if tops and inside(np.array(tops)).any():
            found.append(
                f"the legend covers the top of {inside(np.array(tops)).sum()} bar(s)"
            )
        for points in ax.collections:
            if isinstance(points, PathCollection) and len(points.get_offsets()):
                at = points.get_offset_transform().transform(points.get_offsets())
                if inside(at).any():
                    found.append(f"the legend covers {inside(at).sum()} scatter points")
    return found


# -- the measures, on figures made to fail them -------------------------------
def test_the_measures_find_what_they_should():
    fig, ax = plt.subplots(figsize=(4, 3))
    try:
        ax.plot(range(10), label="a line")
        ax.set(title="clean", xlabel="x", ylabel="y")
        ax.legend(loc="upper left")
        fig.tight_layout()
        assert overlapping_texts(fig) == []
        assert texts_off_the_figure(fig) == []
        assert legends_on_data(fig) == []

        fig.text(0.5, 0.5, "one")
        fig.text(0.5, 0.5, "two")  # on top of "one"
        assert overlapping_texts(fig) == [
            "text of the figure 'one' overlaps text of the figure 'two'"
        ]
        fig.texts.clear()

        ax.set_xticks(range(10), [f"a long tick label {i}" for i in range(10)])
        found = overlapping_texts(fig)
        assert found and all(
            f.startswith("x tick label of axes 0") and "overlaps x tick label" in f
            for f in found
        )
        ax.set_xticks(range(0, 10, 3), ["0", "3", "6", "9"])

        ax.annotate("here", (4.5, 4.5), fontsize=30)
        ax.legend(loc="center")  # on the line, and on "here"
        (covered,) = legends_on_data(fig)
        assert covered.startswith("the legend covers ")
        assert covered.endswith(" of the line 'a line'")
        assert overlapping_texts(fig) == [
            "text of axes 0 'here' overlaps legend entry of axes 0 'a line'",
            "the legend of 'a line'... covers text of axes 0 'here'",
        ]
        ax.legend(loc="upper left")
        ax.texts[0].remove()
        assert overlapping_texts(fig) == [] and legends_on_data(fig) == []

        fig.text(0.98, 0.5, "cut off at the edge")
        assert texts_off_the_figure(fig) == [
            "text of the figure 'cut off at the edge' runs off the figure"
        ]
    finally:
        plt.close(fig)


def test_a_legend_on_points_or_bars_is_found():
    fig, (left, right) = plt.subplots(1, 2, figsize=(6, 3))
    try:
        left.plot([0, 1, 2], [0, 1, 0], "o", label="points")
        left.legend(loc="upper center")  # on the middle point
        right.bar([0, 1, 2], [1, 3, 1], label="bars")
        right.legend(loc="upper center")  # on the tallest bar
        found = legends_on_data(fig)
        assert found[0].startswith("the legend covers 1 of the 3 points")
        assert found[1] == "the legend covers the top of 1 bar(s)"
    finally:
        plt.close(fig)


# -- every figure --------------------------------------------------------------
def _cli_figure(name, tmp_path, monkeypatch):
    """The figure ``tabular-mbrl run NAME --quick`` saves, at its dpi."""
    caught = []

    def catch(fig, *args, dpi=None, **kwargs):
        caught.append(fig)
        if dpi is not None:
            fig.set_dpi(dpi)  # as savefig draws it

    monkeypatch.setattr(Figure, "savefig", catch)
    argv = ["run", name, "--quick", "--runs", "2", "--seed", "1", "--quiet"]
    assert cli([*argv, "--jobs", "1", "--out", str(tmp_path)]) == 0
    (fig,) = caught
    FigureCanvasAgg(fig)  # the CLI closed it, which takes its canvas away
    return fig


def _lecture_figure(name):
    """The figure ``main(QUICK)`` of a lecture returns, on one job."""
    spec = importlib.util.spec_from_file_location(name, LECTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.QUICK
    if hasattr(config, "jobs"):
        config = dataclasses.replace(config, jobs=1)
    return module.main(config)


@pytest.fixture(scope="module")
def figures():
    made = {}
    yield made
    for fig in made.values():
        plt.close(fig)


@pytest.fixture
def figure(request, figures, tmp_path, monkeypatch, capsys):
    """``figure(name)``: the figure of an experiment or a lecture, made once."""

    def get(name):
        if name not in figures:
            if name in STUDIES:
                figures[name] = _cli_figure(name, tmp_path, monkeypatch)
            else:
                figures[name] = _lecture_figure(name)
            capsys.readouterr()  # their tables and claims
        return figures[name]

    return get


NAMES = [
    pytest.param(name, marks=() if name in FAST else pytest.mark.slow)
    for name in [*STUDIES, *LECTURE_NAMES]
]


def test_the_fast_tier_names_figures_that_exist():
    assert FAST <= {*STUDIES, *LECTURE_NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_no_texts_overlap(name, figure):
    found = overlapping_texts(figure(name))
    assert not found, f"{name}: " + "; ".join(found)


@pytest.mark.parametrize("name", NAMES)
def test_every_text_is_inside_the_figure(name, figure):
    found = texts_off_the_figure(figure(name))
    assert not found, f"{name}: " + "; ".join(found)


@pytest.mark.parametrize("name", NAMES)
def test_no_legend_covers_data(name, figure):
    found = legends_on_data(figure(name))
    assert not found, f"{name}: " + "; ".join(found)
