"""Who runs a submission, where, with what limits; and the processes it leaves.

Part of job 3 of the grader (see :mod:`.grading`). When the grader runs as
root, as on Gradescope, the worker process that runs student code
(:mod:`._sandbox`) runs as another, unprivileged user (``nobody`` unless told
otherwise): the operating system then keeps it from signalling the grader,
the keeper or the test process, from reading their memory or environment,
and from writing anything the grader reads or writes. The worker gets:

- a folder of its own (``home``: its ``HOME``, ``TMPDIR`` and working
  folder, owned by the worker's user, mode 700);
- a read-only copy of the submission's modules (``modules``), its own copy of
  the worker script (``bin``), and a folder of links to NumPy and
  ``gridworlds`` (``site``), all owned by the grader: the worker's
  ``sys.path`` holds these and the standard library, and no folder with
  ``tabular_mbrl``'s source;
- resource limits (:data:`LIMITS`): CPU time, address space, file size,
  open files and, when it runs as a user of its own, processes.

A grader that does not run as root runs the worker as itself, and says so
(:func:`warning`): the layout and the limits are the same, but the operating
system no longer stands between the submission and the grader.

:func:`kill_strays` and :class:`Subreaper` make the grader itself a child
subreaper while it grades, so that a process a submission leaves behind, even
one that left its session and outlived the keeper, becomes the grader's child
and is killed before any report is written.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "LIMITS",
    "Subreaper",
    "UserLock",
    "Worker",
    "WorkerUser",
    "kill_strays",
    "prepare",
    "resolve_user",
    "warning",
]

#: The worker's resource limits: seconds of CPU (the budget adds to it),
#: bytes of address space, bytes per file written, open files, and (only
#: when it runs as a user of its own, since the count is per user) processes
#: and threads of that user.
LIMITS = {
    "cpu": 60,
    "address_space": 4 * 2**30,
    "file_size": 64 * 2**20,
    "open_files": 256,
    "processes": 64,
}

#: The default user of the worker when the grader runs as root.
DEFAULT_USER = "nobody"

#: Environment variable naming the worker's user when ``grade`` is not told
#: one (as ``--user`` does on the command line).
USER_ENV = "TABULAR_MBRL_GRADE_USER"

#: Environment the worker starts with (nothing of the grader's own).
_WORKER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "MPLBACKEND": "Agg",
    # One thread per BLAS library: the process limit counts threads, and a
    # grading machine's cores are shared.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class WorkerUser:
    """The user the worker runs as; ``separate`` when it is not the grader's."""

    name: str
    uid: int
    gid: int
    separate: bool


@dataclass(frozen=True)
class Worker:
    """Everything the test process needs to start a worker (sent as JSON)."""

    user: WorkerUser
    root: str  # the worker's area, owned by the grader (mode 711)
    script: str  # the worker script's copy
    site: str  # links to NumPy and gridworlds
    modules: str  # the submission's modules, read-only
    home: str  # the worker's own folder
    limits: dict

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Worker:
        user = WorkerUser(**data["user"])
        return cls(**{**data, "user": user})

    def environment(self) -> dict[str, str]:
        return dict(
            _WORKER_ENV, HOME=self.home, TMPDIR=self.home, MPLCONFIGDIR=self.home
        )


def resolve_user(user: object) -> WorkerUser:
    """The user the worker runs as, from ``grade(user=...)``.

    None: the user named by :data:`USER_ENV` if set, else :data:`DEFAULT_USER`
    when the grader runs as root, else the grader's own user. A name or a uid
    of the password database otherwise; a user other than the grader's own
    needs a grader running as root.

    Raises
    ------
    TypeError, ValueError
        If ``user`` is not a name or a uid, names no user, or needs root.
    """
    if not hasattr(os, "geteuid"):  # Windows: submissions run in the test process
        if user is not None:
            raise ValueError(f"user == {user!r}: a user can be chosen on POSIX only")
        return WorkerUser(os.environ.get("USERNAME", "?"), -1, -1, separate=False)
    import pwd

    euid = os.geteuid()
    if user is None:
        user = os.environ.get(USER_ENV) or (DEFAULT_USER if euid == 0 else euid)
    if isinstance(user, bool) or not isinstance(user, str | int):
        raise TypeError(f"user == {user!r}, must be a user name or a uid")
    try:
        entry = pwd.getpwuid(user) if isinstance(user, int) else pwd.getpwnam(user)
    except (KeyError, OverflowError, ValueError):
        raise ValueError(
            f"user == {user!r}, must name a user of this system (see /etc/passwd)"
        ) from None
    if entry.pw_uid != euid and euid != 0:
        raise ValueError(
            f"user == {user!r}, must be the grader's own user: only a grader "
            f"running as root can run the submissions as another user "
            f"(this one runs as uid {euid})"
        )
    return WorkerUser(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_uid != euid)


def warning(user: WorkerUser) -> str | None:
    """The one line to print when the submissions run with the grader's own
    rights, else None."""
    if user.separate:
        return None
    how = (
        "let them run as an unprivileged user (--user, by default nobody)"
        if getattr(os, "geteuid", lambda: -1)() == 0
        else "run the grader as root (it then runs them as an unprivileged user)"
    )
    return (
        f"warning: the submissions run as {user.name}, with the grader's own "
        f"rights, so they can tamper with grading; to grade untrusted code {how} "
        "or use a container per submission"
    )


# -- what the worker's user may do ------------------------------------------------
def _may(info: os.stat_result, user: WorkerUser, bits: int) -> bool:
    """Whether ``user`` (with its primary group only, as the worker runs) has
    the permission ``bits`` (4 read, 2 write, 1 search/execute) on a file of
    ``info``, by its mode bits."""
    if user.uid == 0:
        return True
    if info.st_uid == user.uid:
        return (info.st_mode >> 6) & bits == bits
    if info.st_gid == user.gid:
        return (info.st_mode >> 3) & bits == bits
    return info.st_mode & bits == bits


def unreachable(path: str | os.PathLike, user: WorkerUser, bits: int = 4) -> str | None:
    """Why ``user`` cannot use ``path`` (search every folder above it, and
    ``bits`` on it), or None if it can."""
    path = Path(os.path.realpath(path))
    for folder in reversed(path.parents):
        try:
            info = os.stat(folder)
        except OSError as error:
            return f"{folder}: {error.strerror}"
        if not _may(info, user, 1):
            return f"{folder} is closed to it ({_mode(info)})"
    try:
        info = os.stat(path)
    except OSError as error:
        return f"{path}: {error.strerror}"
    if stat.S_ISDIR(info.st_mode):
        bits |= 1
    if not _may(info, user, bits):
        return f"{path} is closed to it ({_mode(info)})"
    return None


def writable(path: str | os.PathLike, user: WorkerUser) -> str | None:
    """Why ``user`` could change what is in the folder ``path`` (write it, or
    rename it away in a folder above it), or None."""
    path = Path(os.path.realpath(path))
    try:
        info = os.stat(path)
    except OSError:
        return None
    if _may(info, user, 3) or info.st_uid == user.uid:
        return f"{path} can be written by it ({_mode(info)})"
    for child, folder in zip([path, *path.parents], path.parents, strict=False):
        try:
            above = os.stat(folder)
            mine = os.stat(child).st_uid == user.uid
        except OSError:
            continue
        sticky = above.st_mode & stat.S_ISVTX and not mine
        if _may(above, user, 3) and not sticky:
            return f"{folder} can be written by it ({_mode(above)})"
    return None


def _mode(info: os.stat_result) -> str:
    def name(get, ident):
        try:
            return get(ident)[0]
        except (KeyError, OverflowError):
            return str(ident)

    import grp
    import pwd

    owner = name(pwd.getpwuid, info.st_uid)
    group = name(grp.getgrgid, info.st_gid)
    return f"{stat.filemode(info.st_mode)} {owner} {group}"


def check_python(user: WorkerUser, python: str) -> None:
    """Raise ``PermissionError`` with one line if ``user`` cannot run the
    worker's interpreter and libraries, or could change the Python
    installation the test process imports from."""
    if not user.separate:
        return
    needed = [python, os.path.dirname(os.__file__)]
    for name in ("numpy", "gridworlds"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            needed.extend(spec.submodule_search_locations)
    for path in needed:
        why = unreachable(path, user, 5 if path == python else 4)
        if why:
            raise PermissionError(
                f"the worker's user {user.name} cannot use {path}: {why}; install "
                "Python and the packages where other users can read them, or "
                "choose another user"
            )
    check_installation(user)


def check_installation(user: WorkerUser) -> None:
    """Raise ``PermissionError`` with one line if ``user`` could write to a
    folder on this process's ``sys.path`` (a ``.pth`` file or a module planted
    there would run in the next test process), or rename one away."""
    # Not the script's folder or the working folder (sys.path[0]): the test
    # process runs without it (see ._runner.BOOT).
    first = 0 if getattr(sys.flags, "safe_path", False) or sys.flags.isolated else 1
    for path in sys.path[first:]:
        if path and os.path.isdir(path):
            why = writable(path, user)
            if why:
                raise PermissionError(
                    f"the worker's user {user.name} could plant modules the test "
                    f"process imports: {why}; it must not write to the Python "
                    "installation"
                )


# -- the worker's area -------------------------------------------------------------
def prepare(
    user: WorkerUser, modules: dict[str, bytes], script: Path, budget: float
) -> Worker:
    """Make the worker's area: a folder of the grader's (mode 711) holding the
    worker script's copy, links to NumPy and gridworlds, the submission's
    ``modules`` (name -> bytes), read-only, and the worker's own folder.

    Raises ``OSError`` (a full disk, ...)."""
    root = Path(tempfile.mkdtemp(prefix="tabular-mbrl-worker-"))
    try:
        os.chmod(root, 0o711)
        bin_ = _read_only_folder(root / "bin", {script.name: script.read_bytes()})
        site = root / "site"
        site.mkdir()
        for name in ("numpy", "gridworlds"):
            spec = importlib.util.find_spec(name)
            if spec is None or not spec.submodule_search_locations:
                continue
            location = Path(list(spec.submodule_search_locations)[0])
            (site / name).symlink_to(location, target_is_directory=True)
            libs = location.with_name(f"{name}.libs")  # a wheel's shared libraries
            if libs.is_dir():
                (site / libs.name).symlink_to(libs, target_is_directory=True)
        os.chmod(site, 0o555)
        copied = _read_only_folder(root / "submission", modules)
        home = root / "home"
        home.mkdir(mode=0o700)
        if user.separate:
            os.chown(home, user.uid, user.gid)
        limits = dict(LIMITS, cpu=int(LIMITS["cpu"] + budget))
        return Worker(
            user,
            str(root),
            str(bin_ / script.name),
            str(site),
            str(copied),
            str(home),
            limits,
        )
    except BaseException:
        remove(root)
        raise


def _read_only_folder(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
        os.chmod(folder / name, 0o444)
    os.chmod(folder, 0o555)
    return folder


def remove(folder: str | os.PathLike) -> None:
    """Remove a folder of the grader's, whatever the worker left in it."""

    def retry(function, path, _):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            function(path)

    shutil.rmtree(folder, onerror=retry)


# -- one grading at a time per worker user ----------------------------------------
class UserLock:
    """Held while a grading runs submissions as a user of their own (Linux):
    gradings that would run as the same user at once (``grade-class`` with
    several jobs, two graders side by side) take turns, so that one student's
    code never runs beside another's as the same user, where it could kill
    or trace it, or write its files. The lock is a name in the abstract
    socket namespace: no file a submission could plant, remove or hold open.
    Elsewhere, and for the grader's own user, it does nothing."""

    def __init__(self, user: WorkerUser) -> None:
        self.user = user
        self.socket = None

    def __enter__(self) -> UserLock:
        import socket
        import time

        if not self.user.separate or not sys.platform.startswith("linux"):
            return self
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        name = f"\0tabular-mbrl-grading-as-uid-{self.user.uid}"
        while True:
            try:
                self.socket.bind(name)
                return self
            except OSError:  # another grading runs as this user: wait
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None


# -- the processes a submission leaves behind --------------------------------------
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37


def _prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


class Subreaper:
    """While at least one grading runs, this process is a child subreaper
    (Linux): an orphan of its descendants becomes its child instead of
    init's. The keepers of the gradings in progress are registered, so that
    :func:`kill_strays` never kills one."""

    _lock = threading.Lock()
    _depth = 0
    _was = 0
    keepers: set[int] = set()

    def __enter__(self) -> Subreaper:
        with self._lock:
            prctl = _prctl()
            if Subreaper._depth == 0 and prctl is not None:
                import ctypes

                was = ctypes.c_int(0)
                if prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(was), 0, 0, 0) == 0:
                    Subreaper._was = was.value
                prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            Subreaper._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            Subreaper._depth -= 1
            prctl = _prctl()
            if Subreaper._depth == 0 and prctl is not None:
                prctl(_PR_SET_CHILD_SUBREAPER, Subreaper._was, 0, 0, 0)


def _processes() -> dict[int, tuple[int, int]]:
    """Every process: pid -> (parent pid, real uid), from ``/proc``."""
    found = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                lines = status.read().splitlines()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        try:
            parent = int(fields["PPid"])
            uid = int(fields["Uid"].split()[0])
        except (KeyError, ValueError, IndexError):
            continue
        found[int(entry)] = (parent, uid)
    return found


def _strays(uid: int) -> tuple[list[int], list[int]]:
    """This process's descendants that run as ``uid``, outside the subtrees
    of the keepers of gradings in progress; and which of them are its own
    children."""
    table, me = _processes(), os.getpid()
    with Subreaper._lock:
        keepers = set(Subreaper.keepers)
    strays, children = [], []
    for pid, (parent, owner) in table.items():
        chain, above = [pid], parent
        while above not in (me, 0, 1) and above in table and len(chain) < 10_000:
            chain.append(above)
            above = table[above][0]
        if above != me or keepers & set(chain):
            continue  # not ours, or a grading in progress
        if owner == uid:
            strays.append(pid)
            if parent == me:
                children.append(pid)
    return strays, children


def kill_strays(uid: int, seconds: float = 10.0) -> int:
    """Kill every descendant of this process that runs as ``uid`` and is not
    under the keeper of a grading in progress: what a submission left behind,
    re-parented here or on its way (see :class:`Subreaper`); reap the ones
    that are this process's children. Repeats until none is left (killing a
    process hands its children to this one), for at most ``seconds``.
    Returns how many were killed."""
    import time

    killed, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        strays, children = _strays(uid)
        if not strays:
            break
        for pid in strays:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        for pid in children:
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
        if not children:  # dying, not yet handed over: give them a moment
            time.sleep(0.005)
    return killed
