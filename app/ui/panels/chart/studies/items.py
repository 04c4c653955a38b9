"""Indicator drawing items, bound by pixels like the candles.

Each item draws one output of one :class:`StudySeries` (a line, a histogram or
dots) and looks only at the bars in the visible x range:

* zoomed in (a couple of pixels per bar or more): a segment between each pair
  of neighbouring bars, a column or a dot per bar;
* zoomed out: per pixel column one vertical line from the lowest to the highest
  value of its bars (and of the last bar before, so the trace stays joined),
  so a million visible bars cost as many lines as the plot is wide.

What settled bars drew is replayed from a memo keyed like the candles' (span,
group, data version); a live tick rebuilds the newest bar's piece only and
repaints one narrow strip.
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from app.ui.panels.chart.candles import (
    BODY_WIDTH,
    CandlestickItem,
    FloatArray,
    SettledMemo,
    ViewSpanningItem,
    as_lines,
    as_rects,
    group_starts,
    pixel_group,
)
from app.ui.panels.chart.studies.series import StudySeries

Piece = tuple[list[QLineF], list[QRectF], list[QPointF]]
"""Lines, rectangles and points of one span."""


class Shape(StrEnum):
    LINE = "line"
    HISTOGRAM = "histogram"
    DOTS = "dots"


def shape_of(indicator: str, output: str) -> Shape:
    """How an output reads best: SAR as dots, MACD's histogram as columns, the rest as lines."""
    if indicator == "sar":
        return Shape.DOTS
    if output == "histogram":
        return Shape.HISTOGRAM
    return Shape.LINE


class StudyItem(ViewSpanningItem):
    """One output of an indicator on its plot (the price plot or a pane)."""

    def __init__(
        self,
        candles: CandlestickItem,
        series: StudySeries,
        output: int,
        colour: str,
        width: int = 1,
    ) -> None:
        super().__init__()
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setZValue(5)  # above the candles, below the quote and trading lines
        self._candles = candles
        self._series = series
        self._output = output
        self.drawn_as = shape_of(series.spec.name, series.outputs[output])
        self._memo: SettledMemo[Piece] = SettledMemo()
        self._group = 1
        self.drawn = 0  # lines, columns and dots in the last paint (the pixel bound, shown)
        self._pen = QPen()
        self._brush = QBrush()
        self.set_style(colour, width)

    @property
    def series(self) -> StudySeries:
        return self._series

    @property
    def colour(self) -> str:
        return str(self._pen.color().name())

    def set_style(self, colour: str, width: int) -> None:
        self._pen = QPen(QColor(colour))
        self._pen.setCosmetic(True)
        self._pen.setWidth(width if self.drawn_as is not Shape.DOTS else width + 2)
        self._pen.setCapStyle(
            Qt.PenCapStyle.RoundCap if self.drawn_as is Shape.DOTS else Qt.PenCapStyle.FlatCap
        )
        self._brush = QBrush(QColor(colour))
        self.update()

    def values_changed(self) -> None:
        """Every value may differ (a load, new parameters): forget what was drawn."""
        self._memo = SettledMemo()
        self.update()

    def live_changed(self) -> None:
        """The newest bar's value changed: repaint the strip around it only."""
        n = len(self._series)
        if n == 0:
            return
        view = self.boundingRect()
        if view.isEmpty():
            return
        group = self._group
        live = (n - 1) // group * group
        left = live - group - 1.5
        self.update(QRectF(left, view.top(), n + 1.0 - left, view.height()))

    # ------------------------------------------------------------ painting

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        if len(self._series) != len(self._candles):
            return  # between a reload of the bars and of the values: nothing true to show
        span = self._candles.exposed_bars(option.exposedRect)
        px_per_bar = abs(painter.deviceTransform().m11())
        if span is None or px_per_bar <= 0:
            return
        group = pixel_group(px_per_bar)
        self._group = group
        parts = self._candles.by_settled_and_live(*span, group, self._memo, self._build)
        zoomed_in = group == 1 and self.drawn_as is Shape.LINE
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, zoomed_in)
        painter.setPen(self._pen)
        self.drawn = 0
        for lines, rects, points in parts:
            self.drawn += len(lines) + len(rects) + len(points)
            if rects:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self._brush)
                painter.drawRects(rects)
                painter.setPen(self._pen)
            if lines:
                painter.drawLines(lines)
            if points:
                painter.drawPoints(points)

    def _build(self, i0: int, i1: int, group: int) -> Piece:
        values = self._series.output(self._output)
        if group > 1:
            return self._envelope(values, i0, i1, group)
        if self.drawn_as is Shape.LINE:
            return self._segments(values, i0, i1), [], []
        x = np.arange(i0, i1, dtype=np.float64)
        v = values[i0:i1]
        ok = np.isfinite(v)
        x, v = x[ok], v[ok]
        if self.drawn_as is Shape.DOTS:
            return [], [], [QPointF(a, b) for a, b in zip(x.tolist(), v.tolist(), strict=True)]
        half = BODY_WIDTH / 2
        bottom = np.minimum(v, 0.0)
        rects = np.column_stack((x - half, bottom, np.full_like(x, BODY_WIDTH), np.abs(v)))
        return [], as_rects(rects), []

    @staticmethod
    def _segments(values: FloatArray, i0: int, i1: int) -> list[QLineF]:
        """The segments ending at bars ``[i0, i1)``, each from the bar before."""
        j0 = max(i0, 1)
        if i1 - j0 == 1:  # the live bar, in every frame: plain floats beat numpy's set-up
            a, b = float(values[j0 - 1]), float(values[j0])
            if math.isfinite(a) and math.isfinite(b):
                return [QLineF(j0 - 1.0, a, float(j0), b)]
            return []
        if i1 <= j0:
            return []
        x = np.arange(j0, i1, dtype=np.float64)
        y0, y1 = values[j0 - 1 : i1 - 1], values[j0:i1]
        ok = np.isfinite(y0) & np.isfinite(y1)
        return as_lines(np.column_stack((x - 1.0, y0, x, y1))[ok])

    def _envelope(self, values: FloatArray, i0: int, i1: int, group: int) -> Piece:
        """Per ``group`` bars one line over their values (``i0`` aligned to a group)."""
        starts, ends = group_starts(i0, i1, group)
        offsets = starts - i0
        window = values[i0:i1]
        low = np.fmin.reduceat(window, offsets)
        high = np.fmax.reduceat(window, offsets)
        x = (starts + ends - 1) / 2.0
        if self.drawn_as is Shape.HISTOGRAM:
            low, high = np.fmin(low, 0.0), np.fmax(high, 0.0)
        elif self.drawn_as is Shape.LINE:  # reach back to the bar before: one joined trace
            before = values[np.maximum(starts - 1, 0)]
            low, high = np.fmin(low, before), np.fmax(high, before)
        ok = np.isfinite(low) & np.isfinite(high)
        lines = as_lines(np.column_stack((x, low, x, high))[ok])
        return lines, [], []


class LevelsItem(ViewSpanningItem):
    """An oscillator's reference levels (RSI 30/70) as dashed lines across its pane."""

    def __init__(self, levels: tuple[float, ...], colour: str) -> None:
        super().__init__()
        self._levels = levels
        self._pen = QPen()
        self.setZValue(-6)  # above the grid, below the values
        self.set_colour(colour)

    def set_colour(self, colour: str) -> None:
        self._pen = QPen(QColor(colour))
        self._pen.setCosmetic(True)
        self._pen.setStyle(Qt.PenStyle.DashLine)
        self.update()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        rect = self.boundingRect()
        if rect.isEmpty() or not self._levels:
            return
        painter.setPen(self._pen)
        left, right = rect.left(), rect.right()
        painter.drawLines([QLineF(left, y, right, y) for y in self._levels])
