"""A strategy's rate counts everything it sends, and once it floods nothing more of it passes."""

from __future__ import annotations

from typing import Any

from app.domain.commands import ClosePosition, ModifyPosition
from app.domain.enums import OrderSource
from app.domain.strategies import StrategyBudget, StrategyState
from tests.strategies.test_strategies import Desk, Probe, _no_actions, lines, state

__all__ = ["_no_actions"]


def _count_calls(desk: Desk, method: str) -> list[Any]:
    calls: list[Any] = []
    real = getattr(desk.market.broker, method)

    def spy(*a: Any, **k: Any) -> Any:
        calls.append(a)
        return real(*a, **k)

    setattr(desk.market.broker, method, spy)
    return calls


def _two_bars_of(desk: Desk, action: Any, **budget: float) -> str:
    """Attach the probe doing ``action`` on each bar under ``budget`` (5 commands a
    minute unless told), run two one-minute bars; the instance's name."""
    Probe.actions = [action]
    name = desk.attach(budget=StrategyBudget(**{"max_orders_per_minute": 5, **budget}))
    desk.minutes([1.1001, 1.1002])
    return name


def test_a_modify_flood_in_one_bar_stops_at_the_limit() -> None:
    """200 modifies in one on_bar under a limit of 5 a minute: the 6th halts it, and the
    194 queued behind it are refused, not sent to the broker."""
    desk = Desk()
    desk.connect()
    calls = _count_calls(desk, "modify_position")

    def fiddle(s: Any, bar: Any) -> None:
        if not s.positions():
            s.buy(0.1)
            return
        [mine] = s.positions()
        for i in range(200):
            s.modify(mine.ticket, sl=round(bar.close - 0.0050 - (i % 50) * 0.0001, 5), tp=None)

    name = _two_bars_of(desk, fiddle)
    assert state(desk.market, name) is StrategyState.HALTED
    assert len(calls) <= 6, f"{len(calls)} modifies reached the broker with a limit of 5/min"


def test_a_partial_close_flood_stops_at_the_limit() -> None:
    desk = Desk()
    desk.connect()
    calls = _count_calls(desk, "close_position")

    def chop(s: Any, bar: Any) -> None:
        if not s.positions():
            s.buy(2.0)
            return
        [mine] = s.positions()
        for _ in range(100):
            s._ctx().send(ClosePosition(mine.ticket, volume=0.01))

    name = _two_bars_of(desk, chop, max_order_volume=10, max_net_position=10)
    assert state(desk.market, name) is StrategyState.HALTED
    assert len(calls) <= 6, f"{len(calls)} closes reached the broker with a limit of 5/min"


def test_commands_on_tickets_that_do_not_exist_count() -> None:
    """Cancels, closes and modifies of tickets that do not exist are sent too: they count."""
    desk = Desk()
    desk.connect()

    def spam(s: Any, _bar: Any) -> None:
        for t in range(50):
            s.cancel(999_000 + t)
            s.close(888_000 + t)
            s.modify(777_000 + t, sl=None, tp=None)

    n0 = len(lines(desk.market))
    name = _two_bars_of(desk, spam)
    n = len(lines(desk.market)) - n0
    assert state(desk.market, name) is StrategyState.HALTED, (
        f"300 commands a minute with a limit of 5: still {state(desk.market, name)}, {n} log lines"
    )


def test_commands_the_seam_refuses_count() -> None:
    """A command the seam refuses (a volume given as text) was still sent: it counts."""
    desk = Desk()
    desk.connect()
    name = _two_bars_of(desk, lambda s, _b: [s.buy("0.1") for _ in range(50)])
    assert state(desk.market, name) is StrategyState.HALTED, state(desk.market, name)


def test_orders_under_a_reused_client_id_count() -> None:
    from app.domain.commands import SubmitOrder
    from app.domain.enums import Side
    from app.domain.trading import OrderRequest

    desk = Desk()
    desk.connect()

    def again(s: Any, _b: Any) -> None:
        for _ in range(50):
            s._ctx().send(SubmitOrder(OrderRequest("same-id", "EURUSD", Side.BUY, 0.0)))

    name = _two_bars_of(desk, again)
    assert state(desk.market, name) is StrategyState.HALTED, state(desk.market, name)


def test_the_trader_closing_a_strategys_position_is_not_its_rate() -> None:
    desk = Desk()
    desk.connect()

    def open_many(s: Any, _b: Any) -> None:
        if not s.state.get("done"):
            s.state["done"] = True
            for _ in range(3):
                s.buy(0.1)

    Probe.actions = [open_many]
    name = desk.attach(budget=StrategyBudget(max_orders_per_minute=3, max_open_positions=5))
    desk.minutes([1.1001, 1.1002])
    assert len(desk.core.positions()) == 3
    for p in list(desk.core.positions()):
        desk.core.handle(ClosePosition(p.ticket, volume=0.05))  # MANUAL
        desk.core.handle(ModifyPosition(p.ticket, sl=1.09, tp=None))
    assert state(desk.market, name) is StrategyState.RUNNING


def test_commands_from_other_sources_are_not_the_strategys_rate() -> None:
    """A SYSTEM/ALERT/TELEGRAM command on a strategy's position must not count to its rate."""
    desk = Desk()
    desk.connect()

    def open_many(s: Any, _b: Any) -> None:
        if not s.state.get("done"):
            s.state["done"] = True
            for _ in range(3):
                s.buy(0.1)

    Probe.actions = [open_many]
    name = desk.attach(budget=StrategyBudget(max_orders_per_minute=3, max_open_positions=5))
    desk.minutes([1.1001, 1.1002])
    for src in OrderSource:
        if src is OrderSource.STRATEGY:
            continue
        for p in list(desk.core.positions()):
            desk.core.handle(ModifyPosition(p.ticket, sl=1.09, tp=None, source=src))
    assert state(desk.market, name) is StrategyState.RUNNING


def test_a_close_of_a_ticket_that_is_another_owners_by_the_time_it_runs_is_refused() -> None:
    """B sends closes for tickets that do not exist yet (guessed); A's order, queued
    before them in the same turn, gets one of those tickets: B must not close it."""
    desk = Desk()
    desk.connect()

    def act(s: Any, _bar: Any) -> None:
        if s.state.get("done"):
            return
        s.state["done"] = True
        if s.params.volume == 0.2:  # A
            s.buy(0.2)
        else:  # B
            for ticket in range(1000, 1100):
                s._ctx().send(ClosePosition(ticket))

    Probe.actions = [act]
    desk.attach(params={"volume": 0.2})
    desk.attach(budget=StrategyBudget(max_orders_per_minute=0))
    desk.minutes([1.1001, 1.1002])
    [position] = desk.core.positions()
    assert position.owner == 1 and position.volume == 0.2, "B closed A's position"
    assert any(
        "not its own: that position or order belongs to another owner" in m
        for m in lines(desk.market)
    )
