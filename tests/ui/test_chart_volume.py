"""Volume columns in their pane under the price, checked on the pixels the trader sees."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.market import Bar, BarHistory
from app.ui.panels.chart.candles import DOWN_COLOR, UP_COLOR
from app.ui.panels.chart.palette import DARK, muted
from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.volume import LIVE_ROOM, VOLUME_BAND
from tests.specs import fx_spec as spec
from tests.ui.test_chart import START, TF, shown

UP_VOLUME = muted(UP_COLOR, DARK.background)
DOWN_VOLUME = muted(DOWN_COLOR, DARK.background)


def staircase(volumes: list[float]) -> BarHistory:
    """A steady climb, so every candle sits well above the volume band.

    Even bars close up, odd bars close down; bar ``i`` has ``volumes[i]``.
    """
    n = len(volumes)
    base = 1.0 + 0.01 * np.arange(n)
    up = np.arange(n) % 2 == 0
    open_ = np.where(up, base, base + 0.005)
    close = np.where(up, base + 0.005, base)
    times = START + np.arange(n, dtype=np.int64) * TF.seconds
    return BarHistory(
        "EURUSD", TF, times, open_, base + 0.006, base - 0.001, close, np.asarray(volumes)
    )


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[ChartPanel]:
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.resize(900, 500)
    chart.set_symbol_spec(spec())
    yield chart


def on_screen(qtbot: QtBot, panel: ChartPanel, change: Callable[[], object]) -> QImage:
    """What the window shows after ``change`` was painted (not a fresh render).

    A live tick repaints only part of the chart; grabbing the window's
    backing store shows whether that part was enough.
    """
    with qtbot.waitSignal(panel.frame_painted, timeout=5000):
        change()
    QApplication.processEvents()  # the volume pane's own repaint follows the price pane's
    return panel.screen().grabWindow(panel.winId()).toImage()


def settle(qtbot: QtBot, panel: ChartPanel) -> None:
    """Wait out the repaints that follow a zoom (the axes settle their width)."""
    while True:
        with qtbot.waitSignal(panel.frame_painted, timeout=300, raising=False) as blocker:
            pass
        if not blocker.signal_triggered:
            return


def pixel_x(panel: ChartPanel, index: float) -> int:
    """The panel's pixel column of a bar's centre."""
    return to_panel(panel, QPointF(index, view_range(panel)[1][0])).x()


def to_panel(panel: ChartPanel, point: QPointF) -> QPoint:
    widget = panel.plot_widget
    scene = widget.getPlotItem().getViewBox().mapViewToScene(point)
    return widget.viewport().mapTo(panel, widget.mapFromScene(scene))


def show_all(panel: ChartPanel) -> None:
    panel.plot_widget.getPlotItem().getViewBox().setXRange(-0.5, panel.bar_count - 0.5, padding=0)


def view_range(panel: ChartPanel) -> list[list[float]]:
    ranges: list[list[float]] = panel.plot_widget.getPlotItem().getViewBox().viewRange()
    return ranges


def column_height(image: QImage, x: int) -> int:
    """How many pixels of volume colour the image has in pixel column ``x``."""
    pixels = pg.imageToArray(image.convertToFormat(QImage.Format.Format_ARGB32), copy=True)
    column = pixels[x, :, :3]  # imageToArray is indexed [x, y]
    return int(
        sum(
            np.all(column == (c.blue(), c.green(), c.red()), axis=-1).sum()
            for c in (UP_VOLUME, DOWN_VOLUME)
        )
    )


def band_pixels(panel: ChartPanel) -> float:
    view = panel.volume_widget.getPlotItem().getViewBox()
    return float(view.sceneBoundingRect().height()) * VOLUME_BAND


def pane_bottom(panel: ChartPanel) -> int:
    """The panel's pixel row of the volume pane's baseline."""
    widget = panel.volume_widget
    scene = widget.getPlotItem().getViewBox().mapViewToScene(QPointF(0, 0))
    return widget.viewport().mapTo(panel, widget.mapFromScene(scene)).y()


def heights(panel: ChartPanel, image: QImage, *bars: int) -> list[int]:
    return [column_height(image, pixel_x(panel, i)) for i in bars]


def test_columns_rise_in_proportion_and_the_tallest_fills_the_band(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    volumes = [40.0] * 150
    volumes[140], volumes[141] = 100.0, 50.0
    panel.set_history(staircase(volumes))
    with qtbot.waitSignal(panel.painted, timeout=2000):
        shown(qtbot, panel)
    image = panel.grab().toImage()
    tallest, half, usual = heights(panel, image, 140, 141, 139)
    band = band_pixels(panel)
    assert tallest == pytest.approx(band, abs=2)
    assert half == pytest.approx(band / 2, abs=2)
    assert usual == pytest.approx(band * 0.4, abs=2)
    # Up bars get the muted up colour, down bars the muted down colour.
    bottom = pane_bottom(panel) - 2
    assert image.pixelColor(pixel_x(panel, 140), bottom) == UP_VOLUME
    assert image.pixelColor(pixel_x(panel, 141), bottom) == DOWN_VOLUME


def test_a_live_column_grows_and_rescales_the_band_with_room_when_it_outgrows_it(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    volumes = [40.0] * 150
    volumes[140] = 100.0
    volumes[149] = 20.0
    panel.set_history(staircase(volumes))
    with qtbot.waitSignal(panel.painted, timeout=2000):
        shown(qtbot, panel)
    band = band_pixels(panel)
    t, o, h, low, c, _ = panel.last_bar()  # type: ignore[misc]

    def live(volume: float) -> QImage:
        return on_screen(
            qtbot, panel, lambda: panel.update_bar(Bar("EURUSD", TF, t, o, h, low, c, volume))
        )

    image = live(60.0)
    assert heights(panel, image, 149, 140) == pytest.approx([band * 0.6, band], abs=2)

    # The live bar outgrows the band: every column shrinks to a scale that leaves
    # the live column LIVE_ROOM of the band to grow into.
    image = live(200.0)
    scale = 200.0 / (1 - LIVE_ROOM)
    expected = [band * 200 / scale, band * 100 / scale, band * 40 / scale]
    assert heights(panel, image, 149, 140, 130) == pytest.approx(expected, abs=2)

    # Growing within that room moves the live column only; the others keep their height.
    image = live(240.0)
    expected = [band * 240 / scale, band * 100 / scale, band * 40 / scale]
    assert heights(panel, image, 149, 140, 130) == pytest.approx(expected, abs=2)
    assert panel.volume.scale == pytest.approx(scale)

    # A pan fits the band to the tallest visible column again.
    image = on_screen(qtbot, panel, lambda: panel.scroll_to_latest(100))
    assert heights(panel, image, 149, 140) == pytest.approx([band, band * 100 / 240], abs=2)


def test_zoomed_out_columns_sum_the_volume_of_each_pixel(qtbot: QtBot, panel: ChartPanel) -> None:
    n = 200_000
    # Left half: every other bar trades; right half: every bar. Same largest bar.
    bars = np.arange(n)
    volumes = np.where((bars >= n // 2) | (bars % 2 == 0), 1.0, 0.0)
    panel.set_history(staircase(list(volumes)))
    shown(qtbot, panel)
    image = on_screen(qtbot, panel, lambda: show_all(panel))
    band = band_pixels(panel)
    quiet, busy = heights(panel, image, n // 4, 3 * n // 4)
    # Each column is the sum over its bars, not the largest bar: twice the trades, twice as tall.
    assert busy == pytest.approx(band, abs=2)
    assert quiet == pytest.approx(band / 2, abs=2)
    left, right = pixel_x(panel, 0), pixel_x(panel, n - 1)
    filled = sum(column_height(image, x) > 0 for x in range(left, right + 1))
    assert filled >= 0.95 * (right - left + 1)  # a column per pixel, no gaps


def test_a_live_tick_rebuilds_only_the_newest_column(qtbot: QtBot, panel: ChartPanel) -> None:
    """Settled columns are replayed; the per-tick cost does not grow with the history."""
    n = 1_000_000
    panel.set_history(staircase([1.0] * n))
    shown(qtbot, panel)
    on_screen(qtbot, panel, lambda: show_all(panel))
    settle(qtbot, panel)
    built: list[tuple[int, int, int]] = []
    volume = panel.volume
    build: Callable[[int, int, int], object] = volume._build

    def recording_build(i0: int, i1: int, group: int) -> object:
        built.append((i0, i1, group))
        return build(i0, i1, group)

    t, o, h, low, c, v = panel.last_bar()  # type: ignore[misc]
    for extra in (1, 2, 3):  # the first ticks' repaint strips may be new to the memo
        if extra == 3:
            volume._build = recording_build  # type: ignore[method-assign]
        live = Bar("EURUSD", TF, t, o, h, low, c, v + extra)
        on_screen(qtbot, panel, lambda bar=live: panel.update_bar(bar))  # type: ignore[misc]
    assert built, "the live column was not repainted"
    # one column: the bars that share the newest pixel (how many depends on the width)
    assert all(i1 == n and i1 - i0 <= group < n / 100 for i0, i1, group in built), built


def test_the_live_bar_is_built_exactly_as_the_whole_history_builds_it(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    """The newest bar (or pixel column of bars) has a fast path, rebuilt every frame: it must
    draw the same."""
    volumes = [40.0, float("nan"), 7.5, 0.0, 12.0, 3.0]
    history = staircase(volumes)
    history.close[3] = history.open[3]  # a doji
    history.close[4], history.open[4] = history.open[4], history.close[4]  # up and down
    history.high[5] = history.low[5] = history.open[5] = history.close[5] = float("nan")
    panel.set_history(history)
    candles, volume = panel.candles, panel.volume

    def same(*values: float) -> tuple[float | str, ...]:
        return tuple("nan" if v != v else v for v in values)  # NaN equals NaN here

    def plain(primitives: list) -> list:  # type: ignore[type-arg]
        return [
            (
                pen.color().name(),
                brush.color().name() if brush is not None else None,
                [same(ln.x1(), ln.y1(), ln.x2(), ln.y2()) for ln in lines],
                [same(r.x(), r.y(), r.width(), r.height()) for r in rects],
            )
            for pen, brush, lines, rects in primitives
        ]

    for i in range(len(volumes)):
        assert plain(candles._build(i, i + 1, 1)) == plain(candles._candle_primitives(i, i + 1))
        assert plain(volume._build(i, i + 1, 1)) == plain(volume._columns_of(i, i + 1, 1))
        whole = volume._sums(i, i + 1, 1)
        expected = 0.0 if np.all(np.isnan(whole)) else float(np.nanmax(whole))
        assert volume._peak(i, i + 1, 1) == expected
    # Zoomed out, the live column is a group of bars (a partial one while the group fills).
    for group in (2, 3, 4):
        for i0 in range(0, len(volumes), group):
            for i1 in range(i0 + 1, min(i0 + group, len(volumes)) + 1):
                fast, numpy_built = candles._build(i0, i1, group), candles._envelope_primitives
                assert plain(fast) == plain(numpy_built(i0, i1, group))
                assert plain(volume._build(i0, i1, group)) == plain(
                    volume._columns_of(i0, i1, group)
                )
                whole = volume._sums(i0, i1, group)
                expected = 0.0 if np.all(np.isnan(whole)) else float(np.nanmax(whole))
                assert volume._peak(i0, i1, group) == expected
