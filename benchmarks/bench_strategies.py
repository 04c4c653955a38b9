"""Strategies on the engine: what ten of them cost the tick path, and a decision's road.

* **engine thread burst with 10 strategies**: 200,000 ticks over 4 synthetic
  symbols through the real ``Engine`` thread, whose timestamps advance a quarter
  of a second per tick so bars close all along (about 830 M1 bars and 14 H1
  bars per symbol); 10 ``ma_cross`` instances attached (M1 and H1 on each
  symbol, and two more on M1 with other periods), trading on the paper broker
  as their crosses say. The same run without strategies is the baseline.
* **closed bar → broker answer**: the core with a real SQLite journal (durable
  commits) and the replay broker; a strategy sends a market order on every
  closed bar; from the poll that closes the bar to the order's FILLED fact,
  journal included. 1,000 bars.

Run alone: ``python benchmarks/bench_strategies.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _report import Row, emit
from _synthetic import SyntheticBroker
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app.brokers.base import BrokerEvents
from app.brokers.sim.replay import ReplayBroker
from app.domain.enums import ConnectionStatus, OrderStatus
from app.domain.frame import MarketFrame
from app.domain.market import Bar, Tick
from app.domain.notices import ConnectionState
from app.domain.strategies import AttachStrategy, StrategyBudget
from app.domain.timeframes import Timeframe
from app.domain.trading import OrderUpdate
from app.engine.bus import EventBus
from app.engine.core import TradingCore
from app.engine.thread import Engine, EngineHost
from app.storage.journal import Journal
from app.strategies.base import Strategy
from app.strategies.catalog import load_catalog
from app.strategies.host import StrategyHost
from app.ui.runtime.gc_guard import GuiThreadGarbageCollector

BURST_TICKS = 200_000
SYMBOLS = 4
TICK_STEP_S = 0.25  # virtual time between two ticks
BARS = 1_000
START = 1_700_000_000 - 1_700_000_000 % 86_400


class MovingBroker(SyntheticBroker):
    """The synthetic burst, with timestamps that advance so bars close during it."""

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.virtual_ms = int(time.time() * 1000)  # history ends now; the burst runs on

    def now(self) -> float:
        """The engine's clock: the burst's own time, so no quote is ever from the future."""
        return self.virtual_ms / 1000

    def poll(self) -> BrokerEvents:
        """The synthetic burst's ticks, each a quarter of a second after the one before."""
        events = BrokerEvents()
        if self.first_burst_poll is None:
            self.first_burst_poll = time.perf_counter()
        due = min(self._burst, self._sent + self._chunk)
        names, count, quotes, specs = self._names, len(self._names), self._quotes, self._specs
        ticks, step_ms, ms = events.ticks, int(TICK_STEP_S * 1000), self.virtual_ms
        for i in range(self._sent, due):
            name = names[i % count]
            spec = specs[name]
            point = spec.point
            # A slow wave: long enough runs that moving averages cross now and then.
            step = point if (i // (count * 600)) % 2 == 0 else -point
            bid = round(quotes[name].bid + step, spec.digits)
            ms += step_ms
            tick = Tick(name, ms, bid, round(bid + 10 * point, spec.digits))
            quotes[name] = tick
            ticks.append(tick)
        self.virtual_ms = ms
        self._sent = due
        return events


def run_until(done: object, timeout_s: float) -> None:
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    timer = QTimer()
    timer.timeout.connect(lambda: (done() or time.perf_counter() > deadline) and loop.quit())  # type: ignore[operator]
    timer.start(5)
    loop.exec()
    timer.stop()


def attach_ten(core: TradingCore, names: list[str]) -> StrategyHost:
    host = StrategyHost(core, lambda: load_catalog(None, entry_points=False))
    wide = StrategyBudget(max_order_volume=10, max_open_positions=50, max_net_position=50)
    plans = [(name, Timeframe.M1, 10, 30) for name in names]
    plans += [(name, Timeframe.H1, 5, 12) for name in names]
    plans += [(names[0], Timeframe.M1, 5, 20), (names[1], Timeframe.M1, 20, 60)]
    pending = [
        AttachStrategy("ma_cross", s, tf, {"fast": f, "slow": sl}, wide, start=True)
        for s, tf, f, sl in plans
    ]

    original = host.on_start

    def on_start(context: object) -> None:
        original(context)  # type: ignore[arg-type]
        for command in pending:
            core.queue(command)

    host.on_start = on_start  # type: ignore[method-assign]
    return host


def bench_burst(with_strategies: bool) -> tuple[float, int]:
    broker = MovingBroker(symbols=SYMBOLS, burst=BURST_TICKS, chunk=10_000, history_bars=100)
    bus = EventBus()
    engine = Engine(bus, lambda: broker, poll_interval_ms=1, clock=broker.now)
    host = attach_ten(engine.core, list(broker._names)) if with_strategies else None
    got = [0]
    last = [time.perf_counter()]

    def on_frame(frame: MarketFrame) -> None:
        if frame.tick_count:
            got[0] += frame.tick_count
            last[0] = time.perf_counter()
        bus.frame_consumed.emit(frame.seq)

    bus.frame.connect(on_frame)
    states: list[ConnectionState] = []
    bus.connection.connect(states.append)
    orders = [0]
    bus.order.connect(lambda u: orders.__setitem__(0, orders[0] + (u.status is OrderStatus.FILLED)))
    thread = EngineHost(engine, bus)
    thread.start()
    run_until(lambda: any(s.status is ConnectionStatus.CONNECTED for s in states), 30)
    run_until(lambda: got[0] >= BURST_TICKS, 300)
    thread.stop()
    if host is not None:
        assert len(host.runners) == 10, f"{len(host.runners)} strategies ran"
    assert broker.first_burst_poll is not None
    return got[0] / (last[0] - broker.first_burst_poll), orders[0]


class EveryBar(Strategy):
    key = "every_bar"
    title = "Buys or closes on every bar"

    def on_bar(self, bar: Bar) -> None:
        if self.positions():
            self.close()
        else:
            self.buy(0.1)


def bench_bar_to_answer() -> np.ndarray:
    folder = Path(tempfile.mkdtemp())
    clock_now = [float(START)]
    broker = ReplayBroker(symbols=["EURUSD"], clock=lambda: clock_now[0])
    journal = Journal.open(f"sqlite:///{folder / 'journal.sqlite'}")
    filled_at: list[float] = []

    class Out:
        def publish(self, fact: object) -> None:
            if isinstance(fact, OrderUpdate) and fact.status is OrderStatus.FILLED:
                filled_at.append(time.perf_counter())

    core = TradingCore(lambda: broker, Out(), journal=journal, clock=lambda: clock_now[0])
    catalog = load_catalog(None, entry_points=False)
    catalog.add(EveryBar, "benchmark")
    StrategyHost(core, lambda: catalog)
    broker.feed([Tick("EURUSD", START * 1000, 1.1, 1.1001)])
    core.connect()
    budget = StrategyBudget(max_orders_per_minute=0)
    core.handle(AttachStrategy("every_bar", "EURUSD", Timeframe.M1, {}, budget, start=True))
    samples = []
    for minute in range(1, BARS + 1):
        clock_now[0] = START + minute * 60 + 1
        bid = 1.1 + 0.0001 * (minute % 7)
        broker.feed([Tick("EURUSD", int(clock_now[0] * 1000), bid, round(bid + 0.0001, 5))])
        before = len(filled_at)
        started = time.perf_counter()
        core.poll()
        if len(filled_at) > before:
            samples.append((filled_at[-1] - started) * 1000)
    journal.close()
    return np.asarray(samples)


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert app is not None
    collector = GuiThreadGarbageCollector()
    collector.settle()
    baseline, _ = bench_burst(False)
    with_ten, orders = bench_burst(True)
    latencies = bench_bar_to_answer()
    collector.stop()
    emit(
        "Strategies",
        [
            Row(
                "engine thread burst, no strategies (moving timestamps)",
                baseline,
                "/s",
                higher=True,
            ),
            Row(
                "engine thread burst, 10 ma_cross instances (M1 and H1, 4 symbols)",
                with_ten,
                "/s",
                higher=True,
                target=">= 100,000/s",
                note=f"{orders} orders filled during the burst",
            ),
            Row(
                "closed bar → broker answer p50, journal included",
                float(np.percentile(latencies, 50)),
                "ms",
            ),
            Row(
                "closed bar → broker answer p99, journal included",
                float(np.percentile(latencies, 99)),
                "ms",
                target="< 2 ms",
                note=f"{len(latencies)} orders",
            ),
        ],
    )


if __name__ == "__main__":
    main()
