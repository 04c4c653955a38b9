"""The window acknowledges a market frame only after painting it.

The engine builds the next frame the moment the last one is acknowledged, so
acknowledging after the repaint makes the next frame as fresh as it can be
when the window is ready to show it (see ``app.ui.runtime.frame_pacing``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from pytestqt.qtbot import QtBot

from app.domain.frame import MarketFrame
from app.domain.market import Tick
from app.engine.bus import EventBus
from app.ui.main_window import MainWindow
from tests.specs import fx_spec as spec


class PaintLog(QObject):
    """Notes each paint of a widget in a shared log."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self._log = log

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._log.append("paint")
        return False


def test_a_frame_is_acknowledged_after_the_paint_that_shows_it(qtbot: QtBot) -> None:
    bus = EventBus()
    window = MainWindow(bus, default_symbol="EURUSD", default_volume=0.1, state_file=None)
    qtbot.addWidget(window)
    window.on_symbols((spec("EURUSD"), spec("GBPUSD")))
    window.show()
    qtbot.waitExposed(window)
    log: list[str] = []
    painted = PaintLog(log)
    window.market_watch.viewport().installEventFilter(painted)
    while True:  # the first show's paints (and the layout it fits) are over
        log.clear()
        qtbot.wait(150)
        if not log:
            break
    bus.frame_consumed.connect(lambda seq: log.append(f"ack {seq}"))

    bus.frame.emit(MarketFrame(7, {"GBPUSD": Tick("GBPUSD", 1, 1.25, 1.2501)}, {}, 1))
    qtbot.waitUntil(lambda: "ack 7" in log, timeout=2000)
    assert log.index("paint") < log.index("ack 7")  # shown first, then the next frame may come

    # A frame that changes nothing on screen is acknowledged all the same.
    log.clear()
    bus.frame.emit(MarketFrame(8, {}, {}, 0))
    qtbot.waitUntil(lambda: "ack 8" in log, timeout=2000)
    assert log == ["ack 8"]
