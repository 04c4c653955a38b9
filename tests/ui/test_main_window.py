"""The terminal as a trader uses it: keyboard in, fills and positions out."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.domain.enums import ConnectionStatus
from app.domain.notices import ConnectionState
from app.domain.strategies import StrategyState
from app.ui.panels.positions import CURRENT
from tests.ui.conftest import Terminal
from tests.ui.strategy_desk import OWNER_PROBE, start_from_panel


def _focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has keyboard focus"
    return widget


def _type(qtbot: QtBot, text: str) -> None:
    qtbot.keyClicks(_focused(), text)


def _key(
    qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    qtbot.keyClick(_focused(), key, modifier)


def test_keyboard_only_order_fills_and_shows_everywhere(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    qtbot.keyClick(w, Qt.Key.Key_F9)  # F9: new order, cursor in the command line
    assert _focused() is w.ticket.command
    _type(qtbot, "b 0.3")
    _key(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: w.positions_model.rowCount() == 1, timeout=5000)
    position = w.positions_model.position_at(0)
    assert (position.symbol, position.side, position.volume) == ("EURUSD", "buy", 0.3)
    qtbot.waitUntil(
        lambda: any(m.startswith("Filled: buy 0.30 EURUSD") for m in w.log_model.messages()),
        timeout=5000,
    )
    assert w.ticket.status.text().startswith("Filled: buy 0.3 EURUSD at")
    assert w.ticket.error.text() == ""

    # Profit updates live as ticks arrive; the risk panel shows the money.
    first = w.positions_model.data(w.positions_model.index(0, CURRENT))
    qtbot.waitUntil(
        lambda: w.positions_model.data(w.positions_model.index(0, CURRENT)) != first,
        timeout=5000,
    )
    assert w.account.values["margin"].text() != "0.00 USD"
    assert "USD" in w.account.values["equity"].text()


def test_ctrl_q_quits_on_every_platform(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    """Ctrl+Q, as the README says: Qt's standard Quit key is empty on Windows."""
    w = make_terminal().window
    closed: list[bool] = []
    w.closing.connect(lambda: closed.append(True))
    qtbot.keyClick(w, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: closed == [True], timeout=3000)


def test_quitting_while_a_strategy_runs_asks_first_and_no_keeps_the_terminal_open(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal(confirm_answer=False, strategy_files=OWNER_PROBE)
    w = t.window
    closed: list[bool] = []
    w.closing.connect(lambda: closed.append(True))
    qtbot.keyClick(w, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: closed == [True], timeout=3000)
    assert t.confirmations == [], "no strategy ran: it quits without asking"
    closed.clear()
    t = make_terminal(confirm_answer=False, strategy_files=OWNER_PROBE)
    w = t.window
    w.closing.connect(lambda: closed.append(True))
    start_from_panel(qtbot, w, "owner_probe")
    qtbot.waitUntil(
        lambda: any(s.state is StrategyState.RUNNING for s in w.strategies.model.statuses),
        timeout=20_000,
    )
    t.confirmations.clear()
    w.activateWindow()  # the attach form had the focus; the trader comes back to the window
    qtbot.waitUntil(w.isActiveWindow, timeout=5_000)
    qtbot.keyClick(w, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert t.confirmations == [
        "1 strategy is running (owner_probe#1). Quitting stops it; open positions stay at "
        "the broker, and working orders too until the next start, which cancels those of "
        "an instance that does not start by itself. Quit anyway?"
    ]
    assert closed == [] and w.isVisible(), "the trader said no, yet the terminal closed"


def test_tab_through_fields_and_sell_with_stops(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    qtbot.keyClick(w, Qt.Key.Key_F9)
    for _ in range(2):  # command line -> side -> volume
        _key(qtbot, Qt.Key.Key_Tab)
    assert _focused() is w.ticket.volume
    _key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    _type(qtbot, "0.2")
    _key(qtbot, Qt.Key.Key_Tab)
    assert _focused() is w.ticket.sl
    bid = float(w.ticket.quote.text().split(" / ")[0])
    _type(qtbot, f"{bid + 0.0050:.5f}")
    _key(qtbot, Qt.Key.Key_Tab)
    assert _focused() is w.ticket.tp
    _type(qtbot, f"{bid - 0.0050:.5f}")
    # Back to the side field (Shift+Tab x3) and choose Sell by typing its first letter.
    for _ in range(3):
        _key(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert _focused() is w.ticket.side
    _type(qtbot, "s")
    assert w.ticket.side.currentText() == "Sell"
    _key(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: w.positions_model.rowCount() == 1, timeout=5000)
    p = w.positions_model.position_at(0)
    assert p.side == "sell" and p.volume == 0.2
    assert p.sl is not None and abs(p.sl - (bid + 0.005)) < 1e-9
    assert p.tp is not None and abs(p.tp - (bid - 0.005)) < 1e-9


def test_typo_shows_why_and_sends_nothing(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    sent: list[object] = []
    t.bus.command.connect(sent.append)
    qtbot.keyClick(w, Qt.Key.Key_F9)
    for _ in range(2):  # command line -> side -> volume
        _key(qtbot, Qt.Key.Key_Tab)
    _key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    _type(qtbot, "0.1x")
    _key(qtbot, Qt.Key.Key_Return)
    assert w.ticket.error.text() == "Volume '0.1x' is not a number"

    _key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    _type(qtbot, "0.015")
    _key(qtbot, Qt.Key.Key_Return)
    assert "not a multiple of the step 0.01" in w.ticket.error.text()

    _key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    _type(qtbot, "0.1")
    _key(qtbot, Qt.Key.Key_Tab)
    _type(qtbot, "9.99999")  # a buy's stop loss above the price
    _key(qtbot, Qt.Key.Key_Return)
    assert "Stop loss 9.99999 must be below" in w.ticket.error.text()

    qtbot.wait(300)
    assert sent == []
    assert w.positions_model.rowCount() == 0


def test_close_position_from_the_keyboard_asks_first(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal(confirm_answer=False)
    w = t.window
    says_no = w.order_desk.confirm
    w.order_desk.confirm = lambda title, text: True  # opening: yes
    w.ticket.buy_button.click()  # the form's order: market buy of the default volume
    w.order_desk.confirm = says_no
    qtbot.waitUntil(lambda: w.positions_model.rowCount() == 1, timeout=5000)
    w.docks["positions"].raise_()
    w.positions.setFocus()
    w.positions.selectRow(0)

    qtbot.keyClick(w.positions, Qt.Key.Key_Delete)  # the trader says no
    assert len(t.confirmations) == 1 and t.confirmations[0].startswith("Close #")
    qtbot.wait(300)
    assert w.positions_model.rowCount() == 1

    t.confirmations.clear()
    w.order_desk.confirm = lambda title, text: t.confirmations.append(text) or True  # type: ignore[func-returns-value]
    qtbot.keyClick(w.positions, Qt.Key.Key_Delete)  # now yes
    qtbot.waitUntil(lambda: w.positions_model.rowCount() == 0, timeout=5000)
    assert any(m.startswith("Closed: position #") for m in w.log_model.messages())


def test_status_bar_shows_broker_connection_and_tick_rate(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    assert w.connection_label.text() == "Connected"
    assert w.broker_label.text() == "Broker: Paper trading"
    qtbot.waitUntil(lambda: w.rate_label.text() != "0 ticks/s", timeout=5000)
    assert w.rate_label.text().endswith("ticks/s")


def test_the_status_bar_never_says_trading_active_while_disconnected(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    qtbot.waitUntil(lambda: w.trading_state_label.text() == "Trading active", timeout=5000)
    t.bus.connection.emit(
        ConnectionState(ConnectionStatus.DISCONNECTED, "Paper trading", "link lost")
    )
    qtbot.waitUntil(lambda: w.connection_label.text() == "Disconnected", timeout=5000)
    assert w.trading_state_label.text() == "No trading: not connected"
    assert "refused" in w.trading_state_label.toolTip()
    t.bus.connection.emit(ConnectionState(ConnectionStatus.CONNECTED, "Paper trading"))
    qtbot.waitUntil(lambda: w.trading_state_label.text() == "Trading active", timeout=5000)


def test_dock_layout_is_restored_on_next_start(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "layout.ini"
    first = make_terminal(state_file=state).window
    first.docks["log"].setFloating(True)
    first.docks["risk"].hide()
    first.close()
    assert state.exists()

    second = make_terminal(state_file=state).window
    assert second.docks["log"].isFloating()
    assert not second.docks["risk"].isVisible()


def test_chart_follows_the_ticket_symbol(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    assert w.chart.symbol == "EURUSD"
    w.ticket.symbol.setCurrentText("XAUUSD")
    qtbot.waitUntil(lambda: w.chart.symbol == "XAUUSD" and w.chart.bar_count > 0, timeout=5000)
    last = w.chart.last_bar()
    assert last is not None and last[4] > 1000  # gold, not the euro
