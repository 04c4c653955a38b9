"""Hostile tests: the event log's Source column, and Ctrl+Delete's close of an
instance's positions when its positions change while the question is open."""

from __future__ import annotations

from app.domain.commands import ClosePosition, Command
from app.domain.enums import OrderSource, Side
from app.domain.strategies import StopStrategy
from app.domain.trading import Position
from app.ui.desk.model import DeskModel
from app.ui.desk.orders import OrderDesk, Verdict
from tests.strategies.test_strategies import (  # noqa: F401 - the fixture resets Probe
    Desk,
    Probe,
    _no_actions,
)


def test_the_trader_s_close_of_a_strategy_s_position_is_logged_under_one_source() -> None:
    """The trader closes an instance's position from the Positions panel (or with
    Ctrl+Delete): the trader's own lines stay under engine. Instead its "sent" line is
    under engine and its "Closed: ... P&L" line under the instance, as if the strategy
    had closed it."""
    desk = Desk()
    desk.connect()
    Probe.actions = [lambda s, _b: s.buy(1.0) if not s.positions() else None]
    desk.attach()
    desk.minutes([1.1001])
    [position] = desk.core.positions()
    before = len(desk.market.out.logs)
    desk.core.handle(
        ClosePosition(position.ticket, client_id="trader-close-1", source=OrderSource.PANEL)
    )
    assert desk.core.positions() == ()
    mine = [e for e in desk.market.out.logs[before:] if e.client_id == "trader-close-1"]
    assert any(e.message.startswith("Closed: position") for e in mine)
    sources = {e.message.split(":")[0]: e.source for e in mine}
    assert set(sources.values()) == {"engine"}, sources


def _position(ticket: int, owner: int) -> Position:
    return Position(ticket, "EURUSD", Side.BUY, 0.1, 1.085, 1.0851, 1.0, 1, owner=owner)


def test_a_position_the_instance_opens_while_the_question_is_open_is_not_left_unsaid() -> None:
    """Ctrl+Delete on a running instance asks "Stop it and close these positions?". While
    the dialog is up the instance still runs (the stop goes only after the answer) and
    opens #9. The trader says yes: the stop and the close of #7 go, #9 stays open under
    the stopped instance, and the status bar says only "Sent: ...". Either #9 is closed
    too or the trader is told it was left open."""
    model = DeskModel()
    model.positions = (_position(7, 3),)
    sent: list[Command] = []

    def confirm(_title: str, _question: str) -> bool:
        model.positions = (_position(7, 3), _position(9, 3))  # a frame during the dialog
        return True

    desk = OrderDesk(model, sent.append, confirm=confirm, default_volume=0.1)
    outcome = desk.stop_and_close(
        StopStrategy("ma_cross#3", OrderSource.PANEL), [7], OrderSource.PANEL
    )
    closed = [c.ticket for c in sent if isinstance(c, ClosePosition)]
    left_open = [p.ticket for p in model.positions if p.owner == 3 and p.ticket not in closed]
    assert not left_open or (outcome.verdict is not Verdict.SENT or "#9" in outcome.message), (
        f"{outcome.message!r}; still open under the stopped instance: {left_open}"
    )
