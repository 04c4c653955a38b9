"""Tick → painted frame in the real main window, and the window's event-loop stall.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_frame_latency.py [--json]

The real ``MainWindow`` (chart, market watch, ticket, positions…) runs on the
real engine thread, fed by a synthetic broker at 1,000 and 10,000 ticks/s
spread over 20 symbols, for a few seconds each, then at 10,000 ticks/s over 200
symbols (a full market watch: most rows are scrolled out of view, so the figure
is how long an applied frame takes to reach the screen while the window keeps
200 rows current). With 20 symbols every symbol is a market-watch row on screen,
so every tick must reach the screen. A tick's latency runs from
the moment it was due at the broker to the END of the first paint of the
market watch after the frame carrying it was applied (Qt paints all dirty
widgets of a window in one pass, the chart included). Meanwhile a 5 ms
``QTimer`` in the GUI thread records the longest gap between its callbacks:
the longest the window could not react to input.

Last, the pause of one full cyclic garbage collection with the main window up,
before and after the app's ``settle`` (its start-up heap frozen): the longest
pause Python itself can add to the GUI thread. Each window is settled as the
app does, and its garbage is freed between runs, outside the measurement.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TRADETERM_HOME", tempfile.mkdtemp(prefix="tradeterm-bench-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _report import Row, emit
from _synthetic import SyntheticBroker
from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractScrollArea, QApplication

from app.domain.frame import MarketFrame
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.ui.main_window import MainWindow
from app.ui.runtime.gc_guard import GuiThreadGarbageCollector

#: (ticks/s, symbols) runs; vn.py is measured on the 20-symbol ones.
RUNS = ((1_000, 20), (10_000, 20), (10_000, 200))
SECONDS = 3.0
BEAT_MS = 5


def run_until(done: Callable[[], bool], timeout_s: float) -> bool:
    end = time.perf_counter() + timeout_s
    loop = QEventLoop()
    check = QTimer()
    check.timeout.connect(lambda: loop.quit() if done() or time.perf_counter() > end else None)
    check.start(10)
    if not done():
        loop.exec()
    check.stop()
    return done()


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


def full_collection_ms(collector: GuiThreadGarbageCollector) -> tuple[float, float, int]:
    """A full cyclic garbage collection with the main window up, before and after ``settle``.

    Median of three each; also how many objects a collection walked before.
    """
    window = MainWindow(EventBus(), default_symbol="S00USD", default_volume=0.1, state_file=None)
    window.resize(1600, 1000)
    window.show()
    run_until(lambda: False, 0.3)

    def pause() -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            gc.collect()
            times.append((time.perf_counter() - started) * 1000)
        return sorted(times)[1]

    walked = len(gc.get_objects())
    before = pause()
    collector.settle()
    after = pause()
    gc.unfreeze()
    window.close()
    window.deleteLater()
    run_until(lambda: False, 0.1)
    gc.collect()
    return before, after, walked


def measure(
    rate: int, symbols: int, collector: GuiThreadGarbageCollector
) -> tuple[float, float, float, int]:
    """p50 and p99 tick→painted (ms), the longest event-loop stall (ms), paints."""
    broker = SyntheticBroker(symbols=symbols, rate=0.0)
    bus = EventBus()
    host = EngineHost(Engine(bus, lambda: broker, poll_interval_ms=1), bus)
    window = MainWindow(bus, default_symbol="S00USD", default_volume=0.1, state_file=None)
    window.resize(1600, 1000)
    window.show()
    applied = [0]  # ticks in frames the window has applied
    painted = [0]  # ticks on screen
    latencies: list[float] = []
    paints = [0]

    def on_frame(frame: MarketFrame) -> None:  # connected after the window's own slot
        applied[0] += frame.tick_count

    def on_painted(at: float) -> None:
        paints[0] += 1
        upto = applied[0]
        if upto > painted[0]:
            created = broker.created
            latencies.extend((at - created[i]) * 1000 for i in range(painted[0], upto))
            painted[0] = upto

    bus.frame.connect(on_frame)
    probe = PaintProbe(window.market_watch, on_painted)  # kept alive until the end
    host.start()
    run_until(lambda: window.chart.bar_count > 0 and window.market_watch_model.rowCount() > 0, 30)
    run_until(lambda: False, 0.3)  # settle: first paints, layout
    collector.settle()  # as the app does once start-up is over
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(beat)
    total = int(rate * SECONDS)
    last[0] = time.perf_counter()
    timer.start(BEAT_MS)
    paints[0] = 0
    broker._rate = rate  # start the market now
    run_until(lambda: painted[0] >= total, SECONDS * 20 + 10)
    timer.stop()
    window.market_watch.viewport().removeEventFilter(probe)
    window.close()
    host.stop()
    window.deleteLater()
    run_until(lambda: False, 0.1)  # let Qt delete the window
    gc.unfreeze()
    gc.collect()  # and free its cycles now, not in the middle of the next run
    lat = np.asarray(latencies[len(latencies) // 20 :])  # skip the first 5 %: warm-up
    return (
        float(np.percentile(lat, 50)),
        float(np.percentile(lat, 99)),
        max(gaps) if gaps else 0.0,
        paints[0],
    )


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert app is not None
    # As in the app: cycles (a closed window's widgets) are freed in the GUI thread only.
    collector = GuiThreadGarbageCollector()
    rows: list[Row] = []
    for rate, symbols in RUNS:
        p50, p99, stall, paints = measure(rate, symbols, collector)
        vnpy = symbols == 20  # vn.py's figures exist for the 20-symbol runs
        rows.append(
            Row(
                f"tick→painted p50 at {rate:,} ticks/s ({symbols} symbols)",
                p50,
                "ms",
                f"painted_{rate}_p50_ms" if vnpy else None,
                note=f"{paints / SECONDS:.0f} paints/s",
            )
        )
        rows.append(
            Row(
                f"tick→painted p99 at {rate:,} ticks/s ({symbols} symbols)",
                p99,
                "ms",
                f"painted_{rate}_p99_ms" if vnpy else None,
                target="< 16.7 ms" if rate == 10_000 and symbols == 20 else "",
            )
        )
        rows.append(
            Row(
                f"event-loop stall (max timer gap) at {rate:,} ticks/s ({symbols} symbols)",
                stall,
                "ms",
                f"stall_{rate}_ms" if vnpy else None,
                target="< 50 ms",
            )
        )
    before, after, walked = full_collection_ms(collector)
    rows.append(
        Row(f"full garbage collection, main window up ({walked:,} objects)", before, "ms", None)
    )
    rows.append(
        Row(
            "full garbage collection, main window up, start-up heap settled",
            after,
            "ms",
            None,
            note="what the app does once the chart has drawn its first history",
        )
    )
    emit("tick to screen", rows)
    collector.stop()


if __name__ == "__main__":
    main()
