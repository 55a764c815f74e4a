"""Course tooling, apart from the algorithms: grading the exercises with pytest
(:mod:`.grading`, the public face of :mod:`.authoring`, :mod:`._client`,
:mod:`._runner` and :mod:`.report`, and the plugin its test process loads) and
running a lecture script from the command line (:mod:`.lectures`).

Exercise tests import from here::

    from tabular_mbrl.course import points, submission
"""

from ._sandbox import repeat
from .grading import GradeReport, GradingError, grade, points, submission
from .handout import copy_material
from .lectures import run_lecture

__all__ = [
    "GradeReport",
    "GradingError",
    "copy_material",
    "grade",
    "points",
    "repeat",
    "run_lecture",
    "submission",
]
