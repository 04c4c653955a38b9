"""SIGTERM, Ctrl+C and Ctrl+Break quit the terminal the way its Quit command does.

Killed by a signal's default action the process dies at once: the layout is not
saved and the journal's batched event-log rows are lost. Worse, Ctrl+C raised
``KeyboardInterrupt`` inside a Qt callback and crashed the process. So every
quit signal Python offers on this system is caught and turned into a normal
close of the main window: the engine stops, the journal is closed, exit code 0.

Python runs a signal handler only between bytecodes of the main thread; while
Qt's event loop waits in C++ nothing would run it. A light timer (every
``WAKE_MS``) gives the interpreter that moment, on every platform: this is
portable where ``signal.set_wakeup_fd`` with a socket notifier is not quite.

A second signal while quitting falls back to the default action, so a stuck
shutdown can still be ended from the console.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

WAKE_MS = 200
"""How often the event loop lets Python look for a pending signal (a no-op slot)."""

QUIT_SIGNAL_NAMES = ("SIGINT", "SIGTERM", "SIGBREAK", "SIGHUP")
"""Ctrl+C; a polite kill (service managers, shutdown); Ctrl+Break in a Windows
console; the controlling terminal closing on POSIX. Each exists only on some
systems; those that do are caught."""


def quit_signals() -> tuple[signal.Signals, ...]:
    """The quit signals this system has."""
    found = (getattr(signal, name, None) for name in QUIT_SIGNAL_NAMES)
    return tuple(s for s in found if isinstance(s, signal.Signals))


class QuitOnSignal(QObject):
    """Calls ``quit()`` on the GUI thread when a quit signal arrives; ``uninstall`` undoes it."""

    def __init__(self, quit: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quit = quit
        self._previous: dict[signal.Signals, Any] = {}
        self.received: signal.Signals | None = None
        self._wake = QTimer(self)
        self._wake.setInterval(WAKE_MS)
        self._wake.timeout.connect(lambda: None)  # running Python at all is the point

    def install(self) -> None:
        for number in quit_signals():
            try:
                self._previous[number] = signal.signal(number, self._on_signal)
            except (OSError, ValueError):  # not the main thread, or not settable here
                continue
        if self._previous:
            self._wake.start()

    def uninstall(self) -> None:
        self._wake.stop()
        for number, previous in self._previous.items():
            try:
                signal.signal(number, previous)
            except (OSError, ValueError):
                continue
        self._previous.clear()

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        name = signal.Signals(number).name
        if self.received is not None:  # asked twice: let the default action end it
            log.warning("asked to stop by signal %s again while quitting: stopping now", name)
            self.uninstall()
            signal.signal(number, signal.SIG_DFL)
            signal.raise_signal(number)
            return
        self.received = signal.Signals(number)
        log.info("asked to stop by signal %s: quitting as the Quit command does", name)
        QTimer.singleShot(0, self._quit)  # out of the handler, into the event loop
