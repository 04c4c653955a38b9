"""The history windows: trade history (the journal) and History (the bar and tick store).

Both on a real engine thread: the first with a real journal, the second with a real
history store of Parquet files and the engine's history jobs on the paper broker.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from app.brokers.sim.broker import SimBroker
from app.domain.commands import ClosePosition, Command, RequestTradeHistory, SubmitOrder
from app.domain.enums import ConnectionStatus, OrderSource, OrderStatus, OrderType, Side
from app.domain.notices import ConnectionState
from app.domain.strategies import StrategyConfig, StrategyState, StrategyStatus
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState, Fill, HistoryOrder, OrderRequest, TradeHistory
from app.engine.bus import EventBus
from app.engine.history_jobs import install_history
from app.engine.history_library import HistoryLibrary
from app.engine.thread import Engine, EngineHost
from app.history import BAR_DTYPE, TICK_DTYPE, HistoryStore
from app.reporting.export import money
from app.storage import Journal
from app.storage.database import sqlite_url
from app.ui.desk.model import DeskModel
from app.ui.dialogs.trade_history import ALL_SYMBOLS, HistoryWindow
from app.ui.history.account_report import AccountReportWindow
from app.ui.history.window import StoredHistoryWindow
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
    assert all(row[-2] == "Manual" for row in orders)  # the trader's own, by the Owner column
    assert window.deals_model.rowCount() == 3
    assert [row[-2] for row in window.deals_model.rows()] == ["Manual"] * 3
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


def test_a_strategy_s_orders_and_deals_name_their_instance(qtbot: QtBot) -> None:
    model = DeskModel()
    config = StrategyConfig(3, "ma_cross", "EURUSD", Timeframe.M1)
    model.apply_strategy(StrategyStatus(config, StrategyState.RUNNING))
    sent: list[Command] = []
    window = HistoryWindow(sent.append, model)
    qtbot.addWidget(window)
    assert window.request()
    asked = sent[-1]
    assert isinstance(asked, RequestTradeHistory)
    when = datetime.now(UTC)
    order = HistoryOrder(
        "s-1", when, "EURUSD", Side.BUY, OrderType.MARKET, 0.1, OrderStatus.FILLED,
        OrderSource.STRATEGY, owner=3,
    )  # fmt: skip
    deal = Fill("s-1", 7, 7, "EURUSD", Side.BUY, 0.1, 1.1, int(when.timestamp() * 1000), owner=3)
    window.on_trade_history(
        TradeHistory(asked.start, asked.end, asked.symbol, orders=(order,), deals=(deal,))
    )
    assert window.orders_model.rows()[0][-2] == "ma_cross#3"
    assert window.deals_model.rows()[0][-2] == "ma_cross#3"


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


# -- the History window: what the history store holds ------------------------------------------
# A real store (Parquet files in a temporary folder), the real engine with the paper broker
# and its history jobs (downloads, tick recording) where the window talks to the engine.


def _bars(start: int, count: int, step: int = 60, price: float = 1.1) -> np.ndarray:
    rows = np.zeros(count, dtype=BAR_DTYPE)
    rows["time"] = start + step * np.arange(count)
    rows["open"] = rows["close"] = price + 1e-5 * np.arange(count)
    rows["high"] = rows["open"] + 2e-4
    rows["low"] = rows["open"] - 2e-4
    rows["tick_volume"] = 7
    return rows


MONDAY = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp())


@dataclass
class Stored:
    """A History window over a store in ``root`` and, when ``engine``, a paper engine."""

    window: StoredHistoryWindow
    store: HistoryStore
    bus: EventBus
    asked: list[str]
    answer: list[bool]
    export_to: list[Path]


@pytest.fixture
def stored(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Stored]]:
    hosts: list[EngineHost] = []

    def make(*, engine: bool = False) -> Stored:
        monkeypatch.setenv("TRADETERM_HOME", str(tmp_path))  # the store and the engine's writer
        store = HistoryStore()
        bus = EventBus()
        asked: list[str] = []
        answer = [True]
        export_to: list[Path] = [tmp_path / "out.csv"]

        def confirm(title: str, text: str) -> bool:
            asked.append(text)
            return answer[0]

        window = StoredHistoryWindow(
            bus.command.emit,
            HistoryLibrary(),
            confirm=confirm,
            choose_path=lambda suggested: str(export_to[0]),
        )
        bus.history_jobs.connect(window.downloads.on_fact)
        qtbot.addWidget(window)
        if engine:
            states: list[ConnectionState] = []
            bus.connection.connect(states.append)
            core = Engine(bus, lambda: SimBroker(seed=3, ticks_per_second=40, history_bars=300))
            install_history(core.core)
            host = EngineHost(core, bus)
            hosts.append(host)
            host.start()
            qtbot.waitUntil(
                lambda: any(s.status is ConnectionStatus.CONNECTED for s in states),
                timeout=10_000,
            )
            window.downloads.set_symbols(["EURUSD", "GBPUSD"])
        return Stored(window, store, bus, asked, answer, export_to)

    yield make
    for host in hosts:
        assert host.stop()


def show(qtbot: QtBot, s: Stored) -> None:
    """Show the window and wait for the worker's listing."""
    s.window.show()
    qtbot.waitUntil(lambda: not s.window.worker.busy, timeout=10_000)


def rows(window: StoredHistoryWindow) -> list[tuple[str, ...]]:
    model = window.model
    return [
        tuple(str(model.index(r, c).data()) for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]


def test_the_window_lists_every_stored_series_with_its_range_count_and_gaps(
    qtbot: QtBot, stored: Callable[..., Stored]
) -> None:
    s = stored()
    s.store.write_bars("EURUSD", Timeframe.M1, _bars(MONDAY, 120))
    # Two hours of H1 bars, a four-hour hole on a Tuesday, then two more: one gap.
    h1 = np.concatenate([_bars(MONDAY, 2, 3600), _bars(MONDAY + 6 * 3600, 2, 3600)])
    s.store.write_bars("GBPUSD", Timeframe.H1, h1)
    ticks = np.zeros(3, dtype=TICK_DTYPE)
    ticks["time_msc"] = MONDAY * 1000 + np.array([0, 250, 900])
    ticks["bid"], ticks["ask"] = 1.1, 1.1001
    s.store.write_ticks("EURUSD", ticks)
    show(qtbot, s)
    assert rows(s.window) == [
        ("EURUSD", "M1", "2024-03-04 00:00", "2024-03-04 01:59", "120", "0"),
        ("EURUSD", "ticks", "2024-03-04 00:00", "2024-03-04 00:00", "3", "0"),
        ("GBPUSD", "H1", "2024-03-04 00:00", "2024-03-04 07:00", "4", "1"),
    ]
    tip = s.window.model.index(2, 5).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "Gaps:\n2024-03-04 02:00 to 2024-03-04 06:00 (4.0 h)"
    assert "3 series, 127 rows" in s.window.summary.text()
    # Nothing selected: nothing to delete, export or chart.
    assert not s.window.delete_button.isEnabled() and not s.window.export_button.isEnabled()


def test_an_empty_store_says_how_to_fill_it(qtbot: QtBot, stored: Callable[..., Stored]) -> None:
    s = stored()
    show(qtbot, s)
    assert s.window.model.rowCount() == 0
    assert "Nothing is stored" in s.window.summary.text()
    assert "Import" in s.window.summary.text()


def test_delete_asks_first_and_deletes_only_the_chosen_series(
    qtbot: QtBot, stored: Callable[..., Stored]
) -> None:
    s = stored()
    s.store.write_bars("EURUSD", Timeframe.M1, _bars(MONDAY, 60))
    s.store.write_bars("EURUSD", Timeframe.H1, _bars(MONDAY, 5, 3600))
    show(qtbot, s)
    assert s.window.select("EURUSD", "M1")
    s.answer[0] = False
    qtbot.mouseClick(s.window.delete_button, Qt.MouseButton.LeftButton)
    assert s.asked and "Delete every stored EURUSD M1 row (60," in s.asked[0]
    assert s.store.info("EURUSD", Timeframe.M1) is not None  # declined: nothing changed
    s.answer[0] = True
    qtbot.mouseClick(s.window.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: s.window.model.rowCount() == 1, timeout=10_000)
    assert s.store.info("EURUSD", Timeframe.M1) is None
    assert s.store.info("EURUSD", Timeframe.H1) is not None
    assert rows(s.window)[0][:2] == ("EURUSD", "H1")
    assert s.window.status.text() == "Deleted EURUSD M1"


def test_export_writes_a_csv_that_holds_the_whole_series(
    qtbot: QtBot, stored: Callable[..., Stored], tmp_path: Path
) -> None:
    s = stored()
    s.store.write_bars("EURUSD", Timeframe.M5, _bars(MONDAY, 30, 300))
    show(qtbot, s)
    s.window.select("EURUSD", "M5")
    qtbot.mouseClick(s.window.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not s.window.worker.busy, timeout=10_000)
    out = s.export_to[0]
    assert s.window.status.text() == f"Exported 30 EURUSD M5 rows to {out}"
    with out.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    assert len(lines) == 31  # the header and every bar
    assert lines[1][0].startswith("2024-03-04")


def test_a_store_error_is_one_sentence_in_the_window(
    qtbot: QtBot, stored: Callable[..., Stored], tmp_path: Path
) -> None:
    s = stored()
    s.store.write_bars("EURUSD", Timeframe.M5, _bars(MONDAY, 3, 300))
    show(qtbot, s)
    s.window.select("EURUSD", "M5")
    s.export_to[0] = tmp_path / "no such folder" / "out.csv"
    qtbot.mouseClick(s.window.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not s.window.worker.busy, timeout=10_000)
    text = s.window.status.text()
    assert text.startswith("history error:") and "Traceback" not in text
    assert "\n" not in text


def test_download_from_the_paper_broker_shows_progress_and_lands_in_the_listing(
    qtbot: QtBot, stored: Callable[..., Stored]
) -> None:
    s = stored(engine=True)
    show(qtbot, s)
    panel = s.window.downloads
    panel.symbol_box.setCurrentText("EURUSD")
    panel.series_box.setCurrentText("M1")
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress is not None and panel.progress.finished, timeout=20_000)
    assert panel.progress is not None and not panel.progress.error
    assert panel.bar.value() == panel.bar.maximum()
    stored_bars = s.store.read_bars("EURUSD", Timeframe.M1)
    assert len(stored_bars) >= 290  # the paper market's history over the last 30 days
    assert panel.status.text() == f"Downloaded {len(stored_bars):,} EURUSD M1 bars into the store"
    qtbot.waitUntil(lambda: s.window.model.rowCount() == 1, timeout=10_000)
    assert rows(s.window)[0][:2] == ("EURUSD", "M1")
    assert rows(s.window)[0][4] == f"{len(stored_bars):,}"
    assert not panel.cancel_button.isEnabled() and panel.download_button.isEnabled()


def test_a_download_the_broker_cannot_give_is_refused_in_words(
    qtbot: QtBot, stored: Callable[..., Stored]
) -> None:
    s = stored(engine=True)
    show(qtbot, s)
    panel = s.window.downloads
    panel.symbol_box.setCurrentText("NOSUCH")
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress is not None and panel.progress.finished, timeout=10_000)
    assert (
        panel.status.text() == "Download of NOSUCH M1 bars ended: no symbol 'NOSUCH' at this broker"
    )
    # A reversed range never reaches the engine.
    sent: list[object] = []
    s.bus.command.connect(sent.append)
    panel.start_edit.setDate(QDate(2025, 5, 2))
    panel.end_edit.setDate(QDate(2025, 5, 1))
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    assert sent == []
    assert panel.status.text() == "The start date 2025-05-02 is after the end date 2025-05-01"


def test_cancel_stops_a_long_download_and_keeps_what_came(
    qtbot: QtBot, stored: Callable[..., Stored]
) -> None:
    s = stored(engine=True)
    show(qtbot, s)
    panel = s.window.downloads
    panel.symbol_box.setCurrentText("EURUSD")
    panel.series_box.setCurrentText("M1")
    panel.start_edit.setDate(QDate(2000, 1, 1))  # 26 years of M1: hundreds of chunks
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.cancel_button.isEnabled(), timeout=10_000)
    assert not panel.download_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress is not None and panel.progress.finished, timeout=20_000)
    assert panel.progress is not None and panel.progress.cancelled
    assert 0 < panel.bar.value() < panel.bar.maximum()
    assert panel.status.text().startswith("Download of EURUSD cancelled;")


def test_the_record_toggle_follows_the_engine_and_ticks_reach_the_store(
    qtbot: QtBot, stored: Callable[..., Stored]
) -> None:
    s = stored(engine=True)
    show(qtbot, s)
    panel = s.window.downloads
    assert not panel.record_box.isChecked()
    qtbot.mouseClick(panel.record_box, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.recording is not None and panel.recording.recording, timeout=10_000
    )
    assert panel.record_box.isChecked()
    assert panel.record_status.text().startswith("Recording every symbol:")
    qtbot.wait(300)  # a few polls of paper ticks
    qtbot.mouseClick(panel.record_box, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.recording is not None and not panel.recording.recording, timeout=10_000
    )
    assert not panel.record_box.isChecked()
    # What was recorded is written by the engine's writer, a batch per symbol; the
    # state counts what is written and what still waits.
    qtbot.waitUntil(
        lambda: (
            panel.recording is not None
            and panel.recording.stored > 0
            and panel.recording.waiting == 0
        ),
        timeout=10_000,
    )
    assert len(s.store.read_ticks("EURUSD")) > 0


def test_view_history_and_file_import_are_in_the_main_window_menus(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    window = make_terminal().window
    file_menu, view_menu = (
        next(a.menu() for a in window.menuBar().actions() if a.text() == name)
        for name in ("&File", "&View")
    )
    assert window.stored_history.import_action in file_menu.actions()
    assert window.stored_history.history_action in view_menu.actions()
    window.stored_history.history_action.trigger()
    history = window.stored_history.window
    assert history.isVisible()
    assert history.downloads.symbol_box.findText("EURUSD") >= 0  # the broker's symbols


def test_open_chart_shows_a_symbol_no_broker_streams_from_the_store(
    qtbot: QtBot,
    make_terminal: Callable[..., Terminal],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRADETERM_HOME", str(tmp_path))
    store = HistoryStore()
    store.write_bars("DAX40", Timeframe.H1, _bars(MONDAY, 48, 3600, price=18250.5))
    store.write_bars("DAX40", Timeframe.D1, _bars(MONDAY, 5, 86_400, price=18250.5))
    window = make_terminal().window
    live = window.workspace.active
    assert "DAX40" not in window.desk.specs  # the paper broker has no such symbol
    history = window.stored_history.open_history()
    qtbot.waitUntil(lambda: history.model.rowCount() == 2, timeout=10_000)
    assert history.select("DAX40", "H1")
    qtbot.mouseClick(history.chart_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.workspace.active is not live, timeout=10_000)
    chart = window.chart
    qtbot.waitUntil(lambda: chart.symbol == "DAX40" and chart.bar_count == 48, timeout=10_000)
    assert chart.timeframe is Timeframe.H1
    assert window.timeframe_actions[Timeframe.H1].isChecked()
    assert "DAX40 H1 · stored history" in window.windowTitle()
    assert chart.last_bar() is not None and chart.last_bar()[0] == MONDAY + 47 * 3600
    # The data's own decimals: 18250.5 + 1e-5 steps are shown with five.
    assert "C 18250.50047" in chart.readout_text, chart.readout_text
    # A timeframe switch reads that timeframe from the store, not from the broker.
    window.show_timeframe(Timeframe.D1)
    qtbot.waitUntil(
        lambda: chart.timeframe is Timeframe.D1 and chart.bar_count == 5, timeout=10_000
    )
    assert chart.symbol == "DAX40"
    assert "DAX40 D1 · stored history" in window.windowTitle()
    # One that is not stored leaves the chart empty and says so.
    window.show_timeframe(Timeframe.M5)
    qtbot.waitUntil(
        lambda: "no DAX40 M5 bars are stored" in window.statusBar().currentMessage(),
        timeout=10_000,
    )
    assert chart.bar_count == 0
    # Choosing a broker's symbol shows it on the live chart; the stored one keeps its bars.
    window.show_symbol("GBPUSD")
    qtbot.waitUntil(lambda: window.workspace.active is live, timeout=10_000)
    qtbot.waitUntil(
        lambda: live.chart.symbol == "GBPUSD" and live.chart.bar_count > 0, timeout=10_000
    )
    assert chart.symbol == "DAX40"


def test_open_chart_of_a_live_symbol_opens_a_separate_untradeable_chart(
    qtbot: QtBot,
    make_terminal: Callable[..., Terminal],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """EURUSD H1 from the store next to the live EURUSD M1 chart: nothing live on it."""
    monkeypatch.setenv("TRADETERM_HOME", str(tmp_path))
    HistoryStore().write_bars("EURUSD", Timeframe.H1, _bars(MONDAY, 48, 3600, price=1.08))
    terminal = make_terminal()
    window = terminal.window
    live = window.workspace.active
    assert live.chart.timeframe is Timeframe.M1
    # An open position: its line is on the live chart and must not be on old bars.
    window.order_desk.submit("buy 0.1 eurusd", OrderSource.TICKET)
    qtbot.waitUntil(lambda: bool(window.desk.positions), timeout=10_000)
    trading = window.chart_trading
    assert trading is not None
    qtbot.waitUntil(lambda: any(kind == "entry" for kind, _ in trading.lines), timeout=10_000)
    history = window.stored_history.open_history()
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=10_000)
    assert history.select("EURUSD", "H1")
    qtbot.mouseClick(history.chart_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.workspace.windows) == 2, timeout=10_000)
    stored = window.workspace.active
    assert stored is not live and stored.stored
    qtbot.waitUntil(lambda: stored.chart.bar_count == 48, timeout=10_000)
    # The live chart is still the live EURUSD M1 chart.
    assert (live.chart.symbol, live.chart.timeframe) == ("EURUSD", Timeframe.M1)
    assert live.chart.last_bar() is not None and live.chart.last_bar()[0] > MONDAY + 86_400
    # The new one says what it is, in its tab and in the window's title.
    sub = next(s for s in window.workspace.subWindowList() if s.widget() is stored)
    assert sub.windowTitle() == "EURUSD H1 · stored history"
    assert "EURUSD H1 · stored history" in window.windowTitle()
    # Nothing live or tradeable on it: no bid/ask, no trading lines, no alerts, no one-click.
    assert stored.trading is None and window.chart_trading is None
    assert stored.watcher not in window.chart_alerts
    window.one_click_panel_action.trigger()
    assert not stored.one_click.isVisible()
    # Ticks keep coming: the live chart takes them, the stored chart does not.
    last_live = live.chart.quote_lines[0].value()
    qtbot.waitUntil(lambda: live.chart.quote_lines[0].value() != last_live, timeout=10_000)
    assert all(line.value() is None for line in stored.chart.quote_lines)
    assert not any(line.isVisible() for line in stored.chart.quote_lines)
    assert stored.chart.bar_count == 48
    assert stored.chart.last_bar() is not None and stored.chart.last_bar()[0] == MONDAY + 47 * 3600
    # The saved chart set holds only the live chart.
    assert [c["symbol"] for c in window.workspace.chart_set().charts] == ["EURUSD"]


def test_ticks_have_no_chart(qtbot: QtBot, stored: Callable[..., Stored]) -> None:
    s = stored()
    ticks = np.zeros(2, dtype=TICK_DTYPE)
    ticks["time_msc"] = MONDAY * 1000 + np.array([0, 5])
    ticks["bid"], ticks["ask"] = 1.1, 1.1001
    s.store.write_ticks("EURUSD", ticks)
    show(qtbot, s)
    s.window.select("EURUSD", "ticks")
    assert not s.window.chart_button.isEnabled()
    assert not s.window.open_chart()


# -- the account report: the tester's report for the journal's deals ---------------------------


def figure(report_window: AccountReportWindow, label: str) -> str:
    table = report_window.figures
    for row in range(table.rowCount()):
        if table.item(row, 0).text() == label:
            return table.item(row, 1).text()
    raise AssertionError(f"no figure {label!r}")


def test_the_report_button_shows_the_testers_figures_for_the_real_deals(
    qtbot: QtBot, desk: Desk, tmp_path: Path
) -> None:
    pnl = trade(qtbot, desk)
    model = DeskModel()
    model.account = AccountState("USD", 10_000.0 + pnl, 10_000.0, 0, 10_000.0, 0, pnl, 100)
    window = HistoryWindow(desk.bus.command.emit, model, choose_path=lambda s: None)
    desk.bus.trade_history.connect(window.on_trade_history)
    qtbot.addWidget(window)
    window.show()
    assert window.show_report() is None  # nothing loaded yet: it says so
    assert window.status.text() == "Show a range first: the report covers its deals"
    load(qtbot, window)
    qtbot.mouseClick(window.report_button, Qt.MouseButton.LeftButton)
    report = window.report_window
    assert report is not None and report.isVisible()
    # Three deals (two opens, one close): one closed trade, the EURUSD round trip.
    assert figure(report, "Total trades") == "1"
    assert figure(report, "Total deals") == "3"
    assert figure(report, "Total net profit") == money(pnl)
    assert figure(report, "Initial deposit") == money(10_000.0)  # the balance now less the deals
    assert figure(report, "Final balance") == money(10_000.0 + pnl)
    assert report.windowTitle().startswith("Account history, all symbols,")
    _times, balance = report.curve.getData()
    assert balance is not None and len(balance) == 4  # the start and after each deal
    assert round(float(balance[0]), 2) == 10_000.0
    # A corrected starting balance recomputes every figure from it.
    report.deposit_box.setValue(5_000.0)
    assert figure(report, "Initial deposit") == money(5_000.0)
    assert figure(report, "Final balance") == money(5_000.0 + pnl)
    # The tester's HTML report, for the real account.
    out = tmp_path / "account.html"
    report.choose_path = lambda suggested: str(out)
    assert report.save_html() == out
    assert "Account history, all symbols" in out.read_text(encoding="utf-8")
