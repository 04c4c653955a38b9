"""The preview a trader trusts: it follows the symbol and the live quote, and it is what is sent.

Every test drives the real window on a real engine thread; what reached the bus
and the paper broker is the proof, not what the ticket meant to send.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.commands import CancelAll, CloseAll, Halt, Resume, SubmitOrder
from app.domain.enums import OrderSource
from app.domain.normalize import pip_size
from app.domain.trading import OrderRequest
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


def submitted(d: Desk) -> list[OrderRequest]:
    return [c.request for c in d.sent if isinstance(c, SubmitOrder)]


def test_the_preview_follows_the_symbol_chosen_in_the_market_watch(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    w = d.window
    type_command(qtbot, d, "sell 0.2 gbpusd")
    enter(qtbot)
    qtbot.waitUntil(lambda: len(d.broker.of("submit")) == 1, timeout=5000)
    w.market_watch.symbol_activated.emit("EURUSD")  # a double-click on the EURUSD row
    assert w.ticket.symbol.currentText() == "EURUSD"
    assert "GBPUSD" not in w.ticket.preview.text()
    type_command(qtbot, d, "s")
    qtbot.waitUntil(lambda: "EURUSD" in w.ticket.preview.text(), timeout=2000)
    assert "SELL 0.10 EURUSD" in w.ticket.preview.text()


def test_the_preview_follows_the_live_quote(qtbot: QtBot, desk: Callable[..., Desk]) -> None:
    d = desk()
    type_command(qtbot, d, "sell 0.1 eurusd")  # a sell enters at the bid, a plain random walk
    point = d.spec().point

    def previewed_bid() -> float:
        return float(d.window.ticket.preview.text().split("≈")[1].split()[0])

    typed_at = previewed_bid()
    assert typed_at == d.bid_ask()[0]

    def shows_the_bid_now() -> bool:
        # Any move will do: waiting for three points let a slow random walk (under
        # Wine) stay inside them for the whole 30 s.
        bid = d.bid_ask()[0]
        return abs(bid - typed_at) >= point / 2 and previewed_bid() == bid

    qtbot.waitUntil(shows_the_bid_now, timeout=30_000)


def test_enter_on_an_empty_line_sends_nothing_even_with_one_click(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk(one_click=True)
    type_command(qtbot, d, "s 0.2")
    enter(qtbot)
    qtbot.waitUntil(lambda: len(d.broker.of("submit")) == 1, timeout=5000)
    assert d.window.ticket.command.text() == ""
    enter(qtbot)  # nothing typed: the form's leftover values are not a trade
    qtbot.wait(300)
    assert len(submitted(d)) == 1 and len(d.broker.of("submit")) == 1
    assert "Nothing to send" in d.window.ticket.error.text()
    assert d.window.ticket.preview.text() == ""


def test_stops_typed_as_distances_stay_distances_when_the_form_changes(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    type_command(qtbot, d, "b 0.1 eurusd sl 20p tp 2r")
    assert d.window.ticket.sl.text() == "20p" and d.window.ticket.tp.text() == "2r"
    press(qtbot, Qt.Key.Key_Up, ALT)  # the volume one step up rewrites the line from the form
    assert d.window.ticket.command.text() == "buy 0.11 EURUSD sl 20p tp 2r"


def test_what_is_confirmed_is_what_is_sent_measured_from_the_price_at_confirmation(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    w = d.window
    seen: list[tuple[str, float]] = []

    def confirm(title: str, text: str) -> bool:
        seen.append((text, d.bid_ask()[1]))  # the ask the window shows as the trader reads
        return True

    w.order_desk.confirm = confirm
    type_command(qtbot, d, "b 0.1 eurusd sl 20p tp 40p")
    preview = w.ticket.preview.text()
    assert "from the ask at confirmation" in preview and "fixed" in preview
    qtbot.waitUntil(
        lambda: d.bid_ask()[1] != float(preview.split("≈")[1].split()[0]), timeout=10_000
    )
    enter(qtbot)
    qtbot.waitUntil(lambda: len(d.broker.of("submit")) == 1, timeout=5000)
    ((text, ask),) = seen
    (request,) = d.broker.of("submit")
    assert isinstance(request, OrderRequest)
    assert submitted(d) == [request]  # the one object: confirmed, sent, received
    fmt, pip = d.spec().format_price, pip_size(d.spec())
    assert request.sl == d.spec().round_price(ask - 20 * pip)
    assert request.tp == d.spec().round_price(ask + 40 * pip)
    assert f"SL {fmt(request.sl)}" in text and f"TP {fmt(request.tp)}" in text
    assert w.ticket.status.text().startswith(("Sending", "Filled"))


def test_every_command_says_where_it_came_from(qtbot: QtBot, desk: Callable[..., Desk]) -> None:
    d = desk(one_click=True)
    w = d.window
    w.positions.setFocus()
    press(qtbot, Qt.Key.Key_B, CTRL)  # hotkey
    qtbot.waitUntil(lambda: len(submitted(d)) == 1, timeout=5000)
    w.trading.buy_action.trigger()  # Trade menu → Market buy
    qtbot.waitUntil(lambda: len(submitted(d)) == 2, timeout=5000)
    assert [r.source for r in submitted(d)] == [OrderSource.HOTKEY, OrderSource.MENU]

    w.halt_action.trigger()  # Trade menu → Halt trading
    press(qtbot, Qt.Key.Key_H, CTRL | SHIFT)  # the kill switch's hotkey
    w.risk_panel.kill_button.click()  # the Risk panel's HALT button
    w.resume_action.trigger()
    halts = [c for c in d.sent if isinstance(c, Halt | Resume)]
    assert [(type(c).__name__, c.source) for c in halts] == [
        ("Halt", OrderSource.MENU),
        ("Halt", OrderSource.HOTKEY),
        ("Halt", OrderSource.PANEL),
        ("Resume", OrderSource.MENU),
    ]
    press(qtbot, Qt.Key.Key_X, CTRL | SHIFT)  # flatten all, from the keyboard (always asks)
    flatten = [c for c in d.sent if isinstance(c, CancelAll | CloseAll)]
    assert flatten and {c.source for c in flatten} == {OrderSource.HOTKEY}
    qtbot.waitUntil(lambda: not d.positions(), timeout=5000)
