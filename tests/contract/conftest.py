"""One broker contract, two brokers: the paper broker and Mt5Broker over the fake terminal.

Each test gets a real engine thread talking to one of them, and a ``Harness`` to
do to the broker what the outside world does: cut the link, bring it back, trade
from elsewhere. Those hooks run inside the engine thread (the broker's only
thread), queued there like any other event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from app.brokers.base import Broker
from app.brokers.mt5.broker import Mt5Broker
from app.brokers.sim.broker import SimBroker
from app.domain.enums import ConnectionStatus, Side
from app.domain.risk_limits import RiskLimits
from app.engine.bus import EventBus
from app.engine.reconnect import ReconnectPolicy, ReconnectSchedule
from app.engine.thread import Engine, EngineHost
from app.settings import Mt5Settings
from tests.fakes import metatrader5 as mt5
from tests.integration.conftest import Recorder, start_recorded

SYMBOLS = ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"]


@dataclass
class Harness:
    """What the world does to a broker, whichever broker it is."""

    kind: str
    go_down: Callable[[Any], None]
    come_back: Callable[[Any], None]
    open_external: Callable[[Any, str, Side, float], int]
    close_external: Callable[[Any, int], None]


HARNESSES = {
    "sim": Harness(
        "sim",
        go_down=lambda b: b.set_connected(False, "the paper broker's link is down"),
        come_back=lambda b: b.set_connected(True),
        open_external=lambda b, sym, side, vol: b.open_external_position(sym, side, vol),
        close_external=lambda b, ticket: b.close_external_position(ticket),
    ),
    "mt5": Harness(
        "mt5",
        go_down=lambda b: mt5.control.disconnect(),
        come_back=lambda b: mt5.control.reconnect(),
        open_external=lambda b, sym, side, vol: mt5.control.open_external_position(
            sym, side is Side.BUY, vol
        ),
        close_external=lambda b, ticket: mt5.control.close_external_position(ticket),
    ),
}


@dataclass
class Terminal:
    kind: str
    bus: EventBus
    host: EngineHost
    seen: Recorder
    harness: Harness
    broker: list[Broker]
    qtbot: QtBot

    def in_engine(self, action: Callable[[Any], Any]) -> Any:
        """Run ``action(broker)`` in the engine thread and wait for its result."""
        box: list[Any] = []
        QTimer.singleShot(0, self.host.engine, lambda: box.append(action(self.broker[0])))
        self.qtbot.waitUntil(lambda: bool(box), timeout=5000)
        return box[0]

    def status(self) -> ConnectionStatus:
        return self.seen.connection[-1].status


def _factory(kind: str, made: list[Broker]) -> Callable[[], Broker]:
    def make() -> Broker:
        broker: Broker
        if kind == "sim":
            broker = SimBroker(symbols=SYMBOLS, seed=11, ticks_per_second=40, history_bars=500)
        else:
            broker = Mt5Broker(mt5, Mt5Settings(deviation_points=20), SYMBOLS)
        made.append(broker)
        return broker

    return make


@pytest.fixture(params=["sim", "mt5"])
def terminal(request: pytest.FixtureRequest, qtbot: QtBot) -> Iterator[Terminal]:
    kind = request.param
    mt5.control.reset(ticks_per_second=40, history_bars=500, seed=11)
    made: list[Broker] = []
    bus = EventBus()
    engine = Engine(bus, _factory(kind, made), refresh_hz=60)
    engine.core.reconnect = ReconnectSchedule(ReconnectPolicy(0.05, 0.2))
    # The contract is the broker's: risk limits wide open, so refusals are the broker's own.
    engine.core.gate.set_limits(
        RiskLimits(
            max_order_volume=1000,
            max_order_notional=1e12,
            max_net_volume=1e6,
            max_total_exposure=1e15,
            min_margin_level_pct=0,
        )
    )
    running = start_recorded(qtbot, bus, engine)
    host, seen = running.host, running.seen
    qtbot.waitUntil(lambda: any(f.tick_count for f in seen.frames), timeout=5000)
    yield Terminal(kind, bus, host, seen, HARNESSES[kind], made, qtbot)
    assert host.stop(), "engine thread did not stop"
    mt5.control.reset()
