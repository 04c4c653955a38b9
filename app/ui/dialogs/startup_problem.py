"""A start-up problem shown in a message box, for builds that have no console."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox


def show_startup_problem(message: str) -> None:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    box = QMessageBox(QMessageBox.Icon.Critical, "Tradeterm cannot start", message)
    box.setObjectName("startup_problem")
    box.exec()
