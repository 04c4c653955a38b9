"""Runs one test pass in a worker process and tells the window how it goes.

Why a process: a pass holds the CPU for as long as it runs, and Python threads
share one interpreter lock, so a pass on a thread would make the window stutter
and the live engine late. The ``spawn`` start method starts a fresh
interpreter, as Windows must (and the frozen app too, through
``multiprocessing.freeze_support`` in the entry point), so the worker never
inherits the GUI's Qt state or the engine's broker connection.

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
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.tester.background import Cancelled, Failed, Finished, PassJob, Progress, run_pass

log = logging.getLogger(__name__)

POLL_MS = 50
CANCEL_GRACE_S = 5.0
_DEAD_POLLS = 10  # polls after the worker ended in which its last message may still arrive


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
        self._process: Any = None
        self._queue: Any = None
        self._cancel: Any = None
        self._cancel_at: float | None = None
        self._dead_polls = 0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self._process is not None

    @property
    def process(self) -> Any:
        """The worker process while a pass runs (tests look at it), else None."""
        return self._process

    def start(self, job: PassJob) -> None:
        if self._process is not None:
            raise RuntimeError("a test is running already")
        self._queue = self._context.Queue()
        self._cancel = self._context.Event()
        self._process = self._context.Process(
            target=run_pass,
            args=(job, self._queue, self._cancel),
            name="tradeterm-tester",
            daemon=True,  # a worker never outlives the terminal
        )
        self._cancel_at = None
        self._dead_polls = 0
        self._process.start()
        self._timer.start()

    def cancel(self) -> None:
        """Ask the pass to stop at its next chunk; ``cancelled`` follows."""
        if self._process is None or self._cancel_at is not None:
            return
        self._cancel.set()
        self._cancel_at = time.monotonic()

    def shutdown(self) -> None:
        """The window closes: stop a running pass now, without waiting for it."""
        if self._process is None:
            return
        self._cancel.set()
        self._process.terminate()
        self._end()

    def _poll(self) -> None:
        while self._process is not None:
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                break
            self._handle(message)
        process = self._process
        if process is None:
            return
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
        process, self._process = self._process, None
        if process is not None:
            process.join(timeout=0)
        if self._queue is not None:
            self._queue.close()
            self._queue.cancel_join_thread()
        self._queue = self._cancel = None
        self._cancel_at = None
