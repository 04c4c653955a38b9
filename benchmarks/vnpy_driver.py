"""Measures vn.py 4.x the same way the Tradeterm benchmarks measure Tradeterm.

Runs ONLY inside the separate virtual environment that ``run_all.py`` creates
(vn.py pins its own PySide6 and pulls pandas, TA-Lib and more; it is never a
dependency of Tradeterm). It imports nothing from this repository and copies no
vn.py code: it drives vn.py's public classes (``EventEngine``, ``ChartWidget``
with ``CandleItem``/``VolumeItem``, ``TickMonitor``) from the outside and prints
one JSON object with its figures.

    <vnpy-venv>/bin/python benchmarks/vnpy_driver.py [section ...]

Sections: events, chart, painted (default: all).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = tempfile.mkdtemp(prefix="vnpy-bench-")
os.environ["HOME"] = _HOME  # vn.py writes settings under ~/.vntrader: keep them out of the way
os.chdir(_HOME)

import numpy as np  # noqa: E402
import vnpy  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer, Signal  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget  # noqa: E402
from vnpy.event import Event, EventEngine  # noqa: E402
from vnpy.trader.constant import Exchange, Interval  # noqa: E402
from vnpy.trader.object import BarData, TickData  # noqa: E402

WIDTH, HEIGHT = 1600, 900
SIZES = (10_000, 100_000, 1_000_000)
#: Past this many seconds for one step at a size, larger steps are estimated, not run.
BUDGET_S = 20.0

results: dict[str, Any] = {"vnpy": vnpy.__version__}


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))


def process_until(app: QApplication, done: Callable[[], bool], timeout_s: float) -> bool:
    """Run the GUI event loop (blocking in it, as an app does) until ``done()``."""
    end = time.perf_counter() + timeout_s
    loop = QEventLoop()
    check = QTimer()
    check.timeout.connect(lambda: loop.quit() if done() or time.perf_counter() > end else None)
    check.start(10)
    if not done():
        loop.exec()
    check.stop()
    return done()


def sleep_until(due: float) -> None:
    """Pace a producer without spinning (a spin would hold the GIL from the GUI thread)."""
    delay = due - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


# -- event engine ------------------------------------------------------------------


class Relay(QObject):
    """vn.py's own widget pattern: the engine thread emits one queued signal per event."""

    signal = Signal(Event)


def bench_events(app: QApplication) -> None:
    # EventEngine throughput: put N events, one handler, until all processed.
    n = 200_000
    ee = EventEngine(interval=1)
    seen = [0]

    def handler(event: Event) -> None:
        seen[0] += 1

    ee.register("eTick", handler)
    ee.start()
    t0 = time.perf_counter()
    for i in range(n):
        ee.put(Event("eTick", i))
    while seen[0] < n:
        time.sleep(0.001)
    results["event_engine_per_s"] = n / (time.perf_counter() - t0)
    ee.stop()

    # In-thread dispatch to 5 subscribers (its _process: what the engine thread runs per event).
    ee = EventEngine(interval=1)
    for _ in range(5):
        ee.register("eTick", lambda event: None)
    event = Event("eTick", 1)
    runs = 200_000
    t0 = time.perf_counter_ns()
    for _ in range(runs):
        ee._process(event)
    results["dispatch_5_ns"] = (time.perf_counter_ns() - t0) / runs

    # Engine -> GUI in a burst: every event becomes one queued signal to the GUI thread.
    n = 100_000
    ee = EventEngine(interval=1)
    relay = Relay()
    got = [0]
    relay.signal.connect(lambda event: got.__setitem__(0, got[0] + 1))
    ee.register("eTick", relay.signal.emit)
    ee.start()
    t0 = time.perf_counter()
    for i in range(n):
        ee.put(Event("eTick", i))
    process_until(app, lambda: got[0] >= n, 120)
    results["gui_burst_per_s"] = got[0] / (time.perf_counter() - t0)
    ee.stop()

    # Engine -> GUI latency at a paced rate.
    for rate in (1_000, 10_000):
        latencies = paced_latency(app, rate, seconds=2.0)
        results[f"gui_latency_{rate}_p50_ms"] = pct(latencies, 50)
        results[f"gui_latency_{rate}_p99_ms"] = pct(latencies, 99)


def paced_latency(app: QApplication, rate: int, seconds: float) -> list[float]:
    ee = EventEngine(interval=1)
    relay = Relay()
    latencies: list[float] = []
    relay.signal.connect(lambda event: latencies.append((time.perf_counter() - event.data) * 1000))
    ee.register("eTick", relay.signal.emit)
    ee.start()
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    def produce() -> None:
        for i in range(total):
            due = start + i / rate
            sleep_until(due)
            ee.put(Event("eTick", due))

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    process_until(app, lambda: len(latencies) >= total, seconds * 20 + 10)
    producer.join()
    ee.stop()
    return latencies


# -- chart -------------------------------------------------------------------------


def make_bars(n: int) -> list[BarData]:
    rng = np.random.default_rng(7)
    close = 1.08 + np.cumsum(rng.normal(0.0, 0.0002, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + rng.random(n) * 0.0002
    low = np.minimum(open_, close) - rng.random(n) * 0.0002
    volume = rng.integers(1, 500, n)
    start = datetime(2020, 1, 1)
    minute = timedelta(minutes=1)
    return [
        BarData(
            symbol="EURUSD",
            exchange=Exchange.LOCAL,
            datetime=start + i * minute,
            interval=Interval.MINUTE,
            volume=float(volume[i]),
            open_price=float(open_[i]),
            high_price=float(high[i]),
            low_price=float(low[i]),
            close_price=float(close[i]),
            gateway_name="BENCH",
        )
        for i in range(n)
    ]


def new_chart() -> Any:
    from vnpy.chart import CandleItem, ChartWidget, VolumeItem

    chart = ChartWidget()
    chart.add_plot("candle", hide_x_axis=True)
    chart.add_plot("volume", maximum_height=200)
    chart.add_item(CandleItem, "candle", "candle")
    chart.add_item(VolumeItem, "volume", "volume")
    chart.add_cursor()
    chart.resize(WIDTH, HEIGHT)
    chart.show()
    return chart


def render_ms(app: QApplication, chart: Any, image: QImage, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        QWidget.render(chart, image)
        samples.append((time.perf_counter() - t0) * 1000)
        app.processEvents()
    return float(np.median(samples))


def bench_chart(app: QApplication) -> None:
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32_Premultiplied)
    all_visible_s = 0.0
    for n in SIZES:
        bars = make_bars(n)
        chart = new_chart()
        app.processEvents()
        t0 = time.perf_counter()
        chart.update_history(bars)
        results[f"chart_load_{n}_ms"] = (time.perf_counter() - t0) * 1000
        chart._bar_count = 100  # its own zoom state: 100 bars at the right edge
        chart.move_to_right()
        QWidget.render(chart, image)  # first paint draws and caches the visible bars' pictures
        results[f"chart_repaint_100_{n}_ms"] = render_ms(app, chart, image, 5)
        if all_visible_s * (n / (n // 10 or 1)) < BUDGET_S * 3:
            chart._bar_count = n
            chart._update_x_range()
            t0 = time.perf_counter()
            QWidget.render(chart, image)  # the first paint with every bar visible draws them all
            all_visible_s = time.perf_counter() - t0
            results[f"chart_repaint_all_{n}_ms"] = all_visible_s * 1000
            results[f"chart_repaint_all_cached_{n}_ms"] = render_ms(app, chart, image, 3)
            chart._bar_count = 100
            chart.move_to_right()
        else:
            results[f"chart_repaint_all_{n}_skipped"] = (
                f"not run: about {all_visible_s * 10:.0f} s by the {n // 10:,}-bar figure"
            )
        last = bars[-1]
        runs = 200 if n <= 10_000 else 40 if n <= 100_000 else 8
        samples = []
        for i in range(runs):
            bar = BarData(
                symbol=last.symbol,
                exchange=last.exchange,
                datetime=last.datetime,
                interval=last.interval,
                volume=last.volume + i,
                open_price=last.open_price,
                high_price=last.high_price + 0.0001,
                low_price=last.low_price,
                close_price=last.close_price + 0.00005 * (i % 3),
                gateway_name="BENCH",
            )
            t0 = time.perf_counter()
            chart.update_bar(bar)
            samples.append((time.perf_counter() - t0) * 1000)
        results[f"chart_tick_{n}_p50_ms"] = pct(samples, 50)
        results[f"chart_tick_{n}_p99_ms"] = pct(samples, 99)
        samples = []
        for i in range(runs):
            bar = BarData(
                symbol=last.symbol,
                exchange=last.exchange,
                datetime=last.datetime + timedelta(minutes=i + 1),
                interval=last.interval,
                volume=1.0,
                open_price=last.close_price,
                high_price=last.close_price + 0.0001,
                low_price=last.close_price - 0.0001,
                close_price=last.close_price,
                gateway_name="BENCH",
            )
            t0 = time.perf_counter()
            chart.update_bar(bar)
            samples.append((time.perf_counter() - t0) * 1000)
        results[f"chart_newbar_{n}_p50_ms"] = pct(samples, 50)
        results[f"chart_newbar_{n}_p99_ms"] = pct(samples, 99)
        chart.hide()  # (pyqtgraph's PlotWidget.close() fails on vn.py's layout)
        chart.deleteLater()
        app.processEvents()
        del bars


# -- tick -> painted frame ---------------------------------------------------------


class PaintProbe(QObject):
    """Runs a scroll area's viewport paint itself, then reports when it ENDED.

    Installed on the viewport; the paint is dispatched through the scroll
    area's ``viewportEvent`` exactly as Qt would, so nothing is skipped.
    """

    def __init__(self, area: QAbstractScrollArea, on_painted: Callable[[float], None]) -> None:
        super().__init__()
        self._area = area
        self._on_painted = on_painted
        self._inside = False
        area.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._inside:
            self._inside = True
            try:
                self._area.viewportEvent(event)
            finally:
                self._inside = False
            self._on_painted(time.perf_counter())
            return True
        return False


def bench_painted(app: QApplication) -> None:
    for rate in (1_000, 10_000):
        painted_once(app, rate)


def painted_once(app: QApplication, rate: int, seconds: float = 3.0) -> None:
    """vn.py's tick monitor (its market watch) fed ``rate`` ticks/s over 20 symbols."""
    from vnpy.trader.event import EVENT_TICK
    from vnpy.trader.ui.widget import TickMonitor

    symbols = [f"SYM{i:02d}" for i in range(20)]
    ee = EventEngine(interval=1)
    monitor = TickMonitor(None, ee)  # type: ignore[arg-type]  # the main engine is unused
    monitor.resize(1200, 800)
    monitor.show()
    app.processEvents()
    pending: list[float] = []  # creation times of ticks applied but not yet painted
    latencies: list[float] = []

    def on_tick(event: Event) -> None:
        pending.append(event.data.extra["created"])

    def on_painted(at: float) -> None:
        latencies.extend((at - c) * 1000 for c in pending)
        pending.clear()

    monitor.signal.connect(on_tick)
    probe = PaintProbe(monitor, on_painted)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(beat)
    timer.start(5)
    ee.start()
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    def produce() -> None:
        base = datetime(2024, 1, 2, 9)
        for i in range(total):
            due = start + i / rate
            sleep_until(due)
            price = 1.1 + (i % 97) * 1e-5
            tick = TickData(
                symbol=symbols[i % len(symbols)],
                exchange=Exchange.LOCAL,
                datetime=base + timedelta(microseconds=i * 100),
                gateway_name="BENCH",
                last_price=price,
                bid_price_1=price,
                ask_price_1=price + 1e-4,
                volume=float(i),
            )
            tick.extra = {"created": due}
            ee.put(Event(EVENT_TICK, tick))

    producer = threading.Thread(target=produce, daemon=True)
    last[0] = time.perf_counter()
    producer.start()
    process_until(app, lambda: len(latencies) >= total, seconds * 30 + 30)
    timer.stop()
    producer.join()
    ee.stop()
    results[f"painted_{rate}_p99_ms"] = pct(latencies, 99) if latencies else None
    results[f"painted_{rate}_p50_ms"] = pct(latencies, 50) if latencies else None
    results[f"stall_{rate}_ms"] = max(gaps) if gaps else None
    monitor.viewport().removeEventFilter(probe)
    monitor.close()
    monitor.deleteLater()
    app.processEvents()


def main() -> None:
    sections = sys.argv[1:] or ["events", "chart", "painted"]
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    import PySide6

    results["pyside6"] = PySide6.__version__
    for name in sections:
        started = time.perf_counter()
        {"events": bench_events, "chart": bench_chart, "painted": bench_painted}[name](app)
        results[f"{name}_seconds"] = time.perf_counter() - started
    print(json.dumps(results))


if __name__ == "__main__":
    main()
