"""A running engine thread with a seeded paper broker, for integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pytestqt.qtbot import QtBot

from app.brokers.sim.broker import SimBroker
from app.domain.enums import ConnectionStatus
from app.domain.frame import MarketFrame
from app.domain.notices import ConnectionState, LogEvent
from app.domain.trading import Fill, OrderUpdate
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost


@dataclass
class Recorder:
    """Everything the bus delivered to the GUI thread, in order."""

    orders: list[OrderUpdate] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    logs: list[LogEvent] = field(default_factory=list)
    frames: list[MarketFrame] = field(default_factory=list)
    connection: list[ConnectionState] = field(default_factory=list)

    def latest_positions(self) -> tuple:  # type: ignore[type-arg]
        for frame in reversed(self.frames):
            if frame.positions is not None:
                return frame.positions
        return ()

    def latest_account(self):  # type: ignore[no-untyped-def]
        for frame in reversed(self.frames):
            if frame.account is not None:
                return frame.account
        return None


@dataclass
class RunningEngine:
    bus: EventBus
    host: EngineHost
    seen: Recorder


def start_recorded(
    qtbot: QtBot,
    bus: EventBus,
    engine: Engine,
    seen: Recorder | None = None,
    *,
    connect_timeout_ms: int = 10_000,
) -> RunningEngine:
    """Start ``engine`` on its thread the way the window uses it, and wait till it connects.

    ``seen`` records every order, fill, log line and connection state, and every
    frame, which it acknowledges at once. Connect any other signal to ``bus``
    before calling this: facts sent right after the start are not repeated.
    """
    seen = seen if seen is not None else Recorder()
    host = EngineHost(engine, bus)
    bus.order.connect(seen.orders.append)
    bus.fill.connect(seen.fills.append)
    bus.log.connect(seen.logs.append)
    bus.connection.connect(seen.connection.append)

    def on_frame(frame: MarketFrame) -> None:
        seen.frames.append(frame)
        bus.frame_consumed.emit(frame.seq)

    bus.frame.connect(on_frame)
    host.start()
    qtbot.waitUntil(
        lambda: any(c.status is ConnectionStatus.CONNECTED for c in seen.connection),
        timeout=connect_timeout_ms,
    )
    return RunningEngine(bus, host, seen)


@pytest.fixture
def running_engine(qtbot: QtBot) -> Iterator[RunningEngine]:
    bus = EventBus()
    engine = Engine(
        bus, lambda: SimBroker(seed=11, ticks_per_second=40, history_bars=500), refresh_hz=60
    )
    running = start_recorded(qtbot, bus, engine)
    yield running
    assert running.host.stop(), "engine thread did not stop"
