"""Files written whole or not at all.

Every file the package writes (a run's CSV and PNG, ``results.json``, the
bench's JSON, a lecture's figure, the copied handout) is written to a
temporary file in the target's folder and renamed over the target
(:func:`os.replace`) only when complete: a reader, a second run or Ctrl-C sees
the old file or the new one, never a mix. :func:`write_atomically` does both
steps; :func:`stage` writes the temporary and leaves the rename to the caller,
for outputs that belong together (a run's CSV and PNG are both written before
either replaces its old file). :func:`output_problem` says up front why a path
could not be written, without creating a file of the user's names.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

__all__ = [
    "Staged",
    "folder_problem",
    "output_problem",
    "stage",
    "write_atomically",
]

T = TypeVar("T")


def _read_only(path: Path) -> bool:
    """No write permission for us, or no write bit for anyone (so also for
    root, whom :func:`os.access` lets write anything)."""
    return not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222


def folder_problem(folder: str | os.PathLike) -> str | None:
    """Why no file can be written in ``folder``, or None if one can.

    "missing", "not a folder", "read-only" (no write permission, or no write
    bit for anyone), or the error of creating a uniquely named temporary file
    there (which is removed at once; no file of the user's names is made).
    """
    folder = Path(folder)
    if not folder.exists():
        return "missing"
    if not folder.is_dir():
        return "not a folder"
    if _read_only(folder):
        return "read-only"
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".tabular-mbrl-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        return error.strerror or str(error)
    return None


def output_problem(path: str | os.PathLike) -> str | None:
    """Why ``path`` cannot be written as a whole file, or None if it can.

    The reasons, phrased to follow the path in a message: "is a folder, not a
    file", "is a symlink loop", "is a dangling symlink (to ...)", "is not a
    regular file", "is read-only", "is in a folder that cannot be written
    (FOLDER: why)" (:func:`folder_problem`). Nothing of the user's names is
    created.

    Parameters
    ----------
    path : str or PathLike
        The file to be written (it may exist; a symlink to a file counts as
        that file).

    Returns
    -------
    str or None
    """
    path = Path(path)
    if path.is_symlink():
        try:
            os.stat(path)
        except OSError as error:
            if error.errno == errno.ELOOP:
                return "is a symlink loop"
            return f"is a dangling symlink (to {os.readlink(path)})"
    if path.is_dir():
        return "is a folder, not a file"
    real = Path(os.path.realpath(path))
    if real.exists():
        if not real.is_file():
            return "is not a regular file"
        if _read_only(real):
            return "is read-only"
    why = folder_problem(real.parent)
    if why:
        return f"is in a folder that cannot be written ({real.parent}: {why})"
    return None


@dataclass
class Staged:
    """A complete temporary file waiting to replace ``target``.

    ``path`` is the path the caller named; ``target`` the file it stands for
    (a symlink's file), which :meth:`commit` replaces.
    """

    path: Path
    target: Path
    temporary: Path

    def commit(self) -> None:
        """Rename the temporary over the target (atomic on one file system)."""
        os.replace(self.temporary, self.target)

    def discard(self) -> None:
        """Remove the temporary (after a failure, or instead of committing)."""
        self.temporary.unlink(missing_ok=True)


def _open_temporary(target: Path) -> tuple[int, Path]:
    """A new file next to ``target`` with a name no other writer has: created
    with ``O_EXCL`` and the mode a plain ``open`` would give (the umask's)."""
    stem = target.name[:200]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = target.with_name(f".{stem}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(target))


def stage(
    path: str | os.PathLike, write: Callable[[IO[Any]], T], *, binary: bool = False
) -> tuple[Staged, T]:
    """Write a temporary file next to ``path`` with ``write(handle)``.

    The temporary is flushed to disk and closed; it replaces ``path`` only on
    :meth:`Staged.commit`. If ``write`` or anything else fails (also on
    Ctrl-C) the temporary is removed and the error propagates.

    Parameters
    ----------
    path : str or PathLike
        The file to be replaced; a symlink's file is replaced, not the link.
    write : callable
        ``write(handle)`` writes the whole content; its return value is
        returned.
    binary : bool
        Give ``write`` a binary handle; otherwise a text handle (UTF-8, no
        newline translation).

    Returns
    -------
    (Staged, object)
        The staged file and what ``write`` returned.

    Raises
    ------
    IsADirectoryError
        If ``path`` is a folder.
    PermissionError
        If ``path`` exists and is read-only (no write bit), as ``open`` would.
    OSError
        If ``path`` exists and is not a regular file (a device or a pipe: it
        has no old content to keep and cannot be replaced by a rename), or
        from writing.
    """
    path = Path(path)
    target = Path(os.path.realpath(path))
    mode = None
    if target.exists():
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not target.is_file():
            raise OSError(errno.EINVAL, "Not a regular file", str(path))
        if _read_only(target):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        mode = stat.S_IMODE(target.stat().st_mode)
    handle, temporary = _open_temporary(target)
    try:
        if mode is not None:  # the new file keeps the old one's permissions
            os.chmod(temporary, mode)
        kind = {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8"}
        with os.fdopen(handle, **kind, newline=None if binary else "") as stream:
            handle = -1  # the stream owns it now
            result = write(stream)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        if handle >= 0:
            os.close(handle)
        temporary.unlink(missing_ok=True)
        raise
    return Staged(path, target, temporary), result


def write_atomically(
    path: str | os.PathLike, write: Callable[[IO[Any]], T], *, binary: bool = False
) -> T:
    """Write ``path`` whole or not at all: :func:`stage`, then commit.

    A reader, a second writer or Ctrl-C sees the old file or the new one,
    never a mix; of two writers at once, the last to finish wins, whole.
    Parameters, errors and the return value are :func:`stage`'s.
    """
    staged, result = stage(path, write, binary=binary)
    try:
        staged.commit()
    except BaseException:
        staged.discard()
        raise
    return result
