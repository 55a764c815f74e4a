"""What a lecture script does when run from the command line.

The library never picks a backend or writes files; scripts do. This helper is
that one decision, shared by every script in ``lectures/``::

    python lectures/02_dyna_q_planning_steps.py [--show] [--quick]
                                                [--set FIELD=VALUE ...]

``--set`` changes one field of the script's ``Config``, typed from its
annotation (``--set n_runs=30``, ``--set n_planning_steps=0,5,50``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any


class LectureUsageError(Exception):
    """A bad command line for a lecture script: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        raise LectureUsageError(message)


def _convert(kind: Any, text: str, name: str) -> Any:
    """``text`` as a value of the annotation ``kind`` (int, float, bool, str or
    a tuple of them)."""
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_convert(item, part, name) for part in text.split(",") if part)
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return text.lower() in ("true", "1")
        return kind(text)
    except ValueError:
        label = getattr(kind, "__name__", str(kind))
        raise LectureUsageError(f"--set {name}={text}: not a {label}") from None


def apply_settings(config: Any, settings: list[str]) -> Any:
    """``config`` with each ``FIELD=VALUE`` of ``settings`` applied, typed from
    the dataclass's annotations.

    Raises
    ------
    LectureUsageError
        For a setting without ``=``, an unknown field or a value of the wrong
        type, naming it and the fields there are.
    """
    hints = typing.get_type_hints(type(config))
    fields = [f.name for f in dataclasses.fields(config)]
    changes = {}
    for setting in settings:
        name, sep, text = setting.partition("=")
        if not sep:
            raise LectureUsageError(f"--set {setting}: must be FIELD=VALUE")
        if name not in fields:
            raise LectureUsageError(
                f"--set {setting}: unknown field {name!r}; fields: {', '.join(fields)}"
            )
        changes[name] = _convert(hints[name], text, name)
    return dataclasses.replace(config, **changes)


def run_lecture(
    main: Callable[[Any], Any],
    config: Any,
    script: str,
    argv: list[str] | None = None,
    *,
    quick: Any = None,
) -> Path:
    """Run ``main(config)``, save the figure as ``<script name>.png`` in the
    current directory, and show it only with ``--show``.

    With ``--quick``, ``main(quick)`` runs instead: the lecture's own reduced
    budget (its ``QUICK`` config), for a preview in seconds; the tests run every
    lecture at it. ``--set FIELD=VALUE`` (repeatable) changes a field of the
    config, and ``--help`` lists the fields with their defaults. A bad command
    line prints one line and exits with status 2.

    Returns the path of the saved PNG.
    """
    argv = sys.argv[1:] if argv is None else argv
    name = Path(script).name
    fields = "\n".join(
        f"  {f.name} = {getattr(config, f.name)!r}"
        for f in (
            dataclasses.fields(config) if dataclasses.is_dataclass(config) else ()
        )
    )
    parser = _Parser(
        prog=f"python {name}",
        description=(getattr(main, "__globals__", {}).get("__doc__") or "").split("\n")[
            0
        ],
        epilog=f"fields of Config (--set FIELD=VALUE):\n{fields}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--show", action="store_true", help="open a window")
    parser.add_argument(
        "--quick", action="store_true", help="the reduced budget, for a preview"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="change a field of Config (repeatable)",
    )
    try:
        args = parser.parse_args(argv)
        if args.quick and quick is not None:
            config = quick
        if args.set:
            config = apply_settings(config, args.set)
    except LectureUsageError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    import matplotlib

    if not args.show:
        matplotlib.use("Agg")  # saving only: no display needed
    import matplotlib.pyplot as plt

    figure = main(config)
    path = Path(Path(script).stem + ".png")
    figure.savefig(path, dpi=120)
    print(f"saved {path}")
    if args.show:
        plt.show()
    plt.close(figure)
    return path
