"""The broker contract: what any broker behind the engine must do, shown for each one.

Runs against the paper broker and against Mt5Broker over the fake MetaTrader 5
terminal, through the real engine thread, commands in and bus facts out.
"""

from __future__ import annotations

import time

from app.domain.commands import (
    CancelOrder,
    ClosePosition,
    ModifyOrder,
    ModifyPosition,
    RequestHistory,
    SubmitOrder,
    new_client_id,
)
from app.domain.enums import ConnectionStatus, OrderStatus, OrderType, Side
from app.domain.market import BarHistory
from app.domain.timeframes import Timeframe
from app.domain.trading import OrderRequest
from tests.contract.conftest import Terminal


def _order(**kw: object) -> OrderRequest:
    kw.setdefault("volume", 0.3)
    return OrderRequest(new_client_id(), kw.pop("symbol", "EURUSD"), kw.pop("side", Side.BUY), **kw)  # type: ignore[arg-type]


def _statuses(t: Terminal, client_id: str) -> list[OrderStatus]:
    return [u.status for u in t.seen.orders if u.client_id == client_id]


def _quote(t: Terminal, symbol: str = "EURUSD") -> tuple[float, float]:
    for frame in reversed(t.seen.frames):
        if symbol in frame.quotes:
            q = frame.quotes[symbol]
            return q.bid, q.ask
    raise AssertionError("no quote yet")


def _position(t: Terminal, ticket: int):  # type: ignore[no-untyped-def]
    return next((p for p in t.seen.latest_positions() if p.ticket == ticket), None)


def _latest_orders(t: Terminal) -> tuple:  # type: ignore[type-arg]
    for frame in reversed(t.seen.frames):
        if frame.orders is not None:
            return frame.orders
    return ()


def test_connects_streams_ticks_and_serves_bars(terminal: Terminal) -> None:
    t = terminal
    assert any("Connected to" in e.message for e in t.seen.logs)
    histories: list[BarHistory] = []
    t.bus.history.connect(histories.append)
    t.bus.command.emit(RequestHistory("EURUSD", Timeframe.M1))
    t.qtbot.waitUntil(lambda: bool(histories), timeout=5000)
    bars = histories[0]
    times = list(bars.time)  # type: ignore[call-overload]
    assert len(times) >= 400 and times == sorted(set(times))
    assert abs(times[-1] - time.time()) < 180  # the forming bar is now, in UTC
    quotes = [f.quotes["EURUSD"] for f in t.seen.frames if "EURUSD" in f.quotes]
    assert all(q.ask > q.bid > 0 for q in quotes)
    assert [q.time_msc for q in quotes] == sorted(q.time_msc for q in quotes)


def test_market_order_then_sl_tp_partial_close_and_close(terminal: Terminal) -> None:
    t = terminal
    request = _order()
    t.bus.command.emit(SubmitOrder(request))
    t.qtbot.waitUntil(lambda: OrderStatus.FILLED in _statuses(t, request.client_id), timeout=5000)
    # The fill is its own event, published after the order's FILLED status.
    t.qtbot.waitUntil(
        lambda: any(f.client_id == request.client_id for f in t.seen.fills), timeout=5000
    )
    ticket = next(f.position_ticket for f in t.seen.fills if f.client_id == request.client_id)
    t.qtbot.waitUntil(lambda: _position(t, ticket) is not None, timeout=5000)

    bid, _ask = _quote(t)
    sl, tp = round(bid - 0.0050, 5), round(bid + 0.0050, 5)
    t.bus.command.emit(ModifyPosition(ticket, sl, tp))
    t.qtbot.waitUntil(lambda: (_position(t, ticket).sl, _position(t, ticket).tp) == (sl, tp), timeout=5000)  # fmt: skip

    t.bus.command.emit(ClosePosition(ticket, 0.1))
    t.qtbot.waitUntil(lambda: _position(t, ticket).volume == 0.2, timeout=5000)
    t.bus.command.emit(ClosePosition(ticket))
    t.qtbot.waitUntil(lambda: _position(t, ticket) is None, timeout=5000)
    closes = [f for f in t.seen.fills if f.position_ticket == ticket and f.closes_position]
    assert sorted(round(f.volume, 2) for f in closes) == [0.1, 0.2]


def test_pending_order_is_placed_moved_and_cancelled(terminal: Terminal) -> None:
    t = terminal
    _bid, ask = _quote(t)
    request = _order(order_type=OrderType.LIMIT, price=round(ask - 0.0100, 5))
    t.bus.command.emit(SubmitOrder(request))
    t.qtbot.waitUntil(lambda: OrderStatus.WORKING in _statuses(t, request.client_id), timeout=5000)
    t.qtbot.waitUntil(lambda: len(_latest_orders(t)) == 1, timeout=5000)
    ticket = _latest_orders(t)[0].ticket
    new_price = round(ask - 0.0120, 5)
    t.bus.command.emit(ModifyOrder(ticket, new_price, round(new_price - 0.0050, 5), None))
    t.qtbot.waitUntil(lambda: _latest_orders(t)[0].price == new_price, timeout=5000)
    assert _latest_orders(t)[0].sl == round(new_price - 0.0050, 5)
    t.bus.command.emit(CancelOrder(ticket))
    t.qtbot.waitUntil(lambda: _latest_orders(t) == (), timeout=5000)


def test_a_refused_order_says_why_and_changes_nothing(terminal: Terminal) -> None:
    t = terminal
    request = _order(volume=90.0)  # 97 650 USD of margin; the account has 10 000
    t.bus.command.emit(SubmitOrder(request))
    t.qtbot.waitUntil(lambda: OrderStatus.REJECTED in _statuses(t, request.client_id), timeout=5000)  # fmt: skip
    rejection = next(u for u in t.seen.orders if u.status is OrderStatus.REJECTED)
    assert "not enough money" in rejection.reason.lower()  # the broker's own refusal
    assert t.seen.latest_positions() == ()
    bid, _ask = _quote(t)
    t.bus.command.emit(ModifyPosition(999_999, round(bid - 0.01, 5), None))
    t.qtbot.waitUntil(lambda: any("#999999 refused" in e.message for e in t.seen.logs), timeout=5000)  # fmt: skip


def test_trades_made_outside_show_up_and_go(terminal: Terminal) -> None:
    t = terminal
    ticket = t.in_engine(lambda b: t.harness.open_external(b, "EURUSD", Side.SELL, 0.2))
    t.qtbot.waitUntil(lambda: _position(t, ticket) is not None, timeout=5000)
    assert _position(t, ticket).side is Side.SELL
    t.in_engine(lambda b: t.harness.close_external(b, ticket))
    t.qtbot.waitUntil(lambda: _position(t, ticket) is None, timeout=5000)
    assert any(f.position_ticket == ticket and f.closes_position for f in t.seen.fills)


def test_a_lost_connection_refuses_orders_and_comes_back(terminal: Terminal) -> None:
    t = terminal
    t.in_engine(t.harness.go_down)
    t.qtbot.waitUntil(lambda: t.status() is ConnectionStatus.DISCONNECTED, timeout=5000)
    reason = t.seen.connection[-1].detail
    # The log line follows the state change on the bus: it may land a moment later.
    t.qtbot.waitUntil(lambda: any("Connection to the broker lost" in e.message for e in t.seen.logs), timeout=5000)  # fmt: skip
    assert reason and any("Connection to the broker lost" in e.message for e in t.seen.logs)

    refused = _order()
    t.bus.command.emit(SubmitOrder(refused))
    t.qtbot.waitUntil(lambda: OrderStatus.REJECTED in _statuses(t, refused.client_id), timeout=5000)  # fmt: skip
    rejection = [u for u in t.seen.orders if u.client_id == refused.client_id][-1]
    assert rejection.reason.startswith("Not connected to the broker: ")

    t.qtbot.wait(300)  # a few reconnect attempts fail while the link is down
    assert t.status() is not ConnectionStatus.CONNECTED
    t.in_engine(t.harness.come_back)
    t.qtbot.waitUntil(lambda: t.status() is ConnectionStatus.CONNECTED, timeout=5000)
    assert any("Reconnected" in e.message for e in t.seen.logs)

    again = _order()
    t.bus.command.emit(SubmitOrder(again))
    t.qtbot.waitUntil(lambda: OrderStatus.FILLED in _statuses(t, again.client_id), timeout=5000)
