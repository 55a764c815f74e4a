"""What a lecture script does when run from the command line.

The library never picks a backend or writes files; scripts do. This helper is
that one decision, shared by every script in ``lectures/``::

    python lectures/02_dyna_q_planning_steps.py [--show] [--quick]
                                                [--set FIELD=VALUE ...]

``--set`` changes one field of the script's ``Config``, typed from its
annotation (``--set n_runs=30``, ``--set n_planning_steps=0,5,50``); ``--help``
lists the fields with their defaults and the comment written beside each.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import io
import os
import sys
import tempfile
import textwrap
import tokenize
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._files import output_problem, write_atomically


class LectureUsageError(Exception):
    """A bad command line for a lecture script: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        raise LectureUsageError(message)


def _convert(kind: Any, text: str, name: str) -> Any:
    """``text`` as a value of the annotation ``kind`` (int, float, bool, str or
    a tuple of them, of one value at least)."""
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        values = tuple(_convert(item, part, name) for part in text.split(",") if part)
        if not values:
            label = getattr(item, "__name__", str(item))
            raise LectureUsageError(
                f"--set {name}={text}: needs at least one {label} (comma-separated)"
            )
        return values
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


def field_comments(
    cls: type, script: str | os.PathLike | None = None
) -> dict[str, str]:
    """The comment written beside each field of the class ``cls`` in its
    source, by field name::

        n_runs: int = 10  # runs per curve      ->  {"n_runs": "runs per curve"}

    A field whose statement spans lines takes the comments on all of them,
    joined. The source is the class's own, else the top-level class of that
    name in ``script``; empty where neither can be read (a class made at run
    time).
    """
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):  # its module is not imported by name
        try:
            source = Path(script).read_text(encoding="utf-8") if script else ""
        except (OSError, UnicodeDecodeError):
            return {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        tree = ast.parse(source)
    except (SyntaxError, tokenize.TokenError, ValueError):
        return {}
    classes = [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__
    ]
    comments: dict[int, str] = {}  # line -> its comment's text
    for token in tokens:
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    found = {}
    for statement in classes[-1].body if classes else ():
        if isinstance(statement, ast.AnnAssign) and isinstance(
            statement.target, ast.Name
        ):
            lines = range(statement.lineno, statement.end_lineno + 1)
            text = " ".join(comments[line] for line in lines if line in comments)
            if text:
                found[statement.target.id] = text
    return found


def _fields_help(config: Any, script: str) -> str:
    """The fields of ``config`` for ``--help``: each with its value and the
    comment beside it in the source, in a column."""
    if not dataclasses.is_dataclass(config):
        return ""
    comments = field_comments(type(config), script)
    names = [f.name for f in dataclasses.fields(config)]
    shown = [f"{name} = {getattr(config, name)!r}" for name in names]
    width = min(max(map(len, shown), default=0), 34) + 2
    lines = []
    for name, text in zip(names, shown, strict=True):
        comment = comments.get(name, "")
        if not comment:
            lines.append(f"  {text}")
        elif len(text) < width:
            lines.append(f"  {text:<{width}}{comment}")
        else:  # too long for the column: the comment on its own line
            lines += [f"  {text}", f"  {'':<{width}}{comment}"]
    return "\n".join(lines)


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
    lecture at it. A preview says so: a first line names what it changes, the
    figure is titled :data:`PREVIEW_TITLE` and saved as
    ``<script name>-quick.png``, beside the lecture's own. ``--set
    FIELD=VALUE`` (repeatable) changes a field of the config, and ``--help``
    lists the fields with their defaults and the comment written beside each
    in the script (:func:`field_comments`). A bad command line prints one line
    and exits with status 2.

    A value that parses but the study refuses (``--set n_runs=0``: the
    ``ValueError`` or ``TypeError`` raised while running with a ``--set``)
    prints one line and exits with status 2 too. The PNG is written whole (a
    temporary file renamed over it when complete) and refused up front if it
    could not be (a folder of that name, a dangling symlink, read-only); if
    writing it fails after the run, it is kept in a new temporary folder, named
    in the one-line error (exit status 2). Ctrl-C prints one line saying the
    PNG was not written, and exits with status 130.

    Returns the path of the saved PNG.
    """
    argv = sys.argv[1:] if argv is None else argv
    name = Path(script).name
    fields = _fields_help(config, script)
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
    path = Path(Path(script).stem + ".png")

    def fail(message: str, status: int = 2, kind: str = "error") -> typing.NoReturn:
        print(f"{name}: {kind}: {message}", file=sys.stderr)
        raise SystemExit(status)

    try:
        args = parser.parse_args(argv)
        preview = args.quick and quick is not None
        if preview:
            print(_preview_line(config, quick))
            config = quick
            path = path.with_name(f"{path.stem}-quick.png")  # not the lecture's
        if args.set:
            config = apply_settings(config, args.set)
    except LectureUsageError as error:
        fail(str(error))
    problem = output_problem(path)
    if problem:
        fail(f"{path} {problem}")
    existed = os.path.lexists(path)
    as_it_was = f"{path} {'is as it was' if existed else 'was not written'}"
    saved = False
    sys.stdout = piped = _ClosablePipe(sys.stdout)  # `| head`: still saved
    try:
        import matplotlib

        if not args.show:
            matplotlib.use("Agg")  # saving only: no display needed
        import matplotlib.pyplot as plt

        try:
            figure = main(config)
        except Exception as error:  # noqa: BLE001 (reported in one line)
            if not args.set:  # not the user's value: a bug, with its traceback
                raise
            kind = (
                ""
                if isinstance(error, ValueError | TypeError)
                else f"{type(error).__name__}: "
            )
            fail(f"{kind}{_first_line(error)} (with --set {' '.join(args.set)})")

        if preview:  # above the figure, which grows to hold it
            figure.suptitle(PREVIEW_TITLE, y=1.0, va="bottom", fontsize=9, color="0.3")
        fit = {"bbox_inches": "tight"} if preview else {}

        def save(target: str | os.PathLike) -> None:
            write_atomically(
                target,
                lambda h: figure.savefig(h, format="png", dpi=120, **fit),
                binary=True,
            )

        try:
            save(path)
        except OSError as error:
            kept = _keep_elsewhere(save, path.name)
            why = error.strerror or error
            fail(f"could not write {path} ({why}); {kept}; {as_it_was}")
        saved = True
        print(f"saved {path}")
        if args.show:
            plt.show()
        plt.close(figure)
    except KeyboardInterrupt:
        done = f"saved {path}" if saved else f"nothing written; {as_it_was}"
        fail(done, status=130, kind="interrupted")
    finally:
        if sys.stdout is piped:
            sys.stdout = piped.stream
    return path


class _ClosablePipe:
    """Standard output that, once its reader has gone (``| head``), sends the
    rest to nowhere instead of raising ``BrokenPipeError``."""

    def __init__(self, stream: typing.TextIO) -> None:
        self.stream = stream

    def _closed(self) -> None:
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, self.stream.fileno())  # later writes and the exit's flush
        os.close(nowhere)

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self._closed()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._closed()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


#: Above a figure drawn at a lecture's reduced budget (``--quick``).
PREVIEW_TITLE = "quick preview: a reduced budget, not the lecture's claims"


def _preview_line(full: Any, quick: Any) -> str:
    """What ``--quick`` changes, said before the lecture runs: its claims
    come from few runs and can come out otherwise."""
    changed = ""
    if dataclasses.is_dataclass(full) and type(full) is type(quick):
        pairs = [
            (f.name, getattr(quick, f.name), getattr(full, f.name))
            for f in dataclasses.fields(full)
            if getattr(quick, f.name) != getattr(full, f.name)
        ]
        changed = ": " + ", ".join(f"{n} = {q} (not {v})" for n, q, v in pairs)
    return (
        f"quick preview{changed}. Its lines below come from a few runs and can "
        "come out otherwise; run without --quick for the lecture's claims."
    )


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _keep_elsewhere(save: Callable[[Path], None], filename: str) -> str:
    """``save`` into a new temporary folder; where, for the error line."""
    try:
        keep = Path(tempfile.mkdtemp(prefix="lecture-")) / filename
        save(keep)
    except OSError as error:
        return f"could not keep it elsewhere either ({error})"
    return f"the figure is kept in {keep}"
