"""Worker processes that are never forked from a threaded process.

``fork`` copies this process as it is, and a child forked while another
thread held a lock can deadlock on it (Python 3.12 warns). Workers are forked
only from a process that runs no other Python thread, on Linux (a copy starts
at once: a worker costs milliseconds); from any other (a notebook's kernel, a
GUI, a program with threads of its own) they are fresh interpreters
(``spawn``: about half a second each, to import NumPy and this package).
NumPy's BLAS threads stop themselves around a fork (``pthread_atfork``). What
a pool sends travels by pickle either way: module-level functions, or
``functools.partial`` of them, with picklable arguments.

A callable of this process that a task carries (a study's progress report)
can be sent as :func:`relayed` gives it: in the worker its calls become
messages that :func:`in_processes` hands back to it here, in order.

And the command line's BLAS gets one thread (:func:`one_blas_thread`).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any


def one_blas_thread() -> None:
    """One BLAS thread for the command line (``python -m tabular_mbrl``,
    ``tabular-mbrl``), unless the user chose (``OPENBLAS_NUM_THREADS``).

    Its linear algebra is a bootstrap band's small products, which a second
    thread cannot speed up, and OpenBLAS's idle threads spin: about 8 % of a
    figure's CPU time, measured side by side on 2 cores. It takes effect
    only before NumPy is loaded, so the package calls it first, as it is
    imported; a script or a notebook that imports the package keeps its BLAS
    as it is."""
    global BLAS_THREADS_SET
    program = os.path.basename(getattr(sys, "argv", [""])[0] or "")
    if program in ("-m", "tabular-mbrl") and "numpy" not in sys.modules:
        BLAS_THREADS_SET = "OPENBLAS_NUM_THREADS" not in os.environ
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


#: Whether :func:`one_blas_thread` set ``OPENBLAS_NUM_THREADS`` here (the
#: user had not): what another program started from here should not inherit.
BLAS_THREADS_SET = False


one_blas_thread()  # at import, before NumPy: the package imports this first

_relays: dict[int, Callable] | None = None  # while tasks are pickled: id -> callable
_channel: Any = None  # in a worker: its connection to the process that sent it


def context() -> multiprocessing.context.BaseContext:
    """How workers start: ``fork`` on Linux when this process runs no other
    Python thread, else ``spawn`` (a new interpreter per worker, which
    imports what its task needs).

    Not ``forkserver``: its server could preload nothing (NumPy's BLAS
    starts threads), so it would save only the interpreter's start, while it
    outlives the pool as a child of this process; the grader, when it runs
    as this user, kills and reaps such strays, after which multiprocessing
    can start no other (``ChildProcessError``)."""
    alone = threading.active_count() == 1
    if alone and sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class _Relay:
    """Stands in, in a worker, for a callable of the process that sent it."""

    def __init__(self, key: int) -> None:
        self.key = key

    def __call__(self, *args: Any) -> None:
        _channel.send(("call", self.key, args))


def relayed(function: Callable | None) -> Callable | None:
    """``function`` as a task is to carry it: while :func:`in_processes`
    pickles its tasks, a stand-in whose calls in the worker come back to
    ``function`` in this process; otherwise (or for None) ``function``."""
    if function is None or _relays is None:
        return function
    _relays[id(function)] = function
    return _Relay(id(function))


def _pickled(tasks: list[Callable[[], Any]]) -> tuple[list[bytes], dict]:
    """Each task pickled, and the callables relayed from them by key."""
    global _relays
    _relays = {}
    try:
        payloads = []
        for i, task in enumerate(tasks):
            try:
                payloads.append(pickle.dumps(task))
            except (pickle.PicklingError, AttributeError, TypeError) as error:
                raise TypeError(
                    f"task {i} cannot be sent to a worker process ({error}); "
                    "give a module-level function, or a "
                    "functools.partial of one, with picklable arguments"
                ) from None
        return payloads, _relays
    finally:
        _relays = None


class WorkerTraceback(Exception):
    """Where a task failed in its worker: the ``__cause__`` of its error."""


def _work(connection: Any) -> None:
    """A worker: run each task sent until told to stop (None), sending back
    its relayed calls, then its result or its error. Ctrl-C is the parent's
    to report (once): the workers ignore it and are ended by the parent."""
    global _channel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _channel = connection
    while (payload := connection.recv()) is not None:
        try:
            answer = ("done", pickle.loads(payload)())
        except Exception as error:  # noqa: BLE001 (raised again in the parent)
            answer = ("failed", error, traceback.format_exc())
        try:
            connection.send(answer)
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            what = "result" if answer[0] == "done" else "error"
            message = f"the task's {what} cannot be sent back: {error}"
            connection.send(("failed", TypeError(message), answer[-1]))


def in_processes(tasks: list[Callable[[], Any]], jobs: int) -> list:
    """``[task() for task in tasks]`` in up to ``jobs`` worker processes, each
    given the next task when it is done; the calls of :func:`relayed`
    callables are made here as they arrive, each before its task's result.

    Raises
    ------
    TypeError
        Before any process starts, if a task cannot be pickled.
    Exception
        The first error a task raised (its worker's traceback as its cause).
    RuntimeError
        If a worker process died (killed, or could not start) before it
        finished its task.
    """
    payloads, relays = _pickled(tasks)
    start = context()
    to_do = list(enumerate(payloads))[::-1]
    results: list[Any] = [None] * len(payloads)
    working: dict[Any, int] = {}  # connection -> its worker's task

    def give(connection: Any) -> None:  # the next task, or stop
        if to_do:
            working[connection], payload = to_do.pop()
            connection.send(payload)
        else:
            connection.send(None)

    processes, connections, finished = [], [], False
    try:
        for _ in range(min(jobs, len(payloads))):
            here, there = start.Pipe()
            connections.append(here)
            process = start.Process(target=_work, args=(there,), daemon=True)
            process.start()
            processes.append(process)
            there.close()  # the worker's end is the worker's: EOF if it dies
            give(here)
        while working:
            for connection in wait(list(working)):
                try:
                    message = connection.recv()
                except (EOFError, OSError):  # closed, or reset: its worker died
                    raise RuntimeError(
                        f"a worker process stopped before it finished task "
                        f"{working[connection]} (killed, or it could not start: "
                        "a script that runs studies with jobs > 1 must do so "
                        'under if __name__ == "__main__":, since each worker '
                        "imports it)"
                    ) from None
                if message[0] == "call":
                    relays[message[1]](*message[2])
                    continue
                if message[0] == "failed":
                    raise message[1] from WorkerTraceback(message[2])
                results[working.pop(connection)] = message[1]
                give(connection)
        finished = True
        return results
    finally:
        for process in processes:
            if not finished:  # an error, or Ctrl-C
                process.terminate()
            process.join()
        for connection in connections:
            connection.close()
