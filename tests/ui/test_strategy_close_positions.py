"""Closing a strategy instance's positions from the Strategies panel (Ctrl+Delete).

The trader flattens what one instance holds and nothing else: the trader's own
position stays, a running instance is stopped first (in the same question, so it
cannot answer its closes with new orders), and the question lists exactly the
positions that are then closed. Driven on a real window with the paper broker.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.commands import ClosePosition, Command, SubmitOrder, new_client_id
from app.domain.enums import OrderSource, Side
from app.domain.strategies import StopStrategy
from app.domain.trading import MANUAL, OrderRequest, Position
from app.ui.desk.model import DeskModel
from app.ui.desk.orders import OrderDesk, Verdict
from tests.ui.conftest import Terminal
from tests.ui.strategy_desk import OWNER_PROBE, start_from_panel

NAME = "owner_probe#1"


def _owned(positions: tuple[Position, ...]) -> list[Position]:
    return [p for p in positions if p.owner != MANUAL]


def test_ctrl_delete_stops_the_instance_and_closes_only_its_positions(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    terminal = make_terminal(strategy_files=OWNER_PROBE)
    window = terminal.window
    window.send(SubmitOrder(OrderRequest(new_client_id(), "EURUSD", Side.BUY, 0.1)))
    start_from_panel(qtbot, window, "owner_probe")
    desk = window.desk
    qtbot.waitUntil(
        lambda: len(desk.positions) == 2 and bool(_owned(desk.positions)), timeout=20_000
    )
    qtbot.waitUntil(lambda: any(o.owner != MANUAL for o in desk.orders), timeout=20_000)
    mine = _owned(desk.positions)[0]
    manual = next(p for p in desk.positions if p.owner == MANUAL)

    window.show_panel("strategies")
    panel = window.strategies
    panel.select(NAME)
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus, timeout=5_000)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)

    assert terminal.confirmations, "a strategy's positions are never closed without asking"
    question = terminal.confirmations[-1]
    assert f"Stop {NAME}" in question
    assert f"Only {NAME}'s positions" in question and "yours and others' stay open" in question
    assert f"#{mine.ticket}" in question and f"#{manual.ticket}" not in question
    qtbot.waitUntil(lambda: [p.ticket for p in desk.positions] == [manual.ticket], timeout=20_000)
    row = panel.model.row_of(NAME)
    assert row is not None
    qtbot.waitUntil(lambda: panel.model.status_at(row).state.value == "stopped", timeout=10_000)
    # Stopping cancelled the instance's resting order; nothing of it is left.
    qtbot.waitUntil(lambda: all(o.owner == MANUAL for o in desk.orders), timeout=10_000)
    # The close is one of its trades, though it came after the stop, and its lines say so.
    qtbot.waitUntil(lambda: panel.model.status_at(row).trades == 1, timeout=10_000)
    shown = panel.model.status_at(row).last_log
    assert any(" closed BUY 0.1 EURUSD" in line for line in shown), shown
    # The event log's stop line says its positions are closed next, not that they stay.
    stop_line = next(m for m in window.log_model.messages() if f"Strategy {NAME} stopped" in m)
    assert "its positions are closed next" in stop_line, stop_line


def _desk_with(positions: tuple[Position, ...], answer: bool) -> tuple[OrderDesk, list[Command]]:
    model = DeskModel()
    model.positions = positions
    sent: list[Command] = []
    desk = OrderDesk(model, sent.append, confirm=lambda _t, _q: answer, default_volume=0.1)
    return desk, sent


def _position(ticket: int, owner: int) -> Position:
    return Position(ticket, "EURUSD", Side.BUY, 0.1, 1.085, 1.0851, 1.0, 1, owner=owner)


def test_saying_no_sends_nothing_not_even_the_stop() -> None:
    desk, sent = _desk_with((_position(7, 3),), answer=False)
    outcome = desk.stop_and_close(
        StopStrategy("ma_cross#3", OrderSource.PANEL), [7], OrderSource.PANEL
    )
    assert outcome.verdict is Verdict.DECLINED and sent == []


def test_yes_sends_the_stop_first_then_exactly_the_closes_listed() -> None:
    desk, sent = _desk_with((_position(7, 3), _position(8, 3)), answer=True)
    stop = StopStrategy("ma_cross#3", OrderSource.PANEL)
    outcome = desk.stop_and_close(stop, [7, 8], OrderSource.PANEL)
    assert outcome.verdict is Verdict.SENT
    assert outcome.message == "Sent: stop ma_cross#3, then close #7, #8 at market"
    assert sent[0] == stop
    assert [c.ticket for c in sent[1:] if isinstance(c, ClosePosition)] == [7, 8]
    assert len(sent) == 3


def test_a_position_gone_before_the_question_is_refused_in_words_and_nothing_is_sent() -> None:
    desk, sent = _desk_with((_position(7, 3),), answer=True)
    outcome = desk.stop_and_close(None, [7, 99], OrderSource.PANEL)
    assert outcome.verdict is Verdict.REFUSED and "99" in outcome.message
    assert sent == []


def test_a_position_it_opened_while_the_trader_was_asked_is_named_not_closed() -> None:
    model = DeskModel()
    model.positions = (_position(7, 3),)
    sent: list[Command] = []

    def yes_after_a_new_fill(_title: str, _question: str) -> bool:
        model.positions = (_position(7, 3), _position(9, 3))  # it bought again meanwhile
        return True

    desk = OrderDesk(model, sent.append, confirm=yes_after_a_new_fill, default_volume=0.1)
    outcome = desk.stop_and_close(None, [7], OrderSource.PANEL)
    assert [c.ticket for c in sent if isinstance(c, ClosePosition)] == [7]
    assert outcome.message == (
        "Sent: close #7 at market; #9 opened while you were asked, still open (Ctrl+Delete again)"
    )
