"""``--smoke-test``: prove the whole app works, then exit.

Waits for the chart's first painted frame with live ticks, sends one paper order
through the normal command road and closes it again, checks that the start-up
heap was settled (see ``gc_guard``), prints the timings and exits 0; any
failure or a timeout exits 1 with the reason.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from app.domain.commands import ClosePosition, SubmitOrder, new_client_id
from app.domain.enums import OrderSource, OrderStatus, Side
from app.domain.frame import MarketFrame
from app.domain.trading import Fill, OrderRequest, OrderUpdate
from app.engine.bus import EventBus
from app.ui.main_window import MainWindow


class SmokeTest(QObject):
    def __init__(
        self,
        window: MainWindow,
        bus: EventBus,
        started_at: float,
        finish: Callable[[int], None],
        timeout_s: float = 60.0,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._bus = bus
        self._started_at = started_at
        self._finish = finish
        self._timeout_s = timeout_s
        self._live = False
        self.first_frame_s: float | None = None
        self._order_sent_at = 0.0
        self._client_id = new_client_id()
        self._close_id = new_client_id()
        self._done = False

    def start(self) -> None:
        self._bus.frame.connect(self._on_frame)
        self._window.chart.frame_painted.connect(self._on_painted)
        self._bus.fill.connect(self._on_fill)
        self._bus.order.connect(self._on_order)
        QTimer.singleShot(int(self._timeout_s * 1000), lambda: self._fail("timed out"))

    def _on_frame(self, frame: MarketFrame) -> None:
        if frame.tick_count and self._window.chart.bar_count > 0:
            self._live = True

    def _on_painted(self) -> None:
        if not self._live or self.first_frame_s is not None:
            return
        self.first_frame_s = time.perf_counter() - self._started_at
        _say(f"first painted frame with live ticks after {self.first_frame_s * 1000:.0f} ms")
        symbol = self._window.chart.symbol or ""
        spec = self._window.desk.spec(symbol)
        volume = spec.volume_min if spec else 0.01
        self._order_sent_at = time.perf_counter()
        request = OrderRequest(self._client_id, symbol, Side.BUY, volume, source=OrderSource.SYSTEM)
        self._bus.command.emit(SubmitOrder(request))

    def _on_order(self, update: OrderUpdate) -> None:
        if (
            update.client_id in (self._client_id, self._close_id)
            and update.status is OrderStatus.REJECTED
        ):
            self._fail(f"paper order rejected: {update.reason}")

    def _on_fill(self, fill: Fill) -> None:
        if fill.client_id == self._client_id and not fill.closes_position:
            self._bus.command.emit(
                ClosePosition(
                    fill.position_ticket, client_id=self._close_id, source=OrderSource.SYSTEM
                )
            )
        elif fill.client_id == self._close_id and fill.closes_position:
            round_trip_ms = (time.perf_counter() - self._order_sent_at) * 1000
            assert self.first_frame_s is not None
            if not gc.get_freeze_count():
                self._fail("the start-up heap was not settled after the first chart paint")
                return
            _say(
                "smoke test ok: first painted frame with live ticks after "
                f"{self.first_frame_s * 1000:.0f} ms; "
                f"paper order opened and closed in {round_trip_ms:.1f} ms"
            )
            self._end(0)

    def _fail(self, reason: str) -> None:
        if not self._done:
            _say(f"smoke test FAILED: {reason}", error=True)
            self._end(1)

    def _end(self, code: int) -> None:
        if not self._done:
            self._done = True
            self._finish(code)


def _say(line: str, *, error: bool = False) -> None:
    """Print a progress line; a windowed Windows build has no console (stdout is None)."""
    stream = sys.stderr if error else sys.stdout
    if stream is not None:
        print(line, file=stream, flush=True)
