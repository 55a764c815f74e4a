"""The keeper: a small process the grader's test process runs under.

Part of job 3 of the grader, the grading run (see :mod:`.grading`). A
submission that kills its parent's parent kills the keeper, not the grader:
the grader sees a test process die and goes on (as root the submission runs
as another user and cannot signal it at all). The keeper is non-dumpable and,
on Linux, a subreaper: a process the submission starts that leaves the
session (``setsid``) and is orphaned still becomes the keeper's child, and the
keeper kills every child it has before it exits (and should the keeper die,
the grader, a subreaper too, does). SIGTERM tells it to kill the test process
and clean up. It exits with the test process's status, 128 + N if signal N
killed it.

The grader runs this file as a script, by its path (``python -I -S
_keeper.py FD COMMAND...``), so that starting it does not import
``tabular_mbrl``: it imports only the standard library, and ``-I -S`` keep
its own folder, the working folder and site-packages off its ``sys.path``.
FD is a pipe the grader hands the test process its settings through (they
are on no command line); the keeper passes it on and closes its own copy.
"""

import ctypes
import os
import signal
import subprocess
import sys


def main(fd: int, command: list[str]) -> int:
    """Run ``command`` as the keeper's child, then kill what it left behind.

    Parameters
    ----------
    fd : int
        A descriptor the child inherits (its settings), closed here.
    command : list of str
        The test process's command line.

    Returns
    -------
    int
        The child's exit status (128 + N if signal N killed it, as a shell
        says).
    """
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER 1
    except (OSError, AttributeError):
        pass
    child = subprocess.Popen(command, pass_fds=(fd,))
    os.close(fd)
    signal.signal(signal.SIGTERM, lambda *_: child.kill())
    status = child.wait()
    _kill_children()
    return 128 - status if status < 0 else status  # killed by signal N: 128 + N


def _kill_children() -> None:
    """Kill and reap every child of this process (read from ``/proc``) until
    none is left; nothing where there is no ``/proc``."""
    me = str(os.getpid())
    while os.path.isdir("/proc"):
        children = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            if entry.isdigit() and fields[1] == me:
                children.append(int(entry))
        if not children:
            break
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2:]))
