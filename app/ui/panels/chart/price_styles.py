"""The price drawn as OHLC bars or as a line of closes, bound by pixels like the candles.

Both items read the candles' own column buffers (:class:`CandlestickItem` stays
the one holder of the bars), draw only the visible bars, and when zoomed out
below a couple of pixels per bar draw one vertical low–high line per pixel
column, as the candles do. Settled bars' primitives are replayed from a memo,
so a live tick rebuilds the newest bar only. The chart shows one price style at
a time: the candle item is hidden (it still answers every data question) while
one of these draws.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from app.ui.panels.chart.candles import (
    BODY_WIDTH,
    CandlestickItem,
    Primitives,
    SettledMemo,
    as_lines,
    draw_primitives,
    group_starts,
    pixel_group,
)
from app.ui.panels.chart.palette import DOWN_COLOR, UP_COLOR

#: The line chart's colour on a dark and on a light ground.
LINE_COLOURS = {"dark": "#4dd0e1", "light": "#1565c0"}


class ChartType(StrEnum):
    """How the price is drawn (MT5's F12 menu: bars, candles, line)."""

    CANDLES = "candles"
    BARS = "bars"
    LINE = "line"


def _cosmetic(colour: str, width: int = 1) -> QPen:
    pen = QPen(QColor(colour))
    pen.setCosmetic(True)
    pen.setWidth(width)
    return pen


class _PriceStyleItem(pg.GraphicsObject):
    """What both styles share: the candles' bounds, their visible bars, a live strip."""

    sigPainted = Signal()

    def __init__(self, candles: CandlestickItem) -> None:
        super().__init__()
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self._candles = candles
        self._memo: SettledMemo[list[Primitives]] = SettledMemo()

    def boundingRect(self) -> QRectF:
        return self._candles.boundingRect()

    def data_changed(self) -> None:
        """Bars were added or replaced (the extent may have grown)."""
        self.prepareGeometryChange()
        self.update()

    def live_changed(self) -> None:
        """The newest bar changed: repaint its strip only (two bars wide, full height)."""
        rect = self._candles.boundingRect()
        x = len(self._candles) - 1
        self.update(QRectF(x - 1.5, rect.top(), 3.0, rect.height()))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        try:
            span = self._candles.exposed_bars(option.exposedRect)
            px_per_bar = abs(painter.deviceTransform().m11())
            if span is not None and px_per_bar > 0:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
                parts = self._candles.by_settled_and_live(
                    *span, pixel_group(px_per_bar), self._memo, self._build
                )
                for part in parts:
                    for primitives in part:
                        draw_primitives(painter, primitives)
        finally:
            self.sigPainted.emit()

    def _build(self, i0: int, i1: int, group: int) -> list[Primitives]:
        raise NotImplementedError


class OhlcBarsItem(_PriceStyleItem):
    """One low–high line per bar with the open ticked left and the close right."""

    def __init__(self, candles: CandlestickItem) -> None:
        super().__init__(candles)
        self._up_pen = _cosmetic(UP_COLOR)
        self._down_pen = _cosmetic(DOWN_COLOR)

    def _build(self, i0: int, i1: int, group: int) -> list[Primitives]:
        c = self._candles
        if group > 1:
            return _envelopes(c, i0, i1, group, self._up_pen, self._down_pen, c.low, c.high)
        o, h, lo, cl = c.open[i0:i1], c.high[i0:i1], c.low[i0:i1], c.close[i0:i1]
        x = np.arange(i0, i1, dtype=np.float64)
        half = BODY_WIDTH / 2
        lines = np.concatenate(
            (
                np.column_stack((x, lo, x, h)),
                np.column_stack((x - half, o, x, o)),
                np.column_stack((x, cl, x + half, cl)),
            )
        )
        up = cl >= o
        out: list[Primitives] = []
        for mask, pen in ((up, self._up_pen), (~up, self._down_pen)):
            if mask.any():
                out.append((pen, None, as_lines(lines[np.concatenate((mask, mask, mask))]), []))
        return out


class CloseLineItem(_PriceStyleItem):
    """The closes joined by a line; zoomed out, each pixel column's close range and its joins."""

    def __init__(self, candles: CandlestickItem, theme: str = "dark") -> None:
        super().__init__(candles)
        self._pen = _cosmetic(LINE_COLOURS["dark"])
        self.set_theme(theme)

    def set_theme(self, theme: str) -> None:
        self._pen = _cosmetic(LINE_COLOURS.get(theme, LINE_COLOURS["dark"]))
        self._memo = SettledMemo()  # the memo's primitives hold the old pen
        self.update()

    @property
    def colour(self) -> str:
        return str(self._pen.color().name())

    def _build(self, i0: int, i1: int, group: int) -> list[Primitives]:
        closes = self._candles.close
        # Each part also joins its first point to the previous bar's close, so the
        # settled part and the live part meet without a gap.
        start = max(0, i0 - 1) if group == 1 else max(0, i0 - group)
        if group == 1:
            x = np.arange(start, i1, dtype=np.float64)
            y = closes[start:i1]
            if x.size < 2:
                return []
            points = np.column_stack((x[:-1], y[:-1], x[1:], y[1:]))
            return [(self._pen, None, as_lines(points), [])]
        first = start // group * group
        starts, ends = group_starts(first, i1, group)
        offsets = starts - first
        lows = np.minimum.reduceat(closes[first:i1], offsets)
        highs = np.maximum.reduceat(closes[first:i1], offsets)
        last = closes[ends - 1]
        x = (starts + ends - 1) / 2.0
        ranges = np.column_stack((x, lows, x, highs))
        joins = np.column_stack((x[:-1], last[:-1], x[1:], closes[starts[1:]]))
        lines = as_lines(ranges) + as_lines(joins) if joins.size else as_lines(ranges)
        return [(self._pen, None, lines, [])]


def _envelopes(
    candles: CandlestickItem,
    i0: int,
    i1: int,
    group: int,
    up_pen: QPen,
    down_pen: QPen,
    low: np.ndarray,
    high: np.ndarray,
) -> list[Primitives]:
    """One vertical low–high line per ``group`` bars, coloured by the group's direction."""
    starts, ends = group_starts(i0, i1, group)
    offsets = starts - i0
    lows = np.minimum.reduceat(low[i0:i1], offsets)
    highs = np.maximum.reduceat(high[i0:i1], offsets)
    up = candles.close[ends - 1] >= candles.open[starts]
    x = (starts + ends - 1) / 2.0
    lines = np.column_stack((x, lows, x, highs))
    return [
        (pen, None, as_lines(lines[mask]), [])
        for mask, pen in ((up, up_pen), (~up, down_pen))
        if mask.any()
    ]
