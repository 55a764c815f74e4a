"""The test process's side of the worker that runs the submissions.

Job 2 of the grader (see :mod:`.grading`): the channel to the worker process
of :mod:`._sandbox`, started on first use and killed after a timeout, a crash
or a message it should not have sent. :class:`.authoring.Submission` sends its
calls through :data:`_PROCESS` once :func:`.authoring.isolate` has been called.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from types import MethodType

from . import _sandbox


class SubmissionCrashed(Exception):
    """The process the submission ran in died during a call."""


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
        to_worker, from_test = os.pipe()
        from_worker, to_test = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-I", _sandbox.__file__, str(to_worker), str(to_test)],
            pass_fds=(to_worker, to_test),
            stdin=subprocess.DEVNULL,
        )
        os.close(to_worker)
        os.close(to_test)
        self.writer = os.fdopen(from_test, "wb")
        self.reader = os.fdopen(from_worker, "rb")

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
