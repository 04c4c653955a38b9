"""What a user sees on the chart: the right candles, live updates, quote lines, crosshair."""

from __future__ import annotations

import os
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.market import Bar, BarHistory, Tick
from app.domain.timeframes import Timeframe
from app.ui.panels.chart.candles import DOWN_COLOR, UP_COLOR, CandlestickItem
from app.ui.panels.chart.panel import INITIAL_VISIBLE_BARS, READOUT_LIVE_HZ, Y_PADDING, ChartPanel
from tests.specs import fx_spec as spec
from tests.ui.conftest import Terminal

TF = Timeframe.M5
START = TF.bar_open(1_700_000_000)


Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def columns(n: int, base: float = 1.08, seed: int = 3) -> Columns:
    """Time, open, high, low, close, volume of a random walk with unrounded prices,
    so formatting to the symbol's digits is visible."""
    rng = np.random.default_rng(seed)
    step = base * 3e-4
    close = base + np.cumsum(rng.normal(0, step, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + rng.random(n) * step
    low = np.minimum(open_, close) - rng.random(n) * step
    times = START + np.arange(n, dtype=np.int64) * TF.seconds
    volume = rng.integers(1, 100, n).astype(np.float64)
    return times, open_, high, low, close, volume


def history(n: int, symbol: str = "EURUSD", base: float = 1.08) -> BarHistory:
    return BarHistory(symbol, TF, *columns(n, base))


@pytest.fixture
def panel(qtbot: QtBot) -> ChartPanel:
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.resize(900, 500)
    chart.set_symbol_spec(spec())
    chart.set_history(history(500))
    return chart


def x_range(panel: ChartPanel) -> tuple[float, float]:
    x0, x1 = panel.plot_widget.getPlotItem().getViewBox().viewRange()[0]
    return x0, x1


def y_range(panel: ChartPanel) -> tuple[float, float]:
    y0, y1 = panel.plot_widget.getPlotItem().getViewBox().viewRange()[1]
    return y0, y1


def colour_pixels(image: QImage, colour: str) -> int:
    """How many pixels of the image have exactly this colour."""
    pixels = pg.imageToArray(image.convertToFormat(QImage.Format.Format_ARGB32), copy=True)
    target = pg.mkColor(colour)
    bgr = (target.blue(), target.green(), target.red())
    return int(np.all(pixels[..., :3] == bgr, axis=-1).sum())


def shown(qtbot: QtBot, panel: ChartPanel) -> ChartPanel:
    panel.show()
    qtbot.waitExposed(panel)
    return panel


# ----------------------------------------------------------------- history


def test_history_shows_every_bar_and_the_newest_last(panel: ChartPanel) -> None:
    t, *prices = columns(500)
    assert panel.symbol == "EURUSD"
    assert panel.bar_count == 500
    assert panel.last_bar() == (int(t[-1]), *(float(c[-1]) for c in prices))


def test_history_opens_on_the_newest_bars(panel: ChartPanel) -> None:
    x0, x1 = x_range(panel)
    assert x0 <= 499 - INITIAL_VISIBLE_BARS + 1 < 499 <= x1
    assert x1 - x0 < INITIAL_VISIBLE_BARS + 10


def test_y_range_fits_the_visible_bars_with_padding(panel: ChartPanel) -> None:
    x0, x1 = x_range(panel)
    visible = slice(max(0, int(np.ceil(x0))), int(np.floor(x1)) + 1)
    low = panel.candles.low[visible].min()
    high = panel.candles.high[visible].max()
    y0, y1 = y_range(panel)
    assert y0 < low and high < y1
    assert (y1 - y0) <= (high - low) * 1.2  # padded, not fitted to the whole history


# ----------------------------------------------------------------- live bars


def test_same_time_bar_replaces_only_the_newest_candle(panel: ChartPanel) -> None:
    before = panel.candles.bar_at(498)
    t = panel.last_bar()[0]  # type: ignore[index]
    panel.update_bar(Bar("EURUSD", TF, t, 1.1, 1.2, 1.0, 1.15, 42.0))
    assert panel.bar_count == 500
    assert panel.last_bar() == (t, 1.1, 1.2, 1.0, 1.15, 42.0)
    assert panel.candles.bar_at(498) == before


def test_newer_bar_appends_one_candle_and_the_view_follows(panel: ChartPanel) -> None:
    t = panel.last_bar()[0]  # type: ignore[index]
    x0, x1 = x_range(panel)
    panel.update_bar(Bar("EURUSD", TF, t + TF.seconds, 1.1, 1.2, 1.0, 1.15, 1.0))
    assert panel.bar_count == 501
    assert panel.last_bar() == (t + TF.seconds, 1.1, 1.2, 1.0, 1.15, 1.0)
    nx0, nx1 = x_range(panel)
    assert (nx0, nx1) == pytest.approx((x0 + 1, x1 + 1))
    assert nx0 < 500 < nx1
    y0, y1 = y_range(panel)
    assert y0 < 1.0 and y1 > 1.2  # the new candle is in view vertically too


def test_newer_bar_does_not_scroll_a_view_looking_at_the_past(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    for _ in range(15):
        qtbot.keyClick(panel, Qt.Key.Key_Left)
    before = x_range(panel)
    assert before[1] < 499
    t = panel.last_bar()[0]  # type: ignore[index]
    panel.update_bar(Bar("EURUSD", TF, t + TF.seconds, 1.1, 1.2, 1.0, 1.15, 1.0))
    assert panel.bar_count == 501
    assert x_range(panel) == pytest.approx(before)


def test_older_or_foreign_bars_are_ignored(panel: ChartPanel) -> None:
    last = panel.last_bar()
    assert last is not None
    panel.update_bar(Bar("EURUSD", TF, last[0] - TF.seconds, 9.0, 9.0, 9.0, 9.0, 9.0))
    panel.update_bar(Bar("GBPUSD", TF, last[0] + TF.seconds, 9.0, 9.0, 9.0, 9.0, 9.0))
    panel.update_bar(Bar("EURUSD", Timeframe.H1, last[0] + 3600, 9.0, 9.0, 9.0, 9.0, 9.0))
    assert panel.bar_count == 500
    assert panel.last_bar() == last


def test_switching_symbol_drops_the_old_bars(panel: ChartPanel) -> None:
    panel.set_symbol_spec(spec("USDJPY", 3))
    assert panel.symbol == "USDJPY"
    assert panel.bar_count == 0
    panel.set_history(history(50, "USDJPY", base=150.0))
    assert panel.bar_count == 50


# ----------------------------------------------------------------- quotes


def test_quote_moves_bid_and_ask_lines_with_formatted_labels(panel: ChartPanel) -> None:
    bid_line, ask_line = panel.quote_lines
    assert not bid_line.isVisible()
    panel.set_quote(Tick("EURUSD", 0, bid=1.0812345, ask=1.0813456))
    assert bid_line.isVisible() and ask_line.isVisible()
    assert bid_line.value() == pytest.approx(1.0812345)
    assert ask_line.value() == pytest.approx(1.0813456)
    assert bid_line.label_text == "1.08123"
    assert ask_line.label_text == "1.08135"
    panel.set_quote(Tick("GBPUSD", 0, bid=1.3, ask=1.31))
    assert bid_line.value() == pytest.approx(1.0812345)


# ----------------------------------------------------------------- painting


def test_grab_paints_up_and_down_candles(qtbot: QtBot, panel: ChartPanel) -> None:
    with qtbot.waitSignal(panel.painted, timeout=2000):
        shown(qtbot, panel)
    image = panel.grab().toImage()
    assert colour_pixels(image, UP_COLOR) > 200
    assert colour_pixels(image, DOWN_COLOR) > 200


def test_zoomed_out_history_paints_an_envelope(qtbot: QtBot, panel: ChartPanel) -> None:
    panel.set_history(history(200_000))
    shown(qtbot, panel)
    panel.plot_widget.getPlotItem().getViewBox().setXRange(0, 200_000, padding=0)
    image = panel.grab().toImage()
    assert colour_pixels(image, UP_COLOR) + colour_pixels(image, DOWN_COLOR) > 500


# ----------------------------------------------------------------- crosshair and keys


def test_crosshair_readout_shows_the_bar_in_symbol_digits(qtbot: QtBot, panel: ChartPanel) -> None:
    panel.set_symbol_spec(spec("USDJPY", 3))
    panel.set_history(history(300, "USDJPY", base=150.0))
    shown(qtbot, panel)
    index = 280
    _, o, h, low, c, _ = panel.candles.bar_at(index)  # type: ignore[misc]
    view = panel.plot_widget.getPlotItem().getViewBox()
    panel.on_mouse_moved(view.mapViewToScene(QPointF(index + 0.2, (low + h) / 2)))
    text = panel.readout_text
    assert text.startswith("USDJPY · M5")
    assert f"O {o:.3f}  H {h:.3f}  L {low:.3f}  C {c:.3f}" in text
    assert "2023-11-" in text
    panel.on_mouse_moved(QPointF(-50, -50))  # off the plot: back to the newest bar
    assert f"C {panel.last_bar()[4]:.3f}" in panel.readout_text  # type: ignore[index]
    # Leaving the chart altogether (no more moves reach the plot) hides the crosshair too.
    panel.on_mouse_moved(view.mapViewToScene(QPointF(index, h)))
    assert f"H {h:.3f}" in panel.readout_text and panel.crosshair_visible
    QApplication.sendEvent(panel, QEvent(QEvent.Type.Leave))
    assert not panel.crosshair_visible
    assert f"C {panel.last_bar()[4]:.3f}" in panel.readout_text  # type: ignore[index]


def test_a_fast_live_bar_shows_in_the_readout_at_once_then_at_most_ten_times_a_second(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    shown(qtbot, panel)
    t, o, h, low, c, v = panel.last_bar()  # type: ignore[misc]

    def tick(volume: float) -> None:
        panel.update_bar(Bar("EURUSD", TF, t, o, h, low, c, volume))

    qtbot.wait(round(1200 / READOUT_LIVE_HZ))  # a quiet market so far
    tick(v + 1)
    assert panel.readout_text.endswith(f"V {v + 1:,.0f}")  # so the change shows at once
    for extra in range(2, 20):  # a burst, well inside one refresh step
        tick(v + extra)
    assert panel.readout_text.endswith(f"V {v + 1:,.0f}")
    # The burst's last bar is shown at the next step, not lost.
    qtbot.waitUntil(lambda: panel.readout_text.endswith(f"V {v + 19:,.0f}"), timeout=1000)
    assert READOUT_LIVE_HZ <= 20  # a person's reading rate, far below the frame rate


def test_arrow_keys_pan_plus_minus_zoom_and_home_returns(qtbot: QtBot, panel: ChartPanel) -> None:
    x0, x1 = x_range(panel)
    width = x1 - x0
    qtbot.keyClick(panel, Qt.Key.Key_Left)
    assert x_range(panel) == pytest.approx((x0 - width * 0.1, x1 - width * 0.1))
    qtbot.keyClick(panel, Qt.Key.Key_Plus)
    zoomed = x_range(panel)
    assert zoomed[1] - zoomed[0] == pytest.approx(width * 0.8)
    qtbot.keyClick(panel, Qt.Key.Key_Minus)
    qtbot.keyClick(panel, Qt.Key.Key_Minus)
    wider = x_range(panel)
    assert wider[1] - wider[0] > width
    qtbot.keyClick(panel, Qt.Key.Key_Home)
    home = x_range(panel)
    assert home[0] < 499 < home[1]
    assert home[1] - home[0] == pytest.approx(wider[1] - wider[0])


def test_time_axis_labels_round_times(panel: ChartPanel) -> None:
    axis = panel.plot_widget.getPlotItem().getAxis("bottom")
    (spacing, values), *_ = axis.tickValues(350, 499, 900)
    labels = axis.tickStrings(values, 1.0, spacing)
    assert values and all(label.endswith(("00", "30")) for label in labels)


# ----------------------------------------------------------------- the item itself


def test_item_append_grows_past_its_capacity_keeping_every_bar() -> None:
    item = CandlestickItem()
    t, *prices = columns(10)
    item.set_data(t, *prices)
    extra = item._time.size + 5  # more than the spare capacity
    for i in range(extra):
        item.append(int(t[-1]) + (i + 1) * TF.seconds, 1.0, 2.0 + i, 0.5, 1.5, 1.0)
    assert len(item) == 10 + extra
    assert item.bar_at(0) == (START, *(float(c[0]) for c in prices))
    assert item.last_bar() == (int(t[-1]) + extra * TF.seconds, 1.0, 1.0 + extra, 0.5, 1.5, 1.0)
    assert item.boundingRect().top() <= 0.5
    assert item.boundingRect().bottom() >= 1.0 + extra
    assert item.visible_y_range(12, 13) == (0.5, 5.0)
    assert item.visible_y_range(-10, -1) is None


def test_item_rejects_columns_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="same length"):
        CandlestickItem().set_data([1, 2], [1.0], [1.0], [1.0], [1.0], [1.0])


# ----------------------------------------------------------------- timeframes


def test_switching_timeframe_drops_bars_and_ignores_late_history(panel: ChartPanel) -> None:
    assert panel.timeframe is TF
    assert panel.set_timeframe(Timeframe.H1)
    assert panel.bar_count == 0
    assert panel.readout_text.startswith("EURUSD · H1")
    assert not panel.set_history(history(500))  # the M5 answer of the previous request
    assert panel.bar_count == 0
    times, *prices = columns(40)
    hourly = BarHistory("EURUSD", Timeframe.H1, START + (times - START) * 12, *prices)
    assert panel.set_history(hourly)
    assert panel.bar_count == 40
    assert not panel.set_timeframe(Timeframe.H1)  # same timeframe: nothing to do
    assert panel.bar_count == 40


def test_history_of_another_symbol_is_ignored(panel: ChartPanel) -> None:
    assert not panel.set_history(history(30, "GBPUSD", base=1.27))
    assert panel.bar_count == 500 and panel.symbol == "EURUSD"


def test_toolbar_timeframe_shows_engine_bars_of_that_period(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    w.timeframe_actions[Timeframe.H1].trigger()
    assert w.chart.timeframe is Timeframe.H1
    qtbot.waitUntil(lambda: w.chart.bar_count > 0, timeout=5000)
    times = w.chart.candles.time
    assert (times % 3600 == 0).all() and (np.diff(times) >= 3600).all()
    assert w.chart.bar_count < 800  # 800 M1 bars of paper history make at most ~15 hours
    newest = int(times[-1])
    # Live frames keep moving the forming H1 bar; none of M1 leaks into the chart.
    qtbot.waitUntil(lambda: w.chart.last_bar() is not None and w.chart.last_bar()[0] == newest)
    qtbot.keyClick(w, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)  # Ctrl+5 = H1 again
    qtbot.keyClick(w, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)  # Ctrl+7 = D1
    assert w.chart.timeframe is Timeframe.D1
    assert w.timeframe_actions[Timeframe.D1].isChecked()
    qtbot.waitUntil(lambda: w.chart.bar_count > 0, timeout=5000)
    assert (w.chart.candles.time % 86_400 == 0).all()


def test_a_trending_live_bar_stays_in_view_and_refits_y_only_now_and_then(
    panel: ChartPanel,
) -> None:
    """Every refit repaints the whole chart: a tick-by-tick trend must not cause one per tick."""
    t, o, h, low, c, v = panel.last_bar()  # type: ignore[misc]
    y0, y1 = y_range(panel)
    step = (y1 - y0) / 200  # a rally of 2.5 times the visible range, in 500 ticks
    refits = 0
    for i in range(1, 501):
        c = o + i * step
        h = max(h, c)
        panel.update_bar(Bar("EURUSD", TF, t, o, h, low, c, v))
        before, (y0, y1) = (y0, y1), y_range(panel)
        refits += (y0, y1) != before
        assert y0 <= low and h <= y1, f"tick {i}: the live bar left the view"
    assert 0 < refits <= 12  # without room beyond a breakout: 25


# ----------------------------------------------------------------- mouse


def test_mouse_wheel_zooms_and_dragging_pans_with_y_refitted(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    with qtbot.waitSignal(panel.painted, timeout=2000):
        shown(qtbot, panel)
    viewport = panel.plot_widget.viewport()
    view = panel.plot_widget.getPlotItem().getViewBox()
    centre = panel.plot_widget.mapFromScene(view.sceneBoundingRect().center())
    x0, x1 = x_range(panel)

    wheel = QWheelEvent(
        QPointF(centre), QPointF(viewport.mapToGlobal(centre)), QPoint(), QPoint(0, 240),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    QApplication.sendEvent(viewport, wheel)
    zx0, zx1 = x_range(panel)
    assert zx1 - zx0 < 0.8 * (x1 - x0)  # zoomed in around the pointer
    assert x0 < zx0 < zx1 < x1
    assert y_range(panel) == pytest.approx(fitted_y(panel), rel=1e-9)

    # Drag right by 200 pixels, as a hand does (the window repaints between moves):
    # earlier bars come into view, the zoom stays.
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=centre)
    for step in range(1, 11):
        qtbot.mouseMove(viewport, centre + QPoint(20 * step, 0))
        qtbot.wait(10)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=centre + QPoint(200, 0))
    px0, px1 = x_range(panel)
    bars_per_pixel = (zx1 - zx0) / view.sceneBoundingRect().width()
    assert px1 - px0 == pytest.approx(zx1 - zx0)
    assert zx0 - px0 == pytest.approx(200 * bars_per_pixel, rel=0.1)
    assert y_range(panel) == pytest.approx(fitted_y(panel), rel=1e-9)


def fitted_y(panel: ChartPanel) -> tuple[float, float]:
    """The visible bars' low and high with the chart's padding."""
    low, high = panel.candles.visible_y_range(*x_range(panel))  # type: ignore[misc]
    pad = (high - low) * Y_PADDING
    return low - pad, high + pad
