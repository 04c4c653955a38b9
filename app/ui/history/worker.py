"""One background job at a time for a window, its outcome delivered on the GUI thread.

The history store reads Parquet files and a large import takes a second or
more: the GUI thread must not wait for it. A job runs on a plain daemon thread
and its result comes back through a queued signal, so the callbacks run on the
GUI thread where they may touch widgets. The worker object lives as long as its
window, so the thread never holds the last reference to a Qt object.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.engine.history_library import LibraryError

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[str], None]


class Worker(QObject):
    """Runs one job at a time; ``busy_changed`` tells the window to enable its buttons."""

    busy_changed = Signal(bool)
    _finished = Signal(int, bool, object)  # job number, ok, result or message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[int, tuple[Done, Failed]] = {}
        self._number = 0
        self._finished.connect(self._deliver)

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def run(self, name: str, action: Callable[[], object], done: Done, failed: Failed) -> bool:
        """Start ``action`` on a thread unless a job is running (then ``False``)."""
        if self._jobs:
            return False
        self._number += 1
        number = self._number
        self._jobs[number] = (done, failed)
        finished = self._finished

        def work() -> None:
            try:
                result = action()
            except LibraryError as exc:
                finished.emit(number, False, str(exc))
            except Exception:  # a bug: logged in full, the trader gets one line
                log.exception("history job %s failed", name)
                finished.emit(number, False, f"{name} failed; the log has the details")
            else:
                finished.emit(number, True, result)

        self.busy_changed.emit(True)
        threading.Thread(target=work, name=f"history-{name}", daemon=True).start()
        return True

    def _deliver(self, number: int, ok: bool, outcome: object) -> None:
        done, failed = self._jobs.pop(number)
        self.busy_changed.emit(False)
        if ok:
            done(outcome)
        else:
            failed(str(outcome))
