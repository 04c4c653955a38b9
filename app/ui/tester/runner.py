"""Runs one test pass in a worker process and tells the window how it goes.

Why a process: a pass holds the CPU for as long as it runs, and Python threads
share one interpreter lock, so a pass on a thread would make the window stutter
and the live engine late. The ``spawn`` start method starts a fresh
interpreter, as Windows must (and the frozen app too, through
``multiprocessing.freeze_support`` in the entry point), so the worker never
inherits the GUI's Qt state or the engine's broker connection.

Starting a worker and importing numpy, pyarrow and TA-Lib in it takes seconds,
so the runner keeps one spare worker ready while the window is open
(:meth:`TestRunner.prepare`): Start hands it the job at once, and a new spare
is started after the run, not during it (the run has the CPU to itself). Each
worker runs one job and ends.

The runner polls the worker's queue on a timer in the GUI thread (never a
blocking read) and turns messages into signals. Cancel sets an event the pass
checks between chunks of prices, so the worker ends cleanly with nothing
half-written; if it does not end within ``cancel_grace_s`` (it may be deep in
loading a large history) it is terminated.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.tester.background import Cancelled, Failed, Finished, PassJob, Progress, serve

log = logging.getLogger(__name__)

POLL_MS = 50
CANCEL_GRACE_S = 5.0
RETIRE_MS = 500  # after a run: the worker's exit is collected, then the next one starts
_DEAD_POLLS = 10  # polls after the worker ended in which its last message may still arrive


@dataclass
class _Worker:
    process: Any
    jobs: Any  # the job goes in here
    messages: Any  # progress and the outcome come out here
    cancel: Any  # set: the pass stops at its next chunk

    def close(self) -> None:
        for channel in (self.jobs, self.messages):
            channel.close()
            channel.cancel_join_thread()


class TestRunner(QObject):
    """``progressed(done, total)``, then one of ``finished(Finished)``, ``failed(str)``
    or ``cancelled()``; ``running`` is False again when one of them fires."""

    __test__ = False  # not a pytest test class

    progressed = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(
        self, parent: QObject | None = None, *, cancel_grace_s: float = CANCEL_GRACE_S
    ) -> None:
        super().__init__(parent)
        self._context = multiprocessing.get_context("spawn")
        self._grace = cancel_grace_s
        self._active: _Worker | None = None
        self._spare: _Worker | None = None
        self._wanted_spare = False
        self._retired: list[Any] = []  # workers that ended, until their exit is collected
        self._cancel_at: float | None = None
        self._dead_polls = 0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self._active is not None

    @property
    def process(self) -> Any:
        """The worker process running a pass (tests look at it), else None."""
        return self._active.process if self._active is not None else None

    @property
    def spare(self) -> Any:
        """The worker process waiting for the next job, if one is ready."""
        return self._spare.process if self._spare is not None else None

    def prepare(self) -> None:
        """Have a worker ready for the next Start (and after each run, another)."""
        self._collect()
        self._wanted_spare = True
        if self._active is None and (self._spare is None or not self._spare.process.is_alive()):
            self._drop_spare()
            self._spare = self._spawn()

    def release(self) -> None:
        """No spare worker while the window is hidden; a running pass goes on."""
        self._wanted_spare = False
        self._drop_spare()

    def start(self, job: PassJob) -> None:
        if self._active is not None:
            raise RuntimeError("a test is running already")
        worker = self._spare
        self._spare = None
        if worker is None or not worker.process.is_alive():
            if worker is not None:
                worker.close()
            worker = self._spawn()
        worker.jobs.put(job)
        self._active = worker
        self._cancel_at = None
        self._dead_polls = 0
        self._timer.start()

    def cancel(self) -> None:
        """Ask the pass to stop at its next chunk; ``cancelled`` follows."""
        if self._active is None or self._cancel_at is not None:
            return
        self._active.cancel.set()
        self._cancel_at = time.monotonic()

    def shutdown(self) -> None:
        """The terminal quits: stop a running pass and the spare now, without waiting."""
        self._wanted_spare = False
        self._drop_spare()
        if self._active is not None:
            self._active.cancel.set()
            self._active.process.terminate()
            self._end()

    def _spawn(self) -> _Worker:
        worker = _Worker(None, self._context.Queue(), self._context.Queue(), self._context.Event())
        worker.process = self._context.Process(
            target=serve,
            args=(worker.jobs, worker.messages, worker.cancel),
            name="tradeterm-tester",
            daemon=True,  # a worker never outlives the terminal
        )
        worker.process.start()
        return worker

    def _drop_spare(self) -> None:
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.process.terminate()  # idle: it holds nothing to save
            spare.process.join(timeout=0)
            spare.close()

    def _poll(self) -> None:
        while self._active is not None:
            try:
                message = self._active.messages.get_nowait()
            except queue.Empty:
                break
            self._handle(message)
        if self._active is None:
            return
        process = self._active.process
        if self._cancel_at is not None and time.monotonic() - self._cancel_at > self._grace:
            log.warning("The test worker did not stop within %.0f s; terminated", self._grace)
            process.terminate()
            self._end()
            self.cancelled.emit()
            return
        if not process.is_alive():
            self._dead_polls += 1
            if self._dead_polls > _DEAD_POLLS:
                code = process.exitcode
                self._end()
                self.failed.emit(f"the test process ended unexpectedly (exit code {code})")

    def _handle(self, message: object) -> None:
        if isinstance(message, Progress):
            self.progressed.emit(message.done, message.total)
            return
        self._end()
        if isinstance(message, Finished):
            self.finished.emit(message)
        elif isinstance(message, Cancelled):
            self.cancelled.emit()
        elif isinstance(message, Failed):
            if message.detail:
                log.error("The test failed: %s\n%s", message.message, message.detail)
            self.failed.emit(message.message)
        else:
            self.failed.emit(f"the test process said something unexpected: {message!r}")

    def _end(self) -> None:
        self._timer.stop()
        worker, self._active = self._active, None
        if worker is not None:
            worker.close()
            self._retired.append(worker.process)
        self._cancel_at = None
        # The worker is still exiting: collect it (no zombie left) before the next starts.
        QTimer.singleShot(RETIRE_MS, self._after_run)

    def _after_run(self) -> None:
        self._collect()
        if self._wanted_spare and self._active is None:
            self.prepare()

    def _collect(self) -> None:
        """Reap the workers that have ended (a non-blocking join each)."""
        for process in self._retired:
            process.join(timeout=0)
        self._retired = [p for p in self._retired if p.exitcode is None]
