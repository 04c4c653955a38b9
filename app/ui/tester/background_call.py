"""Run a short job (reading the store's listing, writing a report file) off the GUI thread.

The job runs on a daemon thread; a timer in the GUI thread looks at its future
and calls back there. Nothing Qt is touched from the job's thread, so a window
closed while a job runs just never hears from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, QTimer

POLL_MS = 30


class BackgroundCall:
    """``job()`` on a thread, then ``done(result)`` or ``failed(exc)`` in the GUI thread."""

    def __init__(
        self,
        job: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        parent: QObject,
    ) -> None:
        self._future: Future[Any] = Future()
        self._done, self._failed = done, failed
        self._timer = QTimer(parent)  # a plain timer: nothing of ours for Qt to delete
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._check)
        future = self._future

        def work() -> None:
            try:
                future.set_result(job())
            except BaseException as exc:  # handed to the GUI thread, which says it in words
                future.set_exception(exc)

        self._timer.start()
        threading.Thread(target=work, name="tradeterm-tester-job", daemon=True).start()

    @property
    def pending(self) -> bool:
        return not self._future.done()

    def _check(self) -> None:
        if not self._future.done():
            return
        self._timer.stop()
        error = self._future.exception()
        try:
            if error is not None:
                self._failed(error)
            else:
                self._done(self._future.result())
        finally:
            self._timer.deleteLater()
