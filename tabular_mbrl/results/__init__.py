"""What experiments measure, its statistics, and the reports of it.

- :mod:`.statistics`: 95 % bootstrap bands across runs and the convergence
  measures (:func:`confidence_interval`, :func:`median_interval`,
  :func:`policy_convergence`, :class:`Convergence`, ...).
- :mod:`.study`: the result types (:class:`EpisodeResults`,
  :class:`StepResults`, :class:`Series`, :class:`Study`), the kinds of study
  (:data:`KINDS`) and the one switch on them (:func:`by_kind`), and Figure
  8.3's count (:func:`greedy_directions`).
- :mod:`.verdicts`: how two series are compared, in one place: a 95 %
  bootstrap interval of the difference (:func:`compare`,
  :func:`compare_proportions`, :class:`Verdict`) and ratios of censored
  medians as bounds (:func:`ratio_text`).
- :mod:`.report`: the CSV and the table of ``tabular-mbrl run``
  (:func:`write_csv`, :func:`summary_table`).

Every name is importable from here: ``from tabular_mbrl.results import Study``.
Plots and tables read these; they compute nothing themselves.
"""

from .report import CSV_COLUMNS, summary_table, write_csv
from .statistics import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    CONVERGENCE_FACTOR,
    FINAL_EPISODES,
    Convergence,
    confidence_interval,
    median_interval,
    policy_convergence,
    steps_to_convergence,
    work_per_step,
)
from .study import (
    KINDS,
    EpisodeResults,
    Series,
    StepResults,
    Study,
    by_kind,
    first_q_table,
    greedy_directions,
)
from .verdicts import (
    LESS,
    MORE,
    SAME,
    Verdict,
    compare,
    compare_proportions,
    ratio_text,
)

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "CONVERGENCE_FACTOR",
    "CSV_COLUMNS",
    "FINAL_EPISODES",
    "KINDS",
    "LESS",
    "MORE",
    "SAME",
    "Convergence",
    "EpisodeResults",
    "Series",
    "StepResults",
    "Study",
    "Verdict",
    "by_kind",
    "compare",
    "compare_proportions",
    "confidence_interval",
    "first_q_table",
    "greedy_directions",
    "median_interval",
    "policy_convergence",
    "ratio_text",
    "steps_to_convergence",
    "summary_table",
    "work_per_step",
    "write_csv",
]
