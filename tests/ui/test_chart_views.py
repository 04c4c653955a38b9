"""The chart on every timeframe: full history, fitted axes, readable labels, its own volume pane."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from itertools import combinations

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.market import BarHistory
from app.domain.timeframes import Timeframe
from app.ui.panels.chart.panel import INITIAL_VISIBLE_BARS, ChartPanel
from tests.specs import fx_spec as spec
from tests.ui.conftest import Terminal

HH_MM = re.compile(r"^\d\d:\d\d$")
DAY = re.compile(r"^\d{1,2} [A-Z][a-z]{2}$")
MONTH = re.compile(r"^[A-Z][a-z]{2}$")
YEAR = re.compile(r"^\d{4}$")


def bars(timeframe: Timeframe, n: int, seed: int = 3) -> BarHistory:
    rng = np.random.default_rng(seed)
    close = 1.08 + np.cumsum(rng.normal(0, 3e-4, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + rng.random(n) * 3e-4
    low = np.minimum(open_, close) - rng.random(n) * 3e-4
    end = timeframe.bar_open(1_767_225_600)  # 2026-01-01
    times = end - timeframe.seconds * np.arange(n - 1, -1, -1, dtype=np.int64)
    volume = rng.integers(1, 100, n).astype(np.float64)
    return BarHistory("EURUSD", timeframe, times, open_, high, low, close, volume)


def chart_of(qtbot: QtBot, timeframe: Timeframe, n: int) -> ChartPanel:
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.resize(900, 500)
    chart.set_symbol_spec(spec())
    chart.set_timeframe(timeframe)
    chart.set_history(bars(timeframe, n))
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def time_labels(chart: ChartPanel) -> list[tuple[QRectF, str]]:
    """The time axis' labels as it would draw them now, with their rectangles."""
    axis = chart.time_axis
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    assert specs is not None
    _axis, _ticks, texts = specs
    return [(QRectF(rect), text) for rect, _flags, text in texts if text]


def overlapping(rects: list[QRectF]) -> list[tuple[QRectF, QRectF]]:
    return [(a, b) for a, b in combinations(rects, 2) if a.intersects(b)]


@pytest.mark.parametrize("timeframe", list(Timeframe), ids=lambda tf: tf.name)
def test_time_labels_never_overlap_and_read_at_the_scale_shown(
    qtbot: QtBot, timeframe: Timeframe
) -> None:
    chart = chart_of(qtbot, timeframe, 3000)
    for visible in (12, 40, INITIAL_VISIBLE_BARS, 700, 3000):
        chart.scroll_to_latest(visible)
        QApplication.processEvents()
        labels = time_labels(chart)
        assert len(labels) >= 2, (visible, labels)
        assert not overlapping([rect for rect, _ in labels]), (visible, labels)
        texts = [text for _, text in labels]
        span = visible * timeframe.seconds
        assert all(
            HH_MM.match(t) or DAY.match(t) or MONTH.match(t) or YEAR.match(t) for t in texts
        ), texts
        if span <= 86_400 // 2:  # within a day: times of day
            assert any(HH_MM.match(t) for t in texts), texts
        if span >= 2 * 365 * 86_400:  # across years: months and years, no times
            assert any(YEAR.match(t) for t in texts) and not any(HH_MM.match(t) for t in texts)


def test_few_bars_in_a_wide_view_still_get_readable_labels(qtbot: QtBot) -> None:
    """40 H1 bars at the right of a 150-bar view: the labels are spaced for their pixels."""
    chart = chart_of(qtbot, Timeframe.H1, 40)
    chart.scroll_to_latest(150)
    QApplication.processEvents()
    labels = time_labels(chart)
    assert len(labels) >= 2 and not overlapping([r for r, _ in labels]), labels


# -- the whole window on the paper broker ----------------------------------------------


def visible_bars(chart: ChartPanel) -> int:
    x0, x1 = chart.x_range()
    return max(0, min(chart.bar_count, int(x1) + 1) - max(0, int(np.ceil(x0))))


def fitted(chart: ChartPanel) -> bool:
    """Every visible candle inside the price axis, and the axis not much looser than them."""
    x0, x1 = chart.x_range()
    bounds = chart.candles.visible_y_range(x0, x1)
    if bounds is None:
        return False
    low, high = bounds
    y0, y1 = chart.y_range()
    return y0 <= low and high <= y1 and (y1 - y0) <= 1.5 * (high - low)


def test_every_timeframe_opens_with_a_screen_of_history_and_a_fitted_price_axis(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    for timeframe in (*reversed(Timeframe), Timeframe.H1):
        w.show_timeframe(timeframe)
        need = 500 if timeframe is Timeframe.D1 else INITIAL_VISIBLE_BARS
        qtbot.waitUntil(
            lambda tf=timeframe, n=need: w.chart.timeframe is tf and w.chart.bar_count >= n,
            timeout=5000,
        )
        assert visible_bars(w.chart) >= INITIAL_VISIBLE_BARS - 1, timeframe
        qtbot.waitUntil(lambda: fitted(w.chart), timeout=2000)
        times = w.chart.candles.time
        assert (times % timeframe.seconds == 0).all() and (np.diff(times) > 0).all()


def test_the_volume_pane_sits_under_the_price_and_can_be_resized_or_hidden(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    chart = w.chart
    price, volume = chart.price_pane_rect(), chart.volume_pane_rect()
    assert volume.top() >= price.bottom() and not price.intersects(volume)
    assert volume.height() < price.height()
    sizes = chart.splitter.sizes()
    chart.splitter.setSizes([sizes[0] - 60, sizes[1] + 60])  # drag the handle up
    qtbot.waitUntil(lambda: chart.volume_pane_rect().height() > volume.height(), timeout=2000)
    w.volume_action.trigger()  # the toolbar's Volume off: the price takes the room
    assert not chart.volume_visible
    qtbot.waitUntil(lambda: chart.price_pane_rect().height() > price.height(), timeout=2000)
    assert chart.time_axis.isVisible()  # the time axis moves to the price pane
    w.volume_action.trigger()
    assert chart.volume_visible


def test_the_crosshair_hides_when_the_pointer_leaves_and_tags_price_and_time(
    qtbot: QtBot,
) -> None:
    chart = chart_of(qtbot, Timeframe.M5, 300)
    view = chart.plot_widget.getPlotItem().getViewBox()
    _t, _o, high, low, _c, _v = chart.candles.bar_at(280)  # type: ignore[misc]
    price = (high + low) / 2
    chart.on_mouse_moved(view.mapViewToScene(QPointF(280, price)))
    assert chart.crosshair_visible
    price_tag, time_tag = chart.crosshair_tags()
    assert price_tag == spec().format_price(price)
    stamp = chart.candles.bar_at(280)[0]  # type: ignore[index]
    assert time_tag == np.datetime64(stamp, "s").astype(object).strftime("%Y-%m-%d %H:%M")
    QApplication.sendEvent(chart.plot_widget.viewport(), QEvent(QEvent.Type.Leave))
    assert not chart.crosshair_visible
    qtbot.wait(100)  # a mouse move the rate limiter still held must not bring it back
    assert not chart.crosshair_visible and chart.crosshair_tags() == ("", "")


def test_the_chart_follows_the_light_theme(qtbot: QtBot) -> None:
    chart = chart_of(qtbot, Timeframe.M5, 300)
    chart.set_theme("light")
    image = chart.grab().toImage()
    corner = image.pixelColor(chart.plot_widget.x() + 40, chart.plot_widget.y() + 60)
    assert corner.lightness() > 200, corner.name()
    chart.set_theme("dark")
    image = chart.grab().toImage()
    assert image.pixelColor(chart.plot_widget.x() + 40, chart.plot_widget.y() + 60).lightness() < 60


def _lightness(colour: QColor) -> int:
    return int(colour.lightness())
