"""The engine in its real thread with the paper broker: orders in, facts out."""

from __future__ import annotations

import threading
import time

from pytestqt.qtbot import QtBot

from app.brokers.base import BrokerEvents
from app.brokers.sim.broker import SimBroker
from app.domain.commands import ClosePosition, RequestHistory, SubmitOrder, new_client_id
from app.domain.enums import ConnectionStatus, OrderStatus, Side
from app.domain.market import BarHistory
from app.domain.trading import OrderRequest
from app.engine.bus import EventBus
from app.engine.thread import BUSY_POLL_MS, Engine, EngineHost
from tests.integration.conftest import RunningEngine


def _order(
    symbol: str = "EURUSD", side: Side = Side.BUY, volume: float = 0.5, **kw: object
) -> OrderRequest:
    return OrderRequest(new_client_id(), symbol, side, volume, **kw)  # type: ignore[arg-type]


def test_market_order_fills_and_position_and_equity_follow(
    qtbot: QtBot, running_engine: RunningEngine
) -> None:
    bus, seen = running_engine.bus, running_engine.seen
    qtbot.waitUntil(lambda: any(f.tick_count for f in seen.frames), timeout=5000)
    request = _order()
    bus.command.emit(SubmitOrder(request))
    qtbot.waitUntil(lambda: any(f.client_id == request.client_id for f in seen.fills), timeout=5000)

    fill = next(f for f in seen.fills if f.client_id == request.client_id)
    assert (fill.symbol, fill.side, fill.volume) == ("EURUSD", Side.BUY, 0.5)
    statuses = [u.status for u in seen.orders if u.client_id == request.client_id]
    assert statuses == [OrderStatus.PENDING_NEW, OrderStatus.FILLED]

    # The position shows up in the conflated state, marked to market by later ticks.
    qtbot.waitUntil(lambda: len(seen.latest_positions()) == 1, timeout=5000)
    position = seen.latest_positions()[0]
    assert position.ticket == fill.position_ticket and position.price_open == fill.price
    n_frames = len(seen.frames)
    qtbot.waitUntil(lambda: len(seen.frames) > n_frames + 5, timeout=5000)
    account = seen.latest_account()
    position = seen.latest_positions()[0]
    expected_profit = (position.price_current - position.price_open) * 0.5 * 100_000
    assert abs(position.profit - expected_profit) < 0.011
    assert abs(account.equity - (account.balance + account.floating_pnl)) < 0.011
    assert account.balance == 10_000.0  # nothing realised yet
    assert account.margin > 0


def test_close_realises_pnl_into_balance(qtbot: QtBot, running_engine: RunningEngine) -> None:
    bus, seen = running_engine.bus, running_engine.seen
    qtbot.waitUntil(lambda: any(f.tick_count for f in seen.frames), timeout=5000)
    request = _order(side=Side.SELL, volume=1.0)
    bus.command.emit(SubmitOrder(request))
    qtbot.waitUntil(lambda: len(seen.latest_positions()) == 1, timeout=5000)
    ticket = seen.latest_positions()[0].ticket

    close_id = new_client_id()
    bus.command.emit(ClosePosition(ticket, client_id=close_id))
    qtbot.waitUntil(lambda: any(f.client_id == close_id for f in seen.fills), timeout=5000)
    close_fill = next(f for f in seen.fills if f.client_id == close_id)
    open_fill = next(f for f in seen.fills if f.client_id == request.client_id)
    assert close_fill.closes_position and close_fill.side is Side.BUY
    expected = round((open_fill.price - close_fill.price) * 1.0 * 100_000, 2)
    assert abs(close_fill.realized_pnl - expected) < 0.011

    qtbot.waitUntil(lambda: seen.latest_positions() == (), timeout=5000)
    account = seen.latest_account()
    assert abs(account.balance - (10_000 + close_fill.realized_pnl)) < 0.011
    assert abs(account.day_pnl - close_fill.realized_pnl) < 0.011
    assert any("Closed" in e.message and e.client_id == close_id for e in seen.logs)


def test_invalid_order_is_rejected_with_a_reason_and_changes_nothing(
    qtbot: QtBot, running_engine: RunningEngine
) -> None:
    bus, seen = running_engine.bus, running_engine.seen
    qtbot.waitUntil(lambda: any(f.tick_count for f in seen.frames), timeout=5000)
    bad_volume = _order(volume=0.015)
    unknown = _order(symbol="NOPE")
    for request in (bad_volume, unknown):
        bus.command.emit(SubmitOrder(request))
    qtbot.waitUntil(
        lambda: sum(u.status is OrderStatus.REJECTED for u in seen.orders) == 2, timeout=5000
    )
    reasons = {u.client_id: u.reason for u in seen.orders if u.status is OrderStatus.REJECTED}
    assert "step" in reasons[bad_volume.client_id]
    assert "Unknown symbol NOPE" in reasons[unknown.client_id]
    assert seen.fills == []
    assert seen.latest_positions() == ()


def test_every_order_event_carries_its_client_id_in_the_log(
    qtbot: QtBot, running_engine: RunningEngine
) -> None:
    bus, seen = running_engine.bus, running_engine.seen
    qtbot.waitUntil(lambda: any(f.tick_count for f in seen.frames), timeout=5000)
    request = _order(symbol="XAUUSD", volume=0.1)
    bus.command.emit(SubmitOrder(request))
    qtbot.waitUntil(lambda: any(f.client_id == request.client_id for f in seen.fills), timeout=5000)
    story = [e.message for e in seen.logs if e.client_id == request.client_id]
    assert story[0].startswith("Order buy 0.1 XAUUSD sent")
    assert story[-1].startswith("Filled: buy 0.10 XAUUSD at ")


def test_frames_are_conflated_and_never_pile_up(
    qtbot: QtBot, running_engine: RunningEngine
) -> None:
    """While the GUI does not acknowledge a frame, the engine sends no other."""
    bus, seen = running_engine.bus, running_engine.seen
    qtbot.waitUntil(lambda: len(seen.frames) > 3, timeout=5000)
    bus.frame.disconnect()
    held: list = []
    bus.frame.connect(held.append)  # receives frames but never acknowledges them
    qtbot.wait(500)
    assert len(held) <= 1
    if held:
        bus.frame_consumed.emit(held[0].seq)
        qtbot.waitUntil(lambda: len(held) >= 2, timeout=2000)
        # The next frame carries every tick seen meanwhile, as counts, not as a backlog.
        assert held[1].tick_count > 1
        assert len(held[1].quotes) <= 6


def test_history_ends_with_the_forming_bar(qtbot: QtBot, running_engine: RunningEngine) -> None:
    bus = running_engine.bus
    got: list[BarHistory] = []
    bus.history.connect(got.append)
    bus.command.emit(RequestHistory("GBPUSD"))
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    history = got[0]
    assert history.symbol == "GBPUSD"
    times = history.time
    assert len(times) >= 500 and (times[1:] - times[:-1] > 0).all()  # type: ignore[operator,index]
    assert (history.high >= history.low).all()  # type: ignore[operator,union-attr]


def test_broker_is_called_only_from_the_engine_thread(qtbot: QtBot) -> None:
    """Wrap every broker method and record the calling thread."""

    callers: set[str] = set()

    class RecordingBroker(SimBroker):
        def __getattribute__(self, name: str) -> object:
            attr = super().__getattribute__(name)
            if callable(attr) and not name.startswith("_"):
                callers.add(threading.current_thread().name)
            return attr

    bus = EventBus()
    host = EngineHost(Engine(bus, lambda: RecordingBroker(ticks_per_second=50)), bus)
    connected: list = []
    bus.connection.connect(lambda c: connected.append(c.status))
    bus.frame.connect(lambda f: bus.frame_consumed.emit(f.seq))
    host.start()
    qtbot.waitUntil(lambda: ConnectionStatus.CONNECTED in connected, timeout=5000)
    fills: list = []
    bus.fill.connect(fills.append)
    bus.command.emit(SubmitOrder(_order()))
    qtbot.waitUntil(lambda: bool(fills), timeout=5000)
    assert host.stop()
    assert callers and threading.main_thread().name not in callers


class _PollCountingBroker(SimBroker):
    """The paper broker, noting the moment of every poll in ``polls``."""

    def __init__(self, polls: list[float], ticks_per_second: float) -> None:
        super().__init__(ticks_per_second=ticks_per_second)
        self._polls = polls

    def poll(self) -> BrokerEvents:
        self._polls.append(time.monotonic())
        return super().poll()


def _polled_engine(
    polls: list[float], *, ticks_per_second: float, poll_interval_ms: int
) -> tuple[EventBus, EngineHost]:
    """An engine (not started yet) over a paper broker whose polls are timed."""
    bus = EventBus()
    engine = Engine(
        bus,
        lambda: _PollCountingBroker(polls, ticks_per_second),
        poll_interval_ms=poll_interval_ms,
    )
    return bus, EngineHost(engine, bus)


def test_while_the_window_paints_the_engine_polls_slower_but_never_stops(qtbot: QtBot) -> None:
    """Polls during a frame in flight only cost the window time; the gate still sees ticks.

    The acknowledgement polls at once, so the next frame carries the freshest ticks.
    """

    polls: list[float] = []
    bus, host = _polled_engine(polls, ticks_per_second=200, poll_interval_ms=1)
    held: list = []
    bus.frame.connect(held.append)  # a window busy painting: no acknowledgement yet
    host.start()
    try:
        qtbot.waitUntil(lambda: bool(held), timeout=5000)
        qtbot.wait(100)
        start = len(polls)
        qtbot.wait(400)
        while_held = len(polls) - start
        assert 400 / BUSY_POLL_MS / 4 <= while_held <= 400 / BUSY_POLL_MS + 5  # not 400 polls
        before_ack = len(polls)
        bus.frame_consumed.emit(held[0].seq)
        qtbot.waitUntil(lambda: len(held) >= 2, timeout=2000)
        assert len(polls) > before_ack  # the frame after the acknowledgement was polled for
        assert held[1].tick_count > 0
    finally:
        assert host.stop()


def test_a_fast_window_never_makes_the_engine_poll_more_often_than_set(qtbot: QtBot) -> None:
    """Acknowledgements poll at once only when a poll is due by ``poll_interval_ms``."""
    polls: list[float] = []
    bus, host = _polled_engine(polls, ticks_per_second=500, poll_interval_ms=50)
    frames: list = []

    def acknowledge_at_once(frame: object) -> None:
        frames.append(frame)
        bus.frame_consumed.emit(frame.seq)  # type: ignore[attr-defined]

    bus.frame.connect(acknowledge_at_once)
    host.start()
    try:
        qtbot.waitUntil(lambda: len(frames) >= 2, timeout=5000)
        start = len(polls)
        qtbot.wait(1000)
        assert 8 <= len(polls) - start <= 1000 / 50 + 3  # about 20, not one per frame
        gaps = [b - a for a, b in zip(polls[start:], polls[start + 1 :], strict=False)]
        assert min(gaps) >= 0.045  # 50 ms apart, give or take the timer's precision
    finally:
        assert host.stop()
