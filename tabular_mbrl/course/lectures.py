"""What a lecture script does when run from the command line.

The library never picks a backend or writes files; scripts do. This helper is
that one decision, shared by every script in ``lectures/``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run_lecture(
    main: Callable[[Any], Any],
    config: Any,
    script: str,
    argv: list[str] | None = None,
    *,
    quick: Any = None,
) -> Path:
    """Run ``main(config)``, save the figure as ``<script name>.png`` in the
    current directory, and show it only if ``--show`` is among the arguments.

    With ``--quick`` among the arguments, ``main(quick)`` runs instead: the
    lecture's own reduced budget (its ``QUICK`` config), for a preview in
    seconds. The tests run every lecture at it.

    Returns the path of the saved PNG.
    """
    argv = sys.argv[1:] if argv is None else argv
    show = "--show" in argv
    if "--quick" in argv and quick is not None:
        config = quick
    import matplotlib

    if not show:
        matplotlib.use("Agg")  # saving only: no display needed
    import matplotlib.pyplot as plt

    figure = main(config)
    path = Path(Path(script).stem + ".png")
    figure.savefig(path, dpi=120)
    print(f"saved {path}")
    if show:
        plt.show()
    plt.close(figure)
    return path
