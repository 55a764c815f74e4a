"""Legibility measures for figures, on the drawn canvas (``get_window_extent``):
used where the CLI's and the lectures' figures are made (``tests/test_cli.py``,
``tests/test_lectures.py``) and tested on figures made to fail them
(``tests/test_figure_layout.py``).

- no two drawn texts overlap (tick labels, axis labels, titles, legend
  entries, bar labels and notes), and no text sits under a legend it is not
  part of, nor one legend on another;
- every text lies inside the figure (none cut off at its edge);
- no legend covers data of its axes: no data point (a line's vertex or
  marker, a bar's top, a scatter point) inside the legend's box, and at most
  :data:`COVERED` of any line's drawn length (a line may graze a corner).
  Shaded bands are not data here: a legend may sit on a band.
"""

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text

#: The share of a line's drawn length a legend may cover.
COVERED = 0.02

#: Pixels two boxes must share, both ways, to overlap (boxes that touch do not).
PAD = 0.5


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


def assert_legible(fig: Figure, name: str) -> None:
    """No overlapping texts, none off the figure, no legend on data."""
    found = overlapping_texts(fig) + texts_off_the_figure(fig) + legends_on_data(fig)
    assert not found, f"{name}: " + "; ".join(found)
