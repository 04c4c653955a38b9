"""Ticks from the engine thread to the GUI: batched, never stale, never piling up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pytestqt.qtbot import QtBot

from app.brokers.base import BrokerEvents
from app.brokers.sim.broker import SimBroker
from app.domain.commands import RequestHistory, WatchBars
from app.domain.enums import ConnectionStatus
from app.domain.frame import MarketFrame
from app.domain.market import BarHistory, Tick
from app.domain.notices import ConnectionState
from app.domain.timeframes import Timeframe
from app.engine.bus import EventBus
from app.engine.clients import EngineClient, Subscriptions
from app.engine.thread import Engine, EngineHost

BURST = 30_000


class BurstBroker(SimBroker):
    """A quiet paper market that delivers one burst of ``burst`` ticks in a single poll.

    Each symbol's bid rises one point per tick, so a quote's bid tells how new it is.
    """

    def __init__(self, burst: int) -> None:
        super().__init__(ticks_per_second=0.0, history_bars=200, seed=3)
        self._burst = burst
        self._polls = 0
        self.last_bids: dict[str, float] = {}

    def poll(self) -> BrokerEvents:
        events = super().poll()
        self._polls += 1
        if self._polls == 5:
            names = [s.name for s in self.symbols()]
            start = {n: self.last_tick(n) for n in names}
            now_ms = int(time.time() * 1000)
            for i in range(self._burst):
                name = names[i % len(names)]
                step = i // len(names)
                quote = start[name]
                assert quote is not None
                point = self._specs[name].point
                bid = round(quote.bid + step * point, 8)
                events.ticks.append(Tick(name, now_ms + step // 10, bid, bid + 10 * point))
                self.last_bids[name] = bid
        return events


@dataclass
class Gui:
    """What the GUI thread received; ``delay`` makes it a slow consumer."""

    bus: EventBus
    delay: float = 0.0
    frames: list[MarketFrame] = field(default_factory=list)
    histories: list[BarHistory] = field(default_factory=list)

    def on_frame(self, frame: MarketFrame) -> None:
        self.frames.append(frame)
        if self.delay:
            time.sleep(self.delay)  # drawing takes this long
        self.bus.frame_consumed.emit(frame.seq)

    @property
    def ticks(self) -> int:
        return sum(f.tick_count for f in self.frames)


@dataclass
class Running:
    gui: Gui
    engine: Engine
    broker: list[SimBroker]
    seen_by_engine: list[int]


def start(qtbot: QtBot, make_broker: type[SimBroker] | object, delay: float) -> Iterator[Running]:
    bus = EventBus()
    brokers: list[SimBroker] = []

    def factory() -> SimBroker:
        broker = make_broker()  # type: ignore[operator]
        brokers.append(broker)
        return broker

    engine = Engine(bus, factory, poll_interval_ms=2)
    counter = [0]

    class TickCounter(EngineClient):
        name = "tick counter"

        def subscriptions(self) -> Subscriptions:
            return Subscriptions(ticks=None)

        def on_tick(self, tick: Tick) -> None:
            counter[0] += 1  # runs in the engine thread, for every tick

    engine.core.clients.attach(TickCounter())
    host = EngineHost(engine, bus)
    gui = Gui(bus, delay)
    states: list[ConnectionState] = []
    bus.frame.connect(gui.on_frame)
    bus.history.connect(gui.histories.append)
    bus.connection.connect(states.append)
    host.start()
    qtbot.waitUntil(
        lambda: any(s.status is ConnectionStatus.CONNECTED for s in states), timeout=10_000
    )
    yield Running(gui, engine, brokers, counter)
    assert host.stop()


@pytest.fixture
def burst_slow_gui(qtbot: QtBot) -> Iterator[Running]:
    yield from start(qtbot, lambda: BurstBroker(BURST), delay=0.03)


@pytest.fixture
def busy_slow_gui(qtbot: QtBot) -> Iterator[Running]:
    yield from start(
        qtbot, lambda: SimBroker(ticks_per_second=400, history_bars=200, seed=9), delay=0.05
    )


def test_a_burst_reaches_the_gui_as_a_few_batches_with_the_newest_quotes(
    qtbot: QtBot, burst_slow_gui: Running
) -> None:
    gui, broker = burst_slow_gui.gui, burst_slow_gui.broker[0]
    assert isinstance(broker, BurstBroker)
    qtbot.waitUntil(lambda: gui.ticks >= BURST, timeout=20_000)
    assert burst_slow_gui.seen_by_engine[0] == BURST  # the engine saw every single tick
    frames = [f for f in gui.frames if f.tick_count]
    assert len(frames) <= 10  # 30,000 ticks in a handful of frames, not 30,000 signals
    assert max(f.tick_count for f in frames) >= BURST // 10
    latest = {}
    for frame in gui.frames:
        latest.update(frame.quotes)
        assert len(frame.quotes) <= len(broker.symbols())  # one quote per symbol, at most
    assert {s: q.bid for s, q in latest.items()} == pytest.approx(broker.last_bids)


def test_a_slow_gui_gets_fewer_frames_never_older_data_and_no_backlog(
    qtbot: QtBot, busy_slow_gui: Running
) -> None:
    """2,400 ticks/s against a GUI that needs 50 ms per frame."""
    gui = busy_slow_gui.gui
    qtbot.waitUntil(lambda: gui.ticks >= 2_000, timeout=20_000)
    frames = list(gui.frames)
    ticks = sum(f.tick_count for f in frames)
    assert len(frames) < ticks / 10  # batches of many ticks per frame
    newest: dict[str, int] = {}
    for frame in frames:
        for symbol, quote in frame.quotes.items():
            assert quote.time_msc >= newest.get(symbol, 0)  # never older than shown before
            newest[symbol] = quote.time_msc
    # No frame queue: ticks seen by the engine but not yet shown are at most one
    # frame's worth (counts conflated into the next frame), however long this runs.
    backlog = busy_slow_gui.seen_by_engine[0] - gui.ticks
    assert backlog < 2_400  # less than a second of ticks, not a growing list


def test_frames_carry_bars_of_watched_timeframes_only(qtbot: QtBot, busy_slow_gui: Running) -> None:
    gui = busy_slow_gui.gui
    gui.delay = 0.0
    gui.bus.command.emit(RequestHistory("EURUSD", Timeframe.H1))
    gui.bus.command.emit(WatchBars("market_watch", (("GBPUSD", Timeframe.D1),)))
    qtbot.waitUntil(lambda: bool(gui.histories), timeout=5000)
    assert gui.histories[0].timeframe is Timeframe.H1
    mark = len(gui.frames)
    qtbot.waitUntil(lambda: len(gui.frames) > mark + 20, timeout=5000)
    keys = {key for frame in gui.frames[mark + 2 :] for key in frame.bars}
    assert keys == {("EURUSD", Timeframe.H1), ("GBPUSD", Timeframe.D1)}
    for frame in gui.frames[mark + 2 :]:
        for (symbol, timeframe), bar in frame.bars.items():
            assert (bar.symbol, bar.timeframe) == (symbol, timeframe)
            assert bar.time % timeframe.seconds == 0
