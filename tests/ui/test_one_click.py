"""One-click trading on the chart: live prices, volume from the keyboard, the desk and the gate."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.commands import Command, SubmitOrder
from app.domain.enums import OrderSource, Side
from app.ui.desk.orders import Verdict
from app.ui.workspace.charts import ChartWindow
from tests.ui.conftest import Terminal


def _orders(t: Terminal) -> list[SubmitOrder]:
    sent: list[Command] = []
    t.bus.command.connect(sent.append)
    return sent  # type: ignore[return-value]  # filtered by the callers


def _show_panel(qtbot: QtBot, t: Terminal) -> ChartWindow:
    window = t.window.workspace.active
    qtbot.keyClick(t.window, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # Alt+O
    assert window.one_click.isVisible() and t.window.one_click_panel_action.isChecked()
    return window


def test_the_panel_and_the_ticket_show_the_prices_they_trade_at(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    panel = _show_panel(qtbot, t).one_click
    spec = w.desk.specs["EURUSD"]

    def shows_the_quote() -> bool:
        quote = w.desk.quotes["EURUSD"]
        return (
            panel.sell_button.text() == f"SELL {spec.format_price(quote.bid)}"
            and panel.buy_button.text() == f"BUY {spec.format_price(quote.ask)}"
            and panel.spread.text() == str(round((quote.ask - quote.bid) / spec.point))
        )

    qtbot.waitUntil(shows_the_quote, timeout=5000)
    first = panel.sell_button.text()
    qtbot.waitUntil(lambda: panel.sell_button.text() != first, timeout=5000)  # live
    qtbot.waitUntil(shows_the_quote, timeout=5000)

    def ticket_shows_the_quote() -> bool:
        bid, ask = w.ticket.quote.text().split(" / ")
        return (
            w.ticket.sell_button.text() == f"Sell\n{bid}"
            and w.ticket.buy_button.text() == f"Buy\n{ask}"
        )

    qtbot.waitUntil(ticket_shows_the_quote, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # and off again
    assert not panel.isVisible()
    assert w.workspace.active.state()["one_click"] is False


def test_up_and_down_step_the_volume_by_the_symbols_step(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    panel = _show_panel(qtbot, t).one_click
    spec = t.window.desk.specs["EURUSD"]
    panel.volume.setFocus()
    assert panel.volume.text() == "0.1"
    qtbot.keyClick(panel.volume, Qt.Key.Key_Up)
    assert panel.volume.text() == spec.format_volume(0.1 + spec.volume_step)
    for _ in range(2):
        qtbot.keyClick(panel.volume, Qt.Key.Key_Down)
    assert panel.volume.text() == spec.format_volume(0.1 - spec.volume_step)
    for _ in range(30):
        qtbot.keyClick(panel.volume, Qt.Key.Key_PageDown)
    assert panel.volume.text() == spec.format_volume(spec.volume_min)  # never below the minimum


def test_with_one_click_off_a_click_asks_first_and_no_means_nothing_is_sent(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal(confirm_answer=False, one_click=False)
    sent = _orders(t)
    panel = _show_panel(qtbot, t).one_click
    qtbot.mouseClick(panel.buy_button, Qt.MouseButton.LeftButton)
    assert panel.last_outcome is not None and panel.last_outcome.verdict is Verdict.DECLINED
    assert len(t.confirmations) == 1 and "BUY 0.10 EURUSD" in t.confirmations[0].upper()
    assert not [c for c in sent if isinstance(c, SubmitOrder)]


def test_with_one_click_on_a_click_trades_at_once_through_the_desk(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal(one_click=True)
    w = t.window
    sent = _orders(t)
    panel = _show_panel(qtbot, t).one_click
    panel.volume.setText("0.3")
    qtbot.mouseClick(panel.sell_button, Qt.MouseButton.LeftButton)
    assert not t.confirmations  # one-click: no dialog
    orders = [c for c in sent if isinstance(c, SubmitOrder)]
    assert len(orders) == 1
    request = orders[0].request
    assert (request.symbol, request.side, request.volume) == ("EURUSD", Side.SELL, 0.3)
    assert request.source is OrderSource.CHART
    qtbot.waitUntil(lambda: w.positions_model.rowCount() == 1, timeout=5000)
    position = w.positions_model.position_at(0)
    assert (position.symbol, position.side, position.volume) == ("EURUSD", "sell", 0.3)

    panel.volume.setText("lots")  # not a number: one clear message, nothing sent
    qtbot.mouseClick(panel.buy_button, Qt.MouseButton.LeftButton)
    assert len([c for c in sent if isinstance(c, SubmitOrder)]) == 1
    assert "Volume" in w.statusBar().currentMessage()


def test_while_halted_the_gate_refuses_a_click_and_says_why(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal(one_click=True)
    w = t.window
    panel = _show_panel(qtbot, t).one_click
    w.trading.halt(OrderSource.MENU, flatten=False)
    qtbot.waitUntil(lambda: w.desk.halted and w.desk.risk is not None, timeout=5000)
    sent = _orders(t)
    qtbot.mouseClick(panel.buy_button, Qt.MouseButton.LeftButton)
    outcome = panel.last_outcome
    assert outcome is not None and outcome.verdict is Verdict.REFUSED
    assert "halted" in outcome.message.lower()
    assert "halted" in w.statusBar().currentMessage().lower()
    assert not [c for c in sent if isinstance(c, SubmitOrder)]
    assert "HALTED" in panel.buy_button.toolTip()
    assert w.positions_model.rowCount() == 0


def test_each_charts_panel_trades_its_own_charts_symbol(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal(one_click=True)
    w = t.window
    sent = _orders(t)
    euro = _show_panel(qtbot, t)
    yen = w.new_chart("USDJPY")
    qtbot.keyClick(w, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    assert yen.one_click.isVisible() and w.desk.symbol == "USDJPY"
    spec = w.desk.specs["USDJPY"]
    qtbot.waitUntil(
        lambda: (
            yen.one_click.buy_button.text()
            == f"BUY {spec.format_price(w.desk.quotes['USDJPY'].ask)}"
        ),
        timeout=5000,
    )
    qtbot.mouseClick(yen.one_click.buy_button, Qt.MouseButton.LeftButton)
    orders = [c for c in sent if isinstance(c, SubmitOrder)]
    assert [o.request.symbol for o in orders] == ["USDJPY"]
    assert euro.one_click.buy_button.text().startswith("BUY 1.")  # still the euro's price


def test_the_volume_box_takes_only_a_volume_and_snaps_back_from_a_non_volume(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal(one_click=True)
    w = t.window
    sent = _orders(t)
    panel = _show_panel(qtbot, t).one_click
    panel.volume.setFocus()
    panel.volume.selectAll()
    qtbot.keyClicks(panel.volume, "0.2")
    # A command typed while the focus was here: not one letter of it lands in the box.
    qtbot.keyClicks(panel.volume, "alert eurusd bid > 1.0852")
    typed = panel.volume.text()
    assert not any(c.isalpha() or c in " >" for c in typed), typed
    assert typed.startswith("0.2")
    qtbot.keyClick(panel.volume, Qt.Key.Key_Return)  # kept as the good volume
    # Cleared, or zero: leaving the field puts the last good volume back and says so.
    panel.volume.selectAll()
    qtbot.keyClicks(panel.volume, "0")
    w.ticket.command.setFocus()
    qtbot.waitUntil(lambda: panel.volume.text() == typed, timeout=2000)
    assert "not a volume" in w.statusBar().currentMessage()
    panel.volume.setFocus()
    panel.volume.selectAll()
    qtbot.keyClick(panel.volume, Qt.Key.Key_Delete)
    qtbot.keyClick(panel.volume, Qt.Key.Key_Return)
    assert panel.volume.text() == typed
    # What the box holds is a volume a click trades.
    panel.volume.selectAll()
    qtbot.keyClicks(panel.volume, "0.3")
    qtbot.mouseClick(panel.buy_button, Qt.MouseButton.LeftButton)
    orders = [c for c in sent if isinstance(c, SubmitOrder)]
    assert len(orders) == 1 and orders[0].request.volume == 0.3
