"""Engine → GUI data path: burst throughput, paced latency, in-thread dispatch.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_data_path.py [--json]

* **hand-off burst**: 1,000,000 ticks over 20 symbols fed, in an engine
  thread, through the engine's conflation (``FrameBuilder``) and the bus's
  queued ``frame`` signal to a GUI slot that acknowledges each frame, exactly
  as the real engine does. Ticks per second until the GUI holds the last one.
* **full engine burst**: 200,000 ticks through the real ``Engine`` thread and
  ``TradingCore.poll`` (portfolio, risk gate, bars in seven timeframes,
  conflation) to the GUI: the rate the whole engine sustains.
* **paced latency**: the real engine polling a synthetic broker every 1 ms at
  1,000 and 10,000 ticks/s; latency from the engine taking a tick from the
  broker to the GUI slot holding it (a conflated tick is delivered by the frame
  that carries its symbol's newer state).
* **dispatch**: one tick to 5 in-thread subscribers, the way the engine feeds
  risk, journal and strategies (a plain list of callables), and through a Qt
  signal with 5 direct slots for comparison.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _report import Row, emit
from _synthetic import SyntheticBroker
from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from app.domain.enums import ConnectionStatus
from app.domain.frame import MarketFrame
from app.domain.market import Tick
from app.domain.notices import ConnectionState
from app.engine.bus import EventBus
from app.engine.clients import EngineClient, Subscriptions
from app.engine.conflation import FrameBuilder
from app.engine.thread import Engine, EngineHost
from app.ui.runtime.gc_guard import GuiThreadGarbageCollector

HANDOFF_TICKS = 1_000_000
ENGINE_TICKS = 200_000
SYMBOLS = 20
PACED_SECONDS = 3.0


class _TickStamper(EngineClient):
    """Notes when each tick reached the engine's clients (in the engine thread)."""

    name = "tick stamper"

    def __init__(self, stamps: list[float]) -> None:
        self._stamps = stamps

    def subscriptions(self) -> Subscriptions:
        return Subscriptions(ticks=None)

    def on_tick(self, tick: Tick) -> None:
        self._stamps.append(time.perf_counter())


def run_until(done: Callable[[], bool], timeout_s: float) -> bool:
    """Run the GUI event loop (blocking in it, as the app does) until ``done()``."""
    end = time.perf_counter() + timeout_s
    loop = QEventLoop()
    check = QTimer()
    check.timeout.connect(lambda: loop.quit() if done() or time.perf_counter() > end else None)
    check.start(5)
    if not done():
        loop.exec()
    check.stop()
    return done()


# -- hand-off ----------------------------------------------------------------------


class Feeder(QObject):
    """Plays the engine thread: conflates a burst and publishes frames as the GUI takes them."""

    frame = Signal(MarketFrame)

    def __init__(self, ticks: list[Tick], total: int) -> None:
        super().__init__()
        self._ticks = ticks
        self._total = total
        self.frames = FrameBuilder()

    @Slot(int)
    def consumed(self, seq: int) -> None:
        self.frames.consumed(seq)
        self._publish()

    @Slot()
    def run(self) -> None:
        ticks, frames, n = self._ticks, self.frames, len(self._ticks)
        thread = QThread.currentThread()
        sent = 0
        while sent < self._total:
            end = min(self._total, sent + 1_000)
            for i in range(sent, end):
                frames.add_tick(ticks[i % n])
            sent = end
            self._publish()
            thread.eventDispatcher().processEvents(  # type: ignore[union-attr]
                QEventLoop.ProcessEventsFlag.AllEvents
            )
        self._publish()

    def _publish(self) -> None:
        frame = self.frames.take()
        if frame is not None:
            self.frame.emit(frame)


def bench_handoff() -> float:
    ticks = [
        Tick(f"S{s:02d}USD", 1_700_000_000_000 + i, 1.0 + i * 1e-5, 1.0001 + i * 1e-5)
        for i in range(50)
        for s in range(SYMBOLS)
    ]
    feeder = Feeder(ticks, HANDOFF_TICKS)
    thread = QThread()
    feeder.moveToThread(thread)
    received = [0]

    class Gui(QObject):
        ack = Signal(int)

        @Slot(MarketFrame)
        def on_frame(self, frame: MarketFrame) -> None:
            received[0] += frame.tick_count
            self.ack.emit(frame.seq)

    gui = Gui()
    feeder.frame.connect(gui.on_frame, Qt.ConnectionType.QueuedConnection)
    gui.ack.connect(feeder.consumed, Qt.ConnectionType.QueuedConnection)
    thread.started.connect(feeder.run)
    started = time.perf_counter()
    thread.start()
    run_until(lambda: received[0] >= HANDOFF_TICKS, 60)
    elapsed = time.perf_counter() - started
    thread.quit()
    thread.wait()
    return received[0] / elapsed


# -- the real engine ---------------------------------------------------------------


class Recorder(QObject):
    """A GUI that takes each frame at once: when, and how many ticks it carried."""

    def __init__(self, bus: EventBus) -> None:
        super().__init__()
        self.bus = bus
        self.ticks = 0
        self.arrivals: list[tuple[float, int]] = []  # (perf_counter, ticks so far)

    @Slot(MarketFrame)
    def on_frame(self, frame: MarketFrame) -> None:
        now = time.perf_counter()
        if frame.tick_count:
            self.ticks += frame.tick_count
            self.arrivals.append((now, self.ticks))
        self.bus.frame_consumed.emit(frame.seq)


def start_engine(broker: SyntheticBroker) -> tuple[EngineHost, Recorder, list[float]]:
    bus = EventBus()
    engine = Engine(bus, lambda: broker, poll_interval_ms=1)
    received_at: list[float] = []  # engine-thread perf_counter for every tick, in order
    engine.core.clients.attach(_TickStamper(received_at))
    host = EngineHost(engine, bus)
    recorder = Recorder(bus)
    bus.frame.connect(recorder.on_frame)
    states: list[ConnectionState] = []
    bus.connection.connect(states.append)
    host.start()
    run_until(lambda: any(s.status is ConnectionStatus.CONNECTED for s in states), 30)
    return host, recorder, received_at


def bench_engine_burst() -> float:
    broker = SyntheticBroker(symbols=SYMBOLS, burst=ENGINE_TICKS, chunk=10_000)
    host, recorder, _ = start_engine(broker)
    run_until(lambda: recorder.ticks >= ENGINE_TICKS, 120)
    end = recorder.arrivals[-1][0] if recorder.arrivals else time.perf_counter()
    host.stop()
    assert broker.first_burst_poll is not None
    return recorder.ticks / (end - broker.first_burst_poll)


def latencies_ms(stamps: list[float], arrivals: list[tuple[float, int]]) -> np.ndarray:
    """Per tick: time from its stamp to the arrival of the first frame that covers it."""
    at = np.asarray([a for a, _ in arrivals])
    covered = np.asarray([c for _, c in arrivals])
    index = np.arange(min(len(stamps), int(covered[-1]) if len(covered) else 0))
    frame = np.searchsorted(covered, index + 1)  # first frame whose cumulative count covers i
    return (at[frame] - np.asarray(stamps)[index]) * 1000


def bench_paced(rate: int) -> tuple[float, float]:
    broker = SyntheticBroker(symbols=SYMBOLS, rate=0.0)
    host, recorder, received_at = start_engine(broker)
    total = int(rate * PACED_SECONDS)
    broker._rate = rate  # start ticking now that the engine runs (the broker is idle till then)
    run_until(lambda: recorder.ticks >= total, PACED_SECONDS * 10 + 10)
    host.stop()
    lat = latencies_ms(received_at, recorder.arrivals)
    lat = lat[len(lat) // 20 :]  # drop the first 5 %: warm-up
    return float(np.percentile(lat, 50)), float(np.percentile(lat, 99))


# -- dispatch ----------------------------------------------------------------------


def bench_dispatch() -> tuple[float, float]:
    tick = Tick("EURUSD", 0, 1.1, 1.1001)
    listeners: list[Callable[[object], None]] = [lambda t: None for _ in range(5)]
    runs = 200_000
    t0 = time.perf_counter_ns()
    for _ in range(runs):
        for listener in listeners:
            listener(tick)
    plain = (time.perf_counter_ns() - t0) / runs

    class Bus(QObject):
        tick = Signal(object)

    bus = Bus()
    for listener in listeners:
        bus.tick.connect(listener, Qt.ConnectionType.DirectConnection)
    runs = 50_000
    t0 = time.perf_counter_ns()
    for _ in range(runs):
        bus.tick.emit(tick)
    qt = (time.perf_counter_ns() - t0) / runs
    return plain, qt


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert app is not None
    # As in the app: cycles are collected on the GUI thread, never the engine's,
    # and what start-up made is exempt from collections.
    collector = GuiThreadGarbageCollector()
    collector.settle()
    handoff = bench_handoff()
    engine = bench_engine_burst()
    paced = {rate: bench_paced(rate) for rate in (1_000, 10_000)}
    plain, qt = bench_dispatch()
    collector.stop()
    rows = [
        Row(
            "engine→GUI burst, ticks/s (conflated hand-off, 20 symbols)",
            handoff,
            "/s",
            "gui_burst_per_s",
            higher=True,
            target=">= 1,000,000/s",
        ),
        Row(
            "engine thread burst, ticks/s (full core: portfolio, risk, 7 timeframes)",
            engine,
            "/s",
            "event_engine_per_s",
            higher=True,
            note="vn.py: its EventEngine with one no-op handler",
        ),
    ]
    for rate, (p50, p99) in paced.items():
        rows.append(
            Row(
                f"engine→GUI latency p50 at {rate:,} ticks/s",
                p50,
                "ms",
                f"gui_latency_{rate}_p50_ms",
            )
        )
        rows.append(
            Row(
                f"engine→GUI latency p99 at {rate:,} ticks/s",
                p99,
                "ms",
                f"gui_latency_{rate}_p99_ms",
                target="< 1 ms" if rate == 1_000 else "",
            )
        )
    rows.append(
        Row(
            "in-thread dispatch to 5 subscribers, ns/event",
            plain,
            "ns",
            "dispatch_5_ns",
            note="Tradeterm: the engine's tick listeners",
        )
    )
    rows.append(Row("Qt signal to 5 direct slots, ns/event (our bus, same thread)", qt, "ns", None))
    emit("data path", rows)


if __name__ == "__main__":
    main()
