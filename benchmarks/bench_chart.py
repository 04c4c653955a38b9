"""Chart benchmark: shows that per-frame and per-update costs do not grow with history.

Run offscreen from the repository root:

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_chart.py [--json]

For 10k / 100k / 1M bars it renders a 1600x900 ``ChartPanel`` (candles and
volume) into a QImage and prints a markdown table. A *first paint* follows a
fresh load and zoom, so nothing drawn before is reused; a *repaint* draws the
same view again, as live ticks do. Update timings cover ``ChartPanel.update_bar`` alone
(data change, y-fit, readout, and the repaint *request*); the repaint itself is
measured separately. "load" is ``set_history`` (copy into the item's buffers and
fit the view); the renders draw the whole panel into a QImage.
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
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from app.domain.market import Bar, BarHistory
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.ui.panels.chart.panel import ChartPanel

SIZES = (10_000, 100_000, 1_000_000)
WIDTH, HEIGHT = 1600, 900
RENDER_RUNS = 7
FIRST_PAINT_RUNS = 5
SET_DATA_RUNS = 3
UPDATE_CALLS = 2_000
SYMBOL = "EURUSD"
TIMEFRAME = Timeframe.M1
SPEC = SymbolSpec(
    name=SYMBOL,
    description="Euro vs US Dollar",
    digits=5,
    point=0.00001,
    contract_size=100_000,
    volume_min=0.01,
    volume_max=100,
    volume_step=0.01,
    base_currency="EUR",
    profit_currency="USD",
)


def make_history(n: int, seed: int = 7) -> BarHistory:
    """A random walk of M1 bars, so the chart has realistic wicks and both colours."""
    rng = np.random.default_rng(seed)
    close = 1.08 + np.cumsum(rng.normal(0.0, 0.0002, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + rng.random(n) * 0.0002
    low = np.minimum(open_, close) - rng.random(n) * 0.0002
    start = TIMEFRAME.bar_open(1_700_000_000)
    times = start + np.arange(n, dtype=np.int64) * TIMEFRAME.seconds
    volume = rng.integers(1, 500, n).astype(np.float64)
    return BarHistory(SYMBOL, TIMEFRAME, times, open_, high, low, close, volume)


def ms(ns: float) -> float:
    return ns / 1e6


def timed_ns(fn: Callable[[], object], runs: int) -> list[int]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return samples


def render_p50_ms(app: QApplication, panel: ChartPanel, x0: float, x1: float) -> float:
    """Median time to render the whole panel into a 1600x900 image with this x range."""
    panel.plot_widget.getPlotItem().getViewBox().setXRange(x0, x1, padding=0)
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32_Premultiplied)

    def render() -> None:
        panel.render(image)

    render()  # warm-up: lets axes settle their width
    app.processEvents()
    return ms(float(np.median(timed_ns(render, RENDER_RUNS))))


def first_paint_p50_ms(
    app: QApplication, panel: ChartPanel, history: BarHistory, x0: float, x1: float
) -> float:
    """Median time of the first render after loading the history and zooming to ``[x0, x1]``.

    Nothing drawn before is reused (the loaded bars are new to the chart's
    memos), so this is the cost of the first frame after a load, a zoom or a
    pan; the plain repaint figures replay what the previous frame built.
    """
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32_Premultiplied)
    samples = []
    for _ in range(FIRST_PAINT_RUNS):
        panel.set_history(history)
        panel.plot_widget.getPlotItem().getViewBox().setXRange(x0, x1, padding=0)
        app.processEvents()
        samples.extend(timed_ns(lambda: panel.render(image), 1))
    return ms(float(np.median(samples)))


def percentiles_us(samples: list[int]) -> tuple[float, float]:
    arr = np.asarray(samples, dtype=np.float64) / 1e3
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def bench_updates(panel: ChartPanel, history: BarHistory) -> dict[str, tuple[float, float]]:
    """p50/p99 of live-update calls, on the item alone and through ``update_bar``."""
    item = panel.candles
    rng = np.random.default_rng(1)
    prices = 1.08 + rng.normal(0, 0.0005, UPDATE_CALLS)
    results: dict[str, tuple[float, float]] = {}

    samples = []
    for p in prices:
        t0 = time.perf_counter_ns()
        item.update_last(p, p + 0.0003, p - 0.0003, p, 10.0)
        samples.append(time.perf_counter_ns() - t0)
    results["item.update_last"] = percentiles_us(samples)

    panel.set_history(history)
    last_time = int(np.asarray(history.time)[-1])
    samples = []
    for p in prices:
        bar = Bar(SYMBOL, TIMEFRAME, last_time, p, p + 0.0003, p - 0.0003, p, 10.0)
        t0 = time.perf_counter_ns()
        panel.update_bar(bar)
        samples.append(time.perf_counter_ns() - t0)
    results["panel.update_bar (same time)"] = percentiles_us(samples)

    samples = []
    t = last_time
    for p in prices:
        t += TIMEFRAME.seconds
        t0 = time.perf_counter_ns()
        item.append(t, p, p + 0.0003, p - 0.0003, p, 10.0)
        samples.append(time.perf_counter_ns() - t0)
    results["item.append"] = percentiles_us(samples)

    panel.set_history(history)  # view follows the right edge again
    samples = []
    t = last_time
    for p in prices:
        t += TIMEFRAME.seconds
        bar = Bar(SYMBOL, TIMEFRAME, t, p, p + 0.0003, p - 0.0003, p, 10.0)
        t0 = time.perf_counter_ns()
        panel.update_bar(bar)
        samples.append(time.perf_counter_ns() - t0)
    results["panel.update_bar (new bar, following)"] = percentiles_us(samples)
    return results


def bench_size(app: QApplication, n: int) -> dict[str, float]:
    """Figures for one history size, keyed like the vn.py driver's."""
    history = make_history(n)
    panel = ChartPanel()
    panel.resize(WIDTH, HEIGHT)
    panel.set_symbol_spec(SPEC)
    panel.show()
    app.processEvents()
    out: dict[str, float] = {}
    out[f"chart_load_{n}_ms"] = ms(
        float(np.median(timed_ns(lambda: panel.set_history(history), SET_DATA_RUNS)))
    )
    out[f"chart_repaint_100_{n}_ms"] = render_p50_ms(app, panel, n - 100.5, n - 0.5)
    out[f"chart_repaint_all_{n}_ms"] = first_paint_p50_ms(app, panel, history, -0.5, n - 0.5)
    out[f"chart_repaint_all_cached_{n}_ms"] = render_p50_ms(app, panel, -0.5, n - 0.5)
    panel.set_history(history)
    updates = bench_updates(panel, history)
    tick = updates["panel.update_bar (same time)"]
    new_bar = updates["panel.update_bar (new bar, following)"]
    out[f"chart_tick_{n}_p50_ms"], out[f"chart_tick_{n}_p99_ms"] = tick[0] / 1e3, tick[1] / 1e3
    out[f"chart_newbar_{n}_p50_ms"] = new_bar[0] / 1e3
    out[f"chart_newbar_{n}_p99_ms"] = new_bar[1] / 1e3
    panel.close()
    panel.deleteLater()
    app.processEvents()
    return out


def rows(figures: dict[str, float]) -> list[Row]:
    out = []
    for n in SIZES:
        out.append(
            Row(f"chart load {n:,} bars", figures[f"chart_load_{n}_ms"], "ms", f"chart_load_{n}_ms")
        )
    for n in SIZES:
        out.append(
            Row(
                f"repaint, 100 bars visible ({n:,} history)",
                figures[f"chart_repaint_100_{n}_ms"],
                "ms",
                f"chart_repaint_100_{n}_ms",
            )
        )
    for n in SIZES:
        out.append(
            Row(
                f"first paint, all {n:,} bars visible",
                figures[f"chart_repaint_all_{n}_ms"],
                "ms",
                f"chart_repaint_all_{n}_ms",
                target="< 25 ms" if n == 1_000_000 else "",
            )
        )
    for n in SIZES:
        out.append(
            Row(
                f"repaint, all {n:,} bars visible",
                figures[f"chart_repaint_all_cached_{n}_ms"],
                "ms",
                f"chart_repaint_all_cached_{n}_ms",
                target="< 25 ms" if n == 1_000_000 else "",
            )
        )
    for n in SIZES:
        for kind, label in (("tick", "live tick update"), ("newbar", "new-bar update")):
            for q in ("p50", "p99"):
                key = f"chart_{kind}_{n}_{q}_ms"
                out.append(
                    Row(
                        f"{label} {q} at {n:,} bars",
                        figures[key],
                        "ms",
                        key,
                        target="< 1 ms" if n == 1_000_000 else "",
                    )
                )
    return out


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    figures: dict[str, float] = {}
    for n in SIZES:
        figures.update(bench_size(app, n))
    emit("chart", rows(figures))


if __name__ == "__main__":
    main()
