"""Shows uncaught errors to the user, with the log file's path, never blocking.

Exception hooks may fire on any thread; ``CrashReporter.report`` is safe to call
from all of them: it emits a queued signal and the dialog opens on the GUI thread.
Repeated errors update one dialog instead of stacking many.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.engine.bus import EventBus


class CrashReporter(QObject):
    _reported = Signal(str, str)

    def __init__(self, log_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.count = 0
        self.dialog: QMessageBox | None = None
        self._parent = parent
        self._reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def report(self, summary: str, details: str) -> None:
        """Thread-safe: queue the error for display on the GUI thread."""
        self._reported.emit(summary, details)

    def _show(self, summary: str, details: str) -> None:
        self.count += 1
        if self.dialog is None:
            self.dialog = QMessageBox(self._parent)
            self.dialog.setObjectName("crash_dialog")
            self.dialog.setIcon(QMessageBox.Icon.Critical)
            self.dialog.setWindowTitle("Tradeterm: unexpected error")
            self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        more = f"\n\n({self.count} errors so far)" if self.count > 1 else ""
        self.dialog.setText(f"Something went wrong {summary}")
        self.dialog.setInformativeText(
            f"The details are in the log file:\n{self.log_file}{more}\n\n"
            "Check your positions before you continue trading."
        )
        self.dialog.setDetailedText(details)
        self.dialog.open()


def report_engine_failures(bus: EventBus, reporter: CrashReporter) -> None:
    """An engine error (the engine has halted trading already) is shown with the log's path."""

    def on_engine_failed(details: str) -> None:
        reporter.report("in the engine: trading is halted until you resume it", details)

    bus.engine_failed.connect(on_engine_failed)
