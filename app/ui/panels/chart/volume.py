"""Volume columns in their own pane under the price, bound by pixels like the candles.

The pane is a second plot, x-linked to the price plot, whose y runs from 0 to
1; the columns fill its lowest :data:`VOLUME_BAND` in muted colours, so they
never cover a candle, an SL line or its label, and a live tick repaints one
narrow strip of the pane.

The item reads the candles' own column buffers, so there is no copy of the
history to keep in sync. Like the candles it draws only the visible bars, and
above about one bar per pixel one column per pixel (the sum of its bars'
volume). The tallest visible column fills the band; the heights of settled
bars and their peak are replayed from memos, so a live tick costs the newest
column only.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from app.ui.panels.chart.candles import (
    BODY_WIDTH,
    CandlestickItem,
    FloatArray,
    Primitives,
    SettledMemo,
    ViewSpanningItem,
    as_lines,
    as_rects,
    draw_primitives,
    group_starts,
    pixel_group,
)

#: Fraction of the pane's height that the tallest visible column reaches.
VOLUME_BAND = 0.9
#: When a live column outgrows the band, the share of the band left free above it:
#: a busy bar then rescales every column (a repaint of the whole band) each time
#: it grows by a quarter, not on every tick. Like the price axis' breakout room.
LIVE_ROOM = 0.2


class VolumeItem(ViewSpanningItem):
    """Volume of the candles' bars, scaled so the tallest visible column fills the band.

    The chart tells it what changed: :meth:`live_changed` after a live tick
    (repaints the newest column, or the whole band when that column outgrew
    the band, then leaving it :data:`LIVE_ROOM` to grow) and
    :meth:`bars_changed` after new or replaced bars. Any other repaint keeps
    the scale, and a pan or zoom fits it to the tallest visible column again.
    """

    def __init__(self, candles: CandlestickItem, up_colour: QColor, down_colour: QColor) -> None:
        super().__init__()
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setZValue(-5)  # above the grid, below the candles
        self._candles = candles
        self._styles: list[tuple[QPen, QBrush]] = []
        self.set_colours(up_colour, down_colour)
        self._columns: SettledMemo[list[Primitives]] = SettledMemo()
        self._peaks: SettledMemo[float] = SettledMemo()
        self._group: int | None = None  # bars per column in the last paint
        self._scale = 0.0  # the volume that filled the band in the last paint
        self._refit = True  # fit the scale to the tallest visible column at the next paint

    def set_colours(self, up_colour: QColor, down_colour: QColor) -> None:
        """The columns' colours (muted candle colours on the chart's ground)."""
        self._styles = []
        for colour in (up_colour, down_colour):
            pen = QPen(colour)
            pen.setCosmetic(True)
            self._styles.append((pen, QBrush(colour)))
        self._columns = SettledMemo()  # the memo's primitives hold the old pens
        self.update()

    def boundingRect(self) -> QRectF:
        """The band at the bottom of the pane."""
        view = super().boundingRect()
        view.setHeight(view.height() * VOLUME_BAND)
        return view

    @property
    def scale(self) -> float:
        """The volume that reached the top of the band in the last paint (0: nothing drawn)."""
        return self._scale

    def bars_changed(self) -> None:
        """Bars were added or replaced: the tallest column may have changed anywhere."""
        self._refit = True
        self.update()

    def viewTransformChanged(self) -> None:
        """Panned, zoomed or resized: other columns are visible, fit them again."""
        self._refit = True
        super().viewTransformChanged()

    def live_changed(self) -> None:
        """The newest bar changed: repaint its column, or the band if it outgrew the band."""
        if self._group is None or self._refit:
            self.update()
            return
        span = self._candles.exposed_bars(QRectF())
        if span is None:
            self.update()
            return
        peak = self._visible_peak(*span, self._group)
        if peak > self._scale:
            self._scale = peak / (1 - LIVE_ROOM)
            self.update()
            return
        x = len(self._candles) - 1
        rect = self.boundingRect()
        self.update(QRectF(x - self._group - 1.0, rect.top(), self._group + 2.0, rect.height()))

    # ------------------------------------------------------------ painting

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        px_per_bar = abs(painter.deviceTransform().m11())
        rect = self.boundingRect()
        view_span = self._candles.exposed_bars(QRectF())
        if px_per_bar <= 0 or rect.isEmpty() or view_span is None:
            self._scale = 0.0
            return
        group = pixel_group(px_per_bar)
        if group != self._group or self._refit or self._scale <= 0:
            self._group, self._refit = group, False
            self._scale = self._visible_peak(*view_span, group)
        span = self._candles.exposed_bars(option.exposedRect)
        if self._scale <= 0 or span is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        # Columns are stored in (bar index, volume) units: one scale maps the
        # tallest visible column to the band's top, whatever the price range.
        painter.translate(0.0, rect.top())
        painter.scale(1.0, rect.height() / self._scale)
        for primitives in self._primitives(*span, group):
            draw_primitives(painter, primitives)
        painter.restore()

    def _visible_peak(self, i0: int, i1: int, group: int) -> float:
        """The largest column volume among the bars ``[i0, i1)`` (settled part memoised)."""
        parts = self._candles.by_settled_and_live(i0, i1, group, self._peaks, self._peak)
        return max(parts, default=0.0)

    def _peak(self, i0: int, i1: int, group: int) -> float:
        if i1 - i0 <= group:  # the live bar or group, in every frame
            volume = self._live_sum(i0, i1)
            return 0.0 if math.isnan(volume) else volume
        sums = self._sums(i0, i1, group)
        return float(np.nanmax(sums)) if sums.size and not np.all(np.isnan(sums)) else 0.0

    def _sums(self, i0: int, i1: int, group: int) -> FloatArray:
        """Volume per column of ``group`` bars (``i0`` aligned to a group)."""
        volume = self._candles.volume[i0:i1]
        if group == 1:
            return volume
        starts, _ = group_starts(i0, i1, group)
        return np.add.reduceat(volume, starts - i0)

    def _primitives(self, i0: int, i1: int, group: int) -> list[Primitives]:
        parts = self._candles.by_settled_and_live(i0, i1, group, self._columns, self._build)
        return [primitives for part in parts for primitives in part]

    def _build(self, i0: int, i1: int, group: int) -> list[Primitives]:
        """One body-wide rectangle per bar, or one line per column when zoomed out.

        A column is "up" when its last close is at or above its first open, as
        the candles' envelope colours it.
        """
        if i1 - i0 <= group:  # the live bar or group, in every frame: plain floats
            return self._one_column(i0, i1, group)
        return self._columns_of(i0, i1, group)

    def _live_sum(self, i0: int, i1: int) -> float:
        """The volume of bars ``[i0, i1)`` (NaN if one is NaN, as ``reduceat``)."""
        if i1 - i0 == 1:
            return float(self._candles.volume[i0])
        return float(self._candles.volume[i0:i1].sum())

    def _one_column(self, i0: int, i1: int, group: int) -> list[Primitives]:
        """What :meth:`_columns_of` builds for the one column ``[i0, i1)``, value for value."""
        candles = self._candles
        height = self._live_sum(i0, i1)
        if not math.isfinite(height):  # as numpy's nan_to_num
            height = 0.0 if math.isnan(height) else math.copysign(sys.float_info.max, height)
        pen, brush = self._styles[0 if candles.close[i1 - 1] >= candles.open[i0] else 1]
        if group == 1:
            return [(pen, brush, [], [QRectF(i0 - BODY_WIDTH / 2, 0.0, BODY_WIDTH, height)])]
        x = (i0 + i1 - 1) / 2.0
        return [(pen, None, [QLineF(x, 0.0, x, height)], [])]

    def _columns_of(self, i0: int, i1: int, group: int) -> list[Primitives]:
        """The columns of bars ``[i0, i1)`` (``i0`` aligned to a group), with numpy."""
        starts, ends = group_starts(i0, i1, group)
        heights = np.nan_to_num(self._sums(i0, i1, group))
        up = self._candles.close[ends - 1] >= self._candles.open[starts]
        if group == 1:
            half = BODY_WIDTH / 2
            shapes = np.column_stack(
                (starts - half, np.zeros_like(heights), np.full_like(heights, BODY_WIDTH), heights)
            )
        else:
            x = (starts + ends - 1) / 2.0
            shapes = np.column_stack((x, np.zeros_like(heights), x, heights))
        out: list[Primitives] = []
        for mask, (pen, brush) in zip((up, ~up), self._styles, strict=True):
            if not mask.any():
                continue
            if group == 1:
                out.append((pen, brush, [], as_rects(shapes[mask])))
            else:
                out.append((pen, None, as_lines(shapes[mask]), []))
        return out
