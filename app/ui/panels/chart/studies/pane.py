"""An oscillator's own pane under the price: its values, levels, scale and legend.

A pane is a plot x-linked to the price plot, so it always shows the same bars;
it sits in the chart's splitter (drag the handle to resize it). Its y range is
fitted to the visible values only (O(visible bars)), fixed for a bounded
oscillator such as RSI, and during live ticks kept until a value leaves it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QApplication, QGraphicsItem

from app.ui.panels.chart.candles import CandlestickItem, GridItem
from app.ui.panels.chart.palette import ChartPalette
from app.ui.panels.chart.studies.items import LevelsItem, StudyItem
from app.ui.panels.chart.studies.series import StudySeries
from app.ui.widgets.steady_label import SteadyLabel

#: Fraction of the visible value range added above and below.
PANE_PADDING = 0.08
#: During live updates the range is kept until it is this many times the fitted one.
LOOSE_LIMIT = 1.4
#: Share of the fitted range left free beyond a live value that broke out of it.
BREAKOUT_ROOM = 0.15
MIN_PANE_HEIGHT = 50
#: Pixels of the value axis beside its widest label (as on the price axis).
AXIS_MARGIN_PX = 16
#: Pixels between two value labels (a label is about 12 high).
MIN_LABEL_GAP_PX = 16


class ValueAxis(pg.AxisItem):
    """The pane's right axis, with the decimals that suit the indicator.

    A pane is short, so pyqtgraph's default would print one label or none: the
    fill limits let labels take most of its height, and a bounded oscillator is
    labelled at its levels and bounds (RSI 0, 30, 70, 100), where a trader reads it.
    """

    def __init__(self, digits: Callable[[], int], fixed: Sequence[float] = ()) -> None:
        super().__init__(orientation="right")
        self._digits = digits
        self._fixed = list(fixed)

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        if maxVal <= minVal or size <= 0:
            return []
        if self._fixed:
            candidates = self._fixed
        else:
            levels = super().tickValues(minVal, maxVal, size)
            candidates = list(levels[0][1]) if levels else []
        per_px = size / (maxVal - minVal)
        kept: list[float] = []
        for value in candidates:  # levels before bounds: the levels are what is read
            if minVal <= value <= maxVal and all(
                abs(value - other) * per_px >= MIN_LABEL_GAP_PX for other in kept
            ):
                kept.append(value)
        return [(1.0, sorted(kept))]

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        digits = self._digits()
        return [f"{v * scale:.{digits}f}" for v in values]


class StudyPane(pg.PlotWidget):
    """One oscillator in a plot of its own."""

    def __init__(
        self,
        series: StudySeries,
        candles: CandlestickItem,
        price_plot: pg.PlotItem,
        digits: Callable[[], int],
        colours: ChartPalette,
        time_axis: pg.AxisItem,
    ) -> None:
        cls = type(series.indicator)
        bounds = cls.value_range or ()
        self._value_axis = ValueAxis(digits, (*cls.levels, *bounds) if bounds else ())
        super().__init__(
            background=colours.background,
            axisItems={"bottom": time_axis, "right": self._value_axis},
        )
        self.setObjectName(f"study_pane_{series.spec.name}")
        self.series = series
        self._candles = candles
        self._fixed = cls.value_range
        self._levels = tuple(cls.levels)
        plot = self.getPlotItem()
        plot.hideAxis("left")
        plot.showAxis("right")
        plot.hideAxis("bottom")
        plot.hideButtons()
        plot.setMenuEnabled(False)
        for name in ("bottom", "right"):
            plot.getAxis(name).setStyle(maxTickLevel=1, tickLength=5)
        for name in ("left", "top", "bottom", "right"):
            plot.getAxis(name).enableAutoSIPrefix(False)
        view = plot.getViewBox()
        view.disableAutoRange()
        view.setMouseEnabled(x=True, y=False)
        self.grid = GridItem(time_axis.tickValues, self._value_axis.tickValues, colours.grid, 0)
        # As on the price pane: the axes and the grid change only when the view moves,
        # while live ticks repaint strips touching them; blitted, not replayed.
        for cached in (self.grid, plot.getAxis("bottom"), plot.getAxis("right")):
            cached.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.levels = LevelsItem(self._levels, colours.crosshair)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair.setZValue(20)
        self.crosshair.setVisible(False)
        self.items: list[StudyItem] = []
        for item in (self.grid, self.levels, self.crosshair):
            plot.addItem(item, ignoreBounds=True)
        self.setMinimumHeight(MIN_PANE_HEIGHT)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.legend = SteadyLabel("", self)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(9)
        self.legend.setFont(font)
        self.legend.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.legend.move(8, 2)
        plot.setXLink(price_plot)  # the chart's layer fits y after the x range moved
        self.apply_palette(colours)

    @property
    def view(self) -> pg.ViewBox:
        return self.getPlotItem().getViewBox()

    @property
    def value_axis(self) -> ValueAxis:
        return self._value_axis

    def label_width(self) -> int:
        """Pixels the widest value label needs: the bounds and levels of a bounded
        oscillator, else the widest of the history's lowest and highest value."""
        if self._fixed is not None:
            values = [*self._fixed, *self._levels]
        else:
            bounds = self.series.visible_range(0, len(self.series))
            values = list(bounds) if bounds is not None else []
        texts = self._value_axis.tickStrings(values, 1.0, 1.0)
        metrics = QFontMetricsF(self._value_axis.style.get("tickFont") or QApplication.font())
        widest = max((metrics.horizontalAdvance(text) for text in texts), default=0.0)
        return math.ceil(widest) + AXIS_MARGIN_PX

    def set_items(self, items: list[StudyItem]) -> None:
        plot = self.getPlotItem()
        for item in self.items:
            plot.removeItem(item)
        self.items = items
        for item in items:
            plot.addItem(item, ignoreBounds=True)
        self.fit_y()

    def apply_palette(self, colours: ChartPalette) -> None:
        self.setBackground(colours.background)
        foreground = pg.mkPen(colours.foreground)
        plot = self.getPlotItem()
        for name in ("bottom", "right"):
            axis = plot.getAxis(name)
            axis.setPen(foreground)
            axis.setTextPen(foreground)
        self.grid.set_colour(colours.grid)
        self.levels.set_colour(colours.crosshair)
        pen: QPen = pg.mkPen(colours.crosshair, width=1, style=Qt.PenStyle.DashLine)
        self.crosshair.setPen(pen)
        self.legend.setStyleSheet(f"color: {colours.foreground}; background: transparent;")

    def fit_y(self, *, strict: bool = True) -> None:
        """Fit y to the visible values (the fixed range of a bounded oscillator)."""
        wanted = self._fitted(strict=strict)
        if wanted is not None:
            self.view.setYRange(*wanted, padding=0)

    def _fitted(self, *, strict: bool) -> tuple[float, float] | None:
        if self._fixed is not None:
            low, high = self._fixed
            pad = (high - low) * PANE_PADDING
            return (low - pad, high + pad) if strict else None
        x0, x1 = self.view.viewRange()[0]
        bounds = self.series.visible_range(math.ceil(x0), math.floor(x1) + 1)
        if bounds is None:
            return None
        low, high = bounds
        if self._levels:
            low, high = min(low, *self._levels), max(high, *self._levels)
        pad = (high - low) * PANE_PADDING or max(abs(high) * 1e-4, 1e-9)
        if strict:
            return low - pad, high + pad
        y0, y1 = self.view.viewRange()[1]
        if y0 <= low and high <= y1 and y1 - y0 <= (high - low + 2 * pad) * LOOSE_LIMIT:
            return None
        # Room beyond a breakout, as on the price: a trend refits every few moves, not every tick.
        room = (high - low) * BREAKOUT_ROOM
        return low - pad - (room if low < y0 else 0.0), high + pad + (room if high > y1 else 0.0)

    def live_changed(self) -> None:
        """The forming bar's values changed: repaint their strip, refit if one left the range."""
        if self._fixed is None:
            values = self.series.value_at(len(self.series) - 1) or ()
            y0, y1 = self.view.viewRange()[1]
            if any(math.isfinite(v) and not y0 <= v <= y1 for v in values):
                self.fit_y(strict=False)
        for item in self.items:
            item.live_changed()
