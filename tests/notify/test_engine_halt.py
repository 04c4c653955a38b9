"""/halt from the phone halts a real engine thread (paper broker), through the bus only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pytestqt.qtbot import QtBot

from app.brokers.sim.broker import SimBroker
from app.domain.enums import ConnectionStatus
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from tests.notify.conftest import TRADER, Telegram, until


@dataclass
class RunningEngine:
    bus: EventBus
    states: list[ConnectionStatus] = field(default_factory=list)


@pytest.fixture
def engine_bus(qtbot: QtBot) -> Iterator[RunningEngine]:
    bus = EventBus()
    host = EngineHost(
        Engine(bus, lambda: SimBroker(seed=3, ticks_per_second=20, history_bars=50)), bus
    )
    bus.frame.connect(lambda frame: bus.frame_consumed.emit(frame.seq))  # the window's job
    running = RunningEngine(bus)
    # Recorded from before the start: a CONNECTED emitted early is never missed.
    bus.connection.connect(lambda state: running.states.append(state.status))
    host.start()
    yield running
    assert host.stop(), "engine thread did not stop"


def test_halt_from_telegram_halts_the_engine(telegram: Telegram, engine_bus: RunningEngine) -> None:
    async def scenario() -> None:
        h = await telegram.start(bus=engine_bus.bus)
        await until(lambda: h.service.desk.account is not None)
        h.api.push_command(TRADER, "/status")
        await until(lambda: "Trading: ACTIVE" in h.texts())
        h.api.push_command(TRADER, "/halt")
        await until(lambda: h.service.desk.trading_state == "halted")
        await until(lambda: "<b>Trading HALTED</b>" in h.texts())  # the engine's bus.risk fact
        assert "(by telegram)" in h.texts()
        h.api.push_command(TRADER, "/status")
        await until(lambda: "Trading: HALTED" in h.texts())

    telegram.run(scenario)
    assert ConnectionStatus.CONNECTED in engine_bus.states
