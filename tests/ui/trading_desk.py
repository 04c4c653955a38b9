"""A trading desk for UI tests: main window, real engine thread, a recording paper broker.

The paper broker records every call the engine makes (in the engine thread), so
tests check what actually reached the broker, not what the GUI meant to send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.brokers.base import ExecutionReport
from app.brokers.sim.broker import SimBroker
from app.domain.risk_limits import RiskLimits
from app.domain.symbols import SymbolSpec
from app.domain.trading import Fill, OrderRequest, OrderUpdate, Position
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.ui.main_window import MainWindow


class RecordingBroker(SimBroker):
    """The paper broker, noting each call the engine makes (in the engine thread)."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.calls: list[tuple[str, object]] = []

    def submit(self, request: OrderRequest) -> ExecutionReport:
        self.calls.append(("submit", request))
        return super().submit(request)

    def close_position(self, ticket: int, volume: float | None, client_id: str) -> ExecutionReport:
        self.calls.append(("close", (ticket, volume, client_id)))
        return super().close_position(ticket, volume, client_id)

    def cancel_order(self, ticket: int) -> ExecutionReport:
        self.calls.append(("cancel", ticket))
        return super().cancel_order(ticket)

    def modify_position(self, ticket: int, sl: float | None, tp: float | None) -> ExecutionReport:
        self.calls.append(("modify_position", (ticket, sl, tp)))
        return super().modify_position(ticket, sl, tp)

    def modify_order(
        self, ticket: int, price: float, sl: float | None, tp: float | None
    ) -> ExecutionReport:
        self.calls.append(("modify_order", (ticket, price, sl, tp)))
        return super().modify_order(ticket, price, sl, tp)

    def close_by(self, ticket: int, opposite_ticket: int, client_id: str) -> ExecutionReport:
        self.calls.append(("close_by", (ticket, opposite_ticket, client_id)))
        return super().close_by(ticket, opposite_ticket, client_id)

    def of(self, name: str) -> list[object]:
        return [args for call, args in list(self.calls) if call == name]


@dataclass
class Desk:
    window: MainWindow
    bus: EventBus
    broker: RecordingBroker
    confirmations: list[str]
    answer: list[bool]
    updates: list[OrderUpdate] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    sent: list[object] = field(default_factory=list)

    def spec(self, symbol: str = "EURUSD") -> SymbolSpec:
        return self.window.desk.specs[symbol]

    def bid_ask(self) -> tuple[float, float]:
        bid, ask = self.window.ticket.quote.text().split(" / ")
        return float(bid), float(ask)

    def positions(self) -> list[Position]:
        return self.window.positions_model.positions


@pytest.fixture(name="desk")
def desk_fixture(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., Desk]]:
    """``desk(one_click=False)`` starts a window + engine; all are stopped at the end."""
    hosts: list[EngineHost] = []

    def make(*, one_click: bool = False) -> Desk:
        bus = EventBus()
        made: list[RecordingBroker] = []

        def factory() -> RecordingBroker:
            broker = RecordingBroker(seed=5, ticks_per_second=30, history_bars=300)
            made.append(broker)
            return broker

        limits = RiskLimits(max_orders_per_second=0, max_orders_per_minute=0)
        host = EngineHost(Engine(bus, factory, risk_limits=limits), bus)
        asked: list[str] = []
        answer = [True]

        def confirm(title: str, text: str) -> bool:
            asked.append(text)
            return answer[0]

        window = MainWindow(
            bus,
            default_symbol="EURUSD",
            default_volume=0.1,
            one_click_trading=one_click,
            state_file=tmp_path / "window.ini",
            confirm=confirm,
        )
        window.closing.connect(host.stop)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        host.start()
        hosts.append(host)
        qtbot.waitUntil(lambda: bool(made) and window.ticket.quote.text() != "—", timeout=10_000)
        d = Desk(window, bus, made[0], asked, answer)
        bus.order.connect(d.updates.append)
        bus.fill.connect(d.fills.append)
        bus.command.connect(d.sent.append)
        return d

    yield make
    for host in hosts:
        host.stop()


# -- the keyboard, as a trader uses it ------------------------------------------------

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has keyboard focus"
    return widget


def type_command(qtbot: QtBot, d: Desk, text: str) -> None:
    """F9, then type ``text`` into the command line (not Enter)."""
    qtbot.keyClick(d.window, Qt.Key.Key_F9)
    assert focused() is d.window.ticket.command
    qtbot.keyClicks(focused(), text)


def enter(qtbot: QtBot) -> None:
    qtbot.keyClick(focused(), Qt.Key.Key_Return)


def press(qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    qtbot.keyClick(focused(), key, modifiers)
