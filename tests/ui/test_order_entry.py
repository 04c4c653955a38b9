"""Keyboard-first order entry end to end: keys in, what the paper broker received out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.commands import CancelAll, CloseAll
from app.domain.enums import OrderSource, OrderStatus, OrderType, Side, TimeInForce
from app.domain.symbols import SymbolSpec
from app.domain.trading import OrderRequest, Position
from tests.ui.trading_desk import (  # noqa: F401  (the desk fixture)
    ALT,
    CTRL,
    SHIFT,
    Desk,
    desk_fixture,
    enter,
    focused,
    press,
    type_command,
)

# -- the command line ---------------------------------------------------------------


def test_typed_order_previews_asks_and_reaches_the_broker_as_previewed(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    type_command(qtbot, d, "buy 0.2 eurusd sl 20p tp 2r")
    preview = d.window.ticket.preview.text()
    assert preview.startswith("Enter sends: BUY 0.20 EURUSD market ≈")
    assert "SL " in preview and "USD) · TP " in preview and "margin" in preview
    # The form shows the same order.
    t = d.window.ticket
    assert (t.side.currentText(), t.volume.text(), t.symbol.currentText()) == (
        "Buy",
        "0.20",
        "EURUSD",
    )
    assert t.sl.text() and t.tp.text()
    enter(qtbot)
    assert len(d.confirmations) == 1 and "Send this order?" in d.confirmations[0]
    qtbot.waitUntil(lambda: len(d.positions()) == 1, timeout=5000)
    (request,) = d.broker.of("submit")
    assert isinstance(request, OrderRequest)
    assert (request.side, request.volume, request.symbol) == (Side.BUY, 0.2, "EURUSD")
    assert request.sl is not None and request.tp is not None
    # What was sent is what the preview (computed from the same quote) said.
    assert f"SL {d.spec().format_price(request.sl)}" in d.confirmations[0]
    assert f"TP {d.spec().format_price(request.tp)}" in d.confirmations[0]
    # Every event of the order carries its one client id.
    qtbot.waitUntil(lambda: any(u.status is OrderStatus.FILLED for u in d.updates), timeout=5000)
    assert [u.status for u in d.updates if u.client_id == request.client_id] == [
        OrderStatus.PENDING_NEW,
        OrderStatus.FILLED,
    ]
    assert [f.client_id for f in d.fills] == [request.client_id]
    assert t.command.text() == ""  # cleared, and remembered in the history


def test_declined_confirmation_and_invalid_text_send_nothing(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    d.answer[0] = False
    type_command(qtbot, d, "s 1")
    enter(qtbot)
    assert len(d.confirmations) == 1
    assert d.window.ticket.status.text() == "Not sent: you said no"
    qtbot.keyClick(focused(), Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(focused(), "buy 0.1 eurusx")
    assert "Unknown word 'eurusx'" in d.window.ticket.preview.text()
    enter(qtbot)
    assert "did you mean EURUSD?" in d.window.ticket.error.text()
    qtbot.wait(300)
    assert d.sent == [] and d.broker.calls == [] and len(d.confirmations) == 1


def test_a_thousands_comma_sends_nothing_from_the_line_or_the_form(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    type_command(qtbot, d, "buy 1,000 eurusd")
    assert "'1,000' is ambiguous" in d.window.ticket.preview.text()
    enter(qtbot)
    assert "'1,000' is ambiguous" in d.window.ticket.error.text()
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    volume = d.window.ticket.volume
    volume.setFocus()
    qtbot.keyClick(volume, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(volume, "1,000")  # the same word in the form's volume field
    assert "'1,000' is ambiguous" in d.window.ticket.error.text()
    d.window.ticket.submit()
    qtbot.wait(300)
    assert d.sent == [] and d.broker.calls == [] and d.confirmations == []


def test_history_up_down_and_symbol_completion(qtbot: QtBot, desk: Callable[..., Desk]) -> None:
    d = desk(one_click=True)
    line = d.window.ticket.command
    type_command(qtbot, d, "b 0.1")
    enter(qtbot)
    qtbot.keyClicks(line, "s 0.2")
    enter(qtbot)
    qtbot.waitUntil(lambda: len(d.broker.of("submit")) == 2, timeout=5000)
    qtbot.keyClick(line, Qt.Key.Key_Up)
    assert line.text() == "s 0.2"
    qtbot.keyClick(line, Qt.Key.Key_Up)
    assert line.text() == "b 0.1"
    qtbot.keyClick(line, Qt.Key.Key_Down)
    qtbot.keyClick(line, Qt.Key.Key_Down)
    assert line.text() == ""
    # Symbols complete word by word: "xau" + Tab → XAUUSD.
    qtbot.keyClicks(line, "buy 0.01 xau")
    popup = line.completer_.popup()
    assert popup is not None
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    qtbot.keyClick(popup, Qt.Key.Key_Tab)
    assert line.text().strip() == "buy 0.01 XAUUSD"
    assert d.window.ticket.symbol.currentText() == "XAUUSD"


def test_form_edits_rewrite_the_command_line(qtbot: QtBot, desk: Callable[..., Desk]) -> None:
    d = desk()
    t = d.window.ticket
    bid, _ask = d.bid_ask()
    qtbot.keyClick(d.window, Qt.Key.Key_F9)
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)  # → side
    qtbot.keyClicks(focused(), "s")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)  # → volume
    qtbot.keyClick(focused(), Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(focused(), "0.3")
    for _ in range(3):  # → sl → tp → type
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is t.order_type
    qtbot.keyClicks(focused(), "l")  # Limit
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is t.price
    price = d.spec().format_price(bid + 0.0050)
    qtbot.keyClicks(focused(), price)
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)  # stop-limit price is disabled: → expiry
    assert focused() is t.expiry
    qtbot.keyClicks(focused(), "t")  # Today
    assert t.command.text() == f"sell 0.3 EURUSD limit {price} exp today"
    enter(qtbot)
    qtbot.waitUntil(lambda: d.window.orders_model.rowCount() == 1, timeout=5000)
    (request,) = d.broker.of("submit")
    assert isinstance(request, OrderRequest)
    assert (request.side, request.order_type, request.price) == (
        Side.SELL,
        OrderType.LIMIT,
        float(price),
    )
    assert request.time_in_force is TimeInForce.DAY
    order = d.window.orders_model.order_at(0)
    assert d.window.orders_model.data(d.window.orders_model.index(0, 8)) == "today"
    assert order.client_id == request.client_id


# -- hotkeys ----------------------------------------------------------------------------


def test_ctrl_b_ctrl_s_alt_arrows_esc_and_ctrl_z(qtbot: QtBot, desk: Callable[..., Desk]) -> None:
    d = desk()
    w = d.window
    w.positions.setFocus()
    press(qtbot, Qt.Key.Key_B, CTRL)
    press(qtbot, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: len(d.broker.of("submit")) == 2, timeout=5000)
    buy, sell = d.broker.of("submit")
    assert isinstance(buy, OrderRequest) and isinstance(sell, OrderRequest)
    assert (buy.side, buy.volume, buy.symbol, buy.order_type) == (
        Side.BUY,
        0.1,
        "EURUSD",
        OrderType.MARKET,
    )
    assert (sell.side, sell.volume, sell.symbol) == (Side.SELL, 0.1, "EURUSD")
    assert len(d.confirmations) == 2  # one per order: one-click is off

    # Ctrl+Z does nothing but say so.
    sent_before = len(d.sent)
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert w.statusBar().currentMessage() == "Trades cannot be undone"
    qtbot.wait(200)
    assert len(d.sent) == sent_before and len(d.positions()) == 2

    # Alt+Up/Down step the ticket's volume; the command line follows; Esc clears it.
    qtbot.keyClick(w, Qt.Key.Key_F9)
    press(qtbot, Qt.Key.Key_Up, ALT)
    press(qtbot, Qt.Key.Key_Up, ALT)
    press(qtbot, Qt.Key.Key_Down, ALT)
    assert w.ticket.volume.text() == "0.11"
    assert w.ticket.command.text() == "buy 0.11 EURUSD"
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert w.ticket.command.text() == "" and w.ticket.volume.text() == "0.1"


def test_one_click_sends_without_asking_but_flatten_all_always_asks(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk(one_click=True)
    w = d.window
    press(qtbot, Qt.Key.Key_B, CTRL)
    _bid, ask = d.bid_ask()
    type_command(qtbot, d, f"buy 0.1 eurusd limit {d.spec().format_price(ask - 0.0040)}")
    enter(qtbot)
    qtbot.waitUntil(
        lambda: len(d.positions()) == 1 and w.orders_model.rowCount() == 1, timeout=5000
    )
    assert d.confirmations == []

    d.answer[0] = False
    press(qtbot, Qt.Key.Key_X, CTRL | SHIFT)
    assert len(d.confirmations) == 1 and "EVERYTHING" in d.confirmations[0]
    qtbot.wait(200)
    assert not any(isinstance(c, CloseAll | CancelAll) for c in d.sent)

    d.answer[0] = True
    press(qtbot, Qt.Key.Key_X, CTRL | SHIFT)
    assert len(d.confirmations) == 2
    qtbot.waitUntil(lambda: not d.positions() and w.orders_model.rowCount() == 0, timeout=5000)
    assert len(d.broker.of("cancel")) == 1 and len(d.broker.of("close")) == 1


# -- commands on positions and orders ---------------------------------------------------


def test_partial_close_modify_reverse_and_close_by_from_the_command_line(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk(one_click=True)
    w = d.window
    type_command(qtbot, d, "b 0.5")
    enter(qtbot)
    qtbot.waitUntil(lambda: len(d.positions()) == 1, timeout=5000)
    ticket = d.positions()[0].ticket

    qtbot.keyClicks(w.ticket.command, f"close #{ticket} 0.2")
    enter(qtbot)
    qtbot.waitUntil(lambda: d.positions() and d.positions()[0].volume == 0.3, timeout=5000)
    assert d.broker.of("close")[-1][:2] == (ticket, 0.2)  # type: ignore[index]

    bid, _ask = d.bid_ask()
    sl = d.spec().format_price(bid - 0.0030)
    qtbot.keyClicks(w.ticket.command, f"modify #{ticket} sl {sl}")
    enter(qtbot)
    qtbot.waitUntil(lambda: d.positions()[0].sl == float(sl), timeout=5000)
    assert d.broker.of("modify_position") == [(ticket, float(sl), None)]

    # Reverse: close + open opposite, one client id over the whole story.
    qtbot.keyClicks(w.ticket.command, "reverse eurusd")
    enter(qtbot)
    qtbot.waitUntil(lambda: [p.side for p in d.positions()] == [Side.SELL], timeout=5000)
    reversed_request = d.broker.of("submit")[-1]
    assert isinstance(reversed_request, OrderRequest)
    assert (reversed_request.side, reversed_request.volume) == (Side.SELL, 0.3)
    story = reversed_request.client_id
    qtbot.waitUntil(lambda: len([f for f in d.fills if f.client_id == story]) == 2, timeout=5000)
    legs = [f for f in d.fills if f.client_id == story]
    assert [f.closes_position for f in legs] == [True, False]
    assert [u.status for u in d.updates if u.client_id == story] == [
        OrderStatus.PENDING_NEW,
        OrderStatus.FILLED,
    ]

    # Close-by on a hedging account: a buy against the sell.
    qtbot.keyClicks(w.ticket.command, "b 0.1")
    enter(qtbot)
    qtbot.waitUntil(lambda: len(d.positions()) == 2, timeout=5000)
    short = next(p for p in d.positions() if p.side is Side.SELL)
    long = next(p for p in d.positions() if p.side is Side.BUY)
    qtbot.keyClicks(w.ticket.command, f"close #{long.ticket} by #{short.ticket}")
    enter(qtbot)
    qtbot.waitUntil(lambda: len(d.positions()) == 1, timeout=5000)
    assert d.positions()[0].volume == pytest.approx(0.2)
    assert d.broker.of("close_by")[0][:2] == (long.ticket, short.ticket)  # type: ignore[index]


def test_stop_limit_pending_order_modify_and_cancel_keep_the_orders_story(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk(one_click=True)
    w = d.window
    _bid, ask = d.bid_ask()
    fmt = d.spec().format_price
    stop, limit = fmt(ask + 0.0050), fmt(ask + 0.0045)
    type_command(qtbot, d, f"buy 0.1 eurusd stoplimit {stop} {limit}")
    enter(qtbot)
    qtbot.waitUntil(lambda: w.orders_model.rowCount() == 1, timeout=5000)
    order = w.orders_model.order_at(0)
    assert (order.order_type, order.price, order.stop_limit) == (
        OrderType.STOP_LIMIT,
        float(stop),
        float(limit),
    )
    new_sl = fmt(float(limit) - 0.0020)
    qtbot.keyClicks(w.ticket.command, f"modify #{order.ticket} sl {new_sl}")
    enter(qtbot)
    qtbot.waitUntil(lambda: w.orders_model.order_at(0).sl == float(new_sl), timeout=5000)
    assert d.broker.of("modify_order") == [(order.ticket, float(stop), float(new_sl), None)]

    # Cancel from the Orders table with Delete (confirmation is on for tables too).
    w.order_desk.one_click = False
    w.docks["orders"].raise_()
    qtbot.waitUntil(w.orders.isVisible, timeout=2000)
    w.activateWindow()  # the offscreen platform leaves the symbol popup active
    qtbot.waitUntil(w.isActiveWindow, timeout=2000)
    w.orders.setFocus()
    qtbot.waitUntil(w.orders.hasFocus, timeout=2000)
    w.orders.selectRow(0)
    qtbot.keyClick(w.orders, Qt.Key.Key_Delete)
    assert "Cancel #" in d.confirmations[-1]
    qtbot.waitUntil(lambda: w.orders_model.rowCount() == 0, timeout=5000)
    assert d.broker.of("cancel") == [order.ticket]
    assert [u.status for u in d.updates if u.client_id == order.client_id] == [
        OrderStatus.PENDING_NEW,
        OrderStatus.WORKING,
        OrderStatus.CANCELLED,
    ]


def test_positions_table_keys_partial_close_modify_and_reverse(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk(one_click=True)
    w = d.window
    type_command(qtbot, d, "s 0.4")
    enter(qtbot)
    qtbot.waitUntil(lambda: len(d.positions()) == 1, timeout=5000)
    ticket = d.positions()[0].ticket
    _bid, ask = d.bid_ask()
    tp = d.spec().format_price(ask - 0.0040)

    class Answers:
        def close_volume(self, position: Position, spec: SymbolSpec) -> float | None:
            return 0.1

        def position_levels(self, position: Position, spec: SymbolSpec) -> str | None:
            return f"sl none tp {tp}"

    w.trading.dialogs = Answers()  # type: ignore[assignment]
    w.docks["positions"].raise_()
    w.positions.setFocus()
    w.positions.selectRow(0)
    qtbot.keyClick(w.positions, Qt.Key.Key_Delete, SHIFT)
    qtbot.waitUntil(lambda: d.positions()[0].volume == pytest.approx(0.3), timeout=5000)
    w.positions.selectRow(0)
    qtbot.keyClick(w.positions, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: d.positions()[0].tp == float(tp), timeout=5000)
    w.positions.selectRow(0)
    qtbot.keyClick(w.positions, Qt.Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: [p.side for p in d.positions()] == [Side.BUY], timeout=5000)
    assert d.broker.of("close")[0][:2] == (ticket, 0.1)  # type: ignore[index]
    assert d.broker.of("modify_position") == [(ticket, None, float(tp))]
    sources = {r.source for r in d.broker.of("submit") if isinstance(r, OrderRequest)}
    assert sources == {OrderSource.TICKET, OrderSource.TABLE}
