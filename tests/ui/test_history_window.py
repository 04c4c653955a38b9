"""The trade history window on a real engine thread with a real journal."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from app.brokers.sim.broker import SimBroker
from app.domain.commands import ClosePosition, Command, SubmitOrder
from app.domain.enums import ConnectionStatus, Side
from app.domain.notices import ConnectionState
from app.domain.trading import Fill, OrderRequest
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.storage import Journal
from app.storage.database import sqlite_url
from app.ui.desk.model import DeskModel
from app.ui.dialogs.trade_history import ALL_SYMBOLS, HistoryWindow
from tests.ui.conftest import Terminal


@dataclass
class Desk:
    bus: EventBus
    fills: list[Fill] = field(default_factory=list)
    sent: list[Command] = field(default_factory=list)


@pytest.fixture
def desk(qtbot: QtBot, tmp_path: Path) -> Iterator[Desk]:
    bus = EventBus()
    url = sqlite_url(tmp_path / "journal.sqlite")
    engine = Engine(
        bus,
        lambda: SimBroker(seed=11, ticks_per_second=5, history_bars=50),
        journal_factory=lambda: Journal.open(url),
    )
    host = EngineHost(engine, bus)
    seen = Desk(bus)
    states: list[ConnectionState] = []
    bus.fill.connect(seen.fills.append)
    bus.connection.connect(states.append)
    bus.command.connect(seen.sent.append)
    host.start()
    qtbot.waitUntil(
        lambda: any(s.status is ConnectionStatus.CONNECTED for s in states), timeout=10_000
    )
    yield seen
    assert host.stop()


def trade(qtbot: QtBot, desk: Desk) -> float:
    """Open EURUSD and USDJPY, close the EURUSD one; returns its realised P&L."""
    for cid, symbol in (("h-eur", "EURUSD"), ("h-jpy", "USDJPY")):
        desk.bus.command.emit(SubmitOrder(OrderRequest(cid, symbol, Side.BUY, 0.1)))
    qtbot.waitUntil(lambda: len(desk.fills) == 2, timeout=10_000)
    eur = next(f for f in desk.fills if f.client_id == "h-eur")
    desk.bus.command.emit(ClosePosition(eur.position_ticket, client_id="h-eur-close"))
    qtbot.waitUntil(lambda: len(desk.fills) == 3, timeout=10_000)
    return desk.fills[-1].realized_pnl


def open_window(qtbot: QtBot, desk: Desk, export_to: Path | None = None) -> HistoryWindow:
    window = HistoryWindow(
        desk.bus.command.emit,
        DeskModel(),
        choose_path=lambda suggested: str(export_to) if export_to else None,
    )
    desk.bus.trade_history.connect(window.on_trade_history)
    qtbot.addWidget(window)
    window.show()
    return window


def load(qtbot: QtBot, window: HistoryWindow) -> None:
    previous = window.history
    assert window.request()
    qtbot.waitUntil(lambda: window.history is not previous, timeout=10_000)


def test_orders_deals_and_daily_pnl_from_the_journal(
    qtbot: QtBot, desk: Desk, tmp_path: Path
) -> None:
    pnl = trade(qtbot, desk)
    window = open_window(qtbot, desk, export_to=tmp_path / "deals.csv")
    window.set_symbols()
    load(qtbot, window)

    orders = window.orders_model.rows()
    assert [row[1] for row in orders] == ["h-eur", "h-jpy", "h-eur-close"]
    assert [row[5] for row in orders] == ["market", "market", "close"]
    assert all(row[-1] == "filled" for row in orders)
    assert window.deals_model.rowCount() == 3
    today = datetime.now(UTC).date().isoformat()
    assert window.daily_model.rows() == [(today, "1", f"{pnl:,.2f}")]
    assert f"realised P&L {pnl:+,.2f}" in window.status.text()

    window.tabs.setCurrentIndex(1)
    written = window.export_current()
    assert written == str(tmp_path / "deals.csv")
    with open(written, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["Time (UTC)", "Deal", "Position", "Order"]
    assert [r[3] for r in rows[1:]] == ["h-eur", "h-jpy", "h-eur-close"]
    assert rows[-1][-1] == f"{pnl:,.2f}"


def test_symbol_filter_and_an_empty_range(qtbot: QtBot, desk: Desk) -> None:
    trade(qtbot, desk)
    window = open_window(qtbot, desk)
    window.symbol_box.addItems(["EURUSD", "USDJPY"])
    window.symbol_box.setCurrentText("USDJPY")
    load(qtbot, window)
    assert [row[1] for row in window.orders_model.rows()] == ["h-jpy"]
    assert window.daily_model.rows() == []  # nothing closed on USDJPY

    window.symbol_box.setCurrentText(ALL_SYMBOLS)
    long_ago = datetime.now(UTC).date() - timedelta(days=400)
    window.start_edit.setDate(QDate(long_ago.year, long_ago.month, long_ago.day))
    window.end_edit.setDate(QDate(long_ago.year, long_ago.month, long_ago.day))
    load(qtbot, window)
    assert window.orders_model.rowCount() == 0
    assert window.status.text().startswith("0 orders, 0 deals")


def test_a_reversed_range_is_refused_in_words(qtbot: QtBot, desk: Desk) -> None:
    window = open_window(qtbot, desk)
    window.start_edit.setDate(QDate(2025, 5, 2))
    window.end_edit.setDate(QDate(2025, 5, 1))
    before = len(desk.sent)
    assert not window.request()
    assert len(desk.sent) == before  # nothing sent
    assert window.status.text() == "The start date 2025-05-02 is after the end date 2025-05-01"


def test_ctrl_h_opens_the_window_from_the_main_window(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    window = make_terminal().window
    assert window.history_action.shortcut() == QKeySequence("Ctrl+H")
    window.history_action.trigger()
    history = window.history_window
    assert history is not None and history.isVisible()
    # This terminal runs without a journal: the window says so instead of waiting forever.
    qtbot.waitUntil(lambda: history.status.text() == "No trade journal is open", timeout=10_000)
