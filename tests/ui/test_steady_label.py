"""Labels that change every frame must not make the whole window lay itself out again."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.ui.widgets.steady_label import SteadyLabel


class LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _window_with(qtbot: QtBot, label: QLabel) -> tuple[QWidget, LayoutRequests]:
    window = QWidget()
    qtbot.addWidget(window)
    form = QFormLayout(window)
    form.addRow("Bid / Ask", label)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(20)
    requests = LayoutRequests()
    window.installEventFilter(requests)
    return window, requests


def test_a_changing_quote_does_not_relayout_the_window(qtbot: QtBot) -> None:
    steady = SteadyLabel("1.08500 / 1.08510")
    _window, requests = _window_with(qtbot, steady)
    for i in range(50):
        steady.setText(f"1.08{500 + i:03d} / 1.08{510 + i:03d}")
        qtbot.wait(1)
    assert requests.count == 0
    assert steady.text() == "1.08549 / 1.08559"

    # The stock label asks for a layout on every change: that is what this avoids.
    plain = QLabel("1.08500 / 1.08510")
    _plain_window, plain_requests = _window_with(qtbot, plain)
    for i in range(5):
        plain.setText(f"1.08{500 + i:03d} / 1.08{510 + i:03d}")
        qtbot.wait(1)
    assert plain_requests.count > 0


def test_a_longer_text_grows_the_label_so_it_stays_readable(qtbot: QtBot) -> None:
    label = SteadyLabel("1.0850 / 1.0851")
    _window, _ = _window_with(qtbot, label)
    narrow = label.width()
    label.setText("2350.125 / 2350.475 (XAUUSD)")
    qtbot.wait(20)
    assert label.width() > narrow
    assert label.width() >= label.fontMetrics().horizontalAdvance(label.text())
    label.setText("1.0850 / 1.0851")  # shorter again: keeps its size, no re-layout
    assert label.width() > narrow


def test_a_two_line_readout_gets_room_for_both_lines(qtbot: QtBot) -> None:
    label = SteadyLabel("EURUSD · M1")
    _window, _ = _window_with(qtbot, label)
    one_line = label.height()
    label.setText("EURUSD · M1\n2026-11-22 08:40  O 1.08501  H 1.08507  L 1.08501  C 1.08507")
    assert label.height() >= 2 * label.fontMetrics().height() > one_line
    assert label.width() >= label.fontMetrics().horizontalAdvance(label.text().split("\n")[1])
