"""The test process's side of the worker that runs the submissions.

Job 2 of the grader (see :mod:`.grading`): the channel to the worker process
of :mod:`._sandbox`, started on first use and killed after a timeout, a crash
or a message it should not have sent. :class:`.authoring.Submission` sends its
calls through :data:`_PROCESS` once :func:`.authoring.isolate` has been called.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from types import MethodType

from . import _sandbox
from ._isolation import Worker


class SubmissionCrashed(Exception):
    """The process the submission ran in died during a call."""


class WorkerStartError(SubmissionCrashed):
    """A worker could not be started, or died before any student code ran."""


class _SubmissionProcess(_sandbox.Channel):
    """The channel to the worker process that runs the submissions of this
    test process (see :mod:`._sandbox`).

    The worker is started on first use; stopped (killed) after a timeout, a
    crash or a message it should not have sent, and started afresh for the
    next call. Handles to the objects of a stopped worker then refuse to work.
    """

    def __init__(self) -> None:
        super().__init__(None, None, trusting=False, expose=self._expose)
        self.process: subprocess.Popen | None = None
        #: How the grader set the worker up (its user, folders and limits);
        #: None under a student's own pytest or in tests of the channel.
        self.worker: Worker | None = None
        self.started = 0  # workers started so far

    def _expose(self, value: object, replying: bool) -> bool:
        """What the submission may get a handle to: any object a test passes
        it (a scripted model, a scorer), and when it calls back, only their
        bound methods, never what those return or refer to."""
        if not replying:
            return True
        owner = getattr(value, "__self__", None)
        return isinstance(value, MethodType) and any(
            owner is exposed for exposed in self.objects.values()
        )

    def start(self) -> None:
        """Start a worker and wait for it to say it is ready.

        Raises
        ------
        WorkerStartError
            If it cannot be started or dies before it is ready (nothing of the
            submission has run then).
        """
        to_worker, from_test = os.pipe()
        from_worker, to_test = os.pipe()
        worker, options = self.worker, {}
        command = [
            sys.executable,
            "-I",
            _sandbox.__file__,
            str(to_worker),
            str(to_test),
        ]
        if worker is not None:
            setup = {
                "modules": worker.modules,
                "site": worker.site,
                "limits": worker.limits,
                "separate": worker.user.separate,
            }
            command = [sys.executable, "-I", "-S", worker.script]
            command += [str(to_worker), str(to_test), json.dumps(setup)]
            options = {
                "cwd": worker.home,
                "env": worker.environment(),
                # What the submission prints goes nowhere: nothing it writes
                # can fill the grader's disk or its output.
                "stdout": subprocess.DEVNULL,
                "stderr": subprocess.DEVNULL,
            }
            if worker.user.separate:
                options.update(
                    user=worker.user.uid, group=worker.user.gid, extra_groups=[]
                )
        try:
            self.process = subprocess.Popen(
                command,
                pass_fds=(to_worker, to_test),
                stdin=subprocess.DEVNULL,
                **options,
            )
        except OSError as error:
            raise WorkerStartError(
                f"could not start the submission's process{self._as()}: "
                f"{error.strerror or error}"
            ) from None
        finally:
            os.close(to_worker)
            os.close(to_test)
        self.writer = os.fdopen(from_test, "wb")
        self.reader = os.fdopen(from_worker, "rb")
        self.started += 1
        try:
            ready = self.receive()
        except Exception:  # noqa: BLE001 - it died, or said nonsense
            ready = None
        if ready != ("ready",):
            status = self.stop()
            raise WorkerStartError(
                f"the submission's process{self._as()} died before it was ready "
                f"(exit status {status})"
            )

    def _as(self) -> str:
        user = self.worker.user if self.worker is not None else None
        return f" (as user {user.name})" if user is not None and user.separate else ""

    def stop(self) -> int | None:
        """Kill the worker; return its exit status."""
        if self.process is None:
            return None
        for pipe in (self.reader, self.writer):
            try:
                pipe.close()
            except OSError:
                pass
        if self.process.poll() is None:
            time.sleep(0.05)  # a worker that is exiting on its own says how
        if self.process.poll() is None:
            self.process.kill()
        status = self.process.wait()
        self.process = None
        # What the worker held is gone, and so are the test's objects it had
        # handles to: old handles refuse to work, names are looked up afresh.
        self.objects.clear()
        self.identifiers.clear()
        self.generation += 1
        return status

    def request(self, *message: object) -> object:
        if self.process is None:
            self.start()
        generation = self.generation
        try:
            return super().request(*message)
        except Exception as error:
            if hasattr(error, "submission_where"):  # the submission raised it
                raise
            if generation != self.generation:
                raise  # already stopped, in a callback
            status = self.stop()
            if isinstance(error, _sandbox.ChannelClosed | OSError):
                raise SubmissionCrashed(
                    f"the submission's process died (exit status {status})"
                ) from None
            raise
        except BaseException:  # a timeout: the worker may be stuck
            if generation == self.generation:
                self.stop()
            raise


#: The worker of this process; only used when grading (see
#: :func:`.authoring.isolate`).
_PROCESS = _SubmissionProcess()
