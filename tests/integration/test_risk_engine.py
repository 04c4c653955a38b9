"""The risk gate inside the real engine thread, with the paper broker.

Losing money deterministically: every round trip pays the spread, so opening and
closing positions with a tiny daily loss limit walks the account into it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from pytestqt.qtbot import QtBot

from app.brokers.base import BrokerEvents
from app.brokers.sim.broker import SimBroker
from app.domain.commands import (
    CloseAll,
    ClosePosition,
    Halt,
    Resume,
    SubmitOrder,
    UpdateRiskLimits,
    new_client_id,
)
from app.domain.enums import OrderSource, OrderStatus, Side, TradingState
from app.domain.market import Tick
from app.domain.risk_facts import RiskBreach, RiskWarning, TradingStateChanged
from app.domain.risk_limits import RiskLimits, RiskRule
from app.domain.trading import OrderRequest
from app.engine.bus import EventBus
from app.engine.thread import Engine
from tests.integration.conftest import Recorder, RunningEngine, start_recorded

LIMITS = RiskLimits(max_daily_loss=12.0, warning_fraction=0.5)


class RiskRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.risk: list[object] = []

    def state(self) -> TradingState | None:
        for frame in reversed(self.frames):
            if frame.risk is not None:
                return frame.risk.state
        return None


@pytest.fixture
def risky_engine(qtbot: QtBot) -> Iterator[RunningEngine]:
    bus = EventBus()
    engine = Engine(
        bus,
        lambda: SimBroker(seed=3, ticks_per_second=40, history_bars=200),
        risk_limits=LIMITS,
    )
    seen = RiskRecorder()
    bus.risk.connect(seen.risk.append)
    running = start_recorded(qtbot, bus, engine, seen)
    qtbot.waitUntil(lambda: seen.state() is TradingState.ACTIVE, timeout=5000)
    yield running
    assert running.host.stop(), "engine thread did not stop"


def _buy(volume: float = 0.5, symbol: str = "EURUSD") -> OrderRequest:
    return OrderRequest(new_client_id(), symbol, Side.BUY, volume)


def _final(seen: Recorder, client_id: str) -> OrderStatus | None:
    for update in reversed(seen.orders):
        if update.client_id == client_id and update.status.is_final:
            return update.status
    return None


def position_of(qtbot: QtBot, seen: RiskRecorder, client_id: str) -> int:
    """The position an order's fill opened; the fill is its own event, after the FILLED status."""
    qtbot.waitUntil(lambda: any(f.client_id == client_id for f in seen.fills), timeout=5000)
    return next(f.position_ticket for f in seen.fills if f.client_id == client_id)


def lose_round_trips(
    qtbot: QtBot, bus: EventBus, seen: RiskRecorder, most: int, pause_ms: int = 0
) -> None:
    """Buy 0.5 lots and close at once, up to ``most`` times, until the gate halts or refuses."""
    for _ in range(most):
        if seen.state() is TradingState.HALTED:
            return
        trade = _buy(0.5)
        bus.command.emit(SubmitOrder(trade))
        qtbot.waitUntil(lambda t=trade: _final(seen, t.client_id) is not None, timeout=5000)
        if _final(seen, trade.client_id) is not OrderStatus.FILLED:
            return  # refused: the gate already stopped it
        ticket = position_of(qtbot, seen, trade.client_id)
        close_id = new_client_id()
        bus.command.emit(ClosePosition(ticket, client_id=close_id))
        qtbot.waitUntil(lambda c=close_id: _final(seen, c) is not None, timeout=5000)
        if pause_ms:
            qtbot.wait(pause_ms)


def test_a_losing_streak_halts_trading_and_only_closes_pass(
    qtbot: QtBot, risky_engine: RunningEngine
) -> None:
    bus, seen = risky_engine.bus, risky_engine.seen
    assert isinstance(seen, RiskRecorder)
    keep = _buy(0.2)
    bus.command.emit(SubmitOrder(keep))
    qtbot.waitUntil(lambda: _final(seen, keep.client_id) is OrderStatus.FILLED, timeout=5000)
    kept = position_of(qtbot, seen, keep.client_id)

    lose_round_trips(qtbot, bus, seen, 20, pause_ms=60)  # each pays the spread (~4 USD)
    qtbot.waitUntil(lambda: seen.state() is TradingState.HALTED, timeout=5000)

    assert sum(f.closes_position for f in seen.fills) >= 2  # a streak, not one bad trade
    assert any(isinstance(f, RiskWarning) for f in seen.risk)  # warned at half the limit
    breach = next(f for f in seen.risk if isinstance(f, RiskBreach) and f.halted)
    assert breach.rule is RiskRule.DAILY_LOSS
    assert "reached the limit of 12.00" in breach.message
    change = next(f for f in seen.risk if isinstance(f, TradingStateChanged))
    assert (change.new, change.source) == (TradingState.HALTED, OrderSource.SYSTEM)

    refused = _buy(0.01)
    bus.command.emit(SubmitOrder(refused))
    qtbot.waitUntil(lambda: _final(seen, refused.client_id) is not None, timeout=5000)
    update = next(
        u
        for u in seen.orders
        if u.client_id == refused.client_id and u.status is OrderStatus.REJECTED
    )
    assert update.reason.startswith("Trading is HALTED (Max daily loss: loss today ")
    assert not any(f.client_id == refused.client_id for f in seen.fills)

    close_id = new_client_id()
    bus.command.emit(ClosePosition(kept, client_id=close_id))  # closes still pass
    qtbot.waitUntil(lambda: _final(seen, close_id) is OrderStatus.FILLED, timeout=5000)
    qtbot.waitUntil(lambda: seen.latest_positions() == (), timeout=5000)


def test_kill_switch_flatten_and_explicit_resume(qtbot: QtBot, risky_engine: RunningEngine) -> None:
    bus, seen = risky_engine.bus, risky_engine.seen
    assert isinstance(seen, RiskRecorder)
    bus.command.emit(UpdateRiskLimits(replace(LIMITS, max_daily_loss=0), OrderSource.TICKET))
    orders = [_buy(0.1), _buy(0.1, "GBPUSD")]
    for request in orders:
        bus.command.emit(SubmitOrder(request))
    qtbot.waitUntil(lambda: len(seen.latest_positions()) == 2, timeout=5000)

    bus.command.emit(Halt("kill switch", flatten=True, source=OrderSource.TELEGRAM))
    qtbot.waitUntil(lambda: seen.latest_positions() == (), timeout=5000)
    assert seen.state() is TradingState.HALTED
    change = next(f for f in seen.risk if isinstance(f, TradingStateChanged))
    assert change.source is OrderSource.TELEGRAM and change.reason == "kill switch"

    # Loosening while HALTED is refused in words; tightening is fine and audited.
    bus.command.emit(UpdateRiskLimits(replace(LIMITS, max_daily_loss=0, max_order_volume=50)))
    bus.command.emit(UpdateRiskLimits(replace(LIMITS, max_daily_loss=0, max_order_volume=2)))
    qtbot.waitUntil(
        lambda: any("max_order_volume: 5 → 2" in e.message for e in seen.logs), timeout=5000
    )
    messages = [e.message for e in seen.logs if e.source == "risk"]
    assert any(
        "not changed: trading is HALTED, and this would loosen max_order_volume" in m
        for m in messages
    )
    assert any("max_order_volume: 5 → 2" in m for m in messages)

    bus.command.emit(Resume(OrderSource.TICKET))
    qtbot.waitUntil(lambda: seen.state() is TradingState.ACTIVE, timeout=5000)
    big = _buy(3.0)
    bus.command.emit(SubmitOrder(big))
    qtbot.waitUntil(lambda: _final(seen, big.client_id) is OrderStatus.REJECTED, timeout=5000)
    breach = next(f for f in seen.risk if isinstance(f, RiskBreach) and f.client_id)
    assert breach.message == "Max volume per order: 3 lots exceeds the limit of 2 lots for EURUSD"
    bus.command.emit(CloseAll(None, OrderSource.TICKET))  # nothing open: says so, no error
    qtbot.waitUntil(lambda: any("no open positions" in e.message for e in seen.logs), timeout=5000)


# -- quotes that cannot be trusted ---------------------------------------------------


class TamperedFeed(SimBroker):
    """The paper broker, but from a moment on the engine sees ``replacement`` for EURUSD.

    The broker keeps its own good prices, as a real one would while its feed to us
    is broken; every EURUSD tick the engine gets is the replacement (``once``:
    only the first, then none).
    """

    replacement: Tick | None = None
    once = False
    _sent = False

    def poll(self) -> BrokerEvents:
        events = super().poll()
        bad = self.replacement
        if bad is not None:
            events.ticks = [t for t in events.ticks if t.symbol != bad.symbol]
            if not (self.once and self._sent):
                events.ticks.append(bad)
                self._sent = True
        return events


def _tampered_engine(qtbot: QtBot, limits: RiskLimits) -> tuple[RunningEngine, TamperedFeed]:
    feed = TamperedFeed(seed=3, ticks_per_second=40, history_bars=200)
    bus = EventBus()
    running = start_recorded(qtbot, bus, Engine(bus, lambda: feed, risk_limits=limits))
    return running, feed


def _refused(qtbot: QtBot, running: RunningEngine, request: OrderRequest) -> str:
    running.bus.command.emit(SubmitOrder(request))
    qtbot.waitUntil(lambda: _final(running.seen, request.client_id) is not None, timeout=5000)
    assert _final(running.seen, request.client_id) is OrderStatus.REJECTED
    return next(
        u.reason
        for u in running.seen.orders
        if u.client_id == request.client_id and u.status is OrderStatus.REJECTED
    )


@pytest.mark.parametrize("bid", [math.nan, 0.0, -1.0])
def test_a_quote_that_is_not_a_price_never_opens_a_way_around_the_notional_limit(
    qtbot: QtBot, bid: float
) -> None:
    running, feed = _tampered_engine(qtbot, RiskLimits(max_order_notional=200_000))
    try:
        assert "Max notional per order" in _refused(qtbot, running, _buy(3.0))  # ~325,000 USD
        feed.replacement = Tick("EURUSD", int(time.time() * 1000), bid, bid)
        qtbot.wait(300)  # several polls: the tampered quote has reached the engine
        _refused(qtbot, running, _buy(3.0))  # still refused, whatever the reason says
        assert not any(f.client_id for f in running.seen.fills)
    finally:
        assert running.host.stop()


def test_a_tick_from_a_year_ahead_leaves_no_market_order_without_a_fresh_quote(
    qtbot: QtBot,
) -> None:
    running, feed = _tampered_engine(qtbot, RiskLimits(stale_quote_seconds=1.0))
    try:
        year_ahead = time.time() + 365 * 24 * 3600
        feed.once = True
        feed.replacement = Tick("EURUSD", int(year_ahead * 1000), 1.08, 1.08002)
        qtbot.wait(1500)  # no EURUSD tick since: the quote is stale by now, whatever its stamp
        reason = _refused(qtbot, running, _buy(0.1))
        assert "Quote check" in reason or "Stale quote guard" in reason
        assert not any(f.client_id for f in running.seen.fills)
    finally:
        assert running.host.stop()
