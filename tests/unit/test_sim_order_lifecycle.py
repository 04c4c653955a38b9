"""The paper broker's order lifecycle: stop-limit, expiry, partial fills and close-by."""

from __future__ import annotations

import pytest

from app.brokers.base import BrokerEvents
from app.brokers.sim.broker import SimBroker
from app.domain.enums import OrderStatus, OrderType, Side, TimeInForce
from app.domain.trading import OrderRequest
from tests.unit.test_sim_broker import FakeClock, latest_quote


def broker_at(clock: FakeClock, **options: object) -> SimBroker:
    broker = SimBroker(symbols=["EURUSD"], seed=3, clock=clock, history_bars=50, **options)  # type: ignore[arg-type]
    broker.connect()
    return broker


def run_until(broker: SimBroker, clock: FakeClock, done, step: float = 5.0, limit: int = 20_000):  # type: ignore[no-untyped-def]
    seen = BrokerEvents()
    for _ in range(limit):
        clock.advance(step)
        events = broker.poll()
        seen.ticks.extend(events.ticks)
        seen.fills.extend(events.fills)
        seen.order_updates.extend(events.order_updates)
        if done(seen):
            return seen
    raise AssertionError("the market never got there")


def test_buy_stop_limit_places_a_limit_at_the_stop_and_fills_at_the_limit_price() -> None:
    clock = FakeClock()
    broker = broker_at(clock)
    q = latest_quote(broker, clock, "EURUSD")
    stop, limit = round(q.ask + 0.00015, 5), round(q.ask + 0.00010, 5)
    report = broker.submit(
        OrderRequest("sl-1", "EURUSD", Side.BUY, 0.1, OrderType.STOP_LIMIT, stop, limit)
    )
    assert report.status is OrderStatus.WORKING
    (order,) = broker.working_orders()
    assert (order.order_type, order.price, order.stop_limit) == (OrderType.STOP_LIMIT, stop, limit)

    seen = run_until(broker, clock, lambda s: s.fills)
    statuses = [(u.client_id, u.status) for u in seen.order_updates]
    assert statuses == [("sl-1", OrderStatus.WORKING), ("sl-1", OrderStatus.FILLED)]
    assert "limit order placed at" in seen.order_updates[0].reason
    (fill,) = seen.fills
    assert (fill.client_id, fill.price, fill.side) == ("sl-1", limit, Side.BUY)
    trigger_tick = next(t for t in seen.ticks if t.ask >= stop)
    assert any(t.ask <= limit for t in seen.ticks if t.time_msc >= trigger_tick.time_msc)


def test_day_order_expires_at_the_end_of_its_utc_day() -> None:
    clock = FakeClock()  # 22:13 UTC
    broker = broker_at(clock)
    q = latest_quote(broker, clock, "EURUSD")
    far = round(q.bid - 0.0500, 5)
    broker.submit(
        OrderRequest(
            "day-1", "EURUSD", Side.BUY, 0.1, OrderType.LIMIT, far,
            time_in_force=TimeInForce.DAY,
        )
    )  # fmt: skip
    seen = run_until(broker, clock, lambda s: s.order_updates, step=60.0)
    (update,) = seen.order_updates
    assert (update.client_id, update.status) == ("day-1", OrderStatus.EXPIRED)
    assert (
        clock.now // 86_400 > (clock.now - 60) // 86_400
    )  # expired on the first poll after midnight
    assert broker.working_orders() == []


def test_order_with_an_expiration_time_expires_then_and_not_before() -> None:
    clock = FakeClock()
    broker = broker_at(clock)
    q = latest_quote(broker, clock, "EURUSD")
    ends = int((clock.now + 120) * 1000)
    broker.submit(
        OrderRequest(
            "exp-1", "EURUSD", Side.SELL, 0.1, OrderType.LIMIT, round(q.ask + 0.05, 5),
            time_in_force=TimeInForce.SPECIFIED, expiration_msc=ends,
        )
    )  # fmt: skip
    clock.advance(100)
    assert broker.poll().order_updates == []
    clock.advance(30)
    (update,) = broker.poll().order_updates
    assert (update.client_id, update.status) == ("exp-1", OrderStatus.EXPIRED)


def test_liquidity_cap_fills_a_large_market_order_in_slices_into_one_position() -> None:
    clock = FakeClock()
    broker = broker_at(clock, max_fill_volume=0.5)
    latest_quote(broker, clock, "EURUSD")
    report = broker.submit(OrderRequest("big-1", "EURUSD", Side.BUY, 1.2))
    assert report.status is OrderStatus.PARTIALLY_FILLED and report.filled_volume == 0.5
    seen = run_until(
        broker, clock, lambda s: any(u.status is OrderStatus.FILLED for u in s.order_updates), 0.5
    )
    progress = [(u.status, u.filled_volume) for u in seen.order_updates]
    assert progress == [(OrderStatus.PARTIALLY_FILLED, 1.0), (OrderStatus.FILLED, 1.2)]
    fills = [*report.fills, *seen.fills]
    assert {f.client_id for f in fills} == {"big-1"}
    assert [f.volume for f in fills] == [0.5, 0.5, 0.2]
    (position,) = broker.positions()
    assert position.volume == pytest.approx(1.2)
    average = sum(f.price * f.volume for f in fills) / 1.2
    assert position.price_open == pytest.approx(average)


def test_close_by_closes_the_smaller_volume_of_two_opposite_positions() -> None:
    clock = FakeClock()
    broker = broker_at(clock)
    latest_quote(broker, clock, "EURUSD")
    buy = broker.submit(OrderRequest("b-1", "EURUSD", Side.BUY, 0.3))
    clock.advance(30)
    broker.poll()
    sell = broker.submit(OrderRequest("s-1", "EURUSD", Side.SELL, 0.2))
    assert buy.broker_ticket and sell.broker_ticket and buy.price and sell.price
    balance = broker.account().balance
    report = broker.close_by(buy.broker_ticket, sell.broker_ticket, "cb-1")
    assert report.status is OrderStatus.FILLED and report.filled_volume == 0.2
    assert {f.client_id for f in report.fills} == {"cb-1"}
    (left,) = broker.positions()
    assert (left.ticket, left.volume) == (buy.broker_ticket, pytest.approx(0.1))
    realised = sum(f.realized_pnl for f in report.fills)
    assert realised == pytest.approx((sell.price - buy.price) * 0.2 * 100_000, abs=0.02)
    assert broker.account().balance == pytest.approx(balance + realised)


def test_close_by_refuses_same_side_positions() -> None:
    clock = FakeClock()
    broker = broker_at(clock)
    latest_quote(broker, clock, "EURUSD")
    a = broker.submit(OrderRequest("a", "EURUSD", Side.BUY, 0.1)).broker_ticket
    b = broker.submit(OrderRequest("b", "EURUSD", Side.BUY, 0.1)).broker_ticket
    assert a and b
    report = broker.close_by(a, b, "cb-2")
    assert report.status is OrderStatus.REJECTED and "not an opposite" in report.reason
    assert len(broker.positions()) == 2
