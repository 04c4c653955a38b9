"""Chart benchmark with indicators and drawing objects: the per-tick and per-frame costs they add.

Run offscreen from the repository root:

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_chart_studies.py [--json]

A 1600x900 ``ChartPanel`` with 1,000,000 M1 bars carries three overlays (SMA 20,
EMA 50, Bollinger 20) and two oscillator panes (RSI 14, MACD 12/26/9):

* *live tick update*: ``ChartPanel.update_bar`` on the forming bar (the candle,
  one ``peek`` per indicator, the repaint requests), p50 and p99 of 2,000 calls;
  *new-bar update* the same when a bar opens (a ``push`` and a ``peek`` each);
* *repaint, all bars visible*: the whole panel (price with overlays, both panes,
  volume) rendered into a QImage, first after a fresh load and zoom (nothing drawn
  before is reused), then again (what live ticks replay);
* 500 drawing objects (trend lines, rays, rectangles, Fibonacci, lines and notes)
  spread over 3,000 visible bars: the whole panel rendered after each step of a
  pan and of a zoom, with and without the objects, so their share shows.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _report import Row, emit
from bench_chart import HEIGHT, SPEC, SYMBOL, TIMEFRAME, WIDTH, make_history, ms, percentiles_us
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from app.domain.market import Bar, BarHistory
from app.ui.panels.chart.objects.model import Anchor, ObjectKind, new_object
from app.ui.panels.chart.objects.store import ObjectStore
from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.studies.spec import validated

BARS = 1_000_000
UPDATE_CALLS = 2_000
RENDER_RUNS = 7
FIRST_PAINT_RUNS = 3
OBJECTS = 500
OBJECT_SPAN = 3_000  # visible bars while panning and zooming among the objects
STEPS = 20
STUDIES = (
    ("sma", {"period": 20}),
    ("ema", {"period": 50}),
    ("bollinger", {"period": 20}),
    ("rsi", {"period": 14}),
    ("macd", {}),
)


def new_panel(app: QApplication, store: ObjectStore) -> ChartPanel:
    panel = ChartPanel()
    panel.resize(WIDTH, HEIGHT)
    panel.set_symbol_spec(SPEC)
    panel.objects.use_store(store)
    panel.show()
    app.processEvents()
    return panel


CPU: list[float] = []
"""The thread's CPU time of each render, beside its wall time (see :func:`render_ms`)."""


def render_ms(app: QApplication, panel: ChartPanel, runs: int) -> list[float]:
    """Wall times of rendering the whole panel; the CPU times go to :data:`CPU`.

    On a machine shared with other jobs the wall time includes waits for a core;
    the thread's CPU time does not, so both are reported."""
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32_Premultiplied)
    out = []
    for _ in range(runs):
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        panel.render(image)
        CPU.append(ms(time.thread_time_ns() - c0))
        out.append(ms(time.perf_counter_ns() - t0))
    return out


def cpu_median(since: int) -> float:
    return float(np.median(CPU[since:]))


def set_view(app: QApplication, panel: ChartPanel, x0: float, x1: float) -> None:
    panel.plot_widget.getPlotItem().getViewBox().setXRange(x0, x1, padding=0)
    app.processEvents()  # the panes follow the x link and fit their y


def bench_ticks(panel: ChartPanel, history: BarHistory) -> dict[str, float]:
    """Ticks and new bars under the app's collector regime (``app/ui/runtime/gc_guard.py``):
    no automatic collection inside an update, the start-up heap frozen."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return _ticks(panel, history)
    finally:
        gc.enable()
        gc.unfreeze()


def _ticks(panel: ChartPanel, history: BarHistory) -> dict[str, float]:
    """p50/p99 of wall time, and p99 of the thread's own CPU time (which a busy machine's
    scheduler cannot stretch: a call preempted half-way waits, but does not work, longer)."""
    rng = np.random.default_rng(1)
    prices = 1.08 + rng.normal(0, 0.0005, UPDATE_CALLS)
    last_time = int(np.asarray(history.time)[-1])
    out: dict[str, float] = {}

    def timed(bars: list[Bar], key: str) -> None:
        wall, cpu = [], []
        for bar in bars:
            w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
            panel.update_bar(bar)
            cpu.append(time.thread_time_ns() - c0)
            wall.append(time.perf_counter_ns() - w0)
        out[f"{key}_p50"], out[f"{key}_p99"] = (v / 1e3 for v in percentiles_us(wall))
        out[f"{key}_cpu_p99"] = percentiles_us(cpu)[1] / 1e3

    ticks = [Bar(SYMBOL, TIMEFRAME, last_time, p, p + 3e-4, p - 3e-4, p, 10.0) for p in prices]
    timed(ticks, "tick")
    opens = last_time + TIMEFRAME.seconds * np.arange(1, UPDATE_CALLS + 1)
    bars = [
        Bar(SYMBOL, TIMEFRAME, int(t), p, p + 3e-4, p - 3e-4, p, 10.0)
        for t, p in zip(opens, prices, strict=True)
    ]
    timed(bars, "newbar")
    return out


def bench_studies(app: QApplication, history: BarHistory, store: ObjectStore) -> dict[str, float]:
    panel = new_panel(app, store)
    for name, params in STUDIES:
        panel.studies.add(validated(name, params))
    out: dict[str, float] = {}
    loads = []
    for _ in range(2):
        t0 = time.perf_counter_ns()
        panel.set_history(history)  # the candles, then every indicator by batch + warm
        loads.append(ms(time.perf_counter_ns() - t0))
    out["load"] = min(loads)
    firsts = []
    for _ in range(FIRST_PAINT_RUNS):
        panel.set_history(history)
        set_view(app, panel, -0.5, BARS - 0.5)
        firsts.extend(render_ms(app, panel, 1))
    out["first_all"] = float(np.median(firsts))
    mark = len(CPU)
    out["repaint_all"] = float(np.median(render_ms(app, panel, RENDER_RUNS)))
    out["repaint_all_cpu"] = cpu_median(mark)
    set_view(app, panel, BARS - 100.5, BARS - 0.5)
    out["repaint_100"] = float(np.median(render_ms(app, panel, RENDER_RUNS)))
    panel.set_history(history)
    out.update(bench_ticks(panel, history))
    panel.close()
    panel.deleteLater()
    app.processEvents()
    return out


def objects_for(history: BarHistory, start: int) -> list:  # type: ignore[type-arg]
    """500 objects of every kind over the bars from ``start`` on."""
    rng = np.random.default_rng(5)
    times = np.asarray(history.time)
    high, low = np.asarray(history.high), np.asarray(history.low)
    kinds = list(ObjectKind)
    out = []
    for k in range(OBJECTS):
        kind = kinds[k % len(kinds)]
        i = start + int(rng.integers(0, OBJECT_SPAN - 60))
        j = i + int(rng.integers(5, 60))
        a = Anchor(int(times[i]), float(low[i]))
        b = Anchor(int(times[j]), float(high[j]))
        anchors = (a,) if kind in (ObjectKind.HLINE, ObjectKind.VLINE, ObjectKind.TEXT) else (a, b)
        out.append(new_object(kind, anchors, text="level" if kind is ObjectKind.TEXT else ""))
    return out


def pan_zoom_ms(
    app: QApplication, panel: ChartPanel, start: float
) -> tuple[float, float, float, float, float]:
    """A whole-panel render after each pan step (p50, p99) and zoom step (p50), wall time;
    then the CPU-time medians of the pans and of the zooms."""
    width = float(OBJECT_SPAN)
    pans = []
    mark = len(CPU)
    for step in range(STEPS):
        x0 = start + step * width * 0.02
        set_view(app, panel, x0, x0 + width)
        pans.extend(render_ms(app, panel, 1))
    pan_cpu = cpu_median(mark)
    zooms = []
    mark = len(CPU)
    for step in range(STEPS):
        scale = 1.0 - step * 0.03
        centre = start + width / 2
        set_view(app, panel, centre - width * scale / 2, centre + width * scale / 2)
        zooms.extend(render_ms(app, panel, 1))
    return (
        float(np.median(pans)),
        float(np.percentile(pans, 99)),
        float(np.median(zooms)),
        pan_cpu,
        cpu_median(mark),
    )


def bench_objects(app: QApplication, history: BarHistory, folder: Path) -> dict[str, float]:
    start = BARS - OBJECT_SPAN - 200
    out: dict[str, float] = {}
    for label, count in (("with", OBJECTS), ("without", 0)):
        store = ObjectStore(folder / label)
        panel = new_panel(app, store)
        panel.set_history(history)
        if count:
            store.set_all(SYMBOL, objects_for(history, start))
        set_view(app, panel, start, start + OBJECT_SPAN)
        render_ms(app, panel, 2)  # warm-up
        figures = pan_zoom_ms(app, panel, start)
        for name, value in zip(
            ("pan_p50", "pan_p99", "zoom_p50", "pan_cpu", "zoom_cpu"), figures, strict=True
        ):
            kind, what = name.split("_")
            out[f"{kind}_{label}_{what}"] = value
        if count:
            out["objects_drawn"] = float(panel.objects.item.drawn)
        panel.close()
        panel.deleteLater()
        app.processEvents()
    return out


def rows(studies: dict[str, float], objects: dict[str, float]) -> list[Row]:
    setup = "3 overlays + 2 panes, 1,000,000 bars"
    return [
        Row(f"load with indicators ({setup})", studies["load"], "ms"),
        Row(f"live tick update p50 ({setup})", studies["tick_p50"], "ms"),
        Row(f"live tick update p99 ({setup})", studies["tick_p99"], "ms", target="< 1 ms"),
        Row("live tick update p99, CPU time of the call", studies["tick_cpu_p99"], "ms"),
        Row(f"new-bar update p50 ({setup})", studies["newbar_p50"], "ms"),
        Row(f"new-bar update p99 ({setup})", studies["newbar_p99"], "ms", target="< 1 ms"),
        Row("new-bar update p99, CPU time of the call", studies["newbar_cpu_p99"], "ms"),
        Row(f"first paint, all bars visible ({setup})", studies["first_all"], "ms"),
        Row(f"repaint, all bars visible ({setup})", studies["repaint_all"], "ms", target="< 25 ms"),
        Row("repaint, all bars visible, CPU time", studies["repaint_all_cpu"], "ms"),
        Row(f"repaint, 100 bars visible ({setup})", studies["repaint_100"], "ms"),
        Row(
            f"pan repaint p50, {OBJECTS} objects ({OBJECT_SPAN:,} bars visible)",
            objects["pan_with_p50"],
            "ms",
            target="< 10 ms",
        ),
        Row(f"pan repaint p99, {OBJECTS} objects", objects["pan_with_p99"], "ms"),
        Row(f"pan repaint, CPU time p50, {OBJECTS} objects", objects["pan_with_cpu"], "ms"),
        Row("pan repaint p50, no objects (same view)", objects["pan_without_p50"], "ms"),
        Row("pan repaint, CPU time p50, no objects", objects["pan_without_cpu"], "ms"),
        Row(
            f"zoom repaint p50, {OBJECTS} objects", objects["zoom_with_p50"], "ms", target="< 10 ms"
        ),
        Row(f"zoom repaint, CPU time p50, {OBJECTS} objects", objects["zoom_with_cpu"], "ms"),
        Row("zoom repaint p50, no objects (same view)", objects["zoom_without_p50"], "ms"),
        Row("zoom repaint, CPU time p50, no objects", objects["zoom_without_cpu"], "ms"),
        Row("objects drawn in the last frame", objects["objects_drawn"], ""),
    ]


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    history = make_history(BARS)
    with tempfile.TemporaryDirectory() as folder:
        studies = bench_studies(app, history, ObjectStore(Path(folder) / "studies"))
        objects = bench_objects(app, history, Path(folder))
    emit("chart with indicators and objects", rows(studies, objects))


if __name__ == "__main__":
    main()
