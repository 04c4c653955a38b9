"""A candlestick chart item whose per-frame cost depends on pixels, not history.

Why one custom item over numpy columns (see ``shared/reference/measurements.md``):
pyqtgraph's stock approaches (a ``QPicture`` of every candle, or ``BarGraphItem``
plus line pairs) redraw or rebuild every bar on each update, which costs seconds
at a million bars. This item keeps the bars in preallocated column buffers and,
on each paint, looks only at the bars inside the visible x range:

* zoomed in (at least a couple of pixels per bar): one wick and one body per bar;
* zoomed out: one vertical min/max line per pixel column, computed with numpy,
  so a fully visible million-bar history draws about as many lines as the
  widget is wide.

A live update touches only the last slot of the buffers, so it is O(1) however
long the history is.
"""

from __future__ import annotations

import math
from itertools import starmap

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

UP_COLOR = "#26a69a"
DOWN_COLOR = "#ef5350"

#: Body width as a fraction of the distance between bars.
BODY_WIDTH = 0.7
#: Below this many device pixels per bar, bodies are unreadable: draw envelopes.
MIN_PIXELS_PER_CANDLE = 2.0
#: Spare capacity reserved by ``set_data`` so live appends rarely reallocate.
MIN_SPARE = 1024

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BarTuple = tuple[int, float, float, float, float, float]
"""One bar as ``(time, open, high, low, close, volume)``."""


def _lines(coords: FloatArray) -> list[QLineF]:
    """QLineF objects for the rows of an ``(n, 4)`` array of x1, y1, x2, y2."""
    return list(starmap(QLineF, coords.tolist()))


def _rects(coords: FloatArray) -> list[QRectF]:
    """QRectF objects for the rows of an ``(n, 4)`` array of x, y, w, h."""
    return list(starmap(QRectF, coords.tolist()))


def _low_high(lows: FloatArray, highs: FloatArray) -> tuple[float, float] | None:
    """Lowest low and highest high, ignoring NaN gaps; ``None`` if nothing is left."""
    if lows.size == 0:
        return None
    lo, hi = float(lows.min()), float(highs.max())
    if math.isnan(lo) or math.isnan(hi):  # rare: pay for the NaN filtering only then
        lows, highs = lows[~np.isnan(lows)], highs[~np.isnan(highs)]
        if lows.size == 0 or highs.size == 0:
            return None
        lo, hi = float(lows.min()), float(highs.max())
    return lo, hi


class CandlestickItem(pg.GraphicsObject):
    """OHLC candles at x = bar index (0 … n-1), drawn from numpy column buffers.

    The buffers have spare capacity beyond ``len(self)`` so :meth:`append`
    is amortised O(1); the public column properties return views of the filled
    part and must be treated as read-only.
    """

    #: Emitted at the end of every ``paint`` (lets tests and the UI know a frame hit the screen).
    sigPainted = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._n = 0
        self._time: IntArray = np.zeros(0, dtype=np.int64)
        self._cols: FloatArray = np.zeros((5, 0), dtype=np.float64)  # o, h, l, c, v
        self._y_min = 0.0
        self._y_max = 0.0
        self._rect = QRectF()
        self._up_pen = QPen(QColor(UP_COLOR))
        self._down_pen = QPen(QColor(DOWN_COLOR))
        for pen in (self._up_pen, self._down_pen):
            pen.setCosmetic(True)
            pen.setWidth(1)
        self._up_brush = QBrush(QColor(UP_COLOR))
        self._down_brush = QBrush(QColor(DOWN_COLOR))

    # ------------------------------------------------------------------ data

    def __len__(self) -> int:
        return self._n

    @property
    def time(self) -> IntArray:
        """Bar open times (epoch seconds, UTC), a read-only view."""
        return self._time[: self._n]

    @property
    def open(self) -> FloatArray:
        return self._cols[0, : self._n]

    @property
    def high(self) -> FloatArray:
        return self._cols[1, : self._n]

    @property
    def low(self) -> FloatArray:
        return self._cols[2, : self._n]

    @property
    def close(self) -> FloatArray:
        return self._cols[3, : self._n]

    @property
    def volume(self) -> FloatArray:
        return self._cols[4, : self._n]

    def set_data(
        self,
        time: npt.ArrayLike,
        open: npt.ArrayLike,
        high: npt.ArrayLike,
        low: npt.ArrayLike,
        close: npt.ArrayLike,
        volume: npt.ArrayLike,
    ) -> None:
        """Replace every bar; the arrays are copied, so callers may reuse theirs."""
        t = np.asarray(time, dtype=np.int64).ravel()
        n = t.size
        columns = [
            np.asarray(c, dtype=np.float64).ravel() for c in (open, high, low, close, volume)
        ]
        if any(c.size != n for c in columns):
            raise ValueError("all columns must have the same length")
        self._allocate(n + max(MIN_SPARE, n // 4))
        self._time[:n] = t
        for row, column in enumerate(columns):
            self._cols[row, :n] = column
        self._n = n
        self._y_min, self._y_max = _low_high(columns[2], columns[1]) or (0.0, 0.0)
        self.prepareGeometryChange()
        self._rebuild_rect()
        self.informViewBoundsChanged()
        self.update()

    def update_last(
        self, open: float, high: float, low: float, close: float, volume: float
    ) -> None:
        """Replace the newest bar in O(1) (its time stays); no-op without bars."""
        if self._n == 0:
            return
        self._cols[:, self._n - 1] = (open, high, low, close, volume)
        if self._extend_y(low, high):
            self.prepareGeometryChange()
            self._rebuild_rect()
        self.update()

    def append(
        self, time: int, open: float, high: float, low: float, close: float, volume: float
    ) -> None:
        """Add a bar after the newest one, in amortised O(1)."""
        if self._n == self._time.size:
            self._allocate(max(MIN_SPARE, 2 * self._n))
        i = self._n
        self._time[i] = time
        self._cols[:, i] = (open, high, low, close, volume)
        if i == 0:
            self._y_min, self._y_max = low, high
        else:
            self._extend_y(low, high)
        self._n = i + 1
        self.prepareGeometryChange()  # the x extent always grows
        self._rebuild_rect()
        self.update()

    def bar_at(self, index: int) -> BarTuple | None:
        """The bar at ``index`` as ``(time, o, h, l, c, v)``, or ``None`` outside the data."""
        if not 0 <= index < self._n:
            return None
        o, h, lo, c, v = (float(x) for x in self._cols[:, index])
        return int(self._time[index]), o, h, lo, c, v

    def last_bar(self) -> BarTuple | None:
        return self.bar_at(self._n - 1)

    def index_range(self, x0: float, x1: float) -> tuple[int, int] | None:
        """First and one-past-last bar index whose centre lies in ``[x0, x1]``."""
        i0 = max(0, math.ceil(x0))
        i1 = min(self._n, math.floor(x1) + 1)
        return (i0, i1) if i1 > i0 else None

    def visible_y_range(self, x0: float, x1: float) -> tuple[float, float] | None:
        """Lowest low and highest high of the bars in ``[x0, x1]``, or ``None``.

        Scans only the visible slice, so fitting the y axis after a live update
        costs O(visible bars), never O(history).
        """
        span = self.index_range(x0, x1)
        if span is None:
            return None
        i0, i1 = span
        return _low_high(self._cols[2, i0:i1], self._cols[1, i0:i1])

    # ----------------------------------------------------------- internals

    def _allocate(self, capacity: int) -> None:
        """Grow (or reset) the buffers to ``capacity`` slots, keeping filled bars."""
        time = np.zeros(capacity, dtype=np.int64)
        cols = np.zeros((5, capacity), dtype=np.float64)
        keep = min(self._n, capacity)
        time[:keep] = self._time[:keep]
        cols[:, :keep] = self._cols[:, :keep]
        self._time, self._cols = time, cols

    def _extend_y(self, low: float, high: float) -> bool:
        """Widen the cached price bounds to include a bar; True if they changed."""
        changed = False
        if low < self._y_min:
            self._y_min, changed = low, True
        if high > self._y_max:
            self._y_max, changed = high, True
        return changed

    def _rebuild_rect(self) -> None:
        if self._n == 0:
            self._rect = QRectF()
            return
        self._rect = QRectF(-0.5, self._y_min, float(self._n), self._y_max - self._y_min)

    # ------------------------------------------------------------ painting

    def boundingRect(self) -> QRectF:
        """Cached; only :meth:`set_data`, :meth:`append` and a new extreme change it."""
        return QRectF(self._rect)

    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: tuple[float, float] | None = None
    ) -> tuple[float, float] | tuple[None, None]:
        """pyqtgraph auto-range hook: cheap x bounds, y bounds of the given x slice only."""
        if self._n == 0:
            return None, None
        if ax == 0:
            return -0.5, self._n - 0.5
        if orthoRange is None:
            return self._y_min, self._y_max
        bounds = self.visible_y_range(*orthoRange)
        return bounds if bounds is not None else (None, None)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        try:
            span = self._visible_indices(option)
            px_per_bar = abs(painter.deviceTransform().m11())
            if span is not None and px_per_bar > 0:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
                if px_per_bar >= MIN_PIXELS_PER_CANDLE:
                    self._paint_candles(painter, *span)
                else:
                    self._paint_envelope(painter, *span, bars_per_line=math.ceil(1 / px_per_bar))
        finally:
            self.sigPainted.emit()

    def _visible_indices(self, option: QStyleOptionGraphicsItem) -> tuple[int, int] | None:
        """Bars inside the view box's x range (or the exposed rect outside a view box)."""
        view = self.getViewBox()
        if view is not None:
            x0, x1 = view.viewRange()[0]
        else:
            x0, x1 = option.exposedRect.left(), option.exposedRect.right()
        # One bar of margin so half-visible candles at the edges are drawn too.
        return self.index_range(x0 - 1, x1 + 1)

    def _paint_candles(self, painter: QPainter, i0: int, i1: int) -> None:
        """One wick and one body per bar, up and down bars in two draw calls each."""
        o, h, lo, c = (self._cols[k, i0:i1] for k in range(4))
        x = np.arange(i0, i1, dtype=np.float64)
        up = c >= o
        half = BODY_WIDTH / 2
        wicks = np.column_stack((x, lo, x, h))
        body_bottom = np.minimum(o, c)
        bodies = np.column_stack(
            (x - half, body_bottom, np.full_like(x, BODY_WIDTH), np.maximum(o, c) - body_bottom)
        )
        for mask, pen, brush in (
            (up, self._up_pen, self._up_brush),
            (~up, self._down_pen, self._down_brush),
        ):
            if not mask.any():
                continue
            painter.setPen(pen)
            painter.drawLines(_lines(wicks[mask]))
            painter.setBrush(brush)
            painter.drawRects(_rects(bodies[mask]))

    def _paint_envelope(self, painter: QPainter, i0: int, i1: int, bars_per_line: int) -> None:
        """One vertical low–high line per group of ``bars_per_line`` bars.

        Groups are aligned to absolute multiples of ``bars_per_line`` so panning
        does not make the envelope shimmer. A group is "up" when its last close
        is at or above its first open.
        """
        k = bars_per_line
        g0 = i0 // k * k
        starts = np.arange(g0, i1, k)
        starts[0] = i0
        ends = np.append(starts[1:], i1)
        offsets = starts - i0
        lows = np.minimum.reduceat(self._cols[2, i0:i1], offsets)
        highs = np.maximum.reduceat(self._cols[1, i0:i1], offsets)
        first_open = self._cols[0, starts]
        last_close = self._cols[3, ends - 1]
        x = (starts + ends - 1) / 2.0
        lines = np.column_stack((x, lows, x, highs))
        up = last_close >= first_open
        for mask, pen in ((up, self._up_pen), (~up, self._down_pen)):
            if mask.any():
                painter.setPen(pen)
                painter.drawLines(_lines(lines[mask]))
