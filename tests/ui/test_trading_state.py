"""What the risk gate will say is said before any dialog, and HALTED shows wherever a trader looks."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from app.domain.commands import SubmitOrder, new_client_id
from app.domain.enums import Side, TradingState
from app.domain.trading import OrderRequest
from tests.ui.trading_desk import (  # noqa: F401  (the desk fixture)
    Desk,
    desk_fixture,
    enter,
    type_command,
)


def orders_sent(d: Desk) -> list[SubmitOrder]:
    return [c for c in d.sent if isinstance(c, SubmitOrder)]


def halted(d: Desk) -> bool:
    return d.window.desk.state is TradingState.HALTED


def test_while_halted_an_order_is_refused_in_the_preview_and_no_dialog_asks(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    w = d.window
    w.halt_action.trigger()
    qtbot.waitUntil(lambda: halted(d), timeout=5000)
    # Everywhere a trader looks before trading: title, status bar, ticket.
    assert "HALTED" in w.windowTitle()
    assert "HALTED" in w.trading_state_label.text()
    assert not w.ticket.buy_button.isEnabled() and not w.ticket.sell_button.isEnabled()
    assert "HALTED" in w.ticket.buy_button.toolTip()
    assert "HALTED" in w.ticket.state_banner.text() and w.ticket.state_banner.isVisible()

    type_command(qtbot, d, "b 0.1")
    preview = w.ticket.preview.text()
    assert preview.startswith("Refused: ") and "HALTED" in preview
    enter(qtbot)
    qtbot.wait(300)
    assert d.confirmations == [] and orders_sent(d) == []
    assert "HALTED" in w.ticket.error.text()

    w.resume_action.trigger()
    qtbot.waitUntil(lambda: not halted(d), timeout=5000)
    assert "HALTED" not in w.windowTitle()
    assert "HALTED" not in w.trading_state_label.text()
    assert w.ticket.buy_button.isEnabled() and not w.ticket.state_banner.isVisible()
    for label in (w.ticket.preview, w.ticket.error, w.ticket.status):
        assert "HALTED" not in label.text()  # no stale red line after resuming


def test_an_order_over_a_limit_is_refused_in_the_preview_before_any_dialog(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    w = d.window
    qtbot.waitUntil(lambda: w.desk.risk is not None, timeout=5000)
    type_command(qtbot, d, "b 6")  # the desk's limit is 5 lots per order
    preview = w.ticket.preview.text()
    assert preview == "Refused: Max volume per order: 6 lots exceeds the limit of 5 lots for EURUSD"
    enter(qtbot)
    qtbot.wait(300)
    assert d.confirmations == [] and orders_sent(d) == []
    # Within the limit the same line previews and asks as usual.
    w.ticket.command.clear()
    type_command(qtbot, d, "b 4")  # 4 lots: within the volume and the notional limits
    assert w.ticket.preview.text().startswith("Enter sends: BUY 4.00 EURUSD")


def test_the_log_says_refused_for_an_order_the_gate_refused(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    """An order that never reached the broker is never logged as sent."""
    d = desk()
    w = d.window
    request = OrderRequest(new_client_id(), "EURUSD", Side.BUY, 6.0)  # over the 5-lot limit
    w.send(SubmitOrder(request))
    qtbot.waitUntil(
        lambda: any("refused" in m and "Max volume per order" in m for m in w.log_model.messages()),
        timeout=5000,
    )
    messages = w.log_model.messages()
    assert not any("buy 6 EURUSD" in m and "sent" in m for m in messages), messages
    assert d.broker.of("submit") == []
