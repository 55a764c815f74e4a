"""The legibility measures of ``tests/figure_layout.py``, on figures made to
fail them. Every figure the CLI (``run NAME --quick``) and the lectures
(``main(QUICK)``) draw is measured where it is made: ``tests/test_cli.py``
and ``tests/test_lectures.py``."""

import matplotlib.pyplot as plt
from figure_layout import legends_on_data, overlapping_texts, texts_off_the_figure


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
