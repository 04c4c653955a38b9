"""Every broker outcome told truly: what the trader sees, the journal keeps and the broker did agree.

The core runs over the MetaTrader 5 adapter and the fake terminal (whose market
stands still and whose clock is ours), or over the replay broker, with a real
SQLite journal; faults are injected exactly where the real terminal fails.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.brokers.base import ExecutionReport
from app.brokers.mt5.broker import Mt5Broker
from app.brokers.sim.replay import ReplayBroker
from app.domain.commands import (
    CancelOrder,
    CloseBy,
    ClosePosition,
    ModifyPosition,
    ReversePosition,
    SubmitOrder,
)
from app.domain.enums import LogLevel, OrderStatus, OrderType, Side
from app.domain.market import Tick
from app.domain.risk_limits import RiskLimits
from app.domain.trading import OrderRequest
from app.engine.core import TradingCore
from app.engine.reconnect import ReconnectPolicy, ReconnectSchedule
from app.settings import Mt5Settings
from app.storage.journal import Journal
from tests.fakes import metatrader5 as mt5
from tests.published import Published

START = 1_700_000_000.25


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Mt5Desk:
    """A core over Mt5Broker and the fake terminal, with a journal and our clocks."""

    def __init__(self, tmp_path: Path) -> None:
        self.clock = Clock()
        self.monotonic = Clock(1000.0)
        mt5.control.reset(clock=self.clock, ticks_per_second=0, history_bars=50)
        self.journal = Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite'}")
        self.out = Published()
        self.core = TradingCore(
            lambda: Mt5Broker(mt5, Mt5Settings(), ["EURUSD"], clock=self.clock),
            self.out,
            journal=self.journal,
            clock=self.clock,
            monotonic=self.monotonic,
        )
        self.core.reconnect = ReconnectSchedule(
            ReconnectPolicy(0.0, 0.0, jitter=0.0), clock=self.monotonic
        )
        assert self.core.connect()

    def statuses(self, client_id: str) -> list[OrderStatus]:
        return [u.status for u in self.out.orders if u.client_id == client_id]

    def last(self, client_id: str) -> Any:
        return [u for u in self.out.orders if u.client_id == client_id][-1]

    def later(self, seconds: float = 2.0) -> None:
        """Time passes and the engine polls (twice: lose the link, then reconnect)."""
        for _ in range(3):
            self.clock.now += seconds / 3
            self.monotonic.now += seconds / 3
            self.core.poll()

    def journaled(self, client_id: str) -> OrderStatus | None:
        order = self.journal.order(client_id)
        return order.status if order is not None else None

    def sends(self) -> int:
        return sum(1 for name, _, _ in mt5.control.calls if name == "order_send")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Mt5Desk]:
    d = Mt5Desk(tmp_path)
    yield d
    d.journal.close()
    mt5.control.reset()


def _buy(desk: Mt5Desk, client_id: str, **kw: Any) -> None:
    desk.core.handle(SubmitOrder(OrderRequest(client_id, "EURUSD", Side.BUY, 0.1, **kw)))


def test_done_then_the_deal_lookup_fails_is_filled_never_rejected(desk: Mt5Desk) -> None:
    mt5.control.drop_after_next_reply()  # DONE arrives, then the terminal is gone
    _buy(desk, "done-1")
    assert desk.statuses("done-1") == [OrderStatus.PENDING_NEW, OrderStatus.FILLED]
    assert desk.journaled("done-1") is OrderStatus.FILLED
    assert "deal's details will follow" in desk.last("done-1").reason
    assert not any(m.startswith("Rejected") for m in desk.out.messages())
    mt5.control.reconnect()
    desk.later()
    fills = [f for f in desk.out.fills if f.client_id == "done-1"]
    assert len(fills) == 1 and fills[0].volume == pytest.approx(0.1)
    assert [d.client_id for d in desk.journal.deals()] == ["done-1"]
    assert len(desk.core.positions()) == 1 and desk.sends() == 1


def test_an_adapter_that_raises_after_executing_is_unknown_everywhere_then_settled(
    desk: Mt5Desk,
) -> None:
    mt5.control.raise_after_next_send(RuntimeError("wrapper crashed"))
    _buy(desk, "boom-1")
    assert desk.statuses("boom-1") == [OrderStatus.PENDING_NEW, OrderStatus.UNKNOWN]
    assert desk.journaled("boom-1") is OrderStatus.UNKNOWN
    assert any("Outcome unknown" in m and "may have executed" in m for m in desk.out.messages())
    assert desk.core.gate.state.value == "active"  # not an engine failure: trading goes on
    desk.later()  # the same session looks it up once the link allows
    assert desk.statuses("boom-1")[-1] is OrderStatus.FILLED
    assert desk.journaled("boom-1") is OrderStatus.FILLED
    assert any("Checked with the broker: the order was filled" in m for m in desk.out.messages())
    assert desk.sends() == 1  # never sent twice


def test_a_lost_reply_to_a_cancel_that_executed_is_checked_then_told_truly(
    desk: Mt5Desk,
) -> None:
    _buy(desk, "lim-1", order_type=OrderType.LIMIT, price=1.08)
    [order] = desk.core.working_orders()
    mt5.control.lose_next_reply(then_disconnect=True)
    desk.core.handle(CancelOrder(order.ticket, client_id="cxl-1"))
    assert desk.statuses("cxl-1") == [OrderStatus.PENDING_NEW, OrderStatus.UNKNOWN]
    said = " ".join(desk.out.messages())
    assert "No reply from the terminal" in said and "so it was not executed" not in said
    mt5.control.reconnect()
    desk.later()
    assert desk.statuses("cxl-1")[-1] is OrderStatus.DONE
    assert not desk.core.working_orders()
    assert any("the order was cancelled" in m for m in desk.out.messages())


def test_a_lost_reply_to_an_sl_tp_modify_is_checked_both_ways(desk: Mt5Desk) -> None:
    _buy(desk, "pos-1")
    [position] = desk.core.positions()
    mt5.control.lose_next_reply(then_disconnect=True)  # executed, reply lost
    desk.core.handle(ModifyPosition(position.ticket, 1.05, None, client_id="mod-1"))
    assert desk.statuses("mod-1")[-1] is OrderStatus.UNKNOWN
    mt5.control.reconnect()
    desk.later()
    assert desk.statuses("mod-1")[-1] is OrderStatus.DONE
    assert desk.core.positions()[0].sl == pytest.approx(1.05)

    mt5.control.fail_next("order_send", -10005)  # this time it never reached the server
    desk.core.handle(ModifyPosition(position.ticket, 1.06, None, client_id="mod-2"))
    assert desk.statuses("mod-2")[-1] is OrderStatus.UNKNOWN
    mt5.control.reconnect()
    desk.later()
    final = desk.last("mod-2")
    assert final.status is OrderStatus.REJECTED and "old levels" in final.reason
    assert desk.core.positions()[0].sl == pytest.approx(1.05)


def test_while_the_link_is_down_every_order_command_gets_its_rejected_event(
    desk: Mt5Desk,
) -> None:
    _buy(desk, "a")
    _buy(desk, "b")
    _buy(desk, "lim", order_type=OrderType.LIMIT, price=1.08)
    first, second = desk.core.positions()
    [order] = desk.core.working_orders()
    mt5.control.disconnect()
    desk.core.poll()
    assert desk.core.link_problem() is not None
    commands = [
        SubmitOrder(OrderRequest("new", "EURUSD", Side.BUY, 0.1)),
        ClosePosition(first.ticket, client_id="close"),
        CancelOrder(order.ticket, client_id="cancel"),
        ModifyPosition(first.ticket, 1.0, None, client_id="modify"),
        ReversePosition(first.ticket, client_id="reverse"),
        CloseBy(first.ticket, second.ticket, client_id="closeby"),
    ]
    sent_before = desk.sends()
    for command in commands:
        desk.core.handle(command)
    for client_id in ("new", "close", "cancel", "modify", "reverse", "closeby"):
        final = desk.last(client_id)
        assert final.status is OrderStatus.REJECTED, client_id
        assert final.reason.startswith("Not connected to the broker"), client_id
    assert desk.sends() == sent_before


def test_an_unexpected_error_in_a_modify_is_an_outcome_not_an_engine_failure(
    desk: Mt5Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _buy(desk, "pos")
    [position] = desk.core.positions()
    broker = desk.core.broker
    assert broker is not None

    def broken(*_args: Any) -> ExecutionReport:
        raise IndexError("adapter bug")

    monkeypatch.setattr(broker, "modify_position", broken)
    desk.core.handle(ModifyPosition(position.ticket, 1.05, None, client_id="m"))  # no raise
    assert desk.statuses("m")[-1] is OrderStatus.UNKNOWN
    monkeypatch.undo()
    desk.later()
    final = desk.last("m")
    assert final.status is OrderStatus.REJECTED and "old levels" in final.reason


# -- a fill that the record missed -------------------------------------------------------


def _replay(tmp_path: Path, clock: Clock) -> ReplayBroker:
    return ReplayBroker(symbols=["EURUSD"], clock=clock, state_path=tmp_path / "paper.json")


def _quote(bid: float, at: float) -> Tick:
    return Tick("EURUSD", int(at * 1000), bid, round(bid + 0.0001, 5))


def test_an_sl_close_the_journal_missed_is_recorded_at_the_next_start(tmp_path: Path) -> None:
    clock = Clock()
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    journal = Journal.open(url)
    broker = _replay(tmp_path, clock)
    broker.feed([_quote(1.1000, clock.now)])
    core = TradingCore(lambda: broker, Published(), journal=journal, clock=clock)
    assert core.connect()
    core.poll()
    core.handle(SubmitOrder(OrderRequest("sl-1", "EURUSD", Side.BUY, 0.1, sl=1.0990)))
    # The broker closes the position at its stop and saves it; the app dies before
    # the engine's poll can journal the deal.
    clock.now += 30
    broker.feed([_quote(1.0985, clock.now)])
    broker.poll()
    journal.close()

    journal = Journal.open(url)
    out = Published()
    again = TradingCore(lambda: _replay(tmp_path, clock), out, journal=journal, clock=clock)
    assert again.connect()
    deals = journal.deals()
    assert [d.closes_position for d in deals] == [False, True]
    closing = deals[-1]
    assert closing.reason == "stop loss" and closing.price == pytest.approx(1.0985)
    assert closing.time_msc == int((START + 30) * 1000) and closing.client_id == "sl-1"
    told = [e for e in out.logs if "Recovered deal" in e.message]
    assert len(told) == 1 and told[0].level is LogLevel.WARNING
    assert "stop loss" in told[0].message and "1.0985" in told[0].message
    journal.close()

    journal = Journal.open(url)  # a third start finds nothing more to add
    third = Published()
    assert TradingCore(lambda: _replay(tmp_path, clock), third, journal=journal).connect()
    assert len(journal.deals()) == 2 and not any("Recovered deal" in m for m in third.messages())
    journal.close()


# -- bad quotes at the door ---------------------------------------------------------------


def test_bad_quotes_are_refused_at_the_door_and_never_open_a_way_around_the_gate() -> None:
    clock = Clock()
    broker = ReplayBroker(symbols=["EURUSD"], clock=clock)
    broker.feed([_quote(1.1000, clock.now)])
    out = Published()
    core = TradingCore(
        lambda: broker, out, clock=clock, risk_limits=RiskLimits(max_order_notional=250_000)
    )
    assert core.connect()
    core.poll()
    big = OrderRequest("big-1", "EURUSD", Side.BUY, 3.0)  # 330,000 USD notional
    core.handle(SubmitOrder(big))
    assert out.orders[-1].status is OrderStatus.REJECTED
    bad = [
        Tick("EURUSD", int(clock.now * 1000) + 1, math.nan, 1.1),
        Tick("EURUSD", int(clock.now * 1000) + 2, 0.0, 0.0),
        Tick("EURUSD", int(clock.now * 1000) + 3, -1.0, 1.1),
        Tick("EURUSD", int(clock.now * 1000) + 4, 1.2, 1.1),  # bid above ask
        Tick("EURUSD", int(clock.now * 1000) + 5, 1.1, math.inf),
    ]
    broker.feed(bad)
    assert core.poll() == 0
    assert core.bad_quotes == 5
    quote = core.quote("EURUSD")
    assert quote is not None and quote.bid == 1.1  # the last good quote stands
    said = [e.message for e in out.logs if "bad quote" in e.message]
    assert len(said) == 1 and said[0].startswith("Refused 5 bad quote(s)")
    core.handle(SubmitOrder(OrderRequest("big-2", "EURUSD", Side.BUY, 3.0)))
    final = out.orders[-1]
    assert final.client_id == "big-2" and final.status is OrderStatus.REJECTED
    assert "notional" in final.reason.lower()
