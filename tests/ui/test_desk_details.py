"""The details a trader meets on the first day: words, menus, keys and one P&L figure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.brokers.sim.broker import SimBroker
from app.domain.commands import ClosePosition, SubmitOrder, new_client_id
from app.domain.enums import OrderSource, Side
from app.domain.risk_limits import RiskLimits
from app.domain.trading import OrderRequest
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.storage.journal import Journal
from app.ui.dialogs.risk_limits import RiskLimitsDialog
from app.ui.dialogs.symbol_spec import SymbolSpecDialog
from app.ui.dialogs.telegram import TelegramSettingsWidget
from app.ui.main_window import MainWindow
from tests.ui.conftest import Terminal
from tests.ui.layout_probe import NoTelegram


def shown(text: str) -> str:
    """A button's, tab's or check box's text as Qt draws it: "&&" is "&", "&x" is "x"."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def test_ampersands_are_shown_not_swallowed_and_no_exponent_in_limits(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    history = w.open_trade_history()
    titles = [shown(history.tabs.tabText(i)) for i in range(history.tabs.count())]
    assert "P&L per day" in titles
    telegram = TelegramSettingsWidget(NoTelegram())
    qtbot.addWidget(telegram)
    assert shown(telegram.categories["closes"].text()) == "Positions closed otherwise, with P&L."
    limits = RiskLimitsDialog(RiskLimits(max_total_exposure=1_000_000.0), w)
    qtbot.addWidget(limits)
    assert limits.numbers["max_total_exposure"].text() == "1000000"
    assert limits.numbers["warning_fraction"].text() == "0.8"


def test_escape_closes_the_trade_history(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    history = w.open_trade_history()
    qtbot.waitUntil(history.isVisible, timeout=2000)
    history.activateWindow()
    qtbot.keyClick(history, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not history.isVisible(), timeout=2000)


def test_the_market_watch_follows_the_chart_and_has_a_context_menu(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    view, model = w.market_watch, w.market_watch_model

    def selected() -> list[str]:
        return [model.symbol_at(i.row()) for i in view.selectionModel().selectedRows()]

    assert selected() == ["EURUSD"]
    w.chart_symbol.setCurrentText("USDJPY")  # the chart's toolbar
    assert selected() == ["USDJPY"] and w.chart.symbol == "USDJPY"
    w.ticket.symbol.setCurrentText("XAUUSD")  # the ticket
    assert selected() == ["XAUUSD"]

    menu = view.context_menu("GBPUSD")
    actions = {shown(a.text()): a for a in menu.actions() if a.text()}
    assert list(actions) == [
        "New order…",
        "Chart",
        "New chart",
        "Specification…",
        "Hide GBPUSD",
        "Show all symbols",
    ]
    actions["Specification…"].trigger()
    dialogs = [d for d in w.findChildren(SymbolSpecDialog) if d.isVisible()]
    assert dialogs and dialogs[-1].values["Digits"].text() == "5"
    assert dialogs[-1].values["Contract size"].text() == "100,000"
    dialogs[-1].close()
    actions["New order…"].trigger()  # the ticket, on that symbol, cursor in the command line
    assert w.ticket.symbol.currentText() == "GBPUSD" and w.chart.symbol == "GBPUSD"
    assert QApplication.focusWidget() is w.ticket.command
    actions["Hide GBPUSD"].trigger()
    assert "GBPUSD" not in model.symbols and "GBPUSD" in w.desk.specs
    view.context_menu("EURUSD").actions()[-1].trigger()  # Show all symbols
    assert "GBPUSD" in model.symbols


def test_help_menu_lists_the_keys_on_f1_and_opens_the_folders(qtbot: QtBot, tmp_path: Path) -> None:
    opened: list[Path] = []
    window = MainWindow(
        EventBus(),
        default_symbol="EURUSD",
        default_volume=0.1,
        log_file=tmp_path / "logs" / "tradeterm.log",
        open_path=lambda path: opened.append(path) or True,  # type: ignore[func-returns-value]
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.shortcuts_dialog
    assert dialog is not None and dialog.isVisible()
    keys = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    for key in ("F9", "Ctrl+Shift+H", "Ctrl+Shift+X", "Ctrl+H", "F1"):
        assert key in keys
    bound = {a.shortcut().toString() for a in window.findChildren(type(window.history_action))}
    assert {"F9", "Ctrl+H", "F1", "Ctrl+Z"} <= bound  # the list names real bindings
    window.open_log_action.trigger()
    window.open_data_action.trigger()
    assert opened[0] == tmp_path / "logs"
    assert opened[1].name == "data"  # the user data folder, under TRADETERM_HOME in tests
    help_menu = next(m for m in window.menuBar().actions() if shown(m.text()) == "Help")
    assert [shown(a.text()) for a in help_menu.menu().actions() if a.text()] == [
        "Keyboard shortcuts",
        "Open the log folder",
        "Open the data folder",
        "About Tradeterm",
    ]


# -- one figure for today's P&L, shown and enforced, across a restart --------------------


@pytest.fixture
def journaled(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[[], MainWindow]]:
    hosts: list[EngineHost] = []
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"

    def start() -> MainWindow:
        bus = EventBus()
        broker = lambda: SimBroker(  # noqa: E731
            seed=3, ticks_per_second=30, history_bars=200, state_path=tmp_path / "paper.json"
        )
        engine = Engine(
            bus,
            broker,
            risk_limits=RiskLimits(max_orders_per_second=0, max_orders_per_minute=0),
            journal_factory=lambda: Journal.open(url),
        )
        host = EngineHost(engine, bus)
        window = MainWindow(bus, default_symbol="EURUSD", default_volume=0.1)
        window.closing.connect(host.stop)
        qtbot.addWidget(window)
        window.show()
        host.start()
        hosts.append(host)
        qtbot.waitUntil(lambda: window.desk.risk is not None, timeout=15_000)
        return window

    yield start
    for host in hosts:
        host.stop()


def todays_pnl(window: MainWindow) -> str:
    return window.account.values["day_pnl"].text()


def test_todays_pnl_is_the_daily_loss_rules_figure_and_survives_a_restart(
    qtbot: QtBot, journaled: Callable[[], MainWindow]
) -> None:
    window = journaled()
    bus = window._bus
    for _ in range(3):  # three round trips, each losing the spread
        opening = OrderRequest(new_client_id(), "EURUSD", Side.BUY, 0.5, source=OrderSource.TICKET)
        bus.command.emit(SubmitOrder(opening))
        qtbot.waitUntil(lambda: bool(window.desk.positions), timeout=5000)
        bus.command.emit(ClosePosition(window.desk.positions[0].ticket))
        qtbot.waitUntil(lambda: not window.desk.positions, timeout=5000)

    def settled() -> bool:
        risk = window.desk.risk
        return risk is not None and risk.day_pnl is not None and risk.day_pnl < 0

    qtbot.waitUntil(settled, timeout=5000)
    risk = window.desk.risk
    assert risk is not None and risk.day_pnl is not None
    before = todays_pnl(window)
    assert before == f"{risk.day_pnl:+,.2f} USD"
    loss = next(u for u in risk.rules if u.rule.value == "max_daily_loss")
    assert loss.usage_text == f"{-risk.day_pnl:,.2f} USD"  # the same money the rule counts
    window.close()

    again = journaled()  # the trader restarts the terminal
    qtbot.waitUntil(lambda: todays_pnl(again) == before, timeout=10_000)
