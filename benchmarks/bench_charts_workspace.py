"""Eight charts on four symbols at 10,000 ticks/s: tick → painted, and the event-loop stall.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_charts_workspace.py [--json]

The real ``MainWindow`` on the real engine thread, fed by the synthetic broker
at 10,000 ticks/s round robin over 4 symbols, with 8 charts open (each symbol
on M1 and on M5, every chart with its volume pane and two with the one-click
panel), in a 1920×1080 window. Two arrangements of the chart workspace
(``QMdiArea``): all 8 tiled (every chart on screen, every one repaints each
frame) and 8 tabs (one chart on screen; the hidden ones keep their bars
current but paint nothing).

A tick is *painted* when the window's repaint that follows the frame carrying
it has ended with every chart on screen repainted (Qt repaints all dirty
widgets of a window in one pass, on the window's ``UpdateRequest``). Its
latency runs from the moment it was due at the broker to the end of that pass.
Meanwhile a 5 ms ``QTimer`` in the GUI thread records the longest gap between
its callbacks: the longest the window could not react to input. A run with one
chart, measured the same way, comes first: the machine's own baseline.
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
from PySide6.QtWidgets import QApplication, QWidget

from app.domain.frame import MarketFrame
from app.domain.timeframes import Timeframe
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.ui.main_window import MainWindow
from app.ui.runtime.gc_guard import GuiThreadGarbageCollector

RATE = 10_000
SYMBOLS = 4
TIMEFRAMES = (Timeframe.M1, Timeframe.M5)
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


class WindowPaintProbe(QObject):
    """Runs the window's repaint pass itself, then reports when it ENDED.

    Installed before the window's first frame: the filters the window installs
    itself later (it holds back repaint requests while it gathers a frame's
    changes into one repaint) must see the request first, as they do without it.
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__()
        self._window = window
        self.on_painted: Callable[[float], None] = lambda _at: None
        self._inside = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.UpdateRequest and not self._inside:
            self._inside = True
            try:
                self._window.event(event)
            finally:
                self._inside = False
            self.on_painted(time.perf_counter())
            return True
        return False


def measure(
    arrangement: str, collector: GuiThreadGarbageCollector, charts_open: int = 8
) -> tuple[float, float, float]:
    """p50 and p99 tick→painted (ms) and the longest event-loop stall (ms)."""
    broker = SyntheticBroker(symbols=SYMBOLS, rate=0.0)
    bus = EventBus()
    host = EngineHost(Engine(bus, lambda: broker, poll_interval_ms=1), bus)
    window = MainWindow(bus, default_symbol="S00USD", default_volume=0.1, state_file=None)
    probe = WindowPaintProbe(window)
    window.resize(1920, 1080)
    window.show()
    host.start()
    run_until(lambda: bool(window.desk.specs), 30)
    names = sorted(window.desk.specs)[:SYMBOLS]
    window.workspace.active.chart.set_timeframe(Timeframe.M1)
    pairs = [(s, tf) for tf in TIMEFRAMES for s in names][:charts_open]
    for i, (symbol, timeframe) in enumerate(pairs):  # the first chart is open: S00USD M1
        chart = window.workspace.active if i == 0 else window.new_chart(symbol)
        window.show_timeframe(timeframe)
        if i in (0, 5):
            chart.one_click.show()
    window.workspace.arrange(arrangement)
    charts = window.workspace.windows
    run_until(lambda: all(c.chart.bar_count > 0 and c.pending is None for c in charts), 60)
    run_until(lambda: False, 0.5)  # settle: first paints, layout
    collector.settle()

    on_screen = [c for c in charts if c.chart.isVisible() and not c.chart.visibleRegion().isEmpty()]
    applied = [0]
    painted = [0]
    waiting: set[int] = set()
    latencies: list[float] = []
    for index, c in enumerate(on_screen):
        c.chart.frame_painted.connect(lambda index=index: waiting.discard(index))

    def on_frame(frame: MarketFrame) -> None:  # after the window's own slot
        applied[0] += frame.tick_count
        waiting.update(range(len(on_screen)))

    def on_painted(at: float) -> None:
        upto = applied[0]
        if upto > painted[0] and not waiting:
            created = broker.created
            latencies.extend((at - created[i]) * 1000 for i in range(painted[0], upto))
            painted[0] = upto

    bus.frame.connect(on_frame)
    probe.on_painted = on_painted
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(beat)
    total = int(RATE * SECONDS)
    last[0] = time.perf_counter()
    timer.start(BEAT_MS)
    broker._rate = RATE  # start the market now
    run_until(lambda: painted[0] >= total, SECONDS * 20 + 10)
    timer.stop()
    window.removeEventFilter(probe)
    window.close()
    host.stop()
    window.deleteLater()
    run_until(lambda: False, 0.1)
    gc.unfreeze()
    gc.collect()
    lat = np.asarray(latencies[len(latencies) // 20 :])  # skip the first 5 %: warm-up
    if lat.size == 0:
        return float("nan"), float("nan"), max(gaps) if gaps else 0.0
    return float(np.percentile(lat, 50)), float(np.percentile(lat, 99)), max(gaps, default=0.0)


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert app is not None
    collector = GuiThreadGarbageCollector()
    rows: list[Row] = []
    runs = (
        ("tabs", 1, "1 chart (the desk as before)"),
        ("tile", 8, "8 charts tiled"),
        ("tabs", 8, "8 charts in tabs"),
    )
    for arrangement, charts_open, label in runs:
        p50, p99, stall = measure(arrangement, collector, charts_open)
        where = f"{label}, {SYMBOLS} symbols, {RATE:,} ticks/s"
        rows.append(Row(f"tick→painted p50, {where}", p50, "ms"))
        rows.append(Row(f"tick→painted p99, {where}", p99, "ms", target="< 16.7 ms"))
        rows.append(
            Row(f"event-loop stall (max timer gap), {where}", stall, "ms", target="< 50 ms")
        )
    emit("chart workspace", rows)
    collector.stop()


if __name__ == "__main__":
    main()
