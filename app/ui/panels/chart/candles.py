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
from collections.abc import Callable, Hashable
from itertools import starmap
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from app.ui.panels.chart.palette import DOWN_COLOR, UP_COLOR
from app.ui.widgets.glyph_text import GlyphText

__all__ = ["DOWN_COLOR", "UP_COLOR", "CandlestickItem", "GridItem", "PriceLine"]

#: Body width as a fraction of the distance between bars.
BODY_WIDTH = 0.7
#: Below this many device pixels per bar, bodies are unreadable: draw envelopes.
MIN_PIXELS_PER_CANDLE = 2.0
#: Spare capacity reserved by ``set_data`` so live appends rarely reallocate.
MIN_SPARE = 1024
#: Spans of settled bars whose drawing primitives are kept (the full view and a strip or two).
MEMO_ENTRIES = 4

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

T = TypeVar("T")

BarTuple = tuple[int, float, float, float, float, float]
"""One bar as ``(time, open, high, low, close, volume)``."""

Primitives = tuple[QPen, QBrush | None, list[QLineF], list[QRectF]]
"""A pen, a brush (or none), lines and rectangles: one colour's share of a paint."""


def as_lines(coords: FloatArray) -> list[QLineF]:
    """QLineF objects for the rows of an ``(n, 4)`` array of x1, y1, x2, y2."""
    return list(starmap(QLineF, coords.tolist()))


def as_rects(coords: FloatArray) -> list[QRectF]:
    """QRectF objects for the rows of an ``(n, 4)`` array of x, y, w, h."""
    return list(starmap(QRectF, coords.tolist()))


def pixel_group(px_per_bar: float) -> int:
    """Bars per drawn column: 1 while candles are readable, else enough to fill one pixel."""
    return 1 if px_per_bar >= MIN_PIXELS_PER_CANDLE else math.ceil(1 / px_per_bar)


def group_starts(i0: int, i1: int, group: int) -> tuple[IntArray, IntArray]:
    """First and one-past-last bar of each ``group``-bar column in ``[i0, i1)``."""
    starts = np.arange(i0, i1, group)
    return starts, np.append(starts[1:], i1)


class SettledMemo(Generic[T]):
    """What was drawn for a few recent spans of settled bars, by span, group and data version.

    Live ticks repaint parts of the plot many times a second without the data
    of settled bars changing; keying by the candles' ``settled_version`` makes
    any other change miss, so a stale entry is never replayed.
    """

    def __init__(self, entries: int = MEMO_ENTRIES) -> None:
        self._entries = entries
        self._memo: dict[Hashable, T] = {}

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        value = self._memo.get(key)
        if value is None:
            if len(self._memo) >= self._entries:
                self._memo.clear()
            value = self._memo[key] = build()
        return value


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
        # Let paint() see the dirty rect: a live tick repaints one narrow strip only.
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption)
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
        # Drawing primitives of settled bars (all but the newest), by span. A live
        # tick repaints whatever crosses the bid and ask lines too, often the whole
        # plot: replaying these lists then costs a few C++ calls, not a rebuild.
        self._settled_version = 0  # bumps whenever a bar other than the newest changes
        self._memo: SettledMemo[list[Primitives]] = SettledMemo()

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

    @property
    def settled_version(self) -> int:
        """Bumps whenever a bar other than the newest changes (memo keys of what is drawn)."""
        return self._settled_version

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
        self._settled_version += 1
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
        else:
            self.update(self._last_bar_strip())

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
        self._settled_version += 1  # the bar that was live is settled now
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

    def _last_bar_strip(self) -> QRectF:
        """The newest bar's column, full height: all a live tick can change on screen.

        Repainting just this strip (instead of the whole plot) keeps a tick's
        repaint to a few pixels wide whatever the zoom; a bar's old and new
        extent both lie inside it.
        """
        x = self._n - 1
        return QRectF(x - 1.0, self._y_min, 2.0, self._y_max - self._y_min)

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
            span = self.exposed_bars(option.exposedRect)
            px_per_bar = abs(painter.deviceTransform().m11())
            if span is not None and px_per_bar > 0:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
                for primitives in self._primitives(*span, pixel_group(px_per_bar)):
                    draw_primitives(painter, primitives)
        finally:
            self.sigPainted.emit()

    def exposed_bars(self, exposed: QRectF) -> tuple[int, int] | None:
        """Bars inside the view box's x range and an exposed (dirty) rect in data coordinates.

        An empty rect means the whole view.
        """
        x0, x1 = exposed.left(), exposed.right()
        view = self.getViewBox()
        if view is not None:
            v0, v1 = view.viewRange()[0]
            if exposed.isEmpty():
                x0, x1 = v0, v1
            else:
                x0, x1 = max(x0, v0), min(x1, v1)
        # One bar of margin so half-visible candles at the edges are drawn too.
        return self.index_range(x0 - 1, x1 + 1)

    def split_settled(self, i0: int, i1: int, group: int) -> tuple[int, int, int]:
        """Align ``[i0, i1)`` to whole groups; return it with the first bar of the live group.

        ``group`` is 1 for candles, else the bars per pixel column. Groups are
        aligned to absolute multiples of ``group``, so the group holding the
        newest bar is the only one a live tick changes, and a partial repaint
        draws exactly what a full one does.
        """
        if group > 1:
            i0 = i0 // group * group
            i1 = min(self._n, -(-i1 // group) * group)
        return i0, i1, (self._n - 1) // group * group

    def by_settled_and_live(
        self,
        i0: int,
        i1: int,
        group: int,
        memo: SettledMemo[T],
        build: Callable[[int, int, int], T],
    ) -> list[T]:
        """``build(i0, i1, group)`` over the whole groups of ``[i0, i1)``, in up to two parts.

        The settled groups come from ``memo`` (built on a miss), the live
        group is always built fresh: after a live tick only it has changed.
        """
        i0, i1, live = self.split_settled(i0, i1, group)
        parts: list[T] = []
        settled_end = min(i1, live)
        if settled_end > i0:
            key = (i0, settled_end, group, self._settled_version)
            parts.append(memo.get(key, lambda: build(i0, settled_end, group)))
        if i1 > live:
            parts.append(build(max(i0, live), i1, group))
        return parts

    def _primitives(self, i0: int, i1: int, group: int) -> list[Primitives]:
        """What to draw for bars ``[i0, i1)``: settled groups from the memo, the live one fresh."""
        parts = self.by_settled_and_live(i0, i1, group, self._memo, self._build)
        return [primitives for part in parts for primitives in part]

    def _build(self, i0: int, i1: int, group: int) -> list[Primitives]:
        # The live bar or group is rebuilt in every frame: there plain floats beat numpy's set-up.
        if group == 1:
            if i1 - i0 == 1:
                return self._one_candle(i0)
            return self._candle_primitives(i0, i1)
        if i1 - i0 <= group:
            return self._one_envelope(i0, i1)
        return self._envelope_primitives(i0, i1, group)

    def _one_candle(self, i: int) -> list[Primitives]:
        """What :meth:`_candle_primitives` builds for the single bar ``i``, value for value."""
        o, h, lo, c = self._cols[:4, i].tolist()
        if math.isnan(o + h + lo + c):  # a gap: numpy's NaN rules, not min()'s
            return self._candle_primitives(i, i + 1)
        x, half = float(i), BODY_WIDTH / 2
        bottom, middle = min(o, c), (o + c) / 2
        lines = [QLineF(x, lo, x, h), QLineF(x - half, middle, x + half, middle)]
        body = QRectF(x - half, bottom, BODY_WIDTH, max(o, c) - bottom)
        if c >= o:
            return [(self._up_pen, self._up_brush, lines, [body])]
        return [(self._down_pen, self._down_brush, lines, [body])]

    def _candle_primitives(self, i0: int, i1: int) -> list[Primitives]:
        """One wick and one body per bar, up and down bars in two draw calls each.

        Bodies are filled without an outline; a one-pixel line across each
        body's middle keeps a doji (or any body thinner than a pixel) visible.
        """
        o, h, lo, c = (self._cols[k, i0:i1] for k in range(4))
        x = np.arange(i0, i1, dtype=np.float64)
        up = c >= o
        half = BODY_WIDTH / 2
        body_bottom = np.minimum(o, c)
        middle = (o + c) / 2
        lines = np.concatenate(
            (np.column_stack((x, lo, x, h)), np.column_stack((x - half, middle, x + half, middle)))
        )
        bodies = np.column_stack(
            (x - half, body_bottom, np.full_like(x, BODY_WIDTH), np.maximum(o, c) - body_bottom)
        )
        out: list[Primitives] = []
        for mask, pen, brush in (
            (up, self._up_pen, self._up_brush),
            (~up, self._down_pen, self._down_brush),
        ):
            if mask.any():
                both = np.concatenate((mask, mask))  # wicks, then body middles
                out.append((pen, brush, as_lines(lines[both]), as_rects(bodies[mask])))
        return out

    def _one_envelope(self, i0: int, i1: int) -> list[Primitives]:
        """What :meth:`_envelope_primitives` builds for the one group ``[i0, i1)``, value for value."""
        low = float(self._cols[2, i0:i1].min())  # NaN in, NaN out, as reduceat
        high = float(self._cols[1, i0:i1].max())
        x = (i0 + i1 - 1) / 2.0
        up = self._cols[3, i1 - 1] >= self._cols[0, i0]
        return [(self._up_pen if up else self._down_pen, None, [QLineF(x, low, x, high)], [])]

    def _envelope_primitives(self, i0: int, i1: int, group: int) -> list[Primitives]:
        """One vertical low–high line per ``group`` bars (``i0`` aligned to a group).

        A group is "up" when its last close is at or above its first open.
        """
        starts, ends = group_starts(i0, i1, group)
        offsets = starts - i0
        lows = np.minimum.reduceat(self._cols[2, i0:i1], offsets)
        highs = np.maximum.reduceat(self._cols[1, i0:i1], offsets)
        first_open = self._cols[0, starts]
        last_close = self._cols[3, ends - 1]
        x = (starts + ends - 1) / 2.0
        lines = np.column_stack((x, lows, x, highs))
        up = last_close >= first_open
        return [
            (pen, None, as_lines(lines[mask]), [])
            for mask, pen in ((up, self._up_pen), (~up, self._down_pen))
            if mask.any()
        ]


def draw_primitives(painter: QPainter, primitives: Primitives) -> None:
    """Draw one colour's rectangles (filled, no outline), then its lines, in two calls.

    Outlining rectangles costs about five times filling them in Qt's raster
    engine (each outline is stroked); lines that need to show at any zoom are
    in ``lines``, drawn with the cosmetic pen.
    """
    pen, brush, lines, rects = primitives
    if rects and brush is not None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(brush)
        painter.drawRects(rects)
    if lines:
        painter.setPen(pen)
        painter.drawLines(lines)


class ViewSpanningItem(pg.GraphicsObject):
    """An item that always covers exactly the visible part of its view (lines, grid).

    Its bounding rect follows the view, so it is repainted on pan and zoom and
    never costs more than the pixels on screen.
    """

    def viewRangeChanged(self) -> None:
        """pyqtgraph's hook: the view's range changed."""
        self.viewTransformChanged()

    def viewTransformChanged(self) -> None:
        """pyqtgraph's hook: the view's range or size changed."""
        super().viewTransformChanged()  # drops pyqtgraph's cached view rect
        self.prepareGeometryChange()  # the bounding rect follows the view

    def boundingRect(self) -> QRectF:
        """The visible part of the view."""
        rect = self.viewRect()
        return QRectF(rect) if rect is not None else QRectF()


class PriceLine(ViewSpanningItem):
    """A horizontal dashed line at a price, with the price in a filled box at the right edge.

    Used for the bid and ask. pyqtgraph's ``InfiniteLine`` with a label re-lays
    out an HTML text item and recomputes its geometry on every move, which cost
    more than everything else in a live update; moving this line stores a float
    and repaints two thin strips (where it was and where it is).
    """

    def __init__(self, color: str, *, label_above: bool, text_color: str = "#ffffff") -> None:
        super().__init__()
        self._value: float | None = None
        self._text = ""
        self._format = "{:.5f}"
        self._label_above = label_above
        self._pen = QPen(QColor(color))
        self._pen.setCosmetic(True)
        self._pen.setStyle(Qt.PenStyle.DashLine)
        self._box = QBrush(QColor(color))
        self._text_colour = QColor(text_color)
        font = QFont()
        font.setPointSize(8)
        self._texts = GlyphText(font)  # prices: laid out once, drawn as one glyph run
        self._label_height = QFontMetricsF(font).height() + 2
        self.setZValue(10)
        self.setVisible(False)

    def value(self) -> float | None:
        return self._value

    @property
    def label_text(self) -> str:
        return self._text

    def set_digits(self, digits: int) -> None:
        self._format = f"{{:.{digits}f}}"
        if self._value is not None:
            self._text = self._format.format(self._value)
            self.update(self._strip(self._value))

    def setValue(self, price: float) -> None:
        old = self._value
        if price == old:
            return
        self._value = price
        self._text = self._format.format(price)
        if not self.isVisible():
            self.setVisible(True)
            self.update()
            return
        if old is not None:
            self.update(self._strip(old))
        self.update(self._strip(price))

    def _strip(self, price: float) -> QRectF:
        """The band a line and its label occupy at ``price``, in data coordinates."""
        rect = self.boundingRect()
        view = self.getViewBox()
        per_pixel = view.viewPixelSize()[1] if view is not None else 0.0
        half = (self._label_height + 4) * per_pixel
        return QRectF(rect.left(), price - half, rect.width(), 2 * half)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        if self._value is None:
            return
        rect = self.boundingRect()
        transform = painter.deviceTransform()
        sx, sy = transform.m11(), transform.m22()
        if sx == 0 or sy == 0:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(self._pen)  # cosmetic: one pixel whatever the zoom
        painter.drawLine(QPointF(rect.left(), self._value), QPointF(rect.right(), self._value))
        # From here on one unit is one device pixel, origin at the line's right end,
        # y downwards: the label keeps its size at any zoom (composing with the
        # current transform keeps the painter's own offsets intact).
        painter.translate(rect.right(), self._value)
        painter.scale(1 / sx, 1 / sy if sy > 0 else -1 / sy)
        if sy < 0:
            painter.scale(1, -1)
        text_width = self._texts.width(self._text)
        width = text_width + 8
        top = -self._label_height if self._label_above else 0.0
        painter.fillRect(QRectF(-width - 2, top, width, self._label_height), self._box)
        # Centred in the box as drawText(box, AlignCenter) would put it, without its layout.
        text_top = top + (self._label_height - self._texts.line_height) / 2
        self._texts.add(
            -width - 2 + (width - text_width) / 2, text_top, self._text, self._text_colour
        )
        self._texts.flush(painter)
        painter.restore()


TickSource = Callable[[float, float, float], list[tuple[float, list[float]]]]
"""An axis's ``tickValues(min, max, size_px)``: ``[(spacing, [values…]), …]`` per level."""


class GridItem(ViewSpanningItem):
    """Grid lines at the axes' tick positions, drawn in one opaque batch inside the view.

    pyqtgraph draws its grid as part of each axis, translucent, across the whole
    plot: every repaint anywhere in the plot, even a live tick's few pixels,
    then replays both axes with their labels. Here the grid lives in the view
    and a small repaint redraws only the few line pieces it touches.
    """

    def __init__(self, x_ticks: TickSource, y_ticks: TickSource, color: str, levels: int) -> None:
        super().__init__()
        self._x_ticks = x_ticks
        self._y_ticks = y_ticks
        self._levels = levels
        self._pen = QPen(QColor(color))
        self._pen.setCosmetic(True)
        self.setZValue(-10)
        # The lines for the last view geometry: live ticks repaint parts of the plot
        # many times a second without the view moving, so the axes' tick maths runs
        # once per pan or zoom instead of once per repaint.
        self._memo: tuple[tuple[float, ...], list[QLineF]] | None = None

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        rect = self.boundingRect()
        if rect.isEmpty():
            return
        transform = painter.deviceTransform()
        width_px = abs(transform.m11()) * rect.width()
        height_px = abs(transform.m22()) * rect.height()
        key = (rect.left(), rect.top(), rect.width(), rect.height(), width_px, height_px)
        if self._memo is None or self._memo[0] != key:
            self._memo = (key, self._lines(rect, width_px, height_px))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(self._pen)  # cosmetic: one pixel whatever the zoom
        painter.drawLines(self._memo[1])

    def refresh(self) -> None:
        """New bars under the same view: the time axis may tick elsewhere."""
        self._memo = None
        self.update()

    def set_colour(self, colour: str) -> None:
        self._pen = QPen(QColor(colour))
        self._pen.setCosmetic(True)
        self.update()

    def _lines(self, rect: QRectF, width_px: float, height_px: float) -> list[QLineF]:
        xs = self._values(self._x_ticks, rect.left(), rect.right(), width_px)
        ys = self._values(self._y_ticks, rect.top(), rect.bottom(), height_px)
        top, bottom, left, right = rect.top(), rect.bottom(), rect.left(), rect.right()
        lines = [QLineF(x, top, x, bottom) for x in xs]
        lines += [QLineF(left, y, right, y) for y in ys]
        return lines

    def _values(self, ticks: TickSource, low: float, high: float, pixels: float) -> list[float]:
        if pixels <= 0 or high <= low:
            return []
        out: list[float] = []
        for _, values in ticks(low, high, pixels)[: self._levels + 1]:
            out.extend(values)
        return out
