"""The book's chapter 8 results, from seeded runs with loose bounds.

Seeds are fixed, so these never fail by chance; the bounds are wide enough that
any reasonable seed would pass, and narrow enough that a broken agent would not.
Figures 8.2, 8.4 and 8.5 and Example 8.4 are lectures 02, 03 and 04 at their
defaults (the book's settings and run counts), run once and shared with those
lectures' claim tests, which are here for that reason.
"""


from tabular_mbrl.studies import BOOK


def curves(study):
    return {series.name: series for series in study.series}


def test_figure_8_2_planning_steps(lecture_at_defaults):
    # Lecture 02 at its defaults: the book's settings (studies.BOOK), 30 runs.
    _, _, (curves_8_2, _) = lecture_at_defaults("02_dyna_q_planning_steps")
    study = curves(curves_8_2)
    n0, n5, n50 = (study[f"n={n}"].mean() for n in (0, 5, 50))
    assert study["n=0"].values.shape == (BOOK["figure 8.2"]["n_runs"], 50)  # book's
    episode = lambda curve, k: curve[k - 1]  # noqa: E731 - 1-based, as plotted
    assert episode(n50, 3) < 20  # near-optimal by episode 3
    assert episode(n5, 5) < 30 and n5[5:].max() < 25  # by about episode 5
    assert 80 < n0[7:12].mean() < 250  # Q-learning still wandering at episode 10
    assert n0[:20].mean() > 150 and n0[30:].mean() < 25  # converges after ~25
    for curve in (n0, n5, n50):
        assert 14 <= curve[-10:].mean() <= 20  # all settle around 15-18


def test_figure_8_4_blocking_maze(lecture_at_defaults):
    _, config, (study, _) = lecture_at_defaults("03_changing_mazes")
    book = BOOK["figure 8.4"]["n_runs"]
    assert not config.include_mpc and study.series[0].values.shape[0] == book
    assert study.change_step == 1000
    dyna, plus = curves(study)["Dyna-Q"], curves(study)["Dyna-Q+"]
    final_dyna, final_plus = dyna.mean()[-1], plus.mean()[-1]
    assert 40 < final_dyna < 120 and 100 < final_plus < 180  # book: ~80 vs ~140
    assert final_plus > final_dyna + 30
    assert plus.confidence_interval()[0][-1] > dyna.confidence_interval()[1][-1]


def test_figure_8_5_shortcut_maze(lecture_at_defaults):
    _, _, (_, study) = lecture_at_defaults("03_changing_mazes")
    assert study.change_step == 3000
    assert study.series[0].values.shape[0] == BOOK["figure 8.5"]["n_runs"]
    dyna, plus = curves(study)["Dyna-Q"], curves(study)["Dyna-Q+"]

    def rate(series):  # goals per real step over the last 2000 steps, per run
        reward = series.values
        return (reward[:, -1] - reward[:, -2001]) / 2000

    # The old path is 16 steps, so no run on it reaches 1/16 goals per step;
    # the shortcut is 10. Dyna-Q+ takes the shortcut in every run, Dyna-Q in none.
    assert (rate(plus) > 1 / 16).all()
    assert (rate(dyna) < 1 / 16).all()


# Lectures 02, 03 and 04 say what these results show, from the same runs.
def test_lecture_2_planning_claims(lecture_at_defaults):
    lecture, _, result = lecture_at_defaults("02_dyna_q_planning_steps")
    verdicts = [line.split(":")[0] for line in lecture.claims(result)]
    assert verdicts == [
        "Planning buys real steps",
        "The first planning steps buy the most",
        "Planning reaches back",
    ]
    assert lecture.directions(result[1])[0] == 1


def test_lecture_3_changing_maze_claims(lecture_at_defaults):
    lecture, _, result = lecture_at_defaults("03_changing_mazes")
    verdicts = [line.split(":")[0] for line in lecture.claims(result)]
    assert verdicts == [
        "Dyna-Q+ finds the new path more often",
        "Dyna-Q+ takes the shortcut in more runs",
    ]
